/*
 * dns/reply: a DNS reply message to a struct dns_answer (see reply.h).
 * Sections are walked with libresolv's ns_parserr(); every RDATA we decode
 * ourselves is read with explicit bounds (a struct cursor for TXT), and a
 * name inside RDATA must consume its RDATA exactly.
 */
#include <arpa/nameser.h>
#include <resolv.h>
#include <stdio.h>
#include <string.h>
#include "common/buf.h"
#include "common/cursor.h"
#include "common/xmalloc.h"
#include "dns/name.h"
#include "dns/reply.h"

/* RFC 1035 5.1: bytes ns_name_ntop() escapes inside a label (besides '.'). */
static bool needs_escape(unsigned char c)
{
	return c == '"' || c == '(' || c == ')' || c == ';' || c == '@' || c == '$' || c == '\\';
}

/* Wire form of ascii[0..len) (any octet is a label octet) to its canonical
 * presentation form through libresolv, the one ns_parserr() gives owners. */
static enum mp_err present_slow(const char *ascii, size_t len, char out[DNS_REPLY_NAME_BUFSZ])
{
	unsigned char wire[NS_MAXCDNAME];
	size_t n = 0, start = 0;

	for (size_t i = 0; i <= len && !(len == 1 && ascii[0] == '.'); i++) {
		if (i < len && ascii[i] != '.')
			continue;
		wire[n++] = (unsigned char)(i - start);
		memcpy(wire + n, ascii + start, i - start);
		n += i - start;
		start = i + 1;
	}
	wire[n] = 0;
	return ns_name_ntop(wire, out, DNS_REPLY_NAME_BUFSZ) < 0 ? ERR_INVAL : ERR_OK;
}

enum mp_err dns_reply_chain_init(struct dns_reply_chain *chain, const char *ascii)
{
	size_t len = strlen(ascii);

	chain->hops = 0;
	memset(chain->seen, 0, sizeof chain->seen);
	chain->ttl = UINT32_MAX;
	chain->qname[0] = '\0';
	if (!dns_name_valid(ascii, len))
		return ERR_INVAL;
	return dns_reply_chain_init_valid(chain, ascii, len);
}

enum mp_err dns_reply_chain_init_valid(struct dns_reply_chain *chain, const char *ascii, size_t len)
{
	chain->hops = 0;
	memset(chain->seen, 0, sizeof chain->seen);
	chain->ttl = UINT32_MAX;
	chain->qname[0] = '\0';
	if (len > DNS_NAME_MAX + 1) /* a broken promise must not overflow wire[] */
		return ERR_INVAL;
	if (len > 1 && ascii[len - 1] == '.')
		len--;
	/*
	 * Why a fast path: a valid name (bytes 0x21..0x7e, dots only between
	 * labels) without the characters RFC 1035 5.1 escapes is its own
	 * presentation form, so the wire round trip through ns_name_ntop()
	 * would only copy it.
	 */
	for (size_t i = 0; i < len; i++)
		if (needs_escape((unsigned char)ascii[i]))
			return present_slow(ascii, len, chain->qname);
	memcpy(chain->qname, ascii, len);
	chain->qname[len] = '\0';
	return ERR_OK;
}

void dns_reply_chain_free(struct dns_reply_chain *chain)
{
	/* Only seen[0..hops] are ever set: most chains free nothing at all. */
	for (size_t i = 0; i <= chain->hops && i <= DNS_REPLY_MAX_CNAME; i++) {
		free(chain->seen[i]);
		chain->seen[i] = NULL;
	}
	chain->hops = 0;
}

static bool same_name(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	/* Servers mostly echo the name in the case we asked it: bytes first. */
	if (la == lb && memcmp(a, b, la) == 0)
		return true;
	return dns_name_equal(a, la, b, lb);
}

/* RFC 2181 8: a TTL with the most significant bit set is zero. */
static uint32_t rr_ttl(const ns_rr *rr)
{
	uint32_t t = ns_rr_ttl(*rr);

	return t & 0x80000000u ? 0 : t;
}

/* Expand the (maybe compressed) name at p; bytes it takes there, or -1. */
static int name_at(const ns_msg *h, const unsigned char *p, char out[DNS_REPLY_NAME_BUFSZ])
{
	return ns_name_uncompress(ns_msg_base(*h), ns_msg_end(*h), p, out, DNS_REPLY_NAME_BUFSZ);
}

/* A name that fills RDATA exactly (CNAME, PTR, NS). */
static bool name_rdata(const ns_msg *h, const ns_rr *rr, char out[DNS_REPLY_NAME_BUFSZ])
{
	int n = name_at(h, ns_rr_rdata(*rr), out);

	return n > 0 && (size_t)n == ns_rr_rdlen(*rr);
}

/* RFC 1035 3.3.14: one or more <character-string>s, joined (RFC 7208 3.3). */
static bool add_txt(struct dns_answer *ans, const ns_rr *rr)
{
	struct cursor c;
	struct buf b;
	bool ok = ns_rr_rdlen(*rr) > 0;

	common_cursor_init(&c, ns_rr_rdata(*rr), ns_rr_rdlen(*rr));
	common_buf_init(&b, 65536);
	while (ok && !common_cursor_eof(&c)) {
		int n = common_cursor_get(&c);
		const unsigned char *s = common_cursor_take(&c, n < 0 ? 0 : (size_t)n);

		ok = !c.err && common_buf_append(&b, s, (size_t)n) == ERR_OK;
	}
	if (ok)
		dns_answer_add(ans, b.data ? b.data : "", b.len, rr_ttl(rr), 0);
	common_buf_free(&b);
	return ok;
}

/* RFC 1035 3.3.13: MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM. */
static bool soa_fields(const ns_msg *h, const ns_rr *rr, char *mname, char *rname, uint32_t v[5])
{
	const unsigned char *rd = ns_rr_rdata(*rr);
	size_t rl = ns_rr_rdlen(*rr);
	int n1 = name_at(h, rd, mname), n2;

	if (n1 <= 0 || (size_t)n1 >= rl)
		return false;
	n2 = name_at(h, rd + n1, rname);
	if (n2 <= 0 || (size_t)n1 + (size_t)n2 + 20 != rl)
		return false;
	for (int i = 0; i < 5; i++)
		v[i] = ns_get32(rd + n1 + n2 + 4 * i);
	return true;
}

static bool add_soa(struct dns_answer *ans, const ns_msg *h, const ns_rr *rr)
{
	char m[DNS_REPLY_NAME_BUFSZ], r[DNS_REPLY_NAME_BUFSZ];
	uint32_t v[5];
	char *t;

	if (!soa_fields(h, rr, m, r, v))
		return false;
	t = xasprintf("%s %s %u %u %u %u %u", m, r, v[0], v[1], v[2], v[3], v[4]);
	dns_answer_add(ans, t, strlen(t), rr_ttl(rr), 0);
	free(t);
	return true;
}

/* Decode one record of the asked type into ans; false when it is malformed. */
static bool add_rr(struct dns_answer *ans, const ns_msg *h, const ns_rr *rr)
{
	char name[DNS_REPLY_NAME_BUFSZ];
	const unsigned char *rd = ns_rr_rdata(*rr);
	size_t rl = ns_rr_rdlen(*rr);
	int n;

	switch (ans->type) {
	case DNS_T_A:
	case DNS_T_AAAA:
		if (rl != (ans->type == DNS_T_A ? 4u : 16u))
			return false;
		dns_answer_add(ans, rd, rl, rr_ttl(rr), 0);
		return true;
	case DNS_T_MX: /* RFC 1035 3.3.9: PREFERENCE EXCHANGE */
		if (rl < 3)
			return false;
		n = name_at(h, rd + 2, name);
		if (n <= 0 || (size_t)n != rl - 2)
			return false;
		dns_answer_add(ans, name, strlen(name), rr_ttl(rr), ns_get16(rd));
		return true;
	case DNS_T_CNAME:
	case DNS_T_PTR:
	case DNS_T_NS:
		if (!name_rdata(h, rr, name))
			return false;
		dns_answer_add(ans, name, strlen(name), rr_ttl(rr), 0);
		return true;
	case DNS_T_TXT:
		return add_txt(ans, rr);
	case DNS_T_SOA:
		return add_soa(ans, h, rr);
	default:
		dns_answer_add(ans, rd, rl, rr_ttl(rr), 0);
		return true;
	}
}

/* The CNAME owned by name in the answer section: 1 found, 0 none, -1 bad. */
static int find_cname(ns_msg *h, const char *name, char target[DNS_REPLY_NAME_BUFSZ], uint32_t *ttl)
{
	ns_rr rr;

	for (int i = 0; i < ns_msg_count(*h, ns_s_an); i++) {
		if (ns_parserr(h, ns_s_an, i, &rr) < 0)
			return -1;
		if (ns_rr_type(rr) != ns_t_cname || ns_rr_class(rr) != ns_c_in ||
		    !same_name(ns_rr_name(rr), name))
			continue;
		if (!name_rdata(h, &rr, target))
			return -1;
		*ttl = rr_ttl(&rr);
		return 1;
	}
	return 0;
}

static struct dns_answer *fail(const char *name, uint16_t type, enum dns_outcome o, const char *why)
{
	return dns_answer_new(name, type, o, why);
}

/* Walk the CNAME chain from chain->qname inside the reply.  NULL, or the
 * TEMPFAIL/MALFORMED answer that ends the question. */
static struct dns_answer *follow(ns_msg *h, uint16_t type, struct dns_reply_chain *chain,
				 const char *ans_name)
{
	char target[DNS_REPLY_NAME_BUFSZ];
	uint32_t ttl;
	int r;

	/* RFC 1034 3.6.2: a CNAME question is answered by the CNAME itself. */
	while (type != DNS_T_CNAME) {
		r = find_cname(h, chain->qname, target, &ttl);
		if (r < 0)
			return fail(ans_name, type, DNS_MALFORMED, "unparseable reply");
		if (r == 0)
			return NULL;
		if (chain->hops == 0 && chain->seen[0] == NULL)
			chain->seen[0] = xstrdup(chain->qname); /* see reply.h */
		for (unsigned i = 0; i <= chain->hops; i++)
			if (same_name(chain->seen[i], target))
				return fail(ans_name, type, DNS_TEMPFAIL, "CNAME loop");
		if (chain->hops >= DNS_REPLY_MAX_CNAME)
			return fail(ans_name, type, DNS_TEMPFAIL, "CNAME chain too long");
		chain->seen[++chain->hops] = xstrdup(target);
		if (ttl < chain->ttl)
			chain->ttl = ttl;
		memcpy(chain->qname, target, sizeof chain->qname);
	}
	return NULL;
}

/* Records of type owned by chain->qname; an answer with n == 0 when none. */
static struct dns_answer *collect(ns_msg *h, uint16_t type, const char *qname, const char *ans_name,
				  uint32_t *min_ttl)
{
	struct dns_answer *ans = dns_answer_new(ans_name, type, DNS_DATA, NULL);
	char tn[12];
	ns_rr rr;

	*min_ttl = UINT32_MAX;
	for (int i = 0; i < ns_msg_count(*h, ns_s_an); i++) {
		if (ns_parserr(h, ns_s_an, i, &rr) < 0) {
			dns_answer_free(ans);
			return fail(ans_name, type, DNS_MALFORMED, "unparseable reply");
		}
		/* RFC 2181 5.4.1: only data owned by the name (or its chain). */
		if (ns_rr_type(rr) != type || ns_rr_class(rr) != ns_c_in ||
		    !same_name(ns_rr_name(rr), qname))
			continue;
		if (!add_rr(ans, h, &rr)) {
			char *why = xasprintf("bad %s record", dns_type_name(type, tn));

			dns_answer_free(ans);
			ans = fail(ans_name, type, DNS_MALFORMED, why);
			free(why);
			return ans;
		}
		if (rr_ttl(&rr) < *min_ttl)
			*min_ttl = rr_ttl(&rr);
	}
	return ans;
}

/* RFC 2308 5: the negative TTL is min(SOA TTL, SOA MINIMUM).  Also notes
 * whether the authority section holds NS records (a referral). */
static bool negative_ttl(ns_msg *h, uint32_t *ttl, bool *has_ns)
{
	char m[DNS_REPLY_NAME_BUFSZ], r[DNS_REPLY_NAME_BUFSZ];
	uint32_t v[5];
	ns_rr rr;

	*has_ns = false;
	for (int i = 0; i < ns_msg_count(*h, ns_s_ns); i++) {
		if (ns_parserr(h, ns_s_ns, i, &rr) < 0)
			return false;
		if (ns_rr_type(rr) == ns_t_ns)
			*has_ns = true;
		if (ns_rr_type(rr) != ns_t_soa || !soa_fields(h, &rr, m, r, v))
			continue;
		*ttl = rr_ttl(&rr) < v[4] ? rr_ttl(&rr) : v[4];
		return true;
	}
	return false;
}

static const char *rcode_why(int rcode, char buf[16])
{
	switch (rcode) {
	case ns_r_formerr:
		return "FORMERR";
	case ns_r_servfail:
		return "SERVFAIL";
	case ns_r_notimpl:
		return "NOTIMP";
	case ns_r_refused:
		return "REFUSED";
	default:
		snprintf(buf, 16, "RCODE %d", rcode);
		return buf;
	}
}

/* No records of the type at the end of the chain: NXDOMAIN, NODATA, a
 * referral, or (NULL) an alias whose target must be asked next. */
static struct dns_answer *negative(ns_msg *h, uint16_t type, bool moved, const char *ans_name,
				   uint32_t neg_ttl, uint32_t *cache_ttl)
{
	int rcode = ns_msg_getflag(*h, ns_f_rcode);
	bool has_ns, soa = negative_ttl(h, &neg_ttl, &has_ns);

	*cache_ttl = neg_ttl;
	/* RFC 6604 3: after CNAMEs the RCODE speaks of the last name. */
	if (rcode == ns_r_nxdomain)
		return fail(ans_name, type, DNS_NXDOMAIN, NULL);
	/* An authoritative server that does not host the target gives the
	 * alias alone (no SOA for the target): ask the target ourselves. */
	if (moved && !soa)
		return NULL;
	if (!soa && has_ns && !ns_msg_getflag(*h, ns_f_aa)) {
		*cache_ttl = 0;
		return fail(ans_name, type, DNS_TEMPFAIL, "referral");
	}
	return fail(ans_name, type, DNS_NODATA, NULL);
}

void dns_reply_read(const unsigned char *msg, size_t len, uint16_t type,
		    struct dns_reply_chain *chain, const char *ans_name, uint32_t neg_ttl,
		    struct dns_reply_result *out)
{
	char rb[16];
	unsigned hops0 = chain->hops;
	struct dns_answer *ans;
	uint32_t min_ttl;
	ns_msg h;
	int rcode;

	out->ans = NULL;
	out->cache_ttl = 0;
	if (len < NS_HFIXEDSZ || len > 65535 || ns_initparse(msg, (int)len, &h) < 0) {
		out->ans = fail(ans_name, type, DNS_MALFORMED, "unparseable reply");
		return;
	}
	rcode = ns_msg_getflag(h, ns_f_rcode);
	if (rcode != ns_r_noerror && rcode != ns_r_nxdomain) {
		out->ans = fail(ans_name, type, DNS_TEMPFAIL, rcode_why(rcode, rb));
		return;
	}
	if (ns_msg_count(h, ns_s_an) > DNS_REPLY_MAX_RRS) {
		out->ans = fail(ans_name, type, DNS_MALFORMED, "too many records");
		return;
	}
	ans = follow(&h, type, chain, ans_name);
	if (ans == NULL) {
		ans = collect(&h, type, chain->qname, ans_name, &min_ttl);
		if (ans->outcome == DNS_DATA && ans->n > 0) {
			out->cache_ttl = min_ttl < chain->ttl ? min_ttl : chain->ttl;
		} else if (ans->outcome == DNS_DATA) {
			dns_answer_free(ans);
			ans = negative(&h, type, chain->hops != hops0, ans_name, neg_ttl,
				       &out->cache_ttl);
			if (out->cache_ttl > chain->ttl)
				out->cache_ttl = chain->ttl;
		}
	}
	if (ans && chain->hops > 0 &&
	    (ans->outcome == DNS_DATA || ans->outcome == DNS_NODATA ||
	     ans->outcome == DNS_NXDOMAIN))
		ans->cname = xstrdup(chain->qname);
	out->ans = ans;
}
