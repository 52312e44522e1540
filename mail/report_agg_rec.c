/*
 * mail/report_agg_rec: values of a DMARC aggregate report, element by
 * element (see report_agg_rec.h).  RFC 7489 appendix C gives the types:
 * row/count is xs:integer (we take 0..2^53, exact in JSON), source_ip is an
 * IPv4 or IPv6 literal, date_range begin/end are xs:integer unix times,
 * adkim/aspf are "r" or "s", pct is 0..100.  RFC 9990 adds np, testing,
 * discovery_method and the "pass" disposition.
 *
 * What it does not: read XML or decide what happens after an error.
 */
#include <arpa/inet.h>
#include <string.h>
#include "common/buf.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "mail/report_agg_rec.h"

#define MAX_COUNT (1ULL << 53) /* row/count: exact in a double, JSON-safe */

/* A record being filled: strings are offsets into the arena (0 is ""). */
struct auth_tmp {
	size_t domain, selector, scope, word, human;
	enum mail_agg_result res;
};

struct mail_report_agg_rec {
	/* meta: strings owned here, one per string field (NULL: absent) */
	char *ms[MAIL_AGG_F_DISCOVERY + 1];
	int64_t begin, end;
	bool has_begin, has_end, meta_done;
	char adkim, aspf;
	int pct;
	struct mail_agg_meta meta;
	/* the current record */
	char ip[64];
	bool has_ip, has_count, has_pe, has_hf;
	uint64_t count;
	enum mail_agg_disposition disp;
	enum mail_agg_result dkim_eval, spf_eval;
	size_t hf, ef, et;
	struct auth_tmp dkim[MAIL_AGG_MAX_AUTH], spf[MAIL_AGG_MAX_AUTH];
	size_t n_dkim, n_spf;
	struct auth_tmp *auth; /* the one AUTH fields go to, NULL outside */
	struct buf arena, reasons;
};

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trim XML whitespace (which includes CR and LF) and NUL-terminate. */
static void trim(char **s, size_t *len)
{
	while (*len > 0 && is_ws((*s)[0])) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && is_ws((*s)[*len - 1]))
		(*len)--;
	(*s)[*len] = '\0';
}

static void lower(char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		s[i] = (char)common_str_lc((unsigned char)s[i]);
}

static bool word_is(const char *s, size_t len, const char *w)
{
	return strlen(w) == len && memcmp(s, w, len) == 0;
}

/* s is lower case already. */
static enum mail_agg_result result_word(const char *s, size_t len)
{
	static const struct {
		const char *w;
		enum mail_agg_result r;
	} words[] = {
	    {"", MAIL_AGG_RES_NONE},
	    {"none", MAIL_AGG_RES_NONE},
	    {"pass", MAIL_AGG_RES_PASS},
	    {"fail", MAIL_AGG_RES_FAIL},
	    {"hardfail", MAIL_AGG_RES_FAIL}, /* some pre-RFC 7208 reporters */
	    {"neutral", MAIL_AGG_RES_NEUTRAL},
	    {"softfail", MAIL_AGG_RES_SOFTFAIL},
	    {"temperror", MAIL_AGG_RES_TEMPERROR},
	    {"permerror", MAIL_AGG_RES_PERMERROR},
	    {"policy", MAIL_AGG_RES_POLICY},
	};
	size_t i;

	for (i = 0; i < sizeof words / sizeof words[0]; i++)
		if (word_is(s, len, words[i].w))
			return words[i].r;
	return MAIL_AGG_RES_OTHER;
}

/* s is lower case already. */
static enum mail_agg_disposition disposition_word(const char *s, size_t len)
{
	/* RFC 9990 adds "pass" (DMARC passed, no policy applied): as none. */
	if (word_is(s, len, "") || word_is(s, len, "none") || word_is(s, len, "pass"))
		return MAIL_AGG_DISP_NONE;
	if (word_is(s, len, "quarantine"))
		return MAIL_AGG_DISP_QUARANTINE;
	if (word_is(s, len, "reject"))
		return MAIL_AGG_DISP_REJECT;
	return MAIL_AGG_DISP_OTHER;
}

struct mail_report_agg_rec *mail_report_agg_rec_new(size_t max_text)
{
	struct mail_report_agg_rec *b = xcalloc(1, sizeof *b);

	/* a record holds at most ~140 strings, each at most max_text */
	common_buf_init(&b->arena, (8 + 8 * MAIL_AGG_MAX_AUTH) * (max_text + 2));
	common_buf_init(&b->reasons, 4 * (max_text + 1));
	b->adkim = b->aspf = 'r';
	b->pct = -1;
	mail_report_agg_rec_start(b);
	return b;
}

void mail_report_agg_rec_free(struct mail_report_agg_rec *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < sizeof b->ms / sizeof b->ms[0]; i++)
		free(b->ms[i]);
	common_buf_free(&b->arena);
	common_buf_free(&b->reasons);
	free(b);
}

void mail_report_agg_rec_start(struct mail_report_agg_rec *b)
{
	b->has_ip = b->has_count = b->has_pe = b->has_hf = false;
	b->ip[0] = '\0';
	b->count = 0;
	b->disp = MAIL_AGG_DISP_NONE;
	b->dkim_eval = b->spf_eval = MAIL_AGG_RES_NONE;
	b->hf = b->ef = b->et = 0;
	b->n_dkim = b->n_spf = 0;
	b->auth = NULL;
	common_buf_reset(&b->arena);
	common_buf_reset(&b->reasons);
	/* offset 0 is "" */
	if (common_buf_putc(&b->arena, '\0') != ERR_OK)
		fatal("report_agg_rec: arena");
}

void mail_report_agg_rec_saw_pe(struct mail_report_agg_rec *b)
{
	b->has_pe = true;
}

enum mp_err mail_report_agg_rec_add_auth(struct mail_report_agg_rec *b, bool dkim,
					 const char **what)
{
	size_t *n = dkim ? &b->n_dkim : &b->n_spf;
	struct auth_tmp *a = dkim ? b->dkim : b->spf;

	if (*n == MAIL_AGG_MAX_AUTH) {
		*what = dkim ? "too many auth_results in one record: more than 16 <dkim>"
			     : "too many auth_results in one record: more than 16 <spf>";
		return ERR_LIMIT;
	}
	b->auth = &a[*n];
	memset(b->auth, 0, sizeof *b->auth);
	(*n)++;
	return ERR_OK;
}

/* ---- setting values ---- */

/* Put s into the record arena and set *off to it. */
static enum mp_err keep(struct mail_report_agg_rec *b, const char *s, size_t len, size_t *off,
			const char **what)
{
	size_t at = b->arena.len;

	if (common_buf_append(&b->arena, s, len + 1) != ERR_OK) {
		*what = "record too large";
		return ERR_LIMIT;
	}
	*off = at;
	return ERR_OK;
}

static enum mp_err set_time(const char *s, size_t len, int64_t *out, bool *has, const char **what,
			    const char *bad)
{
	uint64_t v;

	if (common_str_to_u64(s, len, (uint64_t)INT64_MAX, &v) != ERR_OK) {
		*what = bad;
		return ERR_PARSE;
	}
	*out = (int64_t)v;
	*has = true;
	return ERR_OK;
}

static enum mp_err set_meta(struct mail_report_agg_rec *b, enum mail_agg_field f, char *s,
			    size_t len, const char **what)
{
	uint64_t v;

	if (b->meta_done)
		return ERR_OK; /* a late <version>: the meta already went out */
	switch (f) {
	case MAIL_AGG_F_BEGIN:
		return set_time(s, len, &b->begin, &b->has_begin, what,
				"date_range/begin is not a decimal unix time");
	case MAIL_AGG_F_END:
		return set_time(s, len, &b->end, &b->has_end, what,
				"date_range/end is not a decimal unix time");
	case MAIL_AGG_F_ADKIM:
	case MAIL_AGG_F_ASPF:
		/* RFC 7489 6.3: "r" (the default) or "s" */
		*(f == MAIL_AGG_F_ADKIM ? &b->adkim : &b->aspf) =
		    (len == 1 && (s[0] | 0x20) == 's') ? 's' : 'r';
		return ERR_OK;
	case MAIL_AGG_F_PCT:
		/* RFC 7489 6.3: 0..100; a garbled optional pct counts as absent */
		b->pct = common_str_to_u64(s, len, 100, &v) == ERR_OK ? (int)v : -1;
		return ERR_OK;
	case MAIL_AGG_F_DOMAIN:
	case MAIL_AGG_F_P:
	case MAIL_AGG_F_SP:
	case MAIL_AGG_F_NP:
	case MAIL_AGG_F_TESTING:
	case MAIL_AGG_F_DISCOVERY:
		lower(s, len);
		break;
	default:
		break;
	}
	free(b->ms[f]);
	b->ms[f] = xmemdup0(s, len);
	return ERR_OK;
}

static enum mp_err set_auth(struct mail_report_agg_rec *b, enum mail_agg_field f, char *s,
			    size_t len, const char **what)
{
	struct auth_tmp *a = b->auth;

	if (a == NULL)
		return ERR_OK; /* not inside a <dkim> / <spf> */
	switch (f) {
	case MAIL_AGG_F_AUTH_DOMAIN:
		lower(s, len);
		return keep(b, s, len, &a->domain, what);
	case MAIL_AGG_F_AUTH_SELECTOR:
		return keep(b, s, len, &a->selector, what);
	case MAIL_AGG_F_AUTH_SCOPE:
		lower(s, len);
		return keep(b, s, len, &a->scope, what);
	case MAIL_AGG_F_AUTH_RESULT:
		/* "Pass" is pass: real reporters upper-case result words */
		lower(s, len);
		a->res = result_word(s, len);
		return keep(b, s, len, &a->word, what);
	default: /* human_result */
		return keep(b, s, len, &a->human, what);
	}
}

static enum mp_err set_source_ip(struct mail_report_agg_rec *b, const char *s, const char **what)
{
	unsigned char bin[16];

	if (inet_pton(AF_INET, s, bin) == 1)
		b->has_ip = inet_ntop(AF_INET, bin, b->ip, sizeof b->ip) != NULL;
	else if (inet_pton(AF_INET6, s, bin) == 1)
		b->has_ip = inet_ntop(AF_INET6, bin, b->ip, sizeof b->ip) != NULL;
	else
		b->has_ip = false;
	if (!b->has_ip) {
		*what = "row/source_ip is not an IP address";
		return ERR_PARSE;
	}
	return ERR_OK;
}

static enum mp_err add_reason(struct mail_report_agg_rec *b, const char *s, size_t len,
			      const char **what)
{
	if (len == 0)
		return ERR_OK;
	if ((b->reasons.len > 0 && common_buf_putc(&b->reasons, ',') != ERR_OK) ||
	    common_buf_append(&b->reasons, s, len) != ERR_OK) {
		*what = "too many policy_evaluated/reason types";
		return ERR_LIMIT;
	}
	return ERR_OK;
}

static enum mp_err set_rec(struct mail_report_agg_rec *b, enum mail_agg_field f, char *s,
			   size_t len, const char **what)
{
	if (f != MAIL_AGG_F_SOURCE_IP && f != MAIL_AGG_F_COUNT)
		lower(s, len);
	switch (f) {
	case MAIL_AGG_F_SOURCE_IP:
		return set_source_ip(b, s, what);
	case MAIL_AGG_F_COUNT:
		b->has_count = common_str_to_u64(s, len, MAX_COUNT, &b->count) == ERR_OK;
		if (!b->has_count)
			*what = "row/count is not a decimal integer <= 2^53";
		return b->has_count ? ERR_OK : ERR_PARSE;
	case MAIL_AGG_F_DISPOSITION:
		b->disp = disposition_word(s, len);
		return ERR_OK;
	case MAIL_AGG_F_PE_DKIM:
		b->dkim_eval = result_word(s, len);
		return ERR_OK;
	case MAIL_AGG_F_PE_SPF:
		b->spf_eval = result_word(s, len);
		return ERR_OK;
	case MAIL_AGG_F_REASON_TYPE:
		return add_reason(b, s, len, what);
	case MAIL_AGG_F_HEADER_FROM:
		b->has_hf = len > 0;
		return keep(b, s, len, &b->hf, what);
	case MAIL_AGG_F_ENVELOPE_FROM:
		return keep(b, s, len, &b->ef, what);
	default: /* MAIL_AGG_F_ENVELOPE_TO */
		return keep(b, s, len, &b->et, what);
	}
}

enum mp_err mail_report_agg_rec_set(struct mail_report_agg_rec *b, enum mail_agg_field f, char *s,
				    size_t len, const char **what)
{
	trim(&s, &len);
	if (f == MAIL_AGG_F_NONE)
		return ERR_OK;
	if (f <= MAIL_AGG_F_DISCOVERY)
		return set_meta(b, f, s, len, what);
	if (f >= MAIL_AGG_F_AUTH_DOMAIN)
		return set_auth(b, f, s, len, what);
	return set_rec(b, f, s, len, what);
}

/* ---- taking the meta and the records ---- */

static const char *ms(const struct mail_report_agg_rec *b, enum mail_agg_field f)
{
	return b->ms[f] != NULL ? b->ms[f] : "";
}

static const char *meta_missing(const struct mail_report_agg_rec *b)
{
	if (ms(b, MAIL_AGG_F_RID)[0] == '\0')
		return "report_metadata/report_id missing";
	if (!b->has_begin || !b->has_end)
		return "report_metadata/date_range missing";
	if (b->begin > b->end)
		return "date_range begin is after end";
	if (ms(b, MAIL_AGG_F_DOMAIN)[0] == '\0')
		return "policy_published/domain missing";
	if (ms(b, MAIL_AGG_F_P)[0] == '\0')
		return "policy_published/p missing";
	return NULL;
}

enum mp_err mail_report_agg_rec_meta(struct mail_report_agg_rec *b, const struct mail_agg_meta **m,
				     const char **what)
{
	const char *org = ms(b, MAIL_AGG_F_ORG);
	const char *at = strrchr(ms(b, MAIL_AGG_F_EMAIL), '@');

	/* Some reporters leave org_name empty: name them by their address. */
	if (org[0] == '\0' && at != NULL && at[1] != '\0')
		org = at + 1;
	*what = org[0] == '\0' ? "report_metadata/org_name missing" : meta_missing(b);
	if (*what != NULL)
		return ERR_PARSE;
	b->meta_done = true;
	b->meta = (struct mail_agg_meta){
	    .version = ms(b, MAIL_AGG_F_VERSION),
	    .org_name = org,
	    .email = ms(b, MAIL_AGG_F_EMAIL),
	    .extra_contact = ms(b, MAIL_AGG_F_EXTRA),
	    .report_id = ms(b, MAIL_AGG_F_RID),
	    .begin = b->begin,
	    .end = b->end,
	    .domain = ms(b, MAIL_AGG_F_DOMAIN),
	    .p = ms(b, MAIL_AGG_F_P),
	    .sp = ms(b, MAIL_AGG_F_SP),
	    .np = ms(b, MAIL_AGG_F_NP),
	    .adkim = b->adkim,
	    .aspf = b->aspf,
	    .pct = b->pct,
	    .testing = ms(b, MAIL_AGG_F_TESTING),
	    .discovery = ms(b, MAIL_AGG_F_DISCOVERY),
	    .fo = ms(b, MAIL_AGG_F_FO),
	};
	*m = &b->meta;
	return ERR_OK;
}

static void fill_auth(const char *base, struct mail_agg_auth *out, const struct auth_tmp *in)
{
	*out = (struct mail_agg_auth){
	    .domain = base + in->domain,
	    .selector = base + in->selector,
	    .scope = base + in->scope,
	    .result = in->res,
	    .result_word = base + in->word,
	    .human = base + in->human,
	};
}

enum mp_err mail_report_agg_rec_record(struct mail_report_agg_rec *b, struct mail_agg_record *r,
				       const char **what)
{
	const char *base = b->arena.data;
	size_t i;

	*what = !b->has_ip	? "record without row/source_ip"
		: !b->has_count ? "record without row/count"
		: !b->has_pe	? "record without row/policy_evaluated"
		: !b->has_hf	? "record without identifiers/header_from"
				: NULL;
	if (*what != NULL)
		return ERR_PARSE;
	memcpy(r->source_ip, b->ip, sizeof r->source_ip);
	r->count = b->count;
	r->disposition = b->disp;
	r->dkim_eval = b->dkim_eval;
	r->spf_eval = b->spf_eval;
	r->reason_types = common_buf_str(&b->reasons);
	r->header_from = base + b->hf;
	r->envelope_from = base + b->ef;
	r->envelope_to = base + b->et;
	for (i = 0; i < b->n_dkim; i++)
		fill_auth(base, &r->dkim[i], &b->dkim[i]);
	for (i = 0; i < b->n_spf; i++)
		fill_auth(base, &r->spf[i], &b->spf[i]);
	r->n_dkim = b->n_dkim;
	r->n_spf = b->n_spf;
	return ERR_OK;
}
