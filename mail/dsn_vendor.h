/*
 * mail/dsn_vendor: bounces that are not RFC 3464 reports, read by their
 * shape: the human-readable text that Exim, qmail, Sendmail, Postfix,
 * Exchange/Office 365, Gmail, Amazon SES, Yahoo and others write, where each
 * failed recipient appears as an address line followed by the error.  Also
 * used to find the diagnostic of an RFC 3464 recipient whose report carries
 * no Diagnostic-Code.
 *
 * What it does not: classify reasons (mail/dsn_reason) or parse MIME
 * (mail/mime gives it decoded text).
 */
#ifndef MAILPULSE_MAIL_DSN_VENDOR_H
#define MAILPULSE_MAIL_DSN_VENDOR_H

#include <stdbool.h>
#include <stddef.h>
#include "mail/dsn.h"

/*
 * The recipient record for address (len bytes; angle brackets, quotes and an
 * "rfc822;" prefix are stripped, the address lower-cased) in d, appended when
 * new; NULL when it is not an address or MAIL_DSN_MAX_RCPTS is reached.  New
 * records have every string member set to "" (owned by d).
 */
struct mail_dsn_rcpt *mail_dsn_vendor_add(struct mail_dsn *d, const char *addr, size_t len);

/*
 * Read the bounce text (len bytes of decoded human-readable part) and append
 * the recipients it names with their diagnostic text (and status, when the
 * text has one) to d.  failed_hdr: the X-Failed-Recipients value (Exim) or
 * NULL.  Returns how many recipients it added.
 */
size_t mail_dsn_vendor_scan(const char *text, size_t len, const char *failed_hdr,
			    struct mail_dsn *d);

/* Whether text (len bytes) reads like a bounce written by an MTA. */
bool mail_dsn_vendor_looks_bounce(const char *text, size_t len);

/* Replace *dst (owned) with a copy of len bytes at s, made one line: control
   bytes and runs of white space become one space, trimmed. */
void mail_dsn_vendor_set_line(char **dst, const char *s, size_t len);

#endif
