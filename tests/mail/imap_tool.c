/*
 * tests/mail/imap_tool: one mail_imap_poll() from the command line, for
 * tests/integration/test_imap.sh.  Prints one line per message found,
 * "FOLDER PLACEMENT UID TOKEN LEN" (PLACEMENT inbox or spam), one line per
 * message left alone, "SKIP FOLDER PLACEMENT UID SIZE too-big|no-token",
 * and "deleted N", "more N"; on failure "error CAUSE login_failed=0|1:
 * TEXT" on stderr and exit 1 (2 for bad usage).  Folder names are printed
 * with spaces as '_' so the lines split on spaces.  With --save DIR each
 * message found is written to DIR/TOKEN.eml (DIR/uid-UID.eml without one).  With --delete-uids
 * FOLDER:UID,UID... no poll is made: mail_imap_delete() removes those UIDs
 * from FOLDER and "deleted N" is printed.  With --all every message of the
 * folders is fetched (all_messages, issue 5 report mailboxes): TOKEN is
 * printed as "-" for a message without one.
 *
 * Usage: imap_tool --host NAME [--addr IP] [--port N] [--starttls]
 *          [--ca FILE] [--no-verify] --user NAME
 *          [--folder NAME:inbox|spam]... [--delete] [--max-message BYTES]
 *          [--timeout-ms MS] [--save DIR] [--delete-uids FOLDER:UID,...] [--all]
 * The password comes from $IMAP_PASSWORD (never argv, which ps shows).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/str.h"
#include "common/xmalloc.h"
#include "mail/imap.h"

static const char *place(enum mail_imap_placement p)
{
	return p == MAIL_IMAP_SPAM ? "spam" : "inbox";
}

static void print_name(const char *s)
{
	for (; *s; s++)
		putchar(*s == ' ' ? '_' : *s);
}

static int usage(const char *why)
{
	fprintf(stderr, "imap_tool: %s\n", why);
	return 2;
}

static unsigned long num(const char *s)
{
	uint64_t v = 0;

	if (common_str_to_u64(s, strlen(s), 0xffffffffu, &v) != ERR_OK) {
		fprintf(stderr, "imap_tool: not a number: %s\n", s);
		exit(2);
	}
	return (unsigned long)v;
}

static int add_folder(struct mail_imap_folder *f, size_t *n, char *arg)
{
	char *colon = strrchr(arg, ':');

	if (*n == MAIL_IMAP_MAX_FOLDERS + 1 || colon == NULL)
		return usage("--folder NAME:inbox|spam");
	*colon = '\0';
	f[*n].name = arg;
	f[*n].placement = strcmp(colon + 1, "spam") == 0 ? MAIL_IMAP_SPAM : MAIL_IMAP_INBOX;
	(*n)++;
	return 0;
}

static void save(const char *dir, const struct mail_imap_msg *m)
{
	char *path = m->token[0] ? xasprintf("%s/%s.eml", dir, m->token)
				 : xasprintf("%s/uid-%lu.eml", dir, m->uid);
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(m->data, 1, m->len, f) != m->len || fclose(f) != 0)
		fprintf(stderr, "imap_tool: cannot write %s\n", path);
	free(path);
}

static void report(const struct mail_imap_result *r, const char *save_dir)
{
	for (size_t i = 0; i < r->n_msgs; i++) {
		const struct mail_imap_msg *m = &r->msgs[i];

		print_name(m->folder);
		printf(" %s %lu %s %zu\n", place(m->placement), m->uid,
		       m->token[0] ? m->token : "-", m->len);
		if (save_dir)
			save(save_dir, m);
	}
	for (size_t i = 0; i < r->n_skipped; i++) {
		const struct mail_imap_skip *s = &r->skipped[i];

		printf("SKIP ");
		print_name(s->folder);
		printf(" %s %lu %llu %s\n", place(s->placement), s->uid,
		       (unsigned long long)s->size,
		       s->why == MAIL_IMAP_SKIP_TOO_BIG ? "too-big" : "no-token");
	}
	printf("deleted %zu\nmore %zu\n", r->n_deleted, r->n_more);
}

/* --delete-uids FOLDER:UID,UID...: one mail_imap_delete(); the exit status. */
static int delete_uids(const struct mail_imap_opts *o, char *arg)
{
	unsigned long uids[MAIL_IMAP_MAX_MESSAGES];
	char *colon = strrchr(arg, ':'), *save_p = NULL, err[256];
	size_t n = 0, n_deleted = 0;

	if (colon == NULL)
		return usage("--delete-uids FOLDER:UID,...");
	*colon = '\0';
	for (char *u = strtok_r(colon + 1, ",", &save_p); u != NULL;
	     u = strtok_r(NULL, ",", &save_p)) {
		if (n == MAIL_IMAP_MAX_MESSAGES)
			return usage("too many UIDs");
		uids[n++] = num(u);
	}
	if (mail_imap_delete(o, arg, uids, n, &n_deleted, err, sizeof err) != ERR_OK) {
		fprintf(stderr, "error: %s\n", err);
		return 1;
	}
	printf("deleted %zu\n", n_deleted);
	return 0;
}

/* Fill o, f/n, *save_dir and *del from argv; 0, or the exit status for bad usage. */
static int parse_args(int argc, char **argv, struct mail_imap_opts *o, struct mail_imap_folder *f,
		      size_t *n, const char **save_dir, char **del)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--starttls") == 0) {
			o->implicit_tls = false;
			continue;
		}
		if (strcmp(a, "--no-verify") == 0) {
			o->tls_no_verify = true;
			continue;
		}
		if (strcmp(a, "--delete") == 0) {
			o->delete_found = true;
			continue;
		}
		if (strcmp(a, "--all") == 0) {
			o->all_messages = true;
			continue;
		}
		if (v == NULL)
			return usage("an option lacks its value");
		else if (strcmp(a, "--host") == 0)
			o->host = v;
		else if (strcmp(a, "--addr") == 0)
			o->addr = v;
		else if (strcmp(a, "--port") == 0)
			o->port = (unsigned)num(v);
		else if (strcmp(a, "--ca") == 0)
			o->ca_file = v;
		else if (strcmp(a, "--user") == 0)
			o->user = v;
		else if (strcmp(a, "--max-message") == 0)
			o->max_message = num(v);
		else if (strcmp(a, "--timeout-ms") == 0)
			o->timeout_ms = (unsigned)num(v);
		else if (strcmp(a, "--save") == 0)
			*save_dir = v;
		else if (strcmp(a, "--delete-uids") == 0)
			*del = v;
		else if (strcmp(a, "--folder") == 0) {
			if (add_folder(f, n, v) != 0)
				return 2;
		} else
			return usage("unknown option");
		i++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct mail_imap_folder f[MAIL_IMAP_MAX_FOLDERS + 1];
	struct mail_imap_opts o = {.implicit_tls = true};
	struct mail_imap_result r;
	const char *save_dir = NULL;
	char *del = NULL;
	size_t n = 0;
	enum mp_err e;
	int rc = parse_args(argc, argv, &o, f, &n, &save_dir, &del);

	if (rc != 0)
		return rc;
	o.password = getenv("IMAP_PASSWORD");
	if (del != NULL)
		return delete_uids(&o, del);
	if (n == 0) {
		f[n++] = (struct mail_imap_folder){"INBOX", MAIL_IMAP_INBOX};
		f[n++] = (struct mail_imap_folder){"Junk", MAIL_IMAP_SPAM};
	}
	o.folders = f;
	o.n_folders = n;
	e = mail_imap_poll(&o, &r);
	report(&r, save_dir);
	if (e != ERR_OK)
		fprintf(stderr, "error %s login_failed=%d: %s\n", common_err_str(r.cause),
			r.login_failed, r.error);
	mail_imap_result_free(&r);
	return e == ERR_OK ? 0 : 1;
}
