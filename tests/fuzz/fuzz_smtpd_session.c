/*
 * tests/fuzz/fuzz_smtpd_session: a whole inbound SMTP session
 * (mail/smtpd_session) driven by hostile client bytes.  The input is what
 * the client sends, written into one end of a socketpair and then closed
 * for writing; the session runs on the other end until QUIT, EOF or too
 * many errors, while a thread drains the replies.  Time is bounded: EOF
 * ends every wait at once.  The deliver callback checks the promises made
 * to the owner: the message starts with our Received: field, every LF is
 * preceded by CR, the size stays within max_message plus the trace field,
 * at least one and at most MAIL_SMTPD_MAX_RCPTS recipients, none of them
 * refused by rcpt_ok.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "common/log.h"
#include "mail/smtpd_session.h"

#define MAX_MESSAGE 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool rcpt_ok(void *arg, const char *addr)
{
	(void)arg;
	return addr[0] != 'x';
}

static enum mp_err deliver(void *arg, const struct mail_smtpd_envelope *env, const char *msg,
			   size_t len)
{
	size_t i;

	(void)arg;
	if (len < 10 || memcmp(msg, "Received: ", 10) != 0 || len > MAX_MESSAGE + 2048)
		abort();
	for (i = 0; i < len; i++)
		if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
			abort();
	if (msg[len - 1] != '\n' || env->n_rcpts == 0 || env->n_rcpts > MAIL_SMTPD_MAX_RCPTS ||
	    env->mail_from == NULL)
		abort();
	for (i = 0; i < env->n_rcpts; i++)
		if (env->rcpts[i][0] == 'x' || env->rcpts[i][0] == '\0')
			abort();
	return len % 2 ? ERR_IO : ERR_OK;
}

static void *drain(void *arg)
{
	int fd = *(int *)arg;
	char b[4096];

	while (read(fd, b, sizeof b) > 0)
		;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mail_smtpd_handler h = {.rcpt_ok = rcpt_ok, .deliver = deliver};
	struct mail_smtpd_opts o = {.hostname = "mx.test",
				    .max_message = MAX_MESSAGE,
				    .max_connections = 1,
				    .max_per_ip = 1,
				    .idle_timeout_s = 2,
				    .data_timeout_s = 2,
				    .max_errors = 20,
				    .listen_fd = -1};
	struct mail_smtpd_session_cfg cfg = {&o, "mx.test", &h, NULL, -1};
	int sv[2];
	pthread_t thr;
	size_t off = 0;

	common_log_set_level(LOG_LVL_ERR);
	if (size > 65536 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 0;
	if (pthread_create(&thr, NULL, drain, &sv[1]) != 0)
		abort();
	/* At most 64 KiB: it fits the socketpair's buffer, so it is all written
	   before the session starts on this thread. */
	while (off < size) {
		ssize_t n = send(sv[1], data + off, size - off, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	shutdown(sv[1], SHUT_WR);
	(void)mail_smtpd_session_run(&cfg, sv[0], "192.0.2.1");
	shutdown(sv[0], SHUT_RDWR);
	pthread_join(thr, NULL);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
