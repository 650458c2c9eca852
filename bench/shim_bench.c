/* shim_bench.c - the sandbox's hot paths, with and without the library.
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
 * Runs itself twice, as a plain child and as a child with libfleetguard.so
 * preloaded (policy: system set, the workspace writable, events = denied,
 * kernel = off: Landlock's own cost is measured by bench/run_bench),
 * and prints for each case the time per operation of both and their ratio:
 *   open+close of an allowed file, a denied open, stat of an allowed file,
 *   connect+close to an allowed loopback port.
 * The open loops also keep their fastest batch of BATCH calls: on a shared
 * machine that figure shows the code's cost with the least preemption in
 * it (the whole loop's figure keeps the audit log's batched fdatasync).
 * Usage: shim_bench [ITERATIONS]   (FG_LIB overrides the library path)
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NCASES 6
#define BATCH 500
static const char *const names[NCASES] = {
	"open+close, allowed file", "open, denied file", "stat, allowed file",
	"connect+close, allowed loopback port",
	"open+close, allowed, fastest batch", "open, denied, fastest batch",
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The measured loops; prints one ns/op figure per case. */
static int child(const char *dir, int port, long n)
{
	char allowed[4096], denied[4096];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct stat st;
	double t, tb, best_allowed = 1e18, best_denied = 1e18, whole_allowed, whole_denied;
	long i;

	snprintf(allowed, sizeof(allowed), "%s/ws/file.txt", dir);
	snprintf(denied, sizeof(denied), "%s/outside.txt", dir);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	t = tb = now();
	for (i = 0; i < n; i++) {
		close(open(allowed, O_RDONLY | O_CLOEXEC));
		if (i % BATCH == BATCH - 1) {
			double end = now();

			best_allowed = end - tb < best_allowed ? end - tb : best_allowed;
			tb = end;
		}
	}
	whole_allowed = (now() - t) / (double)n;
	printf("%.1f\n", whole_allowed);
	t = tb = now();
	for (i = 0; i < n; i++) {
		int fd = open(denied, O_RDONLY | O_CLOEXEC);   /* plain: opens; shim: EACCES */

		if (fd >= 0)
			close(fd);
		if (i % BATCH == BATCH - 1) {
			double end = now();

			best_denied = end - tb < best_denied ? end - tb : best_denied;
			tb = end;
		}
	}
	whole_denied = (now() - t) / (double)n;
	printf("%.1f\n", whole_denied);
	t = now();
	for (i = 0; i < n; i++)
		stat(allowed, &st);
	printf("%.1f\n", (now() - t) / (double)n);
	t = now();
	for (i = 0; i < n / 10; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			perror("shim_bench: connect");
			return 1;
		}
		close(fd);
	}
	printf("%.1f\n", (now() - t) / (double)(n / 10));
	/* fewer calls than one batch: the whole loop is the only batch */
	printf("%.1f\n%.1f\n", n >= BATCH ? best_allowed / BATCH : whole_allowed,
	       n >= BATCH ? best_denied / BATCH : whole_denied);
	return 0;
}

static int run(char *const argv[], char *const envp[], double out[NCASES])
{
	int pfd[2], status, i;
	pid_t pid;
	FILE *f;

	if (pipe(pfd) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	close(pfd[1]);
	f = fdopen(pfd[0], "r");
	for (i = 0; i < NCASES; i++)
		if (fscanf(f, "%lf", &out[i]) != 1)
			out[i] = -1;
	fclose(f);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/fg-bench.XXXXXX", path[4200], pol[4200], lib[4200], portarg[16], narg[32];
	char childflag[] = "--child", quiet[] = "FLEETGUARD_QUIET=1";
	const char *n = argc > 1 ? argv[1] : "20000";
	double plain[NCASES], shim[NCASES];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int lfd, i;
	pid_t acceptor;
	FILE *f;

	if (argc == 5 && strcmp(argv[1], "--child") == 0)
		return child(argv[2], atoi(argv[3]), atol(argv[4]));
	if (mkdtemp(dir) == NULL)
		return 2;
	snprintf(path, sizeof(path), "%s/ws", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/ws/file.txt", dir);
	f = fopen(path, "w");
	fputs("data\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/outside.txt", dir);
	f = fopen(path, "w");
	fclose(f);

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(lfd, (struct sockaddr *)&sa, sizeof(sa));
	listen(lfd, 4096);
	getsockname(lfd, (struct sockaddr *)&sa, &sl);
	snprintf(portarg, sizeof(portarg), "%d", ntohs(sa.sin_port));
	acceptor = fork();
	if (acceptor == 0) {     /* accept and drop, so the backlog never fills */
		for (;;) {
			int c = accept(lfd, NULL, NULL);

			if (c >= 0)
				close(c);
		}
	}

	snprintf(pol, sizeof(pol), "%s/ws/fleetguard.ini", dir);
	f = fopen(pol, "w");
	fprintf(f, "[filesystem]\nsystem = yes\nwrite = ${root}\nkernel = off\n"
		   "[network]\nallow = 127.0.0.1:%s\n"
		   "[audit]\nevents = denied\n", portarg);
	fclose(f);
	snprintf(lib, sizeof(lib), "%s", getenv("FG_LIB") ? getenv("FG_LIB") :
		 FG_BUILDDIR "/.libs/libfleetguard.so");
	snprintf(narg, sizeof(narg), "%s", n);
	{
		char self[4200], envpol[4300], envlib[4300];
		char *cargv[] = { self, childflag, dir, portarg, narg, NULL };
		char *plain_env[] = { NULL };
		char *shim_env[] = { envlib, envpol, quiet, NULL };
		ssize_t k = readlink("/proc/self/exe", self, sizeof(self) - 1);

		self[k > 0 ? k : 0] = '\0';
		snprintf(envpol, sizeof(envpol), "FLEETGUARD_POLICY=%s", pol);
		snprintf(envlib, sizeof(envlib), "LD_PRELOAD=%s", lib);
		/* Alternate three rounds and keep each case's best: the other
		 * core's load then shows as little as it can. */
		double p2[NCASES], s2[NCASES];
		int r, j;

		i = run(cargv, plain_env, plain) < 0 || run(cargv, shim_env, shim) < 0;
		for (r = 0; r < 2 && !i; r++) {
			i = run(cargv, plain_env, p2) < 0 || run(cargv, shim_env, s2) < 0;
			for (j = 0; j < NCASES; j++) {
				plain[j] = p2[j] < plain[j] ? p2[j] : plain[j];
				shim[j] = s2[j] < shim[j] ? s2[j] : shim[j];
			}
		}
		kill(acceptor, SIGKILL);
		waitpid(acceptor, NULL, 0);
		if (i) {
			fprintf(stderr, "shim_bench: a child failed\n");
			return 1;
		}
	}
	printf("%-40s %12s %12s %8s\n", "operation (events = denied)", "plain ns", "shim ns", "ratio");
	for (i = 0; i < NCASES; i++)
		printf("%-40s %12.0f %12.0f %7.2fx\n", names[i], plain[i], shim[i], shim[i] / plain[i]);
	printf("%-40s %12s %12.0f %7.2fx\n", "denied open vs allowed open (shim)", "", shim[1],
	       shim[1] / shim[0]);
	printf("%-40s %12s %12.0f %7.2fx\n", "the same, fastest batches (shim)", "", shim[5],
	       shim[5] / shim[4]);
	return 0;
}
