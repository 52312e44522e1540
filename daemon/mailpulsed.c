/*
 * daemon/mailpulsed: the daemon's main (DESIGN.md 5):
 *   mailpulsed -c FILE                 run in the foreground, log to stderr
 *   mailpulsed -c FILE --check-config [-v]
 *                                      load FILE; print "config ok: N domains,
 *                                      M alerts" (and the redacted effective
 *                                      config with -v) and exit 0, or print
 *                                      the error (FILE:LINE: ...) and exit 1
 * Everything else lives in daemon/mainloop and the modules it drives.
 */
#include <config.h> /* autoconf's, not daemon/config.h */
#include <stdio.h>
#include <string.h>
#include "common/log.h"
#include "daemon/config.h"
#include "daemon/mainloop.h"
#include "dns/resolver.h"

static void usage(FILE *out)
{
	fputs("usage: mailpulsed -c FILE [--check-config [-v]]\n"
	      "  -c, --config FILE   the configuration file (mailpulse.conf(5))\n"
	      "  --check-config      load the file, report, and exit (0 ok, 1 error)\n"
	      "  -v, --verbose       with --check-config: print the effective config\n"
	      "  --version           print the version\n",
	      out);
}

struct args {
	const char *path;
	bool check, verbose;
};

/* 0: parsed; otherwise the exit status (2 for bad usage, 0 after --help). */
static int parse_args(int argc, char **argv, struct args *a)
{
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];

		if ((strcmp(s, "-c") == 0 || strcmp(s, "--config") == 0) && i + 1 < argc)
			a->path = argv[++i];
		else if (strcmp(s, "--check-config") == 0)
			a->check = true;
		else if (strcmp(s, "-v") == 0 || strcmp(s, "--verbose") == 0)
			a->verbose = true;
		else if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
			usage(stdout);
			return -1;
		} else if (strcmp(s, "--version") == 0) {
			printf("mailpulsed %s (allocator: %s)\n", PACKAGE_VERSION, MP_ALLOCATOR);
			return -1;
		} else {
			fprintf(stderr, "mailpulsed: unknown argument '%s'\n", s);
			usage(stderr);
			return 2;
		}
	}
	if (a->path == NULL) {
		usage(stderr);
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = {0};
	struct daemon_config *cfg = NULL;
	char err[2048];
	int rc = parse_args(argc, argv, &a);

	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if (daemon_config_load(a.path, &cfg, err, sizeof err) != ERR_OK) {
		fprintf(stderr, "mailpulsed: %s\n", err);
		return 1;
	}
	if (a.check) {
		printf("config ok: %zu domains, %zu alerts\n", cfg->n_domains, cfg->n_alerts);
		if (a.verbose)
			daemon_config_dump(stdout, cfg);
		daemon_config_free(cfg);
		return 0;
	}
	common_log_set_level(cfg->daemon.log_level);
	if (cfg->daemon.trace != NULL)
		common_log_set_trace(cfg->daemon.trace);
	/* c-ares and curl global set-up: before any thread exists (libraries.md 3.6). */
	if (dns_resolver_library_init() != ERR_OK) {
		fputs("mailpulsed: cannot initialise the DNS library\n", stderr);
		daemon_config_free(cfg);
		return 1;
	}
	rc = daemon_mainloop_run(a.path, cfg);
	dns_resolver_library_cleanup();
	return rc;
}
