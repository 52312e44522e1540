#!/bin/bash
# tests/integration/test_dkim.sh: `mailpulse dkim-keygen` (key file mode
# 0600, never overwritten, the TXT record in 255-byte strings), then a
# cross-check of mail/dkim against an independent implementation, Debian's
# python3-dkim (dkimpy): we sign and it verifies, it signs and we verify, for
# rsa-sha256 and ed25519-sha256 (RFC 8463; dkimpy needs python3-nacl for it).
# Keys reach dkimpy through its dnsfunc hook and mail/dkim through a fake
# zone, so no DNS server is involved.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
MP="$top_builddir/mailpulse"
TOOL="$top_builddir/tests/mail/dkim_tool"
PY=/usr/bin/python3
[ -x "$MP" ] || bail "no mailpulse binary at $MP"
[ -x "$TOOL" ] || bail "no dkim_tool at $TOOL"

cd "$TESTTMP" || bail "no temp dir"
umask 022

# ---- dkim-keygen ----
OUT=$("$MP" dkim-keygen --domain dkim.test --selector it1 2>err.txt)
is "$?" 0 "rsa keygen exits 0"
KEY=it1._domainkey.dkim.test.pem
ok "$([ -f "$KEY" ]; echo $?)" "default key file name $KEY"
is "$(stat -c %a "$KEY")" 600 "key file mode 0600 despite umask 022"
has "$(head -1 "$KEY")" "-----BEGIN PRIVATE KEY-----" "PEM private key"
has "$OUT" 'it1._domainkey.dkim.test. IN TXT "v=DKIM1; k=rsa; p=MIIB' "TXT record printed"
hasnt "$OUT" "PRIVATE" "the private key is not printed"
LONGEST=$(printf '%s\n' "$OUT" | grep -o '"[^"]*"' | awk '{ if (length($0) - 2 > m) m = length($0) - 2 } END { print m }')
ok "$([ "$LONGEST" -le 255 ]; echo $?)" "TXT split into strings of at most 255 bytes (longest $LONGEST)"
is "$(printf '%s\n' "$OUT" | grep -o '"[^"]*"' | wc -l)" 2 "a 2048-bit key needs two strings"
SUM=$(md5sum <"$KEY")
"$MP" dkim-keygen --domain dkim.test --selector it1 >/dev/null 2>err.txt
is "$?" 1 "refuses to overwrite an existing key"
has "$(cat err.txt)" "refusing to overwrite" "says why"
is "$(md5sum <"$KEY")" "$SUM" "existing key untouched"
"$MP" dkim-keygen --domain dkim.test --selector x --bits 512 >/dev/null 2>&1
is "$?" 3 "512-bit RSA refused (RFC 8301)"
"$MP" dkim-keygen --domain dkim.test --selector x --bits 9000 >/dev/null 2>&1
is "$?" 3 "9000-bit RSA refused"
"$MP" dkim-keygen --domain 'bad domain' --selector x >/dev/null 2>&1
is "$?" 3 "bad domain refused"
"$MP" dkim-keygen --domain dkim.test --selector 'a;b' >/dev/null 2>&1
is "$?" 3 "bad selector refused"
ok "$([ ! -e x._domainkey.dkim.test.pem ]; echo $?)" "no file left by refused runs"
OUTED=$("$MP" dkim-keygen --domain dkim.test --selector it2 --type ed25519 --out ed.pem 2>/dev/null)
is "$?" 0 "ed25519 keygen exits 0"
is "$(stat -c %a ed.pem)" 600 "--out file mode 0600"
has "$OUTED" 'it2._domainkey.dkim.test. IN TXT "v=DKIM1; k=ed25519; p=' "ed25519 TXT record"
printf '%s\n' "$OUT" >keys.txt
printf '%s\n' "$OUTED" >>keys.txt

# ---- a message, and dkimpy driven by a small script ----
printf 'From: Probe <probe@dkim.test>\r\nTo: <seed@example.net>\r\nSubject: cross check\r\nDate: Sun, 29 Nov 2026 11:53:13 +0000\r\nMessage-ID: <x1@dkim.test>\r\n\r\nHello DKIM.\r\nSecond line.\r\n' >msg.eml
cat >pydkim.py <<'EOF'
import base64, re, subprocess, sys
import dkim

def txt_of(name, keys):
    for line in open(keys):
        if line.startswith(name + '. '):
            return ''.join(re.findall(r'"([^"]*)"', line)).encode()
    return None

mode = sys.argv[1]
msg = sys.stdin.buffer.read()
if mode == 'verify':
    keys = sys.argv[2]
    def dnsfunc(name, timeout=5):
        n = name.decode() if isinstance(name, bytes) else name
        return txt_of(n.rstrip('.'), keys)
    print('pass' if dkim.verify(msg, dnsfunc=dnsfunc) else 'fail')
else:
    keyfile, dom, sel, alg = sys.argv[2:6]
    if alg == 'ed25519-sha256':
        der = subprocess.run(['openssl', 'pkey', '-in', keyfile, '-outform', 'DER'],
                             capture_output=True, check=True).stdout
        key = base64.b64encode(der[-32:])  # RFC 8410 PKCS#8: the seed ends the DER
    else:
        key = open(keyfile, 'rb').read()
    sig = dkim.sign(msg, sel.encode(), dom.encode(), key, signature_algorithm=alg.encode(),
                    canonicalize=(b'relaxed', b'relaxed'),
                    include_headers=[b'from', b'to', b'subject', b'date', b'message-id'])
    sys.stdout.buffer.write(sig + msg)
EOF
if ! $PY -c 'import dkim' 2>/dev/null; then
  skip "python3-dkim is not installed: no cross-check"
  done_testing; exit $?
fi
HAVE_NACL=0
$PY -c 'import nacl.signing' 2>/dev/null && HAVE_NACL=1

# ---- we sign, we and dkimpy verify ----
"$TOOL" sign "$KEY" dkim.test it1 rsa <msg.eml >rsa.eml
is "$?" 0 "we sign with the generated RSA key"
has "$("$TOOL" verify keys.txt <rsa.eml)" "pass d=dkim.test s=it1 bits=2048" "we verify our RSA signature"
is "$($PY pydkim.py verify keys.txt <rsa.eml 2>&1)" pass "dkimpy verifies our RSA signature"
sed 's/Second line/Second LINE/' rsa.eml >rsa-bad.eml
is "$($PY pydkim.py verify keys.txt <rsa-bad.eml 2>&1)" fail "dkimpy fails our signature over a changed body"
has "$("$TOOL" verify keys.txt <rsa-bad.eml)" "body hash" "and so do we, saying body hash"
"$TOOL" sign ed.pem dkim.test it2 ed25519 <msg.eml >ed.eml
is "$?" 0 "we sign with the generated ed25519 key"
has "$("$TOOL" verify keys.txt <ed.eml)" "pass d=dkim.test s=it2 bits=256" "we verify our ed25519 signature"
if [ "$HAVE_NACL" = 1 ]; then
  is "$($PY pydkim.py verify keys.txt <ed.eml 2>&1)" pass "dkimpy verifies our ed25519 signature"
else
  skip "python3-nacl missing: dkimpy cannot check ed25519-sha256 (RFC 8463)"
fi

# ---- dkimpy signs, we verify ----
$PY pydkim.py sign "$KEY" dkim.test it1 rsa-sha256 <msg.eml >py-rsa.eml 2>err.txt
is "$?" 0 "dkimpy signs with our RSA key"
has "$("$TOOL" verify keys.txt <py-rsa.eml)" "pass d=dkim.test s=it1 bits=2048" "we verify dkimpy's RSA signature"
if [ "$HAVE_NACL" = 1 ]; then
  $PY pydkim.py sign ed.pem dkim.test it2 ed25519-sha256 <msg.eml >py-ed.eml 2>err.txt
  is "$?" 0 "dkimpy signs with our ed25519 key"
  has "$("$TOOL" verify keys.txt <py-ed.eml)" "pass d=dkim.test s=it2 bits=256" "we verify dkimpy's ed25519 signature"
else
  skip "python3-nacl missing: dkimpy cannot sign ed25519-sha256"
fi
sed 's/Subject: cross check/Subject: cross CHECK/' py-rsa.eml >py-bad.eml
has "$("$TOOL" verify keys.txt <py-bad.eml)" "fail d=dkim.test s=it1" "a changed Subject fails dkimpy's signature for us"

# ---- simple/simple from dkimpy (we sign relaxed only, but verify both) ----
cat >pysimple.py <<'EOF'
import sys, dkim
msg = sys.stdin.buffer.read()
sig = dkim.sign(msg, b'it1', b'dkim.test', open(sys.argv[1], 'rb').read(),
                canonicalize=(b'simple', b'simple'), include_headers=[b'from', b'subject'])
sys.stdout.buffer.write(sig + msg)
EOF
$PY pysimple.py "$KEY" <msg.eml >py-simple.eml
has "$("$TOOL" verify keys.txt <py-simple.eml)" "pass d=dkim.test s=it1" "we verify dkimpy's simple/simple signature"
sed 's/Subject: cross check/Subject:  cross check/' py-simple.eml >py-simple-ws.eml
has "$("$TOOL" verify keys.txt <py-simple-ws.eml)" "fail d=dkim.test s=it1" "simple/simple: one more space in Subject fails"

# ---- a 512-bit RSA key (dkimpy still signs with one; we do not) ----
if openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:512 -out weak.pem 2>/dev/null; then
  printf 'weak._domainkey.dkim.test v=DKIM1; p=%s\n' "$(openssl pkey -in weak.pem -pubout -outform DER 2>/dev/null | base64 -w0)" >>keys.txt
  $PY pydkim.py sign weak.pem dkim.test weak rsa-sha256 <msg.eml >py-weak.eml 2>err.txt
  has "$("$TOOL" verify keys.txt <py-weak.eml)" "policy d=dkim.test s=weak bits=512" "512-bit key: policy (RFC 8301 3.2)"
  "$TOOL" sign weak.pem dkim.test weak rsa <msg.eml >/dev/null 2>err.txt
  is "$?" 1 "we refuse to sign with a 512-bit key"
else
  skip "this openssl cannot make a 512-bit RSA key"
  skip "this openssl cannot make a 512-bit RSA key"
fi
done_testing
