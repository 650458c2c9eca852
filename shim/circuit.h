/* circuit.h - what the I/O hooks (shim/hooks_io.c) tell the circuit breaker
 * glue (shim/circuit*.c) about sockets of LLM endpoints.
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
 * A socket becomes tracked when connect() admits it to an endpoint; from
 * then on the glue watches what is written and the first bytes read back
 * (directly, or through OpenSSL) to judge the call.  Any other descriptor
 * costs the hooks one byte load: fg_circuit_tracked() below.
 *
 * Every fg_circuit_on_* function keeps errno as it found it.
 */
#ifndef FLEETGUARD_SHIM_CIRCUIT_H
#define FLEETGUARD_SHIM_CIRCUIT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

/* Descriptors below this are tracked; endpoint sockets above it are
 * admitted and refused like any other but not judged after connect. */
#define FG_CIRCUIT_FDS 16384

/* Non-zero while fd is a socket of an endpoint that the glue watches. */
extern _Atomic unsigned char fg_circuit_active[FG_CIRCUIT_FDS];
/* Non-zero while some SSL object is mapped to a tracked socket. */
extern _Atomic unsigned fg_circuit_nssl;
/* Number of descriptors that ever carried TLS to an https endpoint. */
extern _Atomic unsigned fg_circuit_ntls;
/* Set by the OpenSSL hooks around the real SSL_read/SSL_write of an SSL
 * object not yet mapped: its socket is the tracked one it touches. */
extern __thread const void *fg_circuit_ssl_cur;

static inline bool fg_circuit_tracked(int fd)
{
	return (unsigned)fd < FG_CIRCUIT_FDS &&
	       atomic_load_explicit(&fg_circuit_active[fd], memory_order_relaxed) != 0;
}

/* n bytes (n > 0) went out on fd in plain; n <= 0 is ignored. */
void fg_circuit_on_write(int fd, ssize_t n);

/* A read on fd returned n (bytes in iov, of which there are iovcnt); n < 0
 * means it failed with err. */
void fg_circuit_on_read(int fd, const struct iovec *iov, int iovcnt, ssize_t n, int err);

/* getsockopt(SO_ERROR) on fd reported soerr. */
void fg_circuit_on_sockerr(int fd, int soerr);

/* fd is about to be closed. */
void fg_circuit_on_close(int fd);

/* fd no longer carries its call (closed behind our back): the call ends
 * with no result (a probe's place is freed). */
void fg_circuit_forget(int fd);

/* OpenSSL: ssl now talks over fd. */
void fg_circuit_ssl_set_fd(const void *ssl, int fd);
/* ssl wrote n plaintext bytes (n <= 0: nothing). */
void fg_circuit_ssl_wrote(const void *ssl, ssize_t n);
/* ssl read n plaintext bytes into buf; n <= 0 with ssl_err from
 * SSL_get_error() (0 when unknown). */
void fg_circuit_ssl_read(const void *ssl, const void *buf, ssize_t n, int ssl_err);
/* ssl is freed. */
void fg_circuit_ssl_free(const void *ssl);

#endif /* FLEETGUARD_SHIM_CIRCUIT_H */
