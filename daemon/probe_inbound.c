/*
 * daemon/probe_inbound: pure helpers of the probe engine's inbound side
 * (see probe_inbound.h).  RFC 3464 2.3.3, RFC 5321 4.4 and 4.5.5.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "common/xmalloc.h"
#include "daemon/probe_inbound.h"
#include "daemon/probe_received.h"
#include "daemon/probe_verdict.h"

bool daemon_probe_inbound_verp_token(const struct daemon_config *cfg, const char *rcpts,
				     char tok[MAIL_PROBE_TOKEN_LEN + 1])
{
	char *copy = xstrdup(rcpts), *save_p = NULL;
	bool found = false;

	for (char *a = strtok_r(copy, ",", &save_p); a != NULL && !found;
	     a = strtok_r(NULL, ",", &save_p)) {
		const char *at = strrchr(a, '@');

		found = at != NULL && cfg->probe.bounce_domain != NULL &&
			strcasecmp(at + 1, cfg->probe.bounce_domain) == 0 &&
			mail_probe_token_from_addr(a, cfg->probe.verp_local, tok);
	}
	free(copy);
	return found;
}

/* RFC 3464 2.3.3: only "failed" means the message will not be delivered. */
const struct mail_dsn_rcpt *daemon_probe_inbound_failed_rcpt(const struct mail_dsn *dsn)
{
	for (size_t i = 0; i < dsn->n_rcpts; i++)
		if (dsn->rcpts[i].action != NULL && strcmp(dsn->rcpts[i].action, "failed") == 0)
			return &dsn->rcpts[i];
	return NULL;
}

bool daemon_probe_inbound_may_bounce(enum daemon_probe_state s)
{
	return s == DAEMON_PROBE_PENDING || s == DAEMON_PROBE_SUBMITTED || s == DAEMON_PROBE_LOST ||
	       s == DAEMON_PROBE_SEND_FAILED;
}

bool daemon_probe_inbound_finished(enum daemon_probe_state s)
{
	return s == DAEMON_PROBE_VERIFIED || s == DAEMON_PROBE_FAILED || s == DAEMON_PROBE_BOUNCED;
}

double daemon_probe_inbound_roundtrip(const struct daemon_probe_row *r,
				      const struct daemon_inbound_row *in)
{
	long long ms;
	double sub = (double)r->submitted;

	if (r->submitted <= 0)
		return -1;
	if (daemon_probe_verdict_json_int(r->detail_json, "submitted_ms", &ms))
		sub = (double)ms / 1000.0;
	sub = (double)in->received + in->received_frac - sub;
	return sub < 0 ? 0 : sub;
}

bool daemon_probe_inbound_client_ip(const struct daemon_inbound_row *in, char *ip, size_t ipsz)
{
	if (in->client_ip[0]) {
		snprintf(ip, ipsz, "%s", in->client_ip);
		return true;
	}
	/* A seed box message has no envelope: what the provider saw (RFC 5321 4.4). */
	if (daemon_probe_received_ip(in->data, in->len, ip, ipsz))
		return true;
	snprintf(ip, ipsz, "0.0.0.0");
	return false;
}

void daemon_probe_inbound_verify_job(const struct daemon_config *cfg,
				     const struct daemon_inbound_row *in, const char *tok,
				     const char *client_ip, struct daemon_probe_job *j)
{
	struct daemon_probe_check *k = &j->check;

	*j = (struct daemon_probe_job){.kind = DAEMON_PROBE_JOB_VERIFY};
	snprintf(j->token, sizeof j->token, "%s", tok);
	k->inbound_id = in->id;
	k->client_ip = xstrdup(client_ip);
	k->helo = in->helo[0] ? xstrdup(in->helo) : NULL;
	/* Only the listener saw an envelope ('l'istener vs "imap:NAME"). */
	k->mail_from = in->source[0] == 'l' ? xstrdup(in->mail_from) : NULL;
	k->authserv_id =
	    xstrdup(cfg->listener.authserv_id ? cfg->listener.authserv_id : "mailpulse.invalid");
	k->n_trusted = cfg->listener.n_trusted_authserv_ids;
	k->trusted = xcalloc(k->n_trusted + 1, sizeof *k->trusted);
	for (size_t i = 0; i < k->n_trusted; i++)
		k->trusted[i] = xstrdup(cfg->listener.trusted_authserv_ids[i]);
	k->msg = xmemdup0(in->data, in->len);
	k->len = in->len;
}
