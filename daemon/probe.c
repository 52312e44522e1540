/*
 * daemon/probe: the probe engine (see the header).  The pure pieces of
 * reading inbound mail are daemon/probe_inbound, the DKIM signature of a
 * probe daemon/probe_sign.  RFC 3464 (DSNs), RFC 5321 4.5.5 (the null
 * reverse-path of bounces), RFC 5321 4.4 (Received).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "common/log.h"
#include "common/xmalloc.h"
#include "daemon/config_probe.h"
#include "daemon/config_report.h"
#include "daemon/probe.h"
#include "daemon/probe_inbound.h"
#include "daemon/probe_sign.h"
#include "daemon/probe_verdict.h"
#include "daemon/store_probe.h"
#include "mail/dkim.h"
#include "mail/dsn.h"
#include "mail/probe.h"

#define INBOUND_BATCH 32
#define LOST_SCAN_EVERY 5 /* seconds */

struct slot {
	const struct daemon_config_domain *d; /* or NULL for a seed */
	const struct daemon_config_seed *s;
	int64_t next;
	bool polling; /* a seed poll is on the worker */
};

/* An inbound row whose verification is on the worker. */
struct busy {
	int64_t id;
	bool spf_known;
	char token[MAIL_PROBE_TOKEN_LEN + 1];
};

struct daemon_probe {
	const struct daemon_config *cfg;
	struct daemon_store *st;
	daemon_probe_report_fn *report;
	void *report_arg;
	struct daemon_probe_worker *w;
	daemon_probe_runner_fn *runner;
	void *runner_arg;
	struct slot *slot;
	size_t nslot;
	struct busy *busy;
	size_t nbusy;
	struct mail_dkim *dkim; /* signing on the main loop */
	int64_t now, last_lost;
	uint64_t rng;
	bool changed, stopping;
	daemon_probe_other_fn *other; /* issue 5: reports */
	void *other_arg;
};

static double now_real(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned jitter(struct daemon_probe *p, unsigned interval)
{
	unsigned span = interval / 10 < 60 ? interval / 10 : 60;

	/* xorshift64: spreading start times needs no cryptography */
	p->rng ^= p->rng << 13;
	p->rng ^= p->rng >> 7;
	p->rng ^= p->rng << 17;
	return span ? (unsigned)(p->rng % (span + 1)) : 0;
}

static void report(struct daemon_probe *p, const char *domain, struct dns_findings *f)
{
	if (p->report != NULL && f->n > 0)
		p->report(p->report_arg, domain, f, p->now);
	dns_findings_clear(f);
	p->changed = true;
}

static void save(struct daemon_probe *p, const struct daemon_probe_row *r)
{
	if (daemon_store_probe_update(p->st, r) != ERR_OK)
		log_err("store", "probe-update-failed token=%s reason=%s", r->token,
			daemon_store_errmsg(p->st));
	log_info("probe", "state token=%s domain=%s state=%s%s%s", r->token, r->domain,
		 daemon_probe_state_name(r->state), r->error && r->error[0] ? " error=" : "",
		 r->error && r->error[0] ? r->error : "");
	p->changed = true;
}

/* ---- scheduling ---- */

static void make_slots(struct daemon_probe *p, int64_t now)
{
	const struct daemon_config *c = p->cfg;

	free(p->slot);
	p->slot = xcalloc(c->n_domains + c->n_seeds + 1, sizeof *p->slot);
	p->nslot = 0;
	for (size_t i = 0; i < c->n_domains; i++) {
		const struct daemon_config_domain *d = &c->domains[i];
		struct daemon_probe_row *last = NULL;
		size_t n = 0;
		int64_t next = now + jitter(p, d->probe.interval_s);

		if (!d->enabled || d->probe.interval_s == 0)
			continue;
		if (daemon_store_probe_recent(p->st, d->name, 1, &last, &n) == ERR_OK && n > 0 &&
		    last[0].created + d->probe.interval_s > next)
			next = last[0].created + d->probe.interval_s;
		daemon_store_probe_rows_free(last, n);
		p->slot[p->nslot++] = (struct slot){.d = d, .next = next};
	}
	for (size_t i = 0; i < c->n_seeds; i++)
		p->slot[p->nslot++] = (struct slot){.s = &c->seeds[i], .next = now};
}

/* ---- sending ---- */

static void new_row(struct daemon_probe_row *r, const char *tok, const char *domain,
		    const char *relay, const char *rcpt, int64_t now)
{
	memset(r, 0, sizeof *r);
	snprintf(r->token, sizeof r->token, "%s", tok);
	r->domain = xstrdup(domain);
	r->state = DAEMON_PROBE_PENDING;
	r->created = now;
	r->roundtrip_s = -1;
	r->relay = xstrdup(relay);
	r->rcpt = xstrdup(rcpt);
	r->queue_id = xstrdup("");
	r->error = xstrdup("");
	r->folder = xstrdup("");
	r->spf = xstrdup("");
	r->dkim = xstrdup("");
	r->dmarc = xstrdup("");
	r->bounce_status = xstrdup("");
	r->bounce_reason = xstrdup("");
	r->bounce_diag = xstrdup("");
	r->detail_json = xstrdup("{}");
}

static void handle_done(struct daemon_probe *p, struct daemon_probe_done *d);

static void submit(struct daemon_probe *p, struct daemon_probe_job *j)
{
	if (p->runner != NULL) {
		struct daemon_probe_done d = {0};

		p->runner(p->runner_arg, j, &d);
		daemon_probe_job_clear(j);
		handle_done(p, &d);
		daemon_probe_done_clear(&d);
		return;
	}
	if (p->w == NULL && daemon_probe_worker_new(&p->cfg->dns.opts, &p->w) != ERR_OK) {
		log_err("probe", "worker-failed reason=\"cannot start the probe worker threads\"");
		p->w = NULL;
	}
	if (p->w != NULL)
		daemon_probe_worker_push(p->w, j);
	daemon_probe_job_clear(j);
}

static void send_job(struct daemon_probe_job *j, const struct daemon_config_relay *rl,
		     const char *mail_from, const char *rcpt, char *msg, size_t len)
{
	struct daemon_probe_send *s = &j->send;

	j->kind = DAEMON_PROBE_JOB_SEND;
	s->host = xstrdup(rl->host);
	s->port = rl->port;
	s->tls = rl->tls == DAEMON_SMTP_IMPLICIT ? MAIL_SMTP_IMPLICIT
		 : rl->tls == DAEMON_SMTP_NONE	 ? MAIL_SMTP_PLAINTEXT
						 : MAIL_SMTP_STARTTLS;
	s->ca_file = rl->ca_file ? xstrdup(rl->ca_file) : NULL;
	s->helo = rl->helo ? xstrdup(rl->helo) : NULL;
	s->user = rl->username ? xstrdup(rl->username) : NULL;
	s->password = rl->password.value ? xstrdup(rl->password.value) : NULL;
	s->plaintext_auth = rl->tls == DAEMON_SMTP_NONE && rl->allow_insecure;
	s->timeout_ms = rl->timeout_ms;
	s->mail_from = xstrdup(mail_from);
	s->rcpt = xstrdup(rcpt);
	s->msg = msg;
	s->len = len;
}

/* One probe of d to rcpt through its relay. */
static void send_probe(struct daemon_probe *p, const struct daemon_config_domain *d,
		       const struct daemon_config_probe_rcpt *rcpt)
{
	const struct daemon_config *c = p->cfg;
	const struct daemon_config_relay *rl = daemon_config_find_relay(c, d->probe.relay);
	struct mail_probe_opts o = {0};
	struct daemon_probe_row r;
	struct daemon_probe_job j = {0};
	struct dns_findings f;
	char tok[MAIL_PROBE_TOKEN_LEN + 1], why[256] = "";
	char *msg = NULL, *mail_from = NULL;
	size_t len = 0;

	if (rl == NULL || mail_probe_token_new(tok) != ERR_OK)
		return; /* the config checked the relay; getrandom() does not fail */
	o = (struct mail_probe_opts){.token = tok,
				     .from = d->probe.from,
				     .to = rcpt->address,
				     .bounce_domain = c->probe.bounce_domain,
				     .verp_local = c->probe.verp_local,
				     .date = p->now};
	if (mail_probe_compose(&o, &msg, &len, &mail_from) != ERR_OK) {
		log_err("probe", "compose-failed domain=%s from=%s to=%s", d->name, d->probe.from,
			rcpt->address);
		return;
	}
	new_row(&r, tok, d->name, rl->name, rcpt->address, p->now);
	dns_findings_init(&f);
	if (d->probe.sign != NULL &&
	    daemon_probe_sign_msg(&p->dkim, d, &msg, &len, why, sizeof why) != ERR_OK) {
		char *e = xasprintf("mailpulse could not DKIM-sign it: %s", why);

		daemon_probe_verdict_send_failed(rl->name, e, NULL, &r, &f);
		free(e);
	}
	if (daemon_store_probe_insert(p->st, &r) != ERR_OK) {
		log_err("store", "probe-insert-failed token=%s reason=%s", tok,
			daemon_store_errmsg(p->st));
	} else if (r.state == DAEMON_PROBE_PENDING) {
		log_info("probe", "send token=%s domain=%s relay=%s rcpt=%s signed=%s", tok,
			 d->name, rl->name, rcpt->address, d->probe.sign ? "yes" : "no");
		snprintf(j.token, sizeof j.token, "%s", tok);
		send_job(&j, rl, mail_from, rcpt->address, msg, len);
		msg = NULL;
		submit(p, &j);
	}
	report(p, d->name, &f);
	p->changed = true;
	daemon_store_probe_row_free(&r);
	free(msg);
	free(mail_from);
}

/* A seed-box job for s: POLL, or DELETE (the caller adds the UIDs). */
static void seed_job(struct daemon_probe *p, const struct daemon_config_seed *s,
		     enum daemon_probe_job_kind kind, struct daemon_probe_job *j)
{
	*j = (struct daemon_probe_job){.kind = kind};
	/* Never delete inside the poll: handle_poll does once the messages are stored. */
	j->poll = (struct daemon_probe_poll){
	    .seed = xstrdup(s->name),
	    .host = xstrdup(s->host),
	    .port = s->port,
	    .implicit_tls = s->tls == DAEMON_SMTP_IMPLICIT,
	    .ca_file = s->ca_file ? xstrdup(s->ca_file) : NULL,
	    .user = xstrdup(s->username),
	    .password = xstrdup(s->password.value ? s->password.value : ""),
	    .inbox = xstrdup(s->inbox),
	    .spam = xstrdup(s->spam ? s->spam : ""),
	    .max_message = p->cfg->listener.max_message ? p->cfg->listener.max_message : 0,
	    .timeout_ms = s->timeout_ms};
}

static void poll_job(struct daemon_probe *p, struct slot *sl)
{
	struct daemon_probe_job j;

	seed_job(p, sl->s, DAEMON_PROBE_JOB_POLL, &j);
	sl->polling = true;
	submit(p, &j);
}

static void start_due(struct daemon_probe *p)
{
	for (size_t i = 0; i < p->nslot; i++) {
		struct slot *sl = &p->slot[i];

		if (sl->next > p->now || (sl->s != NULL && sl->polling))
			continue;
		if (sl->d != NULL) {
			sl->next =
			    p->now + sl->d->probe.interval_s + jitter(p, sl->d->probe.interval_s);
			for (size_t k = 0; k < sl->d->probe.n_to; k++)
				send_probe(p, sl->d, &sl->d->probe.to[k]);
		} else {
			sl->next = p->now + sl->s->poll_interval_s;
			poll_job(p, sl);
		}
	}
}

/* ---- results ---- */

static bool get_row(struct daemon_probe *p, const char *tok, struct daemon_probe_row *r)
{
	enum mp_err rc = daemon_store_probe_get(p->st, tok, r);

	if (rc != ERR_OK && rc != ERR_NOTFOUND)
		log_err("store", "probe-get-failed token=%s reason=%s", tok,
			daemon_store_errmsg(p->st));
	return rc == ERR_OK;
}

static bool cancelled(const struct daemon_probe_done *d)
{
	return !d->attempted || strncmp(d->error, "cancelled", 9) == 0;
}

static void handle_send(struct daemon_probe *p, struct daemon_probe_done *d)
{
	struct daemon_probe_row r;
	struct dns_findings f;
	char *j;

	if (!get_row(p, d->token, &r))
		return;
	dns_findings_init(&f);
	if (r.state != DAEMON_PROBE_PENDING || (d->cls != MAIL_SMTP_OK && cancelled(d))) {
		/* Interrupted (stopping): stays PENDING, recovered at the next start. */
		daemon_store_probe_row_free(&r);
		return;
	}
	if (d->cls == MAIL_SMTP_OK) {
		r.state = DAEMON_PROBE_SUBMITTED;
		r.submitted = (int64_t)d->accepted_at;
		free(r.queue_id);
		r.queue_id = xstrdup(d->queue_id);
		j = daemon_probe_verdict_json_set_int(r.detail_json, "submitted_ms",
						      (long long)(d->accepted_at * 1000.0));
		free(r.detail_json);
		r.detail_json = daemon_probe_verdict_json_set(j, "relay_reply", d->last_reply);
		free(j);
	} else {
		daemon_probe_verdict_send_failed(r.relay, d->error, d->last_reply, &r, &f);
		j = daemon_probe_verdict_json_set(r.detail_json, "relay_reply", d->last_reply);
		free(r.detail_json);
		r.detail_json = j;
	}
	save(p, &r);
	report(p, r.domain, &f);
	daemon_store_probe_row_free(&r);
}

static void inbound_done(struct daemon_probe *p, int64_t id, const char *kind)
{
	if (daemon_store_inbound_done(p->st, id, kind) != ERR_OK)
		log_err("store", "inbound-done-failed id=%lld reason=%s", (long long)id,
			daemon_store_errmsg(p->st));
}

static bool unbusy(struct daemon_probe *p, int64_t id, bool *spf_known)
{
	for (size_t i = 0; i < p->nbusy; i++) {
		if (p->busy[i].id == id) {
			*spf_known = p->busy[i].spf_known;
			p->busy[i] = p->busy[--p->nbusy];
			return true;
		}
	}
	return false;
}

static void handle_verify(struct daemon_probe *p, struct daemon_probe_done *d)
{
	struct daemon_probe_row r;
	struct dns_findings f;
	bool spf_known = true;
	char *j;

	(void)unbusy(p, d->inbound_id, &spf_known);
	if (d->verr != ERR_OK && cancelled(d))
		return; /* redone from the inbound row at the next start */
	if (!get_row(p, d->token, &r)) {
		inbound_done(p, d->inbound_id, "probe");
		return;
	}
	dns_findings_init(&f);
	if (d->verr == ERR_OK) {
		daemon_probe_verdict_judge(&d->v, spf_known, &r, &f);
		j = daemon_probe_verdict_json(r.detail_json, &d->v, NULL);
		free(r.detail_json);
		r.detail_json = j;
	} else {
		daemon_probe_verdict_unverified(d->error, &r, &f);
	}
	save(p, &r);
	inbound_done(p, d->inbound_id, "probe");
	report(p, r.domain, &f);
	daemon_store_probe_row_free(&r);
}

/*
 * Issue 4 (an accepted message is never lost): the messages a poll found
 * are stored first; only those stored are then deleted from the box, by a
 * second job.  A crash or a failed delete in between leaves them there: the
 * next poll finds them again and take_return() marks the copy a duplicate.
 */
static void handle_poll(struct daemon_probe *p, struct daemon_probe_done *d)
{
	const struct daemon_config_seed *s = NULL;
	struct daemon_probe_job del = {.kind = DAEMON_PROBE_JOB_DELETE};
	double t = now_real();

	for (size_t i = 0; i < p->nslot; i++)
		if (p->slot[i].s != NULL && strcmp(p->slot[i].s->name, d->seed) == 0) {
			p->slot[i].polling = false;
			s = p->slot[i].s;
		}
	if (d->err != ERR_OK && !cancelled(d))
		log_warn("probe", "seed-poll-failed seed=%s error=\"%s\"", d->seed, d->imap.error);
	if (s != NULL && s->delete_found && d->imap.n_msgs > 0) {
		seed_job(p, s, DAEMON_PROBE_JOB_DELETE, &del);
		for (size_t k = 0; k < 2; k++)
			del.poll.uids[k] = xcalloc(d->imap.n_msgs, sizeof *del.poll.uids[k]);
	}
	for (size_t i = 0; i < d->imap.n_msgs; i++) {
		const struct mail_imap_msg *m = &d->imap.msgs[i];
		char *src = xasprintf("imap:%s", d->seed);
		struct daemon_inbound_row in = {
		    .received = (int64_t)t,
		    .received_frac = t - (double)(int64_t)t,
		    .source = src,
		    .folder = (char *)(m->placement == MAIL_IMAP_SPAM ? "spam" : "inbox"),
		    .client_ip = (char *)"",
		    .helo = (char *)"",
		    .mail_from = (char *)"",
		    .rcpts = (char *)"",
		    .data = m->data,
		    .len = m->len};
		int64_t id;
		size_t k = m->placement == MAIL_IMAP_SPAM;

		if (daemon_store_inbound_add(p->st, &in, &id) != ERR_OK) {
			log_err("store", "inbound-add-failed source=%s reason=%s", src,
				daemon_store_errmsg(p->st));
		} else {
			log_info("probe", "seed-found seed=%s folder=%s uid=%lu", d->seed,
				 in.folder, m->uid);
			if (del.poll.uids[k] != NULL)
				del.poll.uids[k][del.poll.n_uids[k]++] = m->uid;
		}
		free(src);
	}
	if (del.poll.n_uids[0] + del.poll.n_uids[1] > 0 && !p->stopping)
		submit(p, &del);
	daemon_probe_job_clear(&del);
}

static void handle_delete(const struct daemon_probe_done *d)
{
	if (d->err != ERR_OK)
		log_warn("probe", "seed-delete-failed seed=%s error=\"%s\" (found again next poll)",
			 d->seed, cancelled(d) ? d->error : d->imap.error);
	else
		log_info("probe", "seed-deleted seed=%s n=%zu", d->seed, d->imap.n_deleted);
}

static void handle_done(struct daemon_probe *p, struct daemon_probe_done *d)
{
	if (d->kind == DAEMON_PROBE_JOB_SEND)
		handle_send(p, d);
	else if (d->kind == DAEMON_PROBE_JOB_VERIFY)
		handle_verify(p, d);
	else if (d->kind == DAEMON_PROBE_JOB_DELETE)
		handle_delete(d);
	else
		handle_poll(p, d);
}

/* ---- inbound ---- */

static bool is_busy(const struct daemon_probe *p, int64_t id)
{
	for (size_t i = 0; i < p->nbusy; i++)
		if (p->busy[i].id == id)
			return true;
	return false;
}

/* Whether a copy of probe tok is being verified now. */
static bool verifying(const struct daemon_probe *p, const char *tok)
{
	for (size_t i = 0; i < p->nbusy; i++)
		if (strcmp(p->busy[i].token, tok) == 0)
			return true;
	return false;
}

/* A DSN: the failed recipient's probe becomes BOUNCED.  Returns the inbound kind. */
static const char *take_bounce(struct daemon_probe *p, const struct mail_dsn *dsn, const char *verp)
{
	const struct mail_dsn_rcpt *x = daemon_probe_inbound_failed_rcpt(dsn);
	struct daemon_probe_row r;
	struct dns_findings f;
	const char *tok;

	if (x == NULL) {
		log_info("probe", "bounce-ignored reason=\"no failed recipient (delayed or "
				  "delivered notice)\"");
		return "bounce";
	}
	tok = verp != NULL ? verp : x->token[0] ? x->token : dsn->token;
	if (tok[0] == '\0' || !get_row(p, tok, &r)) {
		log_info("probe", "bounce-unmatched token=%s", tok[0] ? tok : "none");
		return "bounce";
	}
	dns_findings_init(&f);
	if (daemon_probe_inbound_may_bounce(r.state)) {
		daemon_probe_verdict_bounce(x, &r, &f);
		save(p, &r);
		report(p, r.domain, &f);
	}
	daemon_store_probe_row_free(&r);
	return "bounce";
}

/* A probe came back: RECEIVED, then verification.  Returns NULL (done later) or a kind. */
static const char *take_return(struct daemon_probe *p, const struct daemon_inbound_row *in,
			       const char *tok)
{
	struct daemon_probe_row r;
	char ip[64] = "";
	bool spf_known;
	struct daemon_probe_job vj;
	char *j;

	if (!get_row(p, tok, &r))
		return "unknown";
	/* A second copy (a seed box message found again before its delete took
	   effect) while the first is still being verified is a duplicate too. */
	if (daemon_probe_inbound_finished(r.state) ||
	    (r.state == DAEMON_PROBE_RECEIVED && verifying(p, tok))) {
		log_info("probe", "duplicate token=%s state=%s", tok,
			 daemon_probe_state_name(r.state));
		daemon_store_probe_row_free(&r);
		return "probe";
	}
	r.state = DAEMON_PROBE_RECEIVED;
	r.received = in->received;
	r.roundtrip_s = daemon_probe_inbound_roundtrip(&r, in);
	free(r.folder);
	r.folder = xstrdup(in->folder[0] ? in->folder : "listener");
	j = daemon_probe_verdict_json(r.detail_json, NULL, in);
	free(r.detail_json);
	r.detail_json = j;
	save(p, &r);
	spf_known = daemon_probe_inbound_client_ip(in, ip, sizeof ip);
	p->busy = xreallocarray(p->busy, p->nbusy + 1, sizeof *p->busy);
	p->busy[p->nbusy] = (struct busy){.id = in->id, .spf_known = spf_known};
	snprintf(p->busy[p->nbusy++].token, sizeof p->busy->token, "%s", tok);
	daemon_probe_inbound_verify_job(p->cfg, in, r.token, ip, &vj);
	submit(p, &vj);
	daemon_store_probe_row_free(&r);
	return NULL;
}

/* Neither a probe nor a bounce: the other consumer's kind (NULL: later), or "unknown". */
static const char *other(struct daemon_probe *p, const struct daemon_inbound_row *in)
{
	return p->other != NULL ? p->other(p->other_arg, in) : "unknown";
}

static const char *classify(struct daemon_probe *p, const struct daemon_inbound_row *in)
{
	char tok[MAIL_PROBE_TOKEN_LEN + 1] = "";
	bool verp;

	/* Mail to a [reports] address is a report whatever its envelope: RFC 6591
	   failure reports may come with the null reverse-path (RFC 5321 4.5.5). */
	if (p->other != NULL && daemon_config_report_rcpts_match(p->cfg, in->rcpts))
		return p->other(p->other_arg, in);
	verp = daemon_probe_inbound_verp_token(p->cfg, in->rcpts, tok);
	if (verp || in->mail_from[0] == '\0') {
		struct mail_dsn dsn;

		if (mail_dsn_parse(in->data, in->len, p->cfg->probe.verp_local, &dsn) == ERR_OK) {
			const char *kind = NULL;

			if (dsn.kind == MAIL_DSN_BOUNCE)
				kind = take_bounce(p, &dsn, verp ? tok : NULL);
			else if (dsn.kind != MAIL_DSN_NONE)
				kind = other(p, in); /* RFC 3834 auto-reply, RFC 5965 report */
			mail_dsn_free(&dsn);
			if (kind != NULL)
				return kind;
		}
	}
	if (mail_probe_token_find(in->data, in->len, tok))
		return take_return(p, in, tok);
	return other(p, in);
}

static void process_inbound(struct daemon_probe *p)
{
	struct daemon_inbound_row *rows = NULL;
	size_t n = 0;

	if (daemon_store_inbound_pending(p->st, INBOUND_BATCH + p->nbusy, &rows, &n) != ERR_OK) {
		log_err("store", "inbound-pending-failed reason=%s", daemon_store_errmsg(p->st));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const char *kind;

		if (is_busy(p, rows[i].id))
			continue;
		kind = classify(p, &rows[i]);
		if (kind != NULL) {
			log_info("probe", "inbound id=%lld source=%s kind=%s",
				 (long long)rows[i].id, rows[i].source, kind);
			inbound_done(p, rows[i].id, kind);
			p->changed = true;
		}
	}
	daemon_store_inbound_rows_free(rows, n);
}

/* ---- lost and recovery ---- */

static void scan_open(struct daemon_probe *p, bool recovery)
{
	struct daemon_probe_row *rows = NULL;
	size_t n = 0;

	if (daemon_store_probe_open(p->st, &rows, &n) != ERR_OK) {
		log_err("store", "probe-open-failed reason=%s", daemon_store_errmsg(p->st));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct daemon_probe_row *r = &rows[i];
		struct dns_findings f;

		dns_findings_init(&f);
		if (recovery && r->state == DAEMON_PROBE_PENDING) {
			r->state = DAEMON_PROBE_SEND_FAILED;
			free(r->error);
			r->error = xstrdup("interrupted: mailpulsed stopped before the relay "
					   "answered");
			save(p, r);
		} else if (r->state == DAEMON_PROBE_SUBMITTED &&
			   r->submitted + (int64_t)p->cfg->probe.timeout_s <= p->now) {
			daemon_probe_verdict_lost(p->cfg->probe.timeout_s, r, &f);
			save(p, r);
			report(p, r->domain, &f);
		}
		dns_findings_clear(&f);
	}
	daemon_store_probe_rows_free(rows, n);
}

/* ---- public ---- */

enum mp_err daemon_probe_new(const struct daemon_config *cfg, struct daemon_store *st, int64_t now,
			     daemon_probe_report_fn *rep, void *arg, struct daemon_probe **out)
{
	struct daemon_probe *p = xcalloc(1, sizeof *p);

	p->cfg = cfg;
	p->st = st;
	p->report = rep;
	p->report_arg = arg;
	p->now = now;
	p->rng = ((uint64_t)now << 20) ^ (uint64_t)getpid() ^ 0x9e3779b97f4a7c15ull;
	make_slots(p, now);
	scan_open(p, true);
	p->last_lost = now;
	*out = p;
	return ERR_OK;
}

void daemon_probe_reload(struct daemon_probe *p, const struct daemon_config *cfg, int64_t now)
{
	p->cfg = cfg;
	p->now = now;
	make_slots(p, now);
	if (p->w != NULL)
		daemon_probe_worker_set_dns(p->w, &cfg->dns.opts);
}

void daemon_probe_set_other(struct daemon_probe *p, daemon_probe_other_fn *fn, void *arg)
{
	p->other = fn;
	p->other_arg = arg;
}

void daemon_probe_set_runner(struct daemon_probe *p, daemon_probe_runner_fn *fn, void *arg)
{
	p->runner = fn;
	p->runner_arg = arg;
}

int daemon_probe_fd(const struct daemon_probe *p)
{
	return p->w != NULL ? daemon_probe_worker_fd(p->w) : -1;
}

size_t daemon_probe_busy(struct daemon_probe *p)
{
	return p->w != NULL ? daemon_probe_worker_busy(p->w) : 0;
}

static void pop_all(struct daemon_probe *p)
{
	struct daemon_probe_done d;

	while (p->w != NULL && daemon_probe_worker_pop(p->w, &d)) {
		handle_done(p, &d);
		daemon_probe_done_clear(&d);
	}
}

bool daemon_probe_run(struct daemon_probe *p, int64_t now)
{
	bool changed;

	p->now = now;
	if (p->stopping)
		return false;
	pop_all(p);
	start_due(p);
	process_inbound(p);
	if (now - p->last_lost >= LOST_SCAN_EVERY) {
		scan_open(p, false);
		p->last_lost = now;
	}
	changed = p->changed;
	p->changed = false;
	return changed;
}

void daemon_probe_stop(struct daemon_probe *p, int64_t now)
{
	if (p == NULL || p->stopping)
		return;
	p->now = now;
	p->stopping = true;
	daemon_probe_worker_cancel(p->w);
	pop_all(p);
}

void daemon_probe_free(struct daemon_probe *p)
{
	if (p == NULL)
		return;
	daemon_probe_stop(p, p->now);
	daemon_probe_worker_free(p->w);
	mail_dkim_free(p->dkim);
	free(p->slot);
	free(p->busy);
	free(p);
}
