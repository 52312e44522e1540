/*
 * daemon/config: loading mailpulse.conf(5) (see the header).
 *
 * inih does the INI syntax (key = value, comments, indented continuation
 * lines); this file feeds it one line at a time through rd_line(), which
 * counts lines (inih's handler gets no line number), keeps the [sections]
 * itself (Debian's inih cuts section names at 49 bytes and skips sections
 * without keys), and refuses NUL bytes, control characters and lines longer
 * than DAEMON_CONFIG_LINE_MAX before inih could cut them silently.  The
 * pairs are collected as written (struct daemon_config_raw); the meaning of
 * every key is daemon/config_sections' business.
 */
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <ini.h>
#include "common/xmalloc.h"
#include "daemon/config.h"
#include "daemon/config_probe.h"
#include "daemon/config_probe_dump.h"
#include "daemon/config_report.h"
#include "daemon/config_sections.h"
#include "daemon/config_values.h"
#include "dns/name.h"

/* inih's line buffer: DAEMON_CONFIG_LINE_MAX plus "\r\n\0" and some slack. */
#define INI_LINE_BUF (DAEMON_CONFIG_LINE_MAX + 64)
/* Sections the reader keeps at most (each kind is capped again by config_sections). */
#define MAX_SECTIONS (DAEMON_CONFIG_MAX_DOMAINS + DAEMON_CONFIG_MAX_ALERTS + 8)

/*
 * inih's run-time knobs (Debian exports them) are process-wide: every parse
 * sets them and runs under this lock.  Mutable state is allowed in daemon/
 * (STYLE.md 18); nothing else includes ini.h.
 */
static pthread_mutex_t ini_lock = PTHREAD_MUTEX_INITIALIZER;
static char ini_comment_chars[] = ";#";

struct reader {
	const char *text;
	size_t len, pos;
	unsigned line; /* the line inih is looking at */
	bool indented; /* it starts with a space or a tab */
	struct daemon_config_raw *raw;
	unsigned err_line; /* first error found (0: none) */
	char err[512];
};

static void rd_err(struct reader *rd, const char *fmt, ...) MP_PRINTF(2, 3);

/* Keep the error of the earliest line. */
static void rd_err(struct reader *rd, const char *fmt, ...)
{
	va_list ap;

	if (rd->err_line != 0 && rd->err_line <= rd->line)
		return;
	rd->err_line = rd->line;
	va_start(ap, fmt);
	vsnprintf(rd->err, sizeof rd->err, fmt, ap);
	va_end(ap);
}

/* Bytes inih must never see: they would cut or garble the line silently. */
static bool line_ok(struct reader *rd, const char *p, size_t len, int num)
{
	size_t limit = DAEMON_CONFIG_LINE_MAX;

	if (num > 3 && (size_t)num - 3 < limit)
		limit = (size_t)num - 3;
	if (len > limit) {
		rd_err(rd,
		       "the line is longer than %zu bytes (split a list over indented "
		       "continuation lines)",
		       limit);
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == 0) {
			rd_err(rd, "the line holds a NUL byte");
			return false;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			rd_err(rd, "the line holds a control character (0x%02x)", c);
			return false;
		}
	}
	return true;
}

static void trim(const char **s, size_t *len)
{
	while (*len > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
		(*len)--;
}

/* "[kind name]" at p (after leading blanks): a new section.  False when malformed. */
static bool add_section(struct reader *rd, const char *p, size_t len)
{
	const char *rb = memchr(p, ']', len), *in = p + 1, *rest;
	struct daemon_config_rawsec *s;
	size_t inlen, klen;

	if (rb == NULL) {
		rd_err(rd, "'[' without a closing ']'");
		return false;
	}
	rest = rb + 1;
	inlen = (size_t)(len - (size_t)(rest - p));
	trim(&rest, &inlen);
	if (inlen != 0) {
		rd_err(rd, "text after ']' (comments go on a line of their own)");
		return false;
	}
	inlen = (size_t)(rb - in);
	trim(&in, &inlen);
	if (inlen == 0 || rd->raw->n >= MAX_SECTIONS) {
		rd_err(rd, inlen == 0 ? "empty section name" : "too many sections");
		return false;
	}
	/* Bounded scan: the line is not NUL-terminated (STYLE.md 12). */
	for (klen = 0; klen < inlen && in[klen] != ' ' && in[klen] != '\t'; klen++)
		;
	rd->raw->v = xreallocarray(rd->raw->v, rd->raw->n + 1, sizeof *rd->raw->v);
	s = &rd->raw->v[rd->raw->n++];
	memset(s, 0, sizeof *s);
	s->kind = xmemdup0(in, klen);
	s->line = rd->line;
	rest = in + klen;
	inlen -= klen;
	trim(&rest, &inlen);
	s->name = inlen ? xmemdup0(rest, inlen) : NULL;
	return true;
}

/* True when the current section has a key (inih then continues it on indented lines). */
static bool has_key(const struct reader *rd)
{
	return rd->raw->n > 0 && rd->raw->v[rd->raw->n - 1].n > 0;
}

/*
 * inih's fgets-like reader: one line of the text per call into str (size
 * num).  Section headers are kept here and shown to inih as "[s]" (so it
 * still ends continuations there); bad lines are shown as empty lines, so
 * line numbers stay in step.
 */
static char *rd_line(char *str, int num, void *stream)
{
	struct reader *rd = stream;
	const char *p = rd->text + rd->pos, *nl;
	size_t n, len, lead = 0;

	if (rd->pos >= rd->len || num < 8)
		return NULL;
	nl = memchr(p, '\n', rd->len - rd->pos);
	n = nl ? (size_t)(nl - p) + 1 : rd->len - rd->pos;
	rd->pos += n;
	rd->line++;
	len = nl ? n - 1 : n;
	if (len > 0 && p[len - 1] == '\r')
		len--;
	if (rd->line == 1 && len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3; /* a UTF-8 byte order mark */
		len -= 3;
	}
	memcpy(str, "\n", 2);
	rd->indented = len > 0 && (p[0] == ' ' || p[0] == '\t');
	if (!line_ok(rd, p, len, num))
		return str;
	while (lead < len && (p[lead] == ' ' || p[lead] == '\t'))
		lead++;
	/* An indented "[" after a key continues its value (inih's rule); else it is a header. */
	if (lead < len && p[lead] == '[' && !(lead > 0 && has_key(rd))) {
		if (lead > 0)
			rd_err(rd, "a [section] header must start at the beginning of the line");
		else if (add_section(rd, p, len))
			memcpy(str, "[s]\n", 5);
		return str;
	}
	memcpy(str, p, len);
	memcpy(str + len, "\n", 2);
	return str;
}

/* inih's handler: one "name = value" (or a continuation line of name). */
static int rd_pair(void *user, const char *section, const char *name, const char *value)
{
	struct reader *rd = user;
	struct daemon_config_rawsec *s;
	struct daemon_config_entry *last;

	if (rd->raw->n == 0 || name[0] == '\0') {
		rd_err(rd, name[0] ? "a key outside any section (start with [daemon], [domain "
				     "NAME]...)"
				   : "the key name before '=' is missing");
		return 1;
	}
	s = &rd->raw->v[rd->raw->n - 1];
	last = s->n ? &s->v[s->n - 1] : NULL;
	if (rd->indented && last != NULL && strcmp(last->key, name) == 0) {
		size_t a = strlen(last->value), b = strlen(value);

		if (a + 1 + b > DAEMON_CONFIG_VALUE_MAX) {
			rd_err(rd, "the value is longer than %d bytes", DAEMON_CONFIG_VALUE_MAX);
			return 1;
		}
		last->value = xreallocarray(last->value, a + b + 2, 1);
		last->value[a] = '\n';
		memcpy(last->value + a + 1, value, b + 1);
		last->continued = true;
		return 1;
	}
	s->v = xreallocarray(s->v, s->n + 1, sizeof *s->v);
	last = &s->v[s->n++];
	last->key = xstrdup(name);
	last->value = xstrdup(value);
	last->line = rd->line;
	last->continued = false;
	return 1;
}

/* Run inih over text into raw.  ERR_INVAL with err set on a syntax error. */
static enum mp_err read_raw(const char *text, size_t len, const char *name,
			    struct daemon_config_raw *raw, char *err, size_t errsz)
{
	struct reader rd;
	int r;

	memset(&rd, 0, sizeof rd);
	rd.text = text;
	rd.len = len;
	rd.raw = raw;
	pthread_mutex_lock(&ini_lock);
	ini_max_line = INI_LINE_BUF;
	ini_use_stack = true;
	ini_allow_realloc = false;
	ini_allow_multiline = true;
	ini_allow_inline_comments = false; /* values are literal: ';' may be in a password */
	ini_allow_bom = false;		   /* rd_line drops it */
	ini_allow_no_value = false;
	ini_stop_on_first_error = false;
	ini_start_comment_prefixes = ini_comment_chars;
	r = ini_parse_stream(rd_line, &rd, rd_pair, &rd);
	pthread_mutex_unlock(&ini_lock);
	if (r > 0 && (rd.err_line == 0 || (unsigned)r < rd.err_line)) {
		rd.err_line = (unsigned)r;
		snprintf(rd.err, sizeof rd.err,
			 "expected 'key = value', '[section]' or a comment (# or ;)");
	} else if (r < 0 && rd.err_line == 0) {
		snprintf(err, errsz, "%s: the INI parser failed (%d)", name, r);
		return ERR_INVAL;
	}
	if (rd.err_line != 0) {
		snprintf(err, errsz, "%s:%u: %s", name, rd.err_line, rd.err);
		return ERR_INVAL;
	}
	return ERR_OK;
}

static enum mp_err load_text(const char *text, size_t len, const char *name,
			     const struct daemon_config_env *env, struct daemon_config **out,
			     char *err, size_t errsz)
{
	static const struct daemon_config_env none;
	struct daemon_config_raw raw = {NULL, 0};
	enum mp_err rc;

	if (len > DAEMON_CONFIG_FILE_MAX) {
		snprintf(err, errsz, "%s: larger than %d bytes", name, DAEMON_CONFIG_FILE_MAX);
		return ERR_LIMIT;
	}
	rc = read_raw(text, len, name, &raw, err, errsz);
	if (rc == ERR_OK)
		rc = daemon_config_sections_build(&raw, name, env ? env : &none, out, err, errsz);
	daemon_config_sections_raw_free(&raw);
	return rc;
}

enum mp_err daemon_config_load_string(const char *text, size_t len, const char *name,
				      const struct daemon_config_env *env,
				      struct daemon_config **out, char *err, size_t errsz)
{
	if (errsz > 0)
		err[0] = '\0';
	return load_text(text, len, name ? name : "(config)", env, out, err, errsz);
}

static const char *proc_getvar(void *ctx, const char *name)
{
	return getenv(name);
}

/* The directory of path, absolute when it can be made so (caller frees). */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash == NULL   ? xstrdup(".")
		    : slash == path ? xstrdup("/")
				    : xmemdup0(path, (size_t)(slash - path));
	char *abs = realpath(dir, NULL);

	if (abs == NULL)
		return dir;
	free(dir);
	return abs;
}

/* The first secret written inline, with its section (kind, name) and key for the message. */
static const struct daemon_config_secret *inline_secret(const struct daemon_config *cfg,
							const char **kind, const char **sec,
							const char **key)
{
	const struct daemon_config_secret *found;

	*kind = "alert";
	*sec = NULL;
	*key = "password";
	if (cfg->web.token.src == DAEMON_CONFIG_SRC_INLINE) {
		*kind = "web";
		*key = "token";
		return &cfg->web.token;
	}
	for (size_t i = 0; i < cfg->n_alerts; i++) {
		const struct daemon_config_alert *a = &cfg->alerts[i];
		const struct daemon_config_secret *s[3] = {&a->url, &a->signing_secret,
							   &a->password};
		static const char *const names[3] = {"url", "secret", "password"};

		for (size_t j = 0; j < 3; j++) {
			if (s[j]->src == DAEMON_CONFIG_SRC_INLINE) {
				*sec = a->name;
				*key = names[j];
				return s[j];
			}
		}
	}
	found = daemon_config_probe_inline_secret(cfg, kind, sec);
	return found != NULL ? found : daemon_config_report_inline_secret(cfg, kind, sec);
}

/* Refuse a file readable by group or others that holds a secret inline. */
static enum mp_err check_mode(const struct daemon_config *cfg, const char *path, mode_t mode,
			      char *err, size_t errsz)
{
	const char *kind = NULL, *sec = NULL, *key = NULL;
	const struct daemon_config_secret *s = inline_secret(cfg, &kind, &sec, &key);

	if (s == NULL || (mode & (S_IRGRP | S_IROTH)) == 0)
		return ERR_OK;
	snprintf(err, errsz,
		 "%s:%u: [%s%s%s] %s: a secret is written in this file, which group or others can "
		 "read (mode %04o); run: chmod 600 %s (or move it to %s_file or %s_credential)",
		 path, s->line, kind, sec ? " " : "", sec ? sec : "", key, (unsigned)(mode & 07777),
		 path, key, key);
	return ERR_INVAL;
}

enum mp_err daemon_config_load(const char *path, struct daemon_config **out, char *err,
			       size_t errsz)
{
	struct daemon_config_env env = {proc_getvar, NULL, NULL, NULL, NULL};
	struct daemon_config *cfg = NULL;
	char *text = NULL, *dir;
	size_t len = 0;
	mode_t mode = 0;
	enum mp_err rc;

	if (errsz > 0)
		err[0] = '\0';
	rc = daemon_config_values_read_file(path, DAEMON_CONFIG_FILE_MAX, false, &text, &len, &mode,
					    err, errsz);
	if (rc != ERR_OK)
		return rc;
	env.credentials_dir = getenv("CREDENTIALS_DIRECTORY");
	if (env.credentials_dir != NULL && env.credentials_dir[0] == '\0')
		env.credentials_dir = NULL;
	dir = dir_of(path);
	env.base_dir = dir;
	rc = load_text(text, len, path, &env, &cfg, err, errsz);
	explicit_bzero(text, len);
	free(text);
	free(dir);
	if (rc == ERR_OK)
		rc = check_mode(cfg, path, mode, err, errsz);
	if (rc != ERR_OK) {
		daemon_config_free(cfg);
		return rc;
	}
	*out = cfg;
	return ERR_OK;
}

static void secret_free(struct daemon_config_secret *s)
{
	if (s->value != NULL)
		explicit_bzero(s->value, s->len);
	free(s->value);
	free(s->from);
}

static void alert_free(struct daemon_config_alert *a)
{
	free(a->name);
	free(a->ca_file);
	secret_free(&a->url);
	secret_free(&a->signing_secret);
	free(a->smtp_host);
	free(a->username);
	secret_free(&a->password);
	free(a->from);
	daemon_config_values_strv_free(a->to, a->n_to);
}

static void domain_free(struct daemon_config_domain *d)
{
	free(d->name);
	free(d->display);
	daemon_config_values_strv_free(d->selectors, d->n_selectors);
	for (size_t j = 0; j < d->n_dkim_keys; j++) {
		free(d->dkim_keys[j].selector);
		free(d->dkim_keys[j].path);
	}
	free(d->dkim_keys);
	daemon_config_probe_free_domain(d);
}

void daemon_config_free(struct daemon_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->source);
	free(cfg->daemon.state_dir);
	free(cfg->daemon.trace);
	daemon_config_values_strv_free(cfg->dns.resolvers, cfg->dns.n_resolvers);
	free(cfg->web.listen_addr);
	secret_free(&cfg->web.token);
	free(cfg->web.public_url);
	for (size_t i = 0; i < cfg->n_domains; i++)
		domain_free(&cfg->domains[i]);
	free(cfg->domains);
	for (size_t i = 0; i < cfg->n_alerts; i++)
		alert_free(&cfg->alerts[i]);
	free(cfg->alerts);
	daemon_config_probe_free(cfg);
	daemon_config_report_free(cfg);
	free(cfg);
}

const struct daemon_config_domain *daemon_config_find_domain(const struct daemon_config *cfg,
							     const char *name)
{
	for (size_t i = 0; i < cfg->n_domains; i++)
		if (dns_name_equal(cfg->domains[i].name, strlen(cfg->domains[i].name), name,
				   strlen(name)))
			return &cfg->domains[i];
	return NULL;
}

const struct daemon_config_alert *daemon_config_find_alert(const struct daemon_config *cfg,
							   const char *name)
{
	for (size_t i = 0; i < cfg->n_alerts; i++)
		if (strcmp(cfg->alerts[i].name, name) == 0)
			return &cfg->alerts[i];
	return NULL;
}

/* ---- dump ---- */

static const char *dur(unsigned long long ms, char buf[32])
{
	return daemon_config_values_duration_text(ms, buf);
}

static const char *yn(bool b)
{
	return b ? "yes" : "no";
}

void daemon_config_dump_secret(FILE *f, const char *key, const struct daemon_config_secret *s)
{
	if (s->value == NULL) {
		fprintf(f, "# %s: not set\n", key);
		return;
	}
	switch (s->src) {
	case DAEMON_CONFIG_SRC_FILE:
		fprintf(f, "# %s: from %s_file %s\n", key, key, s->from);
		break;
	case DAEMON_CONFIG_SRC_CREDENTIAL:
		fprintf(f, "# %s: from systemd credential %s\n", key, s->from);
		break;
	case DAEMON_CONFIG_SRC_ENV:
		fprintf(f, "# %s: from the environment\n", key);
		break;
	default:
		fprintf(f, "# %s: written in the config file\n", key);
		break;
	}
	fprintf(f, "%s = <secret>\n", key);
}

static void dump_list(FILE *f, const char *key, char *const *v, size_t n)
{
	fprintf(f, "%s =", key);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s %s", i ? "," : "", v[i]);
	fputc('\n', f);
}

static void dump_main(FILE *f, const struct daemon_config *cfg)
{
	static const char *const lv[] = {"trace", "debug", "info", "warn", "error"};
	const struct dns_resolver_opts *o = &cfg->dns.opts;
	bool v6 = strchr(cfg->web.listen_addr, ':') != NULL;
	char b[32];

	fprintf(f, "# mailpulse effective configuration, from %s\n\n[daemon]\n", cfg->source);
	fprintf(f, "state_dir = %s\nlog_level = %s\n", cfg->daemon.state_dir,
		lv[cfg->daemon.log_level]);
	if (cfg->daemon.trace != NULL)
		fprintf(f, "trace = %s\n", cfg->daemon.trace);
	fprintf(f, "check_interval = %s\n", dur(cfg->daemon.check_interval_s * 1000ULL, b));
	fprintf(f, "jitter = %s\n", dur(cfg->daemon.jitter_s * 1000ULL, b));
	fprintf(f, "failure_threshold = %u\nsuccess_threshold = %u\n",
		cfg->daemon.failure_threshold, cfg->daemon.success_threshold);
	fprintf(f, "group_wait = %s\n\n[dns]\n", dur(cfg->daemon.group_wait_s * 1000ULL, b));
	if (cfg->dns.n_resolvers > 0)
		dump_list(f, "resolvers", cfg->dns.resolvers, cfg->dns.n_resolvers);
	else
		fprintf(f, "# resolvers: the nameservers of /etc/resolv.conf\n");
	fprintf(f, "timeout = %s\ntries = %u\nqps = %u\nmax_in_flight = %u\n",
		dur(o->timeout_ms, b), o->tries, o->max_qps, o->max_in_flight);
	fprintf(f, "cache_size = %u\n", o->cache_entries);
	fprintf(f, "cache_max_ttl = %s\n\n[web]\n", dur(o->cache_max_ttl * 1000ULL, b));
	fprintf(f, "listen = %s%s%s:%u\n", v6 ? "[" : "", cfg->web.listen_addr, v6 ? "]" : "",
		cfg->web.listen_port);
	daemon_config_dump_secret(f, "token", &cfg->web.token);
	if (cfg->web.public_url != NULL)
		fprintf(f, "public_url = %s\n", cfg->web.public_url);
	fprintf(f, "refresh = %s\nmax_connections = %u\n", dur(cfg->web.refresh_s * 1000ULL, b),
		cfg->web.max_connections);
	fprintf(f, "max_connections_per_ip = %u\n", cfg->web.max_connections_per_ip);
	fprintf(f, "connection_timeout = %s\n", dur(cfg->web.connection_timeout_s * 1000ULL, b));
}

static void dump_domain(FILE *f, const struct daemon_config_domain *d)
{
	char b[32];

	fprintf(f, "\n[domain %s]\n", d->name);
	if (strcmp(d->display, d->name) != 0)
		fprintf(f, "# shown as %s\n", d->display);
	if (d->n_selectors > 0)
		dump_list(f, "selectors", d->selectors, d->n_selectors);
	if (d->n_dkim_keys > 0) {
		fprintf(f, "dkim_key =");
		for (size_t i = 0; i < d->n_dkim_keys; i++)
			fprintf(f, "%s %s=%s", i ? "," : "", d->dkim_keys[i].selector,
				d->dkim_keys[i].path);
		fputc('\n', f);
	}
	fprintf(f, "interval = %s\n", dur(d->interval_s * 1000ULL, b));
	if (d->expect_dmarc != NULL)
		fprintf(f, "expect_dmarc = %s\n", d->expect_dmarc);
	fprintf(f, "discover_selectors = %s\nenabled = %s\n", yn(d->discover_selectors),
		yn(d->enabled));
	daemon_config_probe_dump_domain(f, d);
}

static void dump_alert(FILE *f, const struct daemon_config_alert *a)
{
	static const char *const types[] = {"slack", "webhook", "email"};
	static const char *const tls[] = {"starttls", "implicit", "none"};
	char b[32];

	fprintf(f, "\n[alert %s]\ntype = %s\n", a->name, types[a->type]);
	fprintf(f, "min_severity = %s\n", a->min_severity == SEV_CRITICAL ? "critical" : "warn");
	fprintf(f, "reminder = %s\n", a->reminder_s ? dur(a->reminder_s * 1000ULL, b) : "off");
	fprintf(f, "timeout = %s\n", dur(a->timeout_ms, b));
	if (a->ca_file != NULL)
		fprintf(f, "ca_file = %s\n", a->ca_file);
	if (a->type != DAEMON_ALERT_SLACK)
		fprintf(f, "allow_insecure = %s\n", yn(a->allow_insecure));
	if (a->type != DAEMON_ALERT_EMAIL) {
		daemon_config_dump_secret(f, "url", &a->url);
		if (a->type == DAEMON_ALERT_WEBHOOK)
			daemon_config_dump_secret(f, "secret", &a->signing_secret);
		fprintf(f, "people = %u\n", a->people);
		return;
	}
	fprintf(f, "smtp_host = %s\nsmtp_port = %u\ntls = %s\n", a->smtp_host, a->smtp_port,
		tls[a->smtp_tls]);
	if (a->username != NULL)
		fprintf(f, "username = %s\n", a->username);
	daemon_config_dump_secret(f, "password", &a->password);
	fprintf(f, "from = %s\n", a->from);
	dump_list(f, "to", a->to, a->n_to);
}

void daemon_config_dump(FILE *f, const struct daemon_config *cfg)
{
	dump_main(f, cfg);
	for (size_t i = 0; i < cfg->n_domains; i++)
		dump_domain(f, &cfg->domains[i]);
	for (size_t i = 0; i < cfg->n_alerts; i++)
		dump_alert(f, &cfg->alerts[i]);
	daemon_config_probe_dump(f, cfg);
	daemon_config_report_dump(f, cfg);
}

/* ---- readiness (issue 3: the launch-ready bar) ---- */

static int cmp_icase(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

/* Distinct e-mail recipients over every e-mail alert. */
static unsigned distinct_recipients(const struct daemon_config *cfg)
{
	char **v = NULL;
	size_t n = 0;
	unsigned distinct = 0;

	for (size_t i = 0; i < cfg->n_alerts; i++) {
		const struct daemon_config_alert *a = &cfg->alerts[i];

		if (a->type != DAEMON_ALERT_EMAIL)
			continue;
		v = xreallocarray(v, n + a->n_to, sizeof *v);
		for (size_t j = 0; j < a->n_to; j++)
			v[n++] = a->to[j];
	}
	if (n > 0)
		qsort(v, n, sizeof *v, cmp_icase);
	for (size_t i = 0; i < n; i++)
		distinct += i == 0 || strcasecmp(v[i - 1], v[i]) != 0;
	free(v);
	return distinct;
}

unsigned daemon_config_people_reached(const struct daemon_config *cfg)
{
	unsigned n = distinct_recipients(cfg);

	for (size_t i = 0; i < cfg->n_alerts; i++)
		if (cfg->alerts[i].type != DAEMON_ALERT_EMAIL)
			n += cfg->alerts[i].people;
	return n;
}

static bool under(const char *name, const char *domain)
{
	return dns_name_is_under(name, strlen(name), domain, strlen(domain));
}

/* True when every alert is e-mail from or through domain. */
static bool shares_fate(const struct daemon_config *cfg, const char *domain)
{
	if (cfg->n_alerts == 0)
		return false;
	for (size_t i = 0; i < cfg->n_alerts; i++) {
		const struct daemon_config_alert *a = &cfg->alerts[i];

		if (a->type != DAEMON_ALERT_EMAIL)
			return false;
		if (!under(daemon_config_values_email_domain(a->from), domain) &&
		    !under(a->smtp_host, domain))
			return false;
	}
	return true;
}

void daemon_config_readiness(const struct daemon_config *cfg, const char *domain,
			     struct dns_findings *out)
{
	unsigned people = daemon_config_people_reached(cfg), mails = distinct_recipients(cfg);
	char ev[160];

	snprintf(ev, sizeof ev,
		 "alerts: %zu; people reached: %u (%u e-mail recipients, %u declared on Slack "
		 "and webhook alerts)",
		 cfg->n_alerts, people, mails, people - mails);
	if (people < 2)
		dns_findings_add(
		    out, "alerts", "ALERT_SINGLE_RECIPIENT", SEV_WARN,
		    "In mailpulse.conf, give an [alert] e-mail channel a second "
		    "address (to = a@example.net, b@example.net) or add a Slack or "
		    "webhook alert and set people = 2 or more.",
		    ev, (size_t)-1,
		    cfg->n_alerts == 0
			? "No alert channel is configured: nobody is told when mail "
			  "breaks."
			: "Alerts reach fewer than two people: the launch-ready bar is "
			  "two, so that a break is seen within minutes.");
	if (domain != NULL && shares_fate(cfg, domain))
		dns_findings_add(
		    out, "alerts", "ALERT_SHARES_FATE", SEV_WARN,
		    "Add a Slack or webhook alert, or send alert e-mail from an address "
		    "and through a relay outside this domain.",
		    NULL, 0,
		    "Every alert is e-mail sent from or through %s: when mail of %s "
		    "breaks, its alerts break with it.",
		    domain, domain);
}
