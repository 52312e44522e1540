#!/usr/bin/env python3
"""examples/demo-reports.py DIR: write DMARC aggregate reports for the demo.

scripts/demo drops them into the daemon's [reports] drop_dir, so the domain
pages of acme.example and halfway.example show a Reports section: 30 days
of reports from two receivers.  acme.example passes throughout (p=none
published, so the page recommends moving to p=quarantine); halfway.example
has an ESP that is authorised but not aligned and an unknown sender.
The dates are relative to now, so the windows of 1, 7 and 30 days have data.
Source IPs are documentation addresses (RFC 5737).
"""
import gzip
import os
import sys
import time

DAY = 86400


def record(ip, count, dkim, spf, header_from, auth):
    a = "".join(
        "<%s><domain>%s</domain><result>%s</result></%s>" % (k, d, r, k) for k, d, r in auth
    )
    return (
        "<record><row><source_ip>%s</source_ip><count>%d</count><policy_evaluated>"
        "<disposition>none</disposition><dkim>%s</dkim><spf>%s</spf></policy_evaluated></row>"
        "<identifiers><header_from>%s</header_from></identifiers>"
        "<auth_results>%s</auth_results></record>" % (ip, count, dkim, spf, header_from, a)
    )


def report(org, rid, domain, begin, records):
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feedback><report_metadata>'
        "<org_name>%s</org_name><email>noreply-dmarc@%s</email><report_id>%s</report_id>"
        "<date_range><begin>%d</begin><end>%d</end></date_range></report_metadata>"
        "<policy_published><domain>%s</domain><adkim>r</adkim><aspf>r</aspf><p>none</p>"
        "<pct>100</pct></policy_published>%s</feedback>\n"
        % (org, org, rid, begin, begin + DAY - 1, domain, "".join(records))
    )


def main():
    out = sys.argv[1]
    today = int(time.time()) // DAY * DAY
    n = 0
    for day in range(30, 0, -1):
        begin = today - day * DAY
        for org in ("receiver-one.example", "receiver-two.example"):
            acme = [record("192.0.2.25", 400 + day, "pass", "pass", "acme.example",
                           [("dkim", "acme.example", "pass"), ("spf", "acme.example", "pass")])]
            half = [
                record("198.51.100.40", 300, "pass", "fail", "halfway.example",
                       [("dkim", "halfway.example", "pass"), ("spf", "esp.example", "pass")]),
                record("203.0.113.9", 120, "fail", "fail", "halfway.example",
                       [("dkim", "esp.example", "pass"), ("spf", "esp.example", "pass")]),
            ]
            if day <= 5:  # a sender nobody configured shows up this week
                half.append(record("203.0.113.200", 80, "fail", "fail", "halfway.example",
                                   [("spf", "halfway.example", "fail")]))
            for dom, recs in (("acme.example", acme), ("halfway.example", half)):
                n += 1
                xml = report(org, "demo-%s-%s-%d" % (org, dom, day), dom, begin, recs)
                name = os.path.join(out, "%s!%s!%d.xml.gz" % (org, dom, begin))
                with gzip.open(name + ".tmp", "wb") as f:
                    f.write(xml.encode())
                os.rename(name + ".tmp", name)
    print("demo: wrote %d DMARC aggregate reports into %s" % (n, out))


main()
