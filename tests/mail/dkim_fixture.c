/*
 * tests/mail/dkim_fixture: fixture keys, records and signing for the DKIM
 * tests (see the header).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/crypto.h"
#include "common/xmalloc.h"
#include "tests/lib/tap.h"
#include "tests/mail/dkim_fixture.h"

/*
 * libopendkim 2.11.0~beta2 leaks the EVP_PKEY of every ed25519 signing key
 * (dkim_privkey_load() keeps it, dkim_free() frees only the RSA half): an
 * upstream bug of about 1.7 KB per ed25519 signature, not ours.  Full stacks
 * (libcrypto has no frame pointers) let LeakSanitizer drop exactly that one.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:dkim_privkey_load\n";
}
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}

char *dkim_fixture_key(const char *name, size_t *len)
{
	char *path = xasprintf("%s/tests/fixtures/keys/%s", tap_srcdir(), name);
	FILE *f = fopen(path, "rb");
	char buf[16384];
	size_t n;

	free(path);
	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	*len = n;
	return xmemdup0(buf, n);
}

char *dkim_fixture_record(const char *name, const char *extra)
{
	char *path = xasprintf("%s/tests/fixtures/keys/%s", tap_srcdir(), name);
	struct common_crypto_pubkey k = {0};
	char why[128], *p, *r;

	if (common_crypto_privkey_load(path, &k, why, sizeof why) != ERR_OK) {
		free(path);
		return xstrdup("v=DKIM1; p=broken");
	}
	free(path);
	p = common_crypto_dkim_p_value(&k);
	r = xasprintf("v=DKIM1; k=%s; %sp=%s", common_crypto_keytype_name(k.type), extra, p);
	free(p);
	common_crypto_pubkey_free(&k);
	return r;
}

char *dkim_fixture_sign(struct mail_dkim *lib, const char *key, const char *sel,
			enum mail_dkim_alg alg, const char *msg)
{
	size_t klen = 0;
	char *pem = dkim_fixture_key(key, &klen), *hdr = NULL, *r = NULL, why[200];
	struct mail_dkim_sign_opts o = {.domain = DKIM_FIXTURE_DOMAIN,
					.selector = sel,
					.key_pem = pem,
					.key_len = klen,
					.alg = alg};

	if (pem != NULL &&
	    mail_dkim_sign(lib, &o, msg, strlen(msg), &hdr, why, sizeof why) == ERR_OK) {
		r = xasprintf("%s%s", hdr, msg);
		free(hdr);
	} else {
		tap_diag("sign with %s failed: %s", key, pem ? why : "no key file");
	}
	free(pem);
	return r;
}
