/*
 * tests/lib/tap: a minimal TAP producer for automake's tap-driver.sh.
 * Each ok()/is() line is one counted result in `N passed, N failed`.
 */
#ifndef MAILPULSE_TESTS_TAP_H
#define MAILPULSE_TESTS_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include "common/err.h"

/* Record one result; returns cond.  name is printf-formatted. */
bool tap_ok(bool cond, const char *fmt, ...) MP_PRINTF(2, 3);
/* String equality (NULL-safe); prints both on failure. */
bool tap_is_str(const char *got, const char *want, const char *fmt, ...) MP_PRINTF(3, 4);
/* Integer equality; prints both on failure. */
bool tap_is_int(long long got, long long want, const char *fmt, ...) MP_PRINTF(3, 4);
/* A skipped result ("ok N # SKIP why"): counted as skipped, never as passed. */
void tap_skip(const char *why, ...) MP_PRINTF(1, 2);
/* Skip the whole program: prints "1..0 # SKIP why" (only before any result). */
void tap_skip_all(const char *why, ...) MP_PRINTF(1, 2) MP_NORETURN;
/* "# ..." diagnostic line. */
void tap_diag(const char *fmt, ...) MP_PRINTF(1, 2);
/* Print the plan and return the exit status (0 when all passed). */
int tap_done(void);
/* A fresh temporary directory for this test (removed at exit); borrowed. */
const char *tap_tmpdir(void);
/* Directory holding the source tree (from $srcdir or "."); borrowed. */
const char *tap_srcdir(void);

#endif
