/* rendezvous.c - finds the gateway that serves a policy, starting it when none runs.
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
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit/audit.h"
#include "gateway/rendezvous.h"
#include "policy/policy.h"

extern char **environ;

int fg_gw_key(const char *policy_file, char key[FG_GW_KEY_LEN + 1])
{
	char hex[65];
	int rc = fg_sha256_file(policy_file, hex);

	return rc < 0 ? rc : fg_gw_key_sha(policy_file, hex, key);
}

int fg_gw_key_sha(const char *policy_file, const char *hex, char key[FG_GW_KEY_LEN + 1])
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */

	if (hex == NULL || strlen(hex) != 64)
		return -EINVAL;
	for (const char *s = policy_file; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	h = (h ^ '\n') * 1099511628211ull;
	for (const char *s = hex; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	snprintf(key, FG_GW_KEY_LEN + 1, "%016llx", (unsigned long long)h);
	return 0;
}

int fg_gw_path(const char *dir, const char *key, const char *suffix, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/fleetguard-gw-%s%s", dir, key, suffix);

	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int fg_gw_ports_read(const char *path, struct fg_gw_ports *out)
{
	char buf[2048], *s, *end;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	long pid;

	memset(out, 0, sizeof(*out));
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EPROTO;
	buf[n] = '\0';
	if (strncmp(buf, "fleetguard-gateway 1 ", 21) != 0)
		return -EPROTO;
	pid = strtol(buf + 21, &end, 10);
	if (pid <= 0 || *end != '\n')
		return -EPROTO;
	out->pid = (pid_t)pid;
	for (s = end + 1; *s != '\0'; s = end + 1) {
		unsigned long i = strtoul(s, &end, 10), port;

		if (*end != ' ' || i >= FG_GW_EP_MAX)
			return -EPROTO;
		port = strtoul(end + 1, &end, 10);
		if (*end != '\n' || port == 0 || port > 65535)
			return -EPROTO;
		out->port[i] = (uint16_t)port;
		if (i + 1 > out->n)
			out->n = (unsigned)i + 1;
	}
	return 0;
}

int fg_gw_commit(int fd, int rc, const char *tmp, const char *path)
{
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	return rc;
}

int fg_gw_ports_write(const char *path, const struct fg_gw_ports *in)
{
	char tmp[4200], buf[2048];
	size_t len;
	int fd, rc = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid()) >= sizeof(tmp))
		return -ENAMETOOLONG;
	len = (size_t)snprintf(buf, sizeof(buf), "fleetguard-gateway 1 %ld\n", (long)in->pid);
	for (unsigned i = 0; i < in->n && len < sizeof(buf) - 16; i++)
		if (in->port[i] != 0)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%u %u\n", i,
						(unsigned)in->port[i]);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0660);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, len) != (ssize_t)len)
		rc = -EIO;
	return fg_gw_commit(fd, rc, tmp, path);
}

/* The environment of the gateway: the caller's, without the preload. */
static char **clean_env(void)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n] != NULL)
		n++;
	env = calloc(n + 1, sizeof(*env));
	if (env == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0)
			env[k++] = environ[i];
	return env;
}

/* In the grandchild: descriptors in place, then exec.  Never returns. */
static void become_gateway(const char *prog, char *const argv[], char **env, int ready,
			   const char *logpath)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int log = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);

	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
	    dup2(log >= 0 ? log : null, 2) < 0 || dup2(ready, 3) < 0)
		_exit(127);
	execve(prog, argv, env);
	_exit(127);
}

int fg_gw_spawn(const char *prog, const char *policy, const char *dir, const char *key,
		pid_t root)
{
	char logpath[4200], rootbuf[24], answer[8];
	char a0[] = "fleetguard-gateway", a1[] = "--policy", a3[] = "--dir", a5[] = "--ready-fd",
	     a6[] = "3", a7[] = "--root";
	char *argv[] = { a0, a1, (char *)(uintptr_t)policy, a3, (char *)(uintptr_t)dir, a5, a6,
			 root > 0 ? a7 : NULL, rootbuf, NULL };
	char **env = clean_env();
	int p[2], status, rc = -EIO;
	pid_t child;
	ssize_t n;

	snprintf(rootbuf, sizeof(rootbuf), "%ld", (long)root);
	if (env == NULL || fg_gw_path(dir, key, ".log", logpath, sizeof(logpath)) < 0 ||
	    pipe2(p, O_CLOEXEC) < 0) {
		free(env);
		return -ENOMEM;
	}
	child = fork();
	if (child == 0) {
		close(p[0]);
		setsid();
		if (fork() == 0)
			become_gateway(prog, argv, env, p[1], logpath);
		_exit(0);
	}
	close(p[1]);
	if (child > 0) {
		while (waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
		do
			n = read(p[0], answer, sizeof(answer));
		while (n < 0 && errno == EINTR);
		if (n >= 2 && memcmp(answer, "ok", 2) == 0)
			rc = 0;
	} else {
		rc = -errno;
	}
	close(p[0]);
	free(env);
	return rc;
}

static int alive(pid_t pid)
{
	return kill(pid, 0) == 0 || errno == EPERM;
}

int fg_gw_find(const char *prog, const char *policy, const char *dir, const char *key,
	       int spawn, struct fg_gw_ports *out, int *lockfd)
{
	char lockpath[4200], ports[4200];
	int fd, rc;

	if (fg_gw_path(dir, key, ".lock", lockpath, sizeof(lockpath)) < 0 ||
	    fg_gw_path(dir, key, ".ports", ports, sizeof(ports)) < 0)
		return -ENAMETOOLONG;
	fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0660);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_SH) < 0)
		goto out_errno;
	rc = fg_gw_ports_read(ports, out);
	if (rc == 0 && alive(out->pid))
		goto out_ok;
	if (!spawn) {
		rc = rc < 0 ? rc : -ESRCH;
		goto out_close;
	}
	/* one starter at a time; whoever waited finds the new one */
	if (flock(fd, LOCK_EX) < 0)
		goto out_errno;
	rc = fg_gw_ports_read(ports, out);
	if (rc < 0 || !alive(out->pid)) {
		rc = fg_gw_spawn(prog, policy, dir, key, 0);
		if (rc == 0)
			rc = fg_gw_ports_read(ports, out);
		if (rc < 0)
			goto out_close;
	}
	if (flock(fd, LOCK_SH) < 0)
		goto out_errno;
out_ok:
	*lockfd = fd;
	return 0;
out_errno:
	rc = -errno;
out_close:
	close(fd);
	return rc;
}

int fg_gw_ca_dir(char *out, size_t cap)
{
	const char *x = getenv("XDG_STATE_HOME"), *h = getenv("HOME");
	int n;

	if (x != NULL && x[0] == '/')
		n = snprintf(out, cap, "%s/fleetguard/gateway-ca", x);
	else if (h != NULL && h[0] == '/')
		n = snprintf(out, cap, "%s/.local/state/fleetguard/gateway-ca", h);
	else
		return -ENOENT;
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int fg_gw_root_add(const char *dir, const char *key, pid_t pid)
{
	char path[4200], line[32];
	int fd, n, rc = 0;

	if (fg_gw_path(dir, key, ".roots", path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0660);
	if (fd < 0)
		return -errno;
	n = snprintf(line, sizeof(line), "%ld\n", (long)pid);
	if (write(fd, line, (size_t)n) != n)
		rc = -EIO;
	close(fd);
	return rc;
}

int fg_gw_roots_alive(const char *path)
{
	char buf[8192], *s, *end;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (s = buf; *s != '\0'; s = end + (*end != '\0')) {
		long pid = strtol(s, &end, 10);

		if (end == s)
			break;
		if (pid > 0 && alive((pid_t)pid))
			return 1;
	}
	return 0;
}

int fg_gw_allow_ports(struct fg_policy *p, const struct fg_gw_ports *ports)
{
	for (unsigned i = 0; i < ports->n; i++) {
		const struct fg_net_rule r = {
			.kind = FG_NET_CIDR, .family = AF_INET, .addr = { 127, 0, 0, 1 },
			.prefix = 32, .port = ports->port[i], .origin = FG_ORIGIN_DEFAULT };

		if (ports->port[i] != 0 && fg_policy_add_net(p, &r) < 0)
			return -ENOMEM;
	}
	return 0;
}

