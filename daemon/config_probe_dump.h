/*
 * daemon/config_probe_dump: the dump (`mailpulsed --check-config -v`) and the
 * freeing of the probe configuration of mailpulse.conf(5) (issue 4):
 * [listener], [probe], [relay NAME], [seed NAME] and the probe_* keys of
 * [domain NAME], whose structs live in daemon/config.h and are read by
 * daemon/config_probe.  Secrets are shown as <secret> with their origin
 * only, and wiped before they are freed.
 *
 * What it does not: parse or check anything (daemon/config_probe does).
 */
#ifndef MAILPULSE_DAEMON_CONFIG_PROBE_DUMP_H
#define MAILPULSE_DAEMON_CONFIG_PROBE_DUMP_H

#include <stdio.h>
#include "daemon/config.h"

/* Dump the probe keys of domain d (nothing when it has none). */
void daemon_config_probe_dump_domain(FILE *f, const struct daemon_config_domain *d);
/* Dump [listener], [probe], [relay]s and [seed]s (secrets as <secret>). */
void daemon_config_probe_dump(FILE *f, const struct daemon_config *cfg);

/* Free the probe keys of d (called by daemon_config_free()). */
void daemon_config_probe_free_domain(struct daemon_config_domain *d);
/* Free [listener], [probe], relays and seeds of cfg; secrets are wiped first. */
void daemon_config_probe_free(struct daemon_config *cfg);

#endif
