/*
 * daemon/cmd_dkim_keygen: `mailpulse dkim-keygen --domain D --selector S
 * [--type rsa|ed25519] [--bits N] [--out FILE]`: makes a DKIM signing key
 * (RSA 2048 bits by default, RFC 8301 3.2 bounds 1024..8192; or ed25519, RFC
 * 8463), writes the private key as PKCS#8 PEM to a new file with mode 0600
 * (never overwriting one: O_CREAT|O_EXCL), and prints the TXT record to
 * publish at S._domainkey.D (RFC 6376 3.6.1), split into 255-byte strings
 * (RFC 1035 3.3.14 character-strings).
 *
 * What it does not: publish anything, or print the private key.
 * Exit 0 on success, 1 when the key cannot be made or written, 3 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/crypto.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "daemon/cmd.h"
#include "dns/name.h"

struct keygen_args {
	const char *domain, *selector, *out;
	enum common_crypto_keytype type;
	unsigned bits;
};

static void keygen_usage(FILE *out)
{
	fputs("usage: mailpulse dkim-keygen --domain DOMAIN --selector SELECTOR\n"
	      "         [--type rsa|ed25519] [--bits N] [--out FILE]\n"
	      "Writes the private key to FILE (default SELECTOR._domainkey.DOMAIN.pem,\n"
	      "mode 0600, never overwritten) and prints the TXT record to publish.\n",
	      out);
}

static const struct option keygen_opts[] = {
    {"domain", required_argument, NULL, 'd'},
    {"selector", required_argument, NULL, 's'},
    {"type", required_argument, NULL, 't'},
    {"bits", required_argument, NULL, 'b'},
    {"out", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int bad_usage(const char *what)
{
	fprintf(stderr, "mailpulse dkim-keygen: %s\n", what);
	keygen_usage(stderr);
	return DAEMON_EXIT_USAGE;
}

/* Parse argv into *a; returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct keygen_args *a)
{
	uint64_t bits = 0;
	bool have_bits = false;
	int c;

	a->type = COMMON_CRYPTO_RSA;
	a->bits = 2048;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:s:t:b:o:h", keygen_opts, NULL)) != -1) {
		if (c == 'd')
			a->domain = optarg;
		else if (c == 's')
			a->selector = optarg;
		else if (c == 'o')
			a->out = optarg;
		else if (c == 't' && strcmp(optarg, "rsa") == 0)
			a->type = COMMON_CRYPTO_RSA;
		else if (c == 't' && strcmp(optarg, "ed25519") == 0)
			a->type = COMMON_CRYPTO_ED25519;
		else if (c == 't')
			return bad_usage("--type is rsa or ed25519");
		else if (c == 'b' &&
			 common_str_to_u64(optarg, strlen(optarg), 1u << 20, &bits) == ERR_OK)
			have_bits = true;
		else if (c == 'h') {
			keygen_usage(stdout);
			return 0;
		} else
			return bad_usage(c == 'b' ? "--bits takes a number" : "bad option");
	}
	if (optind != argc)
		return bad_usage("unexpected argument");
	if (a->domain == NULL || !dns_name_is_hostname(a->domain, strlen(a->domain)))
		return bad_usage("--domain must be a host name such as example.com");
	/* A selector is one or more labels (RFC 6376 3.1). */
	if (a->selector == NULL || !dns_name_valid(a->selector, strlen(a->selector)) ||
	    strpbrk(a->selector, ";=\"\\/ ") != NULL)
		return bad_usage("--selector must be a DNS label such as mp2026");
	if (have_bits && a->type == COMMON_CRYPTO_ED25519)
		return bad_usage("--bits is for RSA keys only");
	if (have_bits && (bits < COMMON_CRYPTO_RSA_MIN_BITS || bits > COMMON_CRYPTO_RSA_MAX_BITS))
		return bad_usage("--bits must be between 1024 (RFC 8301 3.2) and 8192");
	if (have_bits)
		a->bits = (unsigned)bits;
	return -1;
}

/* Write the key to a new file of mode 0600; refuses an existing path. */
static bool write_key(const char *path, const char *pem, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	size_t done = 0;

	if (fd < 0) {
		fprintf(stderr, "mailpulse dkim-keygen: %s: %s%s\n", path, strerror(errno),
			errno == EEXIST ? " (refusing to overwrite a key)" : "");
		return false;
	}
	/* Whatever the umask: only the owner may read a private key. */
	if (fchmod(fd, 0600) != 0)
		goto fail;
	while (done < len) {
		ssize_t n = write(fd, pem + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		done += (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	return true;
fail:
	fprintf(stderr, "mailpulse dkim-keygen: %s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(path);
	return false;
}

/* `NAME. IN TXT "..." "..."`: RFC 1035 character-strings hold 255 bytes at most. */
static void print_record(const struct keygen_args *a, const char *p)
{
	char *rec = xasprintf("v=DKIM1; k=%s; p=%s", common_crypto_keytype_name(a->type), p);
	size_t len = strlen(rec);

	printf("%s._domainkey.%s. IN TXT", a->selector, a->domain);
	for (size_t i = 0; i < len; i += 255)
		printf(" \"%.*s\"", (int)(len - i < 255 ? len - i : 255), rec + i);
	printf("\n");
	free(rec);
}

int daemon_cmd_dkim_keygen(int argc, char **argv)
{
	struct keygen_args a = {0};
	struct common_crypto_pubkey pub = {0};
	char *pem = NULL, *path, *p;
	size_t pem_len = 0;
	int rc = parse_args(argc, argv, &a);

	if (rc >= 0)
		return rc;
	if (common_crypto_keygen(a.type, a.bits, &pem, &pem_len, &pub) != ERR_OK) {
		fputs("mailpulse dkim-keygen: key generation failed\n", stderr);
		return 1;
	}
	path = a.out ? xstrdup(a.out) : xasprintf("%s._domainkey.%s.pem", a.selector, a.domain);
	rc = 1;
	if (write_key(path, pem, pem_len)) {
		p = common_crypto_dkim_p_value(&pub);
		print_record(&a, p);
		free(p);
		if (a.type == COMMON_CRYPTO_RSA)
			fprintf(stderr,
				"mailpulse dkim-keygen: wrote the RSA %u-bit private key "
				"to %s (mode 0600)\n",
				a.bits, path);
		else
			fprintf(stderr,
				"mailpulse dkim-keygen: wrote the ed25519 private key to "
				"%s (mode 0600)\n",
				path);
		rc = 0;
	}
	common_crypto_free_secret(pem, pem_len);
	common_crypto_pubkey_free(&pub);
	free(path);
	return rc;
}
