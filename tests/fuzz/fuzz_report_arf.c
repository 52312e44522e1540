/*
 * tests/fuzz/fuzz_report_arf: mail/report_arf alone (RFC 6591 / RFC 5965
 * failure reports) on arbitrary bytes parsed by mail/mime, so its own
 * header-block reader is fuzzed directly rather than only behind
 * mail/report's sniffing.  Checks: ERR_OK, ERR_NOTFOUND or ERR_PARSE only;
 * on ERR_OK a feedback type of auth-failure and every field a NUL-free
 * string; on ERR_PARSE a reason.  Seeds: tests/fuzz/corpus/report_arf
 * (the ARF fixtures of tests/fixtures/reports/mail and hostile variants).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/mime.h"
#include "mail/report_arf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_mime *m = NULL;
	struct mail_arf a;
	char why[256] = "";
	enum mp_err e;

	if (size > 256 * 1024 || mail_mime_parse((const char *)data, size, 64 * 1024, &m) != ERR_OK)
		return 0;
	e = mail_report_arf_parse(m, &a, why, sizeof why);
	if (e != ERR_OK && e != ERR_NOTFOUND && e != ERR_PARSE)
		abort();
	if (e == ERR_PARSE && why[0] == '\0')
		abort(); /* a rejection always says why */
	if (e == ERR_OK) {
		if (a.feedback_type == NULL || strcasecmp(a.feedback_type, "auth-failure") != 0 ||
		    a.reported_domain == NULL || a.source_ip == NULL || a.human == NULL)
			abort();
		mail_arf_free(&a);
	}
	mail_mime_free(m);
	return 0;
}
