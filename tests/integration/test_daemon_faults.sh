#!/bin/bash
# tests/integration/test_daemon_faults.sh: the real mailpulsed under the
# faults of issue 3 that tests/integration/test_daemon.sh does not cover, with
# the same real parts: NSD serving tests/fixtures/daemon/ (tests/lib/nsd.sh),
# an HTTPS sink (tests/lib/http_sink.py, throw-away CA) behind three channels
# (Slack and a webhook answering 200, a webhook answering 404), the SQLite
# store on disk.
#   a. The resolver stops answering (NSD stopped with SIGSTOP mid-run, so
#      queries time out): no domain alert of any kind, exactly one "monitoring
#      degraded" alert per channel (not one per domain), checks shown unknown
#      (not failing) with the last good result kept, the banner says degraded;
#      NSD back: the degraded alert resolves on the channels that got it.
#   b. A webhook answering 404: failed after one attempt (no retry), visible
#      in /api/v1/alerts, on the domain page and in /metrics; no URL or token
#      on any page, API, metrics or log.
#   c. kill -9 mid-episode (the alert firing), the zone repaired while the
#      daemon is down: nothing lost (every completed check is in the store),
#      PRAGMA integrity_check ok, nothing sent twice, the resolve arrives once.
#   d. SIGHUP onto a resolver port where nothing listens (connection
#      refused, not timeouts): the same guard, one more degraded alert per
#      channel, still no domain alert; SIGHUP back: it resolves.
#   e. SIGTERM while the resolver hangs: exits 0 within 5 s, nothing lost.
# Checks are triggered through POST /api/v1/domains/NAME/check; every wait is
# bounded by a deadline.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
FIX="$top_srcdir/tests/fixtures/daemon"
TOKEN=faults-test-token-0123456789abcdef
HOOK404=hook404-secret-token-5f1d0c
SLACKP=slack-faults-secret-path-9a7e
HOOKP=hook-faults-secret-path-31c2

need_tools nsd curl dig
need_python
[ -x "$MPD" ] || bail "no mailpulsed binary at $MPD"

# --- the world: zones (copied, so the test can break them), NSD, CA, sink
zones_copy "$FIX/alpha.test.zone" "$FIX/beta.test.zone" "$FIX/test.zone"
nsd_start "$ZONES"
# SIGCONT first: a stopped NSD only dies of SIGKILL.
cleanup_first "kill -CONT -- -$NSDPID 2>/dev/null"
ca_make localhost
sink_start tls
web_port
SECRET=$(webhook_secret)

# A short DNS timeout and one try: a stopped NSD turns into timeouts quickly
# (600 ms: loopback answers take milliseconds, even on a loaded machine).
{
  conf_daemon
  printf 'timeout = 600ms\ntries = 1\n'
  conf_web
  conf_domains alpha.test beta.test
  cat <<EOC
[alert ops-slack]
type = slack
url = https://localhost:$SP/ok/$SLACKP
ca_file = $CA
people = 2
[alert hook]
type = webhook
url = https://localhost:$SP/ok/$HOOKP
ca_file = $CA
secret = $SECRET
[alert hook404]
type = webhook
url = https://localhost:$SP/status/404/$HOOK404
ca_file = $CA
secret = $SECRET
EOC
} >"$CONF"
chmod 600 "$CONF"

DB="$TESTTMP/state/mailpulse.db"
# alive PHASE: bail out (with the daemon's last words) if it died unexpectedly.
alive() {
  kill -0 "$DPID" 2>/dev/null && return 0
  diag "the daemon died during $1; its log:"
  sed -n '/ERROR: \|runtime error\|SUMMARY/,$p' "$LOG" | head -60 | sed 's/^/# /'
  tail -20 "$LOG" | sed 's/^/# /'
  bail "mailpulsed died during $1"
}
# round: check alpha.test and beta.test now and wait until both are done.
round() {
  local a b
  alive "a check round"
  a=$(($(done_n alpha.test) + 1)); b=$(($(done_n beta.test) + 1))
  check_now alpha.test; check_now beta.test
  wait_for 20 done_ge alpha.test "$a" && wait_for 20 done_ge beta.test "$b"
}
# sql QUERY: one value from the store (read-only, while the daemon runs or not).
sql() {
  $PY -c 'import sqlite3,sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
r = c.execute(sys.argv[2]).fetchone()
print(r[0] if r else "")' "$DB" "$1" 2>&1
}
# sink_n PATH-PART [PYTHON-CONDITION]: requests to a path holding PATH-PART
# whose body (b, bytes; j, the JSON body or None) satisfies the condition.
sink_n() {
  $PY - "$SINK" "$1" "${2:-True}" <<'EOP'
import glob, json, sys
n = 0
for f in sorted(glob.glob(sys.argv[1] + "/*.req")):
    raw = open(f, "rb").read()
    head, _, b = raw.partition(b"\n\n")
    if sys.argv[2].encode() not in head.split(b"\n")[0]:
        continue
    try:
        j = json.loads(b)
    except ValueError:
        j = None
    n += bool(eval(sys.argv[3]))
print(n)
EOP
}
sink_ge() { [ "$(sink_n "$1" "$2")" -ge "$3" ]; }
nsd_stop() { kill -STOP -- "-$NSDPID"; }
nsd_cont() { kill -CONT -- "-$NSDPID"; }
# Webhook events are matched on their JSON fields, Slack messages on their text.
DEGRADED_HOOK='j and j["check"] == "monitoring" and j["domain"] is None and j["status"] == "firing"'
RESOLVED_HOOK='j and j["check"] == "monitoring" and j["status"] == "resolved"'
DOMAIN_MSG='b"alpha.test" in b or b"beta.test" in b'

start_daemon
wait_for 30 ready; ok $? "/-/ready after the first round" || bail "the daemon did not become ready"
wait_for 10 round; ok $? "a second good round for both domains"
is "$(jq /api/v1/domains 'sorted((x["name"], x["status"]) for x in d["domains"])')" \
  "[('alpha.test', 'ok'), ('beta.test', 'ok')]" "API: both domains ok while NSD answers"
GOOD_ID=$(sql "SELECT good_id FROM latest WHERE domain='alpha.test' AND check_name='dkim'")
LAST_OK=$(jq /api/v1/domains/alpha.test '{c["name"]: c["last_ok"] for c in d["domain"]["checks"]}')

# ---- a. the resolver stops answering -------------------------------------
nsd_stop
sleep 1.2 # the fixture zones' TTL is 1 s: nothing useful stays cached
round; ok $? "a round completes while NSD is stopped (queries time out)"
degraded() { grep -q "monitoring-degraded" "$LOG"; }
wait_for 10 degraded; ok $? "the daemon logs monitoring-degraded"
# Rounds beyond failure_threshold (2): domain alerts would fire by now.
st=0; for _ in 1 2; do round || st=1; done
ok $st "two more rounds while NSD is stopped"
wait_for 15 sink_ge "$SLACKP" 'b"CRITICAL mailpulse: Monitoring degraded" in b' 1; ok $? "Slack: the monitoring degraded alert arrived"
wait_for 15 sink_ge "$HOOKP" "$DEGRADED_HOOK" 1; ok $? "webhook: the monitoring degraded event arrived"
wait_for 15 sink_ge "$HOOK404" "$DEGRADED_HOOK" 1; ok $? "404 webhook: the degraded event was tried"
round; sleep 1.5 # one more round and one group_wait: a duplicate would be out by now
is "$(sink_n "$SLACKP" 'b"CRITICAL mailpulse: Monitoring degraded" in b')" 1 "Slack: exactly one degraded alert (not one per domain or round)"
is "$(sink_n "$HOOKP" "$DEGRADED_HOOK")" 1 "webhook: exactly one degraded event"
is "$(sink_n "$HOOK404" "$DEGRADED_HOOK")" 1 "404 webhook: exactly one degraded attempt"
is "$(sink_n / "$DOMAIN_MSG")" 0 "no domain alert of any kind reached the sink"
is "$(jq /api/v1/domains 'd["monitoring_degraded"], d["status"]')" "(True, 'degraded')" \
  "API: monitoring_degraded true, status degraded"
is "$(jq /api/v1/domains 'sorted(set(c["severity"] for x in d["domains"] for c in x["checks"]))')" \
  "['unknown']" "API: every check of both domains is unknown (not failing)"
is "$(jq /api/v1/domains 'sorted(set(c["state"] for x in d["domains"] for c in x["checks"]))')" \
  "['unknown']" "API: no check is pending or firing"
is "$(jq /api/v1/domains/alpha.test '{c["name"]: c["last_ok"] for c in d["domain"]["checks"]}')" \
  "$LAST_OK" "API: each check's last_ok is still the good round's"
is "$(sql "SELECT good_id FROM latest WHERE domain='alpha.test' AND check_name='dkim'")" "$GOOD_ID" \
  "store: the last good DKIM result is kept"
is "$(sql "SELECT r.severity FROM latest l JOIN results r ON r.id = l.good_id WHERE l.domain='alpha.test' AND l.check_name='dkim'")" \
  ok "store: and it is still the ok result"
is "$(sql "SELECT r.severity FROM latest l JOIN results r ON r.id = l.last_id WHERE l.domain='alpha.test' AND l.check_name='dkim'")" \
  unknown "store: the newest DKIM result is unknown"
REASON=$(sql "SELECT r.reason FROM latest l JOIN results r ON r.id = l.last_id WHERE l.domain='alpha.test' AND l.check_name='dkim'")
[ -n "$REASON" ] && [ "$REASON" != None ]; ok $? "store: the unknown result has its reason ($REASON)"
is "$(sql "SELECT count(*) FROM episodes WHERE domain <> ''")" 0 "store: no domain episode was opened"
PAGE=$(curl -s "$URL/")
has "$PAGE" '<section class="banner degraded" id="banner"><h1>Degraded</h1>' "overview: the banner says Degraded"
has "$PAGE" "cannot reach its DNS resolver" "overview: the banner says why"
has "$(curl -s "$URL/domain/alpha.test")" "earlier results are kept" "domain page: the unknown result is explained"
has "$(curl -s "$URL/metrics")" "mailpulse_monitoring_degraded 1" "/metrics: mailpulse_monitoring_degraded 1"

# NSD back: the guard clears, the degraded alert resolves where it was delivered.
nsd_cont
restored() { grep -q "monitoring-restored" "$LOG"; }
poke_restored() { round; restored; }
wait_for 20 poke_restored; ok $? "NSD back: the daemon logs monitoring-restored"
poke_resolved() { round; sleep 0.3; sink_ge "$HOOKP" "$RESOLVED_HOOK" 1 && sink_ge "$SLACKP" 'b"RESOLVED mailpulse: Monitoring degraded" in b' 1; }
wait_for 30 poke_resolved; ok $? "the degraded alert resolved on Slack and the webhook"
round; round; sleep 1.5
is "$(sink_n "$HOOKP" "$RESOLVED_HOOK")" 1 "webhook: exactly one resolve"
is "$(sink_n "$SLACKP" 'b"RESOLVED mailpulse: Monitoring degraded" in b')" 1 "Slack: exactly one resolve"
is "$(sink_n "$HOOK404")" 1 "404 webhook: no resolve (its firing was never delivered), no retry"
is "$(sink_n / "$DOMAIN_MSG")" 0 "still no domain alert after the resolver came back"
is "$(jq /api/v1/domains 'd["monitoring_degraded"], d["status"]')" "(False, 'ok')" "API: back to ok"
has "$(curl -s "$URL/")" '<h1>All good</h1>' "overview: the banner says All good again"

# ---- b. a webhook answering 404 ------------------------------------------
alive "the resolver outage"
zone_set alpha.test 2 drop-dkim
wait_for 20 no_key alpha.test; ok $? "NSD serves alpha.test without its DKIM key"
FIRING_ALPHA='j and j["domain"] == "alpha.test" and j["status"] == "firing"'
poke_fired() { check_now alpha.test; sleep 0.5; sink_ge "$HOOK404" "$FIRING_ALPHA" 1; }
wait_for 40 poke_fired; ok $? "the alpha.test DKIM alert was sent to the 404 webhook"
hook404_final() {
  [ "$(jq /api/v1/alerts '[x["status"] for e in d["episodes"] if e["domain"] == "alpha.test" for x in e["deliveries"] if x["channel"] == "hook404"]')" = "['failed']" ]
}
wait_for 15 hook404_final; ok $? "API: the 404 delivery is marked failed"
DLV=$(jq /api/v1/alerts '[(x["status"], x["error"], x["attempts"]) for e in d["episodes"] if e["domain"] == "alpha.test" for x in e["deliveries"] if x["channel"] == "hook404"]')
is "$DLV" "[('failed', 'HTTP 404', 1)]" "API: failed after one attempt, with the HTTP code"
wait_for 15 sink_ge "$SLACKP" 'b"CRITICAL alpha.test: DKIM key missing" in b' 1; ok $? "Slack got the alpha.test alert"
is "$(jq /api/v1/alerts '[c["failed"] for c in d["channels"] if c["name"] == "hook404"]')" "[2]" \
  "API: channel hook404 counts 2 failures (the degraded alert and this one)"
DPAGE=$(curl -s "$URL/domain/alpha.test")
has "$DPAGE" 'hook404 <span class="muted">(webhook)</span>: <b>failed</b> after 1 attempt,' \
  "domain page: the delivery shows failed after 1 attempt"
has "$DPAGE" "HTTP 404" "domain page: with the HTTP code"
has "$(curl -s "$URL/")" "<b class=\"pill sev-critical\">2</b>" "overview: the channel table shows the failures"
METRICS=$(curl -s "$URL/metrics")
FAILED=$(printf '%s\n' "$METRICS" | sed -n 's/^mailpulse_notifications_failed_total{channel="hook404"[^}]*} \([0-9]*\)$/\1/p')
[ "${FAILED:-0}" -gt 0 ] 2>/dev/null; ok $? "/metrics: mailpulse_notifications_failed_total{channel=\"hook404\"} > 0 (${FAILED:-missing})"
sleep 1.5
is "$(sink_n "$HOOK404" "$FIRING_ALPHA")" 1 "404 webhook: one attempt only (a 4xx is not retried)"
EVERYTHING="$(curl -s "$URL/")$DPAGE$(curl -s "$URL/api/v1/domains")$(curl -s "$URL/api/v1/domains/alpha.test")$(curl -s "$URL/api/v1/alerts")$METRICS$(curl -s "$URL/badge/alpha.test.svg")"
for s in "$HOOK404" "$SLACKP" "$HOOKP" "$SECRET" "$TOKEN"; do
  hasnt "$EVERYTHING" "$s" "no secret (${s:0:8}...) on the pages, API, badge or metrics"
done

# ---- c. kill -9 mid-episode ----------------------------------------------
alive "the 404 delivery"
settled() { [ "$(jq /api/v1/alerts 'sum(c["queued"] for c in d["channels"])')" = 0 ]; }
wait_for 20 settled; ok $? "every queued notification got its final outcome"
is "$(jq /api/v1/domains/alpha.test '[e["open"] for e in d["domain"]["episodes"] if e["check"] == "dkim" and e["severity"] == "critical"]')" \
  "[True]" "the alpha.test DKIM episode is open (firing)"
n=$(done_n alpha.test); check_now alpha.test; wait_for 20 done_ge alpha.test $((n + 1))
sleep 1 # the round's batch commits right after its check-done line
# Results of one check per completed run: no completed check may be missing.
stored() { sql "SELECT count(*) FROM results WHERE domain='$1' AND check_name='spf'"; }
SENT_BEFORE=$(ls "$SINK"/*.req | wc -l)
kill -9 "$DPID"; wait "$DPID" 2>/dev/null
is "$(sql 'PRAGMA integrity_check')" ok "PRAGMA integrity_check after kill -9"
is "$(stored alpha.test)" "$(done_n alpha.test)" "kill -9: every completed alpha.test check is in the store"
is "$(stored beta.test)" "$(done_n beta.test)" "kill -9: every completed beta.test check is in the store"
# While the daemon is down the zone is repaired: the restart must resolve the episode.
zone_set alpha.test 3
wait_for 20 has_key alpha.test; ok $? "NSD serves the DKIM key again (daemon down)"
start_daemon
wait_for 30 ready; ok $? "restarted and ready"
RESOLVED_ALPHA='j and j["domain"] == "alpha.test" and j["status"] == "resolved"'
poke_alpha_resolved() { check_now alpha.test; sleep 0.5; sink_ge "$HOOKP" "$RESOLVED_ALPHA" 1 && sink_ge "$SLACKP" 'b"RESOLVED alpha.test: DKIM key missing" in b and b"lasted" in b' 1; }
wait_for 40 poke_alpha_resolved; ok $? "the episode that cleared while the daemon was down resolved on both channels"
check_now alpha.test; sleep 1.5
is "$(sink_n "$HOOKP" "$FIRING_ALPHA")" 1 "webhook: the firing was not sent again after the restart"
is "$(sink_n "$SLACKP" 'b"CRITICAL alpha.test" in b')" 1 "Slack: the firing was not sent again"
is "$(sink_n "$HOOKP" "$RESOLVED_ALPHA")" 1 "webhook: one resolve"
is "$(sink_n "$SLACKP" 'b"RESOLVED alpha.test: DKIM key missing" in b and b"lasted" in b')" 1 "Slack: one resolve"
is "$(sink_n "$HOOK404" "$RESOLVED_ALPHA")" 0 "404 webhook: no resolve for a firing that failed"
is "$(jq /api/v1/domains/alpha.test '[e["open"] for e in d["domain"]["episodes"] if e["check"] == "dkim"]')" \
  "[False, False]" "API: the critical and the (held back) warn DKIM episodes are closed"
diag "sink requests: $SENT_BEFORE before kill -9, $(ls "$SINK"/*.req | wc -l) now"

# ---- d. reload onto a resolver port where nothing listens ----------------
# Queries get ICMP port unreachable (c-ares: connection refused), not timeouts.
alive "the restart"
DEAD=$(free_port) || bail "no free port"
cp "$CONF" "$TESTTMP/good.conf"
sed -i "s/^resolvers = .*/resolvers = 127.0.0.1:$DEAD/" "$CONF"
DOMAIN_MSGS=$(sink_n / "$DOMAIN_MSG")
kill -HUP "$DPID"
log_ge() { [ "$(grep -c "$1" "$LOG")" -ge "$2" ]; }
poke_degraded2() { round; log_ge monitoring-degraded 2; }
wait_for 20 poke_degraded2; ok $? "SIGHUP onto a resolver port where nothing listens: degraded again"
round; round
wait_for 15 sink_ge "$SLACKP" 'b"CRITICAL mailpulse: Monitoring degraded" in b' 2
wait_for 15 sink_ge "$HOOK404" "$DEGRADED_HOOK" 2
sleep 1.5
is "$(sink_n "$SLACKP" 'b"CRITICAL mailpulse: Monitoring degraded" in b')" 2 "Slack: one degraded alert for the second outage"
is "$(sink_n "$HOOKP" "$DEGRADED_HOOK")" 2 "webhook: one degraded event for the second outage"
is "$(sink_n "$HOOK404" "$DEGRADED_HOOK")" 2 "404 webhook: one degraded attempt for the second outage"
is "$(sink_n / "$DOMAIN_MSG")" "$DOMAIN_MSGS" "no domain alert during the second outage"
is "$(jq /api/v1/domains 'd["monitoring_degraded"], sorted(set(c["severity"] for x in d["domains"] for c in x["checks"]))')" \
  "(True, ['unknown'])" "API: degraded, every check unknown"
cp "$TESTTMP/good.conf" "$CONF"; chmod 600 "$CONF"
kill -HUP "$DPID"
poke_restored2() { round; log_ge monitoring-restored 2; }
wait_for 20 poke_restored2; ok $? "SIGHUP back to NSD: monitoring restored"
poke_resolved2() { round; sleep 0.3; sink_ge "$HOOKP" "$RESOLVED_HOOK" 2 && sink_ge "$SLACKP" 'b"RESOLVED mailpulse: Monitoring degraded" in b' 2; }
wait_for 30 poke_resolved2; ok $? "the second degraded alert resolved on Slack and the webhook"
is "$(sink_n / "$DOMAIN_MSG")" "$DOMAIN_MSGS" "still no new domain alert"
is "$(jq /api/v1/domains 'd["monitoring_degraded"], d["status"]')" "(False, 'ok')" "API: back to ok"

# ---- e. SIGTERM while the resolver hangs -----------------------------------
alive "the second outage"
nsd_stop
check_now alpha.test; check_now beta.test
sleep 0.1
daemon_term 5 "SIGTERM with checks waiting on a hung resolver: exits within 5 s" "SIGTERM: exit status 0"
nsd_cont
is "$(sql 'PRAGMA integrity_check')" ok "PRAGMA integrity_check after SIGTERM"
is "$(stored alpha.test)" "$(done_n alpha.test)" "SIGTERM: every completed alpha.test check is in the store"
is "$(stored beta.test)" "$(done_n beta.test)" "SIGTERM: every completed beta.test check is in the store"

for s in "$HOOK404" "$SLACKP" "$HOOKP" "$SECRET" "$TOKEN"; do
  grep -qF -- "$s" "$LOG"; is "$?" 1 "no secret (${s:0:8}...) in the daemon's log"
done
if grep -q 'Sanitizer\|runtime error' "$LOG"; then
  ok 1 "no sanitizer report in the daemon's log"
else
  ok 0 "no sanitizer report in the daemon's log"
fi
diag_log 80
done_testing
