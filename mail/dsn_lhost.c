/*
 * mail/dsn_lhost: which MTA wrote a bounce, and what its own sentences mean.
 * Two tables: how each MTA is recognised (a header field it sets, a Subject
 * it writes, a first line of its text), and per MTA the phrases it uses with
 * the reason each one names (phrase syntax of mail_dsn_reason_match: lower
 * case, '*' one word, '#' a number).  Learned from Sisimai's Lhost modules.
 *
 * What it does not: parse messages, or classify bounces of other MTAs.
 */
#include "config.h"

#include "mail/dsn_lhost.h"

#include <string.h>

#include "common/str.h"
#include "mail/dsn_reason.h"

enum sig_kind {
	SIG_HAS,    /* the header field exists */
	SIG_PREFIX, /* the header value starts with s (exact case) */
	SIG_SUB,    /* the header value contains s (any case) */
	SIG_TEXT,   /* the bounce text contains s (any case) */
};

struct sig {
	enum mail_dsn_lhost v;
	enum sig_kind kind;
	const char *hdr;
	const char *s;
};

/* Any one line recognises the MTA; the first hit wins. */
static const struct sig sigs[] = {
    {MAIL_DSN_LHOST_DOMINO, SIG_PREFIX, "Subject", "DELIVERY FAILURE:"},
    {MAIL_DSN_LHOST_DOMINO, SIG_PREFIX, "Subject", "DELIVERY_FAILURE:"},
    {MAIL_DSN_LHOST_EXCHANGE2003, SIG_HAS, "X-MS-Embedded-Report", NULL},
    {MAIL_DSN_LHOST_EXCHANGE2003, SIG_PREFIX, "X-MimeOLE", "Produced By Microsoft Exchange"},
    {MAIL_DSN_LHOST_IMAIL, SIG_PREFIX, "Subject", "Undeliverable Mail"},
    {MAIL_DSN_LHOST_IMAIL, SIG_PREFIX, "X-Mailer", "<SMTP32 v"},
    {MAIL_DSN_LHOST_NOTES, SIG_PREFIX, "Subject", "Undeliverable message"},
    {MAIL_DSN_LHOST_MCAFEE, SIG_SUB, "X-NAI-Header", "modified by mcafee"},
    {MAIL_DSN_LHOST_MESSAGELABS, SIG_HAS, "X-Msg-Ref", NULL},
    {MAIL_DSN_LHOST_AOL, SIG_HAS, "X-AOL-IP", NULL},
    {MAIL_DSN_LHOST_RECEIVINGSES, SIG_HAS, "X-SES-Outgoing", NULL},
    {MAIL_DSN_LHOST_INTERSCAN, SIG_PREFIX, "From", "\"InterScan "},
    {MAIL_DSN_LHOST_INTERSCAN, SIG_PREFIX, "Subject", "Mail could not be delivered"},
    {MAIL_DSN_LHOST_GSUITE, SIG_HAS, "X-Gm-Message-State", NULL},
    {MAIL_DSN_LHOST_OPENSMTPD, SIG_SUB, "Received", " (opensmtpd) with "},
    {MAIL_DSN_LHOST_QMAIL, SIG_TEXT, NULL, "hi. this is the qmail"},
};

struct phrase {
	enum mail_dsn_lhost v;
	const char *p;
	const char *reason;
};

static const struct phrase phrases[] = {
    {MAIL_DSN_LHOST_DOMINO, "not listed in domino directory", "userunknown"},
    {MAIL_DSN_LHOST_DOMINO, "not listed in public name & address book", "userunknown"},
    {MAIL_DSN_LHOST_DOMINO, "non r\xc3\xa9pertori\xc3\xa9 dans l'annuaire domino", "userunknown"},
    {MAIL_DSN_LHOST_DOMINO, "cannot route mail to user", "filtered"},
    {MAIL_DSN_LHOST_DOMINO, "several matches found in domino directory", "systemerror"},
    /* Exchange 2003 names the failure by an MSEXCH code */
    {MAIL_DSN_LHOST_EXCHANGE2003, "000c05a6", "userunknown"},
    {MAIL_DSN_LHOST_EXCHANGE2003, "000b099c", "onhold"},
    {MAIL_DSN_LHOST_EXCHANGE2003, "000b09aa", "onhold"},
    {MAIL_DSN_LHOST_EXCHANGE2003, "000b09b6", "onhold"},
    {MAIL_DSN_LHOST_EXCHANGE2003, "00010256", "systemerror"},
    {MAIL_DSN_LHOST_EXCHANGE2003, "000d06b5", "systemerror"},
    {MAIL_DSN_LHOST_EXCHANGE2003, "00120270", "networkerror"},
    {MAIL_DSN_LHOST_EXCHANGE2003, "00050311", "contenterror"},
    {MAIL_DSN_LHOST_EXCHANGE2003, "000502cc", "contenterror"},
    {MAIL_DSN_LHOST_EXCHANGE2003, "000b0981", "securityerror"},
    {MAIL_DSN_LHOST_EXCHANGE2003, "000c0595", "filtered"},
    {MAIL_DSN_LHOST_IMAIL, "unknown host", "hostunknown"},
    {MAIL_DSN_LHOST_IMAIL, "unknown user", "userunknown"},
    {MAIL_DSN_LHOST_IMAIL, "invalid final delivery userid", "userunknown"},
    {MAIL_DSN_LHOST_IMAIL, "user mailbox exceeds allowed size", "mailboxfull"},
    {MAIL_DSN_LHOST_IMAIL, "requested action not taken: virus detected", "virusdetected"},
    {MAIL_DSN_LHOST_IMAIL, "delivery failed # attempts", "expired"},
    {MAIL_DSN_LHOST_NOTES, "user not listed in public name & address book", "userunknown"},
    {MAIL_DSN_LHOST_NOTES, "message has exceeded maximum hop count", "networkerror"},
    {MAIL_DSN_LHOST_MCAFEE, "no such user", "userunknown"},
    {MAIL_DSN_LHOST_MCAFEE, "550 unknown user ", "userunknown"},
    {MAIL_DSN_LHOST_MCAFEE, "user not exist", "userunknown"},
    {MAIL_DSN_LHOST_MCAFEE, " user (*) unknown.", "userunknown"},
    {MAIL_DSN_LHOST_OUTLOOK, "the mail could not be delivered to the recipient because the domain",
     "hostunknown"},
    {MAIL_DSN_LHOST_OUTLOOK, "requested action not taken: mailbox unavailable", "userunknown"},
    {MAIL_DSN_LHOST_MESSAGELABS, "542 * rejected", "userunknown"},
    {MAIL_DSN_LHOST_MESSAGELABS, "no such user", "userunknown"},
    {MAIL_DSN_LHOST_MESSAGELABS, "please turn on smtp authentication in your mail client",
     "securityerror"},
    {MAIL_DSN_LHOST_AOL, "host or domain name not found", "hostunknown"},
    {MAIL_DSN_LHOST_AOL, "type=mx: malformed or unexpected name server reply", "notaccept"},
    {MAIL_DSN_LHOST_RECEIVINGSES, "mailbox does not exist", "filtered"},
    {MAIL_DSN_LHOST_RECEIVINGSES, "message too large", "mesgtoobig"},
    {MAIL_DSN_LHOST_RECEIVINGSES, "mailbox full", "mailboxfull"},
    {MAIL_DSN_LHOST_RECEIVINGSES, "message content rejected", "contenterror"},
    {MAIL_DSN_LHOST_INTERSCAN, "unable to deliver", "userunknown"},
    {MAIL_DSN_LHOST_GSUITE, "because the address couldn't be found. check for typos",
     "userunknown"},
    {MAIL_DSN_LHOST_GSUITE, "null mx", "notaccept"},
    {MAIL_DSN_LHOST_GSUITE, " had no relevant answers.", "networkerror"},
    {MAIL_DSN_LHOST_GSUITE, " responded with code nxdomain", "networkerror"},
    {MAIL_DSN_LHOST_OPENSMTPD, "envelope expired", "expired"},
    {MAIL_DSN_LHOST_OPENSMTPD, "invalid domain name", "hostunknown"},
    {MAIL_DSN_LHOST_OPENSMTPD, "domain does not exist", "hostunknown"},
    {MAIL_DSN_LHOST_OPENSMTPD, "destination seem to reject all mails", "notaccept"},
    {MAIL_DSN_LHOST_OPENSMTPD, "address family mismatch on destination mxs", "networkerror"},
    {MAIL_DSN_LHOST_OPENSMTPD, "all routes to destination blocked", "networkerror"},
    {MAIL_DSN_LHOST_OPENSMTPD, "bad dns lookup error code", "networkerror"},
    {MAIL_DSN_LHOST_OPENSMTPD, "could not retrieve source address", "networkerror"},
    {MAIL_DSN_LHOST_OPENSMTPD, "loop detected", "networkerror"},
    {MAIL_DSN_LHOST_OPENSMTPD, "network error on destination mxs", "networkerror"},
    {MAIL_DSN_LHOST_OPENSMTPD, "no mx found for d", "networkerror"},
    {MAIL_DSN_LHOST_OPENSMTPD, "no valid route to ", "networkerror"},
    {MAIL_DSN_LHOST_OPENSMTPD, "temporary failure in mx lookup", "networkerror"},
    {MAIL_DSN_LHOST_OPENSMTPD, "could not retrieve credentials", "securityerror"},
    /* qmail and its LDAP patch */
    {MAIL_DSN_LHOST_QMAIL, "mailaddress is administrative", "suspend"},
    {MAIL_DSN_LHOST_QMAIL, "no mailbox here by that name", "userunknown"},
    {MAIL_DSN_LHOST_QMAIL, "does not like recipient.", "userunknown"},
    {MAIL_DSN_LHOST_QMAIL, "the message exeeded the maximum size the user accepts", "exceedlimit"},
    {MAIL_DSN_LHOST_QMAIL, "disk quota exceeded", "mailboxfull"},
    {MAIL_DSN_LHOST_QMAIL, "message size exceeds fixed maximum message size:", "mesgtoobig"},
    {MAIL_DSN_LHOST_QMAIL, "sorry, i couldn't find any host ", "hostunknown"},
    {MAIL_DSN_LHOST_QMAIL, "mailbox unavailable (not enough free space)", "systemfull"},
    {MAIL_DSN_LHOST_QMAIL, "automatic homedir creator crashed", "systemerror"},
    {MAIL_DSN_LHOST_QMAIL, "ldap attribute", "systemerror"},
    {MAIL_DSN_LHOST_QMAIL, "ldap server", "systemerror"},
    {MAIL_DSN_LHOST_QMAIL, "ldap lookup", "systemerror"},
    {MAIL_DSN_LHOST_QMAIL, "returned but needs to be unique", "systemerror"},
    {MAIL_DSN_LHOST_QMAIL, "error while executing qmail-forward", "systemerror"},
    {MAIL_DSN_LHOST_QMAIL, "error in automatic homedir creation", "systemerror"},
    {MAIL_DSN_LHOST_QMAIL, "bad interpreter: no such file or directory", "systemerror"},
    {MAIL_DSN_LHOST_QMAIL, "sorry, i wasn't able to establish an smtp connection", "networkerror"},
    {MAIL_DSN_LHOST_QMAIL, "sorry, i couldn't find a mail exchanger or ip address", "networkerror"},
    {MAIL_DSN_LHOST_QMAIL, "although i'm listed as a best-preference mx", "networkerror"},
};

static bool sig_hit(const struct sig *s, const struct mail_mime *m, const char *text, size_t len)
{
	if (s->kind == SIG_TEXT)
		return mail_dsn_reason_match(text, len, s->s);
	/* one pass over the fields (the first 32 of that name) */
	for (size_t i = 0, seen = 0; i < m->n_headers && seen < 32; i++) {
		const char *v = m->headers[i].value;
		if (!m->headers[i].name || strcasecmp(m->headers[i].name, s->hdr) != 0 || !v)
			continue;
		seen++;
		if (s->kind == SIG_HAS ||
		    (s->kind == SIG_PREFIX && strncmp(v, s->s, strlen(s->s)) == 0) ||
		    (s->kind == SIG_SUB && mail_dsn_reason_match(v, strlen(v), s->s)))
			return true;
	}
	return false;
}

/* Google Groups: Google's mailer-daemon, a DSN subject, X-Failed-Recipients
   and Google's own X-Google-Smtp-Source, all four. */
static bool google_groups(const struct mail_mime *m)
{
	static const struct sig all[] = {
	    {MAIL_DSN_LHOST_GOOGLEGROUPS, SIG_SUB, "From", "<mailer-daemon@googlemail.com>"},
	    {MAIL_DSN_LHOST_GOOGLEGROUPS, SIG_SUB, "Subject", "delivery status notification"},
	    {MAIL_DSN_LHOST_GOOGLEGROUPS, SIG_HAS, "X-Failed-Recipients", NULL},
	    {MAIL_DSN_LHOST_GOOGLEGROUPS, SIG_HAS, "X-Google-Smtp-Source", NULL},
	};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!sig_hit(&all[i], m, "", 0))
			return false;
	/* G Suite's own bounces carry the same fields and an RFC 3464 report */
	for (size_t i = 0; i < m->n_parts; i++)
		if (strcmp(m->parts[i].type, "message/delivery-status") == 0)
			return false;
	return true;
}

/* Hotmail: two of its four marks. */
static bool outlook(const struct mail_mime *m)
{
	static const struct sig any[] = {
	    {MAIL_DSN_LHOST_OUTLOOK, SIG_SUB, "Subject", "delivery status notification"},
	    {MAIL_DSN_LHOST_OUTLOOK, SIG_HAS, "X-Message-Delivery", NULL},
	    {MAIL_DSN_LHOST_OUTLOOK, SIG_HAS, "X-Message-Info", NULL},
	    {MAIL_DSN_LHOST_OUTLOOK, SIG_SUB, "Received", ".hotmail.com"},
	};
	int n = 0;
	for (size_t i = 0; i < sizeof(any) / sizeof(any[0]); i++)
		n += sig_hit(&any[i], m, "", 0);
	return n >= 2;
}

enum mail_dsn_lhost mail_dsn_lhost_detect(const struct mail_mime *m, const char *text, size_t len)
{
	if (!m)
		return MAIL_DSN_LHOST_NONE;
	if (google_groups(m))
		return MAIL_DSN_LHOST_GOOGLEGROUPS;
	if (outlook(m))
		return MAIL_DSN_LHOST_OUTLOOK;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sig_hit(&sigs[i], m, text ? text : "", text ? len : 0))
			return sigs[i].v;
	return MAIL_DSN_LHOST_NONE;
}

const char *mail_dsn_lhost_reason(enum mail_dsn_lhost v, const char *diag, size_t len,
				  const char *command)
{
	if (v == MAIL_DSN_LHOST_NONE || !diag)
		return NULL;
	if (v == MAIL_DSN_LHOST_QMAIL && command) {
		/* qmail-remote: the sender or our HELO was refused */
		if (strcmp(command, "MAIL") == 0)
			return "rejected";
		if (strcmp(command, "HELO") == 0 || strcmp(command, "EHLO") == 0)
			return "blocked";
	}
	if (v == MAIL_DSN_LHOST_QMAIL) {
		/* when the remote host said something, only its words count */
		static const char said[] = "remote host said:";
		for (size_t i = 0; i + sizeof(said) - 1 <= len; i++)
			if (common_str_iprefix(diag + i, len - i, said)) {
				diag += i + sizeof(said) - 1;
				len -= i + sizeof(said) - 1;
				break;
			}
	}
	for (size_t i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++)
		if (phrases[i].v == v && mail_dsn_reason_match(diag, len, phrases[i].p))
			return phrases[i].reason;
	return NULL;
}

const char *mail_dsn_lhost_message_reason(enum mail_dsn_lhost v, const char *text, size_t len)
{
	if (v != MAIL_DSN_LHOST_GOOGLEGROUPS || !text)
		return NULL;
	/* count the "* cause" lines above the returned message */
	size_t bullets = 0;
	for (size_t i = 0; i < len; i++) {
		if (i > 0 && text[i - 1] != '\n')
			continue;
		if (common_str_iprefix(text + i, len - i, "----- original message -----"))
			break;
		size_t k = i;
		if (k < len && text[k] == ' ')
			k++;
		if (k < len && text[k] == '*')
			bullets++;
	}
	return bullets == 4 ? "rejected" : "onhold";
}
