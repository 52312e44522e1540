/*
 * mail/dkim: DKIM signing and verification of whole messages over
 * libopendkim (RFC 6376; ed25519-sha256 per RFC 8463; RSA key sizes per RFC
 * 8301).  The only module that includes <opendkim/dkim.h> (STYLE.md 6).
 *
 * What it does: splits a message into raw header fields (bytes kept as they
 * are, line ends made CRLF, since DKIM hashes the bytes), pre-scans the
 * DKIM-Signature fields for d= and s= (dns/tags), asks the book for every
 * `s._domainkey.d` TXT (ERR_AGAIN until answered), then runs libopendkim
 * with its key lookup answered from the book, and turns its per-signature
 * status into RFC 8601 result words and plain-words reasons.  Signs with
 * relaxed/relaxed canonicalisation over a fixed, sensible header set.
 *
 * Verification first tries a fast path (run_fast): libopendkim parses,
 * canonicalises and hashes with the key withheld, and the signature is
 * checked against a decoded key from mail/dkim_keys (libopendkim would
 * decode the key again for every signature, which costs more than the rest
 * together: bench/README.md).  Only a plain pass is decided that way; all
 * else runs libopendkim's full verification, whose verdict is reported.
 *
 * What it does not: touch the network (the resolver hooks of libopendkim are
 * replaced by one that refuses, so res_* is never called: libraries.md
 * 2.3), compose messages (mail/probe), or evaluate DMARC.
 *
 * Bounds: MAIL_DKIM_MAX_MSG bytes, MAIL_DKIM_MAX_FIELDS header fields, and
 * only the first MAIL_DKIM_MAX_SIGS DKIM-Signature fields are handed to
 * libopendkim (each one costs a public-key operation and a body hash, so a
 * message with 100 signatures must not cost 100 of them).
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <opendkim/dkim.h>
#include "common/crypto.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "dns/name.h"
#include "mail/dkim.h"
#include "mail/dkim_keys.h"
#include "mail/dkim_msg.h"
#include "mail/dkim_signopts.h"

#define SIG_FIELD "DKIM-Signature"

/* Decoded key records kept for the fast path (a few selectors in practice). */
#define KEY_CACHE_MAX 64

struct mail_dkim {
	DKIM_LIB *lib;	/* signing, and the full verification path */
	DKIM_LIB *fast; /* verification: parse, canonicalise, hash; no key (see run_fast) */
	struct mail_dkim_keys *keys;
	bool no_fast; /* tests only: mail_dkim_set_fast() */
	atomic_ulong n_fast, n_full;
};

/* What the key lookup callback found for one qname. */
struct keynote {
	char *qname;
	enum mail_dkim_res res; /* PASS: key handed to libopendkim */
	char *why;
};

/* Per-verification context (dkim_set_user_context). */
struct vctx {
	struct dns_book *book;
	struct keynote notes[MAIL_DKIM_MAX_SIGS];
	size_t n_notes;
	bool again; /* the callback met an unanswered question */
};

/* What the fast path found for one pre-scanned signature. */
struct fastres {
	DKIM_SIGINFO *s;
	unsigned bits;
	bool testing;
};

/* ---- library handle ---- */

/* The resolver hook: refuse, so libopendkim never reaches res_* (libraries.md 2.3). */
static int refuse_query(void *svc, int type, unsigned char *q, unsigned char *buf, size_t buflen,
			void **qh)
{
	(void)svc, (void)type, (void)q, (void)buf, (void)buflen, (void)qh;
	return -1;
}

static DKIM_CBSTAT key_lookup(DKIM *h, DKIM_SIGINFO *sig, u_char *buf, size_t buflen);

/*
 * The fast handle's key lookup: "not found", always.  libopendkim then stops
 * before decoding a key (DKIM_SIGERROR_NOKEY) with both hashes complete, and
 * run_fast() does the rest with a cached key.
 */
static DKIM_CBSTAT defer_key(DKIM *h, DKIM_SIGINFO *sig, u_char *buf, size_t buflen)
{
	(void)h, (void)sig, (void)buf, (void)buflen;
	return DKIM_CBSTAT_NOTFOUND;
}

/* The fast handle: verification only, key fetch delayed to dkim_eom() (after the body). */
static bool fast_setup(DKIM_LIB *lib)
{
	unsigned flags = DKIM_LIBFLAGS_BADSIGHANDLES | DKIM_LIBFLAGS_DELAYSIGPROC;

	dkim_dns_set_init(lib, NULL);
	dkim_dns_set_close(lib, NULL);
	dkim_dns_set_query_start(lib, refuse_query);
	return dkim_set_key_lookup(lib, defer_key) == DKIM_STAT_OK &&
	       dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags) ==
		   DKIM_STAT_OK;
}

static bool lib_setup(DKIM_LIB *lib)
{
	/* RFC 6376 5.4.1: the fields worth signing; From is oversigned (8.15). */
	static const char *signhdrs[] = {"from",
					 "reply-to",
					 "subject",
					 "date",
					 "to",
					 "cc",
					 "message-id",
					 "in-reply-to",
					 "references",
					 "mime-version",
					 "content-type",
					 "content-transfer-encoding",
					 "auto-submitted",
					 "x-mailpulse-probe",
					 NULL};
	static const char *oversign[] = {"from", NULL};
	unsigned flags = DKIM_LIBFLAGS_BADSIGHANDLES;
	unsigned minbits = 1024; /* RFC 8301 3.2 */

	/* The list options take the array pointer, their size is sizeof(char **). */

	dkim_dns_set_init(lib, NULL);
	dkim_dns_set_close(lib, NULL);
	dkim_dns_set_query_start(lib, refuse_query);
	return dkim_set_key_lookup(lib, key_lookup) == DKIM_STAT_OK &&
	       dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags) ==
		   DKIM_STAT_OK &&
	       dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_MINKEYBITS, &minbits, sizeof minbits) ==
		   DKIM_STAT_OK &&
	       dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, (void *)signhdrs,
			    sizeof(char **)) == DKIM_STAT_OK &&
	       dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS, (void *)oversign,
			    sizeof(char **)) == DKIM_STAT_OK;
}

struct mail_dkim *mail_dkim_new(void)
{
	struct mail_dkim *d;
	DKIM_LIB *lib = dkim_init(NULL, NULL), *fast = dkim_init(NULL, NULL);

	if (lib == NULL || fast == NULL || !lib_setup(lib) || !fast_setup(fast) ||
	    !dkim_libfeature(lib, DKIM_FEATURE_SHA256)) {
		if (lib != NULL)
			dkim_close(lib);
		if (fast != NULL)
			dkim_close(fast);
		return NULL;
	}
	d = xcalloc(1, sizeof *d);
	d->lib = lib;
	d->fast = fast;
	d->keys = mail_dkim_keys_new(KEY_CACHE_MAX);
	atomic_init(&d->n_fast, 0);
	atomic_init(&d->n_full, 0);
	return d;
}

void mail_dkim_free(struct mail_dkim *d)
{
	if (d == NULL)
		return;
	dkim_close(d->lib);
	dkim_close(d->fast);
	mail_dkim_keys_free(d->keys);
	free(d);
}

void mail_dkim_set_fast(struct mail_dkim *d, bool on)
{
	d->no_fast = !on;
}

void mail_dkim_get_stats(struct mail_dkim *d, struct mail_dkim_stats *out)
{
	out->fast = atomic_load(&d->n_fast);
	out->full = atomic_load(&d->n_full);
	out->keys_cached = mail_dkim_keys_count(d->keys);
}

enum mp_err mail_dkim_set_clock(struct mail_dkim *d, time_t now, unsigned long ttl)
{
	uint64_t t = now > 0 ? (uint64_t)now : 0, x = ttl;

	if (dkim_options(d->lib, DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME, &t, sizeof t) !=
		DKIM_STAT_OK ||
	    dkim_options(d->fast, DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME, &t, sizeof t) !=
		DKIM_STAT_OK ||
	    dkim_options(d->lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNATURETTL, &x, sizeof x) !=
		DKIM_STAT_OK)
		return ERR_INVAL;
	return ERR_OK;
}

const char *mail_dkim_res_name(enum mail_dkim_res r)
{
	static const char *const names[] = {"none",   "pass",	   "fail",     "neutral",
					    "policy", "temperror", "permerror"};

	return (size_t)r < sizeof names / sizeof *names ? names[r] : "permerror";
}

const char *mail_dkim_alg_name(enum mail_dkim_alg a)
{
	return a == MAIL_DKIM_ED25519_SHA256 ? "ed25519-sha256" : "rsa-sha256";
}

/* ---- signing ---- */

static void set_why(char *why, size_t whysz, const char *text)
{
	if (why != NULL && whysz > 0)
		snprintf(why, whysz, "%s", text);
}

/* Feed the split message to h; false when libopendkim refuses a piece. */
static bool feed(DKIM *h, const struct mail_dkim_msg *m, size_t max_sigs)
{
	size_t sigs = 0;

	for (size_t i = 0; i < m->nf; i++) {
		if (m->f[i].is_sig && sigs++ >= max_sigs)
			continue;
		if (dkim_header(h, (u_char *)m->f[i].p, m->f[i].len) != DKIM_STAT_OK)
			return false;
	}
	return true;
}

/* Run the signer over m; *hdr on success. */
static enum mp_err sign_run(struct mail_dkim *d, const struct mail_dkim_sign_opts *o,
			    const struct mail_dkim_msg *m, u_char *key, char **hdr,
			    const char **why)
{
	DKIM_STAT st;
	u_char *v = NULL;
	size_t vlen = 0;
	dkim_alg_t alg =
	    o->alg == MAIL_DKIM_ED25519_SHA256 ? DKIM_SIGN_ED25519SHA256 : DKIM_SIGN_RSASHA256;
	DKIM *h = dkim_sign(d->lib, (const u_char *)"mailpulse", NULL, key,
			    (const u_char *)o->selector, (const u_char *)o->domain,
			    DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, alg, -1, &st);
	enum mp_err err = ERR_INVAL;

	*why = "the private key could not be used (not a private key, or not of the signing "
	       "algorithm's type)";
	if (h == NULL)
		return ERR_INVAL;
	if (!feed(h, m, SIZE_MAX) || dkim_eoh(h) != DKIM_STAT_OK) {
		*why = "libopendkim refused the message header";
		err = ERR_PARSE;
		goto out;
	}
	if (m->body_len > 0 && dkim_body(h, (u_char *)m->body, m->body_len) != DKIM_STAT_OK) {
		*why = "libopendkim refused the message body";
		err = ERR_PARSE;
		goto out;
	}
	if (dkim_eom(h, NULL) != DKIM_STAT_OK)
		goto out;
	if (dkim_getsighdr_d(h, sizeof SIG_FIELD + 1, &v, &vlen) != DKIM_STAT_OK || v == NULL)
		goto out;
	*hdr = mail_dkim_msg_sig_field(v, vlen);
	err = ERR_OK;
out:
	dkim_free(h);
	return err;
}

enum mp_err mail_dkim_sign(struct mail_dkim *d, const struct mail_dkim_sign_opts *o,
			   const char *msg, size_t len, char **hdr, char *why, size_t whysz)
{
	struct mail_dkim_msg m;
	const char *w = "bad options";
	char *key;
	enum mp_err err;

	if (!mail_dkim_signopts_ok(o, &w)) {
		set_why(why, whysz, w);
		return ERR_INVAL;
	}
	err = mail_dkim_msg_split(msg, len, &m);
	if (err != ERR_OK) {
		mail_dkim_msg_free(&m);
		set_why(why, whysz, "the message is too large or has too many header fields");
		return err;
	}
	if (m.bad_header || !mail_dkim_msg_has_from(&m)) {
		mail_dkim_msg_free(&m);
		set_why(why, whysz,
			m.bad_header
			    ? "the message header is malformed (a NUL byte or a line "
			      "without a colon)"
			    : "the message has no From field (RFC 6376 5.4: it must be signed)");
		return ERR_PARSE;
	}
	if (!mail_dkim_signopts_key_fits(o, &w)) {
		mail_dkim_msg_free(&m);
		set_why(why, whysz, w);
		return ERR_INVAL;
	}
	key = xmemdup0(o->key_pem, o->key_len);
	err = sign_run(d, o, &m, (u_char *)key, hdr, &w);
	explicit_bzero(key, o->key_len);
	free(key);
	mail_dkim_msg_free(&m);
	if (err != ERR_OK)
		set_why(why, whysz, w);
	return err;
}

/* ---- verification: keys ---- */

/*
 * Ask the book for every key (RFC 6376 3.6.2.1); ERR_AGAIN while any is
 * missing.  Every question is asked in the same run, so one driver round
 * answers them all.
 */
static enum mp_err ask_keys(struct dns_book *book, const struct mail_dkim_presig *p, size_t n)
{
	bool again = false;

	for (size_t i = 0; i < n; i++) {
		const struct dns_answer *a;

		if (p[i].qname != NULL &&
		    dns_book_get(book, p[i].qname, DNS_T_TXT, &a) == ERR_AGAIN)
			again = true;
	}
	return again ? ERR_AGAIN : ERR_OK;
}

/* ---- verification: key lookup callback ---- */

static struct keynote *note_get(struct vctx *c, const char *qname)
{
	for (size_t i = 0; i < c->n_notes; i++)
		if (strcmp(c->notes[i].qname, qname) == 0)
			return &c->notes[i];
	if (c->n_notes >= MAIL_DKIM_MAX_SIGS)
		return NULL;
	c->notes[c->n_notes].qname = xstrdup(qname);
	c->notes[c->n_notes].res = MAIL_DKIM_PASS;
	return &c->notes[c->n_notes++];
}

static DKIM_CBSTAT note_set(struct keynote *n, enum mail_dkim_res res, DKIM_CBSTAT cb, char *why)
{
	n->res = res;
	free(n->why);
	n->why = why;
	return cb;
}

/* Hand the one TXT record at a to libopendkim (RFC 6376 3.6.2.2). */
static DKIM_CBSTAT key_from_answer(struct keynote *n, const struct dns_answer *a, u_char *buf,
				   size_t buflen)
{
	const struct dns_rr *rr;

	switch (a->outcome) {
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		return note_set(n, MAIL_DKIM_PERMERROR, DKIM_CBSTAT_NOTFOUND,
				xasprintf("no key published at %s (%s)", n->qname,
					  dns_outcome_name(a->outcome)));
	case DNS_TEMPFAIL:
		return note_set(n, MAIL_DKIM_TEMPERROR, DKIM_CBSTAT_TRYAGAIN,
				xasprintf("key lookup of %s failed temporarily (%s)", n->qname,
					  a->why ? a->why : "tempfail"));
	case DNS_MALFORMED:
		return note_set(n, MAIL_DKIM_PERMERROR, DKIM_CBSTAT_ERROR,
				xasprintf("the DNS answer for %s is malformed", n->qname));
	case DNS_DATA:
		break;
	}
	if (a->n != 1)
		return note_set(
		    n, MAIL_DKIM_PERMERROR, DKIM_CBSTAT_ERROR,
		    xasprintf("%zu TXT records at %s, a key needs exactly one", a->n, n->qname));
	rr = &a->rr[0];
	if (memchr(rr->data, '\0', rr->len) != NULL)
		return note_set(
		    n, MAIL_DKIM_PERMERROR, DKIM_CBSTAT_ERROR,
		    xasprintf("key syntax: the record at %s holds a NUL byte", n->qname));
	if (rr->len + 1 > buflen)
		return note_set(n, MAIL_DKIM_PERMERROR, DKIM_CBSTAT_ERROR,
				xasprintf("key syntax: the record at %s is too long", n->qname));
	memcpy(buf, rr->data, rr->len);
	buf[rr->len] = '\0';
	return note_set(n, MAIL_DKIM_PASS, DKIM_CBSTAT_CONTINUE, NULL);
}

static DKIM_CBSTAT key_lookup(DKIM *h, DKIM_SIGINFO *sig, u_char *buf, size_t buflen)
{
	struct vctx *c = dkim_get_user_context(h);
	const char *dom = (const char *)dkim_sig_getdomain(sig);
	const char *sel = (const char *)dkim_sig_getselector(sig);
	const struct dns_answer *a = NULL;
	struct keynote *n;
	char *q;
	enum mp_err e;

	if (c == NULL || dom == NULL || sel == NULL)
		return DKIM_CBSTAT_ERROR;
	q = xasprintf("%s._domainkey.%s", sel, dom);
	common_str_lower(q);
	n = dns_name_valid(q, strlen(q)) ? note_get(c, q) : NULL;
	free(q);
	if (n == NULL)
		return DKIM_CBSTAT_ERROR;
	e = dns_book_get(c->book, n->qname, DNS_T_TXT, &a);
	if (e == ERR_AGAIN)
		c->again = true;
	if (e != ERR_OK)
		return note_set(n, MAIL_DKIM_TEMPERROR, DKIM_CBSTAT_TRYAGAIN,
				xasprintf("key lookup of %s not answered", n->qname));
	return key_from_answer(n, a, buf, buflen);
}

/* ---- verification: results ---- */

/* Plain words and the RFC 8601 result for a libopendkim signature error. */
static enum mail_dkim_res sigerror_words(int e, const char **words)
{
	switch (e) {
	case DKIM_SIGERROR_BADSIG:
		*words = "signature mismatch (a signed header field changed, or the key does not "
			 "match the signature)";
		return MAIL_DKIM_FAIL;
	case DKIM_SIGERROR_EXPIRED:
		*words = "signature expired (x= is in the past)";
		return MAIL_DKIM_FAIL;
	case DKIM_SIGERROR_FUTURE:
		*words = "signature timestamp t= is in the future";
		return MAIL_DKIM_FAIL;
	case DKIM_SIGERROR_TIMESTAMPS:
		*words = "signature syntax: x= is before t=";
		return MAIL_DKIM_PERMERROR;
	case DKIM_SIGERROR_NOKEY:
		*words = "no key published for the selector";
		return MAIL_DKIM_PERMERROR;
	case DKIM_SIGERROR_KEYFAIL:
		*words = "key lookup failed temporarily";
		return MAIL_DKIM_TEMPERROR;
	case DKIM_SIGERROR_KEYREVOKED:
		*words = "key revoked (the record has an empty p=)";
		return MAIL_DKIM_PERMERROR;
	case DKIM_SIGERROR_KEYTOOSMALL:
		/* libopendkim stops before the signature check: "policy" here means the key
		   is too small, whether or not the signature would have verified. */
		*words = "RSA key smaller than 1024 bits (RFC 8301 3.2)";
		return MAIL_DKIM_POLICY;
	case DKIM_SIGERROR_SUBDOMAIN:
		*words = "i= is a subdomain of d= but the key has t=s";
		return MAIL_DKIM_FAIL;
	case DKIM_SIGERROR_MULTIREPLY:
		*words = "more than one key record for the selector";
		return MAIL_DKIM_PERMERROR;
	case DKIM_SIGERROR_DNSSYNTAX:
	case DKIM_SIGERROR_KEYVERSION:
	case DKIM_SIGERROR_KEYUNKNOWNHASH:
	case DKIM_SIGERROR_KEYHASHMISMATCH:
	case DKIM_SIGERROR_NOTEMAILKEY:
	case DKIM_SIGERROR_KEYTYPEMISSING:
	case DKIM_SIGERROR_KEYTYPEUNKNOWN:
	case DKIM_SIGERROR_KEYDECODE:
		*words = NULL; /* "key syntax: " + libopendkim's words */
		return MAIL_DKIM_PERMERROR;
	default:
		*words = NULL; /* "signature syntax: " + libopendkim's words */
		return MAIL_DKIM_PERMERROR;
	}
}

static bool is_key_error(int e)
{
	return e == DKIM_SIGERROR_DNSSYNTAX || e == DKIM_SIGERROR_KEYVERSION ||
	       e == DKIM_SIGERROR_KEYUNKNOWNHASH || e == DKIM_SIGERROR_KEYHASHMISMATCH ||
	       e == DKIM_SIGERROR_NOTEMAILKEY || e == DKIM_SIGERROR_KEYTYPEMISSING ||
	       e == DKIM_SIGERROR_KEYTYPEUNKNOWN || e == DKIM_SIGERROR_KEYDECODE;
}

/* The verdict of one signature libopendkim examined. */
static void judge(struct mail_dkim_sig *o, DKIM_SIGINFO *s, const struct keynote *n)
{
	unsigned flags = dkim_sig_getflags(s);
	int e = dkim_sig_geterror(s);
	const char *words = NULL, *lib;

	o->testing = (flags & DKIM_SIGFLAG_TESTKEY) != 0;
	if (DKIM_SIG_CHECK(s)) {
		o->result = MAIL_DKIM_PASS;
		o->error = xstrdup("");
		return;
	}
	if (n != NULL && n->res != MAIL_DKIM_PASS) {
		o->result = n->res;
		o->error = xstrdup(n->why);
		return;
	}
	if (dkim_sig_getbh(s) == DKIM_SIGBH_MISMATCH) {
		o->result = MAIL_DKIM_FAIL;
		o->error = xstrdup("body hash mismatch (the body changed after signing)");
	} else if (e == DKIM_SIGERROR_OK) {
		o->result = MAIL_DKIM_PERMERROR;
		o->error = xstrdup((flags & DKIM_SIGFLAG_PROCESSED) ? "signature did not verify"
								    : "signature not processed");
	} else {
		o->result = sigerror_words(e, &words);
		lib = dkim_sig_geterrorstr(e);
		o->error = words ? xstrdup(words)
				 : xasprintf("%s syntax: %s", is_key_error(e) ? "key" : "signature",
					     lib ? lib : "unknown error");
	}
	/* RFC 6376 3.6.1 t=y: failures of a testing key are not to be held against it. */
	if (o->testing && o->result == MAIL_DKIM_FAIL)
		o->result = MAIL_DKIM_NEUTRAL;
}

static char *first8(const char *b)
{
	return xmemdup0(b, strnlen(b, 8));
}

/* Fill o from the pre-scan alone (libopendkim did not examine this signature). */
static void sig_from_presig(struct mail_dkim_sig *o, const struct mail_dkim_presig *p,
			    const char *why)
{
	o->domain = xstrdup(p->d);
	o->selector = xstrdup(p->s);
	o->identity = p->i[0] ? xstrdup(p->i) : xasprintf("@%s", p->d);
	o->alg =
	    strcmp(p->a, "ed25519-sha256") == 0 ? MAIL_DKIM_ED25519_SHA256 : MAIL_DKIM_RSA_SHA256;
	o->result = MAIL_DKIM_PERMERROR;
	o->error = xstrdup(p->why ? p->why : why);
	o->header_b = first8(p->b);
}

static const struct keynote *note_find(const struct vctx *c, const char *d, const char *s)
{
	char *q = xasprintf("%s._domainkey.%s", s, d);
	const struct keynote *r = NULL;

	common_str_lower(q);
	for (size_t i = 0; i < c->n_notes && r == NULL; i++)
		if (strcmp(c->notes[i].qname, q) == 0)
			r = &c->notes[i];
	free(q);
	return r;
}

/* Fill o from libopendkim's view of signature s. */
static void sig_from_lib(struct mail_dkim_sig *o, DKIM *h, DKIM_SIGINFO *s,
			 const struct mail_dkim_presig *p, const struct vctx *c,
			 const struct fastres *f)
{
	const char *d = (const char *)dkim_sig_getdomain(s);
	const char *sel = (const char *)dkim_sig_getselector(s);
	u_char id[512];
	dkim_alg_t alg = DKIM_SIGN_UNKNOWN;
	unsigned bits = 0;

	o->domain = xstrdup(d ? d : p->d);
	common_str_lower(o->domain);
	o->selector = xstrdup(sel ? sel : p->s);
	if (dkim_sig_getidentity(h, s, id, sizeof id) == DKIM_STAT_OK)
		o->identity = xstrdup((const char *)id);
	else
		o->identity = p->i[0] ? xstrdup(p->i) : xasprintf("@%s", o->domain);
	(void)dkim_sig_getsignalg(s, &alg);
	o->alg = alg == DKIM_SIGN_ED25519SHA256 ? MAIL_DKIM_ED25519_SHA256 : MAIL_DKIM_RSA_SHA256;
	o->header_b = first8(p->b);
	if (f != NULL) { /* the fast path passed it (run_fast) */
		o->result = MAIL_DKIM_PASS;
		o->error = xstrdup("");
		o->testing = f->testing;
		o->key_bits = f->bits;
		return;
	}
	judge(o, s, d && sel ? note_find(c, d, sel) : NULL);
	if (dkim_sig_getkeysize(s, &bits) == DKIM_STAT_OK && bits > 0)
		o->key_bits = bits;
	/* libopendkim says 0 for ed25519 (libraries.md 2.1); RFC 8463: 256 bits.  The key
	   was used when the signature was checked at all. */
	if (o->alg == MAIL_DKIM_ED25519_SHA256 &&
	    (o->result == MAIL_DKIM_PASS || o->result == MAIL_DKIM_FAIL ||
	     o->result == MAIL_DKIM_NEUTRAL))
		o->key_bits = 256;
}

/* The libopendkim signature whose b= is p's, not taken yet. */
static DKIM_SIGINFO *match_sig(DKIM_SIGINFO **sigs, int nsigs, bool *taken,
			       const struct mail_dkim_presig *p)
{
	for (int i = 0; i < nsigs; i++) {
		const u_char *b;
		char *nb;
		bool same;

		if (taken[i])
			continue;
		b = dkim_sig_gettagvalue(sigs[i], false, (u_char *)"b");
		if (b == NULL)
			continue;
		nb = mail_dkim_msg_strip_fws((const char *)b);
		same = strcmp(nb, p->b) == 0;
		free(nb);
		if (same) {
			taken[i] = true;
			return sigs[i];
		}
	}
	return NULL;
}

/* ---- verification: driver ---- */

struct vrun {
	struct mail_dkim_msg m;
	struct mail_dkim_presig pre[MAIL_DKIM_MAX_SIGS];
	size_t n_pre;
	size_t n_ignored;
	struct vctx ctx;
	DKIM *h;
	bool lib_failed; /* libopendkim refused the message before eom */
	bool fast_ok;	 /* every signature passed the fast path: fr[] holds them */
	struct fastres fr[MAIL_DKIM_MAX_SIGS];
};

static void vrun_free(struct vrun *r)
{
	for (size_t i = 0; i < r->n_pre; i++)
		mail_dkim_presig_free(&r->pre[i]);
	for (size_t i = 0; i < r->ctx.n_notes; i++) {
		free(r->ctx.notes[i].qname);
		free(r->ctx.notes[i].why);
	}
	if (r->h != NULL)
		dkim_free(r->h);
	mail_dkim_msg_free(&r->m);
}

/* Run libopendkim (lib) over the message; key lookups as lib's callback says. */
static void run_lib(DKIM_LIB *lib, struct vrun *r)
{
	DKIM_STAT st;
	_Bool testkey = 0;

	r->h = dkim_verify(lib, (const u_char *)"mailpulse", NULL, &st);
	if (r->h == NULL) {
		r->lib_failed = true;
		return;
	}
	(void)dkim_set_user_context(r->h, &r->ctx);
	if (!feed(r->h, &r->m, MAIL_DKIM_MAX_SIGS)) {
		r->lib_failed = true;
		return;
	}
	st = dkim_eoh(r->h);
	if (st != DKIM_STAT_OK && st != DKIM_STAT_NOSIG && st != DKIM_STAT_CBTRYAGAIN &&
	    st != DKIM_STAT_NOKEY && st != DKIM_STAT_KEYFAIL && st != DKIM_STAT_CBERROR &&
	    st != DKIM_STAT_SYNTAX) {
		r->lib_failed = true;
		return;
	}
	if (r->m.body_len > 0)
		(void)dkim_body(r->h, (u_char *)r->m.body, r->m.body_len);
	(void)dkim_eom(r->h, &testkey);
}

/* Build the verdict: one entry per pre-scanned signature, in header order. */
static void collect(struct vrun *r, struct mail_dkim_verdict *out)
{
	DKIM_SIGINFO **sigs = NULL;
	int nsigs = 0;
	bool *taken;

	if (r->h != NULL && dkim_getsiglist(r->h, &sigs, &nsigs) != DKIM_STAT_OK)
		nsigs = 0;
	taken = xcalloc((size_t)nsigs + 1, sizeof *taken);
	out->sigs = xcalloc(r->n_pre + 1, sizeof *out->sigs);
	out->n_sigs = r->n_pre;
	out->n_ignored = r->n_ignored;
	for (size_t i = 0; i < r->n_pre; i++) {
		DKIM_SIGINFO *s = r->pre[i].why ? NULL : match_sig(sigs, nsigs, taken, &r->pre[i]);

		if (r->m.bad_header)
			sig_from_presig(&out->sigs[i], &r->pre[i],
					"the message header is malformed (a NUL byte or a line "
					"without a colon)");
		else if (s == NULL)
			sig_from_presig(&out->sigs[i], &r->pre[i],
					r->lib_failed
					    ? "libopendkim refused the message header"
					    : "signature syntax: libopendkim could not parse it");
		else
			sig_from_lib(&out->sigs[i], r->h, s, &r->pre[i], &r->ctx, NULL);
	}
	free(taken);
}

/* The verdict when every signature passed the fast path. */
static void collect_fast(struct vrun *r, struct mail_dkim_verdict *out)
{
	out->sigs = xcalloc(r->n_pre + 1, sizeof *out->sigs);
	out->n_sigs = r->n_pre;
	out->n_ignored = r->n_ignored;
	for (size_t i = 0; i < r->n_pre; i++)
		if (r->pre[i].why)
			sig_from_presig(&out->sigs[i], &r->pre[i], "");
		else
			sig_from_lib(&out->sigs[i], r->h, r->fr[i].s, &r->pre[i], &r->ctx,
				     &r->fr[i]);
}

/* ---- verification: the fast path ---- */

/*
 * Check signature s with the cached key its record decodes to.  Only the
 * plain case passes: libopendkim found no fault (its only complaint is the
 * key we withheld), rsa-sha256 or ed25519-sha256, exactly one TXT record, a
 * usable key of the algorithm's type, bh= and b= both right.
 */
static bool fast_sig(struct mail_dkim *d, struct vrun *r, DKIM_SIGINFO *s, struct fastres *f)
{
	const char *dom = (const char *)dkim_sig_getdomain(s);
	const char *sel = (const char *)dkim_sig_getselector(s);
	const struct dns_answer *a = NULL;
	const struct mail_dkim_key *k;
	dkim_alg_t alg = DKIM_SIGN_UNKNOWN;
	void *hh, *bh;
	size_t hhlen, bhlen;
	char q[DNS_NAME_MAX + 2];
	int n;
	bool ok;

	if (dkim_sig_geterror(s) != DKIM_SIGERROR_NOKEY ||
	    (dkim_sig_getflags(s) & DKIM_SIGFLAG_IGNORE) || dom == NULL || sel == NULL ||
	    dkim_sig_getsignalg(s, &alg) != DKIM_STAT_OK ||
	    (alg != DKIM_SIGN_RSASHA256 && alg != DKIM_SIGN_ED25519SHA256))
		return false;
	n = snprintf(q, sizeof q, "%s._domainkey.%s", sel, dom);
	if (n < 0 || (size_t)n >= sizeof q)
		return false;
	common_str_lower(q);
	if (dns_book_get(r->ctx.book, q, DNS_T_TXT, &a) != ERR_OK || a->outcome != DNS_DATA ||
	    a->n != 1 || dkim_sig_gethashes(s, &hh, &hhlen, &bh, &bhlen) != DKIM_STAT_OK)
		return false;
	k = mail_dkim_keys_get(d->keys, a->rr[0].data, a->rr[0].len);
	ok = k->usable && (k->type == COMMON_CRYPTO_ED25519) == (alg == DKIM_SIGN_ED25519SHA256) &&
	     mail_dkim_keys_check(k, hh, hhlen, bh, bhlen,
				  (const char *)dkim_sig_gettagvalue(s, false, (u_char *)"bh"),
				  (const char *)dkim_sig_gettagvalue(s, false, (u_char *)"b"));
	f->s = s;
	f->bits = k->type == COMMON_CRYPTO_ED25519 ? 256 : k->bits;
	f->testing = k->testing;
	mail_dkim_keys_release(d->keys, k);
	return ok;
}

/*
 * libopendkim parses, canonicalises and hashes (its key lookup withheld: it
 * decodes the key for every signature, which costs more than all the rest),
 * then each signature is checked with a cached decoded key.  True when every
 * signature passed that way (r->fast_ok, r->fr); otherwise everything is
 * undone and the caller runs the full libopendkim path, so failures and
 * unusual keys get exactly libopendkim's verdict and words.
 */
static bool run_fast(struct mail_dkim *d, struct vrun *r)
{
	DKIM_SIGINFO **sigs = NULL;
	int nsigs = 0;
	bool taken[MAIL_DKIM_MAX_SIGS + 1] = {0};

	if (d->no_fast)
		return false;
	run_lib(d->fast, r);
	if (r->lib_failed || r->h == NULL || dkim_getsiglist(r->h, &sigs, &nsigs) != DKIM_STAT_OK ||
	    nsigs > MAIL_DKIM_MAX_SIGS)
		goto undo;
	for (size_t i = 0; i < r->n_pre; i++) {
		DKIM_SIGINFO *s;

		if (r->pre[i].why)
			continue;
		s = match_sig(sigs, nsigs, taken, &r->pre[i]);
		if (s == NULL || !fast_sig(d, r, s, &r->fr[i]))
			goto undo;
	}
	r->fast_ok = true;
	atomic_fetch_add(&d->n_fast, 1);
	return true;
undo:
	if (r->h != NULL)
		dkim_free(r->h);
	r->h = NULL;
	r->lib_failed = false;
	return false;
}

enum mp_err mail_dkim_verify(struct mail_dkim *d, struct dns_book *book, const char *msg,
			     size_t len, struct mail_dkim_verdict *out)
{
	struct vrun *r = xcalloc(1, sizeof *r);
	enum mp_err err = mail_dkim_msg_split(msg, len, &r->m);

	if (err != ERR_OK)
		goto out;
	for (size_t i = 0; i < r->m.nf; i++) {
		if (!r->m.f[i].is_sig)
			continue;
		if (r->n_pre == MAIL_DKIM_MAX_SIGS)
			r->n_ignored++;
		else
			mail_dkim_presig_scan(&r->m.f[i], &r->pre[r->n_pre++]);
	}
	err = ask_keys(book, r->pre, r->n_pre);
	if (err != ERR_OK)
		goto out;
	r->ctx.book = book;
	if (r->n_pre > 0 && !r->m.bad_header && !run_fast(d, r)) {
		atomic_fetch_add(&d->n_full, 1);
		run_lib(d->lib, r);
	}
	/* A question libopendkim asked that the pre-scan did not foresee. */
	if (r->ctx.again) {
		err = ERR_AGAIN;
		goto out;
	}
	if (r->fast_ok)
		collect_fast(r, out);
	else
		collect(r, out);
out:
	vrun_free(r);
	free(r);
	return err;
}

void mail_dkim_verdict_free(struct mail_dkim_verdict *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->n_sigs; i++) {
		free(v->sigs[i].domain);
		free(v->sigs[i].selector);
		free(v->sigs[i].identity);
		free(v->sigs[i].error);
		free(v->sigs[i].header_b);
	}
	free(v->sigs);
	memset(v, 0, sizeof *v);
}
