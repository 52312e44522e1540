#!/bin/bash
# tests/integration/test_docs.sh: every finding code the checks can emit is
# documented in docs/findings.md (docs are part of done), and every code the
# foundation issue names exists in the source.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
cd "$top_srcdir" || bail "no source tree"
codes=$(grep -hoE '"(SPF|DKIM|DMARC|MX|MTASTS|TLSRPT|BIMI|DNS|CHECK|ALERT|PROBE|REPORT)_[A-Z0-9_]+"' dns/*.c daemon/*.c | tr -d '"' | sort -u)
[ -n "$codes" ] || bail "no finding codes found in dns/*.c"
for c in $codes; do
  grep -q "\`$c\`" docs/findings.md; ok $? "$c is documented in docs/findings.md"
done
for c in SPF_MISSING SPF_MULTIPLE SPF_SYNTAX SPF_TOO_MANY_LOOKUPS SPF_TOO_MANY_VOID_LOOKUPS \
  SPF_PASS_ALL SPF_NEUTRAL_ALL SPF_NO_ALL SPF_PTR SPF_INCLUDE_NO_SPF DKIM_KEY_MISSING \
  DKIM_KEY_REVOKED DKIM_KEY_WEAK DKIM_KEY_TESTING DKIM_KEY_SYNTAX DKIM_KEY_MISMATCH \
  DKIM_NO_SELECTOR DMARC_MISSING DMARC_MULTIPLE DMARC_SYNTAX DMARC_POLICY_NONE DMARC_PARTIAL \
  DMARC_SUBDOMAIN_NONE DMARC_NO_RUA DMARC_RUA_UNAUTHORIZED DMARC_INHERITED MX_MISSING MX_NULL \
  MX_HOST_UNRESOLVABLE MTASTS_INVALID MTASTS_POLICY_UNREACHABLE MTASTS_MX_NOT_COVERED \
  TLSRPT_MISSING BIMI_INVALID DNS_TEMPFAIL; do
  case " $(echo $codes) " in *" $c "*) ok 0 "$c is emitted by a check" ;; *) ok 1 "$c is emitted by a check" ;; esac
done
[ -f man/mailpulse.1 ]; ok $? "man page mailpulse(1) exists"
for opt in --domains-file --selector --dkim-key --resolver --timeout --format --explain; do
  grep -q -- "$(printf '%s' "$opt" | sed 's/-/\\\\-/g')" man/mailpulse.1; ok $? "mailpulse(1) documents $opt"
done
done_testing
