/*
 * daemon/cli_args: the options `mailpulse check` and `mailpulse spf` share,
 * and reading a domains file.  Parsing only; nothing here touches the network.
 */
#ifndef MAILPULSE_DAEMON_CLI_ARGS_H
#define MAILPULSE_DAEMON_CLI_ARGS_H

#include <stddef.h>
#include "common/err.h"
#include "dns/resolver.h"

/* A growable list of owned strings. */
struct daemon_strv {
	char **v;
	size_t n;
};

void daemon_strv_push(struct daemon_strv *sv, const char *s);
void daemon_strv_free(struct daemon_strv *sv);

/*
 * Append the domains listed in path (one per line; blank lines and "#"
 * comments ignored; at most 1,000,000 lines of at most 1024 bytes).
 * ERR_IO with *why set (static text) when the file cannot be read,
 * ERR_PARSE when a line is too long.
 */
enum mp_err daemon_cli_read_domains(const char *path, struct daemon_strv *out,
				    const char **why) MP_WUR;

/*
 * Resolver options for the CLI's --resolver list and --timeout: the timeout
 * bounds one question with its retries (2 tries; c-ares waits t, then 2t, so
 * t is a third of it).  servers is borrowed by *ro.
 */
void daemon_cli_resolver_opts(const struct daemon_strv *servers, unsigned timeout_ms,
			      struct dns_resolver_opts *ro);

/* Parse a positive number of seconds (may have a fraction) into milliseconds. */
enum mp_err daemon_cli_parse_seconds(const char *s, unsigned *ms) MP_WUR;

#endif
