#!/bin/bash
# tests/integration/test_verify.sh: the real `mailpulse verify` binary against
# a real authoritative DNS server (NSD, tests/lib/nsd.sh) serving the zones
# in tests/fixtures/verify/: shop.test (SPF 192.0.2.0/24, DKIM s1 with
# tests/fixtures/keys/dkim-ok.pem, DMARC p=reject sp=quarantine np=reject) and
# espmail.test (an ESP: SPF 198.51.100.0/24, DKIM s1 with esp-s1.pem).
# Messages are DKIM-signed by an independent signer (python3-dkim's
# dkimsign), so our verifier is checked against another implementation.
# Exit codes checked: 0 DMARC pass, 1 fail/none, 2 temperror/permerror, 3 usage.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
MP="$top_builddir/mailpulse"
FIX="$top_srcdir/tests/fixtures"
PY=/usr/bin/python3

command -v nsd >/dev/null 2>&1 || [ -x /usr/sbin/nsd ] || bail "nsd is not installed (scripts/setup installs it)"
command -v dkimsign >/dev/null 2>&1 || bail "dkimsign (python3-dkim) is not installed (scripts/setup installs it)"
[ -x "$MP" ] || bail "no mailpulse binary at $MP"

export NSD_SH_OWNER=$$
PORT=$(sh "$top_srcdir/tests/lib/nsd.sh" start "$TESTTMP/nsd" "$FIX/verify") || bail "NSD did not start"
CLEANUP="sh '$top_srcdir/tests/lib/nsd.sh' stop '$TESTTMP/nsd'; "
SILENT=$(sh "$top_srcdir/tests/lib/nsd.sh" silent "$TESTTMP/silent") || bail "silent port"
CLEANUP="$CLEANUP sh '$top_srcdir/tests/lib/nsd.sh' stop '$TESTTMP/silent'; "

# msg FROM [extra header lines]: an RFC 5322 message with CRLF line ends
msg() {
  printf '%bFrom: %s\r\nTo: probe@example.org\r\nSubject: receipt\r\nDate: Sun, 29 Nov 2026 12:00:00 +0000\r\nMessage-ID: <r1@shop.test>\r\n\r\nThanks for your order.\r\n' "${2:-}" "$1"
}
# signed FILE DOMAIN KEY: sign stdin as d=DOMAIN s=s1 into FILE
signed() { dkimsign s1 "$2" "$FIX/keys/$3" >"$1"; }
# run ARGS...: output in $OUT, exit code in $RC
run() {
  OUT=$("$MP" verify --resolver "127.0.0.1:$PORT" --timeout 5 --authserv-id mx.mailpulse.test "$@" 2>"$TESTTMP/stderr")
  RC=$?
}

# --- aligned: SPF and DKIM both pass for shop.test
msg 'Shop <billing@shop.test>' | signed "$TESTTMP/aligned.eml" shop.test dkim-ok.pem
ok $? "dkimsign signed the aligned message"
run "$TESTTMP/aligned.eml" --client-ip 192.0.2.10 --helo mail.shop.test --mail-from bounce@shop.test
is "$RC" 0 "aligned: exit 0 (DMARC pass)"
is "$(printf '%s\n' "$OUT" | head -n1)" "Authentication-Results: mx.mailpulse.test;" "our field comes first"
has "$OUT" "spf=pass" "aligned: spf=pass"
has "$OUT" "smtp.mailfrom=bounce@shop.test" "aligned: smtp.mailfrom"
has "$OUT" "dkim=pass header.d=shop.test header.s=s1" "aligned: python3-dkim's signature verifies"
has "$OUT" "dmarc=pass (p=reject) header.from=shop.test" "aligned: dmarc=pass with the policy"
has "$OUT" "DMARC: pass (policy reject)" "aligned: summary"
LONG=$(printf '%s\n' "$OUT" | sed '/^$/q' | awk 'length($0) > 78' | wc -l)
is "$LONG" 0 "our field is folded at 78 columns"

# --- the same message through stdin, JSON
OUT=$("$MP" verify - --resolver "127.0.0.1:$PORT" --client-ip 192.0.2.10 --helo mail.shop.test \
  --mail-from '<bounce@shop.test>' --format json <"$TESTTMP/aligned.eml" 2>"$TESTTMP/stderr")
RC=$?
is "$RC" 0 "stdin + json: exit 0"
is "$(printf '%s' "$OUT" | $PY -c 'import json,sys
d=json.load(sys.stdin)
print(d["dmarc"]["result"], d["dmarc"]["spf_aligned"], d["dmarc"]["dkim_aligned"], d["dmarc"]["aligned_dkim_domain"], d["spf"]["mailfrom"], d["spf"]["helo"], d["dkim"][0]["result"], d["dkim"][0]["key_bits"])' 2>&1)" \
  "pass True True shop.test pass pass pass 2048" "json: the whole verdict"

# --- misaligned: From shop.test, but SPF and DKIM for the ESP only
msg 'billing@shop.test' | signed "$TESTTMP/esp.eml" espmail.test esp-s1.pem
run "$TESTTMP/esp.eml" --client-ip 198.51.100.5 --helo out.espmail.test --mail-from bounce@espmail.test
is "$RC" 1 "misaligned: exit 1 (DMARC fail)"
has "$OUT" "spf=pass" "misaligned: SPF passes for the ESP"
has "$OUT" "dkim=pass header.d=espmail.test" "misaligned: the ESP's signature passes"
has "$OUT" "dmarc=fail (p=reject) header.from=shop.test" "misaligned: dmarc=fail"
has "$OUT" "SPF passed for espmail.test, which is not aligned with shop.test" "misaligned: reason in plain words"

# --- SPF only (unsigned), relaxed alignment of a subdomain envelope
msg 'billing@shop.test' >"$TESTTMP/plain.eml"
run "$TESTTMP/plain.eml" --client-ip 192.0.2.10 --helo mail.shop.test --mail-from x@bounce.shop.test
is "$RC" 0 "unsigned, SPF for bounce.shop.test: relaxed alignment passes"
has "$OUT" "dkim=none" "unsigned: dkim=none"

# --- null path: postmaster@HELO
run "$TESTTMP/plain.eml" --client-ip 192.0.2.10 --helo mail.shop.test --mail-from ''
is "$RC" 0 "null path: HELO domain aligns"
has "$OUT" "smtp.mailfrom=postmaster@mail.shop.test" "null path: postmaster@HELO"

# --- subdomains: sp for an existing one, np for one that does not exist
msg 'a@news.shop.test' >"$TESTTMP/news.eml"
run "$TESTTMP/news.eml" --client-ip 198.51.100.5 --helo out.espmail.test --mail-from b@espmail.test
is "$RC" 1 "news.shop.test from the ESP: fail"
has "$OUT" "dmarc=fail (sp=quarantine)" "existing subdomain: sp=quarantine"
msg 'a@ghost.shop.test' >"$TESTTMP/ghost.eml"
run "$TESTTMP/ghost.eml" --client-ip 198.51.100.5 --helo out.espmail.test --mail-from b@espmail.test
has "$OUT" "dmarc=fail (np=reject)" "NXDOMAIN subdomain over the wire: np=reject"

# --- permerror: two From fields
printf 'From: a@shop.test\r\nFrom: b@espmail.test\r\nSubject: x\r\n\r\nx\r\n' >"$TESTTMP/two.eml"
run "$TESTTMP/two.eml" --client-ip 192.0.2.10 --helo mail.shop.test --mail-from bounce@shop.test
is "$RC" 2 "two From fields: exit 2"
has "$OUT" "dmarc=permerror" "two From fields: permerror"

# --- upstream Authentication-Results: trusted and untrusted
msg 'billing@shop.test' 'Authentication-Results: mx.trusted.test; spf=pass smtp.mailfrom=bounce@shop.test\r\nAuthentication-Results: forged.test; dmarc=pass header.from=shop.test\r\n' >"$TESTTMP/up.eml"
run "$TESTTMP/up.eml" --client-ip 192.0.2.10 --helo mail.shop.test --mail-from bounce@shop.test \
  --trust-authserv-id mx.trusted.test
has "$OUT" "mx.trusted.test: spf=pass smtp.mailfrom=bounce@shop.test" "trusted upstream field shown"
hasnt "$OUT" "forged.test" "untrusted upstream field ignored"

# --- temperror: the resolver never answers
OUT=$("$MP" verify "$TESTTMP/plain.eml" --resolver "127.0.0.1:$SILENT" --timeout 1 \
  --client-ip 192.0.2.10 --helo mail.shop.test --mail-from bounce@shop.test 2>"$TESTTMP/stderr")
RC=$?
is "$RC" 2 "DNS timeout: exit 2"
has "$OUT" "dmarc=temperror" "DNS timeout: dmarc=temperror"
has "$OUT" "spf=temperror" "DNS timeout: spf=temperror"

# --- usage errors
"$MP" verify "$TESTTMP/plain.eml" --helo x >/dev/null 2>&1
is "$?" 3 "no --client-ip: exit 3"
"$MP" verify "$TESTTMP/missing.eml" --client-ip 192.0.2.10 --helo x >/dev/null 2>"$TESTTMP/stderr"
is "$?" 3 "unreadable file: exit 3"
"$MP" verify "$TESTTMP/plain.eml" --client-ip not-an-ip --helo x --resolver "127.0.0.1:$PORT" >/dev/null 2>&1
is "$?" 3 "bad --client-ip: exit 3"

done_testing
