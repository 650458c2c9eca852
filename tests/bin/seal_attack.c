/* seal_attack.c - what an agent written in C tries against the sealed launch (tests only).
 * its child gets.
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
 * seal_attack CASE ARG...; prints one line with what happened, so that the
 * test script can tell a refusal from a success:
 *
 *   dlvsym VERSION FILE   open FILE through dlvsym(RTLD_DEFAULT, "open", VERSION)
 *   memfd PROGRAM         copy PROGRAM into a memfd, execveat(fd, "", AT_EMPTY_PATH)
 *   spawn-open FILE       posix_spawn cat with an addopen of FILE on stdin
 *   system CMD            unsetenv LD_PRELOAD, then system(CMD)
 *   popen CMD             unsetenv LD_PRELOAD, then popen(CMD, "r") to stdout
 *   closefrom             posix_spawn /bin/true with addclosefrom_np(3): the
 *                         child must still find the seal
 *   sealfd                close/dup2/dup3/F_SETFD on the sealed descriptor, then
 *                         close_range(3, ~0) and run /bin/true
 */
#define _GNU_SOURCE
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define SEAL_FD 1021

static int show_fd(int fd)
{
	char buf[256];
	ssize_t n;

	if (fd < 0) {
		printf("refused %s\n", strerrorname_np(errno));
		return 1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	printf("read %s\n", buf);
	return 0;
}

static int t_dlvsym(const char *ver, const char *file)
{
	int (*op)(const char *, int, ...) = (int (*)(const char *, int, ...))
		dlvsym(RTLD_DEFAULT, "open", ver);

	if (op == NULL) {
		printf("no symbol\n");
		return 2;
	}
	return show_fd(op(file, O_RDONLY));
}

static int t_memfd(const char *prog, char **argv)
{
	int in = open(prog, O_RDONLY), fd = memfd_create("payload", 0);
	char buf[65536];
	ssize_t n;

	while (in >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			return 2;
	execveat(fd, "", argv, environ, AT_EMPTY_PATH);
	printf("refused %s\n", strerrorname_np(errno));
	return 1;
}

static int t_spawn_open(const char *file)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { "cat", NULL };
	int rc, status;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, file, O_RDONLY, 0);
	rc = posix_spawn(&pid, "/bin/cat", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		printf("refused %s\n", strerrorname_np(rc));
		return 1;
	}
	waitpid(pid, &status, 0);
	return 0;
}

static int t_closefrom(void)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { "true", NULL };
	int rc, status = -1;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	rc = posix_spawn(&pid, "/bin/true", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc == 0)
		waitpid(pid, &status, 0);
	printf("spawn %d status %d\n", rc, status);
	return 0;
}

static int t_popen(const char *cmd)
{
	char buf[256];
	size_t n;
	FILE *f;

	unsetenv("LD_PRELOAD");
	f = popen(cmd, "r");
	if (f == NULL)
		return 2;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	printf("popen read [%s] status %d\n", buf, pclose(f));
	return 0;
}

static int t_sealfd(void)
{
	int a = close(SEAL_FD), ea = errno;
	int b = dup2(0, SEAL_FD), eb = errno;
	int c = dup3(0, SEAL_FD, 0), ec = errno;
	int d = fcntl(SEAL_FD, F_SETFD, FD_CLOEXEC), ed = errno;

	printf("close %d %s dup2 %d %s dup3 %d %s cloexec %d %s\n", a, strerrorname_np(ea), b,
	       strerrorname_np(eb), c, strerrorname_np(ec), d, strerrorname_np(ed));
	close_range(3, ~0u, 0);
	printf("after close_range: %s\n", fcntl(SEAL_FD, F_GETFD) >= 0 ? "open" : "closed");
	fflush(stdout);
	return system("/bin/true") == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	if (strcmp(argv[1], "dlvsym") == 0 && argc == 4)
		return t_dlvsym(argv[2], argv[3]);
	if (strcmp(argv[1], "memfd") == 0 && argc >= 3)
		return t_memfd(argv[2], argv + 2);
	if (strcmp(argv[1], "spawn-open") == 0 && argc == 3)
		return t_spawn_open(argv[2]);
	if (strcmp(argv[1], "system") == 0 && argc == 3) {
		unsetenv("LD_PRELOAD");
		printf("status %d\n", system(argv[2]));
		return 0;
	}
	if (strcmp(argv[1], "popen") == 0 && argc == 3)
		return t_popen(argv[2]);
	if (strcmp(argv[1], "closefrom") == 0)
		return t_closefrom();
	if (strcmp(argv[1], "sealfd") == 0)
		return t_sealfd();
	return 2;
}
