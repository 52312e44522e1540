#!/bin/bash
# tests/integration/test_systemd.sh: the hardening of systemd/mailpulse.service
# (STYLE.md 21, issue 3): `systemd-analyze security` must score it 2.0 or
# lower, and the settings the issue names must be there.  Skips (as SKIP, not
# as a pass) where systemd-analyze does not exist.  Also `make install
# DESTDIR=...` from the build directory: the unit, sysusers.d and tmpfiles.d
# files, man pages and the example config land where configure said, with
# sane modes, and `make uninstall` removes them.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
UNIT="$top_srcdir/systemd/mailpulse.service"
[ -f "$UNIT" ] || bail "no $UNIT"
for k in Type=notify DynamicUser=yes StateDirectory=mailpulse ProtectSystem=strict \
  NoNewPrivileges=yes CapabilityBoundingSet= RestrictAddressFamilies= \
  SystemCallFilter=@system-service "ExecStartPre=@sbindir@/mailpulsed -c /etc/mailpulse/mailpulse.conf --check-config"; do
  grep -q "^$k" "$UNIT"; ok $? "unit sets $k"
done

# `make install DESTDIR=...` from the build directory: every file lands under
# DESTDIR (nothing written elsewhere), with sane modes, and the unit names the
# installed mailpulsed; `make uninstall` takes the files away again.
mkvar() { # the value of Makefile variable $1 in the build directory, expanded
  env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" --no-print-directory \
    -f Makefile -f - mp-print-var VAR="$1" <<'EOM'
mp-print-var:
	@echo '$($(VAR))'
EOM
}
if [ -f "$top_builddir/Makefile" ] && command -v make >/dev/null 2>&1; then
  DEST="$TESTTMP/dest"
  env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" install DESTDIR="$DEST" \
    >"$TESTTMP/install.log" 2>&1
  ok $? "make install DESTDIR=... succeeds" || sed 's/^/#   /' "$TESTTMP/install.log" | tail -20
  SBIN=$(mkvar sbindir); BIN=$(mkvar bindir); MAN=$(mkvar mandir); DOC=$(mkvar docdir)
  UNITDIR=$(mkvar systemdsystemunitdir); SYSUSERS=$(mkvar sysusersdir); TMPFILES=$(mkvar tmpfilesdir)
  diag "unit dir: $UNITDIR, sysusers: $SYSUSERS, tmpfiles: $TMPFILES"
  mode() { stat -c %a "$1" 2>/dev/null; }
  is "$(mode "$DEST$SBIN/mailpulsed")" 755 "mailpulsed installed in sbindir, mode 755"
  is "$(mode "$DEST$BIN/mailpulse")" 755 "mailpulse installed in bindir, mode 755"
  for m in man1/mailpulse.1 man5/mailpulse.conf.5 man8/mailpulsed.8; do
    is "$(mode "$DEST$MAN/$m")" 644 "man page $m installed, mode 644"
  done
  is "$(mode "$DEST$DOC/examples/mailpulse.conf")" 644 "example config in docdir/examples, mode 644"
  if [ "$UNITDIR" != no ]; then
    U="$DEST$UNITDIR/mailpulse.service"
    is "$(mode "$U")" 644 "unit installed in $UNITDIR, mode 644"
    grep -q "^ExecStart=$SBIN/mailpulsed -c /etc/mailpulse/mailpulse.conf\$" "$U"
    ok $? "the installed unit runs $SBIN/mailpulsed"
    ! grep -q '@[a-z]*@' "$U"; ok $? "no @placeholder@ left in the installed unit"
  else
    skip "configured --with-systemdsystemunitdir=no"
  fi
  if [ "$SYSUSERS" != no ]; then
    is "$(mode "$DEST$SYSUSERS/mailpulse.conf")" 644 "sysusers.d file installed, mode 644"
  else skip "configured --with-sysusersdir=no"; fi
  if [ "$TMPFILES" != no ]; then
    is "$(mode "$DEST$TMPFILES/mailpulse.conf")" 644 "tmpfiles.d file installed, mode 644"
  else skip "configured --with-tmpfilesdir=no"; fi
  BAD=$(find "$DEST" -type f -perm /022 2>/dev/null | head -5)
  is "$BAD" "" "no installed file is group- or world-writable"
  env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" uninstall DESTDIR="$DEST" \
    >"$TESTTMP/uninstall.log" 2>&1
  ok $? "make uninstall DESTDIR=... succeeds"
  LEFT=$(find "$DEST" -type f | head -5)
  is "$LEFT" "" "uninstall leaves no file behind"
else
  skip "no build directory with a Makefile: make install not tried"
fi

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
