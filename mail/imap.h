/*
 * mail/imap: seed boxes (issue 4 "Receiving").  Polls the INBOX and the
 * spam/junk folder of a mailbox at a real provider (Gmail, Outlook ... with
 * app passwords) over IMAPS (RFC 9051 / RFC 3501) through libcurl
 * (common/fetch owns <curl/curl.h>), finds probe messages by token
 * (UID SEARCH HEADER X-Mailpulse-Probe ""), or every message of a report
 * mailbox (all_messages, issue 5: UID SEARCH ALL), fetches them whole, records the
 * folder they were in, and deletes them (UID STORE +FLAGS \Deleted, then
 * UID EXPUNGE when UIDPLUS is offered, else EXPUNGE), either inside the
 * poll (delete_found) or afterwards by UID (mail_imap_delete), once the
 * caller has stored what it found (issue 4: an accepted message is never
 * lost).
 *
 * CONTRACT (issue 4, written by the lead before implementation; the
 * implementer may add members and functions, but must not change these
 * signatures without telling the lead: the daemon codes against them).
 *
 * Blocking: the daemon runs a poll on a worker thread.
 *
 * What it does not: verify messages (mail/verify) or parse MIME; resolve
 * names (the caller passes the address it resolved with c-ares, pinned like
 * every other libcurl use, libraries.md key finding 6).
 */
#ifndef MAILPULSE_MAIL_IMAP_H
#define MAILPULSE_MAIL_IMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"
#include "mail/probe.h"

#define MAIL_IMAP_MAX_FOLDERS 8
#define MAIL_IMAP_MAX_MESSAGES 200 /* per poll and folder */

enum mail_imap_placement { MAIL_IMAP_INBOX, MAIL_IMAP_SPAM };

struct mail_imap_folder {
	const char *name; /* "INBOX", "Junk", "[Gmail]/Spam" */
	enum mail_imap_placement placement;
};

struct mail_imap_opts {
	const char *host;    /* server name: certificate check and SNI */
	const char *addr;    /* IP literal to connect to (pinned); NULL: host is one */
	unsigned port;	     /* 0 = 993 (implicit TLS) or 143 (STARTTLS) */
	bool implicit_tls;   /* true: imaps:// (993); false: STARTTLS required (143) */
	const char *ca_file; /* PEM bundle instead of the system store, or NULL */
	bool tls_no_verify;  /* explicit opt-out, tests only */
	const char *user;
	const char *password; /* borrowed; never logged or put in an error */
	const struct mail_imap_folder *folders;
	size_t n_folders;
	bool delete_found;   /* delete each probe once fetched; the daemon polls without and
				deletes with mail_imap_delete() once the messages are stored */
	size_t max_message;  /* bytes per message fetched (default 1 MiB; larger ones skipped) */
	unsigned timeout_ms; /* whole poll (default 60 s) */
	/* Added for issue 5 (report mailboxes): fetch every message of each
	   folder (UID SEARCH ALL) instead of the probes only; no token is
	   looked for (msgs[i].token is ""), the max_message cap still skips
	   (MAIL_IMAP_SKIP_TOO_BIG).  false: the probe search of issue 4. */
	bool all_messages;
	/* Added for issue 5: a stop switch (NULL: none) another thread may set
	   (read with __atomic_load_n); once true, the session ends before its
	   next command with ERR_NET, cause ERR_NET, error "cancelled".  A
	   command already sent still runs to its end or the timeout. */
	const bool *cancel;
};

struct mail_imap_msg {
	char *folder; /* owned copy of the folder name */
	enum mail_imap_placement placement;
	unsigned long uid;
	char *data; /* the whole message (RFC822), owned */
	size_t len;
	char token[MAIL_PROBE_TOKEN_LEN + 1]; /* its probe token (mail_probe_token_find);
						 "" with all_messages */
};

/* Why a message that matched the search was left alone (and not deleted). */
enum mail_imap_skip_why {
	MAIL_IMAP_SKIP_TOO_BIG,	 /* larger than max_message (size: the server's RFC822.SIZE,
				    or 0 when the server did not say) */
	MAIL_IMAP_SKIP_NO_TOKEN, /* has the header but no well-formed token: not ours */
};

struct mail_imap_skip {
	char *folder; /* owned */
	enum mail_imap_placement placement;
	unsigned long uid;
	uint64_t size;
	enum mail_imap_skip_why why;
};

struct mail_imap_result {
	struct mail_imap_msg *msgs; /* owned */
	size_t n_msgs;
	size_t n_deleted;
	char error[256]; /* plain words when a folder failed ("" when all went well);
			    names host and folder, never the password */
	/* Added to the first contract: */
	struct mail_imap_skip *skipped; /* owned; messages found but not fetched or kept */
	size_t n_skipped;
	size_t n_more; /* probes beyond MAIL_IMAP_MAX_MESSAGES per folder, left for the next poll */
	enum mp_err cause; /* the precise class behind an ERR_NET: ERR_NET, ERR_TLS,
			      ERR_TIMEOUT, ERR_NOTFOUND (a folder does not exist),
			      ERR_LIMIT, ERR_PARSE (a reply we could not read); ERR_OK */
	bool login_failed; /* the server refused the user name or password */
};

/*
 * Poll once.  ERR_OK when every folder was searched (some may have had no
 * probe); ERR_NET / ERR_TIMEOUT / ERR_TLS / ERR_AUTH-like failures as
 * ERR_NET with out->error saying which; messages found before a failure are
 * still returned.  Free with mail_imap_result_free().
 *
 * Details: *out is always (re)initialised, even on failure, so it must not
 * hold an earlier result.  ERR_INVAL (and out->error) for bad options (no
 * host, user, password or folder, more than MAIL_IMAP_MAX_FOLDERS, a folder
 * name with CR/LF).  A folder that cannot be selected is reported and the
 * next one still searched; a connection, TLS, login or timeout failure
 * ends the poll.  Only messages that carry a well-formed token are kept and
 * deleted; the rest go to out->skipped (with all_messages every message
 * that fits max_message is kept, and deleted when delete_found says so).  Without UIDPLUS (RFC
 * 4315) or IMAP4rev2 the deletion is a plain EXPUNGE, which also removes anything else already
 * flagged \Deleted in that folder.
 */
enum mp_err mail_imap_poll(const struct mail_imap_opts *o, struct mail_imap_result *out) MP_WUR;
/*
 * Delete the messages uids[0..n) (1 <= n <= MAIL_IMAP_MAX_MESSAGES) of
 * folder in one session of o's server (o->folders, delete_found and
 * max_message are not used; timeout_ms bounds the session): UID STORE
 * +FLAGS.SILENT (\Deleted), then UID EXPUNGE of those UIDs with UIDPLUS
 * (RFC 4315 2.1) or IMAP4rev2, else a plain EXPUNGE (which also removes
 * anything else already flagged \Deleted there).  UIDs already gone are
 * not an error (RFC 9051 6.4.9).  ERR_OK and *n_deleted = n when both
 * commands succeeded; ERR_INVAL for bad options, folder or UIDs; ERR_NET
 * for any failure of the session.  err (errsz bytes, "" on success) says
 * why in plain words, never the password.
 */
enum mp_err mail_imap_delete(const struct mail_imap_opts *o, const char *folder,
			     const unsigned long *uids, size_t n, size_t *n_deleted, char *err,
			     size_t errsz) MP_WUR;
/* Free what r owns and zero it; NULL and a zeroed result are no-ops. */
void mail_imap_result_free(struct mail_imap_result *r);

/*
 * The response parsers, pure functions over the untagged responses libcurl
 * hands back (each line "* ...", CRLF or LF ended, the last maybe not); any
 * bytes, NULs included, are safe.
 */

/*
 * UIDs of "* SEARCH" lines (RFC 9051 7.3.4; a trailing "(MODSEQ n)" of RFC
 * 7162 3.1.5 is accepted): up to max distinct UIDs, ascending, in uids; *n
 * how many were stored, *total how many distinct UIDs there were (at most
 * the count of numbers seen).  Other untagged lines are ignored.  ERR_PARSE
 * when a SEARCH line holds anything but UIDs 1..4294967295; outputs are set
 * only on success.
 */
enum mp_err mail_imap_parse_search(const char *resp, size_t len, unsigned long *uids, size_t max,
				   size_t *n, size_t *total) MP_WUR;

#define MAIL_IMAP_CAP_UIDPLUS 0x1u   /* RFC 4315: UID EXPUNGE */
#define MAIL_IMAP_CAP_IMAP4REV2 0x2u /* RFC 9051: UID EXPUNGE built in */

/* Capabilities we care about from "* CAPABILITY" lines (RFC 9051 7.2.2);
   ERR_PARSE when there is no such line.  *caps set only on success. */
enum mp_err mail_imap_parse_caps(const char *resp, size_t len, unsigned *caps) MP_WUR;

/*
 * Sizes from "* N FETCH (... UID u ... RFC822.SIZE s ...)" lines (RFC 9051
 * 7.5.2): for each uids[i] (n of them) sizes[i] gets its RFC822.SIZE, or
 * UINT64_MAX when no well-formed line gave one.  Lines that do not parse,
 * and UIDs not asked for, are ignored: the size cap of the fetch itself
 * still holds.  Returns how many sizes were found.
 */
size_t mail_imap_parse_sizes(const char *resp, size_t len, const unsigned long *uids, size_t n,
			     uint64_t *sizes);

#endif
