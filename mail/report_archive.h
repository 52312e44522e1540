/*
 * mail/report_archive: the bytes inside a report attachment or file, through
 * libarchive (the only module including <archive.h>; libarchive's gzip
 * filter uses zlib).  Reporters send `.xml.gz`, `.zip` holding one XML, a
 * raw file, or (TLS-RPT, RFC 8460 3) `.json.gz`; this module streams the one
 * file out of any of them.
 *
 * CONTRACT (issue 5, written by the lead before implementation; the
 * implementer may add members and functions, but must not change these
 * signatures without telling the lead: mail/report codes against them).
 *
 * Hostile input (libraries.md 8): zip and gzip bombs are stopped while
 * decompressing, by counting bytes in the read loop: more than max_out bytes
 * out, or (past the first MiB) more than max_ratio times the bytes in, is
 * ERR_LIMIT.  A zip must hold exactly one regular file (directories are
 * skipped; a second file, a symlink or an encrypted entry is refused); names
 * are never used as paths.  A gzip stream is read as one member chain.
 * Anything else (raw bytes) passes through unchanged, still capped.
 *
 * Implementation notes (added by the implementer, see report_archive.c):
 * the container is chosen by magic bytes only (1f 8b gzip; PK 03 04,
 * PK 05 06, PK 07 08 zip).  One layer comes off: a zip inside a zip or a
 * zip inside a gzip comes back as zip bytes; a gzip inside a gzip is
 * refused (ERR_PARSE "gzip inside gzip": libarchive would unpack both).  A
 * zip whose header declares more than max_out bytes fails its first read
 * with ERR_LIMIT before anything is inflated; a zip lying about its size is
 * still stopped by the counting.  Zip entries must be deflated or stored
 * (lzma, bzip2, xz, zstd, PPMd: ERR_PARSE).  libarchive's gzip reader does
 * not check the CRC-32 trailer and ignores trailing bytes.  Symlinks are
 * recognised only in seekable input (memory, regular files: the central
 * directory is read); from a pipe a symlink entry reads as its target
 * name.  Read failures of the descriptor are ERR_IO "read error".
 *
 * What it does not: look at what the bytes mean (mail/report sniffs them),
 * write files, or extract more than one entry.
 */
#ifndef MAILPULSE_MAIL_REPORT_ARCHIVE_H
#define MAILPULSE_MAIL_REPORT_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"

enum mail_archive_kind {
	MAIL_ARCHIVE_RAW = 0, /* not compressed */
	MAIL_ARCHIVE_GZIP,
	MAIL_ARCHIVE_ZIP,
};

struct mail_archive_limits {
	uint64_t max_out;   /* decompressed bytes (0 = 64 MiB) */
	unsigned max_ratio; /* out / in, checked once out > 1 MiB (0 = 100) */
};

struct mail_report_archive;

/*
 * Open over len bytes at p (borrowed until _close).  ERR_PARSE when it
 * claims to be gzip/zip (magic bytes) but is not readable, with why.
 */
enum mp_err mail_report_archive_open_mem(const void *p, size_t len,
					 const struct mail_archive_limits *lim,
					 struct mail_report_archive **out, char *why,
					 size_t whysz) MP_WUR;
/*
 * Open over a file descriptor (read, never closed here): streaming, for big
 * files.  The input starts at the descriptor's current offset; a seekable
 * one is repositioned (lseek) while reading, a pipe is read once in 64 KiB
 * blocks.  ERR_IO when reading fails.
 */
enum mp_err mail_report_archive_open_fd(int fd, const struct mail_archive_limits *lim,
					struct mail_report_archive **out, char *why,
					size_t whysz) MP_WUR;
/*
 * Read up to len decompressed bytes into buf; *got 0 at the end.  ERR_LIMIT
 * (bomb), ERR_PARSE (corrupt stream, second zip entry...) with why; after
 * an error every later read repeats it.
 */
enum mp_err mail_report_archive_read(struct mail_report_archive *a, char *buf, size_t len,
				     size_t *got, char *why, size_t whysz) MP_WUR;
/* What the container was (known after open). */
enum mail_archive_kind mail_report_archive_kind(const struct mail_report_archive *a);
/* The zip entry's or gzip header's file name ("" when none); borrowed. */
const char *mail_report_archive_name(const struct mail_report_archive *a);
/* Bytes in and out so far. */
uint64_t mail_report_archive_bytes_in(const struct mail_report_archive *a);
uint64_t mail_report_archive_bytes_out(const struct mail_report_archive *a);
void mail_report_archive_close(struct mail_report_archive *a);

/*
 * Whole-buffer convenience: the decompressed bytes of [p, p+len) in *out
 * (xmalloc'd, NUL-terminated, *outlen without the NUL), within lim.
 */
enum mp_err mail_report_archive_extract(const void *p, size_t len,
					const struct mail_archive_limits *lim, char **out,
					size_t *outlen, enum mail_archive_kind *kind, char *why,
					size_t whysz) MP_WUR;

/* "raw" "gzip" "zip". */
const char *mail_archive_kind_name(enum mail_archive_kind k);

#endif
