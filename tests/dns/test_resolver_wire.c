/*
 * tests/dns/test_resolver_wire: dns/resolver against a scripted DNS server
 * for the replies NSD will not send: records stuffed for other owners, an
 * alias whose target only a second question finds, bad RDATA, garbage,
 * too many records, a 64 KB TXT, RFC 6604 chains, TTLs with the top bit
 * set, wrong IDs and questions.  The server is a forked child of this test
 * bound to 127.0.0.1 (UDP and TCP on one free port); it answers by the
 * first label of the question and truncates (TC) any UDP reply bigger than
 * the 1232 bytes the query offered, so big replies cross TCP as in life.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "common/xmalloc.h"
#include "dns/book.h"
#include "dns/resolver.h"
#include "tests/lib/tap.h"

/* ---- the scripted server (child process) ---- */

struct pkt {
	unsigned char b[65536];
	size_t n;
};

static void p8(struct pkt *p, unsigned v)
{
	if (p->n < sizeof p->b)
		p->b[p->n++] = (unsigned char)v;
}

static void p16(struct pkt *p, unsigned v)
{
	p8(p, v >> 8);
	p8(p, v & 0xff);
}

static void p32(struct pkt *p, uint32_t v)
{
	p16(p, v >> 16);
	p16(p, v & 0xffff);
}

static void pname(struct pkt *p, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		p8(p, (unsigned)l);
		for (size_t i = 0; i < l; i++)
			p8(p, (unsigned char)name[i]);
		name += l + (dot ? 1 : 0);
	}
	p8(p, 0);
}

/* One resource record, owner uncompressed. */
static void prr(struct pkt *p, const char *owner, unsigned type, uint32_t ttl, const void *rd,
		size_t rdlen)
{
	pname(p, owner);
	p16(p, type);
	p16(p, 1);
	p32(p, ttl);
	p16(p, (unsigned)rdlen);
	for (size_t i = 0; i < rdlen; i++)
		p8(p, ((const unsigned char *)rd)[i]);
}

static void pa(struct pkt *p, const char *owner, const char *ip, uint32_t ttl)
{
	unsigned char b[4];

	inet_pton(AF_INET, ip, b);
	prr(p, owner, 1, ttl, b, 4);
}

static void pcname(struct pkt *p, const char *owner, const char *target)
{
	struct pkt t = {.n = 0};

	pname(&t, target);
	prr(p, owner, 5, 300, t.b, t.n);
}

static void psoa(struct pkt *p, const char *zone)
{
	struct pkt t = {.n = 0};

	pname(&t, "ns.w.test");
	pname(&t, "h.w.test");
	for (int i = 0; i < 4; i++)
		p32(&t, 3600);
	p32(&t, 45);
	prr(p, zone, 6, 100, t.b, t.n);
}

struct q {
	unsigned id, type;
	char name[256];
	const unsigned char *qsec; /* question section as asked */
	size_t qlen;
	bool edns;
};

/* Parse the query (uncompressed, one question); false if we cannot. */
static bool parse_query(const unsigned char *m, size_t len, struct q *q)
{
	size_t i = 12, o = 0;

	if (len < 17 || m[4] != 0 || m[5] != 1)
		return false;
	q->id = (unsigned)(m[0] << 8 | m[1]);
	while (i < len && m[i] != 0) {
		size_t l = m[i++];

		if (l > 63 || i + l > len || o + l + 1 >= sizeof q->name)
			return false;
		if (o)
			q->name[o++] = '.';
		for (size_t k = 0; k < l; k++) {
			char c = (char)m[i + k];

			q->name[o++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
		}
		i += l;
	}
	q->name[o] = '\0';
	if (i + 5 > len)
		return false;
	q->type = (unsigned)(m[i + 1] << 8 | m[i + 2]);
	q->qsec = m + 12;
	q->qlen = i + 5 - 12;
	q->edns = m[10] != 0 || m[11] != 0;
	return true;
}

static void header(struct pkt *p, const struct q *q, unsigned id, unsigned flags, unsigned an,
		   unsigned ns)
{
	p->n = 0;
	p16(p, id);
	p16(p, 0x8000 | flags); /* QR */
	p16(p, 1);
	p16(p, an);
	p16(p, ns);
	p16(p, 0);
	for (size_t i = 0; i < q->qlen; i++)
		p8(p, q->qsec[i]);
}

/* The script: the reply to q, by its first label.  AA is 0x0400. */
static void script(const struct q *q, struct pkt *p)
{
	const char *n = q->name;
	char first[64] = "";
	unsigned char rd[1100];

	memcpy(first, n, strcspn(n, ".") < 63 ? strcspn(n, ".") : 63);
	if (strcmp(first, "stray") == 0) { /* other owners stuffed around ours */
		header(p, q, q->id, 0x0400, 3, 0);
		pa(p, "evil.example", "203.0.113.66", 300);
		pa(p, n, "192.0.2.1", 300);
		pa(p, "stray.w.test.evil.example", "203.0.113.67", 300);
	} else if (strcmp(first, "onlystray") == 0) {
		header(p, q, q->id, 0x0400, 1, 1);
		pa(p, "evil.example", "203.0.113.66", 300);
		psoa(p, "w.test");
	} else if (strcmp(first, "chase") == 0) { /* alias alone, no SOA */
		header(p, q, q->id, 0x0400, 1, 0);
		pcname(p, n, "target.other.test");
	} else if (strcmp(first, "target") == 0) {
		header(p, q, q->id, 0x0400, 1, 0);
		pa(p, n, "192.0.2.77", 300);
	} else if (strcmp(first, "bada") == 0) {
		header(p, q, q->id, 0x0400, 1, 0);
		prr(p, n, 1, 300, "\x01\x02\x03\x04\x05", 5);
	} else if (strcmp(first, "badtxt") == 0) {
		header(p, q, q->id, 0x0400, 1, 0);
		prr(p, n, 16, 300,
		    "\x09"
		    "short",
		    6);
	} else if (strcmp(first, "garbage") == 0) {
		header(p, q, q->id, 0x0400, 2, 0);
		p8(p, 0xc0); /* a pointer to nowhere, then nothing */
	} else if (strcmp(first, "many") == 0) {
		header(p, q, q->id, 0x0400, 1025, 0);
		for (int i = 0; i < 1025; i++)
			pa(p, n, "192.0.2.5", 300);
	} else if (strcmp(first, "big") == 0) { /* 250 strings of 255 bytes */
		header(p, q, q->id, 0x0400, 1, 0);
		pname(p, n);
		p16(p, 16);
		p16(p, 1);
		p32(p, 300);
		p16(p, 250 * 256);
		for (int i = 0; i < 250; i++) {
			p8(p, 255);
			for (int k = 0; k < 255; k++)
				p8(p, 'a' + i % 26);
		}
	} else if (strcmp(first, "nxcname") == 0) { /* RFC 6604 */
		header(p, q, q->id, 0x0400 | 3, 1, 1);
		pcname(p, n, "gone.w.test");
		psoa(p, "w.test");
	} else if (strcmp(first, "nodatacname") == 0) {
		header(p, q, q->id, 0x0400, 1, 1);
		pcname(p, n, "plain.w.test");
		psoa(p, "w.test");
	} else if (strcmp(first, "ttlmsb") == 0) { /* RFC 2181 8 */
		header(p, q, q->id, 0x0400, 1, 0);
		pa(p, n, "192.0.2.8", 0x80000001u);
	} else if (strcmp(first, "case") == 0) {
		header(p, q, q->id, 0x0400, 1, 0);
		pa(p, "CaSe.W.TeSt", "192.0.2.9", 300);
	} else if (strcmp(first, "empty") == 0) { /* lazy NODATA: nothing at all */
		header(p, q, q->id, 0, 0, 0);
	} else if (strcmp(first, "referral") == 0) {
		struct pkt t = {.n = 0};

		header(p, q, q->id, 0, 0, 1);
		pname(&t, "ns.elsewhere.example");
		prr(p, "referral.w.test", 2, 300, t.b, t.n);
	} else if (strcmp(first, "wrongid") == 0) {
		header(p, q, q->id ^ 0x5555, 0x0400, 1, 0);
		pa(p, n, "203.0.113.1", 300);
	} else if (strcmp(first, "wrongq") == 0) {
		struct q other = *q;
		struct pkt t = {.n = 0};

		pname(&t, "victim.w.test");
		p16(&t, q->type);
		p16(&t, 1);
		other.qsec = t.b;
		other.qlen = t.n;
		header(p, &other, q->id, 0x0400, 1, 0);
		pa(p, "victim.w.test", "203.0.113.2", 300);
	} else if (strncmp(first, "mid", 3) == 0) { /* 1000 bytes: UDP only with EDNS */
		header(p, q, q->id, 0x0400, 1, 0);
		memset(rd, 'm', 201);
		rd[0] = 200;
		for (int i = 0; i < 5; i++)
			memcpy(rd + 201 * i, rd, 201);
		prr(p, n, 16, 300, rd, 1005);
	} else if (strcmp(first, "formerr") == 0) {
		header(p, q, q->id, 1, 0, 0);
	} else if (strcmp(first, "mx") == 0) { /* exchange compressed onto the owner */
		header(p, q, q->id, 0x0400, 1, 0);
		rd[0] = 0;
		rd[1] = 5;
		rd[2] = 4;
		memcpy(rd + 3, "mail", 4);
		rd[7] = 0xc0;
		rd[8] = 12; /* the question name */
		prr(p, n, 15, 300, rd, 9);
	} else {
		header(p, q, q->id, 0x0400 | 3, 0, 1);
		psoa(p, "w.test");
	}
	if (q->edns && strcmp(first, "formerr") != 0 && strcmp(first, "garbage") != 0) {
		p->b[11] = 1; /* ARCOUNT: an OPT RR as RFC 6891 asks */
		p8(p, 0);
		p16(p, 41);
		p16(p, 1232);
		p32(p, 0);
		p16(p, 0);
	}
}

static void serve_tcp(int c)
{
	unsigned char in[65538];
	struct pkt *out = xmalloc(sizeof *out);
	struct pollfd pf = {c, POLLIN, 0};

	for (;;) {
		size_t got = 0, need = 2;
		struct q q;

		while (got < need) {
			ssize_t r;

			if (poll(&pf, 1, 3000) <= 0)
				goto done;
			r = read(c, in + got, need - got);
			if (r <= 0)
				goto done;
			got += (size_t)r;
			if (got == 2)
				need = 2 + (size_t)(in[0] << 8 | in[1]);
		}
		if (!parse_query(in + 2, need - 2, &q))
			goto done;
		script(&q, out);
		if (write(c, (unsigned char[]){(unsigned char)(out->n >> 8), (unsigned char)out->n},
			  2) != 2 ||
		    write(c, out->b, out->n) != (ssize_t)out->n)
			goto done;
	}
done:
	free(out);
	close(c);
}

static void serve(int u, int t)
{
	struct pkt *out = xmalloc(sizeof *out);
	unsigned char in[4096];

	for (;;) {
		struct pollfd pf[2] = {{u, POLLIN, 0}, {t, POLLIN, 0}};
		struct sockaddr_in from;
		socklen_t fl = sizeof from;
		struct q q;
		ssize_t r;

		if (poll(pf, 2, -1) < 0)
			continue;
		if (pf[1].revents & POLLIN) {
			int c = accept(t, NULL, NULL);

			if (c >= 0)
				serve_tcp(c);
		}
		if (!(pf[0].revents & POLLIN))
			continue;
		r = recvfrom(u, in, sizeof in, 0, (struct sockaddr *)&from, &fl);
		if (r <= 0 || !parse_query(in, (size_t)r, &q))
			continue;
		script(&q, out);
		if (out->n > (q.edns ? 1232u : 512u)) { /* truncate: header + question, TC */
			out->n = 12 + q.qlen;
			out->b[2] |= 0x02;
			memset(out->b + 6, 0, 6);
		}
		(void)!sendto(u, out->b, out->n, 0, (struct sockaddr *)&from, fl);
	}
}

/* Fork the server; its port, or 0. */
static unsigned start_server(pid_t *pid)
{
	for (int attempt = 0; attempt < 20; attempt++) {
		struct sockaddr_in a = {.sin_family = AF_INET};
		socklen_t al = sizeof a;
		int u = socket(AF_INET, SOCK_DGRAM, 0), t = socket(AF_INET, SOCK_STREAM, 0),
		    one = 1;

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(u, (struct sockaddr *)&a, sizeof a) == 0 &&
		    getsockname(u, (struct sockaddr *)&a, &al) == 0 &&
		    bind(t, (struct sockaddr *)&a, sizeof a) == 0 && listen(t, 8) == 0) {
			*pid = fork();
			if (*pid == 0) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				serve(u, t);
				_exit(0);
			}
			close(u);
			close(t);
			return *pid > 0 ? ntohs(a.sin_port) : 0;
		}
		close(u);
		close(t);
	}
	return 0;
}

/* ---- the tests ---- */

static const struct dns_answer *ask(struct dns_resolver *res, struct dns_book *bk, const char *name,
				    uint16_t type)
{
	const struct dns_answer *a = NULL;

	if (dns_book_get(bk, name, type, &a) == ERR_OK)
		return a;
	dns_resolver_submit(res, bk, NULL, NULL);
	while (dns_book_in_flight(bk) > 0)
		if (dns_resolver_run_once(res, 1000) != ERR_OK)
			return NULL;
	return dns_book_get(bk, name, type, &a) == ERR_OK ? a : NULL;
}

static bool is_a(const struct dns_answer *a, const char *ip)
{
	unsigned char b[4];

	inet_pton(AF_INET, ip, b);
	return a && a->outcome == DNS_DATA && a->n == 1 && a->rr[0].len == 4 &&
	       memcmp(a->rr[0].data, b, 4) == 0;
}

static void expect(struct dns_resolver *res, struct dns_book *bk, const char *name, uint16_t type,
		   enum dns_outcome o, const char *why)
{
	const struct dns_answer *a = ask(res, bk, name, type);

	tap_is_str(a ? dns_outcome_name(a->outcome) : "(none)", dns_outcome_name(o), "%s: %s", name,
		   dns_outcome_name(o));
	tap_is_str(a ? a->why : "(none)", why, "%s: why %s", name, why ? why : "(none)");
}

static uint64_t stats_tcp(const struct dns_resolver *res)
{
	struct dns_resolver_stats s;

	dns_resolver_stats(res, &s);
	return s.tcp_fallbacks;
}

static void run(struct dns_resolver *res)
{
	struct dns_book *bk = dns_book_new(64);
	struct dns_resolver_stats s;
	const struct dns_answer *a;

	tap_ok(is_a(ask(res, bk, "stray.w.test", DNS_T_A), "192.0.2.1"),
	       "records of other owners are ignored (RFC 2181 5.4.1)");
	expect(res, bk, "onlystray.w.test", DNS_T_A, DNS_NODATA, NULL);

	a = ask(res, bk, "chase.w.test", DNS_T_A);
	tap_ok(is_a(a, "192.0.2.77"), "alias alone: the target is asked and answered");
	tap_is_str(a ? a->cname : NULL, "target.other.test", "alias alone: cname set");
	dns_resolver_stats(res, &s);
	tap_is_int((long long)s.cname_follows, 1, "alias alone: one follow-up query");

	expect(res, bk, "bada.w.test", DNS_T_A, DNS_MALFORMED, "bad A record");
	expect(res, bk, "badtxt.w.test", DNS_T_TXT, DNS_MALFORMED, "bad TXT record");
	expect(res, bk, "garbage.w.test", DNS_T_A, DNS_MALFORMED, "unparseable reply");
	expect(res, bk, "many.w.test", DNS_T_A, DNS_MALFORMED, "too many records");

	a = ask(res, bk, "big.w.test", DNS_T_TXT);
	tap_ok(a && a->outcome == DNS_DATA && a->n == 1 && a->rr[0].len == 250 * 255,
	       "a 64 KB TXT comes whole over TCP (%zu bytes)", a && a->n ? a->rr[0].len : 0);
	tap_ok(a && a->n == 1 && a->rr[0].data[0] == 'a' && a->rr[0].data[255] == 'b' &&
		   a->rr[0].data[250 * 255] == '\0',
	       "64 KB TXT: strings joined in order");

	a = ask(res, bk, "nxcname.w.test", DNS_T_A);
	tap_ok(a && a->outcome == DNS_NXDOMAIN && a->cname && strcmp(a->cname, "gone.w.test") == 0,
	       "CNAME then NXDOMAIN: the target does not exist (RFC 6604)");
	a = ask(res, bk, "nodatacname.w.test", DNS_T_TXT);
	tap_ok(a && a->outcome == DNS_NODATA && a->cname && strcmp(a->cname, "plain.w.test") == 0,
	       "CNAME then SOA: NODATA at the target");
	a = ask(res, bk, "ttlmsb.w.test", DNS_T_A);
	tap_ok(is_a(a, "192.0.2.8") && a->rr[0].ttl == 0, "TTL with the top bit set is 0");
	tap_ok(is_a(ask(res, bk, "case.w.test", DNS_T_A), "192.0.2.9"),
	       "owner names compare without case");
	expect(res, bk, "empty.w.test", DNS_T_A, DNS_NODATA, NULL);
	expect(res, bk, "referral.w.test", DNS_T_A, DNS_TEMPFAIL, "referral");
	expect(res, bk, "nothing.w.test", DNS_T_A, DNS_NXDOMAIN, NULL);
	expect(res, bk, "wrongid.w.test", DNS_T_A, DNS_TEMPFAIL, "timeout");
	expect(res, bk, "wrongq.w.test", DNS_T_A, DNS_TEMPFAIL, "timeout");
	a = ask(res, bk, "mx.w.test", DNS_T_MX);
	tap_ok(a && a->n == 1 && a->rr[0].pref == 5 && strcmp(a->rr[0].data, "mail.mx.w.test") == 0,
	       "MX exchange behind a compression pointer");
	dns_resolver_stats(res, &s);
	a = ask(res, bk, "mid1.w.test", DNS_T_TXT);
	tap_ok(a && a->n == 1 && a->rr[0].len == 1000, "1000-byte TXT");
	tap_ok(stats_tcp(res) == s.tcp_fallbacks, "1000-byte TXT fits the EDNS size: UDP");
	expect(res, bk, "formerr.w.test", DNS_T_A, DNS_TEMPFAIL, "FORMERR");
	dns_resolver_stats(res, &s);
	tap_is_int((long long)s.channel_resets, 1,
		   "c-ares dropped EDNS after FORMERR without OPT: channel replaced");
	tap_is_int((long long)s.edns_off, 0, "EDNS on again");
	a = ask(res, bk, "mid2.w.test", DNS_T_TXT);
	tap_ok(a && a->n == 1 && a->rr[0].len == 1000 && stats_tcp(res) == s.tcp_fallbacks,
	       "after the reset a 1000-byte TXT still comes over UDP");
	tap_ok(is_a(ask(res, bk, "target.w.test", DNS_T_A), "192.0.2.77"),
	       "still answering after FORMERR");
	dns_book_free(bk);
}

int main(void)
{
	struct dns_resolver_opts o;
	struct dns_resolver *res = NULL;
	char srv[32];
	const char *servers[] = {srv};
	pid_t pid = 0;
	unsigned port;
	int st;

	alarm(120);
	if (dns_resolver_library_init() != ERR_OK)
		fatal("ares_library_init failed");
	port = start_server(&pid);
	if (!tap_ok(port != 0, "scripted server started"))
		return tap_done();
	snprintf(srv, sizeof srv, "127.0.0.1:%u", port);
	dns_resolver_opts_init(&o);
	o.servers = servers;
	o.n_servers = 1;
	o.timeout_ms = 300;
	o.tries = 1;
	o.max_qps = 0;
	if (dns_resolver_new(&o, &res) != ERR_OK)
		fatal("dns_resolver_new");
	run(res);
	dns_resolver_free(res);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	dns_resolver_library_cleanup();
	return tap_done();
}
