/*
 * web/snapshot: what the HTTP server shows, as plain immutable structs
 * (DESIGN.md 3: web/ renders snapshots and never touches the database; it
 * sees no daemon header).
 *
 * The daemon builds a new snapshot after every check round or state change
 * and publishes it (web_http_publish); the server renders whichever snapshot
 * is current when a request arrives, holding a reference while it renders.
 * Every string may hold bytes from DNS: renderers escape (HTML, JSON,
 * Prometheus label values).  Secrets never enter a snapshot: channels are
 * shown by name and type only, never by URL, token or password.
 *
 * Ownership: a snapshot and everything it points to are owned by the
 * snapshot and freed by web_snapshot_free() (web/snapshot.c); builders use
 * web_snapshot_new() and the xstrdup family for every string.
 */
#ifndef MAILPULSE_WEB_SNAPSHOT_H
#define MAILPULSE_WEB_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEB_HISTORY_DAYS 90

/* A check's state as the alert engine sees it (issue 3 state machine). */
enum web_state {
	WEB_STATE_OK,
	WEB_STATE_PENDING,   /* failing, fewer than F times in a row */
	WEB_STATE_FIRING,    /* an alert episode is open */
	WEB_STATE_RESOLVING, /* passing again, fewer than S times in a row */
	WEB_STATE_UNKNOWN,   /* no result yet, or the last one could not be read */
};

/* One cell of the 90-day history bar. */
enum web_day_color {
	WEB_DAY_NODATA, /* grey: never drawn as green */
	WEB_DAY_OK,	/* green: every result that day was ok/info */
	WEB_DAY_WARN,	/* amber: some warn, no critical */
	WEB_DAY_CRIT,	/* red: at least one critical */
};

struct web_finding {
	char *check, *code;
	char *severity; /* "ok" "info" "warn" "critical" "unknown" */
	char *message;
	char *fix;	/* may be NULL */
	char *evidence; /* may be NULL; evidence_len bytes */
	size_t evidence_len;
};

struct web_check {
	char *name;	/* "spf" "dkim" "dmarc" "mx" "mta-sts" "tls-rpt" "bimi" */
	char *severity; /* worst severity of its last result */
	enum web_state state;
	int64_t last_checked; /* unix seconds, 0 = never */
	int64_t last_ok;      /* unix seconds, 0 = never */
};

struct web_transition {
	int64_t at;
	char *check;
	enum web_state from, to;
	char *severity;
};

struct web_delivery {
	char *channel; /* the configured alert name, e.g. "ops-slack" */
	char *type;    /* "slack" "webhook" "email" */
	char *status;  /* "pending" "sent" "failed" */
	char *error;   /* last error in words (never a URL or secret), or NULL */
	unsigned attempts;
	int64_t updated_at;
};

struct web_episode {
	char *id; /* stable episode id */
	char *domain, *check;
	char *severity; /* "warn" or "critical" */
	bool open;
	int64_t started_at, ended_at; /* ended_at 0 while open */
	char *summary;
	struct web_delivery *deliveries;
	size_t n_deliveries;
};

/*
 * One end-to-end probe (issue 4) as the domain page, the API and /metrics
 * show it.  Every string may hold bytes from strangers (the receiving
 * side's headers and bounce texts): renderers escape.  Empty strings mean
 * "not known"; no string is NULL except detail_json.
 */
struct web_probe {
	char *token;
	char *state; /* "pending" "submitted" "send_failed" "received" "verified" "failed"
			"bounced" "lost" */
	int64_t created, submitted, received; /* unix seconds, 0 = not (yet) */
	double roundtrip;		      /* seconds sent -> back, < 0 when not back */
	char *relay, *rcpt;
	char *folder;		  /* "inbox" "spam" "listener" "" */
	char *spf, *dkim, *dmarc; /* RFC result words, "" when not verified */
	bool aligned;		  /* DMARC identifier alignment held */
	char *bounce_status;	  /* "5.1.1" or "" */
	char *bounce_reason;	  /* Sisimai word or "" */
	int bounce_code;	  /* 550, 0 */
	char *bounce_diag;
	char *error;	   /* plain words or "" */
	char *detail_json; /* a JSON object (headers, Authentication-Results...) or NULL */
};

/*
 * DMARC aggregate, TLS-RPT and failure reports of one domain (issue 5), as
 * the domain page, /api/v1/domains/NAME/reports and /metrics show them.
 * Strings come from strangers (reporters): renderers escape.  No string is
 * NULL; "" means not known.
 */
struct web_report_window {
	unsigned days;	   /* 1, 7, 30 */
	uint64_t messages; /* in aggregate reports whose range ended in the window */
	uint64_t pass;	   /* DMARC pass (aligned DKIM or SPF) */
	uint64_t dkim_pass, spf_pass, quarantined, rejected;
	double ratio; /* pass / messages; < 0 when messages is 0 */
};
struct web_report_source {
	char *ip, *ptr, *base; /* reverse DNS name and its organisational domain, "" */
	char *reporters;       /* comma separated */
	char *header_from, *auth_domains;
	char *group; /* "aligned" "misaligned" "unknown" */
	uint64_t messages, pass;
	int64_t first_seen, last_seen;
	bool is_new; /* first seen within the new-source window */
	/* of messages, those in the last 7 days (REPORT_UNKNOWN_SOURCE) */
	uint64_t messages_7d;
};
struct web_tlsrpt_row {
	char *reporter, *policy_type, *policy_domain;
	uint64_t success, failure;
	char *failure_types; /* "certificate-expired:3,..." or "" */
	/* of failure, those in the last 7 days (TLSRPT_FAILURES) */
	uint64_t failure_7d;
};
struct web_report_item {
	char *kind, *reporter, *report_id, *source, *container;
	int64_t begin, end, received;
	uint64_t records, messages;
};
struct web_report_failure {
	int64_t arrival;
	char *reporter, *source_ip, *auth_failure, *from, *subject, *dkim_domain;
};
#define WEB_REPORT_WINDOWS 3 /* 1, 7 and 30 days */
struct web_reports {
	char *headline; /* "97.2% of mail from example.com passed DMARC in the last 7 days
			   (12,345 messages)", or a sentence saying there is no data */
	struct web_report_window windows[WEB_REPORT_WINDOWS];
	struct web_report_source *sources; /* most messages first (30 days) */
	size_t n_sources;
	/* Move-to-enforcement advice (issue 5 "Recommendation"). */
	char *recommend;	/* "quarantine" "reject" "" (none) */
	char *recommend_text;	/* plain words: why, or what is still missing */
	char *recommend_record; /* the exact TXT record to publish, or "" */
	char *policy;		/* the p= reporters saw most recently, "" */
	struct web_tlsrpt_row *tlsrpt; /* 30 days */
	size_t n_tlsrpt;
	struct web_report_item *recent; /* newest first */
	size_t n_recent;
	struct web_report_failure *failures; /* newest first */
	size_t n_failures;
	uint64_t counter_pass, counter_fail; /* cumulative messages (a Prometheus counter) */
};

struct web_domain {
	char *name;    /* ASCII (A-labels): used in URLs */
	char *display; /* Unicode for people */
	char *status;  /* worst severity now: "ok" "warn" "critical" "unknown" */
	int64_t last_checked;
	struct web_check *checks;
	size_t n_checks;
	enum web_day_color days[WEB_HISTORY_DAYS]; /* oldest first, last = today */
	struct web_finding *findings;		   /* of the last complete check */
	size_t n_findings;
	int spf_lookups, spf_void_lookups; /* -1 unknown */
	char *spf_tree_json;		   /* the SPF lookup tree as JSON text, or NULL */
	struct web_transition *history;	   /* newest first */
	size_t n_history;
	struct web_episode *episodes; /* newest first */
	size_t n_episodes;
	/* Probes (issue 4); all zero/NULL for a domain that does not probe. */
	bool have_probes;	  /* the domain sends probes (probe_interval is set) */
	struct web_probe *probes; /* the last ones, newest first */
	size_t n_probes;
	double probe_last_roundtrip; /* seconds, of the last completed probe; < 0: none */
	bool probe_have_finished;    /* some probe finished (verified, failed, bounced, lost,
					send_failed): probe_last_success means something */
	bool probe_last_success;     /* the last finished probe was verified */
	/* Reports (issue 5); NULL when the domain has never had one. */
	struct web_reports *reports;
};

struct web_channel {
	char *name, *type;
	uint64_t sent, failed; /* notifications delivered / given up */
	size_t queued;	       /* in the outbox now */
};

struct web_snapshot {
	int64_t generated_at;
	char *version;
	bool ready;		/* config loaded and first round done */
	bool last_reload_ok;	/* the last config reload succeeded */
	int64_t last_reload_at; /* unix seconds */
	/*
	 * Added by web/: unix seconds of the last successful (re)load, for
	 * mailpulse_config_last_reload_success_timestamp_seconds.  0 = not
	 * filled in: the metric then uses last_reload_at when last_reload_ok.
	 */
	int64_t last_reload_success_at;
	bool degraded;		  /* the daemon's own resolver is down */
	unsigned refresh_seconds; /* meta refresh of the pages */
	struct web_domain *domains;
	size_t n_domains;
	struct web_episode *episodes; /* recent, all domains, newest first */
	size_t n_episodes;
	struct web_channel *channels;
	size_t n_channels;
	struct web_finding *readiness; /* daemon-level findings (ALERT_SINGLE_RECIPIENT...) */
	size_t n_readiness;
};

/* Free a snapshot and everything in it; NULL is a no-op. */
void web_snapshot_free(struct web_snapshot *s);

/*
 * Helpers added by web/ (web/snapshot.c), shared by the renderers and handy
 * for builders.  None of them allocates except web_snapshot_new().
 */

/* A zeroed snapshot (refresh_seconds 60); fill it and hand it to web_http_publish(). */
struct web_snapshot *web_snapshot_new(void);

/* The domain whose name equals [name, name+len) ignoring ASCII case, or NULL; borrowed. */
const struct web_domain *web_snapshot_find(const struct web_snapshot *s, const char *name,
					   size_t len);

/* A severity string from a snapshot, as a closed set (anything else is UNKNOWN). */
enum web_sev { WEB_SEV_OK, WEB_SEV_INFO, WEB_SEV_WARN, WEB_SEV_CRITICAL, WEB_SEV_UNKNOWN };
enum web_sev web_sev_parse(const char *severity);
/* "ok" "info" "warn" "critical" "unknown". */
const char *web_sev_name(enum web_sev sev);
/* Order for "worst first": critical, warn, unknown, info, ok (higher is worse). */
int web_sev_rank(enum web_sev sev);

/* "ok" "pending" "firing" "resolving" "unknown" (out-of-range values: "unknown"). */
const char *web_state_name(enum web_state st);
/* "nodata" "ok" "warn" "critical" (out-of-range values: "nodata"). */
const char *web_day_color_name(enum web_day_color c);

/*
 * The overall verdict of the overview banner:
 *   FAILING  some domain's status is critical;
 *   DEGRADED otherwise, some domain is warn or unknown, the daemon's own
 *            resolver is down (degraded), or the first round is not done;
 *   GOOD     otherwise (also with no domain at all; the page says so).
 */
enum web_overall { WEB_OVERALL_GOOD, WEB_OVERALL_DEGRADED, WEB_OVERALL_FAILING };
enum web_overall web_snapshot_overall(const struct web_snapshot *s);
/* "ok" "degraded" "failing". */
const char *web_overall_name(enum web_overall o);

#endif
