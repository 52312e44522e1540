#!/bin/bash
# tests/web/test_browser.sh: headless Chromium against the real status server
# (tests/web/web_fixture_server with the hostile fixture snapshot).  Asserts on
# the DOM Chromium built (domain rows, the hostile string as text, no script
# element) and keeps screenshots as artifacts in
# $top_builddir/tests/web/artifacts/ (desktop and 375 px phone, light and dark).
# Chromium missing is a FAILURE, not a skip: scripts/setup installs it.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/tap.sh"

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
server="$top_builddir/tests/web/web_fixture_server"
art="$top_builddir/tests/web/artifacts"

if [ ! -x "$CHROMIUM" ]; then
  ok 1 "Chromium is installed at $CHROMIUM (run scripts/setup; package chromium)"
  done_testing
  exit 1
fi
ok 0 "Chromium is installed at $CHROMIUM"
mkdir -p "$art"
rm -f "$art"/*.png

"$server" "$TESTTMP/port" 2>"$TESTTMP/server.log" &
pid=$!
CLEANUP="kill $pid 2>/dev/null; wait $pid 2>/dev/null"
for _ in $(seq 100); do [ -s "$TESTTMP/port" ] && break; sleep 0.1; done
port=$(cat "$TESTTMP/port" 2>/dev/null)
[ -n "$port" ]; ok $? "fixture server listening (port ${port:-none})" || { done_testing; exit 1; }
base="http://127.0.0.1:$port"

n=0
chrome() { # chrome ARGS...: one fresh headless Chromium run
  n=$((n + 1))
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-dev-shm-usage --hide-scrollbars \
    --user-data-dir="$TESTTMP/profile-$n" "$@" 2>>"$TESTTMP/chrome.log"
}

dom=$(chrome --dump-dom "$base/")
has "$dom" '<section class="banner failing" id="banner"><h1>Failing</h1>' "overview DOM: failing banner"
rows=$(printf '%s' "$dom" | grep -o '<li class="card dom">' | wc -l)
is "$rows" 4 "overview DOM: a row per domain"
cells=$(printf '%s' "$dom" | grep -o '<i class="d-[a-z]*" title=' | wc -l)
is "$cells" 360 "overview DOM: 90 day cells per domain"
grey=$(printf '%s' "$dom" | grep -o '<i class="d-nodata" title=' | wc -l)
is "$grey" 190 "overview DOM: days without data are grey"
has "$dom" 'href="/domain/xn--bcher-kva.example">bücher.example</a>' "overview DOM: Unicode name"
hasnt "$dom" '<script' "overview DOM: no script element"

dom=$(chrome --dump-dom "$base/domain/shop.example")
has "$dom" '&lt;script&gt;alert(1)&lt;/script&gt;"'"'"'&amp;' "domain DOM: hostile evidence is text"
hasnt "$dom" '<script' "domain DOM: no script element"
has "$dom" '<h3>How to fix</h3>' "domain DOM: the fix is shown"
has "$dom" 'include:&lt;script&gt;alert(3)&lt;/script&gt;' "domain DOM: SPF tree text escaped"

shot() { # shot NAME URL WIDTH HEIGHT [extra flags...]
  local name=$1 url=$2 w=$3 h=$4
  shift 4
  chrome --screenshot="$art/$name.png" --window-size="$w,$h" "$@" "$url" >/dev/null
  [ -s "$art/$name.png" ] && [ "$(head -c 4 "$art/$name.png" | tail -c 3)" = PNG ]
  ok $? "screenshot $name.png written"
}
shot overview-light "$base/" 1280 1800
shot overview-dark "$base/" 1280 1800 --force-dark-mode --blink-settings=preferredColorScheme=0
shot overview-phone "$base/" 375 2200
shot domain-light "$base/domain/shop.example" 1280 2600
shot domain-phone-dark "$base/domain/shop.example" 375 3000 --force-dark-mode \
  --blink-settings=preferredColorScheme=0

light=$(python3 "$top_srcdir/tests/web/png_luma.py" "$art/overview-light.png" 4 2>&1)
dark=$(python3 "$top_srcdir/tests/web/png_luma.py" "$art/overview-dark.png" 4 2>&1)
[ "${light:-0}" -gt 200 ] 2>/dev/null; ok $? "light page background is light (luma $light)"
[ "${dark:-255}" -lt 60 ] 2>/dev/null; ok $? "dark mode by prefers-color-scheme (luma $dark)"
# SIGTERM stops the server gracefully; under ASan this also checks for leaks.
kill "$pid"
wait "$pid"
ok $? "fixture server stopped cleanly on SIGTERM"
CLEANUP=""
if grep -q 'Sanitizer' "$TESTTMP/server.log"; then
  ok 1 "no sanitizer report from the server"; sed 's/^/# /' "$TESTTMP/server.log" | head -40
else
  ok 0 "no sanitizer report from the server"
fi
diag "artifacts: $art"
done_testing
