/*
 * mail/dkim: DKIM signing and verification of whole messages with
 * libopendkim (RFC 6376; ed25519-sha256 per RFC 8463).  The only module that
 * includes <opendkim/...> (STYLE.md 6).
 *
 * CONTRACT (issue 4, written by the lead before implementation; the
 * implementer may add members and functions, but must not change these
 * signatures without telling the lead: the daemon and mail/verify code
 * against them).
 *
 * Verification is a pure function over a struct dns_book like every check
 * (dns/book.h): the DKIM-Signature fields are pre-scanned for d= and s=,
 * every `s._domainkey.d` TXT is asked of the book first (ERR_AGAIN until the
 * driver has answered), and only then does libopendkim run, with its key
 * lookup answered from the book (dkim_set_key_lookup), so it never touches
 * the network or res_* (libraries.md 2.3).
 *
 * What it does not: compose messages (mail/probe), evaluate DMARC
 * (mail/dmarc_eval), or fetch DNS itself.
 */
#ifndef MAILPULSE_MAIL_DKIM_H
#define MAILPULSE_MAIL_DKIM_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "common/err.h"
#include "dns/book.h"

/* Signatures examined per message; more are reported as not checked. */
#define MAIL_DKIM_MAX_SIGS 16
/* Largest message mail_dkim_sign()/mail_dkim_verify() take (ERR_LIMIT past it). */
#define MAIL_DKIM_MAX_MSG (32u << 20)
/* Most header fields in a message (ERR_LIMIT past it). */
#define MAIL_DKIM_MAX_FIELDS 1000

struct mail_dkim; /* a libopendkim library handle; thread-safe after _new */

enum mail_dkim_alg { MAIL_DKIM_RSA_SHA256, MAIL_DKIM_ED25519_SHA256 };

/* RFC 8601 2.7.1 result words. */
enum mail_dkim_res {
	MAIL_DKIM_NONE = 0, /* the message is not signed */
	MAIL_DKIM_PASS,
	MAIL_DKIM_FAIL,	     /* bad signature or body hash mismatch */
	MAIL_DKIM_NEUTRAL,   /* e.g. a t=y testing key that failed */
	MAIL_DKIM_POLICY,    /* verified but unacceptable (e.g. RSA key < 1024 bits) */
	MAIL_DKIM_TEMPERROR, /* key lookup failed temporarily */
	MAIL_DKIM_PERMERROR, /* syntax, no key (NXDOMAIN), revoked key, bad key */
};

struct mail_dkim_sig {
	char *domain;	/* d=, lower case; owned, "" when unparseable */
	char *selector; /* s=; owned, "" when unparseable */
	char *identity; /* i= or "@d"; owned */
	enum mail_dkim_alg alg;
	enum mail_dkim_res result;
	unsigned key_bits; /* RSA modulus bits; 256 for ed25519; 0 when unknown */
	bool testing;	   /* the key has t=y */
	char *error;	/* plain words for a non-pass ("body hash mismatch"); owned, "" on pass */
	char *header_b; /* first 8 chars of b= (RFC 8601 header.b); owned */
};

struct mail_dkim_verdict {
	struct mail_dkim_sig *sigs; /* in header order; owned */
	size_t n_sigs;
	size_t n_ignored; /* signatures past MAIL_DKIM_MAX_SIGS */
};

struct mail_dkim_sign_opts {
	const char *domain;   /* d= */
	const char *selector; /* s= */
	const char *key_pem;  /* PEM private key text (RSA or Ed25519); borrowed */
	size_t key_len;
	enum mail_dkim_alg alg;
	/* canonicalisation is relaxed/relaxed, the whole body is signed; the
	   header fields signed are RFC 6376 5.4.1's recommended set present in
	   the message (From always, oversigned once) */
};

/* The library handle; NULL only if libopendkim cannot initialise. */
struct mail_dkim *mail_dkim_new(void);
void mail_dkim_free(struct mail_dkim *d);

/*
 * Sign msg (len bytes, RFC 5322 with any line endings).  On success *hdr is a
 * complete "DKIM-Signature: ..." field folded with CRLF and ending in CRLF,
 * ready to be prepended to the message (owned by the caller).
 * ERR_INVAL for a bad key or options (*why says which, never the key
 * itself), ERR_PARSE for a message libopendkim refuses.
 */
enum mp_err mail_dkim_sign(struct mail_dkim *d, const struct mail_dkim_sign_opts *o,
			   const char *msg, size_t len, char **hdr, char *why, size_t whysz) MP_WUR;

/*
 * Verify every DKIM-Signature of msg over book.  ERR_AGAIN while a key is
 * still missing from the book (re-run once the driver answered it: answers
 * never change, so re-runs are deterministic); ERR_OK with *out filled
 * otherwise, also when signatures fail (a verdict is not an error).
 * ERR_LIMIT when the message is larger than the caller's bound allows.
 * Free *out with mail_dkim_verdict_free().
 */
enum mp_err mail_dkim_verify(struct mail_dkim *d, struct dns_book *book, const char *msg,
			     size_t len, struct mail_dkim_verdict *out) MP_WUR;
void mail_dkim_verdict_free(struct mail_dkim_verdict *v);

/*
 * For deterministic tests and tools only: make d sign and verify as if the
 * time were now (0: the real clock), and give new signatures an x= expiry
 * ttl seconds after t= (0: no x=).  Call before d is shared between threads
 * (libopendkim keeps these per library handle).  ERR_INVAL if refused.
 */
enum mp_err mail_dkim_set_clock(struct mail_dkim *d, time_t now, unsigned long ttl) MP_WUR;

/*
 * Verification takes a fast path when it can (mail/dkim.c run_fast):
 * libopendkim only parses, canonicalises and hashes, and the signature is
 * checked with a decoded key kept in a small cache; anything but a plain
 * pass goes through libopendkim's full verification, whose verdict and words
 * are then reported.  For tests and the benchmark only: turn the fast path
 * off (on is the default) to compare both; call before d is shared.
 */
void mail_dkim_set_fast(struct mail_dkim *d, bool on);

/* Counters since mail_dkim_new() (thread-safe snapshot). */
struct mail_dkim_stats {
	unsigned long fast; /* messages whose signatures all passed the fast path */
	unsigned long full; /* messages verified by libopendkim's full path */
	size_t keys_cached; /* key records in the decoded-key cache now */
};
void mail_dkim_get_stats(struct mail_dkim *d, struct mail_dkim_stats *out);

/* "none" "pass" "fail" "neutral" "policy" "temperror" "permerror"; static. */
const char *mail_dkim_res_name(enum mail_dkim_res r);
/* "rsa-sha256" "ed25519-sha256"; static. */
const char *mail_dkim_alg_name(enum mail_dkim_alg a);

#endif
