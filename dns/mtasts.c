/*
 * dns/mtasts: the MTA-STS posture check (see mtasts.h).  RFC 8461 3.1 (TXT),
 * 3.3 (policy retrieval: HTTPS, 200 only, no redirects), 4.1 (MX matching).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "common/buf.h"
#include "common/log.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "dns/mtasts.h"
#include "dns/tags.h"
#include "dns/txtrec.h"

#define CHECK "mta-sts"

enum mp_err dns_mtasts_txt_parse(const char *txt, size_t len, char **id, char *why, size_t whysz)
{
	struct dns_tags tags;
	const struct dns_tag *t;
	enum mp_err e = dns_tags_parse(txt, len, 0, &tags, why, whysz);

	if (e != ERR_OK)
		return e;
	/* RFC 8461 3.1: the record begins with v=STSv1 (case-sensitive). */
	if (tags.n == 0 || tags.v[0].name_len != 1 || tags.v[0].name[0] != 'v' ||
	    !dns_tags_value_is(&tags.v[0], "STSv1", false)) {
		snprintf(why, whysz, "the record must start with v=STSv1");
		return ERR_PARSE;
	}
	t = dns_tags_find(&tags, "id");
	if (t == NULL) {
		snprintf(why, whysz, "there is no id= tag");
		return ERR_PARSE;
	}
	/* RFC 8461 3.1: sts-id = 1*32(ALPHA / DIGIT). */
	if (t->value_len == 0 || t->value_len > 32) {
		snprintf(why, whysz, "id= must be 1 to 32 letters and digits");
		return ERR_PARSE;
	}
	for (size_t i = 0; i < t->value_len; i++) {
		char c = t->value[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
			snprintf(why, whysz, "id= must be 1 to 32 letters and digits");
			return ERR_PARSE;
		}
	}
	*id = xmemdup0(t->value, t->value_len);
	return ERR_OK;
}

struct ctx {
	struct dns_book *book;
	char *domain;
	const struct dns_mtasts_fetch *fetch;
	const struct dns_mx_result *mx;
	struct dns_findings *f;
	const struct dns_answer *txt;
	char *qname;
	struct dns_mtasts_result r;
};

static void add(struct ctx *c, const char *code, enum dns_sev sev, const char *fix, const char *ev,
		size_t evlen, char *msg)
{
	dns_findings_add_msg(c->f, CHECK, code, sev, fix, ev, ev ? evlen : 0, msg);
}

static void add_txt(struct ctx *c, const char *code, enum dns_sev sev, const char *fix, char *msg)
{
	char *ev = dns_finding_fmt("%s TXT: ", c->qname);
	struct buf b;

	common_buf_init(&b, (size_t)1 << 20);
	if (common_buf_puts(&b, ev) != ERR_OK ||
	    (c->r.txt ? common_buf_append(&b, c->r.txt, c->r.txt_len)
		      : common_buf_puts(&b, dns_txtrec_outcome_words(c->txt->outcome))) != ERR_OK)
		(void)0; /* cut evidence is still evidence */
	add(c, code, sev, fix, common_buf_str(&b), b.len, msg);
	common_buf_free(&b);
	free(ev);
}

static char *txt_fix(const char *domain)
{
	return dns_finding_fmt(
	    "Publish exactly one record `_mta-sts.%s. TXT \"v=STSv1; id=20240101\"` "
	    "(change the id whenever the policy changes) and serve the policy at "
	    "https://mta-sts.%s/.well-known/mta-sts.txt.",
	    domain, domain);
}

/* The TXT step.  True when a valid record is published and the check goes on. */
static bool judge_txt(struct ctx *c)
{
	struct dns_txtrec sel, loose;
	char why[256], *fix;

	if (dns_txtrec_failed(c->f, CHECK, c->qname, DNS_T_TXT, c->txt, "MTA-STS"))
		return false;
	c->r.txt = dns_txtrec_evidence(c->txt, &c->r.txt_len);
	dns_txtrec_select(c->txt, "v", "STSv1", false, &sel);
	dns_txtrec_select(c->txt, "v", "STSv1", true, &loose);
	if (loose.n_match == 0) {
		fix = txt_fix(c->domain);
		add_txt(c, "MTASTS_MISSING", SEV_INFO, fix,
			dns_finding_fmt(
			    "%s does not publish MTA-STS, so senders may deliver mail to it "
			    "without TLS or to a forged server. It is optional, but it protects "
			    "incoming mail from being read or diverted in transit.",
			    c->domain));
		free(fix);
		return false;
	}
	why[0] = '\0';
	if (loose.n_match > 1)
		snprintf(why, sizeof why, "there are %zu v=STSv1 records; there must be one",
			 loose.n_match);
	else if (sel.n_match == 0)
		snprintf(why, sizeof why, "the version must be written exactly STSv1");
	else if (dns_mtasts_txt_parse(sel.first->data, sel.first->len, &c->r.id, why, sizeof why) ==
		 ERR_OK)
		return c->r.published = true;
	fix = txt_fix(c->domain);
	add_txt(c, "MTASTS_INVALID", SEV_CRITICAL, fix,
		dns_finding_fmt(
		    "The MTA-STS record at %s is invalid (%s), so senders ignore MTA-STS for "
		    "%s.",
		    c->qname, why, c->domain));
	free(fix);
	return false;
}

/* A and AAAA of the policy host; ERR_OK with policy_addr set or a finding added. */
static enum mp_err policy_host(struct ctx *c, bool *usable)
{
	const struct dns_answer *a4 = NULL, *a6 = NULL;
	enum mp_err e4 = dns_txtrec_get(c->book, c->r.policy_host, DNS_T_A, &a4);
	enum mp_err e6 = dns_txtrec_get(c->book, c->r.policy_host, DNS_T_AAAA, &a6);
	char text[INET6_ADDRSTRLEN], *fix;

	*usable = false;
	if (e4 != ERR_OK || e6 != ERR_OK)
		return e4 != ERR_OK ? e4 : e6;
	if (a4->outcome == DNS_DATA && a4->rr[0].len == 4 &&
	    inet_ntop(AF_INET, a4->rr[0].data, text, sizeof text))
		c->r.policy_addr = xstrdup(text);
	else if (a6->outcome == DNS_DATA && a6->rr[0].len == 16 &&
		 inet_ntop(AF_INET6, a6->rr[0].data, text, sizeof text))
		c->r.policy_addr = xstrdup(text);
	if (c->r.policy_addr != NULL) {
		*usable = true;
		return ERR_OK;
	}
	if (dns_txtrec_failed(c->f, CHECK, c->r.policy_host, DNS_T_A, a4, "the MTA-STS policy") ||
	    dns_txtrec_failed(c->f, CHECK, c->r.policy_host, DNS_T_AAAA, a6, "the MTA-STS policy"))
		return ERR_OK;
	fix = dns_finding_fmt(
	    "Create the host %s (an A/AAAA record, or a CNAME to your MTA-STS "
	    "hosting) and serve the policy at %s over HTTPS with a valid certificate.",
	    c->r.policy_host, c->r.policy_url);
	add(c, "MTASTS_POLICY_UNREACHABLE", SEV_CRITICAL, fix, c->r.policy_host, (size_t)-1,
	    dns_finding_fmt("MTA-STS is announced for %s, but %s has no address, so senders cannot "
			    "fetch the policy and MTA-STS does not work.",
			    c->domain, c->r.policy_host));
	free(fix);
	return ERR_OK;
}

static char *list(char **v, size_t n)
{
	struct buf b;

	common_buf_init(&b, 1 << 14);
	for (size_t i = 0; i < n; i++)
		if (dns_finding_buf_printf(&b, "%s%s", i ? ", " : "", v[i]) != ERR_OK)
			break;
	return common_buf_steal(&b, NULL);
}

static void coverage(struct ctx *c)
{
	const struct dns_mtasts_policy *p = &c->r.policy;
	char *hosts, *fix;

	if (c->mx->outcome == DNS_TEMPFAIL || c->mx->outcome == DNS_MALFORMED) {
		add(c, "DNS_TEMPFAIL", SEV_UNKNOWN,
		    "Usually temporary: the check runs again on its next schedule.", NULL, 0,
		    dns_finding_fmt(
			"The MX records of %s could not be read, so whether the MTA-STS "
			"policy covers every mail server could not be judged this time.",
			c->domain));
		return;
	}
	if (p->mode == DNS_MTASTS_NONE)
		return;
	for (size_t i = 0; i < c->mx->n; i++) {
		bool ok = false;

		for (size_t j = 0; j < p->n_mx && !ok; j++)
			ok = dns_mtasts_mx_match(p->mx[j], c->mx->hosts[i].name);
		if (ok)
			continue;
		c->r.uncovered =
		    xreallocarray(c->r.uncovered, c->r.n_uncovered + 1, sizeof *c->r.uncovered);
		c->r.uncovered[c->r.n_uncovered++] = xstrdup(c->mx->hosts[i].name);
	}
	if (c->r.n_uncovered == 0)
		return;
	hosts = list(c->r.uncovered, c->r.n_uncovered);
	fix = dns_finding_fmt(
	    "Add an `mx: %s` line (or a wildcard such as `mx: *.%s`) for every mail "
	    "server to the policy at %s, then change the id in the _mta-sts TXT "
	    "record so that senders fetch the new policy.",
	    c->r.uncovered[0],
	    strchr(c->r.uncovered[0], '.') ? strchr(c->r.uncovered[0], '.') + 1 : c->r.uncovered[0],
	    c->r.policy_url);
	add(c, "MTASTS_MX_NOT_COVERED", p->mode == DNS_MTASTS_ENFORCE ? SEV_CRITICAL : SEV_WARN,
	    fix, c->fetch->body, c->fetch->body_len > 4096 ? 4096 : c->fetch->body_len,
	    dns_finding_fmt(
		"The MTA-STS policy of %s (mode %s) does not list the MX host%s %s: %s.", c->domain,
		dns_mtasts_mode_name(p->mode), c->r.n_uncovered > 1 ? "s" : "", hosts,
		p->mode == DNS_MTASTS_ENFORCE
		    ? "senders that honour MTA-STS refuse to deliver there, so mail to "
		      "this domain fails"
		    : "in testing mode senders only report it, but switching to enforce "
		      "would make mail fail"));
	free(fix);
	free(hosts);
}

static void report_mode(struct ctx *c)
{
	const struct dns_mtasts_fetch *ft = c->fetch;
	char *fix;

	if (c->r.policy.mode == DNS_MTASTS_TESTING) {
		fix = dns_finding_fmt(
		    "When TLS-RPT reports show no failures, change the policy to `mode: "
		    "enforce` and change the id in the _mta-sts.%s TXT record.",
		    c->domain);
		add(c, "MTASTS_TESTING", SEV_INFO, fix, ft->body,
		    ft->body_len > 4096 ? 4096 : ft->body_len,
		    dns_finding_fmt("The MTA-STS policy of %s is in testing mode: TLS problems are "
				    "reported but mail is still delivered without protection.",
				    c->domain));
		free(fix);
	} else if (c->r.policy.mode == DNS_MTASTS_NONE) {
		add(c, "MTASTS_MODE_NONE", SEV_INFO,
		    "Nothing to do if you meant to switch MTA-STS off; otherwise set `mode: "
		    "testing` "
		    "or `mode: enforce` and change the id in the TXT record.",
		    ft->body, ft->body_len > 4096 ? 4096 : ft->body_len,
		    dns_finding_fmt(
			"The MTA-STS policy of %s is mode none: MTA-STS is switched off.",
			c->domain));
	}
}

/* The fetched policy: reachable, well-formed, covering every MX host. */
static void judge_policy(struct ctx *c)
{
	const struct dns_mtasts_fetch *ft = c->fetch;
	char why[256],
	    *fix = dns_finding_fmt("Serve the policy at %s over HTTPS with status 200, a "
				   "certificate valid for %s from a public CA, and no "
				   "redirect (RFC 8461 3.3).",
				   c->r.policy_url, c->r.policy_host);

	if (ft->state != DNS_MTASTS_FETCH_OK || ft->http_status != 200) {
		add(c, "MTASTS_POLICY_UNREACHABLE", SEV_CRITICAL, fix, c->r.policy_url, (size_t)-1,
		    ft->state != DNS_MTASTS_FETCH_OK
			? dns_finding_fmt(
			      "The MTA-STS policy of %s could not be fetched from %s (%s), "
			      "so senders ignore MTA-STS for this domain.",
			      c->domain, c->r.policy_url, ft->error ? ft->error : "no reason given")
			: dns_finding_fmt(
			      "Fetching the MTA-STS policy of %s from %s gave HTTP status "
			      "%ld instead of 200, so senders ignore MTA-STS for this "
			      "domain.",
			      c->domain, c->r.policy_url, ft->http_status));
		free(fix);
		return;
	}
	free(fix);
	if (ft->content_type && ft->content_type[0] &&
	    !common_str_iprefix(ft->content_type, strlen(ft->content_type), "text/plain"))
		add(c, "MTASTS_CONTENT_TYPE", SEV_WARN,
		    "Serve mta-sts.txt with `Content-Type: text/plain`.", ft->content_type,
		    (size_t)-1,
		    dns_finding_fmt("The MTA-STS policy of %s is served as %s; RFC 8461 3.2 tells "
				    "senders to accept only text/plain, so some of them ignore it.",
				    c->domain, ft->content_type));
	why[0] = '\0';
	if (dns_mtasts_policy_parse(ft->body ? ft->body : "", ft->body_len, &c->r.policy, why,
				    sizeof why) != ERR_OK) {
		add(c, "MTASTS_INVALID", SEV_CRITICAL,
		    "Fix the policy file; a valid one looks like:\nversion: STSv1\nmode: "
		    "enforce\nmx: mail.example.com\nmax_age: 604800",
		    ft->body, ft->body_len > 4096 ? 4096 : ft->body_len,
		    dns_finding_fmt(
			"The MTA-STS policy at %s is invalid (%s), so senders ignore it.",
			c->r.policy_url, why));
		return;
	}
	c->r.policy_valid = true;
	report_mode(c);
	coverage(c);
}

static void summary(struct ctx *c, size_t first)
{
	char *pats;

	for (size_t i = first; i < c->f->n; i++)
		if (dns_sev_worse(c->f->v[i].sev, SEV_INFO))
			return;
	pats = list(c->r.policy.mx, c->r.policy.n_mx);
	add(c, "MTASTS_OK", SEV_OK, NULL, c->fetch->body,
	    c->fetch->body_len > 4096 ? 4096 : c->fetch->body_len,
	    dns_finding_fmt("MTA-STS is published for %s (id %s, mode %s, max_age %u s, mx %s) and "
			    "covers every MX host.",
			    c->domain, c->r.id, dns_mtasts_mode_name(c->r.policy.mode),
			    c->r.policy.max_age, pats));
	free(pats);
}

static enum mp_err run(struct ctx *c, size_t first)
{
	bool usable = false;
	enum mp_err e;

	if (!judge_txt(c))
		return ERR_OK;
	c->r.policy_host = dns_finding_fmt("mta-sts.%s", c->domain);
	c->r.policy_url = dns_finding_fmt("https://%s/.well-known/mta-sts.txt", c->r.policy_host);
	e = policy_host(c, &usable);
	if (e != ERR_OK || !usable)
		return e;
	if (c->fetch == NULL || c->fetch->state == DNS_MTASTS_NOT_FETCHED) {
		/* Ask the caller to fetch; nothing has been added to the findings. */
		c->r.need_fetch = true;
		return ERR_AGAIN;
	}
	judge_policy(c);
	/* With mode none, MTASTS_MODE_NONE is the summary. */
	if (c->r.policy_valid && c->r.policy.mode != DNS_MTASTS_NONE)
		summary(c, first);
	return ERR_OK;
}

enum mp_err dns_mtasts_check(struct dns_book *book, const char *domain,
			     const struct dns_mx_result *mx, const struct dns_mtasts_fetch *fetch,
			     struct dns_findings *out, struct dns_mtasts_result *res)
{
	struct ctx c = {.book = book, .fetch = fetch, .mx = mx, .f = out};
	struct dns_mx_result own = {0};
	enum mp_err e, emx = ERR_OK;

	if (res == NULL || !dns_txtrec_name_ok(domain))
		return ERR_INVAL;
	memset(res, 0, sizeof *res);
	c.domain = dns_txtrec_canon(domain);
	c.qname = dns_txtrec_name("_mta-sts", c.domain);
	if (mx == NULL) {
		emx = dns_mx_check(book, c.domain, NULL, &own);
		c.mx = &own;
	}
	e = dns_txtrec_get(book, c.qname, DNS_T_TXT, &c.txt);
	if (e == ERR_OK)
		e = emx;
	if (e == ERR_OK)
		e = run(&c, out->n);
	if (e == ERR_OK || c.r.need_fetch) {
		*res = c.r;
		memset(&c.r, 0, sizeof c.r);
	}
	dns_mtasts_result_free(&c.r);
	dns_mx_result_free(&own);
	free(c.qname);
	free(c.domain);
	return e;
}

void dns_mtasts_result_free(struct dns_mtasts_result *res)
{
	if (res == NULL)
		return;
	free(res->txt);
	free(res->id);
	free(res->policy_url);
	free(res->policy_host);
	free(res->policy_addr);
	dns_mtasts_policy_free(&res->policy);
	for (size_t i = 0; i < res->n_uncovered; i++)
		free(res->uncovered[i]);
	free(res->uncovered);
	memset(res, 0, sizeof *res);
}
