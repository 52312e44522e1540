/*
 * daemon/cmd_check: `mailpulse check DOMAIN...` (DESIGN.md 5).
 *
 * Parses the options, converts every domain to its A-label form (libidn2 via
 * dns/name), runs all posture checks concurrently (dns/runner over one
 * c-ares resolver and one HTTPS fetcher) and prints the report
 * (daemon/render).  Exit codes are Nagios': 0 OK, 1 WARNING, 2 CRITICAL,
 * 3 UNKNOWN (also for bad usage).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/fetch.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "daemon/cli_args.h"
#include "daemon/cmd.h"
#include "daemon/render.h"
#include "dns/name.h"
#include "dns/orgdomain.h"
#include "dns/posture.h"
#include "dns/resolver.h"
#include "dns/runner.h"

struct check_args {
	struct daemon_strv domains, selectors, keysel, keyfile, resolvers;
	enum daemon_render_format fmt;
	bool explain, no_discovery, no_https, stats;
	unsigned timeout_ms, qps, concurrency, https_port;
	const char *ca_file, *expect_dmarc;
};

static void check_usage(FILE *out)
{
	fputs("usage: mailpulse check DOMAIN... [--domains-file F] [--selector S]...\n"
	      "         [--dkim-key SELECTOR=FILE]... [--resolver HOST[:PORT]]...\n"
	      "         [--timeout SECS] [--format text|json|nagios] [--explain]\n"
	      "         [--expect-dmarc none|quarantine|reject] [--no-discovery]\n"
	      "         [--qps N] [--concurrency N] [--ca-file F] [--no-https] [--stats]\n"
	      "exit: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN\n",
	      out);
}

enum {
	OPT_DOMAINS = 256,
	OPT_KEY,
	OPT_EXPECT,
	OPT_NODISC,
	OPT_QPS,
	OPT_CONC,
	OPT_CA,
	OPT_HTTPS_PORT,
	OPT_NOHTTPS,
	OPT_STATS
};

static const struct option check_opts[] = {
    {"domains-file", required_argument, NULL, OPT_DOMAINS},
    {"selector", required_argument, NULL, 's'},
    {"dkim-key", required_argument, NULL, OPT_KEY},
    {"resolver", required_argument, NULL, 'r'},
    {"timeout", required_argument, NULL, 't'},
    {"format", required_argument, NULL, 'f'},
    {"explain", no_argument, NULL, 'e'},
    {"expect-dmarc", required_argument, NULL, OPT_EXPECT},
    {"no-discovery", no_argument, NULL, OPT_NODISC},
    {"qps", required_argument, NULL, OPT_QPS},
    {"concurrency", required_argument, NULL, OPT_CONC},
    {"ca-file", required_argument, NULL, OPT_CA},
    {"https-port", required_argument, NULL, OPT_HTTPS_PORT},
    {"no-https", no_argument, NULL, OPT_NOHTTPS},
    {"stats", no_argument, NULL, OPT_STATS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static bool parse_uint(const char *s, unsigned max, unsigned *out)
{
	uint64_t v;

	if (common_str_to_u64(s, strlen(s), max, &v) != ERR_OK)
		return false;
	*out = (unsigned)v;
	return true;
}

/* --dkim-key SELECTOR=FILE */
static bool opt_key(struct check_args *a, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *sel;

	if (eq == NULL || eq == arg || eq[1] == '\0') {
		fputs("mailpulse check: --dkim-key wants SELECTOR=FILE\n", stderr);
		return false;
	}
	sel = xmemdup0(arg, (size_t)(eq - arg));
	daemon_strv_push(&a->keysel, sel);
	daemon_strv_push(&a->keyfile, eq + 1);
	free(sel);
	return true;
}

/* Options whose value is a number or a word from a list. */
static bool opt_value(struct check_args *a, int c, const char *arg)
{
	const char *msg = NULL;

	switch (c) {
	case 't':
		if (daemon_cli_parse_seconds(arg, &a->timeout_ms) != ERR_OK)
			msg = "--timeout wants seconds between 0 and 3600";
		break;
	case 'f':
		if (daemon_render_parse_format(arg, &a->fmt) != ERR_OK)
			msg = "--format is text, json or nagios";
		break;
	case OPT_EXPECT:
		if (strcmp(arg, "none") == 0 || strcmp(arg, "quarantine") == 0 ||
		    strcmp(arg, "reject") == 0)
			a->expect_dmarc = arg;
		else
			msg = "--expect-dmarc is none, quarantine or reject";
		break;
	case OPT_QPS:
		if (!parse_uint(arg, 1000000, &a->qps))
			msg = "--qps wants a number (0 = unlimited)";
		break;
	case OPT_CONC:
		if (!parse_uint(arg, 100000, &a->concurrency) || a->concurrency == 0)
			msg = "--concurrency wants a positive number";
		break;
	case OPT_HTTPS_PORT:
		if (!parse_uint(arg, 65535, &a->https_port) || a->https_port == 0)
			msg = "--https-port wants a port number";
		break;
	}
	if (msg)
		fprintf(stderr, "mailpulse check: %s\n", msg);
	return msg == NULL;
}

/* One option; false (with a message printed) on bad usage. */
static bool check_opt(struct check_args *a, int c, const char *arg)
{
	const char *why = NULL;

	switch (c) {
	case OPT_DOMAINS:
		if (daemon_cli_read_domains(arg, &a->domains, &why) == ERR_OK)
			return true;
		fprintf(stderr, "mailpulse check: %s: %s\n", arg, why);
		return false;
	case 's':
		daemon_strv_push(&a->selectors, arg);
		return true;
	case OPT_KEY:
		return opt_key(a, arg);
	case 'r':
		daemon_strv_push(&a->resolvers, arg);
		return true;
	case 'e':
		a->explain = true;
		return true;
	case OPT_NODISC:
		a->no_discovery = true;
		return true;
	case OPT_CA:
		a->ca_file = arg;
		return true;
	case OPT_NOHTTPS:
		a->no_https = true;
		return true;
	case OPT_STATS:
		a->stats = true;
		return true;
	case 't':
	case 'f':
	case OPT_EXPECT:
	case OPT_QPS:
	case OPT_CONC:
	case OPT_HTTPS_PORT:
		return opt_value(a, c, arg);
	default:
		check_usage(stderr);
		return false;
	}
}

static void args_free(struct check_args *a)
{
	daemon_strv_free(&a->domains);
	daemon_strv_free(&a->selectors);
	daemon_strv_free(&a->keysel);
	daemon_strv_free(&a->keyfile);
	daemon_strv_free(&a->resolvers);
}

/* Convert every domain to its wire form; false (message printed) on a bad one. */
static bool normalise_domains(struct daemon_strv *d)
{
	for (size_t i = 0; i < d->n; i++) {
		char ascii[DNS_NAME_BUFSZ];
		const char *why = "invalid";
		enum mp_err e = dns_name_to_ascii(d->v[i], strlen(d->v[i]), ascii, &why);

		if (e == ERR_OK && dns_name_label_count(ascii, strlen(ascii)) < 2) {
			e = ERR_INVAL;
			why = "a domain needs at least two labels";
		}
		if (e != ERR_OK) {
			fprintf(stderr,
				"mailpulse check: '%s' is not a domain name we can check (%s)\n",
				d->v[i], why);
			return false;
		}
		free(d->v[i]);
		d->v[i] = xstrdup(ascii);
	}
	return true;
}

static enum mp_err make_resolver(const struct check_args *a, struct dns_resolver **res)
{
	struct dns_resolver_opts ro;

	daemon_cli_resolver_opts(&a->resolvers, a->timeout_ms, &ro);
	ro.max_qps = a->qps;
	return dns_resolver_new(&ro, res);
}

/* --stats: the resolver's counters as one line on stderr (bench/posture reads it). */
static void print_stats(const struct dns_resolver *res)
{
	struct dns_resolver_stats st;

	dns_resolver_stats(res, &st);
	fprintf(stderr,
		"stats questions=%" PRIu64 " queries_sent=%" PRIu64 " cache_hits=%" PRIu64
		" coalesced=%" PRIu64 " tcp_fallbacks=%" PRIu64 " cname_follows=%" PRIu64 "\n",
		st.questions, st.queries_sent, st.cache_hits, st.coalesced, st.tcp_fallbacks,
		st.cname_follows);
}

/* One `mailpulse check` run: postures made as the runner has room, freed when reported. */
struct check_run {
	const struct check_args *a;
	const struct dns_posture_opts *po;
	struct daemon_render *rend;
	struct dns_posture **live; /* live[i]: domain i's posture while it runs */
	struct check_slot *slot;
	size_t next; /* the next domain to start */
};

/* The runner's callback argument: which domain a posture is. */
struct check_slot {
	struct check_run *run;
	size_t i;
};

static void on_done(void *arg, struct dns_posture *p)
{
	struct check_slot *sl = arg;

	daemon_render_put(sl->run->rend, sl->i, p);
	dns_posture_free(p);
	sl->run->live[sl->i] = NULL;
}

/*
 * Keep at most two runner-fulls of postures in existence, so memory does not
 * grow with the number of domains: each one is rendered and freed as it
 * completes (daemon/render keeps only the text of early finishers).
 */
static enum mp_err drive(struct check_run *run, struct dns_runner *r, size_t window)
{
	size_t n = run->a->domains.n;
	enum mp_err e = ERR_OK;

	while (e == ERR_OK && (run->next < n || dns_runner_pending(r) > 0)) {
		while (run->next < n && dns_runner_pending(r) < window) {
			size_t i = run->next++;

			run->slot[i] = (struct check_slot){.run = run, .i = i};
			run->live[i] = dns_posture_new(run->a->domains.v[i], run->po);
			dns_runner_add(r, run->live[i], on_done, &run->slot[i]);
		}
		e = dns_runner_pump(r, 200);
	}
	return e;
}

static int run_checks(const struct check_args *a)
{
	struct dns_resolver *res = NULL;
	struct common_fetch *fetch = NULL;
	struct dns_runner *runner = NULL;
	struct dns_posture_key *keys = xcalloc(a->keysel.n ? a->keysel.n : 1, sizeof *keys);
	struct dns_posture_opts po = {0};
	struct check_run run = {.a = a, .po = &po};
	struct dns_orgdomain *psl = dns_orgdomain_new();
	size_t n = a->domains.n, active = a->concurrency ? a->concurrency : 1000;
	int rc = DAEMON_EXIT_USAGE;

	po.psl = psl;
	if (make_resolver(a, &res) != ERR_OK) {
		fputs("mailpulse check: bad --resolver (want an IP address with an optional "
		      "port, e.g. 127.0.0.1:5353 or [::1]:53) or no usable resolv.conf\n",
		      stderr);
		goto out;
	}
	if (!a->no_https) {
		struct common_fetch_opts fo = {.ca_file = a->ca_file,
					       .timeout_ms = a->timeout_ms,
					       .port_override = a->https_port};

		fetch = common_fetch_new(&fo);
	}
	for (size_t i = 0; i < a->keysel.n; i++) {
		keys[i].selector = a->keysel.v[i];
		keys[i].path = a->keyfile.v[i];
	}
	po.selectors = (const char *const *)a->selectors.v;
	po.n_selectors = a->selectors.n;
	po.keys = keys;
	po.n_keys = a->keysel.n;
	po.no_discovery = a->no_discovery;
	po.expect_dmarc = a->expect_dmarc;
	run.live = xcalloc(n ? n : 1, sizeof *run.live);
	run.slot = xcalloc(n ? n : 1, sizeof *run.slot);
	run.rend = daemon_render_begin(stdout, a->fmt, a->explain, n);
	runner = dns_runner_new(res, fetch, active);
	if (drive(&run, runner, 2 * active) != ERR_OK) {
		fputs("mailpulse check: the event loop failed\n", stderr);
		daemon_render_abandon(run.rend); /* part of a report is out: do not end it */
		goto out;
	}
	if (a->stats)
		print_stats(res);
	rc = daemon_render_end(run.rend);
out:
	dns_runner_free(runner);
	for (size_t i = 0; run.live && i < n; i++)
		dns_posture_free(run.live[i]);
	free(run.live);
	free(run.slot);
	free(keys);
	common_fetch_free(fetch);
	dns_resolver_free(res);
	dns_orgdomain_free(psl);
	return rc;
}

int daemon_cmd_check(int argc, char **argv)
{
	struct check_args a = {.fmt = RENDER_TEXT, .timeout_ms = 5000, .qps = 200};
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "s:r:t:f:eh", check_opts, NULL)) != -1) {
		if (c == 'h') {
			check_usage(stdout);
			args_free(&a);
			return 0;
		}
		if (!check_opt(&a, c, optarg)) {
			args_free(&a);
			return DAEMON_EXIT_USAGE;
		}
	}
	for (int i = optind; i < argc; i++)
		daemon_strv_push(&a.domains, argv[i]);
	if (a.domains.n == 0) {
		fputs("mailpulse check: no domain given\n", stderr);
		check_usage(stderr);
		args_free(&a);
		return DAEMON_EXIT_USAGE;
	}
	rc = normalise_domains(&a.domains) ? run_checks(&a) : DAEMON_EXIT_USAGE;
	args_free(&a);
	return rc;
}
