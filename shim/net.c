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

#define FG_NAMES 256
#define FG_RESOLVERS 4

struct fg_name_entry {
	int family;
	uint8_t addr[16];
	char host[256];
};

static struct fg_name_entry fg_names[FG_NAMES];
static unsigned fg_names_next;
static pthread_mutex_t fg_names_lock = PTHREAD_MUTEX_INITIALIZER;

static struct {
	int family;
	uint8_t addr[16];
} fg_resolvers[FG_RESOLVERS];
static size_t fg_nresolvers;

/* The address bytes of sa and their length, or 0 for other families. */
static size_t fg_addr_bytes(const struct sockaddr *sa, const uint8_t **bytes, uint16_t *port)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;

		*bytes = (const uint8_t *)&in->sin_addr;
		*port = ntohs(in->sin_port);
		return 4;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;

		*bytes = (const uint8_t *)&in6->sin6_addr;
		*port = ntohs(in6->sin6_port);
		return 16;
	}
	return 0;
}

void fg_names_add(const char *host, const struct sockaddr *sa)
{
	const uint8_t *b;
	uint16_t port;
	size_t n = fg_addr_bytes(sa, &b, &port), i;
	struct fg_name_entry *e;

	if (n == 0)
		return;
	pthread_mutex_lock(&fg_names_lock);
	for (i = 0; i < FG_NAMES; i++) {
		e = &fg_names[i];
		if (e->family == sa->sa_family && memcmp(e->addr, b, n) == 0 &&
		    strcasecmp(e->host, host) == 0)
			goto out;
	}
	e = &fg_names[fg_names_next++ % FG_NAMES];
	e->family = sa->sa_family;
	memcpy(e->addr, b, n);
	snprintf(e->host, sizeof(e->host), "%s", host);
out:
	pthread_mutex_unlock(&fg_names_lock);
}

bool fg_names_find(const struct sockaddr *sa, char *out, size_t len)
{
	const uint8_t *b;
	uint16_t port;
	size_t n = fg_addr_bytes(sa, &b, &port), i;
	bool found = false;

	if (n == 0)
		return false;
	pthread_mutex_lock(&fg_names_lock);
	for (i = 0; i < FG_NAMES && !found; i++) {
		if (fg_names[i].family == sa->sa_family && memcmp(fg_names[i].addr, b, n) == 0) {
			snprintf(out, len, "%s", fg_names[i].host);
			found = true;
		}
	}
	pthread_mutex_unlock(&fg_names_lock);
	return found;
}

/* A fork while another thread holds the table's lock must not leave the
 * child's copy locked forever. */
static void fg_names_prepare(void)
{
	pthread_mutex_lock(&fg_names_lock);
}

static void fg_names_release(void)
{
	pthread_mutex_unlock(&fg_names_lock);
}

void fg_net_init(void)
{
	char buf[4096], *line, *save = NULL;
	ssize_t n;
	int fd = (int)fg_syscall(SYS_openat, AT_FDCWD, "/etc/resolv.conf", O_RDONLY | O_CLOEXEC);

	fg_nresolvers = 0;
	pthread_atfork(fg_names_prepare, fg_names_release, fg_names_release);
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
		if (inet_pton(AF_INET, addr, fg_resolvers[fg_nresolvers].addr) == 1)
			fg_resolvers[fg_nresolvers++].family = AF_INET;
		else if (inet_pton(AF_INET6, addr, fg_resolvers[fg_nresolvers].addr) == 1)
			fg_resolvers[fg_nresolvers++].family = AF_INET6;
	}
}

static bool fg_is_resolver(const struct sockaddr *sa)
{
	const uint8_t *b;
	uint16_t port;
	size_t n = fg_addr_bytes(sa, &b, &port), i;

	if (n == 0 || port != 53)
		return false;
	for (i = 0; i < fg_nresolvers; i++)
		if (fg_resolvers[i].family == sa->sa_family && memcmp(fg_resolvers[i].addr, b, n) == 0)
			return true;
	return false;
}

void fg_addr_text(const struct sockaddr *sa, socklen_t len, char *out, size_t outlen)
{
	char ip[INET6_ADDRSTRLEN];
	const uint8_t *b;
	uint16_t port;

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
	if (fg_addr_bytes(sa, &b, &port) == 0) {
		snprintf(out, outlen, "family-%d", sa->sa_family);
		return;
	}
	inet_ntop(sa->sa_family, b, ip, sizeof(ip));
	snprintf(out, outlen, sa->sa_family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, port);
}

static bool fg_is_loopback_or_any(const struct sockaddr *sa, bool *any)
{
	const uint8_t *b;
	uint16_t port;
	size_t n = fg_addr_bytes(sa, &b, &port);
	static const uint8_t zero[16];

	*any = n > 0 && memcmp(b, zero, n) == 0;
	if (n == 4)
		return b[0] == 127;
	if (n == 16)
		return memcmp(b, &in6addr_loopback, 16) == 0 ||
		       (memcmp(b, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0 && b[12] == 127);
	return false;
}

int fg_net_check(const char *op, const struct sockaddr *sa, socklen_t len)
{
	char text[160], host[256];
	struct fg_act act = { .op = op, .path = text, .flags = -1, .mode = -1,
			      .access = FG_ACC_WRITE, .net = true };
	struct fg_verdict v;
	bool known, any;

	if (sa == NULL || len < sizeof(sa_family_t) || fg_g.pol->net.mode == FG_MODE_OFF)
		return 0;
	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6 && sa->sa_family != AF_UNIX)
		return 0;
	if (strcmp(op, "bind") == 0 && (sa->sa_family == AF_UNIX || fg_is_loopback_or_any(sa, &any)))
		return 0;
	fg_addr_text(sa, len, text, sizeof(text));
	known = fg_names_find(sa, host, sizeof(host));
	if (known)
		act.path2 = host;
	if (fg_g.pol->net.dns && fg_is_resolver(sa))
		v = (struct fg_verdict){ .allow = true, .line = fg_g.pol->net.line, .why = "name server" };
	else
		fg_policy_addr(fg_g.pol, sa, len, known ? host : NULL, &v);
	if (!v.allow && v.line == 0)
		v.line = fg_g.pol->net.line;    /* [network] decided by default */
	return fg_enforce(&act, text, &v, fg_g.pol->net.mode);
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
			      .access = FG_ACC_READ, .net = true };
	struct fg_verdict v;

	if (host == NULL || fg_g.pol->net.mode == FG_MODE_OFF)
		return 0;
	if (fg_is_numeric_host(host) || fg_is_local_name(host))
		return 0;   /* no query leaves the host; connect judges the address */
	fg_policy_host(fg_g.pol, host, &v);
	if (!v.allow && v.line == 0)
		v.line = fg_g.pol->net.line;
	if (!v.allow && strcmp(v.why, "not in [network] allow") != 0)
		v.why = "host name not in [network] allow";
	act.access = FG_ACC_WRITE;  /* a lookup is a message that leaves the host */
	return fg_enforce(&act, host, &v, fg_g.pol->net.mode);
}
