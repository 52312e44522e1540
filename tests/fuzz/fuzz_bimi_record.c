/* tests/fuzz/fuzz_bimi_record: the BIMI record parser (dns/bimi). */
#include <stdint.h>
#include "dns/bimi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_bimi_record r;
	char why[256];

	if (dns_bimi_parse((const char *)data, size, &r, why, sizeof why) == ERR_OK)
		dns_bimi_record_free(&r);
	return 0;
}
