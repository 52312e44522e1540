#!/bin/bash
# tests/integration/test_daemon.sh: the real mailpulsed against real parts:
# NSD serving tests/fixtures/daemon/ (tests/lib/nsd.sh), an HTTPS sink
# standing in for Slack and a webhook receiver (tests/lib/http_sink.py with a
# throw-away CA), the SQLite store on disk.  Break a zone (drop the DKIM key,
# NSD reloads it on SIGHUP), the firing alert reaches Slack and the webhook
# (whose first answer is 500: retried, delivered once, signature checked
# independently); restore it, the resolve arrives with its duration; a broken
# config on SIGHUP is refused; kill -9 and restart sends nothing twice and
# the database passes PRAGMA integrity_check; SIGTERM exits 0.
# Checks are triggered through POST /api/v1/domains/NAME/check (the interval
# minimum is 30 s); every wait is bounded by a deadline.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
FIX="$top_srcdir/tests/fixtures/daemon"
TOKEN=daemon-test-token-0123456789abcdef

need_tools nsd curl
need_python
[ -x "$MPD" ] || bail "no mailpulsed binary at $MPD"

# --- the world: zones (copied, so the test can break them), NSD, CA, sink
zones_copy "$FIX"/*.zone
nsd_start "$ZONES"
ca_make localhost
sink_start tls
web_port
SECRET=$(webhook_secret)

write_conf() {
  {
    conf_daemon
    conf_web
    conf_domains alpha.test beta.test
    cat <<EOC
[alert ops-slack]
type = slack
url = https://localhost:$SP/ok/slack-secret-path
ca_file = $CA
people = 2
[alert hook]
type = webhook
url = https://localhost:$SP/seq/500,200/hook
ca_file = $CA
secret = $SECRET
EOC
  } >"$CONF"
  chmod 600 "$CONF"
}
write_conf

# --- --check-config
OUT=$("$MPD" -c "$CONF" --check-config 2>&1); RC=$?
is "$RC" 0 "--check-config: a good config exits 0"
has "$OUT" "config ok: 2 domains, 2 alerts" "--check-config: says what it loaded"
OUT=$("$MPD" -c "$CONF" --check-config -v 2>&1)
hasnt "$OUT" "$SECRET" "--check-config -v: the signing secret is not printed"
hasnt "$OUT" "slack-secret-path" "--check-config -v: the Slack URL is not printed"
cp "$CONF" "$TESTTMP/bad.conf"; printf '[daemon]\nno_such_key = 1\n' >>"$TESTTMP/bad.conf"
OUT=$("$MPD" -c "$TESTTMP/bad.conf" --check-config 2>&1); RC=$?
is "$RC" 1 "--check-config: a bad config exits 1"
has "$OUT" "bad.conf:" "--check-config: the error names the file and line"

# --- mailpulse alert-test: the same payload builder and transport, synchronously
OUT=$("$MP" alert-test ops-slack -c "$CONF" 2>&1); RC=$?
is "$RC" 0 "alert-test ops-slack: exit 0"
has "$OUT" "alert-test ops-slack: ok" "alert-test: reports ok"
has "$(cat "$TESTTMP"/sink/*.req 2>/dev/null)" "POST /ok/slack-secret-path" "alert-test: the sink got the test message"
"$MP" alert-test nosuch -c "$CONF" >/dev/null 2>&1; is "$?" 3 "alert-test with an unknown channel: exit 3"

# --- start
start_daemon
wait_for 30 ready; ok $? "/-/ready becomes 200 after the first round"
METRICS=$(curl -s "$URL/metrics")
has "$METRICS" 'mailpulse_check_success{domain="alpha.test",check="dkim"} 1' "/metrics: alpha.test DKIM passes"
has "$METRICS" 'mailpulse_check_success{domain="beta.test",check="spf"} 1' "/metrics: beta.test SPF passes"
STATUS=$(curl -s "$URL/api/v1/domains" | /usr/bin/python3 -c 'import json,sys
print({d["name"]: d["status"] for d in json.load(sys.stdin)["domains"]}.get("beta.test"))')
is "$STATUS" ok "API: a healthy domain's status is ok"

# sink_grep PATTERN: request files whose first line (METHOD PATH) matches PATTERN
sink_files() { grep -l "^POST $1" "$TESTTMP"/sink/*.req 2>/dev/null; }
sink_body_has() { # path-pattern text: some request to the path holds text
  local f
  for f in $(sink_files "$1"); do grep -q -- "$2" "$f" && return 0; done
  return 1
}
# poke DOMAIN PATH TEXT: check DOMAIN now until the sink got TEXT at PATH
poke_until() {
  check_now "$1"; sleep 0.5
  sink_body_has "$2" "$3"
}

# --- break alpha.test: drop its DKIM key, bump the serial, NSD reloads on SIGHUP
zone_set alpha.test 2 drop-dkim
wait_for 20 no_key alpha.test; ok $? "NSD serves alpha.test without its DKIM key"
wait_for 60 poke_until alpha.test /ok/slack-secret-path "alpha.test"; ok $? "the firing Slack message arrived"
F=$(grep -l "alpha.test" $(sink_files /ok/slack-secret-path) | head -1)
has "$(cat "$F")" "DKIM" "the Slack message names the broken check"
has "$(cat "$F")" '"attachments"' "the Slack message carries the coloured attachment"
wait_for 40 sink_body_has /seq/500,200/hook '"firing"'; ok $? "the webhook POST arrived"
hook_n() { sink_files /seq/500,200/hook | wc -l; }
hooks_ge() { [ "$(hook_n)" -ge "$1" ]; }
wait_for 30 hooks_ge 2; ok $? "the webhook was retried after its 500"
HOOK=$(sink_files /seq/500,200/hook | tail -1)
SIG=$(webhook_sig "$HOOK" "$SECRET")
is "$SIG" valid "the webhook signature verifies with python's hmac"
ids=$(for f in $(sink_files /seq/500,200/hook); do grep -i '^webhook-id:' "$f"; done | sort -u | wc -l)
is "$ids" 1 "the retry kept the same webhook-id"

# --- restore: the resolve arrives with the duration
zone_set alpha.test 3
wait_for 20 has_key alpha.test; ok $? "NSD serves the DKIM key again"
wait_for 60 poke_until alpha.test /ok/slack-secret-path "lasted"; ok $? "the resolved Slack message arrived with its duration"
METRICS=$(curl -s "$URL/metrics")
has "$METRICS" 'mailpulse_check_success{domain="alpha.test",check="dkim"} 1' "/metrics: alpha.test DKIM passes again"

# --- SIGHUP with a broken config: refused, the old one keeps running
cp "$CONF" "$TESTTMP/good.conf"
printf '[domain broken..name]\n' >>"$CONF"
kill -HUP "$DPID"
refused() { curl -s "$URL/metrics" | grep -q '^mailpulse_config_last_reload_successful 0'; }
wait_for 20 refused; ok $? "/metrics: mailpulse_config_last_reload_successful 0 after a bad reload"
kill -0 "$DPID"; ok $? "the daemon keeps running"
ready; ok $? "and stays ready"
cp "$TESTTMP/good.conf" "$CONF"; chmod 600 "$CONF"
n0=$(grep -c 'check-done domain=beta.test' "$LOG")
kill -HUP "$DPID"
reloaded() { curl -s "$URL/metrics" | grep -q '^mailpulse_config_last_reload_successful 1'; }
wait_for 20 reloaded; ok $? "SIGHUP with a good config: reloaded (mailpulse_config_last_reload_successful 1)"
more_beta() { [ "$(grep -c 'check-done domain=beta.test' "$LOG")" -gt "$n0" ]; }
wait_for 20 more_beta; ok $? "after the reload every domain is checked at once"

# --- kill -9 and restart: nothing sent twice, the database is intact
delivered_ge() { [ "$(grep -c 'deliver sent\|deliver failed' "$LOG")" -ge "$1" ]; }
wait_for 30 delivered_ge 4; ok $? "every queued notification got its final outcome"
BEFORE=$(ls "$TESTTMP"/sink/*.req | wc -l)
kill -9 "$DPID"; wait "$DPID" 2>/dev/null
INTEG=$($PY -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute("PRAGMA integrity_check").fetchone()[0])' "$TESTTMP/state/mailpulse.db" 2>&1)
is "$INTEG" ok "PRAGMA integrity_check after kill -9"
start_daemon
wait_for 30 ready; ok $? "restarted and ready"
rounds() { [ "$(grep -c 'check-done domain=alpha.test' "$LOG")" -ge "$1" ]; }
n0=$(grep -c 'check-done domain=alpha.test' "$LOG")
for k in 1 2 3; do check_now alpha.test; wait_for 10 rounds $((n0 + k)); done
sleep 1.5 # one group_wait: a duplicate would have been queued and sent by now
AFTER=$(ls "$TESTTMP"/sink/*.req | wc -l)
is "$AFTER" "$BEFORE" "no notification is sent again after the restart"

# --- SIGTERM: a clean, quick exit
daemon_term 5 "SIGTERM: the daemon exits within 5 s" "SIGTERM: exit status 0"
INTEG=$($PY -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute("PRAGMA integrity_check").fetchone()[0])' "$TESTTMP/state/mailpulse.db" 2>&1)
is "$INTEG" ok "PRAGMA integrity_check after SIGTERM"
grep -q "slack-secret-path\|$SECRET\|$TOKEN" "$LOG"; is "$?" 1 "no secret in the daemon's log"
diag_log 60
done_testing
