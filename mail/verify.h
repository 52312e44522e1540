/*
 * mail/verify: the verdict on one received message (issue 4 "Verification"):
 * SPF (our RFC 7208 evaluator, dns/spf_eval) for the client IP with the HELO
 * identity and the MAIL FROM identity (postmaster@HELO for the null path,
 * RFC 7208 2.4); every DKIM signature (mail/dkim); DMARC (RFC 7489 3.1, 6.6)
 * for the RFC5322.From domain with relaxed or strict alignment of SPF and
 * DKIM per the policy record (dns/dmarc discovery), and the policy that
 * would apply; the Authentication-Results fields of upstream hops (RFC 8601,
 * mail/authres) kept only for the configured authserv-ids; and our own
 * Authentication-Results field.
 *
 * Like every check it is a pure function over a struct dns_book: ERR_AGAIN
 * until the driver answered every DNS question it asked (dns/book.h).
 *
 * CONTRACT (issue 4, written by the lead before implementation; the
 * implementer may add members and functions, but must not change these
 * signatures without telling the lead: the daemon codes against them).
 */
#ifndef MAILPULSE_MAIL_VERIFY_H
#define MAILPULSE_MAIL_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include "common/err.h"
#include "dns/book.h"
#include "dns/orgdomain.h"
#include "mail/dkim.h"

enum mail_verify_dmarc {
	MAIL_VERIFY_DMARC_NONE = 0, /* no policy record for the From domain */
	MAIL_VERIFY_DMARC_PASS,
	MAIL_VERIFY_DMARC_FAIL,
	MAIL_VERIFY_DMARC_TEMPERROR,
	MAIL_VERIFY_DMARC_PERMERROR, /* no or several From domains, bad record */
};

struct mail_verify_opts {
	const char *client_ip;	 /* text IPv4/IPv6; required */
	const char *helo;	 /* EHLO name; may be NULL */
	const char *mail_from;	 /* envelope sender, "" for the null path, NULL unknown */
	const char *authserv_id; /* ours, written into our Authentication-Results */
	const char *const *trusted_authserv_ids; /* upstream A-R kept only from these */
	size_t n_trusted;
	const struct dns_orgdomain *psl; /* NULL: loaded per call (slow; CLI only) */
	struct mail_dkim *dkim;		 /* the library handle; required */
};

/* One upstream Authentication-Results result we trusted. */
struct mail_verify_upstream {
	char *authserv_id; /* owned */
	char *method;	   /* "spf" "dkim" "dmarc" ...; owned */
	char *result;	   /* "pass" ...; owned */
	char *props;	   /* "header.from=example.com smtp.mailfrom=..." as written; owned */
};

struct mail_verify_result {
	/* SPF */
	char spf_helo[12];     /* RFC 7208 result word for the HELO identity, "none" when no HELO */
	char spf_mailfrom[12]; /* for MAIL FROM (or postmaster@HELO for <>) */
	char *spf_domain;      /* the MAIL FROM (or HELO) domain checked; owned */
	/* DKIM */
	struct mail_dkim_verdict dkim;
	/* DMARC */
	char *from_domain; /* RFC5322.From domain, lower case; owned, "" when none/several */
	char *org_domain;  /* its organizational domain; owned */
	enum mail_verify_dmarc dmarc;
	bool spf_aligned;	   /* SPF passed for an aligned domain (aspf) */
	bool dkim_aligned;	   /* some DKIM pass had an aligned d= (adkim) */
	char *aligned_dkim_domain; /* the d= that aligned, or NULL; owned */
	char policy[12];    /* "none" "quarantine" "reject" that applies (sp/np too), "" none */
	char *dmarc_reason; /* plain words ("no aligned pass: SPF example.net, DKIM d=esp.test");
			       owned */
	/* Upstream */
	struct mail_verify_upstream *upstream; /* owned */
	size_t n_upstream;
	/* Ours: "Authentication-Results: <id>; spf=...; dkim=...; dmarc=..." with
	   CRLF folding, no trailing CRLF; owned */
	char *authres;
};

/* Verify msg (len bytes).  ERR_AGAIN while DNS answers are missing; ERR_OK
   with *out filled (verdicts included); ERR_INVAL for bad options.  Free
   with mail_verify_result_free(). */
enum mp_err mail_verify_run(struct dns_book *book, const struct mail_verify_opts *o,
			    const char *msg, size_t len, struct mail_verify_result *out) MP_WUR;
void mail_verify_result_free(struct mail_verify_result *r);

/* "none" "pass" "fail" "temperror" "permerror"; static. */
const char *mail_verify_dmarc_name(enum mail_verify_dmarc d);

struct common_json;
/* r's DKIM signatures as a JSON array of {domain, selector, identity,
   algorithm, result, key_bits, testing, error, header_b}, and its trusted
   upstream results as an array of {authserv_id, method, result, props}: the
   one shape `mailpulse verify --format json` and the probe detail share.
   New values, owned by the caller (common/json.h). */
struct common_json *mail_verify_dkim_json(const struct mail_verify_result *r);
struct common_json *mail_verify_upstream_json(const struct mail_verify_result *r);

#endif
