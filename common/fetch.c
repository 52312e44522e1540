/*
 * common/fetch: libcurl multi wrapper (see fetch.h for the why).
 */
#include <curl/curl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "common/buf.h"
#include "common/fetch.h"
#include "common/xmalloc.h"
#include "config.h"

struct req {
	CURL *easy;
	struct buf body;
	struct curl_slist *connect_to;
	common_fetch_done_fn done;
	void *arg;
	char errbuf[CURL_ERROR_SIZE];
	bool too_big;
	struct req *next;
};

struct common_fetch {
	CURLM *multi;
	struct common_fetch_opts o;
	char *ca_file;
	char *ua;
	struct req *reqs;
};

struct common_fetch *common_fetch_new(const struct common_fetch_opts *opts)
{
	struct common_fetch *f = xcalloc(1, sizeof *f);

	/* curl_global_init is idempotent after the first call; main() calls it early. */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	f->multi = curl_multi_init();
	if (f->multi == NULL)
		fatal("curl_multi_init failed");
	f->o = *opts;
	f->ca_file = opts->ca_file ? xstrdup(opts->ca_file) : NULL;
	f->ua = xstrdup(opts->user_agent ? opts->user_agent : "mailpulse/" PACKAGE_VERSION);
	f->o.ca_file = f->ca_file;
	f->o.user_agent = f->ua;
	if (f->o.timeout_ms == 0)
		f->o.timeout_ms = 10000;
	if (f->o.connect_ms == 0)
		f->o.connect_ms = 5000;
	if (f->o.max_body == 0)
		f->o.max_body = 64 * 1024;
	return f;
}

static void req_free(struct common_fetch *f, struct req *r)
{
	curl_multi_remove_handle(f->multi, r->easy);
	curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->connect_to);
	common_buf_free(&r->body);
	free(r);
}

void common_fetch_free(struct common_fetch *f)
{
	if (f == NULL)
		return;
	while (f->reqs) {
		struct req *r = f->reqs;

		f->reqs = r->next;
		req_free(f, r);
	}
	curl_multi_cleanup(f->multi);
	free(f->ca_file);
	free(f->ua);
	free(f);
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct req *r = arg;

	if (common_buf_append(&r->body, p, size * n) != ERR_OK) {
		r->too_big = true;
		return 0; /* makes curl fail the transfer with CURLE_WRITE_ERROR */
	}
	return size * n;
}

/* "host:port" part of an https URL for the connect-to rule; ERR_INVAL if absent. */
static enum mp_err url_host(const char *url, char *host, size_t hostsz, long *port)
{
	CURLU *u = curl_url();
	char *h = NULL, *p = NULL;
	enum mp_err e = ERR_INVAL;

	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) != CURLUE_OK)
		goto out;
	if ((size_t)snprintf(host, hostsz, "%s", h) >= hostsz)
		goto out;
	*port = strtol(p, NULL, 10);
	e = ERR_OK;
out:
	curl_free(h);
	curl_free(p);
	curl_url_cleanup(u);
	return e;
}

static void set_opts(struct common_fetch *f, struct req *r, const char *url)
{
	CURL *c = r->easy;

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)f->o.timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)f->o.connect_ms);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->o.max_body);
	curl_easy_setopt(c, CURLOPT_USERAGENT, f->o.user_agent);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(c, CURLOPT_PRIVATE, r);
	if (f->o.ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, f->o.ca_file);
}

enum mp_err common_fetch_get(struct common_fetch *f, const char *url, const char *addr,
			     common_fetch_done_fn done, void *arg)
{
	struct req *r;
	char host[512];
	long port = 0;

	if (url_host(url, host, sizeof host, &port) != ERR_OK)
		return ERR_INVAL;
	r = xcalloc(1, sizeof *r);
	r->easy = curl_easy_init();
	if (r->easy == NULL)
		fatal("curl_easy_init failed");
	common_buf_init(&r->body, f->o.max_body);
	r->done = done;
	r->arg = arg;
	set_opts(f, r, url);
	if (addr || f->o.port_override) {
		/* CONNECT_TO keeps the URL's host for SNI and certificate checks. */
		bool v6 = addr && strchr(addr, ':');
		char *rule =
		    xasprintf("%s:%ld:%s%s%s:%ld", host, port, v6 ? "[" : "", addr ? addr : "",
			      v6 ? "]" : "", f->o.port_override ? (long)f->o.port_override : port);

		r->connect_to = curl_slist_append(NULL, rule);
		free(rule);
		curl_easy_setopt(r->easy, CURLOPT_CONNECT_TO, r->connect_to);
	}
	if (curl_multi_add_handle(f->multi, r->easy) != CURLM_OK) {
		req_free(f, r);
		return ERR_NET;
	}
	r->next = f->reqs;
	f->reqs = r;
	return ERR_OK;
}

static void unlink_req(struct common_fetch *f, struct req *r)
{
	for (struct req **pp = &f->reqs; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			return;
		}
	}
}

static void finish(struct common_fetch *f, struct req *r, CURLcode rc)
{
	struct common_fetch_result res = {0};
	char *ct = NULL;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &res.status);
	curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &ct);
	res.content_type = ct ? ct : "";
	res.body = common_buf_str(&r->body);
	res.body_len = r->body.len;
	if (rc == CURLE_OK) {
		res.err = ERR_OK;
		res.error = "";
	} else if (r->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		res.err = ERR_LIMIT;
		res.error = "response body too large";
	} else {
		res.err = rc == CURLE_OPERATION_TIMEDOUT ? ERR_TIMEOUT
			  : (rc == CURLE_PEER_FAILED_VERIFICATION ||
			     rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_SSL_CACERT_BADFILE)
			      ? ERR_TLS
			      : ERR_NET;
		res.error = r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc);
	}
	unlink_req(f, r);
	r->done(r->arg, &res);
	req_free(f, r);
}

int common_fetch_run(struct common_fetch *f, int max_wait_ms)
{
	int running = 0, left = 0;
	CURLMsg *m;

	if (f->reqs == NULL)
		return 0;
	curl_multi_perform(f->multi, &running);
	if (running > 0 && max_wait_ms > 0) {
		curl_multi_poll(f->multi, NULL, 0, max_wait_ms, NULL);
		curl_multi_perform(f->multi, &running);
	}
	while ((m = curl_multi_info_read(f->multi, &left)) != NULL) {
		struct req *r = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		finish(f, r, m->data.result);
	}
	return running;
}
