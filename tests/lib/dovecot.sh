#!/bin/sh
# tests/lib/dovecot.sh: start and stop a real IMAP server (Dovecot 2.3,
# Debian's dovecot-imapd) on loopback for the seed-box tests (DESIGN.md 6,
# issue 4).  It does not deliver mail itself: tests put messages in with
# `doveadm -c DIR/dovecot.conf save -u USER -m FOLDER <MSG` and look with
# `doveadm -c DIR/dovecot.conf search ...`.
#
# One instance per DIR, nothing outside DIR touched: the config, base_dir
# (sockets, pid), state_dir, log and every user's maildir live there, so
# several instances run side by side.  Dovecot runs in the foreground
# (`dovecot -F`) as a process of the test, on two free 127.0.0.1 ports:
# plain IMAP where LOGIN/AUTHENTICATE are refused before STARTTLS
# (disable_plaintext_auth, port 143 style), and implicit TLS (port 993
# style).  Users (passwd-file, PLAIN scheme):
#   probe@example.test  password DOVECOT_SH_PASSWORD (default an app-style
#                       "abcd efgh ijkl mnop": spaces, like Gmail's)
#   other@example.test  password other-secret
# Folders of every user, created at login: INBOX, Junk (special-use \Junk),
# "Bulk Mail" (a name with a space, \Junk too) and Archive.
#
# Usage:
#   dovecot.sh start DIR CERT KEY  CERT/KEY: PEM server certificate and key
#                               (tests/lib/testca.sh).  Writes
#                               DIR/dovecot.conf, checks it with doveconf,
#                               starts Dovecot, waits (at most DOVECOT_SH_WAIT
#                               s, default 15) until both ports greet, prints
#                               "IMAP_PORT IMAPS_PORT".  Exit 1 with the log
#                               on stderr on any failure.
#   dovecot.sh stop DIR         Stop what start started (by recorded PID, with
#                               its process group) and wait.  Safe to repeat.
#
# Environment:
#   DOVECOT_SH_PASSWORD  probe@example.test's password (no ':' or newline).
#   DOVECOT_SH_OWNER=PID a watchdog stops Dovecot when process PID exits.
#   DOVECOT_SH_WAIT      seconds to wait for readiness (default 15).
#   DOVECOT_SH_USER=ADDR one more user, ADDR, with DOVECOT_SH_PASSWORD's
#                        password (letters, digits and @ . _ - only).
#   DOVECOT_SH_LMTP=yes  also an LMTP server (RFC 2033) on a third free
#                        127.0.0.1 port, so a test's MTA can deliver into
#                        the mailboxes; start then prints "IMAP_PORT
#                        IMAPS_PORT LMTP_PORT".  recipient_delimiter is +
#                        and lmtp_save_to_detail_mailbox = yes: mail to
#                        USER+Junk@DOMAIN lands in USER@DOMAIN's Junk.  An
#                        address that is no user is refused (the userdb is
#                        static, so the passdb says who exists).
#
# Users and privileges: as root (tests and CI) the master stays root, login
# processes run as dovenull, internal ones as dovecot (both come with the
# dovecot-core package) and the mail processes as nobody, who owns the
# maildirs; every parent of DIR must let nobody through (mode o+x).  As any
# other user everything runs as that user.
set -u
# PATH (with /usr/sbin), PY, SETSID, die, alive, kill_pidfile, start_watchdog, wait_up.
PROC_SH_NAME=dovecot.sh
. "$(dirname "$0")/proc.sh"
# Stopping (kill_pidfile): TERM, then KILL after 2 s (40 polls of 50 ms).
# shellcheck disable=SC2034 # used by proc.sh
KILL_AFTER=40

# 0 when an LMTP server greets ("220") on 127.0.0.1:$1.
lmtp_greets() {
	"$PY" -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
line = s.recv(512)
s.close()
sys.exit(0 if line.startswith(b"220") else 1)
' "$1" 2>/dev/null
}

# 0 when an IMAP server greets ("* OK") on 127.0.0.1:$1, over TLS when $2 = tls.
greets() {
	"$PY" -c '
import socket, ssl, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
if sys.argv[2] == "tls":
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = ctx.wrap_socket(s)
line = s.recv(512)
s.close()
sys.exit(0 if line.startswith(b"* OK") else 1)
' "$1" "$2" 2>/dev/null
}

show_log() {
	for f in "$dir/dovecot.out" "$dir/dovecot.log"; do
		[ -s "$f" ] || continue
		echo "--- $f:" >&2
		tail -30 "$f" >&2
	done
}

# DOVECOT_SH_LMTP: the LMTP settings and listener on port $1, else nothing.
lmtp_conf() {
	[ "$lmtp" = yes ] || return 0
	cat <<EOF
recipient_delimiter = +
lmtp_save_to_detail_mailbox = yes
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $1
  }
}
EOF
}

# The config, filled in with this instance's paths, users and ports.
write_conf() {
	# $1 = plain (STARTTLS) port, $2 = implicit TLS port, $3 = LMTP port (DOVECOT_SH_LMTP)
	cat >"$dir/dovecot.conf" <<EOF
# written by tests/lib/dovecot.sh; everything lives under $dir
protocols = imap${lmtp_proto}
listen = 127.0.0.1
base_dir = $dir/run
state_dir = $dir/state
instance_name = mailpulse-test-$2
log_path = $dir/dovecot.log
info_log_path = $dir/dovecot.log
debug_log_path = $dir/dovecot.log
default_internal_user = $internal_user
default_internal_group = $internal_group
default_login_user = $login_user
first_valid_uid = 1
last_valid_uid = 0
first_valid_gid = 1
auth_mechanisms = plain login
# RFC 3501 6.2.3 / RFC 9051 6.2.3: no password before TLS on the plain port.
disable_plaintext_auth = yes
auth_verbose = yes
ssl = yes
ssl_cert = <$dir/tls/cert.pem
ssl_key = <$dir/tls/key.pem
ssl_min_protocol = TLSv1.2
mail_location = maildir:$dir/mail/%u
mail_uid = $mail_user
mail_gid = $mail_group
# No login or user-count limits a test could trip over, no fsync waits.
mail_fsync = never
login_greeting = dovecot test ready
# The default plus lport, so tests see which port a login came through;
# %c says "TLS" once the connection is encrypted (also after STARTTLS).
login_log_format_elements = user=<%u> method=%m rip=%r lip=%l lport=%{lport} mpid=%e %c session=<%{session}>
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/users
}
userdb {
  driver = static
  args = home=$dir/mail/%u
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Junk {
    special_use = \\Junk
    auto = create
  }
  mailbox "Bulk Mail" {
    special_use = \\Junk
    auto = create
  }
  mailbox Archive {
    special_use = \\Archive
    auto = create
  }
}
service imap-login {
  $login_chroot
  inet_listener imap {
    address = 127.0.0.1
    port = $1
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $2
    ssl = yes
  }
}
service anvil {
  chroot =
}
service stats {
  chroot =
}
$(lmtp_conf "${3:-}")
EOF
}

# start_timeout PORT...: the message when Dovecot does not greet in time.
start_timeout() {
	echo "Dovecot on 127.0.0.1 ports $* did not greet within ${DOVECOT_SH_WAIT:-15}s"
}

# Start on ports $1 $2 (and $3 for LMTP); 0 ready, 1 Dovecot died (maybe a port was taken), 2 timeout.
try_start() {
	write_conf "$1" "$2" "${3:-}"
	doveconf -c "$dir/dovecot.conf" -n >"$dir/check.out" 2>&1 ||
		{ cat "$dir/check.out" >&2; die "doveconf rejected $dir/dovecot.conf"; }
	: >"$dir/dovecot.log"
	# -F: the master stays in the foreground, so $! is its PID; setsid makes
	# it a group leader, so stop also reaches its login and imap processes.
	$SETSID dovecot -F -c "$dir/dovecot.conf" </dev/null >"$dir/dovecot.out" 2>&1 &
	pid=$!
	echo "$pid" >"$dir/harness.pid"
	deadline=$(($(date +%s) + ${DOVECOT_SH_WAIT:-15}))
	wait_up "$pid" "$deadline" greets "$1" plain
	rc=$?
	[ $rc = 0 ] && { wait_up "$pid" "$deadline" greets "$2" tls; rc=$?; }
	[ $rc = 0 ] && [ "$lmtp" = yes ] && { wait_up "$pid" "$deadline" lmtp_greets "$3"; rc=$?; }
	[ $rc = 1 ] && rm -f "$dir/harness.pid"
	return $rc
}

cmd_start() {
	[ $# -eq 3 ] || die "usage: dovecot.sh start DIR CERT KEY"
	command -v dovecot >/dev/null 2>&1 || die "dovecot not found: run scripts/setup (Debian package dovecot-imapd)"
	[ -x /usr/lib/dovecot/imap ] || die "Dovecot has no IMAP server: install dovecot-imapd"
	[ -r "$2" ] && [ -r "$3" ] || die "certificate $2 or key $3 not readable"
	password=${DOVECOT_SH_PASSWORD:-abcd efgh ijkl mnop}
	extra_user=${DOVECOT_SH_USER:-}
	case "$extra_user" in *[!A-Za-z0-9@._-]*) die "DOVECOT_SH_USER may hold only letters, digits and @ . _ -" ;; esac
	lmtp=${DOVECOT_SH_LMTP:-no} lmtp_proto= nports=2
	case "$lmtp" in
	yes)
		lmtp_proto=" lmtp" nports=3
		[ -x /usr/lib/dovecot/lmtp ] || die "Dovecot has no LMTP server: install dovecot-lmtpd"
		;;
	no) ;;
	*) die "DOVECOT_SH_LMTP must be yes or no" ;;
	esac
	case "$password" in *:* | *'
'*) die "DOVECOT_SH_PASSWORD may not hold ':' or a newline" ;; esac
	if [ "$(id -u)" = 0 ]; then
		for u in dovecot dovenull nobody; do
			id "$u" >/dev/null 2>&1 || die "user $u missing (dovecot-core creates dovecot and dovenull)"
		done
		internal_user=dovecot internal_group=dovecot login_user=dovenull
		mail_user=nobody mail_group=nogroup
		login_chroot="# login processes chroot to base_dir/login (the default)"
	else
		internal_user=$(id -un) internal_group=$(id -gn) login_user=$internal_user
		mail_user=$internal_user mail_group=$internal_group
		login_chroot="chroot =" # only root may chroot
	fi
	mkdir -p "$1" || die "cannot create $1"
	dir=$(cd "$1" && pwd)
	case "$dir" in *[!A-Za-z0-9/._-]*) die "DIR $dir: only letters, digits and / . _ - please (it goes into the config)" ;; esac
	if [ -f "$dir/harness.pid" ]; then
		alive "$(cat "$dir/harness.pid")" && die "$dir already has a running Dovecot (dovecot.sh stop $dir first)"
		cmd_stop "$dir"
	fi
	chmod 0755 "$dir"
	install -d -m 0755 "$dir/run" "$dir/state" "$dir/tls"
	install -d -o "$mail_user" -g "$mail_group" -m 0700 "$dir/mail"
	install -m 0644 "$2" "$dir/tls/cert.pem"
	install -m 0600 "$3" "$dir/tls/key.pem" # read by the master before it forks
	# Read by the auth process, which runs as the internal user.
	(umask 077 && printf 'probe@example.test:%s\nother@example.test:other-secret\n' "$password" >"$dir/users")
	[ -z "$extra_user" ] || printf '%s:%s\n' "$extra_user" "$password" >>"$dir/users"
	chgrp "$internal_group" "$dir/users" && chmod 0640 "$dir/users"
	if [ "$(id -u)" = 0 ]; then
		runuser -u "$mail_user" -- test -w "$dir/mail" 2>/dev/null ||
			die "$mail_user cannot reach $dir (every parent directory needs o+x)"
	fi
	start_on_free_ports "$nports" Dovecot "${DOVECOT_SH_OWNER:-}" "$dir/dovecot.out" "$dir/dovecot.log"
}

proc_main "$@"
