# tests/lib/daemon.sh: the scaffolding the integration tests of the real
# mailpulsed share (sourced by bash after tests/lib/tap.sh).  Bounded waits;
# the world on loopback: NSD serving copied fixture zones (tests/lib/nsd.sh),
# a throw-away CA (tests/lib/testca.sh), the HTTP(S) sink standing in for
# Slack and webhook receivers (tests/lib/http_sink.py); the config sections
# every such test writes alike; starting mailpulsed and talking to its HTTP
# API.  It holds no check: each script keeps its own tests, config specifics
# and secrets.  Whatever it starts is stopped through CLEANUP (run by tap.sh
# at exit), and every wait ends at a deadline.
#
# Variables (the scripts may change them after sourcing): PY, MPD, MP, CONF,
# LOG; the script sets TOKEN (the API token) and FIX (the fixture zones).
# Set by the functions: DNSPORT NSDPID ZONES (nsd_start, zones_copy), CA
# (ca_make), SINK SINK_PID SP (sink_start), WEB URL (web_port), DPID
# (start_daemon).

PY=/usr/bin/python3
MPD="$top_builddir/mailpulsed"
MP="$top_builddir/mailpulse"
CONF="$TESTTMP/mailpulse.conf"
LOG="$TESTTMP/daemon.log"
DPID=""

# cleanup_first CMD: run the shell text CMD at exit before what is registered so far.
cleanup_first() { CLEANUP="$1; $CLEANUP"; }
# cleanup_last CMD: run the shell text CMD at exit after what is registered so far.
cleanup_last() { CLEANUP="$CLEANUP $1; "; }

# wait_for SECONDS CMD...: run CMD every 0.2 s until it succeeds or the deadline passes.
wait_for() {
  local end=$(($(date +%s) + $1)); shift
  until "$@"; do [ "$(date +%s)" -lt "$end" ] || return 1; sleep 0.2; done
}

# need_tools TOOL...: skip the whole test unless each TOOL is on PATH or in /usr/sbin.
need_tools() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 || [ -x "/usr/sbin/$t" ] || skip_all "$t is not installed"
  done
}

# need_python: skip the whole test without the python3 the helpers run.
need_python() { [ -x "$PY" ] || skip_all "no /usr/bin/python3"; }

# free_port: print a 127.0.0.1 port where nothing listens right now (racy; fine here).
free_port() { sh "$top_srcdir/tests/lib/nsd.sh" freeport; }

# web_port: pick the daemon's HTTP port: sets WEB and URL.
web_port() {
  WEB=$(free_port) || bail "no free port"
  URL="http://127.0.0.1:$WEB"
}

# zones_copy FILE...: copy zone files into $TESTTMP/zones (ZONES), where the test may break them.
zones_copy() {
  ZONES="$TESTTMP/zones"
  mkdir -p "$ZONES"
  cp "$@" "$ZONES/"
}

# nsd_start ZONE...: NSD on loopback serving ZONE files or directories,
# stopped at exit (and by its watchdog if this shell dies): sets DNSPORT, NSDPID.
nsd_start() {
  export NSD_SH_OWNER=$$
  DNSPORT=$(sh "$top_srcdir/tests/lib/nsd.sh" start "$TESTTMP/nsd" "$@") || bail "NSD did not start"
  NSDPID=$(cat "$TESTTMP/nsd/harness.pid")
  cleanup_last "sh '$top_srcdir/tests/lib/nsd.sh' stop '$TESTTMP/nsd'"
}

# nsd_hup: make NSD reload its zone files.
nsd_hup() { kill -HUP "$NSDPID"; }

# zone_set DOMAIN SERIAL [drop-dkim]: serve $FIX/DOMAIN.zone with SERIAL (the
# fixtures' serial is 1), without its mp1 DKIM key if asked; NSD reloads.
zone_set() {
  local sedargs=(-e "s/ 1 3600 600 86400 1\$/ $2 3600 600 86400 1/")
  [ "${3:-}" = drop-dkim ] && sedargs+=(-e '/^mp1._domainkey/d')
  sed "${sedargs[@]}" "$FIX/$1.zone" >"$ZONES/$1.zone"
  nsd_hup
}

# has_key DOMAIN: NSD serves the TXT record of mp1._domainkey.DOMAIN.
has_key() { [ -n "$(dig +short +norecurse -p "$DNSPORT" @127.0.0.1 "mp1._domainkey.$1" TXT 2>/dev/null)" ]; }
# no_key DOMAIN: NSD serves no such record.
no_key() { ! has_key "$1"; }

# ca_make NAME...: a throw-away CA and a certificate for the NAMEs in $TESTTMP/ca: sets CA.
ca_make() { CA=$(sh "$top_srcdir/tests/lib/testca.sh" "$TESTTMP/ca" "$@") || bail "test CA"; }

# sink_start [tls]: the HTTP sink recording into $TESTTMP/sink (SINK), over
# HTTPS with the certificate of ca_make when asked; stopped at exit: sets SINK_PID, SP.
sink_start() {
  local tls=()
  [ "${1:-}" = tls ] && tls=("$TESTTMP/ca/cert.pem" "$TESTTMP/ca/key.pem")
  SINK="$TESTTMP/sink"
  mkdir -p "$SINK"
  $PY "$top_srcdir/tests/lib/http_sink.py" "$TESTTMP/sink.port" "$SINK" "${tls[@]}" 2>"$TESTTMP/sink.log" &
  SINK_PID=$!
  cleanup_last "kill $SINK_PID 2>/dev/null"
  wait_for 10 test -s "$TESTTMP/sink.port" || bail "HTTP sink did not start"
  SP=$(cat "$TESTTMP/sink.port")
}

# webhook_secret: print a fresh Standard Webhooks signing secret (whsec_ + base64 of 32 bytes).
webhook_secret() { echo "whsec_$($PY -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode())')"; }

# webhook_sig FILE SECRET: "valid" when the sink's record FILE carries a
# webhook-signature that python's hmac computes from SECRET too, else "invalid".
webhook_sig() {
  $PY - "$1" "$2" <<'EOP'
import base64, hashlib, hmac, sys
raw = open(sys.argv[1], "rb").read()
head, body = raw.split(b"\n\n", 1)
h = {}
for line in head.decode().split("\n")[1:]:
    k, _, v = line.partition(": ")
    h[k.lower()] = v
key = base64.b64decode(sys.argv[2][len("whsec_"):])
msg = h["webhook-id"].encode() + b"." + h["webhook-timestamp"].encode() + b"." + body
want = base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()
got = [s.split(",", 1)[1] for s in h["webhook-signature"].split(" ")]
print("valid" if want in got else "invalid")
EOP
}

# conf_daemon [STATE-DIR]: the [daemon] section of these tests (thresholds of
# 2, no jitter, 1 s group wait) and [dns] pointing at NSD; lines printed
# right after it still belong to [dns].
conf_daemon() {
  cat <<EOC
[daemon]
state_dir = ${1:-$TESTTMP/state}
check_interval = 30s
jitter = 0s
failure_threshold = 2
success_threshold = 2
group_wait = 1s
[dns]
resolvers = 127.0.0.1:$DNSPORT
EOC
}
# conf_web: the [web] section: listening on $WEB, API token $TOKEN.
conf_web() { printf '[web]\nlisten = 127.0.0.1:%s\ntoken = %s\n' "$WEB" "$TOKEN"; }
# conf_domains NAME...: a [domain NAME] section each, DKIM selector mp1 only.
conf_domains() {
  local d
  for d in "$@"; do printf '[domain %s]\nselectors = mp1\ndiscover_selectors = no\n' "$d"; done
}

# start_daemon [CONF]: run mailpulsed on CONF (default $CONF) in the
# background, its log appended to $LOG: sets DPID, killed at exit.
start_daemon() {
  "$MPD" -c "${1:-$CONF}" 2>>"$LOG" &
  DPID=$!
  if [ -z "${_daemon_cleanup:-}" ]; then
    _daemon_cleanup=1
    cleanup_first "[ -n \"\$DPID\" ] && kill -9 \$DPID 2>/dev/null"
  fi
}
# gone_pid: the daemon has exited.
gone_pid() { ! kill -0 "$DPID" 2>/dev/null; }
# daemon_term SECONDS NAME-EXITS NAME-STATUS: SIGTERM, then two results: it
# exits within SECONDS, and with status 0 (a daemon still running by then is
# killed, so the wait for its status is bounded too).
daemon_term() {
  kill -TERM "$DPID"
  wait_for "$1" gone_pid; ok $? "$2" || kill -9 "$DPID" 2>/dev/null
  wait "$DPID"; is "$?" 0 "$3"
  DPID=""
}
# ready: /-/ready answers 200.
ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/-/ready")" = 200 ]; }
# check_now DOMAIN: ask the API to check DOMAIN now (the interval minimum is 30 s).
check_now() { curl -s -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" "$URL/api/v1/domains/$1/check"; }
# done_n DOMAIN: how many checks of DOMAIN the log says completed.
done_n() { grep -c "check-done domain=$1 " "$LOG"; }
# done_ge DOMAIN N: at least N checks of DOMAIN completed.
done_ge() { [ "$(done_n "$1")" -ge "$2" ]; }
# jq URL-PATH EXPR: evaluate the python expression EXPR over the JSON document d.
jq() {
  curl -s "$URL$1" | $PY -c 'import json,sys
d = json.load(sys.stdin)
print(eval(sys.argv[1]))' "$2" 2>&1
}
# diag_log N: after a failed result, the last N lines of $LOG as diagnostics.
diag_log() { [ "$_tap_failed" -eq 0 ] || { diag "daemon log:"; tail -"$1" "$LOG" | sed 's/^/# /'; }; }
