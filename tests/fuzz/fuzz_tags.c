/*
 * tests/fuzz/fuzz_tags: the tag=value; list parser shared by the DKIM key,
 * DMARC, TLS-RPT, BIMI and MTA-STS records (RFC 6376 3.2), both case modes.
 */
#include <stddef.h>
#include <stdint.h>
#include "dns/tags.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_tags t;
	char why[128];

	if (dns_tags_parse((const char *)data, size, 0, &t, why, sizeof why) != ERR_OK)
		why[0] = '\0';
	if (dns_tags_parse((const char *)data, size, DNS_TAGS_ICASE, &t, why, sizeof why) != ERR_OK)
		why[0] = '\0';
	return 0;
}
