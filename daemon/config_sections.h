/*
 * daemon/config_sections: turns the sections and keys that daemon/config
 * read from the file (through inih) into a struct daemon_config: which keys
 * each section has, their defaults, ${VAR} substitution, secrets from files
 * and credentials, and every check that involves several keys.
 *
 * What it does not: read the config file or know inih (daemon/config does),
 * or parse value syntaxes (daemon/config_values does).
 */
#ifndef MAILPULSE_DAEMON_CONFIG_SECTIONS_H
#define MAILPULSE_DAEMON_CONFIG_SECTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include "common/err.h"
#include "daemon/config.h"

/* One "key = value" as written (continuation lines joined with '\n'). */
struct daemon_config_entry {
	char *key;
	char *value; /* before ${} substitution */
	unsigned line;
	bool continued; /* indented continuation lines were joined in */
};

/* One [kind name] section. */
struct daemon_config_rawsec {
	char *kind; /* first word of the header, as written */
	char *name; /* the rest, trimmed; NULL when there is none */
	unsigned line;
	struct daemon_config_entry *v;
	size_t n;
};

/* The file as sections of entries, in file order. */
struct daemon_config_raw {
	struct daemon_config_rawsec *v;
	size_t n;
};

/* Free everything raw owns (values are wiped: they may be secrets); raw is emptied. */
void daemon_config_sections_raw_free(struct daemon_config_raw *raw);

/*
 * Build the configuration from raw.  file names the source in messages; env
 * as for daemon_config_load_string() (never NULL here).  ERR_OK: *out set
 * (free with daemon_config_free()).  ERR_INVAL: err (size errsz) says
 * "FILE:LINE: [section] key: why" for the first problem found.
 */
enum mp_err daemon_config_sections_build(const struct daemon_config_raw *raw, const char *file,
					 const struct daemon_config_env *env,
					 struct daemon_config **out, char *err,
					 size_t errsz) MP_WUR;

#endif
