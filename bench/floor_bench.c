/* floor_bench.c - what the kernel floor of `fleetguard run` costs per open and per process start.
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
 * Set-ups, each measured with open()+close() of an allowed workspace file
 * (through the preloaded library, as an agent's program does) and with
 * /bin/true started under it:
 *
 *   plain        no fleetguard at all
 *   run          fleetguard run, a policy with no deny inside a tree:
 *                Landlock, the seccomp filter, the library
 *   masking      the same with `deny = ${root}/secrets` (one tmpfs mask)
 *   supervisor   the same policy with --floor=supervisor: every open is
 *                answered by the supervisor
 *
 * The set-ups take turns in each of ROUNDS rounds; medians (and minima)
 * are printed with the ratios masking/run (the target: <= 1.3) and
 * supervisor - run per open (the target: <= 25 us).  The policies use
 * events = denied so that the audit log's cost does not hide the floor's.
 * Run from the build tree: `make bench-floor`.
 *
 * `floor_bench --ab OTHER-FLEETGUARD` compares the supervisor of another
 * build (before) with this one (after), open+close under --floor=supervisor
 * in alternating turns, and (as root) this build with an agent that first
 * dropped to nobody (its calls then read the caller's credentials and take
 * them on the serving thread: kernel/sup_cred.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define OPENS 3000
#define WARMUP 200
#define STARTS 20
#define ROUNDS 7
#define NSETUP 4

static const char *const names[NSETUP] = { "plain", "run", "masking", "supervisor" };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run(const char *const argv[], char *out, size_t outlen)
{
	posix_spawn_file_actions_t fa;
	int p[2], status;
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addclose(&fa, p[0]);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ) != 0) {
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

static int openclose(const char *file, bool drop)
{
	double t0 = 0;

	if (drop && (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		     setresuid(65534, 65534, 65534) < 0)) {
		perror("dropping to nobody");
		return 1;
	}
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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static void write_policy(const char *path, const char *deny, const char *log, const char *bindir)
{
	FILE *f = fopen(path, "we");

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	fprintf(f, "[filesystem]\nwrite = ${root}\nread = %s\n%s%s\nkernel = on\n[audit]\nlog = %s\nevents = denied\n",
		bindir, deny ? "deny = " : "", deny ? deny : "", log);
	fclose(f);
}

/* argv for set-up s running tail (NULL-terminated, at most 4 words). */
static void setup_argv(int s, const char *tool, const char *pol[2], const char *const *tail,
		       const char **argv)
{
	int n = 0;

	if (s > 0) {
		argv[n++] = tool;
		argv[n++] = "run";
		if (s == 3)
			argv[n++] = "--floor=supervisor";
		argv[n++] = "--policy";
		argv[n++] = pol[s == 1 ? 0 : 1];
		argv[n++] = "--";
	}
	for (int i = 0; tail[i]; i++)
		argv[n++] = tail[i];
	argv[n] = NULL;
}

static void measure(const char *self, const char *tool, const char *pol[2], const char *file,
		    double open_ns[NSETUP][ROUNDS], double start_us[NSETUP][ROUNDS])
{
	const char *oc[] = { self, "--openclose", file, NULL };
	const char *tr[] = { "/bin/true", NULL };
	const char *argv[16];
	char out[64];

	for (int r = 0; r < ROUNDS; r++) {
		for (int k = 0; k < NSETUP; k++) {
			int s = (k + r) % NSETUP;
			double t0;

			setup_argv(s, tool, pol, oc, argv);
			if (run(argv, out, sizeof(out)) != 0) {
				fprintf(stderr, "floor_bench: the %s set-up failed\n", names[s]);
				exit(1);
			}
			open_ns[s][r] = strtod(out, NULL);
			setup_argv(s, tool, pol, tr, argv);
			t0 = now();
			for (int i = 0; i < STARTS; i++)
				if (run(argv, NULL, 0) != 0) {
					fprintf(stderr, "floor_bench: /bin/true under %s failed\n", names[s]);
					exit(1);
				}
			start_us[s][r] = (now() - t0) / STARTS * 1e6;
		}
	}
}

#define AB_ROUNDS 11
#define NAB 3

/* Open+close under --floor=supervisor: the other build (before), this one
 * (after), this one with a dropped agent, taking turns. */
static int ab(const char *self, const char *other, const char *pol, const char *file)
{
	static const char *const what[NAB] = { "before", "after", "after, dropped" };
	static double ns[NAB][AB_ROUNDS];
	int kinds = geteuid() == 0 ? NAB : NAB - 1;
	char out[64];

	for (int r = 0; r < AB_ROUNDS; r++)
		for (int k = 0; k < kinds; k++) {
			int s = (k + r) % kinds;
			const char *argv[] = { s == 0 ? other : "./fleetguard", "run",
					       "--floor=supervisor", "--policy", pol, "--", self,
					       s == 2 ? "--openclose-drop" : "--openclose", file, NULL };

			if (run(argv, out, sizeof(out)) != 0) {
				fprintf(stderr, "floor_bench: the %s set-up failed\n", what[s]);
				return 1;
			}
			ns[s][r] = strtod(out, NULL);
		}
	printf("%-16s %14s %10s\n", "supervisor", "open+close ns", "(first)");
	for (int s = 0; s < kinds; s++) {
		double first = ns[s][0];

		printf("%-16s %14.0f %10.0f\n", what[s], median(ns[s], AB_ROUNDS), first);
	}
	printf("after / before: %.3fx", median(ns[1], AB_ROUNDS) / median(ns[0], AB_ROUNDS));
	if (kinds == NAB)
		printf("; a dropped agent pays %.1f us more per open",
		       (median(ns[2], AB_ROUNDS) - median(ns[1], AB_ROUNDS)) / 1e3);
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	static double open_ns[NSETUP][ROUNDS], start_us[NSETUP][ROUNDS];
	char dir[] = "/tmp/fg-floor-bench.XXXXXX", pol0[128], pol1[128], file[128], log[128];
	char deny[160], cmd[256], self[4096];
	const char *pol[2] = { pol0, pol1 };
	double mo[NSETUP], ms[NSETUP];

	if (argc == 3 && strcmp(argv[1], "--openclose") == 0)
		return openclose(argv[2], false);
	if (argc == 3 && strcmp(argv[1], "--openclose-drop") == 0)
		return openclose(argv[2], true);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(pol0, sizeof(pol0), "%s/ws/plain.ini", dir);
	snprintf(pol1, sizeof(pol1), "%s/ws/deny.ini", dir);
	snprintf(file, sizeof(file), "%s/ws/file.txt", dir);
	snprintf(log, sizeof(log), "%s/log/audit.log", dir);
	snprintf(deny, sizeof(deny), "%s/ws/secrets", dir);
	snprintf(cmd, sizeof(cmd), "%s/ws", dir);
	mkdir(cmd, 0700);
	mkdir(deny, 0700);
	if (realpath("/proc/self/exe", self) == NULL || strrchr(self, '/') == NULL) {
		perror("/proc/self/exe");
		return 1;
	}
	*strrchr(self, '/') = '\0';
	write_policy(pol0, NULL, log, self);
	write_policy(pol1, deny, log, self);
	close(open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	if (argc == 3 && strcmp(argv[1], "--ab") == 0) {
		int rc;

		chmod(dir, 0755);       /* the dropped agent walks in */
		snprintf(cmd, sizeof(cmd), "%s/ws", dir);
		chmod(cmd, 0755);
		rc = ab(argv[0], argv[2], pol1, file);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		return system(cmd) == 0 ? rc : 1;
	}
	measure(argv[0], "./fleetguard", pol, file, open_ns, start_us);
	printf("%-11s %14s %10s %16s %10s\n", "set-up", "open+close ns", "(min)", "start /bin/true us", "(min)");
	for (int s = 0; s < NSETUP; s++) {
		mo[s] = median(open_ns[s], ROUNDS);
		ms[s] = median(start_us[s], ROUNDS);
		printf("%-11s %14.0f %10.0f %16.0f %10.0f\n", names[s], mo[s], open_ns[s][0], ms[s],
		       start_us[s][0]);
	}
	printf("masking / run, open+close:   %.2fx (target <= 1.30)\n", mo[2] / mo[1]);
	printf("masking / plain, open+close: %.2fx\n", mo[2] / mo[0]);
	printf("supervisor open+close: %.1f us, %.1f us more than run (target <= 25 us)\n",
	       mo[3] / 1e3, (mo[3] - mo[1]) / 1e3);
	printf("start: masking / run %.2fx, supervisor / run %.2fx\n", ms[2] / ms[1], ms[3] / ms[1]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : 1;
}
