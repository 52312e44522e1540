/*
 * daemon/config: the mailpulsed configuration file, mailpulse.conf(5).
 *
 * What it does: reads one INI file through inih (the only module that
 * includes ini.h), substitutes ${VAR} from the environment ($$ is a literal
 * $), takes every secret inline, from a file (<key>_file) or from a systemd
 * credential (<key>_credential = NAME, read from $CREDENTIALS_DIRECTORY/NAME),
 * validates every value and hands back one plain struct with every default
 * filled in.  Loading is all-or-nothing: on any error nothing is returned
 * and the error text says "FILE:LINE: [section] key: why".  Unknown
 * sections and keys, duplicate sections and keys, and bad values are all
 * errors, so typos are caught at --check-config time.
 *
 * Secrets (the web token, Slack and webhook URLs, the webhook signing
 * secret, the SMTP password) never appear in an error text or in
 * daemon_config_dump(); a config file that holds a secret inline and is
 * readable by group or others is refused, and so is a secret file (or DKIM
 * private key file) readable by others (the message says which chmod to run).
 *
 * What it does not: act on the configuration (the daemon does; for a SIGHUP
 * reload it loads the new file and keeps the old struct when that fails),
 * resolve host names, touch the network, or parse DKIM key files (the
 * posture check does and reports a bad key as a finding).
 *
 * inih (Debian's libinih 55): the library is built with a 200-byte line
 * buffer and 50-byte section names.  This module reads the text through its
 * own line reader (which counts lines, tracks [sections] itself and refuses
 * NUL bytes, control characters and over-long lines with a clear error) and
 * sets the run-time knobs Debian's build exports (ini_max_line and friends)
 * under a lock for every load, so lines up to DAEMON_CONFIG_LINE_MAX bytes
 * work, and lists may also continue on indented lines.
 *
 * References: RFC 3986 3 (URLs), RFC 5321 4.5.3.1 and RFC 5322 3.4.1
 * (addresses), RFC 5890-5891 (IDN, through dns/name), Standard Webhooks 1.0
 * ("whsec_" secrets), systemd.exec(5) (credentials).
 */
#ifndef MAILPULSE_DAEMON_CONFIG_H
#define MAILPULSE_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "common/err.h"
#include "common/log.h"
#include "dns/finding.h"
#include "dns/resolver.h"

#define DAEMON_CONFIG_FILE_MAX (1024 * 1024) /* bytes in the config file */
#define DAEMON_CONFIG_LINE_MAX 8000	     /* bytes on one line */
#define DAEMON_CONFIG_VALUE_MAX 65536	     /* bytes of a value after ${} and continuation */
#define DAEMON_CONFIG_SECRET_FILE_MAX 65536  /* bytes in a *_file, credential or DKIM key */
#define DAEMON_CONFIG_MAX_DOMAINS 10000
#define DAEMON_CONFIG_MAX_ALERTS 64
#define DAEMON_CONFIG_MAX_SELECTORS 32 /* selectors, and DKIM keys, per domain */
#define DAEMON_CONFIG_MAX_RESOLVERS 16
#define DAEMON_CONFIG_MAX_RECIPIENTS 100 /* "to" addresses per e-mail alert */
#define DAEMON_CONFIG_MAX_RELAYS 64	 /* [relay NAME] sections */
#define DAEMON_CONFIG_MAX_SEEDS 64	 /* [seed NAME] sections */
#define DAEMON_CONFIG_MAX_PROBE_TO 16	 /* probe_to items per domain */
#define DAEMON_CONFIG_MAX_ADDRESSES 100	 /* [listener] addresses, trusted_authserv_ids */

/* Where a secret came from (for the dump and for the permission check). */
enum daemon_config_src {
	DAEMON_CONFIG_SRC_NONE,	      /* not configured */
	DAEMON_CONFIG_SRC_INLINE,     /* written in the config file */
	DAEMON_CONFIG_SRC_ENV,	      /* the value used ${VAR} */
	DAEMON_CONFIG_SRC_FILE,	      /* <key>_file = PATH */
	DAEMON_CONFIG_SRC_CREDENTIAL, /* <key>_credential = NAME */
};

struct daemon_config_secret {
	char *value; /* NULL when not configured; one line: no NUL, CR or LF */
	size_t len;
	enum daemon_config_src src;
	char *from;    /* the file path or credential name; NULL otherwise */
	unsigned line; /* line of the key in the config file; 0 when not configured */
};

struct daemon_config_dkim_key {
	char *selector; /* A-label ASCII */
	char *path;	/* absolute path of the PEM private key */
};

/* One item of a domain's probe_to (issue 4). */
struct daemon_config_probe_rcpt {
	char *address; /* addr-spec the probe is sent to: a [listener] address, or the
			  seed box's address */
	char *seed;    /* the [seed] name, or NULL for a listener address */
};

/* The probe keys of a [domain NAME] section (issue 4; see daemon/config_probe). */
struct daemon_config_domain_probe {
	unsigned interval_s; /* seconds between probes; 0 = this domain sends none */
	char *relay;	     /* [relay] name (set whenever interval_s is) */
	char *from;	     /* addr-spec in the domain or below (default mailpulse-probe@NAME) */
	struct daemon_config_probe_rcpt *to; /* at least one when interval_s is set */
	size_t n_to;
	char *sign; /* selector of the domain's dkim_key to sign with; NULL: unsigned */
	/* Lines of the keys (0 when absent), for cross-check messages. */
	unsigned line, relay_line, from_line, to_line, sign_line;
};

/* One [domain NAME] section. */
struct daemon_config_domain {
	char *name;    /* A-label, lower case: what dns_posture_new() takes */
	char *display; /* Unicode form for people */
	char **selectors;
	size_t n_selectors;
	struct daemon_config_dkim_key *dkim_keys;
	size_t n_dkim_keys;
	unsigned interval_s;	  /* seconds between checks ([daemon] check_interval by default) */
	const char *expect_dmarc; /* static "none" | "quarantine" | "reject", or NULL */
	bool discover_selectors;  /* also probe the common ESP selectors (default yes) */
	bool enabled;		  /* no = keep the section but do not check (default yes) */
	unsigned line;		  /* line of the section header */
	struct daemon_config_domain_probe probe;
};

enum daemon_alert_type { DAEMON_ALERT_SLACK, DAEMON_ALERT_WEBHOOK, DAEMON_ALERT_EMAIL };
enum daemon_smtp_tls { DAEMON_SMTP_STARTTLS, DAEMON_SMTP_IMPLICIT, DAEMON_SMTP_NONE };

/* One [alert NAME] section. */
struct daemon_config_alert {
	char *name; /* [A-Za-z0-9._-]{1,64} */
	enum daemon_alert_type type;
	enum dns_sev min_severity; /* SEV_WARN (default) or SEV_CRITICAL */
	unsigned reminder_s;	   /* re-notify while firing; 0 = off (default), else >= 300 */
	unsigned timeout_ms;	   /* one HTTP request or SMTP session (default 10 s) */
	char *ca_file;		   /* PEM bundle to trust instead of the system's; may be NULL */
	bool allow_insecure;	   /* webhook over http://, or e-mail with tls = none */
	/* slack and webhook */
	struct daemon_config_secret url;	    /* required */
	struct daemon_config_secret signing_secret; /* webhook "whsec_...", optional */
	/* Humans the channel reaches (default 1; 0 for e-mail, whose "to" is counted). */
	unsigned people;
	/* email */
	char *smtp_host; /* A-label host name or IP literal */
	unsigned smtp_port;
	enum daemon_smtp_tls smtp_tls;
	char *username;			      /* NULL: no AUTH */
	struct daemon_config_secret password; /* set exactly when username is */
	char *from;			      /* addr-spec, domain in A-labels */
	char **to;			      /* at least one addr-spec */
	size_t n_to;
	unsigned line; /* line of the section header */
};

/* One [relay NAME] section: a submission relay probes are sent through (issue 4). */
struct daemon_config_relay {
	char *name;		  /* [A-Za-z0-9._-]{1,64} */
	char *host;		  /* A-label host name or IP literal */
	unsigned port;		  /* default 587 (starttls), 465 (implicit), 25 (none) */
	enum daemon_smtp_tls tls; /* default starttls */
	char *username;		  /* NULL: no AUTH */
	struct daemon_config_secret password; /* set exactly when username is */
	char *ca_file;			      /* PEM bundle instead of the system's; may be NULL */
	bool allow_insecure;		      /* required for tls = none */
	char *helo;			      /* EHLO name; NULL: the system's host name */
	unsigned timeout_ms;		      /* one SMTP command (default 60 s) */
	unsigned line;			      /* line of the section header */
};

/* One [seed NAME] section: an IMAP mailbox probes are sent to (issue 4). */
struct daemon_config_seed {
	char *name;		  /* [A-Za-z0-9._-]{1,64} */
	char *host;		  /* A-label host name or IP literal */
	unsigned port;		  /* default 993 (implicit), 143 (starttls) */
	enum daemon_smtp_tls tls; /* DAEMON_SMTP_IMPLICIT (default) or DAEMON_SMTP_STARTTLS */
	char *username;		  /* required */
	struct daemon_config_secret password; /* required */
	char *ca_file;			      /* may be NULL */
	char *address;			      /* the box's addr-spec: probes go there */
	char *inbox;			      /* folder of wanted mail (default "INBOX") */
	char *spam;			      /* the spam folder (default "Junk") */
	unsigned poll_interval_s;	      /* default 120 */
	bool delete_found;		      /* delete probes once read (default yes) */
	unsigned timeout_ms;		      /* one IMAP session (default 60 s) */
	unsigned line;			      /* line of the section header */
};

/* One [report_mailbox NAME] section: an IMAP mailbox rua/ruf/TLS-RPT mail is
   fetched from (issue 5).  Every message in folder is read; reports are
   ingested, and each message is deleted once stored (delete = yes). */
struct daemon_config_report_mailbox {
	char *name;		  /* [A-Za-z0-9._-]{1,64} */
	char *host;		  /* A-label host name or IP literal */
	unsigned port;		  /* default 993 (implicit), 143 (starttls) */
	enum daemon_smtp_tls tls; /* DAEMON_SMTP_IMPLICIT (default) or DAEMON_SMTP_STARTTLS */
	char *username;		  /* required */
	struct daemon_config_secret password; /* required */
	char *ca_file;			      /* may be NULL */
	char *folder;			      /* default "INBOX" */
	unsigned poll_interval_s;	      /* default 300 */
	bool delete_read;		      /* delete messages once stored (default yes) */
	unsigned timeout_ms;		      /* one IMAP session (default 60 s) */
	unsigned line;			      /* line of the section header */
};

struct daemon_config {
	char *source; /* the file name (or the name given to load_string) */
	struct {
		char *state_dir; /* absolute path (default /var/lib/mailpulse) */
		enum log_level log_level;
		char *trace;		    /* subsystems to trace ("dns,spf", "all"), or NULL */
		unsigned check_interval_s;  /* default for domains (default 120) */
		unsigned jitter_s;	    /* random delay added to each run (default 10) */
		unsigned failure_threshold; /* failures in a row before firing (default 2) */
		unsigned success_threshold; /* successes in a row before resolving (default 2) */
		unsigned group_wait_s;	    /* wait before the first message of a burst (30) */
	} daemon;
	struct {
		char **resolvers; /* "IP", "IP:PORT", "[IPv6]:PORT"; none: /etc/resolv.conf */
		size_t n_resolvers;
		/* Ready for dns_resolver_new(); servers point into resolvers. */
		struct dns_resolver_opts opts;
	} dns;
	struct {
		char *listen_addr;    /* IP literal, no brackets (default 127.0.0.1) */
		unsigned listen_port; /* default 8025 */
		struct daemon_config_secret
		    token;			 /* bearer token; unset: no state changes by HTTP */
		char *public_url;		 /* base URL for links in alerts, or NULL */
		unsigned refresh_s;		 /* status page meta refresh (default 60) */
		unsigned max_connections;	 /* default 64 */
		unsigned max_connections_per_ip; /* default 16 */
		unsigned connection_timeout_s;	 /* default 30 */
	} web;
	struct daemon_config_domain *domains; /* in file order */
	size_t n_domains;
	struct daemon_config_alert *alerts; /* in file order */
	size_t n_alerts;
	/* [listener]: the inbound SMTP listener (issue 4); off unless the section is there. */
	struct {
		bool enabled;		  /* the section is present */
		char *listen_addr;	  /* IP literal without brackets (default 127.0.0.1) */
		unsigned listen_port;	  /* default 25 */
		char *hostname;		  /* required: greeting, Received:, authserv-id default */
		char *tls_cert;		  /* PEM chain; set exactly when tls_key is: STARTTLS */
		char *tls_key;		  /* PEM private key, not readable by others */
		size_t max_message;	  /* bytes (default 10 MiB, at most 100 MiB) */
		unsigned max_connections; /* default 32 */
		unsigned max_per_ip;	  /* default 8 */
		unsigned idle_timeout_s;  /* default 300 */
		char **addresses; /* extra accepted recipients (addr-specs, A-label domains) */
		size_t n_addresses;
		char *authserv_id;	     /* of our Authentication-Results (default hostname) */
		char **trusted_authserv_ids; /* upstream A-R we believe (lower case) */
		size_t n_trusted_authserv_ids;
		unsigned line; /* line of the section header; 0 when absent */
	} listener;
	/* [probe]: global probe settings (issue 4). */
	struct {
		char *bounce_domain; /* VERP domain, A-label; NULL when not set */
		char *verp_local;    /* VERP local part prefix (default "bounce") */
		unsigned timeout_s;  /* not back by then: lost (default 900) */
		unsigned keep;	     /* probes kept per domain (default 200) */
		unsigned line;	     /* line of the section header; 0 when absent */
	} probe;
	struct daemon_config_relay *relays; /* in file order */
	size_t n_relays;
	struct daemon_config_seed *seeds; /* in file order */
	size_t n_seeds;
	/* [reports]: DMARC aggregate / failure and TLS-RPT report ingest (issue 5).
	   Ingest from the listener and the API works with the defaults even
	   without the section. */
	struct {
		char **addresses; /* rua/ruf/TLS-RPT addresses the listener accepts (addr-specs) */
		size_t n_addresses;
		char *drop_dir;	      /* watched directory, or NULL (default: none) */
		unsigned drop_interval_s; /* default 30 */
		char *quarantine_dir; /* default <state_dir>/quarantine */
		size_t max_size;      /* decompressed bytes of one report (default 64 MiB) */
		unsigned max_ratio;   /* decompressed / compressed (default 100) */
		size_t max_api_body;  /* POST /api/v1/reports body (default 16 MiB) */
		double compliance_floor;    /* 7-day DMARC pass ratio alert floor (default 0.95) */
		double recommend_threshold; /* pass ratio for move-to-enforcement (default 0.99) */
		unsigned recommend_days;    /* days it must hold (default 30) */
		uint64_t unknown_min_messages; /* a new unknown source alerts from (default 50) */
		unsigned new_source_days;      /* "new" = first seen this recently (default 7) */
		unsigned keep_days;	       /* reports kept (default 400) */
		unsigned line;		       /* line of the section header; 0 when absent */
		unsigned addresses_line;       /* line of addresses; 0 when absent */
	} reports;
	struct daemon_config_report_mailbox *report_mailboxes; /* in file order */
	size_t n_report_mailboxes;
};

/*
 * What load_string() may look at instead of the process: tests and fuzzing
 * inject everything here.  Every member may be NULL/zero.
 */
struct daemon_config_env {
	/* ${NAME}: the value, or NULL when NAME is not defined.  NULL: nothing is. */
	const char *(*getvar)(void *ctx, const char *name);
	/*
	 * Read a secret file, credential or DKIM key file: *data (xmalloc'd,
	 * NUL-terminated) and *len on success, else an error with why filled
	 * (never file content).  NULL: the real file, which must be a regular
	 * file of at most DAEMON_CONFIG_SECRET_FILE_MAX bytes not readable by
	 * others.
	 */
	enum mp_err (*read_file)(void *ctx, const char *path, char **data, size_t *len, char *why,
				 size_t whysz);
	void *ctx;		     /* passed to both callbacks */
	const char *credentials_dir; /* $CREDENTIALS_DIRECTORY; NULL: credentials are errors */
	const char *base_dir;	     /* relative paths are relative to it; NULL: refused */
};

/*
 * Load the config file at path: at most DAEMON_CONFIG_FILE_MAX bytes, ${VAR}
 * from the process environment, credentials from $CREDENTIALS_DIRECTORY,
 * relative paths against the file's directory; refused when it holds an
 * inline secret and is readable by group or others.
 * ERR_OK: *out is set (free with daemon_config_free()).  Otherwise *out is
 * untouched and err (size errsz, always NUL-terminated when errsz > 0) says
 * why: ERR_IO (cannot read), ERR_LIMIT (too large), ERR_INVAL (anything
 * wrong inside).  Thread-safe; secrets never appear in err.
 */
enum mp_err daemon_config_load(const char *path, struct daemon_config **out, char *err,
			       size_t errsz) MP_WUR;

/*
 * The same over text[0..len) (may hold any bytes), with name standing for
 * the file name in messages and env for the world outside (NULL: nothing
 * defined, no credentials, real files, relative paths refused).  No
 * permission check of the text itself.  Same results as daemon_config_load().
 */
enum mp_err daemon_config_load_string(const char *text, size_t len, const char *name,
				      const struct daemon_config_env *env,
				      struct daemon_config **out, char *err, size_t errsz) MP_WUR;

/* Free cfg and everything it owns; secrets are wiped first.  NULL is a no-op. */
void daemon_config_free(struct daemon_config *cfg);

/*
 * Write the effective configuration (every key, defaults included) to f in
 * the file's own syntax, with every secret shown as <secret> and its origin
 * in a comment (for `mailpulsed --check-config -v`).
 */
void daemon_config_dump(FILE *f, const struct daemon_config *cfg);

/* The [domain] whose A-label name equals name (case-insensitive), or NULL; borrowed. */
const struct daemon_config_domain *daemon_config_find_domain(const struct daemon_config *cfg,
							     const char *name);
/*
 * Write secret s as "key = <secret>" after a comment saying where it came
 * from (or "# key: not set"): the dump's form of every secret.
 */
void daemon_config_dump_secret(FILE *f, const char *key, const struct daemon_config_secret *s);

/* The [alert] called name, or NULL; borrowed. */
const struct daemon_config_alert *daemon_config_find_alert(const struct daemon_config *cfg,
							   const char *name);

/*
 * How many distinct humans the alert channels reach: the distinct e-mail
 * addresses over every e-mail alert's "to" (compared case-insensitively)
 * plus the "people" of every Slack and webhook alert.
 */
unsigned daemon_config_people_reached(const struct daemon_config *cfg);

/*
 * The launch-ready findings about the alert path of the monitored domain
 * (A-label; NULL: only the findings that do not depend on a domain),
 * appended to out with check "alerts", severity warn:
 *   ALERT_SINGLE_RECIPIENT  daemon_config_people_reached() < 2;
 *   ALERT_SHARES_FATE       there is at least one alert and every one is
 *                           e-mail whose From domain, or whose SMTP host,
 *                           is domain or a name under it: when mail of
 *                           that domain breaks, so do its alerts.
 * Pure; appends nothing when all is well.
 */
void daemon_config_readiness(const struct daemon_config *cfg, const char *domain,
			     struct dns_findings *out);

#endif
