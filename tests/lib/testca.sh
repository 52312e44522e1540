#!/bin/sh
# tests/lib/testca.sh DIR NAME...: make a throw-away test CA in DIR (ca.pem,
# ca.key) and one server certificate (cert.pem, key.pem) valid for every NAME
# given, signed by it.  A NAME that is an IP address (a dotted quad, or
# hex digits with colons) goes in as an IP subjectAltName, so clients that connect
# to an IP literal can verify it.  Used by tests that need real certificate
# checks.
set -eu
dir=$1; shift
mkdir -p "$dir"
cd "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
  -subj "/CN=mailpulse test CA" >/dev/null 2>&1
san=""
for n in "$@"; do
  case $n in
  *[!0-9.]* | *..* | .* | *.) t=DNS ;;   # not a dotted quad
  *.*.*.*) t=IP ;;
  *) t=DNS ;;
  esac
  case $n in *:*) case $n in *[!0-9a-fA-F.:]*) ;; *) t=IP ;; esac ;; esac
  san="${san:+$san,}$t:$n"
done
openssl req -newkey rsa:2048 -nodes -keyout key.pem -out req.csr -subj "/CN=$1" >/dev/null 2>&1
printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$san" > ext.cnf
openssl x509 -req -in req.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cert.pem -days 2 \
  -extfile ext.cnf >/dev/null 2>&1
echo "$dir/ca.pem"
