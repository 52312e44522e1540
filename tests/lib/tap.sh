# tests/lib/tap.sh: TAP helpers for shell integration tests (sourced).
# Every ok/not ok line is one result in "N passed, N failed".
# Provides: ok COND-EXIT-STATUS NAME, is GOT WANT NAME, has HAYSTACK NEEDLE NAME,
# skip WHY, diag TEXT, done_testing; $TESTTMP (removed at exit, after CLEANUP).
_tap_n=0
_tap_failed=0
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
TESTTMP=$(mktemp -d "${TMPDIR:-/tmp}/mailpulse-it-XXXXXX")
CLEANUP=""
_tap_exit() {
  eval "$CLEANUP"
  rm -rf "$TESTTMP"
}
trap _tap_exit EXIT
trap 'exit 130' INT TERM

ok() { # status name...
  local st=$1; shift
  _tap_n=$((_tap_n + 1))
  if [ "$st" -eq 0 ]; then echo "ok $_tap_n - $*"; else echo "not ok $_tap_n - $*"; _tap_failed=$((_tap_failed + 1)); fi
  return "$st"
}
is() { # got want name...
  local got=$1 want=$2; shift 2
  if [ "$got" = "$want" ]; then ok 0 "$@"; else ok 1 "$@"; echo "#   got:  '$got'"; echo "#   want: '$want'"; return 1; fi
}
has() { # haystack needle name...
  local hay=$1 needle=$2; shift 2
  case "$hay" in *"$needle"*) ok 0 "$@" ;; *) ok 1 "$@"; echo "#   '$needle' not found in:"; printf '%s\n' "$hay" | head -40 | sed 's/^/#   /'; return 1 ;; esac
}
hasnt() { # haystack needle name...
  local hay=$1 needle=$2; shift 2
  case "$hay" in *"$needle"*) ok 1 "$@"; echo "#   '$needle' unexpectedly found"; return 1 ;; *) ok 0 "$@" ;; esac
}
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n # SKIP $*"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
diag() { printf '%s\n' "$*" | sed 's/^/# /'; }
bail() { echo "Bail out! $*"; exit 1; }
done_testing() { echo "1..$_tap_n"; [ "$_tap_failed" -eq 0 ]; }
