#!/bin/bash
# tests/integration/test_smtpd.sh: the inbound SMTP listener (mail/smtpd)
# against real clients, through tests/mail/smtpd_tool (the listener as a
# program: accepts recipients matching --accept, writes each message to a
# directory, prints its port).
#
#  1. swaks (an independent SMTP client) delivers in plain SMTP, with
#     PIPELINING, and over STARTTLS with the certificate verified against a
#     test CA (tests/lib/testca.sh); the message arrives with our Received:
#     field (ESMTP / ESMTPS); a recipient the listener does not want gets
#     550 5.7.1 and nothing arrives (never a relay); a failing store gives
#     451 and nothing arrives.
#  2. A real Exim (tests/lib/exim.sh in relay mode, EXIM_SH_RELAY_PORT) takes
#     a message by submission (swaks, STARTTLS + AUTH) and relays it to the
#     listener over STARTTLS, verifying our certificate: it arrives with
#     Exim's Received: line under ours.  A recipient the listener refuses
#     makes Exim log the 550 and send a real bounce (DSN) to the envelope
#     sender, whose domain is relayed to the listener too: the bounce
#     arrives from <> and names the refused address.
#
# Part 2 needs root (Debian's exim4 takes -C only from root) and exim4;
# without them it is skipped, saying why.  Every wait has a deadline.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
LIB="$top_srcdir/tests/lib"
TOOL="$top_builddir/tests/mail/smtpd_tool"
PATH=$PATH:/usr/sbin:/sbin

[ -x "$TOOL" ] || bail "no $TOOL (make check builds it)"
command -v swaks >/dev/null 2>&1 || skip_all "swaks is not installed (scripts/setup)"
command -v openssl >/dev/null 2>&1 || skip_all "openssl is not installed"
perl -MNet::SSLeay -e1 2>/dev/null ||
  skip_all "swaks cannot do TLS without Net::SSLeay (scripts/setup installs libnet-ssleay-perl)"
CA=$(sh "$LIB/testca.sh" "$TESTTMP/ca" 127.0.0.1 mx.test) || bail "testca.sh failed"

# start_tool NAME ARGS...: start smtpd_tool writing to $TESTTMP/NAME; sets PORT.
start_tool() {
  local name=$1 i
  shift
  mkdir -p "$TESTTMP/$name"
  "$TOOL" --dir "$TESTTMP/$name" --hostname mx.test "$@" >"$TESTTMP/$name.port" 2>"$TESTTMP/$name.log" &
  local pid=$!
  CLEANUP="kill $pid 2>/dev/null; wait $pid 2>/dev/null; $CLEANUP"
  for i in $(seq 100); do
    PORT=$(head -1 "$TESTTMP/$name.port")
    [ -n "$PORT" ] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$TESTTMP/$name.log" >&2
  bail "smtpd_tool $name did not start"
}

# wait_msg DIR TEXT [SECONDS]: print the first DIR/*.eml holding TEXT, waiting at most SECONDS (10).
wait_msg() {
  local end=$(($(date +%s) + ${3:-10})) f
  while :; do
    f=$(grep -l -F -- "$2" "$1"/*.eml 2>/dev/null | head -1)
    [ -n "$f" ] && { echo "$f"; return 0; }
    [ "$(date +%s)" -ge "$end" ] && return 1
    sleep 0.2
  done
}

count_msgs() { find "$1" -name '*.eml' | wc -l; }

# ---- 1. swaks straight to the listener
start_tool direct --accept '*@probe.test' --cert "$TESTTMP/ca/cert.pem" --key "$TESTTMP/ca/key.pem"
P1=$PORT
SW=(swaks --server 127.0.0.1 --port "$P1" --helo swaks.test --from sender@example.test --timeout 10)

out=$("${SW[@]}" --to probe-1@probe.test --header "Subject: plain" --body "token-plain" 2>&1)
ok $? "swaks plain delivery"
f=$(wait_msg "$TESTTMP/direct" token-plain)
ok $? "message arrived" || diag "$out"
head -3 "$f" >"$TESTTMP/h1" 2>/dev/null
has "$(cat "$TESTTMP/h1")" "Received: from swaks.test (unknown [127.0.0.1])" "our Received: field first"
has "$(cat "$TESTTMP/h1")" "by mx.test (mailpulse) with ESMTP id" "  ESMTP, with the id"
has "$(cat "${f%.eml}.env" 2>/dev/null)" "rcpt probe-1@probe.test" "envelope recipient recorded"
has "$(cat "$f")" $'\r\n' "message stored with CRLF line ends"

out=$("${SW[@]}" --to probe-2@probe.test --pipeline --body "token-pipe" 2>&1)
ok $? "swaks with PIPELINING"
wait_msg "$TESTTMP/direct" token-pipe >/dev/null
ok $? "pipelined message arrived" || diag "$out"

out=$("${SW[@]}" --to probe-3@probe.test --tls --tls-verify --tls-ca-path "$CA" --body "token-tls" 2>&1)
ok $? "swaks STARTTLS with the certificate verified" || diag "$out"
f=$(wait_msg "$TESTTMP/direct" token-tls)
ok $? "TLS message arrived"
has "$(head -3 "$f" 2>/dev/null)" "with ESMTPS (TLSv1." "  Received: says ESMTPS"
has "$(cat "${f%.eml}.env" 2>/dev/null)" "tls yes" "  envelope says tls"

n0=$(count_msgs "$TESTTMP/direct")
out=$("${SW[@]}" --to victim@elsewhere.test --body "token-relay" 2>&1)
[ $? -ne 0 ]
ok $? "relaying attempt fails in swaks"
has "$out" "550 5.7.1" "  with 550 5.7.1"
is "$(count_msgs "$TESTTMP/direct")" "$n0" "  and nothing arrived"

out=$("${SW[@]}" --to probe-4@probe.test --data 'Subject: x\n\n.dot\n' 2>&1)
f=$(wait_msg "$TESTTMP/direct" "Subject: x")
ok $? "swaks with a dot-stuffed line"
grep -q -x -F $'.dot\r' "$f" 2>/dev/null
ok $? "  unstuffed to .dot"

start_tool failing --accept '*@probe.test' --fail-deliver
out=$(swaks --server 127.0.0.1 --port "$PORT" --from s@example.test --to a@probe.test --timeout 10 2>&1)
[ $? -ne 0 ]
ok $? "failing store: swaks sees a failure"
has "$out" "451 4.3.0" "  451 4.3.0"
is "$(count_msgs "$TESTTMP/failing")" 0 "  nothing stored"

# ---- 2. a real Exim relaying to the listener
EXIM_WHY=""
if [ "$(id -u)" != 0 ]; then
  EXIM_WHY="not root: Debian's exim4 takes -C only from root"
elif ! command -v exim4 >/dev/null 2>&1; then
  EXIM_WHY="exim4 is not installed (scripts/setup installs exim4-daemon-light)"
fi
if [ -n "$EXIM_WHY" ]; then
  skip "Exim relay: $EXIM_WHY"
  done_testing
  exit $?
fi
chmod 0711 "$TESTTMP"
start_tool relayed --accept 'probe*@relay.test' --accept 'bounce@relay.test' \
  --cert "$TESTTMP/ca/cert.pem" --key "$TESTTMP/ca/key.pem"
P2=$PORT
export EXIM_SH_OWNER=$$
PORTS=$(EXIM_SH_RELAY_PORT=$P2 EXIM_SH_RELAY_CA=$CA \
  sh "$LIB/exim.sh" start "$TESTTMP/exim" "$TESTTMP/ca/cert.pem" "$TESTTMP/ca/key.pem") ||
  bail "exim.sh start failed"
CLEANUP="sh '$LIB/exim.sh' stop '$TESTTMP/exim'; $CLEANUP"
SUB=${PORTS%% *}
SUBMIT=(swaks --server 127.0.0.1 --port "$SUB" --tls --tls-verify --tls-ca-path "$CA"
  --auth PLAIN --auth-user test@example.test --auth-password secret
  --from bounce@relay.test --helo client.test --timeout 10)

out=$("${SUBMIT[@]}" --to probe-9@relay.test --body "token-exim" 2>&1)
ok $? "submitted to Exim (STARTTLS + AUTH)" || diag "$out"
f=$(wait_msg "$TESTTMP/relayed" token-exim 20)
ok $? "Exim relayed it to the listener" || diag "$(tail -5 "$TESTTMP/exim/log/mainlog" 2>/dev/null)"
hdr=$(sed -n '1,12p' "$f" 2>/dev/null)
has "$hdr" "Received: from mta.test (unknown [127.0.0.1])" "  our Received: names Exim's HELO"
has "$hdr" "with ESMTPS (TLSv1." "  Exim used STARTTLS"
grep -q '=> probe-9@relay.test .*CV=yes' "$TESTTMP/exim/log/mainlog" 2>/dev/null
ok $? "  and verified our certificate against the test CA (CV=yes)"
has "$hdr" "by mta.test with esmtpsa" "  Exim's own Received: line follows"
env1=$(cat "${f%.eml}.env" 2>/dev/null)
has "$env1" "from bounce@relay.test" "  envelope sender kept"
has "$env1" "rcpt probe-9@relay.test" "  envelope recipient"

out=$("${SUBMIT[@]}" --to stranger@relay.test --body "token-refused" 2>&1)
ok $? "Exim takes a message for a recipient the listener refuses" || diag "$out"
end=$(($(date +%s) + 20))
until grep -q 'stranger@relay.test.*550 5.7.1' "$TESTTMP/exim/log/mainlog" 2>/dev/null ||
  [ "$(date +%s)" -ge "$end" ]; do sleep 0.2; done
grep -q 'stranger@relay.test.*550 5.7.1' "$TESTTMP/exim/log/mainlog" 2>/dev/null
ok $? "Exim got 550 5.7.1 from the listener" || diag "$(tail -5 "$TESTTMP/exim/log/mainlog" 2>/dev/null)"
f=$(wait_msg "$TESTTMP/relayed" "stranger@relay.test" 20)
ok $? "Exim's bounce reached the listener"
env2=$(cat "${f%.eml}.env" 2>/dev/null)
has "$env2" $'from \n' "  from the null sender <>"
has "$env2" "rcpt bounce@relay.test" "  to the envelope sender"
has "$(cat "$f" 2>/dev/null)" "550 5.7.1" "  quoting the listener's refusal"
hasnt "$(cat "$TESTTMP"/relayed/*.env)" "rcpt stranger@relay.test" "the refused recipient never got a message"

done_testing
