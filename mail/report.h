/*
 * mail/report: one entry point for every report mailpulse ingests (issue 5
 * "Ingest"): DMARC aggregate XML, TLS-RPT JSON and DMARC failure reports,
 * raw, gzipped, zipped, or carried by an e-mail (GMime through mail/mime).
 * It sniffs what the bytes are, unwraps them (mail/report_archive), and
 * hands the content to a sink: the daemon's ingest (store), `mailpulse
 * report` (JSON out), the tests and the benchmark.
 *
 * CONTRACT (issue 5, written by the lead before implementation; the
 * implementer may add members and functions, but must not change these
 * signatures without telling the lead: daemon/report_ingest and
 * daemon/cmd_report code against them).
 *
 * Sniffing order: gzip or zip magic -> unwrap, then sniff the content
 * (one level only: a zip inside a gzip is refused); "<" (after an optional
 * BOM / whitespace) -> aggregate XML; "{" -> TLS-RPT JSON; a header block
 * (RFC 5322 field names up to the first empty line) -> e-mail: a
 * feedback-report is a failure report; otherwise every attachment or part
 * whose type or file name says xml / gzip / zip / tlsrpt / json (RFC 7489
 * 7.2.1.1 and RFC 8460 5.3: application/tlsrpt+json, application/tlsrpt+gzip)
 * is a report of its own.  Anything else: MAIL_REPORT_NONE with a reason.
 *
 * Limits: the e-mail (mail/mime max_body), the decompressed size and ratio
 * (mail/report_archive), the XML caps (mail/report_agg), the JSON size
 * (mail/report_tlsrpt).  An aggregate report is streamed: from a file
 * descriptor, memory stays flat whatever its size.
 *
 * What it does not: store, deduplicate or decide what is a duplicate (the
 * daemon does), or touch the network.
 */
#ifndef MAILPULSE_MAIL_REPORT_H
#define MAILPULSE_MAIL_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "mail/report_agg.h"
#include "mail/report_archive.h"
#include "mail/report_arf.h"
#include "mail/report_tlsrpt.h"

enum mail_report_kind {
	MAIL_REPORT_NONE = 0,	 /* not a report (or not one we read) */
	MAIL_REPORT_AGGREGATE,	 /* DMARC rua */
	MAIL_REPORT_TLSRPT,	 /* RFC 8460 */
	MAIL_REPORT_FAILURE,	 /* DMARC ruf (RFC 6591 ARF) */
};

#define MAIL_REPORT_MAX_PER_MESSAGE 8 /* reports taken from one e-mail */

struct mail_report_limits {
	struct mail_agg_limits agg;
	struct mail_archive_limits archive; /* max_out also caps TLS-RPT JSON */
	size_t max_message;		    /* an e-mail read whole (0 = 32 MiB) */
};

/*
 * Where one report came from, passed to every sink call.  container is the
 * chain of wrappers, outermost first: "xml", "gzip>xml", "zip>xml",
 * "email>zip>xml", "email>json", "email>arf" ...
 */
struct mail_report_where {
	enum mail_report_kind kind;
	const char *container;
	const char *filename; /* attachment or archive entry name, "" */
	unsigned index;	      /* 0-based report number within the input */
};

/*
 * The consumer.  Every report is bracketed by begin() and end(); between
 * them an aggregate report gets agg_meta() once and agg_record() per record
 * (streamed), a TLS report tlsrpt(), a failure report failure().  end()
 * gets the report's verdict: ERR_OK (valid: keep it) or the error that
 * rejected it, with why; a sink that stores records must therefore
 * buffer or roll back until end().  Any callback returning non-ERR_OK
 * aborts that report (end() is still called with that error).  Members may
 * be NULL.  sum is the aggregate parser's summary for an aggregate report,
 * NULL for the other kinds; why is "" when verdict is ERR_OK.
 */
struct mail_report_sink {
	enum mp_err (*begin)(void *arg, const struct mail_report_where *w);
	mail_agg_meta_fn *agg_meta;
	mail_agg_record_fn *agg_record;
	enum mp_err (*tlsrpt)(void *arg, const struct mail_tlsrpt *t);
	enum mp_err (*failure)(void *arg, const struct mail_arf *f);
	void (*end)(void *arg, const struct mail_report_where *w, enum mp_err verdict,
		    const char *why, const struct mail_agg_summary *sum);
	void *arg;
};

/* What a whole input held. */
struct mail_report_outcome {
	unsigned reports;  /* begin() calls */
	unsigned accepted; /* end() with ERR_OK */
	unsigned rejected; /* end() with an error */
	unsigned unreadable; /* inputs or attachments that could not be unwrapped before
				their kind was known (corrupt or nested archive, a bomb in
				the first bytes, an attachment over the size cap): no sink
				call, but they count as rejections */
	enum mail_report_kind first_kind; /* kind of the first report, NONE if none */
	char why[256];	   /* why the input held no report, or the first rejection */
};

/*
 * Read every report in [p, p+len) (borrowed for the call).  lim NULL:
 * defaults; sink NULL: validate only.  Returns ERR_OK when at least one
 * report was found and every report found was valid; ERR_NOTFOUND when the
 * input holds no report (out->why says what it is); otherwise the first
 * rejection's error (ERR_PARSE, ERR_LIMIT, ERR_IO ...), including an
 * unreadable part.  The sink has seen everything either way, and *out is
 * filled in every case (it is a tally, not a result).
 */
enum mp_err mail_report_parse_mem(const char *p, size_t len, const struct mail_report_limits *lim,
				  const struct mail_report_sink *sink,
				  struct mail_report_outcome *out) MP_WUR;
/* The same from a file descriptor, streaming raw / gzip / zip aggregate
   XML (flat memory); e-mail and JSON are read whole within the limits. */
enum mp_err mail_report_parse_fd(int fd, const struct mail_report_limits *lim,
				 const struct mail_report_sink *sink,
				 struct mail_report_outcome *out) MP_WUR;

/* Defaults of every limit. */
void mail_report_limits_default(struct mail_report_limits *lim);
/* "none" "aggregate" "tlsrpt" "failure". */
const char *mail_report_kind_name(enum mail_report_kind k);

#endif
