#!/bin/bash
# tests/integration/test_systemd.sh: the hardening of systemd/mailpulse.service
# (STYLE.md 21, issue 3): `systemd-analyze security` must score it 2.0 or
# lower, and the settings the issue names must be there.  Skips (as SKIP, not
# as a pass) where systemd-analyze does not exist.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
UNIT="$top_srcdir/systemd/mailpulse.service"
[ -f "$UNIT" ] || bail "no $UNIT"
for k in Type=notify DynamicUser=yes StateDirectory=mailpulse ProtectSystem=strict \
  NoNewPrivileges=yes CapabilityBoundingSet= RestrictAddressFamilies= \
  SystemCallFilter=@system-service "ExecStartPre=@sbindir@/mailpulsed -c /etc/mailpulse/mailpulse.conf --check-config"; do
  grep -q "^$k" "$UNIT"; ok $? "unit sets $k"
done
if ! command -v systemd-analyze >/dev/null 2>&1; then
  skip "systemd-analyze is not installed: exposure score not measured"
  done_testing; exit
fi
sed 's|@sbindir@|/usr/sbin|g' "$UNIT" > "$TESTTMP/mailpulse.service"
OUT=$(systemd-analyze security --offline=yes "$TESTTMP/mailpulse.service" 2>&1)
SCORE=$(printf '%s\n' "$OUT" | sed -n 's/.*Overall exposure level for mailpulse.service: \([0-9.]*\).*/\1/p')
diag "exposure score: $SCORE"
[ -n "$SCORE" ]; ok $? "systemd-analyze gave a score"
awk -v s="$SCORE" 'BEGIN { exit !(s != "" && s <= 2.0) }'; ok $? "exposure score $SCORE <= 2.0"
done_testing
