/*
 * mail/report_arf: DMARC failure reports (RFC 6591 authentication failure
 * reports in the RFC 5965 Abuse Reporting Format; RFC 7489 7.3 / RFC 9991),
 * read from the mail/mime tree: a multipart/report with
 * report-type=feedback-report whose message/feedback-report part has
 * Feedback-Type: auth-failure, followed by the original message or its
 * headers (text/rfc822-headers or message/rfc822).
 *
 * CONTRACT (issue 5, written by the lead before implementation; the
 * implementer may add members and functions, but must not change these
 * signatures without telling the lead).
 *
 * What it does not: parse MIME (mail/mime does), or judge anything: the
 * fields are what the reporter says.
 */
#ifndef MAILPULSE_MAIL_REPORT_ARF_H
#define MAILPULSE_MAIL_REPORT_ARF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "mail/mime.h"

struct mail_arf {
	/* RFC 5965 3.1 / RFC 6591 3.1-3.2 fields; owned, "" when absent */
	char *feedback_type;	 /* "auth-failure" (others are ERR_PARSE for this module) */
	char *auth_failure;	 /* "dmarc" "dkim" "spf" "adsp" "bodyhash" "revoked" ... */
	char *reported_domain;	 /* lower case */
	char *source_ip;	 /* normalised IP literal, "" when absent or not an IP */
	char *original_mail_from, *original_rcpt_to;
	char *arrival_date;	 /* as written */
	int64_t arrival;	 /* unix seconds, 0 when unparsable */
	char *reporting_mta, *user_agent;
	char *delivery_result;	 /* RFC 6591 3.2 */
	char *identity_alignment; /* RFC 7489 7.3 / RFC 9991 */
	char *dkim_domain, *dkim_selector, *dkim_identity;
	char *spf_dns;
	char *authentication_results; /* the reporter's A-R of the message */
	/* from the returned original message (headers only) */
	char *orig_from, *orig_subject, *orig_message_id, *orig_date;
	char *human; /* the first text/plain part, cut at 4 KiB */
};

/*
 * Read the failure report of an already parsed message m.  ERR_OK: *out
 * filled (free with mail_arf_free()); ERR_NOTFOUND: m is not an ARF
 * auth-failure report; ERR_PARSE: it claims to be one but lacks the
 * required fields (RFC 6591 3.1: Feedback-Type, User-Agent, Version,
 * Auth-Failure, Reported-Domain ... we require Feedback-Type and
 * Reported-Domain or a From in the original), with why.
 */
enum mp_err mail_report_arf_parse(const struct mail_mime *m, struct mail_arf *out, char *why,
				  size_t whysz) MP_WUR;
void mail_arf_free(struct mail_arf *a);

#endif
