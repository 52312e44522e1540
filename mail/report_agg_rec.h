/*
 * mail/report_agg_rec: builds the meta and the records of a DMARC aggregate
 * report (RFC 7489 appendix C, RFC 9990, the old drafts) from the text of
 * its elements, for mail/report_agg, which walks the XML and knows nothing
 * about values.  Split out of report_agg to keep each file small (STYLE.md
 * 5); nothing else should need it.
 *
 * Each value is trimmed (XML whitespace), lower-cased where the contract
 * says so (domains, result and policy words), checked and converted:
 * row/count a decimal integer <= 2^53, source_ip an IP literal normalised
 * through inet_pton/inet_ntop, date_range decimal unix times with begin <=
 * end, result words to enum mail_agg_result ("Pass" is pass).  The required
 * elements are checked when the meta or a record is asked for.  A record's
 * strings live in one arena that is reset, not freed, between records.
 *
 * What it does not: read XML, count records against limits, call anyone.
 */
#ifndef MAILPULSE_MAIL_REPORT_AGG_REC_H
#define MAILPULSE_MAIL_REPORT_AGG_REC_H

#include <stdbool.h>
#include <stddef.h>
#include "common/err.h"
#include "mail/report_agg.h"

/* The leaf elements whose text matters (paths as in RFC 7489 appendix C). */
enum mail_agg_field {
	MAIL_AGG_F_NONE = 0, /* not a value we keep */
	MAIL_AGG_F_VERSION,  /* feedback/version */
	MAIL_AGG_F_ORG,	     /* report_metadata/... */
	MAIL_AGG_F_EMAIL,
	MAIL_AGG_F_EXTRA,
	MAIL_AGG_F_RID,
	MAIL_AGG_F_BEGIN, /* report_metadata/date_range/... */
	MAIL_AGG_F_END,
	MAIL_AGG_F_DOMAIN, /* policy_published/... */
	MAIL_AGG_F_ADKIM,
	MAIL_AGG_F_ASPF,
	MAIL_AGG_F_P,
	MAIL_AGG_F_SP,
	MAIL_AGG_F_NP,
	MAIL_AGG_F_PCT,
	MAIL_AGG_F_FO,
	MAIL_AGG_F_TESTING,
	MAIL_AGG_F_DISCOVERY,
	MAIL_AGG_F_SOURCE_IP, /* record/row/... */
	MAIL_AGG_F_COUNT,
	MAIL_AGG_F_DISPOSITION, /* record/row/policy_evaluated/... */
	MAIL_AGG_F_PE_DKIM,
	MAIL_AGG_F_PE_SPF,
	MAIL_AGG_F_REASON_TYPE,
	MAIL_AGG_F_HEADER_FROM, /* record/identifiers/... */
	MAIL_AGG_F_ENVELOPE_FROM,
	MAIL_AGG_F_ENVELOPE_TO,
	MAIL_AGG_F_AUTH_DOMAIN, /* record/auth_results/{dkim,spf}/..., the last one added */
	MAIL_AGG_F_AUTH_SELECTOR,
	MAIL_AGG_F_AUTH_SCOPE,
	MAIL_AGG_F_AUTH_RESULT,
	MAIL_AGG_F_AUTH_HUMAN,
};

struct mail_report_agg_rec;

/* A builder whose values are at most max_text bytes; free with _free(). */
struct mail_report_agg_rec *mail_report_agg_rec_new(size_t max_text);
/* Release b (NULL is a no-op). */
void mail_report_agg_rec_free(struct mail_report_agg_rec *b);

/*
 * Store field f from the element text [s, s+len) (s[len] must be writable:
 * the text is trimmed and lower-cased in place).  Meta fields arriving after
 * the meta was taken are ignored.  ERR_PARSE (bad value) or ERR_LIMIT (the
 * record holds too much text) with *what a static description.
 */
enum mp_err mail_report_agg_rec_set(struct mail_report_agg_rec *b, enum mail_agg_field f, char *s,
				    size_t len, const char **what) MP_WUR;
/* A <record> starts: forget the previous one. */
void mail_report_agg_rec_start(struct mail_report_agg_rec *b);
/* row/policy_evaluated was seen (it is required). */
void mail_report_agg_rec_saw_pe(struct mail_report_agg_rec *b);
/* An auth_results <dkim> (dkim true) or <spf> starts: the AUTH fields go to
   it.  ERR_LIMIT past MAIL_AGG_MAX_AUTH of a kind. */
enum mp_err mail_report_agg_rec_add_auth(struct mail_report_agg_rec *b, bool dkim,
					 const char **what) MP_WUR;

/*
 * Check the metadata (org_name, or else the domain of email; report_id;
 * date_range with begin <= end; policy domain and p) and set *m to it,
 * borrowed until _free().  From then on meta fields are ignored.
 * ERR_PARSE with *what on a missing or bad element.
 */
enum mp_err mail_report_agg_rec_meta(struct mail_report_agg_rec *b, const struct mail_agg_meta **m,
				     const char **what) MP_WUR;
/* Check the current record (source_ip, count, policy_evaluated,
   header_from) and fill *r; its strings are borrowed until the next _start().
   ERR_PARSE with *what when a required element is missing. */
enum mp_err mail_report_agg_rec_record(struct mail_report_agg_rec *b, struct mail_agg_record *r,
				       const char **what) MP_WUR;

#endif
