/*
 * daemon/config_values: the value syntaxes of mailpulse.conf(5), as small
 * pure parsers, plus ${VAR} substitution and the careful file reader that
 * daemon/config uses for the config file and for secret files.
 *
 * What it does not: know sections or keys (daemon/config_sections does) or
 * echo any value: every "why" text is a fixed phrase, so callers may use it
 * for secrets too.
 *
 * References: RFC 3986 3 (URL scheme, authority, host, port), RFC 5321
 * 4.5.3.1.1-2 and RFC 5322 3.2.3/3.4.1 (addr-spec as dot-atom), RFC 4291
 * 2.2 (IPv6 text), Standard Webhooks 1.0 (whsec_ secrets of 24-64 bytes).
 */
#ifndef MAILPULSE_DAEMON_CONFIG_VALUES_H
#define MAILPULSE_DAEMON_CONFIG_VALUES_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "common/err.h"

/* A buffer for any IP literal without brackets, plus its NUL. */
#define DAEMON_CONFIG_IP_BUFSZ INET6_ADDRSTRLEN

/*
 * Duration: plain seconds ("90") or number-unit pairs with units ms, s, m,
 * h, d ("500ms", "30s", "5m", "1h30m", "2d"); at most 400 days.  *ms set on
 * success; ERR_INVAL with *why otherwise.
 */
enum mp_err daemon_config_values_duration(const char *s, uint64_t *ms, const char **why) MP_WUR;

/*
 * ms as the shortest duration text that reads back the same ("2m", "90s",
 * "1500ms", "0s") into buf; returns buf.
 */
const char *daemon_config_values_duration_text(uint64_t ms, char buf[32]);

/* yes/no, true/false, on/off, 1/0 (case-insensitive).  ERR_INVAL otherwise. */
enum mp_err daemon_config_values_bool(const char *s, bool *out) MP_WUR;

/* Decimal in [min, max].  ERR_INVAL with *why otherwise. */
enum mp_err daemon_config_values_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out,
				      const char **why) MP_WUR;

/*
 * An IP literal with an optional port: "192.0.2.1", "192.0.2.1:53",
 * "[2001:db8::1]", "[2001:db8::1]:53", or a bare "2001:db8::1" (no port).
 * host (DAEMON_CONFIG_IP_BUFSZ) gets the address without brackets, *port the
 * port or 0 when none was given.  Host names are refused (nothing resolves
 * them at start-up).  ERR_INVAL with *why otherwise.
 */
enum mp_err daemon_config_values_ipport(const char *s, char host[DAEMON_CONFIG_IP_BUFSZ],
					unsigned *port, const char **why) MP_WUR;

/*
 * A host to connect to: an IPv4 or IPv6 literal (no brackets, no port) or a
 * host name (IDN allowed), returned in *ascii (A-labels, lower case; caller
 * frees).  ERR_INVAL with *why otherwise.
 */
enum mp_err daemon_config_values_host(const char *s, char **ascii, const char **why) MP_WUR;

/*
 * An absolute http(s) URL: "https://" (or "http://" when allow_http) then a
 * host name, IPv4 or [IPv6] literal, an optional port 1-65535, all of it
 * printable ASCII without spaces (an IDN host in its xn-- form); at most
 * 2048 bytes.  Nothing is
 * echoed: URLs may be credentials.  ERR_INVAL with *why otherwise.
 */
enum mp_err daemon_config_values_url(const char *s, bool allow_http, const char **why) MP_WUR;

/*
 * An e-mail address as an addr-spec: dot-atom local part (ASCII, at most 64
 * octets) "@" host name (IDN allowed, converted to A-labels).  *norm gets
 * "local@a-label-domain" (caller frees).  ERR_INVAL with *why otherwise.
 */
enum mp_err daemon_config_values_email(const char *s, char **norm, const char **why) MP_WUR;

/* The domain part of a normalized address (borrowed from addr). */
const char *daemon_config_values_email_domain(const char *addr);

/* A Standard Webhooks secret: "whsec_" + base64 of 24..64 bytes. */
enum mp_err daemon_config_values_whsec(const char *s, const char **why) MP_WUR;

/*
 * Split a list on commas, spaces, tabs and newlines (empty items skipped)
 * into *items (n of them; free with daemon_config_values_strv_free()).
 * ERR_INVAL when empty, ERR_LIMIT when more than max items.
 */
enum mp_err daemon_config_values_split(const char *s, size_t max, char ***items, size_t *n) MP_WUR;
void daemon_config_values_strv_free(char **v, size_t n);

/* Lookup of ${NAME}: the value or NULL when undefined. */
typedef const char *(*daemon_config_getvar_fn)(void *ctx, const char *name);

/*
 * Substitute ${NAME} (NAME = [A-Za-z_][A-Za-z0-9_]*) through getvar (NULL:
 * nothing is defined) and $$ (a literal $) in raw; values are not expanded
 * again.  *out (caller frees) holds at most max bytes; *used is true when at
 * least one ${NAME} was substituted.  ERR_INVAL with why (names the variable
 * at most, never a value): undefined variable, a lone $, a bad name;
 * ERR_LIMIT when the result is longer than max.
 */
enum mp_err daemon_config_values_expand(const char *raw, daemon_config_getvar_fn getvar, void *ctx,
					size_t max, char **out, bool *used, char *why,
					size_t whysz) MP_WUR;

/*
 * Read the regular file at path: at most max bytes into *data (xmalloc'd,
 * NUL-terminated, *len bytes) and its st_mode into *mode (may be NULL).
 * When refuse_others, a file readable by others is refused with a message
 * naming the chmod to run.  ERR_IO / ERR_LIMIT / ERR_INVAL with why
 * ("cannot open PATH: reason", ...); never any content.  Does not follow
 * into FIFOs or devices (opened non-blocking, must be S_ISREG).
 */
enum mp_err daemon_config_values_read_file(const char *path, size_t max, bool refuse_others,
					   char **data, size_t *len, mode_t *mode, char *why,
					   size_t whysz) MP_WUR;

/*
 * Levenshtein distance between two short strings, capped at 9 (for "did you
 * mean" hints on unknown keys).
 */
unsigned daemon_config_values_distance(const char *a, const char *b);

#endif
