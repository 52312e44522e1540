/*
 * daemon/config_keys: reading a section by its table of keys (see the
 * header): lookup, duplicates, ${VAR}, typed values, secrets from files and
 * credentials, and the error texts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "common/log.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "daemon/config_keys.h"
#include "daemon/config_values.h"

/* ---- errors ---- */

enum mp_err daemon_config_keys_err(struct daemon_config_pctx *p, unsigned line, const char *key,
				   const char *fmt, ...)
{
	char msg[768], where[400], kq[80] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (key != NULL) /* an unknown key is shown as written: escape it */
		common_log_quote(kq, sizeof kq, key, strlen(key));
	if (p->kind == NULL)
		snprintf(where, sizeof where, "%s", kq);
	else
		snprintf(where, sizeof where, "[%.60s%s%.256s]%s%s", p->kind, p->name ? " " : "",
			 p->name ? p->name : "", key ? " " : "", kq);
	snprintf(p->err, p->errsz, "%s:%u: %s%s%s", p->file, line, where, where[0] ? ": " : "",
		 msg);
	return ERR_INVAL;
}

void daemon_config_keys_section(struct daemon_config_pctx *p, const char *kind, const char *name,
				bool escape)
{
	p->kind = kind;
	p->name = name;
	if (kind != NULL && escape)
		p->kind = common_log_quote(p->kindbuf, sizeof p->kindbuf, kind, strlen(kind));
	if (name != NULL && escape)
		p->name = common_log_quote(p->namebuf, sizeof p->namebuf, name, strlen(name));
}

const char *daemon_config_keys_shown(const char *v, char buf[100])
{
	char q[90];

	snprintf(buf, 100, "'%s'", common_log_quote(q, sizeof q, v, strlen(v)));
	return buf;
}

/* ---- typed keys ---- */

enum mp_err daemon_config_keys_path(struct daemon_config_pctx *p,
				    const struct daemon_config_entry *e, const char *v, char **out)
{
	char sb[100];

	if (strlen(v) > 4000)
		return daemon_config_keys_err(p, e->line, e->key, "path is longer than 4000 bytes");
	if (v[0] == '/')
		*out = xstrdup(v);
	else if (p->env->base_dir != NULL)
		*out = xasprintf("%s/%s", p->env->base_dir, v);
	else
		return daemon_config_keys_err(p, e->line, e->key, "%s must be an absolute path",
					      daemon_config_keys_shown(v, sb));
	return ERR_OK;
}

enum mp_err daemon_config_keys_duration(struct daemon_config_pctx *p,
					const struct daemon_config_keydef *kd,
					const struct daemon_config_entry *e, const char *v,
					unsigned *dst)
{
	char b1[32], b2[32], sb[100];
	const char *why;
	uint64_t ms;

	if (daemon_config_values_duration(v, &ms, &why) != ERR_OK)
		return daemon_config_keys_err(p, e->line, e->key, "%s %s",
					      daemon_config_keys_shown(v, sb), why);
	if (ms < kd->min || ms > kd->max)
		return daemon_config_keys_err(p, e->line, e->key, "%s must be from %s to %s",
					      daemon_config_keys_shown(v, sb),
					      daemon_config_values_duration_text(kd->min, b1),
					      daemon_config_values_duration_text(kd->max, b2));
	if (kd->type == CK_DUR_S && ms % CK_SEC != 0)
		return daemon_config_keys_err(p, e->line, e->key, "%s must be whole seconds",
					      daemon_config_keys_shown(v, sb));
	*dst = (unsigned)(kd->type == CK_DUR_S ? ms / CK_SEC : ms);
	return ERR_OK;
}

static enum mp_err set_uint(struct daemon_config_pctx *p, const struct daemon_config_keydef *kd,
			    const struct daemon_config_entry *e, const char *v, unsigned *dst)
{
	const char *why;
	char sb[100];
	uint64_t n;

	if (daemon_config_values_uint(v, kd->min, kd->max, &n, &why) != ERR_OK)
		return daemon_config_keys_err(
		    p, e->line, e->key, "%s %s (%llu to %llu)", daemon_config_keys_shown(v, sb),
		    why, (unsigned long long)kd->min, (unsigned long long)kd->max);
	*dst = (unsigned)n;
	return ERR_OK;
}

/* Read a secret file or credential through env (or the real file system). */
enum mp_err daemon_config_keys_read_file(struct daemon_config_pctx *p,
					 const struct daemon_config_entry *e, const char *path,
					 char **data, size_t *len)
{
	char why[600];
	enum mp_err rc;

	why[0] = '\0';
	if (p->env->read_file != NULL)
		rc = p->env->read_file(p->env->ctx, path, data, len, why, sizeof why);
	else
		rc = daemon_config_values_read_file(path, DAEMON_CONFIG_SECRET_FILE_MAX, true, data,
						    len, NULL, why, sizeof why);
	if (rc != ERR_OK)
		return daemon_config_keys_err(p, e->line, e->key, "%s",
					      why[0] ? why : "cannot read the file");
	return ERR_OK;
}

/* A credential NAME: one path component. */
static bool credential_name_ok(const char *v)
{
	size_t len = strlen(v);

	return len > 0 && len <= 255 && strchr(v, '/') == NULL && strcmp(v, ".") != 0 &&
	       strcmp(v, "..") != 0 && common_str_is_printable(v, len);
}

/* The secret's bytes from <key>_file or <key>_credential, trailing newlines stripped. */
static enum mp_err secret_from_file(struct daemon_config_pctx *p,
				    const struct daemon_config_entry *e,
				    enum daemon_config_form form, const char *v,
				    struct daemon_config_secret *s)
{
	char *path = NULL;
	enum mp_err rc;

	if (form == CK_FILE) {
		rc = daemon_config_keys_path(p, e, v, &path);
		if (rc != ERR_OK)
			return rc;
	} else if (!credential_name_ok(v)) {
		return daemon_config_keys_err(p, e->line, e->key,
					      "a credential name is one file name (no '/')");
	} else if (p->env->credentials_dir == NULL) {
		return daemon_config_keys_err(
		    p, e->line, e->key,
		    "$CREDENTIALS_DIRECTORY is not set: credentials come from systemd "
		    "(LoadCredential=%s:/path or LoadCredentialEncrypted=)",
		    v);
	} else {
		path = xasprintf("%s/%s", p->env->credentials_dir, v);
	}
	rc = daemon_config_keys_read_file(p, e, path, &s->value, &s->len);
	if (rc == ERR_OK) {
		while (s->len > 0 && (s->value[s->len - 1] == '\n' || s->value[s->len - 1] == '\r'))
			s->value[--s->len] = '\0';
		s->src = form == CK_FILE ? DAEMON_CONFIG_SRC_FILE : DAEMON_CONFIG_SRC_CREDENTIAL;
		s->from = form == CK_FILE ? path : xstrdup(v);
		path = form == CK_FILE ? NULL : path;
	}
	free(path);
	return rc;
}

static enum mp_err set_secret(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
			      enum daemon_config_form form, const char *v, bool used_var,
			      struct daemon_config_secret *s)
{
	enum mp_err rc = ERR_OK;

	if (form == CK_PLAIN) {
		s->len = strlen(v);
		s->value = xmemdup0(v, s->len);
		s->src = used_var ? DAEMON_CONFIG_SRC_ENV : DAEMON_CONFIG_SRC_INLINE;
	} else {
		rc = secret_from_file(p, e, form, v, s);
		if (rc != ERR_OK)
			return rc;
	}
	s->line = e->line;
	if (s->len == 0)
		return daemon_config_keys_err(p, e->line, e->key, "the secret is empty");
	if (memchr(s->value, '\0', s->len) || strpbrk(s->value, "\r\n"))
		return daemon_config_keys_err(p, e->line, e->key,
					      "the secret must be one line (no NUL or line break)");
	return ERR_OK;
}

/* ---- sections ---- */

/* The key definition for key in table (also <key>_file, <key>_credential of secrets). */
static const struct daemon_config_keydef *find_key(const struct daemon_config_keydef *t, size_t n,
						   const char *key, enum daemon_config_form *form)
{
	size_t klen = strlen(key);

	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(t[i].name);

		*form = CK_PLAIN;
		if (strcmp(key, t[i].name) == 0)
			return &t[i];
		if (t[i].type != CK_SECRET || klen <= len || memcmp(key, t[i].name, len) != 0)
			continue;
		*form = strcmp(key + len, "_file") == 0		? CK_FILE
			: strcmp(key + len, "_credential") == 0 ? CK_CRED
								: CK_PLAIN;
		if (*form != CK_PLAIN)
			return &t[i];
	}
	return NULL;
}

static enum mp_err unknown_key(struct daemon_config_pctx *p, const struct daemon_config_entry *e,
			       const struct daemon_config_keydef *t, size_t n)
{
	const char *best = NULL;
	unsigned bestd = 3;

	for (size_t i = 0; i < n; i++) {
		unsigned d = daemon_config_values_distance(e->key, t[i].name);

		if (d < bestd) {
			bestd = d;
			best = t[i].name;
		}
	}
	if (best != NULL)
		return daemon_config_keys_err(p, e->line, e->key,
					      "unknown key (did you mean '%s'?)", best);
	return daemon_config_keys_err(p, e->line, e->key, "unknown key in this section");
}

static const char *type_names(unsigned flags)
{
	switch (flags & CK_TYPES) {
	case CK_SLACK | CK_WEBHOOK:
		return "slack and webhook";
	case CK_WEBHOOK | CK_EMAIL:
		return "webhook and email";
	case CK_WEBHOOK:
		return "webhook";
	case CK_EMAIL:
		return "email";
	}
	return "slack";
}

/* Store the expanded value v of e by the type of kd. */
static enum mp_err apply(struct daemon_config_pctx *p, const struct daemon_config_keydef *kd,
			 enum daemon_config_form form, const struct daemon_config_entry *e,
			 const char *v, bool used, void *obj)
{
	char *field = (char *)obj + kd->off, sb[100];

	switch (kd->type) {
	case CK_PATH:
		free(*(char **)(void *)field);
		*(char **)(void *)field = NULL;
		return daemon_config_keys_path(p, e, v, (char **)(void *)field);
	case CK_DUR_S:
	case CK_DUR_MS:
		return daemon_config_keys_duration(p, kd, e, v, (unsigned *)(void *)field);
	case CK_UINT:
		return set_uint(p, kd, e, v, (unsigned *)(void *)field);
	case CK_BOOL:
		if (daemon_config_values_bool(v, (bool *)(void *)field) != ERR_OK)
			return daemon_config_keys_err(p, e->line, e->key, "%s is not yes or no",
						      daemon_config_keys_shown(v, sb));
		return ERR_OK;
	case CK_SECRET:
		return set_secret(p, e, form, v, used,
				  (struct daemon_config_secret *)(void *)field);
	case CK_FN:
		break;
	}
	return kd->fn(p, e, v, obj);
}

/* Expand ${} in e and apply it. */
enum mp_err daemon_config_keys_read_entry(struct daemon_config_pctx *p,
					  const struct daemon_config_keydef *kd,
					  enum daemon_config_form form,
					  const struct daemon_config_entry *e, void *obj)
{
	char why[256], *v = NULL;
	bool used = false;
	enum mp_err rc;

	if (e->continued && !(kd->flags & CK_LIST))
		return daemon_config_keys_err(
		    p, e->line, e->key,
		    "only lists continue on indented lines (is the next key indented?)");
	if (daemon_config_values_expand(e->value, p->env->getvar, p->env->ctx,
					DAEMON_CONFIG_VALUE_MAX, &v, &used, why,
					sizeof why) != ERR_OK)
		return daemon_config_keys_err(p, e->line, e->key, "%s", why);
	if (v[0] == '\0')
		rc = daemon_config_keys_err(p, e->line, e->key,
					    "no value (remove the line to use the default)");
	else
		rc = apply(p, kd, form, e, v, used, obj);
	explicit_bzero(v, strlen(v));
	free(v);
	return rc;
}

/* Every entry of the current section, by table t, into obj. */
enum mp_err daemon_config_keys_read_all(struct daemon_config_pctx *p,
					const struct daemon_config_keydef *t, size_t n, void *obj)
{
	const struct daemon_config_rawsec *s = p->sec;

	memset(p->seen, 0, sizeof p->seen);
	for (size_t i = 0; i < s->n; i++) {
		const struct daemon_config_entry *e = &s->v[i];
		enum daemon_config_form form;
		const struct daemon_config_keydef *kd = find_key(t, n, e->key, &form);
		size_t k;
		enum mp_err rc;

		if (kd == NULL)
			return unknown_key(p, e, t, n);
		k = (size_t)(kd - t);
		if (p->seen[k] != 0 && kd->type == CK_SECRET)
			return daemon_config_keys_err(
			    p, e->line, e->key,
			    "%s is already given at line %u (use one of %s, %s_file, "
			    "%s_credential)",
			    kd->name, p->seen[k], kd->name, kd->name, kd->name);
		if (p->seen[k] != 0)
			return daemon_config_keys_err(
			    p, e->line, e->key, "duplicate key (first at line %u)", p->seen[k]);
		p->seen[k] = e->line;
		if ((kd->flags & CK_TYPES) && p->type_flag && !(kd->flags & p->type_flag))
			return daemon_config_keys_err(
			    p, e->line, e->key, "applies to %s alerts only", type_names(kd->flags));
		rc = daemon_config_keys_read_entry(p, kd, form, e, obj);
		if (rc != ERR_OK)
			return rc;
	}
	return ERR_OK;
}

/* Line of key in the section just read (0 when absent). */
unsigned daemon_config_keys_seen_line(const struct daemon_config_pctx *p,
				      const struct daemon_config_keydef *t, size_t n,
				      const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].name, key) == 0)
			return p->seen[i];
	return 0;
}

/* ---- value checks shared by several sections ---- */

enum mp_err daemon_config_keys_split(struct daemon_config_pctx *p,
				     const struct daemon_config_entry *e, const char *v, size_t max,
				     const char *what, char ***items, size_t *n)
{
	enum mp_err rc = daemon_config_values_split(v, max, items, n);

	if (rc == ERR_LIMIT)
		return daemon_config_keys_err(p, e->line, e->key, "at most %zu %s", max, what);
	if (rc != ERR_OK)
		return daemon_config_keys_err(p, e->line, e->key, "the list is empty");
	return ERR_OK;
}

int daemon_config_keys_pick(const char *v, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0)
			return i;
	return -1;
}

enum mp_err daemon_config_keys_tls(struct daemon_config_pctx *p,
				   const struct daemon_config_entry *e, const char *v,
				   bool allow_none, enum daemon_smtp_tls *out)
{
	/* In the order of enum daemon_smtp_tls. */
	static const char *const modes[] = {"starttls", "implicit", "none"};
	int i = daemon_config_keys_pick(v, modes, allow_none ? 3 : 2);
	char sb[100];

	if (i < 0)
		return daemon_config_keys_err(
		    p, e->line, e->key, "%s is not one of %s", daemon_config_keys_shown(v, sb),
		    allow_none ? "starttls, implicit, none" : "implicit, starttls");
	*out = (enum daemon_smtp_tls)i;
	return ERR_OK;
}

enum mp_err daemon_config_keys_host(struct daemon_config_pctx *p,
				    const struct daemon_config_entry *e, const char *v, char **dst)
{
	const char *why;
	char sb[100];

	if (daemon_config_values_host(v, dst, &why) != ERR_OK)
		return daemon_config_keys_err(p, e->line, e->key, "%s %s",
					      daemon_config_keys_shown(v, sb), why);
	return ERR_OK;
}

enum mp_err daemon_config_keys_listen(struct daemon_config_pctx *p,
				      const struct daemon_config_entry *e, const char *v,
				      char **addr, unsigned *port)
{
	char host[DAEMON_CONFIG_IP_BUFSZ], sb[100];
	const char *why;
	unsigned n;

	if (daemon_config_values_ipport(v, host, &n, &why) != ERR_OK)
		return daemon_config_keys_err(p, e->line, e->key, "%s %s",
					      daemon_config_keys_shown(v, sb), why);
	free(*addr);
	*addr = xstrdup(host);
	if (n != 0)
		*port = n;
	return ERR_OK;
}

enum mp_err daemon_config_keys_email(struct daemon_config_pctx *p,
				     const struct daemon_config_entry *e, const char *v, char **out)
{
	const char *why;
	char sb[100];

	if (daemon_config_values_email(v, out, &why) != ERR_OK)
		return daemon_config_keys_err(p, e->line, e->key, "%s %s",
					      daemon_config_keys_shown(v, sb), why);
	return ERR_OK;
}

enum mp_err daemon_config_keys_email_list(struct daemon_config_pctx *p,
					  const struct daemon_config_entry *e, const char *v,
					  size_t max, const char *what, char ***out, size_t *nout)
{
	char **items = NULL;
	size_t n = 0;
	enum mp_err rc;

	if (daemon_config_keys_split(p, e, v, max, what, &items, &n) != ERR_OK)
		return ERR_INVAL;
	*out = xcalloc(n, sizeof **out);
	for (rc = ERR_OK; rc == ERR_OK && *nout < n; (*nout)++) {
		rc = daemon_config_keys_email(p, e, items[*nout], &(*out)[*nout]);
		if (rc != ERR_OK)
			break;
		for (size_t j = 0; rc == ERR_OK && j < *nout; j++)
			if (strcasecmp((*out)[j], (*out)[*nout]) == 0)
				rc = daemon_config_keys_err(p, e->line, e->key,
							    "%s is listed twice", (*out)[j]);
	}
	daemon_config_values_strv_free(items, n);
	return rc;
}

enum mp_err daemon_config_keys_private_file(struct daemon_config_pctx *p,
					    const struct daemon_config_entry *e, const char *v,
					    char **path)
{
	char *data = NULL;
	size_t len = 0;
	enum mp_err rc = daemon_config_keys_path(p, e, v, path);

	if (rc == ERR_OK)
		rc = daemon_config_keys_read_file(p, e, *path, &data, &len);
	if (data != NULL)
		explicit_bzero(data, len);
	free(data);
	return rc;
}

enum mp_err daemon_config_keys_username(struct daemon_config_pctx *p,
					const struct daemon_config_entry *e, const char *v,
					char **dst)
{
	if (strlen(v) > 256 || !common_str_is_printable(v, strlen(v)))
		return daemon_config_keys_err(p, e->line, e->key,
					      "must be one line of at most 256 printable bytes");
	*dst = xstrdup(v);
	return ERR_OK;
}

/* RFC 3501 5.1: a mailbox name; no wildcards, quotes or backslashes. */
enum mp_err daemon_config_keys_folder(struct daemon_config_pctx *p,
				      const struct daemon_config_entry *e, const char *v,
				      char **dst)
{
	size_t len = strlen(v);

	if (len > 200 || !common_str_is_printable(v, len) || strpbrk(v, "\"\\*%") != NULL)
		return daemon_config_keys_err(p, e->line, e->key,
					      "a folder name is at most 200 printable characters "
					      "without \", \\, * or %%");
	free(*dst);
	*dst = xstrdup(v);
	return ERR_OK;
}

bool daemon_config_keys_name_ok(const char *name)
{
	/* config.c never gives an empty section name (NULL instead). */
	return name != NULL && strlen(name) <= 64 &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
		   strlen(name);
}

enum mp_err daemon_config_keys_new_named(struct daemon_config_pctx *p, size_t n, size_t max,
					 const char *kind, const char *example, unsigned dup_line)
{
	const struct daemon_config_rawsec *s = p->sec;

	if (!daemon_config_keys_name_ok(s->name))
		return daemon_config_keys_err(
		    p, s->line, NULL, "needs a name of letters, digits, '.', '_' or '-': %s",
		    example);
	if (dup_line != 0)
		return daemon_config_keys_err(p, s->line, NULL,
					      "duplicate section (first at line %u)", dup_line);
	if (n == max)
		return daemon_config_keys_err(p, s->line, NULL, "more than %zu [%s] sections", max,
					      kind);
	return ERR_OK;
}

enum mp_err daemon_config_keys_imap_finish(struct daemon_config_pctx *p, unsigned line,
					   const char *host, const char *username,
					   const struct daemon_config_secret *password,
					   enum daemon_smtp_tls tls, unsigned *port)
{
	if (host == NULL)
		return daemon_config_keys_err(p, line, NULL, "host is missing");
	if (username == NULL || password->value == NULL)
		return daemon_config_keys_err(
		    p, line, NULL,
		    "username and password (or password_file, password_credential) are required");
	/* RFC 9051 and RFC 8314 3.3: 143 with STARTTLS, 993 with implicit TLS. */
	if (*port == 0)
		*port = tls == DAEMON_SMTP_STARTTLS ? 143 : 993;
	return ERR_OK;
}
