/*
 * daemon/probe_verdict: finished probes into states, words and findings
 * (see the header).  RFC 7489 3.1 (alignment), 6.6.2 (the DMARC result),
 * RFC 7208 2.6 (SPF results), RFC 6376 6.1 (DKIM), RFC 3463 (status codes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/json.h"
#include "common/xmalloc.h"
#include "daemon/probe_verdict.h"

#define HEADERS_MAX (16 * 1024)

static void set(char **field, const char *v)
{
	free(*field);
	*field = xstrdup(v != NULL ? v : "");
}

static void add(struct dns_findings *f, const char *code, enum dns_sev sev, const char *fix,
		const char *evidence, const char *msg)
{
	dns_findings_add(f, DAEMON_PROBE_CHECK, code, sev, fix, evidence,
			 evidence != NULL ? (size_t)-1 : 0, "%s", msg);
}

/* "pass" when an aligned signature passed, else the best result of any (RFC 8601 words). */
static const char *dkim_word(const struct mail_verify_result *v)
{
	static const enum mail_dkim_res order[] = {MAIL_DKIM_PASS,	MAIL_DKIM_NEUTRAL,
						   MAIL_DKIM_POLICY,	MAIL_DKIM_TEMPERROR,
						   MAIL_DKIM_PERMERROR, MAIL_DKIM_FAIL};

	if (v->dkim_aligned)
		return "pass";
	for (size_t o = 0; o < sizeof order / sizeof order[0]; o++)
		for (size_t i = 0; i < v->dkim.n_sigs; i++)
			if (v->dkim.sigs[i].result == order[o])
				return mail_dkim_res_name(order[o]);
	return "none";
}

static bool any_dkim_pass(const struct mail_verify_result *v)
{
	for (size_t i = 0; i < v->dkim.n_sigs; i++)
		if (v->dkim.sigs[i].result == MAIL_DKIM_PASS)
			return true;
	return false;
}

/* What each signature said, for evidence: "d=x s=y fail (body hash mismatch); ...". */
static char *dkim_evidence(const struct mail_verify_result *v)
{
	char *s = xstrdup("");

	for (size_t i = 0; i < v->dkim.n_sigs; i++) {
		const struct mail_dkim_sig *g = &v->dkim.sigs[i];
		char *n = xasprintf("%s%sd=%s s=%s %s%s%s%s", s, i ? "; " : "", g->domain,
				    g->selector, mail_dkim_res_name(g->result),
				    g->error[0] ? " (" : "", g->error, g->error[0] ? ")" : "");

		free(s);
		s = n;
	}
	return s;
}

static void judge_auth(const struct mail_verify_result *v, bool spf_known, struct dns_findings *f)
{
	const char *ar = v->authres;
	char *m;

	if (spf_known && strcmp(v->spf_mailfrom, "pass") != 0) {
		m = xasprintf("SPF gave %s for the envelope sender's domain %s: receivers do not "
			      "see the relay as allowed to send for it",
			      v->spf_mailfrom, v->spf_domain ? v->spf_domain : "(none)");
		add(f, "PROBE_SPF_FAIL", SEV_CRITICAL,
		    "Add the relay's sending IP addresses (or the ESP's include:) to the SPF "
		    "record "
		    "of the bounce domain, or send through a relay that your SPF covers.",
		    ar, m);
		free(m);
	}
	if (!any_dkim_pass(v)) {
		char *ev = dkim_evidence(v);

		m = v->dkim.n_sigs == 0 ? xstrdup("the probe arrived without any DKIM signature")
					: xasprintf("no DKIM signature verified: %s", ev);
		add(f, "PROBE_DKIM_FAIL", SEV_CRITICAL,
		    "Sign outgoing mail with a key whose public half is published at "
		    "SELECTOR._domainkey.DOMAIN (probe_sign, or your ESP's DKIM setup), and check "
		    "that nothing on the path rewrites the message after signing.",
		    ar, m);
		free(m);
		free(ev);
	}
	if (v->dmarc == MAIL_VERIFY_DMARC_NONE) {
		m = xasprintf("%s publishes no DMARC policy, so receivers cannot check alignment",
			      v->from_domain[0] ? v->from_domain : "the From domain");
		add(f, "PROBE_DMARC_NONE", SEV_WARN,
		    "Publish a DMARC record at _dmarc.DOMAIN, e.g. \"v=DMARC1; p=none; "
		    "rua=mailto:dmarc@DOMAIN\", then tighten the policy.",
		    ar, m);
		free(m);
		return;
	}
	if (v->dmarc == MAIL_VERIFY_DMARC_PASS)
		return;
	if (!v->spf_aligned && !v->dkim_aligned &&
	    (any_dkim_pass(v) || strcmp(v->spf_mailfrom, "pass") == 0)) {
		m = xasprintf("SPF or DKIM passed, but for another domain than the From domain "
			      "%s: %s",
			      v->from_domain, v->dmarc_reason ? v->dmarc_reason : "");
		add(f, "PROBE_MISALIGNED", SEV_CRITICAL,
		    "Make the DKIM d= domain (or the envelope sender's domain) the From domain or "
		    "one under the same organizational domain: set up DKIM signing for the From "
		    "domain at your ESP, or use a bounce domain below it.",
		    ar, m);
		free(m);
	}
	m = xasprintf("DMARC %s for %s (policy %s): %s", mail_verify_dmarc_name(v->dmarc),
		      v->from_domain[0] ? v->from_domain : "the From domain",
		      v->policy[0] ? v->policy : "none", v->dmarc_reason ? v->dmarc_reason : "");
	add(f, "PROBE_DMARC_FAIL", SEV_CRITICAL,
	    "DMARC needs SPF or DKIM to pass for a domain aligned with the From domain; fix "
	    "the findings above (signature, SPF record or alignment).",
	    ar, m);
	free(m);
}

void daemon_probe_verdict_judge(const struct mail_verify_result *v, bool spf_known,
				struct daemon_probe_row *r, struct dns_findings *f)
{
	struct dns_findings mine;
	enum dns_sev worst;

	dns_findings_init(&mine);
	if (v->dmarc == MAIL_VERIFY_DMARC_TEMPERROR) {
		daemon_probe_verdict_unverified("DMARC could not be evaluated: a DNS lookup failed "
						"temporarily",
						r, f);
		set(&r->spf, v->spf_mailfrom);
		set(&r->dkim, dkim_word(v));
		set(&r->dmarc, mail_verify_dmarc_name(v->dmarc));
		return;
	}
	judge_auth(v, spf_known, &mine);
	if (r->folder != NULL && strcmp(r->folder, "spam") == 0)
		add(&mine, "PROBE_SPAM", SEV_WARN,
		    "Authentication is not the only signal: check the content, the sending IP's "
		    "reputation and complaint rates at the provider (Postmaster Tools, SNDS).",
		    v->authres, "the probe was delivered to the spam folder of the seed box");
	worst = dns_findings_worst(&mine);
	set(&r->spf, spf_known ? v->spf_mailfrom : "none");
	set(&r->dkim, dkim_word(v));
	set(&r->dmarc, mail_verify_dmarc_name(v->dmarc));
	r->aligned = v->spf_aligned || v->dkim_aligned;
	if (worst == SEV_OK || worst == SEV_INFO) {
		r->state = DAEMON_PROBE_VERIFIED;
		set(&r->error, "");
		add(&mine, "PROBE_OK", SEV_OK, NULL, v->authres,
		    "the probe came back with SPF, DKIM and DMARC passing and aligned");
	} else {
		r->state = DAEMON_PROBE_FAILED;
		for (size_t i = 0; i < mine.n; i++)
			if (mine.v[i].sev == worst) {
				set(&r->error, mine.v[i].message);
				break;
			}
	}
	dns_findings_move(f, &mine);
}

void daemon_probe_verdict_unverified(const char *why, struct daemon_probe_row *r,
				     struct dns_findings *f)
{
	r->state = DAEMON_PROBE_FAILED;
	set(&r->error, why);
	add(f, "PROBE_UNVERIFIED", SEV_UNKNOWN, NULL, NULL, why);
}

void daemon_probe_verdict_bounce(const struct mail_dsn_rcpt *x, struct daemon_probe_row *r,
				 struct dns_findings *f)
{
	char *m, *ev;

	r->state = DAEMON_PROBE_BOUNCED;
	set(&r->bounce_status, x->status);
	set(&r->bounce_reason, x->reason);
	set(&r->bounce_diag, x->diagnostic);
	r->bounce_code = x->reply_code;
	m = xasprintf("the probe to %s bounced: status %s, reason %s%s%s",
		      x->address ? x->address : r->rcpt, x->status[0] ? x->status : "unknown",
		      x->reason ? x->reason : "undefined",
		      x->remote_host && x->remote_host[0] ? ", reported by " : "",
		      x->remote_host ? x->remote_host : "");
	ev = xasprintf("Status: %s; Action: %s; Diagnostic-Code: %s", x->status,
		       x->action ? x->action : "", x->diagnostic ? x->diagnostic : "");
	set(&r->error, m);
	add(f, "PROBE_BOUNCED", SEV_CRITICAL,
	    "Read the diagnostic: a 5.1.x status means the recipient address is wrong, 5.7.x a "
	    "policy or authentication refusal (fix SPF/DKIM/DMARC or the IP's reputation), "
	    "4.x.x a temporary problem the relay gave up on.",
	    ev, m);
	free(m);
	free(ev);
}

void daemon_probe_verdict_lost(unsigned timeout_s, struct daemon_probe_row *r,
			       struct dns_findings *f)
{
	char *m =
	    xasprintf("the probe to %s was accepted by the relay (queue id %s) but did not "
		      "come back within %u seconds",
		      r->rcpt, r->queue_id && r->queue_id[0] ? r->queue_id : "unknown", timeout_s);

	r->state = DAEMON_PROBE_LOST;
	set(&r->error, m);
	add(f, "PROBE_LOST", SEV_CRITICAL,
	    "Look the queue id up in the relay's log: the message may be stuck in its queue, "
	    "silently dropped, or filtered by the receiving side.",
	    NULL, m);
	free(m);
}

void daemon_probe_verdict_send_failed(const char *relay, const char *error, const char *reply,
				      struct daemon_probe_row *r, struct dns_findings *f)
{
	char *m = xasprintf("the relay %s did not take the probe: %s", relay, error);

	r->state = DAEMON_PROBE_SEND_FAILED;
	set(&r->error, m);
	add(f, "PROBE_SEND_FAILED", SEV_CRITICAL,
	    "Check that the relay is up and reachable, that its certificate is valid for its "
	    "name, and that the username and password are still accepted.",
	    reply != NULL && reply[0] ? reply : NULL, m);
	free(m);
}

static struct common_json *parse_obj(const char *old)
{
	struct common_json *j = NULL;

	/* Only our own objects are ever stored here. */
	if (old != NULL && old[0] == '{' && common_json_parse(old, strlen(old), &j) == ERR_OK)
		return j;
	common_json_free(j);
	return common_json_object();
}

char *daemon_probe_verdict_json_set(const char *old, const char *key, const char *val)
{
	struct common_json *j = parse_obj(old);
	char *s;

	if (val != NULL)
		common_json_set_str(j, key, val);
	s = common_json_dump(j, false);
	common_json_free(j);
	return s;
}

char *daemon_probe_verdict_json_set_int(const char *old, const char *key, long long n)
{
	struct common_json *j = parse_obj(old);
	char *s;

	common_json_set_int(j, key, n);
	s = common_json_dump(j, false);
	common_json_free(j);
	return s;
}

bool daemon_probe_verdict_json_int(const char *old, const char *key, long long *out)
{
	struct common_json *j = NULL;
	bool ok = false;

	if (old != NULL && common_json_parse(old, strlen(old), &j) == ERR_OK)
		ok = common_json_int_value(common_json_get(j, key), out);
	common_json_free(j);
	return ok;
}

static struct common_json *dmarc_json(const struct mail_verify_result *v)
{
	struct common_json *o = common_json_object();

	common_json_set_str(o, "result", mail_verify_dmarc_name(v->dmarc));
	common_json_set_str(o, "from_domain", v->from_domain);
	common_json_set_str(o, "org_domain", v->org_domain);
	common_json_set_str(o, "policy", v->policy);
	common_json_set_bool(o, "spf_aligned", v->spf_aligned);
	common_json_set_bool(o, "dkim_aligned", v->dkim_aligned);
	common_json_set_str(o, "aligned_dkim_domain", v->aligned_dkim_domain);
	common_json_set_str(o, "reason", v->dmarc_reason);
	return o;
}

/* Length of the header block of msg (up to the empty line), capped. */
static size_t header_len(const char *msg, size_t len)
{
	for (size_t i = 0; i + 1 < len && i < HEADERS_MAX; i++) {
		if (msg[i] == '\n' && msg[i + 1] == '\n')
			return i + 1;
		if (i + 3 < len && memcmp(msg + i, "\r\n\r\n", 4) == 0)
			return i + 2;
	}
	return len < HEADERS_MAX ? len : HEADERS_MAX;
}

char *daemon_probe_verdict_json(const char *old, const struct mail_verify_result *v,
				const struct daemon_inbound_row *in)
{
	struct common_json *j = parse_obj(old);
	char *s;

	if (in != NULL) {
		common_json_set_str(j, "source", in->source);
		common_json_set_str(j, "client_ip", in->client_ip);
		common_json_set_str(j, "helo", in->helo);
		common_json_set_str(j, "mail_from", in->mail_from);
		if (in->data != NULL)
			common_json_set_strn(j, "headers", in->data, header_len(in->data, in->len));
	}
	if (v != NULL) {
		struct common_json *spf = common_json_object();

		common_json_set_str(spf, "helo", v->spf_helo);
		common_json_set_str(spf, "mailfrom", v->spf_mailfrom);
		common_json_set_str(spf, "domain", v->spf_domain);
		common_json_set(j, "spf", spf);
		common_json_set(j, "dkim", mail_verify_dkim_json(v));
		common_json_set(j, "dmarc", dmarc_json(v));
		common_json_set(j, "upstream", mail_verify_upstream_json(v));
		common_json_set_str(j, "authres", v->authres);
	}
	s = common_json_dump(j, false);
	common_json_free(j);
	return s;
}
