/* resolve.c - the gateway's name lookups: a few threads, an eventfd back to the loop, a cache.
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
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "gateway/resolve.h"

#define CACHE_SLOTS 64

struct waiter {
	void *w;                  /* NULL once cancelled */
	struct waiter *next;
};

enum job_state { J_QUEUED = 0, J_RUNNING, J_DONE };

/* One host:port being looked up; its waiters are the epoll thread's. */
struct job {
	char host[256];
	uint16_t port;
	enum job_state st;
	int err;
	struct gw_addr addr;
	char msg[128];
	struct waiter *waiters;
	struct job *next;
};

struct slot {
	char host[256];
	uint16_t port;
	int err;
	struct gw_addr addr;
	uint64_t until_ms;        /* 0: empty */
};

struct gw_res {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *jobs;         /* every job not yet drained, in order */
	pthread_t th[GW_RES_THREADS];
	unsigned nth;
	bool stop;
	int efd;
	atomic_uint_fast64_t queries;
	struct slot cache[CACHE_SLOTS];   /* the epoll thread's alone */
	struct job *draining;             /* taken off jobs, being handed out */
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int gw_res_new(struct gw_res **out)
{
	struct gw_res *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return -ENOMEM;
	r->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->efd < 0) {
		int rc = -errno;

		free(r);
		return rc;
	}
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	*out = r;
	return 0;
}

int gw_res_fd(const struct gw_res *r)
{
	return r->efd;
}

uint64_t gw_res_queries(const struct gw_res *r)
{
	return atomic_load(&r->queries);
}

/* --- the threads ------------------------------------------------------------ */

static void lookup_now(struct job *j)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	char port[8];
	int rc;

	snprintf(port, sizeof(port), "%u", (unsigned)j->port);
	rc = getaddrinfo(j->host, port, &hints, &res);
	if (rc != 0 || res == NULL || res->ai_addrlen > sizeof(j->addr.sa)) {
		j->err = -EHOSTUNREACH;
		snprintf(j->msg, sizeof(j->msg), "%s", rc != 0 ? gai_strerror(rc) : "no address");
	} else {
		memcpy(&j->addr.sa, res->ai_addr, res->ai_addrlen);
		j->addr.len = res->ai_addrlen;
		j->err = 0;
	}
	if (res != NULL)
		freeaddrinfo(res);
}

static void *worker(void *arg)
{
	struct gw_res *r = arg;
	const uint64_t one = 1;

	pthread_mutex_lock(&r->mu);
	while (!r->stop) {
		struct job *j = r->jobs;

		while (j != NULL && j->st != J_QUEUED)
			j = j->next;
		if (j == NULL) {
			pthread_cond_wait(&r->cv, &r->mu);
			continue;
		}
		j->st = J_RUNNING;
		pthread_mutex_unlock(&r->mu);
		atomic_fetch_add(&r->queries, 1);
		lookup_now(j);
		pthread_mutex_lock(&r->mu);
		j->st = J_DONE;
		(void)!write(r->efd, &one, sizeof(one));
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/* Threads block every signal: the gateway's handlers stay its main thread's. */
static void start_threads(struct gw_res *r)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	while (r->nth < GW_RES_THREADS && pthread_create(&r->th[r->nth], NULL, worker, r) == 0)
		r->nth++;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* --- the epoll thread ---------------------------------------------------------- */

static bool literal(const char *host, uint16_t port, struct gw_addr *out)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&out->sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->sa;

	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		out->len = sizeof(*s4);
		return true;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		out->len = sizeof(*s6);
		return true;
	}
	return false;
}

static struct slot *cached(struct gw_res *r, const char *host, uint16_t port)
{
	uint64_t now = mono_ms();

	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		struct slot *s = &r->cache[i];

		if (s->until_ms > now && s->port == port && strcmp(s->host, host) == 0)
			return s;
	}
	return NULL;
}

static void remember(struct gw_res *r, const struct job *j)
{
	struct slot *s = &r->cache[0];

	/* the same name's slot, else the one that expires first (or is empty) */
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		struct slot *x = &r->cache[i];

		if (x->port == j->port && strcmp(x->host, j->host) == 0) {
			s = x;
			break;
		}
		if (x->until_ms < s->until_ms)
			s = x;
	}
	snprintf(s->host, sizeof(s->host), "%s", j->host);
	s->port = j->port;
	s->err = j->err;
	s->addr = j->addr;
	s->until_ms = mono_ms() + (j->err == 0 ? GW_RES_TTL_MS : GW_RES_NEG_TTL_MS);
}

/* Join the lookup of host:port in progress, or queue a new one. */
static int enqueue(struct gw_res *r, const char *host, uint16_t port, void *w)
{
	struct waiter *n = malloc(sizeof(*n));
	struct job *j, *last = NULL;

	if (n == NULL)
		return -ENOMEM;
	n->w = w;
	pthread_mutex_lock(&r->mu);
	for (j = r->jobs; j != NULL; last = j, j = j->next)
		if (j->port == port && strcmp(j->host, host) == 0)
			break;
	if (j == NULL) {
		j = calloc(1, sizeof(*j));
		if (j == NULL) {
			pthread_mutex_unlock(&r->mu);
			free(n);
			return -ENOMEM;
		}
		snprintf(j->host, sizeof(j->host), "%s", host);
		j->port = port;
		if (last != NULL)
			last->next = j;
		else
			r->jobs = j;
		if (r->nth == 0)
			start_threads(r);
		pthread_cond_signal(&r->cv);
	}
	n->next = j->waiters;
	j->waiters = n;
	pthread_mutex_unlock(&r->mu);
	return r->nth > 0 ? 1 : -EAGAIN;
}

int gw_res_lookup(struct gw_res *r, const char *host, uint16_t port, void *waiter,
		  struct gw_addr *out)
{
	const struct slot *s;

	if (literal(host, port, out))
		return 0;
	s = cached(r, host, port);
	if (s != NULL) {
		if (s->err < 0)
			return s->err;
		*out = s->addr;
		return 0;
	}
	return enqueue(r, host, port, waiter);
}

static void cancel_in(struct job *j, void *waiter)
{
	for (; j != NULL; j = j->next)
		for (struct waiter *n = j->waiters; n != NULL; n = n->next)
			if (n->w == waiter)
				n->w = NULL;
}

void gw_res_cancel(struct gw_res *r, void *waiter)
{
	cancel_in(r->draining, waiter);
	pthread_mutex_lock(&r->mu);
	cancel_in(r->jobs, waiter);
	pthread_mutex_unlock(&r->mu);
}

/* Take the finished jobs off the list, in order. */
static struct job *take_done(struct gw_res *r)
{
	struct job *done = NULL, **dt = &done, **p;

	pthread_mutex_lock(&r->mu);
	for (p = &r->jobs; *p != NULL;) {
		struct job *j = *p;

		if (j->st != J_DONE) {
			p = &j->next;
			continue;
		}
		*p = j->next;
		j->next = NULL;
		*dt = j;
		dt = &j->next;
	}
	pthread_mutex_unlock(&r->mu);
	return done;
}

void gw_res_drain(struct gw_res *r, gw_res_done_fn done, void *ctx,
		  void (*why)(const char *host, const char *msg, void *ctx))
{
	uint64_t n;
	struct job *j;

	(void)!read(r->efd, &n, sizeof(n));
	r->draining = take_done(r);
	while ((j = r->draining) != NULL) {

		remember(r, j);
		if (j->err < 0 && why != NULL)
			why(j->host, j->msg, ctx);
		while (j->waiters != NULL) {
			struct waiter *w = j->waiters;

			j->waiters = w->next;
			/* a waiter's callback may cancel others: look again each time */
			if (w->w != NULL)
				done(w->w, j->err, j->err == 0 ? &j->addr : NULL, ctx);
			free(w);
		}
		r->draining = j->next;
		free(j);
	}
}

void gw_res_free(struct gw_res *r)
{
	struct timespec until;
	bool all = true;

	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	r->stop = true;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += 200 * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	for (unsigned i = 0; i < r->nth; i++)
		all &= pthread_timedjoin_np(r->th[i], NULL, &until) == 0;
	if (!all)
		return;       /* a lookup still runs: leave r to it */
	while (r->jobs != NULL) {
		struct job *j = r->jobs;

		r->jobs = j->next;
		while (j->waiters != NULL) {
			struct waiter *w = j->waiters;

			j->waiters = w->next;
			free(w);
		}
		free(j);
	}
	close(r->efd);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
}
