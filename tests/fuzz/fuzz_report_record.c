/*
 * tests/fuzz/fuzz_report_record: daemon_report_record() (daemon/report_analysis),
 * which rewrites the domain's current DMARC TXT record (DNS bytes: anything)
 * into the record to publish.  The first byte picks the target policy and
 * whether a rua address is given; the rest is the current record.  Checks
 * what the page relies on: the result always starts with "v=DMARC1; p=TARGET",
 * holds printable ASCII (or tabs) only, carries no pct= tag and stays within
 * twice the longest record rewritten.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "daemon/report_analysis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *target = size > 0 && (data[0] & 1) ? "reject" : "quarantine";
	const char *rua = size > 0 && (data[0] & 2) ? "dmarc@reports.example.net" : NULL;
	const char *cur = size > 0 ? (const char *)data + 1 : NULL;
	size_t len = size > 0 ? size - 1 : 0, n, head;
	char *r = daemon_report_record(target, cur, len, rua);
	char want[32];

	n = strlen(r);
	head = (size_t)snprintf(want, sizeof want, "v=DMARC1; p=%s", target);
	if (n < head || memcmp(r, want, head) != 0 || (n > head && r[head] != ';'))
		abort();
	if (n > 2 * DAEMON_REPORT_MAX_RECORD + 64)
		abort();
	for (size_t i = 0; i < n; i++)
		if (r[i] != '\t' && ((unsigned char)r[i] < 0x20 || (unsigned char)r[i] > 0x7e))
			abort();
	for (const char *p = strstr(r, "; "); p != NULL; p = strstr(p + 2, "; ")) {
		const char *t = p + 2;

		if (strncasecmp(t, "pct", 3) != 0)
			continue;
		t += 3;
		while (*t == ' ' || *t == '\t')
			t++;
		if (*t == '=')
			abort();
	}
	free(r);
	return 0;
}
