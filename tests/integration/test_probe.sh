#!/bin/bash
# tests/integration/test_probe.sh: probes end to end through real parts
# (issue 4 "Tests (real parts)").  NSD serves tests/fixtures/probe/ (SPF
# allowing 127.0.0.1, the mp1 DKIM key of tests/fixtures/keys/good-mp1.pem,
# DMARC p=reject); a real Exim (tests/lib/exim.sh, STARTTLS + AUTH, in relay
# mode: EXIM_SH_RELAY_PORT) is the submission relay and relays every
# message to mailpulsed's own SMTP listener; an HTTP sink stands in for the
# alert webhook.
#
#  1. probe.test (probe_sign = mp1) sends a probe every minute (the first within 6 s): it goes out
#     through Exim, comes back to the listener and is VERIFIED with
#     dmarc=pass, its round trip recorded (API /api/v1/domains/NAME/probes,
#     /metrics mailpulse_probe_success 1).
#  2. unknown.probe.test sends to gone@mon.test, an unknown user in a
#     listener domain, which the listener refuses with 550 5.1.1; Exim
#     already accepted the message from the authenticated client, so it
#     generates a real DSN to the VERP address, which it relays back to the
#     listener: the probe is BOUNCED with status 5.1.1, reply code 550 and
#     reason userunknown.  (Not nobody@: Exim's own ACL refuses that one at
#     submission.)
#  3. other.test sends unsigned; the relay signs it as its ESP would, with
#     d=espsign.test (EXIM_SH_DKIM_*, tests/fixtures/probe/espsign.test.zone),
#     and the envelope sender is at bounces.probe.test: DKIM passes and SPF
#     passes, both for domains not aligned with other.test, so DMARC
#     (p=reject) fails: PROBE_MISALIGNED / PROBE_DMARC_FAIL and an alert at
#     the webhook sink.
#  4. SIGTERM drains (exit 0 within 10 s); the relay password appears
#     nowhere in the log, the API or the pages.
# Exim needs root (Debian's exim4 takes -C only from root): without it, or
# without the relay mode of tests/lib/exim.sh, the whole test is skipped,
# saying so.  Every wait is bounded.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/lib/probe.sh"

probe_need
grep -q EXIM_SH_RELAY_PORT "$LIB/exim.sh" || skip_all "tests/lib/exim.sh has no relay mode yet"

chmod 0711 "$TESTTMP"
zones_copy "$FIX"/*.zone
export EXIM_SH_OWNER=$$
nsd_start "$ZONES"
ca_make mta.test 127.0.0.1
# The relay signs everything it relays as espsign.test, like an ESP without
# custom DKIM (case 3).
probe_exim_start EXIM_SH_DKIM_DOMAIN=espsign.test EXIM_SH_DKIM_SELECTOR=s1 \
  EXIM_SH_DKIM_KEY="$top_srcdir/tests/fixtures/keys/esp-s1.pem"
sink_start
web_port
probe_files

{
  conf_daemon "$TESTTMP/state" | sed 's/^failure_threshold = 2/failure_threshold = 1/'
  conf_web
  probe_conf 60s
  cat <<EOC
[alert hook]
type = webhook
url = http://127.0.0.1:$SP/hook
allow_insecure = yes
[domain probe.test]
selectors = mp1
discover_selectors = no
dkim_key = mp1=$TESTTMP/mp1.pem
probe_interval = 1m
probe_relay = exim
probe_to = probe@mon.test
probe_sign = mp1
[domain unknown.probe.test]
discover_selectors = no
probe_interval = 1m
probe_relay = exim
probe_to = gone@mon.test
[domain other.test]
discover_selectors = no
probe_interval = 1m
probe_relay = exim
probe_to = probe@mon.test
EOC
} >"$CONF"
chmod 600 "$CONF"
"$MPD" -c "$CONF" --check-config >"$TESTTMP/check.out" 2>&1
ok $? "the config with [listener], [probe], [relay] and probe keys is accepted" ||
  sed 's/^/# /' "$TESTTMP/check.out"

start_daemon
wait_for 20 ready || bail "mailpulsed is not ready: $(tail -5 "$LOG")"

# state_seen DOMAIN STATE: some probe of DOMAIN is in STATE.
state_seen() { [ "$(pfield "$1" "any(x.get('state') == '$2' for x in p)")" = True ]; }

# 1. A probe goes out and comes back verified.
wait_for 40 state_seen probe.test verified
ok $? "probe.test: a probe came back VERIFIED" || diag_log 30
is "$(pfield probe.test "[x['dmarc'] for x in p if x['state'] == 'verified'][0]")" pass "with dmarc=pass"
is "$(pfield probe.test "[x['folder'] for x in p if x['state'] == 'verified'][0]")" listener \
  "received by the listener"
is "$(pfield probe.test "0 < [x['roundtrip_seconds'] for x in p if x['state'] == 'verified'][0] < 30")" \
  True "round trip recorded"
curl -s "$URL/metrics" >"$TESTTMP/metrics"
has "$(grep '^mailpulse_probe_success' "$TESTTMP/metrics")" 'domain="probe.test"} 1' \
  "/metrics mailpulse_probe_success 1"
grep -q '^mailpulse_probe_roundtrip_seconds' "$TESTTMP/metrics"
ok $? "/metrics mailpulse_probe_roundtrip_seconds"
grep -q 'dkim=pass' "$TESTTMP/probes-probe.test.json"
ok $? "our Authentication-Results says dkim=pass"

# 2. The listener refuses an unknown user of its domain (550 5.1.1):
# Exim's own DSN comes back to the VERP address and says so.
wait_for 60 state_seen unknown.probe.test bounced
ok $? "unknown.probe.test: Exim's DSN made the probe BOUNCED" || diag_log 30
BOUNCED="[x['bounce'] for x in p if x['state'] == 'bounced'][0]"
is "$(pfield unknown.probe.test "$BOUNCED['status']")" 5.1.1 "bounce status 5.1.1"
is "$(pfield unknown.probe.test "$BOUNCED['reason']")" userunknown "bounce reason userunknown"
is "$(pfield unknown.probe.test "$BOUNCED['reply_code']")" 550 \
  "bounce reply code 550 (the listener's refusal)"
grep -q 'gone@mon.test' "$TESTTMP/probes-unknown.probe.test.json"
ok $? "the bounce names the refused recipient"

# 3. Misaligned: DMARC fails and the webhook hears of it.
wait_for 40 state_seen other.test failed
ok $? "other.test: the misaligned probe FAILED" || diag_log 30
is "$(pfield other.test "[x['dmarc'] for x in p if x['state'] == 'failed'][0]")" fail "dmarc=fail"
FAILED="[x for x in p if x['state'] == 'failed'][0]"
pfield other.test "$FAILED" >"$TESTTMP/other-failed.txt"
is "$(pfield other.test "[s['result'] for s in $FAILED['detail']['dkim'] if s['domain'] == 'espsign.test']")" \
  "['pass']" "the relay's signature d=espsign.test passed" ||
  sed 's/^/#   /' "$TESTTMP/other-failed.txt" | cut -c1-400
is "$(pfield other.test "[s for s in $FAILED['detail']['dkim'] if s['domain'] == 'other.test']")" \
  "[]" "no signature by other.test: nothing could align"
hook_has() { grep -l 'PROBE_MISALIGNED\|PROBE_DMARC_FAIL' "$SINK"/* >/dev/null 2>&1; }
wait_for 30 hook_has
ok $? "an alert for other.test's probe reached the webhook"

# 4. Secrets and SIGTERM.
curl -s "$URL/" "$URL/domain/probe.test" "$URL/api/v1/domains/probe.test" >"$TESTTMP/pages"
hasnt "$(cat "$LOG" "$TESTTMP/pages" "$TESTTMP"/probes-*.json)" "$PASS" \
  "the relay password is not in the log, the API or the pages"
daemon_term 10 "SIGTERM: mailpulsed exits within 10 s" "with status 0"
done_testing
