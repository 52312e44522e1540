/*
 * mail/dkim_signopts: checks of mail_dkim_sign()'s options before
 * libopendkim sees them; see mail/dkim_signopts.h.
 */
#include <stdlib.h>
#include <string.h>
#include "common/crypto.h"
#include "dns/name.h"
#include "mail/dkim_signopts.h"

bool mail_dkim_signopts_ok(const struct mail_dkim_sign_opts *o, const char **why)
{
	if (o->domain == NULL || !dns_name_valid(o->domain, strlen(o->domain)) ||
	    strchr(o->domain, ';') != NULL) {
		*why = "the signing domain (d=) is not a valid DNS name";
		return false;
	}
	if (o->selector == NULL || !dns_name_valid(o->selector, strlen(o->selector)) ||
	    strchr(o->selector, ';') != NULL) {
		*why = "the selector (s=) is not a valid DNS name";
		return false;
	}
	if (o->key_pem == NULL || o->key_len == 0 || o->key_len > 65536 ||
	    memchr(o->key_pem, '\0', o->key_len) != NULL) {
		*why = "no usable private key text was given";
		return false;
	}
	if (o->alg != MAIL_DKIM_RSA_SHA256 && o->alg != MAIL_DKIM_ED25519_SHA256) {
		*why = "unknown signing algorithm";
		return false;
	}
	return true;
}

/* The key parses and its type is the algorithm's (libopendkim would sign anyway). */
bool mail_dkim_signopts_key_fits(const struct mail_dkim_sign_opts *o, const char **why)
{
	struct common_crypto_pubkey k = {0};
	char reason[200];
	bool ok = false;

	if (common_crypto_privkey_parse(o->key_pem, o->key_len, &k, reason, sizeof reason) !=
	    ERR_OK)
		*why = "the key text is not a usable private key (PEM as written by `openssl "
		       "genpkey` or `mailpulse dkim-keygen`)";
	else if ((k.type == COMMON_CRYPTO_ED25519) != (o->alg == MAIL_DKIM_ED25519_SHA256))
		*why = "the private key's type does not match the signing algorithm";
	else if (k.type == COMMON_CRYPTO_RSA && k.bits < 1024)
		*why = "the RSA key is smaller than 1024 bits (RFC 8301 3.2)";
	else
		ok = true;
	common_crypto_pubkey_free(&k);
	return ok;
}
