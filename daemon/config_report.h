/*
 * daemon/config_report: the report sections of mailpulse.conf(5) (issue 5):
 * [reports] (rua/ruf/TLS-RPT addresses the listener accepts, the drop
 * directory, the quarantine, the decompression caps, the analysis
 * thresholds and the retention) and [report_mailbox NAME] (IMAP boxes
 * reports are fetched from; the password like every secret: inline,
 * password_file or password_credential).  Defaults, reading, the checks
 * that span sections (a [reports] address needs a [listener]), the dump
 * (secrets as <secret>) and the freeing.  The structs live in
 * daemon/config.h with the rest of the configuration; daemon/config_sections
 * dispatches the sections here.
 *
 * What it does not: create or look at the drop or quarantine directory
 * (checked at run time by daemon/reports and reported in the log), talk to
 * mailboxes, or act on the values.
 *
 * References: RFC 7489 7.1-7.2 (rua/ruf addresses), RFC 8460 3 (TLS-RPT
 * rua), RFC 5321 4.1.2 (addr-spec), RFC 3501 5.1 (IMAP mailbox names),
 * systemd.exec(5) (credentials).
 */
#ifndef MAILPULSE_DAEMON_CONFIG_REPORT_H
#define MAILPULSE_DAEMON_CONFIG_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include "common/err.h"
#include "daemon/config.h"
#include "daemon/config_keys.h"

#define DAEMON_CONFIG_MAX_REPORT_MAILBOXES 64	      /* [report_mailbox NAME] sections */
#define DAEMON_CONFIG_REPORT_SIZE_MAX (1024ULL << 20) /* max_size, max_api_body: 1 GiB */

/* ---- for daemon/config_sections (the build) ---- */

/* Fill in the defaults of [reports] (before any section is read). */
void daemon_config_report_defaults(struct daemon_config *cfg);

/* Whether kind is "reports" or "report_mailbox". */
bool daemon_config_report_is_section(const char *kind);

/* Read p->sec ([reports] or [report_mailbox NAME]) into p->cfg.  ERR_INVAL with p->err. */
enum mp_err daemon_config_report_read_section(struct daemon_config_pctx *p) MP_WUR;

/*
 * After every section is read: the quarantine default (<state_dir>/quarantine)
 * and the cross-section checks (a [reports] address needs a [listener], and
 * must not also be a [listener] address or a VERP bounce address).
 * ERR_INVAL with p->err "FILE:LINE: [section] key: why".
 */
enum mp_err daemon_config_report_finish(struct daemon_config_pctx *p) MP_WUR;

/* ---- for daemon/config (load, dump, free) ---- */

/*
 * The first [report_mailbox] password written inline in the file (for the
 * permission check), with *kind "report_mailbox" and *name the section's
 * name; NULL when there is none.  Borrowed from cfg.
 */
const struct daemon_config_secret *
daemon_config_report_inline_secret(const struct daemon_config *cfg, const char **kind,
				   const char **name);

/* Dump [reports] (always: it has defaults) and every [report_mailbox] (password as <secret>). */
void daemon_config_report_dump(FILE *f, const struct daemon_config *cfg);

/* Free [reports] and the report mailboxes of cfg; passwords are wiped first. */
void daemon_config_report_free(struct daemon_config *cfg);

/* ---- for the daemon ---- */

/* The [report_mailbox] called name, or NULL; borrowed. */
const struct daemon_config_report_mailbox *
daemon_config_find_report_mailbox(const struct daemon_config *cfg, const char *name);

/* Whether addr (an addr-spec, any case) is one of [reports] addresses. */
bool daemon_config_report_is_address(const struct daemon_config *cfg, const char *addr);

/*
 * Whether one of the comma separated addresses in rcpts[0..len) (an inbound
 * row's recipients) is a [reports] address.  Pure.
 */
bool daemon_config_report_rcpts_match(const struct daemon_config *cfg, const char *rcpts);

#endif
