/* circuit_calls.c - following each admitted call on its socket until its outcome is known.
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
 * The connect outcome, then the first bytes of the answer (plain; through
 * OpenSSL in circuit_tls.c) or how it ended decide whether the endpoint
 * failed; each outcome goes to the breaker's state machine.
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
#include "shim/shim.h"

/* --- calls in flight, one per tracked descriptor --------------------------- */


FG_COLD _Atomic unsigned char fg_circuit_active[FG_CIRCUIT_FDS];
FG_COLD struct call *_Atomic fg_circuit_calls[FG_CIRCUIT_FDS];

struct call *fg_circuit_call_get(int fd)
{
	struct call *c = atomic_load(&fg_circuit_calls[fd]), *fresh;

	if (c != NULL)
		return c;
	fresh = calloc(1, sizeof(*fresh));
	if (fresh == NULL)
		return NULL;
	atomic_flag_clear(&fresh->lock);
	if (atomic_compare_exchange_strong(&fg_circuit_calls[fd], &c, fresh))
		return fresh;
	free(fresh);
	return c;
}

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

void fg_circuit_report(struct call *c, enum fg_bk_outcome o, unsigned retry)
{
	struct ep_rt *r = &fg_circuit_eps[c->ep];
	struct fg_bk_event ev;

	if (!same_socket(c)) {
		fg_circuit_release(c);
		atomic_store(&fg_circuit_active[c->fd], 0);
		return;
	}
	c->phase = P_JUDGED;
	if (fg_bk_report(&r->bk, &c->t, o, retry, getpid(), &ev) > 0)
		fg_circuit_announce(r, &ev);
}

static void judge_status(struct call *c)
{
	const struct fg_breaker_conf *bc = &fg_circuit_eps[c->ep].ep->breaker;
	unsigned st = c->sn.status;
	enum fg_bk_outcome o = FG_BK_OK;

	if (fg_status_is_failure(bc, st))
		o = st == 429 ? FG_BK_F_429 : st >= 500 ? FG_BK_F_5XX : FG_BK_F_STATUS;
	else if (bc->slow_first_byte_seconds > 0 &&
		 c->first_ms - c->sent_ms > (uint64_t)bc->slow_first_byte_seconds * 1000u)
		o = FG_BK_F_SLOW;
	fg_circuit_report(c, o, st == 429 || st == 503 ? c->sn.retry_after : 0);
}

void fg_circuit_release(struct call *c)
{
	fg_bk_release(&fg_circuit_eps[c->ep].bk, &c->t);
	c->phase = P_IGNORE;
}

/* A new request on a connection whose last answer was judged (keep-alive):
 * a new call, admitted like a connect but never refused (it is not one). */
static void rearm(struct call *c)
{
	struct ep_rt *r = &fg_circuit_eps[c->ep];
	struct fg_bk_event ev;

	if (fg_bk_admit(&r->bk, &c->t, NULL, NULL, &ev) == FG_BK_REFUSE) {
		c->phase = P_IGNORE;
	} else {
		c->phase = P_UP;
		c->sent = c->got = false;
		fg_http_sniff_init(&c->sn);
	}
	fg_circuit_announce(r, &ev);
}

/* The answer ended (EOF, reset, TLS shutdown, close) before it was judged. */
void fg_circuit_ended(struct call *c, int err)
{
	if (c->phase == P_CONNECTING) {
		fg_circuit_report(c, FG_BK_F_CONNECT, 0);
		return;
	}
	if (c->phase != P_UP)
		return;
	if (!c->sent) {
		if (fg_circuit_conn_failure(err))
			fg_circuit_report(c, FG_BK_F_CONNECT, 0);
		return;
	}
	if ((!c->tls || c->mapped) && fg_http_sniff_eof(&c->sn) == FG_SNIFF_DONE)
		judge_status(c);
	else if (c->tls && !c->mapped && c->got)
		fg_circuit_report(c, FG_BK_OK, 0);
	else
		fg_circuit_report(c, FG_BK_F_RESET, 0);
}

/* Plaintext written: the request (or the next one on this connection). */
void fg_circuit_wrote(struct call *c)
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
void fg_circuit_data(struct call *c, const struct iovec *iov, int iovcnt, size_t n)
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
		fg_circuit_report(c, FG_BK_OK, 0);
}

void fg_circuit_on_write(int fd, ssize_t n)
{
	struct call *c = atomic_load(&fg_circuit_calls[fd]);
	int saved = errno;

	if (n <= 0 || c == NULL)
		return;
	fg_circuit_lock(c);
	if (!c->tls) {
		fg_circuit_wrote(c);
	} else {
		/* TLS records: only where no SSL object shows the plaintext
		 * (a client with its own BIO) are they the request itself. */
		if (c->phase == P_CONNECTING)
			c->phase = P_UP;
		if (!c->mapped)
			fg_circuit_tls_learn(c, fd);
		if (!c->mapped && c->phase == P_UP && !c->sent) {
			c->sent = true;
			c->sent_ms = fg_bk_clock_ms();
		}
	}
	fg_circuit_unlock(c);
	errno = saved;
}

void fg_circuit_sent(int fd, ssize_t n)
{
	if (fg_circuit_tracked(fd))
		fg_circuit_on_write(fd, n);
}

void fg_circuit_on_read(int fd, const struct iovec *iov, int iovcnt, ssize_t n, int err)
{
	struct call *c = atomic_load(&fg_circuit_calls[fd]);
	size_t want = 0;
	int saved = errno;

	if (c == NULL)
		return;
	for (int i = 0; i < iovcnt; i++)
		want += iov[i].iov_len;
	fg_circuit_lock(c);
	if (n > 0 && !c->tls) {
		fg_circuit_data(c, iov, iovcnt, (size_t)n);
	} else if (n > 0) {
		if (c->phase == P_CONNECTING)
			c->phase = P_UP;
		if (!c->mapped)
			fg_circuit_tls_learn(c, fd);
		/* Opaque TLS: an answer at all is all we can judge, when
		 * the connection ends. */
		if (!c->mapped && c->phase == P_UP && c->sent)
			c->got = true;
	} else if ((n == 0 && want > 0) || (n < 0 && fg_circuit_conn_failure(err))) {
		fg_circuit_ended(c, n < 0 ? err : 0);
	}
	fg_circuit_unlock(c);
	errno = saved;
}

void fg_circuit_on_sockerr(int fd, int soerr)
{
	struct call *c = atomic_load(&fg_circuit_calls[fd]);
	int saved = errno;

	if (c == NULL)
		return;
	fg_circuit_lock(c);
	if (c->phase == P_CONNECTING) {
		if (soerr == 0)
			c->phase = P_UP;
		else if (fg_circuit_conn_failure(soerr))
			fg_circuit_report(c, FG_BK_F_CONNECT, 0);
	}
	fg_circuit_unlock(c);
	errno = saved;
}

void fg_circuit_on_close(int fd)
{
	struct call *c = atomic_load(&fg_circuit_calls[fd]);
	int saved = errno;

	if (c == NULL)
		return;
	fg_circuit_lock(c);
	if (c->phase == P_CONNECTING) {
		/* Given up connecting: a time-out if it took a while; a
		 * happy-eyeballs loser or a change of mind if not. */
		if (fg_bk_clock_ms() - c->start_ms >= 1000)
			fg_circuit_report(c, FG_BK_F_CONNECT, 0);
		else
			fg_circuit_release(c);
	} else if (c->phase == P_UP) {
		if (c->sent)
			fg_circuit_ended(c, 0);
		else
			fg_circuit_release(c);
	}
	c->phase = P_IGNORE;
	atomic_store_explicit(&fg_circuit_active[fd], 0, memory_order_relaxed);
	fg_circuit_unlock(c);
	errno = saved;
}

void fg_circuit_forget(int fd)
{
	struct call *c = atomic_load(&fg_circuit_calls[fd]);

	if (c == NULL)
		return;
	fg_circuit_lock(c);
	if (c->phase == P_CONNECTING || c->phase == P_UP)
		fg_circuit_release(c);
	c->phase = P_IGNORE;
	atomic_store(&fg_circuit_active[fd], 0);
	fg_circuit_unlock(c);
}

