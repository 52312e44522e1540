/*
 * mail/imap: seed boxes (issue 4 "Receiving").  Polls the INBOX and the
 * spam/junk folder of a mailbox at a real provider (Gmail, Outlook ... with
 * app passwords) over IMAPS (RFC 9051 / RFC 3501) through libcurl
 * (common/fetch owns <curl/curl.h>), finds probe messages by token
 * (UID SEARCH HEADER X-Mailpulse-Probe ""), fetches them whole, records the
 * folder they were in, and deletes them (UID STORE +FLAGS \Deleted, then
 * UID EXPUNGE when UIDPLUS is offered, else EXPUNGE).
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
#include "common/err.h"

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
	unsigned port;	     /* 0 = 993 */
	bool implicit_tls;   /* true: imaps:// (993); false: STARTTLS required (143) */
	const char *ca_file; /* PEM bundle instead of the system store, or NULL */
	bool tls_no_verify;  /* explicit opt-out, tests only */
	const char *user;
	const char *password; /* borrowed; never logged or put in an error */
	const struct mail_imap_folder *folders;
	size_t n_folders;
	bool delete_found;   /* delete each probe once fetched (the default in the daemon) */
	size_t max_message;  /* bytes per message fetched (default 1 MiB; larger ones skipped) */
	unsigned timeout_ms; /* whole poll (default 60 s) */
};

struct mail_imap_msg {
	char *folder; /* owned copy of the folder name */
	enum mail_imap_placement placement;
	unsigned long uid;
	char *data; /* the whole message (RFC822), owned */
	size_t len;
};

struct mail_imap_result {
	struct mail_imap_msg *msgs; /* owned */
	size_t n_msgs;
	size_t n_deleted;
	char error[256]; /* plain words when a folder failed ("" when all went well);
			    names host and folder, never the password */
};

/*
 * Poll once.  ERR_OK when every folder was searched (some may have had no
 * probe); ERR_NET / ERR_TIMEOUT / ERR_TLS / ERR_AUTH-like failures as
 * ERR_NET with out->error saying which; messages found before a failure are
 * still returned.  Free with mail_imap_result_free().
 */
enum mp_err mail_imap_poll(const struct mail_imap_opts *o, struct mail_imap_result *out) MP_WUR;
void mail_imap_result_free(struct mail_imap_result *r);

#endif
