/*
 * tests/mail/test_mime: the MIME module (mail/mime) over GMime: header fields
 * (RFC 5322 2.2.3 folding), encoded words (RFC 2047), multipart nesting
 * (RFC 2046 5.1), base64 and quoted-printable bodies (RFC 2045 6), embedded
 * messages (RFC 2046 5.2.1), address lists with groups and display names
 * (RFC 5322 3.4), the part/depth/size bounds, NUL bytes and empty input.
 */
#include <string.h>
#include "common/buf.h"
#include "common/xmalloc.h"
#include "mail/mime.h"
#include "tests/lib/tap.h"

static struct mail_mime *parse(const char *s, size_t max_body)
{
	struct mail_mime *m = NULL;
	if (mail_mime_parse(s, strlen(s), max_body, &m) != ERR_OK)
		return NULL;
	return m;
}

static void test_headers(void)
{
	const char *msg = "From: Alice <alice@example.org>\r\n"
			  "To: bob@example.net\r\n"
			  "Subject: a folded\r\n"
			  "\tsubject line\r\n"
			  "Received: from a\r\n"
			  "Received: from b\r\n"
			  "X-Enc: =?UTF-8?B?w6l0w6k=?= and =?ISO-8859-1?Q?caf=E9?=\r\n"
			  "\r\n"
			  "hello\r\n";
	struct mail_mime *m = parse(msg, 0);
	if (!tap_ok(m != NULL, "simple message parses")) {
		tap_skip("headers: nothing parsed");
		return;
	}
	tap_is_str(mail_mime_header_get(m->headers, m->n_headers, "subject", 0),
		   "a folded\tsubject line", "folded Subject is unfolded");
	tap_is_int((long long)mail_mime_header_count(m->headers, m->n_headers, "RECEIVED"), 2,
		   "two Received fields, case-insensitive");
	tap_is_str(mail_mime_header_get(m->headers, m->n_headers, "Received", 1), "from b",
		   "second Received by index");
	tap_ok(mail_mime_header_get(m->headers, m->n_headers, "Received", 2) == NULL,
	       "index past the end gives NULL");
	tap_ok(mail_mime_header_get(m->headers, m->n_headers, "X-None", 0) == NULL,
	       "absent field gives NULL");
	const char *enc = mail_mime_header_get(m->headers, m->n_headers, "X-Enc", 0);
	tap_is_str(enc, "=?UTF-8?B?w6l0w6k=?= and =?ISO-8859-1?Q?caf=E9?=",
		   "value stays raw (not decoded)");
	char *dec = mail_mime_decode_words(enc ? enc : "");
	tap_is_str(dec, "\xc3\xa9t\xc3\xa9 and caf\xc3\xa9",
		   "RFC 2047 B and Q words decode to UTF-8");
	free(dec);
	tap_is_int((long long)m->n_parts, 1, "single-part message has one part");
	tap_is_str(m->parts[0].type, "text/plain", "default type text/plain");
	tap_is_str(m->parts[0].body, "hello\r\n", "body as written");
	tap_ok(!m->truncated, "not truncated");
	mail_mime_free(m);
}

static const char *nested = "From: a@example.org\n"
			    "Subject: report\n"
			    "MIME-Version: 1.0\n"
			    "Content-Type: multipart/report; report-type=delivery-status;\n"
			    "\tboundary=\"OUTER\"\n"
			    "\n"
			    "--OUTER\n"
			    "Content-Type: multipart/alternative; boundary=INNER\n"
			    "\n"
			    "--INNER\n"
			    "Content-Type: text/plain; charset=utf-8\n"
			    "Content-Transfer-Encoding: quoted-printable\n"
			    "\n"
			    "caf=C3=A9 soft=\n"
			    "break\n"
			    "--INNER\n"
			    "Content-Type: text/html\n"
			    "Content-Transfer-Encoding: base64\n"
			    "\n"
			    "PGI+aGk8L2I+\n"
			    "--INNER--\n"
			    "--OUTER\n"
			    "Content-Type: message/delivery-status\n"
			    "\n"
			    "Reporting-MTA: dns; mx.example.org\n"
			    "\n"
			    "Final-Recipient: rfc822; x@example.net\n"
			    "--OUTER\n"
			    "Content-Type: message/rfc822\n"
			    "\n"
			    "From: probe@example.org\n"
			    "X-Mailpulse-Probe: mpabc\n"
			    "Subject: inner\n"
			    "\n"
			    "inner body\n"
			    "--OUTER\n"
			    "Content-Type: application/octet-stream; name=\"file.bin\"\n"
			    "Content-Disposition: attachment; filename=\"report.bin\"\n"
			    "Content-Transfer-Encoding: base64\n"
			    "\n"
			    "AAEC\n"
			    "--OUTER--\n";

static void test_nesting(void)
{
	struct mail_mime *m = parse(nested, 0);
	if (!tap_ok(m != NULL, "nested multipart parses")) {
		tap_skip("nesting: nothing parsed");
		return;
	}
	tap_is_int((long long)m->n_parts, 8, "eight parts depth-first");
	if (m->n_parts < 8) {
		mail_mime_free(m);
		return;
	}
	tap_is_str(m->parts[0].type, "multipart/report", "top is multipart/report");
	tap_ok(strstr(m->parts[0].params, "report-type=delivery-status") != NULL,
	       "params carry report-type (%s)", m->parts[0].params);
	tap_is_str(m->parts[1].type, "multipart/alternative", "then the alternative");
	tap_is_int(m->parts[1].parent, 0, "its parent is the report");
	tap_is_int(m->parts[2].depth, 2, "text part at depth 2");
	tap_is_str(m->parts[2].body, "caf\xc3\xa9 softbreak",
		   "QP decoded, soft break joined (RFC 2046 5.1.1: the last CRLF belongs to the "
		   "boundary)");
	tap_is_str(m->parts[3].body, "<b>hi</b>", "base64 decoded");
	tap_is_str(m->parts[4].type, "message/delivery-status", "delivery-status part");
	tap_ok(strstr(m->parts[4].body, "Final-Recipient: rfc822; x@example.net") != NULL,
	       "delivery-status body kept verbatim");
	tap_is_str(m->parts[5].type, "message/rfc822", "embedded message");
	tap_ok(strstr(m->parts[5].body, "X-Mailpulse-Probe: mpabc") != NULL,
	       "embedded message serialised with its headers");
	tap_is_int(m->parts[6].parent, 5, "embedded body's parent is the message/rfc822 part");
	tap_is_int(m->parts[6].depth, 2, "embedded body one level down");
	tap_is_str(m->parts[6].body, "inner body", "embedded body");
	tap_is_str(m->parts[7].filename, "report.bin", "filename from Content-Disposition");
	tap_is_int((long long)m->parts[7].body_len, 3, "binary body length");
	tap_ok(m->parts[7].body_len == 3 && memcmp(m->parts[7].body, "\0\1\2", 3) == 0,
	       "binary body with a NUL byte kept with its length");
	tap_is_str(mail_mime_header_get(m->parts[2].headers, m->parts[2].n_headers,
					"content-transfer-encoding", 0),
		   "quoted-printable", "part header list");
	mail_mime_free(m);
}

static void test_addrs(void)
{
	struct mail_mime_addr *a = NULL;
	size_t n = 0;
	enum mp_err e = mail_mime_addrs("\"Doe, Jane\" <jane@Example.ORG>, team: bob@b.example, "
					"=?UTF-8?Q?Ren=C3=A9?= <rene@c.example>;, plain@d.example",
					&a, &n);
	tap_is_int(e, ERR_OK, "address list parses");
	tap_is_int((long long)n, 4, "group flattened: four mailboxes");
	if (e == ERR_OK && n == 4) {
		tap_is_str(a[0].name, "Doe, Jane", "quoted display name");
		tap_is_str(a[0].addr, "jane@Example.ORG", "addr-spec as written");
		tap_is_str(a[0].domain, "example.org", "domain lower-cased");
		tap_is_str(a[1].addr, "bob@b.example", "group member");
		tap_is_str(a[2].name, "Ren\xc3\xa9", "encoded display name decoded");
		tap_is_str(a[3].name, "", "no display name gives empty string");
	}
	mail_mime_addrs_free(a, n);
	a = NULL;
	n = 0;
	tap_is_int(mail_mime_addrs("", &a, &n), ERR_PARSE, "empty list is ERR_PARSE");
	tap_is_int(mail_mime_addrs("undisclosed-recipients:;", &a, &n), ERR_PARSE,
		   "empty group is ERR_PARSE");
	e = mail_mime_addrs("<postmaster>", &a, &n);
	if (e == ERR_OK) {
		tap_is_str(a[0].domain, "", "address without domain has empty domain");
		mail_mime_addrs_free(a, n);
	} else {
		tap_ok(e == ERR_PARSE, "bare local part rejected cleanly");
	}
}

static void test_limits(void)
{
	struct buf b;
	common_buf_init(&b, 1 << 20);
	/* 300 parts: beyond MAIL_MIME_MAX_PARTS. */
	bool ok = common_buf_puts(&b, "Content-Type: multipart/mixed; boundary=B\n\n") == ERR_OK;
	for (int i = 0; i < 300 && ok; i++)
		ok = common_buf_printf(&b, "--B\nContent-Type: text/plain\n\npart %d\n", i) ==
		     ERR_OK;
	ok = ok && common_buf_puts(&b, "--B--\n") == ERR_OK;
	struct mail_mime *m = ok ? parse(common_buf_str(&b), 0) : NULL;
	tap_ok(m && m->n_parts == MAIL_MIME_MAX_PARTS && m->truncated,
	       "part count capped at %d and flagged", MAIL_MIME_MAX_PARTS);
	mail_mime_free(m);

	/* 40 nested multiparts: beyond MAIL_MIME_MAX_DEPTH. */
	common_buf_reset(&b);
	for (int i = 0; i < 40 && ok; i++)
		ok = common_buf_printf(&b, "Content-Type: multipart/mixed; boundary=L%d\n\n--L%d\n",
				       i, i) == ERR_OK;
	ok = ok && common_buf_puts(&b, "Content-Type: text/plain\n\ndeep\n") == ERR_OK;
	m = ok ? parse(common_buf_str(&b), 0) : NULL;
	unsigned maxd = 0;
	for (size_t i = 0; m && i < m->n_parts; i++)
		if (m->parts[i].depth > maxd)
			maxd = m->parts[i].depth;
	tap_ok(m && m->truncated && maxd <= MAIL_MIME_MAX_DEPTH,
	       "depth capped (max seen %u) and flagged", maxd);
	mail_mime_free(m);

	/* A 64 KB body cut at max_body. */
	common_buf_reset(&b);
	ok = common_buf_puts(&b, "Subject: big\n\n") == ERR_OK;
	for (int i = 0; i < 1024 && ok; i++)
		ok = common_buf_puts(&b, "0123456789012345678901234567890123456789012345678901"
					 "23456789012\n") == ERR_OK;
	m = ok ? parse(common_buf_str(&b), 1000) : NULL;
	tap_ok(m && m->parts[0].body_len == 1000 && m->parts[0].body_cut && m->truncated,
	       "64 KB body cut at max_body=1000");
	mail_mime_free(m);
	common_buf_free(&b);
}

static void test_hostile(void)
{
	struct mail_mime *m = NULL;
	tap_is_int(mail_mime_parse("", 0, 0, &m), ERR_PARSE, "empty input is ERR_PARSE");
	tap_is_int(mail_mime_parse("\r\n\r\n  \n", 7, 0, &m), ERR_PARSE,
		   "blank input is ERR_PARSE");

	static const char nul[] = "Subject: a\0b\r\nX-Y: \0\0\r\n\r\nbody\0tail\r\n";
	m = NULL;
	enum mp_err e = mail_mime_parse(nul, sizeof(nul) - 1, 0, &m);
	tap_is_int(e, ERR_OK, "NUL bytes do not stop the parse");
	if (e == ERR_OK) {
		const char *s = mail_mime_header_get(m->headers, m->n_headers, "Subject", 0);
		tap_is_str(s, "a b", "NUL in a header value replaced");
		tap_ok(m->parts[0].body_len == 11, "body keeps its length past the NUL");
		mail_mime_free(m);
	}

	static const char *bad[] = {
	    "Content-Type: multipart/mixed; boundary=\"\"\n\n--\n--\n",
	    "Content-Type: multipart/mixed\n\nno boundary at all\n",
	    "Content-Type: message/rfc822\n\n",
	    "Content-Transfer-Encoding: base64\n\n!!!!====@@@\n",
	    "Content-Type: \xff\xfe/\x80; =\n\n\xc3\x28\n",
	    "just some text with no header\n",
	    "From nobody Mon Jan  1 00:00:00 2024\nSubject: mbox\n\nx\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = NULL;
		e = mail_mime_parse(bad[i], strlen(bad[i]), 0, &m);
		tap_ok(e == ERR_OK || e == ERR_PARSE, "hostile input %zu: clean result (%d)", i,
		       (int)e);
		if (e == ERR_OK)
			tap_ok(m->n_parts >= 1 && m->parts[0].body != NULL,
			       "hostile input %zu: at least one part with a body", i);
		mail_mime_free(m);
	}
	m = parse(bad[6], 0);
	tap_is_str(m ? mail_mime_header_get(m->headers, m->n_headers, "Subject", 0) : NULL, "mbox",
		   "leading mbox From_ line skipped");
	mail_mime_free(m);
}

/* mail_mime_parse_opts(): skipped work shows as body_skipped, the tree and
   everything not skipped are the same as with mail_mime_parse(). */
static void test_opts(void)
{
	struct mail_mime *m = NULL;
	unsigned f = MAIL_MIME_TEXT_BODIES | MAIL_MIME_MSG_HEADERS | MAIL_MIME_OUTER_BODIES;
	if (!tap_ok(mail_mime_parse_opts(nested, strlen(nested), 0, f, &m) == ERR_OK &&
			m->n_parts == 8,
		    "opts: the same eight parts")) {
		tap_skip("opts: nothing to compare");
		mail_mime_free(m);
		return;
	}
	tap_is_str(m->parts[2].body, "caf\xc3\xa9 softbreak", "opts: text still QP decoded");
	tap_is_str(m->parts[3].body, "<b>hi</b>", "opts: text/html still base64 decoded");
	tap_ok(strstr(m->parts[4].body, "Final-Recipient: rfc822; x@example.net") != NULL &&
		   !m->parts[4].body_skipped,
	       "opts: delivery-status body kept");
	tap_ok(strstr(m->parts[5].body, "X-Mailpulse-Probe: mpabc") != NULL &&
		   strstr(m->parts[5].body, "Subject: inner") != NULL,
	       "opts: embedded message's header block kept");
	tap_ok(strstr(m->parts[5].body, "inner body") == NULL,
	       "opts: MSG_HEADERS leaves the embedded body out of it");
	tap_ok(m->parts[6].body_skipped && m->parts[6].body_len == 0 &&
		   strcmp(m->parts[6].type, "text/plain") == 0,
	       "opts: OUTER_BODIES: part inside the returned message typed, body skipped");
	tap_ok(m->parts[7].body_skipped && m->parts[7].body_len == 0 &&
		   strcmp(m->parts[7].filename, "report.bin") == 0,
	       "opts: TEXT_BODIES: application/octet-stream body skipped, filename kept");
	mail_mime_free(m);
	m = NULL;
	tap_ok(mail_mime_parse_opts(nested, strlen(nested), 0, 0, &m) == ERR_OK &&
		   m->n_parts == 8 && m->parts[7].body_len == 3 && !m->parts[7].body_skipped &&
		   strstr(m->parts[5].body, "inner body") != NULL,
	       "opts: flags 0 is mail_mime_parse()");
	mail_mime_free(m);
}

int main(void)
{
	test_headers();
	test_nesting();
	test_opts();
	test_addrs();
	test_limits();
	test_hostile();
	return tap_done();
}
