# tests/lib/proc.sh: process handling shared by the server harnesses
# tests/lib/nsd.sh, tests/lib/exim.sh and tests/lib/dovecot.sh (sourced by
# POSIX sh): the tools they need on PATH, errors, liveness, free ports,
# stopping a recorded server with its process group, the watchdog that stops
# it when the test that started it dies, the bounded wait for it to come up
# and the retry loop around the harness's own start.  It knows no server:
# the harness defines try_start, start_timeout and show_log (see
# start_on_free_ports), cmd_start (see proc_main) and KILL_AFTER.
# Set PROC_SH_NAME (the harness's name for error messages) before sourcing.

# Debian puts nsd and exim4 in /usr/sbin, which a non-root PATH often lacks.
PATH=$PATH:/usr/sbin:/sbin
export PATH

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
# shellcheck disable=SC2034 # PY and SETSID are for the harnesses that source this
SETSID=$(command -v setsid || true)

# die MESSAGE...: print "NAME: MESSAGE" on stderr and exit 1.
die() {
	echo "$PROC_SH_NAME: $*" >&2
	exit 1
}

# alive PID: true while process PID runs (a zombie, which an init that
# never reaps would keep around, counts as gone).
alive() {
	if [ -r "/proc/$1/stat" ]; then
		state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
		[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
	else
		kill -0 "$1" 2>/dev/null
	fi
}

# kill_pidfile FILE TICKS: kill the process whose pid is recorded in FILE
# (and its process group when it leads one: the server's children), wait,
# remove FILE.  TERM first, KILL after TICKS polls of 50 ms; gives up
# waiting after 10 s.
kill_pidfile() {
	[ -f "$1" ] || return 0
	pid=$(cat "$1" 2>/dev/null)
	rm -f "$1"
	case "$pid" in '' | *[!0-9]*) return 0 ;; esac
	target=$pid
	[ "$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ')" = "$pid" ] && target=-$pid
	kill -TERM "$target" 2>/dev/null || return 0
	i=0
	while alive "$pid"; do
		i=$((i + 1))
		[ $i = "$2" ] && kill -KILL "$target" 2>/dev/null
		[ $i -gt 200 ] && break
		sleep 0.05
	done
	[ "$target" = "$pid" ] || kill -KILL "$target" 2>/dev/null
	return 0
}

# start_watchdog OWNER PID FILE: unless OWNER is empty, a background watchdog
# (its pid recorded in FILE) kills PID and its group once process OWNER exits.
start_watchdog() {
	case "$1" in '' | *[!0-9]*) return 0 ;; esac
	(
		trap '' HUP INT
		while alive "$1" && alive "$2"; do
			sleep 1
		done
		kill -KILL "-$2" 2>/dev/null || kill -KILL "$2" 2>/dev/null
	) </dev/null >/dev/null 2>&1 &
	echo $! >"$3"
}

# wait_up PID DEADLINE CMD...: run CMD every 50 ms until it succeeds (0);
# 1 when process PID died first, 2 when the clock passed DEADLINE (epoch s).
wait_up() {
	wu_pid=$1
	wu_end=$2
	shift 2
	until "$@"; do
		alive "$wu_pid" || return 1
		[ "$(date +%s)" -lt "$wu_end" ] || return 2
		sleep 0.05
	done
	return 0
}

# N distinct TCP ports free on 127.0.0.1 right now (racy by nature; fine on a test box).
free_ports() {
	"$PY" -c '
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
' "$1"
}

# stop_recorded DIR: stop the watchdog and the server recorded in DIR
# (watchdog.pid, harness.pid); nothing when DIR does not exist.
stop_recorded() {
	[ -d "$1" ] || return 0
	dir=$(cd "$1" && pwd)
	kill_pidfile "$dir/watchdog.pid" "$KILL_AFTER"
	kill_pidfile "$dir/harness.pid" "$KILL_AFTER"
	return 0
}

# start_on_free_ports NPORTS NAME OWNER LOG...: start the server in $dir on
# NPORTS free ports with the harness's try_start PORT... (0: up and its pid in
# $dir/harness.pid, 1: it exited, 2: it did not come up in time).  When it
# exited and a LOG says a port was "in use" (someone took it between our
# probe and its bind), try new ports, 5 times at most.  A timeout kills it and
# dies with start_timeout PORT...; other failures die "NAME exited during
# startup", after show_log.  Then the watchdog for OWNER (see start_watchdog),
# and the ports, space-separated, on stdout and in $dir/ports.
start_on_free_ports() {
	sp_n=$1
	sp_name=$2
	sp_owner=$3
	shift 3
	sp_logs=$*
	attempt=1
	while :; do
		ports=$(free_ports "$sp_n") || die "could not find free ports"
		# shellcheck disable=SC2086
		try_start $ports
		rc=$?
		[ $rc = 0 ] && break
		if [ $rc = 2 ]; then
			kill_pidfile "$dir/harness.pid" "$KILL_AFTER"
			show_log
			# shellcheck disable=SC2086
			die "$(start_timeout $ports)"
		fi
		# shellcheck disable=SC2086
		if [ $attempt -ge 5 ] || ! grep -qi 'in use' $sp_logs 2>/dev/null; then
			show_log
			die "$sp_name exited during startup"
		fi
		attempt=$((attempt + 1))
	done
	start_watchdog "$sp_owner" "$(cat "$dir/harness.pid")" "$dir/watchdog.pid"
	echo "$ports" >"$dir/ports"
	echo "$ports"
}

# proc_main ARG...: a harness's command line, "start DIR CERT KEY" (its
# cmd_start) or "stop DIR" (stop_recorded); errors name PROC_SH_NAME.
proc_main() {
	[ $# -ge 1 ] || die "usage: $PROC_SH_NAME start DIR CERT KEY | stop DIR"
	cmd=$1
	shift
	case "$cmd" in
	start) cmd_start "$@" ;;
	stop)
		[ $# -eq 1 ] || die "usage: $PROC_SH_NAME stop DIR"
		stop_recorded "$1"
		;;
	*) die "unknown command $cmd" ;;
	esac
}
