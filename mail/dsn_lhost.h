/*
 * mail/dsn_lhost: the MTA that wrote a bounce, and the wording that MTA uses
 * for each reason.  Some MTAs (Lotus Domino and Notes, Exchange 2003, IMail,
 * McAfee, Hotmail, MessageLabs, AOL, SES inbound, InterScan, G Suite,
 * OpenSMTPD, qmail) write their own sentences instead of RFC 3463 codes;
 * once we know which MTA it is, its sentence names the reason.  The MTA is
 * recognised by a header field it always sets (X-AOL-IP, X-Msg-Ref, X-NAI-
 * Header ...), its Subject, or the first line of its text.  Tables only,
 * learned from Sisimai's Lhost rules; no Perl is run.
 *
 * What it does not: parse messages or pick recipients (mail/dsn,
 * mail/dsn_vendor), or decide the reason of an unrecognised MTA
 * (mail/dsn_reason).
 */
#ifndef MAILPULSE_MAIL_DSN_LHOST_H
#define MAILPULSE_MAIL_DSN_LHOST_H

#include <stddef.h>
#include "mail/mime.h"

enum mail_dsn_lhost {
	MAIL_DSN_LHOST_NONE = 0,
	MAIL_DSN_LHOST_DOMINO,
	MAIL_DSN_LHOST_EXCHANGE2003,
	MAIL_DSN_LHOST_IMAIL,
	MAIL_DSN_LHOST_NOTES,
	MAIL_DSN_LHOST_MCAFEE,
	MAIL_DSN_LHOST_OUTLOOK,
	MAIL_DSN_LHOST_MESSAGELABS,
	MAIL_DSN_LHOST_AOL,
	MAIL_DSN_LHOST_RECEIVINGSES,
	MAIL_DSN_LHOST_INTERSCAN,
	MAIL_DSN_LHOST_GSUITE,
	MAIL_DSN_LHOST_OPENSMTPD,
	MAIL_DSN_LHOST_QMAIL,
	MAIL_DSN_LHOST_GOOGLEGROUPS,
};

/*
 * Which MTA wrote the bounce m, judged by its top-level header fields and
 * the first len bytes of its text (any case); MAIL_DSN_LHOST_NONE when none
 * of the known ones.
 */
enum mail_dsn_lhost mail_dsn_lhost_detect(const struct mail_mime *m, const char *text, size_t len);

/* The reason MTA v's own words in diag (len bytes) name, given the SMTP
   command that failed ("MAIL" ..., "" or NULL when unknown); static, or NULL. */
const char *mail_dsn_lhost_reason(enum mail_dsn_lhost v, const char *diag, size_t len,
				  const char *command);

/*
 * The reason that holds for every recipient of a bounce by MTA v, read from
 * its whole text (len bytes), static, or NULL.  Google Groups lists four
 * "* " causes when a post was refused ("rejected"), fewer when unsure
 * ("onhold").
 */
const char *mail_dsn_lhost_message_reason(enum mail_dsn_lhost v, const char *text, size_t len);

#endif
