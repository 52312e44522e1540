/*
 * tests/lib/tap: TAP output, counted by automake's tap-driver.sh.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/xmalloc.h"
#include "tests/lib/tap.h"

static int n_tests, n_failed;
static char *tmpdir;

MP_PRINTF(2, 0) static void vline(bool cond, const char *fmt, va_list ap)
{
	n_tests++;
	if (!cond)
		n_failed++;
	printf("%sok %d - ", cond ? "" : "not ", n_tests);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
}

bool tap_ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(cond, fmt, ap);
	va_end(ap);
	return cond;
}

bool tap_is_str(const char *got, const char *want, const char *fmt, ...)
{
	va_list ap;
	bool ok = (got == NULL && want == NULL) ||
		  (got != NULL && want != NULL && strcmp(got, want) == 0);

	va_start(ap, fmt);
	vline(ok, fmt, ap);
	va_end(ap);
	if (!ok)
		printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)",
		       want ? want : "(null)");
	return ok;
}

bool tap_is_int(long long got, long long want, const char *fmt, ...)
{
	va_list ap;
	bool ok = got == want;

	va_start(ap, fmt);
	vline(ok, fmt, ap);
	va_end(ap);
	if (!ok)
		printf("#   got:  %lld\n#   want: %lld\n", got, want);
	return ok;
}

void tap_skip(const char *why, ...)
{
	va_list ap;

	n_tests++;
	printf("ok %d # SKIP ", n_tests);
	va_start(ap, why);
	vprintf(why, ap);
	va_end(ap);
	putchar('\n');
}

void tap_skip_all(const char *why, ...)
{
	va_list ap;

	printf("1..0 # SKIP ");
	va_start(ap, why);
	vprintf(why, ap);
	va_end(ap);
	putchar('\n');
	exit(0);
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void rm_tmpdir(void)
{
	if (tmpdir) {
		char *cmd = xasprintf("rm -rf '%s'", tmpdir);

		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
		free(cmd);
		free(tmpdir);
	}
}

const char *tap_tmpdir(void)
{
	if (tmpdir == NULL) {
		const char *base = getenv("TMPDIR");
		char *t = xasprintf("%s/mailpulse-test-XXXXXX", base && *base ? base : "/tmp");

		if (mkdtemp(t) == NULL)
			fatal("mkdtemp failed");
		tmpdir = t;
		atexit(rm_tmpdir);
	}
	return tmpdir;
}

const char *tap_srcdir(void)
{
	const char *s = getenv("srcdir");

	return s && *s ? s : ".";
}

int tap_done(void)
{
	printf("1..%d\n", n_tests);
	return n_failed ? 1 : 0;
}
