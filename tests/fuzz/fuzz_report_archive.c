/*
 * tests/fuzz/fuzz_report_archive: mail/report_archive on hostile bytes
 * (gzip, zip and anything else), with small limits (max_out 1 MiB) so a
 * bomb costs little.  Checks: extract succeeds only within max_out with a
 * NUL-terminated result and a valid kind; raw input comes back unchanged;
 * the streaming API read in 7-byte steps (then 64 KiB ones) agrees with
 * extract (same error, same bytes: with max_out at 1 MiB the ratio check,
 * which depends on where reads stop, never fires first); a failed read
 * repeats its error; names are one line.
 * Seeds: tests/fixtures/reports/archive plus hand-made hostile archives
 * (lying sizes, huge central-directory counts, bad methods, truncations).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "mail/report_archive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OUT (1u << 20)

static void check_name(const char *s)
{
	if (s == NULL || strlen(s) > 255)
		abort();
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

/* Stream with 7-byte reads; must agree with extract. */
static void stream(const uint8_t *data, size_t size, const struct mail_archive_limits *lim,
		   enum mp_err want, const char *out, size_t outlen)
{
	struct mail_report_archive *a = NULL;
	static char buf[65536];
	char why[128], why2[128];
	size_t n = 1, pos = 0;
	enum mp_err err = mail_report_archive_open_mem(data, size, lim, &a, why, sizeof(why));

	if (err == ERR_OK)
		check_name(mail_report_archive_name(a));
	while (err == ERR_OK && n > 0) {
		err = mail_report_archive_read(a, buf, pos < 4096 ? 7 : sizeof(buf), &n, why,
					       sizeof(why));
		if (err != ERR_OK)
			break;
		if (want == ERR_OK && (pos + n > outlen || memcmp(out + pos, buf, n) != 0))
			abort();
		pos += n;
	}
	if (err != want || (err == ERR_OK && pos != outlen))
		abort();
	if (a != NULL && err != ERR_OK &&
	    (mail_report_archive_read(a, buf, sizeof(buf), &n, why2, sizeof(why2)) != err ||
	     strcmp(why, why2) != 0))
		abort();
	if (a != NULL && mail_report_archive_bytes_out(a) > MAX_OUT + 1)
		abort();
	mail_report_archive_close(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_archive_limits lim = {.max_out = MAX_OUT, .max_ratio = 0};
	char why[128] = "", *out = NULL;
	size_t outlen = 0;
	enum mail_archive_kind kind = MAIL_ARCHIVE_RAW;
	enum mp_err err;

	if (size > 1u << 20)
		return 0;
	err = mail_report_archive_extract(data, size, &lim, &out, &outlen, &kind, why, sizeof(why));
	if (err == ERR_OK) {
		if (outlen > MAX_OUT || out[outlen] != '\0' || kind > MAIL_ARCHIVE_ZIP)
			abort();
		if (kind == MAIL_ARCHIVE_RAW && (outlen != size || memcmp(out, data, size) != 0))
			abort();
	} else if (why[0] == '\0' || (err != ERR_PARSE && err != ERR_LIMIT)) {
		abort();
	}
	stream(data, size, &lim, err, out, outlen);
	free(out);
	return 0;
}
