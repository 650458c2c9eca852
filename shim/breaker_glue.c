/* breaker_glue.c - the circuit breaker seen from the shim.
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
/*
 * Which addresses belong to which endpoint (learned from getaddrinfo and
 * literal addresses), admitting or refusing connects, and judging each
 * admitted call from what its socket shows: the connect outcome, then the
 * first bytes of the answer (plain, or through OpenSSL) or how it ended.
 * The state machine and the shared state are breaker/'s.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "breaker/breaker.h"
#include "shim/breaker_glue.h"
#include "shim/gateway_glue.h"
#include "shim/shim.h"

/* --- endpoints ------------------------------------------------------------ */

struct ep_rt {
	const struct fg_endpoint *ep;
	struct fg_bk bk;
	bool attached;
	char shown[FG_BK_ADDR_MAX];       /* "host:port" as in the policy */
	char rule[PATH_MAX + 16];         /* "file:line" of its section */
	int fb_family;                    /* 0: no usable fallback */
	struct sockaddr_in fb4;
	struct sockaddr_in6 fb6;          /* also the v4-mapped form of fb4 */
	char fb_shown[FG_BK_ADDR_MAX];
};

static struct ep_rt *eps;
static size_t neps;

static void child_after_fork(void);

/* Addresses known to belong to an endpoint, append-only and lock-free: an
 * entry is reserved with a fetch-add and published by its ready flag. */
#define LEARN_MAX 512
struct learned {
	_Atomic unsigned char ready;
	unsigned char family;
	uint16_t ep;
	unsigned char addr[16];
};
static struct learned learned[LEARN_MAX];
static _Atomic unsigned nlearned;

static bool addr_of(const struct sockaddr *sa, socklen_t len, int *family, unsigned char a[16],
		    uint16_t *port)
{
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;

		*family = AF_INET;
		memset(a, 0, 16);
		memcpy(a, &s4->sin_addr, 4);
		*port = ntohs(s4->sin_port);
		return true;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;

		*port = ntohs(s6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			*family = AF_INET;
			memset(a, 0, 16);
			memcpy(a, s6->sin6_addr.s6_addr + 12, 4);
		} else {
			*family = AF_INET6;
			memcpy(a, &s6->sin6_addr, 16);
		}
		return true;
	}
	return false;
}

static void learn(int family, const unsigned char a[16], size_t ep)
{
	unsigned n = atomic_load_explicit(&nlearned, memory_order_acquire), i;

	for (i = 0; i < n && i < LEARN_MAX; i++)
		if (atomic_load_explicit(&learned[i].ready, memory_order_acquire) &&
		    learned[i].family == family && learned[i].ep == ep &&
		    memcmp(learned[i].addr, a, 16) == 0)
			return;
	i = atomic_fetch_add(&nlearned, 1);
	if (i >= LEARN_MAX) {
		atomic_store(&nlearned, LEARN_MAX);
		return;
	}
	learned[i].family = (unsigned char)family;
	learned[i].ep = (uint16_t)ep;
	memcpy(learned[i].addr, a, 16);
	atomic_store_explicit(&learned[i].ready, 1, memory_order_release);
}

/* The endpoint that (family, a, port) belongs to, or -1. */
static int endpoint_of(int family, const unsigned char a[16], uint16_t port)
{
	unsigned n = atomic_load_explicit(&nlearned, memory_order_acquire);

	for (unsigned i = 0; i < n && i < LEARN_MAX; i++) {
		const struct learned *l = &learned[i];

		if (atomic_load_explicit(&l->ready, memory_order_acquire) && l->family == family &&
		    eps[l->ep].ep->port == port && memcmp(l->addr, a, 16) == 0)
			return l->ep;
	}
	return -1;
}

static bool literal(const char *host, int *family, unsigned char a[16])
{
	char buf[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(host);

	memset(a, 0, 16);
	if (inet_pton(AF_INET, host, a) == 1) {
		*family = AF_INET;
		return true;
	}
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(buf)) {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
		host = buf;
	}
	if (inet_pton(AF_INET6, host, a) == 1) {
		*family = AF_INET6;
		return true;
	}
	return false;
}

static void setup_fallback(struct ep_rt *r)
{
	const struct fg_endpoint *ep = r->ep;
	unsigned char a[16];
	int family;

	if (!ep->has_fallback || ep->https || ep->gateway)
		return;     /* (the gateway serves its endpoints' fallbacks) */
	if (!literal(ep->fallback_host, &family, a)) {
		fg_say("fallback '%s' of endpoint %s is not a literal address; not used",
		       ep->fallback_host, ep->name);
		return;
	}
	r->fb_family = family;
	r->fb6.sin6_family = AF_INET6;
	r->fb6.sin6_port = htons(ep->fallback_port);
	if (family == AF_INET) {
		r->fb4.sin_family = AF_INET;
		r->fb4.sin_port = htons(ep->fallback_port);
		memcpy(&r->fb4.sin_addr, a, 4);
		r->fb6.sin6_addr.s6_addr[10] = 0xff;
		r->fb6.sin6_addr.s6_addr[11] = 0xff;
		memcpy(r->fb6.sin6_addr.s6_addr + 12, a, 4);
	} else {
		memcpy(&r->fb6.sin6_addr, a, 16);
	}
	snprintf(r->fb_shown, sizeof(r->fb_shown), "%s:%u", ep->fallback_host,
		 (unsigned)ep->fallback_port);
}

static void say_cb(void *ctx, const char *msg)
{
	fg_say("%s", msg);
}

/* State files by state_dir: endpoints may each name their own. */
struct map_rt {
	const struct fg_breaker_conf *c;
	struct fg_bk_map *m;     /* NULL: could not be opened (said once) */
};
static struct map_rt *maps;
static size_t nmaps;

/* Two configurations that search the same state directories. */
static bool same_dirs(const struct fg_breaker_conf *a, const struct fg_breaker_conf *b)
{
	const char *x, *y;

	if (a == NULL || b == NULL)
		return false;
	x = a->state_dir;
	y = b->state_dir;
	return a->state_dir_set == b->state_dir_set &&
	       (x == y || (x != NULL && y != NULL && strcmp(x, y) == 0));
}

static struct fg_bk_map *map_for(const struct fg_endpoint *ep)
{
	struct fg_bk_env env = { .say = say_cb };
	char err[4400];
	int rc;

	for (size_t i = 0; i < nmaps; i++)
		if (same_dirs(maps[i].c, &ep->breaker))
			return maps[i].m;
	maps[nmaps].c = &ep->breaker;
	rc = fg_bk_map_open_conf(&ep->breaker, &env, &maps[nmaps].m, err, sizeof(err));
	if (rc < 0)
		fg_say("%s; circuit breaker off for the endpoints that use it",
		       err[0] ? err : strerror(-rc));
	return maps[nmaps++].m;
}

static void bk_init_once(void)
{
	const struct fg_policy *p = fg_g.pol;
	size_t attached = 0;

	if (p == NULL || p->nep == 0)
		return;
	fg_in_guard++;
	eps = calloc(p->nep, sizeof(*eps));
	maps = calloc(p->nep, sizeof(*maps));
	if (eps == NULL || maps == NULL) {
		free(eps);
		free(maps);
		eps = NULL;
		maps = NULL;
		goto out;
	}
	for (size_t i = 0; i < p->nep; i++) {
		struct ep_rt *r = &eps[i];
		struct fg_bk_map *m = map_for(r->ep = &p->ep[i]);
		struct fg_bk_conf conf;
		unsigned char a[16];
		int family, rc;

		snprintf(r->shown, sizeof(r->shown), "%s:%u", r->ep->host, (unsigned)r->ep->port);
		snprintf(r->rule, sizeof(r->rule), "%s:%u", p->file, r->ep->line);
		if (m == NULL)
			continue;
		fg_bk_conf_from(&conf, &r->ep->breaker);
		rc = fg_bk_attach(m, r->ep->name, r->shown, &conf, &r->bk);
		if (rc < 0) {
			fg_say("no breaker slot for endpoint %s in '%s': %s; its circuit is off",
			       r->ep->name, fg_bk_map_path(m), strerror(-rc));
			continue;
		}
		r->attached = true;
		attached++;
		if (literal(r->ep->host, &family, a))
			learn(family, a, i);
		setup_fallback(r);
	}
	neps = attached > 0 ? p->nep : 0;
	pthread_atfork(NULL, NULL, child_after_fork);
out:
	fg_in_guard--;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* Idempotent: the constructor calls it, and so does the first connect or
 * lookup of a process whose constructor did not. */
void fg_bk_init(void)
{
	pthread_once(&init_once, bk_init_once);
}

bool fg_bk_owns(const char *path, size_t len)
{
	for (size_t i = 0; i < nmaps; i++) {
		const char *own;
		size_t n;

		if (maps[i].m == NULL)
			continue;
		own = fg_bk_map_path(maps[i].m);
		n = strlen(own);
		/* the state file, its .lock and its rebuild temporaries */
		if (len >= n && memcmp(path, own, n) == 0 && (len == n || path[n] == '.'))
			return true;
	}
	return false;
}

void fg_bk_learn(const char *host, const struct addrinfo *res)
{
	fg_bk_init();
	if (neps == 0 || host == NULL)
		return;
	for (size_t i = 0; i < neps; i++) {
		if (strcasecmp(eps[i].ep->host, host) != 0)
			continue;
		for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
			unsigned char a[16];
			uint16_t port;
			int family;

			if (ai->ai_addr != NULL && addr_of(ai->ai_addr, ai->ai_addrlen, &family, a, &port))
				learn(family, a, i);
		}
	}
}

/* --- transitions: one stderr line and one audit record each --------------- */

/* Whole seconds for a message: rounded, but never 0 for time still left. */
static unsigned secs(uint64_t ms)
{
	return ms > 0 && ms < 1000 ? 1 : (unsigned)((ms + 500) / 1000);
}

static void announce(struct ep_rt *r, const struct fg_bk_event *ev)
{
	uint64_t now = fg_bk_clock_ms();
	uint64_t left = ev->until_ms > now ? ev->until_ms - now : 0;
	struct fg_audit_field f[8];
	size_t n = 0;

	if (!ev->changed)
		return;
	switch (ev->to) {
	case FG_BK_OPEN:
		fg_say("circuit %s for %s: %s after %u consecutive failures, next probe in %u s",
		       ev->from == FG_BK_CLOSED ? "opened" : "re-opened", r->shown, ev->why,
		       ev->failures, secs(left));
		break;
	case FG_BK_HALF:
		fg_say("circuit half-open for %s: %s, probing", r->shown, ev->why);
		break;
	case FG_BK_CLOSED:
		fg_say("circuit closed for %s: %s", r->shown, ev->why);
		break;
	}
	f[n++] = (struct fg_audit_field){ .key = "endpoint", .type = FG_AF_STR, .s = r->ep->name,
					  .len = strlen(r->ep->name) };
	f[n++] = (struct fg_audit_field){ .key = "addr", .type = FG_AF_STR, .s = r->shown,
					  .len = strlen(r->shown) };
	f[n++] = (struct fg_audit_field){ .key = "from", .type = FG_AF_STR,
					  .s = fg_bk_state_name(ev->from),
					  .len = strlen(fg_bk_state_name(ev->from)) };
	f[n++] = (struct fg_audit_field){ .key = "to", .type = FG_AF_STR,
					  .s = fg_bk_state_name(ev->to),
					  .len = strlen(fg_bk_state_name(ev->to)) };
	f[n++] = (struct fg_audit_field){ .key = "why", .type = FG_AF_STR, .s = ev->why,
					  .len = strlen(ev->why) };
	f[n++] = (struct fg_audit_field){ .key = "failures", .type = FG_AF_INT, .i = ev->failures };
	f[n++] = (struct fg_audit_field){ .key = "generation", .type = FG_AF_INT, .i = ev->gen };
	f[n++] = (struct fg_audit_field){ .key = "seconds", .type = FG_AF_INT, .i = secs(left) };
	fg_record_fields("breaker", f, n, NULL, r->rule, 0);
}

/* --- calls in flight, one per tracked descriptor --------------------------- */

enum phase { P_CONNECTING = 0, P_UP, P_JUDGED, P_IGNORE };

struct call {
	atomic_flag lock;
	int fd;
	ino_t ino;         /* the socket's inode: is fd still that socket? */
	uint16_t ep;
	uint8_t phase;
	bool tls;          /* https endpoint: the fd carries TLS records */
	bool mapped;       /* an SSL object is known on it: judge the plaintext */
	bool sent;         /* request bytes written since the call began */
	bool got;          /* answer bytes seen since the request */
	struct fg_bk_ticket t;
	uint64_t start_ms, sent_ms, first_ms;
	struct fg_http_sniff sn;
};

_Atomic unsigned char fg_bk_active[FG_BK_FDS];
/* Never freed: a hook in another thread may still hold one (the fd number
 * is reused by the next socket). */
static struct call *_Atomic calls[FG_BK_FDS];

static struct call *call_get(int fd)
{
	struct call *c = atomic_load(&calls[fd]), *fresh;

	if (c != NULL)
		return c;
	fresh = calloc(1, sizeof(*fresh));
	if (fresh == NULL)
		return NULL;
	atomic_flag_clear(&fresh->lock);
	if (atomic_compare_exchange_strong(&calls[fd], &c, fresh))
		return fresh;
	free(fresh);
	return c;
}

static void lock(struct call *c)
{
	while (atomic_flag_test_and_set_explicit(&c->lock, memory_order_acquire))
		;
}

static void unlock(struct call *c)
{
	atomic_flag_clear_explicit(&c->lock, memory_order_release);
}

static bool conn_failure(int err)
{
	return err == ECONNREFUSED || err == ENETUNREACH || err == EHOSTUNREACH ||
	       err == ETIMEDOUT || err == ECONNRESET || err == ECONNABORTED;
}

static void release(struct call *c);

/* Is c->fd still the socket the call was made on?  A descriptor closed in a
 * way we do not see (dup2 onto it, a libc-internal close) and reused for a
 * file must not be judged by that file's bytes. */
static bool same_socket(const struct call *c)
{
	struct stat st;
	bool same;

	fg_in_guard++;
	same = fstat(c->fd, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_ino == c->ino;
	fg_in_guard--;
	return same;
}

static void report(struct call *c, enum fg_bk_outcome o, unsigned retry)
{
	struct ep_rt *r = &eps[c->ep];
	struct fg_bk_event ev;

	if (!same_socket(c)) {
		release(c);
		atomic_store(&fg_bk_active[c->fd], 0);
		return;
	}
	c->phase = P_JUDGED;
	if (fg_bk_report(&r->bk, &c->t, o, retry, getpid(), &ev) > 0)
		announce(r, &ev);
}

static void judge_status(struct call *c)
{
	const struct fg_breaker_conf *bc = &eps[c->ep].ep->breaker;
	unsigned st = c->sn.status;
	enum fg_bk_outcome o = FG_BK_OK;

	if (fg_status_is_failure(bc, st))
		o = st == 429 ? FG_BK_F_429 : st >= 500 ? FG_BK_F_5XX : FG_BK_F_STATUS;
	else if (bc->slow_first_byte_seconds > 0 &&
		 c->first_ms - c->sent_ms > (uint64_t)bc->slow_first_byte_seconds * 1000u)
		o = FG_BK_F_SLOW;
	report(c, o, st == 429 || st == 503 ? c->sn.retry_after : 0);
}

static void release(struct call *c)
{
	fg_bk_release(&eps[c->ep].bk, &c->t);
	c->phase = P_IGNORE;
}

/* A new request on a connection whose last answer was judged (keep-alive):
 * a new call, admitted like a connect but never refused (it is not one). */
static void rearm(struct call *c)
{
	struct ep_rt *r = &eps[c->ep];
	struct fg_bk_event ev;

	if (fg_bk_admit(&r->bk, &c->t, NULL, NULL, &ev) == FG_BK_REFUSE) {
		c->phase = P_IGNORE;
	} else {
		c->phase = P_UP;
		c->sent = c->got = false;
		fg_http_sniff_init(&c->sn);
	}
	announce(r, &ev);
}

/* The answer ended (EOF, reset, TLS shutdown, close) before it was judged. */
static void ended(struct call *c, int err)
{
	if (c->phase == P_CONNECTING) {
		report(c, FG_BK_F_CONNECT, 0);
		return;
	}
	if (c->phase != P_UP)
		return;
	if (!c->sent) {
		if (conn_failure(err))
			report(c, FG_BK_F_CONNECT, 0);
		return;
	}
	if ((!c->tls || c->mapped) && fg_http_sniff_eof(&c->sn) == FG_SNIFF_DONE)
		judge_status(c);
	else if (c->tls && !c->mapped && c->got)
		report(c, FG_BK_OK, 0);
	else
		report(c, FG_BK_F_RESET, 0);
}

/* Plaintext written: the request (or the next one on this connection). */
static void wrote(struct call *c)
{
	if (c->phase == P_CONNECTING)
		c->phase = P_UP;
	if (c->phase == P_JUDGED)
		rearm(c);
	if (c->phase == P_UP && !c->sent) {
		c->sent = true;
		c->sent_ms = fg_bk_clock_ms();
	}
}

/* Plaintext read: the first bytes of the answer go to the sniffer. */
static void data(struct call *c, const struct iovec *iov, int iovcnt, size_t n)
{
	enum fg_sniff_result r = FG_SNIFF_MORE;
	int64_t wall = (int64_t)time(NULL);

	if (c->phase == P_CONNECTING)
		c->phase = P_UP;
	if (c->phase != P_UP || !c->sent)
		return;
	if (!c->got) {
		c->got = true;
		c->first_ms = fg_bk_clock_ms();
	}
	for (int i = 0; i < iovcnt && n > 0 && r == FG_SNIFF_MORE; i++) {
		size_t m = iov[i].iov_len < n ? iov[i].iov_len : n;

		r = fg_http_sniff_feed(&c->sn, iov[i].iov_base, m, wall);
		n -= m;
	}
	if (r == FG_SNIFF_DONE)
		judge_status(c);
	else if (r == FG_SNIFF_NOT_HTTP)
		report(c, FG_BK_OK, 0);
}

static void tls_learn(struct call *c, int fd);

void fg_bk_on_write(int fd, ssize_t n)
{
	struct call *c = atomic_load(&calls[fd]);
	int saved = errno;

	if (n <= 0 || c == NULL)
		return;
	lock(c);
	if (!c->tls) {
		wrote(c);
	} else {
		/* TLS records: only where no SSL object shows the plaintext
		 * (a client with its own BIO) are they the request itself. */
		if (c->phase == P_CONNECTING)
			c->phase = P_UP;
		if (!c->mapped)
			tls_learn(c, fd);
		if (!c->mapped && c->phase == P_UP && !c->sent) {
			c->sent = true;
			c->sent_ms = fg_bk_clock_ms();
		}
	}
	unlock(c);
	errno = saved;
}

void fg_bk_sent(int fd, ssize_t n)
{
	if (fg_bk_tracked(fd))
		fg_bk_on_write(fd, n);
}

void fg_bk_on_read(int fd, const struct iovec *iov, int iovcnt, ssize_t n, int err)
{
	struct call *c = atomic_load(&calls[fd]);
	size_t want = 0;
	int saved = errno;

	if (c == NULL)
		return;
	for (int i = 0; i < iovcnt; i++)
		want += iov[i].iov_len;
	lock(c);
	if (n > 0 && !c->tls) {
		data(c, iov, iovcnt, (size_t)n);
	} else if (n > 0) {
		if (c->phase == P_CONNECTING)
			c->phase = P_UP;
		if (!c->mapped)
			tls_learn(c, fd);
		/* Opaque TLS: an answer at all is all we can judge, when
		 * the connection ends. */
		if (!c->mapped && c->phase == P_UP && c->sent)
			c->got = true;
	} else if ((n == 0 && want > 0) || (n < 0 && conn_failure(err))) {
		ended(c, n < 0 ? err : 0);
	}
	unlock(c);
	errno = saved;
}

void fg_bk_on_sockerr(int fd, int soerr)
{
	struct call *c = atomic_load(&calls[fd]);
	int saved = errno;

	if (c == NULL)
		return;
	lock(c);
	if (c->phase == P_CONNECTING) {
		if (soerr == 0)
			c->phase = P_UP;
		else if (conn_failure(soerr))
			report(c, FG_BK_F_CONNECT, 0);
	}
	unlock(c);
	errno = saved;
}

void fg_bk_on_close(int fd)
{
	struct call *c = atomic_load(&calls[fd]);
	int saved = errno;

	if (c == NULL)
		return;
	lock(c);
	if (c->phase == P_CONNECTING) {
		/* Given up connecting: a time-out if it took a while; a
		 * happy-eyeballs loser or a change of mind if not. */
		if (fg_bk_clock_ms() - c->start_ms >= 1000)
			report(c, FG_BK_F_CONNECT, 0);
		else
			release(c);
	} else if (c->phase == P_UP) {
		if (c->sent)
			ended(c, 0);
		else
			release(c);
	}
	c->phase = P_IGNORE;
	atomic_store_explicit(&fg_bk_active[fd], 0, memory_order_relaxed);
	unlock(c);
	errno = saved;
}

void fg_bk_forget(int fd)
{
	struct call *c = atomic_load(&calls[fd]);

	if (c == NULL)
		return;
	lock(c);
	if (c->phase == P_CONNECTING || c->phase == P_UP)
		release(c);
	c->phase = P_IGNORE;
	atomic_store(&fg_bk_active[fd], 0);
	unlock(c);
}

/* --- connect -------------------------------------------------------------- */

static int refuse(struct ep_rt *r, int fd, const struct sockaddr *sa, unsigned failures,
		  uint64_t retry_ms, int (*real_connect)(int, const struct sockaddr *, socklen_t))
{
	const struct sockaddr *fsa = NULL;
	socklen_t flen = 0;
	struct fg_audit_field f[3] = {
		{ .key = "addr", .type = FG_AF_STR, .s = r->shown, .len = strlen(r->shown) },
		{ .key = "endpoint", .type = FG_AF_STR, .s = r->ep->name, .len = strlen(r->ep->name) },
		{ .key = "fallback", .type = FG_AF_STR, .s = r->fb_shown, .len = strlen(r->fb_shown) },
	};
	int rc, err;

	if (r->fb_family != 0 && sa->sa_family == AF_INET6) {
		fsa = (const struct sockaddr *)(const void *)&r->fb6;
		flen = sizeof(r->fb6);
	} else if (r->fb_family == AF_INET && sa->sa_family == AF_INET) {
		fsa = (const struct sockaddr *)(const void *)&r->fb4;
		flen = sizeof(r->fb4);
	}
	if (fsa == NULL) {
		fg_say("circuit open for %s (%u consecutive failures), next probe in %u s", r->shown,
		       failures, secs(retry_ms));
		fg_record_fields("connect", f, 2, "deny", r->rule, ECONNREFUSED);
		errno = ECONNREFUSED;
		return -1;
	}
	fg_bk_count_fallback(&r->bk);
	fg_say("circuit open for %s (%u consecutive failures), using fallback %s", r->shown,
	       failures, r->fb_shown);
	rc = real_connect(fd, fsa, flen);
	err = rc < 0 ? errno : 0;
	fg_record_fields("connect", f, 3, "allow", r->rule,
			 err == EINPROGRESS || err == EINTR ? 0 : err);
	errno = err;
	return rc;
}

/* An endpoint socket we cannot track (fd beyond the table): judged by its
 * connect alone. */
static int connect_untracked(struct ep_rt *r, const struct fg_bk_ticket *t, int fd,
			     const struct sockaddr *sa, socklen_t len,
			     int (*real_connect)(int, const struct sockaddr *, socklen_t))
{
	struct fg_bk_event ev;
	int rc = real_connect(fd, sa, len), err = errno;

	if (rc < 0 && conn_failure(err)) {
		if (fg_bk_report(&r->bk, t, FG_BK_F_CONNECT, 0, getpid(), &ev) > 0)
			announce(r, &ev);
	} else if (rc == 0 && t->probe) {
		if (fg_bk_report(&r->bk, t, FG_BK_OK, 0, getpid(), &ev) > 0)
			announce(r, &ev);
	} else {
		fg_bk_release(&r->bk, t);
	}
	errno = err;
	return rc;
}

static ino_t socket_ino(int fd)
{
	struct stat st;
	ino_t ino = 0;

	fg_in_guard++;
	if (fstat(fd, &st) == 0)
		ino = st.st_ino;
	fg_in_guard--;
	return ino;
}

/* connect() again on a socket still connecting (the poll-then-connect way
 * of learning the outcome). */
static int reconnect(struct call *c, int fd, const struct sockaddr *sa, socklen_t len,
		     int (*real_connect)(int, const struct sockaddr *, socklen_t))
{
	int rc = real_connect(fd, sa, len), err = errno;

	lock(c);
	if (c->phase == P_CONNECTING) {
		if (rc == 0 || err == EISCONN)
			c->phase = P_UP;
		else if (conn_failure(err))
			report(c, FG_BK_F_CONNECT, 0);
	}
	unlock(c);
	errno = err;
	return rc;
}

int fg_bk_connect(int fd, const struct sockaddr *sa, socklen_t len,
		  int (*real_connect)(int, const struct sockaddr *, socklen_t))
{
	struct fg_bk_ticket t;
	struct fg_bk_event ev;
	struct ep_rt *r;
	struct call *c;
	unsigned char a[16];
	unsigned failures = 0;
	uint64_t retry = 0;
	uint16_t port;
	int family, ep, rc, err;

	fg_bk_init();
	if (neps == 0 || sa == NULL || !addr_of(sa, len, &family, a, &port))
		return real_connect(fd, sa, len);
	ep = endpoint_of(family, a, port);
	if (fg_bk_tracked(fd)) {
		c = atomic_load(&calls[fd]);
		if (c->phase == P_CONNECTING && c->ep == ep)
			return reconnect(c, fd, sa, len, real_connect);
		/* The number was closed behind our back (a close we do not
		 * see) and reused: the old call is unknown, not failed. */
		fg_bk_forget(fd);
	}
	if (ep >= 0 && eps[ep].ep->gateway && fg_gw_connect((unsigned)ep, fd, sa, len, real_connect, &rc))
		return rc;
	if (ep < 0 || !eps[ep].attached)
		return real_connect(fd, sa, len);
	r = &eps[ep];
	switch (fg_bk_admit(&r->bk, &t, &retry, &failures, &ev)) {
	case FG_BK_REFUSE:
		announce(r, &ev);
		return refuse(r, fd, sa, failures, retry, real_connect);
	case FG_BK_GO:
	case FG_BK_PROBE:
		announce(r, &ev);
		break;
	}
	c = (unsigned)fd < FG_BK_FDS ? call_get(fd) : NULL;
	if (c == NULL)
		return connect_untracked(r, &t, fd, sa, len, real_connect);
	lock(c);
	c->fd = fd;
	c->ino = socket_ino(fd);
	c->ep = (uint16_t)ep;
	c->phase = P_CONNECTING;
	if (!c->tls && r->ep->https)
		atomic_fetch_add(&fg_bk_ntls, 1);
	else if (c->tls && !r->ep->https)
		atomic_fetch_sub(&fg_bk_ntls, 1);
	c->tls = r->ep->https;
	c->mapped = c->sent = c->got = false;
	c->t = t;
	c->start_ms = fg_bk_clock_ms();
	fg_http_sniff_init(&c->sn);
	atomic_store(&fg_bk_active[fd], 1);
	unlock(c);

	rc = real_connect(fd, sa, len);
	err = rc < 0 ? errno : 0;
	lock(c);
	if (c->phase == P_CONNECTING) {
		if (rc == 0) {
			c->phase = P_UP;
		} else if (err == EINPROGRESS || err == EALREADY || err == EINTR) {
			/* the outcome comes through SO_ERROR, a second
			 * connect, or the first read or write */
		} else {
			if (conn_failure(err))
				report(c, FG_BK_F_CONNECT, 0);
			else
				release(c);   /* a local error, not the endpoint's */
			atomic_store(&fg_bk_active[fd], 0);
		}
	}
	unlock(c);
	errno = err;
	return rc;
}

/* --- OpenSSL objects mapped to tracked sockets ---------------------------- */

#define SSL_SLOTS 1024u
#define SSL_TOMB ((uintptr_t)1)

static struct {
	_Atomic uintptr_t key;
	_Atomic int fd;
} sslmap[SSL_SLOTS];
_Atomic unsigned fg_bk_nssl;
_Atomic unsigned fg_bk_ntls;
__thread const void *fg_bk_ssl_cur;

static unsigned ssl_hash(const void *ssl)
{
	uintptr_t k = (uintptr_t)ssl;

	return (unsigned)((k >> 4) ^ (k >> 16)) % SSL_SLOTS;
}

static int ssl_find(const void *ssl)
{
	unsigned h = ssl_hash(ssl);

	for (unsigned i = 0; i < SSL_SLOTS; i++) {
		unsigned j = (h + i) % SSL_SLOTS;
		uintptr_t k = atomic_load(&sslmap[j].key);

		if (k == (uintptr_t)ssl)
			return (int)j;
		if (k == 0)
			return -1;
	}
	return -1;
}

void fg_bk_ssl_free(const void *ssl)
{
	int j = ssl_find(ssl);

	if (j < 0)
		return;
	atomic_store(&sslmap[j].key, SSL_TOMB);
	atomic_fetch_sub(&fg_bk_nssl, 1);
}

/* Map ssl to fd; false if the table is full. */
static bool ssl_insert(const void *ssl, int fd)
{
	unsigned h = ssl_hash(ssl);
	int j = ssl_find(ssl);

	if (j >= 0) {
		atomic_store(&sslmap[j].fd, fd);
		return true;
	}
	for (unsigned i = 0; i < SSL_SLOTS; i++) {
		unsigned k = (h + i) % SSL_SLOTS;
		uintptr_t old = atomic_load(&sslmap[k].key);

		if ((old == 0 || old == SSL_TOMB) &&
		    atomic_compare_exchange_strong(&sslmap[k].key, &old, (uintptr_t)ssl)) {
			atomic_store(&sslmap[k].fd, fd);
			atomic_fetch_add(&fg_bk_nssl, 1);
			return true;
		}
	}
	return false;   /* table full: judged at the TLS level only */
}

/* From now on the plaintext of ssl tells how the call on c went: what the
 * TLS records showed so far (the handshake) is forgotten. */
static void mapped(struct call *c)
{
	c->mapped = true;
	if (c->phase == P_UP) {
		c->sent = c->got = false;
		fg_http_sniff_init(&c->sn);
	}
}

void fg_bk_ssl_set_fd(const void *ssl, int fd)
{
	struct call *c;

	if (!fg_bk_tracked(fd)) {
		fg_bk_ssl_free(ssl);
		return;
	}
	if (!ssl_insert(ssl, fd))
		return;
	c = atomic_load(&calls[fd]);
	lock(c);
	mapped(c);
	unlock(c);
}

/* A client with its own BIO never tells which socket an SSL object uses
 * (curl): the TLS records written or read on a tracked socket while this
 * thread is inside SSL_read/SSL_write of an unmapped object are its. */
static void tls_learn(struct call *c, int fd)
{
	if (fg_bk_ssl_cur == NULL || !ssl_insert(fg_bk_ssl_cur, fd))
		return;
	mapped(c);
}

/* The tracked call behind ssl, locked, or NULL. */
static struct call *ssl_call(const void *ssl)
{
	int j = ssl_find(ssl), fd;
	struct call *c;

	if (j < 0)
		return NULL;
	fd = atomic_load(&sslmap[j].fd);
	if (!fg_bk_tracked(fd))
		return NULL;
	c = atomic_load(&calls[fd]);
	lock(c);
	if (!c->mapped) {
		unlock(c);
		return NULL;
	}
	return c;
}

void fg_bk_ssl_wrote(const void *ssl, ssize_t n)
{
	struct call *c;
	int saved = errno;

	if (n <= 0 || (c = ssl_call(ssl)) == NULL)
		return;
	wrote(c);
	unlock(c);
	errno = saved;
}

void fg_bk_ssl_read(const void *ssl, const void *buf, ssize_t n, int ssl_err)
{
	/* SSL_ERROR_SSL 1, SSL_ERROR_SYSCALL 5, SSL_ERROR_ZERO_RETURN 6 end
	 * the stream; WANT_READ and the like do not. */
	bool end = n <= 0 && (ssl_err == 1 || ssl_err == 5 || ssl_err == 6);
	struct iovec iov = { .iov_base = (void *)(uintptr_t)buf, .iov_len = n > 0 ? (size_t)n : 0 };
	struct call *c;
	int saved = errno;

	if ((n <= 0 && !end) || (c = ssl_call(ssl)) == NULL)
		return;
	if (n > 0)
		data(c, &iov, 1, (size_t)n);
	else
		ended(c, ssl_err == 5 ? ECONNRESET : 0);
	unlock(c);
	errno = saved;
}

/* --- fork ----------------------------------------------------------------- */

/* A forked child shares the parent's sockets but not its calls: the
 * parent judges them (a child closing its copies is no failure). */
static void child_after_fork(void)
{
	for (unsigned i = 0; i < FG_BK_FDS; i++) {
		struct call *c = atomic_load_explicit(&calls[i], memory_order_relaxed);

		atomic_store_explicit(&fg_bk_active[i], 0, memory_order_relaxed);
		/* a parent thread may have held it at the fork: not ours */
		if (c != NULL)
			atomic_flag_clear(&c->lock);
	}
	for (unsigned i = 0; i < SSL_SLOTS; i++)
		atomic_store_explicit(&sslmap[i].key, 0, memory_order_relaxed);
	atomic_store(&fg_bk_nssl, 0);
}
