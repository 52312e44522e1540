#!/bin/bash
# tests/web/test_browser.sh: headless Chromium against the REAL daemon.  NSD
# serves tests/fixture/daemon/ (tests/lib/nsd.sh); mailpulsed checks four
# domains of it (two healthy, one IDN shown as bücher.test, and hostile.test,
# which fails and whose TXT records carry <script> and <img onerror>) for a
# few rounds with a webhook channel (tests/lib/http_sink.py), so its store
# holds real results, history and an alert episode with its delivery.
# Chromium loads the overview and the hostile domain page; the test parses the
# DOM Chromium built (--dump-dom) and checks it against the daemon's own JSON
# API: the banner, a row per domain, each check's state, 90 history cells,
# the findings with their fix, the SPF lookup tree, the alert episode and its
# delivery, the hostile values present as text and never as an element; it
# checks the security headers, and keeps screenshots (desktop light and
# dark, the domain page on a 375 px phone in dark mode) as artifacts in $top_builddir/tests/web/artifacts/.
# One part stays on tests/web/web_fixture_server: 90 days of mixed history and
# a never-checked domain, which a daemon a few seconds old cannot have.
# Chromium or NSD missing: skipped with a message (scripts/setup installs them).
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/daemon.sh"

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
FIXSRV="$top_builddir/tests/web/web_fixture_server"
FIX="$top_srcdir/tests/fixtures/daemon"
TOKEN=browser-test-token-0123456789abcdef
HOOKP=browser-hook-secret-path-77d1
art="$top_builddir/tests/web/artifacts"

[ -x "$CHROMIUM" ] || skip_all "Chromium is not installed at $CHROMIUM (scripts/setup installs the chromium package)"
need_tools nsd curl
need_python
[ -x "$MPD" ] || bail "no mailpulsed binary at $MPD"
mkdir -p "$art"
rm -f "$art"/*.png

# --- the world: NSD with the fixture zones, a plain-HTTP webhook sink, the daemon
nsd_start "$FIX"
sink_start
web_port
{
  conf_daemon
  conf_web
  conf_domains alpha.test beta.test bücher.test hostile.test
  cat <<EOC
[alert hook]
type = webhook
url = http://127.0.0.1:$SP/ok/$HOOKP
allow_insecure = yes
people = 2
EOC
} >"$CONF"
chmod 600 "$CONF"
start_daemon
wait_for 30 ready || { sed 's/^/# /' "$LOG" | tail -30; bail "mailpulsed did not become ready"; }
ok 0 "mailpulsed is ready after its first round (4 domains)"

# Two more rounds of every domain: hostile.test fails failure_threshold (2)
# times, its alert fires and goes to the webhook after group_wait (1 s).
DOMAINS="alpha.test beta.test xn--bcher-kva.test hostile.test"
round() {
  local d want=""
  for d in $DOMAINS; do want="$want $d=$(($(done_n "$d") + 1))"; check_now "$d"; done
  for d in $want; do wait_for 15 done_ge "${d%=*}" "${d#*=}" || return 1; done
}
round && round; ok $? "two more rounds of every domain"
delivered() {
  [ "$(jq /api/v1/alerts '[x["status"] for e in d["episodes"] if e["domain"] == "hostile.test" and e["check"] == "dkim" and e["severity"] == "critical" for x in e["deliveries"]]')" = "['sent']" ]
}
wait_for 20 delivered; ok $? "hostile.test's DKIM alert fired and was delivered to the webhook"

# --- Chromium
n=0
chrome() { # chrome ARGS...: one fresh headless Chromium run
  n=$((n + 1))
  timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-dev-shm-usage --hide-scrollbars \
    --user-data-dir="$TESTTMP/profile-$n" "$@" 2>>"$TESTTMP/chrome.log"
}
# dom FILE EXPR: evaluate EXPR over the DOM in FILE, parsed into nodes with
# q(cls, tag=None, under=None) (elements having class cls, or any class when
# cls is None, optionally of tag, inside node under), txt(node) (its text,
# whitespace collapsed), attrs(node) and tags (every element, in order).
dom() {
  $PY - "$1" "$2" <<'EOP' 2>&1
import html.parser, re, sys
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
class N:
    def __init__(s, tag, attrs, parent):
        s.tag, s.a, s.parent, s.kids = tag, dict(attrs), parent, []
        s.cls = (s.a.get("class") or "").split()
class P(html.parser.HTMLParser):
    def __init__(s):
        super().__init__(convert_charrefs=True)
        s.root = N("#root", [], None); s.cur = s.root; s.all = []
    def handle_starttag(s, tag, attrs):
        n = N(tag, attrs, s.cur); s.cur.kids.append(n); s.all.append(n)
        if tag not in VOID: s.cur = n
    def handle_startendtag(s, tag, attrs):
        n = N(tag, attrs, s.cur); s.cur.kids.append(n); s.all.append(n)
    def handle_endtag(s, tag):
        m = s.cur
        while m is not s.root and m.tag != tag: m = m.parent
        if m is not s.root: s.cur = m.parent
    def handle_data(s, data): s.cur.kids.append(data)
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read()); tags = p.all
def inside(n, u):
    while n is not None:
        if n is u: return True
        n = n.parent
    return False
def q(cls, tag=None, under=None):
    return [n for n in tags if (cls is None or cls in n.cls) and (tag is None or n.tag == tag)
            and (under is None or (n is not under and inside(n, under)))]
def txt(n):
    out = []
    def walk(m):
        for k in m.kids:
            if isinstance(k, str): out.append(k)
            else: walk(k)
    walk(n)
    return re.sub(r"\s+", " ", "".join(out)).strip()
def attrs(n): return n.a
print(eval(sys.argv[2]))
EOP
}

# shotok NAME: the screenshot NAME.png was written and is a PNG.
shotok() {
  [ -s "$art/$1.png" ] && [ "$(head -c 4 "$art/$1.png" | tail -c 3)" = PNG ]
  ok $? "screenshot $1.png written"
}
# Each Chromium start costs seconds: one run dumps the DOM and takes the screenshot.
OV="$TESTTMP/overview.html"
chrome --dump-dom --screenshot="$art/overview-light.png" --window-size=1280,1800 "$URL/" >"$OV"
[ -s "$OV" ]; ok $? "Chromium rendered the overview from the daemon" || { tail -20 "$TESTTMP/chrome.log" | sed 's/^/# /'; }
is "$(dom "$OV" '[(n.cls, txt(q(None, "h1", n)[0])) for n in tags if n.a.get("id") == "banner"]')" \
  "[(['banner', 'failing'], 'Failing')]" "overview DOM: the banner says Failing"
has "$(dom "$OV" '[txt(n) for n in tags if n.a.get("id") == "banner"]')" \
  "1 of 4 domains has a problem" "overview DOM: the banner says how many domains fail"
has "$(dom "$OV" '[attrs(a)["href"] for b in tags if b.a.get("id") == "banner" for a in q(None, "a", b)]')" \
  "/domain/hostile.test" "overview DOM: the banner links the failing domain"
is "$(dom "$OV" 'sorted(attrs(q(None, "a", r)[0])["href"] for r in q("dom", "li"))')" \
  "['/domain/alpha.test', '/domain/beta.test', '/domain/hostile.test', '/domain/xn--bcher-kva.test']" \
  "overview DOM: a row per domain"
is "$(dom "$OV" '[txt(q(None, "a", r)[0]) for r in q("dom", "li") if "bcher" in attrs(q(None, "a", r)[0])["href"]]')" \
  "['bücher.test']" "overview DOM: the IDN domain is shown in Unicode"
# Each row's check chips against the API: name, result word and alert note.
WORD='{"ok": "OK", "info": "OK", "warn": "Warning", "critical": "Failing", "unknown": "Unknown"}'
NOTE='{"pending": ", confirming", "firing": ", alert sent", "resolving": ", recovering"}'
want=$(jq /api/v1/domains "sorted((x['name'], sorted((c['name'], ${WORD}[c['severity']] + ${NOTE}.get(c['state'], '')) for c in x['checks'])) for x in d['domains'])")
got=$(dom "$OV" 'sorted((attrs(q(None, "a", r)[0])["href"][8:], sorted((txt(q("cn", None, c)[0]), txt(q(None, "span", c)[1])) for c in q("chip", "li", r))) for r in q("dom", "li"))')
is "$got" "$want" "overview DOM: each domain's checks with their state, as the API has them"
has "$got" "('dkim', 'Failing, alert sent')" "overview DOM: hostile.test's DKIM check shows its alert"
is "$(dom "$OV" '[len(q(None, "i", d)) for d in q("days", "div")]')" "[90, 90, 90, 90]" \
  "overview DOM: 90 history cells per domain"
is "$(dom "$OV" 'sorted((attrs(q(None, "a", r)[0])["href"][8:], [i.cls[0] for i in q(None, "i", q("days", "div", r)[0])][-1]) for r in q("dom", "li"))')" \
  "[('alpha.test', 'd-ok'), ('beta.test', 'd-ok'), ('hostile.test', 'd-critical'), ('xn--bcher-kva.test', 'd-ok')]" \
  "overview DOM: today's cell has the colour of today's results"
is "$(dom "$OV" 'sum(1 for i in tags if i.tag == "i" and "d-nodata" in i.cls and i.parent.cls == ["days"])')" 356 \
  "overview DOM: the 89 earlier days without data are grey"
has "$(dom "$OV" '[txt(r) for t in q(None, "table") for r in q(None, "tr", t) if "hostile.test" in txt(r)]')" \
  "hook (webhook): sent after 1 attempt" "overview DOM: the recent alert and its delivery are listed"
is "$(dom "$OV" '[n.tag for n in tags if n.tag in ("script", "img", "iframe", "object", "embed")]')" "[]" \
  "overview DOM: no script, img, iframe, object or embed element"

DP="$TESTTMP/domain.html"
chrome --dump-dom --screenshot="$art/domain-light.png" --window-size=1280,2600 "$URL/domain/hostile.test" >"$DP"
[ -s "$DP" ]; ok $? "Chromium rendered the hostile.test page from the daemon"
is "$(dom "$DP" '[(n.cls, txt(q(None, "h1", n)[0])) for n in tags if n.a.get("id") == "banner"]')" \
  "[(['banner', 'failing'], 'hostile.test')]" "domain DOM: a failing banner with the domain's name"
# Findings: every problem the API lists is a card with its code, message and fix.
want=$(jq /api/v1/domains/hostile.test 'sorted((f["check"], f["code"]) for f in d["domain"]["findings"] if f["severity"] in ("warn", "critical", "unknown"))')
got=$(dom "$DP" 'sorted((txt(q("f-check", None, f)[0]), txt(q("f-code", None, f)[0])) for f in q("finding", "li"))')
is "$got" "$want" "domain DOM: a finding card per problem the API lists"
has "$got" "('dkim', 'DKIM_KEY_SYNTAX')" "domain DOM: the broken DKIM key is a finding"
is "$(dom "$DP" 'sorted(txt(q(None, "h3", x)[0]) for f in q("finding", "li") for x in q("fix", "div", f))')" \
  "['How to fix', 'How to fix']" "domain DOM: each problem shows how to fix it"
has "$(dom "$DP" '[txt(x) for f in q("finding", "li") for x in q("fix", "div", f)]')" \
  'TXT "v=DKIM1; k=rsa; p=<base64 public key>"' "domain DOM: the DKIM fix gives the record to publish"
# Hostile bytes from DNS: present as text, never as markup.
ALL=$(dom "$DP" 'txt(tags[0])')
has "$ALL" "rua=mailto:<script>alert(2)</script>@hostile.test" "domain DOM: the DMARC record's <script> is shown as text"
has "$ALL" "p=<img src=x onerror=alert(3)>" "domain DOM: the DKIM record's <img onerror> is shown as text"
is "$(dom "$DP" '[n.tag for n in tags if n.tag in ("script", "img", "iframe", "object", "embed")]')" "[]" \
  "domain DOM: no script, img, iframe, object or embed element"
is "$(dom "$DP" '[(n.tag, k) for n in tags for k in n.a if k.startswith("on")]')" "[]" \
  "domain DOM: no element has an event handler attribute"
has "$(cat "$DP")" "&lt;script&gt;alert(2)&lt;/script&gt;" "domain DOM: the markup is escaped in the serialized DOM"
is "$(dom "$DP" 'sorted(txt(q(None, "td", r)[0]) for r in q(None, "tr") if q(None, "td", r) and q(None, "td", r)[0].a.get("data-label") == "Check")')" \
  "$(jq /api/v1/domains/hostile.test 'sorted(c["name"] for c in d["domain"]["checks"])')" \
  "domain DOM: the checks table has a row per check"
EP=$(dom "$DP" '[txt(r) for r in q(None, "tr") if q(None, "td", r) and q(None, "td", r)[0].a.get("data-label") == "Started" and "dkim" in txt(r)]')
has "$EP" "hook (webhook): sent after 1 attempt" "domain DOM: the DKIM alert episode with its delivery"
has "$EP" "open for" "domain DOM: the episode is open"
is "$(jq /api/v1/domains/hostile.test 'd["domain"]["spf"]["tree"] is not None')" True "API: the SPF lookup tree is there"
is "$(dom "$DP" 'len(q("tree", "ul"))')" 1 "domain DOM: the SPF lookup tree is shown"
# Issue 5: the Reports section, as the reports API has it (null until a report arrives).
if [ "$(jq /api/v1/domains/hostile.test/reports 'd["reports"] is None')" = True ]; then
  has "$(dom "$DP" '[txt(n) for n in q("card", "p")]')" "No DMARC report has arrived for this domain yet" \
    "domain DOM: the Reports section says no report has arrived (API: reports null)"
else
  is "$(dom "$DP" '[txt(n) for n in q("rep-headline", "p")]')" \
    "$(jq /api/v1/domains/hostile.test/reports '[d["reports"]["headline"]]')" \
    "domain DOM: the Reports headline is the API's"
fi
has "$(dom "$DP" '[txt(t) for t in q("tree", "ul")]')" "include:_spf.hostile.test" "domain DOM: the tree shows the include"
has "$(dom "$DP" '[txt(t) for t in q("tree", "ul")]')" "a:<script>alert(1)</script>.hostile.test" \
  "domain DOM: the included record's <script> is text in the tree"

# --- headers of the real daemon's pages
for p in / /domain/hostile.test; do
  H=$(curl -s -D - -o /dev/null "$URL$p" | tr -d '\r')
  has "$H" "Content-Security-Policy: default-src 'none'; style-src 'self';" "$p: CSP default-src 'none', style-src 'self'"
  has "$H" "frame-ancestors 'none'" "$p: CSP frame-ancestors 'none'"
  hasnt "$(printf '%s\n' "$H" | grep -i '^content-security-policy')" "script-src" "$p: the CSP allows no script source"
  has "$H" "X-Content-Type-Options: nosniff" "$p: X-Content-Type-Options"
  has "$H" "Referrer-Policy: no-referrer" "$p: Referrer-Policy"
done
hasnt "$(cat "$OV" "$DP")" "$HOOKP" "no webhook URL on either page"

# --- screenshots of the real pages, kept as artifacts
shot() { # shot NAME URL WIDTH HEIGHT [extra flags...]
  local name=$1 url=$2 w=$3 h=$4
  shift 4
  chrome --screenshot="$art/$name.png" --window-size="$w,$h" "$@" "$url" >/dev/null
  shotok "$name"
}
shotok overview-light
shotok domain-light
shot overview-dark "$URL/" 1280 1800 --force-dark-mode --blink-settings=preferredColorScheme=0
shot domain-phone-dark "$URL/domain/hostile.test" 375 3000 --force-dark-mode \
  --blink-settings=preferredColorScheme=0
light=$($PY "$top_srcdir/tests/web/png_luma.py" "$art/overview-light.png" 4 2>&1)
dark=$($PY "$top_srcdir/tests/web/png_luma.py" "$art/overview-dark.png" 4 2>&1)
[ "${light:-0}" -gt 200 ] 2>/dev/null; ok $? "light page background is light (luma $light)"
[ "${dark:-255}" -lt 60 ] 2>/dev/null; ok $? "dark mode by prefers-color-scheme (luma $dark)"

kill -TERM "$DPID"
wait "$DPID"; is "$?" 0 "mailpulsed stopped cleanly on SIGTERM"
if grep -q 'Sanitizer\|runtime error' "$LOG"; then
  ok 1 "no sanitizer report from mailpulsed"; sed 's/^/# /' "$LOG" | grep -A30 'ERROR\|runtime error' | head -40
else
  ok 0 "no sanitizer report from mailpulsed"
fi

# --- what a daemon a few seconds old cannot show: the fixture snapshot
if [ -x "$FIXSRV" ]; then
  "$FIXSRV" "$TESTTMP/fixport" 2>"$TESTTMP/fixture.log" &
  FPID=$!
  CLEANUP="kill $FPID 2>/dev/null; $CLEANUP"
  wait_for 10 test -s "$TESTTMP/fixport"; ok $? "fixture server listening"
  FX="$TESTTMP/fixture.html"
  chrome --dump-dom --screenshot="$art/fixture-history.png" --window-size=1280,1800 \
    "http://127.0.0.1:$(cat "$TESTTMP/fixport")/" >"$FX"
  is "$(dom "$FX" '[len(q(None, "i", d)) for d in q("days", "div")]')" "[90, 90, 90, 90]" \
    "fixture DOM: 90 history cells per domain"
  is "$(dom "$FX" 'sorted(set(i.cls[0] for d in q("days", "div") for i in q(None, "i", d)))')" \
    "['d-critical', 'd-nodata', 'd-ok', 'd-warn']" "fixture DOM: 90 days of history in all four colours"
  is "$(dom "$FX" 'sum(1 for d in q("days", "div") for i in q(None, "i", d) if i.cls == ["d-nodata"])')" 190 \
    "fixture DOM: days without data stay grey between days with data"
  has "$(dom "$FX" '[txt(r) for r in q("dom", "li") if "new.example" in txt(r)]')" "No check has run yet." \
    "fixture DOM: a domain never checked says so"
  shotok fixture-history
  kill "$FPID"
  wait "$FPID"; ok $? "fixture server stopped cleanly on SIGTERM"
  if grep -q 'Sanitizer' "$TESTTMP/fixture.log"; then
    ok 1 "no sanitizer report from the fixture server"
  else
    ok 0 "no sanitizer report from the fixture server"
  fi
else
  skip "no $FIXSRV (make check builds it)"
fi
diag_log 40
diag "artifacts: $art"
done_testing
