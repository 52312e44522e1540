/*
 * daemon/cmd_spf: `mailpulse spf --ip ADDR --sender ADDR [--helo NAME]`
 * (DESIGN.md 5): evaluates check_host() (RFC 7208) with our own evaluator
 * over the real resolver.  The first word of the text output is the RFC 7208
 * result; json adds the explanation, the lookup counts and the trace.
 * Exit 0 when an evaluation ran (whatever its verdict), 3 when it could not.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "common/json.h"
#include "common/xmalloc.h"
#include "daemon/cli_args.h"
#include "daemon/cmd.h"
#include "dns/resolver.h"
#include "dns/spf_eval.h"

struct spf_args {
	const char *ip, *sender, *helo, *format;
	struct daemon_strv resolvers;
	unsigned timeout_ms;
	bool explain;
};

struct spf_run {
	struct dns_book *book;
	struct dns_spf_request req;
	struct dns_spf_result *res;
};

static enum mp_err spf_step(void *arg)
{
	struct spf_run *r = arg;

	return dns_spf_eval(r->book, &r->req, &r->res);
}

static void spf_usage(FILE *out)
{
	fputs("usage: mailpulse spf --ip ADDR --sender ADDR [--helo NAME]\n"
	      "         [--resolver HOST[:PORT]]... [--timeout SECS] [--format text|json]\n"
	      "         [--explain]\n",
	      out);
}

static const struct option spf_opts[] = {
    {"ip", required_argument, NULL, 'i'},
    {"sender", required_argument, NULL, 's'},
    {"helo", required_argument, NULL, 'H'},
    {"resolver", required_argument, NULL, 'r'},
    {"timeout", required_argument, NULL, 't'},
    {"format", required_argument, NULL, 'f'},
    {"explain", no_argument, NULL, 'e'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void print_text(const struct dns_spf_result *r, bool explain)
{
	struct common_json *j = common_json_string(r->reason, (size_t)-1);
	char *reason = common_json_dump(j, false);

	/* The reason holds DNS bytes: print it as a JSON string literal, never raw. */
	printf("%s %s\n", dns_spf_verdict_name(r->verdict), reason);
	free(reason);
	common_json_free(j);
	if (r->explanation) {
		j = common_json_string(r->explanation, (size_t)-1);
		reason = common_json_dump(j, false);
		printf("explanation: %s\n", reason);
		free(reason);
		common_json_free(j);
	}
	printf("dns lookups: %u of 10, void lookups: %u of 2\n", r->dns_terms, r->void_lookups);
	for (size_t i = 0; explain && i < r->n_steps; i++) {
		const struct dns_spf_step *s = &r->steps[i];
		struct common_json *line = common_json_array();
		char *txt;

		common_json_push(line, common_json_string(s->domain, (size_t)-1));
		common_json_push(line, common_json_string(s->term, (size_t)-1));
		common_json_push(line, common_json_string(s->action, (size_t)-1));
		common_json_push(line, common_json_string(s->outcome, (size_t)-1));
		txt = common_json_dump(line, false);
		printf("%*s%s\n", (int)(2 + 2 * s->depth), "", txt);
		free(txt);
		common_json_free(line);
	}
}

static void print_json(const struct dns_spf_result *r)
{
	struct common_json *o = common_json_object(), *steps = common_json_array();
	char *s;

	common_json_set_str(o, "result", dns_spf_verdict_name(r->verdict));
	common_json_set_str(o, "domain", r->domain);
	common_json_set_str(o, "sender", r->sender);
	common_json_set_str(o, "reason", r->reason);
	common_json_set(o, "mechanism", common_json_string(r->mechanism, (size_t)-1));
	common_json_set(o, "explanation", common_json_string(r->explanation, (size_t)-1));
	common_json_set_int(o, "lookups", r->dns_terms);
	common_json_set_int(o, "void_lookups", r->void_lookups);
	for (size_t i = 0; i < r->n_steps; i++) {
		struct common_json *st = common_json_object();

		common_json_set_int(st, "depth", r->steps[i].depth);
		common_json_set_str(st, "domain", r->steps[i].domain);
		common_json_set_str(st, "term", r->steps[i].term);
		common_json_set_str(st, "action", r->steps[i].action);
		common_json_set_str(st, "outcome", r->steps[i].outcome);
		common_json_push(steps, st);
	}
	common_json_set(o, "trace", steps);
	s = common_json_dump(o, true);
	printf("%s\n", s);
	free(s);
	common_json_free(o);
}

static int evaluate(const struct spf_args *a)
{
	struct dns_resolver_opts ro;
	struct dns_resolver *res = NULL;
	struct spf_run run = {0};
	int rc = DAEMON_EXIT_USAGE;

	if (dns_spf_ip_parse(a->ip, &run.req.ip) != ERR_OK) {
		fprintf(stderr, "mailpulse spf: --ip '%s' is not an IPv4 or IPv6 address\n", a->ip);
		return rc;
	}
	daemon_cli_resolver_opts(&a->resolvers, a->timeout_ms, &ro);
	if (dns_resolver_new(&ro, &res) != ERR_OK) {
		fputs("mailpulse spf: bad --resolver or no usable resolv.conf\n", stderr);
		return rc;
	}
	run.book = dns_book_new(1000);
	run.req.identity = a->sender && *a->sender ? DNS_SPF_ID_MAILFROM : DNS_SPF_ID_HELO;
	run.req.sender = a->sender;
	run.req.helo = a->helo;
	run.req.now = (int64_t)time(NULL);
	if (dns_resolver_run_sync(res, run.book, spf_step, &run) == ERR_OK && run.res) {
		if (strcmp(a->format, "json") == 0)
			print_json(run.res);
		else
			print_text(run.res, a->explain);
		rc = 0;
	} else {
		fputs("mailpulse spf: the evaluation could not run\n", stderr);
	}
	dns_spf_result_free(run.res);
	dns_book_free(run.book);
	dns_resolver_free(res);
	return rc;
}

int daemon_cmd_spf(int argc, char **argv)
{
	struct spf_args a = {.format = "text", .timeout_ms = 5000, .helo = ""};
	int c, rc = DAEMON_EXIT_USAGE;

	optind = 1;
	while ((c = getopt_long(argc, argv, "i:s:H:r:t:f:eh", spf_opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			a.ip = optarg;
			break;
		case 's':
			a.sender = optarg;
			break;
		case 'H':
			a.helo = optarg;
			break;
		case 'r':
			daemon_strv_push(&a.resolvers, optarg);
			break;
		case 'e':
			a.explain = true;
			break;
		case 'f':
			a.format = optarg;
			break;
		case 't':
			if (daemon_cli_parse_seconds(optarg, &a.timeout_ms) != ERR_OK)
				goto usage;
			break;
		case 'h':
			spf_usage(stdout);
			daemon_strv_free(&a.resolvers);
			return 0;
		default:
			goto usage;
		}
	}
	if (a.ip == NULL || (a.sender == NULL && !*a.helo) || optind != argc ||
	    (strcmp(a.format, "text") != 0 && strcmp(a.format, "json") != 0))
		goto usage;
	rc = evaluate(&a);
	daemon_strv_free(&a.resolvers);
	return rc;
usage:
	spf_usage(stderr);
	daemon_strv_free(&a.resolvers);
	return rc;
}
