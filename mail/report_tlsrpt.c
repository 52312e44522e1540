/*
 * mail/report_tlsrpt: SMTP TLS reports (RFC 8460 4) read from JSON through
 * common/json (see report_tlsrpt.h for the contract).
 *
 * Strictness: the members RFC 8460 4.4 requires must be there with the
 * right JSON type; counts must be JSON integers >= 0 (not strings, not
 * reals); dates must be RFC 3339 5.6 date-times (parsed here, no locale, no
 * strptime); an optional member that is null counts as absent, one of the
 * wrong type is refused (a half-understood report is worse than a refused
 * one: the caller quarantines it with the reason).  Unknown members are
 * ignored (RFC 8460 4.4 lets the format grow).  The total counts are not
 * checked against the sum of failure-details: real reporters disagree
 * (Mail.ru sends a total of 1 over details summing to 2), and RFC 8460 4.4
 * does not ask the details to be exhaustive.
 *
 * Strings are cut at 1 KiB on a UTF-8 boundary (jansson has already refused
 * invalid UTF-8) and control characters, \u0000 included, become spaces, so
 * every string out of here is one line of C text.
 *
 * What it does not: decompress, decide what a failure means for alerts, or
 * store anything.
 */
#include "config.h"

#include "mail/report_tlsrpt.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/str.h"
#include "common/xmalloc.h"

#define STR_MAX 1024
#define SNIFF_WINDOW 8192

struct ctx {
	char *why;
	size_t whysz;
	bool failed;
	enum mp_err err; /* the first error reported */
};

static enum mp_err bad(struct ctx *c, enum mp_err err, const char *fmt, ...) MP_PRINTF(3, 4);
static enum mp_err bad(struct ctx *c, enum mp_err err, const char *fmt, ...)
{
	va_list ap;

	if (!c->failed && c->why != NULL && c->whysz > 0) {
		va_start(ap, fmt);
		vsnprintf(c->why, c->whysz, fmt, ap);
		va_end(ap);
	}
	if (!c->failed)
		c->err = err;
	c->failed = true;
	return err;
}

/* One line of at most STR_MAX bytes of valid UTF-8. */
static char *clean_str(const char *s, size_t len)
{
	char *r;

	if (len > STR_MAX) {
		len = STR_MAX;
		/* Back off to a sequence start (jansson strings are valid UTF-8). */
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	r = xmemdup0(s, len);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)r[i] < 0x20 || r[i] == 0x7f)
			r[i] = ' ';
	return r;
}

/*
 * obj[key] as a string.  required: missing/null is an error, else "".
 * where names the object in the why text.
 */
static enum mp_err get_str(struct ctx *c, const struct common_json *obj, const char *where,
			   const char *key, bool required, char **out)
{
	const struct common_json *v = common_json_get(obj, key);
	const char *s;
	size_t len = 0;

	if (v == NULL || common_json_is_null(v)) {
		if (required)
			return bad(c, ERR_PARSE, "%smissing %s", where, key);
		*out = xstrdup("");
		return ERR_OK;
	}
	s = common_json_str_value(v, &len);
	if (s == NULL)
		return bad(c, ERR_PARSE, "%s%s is not a string", where, key);
	if (required && len == 0)
		return bad(c, ERR_PARSE, "%s%s is empty", where, key);
	*out = clean_str(s, len);
	return ERR_OK;
}

static enum mp_err get_count(struct ctx *c, const struct common_json *obj, const char *where,
			     const char *key, uint64_t *out)
{
	const struct common_json *v = common_json_get(obj, key);
	long long n;

	if (v == NULL)
		return bad(c, ERR_PARSE, "%smissing %s", where, key);
	if (!common_json_int_value(v, &n) || n < 0)
		return bad(c, ERR_PARSE, "%s%s is not a non-negative integer", where, key);
	*out = (uint64_t)n;
	return ERR_OK;
}

/* ---- RFC 3339 5.6 date-time ---- */

static bool digits(const char *s, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

/* The time-offset part: "Z" or "+hh:mm" / "-hh:mm" (RFC 3339 5.6), in seconds. */
static bool parse_offset(const char *s, size_t len, int64_t *off)
{
	int oh, om;

	if (len == 1 && (s[0] == 'Z' || s[0] == 'z')) {
		*off = 0;
		return true;
	}
	if (len != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' || !digits(s + 1, 2, &oh) ||
	    !digits(s + 4, 2, &om) || oh > 23 || om > 59)
		return false;
	*off = (s[0] == '-' ? -1 : 1) * (int64_t)(oh * 3600 + om * 60);
	return true;
}

/*
 * "2016-04-01T00:00:00Z", "2016-04-01T02:00:00.123+02:00" -> unix seconds
 * (fractions dropped).  RFC 3339 5.6; T and Z may be lower case, and the
 * note there allows a space for the T.  time-second 60 (a leap second) is
 * accepted.  False on anything else.
 */
static bool parse_datetime(const char *s, size_t len, int64_t *out)
{
	int y, mo, d, h, mi, sec;
	size_t i = 19;
	int64_t off;

	if (len < 20 || s[4] != '-' || s[7] != '-' || strchr("Tt ", s[10]) == NULL || s[10] == 0 ||
	    s[13] != ':' || s[16] != ':')
		return false;
	if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
	    !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &sec))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
		return false;
	if (s[i] == '.') {
		size_t f = ++i;

		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == f)
			return false;
	}
	if (!parse_offset(s + i, len - i, &off))
		return false;
	*out =
	    days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec - off;
	return true;
}

static enum mp_err get_time(struct ctx *c, const struct common_json *obj, const char *key,
			    int64_t *out)
{
	const struct common_json *v = common_json_get(obj, key);
	const char *s;
	size_t len = 0;

	if (v == NULL)
		return bad(c, ERR_PARSE, "date-range: missing %s", key);
	s = common_json_str_value(v, &len);
	if (s == NULL || !parse_datetime(s, len, out))
		return bad(c, ERR_PARSE, "date-range: %s is not an RFC 3339 date-time", key);
	return ERR_OK;
}

/* ---- policies ---- */

/*
 * obj[key]: an array of strings (or one string) joined with sep into *out;
 * "" when absent or null.  RFC 8460 4.4: policy-string and mx-host.
 */
static enum mp_err get_list(struct ctx *c, const struct common_json *obj, const char *where,
			    const char *key, char sep, char **out)
{
	const struct common_json *v = common_json_get(obj, key);
	size_t n = common_json_array_len(v), len;
	struct buf b;

	if (v == NULL || common_json_is_null(v) || common_json_str_value(v, &len) != NULL)
		return get_str(c, obj, where, key, false, out);
	if (!common_json_is_array(v))
		return bad(c, ERR_PARSE, "%s%s is not an array", where, key);
	if (n > MAIL_TLSRPT_MAX_LINES)
		return bad(c, ERR_LIMIT, "%s%s has more than %d items", where, key,
			   MAIL_TLSRPT_MAX_LINES);
	common_buf_init(&b, (size_t)MAIL_TLSRPT_MAX_LINES * (STR_MAX + 1) + 1);
	for (size_t i = 0; i < n; i++) {
		const char *s = common_json_str_value(common_json_array_at(v, i), &len);
		char *item;
		enum mp_err err;

		if (s == NULL) {
			common_buf_free(&b);
			return bad(c, ERR_PARSE, "%s%s[%zu] is not a string", where, key, i);
		}
		item = clean_str(s, len);
		err = (i > 0 ? common_buf_putc(&b, sep) : ERR_OK);
		if (err == ERR_OK)
			err = common_buf_puts(&b, item);
		free(item);
		if (err != ERR_OK)
			fatal("tlsrpt: list bound"); /* sized for the worst case above */
	}
	*out = common_buf_steal(&b, NULL);
	return ERR_OK;
}

static enum mp_err parse_failure(struct ctx *c, const struct common_json *o, const char *where,
				 struct mail_tlsrpt_failure *f)
{
	if (!common_json_is_object(o))
		return bad(c, ERR_PARSE, "%sis not an object", where);
	/* RFC 8460 4.4: result-type and failed-session-count are required. */
	if (get_str(c, o, where, "result-type", true, &f->result_type) != ERR_OK ||
	    get_count(c, o, where, "failed-session-count", &f->failed_session_count) != ERR_OK ||
	    get_str(c, o, where, "sending-mta-ip", false, &f->sending_mta_ip) != ERR_OK ||
	    get_str(c, o, where, "receiving-ip", false, &f->receiving_ip) != ERR_OK ||
	    get_str(c, o, where, "receiving-mx-hostname", false, &f->receiving_mx_hostname) !=
		ERR_OK ||
	    get_str(c, o, where, "additional-information", false, &f->additional_information) !=
		ERR_OK ||
	    get_str(c, o, where, "failure-reason-code", false, &f->failure_reason_code) != ERR_OK)
		return c->err;
	return ERR_OK;
}

static enum mp_err parse_failures(struct ctx *c, const struct common_json *o, size_t pi,
				  struct mail_tlsrpt_policy *p)
{
	const struct common_json *fd = common_json_get(o, "failure-details");
	size_t n = common_json_array_len(fd);
	char where[64];

	if (fd == NULL || common_json_is_null(fd))
		return ERR_OK;
	if (!common_json_is_array(fd))
		return bad(c, ERR_PARSE, "policies[%zu]: failure-details is not an array", pi);
	if (n > MAIL_TLSRPT_MAX_FAILURES)
		return bad(c, ERR_LIMIT, "policies[%zu]: more than %d failure-details", pi,
			   MAIL_TLSRPT_MAX_FAILURES);
	p->failures = xcalloc(n ? n : 1, sizeof(*p->failures));
	p->n_failures = n;
	for (size_t i = 0; i < n; i++) {
		snprintf(where, sizeof(where), "policies[%zu].failure-details[%zu]: ", pi, i);
		if (parse_failure(c, common_json_array_at(fd, i), where, &p->failures[i]) != ERR_OK)
			return c->err;
	}
	return ERR_OK;
}

static bool policy_type_ok(const char *t)
{
	/* RFC 8460 4.4 / 4.5: the three policy types. */
	return strcmp(t, "sts") == 0 || strcmp(t, "tlsa") == 0 || strcmp(t, "no-policy-found") == 0;
}

static enum mp_err parse_policy(struct ctx *c, const struct common_json *o, size_t i,
				struct mail_tlsrpt_policy *p)
{
	const struct common_json *pol = common_json_get(o, "policy");
	const struct common_json *sum = common_json_get(o, "summary");
	char where[48];

	snprintf(where, sizeof(where), "policies[%zu]: ", i);
	if (!common_json_is_object(o))
		return bad(c, ERR_PARSE, "%sis not an object", where);
	if (!common_json_is_object(pol))
		return bad(c, ERR_PARSE, "%s%s policy", where, pol ? "non-object" : "missing");
	if (!common_json_is_object(sum))
		return bad(c, ERR_PARSE, "%s%s summary", where, sum ? "non-object" : "missing");
	snprintf(where, sizeof(where), "policies[%zu].policy: ", i);
	if (get_str(c, pol, where, "policy-type", true, &p->policy_type) != ERR_OK ||
	    get_str(c, pol, where, "policy-domain", true, &p->policy_domain) != ERR_OK ||
	    get_list(c, pol, where, "policy-string", '\n', &p->policy_string) != ERR_OK ||
	    get_list(c, pol, where, "mx-host", ',', &p->mx_host) != ERR_OK)
		return c->err;
	if (!policy_type_ok(p->policy_type))
		return bad(c, ERR_PARSE, "%sunknown policy-type", where);
	common_str_lower(p->policy_domain);
	snprintf(where, sizeof(where), "policies[%zu].summary: ", i);
	if (get_count(c, sum, where, "total-successful-session-count", &p->success) != ERR_OK ||
	    get_count(c, sum, where, "total-failure-session-count", &p->failure) != ERR_OK)
		return c->err;
	return parse_failures(c, o, i, p);
}

static enum mp_err parse_policies(struct ctx *c, const struct common_json *root,
				  struct mail_tlsrpt *t)
{
	const struct common_json *arr = common_json_get(root, "policies");
	size_t n = common_json_array_len(arr);

	if (arr == NULL)
		return bad(c, ERR_PARSE, "missing policies");
	if (!common_json_is_array(arr))
		return bad(c, ERR_PARSE, "policies is not an array");
	if (n > MAIL_TLSRPT_MAX_POLICIES)
		return bad(c, ERR_LIMIT, "more than %d policies", MAIL_TLSRPT_MAX_POLICIES);
	t->policies = xcalloc(n ? n : 1, sizeof(*t->policies));
	t->n_policies = n;
	for (size_t i = 0; i < n; i++)
		if (parse_policy(c, common_json_array_at(arr, i), i, &t->policies[i]) != ERR_OK)
			return c->err;
	return ERR_OK;
}

/* ---- the report ---- */

static enum mp_err parse_root(struct ctx *c, const struct common_json *root, struct mail_tlsrpt *t)
{
	const struct common_json *dr = common_json_get(root, "date-range");

	if (!common_json_is_object(root))
		return bad(c, ERR_PARSE, "not a JSON object");
	/* RFC 8460 4.4: the required top-level members. */
	if (get_str(c, root, "", "organization-name", true, &t->org_name) != ERR_OK ||
	    get_str(c, root, "", "report-id", true, &t->report_id) != ERR_OK ||
	    get_str(c, root, "", "contact-info", false, &t->contact_info) != ERR_OK)
		return c->err;
	if (dr == NULL)
		return bad(c, ERR_PARSE, "missing date-range");
	if (!common_json_is_object(dr))
		return bad(c, ERR_PARSE, "date-range is not an object");
	if (get_time(c, dr, "start-datetime", &t->begin) != ERR_OK ||
	    get_time(c, dr, "end-datetime", &t->end) != ERR_OK)
		return c->err;
	if (t->end < t->begin)
		return bad(c, ERR_PARSE, "date-range ends before it starts");
	return parse_policies(c, root, t);
}

enum mp_err mail_report_tlsrpt_parse(const char *p, size_t len, struct mail_tlsrpt *out, char *why,
				     size_t whysz)
{
	struct ctx c = {.why = why, .whysz = whysz};
	struct common_json *root = NULL;
	struct mail_tlsrpt t;
	size_t at = 0;
	enum mp_err err;

	memset(&t, 0, sizeof(t));
	if (len > MAIL_TLSRPT_MAX_BYTES)
		return bad(&c, ERR_LIMIT, "report larger than %u bytes", MAIL_TLSRPT_MAX_BYTES);
	if (p == NULL)
		return bad(&c, ERR_PARSE, "empty report");
	/* RFC 8259 8.1: a parser MAY ignore a byte order mark; some writers add one. */
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		len -= 3;
	}
	if (common_json_parse_at(p, len, &root, &at) != ERR_OK)
		return bad(&c, ERR_PARSE, "not valid JSON (stopped at byte %zu)", at);
	err = parse_root(&c, root, &t);
	common_json_free(root);
	if (err == ERR_OK && c.failed)
		err = c.err; /* an error a helper reported through its ctx only */
	if (err != ERR_OK) {
		mail_tlsrpt_free(&t);
		return err;
	}
	*out = t;
	return ERR_OK;
}

void mail_tlsrpt_free(struct mail_tlsrpt *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; t->policies && i < t->n_policies; i++) {
		struct mail_tlsrpt_policy *p = &t->policies[i];

		for (size_t j = 0; p->failures && j < p->n_failures; j++) {
			struct mail_tlsrpt_failure *f = &p->failures[j];

			free(f->result_type);
			free(f->sending_mta_ip);
			free(f->receiving_ip);
			free(f->receiving_mx_hostname);
			free(f->additional_information);
			free(f->failure_reason_code);
		}
		free(p->failures);
		free(p->policy_type);
		free(p->policy_domain);
		free(p->policy_string);
		free(p->mx_host);
	}
	free(t->policies);
	free(t->org_name);
	free(t->contact_info);
	free(t->report_id);
	memset(t, 0, sizeof(*t));
}

bool mail_report_tlsrpt_sniff(const char *p, size_t len)
{
	size_t i = 0, win;

	if (p == NULL)
		return false;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		i = 3; /* a UTF-8 BOM some writers add */
	while (i < len && strchr(" \t\r\n", p[i]) != NULL && p[i] != '\0')
		i++;
	if (i >= len || p[i] != '{')
		return false;
	win = len - i < SNIFF_WINDOW ? len - i : SNIFF_WINDOW;
	return memmem(p + i, win, "\"organization-name\"", 19) != NULL ||
	       memmem(p + i, win, "\"policies\"", 10) != NULL;
}
