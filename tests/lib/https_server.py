#!/usr/bin/python3
"""tests/lib/https_server.py: a tiny HTTPS server standing in for the
mta-sts.<domain> web servers in integration tests.

  https_server.py CERT KEY DOCROOT PORTFILE

Binds 127.0.0.1 on a free port, writes the port to PORTFILE once listening,
and serves DOCROOT/<Host header without port>/<path> as text/plain.  Anything
missing is 404.  Runs until killed.  Test CA and certificate are made by the
calling test (tests/lib/testca.sh)."""
import http.server
import os
import ssl
import sys

cert, key, docroot, portfile = sys.argv[1:5]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        rel = os.path.normpath(self.path.split("?")[0]).lstrip("/")
        path = os.path.join(docroot, host, rel)
        if ".." in rel or not os.path.isfile(path):
            self.send_error(404)
            return
        with open(path, "rb") as f:
            body = f.read()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write("https_server: " + (fmt % args) + "\n")


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
tmp = portfile + ".tmp"
with open(tmp, "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(tmp, portfile)
srv.serve_forever()
