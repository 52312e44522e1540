#!/bin/bash
# tests/integration/test_spf_cli.sh: `mailpulse spf` (our RFC 7208 evaluator)
# over the real wire against NSD serving the fixture zones.  The first word
# of the text output is the RFC 7208 result (DESIGN.md 5).  Client addresses
# are documentation ranges, never loopback (harness-notes.md).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
MP="$top_builddir/mailpulse"
PY=/usr/bin/python3
[ -x "$MP" ] || bail "no mailpulse binary at $MP"
export NSD_SH_OWNER=$$
PORT=$(sh "$top_srcdir/tests/lib/nsd.sh" start "$TESTTMP/nsd" "$top_srcdir/tests/fixtures/zones") || bail "NSD did not start"
CLEANUP="sh '$top_srcdir/tests/lib/nsd.sh' stop '$TESTTMP/nsd'; "
R=(--resolver "127.0.0.1:$PORT")

first_word() { "$MP" spf "${R[@]}" "$@" 2>&1 | head -1 | cut -d' ' -f1; }

is "$(first_word --ip 192.0.2.10 --sender alice@good.test)" pass "ip4 range of the domain: pass"
is "$(first_word --ip 198.51.100.7 --sender alice@good.test)" pass "address of the included ESP: pass"
is "$(first_word --ip 2001:db8:100::9 --sender alice@good.test)" pass "IPv6 through the include: pass"
is "$(first_word --ip 203.0.113.5 --sender alice@good.test)" fail "anyone else: fail (-all)"
is "$(first_word --ip 203.0.113.5 --sender alice@nospf.test)" none "no record: none"
is "$(first_word --ip 203.0.113.5 --sender alice@syntax.test)" permerror "bad record: permerror"
is "$(first_word --ip 203.0.113.5 --sender alice@multi.test)" permerror "two records: permerror (RFC 7208 4.5)"
is "$(first_word --ip 203.0.113.5 --sender alice@lookups.test)" permerror "19 DNS terms: permerror (RFC 7208 4.6.4)"
is "$(first_word --ip 203.0.113.5 --sender alice@inclloop.test)" permerror "include loop: permerror"
is "$(first_word --ip 198.51.0.109 --sender x@big.test)" pass "last ip4 of a 1.9 KB record (TCP): pass"
is "$(first_word --ip 203.0.113.5 --helo good.test)" fail "HELO identity with a null sender"
is "$(first_word --ip 192.0.2.10 --sender alice@passall.test)" pass "+all passes everyone"
is "$(first_word --ip '::ffff:192.0.2.10' --sender alice@good.test)" pass "IPv4-mapped IPv6 is treated as IPv4 (RFC 7208 5)"

OUT=$("$MP" spf "${R[@]}" --ip 192.0.2.10 --sender alice@lookups.test --format json)
is "$?" 0 "json: exit 0 after an evaluation"
is "$(printf '%s' "$OUT" | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["result"], d["lookups"] > 10 or d["lookups"] == 10, len(d["trace"]) > 0)')" \
  "permerror True True" "json: result, lookup count at the limit, a trace"
OUT=$("$MP" spf "${R[@]}" --ip 198.51.100.7 --sender alice@good.test --format json)
is "$(printf '%s' "$OUT" | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["result"], d["lookups"], d["mechanism"])')" \
  "pass 1 include:_spf.esp.test" "json: the deciding mechanism and its cost"
TXT=$("$MP" spf "${R[@]}" --ip 203.0.113.5 --sender alice@good.test --explain)
has "$TXT" "dns lookups: 1 of 10" "text: lookup budget shown"
has "$TXT" "_spf.esp.test" "--explain: the trace names the include"

SILENT=$(sh "$top_srcdir/tests/lib/nsd.sh" silent "$TESTTMP/silent")
CLEANUP="$CLEANUP sh '$top_srcdir/tests/lib/nsd.sh' stop '$TESTTMP/silent'; "
is "$("$MP" spf --resolver "127.0.0.1:$SILENT" --timeout 1 --ip 192.0.2.10 --sender a@good.test | head -1 | cut -d" " -f1)" \
  temperror "dead resolver: temperror"

"$MP" spf "${R[@]}" --ip 999.1.1.1 --sender a@good.test >/dev/null 2>&1
is "$?" 3 "bad --ip: usage error (exit 3)"
"$MP" spf "${R[@]}" --sender a@good.test >/dev/null 2>&1
is "$?" 3 "missing --ip: usage error (exit 3)"
done_testing
