/*
 * tests/fuzz/fuzz_imap_resp: the IMAP response parsers of mail/imap on
 * hostile server bytes: SEARCH, CAPABILITY and FETCH RFC822.SIZE over the
 * same input.  Checks their promises: at most max UIDs, ascending and
 * distinct, each 1..2^32-1, total >= n; outputs untouched on failure; a
 * size only for a UID asked for, the count of sizes found matching.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mail/imap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_search(const char *p, size_t size, size_t max)
{
	unsigned long uids[8] = {7, 7, 7, 7, 7, 7, 7, 7};
	size_t n = 99, total = 99;

	if (mail_imap_parse_search(p, size, uids, max, &n, &total) != ERR_OK) {
		if (n != 99 || total != 99 || uids[0] != 7)
			abort();
		return;
	}
	if (n > max || total < n)
		abort();
	for (size_t i = 0; i < n; i++)
		if (uids[i] == 0 || uids[i] > 4294967295UL || (i > 0 && uids[i - 1] >= uids[i]))
			abort();
	for (size_t i = n; i < 8; i++)
		if (uids[i] != 7)
			abort(); /* wrote past n */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	unsigned long ask[5] = {1, 2, 3, 9, 4294967295UL};
	uint64_t sizes[5];
	unsigned caps = 12345;
	size_t found, k = 0;

	check_search(p, size, 8);
	check_search(p, size, 2);
	check_search(p, size, 0);
	if (mail_imap_parse_caps(p, size, &caps) == ERR_OK) {
		if (caps & ~(MAIL_IMAP_CAP_UIDPLUS | MAIL_IMAP_CAP_IMAP4REV2))
			abort();
	} else if (caps != 12345) {
		abort();
	}
	found = mail_imap_parse_sizes(p, size, ask, 5, sizes);
	for (size_t i = 0; i < 5; i++)
		k += sizes[i] != UINT64_MAX;
	if (k != found)
		abort();
	return 0;
}
