/*
 * tests/mail/smtpd_tool: the inbound SMTP listener (mail/smtpd) as a small
 * program for shell tests (tests/integration/test_smtpd.sh, and the probe
 * end-to-end test): it accepts the recipients matching --accept patterns
 * (fnmatch, case-insensitive; none given: nothing is accepted), writes every
 * delivered message to DIR/ID.eml and its envelope to DIR/ID.env, prints
 * the bound port on stdout and runs until SIGTERM or SIGINT.
 *
 *   smtpd_tool --dir DIR [--listen ADDR] [--port N] [--hostname NAME]
 *              [--cert PEM --key PEM] [--accept GLOB]... [--max-message N]
 *              [--idle-timeout S] [--fail-deliver]
 *
 * DIR/ID.env holds "key value" lines: ip, helo, esmtp, tls, smtputf8, from
 * (the reverse-path, "" for <>), and one rcpt line per recipient.  Both
 * files are written under a temporary name and renamed, .env first, so a
 * reader that sees ID.eml also sees ID.env.  --fail-deliver makes every
 * delivery fail (the listener answers 451).
 */
#include <errno.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/err.h"
#include "common/str.h"
#include "mail/smtpd.h"

#define MAX_PATTERNS 16

struct tool {
	const char *dir;
	const char *accept[MAX_PATTERNS];
	size_t n_accept;
	bool fail;
};

static bool rcpt_ok(void *arg, const char *addr)
{
	const struct tool *t = arg;
	size_t i;

	for (i = 0; i < t->n_accept; i++)
		if (fnmatch(t->accept[i], addr, FNM_CASEFOLD) == 0)
			return true;
	return false;
}

/* Write len bytes to DIR/NAME through DIR/NAME.tmp and a rename. */
static enum mp_err put_file(const char *dir, const char *name, const char *p, size_t len)
{
	char tmp[4096], fin[4096];
	FILE *f;
	bool ok;

	snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
	snprintf(fin, sizeof fin, "%s/%s", dir, name);
	f = fopen(tmp, "wb");
	if (f == NULL)
		return ERR_IO;
	ok = fwrite(p, 1, len, f) == len;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, fin) != 0) {
		unlink(tmp);
		return ERR_IO;
	}
	return ERR_OK;
}

static enum mp_err deliver(void *arg, const struct mail_smtpd_envelope *env, const char *msg,
			   size_t len)
{
	const struct tool *t = arg;
	char name[64], envtext[32768];
	size_t i, n;
	enum mp_err e;

	if (t->fail)
		return ERR_IO;
	n = (size_t)snprintf(envtext, sizeof envtext,
			     "ip %s\nhelo %s\nesmtp %s\ntls %s\nsmtputf8 %s\nfrom %s\n",
			     env->client_ip, env->helo, env->esmtp ? "yes" : "no",
			     env->tls ? "yes" : "no", env->smtputf8 ? "yes" : "no", env->mail_from);
	for (i = 0; i < env->n_rcpts && n < sizeof envtext; i++)
		n += (size_t)snprintf(envtext + n, sizeof envtext - n, "rcpt %s\n", env->rcpts[i]);
	if (n >= sizeof envtext)
		return ERR_LIMIT;
	snprintf(name, sizeof name, "%s.env", env->id);
	e = put_file(t->dir, name, envtext, n);
	if (e != ERR_OK)
		return e;
	snprintf(name, sizeof name, "%s.eml", env->id);
	return put_file(t->dir, name, msg, len);
}

static unsigned num(const char *s, const char *opt)
{
	uint64_t v;

	if (common_str_to_u64(s, strlen(s), UINT32_MAX, &v) != ERR_OK) {
		fprintf(stderr, "smtpd_tool: %s needs a number\n", opt);
		exit(2);
	}
	return (unsigned)v;
}

static void usage(void)
{
	fprintf(stderr, "usage: smtpd_tool --dir DIR [--listen ADDR] [--port N] [--hostname NAME]"
			" [--cert PEM --key PEM] [--accept GLOB]... [--max-message N]"
			" [--idle-timeout S] [--fail-deliver]\n");
	exit(2);
}

static void parse_args(int argc, char **argv, struct tool *t, struct mail_smtpd_opts *o)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--fail-deliver") == 0) {
			t->fail = true;
			continue;
		}
		if (v == NULL)
			usage();
		i++;
		if (strcmp(a, "--dir") == 0)
			t->dir = v;
		else if (strcmp(a, "--listen") == 0)
			o->listen_addr = v;
		else if (strcmp(a, "--port") == 0)
			o->port = num(v, a);
		else if (strcmp(a, "--hostname") == 0)
			o->hostname = v;
		else if (strcmp(a, "--cert") == 0)
			o->cert_file = v;
		else if (strcmp(a, "--key") == 0)
			o->key_file = v;
		else if (strcmp(a, "--max-message") == 0)
			o->max_message = num(v, a);
		else if (strcmp(a, "--idle-timeout") == 0)
			o->idle_timeout_s = num(v, a);
		else if (strcmp(a, "--accept") == 0 && t->n_accept < MAX_PATTERNS)
			t->accept[t->n_accept++] = v;
		else
			usage();
	}
	if (t->dir == NULL)
		usage();
}

int main(int argc, char **argv)
{
	struct tool t = {0};
	struct mail_smtpd_opts o = {.listen_fd = -1};
	struct mail_smtpd_handler h = {.arg = &t, .rcpt_ok = rcpt_ok, .deliver = deliver};
	struct mail_smtpd *s = NULL;
	char why[512] = "";
	sigset_t set;
	int sig = 0;

	parse_args(argc, argv, &t, &o);
	/* Block the stop signals first: the listener's threads inherit the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (mail_smtpd_start(&o, &h, &s, why, sizeof why) != ERR_OK) {
		fprintf(stderr, "smtpd_tool: %s\n", why);
		return 1;
	}
	printf("%u\n", mail_smtpd_port(s));
	fflush(stdout);
	sigwait(&set, &sig);
	mail_smtpd_stop(s);
	return 0;
}
