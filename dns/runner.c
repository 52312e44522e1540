/*
 * dns/runner: the event loop behind `mailpulse check` and the daemon's
 * scheduler (see runner.h).  A posture is stepped again only when all its
 * questions have answers (the resolver's ready callback), which batches
 * re-runs: one re-run per round trip, not one per answer.
 */
#include <stdbool.h>
#include <string.h>
#include "common/xmalloc.h"
#include "dns/runner.h"

struct run;

struct slot {
	struct dns_posture *p;
	struct run *run;
	bool dns_pending;   /* the resolver will call on_ready for this slot */
	bool fetch_pending; /* an HTTPS fetch is running for this slot */
	bool done;
};

struct run {
	struct dns_resolver *res;
	struct common_fetch *fetch;
	struct slot *s;
	size_t n, next, active, done, max_active;
	struct slot **ready; /* slots with nothing left to wait for, to step again */
	size_t n_ready;
};

static void make_ready(struct slot *sl)
{
	if (!sl->dns_pending && !sl->fetch_pending)
		sl->run->ready[sl->run->n_ready++] = sl;
}

static void on_ready(void *arg, struct dns_book *book)
{
	struct slot *sl = arg;

	(void)book;
	sl->dns_pending = false;
	make_ready(sl);
}

static void on_fetch(void *arg, const struct common_fetch_result *fr)
{
	struct slot *sl = arg;

	dns_posture_fetch_done(sl->p, fr->err, fr->status, fr->content_type, fr->body, fr->body_len,
			       fr->error);
	sl->fetch_pending = false;
	make_ready(sl);
}

static void finish(struct run *r, struct slot *sl)
{
	sl->done = true;
	r->done++;
	r->active--;
}

/*
 * Start the MTA-STS policy fetch if the posture wants one.  Returns true
 * when the fetch could not even start: its failure is already recorded and
 * the posture can be stepped again at once.
 */
static bool start_fetch(struct run *r, struct slot *sl)
{
	const char *url, *addr;

	if (!dns_posture_fetch_needed(sl->p, &url, &addr))
		return false;
	if (r->fetch != NULL && common_fetch_get(r->fetch, url, addr, on_fetch, sl) == ERR_OK) {
		sl->fetch_pending = true;
		return false;
	}
	dns_posture_fetch_done(sl->p, ERR_UNSUPPORTED, 0, "", "", 0,
			       r->fetch ? "could not start the HTTPS request"
					: "HTTPS fetching is disabled");
	return true;
}

/* Step one posture and hand its needs to the resolver and the fetcher. */
static void step(struct run *r, struct slot *sl)
{
	struct dns_book *book = dns_posture_book(sl->p);

	for (int spin = 0;; spin++) {
		size_t asked;
		bool again;

		if (dns_posture_step(sl->p) == ERR_OK) {
			finish(r, sl);
			return;
		}
		asked = dns_resolver_submit(r->res, book, on_ready, sl);
		sl->dns_pending = asked > 0 || dns_book_in_flight(book) > 0;
		again = start_fetch(r, sl);
		if (sl->dns_pending || sl->fetch_pending)
			return;
		if (!again || spin > 2) {
			/* Asked for nothing it could wait on: it would spin forever. */
			dns_posture_abort(sl->p, "a check asked for nothing it could wait on");
			finish(r, sl);
			return;
		}
	}
}

/* Nobody is working and nobody is ready, yet slots wait: stop them. */
static void abort_stuck(struct run *r)
{
	for (size_t i = 0; i < r->next; i++) {
		struct slot *sl = &r->s[i];

		if (!sl->done) {
			dns_posture_abort(sl->p, "no answer will ever come");
			finish(r, sl);
		}
	}
}

static void start_more(struct run *r)
{
	while (r->active < r->max_active && r->next < r->n) {
		struct slot *sl = &r->s[r->next++];

		r->active++;
		step(r, sl);
	}
}

/* Step again every slot whose answers are complete; returns how many. */
static size_t step_ready(struct run *r)
{
	size_t stepped = 0;

	while (r->n_ready > 0) {
		struct slot *sl = r->ready[--r->n_ready];

		step(r, sl);
		stepped++;
	}
	return stepped;
}

enum mp_err dns_runner_run(struct dns_resolver *res, struct common_fetch *fetch,
			   struct dns_posture *const *p, size_t n, size_t max_active)
{
	struct run r = {.res = res, .fetch = fetch, .n = n};
	enum mp_err e = ERR_OK;

	r.max_active = max_active ? max_active : 1000;
	r.s = xcalloc(n ? n : 1, sizeof *r.s);
	/* A slot is on the ready list at most once at a time, so n entries suffice. */
	r.ready = xcalloc(n ? n : 1, sizeof *r.ready);
	for (size_t i = 0; i < n; i++) {
		r.s[i].p = p[i];
		r.s[i].run = &r;
	}
	start_more(&r);
	while (r.done < n) {
		bool dns_busy = dns_resolver_busy(res);
		int fetching = fetch ? common_fetch_run(fetch, dns_busy ? 0 : 50) : 0;

		if (dns_busy) {
			e = dns_resolver_run_once(res, fetching ? 10 : 200);
			if (e != ERR_OK)
				break;
		}
		if (step_ready(&r) == 0 && r.n_ready == 0 && fetching == 0 &&
		    !dns_resolver_busy(res))
			abort_stuck(&r);
		start_more(&r);
	}
	free(r.ready);
	free(r.s);
	return e;
}
