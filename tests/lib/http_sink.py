#!/usr/bin/python3
"""tests/lib/http_sink.py: a local HTTP(S) sink standing in for Slack and
webhook receivers in tests (DESIGN.md 6).  It records every request and
answers as the request path tells it to.

  http_sink.py PORTFILE LOGDIR [CERT KEY]

Binds 127.0.0.1 on a free port (HTTPS when CERT and KEY are given, e.g.
from tests/lib/testca.sh), writes the port to PORTFILE once listening, and
runs until killed.

Every request is written to LOGDIR/NNNNNN.req (numbered from 000001, written
to a temporary name and renamed, so a reader never sees half a file):

  METHOD PATH
  Header-Name: value          (one line per header, as received)
                              (an empty line)
  body bytes, exactly as received

The first path segment picks the answer; the rest is free (tests put
secret-looking tokens there):

  /ok/...              200, body "ok" (what Slack answers)
  /status/CODE/...     CODE, body "status CODE"; 429 and 503 carry Retry-After: 7
  /seq/C1,C2,.../...   the Nth request to this exact path gets CN (the last code
                       repeats), body "status CN": e.g. 500 then 200 for retries
  /slow/MS/...         sleep MS milliseconds, then 200 "ok"
  /big/N/...           200 with N bytes of "x"
  /redirect/...        302 to /ok/... (clients must not follow it)
  anything else        200 "ok"
"""
import http.server
import os
import ssl
import sys
import threading
import time

portfile, logdir = sys.argv[1:3]
cert = sys.argv[3] if len(sys.argv) > 4 else None
key = sys.argv[4] if len(sys.argv) > 4 else None
lock = threading.Lock()
state = {"n": 0, "seq": {}}


def record(method, path, headers, body):
    with lock:
        state["n"] += 1
        n = state["n"]
    name = os.path.join(logdir, "%06d.req" % n)
    with open(name + ".tmp", "wb") as f:
        f.write(("%s %s\n" % (method, path)).encode("latin-1"))
        for k, v in headers.items():
            f.write(("%s: %s\n" % (k, v)).encode("latin-1"))
        f.write(b"\n")
        f.write(body)
    os.rename(name + ".tmp", name)


def seq_code(path, codes):
    with lock:
        i = state["seq"].get(path, 0)
        state["seq"][path] = i + 1
    return codes[min(i, len(codes) - 1)]


class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self, code, body, extra=None):
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n > 0 else b""
        record(self.command, self.path, self.headers, body)
        parts = self.path.split("?")[0].strip("/").split("/")
        what = parts[0] if parts else ""
        arg = parts[1] if len(parts) > 1 else ""
        try:
            if what == "status":
                code = int(arg)
                extra = {"Retry-After": "7"} if code in (429, 503) else None
                self.answer(code, b"status %d" % code, extra)
            elif what == "seq":
                code = seq_code(self.path, [int(c) for c in arg.split(",")])
                self.answer(code, b"status %d" % code)
            elif what == "slow":
                time.sleep(int(arg) / 1000.0)
                self.answer(200, b"ok")
            elif what == "big":
                self.answer(200, b"x" * int(arg))
            elif what == "redirect":
                self.answer(302, b"moved", {"Location": "/ok/" + "/".join(parts[1:])})
            else:
                self.answer(200, b"ok")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeouts, body caps): that is the test

    do_GET = do_POST = do_PUT = do_HEAD = handle_any

    def log_message(self, fmt, *args):
        sys.stderr.write("http_sink: " + (fmt % args) + "\n")


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
srv.daemon_threads = True
if cert:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
os.makedirs(logdir, exist_ok=True)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
