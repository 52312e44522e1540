#!/bin/sh
# tests/lib/nsd.sh: start and stop a real authoritative DNS server (NSD 4.6)
# on loopback for integration tests and benchmarks (DESIGN.md 6).  It does
# not write zones (tests bring their own) and never touches system state: the
# config, pid, log, xfrd state and zone list all live under DIR, NSD runs
# without dropping privileges (username ""), with no database, no control
# port, no IPv6 and no response-rate limiting (harness-notes.md: RRL drops
# identical answers from 127.0.0.1 and looks like a resolver bug), so several
# instances run side by side, as root on a fresh CI machine or as any user.
#
# Usage:
#   nsd.sh start DIR ZONE...   ZONE is a file named <origin>.zone (the zone
#                              name comes from the file name, without the
#                              .zone suffix) or a directory of such files.
#                              Checks every zone with nsd-checkzone, writes
#                              DIR/nsd.conf, checks it with nsd-checkconf,
#                              starts NSD on 127.0.0.1 on a free port, waits
#                              (at most NSD_SH_WAIT seconds, default 15) until
#                              every zone's SOA answers, and prints the port
#                              on stdout.  Exit 1 with the NSD log on stderr
#                              on any failure.
#   nsd.sh stop DIR            Stop what start/silent started in DIR (by the
#                              PIDs recorded there) and wait for it to exit.
#                              Safe to call twice or when nothing runs.
#   nsd.sh silent DIR          Bind a UDP socket on 127.0.0.1 to a free port
#                              that never answers and print the port: queries
#                              to it TIME OUT (c-ares ARES_ETIMEOUT).  Stopped
#                              by `nsd.sh stop DIR`.
#   nsd.sh freeport            Print a port where nothing listens (picked by
#                              binding port 0, then closed): UDP queries to it
#                              get ICMP port-unreachable, which c-ares reports
#                              as connection refused (ARES_ECONNREFUSED), fast.
#                              Racy by nature; fine on a test machine.
#
# Environment:
#   NSD_SH_OWNER=PID     a watchdog stops the server when process PID exits
#                        (tests pass their own pid, so a crashed test that
#                        never ran its atexit handler leaves nothing behind).
#   NSD_SH_ALLOW_BAD_ZONES=1  start even if a zone fails nsd-checkzone (NSD
#                        then answers SERVFAIL for that zone; used by the
#                        resolver's SERVFAIL test).  Without it a bad zone is
#                        a clear error.
#   NSD_SH_SERVER_COUNT  NSD server processes (default 1; benchmarks raise it).
#   NSD_SH_WAIT          seconds to wait for readiness (default 15).
set -u
# PATH (with /usr/sbin), PY, SETSID, die, alive, kill_pidfile, start_watchdog, wait_up.
PROC_SH_NAME=nsd.sh
. "$(dirname "$0")/proc.sh"
# Zone paths are kept one per line, so directories with spaces work.
NL='
'
IFS=$NL

# A port that is free for both UDP and TCP on 127.0.0.1 right now.
free_port() {
	"$PY" -c '
import socket
for _ in range(50):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    port = u.getsockname()[1]
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        t.bind(("127.0.0.1", port))
    except OSError:
        u.close(); t.close(); continue
    u.close(); t.close()
    print(port)
    break
else:
    raise SystemExit("no free port")
'
}

need() {
	command -v "$1" >/dev/null 2>&1 || die "$1 not found: run scripts/setup (Debian package $2)"
}

# Stopping (kill_pidfile): NSD takes seconds to shut down and keeps nothing
# we need, so KILL follows TERM after a quarter of a second (5 polls).
KILL_AFTER=5

# Collect zone files (FILE.zone or directories of them) into $zones.
collect_zones() {
	zones=""
	for z in "$@"; do
		if [ -d "$z" ]; then
			found=0
			for f in "$z"/*.zone; do
				[ -f "$f" ] || continue
				zones="$zones$(cd "$(dirname "$f")" && pwd)/$(basename "$f")$NL"
				found=1
			done
			[ $found = 1 ] || die "no *.zone file in $z"
		elif [ -f "$z" ]; then
			case "$z" in *.zone) ;; *) die "$z: zone files must be named <origin>.zone" ;; esac
			zones="$zones$(cd "$(dirname "$z")" && pwd)/$(basename "$z")$NL"
		else
			die "$z: no such zone file or directory"
		fi
	done
	[ -n "$zones" ] || die "start needs at least one zone file"
}

write_conf() {
	# $1 = port
	cat >"$dir/nsd.conf" <<EOF
# written by tests/lib/nsd.sh; everything lives under this directory
server:
	ip-address: 127.0.0.1@$1
	do-ip4: yes
	do-ip6: no
	username: ""
	chroot: ""
	database: ""
	zonesdir: "$dir"
	pidfile: "$dir/nsd.pid"
	xfrdfile: "$dir/xfrd.state"
	xfrdir: "$dir"
	zonelistfile: "$dir/zone.list"
	logfile: "$dir/nsd.log"
	server-count: ${NSD_SH_SERVER_COUNT:-1}
	verbosity: 1
	hide-version: yes
	rrl-ratelimit: 0
	rrl-whitelist-ratelimit: 0
remote-control:
	control-enable: no
EOF
	for f in $zones; do
		name=$(basename "$f" .zone)
		printf 'zone:\n\tname: "%s"\n\tzonefile: "%s"\n' "$name" "$f" >>"$dir/nsd.conf"
	done
}

# 0 when NSD answered the SOA query for zone $2 on port $1 (any rcode).
answers() {
	dig +time=1 +tries=1 +norecurse -p "$1" @127.0.0.1 "$2" SOA >"$dir/dig.out" 2>&1
}

show_log() {
	echo "--- $dir/nsd.log:" >&2
	cat "$dir/nsd.log" "$dir/nsd.out" 2>/dev/null | tail -30 >&2
}

# Start NSD on port $1; 0 ready, 1 NSD died (maybe the port was taken), 2 timeout.
try_start() {
	port=$1
	write_conf "$port"
	nsd-checkconf "$dir/nsd.conf" >"$dir/checkconf.out" 2>&1 ||
		{ cat "$dir/checkconf.out" >&2; die "nsd-checkconf rejected $dir/nsd.conf"; }
	: >"$dir/nsd.log"
	# Its own process group (setsid execs in place: a background job of a
	# non-interactive shell is no group leader), so stop can kill NSD's
	# children with it.
	$SETSID nsd -d -c "$dir/nsd.conf" </dev/null >"$dir/nsd.out" 2>&1 &
	pid=$!
	echo "$pid" >"$dir/harness.pid"
	deadline=$(($(date +%s) + ${NSD_SH_WAIT:-15}))
	for f in $zones; do
		name=$(basename "$f" .zone)
		wait_up "$pid" "$deadline" answers "$port" "$name"
		rc=$?
		[ $rc = 1 ] && rm -f "$dir/harness.pid"
		[ $rc = 0 ] || return $rc
	done
	return 0
}

cmd_start() {
	[ $# -ge 2 ] || die "usage: nsd.sh start DIR ZONE..."
	need nsd nsd
	need nsd-checkconf nsd
	need nsd-checkzone nsd
	need dig bind9-dnsutils
	mkdir -p "$1" || die "cannot create $1"
	dir=$(cd "$1" && pwd)
	shift
	if [ -f "$dir/harness.pid" ]; then
		# A leftover from a crashed run is cleaned up; a live server is an error.
		alive "$(cat "$dir/harness.pid")" && die "$dir already has a running server (nsd.sh stop $dir first)"
		cmd_stop "$dir"
	fi
	collect_zones "$@"
	for f in $zones; do
		name=$(basename "$f" .zone)
		if ! nsd-checkzone "$name" "$f" >"$dir/checkzone.out" 2>&1; then
			if [ "${NSD_SH_ALLOW_BAD_ZONES:-0}" = 1 ]; then
				echo "nsd.sh: zone $name does not load (allowed): $(tail -1 "$dir/checkzone.out")" >&2
			else
				cat "$dir/checkzone.out" >&2
				die "zone $name ($f) does not load"
			fi
		fi
	done
	attempt=1
	while :; do
		port=$(free_port) || die "could not find a free port"
		try_start "$port"
		rc=$?
		[ $rc = 0 ] && break
		if [ $rc = 2 ]; then
			kill_pidfile "$dir/harness.pid" "$KILL_AFTER"
			show_log
			die "NSD on 127.0.0.1:$port did not answer within ${NSD_SH_WAIT:-15}s"
		fi
		# NSD exited: most likely someone took the port between our probe
		# and NSD's bind.  Try another port a few times.
		if [ $attempt -ge 5 ] || ! grep -qi 'bind\|in use' "$dir/nsd.log" "$dir/nsd.out" 2>/dev/null; then
			show_log
			die "NSD exited during startup"
		fi
		attempt=$((attempt + 1))
	done
	start_watchdog "${NSD_SH_OWNER:-}" "$(cat "$dir/harness.pid")" "$dir/watchdog.pid"
	echo "$port" >"$dir/port"
	echo "$port"
}

cmd_silent() {
	[ $# -eq 1 ] || die "usage: nsd.sh silent DIR"
	mkdir -p "$1" || die "cannot create $1"
	dir=$(cd "$1" && pwd)
	# The child binds, writes the port to a file, then sleeps holding the
	# socket; nothing ever reads it, so no ICMP error comes back.
	rm -f "$dir/silent.port"
	$SETSID "$PY" -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    time.sleep(3600)
' "$dir/silent.port" </dev/null >/dev/null 2>&1 &
	pid=$!
	echo "$pid" >"$dir/silent.pid"
	i=0
	while [ ! -s "$dir/silent.port" ]; do
		i=$((i + 1))
		alive "$pid" || die "silent socket helper exited"
		[ $i -lt 200 ] || { kill_pidfile "$dir/silent.pid" "$KILL_AFTER"; die "silent socket helper did not start"; }
		sleep 0.05
	done
	start_watchdog "${NSD_SH_OWNER:-}" "$pid" "$dir/silent-watchdog.pid"
	cat "$dir/silent.port"
}

cmd_stop() {
	[ $# -eq 1 ] || die "usage: nsd.sh stop DIR"
	[ -d "$1" ] || return 0
	dir=$(cd "$1" && pwd)
	kill_pidfile "$dir/watchdog.pid" "$KILL_AFTER"
	kill_pidfile "$dir/silent-watchdog.pid" "$KILL_AFTER"
	kill_pidfile "$dir/harness.pid" "$KILL_AFTER"
	kill_pidfile "$dir/silent.pid" "$KILL_AFTER"
	return 0
}

[ $# -ge 1 ] || die "usage: nsd.sh start DIR ZONE... | stop DIR | silent DIR | freeport"
cmd=$1
shift
case "$cmd" in
start) cmd_start "$@" ;;
stop) cmd_stop "$@" ;;
silent) cmd_silent "$@" ;;
freeport) free_port ;;
*) die "unknown command $cmd" ;;
esac
