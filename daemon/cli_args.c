/*
 * daemon/cli_args: shared CLI parsing helpers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/str.h"
#include "common/xmalloc.h"
#include "daemon/cli_args.h"

void daemon_strv_push(struct daemon_strv *sv, const char *s)
{
	sv->v = xreallocarray(sv->v, sv->n + 1, sizeof *sv->v);
	sv->v[sv->n++] = xstrdup(s);
}

void daemon_strv_free(struct daemon_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

enum mp_err daemon_cli_read_domains(const char *path, struct daemon_strv *out, const char **why)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char line[1026];
	size_t lines = 0;
	enum mp_err e = ERR_OK;

	if (f == NULL) {
		*why = strerror(errno);
		return ERR_IO;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		size_t len = strlen(line);
		const char *s = line;
		char *hash;

		if (++lines > 1000000 || (len == sizeof line - 1 && line[len - 1] != '\n')) {
			*why = lines > 1000000 ? "more than 1,000,000 lines" : "a line is too long";
			e = ERR_PARSE;
			break;
		}
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		len = strcspn(line, "\r\n");
		common_str_trim(&s, &len);
		if (len == 0)
			continue;
		line[(size_t)(s - line) + len] = '\0';
		daemon_strv_push(out, s);
	}
	if (f != stdin)
		fclose(f);
	return e;
}

enum mp_err daemon_cli_parse_seconds(const char *s, unsigned *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end != '\0' || !(v > 0) || v > 3600)
		return ERR_INVAL;
	*ms = (unsigned)(v * 1000 + 0.5);
	if (*ms == 0)
		*ms = 1;
	return ERR_OK;
}

void daemon_cli_resolver_opts(const struct daemon_strv *servers, unsigned timeout_ms,
			      struct dns_resolver_opts *ro)
{
	dns_resolver_opts_init(ro);
	ro->servers = (const char *const *)servers->v;
	ro->n_servers = servers->n;
	ro->tries = 2;
	ro->timeout_ms = timeout_ms / 3 ? timeout_ms / 3 : 1;
}
