/*
 * tests/fuzz/fuzz_alert_json: the alert engine state and notification groups
 * as the daemon stores them in SQLite and reads them back after a restart;
 * a damaged database must give a clear error, never a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include "common/xmalloc.h"
#include "daemon/alert_json.h"
#include "daemon/alert_rec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmemdup0(data, size);
	struct daemon_alert_record r;
	struct daemon_alert_group g;

	if (daemon_alert_json_record_parse(text, &r) == ERR_OK) {
		char *again = daemon_alert_json_record(&r);

		free(again);
		daemon_alert_rec_clear(&r);
	}
	if (daemon_alert_json_group_parse(text, &g) == ERR_OK) {
		char *again = daemon_alert_json_group(&g);

		free(again);
		daemon_alert_group_free(&g);
	}
	free(text);
	return 0;
}
