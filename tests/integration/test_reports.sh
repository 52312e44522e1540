#!/bin/bash
# tests/integration/test_reports.sh: DMARC aggregate and TLS-RPT reports end
# to end through the real mailpulsed (issue 5 "End to end: a report mailed
# to the listener appears on the domain page").
#
# The world on loopback: NSD serves reports.test (DMARC p=none, rua to
# dmarc@reports.test), imapbox.test (the same rua, authorised by
# reports.test) and reverse zones with PTR records for the reports' source
# IPs; an HTTP sink is the alert webhook; Dovecot (tests/lib/dovecot.sh)
# holds a [report_mailbox].  mailpulsed has a [listener] that takes
# dmarc@reports.test as a report address, a drop_dir, failure_threshold 1.
#  a. an aggregate report for reports.test (gzipped XML attached to an
#     e-mail; 900 messages pass from 192.0.2.10, 100 fail from 198.51.100.7)
#     is mailed to the listener with swaks: the domain page, the API and
#     /metrics show it (90.0%, 900 pass, ratio 0.9);
#  b. the same e-mail again: a duplicate, counts unchanged;
#  c. invalid XML dropped into drop_dir: the file goes, the quarantine gets
#     it with a .reason, nothing is counted;
#  d. a TLS-RPT JSON report POSTed to /api/v1/reports: 201 with the token,
#     401/403 without, 200 for the duplicate; its failures are shown;
#  e. REPORT_UNKNOWN_SOURCE and REPORT_COMPLIANCE_LOW reach the webhook;
#  f. the sources table carries 192.0.2.10's PTR name and its base;
#  g. the IMAP box's report (for imapbox.test) is ingested, its non-report
#     message quarantined, and both are deleted from the box;
#  h. no secret (API token, IMAP password, webhook URL) in the log, the
#     pages or the API; SIGTERM exits 0.
# Every wait is bounded; no sleep is blind.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
LIB="$top_srcdir/tests/lib"
PATH=$PATH:/usr/sbin:/sbin
RAND=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
TOKEN=rep-token-$RAND
IMAP_USER=reports@reports.test
IMAPPW="imap$RAND wxyz"
HOOK_PATH=/ok/hook-$RAND-secret-path

need_tools nsd dig curl swaks
need_python
[ -x "$MPD" ] || bail "no mailpulsed binary in $top_builddir"
command -v dovecot >/dev/null 2>&1 || skip_all "dovecot is not installed (scripts/setup)"
[ -x /usr/lib/dovecot/imap ] || skip_all "dovecot-imapd is not installed"
command -v doveadm >/dev/null 2>&1 || skip_all "doveadm is not installed"

# --- the world: zones, NSD, CA, Dovecot, sink
chmod 0711 "$TESTTMP"
ZONES="$TESTTMP/zones"
mkdir -p "$ZONES"
soa() { printf '$ORIGIN %s.\n$TTL 300\n@ SOA ns.reports.test. hostmaster.reports.test. 1 3600 600 86400 60\n@ NS ns.reports.test.\n' "$1"; }
{
  soa reports.test
  cat <<'EOZ'
ns A 127.0.0.1
@ MX 10 mx.reports.test.
mx A 192.0.2.25
@ TXT "v=spf1 ip4:192.0.2.10 -all"
_dmarc TXT "v=DMARC1; p=none; rua=mailto:dmarc@reports.test"
imapbox.test._report._dmarc TXT "v=DMARC1"
_smtp._tls TXT "v=TLSRPTv1; rua=mailto:dmarc@reports.test"
EOZ
} >"$ZONES/reports.test.zone"
{
  soa imapbox.test
  cat <<'EOZ'
@ MX 10 mx.reports.test.
@ TXT "v=spf1 ip4:203.0.113.20 -all"
_dmarc TXT "v=DMARC1; p=none; rua=mailto:dmarc@reports.test"
EOZ
} >"$ZONES/imapbox.test.zone"
{ soa 2.0.192.in-addr.arpa; echo '10 PTR MTA-Out7.Mailer.Example.NET.'; } >"$ZONES/2.0.192.in-addr.arpa.zone"
{ soa 100.51.198.in-addr.arpa; echo '7 PTR host7.spoofer.example.org.'; } >"$ZONES/100.51.198.in-addr.arpa.zone"
{ soa 113.0.203.in-addr.arpa; echo '1 PTR unrelated.example.'; } >"$ZONES/113.0.203.in-addr.arpa.zone"
nsd_start "$ZONES"
dig +short +norecurse -p "$DNSPORT" @127.0.0.1 10.2.0.192.in-addr.arpa PTR | grep -qi mta-out7 ||
  bail "NSD does not serve the PTR of 192.0.2.10"
ca_make localhost 127.0.0.1

export DOVECOT_SH_OWNER=$$
DPORTS=$(DOVECOT_SH_PASSWORD=$IMAPPW DOVECOT_SH_USER=$IMAP_USER \
  sh "$LIB/dovecot.sh" start "$TESTTMP/dovecot" "$TESTTMP/ca/cert.pem" "$TESTTMP/ca/key.pem") ||
  bail "Dovecot did not start"
cleanup_first "sh '$LIB/dovecot.sh' stop '$TESTTMP/dovecot'"
read -r _ IMAPS <<<"$DPORTS"
DCONF="$TESTTMP/dovecot/dovecot.conf"
sink_start
web_port
LPORT=$(free_port) || bail "no free port"
diag "NSD $DNSPORT, Dovecot IMAPS $IMAPS, listener $LPORT, web $WEB, sink $SP"

# --- the reports, built here (python3 email + gzip): dates within the last day
GEN="$TESTTMP/gen"
mkdir -p "$GEN"
$PY - "$GEN" <<'EOP' || bail "could not build the reports"
import gzip, json, sys, time
from email.message import EmailMessage
from email.utils import formatdate

out = sys.argv[1]
now = int(time.time())
begin, end = now - 20 * 3600, now - 3600

def record(ip, count, dkim, spf, auth):
    return f"""  <record>
    <row><source_ip>{ip}</source_ip><count>{count}</count>
      <policy_evaluated><disposition>none</disposition><dkim>{dkim}</dkim><spf>{spf}</spf></policy_evaluated>
    </row>
    <identifiers><header_from>{auth[0]}</header_from></identifiers>
    <auth_results>
      <dkim><domain>{auth[1]}</domain><result>{dkim}</result></dkim>
      <spf><domain>{auth[2]}</domain><result>{spf}</result></spf>
    </auth_results>
  </record>
"""

def feedback(org, rid, domain, records):
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feedback>
  <version>1.0</version>
  <report_metadata>
    <org_name>{org}</org_name>
    <email>noreply-dmarc@{org.lower().replace(' ', '')}.example</email>
    <report_id>{rid}</report_id>
    <date_range><begin>{begin}</begin><end>{end}</end></date_range>
  </report_metadata>
  <policy_published>
    <domain>{domain}</domain><adkim>r</adkim><aspf>r</aspf><p>none</p><sp>none</sp><pct>100</pct>
  </policy_published>
{"".join(records)}</feedback>
""".encode()

def mail(path, to, org, domain, attach, name, ctype):
    m = EmailMessage()
    m["From"] = f"noreply-dmarc@{org.lower().replace(' ', '')}.example"
    m["To"] = to
    m["Subject"] = f"Report domain: {domain} Submitter: {org} Report-ID: <{name}>"
    m["Date"] = formatdate(now)
    m["Message-ID"] = f"<{name}.{now}@reports.example>"
    m.set_content(f"This is an aggregate report from {org}.")
    maintype, subtype = ctype.split("/")
    m.add_attachment(attach, maintype=maintype, subtype=subtype, filename=name)
    open(path, "wb").write(m.as_bytes())

agg = feedback("Big Mailbox Provider", "rid-e2e-1", "reports.test", [
    record("192.0.2.10", 900, "pass", "pass", ("reports.test", "reports.test", "reports.test")),
    record("198.51.100.7", 100, "fail", "fail", ("reports.test", "spoofer.example.org", "spoofer.example.org")),
])
mail(f"{out}/agg.eml", "dmarc@reports.test", "Big Mailbox Provider", "reports.test",
     gzip.compress(agg), f"bigmailbox.example!reports.test!{begin}!{end}.xml.gz", "application/gzip")

box = feedback("Mailbox Reporter", "rid-e2e-imap", "imapbox.test", [
    record("203.0.113.20", 40, "pass", "pass", ("imapbox.test", "imapbox.test", "imapbox.test")),
])
mail(f"{out}/imap.eml", "reports@reports.test", "Mailbox Reporter", "imapbox.test",
     gzip.compress(box), f"mailboxreporter.example!imapbox.test!{begin}!{end}.xml.gz", "application/gzip")

m = EmailMessage()
m["From"] = "someone@elsewhere.example"
m["To"] = "reports@reports.test"
m["Subject"] = "not a report"
m["Date"] = formatdate(now)
m["Message-ID"] = f"<hello.{now}@elsewhere.example>"
m.set_content("Hello, this is just a note.")
open(f"{out}/note.eml", "wb").write(m.as_bytes())

iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
tls = {
    "organization-name": "TLS Reporter Org",
    "date-range": {"start-datetime": iso(begin), "end-datetime": iso(end)},
    "contact-info": "tlsrpt@tlsreporter.example",
    "report-id": "tls-e2e-1",
    "policies": [{
        "policy": {"policy-type": "sts",
                   "policy-string": ["version: STSv1", "mode: enforce", "mx: mx.reports.test", "max_age: 86400"],
                   "policy-domain": "reports.test", "mx-host": ["mx.reports.test"]},
        "summary": {"total-successful-session-count": 90, "total-failure-session-count": 10},
        "failure-details": [{"result-type": "certificate-expired", "sending-mta-ip": "203.0.113.9",
                             "receiving-mx-hostname": "mx.reports.test", "failed-session-count": 10}],
    }],
}
open(f"{out}/tlsrpt.json", "w").write(json.dumps(tls))
# RFC 7489 appendix C, broken: a mismatched end tag.
open(f"{out}/bad.xml", "w").write(
    '<?xml version="1.0"?>\n<feedback><report_metadata><org_name>Broken</org_name>'
    '<report_id>rid-bad</report_id></report_metadata><record></feedback>\n')
EOP

# The IMAP box holds a report and a note before the daemon starts (its first poll takes them).
for m in imap note; do
  doveadm -c "$DCONF" save -u "$IMAP_USER" -m INBOX <"$GEN/$m.eml" || bail "doveadm save failed"
done
boxcount() { doveadm -c "$DCONF" search -u "$IMAP_USER" mailbox INBOX ALL | wc -l; }
is "$(boxcount)" 2 "the report mailbox holds a report and a note"

# --- the daemon
printf '%s\n' "$IMAPPW" >"$TESTTMP/imap-password"
chmod 600 "$TESTTMP/imap-password"
DROP="$TESTTMP/drop"
QUAR="$TESTTMP/quarantine"
mkdir -p "$DROP"
{
  conf_daemon "$TESTTMP/state" | sed -e 's/^failure_threshold = 2/failure_threshold = 1/' \
    -e 's/^\[daemon\]$/[daemon]\nlog_level = debug/'
  conf_web
  cat <<EOC
[domain reports.test]
selectors = mp1
discover_selectors = no
[domain imapbox.test]
selectors = mp1
discover_selectors = no
[listener]
listen = 127.0.0.1:$LPORT
hostname = mx.mon.test
[reports]
addresses = dmarc@reports.test
drop_dir = $DROP
drop_interval = 1s
quarantine_dir = $QUAR
unknown_min_messages = 50
[report_mailbox rbox]
host = 127.0.0.1
port = $IMAPS
tls = implicit
ca_file = $CA
username = $IMAP_USER
password_file = $TESTTMP/imap-password
folder = INBOX
timeout = 20s
[alert hook]
type = webhook
url = http://127.0.0.1:$SP$HOOK_PATH
allow_insecure = yes
EOC
} >"$CONF"
chmod 600 "$CONF"
"$MPD" -c "$CONF" --check-config >"$TESTTMP/check.out" 2>&1
ok $? "the config with [reports] and [report_mailbox] is accepted" ||
  bail "mailpulsed refuses the config: $(head -3 "$TESTTMP/check.out")"
start_daemon
# up: ready, or bail at once when the daemon died.
up() { ready || { gone_pid && bail "mailpulsed exited: $(tail -5 "$LOG")"; return 1; }; }
wait_for 20 up || bail "mailpulsed is not ready: $(tail -5 "$LOG")"

# rep DOMAIN EXPR: EXPR over r, the "reports" object of /api/v1/domains/DOMAIN/reports
# (saved as TESTTMP/reports-DOMAIN.json); "None" while there is none.
rep() {
  curl -s "$URL/api/v1/domains/$1/reports" >"$TESTTMP/reports-$1.json"
  $PY -c 'import json,sys
r = json.load(open(sys.argv[1])).get("reports")
print(None if r is None else eval(sys.argv[2]))' "$TESTTMP/reports-$1.json" "$2" 2>&1
}
HEAD="90.0% of mail from reports.test passed DMARC"
headline_is() { case "$(rep "$1" "r['headline']")" in "$2"*) return 0 ;; *) return 1 ;; esac; }
metric() { curl -s "$URL/metrics" | grep -F -- "$1"; }
# counts: "pass/fail" of the counters of reports.test.
counts() { rep reports.test "'%d/%d' % (r['counters']['pass'], r['counters']['fail'])"; }

# --- a. mailed to the listener
swaks --server 127.0.0.1 --port "$LPORT" --from noreply-dmarc@bigmailboxprovider.example \
  --to dmarc@reports.test --helo mail.bigmailbox.example --data "@$GEN/agg.eml" \
  >"$TESTTMP/swaks1.out" 2>&1
ok $? "swaks: the listener accepted the report e-mail" || tail -5 "$TESTTMP/swaks1.out" | sed 's/^/# /'
wait_for 30 headline_is reports.test "$HEAD"
ok $? "a. the API headline: $HEAD" || { diag "got: $(rep reports.test "r['headline']")"; diag_log 30; }
has "$(rep reports.test "r['headline']")" "in the last 7 days (1,000 messages)" "  over 7 days, 1,000 messages"
is "$(counts)" 900/100 "  counters: 900 pass, 100 fail"
is "$(rep reports.test "[(x['kind'], x['report_id'], x['source']) for x in r['recent']]")" \
  "[('aggregate', 'rid-e2e-1', 'listener')]" "  one report, from the listener"
PAGE=$(curl -s "$URL/domain/reports.test")
has "$PAGE" "$HEAD" "  the domain page shows the headline"
has "$PAGE" "198.51.100.7" "  and the unknown source"
metric 'mailpulse_dmarc_messages_total{domain="reports.test",result="pass"} 900' >/dev/null
ok $? "  /metrics: mailpulse_dmarc_messages_total pass 900" || metric mailpulse_dmarc | sed 's/^/# /'
metric 'mailpulse_dmarc_messages_total{domain="reports.test",result="fail"} 100' >/dev/null
ok $? "  /metrics: mailpulse_dmarc_messages_total fail 100"
metric 'mailpulse_dmarc_pass_ratio{domain="reports.test",window="7d"} 0.9' >/dev/null
ok $? "  /metrics: mailpulse_dmarc_pass_ratio 7d 0.9"

# --- b. the same report again: counted once
dups() { grep -c "report duplicate .*id=rid-e2e-1 source=listener" "$LOG"; }
swaks --server 127.0.0.1 --port "$LPORT" --from noreply-dmarc@bigmailboxprovider.example \
  --to dmarc@reports.test --helo mail.bigmailbox.example --data "@$GEN/agg.eml" \
  >"$TESTTMP/swaks2.out" 2>&1
ok $? "b. swaks: the same e-mail again is accepted"
dup_seen() { [ "$(dups)" -ge 1 ]; }
wait_for 20 dup_seen
ok $? "  the daemon saw a duplicate" || diag_log 20
is "$(counts)" 900/100 "  counters unchanged"
is "$(rep reports.test "len(r['recent'])")" 1 "  still one report"

# --- c. invalid XML in the drop dir
cp "$GEN/bad.xml" "$DROP/.bad.tmp" && mv "$DROP/.bad.tmp" "$DROP/bad-report.xml"
wait_for 20 test ! -e "$DROP/bad-report.xml"
ok $? "c. the invalid file left the drop dir" || diag_log 20
# quarantined_from WHAT: a .reason file in the quarantine whose source starts with WHAT.
quarantined_from() { grep -l "^source: $1" "$QUAR"/*.reason >/dev/null 2>&1; }
wait_for 10 quarantined_from drop
ok $? "  a .reason file for it is in the quarantine" || ls -la "$QUAR" 2>&1 | sed 's/^/# /'
R=$(grep -l "^source: drop" "$QUAR"/*.reason 2>/dev/null | head -1)
has "$(cat "$R" 2>/dev/null)" "reason: " "  saying why"
ok "$([ -n "$R" ] && cmp -s "${R%.reason}" "$GEN/bad.xml" && echo 0 || echo 1)" \
  "  the input is kept whole beside it"
is "$(counts)" 900/100 "  nothing counted"
is "$(rep reports.test "len(r['recent'])")" 1 "  no report added"

# --- d. TLS-RPT through the API
post() { # AUTH-HEADER-OR-EMPTY: the HTTP status of a POST of the TLS-RPT file
  local h=()
  [ -n "$1" ] && h=(-H "$1")
  curl -s -o "$TESTTMP/post.out" -w '%{http_code}' "${h[@]}" -H 'Content-Type: application/tlsrpt+json' \
    --data-binary "@$GEN/tlsrpt.json" "$URL/api/v1/reports"
}
CODE=$(post "")
ok "$([ "$CODE" = 401 ] || [ "$CODE" = 403 ] && echo 0 || echo 1)" "d. POST /api/v1/reports without the token: $CODE (401/403)"
CODE=$(post "Authorization: Bearer wrong-$RAND")
ok "$([ "$CODE" = 401 ] || [ "$CODE" = 403 ] && echo 0 || echo 1)" "  with a wrong token: $CODE (401/403)"
is "$(post "Authorization: Bearer $TOKEN")" 201 "  with the token: 201" || sed 's/^/# /' "$TESTTMP/post.out"
is "$(post "Authorization: Bearer $TOKEN")" 200 "  the duplicate: 200"
tls_row() { rep reports.test "[(x['reporter'], x['policy_type'], x['policy_domain'], x['success'], x['failure']) for x in r['tlsrpt']]"; }
TLS_WANT="[('TLS Reporter Org', 'sts', 'reports.test', 90, 10)]"
tls_ok() { [ "$(tls_row)" = "$TLS_WANT" ]; }
wait_for 20 tls_ok
ok $? "  the TLS-RPT table: 90 successful, 10 failed sessions" || diag "got: $(tls_row)"
has "$(rep reports.test "r['tlsrpt'][0]['failure_types']")" certificate-expired "  failure type certificate-expired"
has "$(curl -s "$URL/domain/reports.test")" certificate-expired "  shown on the domain page"
metric 'mailpulse_tlsrpt_failed_sessions{domain="reports.test"} 10' >/dev/null
ok $? "  /metrics: mailpulse_tlsrpt_failed_sessions 10"
is "$(counts)" 900/100 "  DMARC counters untouched"

# --- e. the findings reach the webhook
sink_has() { grep -l -- "$1" "$SINK"/*.req 2>/dev/null | xargs -r grep -l -- "$2" | xargs -r grep -l "^POST $HOOK_PATH" >/dev/null 2>&1; }
wait_for 30 sink_has REPORT_UNKNOWN_SOURCE reports.test
ok $? "e. REPORT_UNKNOWN_SOURCE reached the webhook" || { ls "$SINK" | sed 's/^/# /'; diag_log 20; }
wait_for 10 sink_has REPORT_COMPLIANCE_LOW reports.test
ok $? "  REPORT_COMPLIANCE_LOW too"
F=$(grep -l REPORT_UNKNOWN_SOURCE "$SINK"/*.req 2>/dev/null | head -1)
has "$(cat "$F" 2>/dev/null)" '"reports"' "  in an alert of check \"reports\""
has "$(cat "$F" 2>/dev/null)" 198.51.100.7 "  naming the source"

# --- f. reverse DNS of the sources
ptr_of() { rep reports.test "[(x['ptr'], x['base']) for x in r['sources'] if x['ip'] == '$1']"; }
# ptr_is IP PTR BASE: the sources table says so.
ptr_is() { [ "$(ptr_of "$1")" = "[('$2', '$3')]" ]; }
wait_for 30 ptr_is 192.0.2.10 mta-out7.mailer.example.net example.net
ok $? "f. 192.0.2.10: PTR mta-out7.mailer.example.net, base example.net" ||
  { diag "got: $(ptr_of 192.0.2.10)"; grep -i rdns "$LOG" | tail -5 | sed 's/^/# /'; }
wait_for 10 ptr_is 198.51.100.7 host7.spoofer.example.org example.org
ok $? "  198.51.100.7: PTR host7.spoofer.example.org, base example.org" || diag "got: $(ptr_of 198.51.100.7)"
has "$(curl -s "$URL/domain/reports.test")" mta-out7.mailer.example.net "  the PTR name is on the domain page"

# --- g. the IMAP report mailbox
wait_for 30 headline_is imapbox.test "100% of mail from imapbox.test passed DMARC"
ok $? "g. the IMAP box's report is ingested (imapbox.test: 100%)" || { diag "got: $(rep imapbox.test "r['headline']")"; diag_log 20; }
is "$(rep imapbox.test "[(x['report_id'], x['source']) for x in r['recent']]")" \
  "[('rid-e2e-imap', 'imap:rbox')]" "  from imap:rbox"
quarantined_from imap
ok $? "  the note that is no report is quarantined"
box_empty() { [ "$(boxcount)" = 0 ]; }
wait_for 20 box_empty
ok $? "  both messages are deleted from the box (doveadm)" || diag "left: $(boxcount)"
is "$(counts)" 900/100 "  reports.test unchanged"

# --- h. secrets and SIGTERM
curl -s "$URL/" "$URL/domain/reports.test" "$URL/domain/imapbox.test" "$URL/api/v1/domains" \
  "$URL/api/v1/domains/reports.test" "$URL/metrics" >"$TESTTMP/pages"
ALL=$(cat "$LOG" "$TESTTMP/pages" "$TESTTMP"/reports-*.json "$TESTTMP/check.out")
hasnt "$ALL" "$TOKEN" "h. the API token is in no log, page or API output"
hasnt "$ALL" "$IMAPPW" "  nor the IMAP password"
hasnt "$ALL" "imap$RAND" "  not even its first part"
hasnt "$ALL" "hook-$RAND-secret-path" "  nor the webhook URL"
daemon_term 10 "SIGTERM: mailpulsed exits within 10 s" "with status 0"
done_testing
