#!/bin/bash
# tests/integration/test_report_corpus.sh: `mailpulse report --format json`
# on the real reports of ../shared/corpora/dmarc-reports (parsedmarc's
# samples, Apache-2.0): every file is parsed or rejected with a reason, the
# invalid ones (invalid_xml.xml, invalid_utf_8.xml) are rejected, and for
# every accepted report the numbers agree with an independent reading done
# here in python3 (the XML pulled out of .gz / .zip / .eml with the standard
# library and counted with xml.etree, i.e. expat, not libxml2: records and
# the sum of row/count; TLS-RPT: policies and the success / failure sums).
# --format text gives one paragraph per file.  Then every fixture under
# tests/fixtures/reports/ goes through the CLI:
# it never crashes (exit 0 or 1) and prints exactly one valid JSON line.
# The corpus part skips (with a message) when ../shared is absent.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
MP="$top_builddir/mailpulse"
CORPUS="$top_srcdir/../shared/corpora/dmarc-reports"
FIXTURES="$top_srcdir/tests/fixtures/reports"

[ -x "$MP" ] || bail "no mailpulse binary at $MP"
command -v python3 >/dev/null || skip_all "python3 is not installed"

# run_all KIND FILE...: one CLI run over the files (a process start costs
# more than parsing them), recorded in the manifest as "KIND<TAB>RC<TAB>
# OUTPUT<TAB>LIST" where LIST holds the file names, one a line.
n=0
run_all() {
  local kind=$1; shift
  n=$((n + 1))
  printf '%s\n' "$@" >"$TESTTMP/list.$n"
  "$MP" report --format json "$@" >"$TESTTMP/out.$n" 2>"$TESTTMP/err.$n"
  printf '%s\t%s\t%s\t%s\n' "$kind" "$?" "$TESTTMP/out.$n" "$TESTTMP/list.$n" >>"$TESTTMP/manifest"
}

: >"$TESTTMP/manifest"
if [ -d "$CORPUS" ]; then
  run_all aggregate "$CORPUS"/aggregate/*
  run_all failure "$CORPUS"/failure/*
  run_all tlsrpt "$CORPUS"/smtp_tls/*
  # --format text: one paragraph per file, headed "FILE: ok" or "FILE: rejected: why"
  "$MP" report --format text "$CORPUS"/*/* >"$TESTTMP/text" 2>&1
  is "$?" 1 "--format text on the corpus: exit 1 (the two invalid files)"
  heads=0
  for f in "$CORPUS"/*/*; do
    grep -qxE "$(printf '%s' "$f" | sed 's/[.[\*^$]/\\&/g'): (ok|rejected: .+)" "$TESTTMP/text" &&
      heads=$((heads + 1))
  done
  is "$heads" "$(ls "$CORPUS"/*/* | wc -l)" "--format text: one heading line per file"
  has "$(cat "$TESTTMP/text")" "invalid_xml.xml: rejected: " "--format text names the rejection"
else
  skip "no report corpus at $CORPUS (../shared is absent)"
fi
mapfile -t fixtures < <(find "$FIXTURES" -type f | sort)
[ "${#fixtures[@]}" -gt 0 ]; ok $? "fixtures found under tests/fixtures/reports (${#fixtures[@]})"
for d in $(printf '%s\n' "${fixtures[@]}" | sed 's|/[^/]*$||' | sort -u); do
  mapfile -t batch < <(printf '%s\n' "${fixtures[@]}" | grep "^$d/[^/]*$")
  run_all fixture "${batch[@]}"
  if [ "$(tail -1 "$TESTTMP/manifest" | cut -f2)" -gt 1 ]; then
    # a crash or a usage error (a failure already): one run per file names the culprit
    for f in "${batch[@]}"; do run_all fixture "$f"; done
  fi
done

# The independent reading and the comparison print "PASS|FAIL<TAB>what".
python3 - "$TESTTMP/manifest" >"$TESTTMP/verdicts" <<'PY'
import email, gzip, io, json, os, sys, zipfile
import xml.etree.ElementTree as ET

def say(good, what):
    print(("PASS" if good else "FAIL") + "\t" + what.replace("\n", " "))

def unwrap(b):
    if b[:2] == b"\x1f\x8b":
        return gzip.decompress(b)
    if b[:4] == b"PK\x03\x04":
        z = zipfile.ZipFile(io.BytesIO(b))
        return z.read(z.namelist()[0])
    return b

def payloads(path):
    """The report bytes a file holds: the file itself, or an e-mail's attachments."""
    raw = open(path, "rb").read()
    if not path.endswith(".eml"):
        return [unwrap(raw)]
    msg = email.message_from_bytes(raw)
    out = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        name = (part.get_filename() or "").lower()
        ctype = part.get_content_type()
        if ctype.startswith("text/plain") and not name:
            continue
        data = part.get_payload(decode=True) or b""
        data = unwrap(data)
        if data.lstrip()[:1] in (b"<", b"{"):
            out.append(data)
    return out

def expect_aggregate(path):
    recs = msgs = 0
    for data in payloads(path):
        root = ET.fromstring(data)
        for el in root.iter():
            el.tag = el.tag.rsplit("}", 1)[-1]  # RFC 9990 documents use a namespace
        for r in root.iter("record"):
            recs += 1
            msgs += int(r.find("row/count").text.strip())
    return recs, msgs

def expect_tlsrpt(path):
    pols = succ = fail = 0
    for data in payloads(path):
        j = json.loads(data)
        for p in j["policies"]:
            pols += 1
            succ += p["summary"]["total-successful-session-count"]
            fail += p["summary"]["total-failure-session-count"]
    return pols, succ, fail

def check_corpus(kind, o, path):
    name = os.path.basename(path)
    if name.startswith("invalid_"):
        say(not o["ok"] and o["reason"], "%s is rejected: %s" % (name, o["reason"]))
        return
    say(o["ok"] and o["kind"] == kind, "%s: a valid %s report (%s)" % (name, kind, o["reason"]))
    if not o["ok"]:
        return
    reps = o["reports"]
    if kind == "aggregate":
        want = expect_aggregate(path)
        got = (sum(r["records"] for r in reps), sum(r["messages"] for r in reps))
        say(got == want, "%s: records and messages %s, independently %s" % (name, got, want))
    elif kind == "tlsrpt":
        want = expect_tlsrpt(path)
        pols = [p for r in reps for p in r["policies"]]
        got = (len(pols), sum(p["success"] for p in pols), sum(p["failure"] for p in pols))
        say(got == want, "%s: policies, success, failure %s, independently %s" % (name, got, want))
    else:
        good = len(reps) == 1 and reps[0]["domain"] and reps[0]["source_ip"] and reps[0]["auth_failure"]
        say(bool(good), "%s: failure report with domain, source IP, auth failure" % name)

def check_file(kind, path, line):
    name = path if kind == "fixture" else os.path.basename(path)
    try:
        o = json.loads(line) if line is not None else None
    except ValueError:
        o = None
    good = isinstance(o, dict) and o.get("file") == path and isinstance(o.get("ok"), bool)
    say(good, "%s: one JSON object line naming the file" % name)
    if not good:
        return True
    say(o["ok"] or (isinstance(o["reason"], str) and o["reason"]),
        "%s: ok, or rejected with a reason" % name)
    if kind != "fixture":
        check_corpus(kind, o, path)
    return o["ok"]

for entry in open(sys.argv[1]):
    kind, rc, out, lst = entry.rstrip("\n").split("\t")
    rc = int(rc)
    files = open(lst).read().splitlines()
    lines = open(out, "rb").read().decode("utf-8", "strict").splitlines()
    what = os.path.dirname(files[0]) if kind == "fixture" else "the %s corpus" % kind
    if kind == "fixture" and len(files) == 1:
        what = files[0]
    say(rc in (0, 1), "%s: exit status %d (0 or 1, never a crash or a usage error)" % (what, rc))
    say(len(lines) == len(files), "%s: %d lines for %d files" % (what, len(lines), len(files)))
    all_ok = True
    for i, path in enumerate(files):
        all_ok = check_file(kind, path, lines[i] if i < len(lines) else None) and all_ok
    say((rc == 0) == all_ok, "%s: exit status %d says whether every file was valid" % (what, rc))
PY
[ -s "$TESTTMP/verdicts" ]; ok $? "the comparison ran"
while IFS=$'\t' read -r verdict what; do
  [ "$verdict" = PASS ]; ok $? "$what"
done <"$TESTTMP/verdicts"
done_testing
