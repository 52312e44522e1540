/*
 * tests/dns/test_runner: the runner over the real resolver and a real NSD
 * (tests/lib/nsd.sh with the fixture zones): postures added while others run
 * are all reported exactly once, the active cap holds, and freeing a runner
 * with checks in flight is clean (ASan/valgrind).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/xmalloc.h"
#include "dns/runner.h"
#include "tests/lib/tap.h"

static char nsd_dir[512];

static void stop_nsd(void)
{
	char *cmd = xasprintf("sh '%s/tests/lib/nsd.sh' stop '%s'", tap_srcdir(), nsd_dir);

	if (system(cmd) != 0)
		fprintf(stderr, "could not stop nsd\n");
	free(cmd);
}

static int start_nsd(void)
{
	char *cmd, line[64] = "";
	FILE *f;

	snprintf(nsd_dir, sizeof nsd_dir, "%s/nsd", tap_tmpdir());
	cmd = xasprintf("NSD_SH_OWNER=%d sh '%s/tests/lib/nsd.sh' start '%s' '%s/tests/fixtures/zones'",
			(int)getpid(), tap_srcdir(), nsd_dir, tap_srcdir());
	f = popen(cmd, "r");
	free(cmd);
	if (f == NULL || fgets(line, sizeof line, f) == NULL) {
		if (f)
			pclose(f);
		return 0;
	}
	pclose(f);
	atexit(stop_nsd);
	return atoi(line);
}

struct count {
	int done;
	int twice;
};

static void on_done(void *arg, struct dns_posture *p)
{
	struct count *c = arg;

	c->done++;
	if (dns_posture_step(p) != ERR_OK)
		c->twice++;
}

int main(void)
{
	static const char *const domains[] = { "good.test", "nospf.test", "lookups.test",
					       "multi.test", "big.test" };
	int port = start_nsd();
	char server[64];
	const char *servers[1] = { server };
	struct dns_resolver_opts ro;
	struct dns_resolver *res = NULL;
	struct dns_runner *r;
	struct dns_posture *p[40];
	struct dns_posture_opts po = { .no_discovery = true };
	struct count c = { 0 };
	size_t added = 0;

	if (!tap_ok(port > 0, "NSD started with the fixture zones"))
		return tap_done();
	if (dns_resolver_library_init() != ERR_OK)
		return tap_done();
	snprintf(server, sizeof server, "127.0.0.1:%d", port);
	dns_resolver_opts_init(&ro);
	ro.servers = servers;
	ro.n_servers = 1;
	ro.max_qps = 0;
	tap_ok(dns_resolver_new(&ro, &res) == ERR_OK, "resolver");

	/* 40 checks, at most 3 at once, added in two waves while pumping. */
	r = dns_runner_new(res, NULL, 3);
	for (; added < 20; added++) {
		p[added] = dns_posture_new(domains[added % 5], &po);
		dns_runner_add(r, p[added], on_done, &c);
	}
	for (int i = 0; i < 10000 && dns_runner_pending(r) > 0; i++) {
		if (dns_runner_pump(r, 100) != ERR_OK)
			break;
		if (c.done >= 5 && added < 40) {
			for (; added < 40; added++) {
				p[added] = dns_posture_new(domains[added % 5], &po);
				dns_runner_add(r, p[added], on_done, &c);
			}
		}
	}
	tap_is_int(c.done, 40, "every posture reported once");
	tap_is_int(c.twice, 0, "reported postures are complete");
	tap_ok(dns_findings_has(dns_posture_findings(p[1]), "SPF_MISSING"),
	       "findings are real (nospf.test)");
	dns_runner_free(r);
	for (size_t i = 0; i < added; i++)
		dns_posture_free(p[i]);

	/* Free a runner while checks are in flight: nothing reported, nothing leaked. */
	c.done = 0;
	r = dns_runner_new(res, NULL, 10);
	for (size_t i = 0; i < 10; i++) {
		p[i] = dns_posture_new(domains[i % 5], &po);
		dns_runner_add(r, p[i], on_done, &c);
	}
	tap_ok(dns_runner_pump(r, 0) == ERR_OK, "one pump starts the checks");
	tap_ok(dns_runner_pending(r) > 0, "checks are in flight");
	dns_runner_free(r);
	for (size_t i = 0; i < 10; i++)
		dns_posture_free(p[i]);
	/* The resolver may still deliver answers for forgotten books: it must not touch them. */
	for (int i = 0; i < 20 && dns_resolver_busy(res); i++)
		if (dns_resolver_run_once(res, 50) != ERR_OK)
			break;
	tap_is_int(c.done, 0, "an abandoned runner reports nothing");
	dns_resolver_free(res);
	dns_resolver_library_cleanup();
	return tap_done();
}
