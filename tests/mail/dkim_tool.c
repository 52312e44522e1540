/*
 * tests/mail/dkim_tool: a test helper (not installed) around mail/dkim for
 * the integration test and the bench:
 *   dkim_tool sign KEYFILE DOMAIN SELECTOR [rsa|ed25519] < msg > signed
 *     prints the DKIM-Signature field followed by the message;
 *   dkim_tool verify KEYS < msg
 *     verifies with the keys in KEYS, one per line, either
 *     `NAME TEXT` or a zone line as `mailpulse dkim-keygen` prints it
 *     (`NAME. IN TXT "..." "..."`); prints one line per signature:
 *     `RESULT d=DOMAIN s=SELECTOR bits=N testing=0|1 error=WORDS`.
 * Exit 0 when it ran, 1 on failure, 2 on bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "mail/dkim.h"
#include "tests/lib/fakezone.h"

#define MSG_MAX (8u << 20)

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

static char *slurp(FILE *f, size_t *len)
{
	char *b = xmalloc(MSG_MAX + 1);
	size_t n = fread(b, 1, MSG_MAX, f);

	b[n] = '\0';
	*len = n;
	return b;
}

static int sign(int argc, char **argv)
{
	FILE *kf = fopen(argv[2], "rb");
	size_t klen = 0, mlen = 0;
	char *key, *msg, *hdr = NULL, why[256] = "";
	struct mail_dkim *d = mail_dkim_new();
	struct mail_dkim_sign_opts o = {.domain = argv[3], .selector = argv[4]};
	int rc = 1;

	if (kf == NULL || d == NULL) {
		perror(argv[2]);
		mail_dkim_free(d);
		return 1;
	}
	key = slurp(kf, &klen);
	fclose(kf);
	msg = slurp(stdin, &mlen);
	o.key_pem = key;
	o.key_len = klen;
	o.alg = argc > 5 && strcmp(argv[5], "ed25519") == 0 ? MAIL_DKIM_ED25519_SHA256
							    : MAIL_DKIM_RSA_SHA256;
	if (mail_dkim_sign(d, &o, msg, mlen, &hdr, why, sizeof why) == ERR_OK) {
		fputs(hdr, stdout);
		fwrite(msg, 1, mlen, stdout);
		rc = 0;
	} else {
		fprintf(stderr, "dkim_tool: sign: %s\n", why);
	}
	free(hdr);
	free(key);
	free(msg);
	mail_dkim_free(d);
	return rc;
}

/* `NAME TEXT` or `NAME. IN TXT "a" "b"` into the zone. */
static void add_key_line(struct fakezone *z, char *line)
{
	char *sp = strpbrk(line, " \t"), *rest, *txt, *o;

	if (sp == NULL)
		return;
	*sp = '\0';
	rest = sp + 1;
	rest += strspn(rest, " \t");
	if (strncmp(rest, "IN TXT", 6) != 0) {
		rest[strcspn(rest, "\r\n")] = '\0';
		fakezone_add_txt(z, line, rest);
		return;
	}
	/* Join the quoted character-strings (no escapes in what keygen prints). */
	txt = o = xmalloc(strlen(rest) + 1);
	for (char *p = strchr(rest, '"'); p != NULL; p = strchr(p + 1, '"')) {
		char *e = strchr(p + 1, '"');

		if (e == NULL)
			break;
		memcpy(o, p + 1, (size_t)(e - p - 1));
		o += e - p - 1;
		p = e;
	}
	*o = '\0';
	fakezone_add_txt(z, line, txt);
	free(txt);
}

struct vrun {
	struct mail_dkim *d;
	struct dns_book *book;
	const char *msg;
	size_t len;
	struct mail_dkim_verdict v;
};

static enum mp_err vstep(void *arg)
{
	struct vrun *r = arg;

	return mail_dkim_verify(r->d, r->book, r->msg, r->len, &r->v);
}

static int verify(char **argv)
{
	FILE *kf = fopen(argv[2], "r");
	struct fakezone *z = fakezone_new();
	struct vrun r = {.d = mail_dkim_new(), .book = dns_book_new(64)};
	char line[8192], *msg;
	enum mp_err e;

	if (kf == NULL || r.d == NULL) {
		perror(argv[2]);
		return 1;
	}
	while (fgets(line, sizeof line, kf) != NULL)
		add_key_line(z, line);
	fclose(kf);
	msg = slurp(stdin, &r.len);
	r.msg = msg;
	e = fakezone_run(z, r.book, vstep, &r);
	if (e == ERR_OK) {
		if (r.v.n_sigs == 0)
			printf("none\n");
		for (size_t i = 0; i < r.v.n_sigs; i++) {
			const struct mail_dkim_sig *s = &r.v.sigs[i];

			printf("%s d=%s s=%s bits=%u testing=%d error=%s\n",
			       mail_dkim_res_name(s->result), s->domain, s->selector, s->key_bits,
			       s->testing, s->error);
		}
		mail_dkim_verdict_free(&r.v);
	} else {
		fprintf(stderr, "dkim_tool: verify: %s\n", common_err_str(e));
	}
	free(msg);
	dns_book_free(r.book);
	fakezone_free(z);
	mail_dkim_free(r.d);
	return e == ERR_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && strcmp(argv[1], "sign") == 0)
		return sign(argc, argv);
	if (argc == 3 && strcmp(argv[1], "verify") == 0)
		return verify(argv);
	fputs("usage: dkim_tool sign KEYFILE DOMAIN SELECTOR [rsa|ed25519] < msg\n"
	      "       dkim_tool verify KEYS < msg\n",
	      stderr);
	return 2;
}
