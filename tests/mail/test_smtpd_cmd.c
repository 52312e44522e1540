/*
 * tests/mail/test_smtpd_cmd: the SMTP server's command-line parser
 * (mail/smtpd_cmd): every verb, the RFC 5321 4.1.1/4.1.2 grammar of paths
 * (good and bad), the ESMTP parameters SIZE, BODY and SMTPUTF8, the 4.5.3.1
 * limits at and just over each bound, and hostile bytes (NUL, control
 * characters, invalid UTF-8, 64 KB lines).
 */
#include <stdio.h>
#include <string.h>
#include "mail/smtpd_cmd.h"
#include "tests/lib/tap.h"

static enum mp_err parse(const char *line, struct mail_smtpd_cmd *c,
			 struct mail_smtpd_cmd_reject *r)
{
	return mail_smtpd_cmd_parse(line, strlen(line), c, r);
}

/* Expect line to parse as verb with argument arg. */
static void good(const char *line, enum mail_smtpd_verb verb, const char *arg)
{
	struct mail_smtpd_cmd c;
	struct mail_smtpd_cmd_reject r = {0, "", ""};
	enum mp_err e = parse(line, &c, &r);

	if (!tap_ok(e == ERR_OK && c.verb == verb, "accepted: %s", line)) {
		tap_diag("got err %d verb %d, reply %u %s %s", e, e == ERR_OK ? (int)c.verb : -1,
			 r.code, r.enhanced, r.text);
		return;
	}
	if (arg != NULL)
		tap_is_str(c.arg, arg, "  argument of %s", line);
	tap_is_int((long long)c.arg_len, (long long)strlen(c.arg), "  arg_len of %s", line);
}

/* Expect line to be refused with code and enhanced status. */
static void bad(const char *line, unsigned code, const char *enh, const char *why)
{
	struct mail_smtpd_cmd c;
	struct mail_smtpd_cmd_reject r = {0, "", ""};
	enum mp_err e = parse(line, &c, &r);

	if (!tap_ok(e == ERR_PARSE && r.code == code && strcmp(r.enhanced, enh) == 0,
		    "refused %u %s: %s (%s)", code, enh, line, why))
		tap_diag("got err %d, reply %u %s %s", e, r.code, r.enhanced, r.text);
}

static void test_verbs(void)
{
	good("EHLO client.example.test", MAIL_SMTPD_EHLO, "client.example.test");
	good("ehlo Client.Example.Test", MAIL_SMTPD_EHLO, "Client.Example.Test");
	good("HELO localhost", MAIL_SMTPD_HELO, "localhost");
	good("EHLO [192.0.2.1]", MAIL_SMTPD_EHLO, "[192.0.2.1]");
	good("EHLO [IPv6:2001:db8::1]", MAIL_SMTPD_EHLO, "[IPv6:2001:db8::1]");
	good("EHLO my_host.example.test", MAIL_SMTPD_EHLO, "my_host.example.test");
	good("EHLO host.example.test  ", MAIL_SMTPD_EHLO, "host.example.test");
	good("DATA", MAIL_SMTPD_DATA, "");
	good("data", MAIL_SMTPD_DATA, "");
	good("RSET", MAIL_SMTPD_RSET, "");
	good("NOOP", MAIL_SMTPD_NOOP, "");
	good("NOOP anything at all", MAIL_SMTPD_NOOP, "");
	good("QUIT", MAIL_SMTPD_QUIT, "");
	good("QUIT\t", MAIL_SMTPD_QUIT, "");
	good("HELP", MAIL_SMTPD_HELP, "");
	good("HELP MAIL", MAIL_SMTPD_HELP, "");
	good("VRFY postmaster", MAIL_SMTPD_VRFY, "postmaster");
	good("STARTTLS", MAIL_SMTPD_STARTTLS, "");
	good("AUTH PLAIN AHVzZXIAc2VjcmV0", MAIL_SMTPD_NOTIMPL, "");
	good("EXPN staff", MAIL_SMTPD_NOTIMPL, "");
	good("BDAT 100 LAST", MAIL_SMTPD_NOTIMPL, "");
	good("GET / HTTP/1.1", MAIL_SMTPD_HTTP, "");
	good("POST /x HTTP/1.0", MAIL_SMTPD_HTTP, "");

	bad("", 500, "5.5.1", "empty line");
	bad("FOO bar", 500, "5.5.1", "unknown verb");
	bad("MAILFROM:<a@b.test>", 500, "5.5.1", "verb glued to its argument");
	bad("EHLO", 501, "5.5.4", "EHLO needs a name");
	bad("EHLO  two.spaces.test", 501, "5.5.4", "two spaces after the verb");
	bad("EHLO host name", 501, "5.5.4", "junk after the name");
	bad("EHLO -bad.test", 501, "5.5.4", "label starting with a hyphen");
	bad("EHLO bad-.test", 501, "5.5.4", "label ending with a hyphen");
	bad("EHLO a..test", 501, "5.5.4", "empty label");
	bad("EHLO [300.1.1.1]", 501, "5.5.4", "bad IPv4 literal");
	bad("EHLO [IPv6:zz::1]", 501, "5.5.4", "bad IPv6 literal");
	bad("EHLO [192.0.2.1", 501, "5.5.4", "unclosed literal");
	bad("EHLO h\xc3\xa9.test", 501, "5.5.4", "non-ASCII EHLO name");
	bad("DATA now", 501, "5.5.4", "DATA takes no argument");
	bad("RSET x", 501, "5.5.4", "RSET takes no argument");
	bad("QUIT now", 501, "5.5.4", "QUIT takes no argument");
	bad("STARTTLS x", 501, "5.5.4", "STARTTLS takes no argument");
	bad("VRFY", 501, "5.5.4", "VRFY needs an argument");
	tap_is_str(mail_smtpd_cmd_verb_name(MAIL_SMTPD_RCPT), "RCPT", "verb name");
}

static void test_mail(void)
{
	struct mail_smtpd_cmd c;
	struct mail_smtpd_cmd_reject r;

	good("MAIL FROM:<alice@Example.TEST>", MAIL_SMTPD_MAIL, "alice@example.test");
	good("mail from:<alice@example.test>", MAIL_SMTPD_MAIL, "alice@example.test");
	good("MAIL FROM:<>", MAIL_SMTPD_MAIL, "");
	good("MAIL FROM:<Alice.B+tag@example.test>", MAIL_SMTPD_MAIL, "Alice.B+tag@example.test");
	good("MAIL FROM:<\"john doe\"@example.test>", MAIL_SMTPD_MAIL, "\"john doe\"@example.test");
	good("MAIL FROM:<\"a\\\"b\"@example.test>", MAIL_SMTPD_MAIL, "\"a\\\"b\"@example.test");
	good("MAIL FROM:<@relay1.test,@relay2.test:bob@example.test>", MAIL_SMTPD_MAIL,
	     "bob@example.test");
	good("MAIL FROM:<bob@[192.0.2.7]>", MAIL_SMTPD_MAIL, "bob@[192.0.2.7]");
	good("MAIL FROM:<bob@[IPv6:2001:DB8::7]>", MAIL_SMTPD_MAIL, "bob@[ipv6:2001:db8::7]");
	good("MAIL FROM:<bounce+x=y@example.test> ", MAIL_SMTPD_MAIL, "bounce+x=y@example.test");

	if (tap_ok(parse("MAIL FROM:<a@b.test> SIZE=1000 BODY=8BITMIME SMTPUTF8", &c, &r) == ERR_OK,
		   "three parameters"))
		tap_ok(c.has_size && c.size == 1000 && c.body == MAIL_SMTPD_BODY_8BITMIME &&
			   c.smtputf8,
		       "  SIZE, BODY and SMTPUTF8 read");
	if (tap_ok(parse("MAIL FROM:<> body=7bit size=0", &c, &r) == ERR_OK, "lower-case params"))
		tap_ok(c.has_size && c.size == 0 && c.body == MAIL_SMTPD_BODY_7BIT && !c.smtputf8,
		       "  values read");
	if (tap_ok(parse("MAIL FROM:<j\xc3\xb6rg@b\xc3\xbc"
			 "cher.test> SMTPUTF8",
			 &c, &r) == ERR_OK,
		   "UTF-8 address (RFC 6531)"))
		tap_ok(c.path_utf8 && c.smtputf8, "  flagged as UTF-8");
	tap_ok(parse("MAIL FROM:<a@b.test>", &c, &r) == ERR_OK && !c.path_utf8 && !c.has_size,
	       "ASCII address not flagged");
}

static void test_mail_bad(void)
{
	bad("MAIL FROM: <a@b.test>", 501, "5.5.4", "space after the colon");
	bad("MAIL FROM :<a@b.test>", 501, "5.5.4", "space before the colon");
	bad("MAIL FROM:a@b.test", 501, "5.5.4", "no angle brackets");
	bad("MAIL TO:<a@b.test>", 501, "5.5.4", "wrong keyword");
	bad("MAIL", 501, "5.5.4", "no argument");
	bad("MAIL FROM:<a@b.test", 501, "5.1.7", "unclosed bracket");
	bad("MAIL FROM:<a@b.test>>", 501, "5.5.4", "extra bracket");
	bad("MAIL FROM:<a>", 501, "5.1.7", "no domain");
	bad("MAIL FROM:<@b.test>", 501, "5.1.7", "empty local part");
	bad("MAIL FROM:<a..b@b.test>", 501, "5.1.7", "double dot");
	bad("MAIL FROM:<.a@b.test>", 501, "5.1.7", "leading dot");
	bad("MAIL FROM:<a.@b.test>", 501, "5.1.7", "trailing dot");
	bad("MAIL FROM:<a b@b.test>", 501, "5.1.7", "space in local part");
	bad("MAIL FROM:<a@b_c.test>", 501, "5.1.7", "underscore in a mail domain");
	bad("MAIL FROM:<a@>", 501, "5.1.7", "empty domain");
	bad("MAIL FROM:<a@b.test.>", 501, "5.1.7", "trailing dot in domain");
	bad("MAIL FROM:<a@[1.2.3]>", 501, "5.1.7", "short IPv4 literal");
	bad("MAIL FROM:<a@[tag:stuff]>", 501, "5.1.7", "general address literal");
	bad("MAIL FROM:<\"open@b.test>", 501, "5.1.7", "unclosed quoted string");
	bad("MAIL FROM:<@r.test:>", 501, "5.1.7", "source route without mailbox");
	bad("MAIL FROM:<Postmaster>", 501, "5.1.7", "Postmaster is for RCPT only");
	bad("MAIL FROM:<a@b.test> SIZE=", 501, "5.5.4", "SIZE without value");
	bad("MAIL FROM:<a@b.test> SIZE=12x", 501, "5.5.4", "SIZE not a number");
	bad("MAIL FROM:<a@b.test> SIZE=99999999999999999999999", 501, "5.5.4", "SIZE overflow");
	bad("MAIL FROM:<a@b.test> SIZE=1 SIZE=2", 501, "5.5.4", "SIZE twice");
	bad("MAIL FROM:<a@b.test> BODY=BINARYMIME", 555, "5.5.4", "unsupported BODY");
	bad("MAIL FROM:<a@b.test> BODY", 501, "5.5.4", "BODY without value");
	bad("MAIL FROM:<a@b.test> SMTPUTF8=yes", 501, "5.5.4", "SMTPUTF8 takes no value");
	bad("MAIL FROM:<a@b.test> AUTH=<>", 555, "5.5.4", "unknown parameter");
	bad("MAIL FROM:<a@b.test>  SIZE=1", 501, "5.5.4", "two spaces before a parameter");
	bad("MAIL FROM:<a@b.test> =x", 501, "5.5.4", "parameter without keyword");
	bad("MAIL FROM:<a@b.test> SIZE=1=2", 501, "5.5.4", "= in a value");
	bad("MAIL FROM:<j\xc3\xb6rg@b.test\xff>", 501, "5.1.7", "invalid UTF-8");
	bad("MAIL FROM:<j\xc0\xafrg@b.test>", 501, "5.1.7", "overlong UTF-8");
}

static void test_rcpt(void)
{
	struct mail_smtpd_cmd c;
	struct mail_smtpd_cmd_reject r;

	good("RCPT TO:<probe-1@Probe.Example.TEST>", MAIL_SMTPD_RCPT, "probe-1@probe.example.test");
	good("rcpt to:<x@y.test>", MAIL_SMTPD_RCPT, "x@y.test");
	if (tap_ok(parse("RCPT TO:<Postmaster>", &c, &r) == ERR_OK, "RCPT TO:<Postmaster> (4.5.1)"))
		tap_ok(c.postmaster && strcmp(c.arg, "postmaster") == 0, "  flagged, lower-cased");
	if (tap_ok(parse("RCPT TO:<postmaster@example.test>", &c, &r) == ERR_OK,
		   "postmaster with a domain"))
		tap_ok(!c.postmaster, "  is an ordinary mailbox");
	bad("RCPT TO:<>", 501, "5.1.3", "null path is not a recipient");
	bad("RCPT TO: <x@y.test>", 501, "5.5.4", "space after the colon");
	bad("RCPT TO:<x@y.test> NOTIFY=NEVER", 555, "5.5.4", "no RCPT parameters offered");
	bad("RCPT TO:<x@y.test> NOTIFY=", 501, "5.5.4", "empty parameter value");
	bad("RCPT FROM:<x@y.test>", 501, "5.5.4", "wrong keyword");
	bad("RCPT TO:<x>", 501, "5.1.3", "no domain");
	bad("RCPT TO:<postmaster>x", 501, "5.5.4", "junk after <postmaster>");
}

/* A domain of exactly n octets: labels of 63 'd's joined by dots. */
static void make_domain(char *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = i % 64 == 63 ? '.' : 'd';
	out[n] = '\0';
}

/* RFC 5321 4.5.3.1: each limit at its bound and one past it. */
static void test_limits(void)
{
	char line[1200], local[100], dom[300];
	struct mail_smtpd_cmd c;
	struct mail_smtpd_cmd_reject r;

	memset(local, 'a', 64);
	local[64] = '\0';
	snprintf(line, sizeof line, "RCPT TO:<%s@b.test>", local);
	good(line, MAIL_SMTPD_RCPT, NULL);
	memset(local, 'a', 65);
	local[65] = '\0';
	snprintf(line, sizeof line, "RCPT TO:<%s@b.test>", local);
	bad(line, 501, "5.1.3", "local part of 65 octets");

	make_domain(dom, 255);
	snprintf(line, sizeof line, "EHLO %s", dom);
	good(line, MAIL_SMTPD_EHLO, dom);
	make_domain(dom, 256);
	snprintf(line, sizeof line, "EHLO %s", dom);
	bad(line, 501, "5.5.4", "EHLO domain of 256 octets");

	/* <local@domain> is L + D + 3 octets. */
	memset(local, 'l', 60);
	local[60] = '\0';
	make_domain(dom, 193);
	snprintf(line, sizeof line, "RCPT TO:<%s@%s>", local, dom);
	good(line, MAIL_SMTPD_RCPT, NULL);
	make_domain(dom, 194);
	snprintf(line, sizeof line, "RCPT TO:<%s@%s>", local, dom);
	bad(line, 501, "5.1.3", "path of 257 octets");

	memset(dom, 'e', 64);
	dom[64] = '\0';
	snprintf(line, sizeof line, "EHLO %s.test", dom);
	bad(line, 501, "5.5.4", "label of 64 octets");

	memset(line, 'x', sizeof line);
	memcpy(line, "NOOP ", 5);
	tap_is_int(mail_smtpd_cmd_parse(line, 510, &c, &r), ERR_OK, "command of 510 octets + CRLF");
	tap_is_int(mail_smtpd_cmd_parse(line, 511, &c, &r), ERR_PARSE, "511 octets refused");
	tap_ok(r.code == 500 && strcmp(r.enhanced, "5.5.2") == 0, "  with 500 5.5.2");
}

static void test_hostile(void)
{
	static char big[65536];
	struct mail_smtpd_cmd c;
	struct mail_smtpd_cmd_reject r;
	size_t i;

	tap_is_int(mail_smtpd_cmd_parse("NOOP\0x", 6, &c, &r), ERR_PARSE, "NUL in a command");
	tap_is_int(r.code, 500, "  is 500");
	tap_is_int(mail_smtpd_cmd_parse("MAIL FROM:<a\0@b.test>", 21, &c, &r), ERR_PARSE,
		   "NUL in an address");
	tap_is_int(mail_smtpd_cmd_parse("EHLO a\rb", 8, &c, &r), ERR_PARSE, "bare CR in a command");
	tap_is_int(mail_smtpd_cmd_parse("\x7f", 1, &c, &r), ERR_PARSE, "DEL alone");
	tap_is_int(mail_smtpd_cmd_parse("\xff\xfe", 2, &c, &r), ERR_PARSE, "invalid UTF-8 verb");
	tap_is_int(r.code, 500, "  is 500");
	memset(big, 'A', sizeof big);
	tap_is_int(mail_smtpd_cmd_parse(big, sizeof big, &c, &r), ERR_PARSE, "64 KB line");
	for (i = 0; i < 256; i++) {
		char line[64];
		int n = snprintf(line, sizeof line, "MAIL FROM:<a%c@b.test>", (char)i);

		if (mail_smtpd_cmd_parse(line, (size_t)n, &c, &r) == ERR_OK &&
		    (i < 33 || i > 126 || strchr("()<>[]:;@\\,\".", (int)i)))
			tap_ok(0, "byte 0x%02zx accepted in a local part", i);
	}
	tap_ok(1, "no special or control byte accepted in a dot-string local part");
	tap_is_int(mail_smtpd_cmd_parse("", 0, &c, &r), ERR_PARSE, "zero-length line");
}

int main(void)
{
	test_verbs();
	test_mail();
	test_mail_bad();
	test_rcpt();
	test_limits();
	test_hostile();
	return tap_done();
}
