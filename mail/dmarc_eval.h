/*
 * mail/dmarc_eval: DMARC evaluation of one message (RFC 7489, RFC 9989).
 *
 * What it does: extracts the RFC5322.From domain by RFC 7489 6.6.1/6.6.2
 * (exactly one From field holding exactly one address with a domain, else
 * permerror), discovers the policy over the book by reusing dns/dmarc
 * (RFC 7489 6.6.3 with the PSL organizational domain), checks identifier
 * alignment (RFC 7489 3.1: relaxed = same organizational domain, strict =
 * the same name) of the SPF-authenticated domain and of every passing DKIM
 * d=, decides pass/fail, and says which policy applies: p for the domain
 * itself, sp for a subdomain covered by its organizational domain's record,
 * np for a subdomain that does not exist (RFC 9989: NXDOMAIN or NODATA for
 * A, AAAA and MX), with pct and t=.  The verdict comes with plain words.
 *
 * Like every check it is a pure function over a struct dns_book: ERR_AGAIN
 * until the driver answered its questions (dns/book.h).
 *
 * What it does not: run SPF or DKIM (mail/verify feeds their results in),
 * apply the policy (a monitor only reports it), or send reports.
 */
#ifndef MAILPULSE_MAIL_DMARC_EVAL_H
#define MAILPULSE_MAIL_DMARC_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include "common/err.h"
#include "dns/book.h"
#include "dns/dmarc_record.h"
#include "dns/orgdomain.h"

enum mail_dmarc_res {
	MAIL_DMARC_NONE = 0, /* no policy record for the From domain */
	MAIL_DMARC_PASS,
	MAIL_DMARC_FAIL,
	MAIL_DMARC_TEMPERROR, /* the policy lookup failed temporarily */
	MAIL_DMARC_PERMERROR, /* no or several From domains, invalid or several records */
};

struct mail_dmarc_in {
	const char *from_domain; /* RFC5322.From domain (mail_dmarc_eval_from()); required */
	/* The SPF-authenticated identifier (RFC 7489 3.1.2): the MAIL FROM domain, or
	   the HELO domain for the null path; NULL when unknown. */
	const char *spf_domain;
	const char *spf_result;	      /* RFC 7208 result word for spf_domain; NULL = "none" */
	const char *const *dkim_pass; /* d= of every DKIM signature that passed */
	size_t n_dkim_pass;
	size_t n_dkim_sigs;		 /* all signatures, for the explanation */
	const struct dns_orgdomain *psl; /* NULL: loaded per call (slow) */
};

struct mail_dmarc_out {
	enum mail_dmarc_res res;
	char *org_domain;	   /* of the From domain, by the PSL; owned, NULL when unusable */
	char *record_domain;	   /* where the applied record is published; owned, NULL none */
	char adkim, aspf;	   /* 'r' or 's' ('r' when there is no record) */
	bool spf_aligned;	   /* SPF passed for an aligned domain */
	bool dkim_aligned;	   /* some DKIM pass had an aligned d= */
	char *aligned_dkim_domain; /* that d=; owned, NULL when none */
	/* The policy that applies (UNSET when no record) and which tag gave it. */
	enum dns_dmarc_policy policy;
	const char *policy_tag; /* "p" "sp" "np", or "" (static) */
	unsigned pct;		/* 100 when absent */
	char t;			/* RFC 9989 t=: 'y', 'n' or 0 */
	bool nonexistent;	/* the From domain does not exist (np= was considered) */
	char *reason;		/* plain words for a founder; owned, never NULL */
};

/*
 * Evaluate.  ERR_AGAIN while DNS answers are missing; ERR_OK with *out set
 * (every verdict, temperror and permerror included); ERR_INVAL when
 * in->from_domain is NULL.  Free with mail_dmarc_eval_free().  An empty or
 * unusable from_domain gives permerror without asking anything.
 */
enum mp_err mail_dmarc_eval_run(struct dns_book *book, const struct mail_dmarc_in *in,
				struct mail_dmarc_out *out) MP_WUR;
void mail_dmarc_eval_free(struct mail_dmarc_out *o);

/*
 * RFC 7489 6.6.1/6.6.2: the From domain of a message from its From field
 * values (all of them, in order; n may be 0).  ERR_OK: *domain is the
 * domain, lower case, no trailing dot (caller frees).  ERR_PARSE: no From,
 * several From fields, a From with no or several addresses, or an address
 * without a usable domain; why (size whysz) says which in plain words.
 * Uses mail/mime's RFC 5322 address parser.
 */
enum mp_err mail_dmarc_eval_from(const char *const *values, size_t n, char **domain, char *why,
				 size_t whysz) MP_WUR;

/*
 * RFC 7489 3.1.1/3.1.2: true when a and b are aligned in mode 's' (the same
 * name, ignoring case and a trailing dot) or 'r' (the same organizational
 * domain by psl; psl must not be NULL).
 */
bool mail_dmarc_eval_aligned(const struct dns_orgdomain *psl, const char *a, const char *b,
			     char mode);

/* "none" "pass" "fail" "temperror" "permerror"; static. */
const char *mail_dmarc_res_name(enum mail_dmarc_res r);

#endif
