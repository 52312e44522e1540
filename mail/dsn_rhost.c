/*
 * mail/dsn_rhost: per-provider bounce tables.  A provider is recognised by
 * the remote MTA's host name, else by the recipient's domain; then either
 * its error number (a code table) or a sentence of its reply (a phrase table,
 * optionally tied to a reply code and an RFC 3463 status) gives the reason.
 *
 * What it does not: parse bounces or guess for unknown hosts.
 */
#include "config.h"

#include "mail/dsn_rhost.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"

#define RHOST_DIAG_MAX 2048

enum provider {
	P_NONE = 0,
	P_COX,
	P_EXCHANGE_ONLINE,
	P_FRANCE_PTT,
	P_GODADDY,
	P_GOOGLE,
	P_IUA,
	P_KDDI,
	P_MIMECAST,
	P_DOCOMO,
	P_SPECTRUM,
	P_TENCENT,
};

/* A phrase rule: reply 0 = any; status NULL = any, else equal, or with
   lo < hi: starts with status and its last number lies in [lo, hi]. */
struct rule {
	enum provider p;
	int reply;
	const char *status;
	int lo, hi;
	const char *phrase; /* lower case */
	const char *reason;
};

static const struct rule rules[] = {
    {P_COX, 0, NULL, 0, 0, "rejected - no rdns", "blocked"},
    {P_COX, 0, NULL, 0, 0, "cox too many bad commands from", "blocked"},
    {P_COX, 0, NULL, 0, 0, "dns check failure - try again later", "blocked"},
    {P_COX, 0, NULL, 0, 0, "too many invalid recipients", "blocked"},
    {P_COX, 0, NULL, 0, 0, "esmtp server temporarily not available", "notaccept"},
    {P_COX, 0, NULL, 0, 0, "esmtp no data before greeting", "policyviolation"},
    {P_COX, 0, NULL, 0, 0, "attachment extension is forbidden", "policyviolation"},
    {P_COX, 0, NULL, 0, 0, "sender rejected", "rejected"},
    {P_COX, 0, NULL, 0, 0, "too many sessions from", "toomanyconn"},
    {P_COX, 0, NULL, 0, 0, "requested action aborted: try again later", "toomanyconn"},
    {P_COX, 0, NULL, 0, 0, "message threshold exceeded", "toomanyconn"},
    {P_COX, 0, NULL, 0, 0, "recipient rejected", "userunknown"},
    /* Exchange Online: status and sentence together */
    {P_EXCHANGE_ONLINE, 0, "4.4.2", 0, 0, "connection dropped", "blocked"},
    {P_EXCHANGE_ONLINE, 0, "4.7.", 850, 899, "access denied, please try again later", "blocked"},
    {P_EXCHANGE_ONLINE, 0, "5.7.25", 0, 0, "must have a reverse dns record", "blocked"},
    {P_EXCHANGE_ONLINE, 0, "5.7.506", 0, 0, "access denied, bad helo", "blocked"},
    {P_EXCHANGE_ONLINE, 0, "5.7.507", 0, 0, "access denied, rejected by recipient", "blocked"},
    {P_EXCHANGE_ONLINE, 0, "5.7.510", 0, 0, "does not accept email over ipv6", "blocked"},
    {P_EXCHANGE_ONLINE, 0, "5.7.511", 0, 0, "access denied, banned sender", "blocked"},
    {P_EXCHANGE_ONLINE, 0, "5.7.513", 0, 0, "using customer block list", "blocked"},
    {P_EXCHANGE_ONLINE, 0, "5.7.", 606, 649, "access denied, banned sending ip ", "blocked"},
    {P_EXCHANGE_ONLINE, 0, "4.7.", 500, 699, "access denied, please try again later", "blocked"},
    {P_EXCHANGE_ONLINE, 0, "5.5.4", 0, 0, "invalid domain name", "blocked"},
    {P_EXCHANGE_ONLINE, 0, "5.7.1", 0, 0, "part of their network is on our block list", "blocked"},
    {P_EXCHANGE_ONLINE, 0, "5.7.23", 0, 0, "sender policy framework violation", "blocked"},
    {P_EXCHANGE_ONLINE, 0, "5.7.509", 0, 0, "does not pass dmarc verification", "blocked"},
    {P_EXCHANGE_ONLINE, 0, "4.7.650", 0, 0, "temporarily rate limited due to ip reputation",
     "blocked"},
    {P_EXCHANGE_ONLINE, 0, "5.3.0", 0, 0, "too many related errors", "contenterror"},
    {P_EXCHANGE_ONLINE, 0, "5.6.11", 0, 0, "invalid characters", "contenterror"},
    {P_EXCHANGE_ONLINE, 0, "5.5.6", 0, 0, "invalid message content", "contenterror"},
    {P_EXCHANGE_ONLINE, 0, "5.2.3", 0, 0, "message too large for this recipient", "exceedlimit"},
    {P_EXCHANGE_ONLINE, 0, "4.4.1", 0, 0, "connection timed out", "expired"},
    {P_EXCHANGE_ONLINE, 0, "4.4.7", 0, 0, "message delayed", "expired"},
    {P_EXCHANGE_ONLINE, 0, "4.4.7", 0, 0, "message expired", "expired"},
    {P_EXCHANGE_ONLINE, 0, "5.4.300", 0, 0, "message expired", "expired"},
    {P_EXCHANGE_ONLINE, 0, "5.2.2", 0, 0, "mailbox full", "mailboxfull"},
    {P_EXCHANGE_ONLINE, 0, "5.3.4", 0, 0, "message size exceeds fixed maximum message size",
     "mesgtoobig"},
    {P_EXCHANGE_ONLINE, 0, "5.3.4", 0, 0, "message too big for system", "mesgtoobig"},
    {P_EXCHANGE_ONLINE, 0, "5.4.4", 0, 0, "nonexistent domain", "networkerror"},
    {P_EXCHANGE_ONLINE, 0, "5.4.6", 0, 0, "hop count exceeded", "networkerror"},
    {P_EXCHANGE_ONLINE, 0, "4.4.316", 0, 0, "connection refused", "networkerror"},
    {P_EXCHANGE_ONLINE, 0, "5.4.14", 0, 0, "routing loop detected", "networkerror"},
    {P_EXCHANGE_ONLINE, 0, "5.7.1", 0, 0, "unable to relay", "norelaying"},
    {P_EXCHANGE_ONLINE, 0, "5.4.1", 0, 0, "relay access denied", "norelaying"},
    {P_EXCHANGE_ONLINE, 0, "5.7.64", 0, 0, "relay access denied", "norelaying"},
    {P_EXCHANGE_ONLINE, 0, "4.3.2", 0, 0, "system not accepting network messages", "notaccept"},
    {P_EXCHANGE_ONLINE, 0, "5.7.", 900, 999, "delivery not authorized, message refused",
     "policyviolation"},
    {P_EXCHANGE_ONLINE, 0, "5.1.7", 0, 0, "invalid address", "rejected"},
    {P_EXCHANGE_ONLINE, 0, "5.1.7", 0, 0, "unknown sender address", "rejected"},
    {P_EXCHANGE_ONLINE, 0, "5.1.0", 0, 0, "sender denied", "rejected"},
    {P_EXCHANGE_ONLINE, 0, "5.1.8", 0, 0, "access denied, bad outbound sender", "rejected"},
    {P_EXCHANGE_ONLINE, 0, "5.7.1", 0, 0, "delivery not authorized", "rejected"},
    {P_EXCHANGE_ONLINE, 0, "5.7.", 501, 503, "access denied, spam abuse detected", "rejected"},
    {P_EXCHANGE_ONLINE, 0, "5.7.3", 0, 0, "not authorized", "securityerror"},
    {P_EXCHANGE_ONLINE, 0, "5.7.57", 0, 0, "client was not authenticated", "securityerror"},
    {P_EXCHANGE_ONLINE, 0, "5.2.1", 0, 0, "content filter agent quarantined this message",
     "spamdetected"},
    {P_EXCHANGE_ONLINE, 0, "5.7.504", 0, 0, "recipient address rejected: access denied", "suspend"},
    {P_EXCHANGE_ONLINE, 0, "5.7.505", 0, 0, "access denied, banned recipient", "suspend"},
    {P_EXCHANGE_ONLINE, 0, "5.2.1", 0, 0, "mailbox cannot be accessed", "suspend"},
    {P_EXCHANGE_ONLINE, 0, "4.3.2", 0, 0, "service not a", "systemerror"},
    {P_EXCHANGE_ONLINE, 0, "5.3.5", 0, 0, "system incorrectly configured", "systemerror"},
    {P_EXCHANGE_ONLINE, 0, "4.3.1", 0, 0, "insufficient system resources", "systemfull"},
    {P_EXCHANGE_ONLINE, 0, "5.5.3", 0, 0, "too many recipients", "toomanyconn"},
    {P_EXCHANGE_ONLINE, 0, "4.5.3", 0, 0, "too many recipients", "toomanyconn"},
    {P_EXCHANGE_ONLINE, 0, "5.2.122", 0, 0, "has exceeded their limit for", "toomanyconn"},
    {P_EXCHANGE_ONLINE, 0, "5.7.508", 0, 0, "has exceeded permitted limits within", "toomanyconn"},
    {P_EXCHANGE_ONLINE, 0, "5.7.", 700, 749, "access denied, tenant has exceeded threshold",
     "toomanyconn"},
    {P_EXCHANGE_ONLINE, 0, "5.1.1", 0, 0, "resolver.adr.exrecipnotfound; not found", "userunknown"},
    {P_EXCHANGE_ONLINE, 0, "5.1.1", 0, 0, "user unknown", "userunknown"},
    {P_EXCHANGE_ONLINE, 0, "5.1.1", 0, 0, "bad destination mailbox address", "userunknown"},
    {P_EXCHANGE_ONLINE, 0, "5.1.10", 0, 0, "recipient not found", "userunknown"},
    {P_EXCHANGE_ONLINE, 0, "5.5.0", 0, 0, "requested action not taken: mailbox unavailable",
     "userunknown"},
    {P_GODADDY, 0, NULL, 0, 0, "www.spamhaus.org/query/bl?ip=", "blocked"},
    {P_GODADDY, 0, NULL, 0, 0, "554 rbl reject.", "blocked"},
    {P_GODADDY, 0, NULL, 0, 0, "delivery timeout", "expired"},
    {P_GODADDY, 0, NULL, 0, 0, "account disabled", "suspend"},
    {P_GODADDY, 0, NULL, 0, 0, "account storage limit", "mailboxfull"},
    {P_GODADDY, 0, NULL, 0, 0, "account does not exist", "userunknown"},
    {P_GODADDY, 0, NULL, 0, 0, "550 recipient not found.", "userunknown"},
    /* Google: reply code, status and sentence together */
    {P_GOOGLE, 421, "4.7.0", 0, 0, "ip not in whitelist for rcpt domain", "blocked"},
    {P_GOOGLE, 421, "4.7.0", 0, 0, "unusual rate of unsolicited mail originating from your ip",
     "blocked"},
    {P_GOOGLE, 421, "4.7.0", 0, 0, "try again later, closing connection.", "blocked"},
    {P_GOOGLE, 501, "5.5.4", 0, 0, "helo/ehlo argument is invalid", "blocked"},
    {P_GOOGLE, 550, "5.7.1", 0, 0, "unusual rate of unsolicited mail originating from your ip",
     "blocked"},
    {P_GOOGLE, 550, "5.7.1", 0, 0, "is not authorized to send email directly to our servers",
     "blocked"},
    {P_GOOGLE, 550, "5.7.25", 0, 0, "does not have a ptr record setup", "blocked"},
    {P_GOOGLE, 550, "5.7.26", 0, 0, "is not accepted due to domain's dmarc policy", "blocked"},
    {P_GOOGLE, 550, "5.7.1", 0, 0, "fails to pass authentication checks", "blocked"},
    {P_GOOGLE, 550, "5.7.26", 0, 0, "fails to pass authentication checks", "blocked"},
    {P_GOOGLE, 550, "5.7.26", 0, 0, "fails to pass spf checks", "blocked"},
    {P_GOOGLE, 550, "5.7.1", 0, 0, "very low reputation of the sending ip address", "blocked"},
    {P_GOOGLE, 554, "5.6.0", 0, 0, "mail message is malformed", "contenterror"},
    {P_GOOGLE, 552, "5.2.3", 0, 0, "your message exceeded google's message size limits",
     "exceedlimit"},
    {P_GOOGLE, 451, "4.4.2", 0, 0, "timeout - closing connection", "expired"},
    {P_GOOGLE, 452, "4.2.2", 0, 0, "the email account that you tried to reach is over quota",
     "mailboxfull"},
    {P_GOOGLE, 552, "5.2.2", 0, 0, "the email account that you tried to reach is over quota",
     "mailboxfull"},
    {P_GOOGLE, 550, "5.7.1", 0, 0, "email quota exceeded", "mailboxfull"},
    {P_GOOGLE, 554, "5.6.0", 0, 0, "message exceeded 50 hops", "networkerror"},
    {P_GOOGLE, 550, "5.7.0", 0, 0, "mail relay denied", "norelaying"},
    {P_GOOGLE, 550, "5.7.1", 0, 0, "messages with multiple addresses in from: header",
     "policyviolation"},
    {P_GOOGLE, 550, "5.7.1", 0, 0, "has a policy that prohibited", "policyviolation"},
    {P_GOOGLE, 552, "5.7.0", 0, 0, "our system detected an illegal attachment", "policyviolation"},
    {P_GOOGLE, 552, "5.7.0", 0, 0, "its content presents a potential security issue",
     "policyviolation"},
    {P_GOOGLE, 550, "5.7.0", 0, 0, "mail sending denied", "rejected"},
    {P_GOOGLE, 550, "5.7.1", 0, 0, "unauthenticated email is not accepted from this domain",
     "rejected"},
    {P_GOOGLE, 421, "4.7.0", 0, 0, "tls required for rcpt domain", "securityerror"},
    {P_GOOGLE, 530, "5.5.1", 0, 0, "authentication required.", "securityerror"},
    {P_GOOGLE, 535, "5.7.1", 0, 0, "application-specific password required", "securityerror"},
    {P_GOOGLE, 535, "5.7.1", 0, 0, "username and password not accepted", "securityerror"},
    {P_GOOGLE, 550, "5.7.1", 0, 0, "invalid credentials for relay", "securityerror"},
    {P_GOOGLE, 550, "5.7.1", 0, 0, "this message is likely unsolicited mail", "spamdetected"},
    {P_GOOGLE, 550, "5.2.1", 0, 0, "the email account that you tried to reach is disabled",
     "suspend"},
    {P_GOOGLE, 421, "4.3.0", 0, 0, "temporary system problem", "systemerror"},
    {P_GOOGLE, 421, "4.7.0", 0, 0, "temporary system problem", "systemerror"},
    {P_GOOGLE, 421, "4.4.5", 0, 0, "server busy", "systemerror"},
    {P_GOOGLE, 451, "4.3.0", 0, 0, "mail server temporarily rejected message", "systemerror"},
    {P_GOOGLE, 452, "4.5.3", 0, 0, "your message has too many recipients", "toomanyconn"},
    {P_GOOGLE, 450, "4.2.1", 0, 0, "is receiving mail too quickly", "toomanyconn"},
    {P_GOOGLE, 450, "4.2.1", 0, 0, "is receiving mail at a rate that prevents", "toomanyconn"},
    {P_GOOGLE, 550, "5.2.1", 0, 0, "is receiving mail at a rate that prevents", "toomanyconn"},
    {P_GOOGLE, 550, "5.4.5", 0, 0, "daily sending quota exceeded", "toomanyconn"},
    {P_GOOGLE, 550, "5.1.1", 0, 0, "the email account that you tried to reach does not exist",
     "userunknown"},
    {P_GOOGLE, 553, "5.1.2", 0, 0, "we weren't able to find the recipient domain", "userunknown"},
    {P_KDDI, 0, NULL, 0, 0, "550 : user unknown", "filtered"},
    {P_KDDI, 0, NULL, 0, 0, ">: user unknown", "userunknown"},
    {P_MIMECAST, 421, NULL, 0, 0, "sender address blocked", "blocked"},
    {P_MIMECAST, 451, NULL, 0, 0, "ip temporarily blacklisted", "blocked"},
    {P_MIMECAST, 550, NULL, 0, 0, "local ct ip reputation", "blocked"},
    {P_MIMECAST, 550, NULL, 0, 0, "sender invalid - envelope rejected", "blocked"},
    {P_MIMECAST, 554, NULL, 0, 0, "maximum email size exceeded", "mesgtoobig"},
    {P_MIMECAST, 554, NULL, 0, 0, "mail loop detected", "networkerror"},
    {P_MIMECAST, 451, NULL, 0, 0, "open relay not allowed", "norelaying"},
    {P_MIMECAST, 451, NULL, 0, 0, "account inbounds disabled", "notaccept"},
    {P_MIMECAST, 550, NULL, 0, 0, "anti-spoofing policy", "policyviolation"},
    {P_MIMECAST, 550, NULL, 0, 0, "content examination policy", "policyviolation"},
    {P_MIMECAST, 554, NULL, 0, 0, "host network not allowed", "policyviolation"},
    {P_MIMECAST, 550, NULL, 0, 0, "envelope blocked", "rejected"},
    {P_MIMECAST, 550, NULL, 0, 0, "blocked senders - block", "rejected"},
    {P_MIMECAST, 550, NULL, 0, 0, "envelope rejected - block policy", "rejected"},
    {P_MIMECAST, 535, NULL, 0, 0, "incorrect authentication data", "securityerror"},
    {P_MIMECAST, 553, NULL, 0, 0, "this route requires ", "securityerror"},
    {P_MIMECAST, 451, NULL, 0, 0, "unable to process ", "systemerror"},
    {P_MIMECAST, 451, NULL, 0, 0, "message ended early", "systemerror"},
    {P_MIMECAST, 452, NULL, 0, 0, "too many recipients", "toomanyconn"},
    {P_MIMECAST, 550, NULL, 0, 0, "exceeding outbound thread limit", "toomanyconn"},
    {P_MIMECAST, 501, NULL, 0, 0, "invalid address", "userunknown"},
    {P_MIMECAST, 503, NULL, 0, 0, "user unknown", "userunknown"},
    {P_MIMECAST, 550, NULL, 0, 0, "invalid recipient", "userunknown"},
    {P_MIMECAST, 554, NULL, 0, 0, "email rejected due to security policies", "virusdetected"},
    {P_DOCOMO, 0, NULL, 0, 0, "552 too much mail data", "mailboxfull"},
    {P_DOCOMO, 0, NULL, 0, 0, "552 too many recipients", "toomanyconn"},
    {P_DOCOMO, 0, NULL, 0, 0, "503 bad sequence of commands", "syntaxerror"},
    {P_DOCOMO, 0, NULL, 0, 0, "504 command parameter not implemented", "syntaxerror"},
    {P_TENCENT, 0, NULL, 0, 0, "dmarc check failed", "blocked"},
    {P_TENCENT, 0, NULL, 0, 0, "spf check failed", "blocked"},
    {P_TENCENT, 0, NULL, 0, 0, "suspected spam ip", "blocked"},
    {P_TENCENT, 0, NULL, 0, 0, "mail is rejected by recipients", "filtered"},
    {P_TENCENT, 0, NULL, 0, 0, "message too large", "mesgtoobig"},
    {P_TENCENT, 0, NULL, 0, 0, "mail content denied", "spamdetected"},
    {P_TENCENT, 0, NULL, 0, 0, "spam is embedded in the email", "spamdetected"},
    {P_TENCENT, 0, NULL, 0, 0, "suspected spam", "spamdetected"},
    {P_TENCENT, 0, NULL, 0, 0, "bad address syntax", "syntaxerror"},
    {P_TENCENT, 0, NULL, 0, 0, "connection denied", "toomanyconn"},
    {P_TENCENT, 0, NULL, 0, 0, "frequency limited", "toomanyconn"},
    {P_TENCENT, 0, NULL, 0, 0, "mailbox unavailable or access denied", "toomanyconn"},
    {P_TENCENT, 0, NULL, 0, 0, "mailbox not found", "userunknown"},
};

/* Error numbers: the code after a provider's marker, then its meaning. */
struct code {
	enum provider p;
	const char *code;
	const char *reason;
};

static const struct code codes[] = {
    {P_COX, "CXBL", "blocked"},
    {P_COX, "CXTHRT", "securityerror"},
    {P_COX, "CXMJ", "securityerror"},
    {P_COX, "CXDNS", "blocked"},
    {P_COX, "CXSNDR", "rejected"},
    {P_COX, "CXSMTP", "rejected"},
    {P_COX, "CXCNCT", "toomanyconn"},
    {P_COX, "CXMXRT", "toomanyconn"},
    {P_COX, "CDRBL", "blocked"},
    {P_COX, "IPBL", "blocked"},
    {P_COX, "URLBL", "spamdetected"},
    {P_FRANCE_PTT, "101", "blocked"},
    {P_FRANCE_PTT, "102", "blocked"},
    {P_FRANCE_PTT, "103", "blocked"},
    {P_FRANCE_PTT, "104", "toomanyconn"},
    {P_FRANCE_PTT, "305", "securityerror"},
    {P_FRANCE_PTT, "401", "blocked"},
    {P_FRANCE_PTT, "402", "securityerror"},
    {P_FRANCE_PTT, "403", "rejected"},
    {P_FRANCE_PTT, "405", "rejected"},
    {P_FRANCE_PTT, "415", "rejected"},
    {P_FRANCE_PTT, "416", "userunknown"},
    {P_FRANCE_PTT, "417", "mailboxfull"},
    {P_FRANCE_PTT, "418", "userunknown"},
    {P_FRANCE_PTT, "420", "suspend"},
    {P_FRANCE_PTT, "421", "rejected"},
    {P_FRANCE_PTT, "426", "suspend"},
    {P_FRANCE_PTT, "505", "systemerror"},
    {P_FRANCE_PTT, "506", "spamdetected"},
    {P_FRANCE_PTT, "510", "blocked"},
    {P_FRANCE_PTT, "514", "mesgtoobig"},
    {P_FRANCE_PTT, "517", "policyviolation"},
    {P_FRANCE_PTT, "630", "policyviolation"},
    {P_FRANCE_PTT, "999", "blocked"},
    {P_GODADDY, "IB103", "blocked"},
    {P_GODADDY, "IB104", "blocked"},
    {P_GODADDY, "IB105", "blocked"},
    {P_GODADDY, "IB106", "blocked"},
    {P_GODADDY, "IB007", "toomanyconn"},
    {P_GODADDY, "IB101", "expired"},
    {P_GODADDY, "IB108", "blocked"},
    {P_GODADDY, "IB110", "blocked"},
    {P_GODADDY, "IB111", "blocked"},
    {P_GODADDY, "IB112", "blocked"},
    {P_GODADDY, "IB113", "blocked"},
    {P_GODADDY, "IB212", "spamdetected"},
    {P_GODADDY, "IB401", "securityerror"},
    {P_GODADDY, "IB501", "rejected"},
    {P_GODADDY, "IB502", "rejected"},
    {P_GODADDY, "IB504", "toomanyconn"},
    {P_GODADDY, "IB506", "rejected"},
    {P_GODADDY, "IB508", "rejected"},
    {P_GODADDY, "IB510", "toomanyconn"},
    {P_GODADDY, "IB607", "toomanyconn"},
    {P_GODADDY, "IB705", "virusdetected"},
    {P_IUA, "1", "norelaying"},
    {P_IUA, "2", "userunknown"},
    {P_IUA, "3", "suspend"},
    {P_IUA, "4", "mailboxfull"},
    {P_IUA, "5", "toomanyconn"},
    {P_IUA, "6", "norelaying"},
    {P_IUA, "7", "blocked"},
    {P_IUA, "8", "rejected"},
    {P_IUA, "9", "blocked"},
    {P_IUA, "10", "filtered"},
    {P_SPECTRUM, "1000", "blocked"},
    {P_SPECTRUM, "1010", "rejected"},
    {P_SPECTRUM, "1090", "systemerror"},
    {P_SPECTRUM, "1260", "networkerror"},
    {P_SPECTRUM, "1500", "rejected"},
    {P_SPECTRUM, "1520", "rejected"},
    {P_SPECTRUM, "1530", "mesgtoobig"},
    {P_SPECTRUM, "1540", "toomanyconn"},
    {P_SPECTRUM, "1550", "toomanyconn"},
    {P_SPECTRUM, "1560", "policyviolation"},
};

static bool ends_with(const char *s, size_t n, const char *suf)
{
	size_t k = strlen(suf);
	return n >= k && memcmp(s + n - k, suf, k) == 0;
}

/* The provider of one lower-case host name (n bytes). */
static enum provider provider_of(const char *h, size_t n)
{
	if (!n)
		return P_NONE;
	if (memmem(h, n, "cox.net", 7))
		return P_COX;
	if (ends_with(h, n, ".prod.outlook.com") || ends_with(h, n, ".protection.outlook.com"))
		return P_EXCHANGE_ONLINE;
	if (ends_with(h, n, "laposte.net") || ends_with(h, n, "orange.fr") ||
	    ends_with(h, n, "wanadoo.fr"))
		return P_FRANCE_PTT;
	if ((n == 21 && memcmp(h, "smtp.secureserver.net", 21) == 0) ||
	    (n == 27 && memcmp(h, "mailstore1.secureserver.net", 27) == 0))
		return P_GODADDY;
	if (ends_with(h, n, "aspmx.l.google.com") || ends_with(h, n, "gmail-smtp-in.l.google.com"))
		return P_GOOGLE;
	if (ends_with(h, n, ".email.ua"))
		return P_IUA;
	if (ends_with(h, n, ".ezweb.ne.jp") || ends_with(h, n, ".au.com"))
		return P_KDDI;
	if (ends_with(h, n, ".mimecast.com"))
		return P_MIMECAST;
	if (ends_with(h, n, "mfsmax.docomo.ne.jp"))
		return P_DOCOMO;
	if (memmem(h, n, "charter.net", 11))
		return P_SPECTRUM;
	if (ends_with(h, n, ".qq.com") && n > 9 && h[0] == 'm' && h[1] == 'x' && h[2] >= '0' &&
	    h[2] <= '9')
		return P_TENCENT;
	return P_NONE;
}

/* The host name at the start of s, lower case, without brackets, comments
   or a final dot, into buf (cap bytes); its length. */
static size_t clean_host(const char *s, char *buf, size_t cap)
{
	size_t n = 0;
	while (*s == ' ' || *s == '[' || *s == '(')
		s++;
	for (; *s && *s != ' ' && *s != ']' && *s != ')' && *s != ';' && n + 1 < cap; s++)
		buf[n++] = (char)common_str_lc((unsigned char)*s);
	while (n && buf[n - 1] == '.')
		n--;
	buf[n] = '\0';
	return n;
}

/* Whether a status fits a rule's status condition. */
static bool status_fits(const struct rule *r, const char *st)
{
	if (!r->status)
		return true;
	if (r->lo == r->hi)
		return strcmp(st, r->status) == 0;
	size_t k = strlen(r->status);
	if (strncmp(st, r->status, k) != 0)
		return false;
	const char *last = strrchr(st, '.');
	int v = last ? (int)strtol(last + 1, NULL, 10) : -1;
	return v >= r->lo && v <= r->hi;
}

/* The code after marker in d ("AUP#", letters skipped when alpha is false),
   copied into out (cap bytes); false when there is none. */
static bool code_after(const char *d, const char *marker, bool alpha, char *out, size_t cap)
{
	const char *m = strstr(d, marker);
	if (!m)
		return false;
	m += strlen(marker);
	if (!alpha)
		while ((*m >= 'A' && *m <= 'Z') || (*m >= 'a' && *m <= 'z') || *m == '-')
			m++;
	size_t n = 0;
	while (n + 1 < cap && ((alpha && *m >= 'A' && *m <= 'Z') || (*m >= '0' && *m <= '9')))
		out[n++] = *m++;
	out[n] = '\0';
	return n > 0;
}

static const char *code_reason(enum provider p, const char *c, bool prefix)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].p == p &&
		    (prefix ? strncmp(c, codes[i].code, strlen(codes[i].code)) == 0
			    : strcmp(c, codes[i].code) == 0))
			return codes[i].reason;
	return NULL;
}

/* Orange / La Poste: "OFR006_102", "LPN007_416": the last three digits;
   a number the table does not know is "undefined". */
static const char *france_ptt(const char *low)
{
	static const char *const marks[] = {"lpnaaa", "lpn", "ofr", "ouk"};
	for (size_t i = 0; i < 4; i++) {
		for (const char *m = strstr(low, marks[i]); m; m = strstr(m + 1, marks[i])) {
			const char *q = m + strlen(marks[i]);
			size_t d = 0;
			while (d < 4 && q[d] >= '0' && q[d] <= '9')
				d++;
			const char *num = NULL;
			if (d == 0 && q[0] == '_')
				num = q + 1;
			else if (d == 3 && (q[3] == '_' || q[3] == '-'))
				num = q + 4;
			if (!num || strspn(num, "0123456789") != 3)
				continue;
			char c[4] = {num[0], num[1], num[2], '\0'};
			const char *r = code_reason(P_FRANCE_PTT, c, false);
			return r ? r : "undefined";
		}
	}
	return NULL;
}

/* Spectrum's AUP numbers: single ones, then ranges. */
static const char *spectrum(const char *c)
{
	static const struct {
		long lo, hi;
		const char *reason;
	} ranges[] = {
	    {1020, 1080, "rejected"}, {1100, 1150, "blocked"},	   {1160, 1190, "policyviolation"},
	    {1200, 1210, "blocked"},  {1300, 1340, "toomanyconn"}, {1350, 1490, "toomanyconn"},
	};
	const char *r = code_reason(P_SPECTRUM, c, false);
	if (r)
		return r;
	long v = strtol(c, NULL, 10);
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (v >= ranges[i].lo && v <= ranges[i].hi)
			return ranges[i].reason;
	return NULL;
}

/* Provider-specific logic beyond the phrase table; NULL to go on. */
static const char *by_code(enum provider p, const struct mail_dsn_rhost_in *in, const char *low)
{
	char c[16];
	const char *st = in->status ? in->status : "";
	switch (p) {
	case P_COX:
		return code_after(in->diag, "AUP#", true, c, sizeof(c)) ? code_reason(p, c, true)
									: NULL;
	case P_SPECTRUM:
		return code_after(in->diag, "AUP#", false, c, sizeof(c)) ? spectrum(c) : NULL;
	case P_GODADDY:
		if (!code_after(in->diag, " IB", false, c + 2, sizeof(c) - 2))
			return NULL;
		c[0] = 'I';
		c[1] = 'B';
		return code_reason(p, c, false);
	case P_IUA:
		return code_after(low, ".i.ua/err/", false, c, sizeof(c)) ? code_reason(p, c, false)
									  : NULL;
	case P_FRANCE_PTT:
		return france_ptt(low);
	case P_DOCOMO:
		if (strcmp(st, "5.1.1") == 0)
			return "userunknown";
		if (strcmp(st, "5.2.0") == 0)
			return "filtered";
		return NULL;
	default:
		return NULL;
	}
}

static const char *lookup(enum provider p, const struct mail_dsn_rhost_in *in)
{
	char low[RHOST_DIAG_MAX + 1];
	const char *d = in->diag ? in->diag : "";
	size_t n = 0;
	for (; d[n] && n < RHOST_DIAG_MAX; n++)
		low[n] = (char)common_str_lc((unsigned char)d[n]);
	low[n] = '\0';
	const char *st = in->status ? in->status : "";
	const char *r = by_code(p, in, low);
	if (r)
		return r;
	/* Exchange Online and Google name a status with their sentences */
	if ((p == P_EXCHANGE_ONLINE || p == P_GOOGLE) && !*st)
		return NULL;
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		const struct rule *x = &rules[i];
		if (x->p != p || (x->reply && x->reply != in->reply_code) || !status_fits(x, st))
			continue;
		if (strstr(low, x->phrase))
			return x->reason;
	}
	if (p == P_DOCOMO && strcmp(st, "5.0.0") == 0 && in->command) {
		if (strcmp(in->command, "RCPT") == 0)
			return "userunknown";
		if (strcmp(in->command, "DATA") == 0)
			return "rejected";
	}
	return NULL;
}

const char *mail_dsn_rhost_reason(const struct mail_dsn_rhost_in *in)
{
	char h[256];
	if (!in)
		return NULL;
	enum provider p = P_NONE;
	if (in->rhost)
		p = provider_of(h, clean_host(in->rhost, h, sizeof(h)));
	if (p == P_NONE && in->domain)
		p = provider_of(h, clean_host(in->domain, h, sizeof(h)));
	return p == P_NONE ? NULL : lookup(p, in);
}
