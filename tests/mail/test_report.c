/*
 * tests/mail/test_report: mail/report's sniffing, unwrapping and dispatch
 * on the fixtures of tests/fixtures/reports/mail/ (raw, gzip and zip XML,
 * TLS-RPT JSON, e-mails carrying them with honest and dishonest labels, a
 * failure report, nested archives, a corrupt gzip, garbage, an e-mail with
 * a good and a bad report, one with ten attachments), through memory and
 * through a file descriptor (a file and a pipe), the sink protocol (begin /
 * end bracketing, a sink that refuses), the limits, a streamed 24 MB
 * report with flat memory, and the real corpus of
 * ../shared/corpora/dmarc-reports (kinds only; counts are checked by
 * tests/integration/test_report_corpus.sh), skipped when it is absent.
 */
#include <dirent.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/xmalloc.h"
#include "mail/report.h"
#include "tests/lib/tap.h"

/* Records every sink call as text: "B(kind,container,filename,index)",
   "M(org,id,domain,p)", "R(ip,count)", "T(org,policies)", "F(domain,ip)",
   "E(verdict,records,messages)". */
struct rec {
	struct buf log;
	enum mp_err refuse_begin; /* begin() returns this */
	unsigned begins, ends;
	bool full; /* the log hit its maximum (then it compares unequal anyway) */
	char last_why[256];
};

/* Append to the log; a full log fails the next comparison, so nothing is hidden. */
static void rec_log(struct rec *r, const char *fmt, ...) MP_PRINTF(2, 3);
static void rec_log(struct rec *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (common_buf_vprintf(&r->log, fmt, ap) != ERR_OK)
		r->full = true;
	va_end(ap);
}

static enum mp_err rec_begin(void *arg, const struct mail_report_where *w)
{
	struct rec *r = arg;
	r->begins++;
	rec_log(r, "B(%s,%s,%s,%u)", mail_report_kind_name(w->kind), w->container, w->filename,
		w->index);
	return r->refuse_begin;
}

static enum mp_err rec_meta(void *arg, const struct mail_agg_meta *m)
{
	struct rec *r = arg;
	rec_log(r, "M(%s,%s,%s,%s)", m->org_name, m->report_id, m->domain, m->p);
	return ERR_OK;
}

static enum mp_err rec_record(void *arg, const struct mail_agg_meta *m,
			      const struct mail_agg_record *rr)
{
	struct rec *r = arg;
	(void)m;
	rec_log(r, "R(%s,%llu)", rr->source_ip, (unsigned long long)rr->count);
	return ERR_OK;
}

static enum mp_err rec_tlsrpt(void *arg, const struct mail_tlsrpt *t)
{
	struct rec *r = arg;
	rec_log(r, "T(%s,%zu)", t->org_name, t->n_policies);
	return ERR_OK;
}

static enum mp_err rec_failure(void *arg, const struct mail_arf *f)
{
	struct rec *r = arg;
	rec_log(r, "F(%s,%s)", f->reported_domain, f->source_ip);
	return ERR_OK;
}

static void rec_end(void *arg, const struct mail_report_where *w, enum mp_err verdict,
		    const char *why, const struct mail_agg_summary *sum)
{
	struct rec *r = arg;
	r->ends++;
	snprintf(r->last_why, sizeof(r->last_why), "%s", why);
	if (w->kind == MAIL_REPORT_AGGREGATE && sum)
		rec_log(r, "E(%s,%llu,%llu)", common_err_str(verdict),
			(unsigned long long)sum->records, (unsigned long long)sum->messages);
	else
		rec_log(r, "E(%s,%s)", common_err_str(verdict), sum ? "sum" : "nosum");
}

static void rec_init(struct rec *r, struct mail_report_sink *s)
{
	memset(r, 0, sizeof(*r));
	common_buf_init(&r->log, 1 << 20);
	*s = (struct mail_report_sink){rec_begin,   rec_meta, rec_record, rec_tlsrpt,
				       rec_failure, rec_end,  r};
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *b = xmalloc(4 << 20);
	*len = fread(b, 1, (4 << 20) - 1, f);
	b[*len] = '\0';
	fclose(f);
	return b;
}

static char *fixture_path(const char *name)
{
	return xasprintf("%s/tests/fixtures/reports/mail/%s", tap_srcdir(), name);
}

/* The two-record fixture report, as the recording sink writes it. */
#define AGG_LOG                                                                                    \
	"M(receiver.example,rep-fixture-1,sender.example,none)R(192.0.2.10,3)R(2001:db8::25,4)"    \
	"E(ok,2,7)"
#define TLS_LOG "T(Receiver Inc.,1)E(ok,nosum)"

/*
 * Run one fixture through memory (and the same through parse_fd) and
 * compare the error and the sink's log with want.
 */
static void check(const char *name, const struct mail_report_limits *lim, enum mp_err want_err,
		  const char *want_log)
{
	char *path = fixture_path(name);
	size_t len = 0;
	char *b = slurp(path, &len);
	for (int via_fd = 0; via_fd < 2; via_fd++) {
		struct rec r;
		struct mail_report_sink s;
		struct mail_report_outcome o;
		enum mp_err err = ERR_IO;
		rec_init(&r, &s);
		if (!via_fd && b) {
			err = mail_report_parse_mem(b, len, lim, &s, &o);
		} else if (via_fd) {
			int fd = open(path, O_RDONLY);
			if (fd >= 0) {
				err = mail_report_parse_fd(fd, lim, &s, &o);
				close(fd);
			}
		}
		const char *how = via_fd ? "fd" : "mem";
		tap_is_int(err, want_err, "%s (%s): %s, why: %s", name, how,
			   common_err_str(want_err), o.why);
		tap_is_str(common_buf_str(&r.log), want_log, "%s (%s): sink calls", name, how);
		tap_ok(r.begins == r.ends && r.begins == o.reports,
		       "%s (%s): begin/end paired (%u/%u, %u reports)", name, how, r.begins, r.ends,
		       o.reports);
		if (want_err != ERR_OK)
			tap_ok(o.why[0] != '\0', "%s (%s): a reason", name, how);
		common_buf_free(&r.log);
	}
	free(b);
	free(path);
}

static void test_fixtures(void)
{
	check("agg.xml", NULL, ERR_OK, "B(aggregate,xml,,0)" AGG_LOG);
	check("agg.xml.gz", NULL, ERR_OK, "B(aggregate,gzip>xml,agg.xml,0)" AGG_LOG);
	check("agg.zip", NULL, ERR_OK, "B(aggregate,zip>xml,agg.xml,0)" AGG_LOG);
	check("tlsrpt.json", NULL, ERR_OK, "B(tlsrpt,json,,0)" TLS_LOG);
	check("agg-zip.eml", NULL, ERR_OK,
	      "B(aggregate,email>zip>xml,receiver.example!sender.example!1700000000!1700086400."
	      "xml,0)" AGG_LOG);
	check("agg-gz-mislabeled.eml", NULL, ERR_OK,
	      "B(aggregate,email>gzip>xml,report.xml,0)" AGG_LOG);
	check("agg-xml-plain.eml", NULL, ERR_OK, "B(aggregate,email>xml,report.xml,0)" AGG_LOG);
	check("agg-singlepart.eml", NULL, ERR_OK, "B(aggregate,email>gzip>xml,r.xml.gz,0)" AGG_LOG);
	check("tlsrpt-gzip.eml", NULL, ERR_OK,
	      "B(tlsrpt,email>gzip>json,receiver.example!sender.example!1708560000!1708646400."
	      "json.gz,0)" TLS_LOG);
	check("two-reports.eml", NULL, ERR_OK,
	      "B(aggregate,email>gzip>xml,a.xml.gz,0)" AGG_LOG
	      "B(tlsrpt,email>json,b.json,1)" TLS_LOG);
	check("arf-auth-failure.eml", NULL, ERR_OK,
	      "B(failure,email>arf,,0)F(sender.example,2001:db8::7)E(ok,nosum)");
	check("arf-no-type.eml", NULL, ERR_PARSE, "B(failure,email>arf,,0)E(parse error,nosum)");
	check("arf-abuse.eml", NULL, ERR_NOTFOUND, "");
	check("no-report.eml", NULL, ERR_NOTFOUND, "");
	check("nested.zip", NULL, ERR_PARSE, "");
	check("nested-archive.eml", NULL, ERR_PARSE, "");
	check("hostile-garbage.bin", NULL, ERR_NOTFOUND, "");
	check("hostile-corrupt.gz", NULL, ERR_PARSE, "");
}

/* Outcome counters and reasons of a few inputs. */
static void test_outcomes(void)
{
	struct mail_report_outcome o;
	char *path = fixture_path("one-good-one-bad.eml");
	size_t len = 0;
	char *b = slurp(path, &len);
	free(path);
	enum mp_err err = b ? mail_report_parse_mem(b, len, NULL, NULL, &o) : ERR_IO;
	tap_is_int(err, ERR_PARSE, "good + bad report: the bad one's error");
	tap_ok(o.reports == 2 && o.accepted == 1 && o.rejected == 1,
	       "good + bad: 2 reports, 1 accepted, 1 rejected (%u %u %u)", o.reports, o.accepted,
	       o.rejected);
	tap_ok(strstr(o.why, "bad.xml.gz") != NULL, "why names the attachment: %s", o.why);
	tap_is_int(o.first_kind, MAIL_REPORT_AGGREGATE, "first_kind aggregate");
	free(b);

	path = fixture_path("many-attachments.eml");
	b = slurp(path, &len);
	free(path);
	err = b ? mail_report_parse_mem(b, len, NULL, NULL, &o) : ERR_IO;
	tap_is_int(err, ERR_OK, "ten attachments: fine");
	tap_is_int(o.reports, MAIL_REPORT_MAX_PER_MESSAGE, "but only %d taken",
		   MAIL_REPORT_MAX_PER_MESSAGE);
	free(b);

	path = fixture_path("nested.zip");
	b = slurp(path, &len);
	free(path);
	err = b ? mail_report_parse_mem(b, len, NULL, NULL, &o) : ERR_IO;
	tap_ok(err == ERR_PARSE && o.unreadable == 1 && o.reports == 0 &&
		   strstr(o.why, "archive inside an archive") != NULL,
	       "nested archive refused, unreadable, no report: %s", o.why);
	free(b);

	err = mail_report_parse_mem("", 0, NULL, NULL, &o);
	tap_ok(err == ERR_NOTFOUND && strstr(o.why, "empty") != NULL, "empty input: %s", o.why);
	/* a byte order mark, or white space before a declaration-less document */
	path = fixture_path("agg.xml");
	b = slurp(path, &len);
	free(path);
	char *decl_end = b ? strstr(b, "?>") : NULL;
	if (decl_end) {
		char *bom = xasprintf("\xef\xbb\xbf%s", b);
		char *ws = xasprintf("\r\n  \t%s", decl_end + 2);
		err = mail_report_parse_mem(bom, strlen(bom), NULL, NULL, &o);
		tap_ok(err == ERR_OK && o.first_kind == MAIL_REPORT_AGGREGATE,
		       "UTF-8 BOM then XML: an aggregate report (%s)", o.why);
		err = mail_report_parse_mem(ws, strlen(ws), NULL, NULL, &o);
		tap_ok(err == ERR_OK && o.first_kind == MAIL_REPORT_AGGREGATE,
		       "white space then XML: an aggregate report (%s)", o.why);
		free(bom);
		free(ws);
	} else {
		tap_ok(false, "agg.xml fixture with a declaration");
	}
	free(b);
	static const char notjson[] = "  {\"hello\": 1}";
	err = mail_report_parse_mem(notjson, sizeof(notjson) - 1, NULL, NULL, &o);
	tap_ok(err == ERR_PARSE && o.first_kind == MAIL_REPORT_TLSRPT && o.rejected == 1,
	       "JSON that is not a TLS report: rejected as tlsrpt: %s", o.why);
}

/* A sink that refuses a report: end() still comes, with its error. */
static void test_sink_refuses(void)
{
	struct rec r;
	struct mail_report_sink s;
	struct mail_report_outcome o;
	char *path = fixture_path("agg.xml");
	size_t len = 0;
	char *b = slurp(path, &len);
	free(path);
	rec_init(&r, &s);
	r.refuse_begin = ERR_INVAL;
	enum mp_err err = b ? mail_report_parse_mem(b, len, NULL, &s, &o) : ERR_IO;
	tap_is_int(err, ERR_INVAL, "begin() refusing: its error is the result");
	tap_is_str(common_buf_str(&r.log), "B(aggregate,xml,,0)E(invalid argument,0,0)",
		   "no record after a refused begin, end() with the error");
	common_buf_free(&r.log);
	free(b);
}

static void test_limits(void)
{
	struct mail_report_limits lim;
	mail_report_limits_default(&lim);
	tap_ok(lim.max_message == 32u * 1024 * 1024 && lim.archive.max_out > 0 &&
		   lim.agg.max_bytes > 0,
	       "defaults filled");
	tap_is_str(mail_report_kind_name(MAIL_REPORT_FAILURE), "failure", "kind name");
	tap_is_str(mail_report_kind_name((enum mail_report_kind)42), "none", "unknown kind name");
	lim.archive.max_out = 200;
	/* the bomb shows in the first bytes: unreadable, no report */
	check("agg.xml.gz", &lim, ERR_LIMIT, "");
	check("tlsrpt-gzip.eml", &lim, ERR_LIMIT, "");
	mail_report_limits_default(&lim);
	lim.agg.max_bytes = 300;
	check("agg.xml", &lim, ERR_LIMIT, "B(aggregate,xml,,0)E(limit reached,0,0)");
	mail_report_limits_default(&lim);
	lim.max_message = 100;
	check("agg-zip.eml", &lim, ERR_LIMIT, "");
	check("bad-utf8.xml", NULL, ERR_PARSE, "B(aggregate,xml,,0)E(parse error,0,0)");
}

/* parse_fd on a pipe: read whole within the caps, same result. */
static void test_pipe(void)
{
	char *path = fixture_path("agg.xml.gz");
	size_t len = 0;
	char *b = slurp(path, &len);
	free(path);
	int p[2];
	struct rec r;
	struct mail_report_sink s;
	struct mail_report_outcome o;
	if (!b || pipe(p) != 0) {
		tap_ok(false, "pipe set up");
		free(b);
		return;
	}
	tap_ok(write(p[1], b, len) == (ssize_t)len, "fixture written into a pipe");
	close(p[1]);
	rec_init(&r, &s);
	enum mp_err err = mail_report_parse_fd(p[0], NULL, &s, &o);
	close(p[0]);
	tap_is_int(err, ERR_OK, "gzip through a pipe: %s", o.why);
	tap_is_str(common_buf_str(&r.log), "B(aggregate,gzip>xml,agg.xml,0)" AGG_LOG,
		   "pipe: same sink calls");
	common_buf_free(&r.log);
	free(b);
}

static long max_rss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

struct counter {
	unsigned long long records;
};

static enum mp_err count_record(void *arg, const struct mail_agg_meta *m,
				const struct mail_agg_record *r)
{
	(void)m;
	(void)r;
	((struct counter *)arg)->records++;
	return ERR_OK;
}

/* A 24 MB report streamed from a descriptor: memory stays flat. */
static void test_stream_big(void)
{
	static const char head[] =
	    "<?xml version=\"1.0\"?>\n<feedback><report_metadata><org_name>big.example</org_name>"
	    "<report_id>big-1</report_id><date_range><begin>1700000000</begin><end>1700086400</end>"
	    "</date_range></report_metadata><policy_published><domain>sender.example</domain>"
	    "<p>none</p></policy_published>\n";
	static const char rec[] =
	    "<record><row><source_ip>198.51.100.%u</source_ip><count>2</count><policy_evaluated>"
	    "<disposition>none</disposition><dkim>pass</dkim><spf>fail</spf></policy_evaluated>"
	    "</row><identifiers><header_from>sender.example</header_from></identifiers>"
	    "<auth_results><dkim><domain>sender.example</domain><result>pass</result></dkim>"
	    "</auth_results></record>\n";
	char *path = xasprintf("%s/big.xml", tap_tmpdir());
	FILE *f = fopen(path, "wb");
	unsigned long long n = 0;
	size_t bytes = 0;
	if (!f) {
		tap_ok(false, "temp file");
		free(path);
		return;
	}
	bytes += fwrite(head, 1, sizeof(head) - 1, f);
	while (bytes < 24u * 1024 * 1024) {
		int k = fprintf(f, rec, (unsigned)(n % 250) + 1);
		bytes += k > 0 ? (size_t)k : 0;
		n++;
	}
	fputs("</feedback>\n", f);
	fclose(f);
	struct mail_report_limits lim;
	mail_report_limits_default(&lim);
	lim.agg.max_bytes = 100u * 1024 * 1024;
	struct counter c = {0};
	struct mail_report_sink s = {.agg_record = count_record, .arg = &c};
	struct mail_report_outcome o;
	long before = max_rss_kb();
	int fd = open(path, O_RDONLY);
	enum mp_err err = fd >= 0 ? mail_report_parse_fd(fd, &lim, &s, &o) : ERR_IO;
	if (fd >= 0)
		close(fd);
	long grew = max_rss_kb() - before;
	tap_is_int(err, ERR_OK, "24 MB report streamed: %s", o.why);
	tap_is_int((long long)c.records, (long long)n, "every record delivered (%llu)", n);
	tap_ok(grew < 8 * 1024, "peak memory grew by %ld KiB (< 8 MiB) for %zu bytes", grew, bytes);
	free(path);
}

/* Hostile bytes: 64 KiB of NULs, of random bytes, of a header line. */
static void test_hostile(void)
{
	size_t n = 64 * 1024;
	char *b = xcalloc(1, n);
	struct mail_report_outcome o;
	enum mp_err err = mail_report_parse_mem(b, n, NULL, NULL, &o);
	tap_ok(err == ERR_NOTFOUND && o.why[0], "64 KiB of NUL: not a report: %s", o.why);
	unsigned x = 12345;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		b[i] = (char)(x >> 16);
	}
	err = mail_report_parse_mem(b, n, NULL, NULL, &o);
	tap_ok(err != ERR_OK && o.why[0], "64 KiB of noise: rejected with a reason: %s", o.why);
	memcpy(b, "Subject: ", 9);
	memset(b + 9, 'x', n - 9);
	err = mail_report_parse_mem(b, n, NULL, NULL, &o);
	tap_ok(err == ERR_NOTFOUND && o.why[0], "one 64 KiB header line: not a report: %s", o.why);
	memcpy(b, "\x1f\x8b", 2);
	err = mail_report_parse_mem(b, n, NULL, NULL, &o);
	tap_ok(err != ERR_OK && err != ERR_NOTFOUND, "gzip magic then garbage: rejected: %s",
	       o.why);
	free(b);
}

/* Real reports: each aggregate file gives an aggregate (or is one of the
   two invalid ones), every failure e-mail a failure report, TLS-RPT ones. */
static void test_corpus_dir(const char *dir, const char *sub, enum mail_report_kind want)
{
	char *d = xasprintf("%s/%s", dir, sub);
	DIR *dh = opendir(d);
	struct dirent *de;
	while (dh && (de = readdir(dh)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char *p = xasprintf("%s/%s", d, de->d_name);
		struct mail_report_outcome o;
		int fd = open(p, O_RDONLY);
		enum mp_err err = fd >= 0 ? mail_report_parse_fd(fd, NULL, NULL, &o) : ERR_IO;
		if (fd >= 0)
			close(fd);
		bool invalid = strncmp(de->d_name, "invalid_", 8) == 0;
		if (invalid)
			tap_ok(err == ERR_PARSE && o.rejected == 1, "%s/%s rejected: %s", sub,
			       de->d_name, o.why);
		else
			tap_ok(err == ERR_OK && o.first_kind == want && o.accepted >= 1,
			       "%s/%s: %s report (%s)", sub, de->d_name,
			       mail_report_kind_name(want), o.why);
		free(p);
	}
	if (dh)
		closedir(dh);
	free(d);
}

static void test_corpus(void)
{
	char *dir = xasprintf("%s/../shared/corpora/dmarc-reports", tap_srcdir());
	struct stat st;
	if (stat(dir, &st) != 0) {
		tap_skip("no report corpus at %s (../shared is absent)", dir);
		free(dir);
		return;
	}
	test_corpus_dir(dir, "aggregate", MAIL_REPORT_AGGREGATE);
	test_corpus_dir(dir, "failure", MAIL_REPORT_FAILURE);
	test_corpus_dir(dir, "smtp_tls", MAIL_REPORT_TLSRPT);
	free(dir);
}

int main(void)
{
	test_fixtures();
	test_outcomes();
	test_sink_refuses();
	test_limits();
	test_pipe();
	test_hostile();
	test_stream_big();
	test_corpus();
	return tap_done();
}
