/* hooks_net.c - connect, sendto/sendmsg with a destination, bind, and the
 * name lookups (getaddrinfo, gethostbyname*), judged by shim/net.c.
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

#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim/shim.h"

FG_EXPORT int connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	FG_REAL(int, connect, int, const struct sockaddr *, socklen_t);

	struct fg_net_call c;

	if (fg_passthrough())
		return real_connect(fd, sa, len);
	if (fg_net_judge(&c, "connect", fd, sa, len) < 0)
		return -1;
	return fg_net_done(&c, fg_circuit_connect(fd, sa, len, real_connect));
}

/* fg_net_done() for a call that returns a byte count. */
static ssize_t fg_net_sent(struct fg_net_call *c, ssize_t rc)
{
	return fg_net_done(c, rc < 0 ? -1 : 0) < 0 ? -1 : rc;
}

FG_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags,
			 const struct sockaddr *sa, socklen_t len)
{
	FG_REAL(ssize_t, sendto, int, const void *, size_t, int, const struct sockaddr *, socklen_t);
	struct fg_net_call c;
	ssize_t rc;

	if (fg_passthrough())
		return real_sendto(fd, buf, n, flags, sa, len);
	if (fg_net_judge(&c, "sendto", fd, sa, len) < 0)
		return -1;
	rc = real_sendto(fd, buf, n, flags, sa, len);
	if (rc > 0)
		fg_circuit_sent(fd, rc);
	return fg_net_sent(&c, rc);
}

FG_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	FG_REAL(ssize_t, sendmsg, int, const struct msghdr *, int);
	struct fg_net_call c = { .judged = false };
	ssize_t rc;

	if (fg_passthrough())
		return real_sendmsg(fd, msg, flags);
	if (msg != NULL && msg->msg_name != NULL &&
	    fg_net_judge(&c, "sendto", fd, msg->msg_name, msg->msg_namelen) < 0)
		return -1;
	rc = real_sendmsg(fd, msg, flags);
	if (rc > 0)
		fg_circuit_sent(fd, rc);
	return fg_net_sent(&c, rc);
}

FG_EXPORT int bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	FG_REAL(int, bind, int, const struct sockaddr *, socklen_t);

	struct fg_net_call c;

	if (fg_passthrough())
		return real_bind(fd, sa, len);
	if (fg_net_judge(&c, "bind", fd, sa, len) < 0)
		return -1;
	return fg_net_done(&c, real_bind(fd, sa, len));
}

FG_EXPORT int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
			  struct addrinfo **res)
{
	FG_REAL(int, getaddrinfo, const char *, const char *, const struct addrinfo *,
		struct addrinfo **);
	const struct addrinfo *ai;
	int rc;

	if (fg_passthrough() || node == NULL)
		return real_getaddrinfo(node, service, hints, res);
	if (fg_resolve_check("resolve", node) < 0)
		return EAI_FAIL;
	rc = real_getaddrinfo(node, service, hints, res);
	if (rc == 0) {
		for (ai = *res; ai != NULL; ai = ai->ai_next)
			if (ai->ai_addr != NULL)
				fg_names_add(node, ai->ai_addr, ai->ai_addrlen);
	}
	return rc;
}

static void fg_learn_hostent(const char *name, const struct hostent *h)
{
	struct sockaddr_storage ss;
	char **a;

	if (h == NULL)
		return;
	for (a = h->h_addr_list; *a != NULL; a++) {
		memset(&ss, 0, sizeof(ss));
		if (h->h_addrtype == AF_INET) {
			struct sockaddr_in *in = (struct sockaddr_in *)&ss;

			in->sin_family = AF_INET;
			memcpy(&in->sin_addr, *a, 4);
		} else if (h->h_addrtype == AF_INET6) {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

			in6->sin6_family = AF_INET6;
			memcpy(&in6->sin6_addr, *a, 16);
		} else {
			continue;
		}
		fg_names_add(name, (struct sockaddr *)&ss, sizeof(ss));
	}
}

FG_EXPORT struct hostent *gethostbyname(const char *name)
{
	FG_REAL(struct hostent *, gethostbyname, const char *);
	struct hostent *h;

	if (fg_passthrough())
		return real_gethostbyname(name);
	if (fg_resolve_check("resolve", name) < 0) {
		h_errno = NO_RECOVERY;
		return NULL;
	}
	h = real_gethostbyname(name);
	fg_learn_hostent(name, h);
	return h;
}

FG_EXPORT struct hostent *gethostbyname2(const char *name, int af)
{
	FG_REAL(struct hostent *, gethostbyname2, const char *, int);
	struct hostent *h;

	if (fg_passthrough())
		return real_gethostbyname2(name, af);
	if (fg_resolve_check("resolve", name) < 0) {
		h_errno = NO_RECOVERY;
		return NULL;
	}
	h = real_gethostbyname2(name, af);
	fg_learn_hostent(name, h);
	return h;
}

FG_EXPORT int gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t len,
			      struct hostent **result, int *herr)
{
	FG_REAL(int, gethostbyname_r, const char *, struct hostent *, char *, size_t,
		struct hostent **, int *);
	int rc;

	if (fg_passthrough())
		return real_gethostbyname_r(name, ret, buf, len, result, herr);
	if (fg_resolve_check("resolve", name) < 0) {
		*result = NULL;
		*herr = NO_RECOVERY;
		return EACCES;
	}
	rc = real_gethostbyname_r(name, ret, buf, len, result, herr);
	if (rc == 0)
		fg_learn_hostent(name, *result);
	return rc;
}

FG_EXPORT int gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf,
			       size_t len, struct hostent **result, int *herr)
{
	FG_REAL(int, gethostbyname2_r, const char *, int, struct hostent *, char *, size_t,
		struct hostent **, int *);
	int rc;

	if (fg_passthrough())
		return real_gethostbyname2_r(name, af, ret, buf, len, result, herr);
	if (fg_resolve_check("resolve", name) < 0) {
		*result = NULL;
		*herr = NO_RECOVERY;
		return EACCES;
	}
	rc = real_gethostbyname2_r(name, af, ret, buf, len, result, herr);
	if (rc == 0)
		fg_learn_hostent(name, *result);
	return rc;
}
