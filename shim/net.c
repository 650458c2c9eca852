/* net.c - judging network destinations and host names.
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
 * Addresses are judged against [network] allow; rules naming hosts match
 * through the addresses getaddrinfo returned for them, remembered here.
 * Names are judged before any lookup leaves the host: glibc's resolver
 * talks to the name server through an internal connect no hook sees, so a
 * name that no rule covers is refused at getaddrinfo itself.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "shim/shim.h"

#define FG_RESOLVERS 4

static struct fg_sockaddr fg_resolvers[FG_RESOLVERS];
static size_t fg_nresolvers;

/* The name servers of /etc/resolv.conf, read at the first connect to a
 * port 53 (most processes never make one: reading the file in every
 * constructor cost each of them three system calls and a parse). */
static pthread_once_t fg_resolv_once = PTHREAD_ONCE_INIT;

static void fg_resolv_read(void)
{
	char buf[4096], *line, *save = NULL;
	ssize_t n;
	int fd = (int)fg_syscall(SYS_openat, AT_FDCWD, "/etc/resolv.conf", O_RDONLY | O_CLOEXEC);

	fg_nresolvers = 0;
	if (fd < 0)
		return;
	n = fg_syscall(SYS_read, fd, buf, sizeof(buf) - 1);
	fg_syscall(SYS_close, fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line != NULL && fg_nresolvers < FG_RESOLVERS;
	     line = strtok_r(NULL, "\n", &save)) {
		char addr[64];

		if (sscanf(line, " nameserver %63s", addr) != 1)
			continue;
		struct fg_sockaddr *r = &fg_resolvers[fg_nresolvers];
		struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };
		struct sockaddr_in in = { .sin_family = AF_INET };

		bool ok;

		/* decoded like any address: ::ffff:a.b.c.d is a.b.c.d */
		if (inet_pton(AF_INET, addr, &in.sin_addr) == 1)
			ok = fg_sockaddr_decode((struct sockaddr *)&in, sizeof(in), r);
		else
			ok = inet_pton(AF_INET6, addr, &in6.sin6_addr) == 1 &&
			     fg_sockaddr_decode((struct sockaddr *)&in6, sizeof(in6), r);
		if (ok)
			fg_nresolvers++;
	}
}

void fg_net_init(void)
{
	fg_names_init();
}

static bool fg_is_resolver(const struct fg_sockaddr *d)
{
	size_t i;
	int saved = errno;

	if (d->port != 53)
		return false;
	pthread_once(&fg_resolv_once, fg_resolv_read);
	errno = saved;
	for (i = 0; i < fg_nresolvers; i++)
		if (fg_resolvers[i].family == d->family && memcmp(fg_resolvers[i].a, d->a, 16) == 0)
			return true;
	return false;
}

void fg_addr_text(const struct sockaddr *sa, socklen_t len, char *out, size_t outlen)
{
	char ip[INET6_ADDRSTRLEN];
	struct fg_sockaddr d;

	if (sa->sa_family == AF_UNIX) {
		const struct sockaddr_un *un = (const struct sockaddr_un *)(const void *)sa;
		size_t plen = len > offsetof(struct sockaddr_un, sun_path) ?
			      len - offsetof(struct sockaddr_un, sun_path) : 0;

		if (plen == 0)
			snprintf(out, outlen, "unix:");
		else if (un->sun_path[0] == '\0')
			snprintf(out, outlen, "unix:@%.*s", (int)plen - 1, un->sun_path + 1);
		else
			snprintf(out, outlen, "unix:%.*s", (int)strnlen(un->sun_path, plen), un->sun_path);
		return;
	}
	if (!fg_sockaddr_decode(sa, len, &d)) {
		snprintf(out, outlen, "family-%d", sa->sa_family);
		return;
	}
	/* as judged: an IPv4-mapped address is shown as its IPv4 address */
	inet_ntop(d.family, d.a, ip, sizeof(ip));
	snprintf(out, outlen, d.family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, d.port);
}

/* bind to a loopback address is not judged; the any address (all
 * interfaces) is */
static bool fg_is_loopback(const struct fg_sockaddr *d)
{
	if (d->family == AF_INET)
		return d->a[0] == 127;
	return memcmp(d->a, &in6addr_loopback, 16) == 0;
}

/* The verdict on a connection, through the names learned for its address:
 * the first name a rule allows, else the first name. */
struct fg_net_judging {
	const struct sockaddr *sa;
	socklen_t len;
	struct fg_verdict v;
	char host[256];
};

static bool fg_net_by_name(void *ctx, const char *host)
{
	struct fg_net_judging *j = ctx;

	if (j->host[0] == '\0')
		snprintf(j->host, sizeof(j->host), "%s", host);
	if (!fg_policy_addr(fg_g.pol, j->sa, j->len, host, &j->v))
		return false;
	snprintf(j->host, sizeof(j->host), "%s", host);
	return true;
}

/* Could an EACCES from op on fd to d only be Landlock's (or another
 * security module's)?  A TCP connect fails so for no other reason, a TCP
 * bind only for a privileged port without the capability; anything on a
 * datagram socket may (a broadcast without SO_BROADCAST). */
static bool fg_net_lsm_only(const char *op, int fd, const struct fg_sockaddr *d)
{
	int type = 0, saved = errno;
	socklen_t tl = sizeof(type);
	long rc = fg_syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, &type, &tl);

	errno = saved;   /* an allowed call leaves errno as it was */
	if (rc < 0 || type != SOCK_STREAM)
		return false;
	if (strcmp(op, "connect") == 0)
		return true;
	return strcmp(op, "bind") == 0 && (d->port >= 1024 || geteuid() == 0);
}

int fg_net_judge(struct fg_net_call *c, const char *op, int fd, const struct sockaddr *sa,
		 socklen_t len)
{
	struct fg_net_judging j = { .sa = sa, .len = len };
	struct fg_sockaddr d;
	bool ip;

	c->judged = false;
	if (sa == NULL || len < sizeof(sa_family_t) || fg_g.pol->net.mode == FG_MODE_OFF)
		return 0;
	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6 && sa->sa_family != AF_UNIX)
		return 0;
	ip = fg_sockaddr_decode(sa, len, &d);
	if (strcmp(op, "bind") == 0 && (sa->sa_family == AF_UNIX || (ip && fg_is_loopback(&d))))
		return 0;
	c->act = (struct fg_act){ .op = op, .path = c->text, .flags = -1, .mode = -1,
				  .access = FG_ACC_WRITE, .obj = FG_OBJ_ADDR };
	fg_addr_text(sa, len, c->text, sizeof(c->text));
	if (ip && fg_g.pol->net.dns && fg_is_resolver(&d))
		j.v = (struct fg_verdict){ .allow = true, .line = fg_g.pol->net.line, .why = FG_R_NAME_SERVER };
	else if (!ip || !fg_names_each(&d, fg_net_by_name, &j))
		fg_policy_addr(fg_g.pol, sa, len, j.host[0] ? j.host : NULL, &j.v);
	memcpy(c->host, j.host, sizeof(c->host));
	if (c->host[0])
		c->act.path2 = c->host;
	if (!j.v.allow && j.v.line == 0)
		j.v.line = fg_g.pol->net.line;    /* [network] decided by default */
	c->v = j.v;
	c->act.lsm_only = ip && fg_net_lsm_only(op, fd, &d);
	if (fg_refuse(&c->act, c->text, &c->v, fg_g.pol->net.mode) < 0)
		return -1;
	c->judged = true;
	return 0;
}

int fg_net_done(struct fg_net_call *c, int rc)
{
	if (!c->judged)
		return rc;
	return fg_outcome(&c->act, c->text, &c->v, fg_g.pol->net.mode, rc);
}

int fg_net_check(const char *op, const struct sockaddr *sa, socklen_t len)
{
	struct fg_net_call c;

	if (fg_net_judge(&c, op, -1, sa, len) < 0)
		return -1;
	return fg_net_done(&c, 0);
}

/* Names the resolver answers from /etc/hosts without a query leaving. */
static bool fg_is_local_name(const char *host)
{
	size_t n = strlen(host);

	return strcasecmp(host, "localhost") == 0 || strcasecmp(host, "localhost.localdomain") == 0 ||
	       strcasecmp(host, "ip6-localhost") == 0 || strcasecmp(host, "ip6-loopback") == 0 ||
	       (n > 10 && strcasecmp(host + n - 10, ".localhost") == 0);
}

/* A host string getaddrinfo takes as a number, not a name: an IPv6
 * literal or any of inet_aton's forms ("127.1", "0x7f.0.0.1",
 * "2130706433").  glibc takes them whole only (no trailing blank and
 * text), and so does this. */
static bool fg_is_numeric_host(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET6, host, &a6) == 1)
		return true;
	return strpbrk(host, " \t\n\v\f\r") == NULL && inet_aton(host, &a4) != 0;
}

int fg_resolve_check(const char *op, const char *host)
{
	struct fg_act act = { .op = op, .path = host, .flags = -1, .mode = -1,
			      .access = FG_ACC_READ, .obj = FG_OBJ_NAME };
	struct fg_verdict v;

	if (host == NULL || fg_g.pol->net.mode == FG_MODE_OFF)
		return 0;
	if (fg_is_numeric_host(host) || fg_is_local_name(host))
		return 0;   /* no query leaves the host; connect judges the address */
	fg_policy_host(fg_g.pol, host, &v);
	if (!v.allow && v.line == 0)
		v.line = fg_g.pol->net.line;
	act.access = FG_ACC_WRITE;  /* a lookup is a message that leaves the host */
	return fg_enforce(&act, host, &v, fg_g.pol->net.mode);
}
