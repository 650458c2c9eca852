/* gateway_glue.c - sends the agent's connects to gateway endpoints to fleetguard-gateway.
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

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "breaker/breaker.h"
#include "gateway/rendezvous.h"
#include "shim/gateway_glue.h"
#include "shim/shim.h"

static char gw_key[FG_GW_KEY_LEN + 1];
static FG_COLD char gw_dir[PATH_MAX];
static FG_COLD char gw_prog[PATH_MAX];
static bool gw_ok;
static atomic_bool gw_said;

/* The breaker's state directory, where the gateway's files live. */
static bool pick_dir(const struct fg_policy *p)
{
	return fg_bk_state_dir(&p->breaker, gw_dir, sizeof(gw_dir)) == 0;
}

/* The program next to this library's build, else the installed one. */
static void pick_prog(void)
{
	char build[PATH_MAX], lib[PATH_MAX];
	Dl_info info;

	if (dladdr((void *)pick_prog, &info) != 0 && info.dli_fname != NULL &&
	    realpath(info.dli_fname, lib) != NULL && realpath(FG_BUILDDIR, build) != NULL &&
	    strncmp(lib, build, strlen(build)) == 0 && lib[strlen(build)] == '/') {
		if ((size_t)snprintf(gw_prog, sizeof(gw_prog), "%.*s/fleetguard-gateway",
				     (int)(sizeof(gw_prog) - 24), build) < sizeof(gw_prog))
			return;
	}
	snprintf(gw_prog, sizeof(gw_prog), "%s/fleetguard-gateway", FG_BINDIR);
}

/* Does the policy send any endpoint through the gateway? */
static bool any_gateway(void)
{
	for (size_t i = 0; fg_g.pol != NULL && i < fg_g.pol->nep; i++)
		if (fg_g.pol->ep[i].gateway)
			return true;
	return false;
}

/* Runs inside the first judgement of a process (fg_judge asks
 * fg_gw_owns): the agent's call must not see the errno of its probes.
 * The key comes from the sealed policy's SHA-256: hashing the file here
 * would load libcrypto into every agent process. */
static void init_once(void)
{
	int saved = errno;

	fg_in_guard++;
	gw_ok = any_gateway() && pick_dir(fg_g.pol) &&
		fg_gw_key_sha(fg_g.pol->file, fg_g.policy_sha, gw_key) == 0;
	pick_prog();
	fg_in_guard--;
	errno = saved;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void say_once(const char *what, int err)
{
	if (!atomic_exchange(&gw_said, true))
		fg_say("gateway %s: %s; LLM calls go out directly, judged by this process",
		       what, strerror(err));
}

void fg_gw_before_landlock(bool confined)
{
	struct fg_gw_ports ports;
	int lockfd, r;

	if (!any_gateway())
		return;
	pthread_once(&once, init_once);
	if (!gw_ok)
		return;
	fg_in_guard++;
	r = fg_gw_find(gw_prog, fg_g.pol->file, gw_dir, gw_key, !confined, &ports, &lockfd);
	if (r == 0) {
		close(lockfd);
		if (fg_gw_allow_ports(fg_g.pol, &ports) < 0)
			r = -ENOMEM;
	}
	fg_in_guard--;
	if (r < 0)
		say_once("not started", -r);
}

bool fg_gw_connect(unsigned idx, int fd, const struct sockaddr *sa, socklen_t len,
		   int (*real_connect)(int, const struct sockaddr *, socklen_t), int *rc)
{
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct fg_gw_ports ports;
	int lockfd = -1, r, err;

	(void)len;
	pthread_once(&once, init_once);
	if (!gw_ok) {
		say_once("unavailable", ENOENT);
		return false;
	}
	fg_in_guard++;
	r = fg_gw_find(gw_prog, fg_g.pol->file, gw_dir, gw_key, !fg_g.landlock_active, &ports,
		       &lockfd);
	fg_in_guard--;
	if (r < 0 || idx >= ports.n || ports.port[idx] == 0) {
		if (lockfd >= 0)
			close(lockfd);
		say_once(r < 0 ? "not started" : "does not serve this endpoint", r < 0 ? -r : ENOENT);
		return false;
	}
	s4.sin_port = s6.sin6_port = htons(ports.port[idx]);
	s6.sin6_addr.s6_addr[10] = s6.sin6_addr.s6_addr[11] = 0xff;
	s6.sin6_addr.s6_addr[12] = 127;
	s6.sin6_addr.s6_addr[15] = 1;
	if (sa->sa_family == AF_INET6)
		*rc = real_connect(fd, (struct sockaddr *)&s6, sizeof(s6));
	else
		*rc = real_connect(fd, (struct sockaddr *)&s4, sizeof(s4));
	err = errno;
	fg_in_guard++;
	close(lockfd);
	fg_in_guard--;
	errno = err;
	return true;
}

static bool gw_file(const char *path, size_t len)
{
	static const char pre[] = "fleetguard-gw-";
	size_t n;

	pthread_once(&once, init_once);
	n = strlen(gw_dir);
	return gw_ok && len > n + sizeof(pre) && memcmp(path, gw_dir, n) == 0 && path[n] == '/' &&
	       memcmp(path + n + 1, pre, sizeof(pre) - 1) == 0;
}

bool fg_gw_bundle(const char *path, size_t len)
{
	static const char suf[] = ".bundle.pem";

	return gw_file(path, len) && len > sizeof(suf) &&
	       memcmp(path + len - (sizeof(suf) - 1), suf, sizeof(suf) - 1) == 0;
}

bool fg_gw_owns(const char *path, size_t len)
{
	return gw_file(path, len) && !fg_gw_bundle(path, len);
}
