/*
 * daemon/cmd_report: `mailpulse report FILE... [--format json|text]
 * [--records] [--max-size BYTES] [--bench]` (issue 5).  Each file goes
 * through mail/report (raw, gzip or zip aggregate XML streamed from the
 * descriptor; TLS-RPT JSON; e-mails carrying either; DMARC failure reports)
 * and gives one result: a JSON line {"file","ok","kind","reason","reports":
 * [...]} or a short text paragraph.  Exit 0 when every file held only valid
 * reports, 1 when some file was rejected or held none, 2 on bad usage.
 * --bench parses the files through a sink that only counts and prints
 * "bytes= seconds= mb_per_s= records= max_rss_kb=" (bench/reports uses it).
 *
 * What it does not: store, deduplicate or analyse (the daemon does), or
 * fetch anything.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/json.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "daemon/cmd.h"
#include "mail/report.h"

#define REPORT_EXIT_USAGE DAEMON_EXIT_USAGE /* 0 valid, 1 rejected or none, 3 usage, like the others */

struct report_args {
	const char *format;
	bool records; /* --records: every aggregate row in the JSON */
	bool bench;
	uint64_t max_size; /* 0: the defaults */
};

/* What the sink builds for one file. */
struct report_file {
	const struct report_args *a;
	struct common_json *reports; /* array of report objects */
	struct common_json *cur;     /* the report between begin() and end() */
	struct common_json *rows;    /* cur's rows (--records), owned by cur */
	uint64_t pass;		     /* messages with a DMARC pass in cur */
};

static void report_usage(FILE *out)
{
	fputs("usage: mailpulse report FILE... [--format json|text] [--records]\n"
	      "         [--max-size BYTES] [--bench]\n",
	      out);
}

static const struct option report_opts[] = {
    {"format", required_argument, NULL, 'f'},	{"records", no_argument, NULL, 'r'},
    {"max-size", required_argument, NULL, 'm'}, {"bench", no_argument, NULL, 'b'},
    {"help", no_argument, NULL, 'h'},		{NULL, 0, NULL, 0},
};

/* ---- the sink: one JSON object per report -------------------------------- */

static enum mp_err rf_begin(void *arg, const struct mail_report_where *w)
{
	struct report_file *f = arg;
	f->cur = common_json_object();
	f->rows = NULL;
	f->pass = 0;
	common_json_set_str(f->cur, "kind", mail_report_kind_name(w->kind));
	common_json_set_str(f->cur, "container", w->container);
	common_json_set_str(f->cur, "filename", w->filename);
	if (w->kind == MAIL_REPORT_AGGREGATE) {
		static const char *const keys[] = {"reporter", "report_id", "domain",
						   "begin",    "end",	    "policy"};
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			common_json_set(f->cur, keys[i], common_json_null());
		if (f->a->records) {
			f->rows = common_json_array();
			common_json_set(f->cur, "rows", f->rows);
		}
	}
	return ERR_OK;
}

static void rf_set_char(struct common_json *o, const char *key, char c)
{
	char s[2] = {c, '\0'};
	common_json_set_str(o, key, s);
}

static enum mp_err rf_meta(void *arg, const struct mail_agg_meta *m)
{
	struct report_file *f = arg;
	struct common_json *pol = common_json_object();
	common_json_set_str(f->cur, "reporter", m->org_name);
	common_json_set_str(f->cur, "report_id", m->report_id);
	common_json_set_str(f->cur, "domain", m->domain);
	common_json_set_int(f->cur, "begin", m->begin);
	common_json_set_int(f->cur, "end", m->end);
	common_json_set_str(pol, "p", m->p);
	common_json_set_str(pol, "sp", m->sp);
	if (m->pct >= 0)
		common_json_set_int(pol, "pct", m->pct);
	else
		common_json_set(pol, "pct", common_json_null());
	rf_set_char(pol, "adkim", m->adkim);
	rf_set_char(pol, "aspf", m->aspf);
	common_json_set(f->cur, "policy", pol);
	return ERR_OK;
}

/* One auth_results entry of a row. */
static struct common_json *rf_auth(const struct mail_agg_auth *au, bool dkim)
{
	struct common_json *o = common_json_object();
	common_json_set_str(o, "domain", au->domain);
	if (dkim)
		common_json_set_str(o, "selector", au->selector);
	else
		common_json_set_str(o, "scope", au->scope);
	common_json_set_str(o, "result", mail_agg_result_name(au->result));
	return o;
}

static struct common_json *rf_row(const struct mail_agg_record *r)
{
	struct common_json *o = common_json_object(), *dk = common_json_array(),
			   *sp = common_json_array();
	common_json_set_str(o, "source_ip", r->source_ip);
	common_json_set_int(o, "count", (long long)r->count);
	common_json_set_str(o, "disposition", mail_agg_disposition_name(r->disposition));
	common_json_set_str(o, "dkim", mail_agg_result_name(r->dkim_eval));
	common_json_set_str(o, "spf", mail_agg_result_name(r->spf_eval));
	common_json_set_str(o, "header_from", r->header_from);
	common_json_set_str(o, "envelope_from", r->envelope_from);
	for (size_t i = 0; i < r->n_dkim; i++)
		common_json_push(dk, rf_auth(&r->dkim[i], true));
	for (size_t i = 0; i < r->n_spf; i++)
		common_json_push(sp, rf_auth(&r->spf[i], false));
	common_json_set(o, "auth_dkim", dk);
	common_json_set(o, "auth_spf", sp);
	return o;
}

static enum mp_err rf_record(void *arg, const struct mail_agg_meta *m,
			     const struct mail_agg_record *r)
{
	struct report_file *f = arg;
	(void)m;
	/* RFC 7489 3.1 / 6.6.2: DMARC passes when an aligned DKIM or SPF passes,
	   which is what policy_evaluated reports */
	if (r->dkim_eval == MAIL_AGG_RES_PASS || r->spf_eval == MAIL_AGG_RES_PASS)
		f->pass = f->pass + r->count < f->pass ? UINT64_MAX : f->pass + r->count;
	if (f->rows)
		common_json_push(f->rows, rf_row(r));
	return ERR_OK;
}

static enum mp_err rf_tlsrpt(void *arg, const struct mail_tlsrpt *t)
{
	struct report_file *f = arg;
	struct common_json *pols = common_json_array();
	common_json_set_str(f->cur, "reporter", t->org_name);
	common_json_set_str(f->cur, "report_id", t->report_id);
	common_json_set_int(f->cur, "begin", t->begin);
	common_json_set_int(f->cur, "end", t->end);
	for (size_t i = 0; i < t->n_policies; i++) {
		const struct mail_tlsrpt_policy *p = &t->policies[i];
		struct common_json *o = common_json_object(), *fl = common_json_array();
		common_json_set_str(o, "type", p->policy_type);
		common_json_set_str(o, "domain", p->policy_domain);
		common_json_set_int(o, "success", (long long)p->success);
		common_json_set_int(o, "failure", (long long)p->failure);
		for (size_t k = 0; k < p->n_failures; k++) {
			const struct mail_tlsrpt_failure *x = &p->failures[k];
			struct common_json *e = common_json_object();
			common_json_set_str(e, "result_type", x->result_type);
			common_json_set_int(e, "count", (long long)x->failed_session_count);
			common_json_set_str(e, "sending_mta_ip", x->sending_mta_ip);
			common_json_set_str(e, "receiving_mx_hostname", x->receiving_mx_hostname);
			common_json_set_str(e, "receiving_ip", x->receiving_ip);
			common_json_push(fl, e);
		}
		common_json_set(o, "failures", fl);
		common_json_push(pols, o);
	}
	common_json_set(f->cur, "policies", pols);
	return ERR_OK;
}

static enum mp_err rf_failure(void *arg, const struct mail_arf *a)
{
	struct report_file *f = arg;
	common_json_set_str(f->cur, "reporter",
			    *a->reporting_mta ? a->reporting_mta : a->user_agent);
	common_json_set_str(f->cur, "domain", a->reported_domain);
	common_json_set_str(f->cur, "source_ip", a->source_ip);
	common_json_set_str(f->cur, "auth_failure", a->auth_failure);
	common_json_set_str(f->cur, "from", a->orig_from);
	common_json_set_str(f->cur, "subject", a->orig_subject);
	if (a->arrival)
		common_json_set_int(f->cur, "arrival", a->arrival);
	else
		common_json_set(f->cur, "arrival", common_json_null());
	return ERR_OK;
}

static void rf_end(void *arg, const struct mail_report_where *w, enum mp_err verdict,
		   const char *why, const struct mail_agg_summary *sum)
{
	struct report_file *f = arg;
	if (w->kind == MAIL_REPORT_AGGREGATE && sum) {
		common_json_set_int(f->cur, "records", (long long)sum->records);
		common_json_set_int(f->cur, "messages", (long long)sum->messages);
		common_json_set_int(f->cur, "pass", (long long)f->pass);
	}
	common_json_set_bool(f->cur, "ok", verdict == ERR_OK);
	common_json_set(f->cur, "reason",
			verdict == ERR_OK ? common_json_null()
					  : common_json_string(why, (size_t)-1));
	common_json_push(f->reports, f->cur);
	f->cur = NULL;
	f->rows = NULL;
}

/* ---- text output ---------------------------------------------------------- */

static const char *jstr(const struct common_json *o, const char *key)
{
	size_t n = 0;
	const char *s = common_json_str_value(common_json_get(o, key), &n);
	return s ? s : "-";
}

static long long jint(const struct common_json *o, const char *key)
{
	long long v = 0;
	return common_json_int_value(common_json_get(o, key), &v) ? v : 0;
}

static const char *jdate(const struct common_json *o, const char *key, char *buf, size_t sz)
{
	struct tm tm;
	time_t t = (time_t)jint(o, key);
	if (!t || !gmtime_r(&t, &tm) || strftime(buf, sz, "%Y-%m-%d %H:%M", &tm) == 0)
		return "?";
	return buf;
}

static void text_aggregate(const struct common_json *r)
{
	char b1[32], b2[32];
	long long msgs = jint(r, "messages"), pass = jint(r, "pass");
	const struct common_json *pol = common_json_get(r, "policy");
	printf("  aggregate report from %s (id %s) for %s, %s to %s UTC: %lld records, "
	       "%lld messages, %lld passed DMARC (%.1f%%)",
	       jstr(r, "reporter"), jstr(r, "report_id"), jstr(r, "domain"),
	       jdate(r, "begin", b1, sizeof(b1)), jdate(r, "end", b2, sizeof(b2)),
	       jint(r, "records"), msgs, pass, msgs ? 100.0 * (double)pass / (double)msgs : 0.0);
	if (pol)
		printf("; policy p=%s", jstr(pol, "p"));
	printf(".\n");
}

static void text_tlsrpt(const struct common_json *r)
{
	const struct common_json *pols = common_json_get(r, "policies");
	char b1[32];
	printf("  TLS report from %s (id %s), %s UTC, %zu policies:", jstr(r, "reporter"),
	       jstr(r, "report_id"), jdate(r, "begin", b1, sizeof(b1)),
	       common_json_array_len(pols));
	for (size_t i = 0; i < common_json_array_len(pols); i++) {
		const struct common_json *p = common_json_array_at(pols, i);
		const struct common_json *fl = common_json_get(p, "failures");
		printf(" %s %s: %lld ok, %lld failed", jstr(p, "type"), jstr(p, "domain"),
		       jint(p, "success"), jint(p, "failure"));
		for (size_t k = 0; k < common_json_array_len(fl); k++) {
			const struct common_json *e = common_json_array_at(fl, k);
			printf("%s%s x%lld", k ? ", " : " (", jstr(e, "result_type"),
			       jint(e, "count"));
		}
		printf("%s%s", common_json_array_len(fl) ? ")" : "",
		       i + 1 < common_json_array_len(pols) ? ";" : "");
	}
	printf(".\n");
}

static void text_failure(const struct common_json *r)
{
	char b1[32];
	printf("  DMARC failure report from %s for %s: %s failed for a message from %s "
	       "(From %s, Subject %s) at %s UTC.\n",
	       jstr(r, "reporter"), jstr(r, "domain"), jstr(r, "auth_failure"),
	       jstr(r, "source_ip"), jstr(r, "from"), jstr(r, "subject"),
	       jdate(r, "arrival", b1, sizeof(b1)));
}

static void print_text(const char *path, bool ok, const char *reason,
		       const struct common_json *reports)
{
	printf("%s: %s%s%s\n", path, ok ? "ok" : "rejected", ok ? "" : ": ", ok ? "" : reason);
	for (size_t i = 0; i < common_json_array_len(reports); i++) {
		const struct common_json *r = common_json_array_at(reports, i);
		const char *k = jstr(r, "kind");
		size_t n = 0;
		bool bad = common_json_str_value(common_json_get(r, "reason"), &n) != NULL;
		if (bad && strcmp(jstr(r, "reporter"), "-") == 0) {
			/* rejected before anything was known about it */
			printf("  %s report (%s) rejected: %s\n", k, jstr(r, "container"),
			       jstr(r, "reason"));
			continue;
		}
		if (strcmp(k, "aggregate") == 0)
			text_aggregate(r);
		else if (strcmp(k, "tlsrpt") == 0)
			text_tlsrpt(r);
		else
			text_failure(r);
		if (bad)
			printf("  (this report was rejected, all of it: %s)\n", jstr(r, "reason"));
	}
}

/* ---- files ------------------------------------------------------------------ */

static void report_limits(const struct report_args *a, struct mail_report_limits *lim)
{
	mail_report_limits_default(lim);
	if (a->max_size) {
		lim->agg.max_bytes = a->max_size;
		lim->archive.max_out = a->max_size;
		lim->max_message = (size_t)a->max_size;
	}
}

/* One file: parse, print; false when it was rejected or held no report. */
static bool report_one(const char *path, const struct report_args *a)
{
	struct report_file f = {.a = a, .reports = common_json_array()};
	struct mail_report_sink sink = {rf_begin,   rf_meta, rf_record, rf_tlsrpt,
					rf_failure, rf_end,  &f};
	struct mail_report_limits lim;
	struct mail_report_outcome o;
	enum mp_err err;
	char reason[300];
	report_limits(a, &lim);
	memset(&o, 0, sizeof(o));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = ERR_IO;
		snprintf(reason, sizeof(reason), "cannot open: %s", strerror(errno));
	} else {
		err = mail_report_parse_fd(fd, &lim, &sink, &o);
		close(fd);
		snprintf(reason, sizeof(reason), "%s", o.why);
	}
	if (strcmp(a->format, "text") == 0) {
		print_text(path, err == ERR_OK, reason, f.reports);
	} else {
		struct common_json *j = common_json_object();
		common_json_set_str(j, "file", path);
		common_json_set_bool(j, "ok", err == ERR_OK);
		common_json_set_str(j, "kind", mail_report_kind_name(o.first_kind));
		common_json_set(j, "reason",
				err == ERR_OK ? common_json_null()
					      : common_json_string(reason, (size_t)-1));
		common_json_set(j, "reports", f.reports);
		f.reports = NULL;
		char *s = common_json_dump(j, false);
		puts(s);
		free(s);
		common_json_free(j);
	}
	common_json_free(f.reports);
	return err == ERR_OK;
}

/* ---- --bench ------------------------------------------------------------------ */

static enum mp_err bench_record(void *arg, const struct mail_agg_meta *m,
				const struct mail_agg_record *r)
{
	(void)m;
	(void)r;
	(*(uint64_t *)arg)++;
	return ERR_OK;
}

/*
 * Peak resident memory of this process in KiB: VmHWM of /proc/self/status,
 * which starts afresh at exec; getrusage()'s ru_maxrss keeps the high-water
 * mark of the process that forked us (a python harness: 16 MB), hiding ours.
 */
static long peak_rss_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");
	while (f && kb < 0 && fgets(line, sizeof(line), f)) {
		uint64_t v = 0;
		const char *s = line + 6;
		size_t n = 0;
		if (strncmp(line, "VmHWM:", 6) != 0)
			continue;
		while (*s == ' ' || *s == '\t')
			s++;
		while (s[n] >= '0' && s[n] <= '9')
			n++;
		if (common_str_to_u64(s, n, 1ull << 40, &v) == ERR_OK)
			kb = (long)v;
	}
	if (f)
		fclose(f);
	if (kb < 0) {
		struct rusage ru;
		getrusage(RUSAGE_SELF, &ru);
		kb = ru.ru_maxrss;
	}
	return kb;
}

static int report_bench(int nfiles, char **files, const struct report_args *a)
{
	struct timespec t0, t1;
	struct mail_report_limits lim;
	uint64_t bytes = 0, records = 0;
	struct mail_report_sink sink = {.agg_record = bench_record, .arg = &records};
	int rc = 0;
	report_limits(a, &lim);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < nfiles; i++) {
		struct mail_report_outcome o;
		struct stat st;
		int fd = open(files[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) != 0) {
			fprintf(stderr, "mailpulse: %s: %s\n", files[i], strerror(errno));
			rc = 1;
		} else {
			bytes += (uint64_t)st.st_size;
			if (mail_report_parse_fd(fd, &lim, &sink, &o) != ERR_OK) {
				fprintf(stderr, "mailpulse: %s: %s\n", files[i], o.why);
				rc = 1;
			}
		}
		if (fd >= 0)
			close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("bytes=%llu seconds=%.3f mb_per_s=%.1f records=%llu max_rss_kb=%ld\n",
	       (unsigned long long)bytes, secs, secs > 0 ? (double)bytes / 1e6 / secs : 0.0,
	       (unsigned long long)records, peak_rss_kb());
	return rc;
}

int daemon_cmd_report(int argc, char **argv)
{
	struct report_args a = {.format = "json"};
	int c, rc = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:rm:bh", report_opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			a.format = optarg;
			break;
		case 'r':
			a.records = true;
			break;
		case 'm':
			if (common_str_to_u64(optarg, strlen(optarg), UINT64_MAX / 2,
					      &a.max_size) != ERR_OK ||
			    a.max_size == 0) {
				report_usage(stderr);
				return REPORT_EXIT_USAGE;
			}
			break;
		case 'b':
			a.bench = true;
			break;
		case 'h':
			report_usage(stdout);
			return 0;
		default:
			report_usage(stderr);
			return REPORT_EXIT_USAGE;
		}
	}
	if (optind >= argc || (strcmp(a.format, "json") != 0 && strcmp(a.format, "text") != 0)) {
		report_usage(stderr);
		return REPORT_EXIT_USAGE;
	}
	if (a.bench)
		return report_bench(argc - optind, argv + optind, &a);
	for (int i = optind; i < argc; i++)
		if (!report_one(argv[i], &a))
			rc = 1;
	return rc;
}
