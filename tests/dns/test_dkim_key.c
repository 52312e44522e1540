/*
 * tests/dns/test_dkim_key: DKIM key record parsing and the DKIM posture
 * check over a fake zone, with real keys made by `openssl genpkey`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/crypto.h"
#include "common/xmalloc.h"
#include "dns/dkim_key.h"
#include "dns/finding.h"
#include "tests/lib/fakezone.h"
#include "tests/lib/tap.h"

static const char *const all_codes[] = {
    "DKIM_KEY_MISSING", "DKIM_KEY_REVOKED", "DKIM_KEY_WEAK",	       "DKIM_KEY_TOO_LARGE",
    "DKIM_KEY_TESTING", "DKIM_KEY_SYNTAX",  "DKIM_KEY_MULTIPLE",       "DKIM_KEY_MISMATCH",
    "DKIM_NO_SELECTOR", "DNS_TEMPFAIL",	    "DKIM_KEYFILE_UNREADABLE", "DNS_MALFORMED",
};

/* ---- keys ---- */

static char *keypath(const char *name)
{
	return xasprintf("%s/%s", tap_tmpdir(), name);
}

/* Generate key name and return base64 of the p= to publish (SPKI, or raw for ed25519). */
static char *genkey(const char *name, const char *args)
{
	char *k = keypath(name), *b = xasprintf("%s.b64", k);
	char *cmd = xasprintf("openssl genpkey %s -out '%s' 2>/dev/null && openssl pkey -in '%s' "
			      "-pubout -outform DER 2>/dev/null | base64 -w0 > '%s'",
			      args, k, k, b);
	char *r = NULL;
	FILE *f;

	if (system(cmd) == 0 && (f = fopen(b, "r")) != NULL) {
		char buf[4096];
		size_t n = fread(buf, 1, sizeof buf - 1, f);

		fclose(f);
		buf[n] = '\0';
		r = xstrdup(buf);
	}
	free(cmd);
	free(b);
	free(k);
	if (r && strstr(args, "ED25519")) {
		unsigned char *der = NULL;
		size_t n = 0;
		char *raw = NULL;

		if (common_crypto_b64_decode(r, strlen(r), &der, &n) == ERR_OK && n >= 32)
			raw = common_crypto_b64_encode(der + n - 32, 32);
		free(der);
		free(r);
		r = raw;
	}
	return r;
}

/* DER length octets. */
static size_t der_len(unsigned char *o, size_t n)
{
	if (n < 128) {
		o[0] = (unsigned char)n;
		return 1;
	}
	if (n < 256) {
		o[0] = 0x81;
		o[1] = (unsigned char)n;
		return 2;
	}
	o[0] = 0x82;
	o[1] = (unsigned char)(n >> 8);
	o[2] = (unsigned char)n;
	return 3;
}

static size_t der_put(unsigned char *o, unsigned char tag, const unsigned char *body, size_t n)
{
	size_t h = 1;

	o[0] = tag;
	h += der_len(o + 1, n);
	memmove(o + h, body, n);
	return h + n;
}

/*
 * A syntactically valid RSA SubjectPublicKeyInfo with a modulus of exactly
 * bits bits (not a real key: OpenSSL checks structure, not primes), so the
 * size rules can be tested at 512 and 8192 bits without slow key generation.
 */
static char *fake_rsa(unsigned bits)
{
	static const unsigned char alg[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					    0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
	size_t nb = bits / 8, o;
	unsigned char *mod = xcalloc(nb + 1, 1), *a = xmalloc(nb + 64), *b = xmalloc(nb + 64);
	unsigned char *c = xmalloc(nb + 96);
	char *r;

	memset(mod + 1, 0xc5, nb);
	mod[nb] |= 1;
	o = der_put(a, 0x02, mod, nb + 1);
	o += der_put(a + o, 0x02, (const unsigned char *)"\x01\x00\x01", 3);
	o = der_put(b + 1, 0x30, a, o);
	b[0] = 0; /* BIT STRING: no unused bits */
	o = der_put(a, 0x03, b, o + 1);
	memcpy(b, alg, sizeof alg);
	memcpy(b + sizeof alg, a, o);
	o = der_put(c, 0x30, b, o + sizeof alg);
	r = common_crypto_b64_encode(c, o);
	free(mod);
	free(a);
	free(b);
	free(c);
	return r;
}

/* ---- running the check ---- */

struct run {
	struct dns_book *book;
	const char *domain;
	const struct dns_dkim_key_opts *opts;
	struct dns_findings f;
	struct dns_dkim_key_result res;
	int runs;
};

static enum mp_err step(void *arg)
{
	struct run *r = arg;
	enum mp_err e;

	r->runs++;
	dns_findings_clear(&r->f);
	e = dns_dkim_key_check(r->book, r->domain, r->opts, &r->f, &r->res);
	if (e == ERR_AGAIN && r->f.n != 0)
		tap_ok(0, "ERR_AGAIN run added findings");
	return e;
}

static enum mp_err run(struct fakezone *z, const char *domain, const struct dns_dkim_key_opts *o,
		       struct run *r)
{
	memset(r, 0, sizeof *r);
	r->book = dns_book_new(256);
	r->domain = domain;
	r->opts = o;
	dns_findings_init(&r->f);
	return fakezone_run(z, r->book, step, r);
}

static void done(struct run *r)
{
	dns_findings_clear(&r->f);
	dns_dkim_key_result_free(&r->res);
	dns_book_free(r->book);
}

static const struct dns_finding *get(const struct run *r, const char *code)
{
	return dns_findings_get(&r->f, NULL, code);
}

static bool has(const struct run *r, const char *code, enum dns_sev sev)
{
	const struct dns_finding *d = get(r, code);

	if (d == NULL) {
		tap_diag("no %s among %zu findings:", code, r->f.n);
		for (size_t i = 0; i < r->f.n; i++)
			tap_diag("  %s %s: %s", r->f.v[i].code, dns_sev_name(r->f.v[i].sev),
				 r->f.v[i].message);
		return false;
	}
	if (d->sev != sev)
		tap_diag("%s is %s, want %s", code, dns_sev_name(d->sev), dns_sev_name(sev));
	return d->sev == sev && strcmp(d->check, "dkim") == 0 && d->message[0] != '\0';
}

static void dump(const struct run *r)
{
	for (size_t i = 0; i < r->f.n; i++)
		tap_diag("%s %s: %s | fix: %s", r->f.v[i].code, dns_sev_name(r->f.v[i].sev),
			 r->f.v[i].message, r->f.v[i].fix ? r->f.v[i].fix : "-");
}

static bool msg_has(const struct run *r, const char *code, const char *needle)
{
	const struct dns_finding *d = get(r, code);

	return d != NULL && (strstr(d->message, needle) || (d->fix && strstr(d->fix, needle)) ||
			     (d->evidence && strstr(d->evidence, needle)));
}

static bool only_ok(const struct run *r)
{
	for (size_t i = 0; i < sizeof all_codes / sizeof *all_codes; i++)
		if (get(r, all_codes[i]) != NULL) {
			tap_diag("unexpected %s: %s", all_codes[i], get(r, all_codes[i])->message);
			return false;
		}
	return true;
}

/* ---- parser ---- */

static bool parses(const char *rec, size_t len, struct dns_dkim_key *k, char *why, size_t whysz)
{
	why[0] = '\0';
	return dns_dkim_key_parse(rec, len, k, why, whysz) == ERR_OK;
}

static void bad(const char *rec, size_t len, const char *needle, const char *name)
{
	struct dns_dkim_key k;
	char why[256];
	bool ok = parses(rec, len, &k, why, sizeof why);

	if (ok)
		dns_dkim_key_free(&k);
	tap_ok(!ok && (needle == NULL || strstr(why, needle) != NULL), "parse refuses %s (%s)",
	       name, why);
}

static void test_parse(const char *p2048, const char *ped)
{
	struct dns_dkim_key k;
	char why[256], *rec;

	rec = xasprintf("v=DKIM1; k=rsa; h=sha1:sha256; s=email:*; t=y:s; n=notes here; x=1; p=%s",
			p2048);
	tap_ok(parses(rec, strlen(rec), &k, why, sizeof why) && k.has_v && k.h_sha256 &&
		   k.testing && k.strict && !k.revoked && k.pub.bits == 2048,
	       "full RSA record parses, unknown tags ignored (%s)", why);
	dns_dkim_key_free(&k);
	free(rec);
	/* FWS inside p=: split the base64 with spaces, tabs and CRLF. */
	{
		size_t n = strlen(p2048);
		char *sp = xasprintf("p=%.*s \t%.*s\r\n %s", (int)(n / 3), p2048, (int)(n / 3),
				     p2048 + n / 3, p2048 + 2 * (n / 3));

		tap_ok(parses(sp, strlen(sp), &k, why, sizeof why) && k.pub.bits == 2048 &&
			   !k.has_v && k.type == COMMON_CRYPTO_RSA,
		       "whitespace inside p= ignored, v= optional, k defaults to rsa (%s)", why);
		dns_dkim_key_free(&k);
		free(sp);
	}
	rec = xasprintf("v=DKIM1; k=ed25519; p=%s", ped);
	tap_ok(parses(rec, strlen(rec), &k, why, sizeof why) && k.type == COMMON_CRYPTO_ED25519,
	       "ed25519 record (RFC 8463) parses (%s)", why);
	dns_dkim_key_free(&k);
	free(rec);
	tap_ok(parses("v=DKIM1; p=", 11, &k, why, sizeof why) && k.revoked, "empty p= is revoked");
	dns_dkim_key_free(&k);
	tap_ok(parses("v=DKIM1; k=rsa; p= ;", 20, &k, why, sizeof why) && k.revoked,
	       "p= with only spaces is revoked");
	dns_dkim_key_free(&k);

	rec = xasprintf("k=rsa; v=DKIM1; p=%s", p2048);
	bad(rec, strlen(rec), "first", "v= not first");
	free(rec);
	rec = xasprintf("v=DKIM2; p=%s", p2048);
	bad(rec, strlen(rec), "DKIM1", "v=DKIM2");
	free(rec);
	rec = xasprintf("v=DKIM1; k=dsa; p=%s", p2048);
	bad(rec, strlen(rec), "k=dsa", "unknown key type");
	free(rec);
	rec = xasprintf("v=DKIM1; h=sha1; p=%s", p2048);
	bad(rec, strlen(rec), "sha256", "h=sha1 only");
	free(rec);
	rec = xasprintf("v=DKIM1; s=xmpp; p=%s", p2048);
	bad(rec, strlen(rec), "email", "s= without email");
	free(rec);
	rec = xasprintf("v=DKIM1; p=%s; p=%s", p2048, p2048);
	bad(rec, strlen(rec), "more than once", "duplicate p=");
	free(rec);
	bad("v=DKIM1; k=rsa", 14, "no p=", "missing p=");
	bad("v=DKIM1; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA!!", 57, "base64",
	    "bad base64");
	bad("v=DKIM1; p=AAAAAAAA", 19, "DER", "base64 that is no key");
	rec = xasprintf("v=DKIM1; k=ed25519; p=%s", p2048);
	bad(rec, strlen(rec), "32", "RSA key under k=ed25519");
	free(rec);
	bad("v=DKIM1; p=AAAA\0AAAA", 20, "offset", "NUL byte in p=");
	bad("v=DKIM1; n=caf\xc3\xa9; p=", strlen("v=DKIM1; n=caf\xc3\xa9; p="), "offset",
	    "invalid UTF-8 / 8-bit in a value");
	bad("v=DKIM1; =x; p=", 15, NULL, "empty tag name");
	bad("v=DKIM1; p", 10, "no '='", "tag without =");
	{
		/* 64 KB of one tag value, and 500 tags. */
		size_t n = 65536;
		char *big = xmalloc(n);
		struct dns_dkim_key kk;

		memcpy(big, "v=DKIM1; p=", 11);
		memset(big + 11, 'A', n - 11);
		bad(big, n, "long", "64 KB p=");
		free(big);
		big = xmalloc(500 * 8 + 16);
		n = 0;
		for (int i = 0; i < 500; i++)
			n += (size_t)snprintf(big + n, 16, "a%d=1;", i);
		bad(big, n, "tags", "500 tags");
		memcpy(big, "p=;", 3);
		tap_ok(!parses(big, n, &kk, why, sizeof why), "500 tags after p=: still refused");
		free(big);
	}
	tap_ok(dns_dkim_key_looks_like("v=DKIM1; p=", 11) &&
		   dns_dkim_key_looks_like("k=rsa; p=abc", 12) &&
		   dns_dkim_key_looks_like("v=DKIM1 garbage \x01", 17) &&
		   !dns_dkim_key_looks_like("v=spf1 include:_spf.example.test -all", 37) &&
		   !dns_dkim_key_looks_like("google-site-verification=abc", 28),
	       "looks_like tells DKIM keys from other TXT records");
}

/* ---- posture ---- */

struct keys {
	char *p2048, *pother, *p1024, *ped, *p512, *p8192;
	char *f2048, *fother;
};

static void add_key(struct fakezone *z, const char *name, const char *extra, const char *p)
{
	char *t = xasprintf("v=DKIM1; %sp=%s", extra, p);

	fakezone_add_txt(z, name, t);
	free(t);
}

static void test_clean(const struct keys *k)
{
	struct fakezone *z = fakezone_new();
	const char *sels[] = {"sel1"};
	struct dns_dkim_keyfile kf[] = {{"sel1", k->f2048}};
	struct dns_dkim_key_opts o = {
	    .selectors = sels, .n_selectors = 1, .keyfiles = kf, .n_keyfiles = 1};
	struct run r;
	const char *name;

	add_key(z, "sel1._domainkey.example.test", "k=rsa; ", k->p2048);
	add_key(z, "google._domainkey.example.test", "k=ed25519; ", k->ped);
	fakezone_add_txt(z, "example.test", "v=spf1 -all");
	tap_ok(run(z, "Example.TEST.", &o, &r) == ERR_OK, "clean: check completes");
	dump(&r);
	tap_is_int(r.runs, 2, "clean: every selector asked in the first run (one wait)");
	tap_ok(has(&r, "DKIM_OK", SEV_OK) && only_ok(&r), "clean: DKIM_OK and nothing else");
	tap_ok(msg_has(&r, "DKIM_OK", "sel1 (rsa 2048-bit, matches the key file)") &&
		   msg_has(&r, "DKIM_OK", "google (ed25519 256-bit)"),
	       "clean: summary names both keys");
	tap_ok(r.res.n == 2 && strcmp(r.res.v[0].selector, "sel1") == 0 && r.res.v[0].configured &&
		   r.res.v[0].valid && r.res.v[0].keyfile == DNS_DKIM_KEYFILE_MATCH &&
		   strcmp(r.res.v[1].selector, "google") == 0 && !r.res.v[1].configured &&
		   r.res.v[1].key.type == COMMON_CRYPTO_ED25519,
	       "clean: results hold configured then discovered, parsed");
	{
		size_t nd;
		const char *const *d = dns_dkim_key_discovery(&nd);
		bool order = dns_book_count(r.book) == nd + 1;

		dns_book_at(r.book, 0, &name, NULL);
		order = order && strcmp(name, "sel1._domainkey.example.test") == 0;
		for (size_t i = 0; order && i < nd; i++) {
			char *want = xasprintf("%s._domainkey.example.test", d[i]);

			dns_book_at(r.book, i + 1, &name, NULL);
			order = strcmp(name, want) == 0;
			free(want);
		}
		tap_ok(order && nd >= 20 && nd <= 40,
		       "discovery order: configured first, then the %zu built-in selectors", nd);
	}
	done(&r);
	o.no_discovery = true;
	tap_ok(run(z, "example.test", &o, &r) == ERR_OK && dns_book_count(r.book) == 1 &&
		   has(&r, "DKIM_OK", SEV_OK),
	       "no_discovery: only the configured selector is asked");
	done(&r);
	fakezone_free(z);
}

static void one(const char *what, const char *zonename, const char *rec, const char *sel,
		const char *code, enum dns_sev sev, const char *needle)
{
	struct fakezone *z = fakezone_new();
	const char *sels[] = {sel};
	struct dns_dkim_key_opts o = {.selectors = sels, .n_selectors = sel ? 1 : 0};
	struct run r;

	if (rec)
		fakezone_add_txt(z, zonename, rec);
	tap_ok(run(z, "d.test", &o, &r) == ERR_OK && has(&r, code, sev) &&
		   (needle == NULL || msg_has(&r, code, needle)) && get(&r, "DKIM_OK") == NULL,
	       "%s: %s %s", what, code, dns_sev_name(sev));
	done(&r);
	fakezone_free(z);
}

static void test_codes(const struct keys *k)
{
	char *rec;

	one("configured selector absent", NULL, NULL, "gone", "DKIM_KEY_MISSING", SEV_CRITICAL,
	    "gone._domainkey.d.test");
	rec = xasprintf("v=DKIM1; p=%s", k->p2048);
	one("configured selector with a non-DKIM TXT", "gone._domainkey.d.test", "hello=world",
	    "gone", "DKIM_KEY_SYNTAX", SEV_CRITICAL, "no p=");
	one("revoked, configured", "old._domainkey.d.test", "v=DKIM1; k=rsa; p=", "old",
	    "DKIM_KEY_REVOKED", SEV_CRITICAL, "revoked");
	one("revoked, discovered", "default._domainkey.d.test", "v=DKIM1; p=", NULL,
	    "DKIM_KEY_REVOKED", SEV_WARN, "default");
	free(rec);
	rec = xasprintf("v=DKIM1; p=%s", k->p1024);
	one("RSA-1024", "s1._domainkey.d.test", rec, NULL, "DKIM_KEY_WEAK", SEV_WARN, "1024");
	free(rec);
	rec = xasprintf("v=DKIM1; p=%s", k->p512);
	one("RSA-512", "k1._domainkey.d.test", rec, NULL, "DKIM_KEY_WEAK", SEV_CRITICAL, "512");
	free(rec);
	rec = xasprintf("v=DKIM1; p=%s", k->p8192);
	one("RSA-8192", "k2._domainkey.d.test", rec, NULL, "DKIM_KEY_TOO_LARGE", SEV_WARN, "8192");
	free(rec);
	rec = xasprintf("v=DKIM1; t=y; p=%s", k->p2048);
	one("t=y", "mail._domainkey.d.test", rec, NULL, "DKIM_KEY_TESTING", SEV_WARN, "t=y");
	free(rec);
	one("configured broken base64", "sel._domainkey.d.test", "v=DKIM1; p=MIIB$$", "sel",
	    "DKIM_KEY_SYNTAX", SEV_CRITICAL, "base64");
	one("discovered broken record", "s2._domainkey.d.test", "v=DKIM1; k=dsa; p=abcd", NULL,
	    "DKIM_KEY_SYNTAX", SEV_CRITICAL, "k=dsa");
	one("nothing anywhere", NULL, NULL, NULL, "DKIM_NO_SELECTOR", SEV_WARN, "--selector");
	one("wildcard-like SPF TXT at a discovery name", "google._domainkey.d.test",
	    "v=spf1 include:_spf.example.test -all", NULL, "DKIM_NO_SELECTOR", SEV_WARN, NULL);
}

static void test_cname_multi_tempfail(const struct keys *k)
{
	struct fakezone *z = fakezone_new();
	const char *sels[] = {"esp", "two", "slow"};
	struct dns_dkim_key_opts o = {.selectors = sels, .n_selectors = 3};
	struct run r;
	char *rec = xasprintf("v=DKIM1; p=%s", k->p2048);

	fakezone_add_cname(z, "esp._domainkey.m.test", "esp.dkim.provider.test");
	fakezone_add_txt(z, "two._domainkey.m.test", rec);
	fakezone_add_txt(z, "two._domainkey.m.test", rec);
	fakezone_set_timeout(z, "slow._domainkey.m.test");
	fakezone_add_cname(z, "s1._domainkey.m.test", "s1.dkim.provider.test");
	fakezone_add_txt(z, "s1.dkim.provider.test", rec);
	tap_ok(run(z, "m.test", &o, &r) == ERR_OK, "cname/multi/tempfail: completes");
	dump(&r);
	tap_ok(has(&r, "DKIM_KEY_MISSING", SEV_CRITICAL) &&
		   msg_has(&r, "DKIM_KEY_MISSING", "esp.dkim.provider.test"),
	       "CNAME to a removed provider name: DKIM_KEY_MISSING names the target");
	tap_ok(has(&r, "DKIM_KEY_MULTIPLE", SEV_WARN), "two key records: DKIM_KEY_MULTIPLE warn");
	{
		const struct dns_finding *d = get(&r, "DNS_TEMPFAIL");

		tap_ok(d && d->sev == SEV_UNKNOWN && strcmp(d->check, "dkim") == 0 &&
			   strstr(d->message, "slow._domainkey.m.test") != NULL,
		       "timeout on a configured selector: DNS_TEMPFAIL unknown, not critical");
	}
	tap_ok(r.res.n == 4 && r.res.v[3].cname &&
		   strcmp(r.res.v[3].cname, "s1.dkim.provider.test") == 0 && r.res.v[3].valid,
	       "delegated discovered selector: key found through the CNAME, target recorded");
	done(&r);
	fakezone_free(z);
	free(rec);

	z = fakezone_new();
	fakezone_set_timeout(z, "google._domainkey.n.test");
	o.n_selectors = 0;
	tap_ok(run(z, "n.test", &o, &r) == ERR_OK && get(&r, "DKIM_NO_SELECTOR") == NULL &&
		   get(&r, "DNS_TEMPFAIL") && get(&r, "DNS_TEMPFAIL")->sev == SEV_UNKNOWN,
	       "discovery timeout: DNS_TEMPFAIL instead of DKIM_NO_SELECTOR");
	done(&r);
	fakezone_free(z);
}

static void test_malformed(void)
{
	struct fakezone *z = fakezone_new();
	const char *sels[] = {"bad"};
	struct dns_dkim_key_opts o = {.selectors = sels, .n_selectors = 1, .no_discovery = true};
	struct run r;
	const struct dns_answer *a;
	const char *name;
	uint16_t type;

	memset(&r, 0, sizeof r);
	r.book = dns_book_new(8);
	r.domain = "p.test";
	r.opts = &o;
	dns_findings_init(&r.f);
	if (dns_book_get(r.book, "bad._domainkey.p.test", DNS_T_TXT, &a) == ERR_AGAIN &&
	    dns_book_next_needed(r.book, &name, &type))
		dns_book_put(r.book, dns_answer_new(name, type, DNS_MALFORMED, "bad packet"));
	tap_ok(fakezone_run(z, r.book, step, &r) == ERR_OK && get(&r, "DNS_MALFORMED") != NULL &&
		   get(&r, "DNS_MALFORMED")->sev == SEV_UNKNOWN &&
		   get(&r, "DKIM_KEY_MISSING") == NULL,
	       "malformed answer: DNS_MALFORMED unknown");
	done(&r);
	fakezone_free(z);
}

static void test_keyfiles(const struct keys *k)
{
	struct fakezone *z = fakezone_new();
	char *missing = keypath("nope.pem");
	struct dns_dkim_keyfile kf[] = {{"a", k->fother}, {"b", missing}, {"c", k->f2048}};
	struct dns_dkim_key_opts o = {.keyfiles = kf, .n_keyfiles = 3, .no_discovery = true};
	struct run r;
	char *rec = xasprintf("v=DKIM1; p=%s", k->p2048);
	const struct dns_finding *d;

	fakezone_add_txt(z, "a._domainkey.kf.test", rec);
	fakezone_add_txt(z, "b._domainkey.kf.test", rec);
	tap_ok(run(z, "kf.test", &o, &r) == ERR_OK, "keyfiles: completes");
	dump(&r);
	tap_ok(has(&r, "DKIM_KEY_MISMATCH", SEV_CRITICAL) &&
		   msg_has(&r, "DKIM_KEY_MISMATCH", k->pother),
	       "rotated on one side: DKIM_KEY_MISMATCH, fix gives the file's exact record");
	d = get(&r, "DKIM_KEYFILE_UNREADABLE");
	tap_ok(has(&r, "DKIM_KEYFILE_UNREADABLE", SEV_CRITICAL) && strstr(d->message, "nope.pem"),
	       "unreadable key file: clear finding naming the file");
	tap_ok(has(&r, "DKIM_KEY_MISSING", SEV_CRITICAL) &&
		   msg_has(&r, "DKIM_KEY_MISSING", k->p2048) &&
		   msg_has(&r, "DKIM_KEY_MISSING", "c._domainkey.kf.test. TXT"),
	       "key file for an unpublished selector: fix holds the exact record to publish");
	{
		bool clean = true;

		for (size_t i = 0; i < r.f.n; i++) {
			const char *m = r.f.v[i].message;

			if (strstr(m, "PRIVATE") || strstr(m, "BEGIN"))
				clean = false;
		}
		tap_ok(clean, "no finding message carries private key text");
	}
	tap_ok(r.res.n == 3 && r.res.v[0].keyfile == DNS_DKIM_KEYFILE_MISMATCH &&
		   r.res.v[1].keyfile == DNS_DKIM_KEYFILE_ERROR && r.res.v[2].configured &&
		   !r.res.v[2].found,
	       "keyfiles: states kept in the results");
	done(&r);
	free(rec);
	free(missing);
	fakezone_free(z);
}

static void test_inval(void)
{
	struct fakezone *z = fakezone_new();
	const char *sels[] = {"bad selector"};
	struct dns_dkim_key_opts o = {.selectors = sels, .n_selectors = 1};
	struct run r;

	tap_ok(run(z, "x.test", &o, &r) == ERR_INVAL && r.f.n == 0, "bad selector: ERR_INVAL");
	done(&r);
	fakezone_free(z);
}

int main(void)
{
	struct keys k = {0};

	if (system("openssl version >/dev/null 2>&1") != 0)
		tap_skip_all("the openssl command is not installed");
	k.p2048 = genkey("rsa2048.pem", "-algorithm RSA -pkeyopt rsa_keygen_bits:2048");
	k.pother = genkey("other.pem", "-algorithm RSA -pkeyopt rsa_keygen_bits:2048");
	k.p1024 = genkey("rsa1024.pem", "-algorithm RSA -pkeyopt rsa_keygen_bits:1024");
	k.ped = genkey("ed.pem", "-algorithm ED25519");
	k.p512 = fake_rsa(512);
	k.p8192 = fake_rsa(8192);
	k.f2048 = keypath("rsa2048.pem");
	k.fother = keypath("other.pem");
	if (!tap_ok(k.p2048 && k.pother && k.p1024 && k.ped, "keys generated"))
		return tap_done();
	test_parse(k.p2048, k.ped);
	test_clean(&k);
	test_codes(&k);
	test_cname_multi_tempfail(&k);
	test_malformed();
	test_keyfiles(&k);
	test_inval();
	free(k.p2048);
	free(k.pother);
	free(k.p1024);
	free(k.ped);
	free(k.p512);
	free(k.p8192);
	free(k.f2048);
	free(k.fother);
	return tap_done();
}
