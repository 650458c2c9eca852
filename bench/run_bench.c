/* SPDX-License-Identifier: Apache-2.0
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
 * run_bench.c - what kernel enforcement costs, measured in one run:
 *
 *   start-up   /bin/true plain, under LD_PRELOAD alone (kernel = off), under
 *              LD_PRELOAD with the constructor applying Landlock, and under
 *              `fleetguard run` (ratios against plain true)
 *   open+close of a workspace file in a loop, under the library with
 *              kernel = off and under fleetguard run with Landlock on
 *
 * The policies use events = denied so that the audit log's cost (the same
 * with or without Landlock) does not hide Landlock's.  Run from the build
 * tree: `make bench-landlock`.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define STARTS 100
#define OPENS 20000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run argv with env to completion; its stdout (if out) into out. */
static int run(char *const argv[], char *const env[], char *out, size_t outlen)
{
	posix_spawn_file_actions_t fa;
	int p[2], status;
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addclose(&fa, p[0]);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, env) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (out != NULL) {
		ssize_t n = read(p[0], out, outlen - 1);

		out[n > 0 ? n : 0] = '\0';
	}
	close(p[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static double per_start(char *const argv[], char *const env[])
{
	double t0 = now();

	for (int i = 0; i < STARTS; i++)
		if (run(argv, env, NULL, 0) != 0) {
			fprintf(stderr, "run_bench: '%s' failed\n", argv[0]);
			exit(1);
		}
	return (now() - t0) / STARTS * 1e6;
}

/* --openclose FILE: the timed loop, run inside the configurations. */
static int openclose(const char *file)
{
	double t0 = now();

	for (int i = 0; i < OPENS; i++) {
		int fd = open(file, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			perror(file);
			return 1;
		}
		close(fd);
	}
	printf("%.1f\n", (now() - t0) / OPENS * 1e9);
	return 0;
}

static void policy(const char *path, const char *kernel, const char *log)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	fprintf(f, "[filesystem]\nwrite = ${root}\nkernel = %s\n[audit]\nevents = denied\nlog = %s\n",
		kernel, log);
	fclose(f);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/fg-bench.XXXXXX", on[64], off[64], file[64], log[64], copy[64];
	char self[4096], out[64], cmd[4200];
	char lib[4200], tool[4200], pre[4300], pol_on[128], pol_off[128];
	double t_plain, t_pre, t_ctor, t_run, oc_plain, oc_off, oc_on;
	ssize_t n;

	if (argc == 3 && strcmp(argv[1], "--openclose") == 0)
		return openclose(argv[2]);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	/* DIR/ws is the workspace (with a copy of this program, which the
	 * domain must be able to execute); the audit log lies outside it. */
	snprintf(on, sizeof(on), "%s/ws", dir);
	mkdir(on, 0700);
	snprintf(on, sizeof(on), "%s/ws/on.ini", dir);
	snprintf(off, sizeof(off), "%s/ws/off.ini", dir);
	snprintf(file, sizeof(file), "%s/ws/data.txt", dir);
	snprintf(log, sizeof(log), "%s/audit/audit.log", dir);
	snprintf(copy, sizeof(copy), "%s/ws/run_bench", dir);
	policy(on, "on", log);
	policy(off, "off", log);
	policy(file, "off", log);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", self, copy);
	if (system(cmd) != 0)
		return 1;
	snprintf(lib, sizeof(lib), "%s/.libs/libfleetguard.so", FG_BUILDDIR);
	snprintf(tool, sizeof(tool), "%s/fleetguard", FG_BUILDDIR);
	snprintf(pre, sizeof(pre), "LD_PRELOAD=%s", lib);
	snprintf(pol_on, sizeof(pol_on), "FLEETGUARD_POLICY=%s", on);
	snprintf(pol_off, sizeof(pol_off), "FLEETGUARD_POLICY=%s", off);

	static char a_run[] = "run", a_pol[] = "--policy", a_dd[] = "--", a_oc[] = "--openclose",
		    a_true[] = "/bin/true";
	char *plain_env[] = { NULL };
	char *env_off[] = { pre, pol_off, NULL };
	char *env_on[] = { pre, pol_on, NULL };
	char *true_argv[] = { a_true, NULL };
	char *run_argv[] = { tool, a_run, a_pol, on, a_dd, a_true, NULL };

	t_plain = per_start(true_argv, plain_env);
	t_pre = per_start(true_argv, env_off);
	t_ctor = per_start(true_argv, env_on);
	t_run = per_start(run_argv, plain_env);
	printf("start-up, %d runs each (us per run, ratio to plain true):\n", STARTS);
	printf("  true                                  %8.0f  1.00\n", t_plain);
	printf("  LD_PRELOAD, kernel = off              %8.0f  %.2f\n", t_pre, t_pre / t_plain);
	printf("  LD_PRELOAD, constructor applies       %8.0f  %.2f\n", t_ctor, t_ctor / t_plain);
	printf("  fleetguard run -- true                %8.0f  %.2f  (%.2f x LD_PRELOAD alone)\n",
	       t_run, t_run / t_plain, t_run / t_pre);

	char *oc_argv[] = { copy, a_oc, file, NULL };
	char *oc_run[] = { tool, a_run, a_pol, on, a_dd, copy, a_oc, file, NULL };

	if (run(oc_argv, plain_env, out, sizeof(out)) != 0)
		return 1;
	oc_plain = atof(out);
	if (run(oc_argv, env_off, out, sizeof(out)) != 0)
		return 1;
	oc_off = atof(out);
	if (run(oc_run, plain_env, out, sizeof(out)) != 0)
		return 1;
	oc_on = atof(out);
	printf("open+close, %d each (ns per pair):\n", OPENS);
	printf("  no library                            %8.0f\n", oc_plain);
	printf("  library, kernel = off                 %8.0f  %.2f x no library\n", oc_off,
	       oc_off / oc_plain);
	printf("  library + Landlock (fleetguard run)   %8.0f  %.2f x kernel = off (%+.1f%%)\n",
	       oc_on, oc_on / oc_off, (oc_on / oc_off - 1) * 100);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : 1;
}
