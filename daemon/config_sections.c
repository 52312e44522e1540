/*
 * daemon/config_sections: the keys of every section of mailpulse.conf(5),
 * their defaults and the checks that involve several keys (see the header).
 * Keys are read by daemon/config_keys from the tables below; keys with a
 * syntax of their own have a function here.  Error texts never contain the
 * value of a secret key.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "common/buf.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "daemon/config_keys.h"
#include "daemon/config_probe.h"
#include "daemon/config_report.h"
#include "daemon/config_sections.h"
#include "daemon/config_values.h"
#include "dns/name.h"

#define NKEYS(t) (sizeof(t) / sizeof((t)[0]))

/* ---- keys with their own syntax ---- */

static enum mp_err set_log_level(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
				 const char *v, void *obj)
{
	static const char *const names[] = {"trace", "debug", "info", "warn", "error"};
	static const enum log_level lv[] = {LOG_LVL_TRACE, LOG_LVL_DEBUG, LOG_LVL_INFO,
					    LOG_LVL_WARN, LOG_LVL_ERR};
	char sb[100];

	for (size_t i = 0; i < 5; i++) {
		if (strcmp(v, names[i]) == 0) {
			((struct daemon_config *)obj)->daemon.log_level = lv[i];
			return ERR_OK;
		}
	}
	return daemon_config_keys_err(p, e->line, e->key,
				      "%s is not one of trace, debug, info, warn, error",
				      daemon_config_keys_shown(v, sb));
}

static enum mp_err set_trace(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
			     const char *v, void *obj)
{
	struct daemon_config *cfg = obj;
	char **items = NULL, sb[100];
	size_t n = 0;
	struct buf b;

	if (daemon_config_keys_split(p, e, v, 32, "subsystems", &items, &n) != ERR_OK)
		return ERR_INVAL;
	common_buf_init(&b, 4096);
	for (size_t i = 0; i < n; i++) {
		if (strspn(items[i], "abcdefghijklmnopqrstuvwxyz0123456789_-") !=
			strlen(items[i]) ||
		    common_buf_printf(&b, "%s%s", i ? "," : "", items[i]) != ERR_OK) {
			daemon_config_keys_err(p, e->line, e->key, "%s is not a subsystem name",
					       daemon_config_keys_shown(items[i], sb));
			common_buf_free(&b);
			daemon_config_values_strv_free(items, n);
			return ERR_INVAL;
		}
	}
	daemon_config_values_strv_free(items, n);
	cfg->daemon.trace = common_buf_steal(&b, NULL);
	return ERR_OK;
}

static enum mp_err set_resolvers(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
				 const char *v, void *obj)
{
	struct daemon_config *cfg = obj;
	char host[DAEMON_CONFIG_IP_BUFSZ], sb[100];
	const char *why;
	unsigned port;
	enum mp_err rc;

	rc = daemon_config_keys_split(p, e, v, DAEMON_CONFIG_MAX_RESOLVERS, "resolvers",
				      &cfg->dns.resolvers, &cfg->dns.n_resolvers);
	if (rc != ERR_OK)
		return rc;
	for (size_t i = 0; i < cfg->dns.n_resolvers; i++) {
		const char *r = cfg->dns.resolvers[i];

		if (daemon_config_values_ipport(r, host, &port, &why) != ERR_OK)
			return daemon_config_keys_err(p, e->line, e->key, "%s %s",
						      daemon_config_keys_shown(r, sb), why);
	}
	return ERR_OK;
}

static enum mp_err set_listen(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
			      const char *v, void *obj)
{
	struct daemon_config *cfg = obj;

	return daemon_config_keys_listen(p, e, v, &cfg->web.listen_addr, &cfg->web.listen_port);
}

static enum mp_err set_public_url(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
				  const char *v, void *obj)
{
	struct daemon_config *cfg = obj;
	const char *why;
	char sb[100];

	if (daemon_config_values_url(v, true, &why) != ERR_OK)
		return daemon_config_keys_err(p, e->line, e->key, "%s %s",
					      daemon_config_keys_shown(v, sb), why);
	cfg->web.public_url = xstrdup(v);
	return ERR_OK;
}

/* A DKIM selector for domain d: LDH labels, and selector._domainkey.d fits in a name. */
static enum mp_err check_selector(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
				  const char *sel, const struct daemon_config_domain *d, char **out)
{
	char ascii[DNS_NAME_BUFSZ], sb[100];
	const char *why = NULL;
	size_t len = strlen(sel);

	if (len > DNS_NAME_INPUT_MAX || dns_name_to_ascii(sel, len, ascii, &why) != ERR_OK ||
	    !dns_name_is_hostname(ascii, strlen(ascii)) || strcmp(ascii, ".") == 0)
		return daemon_config_keys_err(
		    p, e->line, e->key,
		    "%s is not a DKIM selector (letters, digits, hyphens, "
		    "dots)",
		    daemon_config_keys_shown(sel, sb));
	/* RFC 6376 3.6.2.1: the key lives at selector._domainkey.domain. */
	if (strlen(ascii) + strlen("._domainkey.") + strlen(d->name) > DNS_NAME_MAX)
		return daemon_config_keys_err(p, e->line, e->key,
					      "%s._domainkey.%s is longer than 253 characters",
					      daemon_config_keys_shown(sel, sb), d->name);
	*out = xstrdup(ascii);
	return ERR_OK;
}

static enum mp_err set_selectors(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
				 const char *v, void *obj)
{
	struct daemon_config_domain *d = obj;
	char **items = NULL;
	size_t n = 0;
	enum mp_err rc;

	if (daemon_config_keys_split(p, e, v, DAEMON_CONFIG_MAX_SELECTORS, "selectors", &items,
				     &n) != ERR_OK)
		return ERR_INVAL;
	d->selectors = xcalloc(n, sizeof *d->selectors);
	for (rc = ERR_OK; rc == ERR_OK && d->n_selectors < n; d->n_selectors++) {
		rc = check_selector(p, e, items[d->n_selectors], d, &d->selectors[d->n_selectors]);
		for (size_t j = 0; rc == ERR_OK && j < d->n_selectors; j++)
			if (strcmp(d->selectors[j], d->selectors[d->n_selectors]) == 0)
				rc = daemon_config_keys_err(p, e->line, e->key,
							    "selector %s is listed twice",
							    d->selectors[j]);
	}
	daemon_config_values_strv_free(items, n);
	return rc;
}

/* One SELECTOR=FILE of dkim_key into k. */
static enum mp_err dkim_item(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
			     const char *item, const struct daemon_config_domain *d,
			     struct daemon_config_dkim_key *k)
{
	const char *eq = strchr(item, '=');
	char *sel;
	enum mp_err rc;

	if (eq == NULL || eq == item || eq[1] == '\0')
		return daemon_config_keys_err(p, e->line, e->key, "each item is SELECTOR=FILE");
	sel = xmemdup0(item, (size_t)(eq - item));
	rc = check_selector(p, e, sel, d, &k->selector);
	free(sel);
	/* The private key must be there and must not be readable by others. */
	return rc == ERR_OK ? daemon_config_keys_private_file(p, e, eq + 1, &k->path) : rc;
}

static enum mp_err set_dkim_keys(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
				 const char *v, void *obj)
{
	struct daemon_config_domain *d = obj;
	char **items = NULL;
	size_t n = 0;
	enum mp_err rc = ERR_OK;

	if (daemon_config_keys_split(p, e, v, DAEMON_CONFIG_MAX_SELECTORS, "keys", &items, &n) !=
	    ERR_OK)
		return ERR_INVAL;
	d->dkim_keys = xcalloc(n, sizeof *d->dkim_keys);
	while (rc == ERR_OK && d->n_dkim_keys < n) {
		struct daemon_config_dkim_key *k = &d->dkim_keys[d->n_dkim_keys++];

		rc = dkim_item(p, e, items[d->n_dkim_keys - 1], d, k);
		for (size_t j = 0; rc == ERR_OK && j + 1 < d->n_dkim_keys; j++)
			if (strcmp(d->dkim_keys[j].selector, k->selector) == 0)
				rc = daemon_config_keys_err(
				    p, e->line, e->key, "selector %s has two keys", k->selector);
	}
	daemon_config_values_strv_free(items, n);
	return rc;
}

static enum mp_err set_expect_dmarc(struct daemon_config_pctx *p,
				    const struct daemon_config_entry *e, const char *v, void *obj)
{
	static const char *const pol[] = {"none", "quarantine", "reject"};
	int i = daemon_config_keys_pick(v, pol, 3);
	char sb[100];

	if (i < 0)
		return daemon_config_keys_err(p, e->line, e->key,
					      "%s is not one of none, quarantine, reject",
					      daemon_config_keys_shown(v, sb));
	((struct daemon_config_domain *)obj)->expect_dmarc = pol[i];
	return ERR_OK;
}

static enum mp_err set_type(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
			    const char *v, void *obj)
{
	static const char *const types[] = {"slack", "webhook", "email"};
	static const unsigned flags[] = {CK_SLACK, CK_WEBHOOK, CK_EMAIL};
	int i = daemon_config_keys_pick(v, types, 3);
	char sb[100];

	if (i < 0)
		return daemon_config_keys_err(p, e->line, e->key,
					      "%s is not one of slack, webhook, email",
					      daemon_config_keys_shown(v, sb));
	((struct daemon_config_alert *)obj)->type = (enum daemon_alert_type)i;
	p->type_flag = flags[i];
	return ERR_OK;
}

static enum mp_err set_min_severity(struct daemon_config_pctx *p,
				    const struct daemon_config_entry *e, const char *v, void *obj)
{
	static const char *const sev[] = {"warn", "critical"};
	int i = daemon_config_keys_pick(v, sev, 2);
	char sb[100];

	if (i < 0)
		return daemon_config_keys_err(p, e->line, e->key, "%s is not one of warn, critical",
					      daemon_config_keys_shown(v, sb));
	((struct daemon_config_alert *)obj)->min_severity = i == 0 ? SEV_WARN : SEV_CRITICAL;
	return ERR_OK;
}

static enum mp_err set_reminder(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
				const char *v, void *obj)
{
	static const struct daemon_config_keydef kd = {
	    "reminder", CK_DUR_S, 0, 0, 300 * CK_SEC, 30 * 86400 * CK_SEC, NULL};
	bool off;

	if (daemon_config_values_bool(v, &off) == ERR_OK && !off) {
		((struct daemon_config_alert *)obj)->reminder_s = 0;
		return ERR_OK;
	}
	return daemon_config_keys_duration(p, &kd, e, v,
					   &((struct daemon_config_alert *)obj)->reminder_s);
}

static enum mp_err set_tls(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
			   const char *v, void *obj)
{
	return daemon_config_keys_tls(p, e, v, true,
				      &((struct daemon_config_alert *)obj)->smtp_tls);
}

static enum mp_err set_smtp_host(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
				 const char *v, void *obj)
{
	return daemon_config_keys_host(p, e, v, &((struct daemon_config_alert *)obj)->smtp_host);
}

static enum mp_err set_username(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
				const char *v, void *obj)
{
	if (strlen(v) > 256 || strpbrk(v, "\r\n") != NULL)
		return daemon_config_keys_err(p, e->line, e->key,
					      "must be one line of at most 256 bytes");
	((struct daemon_config_alert *)obj)->username = xstrdup(v);
	return ERR_OK;
}

static enum mp_err set_from(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
			    const char *v, void *obj)
{
	return daemon_config_keys_email(p, e, v, &((struct daemon_config_alert *)obj)->from);
}

static enum mp_err set_to(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
			  const char *v, void *obj)
{
	struct daemon_config_alert *a = obj;

	return daemon_config_keys_email_list(p, e, v, DAEMON_CONFIG_MAX_RECIPIENTS, "recipients",
					     &a->to, &a->n_to);
}

/* "type" was read before the other keys (see read_alert). */
static enum mp_err type_done(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
			     const char *v, void *obj)
{
	return ERR_OK;
}

/* ---- key tables ---- */

#define CFG(m) offsetof(struct daemon_config, m)
#define DOM(m) offsetof(struct daemon_config_domain, m)
#define ALR(m) offsetof(struct daemon_config_alert, m)

static const struct daemon_config_keydef daemon_keys[] = {
    {"state_dir", CK_PATH, 0, CFG(daemon.state_dir), 0, 0, NULL},
    {"log_level", CK_FN, 0, 0, 0, 0, set_log_level},
    {"trace", CK_FN, 0, 0, 0, 0, set_trace},
    {"check_interval", CK_DUR_S, 0, CFG(daemon.check_interval_s), 30 * CK_SEC, 86400 * CK_SEC,
     NULL},
    {"jitter", CK_DUR_S, 0, CFG(daemon.jitter_s), 0, 3600 * CK_SEC, NULL},
    {"failure_threshold", CK_UINT, 0, CFG(daemon.failure_threshold), 1, 100, NULL},
    {"success_threshold", CK_UINT, 0, CFG(daemon.success_threshold), 1, 100, NULL},
    {"group_wait", CK_DUR_S, 0, CFG(daemon.group_wait_s), 0, 600 * CK_SEC, NULL},
};

static const struct daemon_config_keydef dns_keys[] = {
    {"resolvers", CK_FN, CK_LIST, 0, 0, 0, set_resolvers},
    {"timeout", CK_DUR_MS, 0, CFG(dns.opts.timeout_ms), 100, 30 * CK_SEC, NULL},
    {"tries", CK_UINT, 0, CFG(dns.opts.tries), 1, 10, NULL},
    {"qps", CK_UINT, 0, CFG(dns.opts.max_qps), 0, 1000000, NULL},
    {"max_in_flight", CK_UINT, 0, CFG(dns.opts.max_in_flight), 0, 100000, NULL},
    {"cache_size", CK_UINT, 0, CFG(dns.opts.cache_entries), 0, 10000000, NULL},
    {"cache_max_ttl", CK_DUR_S, 0, CFG(dns.opts.cache_max_ttl), 0, 86400 * CK_SEC, NULL},
};

static const struct daemon_config_keydef web_keys[] = {
    {"listen", CK_FN, 0, 0, 0, 0, set_listen},
    {"token", CK_SECRET, 0, CFG(web.token), 0, 0, NULL},
    {"public_url", CK_FN, 0, 0, 0, 0, set_public_url},
    {"refresh", CK_DUR_S, 0, CFG(web.refresh_s), 5 * CK_SEC, 3600 * CK_SEC, NULL},
    {"max_connections", CK_UINT, 0, CFG(web.max_connections), 1, 100000, NULL},
    {"max_connections_per_ip", CK_UINT, 0, CFG(web.max_connections_per_ip), 1, 100000, NULL},
    {"connection_timeout", CK_DUR_S, 0, CFG(web.connection_timeout_s), CK_SEC, 600 * CK_SEC, NULL},
};

static const struct daemon_config_keydef domain_keys[] = {
    {"selectors", CK_FN, CK_LIST, 0, 0, 0, set_selectors},
    {"dkim_key", CK_FN, CK_LIST, 0, 0, 0, set_dkim_keys},
    {"interval", CK_DUR_S, 0, DOM(interval_s), 30 * CK_SEC, 86400 * CK_SEC, NULL},
    {"expect_dmarc", CK_FN, 0, 0, 0, 0, set_expect_dmarc},
    {"discover_selectors", CK_BOOL, 0, DOM(discover_selectors), 0, 0, NULL},
    {"enabled", CK_BOOL, 0, DOM(enabled), 0, 0, NULL},
    {"probe_interval", CK_FN, 0, 0, 0, 0, daemon_config_probe_set_interval},
    {"probe_relay", CK_FN, 0, 0, 0, 0, daemon_config_probe_set_relay},
    {"probe_from", CK_FN, 0, 0, 0, 0, daemon_config_probe_set_from},
    {"probe_to", CK_FN, CK_LIST, 0, 0, 0, daemon_config_probe_set_to},
    {"probe_sign", CK_FN, 0, 0, 0, 0, daemon_config_probe_set_sign},
};

static const struct daemon_config_keydef alert_keys[] = {
    {"type", CK_FN, CK_TYPES, 0, 0, 0, type_done},
    {"min_severity", CK_FN, CK_TYPES, 0, 0, 0, set_min_severity},
    {"reminder", CK_FN, CK_TYPES, 0, 0, 0, set_reminder},
    {"timeout", CK_DUR_MS, CK_TYPES, ALR(timeout_ms), CK_SEC, 300 * CK_SEC, NULL},
    {"ca_file", CK_PATH, CK_TYPES, ALR(ca_file), 0, 0, NULL},
    {"allow_insecure", CK_BOOL, CK_WEBHOOK | CK_EMAIL, ALR(allow_insecure), 0, 0, NULL},
    {"url", CK_SECRET, CK_SLACK | CK_WEBHOOK, ALR(url), 0, 0, NULL},
    {"secret", CK_SECRET, CK_WEBHOOK, ALR(signing_secret), 0, 0, NULL},
    {"people", CK_UINT, CK_SLACK | CK_WEBHOOK, ALR(people), 0, 10000, NULL},
    {"smtp_host", CK_FN, CK_EMAIL, 0, 0, 0, set_smtp_host},
    {"smtp_port", CK_UINT, CK_EMAIL, ALR(smtp_port), 1, 65535, NULL},
    {"tls", CK_FN, CK_EMAIL, 0, 0, 0, set_tls},
    {"username", CK_FN, CK_EMAIL, 0, 0, 0, set_username},
    {"password", CK_SECRET, CK_EMAIL, ALR(password), 0, 0, NULL},
    {"from", CK_FN, CK_EMAIL, 0, 0, 0, set_from},
    {"to", CK_FN, CK_EMAIL | CK_LIST, 0, 0, 0, set_to},
};

/* p->seen has room for every key of a table. */
_Static_assert(NKEYS(daemon_keys) <= CK_MAX_KEYS && NKEYS(dns_keys) <= CK_MAX_KEYS &&
		   NKEYS(web_keys) <= CK_MAX_KEYS && NKEYS(domain_keys) <= CK_MAX_KEYS &&
		   NKEYS(alert_keys) <= CK_MAX_KEYS,
	       "CK_MAX_KEYS too small");

static enum mp_err read_daemon(struct daemon_config_pctx *p)
{
	struct daemon_config *cfg = p->cfg;
	enum mp_err rc = daemon_config_keys_read_all(p, daemon_keys, NKEYS(daemon_keys), cfg);
	char b1[32], b2[32];

	if (rc == ERR_OK && cfg->daemon.jitter_s >= cfg->daemon.check_interval_s)
		rc = daemon_config_keys_err(
		    p, daemon_config_keys_seen_line(p, daemon_keys, NKEYS(daemon_keys), "jitter"),
		    "jitter", "%s must be shorter than check_interval %s",
		    daemon_config_values_duration_text(cfg->daemon.jitter_s * CK_SEC, b1),
		    daemon_config_values_duration_text(cfg->daemon.check_interval_s * CK_SEC, b2));
	return rc;
}

static enum mp_err read_web(struct daemon_config_pctx *p)
{
	struct daemon_config *cfg = p->cfg;
	const struct daemon_config_secret *t = &cfg->web.token;
	enum mp_err rc = daemon_config_keys_read_all(p, web_keys, NKEYS(web_keys), cfg);

	if (rc != ERR_OK)
		return rc;
	if (cfg->web.max_connections_per_ip > cfg->web.max_connections)
		return daemon_config_keys_err(
		    p,
		    daemon_config_keys_seen_line(p, web_keys, NKEYS(web_keys),
						 "max_connections_per_ip"),
		    "max_connections_per_ip", "is larger than max_connections (%u)",
		    cfg->web.max_connections);
	/* A bearer token someone could guess is no protection. */
	if (t->value != NULL &&
	    (t->len < 16 || t->len > 4096 || !common_str_is_printable(t->value, t->len) ||
	     strchr(t->value, ' ')))
		return daemon_config_keys_err(
		    p, t->line, "token",
		    "must be 16 to 4096 printable characters without spaces "
		    "(e.g. from `openssl rand -hex 32`)");
	return ERR_OK;
}

/* [domain NAME]: the name in A-labels and for display. */
static enum mp_err domain_name(struct daemon_config_pctx *p, struct daemon_config_domain *d)
{
	const struct daemon_config_rawsec *s = p->sec;
	char ascii[DNS_NAME_BUFSZ], disp[DNS_NAME_DISPLAY_BUFSZ];
	const char *why = "not a valid domain name";

	if (s->name == NULL)
		return daemon_config_keys_err(p, s->line, NULL,
					      "needs a name: [domain example.com]");
	if (strlen(s->name) > DNS_NAME_INPUT_MAX ||
	    dns_name_to_ascii(s->name, strlen(s->name), ascii, &why) != ERR_OK)
		return daemon_config_keys_err(p, s->line, NULL, "not a domain name: %s", why);
	if (strcmp(ascii, ".") == 0 || !dns_name_is_hostname(ascii, strlen(ascii)))
		return daemon_config_keys_err(
		    p, s->line, NULL, "not a domain name: labels are letters, digits and hyphens");
	d->name = xstrdup(ascii);
	d->display =
	    xstrdup(dns_name_to_display(ascii, disp, sizeof disp) == ERR_OK ? disp : ascii);
	return ERR_OK;
}

static enum mp_err read_domain(struct daemon_config_pctx *p)
{
	struct daemon_config *cfg = p->cfg;
	struct daemon_config_domain *d;
	enum mp_err rc;

	if (cfg->n_domains == DAEMON_CONFIG_MAX_DOMAINS)
		return daemon_config_keys_err(p, p->sec->line, NULL, "more than %d domains",
					      DAEMON_CONFIG_MAX_DOMAINS);
	d = &cfg->domains[cfg->n_domains++];
	d->line = p->sec->line;
	d->discover_selectors = true;
	d->enabled = true;
	rc = domain_name(p, d);
	if (rc != ERR_OK)
		return rc;
	daemon_config_keys_section(p, "domain", d->display, false);
	return daemon_config_keys_read_all(p, domain_keys, NKEYS(domain_keys), d);
}

/* The checks of an alert that involve several keys. */
static enum mp_err finish_alert(struct daemon_config_pctx *p, struct daemon_config_alert *a)
{
	const char *why;

	if (a->type != DAEMON_ALERT_EMAIL) {
		if (a->url.value == NULL)
			return daemon_config_keys_err(
			    p, a->line, NULL, "url (or url_file, url_credential) is missing");
		if (daemon_config_values_url(a->url.value,
					     a->type == DAEMON_ALERT_WEBHOOK && a->allow_insecure,
					     &why) != ERR_OK)
			return daemon_config_keys_err(
			    p, a->url.line, "url", "%s%s", why,
			    a->type == DAEMON_ALERT_WEBHOOK && !a->allow_insecure &&
				    common_str_iprefix(a->url.value, a->url.len, "http://")
				? " (or set allow_insecure = yes)"
				: "");
		if (a->signing_secret.value != NULL &&
		    daemon_config_values_whsec(a->signing_secret.value, &why) != ERR_OK)
			return daemon_config_keys_err(p, a->signing_secret.line, "secret", "%s",
						      why);
		return ERR_OK;
	}
	a->people = 0;
	if (a->smtp_host == NULL)
		return daemon_config_keys_err(p, a->line, NULL, "smtp_host is missing");
	if (a->from == NULL)
		return daemon_config_keys_err(p, a->line, NULL, "from is missing");
	if (a->n_to == 0)
		return daemon_config_keys_err(p, a->line, NULL,
					      "to is missing: at least one recipient");
	if ((a->username == NULL) != (a->password.value == NULL))
		return daemon_config_keys_err(p, a->line, NULL,
					      a->username ? "username needs a password"
							  : "password needs a username");
	if (a->smtp_tls == DAEMON_SMTP_NONE && !a->allow_insecure)
		return daemon_config_keys_err(
		    p, a->line, "tls",
		    "none sends mail (and any password) in clear text: set "
		    "allow_insecure = yes to mean it");
	if (a->smtp_port == 0)
		a->smtp_port = a->smtp_tls == DAEMON_SMTP_IMPLICIT ? 465
			       : a->smtp_tls == DAEMON_SMTP_NONE   ? 25
								   : 587;
	return ERR_OK;
}

/* Find "type" first: which keys apply depends on it. */
static enum mp_err alert_type(struct daemon_config_pctx *p, struct daemon_config_alert *a)
{
	static const struct daemon_config_keydef kd = {"type", CK_FN, CK_TYPES, 0, 0, 0, set_type};

	for (size_t i = 0; i < p->sec->n; i++) {
		const struct daemon_config_entry *e = &p->sec->v[i];

		if (strcmp(e->key, "type") == 0)
			return daemon_config_keys_read_entry(p, &kd, CK_PLAIN, e, a);
	}
	return daemon_config_keys_err(p, a->line, NULL,
				      "type is missing (slack, webhook or email)");
}

static enum mp_err read_alert(struct daemon_config_pctx *p)
{
	struct daemon_config *cfg = p->cfg;
	const char *name = p->sec->name;
	struct daemon_config_alert *a;
	enum mp_err rc;

	if (name == NULL || strlen(name) > 64 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
		strlen(name))
		return daemon_config_keys_err(
		    p, p->sec->line, NULL,
		    "needs a name of letters, digits, '.', '_' or '-': [alert ops-slack]");
	for (size_t i = 0; i < cfg->n_alerts; i++)
		if (strcmp(cfg->alerts[i].name, name) == 0)
			return daemon_config_keys_err(p, p->sec->line, NULL,
						      "duplicate section (first at line %u)",
						      cfg->alerts[i].line);
	if (cfg->n_alerts == DAEMON_CONFIG_MAX_ALERTS)
		return daemon_config_keys_err(p, p->sec->line, NULL, "more than %d alerts",
					      DAEMON_CONFIG_MAX_ALERTS);
	a = &cfg->alerts[cfg->n_alerts++];
	a->name = xstrdup(name);
	a->line = p->sec->line;
	a->min_severity = SEV_WARN;
	a->timeout_ms = 10000;
	a->people = 1;
	p->type_flag = 0;
	rc = alert_type(p, a);
	if (rc == ERR_OK)
		rc = daemon_config_keys_read_all(p, alert_keys, NKEYS(alert_keys), a);
	return rc == ERR_OK ? finish_alert(p, a) : rc;
}

static enum mp_err read_section(struct daemon_config_pctx *p)
{
	static const char *const mains[] = {"daemon", "dns", "web"};
	const struct daemon_config_rawsec *s = p->sec;
	int m = daemon_config_keys_pick(s->kind, mains, 3);

	if (m >= 0) {
		if (s->name != NULL)
			return daemon_config_keys_err(p, s->line, NULL, "[%s] takes no name",
						      s->kind);
		if (p->main_line[m] != 0)
			return daemon_config_keys_err(p, s->line, NULL,
						      "duplicate section (first at line %u)",
						      p->main_line[m]);
		p->main_line[m] = s->line;
		if (m == 0)
			return read_daemon(p);
		if (m == 1)
			return daemon_config_keys_read_all(p, dns_keys, NKEYS(dns_keys), p->cfg);
		return read_web(p);
	}
	if (strcmp(s->kind, "domain") == 0)
		return read_domain(p);
	if (strcmp(s->kind, "alert") == 0)
		return read_alert(p);
	if (daemon_config_probe_is_section(s->kind))
		return daemon_config_probe_read_section(p);
	if (daemon_config_report_is_section(s->kind))
		return daemon_config_report_read_section(p);
	return daemon_config_keys_err(p, s->line, NULL,
				      "unknown section (expected [daemon], [dns], [web], [domain "
				      "NAME], [alert NAME], [listener], [probe], [relay NAME], "
				      "[seed NAME], [reports] or [report_mailbox NAME])");
}

/* ---- the whole file ---- */

static void set_defaults(struct daemon_config *cfg, const char *file)
{
	cfg->source = xstrdup(file);
	cfg->daemon.state_dir = xstrdup("/var/lib/mailpulse");
	cfg->daemon.log_level = LOG_LVL_INFO;
	/* F x interval + group_wait stays under the 5 minutes of the launch-ready bar. */
	cfg->daemon.check_interval_s = 120;
	cfg->daemon.jitter_s = 10;
	cfg->daemon.failure_threshold = 2;
	cfg->daemon.success_threshold = 2;
	cfg->daemon.group_wait_s = 30;
	dns_resolver_opts_init(&cfg->dns.opts);
	cfg->web.listen_addr = xstrdup("127.0.0.1");
	cfg->web.listen_port = 8025;
	cfg->web.refresh_s = 60;
	cfg->web.max_connections = 64;
	cfg->web.max_connections_per_ip = 16;
	cfg->web.connection_timeout_s = 30;
	daemon_config_probe_defaults(cfg);
	daemon_config_report_defaults(cfg);
}

static int cmp_domain(const void *a, const void *b)
{
	const struct daemon_config_domain *x = *(const struct daemon_config_domain *const *)a;
	const struct daemon_config_domain *y = *(const struct daemon_config_domain *const *)b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : (x->line > y->line) - (x->line < y->line);
}

/* Domains: no name twice, intervals inherited and longer than the jitter. */
static enum mp_err finish_domains(struct daemon_config_pctx *p)
{
	struct daemon_config *cfg = p->cfg;
	struct daemon_config_domain **v = xcalloc(cfg->n_domains + 1, sizeof *v);
	enum mp_err rc = ERR_OK;
	char b1[32], b2[32];

	for (size_t i = 0; i < cfg->n_domains; i++) {
		struct daemon_config_domain *d = &cfg->domains[i];

		v[i] = d;
		if (d->interval_s == 0)
			d->interval_s = cfg->daemon.check_interval_s;
		daemon_config_keys_section(p, "domain", d->display, false);
		if (rc == ERR_OK && d->interval_s <= cfg->daemon.jitter_s)
			rc = daemon_config_keys_err(
			    p, d->line, "interval", "%s must be longer than [daemon] jitter %s",
			    daemon_config_values_duration_text(d->interval_s * CK_SEC, b1),
			    daemon_config_values_duration_text(cfg->daemon.jitter_s * CK_SEC, b2));
	}
	qsort(v, cfg->n_domains, sizeof *v, cmp_domain);
	for (size_t i = 1; rc == ERR_OK && i < cfg->n_domains; i++) {
		daemon_config_keys_section(p, "domain", v[i]->display, false);
		if (strcmp(v[i - 1]->name, v[i]->name) == 0)
			rc = daemon_config_keys_err(p, v[i]->line, NULL,
						    "duplicate section (first at line %u)",
						    v[i - 1]->line);
	}
	free(v);
	return rc;
}

enum mp_err daemon_config_sections_build(const struct daemon_config_raw *raw, const char *file,
					 const struct daemon_config_env *env,
					 struct daemon_config **out, char *err, size_t errsz)
{
	struct daemon_config_pctx p;
	struct daemon_config *cfg = xcalloc(1, sizeof *cfg);
	size_t nd = 0, na = 0;
	enum mp_err rc = ERR_OK;

	memset(&p, 0, sizeof p);
	p.file = file;
	p.env = env;
	p.err = err;
	p.errsz = errsz;
	p.cfg = cfg;
	set_defaults(cfg, file);
	for (size_t i = 0; i < raw->n; i++) {
		nd += strcmp(raw->v[i].kind, "domain") == 0;
		na += strcmp(raw->v[i].kind, "alert") == 0;
	}
	/* Sized by the caps: the section past a cap gets its error before it is stored. */
	cfg->domains = xcalloc(nd < DAEMON_CONFIG_MAX_DOMAINS ? nd : DAEMON_CONFIG_MAX_DOMAINS,
			       sizeof *cfg->domains);
	cfg->alerts = xcalloc(na < DAEMON_CONFIG_MAX_ALERTS ? na : DAEMON_CONFIG_MAX_ALERTS,
			      sizeof *cfg->alerts);
	for (size_t i = 0; rc == ERR_OK && i < raw->n; i++) {
		p.sec = &raw->v[i];
		daemon_config_keys_section(&p, p.sec->kind, p.sec->name, true);
		rc = read_section(&p);
	}
	if (rc == ERR_OK)
		rc = finish_domains(&p);
	if (rc == ERR_OK)
		rc = daemon_config_probe_finish(&p);
	if (rc == ERR_OK)
		rc = daemon_config_report_finish(&p);
	if (rc != ERR_OK) {
		daemon_config_free(cfg);
		return rc;
	}
	cfg->dns.opts.servers = (const char *const *)cfg->dns.resolvers;
	cfg->dns.opts.n_servers = cfg->dns.n_resolvers;
	*out = cfg;
	return ERR_OK;
}

void daemon_config_sections_raw_free(struct daemon_config_raw *raw)
{
	for (size_t i = 0; i < raw->n; i++) {
		struct daemon_config_rawsec *s = &raw->v[i];

		for (size_t j = 0; j < s->n; j++) {
			explicit_bzero(s->v[j].value, strlen(s->v[j].value));
			free(s->v[j].key);
			free(s->v[j].value);
		}
		free(s->v);
		free(s->kind);
		free(s->name);
	}
	free(raw->v);
	raw->v = NULL;
	raw->n = 0;
}
