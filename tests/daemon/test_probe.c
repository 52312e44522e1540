/*
 * tests/daemon/test_probe: the probe engine (daemon/probe) over a real store
 * with a fake clock and a synchronous fake worker (daemon_probe_set_runner):
 * the lifecycle PENDING -> SUBMITTED -> RECEIVED -> VERIFIED, the round
 * trip to the millisecond, bounces tied back by the VERP token, the lost
 * timeout, send failures, restart recovery of a PENDING probe, inbound
 * rows that are not ours, seed boxes (stored before they are deleted from
 * the box, a copy found again after a failed delete is a duplicate), the verdicts
 * (daemon/probe_verdict) and the listener's RCPT decisions (daemon/probe_listen).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "daemon/config.h"
#include "daemon/probe.h"
#include "daemon/probe_listen.h"
#include "daemon/probe_received.h"
#include "daemon/probe_verdict.h"
#include "daemon/store.h"
#include "daemon/store_probe.h"
#include "mail/probe.h"
#include "tests/lib/tap.h"

#define T0 1787407380
#define DOM "example.test"

static const char CONF[] = "[daemon]\nstate_dir = /nonexistent\n"
			   "[listener]\nlisten = 127.0.0.1:2525\nhostname = mx.mon.test\n"
			   "addresses = probe@mon.test\n"
			   "[probe]\nbounce_domain = bounces.example.test\ntimeout = 60s\n"
			   "[relay r1]\nhost = 192.0.2.1\nport = 2525\ntls = none\n"
			   "allow_insecure = yes\n"
			   "[domain example.test]\nprobe_interval = 60s\nprobe_relay = r1\n"
			   "probe_to = probe@mon.test\n";

/* The fake worker's world. */
struct fake {
	double clock;		      /* "now" with fraction */
	bool send_fail;		      /* the relay refuses */
	enum mail_verify_dmarc dmarc; /* what verification says */
	bool aligned;
	char token[32]; /* of the last SEND */
	char *msg;	/* its message */
	size_t len;
	int sends, verifies;
	/* reports */
	char codes[512];
	int reports;
	/* seed boxes: what a POLL returns, what DELETE jobs asked */
	struct daemon_store *st;
	char *seed_msg; /* NULL: the box is empty */
	int polls, polls_deleting, deletes;
	bool delete_fail;
	char del_uids[128];	    /* "inbox:7 spam:" of the last DELETE */
	long long stored_at_delete; /* inbound rows pending when it ran */
};

static size_t pending_inbound(struct daemon_store *st);

static void fake_poll(struct fake *fk, const struct daemon_probe_job *j,
		      struct daemon_probe_done *d)
{
	d->seed = xstrdup(j->poll.seed);
	fk->polls++;
	fk->polls_deleting += j->poll.delete_found;
	if (fk->seed_msg == NULL)
		return;
	d->imap.msgs = xcalloc(1, sizeof *d->imap.msgs);
	d->imap.n_msgs = 1;
	d->imap.msgs[0] = (struct mail_imap_msg){.folder = xstrdup("INBOX"),
						 .placement = MAIL_IMAP_INBOX,
						 .uid = 7,
						 .data = xstrdup(fk->seed_msg),
						 .len = strlen(fk->seed_msg)};
	(void)mail_probe_token_find(fk->seed_msg, strlen(fk->seed_msg), d->imap.msgs[0].token);
}

static void fake_delete(struct fake *fk, const struct daemon_probe_job *j,
			struct daemon_probe_done *d)
{
	size_t n = 0;

	d->seed = xstrdup(j->poll.seed);
	fk->deletes++;
	fk->stored_at_delete = (long long)pending_inbound(fk->st);
	for (size_t k = 0; k < 2; k++) {
		n += (size_t)snprintf(fk->del_uids + n, sizeof fk->del_uids - n,
				      "%s%s:", k ? " " : "", k ? "spam" : "inbox");
		for (size_t i = 0; i < j->poll.n_uids[k] && n < sizeof fk->del_uids; i++)
			n += (size_t)snprintf(fk->del_uids + n, sizeof fk->del_uids - n, "%s%lu",
					      i ? "," : "", j->poll.uids[k][i]);
	}
	if (fk->delete_fail) {
		d->err = ERR_NET;
		snprintf(d->imap.error, sizeof d->imap.error, "the server went away");
	} else
		d->imap.n_deleted = j->poll.n_uids[0] + j->poll.n_uids[1];
}

static void fake_verdict(struct fake *fk, struct mail_verify_result *v)
{
	memset(v, 0, sizeof *v);
	snprintf(v->spf_helo, sizeof v->spf_helo, "pass");
	snprintf(v->spf_mailfrom, sizeof v->spf_mailfrom, "pass");
	v->spf_domain = xstrdup("bounces.example.test");
	v->dkim.n_sigs = 1;
	v->dkim.sigs = xcalloc(1, sizeof *v->dkim.sigs);
	v->dkim.sigs[0] =
	    (struct mail_dkim_sig){.domain = xstrdup(fk->aligned ? DOM : "other.test"),
				   .selector = xstrdup("s1"),
				   .identity = xstrdup("@x"),
				   .result = MAIL_DKIM_PASS,
				   .key_bits = 2048,
				   .error = xstrdup(""),
				   .header_b = xstrdup("abcdefgh")};
	v->from_domain = xstrdup(DOM);
	v->org_domain = xstrdup(DOM);
	v->dmarc = fk->dmarc;
	v->spf_aligned = fk->aligned;
	v->dkim_aligned = fk->aligned;
	v->aligned_dkim_domain = fk->aligned ? xstrdup(DOM) : NULL;
	snprintf(v->policy, sizeof v->policy, "reject");
	v->dmarc_reason = xstrdup(fk->aligned ? "aligned" : "no aligned pass");
	v->authres = xstrdup("Authentication-Results: mx.mon.test; dmarc=pass");
}

static void runner(void *arg, const struct daemon_probe_job *j, struct daemon_probe_done *d)
{
	struct fake *fk = arg;

	d->kind = j->kind;
	memcpy(d->token, j->token, sizeof d->token);
	d->attempted = true;
	if (j->kind == DAEMON_PROBE_JOB_SEND) {
		fk->sends++;
		snprintf(fk->token, sizeof fk->token, "%s", j->token);
		free(fk->msg);
		fk->msg = xmemdup0(j->send.msg, j->send.len);
		fk->len = j->send.len;
		if (fk->send_fail) {
			d->cls = MAIL_SMTP_PERMANENT;
			d->err = ERR_NET;
			snprintf(d->error, sizeof d->error, "the relay refused MAIL FROM");
			snprintf(d->last_reply, sizeof d->last_reply, "554 5.7.1 not allowed");
		} else {
			d->cls = MAIL_SMTP_OK;
			d->accepted_at = fk->clock + 0.5;
			snprintf(d->queue_id, sizeof d->queue_id, "Q%d", fk->sends);
		}
	} else if (j->kind == DAEMON_PROBE_JOB_VERIFY) {
		fk->verifies++;
		d->inbound_id = j->check.inbound_id;
		d->verr = ERR_OK;
		fake_verdict(fk, &d->v);
	} else if (j->kind == DAEMON_PROBE_JOB_DELETE) {
		fake_delete(fk, j, d);
	} else {
		fake_poll(fk, j, d);
	}
}

static void on_report(void *arg, const char *domain, const struct dns_findings *f, int64_t now)
{
	struct fake *fk = arg;
	size_t n = strlen(fk->codes);

	(void)now;
	fk->reports++;
	for (size_t i = 0; i < f->n; i++) {
		snprintf(fk->codes + n, sizeof fk->codes - n, "%s%s:%s:%s", n ? " " : "", domain,
			 f->v[i].code, dns_sev_name(f->v[i].sev));
		n = strlen(fk->codes);
	}
}

static enum daemon_probe_state state_of(struct daemon_store *st, const char *tok,
					struct daemon_probe_row *out)
{
	struct daemon_probe_row r;
	enum daemon_probe_state s;

	if (daemon_store_probe_get(st, tok, &r) != ERR_OK)
		return (enum daemon_probe_state) - 1;
	s = r.state;
	if (out != NULL)
		*out = r;
	else
		daemon_store_probe_row_free(&r);
	return s;
}

static void add_inbound(struct daemon_store *st, double at, const char *mail_from,
			const char *rcpts, const char *data, size_t len)
{
	struct daemon_inbound_row in = {.received = (int64_t)at,
					.received_frac = at - (double)(int64_t)at,
					.source = (char *)"listener",
					.folder = (char *)"",
					.client_ip = (char *)"192.0.2.10",
					.helo = (char *)"relay.example.test",
					.mail_from = (char *)mail_from,
					.rcpts = (char *)rcpts,
					.data = (char *)data,
					.len = len};
	int64_t id;

	if (daemon_store_inbound_add(st, &in, &id) != ERR_OK)
		tap_diag("inbound_add failed: %s", daemon_store_errmsg(st));
}

static size_t pending_inbound(struct daemon_store *st)
{
	struct daemon_inbound_row *r = NULL;
	size_t n = 0;

	if (daemon_store_inbound_pending(st, 100, &r, &n) != ERR_OK)
		return 999;
	daemon_store_inbound_rows_free(r, n);
	return n;
}

static char *dsn_for(const char *tok, const char *msg)
{
	return xasprintf("From: Mail Delivery System <MAILER-DAEMON@relay.example.test>\r\n"
			 "To: bounce+%s@bounces.example.test\r\n"
			 "Subject: Mail delivery failed\r\n"
			 "MIME-Version: 1.0\r\n"
			 "Content-Type: multipart/report; report-type=delivery-status; "
			 "boundary=\"b1\"\r\n\r\n"
			 "--b1\r\nContent-Type: text/plain\r\n\r\nThe message could not be "
			 "delivered.\r\n"
			 "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
			 "Reporting-MTA: dns; relay.example.test\r\n\r\n"
			 "Action: failed\r\nFinal-Recipient: rfc822;probe@mon.test\r\n"
			 "Status: 5.1.1\r\nRemote-MTA: dns; mx.mon.test\r\n"
			 "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n"
			 "--b1\r\nContent-Type: text/rfc822-headers\r\n\r\n%.*s\r\n--b1--\r\n",
			 tok, (int)(strstr(msg, "\r\n\r\n") - msg), msg);
}

static void lifecycle(struct daemon_config *cfg, struct daemon_store *st, struct fake *fk)
{
	struct daemon_probe *p;
	struct daemon_probe_row r;
	char tok[32], *dsn;
	int64_t t = T0;

	tap_ok(daemon_probe_new(cfg, st, t, on_report, fk, &p) == ERR_OK, "engine starts");
	daemon_probe_set_runner(p, runner, fk);
	fk->clock = (double)t + 10;
	(void)daemon_probe_run(p, t + 10); /* jitter is at most interval/10 = 6 s */
	tap_is_int(fk->sends, 1, "one probe sent in the first interval");
	snprintf(tok, sizeof tok, "%s", fk->token);
	tap_ok(mail_probe_token_valid(tok, strlen(tok)), "with a well-formed token");
	tap_ok(strstr(fk->msg, tok) != NULL, "the message carries the token");
	tap_is_int(state_of(st, tok, &r), DAEMON_PROBE_SUBMITTED, "the relay took it: SUBMITTED");
	tap_is_str(r.queue_id, "Q1", "queue id kept");
	daemon_store_probe_row_free(&r);
	(void)daemon_probe_run(p, t + 20);
	tap_is_int(fk->sends, 1, "nothing more before the interval ends");

	/* It comes back 1.25 s after the relay took it at t+10.5. */
	add_inbound(st, (double)t + 11.75, "bounce+x@bounces.example.test", "probe@mon.test",
		    fk->msg, fk->len);
	(void)daemon_probe_run(p, t + 21);
	tap_is_int(fk->verifies, 1, "the returned probe is verified");
	tap_is_int(state_of(st, tok, &r), DAEMON_PROBE_VERIFIED, "VERIFIED");
	tap_ok(fabs(r.roundtrip_s - 1.25) < 0.01, "round trip %.3f s to the millisecond",
	       r.roundtrip_s);
	tap_is_str(r.folder, "listener", "folder: the listener");
	tap_is_str(r.dmarc, "pass", "dmarc pass stored");
	tap_ok(r.aligned, "aligned stored");
	tap_ok(strstr(r.detail_json, "\"authres\"") != NULL &&
		   strstr(r.detail_json, "\"headers\"") != NULL,
	       "detail JSON holds the Authentication-Results and the headers");
	daemon_store_probe_row_free(&r);
	tap_is_int((long long)pending_inbound(st), 0, "the inbound row is processed");
	tap_ok(strstr(fk->codes, DOM ":PROBE_OK:ok") != NULL, "PROBE_OK reported (%s)", fk->codes);

	/* A duplicate of the same message changes nothing. */
	add_inbound(st, (double)t + 30, "x@y.test", "probe@mon.test", fk->msg, fk->len);
	(void)daemon_probe_run(p, t + 30);
	tap_is_int(fk->verifies, 1, "a duplicate is not verified again");

	/* Second probe: bounced through a DSN to its VERP address. */
	fk->codes[0] = '\0';
	fk->clock = (double)t + 80;
	(void)daemon_probe_run(p, t + 80);
	tap_is_int(fk->sends, 2, "second probe after the interval");
	snprintf(tok, sizeof tok, "%s", fk->token);
	dsn = dsn_for(tok, fk->msg);
	{
		char *rc = xasprintf("bounce+%s@bounces.example.test", tok);

		add_inbound(st, (double)t + 82, "", rc, dsn, strlen(dsn));
		free(rc);
	}
	(void)daemon_probe_run(p, t + 82);
	tap_is_int(state_of(st, tok, &r), DAEMON_PROBE_BOUNCED, "a DSN makes it BOUNCED");
	tap_is_str(r.bounce_status, "5.1.1", "status 5.1.1");
	tap_is_str(r.bounce_reason, "userunknown", "reason userunknown");
	tap_is_int(r.bounce_code, 550, "reply code 550");
	daemon_store_probe_row_free(&r);
	tap_ok(strstr(fk->codes, "PROBE_BOUNCED:critical") != NULL, "PROBE_BOUNCED reported");
	free(dsn);

	/* Third probe: nothing comes back. */
	fk->codes[0] = '\0';
	fk->clock = (double)t + 150;
	(void)daemon_probe_run(p, t + 150);
	tap_is_int(fk->sends, 3, "third probe");
	snprintf(tok, sizeof tok, "%s", fk->token);
	(void)daemon_probe_run(p, t + 200);
	tap_is_int(state_of(st, tok, NULL), DAEMON_PROBE_SUBMITTED,
		   "still waiting before the timeout");
	(void)daemon_probe_run(p, t + 150 + 61 + 5);
	tap_is_int(state_of(st, tok, NULL), DAEMON_PROBE_LOST, "LOST after [probe] timeout");
	tap_ok(strstr(fk->codes, "PROBE_LOST:critical") != NULL, "PROBE_LOST reported");

	/* Fourth: the relay refuses. */
	fk->codes[0] = '\0';
	fk->send_fail = true;
	(void)daemon_probe_run(p, t + 300);
	snprintf(tok, sizeof tok, "%s", fk->token);
	tap_is_int(state_of(st, tok, &r), DAEMON_PROBE_SEND_FAILED, "a refusal is SEND_FAILED");
	tap_ok(strstr(r.error, "refused MAIL FROM") != NULL, "with the relay's words: %s", r.error);
	tap_ok(strstr(r.detail_json, "554 5.7.1") != NULL, "and its last reply");
	daemon_store_probe_row_free(&r);
	tap_ok(strstr(fk->codes, "PROBE_SEND_FAILED:critical") != NULL,
	       "PROBE_SEND_FAILED reported");
	fk->send_fail = false;

	/* Not ours: an unknown token and no token at all. */
	{
		static const char plain[] = "From: a@b.test\r\nSubject: hi\r\n\r\nhello\r\n";
		static const char stray[] = "From: a@b.test\r\nX-Mailpulse-Probe: "
					    "mpaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\nx\r\n";
		int v = fk->verifies;

		add_inbound(st, (double)t + 301, "a@b.test", "probe@mon.test", plain,
			    sizeof plain - 1);
		add_inbound(st, (double)t + 301, "a@b.test", "probe@mon.test", stray,
			    sizeof stray - 1);
		(void)daemon_probe_run(p, t + 302);
		tap_is_int((long long)pending_inbound(st), 0,
			   "messages that are not ours are marked");
		tap_is_int(fk->verifies, v, "and not verified");
	}
	daemon_probe_free(p);
}

/* Issue 4 durability: a seed-box message is stored before it is deleted. */
static void seeds(struct daemon_store *st, struct fake *fk)
{
	static const char conf[] = "[seed s1]\nhost = 192.0.2.5\nusername = u\n"
				   "password = pw\naddress = s1@mon.test\n"
				   "poll_interval = 30s\n";
	char *text = xasprintf("%s%s", CONF, conf), err[512], tok[32];
	struct daemon_config *cfg = NULL;
	struct daemon_probe *p;
	struct daemon_probe_row r;
	int64_t t = T0 + 1000;
	int v;

	fk->st = st;
	if (!tap_ok(daemon_config_load_string(text, strlen(text), "seed.conf", NULL, &cfg, err,
					      sizeof err) == ERR_OK,
		    "seeds: the config with a [seed] loads")) {
		tap_diag("%s", err);
		free(text);
		return;
	}
	if (!tap_ok(daemon_probe_new(cfg, st, t, on_report, fk, &p) == ERR_OK, "seeds: engine")) {
		daemon_config_free(cfg);
		free(text);
		return;
	}
	daemon_probe_set_runner(p, runner, fk);
	fk->clock = (double)t + 10;
	(void)daemon_probe_run(p, t + 10);
	snprintf(tok, sizeof tok, "%s", fk->token);
	tap_ok(fk->polls >= 1 && fk->deletes == 0, "an empty box is polled, nothing to delete");
	fk->seed_msg = xstrdup(fk->msg);
	v = fk->verifies;
	(void)daemon_probe_run(p, t + 45);
	tap_ok(fk->polls >= 2, "the box is polled again after poll_interval");
	tap_is_int(fk->polls_deleting, 0, "never with delete inside the poll");
	tap_is_int(fk->deletes, 1, "a DELETE job follows the poll that found the probe");
	tap_is_str(fk->del_uids, "inbox:7 spam:", "  for the stored message's folder and UID");
	tap_is_int(fk->stored_at_delete, 1, "  and only once the message was stored");
	tap_is_int(state_of(st, tok, &r), DAEMON_PROBE_VERIFIED, "the seed probe is VERIFIED");
	tap_is_str(r.folder, "inbox", "  folder inbox");
	daemon_store_probe_row_free(&r);
	tap_is_int(fk->verifies, v + 1, "  verified once");

	/* The delete fails: the next poll finds the message again. */
	fk->delete_fail = true;
	(void)daemon_probe_run(p, t + 80);
	tap_is_int(fk->deletes, 2, "after a failed delete the copy found again is deleted again");
	fk->delete_fail = false;
	(void)daemon_probe_run(p, t + 115);
	tap_is_int(fk->deletes, 3, "  and again until it is gone");
	tap_is_int(fk->verifies, v + 1, "the copies are duplicates: not verified again");
	tap_is_int((long long)pending_inbound(st), 0, "  their inbound rows are marked");
	tap_is_int(state_of(st, tok, NULL), DAEMON_PROBE_VERIFIED, "  the probe stays VERIFIED");
	free(fk->seed_msg);
	fk->seed_msg = NULL;
	daemon_probe_free(p);
	daemon_config_free(cfg);
	free(text);
}

static void recovery(struct daemon_config *cfg, struct daemon_store *st, struct fake *fk)
{
	struct daemon_probe_row r = {0};
	struct daemon_probe *p;
	char tok[MAIL_PROBE_TOKEN_LEN + 1];

	if (mail_probe_token_new(tok) != ERR_OK)
		return;
	snprintf(r.token, sizeof r.token, "%s", tok);
	r.domain = (char *)DOM;
	r.state = DAEMON_PROBE_PENDING;
	r.created = T0 + 400;
	r.roundtrip_s = -1;
	r.relay = (char *)"r1";
	r.rcpt = (char *)"probe@mon.test";
	r.queue_id = r.error = r.folder = r.spf = r.dkim = r.dmarc = (char *)"";
	r.bounce_status = r.bounce_reason = r.bounce_diag = (char *)"";
	r.detail_json = (char *)"{}";
	tap_ok(daemon_store_probe_insert(st, &r) == ERR_OK, "a PENDING probe left by a crash");
	fk->reports = 0;
	fk->sends = 0;
	tap_ok(daemon_probe_new(cfg, st, T0 + 401, on_report, fk, &p) == ERR_OK, "restart");
	daemon_probe_set_runner(p, runner, fk);
	tap_is_int(state_of(st, tok, NULL), DAEMON_PROBE_SEND_FAILED,
		   "recovered as SEND_FAILED (interrupted)");
	tap_is_int(fk->reports, 0, "without an alert");
	(void)daemon_probe_run(p, T0 + 402);
	tap_is_int(fk->sends, 0, "no burst: the next probe waits for the interval");
	daemon_probe_free(p);
}

static void verdicts(void)
{
	struct fake fk = {.dmarc = MAIL_VERIFY_DMARC_FAIL, .aligned = false};
	struct mail_verify_result v;
	struct daemon_probe_row r = {0};
	struct dns_findings f;

	dns_findings_init(&f);
	fake_verdict(&fk, &v);
	r.folder = xstrdup("listener");
	daemon_probe_verdict_judge(&v, true, &r, &f);
	tap_is_int(r.state, DAEMON_PROBE_FAILED, "misaligned: FAILED");
	tap_ok(dns_findings_has(&f, "PROBE_MISALIGNED") && dns_findings_has(&f, "PROBE_DMARC_FAIL"),
	       "PROBE_MISALIGNED and PROBE_DMARC_FAIL");
	tap_ok(!r.aligned, "not aligned");
	tap_is_int(dns_findings_worst(&f), SEV_CRITICAL, "critical");
	dns_findings_clear(&f);
	mail_verify_result_free(&v);

	fk = (struct fake){.dmarc = MAIL_VERIFY_DMARC_PASS, .aligned = true};
	fake_verdict(&fk, &v);
	free(r.folder);
	r.folder = xstrdup("spam");
	daemon_probe_verdict_judge(&v, false, &r, &f);
	tap_ok(dns_findings_has(&f, "PROBE_SPAM") && !dns_findings_has(&f, "PROBE_OK"),
	       "spam folder: PROBE_SPAM, not OK");
	tap_is_int(dns_findings_worst(&f), SEV_WARN, "a warning");
	dns_findings_clear(&f);
	mail_verify_result_free(&v);

	fk.dmarc = MAIL_VERIFY_DMARC_TEMPERROR;
	fake_verdict(&fk, &v);
	daemon_probe_verdict_judge(&v, true, &r, &f);
	tap_ok(dns_findings_has(&f, "PROBE_UNVERIFIED"), "DNS trouble: PROBE_UNVERIFIED");
	tap_is_int(dns_findings_worst(&f), SEV_UNKNOWN, "unknown, never critical");
	dns_findings_clear(&f);
	mail_verify_result_free(&v);
	daemon_store_probe_row_free(&r);
}

static void received_ip(void)
{
	static const char m1[] =
	    "Received: from relay (relay.test [192.0.2.7])\r\n\tby mx; "
	    "Mon\r\nReceived: from x ([198.51.100.1])\r\n\r\nbody [203.0.113.1]";
	static const char m2[] = "Received: from relay ([IPv6:2001:db8::5]) by mx\r\n\r\n";
	static const char m3[] = "Subject: x\r\n\r\nReceived: from y ([192.0.2.9])\r\n";
	char ip[64];

	tap_ok(daemon_probe_received_ip(m1, sizeof m1 - 1, ip, sizeof ip) &&
		   strcmp(ip, "192.0.2.7") == 0,
	       "topmost Received gives the client IP");
	tap_ok(daemon_probe_received_ip(m2, sizeof m2 - 1, ip, sizeof ip) &&
		   strcmp(ip, "2001:db8::5") == 0,
	       "IPv6 literal");
	tap_ok(!daemon_probe_received_ip(m3, sizeof m3 - 1, ip, sizeof ip),
	       "a Received line in the body is not a header");
}

static void listener(struct daemon_config *cfg, const char *db)
{
	struct daemon_probe_listen *l = NULL;
	char why[256] = "", tok[MAIL_PROBE_TOKEN_LEN + 1], *a;

	cfg->listener.listen_port = 0; /* any free port (the config takes 1-65535) */
	if (daemon_probe_listen_apply(&l, cfg, db, why, sizeof why) != ERR_OK) {
		tap_skip("listener did not start: %s", why);
		return;
	}
	tap_ok(daemon_probe_listen_port(l) > 0, "listener bound port %u",
	       daemon_probe_listen_port(l));
	tap_ok(daemon_probe_listen_accepts(l, "probe@mon.test"), "a listener address");
	tap_ok(daemon_probe_listen_accepts(l, "PROBE@MON.TEST"), "in any case");
	tap_ok(!daemon_probe_listen_accepts(l, "nobody@mon.test"), "not another address");
	if (mail_probe_token_new(tok) == ERR_OK) {
		a = xasprintf("bounce+%s@bounces.example.test", tok);
		tap_ok(daemon_probe_listen_accepts(l, a), "a VERP address with a valid token");
		free(a);
		a = xasprintf("bounce+%s@elsewhere.test", tok);
		tap_ok(!daemon_probe_listen_accepts(l, a), "not at another domain");
		free(a);
	}
	tap_ok(!daemon_probe_listen_accepts(l, "bounce@bounces.example.test"),
	       "not the bare bounce address (no token)");
	tap_ok(!daemon_probe_listen_accepts(l, "bounce+zzz@bounces.example.test"),
	       "not a malformed token");
	/* What RCPT answers: 5.1.1 in our domains, 5.7.1 elsewhere. */
	tap_is_int(daemon_probe_listen_check(l, "probe@mon.test"), MAIL_SMTPD_RCPT_ACCEPT,
		   "check: a listener address is accepted");
	tap_is_int(daemon_probe_listen_check(l, "nobody@mon.test"), MAIL_SMTPD_RCPT_UNKNOWN_USER,
		   "check: another user of a listener domain is an unknown user");
	tap_is_int(daemon_probe_listen_check(l, "nobody@MON.test"), MAIL_SMTPD_RCPT_UNKNOWN_USER,
		   "  the domain in any case");
	tap_is_int(daemon_probe_listen_check(l, "bounce+zzz@bounces.example.test"),
		   MAIL_SMTPD_RCPT_UNKNOWN_USER,
		   "check: a bad token at the bounce domain: unknown user");
	tap_is_int(daemon_probe_listen_check(l, "postmaster"), MAIL_SMTPD_RCPT_ACCEPT,
		   "check: <Postmaster> is accepted (RFC 5321 4.5.1)");
	tap_is_int(daemon_probe_listen_check(l, "PostMaster@mon.test"), MAIL_SMTPD_RCPT_ACCEPT,
		   "  so is postmaster at a served domain, in any case");
	tap_is_int(daemon_probe_listen_check(l, "postmaster@elsewhere.test"),
		   MAIL_SMTPD_RCPT_RELAY_DENIED, "  but not at another domain");
	tap_is_int(daemon_probe_listen_check(l, "postmasterx@mon.test"),
		   MAIL_SMTPD_RCPT_UNKNOWN_USER, "  and only that local part");
	tap_is_int(daemon_probe_listen_check(l, "nobody@elsewhere.test"),
		   MAIL_SMTPD_RCPT_RELAY_DENIED, "check: another domain is relaying denied");
	tap_is_int(daemon_probe_listen_check(l, "nobody@sub.mon.test"),
		   MAIL_SMTPD_RCPT_RELAY_DENIED, "  a subdomain is another domain");
	daemon_probe_listen_stop(l);
}

int main(void)
{
	struct daemon_config *cfg = NULL;
	struct daemon_store *st = NULL;
	struct fake fk = {.dmarc = MAIL_VERIFY_DMARC_PASS, .aligned = true};
	char err[512], *db = xasprintf("%s/probe.db", tap_tmpdir());

	if (!tap_ok(daemon_config_load_string(CONF, sizeof CONF - 1, "test.conf", NULL, &cfg, err,
					      sizeof err) == ERR_OK,
		    "config loads") ||
	    !tap_ok(daemon_store_open(db, &st, err, sizeof err) == ERR_OK, "store opens")) {
		tap_diag("%s", err);
		free(db);
		return tap_done();
	}
	lifecycle(cfg, st, &fk);
	recovery(cfg, st, &fk);
	seeds(st, &fk);
	verdicts();
	received_ip();
	listener(cfg, db);
	daemon_store_close(st);
	daemon_config_free(cfg);
	free(fk.msg);
	free(db);
	return tap_done();
}
