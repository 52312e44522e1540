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

struct slot {
	struct dns_posture *p;
	struct dns_runner *run;
	dns_runner_done_fn *done;
	void *arg;
	bool dns_pending;      /* the resolver will call on_ready for this slot */
	bool fetch_pending;    /* an HTTPS fetch is running for this slot */
	bool ready;	       /* on the ready list */
	struct slot *next;     /* queue, ready list or finished list */
	struct slot *all_next; /* the list of started, unfinished slots */
};

struct dns_runner {
	struct dns_resolver *res;
	struct common_fetch *fetch;
	size_t max_active, active, pending;
	struct slot *queue_head, *queue_tail; /* added, not started */
	struct slot *ready;		      /* nothing left to wait for: step again */
	struct slot *all;		      /* every started slot, for abandoning */
	struct slot *finished;		      /* completed, to report */
};

static void push_ready(struct slot *sl)
{
	if (!sl->dns_pending && !sl->fetch_pending && !sl->ready) {
		sl->ready = true;
		sl->next = sl->run->ready;
		sl->run->ready = sl;
	}
}

static void on_ready(void *arg, struct dns_book *book)
{
	struct slot *sl = arg;

	(void)book;
	sl->dns_pending = false;
	push_ready(sl);
}

static void on_fetch(void *arg, const struct common_fetch_result *fr)
{
	struct slot *sl = arg;

	dns_posture_fetch_done(sl->p, fr->err, fr->status, fr->content_type, fr->body, fr->body_len,
			       fr->error);
	sl->fetch_pending = false;
	push_ready(sl);
}

struct dns_runner *dns_runner_new(struct dns_resolver *res, struct common_fetch *fetch,
				  size_t max_active)
{
	struct dns_runner *r = xcalloc(1, sizeof *r);

	r->res = res;
	r->fetch = fetch;
	r->max_active = max_active ? max_active : 1000;
	return r;
}

static void unlink_all(struct dns_runner *r, struct slot *sl)
{
	for (struct slot **pp = &r->all; *pp; pp = &(*pp)->all_next) {
		if (*pp == sl) {
			*pp = sl->all_next;
			return;
		}
	}
}

static void free_list(struct dns_runner *r, struct slot *sl, bool all_list)
{
	while (sl) {
		struct slot *next = all_list ? sl->all_next : sl->next;

		dns_resolver_forget(r->res, dns_posture_book(sl->p));
		free(sl);
		sl = next;
	}
}

void dns_runner_free(struct dns_runner *r)
{
	if (r == NULL)
		return;
	/* Every started, unfinished slot is on the all list (ready ones too). */
	free_list(r, r->all, true);
	free_list(r, r->queue_head, false);
	free_list(r, r->finished, false);
	free(r);
}

void dns_runner_add(struct dns_runner *r, struct dns_posture *p, dns_runner_done_fn *done,
		    void *arg)
{
	struct slot *sl = xcalloc(1, sizeof *sl);

	sl->p = p;
	sl->run = r;
	sl->done = done;
	sl->arg = arg;
	if (r->queue_tail)
		r->queue_tail->next = sl;
	else
		r->queue_head = sl;
	r->queue_tail = sl;
	r->pending++;
}

size_t dns_runner_pending(const struct dns_runner *r)
{
	return r->pending;
}

static void finish(struct dns_runner *r, struct slot *sl)
{
	unlink_all(r, sl);
	sl->next = r->finished;
	r->finished = sl;
	r->active--;
}

/*
 * Start the MTA-STS policy fetch if the posture wants one.  Returns true
 * when the fetch could not even start: its failure is already recorded and
 * the posture can be stepped again at once.
 */
static bool start_fetch(struct dns_runner *r, struct slot *sl)
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
static void step(struct dns_runner *r, struct slot *sl)
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

static void start_more(struct dns_runner *r)
{
	while (r->active < r->max_active && r->queue_head) {
		struct slot *sl = r->queue_head;

		r->queue_head = sl->next;
		if (r->queue_head == NULL)
			r->queue_tail = NULL;
		sl->next = NULL;
		sl->all_next = r->all;
		r->all = sl;
		r->active++;
		step(r, sl);
	}
}

/* Step again every slot whose answers are complete; returns how many. */
static size_t step_ready(struct dns_runner *r)
{
	size_t stepped = 0;

	while (r->ready) {
		struct slot *sl = r->ready;

		r->ready = sl->next;
		sl->ready = false;
		sl->next = NULL;
		step(r, sl);
		stepped++;
	}
	return stepped;
}

/* Nobody is working and nobody is ready, yet slots wait: stop them. */
static void abort_stuck(struct dns_runner *r)
{
	while (r->all) {
		struct slot *sl = r->all;

		dns_posture_abort(sl->p, "no answer will ever come");
		finish(r, sl);
	}
}

/* Report completed postures (callbacks may add more). */
static void report(struct dns_runner *r)
{
	while (r->finished) {
		struct slot *sl = r->finished;

		r->finished = sl->next;
		r->pending--;
		if (sl->done)
			sl->done(sl->arg, sl->p);
		free(sl);
	}
}

enum mp_err dns_runner_pump(struct dns_runner *r, int max_wait_ms)
{
	bool dns_busy;
	int fetching;

	start_more(r);
	report(r);
	if (r->pending == 0)
		return ERR_OK;
	dns_busy = dns_resolver_busy(r->res);
	fetching = r->fetch ? common_fetch_run(r->fetch, dns_busy ? 0 : max_wait_ms) : 0;
	if (dns_busy && dns_resolver_run_once(r->res, fetching ? 10 : max_wait_ms) != ERR_OK)
		return ERR_IO;
	if (step_ready(r) == 0 && fetching == 0 && !dns_resolver_busy(r->res) && r->all &&
	    r->ready == NULL)
		abort_stuck(r);
	start_more(r);
	report(r);
	return ERR_OK;
}

enum mp_err dns_runner_run(struct dns_resolver *res, struct common_fetch *fetch,
			   struct dns_posture *const *p, size_t n, size_t max_active)
{
	struct dns_runner *r = dns_runner_new(res, fetch, max_active);
	enum mp_err e = ERR_OK;

	for (size_t i = 0; i < n; i++)
		dns_runner_add(r, p[i], NULL, NULL);
	while (e == ERR_OK && dns_runner_pending(r) > 0)
		e = dns_runner_pump(r, 200);
	dns_runner_free(r);
	return e;
}
