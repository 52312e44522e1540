#!/bin/bash
# tests/integration/test_alert_dns.sh: alert targets are resolved through
# mailpulse's own resolver (the [dns] resolvers), never by libcurl or the
# system.  NSD serves tests/fixtures/alert-dns/test.zone, where hooks.test
# and relay.test have A 127.0.0.1 and nothing else on the machine knows
# them; an HTTPS sink (tests/lib/http_sink.py) holds a certificate for
# hooks.test from a throw-away CA.  Checked, for `mailpulse alert-test` and
# for the running mailpulsed:
#   - a signed webhook to https://hooks.test:PORT/... arrives (so the name
#     was resolved by us, the connection pinned, and the certificate checked
#     against the name) and its signature verifies;
#   - a webhook to nxhost.test (NXDOMAIN) fails with a reason naming the
#     host, in /api/v1/alerts and in the log, and the URL's path (a secret)
#     appears nowhere;
#   - when running as root with Exim installed (tests/lib/exim.sh): an
#     e-mail channel with smtp_host = relay.test (STARTTLS, AUTH, the
#     certificate checked against relay.test) delivers; otherwise skipped.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
FIX="$top_srcdir/tests/fixtures/alert-dns"
TOKEN=alert-dns-token-0123456789abcdef
HOOKPATH=services/T000/B000/HoOkSeCrEtPaTh42
NXPATH=services/T000/B000/NxSeCrEtPaTh42

need_tools nsd curl openssl
need_python
[ -x "$MPD" ] && [ -x "$MP" ] || bail "no mailpulsed/mailpulse binaries in $top_builddir"

# --- the world: NSD, CA, HTTPS sink, maybe Exim
export EXIM_SH_OWNER=$$
nsd_start "$FIX/test.zone"
ca_make hooks.test relay.test
sink_start tls
web_port
SECRET=$(webhook_secret)

# The names exist only in our zone: nothing but NSD can resolve them.
is "$(dig +short -p "$DNSPORT" @127.0.0.1 hooks.test A 2>/dev/null)" 127.0.0.1 "NSD answers hooks.test A 127.0.0.1"
timeout 10 getent hosts hooks.test >/dev/null 2>&1; is "$?" 2 "the system resolver does not know hooks.test"

MAIL=""
if [ "$(id -u)" != 0 ]; then
  skip "e-mail through relay.test: not root (Debian's exim4 takes -C only from root)"
elif [ ! -x /usr/sbin/exim4 ]; then
  skip "e-mail through relay.test: exim4 is not installed (scripts/setup installs exim4-daemon-light)"
else
  chmod 711 "$TESTTMP" # Exim runs as Debian-exim and must get through
  if PORTS=$(sh "$top_srcdir/tests/lib/exim.sh" start "$TESTTMP/exim" "$TESTTMP/ca/cert.pem" "$TESTTMP/ca/key.pem" 2>"$TESTTMP/exim.err"); then
    CLEANUP="sh '$top_srcdir/tests/lib/exim.sh' stop '$TESTTMP/exim'; $CLEANUP"
    MAIL=${PORTS%% *}
    ok 0 "Exim started as the relay (submission port $MAIL)"
  else
    ok 1 "Exim started as the relay"; sed 's/^/# /' "$TESTTMP/exim.err"
  fi
fi

# (conf_daemon writes success_threshold = 2: the default this test ran with.)
{
  conf_daemon
  conf_web
  conf_domains shop.test
  cat <<EOC
[alert hook]
type = webhook
url = https://hooks.test:$SP/ok/$HOOKPATH
ca_file = $CA
secret = $SECRET
people = 2
[alert nxhook]
type = webhook
url = https://nxhost.test:$SP/ok/$NXPATH
ca_file = $CA
EOC
} >"$CONF"
if [ -n "$MAIL" ]; then
  cat >>"$CONF" <<EOC
[alert mail]
type = email
smtp_host = relay.test
smtp_port = $MAIL
tls = starttls
ca_file = $CA
username = test@example.test
password = secret
from = mailpulse@example.net
to = ops@example.net
EOC
fi
chmod 600 "$CONF"

# --- mailpulse alert-test: the same resolution path, blocking
OUT=$("$MP" alert-test hook -c "$CONF" 2>&1); RC=$?
is "$RC" 0 "alert-test hook: exit 0 (hooks.test resolved through NSD)"
has "$OUT" "alert-test hook: ok" "alert-test hook: reports ok"
has "$(cat "$TESTTMP"/sink/*.req 2>/dev/null)" "POST /ok/$HOOKPATH" "alert-test hook: the sink got it"
OUT=$("$MP" alert-test nxhook -c "$CONF" 2>&1); RC=$?
is "$RC" 1 "alert-test nxhook: exit 1"
has "$OUT" "the webhook host nxhost.test does not exist (DNS NXDOMAIN)" "alert-test nxhook: the reason names the host"
hasnt "$OUT" "$NXPATH" "alert-test nxhook: no URL path in the output"
if [ -n "$MAIL" ]; then
  OUT=$("$MP" alert-test mail -c "$CONF" 2>&1); RC=$?
  is "$RC" 0 "alert-test mail: exit 0 through relay.test"
  has "$OUT" "alert-test mail: ok" "alert-test mail: reports ok"
  mails() { ls "$TESTTMP/exim/maildir/new" 2>/dev/null | wc -l; }
  mails_ge() { [ "$(mails)" -ge "$1" ]; }
  wait_for 10 mails_ge 1; ok $? "alert-test mail: Exim delivered it"
fi
# Reset the sink's record so only the daemon's requests count below.
N_TEST=$(ls "$TESTTMP"/sink/*.req 2>/dev/null | wc -l)

# --- the daemon
start_daemon
wait_for 30 ready; ok $? "mailpulsed is ready"
hook_files() { ls "$TESTTMP"/sink/*.req 2>/dev/null | tail -n +$((N_TEST + 1)) | xargs -r grep -l "^POST /ok/$HOOKPATH"; }
fired() { check_now shop.test; sleep 0.5; [ -n "$(hook_files | xargs -r grep -l '"firing"')" ]; }
wait_for 60 fired; ok $? "the firing alert reached https://hooks.test (resolved by NSD, pinned)"
HOOK=$(hook_files | xargs -r grep -l '"firing"' | head -1)
has "$(cat "$HOOK" 2>/dev/null)" "shop.test" "the alert is about shop.test"
SIG=$(webhook_sig "$HOOK" "$SECRET")
is "$SIG" valid "the webhook signature verifies with python's hmac"

# nxhook: failed, visible in the API with the host named.
nx_status() {
  curl -s "$URL/api/v1/alerts" | $PY -c '
import json, sys
doc = json.load(sys.stdin)
eps = doc.get("episodes", doc.get("alerts", [])) if isinstance(doc, dict) else doc
for e in eps:
    for d in e.get("deliveries", []):
        if d.get("channel") == "nxhook":
            print(d.get("status"), "|", d.get("error"))
            sys.exit(0)
'
}
nx_failed() { nx_status | grep -q '^failed'; }
wait_for 30 nx_failed; ok $? "/api/v1/alerts: the nxhook delivery is failed"
NX=$(nx_status)
has "$NX" "the webhook host nxhost.test does not exist (DNS NXDOMAIN)" "/api/v1/alerts: the error names the host"
API=$(curl -s "$URL/api/v1/alerts")
hasnt "$API" "$NXPATH" "/api/v1/alerts: no URL path"
hasnt "$API" "$HOOKPATH" "/api/v1/alerts: not the other URL's path either"
grep -q "channel=nxhook .*nxhost.test does not exist" "$LOG"; ok $? "the log says the host does not exist"
if [ -n "$MAIL" ]; then
  mail_has() { grep -l "shop.test" "$TESTTMP"/exim/maildir/new/* 2>/dev/null | xargs -r grep -l -i "firing" >/dev/null; }
  wait_for 30 mail_has; ok $? "the firing e-mail went through relay.test (resolved by NSD) into Exim's maildir"
  grep -q "deliver sent id=.* channel=mail " "$LOG"; ok $? "the log says the e-mail was sent"
fi

# --- stop: clean exit, no secret in the log
daemon_term 5 "SIGTERM: the daemon exits" "SIGTERM: exit status 0"
grep -q -e "$NXPATH" -e "$HOOKPATH" -e "$SECRET" -e "$TOKEN" "$LOG"; is "$?" 1 "no URL path, signing secret or token in the daemon's log"
diag_log 40
done_testing
