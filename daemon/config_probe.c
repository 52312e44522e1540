/*
 * daemon/config_probe: [listener], [probe], [relay NAME], [seed NAME] and
 * the probe_* keys of [domain NAME] (see the header).  Keys are read by
 * daemon/config_keys from the tables below; error texts never contain the
 * value of a secret key.
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
#include "daemon/config_probe.h"
#include "daemon/config_sections.h"
#include "daemon/config_values.h"
#include "dns/name.h"

#define NKEYS(t) (sizeof(t) / sizeof((t)[0]))

/* ---- small value syntaxes ---- */

/* A host name (not an IP literal) in A-labels, lower case, into *out. */
static enum mp_err hostname(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
			    const char *v, char **out)
{
	char ascii[DNS_NAME_BUFSZ], sb[100];
	const char *why = "is not a host name";

	if (strlen(v) > DNS_NAME_INPUT_MAX ||
	    dns_name_to_ascii(v, strlen(v), ascii, &why) != ERR_OK ||
	    !dns_name_is_hostname(ascii, strlen(ascii)) || strchr(ascii, '.') == NULL ||
	    /* an all-numeric top label: an IPv4 literal, not a name */
	    strspn(strrchr(ascii, '.') + 1, "0123456789") == strlen(strrchr(ascii, '.') + 1))
		return daemon_config_keys_err(
		    p, e->line, e->key,
		    "%s is not a host name (letters, digits, hyphens, at least two labels)",
		    daemon_config_keys_shown(v, sb));
	free(*out);
	*out = xstrdup(ascii);
	return ERR_OK;
}

/* Bytes with an optional K or M suffix (binary multiples), 1 KiB..100 MiB. */
static enum mp_err set_max_message(struct daemon_config_pctx *p,
				   const struct daemon_config_entry *e, const char *v, void *obj)
{
	struct daemon_config *cfg = obj;
	size_t len = strlen(v);
	uint64_t mult = 1, n;
	char sb[100];

	if (len > 0 && (v[len - 1] == 'K' || v[len - 1] == 'k'))
		mult = 1024;
	else if (len > 0 && (v[len - 1] == 'M' || v[len - 1] == 'm'))
		mult = 1024 * 1024;
	if (mult != 1)
		len--;
	if (common_str_to_u64(v, len, DAEMON_CONFIG_MAX_MESSAGE_LIMIT, &n) != ERR_OK ||
	    n * mult < 1024 || n * mult > DAEMON_CONFIG_MAX_MESSAGE_LIMIT)
		return daemon_config_keys_err(p, e->line, e->key,
					      "%s must be a size from 1K to 100M (bytes, or with a "
					      "K or M suffix)",
					      daemon_config_keys_shown(v, sb));
	cfg->listener.max_message = (size_t)(n * mult);
	return ERR_OK;
}

static enum mp_err set_listen(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
			      const char *v, void *obj)
{
	struct daemon_config *cfg = obj;

	return daemon_config_keys_listen(p, e, v, &cfg->listener.listen_addr,
					 &cfg->listener.listen_port);
}

static enum mp_err set_lhostname(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
				 const char *v, void *obj)
{
	return hostname(p, e, v, &((struct daemon_config *)obj)->listener.hostname);
}

/* The TLS key must be there and must not be readable by others (like dkim_key). */
static enum mp_err set_tls_key(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
			       const char *v, void *obj)
{
	return daemon_config_keys_private_file(p, e, v,
					       &((struct daemon_config *)obj)->listener.tls_key);
}

static enum mp_err set_addresses(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
				 const char *v, void *obj)
{
	struct daemon_config *cfg = obj;

	return daemon_config_keys_email_list(p, e, v, DAEMON_CONFIG_MAX_ADDRESSES, "addresses",
					     &cfg->listener.addresses, &cfg->listener.n_addresses);
}

/* RFC 8601 2.5: authserv-id is a value (we take a dot-atom: a host name in practice). */
static bool authserv_ok(const char *v)
{
	size_t len = strlen(v);

	return len > 0 && len <= 255 &&
	       strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") ==
		   len &&
	       v[0] != '.' && v[len - 1] != '.';
}

static enum mp_err set_authserv_id(struct daemon_config_pctx *p,
				   const struct daemon_config_entry *e, const char *v, void *obj)
{
	struct daemon_config *cfg = obj;
	char sb[100];

	if (!authserv_ok(v))
		return daemon_config_keys_err(
		    p, e->line, e->key, "%s is not an authserv-id (letters, digits, '.', '-', '_')",
		    daemon_config_keys_shown(v, sb));
	cfg->listener.authserv_id = xstrdup(v);
	common_str_lower(cfg->listener.authserv_id);
	return ERR_OK;
}

static enum mp_err set_trusted(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
			       const char *v, void *obj)
{
	struct daemon_config *cfg = obj;
	char **items = NULL, sb[100];
	size_t n = 0;
	enum mp_err rc = ERR_OK;

	if (daemon_config_keys_split(p, e, v, DAEMON_CONFIG_MAX_ADDRESSES, "authserv-ids", &items,
				     &n) != ERR_OK)
		return ERR_INVAL;
	for (size_t i = 0; rc == ERR_OK && i < n; i++) {
		if (!authserv_ok(items[i]))
			rc = daemon_config_keys_err(p, e->line, e->key, "%s is not an authserv-id",
						    daemon_config_keys_shown(items[i], sb));
		else
			common_str_lower(items[i]);
	}
	if (rc != ERR_OK) {
		daemon_config_values_strv_free(items, n);
		return rc;
	}
	cfg->listener.trusted_authserv_ids = items;
	cfg->listener.n_trusted_authserv_ids = n;
	return ERR_OK;
}

static enum mp_err set_bounce_domain(struct daemon_config_pctx *p,
				     const struct daemon_config_entry *e, const char *v, void *obj)
{
	return hostname(p, e, v, &((struct daemon_config *)obj)->probe.bounce_domain);
}

/* RFC 5321 4.1.2: a dot-atom local part; '+' separates the token, so not in it. */
static enum mp_err set_verp_local(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
				  const char *v, void *obj)
{
	struct daemon_config *cfg = obj;
	size_t len = strlen(v);
	char sb[100];

	if (len == 0 || len > 30 || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789.-_") != len ||
	    v[0] == '.' || v[len - 1] == '.' || strstr(v, "..") != NULL)
		return daemon_config_keys_err(
		    p, e->line, e->key,
		    "%s must be 1 to 30 lower-case letters, digits, '.', '-' or '_'",
		    daemon_config_keys_shown(v, sb));
	free(cfg->probe.verp_local);
	cfg->probe.verp_local = xstrdup(v);
	return ERR_OK;
}

static enum mp_err set_relay_tls(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
				 const char *v, void *obj)
{
	return daemon_config_keys_tls(p, e, v, true, &((struct daemon_config_relay *)obj)->tls);
}

static enum mp_err set_seed_tls(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
				const char *v, void *obj)
{
	return daemon_config_keys_tls(p, e, v, false, &((struct daemon_config_seed *)obj)->tls);
}

static enum mp_err set_relay_host(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
				  const char *v, void *obj)
{
	return daemon_config_keys_host(p, e, v, &((struct daemon_config_relay *)obj)->host);
}

static enum mp_err set_seed_host(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
				 const char *v, void *obj)
{
	return daemon_config_keys_host(p, e, v, &((struct daemon_config_seed *)obj)->host);
}

static enum mp_err set_relay_user(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
				  const char *v, void *obj)
{
	return daemon_config_keys_username(p, e, v, &((struct daemon_config_relay *)obj)->username);
}

static enum mp_err set_seed_user(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
				 const char *v, void *obj)
{
	return daemon_config_keys_username(p, e, v, &((struct daemon_config_seed *)obj)->username);
}

static enum mp_err set_helo(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
			    const char *v, void *obj)
{
	return hostname(p, e, v, &((struct daemon_config_relay *)obj)->helo);
}

static enum mp_err set_seed_address(struct daemon_config_pctx *p,
				    const struct daemon_config_entry *e, const char *v, void *obj)
{
	return daemon_config_keys_email(p, e, v, &((struct daemon_config_seed *)obj)->address);
}

static enum mp_err set_inbox(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
			     const char *v, void *obj)
{
	return daemon_config_keys_folder(p, e, v, &((struct daemon_config_seed *)obj)->inbox);
}

static enum mp_err set_spam(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
			    const char *v, void *obj)
{
	return daemon_config_keys_folder(p, e, v, &((struct daemon_config_seed *)obj)->spam);
}

/* ---- key tables ---- */

#define CFG(m) offsetof(struct daemon_config, m)
#define RLY(m) offsetof(struct daemon_config_relay, m)
#define SEED(m) offsetof(struct daemon_config_seed, m)

static const struct daemon_config_keydef listener_keys[] = {
    {"listen", CK_FN, 0, 0, 0, 0, set_listen},
    {"hostname", CK_FN, 0, 0, 0, 0, set_lhostname},
    {"tls_cert", CK_PATH, 0, CFG(listener.tls_cert), 0, 0, NULL},
    {"tls_key", CK_FN, 0, 0, 0, 0, set_tls_key},
    {"max_message", CK_FN, 0, 0, 0, 0, set_max_message},
    {"max_connections", CK_UINT, 0, CFG(listener.max_connections), 1, 10000, NULL},
    {"max_per_ip", CK_UINT, 0, CFG(listener.max_per_ip), 1, 10000, NULL},
    {"idle_timeout", CK_DUR_S, 0, CFG(listener.idle_timeout_s), 10 * CK_SEC, 3600 * CK_SEC, NULL},
    {"addresses", CK_FN, CK_LIST, 0, 0, 0, set_addresses},
    {"authserv_id", CK_FN, 0, 0, 0, 0, set_authserv_id},
    {"trusted_authserv_ids", CK_FN, CK_LIST, 0, 0, 0, set_trusted},
};

static const struct daemon_config_keydef probe_keys[] = {
    {"bounce_domain", CK_FN, 0, 0, 0, 0, set_bounce_domain},
    {"verp_local", CK_FN, 0, 0, 0, 0, set_verp_local},
    {"timeout", CK_DUR_S, 0, CFG(probe.timeout_s), 60 * CK_SEC, 7 * 86400 * CK_SEC, NULL},
    {"keep", CK_UINT, 0, CFG(probe.keep), 1, 100000, NULL},
};

static const struct daemon_config_keydef relay_keys[] = {
    {"host", CK_FN, 0, 0, 0, 0, set_relay_host},
    {"port", CK_UINT, 0, RLY(port), 1, 65535, NULL},
    {"tls", CK_FN, 0, 0, 0, 0, set_relay_tls},
    {"username", CK_FN, 0, 0, 0, 0, set_relay_user},
    {"password", CK_SECRET, 0, RLY(password), 0, 0, NULL},
    {"ca_file", CK_PATH, 0, RLY(ca_file), 0, 0, NULL},
    {"allow_insecure", CK_BOOL, 0, RLY(allow_insecure), 0, 0, NULL},
    {"helo", CK_FN, 0, 0, 0, 0, set_helo},
    {"timeout", CK_DUR_MS, 0, RLY(timeout_ms), CK_SEC, 600 * CK_SEC, NULL},
};

static const struct daemon_config_keydef seed_keys[] = {
    {"host", CK_FN, 0, 0, 0, 0, set_seed_host},
    {"port", CK_UINT, 0, SEED(port), 1, 65535, NULL},
    {"tls", CK_FN, 0, 0, 0, 0, set_seed_tls},
    {"username", CK_FN, 0, 0, 0, 0, set_seed_user},
    {"password", CK_SECRET, 0, SEED(password), 0, 0, NULL},
    {"ca_file", CK_PATH, 0, SEED(ca_file), 0, 0, NULL},
    {"address", CK_FN, 0, 0, 0, 0, set_seed_address},
    {"inbox", CK_FN, 0, 0, 0, 0, set_inbox},
    {"spam", CK_FN, 0, 0, 0, 0, set_spam},
    {"poll_interval", CK_DUR_S, 0, SEED(poll_interval_s), 30 * CK_SEC, 86400 * CK_SEC, NULL},
    {"delete", CK_BOOL, 0, SEED(delete_found), 0, 0, NULL},
    {"timeout", CK_DUR_MS, 0, SEED(timeout_ms), CK_SEC, 600 * CK_SEC, NULL},
};

_Static_assert(NKEYS(listener_keys) <= CK_MAX_KEYS && NKEYS(relay_keys) <= CK_MAX_KEYS &&
		   NKEYS(seed_keys) <= CK_MAX_KEYS && NKEYS(probe_keys) <= CK_MAX_KEYS,
	       "CK_MAX_KEYS too small");

/* ---- sections ---- */

bool daemon_config_probe_is_section(const char *kind)
{
	return strcmp(kind, "listener") == 0 || strcmp(kind, "probe") == 0 ||
	       strcmp(kind, "relay") == 0 || strcmp(kind, "seed") == 0;
}

/* [listener] or [probe]: no name, once; *line records it. */
static enum mp_err single(struct daemon_config_pctx *p, unsigned *line)
{
	const struct daemon_config_rawsec *s = p->sec;

	if (s->name != NULL)
		return daemon_config_keys_err(p, s->line, NULL, "[%s] takes no name", s->kind);
	if (*line != 0)
		return daemon_config_keys_err(p, s->line, NULL,
					      "duplicate section (first at line %u)", *line);
	*line = s->line;
	return ERR_OK;
}

static enum mp_err read_listener(struct daemon_config_pctx *p)
{
	struct daemon_config *cfg = p->cfg;
	enum mp_err rc = single(p, &cfg->listener.line);

	if (rc != ERR_OK)
		return rc;
	cfg->listener.enabled = true;
	rc = daemon_config_keys_read_all(p, listener_keys, NKEYS(listener_keys), cfg);
	if (rc != ERR_OK)
		return rc;
	if (cfg->listener.hostname == NULL)
		return daemon_config_keys_err(p, cfg->listener.line, NULL,
					      "hostname is missing (our name in the greeting, "
					      "Received: and Authentication-Results)");
	if ((cfg->listener.tls_cert == NULL) != (cfg->listener.tls_key == NULL))
		return daemon_config_keys_err(p, cfg->listener.line, NULL,
					      "tls_cert and tls_key go together (both or neither)");
	if (cfg->listener.max_per_ip > cfg->listener.max_connections)
		return daemon_config_keys_err(p,
					      daemon_config_keys_seen_line(p, listener_keys,
									   NKEYS(listener_keys),
									   "max_per_ip"),
					      "max_per_ip", "is larger than max_connections (%u)",
					      cfg->listener.max_connections);
	return ERR_OK;
}

static enum mp_err finish_relay(struct daemon_config_pctx *p, struct daemon_config_relay *r)
{
	if (r->host == NULL)
		return daemon_config_keys_err(p, r->line, NULL, "host is missing");
	if ((r->username == NULL) != (r->password.value == NULL))
		return daemon_config_keys_err(p, r->line, NULL,
					      r->username ? "username needs a password"
							  : "password needs a username");
	if (r->tls == DAEMON_SMTP_NONE && !r->allow_insecure)
		return daemon_config_keys_err(
		    p, r->line, "tls",
		    "none sends mail (and any password) in clear text: set "
		    "allow_insecure = yes to mean it");
	if (r->port == 0)
		r->port = r->tls == DAEMON_SMTP_IMPLICIT ? 465
			  : r->tls == DAEMON_SMTP_NONE	 ? 25
							 : 587;
	return ERR_OK;
}

static enum mp_err finish_seed(struct daemon_config_pctx *p, struct daemon_config_seed *s)
{
	enum mp_err rc = daemon_config_keys_imap_finish(p, s->line, s->host, s->username,
							&s->password, s->tls, &s->port);

	if (rc != ERR_OK)
		return rc;
	if (s->address == NULL)
		return daemon_config_keys_err(
		    p, s->line, NULL,
		    "address is missing (the box's e-mail address, probes go there)");
	if (strcmp(s->inbox, s->spam) == 0)
		return daemon_config_keys_err(p, s->line, "spam", "is the same folder as inbox");
	return ERR_OK;
}

static enum mp_err read_relay(struct daemon_config_pctx *p)
{
	struct daemon_config *cfg = p->cfg;
	const char *name = p->sec->name;
	const struct daemon_config_relay *o = name ? daemon_config_find_relay(cfg, name) : NULL;
	struct daemon_config_relay *r;
	enum mp_err rc = daemon_config_keys_new_named(p, cfg->n_relays, DAEMON_CONFIG_MAX_RELAYS,
						      "relay", "[relay main]", o ? o->line : 0);

	if (rc != ERR_OK)
		return rc;
	cfg->relays = xreallocarray(cfg->relays, cfg->n_relays + 1, sizeof *r);
	r = &cfg->relays[cfg->n_relays++];
	memset(r, 0, sizeof *r);
	r->name = xstrdup(p->sec->name);
	r->line = p->sec->line;
	r->tls = DAEMON_SMTP_STARTTLS;
	r->timeout_ms = 60000;
	rc = daemon_config_keys_read_all(p, relay_keys, NKEYS(relay_keys), r);
	return rc == ERR_OK ? finish_relay(p, r) : rc;
}

static enum mp_err read_seed(struct daemon_config_pctx *p)
{
	struct daemon_config *cfg = p->cfg;
	const char *name = p->sec->name;
	const struct daemon_config_seed *o = name ? daemon_config_find_seed(cfg, name) : NULL;
	struct daemon_config_seed *s;
	enum mp_err rc = daemon_config_keys_new_named(p, cfg->n_seeds, DAEMON_CONFIG_MAX_SEEDS,
						      "seed", "[seed main]", o ? o->line : 0);

	if (rc != ERR_OK)
		return rc;
	cfg->seeds = xreallocarray(cfg->seeds, cfg->n_seeds + 1, sizeof *s);
	s = &cfg->seeds[cfg->n_seeds++];
	memset(s, 0, sizeof *s);
	s->name = xstrdup(p->sec->name);
	s->line = p->sec->line;
	s->tls = DAEMON_SMTP_IMPLICIT;
	s->inbox = xstrdup("INBOX");
	s->spam = xstrdup("Junk");
	s->poll_interval_s = 120;
	s->delete_found = true;
	s->timeout_ms = 60000;
	rc = daemon_config_keys_read_all(p, seed_keys, NKEYS(seed_keys), s);
	return rc == ERR_OK ? finish_seed(p, s) : rc;
}

void daemon_config_probe_defaults(struct daemon_config *cfg)
{
	cfg->listener.listen_addr = xstrdup("127.0.0.1");
	cfg->listener.listen_port = 25;
	cfg->listener.max_message = 10u * 1024 * 1024;
	cfg->listener.max_connections = 32;
	cfg->listener.max_per_ip = 8;
	cfg->listener.idle_timeout_s = 300;
	cfg->probe.verp_local = xstrdup("bounce");
	cfg->probe.timeout_s = 900;
	cfg->probe.keep = 200;
}

enum mp_err daemon_config_probe_read_section(struct daemon_config_pctx *p)
{
	const char *kind = p->sec->kind;

	p->type_flag = 0;
	if (strcmp(kind, "listener") == 0)
		return read_listener(p);
	if (strcmp(kind, "probe") == 0) {
		enum mp_err rc = single(p, &p->cfg->probe.line);

		return rc != ERR_OK
			   ? rc
			   : daemon_config_keys_read_all(p, probe_keys, NKEYS(probe_keys), p->cfg);
	}
	if (strcmp(kind, "relay") == 0)
		return read_relay(p);
	return read_seed(p);
}

/* ---- the probe keys of [domain NAME] ---- */

enum mp_err daemon_config_probe_set_interval(struct daemon_config_pctx *p,
					     const struct daemon_config_entry *e, const char *v,
					     void *obj)
{
	static const struct daemon_config_keydef kd = {"probe_interval",   CK_DUR_S, 0, 0, 0,
						       7 * 86400 * CK_SEC, NULL};
	struct daemon_config_domain *d = obj;
	char sb[100];
	enum mp_err rc = daemon_config_keys_duration(p, &kd, e, v, &d->probe.interval_s);

	if (rc != ERR_OK)
		return rc;
	if (d->probe.interval_s != 0 && d->probe.interval_s < 60)
		return daemon_config_keys_err(p, e->line, e->key,
					      "%s must be 0 (no probes) or from 1m to 7d",
					      daemon_config_keys_shown(v, sb));
	d->probe.line = e->line;
	return ERR_OK;
}

enum mp_err daemon_config_probe_set_relay(struct daemon_config_pctx *p,
					  const struct daemon_config_entry *e, const char *v,
					  void *obj)
{
	struct daemon_config_domain *d = obj;
	char sb[100];

	if (!daemon_config_keys_name_ok(v))
		return daemon_config_keys_err(p, e->line, e->key, "%s is not a [relay] name",
					      daemon_config_keys_shown(v, sb));
	d->probe.relay = xstrdup(v);
	d->probe.relay_line = e->line;
	return ERR_OK;
}

enum mp_err daemon_config_probe_set_from(struct daemon_config_pctx *p,
					 const struct daemon_config_entry *e, const char *v,
					 void *obj)
{
	struct daemon_config_domain *d = obj;
	const char *dom;
	enum mp_err rc = daemon_config_keys_email(p, e, v, &d->probe.from);

	if (rc != ERR_OK)
		return rc;
	d->probe.from_line = e->line;
	dom = daemon_config_values_email_domain(d->probe.from);
	/* DMARC (RFC 7489 3.1) can only align when the From is in the domain's tree. */
	if (!dns_name_is_under(dom, strlen(dom), d->name, strlen(d->name)))
		return daemon_config_keys_err(p, e->line, e->key,
					      "%s is not in %s or a subdomain of it", d->probe.from,
					      d->name);
	return ERR_OK;
}

/* One item of probe_to into r: "seed:NAME" or an addr-spec. */
static enum mp_err probe_to_item(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
				 const char *item, struct daemon_config_probe_rcpt *r)
{
	char sb[100];

	if (strncasecmp(item, "seed:", 5) == 0) {
		if (!daemon_config_keys_name_ok(item + 5) || item[5] == '\0')
			return daemon_config_keys_err(p, e->line, e->key,
						      "%s: after seed: comes a [seed] name",
						      daemon_config_keys_shown(item, sb));
		r->seed = xstrdup(item + 5);
		return ERR_OK;
	}
	return daemon_config_keys_email(p, e, item, &r->address);
}

enum mp_err daemon_config_probe_set_to(struct daemon_config_pctx *p,
				       const struct daemon_config_entry *e, const char *v,
				       void *obj)
{
	struct daemon_config_domain *d = obj;
	char **items = NULL;
	size_t n = 0;
	enum mp_err rc = ERR_OK;

	if (daemon_config_keys_split(p, e, v, DAEMON_CONFIG_MAX_PROBE_TO, "recipients", &items,
				     &n) != ERR_OK)
		return ERR_INVAL;
	d->probe.to = xcalloc(n, sizeof *d->probe.to);
	d->probe.to_line = e->line;
	while (rc == ERR_OK && d->probe.n_to < n) {
		struct daemon_config_probe_rcpt *r = &d->probe.to[d->probe.n_to++];

		rc = probe_to_item(p, e, items[d->probe.n_to - 1], r);
		for (size_t j = 0; rc == ERR_OK && j + 1 < d->probe.n_to; j++) {
			const struct daemon_config_probe_rcpt *o = &d->probe.to[j];

			if ((r->seed && o->seed && strcmp(r->seed, o->seed) == 0) ||
			    (r->address && o->address && strcasecmp(r->address, o->address) == 0))
				rc = daemon_config_keys_err(
				    p, e->line, e->key, "%s%s is listed twice",
				    r->seed ? "seed:" : "", r->seed ? r->seed : r->address);
		}
	}
	daemon_config_values_strv_free(items, n);
	return rc;
}

enum mp_err daemon_config_probe_set_sign(struct daemon_config_pctx *p,
					 const struct daemon_config_entry *e, const char *v,
					 void *obj)
{
	struct daemon_config_domain *d = obj;
	char ascii[DNS_NAME_BUFSZ], sb[100];
	const char *why;

	if (strlen(v) > DNS_NAME_INPUT_MAX ||
	    dns_name_to_ascii(v, strlen(v), ascii, &why) != ERR_OK ||
	    !dns_name_is_hostname(ascii, strlen(ascii)))
		return daemon_config_keys_err(p, e->line, e->key, "%s is not a DKIM selector",
					      daemon_config_keys_shown(v, sb));
	d->probe.sign = xstrdup(ascii);
	d->probe.sign_line = e->line;
	return ERR_OK;
}

/* ---- cross-section checks ---- */

bool daemon_config_listener_accepts(const struct daemon_config *cfg, const char *addr)
{
	const char *at = strrchr(addr, '@');
	size_t vl;

	if (!cfg->listener.enabled || at == NULL)
		return false;
	for (size_t i = 0; i < cfg->listener.n_addresses; i++)
		if (strcasecmp(cfg->listener.addresses[i], addr) == 0)
			return true;
	/* Issue 5: the rua/ruf/TLS-RPT addresses of [reports]. */
	for (size_t i = 0; i < cfg->reports.n_addresses; i++)
		if (strcasecmp(cfg->reports.addresses[i], addr) == 0)
			return true;
	if (cfg->probe.bounce_domain == NULL || strcasecmp(at + 1, cfg->probe.bounce_domain) != 0)
		return false;
	vl = strlen(cfg->probe.verp_local);
	return (size_t)(at - addr) >= vl && strncasecmp(addr, cfg->probe.verp_local, vl) == 0 &&
	       (addr + vl == at || addr[vl] == '+');
}

bool daemon_config_any_probes(const struct daemon_config *cfg)
{
	for (size_t i = 0; i < cfg->n_domains; i++)
		if (cfg->domains[i].enabled && cfg->domains[i].probe.interval_s != 0)
			return true;
	return false;
}

/* probe_to of d: seeds exist (their address filled in).  A plain address
   need not be one the listener accepts: it may be an outside mailbox that
   forwards to the listener or to a seed box, or one that no longer exists
   (its bounce reaches the VERP address); what never comes back is lost. */
static enum mp_err check_probe_to(struct daemon_config_pctx *p, struct daemon_config_domain *d)
{
	const struct daemon_config *cfg = p->cfg;

	for (size_t i = 0; i < d->probe.n_to; i++) {
		struct daemon_config_probe_rcpt *r = &d->probe.to[i];
		const struct daemon_config_seed *s;

		if (r->seed == NULL)
			continue;
		s = daemon_config_find_seed(cfg, r->seed);
		if (s == NULL)
			return daemon_config_keys_err(p, d->probe.to_line, "probe_to",
						      "seed:%s: there is no [seed %s]", r->seed,
						      r->seed);
		free(r->address);
		r->address = xstrdup(s->address);
	}
	return ERR_OK;
}

static bool has_key(const struct daemon_config_domain *d, const char *sel)
{
	for (size_t i = 0; i < d->n_dkim_keys; i++)
		if (strcmp(d->dkim_keys[i].selector, sel) == 0)
			return true;
	return false;
}

/* The probe keys of one domain, after every section is read. */
static enum mp_err finish_domain(struct daemon_config_pctx *p, struct daemon_config_domain *d)
{
	const struct daemon_config *cfg = p->cfg;
	unsigned any =
	    d->probe.relay_line | d->probe.from_line | d->probe.to_line | d->probe.sign_line;

	daemon_config_keys_section(p, "domain", d->display, false);
	if (d->probe.interval_s == 0) {
		if (any != 0)
			return daemon_config_keys_err(
			    p, any, NULL,
			    "probe_* keys need probe_interval (e.g. probe_interval = 1h)");
		return ERR_OK;
	}
	if (cfg->probe.bounce_domain == NULL)
		return daemon_config_keys_err(
		    p, d->probe.line, "probe_interval",
		    "probes need [probe] bounce_domain (the VERP domain bounces come back to)");
	if (d->probe.relay == NULL)
		return daemon_config_keys_err(
		    p, d->probe.line, "probe_interval",
		    "probe_relay is missing (the [relay] to send through)");
	if (daemon_config_find_relay(cfg, d->probe.relay) == NULL)
		return daemon_config_keys_err(p, d->probe.relay_line, "probe_relay",
					      "there is no [relay %s]", d->probe.relay);
	if (d->probe.n_to == 0)
		return daemon_config_keys_err(
		    p, d->probe.line, "probe_interval",
		    "probe_to is missing (addresses and/or seed:NAME boxes)");
	if (d->probe.sign != NULL && !has_key(d, d->probe.sign))
		return daemon_config_keys_err(p, d->probe.sign_line, "probe_sign",
					      "selector %s has no dkim_key in this domain",
					      d->probe.sign);
	if (d->probe.from == NULL)
		d->probe.from = xasprintf("mailpulse-probe@%s", d->name);
	return check_probe_to(p, d);
}

enum mp_err daemon_config_probe_finish(struct daemon_config_pctx *p)
{
	struct daemon_config *cfg = p->cfg;
	enum mp_err rc = ERR_OK;

	if (cfg->listener.enabled && cfg->listener.authserv_id == NULL)
		cfg->listener.authserv_id = xstrdup(cfg->listener.hostname);
	for (size_t i = 0; rc == ERR_OK && i < cfg->n_domains; i++)
		rc = finish_domain(p, &cfg->domains[i]);
	return rc;
}

/* ---- lookups ---- */

const struct daemon_config_relay *daemon_config_find_relay(const struct daemon_config *cfg,
							   const char *name)
{
	for (size_t i = 0; i < cfg->n_relays; i++)
		if (strcmp(cfg->relays[i].name, name) == 0)
			return &cfg->relays[i];
	return NULL;
}

const struct daemon_config_seed *daemon_config_find_seed(const struct daemon_config *cfg,
							 const char *name)
{
	for (size_t i = 0; i < cfg->n_seeds; i++)
		if (strcmp(cfg->seeds[i].name, name) == 0)
			return &cfg->seeds[i];
	return NULL;
}

const struct daemon_config_secret *
daemon_config_probe_inline_secret(const struct daemon_config *cfg, const char **kind,
				  const char **name)
{
	for (size_t i = 0; i < cfg->n_relays; i++) {
		if (cfg->relays[i].password.src == DAEMON_CONFIG_SRC_INLINE) {
			*kind = "relay";
			*name = cfg->relays[i].name;
			return &cfg->relays[i].password;
		}
	}
	for (size_t i = 0; i < cfg->n_seeds; i++) {
		if (cfg->seeds[i].password.src == DAEMON_CONFIG_SRC_INLINE) {
			*kind = "seed";
			*name = cfg->seeds[i].name;
			return &cfg->seeds[i].password;
		}
	}
	return NULL;
}
