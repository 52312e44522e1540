/*
 * daemon/cmd: the subcommands of `mailpulse`, each `int f(argc, argv)` with
 * argv[0] the subcommand name, returning the process exit status.
 */
#ifndef MAILPULSE_DAEMON_CMD_H
#define MAILPULSE_DAEMON_CMD_H

/* Bad usage or a set-up failure: Nagios UNKNOWN, so monitors do not read it as OK. */
#define DAEMON_EXIT_USAGE 3

/* `mailpulse check`: see daemon/cmd_check.c and mailpulse(1). */
int daemon_cmd_check(int argc, char **argv);
/* `mailpulse spf`: see daemon/cmd_spf.c and mailpulse(1). */
int daemon_cmd_spf(int argc, char **argv);
/* `mailpulse alert-test NAME -c FILE`: see daemon/cmd_alert_test.c. */
int daemon_cmd_alert_test(int argc, char **argv);
/* `mailpulse dkim-keygen --domain D --selector S`: see daemon/cmd_dkim_keygen.c. */
int daemon_cmd_dkim_keygen(int argc, char **argv);
/* `mailpulse verify [FILE|-] --client-ip ADDR --helo NAME`: see daemon/cmd_verify.c. */
int daemon_cmd_verify(int argc, char **argv);

/* `mailpulse bounce FILE...`: see daemon/cmd_bounce.c. */
int daemon_cmd_bounce(int argc, char **argv);

/* `mailpulse report FILE...`: DMARC / TLS-RPT / failure reports; see daemon/cmd_report.c. */
int daemon_cmd_report(int argc, char **argv);

#endif
