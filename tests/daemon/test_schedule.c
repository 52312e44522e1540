/* tests/daemon/test_schedule: due times, jitter bounds, run-now, no double runs. */
#include "daemon/schedule.h"
#include "tests/lib/tap.h"

int main(void)
{
	static const char *const names[] = {"a.test", "b.test", "c.test"};
	static const unsigned iv[] = {300, 300, 60};
	struct daemon_schedule *s = daemon_schedule_new(names, iv, 3, 0.1, 1000);
	size_t due[8];
	bool in_bounds = true, spread = false;
	int64_t first = -1;

	tap_is_int((long long)daemon_schedule_take_due(s, 1000, due, 8), 3,
		   "every domain is due at start");
	tap_is_int((long long)daemon_schedule_take_due(s, 1000, due, 8), 0,
		   "running domains are not started twice");
	tap_ok(daemon_schedule_run_now(s, 0, 1000) == ERR_AGAIN,
	       "run-now of a running domain waits");
	tap_is_int((long long)daemon_schedule_next_due(s), INT64_MAX, "nothing due while all run");
	daemon_schedule_finished(s, 0, 1010);
	daemon_schedule_finished(s, 1, 1010);
	daemon_schedule_finished(s, 2, 1010);
	tap_ok(daemon_schedule_due_at(s, 2) >= 1010 + 54 &&
		   daemon_schedule_due_at(s, 2) <= 1010 + 66,
	       "next check one interval later, within 10%% jitter");
	tap_is_int((long long)daemon_schedule_take_due(s, 1100, due, 8), 1,
		   "only the 60 s domain is due");
	tap_is_int((long long)due[0], 2, "it is c.test");
	tap_ok(daemon_schedule_run_now(s, 0, 1100) == ERR_OK, "run-now of an idle domain");
	tap_is_int((long long)daemon_schedule_take_due(s, 1100, due, 8), 1, "it is due at once");
	tap_is_int(daemon_schedule_find(s, "b.test"), 1, "find by name");
	tap_is_int(daemon_schedule_find(s, "x.test"), -1, "unknown name");
	daemon_schedule_free(s);

	/* Jitter: bounded, reproducible, and different domains land apart. */
	for (int round = 0; round < 50; round++) {
		const char *const one[] = {"spread.test", "other.test"};
		static const unsigned iv2[] = {1000, 1000};
		struct daemon_schedule *t = daemon_schedule_new(one, iv2, 2, 0.2, 0);

		daemon_schedule_take_due(t, 0, due, 8);
		daemon_schedule_finished(t, 0, 0);
		daemon_schedule_finished(t, 1, 0);
		if (daemon_schedule_due_at(t, 0) < 800 || daemon_schedule_due_at(t, 0) > 1200)
			in_bounds = false;
		if (first < 0)
			first = daemon_schedule_due_at(t, 0);
		else if (daemon_schedule_due_at(t, 0) != first)
			in_bounds = false; /* same name, same round: same time */
		if (daemon_schedule_due_at(t, 0) != daemon_schedule_due_at(t, 1))
			spread = true;
		daemon_schedule_free(t);
	}
	tap_ok(in_bounds, "jitter within +-20%% and reproducible");
	tap_ok(spread, "two domains with the same interval are spread apart");
	return tap_done();
}
