/*
 * daemon/config_probe: the probe sections and keys of mailpulse.conf(5)
 * (issue 4): [listener], [probe], [relay NAME], [seed NAME] and the probe_*
 * keys of [domain NAME], their defaults, the checks that span sections
 * (unknown relay or seed, probe_interval without [probe] bounce_domain, a
 * probe_to listener address without a [listener] that accepts it, a
 * probe_sign selector without a dkim_key ...) and the lookups the probe
 * engine and the listener use (the dump and freeing are in
 * daemon/config_probe_dump).  The structs live in daemon/config.h with the rest of the
 * configuration; daemon/config_sections dispatches the sections here.
 *
 * What it does not: open sockets, read certificates beyond checking that the
 * files can be read (and that the TLS key is not readable by others), talk
 * to relays or seed boxes, or act on the values (the probe engine does).
 *
 * References: RFC 5321 4.1.2 and 4.5.3.1 (addresses, message size), RFC
 * 8601 2.5 (authserv-id), RFC 3501 (IMAP mailbox names), RFC 6376 3.1
 * (selectors), systemd.exec(5) (credentials).
 */
#ifndef MAILPULSE_DAEMON_CONFIG_PROBE_H
#define MAILPULSE_DAEMON_CONFIG_PROBE_H

#include <stdbool.h>
#include <stdio.h>
#include "common/err.h"
#include "daemon/config.h"
#include "daemon/config_keys.h"

#define DAEMON_CONFIG_MAX_MESSAGE_LIMIT (100u * 1024 * 1024) /* [listener] max_message cap */

/* ---- for daemon/config_sections (the build) ---- */

/* Fill in the defaults of [listener] and [probe] (before any section is read). */
void daemon_config_probe_defaults(struct daemon_config *cfg);

/* Whether kind is one of the sections this module reads. */
bool daemon_config_probe_is_section(const char *kind);

/* Read the section p->sec ([listener], [probe], [relay NAME] or [seed NAME]) into p->cfg. */
enum mp_err daemon_config_probe_read_section(struct daemon_config_pctx *p) MP_WUR;

/* The probe_* keys of [domain NAME] (CK_FN handlers; obj is the struct daemon_config_domain). */
enum mp_err daemon_config_probe_set_interval(struct daemon_config_pctx *p,
					     const struct daemon_config_entry *e, const char *v,
					     void *obj) MP_WUR;
enum mp_err daemon_config_probe_set_relay(struct daemon_config_pctx *p,
					  const struct daemon_config_entry *e, const char *v,
					  void *obj) MP_WUR;
enum mp_err daemon_config_probe_set_from(struct daemon_config_pctx *p,
					 const struct daemon_config_entry *e, const char *v,
					 void *obj) MP_WUR;
enum mp_err daemon_config_probe_set_to(struct daemon_config_pctx *p,
				       const struct daemon_config_entry *e, const char *v,
				       void *obj) MP_WUR;
enum mp_err daemon_config_probe_set_sign(struct daemon_config_pctx *p,
					 const struct daemon_config_entry *e, const char *v,
					 void *obj) MP_WUR;

/*
 * After every section is read: defaults that depend on other sections
 * (probe_from, authserv_id) and every cross-section check.  ERR_INVAL with
 * p->err "FILE:LINE: [section] key: why".
 */
enum mp_err daemon_config_probe_finish(struct daemon_config_pctx *p) MP_WUR;

/* ---- for daemon/config (load, dump, free) ---- */

/*
 * The first relay or seed password written inline in the file (for the
 * permission check), with the section's kind ("relay", "seed") and name;
 * NULL when there is none.  Borrowed from cfg.
 */
const struct daemon_config_secret *
daemon_config_probe_inline_secret(const struct daemon_config *cfg, const char **kind,
				  const char **name);

/* (The dump and freeing: daemon/config_probe_dump.) */

/* ---- for the probe engine and the listener ---- */

/* The [relay] called name, or NULL; borrowed. */
const struct daemon_config_relay *daemon_config_find_relay(const struct daemon_config *cfg,
							   const char *name);
/* The [seed] called name, or NULL; borrowed. */
const struct daemon_config_seed *daemon_config_find_seed(const struct daemon_config *cfg,
							 const char *name);

/*
 * Whether the listener accepts RCPT TO addr (an addr-spec, any case): one of
 * [listener] addresses, one of [reports] addresses, or a VERP bounce address of [probe]
 * ("verp_local" or "verp_local+anything" at bounce_domain).  False when there is no [listener].
 * Pure and thread-safe over a cfg nobody modifies.
 */
bool daemon_config_listener_accepts(const struct daemon_config *cfg, const char *addr);

/* Whether at least one enabled domain sends probes. */
bool daemon_config_any_probes(const struct daemon_config *cfg);

#endif
