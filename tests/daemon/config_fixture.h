/*
 * tests/daemon/config_fixture: shared by the config tests (test_config,
 * test_config_probe): writing fixture files of a given mode, loading a
 * config from a string or from a real file, its dump, and the documentation
 * checks (reading a file of the source tree, finding a key in it as a whole
 * word).  Each test keeps its own env and error buffer and passes them in.
 *
 * What it does not: know which keys exist or what a test expects.
 */
#ifndef MAILPULSE_TESTS_CONFIG_FIXTURE_H
#define MAILPULSE_TESTS_CONFIG_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "common/err.h"
#include "daemon/config.h"

/* Write text to path and chmod it to mode (a TAP diagnostic when it cannot). */
void config_fixture_write(const char *path, const char *text, mode_t mode);

/* config_fixture_write() of dir/name. */
void config_fixture_write_in(const char *dir, const char *name, const char *text, mode_t mode);

/*
 * Load text as "t.conf" with env: the config (free with daemon_config_free()),
 * or NULL with err (size errsz) saying why.  err is overwritten either way.
 */
struct daemon_config *config_fixture_load(const struct daemon_config_env *env, const char *text,
					  char *err, size_t errsz);

/* The dump of text loaded as config_fixture_load() does (NULL when it does not load); caller frees.
 */
char *config_fixture_dump_of(const struct daemon_config_env *env, const char *text, char *err,
			     size_t errsz);

/*
 * Write text as dir/real.conf of this mode and load it for real
 * (daemon_config_load()): its result, with *out set (NULL on failure).
 */
enum mp_err config_fixture_load_file(const char *dir, const char *text, mode_t mode,
				     struct daemon_config **out, char *err, size_t errsz);

/* The text of file rel under the source tree (tap_srcdir()), or NULL when absent; caller frees. */
char *config_fixture_slurp(const char *rel);

/* Whether key appears in text as a whole word (not inside a longer [a-z_] word). */
bool config_fixture_mentions(const char *text, const char *key);

/*
 * One TAP check per "key = " line of dump from `from` on: the key is named
 * (config_fixture_mentions()) in both ex (the example) and man (the man
 * page).  Returns how many keys it checked.  All borrowed; from may be NULL
 * (no check).
 */
size_t config_fixture_check_keys(const char *from, const char *ex, const char *man);

/*
 * The documentation test of a group of sections: dump from the line that
 * starts with start on must name at least min_keys keys ("the dump shows N
 * <what>"), each documented in examples/mailpulse.conf and
 * man/mailpulse.conf.5, and each of sections[0..n) must appear in both.
 * dump is borrowed (may be NULL: one failed check).
 */
void config_fixture_check_docs(const char *dump, const char *start, size_t min_keys,
			       const char *what, const char *const *sections, size_t n);

/*
 * A fresh environment for a config test: *dir (tap_tmpdir()) as base_dir and
 * *creds, a mode-700 "creds" folder in it, as credentials_dir.  Both
 * strings are the caller's to free; env borrows them.
 */
void config_fixture_env_init(struct daemon_config_env *env, char **dir, char **creds);

#endif
