/*
 * tests/mail/test_imap: mail/imap without a real IMAP server.  The response
 * parsers (SEARCH with and without MODSEQ, CAPABILITY UIDPLUS/IMAP4rev2,
 * FETCH RFC822.SIZE) on real Dovecot replies and on hostile ones (garbage,
 * NUL bytes, zero and 33-bit UIDs, thousands of UIDs, deep nesting, 64 KB
 * lines, literals); the option checks of mail_imap_poll(); and the wire
 * failures that need no TLS server: a closed port, a server that never
 * greets, and one that does not offer STARTTLS (the password must never be
 * sent); the stop switch (cancel).  tests/integration/test_imap.sh runs
 * the real thing against Dovecot (all_messages included).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "common/buf.h"
#include "common/xmalloc.h"
#include "mail/imap.h"
#include "tests/lib/tap.h"

#define PASSWORD "Pw-imap-unit-7731"

static enum mp_err search(const char *s, size_t len, unsigned long *uids, size_t max, size_t *n,
			  size_t *total)
{
	return mail_imap_parse_search(s, len, uids, max, n, total);
}

#define S(lit) lit, sizeof(lit) - 1

static void test_search_basic(void)
{
	unsigned long u[8] = {0};
	size_t n = 99, total = 99;

	tap_is_int(search(S("* SEARCH 1 2 3\r\n"), u, 8, &n, &total), ERR_OK, "SEARCH parses");
	tap_ok(n == 3 && total == 3 && u[0] == 1 && u[1] == 2 && u[2] == 3, "UIDs 1 2 3");
	tap_is_int(search(S("* SEARCH\r\n"), u, 8, &n, &total), ERR_OK, "empty SEARCH parses");
	tap_ok(n == 0 && total == 0, "no UIDs");
	tap_is_int(search(S(""), u, 8, &n, &total), ERR_OK, "an empty reply is no UIDs");
	tap_ok(n == 0, "none");
	tap_is_int(search(S("* 4 EXISTS\r\n* 1 RECENT\r\n* SEARCH 9 4 9 7\r\n* OK still here\r\n"),
			  u, 8, &n, &total),
		   ERR_OK, "other untagged lines are ignored");
	tap_ok(n == 3 && total == 3 && u[0] == 4 && u[1] == 7 && u[2] == 9,
	       "UIDs sorted and distinct (4 7 9)");
	tap_is_int(search(S("* search 5\n* SEARCH 6"), u, 8, &n, &total), ERR_OK,
		   "lower case, LF only, last line without its end");
	tap_ok(n == 2 && u[0] == 5 && u[1] == 6, "UIDs 5 6 from two lines");
	tap_is_int(search(S("* SEARCH 2 3 (MODSEQ 917162500)\r\n"), u, 8, &n, &total), ERR_OK,
		   "RFC 7162 3.1.5 MODSEQ tail accepted");
	tap_ok(n == 2 && u[1] == 3, "UIDs before MODSEQ kept");
	tap_is_int(search(S("* SEARCH 8 \r\n"), u, 8, &n, &total), ERR_OK,
		   "a trailing space is tolerated");
	tap_ok(n == 1 && u[0] == 8, "UID 8");
	tap_is_int(search(S("* SEARCH 4294967295\r\n"), u, 8, &n, &total), ERR_OK,
		   "the largest 32-bit UID");
	tap_ok(n == 1 && u[0] == 4294967295UL, "kept whole");
	tap_is_int(search(S("* SEARCHING 1 x\r\n* SEARCH 2\r\n"), u, 8, &n, &total), ERR_OK,
		   "a different word that starts with SEARCH is not SEARCH");
	tap_ok(n == 1 && u[0] == 2, "only UID 2");
}

static void test_search_hostile(void)
{
	unsigned long u[4] = {11, 12, 13, 14};
	size_t n = 77, total = 77;
	static const struct {
		const char *s;
		size_t len;
		const char *why;
	} bad[] = {
	    {S("* SEARCH 1 x\r\n"), "a word among the UIDs"},
	    {S("* SEARCH 0\r\n"), "UID 0 (RFC 9051: nz-number)"},
	    {S("* SEARCH 4294967296\r\n"), "a 33-bit UID"},
	    {S("* SEARCH 99999999999999999999999999\r\n"), "a 26-digit UID"},
	    {S("* SEARCH -1\r\n"), "a negative UID"},
	    {S("* SEARCH 1  2\r\n"), "two spaces"},
	    {S("* SEARCH 1\0 2\r\n"), "a NUL byte"},
	    {S("* SEARCH 1\t2\r\n"), "a tab"},
	    {S("* SEARCH 1 (MODSEQ)\r\n"), "MODSEQ without a value"},
	    {S("* SEARCH 1 (MODSEQ 5) 7\r\n"), "UIDs after MODSEQ"},
	    {S("* SEARCH 1 (FOO 5)\r\n"), "an unknown parenthesised tail"},
	    {S("* SEARCH 1\r\r\n"), "a stray CR"},
	    {S("* SEARCH \xff\xfe\r\n"), "invalid UTF-8"},
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		tap_is_int(search(bad[i].s, bad[i].len, u, 4, &n, &total), ERR_PARSE, "refused: %s",
			   bad[i].why);
	tap_ok(n == 77 && total == 77 && u[0] == 11, "outputs untouched on failure");
}

static void test_search_many(void)
{
	unsigned long u[MAIL_IMAP_MAX_MESSAGES];
	size_t n = 0, total = 0;
	struct buf b;
	bool ok = true;

	/* 5000 UIDs, highest first, each twice: the 200 lowest are kept, sorted. */
	common_buf_init(&b, 1 << 20);
	ok = common_buf_puts(&b, "* SEARCH") == ERR_OK;
	for (unsigned long i = 5000; i >= 1; i--)
		ok = ok && common_buf_printf(&b, " %lu %lu", i, i) == ERR_OK;
	ok = ok && common_buf_puts(&b, "\r\n") == ERR_OK;
	tap_ok(ok, "built a 5000-UID reply");
	tap_is_int(search(b.data, b.len, u, MAIL_IMAP_MAX_MESSAGES, &n, &total), ERR_OK,
		   "a huge SEARCH reply parses");
	tap_is_int((long long)n, MAIL_IMAP_MAX_MESSAGES, "capped at MAIL_IMAP_MAX_MESSAGES");
	tap_ok(total >= 5000, "total counts at least the 5000 distinct UIDs (%zu)", total);
	ok = true;
	for (size_t i = 0; i < n; i++)
		ok = ok && u[i] == i + 1;
	tap_ok(ok, "the lowest (oldest) 200, ascending");
	common_buf_free(&b);

	/* 64 KB of junk without any line end, and 64 KB of NULs. */
	char *junk = xmalloc(65536);

	memset(junk, 'A', 65536);
	tap_is_int(search(junk, 65536, u, 4, &n, &total), ERR_OK, "64 KB of junk: no SEARCH line");
	tap_ok(n == 0, "and no UIDs");
	memset(junk, 0, 65536);
	tap_is_int(search(junk, 65536, u, 4, &n, &total), ERR_OK, "64 KB of NULs: no SEARCH line");
	memcpy(junk, "* SEARCH 1 ", 11);
	tap_is_int(search(junk, 65536, u, 4, &n, &total), ERR_PARSE,
		   "a SEARCH line followed by 64 KB of NULs is refused");
	free(junk);
}

static void test_caps(void)
{
	static const char dovecot[] =
	    "* CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT "
	    "SORT=DISPLAY THREAD=REFERENCES MULTIAPPEND URL-PARTIAL CATENATE UNSELECT "
	    "CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH "
	    "MOVE SPECIAL-USE\r\n";
	unsigned caps = 99;

	tap_is_int(mail_imap_parse_caps(dovecot, sizeof dovecot - 1, &caps), ERR_OK,
		   "Dovecot 2.3's CAPABILITY parses");
	tap_is_int(caps, MAIL_IMAP_CAP_UIDPLUS, "UIDPLUS found (RFC 4315)");
	tap_is_int(mail_imap_parse_caps(S("* CAPABILITY IMAP4rev2 AUTH=PLAIN\r\n"), &caps), ERR_OK,
		   "an IMAP4rev2 server");
	tap_is_int(caps, MAIL_IMAP_CAP_IMAP4REV2, "IMAP4rev2 has UID EXPUNGE (RFC 9051)");
	tap_is_int(mail_imap_parse_caps(S("* 1 EXISTS\n* capability imap4rev1 uidplus\n"), &caps),
		   ERR_OK, "lower case");
	tap_is_int(caps, MAIL_IMAP_CAP_UIDPLUS, "uidplus found");
	tap_is_int(mail_imap_parse_caps(S("* CAPABILITY IMAP4rev1 UIDPLUSX XUIDPLUS\r\n"), &caps),
		   ERR_OK, "look-alikes");
	tap_is_int(caps, 0, "are not UIDPLUS");
	tap_is_int(mail_imap_parse_caps(S("* CAPABILITY\r\n"), &caps), ERR_OK, "an empty list");
	tap_is_int(caps, 0, "has nothing");
	caps = 42;
	tap_is_int(mail_imap_parse_caps(S("* OK [CAPABILITY UIDPLUS] hi\r\n"), &caps), ERR_PARSE,
		   "no CAPABILITY line: ERR_PARSE");
	tap_is_int(caps, 42, "caps untouched");
	tap_is_int(mail_imap_parse_caps(S("* CAPABILITY UID\0PLUS\r\n"), &caps), ERR_OK,
		   "NUL inside a word");
	tap_is_int(caps, 0, "is not UIDPLUS");
}

static void test_sizes(void)
{
	unsigned long u[4] = {1, 2, 3, 9};
	uint64_t sz[4];
	char deep[600];
	size_t k = 0;

	tap_is_int((long long)mail_imap_parse_sizes(S("* 1 FETCH (UID 1 RFC822.SIZE 177)\r\n"
						      "* 2 FETCH (RFC822.SIZE 47 UID 2)\r\n"),
						    u, 4, sz),
		   2, "Dovecot's FETCH lines: two sizes, either order");
	tap_ok(sz[0] == 177 && sz[1] == 47 && sz[2] == UINT64_MAX && sz[3] == UINT64_MAX,
	       "177 and 47; the rest unknown");
	tap_is_int((long long)mail_imap_parse_sizes(
		       S("* 3 FETCH (FLAGS (\\Seen $Junk (x (y))) UID 3 MODSEQ (12) "
			 "X-GM-LABELS (\"a)b\" \"c\\\"d\") BODY[HEADER.FIELDS (A B)] NIL "
			 "RFC822.SIZE 1000)\r\n"),
		       u, 4, sz),
		   1, "nested lists, quoted parens and escapes, BODY[...] names skipped");
	tap_ok(sz[2] == 1000, "size 1000 for UID 3");
	tap_is_int((long long)mail_imap_parse_sizes(S("* 7 FETCH (UID 77 RFC822.SIZE 5)\r\n"
						      "* 8 FETCH (UID 9)\r\n"
						      "* 9 FETCH (UID 9 RFC822.SIZE)\r\n"
						      "* 9 FETCH (UID 9 RFC822.SIZE x)\r\n"
						      "* 9 FETCH UID 9 RFC822.SIZE 4\r\n"
						      "* 9 FETCH (UID 9 RFC822.SIZE 4\r\n"
						      "* 9 FETCH (UID 9 RFC822.SIZE 4) x\r\n"
						      "* 9 FETCH (UID 0 RFC822.SIZE 4)\r\n"
						      "* 9 FETCH (UID 9 X {5}\r\n"
						      "* 9 FETCH (UID 9 RFC822.SIZE "
						      "18446744073709551615)\r\n"
						      "* x FETCH (UID 9 RFC822.SIZE 4)\r\n"
						      "* 9 FETCH (UID 9 RFC822.SIZE 4\0)\r\n"
						      "* 9 STORE (UID 9 RFC822.SIZE 4)\r\n"),
						    u, 4, sz),
		   0, "UIDs not asked for and malformed lines give nothing");
	tap_ok(sz[3] == UINT64_MAX, "UID 9 stays unknown");
	k = (size_t)snprintf(deep, sizeof deep, "* 1 FETCH (UID 9 X ");
	while (k < 500)
		deep[k++] = '(';
	tap_is_int((long long)mail_imap_parse_sizes(deep, k, u, 4, sz), 0,
		   "500 open parentheses: refused without recursion trouble");
	k = (size_t)snprintf(deep, sizeof deep, "* 1 FETCH (UID 9 X ");
	for (int i = 0; i < 10; i++)
		deep[k++] = '(';
	for (int i = 0; i < 10; i++)
		deep[k++] = ')';
	k += (size_t)snprintf(deep + k, sizeof deep - k, " RFC822.SIZE 12)");
	tap_is_int((long long)mail_imap_parse_sizes(deep, k, u, 4, sz), 1,
		   "10 levels of nesting are fine");
	tap_ok(sz[3] == 12, "size 12 for UID 9");
}

/* ---- poll: options and failures without TLS ---------------------------- */

static const struct mail_imap_folder folders[2] = {{"INBOX", MAIL_IMAP_INBOX},
						   {"Junk", MAIL_IMAP_SPAM}};

static void base_opts(struct mail_imap_opts *o, unsigned port)
{
	memset(o, 0, sizeof *o);
	o->host = "127.0.0.1";
	o->port = port;
	o->implicit_tls = false;
	o->user = "probe@example.test";
	o->password = PASSWORD;
	o->folders = folders;
	o->n_folders = 2;
	o->timeout_ms = 5000;
}

static void test_opts(void)
{
	struct mail_imap_folder many[MAIL_IMAP_MAX_FOLDERS + 1];
	struct mail_imap_folder crlf[1] = {{"INBOX\r\nA1 DELETE INBOX", MAIL_IMAP_INBOX}};
	struct mail_imap_result r;
	struct mail_imap_opts o;

	for (size_t i = 0; i < MAIL_IMAP_MAX_FOLDERS + 1; i++)
		many[i] = folders[0];
	base_opts(&o, 1);
	o.host = NULL;
	tap_is_int(mail_imap_poll(&o, &r), ERR_INVAL, "no host: ERR_INVAL");
	tap_ok(r.error[0] != '\0', "with words: %s", r.error);
	mail_imap_result_free(&r);
	base_opts(&o, 1);
	o.password = NULL;
	tap_is_int(mail_imap_poll(&o, &r), ERR_INVAL, "no password: ERR_INVAL");
	mail_imap_result_free(&r);
	base_opts(&o, 1);
	o.folders = many;
	o.n_folders = MAIL_IMAP_MAX_FOLDERS + 1;
	tap_is_int(mail_imap_poll(&o, &r), ERR_INVAL, "9 folders: ERR_INVAL");
	mail_imap_result_free(&r);
	base_opts(&o, 1);
	o.n_folders = 0;
	tap_is_int(mail_imap_poll(&o, &r), ERR_INVAL, "no folder: ERR_INVAL");
	mail_imap_result_free(&r);
	base_opts(&o, 1);
	o.folders = crlf;
	o.n_folders = 1;
	tap_is_int(mail_imap_poll(&o, &r), ERR_INVAL, "a folder name with CRLF: ERR_INVAL");
	mail_imap_result_free(&r);
	base_opts(&o, 1);
	o.host = "imap.example.test/INBOX?x";
	tap_is_int(mail_imap_poll(&o, &r), ERR_INVAL, "a host with URL syntax: ERR_INVAL");
	tap_ok(strstr(r.error, "not a valid host") != NULL, "said so: %s", r.error);
	mail_imap_result_free(&r);
	base_opts(&o, 1);
	o.host = "imap.example.test";
	o.addr = "imap.example.test";
	tap_is_int(mail_imap_poll(&o, &r), ERR_INVAL,
		   "an addr that is not an IP literal: ERR_INVAL");
	mail_imap_result_free(&r);
	mail_imap_result_free(NULL);
	tap_ok(true, "mail_imap_result_free(NULL) is a no-op");
}

/* mail_imap_delete() refuses bad requests before any connection. */
static void test_delete_opts(void)
{
	unsigned long ok_uids[2] = {3, 9}, zero[1] = {0}, big[1] = {(unsigned long)UINT32_MAX + 1};
	unsigned long many[MAIL_IMAP_MAX_MESSAGES + 1];
	struct mail_imap_opts o;
	size_t n = 77;
	char err[256];

	for (size_t i = 0; i < MAIL_IMAP_MAX_MESSAGES + 1; i++)
		many[i] = i + 1;
	base_opts(&o, 1);
	o.host = NULL;
	tap_is_int(mail_imap_delete(&o, "INBOX", ok_uids, 2, &n, err, sizeof err), ERR_INVAL,
		   "delete: no host: ERR_INVAL");
	tap_ok(strstr(err, "host") != NULL && n == 77, "  said so, n_deleted untouched: %s", err);
	base_opts(&o, 1);
	tap_is_int(
	    mail_imap_delete(&o, "INBOX\r\nA1 DELETE INBOX", ok_uids, 2, &n, err, sizeof err),
	    ERR_INVAL, "delete: a folder name with CRLF: ERR_INVAL");
	tap_is_int(mail_imap_delete(&o, "INBOX", ok_uids, 0, &n, err, sizeof err), ERR_INVAL,
		   "delete: no UID: ERR_INVAL");
	tap_is_int(
	    mail_imap_delete(&o, "INBOX", many, MAIL_IMAP_MAX_MESSAGES + 1, &n, err, sizeof err),
	    ERR_INVAL, "delete: more than MAIL_IMAP_MAX_MESSAGES UIDs: ERR_INVAL");
	tap_is_int(mail_imap_delete(&o, "INBOX", zero, 1, &n, err, sizeof err), ERR_INVAL,
		   "delete: UID 0 (RFC 9051 nz-number): ERR_INVAL");
	if (sizeof(unsigned long) > 4)
		tap_is_int(mail_imap_delete(&o, "INBOX", big, 1, &n, err, sizeof err), ERR_INVAL,
			   "delete: a 33-bit UID: ERR_INVAL");
	else
		tap_skip("unsigned long is 32 bits: no 33-bit UID to refuse");
	tap_is_int(mail_imap_delete(NULL, "INBOX", ok_uids, 2, &n, err, sizeof err), ERR_INVAL,
		   "delete: no options: ERR_INVAL");
	tap_ok(n == 77, "n_deleted is set only on success");
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A listening socket on a free 127.0.0.1 port. */
static int listen_any(unsigned *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 4) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) != 0)
		abort();
	*port = ntohs(a.sin_port);
	return fd;
}

static void test_closed_port(void)
{
	struct mail_imap_result r;
	struct mail_imap_opts o;
	unsigned port = 0;
	int fd = listen_any(&port);
	double t0;

	close(fd); /* nothing listens there now */
	base_opts(&o, port);
	o.implicit_tls = true;
	t0 = now_s();
	tap_is_int(mail_imap_poll(&o, &r), ERR_NET, "a closed port: ERR_NET");
	tap_ok(now_s() - t0 < 3.0, "quickly (%.2f s)", now_s() - t0);
	tap_is_int(r.cause, ERR_NET, "cause ERR_NET");
	tap_ok(strstr(r.error, "127.0.0.1") != NULL, "error names the server: %s", r.error);
	tap_ok(strstr(r.error, PASSWORD) == NULL, "error holds no password");
	tap_ok(!r.login_failed && r.n_msgs == 0, "no login failure, no messages");
	mail_imap_result_free(&r);
}

/*
 * A child plays a plain IMAP server from a script: greet (or stay silent
 * when greeting is NULL), then answer every tagged command with "tag BAD"
 * after the untagged lines of its first word's entry.  Everything the
 * client sent goes to the pipe wfd.
 */
static void serve(int lfd, const char *greeting, const char *caps, int wfd)
{
	char buf[4096];
	int c = accept(lfd, NULL, NULL);
	ssize_t got;

	if (c < 0)
		_exit(1);
	if (greeting == NULL) {
		sleep(30);
		_exit(0);
	}
	if (write(c, greeting, strlen(greeting)) < 0)
		_exit(1);
	while ((got = read(c, buf, sizeof buf - 1)) > 0) {
		char out[8192];
		char *sp;

		buf[got] = '\0';
		if (write(wfd, buf, (size_t)got) < 0)
			_exit(1);
		sp = strchr(buf, ' ');
		if (sp == NULL)
			continue;
		*sp = '\0';
		snprintf(out, sizeof out, "%s%s OK done\r\n",
			 strncmp(sp + 1, "CAPABILITY", 10) == 0 ? caps : "", buf);
		if (write(c, out, strlen(out)) < 0)
			_exit(1);
	}
	_exit(0);
}

static pid_t start_server(const char *greeting, const char *caps, unsigned *port, int *rfd)
{
	int lfd = listen_any(port), p[2];
	pid_t pid;

	if (pipe(p) != 0)
		abort();
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		serve(lfd, greeting, caps, p[1]);
	}
	close(lfd);
	close(p[1]);
	*rfd = p[0];
	return pid;
}

static char *drain(int fd)
{
	struct buf b;
	char tmp[4096];
	ssize_t n;

	common_buf_init(&b, 1 << 20);
	while ((n = read(fd, tmp, sizeof tmp)) > 0)
		if (common_buf_append(&b, tmp, (size_t)n) != ERR_OK)
			break;
	close(fd);
	return common_buf_steal(&b, NULL);
}

static void stop_server(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void test_no_starttls(void)
{
	struct mail_imap_result r;
	struct mail_imap_opts o;
	unsigned port = 0;
	int rfd = -1;
	pid_t pid = start_server("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi\r\n",
				 "* CAPABILITY IMAP4rev1 AUTH=PLAIN LOGIN\r\n", &port, &rfd);
	char *seen;

	base_opts(&o, port);
	tap_is_int(mail_imap_poll(&o, &r), ERR_NET, "a server without STARTTLS: ERR_NET");
	tap_is_int(r.cause, ERR_TLS, "cause ERR_TLS (RFC 2595: TLS is required)");
	tap_ok(strstr(r.error, PASSWORD) == NULL, "error holds no password: %s", r.error);
	stop_server(pid);
	seen = drain(rfd);
	tap_ok(strstr(seen, "LOGIN") == NULL && strstr(seen, "AUTHENTICATE") == NULL,
	       "no login was attempted in the clear");
	tap_ok(strstr(seen, PASSWORD) == NULL, "the password never crossed the wire");
	free(seen);
	mail_imap_result_free(&r);
}

static void test_silent(void)
{
	struct mail_imap_result r;
	struct mail_imap_opts o;
	unsigned port = 0;
	int rfd = -1;
	pid_t pid = start_server(NULL, NULL, &port, &rfd);
	double t0;

	base_opts(&o, port);
	o.implicit_tls = true;
	o.timeout_ms = 1500;
	t0 = now_s();
	tap_is_int(mail_imap_poll(&o, &r), ERR_NET, "a server that never greets: ERR_NET");
	tap_ok(now_s() - t0 < 4.0, "within the poll's timeout (%.2f s)", now_s() - t0);
	tap_is_int(r.cause, ERR_TIMEOUT, "cause ERR_TIMEOUT");
	stop_server(pid);
	free(drain(rfd));
	mail_imap_result_free(&r);
}

/* Issue 5: the stop switch ends the session before its next command. */
static void test_cancel(void)
{
	struct mail_imap_result r;
	struct mail_imap_opts o;
	unsigned port = 0, long_ms = 20000;
	int rfd = -1;
	pid_t pid = start_server(NULL, NULL, &port, &rfd);
	bool stop = true;
	unsigned long uid = 7;
	size_t n = 0;
	char err[256];
	double t0;

	base_opts(&o, port);
	o.implicit_tls = true;
	o.timeout_ms = long_ms;
	o.cancel = &stop;
	o.all_messages = true;
	t0 = now_s();
	tap_is_int(mail_imap_poll(&o, &r), ERR_NET, "cancel set: the poll fails with ERR_NET");
	tap_ok(now_s() - t0 < 2.0, "  at once, not after the %u ms timeout (%.2f s)", long_ms,
	       now_s() - t0);
	tap_is_int(r.cause, ERR_NET, "  cause ERR_NET");
	tap_ok(strstr(r.error, "cancelled") != NULL, "  saying so: %s", r.error);
	tap_is_int((long long)r.n_msgs, 0, "  nothing fetched");
	mail_imap_result_free(&r);
	t0 = now_s();
	tap_is_int(mail_imap_delete(&o, "INBOX", &uid, 1, &n, err, sizeof err), ERR_NET,
		   "cancel set: a delete fails with ERR_NET");
	tap_ok(now_s() - t0 < 2.0 && strstr(err, "cancelled") != NULL, "  at once, saying so: %s",
	       err);
	stop_server(pid);
	free(drain(rfd));
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_search_basic();
	test_search_hostile();
	test_search_many();
	test_caps();
	test_sizes();
	test_opts();
	test_delete_opts();
	test_closed_port();
	test_no_starttls();
	test_silent();
	test_cancel();
	return tap_done();
}
