/*
 * mail/dkim_keys: a small, bounded, thread-safe cache of decoded DKIM key
 * records for mail/dkim's fast verification path (RFC 6376 3.6.1 key
 * records, RFC 8463 ed25519 keys, RFC 8301 key sizes).
 *
 * Why: decoding a public key costs OpenSSL several times more than the RSA
 * verification itself, and libopendkim decodes the key again for every
 * signature.  Probe mail comes from a handful of selectors, so each published
 * record is parsed (dns/dkim_key) and decoded (common/crypto) once and kept.
 *
 * Keyed by the exact bytes of the TXT record (so by the exact p= bytes and
 * every other tag with them): a changed record is simply another entry.  At
 * most max entries; when full, the least recently used entry is dropped
 * (entries still in use by another thread are freed when released).
 *
 * What it does not: fetch records (the caller reads the book), verify
 * messages (mail/dkim), or explain why a record is unusable: an unusable
 * record sends mail/dkim down libopendkim's full path, which words the reason.
 */
#ifndef MAILPULSE_MAIL_DKIM_KEYS_H
#define MAILPULSE_MAIL_DKIM_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include "common/crypto.h"

struct mail_dkim_keys;

/* One decoded key record; read-only for the holder of a reference. */
struct mail_dkim_key {
	/*
	 * The fast path may use this key: the record parses strictly (only the
	 * v k h s t p n tags, v=DKIM1 first if present, h= allows sha256, s=
	 * allows email), is not revoked, has no t=s, an RSA key has at least
	 * 1024 bits (RFC 8301 3.2), and the key decodes.  Everything else is
	 * false here and handled by libopendkim.
	 */
	bool usable;
	enum common_crypto_keytype type;
	unsigned bits;			  /* RSA modulus bits; 256 for ed25519 */
	bool testing;			  /* t=y (RFC 6376 3.6.1) */
	struct common_crypto_verifier *v; /* set when usable */
};

/* A cache of at most max (>= 1) records. */
struct mail_dkim_keys *mail_dkim_keys_new(size_t max);
/* Free c and every entry; no reference may be outstanding.  NULL is a no-op. */
void mail_dkim_keys_free(struct mail_dkim_keys *c);

/*
 * The decoded record [txt, txt+len) (any bytes), parsed and decoded now if
 * not cached.  Never NULL.  The caller holds a reference and must give it
 * back with mail_dkim_keys_release().
 */
const struct mail_dkim_key *mail_dkim_keys_get(struct mail_dkim_keys *c, const char *txt,
					       size_t len);
void mail_dkim_keys_release(struct mail_dkim_keys *c, const struct mail_dkim_key *k);

/*
 * The fast path's whole check of one signature with key k (RFC 6376 6.1.3):
 * the computed body hash bh (bhlen bytes) equals the bh= tag (base64, FWS
 * allowed), and the b= tag (likewise) is k's signature over the header hash
 * hh (hhlen bytes; the SHA-256 digest of the canonicalised header fields and
 * signature field, as libopendkim computed it).  True only when all holds
 * and k is usable; false says nothing more (the caller then asks
 * libopendkim, which words the reason).  Tag strings are NUL-terminated.
 */
bool mail_dkim_keys_check(const struct mail_dkim_key *k, const void *hh, size_t hhlen,
			  const void *bh, size_t bhlen, const char *bh_tag, const char *b_tag);

/* Records held now (for tests). */
size_t mail_dkim_keys_count(struct mail_dkim_keys *c);

#endif
