/*
 * tests/mail/test_probe: probe tokens, the composed message, VERP addresses
 * and finding the token again (mail/probe), with bad inputs refused.
 */
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "mail/probe.h"
#include "tests/lib/tap.h"

static bool has(const char *m, const char *needle)
{
	return m != NULL && strstr(m, needle) != NULL;
}

static void test_tokens(void)
{
	char a[MAIL_PROBE_TOKEN_LEN + 1], b[MAIL_PROBE_TOKEN_LEN + 1];
	bool alpha = true;

	tap_is_int(mail_probe_token_new(a), ERR_OK, "token made");
	tap_is_int(mail_probe_token_new(b), ERR_OK, "second token made");
	tap_is_int((long long)strlen(a), MAIL_PROBE_TOKEN_LEN, "token length 28");
	tap_ok(strncmp(a, "mp", 2) == 0, "token starts with mp");
	for (size_t i = 2; i < MAIL_PROBE_TOKEN_LEN; i++)
		alpha &= (a[i] >= 'a' && a[i] <= 'z') || (a[i] >= '2' && a[i] <= '7');
	tap_ok(alpha, "token is lower-case base32 (%s)", a);
	tap_ok(strcmp(a, b) != 0, "two tokens differ");
	tap_ok(mail_probe_token_valid(a, strlen(a)), "token valid");
	tap_ok(mail_probe_token_valid("MPABCDEFGHIJKLMNOPQRSTUVWXYZ", 28), "upper case valid");
	tap_ok(!mail_probe_token_valid("mpabcdefghijklmnopqrstuvwxy1", 28), "1 is not base32");
	tap_ok(!mail_probe_token_valid("mpabcdefghijklmnopqrstuvwxy", 27), "short refused");
	tap_ok(!mail_probe_token_valid("xxabcdefghijklmnopqrstuvwxyz", 28), "prefix needed");
	tap_ok(!mail_probe_token_valid("mpabcdefghijklm\0opqrstuvwxyz", 28), "NUL refused");
	tap_ok(!mail_probe_token_valid(NULL, 0), "NULL refused");
}

static void test_compose(void)
{
	const char *tok = "mpabcdefghijklmnopqrstuvwx23";
	struct mail_probe_opts o = {.token = tok,
				    .from = "probe@example.org",
				    .from_name = "Mail \"Pulse\"",
				    .to = "seed@mail.example.net",
				    .date = 1795953193}; /* Sun, 29 Nov 2026 11:53:13 UTC */
	char *m = NULL, *from = NULL, found[MAIL_PROBE_TOKEN_LEN + 1];
	size_t len = 0;
	const char *body;

	if (!tap_is_int(mail_probe_compose(&o, &m, &len, &from), ERR_OK, "compose"))
		return;
	tap_is_int((long long)len, (long long)strlen(m), "length matches");
	tap_ok(has(m, "Date: Sun, 29 Nov 2026 11:53:13 +0000\r\n"), "RFC 5322 3.3 date");
	tap_ok(has(m, "From: \"Mail \\\"Pulse\\\"\" <probe@example.org>\r\n"), "From quoted");
	tap_ok(has(m, "To: <seed@mail.example.net>\r\n"), "To");
	tap_ok(has(m, "Subject: mailpulse probe mpabcdefghijklmnopqrstuvwx23\r\n"), "Subject");
	tap_ok(has(m, "Message-ID: <mpabcdefghijklmnopqrstuvwx23@example.org>\r\n"), "Message-ID");
	tap_ok(has(m, "X-Mailpulse-Probe: mpabcdefghijklmnopqrstuvwx23\r\n"), "probe header");
	tap_ok(has(m, "MIME-Version: 1.0\r\n") &&
		   has(m, "Content-Type: text/plain; charset=us-ascii\r\n"),
	       "MIME fields");
	tap_ok(has(m, "Auto-Submitted: auto-generated\r\n"), "Auto-Submitted (RFC 3834)");
	body = strstr(m, "\r\n\r\n");
	tap_ok(body != NULL && strlen(body) > 40, "has a body");
	tap_ok(strstr(m, "\n") && !has(m, "\r\r") &&
		   strspn(m, "\t\r\n !\"#$%&'()*+,-./0123456789:;<=>?@"
			     "ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
			     "abcdefghijklmnopqrstuvwxyz{|}~") == len,
	       "ASCII only");
	{
		bool crlf = true;

		for (size_t i = 0; i < len; i++)
			if (m[i] == '\n' && (i == 0 || m[i - 1] != '\r'))
				crlf = false;
		tap_ok(crlf, "every line ends in CRLF");
	}
	tap_is_str(from, "bounce+mpabcdefghijklmnopqrstuvwx23@example.org", "VERP sender");
	tap_ok(mail_probe_token_find(m, len, found), "token found in message");
	tap_is_str(found, tok, "found token");
	free(m);
	free(from);
	o.bounce_domain = "bounces.example.org";
	o.verp_local = "mp-b";
	o.from_name = NULL;
	if (tap_is_int(mail_probe_compose(&o, &m, &len, &from), ERR_OK, "compose with VERP opts")) {
		tap_is_str(from, "mp-b+mpabcdefghijklmnopqrstuvwx23@bounces.example.org",
			   "custom VERP");
		tap_ok(has(m, "From: \"mailpulse probe\" <probe@example.org>"), "default name");
		free(m);
		free(from);
	}
}

static void test_bad(void)
{
	static const char *const bad_addrs[] = {
	    "probe",
	    "@example.org",
	    "probe@",
	    "a b@example.org",
	    "probe@ex ample.org",
	    "pro\r\nbe@example.org",
	    "<probe@example.org>",
	    "probe@exa>mple.org",
	    ".probe@example.org",
	    "pr..obe@example.org",
	    "\"q\"@example.org",
	    "probe@[192.0.2.1]",
	    "pr\xc3\xa9@example.org",
	    "probe@example.org.",
	    "probe@-bad.example",
	};
	struct mail_probe_opts o = {.token = "mpabcdefghijklmnopqrstuvwx23",
				    .from = "probe@example.org",
				    .to = "seed@example.net",
				    .date = 0};
	char *m = NULL, *from = NULL;
	size_t len = 0;

	for (size_t i = 0; i < sizeof bad_addrs / sizeof *bad_addrs; i++) {
		o.from = bad_addrs[i];
		tap_is_int(mail_probe_compose(&o, &m, &len, &from), ERR_INVAL,
			   "bad From %zu refused", i);
		o.from = "probe@example.org";
		o.to = bad_addrs[i];
		tap_is_int(mail_probe_compose(&o, &m, &len, &from), ERR_INVAL, "bad To %zu refused",
			   i);
		o.to = "seed@example.net";
	}
	o.from_name = "evil\r\nBcc: x@example.com";
	tap_is_int(mail_probe_compose(&o, &m, &len, &from), ERR_INVAL, "CRLF in name refused");
	o.from_name = NULL;
	o.token = "mpshort";
	tap_is_int(mail_probe_compose(&o, &m, &len, &from), ERR_INVAL, "bad token refused");
	o.token = "mpabcdefghijklmnopqrstuvwx23";
	o.verp_local = "a+b";
	tap_is_int(mail_probe_compose(&o, &m, &len, &from), ERR_INVAL, "+ in VERP prefix refused");
	o.verp_local = NULL;
	o.bounce_domain = "bad domain";
	tap_is_int(mail_probe_compose(&o, &m, &len, &from), ERR_INVAL, "bad bounce domain refused");
	tap_is_int(mail_probe_compose(NULL, &m, &len, &from), ERR_INVAL, "NULL opts refused");
}

static void test_verp(void)
{
	char t[MAIL_PROBE_TOKEN_LEN + 1];

	tap_ok(
	    mail_probe_token_from_addr("bounce+mpabcdefghijklmnopqrstuvwx23@example.org", NULL, t),
	    "VERP token");
	tap_is_str(t, "mpabcdefghijklmnopqrstuvwx23", "VERP token value");
	tap_ok(mail_probe_token_from_addr("<BOUNCE+MPABCDEFGHIJKLMNOPQRSTUVWX23@EXAMPLE.ORG>", NULL,
					  t),
	       "VERP upper case, angle brackets");
	tap_is_str(t, "mpabcdefghijklmnopqrstuvwx23", "VERP token lower-cased");
	tap_ok(mail_probe_token_from_addr("mp-b+mpabcdefghijklmnopqrstuvwx23@x.test", "mp-b", t),
	       "custom prefix");
	tap_ok(!mail_probe_token_from_addr("bounce+mpabcdefghijklmnopqrstuvwx23@x.test", "mp-b", t),
	       "other prefix refused");
	tap_ok(!mail_probe_token_from_addr("bounce+mpabcdefghijklmnopqrstuvwx2@x.test", NULL, t),
	       "short token refused");
	tap_ok(!mail_probe_token_from_addr("bounce-mpabcdefghijklmnopqrstuvwx23@x.test", NULL, t),
	       "missing + refused");
	tap_ok(!mail_probe_token_from_addr("bounce+mpabcdefghijklmnopqrstuvwx23", NULL, t),
	       "no domain refused");
	tap_ok(!mail_probe_token_from_addr("", NULL, t), "empty refused");
	tap_ok(!mail_probe_token_from_addr(NULL, NULL, t), "NULL refused");
}

static void test_find(void)
{
	char t[MAIL_PROBE_TOKEN_LEN + 1];
	static const char folded[] = "Received: from x\r\n\tby y\r\n"
				     "x-mailpulse-probe:\r\n  MPABCDEFGHIJKLMNOPQRSTUVWX23 \r\n"
				     "\r\nbody\r\n";
	static const char idonly[] =
	    "Subject: s\n"
	    "Message-Id: <mpabcdefghijklmnopqrstuvwx23@example.org>\n\nb\n";
	static const char inbody[] = "Subject: s\r\n\r\nX-Mailpulse-Probe: "
				     "mpabcdefghijklmnopqrstuvwx23\r\n";
	static const char badid[] = "Message-ID: <notatoken@example.org>\r\n\r\n";
	char *big = xmalloc(70000);

	tap_ok(mail_probe_token_find(folded, sizeof folded - 1, t), "folded header, any case");
	tap_is_str(t, "mpabcdefghijklmnopqrstuvwx23", "folded value");
	tap_ok(mail_probe_token_find(idonly, sizeof idonly - 1, t), "Message-ID fallback, LF");
	tap_is_str(t, "mpabcdefghijklmnopqrstuvwx23", "Message-ID token");
	tap_ok(!mail_probe_token_find(inbody, sizeof inbody - 1, t), "body is not scanned");
	tap_ok(!mail_probe_token_find(badid, sizeof badid - 1, t), "non-token Message-ID");
	tap_ok(!mail_probe_token_find("", 0, t), "empty message");
	tap_ok(
	    !mail_probe_token_find("X-Mailpulse-Probe: mpabc\0efghijklmnopqrstuvwx23\r\n", 49, t),
	    "NUL inside the token");
	memset(big, 'a', 70000);
	memcpy(big, "X-A: ", 5);
	tap_ok(!mail_probe_token_find(big, 70000, t), "64 KB line without token");
	free(big);
}

int main(void)
{
	test_tokens();
	test_compose();
	test_bad();
	test_verp();
	test_find();
	return tap_done();
}
