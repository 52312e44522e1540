/*
 * tests/mail/test_smtp_reply: the SMTP reply parser (mail/smtp_reply):
 * single and multi-line replies (RFC 5321 4.2.1), enhanced status codes
 * (RFC 3463, RFC 2034), incomplete input, garbage, the caps, hostile bytes,
 * EHLO keywords, and queue ids as real MTAs word them.
 */
#include <string.h>
#include "common/xmalloc.h"
#include "mail/smtp_reply.h"
#include "tests/lib/tap.h"

/* Parse a C string; returns the error, fills r and used on success. */
static enum mp_err parse(const char *s, struct mail_smtp_reply *r, size_t *used)
{
	return mail_smtp_reply_parse(s, strlen(s), r, used);
}

static void test_single(void)
{
	struct mail_smtp_reply r;
	size_t used = 0;

	tap_is_int(parse("220 mx.example.test ESMTP ready\r\n", &r, &used), ERR_OK,
		   "greeting parses");
	tap_is_int(r.code, 220, "code 220");
	tap_is_str(r.text, "mx.example.test ESMTP ready", "text without code and CRLF");
	tap_is_int((long long)r.n_lines, 1, "one line");
	tap_is_int((long long)used, 33, "used counts the CRLF");
	tap_is_str(r.esc, "", "no enhanced code");
	tap_is_int(mail_smtp_reply_class(&r), 2, "class 2");
	mail_smtp_reply_free(&r);

	tap_is_int(parse("250\r\n", &r, &used), ERR_OK, "a bare code is a reply (RFC 5321 4.2)");
	tap_is_str(r.text, "", "with empty text");
	mail_smtp_reply_free(&r);

	tap_is_int(parse("550 5.1.1 <nobody@example.test>: User unknown\r\n", &r, &used), ERR_OK,
		   "refusal parses");
	tap_is_str(r.esc, "5.1.1", "enhanced status code taken (RFC 3463)");
	tap_is_str(r.text, "<nobody@example.test>: User unknown", "and stripped from the text");
	mail_smtp_reply_free(&r);

	tap_is_int(parse("250 4.1.1 class differs\r\n", &r, &used), ERR_OK, "esc class mismatch");
	tap_is_str(r.esc, "", "an esc whose class differs from the code's is not one");
	tap_is_str(r.text, "4.1.1 class differs", "and stays in the text");
	mail_smtp_reply_free(&r);

	tap_is_int(parse("550 5.1234.1 x\r\n", &r, &used), ERR_OK, "four-digit subject");
	tap_is_str(r.esc, "", "subject of four digits is no esc (RFC 3463 3.1: 1*3digit)");
	mail_smtp_reply_free(&r);

	tap_is_int(parse("250 2.0.0\r\n", &r, &used), ERR_OK, "esc alone");
	tap_is_str(r.esc, "2.0.0", "esc at the end of the line");
	tap_is_str(r.text, "", "leaves no text");
	mail_smtp_reply_free(&r);
}

static void test_multi(void)
{
	const char *ehlo =
	    "250-mx.example.test Hello [192.0.2.1]\r\n250-SIZE 52428800\r\n"
	    "250-8BITMIME\r\n250-AUTH PLAIN LOGIN\r\n250-STARTTLS\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n250-SMTPUTF8\r\n250 HELP\r\n"
	    "tail";
	struct mail_smtp_reply r;
	struct mail_smtp_ehlo x;
	size_t used = 0;

	tap_is_int(parse(ehlo, &r, &used), ERR_OK, "EHLO reply parses");
	tap_is_int((long long)r.n_lines, 9, "nine lines");
	tap_is_int((long long)used, (long long)(strlen(ehlo) - 4),
		   "used stops before the next bytes");
	tap_ok(strncmp(r.text, "mx.example.test Hello [192.0.2.1]\nSIZE 52428800\n", 48) == 0,
	       "lines joined by LF, codes stripped");
	mail_smtp_reply_ehlo(&r, &x);
	tap_ok(x.starttls && x.auth && x.auth_plain && x.auth_login && x.size && x.eightbitmime &&
		   x.enhanced && x.pipelining && x.smtputf8,
	       "every keyword seen");
	tap_is_int((long long)x.size_max, 52428800, "SIZE value");
	mail_smtp_reply_free(&r);

	tap_is_int(parse("250-mx\r\n250-AUTH=LOGIN\r\n250 SIZE\r\n", &r, &used), ERR_OK,
		   "old AUTH=");
	mail_smtp_reply_ehlo(&r, &x);
	tap_ok(x.auth && x.auth_login && !x.auth_plain && !x.starttls, "AUTH=LOGIN understood");
	tap_ok(x.size && x.size_max == 0, "SIZE without a value: no fixed limit (RFC 1870 4)");
	mail_smtp_reply_free(&r);

	tap_is_int(parse("250-STARTTLS\r\n250 mx\r\n", &r, &used), ERR_OK, "keyword on line 1");
	mail_smtp_reply_ehlo(&r, &x);
	tap_ok(!x.starttls, "the first line is the greeting, never a keyword");
	mail_smtp_reply_free(&r);

	tap_is_int(parse("550-5.7.1 first\r\n550-5.7.1 second\r\n550 5.7.1 third\r\n", &r, &used),
		   ERR_OK, "multi-line error");
	tap_is_str(r.text, "first\nsecond\nthird", "esc stripped on every line (RFC 2034)");
	mail_smtp_reply_free(&r);

	tap_is_int(parse("250-a\n250 b\n", &r, &used), ERR_OK, "bare LF ends lines too");
	tap_is_str(r.text, "a\nb", "text of bare-LF lines");
	mail_smtp_reply_free(&r);
}

static void test_incomplete_and_bad(void)
{
	struct mail_smtp_reply r;
	size_t used = 0;
	char *big;

	tap_is_int(mail_smtp_reply_parse("", 0, &r, &used), ERR_AGAIN, "empty: read more");
	tap_is_int(parse("2", &r, &used), ERR_AGAIN, "one digit: read more");
	tap_is_int(parse("250-first\r\n250-sec", &r, &used), ERR_AGAIN, "unfinished multi-line");
	tap_is_int(parse("250 ok\r", &r, &used), ERR_AGAIN, "CR without LF yet");
	tap_is_int(parse("250\r", &r, &used), ERR_AGAIN, "a bare code, CR without LF yet");
	tap_is_int(parse("HTTP/1.1 400 Bad Request\r\n", &r, &used), ERR_PARSE, "HTTP is not SMTP");
	tap_is_int(parse("HTTP/1.1", &r, &used), ERR_PARSE, "garbage fails before its line ends");
	tap_is_int(parse("250-one\r\n251 two\r\n", &r, &used), ERR_PARSE,
		   "codes differing between lines (RFC 5321 4.2.1)");
	tap_is_int(parse("600 no\r\n", &r, &used), ERR_PARSE, "first digit 6");
	tap_is_int(parse("160 no\r\n", &r, &used), ERR_PARSE, "first digit 1");
	tap_is_int(parse("260 no\r\n", &r, &used), ERR_PARSE, "second digit 6");
	tap_is_int(parse("25 no\r\n", &r, &used), ERR_PARSE, "two digits");
	tap_is_int(parse("250ok\r\n", &r, &used), ERR_PARSE, "no separator");
	tap_is_int(parse("\r\n", &r, &used), ERR_PARSE, "empty line");

	big = xmalloc(70000);
	memset(big, 'A', 69999);
	big[69999] = '\0';
	memcpy(big, "250 ", 4);
	tap_is_int(parse(big, &r, &used), ERR_LIMIT, "64 KB line without LF: limit, not read more");
	big[MAIL_SMTP_REPLY_MAX_LINE + 4] = '\n';
	tap_is_int(parse(big, &r, &used), ERR_LIMIT, "a line just over the cap");
	memset(big, 'A', 69999);
	memcpy(big, "250 ", 4);
	memcpy(big + MAIL_SMTP_REPLY_MAX_LINE, "\r\n", 3);
	tap_is_int(parse(big, &r, &used), ERR_OK, "a line exactly at the cap parses");
	tap_is_int((long long)r.text_len, MAIL_SMTP_REPLY_MAX_LINE - 4, "with all its text");
	mail_smtp_reply_free(&r);
	for (int i = 0; i < MAIL_SMTP_REPLY_MAX_LINES + 5; i++)
		memcpy(big + 7 * i, "250-x\r\n", 7);
	big[7 * (MAIL_SMTP_REPLY_MAX_LINES + 5)] = '\0';
	tap_is_int(parse(big, &r, &used), ERR_LIMIT, "never-ending multi-line: line cap");
	free(big);
}

static void test_hostile_bytes(void)
{
	static const char nul[] = "250 a\0b\xff\xc3 c\r\n";
	struct mail_smtp_reply r;
	size_t used = 0;

	tap_is_int(mail_smtp_reply_parse(nul, sizeof nul - 1, &r, &used), ERR_OK,
		   "NUL and invalid UTF-8 in text parse");
	tap_is_int((long long)r.text_len, 7, "text keeps its length");
	tap_is_str(r.text, "a?b?? c", "unsafe bytes shown as '?'");
	mail_smtp_reply_free(&r);
	tap_is_int(parse("250 a\rb\r\n", &r, &used), ERR_OK, "lone CR inside a line");
	tap_is_str(r.text, "a?b", "becomes '?'");
	mail_smtp_reply_free(&r);
	mail_smtp_reply_free(NULL);
	tap_ok(1, "mail_smtp_reply_free(NULL) is a no-op");
}

struct qid {
	const char *reply, *want;
};

static void test_queue_id(void)
{
	static const struct qid cases[] = {
	    {"250 OK id=1abcD-000123-AB\r\n", "1abcD-000123-AB"},
	    {"250 2.0.0 Ok: queued as ABC123\r\n", "ABC123"},
	    {"250 2.0.0 Ok: queued as 4Xk9Zq1mPzz3wB\r\n", "4Xk9Zq1mPzz3wB"},
	    {"250 2.0.0 OK  1732000000 d75a77b69052e-46291a1b2c3si123456qtb.12 - gsmtp\r\n",
	     "d75a77b69052e-46291a1b2c3si123456qtb.12"},
	    {"250 2.6.0 <a@b> [InternalId=123456789012, Hostname=X] Queued mail for delivery\r\n",
	     "123456789012"},
	    {"250 2.0.0 4AU0a1b2012345 Message accepted for delivery\r\n", "4AU0a1b2012345"},
	    {"250 ok 1732000000 qp 12345\r\n", "12345"},
	    {"250 Ok 0100018c1a2b3c4d-5e6f7a8b-000000\r\n", "0100018c1a2b3c4d-5e6f7a8b-000000"},
	    {"250 Message queued as <XYZ789>\r\n", "XYZ789"},
	    {"250 OK\r\n", NULL},
	    {"250 Ok 123\r\n", NULL},
	    {"550 5.7.1 id=NOTQUEUED rejected\r\n", NULL},
	    {"250 valid=yes\r\n", NULL},
	};
	char id[MAIL_SMTP_QUEUE_ID_MAX];
	char small[5];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct mail_smtp_reply r;
		size_t used = 0;
		bool got;

		if (parse(cases[i].reply, &r, &used) != ERR_OK) {
			tap_ok(0, "case %zu parses", i);
			continue;
		}
		got = mail_smtp_reply_queue_id(&r, id, sizeof id);
		if (cases[i].want)
			tap_is_str(got ? id : NULL, cases[i].want, "queue id of %.*s",
				   (int)strcspn(cases[i].reply, "\r"), cases[i].reply);
		else
			tap_ok(!got, "no queue id in %.*s", (int)strcspn(cases[i].reply, "\r"),
			       cases[i].reply);
		if (i == 0) {
			tap_ok(mail_smtp_reply_queue_id(&r, small, sizeof small), "small buffer");
			tap_is_str(small, "1abc", "id cut to fit");
		}
		mail_smtp_reply_free(&r);
	}
}

int main(void)
{
	test_single();
	test_multi();
	test_incomplete_and_bad();
	test_hostile_bytes();
	test_queue_id();
	return tap_done();
}
