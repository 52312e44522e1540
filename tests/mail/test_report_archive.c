/*
 * tests/mail/test_report_archive: mail/report_archive on the committed
 * fixtures in tests/fixtures/reports/archive/ (gzip with and without a
 * name, a gzip member chain, zip with one file, two files, a directory, no
 * file, an encrypted entry, a symlink, lzma, a nested zip, a gzip of a gzip,
 * truncated and corrupt streams), through memory, a regular file and a
 * pipe; limits at their exact boundary; sticky errors; and bombs generated
 * here with libarchive's write API (test code only: the product includes
 * <archive.h> in mail/report_archive.c alone): 1 GiB of zeros gzipped,
 * 200 MiB of zeros zipped, a zip lying about its size, checked for
 * ERR_LIMIT and a flat peak RSS.  And the real .gz/.zip/.xml reports of
 * ../shared/corpora/dmarc-reports/aggregate (skipped when absent).
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/xmalloc.h"
#include "mail/report_archive.h"
#include "tests/lib/tap.h"

static char *fixture_path(const char *name)
{
	return xasprintf("%s/tests/fixtures/reports/archive/%s", tap_srcdir(), name);
}

static char *slurp_path(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b;

	*len = 0;
	if (f == NULL)
		return NULL;
	b = xmalloc(2 << 20);
	*len = fread(b, 1, 2 << 20, f);
	fclose(f);
	return b;
}

static char *slurp(const char *name, size_t *len)
{
	char *path = fixture_path(name);
	char *b = slurp_path(path, len);

	free(path);
	return b;
}

static char *xml;
static size_t xml_len;

/* Extract a fixture from memory with lim; returns the error, fills why. */
static enum mp_err ext(const char *name, const struct mail_archive_limits *lim, char **out,
		       size_t *outlen, enum mail_archive_kind *kind, char *why, size_t whysz)
{
	size_t len;
	char *p = slurp(name, &len);
	enum mp_err err;

	if (p == NULL) {
		snprintf(why, whysz, "fixture missing");
		return ERR_IO;
	}
	err = mail_report_archive_extract(p, len, lim, out, outlen, kind, why, whysz);
	free(p);
	return err;
}

static void expect_xml(const char *name, enum mail_archive_kind want)
{
	char why[128] = "", *out = NULL;
	size_t n = 0;
	enum mail_archive_kind k = MAIL_ARCHIVE_RAW;
	enum mp_err err = ext(name, NULL, &out, &n, &k, why, sizeof(why));

	if (!tap_is_int(err, ERR_OK, "%s extracts (%s)", name, why))
		return;
	tap_ok(n == xml_len && memcmp(out, xml, n) == 0 && out[n] == '\0',
	       "%s: the XML, byte for byte, NUL-terminated (%zu bytes)", name, n);
	tap_is_str(mail_archive_kind_name(k), mail_archive_kind_name(want), "%s: kind", name);
	free(out);
}

static void expect_fail(const char *name, enum mp_err want, const char *why_part)
{
	char why[128] = "", *out = (char *)"untouched";
	size_t n = 7;
	enum mp_err err = ext(name, NULL, &out, &n, NULL, why, sizeof(why));

	tap_is_int(err, want, "%s refused with %s", name, common_err_str(want));
	tap_ok(strstr(why, why_part) != NULL, "%s: why \"%s\" says \"%s\"", name, why, why_part);
	tap_ok(n == 7 && strcmp(out, "untouched") == 0, "%s: out-params untouched", name);
}

static void test_fixtures(void)
{
	expect_xml("report.xml", MAIL_ARCHIVE_RAW);
	expect_xml("report.xml.gz", MAIL_ARCHIVE_GZIP);
	expect_xml("report.zip", MAIL_ARCHIVE_ZIP);
	expect_xml("dir.zip", MAIL_ARCHIVE_ZIP);
	expect_xml("noname.gz", MAIL_ARCHIVE_GZIP);
	expect_fail("two.zip", ERR_PARSE, "more than one file");
	expect_fail("empty.zip", ERR_PARSE, "no file");
	expect_fail("encrypted.zip", ERR_PARSE, "encrypted");
	expect_fail("symlink.zip", ERR_PARSE, "symbolic link");
	expect_fail("lzma.zip", ERR_PARSE, "compression method");
	expect_fail("truncated.gz", ERR_PARSE, "gzip");
	expect_fail("corrupt.zip", ERR_PARSE, "zip");
}

/* A gzip member chain (RFC 1952 2.2) reads as the concatenation. */
static void test_members(void)
{
	char why[128] = "", *out = NULL;
	size_t n = 0;

	if (!tap_is_int(ext("members.gz", NULL, &out, &n, NULL, why, sizeof(why)), ERR_OK,
			"members.gz extracts (%s)", why))
		return;
	tap_ok(n == 2 * xml_len && memcmp(out, xml, xml_len) == 0 &&
		   memcmp(out + xml_len, xml, xml_len) == 0,
	       "members.gz: both members, in order");
	free(out);
}

/* Nesting is the caller's business: one layer comes off, the inner bytes stay. */
static void test_nested(void)
{
	char why[128] = "", *out = NULL, *inner;
	size_t n = 0, inner_len;
	enum mail_archive_kind k;

	inner = slurp("report.zip", &inner_len);
	if (tap_is_int(ext("nested.zip", NULL, &out, &n, &k, why, sizeof(why)), ERR_OK,
		       "nested.zip extracts (%s)", why)) {
		tap_ok(inner && n == inner_len && memcmp(out, inner, n) == 0,
		       "zip of zip: the inner zip bytes, unchanged");
		free(out);
	}
	free(inner);
	/* libarchive would unpack both gzip layers: refused instead. */
	expect_fail("nested.gz", ERR_PARSE, "gzip inside gzip");
}

static void test_names(void)
{
	struct mail_report_archive *a = NULL;
	char why[128];
	size_t len;
	char *p;
	const char *cases[][2] = {{"report.xml.gz", "report.xml"},
				  {"noname.gz", ""},
				  {"report.zip", "report.xml"},
				  {"dir.zip", "d/report.xml"},
				  {"report.xml", ""}};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p = slurp(cases[i][0], &len);
		if (p &&
		    mail_report_archive_open_mem(p, len, NULL, &a, why, sizeof(why)) == ERR_OK) {
			tap_is_str(mail_report_archive_name(a), cases[i][1], "%s: name",
				   cases[i][0]);
			mail_report_archive_close(a);
		} else {
			tap_ok(0, "%s opens", cases[i][0]);
		}
		free(p);
	}
}

/* Read a whole archive through the streaming API, 100 bytes at a time. */
static enum mp_err read_all(struct mail_report_archive *a, char *dst, size_t dstsz, size_t *n,
			    char *why, size_t whysz)
{
	size_t got = 1;
	enum mp_err err = ERR_OK;

	*n = 0;
	while (err == ERR_OK && got > 0 && *n < dstsz) {
		size_t want = dstsz - *n < 100 ? dstsz - *n : 100;

		err = mail_report_archive_read(a, dst + *n, want, &got, why, whysz);
		if (err == ERR_OK)
			*n += got;
	}
	return err;
}

/* Through a descriptor: a regular file (seekable) and a pipe (not). */
static void fd_case(const char *name, bool pipe_it, enum mp_err want)
{
	char *path = fixture_path(name), why[128] = "", buf[4096];
	int fd = open(path, O_RDONLY), pfd[2] = {-1, -1};
	struct mail_report_archive *a = NULL;
	enum mp_err err;
	size_t n = 0;

	free(path);
	if (fd >= 0 && pipe_it && pipe(pfd) == 0) {
		size_t len;
		char *p = slurp(name, &len);

		/* Fixtures are far below the pipe buffer. */
		if (p == NULL || write(pfd[1], p, len) != (ssize_t)len)
			tap_diag("pipe write failed");
		free(p);
		close(pfd[1]);
		close(fd);
		fd = pfd[0];
	}
	err = mail_report_archive_open_fd(fd, NULL, &a, why, sizeof(why));
	if (err == ERR_OK) {
		err = read_all(a, buf, sizeof(buf), &n, why, sizeof(why));
		mail_report_archive_close(a);
	}
	tap_is_int(err, want, "%s via %s: %s (%s)", name, pipe_it ? "pipe" : "file",
		   common_err_str(want), why);
	if (want == ERR_OK)
		tap_ok(n == xml_len && memcmp(buf, xml, n) == 0, "%s via %s: the XML", name,
		       pipe_it ? "pipe" : "file");
	if (fd >= 0)
		close(fd);
}

static void test_fd(void)
{
	const char *good[] = {"report.xml", "report.xml.gz", "report.zip", "dir.zip"};

	for (int pipe_it = 0; pipe_it < 2; pipe_it++) {
		for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
			fd_case(good[i], pipe_it, ERR_OK);
		fd_case("two.zip", pipe_it, ERR_PARSE);
		fd_case("truncated.gz", pipe_it, ERR_PARSE);
		fd_case("encrypted.zip", pipe_it, ERR_PARSE);
	}
	/* The central directory (seekable input only) knows a symlink. */
	fd_case("symlink.zip", false, ERR_PARSE);
}

/* max_out is inclusive: exactly the size passes, one byte less is ERR_LIMIT. */
static void test_cap_boundary(void)
{
	const char *names[] = {"report.xml", "report.xml.gz", "report.zip"};

	for (size_t i = 0; i < 3; i++) {
		struct mail_archive_limits lim = {.max_out = xml_len, .max_ratio = 0};
		char why[128] = "", *out = NULL;
		size_t n = 0;

		tap_is_int(ext(names[i], &lim, &out, &n, NULL, why, sizeof(why)), ERR_OK,
			   "%s: max_out == size passes (%s)", names[i], why);
		free(out);
		out = NULL;
		lim.max_out = xml_len - 1;
		tap_is_int(ext(names[i], &lim, &out, &n, NULL, why, sizeof(why)), ERR_LIMIT,
			   "%s: max_out == size - 1 is ERR_LIMIT", names[i]);
		tap_ok(strstr(why, "exceeds") != NULL, "%s: why \"%s\"", names[i], why);
		lim.max_out = UINT64_MAX;
		out = NULL;
		tap_is_int(ext(names[i], &lim, &out, &n, NULL, why, sizeof(why)), ERR_OK,
			   "%s: max_out UINT64_MAX (no overflow) passes", names[i]);
		tap_ok(out != NULL && n == xml_len, "%s: and gives the XML", names[i]);
		free(out);
	}
}

/* After an error every later read repeats it. */
static void test_sticky(void)
{
	struct mail_report_archive *a = NULL;
	struct mail_archive_limits lim = {.max_out = 10, .max_ratio = 0};
	char why[128] = "", why2[128] = "", buf[64];
	size_t len, got = 99;
	char *p = slurp("report.xml.gz", &len);
	enum mp_err e1 = ERR_OK, e2;

	if (p == NULL ||
	    mail_report_archive_open_mem(p, len, &lim, &a, why, sizeof(why)) != ERR_OK) {
		tap_ok(0, "sticky: open");
		free(p);
		return;
	}
	for (int i = 0; i < 5 && e1 == ERR_OK; i++)
		e1 = mail_report_archive_read(a, buf, sizeof(buf), &got, why, sizeof(why));
	got = 99;
	e2 = mail_report_archive_read(a, buf, sizeof(buf), &got, why2, sizeof(why2));
	tap_is_int(e1, ERR_LIMIT, "sticky: the cap trips");
	tap_ok(e2 == e1 && strcmp(why, why2) == 0 && got == 99,
	       "sticky: the next read repeats it (\"%s\") and leaves *got", why2);
	tap_ok(mail_report_archive_bytes_out(a) <= 11, "sticky: at most one byte past the cap");
	mail_report_archive_close(a);
	free(p);
}

static void test_hostile_raw(void)
{
	char why[128] = "", *out = NULL;
	size_t n = 0, big = 64 * 1024;
	char *p = xmalloc(big);
	enum mail_archive_kind k;

	/* NUL bytes and invalid UTF-8 are just bytes here. */
	for (size_t i = 0; i < big; i++)
		p[i] = (char)(i % 7 == 0 ? 0 : 0x80 + i % 64);
	tap_is_int(mail_report_archive_extract(p, big, NULL, &out, &n, &k, why, sizeof(why)),
		   ERR_OK, "64 KiB of NUL and invalid UTF-8 passes through");
	tap_ok(out && n == big && memcmp(out, p, n) == 0 && k == MAIL_ARCHIVE_RAW,
	       "raw: the same bytes");
	free(out);
	/* Magic bytes, then junk: claims gzip/zip but is not readable. */
	memcpy(p, "\x1f\x8b\x08\x00garbage", 11);
	tap_is_int(mail_report_archive_extract(p, 11, NULL, &out, &n, &k, why, sizeof(why)),
		   ERR_PARSE, "gzip magic + junk: ERR_PARSE (%s)", why);
	memcpy(p, "PK\x03\x04garbage", 11);
	tap_is_int(mail_report_archive_extract(p, 11, NULL, &out, &n, &k, why, sizeof(why)),
		   ERR_PARSE, "zip magic + junk: ERR_PARSE (%s)", why);
	tap_is_int(mail_report_archive_extract(p, 0, NULL, &out, &n, &k, why, sizeof(why)), ERR_OK,
		   "empty input: empty raw output");
	tap_ok(n == 0 && out && out[0] == '\0', "empty input: \"\"");
	free(out);
	free(p);
}

/* ---- bombs, built in memory ---- */

static long peak_rss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/*
 * total bytes of zeros in a fresh buffer: a zip of one entry, or a gzip
 * member chain of 1 MiB members (RFC 1952 2.2; one member compressed once
 * and repeated, since deflating 1 GiB here would cost seconds).
 */
static char *make_bomb(bool zip, uint64_t total, size_t *len)
{
	struct archive *w = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	uint64_t members = zip ? 1 : total >> 20;
	size_t cap = 4u << 20, used = 0;
	char *out = xmalloc(cap);
	char *zeros = xcalloc(1, 1 << 20);
	bool ok = zip ? archive_write_set_format_zip(w) == ARCHIVE_OK
		      : archive_write_set_format_raw(w) == ARCHIVE_OK &&
			    archive_write_add_filter_gzip(w) == ARCHIVE_OK;

	ok = ok && archive_write_open_memory(w, out, cap, &used) == ARCHIVE_OK;
	archive_entry_set_pathname(e, "zeros.xml");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	if (zip)
		archive_entry_set_size(e, (la_int64_t)total);
	ok = ok && archive_write_header(w, e) == ARCHIVE_OK;
	for (uint64_t done = 0; ok && done < (zip ? total : 1u << 20); done += 1u << 20)
		ok = archive_write_data(w, zeros, 1 << 20) == 1 << 20;
	ok = ok && archive_write_close(w) == ARCHIVE_OK;
	archive_entry_free(e);
	archive_write_free(w);
	free(zeros);
	if (ok && !zip && members > 1 && used * members <= cap) {
		for (uint64_t i = 1; i < members; i++)
			memcpy(out + i * used, out, used);
		used *= members;
	} else if (!zip && members > 1) {
		ok = false;
	}
	if (!ok) {
		free(out);
		return NULL;
	}
	*len = used;
	return out;
}

/* Stream p through the archive reader with lim until the end or an error. */
static enum mp_err drain(const char *p, size_t len, const struct mail_archive_limits *lim,
			 uint64_t *out, char *why, size_t whysz)
{
	struct mail_report_archive *a = NULL;
	static char buf[65536];
	size_t n = 1;
	enum mp_err err = mail_report_archive_open_mem(p, len, lim, &a, why, whysz);

	while (err == ERR_OK && n > 0)
		err = mail_report_archive_read(a, buf, sizeof(buf), &n, why, whysz);
	*out = a ? mail_report_archive_bytes_out(a) : 0;
	mail_report_archive_close(a);
	return err;
}

/*
 * One bomb: with default limits (want_why), then with the ratio out of the
 * way and max_out (stops at max_out + 1, or at 0 when the zip declares its
 * size).
 */
static void bomb_case(const char *what, bool zip, uint64_t total, const char *want_why,
		      uint64_t max_out)
{
	size_t len = 0, n = 0;
	char *p = make_bomb(zip, total, &len), *out = NULL, why[128] = "";
	struct mail_archive_limits lim = {.max_out = max_out, .max_ratio = 1u << 20};
	long before;
	uint64_t got = 0;
	enum mp_err err;

	if (!tap_ok(p != NULL, "%s: built (%zu bytes)", what, len))
		return;
	before = peak_rss_kib();
	err = mail_report_archive_extract(p, len, NULL, &out, &n, NULL, why, sizeof(why));
	tap_is_int(err, ERR_LIMIT, "%s, default limits: ERR_LIMIT", what);
	tap_ok(strstr(why, want_why) != NULL, "%s: why \"%s\" says \"%s\"", what, why, want_why);
	tap_ok(peak_rss_kib() - before < 32 * 1024, "%s: peak RSS grew by %ld KiB (< 32 MiB)", what,
	       peak_rss_kib() - before);
	err = drain(p, len, &lim, &got, why, sizeof(why));
	tap_is_int(err, ERR_LIMIT, "%s, ratio off, max_out %" PRIu64 ": ERR_LIMIT (%s)", what,
		   max_out, why);
	if (zip && total > max_out)
		tap_ok(got == 0, "%s: refused on its declared size, nothing inflated", what);
	else
		tap_ok(got == max_out + 1, "%s: inflating stopped one byte past max_out", what);
	free(p);
}

static void put32(char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (char)(v >> (8 * i));
}

/*
 * A zip whose headers claim 1000 bytes but whose deflate stream holds
 * 20 MiB: libarchive inflates past the declared size (it only complains
 * at the end), so only the counting in the read loop can stop it.
 */
static void test_lying_zip(void)
{
	size_t len = 0;
	char *p = make_bomb(true, 20ull << 20, &len), why[128] = "";
	struct mail_archive_limits lim = {.max_out = 8u << 20, .max_ratio = 1u << 20};
	uint64_t got = 0;
	enum mp_err err;

	if (!tap_ok(p != NULL && len > 200, "lying zip: built"))
		return;
	/* APPNOTE 4.3.7: local header uncompressed size at 22; 4.3.12: central at 24. */
	put32(p + 22, 1000);
	for (size_t i = len - 46; i > 0; i--)
		if (memcmp(p + i, "PK\x01\x02", 4) == 0) {
			put32(p + i + 24, 1000);
			break;
		}
	err = drain(p, len, &lim, &got, why, sizeof(why));
	tap_is_int(err, ERR_LIMIT, "lying zip, ratio off: ERR_LIMIT (%s)", why);
	tap_ok(got == lim.max_out + 1, "lying zip: inflating stopped one byte past max_out");
	err = drain(p, len, NULL, &got, why, sizeof(why));
	tap_is_int(err, ERR_LIMIT, "lying zip, default limits: ERR_LIMIT (%s)", why);
	tap_ok(strstr(why, "ratio above 100") != NULL && got < (2u << 20),
	       "lying zip: the ratio stops it within 2 MiB");
	free(p);
}

/* One corpus file: .gz / .zip give XML, anything else passes through. */
static void corpus_file(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name), why[128] = "", *out = NULL;
	size_t len = 0, n = 0, nl = strlen(name);
	char *p = slurp_path(path, &len);
	enum mail_archive_kind k = MAIL_ARCHIVE_RAW, want = MAIL_ARCHIVE_RAW;

	free(path);
	if (nl > 3 && strcmp(name + nl - 3, ".gz") == 0)
		want = MAIL_ARCHIVE_GZIP;
	else if (nl > 4 && strcmp(name + nl - 4, ".zip") == 0)
		want = MAIL_ARCHIVE_ZIP;
	if (p != NULL &&
	    tap_is_int(mail_report_archive_extract(p, len, NULL, &out, &n, &k, why, sizeof(why)),
		       ERR_OK, "corpus %s extracts (%s)", name, why)) {
		if (want == MAIL_ARCHIVE_RAW)
			tap_ok(k == want && n == len && memcmp(out, p, n) == 0,
			       "corpus %s: raw, unchanged", name);
		else
			tap_ok(k == want && n > len &&
				   (memmem(out, n < 64 ? n : 64, "<?xml", 5) ||
				    memmem(out, n < 64 ? n : 64, "<feedback", 9)),
			       "corpus %s: %s holding XML (%zu -> %zu bytes)", name,
			       mail_archive_kind_name(k), len, n);
		free(out);
	}
	free(p);
}

static void test_corpus(void)
{
	char *dir = xasprintf("%s/../shared/corpora/dmarc-reports/aggregate", tap_srcdir());
	DIR *d = opendir(dir);
	struct dirent *de;
	int archives = 0;

	if (d == NULL) {
		tap_skip("../shared/corpora absent: real aggregate archives not checked");
		free(dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		archives += strstr(de->d_name, ".gz") || strstr(de->d_name, ".zip");
		corpus_file(dir, de->d_name);
	}
	closedir(d);
	tap_ok(archives >= 2, "corpus: %d compressed reports seen", archives);
	free(dir);
}

int main(void)
{
	xml = slurp("report.xml", &xml_len);
	if (xml == NULL) {
		tap_ok(0, "fixture report.xml readable");
		return tap_done();
	}
	test_fixtures();
	test_members();
	test_nested();
	test_names();
	test_fd();
	test_cap_boundary();
	test_sticky();
	test_hostile_raw();
	bomb_case("gzip of 1 GiB zeros", false, 1024ull << 20, "ratio above 100", 64u << 20);
	bomb_case("zip of 200 MiB zeros", true, 200ull << 20, "exceeds 67108864 bytes", 64u << 20);
	test_lying_zip();
	test_corpus();
	free(xml);
	return tap_done();
}
