/*
 * tests/daemon/config_fixture: fixture files, loading and dumping configs,
 * and the documentation checks for the config tests (see the header).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "common/xmalloc.h"
#include "tests/daemon/config_fixture.h"
#include "tests/lib/tap.h"

void config_fixture_write(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		tap_diag("cannot write %s", path);
		return;
	}
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

void config_fixture_write_in(const char *dir, const char *name, const char *text, mode_t mode)
{
	char *p = xasprintf("%s/%s", dir, name);

	config_fixture_write(p, text, mode);
	free(p);
}

struct daemon_config *config_fixture_load(const struct daemon_config_env *env, const char *text,
					  char *err, size_t errsz)
{
	struct daemon_config *cfg = NULL;

	err[0] = 'x';
	if (daemon_config_load_string(text, strlen(text), "t.conf", env, &cfg, err, errsz) !=
	    ERR_OK)
		return NULL;
	return cfg;
}

char *config_fixture_dump_of(const struct daemon_config_env *env, const char *text, char *err,
			     size_t errsz)
{
	struct daemon_config *cfg = config_fixture_load(env, text, err, errsz);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (cfg == NULL)
		return NULL;
	f = open_memstream(&buf, &len);
	daemon_config_dump(f, cfg);
	fclose(f);
	daemon_config_free(cfg);
	return buf;
}

enum mp_err config_fixture_load_file(const char *dir, const char *text, mode_t mode,
				     struct daemon_config **out, char *err, size_t errsz)
{
	char *path = xasprintf("%s/real.conf", dir);
	enum mp_err rc;

	config_fixture_write(path, text, mode);
	*out = NULL;
	rc = daemon_config_load(path, out, err, errsz);
	free(path);
	return rc;
}

char *config_fixture_slurp(const char *rel)
{
	char *path = xasprintf("%s/%s", tap_srcdir(), rel), *buf = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "r"), *m;
	int c;

	free(path);
	if (f == NULL)
		return NULL;
	m = open_memstream(&buf, &len);
	while ((c = fgetc(f)) != EOF)
		fputc(c, m);
	fclose(m);
	fclose(f);
	return buf;
}

bool config_fixture_mentions(const char *text, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = text; (p = strstr(p, key)) != NULL; p++) {
		char b = p == text ? ' ' : p[-1], a = p[kl];

		if (!((b >= 'a' && b <= 'z') || b == '_') && !((a >= 'a' && a <= 'z') || a == '_'))
			return true;
	}
	return false;
}

size_t config_fixture_check_keys(const char *from, const char *ex, const char *man)
{
	size_t keys = 0;

	for (const char *l = from; l != NULL && *l != '\0';
	     l = strchr(l, '\n'), l = l ? l + 1 : l) {
		size_t n = strspn(l, "abcdefghijklmnopqrstuvwxyz_");
		char key[64];

		if (n == 0 || n >= sizeof key || strncmp(l + n, " = ", 3) != 0)
			continue;
		memcpy(key, l, n);
		key[n] = '\0';
		keys++;
		tap_ok(config_fixture_mentions(ex, key) && config_fixture_mentions(man, key),
		       "key %s is documented", key);
	}
	return keys;
}

void config_fixture_check_docs(const char *dump, const char *start, size_t min_keys,
			       const char *what, const char *const *sections, size_t n)
{
	char *ex = config_fixture_slurp("examples/mailpulse.conf"),
	     *man = config_fixture_slurp("man/mailpulse.conf.5");
	size_t keys;

	if (tap_ok(ex && man && dump, "example, man page and dump exist")) {
		keys = config_fixture_check_keys(strstr(dump, start), ex, man);
		tap_ok(keys >= min_keys, "the dump shows %zu %s", keys, what);
		for (size_t i = 0; i < n; i++)
			tap_ok(strstr(ex, sections[i]) && strstr(man, sections[i]),
			       "%s is documented", sections[i]);
	}
	free(ex);
	free(man);
}

void config_fixture_env_init(struct daemon_config_env *env, char **dir, char **creds)
{
	*dir = xstrdup(tap_tmpdir());
	*creds = xasprintf("%s/creds", *dir);
	mkdir(*creds, 0700);
	env->credentials_dir = *creds;
	env->base_dir = *dir;
}
