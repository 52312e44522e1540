/*
 * common/crypto: OpenSSL behind a small API (see crypto.h).
 *
 * RFC 6376 3.6.1 (DKIM k=rsa p= data), RFC 8463 4 (ed25519 p= is the raw
 * 32-byte key), RFC 8301 (key sizes are judged by dns/dkim_key, not here).
 *
 * OpenSSL's error queue is cleared after every failed call so that nothing
 * from one key leaks into the next caller's error text, and no OpenSSL error
 * string is ever copied out (they can quote input).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include "common/crypto.h"
#include "common/xmalloc.h"

static void set_why(char *why, size_t whysz, const char *text)
{
	if (why != NULL && whysz > 0)
		snprintf(why, whysz, "%s", text);
}

static bool b64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

enum mp_err common_crypto_b64_decode(const char *in, size_t len, unsigned char **out,
				     size_t *outlen)
{
	size_t body = len, pad, i;
	char *padded;
	unsigned char *dec;
	int n;

	if (len > COMMON_CRYPTO_B64_MAX)
		return ERR_LIMIT;
	/* RFC 6376 3.5: at most two '=' and only at the end. */
	while (body > 0 && in[body - 1] == '=' && len - body < 2)
		body--;
	for (i = 0; i < body; i++)
		if (!b64_char((unsigned char)in[i]))
			return ERR_PARSE;
	if (body % 4 == 1)
		return ERR_PARSE;
	pad = (4 - body % 4) % 4;
	if (len - body > pad)
		return ERR_PARSE; /* "AAAA=" or "AA===" */
	padded = xmalloc(body + pad + 1);
	memcpy(padded, in, body);
	memset(padded + body, '=', pad);
	padded[body + pad] = '\0';
	dec = xmalloc((body + pad) / 4 * 3 + 1);
	n = body + pad ? EVP_DecodeBlock(dec, (const unsigned char *)padded, (int)(body + pad)) : 0;
	free(padded);
	if (n < 0 || (size_t)n < pad) {
		ERR_clear_error();
		free(dec);
		return ERR_PARSE;
	}
	*out = dec;
	*outlen = (size_t)n - pad;
	return ERR_OK;
}

/* Fill out from pk (public half only). */
static enum mp_err export_pub(EVP_PKEY *pk, struct common_crypto_pubkey *out)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(pk, &der);

	if (n <= 0) {
		ERR_clear_error();
		return ERR_PARSE;
	}
	out->spki = (unsigned char *)xmemdup0(der, (size_t)n);
	out->spki_len = (size_t)n;
	OPENSSL_free(der);
	/* OpenSSL says 253 for ed25519; people and DNS tools say 256. */
	out->bits =
	    EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519 ? 256 : (unsigned)EVP_PKEY_get_bits(pk);
	return ERR_OK;
}

static enum common_crypto_keytype pk_type(EVP_PKEY *pk)
{
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
		return COMMON_CRYPTO_RSA;
	case EVP_PKEY_ED25519:
		return COMMON_CRYPTO_ED25519;
	default:
		return 0;
	}
}

static EVP_PKEY *rsa_from_der(const unsigned char *data, size_t len, const char **why)
{
	const unsigned char *p = data;
	EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)len);

	if (pk != NULL && p != data + len) {
		*why = "the key data has trailing bytes after the key";
		EVP_PKEY_free(pk);
		return NULL;
	}
	if (pk == NULL) {
		/* RFC 6376 3.6.1 names RSAPublicKey (PKCS#1); accept it too. */
		ERR_clear_error();
		p = data;
		pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len);
		if (pk != NULL && p != data + len) {
			EVP_PKEY_free(pk);
			pk = NULL;
		}
	}
	if (pk == NULL) {
		*why = "the key data is not a DER-encoded public key";
		return NULL;
	}
	if (pk_type(pk) != COMMON_CRYPTO_RSA) {
		*why = pk_type(pk) == COMMON_CRYPTO_ED25519
			   ? "the key is ed25519 but the record says k=rsa (add k=ed25519 and "
			     "publish the raw 32-byte key)"
			   : "the key is not an RSA key (DKIM supports rsa and ed25519)";
		EVP_PKEY_free(pk);
		return NULL;
	}
	return pk;
}

static EVP_PKEY *ed25519_from_raw(const unsigned char *data, size_t len, const char **why)
{
	EVP_PKEY *pk;

	if (len == 44 && data[0] == 0x30) {
		*why =
		    "p= holds a full SubjectPublicKeyInfo (44 bytes); RFC 8463 wants only the raw "
		    "32-byte ed25519 key";
		return NULL;
	}
	if (len != 32) {
		*why = "an ed25519 key must be exactly 32 bytes (RFC 8463)";
		return NULL;
	}
	pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, data, len);
	if (pk == NULL)
		*why = "the ed25519 key could not be loaded";
	return pk;
}

/*
 * The common case, fast: an RSA SubjectPublicKeyInfo (RFC 5280 4.1.2.7:
 * SEQUENCE { AlgorithmIdentifier rsaEncryption with NULL parameters
 * (RFC 3279 2.3.1), BIT STRING holding the PKCS#1 RSAPublicKey, RFC 8017 A.1.1 })
 * taken apart with OpenSSL's ASN.1 decoders.  d2i_PUBKEY() does the same
 * through OpenSSL 3's provider decoders, which build a decoder context per
 * call: about 70 times slower (bench/README.md), and the posture check
 * decodes every key of every domain.  The published bytes are kept as the
 * SPKI (common_crypto_pubkey_eq() copes with other encodings of one key).
 * NULL: anything else or anything unusual; the caller takes the general
 * path, which also words the reason.
 */
static EVP_PKEY *rsa_spki_pkey(const unsigned char *data, size_t len)
{
	const unsigned char *p = data, *end, *q;
	long inner;
	int tag, cls, r;
	X509_ALGOR *alg = NULL;
	ASN1_BIT_STRING *bs = NULL;
	EVP_PKEY *pk = NULL;

	if (len > COMMON_CRYPTO_B64_MAX)
		return NULL;
	r = ASN1_get_object(&p, &inner, &tag, &cls, (long)len);
	if ((r & 0x80) || r != V_ASN1_CONSTRUCTED || tag != V_ASN1_SEQUENCE ||
	    cls != V_ASN1_UNIVERSAL || p + inner != data + len)
		goto out;
	end = p + inner;
	alg = d2i_X509_ALGOR(NULL, &p, end - p);
	if (alg == NULL || OBJ_obj2nid(alg->algorithm) != NID_rsaEncryption ||
	    alg->parameter == NULL || alg->parameter->type != V_ASN1_NULL)
		goto out;
	bs = d2i_ASN1_BIT_STRING(NULL, &p, end - p);
	/* No unused bits (d2i keeps their count in the low flag bits): whole octets. */
	if (bs == NULL || p != end || (bs->flags & 0x07) != 0)
		goto out;
	q = bs->data;
	pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, bs->length);
	if (pk != NULL && (q != bs->data + bs->length || EVP_PKEY_get_bits(pk) <= 0)) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
out:
	ASN1_BIT_STRING_free(bs);
	X509_ALGOR_free(alg);
	ERR_clear_error();
	return pk;
}

static bool rsa_spki_fast(const unsigned char *data, size_t len, struct common_crypto_pubkey *out)
{
	EVP_PKEY *pk = rsa_spki_pkey(data, len);

	if (pk == NULL)
		return false;
	out->type = COMMON_CRYPTO_RSA;
	out->bits = (unsigned)EVP_PKEY_get_bits(pk);
	out->spki = (unsigned char *)xmemdup0(data, len);
	out->spki_len = len;
	EVP_PKEY_free(pk);
	return true;
}

enum mp_err common_crypto_dkim_pubkey(const unsigned char *data, size_t len,
				      enum common_crypto_keytype kt,
				      struct common_crypto_pubkey *out, char *why, size_t whysz)
{
	struct common_crypto_pubkey k = {0};
	const char *reason = "unsupported key type";
	EVP_PKEY *pk = NULL;
	enum mp_err err = ERR_PARSE;

	if (len == 0 || len > COMMON_CRYPTO_B64_MAX)
		reason = len ? "the key data is too long" : "the key data is empty";
	else if (kt == COMMON_CRYPTO_RSA && rsa_spki_fast(data, len, &k)) {
		*out = k;
		return ERR_OK;
	} else if (kt == COMMON_CRYPTO_RSA)
		pk = rsa_from_der(data, len, &reason);
	else if (kt == COMMON_CRYPTO_ED25519)
		pk = ed25519_from_raw(data, len, &reason);
	if (pk == NULL)
		goto out;
	k.type = kt;
	err = export_pub(pk, &k);
	if (err != ERR_OK) {
		reason = "the key could not be re-encoded";
		goto out;
	}
	*out = k;
out:
	if (err != ERR_OK)
		set_why(why, whysz, reason);
	EVP_PKEY_free(pk);
	ERR_clear_error();
	return err;
}

/* Read at most COMMON_CRYPTO_KEYFILE_MAX bytes of path. */
static enum mp_err slurp(const char *path, unsigned char **data, size_t *len, char *why,
			 size_t whysz)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p;
	size_t n;

	if (f == NULL) {
		if (why != NULL && whysz > 0)
			snprintf(why, whysz, "cannot open %s: %s", path, strerror(errno));
		return ERR_IO;
	}
	p = xmalloc(COMMON_CRYPTO_KEYFILE_MAX + 1);
	n = fread(p, 1, COMMON_CRYPTO_KEYFILE_MAX + 1, f);
	if (ferror(f)) {
		if (why != NULL && whysz > 0)
			snprintf(why, whysz, "cannot read %s: %s", path, strerror(errno));
		fclose(f);
		free(p);
		return ERR_IO;
	}
	fclose(f);
	if (n > COMMON_CRYPTO_KEYFILE_MAX) {
		OPENSSL_cleanse(p, n);
		free(p);
		if (why != NULL && whysz > 0)
			snprintf(why, whysz, "%s is larger than %d bytes: not a key file", path,
				 COMMON_CRYPTO_KEYFILE_MAX);
		return ERR_LIMIT;
	}
	*data = p;
	*len = n;
	return ERR_OK;
}

/* Never prompt for a passphrase: encrypted keys simply fail to load. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static bool has(const unsigned char *p, size_t len, const char *needle)
{
	return memmem(p, len, needle, strlen(needle)) != NULL;
}

/* Try PEM, then DER, then base64 DER.  *why is a fixed sentence on failure. */
static EVP_PKEY *parse_private(const unsigned char *p, size_t len, const char **why)
{
	EVP_PKEY *pk = NULL;
	const unsigned char *q = p;
	unsigned char *der = NULL;
	size_t derlen = 0;

	if (has(p, len, "-----BEGIN")) {
		BIO *bio = BIO_new_mem_buf(p, (int)len);

		if (bio == NULL)
			fatal("crypto: out of memory");
		pk = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
		BIO_free(bio);
		if (pk == NULL) {
			if (has(p, len, "ENCRYPTED"))
				*why = "the key file is encrypted with a passphrase; store it "
				       "unencrypted with tight permissions instead";
			else if (has(p, len, "PUBLIC KEY-----") && !has(p, len, "PRIVATE KEY-----"))
				*why = "the file holds a public key, not a private key";
			else
				*why = "the file is PEM but holds no usable private key";
		}
		return pk;
	}
	pk = d2i_AutoPrivateKey(NULL, &q, (long)len);
	if (pk == NULL) {
		size_t n = len;

		while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r' || p[n - 1] == ' '))
			n--;
		if (common_crypto_b64_decode((const char *)p, n, &der, &derlen) == ERR_OK) {
			q = der;
			pk = d2i_AutoPrivateKey(NULL, &q, (long)derlen);
			OPENSSL_cleanse(der, derlen);
			free(der);
		}
	}
	if (pk == NULL)
		*why = "the file is not a private key (expected PEM, as written by "
		       "`openssl genpkey`)";
	return pk;
}

/* The public half of the private key in [data, data+len); *reason on failure. */
static enum mp_err privkey_pub(const unsigned char *data, size_t len,
			       struct common_crypto_pubkey *out, const char **reason)
{
	struct common_crypto_pubkey k = {0};
	EVP_PKEY *pk = parse_private(data, len, reason);
	enum mp_err err = ERR_PARSE;

	if (pk == NULL)
		goto out;
	k.type = pk_type(pk);
	if (k.type == 0) {
		*reason = "the key is neither RSA nor ed25519, the two DKIM key types";
		goto out;
	}
	if (export_pub(pk, &k) != ERR_OK) {
		*reason = "the public half of the key could not be encoded";
		goto out;
	}
	*out = k;
	err = ERR_OK;
out:
	EVP_PKEY_free(pk);
	ERR_clear_error();
	return err;
}

enum mp_err common_crypto_privkey_load(const char *path, struct common_crypto_pubkey *out,
				       char *why, size_t whysz)
{
	unsigned char *data = NULL;
	const char *reason = NULL;
	size_t len = 0;
	enum mp_err err;

	err = slurp(path, &data, &len, why, whysz);
	if (err != ERR_OK)
		return err;
	err = privkey_pub(data, len, out, &reason);
	if (err != ERR_OK && why != NULL && whysz > 0)
		snprintf(why, whysz, "%s: %s", path, reason);
	OPENSSL_cleanse(data, len);
	free(data);
	return err;
}

enum mp_err common_crypto_privkey_parse(const void *data, size_t len,
					struct common_crypto_pubkey *out, char *why, size_t whysz)
{
	const char *reason = "the key text is too large";
	enum mp_err err = ERR_LIMIT;

	if (len <= COMMON_CRYPTO_KEYFILE_MAX && len <= INT_MAX)
		err = privkey_pub(data, len, out, &reason);
	if (err != ERR_OK && why != NULL && whysz > 0)
		snprintf(why, whysz, "%s", reason);
	return err;
}

char *common_crypto_b64_encode(const void *p, size_t len)
{
	char *r;
	int n;

	if (len > (size_t)1 << 28)
		fatal("crypto: base64 input too large");
	r = xmalloc((len + 2) / 3 * 4 + 1);
	n = EVP_EncodeBlock((unsigned char *)r, p, (int)len);
	r[n < 0 ? 0 : n] = '\0';
	return r;
}

char *common_crypto_dkim_p_value(const struct common_crypto_pubkey *k)
{
	/* RFC 8463 4: the ed25519 SubjectPublicKeyInfo ends with the raw 32 bytes. */
	if (k->type == COMMON_CRYPTO_ED25519 && k->spki_len >= 32)
		return common_crypto_b64_encode(k->spki + k->spki_len - 32, 32);
	return common_crypto_b64_encode(k->spki, k->spki_len);
}

/* The key in an SPKI that OpenSSL already accepted once, or NULL. */
static EVP_PKEY *spki_decode(const struct common_crypto_pubkey *k)
{
	const unsigned char *p = k->spki;

	return d2i_PUBKEY(NULL, &p, (long)k->spki_len);
}

bool common_crypto_pubkey_eq(const struct common_crypto_pubkey *a,
			     const struct common_crypto_pubkey *b)
{
	EVP_PKEY *ka, *kb;
	bool eq;

	if (a->type != b->type || a->bits != b->bits || a->spki == NULL || b->spki == NULL)
		return false;
	if (a->spki_len == b->spki_len && memcmp(a->spki, b->spki, a->spki_len) == 0)
		return true;
	/* The same key in another DER form (a published SPKI is kept as published). */
	ka = spki_decode(a);
	kb = spki_decode(b);
	eq = ka != NULL && kb != NULL && EVP_PKEY_eq(ka, kb) == 1;
	EVP_PKEY_free(ka);
	EVP_PKEY_free(kb);
	ERR_clear_error();
	return eq;
}

void common_crypto_pubkey_free(struct common_crypto_pubkey *k)
{
	if (k == NULL)
		return;
	free(k->spki);
	memset(k, 0, sizeof *k);
}

const char *common_crypto_keytype_name(enum common_crypto_keytype kt)
{
	return kt == COMMON_CRYPTO_ED25519 ? "ed25519" : "rsa";
}

/* ---- signature verification over a decoded key ---- */

/* Idle RSA verify contexts kept per key (one per thread at work is plenty). */
#define VERIFIER_POOL 8

struct common_crypto_verifier {
	EVP_PKEY *pk;
	enum common_crypto_keytype type;
	pthread_mutex_t mu; /* guards pool */
	EVP_PKEY_CTX *pool[VERIFIER_POOL];
	size_t n_pool;
};

enum mp_err common_crypto_verifier_new(const struct common_crypto_pubkey *k,
				       struct common_crypto_verifier **out)
{
	struct common_crypto_verifier *v;
	EVP_PKEY *pk = NULL;

	if (k->spki == NULL)
		return ERR_PARSE;
	if (k->type == COMMON_CRYPTO_RSA)
		pk = rsa_spki_pkey(k->spki, k->spki_len);
	if (pk == NULL)
		pk = spki_decode(k); /* PKCS#1 re-encoded, ed25519: rare, once per key */
	if (pk == NULL || pk_type(pk) != k->type) {
		EVP_PKEY_free(pk);
		ERR_clear_error();
		return ERR_PARSE;
	}
	v = xcalloc(1, sizeof *v);
	v->pk = pk;
	v->type = k->type;
	if (pthread_mutex_init(&v->mu, NULL) != 0)
		fatal("crypto: pthread_mutex_init failed");
	*out = v;
	return ERR_OK;
}

/* A verify context for RSA PKCS#1 v1.5 with SHA-256: from the pool or new. */
static EVP_PKEY_CTX *rsa_ctx_get(struct common_crypto_verifier *v)
{
	EVP_PKEY_CTX *c = NULL;

	pthread_mutex_lock(&v->mu);
	if (v->n_pool > 0)
		c = v->pool[--v->n_pool];
	pthread_mutex_unlock(&v->mu);
	if (c != NULL)
		return c;
	c = EVP_PKEY_CTX_new_from_pkey(NULL, v->pk, NULL);
	if (c == NULL || EVP_PKEY_verify_init(c) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()) != 1) {
		EVP_PKEY_CTX_free(c);
		ERR_clear_error();
		return NULL;
	}
	return c;
}

static void rsa_ctx_put(struct common_crypto_verifier *v, EVP_PKEY_CTX *c)
{
	pthread_mutex_lock(&v->mu);
	if (v->n_pool < VERIFIER_POOL) {
		v->pool[v->n_pool++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&v->mu);
	EVP_PKEY_CTX_free(c);
}

/* RFC 8463 3: PureEdDSA (no prehash by EdDSA itself) over the 32-byte digest. */
static bool ed25519_verify(EVP_PKEY *pk, const unsigned char *digest, size_t dlen,
			   const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	bool ok = m != NULL && EVP_DigestVerifyInit(m, NULL, NULL, NULL, pk) == 1 &&
		  EVP_DigestVerify(m, sig, siglen, digest, dlen) == 1;

	EVP_MD_CTX_free(m);
	return ok;
}

bool common_crypto_verifier_check(struct common_crypto_verifier *v, const unsigned char *digest,
				  size_t dlen, const unsigned char *sig, size_t siglen)
{
	EVP_PKEY_CTX *c;
	bool ok;

	if (dlen != 32 || sig == NULL || siglen == 0 || siglen > COMMON_CRYPTO_B64_MAX)
		return false;
	if (v->type == COMMON_CRYPTO_ED25519) {
		ok = ed25519_verify(v->pk, digest, dlen, sig, siglen);
		ERR_clear_error();
		return ok;
	}
	/* RFC 6376 3.3.1: RSASSA-PKCS1-v1_5 (RFC 8017 8.2) with SHA-256: the
	   DigestInfo inside the signature must name SHA-256 and hold digest. */
	c = rsa_ctx_get(v);
	if (c == NULL)
		return false;
	ok = EVP_PKEY_verify(c, sig, siglen, digest, dlen) == 1;
	if (!ok)
		ERR_clear_error();
	rsa_ctx_put(v, c);
	return ok;
}

void common_crypto_verifier_free(struct common_crypto_verifier *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->n_pool; i++)
		EVP_PKEY_CTX_free(v->pool[i]);
	pthread_mutex_destroy(&v->mu);
	EVP_PKEY_free(v->pk);
	free(v);
}

bool common_crypto_ct_eq(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

enum mp_err common_crypto_random(void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len > 0) {
		int chunk = len > 1u << 20 ? 1 << 20 : (int)len;

		if (RAND_bytes(p, chunk) != 1) {
			ERR_clear_error();
			return ERR_IO;
		}
		p += chunk;
		len -= (size_t)chunk;
	}
	return ERR_OK;
}

void common_crypto_sha256(const void *p, size_t len, unsigned char out[32])
{
	if (EVP_Digest(p, len, out, NULL, EVP_sha256(), NULL) != 1)
		fatal("crypto: SHA-256 failed");
}

void common_crypto_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
			       unsigned char out[32])
{
	static const unsigned char empty[1];
	unsigned int outlen = 0;

	if (keylen > INT_MAX)
		fatal("crypto: HMAC key too large");
	/* RFC 2104 2: any key length works; OpenSSL wants a non-NULL pointer. */
	if (key == NULL || keylen == 0)
		key = empty;
	if (msg == NULL)
		msg = empty;
	if (HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, out, &outlen) == NULL || outlen != 32)
		fatal("crypto: HMAC-SHA-256 failed");
}

static EVP_PKEY *keygen_pkey(enum common_crypto_keytype kt, unsigned bits)
{
	EVP_PKEY *pk = NULL;

	if (kt == COMMON_CRYPTO_ED25519)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	if (pk == NULL)
		ERR_clear_error();
	return pk;
}

/* PKCS#8 PEM of pk's private key into *pem / *len. */
static enum mp_err pem_private(EVP_PKEY *pk, char **pem, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	char *data = NULL;
	long n;
	enum mp_err err = ERR_IO;

	if (bio == NULL)
		goto out;
	if (PEM_write_bio_PKCS8PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL) != 1)
		goto out;
	n = BIO_get_mem_data(bio, &data);
	if (n <= 0 || data == NULL)
		goto out;
	*pem = xmemdup0(data, (size_t)n);
	*len = (size_t)n;
	err = ERR_OK;
out:
	ERR_clear_error();
	BIO_free(bio); /* a secure-memory BIO wipes its buffer */
	return err;
}

enum mp_err common_crypto_keygen(enum common_crypto_keytype kt, unsigned bits, char **pem,
				 size_t *pem_len, struct common_crypto_pubkey *pub)
{
	struct common_crypto_pubkey k = {0};
	EVP_PKEY *pk;
	char *text = NULL;
	size_t len = 0;
	enum mp_err err;

	if (kt != COMMON_CRYPTO_RSA && kt != COMMON_CRYPTO_ED25519)
		return ERR_INVAL;
	if (kt == COMMON_CRYPTO_RSA &&
	    (bits < COMMON_CRYPTO_RSA_MIN_BITS || bits > COMMON_CRYPTO_RSA_MAX_BITS))
		return ERR_INVAL;
	pk = keygen_pkey(kt, bits);
	if (pk == NULL)
		return ERR_IO;
	k.type = kt;
	err = export_pub(pk, &k);
	if (err == ERR_OK)
		err = pem_private(pk, &text, &len);
	EVP_PKEY_free(pk);
	if (err != ERR_OK) {
		common_crypto_pubkey_free(&k);
		return err == ERR_PARSE ? ERR_IO : err;
	}
	*pem = text;
	*pem_len = len;
	*pub = k;
	return ERR_OK;
}

void common_crypto_free_secret(void *p, size_t len)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, len);
	free(p);
}
