/* proxy.c - the gateway's event loop: every LLM request judged by the shared breaker.
 *
 * SPDX-License-Identifier: Apache-2.0
 * Copyright 2026 The fleetguard Authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "gateway/gateway.h"
#include "gateway/proxy.h"
#include "gateway/rendezvous.h"
#include "gateway/resolve.h"
#include "gateway/tls.h"

#define BUF_CAP (FG_GW_HEAD_MAX + 4096)
#define IDLE_CLIENT_MS (300 * 1000)

enum io_kind { IO_LISTEN = 1, IO_CLIENT, IO_UPSTREAM, IO_RESOLVE };

struct gw_io {
	enum io_kind kind;
	struct conn *c;
	struct gw_ep *e;
};

struct buf {
	char *d;
	size_t off, len;      /* bytes d[off..len) are waiting */
};

/* A body held back for the fallback's model rewrite (gateway.h). */
struct rewrite {
	bool collect;                 /* the body is being gathered in d */
	bool send;                    /* d[off..len) goes out after uout */
	bool done;                    /* the model was replaced (audited) */
	char *d;
	size_t off, len, cap;
	char was[129];                /* the model the client asked for */
};

enum cstate { RQ_HEAD = 0, RQ_BODY, RQ_WAIT, RQ_DONE, RQ_CLOSE };
enum route { R_UPSTREAM = 0, R_FALLBACK, R_LOCAL };

struct conn {
	struct gw *g;
	struct gw_ep *e;
	struct conn *prev, *next;
	struct gw_io cio, uio;
	int cfd, ufd;
	SSL *cssl, *ussl;             /* TLS on either side, or NULL */
	bool csniffed;                /* the client's first byte was looked at */
	bool cwant_w, uwant_w;        /* TLS needs the socket writable to go on */
	uint32_t cmask, umask;        /* epoll interest now set */
	struct buf cin, uout, cout;
	size_t hold;                  /* bytes at the end of cout not yet to send */
	enum cstate st;
	enum route route, uroute;     /* this request's; the open upstream's */
	bool resolving;               /* the upstream's name is being looked up */
	bool uconnecting, ureused, ureusable, replay, ticket, judged, rs_head, slow_said;
	bool rq_close, rq_head_method;
	struct fg_gw_body rqb, rsb;
	struct fg_gw_resp rs;
	struct fg_bk_ticket t;
	bool dead;                    /* freed at the end of this round of events */
	unsigned status;
	char method[16], path[512];
	struct rewrite rw;            /* the fallback's model rewrite of this request */
	uint64_t t_start, t_sent, t_first, last_ms, up_bytes, down_bytes;
};

struct gw {
	struct gw_conf conf;
	struct gw_tls *tls;           /* NULL: no endpoint speaks TLS */
	struct gw_res *res;           /* name lookups off the loop (resolve.h) */
	struct gw_io rio;
	int epfd;
	struct gw_ep *eps;
	size_t neps;
	struct conn *conns;
	struct conn *dead;            /* closed this round, freed after it */
	unsigned nconns;
	uint64_t idle_since;
};

static uint64_t now_ms(void)
{
	return fg_bk_clock_ms();
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[1024];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02dZ fleetguard-gateway: %s\n",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		line);
}

static struct fg_audit_field fstr(const char *k, const char *v)
{
	return (struct fg_audit_field){ .key = k, .type = FG_AF_STR, .s = v, .len = strlen(v) };
}

static struct fg_audit_field fint(const char *k, int64_t v)
{
	return (struct fg_audit_field){ .key = k, .type = FG_AF_INT, .i = v };
}

static void record(struct gw *g, const char *op, const struct fg_audit_field *f, size_t n,
		   const char *decision, const char *rule)
{
	struct fg_audit_rec r = { .op = op, .f = f, .nf = n, .decision = decision, .rule = rule };
	int rc;

	if (g->conf.audit == NULL)
		return;
	rc = fg_audit_append(g->conf.audit, &r);
	if (rc < 0)
		say("cannot write to the audit log: %s", strerror(-rc));
}

/* A breaker transition: one line and one record, as the library does. */
static void announce(struct gw *g, struct gw_ep *e, const struct fg_bk_event *ev)
{
	uint64_t now = now_ms(), left = ev->until_ms > now ? ev->until_ms - now : 0;
	unsigned secs = (unsigned)((left + 999) / 1000);
	struct fg_audit_field f[8];

	if (!ev->changed)
		return;
	say("circuit %s for %s: %s (%u consecutive failures)%s", fg_bk_state_name(ev->to),
	    e->up.shown, ev->why, ev->failures, ev->to == FG_BK_OPEN ? ", probing later" : "");
	f[0] = fstr("endpoint", e->ep->name);
	f[1] = fstr("addr", e->up.shown);
	f[2] = fstr("from", fg_bk_state_name(ev->from));
	f[3] = fstr("to", fg_bk_state_name(ev->to));
	f[4] = fstr("why", ev->why);
	f[5] = fint("failures", ev->failures);
	f[6] = fint("generation", ev->gen);
	f[7] = fint("seconds", secs);
	record(g, "breaker", f, 8, NULL, e->rule);
}

/* --- buffers ------------------------------------------------------------------ */

static size_t room(const struct buf *b)
{
	return BUF_CAP - b->len;
}

static size_t avail(const struct buf *b)
{
	return b->len - b->off;
}

static void compact(struct buf *b)
{
	if (b->off == 0)
		return;
	memmove(b->d, b->d + b->off, b->len - b->off);
	b->len -= b->off;
	b->off = 0;
}

static int put(struct buf *b, const void *p, size_t n)
{
	if (room(b) < n)
		compact(b);
	if (room(b) < n)
		return -ENOBUFS;
	memcpy(b->d + b->len, p, n);
	b->len += n;
	return 0;
}

static int putf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int putf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	compact(b);
	va_start(ap, fmt);
	n = vsnprintf(b->d + b->len, room(b), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room(b))
		return -ENOBUFS;
	b->len += (size_t)n;
	return 0;
}

/* --- sockets, plain or TLS --------------------------------------------------------- */

static ssize_t ssl_result(SSL *ssl, int r, bool *want_w)
{
	int e;

	if (r > 0)
		return r;
	e = SSL_get_error(ssl, r);
	if (e == SSL_ERROR_WANT_READ)
		return -EAGAIN;
	if (e == SSL_ERROR_WANT_WRITE) {
		*want_w = true;
		return -EAGAIN;
	}
	return e == SSL_ERROR_ZERO_RETURN ? 0 : -ECONNRESET;
}

/* n bytes read, 0 at the end, or -errno (-EAGAIN: nothing now). */
static ssize_t io_read(int fd, SSL *ssl, void *buf, size_t n, bool *want_w)
{
	ssize_t r;

	if (ssl == NULL) {
		r = read(fd, buf, n);
		return r < 0 ? (errno == EINTR ? -EAGAIN : -errno) : r;
	}
	*want_w = false;
	ERR_clear_error();
	return ssl_result(ssl, SSL_read(ssl, buf, n > INT_MAX ? INT_MAX : (int)n), want_w);
}

static ssize_t io_write(int fd, SSL *ssl, const void *buf, size_t n, bool *want_w)
{
	ssize_t r;

	if (ssl == NULL) {
		r = send(fd, buf, n, MSG_NOSIGNAL);
		return r < 0 ? (errno == EINTR ? -EAGAIN : -errno) : r;
	}
	*want_w = false;
	ERR_clear_error();
	return ssl_result(ssl, SSL_write(ssl, buf, n > INT_MAX ? INT_MAX : (int)n), want_w);
}

/* --- epoll ---------------------------------------------------------------------- */

static void watch(struct gw *g, int fd, uint32_t *cur, uint32_t want, struct gw_io *io)
{
	struct epoll_event ev = { .events = want, .data.ptr = io };

	if (fd < 0 || *cur == want)
		return;
	if (epoll_ctl(g->epfd, *cur == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev) < 0 &&
	    errno == ENOENT)
		epoll_ctl(g->epfd, EPOLL_CTL_ADD, fd, &ev);
	*cur = want;
}

static void close_upstream(struct conn *c)
{
	if (c->ufd < 0)
		return;
	SSL_free(c->ussl);
	c->ussl = NULL;
	c->uwant_w = false;
	close(c->ufd);        /* also leaves the epoll set */
	c->ufd = -1;
	c->umask = 0;
	c->uconnecting = false;
	c->ureusable = false;
}

static void rw_reset(struct rewrite *rw)
{
	free(rw->d);
	*rw = (struct rewrite){ 0 };
}

static void conn_free(struct conn *c)
{
	struct gw *g = c->g;

	char sink[4096];

	if (c->ticket)
		fg_bk_release(&c->e->bk, &c->t);
	close_upstream(c);
	rw_reset(&c->rw);
	if (c->resolving)
		gw_res_cancel(g->res, c);
	/* what the client sent and we did not read would turn our close
	 * into a reset, which may destroy the answer before it is read */
	if (c->cssl != NULL)
		SSL_shutdown(c->cssl);
	SSL_free(c->cssl);
	c->cssl = NULL;
	shutdown(c->cfd, SHUT_WR);
	for (int i = 0; i < 64 && read(c->cfd, sink, sizeof(sink)) > 0; i++)
		;
	close(c->cfd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		g->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (--g->nconns == 0)
		g->idle_since = now_ms();
	c->dead = true;
	c->next = g->dead;
	g->dead = c;
}

static void bury(struct gw *g)
{
	while (g->dead != NULL) {
		struct conn *c = g->dead;

		g->dead = c->next;
		free(c->cin.d);
		free(c);
	}
}

/* --- one request ------------------------------------------------------------------ */

static const char *route_name(enum route r)
{
	return r == R_UPSTREAM ? "upstream" : r == R_FALLBACK ? "fallback" : "local";
}

/* The request's record: what, where to, how it ended; never bodies or keys. */
static void audit_request(struct conn *c)
{
	const struct gw_target *t = c->route == R_FALLBACK ? &c->e->fb : &c->e->up;
	struct fg_audit_field f[11];
	uint64_t ms = now_ms() - c->t_start;
	size_t n = 9;

	f[0] = fstr("endpoint", c->e->ep->name);
	f[1] = fstr("method", c->method);
	f[2] = fstr("path", c->path);
	f[3] = fint("status", c->status);
	f[4] = fint("ms", (int64_t)ms);
	f[5] = fstr("route", route_name(c->route));
	f[6] = fstr("addr", c->route == R_LOCAL ? "" : t->shown);
	f[7] = fint("bytes_out", (int64_t)c->up_bytes);
	f[8] = fint("bytes_in", (int64_t)c->down_bytes);
	if (c->rw.done) {
		f[n++] = fstr("model_rewrite", c->e->ep->fallback_model);
		f[n++] = fstr("model_was", c->rw.was);
	}
	record(c->g, "llm", f, n, c->route == R_LOCAL && c->status == 503 ? "deny" : "allow",
	       c->e->rule);
}

static void report(struct conn *c, enum fg_bk_outcome o, unsigned retry)
{
	struct fg_bk_event ev;

	if (!c->ticket)
		return;
	c->ticket = false;
	if (fg_bk_report(&c->e->bk, &c->t, o, retry, getpid(), &ev) > 0)
		announce(c->g, c->e, &ev);
}

static void request_done(struct conn *c)
{
	if (!c->rqb.done) {
		/* answered before the body ended: the rest of the body
		 * would be taken for the next request */
		c->rq_close = true;
		close_upstream(c);
	}
	if (c->ticket)
		fg_bk_release(&c->e->bk, &c->t);
	c->ticket = false;
	audit_request(c);
	c->st = RQ_DONE;
}

/* An answer of the gateway's own, JSON like the providers' errors. */
static void local_answer(struct conn *c, unsigned status, const char *type, unsigned retry)
{
	char body[768], extra[64] = "";
	const char *reason = status == 503 ? "Service Unavailable" : status == 502 ? "Bad Gateway" :
			     status == 400 ? "Bad Request" : status == 431 ?
			     "Request Header Fields Too Large" : status == 501 ? "Not Implemented" :
			     status == 505 ? "HTTP Version Not Supported" : "Error";
	int n;

	if (retry > 0) {
		n = snprintf(body, sizeof(body),
			     "{\"error\":{\"type\":\"%s\",\"endpoint\":\"%s\",\"retry_after\":%u,"
			     "\"message\":\"fleetguard: circuit open for %s, next probe in %u s\"}}",
			     type, c->e->ep->name, retry, c->e->up.shown, retry);
		snprintf(extra, sizeof(extra), "Retry-After: %u\r\n", retry);
	} else {
		n = snprintf(body, sizeof(body),
			     "{\"error\":{\"type\":\"%s\",\"endpoint\":\"%s\",\"message\":\"fleetguard: %s\"}}",
			     type, c->e->ep->name, reason);
	}
	c->cout.len -= c->hold;
	c->hold = 0;
	if (putf(&c->cout, "HTTP/1.1 %u %s\r\nContent-Type: application/json\r\n"
		 "Content-Length: %d\r\n%s%s\r\n%s", status, reason, n, extra,
		 c->rq_close ? "Connection: close\r\n" : "", body) < 0)
		c->rq_close = true;
	c->status = status;
	c->rs_head = true;
	fg_gw_body_init(&c->rsb, FG_GW_NONE, 0);
}

/* --- the connection to the provider or the fallback ------------------------------------ */

/* A connection to t at a, started (non-blocking), TLS set up. */
static int upstream_dial(struct conn *c, const struct gw_target *t, const struct gw_addr *a)
{
	int fd, one = 1, rc;

	fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	rc = connect(fd, (const struct sockaddr *)&a->sa, a->len) < 0 ? -errno : 0;
	if (rc < 0 && rc != -EINPROGRESS) {
		close(fd);
		return rc;
	}
	if (t->tls) {
		c->ussl = gw_tls_connect(t == &c->e->up ? c->e->up_ctx : c->e->fb_ctx, fd, t->host);
		if (c->ussl == NULL) {
			close(fd);
			return -EPROTO;
		}
	}
	c->ufd = fd;
	c->umask = 0;
	c->uconnecting = rc == -EINPROGRESS;
	c->ureused = false;
	c->ureusable = true;
	return 0;
}

/* Connect to t: at once for a literal or cached address, else once the
 * resolver threads have the name (on_resolved); never blocks the loop. */
static int upstream_connect(struct conn *c, const struct gw_target *t)
{
	struct gw_addr a;
	int rc;

	if (c->resolving) {
		gw_res_cancel(c->g->res, c);
		c->resolving = false;
	}
	c->uroute = c->route;
	rc = gw_res_lookup(c->g->res, t->host, t->port, c, &a);
	if (rc == 1) {
		c->resolving = true;
		return 0;
	}
	return rc < 0 ? -EHOSTUNREACH : upstream_dial(c, t, &a);
}

/* The kept connection if it goes where this request goes, else a new one. */
static int upstream_open(struct conn *c)
{
	if (c->ufd >= 0 && c->uroute == c->route && c->ureusable) {
		c->ureused = true;
		return 0;
	}
	close_upstream(c);
	return upstream_connect(c, c->route == R_FALLBACK ? &c->e->fb : &c->e->up);
}

/* Host is the target's; the agent's credentials give way to api_key_file;
 * a body to rewrite gets its length later and needs no 100 Continue. */
static bool header_kept(const struct conn *c, const char *line, size_t len)
{
	if (fg_gw_hdr_is(line, len, "host"))
		return false;
	if (c->e->cred != NULL && (fg_gw_hdr_is(line, len, "authorization") ||
				   fg_gw_hdr_is(line, len, "x-api-key")))
		return false;
	return !c->rw.collect || (!fg_gw_hdr_is(line, len, "content-length") &&
				  !fg_gw_hdr_is(line, len, "expect"));
}

/* The request line and headers for the upstream: Host of the target, the
 * fallback's path prefix, every other header as the client sent it. */
static int build_head(struct conn *c, const char *h, size_t hlen, const struct fg_gw_req *r)
{
	const struct gw_target *t = c->route == R_FALLBACK ? &c->e->fb : &c->e->up;
	struct fg_gw_span tg = r->target;
	const char *pre = t->prefix;
	size_t i;
	int rc;

	/* absolute form (a client that takes us for a proxy): keep the path */
	if (tg.n > 7 && (strncasecmp(tg.p, "http://", 7) == 0 || strncasecmp(tg.p, "https://", 8) == 0)) {
		const char *s = memchr(tg.p + 8, '/', tg.n - 8);

		tg.n = s != NULL ? (size_t)(tg.p + tg.n - s) : 1;
		tg.p = s != NULL ? s : "/";
	}
	if (pre[0] != '\0' && tg.n >= strlen(pre) && strncmp(tg.p, pre, strlen(pre)) == 0)
		pre = "";
	rc = putf(&c->uout, "%.*s %s%.*s HTTP/1.1\r\n", (int)r->method.n, r->method.p, pre,
		  (int)tg.n, tg.p);
	for (i = 0; rc == 0 && i < hlen && h[i] != '\n'; i++)
		;
	for (i++; rc == 0 && i < hlen;) {
		size_t e = i, len;

		while (e < hlen && h[e] != '\n')
			e++;
		len = e - i;
		if (len > 0 && h[i + len - 1] == '\r')
			len--;
		if (len > 0 && header_kept(c, h + i, len)) {
			rc = put(&c->uout, h + i, len);
			if (rc == 0)
				rc = put(&c->uout, "\r\n", 2);
		}
		i = e + 1;
	}
	/* the provider's key, never the fallback's business */
	if (rc == 0 && c->e->cred != NULL && c->route == R_UPSTREAM)
		rc = put(&c->uout, c->e->cred, strlen(c->e->cred));
	/* a rewritten body's length and the blank line follow with it */
	if (rc == 0)
		rc = putf(&c->uout, "Host: %s\r\n%s", t->authority, c->rw.collect ? "" : "\r\n");
	return rc;
}

/* A request to the fallback of an endpoint with fallback_model, with a
 * Content-Length body small enough: gather the body before the head goes. */
static void rw_begin(struct conn *c, const struct fg_gw_req *r)
{
	struct rewrite *rw = &c->rw;

	if (c->route != R_FALLBACK || c->e->ep->fallback_model == NULL ||
	    r->body.frame != FG_GW_LENGTH || r->body.left == 0 ||
	    r->body.left > FG_GW_REWRITE_MAX)
		return;
	rw->d = malloc((size_t)r->body.left);
	if (rw->d == NULL)
		return;      /* unchanged, as a larger body would be */
	rw->cap = (size_t)r->body.left;
	rw->collect = true;
	/* the client may wait for this before it sends the body */
	if (r->expect_continue)
		putf(&c->cout, "HTTP/1.1 100 Continue\r\n\r\n");
}

/* The whole body is in: replace the model, then the length and the blank
 * line end the head, and the body follows it. */
static void rw_finish(struct conn *c)
{
	struct rewrite *rw = &c->rw;
	char *out = NULL;
	size_t n = 0;

	rw->collect = false;
	if (fg_gw_model_rewrite(rw->d, rw->len, c->e->ep->fallback_model, &out, &n, rw->was,
				sizeof(rw->was)) > 0) {
		free(rw->d);
		rw->d = out;
		rw->len = rw->cap = n;
		rw->done = true;
	}
	rw->off = 0;
	rw->send = true;
	if (putf(&c->uout, "Content-Length: %zu\r\n\r\n", rw->len) < 0) {
		rw->send = false;
		close_upstream(c);
		c->uout.off = c->uout.len = 0;
		c->route = R_LOCAL;
		c->rq_close = true;
		local_answer(c, 431, "bad_request", 0);
	}
}

/* A request head is complete in cin: judge it, route it, queue it. */
static void on_request_head(struct conn *c, size_t hlen)
{
	const char *h = c->cin.d + c->cin.off;
	struct fg_bk_event ev = { 0 };
	uint64_t retry = 0;
	struct fg_gw_req r;
	int bad = fg_gw_req_parse(h, hlen, &r);
	enum fg_bk_admit a = FG_BK_GO;

	c->t_start = c->last_ms = now_ms();
	c->t_sent = c->t_first = c->up_bytes = c->down_bytes = 0;
	c->status = 0;
	c->rs_head = c->judged = c->slow_said = c->replay = false;
	c->hold = 0;
	rw_reset(&c->rw);
	snprintf(c->method, sizeof(c->method), "%.*s", bad ? 1 : (int)r.method.n,
		 bad ? "-" : r.method.p);
	snprintf(c->path, sizeof(c->path), "%.*s", bad ? 1 : (int)r.path.n, bad ? "-" : r.path.p);
	if (bad) {
		c->route = R_LOCAL;
		c->rq_close = true;
		fg_gw_body_init(&c->rqb, FG_GW_NONE, 0);
		local_answer(c, (unsigned)bad, "bad_request", 0);
		c->cin.off = c->cin.len;
		request_done(c);
		return;
	}
	c->rqb = r.body;
	c->rq_close = r.close;
	c->rq_head_method = r.head;
	if (c->e->attached)
		a = fg_bk_admit(&c->e->bk, &c->t, &retry, NULL, &ev);
	announce(c->g, c->e, &ev);
	c->ticket = c->e->attached && a != FG_BK_REFUSE;
	c->route = a != FG_BK_REFUSE ? R_UPSTREAM : c->e->has_fb ? R_FALLBACK : R_LOCAL;
	if (c->route == R_FALLBACK)
		fg_bk_count_fallback(&c->e->bk);
	compact(&c->uout);
	rw_begin(c, &r);
	if (c->route == R_LOCAL) {
		local_answer(c, 503, "circuit_open", retry > 0 ? (unsigned)((retry + 999) / 1000) : 1);
	} else if (build_head(c, h, hlen, &r) < 0) {
		c->uout.len = c->uout.off = 0;
		c->route = R_LOCAL;
		c->rq_close = true;
		local_answer(c, 431, "bad_request", 0);
	} else {
		c->replay = true;
	}
	c->cin.off += hlen;
	c->st = RQ_BODY;
}

/* --- failures of the upstream ----------------------------------------------------------- */

static void client_closes(struct conn *c)
{
	c->rq_close = true;
	c->st = RQ_CLOSE;
}

/* The upstream connection failed (o: how, for the breaker).  A kept
 * connection that the provider had closed meanwhile gets the request again
 * on a fresh one, once. */
static void upstream_failed(struct conn *c, enum fg_bk_outcome o)
{
	bool had_head = c->rs_head;

	if (c->ureused && c->replay && !c->rs_head && c->hold == 0) {
		close_upstream(c);
		c->uout.off = 0;
		c->rw.off = 0;
		if (upstream_connect(c, c->route == R_FALLBACK ? &c->e->fb : &c->e->up) == 0)
			return;
	}
	if (c->ussl != NULL && SSL_get_verify_result(c->ussl) != X509_V_OK) {
		const struct gw_target *t = c->route == R_FALLBACK ? &c->e->fb : &c->e->up;

		say("the certificate of %s is not trusted: %s (hint: ca_file in [endpoint %s])",
		    t->shown, X509_verify_cert_error_string(SSL_get_verify_result(c->ussl)),
		    c->e->ep->name);
		o = FG_BK_F_CONNECT;
	}
	close_upstream(c);
	if (c->route == R_UPSTREAM)
		report(c, o, 0);
	if (had_head) {
		/* cut in the middle of the body: the client sees it cut */
		if (!c->rsb.done) {
			audit_request(c);
			client_closes(c);
		}
		return;
	}
	c->rq_close = true;
	local_answer(c, 502, c->route == R_FALLBACK ? "fallback_failed" : "upstream_failed", 0);
	request_done(c);
}

/* --- the answer -------------------------------------------------------------------------- */

static void judge(struct conn *c)
{
	const struct fg_breaker_conf *bc = &c->e->ep->breaker;
	enum fg_bk_outcome o = FG_BK_OK;
	unsigned st = c->rs.status;

	if (c->route != R_UPSTREAM)
		return;
	if (fg_status_is_failure(bc, st))
		o = st == 429 ? FG_BK_F_429 : st >= 500 ? FG_BK_F_5XX : FG_BK_F_STATUS;
	else if (bc->slow_first_byte_seconds > 0 && c->t_sent > 0 &&
		 c->t_first - c->t_sent > (uint64_t)bc->slow_first_byte_seconds * 1000u)
		o = FG_BK_F_SLOW;
	report(c, o, c->rs.retry_after);
}

/* Bytes of the answer's body arrived at the end of cout (n of them). */
static void body_bytes(struct conn *c, size_t n)
{
	size_t used = fg_gw_body_feed(&c->rsb, c->cout.d + c->cout.len - n, n);

	if (used < n || c->rsb.bad) {
		/* more than the framing announced: drop it, and the connection */
		c->cout.len -= n - used;
		c->ureusable = false;
		if (c->rsb.bad) {
			close_upstream(c);
			audit_request(c);
			client_closes(c);
			return;
		}
	}
	if (c->rsb.done) {
		if (!c->ureusable)
			close_upstream(c);
		request_done(c);
	}
}

/* Look for a complete head in the held bytes of cout. */
static void scan_head(struct conn *c)
{
	while (!c->rs_head && c->hold > 0) {
		const char *p = c->cout.d + c->cout.len - c->hold;
		size_t e = fg_gw_head_end(p, c->hold), rest;

		if (e == 0) {
			if (c->hold >= FG_GW_HEAD_MAX)
				upstream_failed(c, FG_BK_F_RESET);
			return;
		}
		if (fg_gw_resp_parse(p, e, c->rq_head_method, (int64_t)time(NULL), &c->rs) < 0) {
			upstream_failed(c, FG_BK_F_RESET);
			return;
		}
		rest = c->hold - e;
		c->hold = rest;          /* the head may go to the client */
		if (c->rs.status < 200)
			continue;        /* 100 Continue and the like: the real one follows */
		c->rs_head = true;
		c->replay = false;
		c->status = c->rs.status;
		c->rsb = c->rs.body;
		if (c->rs.close)
			c->ureusable = false;
		judge(c);
		c->hold = 0;
		body_bytes(c, rest);
	}
}

/* --- moving bytes -------------------------------------------------------------------------- */

static bool in_flight(const struct conn *c)
{
	return c->route != R_LOCAL && (c->st == RQ_BODY || c->st == RQ_WAIT);
}

/* 1: bytes moved, 0: nothing to do now. */
static int read_upstream(struct conn *c)
{
	ssize_t n;

	if (c->ufd < 0 || c->uconnecting)
		return 0;
	if (room(&c->cout) == 0)
		compact(&c->cout);
	if (room(&c->cout) == 0)
		return 0;
	n = io_read(c->ufd, c->ussl, c->cout.d + c->cout.len, room(&c->cout), &c->uwant_w);
	if (n == -EAGAIN)
		return 0;
	if (!in_flight(c)) {
		close_upstream(c);   /* a kept connection closed, or talking out of turn */
		return 1;
	}
	if (n <= 0) {
		if (c->rs_head && c->rsb.frame == FG_GW_CLOSE) {
			c->rsb.done = true;
			close_upstream(c);
			request_done(c);
		} else {
			upstream_failed(c, FG_BK_F_RESET);
		}
		return 1;
	}
	if (c->t_first == 0)
		c->t_first = now_ms();
	c->down_bytes += (uint64_t)n;
	c->cout.len += (size_t)n;
	if (!c->rs_head) {
		c->hold += (size_t)n;
		scan_head(c);
	} else {
		body_bytes(c, (size_t)n);
	}
	return 1;
}

/* What goes to the upstream next: uout, then a rewritten body (held back
 * entirely while it is gathered). */
static size_t upstream_next(struct conn *c, const char **p)
{
	if (c->rw.collect)
		return 0;
	if (avail(&c->uout) > 0) {
		*p = c->uout.d + c->uout.off;
		return avail(&c->uout);
	}
	if (c->rw.send && c->rw.off < c->rw.len) {
		*p = c->rw.d + c->rw.off;
		return c->rw.len - c->rw.off;
	}
	return 0;
}

static int write_upstream(struct conn *c)
{
	const char *p = NULL;
	size_t len;
	ssize_t n;

	if (c->ufd < 0 || c->uconnecting || (len = upstream_next(c, &p)) == 0)
		return 0;
	n = io_write(c->ufd, c->ussl, p, len, &c->uwant_w);
	if (n == -EAGAIN)
		return 0;
	if (n <= 0) {
		upstream_failed(c, c->ureused ? FG_BK_F_RESET : FG_BK_F_CONNECT);
		return 1;
	}
	if (avail(&c->uout) > 0)
		c->uout.off += (size_t)n;
	else
		c->rw.off += (size_t)n;
	c->up_bytes += (uint64_t)n;
	if (avail(&c->uout) == 0 && !c->replay)
		c->uout.off = c->uout.len = 0;
	if (upstream_next(c, &p) == 0 && c->rqb.done && c->t_sent == 0)
		c->t_sent = now_ms();
	return 1;
}

/* Body bytes from cin to uout (or dropped, for a local answer). */
static int move_body(struct conn *c)
{
	size_t n = avail(&c->cin), used;

	if (n == 0 || c->rqb.done)
		return 0;
	if (c->rw.collect) {
		if (n > c->rw.cap - c->rw.len)
			n = c->rw.cap - c->rw.len;
	} else if (c->route != R_LOCAL) {
		if (room(&c->uout) < n && !c->replay)
			compact(&c->uout);
		if (room(&c->uout) < n && c->replay) {
			c->replay = false;      /* too long to send twice */
			compact(&c->uout);
		}
		if (room(&c->uout) < n)
			n = room(&c->uout);
		if (n == 0)
			return 0;
	}
	used = fg_gw_body_feed(&c->rqb, c->cin.d + c->cin.off, n);
	if (c->rqb.bad) {
		c->rq_close = true;
		c->rqb.done = true;
	}
	if (c->rw.collect && c->route != R_LOCAL) {
		memcpy(c->rw.d + c->rw.len, c->cin.d + c->cin.off, used);
		c->rw.len += used;
	} else if (c->route != R_LOCAL) {
		put(&c->uout, c->cin.d + c->cin.off, used);
	}
	c->cin.off += used;
	if (c->rw.collect && c->rqb.done && c->route != R_LOCAL)
		rw_finish(c);
	return used > 0;
}

/* The client's bytes: the next head, or the body of this request. */
static int process_client(struct conn *c)
{
	size_t e;

	if (c->st == RQ_HEAD) {
		e = fg_gw_head_end(c->cin.d + c->cin.off, avail(&c->cin));
		if (e == 0) {
			if (avail(&c->cin) >= FG_GW_HEAD_MAX) {
				snprintf(c->method, sizeof(c->method), "-");
				snprintf(c->path, sizeof(c->path), "-");
				c->route = R_LOCAL;
				c->rq_close = true;
				fg_gw_body_init(&c->rqb, FG_GW_NONE, 0);
				c->t_start = now_ms();
				local_answer(c, 431, "bad_request", 0);
				c->cin.off = c->cin.len;
				request_done(c);
				return 1;
			}
			return 0;
		}
		on_request_head(c, e);
		if (c->route != R_LOCAL && upstream_open(c) < 0) {
			if (c->route == R_UPSTREAM)
				report(c, FG_BK_F_CONNECT, 0);
			c->rq_close = true;
			local_answer(c, 502, c->route == R_FALLBACK ? "fallback_failed" :
				     "upstream_failed", 0);
			c->route = R_LOCAL;
			c->uout.off = c->uout.len = 0;
		}
		return 1;
	}
	if (c->st == RQ_BODY) {
		int moved = move_body(c);

		if (c->rqb.done) {
			c->st = RQ_WAIT;
			if (c->route == R_LOCAL || (c->rs_head && c->rsb.done))
				request_done(c);
			return 1;
		}
		return moved;
	}
	return 0;
}

/* The client went away (EOF, reset) with a request in flight: it gave up.
 * After a second of waiting for the answer that counts as a time-out,
 * as the library counts a close before the status line. */
static void client_gone(struct conn *c)
{
	if (in_flight(c) && !c->rs_head) {
		if (c->t_sent > 0 && now_ms() - c->t_sent >= 1000)
			report(c, FG_BK_F_RESET, 0);
		c->status = 499;
		audit_request(c);
	}
	conn_free(c);
}

/* The first byte says whether the client speaks TLS (a handshake record,
 * 22) or plain HTTP (the base-URL form).  1: go on reading, 0: nothing
 * yet, -1: the connection is gone. */
static int sniff_tls(struct conn *c)
{
	unsigned char b;
	ssize_t n = recv(c->cfd, &b, 1, MSG_PEEK);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		conn_free(c);
		return -1;
	}
	c->csniffed = true;
	if (b != 22)
		return 1;
	if (c->g->tls != NULL)
		c->cssl = gw_tls_accept(c->g->tls, c->cfd, c->e->up.host);
	if (c->cssl == NULL) {
		conn_free(c);     /* TLS we cannot serve: no certificate */
		return -1;
	}
	return 1;
}

/* 1: bytes moved, 0: nothing now, -1: the connection is gone. */
static int read_client(struct conn *c)
{
	ssize_t n;

	if (c->st == RQ_CLOSE)
		return 0;
	if (room(&c->cin) == 0)
		compact(&c->cin);
	if (room(&c->cin) == 0)
		return 0;
	if (!c->csniffed) {
		int r = sniff_tls(c);

		if (r <= 0)
			return r;
	}
	n = io_read(c->cfd, c->cssl, c->cin.d + c->cin.len, room(&c->cin), &c->cwant_w);
	if (n == -EAGAIN)
		return 0;
	if (n <= 0) {
		client_gone(c);
		return -1;
	}
	c->cin.len += (size_t)n;
	c->last_ms = now_ms();
	return 1;
}

static int write_client(struct conn *c)
{
	size_t n = avail(&c->cout) - c->hold;
	ssize_t w;

	if (n == 0)
		return 0;
	w = io_write(c->cfd, c->cssl, c->cout.d + c->cout.off, n, &c->cwant_w);
	if (w == -EAGAIN)
		return 0;
	if (w <= 0) {
		client_gone(c);
		return -1;
	}
	c->cout.off += (size_t)w;
	if (avail(&c->cout) == 0)
		c->cout.off = c->cout.len = 0;
	c->last_ms = now_ms();
	return 1;
}

/* Between requests: the answer is out, the next request may start. */
static int next_request(struct conn *c)
{
	if ((c->st != RQ_DONE && c->st != RQ_CLOSE) || avail(&c->cout) > 0)
		return 0;
	if (c->rq_close) {
		conn_free(c);
		return -1;
	}
	c->st = RQ_HEAD;
	compact(&c->cin);
	return 1;
}

static void set_interest(struct conn *c)
{
	uint32_t cw = EPOLLRDHUP, uw = 0;
	const char *p;

	/* room after compaction: read_client makes it */
	if (c->st != RQ_CLOSE && avail(&c->cin) < BUF_CAP)
		cw |= EPOLLIN;
	if (avail(&c->cout) > c->hold || c->cwant_w)
		cw |= EPOLLOUT;
	if (c->ufd >= 0) {
		uw = EPOLLIN | EPOLLRDHUP;
		/* body bytes still in cin (pump stopped at its round limit with
		 * cin full and uout sent): the upstream's room moves them on */
		if (c->uconnecting || upstream_next(c, &p) > 0 || c->uwant_w ||
		    (c->st == RQ_BODY && !c->rqb.done && avail(&c->cin) > 0))
			uw |= EPOLLOUT;
	}
	watch(c->g, c->cfd, &c->cmask, cw, &c->cio);
	watch(c->g, c->ufd, &c->umask, uw, &c->uio);
}

/* Move whatever can move now, in both directions. */
static void pump(struct conn *c)
{
	for (int round = 0; round < 64; round++) {
		int moved = 0, r;

		if ((r = read_client(c)) < 0)
			return;
		moved |= r;
		moved |= process_client(c);
		moved |= write_upstream(c);
		moved |= read_upstream(c);
		if ((r = write_client(c)) < 0)
			return;
		moved |= r;
		if ((r = next_request(c)) < 0)
			return;
		moved |= r;
		if (!moved)
			break;
	}
	set_interest(c);
}

static void upstream_event(struct conn *c, uint32_t events)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (c->ufd >= 0 && c->uconnecting) {
		if (getsockopt(c->ufd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err != 0) {
			upstream_failed(c, FG_BK_F_CONNECT);
		} else if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
			c->uconnecting = false;
		}
	}
	pump(c);
}

/* A name the request waited for is resolved (or not): connect, go on. */
static void on_resolved(void *waiter, int err, const struct gw_addr *a, void *ctx)
{
	struct conn *c = waiter;

	(void)ctx;
	c->resolving = false;
	if (err < 0 || upstream_dial(c, c->route == R_FALLBACK ? &c->e->fb : &c->e->up, a) < 0)
		upstream_failed(c, FG_BK_F_CONNECT);
	if (!c->dead)
		pump(c);
}

static void on_unresolved(const char *host, const char *msg, void *ctx)
{
	(void)ctx;
	say("cannot resolve %s: %s", host, msg);
}

/* --- accepting, timers, the loop ------------------------------------------------------------- */

static int accept_one(struct gw *g, struct gw_ep *e)
{
	int fd = accept4(e->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;
	struct conn *c;
	char *bufs;

	if (fd < 0)
		return -errno;
	c = calloc(1, sizeof(*c));
	bufs = malloc(3 * (size_t)BUF_CAP);
	if (c == NULL || bufs == NULL) {
		free(c);
		free(bufs);
		close(fd);
		return -ENOMEM;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->g = g;
	c->e = e;
	c->cfd = fd;
	c->ufd = -1;
	c->cin.d = bufs;
	c->uout.d = bufs + BUF_CAP;
	c->cout.d = bufs + 2 * BUF_CAP;
	c->cio = (struct gw_io){ .kind = IO_CLIENT, .c = c };
	c->uio = (struct gw_io){ .kind = IO_UPSTREAM, .c = c };
	c->last_ms = now_ms();
	c->next = g->conns;
	if (g->conns != NULL)
		g->conns->prev = c;
	g->conns = c;
	g->nconns++;
	pump(c);
	return 0;
}

/* Slow first bytes are failures as soon as they are late, and connections
 * idle between requests are closed after a while. */
static void sweep(struct gw *g)
{
	uint64_t now = now_ms();
	struct conn *c = g->conns, *next;

	for (; c != NULL; c = next) {
		unsigned slow = c->e->ep->breaker.slow_first_byte_seconds;

		next = c->next;
		if (in_flight(c) && c->route == R_UPSTREAM && c->ticket && slow > 0 &&
		    c->t_sent > 0 && c->t_first == 0 && now - c->t_sent > slow * 1000ull)
			report(c, FG_BK_F_SLOW, 0);
		if (c->st == RQ_HEAD && avail(&c->cin) == 0 && now - c->last_ms > IDLE_CLIENT_MS)
			conn_free(c);
	}
}

static bool root_alive(const struct gw *g)
{
	struct pollfd p = { .fd = g->conf.root_pidfd, .events = POLLIN };

	return g->conf.root_pidfd >= 0 && poll(&p, 1, 0) == 0;
}

/* Idle past the linger time, or idle and let go by the audit daemon (it
 * made way for another policy's tree on the log): leave, unless a client
 * is connecting now. */
static bool may_leave(struct gw *g)
{
	bool took = false, gone;

	if (g->nconns > 0 || root_alive(g) ||
	    (g->conf.roots_path != NULL && fg_gw_roots_alive(g->conf.roots_path)))
		return false;
	gone = g->conf.audit != NULL && fg_audit_daemon_gone(g->conf.audit);
	if (!gone && now_ms() - g->idle_since < g->conf.linger_s * 1000ull)
		return false;
	if (g->conf.lockfd >= 0 && flock(g->conf.lockfd, LOCK_EX | LOCK_NB) < 0)
		return false;
	for (size_t i = 0; i < g->neps; i++)
		while (g->eps[i].lfd >= 0 && accept_one(g, &g->eps[i]) == 0)
			took = true;
	if (took) {
		if (g->conf.lockfd >= 0)
			flock(g->conf.lockfd, LOCK_UN);
		return false;
	}
	if (g->conf.ports_path != NULL)
		unlink(g->conf.ports_path);
	if (gone)
		say("the audit daemon of %s hung up (it made way for another policy's): leaving",
		    fg_audit_path(g->conf.audit));
	else
		say("no client for %u s: leaving", g->conf.linger_s);
	return true;   /* the lock goes with the process */
}

int gw_run(struct gw *g)
{
	struct epoll_event evs[64];
	uint64_t last_sweep = now_ms();

	g->idle_since = now_ms();
	for (;;) {
		int n = epoll_wait(g->epfd, evs, 64, 1000);

		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n; i++) {
			struct gw_io *io = evs[i].data.ptr;

			if (io->kind == IO_LISTEN)
				while (accept_one(g, io->e) == 0)
					;
			else if (io->kind == IO_RESOLVE)
				gw_res_drain(g->res, on_resolved, g, on_unresolved);
			else if (io->c->dead)
				continue;
			else if (io->kind == IO_UPSTREAM)
				upstream_event(io->c, evs[i].events);
			else
				pump(io->c);
		}
		if (now_ms() - last_sweep >= 1000) {
			last_sweep = now_ms();
			sweep(g);
			if (may_leave(g))
				return 0;
		}
		bury(g);
	}
}

/* --- set-up --------------------------------------------------------------------------------- */

static void target_set(struct gw_target *t, const char *host, uint16_t port, bool tls,
		       const char *prefix)
{
	size_t n = strlen(host);
	bool v6 = memchr(host, ':', n) != NULL && host[0] != '[';

	if (n >= 2 && host[0] == '[' && host[n - 1] == ']')
		snprintf(t->host, sizeof(t->host), "%.*s", (int)(n - 2), host + 1);
	else
		snprintf(t->host, sizeof(t->host), "%s", host);
	t->port = port;
	t->tls = tls;
	snprintf(t->prefix, sizeof(t->prefix), "%s", prefix != NULL ? prefix : "");
	snprintf(t->shown, sizeof(t->shown), "%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "",
		 (unsigned)port);
	if (port == (tls ? 443 : 80))
		snprintf(t->authority, sizeof(t->authority), "%s%s%s", v6 ? "[" : "", host,
			 v6 ? "]" : "");
	else
		snprintf(t->authority, sizeof(t->authority), "%s", t->shown);
}

static int listen_on(struct gw_ep *e, uint16_t prefer)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				  .sin_port = htons(prefer) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), rc = 0, one = 1;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (prefer != 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		sa.sin_port = 0;     /* taken meanwhile: any port */
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			prefer = 0xffff;
	} else if (prefer == 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		prefer = 0xffff;
	}
	if (prefer == 0xffff || listen(fd, 1024) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	e->lfd = fd;
	e->port = ntohs(sa.sin_port);
	return 0;
}

/* The credential header from api_key_file: its first line, trimmed. */
static int load_cred(struct gw_ep *e, char *err, size_t errlen)
{
	char key[4096];
	FILE *f = fopen(e->ep->api_key_file, "re");
	size_t n;

	if (f == NULL) {
		snprintf(err, errlen, "cannot read api_key_file '%s' of endpoint %s: %s",
			 e->ep->api_key_file, e->ep->name, strerror(errno));
		return -errno;
	}
	n = fread(key, 1, sizeof(key) - 1, f);
	fclose(f);
	key[n] = '\0';
	key[strcspn(key, "\r\n")] = '\0';
	n = strlen(key);
	while (n > 0 && (key[n - 1] == ' ' || key[n - 1] == '\t'))
		key[--n] = '\0';
	if (n == 0) {
		snprintf(err, errlen, "api_key_file '%s' of endpoint %s is empty",
			 e->ep->api_key_file, e->ep->name);
		return -EINVAL;
	}
	if (asprintf(&e->cred, e->ep->api_key_x ? "x-api-key: %s\r\n" :
		     "Authorization: Bearer %s\r\n", key) < 0) {
		e->cred = NULL;
		return -ENOMEM;
	}
	explicit_bzero(key, sizeof(key));
	return 0;
}

static int ep_setup(struct gw *g, struct gw_ep *e, unsigned i, char *err, size_t errlen)
{
	const struct fg_policy *p = g->conf.pol;
	struct fg_bk_env env = { 0 };
	struct fg_bk_map *m = NULL;
	char key[FG_BK_ADDR_MAX];
	struct fg_bk_conf bc;
	struct epoll_event ev;
	int rc;

	e->ep = &p->ep[i];
	e->idx = i;
	e->lfd = -1;
	snprintf(e->rule, sizeof(e->rule), "%s:%u", p->file, e->ep->line);
	target_set(&e->up, e->ep->host, e->ep->port, e->ep->https, NULL);
	if (e->ep->has_fallback) {
		target_set(&e->fb, e->ep->fallback_host, e->ep->fallback_port, e->ep->fallback_tls,
			   e->ep->fallback_path);
		e->has_fb = true;
	}
	if (e->ep->api_key_file != NULL && (rc = load_cred(e, err, errlen)) < 0)
		return rc;
	if ((e->up.tls && (e->up_ctx = gw_tls_client_ctx(e->ep->ca_file, err, errlen)) == NULL) ||
	    (e->has_fb && e->fb.tls &&
	     (e->fb_ctx = gw_tls_client_ctx(e->ep->ca_file, err, errlen)) == NULL))
		return -EIO;
	rc = fg_bk_map_open(e->ep->breaker.state_dir, &env, &m, err, errlen);
	if (rc < 0)
		return rc;
	fg_bk_conf_from(&bc, &e->ep->breaker);
	/* the slot's key is the library's: "host:port" as the policy has it */
	snprintf(key, sizeof(key), "%s:%u", e->ep->host, (unsigned)e->ep->port);
	rc = fg_bk_attach(m, e->ep->name, key, &bc, &e->bk);
	if (rc < 0) {
		snprintf(err, errlen, "no breaker slot for endpoint %s: %s", e->ep->name,
			 strerror(-rc));
		return rc;
	}
	e->attached = true;
	rc = listen_on(e, i < g->conf.nprefer ? g->conf.prefer[i] : 0);
	if (rc < 0) {
		snprintf(err, errlen, "cannot listen on 127.0.0.1 for endpoint %s: %s",
			 e->ep->name, strerror(-rc));
		return rc;
	}
	e->io = calloc(1, sizeof(struct gw_io));
	if (e->io == NULL)
		return -ENOMEM;
	*(struct gw_io *)e->io = (struct gw_io){ .kind = IO_LISTEN, .e = e };
	ev = (struct epoll_event){ .events = EPOLLIN, .data.ptr = e->io };
	return epoll_ctl(g->epfd, EPOLL_CTL_ADD, e->lfd, &ev) < 0 ? -errno : 0;
}

int gw_new(const struct gw_conf *conf, struct gw **out, char *err, size_t errlen)
{
	struct gw *g = calloc(1, sizeof(*g));
	struct epoll_event ev;
	int rc = 0;

	err[0] = '\0';
	if (g == NULL)
		return -ENOMEM;
	g->conf = *conf;
	g->epfd = epoll_create1(EPOLL_CLOEXEC);
	g->eps = calloc(conf->pol->nep ? conf->pol->nep : 1, sizeof(*g->eps));
	if (g->epfd < 0 || g->eps == NULL || gw_res_new(&g->res) < 0) {
		rc = -ENOMEM;
		goto out_free;
	}
	g->rio = (struct gw_io){ .kind = IO_RESOLVE };
	ev = (struct epoll_event){ .events = EPOLLIN, .data.ptr = &g->rio };
	if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, gw_res_fd(g->res), &ev) < 0) {
		rc = -errno;
		goto out_free;
	}
	for (size_t i = 0; i < conf->pol->nep && g->tls == NULL; i++) {
		if (conf->pol->ep[i].https && conf->ca_dir != NULL) {
			rc = gw_tls_new(conf->ca_dir, &g->tls, err, errlen);
			if (rc < 0)
				goto out_free;
		}
	}
	for (size_t i = 0; i < conf->pol->nep; i++) {
		g->neps++;
		rc = ep_setup(g, &g->eps[i], (unsigned)i, err, errlen);
		if (rc < 0)
			goto out_free;
	}
	*out = g;
	return 0;
out_free:
	gw_free(g);
	return rc;
}

uint16_t gw_port(const struct gw *g, unsigned i)
{
	return i < g->neps ? g->eps[i].port : 0;
}

void gw_free(struct gw *g)
{
	if (g == NULL)
		return;
	while (g->conns != NULL)
		conn_free(g->conns);
	bury(g);
	for (size_t i = 0; g->eps != NULL && i < g->neps; i++) {
		if (g->eps[i].lfd >= 0)
			close(g->eps[i].lfd);
		free(g->eps[i].io);
		SSL_CTX_free(g->eps[i].up_ctx);
		SSL_CTX_free(g->eps[i].fb_ctx);
		if (g->eps[i].cred != NULL) {
			explicit_bzero(g->eps[i].cred, strlen(g->eps[i].cred));
			free(g->eps[i].cred);
		}
	}
	/* the breaker maps stay until exit: slots may share one */
	free(g->eps);
	gw_res_free(g->res);
	gw_tls_free(g->tls);
	if (g->epfd >= 0)
		close(g->epfd);
	free(g);
}
