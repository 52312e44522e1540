/*
 * daemon/cmd_bounce: `mailpulse bounce FILE... [--format json|text]
 * [--verp-local PREFIX] [--bench N [--bench-stage S]]`.  Reads each file as one message
 * (RFC 5322), classifies it with mail/dsn and prints one result per file:
 * JSON Lines ({"file","is_bounce","kind","recipients":[...]}) or text.  A file
 * that cannot be read or parsed prints {"file","error"} and makes the exit
 * status 1.  --bench N parses every file N times in this process and prints
 * only "files=F secs=S files_per_sec=R" (bench/mail/bounce uses it);
 * --bench-stage mime|gmime times only mail/mime, or only GMime's parse.
 *
 * What it does not: fetch mail or store anything.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/json.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "daemon/cmd.h"
#include "mail/dsn.h"
#include "mail/mime.h"

/* Bounces are small; a bigger file is not one we should parse in full. */
#define BOUNCE_FILE_MAX (16u * 1024u * 1024u)

struct bounce_args {
	const char *format;
	const char *verp_local;
	unsigned long bench;
	const char *stage; /* --bench-stage: "dsn" (default), "mime" or "gmime" */
};

static void bounce_usage(FILE *out)
{
	fputs("usage: mailpulse bounce FILE... [--format json|text] [--verp-local PREFIX]\n"
	      "         [--bench N [--bench-stage dsn|mime|gmime]]\n",
	      out);
}

static const struct option bounce_opts[] = {
    {"format", required_argument, NULL, 'f'}, {"verp-local", required_argument, NULL, 'v'},
    {"bench", required_argument, NULL, 'b'},  {"bench-stage", required_argument, NULL, 's'},
    {"help", no_argument, NULL, 'h'},	      {NULL, 0, NULL, 0},
};

/* Read a whole file (at most BOUNCE_FILE_MAX bytes). */
static enum mp_err read_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return ERR_IO;
	size_t cap = 65536, n = 0;
	char *b = xmalloc(cap);
	enum mp_err err = ERR_OK;
	for (;;) {
		if (n == cap) {
			if (cap >= BOUNCE_FILE_MAX) {
				err = ERR_LIMIT;
				break;
			}
			cap *= 2;
			b = xreallocarray(b, cap, 1);
		}
		size_t got = fread(b + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f))
				err = ERR_IO;
			break;
		}
	}
	fclose(f);
	if (err != ERR_OK) {
		free(b);
		return err;
	}
	*out = b;
	*len = n;
	return ERR_OK;
}

static struct common_json *rcpt_json(const struct mail_dsn_rcpt *r)
{
	struct common_json *o = common_json_object();
	common_json_set_str(o, "address", r->address);
	common_json_set_str(o, "action", r->action);
	common_json_set_str(o, "status", r->status);
	common_json_set_int(o, "reply_code", r->reply_code);
	common_json_set_str(o, "reason", r->reason);
	common_json_set_bool(o, "hard", r->hard);
	common_json_set_str(o, "diagnostic", r->diagnostic);
	common_json_set_str(o, "remote_host", r->remote_host);
	common_json_set_str(o, "token", r->token);
	return o;
}

static void print_json(const char *file, const struct mail_dsn *d, const char *error)
{
	struct common_json *o = common_json_object();
	common_json_set_str(o, "file", file);
	if (error) {
		common_json_set_str(o, "error", error);
	} else {
		common_json_set_bool(o, "is_bounce", d->is_bounce);
		common_json_set_str(o, "kind", mail_dsn_kind_name(d->kind));
		struct common_json *a = common_json_array();
		for (size_t i = 0; i < d->n_rcpts; i++)
			common_json_push(a, rcpt_json(&d->rcpts[i]));
		common_json_set(o, "recipients", a);
	}
	char *s = common_json_dump(o, false);
	puts(s);
	free(s);
	common_json_free(o);
}

static void print_text(const char *file, const struct mail_dsn *d, const char *error)
{
	if (error) {
		printf("%s: error: %s\n", file, error);
		return;
	}
	printf("%s: %s\n", file, mail_dsn_kind_name(d->kind));
	for (size_t i = 0; i < d->n_rcpts; i++) {
		const struct mail_dsn_rcpt *r = &d->rcpts[i];
		printf("  %s action=%s status=%s reply=%d reason=%s %s", r->address,
		       *r->action ? r->action : "-", *r->status ? r->status : "-", r->reply_code,
		       r->reason, r->hard ? "hard" : "soft");
		if (*r->remote_host)
			printf(" remote=%s", r->remote_host);
		if (*r->token)
			printf(" token=%s", r->token);
		printf("\n    %s\n", r->diagnostic);
	}
}

/* One file; returns false on a read or parse error. */
static bool bounce_one(const char *path, const struct bounce_args *a)
{
	char *buf = NULL;
	size_t len = 0;
	struct mail_dsn d = {0};
	enum mp_err err = read_file(path, &buf, &len);
	const char *why = NULL;
	if (err != ERR_OK)
		why = err == ERR_IO ? strerror(errno) : common_err_str(err);
	else if ((err = mail_dsn_parse(buf, len, a->verp_local, &d)) != ERR_OK)
		why = common_err_str(err);
	if (strcmp(a->format, "text") == 0)
		print_text(path, &d, why);
	else
		print_json(path, &d, why);
	mail_dsn_free(&d);
	free(buf);
	return why == NULL;
}

/*
 * One file through the stage --bench-stage names: the whole of mail/dsn
 * ("dsn"), only mail/mime with the flags mail/dsn uses ("mime"), or only
 * GMime's parse ("gmime", the floor).  Splits the time between them.
 */
static enum mp_err bench_one(const char *buf, size_t len, const struct bounce_args *a)
{
	if (strcmp(a->stage, "gmime") == 0)
		return mail_mime_parse_discard(buf, len);
	if (strcmp(a->stage, "mime") == 0) {
		struct mail_mime *m = NULL;
		enum mp_err err =
		    mail_mime_parse_opts(buf, len, MAIL_DSN_MAX_BODY, MAIL_DSN_MIME_FLAGS, &m);
		mail_mime_free(m);
		return err;
	}
	struct mail_dsn d = {0};
	enum mp_err err = mail_dsn_parse(buf, len, a->verp_local, &d);
	mail_dsn_free(&d);
	return err;
}

/* --bench: parse every file n times, report the rate. */
static int bounce_bench(int nfiles, char **files, const struct bounce_args *a)
{
	struct timespec t0, t1;
	size_t done = 0;
	int rc = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned long k = 0; k < a->bench; k++) {
		for (int i = 0; i < nfiles; i++) {
			char *buf = NULL;
			size_t len = 0;
			if (read_file(files[i], &buf, &len) != ERR_OK ||
			    bench_one(buf, len, a) != ERR_OK)
				rc = 1;
			free(buf);
			done++;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("files=%zu secs=%.3f files_per_sec=%.0f\n", done, secs,
	       secs > 0 ? (double)done / secs : 0.0);
	return rc;
}

int daemon_cmd_bounce(int argc, char **argv)
{
	struct bounce_args a = {.format = "json", .verp_local = NULL, .bench = 0, .stage = "dsn"};
	int c, rc = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:v:b:s:h", bounce_opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			a.format = optarg;
			break;
		case 'v':
			a.verp_local = optarg;
			break;
		case 'b': {
			uint64_t v = 0;
			if (common_str_to_u64(optarg, strlen(optarg), 1000000, &v) != ERR_OK ||
			    v == 0) {
				bounce_usage(stderr);
				return DAEMON_EXIT_USAGE;
			}
			a.bench = (unsigned long)v;
			break;
		}
		case 's':
			a.stage = optarg;
			break;
		case 'h':
			bounce_usage(stdout);
			return 0;
		default:
			bounce_usage(stderr);
			return DAEMON_EXIT_USAGE;
		}
	}
	if (optind >= argc || (strcmp(a.format, "json") != 0 && strcmp(a.format, "text") != 0) ||
	    (strcmp(a.stage, "dsn") != 0 && strcmp(a.stage, "mime") != 0 &&
	     strcmp(a.stage, "gmime") != 0)) {
		bounce_usage(stderr);
		return DAEMON_EXIT_USAGE;
	}
	if (a.bench)
		return bounce_bench(argc - optind, argv + optind, &a);
	for (int i = optind; i < argc; i++)
		if (!bounce_one(argv[i], &a))
			rc = 1;
	return rc;
}
