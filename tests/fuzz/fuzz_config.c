/*
 * tests/fuzz/fuzz_config: daemon_config_load_string() over any bytes, with a
 * fixed environment (two variables), a fixed credentials directory and a
 * fake file system (no real file is ever read), then the dump and the
 * readiness findings of whatever loaded.  Seeds: tests/fuzz/corpus/config/.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "common/xmalloc.h"
#include "daemon/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *getvar(void *ctx, const char *name)
{
	if (strcmp(name, "HOME") == 0)
		return "/home/mailpulse";
	if (strcmp(name, "SLACK_URL") == 0)
		return "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX";
	if (strcmp(name, "LONG") == 0)
		return "192.0.2.1, 192.0.2.2, 192.0.2.3, 192.0.2.4, 192.0.2.5";
	return NULL;
}

/*
 * Paths under /fuzz/ and /creds/ exist, the rest do not; /fuzz/empty is
 * empty; the content fits the name (a URL, a whsec_ secret, or a token).
 */
static enum mp_err read_file(void *ctx, const char *path, char **data, size_t *len, char *why,
			     size_t whysz)
{
	const char *text = "s3cret-token-0123456789\n";

	if (strncmp(path, "/fuzz/", 6) != 0 && strncmp(path, "/creds/", 7) != 0) {
		snprintf(why, whysz, "cannot open %s: No such file or directory", path);
		return ERR_IO;
	}
	if (strstr(path, "url") || strstr(path, "slack") || strstr(path, "hook"))
		text = "https://hooks.example.net/services/T0/B0/xyz\n";
	else if (strstr(path, "whsec") || strstr(path, "secret"))
		text = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n";
	else if (strcmp(path, "/fuzz/empty") == 0)
		text = "";
	*len = strlen(text);
	*data = xmemdup0(text, *len);
	return ERR_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct daemon_config_env env = {getvar, read_file, NULL, "/creds", "/fuzz"};
	struct daemon_config *cfg = NULL;
	char err[1024];

	if (daemon_config_load_string((const char *)data, size, "fuzz.conf", &env, &cfg, err,
				      sizeof err) == ERR_OK) {
		FILE *devnull = fopen("/dev/null", "w");
		struct dns_findings f;

		if (devnull != NULL) {
			daemon_config_dump(devnull, cfg);
			fclose(devnull);
		}
		dns_findings_init(&f);
		daemon_config_readiness(cfg, cfg->n_domains ? cfg->domains[0].name : NULL, &f);
		dns_findings_clear(&f);
		daemon_config_free(cfg);
	} else if (memchr(err, '\0', sizeof err) == NULL) {
		__builtin_trap(); /* the error text must be terminated */
	}
	return 0;
}
