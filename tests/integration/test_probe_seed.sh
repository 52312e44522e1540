#!/bin/bash
# tests/integration/test_probe_seed.sh: probes that come back through IMAP
# seed boxes, end to end in the daemon (issue 4 "Dovecot (IMAP) on loopback
# holds a probe in INBOX and one in Junk: both found, folders recorded").
#
# The world on loopback: NSD serves tests/fixtures/probe/probe.test.zone
# (SPF allowing 127.0.0.1, the mp1 DKIM key, DMARC p=reject) plus, added to
# the copy here, the same SPF and mp1 key for junk.probe.test; a real Exim
# (tests/lib/exim.sh, STARTTLS + AUTH) is the submission relay, in relay mode
# (to mailpulsed's listener) and in LMTP mode for seed.test: it delivers
# seed.test over LMTP to a real Dovecot (tests/lib/dovecot.sh with
# DOVECOT_SH_LMTP, recipient_delimiter +, lmtp_save_to_detail_mailbox), so
# seed@seed.test lands in INBOX and seed+Junk@seed.test in Junk of the
# Dovecot user seed@seed.test.  mailpulsed has two [seed] boxes on that
# user (IMAPS with the test CA, poll_interval 30s), one per address, and two
# probing domains:
#   probe.test       probe_to = seed:inbox  (seed@seed.test)
#   junk.probe.test  probe_to = seed:junk   (seed+Junk@seed.test)
# Checked through /api/v1/domains/NAME/probes and /api/v1/domains/NAME:
#  1. probe.test's probe is found in the inbox and VERIFIED (dkim pass,
#     dmarc pass), a round trip recorded, source the seed box;
#  2. junk.probe.test's probe is found in the spam folder, DKIM and DMARC
#     pass, and the domain carries a PROBE_SPAM finding of severity warn;
#  3. both were deleted from the mailbox, after being stored (the log says
#     seed-found before seed-deleted): a poll with tests/mail/imap_tool
#     does not see their tokens, and doveadm finds no message carrying them;
#  4. the seed password (app-style, with spaces) and the relay password are
#     in no log, page or API output; SIGTERM drains (exit 0 within 10 s).
# Exim needs root (Debian's exim4 takes -C only from root), Dovecot's LMTP
# needs dovecot-lmtpd: without them the whole test is skipped, saying so.
# Every wait is bounded.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"
. "$top_srcdir/tests/lib/probe.sh"
TOOL="$top_builddir/tests/mail/imap_tool"
PATH=$PATH:/usr/sbin:/sbin
SEED_USER=seed@seed.test
# An app-style password (four groups, spaces, like Gmail's): never in any output.
SEEDPW="sd$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n') efgh ijkl mnop"

[ -x "$TOOL" ] || bail "no $TOOL (make check builds it)"
probe_need
command -v dovecot >/dev/null 2>&1 || skip_all "dovecot is not installed (scripts/setup)"
[ -x /usr/lib/dovecot/imap ] || skip_all "dovecot-imapd is not installed"
[ -x /usr/lib/dovecot/lmtp ] || skip_all "dovecot-lmtpd is not installed (scripts/setup)"
command -v doveadm >/dev/null 2>&1 || skip_all "doveadm is not installed"
grep -q EXIM_SH_LMTP_PORT "$LIB/exim.sh" || skip_all "tests/lib/exim.sh has no LMTP mode"

chmod 0711 "$TESTTMP"
zones_copy "$FIX"/*.zone
# junk.probe.test: the same SPF and mp1 key as probe.test (DMARC comes from
# probe.test, its organizational domain).
{
  echo 'junk            TXT "v=spf1 ip4:127.0.0.1 -all"'
  sed -n 's/^mp1._domainkey  /mp1._domainkey.junk /p' "$FIX/probe.test.zone"
} >>"$ZONES/probe.test.zone"
nsd_start "$ZONES"
dig +short +norecurse -p "$DNSPORT" @127.0.0.1 mp1._domainkey.junk.probe.test TXT | grep -q 'v=DKIM1' ||
  bail "NSD does not serve mp1._domainkey.junk.probe.test"
ca_make mta.test 127.0.0.1

export DOVECOT_SH_OWNER=$$ EXIM_SH_OWNER=$$
DPORTS=$(DOVECOT_SH_PASSWORD=$SEEDPW DOVECOT_SH_USER=$SEED_USER DOVECOT_SH_LMTP=yes \
  sh "$LIB/dovecot.sh" start "$TESTTMP/dovecot" "$TESTTMP/ca/cert.pem" "$TESTTMP/ca/key.pem") ||
  bail "Dovecot did not start"
cleanup_first "sh '$LIB/dovecot.sh' stop '$TESTTMP/dovecot'"
read -r _ IMAPS LMTP <<<"$DPORTS"
DCONF="$TESTTMP/dovecot/dovecot.conf"

probe_exim_start EXIM_SH_LMTP_DOMAIN=seed.test EXIM_SH_LMTP_PORT="$LMTP"
diag "Dovecot IMAPS $IMAPS LMTP $LMTP; Exim submission $SUB; listener $LPORT"

web_port
probe_files
printf '%s\n' "$SEEDPW" >"$TESTTMP/seed-password"
chmod 600 "$TESTTMP/seed-password"

# seed NAME ADDRESS: a [seed] section on Dovecot's user seed@seed.test.
seed() {
  cat <<EOC
[seed $1]
host = 127.0.0.1
port = $IMAPS
tls = implicit
ca_file = $CA
username = $SEED_USER
password_file = $TESTTMP/seed-password
address = $2
inbox = INBOX
spam = Junk
poll_interval = 30s
timeout = 20s
EOC
}
# domain NAME SEED: a probing [domain] signing with mp1.
domain() {
  cat <<EOC
[domain $1]
selectors = mp1
discover_selectors = no
dkim_key = mp1=$TESTTMP/mp1.pem
probe_interval = 1m
probe_relay = exim
probe_to = seed:$2
probe_sign = mp1
EOC
}
{
  conf_daemon "$TESTTMP/state"
  conf_web
  probe_conf 5m
  seed inbox "$SEED_USER"
  seed junk seed+Junk@seed.test
  domain probe.test inbox
  domain junk.probe.test junk
} >"$CONF"
chmod 600 "$CONF"
"$MPD" -c "$CONF" --check-config >"$TESTTMP/check.out" 2>&1
ok $? "the config with two [seed] boxes on one mailbox is accepted" ||
  sed 's/^/# /' "$TESTTMP/check.out"

start_daemon
wait_for 20 ready || bail "mailpulsed is not ready: $(tail -5 "$LOG")"

# done_seen DOMAIN: a probe of DOMAIN came back and was judged (verified or failed).
done_seen() {
  [ "$(pfield "$1" "any(x.get('state') in ('verified', 'failed') for x in p)")" = True ]
}
# dfield DOMAIN EXPR: EXPR over the domain object d of /api/v1/domains/DOMAIN.
dfield() {
  curl -s "$URL/api/v1/domains/$1" >"$TESTTMP/domain-$1.json"
  $PY -c 'import json,sys
d = json.load(open(sys.argv[1]))["domain"]
print(eval(sys.argv[2]))' "$TESTTMP/domain-$1.json" "$2" 2>&1
}
DONE="[x for x in p if x['state'] in ('verified', 'failed')][0]"

# 1. The inbox probe.
wait_for 120 done_seen probe.test
ok $? "probe.test: the probe came back from the seed box" || diag_log 40
is "$(pfield probe.test "$DONE['state']")" verified "  VERIFIED" ||
  diag "$(pfield probe.test "$DONE['error']")"
is "$(pfield probe.test "$DONE['folder']")" inbox "  folder inbox"
is "$(pfield probe.test "$DONE['rcpt']")" "$SEED_USER" "  sent to the box's address"
is "$(pfield probe.test "$DONE['dkim']")" pass "  dkim pass"
is "$(pfield probe.test "$DONE['dmarc']")" pass "  dmarc pass"
is "$(pfield probe.test "0 < $DONE['roundtrip_seconds'] < 120")" True "  round trip recorded"
T_INBOX=$(pfield probe.test "$DONE['token']")

# 2. The Junk probe.
wait_for 120 done_seen junk.probe.test
ok $? "junk.probe.test: the probe came back from the seed box" || diag_log 40
is "$(pfield junk.probe.test "$DONE['folder']")" spam "  folder spam"
is "$(pfield junk.probe.test "$DONE['rcpt']")" seed+Junk@seed.test "  sent to seed+Junk@"
is "$(pfield junk.probe.test "$DONE['dkim']")" pass "  dkim pass"
is "$(pfield junk.probe.test "$DONE['dmarc']")" pass "  dmarc pass"
is "$(dfield junk.probe.test "[f['severity'] for f in d['findings'] if f['code'] == 'PROBE_SPAM']")" \
  "['warn']" "  a PROBE_SPAM finding, severity warn"
is "$(dfield probe.test "[f['code'] for f in d['findings'] if f['code'].startswith('PROBE_')]")" \
  "['PROBE_OK']" "probe.test: PROBE_OK and no other probe finding"
T_JUNK=$(pfield junk.probe.test "$DONE['token']")
diag "tokens: inbox $T_INBOX junk $T_JUNK"

# 3. Deleted from the mailbox once read: only after the daemon stored it
# (issue 4 durability), by a second job on its network lane, so give that
# job a bounded moment.
# dcount TOKEN: messages of the seed user carrying TOKEN in a header, in any folder.
dcount() { doveadm -c "$DCONF" search -u "$SEED_USER" mailbox '*' HEADER X-Mailpulse-Probe "$1" | wc -l; }
both_gone() { [ "$(dcount "$T_INBOX")/$(dcount "$T_JUNK")" = 0/0 ]; }
[ -n "$T_INBOX" ] && [ -n "$T_JUNK" ] && wait_for 30 both_gone
ok $? "the daemon deleted both probes from the box" || diag_log 20
# seen_before A B: the first log line matching A comes before the first matching B.
seen_before() {
  local a b
  a=$(grep -n -m1 -- "$1" "$LOG" | cut -d: -f1)
  b=$(grep -n -m1 -- "$2" "$LOG" | cut -d: -f1)
  [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]
}
seen_before "seed-found seed=" "seed-deleted seed="
ok $? "  stored first (seed-found), deleted afterwards (seed-deleted)"
IMAP_PASSWORD=$SEEDPW "$TOOL" --host 127.0.0.1 --port "$IMAPS" --ca "$CA" --user "$SEED_USER" \
  --folder INBOX:inbox --folder Junk:spam >"$TESTTMP/poll.out" 2>"$TESTTMP/poll.err"
ok $? "a second IMAP poll of INBOX and Junk works" || sed 's/^/# /' "$TESTTMP/poll.err"
# gone TOKEN: TOKEN is a probe token and the poll did not see it.
gone() { [[ $1 =~ ^mp[a-z2-7]{26}$ ]] && ! grep -q "$1" "$TESTTMP/poll.out"; }
gone "$T_INBOX"
ok $? "  the inbox probe ($T_INBOX) is gone"
gone "$T_JUNK"
ok $? "  the junk probe ($T_JUNK) is gone"
[ -n "$T_INBOX" ] && [ -n "$T_JUNK" ] && [ "$(dcount "$T_INBOX")/$(dcount "$T_JUNK")" = 0/0 ]
ok $? "doveadm finds neither probe"
has "$(doveadm -c "$DCONF" mailbox status -u "$SEED_USER" messages INBOX 2>&1)" messages= \
  "  (doveadm reads the mailbox)"

# 4. Secrets and SIGTERM.
curl -s "$URL/" "$URL/domain/probe.test" "$URL/domain/junk.probe.test" \
  "$URL/api/v1/domains/probe.test" "$URL/api/v1/domains/junk.probe.test" >"$TESTTMP/pages"
ALL=$(cat "$LOG" "$TESTTMP/pages" "$TESTTMP"/probes-*.json "$TESTTMP"/domain-*.json "$TESTTMP/poll.out" "$TESTTMP/poll.err")
hasnt "$ALL" "$SEEDPW" "the seed password is not in the log, the API, the pages or the tool's output"
hasnt "$ALL" "${SEEDPW%% *}" "  not even its first group"
hasnt "$ALL" "$PASS" "the relay password is in none of them either"
daemon_term 10 "SIGTERM: mailpulsed exits within 10 s" "with status 0"
done_testing
