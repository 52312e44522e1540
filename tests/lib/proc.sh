# tests/lib/proc.sh: process handling shared by the server harnesses
# tests/lib/nsd.sh and tests/lib/exim.sh (sourced by POSIX sh): the tools
# they need on PATH, errors, liveness, stopping a recorded server with its
# process group, the watchdog that stops it when the test that started it
# dies, and the bounded wait for it to come up.  It starts no server itself.
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
