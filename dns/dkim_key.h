/*
 * dns/dkim_key: DKIM key records (RFC 6376 3.6.1, RFC 8463, RFC 8301) and
 * the DKIM posture check.
 *
 * What it does: parses a `<selector>._domainkey.<domain>` TXT record
 * (v= first and DKIM1, k= rsa|ed25519, h=, s=, t= y/s flags, p= base64 with
 * FWS inside, empty p= = revoked, unknown tags ignored, duplicates invalid),
 * checks the key itself through common/crypto (RSA size, ed25519 shape), and
 * runs the posture check over a book: the configured selectors plus a
 * built-in list of common provider selectors, each key compared with the
 * configured private key file for its selector when there is one.
 *
 * What it does not: verify signatures (mail/dkim does), or find selectors
 * that are neither configured nor in the discovery list (DNS cannot list
 * them; the fix text explains how to read one off a received message).
 */
#ifndef MAILPULSE_DNS_DKIM_KEY_H
#define MAILPULSE_DNS_DKIM_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include "common/crypto.h"
#include "common/err.h"
#include "dns/book.h"
#include "dns/finding.h"

/* A parsed DKIM key record. */
struct dns_dkim_key {
	bool has_v;			 /* v=DKIM1 was present */
	enum common_crypto_keytype type; /* k=, default rsa */
	bool h_present;			 /* h= given (then h_sha256 says if sha256 is allowed) */
	bool h_sha256;
	bool testing; /* t=y: RFC 6376 3.6.1, receivers treat failures as unsigned */
	bool strict;  /* t=s: i= must not be a subdomain of d= */
	bool revoked; /* p= is empty (RFC 6376 3.6.1) */
	char *p;      /* p= as published, whitespace removed; owned ("" when revoked) */
	struct common_crypto_pubkey pub; /* the key; zeroed when revoked */
};

/*
 * Parse one key record [txt, txt+len) (any bytes).
 * ERR_OK: *out filled; free with dns_dkim_key_free().
 * ERR_PARSE / ERR_LIMIT: not a usable key record; why (size whysz) names the
 * tag and the problem in plain words.
 */
enum mp_err dns_dkim_key_parse(const char *txt, size_t len, struct dns_dkim_key *out, char *why,
			       size_t whysz) MP_WUR;
void dns_dkim_key_free(struct dns_dkim_key *k);

/*
 * True when a TXT record is meant as a DKIM key (starts with v=DKIM1 or has a
 * p= or k= tag), even a broken one.  Discovery uses it so that a wildcard TXT
 * (`*.example.com TXT "v=spf1 ..."`) is not taken for keys.
 */
bool dns_dkim_key_looks_like(const char *txt, size_t len);

/* The built-in discovery selectors, in the order they are asked; *n gets the count. */
const char *const *dns_dkim_key_discovery(size_t *n);

/* A configured private key: the selector it signs with and its file. */
struct dns_dkim_keyfile {
	const char *selector;
	const char *path;
};

struct dns_dkim_key_opts {
	const char *const *selectors; /* configured selectors (borrowed) */
	size_t n_selectors;
	const struct dns_dkim_keyfile *keyfiles; /* their selectors count as configured */
	size_t n_keyfiles;
	bool no_discovery; /* ask only the configured selectors */
};

enum dns_dkim_keyfile_state {
	DNS_DKIM_KEYFILE_NONE,	   /* no key file for this selector, or nothing to compare */
	DNS_DKIM_KEYFILE_MATCH,	   /* the file is the private half of the DNS key */
	DNS_DKIM_KEYFILE_MISMATCH, /* it is not */
	DNS_DKIM_KEYFILE_ERROR,	   /* the file could not be read or parsed */
};

/* What one selector showed (for display). */
struct dns_dkim_selector {
	char *selector;
	char *qname; /* <selector>._domainkey.<domain> */
	bool configured;
	enum dns_outcome outcome;
	char *cname;	  /* where a CNAME at qname led (ESP delegation), or NULL */
	bool found;	  /* a DKIM key record is published (maybe broken or revoked) */
	size_t n_records; /* DKIM key records at the name (more than 1 is ambiguous) */
	char *record;	  /* the first of them, raw (may hold NULs); NULL when none */
	size_t record_len;
	bool valid; /* record parsed; key below is meaningful */
	struct dns_dkim_key key;
	char *error; /* why the record is unusable, when found && !valid */
	enum dns_dkim_keyfile_state keyfile;
};

struct dns_dkim_key_result {
	struct dns_dkim_selector *v; /* configured selectors, then discovered ones that exist */
	size_t n;
};

/*
 * The DKIM posture check for domain.  A pure function over book, re-run until
 * it stops returning ERR_AGAIN (it asks every selector in its first run).
 * It needs up to n_selectors + n_keyfiles + the discovery list (30) TXT
 * questions.  Key files are read only on the completing run.
 * Findings (check "dkim"): DKIM_KEY_MISSING, DKIM_KEY_REVOKED, DKIM_KEY_WEAK,
 * DKIM_KEY_TOO_LARGE, DKIM_KEY_TESTING, DKIM_KEY_SYNTAX, DKIM_KEY_MULTIPLE,
 * DKIM_KEY_MISMATCH, DKIM_KEYFILE_UNREADABLE, DKIM_NO_SELECTOR, DKIM_OK,
 * DNS_TEMPFAIL, DNS_MALFORMED (see docs/findings-records.md).
 * ERR_OK: findings appended to out and *res filled (free with
 * dns_dkim_key_result_free(); res may be NULL).  ERR_AGAIN: nothing added,
 * run again after answering the book.  ERR_INVAL: the domain or a
 * configured selector is not a valid DNS name.
 */
enum mp_err dns_dkim_key_check(struct dns_book *book, const char *domain,
			       const struct dns_dkim_key_opts *opts, struct dns_findings *out,
			       struct dns_dkim_key_result *res) MP_WUR;
void dns_dkim_key_result_free(struct dns_dkim_key_result *res);

#endif
