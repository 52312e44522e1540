/*
 * tests/mail/test_verify: the whole verdict on one message over a fake zone:
 * SPF (HELO, MAIL FROM, null path), DKIM signed with the fixture keys,
 * DMARC alignment (SPF only, DKIM only, misaligned, strict vs relaxed, sp,
 * np, none, temperror, permerror for no/two From), trusted and untrusted
 * upstream Authentication-Results, hostile ones, and our own field.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/buf.h"
#include "common/xmalloc.h"
#include "mail/verify.h"
#include "tests/lib/fakezone.h"
#include "tests/lib/tap.h"

static struct mail_dkim *dkim;
static struct dns_orgdomain *psl;

struct run {
	struct dns_book *book;
	struct mail_verify_opts o;
	const char *msg;
	size_t len;
	struct mail_verify_result res;
	enum mp_err err;
};

static enum mp_err step(void *arg)
{
	struct run *r = arg;

	return mail_verify_run(r->book, &r->o, r->msg, r->len, &r->res);
}

static const char *const trusted_ids[] = {"mx.trusted.example"};

static bool verify(struct fakezone *z, struct run *r, const char *ip, const char *helo,
		   const char *mail_from, const char *msg)
{
	memset(r, 0, sizeof *r);
	r->book = dns_book_new(256);
	r->o.client_ip = ip;
	r->o.helo = helo;
	r->o.mail_from = mail_from;
	r->o.authserv_id = "mx.mailpulse.example";
	r->o.trusted_authserv_ids = trusted_ids;
	r->o.n_trusted = 1;
	r->o.psl = psl;
	r->o.dkim = dkim;
	r->msg = msg;
	r->len = strlen(msg);
	r->err = fakezone_run(z, r->book, step, r);
	if (r->err != ERR_OK)
		tap_diag("mail_verify_run: %s", common_err_str(r->err));
	return r->err == ERR_OK;
}

static void done(struct run *r)
{
	if (r->err == ERR_OK)
		mail_verify_result_free(&r->res);
	dns_book_free(r->book);
}

/* Print a folded field as TAP diagnostics, one "# " line per header line. */
static void diag_lines(const char *s)
{
	while (s != NULL && *s) {
		size_t n = strcspn(s, "\r\n");

		tap_diag("%.*s", (int)n, s);
		s += n;
		s += strspn(s, "\r\n");
	}
}

/* Every line break is CRLF followed by white space (a fold), never a new field. */
static bool crlf_only(const char *s)
{
	for (const char *p = s; *p; p++)
		if ((*p == '\n' && (p == s || p[-1] != '\r')) ||
		    (*p == '\r' && (p[1] != '\n' || (p[2] != ' ' && p[2] != '\t'))))
			return false;
	return true;
}

static bool has(const char *s, const char *sub)
{
	return s != NULL && strstr(s, sub) != NULL;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	struct buf b;
	char chunk[4096];
	size_t n;

	if (f == NULL)
		return NULL;
	common_buf_init(&b, (size_t)1 << 20);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (common_buf_append(&b, chunk, n) != ERR_OK)
			break;
	fclose(f);
	return common_buf_steal(&b, NULL);
}

/* The p= of a fixture key from tests/fixtures/keys/pub.txt ("file.pem BASE64" lines). */
static char *fixture_pub(const char *pem)
{
	char *path = xasprintf("%s/tests/fixtures/keys/pub.txt", tap_srcdir());
	char *all = slurp(path), *line, *r = NULL;
	size_t n = strlen(pem);

	for (line = all; line != NULL && *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (strncmp(line, pem, n) == 0 && line[n] == ' ') {
			char *end = strchr(line, '\n');

			r = end ? xmemdup0(line + n + 1, (size_t)(end - line - (ptrdiff_t)n - 1))
				: xstrdup(line + n + 1);
			break;
		}
	free(all);
	free(path);
	return r;
}

/* msg signed by d=domain s=s1 with the fixture key pem; NULL when signing failed. */
static char *sign(const char *msg, const char *domain, const char *pem)
{
	char *path = xasprintf("%s/tests/fixtures/keys/%s", tap_srcdir(), pem);
	char *key = slurp(path), *hdr = NULL, *r = NULL, why[256] = "";
	struct mail_dkim_sign_opts so = {.domain = domain,
					 .selector = "s1",
					 .key_pem = key,
					 .key_len = key ? strlen(key) : 0,
					 .alg = MAIL_DKIM_RSA_SHA256};

	if (key != NULL &&
	    mail_dkim_sign(dkim, &so, msg, strlen(msg), &hdr, why, sizeof why) == ERR_OK)
		r = xasprintf("%s%s", hdr, msg);
	else
		tap_diag("signing failed: %s", why);
	free(hdr);
	free(key);
	free(path);
	return r;
}

static struct fakezone *zone(void)
{
	struct fakezone *z = fakezone_new();
	char *ok = fixture_pub("dkim-ok.pem"), *esp = fixture_pub("esp-s1.pem");
	char *rec;

	if (ok == NULL || esp == NULL)
		fatal("tests/fixtures/keys/pub.txt lacks dkim-ok.pem or esp-s1.pem");
	fakezone_add_txt(z, "example.com", "v=spf1 ip4:192.0.2.0/24 -all");
	fakezone_add_txt(z, "bounce.example.com", "v=spf1 ip4:192.0.2.0/24 -all");
	fakezone_add_txt(z, "mail.example.com", "v=spf1 ip4:192.0.2.0/24 -all");
	fakezone_add_addr(z, "mail.example.com", "192.0.2.10");
	fakezone_add_addr(z, "news.example.com", "192.0.2.11");
	fakezone_add_txt(z, "_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine; np=reject");
	rec = xasprintf("v=DKIM1; k=rsa; p=%s", ok);
	fakezone_add_txt(z, "s1._domainkey.example.com", rec);
	free(rec);
	fakezone_add_txt(z, "esp.example.net", "v=spf1 ip4:198.51.100.0/24 -all");
	rec = xasprintf("v=DKIM1; k=rsa; p=%s", esp);
	fakezone_add_txt(z, "s1._domainkey.esp.example.net", rec);
	free(rec);
	fakezone_add_txt(z, "_dmarc.strict.example", "v=DMARC1; p=reject; aspf=s; adkim=s");
	fakezone_add_txt(z, "strict.example", "v=spf1 ip4:192.0.2.0/24 -all");
	fakezone_add_txt(z, "bounce.strict.example", "v=spf1 ip4:192.0.2.0/24 -all");
	fakezone_add_txt(z, "slow.example", "v=spf1 ip4:192.0.2.0/24 -all");
	fakezone_set_timeout(z, "_dmarc.slow.example");
	free(ok);
	free(esp);
	return z;
}

#define MSG(from)                                                                                  \
	"From: " from "\r\nTo: probe@example.org\r\nSubject: test\r\n"                             \
	"Date: Sun, 29 Nov 2026 12:00:00 +0000\r\nMessage-ID: <t1@example.com>\r\n\r\n"            \
	"Hello.\r\n"

static void test_spf_paths(struct fakezone *z)
{
	struct run r;

	if (verify(z, &r, "192.0.2.10", "mail.example.com", "bounce@example.com",
		   MSG("Billing <billing@example.com>"))) {
		tap_ok(strcmp(r.res.spf_mailfrom, "pass") == 0 &&
			   strcmp(r.res.spf_helo, "pass") == 0,
		       "SPF pass for MAIL FROM and HELO");
		tap_ok(r.res.dmarc == MAIL_VERIFY_DMARC_PASS && r.res.spf_aligned &&
			   !r.res.dkim_aligned && r.res.dkim.n_sigs == 0,
		       "aligned pass via SPF only (unsigned message)");
		tap_is_str(r.res.from_domain, "example.com", "From domain");
		tap_is_str(r.res.policy, "reject", "policy reject");
		tap_ok(has(r.res.authres, "Authentication-Results: mx.mailpulse.example;") &&
			   has(r.res.authres, "spf=pass") &&
			   has(r.res.authres, "smtp.mailfrom=bounce@example.com") &&
			   has(r.res.authres, "smtp.helo=mail.example.com") &&
			   has(r.res.authres, "dkim=none") &&
			   has(r.res.authres, "dmarc=pass (p=reject) header.from=example.com"),
		       "our Authentication-Results");
		diag_lines(r.res.authres);
	}
	done(&r);
	if (verify(z, &r, "198.51.100.5", "out.esp.example.net", "bounce@esp.example.net",
		   MSG("billing@example.com"))) {
		tap_ok(strcmp(r.res.spf_mailfrom, "pass") == 0 &&
			   r.res.dmarc == MAIL_VERIFY_DMARC_FAIL && !r.res.spf_aligned,
		       "misaligned: SPF passes for the ESP, DMARC fails");
		tap_ok(has(r.res.dmarc_reason,
			   "SPF passed for esp.example.net, which is not aligned "
			   "with example.com") &&
			   has(r.res.dmarc_reason, "no DKIM signature by example.com"),
		       "reason: %s", r.res.dmarc_reason);
		tap_ok(has(r.res.authres, "dmarc=fail (p=reject) header.from=example.com"),
		       "dmarc=fail written");
	}
	done(&r);
	if (verify(z, &r, "192.0.2.10", "mail.example.com", "", MSG("billing@example.com"))) {
		tap_ok(has(r.res.spf_domain, "mail.example.com") &&
			   strcmp(r.res.spf_mailfrom, "pass") == 0 && r.res.spf_aligned &&
			   r.res.dmarc == MAIL_VERIFY_DMARC_PASS,
		       "null path: postmaster@HELO checked and aligned (RFC 7208 2.4)");
		tap_ok(has(r.res.authres, "smtp.mailfrom=postmaster@mail.example.com"),
		       "null path written as postmaster@HELO");
	}
	done(&r);
	if (verify(z, &r, "192.0.2.10", "mail.example.com", NULL,
		   "Return-Path: <bounce@bounce.example.com>\r\n" MSG("billing@example.com"))) {
		tap_ok(has(r.res.spf_domain, "bounce.example.com") &&
			   r.res.dmarc == MAIL_VERIFY_DMARC_PASS,
		       "no --mail-from: Return-Path used, relaxed alignment of bounce.example.com");
	}
	done(&r);
	if (verify(z, &r, "192.0.2.10", NULL, NULL, MSG("billing@example.com"))) {
		tap_ok(strcmp(r.res.spf_mailfrom, "none") == 0 &&
			   strcmp(r.res.spf_helo, "none") == 0 &&
			   r.res.dmarc == MAIL_VERIFY_DMARC_FAIL,
		       "unknown envelope: SPF none, DMARC fails with no aligned pass");
	}
	done(&r);
	if (verify(z, &r, "203.0.113.9", "mail.example.com", "bounce@example.com",
		   MSG("billing@example.com"))) {
		tap_ok(strcmp(r.res.spf_mailfrom, "fail") == 0 &&
			   r.res.dmarc == MAIL_VERIFY_DMARC_FAIL,
		       "SPF fail from an unlisted address: DMARC fail");
	}
	done(&r);
}

static void test_alignment_modes(struct fakezone *z)
{
	struct run r;

	if (verify(z, &r, "192.0.2.10", "mail.example.com", "x@bounce.strict.example",
		   MSG("a@strict.example"))) {
		tap_ok(strcmp(r.res.spf_mailfrom, "pass") == 0 && !r.res.spf_aligned &&
			   r.res.dmarc == MAIL_VERIFY_DMARC_FAIL &&
			   has(r.res.dmarc_reason, "aspf=s"),
		       "strict: SPF pass for a subdomain is not aligned (%s)", r.res.dmarc_reason);
	}
	done(&r);
	if (verify(z, &r, "192.0.2.10", "mail.example.com", "x@strict.example",
		   MSG("a@strict.example"))) {
		tap_ok(r.res.dmarc == MAIL_VERIFY_DMARC_PASS, "strict: exact domain aligns");
	}
	done(&r);
	if (verify(z, &r, "198.51.100.5", "out.esp.example.net", "b@esp.example.net",
		   MSG("a@news.example.com"))) {
		tap_ok(r.res.dmarc == MAIL_VERIFY_DMARC_FAIL &&
			   strcmp(r.res.policy, "quarantine") == 0,
		       "existing subdomain: sp=quarantine applies");
		tap_is_str(r.res.org_domain, "example.com", "org domain of news.example.com");
		tap_ok(
		    has(r.res.authres, "dmarc=fail (sp=quarantine) header.from=news.example.com"),
		    "sp named in our field");
	}
	done(&r);
	if (verify(z, &r, "198.51.100.5", "out.esp.example.net", "b@esp.example.net",
		   MSG("a@ghost.example.com"))) {
		tap_ok(r.res.dmarc == MAIL_VERIFY_DMARC_FAIL &&
			   strcmp(r.res.policy, "reject") == 0 && has(r.res.authres, "(np=reject)"),
		       "NXDOMAIN From subdomain: np=reject applies");
	}
	done(&r);
	if (verify(z, &r, "192.0.2.10", "mail.example.com", "b@slow.example",
		   MSG("a@slow.example"))) {
		tap_ok(r.res.dmarc == MAIL_VERIFY_DMARC_TEMPERROR &&
			   has(r.res.authres, "dmarc=temperror"),
		       "DMARC lookup timeout: temperror (%s)", r.res.dmarc_reason);
	}
	done(&r);
	if (verify(z, &r, "192.0.2.10", "mail.example.com", "b@example.com",
		   MSG("a@nodmarc.example"))) {
		tap_ok(r.res.dmarc == MAIL_VERIFY_DMARC_NONE && r.res.policy[0] == '\0',
		       "no DMARC record: none");
	}
	done(&r);
}

static void test_from_rules(struct fakezone *z)
{
	struct run r;

	if (verify(z, &r, "192.0.2.10", "mail.example.com", "bounce@example.com",
		   "To: x@example.org\r\nSubject: no from\r\n\r\nbody\r\n")) {
		tap_ok(r.res.dmarc == MAIL_VERIFY_DMARC_PERMERROR && r.res.from_domain[0] == '\0' &&
			   has(r.res.dmarc_reason, "no From"),
		       "no From: permerror (%s)", r.res.dmarc_reason);
		tap_ok(has(r.res.authres, "dmarc=permerror") && !has(r.res.authres, "header.from"),
		       "permerror written without header.from");
	}
	done(&r);
	if (verify(z, &r, "192.0.2.10", "mail.example.com", "bounce@example.com",
		   "From: a@example.com\r\nFrom: b@evil.example\r\nSubject: two\r\n\r\nbody\r\n")) {
		tap_ok(r.res.dmarc == MAIL_VERIFY_DMARC_PERMERROR &&
			   has(r.res.dmarc_reason, "several From"),
		       "two From fields: permerror (%s)", r.res.dmarc_reason);
	}
	done(&r);
	if (verify(z, &r, "192.0.2.10", "mail.example.com", "bounce@example.com",
		   "From: a@example.com, b@evil.example\r\nSubject: two\r\n\r\nbody\r\n")) {
		tap_ok(r.res.dmarc == MAIL_VERIFY_DMARC_PERMERROR &&
			   has(r.res.dmarc_reason, "several addresses"),
		       "two addresses in From: permerror");
	}
	done(&r);
	if (verify(z, &r, "192.0.2.10", "mail.example.com", "bounce@example.com", "")) {
		tap_ok(r.res.dmarc == MAIL_VERIFY_DMARC_PERMERROR &&
			   strcmp(r.res.spf_mailfrom, "pass") == 0,
		       "empty message: SPF still checked, DMARC permerror");
	}
	done(&r);
}

static void test_dkim(struct fakezone *z)
{
	struct run r;
	char *own = sign(MSG("billing@example.com"), "example.com", "dkim-ok.pem");
	char *esp = sign(MSG("billing@example.com"), "esp.example.net", "esp-s1.pem");

	if (own == NULL || esp == NULL) {
		tap_ok(false, "signing with the fixture keys");
		free(own);
		free(esp);
		return;
	}
	if (verify(z, &r, "198.51.100.5", "out.esp.example.net", "b@esp.example.net", own)) {
		tap_ok(r.res.dkim.n_sigs == 1 && r.res.dkim.sigs[0].result == MAIL_DKIM_PASS,
		       "DKIM d=example.com passes");
		tap_ok(r.res.dmarc == MAIL_VERIFY_DMARC_PASS && r.res.dkim_aligned &&
			   !r.res.spf_aligned && has(r.res.aligned_dkim_domain, "example.com"),
		       "aligned pass via DKIM only (%s)", r.res.dmarc_reason);
		tap_ok(has(r.res.authres, "dkim=pass header.d=example.com header.s=s1"),
		       "dkim result written");
		diag_lines(r.res.authres);
	}
	done(&r);
	if (verify(z, &r, "198.51.100.5", "out.esp.example.net", "b@esp.example.net", esp)) {
		tap_ok(r.res.dkim.n_sigs == 1 && r.res.dkim.sigs[0].result == MAIL_DKIM_PASS &&
			   r.res.dmarc == MAIL_VERIFY_DMARC_FAIL && !r.res.dkim_aligned,
		       "ESP signature and ESP SPF both pass, neither aligned: fail");
		tap_ok(has(r.res.dmarc_reason, "DKIM passed for esp.example.net"),
		       "reason names the ESP signature: %s", r.res.dmarc_reason);
	}
	done(&r);
	free(own);
	free(esp);
}

static void test_upstream(struct fakezone *z)
{
	struct run r;
	struct buf b;
	char *msg;

	common_buf_init(&b, 1 << 16);
	if (common_buf_puts(&b,
			    "Authentication-Results: mx.trusted.example;\r\n spf=pass "
			    "smtp.mailfrom=bounce@example.com;\r\n dkim=fail header.d=x.example\r\n"
			    "Authentication-Results: evil.example; dmarc=pass "
			    "header.from=example.com\r\n"
			    "Authentication-Results: MX.TRUSTED.EXAMPLE; spf=pass (unterminated\r\n"
			    "Authentication-Results: mx.trusted.example") != ERR_OK)
		fatal("buf");
	for (int i = 0; i < 40 && common_buf_puts(&b, "; dkim=pass") == ERR_OK; i++)
		;
	if (common_buf_puts(&b, "\r\n" MSG("billing@example.com")) != ERR_OK)
		fatal("buf");
	msg = common_buf_steal(&b, NULL);
	if (verify(z, &r, "192.0.2.10", "mail.example.com", "bounce@example.com", msg)) {
		tap_ok(r.res.n_upstream == 2,
		       "only the trusted, well-formed field kept (%zu results)", r.res.n_upstream);
		if (r.res.n_upstream == 2) {
			tap_ok(strcmp(r.res.upstream[0].authserv_id, "mx.trusted.example") == 0 &&
				   strcmp(r.res.upstream[0].method, "spf") == 0 &&
				   strcmp(r.res.upstream[0].result, "pass") == 0 &&
				   has(r.res.upstream[0].props, "smtp.mailfrom=bounce@example.com"),
			       "trusted upstream spf=pass kept with its properties");
			tap_ok(strcmp(r.res.upstream[1].result, "fail") == 0,
			       "upstream dkim=fail kept");
		}
		tap_ok(r.res.dmarc == MAIL_VERIFY_DMARC_PASS,
		       "our verdict is ours: the untrusted dmarc=pass changed nothing");
	}
	done(&r);
	free(msg);
	if (verify(
		z, &r, "192.0.2.10", "mail.example.com", "bounce@example.com",
		"Authentication-Results: mx.trusted.example; dmarc=pass header.from=example.com\r\n"
		"From: a@example.com\r\n\r\nx\r\n")) {
		tap_ok(r.res.n_upstream == 1, "trusted id matched case-insensitively");
	}
	done(&r);
}

/* Hostile messages: NUL bytes, invalid UTF-8, a 64 KiB trusted A-R field, 200 From-like lines. */
static void test_hostile(struct fakezone *z)
{
	static const char from[] = "From: a\0b@exa\xff"
				   "mple.com\r\n";
	struct run r;
	struct buf b;
	char *msg;
	size_t len;

	common_buf_init(&b, 1 << 20);
	if (common_buf_append(&b, from, sizeof from - 1) != ERR_OK ||
	    common_buf_puts(&b, "Authentication-Results: mx.trusted.example; spf=pass x.y=") !=
		ERR_OK)
		fatal("buf");
	for (int i = 0; i < 65536 && common_buf_putc(&b, 'a') == ERR_OK; i++)
		;
	for (int i = 0; i < 200 && common_buf_puts(&b, "\r\nX-From: x@example.com") == ERR_OK; i++)
		;
	if (common_buf_puts(&b, "\r\n\r\nbody\0with NUL\r\n") != ERR_OK)
		fatal("buf");
	msg = common_buf_steal(&b, &len);
	memset(&r, 0, sizeof r);
	r.book = dns_book_new(256);
	r.o = (struct mail_verify_opts){.client_ip = "192.0.2.10",
					.helo = "mail.example.com",
					.mail_from = "bounce@example.com",
					.trusted_authserv_ids = trusted_ids,
					.n_trusted = 1,
					.psl = psl,
					.dkim = dkim};
	r.msg = msg;
	r.len = len;
	r.err = fakezone_run(z, r.book, step, &r);
	tap_ok(r.err == ERR_OK, "hostile message verified without error");
	if (r.err == ERR_OK) {
		tap_ok(r.res.dmarc == MAIL_VERIFY_DMARC_PERMERROR && r.res.n_upstream == 0,
		       "garbage From: permerror; 64 KiB A-R refused, nothing trusted (%s)",
		       r.res.dmarc_reason);
		tap_ok(crlf_only(r.res.authres) &&
			   has(r.res.authres, "Authentication-Results: mailpulse;"),
		       "our field is still well-formed (default authserv-id)");
	}
	done(&r);
	free(msg);
}

static void test_bad_opts(void)
{
	struct dns_book *book = dns_book_new(16);
	struct mail_verify_opts o = {.client_ip = "not-an-ip", .dkim = dkim};
	struct mail_verify_result res;

	tap_ok(mail_verify_run(book, &o, "x", 1, &res) == ERR_INVAL, "bad client IP: ERR_INVAL");
	o.client_ip = "192.0.2.1";
	o.dkim = NULL;
	tap_ok(mail_verify_run(book, &o, "x", 1, &res) == ERR_INVAL, "no DKIM handle: ERR_INVAL");
	dns_book_free(book);
	tap_is_str(mail_verify_dmarc_name(MAIL_VERIFY_DMARC_PERMERROR), "permerror", "names");
}

int main(void)
{
	struct fakezone *z;

	dkim = mail_dkim_new();
	if (dkim == NULL)
		tap_skip_all("libopendkim could not initialise");
	psl = dns_orgdomain_new();
	z = zone();
	test_spf_paths(z);
	test_alignment_modes(z);
	test_from_rules(z);
	test_dkim(z);
	test_upstream(z);
	test_hostile(z);
	test_bad_opts();
	fakezone_free(z);
	dns_orgdomain_free(psl);
	mail_dkim_free(dkim);
	return tap_done();
}
