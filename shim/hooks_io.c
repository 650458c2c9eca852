/* hooks_io.c - socket I/O and OpenSSL hooks for the circuit breaker.
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
 * These calls are not policed: each one calls the real function and, only
 * when the descriptor is a socket of an LLM endpoint, tells the breaker glue
 * what happened.  For every other descriptor the cost is one byte load, so a
 * read() of an ordinary file stays a read().
 *
 * OpenSSL is never linked: its functions are looked up when first called,
 * which only happens in a program that has libssl loaded already.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "shim/circuit.h"
#include "shim/shim.h"

/* glibc's fortified entry points, which its headers declare only in
 * fortified builds. */
ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen);
ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
		       struct sockaddr *addr, socklen_t *alen);

/* fleetguard's own calls (the audit client's, under the guard) first:
 * they need not read the descriptor table, whose page a process that
 * does no I/O of its own (the constructor's calls only) never touches. */
static inline bool watched(int fd)
{
	return !fg_passthrough() && fg_circuit_tracked(fd);
}

static void seen_read(int fd, void *buf, size_t len, ssize_t n)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	fg_circuit_on_read(fd, &iov, 1, n, errno);
}

FG_EXPORT ssize_t read(int fd, void *buf, size_t count)
{
	FG_REAL(ssize_t, read, int, void *, size_t);
	ssize_t n = real_read(fd, buf, count);

	if (__builtin_expect(watched(fd), 0))
		seen_read(fd, buf, count, n);
	return n;
}

FG_EXPORT ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen)
{
	FG_REAL(ssize_t, __read_chk, int, void *, size_t, size_t);
	ssize_t n = real___read_chk(fd, buf, count, buflen);

	if (__builtin_expect(watched(fd), 0))
		seen_read(fd, buf, count, n);
	return n;
}

FG_EXPORT ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
	FG_REAL(ssize_t, readv, int, const struct iovec *, int);
	ssize_t n = real_readv(fd, iov, iovcnt);

	if (__builtin_expect(watched(fd), 0))
		fg_circuit_on_read(fd, iov, iovcnt, n, errno);
	return n;
}

FG_EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	FG_REAL(ssize_t, recv, int, void *, size_t, int);
	ssize_t n = real_recv(fd, buf, len, flags);

	if (__builtin_expect(watched(fd), 0) && !(flags & MSG_PEEK))
		seen_read(fd, buf, len, n);
	return n;
}

FG_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags)
{
	FG_REAL(ssize_t, __recv_chk, int, void *, size_t, size_t, int);
	ssize_t n = real___recv_chk(fd, buf, len, buflen, flags);

	if (__builtin_expect(watched(fd), 0) && !(flags & MSG_PEEK))
		seen_read(fd, buf, len, n);
	return n;
}

FG_EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *addr,
			   socklen_t *alen)
{
	FG_REAL(ssize_t, recvfrom, int, void *, size_t, int, struct sockaddr *, socklen_t *);
	ssize_t n = real_recvfrom(fd, buf, len, flags, addr, alen);

	if (__builtin_expect(watched(fd), 0) && !(flags & MSG_PEEK))
		seen_read(fd, buf, len, n);
	return n;
}

FG_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
				 struct sockaddr *addr, socklen_t *alen)
{
	FG_REAL(ssize_t, __recvfrom_chk, int, void *, size_t, size_t, int, struct sockaddr *,
		socklen_t *);
	ssize_t n = real___recvfrom_chk(fd, buf, len, buflen, flags, addr, alen);

	if (__builtin_expect(watched(fd), 0) && !(flags & MSG_PEEK))
		seen_read(fd, buf, len, n);
	return n;
}

FG_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	FG_REAL(ssize_t, recvmsg, int, struct msghdr *, int);
	ssize_t n = real_recvmsg(fd, msg, flags);

	if (__builtin_expect(watched(fd), 0) && !(flags & MSG_PEEK))
		fg_circuit_on_read(fd, msg->msg_iov, (int)msg->msg_iovlen, n, errno);
	return n;
}

FG_EXPORT ssize_t write(int fd, const void *buf, size_t count)
{
	FG_REAL(ssize_t, write, int, const void *, size_t);
	ssize_t n = real_write(fd, buf, count);

	if (__builtin_expect(watched(fd), 0))
		fg_circuit_on_write(fd, n);
	return n;
}

FG_EXPORT ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	FG_REAL(ssize_t, writev, int, const struct iovec *, int);
	ssize_t n = real_writev(fd, iov, iovcnt);

	if (__builtin_expect(watched(fd), 0))
		fg_circuit_on_write(fd, n);
	return n;
}

FG_EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	FG_REAL(ssize_t, send, int, const void *, size_t, int);
	ssize_t n = real_send(fd, buf, len, flags);

	if (__builtin_expect(watched(fd), 0))
		fg_circuit_on_write(fd, n);
	return n;
}

FG_EXPORT int close(int fd)
{
	FG_REAL(int, close, int);

	if (__builtin_expect(fg_seal_fd_keep(fd), 0))
		return -1;
	if (__builtin_expect(fg_circuit_tracked(fd), 0))
		fg_circuit_on_close(fd);
	return real_close(fd);
}

FG_EXPORT int getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen)
{
	FG_REAL(int, getsockopt, int, int, int, void *, socklen_t *);
	int rc = real_getsockopt(fd, level, optname, optval, optlen);

	if (__builtin_expect(watched(fd), 0) && rc == 0 && level == SOL_SOCKET &&
	    optname == SO_ERROR && optval != NULL && optlen != NULL &&
	    *optlen >= (socklen_t)sizeof(int))
		fg_circuit_on_sockerr(fd, *(int *)optval);
	return rc;
}

/* --- OpenSSL -------------------------------------------------------------- */

struct ssl_st;

FG_EXPORT int SSL_set_fd(struct ssl_st *ssl, int fd);
FG_EXPORT int SSL_read(struct ssl_st *ssl, void *buf, int num);
FG_EXPORT int SSL_read_ex(struct ssl_st *ssl, void *buf, size_t num, size_t *readbytes);
FG_EXPORT int SSL_write(struct ssl_st *ssl, const void *buf, int num);
FG_EXPORT int SSL_write_ex(struct ssl_st *ssl, const void *buf, size_t num, size_t *written);
FG_EXPORT void SSL_free(struct ssl_st *ssl);

/* The real OpenSSL function: through the global scope, or the libssl a
 * module loaded with RTLD_LOCAL (Python's _ssl). */
static void *ssl_real(const char *name, void *self)
{
	static const char *const sonames[] = { "libssl.so.3", "libssl.so.1.1", "libssl.so", NULL };

	return fg_real_in(name, self, sonames);
}

#define SSL_REAL(ret, name, ...)                                                \
	static ret (*real_##name)(__VA_ARGS__);                                 \
	if (__builtin_expect(real_##name == NULL, 0))                           \
		real_##name = (ret(*)(__VA_ARGS__))ssl_real(#name, (void *)name)

/* SSL_get_error is not hooked: looked up the same way, not through us. */
static int ssl_error(struct ssl_st *ssl, int ret)
{
	static int (*get_error)(const struct ssl_st *, int);

	if (get_error == NULL)
		get_error = (int (*)(const struct ssl_st *, int))ssl_real("SSL_get_error", NULL);
	return get_error(ssl, ret);
}

static inline bool ssl_watched(void)
{
	return (atomic_load_explicit(&fg_circuit_nssl, memory_order_relaxed) != 0 ||
		atomic_load_explicit(&fg_circuit_ntls, memory_order_relaxed) != 0) && !fg_passthrough();
}

/* Call the real function with fg_circuit_ssl_cur naming ssl, so that the socket
 * I/O it does can be tied to it (see circuit.h). */
#define WITH_CUR(ssl, call)                                                     	__extension__({                                                         		const void *prev_ = fg_circuit_ssl_cur;                              		__typeof__(call) r_;                                            		fg_circuit_ssl_cur = (ssl);                                          		r_ = (call);                                                    		fg_circuit_ssl_cur = prev_;                                          		r_;                                                             	})

FG_EXPORT int SSL_set_fd(struct ssl_st *ssl, int fd)
{
	SSL_REAL(int, SSL_set_fd, struct ssl_st *, int);
	int rc = real_SSL_set_fd(ssl, fd);

	if (rc == 1 && !fg_passthrough() &&
	    (fg_circuit_tracked(fd) || atomic_load(&fg_circuit_nssl) != 0))
		fg_circuit_ssl_set_fd(ssl, fd);
	return rc;
}

FG_EXPORT int SSL_read(struct ssl_st *ssl, void *buf, int num)
{
	SSL_REAL(int, SSL_read, struct ssl_st *, void *, int);
	int n;

	if (__builtin_expect(!ssl_watched(), 1))
		return real_SSL_read(ssl, buf, num);
	n = WITH_CUR(ssl, real_SSL_read(ssl, buf, num));
	{
		int saved = errno;

		fg_circuit_ssl_read(ssl, buf, n, n > 0 ? 0 : ssl_error(ssl, n));
		errno = saved;
	}
	return n;
}

FG_EXPORT int SSL_read_ex(struct ssl_st *ssl, void *buf, size_t num, size_t *readbytes)
{
	SSL_REAL(int, SSL_read_ex, struct ssl_st *, void *, size_t, size_t *);
	int rc;

	if (__builtin_expect(!ssl_watched(), 1))
		return real_SSL_read_ex(ssl, buf, num, readbytes);
	rc = WITH_CUR(ssl, real_SSL_read_ex(ssl, buf, num, readbytes));
	{
		int saved = errno;

		if (rc == 1)
			fg_circuit_ssl_read(ssl, buf, (ssize_t)*readbytes, 0);
		else
			fg_circuit_ssl_read(ssl, buf, 0, ssl_error(ssl, rc));
		errno = saved;
	}
	return rc;
}

FG_EXPORT int SSL_write(struct ssl_st *ssl, const void *buf, int num)
{
	SSL_REAL(int, SSL_write, struct ssl_st *, const void *, int);
	int n;

	if (__builtin_expect(!ssl_watched(), 1))
		return real_SSL_write(ssl, buf, num);
	n = WITH_CUR(ssl, real_SSL_write(ssl, buf, num));
	fg_circuit_ssl_wrote(ssl, n);
	return n;
}

FG_EXPORT int SSL_write_ex(struct ssl_st *ssl, const void *buf, size_t num, size_t *written)
{
	SSL_REAL(int, SSL_write_ex, struct ssl_st *, const void *, size_t, size_t *);
	int rc;

	if (__builtin_expect(!ssl_watched(), 1))
		return real_SSL_write_ex(ssl, buf, num, written);
	rc = WITH_CUR(ssl, real_SSL_write_ex(ssl, buf, num, written));
	if (rc == 1)
		fg_circuit_ssl_wrote(ssl, (ssize_t)*written);
	return rc;
}

FG_EXPORT void SSL_free(struct ssl_st *ssl)
{
	SSL_REAL(void, SSL_free, struct ssl_st *);

	if (ssl != NULL && atomic_load_explicit(&fg_circuit_nssl, memory_order_relaxed) != 0)
		fg_circuit_ssl_free(ssl);
	real_SSL_free(ssl);
}
