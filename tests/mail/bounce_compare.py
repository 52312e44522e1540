#!/usr/bin/python3
"""tests/mail/bounce_compare.py OURS.jsonl SISIMAI.jsonl [--quiet]

Compares `mailpulse bounce --format json` with Sisimai (tests/mail/sisimai_ref.pl)
file by file and recipient by recipient, and prints TAP lines (numbered from
$TAP_START, default 1) plus diagnostics; the last line is "# next N".

Denominator: the recipients Sisimai found.  A recipient agrees when we report
the same address for that file.  Status agrees when the codes are equal; when
Sisimai has no code from the message it invents an internal one (X.0.9NN, see
Sisimai::SMTP::Status->code): that agrees with our empty status or with a code
of the same class.  Reason agrees when the words are equal.  Hard/soft and the
reply code are reported as information only.
Bars: every file parsed, recipient >= 98%, status >= 95%, reason >= 85%.
"""
import json
import os
import re
import sys


def load(path):
    out = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            o = json.loads(line)
            out[os.path.basename(o["file"])] = o
    return out


def status_agrees(ours, theirs):
    if ours == theirs:
        return True
    if re.match(r"^[245]\.0\.9\d\d$", theirs or ""):
        return ours == "" or ours[0] == theirs[0]
    return False


def main():
    ours = load(sys.argv[1])
    ref = load(sys.argv[2])
    quiet = "--quiet" in sys.argv
    n = int(os.environ.get("TAP_START", "1"))
    errors = sorted(f for f, o in ours.items() if "error" in o)
    missing = sorted(f for f in ref if f not in ours)
    bad = errors + missing
    print(("ok" if not bad else "not ok") +
          " %d - every file parsed without error (%d files)" % (n, len(ours)))
    for f in bad:
        print("# parse error: %s: %s" % (f, ours.get(f, {}).get("error", "no output")))
    n += 1
    total = 0
    agree = {"recipient": 0, "status": 0, "reason": 0, "hard": 0, "reply_code": 0}
    worst = {k: [] for k in agree}
    for f in sorted(ref):
        mine = {r["address"].lower(): r for r in ours.get(f, {}).get("recipients", [])}
        for s in ref[f]["recipients"]:
            total += 1
            a = s["address"].lower()
            m = mine.get(a)
            if m is None and len(mine) == 1 and len(ref[f]["recipients"]) == 1:
                m = None  # a different address is a disagreement, kept strict
            if m is None:
                for k in worst:
                    worst[k].append("%s: missing %s (we have %s)" % (f, a, ",".join(mine) or "none"))
                continue
            agree["recipient"] += 1
            checks = {
                "status": status_agrees(m["status"], s["status"]),
                "reason": m["reason"] == s["reason"],
                "hard": bool(m["hard"]) == bool(s["hard"]),
                "reply_code": str(m["reply_code"] or "") == str(s["reply_code"] or ""),
            }
            for k, v in checks.items():
                if v:
                    agree[k] += 1
                else:
                    worst[k].append("%s: %s ours=%s sisimai=%s" % (
                        f, a, m[{"status": "status", "reason": "reason", "hard": "hard",
                                 "reply_code": "reply_code"}[k]], s[k]))
    bars = [("recipient", 0.98), ("status", 0.95), ("reason", 0.85)]
    for k, bar in bars:
        pct = agree[k] / total if total else 0.0
        print(("ok" if pct >= bar else "not ok") +
              " %d - %s agreement %d/%d = %.1f%% (bar %.0f%%)" % (n, k, agree[k], total,
                                                               100 * pct, 100 * bar))
        if not quiet or pct < bar:
            for w in worst[k]:
                print("#   " + w)
        n += 1
    for k in ("hard", "reply_code"):
        pct = agree[k] / total if total else 0.0
        print("# info: %s agreement %d/%d = %.1f%%" % (k, agree[k], total, 100 * pct))
        if not quiet:
            for w in worst[k]:
                print("#   " + w)
    print("# next %d" % n)


main()
