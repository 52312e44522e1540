/*
 * daemon/store_schema: the migrations that build mailpulsed's database.
 * See store_schema.h for the rules.  Times are unix seconds UTC; a "day" is
 * floor(time / 86400), the UTC date as a day number (1970-01-01 is day 0).
 *
 * Findings: two shapes, on purpose.
 *  - results.findings_json: an optional opaque JSON blob per result, written
 *    once and read rarely (history in the API).  One row per result keeps
 *    30 days of 1000 domains x 7 checks small; findings as rows would
 *    multiply the row count by 5-20.
 *  - results.spf_tree_json (version 4): the SPF lookup tree, kept like the
 *    findings table below for the last and last good results only.
 *  - findings: a table holding the structured findings of only the LAST and
 *    the LAST GOOD (non-unknown) result of each (domain, check), which the
 *    status page shows with their fix.  Rows keep evidence as a BLOB, so
 *    DNS bytes (NUL, invalid UTF-8) come back exactly, with no JSON layer
 *    between the check and the page.  Rows of a result that stops being the
 *    last or last good one are deleted in the same transaction.
 *
 * latest caches, per (domain, check), which result is the last and which is
 * the last good one (a DNS timeout, severity unknown, never replaces the
 * last good result: DESIGN.md 5).  Retention spares those two results.
 */
#include "daemon/store_schema.h"

/* clang-format off */
static const char SQL_V1[] =
	"CREATE TABLE results ("
	" id INTEGER PRIMARY KEY,"
	" domain TEXT NOT NULL,"
	" check_name TEXT NOT NULL,"
	" at INTEGER NOT NULL CHECK (at >= 0),"
	" severity TEXT NOT NULL CHECK (severity IN ('ok','info','warn','critical','unknown')),"
	" duration_ms INTEGER NOT NULL DEFAULT 0 CHECK (duration_ms >= 0),"
	" spf_lookups INTEGER,"		/* NULL: not an SPF check, or not counted */
	" spf_void_lookups INTEGER,"
	" reason TEXT,"			/* why the result is unknown, in words */
	" findings_json TEXT);"
	"CREATE INDEX results_by_check ON results (domain, check_name, at);"
	"CREATE INDEX results_by_time ON results (at);"

	"CREATE TABLE latest ("
	" domain TEXT NOT NULL,"
	" check_name TEXT NOT NULL,"
	" last_id INTEGER NOT NULL REFERENCES results (id),"
	" last_at INTEGER NOT NULL,"
	" good_id INTEGER REFERENCES results (id),"
	" good_at INTEGER,"
	" PRIMARY KEY (domain, check_name)) WITHOUT ROWID;"
	/* foreign keys are checked from the parent side on every results delete */
	"CREATE INDEX latest_by_last ON latest (last_id);"
	"CREATE INDEX latest_by_good ON latest (good_id);"

	"CREATE TABLE findings ("
	" result_id INTEGER NOT NULL REFERENCES results (id) ON DELETE CASCADE,"
	" seq INTEGER NOT NULL,"
	" check_name TEXT NOT NULL,"
	" code TEXT NOT NULL,"
	" severity TEXT NOT NULL CHECK (severity IN ('ok','info','warn','critical','unknown')),"
	" message TEXT NOT NULL,"
	" fix TEXT,"
	" evidence BLOB,"
	" PRIMARY KEY (result_id, seq)) WITHOUT ROWID;"

	"CREATE TABLE day_buckets ("
	" domain TEXT NOT NULL,"
	" check_name TEXT NOT NULL,"
	" day INTEGER NOT NULL,"
	" n_ok INTEGER NOT NULL DEFAULT 0,"
	" n_info INTEGER NOT NULL DEFAULT 0,"
	" n_warn INTEGER NOT NULL DEFAULT 0,"
	" n_critical INTEGER NOT NULL DEFAULT 0,"
	" n_unknown INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (domain, check_name, day)) WITHOUT ROWID;"
	"CREATE INDEX day_buckets_by_day ON day_buckets (day);"

	"CREATE TABLE transitions ("
	" id INTEGER PRIMARY KEY,"
	" domain TEXT NOT NULL,"
	" check_name TEXT NOT NULL,"
	" from_state TEXT NOT NULL,"
	" to_state TEXT NOT NULL,"
	" severity TEXT NOT NULL CHECK (severity IN ('ok','info','warn','critical','unknown')),"
	" at INTEGER NOT NULL);"
	"CREATE INDEX transitions_by_check ON transitions (domain, check_name, at);"
	"CREATE INDEX transitions_by_time ON transitions (at);"

	"CREATE TABLE episodes ("
	" id TEXT PRIMARY KEY,"
	" domain TEXT NOT NULL,"
	" check_name TEXT NOT NULL,"
	" severity TEXT NOT NULL CHECK (severity IN ('warn','critical')),"
	" started_at INTEGER NOT NULL,"
	" ended_at INTEGER CHECK (ended_at IS NULL OR ended_at >= started_at),"
	" fired_delivered INTEGER NOT NULL DEFAULT 0 CHECK (fired_delivered IN (0, 1)),"
	" summary TEXT NOT NULL DEFAULT '');"
	/* issue 3: warn and critical each their own episode, one open at a time */
	"CREATE UNIQUE INDEX episodes_one_open ON episodes (domain, check_name, severity)"
	" WHERE ended_at IS NULL;"
	"CREATE INDEX episodes_by_domain ON episodes (domain, started_at);"
	"CREATE INDEX episodes_by_start ON episodes (started_at);"

	"CREATE TABLE outbox ("
	" id INTEGER PRIMARY KEY,"
	" episode_id TEXT REFERENCES episodes (id) ON DELETE CASCADE,"
	" channel TEXT NOT NULL,"
	" event TEXT NOT NULL CHECK (event IN ('firing','reminder','resolved','test')),"
	" seq INTEGER NOT NULL DEFAULT 0,"	/* the reminder's number; 0 otherwise */
	" payload TEXT NOT NULL,"
	" status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','sent','failed')),"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" next_attempt_at INTEGER NOT NULL,"
	" last_error TEXT,"
	" created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL,"
	" CHECK ((event = 'test') = (episode_id IS NULL)),"
	/* a restart never enqueues the same notification twice */
	" UNIQUE (episode_id, channel, event, seq));"
	"CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';"
	"CREATE INDEX outbox_by_time ON outbox (updated_at);";

/*
 * Per-channel delivery counters that survive retention (the outbox rows of
 * old episodes go; /metrics counters must not shrink).  Backfilled from the
 * outbox as it stands.
 */
static const char SQL_V2[] =
	"CREATE TABLE channel_stats ("
	" channel TEXT PRIMARY KEY,"
	" sent INTEGER NOT NULL DEFAULT 0,"
	" failed INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	"INSERT INTO channel_stats (channel, sent, failed)"
	" SELECT channel, sum(status = 'sent'), sum(status = 'failed') FROM outbox"
	" GROUP BY channel;";

/*
 * The alert engine's state per channel (daemon/alert exports records; the
 * daemon saves them in the transaction that writes the outbox rows of the
 * same tick, and imports them after a restart).  record is the engine's
 * record serialized by the caller: the store keeps it opaque, so the
 * engine's struct can change without a migration.  Transitions learn the
 * episode they belong to; latest learns when each check last passed.
 */
static const char SQL_V3[] =
	"CREATE TABLE alert_state ("
	" channel TEXT NOT NULL,"
	" seq INTEGER NOT NULL,"
	" domain TEXT NOT NULL,"	/* "" for the daemon's own (degraded) episode */
	" check_name TEXT NOT NULL,"
	" severity TEXT NOT NULL CHECK (severity IN ('warn','critical')),"
	" record TEXT NOT NULL,"
	" PRIMARY KEY (channel, seq)) WITHOUT ROWID;"
	"ALTER TABLE transitions ADD COLUMN episode_id TEXT;"
	/* when each check last passed (ok or info), for the page; backfilled */
	"ALTER TABLE latest ADD COLUMN ok_at INTEGER;"
	"UPDATE latest SET ok_at = (SELECT max(at) FROM results r WHERE r.domain = latest.domain"
	" AND r.check_name = latest.check_name AND r.severity IN ('ok', 'info'));";

/*
 * The SPF lookup tree (daemon/render's JSON) of a result, for the domain
 * page.  Like the findings table it is kept only for the LAST and the LAST
 * GOOD result of each (domain, check): set NULL when a result stops being
 * either, so 30 days of results do not carry a tree each.
 */
static const char SQL_V4[] =
	"ALTER TABLE results ADD COLUMN spf_tree_json TEXT;";

/*
 * Probes (issue 4, daemon/store_probe).  inbound: every message the SMTP
 * listener accepted or a seed box gave us, committed before the listener's
 * final 250; kind stays NULL until the probe engine has processed it.
 * probes: one row per probe sent, its state and verdict; round trips in
 * milliseconds (the facade binds integers only).  Tokens compare
 * case-insensitively (some relays lower-case VERP addresses).
 */
static const char SQL_V5[] =
	"CREATE TABLE inbound ("
	" id INTEGER PRIMARY KEY,"
	" received INTEGER NOT NULL CHECK (received >= 0),"
	" received_us INTEGER NOT NULL DEFAULT 0 CHECK (received_us BETWEEN 0 AND 999999),"
	" source TEXT NOT NULL,"		/* "listener" or "imap:NAME" */
	" folder TEXT NOT NULL DEFAULT '',"
	" client_ip TEXT NOT NULL DEFAULT '',"
	" helo TEXT NOT NULL DEFAULT '',"
	" mail_from TEXT NOT NULL DEFAULT '',"
	" rcpts TEXT NOT NULL DEFAULT '',"
	" data BLOB NOT NULL,"
	" kind TEXT);"				/* NULL: not processed yet */
	"CREATE INDEX inbound_pending ON inbound (id) WHERE kind IS NULL;"
	"CREATE INDEX inbound_done_by_time ON inbound (received) WHERE kind IS NOT NULL;"

	"CREATE TABLE probes ("
	" id INTEGER PRIMARY KEY,"
	" token TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	" domain TEXT NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN ('pending','submitted','send_failed','received',"
	"'verified','failed','bounced','lost')),"
	" created INTEGER NOT NULL,"
	" submitted INTEGER NOT NULL DEFAULT 0,"
	" received INTEGER NOT NULL DEFAULT 0,"
	" roundtrip_ms INTEGER,"		/* NULL: not back */
	" relay TEXT NOT NULL DEFAULT '',"
	" rcpt TEXT NOT NULL DEFAULT '',"
	" queue_id TEXT NOT NULL DEFAULT '',"
	" error TEXT NOT NULL DEFAULT '',"
	" folder TEXT NOT NULL DEFAULT '',"
	" spf TEXT NOT NULL DEFAULT '',"
	" dkim TEXT NOT NULL DEFAULT '',"
	" dmarc TEXT NOT NULL DEFAULT '',"
	" aligned INTEGER NOT NULL DEFAULT 0 CHECK (aligned IN (0, 1)),"
	" bounce_status TEXT NOT NULL DEFAULT '',"
	" bounce_reason TEXT NOT NULL DEFAULT '',"
	" bounce_code INTEGER NOT NULL DEFAULT 0,"
	" bounce_diag TEXT NOT NULL DEFAULT '',"
	" detail_json TEXT NOT NULL DEFAULT '{}');"
	"CREATE INDEX probes_by_domain ON probes (domain, created);"
	"CREATE INDEX probes_open ON probes (state)"
	" WHERE state IN ('pending','submitted','received');";

/*
 * Reports (issue 5, daemon/store_report).  reports: one row per accepted
 * report, deduplicated by (kind, reporter, report_id).  report_rows: one
 * row per aggregate <record>, with the report's domain and date range
 * copied so the window queries read one table; dmarc_pass (policy_evaluated
 * dkim or spf pass) and auth_pass (some auth_results dkim/spf pass) are
 * stored as 0/1 so the queries are plain sums.  report_rdns holds every
 * source IP seen (resolved_at NULL until the worker resolved it).
 * report_counters is never pruned (a Prometheus counter never goes down).
 */
static const char SQL_V6[] =
	"CREATE TABLE reports ("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL CHECK (kind IN ('aggregate','tlsrpt','failure')),"
	" reporter TEXT NOT NULL,"
	" reporter_email TEXT NOT NULL DEFAULT '',"
	" report_id TEXT NOT NULL,"
	" domain TEXT NOT NULL,"
	" range_begin INTEGER NOT NULL,"
	" range_end INTEGER NOT NULL,"
	" source TEXT NOT NULL,"
	" container TEXT NOT NULL DEFAULT '',"
	" received INTEGER NOT NULL,"
	" policy_p TEXT NOT NULL DEFAULT '',"
	" policy_sp TEXT NOT NULL DEFAULT '',"
	" pct INTEGER,"				/* NULL: absent */
	" adkim TEXT NOT NULL DEFAULT '',"
	" aspf TEXT NOT NULL DEFAULT '',"
	" records INTEGER NOT NULL DEFAULT 0,"
	" messages INTEGER NOT NULL DEFAULT 0,"
	" UNIQUE (kind, reporter, report_id));"
	"CREATE INDEX reports_by_domain ON reports (domain, received);"
	"CREATE INDEX reports_by_end ON reports (range_end);"

	"CREATE TABLE report_rows ("
	" id INTEGER PRIMARY KEY,"
	" report INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,"
	" domain TEXT NOT NULL,"
	" range_begin INTEGER NOT NULL,"
	" range_end INTEGER NOT NULL,"
	" source_ip TEXT NOT NULL,"
	" count INTEGER NOT NULL CHECK (count >= 0),"
	" disposition TEXT NOT NULL,"
	" dkim_eval TEXT NOT NULL,"
	" spf_eval TEXT NOT NULL,"
	" dmarc_pass INTEGER NOT NULL CHECK (dmarc_pass IN (0, 1)),"
	" auth_pass INTEGER NOT NULL CHECK (auth_pass IN (0, 1)),"
	" header_from TEXT NOT NULL,"
	" envelope_from TEXT NOT NULL DEFAULT '',"
	" reason_types TEXT NOT NULL DEFAULT '',"
	" dkim_auth TEXT NOT NULL DEFAULT '',"	/* "d=example.com s=sel pass, ..." */
	" spf_auth TEXT NOT NULL DEFAULT '',"	/* "example.com mfrom pass, ..." */
	" auth_domains TEXT NOT NULL DEFAULT '');" /* domains whose DKIM/SPF passed */
	"CREATE INDEX report_rows_by_end ON report_rows (domain, range_end);"
	"CREATE INDEX report_rows_by_ip ON report_rows (domain, source_ip, range_begin);"
	"CREATE INDEX report_rows_by_report ON report_rows (report);"

	"CREATE TABLE tlsrpt_policies ("
	" id INTEGER PRIMARY KEY,"
	" report INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,"
	" domain TEXT NOT NULL,"		/* policy_domain, or the report's domain */
	" range_begin INTEGER NOT NULL,"
	" range_end INTEGER NOT NULL,"
	" reporter TEXT NOT NULL,"
	" policy_type TEXT NOT NULL,"
	" policy_domain TEXT NOT NULL,"
	" policy_string TEXT NOT NULL DEFAULT '',"
	" mx_host TEXT NOT NULL DEFAULT '',"
	" success INTEGER NOT NULL CHECK (success >= 0),"
	" failure INTEGER NOT NULL CHECK (failure >= 0));"
	"CREATE INDEX tlsrpt_policies_by_end ON tlsrpt_policies (domain, range_end);"
	"CREATE INDEX tlsrpt_policies_by_report ON tlsrpt_policies (report);"

	"CREATE TABLE tlsrpt_failures ("
	" id INTEGER PRIMARY KEY,"
	" policy INTEGER NOT NULL REFERENCES tlsrpt_policies (id) ON DELETE CASCADE,"
	" result_type TEXT NOT NULL,"
	" sending_mta_ip TEXT NOT NULL DEFAULT '',"
	" receiving_ip TEXT NOT NULL DEFAULT '',"
	" receiving_mx_hostname TEXT NOT NULL DEFAULT '',"
	" additional_information TEXT NOT NULL DEFAULT '',"
	" failure_reason_code TEXT NOT NULL DEFAULT '',"
	" count INTEGER NOT NULL CHECK (count >= 0));"
	"CREATE INDEX tlsrpt_failures_by_policy ON tlsrpt_failures (policy);"

	"CREATE TABLE report_failures ("
	" id INTEGER PRIMARY KEY,"
	" report INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,"
	" domain TEXT NOT NULL,"
	" arrival INTEGER NOT NULL,"
	" received INTEGER NOT NULL,"
	" reporter TEXT NOT NULL,"
	" source_ip TEXT NOT NULL DEFAULT '',"
	" auth_failure TEXT NOT NULL DEFAULT '',"
	" from_addr TEXT NOT NULL DEFAULT '',"
	" subject TEXT NOT NULL DEFAULT '',"
	" message_id TEXT NOT NULL DEFAULT '',"
	" mail_from TEXT NOT NULL DEFAULT '',"
	" rcpt_to TEXT NOT NULL DEFAULT '',"
	" dkim_domain TEXT NOT NULL DEFAULT '',"
	" dkim_selector TEXT NOT NULL DEFAULT '',"
	" spf_dns TEXT NOT NULL DEFAULT '',"
	" delivery_result TEXT NOT NULL DEFAULT '',"
	" identity_alignment TEXT NOT NULL DEFAULT '',"
	" auth_results TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX report_failures_by_domain ON report_failures (domain, arrival);"
	"CREATE INDEX report_failures_by_report ON report_failures (report);"

	"CREATE TABLE report_rdns ("
	" ip TEXT PRIMARY KEY,"
	" ptr TEXT NOT NULL DEFAULT '',"
	" base TEXT NOT NULL DEFAULT '',"
	" resolved_at INTEGER) WITHOUT ROWID;"	/* NULL: not resolved yet */

	"CREATE TABLE report_rejects ("
	" id INTEGER PRIMARY KEY,"
	" at INTEGER NOT NULL,"
	" source TEXT NOT NULL,"
	" file TEXT NOT NULL DEFAULT '',"
	" reason TEXT NOT NULL);"
	"CREATE INDEX report_rejects_by_time ON report_rejects (at);"

	"CREATE TABLE report_counters ("
	" domain TEXT NOT NULL,"
	" result TEXT NOT NULL CHECK (result IN ('pass','fail')),"
	" messages INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (domain, result)) WITHOUT ROWID;";
/* clang-format on */

static const struct daemon_store_migration migrations[] = {
    {1, "results, findings, day buckets, transitions, episodes, outbox", SQL_V1},
    {2, "per-channel delivery counters", SQL_V2},
    {3, "alert engine state per channel, episode of a transition", SQL_V3},
    {4, "SPF lookup tree of the last results", SQL_V4},
    {5, "probes and inbound messages", SQL_V5},
    {6, "DMARC aggregate, failure and TLS-RPT reports", SQL_V6},
};

const struct daemon_store_migration *daemon_store_schema_migrations(size_t *n)
{
	*n = sizeof migrations / sizeof migrations[0];
	return migrations;
}

int daemon_store_schema_version(void)
{
	return (int)(sizeof migrations / sizeof migrations[0]);
}
