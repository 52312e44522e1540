#!/bin/bash
# tests/integration/test_reload.sh: SIGHUP with a changed [web] section, on
# the real mailpulsed (issue 3, DESIGN.md 5).  A new token and limits on the
# same address take effect without refusing one request during the reload
# (the listening socket is shared); a new port moves the listener; a port
# that cannot be bound refuses the whole reload: the old listener, token and
# config keep working, it is logged, and
# mailpulse_config_last_reload_successful says 0 until a reload succeeds.
# No DNS server is needed: the resolver points at a closed port.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
need_tools curl
need_python
[ -x "$MPD" ] || bail "no mailpulsed binary at $MPD"

DNS=$(free_port) && P1=$(free_port) && P2=$(free_port) || bail "no free port"
T1=reload-test-token-one-0123456789
T2=reload-test-token-two-0123456789
T3=reload-test-token-three-012345678

# A port some other program holds: binding it must fail.
$PY -c 'import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(1)
open(sys.argv[1],"w").write(str(s.getsockname()[1])); sys.stdout.close(); time.sleep(600)' \
  "$TESTTMP/busy.port" &
BUSY_PID=$!
CLEANUP="kill $BUSY_PID 2>/dev/null; "
wait_for 10 test -s "$TESTTMP/busy.port" || bail "the port holder did not start"
P3=$(cat "$TESTTMP/busy.port")

write_conf() { # PORT TOKEN MAX_CONNECTIONS
  cat >"$CONF" <<EOC
[daemon]
state_dir = $TESTTMP/state
check_interval = 1h
jitter = 0s
[dns]
resolvers = 127.0.0.1:$DNS
[web]
listen = 127.0.0.1:$1
token = $2
max_connections = $3
[domain reload.test]
selectors = mp1
discover_selectors = no
EOC
  chmod 600 "$CONF"
}
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@"; }
post() { # PORT TOKEN PATH
  code -X POST -H "Authorization: Bearer $2" "http://127.0.0.1:$1$3"
}
metric() { curl -s --max-time 5 "http://127.0.0.1:$1/metrics" | sed -n "s/^$2 //p"; }
refusals() { grep -c 'reload-refused' "$LOG"; }

write_conf "$P1" "$T1" 64
start_daemon
healthy() { [ "$(code "http://127.0.0.1:$1/-/healthy")" = 200 ]; }
wait_for 20 healthy "$P1"; ok $? "the daemon serves on port $P1"
is "$(post "$P1" "$T1" /api/v1/domains/reload.test/check)" 202 "token one is accepted"

# --- same address, new token and limit: no request refused during the reload
write_conf "$P1" "$T2" 32
: >"$TESTTMP/codes"
( for i in $(seq 1 60); do code "http://127.0.0.1:$P1/-/healthy" >>"$TESTTMP/codes"; echo >>"$TESTTMP/codes"; sleep 0.03; done ) &
LOOP=$!
sleep 0.5
kill -HUP "$DPID"
wait "$LOOP"
token_two() { [ "$(post "$P1" "$T2" /api/v1/domains/reload.test/check)" = 202 ]; }
wait_for 10 token_two; ok $? "after SIGHUP token two is accepted on the same port"
is "$(post "$P1" "$T1" /api/v1/domains/reload.test/check)" 401 "token one is refused now"
is "$(grep -c '^200$' "$TESTTMP/codes")" 60 "all 60 requests made across the reload got 200"
is "$(metric "$P1" mailpulse_config_last_reload_successful)" 1 "metrics: the reload succeeded"
grep -q 'reloaded .*web=restarted' "$LOG"; ok $? "the log says the listener was restarted"

# --- a new port: the listener moves
write_conf "$P2" "$T2" 32
kill -HUP "$DPID"
wait_for 10 healthy "$P2"; ok $? "after SIGHUP the daemon serves on the new port $P2"
gone() { [ "$(code "http://127.0.0.1:$P1/-/healthy")" = 000 ]; }
wait_for 10 gone; ok $? "the old port $P1 is closed"
is "$(post "$P2" "$T2" /api/v1/domains/reload.test/check)" 202 "the token works on the new port"

# --- a port that cannot be bound: the whole reload is refused
before=$(refusals)
write_conf "$P3" "$T3" 16
kill -HUP "$DPID"
refused() { [ "$(refusals)" -gt "$before" ]; }
wait_for 10 refused; ok $? "the reload is refused and logged"
grep 'reload-refused' "$LOG" | tail -1 | grep -q "127.0.0.1:$P3"; ok $? "the log names the address that failed"
is "$(metric "$P2" mailpulse_config_last_reload_successful)" 0 "metrics: last reload not successful"
is "$(code "http://127.0.0.1:$P2/-/healthy")" 200 "the old listener keeps serving"
is "$(post "$P2" "$T2" /api/v1/domains/reload.test/check)" 202 "the old token keeps working"
is "$(post "$P2" "$T3" /api/v1/domains/reload.test/check)" 401 "the new token was not taken"

# --- a good config again
write_conf "$P2" "$T3" 16
kill -HUP "$DPID"
token_three() { [ "$(post "$P2" "$T3" /api/v1/domains/reload.test/check)" = 202 ]; }
wait_for 10 token_three; ok $? "a good reload afterwards takes the new token"
is "$(metric "$P2" mailpulse_config_last_reload_successful)" 1 "metrics: successful again"

kill -TERM "$DPID"
wait "$DPID"; is "$?" 0 "SIGTERM: exit 0"
grep -q 'ERROR\|AddressSanitizer\|runtime error' "$LOG" && diag "$(grep 'ERROR\|AddressSanitizer\|runtime error' "$LOG" | head -5)"
! grep -q 'AddressSanitizer\|runtime error' "$LOG"; ok $? "no sanitizer report"
done_testing
