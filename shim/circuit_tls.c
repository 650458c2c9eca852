/* circuit_tls.c - which tracked socket each OpenSSL object talks over, so its plaintext judges the call.
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

/* --- OpenSSL objects mapped to tracked sockets ---------------------------- */

#define SSL_SLOTS 1024u
#define SSL_TOMB ((uintptr_t)1)

static FG_COLD struct {
	_Atomic uintptr_t key;
	_Atomic int fd;
} sslmap[SSL_SLOTS];
_Atomic unsigned fg_circuit_nssl;
_Atomic unsigned fg_circuit_ntls;
__thread const void *fg_circuit_ssl_cur;

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

void fg_circuit_ssl_free(const void *ssl)
{
	int j = ssl_find(ssl);

	if (j < 0)
		return;
	atomic_store(&sslmap[j].key, SSL_TOMB);
	atomic_fetch_sub(&fg_circuit_nssl, 1);
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
			atomic_fetch_add(&fg_circuit_nssl, 1);
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

void fg_circuit_ssl_set_fd(const void *ssl, int fd)
{
	struct call *c;

	if (!fg_circuit_tracked(fd)) {
		fg_circuit_ssl_free(ssl);
		return;
	}
	if (!ssl_insert(ssl, fd))
		return;
	c = atomic_load(&fg_circuit_calls[fd]);
	fg_circuit_lock(c);
	mapped(c);
	fg_circuit_unlock(c);
}

/* A client with its own BIO never tells which socket an SSL object uses
 * (curl): the TLS records written or read on a tracked socket while this
 * thread is inside SSL_read/SSL_write of an unmapped object are its. */
void fg_circuit_tls_learn(struct call *c, int fd)
{
	if (fg_circuit_ssl_cur == NULL || !ssl_insert(fg_circuit_ssl_cur, fd))
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
	if (!fg_circuit_tracked(fd))
		return NULL;
	c = atomic_load(&fg_circuit_calls[fd]);
	fg_circuit_lock(c);
	if (!c->mapped) {
		fg_circuit_unlock(c);
		return NULL;
	}
	return c;
}

void fg_circuit_ssl_wrote(const void *ssl, ssize_t n)
{
	struct call *c;
	int saved = errno;

	if (n <= 0 || (c = ssl_call(ssl)) == NULL)
		return;
	fg_circuit_wrote(c);
	fg_circuit_unlock(c);
	errno = saved;
}

void fg_circuit_ssl_read(const void *ssl, const void *buf, ssize_t n, int ssl_err)
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
		fg_circuit_data(c, &iov, 1, (size_t)n);
	else
		fg_circuit_ended(c, ssl_err == 5 ? ECONNRESET : 0);
	fg_circuit_unlock(c);
	errno = saved;
}


/* A fork child maps no SSL object of its parent's. */
void fg_circuit_tls_forget_all(void)
{
	for (unsigned i = 0; i < SSL_SLOTS; i++)
		atomic_store_explicit(&sslmap[i].key, 0, memory_order_relaxed);
	atomic_store(&fg_circuit_nssl, 0);
}
