/*
 * tests/dns/test_spf_suite: the openspf RFC 7208 test suite (203 cases, 22
 * explanations) against dns/spf_eval, each case in a fresh fake zone.
 *
 * The YAML lives in ../shared (never copied into the tree); it is turned
 * into a line format by tests/dns/spf_suite_convert.py (run with
 * /usr/bin/python3, which has python3-yaml) in this test's temp dir.  The
 * converter holds the zone semantics of upstream pyspf's testspf.py.
 *
 * Each case is one TAP result (the result is one of the listed ones); each
 * expected explanation is one more.  The suite's harness sets the default
 * explanation to "DEFAULT" and (like pyspf) spells %{i} nibbles in upper
 * case; both are request options here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "common/xmalloc.h"
#include "dns/spf_eval.h"
#include "tests/lib/fakezone.h"
#include "tests/lib/tap.h"

#define MAX_FIELDS 8

struct field {
	char *p; /* unescaped, NUL-terminated (may hold NULs: use len) */
	size_t len;
};

struct run {
	struct dns_book *book;
	struct dns_spf_request req;
	struct dns_spf_result *res;
};

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Unescape one field in place ("\xHH", and "" for the empty string). */
static void unescape(char *s, struct field *f)
{
	size_t o = 0;

	f->p = s;
	if (strcmp(s, "\"\"") == 0) {
		s[0] = '\0';
		f->len = 0;
		return;
	}
	for (size_t i = 0; s[i] != '\0'; i++) {
		if (s[i] == '\\' && s[i + 1] == 'x' && hexval(s[i + 2]) >= 0 &&
		    hexval(s[i + 3]) >= 0) {
			s[o++] = (char)(hexval(s[i + 2]) * 16 + hexval(s[i + 3]));
			i += 3;
		} else {
			s[o++] = s[i];
		}
	}
	s[o] = '\0';
	f->len = o;
}

/* Split a line on spaces into at most MAX_FIELDS unescaped fields. */
static size_t split(char *line, struct field *f)
{
	size_t n = 0;
	char *save = line;

	while (n < MAX_FIELDS && save != NULL && *save != '\0') {
		char *sp = strchr(save, ' ');

		if (sp != NULL)
			*sp = '\0';
		unescape(save, &f[n++]);
		save = sp ? sp + 1 : NULL;
	}
	return n;
}

static uint16_t type_of(const char *t)
{
	static const struct {
		const char *name;
		uint16_t type;
	} types[] = {{"A", DNS_T_A},	 {"AAAA", DNS_T_AAAA},	 {"TXT", DNS_T_TXT},
		     {"PTR", DNS_T_PTR}, {"CNAME", DNS_T_CNAME}, {"SPF", 99}};

	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcmp(t, types[i].name) == 0)
			return types[i].type;
	fatal("suite: unknown record type %s", t);
}

static void add_rr(struct fakezone *z, struct field *f)
{
	uint16_t type = type_of(f[2].p);

	if (type == DNS_T_A || type == DNS_T_AAAA)
		fakezone_add_addr(z, f[1].p, f[3].p);
	else
		fakezone_add(z, f[1].p, type, f[3].p, f[3].len, 0);
}

static enum mp_err run_eval(void *arg)
{
	struct run *r = arg;

	return dns_spf_eval(r->book, &r->req, &r->res);
}

/* One listed result matches (the list is comma-separated). */
static bool result_in(const char *got, const char *list)
{
	size_t glen = strlen(got);

	for (const char *p = list; *p != '\0';) {
		size_t n = strcspn(p, ",");

		if (n == glen && strncmp(p, got, n) == 0)
			return true;
		p += n + (p[n] == ',');
	}
	return false;
}

static void show_trace(const struct dns_spf_result *res)
{
	tap_diag("  reason: %s", res->reason);
	for (size_t i = 0; i < res->n_steps; i++)
		tap_diag("  %*s%s: %s -> %s -> %s", (int)res->steps[i].depth * 2, "",
			 res->steps[i].domain, res->steps[i].term, res->steps[i].action,
			 res->steps[i].outcome);
}

/* test ID HOST MAILFROM HELO RESULTS [EXPLANATION] */
static void run_case(struct fakezone *z, struct field *f, size_t n)
{
	struct run r = {.book = dns_book_new(512)};
	const char *got;
	bool ok;

	if (dns_spf_ip_parse(f[2].p, &r.req.ip) != ERR_OK)
		fatal("suite: bad host %s", f[2].p);
	r.req.identity = DNS_SPF_ID_MAILFROM;
	r.req.sender = f[3].p;
	r.req.helo = f[4].p;
	r.req.default_explanation = "DEFAULT";
	r.req.hex_upper = true;
	if (fakezone_run(z, r.book, run_eval, &r) != ERR_OK) {
		tap_ok(false, "%s: evaluation completed", f[1].p);
		if (n > 6)
			tap_ok(false, "%s: explanation", f[1].p);
		dns_book_free(r.book);
		return;
	}
	got = dns_spf_verdict_name(r.res->verdict);
	ok = tap_ok(result_in(got, f[5].p), "%s: %s (want %s)", f[1].p, got, f[5].p);
	if (n > 6)
		ok &= tap_is_str(r.res->explanation, f[6].p, "%s: explanation", f[1].p);
	if (!ok)
		show_trace(r.res);
	dns_spf_result_free(r.res);
	dns_book_free(r.book);
}

/* Read the converted suite and run it; returns the number of cases run. */
static int run_suite(FILE *in)
{
	struct fakezone *z = fakezone_new();
	struct field f[MAX_FIELDS];
	char line[4096];
	int cases = 0;

	while (fgets(line, sizeof line, in) != NULL) {
		size_t n;

		line[strcspn(line, "\n")] = '\0';
		n = split(line, f);
		if (n == 0)
			continue;
		if (strcmp(f[0].p, "zone") == 0) {
			fakezone_free(z);
			z = fakezone_new();
		} else if (strcmp(f[0].p, "rr") == 0 && n == 4) {
			add_rr(z, f);
		} else if (strcmp(f[0].p, "mx") == 0 && n == 4) {
			fakezone_add_mx(z, f[1].p, (uint16_t)strtoul(f[2].p, NULL, 10), f[3].p);
		} else if (strcmp(f[0].p, "timeout") == 0 && n == 2) {
			fakezone_set_timeout(z, f[1].p);
		} else if (strcmp(f[0].p, "test") == 0 && n >= 6) {
			run_case(z, f, n);
			cases++;
		} else {
			fatal("suite: bad line starting %s", f[0].p);
		}
	}
	fakezone_free(z);
	return cases;
}

int main(void)
{
	const char *top = getenv("top_srcdir") ? getenv("top_srcdir") : tap_srcdir();
	char *yml = xasprintf("%s/../shared/corpora/spf/rfc7208-tests.yml", top);
	char *txt = xasprintf("%s/suite.txt", tap_tmpdir());
	char *cmd = xasprintf("/usr/bin/python3 '%s/tests/dns/spf_suite_convert.py' '%s' '%s'", top,
			      yml, txt);
	FILE *in;
	int rc;

	if (access(yml, R_OK) != 0)
		tap_skip_all("openspf suite not found at %s (../shared is absent)", yml);
	if (access("/usr/bin/python3", X_OK) != 0)
		tap_skip_all("/usr/bin/python3 is not installed");
	rc = system(cmd);
	if (WIFEXITED(rc) && WEXITSTATUS(rc) == 77)
		tap_skip_all("python3-yaml is not installed (apt-get install python3-yaml)");
	if (!tap_ok(rc == 0, "converted %s", yml))
		return tap_done();
	in = fopen(txt, "r");
	if (tap_ok(in != NULL, "read %s", txt)) {
		tap_is_int(run_suite(in), 203, "the suite has 203 cases");
		fclose(in);
	}
	free(yml);
	free(txt);
	free(cmd);
	return tap_done();
}
