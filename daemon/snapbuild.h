/*
 * daemon/snapbuild: builds the web layer's snapshot (web/snapshot.h) from
 * the store (results, findings, SPF lookup trees, day buckets, transitions,
 * episodes, outbox), the engine's check state machine (each check's state,
 * the same whatever the alert channels) and the configuration (channels by
 * name and type only, readiness findings).  Secrets never enter it: no URL,
 * token or password is copied.
 *
 * What it does not: render or publish (web/http does), or write anything.
 */
#ifndef MAILPULSE_DAEMON_SNAPBUILD_H
#define MAILPULSE_DAEMON_SNAPBUILD_H

#include <stdbool.h>
#include <stdint.h>
#include "daemon/config.h"
#include "daemon/engine.h"
#include "daemon/store.h"
#include "web/snapshot.h"

/* The daemon's own state shown beside the data. */
struct daemon_snapbuild_info {
	int64_t now;
	bool ready;
	bool last_reload_ok;
	int64_t last_reload_at;
	int64_t last_reload_success_at;
};

/*
 * A new snapshot (caller owns it: hand it to web_http_publish()).  Store
 * read errors leave the affected part empty and are logged.
 */
struct web_snapshot *daemon_snapbuild(const struct daemon_config *cfg, struct daemon_store *st,
				      const struct daemon_engine *eng,
				      const struct daemon_snapbuild_info *info);

#endif
