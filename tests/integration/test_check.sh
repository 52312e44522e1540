#!/bin/bash
# tests/integration/test_check.sh: the real `mailpulse check` binary against a
# real authoritative DNS server (NSD, tests/lib/nsd.sh) serving the fixture
# zones in tests/fixtures/zones/, and a real HTTPS server with a throw-away
# CA serving MTA-STS policies (tests/fixtures/mta-sts/).  Every finding code
# of the foundation issue is triggered by one fixture domain; each zone file
# says at its top which codes it is for.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
MP="$top_builddir/mailpulse"
FIX="$top_srcdir/tests/fixtures"
PY=/usr/bin/python3

command -v nsd >/dev/null 2>&1 || [ -x /usr/sbin/nsd ] || bail "nsd is not installed (scripts/setup installs it)"
[ -x "$MP" ] || bail "no mailpulse binary at $MP"

export NSD_SH_OWNER=$$
PORT=$(sh "$top_srcdir/tests/lib/nsd.sh" start "$TESTTMP/nsd" "$FIX/zones") || bail "NSD did not start"
CLEANUP="sh '$top_srcdir/tests/lib/nsd.sh' stop '$TESTTMP/nsd'; "
CA=$(sh "$top_srcdir/tests/lib/testca.sh" "$TESTTMP/ca" mta-sts.good.test mta-sts.stsbad.test \
  mta-sts.stsgone.test) || bail "test CA"
$PY "$top_srcdir/tests/lib/https_server.py" "$TESTTMP/ca/cert.pem" "$TESTTMP/ca/key.pem" \
  "$FIX/mta-sts" "$TESTTMP/https.port" 2>"$TESTTMP/https.log" &
HTTPS_PID=$!
CLEANUP="$CLEANUP kill $HTTPS_PID 2>/dev/null; "
for _ in $(seq 100); do [ -s "$TESTTMP/https.port" ] && break; sleep 0.1; done
HPORT=$(cat "$TESTTMP/https.port" 2>/dev/null) || bail "HTTPS server did not start"

COMMON=(--resolver "127.0.0.1:$PORT" --ca-file "$CA" --https-port "$HPORT" --timeout 5)

# run DOMAIN [args...]: JSON report in $OUT, exit code in $RC, codes in $CODES
run() {
  OUT=$("$MP" check "${COMMON[@]}" --format json "$@" 2>"$TESTTMP/stderr")
  RC=$?
  CODES=$(printf '%s' "$OUT" | $PY -c 'import json,sys
d=json.load(sys.stdin)
for x in d["domains"]:
    for f in x["findings"]: print(f["severity"], f["code"])' 2>&1)
}
expect_codes() { # label codes...
  local label=$1; shift
  for c in "$@"; do has "$CODES" "$c" "$label: $c"; done
}

# --- the OK baseline: everything right, DKIM delegated by CNAME, MTA-STS over HTTPS
run good.test --selector mp1 --selector s1 --dkim-key "mp1=$FIX/keys/good-mp1.pem"
is "$RC" 0 "good.test: exit 0 (OK)"
expect_codes good.test "ok SPF_OK" "ok DKIM_OK" "ok DMARC_OK" "ok MX_OK" "ok MTASTS_OK" "ok TLSRPT_OK" "ok BIMI_OK"
hasnt "$CODES" "critical" "good.test: nothing critical"
has "$OUT" "delegated to s1.dkim.esp.test" "good.test: CNAME'd selector followed to the ESP"
has "$OUT" "matches the key file" "good.test: DNS key equals the configured private key"

# --- nothing published
run nospf.test --no-discovery
is "$RC" 2 "nospf.test: exit 2 (CRITICAL)"
expect_codes nospf.test "critical SPF_MISSING" "critical DMARC_MISSING" "warn MX_MISSING" "DKIM_NO_SELECTOR" "TLSRPT_MISSING"

run multi.test
expect_codes multi.test "critical SPF_MULTIPLE" "critical DMARC_MULTIPLE"

run syntax.test --selector bad
expect_codes syntax.test "critical SPF_SYNTAX" "critical DMARC_SYNTAX" "critical DKIM_KEY_SYNTAX" "MTASTS_INVALID" "BIMI_INVALID"

run lookups.test
expect_codes lookups.test "critical SPF_TOO_MANY_LOOKUPS" "SPF_TOO_MANY_VOID_LOOKUPS" "warn SPF_PTR" "warn SPF_NEUTRAL_ALL"
is "$(printf '%s' "$OUT" | $PY -c 'import json,sys; print(json.load(sys.stdin)["domains"][0]["spf"]["lookups"])')" 19 \
  "lookups.test: 19 DNS-querying terms counted through nested includes, past 10"
is "$(printf '%s' "$OUT" | $PY -c 'import json,sys
t=json.load(sys.stdin)["domains"][0]["spf"]["tree"]
print(" ".join("%s=%d" % (x["include"]["domain"], x["lookups"]) for x in t["terms"] if "include" in x))')" \
  "i1.lookups.test=4 i2.lookups.test=4 i3.lookups.test=7" "lookups.test: the JSON tree says what each include costs"
has "$("$MP" check "${COMMON[@]}" lookups.test --explain)" "i3.lookups.test: 6 lookups" "--explain: the lookup tree in text"

run passall.test
expect_codes passall.test "critical SPF_PASS_ALL" "warn DMARC_POLICY_NONE" "warn DMARC_NO_RUA"

run partial.test
expect_codes partial.test "warn SPF_NO_ALL" "warn DMARC_PARTIAL" "warn DMARC_SUBDOMAIN_NONE" "DMARC_RUA_UNAUTHORIZED"

run mail.inherit.test
expect_codes mail.inherit.test "info DMARC_INHERITED"

run incl.test
expect_codes incl.test "critical SPF_INCLUDE_NO_SPF"

run dkim.test --no-discovery --selector ok --selector weak --selector test --selector gone \
  --selector ed --selector missing --dkim-key "ok=$FIX/keys/dkim-other.pem" --dkim-key "ed=$FIX/keys/dkim-ed.pem"
expect_codes dkim.test "critical DKIM_KEY_MISMATCH" "DKIM_KEY_WEAK" "warn DKIM_KEY_TESTING" "DKIM_KEY_REVOKED" "critical DKIM_KEY_MISSING"
hasnt "$OUT" 'selector \"ed\"' "dkim.test: no finding against the ed25519 key (RFC 8463) or its key file"
# The private keys never reach the output (DESIGN.md: nothing secret leaks).
leak=0
for k in "$FIX"/keys/*.pem; do
  while IFS= read -r line; do
    case "$line" in -----*|"") continue ;; esac
    case "$OUT" in *"$line"*) leak=1 ;; esac
  done < "$k"
done
is "$leak" 0 "no line of a private key file appears in the report"

run nullmx.test
expect_codes nullmx.test "MX_NULL"
run mxbad.test
expect_codes mxbad.test "critical MX_HOST_UNRESOLVABLE"
run stsbad.test
expect_codes stsbad.test "critical MTASTS_MX_NOT_COVERED"
run stsgone.test
expect_codes stsgone.test "critical MTASTS_POLICY_UNREACHABLE"
has "$OUT" "404" "stsgone.test: the HTTP status is in the message"

# --- a certificate that does not match is a failed fetch, not a pass
OUT=$("$MP" check --resolver "127.0.0.1:$PORT" --https-port "$HPORT" --format json good.test 2>/dev/null)
has "$OUT" "MTASTS_POLICY_UNREACHABLE" "without the test CA the certificate check fails the fetch"

# --- a 1.9 KB SPF record only arrives over TCP
run big.test
expect_codes big.test "ok SPF_OK"
has "$OUT" "198.51.0.109 -all" "big.test: the whole record arrived (TCP fallback), last term intact"

# --- hostile bytes: findings, valid JSON, nothing raw on a terminal
run hostile.test --selector sel --selector x
is "$RC" 2 "hostile.test: a verdict, not a crash"
expect_codes hostile.test "critical SPF_SYNTAX" "critical DMARC_SYNTAX"
TXT=$("$MP" check "${COMMON[@]}" hostile.test --selector sel --selector x --explain 2>&1)
if printf '%s' "$TXT" | LC_ALL=C grep -q "$(printf '[\001-\010\016-\037]')"; then ok 1 "hostile.test: control bytes escaped in text"; else ok 0 "hostile.test: control bytes escaped in text"; fi
run huge.test --explain
expect_codes huge.test "critical SPF_SYNTAX"
is "$(printf '%s' "$OUT" | $PY -c 'import json,sys
d=json.load(sys.stdin)
print([len(q["records"][0]) for q in d["domains"][0]["dns"] if q["name"] == "huge.test" and q["type"] == "TXT"][0])')" 60000 \
  "huge.test: the 60 KB record arrived whole (over TCP)"
has "$OUT" "longer than 4096 bytes" "huge.test: the reason is the size"
run dkim.test --no-discovery --selector loop
expect_codes "dkim.test CNAME loop" "unknown DNS_TEMPFAIL"
hasnt "$CODES" "critical" "a DKIM selector in a CNAME loop is unknown, not critical"
run inclloop.test
expect_codes inclloop.test "critical SPF_TOO_MANY_LOOKUPS"
has "$OUT" "loop" "inclloop.test: the include loop is named"

# --- Nagios format
NAG=$("$MP" check "${COMMON[@]}" --format nagios lookups.test)
RC=$?
is "$RC" 2 "nagios: exit 2"
has "$(printf '%s' "$NAG" | head -1)" "CRITICAL: lookups.test CRITICAL (" "nagios: status first"
has "$(printf '%s' "$NAG" | head -1)" "| 'spf_lookups'=19;;10 'spf_void_lookups'=3;;2" "nagios: perfdata with thresholds"

# --- many domains concurrently, from a file, text format
(cd "$FIX/zones" && ls -- *.zone) | sed 's/\.zone$//' | grep -v '^test$' > "$TESTTMP/domains"
echo "# a comment line" >> "$TESTTMP/domains"
OUT=$("$MP" check "${COMMON[@]}" --format json --domains-file "$TESTTMP/domains")
RC=$?
is "$(printf '%s' "$OUT" | $PY -c 'import json,sys; print(len(json.load(sys.stdin)["domains"]))')" \
  "$(grep -vc '^#' "$TESTTMP/domains")" "every domain of the file reported"
is "$RC" 2 "worst domain decides the exit code"
TXT=$("$MP" check "${COMMON[@]}" good.test nospf.test --selector mp1 --selector s1)
has "$(printf '%s' "$TXT" | head -1)" "good.test: OK" "text: status first"
has "$TXT" "nospf.test: CRITICAL" "text: second domain"
has "$TXT" "fix: " "text: says what to fix"

# --- an unreachable resolver: unknown, never critical; exit 3
SILENT=$(sh "$top_srcdir/tests/lib/nsd.sh" silent "$TESTTMP/silent")
CLEANUP="$CLEANUP sh '$top_srcdir/tests/lib/nsd.sh' stop '$TESTTMP/silent'; "
OUT=$("$MP" check --resolver "127.0.0.1:$SILENT" --timeout 1 --format json --selector mp1 good.test)
RC=$?
is "$RC" 3 "dead resolver: exit 3 (UNKNOWN)"
has "$OUT" '"DNS_TEMPFAIL"' "dead resolver: DNS_TEMPFAIL"
hasnt "$OUT" '"critical"' "dead resolver: nothing critical"

# --- usage errors are UNKNOWN, not OK
"$MP" check >/dev/null 2>&1; is "$?" 3 "no domain: exit 3"
"$MP" check --format xml good.test >/dev/null 2>&1; is "$?" 3 "bad format: exit 3"
"$MP" check 'bad..name' >/dev/null 2>&1; is "$?" 3 "bad domain name: exit 3"

# --- IDN: a Unicode name is checked as its A-label
OUT=$("$MP" check "${COMMON[@]}" --format json 'bücher.test' 2>&1)
has "$OUT" '"domain":"xn--bcher-kva.test"' "IDN converted to A-label for the wire"
has "$OUT" '"display":"bücher.test"' "IDN shown in Unicode"

done_testing
