#!/bin/sh
# tests/lib/exim.sh: start and stop a real MTA (Exim 4.96, Debian's
# exim4-daemon-light) on loopback as the SMTP submission relay for tests
# (DESIGN.md 6; libraries.md 7.2 has the verified recipe and its traps).
#
# One instance per DIR, nothing outside DIR touched: the config (written
# from the template below), spool, log, pid file and the maildir it delivers
# to all live there, so several instances run side by side.  It listens on
# two free 127.0.0.1 ports: submission with STARTTLS (port 587 style) and
# implicit TLS (port 465 style, tls_on_connect_ports).  AUTH PLAIN and LOGIN
# are offered only after TLS, with one static user.  Recipients:
#   nobody@...   refused: 550 5.1.1 (user unknown)
#   full@...     deferred: 452 4.2.2 (mailbox full)
#   anyone else  accepted from an authenticated client and delivered at once
#                into the maildir DIR/maildir (one file per message in new/)
# MAIL without AUTH gets 530 5.7.0.
#
# Usage:
#   exim.sh start DIR CERT KEY  CERT/KEY: PEM server certificate and key (e.g.
#                               tests/lib/testca.sh).  Writes DIR/exim.conf,
#                               starts Exim, waits (at most EXIM_SH_WAIT s,
#                               default 15) until both ports accept, prints
#                               "SUBMISSION_PORT TLS_PORT".  Exit 1 with the
#                               Exim logs on stderr on any failure.
#   exim.sh stop DIR            Stop what start started (by recorded PID, with
#                               its process group) and wait.  Safe to repeat.
#
# Environment:
#   EXIM_SH_USER, EXIM_SH_PASSWORD  the AUTH credentials (default
#                        test@example.test / secret); letters, digits and
#                        @ . _ - + only, since they are written into the config.
#   EXIM_SH_OWNER=PID    a watchdog stops Exim when process PID exits.
#   EXIM_SH_WAIT         seconds to wait for readiness (default 15).
#   EXIM_SH_RELAY_PORT=P relay mode (off when unset or empty): recipients
#                        outside EXIM_SH_LOCAL_DOMAINS are not put in the
#                        maildir but relayed over SMTP to 127.0.0.1 port P
#                        (a manualroute router with self = send, an smtp
#                        transport with allow_localhost), so a test can have
#                        Exim deliver to its own listener.  Bounces Exim
#                        makes for such mail go to the envelope sender by the
#                        same routers, so a sender in a relayed domain gets
#                        its DSN at port P too.  Exim uses STARTTLS there
#                        when offered (its default) without checking the
#                        certificate, unless EXIM_SH_RELAY_CA is set.  The refusals of the
#                        table above (nobody@, full@) still apply at
#                        submission; whatever the listener answers (550,
#                        451 ...) Exim handles as any relay would: a DSN for
#                        a 5xx, a retry (F,10m,30s) for a 4xx.
#   EXIM_SH_LOCAL_DOMAINS  colon-separated domains kept in the maildir in
#                        relay mode (default example.test).
#   EXIM_SH_RELAY_CA=FILE  relay mode only: require TLS to port P and verify
#                        the listener's certificate chain against FILE (no
#                        host name check: the target is an IP literal).
#   EXIM_SH_DKIM_DOMAIN=D, EXIM_SH_DKIM_SELECTOR=S, EXIM_SH_DKIM_KEY=FILE
#                        relay mode only, all three or none: the relay
#                        transport DKIM-signs every message it relays with
#                        d=D s=S (relaxed/relaxed, the PEM key FILE), as an
#                        e-mail service provider without custom DKIM does:
#                        a passing signature that aligns with nobody's From.
#   EXIM_SH_LMTP_DOMAIN=D, EXIM_SH_LMTP_PORT=P  LMTP mode (off unless both
#                        are set): recipients in domain D (one domain name)
#                        are delivered over LMTP (RFC 2033) to 127.0.0.1
#                        port P (e.g. Dovecot's, tests/lib/dovecot.sh
#                        DOVECOT_SH_LMTP), before the relay and maildir
#                        routers (a manualroute router keeping the local
#                        part's case, so USER+Junk stays so, and an smtp
#                        transport with protocol = lmtp, no TLS); what the LMTP server
#                        refuses with 5xx gets a DSN as usual.
#
# Requirements (Debian's build, libraries.md 7.2): run as root (exim4 -C
# from another user is refused; Exim then drops to Debian-exim itself), the
# config owned by root with mode 0644, and DIR reachable by Debian-exim: the
# spool, log and maildir are made owned by Debian-exim here, and every parent
# of DIR must let Debian-exim through (mode o+x).
set -u
# PATH (with /usr/sbin), PY, SETSID, die, alive, kill_pidfile, start_watchdog, wait_up.
PROC_SH_NAME=exim.sh
. "$(dirname "$0")/proc.sh"
EXIM_USER=Debian-exim
# Stopping (kill_pidfile): TERM, then KILL after 2 s (40 polls of 50 ms).
# shellcheck disable=SC2034 # used by proc.sh
KILL_AFTER=40

# 0 when something accepts TCP connections on 127.0.0.1:$1.
accepts() {
	"$PY" -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
s.close()
' "$1" 2>/dev/null
}

show_log() {
	for f in "$dir/exim.out" "$dir/log/mainlog" "$dir/log/paniclog" "$dir/log/rejectlog"; do
		[ -s "$f" ] || continue
		echo "--- $f:" >&2
		tail -20 "$f" >&2
	done
}

# LMTP mode (EXIM_SH_LMTP_DOMAIN and _PORT): the extra router and transport, else nothing.
lmtp_router() {
	[ -n "${EXIM_SH_LMTP_DOMAIN:-}" ] && [ -n "${EXIM_SH_LMTP_PORT:-}" ] || return 0
	echo "to_lmtp:"
	echo "  driver = manualroute"
	echo "  domains = ${EXIM_SH_LMTP_DOMAIN}"
	echo "  route_list = * 127.0.0.1::${EXIM_SH_LMTP_PORT}"
	echo "  self = send"
	echo "  transport = lmtp_out"
	echo "  caseful_local_part"
	echo "  no_more"
	echo
}

lmtp_transport() {
	[ -n "${EXIM_SH_LMTP_DOMAIN:-}" ] && [ -n "${EXIM_SH_LMTP_PORT:-}" ] || return 0
	echo "lmtp_out:"
	echo "  driver = smtp"
	echo "  protocol = lmtp"
	echo "  port = ${EXIM_SH_LMTP_PORT}"
	echo "  allow_localhost"
	echo "  hosts_avoid_tls = *"
	echo
}

# Relay mode (EXIM_SH_RELAY_PORT): the extra router and transport, else nothing.
relay_router() {
	[ -n "${EXIM_SH_RELAY_PORT:-}" ] || return 0
	echo "to_relay:"
	echo "  driver = manualroute"
	echo "  domains = ! +local_domains"
	echo "  route_list = * 127.0.0.1::${EXIM_SH_RELAY_PORT}"
	echo "  self = send"
	echo "  transport = relay_smtp"
	echo "  no_more"
	echo
}

relay_transport() {
	[ -n "${EXIM_SH_RELAY_PORT:-}" ] || return 0
	echo "relay_smtp:"
	echo "  driver = smtp"
	echo "  allow_localhost"
	if [ -n "${EXIM_SH_RELAY_CA:-}" ]; then
		echo "  hosts_require_tls = *"
		echo "  tls_verify_certificates = $dir/tls/relay-ca.pem"
		echo "  tls_verify_hosts = *"
		echo "  tls_verify_cert_hostnames ="
	fi
	if [ -n "${EXIM_SH_DKIM_DOMAIN:-}" ]; then
		echo "  dkim_domain = $EXIM_SH_DKIM_DOMAIN"
		echo "  dkim_selector = $EXIM_SH_DKIM_SELECTOR"
		echo "  dkim_private_key = $dir/tls/dkim.pem"
		echo "  dkim_canon = relaxed"
	fi
	echo
}

# The config template, filled in with this instance's paths and ports.
write_conf() {
	# $1 = submission port, $2 = implicit TLS port
	cat >"$dir/exim.conf" <<EOF
# written by tests/lib/exim.sh; everything lives under $dir
primary_hostname = mta.test
qualify_domain = example.test
spool_directory = $dir/spool
log_file_path = $dir/log/%slog
pid_file_path = $dir/exim.pid
local_interfaces = <; 127.0.0.1.$1 ; 127.0.0.1.$2
tls_on_connect_ports = $2
tls_advertise_hosts = *
tls_certificate = $dir/tls/cert.pem
tls_privatekey = $dir/tls/key.pem
host_lookup =
rfc1413_hosts =
keep_environment =
exim_user = $EXIM_USER
exim_group = $EXIM_USER
never_users =
domainlist local_domains = ${EXIM_SH_LOCAL_DOMAINS:-example.test}
acl_smtp_mail = acl_mail
acl_smtp_rcpt = acl_rcpt

begin acl
acl_mail:
  accept encrypted = *
         authenticated = *
  deny   message = 530 5.7.0 Authentication required
acl_rcpt:
  deny   local_parts = nobody
         message = 550 5.1.1 <\$local_part@\$domain>: Recipient address rejected: User unknown
  defer  local_parts = full
         message = 452 4.2.2 Mailbox full
  accept authenticated = *
  deny   message = 554 5.7.1 Relaying denied

begin routers
$(lmtp_router)
$(relay_router)
to_maildir:
  driver = accept
  transport = maildir_sink

begin transports
$(lmtp_transport)
$(relay_transport)
maildir_sink:
  driver = appendfile
  directory = $dir/maildir
  maildir_format
  create_directory
  envelope_to_add
  return_path_add
  user = $EXIM_USER
  group = $EXIM_USER

begin retry
* * F,10m,30s

begin authenticators
plain:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = \${if and {{eq{\$auth2}{$user}}{eq{\$auth3}{$password}}}}
  server_set_id = \$auth2
  server_advertise_condition = \${if def:tls_in_cipher}
login:
  driver = plaintext
  public_name = LOGIN
  server_prompts = <| Username: | Password:
  server_condition = \${if and {{eq{\$auth1}{$user}}{eq{\$auth2}{$password}}}}
  server_set_id = \$auth1
  server_advertise_condition = \${if def:tls_in_cipher}
EOF
	chown root:root "$dir/exim.conf" && chmod 0644 "$dir/exim.conf"
}

# start_timeout PORT PORT: the message when Exim does not accept in time.
start_timeout() {
	echo "Exim on 127.0.0.1:$1/$2 did not accept within ${EXIM_SH_WAIT:-15}s"
}

# Start on ports $1 $2; 0 ready, 1 Exim died (maybe a port was taken), 2 timeout.
try_start() {
	write_conf "$1" "$2"
	exim4 -C "$dir/exim.conf" -bV >"$dir/check.out" 2>&1 ||
		{ cat "$dir/check.out" >&2; die "exim4 -bV rejected $dir/exim.conf"; }
	# -bdf: the daemon stays in the foreground, so $! is its PID; setsid makes
	# it a group leader, so stop also reaches delivery processes.
	$SETSID exim4 -C "$dir/exim.conf" -bdf -q30s </dev/null >"$dir/exim.out" 2>&1 &
	pid=$!
	echo "$pid" >"$dir/harness.pid"
	deadline=$(($(date +%s) + ${EXIM_SH_WAIT:-15}))
	for p in "$1" "$2"; do
		wait_up "$pid" "$deadline" accepts "$p"
		rc=$?
		[ $rc = 1 ] && rm -f "$dir/harness.pid"
		[ $rc = 0 ] || return $rc
	done
	return 0
}

check_domains() {
	case "$1" in '' | *[!A-Za-z0-9.:-]*) die "EXIM_SH_LOCAL_DOMAINS may hold only letters, digits and . : -" ;; esac
}

check_creds() {
	case "$1" in '' | *[!A-Za-z0-9@._+-]*) die "credentials may hold only letters, digits and @ . _ - +" ;; esac
}

cmd_start() {
	[ $# -eq 3 ] || die "usage: exim.sh start DIR CERT KEY"
	command -v exim4 >/dev/null 2>&1 || die "exim4 not found: run scripts/setup (Debian package exim4-daemon-light)"
	[ "$(id -u)" = 0 ] || die "must run as root (Debian's exim4 refuses -C for other users)"
	id "$EXIM_USER" >/dev/null 2>&1 || die "user $EXIM_USER missing (exim4-base creates it)"
	[ -r "$2" ] && [ -r "$3" ] || die "certificate $2 or key $3 not readable"
	user=${EXIM_SH_USER:-test@example.test}
	password=${EXIM_SH_PASSWORD:-secret}
	check_creds "$user"
	check_creds "$password"
	mkdir -p "$1" || die "cannot create $1"
	dir=$(cd "$1" && pwd)
	if [ -f "$dir/harness.pid" ]; then
		alive "$(cat "$dir/harness.pid")" && die "$dir already has a running Exim (exim.sh stop $dir first)"
		cmd_stop "$dir"
	fi
	chmod 0755 "$dir"
	install -d -o "$EXIM_USER" -g "$EXIM_USER" -m 0750 "$dir/spool" "$dir/log" "$dir/maildir"
	install -d -m 0755 "$dir/tls"
	install -m 0644 "$2" "$dir/tls/cert.pem"
	# The daemon reads the key as Debian-exim; it is a throw-away test key.
	install -o root -g "$EXIM_USER" -m 0640 "$3" "$dir/tls/key.pem"
	case "${EXIM_SH_RELAY_PORT:-}" in
	*[!0-9]*) die "EXIM_SH_RELAY_PORT must be a port number" ;;
	esac
	if [ -n "${EXIM_SH_DKIM_DOMAIN:-}${EXIM_SH_DKIM_SELECTOR:-}${EXIM_SH_DKIM_KEY:-}" ]; then
		[ -n "${EXIM_SH_DKIM_DOMAIN:-}" ] && [ -n "${EXIM_SH_DKIM_SELECTOR:-}" ] &&
			[ -r "${EXIM_SH_DKIM_KEY:-}" ] ||
			die "EXIM_SH_DKIM_DOMAIN, _SELECTOR and a readable _KEY go together"
		case "$EXIM_SH_DKIM_DOMAIN$EXIM_SH_DKIM_SELECTOR" in
		*[!A-Za-z0-9.-]*) die "EXIM_SH_DKIM_DOMAIN/_SELECTOR: letters, digits, . and - only" ;;
		esac
		install -o root -g "$EXIM_USER" -m 0640 "$EXIM_SH_DKIM_KEY" "$dir/tls/dkim.pem"
	fi
	if [ -n "${EXIM_SH_RELAY_CA:-}" ]; then
		[ -r "$EXIM_SH_RELAY_CA" ] || die "EXIM_SH_RELAY_CA $EXIM_SH_RELAY_CA not readable"
		install -m 0644 "$EXIM_SH_RELAY_CA" "$dir/tls/relay-ca.pem"
	fi
	check_domains "${EXIM_SH_LOCAL_DOMAINS:-example.test}"
	case "${EXIM_SH_LMTP_PORT:-}" in
	*[!0-9]*) die "EXIM_SH_LMTP_PORT must be a port number" ;;
	esac
	case "${EXIM_SH_LMTP_DOMAIN:-}" in
	*[!A-Za-z0-9.-]*) die "EXIM_SH_LMTP_DOMAIN must be one domain name" ;;
	esac
	runuser -u "$EXIM_USER" -- test -w "$dir/spool" 2>/dev/null ||
		die "$EXIM_USER cannot reach $dir (every parent directory needs o+x)"
	start_on_free_ports 2 Exim "${EXIM_SH_OWNER:-}" "$dir/exim.out" "$dir/log/paniclog"
}

proc_main "$@"
