/*
 * dns/book: the question/answer book behind every check (see book.h for why
 * checks are re-run rather than called back).  Books are small (a few dozen
 * questions), so lookups are a linear scan; why it is still cheap: each
 * entry keeps its name's length, and a looked-up name is compared in place
 * (or lower-cased on the stack), so a lookup allocates nothing and compares
 * bytes only with entries of the same type and length.
 *
 * The memo (book.h) is an open-addressing hash table of (kind, key bytes)
 * -> value, grown at half load, bounded by DNS_BOOK_MEMO_MAX entries and
 * DNS_BOOK_MEMO_KEY_BYTES key bytes.
 */
#include <stdio.h>
#include <string.h>
#include "common/str.h"
#include "common/xmalloc.h"
#include "dns/book.h"

enum entry_state { ST_NEEDED, ST_IN_FLIGHT, ST_ANSWERED };

struct entry {
	char *name; /* normalised: lower case, no trailing dot */
	size_t len;
	uint16_t type;
	enum entry_state state;
	struct dns_answer *ans;
};

struct memo {
	const struct dns_book_memo_kind *kind; /* NULL: an empty slot */
	uint64_t hash;
	char *key;
	size_t len;
	void *value;
};

struct dns_book {
	struct entry *e;
	size_t n, cap, max;
	size_t in_flight;
	struct memo *m; /* m_cap slots, a power of two, at most half full */
	size_t m_n, m_cap, m_bytes;
};

/* Names up to this long are lower-cased on the stack. */
#define QKEY_STACK 256

/* A name being looked up: lower case, no trailing dot when asked. */
struct qkey {
	const char *s; /* the name itself when already normal, else buf or heap */
	char *own;     /* NULL, buf, or a heap copy for a long name */
	size_t len;
	char buf[QKEY_STACK];
};

static bool is_upper(unsigned char c)
{
	return (unsigned)(c - 'A') < 26u;
}

/*
 * True when one of the 8 bytes of x is 'A'..'Z': a byte's top bit ends up
 * set in ge_a when its low seven bits are >= 'A', in gt_z when they are
 * > 'Z'; the sums stay inside each byte (at most 0x7f + 0x3f).
 */
static bool has_upper8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t low = x & ~high;
	uint64_t ge_a = low + ones * (0x80 - 'A'), gt_z = low + ones * (0x80 - 'Z' - 1);

	return (ge_a & ~gt_z & ~x & high) != 0;
}

/* Index of the first upper-case byte of name[0..len), or len; 8 bytes a step. */
static size_t first_upper(const char *name, size_t len)
{
	size_t i = 0;
	uint64_t x;

	for (; len - i >= 8; i += 8) {
		memcpy(&x, name + i, 8);
		if (has_upper8(x))
			break;
	}
	while (i < len && !is_upper((unsigned char)name[i]))
		i++;
	return i;
}

/*
 * Why not always copy: checks ask for names they built in lower case, so
 * most lookups only scan the name and compare it in place.
 */
static void qkey_init(struct qkey *k, const char *name, bool strip_dot)
{
	size_t len = strlen(name), i;

	if (strip_dot && len > 1 && name[len - 1] == '.')
		len--;
	i = first_upper(name, len);
	k->len = len;
	k->own = NULL;
	k->s = name;
	if (i == len && name[len] == '\0')
		return;
	k->own = len < sizeof k->buf ? k->buf : xmalloc(len + 1);
	memcpy(k->own, name, i);
	for (; i < len; i++)
		k->own[i] = (char)common_str_lc((unsigned char)name[i]);
	k->own[len] = '\0';
	k->s = k->own;
}

static void qkey_done(struct qkey *k)
{
	if (k->own != k->buf)
		free(k->own);
}

/* The name as a heap string the entry owns (k is done afterwards). */
static char *qkey_take(struct qkey *k)
{
	if (k->own != NULL && k->own != k->buf)
		return k->own;
	return xmemdup0(k->s, k->len);
}

static void memo_free_all(struct dns_book *book)
{
	for (size_t i = 0; i < book->m_cap; i++) {
		struct memo *m = &book->m[i];

		if (m->kind == NULL)
			continue;
		if (m->kind->free != NULL)
			m->kind->free(m->value);
		free(m->key);
	}
	free(book->m);
}

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
	memo_free_all(book);
	free(book);
}

/*
 * An empty label can never be asked: "a..b", ".a", or a second trailing dot
 * (the first one is dropped by the lookup).  Such a question is answered at
 * once as DNS_MALFORMED, so a check built on hostile data (a report address
 * "x@." makes "<d>._report._dmarc..") gets an answer instead of waiting for
 * one that no resolver would give.
 */
static bool has_empty_label(const char *norm, size_t len)
{
	if (len == 1 && norm[0] == '.')
		return false; /* the root */
	return len == 0 || norm[0] == '.' || norm[len - 1] == '.' || strstr(norm, "..") != NULL;
}

static struct entry *find(struct dns_book *book, const struct qkey *k, uint16_t type)
{
	for (size_t i = 0; i < book->n; i++) {
		struct entry *e = &book->e[i];

		if (e->type == type && e->len == k->len && memcmp(e->name, k->s, k->len) == 0)
			return e;
	}
	return NULL;
}

/* A new needed entry for k (which it takes). */
static struct entry *add_entry(struct dns_book *book, struct qkey *k, uint16_t type)
{
	struct entry *e;

	if (book->n == book->cap) {
		book->cap = book->cap ? book->cap * 2 : 16;
		book->e = xreallocarray(book->e, book->cap, sizeof *book->e);
	}
	e = &book->e[book->n++];
	e->len = k->len;
	e->name = qkey_take(k);
	e->type = type;
	e->state = ST_NEEDED;
	e->ans = NULL;
	return e;
}

enum mp_err dns_book_get(struct dns_book *book, const char *name, uint16_t type,
			 const struct dns_answer **out)
{
	struct qkey k;
	struct entry *e;

	qkey_init(&k, name, true);
	e = find(book, &k, type);
	if (e != NULL) {
		qkey_done(&k);
		if (e->state != ST_ANSWERED)
			return ERR_AGAIN;
		*out = e->ans;
		return ERR_OK;
	}
	if (book->n >= book->max) {
		qkey_done(&k);
		return ERR_LIMIT;
	}
	e = add_entry(book, &k, type);
	if (has_empty_label(e->name, e->len)) {
		e->state = ST_ANSWERED;
		e->ans = dns_answer_new(e->name, type, DNS_MALFORMED, "empty label");
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
	struct qkey k;
	struct entry *e;

	/* Names handed out by dns_book_next_needed() are already normalised. */
	qkey_init(&k, ans->name, false);
	e = find(book, &k, ans->type);
	if (e == NULL && k.len > 1 && k.s[k.len - 1] == '.') {
		qkey_done(&k);
		qkey_init(&k, ans->name, true);
		e = find(book, &k, ans->type);
	}
	qkey_done(&k);
	if (e == NULL || e->state == ST_ANSWERED) {
		dns_answer_free(ans);
		return;
	}
	if (e->state == ST_IN_FLIGHT)
		book->in_flight--;
	e->state = ST_ANSWERED;
	e->ans = ans;
}

/*
 * FNV-1a style over the key, seeded with the kind's address, eight bytes a
 * step (keys are records of up to 64 KB); each step folds the high half
 * down, since a product's low bits see only its operands' low bits.
 */
static uint64_t memo_hash(const struct dns_book_memo_kind *kind, const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 14695981039346656037ULL ^ (uint64_t)(uintptr_t)kind ^ len, w;
	size_t i = 0;

	for (; len - i >= 8; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 1099511628211ULL;
		h ^= h >> 32;
	}
	for (; i < len; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h ^ (h >> 29);
}

/* The slot holding (kind, key), or the empty slot where it would go. */
static struct memo *memo_slot(const struct dns_book *book, const struct dns_book_memo_kind *kind,
			      const void *key, size_t len, uint64_t h)
{
	size_t mask = book->m_cap - 1;

	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		struct memo *m = &book->m[i];

		if (m->kind == NULL || (m->hash == h && m->kind == kind && m->len == len &&
					memcmp(m->key, key, len) == 0))
			return m;
	}
}

void *dns_book_memo_get(const struct dns_book *book, const struct dns_book_memo_kind *kind,
			const void *key, size_t len)
{
	if (book->m_n == 0)
		return NULL;
	return memo_slot(book, kind, key, len, memo_hash(kind, key, len))->value;
}

static void memo_grow(struct dns_book *book)
{
	struct dns_book old = *book;

	book->m_cap = old.m_cap ? old.m_cap * 2 : 16;
	book->m = xcalloc(book->m_cap, sizeof *book->m);
	for (size_t i = 0; i < old.m_cap; i++)
		if (old.m[i].kind != NULL)
			*memo_slot(book, old.m[i].kind, old.m[i].key, old.m[i].len, old.m[i].hash) =
			    old.m[i];
	free(old.m);
}

bool dns_book_memo_put(struct dns_book *book, const struct dns_book_memo_kind *kind,
		       const void *key, size_t len, void *value)
{
	struct memo *m;
	uint64_t h;

	if (kind == NULL || value == NULL || book->m_n >= DNS_BOOK_MEMO_MAX ||
	    len > DNS_BOOK_MEMO_KEY_BYTES - book->m_bytes)
		return false;
	if (2 * (book->m_n + 1) > book->m_cap)
		memo_grow(book);
	h = memo_hash(kind, key, len);
	m = memo_slot(book, kind, key, len, h);
	if (m->kind != NULL)
		return false; /* already there: the first value stays */
	m->kind = kind;
	m->hash = h;
	m->key = xmemdup0(key, len);
	m->len = len;
	m->value = value;
	book->m_n++;
	book->m_bytes += len;
	return true;
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
