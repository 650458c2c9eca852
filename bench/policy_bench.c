/* policy_bench.c - what a path decision costs beside the call it guards.
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
 * Builds a 100-rule policy (read, write and deny trees at several depths)
 * around a scratch workspace, then times, in the same run, fg_policy_path on
 * a file deep in the workspace and a raw open+close of that same file.
 * Prints nanoseconds per operation and the ratio (target: under 5 %).
 * Then what a process pays to get its policy: parsing the INI text (what
 * every process did before the seal) against mapping the sealed memfd
 * (what a descendant does: checks, the rule arrays and the path index
 * rebuilt), and the decision on the sealed copy.
 *
 *     bench/policy_bench [ITERATIONS]
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "policy/policy.h"
#include "policy/seal.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void on_diag(void *ctx, const char *file, unsigned line, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "policy_bench: %s:%u: %s\n", file, line, msg);
}

/* Time n decisions on path; returns ns per decision. */
static double time_decisions(const struct fg_policy *p, const char *path, unsigned acc,
			     long n, bool want)
{
	size_t len = strlen(path);
	volatile unsigned sink = 0;
	struct fg_verdict v;
	double t0 = now_ns();

	for (long i = 0; i < n; i++)
		sink += fg_policy_path(p, path, len, acc, &v);
	if ((sink == (unsigned)n) != want) {
		fprintf(stderr, "policy_bench: unexpected decision for %s\n", path);
		exit(1);
	}
	return (now_ns() - t0) / (double)n;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 2000000;
	char dir[] = "/tmp/fg-bench-XXXXXX", file[PATH_MAX + 16], ini[PATH_MAX], deep[PATH_MAX];
	char *text = NULL;
	size_t tlen = 0;
	FILE *f;
	struct fg_policy *p;
	double t_allow, t_deny, t_ro, t_open, t0;
	long nopen = n / 10 > 1000 ? n / 10 : 1000;
	int rules = 0;

	if (n < 1000)
		n = 1000;
	if (!mkdtemp(dir)) {
		perror("policy_bench: mkdtemp");
		return 1;
	}
	snprintf(deep, sizeof(deep), "%s/src/pkg/module/sub", dir);
	for (char *s = deep + strlen(dir) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(deep, 0700);
		*s = '/';
	}
	mkdir(deep, 0700);
	snprintf(file, sizeof(file), "%s/file.py", deep);
	f = fopen(file, "w");
	if (!f) {
		perror("policy_bench: create file");
		return 1;
	}
	fputs("x = 1\n", f);
	fclose(f);

	/* 100 rules: 40 read, 45 write, 15 deny */
	f = open_memstream(&text, &tlen);
	fprintf(f, "[workspace]\nroot = %s\n[filesystem]\nsystem = no\nread = ", dir);
	for (int i = 0; i < 40; i++, rules++)
		fprintf(f, "%s/opt/pkg%d/share/data%d", i ? ", " : "", i, i % 7);
	fprintf(f, "\nwrite = ${root}");
	rules++;
	for (int i = 1; i < 45; i++, rules++)
		fprintf(f, ", /srv/agents/ws-%d/scratch/t%d", i, i % 5);
	fprintf(f, "\ndeny = ${root}/.git/hooks");
	rules++;
	for (int i = 1; i < 15; i++, rules++)
		fprintf(f, ", /srv/agents/ws-%d/scratch/t%d/secret", i, i % 5);
	fprintf(f, "\n");
	fclose(f);
	snprintf(ini, sizeof(ini), "%s/fleetguard.ini", dir);
	if (fg_policy_parse(ini, text, tlen, &p, on_diag, NULL)) {
		free(text);
		return 1;
	}

	/* warm up, then measure */
	time_decisions(p, file, FG_ACC_READ, n / 10, true);
	t_allow = time_decisions(p, file, FG_ACC_WRITE, n, true);
	t_deny = time_decisions(p, "/home/other/project/.env", FG_ACC_READ, n, false);
	t_ro = time_decisions(p, "/opt/pkg7/share/data0/lib/python3/site.py", FG_ACC_WRITE, n, false);

	for (long i = 0; i < nopen / 10; i++)
		close(open(file, O_RDONLY | O_CLOEXEC));
	t0 = now_ns();
	for (long i = 0; i < nopen; i++) {
		int fd = open(file, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			perror("policy_bench: open");
			return 1;
		}
		close(fd);
	}
	t_open = (now_ns() - t0) / (double)nopen;

	printf("policy_bench: %d path rules, %ld decisions, %ld open+close\n", rules, n, nopen);
	printf("  decision, allowed (write, depth %d):  %8.1f ns\n", 7, t_allow);
	printf("  decision, outside every tree:        %8.1f ns\n", t_deny);
	printf("  decision, read-only tree (write):    %8.1f ns\n", t_ro);
	printf("  open+close of the same file:         %8.1f ns\n", t_open);
	printf("  ratio decision / open+close:         %8.2f %% (target < 5 %%)\n",
	       100.0 * t_allow / t_open);

	/* getting the policy: parse vs map the sealed blob */
	{
		long m = n / 1000 > 200 ? n / 1000 : 200;
		int sfd = fg_seal_create(p, NULL);
		struct fg_policy *q;
		double t_parse, t_map, t_sealed;
		char why[128];

		if (sfd < 0) {
			fprintf(stderr, "policy_bench: cannot seal\n");
			return 1;
		}
		t0 = now_ns();
		for (long i = 0; i < m; i++) {
			if (fg_policy_parse(ini, text, tlen, &q, on_diag, NULL))
				return 1;
			fg_policy_free(q);
		}
		t_parse = (now_ns() - t0) / (double)m;
		free(text);
		t0 = now_ns();
		for (long i = 0; i < m; i++) {
			if (fg_seal_open(sfd, &q, NULL, why, sizeof(why)) < 0) {
				fprintf(stderr, "policy_bench: %s\n", why);
				return 1;
			}
			fg_seal_close(q);
		}
		t_map = (now_ns() - t0) / (double)m;
		fg_seal_open(sfd, &q, NULL, why, sizeof(why));
		t_sealed = time_decisions(q, file, FG_ACC_WRITE, n, true);
		printf("  parse the policy (%d rules):         %8.1f ns\n", rules, t_parse);
		printf("  map its seal instead:                %8.1f ns\n", t_map);
		printf("  decision on the sealed copy:         %8.1f ns\n", t_sealed);
		fg_seal_close(q);
		close(sfd);
	}

	fg_policy_free(p);
	unlink(file);
	for (char *s; (s = strrchr(deep, '/')) && strlen(deep) > strlen(dir); *s = '\0')
		rmdir(deep);
	rmdir(dir);
	return 0;
}
