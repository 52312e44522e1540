/*
 * dns/book: the question/answer book behind every check (see book.h for why
 * checks are re-run rather than called back).  Books are small (a few dozen
 * questions), so lookups are a linear scan.
 */
#include <stdio.h>
#include <string.h>
#include "common/str.h"
#include "common/xmalloc.h"
#include "dns/book.h"

enum entry_state { ST_NEEDED, ST_IN_FLIGHT, ST_ANSWERED };

struct entry {
	char *name; /* normalised: lower case, no trailing dot */
	uint16_t type;
	enum entry_state state;
	struct dns_answer *ans;
};

struct dns_book {
	struct entry *e;
	size_t n, cap, max;
	size_t in_flight;
};

struct dns_book *dns_book_new(size_t max_queries)
{
	struct dns_book *b = xcalloc(1, sizeof *b);

	b->max = max_queries;
	return b;
}

void dns_book_free(struct dns_book *book)
{
	if (book == NULL)
		return;
	for (size_t i = 0; i < book->n; i++) {
		free(book->e[i].name);
		dns_answer_free(book->e[i].ans);
	}
	free(book->e);
	free(book);
}

static char *normalise(const char *name)
{
	size_t len = strlen(name);
	char *r;

	if (len > 1 && name[len - 1] == '.')
		len--;
	r = xmemdup0(name, len);
	common_str_lower(r);
	return r;
}

/*
 * An empty label can never be asked: "a..b", ".a", or a second trailing dot
 * (the first one is dropped by normalise()).  Such a question is answered at
 * once as DNS_MALFORMED, so a check built on hostile data (a report address
 * "x@." makes "<d>._report._dmarc..") gets an answer instead of waiting for
 * one that no resolver would give.
 */
static bool has_empty_label(const char *norm)
{
	size_t len = strlen(norm);

	if (len == 1 && norm[0] == '.')
		return false; /* the root */
	return len == 0 || norm[0] == '.' || norm[len - 1] == '.' || strstr(norm, "..") != NULL;
}

static struct entry *find(struct dns_book *book, const char *norm, uint16_t type)
{
	for (size_t i = 0; i < book->n; i++)
		if (book->e[i].type == type && strcmp(book->e[i].name, norm) == 0)
			return &book->e[i];
	return NULL;
}

enum mp_err dns_book_get(struct dns_book *book, const char *name, uint16_t type,
			 const struct dns_answer **out)
{
	char *norm = normalise(name);
	struct entry *e = find(book, norm, type);

	if (e != NULL) {
		free(norm);
		if (e->state != ST_ANSWERED)
			return ERR_AGAIN;
		*out = e->ans;
		return ERR_OK;
	}
	if (book->n >= book->max) {
		free(norm);
		return ERR_LIMIT;
	}
	if (book->n == book->cap) {
		book->cap = book->cap ? book->cap * 2 : 16;
		book->e = xreallocarray(book->e, book->cap, sizeof *book->e);
	}
	e = &book->e[book->n++];
	e->name = norm;
	e->type = type;
	e->state = ST_NEEDED;
	e->ans = NULL;
	if (has_empty_label(norm)) {
		e->state = ST_ANSWERED;
		e->ans = dns_answer_new(norm, type, DNS_MALFORMED, "empty label");
		*out = e->ans;
		return ERR_OK;
	}
	return ERR_AGAIN;
}

bool dns_book_next_needed(struct dns_book *book, const char **name, uint16_t *type)
{
	for (size_t i = 0; i < book->n; i++) {
		if (book->e[i].state == ST_NEEDED) {
			book->e[i].state = ST_IN_FLIGHT;
			book->in_flight++;
			*name = book->e[i].name;
			*type = book->e[i].type;
			return true;
		}
	}
	return false;
}

size_t dns_book_in_flight(const struct dns_book *book)
{
	return book->in_flight;
}

void dns_book_put(struct dns_book *book, struct dns_answer *ans)
{
	char *lower = xstrdup(ans->name), *norm = normalise(ans->name);
	struct entry *e;

	/* Names handed out by dns_book_next_needed() are already normalised. */
	common_str_lower(lower);
	e = find(book, lower, ans->type);
	if (e == NULL)
		e = find(book, norm, ans->type);
	free(lower);
	free(norm);
	if (e == NULL || e->state == ST_ANSWERED) {
		dns_answer_free(ans);
		return;
	}
	if (e->state == ST_IN_FLIGHT)
		book->in_flight--;
	e->state = ST_ANSWERED;
	e->ans = ans;
}

size_t dns_book_count(const struct dns_book *book)
{
	return book->n;
}

const struct dns_answer *dns_book_at(const struct dns_book *book, size_t i, const char **name,
				     uint16_t *type)
{
	if (i >= book->n)
		return NULL;
	if (name)
		*name = book->e[i].name;
	if (type)
		*type = book->e[i].type;
	return book->e[i].ans;
}

struct dns_answer *dns_answer_new(const char *name, uint16_t type, enum dns_outcome outcome,
				  const char *why)
{
	struct dns_answer *a = xcalloc(1, sizeof *a);

	a->name = xstrdup(name);
	a->type = type;
	a->outcome = outcome;
	a->why = why ? xstrdup(why) : NULL;
	return a;
}

void dns_answer_add(struct dns_answer *ans, const void *data, size_t len, uint32_t ttl,
		    uint16_t pref)
{
	struct dns_rr *rr;

	ans->rr = xreallocarray(ans->rr, ans->n + 1, sizeof *ans->rr);
	rr = &ans->rr[ans->n++];
	rr->ttl = ttl;
	rr->pref = pref;
	rr->len = len;
	rr->data = xmemdup0(data, len);
}

void dns_answer_free(struct dns_answer *ans)
{
	if (ans == NULL)
		return;
	for (size_t i = 0; i < ans->n; i++)
		free(ans->rr[i].data);
	free(ans->rr);
	free(ans->name);
	free(ans->cname);
	free(ans->why);
	free(ans);
}

const char *dns_type_name(uint16_t type, char buf[12])
{
	switch (type) {
	case DNS_T_A:
		return "A";
	case DNS_T_NS:
		return "NS";
	case DNS_T_CNAME:
		return "CNAME";
	case DNS_T_SOA:
		return "SOA";
	case DNS_T_PTR:
		return "PTR";
	case DNS_T_MX:
		return "MX";
	case DNS_T_TXT:
		return "TXT";
	case DNS_T_AAAA:
		return "AAAA";
	default:
		snprintf(buf, 12, "TYPE%u", (unsigned)type);
		return buf;
	}
}

const char *dns_outcome_name(enum dns_outcome o)
{
	switch (o) {
	case DNS_DATA:
		return "data";
	case DNS_NODATA:
		return "nodata";
	case DNS_NXDOMAIN:
		return "nxdomain";
	case DNS_TEMPFAIL:
		return "tempfail";
	case DNS_MALFORMED:
		return "malformed";
	}
	return "?";
}
