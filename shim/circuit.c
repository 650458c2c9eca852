/* circuit.c - the circuit breaker in the process: which endpoint a connect is for, admitting or refusing it, and the transitions it causes.
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
 * Endpoints come from the policy; an address belongs to one through the
 * names learned for it (shim/names.c) or its literal form.  The state
 * machine and the shared state are breaker/'s; the calls a connect starts
 * are followed in circuit_calls.c and circuit_tls.c.
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
#include "shim/circuit.h"
#include "shim/circuit_int.h"
#include "shim/gateway_glue.h"
#include "shim/shim.h"

/* --- endpoints ------------------------------------------------------------ */


struct ep_rt *fg_circuit_eps;
size_t fg_circuit_neps;


/* The endpoint an address belongs to: a name learned for it (shim/names.c)
 * or its literal form is an endpoint's host, and the port is the endpoint's. */
struct ep_find {
	uint16_t port;
	int ep;
};

static bool ep_by_name(void *ctx, const char *host)
{
	struct ep_find *f = ctx;

	f->ep = fg_policy_endpoint(fg_g.pol, host, f->port);
	return f->ep >= 0;
}

static int endpoint_of(const struct fg_sockaddr *d)
{
	struct ep_find f = { .port = d->port, .ep = -1 };
	char ip[INET6_ADDRSTRLEN];

	if (inet_ntop(d->family, d->a, ip, sizeof(ip)) != NULL && ep_by_name(&f, ip))
		return f.ep;
	fg_names_each(d, ep_by_name, &f);
	return f.ep < (int)fg_circuit_neps ? f.ep : -1;
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
		if (maps[i].c != NULL && same_dirs(maps[i].c, &ep->breaker))
			return maps[i].m;
	maps[nmaps].c = &ep->breaker;
	rc = fg_bk_map_open_conf(&ep->breaker, &env, &maps[nmaps].m, err, sizeof(err));
	if (rc < 0)
		fg_say("%s; circuit breaker off for the endpoints that use it",
		       err[0] ? err : strerror(-rc));
	return maps[nmaps++].m;
}

/* The state file, its .lock and its rebuild temporaries: the agent's calls
 * on them are refused like those on the audit log (shim/own.c). */
static bool bk_owns(const void *ctx, const char *path, size_t len)
{
	(void)ctx;
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

/* A directory on the way to a state file: moving it moves the file. */
static bool bk_above(const void *ctx, const char *path, size_t len)
{
	(void)ctx;
	for (size_t i = 0; i < nmaps; i++)
		if (maps[i].m != NULL && fg_own_dir_above(fg_bk_map_path(maps[i].m), path, len))
			return true;
	return false;
}

static void bk_init_once(void)
{
	const struct fg_policy *p = fg_g.pol;
	size_t attached = 0;

	if (p == NULL || p->nep == 0)
		return;
	fg_in_guard++;
	fg_circuit_eps = calloc(p->nep, sizeof(*fg_circuit_eps));
	maps = calloc(p->nep, sizeof(*maps));
	if (fg_circuit_eps == NULL || maps == NULL) {
		free(fg_circuit_eps);
		free(maps);
		fg_circuit_eps = NULL;
		maps = NULL;
		goto out;
	}
	for (size_t i = 0; i < p->nep; i++) {
		struct ep_rt *r = &fg_circuit_eps[i];
		struct fg_bk_map *m = map_for(r->ep = &p->ep[i]);
		struct fg_bk_conf conf;
		int rc;

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
		setup_fallback(r);
	}
	fg_circuit_neps = attached > 0 ? p->nep : 0;
	pthread_atfork(NULL, NULL, fg_circuit_child_after_fork);
	fg_own_register(&(struct fg_owner){ .owns = bk_owns, .above = bk_above });
out:
	fg_in_guard--;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* Idempotent: the constructor calls it, and so does the first connect or
 * lookup of a process whose constructor did not. */
void fg_circuit_init(void)
{
	/* no endpoint: nothing to set up, ever (the policy is sealed), and no
	 * pthread_once (its first call is a futex wake-up) */
	if (fg_g.pol != NULL && fg_g.pol->nep == 0)
		return;
	pthread_once(&init_once, bk_init_once);
}


/* --- transitions: one stderr line and one audit record each --------------- */

unsigned fg_circuit_secs(uint64_t ms)
{
	return ms > 0 && ms < 1000 ? 1 : (unsigned)((ms + 500) / 1000);
}

void fg_circuit_announce(struct ep_rt *r, const struct fg_bk_event *ev)
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
		       ev->failures, fg_circuit_secs(left));
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
	f[n++] = (struct fg_audit_field){ .key = "seconds", .type = FG_AF_INT, .i = fg_circuit_secs(left) };
	fg_record_fields("breaker", f, n, NULL, r->rule, 0);
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
		       failures, fg_circuit_secs(retry_ms));
		fg_record_fields("connect", f, 2, "deny", r->rule, ECONNREFUSED);
		errno = ECONNREFUSED;
		return -1;
	}
	fg_bk_count_fallback(&r->bk);
	fg_say("circuit open for %s (%u consecutive failures), using fallback %s", r->shown,
	       failures, r->fb_shown);
	rc = real_connect(fd, fsa, flen);
	err = rc < 0 ? errno : 0;
	/* what the call returned, EINPROGRESS too, like every connect record */
	fg_record_fields("connect", f, 3, "allow", r->rule, err);
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

	if (rc < 0 && fg_circuit_conn_failure(err)) {
		if (fg_bk_report(&r->bk, t, FG_BK_F_CONNECT, 0, getpid(), &ev) > 0)
			fg_circuit_announce(r, &ev);
	} else if (rc == 0 && t->probe) {
		if (fg_bk_report(&r->bk, t, FG_BK_OK, 0, getpid(), &ev) > 0)
			fg_circuit_announce(r, &ev);
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

	fg_circuit_lock(c);
	if (c->phase == P_CONNECTING) {
		if (rc == 0 || err == EISCONN)
			c->phase = P_UP;
		else if (fg_circuit_conn_failure(err))
			fg_circuit_report(c, FG_BK_F_CONNECT, 0);
	}
	fg_circuit_unlock(c);
	errno = err;
	return rc;
}

int fg_circuit_connect(int fd, const struct sockaddr *sa, socklen_t len,
		  int (*real_connect)(int, const struct sockaddr *, socklen_t))
{
	struct fg_bk_ticket t;
	struct fg_bk_event ev;
	struct ep_rt *r;
	struct call *c;
	struct fg_sockaddr d;
	unsigned failures = 0;
	uint64_t retry = 0;
	int ep, rc, err;

	fg_circuit_init();
	if (fg_circuit_neps == 0 || sa == NULL || !fg_sockaddr_decode(sa, len, &d))
		return real_connect(fd, sa, len);
	ep = endpoint_of(&d);
	if (fg_circuit_tracked(fd)) {
		c = atomic_load(&fg_circuit_calls[fd]);
		if (c->phase == P_CONNECTING && c->ep == ep)
			return reconnect(c, fd, sa, len, real_connect);
		/* The number was closed behind our back (a close we do not
		 * see) and reused: the old call is unknown, not failed. */
		fg_circuit_forget(fd);
	}
	if (ep >= 0 && fg_circuit_eps[ep].ep->gateway &&
	    fg_gw_connect((unsigned)ep, fd, sa, len, real_connect, &rc))
		return rc;
	if (ep < 0 || !fg_circuit_eps[ep].attached)
		return real_connect(fd, sa, len);
	r = &fg_circuit_eps[ep];
	switch (fg_bk_admit(&r->bk, &t, &retry, &failures, &ev)) {
	case FG_BK_REFUSE:
		fg_circuit_announce(r, &ev);
		return refuse(r, fd, sa, failures, retry, real_connect);
	case FG_BK_GO:
	case FG_BK_PROBE:
		fg_circuit_announce(r, &ev);
		break;
	}
	c = (unsigned)fd < FG_CIRCUIT_FDS ? fg_circuit_call_get(fd) : NULL;
	if (c == NULL)
		return connect_untracked(r, &t, fd, sa, len, real_connect);
	fg_circuit_lock(c);
	c->fd = fd;
	c->ino = socket_ino(fd);
	c->ep = (uint16_t)ep;
	c->phase = P_CONNECTING;
	if (!c->tls && r->ep->https)
		atomic_fetch_add(&fg_circuit_ntls, 1);
	else if (c->tls && !r->ep->https)
		atomic_fetch_sub(&fg_circuit_ntls, 1);
	c->tls = r->ep->https;
	c->mapped = c->sent = c->got = false;
	c->t = t;
	c->start_ms = fg_bk_clock_ms();
	fg_http_sniff_init(&c->sn);
	atomic_store(&fg_circuit_active[fd], 1);
	fg_circuit_unlock(c);

	rc = real_connect(fd, sa, len);
	err = rc < 0 ? errno : 0;
	fg_circuit_lock(c);
	if (c->phase == P_CONNECTING) {
		if (rc == 0) {
			c->phase = P_UP;
		} else if (err == EINPROGRESS || err == EALREADY || err == EINTR) {
			/* the outcome comes through SO_ERROR, a second
			 * connect, or the first read or write */
		} else {
			if (fg_circuit_conn_failure(err))
				fg_circuit_report(c, FG_BK_F_CONNECT, 0);
			else
				fg_circuit_release(c);   /* a local error, not the endpoint's */
			atomic_store(&fg_circuit_active[fd], 0);
		}
	}
	fg_circuit_unlock(c);
	errno = err;
	return rc;
}

/* --- fork ----------------------------------------------------------------- */

/* A forked child shares the parent's sockets but not its calls: the
 * parent judges them (a child closing its copies is no failure). */
void fg_circuit_child_after_fork(void)
{
	for (unsigned i = 0; i < FG_CIRCUIT_FDS; i++) {
		struct call *c = atomic_load_explicit(&fg_circuit_calls[i], memory_order_relaxed);

		atomic_store_explicit(&fg_circuit_active[i], 0, memory_order_relaxed);
		/* a parent thread may have held it at the fork: not ours */
		if (c != NULL)
			atomic_flag_clear(&c->lock);
	}
	fg_circuit_tls_forget_all();
}
