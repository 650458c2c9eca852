/* circuit_int.h - what the circuit breaker glue's files (shim/circuit*.c) share.
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
 * The endpoints as this process sees them, the calls in flight on tracked
 * sockets and how a call is judged.  Not for the hooks: they use circuit.h.
 */
#ifndef FLEETGUARD_SHIM_CIRCUIT_INT_H
#define FLEETGUARD_SHIM_CIRCUIT_INT_H

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "breaker/breaker.h"
#include "shim/circuit.h"
#include "policy/policy.h"

/* --- endpoints (circuit.c) --- */

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

extern struct ep_rt *fg_circuit_eps;
/* 0 until some endpoint is attached: then the policy's endpoint count */
extern size_t fg_circuit_neps;

/* Whole seconds for a message: rounded, but never 0 for time still left. */
unsigned fg_circuit_secs(uint64_t ms);
/* A transition: one stderr line and one audit record. */
void fg_circuit_announce(struct ep_rt *r, const struct fg_bk_event *ev);
/* A forked child: the parent's calls are not its own. */
void fg_circuit_child_after_fork(void);

/* --- calls in flight (circuit_calls.c) --- */

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

/* Never freed: a hook in another thread may still hold one (the fd number
 * is reused by the next socket). */
extern struct call *_Atomic fg_circuit_calls[FG_CIRCUIT_FDS];

/* The call slot of fd (< FG_CIRCUIT_FDS), allocated once; NULL without memory. */
struct call *fg_circuit_call_get(int fd);

static inline void fg_circuit_lock(struct call *c)
{
	while (atomic_flag_test_and_set_explicit(&c->lock, memory_order_acquire))
		;
}

static inline void fg_circuit_unlock(struct call *c)
{
	atomic_flag_clear_explicit(&c->lock, memory_order_release);
}

/* A connection error that is the endpoint's failure. */
static inline bool fg_circuit_conn_failure(int err)
{
	return err == ECONNREFUSED || err == ENETUNREACH || err == EHOSTUNREACH ||
	       err == ETIMEDOUT || err == ECONNRESET || err == ECONNABORTED;
}

/* Judging a call (c locked): the outcome, the call given up, plaintext
 * written, plaintext read, the answer ended before it was judged. */
void fg_circuit_report(struct call *c, enum fg_bk_outcome o, unsigned retry);
void fg_circuit_release(struct call *c);
void fg_circuit_wrote(struct call *c);
void fg_circuit_data(struct call *c, const struct iovec *iov, int iovcnt, size_t n);
void fg_circuit_ended(struct call *c, int err);

/* --- OpenSSL objects (circuit_tls.c) --- */

/* TLS records moved on c's socket inside SSL_read/SSL_write of an SSL
 * object not yet mapped: map it to fd. */
void fg_circuit_tls_learn(struct call *c, int fd);
void fg_circuit_tls_forget_all(void);

#endif /* FLEETGUARD_SHIM_CIRCUIT_INT_H */
