/*
 * tests/mail/test_dkim_fast: mail/dkim's fast verification path (libopendkim
 * hashes, a cached decoded key checks the signature) against libopendkim's
 * own full verification, and the decoded-key cache (mail/dkim_keys).
 *
 * Every case is verified twice, with the fast path on and off, and the two
 * verdicts must agree field by field; the counters say which path decided,
 * so a fast path that wrongly passed, or silently never ran, both fail here.
 * Fixture keys come from tests/fixtures/keys/ (RSA-2048, RSA-1024, ed25519).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/crypto.h"
#include "common/xmalloc.h"
#include "mail/dkim.h"
#include "mail/dkim_keys.h"
#include "tests/lib/fakezone.h"
#include "tests/lib/tap.h"
#include "tests/mail/dkim_fixture.h"

#define DOM DKIM_FIXTURE_DOMAIN

static const char base_msg[] = DKIM_FIXTURE_MSG;

/* A 512-bit RSA key (too small: RFC 8301 3.2). */
#define P512                                                                                       \
	"MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAMgg8HSa9s1v5lEU8ntQdVJRpraf46w7Ecc9KRm4mbrXZU0YL2lp+Mp"  \
	"VF64l4RTFRHxsVpRX/SHZqYHlA5reHEsCAwEAAQ=="

static struct mail_dkim *fast, *full;

/* Sign msg with fixture key key as selector sel (dkim_fixture_sign() with full). */
static char *sign_with(const char *key, const char *sel, enum mail_dkim_alg alg, const char *msg)
{
	return dkim_fixture_sign(full, key, sel, alg, msg);
}

struct vstep {
	struct mail_dkim *d;
	struct dns_book *book;
	const char *msg;
	struct mail_dkim_verdict v;
};

static enum mp_err vstep_fn(void *arg)
{
	struct vstep *s = arg;

	return mail_dkim_verify(s->d, s->book, s->msg, strlen(s->msg), &s->v);
}

static enum mp_err verify(struct mail_dkim *d, struct fakezone *z, const char *msg,
			  struct mail_dkim_verdict *v)
{
	struct vstep s = {.d = d, .book = dns_book_new(64), .msg = msg};
	enum mp_err e = fakezone_run(z, s.book, vstep_fn, &s);

	dns_book_free(s.book);
	if (e == ERR_OK)
		*v = s.v;
	return e;
}

static struct fakezone *zone(void)
{
	struct fakezone *z = fakezone_new();
	struct {
		const char *sel, *key, *extra;
	} recs[] = {
	    {"ok", "dkim-ok.pem", ""},		 {"ed", "dkim-ed.pem", ""},
	    {"weak", "dkim-weak.pem", ""},	 {"test", "dkim-ok.pem", "t=y; "},
	    {"strict", "dkim-ok.pem", "t=s; "},	 {"gtag", "dkim-ok.pem", "g=*; "},
	    {"sha1", "dkim-ok.pem", "h=sha1; "}, {"both", "dkim-ok.pem", "h=sha1:sha256; "},
	    {"web", "dkim-ok.pem", "s=web; "},	 {"other", "dkim-other.pem", ""},
	    {"edrsa", "dkim-ed.pem", ""},
	};

	for (size_t i = 0; i < sizeof recs / sizeof *recs; i++) {
		char *r = dkim_fixture_record(recs[i].key, recs[i].extra);
		char *name = xasprintf("%s._domainkey." DOM, recs[i].sel);

		fakezone_add_txt(z, name, r);
		free(name);
		free(r);
	}
	fakezone_add_txt(z, "small._domainkey." DOM, "v=DKIM1; k=rsa; p=" P512);
	fakezone_add_txt(z, "gone._domainkey." DOM, "v=DKIM1; k=rsa; p=");
	fakezone_add_name(z, "nodata._domainkey." DOM);
	fakezone_set_timeout(z, "slow._domainkey." DOM);
	return z;
}

static void change(char *m, const char *from, const char *to)
{
	char *p = m ? strstr(m, from) : NULL;

	if (p != NULL)
		memcpy(p, to, strlen(to));
}

static bool same_str(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* Field-by-field equality of two verdicts; diag the first difference. */
static bool same_verdict(const struct mail_dkim_verdict *a, const struct mail_dkim_verdict *b)
{
	if (a->n_sigs != b->n_sigs || a->n_ignored != b->n_ignored)
		return false;
	for (size_t i = 0; i < a->n_sigs; i++) {
		const struct mail_dkim_sig *x = &a->sigs[i], *y = &b->sigs[i];

		if (x->result != y->result || x->alg != y->alg || x->key_bits != y->key_bits ||
		    x->testing != y->testing || !same_str(x->domain, y->domain) ||
		    !same_str(x->selector, y->selector) || !same_str(x->identity, y->identity) ||
		    !same_str(x->error, y->error) || !same_str(x->header_b, y->header_b)) {
			tap_diag("sig %zu: fast %s/%u/%d \"%s\", full %s/%u/%d \"%s\"", i,
				 mail_dkim_res_name(x->result), x->key_bits, x->testing, x->error,
				 mail_dkim_res_name(y->result), y->key_bits, y->testing, y->error);
			return false;
		}
	}
	return true;
}

enum path { FAST, FULL };

/* Verify m both ways: same verdict, want as the first result, decided on path p. */
static void agree(struct fakezone *z, const char *m, enum mail_dkim_res want, enum path p,
		  const char *what)
{
	struct mail_dkim_verdict a = {0}, b = {0};
	struct mail_dkim_stats s0, s1;
	bool ran;

	mail_dkim_get_stats(fast, &s0);
	ran = m != NULL && verify(fast, z, m, &a) == ERR_OK && verify(full, z, m, &b) == ERR_OK;
	mail_dkim_get_stats(fast, &s1);
	if (!tap_ok(ran && a.n_sigs > 0, "%s: verified both ways", what))
		goto out;
	tap_ok(same_verdict(&a, &b), "%s: fast path and libopendkim agree", what);
	tap_is_str(mail_dkim_res_name(a.sigs[0].result), mail_dkim_res_name(want), "%s: %s", what,
		   mail_dkim_res_name(want));
	if (p == FAST)
		tap_ok(s1.fast == s0.fast + 1 && s1.full == s0.full, "%s: decided by the fast path",
		       what);
	else
		tap_ok(s1.full == s0.full + 1 && s1.fast == s0.fast,
		       "%s: decided by libopendkim's full path", what);
out:
	mail_dkim_verdict_free(&a);
	mail_dkim_verdict_free(&b);
}

/* Sign with key/sel/alg, apply one change, compare both paths. */
static void sign_agree(struct fakezone *z, const char *key, const char *sel, enum mail_dkim_alg alg,
		       const char *from, const char *to, enum mail_dkim_res want, enum path p,
		       const char *what)
{
	char *m = sign_with(key, sel, alg, base_msg);

	if (from != NULL)
		change(m, from, to);
	agree(z, m, want, p, what);
	free(m);
}

static const enum mail_dkim_alg RSA = MAIL_DKIM_RSA_SHA256, ED = MAIL_DKIM_ED25519_SHA256;

static void test_agree(struct fakezone *z)
{
	sign_agree(z, "dkim-ok.pem", "ok", RSA, NULL, NULL, MAIL_DKIM_PASS, FAST, "rsa-2048");
	sign_agree(z, "dkim-ed.pem", "ed", ED, NULL, NULL, MAIL_DKIM_PASS, FAST, "ed25519");
	sign_agree(z, "dkim-weak.pem", "weak", RSA, NULL, NULL, MAIL_DKIM_PASS, FAST, "rsa-1024");
	sign_agree(z, "dkim-ok.pem", "test", RSA, NULL, NULL, MAIL_DKIM_PASS, FAST, "t=y pass");
	sign_agree(z, "dkim-ok.pem", "both", RSA, NULL, NULL, MAIL_DKIM_PASS, FAST,
		   "h=sha1:sha256 key");
	sign_agree(z, "dkim-ok.pem", "ok", RSA, "Subject: hello", "SUBJECT:  hello", MAIL_DKIM_PASS,
		   FAST, "relaxed header change");
	sign_agree(z, "dkim-ok.pem", "ok", RSA, "line two.", "line two. ", MAIL_DKIM_PASS, FAST,
		   "relaxed body change");
	/* Failures: the fast path declines, libopendkim decides. */
	sign_agree(z, "dkim-ok.pem", "ok", RSA, "line two", "line 2!!", MAIL_DKIM_FAIL, FULL,
		   "rsa body tampered");
	sign_agree(z, "dkim-ok.pem", "ok", RSA, "Subject: hello", "Subject: HELLO", MAIL_DKIM_FAIL,
		   FULL, "rsa header tampered");
	sign_agree(z, "dkim-ed.pem", "ed", ED, "line two", "line 2!!", MAIL_DKIM_FAIL, FULL,
		   "ed25519 body tampered");
	sign_agree(z, "dkim-ed.pem", "ed", ED, "Subject: hello", "Subject: HELLO", MAIL_DKIM_FAIL,
		   FULL, "ed25519 header tampered");
	sign_agree(z, "dkim-ok.pem", "test", RSA, "line two", "line 2!!", MAIL_DKIM_NEUTRAL, FULL,
		   "t=y tampered");
	sign_agree(z, "dkim-ok.pem", "other", RSA, NULL, NULL, MAIL_DKIM_FAIL, FULL,
		   "another RSA key");
	sign_agree(z, "dkim-ok.pem", "edrsa", RSA, NULL, NULL, MAIL_DKIM_PERMERROR, FULL,
		   "ed25519 key, rsa signature");
	sign_agree(z, "dkim-ed.pem", "ok", ED, NULL, NULL, MAIL_DKIM_PERMERROR, FULL,
		   "rsa key, ed25519 signature");
	sign_agree(z, "dkim-ok.pem", "small", RSA, NULL, NULL, MAIL_DKIM_FAIL, FULL, "512-bit key");
	sign_agree(z, "dkim-ok.pem", "gone", RSA, NULL, NULL, MAIL_DKIM_PERMERROR, FULL,
		   "revoked key");
	sign_agree(z, "dkim-ok.pem", "sha1", RSA, NULL, NULL, MAIL_DKIM_PERMERROR, FULL,
		   "h=sha1 key");
	sign_agree(z, "dkim-ok.pem", "web", RSA, NULL, NULL, MAIL_DKIM_PERMERROR, FULL,
		   "s=web key");
	sign_agree(z, "dkim-ok.pem", "missing", RSA, NULL, NULL, MAIL_DKIM_PERMERROR, FULL,
		   "NXDOMAIN key");
	sign_agree(z, "dkim-ok.pem", "nodata", RSA, NULL, NULL, MAIL_DKIM_PERMERROR, FULL,
		   "NODATA key");
	sign_agree(z, "dkim-ok.pem", "slow", RSA, NULL, NULL, MAIL_DKIM_TEMPERROR, FULL,
		   "key lookup timeout");
	/* Unusual keys that verify: libopendkim's full path decides them. */
	sign_agree(z, "dkim-ok.pem", "strict", RSA, NULL, NULL, MAIL_DKIM_PASS, FULL, "t=s key");
	sign_agree(z, "dkim-ok.pem", "gtag", RSA, NULL, NULL, MAIL_DKIM_PASS, FULL,
		   "unknown key tag");
}

/* b= and bh= themselves altered (one base64 character each). */
static void test_tags(struct fakezone *z)
{
	char *m = sign_with("dkim-ok.pem", "ok", RSA, base_msg);
	char *p = m ? strstr(m, "bh=") : NULL;

	if (p != NULL)
		p[3] = p[3] == 'A' ? 'B' : 'A';
	agree(z, m, MAIL_DKIM_FAIL, FULL, "bh= altered");
	free(m);
	m = sign_with("dkim-ok.pem", "ok", RSA, base_msg);
	p = m ? strstr(m, " b=") : NULL;
	if (p == NULL && m != NULL)
		p = strstr(m, "\tb=");
	if (p != NULL)
		p[10] = p[10] == 'A' ? 'B' : 'A';
	agree(z, m, MAIL_DKIM_FAIL, FULL, "b= altered");
	free(m);
}

static void test_two(struct fakezone *z)
{
	char *m1 = sign_with("dkim-ok.pem", "ok", RSA, base_msg);
	char *m2 = m1 ? sign_with("dkim-ed.pem", "ed", ED, m1) : NULL;
	char *m3 = m1 ? sign_with("dkim-ok.pem", "missing", RSA, m1) : NULL;

	agree(z, m2, MAIL_DKIM_PASS, FAST, "rsa and ed25519 signatures");
	agree(z, m3, MAIL_DKIM_PERMERROR, FULL, "one good, one without key");
	free(m1);
	free(m2);
	free(m3);
}

static void test_expired(struct fakezone *z)
{
	struct mail_dkim *old = mail_dkim_new();
	struct mail_dkim *keep = full;
	char *m;

	if (old == NULL || mail_dkim_set_clock(old, 1500000000, 3600) != ERR_OK) {
		tap_ok(false, "fixed clock");
		mail_dkim_free(old);
		return;
	}
	full = old;
	m = sign_with("dkim-ok.pem", "ok", RSA, base_msg);
	full = keep;
	agree(z, m, MAIL_DKIM_FAIL, FULL, "expired x=");
	free(m);
	mail_dkim_free(old);
}

/* ---- the key cache itself ---- */

static void key_case(struct mail_dkim_keys *c, const char *txt, bool usable, unsigned bits,
		     const char *what)
{
	const struct mail_dkim_key *k = mail_dkim_keys_get(c, txt, strlen(txt));

	tap_ok(k != NULL && k->usable == usable, "cache: %s %s", what,
	       usable ? "usable" : "left to libopendkim");
	if (usable && k != NULL)
		tap_is_int(k->bits, bits, "cache: %s bits", what);
	mail_dkim_keys_release(c, k);
}

static void test_cache(void)
{
	struct mail_dkim_keys *c = mail_dkim_keys_new(2);
	char *ok = dkim_fixture_record("dkim-ok.pem", ""),
	     *ed = dkim_fixture_record("dkim-ed.pem", "");
	char *tst = dkim_fixture_record("dkim-ok.pem", "t=y; "),
	     *st = dkim_fixture_record("dkim-ok.pem", "t=s; ");
	const struct mail_dkim_key *a, *b, *held;
	unsigned char zero[32] = {0};

	key_case(c, ok, true, 2048, "rsa-2048");
	key_case(c, ed, true, 256, "ed25519");
	key_case(c, tst, true, 2048, "t=y");
	key_case(c, st, false, 0, "t=s");
	key_case(c, "v=DKIM1; k=rsa; p=" P512, false, 0, "512-bit");
	key_case(c, "v=DKIM1; k=rsa; p=", false, 0, "revoked");
	key_case(c, "v=DKIM1; k=rsa; p=!!", false, 0, "bad base64");
	key_case(c, "garbage", false, 0, "garbage");
	tap_is_int((long long)mail_dkim_keys_count(c), 2, "cache: bounded at 2 entries");
	a = mail_dkim_keys_get(c, tst, strlen(tst));
	b = mail_dkim_keys_get(c, tst, strlen(tst));
	tap_ok(a == b && a->testing, "cache: the same record is one entry, t=y kept");
	mail_dkim_keys_release(c, b);
	/* Held while evicted: still valid until released (ASan checks). */
	held = a;
	key_case(c, ok, true, 2048, "refill 1");
	key_case(c, ed, true, 256, "refill 2");
	tap_ok(held->usable && held->bits == 2048, "cache: evicted entry still usable when held");
	tap_ok(!mail_dkim_keys_check(held, zero, 32, zero, 32, "AAAA", "AAAA"),
	       "cache: zero hashes do not verify");
	tap_ok(!mail_dkim_keys_check(held, zero, 20, zero, 32, "AAAA", "AAAA"),
	       "cache: a 20-byte header hash is refused");
	tap_ok(!mail_dkim_keys_check(held, zero, 32, zero, 32, NULL, NULL),
	       "cache: missing tags are refused");
	mail_dkim_keys_release(c, held);
	free(ok);
	free(ed);
	free(tst);
	free(st);
	mail_dkim_keys_free(c);
}

/* ---- threads share one handle and its cache ---- */

struct worker {
	struct fakezone *z;
	char *msg;
	int passed;
};

static void *work(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < 25; i++) {
		struct mail_dkim_verdict v = {0};

		if (verify(fast, w->z, w->msg, &v) == ERR_OK && v.n_sigs == 1 &&
		    v.sigs[0].result == MAIL_DKIM_PASS)
			w->passed++;
		mail_dkim_verdict_free(&v);
	}
	return NULL;
}

static void test_threads(struct fakezone *z)
{
	struct worker w[4];
	pthread_t t[4];
	int passed = 0;

	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){.z = z};
		w[i].msg = sign_with(i % 2 ? "dkim-ed.pem" : "dkim-ok.pem", i % 2 ? "ed" : "ok",
				     i % 2 ? ED : RSA, base_msg);
	}
	for (int i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, work, &w[i]) != 0)
			t[i] = 0;
	for (int i = 0; i < 4; i++) {
		if (t[i] != 0)
			pthread_join(t[i], NULL);
		passed += w[i].passed;
		free(w[i].msg);
	}
	tap_is_int(passed, 100, "threads: 4 x 25 verifications on one handle all pass");
}

int main(void)
{
	struct fakezone *z;

	fast = mail_dkim_new();
	full = mail_dkim_new();
	if (fast == NULL || full == NULL)
		tap_skip_all("libopendkim cannot initialise");
	mail_dkim_set_fast(full, false);
	z = zone();
	test_agree(z);
	test_tags(z);
	test_two(z);
	test_expired(z);
	test_cache();
	test_threads(z);
	fakezone_free(z);
	mail_dkim_free(fast);
	mail_dkim_free(full);
	return tap_done();
}
