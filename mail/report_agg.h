/*
 * mail/report_agg: DMARC aggregate report XML (RFC 7489 appendix C, RFC 9990
 * and the pre-RFC drafts still sent by some reporters), read with libxml2's
 * streaming xmlTextReader (the only module including <libxml/...>): memory
 * stays flat whatever the input size, because records are handed to the
 * caller one at a time and forgotten.
 *
 * CONTRACT (issue 5, written by the lead before implementation; the
 * implementer may add members and functions, but must not change these
 * signatures without telling the lead: mail/report, daemon/report_ingest and
 * cmd_report code against them).
 *
 * Hostile input (libraries.md 8): XML_PARSE_NONET, never NOENT / DTDLOAD /
 * HUGE; a document with a DOCTYPE is refused outright (billion laughs, XXE
 * with a local file: no entity is ever expanded, no file or URL ever read);
 * caps on element depth, text length per element, records, auth results per
 * record and total input bytes (struct mail_agg_limits).  Structure is
 * validated as the schema says: the root is <feedback>; report_metadata
 * (org_name, report_id, date_range begin/end) and policy_published (domain,
 * p) come before the first <record>; each record has row/source_ip (an IP
 * literal), row/count (a decimal integer), policy_evaluated and
 * identifiers/header_from.  Result words are compared case-insensitively
 * ("Pass" is pass: real reporters send it); an unknown word is kept as
 * MAIL_AGG_RES_OTHER, not an error.  Unknown elements (extensions, RFC 9990
 * additions) are skipped.
 *
 * Leniencies, each seen in real reports: an empty org_name is replaced by
 * the domain of report_metadata/email (an error only when both are empty);
 * RFC 9990's disposition "pass" is MAIL_AGG_DISP_NONE; SPF "hardfail" is
 * MAIL_AGG_RES_FAIL; a garbled pct is -1 (absent), adkim/aspf other than
 * "s" are 'r'.  Strict: row/count is a decimal integer 0..2^53 (no sign,
 * no garbage), date_range begin/end are decimal and begin <= end,
 * source_ip is an IPv4 or IPv6 literal (no zone), header_from is not empty.
 *
 * Process-wide effects, once (pthread_once): xmlInitParser() and an
 * external entity loader that loads nothing.  Safe to call from several
 * threads at once (libxml2's error handler is per thread; we set and
 * restore it around each parse).
 *
 * All or nothing: a document that fails anywhere (not well-formed, invalid
 * UTF-8, a cap, a missing required element) returns ERR_PARSE or ERR_LIMIT
 * with why set, even if records were already delivered; the caller (which
 * stores records inside one transaction) then rolls back.  Invalid reports
 * are rejected, never half-read.
 *
 * What it does not: decompress (mail/report_archive), find the XML inside
 * an e-mail (mail/report), judge alignment (the reporter's policy_evaluated
 * is taken as the DMARC verdict), or store anything.
 */
#ifndef MAILPULSE_MAIL_REPORT_AGG_H
#define MAILPULSE_MAIL_REPORT_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"

/* Results as RFC 7489 C / RFC 9990 spell them; OTHER for an unknown word. */
enum mail_agg_result {
	MAIL_AGG_RES_NONE = 0, /* "none", or absent */
	MAIL_AGG_RES_PASS,
	MAIL_AGG_RES_FAIL,
	MAIL_AGG_RES_NEUTRAL,
	MAIL_AGG_RES_SOFTFAIL,
	MAIL_AGG_RES_TEMPERROR,
	MAIL_AGG_RES_PERMERROR,
	MAIL_AGG_RES_POLICY, /* DKIM "policy" */
	MAIL_AGG_RES_OTHER,
};

enum mail_agg_disposition {
	MAIL_AGG_DISP_NONE = 0,
	MAIL_AGG_DISP_QUARANTINE,
	MAIL_AGG_DISP_REJECT,
	MAIL_AGG_DISP_OTHER,
};

/* Everything before the first <record>.  Strings owned by the parser, valid
   during the callback; "" when absent. */
struct mail_agg_meta {
	const char *version;	   /* <version>, "" */
	const char *org_name;	   /* reporter, trimmed (required) */
	const char *email;	   /* reporter's contact */
	const char *extra_contact; /* extra_contact_info */
	const char *report_id;	   /* required, trimmed */
	int64_t begin, end;	   /* date_range, unix seconds (required) */
	const char *domain;	   /* policy_published/domain, lower case (required) */
	const char *p, *sp, *np;   /* policy words as written, lower case; "" */
	char adkim, aspf;	   /* 'r' or 's' (default 'r') */
	int pct;		   /* 0..100, -1 when absent */
	const char *testing;	   /* RFC 9990 <testing>, "" */
	const char *discovery;	   /* RFC 9990 <discovery_method>, "" */
	const char *fo;		   /* policy_published/fo as written, "" (added) */
};

/* One <dkim> or <spf> of auth_results. */
struct mail_agg_auth {
	const char *domain;   /* lower case, may be "" */
	const char *selector; /* DKIM only, "" */
	const char *scope;    /* SPF "mfrom" / "helo", "" */
	enum mail_agg_result result;
	const char *result_word; /* as written (trimmed, lower case) */
	const char *human;	 /* human_result, "" */
};

#define MAIL_AGG_MAX_AUTH 16 /* <dkim> / <spf> kept per record (more: ERR_LIMIT) */

/* One <record>.  Valid during the callback only. */
struct mail_agg_record {
	char source_ip[64]; /* normalised text form (inet_ntop of inet_pton) */
	uint64_t count;
	enum mail_agg_disposition disposition;
	enum mail_agg_result dkim_eval, spf_eval; /* policy_evaluated: the DMARC
						     verdict per mechanism */
	const char *reason_types; /* policy_evaluated reason types, comma separated, "" */
	const char *header_from;  /* lower case (required) */
	const char *envelope_from, *envelope_to; /* "" */
	struct mail_agg_auth dkim[MAIL_AGG_MAX_AUTH];
	size_t n_dkim;
	struct mail_agg_auth spf[MAIL_AGG_MAX_AUTH];
	size_t n_spf;
};

struct mail_agg_limits {
	uint64_t max_bytes;   /* input bytes read (0 = 64 MiB) */
	unsigned max_depth;   /* element nesting (0 = 16; at most 255) */
	size_t max_text;      /* bytes of one element's text (0 = 4096; at most 1 MiB) */
	uint64_t max_records; /* (0 = 1,000,000) */
};

/* Called once, when the first <record> starts (or at </feedback> when there
   are none): ERR_OK to go on, any other value stops the parse and is returned. */
typedef enum mp_err mail_agg_meta_fn(void *arg, const struct mail_agg_meta *m);
/* Called once per record, in document order; same return convention. */
typedef enum mp_err mail_agg_record_fn(void *arg, const struct mail_agg_meta *m,
				       const struct mail_agg_record *r);

/* Pull-style input: read up to len bytes into buf; return the count, 0 at
   the end, -1 on error (the parse then fails with ERR_IO). */
typedef ssize_t mail_agg_read_fn(void *ctx, char *buf, size_t len);

/* What one parse saw. */
struct mail_agg_summary {
	uint64_t records;  /* delivered to on_record */
	uint64_t messages; /* sum of their counts (saturating) */
	uint64_t bytes;	   /* input bytes consumed */
};

/*
 * Parse one aggregate report pulled through rd(ctx, ...).  lim NULL: the
 * defaults.  on_meta / on_record may be NULL.  ERR_OK: the whole document
 * was valid and every record was delivered; ERR_PARSE (malformed, DOCTYPE,
 * missing required element, bad value) or ERR_LIMIT (a cap) with why (whysz
 * bytes) saying what and where ("line 5: ..."), or the callback's error.
 * sum (may be NULL) is filled in every case.
 */
enum mp_err mail_report_agg_parse(mail_agg_read_fn *rd, void *ctx,
				  const struct mail_agg_limits *lim, mail_agg_meta_fn *on_meta,
				  mail_agg_record_fn *on_record, void *arg,
				  struct mail_agg_summary *sum, char *why, size_t whysz) MP_WUR;

/* The same over a buffer. */
enum mp_err mail_report_agg_parse_mem(const char *p, size_t len, const struct mail_agg_limits *lim,
				      mail_agg_meta_fn *on_meta, mail_agg_record_fn *on_record,
				      void *arg, struct mail_agg_summary *sum, char *why,
				      size_t whysz) MP_WUR;

/* Whether the first bytes look like an aggregate report (optional BOM, XML
   declaration, comments, then "<feedback"): used to sniff attachments. */
bool mail_report_agg_sniff(const char *p, size_t len);

/* "none" "pass" "fail" ... "other". */
const char *mail_agg_result_name(enum mail_agg_result r);
/* "none" "quarantine" "reject" "other". */
const char *mail_agg_disposition_name(enum mail_agg_disposition d);

#endif
