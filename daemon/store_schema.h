/*
 * daemon/store_schema: the SQL text of mailpulsed's database, as an ordered
 * list of migrations.  daemon/store applies each one once, in its own
 * transaction, recording it in the schema_migrations table and in PRAGMA
 * user_version (both roll back with the step if it fails).
 *
 * Rules for adding a migration: append, never edit a released step; one
 * step = one version; steps may move data (see step 2); a step must work on
 * every database the previous steps can produce, including one with data.
 * tests/daemon/test_store_migrate.c upgrades a version-1 database with rows
 * in it to the current version.
 *
 * This module holds text only; it does not include sqlite3.h.
 */
#ifndef MAILPULSE_DAEMON_STORE_SCHEMA_H
#define MAILPULSE_DAEMON_STORE_SCHEMA_H

#include <stddef.h>

/* PRAGMA application_id of a mailpulse database: "MPLS". */
#define DAEMON_STORE_SCHEMA_APP_ID 0x4D504C53

struct daemon_store_migration {
	int version;	  /* 1, 2, ... in order; the user_version after the step */
	const char *name; /* short description, stored in schema_migrations */
	const char *sql;  /* one or more statements */
};

/*
 * The migrations in order (version i+1 at index i); *n receives the count,
 * which is the current schema version.  Borrowed, static.
 */
const struct daemon_store_migration *daemon_store_schema_migrations(size_t *n);

/* The current schema version (the number of migrations). */
int daemon_store_schema_version(void);

#endif
