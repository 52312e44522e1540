/*
 * mail/report_archive: the one file inside a report attachment (see
 * report_archive.h), through libarchive, the only module including
 * <archive.h> and <archive_entry.h>.
 *
 * The container is chosen by its magic bytes, never by a file name, and
 * libarchive is set up for exactly that container, so a gzip holding a zip
 * (or a tar) yields the inner bytes unchanged, and a zip holding a zip
 * yields the inner zip.  A gzip holding a gzip is refused: libarchive
 * would unpack both layers and no reporter nests them:
 *   1f 8b            gzip (RFC 1952 2.3.1): gzip filter + raw format
 *   PK 03 04         zip local file header: zip format
 *   PK 05 06         zip end of central directory (an empty zip)
 *   PK 07 08         zip spanning marker
 *   anything else    raw: passed through (memory input never touches libarchive)
 * RFC 7489 7.2.1.1 names gzip and zip for aggregate reports; RFC 8460 3
 * gzip for TLS reports.
 *
 * Input reaches libarchive through our own callbacks, 64 KiB blocks at most
 * for a descriptor.  Seekable input (memory, regular files) gets a seek
 * callback, so libarchive's seekable zip reader uses the central directory,
 * the only place that records symlinks; a pipe gets the streaming reader,
 * which sees local headers only (a symlink there reads as a short file).
 *
 * Bombs: bytes out are counted in the read loop; libarchive is never asked
 * for more than one byte past max_out.  The ratio compares bytes out with
 * compressed bytes consumed since the entry's data began
 * (archive_filter_bytes of the client end, i.e. what the decompressor ate,
 * not what was read ahead).
 *
 * libarchive 3.6.2 behaviour this relies on or works around (checked):
 *  - its gzip filter does not verify the trailer CRC-32 or ISIZE, and
 *    ignores bytes after the last member; only deflate errors and truncation
 *    are caught;
 *  - filters stack: with the gzip filter enabled, a gzip of a gzip is
 *    unpacked twice (archive_filter_count tells);
 *  - the raw format names the entry "data" when the gzip header has no
 *    FNAME, so the name is taken only when FLG.FNAME is set;
 *  - zip entries compressed with lzma, xz, bzip2, zstd or PPMd (whose
 *    decoder allocates up to 256 MiB from a header field) are refused:
 *    reporters use deflate or store.
 *
 * What it does not: interpret the bytes, write files (entry names are never
 * paths), or read more than one zip entry.  Error texts are our own plain
 * words, never libarchive's (which can quote names) nor file content.
 */
#include "config.h"

#include "mail/report_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/str.h"
#include "common/xmalloc.h"

#define BLOCK (64u * 1024)
#define DEFAULT_MAX_OUT (64u * 1024 * 1024)
#define DEFAULT_MAX_RATIO 100u
#define RATIO_AFTER (1024u * 1024) /* small files may compress very well: judge past 1 MiB */
#define NAME_MAX_BYTES 255
#define WHY_SZ 128

struct mail_report_archive {
	enum mail_archive_kind kind;
	uint64_t max_out;
	unsigned max_ratio;
	struct archive *ar; /* NULL for raw input */
	/* Input: memory, or a descriptor with bytes already read from it. */
	const unsigned char *mem;
	size_t mem_len;
	int fd;	       /* -1 for memory */
	off_t fd_base; /* where the input starts in a seekable fd */
	bool seekable;
	unsigned char *block;	   /* BLOCK bytes for fd reads; owned */
	size_t head_len, head_off; /* bytes of block read before libarchive (pipe) */
	int64_t pos;		   /* input position (memory, raw) */
	bool io_error;
	/* Progress. */
	int64_t in0; /* client position when the entry's data began */
	uint64_t in_raw, out;
	bool done;
	enum mp_err err; /* sticky */
	char why[WHY_SZ];
	char name[NAME_MAX_BYTES + 1];
};

const char *mail_archive_kind_name(enum mail_archive_kind k)
{
	switch (k) {
	case MAIL_ARCHIVE_GZIP:
		return "gzip";
	case MAIL_ARCHIVE_ZIP:
		return "zip";
	case MAIL_ARCHIVE_RAW:
		break;
	}
	return "raw";
}

static void set_why(char *why, size_t whysz, const char *s)
{
	if (why != NULL && whysz > 0)
		snprintf(why, whysz, "%s", s);
}

/* Record the sticky error; returns it. */
static enum mp_err fail(struct mail_report_archive *a, enum mp_err err, const char *fmt, ...)
    MP_PRINTF(3, 4);
static enum mp_err fail(struct mail_report_archive *a, enum mp_err err, const char *fmt, ...)
{
	va_list ap;

	if (a->err != ERR_OK)
		return a->err;
	va_start(ap, fmt);
	vsnprintf(a->why, sizeof(a->why), fmt, ap);
	va_end(ap);
	a->err = err;
	return err;
}

static enum mail_archive_kind sniff_kind(const unsigned char *p, size_t len)
{
	/* RFC 1952 2.3.1: ID1 ID2 = 31 139. */
	if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return MAIL_ARCHIVE_GZIP;
	/* PKWARE APPNOTE 4.3.7 / 4.3.16 / 8.5.3 signatures. */
	if (len >= 4 && p[0] == 'P' && p[1] == 'K' &&
	    ((p[2] == 3 && p[3] == 4) || (p[2] == 5 && p[3] == 6) || (p[2] == 7 && p[3] == 8)))
		return MAIL_ARCHIVE_ZIP;
	return MAIL_ARCHIVE_RAW;
}

/* Keep a display-only copy: valid UTF-8, control bytes and invalid bytes as '?'. */
static void set_name(struct mail_report_archive *a, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = s ? strlen(s) : 0, i = 0, o = 0;

	while (i < len && o < NAME_MAX_BYTES) {
		size_t n = common_str_utf8_seq(p + i, len - i);

		if (n == 0 || (n == 1 && (p[i] < 0x20 || p[i] == 0x7f))) {
			a->name[o++] = '?';
			i++;
			continue;
		}
		if (o + n > NAME_MAX_BYTES)
			break;
		memcpy(a->name + o, p + i, n);
		o += n;
		i += n;
	}
	a->name[o] = '\0';
}

/* ---- input callbacks ---- */

static la_ssize_t cb_read(struct archive *ar, void *ud, const void **buf)
{
	struct mail_report_archive *a = ud;
	ssize_t n;

	if (a->fd < 0) {
		size_t left = a->mem_len - (size_t)a->pos;

		*buf = a->mem + a->pos;
		a->pos += (int64_t)left;
		return (la_ssize_t)left;
	}
	if (a->head_off < a->head_len) {
		*buf = a->block + a->head_off;
		n = (ssize_t)(a->head_len - a->head_off);
		a->head_off = a->head_len;
		return n;
	}
	do
		n = read(a->fd, a->block, BLOCK);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		a->io_error = true;
		archive_set_error(ar, errno, "read error");
		return -1;
	}
	*buf = a->block;
	return n;
}

static la_int64_t cb_seek(struct archive *ar, void *ud, la_int64_t off, int whence)
{
	struct mail_report_archive *a = ud;
	int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? a->pos : (int64_t)a->mem_len;
	off_t r;

	if (a->fd < 0) {
		if (off < -base || off > (int64_t)a->mem_len - base)
			return ARCHIVE_FATAL;
		a->pos = base + off;
		return a->pos;
	}
	r = lseek(a->fd, whence == SEEK_SET ? a->fd_base + off : off, whence);
	if (r < 0 || r < a->fd_base) {
		archive_set_error(ar, errno, "seek error");
		return ARCHIVE_FATAL;
	}
	return r - a->fd_base;
}

/* ---- opening ---- */

static struct mail_report_archive *handle_new(const struct mail_archive_limits *lim)
{
	struct mail_report_archive *a = xcalloc(1, sizeof(*a));

	a->fd = -1;
	a->max_out = lim && lim->max_out ? lim->max_out : DEFAULT_MAX_OUT;
	a->max_ratio = lim && lim->max_ratio ? lim->max_ratio : DEFAULT_MAX_RATIO;
	return a;
}

static bool zip_method_ok(struct archive *ar)
{
	const char *f = archive_format_name(ar);

	/* libarchive names the entry's method in the format name. */
	return f != NULL &&
	       (strstr(f, "(deflation)") != NULL || strstr(f, "(uncompressed)") != NULL);
}

/* Check one zip entry header; ERR_OK when it is the file to read. */
static enum mp_err zip_check_entry(struct mail_report_archive *a, struct archive_entry *e)
{
	mode_t t = archive_entry_filetype(e);

	if (t == AE_IFLNK)
		return fail(a, ERR_PARSE, "zip entry is a symbolic link");
	if (t != AE_IFREG)
		return fail(a, ERR_PARSE, "zip entry is not a regular file");
	if (archive_entry_is_encrypted(e))
		return fail(a, ERR_PARSE, "zip entry is encrypted");
	if (!zip_method_ok(a->ar))
		return fail(a, ERR_PARSE, "zip compression method not supported");
	return ERR_OK;
}

/*
 * Advance to the next zip entry that is not a directory.  ERR_OK with *e
 * set, ERR_NOTFOUND at the end, or the sticky error.
 */
static enum mp_err zip_next_file(struct mail_report_archive *a, struct archive_entry **e)
{
	for (int i = 0;; i++) {
		int r = archive_read_next_header(a->ar, e);

		if (r == ARCHIVE_EOF)
			return ERR_NOTFOUND;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return fail(a, a->io_error ? ERR_IO : ERR_PARSE,
				    a->io_error ? "read error" : "corrupt zip archive");
		if (archive_entry_filetype(*e) != AE_IFDIR)
			return ERR_OK;
		if (i >= 10000)
			return fail(a, ERR_LIMIT, "zip holds more than 10000 directories");
	}
}

static enum mp_err open_zip(struct mail_report_archive *a)
{
	struct archive_entry *e;
	const char *name;
	enum mp_err err = zip_next_file(a, &e);

	if (err == ERR_NOTFOUND)
		return fail(a, ERR_PARSE, "zip holds no file");
	if (err != ERR_OK)
		return err;
	err = zip_check_entry(a, e);
	if (err != ERR_OK)
		return err;
	name = archive_entry_pathname_utf8(e);
	set_name(a, name ? name : archive_entry_pathname(e));
	/* A declared size over the cap fails the first read (the cap is ours). */
	if (archive_entry_size_is_set(e) && archive_entry_size(e) >= 0 &&
	    (uint64_t)archive_entry_size(e) > a->max_out)
		(void)fail(a, ERR_LIMIT, "decompressed size exceeds %" PRIu64 " bytes", a->max_out);
	return ERR_OK;
}

static enum mp_err open_gzip(struct mail_report_archive *a, bool has_fname)
{
	struct archive_entry *e;
	int r = archive_read_next_header(a->ar, &e);

	if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
		return fail(a, ERR_PARSE, "not a readable gzip stream");
	/* RFC 1952 2.3.1: FLG.FNAME; without it libarchive says "data". */
	set_name(a, has_fname ? archive_entry_pathname(e) : "");
	return ERR_OK;
}

/* Set up libarchive for a->kind over the callbacks and read the first header. */
static enum mp_err open_archive(struct mail_report_archive *a, bool has_fname)
{
	int r;

	a->ar = archive_read_new();
	if (a->ar == NULL)
		fatal("libarchive: out of memory");
	if (a->kind == MAIL_ARCHIVE_GZIP) {
		r = archive_read_support_filter_gzip(a->ar);
		if (r == ARCHIVE_OK)
			r = archive_read_support_format_raw(a->ar);
	} else {
		r = archive_read_support_format_zip(a->ar);
	}
	if (r != ARCHIVE_OK)
		fatal("libarchive: cannot enable %s", mail_archive_kind_name(a->kind));
	archive_read_set_callback_data(a->ar, a);
	archive_read_set_read_callback(a->ar, cb_read);
	if (a->seekable)
		archive_read_set_seek_callback(a->ar, cb_seek);
	r = archive_read_open1(a->ar);
	if (r != ARCHIVE_OK)
		return fail(a, a->io_error ? ERR_IO : ERR_PARSE, "not a readable %s %s",
			    mail_archive_kind_name(a->kind),
			    a->kind == MAIL_ARCHIVE_GZIP ? "stream" : "archive");
	/*
	 * Only the gzip filter may sit under the raw format: else it is not
	 * gzip.  libarchive stacks filters as long as one bids on the output,
	 * so a gzip of a gzip would come out unpacked twice: refused instead
	 * (the count includes the client end).
	 */
	if (a->kind == MAIL_ARCHIVE_GZIP && archive_filter_code(a->ar, 0) != ARCHIVE_FILTER_GZIP)
		return fail(a, ERR_PARSE, "not a readable gzip stream");
	if (a->kind == MAIL_ARCHIVE_GZIP && archive_filter_count(a->ar) > 2)
		return fail(a, ERR_PARSE, "gzip inside gzip");
	if ((a->kind == MAIL_ARCHIVE_GZIP ? open_gzip(a, has_fname) : open_zip(a)) != ERR_OK)
		return a->err;
	a->in0 = archive_filter_bytes(a->ar, -1);
	return ERR_OK;
}

static enum mp_err finish_open(struct mail_report_archive *a, const unsigned char *head,
			       size_t head_len, struct mail_report_archive **out, char *why,
			       size_t whysz)
{
	enum mp_err err = ERR_OK;

	a->kind = sniff_kind(head, head_len);
	if (a->kind != MAIL_ARCHIVE_RAW) {
		bool has_fname = head_len >= 4 && (head[3] & 0x08) != 0;

		if (a->fd >= 0)
			a->block = a->block ? a->block : xmalloc(BLOCK);
		err = open_archive(a, a->kind == MAIL_ARCHIVE_GZIP && has_fname);
	}
	if (err != ERR_OK) {
		set_why(why, whysz, a->why);
		mail_report_archive_close(a);
		return err;
	}
	*out = a;
	return ERR_OK;
}

enum mp_err mail_report_archive_open_mem(const void *p, size_t len,
					 const struct mail_archive_limits *lim,
					 struct mail_report_archive **out, char *why, size_t whysz)
{
	struct mail_report_archive *a = handle_new(lim);

	a->mem = p ? p : (const void *)"";
	a->mem_len = p ? len : 0;
	a->seekable = true;
	return finish_open(a, a->mem, a->mem_len, out, why, whysz);
}

/* Read until 4 bytes or the end: enough for the magic. */
static ssize_t read_head(int fd, unsigned char *buf, size_t want)
{
	size_t got = 0;

	while (got < want) {
		ssize_t n = read(fd, buf + got, BLOCK - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

enum mp_err mail_report_archive_open_fd(int fd, const struct mail_archive_limits *lim,
					struct mail_report_archive **out, char *why, size_t whysz)
{
	struct mail_report_archive *a = handle_new(lim);
	unsigned char head[4];
	ssize_t n;

	a->fd = fd;
	a->block = xmalloc(BLOCK);
	a->fd_base = lseek(fd, 0, SEEK_CUR);
	a->seekable = a->fd_base >= 0;
	n = read_head(fd, a->block, sizeof(head));
	if (n < 0) {
		set_why(why, whysz, "read error");
		mail_report_archive_close(a);
		return ERR_IO;
	}
	memcpy(head, a->block, (size_t)n < sizeof(head) ? (size_t)n : sizeof(head));
	/* Reread from the start when we can; else serve the head bytes first. */
	if (!a->seekable || lseek(fd, a->fd_base, SEEK_SET) != a->fd_base) {
		a->seekable = false;
		a->head_len = (size_t)n;
	}
	return finish_open(a, head, (size_t)n < sizeof(head) ? (size_t)n : sizeof(head), out, why,
			   whysz);
}

/* ---- reading ---- */

static enum mp_err raw_read(struct mail_report_archive *a, char *buf, size_t len, size_t *got)
{
	ssize_t n;

	if (a->fd < 0) {
		size_t left = a->mem_len - (size_t)a->pos;

		n = (ssize_t)(len < left ? len : left);
		memcpy(buf, a->mem + a->pos, (size_t)n);
	} else if (a->head_off < a->head_len) {
		size_t left = a->head_len - a->head_off;

		n = (ssize_t)(len < left ? len : left);
		memcpy(buf, a->block + a->head_off, (size_t)n);
		a->head_off += (size_t)n;
	} else {
		do
			n = read(a->fd, buf, len);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return fail(a, ERR_IO, "read error");
	}
	a->pos += n;
	a->in_raw += (uint64_t)n;
	*got = (size_t)n;
	return ERR_OK;
}

/* At the end of the zip entry: anything but directories after it is refused. */
static enum mp_err zip_at_end(struct mail_report_archive *a)
{
	struct archive_entry *e;
	enum mp_err err = zip_next_file(a, &e);

	if (err == ERR_NOTFOUND)
		return ERR_OK;
	if (err != ERR_OK)
		return err;
	return fail(a, ERR_PARSE, "zip holds more than one file");
}

static enum mp_err ar_read(struct mail_report_archive *a, char *buf, size_t len, size_t *got)
{
	la_ssize_t n = archive_read_data(a->ar, buf, len);

	if (n < 0)
		return fail(a, a->io_error ? ERR_IO : ERR_PARSE, "%s",
			    a->io_error			   ? "read error"
			    : a->kind == MAIL_ARCHIVE_GZIP ? "gzip stream truncated or corrupt"
							   : "zip data truncated or corrupt");
	if (n == 0 && a->kind == MAIL_ARCHIVE_ZIP && zip_at_end(a) != ERR_OK)
		return a->err;
	*got = (size_t)n;
	return ERR_OK;
}

/* The bomb checks, after out grew. */
static enum mp_err check_limits(struct mail_report_archive *a)
{
	uint64_t in = mail_report_archive_bytes_in(a);

	if (a->out > a->max_out)
		return fail(a, ERR_LIMIT, "decompressed size exceeds %" PRIu64 " bytes",
			    a->max_out);
	if (a->out > RATIO_AFTER && in < UINT64_MAX / a->max_ratio && a->out > in * a->max_ratio)
		return fail(a, ERR_LIMIT, "compression ratio above %u", a->max_ratio);
	return ERR_OK;
}

enum mp_err mail_report_archive_read(struct mail_report_archive *a, char *buf, size_t len,
				     size_t *got, char *why, size_t whysz)
{
	enum mp_err err = a->err;
	size_t n = 0;
	uint64_t room = a->max_out - (a->out < a->max_out ? a->out : a->max_out);

	if (err == ERR_OK && !a->done && len > 0) {
		/* Never ask for more than one byte past the cap. */
		if (room < len)
			len = (size_t)room + 1;
		err = a->kind == MAIL_ARCHIVE_RAW ? raw_read(a, buf, len, &n)
						  : ar_read(a, buf, len, &n);
		if (err == ERR_OK) {
			a->out += n;
			a->done = n == 0;
			err = check_limits(a);
		}
	}
	if (err != ERR_OK) {
		set_why(why, whysz, a->why);
		return err;
	}
	*got = n;
	return ERR_OK;
}

enum mail_archive_kind mail_report_archive_kind(const struct mail_report_archive *a)
{
	return a->kind;
}

const char *mail_report_archive_name(const struct mail_report_archive *a)
{
	return a->name;
}

uint64_t mail_report_archive_bytes_in(const struct mail_report_archive *a)
{
	int64_t in;

	if (a->ar == NULL)
		return a->in_raw;
	in = archive_filter_bytes(a->ar, -1) - a->in0;
	return in > 0 ? (uint64_t)in : 0;
}

uint64_t mail_report_archive_bytes_out(const struct mail_report_archive *a)
{
	return a->out;
}

void mail_report_archive_close(struct mail_report_archive *a)
{
	if (a == NULL)
		return;
	if (a->ar != NULL)
		archive_read_free(a->ar);
	free(a->block);
	free(a);
}

enum mp_err mail_report_archive_extract(const void *p, size_t len,
					const struct mail_archive_limits *lim, char **out,
					size_t *outlen, enum mail_archive_kind *kind, char *why,
					size_t whysz)
{
	struct mail_report_archive *a = NULL;
	char *buf = NULL;
	size_t n = 0, cap = 0, got = 1;
	enum mp_err err = mail_report_archive_open_mem(p, len, lim, &a, why, whysz);

	while (err == ERR_OK && got > 0) {
		/* Grow by doubling, never past max_out + 1 (one byte to see the cap). */
		if (cap - n < BLOCK && cap <= a->max_out) {
			cap = cap ? cap * 2 : (len < BLOCK ? BLOCK : len) + BLOCK;
			if (a->max_out < SIZE_MAX - 1 && cap > a->max_out + 1)
				cap = (size_t)a->max_out + 1;
			buf = xreallocarray(buf, cap + 1, 1);
		}
		err = mail_report_archive_read(a, buf + n, cap - n, &got, why, whysz);
		n += err == ERR_OK ? got : 0;
	}
	if (err == ERR_OK) {
		buf[n] = '\0';
		*out = buf;
		*outlen = n;
		if (kind != NULL)
			*kind = a->kind;
		buf = NULL;
	}
	free(buf);
	mail_report_archive_close(a);
	return err;
}
