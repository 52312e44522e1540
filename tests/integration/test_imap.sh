#!/bin/bash
# tests/integration/test_imap.sh: IMAP seed boxes (mail/imap, issue 4)
# against a real Dovecot 2.3 on loopback (tests/lib/dovecot.sh), through
# tests/mail/imap_tool.  Dovecot holds, for probe@example.test:
#   INBOX      a probe, an ordinary message, and one with an
#              X-Mailpulse-Probe header that holds no token
#   Junk       a probe (special-use \Junk)
#   Bulk Mail  a small probe and one larger than --max-message
# and the test checks:
#  1. implicit TLS with the test CA: both probes found, placements inbox and
#     spam, their tokens and whole bytes; the ordinary message not touched
#     (not listed, not even marked \Seen); the token-less one skipped;
#  2. STARTTLS on the plain port finds the same;
#  3. a folder name with a space works; a message larger than max_message
#     is skipped and reported with its size;
#  4. a folder that does not exist is an error naming it, and the other
#     folders are still searched;
#  5. a wrong password fails with words that hold no password; a
#     certificate not signed by the configured CA, or not for the host name,
#     is refused; a server that is down is ERR_NET within a second or two;
#  6. with --delete both probes are gone afterwards (a second poll finds
#     nothing, doveadm agrees) and the ordinary message is still there;
#  7. the daemon's way (issue 4 durability): a poll without delete, then
#     mail_imap_delete (--delete-uids) of the UIDs it found: those probes
#     are gone, the ordinary and token-less messages are untouched; a UID
#     already gone is no error; a bad UID is refused before connecting.
#  8. all_messages (issue 5 report mailboxes, --all): every message of the
#     folder is fetched whole, probe or not, token "-"; the size cap still
#     skips; nothing is deleted unless asked; with --delete exactly the
#     fetched ones go and the too-big one stays.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
LIB="$top_srcdir/tests/lib"
TOOL="$top_builddir/tests/mail/imap_tool"
PATH=$PATH:/usr/sbin:/sbin
USER_NAME=probe@example.test
RAND=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
# An app-style password (four groups, spaces): never in any output.
PASSWORD="pw$RAND efgh ijkl mnop"
WRONG="wrong$RAND"

command -v dovecot >/dev/null 2>&1 || skip_all "dovecot is not installed (scripts/setup installs dovecot-imapd)"
[ -x /usr/lib/dovecot/imap ] || skip_all "dovecot-imapd is not installed"
command -v doveadm >/dev/null 2>&1 || skip_all "doveadm is not installed"
[ -x "$TOOL" ] || bail "no $TOOL (make check builds it)"

token() { printf 'mp%s' "$(tr -dc 'a-z2-7' </dev/urandom | head -c 26)"; }
T_INBOX=$(token)
T_JUNK=$(token)
T_BULK=$(token)
T_BIG=$(token)

# msg FILE SUBJECT [PROBE-HEADER-VALUE] [BODY-KB]: an RFC 5322 message, CRLF ends.
msg() {
  {
    printf 'From: Probe <probe@sender.example.test>\r\nTo: %s\r\n' "$USER_NAME"
    printf 'Subject: %s\r\nDate: Sat, 29 Nov 2025 10:00:00 +0000\r\n' "$2"
    printf 'Message-ID: <%s.%s@sender.example.test>\r\n' "$2" "$RAND"
    [ -n "${3:-}" ] && printf 'X-Mailpulse-Probe: %s\r\n' "$3"
    printf 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n'
    printf 'This is %s.\r\n' "$2"
    i=0
    while [ "$i" -lt "${4:-0}" ]; do
      head -c 1000 /dev/zero | tr '\0' x
      printf '\r\n'
      i=$((i + 1))
    done
  } >"$1"
}

# --- the world: a CA (and a rogue one), Dovecot, the messages
chmod 0711 "$TESTTMP"
sh "$LIB/testca.sh" "$TESTTMP/ca" imap.example.test 127.0.0.1 >/dev/null || bail "testca.sh failed"
sh "$LIB/testca.sh" "$TESTTMP/rogue" imap.example.test >/dev/null || bail "testca.sh (rogue) failed"
export DOVECOT_SH_OWNER=$$
PORTS=$(DOVECOT_SH_PASSWORD=$PASSWORD sh "$LIB/dovecot.sh" start "$TESTTMP/dovecot" \
  "$TESTTMP/ca/cert.pem" "$TESTTMP/ca/key.pem") || bail "Dovecot did not start"
CLEANUP="sh '$LIB/dovecot.sh' stop '$TESTTMP/dovecot'"
read -r IMAP_PORT IMAPS_PORT <<<"$PORTS"
CONF="$TESTTMP/dovecot/dovecot.conf"
diag "Dovecot on 127.0.0.1:$IMAP_PORT (STARTTLS) and :$IMAPS_PORT (TLS)"

M="$TESTTMP/msgs"
mkdir -p "$M"
msg "$M/inbox" inbox-probe "$T_INBOX"
msg "$M/junk" junk-probe "$T_JUNK"
msg "$M/ordinary" ordinary-mail
msg "$M/notoken" no-token-here "not-a-token"
msg "$M/bulk" bulk-probe "$T_BULK"
msg "$M/big" big-probe "$T_BIG" 6
save() { doveadm -c "$CONF" save -u "$USER_NAME" -m "$1" <"$2"; }
save INBOX "$M/inbox" && save INBOX "$M/ordinary" && save INBOX "$M/notoken" &&
  save Junk "$M/junk" && save "Bulk Mail" "$M/bulk" && save "Bulk Mail" "$M/big" ||
  bail "doveadm save failed"
# count MAILBOX [SEARCH-KEY...]: how many messages match in MAILBOX.
count() {
  local mb=$1
  shift
  doveadm -c "$CONF" search -u "$USER_NAME" mailbox "$mb" "${@:-ALL}" | wc -l
}
is "$(count INBOX)/$(count Junk)/$(count 'Bulk Mail')" 3/1/2 "messages delivered (INBOX 3, Junk 1, Bulk Mail 2)"

# poll NAME ARGS...: run imap_tool; stdout in $TESTTMP/NAME.out, stderr in .err, status in $RC.
ALL_OUT="$TESTTMP/all-output"
poll() {
  local name=$1
  shift
  IMAP_PASSWORD=${POLL_PASSWORD:-$PASSWORD} "$TOOL" --host imap.example.test --addr 127.0.0.1 \
    --user "$USER_NAME" "$@" >"$TESTTMP/$name.out" 2>"$TESTTMP/$name.err"
  RC=$?
  cat "$TESTTMP/$name.out" "$TESTTMP/$name.err" >>"$ALL_OUT"
  OUT=$(cat "$TESTTMP/$name.out")
  ERR=$(cat "$TESTTMP/$name.err")
}
# found FILE: the "FOLDER PLACEMENT TOKEN" of each message found, sorted (UIDs vary).
found() { awk '$1 != "SKIP" && NF == 5 { print $1, $2, $4 }' "$TESTTMP/$1.out" | sort; }
crlf_strip() { tr -d '\r' <"$1"; }

# --- 1. implicit TLS, no delete
mkdir -p "$TESTTMP/saved"
poll tls --port "$IMAPS_PORT" --ca "$TESTTMP/ca/ca.pem" --save "$TESTTMP/saved"
is "$RC" 0 "implicit TLS poll succeeds"
is "$(found tls)" "$(printf 'INBOX inbox %s\nJunk spam %s' "$T_INBOX" "$T_JUNK" | sort)" \
  "both probes found, INBOX as inbox and Junk as spam, with their tokens"
has "$OUT" "SKIP INBOX inbox" "the message with a malformed token is reported as skipped"
has "$OUT" "no-token" "as not a probe"
hasnt "$OUT" "ordinary" "the ordinary message is not listed"
uid_inbox=$(awk -v t="$T_INBOX" '$4 == t { print $3 }' "$TESTTMP/tls.out")
len_inbox=$(awk -v t="$T_INBOX" '$4 == t { print $5 }' "$TESTTMP/tls.out")
if [ -n "$uid_inbox" ] && [ -f "$TESTTMP/saved/$T_INBOX.eml" ]; then
  is "$(crlf_strip "$TESTTMP/saved/$T_INBOX.eml")" "$(crlf_strip "$M/inbox")" \
    "the INBOX probe is fetched whole, byte for byte (line ends aside)"
  is "$(wc -c <"$TESTTMP/saved/$T_INBOX.eml" | tr -d ' ')" "$len_inbox" "LEN is its length"
else
  ok 1 "the INBOX probe was saved"
  ok 1 "LEN is its length"
fi
flags=$(doveadm -c "$CONF" fetch -u "$USER_NAME" flags mailbox INBOX subject ordinary-mail)
hasnt "$flags" 'Seen' "the ordinary message is not even marked \\Seen"
is "$(count INBOX)/$(count Junk)" 3/1 "nothing deleted without --delete"

# --- 2. STARTTLS
poll starttls --port "$IMAP_PORT" --starttls --ca "$TESTTMP/ca/ca.pem"
is "$RC" 0 "STARTTLS poll succeeds"
is "$(found starttls)" "$(found tls)" "STARTTLS finds the same probes"
is "$(grep -c "Login: user=<$USER_NAME>.* lport=$IMAP_PORT,.*TLS" "$TESTTMP/dovecot/dovecot.log")" 1 \
  "Dovecot logged the login on the plain port as TLS (after STARTTLS)"
is "$(grep "Login: user=<$USER_NAME>.* lport=$IMAP_PORT," "$TESTTMP/dovecot/dovecot.log" | grep -vc TLS)" 0 \
  "and no login there without TLS"

# --- 3. a folder with a space; the size cap
poll bulk --port "$IMAPS_PORT" --ca "$TESTTMP/ca/ca.pem" --folder "Bulk Mail:spam" --max-message 3000
is "$RC" 0 "poll of \"Bulk Mail\" succeeds"
is "$(found bulk)" "Bulk_Mail spam $T_BULK" "the small probe in a folder with a space is found"
big=$(awk '$1 == "SKIP" && $6 == "too-big" { print $5 }' "$TESTTMP/bulk.out")
ok "$([ -n "$big" ] && [ "$big" -gt 3000 ] && echo 0 || echo 1)" \
  "the probe larger than max_message is skipped and reported with its size ($big)"
poll bulk_all --port "$IMAPS_PORT" --ca "$TESTTMP/ca/ca.pem" --folder "Bulk Mail:spam"
is "$(found bulk_all | awk '{print $3}' | sort | tr '\n' ' ')" \
  "$(printf '%s\n%s\n' "$T_BULK" "$T_BIG" | sort | tr '\n' ' ')" "with the default cap (1 MiB) both are fetched"

# --- 4. a folder that does not exist
poll nope --port "$IMAPS_PORT" --ca "$TESTTMP/ca/ca.pem" --folder "No Such:spam" --folder INBOX:inbox
is "$RC" 1 "a missing folder fails the poll"
has "$ERR" 'folder "No Such"' "the error names the folder"
has "$ERR" "error not found" "as not found"
is "$(found nope)" "INBOX inbox $T_INBOX" "the next folder is still searched"

# --- 5. failures
POLL_PASSWORD=$WRONG poll wrong --port "$IMAPS_PORT" --ca "$TESTTMP/ca/ca.pem"
is "$RC" 1 "a wrong password fails"
has "$ERR" "login refused" "saying the login was refused"
has "$ERR" "login_failed=1" "and flagged as a login failure"
hasnt "$ERR" "$WRONG" "without the password tried"
hasnt "$OUT" "$T_INBOX" "and finds nothing"

poll rogue --port "$IMAPS_PORT" --ca "$TESTTMP/rogue/ca.pem"
is "$RC" 1 "a certificate not signed by the configured CA is refused"
has "$ERR" "certificate rejected" "saying so"
has "$ERR" "error tls error" "as a TLS error"
poll rogue_starttls --port "$IMAP_PORT" --starttls --ca "$TESTTMP/rogue/ca.pem"
has "$RC $ERR" "1 error tls error" "over STARTTLS too"
IMAP_PASSWORD=$PASSWORD "$TOOL" --host wrong.example.test --addr 127.0.0.1 --user "$USER_NAME" \
  --port "$IMAPS_PORT" --ca "$TESTTMP/ca/ca.pem" >"$TESTTMP/name.out" 2>"$TESTTMP/name.err"
RC=$?
cat "$TESTTMP/name.err" >>"$ALL_OUT"
is "$RC $(grep -c 'not valid for this host name' "$TESTTMP/name.err")" "1 1" \
  "a certificate for another host name is refused (the pinned address is not trusted)"

DOWN=$(sh "$LIB/nsd.sh" freeport)
t0=$(date +%s%N)
poll down --port "$DOWN" --ca "$TESTTMP/ca/ca.pem" --timeout-ms 20000
ms=$((($(date +%s%N) - t0) / 1000000))
is "$RC" 1 "a server that is down fails"
has "$ERR" "error network error" "with ERR_NET"
ok "$([ "$ms" -lt 3000 ] && echo 0 || echo 1)" "quickly (${ms} ms)"

# --- 6. delete
poll del --port "$IMAPS_PORT" --ca "$TESTTMP/ca/ca.pem" --delete
is "$RC" 0 "poll with delete succeeds"
is "$(found del)" "$(found tls)" "finds both probes"
has "$OUT" "deleted 2" "and deletes both"
poll again --port "$IMAPS_PORT" --ca "$TESTTMP/ca/ca.pem"
is "$RC $(found again | wc -l)" "0 0" "a second poll finds no probe"
is "$(count Junk)" 0 "Junk is empty (doveadm)"
is "$(count INBOX)" 2 "INBOX keeps two messages"
is "$(count INBOX subject ordinary-mail)" 1 "the ordinary message is still there"
is "$(count INBOX subject inbox-probe)" 0 "the INBOX probe is gone"
is "$(count INBOX subject no-token-here)" 1 "the token-less message was left alone"

# --- 7. poll without delete, then delete by UID
T_LATE=$(token)
msg "$M/late" late-probe "$T_LATE"
save INBOX "$M/late" || bail "doveadm save failed"
poll late --port "$IMAPS_PORT" --ca "$TESTTMP/ca/ca.pem" --folder INBOX:inbox
is "$RC $(found late)" "0 INBOX inbox $T_LATE" "a poll without delete finds the new INBOX probe"
is "$(count INBOX subject late-probe)" 1 "and leaves it there"
uid_late=$(awk -v t="$T_LATE" '$4 == t { print $3 }' "$TESTTMP/late.out")
poll late_del --port "$IMAPS_PORT" --ca "$TESTTMP/ca/ca.pem" --delete-uids "INBOX:${uid_late:-1}"
is "$RC $OUT" "0 deleted 1" "mail_imap_delete of its UID succeeds"
is "$(count INBOX subject late-probe)" 0 "the probe is gone (doveadm)"
is "$(count INBOX subject ordinary-mail)/$(count INBOX subject no-token-here)" 1/1 \
  "the ordinary and the token-less messages are untouched"
poll late_again --port "$IMAPS_PORT" --ca "$TESTTMP/ca/ca.pem" --folder INBOX:inbox
is "$RC $(found late_again | wc -l)" "0 0" "a second poll finds no probe"
poll bulk_found --port "$IMAPS_PORT" --ca "$TESTTMP/ca/ca.pem" --folder "Bulk Mail:spam"
bulk_uids=$(awk '$1 == "Bulk_Mail" && NF == 5 { print $3 }' "$TESTTMP/bulk_found.out" | paste -sd, -)
is "$(count 'Bulk Mail')" 2 "Bulk Mail still holds its two probes (never polled with delete)"
poll bulk_del --port "$IMAPS_PORT" --ca "$TESTTMP/ca/ca.pem" --delete-uids "Bulk Mail:${bulk_uids:-1}"
is "$RC $OUT" "0 deleted 2" "two UIDs in one call, in a folder with a space"
is "$(count 'Bulk Mail')" 0 "both are gone (doveadm)"
poll gone_del --port "$IMAPS_PORT" --ca "$TESTTMP/ca/ca.pem" --delete-uids "INBOX:${uid_late:-1}"
is "$RC" 0 "deleting a UID already gone is not an error"
is "$(count INBOX)" 2 "and removes nothing else"
poll bad_del --port "$IMAPS_PORT" --ca "$TESTTMP/ca/ca.pem" --delete-uids "INBOX:0"
is "$RC" 1 "UID 0 is refused"
has "$ERR" "outside 1..4294967295" "saying why"
POLL_PASSWORD=$WRONG poll wrong_del --port "$IMAPS_PORT" --ca "$TESTTMP/ca/ca.pem" --delete-uids "INBOX:1"
has "$RC $ERR" "1 error: " "a delete with a wrong password fails"
hasnt "$ERR" "$WRONG" "without the password tried"
is "$(count INBOX)" 2 "and deletes nothing"

# --- 8. all_messages: a report mailbox's way
T_ARCH=$(token)
msg "$M/rep1" report-one
msg "$M/rep2" report-two "" 1
msg "$M/rep3" report-probe "$T_ARCH"
msg "$M/rep4" report-big "" 6
save Archive "$M/rep1" && save Archive "$M/rep2" && save Archive "$M/rep3" &&
  save Archive "$M/rep4" || bail "doveadm save failed"
# allfound FILE: "PLACEMENT TOKEN LEN" of each message found, sorted.
allfound() { awk '$1 != "SKIP" && NF == 5 { print $2, $4, $5 }' "$TESTTMP/$1.out" | sort; }
mkdir -p "$TESTTMP/allsaved"
poll all --port "$IMAPS_PORT" --ca "$TESTTMP/ca/ca.pem" --folder Archive:inbox --all \
  --max-message 3000 --save "$TESTTMP/allsaved"
is "$RC" 0 "an all_messages poll of Archive succeeds"
is "$(allfound all | awk '{print $1, $2}' | tr '\n' ' ')" "inbox - inbox - inbox - " \
  "it fetches the three messages that fit, probe or not, without a token"
big=$(awk '$1 == "SKIP" && $6 == "too-big" { print $5 }' "$TESTTMP/all.out")
ok "$([ -n "$big" ] && [ "$big" -gt 3000 ] && echo 0 || echo 1)" \
  "the one larger than max_message is skipped with its size ($big)"
uid_rep2=$(doveadm -c "$CONF" fetch -u "$USER_NAME" uid mailbox Archive subject report-two | sed -n 's/^uid: //p')
if [ -n "$uid_rep2" ] && [ -f "$TESTTMP/allsaved/uid-$uid_rep2.eml" ]; then
  is "$(crlf_strip "$TESTTMP/allsaved/uid-$uid_rep2.eml")" "$(crlf_strip "$M/rep2")" \
    "a message is fetched whole, byte for byte (line ends aside)"
else
  ok 1 "report-two (uid '$uid_rep2') was saved"
fi
has "$OUT" "deleted 0" "nothing deleted without --delete"
is "$(count Archive)" 4 "Archive keeps its four messages"
poll all_inbox --port "$IMAPS_PORT" --ca "$TESTTMP/ca/ca.pem" --folder INBOX:inbox --all
is "$RC $(allfound all_inbox | wc -l)" "0 2" "INBOX: both remaining messages (not probes) are fetched"
poll all_del --port "$IMAPS_PORT" --ca "$TESTTMP/ca/ca.pem" --folder Archive:inbox --all \
  --max-message 3000 --delete
is "$RC" 0 "an all_messages poll with delete succeeds"
has "$OUT" "deleted 3" "and deletes the three fetched"
is "$(count Archive)/$(count Archive subject report-big)" 1/1 "only the too-big one is left (doveadm)"
is "$(count INBOX)" 2 "INBOX is untouched"

# --- no secret anywhere
hasnt "$(cat "$ALL_OUT")" "pw$RAND" "no output of any poll holds the password"
hasnt "$(cat "$TESTTMP/dovecot/dovecot.log")" "pw$RAND" "nor does the server's log"

done_testing
