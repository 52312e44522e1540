/*
 * tests/web/web_fixture_server: the real status server (web/http) serving
 * the hostile fixture snapshot on 127.0.0.1 and a free port until SIGTERM or
 * SIGINT; for the browser test and for looking at the pages by hand.
 *
 *   web_fixture_server [PORTFILE]   writes the port to PORTFILE (else stdout)
 */
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include "tests/web/fixture.h"
#include "web/http.h"

int main(int argc, char **argv)
{
	struct web_http_opts o;
	struct web_http *h = NULL;
	sigset_t set;
	int sig = 0;
	FILE *f;

	/* Blocked before the server's threads start, so they inherit the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	web_http_opts_init(&o);
	o.port = 0;
	o.token = "fixture-token";
	if (web_http_start(&o, &h) != ERR_OK) {
		fprintf(stderr, "web_fixture_server: cannot start\n");
		return 1;
	}
	web_http_publish(h, fixture_snapshot((int64_t)time(NULL)));
	f = argc > 1 ? fopen(argv[1], "w") : stdout;
	if (f == NULL) {
		perror(argv[1]);
		web_http_stop(h);
		return 1;
	}
	fprintf(f, "%u\n", web_http_port(h));
	if (f != stdout)
		fclose(f);
	else
		fflush(f);
	sigwait(&set, &sig);
	web_http_stop(h);
	return 0;
}
