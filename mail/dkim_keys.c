/*
 * mail/dkim_keys: the decoded-key cache of mail/dkim's fast path; see
 * mail/dkim_keys.h.  One mutex guards the table and the reference counts;
 * parsing and decoding run outside it.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "dns/dkim_key.h"
#include "dns/tags.h"
#include "mail/dkim_keys.h"

struct entry {
	struct mail_dkim_key k; /* first: a key pointer is its entry's */
	char *txt;
	size_t len;
	uint64_t hash;
	uint64_t last_use;
	unsigned refs; /* the table's own reference + holders' */
};

struct mail_dkim_keys {
	pthread_mutex_t mu;
	struct entry **e;
	size_t n, max;
	uint64_t tick;
};

/* FNV-1a 64 over the record: cheap, and only narrows the memcmp. */
static uint64_t hash_of(const char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3u;
	}
	return h;
}

struct mail_dkim_keys *mail_dkim_keys_new(size_t max)
{
	struct mail_dkim_keys *c = xcalloc(1, sizeof *c);

	c->max = max ? max : 1;
	c->e = xcalloc(c->max, sizeof *c->e);
	if (pthread_mutex_init(&c->mu, NULL) != 0)
		fatal("dkim_keys: pthread_mutex_init failed");
	return c;
}

static void entry_free(struct entry *e)
{
	common_crypto_verifier_free(e->k.v);
	free(e->txt);
	free(e);
}

void mail_dkim_keys_free(struct mail_dkim_keys *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		entry_free(c->e[i]);
	free(c->e);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* Only the tags RFC 6376 3.6.1 defines (an unknown one: let libopendkim judge). */
static bool plain_tags(const char *txt, size_t len)
{
	struct dns_tags *t = xmalloc(sizeof *t);
	char why[128];
	bool ok = dns_tags_parse(txt, len, 0, t, why, sizeof why) == ERR_OK;

	for (size_t i = 0; ok && i < t->n; i++)
		ok = t->v[i].name_len == 1 && strchr("vkhstpn", t->v[i].name[0]) != NULL;
	free(t);
	return ok;
}

/* Parse and decode one record (outside the lock). */
static struct entry *entry_make(const char *txt, size_t len, uint64_t hash)
{
	struct entry *e = xcalloc(1, sizeof *e);
	struct dns_dkim_key key;
	char why[256];

	e->txt = xmemdup0(txt, len);
	e->len = len;
	e->hash = hash;
	if (memchr(txt, '\0', len) != NULL || !plain_tags(txt, len) ||
	    dns_dkim_key_parse(txt, len, &key, why, sizeof why) != ERR_OK)
		return e;
	e->k.type = key.pub.type;
	e->k.bits = key.pub.bits;
	e->k.testing = key.testing;
	/* RFC 8301 3.2: verifiers must not accept RSA keys under 1024 bits. */
	if (!key.revoked && !key.strict &&
	    (key.type == COMMON_CRYPTO_ED25519 || key.pub.bits >= 1024) &&
	    common_crypto_verifier_new(&key.pub, &e->k.v) == ERR_OK)
		e->k.usable = true;
	dns_dkim_key_free(&key);
	return e;
}

static struct entry *find(struct mail_dkim_keys *c, const char *txt, size_t len, uint64_t hash)
{
	for (size_t i = 0; i < c->n; i++) {
		struct entry *e = c->e[i];

		if (e->hash == hash && e->len == len && memcmp(e->txt, txt, len) == 0)
			return e;
	}
	return NULL;
}

/* Drop one reference; the last one frees.  Under the lock. */
static void unref(struct entry *e)
{
	if (--e->refs == 0)
		entry_free(e);
}

/* Make room by dropping the least recently used entry.  Under the lock. */
static void evict(struct mail_dkim_keys *c)
{
	size_t lru = 0;

	for (size_t i = 1; i < c->n; i++)
		if (c->e[i]->last_use < c->e[lru]->last_use)
			lru = i;
	unref(c->e[lru]);
	c->e[lru] = c->e[--c->n];
}

const struct mail_dkim_key *mail_dkim_keys_get(struct mail_dkim_keys *c, const char *txt,
					       size_t len)
{
	uint64_t hash = hash_of(txt, len);
	struct entry *e, *made;

	pthread_mutex_lock(&c->mu);
	e = find(c, txt, len, hash);
	if (e != NULL) {
		e->refs++;
		e->last_use = ++c->tick;
		pthread_mutex_unlock(&c->mu);
		return &e->k;
	}
	pthread_mutex_unlock(&c->mu);
	made = entry_make(txt, len, hash);
	pthread_mutex_lock(&c->mu);
	e = find(c, txt, len, hash); /* another thread may have made it meanwhile */
	if (e == NULL) {
		if (c->n == c->max)
			evict(c);
		e = made;
		e->refs = 1;
		c->e[c->n++] = e;
		made = NULL;
	}
	e->refs++;
	e->last_use = ++c->tick;
	pthread_mutex_unlock(&c->mu);
	if (made != NULL)
		entry_free(made);
	return &e->k;
}

void mail_dkim_keys_release(struct mail_dkim_keys *c, const struct mail_dkim_key *k)
{
	if (k == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	unref((struct entry *)(void *)k);
	pthread_mutex_unlock(&c->mu);
}

size_t mail_dkim_keys_count(struct mail_dkim_keys *c)
{
	size_t n;

	pthread_mutex_lock(&c->mu);
	n = c->n;
	pthread_mutex_unlock(&c->mu);
	return n;
}

/* [in, in+len) without FWS into out (size outsz); false when it does not fit. */
static bool strip_fws(const char *in, char *out, size_t outsz, size_t *outlen)
{
	size_t n = 0;

	for (size_t i = 0; in[i] != '\0'; i++) {
		if (in[i] == ' ' || in[i] == '\t' || in[i] == '\r' || in[i] == '\n')
			continue;
		if (n + 1 >= outsz)
			return false;
		out[n++] = in[i];
	}
	out[n] = '\0';
	*outlen = n;
	return true;
}

/* Base64 tag value (FWS allowed, RFC 6376 3.5) decoded; caller frees *out. */
static bool tag_decode(const char *tag, unsigned char **out, size_t *outlen)
{
	char buf[4096]; /* an RSA-16384 b= is 2,732 characters; longer: full path */
	size_t n;

	return tag != NULL && strip_fws(tag, buf, sizeof buf, &n) && n > 0 &&
	       common_crypto_b64_decode(buf, n, out, outlen) == ERR_OK;
}

bool mail_dkim_keys_check(const struct mail_dkim_key *k, const void *hh, size_t hhlen,
			  const void *bh, size_t bhlen, const char *bh_tag, const char *b_tag)
{
	unsigned char *want = NULL, *sig = NULL;
	size_t wantlen = 0, siglen = 0;
	bool ok;

	if (!k->usable || hhlen != 32 || bhlen != 32)
		return false;
	/* RFC 6376 6.1.3 step 4: the body hash first, then the signature. */
	ok = tag_decode(bh_tag, &want, &wantlen) && wantlen == bhlen &&
	     memcmp(want, bh, bhlen) == 0 && tag_decode(b_tag, &sig, &siglen) &&
	     common_crypto_verifier_check(k->v, hh, hhlen, sig, siglen);
	free(want);
	free(sig);
	return ok;
}
