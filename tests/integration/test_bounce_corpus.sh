#!/bin/bash
# tests/integration/test_bounce_corpus.sh: `mailpulse bounce --format json` on
# the real bounces of /work/shared/corpora/bounces (60+ MTAs, Sisimai's own
# set-of-emails, BSD licence) against Sisimai (libsisimai-perl, through
# tests/mail/sisimai_ref.pl) as the reference: every file parses, and per
# recipient Sisimai found we must agree on the address (>= 98%), the status
# code (>= 95%) and the reason (>= 85%); hard/soft and the reply code are
# reported as information.  Skips when ../shared or Sisimai is absent.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
MP="$top_builddir/mailpulse"
CORPUS="$top_srcdir/../shared/corpora/bounces"

[ -d "$CORPUS" ] || skip_all "no bounce corpus at $CORPUS (../shared is absent)"
perl -MSisimai -e 1 2>/dev/null || skip_all "Sisimai (libsisimai-perl) is not installed"
[ -x "$MP" ] || bail "no mailpulse binary at $MP"

cd "$CORPUS" || bail "cannot enter $CORPUS"
files=$(ls *.eml)
# shellcheck disable=SC2086
"$MP" bounce --format json $files >"$TESTTMP/ours.jsonl" 2>"$TESTTMP/ours.err"
rc=$?
# shellcheck disable=SC2086
perl "$top_srcdir/tests/mail/sisimai_ref.pl" $files >"$TESTTMP/sisimai.jsonl" 2>/dev/null ||
  bail "Sisimai failed on the corpus"
is "$rc" 0 "mailpulse bounce exits 0 on the whole corpus"
is "$(wc -l <"$TESTTMP/ours.jsonl")" "$(echo "$files" | wc -l)" "one JSON line per file"

TAP_START=$((_tap_n + 1)) python3 "$top_srcdir/tests/mail/bounce_compare.py" \
  "$TESTTMP/ours.jsonl" "$TESTTMP/sisimai.jsonl" >"$TESTTMP/cmp.tap"
# The compare script numbers its own lines; account for them here.
grep -v '^# next ' "$TESTTMP/cmp.tap"
next=$(sed -n 's/^# next //p' "$TESTTMP/cmp.tap")
_tap_failed=$((_tap_failed + $(grep -c '^not ok' "$TESTTMP/cmp.tap")))
_tap_n=$((next - 1))
done_testing
