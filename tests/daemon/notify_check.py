#!/usr/bin/python3
"""tests/daemon/notify_check.py: an independent reader of the payloads that
daemon/notify builds, for tests/daemon/test_notify.

It parses with Python's own json, hmac, base64 and email packages and prints
what it found as "key<TAB>value" lines (backslash, newline and CR escaped as
\\\\, \\n, \\r); the C test asserts on them.  It never asserts itself, so a
parse error is printed as "error<TAB>..." and exits 1.

  notify_check.py slack FILE
  notify_check.py webhook FILE
  notify_check.py sig FILE SECRET MSG_ID TIMESTAMP
  notify_check.py mail FILE
"""
import base64
import email
import email.policy
import email.utils
import hashlib
import hmac
import json
import sys


def out(key, value):
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False)
    value = value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    print(f"{key}\t{value}")


def slack(data):
    j = json.loads(data.decode("utf-8"))  # strict: invalid UTF-8 raises
    out("top_keys", ",".join(j.keys()))
    out("text", j["text"])
    atts = j["attachments"]
    out("attachments", len(atts))
    a = atts[0]
    out("color", a["color"])
    out("fallback", a.get("fallback", ""))
    blocks = a["blocks"]
    out("nblocks", len(blocks))
    out("types", ",".join(b["type"] for b in blocks))
    out("header", blocks[0]["text"]["text"])
    out("header_type", blocks[0]["text"]["type"])
    sections = [b for b in blocks if b["type"] == "section"]
    out("nsections", len(sections))
    for i, s in enumerate(sections):
        out(f"section{i}", s["text"]["text"])
    out("max_section", max((len(s["text"]["text"]) for s in sections), default=0))
    ctx = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    out("context", " | ".join(ctx))
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    out("button", buttons[0]["url"] if buttons else "")
    out("button_text", buttons[0]["text"]["text"] if buttons else "")


def webhook(data):
    j = json.loads(data.decode("utf-8"))
    out("keys", ",".join(j.keys()))
    for k, v in j.items():
        out(k, json.dumps(v, ensure_ascii=False, separators=(",", ":")))


def sig(data, secret, msg_id, ts):
    if secret.startswith("whsec_"):
        secret = secret[len("whsec_"):]
    key = base64.b64decode(secret)
    signed = f"{msg_id}.{ts}.".encode() + data
    mac = hmac.new(key, signed, hashlib.sha256).digest()
    out("sig", "v1," + base64.b64encode(mac).decode())


def mail(data):
    lines = data.split(b"\r\n")
    out("bare_lf", sum(l.count(b"\n") for l in lines))
    out("bare_cr", sum(l.count(b"\r") for l in lines))
    out("ends_crlf", data.endswith(b"\r\n"))
    out("max_line", max(len(l) for l in lines))
    out("non_ascii", sum(1 for b in data if b > 127))
    msg = email.message_from_bytes(data, policy=email.policy.default)
    defects = list(msg.defects)
    for p in msg.walk():
        defects += list(p.defects)
    out("defects", len(defects))
    out("content_type", msg.get_content_type())
    out("multipart", msg.is_multipart())
    for h in ("From", "To", "Subject", "Message-ID", "In-Reply-To", "References",
              "List-Id", "Auto-Submitted", "MIME-Version", "X-Auto-Response-Suppress",
              "X-Mailpulse-Event", "Bcc"):
        v = msg.get(h)
        out(h.lower(), "" if v is None else str(v))
    out("to_addrs", ",".join(a.addr_spec for a in msg["To"].addresses))
    out("from_addr", msg["From"].addresses[0].addr_spec)
    out("from_name", msg["From"].addresses[0].display_name)
    out("date", int(email.utils.parsedate_to_datetime(msg["Date"]).timestamp()))
    parts = list(msg.iter_parts())
    out("parts", ",".join(p.get_content_type() for p in parts))
    out("charsets", ",".join(str(p.get_content_charset()) for p in parts))
    out("cte", ",".join(str(p["Content-Transfer-Encoding"]) for p in parts))
    for p in parts:
        text = p.get_content()
        out(p.get_content_subtype() + "_crlf", "\r\n" in text)
        out(p.get_content_subtype(), text.replace("\r\n", "\n"))


def main():
    mode, path = sys.argv[1], sys.argv[2]
    with open(path, "rb") as f:
        data = f.read()
    try:
        if mode == "slack":
            slack(data)
        elif mode == "webhook":
            webhook(data)
        elif mode == "sig":
            sig(data, sys.argv[3], sys.argv[4], sys.argv[5])
        elif mode == "mail":
            mail(data)
        else:
            raise ValueError("unknown mode " + mode)
    except Exception as e:  # reported to the C side, which fails the test
        out("error", f"{type(e).__name__}: {e}")
        sys.exit(1)


main()
