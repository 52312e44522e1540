/*
 * tests/mail/test_authres: the RFC 8601 Authentication-Results parser on
 * RFC examples, real receivers' fields (Gmail, Outlook, Yahoo, Fastmail
 * style) and hostile input; the writer's folding, quoting and round trip.
 */
#include <stdio.h>
#include <string.h>
#include "common/xmalloc.h"
#include "mail/authres.h"
#include "tests/lib/tap.h"

static bool parse(const char *s, struct mail_authres *ar)
{
	char why[256];
	enum mp_err e = mail_authres_parse(s, strlen(s), ar, why, sizeof why);

	if (e != ERR_OK)
		tap_diag("parse failed: %s", why);
	return e == ERR_OK;
}

/* Expect a failure with err; the reason must contain want. */
static void bad(const char *s, size_t len, enum mp_err err, const char *want, const char *name)
{
	struct mail_authres ar;
	char why[256] = "";
	enum mp_err e = mail_authres_parse(s, len, &ar, why, sizeof why);

	tap_ok(e == err && strstr(why, want) != NULL, "%s: refused (%s)", name, why);
	if (e == ERR_OK)
		mail_authres_free(&ar);
}

static void test_rfc_examples(void)
{
	struct mail_authres ar;

	/* RFC 8601 B.2 */
	if (parse("example.org 1; none", &ar)) {
		tap_is_str(ar.authserv_id, "example.org", "B.2 authserv-id");
		tap_ok(ar.none && ar.n_results == 0 && ar.version == 1, "B.2: none, version 1");
		mail_authres_free(&ar);
	}
	/* RFC 8601 B.3 */
	if (parse("example.com; spf=pass smtp.mailfrom=example.net", &ar)) {
		tap_ok(ar.n_results == 1 && strcmp(ar.results[0].method, "spf") == 0 &&
			   strcmp(ar.results[0].result, "pass") == 0,
		       "B.3 spf=pass");
		tap_is_str(mail_authres_prop_get(&ar.results[0], "smtp", "mailfrom"), "example.net",
			   "B.3 smtp.mailfrom");
		mail_authres_free(&ar);
	}
	/* RFC 8601 B.4 (folded, with reason and a version) */
	if (parse("example.com;\r\n\t  auth=pass (cram-md5) smtp.auth=sender@example.net;\r\n"
		  "  spf=pass smtp.mailfrom=example.net",
		  &ar)) {
		tap_ok(ar.n_results == 2, "B.4 two results");
		tap_is_str(ar.results[0].comment, "cram-md5", "B.4 comment kept");
		tap_is_str(mail_authres_prop_get(&ar.results[0], "smtp", "auth"),
			   "sender@example.net", "B.4 smtp.auth");
		mail_authres_free(&ar);
	}
	if (parse(
		"mail-router.example.net; dkim=pass (good signature) header.d=newyork.example.com "
		"header.b=oINEO8hg; dkim=fail (bad signature) header.d=newyork.example.com "
		"header.b=EToRSuvU",
		&ar)) {
		tap_ok(ar.n_results == 2 && strcmp(ar.results[1].result, "fail") == 0,
		       "B.6 two dkim results");
		tap_is_str(mail_authres_prop_get(&ar.results[1], "header", "b"), "EToRSuvU",
			   "B.6 header.b");
		mail_authres_free(&ar);
	}
	/* RFC 8601 B.7: comments everywhere CFWS may be. */
	if (parse("foo.example.net (foobar) 1 (baz);\r\n    dkim (Because I like it) / 1 (One "
		  "yay) = (wait for it) fail\r\n      policy (A dot can go here) . (like that) "
		  "expired\r\n      (this surprised me) = (as I wasn't expecting it) 1362471462",
		  &ar)) {
		const struct mail_authres_result *r = &ar.results[0];

		tap_ok(ar.version == 1 && r->version == 1 && strcmp(r->result, "fail") == 0,
		       "B.7 versions and result through comments");
		tap_is_str(mail_authres_prop_get(r, "policy", "expired"), "1362471462",
			   "B.7 policy.expired through comments");
		mail_authres_free(&ar);
	}
	if (parse("example.com; dkim=pass reason=\"good \\\"signature\\\"\" "
		  "header.i=@mail-router.example.net",
		  &ar)) {
		tap_is_str(ar.results[0].reason, "good \"signature\"", "quoted reason unescaped");
		tap_is_str(mail_authres_prop_get(&ar.results[0], "header", "i"),
			   "@mail-router.example.net", "header.i=@domain");
		mail_authres_free(&ar);
	}
	if (parse("\"quoted id\" ; spf=none", &ar)) {
		tap_is_str(ar.authserv_id, "quoted id", "quoted authserv-id");
		mail_authres_free(&ar);
	}
}

static void test_real_world(void)
{
	struct mail_authres ar;

	if (parse("mx.google.com;\r\n       dkim=pass header.i=@example.com header.s=s1 "
		  "header.b=Kj3X+/Q=;\r\n       spf=pass (google.com: domain of bounce@example.com "
		  "designates 192.0.2.10 as permitted sender) smtp.mailfrom=bounce@example.com;\r\n"
		  "       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.com",
		  &ar)) {
		tap_ok(ar.n_results == 3, "gmail: three results");
		tap_is_str(mail_authres_prop_get(&ar.results[0], "header", "b"),
			   "Kj3X+/Q=", "gmail: base64 header.b kept whole");
		tap_is_str(ar.results[2].comment, "p=REJECT sp=REJECT dis=NONE",
			   "gmail: dmarc comment");
		mail_authres_free(&ar);
	}
	if (parse("spf=pass (sender IP is 192.0.2.10) smtp.mailfrom=example.com; dkim=pass "
		  "(signature was verified) header.d=example.com;dmarc=pass action=none "
		  "header.from=example.com;compauth=pass reason=100",
		  &ar)) {
		/* Outlook omits the authserv-id: "spf=pass" is read as one, then ';' is missing. */
		tap_ok(false, "outlook without authserv-id must not parse as valid");
		mail_authres_free(&ar);
	} else {
		tap_ok(true, "outlook field without an authserv-id is refused");
	}
	if (parse("outlook.example; spf=pass (sender IP is 192.0.2.10) smtp.mailfrom=example.com; "
		  "dkim=pass (signature was verified) header.d=example.com;dmarc=pass action=none "
		  "header.from=example.com;compauth=pass reason=100",
		  &ar)) {
		tap_ok(ar.n_results == 4, "outlook: four results");
		tap_is_str(mail_authres_prop_get(&ar.results[2], "", "action"), "none",
			   "outlook: bare action= kept with empty ptype");
		tap_is_str(ar.results[3].reason, "100", "outlook: compauth reason");
		mail_authres_free(&ar);
	}
}

static void test_real_world2(void)
{
	struct mail_authres ar;

	if (parse("atlas123.mail.example.yahoo.com;\r\n dkim=pass header.i=@gmail.com "
		  "header.s=20210112;\r\n spf=pass smtp.mailfrom=gmail.com;\r\n "
		  "dmarc=pass(p=NONE sp=QUARANTINE dis=NONE) header.from=gmail.com;",
		  &ar)) {
		tap_ok(ar.n_results == 3, "yahoo: trailing ';' accepted");
		tap_is_str(ar.results[2].comment, "p=NONE sp=QUARANTINE dis=NONE",
			   "yahoo: comment glued to the result");
		mail_authres_free(&ar);
	}
	if (parse("mx6.messagingengine.com;\r\n    arc=none (no signatures found);\r\n    "
		  "dkim=pass (2048-bit rsa key sha256) header.d=example.com header.i=@example.com "
		  "header.b=AbCd1234 header.a=rsa-sha256 header.s=fm1 x-bits=2048;\r\n    "
		  "dmarc=pass policy.published-domain-policy=none (p=none,d=none,d.eval=none) "
		  "policy.policy-from=p header.from=example.com;\r\n    spf=pass "
		  "smtp.mailfrom=bounce@example.com smtp.helo=mail.example.com",
		  &ar)) {
		tap_ok(ar.n_results == 4, "fastmail: four results");
		tap_is_str(mail_authres_prop_get(&ar.results[2], "header", "from"), "example.com",
			   "fastmail: property after a comment");
		tap_is_str(mail_authres_prop_get(&ar.results[1], "", "x-bits"), "2048",
			   "fastmail: bare x-bits kept");
		mail_authres_free(&ar);
	}
	if (parse("EXAMPLE.ORG; DKIM=PASS HEADER.D=Example.Com", &ar)) {
		tap_ok(strcmp(ar.results[0].method, "dkim") == 0 &&
			   strcmp(ar.results[0].result, "pass") == 0 &&
			   strcmp(ar.results[0].props[0].ptype, "header") == 0,
		       "keywords lower-cased");
		tap_is_str(ar.results[0].props[0].value, "Example.Com", "values kept as written");
		mail_authres_free(&ar);
	}
	if (parse("mx.example; dmarc=pass header.from=bücher.example", &ar)) {
		tap_is_str(ar.results[0].props[0].value, "bücher.example",
			   "UTF-8 value (RFC 8616)");
		mail_authres_free(&ar);
	}
}

static void test_hostile(void)
{
	char *big, many[4096];
	size_t n = 0;

	bad("", 0, ERR_PARSE, "authserv-id", "empty");
	bad("example.com", 11, ERR_PARSE, "no results", "no results");
	bad("example.com spf=pass", 20, ERR_PARSE, "expected ';'", "missing ';'");
	bad("example.com; spf pass", 21, ERR_PARSE, "expected '='", "no '=' after method");
	bad("example.com; spf=", 17, ERR_PARSE, "result word", "no result");
	bad("example.com; =pass", 18, ERR_PARSE, "method", "no method");
	bad("example.com; spf=pass smtp.mailfrom", 35, ERR_PARSE, "'='", "property without '='");
	bad("example.com; spf=pass smtp.=x", 29, ERR_PARSE, "property name", "empty property");
	bad("example.com; spf=pass smtp.mailfrom=", 36, ERR_PARSE, "property value",
	    "empty property value");
	bad("example.com; spf=pass (unterminated", 35, ERR_PARSE, "unterminated comment",
	    "unterminated comment");
	bad("example.com; spf=pass smtp.mailfrom=\"x", 38, ERR_PARSE, "unterminated quoted",
	    "unterminated quote");
	bad("example.com; spf=pass (x\\", 25, ERR_PARSE, "unterminated", "backslash at the end");
	bad("example.com; spf=pass smtp.mailfrom=a\0b", 39, ERR_PARSE, "NUL", "NUL byte");
	bad("example.com; spf=pass smtp.mailfrom=a\x01", 38, ERR_PARSE, "control", "control byte");
	bad("example.com; spf=pass smtp.mailfrom=\xff\xfe", 38, ERR_PARSE, "UTF-8",
	    "invalid UTF-8");
	bad("example.com; spf=pass (\xc3)", 25, ERR_PARSE, "UTF-8", "cut UTF-8 in a comment");
	bad("example.com; none; spf=pass", 27, ERR_PARSE, "after \"none\"", "result after none");
	bad("example.com; spf/x=pass", 23, ERR_PARSE, "version", "bad method version");
	bad("example.com 99999999999; none", 29, ERR_PARSE, "too large", "huge version");
	bad("example.com; spf=pass)", 22, ERR_PARSE, "expected", "stray ')'");
	memset(many, 0, sizeof many);
	n = (size_t)snprintf(many, sizeof many, "example.com");
	for (int i = 0; i < 33; i++)
		n += (size_t)snprintf(many + n, sizeof many - n, "; spf=pass");
	bad(many, n, ERR_LIMIT, "more than 32", "33 results");
	n = (size_t)snprintf(many, sizeof many, "example.com");
	for (int i = 0; i < 32; i++)
		n += (size_t)snprintf(many + n, sizeof many - n, "; spf=pass");
	{
		struct mail_authres ar;

		tap_ok(mail_authres_parse(many, n, &ar, NULL, 0) == ERR_OK && ar.n_results == 32,
		       "32 results accepted");
		mail_authres_free(&ar);
	}
	n = (size_t)snprintf(many, sizeof many, "example.com; dkim=pass");
	for (int i = 0; i < 17; i++)
		n += (size_t)snprintf(many + n, sizeof many - n, " header.x%d=v", i);
	bad(many, n, ERR_LIMIT, "too many properties", "17 properties");
	n = (size_t)snprintf(many, sizeof many, "example.com; dkim=pass ");
	for (int i = 0; i < 17; i++)
		many[n++] = '(';
	for (int i = 0; i < 17; i++)
		many[n++] = ')';
	bad(many, n, ERR_LIMIT, "nested", "17 nested comments");
	big = xmalloc(65536);
	memset(big, 'a', 65536);
	bad(big, 65536, ERR_LIMIT, "longer than", "64 KiB field");
	memset(big, '(', 65536);
	bad(big, MAIL_AUTHRES_MAX_LEN, ERR_LIMIT, "nested", "16 KiB of '('");
	free(big);
}

/* Lines of a written field: CRLF only, continuations start with WSP, <= 78 columns. */
static bool well_folded(const char *s, size_t *lines)
{
	size_t col = 0;

	*lines = 1;
	for (const char *p = s; *p; p++) {
		if (*p == '\n')
			return false; /* bare LF */
		if (*p == '\r') {
			if (p[1] != '\n' || (p[2] != '\t' && p[2] != ' '))
				return false;
			p++;
			col = 0;
			(*lines)++;
			continue;
		}
		col += *p == '\t' ? 8 : 1;
		if (col > 78)
			return false;
	}
	return s[strlen(s) - 1] != '\n';
}

/* Unfold (drop CRLF, RFC 5322 2.2.3) and parse the value after the field name. */
static bool reparse(const char *field, struct mail_authres *ar)
{
	char *u = xstrdup(field), *w = u;
	const char *colon;
	bool ok;

	for (const char *p = field; *p; p++)
		if (*p != '\r' && *p != '\n')
			*w++ = *p;
	*w = '\0';
	colon = strchr(u, ':');
	ok = colon != NULL && parse(colon + 1, ar);
	free(u);
	return ok;
}

static void test_writer(void)
{
	struct mail_authres ar = {0}, back;
	struct mail_authres_result *r;
	char *s;
	size_t lines = 0;
	bool ok;

	ar.authserv_id = xstrdup("mx.example.org");
	s = mail_authres_write(&ar);
	tap_is_str(s, "Authentication-Results: mx.example.org; none", "no results: none");
	free(s);
	r = mail_authres_add(&ar, "spf", "pass", NULL);
	mail_authres_add_prop(r, "smtp", "mailfrom", "bounce+tok@example.com");
	r = mail_authres_add(&ar, "dkim", "pass", NULL);
	mail_authres_add_prop(r, "header", "d", "example.com");
	mail_authres_add_prop(r, "header", "s", "s1");
	mail_authres_add_prop(r, "header", "b", "Kj3X+/Q=");
	mail_authres_add_prop(r, "header", "i", NULL);
	r = mail_authres_add(&ar, "dmarc", "pass", "p=reject");
	mail_authres_add_prop(r, "header", "from", "example.com");
	s = mail_authres_write(&ar);
	tap_is_str(s,
		   "Authentication-Results: mx.example.org;\r\n"
		   "\tspf=pass smtp.mailfrom=bounce+tok@example.com;\r\n"
		   "\tdkim=pass header.d=example.com header.s=s1 header.b=\"Kj3X+/Q=\";\r\n"
		   "\tdmarc=pass (p=reject) header.from=example.com",
		   "written field, one result per line, b= quoted ('/' is a tspecial)");
	tap_ok(reparse(s, &back), "written field parses back");
	if (back.n_results == 3) {
		tap_is_str(mail_authres_prop_get(&back.results[1], "header", "b"),
			   "Kj3X+/Q=", "round trip: header.b");
		tap_is_str(back.results[2].comment, "p=reject", "round trip: comment");
	}
	mail_authres_free(&back);
	free(s);

	/* Long comment and hostile values: folded, quoted, no header injection. */
	r = mail_authres_add(
	    &ar, "spf", "fail",
	    "192.0.2.99 is not one of the addresses example.com allows (the record "
	    "ends in -all) (really) \\ end");
	mail_authres_add_prop(r, "smtp", "mailfrom", "evil\r\nX-Injected: yes");
	mail_authres_add_prop(r, "smtp", "helo", "a \"quoted\" name");
	mail_authres_add_prop(r, "header", "from",
			      "long-label-goes-on.another-label-here.example.com");
	s = mail_authres_write(&ar);
	ok = well_folded(s, &lines);
	tap_ok(ok && lines >= 5, "long field folded at 78 columns (%zu lines)", lines);
	tap_ok(strstr(s, "\r\nX-Injected") == NULL && strstr(s, "evil??X-Injected") != NULL,
	       "CR LF in a value replaced, no injected header line");
	tap_ok(reparse(s, &back) && back.n_results == 4, "hostile-valued field parses back");
	if (back.n_results == 4) {
		tap_is_str(mail_authres_prop_get(&back.results[3], "smtp", "helo"),
			   "a \"quoted\" name", "round trip: quoted value with spaces and quotes");
		tap_is_str(back.results[3].comment,
			   "192.0.2.99 is not one of the addresses example.com allows (the record "
			   "ends in -all) (really) \\ end",
			   "round trip: comment with parentheses and backslash");
	}
	mail_authres_free(&back);
	free(s);
	mail_authres_free(&ar);
}

int main(void)
{
	test_rfc_examples();
	test_real_world();
	test_real_world2();
	test_hostile();
	test_writer();
	return tap_done();
}
