/*
 * daemon/cmd_verify: `mailpulse verify [FILE|-] --client-ip ADDR --helo NAME
 * [--mail-from ADDR] [--resolver HOST[:PORT]]... [--timeout S]
 * [--authserv-id ID] [--trust-authserv-id ID]... [--format text|json]`
 * (DESIGN.md 5): SPF, every DKIM signature and DMARC for one message read
 * from a file or standard input, over the real resolver (mail/verify).
 *
 * Text output: our RFC 8601 Authentication-Results field first (folded,
 * with LF line ends for the terminal), a blank line, then a summary in
 * plain words.  JSON: the whole struct mail_verify_result.
 * Exit status: 0 DMARC pass, 1 DMARC fail or none (no policy), 2 DMARC
 * temperror or permerror (could not be evaluated), 3 bad usage or set-up
 * failure (unreadable file, bad option, resolver).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "common/buf.h"
#include "common/json.h"
#include "common/xmalloc.h"
#include "daemon/cli_args.h"
#include "daemon/cmd.h"
#include "dns/resolver.h"
#include "mail/verify.h"

/* A message larger than this is refused (a probe is a few KiB; 64 MiB is generous). */
#define VERIFY_MAX_MSG ((size_t)64 << 20)

struct verify_args {
	const char *file, *ip, *helo, *mail_from, *authserv_id, *format;
	char *mail_from_owned; /* mail_from without its <> */
	struct daemon_strv resolvers, trusted;
	unsigned timeout_ms;
};

struct verify_run {
	struct dns_book *book;
	struct mail_verify_opts o;
	const char *msg;
	size_t len;
	struct mail_verify_result res;
	bool have;
};

static enum mp_err verify_step(void *arg)
{
	struct verify_run *r = arg;
	enum mp_err e = mail_verify_run(r->book, &r->o, r->msg, r->len, &r->res);

	r->have = e == ERR_OK;
	return e;
}

static void verify_usage(FILE *out)
{
	fputs("usage: mailpulse verify [FILE|-] --client-ip ADDR --helo NAME [--mail-from ADDR]\n"
	      "         [--resolver HOST[:PORT]]... [--timeout SECS] [--authserv-id ID]\n"
	      "         [--trust-authserv-id ID]... [--format text|json]\n"
	      "exit: 0 DMARC pass, 1 DMARC fail or no policy, 2 DMARC temperror or permerror,\n"
	      "      3 bad usage or set-up failure\n",
	      out);
}

static const struct option verify_opts[] = {
    {"client-ip", required_argument, NULL, 'i'},
    {"helo", required_argument, NULL, 'H'},
    {"mail-from", required_argument, NULL, 'm'},
    {"resolver", required_argument, NULL, 'r'},
    {"timeout", required_argument, NULL, 't'},
    {"authserv-id", required_argument, NULL, 'a'},
    {"trust-authserv-id", required_argument, NULL, 'T'},
    {"format", required_argument, NULL, 'f'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Read the whole message; NULL (and a message on stderr) on failure. */
static char *read_msg(const char *file, size_t *len)
{
	bool stdin_ = file == NULL || strcmp(file, "-") == 0;
	FILE *f = stdin_ ? stdin : fopen(file, "rb");
	struct buf b;
	char chunk[65536];
	size_t n;
	bool ok = true;

	if (f == NULL) {
		fprintf(stderr, "mailpulse verify: cannot open %s\n", file);
		return NULL;
	}
	common_buf_init(&b, VERIFY_MAX_MSG);
	while (ok && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
		ok = common_buf_append(&b, chunk, n) == ERR_OK;
	if (!ok)
		fprintf(stderr, "mailpulse verify: the message is larger than 64 MiB\n");
	else if (ferror(f)) {
		ok = false;
		fprintf(stderr, "mailpulse verify: read error on %s\n", stdin_ ? "stdin" : file);
	}
	if (!stdin_)
		fclose(f);
	if (!ok) {
		common_buf_free(&b);
		return NULL;
	}
	return common_buf_steal(&b, len);
}

/* Print s with control bytes (they come from the message or DNS) shown as '?'. */
static void put_safe(const char *s)
{
	for (; s != NULL && *s; s++)
		putchar(((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s);
}

static void print_dkim(const struct mail_verify_result *r)
{
	printf("DKIM: %zu signature%s%s\n", r->dkim.n_sigs, r->dkim.n_sigs == 1 ? "" : "s",
	       r->dkim.n_ignored ? " (more were not checked)" : "");
	for (size_t i = 0; i < r->dkim.n_sigs; i++) {
		const struct mail_dkim_sig *s = &r->dkim.sigs[i];

		printf("  %s d=", mail_dkim_res_name(s->result));
		put_safe(s->domain);
		printf(" s=");
		put_safe(s->selector);
		printf(" %s", mail_dkim_alg_name(s->alg));
		if (s->key_bits)
			printf(" %u bits", s->key_bits);
		if (s->testing)
			printf(" (testing key)");
		if (s->error && *s->error) {
			printf(": ");
			put_safe(s->error);
		}
		putchar('\n');
	}
}

static void print_text(const struct mail_verify_result *r)
{
	for (const char *p = r->authres; *p; p++)
		if (*p != '\r')
			putchar(*p);
	printf("\n\nDMARC: %s", mail_verify_dmarc_name(r->dmarc));
	if (r->policy[0])
		printf(" (policy %s)", r->policy);
	printf("\n  ");
	put_safe(r->dmarc_reason);
	printf("\nFrom domain: %s", r->from_domain[0] ? r->from_domain : "(none)");
	if (r->org_domain)
		printf(" (organizational domain %s)", r->org_domain);
	printf("\nSPF MAIL FROM: %s", r->spf_mailfrom);
	if (r->spf_domain) {
		printf(" for ");
		put_safe(r->spf_domain);
	}
	printf("%s\nSPF HELO: %s\n", r->spf_aligned ? ", aligned" : "", r->spf_helo);
	print_dkim(r);
	if (r->dkim_aligned)
		printf("  aligned: d=%s\n", r->aligned_dkim_domain);
	for (size_t i = 0; i < r->n_upstream; i++) {
		const struct mail_verify_upstream *u = &r->upstream[i];

		printf("%s", i == 0 ? "Upstream (trusted):\n" : "");
		printf("  ");
		put_safe(u->authserv_id);
		printf(": %s=%s ", u->method, u->result);
		put_safe(u->props);
		putchar('\n');
	}
}

static void print_json(const struct mail_verify_result *r)
{
	struct common_json *o = common_json_object(), *spf = common_json_object(),
			   *dm = common_json_object();
	char *s;

	common_json_set_str(spf, "helo", r->spf_helo);
	common_json_set_str(spf, "mailfrom", r->spf_mailfrom);
	common_json_set(spf, "domain", common_json_string(r->spf_domain, (size_t)-1));
	common_json_set(o, "spf", spf);
	common_json_set(o, "dkim", mail_verify_dkim_json(r));
	common_json_set_int(o, "dkim_ignored", (long long)r->dkim.n_ignored);
	common_json_set_str(dm, "result", mail_verify_dmarc_name(r->dmarc));
	common_json_set_str(dm, "from_domain", r->from_domain);
	common_json_set(dm, "org_domain", common_json_string(r->org_domain, (size_t)-1));
	common_json_set_bool(dm, "spf_aligned", r->spf_aligned);
	common_json_set_bool(dm, "dkim_aligned", r->dkim_aligned);
	common_json_set(dm, "aligned_dkim_domain",
			common_json_string(r->aligned_dkim_domain, (size_t)-1));
	common_json_set_str(dm, "policy", r->policy);
	common_json_set_str(dm, "reason", r->dmarc_reason);
	common_json_set(o, "dmarc", dm);
	common_json_set(o, "upstream", mail_verify_upstream_json(r));
	common_json_set_str(o, "authentication_results", r->authres);
	s = common_json_dump(o, true);
	printf("%s\n", s);
	free(s);
	common_json_free(o);
}

static int exit_for(enum mail_verify_dmarc d)
{
	switch (d) {
	case MAIL_VERIFY_DMARC_PASS:
		return 0;
	case MAIL_VERIFY_DMARC_FAIL:
	case MAIL_VERIFY_DMARC_NONE:
		return 1;
	case MAIL_VERIFY_DMARC_TEMPERROR:
	case MAIL_VERIFY_DMARC_PERMERROR:
		break;
	}
	return 2;
}

static void default_authserv_id(struct verify_run *run, char *host, size_t hostsz)
{
	if (run->o.authserv_id != NULL)
		return;
	if (gethostname(host, hostsz) != 0 || host[0] == '\0')
		snprintf(host, hostsz, "mailpulse");
	host[hostsz - 1] = '\0';
	run->o.authserv_id = host;
}

static int verify(const struct verify_args *a)
{
	struct dns_resolver_opts ro;
	struct dns_resolver *res = NULL;
	struct verify_run run = {0};
	char host[256], *msg;
	size_t len = 0;
	int rc = DAEMON_EXIT_USAGE;

	if ((msg = read_msg(a->file, &len)) == NULL)
		return rc;
	daemon_cli_resolver_opts(&a->resolvers, a->timeout_ms, &ro);
	run.o = (struct mail_verify_opts){
	    .client_ip = a->ip,
	    .helo = a->helo,
	    .mail_from = a->mail_from,
	    .authserv_id = a->authserv_id,
	    .trusted_authserv_ids = (const char *const *)a->trusted.v,
	    .n_trusted = a->trusted.n,
	    .dkim = mail_dkim_new(),
	};
	default_authserv_id(&run, host, sizeof host);
	if (run.o.dkim == NULL || dns_resolver_new(&ro, &res) != ERR_OK) {
		fputs("mailpulse verify: cannot set up DKIM or the resolver (bad --resolver?)\n",
		      stderr);
		goto out;
	}
	run.book = dns_book_new(1000);
	run.msg = msg;
	run.len = len;
	if (dns_resolver_run_sync(res, run.book, verify_step, &run) == ERR_OK && run.have) {
		if (strcmp(a->format, "json") == 0)
			print_json(&run.res);
		else
			print_text(&run.res);
		rc = exit_for(run.res.dmarc);
	} else {
		fputs("mailpulse verify: the verification could not run (bad --client-ip?)\n",
		      stderr);
	}
out:
	if (run.have)
		mail_verify_result_free(&run.res);
	dns_book_free(run.book);
	dns_resolver_free(res);
	mail_dkim_free(run.o.dkim);
	free(msg);
	return rc;
}

static int parse_opt(struct verify_args *a, int c)
{
	switch (c) {
	case 'i':
		a->ip = optarg;
		break;
	case 'H':
		a->helo = optarg;
		break;
	case 'm':
		a->mail_from = optarg;
		break;
	case 'r':
		daemon_strv_push(&a->resolvers, optarg);
		break;
	case 'a':
		a->authserv_id = optarg;
		break;
	case 'T':
		daemon_strv_push(&a->trusted, optarg);
		break;
	case 'f':
		a->format = optarg;
		break;
	case 't':
		return daemon_cli_parse_seconds(optarg, &a->timeout_ms) == ERR_OK ? 0 : -1;
	default:
		return -1;
	}
	return 0;
}

int daemon_cmd_verify(int argc, char **argv)
{
	struct verify_args a = {.format = "text", .timeout_ms = 5000};
	int c, rc = DAEMON_EXIT_USAGE;

	optind = 1;
	while ((c = getopt_long(argc, argv, "i:H:m:r:t:a:T:f:h", verify_opts, NULL)) != -1) {
		if (c == 'h') {
			verify_usage(stdout);
			rc = 0;
			goto out;
		}
		if (parse_opt(&a, c) != 0)
			goto usage;
	}
	if (optind < argc)
		a.file = argv[optind++];
	if (a.ip == NULL || a.helo == NULL || optind != argc ||
	    (strcmp(a.format, "text") != 0 && strcmp(a.format, "json") != 0))
		goto usage;
	if (a.mail_from != NULL && a.mail_from[0] == '<') {
		/* Accept "<user@example.com>" and "<>" as typed from an SMTP transcript. */
		size_t n = strlen(a.mail_from);

		if (n >= 2 && a.mail_from[n - 1] == '>')
			a.mail_from = a.mail_from_owned = xmemdup0(a.mail_from + 1, n - 2);
	}
	rc = verify(&a);
	goto out;
usage:
	verify_usage(stderr);
out:
	daemon_strv_free(&a.resolvers);
	daemon_strv_free(&a.trusted);
	free(a.mail_from_owned);
	return rc;
}
