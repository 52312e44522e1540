/*
 * tests/mail/test_dkim: signing and verifying whole messages (mail/dkim)
 * with the fixture keys of tests/fixtures/keys/ published in a fake zone:
 * pass with key sizes, tampering, every key lookup outcome, t=y, several
 * signatures, the signature bound, and hostile messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/crypto.h"
#include "common/xmalloc.h"
#include "mail/dkim.h"
#include "tests/lib/fakezone.h"
#include "tests/lib/tap.h"
#include "tests/mail/dkim_fixture.h"

#define DOM DKIM_FIXTURE_DOMAIN

static const char base_msg[] = DKIM_FIXTURE_MSG;

static struct mail_dkim *lib;

/* Sign msg with fixture key key as selector sel (dkim_fixture_sign() with lib). */
static char *sign_with(const char *key, const char *sel, enum mail_dkim_alg alg, const char *msg)
{
	return dkim_fixture_sign(lib, key, sel, alg, msg);
}

struct vstep {
	struct dns_book *book;
	const char *msg;
	size_t len;
	struct mail_dkim_verdict v;
	int runs;
};

static enum mp_err vstep_fn(void *arg)
{
	struct vstep *s = arg;

	s->runs++;
	return mail_dkim_verify(lib, s->book, s->msg, s->len, &s->v);
}

/* Verify msg over zone z; *v filled on ERR_OK. */
static enum mp_err verify_len(struct fakezone *z, const char *msg, size_t len,
			      struct mail_dkim_verdict *v, size_t *questions)
{
	struct vstep s = {.book = dns_book_new(64), .msg = msg, .len = len};
	enum mp_err e = fakezone_run(z, s.book, vstep_fn, &s);

	if (questions)
		*questions = dns_book_count(s.book);
	dns_book_free(s.book);
	if (e == ERR_OK)
		*v = s.v;
	return e;
}

static enum mp_err verify(struct fakezone *z, const char *msg, struct mail_dkim_verdict *v)
{
	return verify_len(z, msg ? msg : "", msg ? strlen(msg) : 0, v, NULL);
}

static struct fakezone *zone(void)
{
	struct fakezone *z = fakezone_new();
	char *ok = dkim_fixture_record("dkim-ok.pem", ""),
	     *ed = dkim_fixture_record("dkim-ed.pem", "");
	char *tst = dkim_fixture_record("dkim-ok.pem", "t=y; ");

	fakezone_add_txt(z, "ok._domainkey." DOM, ok);
	fakezone_add_txt(z, "ed._domainkey." DOM, ed);
	fakezone_add_txt(z, "test._domainkey." DOM, tst);
	fakezone_add_txt(z, "gone._domainkey." DOM, "v=DKIM1; k=rsa; p=");
	fakezone_add_txt(z, "bad._domainkey." DOM, "v=DKIM1; k=rsa; p=!!notbase64!!");
	fakezone_add_txt(z, "two._domainkey." DOM, ok);
	fakezone_add_txt(z, "two._domainkey." DOM, ok);
	fakezone_add_txt(z, "other._domainkey." DOM, ed); /* the wrong key for an RSA signature */
	fakezone_add_name(z, "nodata._domainkey." DOM);
	fakezone_set_timeout(z, "slow._domainkey." DOM);
	free(ok);
	free(ed);
	free(tst);
	return z;
}

static bool contains(const char *s, const char *needle)
{
	return s != NULL && strstr(s, needle) != NULL;
}

/* Sign with key as sel, verify, check the one signature's result and error words. */
static void case_one(struct fakezone *z, const char *key, const char *sel, enum mail_dkim_alg alg,
		     enum mail_dkim_res want, const char *words, const char *what)
{
	char *m = sign_with(key, sel, alg, base_msg);
	struct mail_dkim_verdict v = {0};

	if (!tap_ok(m != NULL && verify(z, m, &v) == ERR_OK && v.n_sigs == 1, "%s: verified",
		    what)) {
		free(m);
		return;
	}
	tap_is_str(mail_dkim_res_name(v.sigs[0].result), mail_dkim_res_name(want), "%s: result",
		   what);
	if (words != NULL)
		tap_ok(contains(v.sigs[0].error, words), "%s: error says \"%s\" (got \"%s\")", what,
		       words, v.sigs[0].error);
	mail_dkim_verdict_free(&v);
	free(m);
}

static void test_pass(struct fakezone *z)
{
	char *m = sign_with("dkim-ok.pem", "ok", MAIL_DKIM_RSA_SHA256, base_msg);
	struct mail_dkim_verdict v = {0};
	const char *b;

	tap_ok(m != NULL && strncmp(m, "DKIM-Signature: ", 16) == 0, "rsa: signature field first");
	tap_ok(contains(m, "a=rsa-sha256") && contains(m, "c=relaxed/relaxed") &&
		   contains(m, "d=" DOM) && contains(m, "s=ok"),
	       "rsa: tags a= c= d= s=");
	tap_ok(m != NULL && strstr(m, "\r\n\r\n") != NULL && strstr(m, "\n\n") == NULL,
	       "rsa: folded with CRLF");
	if (!tap_ok(m != NULL && verify(z, m, &v) == ERR_OK, "rsa: verify runs")) {
		free(m);
		return;
	}
	tap_is_int((long long)v.n_sigs, 1, "rsa: one signature");
	tap_is_str(mail_dkim_res_name(v.sigs[0].result), "pass", "rsa: pass");
	tap_is_int(v.sigs[0].key_bits, 2048, "rsa: 2048-bit key");
	tap_is_str(v.sigs[0].domain, DOM, "rsa: domain");
	tap_is_str(v.sigs[0].selector, "ok", "rsa: selector");
	tap_is_str(v.sigs[0].identity, "@" DOM, "rsa: identity defaults to @d");
	tap_is_str(mail_dkim_alg_name(v.sigs[0].alg), "rsa-sha256", "rsa: alg");
	tap_is_str(v.sigs[0].error, "", "rsa: no error words on pass");
	tap_ok(!v.sigs[0].testing, "rsa: not testing");
	b = strstr(m, "\tb=")  ? strstr(m, "\tb=") + 3
	    : strstr(m, " b=") ? strstr(m, " b=") + 3
			       : "";
	tap_ok(strlen(v.sigs[0].header_b) == 8 && strncmp(b, v.sigs[0].header_b, 8) == 0,
	       "rsa: header.b is the first 8 characters of b=");
	mail_dkim_verdict_free(&v);
	free(m);
	m = sign_with("dkim-ed.pem", "ed", MAIL_DKIM_ED25519_SHA256, base_msg);
	if (tap_ok(m != NULL && verify(z, m, &v) == ERR_OK && v.n_sigs == 1, "ed25519: verify")) {
		tap_is_str(mail_dkim_res_name(v.sigs[0].result), "pass", "ed25519: pass");
		tap_is_int(v.sigs[0].key_bits, 256, "ed25519: 256 bits");
		tap_is_str(mail_dkim_alg_name(v.sigs[0].alg), "ed25519-sha256", "ed25519: alg");
		tap_ok(contains(m, "a=ed25519-sha256"), "ed25519: a= tag");
		mail_dkim_verdict_free(&v);
	}
	free(m);
}

/* Change the first occurrence of from into to in signed message m (same length). */
static void tamper(char *m, const char *from, const char *to)
{
	char *p = m ? strstr(m, from) : NULL;

	if (p != NULL)
		memcpy(p, to, strlen(to));
}

static void test_tamper(struct fakezone *z)
{
	char *m = sign_with("dkim-ok.pem", "ok", MAIL_DKIM_RSA_SHA256, base_msg);
	struct mail_dkim_verdict v = {0};

	tamper(m, "line two", "line 2!!");
	if (tap_ok(m != NULL && verify(z, m, &v) == ERR_OK && v.n_sigs == 1, "body tampered")) {
		tap_is_str(mail_dkim_res_name(v.sigs[0].result), "fail", "body tampered: fail");
		tap_ok(contains(v.sigs[0].error, "body hash"), "body tampered: says body hash (%s)",
		       v.sigs[0].error);
		mail_dkim_verdict_free(&v);
	}
	free(m);
	m = sign_with("dkim-ok.pem", "ok", MAIL_DKIM_RSA_SHA256, base_msg);
	tamper(m, "Subject: hello", "Subject: HELLO");
	if (tap_ok(m != NULL && verify(z, m, &v) == ERR_OK && v.n_sigs == 1, "header tampered")) {
		tap_is_str(mail_dkim_res_name(v.sigs[0].result), "fail", "header tampered: fail");
		tap_ok(contains(v.sigs[0].error, "signature mismatch"),
		       "header tampered: says signature mismatch (%s)", v.sigs[0].error);
		mail_dkim_verdict_free(&v);
	}
	free(m);
	/* Relaxed canonicalisation (RFC 6376 3.4.2): header case and WSP changes still pass. */
	m = sign_with("dkim-ok.pem", "ok", MAIL_DKIM_RSA_SHA256, base_msg);
	tamper(m, "Subject: hello", "SUBJECT:  hello");
	if (tap_ok(m != NULL && verify(z, m, &v) == ERR_OK && v.n_sigs == 1, "relaxed change")) {
		tap_is_str(mail_dkim_res_name(v.sigs[0].result), "pass", "relaxed change: pass");
		mail_dkim_verdict_free(&v);
	}
	free(m);
}

static void test_keys(struct fakezone *z)
{
	case_one(z, "dkim-ok.pem", "missing", MAIL_DKIM_RSA_SHA256, MAIL_DKIM_PERMERROR, "no key",
		 "NXDOMAIN key");
	case_one(z, "dkim-ok.pem", "nodata", MAIL_DKIM_RSA_SHA256, MAIL_DKIM_PERMERROR, "no key",
		 "NODATA key");
	case_one(z, "dkim-ok.pem", "slow", MAIL_DKIM_RSA_SHA256, MAIL_DKIM_TEMPERROR, "temporarily",
		 "key lookup times out");
	case_one(z, "dkim-ok.pem", "gone", MAIL_DKIM_RSA_SHA256, MAIL_DKIM_PERMERROR, "revoked",
		 "revoked p=");
	case_one(z, "dkim-ok.pem", "bad", MAIL_DKIM_RSA_SHA256, MAIL_DKIM_PERMERROR, "key",
		 "undecodable p=");
	case_one(z, "dkim-ok.pem", "two", MAIL_DKIM_RSA_SHA256, MAIL_DKIM_PERMERROR,
		 "2 TXT records", "two key records");
	case_one(z, "dkim-ok.pem", "other", MAIL_DKIM_RSA_SHA256, MAIL_DKIM_PERMERROR, NULL,
		 "ed25519 key for an rsa signature");
	case_one(z, "dkim-ed.pem", "ok", MAIL_DKIM_ED25519_SHA256, MAIL_DKIM_PERMERROR, NULL,
		 "rsa key for an ed25519 signature");
}

static void test_testing(struct fakezone *z)
{
	char *m = sign_with("dkim-ok.pem", "test", MAIL_DKIM_RSA_SHA256, base_msg);
	struct mail_dkim_verdict v = {0};

	if (tap_ok(m != NULL && verify(z, m, &v) == ERR_OK && v.n_sigs == 1, "t=y key")) {
		tap_is_str(mail_dkim_res_name(v.sigs[0].result), "pass", "t=y: pass");
		tap_ok(v.sigs[0].testing, "t=y: testing flag");
		mail_dkim_verdict_free(&v);
	}
	tamper(m, "line two", "line 2!!");
	if (tap_ok(m != NULL && verify(z, m, &v) == ERR_OK && v.n_sigs == 1, "t=y tampered")) {
		tap_is_str(mail_dkim_res_name(v.sigs[0].result), "neutral",
			   "t=y: a failure is neutral (RFC 6376 3.6.1)");
		tap_ok(v.sigs[0].testing, "t=y tampered: testing flag");
		mail_dkim_verdict_free(&v);
	}
	free(m);
}

static void test_two(struct fakezone *z)
{
	char *m1 = sign_with("dkim-ok.pem", "ok", MAIL_DKIM_RSA_SHA256, base_msg);
	char *m2 = m1 ? sign_with("dkim-ok.pem", "missing", MAIL_DKIM_RSA_SHA256, m1) : NULL;
	struct mail_dkim_verdict v = {0};
	size_t q = 0;

	if (tap_ok(m2 != NULL && verify_len(z, m2, strlen(m2), &v, &q) == ERR_OK && v.n_sigs == 2,
		   "two signatures verified")) {
		tap_is_str(v.sigs[0].selector, "missing",
			   "two: header order (first is the newest)");
		tap_is_str(mail_dkim_res_name(v.sigs[0].result), "permerror",
			   "two: first permerror");
		tap_is_str(v.sigs[1].selector, "ok", "two: second selector");
		tap_is_str(mail_dkim_res_name(v.sigs[1].result), "pass", "two: second passes");
		tap_is_int((long long)q, 2, "two: two key questions");
		mail_dkim_verdict_free(&v);
	}
	free(m1);
	free(m2);
}

static void test_many(struct fakezone *z)
{
	char *one = sign_with("dkim-ok.pem", "ok", MAIL_DKIM_RSA_SHA256, base_msg);
	char *hdr = one ? xmemdup0(one, (size_t)(strstr(one, "\r\nFrom:") + 2 - one)) : NULL;
	char *m = NULL;
	struct mail_dkim_verdict v = {0};
	size_t q = 0;
	size_t hl = hdr ? strlen(hdr) : 0, n = 0;

	if (hdr != NULL) {
		m = xmalloc(100 * hl + sizeof base_msg);
		for (int i = 0; i < 100; i++, n += hl)
			memcpy(m + n, hdr, hl);
		memcpy(m + n, base_msg, sizeof base_msg);
		n += sizeof base_msg - 1;
	}
	if (tap_ok(m != NULL && verify_len(z, m, n, &v, &q) == ERR_OK, "100 signatures: runs")) {
		tap_is_int((long long)v.n_sigs, MAIL_DKIM_MAX_SIGS, "100 signatures: 16 examined");
		tap_is_int((long long)v.n_ignored, 100 - MAIL_DKIM_MAX_SIGS,
			   "100 signatures: the rest counted as ignored");
		tap_is_str(mail_dkim_res_name(v.sigs[0].result), "pass", "100 signatures: pass");
		tap_is_str(mail_dkim_res_name(v.sigs[15].result), "pass", "100 signatures: 16th");
		tap_ok(q <= 1, "100 signatures: one key question (%zu)", q);
		mail_dkim_verdict_free(&v);
	}
	free(m);
	free(hdr);
	free(one);
}

static void test_none(struct fakezone *z)
{
	struct mail_dkim_verdict v = {0};

	if (tap_ok(verify(z, base_msg, &v) == ERR_OK, "unsigned: runs")) {
		tap_is_int((long long)v.n_sigs, 0, "unsigned: no signature (result none)");
		mail_dkim_verdict_free(&v);
	}
	tap_is_str(mail_dkim_res_name(MAIL_DKIM_NONE), "none", "none word");
	tap_is_str(mail_dkim_res_name(MAIL_DKIM_POLICY), "policy", "policy word");
}

/* Replace every CRLF by LF (a copy). */
static char *to_lf(const char *m)
{
	char *o = xstrdup(m);
	size_t k = 0;

	for (size_t i = 0; o[i] != '\0'; i++)
		if (!(o[i] == '\r' && o[i + 1] == '\n'))
			o[k++] = o[i];
	o[k] = '\0';
	return o;
}

static void test_line_ends(struct fakezone *z)
{
	char *lf = to_lf(base_msg);
	char *m = sign_with("dkim-ok.pem", "ok", MAIL_DKIM_RSA_SHA256, lf);
	char *mlf = m ? to_lf(m) : NULL;
	struct mail_dkim_verdict v = {0};

	if (tap_ok(mlf != NULL && verify(z, mlf, &v) == ERR_OK && v.n_sigs == 1, "LF-only")) {
		tap_is_str(mail_dkim_res_name(v.sigs[0].result), "pass", "LF-only message passes");
		mail_dkim_verdict_free(&v);
	}
	free(lf);
	free(m);
	free(mlf);
}

static void test_sign_errors(void)
{
	size_t klen = 0;
	char *pem = dkim_fixture_key("dkim-ok.pem", &klen), *hdr = NULL, why[200] = "";
	struct mail_dkim_sign_opts o = {.domain = DOM,
					.selector = "ok",
					.key_pem = "garbage",
					.key_len = 7,
					.alg = MAIL_DKIM_RSA_SHA256};
	static const char nofrom[] = "To: <a@example.net>\r\nSubject: x\r\n\r\nbody\r\n";

	tap_is_int(mail_dkim_sign(lib, &o, base_msg, strlen(base_msg), &hdr, why, sizeof why),
		   ERR_INVAL, "garbage key refused");
	tap_ok(why[0] != '\0' && strstr(why, "garbage") == NULL, "why given, no key text (%s)",
	       why);
	o.key_pem = pem;
	o.key_len = klen;
	o.alg = MAIL_DKIM_ED25519_SHA256;
	tap_is_int(mail_dkim_sign(lib, &o, base_msg, strlen(base_msg), &hdr, why, sizeof why),
		   ERR_INVAL, "RSA key for ed25519-sha256 refused");
	o.alg = MAIL_DKIM_RSA_SHA256;
	o.domain = "bad domain";
	tap_is_int(mail_dkim_sign(lib, &o, base_msg, strlen(base_msg), &hdr, why, sizeof why),
		   ERR_INVAL, "bad d= refused");
	o.domain = DOM;
	o.selector = "a;b";
	tap_is_int(mail_dkim_sign(lib, &o, base_msg, strlen(base_msg), &hdr, why, sizeof why),
		   ERR_INVAL, "bad s= refused");
	o.selector = "ok";
	tap_is_int(mail_dkim_sign(lib, &o, nofrom, strlen(nofrom), &hdr, why, sizeof why),
		   ERR_PARSE, "message without From refused");
	tap_is_int(mail_dkim_sign(lib, &o, "From: a@dkim.test\r\nBad\0line\r\n\r\n", 31, &hdr, why,
				  sizeof why),
		   ERR_PARSE, "NUL in header refused for signing");
	if (tap_is_int(mail_dkim_sign(lib, &o, base_msg, strlen(base_msg), &hdr, why, sizeof why),
		       ERR_OK, "good key signs")) {
		tap_ok(contains(hdr, "h=From:") && contains(hdr, ":from;"),
		       "From is signed and oversigned");
		free(hdr);
	}
	free(pem);
}

static void test_expired(struct fakezone *z)
{
	struct mail_dkim *old = mail_dkim_new();
	struct mail_dkim *keep = lib;
	char *m = NULL;
	struct mail_dkim_verdict v = {0};

	if (!tap_ok(old != NULL && mail_dkim_set_clock(old, 1500000000, 3600) == ERR_OK,
		    "fixed clock set")) {
		mail_dkim_free(old);
		return;
	}
	lib = old;
	m = sign_with("dkim-ok.pem", "ok", MAIL_DKIM_RSA_SHA256, base_msg);
	lib = keep;
	tap_ok(contains(m, "t=1500000000") && contains(m, "x=1500003600"),
	       "t= and x= from the clock");
	if (tap_ok(m != NULL && verify(z, m, &v) == ERR_OK && v.n_sigs == 1, "expired: runs")) {
		tap_is_str(mail_dkim_res_name(v.sigs[0].result), "fail", "expired x=: fail");
		tap_ok(contains(v.sigs[0].error, "expired"), "expired: says so (%s)",
		       v.sigs[0].error);
		mail_dkim_verdict_free(&v);
	}
	free(m);
	mail_dkim_free(old);
}

/* Every signature of a verdict is a non-pass with error words. */
static bool all_broken(const struct mail_dkim_verdict *v)
{
	for (size_t i = 0; i < v->n_sigs; i++)
		if (v->sigs[i].result == MAIL_DKIM_PASS || v->sigs[i].error[0] == '\0')
			return false;
	return true;
}

static void test_hostile(struct fakezone *z)
{
	char *m = sign_with("dkim-ok.pem", "ok", MAIL_DKIM_RSA_SHA256, base_msg);
	size_t n = m ? strlen(m) : 0, big = 64 * 1024;
	char *x;
	struct mail_dkim_verdict v = {0};

	/* A NUL byte inside the Subject. */
	x = m ? xmemdup0(m, n) : NULL;
	if (x)
		x[strstr(x, "hello") - x] = '\0';
	if (tap_ok(x && verify_len(z, x, n, &v, NULL) == ERR_OK && v.n_sigs == 1,
		   "NUL in header")) {
		tap_ok(all_broken(&v), "NUL in header: permerror (%s)", v.sigs[0].error);
		mail_dkim_verdict_free(&v);
	}
	free(x);
	/* A 64 KB header line before the signed message. */
	x = xmalloc(big + n + 16);
	memcpy(x, "X-Long: ", 8);
	memset(x + 8, 'a', big);
	memcpy(x + 8 + big, "\r\n", 2);
	if (m)
		memcpy(x + 10 + big, m, n);
	if (tap_ok(m && verify_len(z, x, 10 + big + n, &v, NULL) == ERR_OK && v.n_sigs == 1,
		   "64 KB header line")) {
		tap_is_str(mail_dkim_res_name(v.sigs[0].result), "pass",
			   "64 KB line: still passes");
		mail_dkim_verdict_free(&v);
	}
	free(x);
	/* No empty line: all header, empty body, so the body hash is wrong. */
	x = m ? xstrdup(m) : NULL;
	if (x)
		strstr(x, "\r\n\r\n")[2] = 'X';
	if (tap_ok(x && verify(z, x, &v) == ERR_OK && v.n_sigs == 1, "no body separator")) {
		tap_ok(all_broken(&v), "no separator: not a pass (%s)", v.sigs[0].error);
		mail_dkim_verdict_free(&v);
	}
	free(x);
	/* A signature field that is not a tag list, and one with no d=. */
	if (tap_ok(verify(z,
			  "DKIM-Signature: \x01\x02 garbage ;;= =\r\nFrom: a@b.test\r\n\r\nx\r\n",
			  &v) == ERR_OK &&
		       v.n_sigs == 1,
		   "garbage signature")) {
		tap_is_str(mail_dkim_res_name(v.sigs[0].result), "permerror", "garbage: permerror");
		tap_ok(contains(v.sigs[0].error, "syntax"), "garbage: syntax (%s)",
		       v.sigs[0].error);
		mail_dkim_verdict_free(&v);
	}
	if (tap_ok(verify(z,
			  "DKIM-Signature: v=1; a=rsa-sha256; s=ok; b=AAAA; bh=AAAA; h=from\r\n"
			  "From: a@b.test\r\n\r\nx\r\n",
			  &v) == ERR_OK &&
		       v.n_sigs == 1,
		   "no d=")) {
		tap_is_str(mail_dkim_res_name(v.sigs[0].result), "permerror", "no d=: permerror");
		tap_is_str(v.sigs[0].domain, "", "no d=: empty domain");
		mail_dkim_verdict_free(&v);
	}
	free(m);
	/* Bounds. */
	x = xmalloc(MAIL_DKIM_MAX_MSG + 2);
	memset(x, 'a', MAIL_DKIM_MAX_MSG + 1);
	tap_is_int(verify_len(z, x, MAIL_DKIM_MAX_MSG + 1, &v, NULL), ERR_LIMIT, "too large");
	free(x);
	x = xmalloc(16 * (MAIL_DKIM_MAX_FIELDS + 1) + 8);
	n = 0;
	for (int i = 0; i <= MAIL_DKIM_MAX_FIELDS; i++)
		n += (size_t)snprintf(x + n, 17, "X-F: %09d\r\n", i);
	tap_is_int(verify_len(z, x, n, &v, NULL), ERR_LIMIT, "too many fields");
	free(x);
	tap_is_int(verify_len(z, "", 0, &v, NULL), ERR_OK, "empty message");
	mail_dkim_verdict_free(&v);
}

int main(void)
{
	struct fakezone *z;

	lib = mail_dkim_new();
	if (lib == NULL)
		tap_skip_all("libopendkim cannot initialise");
	z = zone();
	test_pass(z);
	test_tamper(z);
	test_keys(z);
	test_testing(z);
	test_two(z);
	test_many(z);
	test_none(z);
	test_line_ends(z);
	test_sign_errors();
	test_expired(z);
	test_hostile(z);
	fakezone_free(z);
	mail_dkim_free(lib);
	return tap_done();
}
