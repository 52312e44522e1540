/*
 * daemon/config_report: [reports] and [report_mailbox NAME] (see the
 * header).  Keys are read by daemon/config_keys from the tables below; error
 * texts never contain the value of a secret key.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "common/str.h"
#include "common/xmalloc.h"
#include "daemon/config_keys.h"
#include "daemon/config_report.h"
#include "daemon/config_sections.h"
#include "daemon/config_values.h"

#define NKEYS(t) (sizeof(t) / sizeof((t)[0]))
#define MIB (1024u * 1024u)

/* ---- value syntaxes ---- */

/* Bytes with an optional K, M or G suffix (binary multiples) within [min, max]. */
static enum mp_err size_at(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
			   const char *v, uint64_t min, uint64_t max, const char *range,
			   size_t *dst)
{
	size_t len = strlen(v);
	uint64_t mult = 1, n;
	char sb[100];
	const char *suf = "KkMmGg";
	const char *s = len > 0 ? strchr(suf, v[len - 1]) : NULL;

	if (s != NULL && v[len - 1] != '\0') {
		mult = (s - suf) < 2 ? 1024ULL : (s - suf) < 4 ? 1024ULL * 1024 : 1024ULL << 20;
		len--;
	}
	if (common_str_to_u64(v, len, max, &n) != ERR_OK || n * mult < min || n * mult > max)
		return daemon_config_keys_err(
		    p, e->line, e->key,
		    "%s must be a size from %s (bytes, or with a K, M or G suffix)",
		    daemon_config_keys_shown(v, sb), range);
	*dst = (size_t)(n * mult);
	return ERR_OK;
}

static enum mp_err set_max_size(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
				const char *v, void *obj)
{
	return size_at(p, e, v, 1024, DAEMON_CONFIG_REPORT_SIZE_MAX, "1K to 1G",
		       &((struct daemon_config *)obj)->reports.max_size);
}

static enum mp_err set_max_api_body(struct daemon_config_pctx *p,
				    const struct daemon_config_entry *e, const char *v, void *obj)
{
	return size_at(p, e, v, 1024, DAEMON_CONFIG_REPORT_SIZE_MAX, "1K to 1G",
		       &((struct daemon_config *)obj)->reports.max_api_body);
}

/* A percentage "95", "99.5" or "95%" (0 to 100, at most two decimals) as a ratio. */
static enum mp_err percent_at(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
			      const char *v, double *dst)
{
	size_t len = strlen(v), ip, fp = 0;
	uint64_t whole, frac = 0;
	char sb[100];

	if (len > 0 && v[len - 1] == '%')
		len--;
	ip = strspn(v, "0123456789");
	if (ip < len && v[ip] == '.') {
		fp = strspn(v + ip + 1, "0123456789");
		if (ip + 1 + fp != len || fp == 0 || fp > 2)
			fp = 3; /* refused below */
	} else if (ip != len) {
		fp = 3;
	}
	if (fp > 2 || ip == 0 || ip > 3 || common_str_to_u64(v, ip, 100, &whole) != ERR_OK ||
	    (fp > 0 && common_str_to_u64(v + ip + 1, fp, 99, &frac) != ERR_OK) ||
	    (whole == 100 && frac > 0))
		return daemon_config_keys_err(p, e->line, e->key,
					      "%s must be a percentage from 0 to 100 (e.g. 95 or "
					      "99.5)",
					      daemon_config_keys_shown(v, sb));
	*dst = ((double)whole + (fp == 1 ? (double)frac / 10 : (double)frac / 100)) / 100.0;
	return ERR_OK;
}

static enum mp_err set_floor(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
			     const char *v, void *obj)
{
	return percent_at(p, e, v, &((struct daemon_config *)obj)->reports.compliance_floor);
}

static enum mp_err set_threshold(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
				 const char *v, void *obj)
{
	return percent_at(p, e, v, &((struct daemon_config *)obj)->reports.recommend_threshold);
}

static enum mp_err set_unknown_min(struct daemon_config_pctx *p,
				   const struct daemon_config_entry *e, const char *v, void *obj)
{
	uint64_t n;
	char sb[100];

	if (common_str_to_u64(v, strlen(v), 1000000000ULL, &n) != ERR_OK || n == 0)
		return daemon_config_keys_err(
		    p, e->line, e->key, "%s must be a number of messages from 1 to 1000000000",
		    daemon_config_keys_shown(v, sb));
	((struct daemon_config *)obj)->reports.unknown_min_messages = n;
	return ERR_OK;
}

static enum mp_err set_addresses(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
				 const char *v, void *obj)
{
	struct daemon_config *cfg = obj;

	return daemon_config_keys_email_list(p, e, v, DAEMON_CONFIG_MAX_ADDRESSES, "addresses",
					     &cfg->reports.addresses, &cfg->reports.n_addresses);
}

static enum mp_err set_mb_host(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
			       const char *v, void *obj)
{
	return daemon_config_keys_host(p, e, v,
				       &((struct daemon_config_report_mailbox *)obj)->host);
}

static enum mp_err set_mb_tls(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
			      const char *v, void *obj)
{
	return daemon_config_keys_tls(p, e, v, false,
				      &((struct daemon_config_report_mailbox *)obj)->tls);
}

static enum mp_err set_mb_user(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
			       const char *v, void *obj)
{
	return daemon_config_keys_username(p, e, v,
					   &((struct daemon_config_report_mailbox *)obj)->username);
}

static enum mp_err set_mb_folder(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
				 const char *v, void *obj)
{
	return daemon_config_keys_folder(p, e, v,
					 &((struct daemon_config_report_mailbox *)obj)->folder);
}

/* ---- key tables ---- */

#define CFG(m) offsetof(struct daemon_config, m)
#define MBX(m) offsetof(struct daemon_config_report_mailbox, m)

static const struct daemon_config_keydef reports_keys[] = {
    {"addresses", CK_FN, CK_LIST, 0, 0, 0, set_addresses},
    {"drop_dir", CK_PATH, 0, CFG(reports.drop_dir), 0, 0, NULL},
    {"drop_interval", CK_DUR_S, 0, CFG(reports.drop_interval_s), CK_SEC, 86400 * CK_SEC, NULL},
    {"quarantine_dir", CK_PATH, 0, CFG(reports.quarantine_dir), 0, 0, NULL},
    {"max_size", CK_FN, 0, 0, 0, 0, set_max_size},
    {"max_ratio", CK_UINT, 0, CFG(reports.max_ratio), 10, 10000, NULL},
    {"max_api_body", CK_FN, 0, 0, 0, 0, set_max_api_body},
    {"compliance_floor", CK_FN, 0, 0, 0, 0, set_floor},
    {"recommend_threshold", CK_FN, 0, 0, 0, 0, set_threshold},
    {"recommend_days", CK_UINT, 0, CFG(reports.recommend_days), 7, 365, NULL},
    {"unknown_min_messages", CK_FN, 0, 0, 0, 0, set_unknown_min},
    {"new_source_days", CK_UINT, 0, CFG(reports.new_source_days), 1, 365, NULL},
    {"keep_days", CK_UINT, 0, CFG(reports.keep_days), 1, 3650, NULL},
};

static const struct daemon_config_keydef mailbox_keys[] = {
    {"host", CK_FN, 0, 0, 0, 0, set_mb_host},
    {"port", CK_UINT, 0, MBX(port), 1, 65535, NULL},
    {"tls", CK_FN, 0, 0, 0, 0, set_mb_tls},
    {"username", CK_FN, 0, 0, 0, 0, set_mb_user},
    {"password", CK_SECRET, 0, MBX(password), 0, 0, NULL},
    {"ca_file", CK_PATH, 0, MBX(ca_file), 0, 0, NULL},
    {"folder", CK_FN, 0, 0, 0, 0, set_mb_folder},
    {"poll_interval", CK_DUR_S, 0, MBX(poll_interval_s), 30 * CK_SEC, 86400 * CK_SEC, NULL},
    {"delete", CK_BOOL, 0, MBX(delete_read), 0, 0, NULL},
    {"timeout", CK_DUR_MS, 0, MBX(timeout_ms), CK_SEC, 600 * CK_SEC, NULL},
};

_Static_assert(NKEYS(reports_keys) <= CK_MAX_KEYS && NKEYS(mailbox_keys) <= CK_MAX_KEYS,
	       "CK_MAX_KEYS too small");

/* ---- sections ---- */

/* The line of key a in the section just read, else that of b, else the header's. */
static unsigned line_of(const struct daemon_config_pctx *p, const char *a, const char *b)
{
	unsigned l = daemon_config_keys_seen_line(p, reports_keys, NKEYS(reports_keys), a);

	if (l == 0)
		l = daemon_config_keys_seen_line(p, reports_keys, NKEYS(reports_keys), b);
	return l != 0 ? l : p->sec->line;
}

static enum mp_err read_reports(struct daemon_config_pctx *p)
{
	struct daemon_config *cfg = p->cfg;
	const struct daemon_config_rawsec *s = p->sec;
	enum mp_err rc;

	if (s->name != NULL)
		return daemon_config_keys_err(p, s->line, NULL, "[reports] takes no name");
	if (cfg->reports.line != 0)
		return daemon_config_keys_err(
		    p, s->line, NULL, "duplicate section (first at line %u)", cfg->reports.line);
	cfg->reports.line = s->line;
	rc = daemon_config_keys_read_all(p, reports_keys, NKEYS(reports_keys), cfg);
	if (rc != ERR_OK)
		return rc;
	cfg->reports.addresses_line =
	    daemon_config_keys_seen_line(p, reports_keys, NKEYS(reports_keys), "addresses");
	if (cfg->reports.keep_days < cfg->reports.recommend_days)
		return daemon_config_keys_err(
		    p, line_of(p, "keep_days", "recommend_days"), "keep_days",
		    "%u is shorter than recommend_days %u (the recommendation needs that history)",
		    cfg->reports.keep_days, cfg->reports.recommend_days);
	return ERR_OK;
}

static enum mp_err finish_mailbox(struct daemon_config_pctx *p,
				  struct daemon_config_report_mailbox *mb)
{
	return daemon_config_keys_imap_finish(p, mb->line, mb->host, mb->username, &mb->password,
					      mb->tls, &mb->port);
}

static enum mp_err read_mailbox(struct daemon_config_pctx *p)
{
	struct daemon_config *cfg = p->cfg;
	const struct daemon_config_rawsec *s = p->sec;
	const struct daemon_config_report_mailbox *o;
	struct daemon_config_report_mailbox *mb;
	enum mp_err rc;

	o = s->name != NULL ? daemon_config_find_report_mailbox(cfg, s->name) : NULL;
	rc = daemon_config_keys_new_named(p, cfg->n_report_mailboxes,
					  DAEMON_CONFIG_MAX_REPORT_MAILBOXES, "report_mailbox",
					  "[report_mailbox dmarc]", o != NULL ? o->line : 0);
	if (rc != ERR_OK)
		return rc;
	cfg->report_mailboxes =
	    xreallocarray(cfg->report_mailboxes, cfg->n_report_mailboxes + 1, sizeof *mb);
	mb = &cfg->report_mailboxes[cfg->n_report_mailboxes++];
	memset(mb, 0, sizeof *mb);
	mb->name = xstrdup(s->name);
	mb->line = s->line;
	mb->tls = DAEMON_SMTP_IMPLICIT;
	mb->folder = xstrdup("INBOX");
	mb->poll_interval_s = 300;
	mb->delete_read = true;
	mb->timeout_ms = 60000;
	rc = daemon_config_keys_read_all(p, mailbox_keys, NKEYS(mailbox_keys), mb);
	return rc == ERR_OK ? finish_mailbox(p, mb) : rc;
}

void daemon_config_report_defaults(struct daemon_config *cfg)
{
	cfg->reports.drop_interval_s = 30;
	cfg->reports.max_size = 64u * MIB;
	cfg->reports.max_ratio = 100;
	cfg->reports.max_api_body = 16u * MIB;
	cfg->reports.compliance_floor = 0.95;
	cfg->reports.recommend_threshold = 0.99;
	cfg->reports.recommend_days = 30;
	cfg->reports.unknown_min_messages = 50;
	cfg->reports.new_source_days = 7;
	cfg->reports.keep_days = 400;
}

bool daemon_config_report_is_section(const char *kind)
{
	return strcmp(kind, "reports") == 0 || strcmp(kind, "report_mailbox") == 0;
}

enum mp_err daemon_config_report_read_section(struct daemon_config_pctx *p)
{
	p->type_flag = 0;
	if (strcmp(p->sec->kind, "reports") == 0)
		return read_reports(p);
	return read_mailbox(p);
}

/* Whether addr is a [probe] VERP address: verp_local or verp_local+x at bounce_domain. */
static bool is_verp(const struct daemon_config *cfg, const char *addr)
{
	const char *at = strrchr(addr, '@');
	size_t vl = cfg->probe.verp_local ? strlen(cfg->probe.verp_local) : 0;

	return at != NULL && cfg->probe.bounce_domain != NULL && vl > 0 &&
	       strcasecmp(at + 1, cfg->probe.bounce_domain) == 0 && (size_t)(at - addr) >= vl &&
	       strncasecmp(addr, cfg->probe.verp_local, vl) == 0 &&
	       (addr + vl == at || addr[vl] == '+');
}

/* Each [reports] address: received by a [listener], and not one with another use. */
static enum mp_err check_addresses(struct daemon_config_pctx *p)
{
	const struct daemon_config *cfg = p->cfg;

	for (size_t i = 0; i < cfg->reports.n_addresses; i++) {
		const char *a = cfg->reports.addresses[i];

		if (!cfg->listener.enabled)
			return daemon_config_keys_err(p, cfg->reports.addresses_line, "addresses",
						      "reports address %s needs a [listener] to "
						      "receive it",
						      a);
		for (size_t j = 0; j < cfg->listener.n_addresses; j++)
			if (strcasecmp(cfg->listener.addresses[j], a) == 0)
				return daemon_config_keys_err(
				    p, cfg->reports.addresses_line, "addresses",
				    "%s is also a [listener] address (list it in one place)", a);
		/* RFC 5321 4.5.5: what reaches a VERP address is read as a bounce. */
		if (is_verp(cfg, a))
			return daemon_config_keys_err(p, cfg->reports.addresses_line, "addresses",
						      "%s is a [probe] bounce (VERP) address", a);
	}
	return ERR_OK;
}

enum mp_err daemon_config_report_finish(struct daemon_config_pctx *p)
{
	struct daemon_config *cfg = p->cfg;

	daemon_config_keys_section(p, "reports", NULL, false);
	if (cfg->reports.quarantine_dir == NULL)
		cfg->reports.quarantine_dir = xasprintf("%s/quarantine", cfg->daemon.state_dir);
	return check_addresses(p);
}

/* ---- for daemon/config ---- */

const struct daemon_config_secret *
daemon_config_report_inline_secret(const struct daemon_config *cfg, const char **kind,
				   const char **name)
{
	for (size_t i = 0; i < cfg->n_report_mailboxes; i++) {
		if (cfg->report_mailboxes[i].password.src == DAEMON_CONFIG_SRC_INLINE) {
			*kind = "report_mailbox";
			*name = cfg->report_mailboxes[i].name;
			return &cfg->report_mailboxes[i].password;
		}
	}
	return NULL;
}

static const char *dur(unsigned long long ms, char buf[32])
{
	return daemon_config_values_duration_text(ms, buf);
}

/* A ratio as the percentage the file takes (up to two decimals, no trailing zeros). */
static void dump_percent(FILE *f, const char *key, double r)
{
	long long c = (long long)(r * 10000.0 + 0.5);

	if (c % 100 == 0)
		fprintf(f, "%s = %lld\n", key, c / 100);
	else if (c % 10 == 0)
		fprintf(f, "%s = %lld.%lld\n", key, c / 100, (c % 100) / 10);
	else
		fprintf(f, "%s = %lld.%02lld\n", key, c / 100, c % 100);
}

static void dump_mailbox(FILE *f, const struct daemon_config_report_mailbox *mb)
{
	char b[32];

	fprintf(f, "\n[report_mailbox %s]\nhost = %s\nport = %u\ntls = %s\nusername = %s\n",
		mb->name, mb->host, mb->port,
		mb->tls == DAEMON_SMTP_STARTTLS ? "starttls" : "implicit", mb->username);
	daemon_config_dump_secret(f, "password", &mb->password);
	if (mb->ca_file != NULL)
		fprintf(f, "ca_file = %s\n", mb->ca_file);
	fprintf(f, "folder = %s\npoll_interval = %s\n", mb->folder,
		dur(mb->poll_interval_s * 1000ULL, b));
	fprintf(f, "delete = %s\ntimeout = %s\n", mb->delete_read ? "yes" : "no",
		dur(mb->timeout_ms, b));
}

void daemon_config_report_dump(FILE *f, const struct daemon_config *cfg)
{
	char b[32];

	fprintf(f, "\n[reports]\n");
	if (cfg->reports.n_addresses > 0) {
		fprintf(f, "addresses =");
		for (size_t i = 0; i < cfg->reports.n_addresses; i++)
			fprintf(f, "%s %s", i ? "," : "", cfg->reports.addresses[i]);
		fputc('\n', f);
	} else {
		fprintf(f, "# addresses: not set (the listener takes no report address)\n");
	}
	if (cfg->reports.drop_dir != NULL)
		fprintf(f, "drop_dir = %s\n", cfg->reports.drop_dir);
	else
		fprintf(f, "# drop_dir: not set (no drop directory is watched)\n");
	fprintf(f, "drop_interval = %s\nquarantine_dir = %s\n",
		dur(cfg->reports.drop_interval_s * 1000ULL, b), cfg->reports.quarantine_dir);
	fprintf(f, "max_size = %zu\nmax_ratio = %u\nmax_api_body = %zu\n", cfg->reports.max_size,
		cfg->reports.max_ratio, cfg->reports.max_api_body);
	dump_percent(f, "compliance_floor", cfg->reports.compliance_floor);
	dump_percent(f, "recommend_threshold", cfg->reports.recommend_threshold);
	fprintf(f,
		"recommend_days = %u\nunknown_min_messages = %llu\nnew_source_days = %u\n"
		"keep_days = %u\n",
		cfg->reports.recommend_days, (unsigned long long)cfg->reports.unknown_min_messages,
		cfg->reports.new_source_days, cfg->reports.keep_days);
	for (size_t i = 0; i < cfg->n_report_mailboxes; i++)
		dump_mailbox(f, &cfg->report_mailboxes[i]);
}

void daemon_config_report_free(struct daemon_config *cfg)
{
	daemon_config_values_strv_free(cfg->reports.addresses, cfg->reports.n_addresses);
	free(cfg->reports.drop_dir);
	free(cfg->reports.quarantine_dir);
	for (size_t i = 0; i < cfg->n_report_mailboxes; i++) {
		struct daemon_config_report_mailbox *mb = &cfg->report_mailboxes[i];

		free(mb->name);
		free(mb->host);
		free(mb->username);
		if (mb->password.value != NULL)
			explicit_bzero(mb->password.value, mb->password.len);
		free(mb->password.value);
		free(mb->password.from);
		free(mb->ca_file);
		free(mb->folder);
	}
	free(cfg->report_mailboxes);
}

/* ---- lookups ---- */

const struct daemon_config_report_mailbox *
daemon_config_find_report_mailbox(const struct daemon_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_report_mailboxes; i++)
		if (strcmp(cfg->report_mailboxes[i].name, name) == 0)
			return &cfg->report_mailboxes[i];
	return NULL;
}

bool daemon_config_report_is_address(const struct daemon_config *cfg, const char *addr)
{
	for (size_t i = 0; i < cfg->reports.n_addresses; i++)
		if (strcasecmp(cfg->reports.addresses[i], addr) == 0)
			return true;
	return false;
}

bool daemon_config_report_rcpts_match(const struct daemon_config *cfg, const char *rcpts)
{
	const char *s = rcpts;

	while (s != NULL && *s != '\0') {
		const char *end = strchr(s, ',');
		size_t len = end != NULL ? (size_t)(end - s) : strlen(s);

		while (len > 0 && (*s == ' ' || *s == '<')) {
			s++;
			len--;
		}
		while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '>'))
			len--;
		for (size_t i = 0; i < cfg->reports.n_addresses; i++) {
			const char *a = cfg->reports.addresses[i];

			if (strlen(a) == len && strncasecmp(a, s, len) == 0)
				return true;
		}
		s = end != NULL ? end + 1 : NULL;
	}
	return false;
}
