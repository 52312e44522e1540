/*
 * tests/lib/fakezone: see fakezone.h.  Linear scans; zones are tiny.
 */
#include <arpa/inet.h>
#include <string.h>
#include "common/str.h"
#include "common/xmalloc.h"
#include "tests/lib/fakezone.h"

struct zrec {
	char *name;
	uint16_t type; /* 0: name marker only; 0xffff: timeout marker */
	uint16_t pref;
	size_t len;
	char *data;
};

struct fakezone {
	struct zrec *r;
	size_t n;
};

#define T_TIMEOUT 0xffff

struct fakezone *fakezone_new(void)
{
	return xcalloc(1, sizeof(struct fakezone));
}

void fakezone_free(struct fakezone *z)
{
	if (z == NULL)
		return;
	for (size_t i = 0; i < z->n; i++) {
		free(z->r[i].name);
		free(z->r[i].data);
	}
	free(z->r);
	free(z);
}

static char *norm(const char *name)
{
	size_t len = strlen(name);
	char *r;

	if (len > 1 && name[len - 1] == '.')
		len--;
	r = xmemdup0(name, len);
	common_str_lower(r);
	return r;
}

void fakezone_add(struct fakezone *z, const char *name, uint16_t type, const void *data, size_t len,
		  uint16_t pref)
{
	struct zrec *r;

	z->r = xreallocarray(z->r, z->n + 1, sizeof *z->r);
	r = &z->r[z->n++];
	r->name = norm(name);
	r->type = type;
	r->pref = pref;
	r->len = len;
	r->data = xmemdup0(data, len);
}

void fakezone_add_txt(struct fakezone *z, const char *name, const char *text)
{
	fakezone_add(z, name, DNS_T_TXT, text, strlen(text), 0);
}

void fakezone_add_addr(struct fakezone *z, const char *name, const char *addr)
{
	unsigned char b[16];

	if (inet_pton(AF_INET, addr, b) == 1)
		fakezone_add(z, name, DNS_T_A, b, 4, 0);
	else if (inet_pton(AF_INET6, addr, b) == 1)
		fakezone_add(z, name, DNS_T_AAAA, b, 16, 0);
	else
		fatal("fakezone: bad address literal %s", addr);
}

void fakezone_add_mx(struct fakezone *z, const char *name, uint16_t pref, const char *host)
{
	fakezone_add(z, name, DNS_T_MX, host, strlen(host), pref);
}

void fakezone_add_ptr(struct fakezone *z, const char *name, const char *target)
{
	fakezone_add(z, name, DNS_T_PTR, target, strlen(target), 0);
}

void fakezone_add_cname(struct fakezone *z, const char *name, const char *target)
{
	fakezone_add(z, name, DNS_T_CNAME, target, strlen(target), 0);
}

void fakezone_set_timeout(struct fakezone *z, const char *name)
{
	fakezone_add(z, name, T_TIMEOUT, "", 0, 0);
}

void fakezone_add_name(struct fakezone *z, const char *name)
{
	fakezone_add(z, name, 0, "", 0, 0);
}

static struct dns_answer *lookup(struct fakezone *z, const char *qname, uint16_t type)
{
	char *name = norm(qname);
	struct dns_answer *a = NULL;
	char *cname = NULL;

	for (int hop = 0; hop <= 8; hop++) {
		bool exists = false, timeout = false;
		const char *target = NULL;
		size_t found = 0;

		for (size_t i = 0; i < z->n; i++) {
			struct zrec *r = &z->r[i];

			if (strcmp(r->name, name) != 0)
				continue;
			exists = true;
			if (r->type == T_TIMEOUT)
				timeout = true;
			else if (r->type == DNS_T_CNAME && type != DNS_T_CNAME)
				target = r->data;
			else if (r->type == type)
				found++;
		}
		if (found) {
			a = dns_answer_new(qname, type, DNS_DATA, NULL);
			for (size_t i = 0; i < z->n; i++)
				if (z->r[i].type == type && strcmp(z->r[i].name, name) == 0)
					dns_answer_add(a, z->r[i].data, z->r[i].len, 300,
						       z->r[i].pref);
		} else if (target) {
			char *next = norm(target);

			free(cname);
			cname = xstrdup(next);
			free(name);
			name = next;
			continue;
		} else if (timeout) {
			a = dns_answer_new(qname, type, DNS_TEMPFAIL, "timeout");
		} else {
			a = dns_answer_new(qname, type, exists ? DNS_NODATA : DNS_NXDOMAIN, NULL);
		}
		break;
	}
	if (a == NULL) {
		a = dns_answer_new(qname, type, DNS_TEMPFAIL, "CNAME loop");
	} else if (cname) {
		a->cname = cname;
		cname = NULL;
	}
	free(cname);
	free(name);
	return a;
}

size_t fakezone_answer(struct fakezone *z, struct dns_book *book)
{
	const char *name;
	uint16_t type;
	size_t n = 0;

	while (dns_book_next_needed(book, &name, &type)) {
		dns_book_put(book, lookup(z, name, type));
		n++;
	}
	return n;
}

enum mp_err fakezone_run(struct fakezone *z, struct dns_book *book, enum mp_err (*fn)(void *arg),
			 void *arg)
{
	for (;;) {
		enum mp_err e = fn(arg);

		if (e != ERR_AGAIN)
			return e;
		if (fakezone_answer(z, book) == 0)
			return e;
	}
}
