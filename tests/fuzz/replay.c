/*
 * tests/fuzz/replay: runs a libFuzzer target over its seed corpus without
 * libFuzzer, as a TAP test (one result per corpus file).  A crash, a
 * sanitizer report or a hang (caught by the harness timeout) fails the test.
 * The program's own name, replay_<name>, names the target and so its corpus
 * folder tests/fuzz/corpus/<name>/.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "tests/lib/tap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p = NULL;
	size_t n = 0, cap = 0, r;

	if (f == NULL)
		return NULL;
	do {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 8192;
			p = xreallocarray(p, cap, 1);
		}
		r = fread(p + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	fclose(f);
	*len = n;
	return p;
}

/* "<dir>/replay_spf_record" (maybe via a libtool-style "lt-" prefix) -> "spf_record". */
static const char *target_name(const char *argv0)
{
	const char *base = strrchr(argv0, '/');
	const char *r;

	base = base ? base + 1 : argv0;
	r = strstr(base, "replay_");
	return r ? r + 7 : base;
}

int main(int argc, char **argv)
{
	const char *name = target_name(argc > 0 ? argv[0] : "");
	char *dir = xasprintf("%s/tests/fuzz/corpus/%s", tap_srcdir(), name);
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;

	if (d == NULL) {
		tap_ok(0, "corpus folder %s exists", dir);
		return tap_done();
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		names = xreallocarray(names, n + 1, sizeof *names);
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp);
	tap_ok(n > 0, "corpus %s has %zu seeds", name, n);
	for (size_t i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		size_t len = 0;
		unsigned char *p = slurp(path, &len);

		if (tap_ok(p != NULL, "read %s", names[i])) {
			/* Copy into an exact-size buffer so ASan sees overreads. */
			unsigned char *exact = xmalloc(len ? len : 1);

			memcpy(exact, p, len);
			LLVMFuzzerTestOneInput(exact, len);
			free(exact);
			tap_ok(1, "%s: %s survived (%zu bytes)", name, names[i], len);
		}
		free(p);
		free(path);
		free(names[i]);
	}
	free(names);
	free(dir);
	return tap_done();
}
