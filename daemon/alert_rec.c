/*
 * daemon/alert_rec: the alert engine's records (see alert_rec.h).
 */
#include <string.h>
#include "common/xmalloc.h"
#include "daemon/alert_rec.h"

void daemon_alert_rec_findings_free(struct daemon_alert_finding *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].code);
		free(f[i].message);
		free(f[i].fix);
	}
	free(f);
}

void daemon_alert_rec_clear(struct daemon_alert_record *r)
{
	free(r->domain);
	free(r->check);
	daemon_alert_rec_findings_free(r->findings, r->nfindings);
	memset(r, 0, sizeof *r);
}

/* A copy of s cut to DAEMON_ALERT_MAX_TEXT bytes without splitting a UTF-8 sequence. */
char *daemon_alert_rec_text_dup(const char *s)
{
	size_t len;

	if (s == NULL)
		return NULL;
	len = strnlen(s, DAEMON_ALERT_MAX_TEXT + 1);
	if (len > DAEMON_ALERT_MAX_TEXT) {
		len = DAEMON_ALERT_MAX_TEXT;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	return xmemdup0(s, len);
}

struct daemon_alert_finding *daemon_alert_rec_findings_dup(const struct daemon_alert_finding *f,
							   size_t n)
{
	struct daemon_alert_finding *c;

	if (n == 0)
		return NULL;
	c = xcalloc(n, sizeof *c);
	for (size_t i = 0; i < n; i++) {
		c[i].code = daemon_alert_rec_text_dup(f[i].code);
		c[i].sev = f[i].sev;
		c[i].message = daemon_alert_rec_text_dup(f[i].message);
		c[i].fix = daemon_alert_rec_text_dup(f[i].fix);
	}
	return c;
}

void daemon_alert_rec_copy(struct daemon_alert_record *dst, const struct daemon_alert_record *src)
{
	*dst = *src;
	dst->domain = xstrdup(src->domain);
	dst->check = xstrdup(src->check);
	dst->findings = daemon_alert_rec_findings_dup(src->findings, src->nfindings);
}

static int key_cmp(const char *d1, const char *c1, enum dns_sev s1, const char *d2, const char *c2,
		   enum dns_sev s2)
{
	int r = strcmp(d1, d2);

	if (r == 0)
		r = strcmp(c1, c2);
	if (r == 0)
		r = (int)s1 - (int)s2;
	return r;
}

static int rec_cmp(const void *x, const void *y)
{
	const struct daemon_alert_record *a = x, *b = y;
	int r = key_cmp(a->domain, a->check, a->severity, b->domain, b->check, b->severity);

	if (r == 0)
		r = (a->started_at > b->started_at) - (a->started_at < b->started_at);
	return r;
}

/* First index whose key is >= (domain, check, sev); check NULL: first of domain. */
size_t daemon_alert_rec_lower_bound(const struct daemon_alert_rec_set *a, const char *domain,
				    const char *check, enum dns_sev sev)
{
	size_t lo = 0, hi = a->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct daemon_alert_record *r = &a->v[mid];
		int c = check == NULL
			    ? strcmp(r->domain, domain)
			    : key_cmp(r->domain, r->check, r->severity, domain, check, sev);

		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The open (not CLOSED) record of a key, or NULL. */
struct daemon_alert_record *daemon_alert_rec_find_open(const struct daemon_alert_rec_set *a,
						       const char *domain, const char *check,
						       enum dns_sev sev)
{
	for (size_t i = daemon_alert_rec_lower_bound(a, domain, check, sev); i < a->n; i++) {
		struct daemon_alert_record *r = &a->v[i];

		if (key_cmp(r->domain, r->check, r->severity, domain, check, sev) != 0)
			break;
		if (r->phase != DAEMON_ALERT_CLOSED)
			return r;
	}
	return NULL;
}

/* Insert a fresh PENDING record (started now) and return it. */
struct daemon_alert_record *daemon_alert_rec_insert(struct daemon_alert_rec_set *a,
						    const char *domain, const char *check,
						    enum dns_sev sev, int64_t now)
{
	struct daemon_alert_record k = {
	    .domain = (char *)domain, .check = (char *)check, .severity = sev, .started_at = now};
	size_t i = daemon_alert_rec_lower_bound(a, domain, check, sev);

	while (i < a->n && rec_cmp(&a->v[i], &k) <= 0)
		i++;
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 16;
		a->v = xreallocarray(a->v, a->cap, sizeof *a->v);
	}
	memmove(&a->v[i + 1], &a->v[i], (a->n - i) * sizeof *a->v);
	a->n++;
	memset(&a->v[i], 0, sizeof a->v[i]);
	a->v[i].domain = xstrdup(domain);
	a->v[i].check = xstrdup(check);
	a->v[i].severity = sev;
	a->v[i].phase = DAEMON_ALERT_PENDING;
	a->v[i].started_at = now;
	return &a->v[i];
}

void daemon_alert_rec_remove_at(struct daemon_alert_rec_set *a, size_t i)
{
	daemon_alert_rec_clear(&a->v[i]);
	memmove(&a->v[i], &a->v[i + 1], (a->n - i - 1) * sizeof *a->v);
	a->n--;
}

void daemon_alert_rec_remove(struct daemon_alert_rec_set *a, struct daemon_alert_record *r)
{
	daemon_alert_rec_remove_at(a, (size_t)(r - a->v));
}

static bool id_ok(const char *id)
{
	size_t i;

	for (i = 0; i < DAEMON_ALERT_ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return id[i] == '\0';
}

static bool owed_ok(const struct daemon_alert_record *r)
{
	switch (r->owed) {
	case DAEMON_ALERT_NONE:
		return true;
	case DAEMON_ALERT_FIRING_EV:
	case DAEMON_ALERT_REMINDER_EV:
		return r->phase == DAEMON_ALERT_FIRING || r->phase == DAEMON_ALERT_RESOLVING;
	case DAEMON_ALERT_RESOLVED_EV:
		return r->phase == DAEMON_ALERT_CLOSED;
	case DAEMON_ALERT_TEST_EV:
		return false;
	}
	return false;
}

bool daemon_alert_rec_ok(const struct daemon_alert_record *r)
{
	if (r->domain == NULL || r->check == NULL || r->check[0] == '\0')
		return false;
	if (r->severity != SEV_WARN && r->severity != SEV_CRITICAL)
		return false;
	if (r->phase < DAEMON_ALERT_PENDING || r->phase > DAEMON_ALERT_CLOSED)
		return false;
	if (r->fired < DAEMON_ALERT_DLV_NONE || r->fired > DAEMON_ALERT_DLV_FAILED)
		return false;
	if (!owed_ok(r) || r->nfindings > DAEMON_ALERT_MAX_FINDINGS ||
	    (r->nfindings > 0 && r->findings == NULL))
		return false;
	if (r->phase == DAEMON_ALERT_PENDING ? r->episode_id[0] != '\0' : !id_ok(r->episode_id))
		return false;
	for (size_t i = 0; i < r->nfindings; i++)
		if (r->findings[i].code == NULL || r->findings[i].message == NULL)
			return false;
	return true;
}

void daemon_alert_rec_set_free(struct daemon_alert_rec_set *a)
{
	for (size_t i = 0; i < a->n; i++)
		daemon_alert_rec_clear(&a->v[i]);
	free(a->v);
	memset(a, 0, sizeof *a);
}

bool daemon_alert_rec_set_ok(const struct daemon_alert_record *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!daemon_alert_rec_ok(&v[i]))
			return false;
		if (v[i].phase == DAEMON_ALERT_CLOSED)
			continue;
		for (size_t j = 0; j < i; j++)
			if (v[j].phase != DAEMON_ALERT_CLOSED &&
			    key_cmp(v[i].domain, v[i].check, v[i].severity, v[j].domain, v[j].check,
				    v[j].severity) == 0)
				return false;
	}
	return true;
}

void daemon_alert_rec_set_assign(struct daemon_alert_rec_set *a,
				 const struct daemon_alert_record *v, size_t n)
{
	struct daemon_alert_record *c = n ? xcalloc(n, sizeof *c) : NULL;

	for (size_t i = 0; i < n; i++)
		daemon_alert_rec_copy(&c[i], &v[i]);
	if (n > 1)
		qsort(c, n, sizeof *c, rec_cmp);
	daemon_alert_rec_set_free(a);
	a->v = c;
	a->n = a->cap = n;
}
