/*
 * dns/mx: the MX posture check (see mx.h).  RFC 5321 5.1 (MX and the
 * implicit MX), RFC 7505 (null MX), RFC 2181 10.3 (no MX to an alias).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/buf.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "dns/mx.h"
#include "dns/txtrec.h"

#define CHECK "mx"

struct ctx {
	struct dns_book *book;
	const char *domain;
	char *qname_fail; /* first address lookup that failed temporarily */
	const struct dns_answer *ans_fail;
	uint16_t type_fail;
	struct dns_mx_result r;
};

/* RFC 7505 3: the null MX exchange is the root, "." (or "" once the dot is stripped). */
static bool is_root(const struct dns_rr *rr)
{
	return rr->len == 0 || (rr->len == 1 && rr->data[0] == '.');
}

static bool ip_literal(const char *s)
{
	unsigned char b[16];
	char tmp[64];
	size_t n = strlen(s);

	if (n >= 2 && n < sizeof tmp && s[0] == '[' && s[n - 1] == ']') {
		memcpy(tmp, s + 1, n - 2);
		tmp[n - 2] = '\0';
		s = tmp;
	}
	return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

static int by_pref(const void *a, const void *b)
{
	const struct dns_mx_host *x = a, *y = b;

	if (x->pref != y->pref)
		return x->pref < y->pref ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The real exchanges of the answer, deduplicated, sorted, capped. */
static void collect(struct ctx *c, const struct dns_answer *a)
{
	c->r.n_total = a->n;
	c->r.hosts = xcalloc(a->n ? a->n : 1, sizeof *c->r.hosts);
	for (size_t i = 0; i < a->n; i++) {
		const struct dns_rr *rr = &a->rr[i];
		char *name;
		bool dup = false;

		if (is_root(rr)) {
			/* RFC 7505 3: a null MX is alone and has preference 0. */
			if (a->n == 1 && rr->pref == 0)
				c->r.null_mx = true;
			else
				c->r.null_mixed = true;
			continue;
		}
		/* A NUL inside cuts the name; a malformed name is never asked about. */
		name = dns_txtrec_canon(rr->data);
		for (size_t j = 0; j < c->r.n && !dup; j++)
			dup = strcmp(c->r.hosts[j].name, name) == 0;
		if (dup) {
			free(name);
			continue;
		}
		c->r.hosts[c->r.n].name = name;
		c->r.hosts[c->r.n].pref = rr->pref;
		c->r.hosts[c->r.n].ip_literal = ip_literal(name);
		c->r.hosts[c->r.n].bad_name = !dns_txtrec_name_ok(name);
		c->r.n++;
	}
	qsort(c->r.hosts, c->r.n, sizeof *c->r.hosts, by_pref);
	while (c->r.n > DNS_MX_HOSTS_MAX) {
		c->r.n--;
		free(c->r.hosts[c->r.n].name);
	}
}

/* Count the addresses of one answer into h; note the first temporary failure. */
static void count_addrs(struct ctx *c, struct dns_mx_host *h, const char *name, uint16_t type,
			const struct dns_answer *a)
{
	if (a->outcome == DNS_DATA)
		h->n_addr += a->n;
	if (a->cname != NULL && h->cname == NULL)
		h->cname = xstrdup(a->cname);
	if (a->outcome == DNS_TEMPFAIL || a->outcome == DNS_MALFORMED) {
		h->unknown = true;
		if (c->qname_fail == NULL) {
			c->qname_fail = xstrdup(name);
			c->ans_fail = a;
			c->type_fail = type;
		}
	}
}

/* A and AAAA of every exchange (or of the domain for the implicit MX), all at once. */
static enum mp_err resolve(struct ctx *c, struct dns_mx_host *h, size_t n)
{
	enum mp_err ret = ERR_OK;

	for (size_t i = 0; i < n; i++) {
		const struct dns_answer *a4 = NULL, *a6 = NULL;
		enum mp_err e4, e6;

		if (h[i].ip_literal || h[i].bad_name)
			continue;
		e4 = dns_txtrec_get(c->book, h[i].name, DNS_T_A, &a4);
		e6 = dns_txtrec_get(c->book, h[i].name, DNS_T_AAAA, &a6);
		if (e4 != ERR_OK || e6 != ERR_OK) {
			ret = e4 != ERR_OK ? e4 : e6;
			continue;
		}
		count_addrs(c, &h[i], h[i].name, DNS_T_A, a4);
		count_addrs(c, &h[i], h[i].name, DNS_T_AAAA, a6);
		h[i].resolves = h[i].n_addr > 0;
	}
	return ret;
}

static char *mx_evidence(const struct dns_mx_result *r, const char *domain)
{
	struct buf b;

	common_buf_init(&b, 1 << 16);
	if (dns_finding_buf_printf(&b, "%s MX:", domain) != ERR_OK)
		return common_buf_steal(&b, NULL);
	if ((r->null_mx || r->null_mixed) && common_buf_puts(&b, " 0 .") != ERR_OK)
		return common_buf_steal(&b, NULL);
	for (size_t i = 0; i < r->n; i++) {
		const struct dns_mx_host *h = &r->hosts[i];

		if (dns_finding_buf_printf(&b, " %u %s (%s%s%s)", h->pref, h->name,
					   h->ip_literal ? "IP literal"
					   : h->resolves ? "resolves"
					   : h->unknown	 ? "lookup failed"
							 : "no address",
					   h->cname ? ", CNAME to " : "",
					   h->cname ? h->cname : "") != ERR_OK)
			break;
	}
	return common_buf_steal(&b, NULL);
}

static void add(struct ctx *c, struct dns_findings *f, const char *code, enum dns_sev sev,
		const char *fix, char *msg)
{
	char *ev = mx_evidence(&c->r, c->domain);

	dns_findings_add_msg(f, CHECK, code, sev, fix, ev, (size_t)-1, msg);
	free(ev);
}

static void report_missing(struct ctx *c, struct dns_findings *f, enum dns_outcome o)
{
	char *fix =
	    dns_finding_fmt("If %s should receive mail, publish MX records for your mail "
			    "servers, e.g. `%s. MX 10 mail.%s.` (your mail provider gives the "
			    "exact hosts). If it never receives mail, publish a null MX instead: "
			    "`%s. MX 0 .` (RFC 7505).",
			    c->domain, c->domain, c->domain, c->domain);

	if (o == DNS_NXDOMAIN)
		add(c, f, "MX_MISSING", SEV_WARN, fix,
		    dns_finding_fmt("%s does not exist in DNS, so no mail can be delivered to it: "
				    "bounces, replies and reports sent there are lost.",
				    c->domain));
	else if (c->r.implicit_addr)
		add(c, f, "MX_MISSING", SEV_WARN, fix,
		    dns_finding_fmt(
			"%s has no MX record, so mail to it (bounces, replies, DMARC reports) "
			"goes to the domain's own address instead (RFC 5321 5.1), which is "
			"usually a web server that accepts no mail.",
			c->domain));
	else
		add(c, f, "MX_MISSING", SEV_WARN, fix,
		    dns_finding_fmt("%s has no MX record and no address, so mail to it cannot be "
				    "delivered: bounces, replies and reports sent there are lost.",
				    c->domain));
	free(fix);
}

static void report_unresolvable(struct ctx *c, struct dns_findings *f)
{
	struct buf names;
	size_t bad = 0, usable = 0;

	common_buf_init(&names, 1 << 14);
	for (size_t i = 0; i < c->r.n; i++) {
		const struct dns_mx_host *h = &c->r.hosts[i];

		if (h->resolves || h->unknown)
			usable++;
		else if (!h->ip_literal && ++bad &&
			 dns_finding_buf_printf(&names, "%s%s", names.len ? ", " : "", h->name) !=
			     ERR_OK)
			break;
	}
	if (bad > 0)
		add(c, f, "MX_HOST_UNRESOLVABLE", usable ? SEV_WARN : SEV_CRITICAL,
		    "Give each mail server name an address (A and/or AAAA record) or remove its MX "
		    "record; if the server moved, update the MX to the new host name.",
		    dns_finding_fmt(
			"%s: the MX host%s %s %s no address, so senders cannot deliver to "
			"%s.",
			c->domain, bad > 1 ? "s" : "", common_buf_str(&names),
			bad > 1 ? "have" : "has",
			usable ? "them and must use the other MX hosts" : "this domain at all"));
	common_buf_free(&names);
}

static void report_hosts(struct ctx *c, struct dns_findings *f)
{
	if (c->r.null_mixed)
		add(c, f, "MX_NULL_INVALID", SEV_WARN,
		    "Either delete the `MX 0 .` record (the domain receives mail) or delete every "
		    "other MX record (it receives none).",
		    dns_finding_fmt(
			"%s publishes a null MX (\".\") together with other MX records or "
			"with a non-zero preference; RFC 7505 3 forbids this, and senders may "
			"treat the domain as accepting no mail.",
			c->domain));
	for (size_t i = 0; i < c->r.n; i++) {
		const struct dns_mx_host *h = &c->r.hosts[i];
		char *fix;

		if (h->ip_literal) {
			fix = dns_finding_fmt(
			    "Give the server a name and point the MX at it: `mx.%s. A "
			    "%s` (or AAAA) and `%s. MX %u mx.%s.`.",
			    c->domain, h->name, c->domain, h->pref, c->domain);
			add(c, f, "MX_IP_LITERAL", SEV_WARN, fix,
			    dns_finding_fmt(
				"The MX record of %s points at the address %s instead of a host "
				"name; an MX must name a host (RFC 5321 5.1), and most senders "
				"will fail to deliver.",
				c->domain, h->name));
			free(fix);
		} else if (h->cname) {
			fix = dns_finding_fmt("Point the MX at the real host: `%s. MX %u %s.`.",
					      c->domain, h->pref, h->cname);
			add(c, f, "MX_CNAME", SEV_INFO, fix,
			    dns_finding_fmt(
				"The MX host %s is an alias (CNAME) for %s; RFC 2181 10.3 says "
				"an MX must not point at an alias. Most senders cope, a few do "
				"not.",
				h->name, h->cname));
			free(fix);
		}
	}
	report_unresolvable(c, f);
	if (c->qname_fail != NULL)
		dns_txtrec_failed(f, CHECK, c->qname_fail, c->type_fail, c->ans_fail,
				  "whether every MX host has an address");
}

static void summary(struct ctx *c, struct dns_findings *f, size_t first)
{
	struct buf b;

	for (size_t i = first; i < f->n; i++)
		if (dns_sev_worse(f->v[i].sev, SEV_INFO))
			return;
	common_buf_init(&b, 1 << 14);
	for (size_t i = 0; i < c->r.n; i++)
		if (dns_finding_buf_printf(&b, "%s%u %s", i ? ", " : "", c->r.hosts[i].pref,
					   c->r.hosts[i].name) != ERR_OK)
			break;
	add(c, f, "MX_OK", SEV_OK, NULL,
	    dns_finding_fmt("Mail for %s is accepted by: %s%s.", c->domain, common_buf_str(&b),
			    c->r.n_total > c->r.n + (c->r.null_mixed ? 1 : 0) ? " (and more)"
									      : ""));
	common_buf_free(&b);
}

static enum mp_err run(struct ctx *c, struct dns_findings *f)
{
	const struct dns_answer *a;
	enum mp_err e = dns_txtrec_get(c->book, c->domain, DNS_T_MX, &a);
	size_t first = f->n;

	if (e != ERR_OK)
		return e;
	c->r.outcome = a->outcome;
	if (dns_txtrec_failed(f, CHECK, c->domain, DNS_T_MX, a, "where this domain receives mail"))
		return ERR_OK;
	if (a->outcome != DNS_DATA) {
		/* RFC 5321 5.1: no MX means the domain's own address is the implicit MX. */
		struct dns_mx_host self = {.name = (char *)c->domain};

		if (a->outcome == DNS_NODATA) {
			e = resolve(c, &self, 1);
			if (e != ERR_OK)
				return e;
		}
		free(self.cname);
		c->r.implicit_addr = self.resolves;
		report_missing(c, f, a->outcome);
		return ERR_OK;
	}
	collect(c, a);
	if (c->r.null_mx) {
		add(c, f, "MX_NULL", SEV_INFO,
		    "Nothing to do if the domain only sends mail; make sure the bounce "
		    "(Return-Path) address and the DMARC rua= and TLS-RPT addresses are in a "
		    "domain "
		    "that receives mail.",
		    dns_finding_fmt(
			"%s publishes a null MX: it accepts no mail at all (RFC 7505). Fine "
			"for a send-only domain, but bounces and reports addressed to it are "
			"refused.",
			c->domain));
		return ERR_OK;
	}
	e = resolve(c, c->r.hosts, c->r.n);
	if (e != ERR_OK)
		return e;
	report_hosts(c, f);
	summary(c, f, first);
	return ERR_OK;
}

enum mp_err dns_mx_check(struct dns_book *book, const char *domain, struct dns_findings *out,
			 struct dns_mx_result *res)
{
	struct ctx c = {.book = book};
	struct dns_findings scratch;
	char *dom;
	enum mp_err e;

	if (!dns_txtrec_name_ok(domain))
		return ERR_INVAL;
	dom = dns_txtrec_canon(domain);
	dns_findings_init(&scratch);
	c.domain = dom;
	e = run(&c, out ? out : &scratch);
	dns_findings_clear(&scratch);
	if (e == ERR_OK && res != NULL) {
		*res = c.r;
		memset(&c.r, 0, sizeof c.r);
	}
	dns_mx_result_free(&c.r);
	free(c.qname_fail);
	free(dom);
	return e;
}

void dns_mx_result_free(struct dns_mx_result *res)
{
	if (res == NULL)
		return;
	for (size_t i = 0; i < res->n; i++) {
		free(res->hosts[i].name);
		free(res->hosts[i].cname);
	}
	free(res->hosts);
	memset(res, 0, sizeof *res);
}
