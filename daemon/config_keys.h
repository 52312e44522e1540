/*
 * daemon/config_keys: the machinery daemon/config_sections reads sections
 * with.  A section is described by a table of keys; each key has a type
 * (path, duration, number, boolean, secret) with its bounds, or a function
 * of its own.  This module looks keys up (a secret KEY also answers to
 * KEY_file and KEY_credential), refuses unknown keys (with a "did you mean"),
 * duplicates and keys that do not apply to an alert's type, substitutes
 * ${VAR}, reads secret files and credentials, and writes every error as
 * "FILE:LINE: [section] key: why".
 *
 * It also holds the value checks several sections share (lists, choices,
 * host names, addresses, TLS modes, private key files), with their error
 * texts, so that every section words the same mistake the same way.
 *
 * What it does not: know which sections and keys exist (config_sections
 * and config_probe do) or echo a value it was not told is safe to show:
 * the value of a secret, unknown or misplaced key never enters a message.
 */
#ifndef MAILPULSE_DAEMON_CONFIG_KEYS_H
#define MAILPULSE_DAEMON_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "daemon/config.h"
#include "daemon/config_sections.h"
#include "daemon/config_values.h"

/* Key flags: a list (may continue on indented lines); the alert types it applies to. */
enum { CK_LIST = 1, CK_SLACK = 2, CK_WEBHOOK = 4, CK_EMAIL = 8 };
#define CK_TYPES (CK_SLACK | CK_WEBHOOK | CK_EMAIL)
#define CK_SEC 1000ULL /* durations are in milliseconds */
#define CK_MAX_KEYS 20 /* keys in one table at most */

enum daemon_config_ktype { CK_PATH, CK_DUR_S, CK_DUR_MS, CK_UINT, CK_BOOL, CK_SECRET, CK_FN };
/* How a secret was given: KEY, KEY_file or KEY_credential. */
enum daemon_config_form { CK_PLAIN, CK_FILE, CK_CRED };

struct daemon_config_pctx;
/* A key with a syntax of its own: store v (expanded, not empty) into obj. */
typedef enum mp_err (*daemon_config_key_fn)(struct daemon_config_pctx *p,
					    const struct daemon_config_entry *e, const char *v,
					    void *obj);

struct daemon_config_keydef {
	const char *name;
	enum daemon_config_ktype type;
	unsigned flags;
	size_t off;	   /* the field in obj (CK_FN: unused): char *, unsigned, bool, secret */
	uint64_t min, max; /* CK_UINT: the value; CK_DUR_*: milliseconds */
	daemon_config_key_fn fn;
};

/* The state of one build (owned by config_sections). */
struct daemon_config_pctx {
	const char *file;
	const struct daemon_config_env *env;
	char *err;
	size_t errsz;
	const struct daemon_config_rawsec *sec; /* the section being read */
	const char *kind, *name;		/* the section messages name */
	char kindbuf[64], namebuf[300];
	struct daemon_config *cfg;
	unsigned type_flag;	    /* CK_SLACK... of the alert being read; 0 otherwise */
	unsigned seen[CK_MAX_KEYS]; /* line of each key of the section just read; 0 = absent */
	unsigned main_line[3];	    /* lines of [daemon], [dns], [web] */
};

/*
 * Write "FILE:LINE: [kind name] key: message" into p->err (key may be NULL,
 * and without a section only the key is named).  Returns ERR_INVAL.
 */
enum mp_err daemon_config_keys_err(struct daemon_config_pctx *p, unsigned line, const char *key,
				   const char *fmt, ...) MP_PRINTF(4, 5);

/* The section later messages name; escape: kind and name are as written (shown escaped). */
void daemon_config_keys_section(struct daemon_config_pctx *p, const char *kind, const char *name,
				bool escape);

/* A value that may be shown: quoted, escaped, cut; written into buf. */
const char *daemon_config_keys_shown(const char *v, char buf[100]);

/* v as an absolute path (relative ones against env->base_dir) in *out (caller frees). */
enum mp_err daemon_config_keys_path(struct daemon_config_pctx *p,
				    const struct daemon_config_entry *e, const char *v,
				    char **out) MP_WUR;

/* A duration within kd's bounds into *dst (seconds for CK_DUR_S, else ms). */
enum mp_err daemon_config_keys_duration(struct daemon_config_pctx *p,
					const struct daemon_config_keydef *kd,
					const struct daemon_config_entry *e, const char *v,
					unsigned *dst) MP_WUR;

/* Read a secret or key file through env->read_file or the real file system. */
enum mp_err daemon_config_keys_read_file(struct daemon_config_pctx *p,
					 const struct daemon_config_entry *e, const char *path,
					 char **data, size_t *len) MP_WUR;

/* Substitute ${} in e's value and store it by kd into obj. */
enum mp_err daemon_config_keys_read_entry(struct daemon_config_pctx *p,
					  const struct daemon_config_keydef *kd,
					  enum daemon_config_form form,
					  const struct daemon_config_entry *e, void *obj) MP_WUR;

/* Every entry of p->sec by the table t[0..n) into obj; p->seen gets their lines. */
enum mp_err daemon_config_keys_read_all(struct daemon_config_pctx *p,
					const struct daemon_config_keydef *t, size_t n,
					void *obj) MP_WUR;

/* The line of key in the section just read (0 when absent). */
unsigned daemon_config_keys_seen_line(const struct daemon_config_pctx *p,
				      const struct daemon_config_keydef *t, size_t n,
				      const char *key);

/* ---- value checks shared by several sections (errors name e's line and key) ---- */

/*
 * Split list v into *items, *n (caller frees with daemon_config_values_strv_free()).
 * ERR_INVAL with "at most MAX WHAT" or "the list is empty".
 */
enum mp_err daemon_config_keys_split(struct daemon_config_pctx *p,
				     const struct daemon_config_entry *e, const char *v, size_t max,
				     const char *what, char ***items, size_t *n) MP_WUR;

/* Match v against names[0..n): the index, or -1. */
int daemon_config_keys_pick(const char *v, const char *const *names, int n);

/*
 * An SMTP/IMAP TLS mode into *out: starttls, implicit and (when allow_none) none.
 * ERR_INVAL names the accepted modes.
 */
enum mp_err daemon_config_keys_tls(struct daemon_config_pctx *p,
				   const struct daemon_config_entry *e, const char *v,
				   bool allow_none, enum daemon_smtp_tls *out) MP_WUR;

/* A host name or IP literal (daemon_config_values_host()) into *dst (caller frees). */
enum mp_err daemon_config_keys_host(struct daemon_config_pctx *p,
				    const struct daemon_config_entry *e, const char *v,
				    char **dst) MP_WUR;

/*
 * A listen address, "IP", "IP:PORT" or "[IPv6]:PORT": *addr replaced by the
 * address (without brackets; the old one freed), *port set only when a port
 * was given.
 */
enum mp_err daemon_config_keys_listen(struct daemon_config_pctx *p,
				      const struct daemon_config_entry *e, const char *v,
				      char **addr, unsigned *port) MP_WUR;

/* An addr-spec, normalized (local@a-label), into *out (caller frees). */
enum mp_err daemon_config_keys_email(struct daemon_config_pctx *p,
				     const struct daemon_config_entry *e, const char *v,
				     char **out) MP_WUR;

/*
 * A list of at most max addr-specs (what names them in the cap's message),
 * none twice (case-insensitive), into *out, *nout (both start empty; the
 * items parsed so far stay there on error, for the caller's free).
 */
enum mp_err daemon_config_keys_email_list(struct daemon_config_pctx *p,
					  const struct daemon_config_entry *e, const char *v,
					  size_t max, const char *what, char ***out,
					  size_t *nout) MP_WUR;

/*
 * A private key file (TLS or DKIM): v as a path into *path (caller frees),
 * and the file must be there and not readable by others (its bytes are
 * wiped and freed at once).
 */
enum mp_err daemon_config_keys_private_file(struct daemon_config_pctx *p,
					    const struct daemon_config_entry *e, const char *v,
					    char **path) MP_WUR;

/* A user name (one line of at most 256 printable bytes) into *dst (caller frees). */
enum mp_err daemon_config_keys_username(struct daemon_config_pctx *p,
					const struct daemon_config_entry *e, const char *v,
					char **dst) MP_WUR;

/*
 * An IMAP folder name (RFC 3501 5.1: at most 200 printable bytes, no
 * wildcards, quotes or backslashes) into *dst (the old one freed; caller
 * frees).
 */
enum mp_err daemon_config_keys_folder(struct daemon_config_pctx *p,
				      const struct daemon_config_entry *e, const char *v,
				      char **dst) MP_WUR;

/* Whether name (NUL-terminated, may be NULL) is [A-Za-z0-9._-]{0,64}. */
bool daemon_config_keys_name_ok(const char *name);

/*
 * Whether the section just opened (p->sec) may become the next [KIND NAME]
 * of n so far (at most max): its name is [A-Za-z0-9._-]{1,64} (example: a
 * valid header for the message, "[seed main]"), no earlier section has it
 * (dup_line: that section's line, 0 when none).  ERR_INVAL says which.
 */
enum mp_err daemon_config_keys_new_named(struct daemon_config_pctx *p, size_t n, size_t max,
					 const char *kind, const char *example,
					 unsigned dup_line) MP_WUR;

/*
 * The end of an IMAP mailbox section ([seed], [report_mailbox]) at line:
 * host, username and password are required; *port defaults to 143 for
 * STARTTLS, else 993.  All borrowed; ERR_INVAL says what is missing.
 */
enum mp_err daemon_config_keys_imap_finish(struct daemon_config_pctx *p, unsigned line,
					   const char *host, const char *username,
					   const struct daemon_config_secret *password,
					   enum daemon_smtp_tls tls, unsigned *port) MP_WUR;

#endif
