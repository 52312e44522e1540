#!/usr/bin/python3
"""bench/lib/web.py: helpers of bench/web (the web benchmark).

  zones N DIR          bench/lib/posture.py's zones for N domains, adjusted to
                       look like a fleet in production: no MTA-STS records
                       (there is no HTTPS server for N policies, and a policy
                       that cannot be fetched is critical, which would make
                       every domain fail), DMARC removed from one domain in
                       fifty (critical) and p=none on one in twenty (warn)
  config N DOMAINS STATE DNS_PORT WEB_PORT TOKEN OUT
                       a mailpulsed configuration with one [domain] section
                       per line of DOMAINS (selectors s1, s2; no discovery);
                       checks every day, so no round runs during the timed
                       runs unless bench/web asks for one
  verify JSON N TODAY  check an /api/v1/domains document: N domains, 90
                       history days each with data on most of them (the
                       generated history), every domain checked today (the
                       real round); print "domains=... cells_ok=..."; exit 1
                       with the reason if not
  wrk FILE             parse wrk --latency output: "rps=R p50_ms=.. p99_ms=..
                       requests=N bytes=B non2xx=K sockerr=E"
  poke PORT TOKEN DOMAINS RATE SECONDS
                       POST /api/v1/domains/NAME/check for RATE domains a
                       second (round robin over DOMAINS) for SECONDS, over one
                       keep-alive connection: checks complete and snapshots
                       are published while wrk runs (bench/web --live);
                       prints "posted=N accepted=A"

Nothing here talks to the network beyond 127.0.0.1.
"""
import http.client
import json
import os
import re
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import posture  # noqa: E402  (same folder)


def cmd_zones(n, outdir):
    posture.cmd_zones(n, outdir)
    path = os.path.join(outdir, "bench.zone")
    out = []
    with open(path) as f:
        for line in f:
            name = line.split(" ", 1)[0]
            if name.startswith("_mta-sts.") or name.startswith("mta-sts."):
                continue
            m = re.match(r"_dmarc\.d(\d+) ", line)
            if m and int(m.group(1)) % 50 == 7:
                continue
            if m and int(m.group(1)) % 20 == 11:
                line = re.sub(r"p=(reject|quarantine)", "p=none", line)
            out.append(line)
    with open(path, "w") as f:
        f.write("".join(out))


def cmd_config(n, domains, state, dns_port, web_port, token, out):
    names = [d.strip() for d in open(domains) if d.strip()][:n]
    parts = [
        "# bench/web: mailpulsed over %d generated domains (bench/lib/web.py)\n" % len(names),
        "[daemon]\nstate_dir = %s\ncheck_interval = 1d\njitter = 0\n\n" % state,
        "[dns]\nresolvers = 127.0.0.1:%s\nqps = 0\ntimeout = 5s\n\n" % dns_port,
        # Every client of the benchmark comes from 127.0.0.1: wrk's 16
        # connections, the live mode's check requests and curl; the default
        # per-IP limit (16) would refuse the 17th.
        "[web]\nlisten = 127.0.0.1:%s\ntoken = %s\nrefresh = 1m\nmax_connections_per_ip = 32\n\n"
        % (web_port, token),
    ]
    for d in names:
        parts.append("[domain %s]\nselectors = s1, s2\ndiscover_selectors = no\n\n" % d)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("".join(parts))


def cmd_verify(path, n, today):
    try:
        doc = json.load(open(path))
    except (OSError, ValueError) as e:
        print("invalid: /api/v1/domains is not JSON (%s)" % e)
        return 1
    doms = doc.get("domains", [])
    cells = {"ok": 0, "warn": 0, "critical": 0, "nodata": 0}
    status = {}
    stale = 0
    for d in doms:
        for c in d.get("history", []):
            cells[c] = cells.get(c, 0) + 1
        status[d["status"]] = status.get(d["status"], 0) + 1
        if not (d.get("last_checked") or "").startswith(today) or not d.get("checks"):
            stale += 1
    print("domains=%d cells_ok=%d cells_warn=%d cells_critical=%d cells_nodata=%d %s" % (
        len(doms), cells["ok"], cells["warn"], cells["critical"], cells["nodata"],
        " ".join("status_%s=%d" % kv for kv in sorted(status.items()))))
    if len(doms) != n:
        print("invalid: %d domains, expected %d" % (len(doms), n))
        return 1
    if any(len(d.get("history", [])) != 90 for d in doms):
        print("invalid: a domain without 90 history days")
        return 1
    if cells["nodata"] > len(doms) * 90 // 4:
        print("invalid: %d of %d history days have no data (no history generated?)"
              % (cells["nodata"], len(doms) * 90))
        return 1
    if stale:
        print("invalid: %d domains were not checked today (%s)" % (stale, today))
        return 1
    return 0


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
SIZES = {"B": 1, "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3, "TB": 1024 ** 4}


def ms(text):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    return float(m.group(1)) * UNITS[m.group(2)] if m else float("nan")


def cmd_wrk(path):
    text = open(path).read()
    r = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    r["rps"] = m.group(1) if m else "?"
    for p in ("50", "99"):
        m = re.search(r"^\s+%s(?:\.000)?%%\s+(\S+)" % p, text, re.M)
        r["p%s_ms" % p] = "%.2f" % ms(m.group(1)) if m else "?"
    m = re.search(r"(\d+) requests in [\d.]+\w+, ([\d.]+)(B|KB|MB|GB|TB) read", text)
    r["requests"] = m.group(1) if m else "?"
    r["bytes"] = "%d" % (float(m.group(2)) * SIZES[m.group(3)]) if m else "?"
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    r["non2xx"] = m.group(1) if m else "0"
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    r["sockerr"] = str(sum(int(x) for x in m.groups())) if m else "0"
    print(" ".join("%s=%s" % kv for kv in r.items()))


def cmd_poke(port, token, domains, rate, seconds):
    names = [d.strip() for d in open(domains) if d.strip()]
    conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
    hdr = {"Authorization": "Bearer " + token, "Content-Length": "0"}
    posted = accepted = 0
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        due = start + posted / rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        name = names[posted % len(names)]
        try:
            conn.request("POST", "/api/v1/domains/%s/check" % name, headers=hdr)
            resp = conn.getresponse()
            resp.read()
            accepted += resp.status == 202
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
        posted += 1
    print("posted=%d accepted=%d" % (posted, accepted))


def main(argv):
    if len(argv) == 4 and argv[1] == "zones":
        cmd_zones(int(argv[2]), argv[3])
        return 0
    if len(argv) == 9 and argv[1] == "config":
        cmd_config(int(argv[2]), *argv[3:])
        return 0
    if len(argv) == 5 and argv[1] == "verify":
        return cmd_verify(argv[2], int(argv[3]), argv[4])
    if len(argv) == 3 and argv[1] == "wrk":
        cmd_wrk(argv[2])
        return 0
    if len(argv) == 7 and argv[1] == "poke":
        cmd_poke(argv[2], argv[3], argv[4], float(argv[5]), float(argv[6]))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
