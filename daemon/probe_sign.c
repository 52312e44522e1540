/*
 * daemon/probe_sign: DKIM signature of probe messages (see probe_sign.h).
 * RFC 6376 (DKIM), RFC 8463 (Ed25519).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/crypto.h"
#include "common/xmalloc.h"
#include "daemon/probe_sign.h"

#define KEY_FILE_MAX 65536

/* The key file's bytes (at most KEY_FILE_MAX; caller wipes and frees), or NULL. */
static char *read_key(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (f == NULL)
		return NULL;
	buf = xmalloc(KEY_FILE_MAX + 1);
	n = fread(buf, 1, KEY_FILE_MAX + 1, f);
	fclose(f);
	if (n == 0 || n > KEY_FILE_MAX) {
		memset(buf, 0, KEY_FILE_MAX + 1);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* *msg becomes hdr followed by *msg. */
static void prepend(const char *hdr, char **msg, size_t *len)
{
	size_t hlen = strlen(hdr);
	char *out = xmalloc(hlen + *len + 1);

	memcpy(out, hdr, hlen);
	memcpy(out + hlen, *msg, *len);
	out[hlen + *len] = '\0';
	free(*msg);
	*msg = out;
	*len += hlen;
}

enum mp_err daemon_probe_sign_msg(struct mail_dkim **dkim, const struct daemon_config_domain *d,
				  char **msg, size_t *len, char *why, size_t whysz)
{
	const char *path = NULL;
	struct common_crypto_pubkey pub = {0};
	struct mail_dkim_sign_opts o = {.domain = d->name, .selector = d->probe.sign};
	char *key, *hdr = NULL;
	size_t klen = 0;
	enum mp_err rc;

	for (size_t i = 0; i < d->n_dkim_keys; i++)
		if (strcmp(d->dkim_keys[i].selector, d->probe.sign) == 0)
			path = d->dkim_keys[i].path;
	if (path == NULL || common_crypto_privkey_load(path, &pub, why, whysz) != ERR_OK ||
	    (key = read_key(path, &klen)) == NULL) {
		if (path == NULL || why[0] == '\0')
			snprintf(why, whysz, "the key of selector %s cannot be read",
				 d->probe.sign);
		return ERR_NOTFOUND;
	}
	o.alg = pub.type == COMMON_CRYPTO_ED25519 ? MAIL_DKIM_ED25519_SHA256 : MAIL_DKIM_RSA_SHA256;
	common_crypto_pubkey_free(&pub);
	o.key_pem = key;
	o.key_len = klen;
	if (*dkim == NULL)
		*dkim = mail_dkim_new();
	rc = *dkim ? mail_dkim_sign(*dkim, &o, *msg, *len, &hdr, why, whysz) : ERR_IO;
	memset(key, 0, klen);
	free(key);
	if (rc != ERR_OK)
		return rc;
	prepend(hdr, msg, len);
	free(hdr);
	return ERR_OK;
}
