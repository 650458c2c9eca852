/* startup_bench.c - what the library and `fleetguard run` add to starting a process.
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
 * Each case runs the same command twice per round, once plain and once
 * under fleetguard, in alternating order, ROUNDS rounds; it prints the
 * median of each and their ratio.  Both runs share the machine's noise,
 * so the ratio is the figure to read (docs/PERFORMANCE.md).
 *
 *   true        /bin/true, plain vs LD_PRELOAD (library only)
 *   python      python3 -c pass, plain vs LD_PRELOAD
 *   lib-sh200   sh starting 200 /bin/true, plain vs LD_PRELOAD (the children
 *               are descendants: they map the sealed policy)
 *   shell200    sh starting 200 /bin/true, plain vs under `fleetguard run`
 *   run-true    /bin/true plain vs `fleetguard run -- /bin/true`
 *
 * Then, measured the same way, the floors the targets sit on and bubblewrap
 * for reference (none of them fleetguard):
 *
 *   empty-true  /bin/true vs LD_PRELOAD of a library that does nothing
 *   floor-true  /bin/true vs LD_PRELOAD of bench/floor_preload.c: the same
 *               Landlock rules as the policy's, nothing else
 *   floor-sh200 the shell loop vs that library (its children only load it)
 *   bwrap-true  /bin/true vs `bwrap --ro-bind / / /bin/true`, the cheapest
 *               bubblewrap launch: a mount namespace and nothing else
 *   bwrap-sh200 the shell loop vs the same bubblewrap launch of it
 *
 * (the bwrap cases only where /usr/bin/bwrap is installed).
 *
 * Run from the build tree: `bench/startup_bench [ROUNDS]`.  The policy is
 * written to a fresh workspace under $TMPDIR (events = all, the default;
 * the log outside the write tree, so Landlock applies without a note).
 */
#include "config.h"

#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds to run argv with env to completion; exits on failure. */
static double run(char *const argv[], char *const env[])
{
	double t0 = now();
	int status;
	pid_t pid;

	if (posix_spawn(&pid, argv[0], NULL, NULL, argv, env) != 0) {
		fprintf(stderr, "startup_bench: cannot run %s\n", argv[0]);
		exit(2);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "startup_bench: %s failed (status %#x)\n", argv[0], status);
		exit(2);
	}
	return now() - t0;
}

/* The read and write trees `fleetguard check` lists for the policy, and
 * the floor library lib, as "r PATH" / "w PATH" lines in rules
 * (floor_preload.c's input). */
static void write_rules(const char *fg, const char *pol, const char *rules, const char *lib)
{
	char cmd[8500], line[4200], path[4200];
	FILE *in, *out;

	snprintf(cmd, sizeof(cmd), "'%s' check '%s'", fg, pol);
	in = popen(cmd, "r");
	out = fopen(rules, "w");
	if (in == NULL || out == NULL) {
		fprintf(stderr, "startup_bench: cannot list the policy's trees\n");
		exit(2);
	}
	fprintf(out, "r %s\n", lib);    /* the children load it, as ours */
	while (fgets(line, sizeof(line), in) != NULL) {
		if (sscanf(line, "read %4199s", path) == 1)
			fprintf(out, "r %s\n", path);
		else if (sscanf(line, "write %4199s", path) == 1)
			fprintf(out, "w %s\n", path);
	}
	if (pclose(in) != 0 || fclose(out) != 0) {
		fprintf(stderr, "startup_bench: `%s` failed\n", cmd);
		exit(2);
	}
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct bcase {
	const char *name;
	char *const *plain, *const *plain_env;
	char *const *under, *const *under_env;
	int reps;                     /* runs per round and side */
	int ref;                      /* a floor or a reference, not fleetguard */
};

static void bench(const struct bcase *c, int rounds)
{
	double a[101], b[101];

	for (int r = 0; r < rounds; r++) {
		a[r] = b[r] = 0;
		for (int i = 0; i < c->reps; i++) {
			if ((r + i) % 2) {
				a[r] += run(c->plain, c->plain_env);
				b[r] += run(c->under, c->under_env);
			} else {
				b[r] += run(c->under, c->under_env);
				a[r] += run(c->plain, c->plain_env);
			}
		}
	}
	double ma = median(a, rounds) / c->reps, mb = median(b, rounds) / c->reps;

	printf("%-11s plain %9.3f ms   under %9.3f ms   ratio %5.2fx\n", c->name, ma * 1e3,
	       mb * 1e3, mb / ma);
}

int main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");
	char ws[4096], pol[4200], lib[4200], preload[4300], polenv[4300], fg[4200], cwd[4096];
	char floor_lib[4200], floor_pre[4300], rules[4200], rules_env[4300], work[4200];
	int rounds = argc > 1 ? atoi(argv[1]) : 21;
	FILE *f;

	if (rounds < 1 || rounds > 101 || getcwd(cwd, sizeof(cwd)) == NULL)
		return 2;
	snprintf(ws, sizeof(ws), "%s/fg-startup.XXXXXX", tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
	if (mkdtemp(ws) == NULL)
		return 2;
	snprintf(pol, sizeof(pol), "%s/fleetguard.ini", ws);
	f = fopen(pol, "w");
	if (f == NULL)
		return 2;
	fputs("[filesystem]\nwrite = ${root}/work\n", f);
	fclose(f);
	snprintf(lib, sizeof(lib), "%s/.libs/libfleetguard.so", cwd);
	snprintf(fg, sizeof(fg), "%s/fleetguard", cwd);
	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", lib);
	snprintf(polenv, sizeof(polenv), "FLEETGUARD_POLICY=%s", pol);
	snprintf(floor_lib, sizeof(floor_lib), "%s/bench/.libs/libfgbenchfloor.so", cwd);
	snprintf(floor_pre, sizeof(floor_pre), "LD_PRELOAD=%s", floor_lib);
	snprintf(rules, sizeof(rules), "%s/floor.rules", ws);
	snprintf(rules_env, sizeof(rules_env), "FG_FLOOR_RULES=%s", rules);
	snprintf(work, sizeof(work), "%s/work", ws);
	if (mkdir(work, 0700) != 0)
		return 2;
	write_rules(fg, pol, rules, floor_lib);

	char *plain_env[] = { "PATH=/usr/bin:/bin", NULL };
	char *lib_env[] = { "PATH=/usr/bin:/bin", "FLEETGUARD_QUIET=1", preload, polenv, NULL };
	char *run_env[] = { "PATH=/usr/bin:/bin", "FLEETGUARD_QUIET=1", polenv, NULL };
	char *t_true[] = { "/bin/true", NULL };
	char *t_py[] = { "/usr/bin/python3", "-c", "pass", NULL };
	char *loop = "i=0; while [ $i -lt 200 ]; do /bin/true; i=$((i+1)); done";
	char *t_sh[] = { "/bin/sh", "-c", loop, NULL };
	char *r_sh[] = { fg, "run", "--", "/bin/sh", "-c", loop, NULL };
	char *r_true[] = { fg, "run", "--", "/bin/true", NULL };
	char *empty_env[] = { "PATH=/usr/bin:/bin", floor_pre, NULL };
	char *floor_env[] = { "PATH=/usr/bin:/bin", floor_pre, rules_env, NULL };
	char *b_true[] = { "/usr/bin/bwrap", "--ro-bind", "/", "/", "/bin/true", NULL };
	char *b_sh[] = { "/usr/bin/bwrap", "--ro-bind", "/", "/", "/bin/sh", "-c", loop, NULL };
	const struct bcase cases[] = {
		{ "true", t_true, plain_env, t_true, lib_env, 20, 0 },
		{ "python", t_py, plain_env, t_py, lib_env, 3, 0 },
		{ "lib-sh200", t_sh, plain_env, t_sh, lib_env, 1, 0 },
		{ "shell200", t_sh, plain_env, r_sh, run_env, 1, 0 },
		{ "run-true", t_true, plain_env, r_true, run_env, 10, 0 },
		{ "empty-true", t_true, plain_env, t_true, empty_env, 20, 1 },
		{ "floor-true", t_true, plain_env, t_true, floor_env, 20, 1 },
		{ "floor-sh200", t_sh, plain_env, t_sh, floor_env, 1, 1 },
		{ "bwrap-true", t_true, plain_env, b_true, plain_env, 10, 1 },
		{ "bwrap-sh200", t_sh, plain_env, b_sh, plain_env, 1, 1 },
	};

	printf("startup_bench: %d rounds, medians per run (policy %s)\n", rounds, pol);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bcase *c = &cases[i];

		if (c->ref && !cases[i - 1].ref)
			printf("floors and references (not fleetguard; docs/PERFORMANCE.md):\n");
		if (c->ref && access(c->under[0], X_OK) != 0) {
			printf("%-11s skipped: %s is not installed\n", c->name, c->under[0]);
			continue;
		}
		bench(c, rounds);
	}
	return 0;
}
