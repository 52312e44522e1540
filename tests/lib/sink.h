/*
 * tests/lib/sink: tests/lib/http_sink.py driven from C tests.  Starts the
 * sink on loopback (plain HTTP, or HTTPS with a certificate from
 * tests/lib/testca.sh, which sink_ca_make() runs), reads back the requests
 * it recorded (one file per request, LOGDIR/NNNNNN.req, written by rename so
 * a reader never sees half of one) and stops it.  It does not answer
 * anything itself: http_sink.py's docstring says how the request path
 * picks the answer.
 */
#ifndef MAILPULSE_TESTS_SINK_H
#define MAILPULSE_TESTS_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* One running sink; zero-initialise before sink_start(). */
struct sink {
	pid_t pid;    /* the python3 process, 0 when it never started */
	int port;     /* its port on 127.0.0.1, 0 until it listens */
	char *logdir; /* where it records requests; owned */
};

/* A throw-away CA and one server certificate (tests/lib/testca.sh). */
struct sink_ca {
	char *ca;   /* the CA certificate (for ca_file); owned */
	char *cert; /* the server certificate; owned */
	char *key;  /* its private key; owned */
};

/*
 * Read the whole file at path into a NUL-terminated buffer (it may hold NUL
 * bytes; *len, when len is not NULL, is the truth).  NULL when the file
 * cannot be opened or read.  Caller frees.
 */
char *sink_read_file(const char *path, size_t *len);
/*
 * Start http_sink.py under tap_tmpdir(), its files named after name (which
 * must be unique per test): HTTPS with cert and key (PEM paths), plain HTTP
 * when cert is NULL.  Waits up to 10 s for its port.  The sink dies with
 * the test (PR_SET_PDEATHSIG).  True when it listens; either way s must be
 * released with sink_stop().
 */
bool sink_start(struct sink *s, const char *name, const char *cert, const char *key);
/* Kill the sink, reap it and free s's memory; safe on a zeroed struct. */
void sink_stop(struct sink *s);
/*
 * The sink's record of its n-th request (1-based), waiting up to 1 s for it
 * to appear; NULL when it does not.  *len as for sink_read_file().  Caller
 * frees.
 */
char *sink_req(const struct sink *s, int n, size_t *len);
/*
 * Every request the sink recorded, in order, each cut at its first NUL byte
 * (the result is for strstr()) and followed by "\n"; "" when none.  Caller
 * frees.
 */
char *sink_all(const struct sink *s);
/*
 * Make a CA and a certificate for names (space-separated, shell-safe, e.g.
 * "hooks.test") in tap_tmpdir()/ca with tests/lib/testca.sh.  The paths
 * are set either way; false when the script (openssl) failed.  Release with
 * sink_ca_free().
 */
bool sink_ca_make(struct sink_ca *c, const char *names);
/* Free the paths (not the files: tap_tmpdir() goes at exit); safe on a zeroed struct. */
void sink_ca_free(struct sink_ca *c);

#endif
