/*
 * tests/daemon/test_render: the three output formats of `mailpulse check`:
 * exit codes, status first, Nagios perfdata, and hostile DNS bytes escaped
 * (no terminal control byte in text, valid JSON escapes).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/cli_args.h"
#include "daemon/render.h"
#include "tests/lib/fakezone.h"
#include "tests/lib/tap.h"

static struct dns_posture *run(struct fakezone *z, const char *domain)
{
	struct dns_posture_opts o = {.no_discovery = true};
	struct dns_posture *p = dns_posture_new(domain, &o);

	for (int i = 0; i < 50 && dns_posture_step(p) == ERR_AGAIN; i++) {
		const char *url, *addr;

		if (dns_posture_fetch_needed(p, &url, &addr))
			dns_posture_fetch_done(p, ERR_NET, 0, "", NULL, 0, "refused");
		fakezone_answer(z, dns_posture_book(p));
	}
	return p;
}

static char *render(enum daemon_render_format fmt, struct dns_posture **p, size_t n, int *code)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	*code = daemon_render_report(f, fmt, p, n, true);
	fclose(f);
	return buf;
}

/*
 * n domains (posture i % 2 of p) put in the order given by perm; what the
 * report writes.  With abandon the report is dropped after the first
 * n / 2 puts (ASan finds any pending text leaked).
 */
static char *streamed(enum daemon_render_format fmt, struct dns_posture **p, const size_t *perm,
		      size_t n, bool abandon)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct daemon_render *r = daemon_render_begin(f, fmt, false, n);

	for (size_t k = 0; k < n; k++) {
		if (abandon && k == n / 2) {
			daemon_render_abandon(r);
			r = NULL;
			break;
		}
		daemon_render_put(r, perm[k], p[perm[k] % 2]);
	}
	if (r != NULL)
		daemon_render_end(r);
	fclose(f);
	return buf;
}

/*
 * Domains completing in any order give the report of the given order:
 * in order (written at once), reversed (every domain waits, the JSON
 * buffer pool grows to n), and shuffled (buffers reused out of order).
 */
static void out_of_order(struct dns_posture **p)
{
	enum { N = 60 };
	static const enum daemon_render_format fmts[] = {RENDER_TEXT, RENDER_JSON, RENDER_NAGIOS};
	size_t in[N], rev[N], mix[N];
	uint32_t seed = 4242;

	for (size_t i = 0; i < N; i++)
		in[i] = mix[i] = i, rev[i] = N - 1 - i;
	for (size_t i = N - 1; i > 0; i--) {
		size_t j, t;

		seed = seed * 1103515245u + 12345u;
		j = (seed >> 16) % (i + 1);
		t = mix[i], mix[i] = mix[j], mix[j] = t;
	}
	for (size_t f = 0; f < 3; f++) {
		char *a = streamed(fmts[f], p, in, N, false),
		     *b = streamed(fmts[f], p, rev, N, false),
		     *c = streamed(fmts[f], p, mix, N, false);

		tap_ok(strcmp(a, b) == 0 && strcmp(a, c) == 0 && strstr(a, "fine.test") != NULL,
		       "format %zu: in order, reversed and shuffled give the same report", f);
		free(b);
		free(c);
		c = streamed(fmts[f], p, mix, N, true);
		tap_ok(strncmp(a, c, strlen(c)) == 0,
		       "format %zu: abandoned midway: what was written starts the report", f);
		free(a);
		free(c);
	}
}

int main(void)
{
	struct fakezone *z = fakezone_new();
	struct dns_posture *p[2];
	enum daemon_render_format fmt;
	char *out;
	int code;
	bool ctl = false;

	fakezone_add_txt(z, "evil.test", "v=spf1 \x1b[31mred\x07 -all");
	fakezone_add_txt(z, "_dmarc.evil.test", "v=DMARC1; p=none; rua=mailto:\xff@evil.test");
	fakezone_add_mx(z, "evil.test", 10, "mx.evil.test");
	fakezone_add_addr(z, "mx.evil.test", "192.0.2.25");
	fakezone_add_txt(z, "fine.test", "v=spf1 -all");
	fakezone_add_txt(z, "_dmarc.fine.test", "v=DMARC1; p=reject; rua=mailto:d@fine.test");
	fakezone_add_mx(z, "fine.test", 0, ".");
	p[0] = run(z, "evil.test");
	p[1] = run(z, "fine.test");

	tap_ok(daemon_render_parse_format("nagios", &fmt) == ERR_OK && fmt == RENDER_NAGIOS,
	       "format names parse");
	tap_ok(daemon_render_parse_format("xml", &fmt) == ERR_INVAL, "unknown format rejected");
	tap_is_int(daemon_render_exit_code(dns_posture_findings(p[0])), 2, "evil.test is CRITICAL");

	out = render(RENDER_TEXT, p, 2, &code);
	tap_is_int(code, 2, "text: overall exit code is the worst domain");
	tap_ok(strncmp(out, "evil.test: CRITICAL", 19) == 0, "text: status first");
	for (const char *c = out; *c; c++)
		if ((unsigned char)*c < 0x20 && *c != '\n')
			ctl = true;
	tap_ok(!ctl, "text: no control byte from DNS reaches the terminal");
	tap_ok(strstr(out, "\\x1B[31mred\\x07") != NULL, "text: control bytes shown escaped");
	tap_ok(strstr(out, "fine.test: ") != NULL, "text: second domain reported");
	free(out);

	out = render(RENDER_JSON, p, 2, &code);
	tap_ok(strstr(out, "\"status\":\"CRITICAL\"") != NULL, "json: overall status");
	tap_ok(strstr(out, "\\u001B[31mred\\u0007") != NULL, "json: control bytes as \\u escapes");
	tap_ok(strstr(out, "\xef\xbf\xbd@evil.test") != NULL, "json: invalid UTF-8 replaced");
	tap_ok(strstr(out, "\"dns\":[") != NULL, "json: --explain adds the DNS trace");
	free(out);

	out = render(RENDER_NAGIOS, p, 1, &code);
	tap_ok(strncmp(out, "CRITICAL: evil.test CRITICAL (", 30) == 0, "nagios: first line");
	tap_ok(strstr(out, "| 'spf_lookups'=0;;10 'spf_void_lookups'=0;;2") != NULL,
	       "nagios: perfdata with thresholds");
	free(out);
	out = render(RENDER_NAGIOS, p, 2, &code);
	tap_ok(strstr(out, "'evil.test_spf_lookups'=0;;10") != NULL,
	       "nagios: perfdata labels carry the domain when there are several");
	free(out);

	out_of_order(p);

	dns_posture_free(p[0]);
	dns_posture_free(p[1]);
	fakezone_free(z);

	{
		unsigned ms = 0;
		struct daemon_strv sv = {0};
		const char *why = NULL;
		char path[512];
		FILE *f;

		tap_ok(daemon_cli_parse_seconds("1.5", &ms) == ERR_OK && ms == 1500,
		       "seconds parse");
		tap_ok(daemon_cli_parse_seconds("-1", &ms) == ERR_INVAL,
		       "negative seconds rejected");
		tap_ok(daemon_cli_parse_seconds("5x", &ms) == ERR_INVAL,
		       "junk after seconds rejected");
		snprintf(path, sizeof path, "%s/domains", tap_tmpdir());
		f = fopen(path, "w");
		fputs("# comment\n  a.test  \n\nb.test # trailing comment\r\n", f);
		fclose(f);
		tap_ok(daemon_cli_read_domains(path, &sv, &why) == ERR_OK && sv.n == 2 &&
			   strcmp(sv.v[0], "a.test") == 0 && strcmp(sv.v[1], "b.test") == 0,
		       "domains file: comments, blanks and spaces ignored");
		daemon_strv_free(&sv);
		tap_ok(daemon_cli_read_domains("/nonexistent/x", &sv, &why) == ERR_IO && why,
		       "missing domains file is a clear error");
	}
	return tap_done();
}
