/* parse_builtin.c - the rules fleetguard adds to a policy itself: the system set, DNS and declared endpoints.
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
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/parse_int.h"
#include "policy/policy_int.h"

/*
 * The read-only set that "system = yes" adds: what the dynamic loader, libc,
 * CPython, git, cc and sh open on Debian/Ubuntu and RHEL-like systems
 * (derived with strace -f -e trace=%file).  Documented in fleetguard.ini(5);
 * keep both in step.
 */
static const char *const system_read[] = {
	"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
	"/etc/ld.so.cache", "/etc/ld.so.preload", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
	"/etc/alternatives", "/etc/ssl", "/etc/ca-certificates", "/etc/pki/tls",
	"/etc/localtime", "/etc/timezone", "/etc/locale.alias",
	"/etc/resolv.conf", "/etc/hosts", "/etc/host.conf", "/etc/nsswitch.conf",
	"/etc/gai.conf", "/etc/services", "/etc/protocols", "/etc/passwd", "/etc/group",
	"/etc/gitconfig", "/etc/selinux/config", "/etc/python3",
	"/proc/self", "/proc/thread-self", "/proc/filesystems", "/proc/meminfo",
	"/proc/cpuinfo", "/proc/stat", "/sys/devices/system/cpu",
	"/sys/fs/cgroup",       /* node, the JVM and Go read their limits at start */
	"/dev/urandom", "/dev/random",
	NULL,
};
/* Writing to these is harmless and shells and compilers do it all the time. */
static const char *const system_write[] = {
	"/dev/null", "/dev/zero", "/dev/full", "/dev/tty",
	"/dev/stdin", "/dev/stdout", "/dev/stderr", "/dev/fd", NULL
};

void fg_parse_add_system(struct pstate *st)
{
	struct fg_policy *p = st->p;
	DIR *d;
	struct dirent *de;

	for (const char *const *s = system_read; *s; s++)
		fg_parse_add_path_rule(st, &p->fs.read, *s, 0, FG_ORIGIN_SYSTEM);
	for (const char *const *s = system_write; *s; s++)
		fg_parse_add_path_rule(st, &p->fs.write, *s, 0, FG_ORIGIN_SYSTEM);
	/* Debian's /usr/lib/python3.X/sitecustomize.py links to /etc/python3.X */
	d = opendir("/etc");
	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[300];

		if (strncmp(de->d_name, "python3.", 8) != 0 || !isdigit((unsigned char)de->d_name[8]))
			continue;
		snprintf(path, sizeof(path), "/etc/%s", de->d_name);
		fg_parse_add_path_rule(st, &p->fs.read, path, 0, FG_ORIGIN_SYSTEM);
	}
	closedir(d);
}

/* A rule for one name server: port 53 of the literal address s (n bytes). */
static bool add_nameserver(struct pstate *st, const char *s, size_t n, unsigned line)
{
	struct fg_net_rule r = { 0 };

	r.family = fg_addr_literal(s, n, r.addr);
	if (!r.family)
		return false;
	r.kind = FG_NET_CIDR;
	r.prefix = r.family == AF_INET ? 32 : 128;
	r.port = 53;
	r.line = line;
	r.origin = FG_ORIGIN_SYSTEM;
	return fg_parse_add_net_rule(st, &r);
}

/* dns = yes: the name servers of resolv.conf (glibc's default 127.0.0.1 when
 * it names none) on port 53, and nscd's socket. */
void fg_parse_add_dns(struct pstate *st, unsigned line)
{
	FILE *f = fopen("/etc/resolv.conf", "re");
	char buf[512];
	int found = 0;
	struct fg_net_rule r;

	while (f && fgets(buf, sizeof(buf), f)) {
		char *s = buf, *end;

		while (*s == ' ' || *s == '\t')
			s++;
		if (strncmp(s, "nameserver", 10) != 0 || (s[10] != ' ' && s[10] != '\t'))
			continue;
		s += 10;
		while (*s == ' ' || *s == '\t')
			s++;
		end = s;
		while (*end && !isspace((unsigned char)*end) && *end != '%')
			end++;
		if (add_nameserver(st, s, (size_t)(end - s), line))
			found++;
	}
	if (f)
		fclose(f);
	if (!found)
		add_nameserver(st, "127.0.0.1", 9, line);
	for (int i = 0; i < 2; i++) {
		memset(&r, 0, sizeof(r));
		r.kind = FG_NET_UNIX;
		r.port = -1;
		r.line = line;
		r.origin = FG_ORIGIN_SYSTEM;
		r.unix_path = strdup(i ? "/var/run/nscd/socket" : "/run/nscd/socket");
		if (!r.unix_path || !fg_parse_add_net_rule(st, &r)) {
			free(r.unix_path);
			st->oom = true;
		}
	}
}

static bool same_rule(const struct fg_net_rule *a, const struct fg_net_rule *b)
{
	if (a->kind != b->kind || a->port != b->port)
		return false;
	if (a->kind == FG_NET_HOST)
		return !strcmp(a->host, b->host);
	return a->kind == FG_NET_CIDR && a->family == b->family && a->prefix == b->prefix &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

/* A declared endpoint (and its fallback) is a host the agent may reach. */
void fg_parse_add_endpoint_rules(struct pstate *st, const struct eplines *el)
{
	struct fg_policy *p = st->p;

	if (!p->nep || !el)
		return;

	for (size_t i = 0; i < p->nep; i++) {
		for (int fb = 0; fb < 2; fb++) {
			const char *h = fb ? p->ep[i].fallback_host : p->ep[i].host;
			struct fg_net_rule r = { 0 };
			bool dup = false;

			if (!h)
				continue;
			r.port = fb ? p->ep[i].fallback_port : p->ep[i].port;
			r.line = fb ? el[i].fallback : el[i].address;
			r.origin = FG_ORIGIN_POLICY;
			r.family = fg_addr_literal(h, strlen(h), r.addr);
			if (r.family) {
				r.kind = FG_NET_CIDR;
				r.prefix = r.family == AF_INET ? 32 : 128;
			} else {
				r.kind = FG_NET_HOST;
				r.host = strdup(h);
				if (!r.host) {
					st->oom = true;
					continue;
				}
			}
			for (size_t j = 0; j < p->net.nallow && !dup; j++)
				dup = same_rule(&p->net.allow[j], &r);
			if (dup || !fg_parse_add_net_rule(st, &r))
				free(r.host);
		}
	}
}
