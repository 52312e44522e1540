/*
 * daemon/report_ingest: one input (a file, an e-mail, an HTTP body) in, its
 * reports stored (issue 5 "Ingest").  mail/report parses; each report is
 * written inside one store transaction that commits only when the report
 * was valid from its first byte to its last (all or nothing); a report
 * already stored (kind, reporter, report id) is a duplicate and counted
 * once; an input that holds no report, or any rejected report, is copied
 * into the quarantine directory (mode 0600, a name that never comes from
 * the input: "<unix time>-<source>-<16 hex random>.bin" plus a ".reason"
 * text file beside it) and recorded in report_rejects: never dropped.
 *
 * CONTRACT (issue 5, written by the lead before implementation; the
 * implementer may add members and functions, but must not change these
 * signatures without telling the lead: daemon/reports, the HTTP POST
 * callback and the tests code against them).
 *
 * Threads: reentrant; each caller passes the store connection of its own
 * thread (the HTTP server's callback opens its own, like the listener).
 *
 * What it does not: analyse (daemon/report_analysis), fetch (listener,
 * daemon/report_worker, the drop directory in daemon/reports), or log
 * report content beyond reporter, report id and domain.
 */
#ifndef MAILPULSE_DAEMON_REPORT_INGEST_H
#define MAILPULSE_DAEMON_REPORT_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "daemon/config.h"
#include "daemon/store.h"

struct daemon_report_ingest_opts {
	const char *source;	    /* "listener" "imap:NAME" "drop" "api" */
	const char *quarantine_dir; /* created (0700) when missing */
	size_t max_size;	    /* decompressed bytes (cfg reports.max_size) */
	unsigned max_ratio;
	int64_t now;
};

/* From cfg's [reports] (quarantine dir default <state_dir>/quarantine). */
void daemon_report_ingest_opts_from(const struct daemon_config *cfg, const char *source,
				    int64_t now, struct daemon_report_ingest_opts *o);

struct daemon_report_ingest_result {
	unsigned stored;     /* new reports committed */
	unsigned duplicates; /* already stored: nothing written */
	unsigned rejected;   /* invalid reports (quarantined) */
	unsigned found;	     /* reports seen in the input */
	char domains[256];   /* policy domains stored, comma separated (cut) */
	char why[256];	     /* the first rejection, or why this is not a report */
	char quarantined[512]; /* path of the quarantine copy, "" when none */
};

/*
 * Ingest [p, p+len).  ERR_OK when the input held at least one report and
 * every one was stored or a duplicate; ERR_NOTFOUND when it held none
 * (quarantined, why says what it was); ERR_PARSE / ERR_LIMIT when some
 * report was rejected (quarantined; valid siblings in the same e-mail are
 * still stored); ERR_IO when the store or the quarantine failed (nothing
 * half-written; the caller keeps the input and retries).
 */
enum mp_err daemon_report_ingest_mem(struct daemon_store *st,
				     const struct daemon_report_ingest_opts *o, const char *p,
				     size_t len, struct daemon_report_ingest_result *res) MP_WUR;
/* The same for a file (streamed: a 100 MB XML keeps memory flat). */
enum mp_err daemon_report_ingest_file(struct daemon_store *st,
				      const struct daemon_report_ingest_opts *o, const char *path,
				      struct daemon_report_ingest_result *res) MP_WUR;

#endif
