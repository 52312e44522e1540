# tests/lib/probe.sh: the setup the probe integration tests share
# (tests/integration/test_probe.sh, test_probe_seed.sh), sourced by bash
# after tests/lib/tap.sh and tests/lib/daemon.sh: the relay credentials,
# the checks that skip without root or Exim, a real Exim started as the
# submission relay to mailpulsed's listener, the key and password files,
# the [listener], [probe] and [relay exim] sections, and reading the API's
# probe list.  It starts nothing when sourced.
FIX="$top_srcdir/tests/fixtures/probe"
LIB="$top_srcdir/tests/lib"
# shellcheck disable=SC2034 # TOKEN is for conf_web (tests/lib/daemon.sh)
TOKEN=probe-token-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
SMTP_USER=probes@probe.test
PASS=Pw-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')

# probe_need: bail without the tools and mailpulsed, skip without root or exim4.
probe_need() {
  need_tools nsd curl dig
  need_python
  [ -x "$MPD" ] || bail "no mailpulsed binary in $top_builddir"
  [ "$(id -u)" = 0 ] || skip_all "not root: Debian's exim4 takes -C only from root"
  command -v exim4 >/dev/null 2>&1 || [ -x /usr/sbin/exim4 ] || skip_all "exim4 is not installed"
}

# probe_exim_start [VAR=VALUE...]: Exim (STARTTLS + AUTH as SMTP_USER/PASS,
# the test CA's certificate) relaying to mailpulsed's listener on a free
# port LPORT, with the extra exim.sh settings given; SUB is its submission
# port.  Stopped at exit.
probe_exim_start() {
  LPORT=$(free_port) || bail "no free port"
  PORTS=$(env EXIM_SH_USER="$SMTP_USER" EXIM_SH_PASSWORD="$PASS" EXIM_SH_RELAY_PORT="$LPORT" "$@" \
    sh "$LIB/exim.sh" start "$TESTTMP/exim" "$TESTTMP/ca/cert.pem" "$TESTTMP/ca/key.pem") ||
    bail "Exim did not start"
  cleanup_first "sh '$LIB/exim.sh' stop '$TESTTMP/exim'"
  read -r SUB _ <<<"$PORTS"
}

# probe_files: the mp1 DKIM key and the relay password, mode 600, in TESTTMP.
probe_files() {
  install -m 600 "$top_srcdir/tests/fixtures/keys/good-mp1.pem" "$TESTTMP/mp1.pem"
  printf '%s\n' "$PASS" >"$TESTTMP/relay-password"
  chmod 600 "$TESTTMP/relay-password"
}

# probe_conf TIMEOUT: [listener] on LPORT, [probe] (probe timeout TIMEOUT)
# and [relay exim] through Exim's submission port SUB.
probe_conf() {
  cat <<EOC
[listener]
listen = 127.0.0.1:$LPORT
hostname = mx.mon.test
addresses = probe@mon.test
authserv_id = mx.mon.test
[probe]
bounce_domain = bounces.probe.test
timeout = $1
[relay exim]
host = 127.0.0.1
port = $SUB
tls = starttls
ca_file = $CA
username = $SMTP_USER
password_file = $TESTTMP/relay-password
helo = probe-client.test
timeout = 10s
EOC
}

# pfield DOMAIN EXPR: EXPR over DOMAIN's probe list p (python objects) from
# /api/v1/domains/DOMAIN/probes, which is saved as TESTTMP/probes-DOMAIN.json.
pfield() {
  curl -s "$URL/api/v1/domains/$1/probes" >"$TESTTMP/probes-$1.json"
  $PY -c 'import json,sys
d = json.load(open(sys.argv[1]))
p = d.get("probes", d) if isinstance(d, dict) else d
print(eval(sys.argv[2]))' "$TESTTMP/probes-$1.json" "$2" 2>&1
}
