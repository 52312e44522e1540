/*
 * common/crypto: keys, hashes and randomness over OpenSSL's libcrypto (the one
 * module including openssl/evp.h; TLS connections are common/tls, the one
 * including openssl/ssl.h: STYLE.md 6, split by concern).
 *
 * What it does: decodes base64, turns the public-key data of a DKIM key
 * record into a checked public key (RSA SubjectPublicKeyInfo or PKCS#1
 * RSAPublicKey per RFC 6376 3.6.1, raw 32-byte ed25519 per RFC 8463 4),
 * loads a private key file (PEM or DER, RSA or ed25519) and tells whether it
 * is the private half of a published key, and offers a constant-time compare,
 * random bytes, SHA-256 and HMAC-SHA-256 (RFC 2104, used to sign webhooks)
 * for the rest of the program.
 *
 * It also checks one signature over a given digest with a decoded public key
 * (common_crypto_verifier: mail/dkim's fast path, RFC 8017 8.2.2, RFC 8463).
 *
 * What it does not: canonicalise or hash messages (mail/dkim uses libopendkim),
 * talk TLS, or ever put key material into an error text: every "why" text is
 * a fixed sentence plus, at most, the file name and the system error.
 */
#ifndef MAILPULSE_COMMON_CRYPTO_H
#define MAILPULSE_COMMON_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include "common/err.h"

/* Longest base64 text common_crypto_b64_decode() accepts (a 16384-bit RSA key is ~2.8 KB). */
#define COMMON_CRYPTO_B64_MAX 16384
/* Largest private key file common_crypto_privkey_load() reads. */
#define COMMON_CRYPTO_KEYFILE_MAX 65536

enum common_crypto_keytype {
	COMMON_CRYPTO_RSA = 1,
	COMMON_CRYPTO_ED25519,
};

/* A checked public key.  Holds only public data. */
struct common_crypto_pubkey {
	enum common_crypto_keytype type;
	unsigned bits; /* RSA modulus size; 256 for ed25519 */
	/*
	 * DER SubjectPublicKeyInfo; owned.  Canonical (re-encoded by OpenSSL)
	 * for a key file, an ed25519 key and a PKCS#1 record; for an RSA SPKI
	 * from DNS it is the bytes as published (decoded in full by OpenSSL).
	 * Compare keys with common_crypto_pubkey_eq(), not with memcmp().
	 */
	unsigned char *spki;
	size_t spki_len;
};

/*
 * Decode strict base64 [in, in+len): only A-Z a-z 0-9 + / and at most two
 * trailing '='; missing padding is tolerated (RFC 6376 3.5 base64string
 * makes it optional).  No whitespace: callers strip FWS first.
 * ERR_OK: *out (caller frees with free()) holds *outlen bytes.
 * ERR_PARSE: not base64.  ERR_LIMIT: longer than COMMON_CRYPTO_B64_MAX.
 */
enum mp_err common_crypto_b64_decode(const char *in, size_t len, unsigned char **out,
				     size_t *outlen) MP_WUR;

/*
 * Check the decoded p= data of a DKIM key record of type kt.
 * RSA: DER SubjectPublicKeyInfo (what everyone publishes) or a bare PKCS#1
 * RSAPublicKey (what RFC 6376 3.6.1 literally says).  ed25519: exactly the 32
 * raw key bytes (RFC 8463 4); a full SubjectPublicKeyInfo there is refused
 * with a reason that says so.
 * ERR_OK: *out is filled (free with common_crypto_pubkey_free()).
 * ERR_PARSE: not a usable key of that type; why (size whysz) says why in
 * plain words.
 */
enum mp_err common_crypto_dkim_pubkey(const unsigned char *data, size_t len,
				      enum common_crypto_keytype kt,
				      struct common_crypto_pubkey *out, char *why,
				      size_t whysz) MP_WUR;

/*
 * Load the private key in the file at path (PEM, DER, or base64 DER as
 * libopendkim accepts; RSA or ed25519; no passphrase) and return its public
 * half in *out (free with common_crypto_pubkey_free()).  The file bytes are
 * wiped from memory before returning.
 * ERR_IO: cannot open or read the file.  ERR_LIMIT: larger than
 * COMMON_CRYPTO_KEYFILE_MAX.  ERR_PARSE: not a private key we can use
 * (encrypted, a public key, another algorithm, garbage).  why says which in
 * plain words and never contains key bytes.
 */
enum mp_err common_crypto_privkey_load(const char *path, struct common_crypto_pubkey *out,
				       char *why, size_t whysz) MP_WUR;

/*
 * As common_crypto_privkey_load() for key text already in memory
 * [data, data+len) (e.g. the PEM handed to mail/dkim for signing): the
 * public half into *out.  ERR_LIMIT past COMMON_CRYPTO_KEYFILE_MAX,
 * ERR_PARSE when not a usable private key; why never holds key bytes.
 */
enum mp_err common_crypto_privkey_parse(const void *data, size_t len,
					struct common_crypto_pubkey *out, char *why,
					size_t whysz) MP_WUR;

/* Base64 (with padding, no line breaks) of [p, p+len).  Caller frees. */
char *common_crypto_b64_encode(const void *p, size_t len);

/*
 * The p= value to publish for k in a DKIM key record: base64 of the
 * SubjectPublicKeyInfo for RSA, of the raw 32-byte key for ed25519 (RFC
 * 8463 4).  Public data only.  Caller frees.
 */
char *common_crypto_dkim_p_value(const struct common_crypto_pubkey *k);

/*
 * True when a and b are the same public key, whatever DER encoding each
 * came in (equal bytes, or the same key once both are decoded).
 */
bool common_crypto_pubkey_eq(const struct common_crypto_pubkey *a,
			     const struct common_crypto_pubkey *b);

/* Free what k owns; k is zeroed.  NULL is a no-op. */
void common_crypto_pubkey_free(struct common_crypto_pubkey *k);

/* "rsa" or "ed25519". */
const char *common_crypto_keytype_name(enum common_crypto_keytype kt);

/*
 * A public key decoded once and kept ready to check signatures (mail/dkim
 * caches one per published key: decoding costs far more than one RSA
 * verification).  Safe to use from several threads at once.
 */
struct common_crypto_verifier;

/*
 * Decode k (as filled by common_crypto_dkim_pubkey()) into *out; free with
 * common_crypto_verifier_free().  ERR_PARSE: the key does not decode.
 */
enum mp_err common_crypto_verifier_new(const struct common_crypto_pubkey *k,
				       struct common_crypto_verifier **out) MP_WUR;

/*
 * True when sig (siglen bytes) is a valid signature over the 32-byte SHA-256
 * digest by v's key: for RSA, RSASSA-PKCS1-v1_5 with a SHA-256 DigestInfo
 * (RFC 8017 8.2.2, RFC 6376 3.3.1 rsa-sha256); for ed25519, PureEdDSA
 * (RFC 8032 5.1.7) over the 32 digest bytes themselves (RFC 8463 3).
 * Any other digest length is false.
 */
bool common_crypto_verifier_check(struct common_crypto_verifier *v, const unsigned char *digest,
				  size_t dlen, const unsigned char *sig, size_t siglen);

/* Free v; NULL is a no-op.  No other thread may be using it. */
void common_crypto_verifier_free(struct common_crypto_verifier *v);

/* RSA key sizes common_crypto_keygen() accepts (RFC 8301 3.2: at least 1024). */
#define COMMON_CRYPTO_RSA_MIN_BITS 1024
#define COMMON_CRYPTO_RSA_MAX_BITS 8192

/*
 * Generate a fresh private key (RSA of bits bits, e = 65537; or ed25519, bits
 * ignored) for DKIM signing.  ERR_OK: *pem is the PKCS#8 PEM text of the
 * private key (*pem_len bytes, NUL-terminated; caller wipes and frees it with
 * common_crypto_free_secret()), *pub its public half (free with
 * common_crypto_pubkey_free(); common_crypto_dkim_p_value() gives the p= to
 * publish).  ERR_INVAL: bits outside [COMMON_CRYPTO_RSA_MIN_BITS,
 * COMMON_CRYPTO_RSA_MAX_BITS] for RSA or an unknown type; ERR_IO: the
 * generator failed.
 */
enum mp_err common_crypto_keygen(enum common_crypto_keytype kt, unsigned bits, char **pem,
				 size_t *pem_len, struct common_crypto_pubkey *pub) MP_WUR;

/* Wipe len bytes at p, then free(p).  NULL is a no-op. */
void common_crypto_free_secret(void *p, size_t len);

/* Constant-time equality of two len-byte buffers (for tokens and MACs). */
bool common_crypto_ct_eq(const void *a, const void *b, size_t len);

/* Fill buf with len cryptographically strong random bytes.  ERR_IO if the RNG fails. */
enum mp_err common_crypto_random(void *buf, size_t len) MP_WUR;

/* SHA-256 of [p, p+len) into out. */
void common_crypto_sha256(const void *p, size_t len, unsigned char out[32]);

/*
 * HMAC-SHA-256 (RFC 2104, FIPS 198-1) of [msg, msg+msglen) under the key
 * [key, key+keylen) into out (32 bytes).  keylen 0 is an empty key (key may
 * then be NULL).  Keys longer than INT_MAX bytes are a broken invariant.
 */
void common_crypto_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
			       unsigned char out[32]);

#endif
