#!/usr/bin/python3
"""bench/lib/posture.py: helpers of bench/posture (the posture benchmark).

  zones N DIR          write synthetic zones for N customer domains into DIR
                       (bench.zone + one zone per ESP) and DIR/domains.txt
  queries JSON OUT [ONE]
                       from a `mailpulse check --explain --format json` report,
                       write the distinct DNS queries it needed (dnsperf input
                       format: "name TYPE" per line, in first-asked order) to
                       OUT; print "questions=Q distinct=D via_cname=C ...".
                       ONE: the --explain report of one domain checked with
                       DKIM discovery on; its extra selectors are added to
                       every domain (see cmd_queries)
  verify JSON N        check a report: N domains, no DNS_TEMPFAIL /
                       DNS_MALFORMED / CHECK_INCOMPLETE finding; prints the
                       finding codes seen; exit 1 (with the reason) if invalid
  dnsperf FILE         parse dnsperf output: "sent=S completed=C lost=L qps=Q"

Nothing here talks to the network; bench/posture runs NSD, mailpulse and
dnsperf.  The zones model what thousands of real domains look like: every
domain has its own records, and the domains share a handful of ESPs (SPF
include trees, hosted MX, delegated DKIM, DMARC report services), so the
resolver cache matters as it does in production.
"""
import collections
import json
import os
import re
import sys

N_ESP = 8
TTL = 3600
NEG_TTL = 300  # SOA minimum: negative answers cached for 5 minutes (RFC 2308)

# A real 2048-bit RSA public key (tests/fixtures/keys/pub.txt, dkim-ok.pem):
# mailpulse parses every key it finds, so the per-domain cost is realistic.
DKIM_P = ("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEArHbdeXxbXFixumnGb4XGf8Duqx0c"
          "nHsnJzj7U8PT54ttHWjLPHjo+mhLAXCmE/aSUrL4yCAEVULJBj/fw9gPYn5rkJXJY+Zqh+tT"
          "WHLZYzq+UZvzjGWnF+oAOe8KF4Eog5Uupn+Dx63o3qcJP6nlgiWQ3tBmYiQEma4Z9kTgqSYN"
          "8Fbo+tDoiI5sC6UGxAZ10XWef9sFDzvYK8f9V5iqh3jDcizidThqDM+Xe/OXwzZxptp2jyS+"
          "7ERdat4hzSjV8ds0sCBCRtQ+Z03KV//czPX3uNzijfZR0vKNITlV++UE9khTiWaGNnGhTwaQ"
          "mhsUuO9XJK9F1YqH6lJ3vmM5GwIDAQAB")


def dkim_txt():
    rec = "v=DKIM1; k=rsa; p=" + DKIM_P
    # Split into 255-byte character-strings as real zones do (RFC 1035 3.3.14).
    return " ".join('"%s"' % rec[i:i + 255] for i in range(0, len(rec), 255))


def soa(origin):
    return ("$ORIGIN %s.\n$TTL %d\n@ SOA ns.%s. hostmaster.%s. 1 3600 600 86400 %d\n"
            "@ NS ns.%s.\nns A 127.0.0.1\n" % (origin, TTL, origin, origin, NEG_TTL, origin))


def domain_name(i):
    return "d%06d.bench" % i


def esp_zone(k, customers):
    """ESP k: an SPF tree three includes deep, hosted MX, per-customer DKIM
    targets (as SendGrid/Microsoft delegate selectors), a DMARC report
    service that authorises its customers (RFC 7489 7.1)."""
    z = "esp%d.bench" % k
    out = [soa(z)]
    out.append('_spf TXT "v=spf1 ip4:198.51.%d.0/24 include:_n1._spf.%s ~all"\n' % (k, z))
    out.append('_n1._spf TXT "v=spf1 ip4:203.0.%d.0/25 ip6:2001:db8:%x::/48 include:_n2._spf.%s ~all"\n'
               % (k, 0x100 + k, z))
    out.append('_n2._spf TXT "v=spf1 ip4:203.0.%d.128/25 ip6:2001:db8:%x::/48 ~all"\n'
               % (k, 0x200 + k))
    out.append("mx1 A 192.0.2.%d\nmx1 AAAA 2001:db8:25::%x\nmx2 A 192.0.2.%d\n"
               % (10 + k, k + 1, 100 + k))
    key = dkim_txt()
    for i in customers:
        d = domain_name(i)
        out.append("%s.dkim TXT %s\n" % (d.split(".")[0], key))
        if i % 2 == 0:
            out.append('%s._report._dmarc.rua TXT "v=DMARC1"\n' % d)
    return z, "".join(out)


def customer(i, esp):
    d = domain_name(i).split(".")[0]
    z = "esp%d.bench" % esp
    last = i % 250 + 1
    r = ['%s TXT "v=spf1 ip4:192.0.2.%d include:_spf.%s -all"\n' % (d, last, z)]
    if i % 2 == 0:  # mail hosted by the ESP: shared MX hosts
        r.append("%s MX 10 mx1.%s.\n%s MX 20 mx2.%s.\n" % (d, z, d, z))
    else:  # own MX hosts
        r.append("%s MX 10 mx1.%s\n%s MX 20 mx2.%s\n" % (d, d, d, d))
        r.append("mx1.%s A 198.51.100.%d\nmx1.%s AAAA 2001:db8:1::%x\nmx2.%s A 198.51.100.%d\n"
                 % (d, last, d, i % 65536, d, (last + 1) % 250 + 1))
    rua = ("mailto:agg@rua.%s" % z) if i % 2 == 0 else ("mailto:dmarc@%s.bench" % d)
    pol = "reject" if i % 4 else "quarantine"
    r.append('_dmarc.%s TXT "v=DMARC1; p=%s; rua=%s; adkim=s; aspf=s"\n' % (d, pol, rua))
    r.append("s1._domainkey.%s TXT %s\n" % (d, dkim_txt()))
    r.append("s2._domainkey.%s CNAME %s.dkim.%s.\n" % (d, d, z))
    r.append('_mta-sts.%s TXT "v=STSv1; id=20240101T000000"\n' % d)
    r.append("mta-sts.%s A 192.0.2.%d\n" % (d, last))
    r.append('_smtp._tls.%s TXT "v=TLSRPTv1; rua=mailto:tlsrpt@%s.bench"\n' % (d, d))
    if i % 10 == 0:
        r.append('default._bimi.%s TXT "v=BIMI1; l=https://%s.bench/logo.svg"\n' % (d, d))
    return "".join(r)


def cmd_zones(n, outdir):
    os.makedirs(outdir, exist_ok=True)
    by_esp = collections.defaultdict(list)
    with open(os.path.join(outdir, "bench.zone"), "w") as f:
        f.write(soa("bench"))
        for i in range(n):
            by_esp[i % N_ESP].append(i)
            f.write(customer(i, i % N_ESP))
    for k in range(N_ESP):
        z, text = esp_zone(k, by_esp[k])
        with open(os.path.join(outdir, z + ".zone"), "w") as f:
            f.write(text)
    with open(os.path.join(outdir, "domains.txt"), "w") as f:
        for i in range(n):
            f.write(domain_name(i) + "\n")


def load(path):
    with open(path) as f:
        return json.load(f)


def selectors_asked(domain_entry):
    """DKIM selectors a domain's checks asked for (<sel>._domainkey.<domain> TXT)."""
    dom = domain_entry["domain"].lower()
    suffix = "._domainkey." + dom
    return [q["name"].lower()[:-len(suffix)] for q in domain_entry.get("dns", [])
            if q["type"] == "TXT" and q["name"].lower().endswith(suffix)]


def cmd_queries(path, out, extra_path=None):
    """The distinct questions of an --explain report.  With extra_path (the
    --explain report of ONE domain checked with more selectors, e.g. with
    discovery on), every domain of path also gets the selectors that one
    domain asked beyond its own, each as <sel>._domainkey.<domain> TXT:
    discovery probes the same fixed list for every domain, so this is the
    question list of the whole run without a second --explain run of it
    (bench/posture checks the count against the run's own --stats)."""
    rep = load(path)
    extra = []
    if extra_path:
        one = load(extra_path)["domains"][0]
        mine = [d for d in rep["domains"] if d["domain"].lower() == one["domain"].lower()]
        known = set(selectors_asked(mine[0])) if mine else set()
        extra = [s for s in selectors_asked(one) if s not in known]
    seen = collections.OrderedDict()
    questions = 0
    via_cname = 0
    for d in rep["domains"]:
        for q in d.get("dns", []):
            questions += 1
            seen.setdefault((q["name"].lower(), q["type"]), None)
            if q.get("cname"):
                via_cname += 1
        for sel in extra:
            questions += 1
            seen.setdefault(("%s._domainkey.%s" % (sel, d["domain"].lower()), "TXT"), None)
    with open(out, "w") as f:
        for name, typ in seen:
            f.write("%s %s\n" % (name, typ))
    # A question answered through a CNAME costs one more wire query only
    # when the server left the target's records out of the reply (NSD puts
    # them in when it serves the target's zone too): mailpulse --stats
    # counts those as cname_follows, and bench/posture reports them.
    print("questions=%d distinct=%d via_cname=%d extra_selectors=%d"
          % (questions, len(seen), via_cname, len(extra)))


def cmd_verify(path, n):
    try:
        rep = load(path)
    except (OSError, ValueError) as e:
        print("invalid: report is not JSON (%s)" % e)
        return 1
    doms = rep.get("domains", [])
    codes = collections.Counter()
    bad = collections.Counter()
    example = {}
    for d in doms:
        for f in d["findings"]:
            codes["%s %s" % (f["severity"], f["code"])] += 1
            if f["code"] in ("DNS_TEMPFAIL", "DNS_MALFORMED", "CHECK_INCOMPLETE"):
                bad[f["code"]] += 1
                example.setdefault(f["code"], "%s: %s" % (d["domain"], f["message"]))
    for c, k in sorted(codes.items(), key=lambda x: -x[1]):
        print("  finding %-40s %d" % (c, k))
    if len(doms) != n:
        print("invalid: the report has %d domains, expected %d" % (len(doms), n))
        return 1
    if bad:
        for c, k in bad.items():
            print("invalid: %d %s findings (e.g. %s)" % (k, c, example[c]))
        return 1
    return 0


def cmd_dnsperf(path):
    text = open(path).read()

    def grab(pat):
        m = re.search(pat, text)
        return m.group(1) if m else "?"
    print("sent=%s completed=%s lost=%s qps=%s" % (
        grab(r"Queries sent:\s+(\d+)"), grab(r"Queries completed:\s+(\d+)"),
        grab(r"Queries lost:\s+(\d+)"), grab(r"Queries per second:\s+([\d.]+)")))


def main(argv):
    if len(argv) == 4 and argv[1] == "zones":
        cmd_zones(int(argv[2]), argv[3])
        return 0
    if len(argv) in (4, 5) and argv[1] == "queries":
        cmd_queries(argv[2], argv[3], argv[4] if len(argv) == 5 else None)
        return 0
    if len(argv) == 4 and argv[1] == "verify":
        return cmd_verify(argv[2], int(argv[3]))
    if len(argv) == 3 and argv[1] == "dnsperf":
        cmd_dnsperf(argv[2])
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
