/*
 * daemon/mailpulse: the `mailpulse` command-line tool, a thin main over the
 * libraries (DESIGN.md 3, 5).  Subcommands:
 *   check   posture of one or more domains (Nagios exit codes)
 *   spf     evaluate SPF for one client address and sender (RFC 7208)
 *   alert-test  send a test message through a configured alert channel
 *   dkim-keygen make a DKIM signing key and print its DNS record
 *   verify  SPF, DKIM and DMARC verdicts on one message (RFC 8601 output)
 * Each subcommand lives in its own daemon/cmd_<name>.c.
 */
#include <stdio.h>
#include <string.h>
#include <config.h> /* autoconf's, not daemon/config.h (quotes would find that first) */
#include "daemon/cmd.h"
#include "dns/resolver.h"

static void usage(FILE *out)
{
	fputs("usage: mailpulse COMMAND [OPTIONS]\n"
	      "\n"
	      "commands:\n"
	      "  check DOMAIN...   check SPF, DKIM, DMARC, MX, MTA-STS, TLS-RPT and BIMI\n"
	      "  spf               evaluate SPF for one client address and sender\n"
	      "  alert-test NAME -c FILE  send a test message through an alert channel\n"
	      "  dkim-keygen --domain D --selector S  make a DKIM key and its TXT record\n"
	      "  verify [FILE] --client-ip ADDR --helo NAME  SPF, DKIM, DMARC of a message\n"
	      "  bounce FILE...    classify bounces, auto-replies and feedback reports\n"
	      "  report FILE...    read DMARC aggregate, failure and TLS-RPT reports\n"
	      "  version           print the version\n"
	      "\n"
	      "`mailpulse COMMAND --help` describes each command; see mailpulse(1).\n",
	      out);
}

int main(int argc, char **argv)
{
	int rc;

	if (argc < 2) {
		usage(stderr);
		return DAEMON_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("mailpulse %s (allocator: %s)\n", PACKAGE_VERSION, MP_ALLOCATOR);
		return 0;
	}
	/* c-ares and curl global set-up: before any thread exists (libraries.md 3.6). */
	if (dns_resolver_library_init() != ERR_OK) {
		fputs("mailpulse: cannot initialise the DNS library\n", stderr);
		return DAEMON_EXIT_USAGE;
	}
	if (strcmp(argv[1], "check") == 0)
		rc = daemon_cmd_check(argc - 1, argv + 1);
	else if (strcmp(argv[1], "spf") == 0)
		rc = daemon_cmd_spf(argc - 1, argv + 1);
	else if (strcmp(argv[1], "alert-test") == 0)
		rc = daemon_cmd_alert_test(argc - 1, argv + 1);
	else if (strcmp(argv[1], "dkim-keygen") == 0)
		rc = daemon_cmd_dkim_keygen(argc - 1, argv + 1);
	else if (strcmp(argv[1], "verify") == 0)
		rc = daemon_cmd_verify(argc - 1, argv + 1);
	else if (strcmp(argv[1], "bounce") == 0)
		rc = daemon_cmd_bounce(argc - 1, argv + 1);
	else if (strcmp(argv[1], "report") == 0)
		rc = daemon_cmd_report(argc - 1, argv + 1);
	else {
		fprintf(stderr, "mailpulse: unknown command '%s'\n", argv[1]);
		usage(stderr);
		rc = DAEMON_EXIT_USAGE;
	}
	dns_resolver_library_cleanup();
	return rc;
}
