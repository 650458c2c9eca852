/* run_bench.c - what kernel enforcement costs, measured in one run.
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
 * What it measures:
 *
 *   start-up   /bin/true plain, under LD_PRELOAD alone (kernel = off), under
 *              LD_PRELOAD with the constructor applying Landlock, and under
 *              `fleetguard run` (ratios against plain true)
 *   open+close of three files (in the workspace just below its rule, five
 *              levels further down, and in the system set) under four
 *              set-ups: no library; Landlock alone (this program applies the
 *              plan fleetguard run builds, without the library); the library
 *              with kernel = off; the library under `fleetguard run`.
 *
 * A loop of open+close in one process is noisy on a shared machine (single
 * runs of the former version gave +14% to +45% for the same code), so every
 * set-up runs ROUNDS times, the set-ups take turns within each round (in a
 * rotating order), and the medians are reported with the minima beside
 * them.  "Landlock alone" tells what the kernel charges for this ruleset
 * whatever the library does; "library + Landlock" against "library" is the
 * target's ratio.
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

#include "breaker/breaker.h"
#include "kernel/landlock.h"
#include "policy/policy.h"

extern char **environ;

#define STARTS 100
#define OPENS 5000
#define WARMUP 200
#define ROUNDS 11
#define NSETUP 4
#define NFILE 3

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

/* --openclose FILE: the timed loop, run inside the set-ups. */
static int openclose(const char *file)
{
	double t0 = 0;

	for (int i = 0; i < WARMUP + OPENS; i++) {
		int fd;

		if (i == WARMUP)
			t0 = now();
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			perror(file);
			return 1;
		}
		close(fd);
	}
	printf("%.1f\n", (now() - t0) / OPENS * 1e9);
	return 0;
}

static void on_diag(void *ctx, const char *file, unsigned line, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "run_bench: %s:%u: %s\n", file, line, msg);
}

/* --landlock POLICY AUDIT_DIR LIBRARY FILE: apply the plan `fleetguard run`
 * builds for POLICY (same own paths), without the library, then loop. */
static int landlock_alone(char **argv)
{
	struct fg_ll_own own[FG_LL_OWN_MAX];
	struct fg_ll_plan *pl;
	struct fg_policy *p;
	char state[4096];
	size_t nown;
	int abi, rc;

	if (fg_policy_load(argv[0], &p, on_diag, NULL) != 0)
		return 1;
	abi = fg_ll_abi();
	if (abi < 0) {
		fprintf(stderr, "run_bench: landlock: %s\n", strerror(-abi));
		return 1;
	}
	nown = fg_ll_own_list(p, argv[1], argv[2],
			      fg_bk_state_dir(&p->breaker, state, sizeof(state)) == 0 ? state : NULL,
			      own);
	rc = fg_ll_plan_new(p, abi, own, nown, NULL, NULL, &pl);
	if (rc == 0)
		rc = fg_ll_apply(pl);
	if (rc < 0) {
		fprintf(stderr, "run_bench: cannot apply the landlock ruleset: %s\n", strerror(-rc));
		return 1;
	}
	fg_ll_plan_free(pl);
	fg_policy_free(p);
	return openclose(argv[3]);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts v. */
static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
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
	char deep[96], auditdir[64], sysfile[4096];
	char self[4096], out[64], cmd[4200];
	char lib[4200], tool[4200], pre[4300], pol_on[128], pol_off[128];
	double t_plain, t_pre, t_ctor, t_run;
	ssize_t n;

	if (argc == 3 && strcmp(argv[1], "--openclose") == 0)
		return openclose(argv[2]);
	if (argc == 6 && strcmp(argv[1], "--landlock") == 0)
		return landlock_alone(argv + 2);
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
	snprintf(auditdir, sizeof(auditdir), "%s/audit", dir);
	snprintf(deep, sizeof(deep), "%s/ws", dir);
	for (int i = 0; i < 4; i++) {
		strcat(deep, "/d");
		mkdir(deep, 0700);
	}
	strcat(deep, "/data.txt");
	/* /bin may be a link into /usr: name the file itself, so that the
	 * library takes its usual path rather than the one for symlinks. */
	if (realpath("/bin/true", sysfile) == NULL) {
		perror("/bin/true");
		return 1;
	}
	snprintf(copy, sizeof(copy), "%s/ws/run_bench", dir);
	policy(on, "on", log);
	policy(off, "off", log);
	policy(file, "off", log);
	policy(deep, "off", log);
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

	/* open+close: files[f] under set-up u, round r. */
	static const char *const setup_name[NSETUP] = { "no library", "Landlock alone",
							"library, kernel = off", "library + Landlock" };
	static const char *const file_name[NFILE] = {
		"workspace file, 1 level below its rule", "workspace file, 5 levels below its rule",
		"system file (read-only tree)" };
	static char a_ll[] = "--landlock";
	char *files[NFILE] = { file, deep, sysfile };
	double t[NFILE][NSETUP][ROUNDS], ratio[ROUNDS];

	for (int r = 0; r < ROUNDS; r++) {
		for (int f = 0; f < NFILE; f++) {
			for (int j = 0; j < NSETUP; j++) {
				int u = (r + j) % NSETUP;
				char *plain_argv[] = { copy, a_oc, files[f], NULL };
				char *ll_argv[] = { copy, a_ll, on, auditdir, lib, files[f], NULL };
				char *run_oc[] = { tool, a_run, a_pol, on, a_dd, copy, a_oc, files[f], NULL };
				char *const *argv_u[NSETUP] = { plain_argv, ll_argv, plain_argv, run_oc };
				char *const *env_u[NSETUP] = { plain_env, plain_env, env_off, plain_env };

				if (run(argv_u[u], env_u[u], out, sizeof(out)) != 0) {
					fprintf(stderr, "run_bench: open+close under '%s' failed\n",
						setup_name[u]);
					return 1;
				}
				t[f][u][r] = atof(out);
			}
		}
	}
	printf("open+close, ns per pair: median of %d rounds of %d, the set-ups alternating:\n",
	       ROUNDS, OPENS);
	for (int f = 0; f < NFILE; f++) {
		double med[NSETUP], mn[NSETUP];

		for (int r = 0; r < ROUNDS; r++)
			ratio[r] = t[f][3][r] / t[f][2][r];
		for (int u = 0; u < NSETUP; u++) {
			med[u] = median(t[f][u], ROUNDS);
			mn[u] = t[f][u][0];
		}
		qsort(ratio, ROUNDS, sizeof(ratio[0]), cmp_double);   /* for the range */
		printf("  %s (%s)\n", file_name[f], files[f]);
		for (int u = 0; u < NSETUP; u++) {
			printf("    %-22s %6.0f (min %6.0f)", setup_name[u], med[u], mn[u]);
			if (u % 2 == 1)
				printf("  adds %+5.0f ns %+5.1f%% (min %+5.1f%%)", med[u] - med[u - 1],
				       (med[u] / med[u - 1] - 1) * 100, (mn[u] / mn[u - 1] - 1) * 100);
			if (u == 3)
				printf(", rounds %+.1f%% .. %+.1f%%", (ratio[0] - 1) * 100,
				       (ratio[ROUNDS - 1] - 1) * 100);
			printf("\n");
		}
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : 1;
}
