/*
 * tests/lib/sink: run tests/lib/http_sink.py from C tests and read what it
 * recorded; make the throw-away CA its HTTPS needs (tests/lib/testca.sh).
 * The sink's protocol (the request path picks the answer, one .req file per
 * request) is documented in http_sink.py; this file only drives it.
 */
#include "tests/lib/sink.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "common/buf.h"
#include "common/xmalloc.h"
#include "tests/lib/tap.h"

/* Test files stay small; a cap keeps a runaway file from eating memory. */
#define SINK_FILE_MAX (64u << 20)

char *sink_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char chunk[8192];
	size_t r;
	bool bad = false;

	if (f == NULL)
		return NULL;
	common_buf_init(&b, SINK_FILE_MAX);
	do {
		r = fread(chunk, 1, sizeof chunk, f);
		bad = common_buf_append(&b, chunk, r) != ERR_OK;
	} while (!bad && r > 0);
	bad |= ferror(f) != 0;
	fclose(f);
	if (bad) {
		common_buf_free(&b);
		return NULL;
	}
	return common_buf_steal(&b, len);
}

bool sink_start(struct sink *s, const char *name, const char *cert, const char *key)
{
	char *portfile = xasprintf("%s/%s.port", tap_tmpdir(), name);
	char *prog = xasprintf("%s/tests/lib/http_sink.py", tap_srcdir());
	char *p = NULL;

	s->logdir = xasprintf("%s/%s.log", tap_tmpdir(), name);
	s->pid = fork();
	if (s->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(127);
		if (cert)
			execl("/usr/bin/python3", "python3", prog, portfile, s->logdir, cert, key,
			      (char *)NULL);
		else
			execl("/usr/bin/python3", "python3", prog, portfile, s->logdir,
			      (char *)NULL);
		_exit(127);
	}
	/* 200 x 50 ms: the sink writes its port file once it listens. */
	for (int i = 0; i < 200 && p == NULL && s->pid > 0; i++) {
		p = sink_read_file(portfile, NULL);
		if (p == NULL)
			usleep(50000);
	}
	s->port = p ? (int)strtol(p, NULL, 10) : 0;
	free(p);
	free(portfile);
	free(prog);
	return s->port > 0;
}

void sink_stop(struct sink *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
	}
	free(s->logdir);
	s->pid = 0;
	s->port = 0;
	s->logdir = NULL;
}

char *sink_req(const struct sink *s, int n, size_t *len)
{
	char *path = xasprintf("%s/%06d.req", s->logdir, n);
	char *p = NULL;

	/* 40 x 25 ms: the sink answers before it renames the record into place. */
	for (int i = 0; i < 40 && p == NULL; i++) {
		p = sink_read_file(path, len);
		if (p == NULL)
			usleep(25000);
	}
	free(path);
	return p;
}

char *sink_all(const struct sink *s)
{
	struct buf all;
	bool full = false;

	common_buf_init(&all, SINK_FILE_MAX);
	for (int n = 1; n < 1000 && !full; n++) {
		char *path = xasprintf("%s/%06d.req", s->logdir, n);
		char *p = sink_read_file(path, NULL);

		free(path);
		if (p == NULL)
			break;
		full = common_buf_puts(&all, p) != ERR_OK || common_buf_putc(&all, '\n') != ERR_OK;
		free(p);
	}
	return common_buf_steal(&all, NULL);
}

bool sink_ca_make(struct sink_ca *c, const char *names)
{
	char *cmd = xasprintf("sh '%s/tests/lib/testca.sh' '%s/ca' %s >/dev/null", tap_srcdir(),
			      tap_tmpdir(), names);
	int rc;

	c->ca = xasprintf("%s/ca/ca.pem", tap_tmpdir());
	c->cert = xasprintf("%s/ca/cert.pem", tap_tmpdir());
	c->key = xasprintf("%s/ca/key.pem", tap_tmpdir());
	rc = system(cmd);
	free(cmd);
	return rc == 0;
}

void sink_ca_free(struct sink_ca *c)
{
	free(c->ca);
	free(c->cert);
	free(c->key);
	c->ca = c->cert = c->key = NULL;
}
