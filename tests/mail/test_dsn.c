/*
 * tests/mail/test_dsn: bounce classification (mail/dsn, mail/dsn_reason,
 * mail/dsn_vendor) on hand-written fixtures in tests/fixtures/bounces/:
 * RFC 3464 reports from Postfix and Exim (Status 5.0.0 with the real code in
 * Diagnostic-Code), a delayed DSN, an RFC 3834 auto-reply, an RFC 5965 ARF
 * report, an ordinary message, qmail and Office 365 plain-text bounces, VERP
 * and returned-header tokens, and hostile input (NUL, bad UTF-8, 300
 * recipients, 60 nested multiparts).  Plus the reason helpers directly,
 * the remote-host tables (mail/dsn_rhost), Amazon SES notifications
 * (mail/dsn_ses) and MTA-specific wording (mail/dsn_lhost via whole
 * messages built here).
 */
#include <stdio.h>
#include <string.h>
#include "common/xmalloc.h"
#include "mail/dsn.h"
#include "mail/dsn_reason.h"
#include "mail/dsn_rhost.h"
#include "mail/dsn_ses.h"
#include "tests/lib/tap.h"

static char *slurp(const char *name, size_t *len)
{
	char *path = xasprintf("%s/tests/fixtures/bounces/%s", tap_srcdir(), name);
	FILE *f = fopen(path, "rb");
	free(path);
	if (!f)
		return NULL;
	char *b = xmalloc(1 << 20);
	*len = fread(b, 1, (1 << 20) - 1, f);
	b[*len] = '\0';
	fclose(f);
	return b;
}

/* Parse a fixture; false (and a failed test) when that does not work. */
static bool load(const char *name, struct mail_dsn *d)
{
	size_t len = 0;
	char *b = slurp(name, &len);
	memset(d, 0, sizeof(*d));
	bool ok = b && mail_dsn_parse(b, len, NULL, d) == ERR_OK;
	tap_ok(ok, "%s parses", name);
	free(b);
	return ok;
}

static void test_postfix(void)
{
	struct mail_dsn d;
	if (!load("postfix.eml", &d))
		return;
	tap_is_str(mail_dsn_kind_name(d.kind), "dsn", "postfix: kind dsn");
	tap_ok(d.is_bounce, "postfix: is_bounce");
	tap_is_int((long long)d.n_rcpts, 1, "postfix: one recipient");
	if (d.n_rcpts == 1) {
		const struct mail_dsn_rcpt *r = &d.rcpts[0];
		tap_is_str(r->address, "nobody@example.net",
			   "postfix: Final-Recipient, domain lower-cased");
		tap_is_str(r->action, "failed", "postfix: action");
		tap_is_str(r->status, "5.1.1", "postfix: status");
		tap_is_int(r->reply_code, 550, "postfix: reply code from Diagnostic-Code");
		tap_is_str(r->reason, "userunknown", "postfix: reason");
		tap_ok(r->hard, "postfix: hard");
		tap_is_str(r->remote_host, "mx.example.net", "postfix: Remote-MTA");
		tap_ok(strstr(r->diagnostic, "User unknown in local recipient table") != NULL,
		       "postfix: folded Diagnostic-Code unfolded");
		tap_is_str(r->token, "mpabcdefghijklmnopqrstuvwxyz",
			   "postfix: VERP token per recipient");
	}
	tap_is_str(d.token, "mpabcdefghijklmnopqrstuvwxyz", "postfix: VERP token from To");
	mail_dsn_free(&d);
}

static void test_exim(void)
{
	struct mail_dsn d;
	if (!load("exim.eml", &d))
		return;
	tap_ok(d.is_bounce && d.n_rcpts == 1,
	       "exim: a bounce with one recipient (not an auto-reply)");
	if (d.n_rcpts == 1) {
		tap_is_str(d.rcpts[0].status, "5.1.1",
			   "exim: 5.0.0 replaced by Diagnostic-Code's 5.1.1");
		tap_is_str(d.rcpts[0].reason, "userunknown", "exim: reason");
		tap_is_str(d.rcpts[0].remote_host, "mx.example.com", "exim: remote host");
	}
	tap_is_str(d.token, "mpzyxwvutsrqponmlkjihgfedcba",
		   "exim: token from the returned X-Mailpulse-Probe");
	mail_dsn_free(&d);
}

static void test_delayed(void)
{
	struct mail_dsn d;
	if (!load("delayed.eml", &d))
		return;
	tap_ok(d.is_bounce && d.n_rcpts == 1, "delayed: one recipient");
	if (d.n_rcpts == 1) {
		tap_is_str(d.rcpts[0].action, "delayed", "delayed: action");
		tap_is_str(d.rcpts[0].status, "4.4.1", "delayed: status");
		tap_is_str(d.rcpts[0].reason, "expired", "delayed: reason expired");
		tap_ok(!d.rcpts[0].hard, "delayed: soft");
	}
	tap_is_str(d.token, "", "delayed: no token");
	mail_dsn_free(&d);
}

static void test_not_bounces(void)
{
	struct mail_dsn d;
	if (load("autoreply.eml", &d)) {
		tap_is_str(mail_dsn_kind_name(d.kind), "autoreply", "autoreply: kind");
		tap_ok(!d.is_bounce, "autoreply: not a bounce");
		tap_ok(d.n_rcpts == 1 && strcmp(d.rcpts[0].reason, "vacation") == 0,
		       "autoreply: the replier with reason vacation");
		mail_dsn_free(&d);
	}
	if (load("arf.eml", &d)) {
		tap_is_str(mail_dsn_kind_name(d.kind), "feedback", "arf: kind feedback");
		tap_ok(!d.is_bounce, "arf: not a bounce");
		tap_ok(d.n_rcpts == 1 &&
			   strcmp(d.rcpts[0].address, "complainer@isp.example.net") == 0 &&
			   strcmp(d.rcpts[0].reason, "feedback") == 0,
		       "arf: Original-Rcpt-To, reason feedback");
		mail_dsn_free(&d);
	}
	if (load("plain.eml", &d)) {
		tap_is_str(mail_dsn_kind_name(d.kind), "none", "plain: kind none");
		tap_is_int((long long)d.n_rcpts, 0, "plain: no recipients");
		mail_dsn_free(&d);
	}
}

static void test_vendor(void)
{
	struct mail_dsn d;
	if (load("qmail.eml", &d)) {
		tap_ok(d.is_bounce && d.n_rcpts == 1, "qmail: one recipient");
		if (d.n_rcpts == 1) {
			tap_is_str(d.rcpts[0].address, "full@example.net", "qmail: address");
			tap_is_str(d.rcpts[0].status, "5.2.2", "qmail: status from text");
			tap_is_int(d.rcpts[0].reply_code, 552, "qmail: reply code");
			tap_is_str(d.rcpts[0].reason, "mailboxfull", "qmail: reason");
			tap_ok(!d.rcpts[0].hard, "qmail: mailbox full is soft");
		}
		tap_is_str(d.token, "mpqrstuvwxyzabcdefghijklmnop", "qmail: VERP token");
		mail_dsn_free(&d);
	}
	if (load("office365.eml", &d)) {
		tap_ok(d.is_bounce && d.n_rcpts == 1, "office365: one recipient");
		if (d.n_rcpts == 1) {
			tap_is_str(d.rcpts[0].address, "someone@contoso.example",
				   "office365: address");
			tap_is_str(d.rcpts[0].status, "5.1.10", "office365: status from text");
			tap_is_int(d.rcpts[0].reply_code, 550, "office365: reply code in quotes");
		}
		mail_dsn_free(&d);
	}
}

static void test_hostile(void)
{
	struct mail_dsn d;
	if (load("hostile-nul.eml", &d)) {
		tap_ok(d.is_bounce, "hostile-nul: still a bounce");
		for (size_t i = 0; i < d.n_rcpts; i++)
			tap_ok(strchr(d.rcpts[i].diagnostic, '\xff') == NULL,
			       "hostile-nul: invalid UTF-8 replaced in the diagnostic");
		mail_dsn_free(&d);
	}
	if (load("hostile-many.eml", &d)) {
		tap_is_int((long long)d.n_rcpts, MAIL_DSN_MAX_RCPTS, "hostile-many: capped at %d",
			   MAIL_DSN_MAX_RCPTS);
		mail_dsn_free(&d);
	}
	if (load("hostile-deep.eml", &d))
		mail_dsn_free(&d);
	memset(&d, 0, sizeof(d));
	tap_is_int(mail_dsn_parse("", 0, NULL, &d), ERR_PARSE, "empty input is ERR_PARSE");
	tap_is_int(mail_dsn_parse("no header here", 14, NULL, &d), ERR_PARSE,
		   "text without a header is ERR_PARSE");
}

static void test_reason(void)
{
	char st[16];
	tap_ok(mail_dsn_reason_find_status("smtp; 550-5.7.1 [192.0.2.1] no", 30, st) &&
		   strcmp(st, "5.7.1") == 0,
	       "find_status skips the IPv4 address");
	tap_ok(!mail_dsn_reason_find_status("from 192.0.2.1 and 4.2.2.1", 26, st),
	       "find_status: addresses are not codes");
	tap_is_int(mail_dsn_reason_find_reply("host said: 452 4.2.2 full", 25), 452, "find_reply");
	tap_is_int(mail_dsn_reason_find_reply("port 25000 and 5500", 19), 0, "find_reply: no code");
	tap_is_str(mail_dsn_reason_command("x (in reply to\n    RCPT TO command)", 35), "RCPT",
		   "command across a line fold");
	tap_ok(mail_dsn_reason_match("Mailbox Foo does not exist", 26, "mailbox * does not exist"),
	       "phrase wildcard");
	struct mail_dsn_reason_in in = {
	    .status = "5.2.2", .diag = "", .action = "failed", .command = ""};
	tap_is_str(mail_dsn_reason_classify(&in), "mailboxfull", "5.2.2 is mailboxfull");
	in.status = "5.0.0";
	in.diag = "552 mailbox is full";
	tap_is_str(mail_dsn_reason_classify(&in), "mailboxfull", "text decides under 5.0.0");
	in.status = "5.7.1";
	in.diag = "550 5.7.1 Service unavailable; client [192.0.2.9] blocked using zen.example";
	tap_is_str(mail_dsn_reason_classify(&in), "blocked", "DNSBL text is blocked");
	in.status = "";
	in.diag = "";
	tap_is_str(mail_dsn_reason_classify(&in), "undefined", "nothing known is undefined");
	tap_ok(mail_dsn_reason_hard("userunknown", "5.1.1", 550), "userunknown is hard");
	tap_ok(!mail_dsn_reason_hard("mailboxfull", "5.2.2", 552), "mailboxfull is soft");
	tap_ok(!mail_dsn_reason_hard("notaccept", "4.3.2", 421), "temporary notaccept is soft");
}

static void test_reason_more(void)
{
	struct mail_dsn_reason_in in = {.status = "5.0.0",
					.diag = "550 <u@example.org>: Recipient address rejected.",
					.action = "failed",
					.command = "RCPT"};
	tap_is_str(mail_dsn_reason_classify(&in), "userunknown",
		   "the RCPT command (known from elsewhere) makes a rejected recipient unknown");
	in.command = "DATA";
	tap_ok(strcmp(mail_dsn_reason_classify(&in), "userunknown") != 0,
	       "the same words after DATA are not userunknown");
	in.status = "5.2.3";
	in.command = "MAIL";
	in.diag = "552 5.2.3 Message size exceeds fixed maximum message size (10485760)";
	tap_is_str(mail_dsn_reason_classify(&in), "exceedlimit", "5.2.3 stays exceedlimit");
	in.status = "5.1.1";
	in.command = "";
	in.diag = "550 5.1.1 no such user";
	in.preset = "mailboxfull";
	tap_is_str(mail_dsn_reason_classify(&in), "mailboxfull", "a precise preset wins");
	in.preset = "hostunknown";
	in.status = "5.4.4";
	in.diag = "Host or domain name not found. Name service error for name=x type=A";
	tap_is_str(mail_dsn_reason_classify(&in), "hostunknown", "a retried preset at its place");
	tap_is_str(mail_dsn_reason_command("Connected to 192.0.2.1 but sender was rejected.", 47),
		   "MAIL", "qmail's wording names MAIL");
	/* the indexed matcher on a long text: hit at the very end */
	char big[3000];
	memset(big, 'x', sizeof(big));
	memcpy(big + sizeof(big) - 20, " (in reply to RCPT", 18);
	memcpy(big + sizeof(big) - 2, " T", 2);
	tap_is_str(mail_dsn_reason_command(big, sizeof(big)), "", "cut phrase: no command");
	memcpy(big + sizeof(big) - 21, " in reply to rcpt to", 20);
	tap_is_str(mail_dsn_reason_command(big, sizeof(big) - 1), "RCPT", "phrase at the end");
}

static void test_rhost(void)
{
	struct mail_dsn_rhost_in h = {.rhost = "cxr.mx.a.cloudfilter.net",
				      .domain = "cox.net",
				      .status = "5.1.0",
				      .reply_code = 550,
				      .command = "MAIL",
				      .diag =
					  "550 5.1.0 <b@example.com> sender rejected. AUP#CDRBL"};
	tap_is_str(mail_dsn_rhost_reason(&h), "blocked", "Cox: AUP#CDRBL is blocked");
	h.diag = "550 5.1.0 <b@example.com> sender rejected.";
	tap_is_str(mail_dsn_rhost_reason(&h), "rejected", "Cox: sender rejected");
	h.domain = "example.org";
	tap_ok(mail_dsn_rhost_reason(&h) == NULL, "unknown host and domain: no verdict");
	h.rhost = "smtp-in.orange.fr (192.0.2.65)";
	h.diag = "550 5.2.0 Mail rejete. Mail rejected. ofr_506 [506]";
	tap_is_str(mail_dsn_rhost_reason(&h), "spamdetected", "Orange: ofr_506");
	h.diag = "421 4.2.1 Service refuse. LPN006_107";
	tap_is_str(mail_dsn_rhost_reason(&h), "undefined", "La Poste: unlisted number");
	h.rhost = "[gmail-smtp-in.l.google.com.]";
	h.status = "5.7.26";
	h.diag = "Unauthenticated email from example.org is not accepted due to domain's DMARC "
		 "policy.";
	tap_is_str(mail_dsn_rhost_reason(&h), "blocked", "Google: DMARC with 550 5.7.26");
	h.reply_code = 421;
	tap_ok(mail_dsn_rhost_reason(&h) == NULL, "Google: the reply code must fit too");
	h.rhost = "";
	h.domain = "charter.net";
	h.diag = "550 5.1.0 sender rejected. AUP#In-1310";
	tap_is_str(mail_dsn_rhost_reason(&h), "toomanyconn", "Spectrum by domain, number range");
}

static void test_ses(void)
{
	static const char body[] =
	    "{\n  \"Type\" : \"Notification\",\n  \"Message\" : \"{\\\"notificationType\\\":"
	    "\\\"Bounce\\\",\\\"bounce\\\":{\\\"bounceType\\\":\\\"Permanent\\\","
	    "\\\"bouncedRecipients\\\":[{\\\"emailAddress\\\":\\\"u@exa!\n"
	    " mple.org\\\",\\\"action\\\":\\\"failed\\\",\\\"status\\\":\\\"5.1.1\\\","
	    "\\\"diagnosticCode\\\":\\\"smtp; 550 5.1.1 user unknown\\\"}]}}\"\n}\n--\nfooter\n";
	struct mail_dsn d = {0};
	tap_is_int((long long)mail_dsn_ses_parse(body, sizeof(body) - 1, &d), 1,
		   "SES: one bounced recipient (folded line joined)");
	if (d.n_rcpts == 1) {
		tap_is_str(d.rcpts[0].address, "u@example.org", "SES: address");
		tap_is_str(d.rcpts[0].status, "5.1.1", "SES: status");
		tap_is_str(d.rcpts[0].diagnostic, "550 5.1.1 user unknown", "SES: diagnostic");
	} else {
		for (int i = 0; i < 3; i++)
			tap_skip("no SES recipient to look at");
	}
	tap_ok(d.kind == MAIL_DSN_BOUNCE, "SES: kind bounce");
	mail_dsn_free(&d);
	memset(&d, 0, sizeof(d));
	tap_is_int((long long)mail_dsn_ses_parse("{\"Message\": 3}", 14, &d), 0,
		   "SES: not a notification");
	tap_is_int((long long)mail_dsn_ses_parse("{\"x\":", 6, &d), 0, "SES: broken JSON");
	tap_ok(d.kind == MAIL_DSN_NONE && d.n_rcpts == 0, "SES: nothing added");
}

static void test_lhost(void)
{
	static const char msg[] =
	    "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\r\n"
	    "To: a@example.org\r\n"
	    "Subject: Delivery Status Notification (Failure)\r\n"
	    "X-Failed-Recipients: list@googlegroups.example\r\n"
	    "X-Google-Smtp-Source: AAA\r\n"
	    "Content-Type: text/plain\r\n\r\n"
	    "Hello a@example.org,\r\n\r\nWe're writing to let you know that the group you tried\r\n"
	    "A few more details:\r\n* one\r\n* two\r\n* three\r\n* four\r\n\r\n"
	    "----- Original message -----\r\n* not counted\r\n";
	struct mail_dsn d = {0};
	tap_ok(mail_dsn_parse(msg, sizeof(msg) - 1, NULL, &d) == ERR_OK, "Google Groups parses");
	tap_ok(d.n_rcpts == 1 && strcmp(d.rcpts[0].reason, "rejected") == 0,
	       "Google Groups: four causes listed is rejected");
	mail_dsn_free(&d);
	static const char q[] =
	    "From: MAILER-DAEMON@mx.example.jp\r\nTo: a@example.org\r\n"
	    "Subject: failure notice\r\n\r\n"
	    "Hi. This is the qmail-send program at mx.example.jp.\r\n"
	    "I'm afraid I wasn't able to deliver your message to the following addresses.\r\n\r\n"
	    "<u@example.net>:\r\nConnected to 192.0.2.1 but sender was rejected.\r\n"
	    "Remote host said: 550 5.7.1 <a@example.org>... Access denied\r\n";
	memset(&d, 0, sizeof(d));
	tap_ok(mail_dsn_parse(q, sizeof(q) - 1, NULL, &d) == ERR_OK, "qmail bounce parses");
	tap_ok(d.n_rcpts == 1 && strcmp(d.rcpts[0].reason, "rejected") == 0,
	       "qmail: a refused sender is rejected, whatever the code");
	mail_dsn_free(&d);
}

int main(void)
{
	test_postfix();
	test_exim();
	test_delayed();
	test_not_bounces();
	test_vendor();
	test_hostile();
	test_reason();
	test_reason_more();
	test_rhost();
	test_ses();
	test_lhost();
	return tap_done();
}
