/* audit_writer.c - drives libfgaudit from many processes and threads, for
 * the concurrency, crash and disk-full tests.
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
 *   audit_writer [-p PROCS] [-t THREADS] [-n RECORDS] [-s always|batch|never]
 *                [-m MAX_SIZE] [-k KEYFILE] [-a AGENT] [-u] [-T BYTES]
 *                [-F FSIZE_LIMIT] LOG
 *
 * Each of PROCS processes runs THREADS threads that each append RECORDS
 * records (0: until killed).  -u appends until the first error and prints
 * "appended N error ENAME".  -T writes BYTES bytes of a record straight
 * into LOG, as a writer killed part way through its write would, and exits.
 * -F sets RLIMIT_FSIZE (SIGXFSZ is ignored, so writes fail with EFBIG).
 * Exit status: 0, 1 when an append failed, 2 on usage errors.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit/audit.h"

static struct fg_audit *audit;
static long nrecords = 1;
static bool until_error;

static void *worker(void *arg)
{
	long id = (long)(intptr_t)arg;
	char path[64];

	for (long i = 0; nrecords == 0 || i < nrecords; i++) {
		int len = snprintf(path, sizeof(path), "/w/%d/%ld/%ld\xff", (int)getpid(), id, i);
		struct fg_audit_field f[] = {
			{ .key = "path", .type = FG_AF_STR, .s = path, .len = (size_t)len },
			{ .key = "flags", .type = FG_AF_INT, .i = i },
			{ .key = "mode", .type = FG_AF_OCT, .i = 0644 },
		};
		struct fg_audit_rec rec = {
			.op = "open", .f = f, .nf = 3, .decision = i % 3 ? "allow" : "deny",
			.rule = "policy.ini:7", .result = i % 3 ? 0 : EACCES,
		};
		int r = fg_audit_append(audit, &rec);
		if (r < 0) {
			if (until_error) {
				printf("appended %ld error %s\n", i, fg_errno_name(r));
				fflush(stdout);
				return NULL;
			}
			fprintf(stderr, "audit_writer: append: %s\n", strerror(-r));
			return (void *)(intptr_t)1;
		}
	}
	if (until_error)
		printf("appended %ld\n", nrecords);
	return NULL;
}

static int run_process(int nthreads)
{
	pthread_t t[64];
	int bad = 0;

	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i) != 0)
			return 1;
	for (int i = 0; i < nthreads; i++) {
		void *ret;
		pthread_join(t[i], &ret);
		if (ret)
			bad = 1;
	}
	if (fg_audit_flush(audit) < 0)
		bad = 1;
	return bad;
}

static int torn(const char *log, long bytes)
{
	static const char part[] = "{\"seq\":999,\"ts\":\"2026-01-01T00:00:00.000000000Z\","
		"\"host\":\"torn\",\"pid\":1,\"uid\":0,\"agent\":\"x\",\"exe\":null,\"op\":\"open\"";
	int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0 || bytes > (long)sizeof(part) - 1)
		return -1;
	if (write(fd, part, (size_t)bytes) != bytes) {
		close(fd);
		return -1;
	}
	return close(fd);
}

int main(int argc, char **argv)
{
	struct fg_audit_conf conf = { .agent = "writer", .exe = "/usr/bin/audit_writer" };
	int procs = 1, threads = 1, opt, bad = 0;
	long torn_bytes = -1;
	char err[512];

	while ((opt = getopt(argc, argv, "p:t:n:s:m:k:a:uT:F:")) != -1) {
		switch (opt) {
		case 'p': procs = atoi(optarg); break;
		case 't': threads = atoi(optarg); break;
		case 'n': nrecords = atol(optarg); break;
		case 's':
			conf.fsync = !strcmp(optarg, "always") ? FG_AUDIT_FSYNC_ALWAYS :
				     !strcmp(optarg, "never") ? FG_AUDIT_FSYNC_NEVER :
				     FG_AUDIT_FSYNC_BATCH;
			break;
		case 'm': conf.max_size = strtoull(optarg, NULL, 10); break;
		case 'k': conf.key_file = optarg; break;
		case 'a': conf.agent = optarg; break;
		case 'u': until_error = true; break;
		case 'T': torn_bytes = atol(optarg); break;
		case 'F': {
			struct rlimit rl;
			rl.rlim_cur = rl.rlim_max = strtoull(optarg, NULL, 10);
			if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
				return 2;
			break;
		}
		default:
			return 2;
		}
	}
	if (optind != argc - 1 || procs < 1 || threads < 1 || threads > 64) {
		fprintf(stderr, "usage: audit_writer [-p N] [-t N] [-n N] [-s MODE] [-m SIZE] "
			"[-k KEY] [-a AGENT] [-u] [-T BYTES] [-F LIMIT] LOG\n");
		return 2;
	}
	conf.path = argv[optind];
	/* a file size limit must fail the append, not kill the writer */
	signal(SIGXFSZ, SIG_IGN);
	if (torn_bytes >= 0)
		return torn(conf.path, torn_bytes) < 0 ? 1 : 0;
	if (fg_audit_open(&conf, &audit, err, sizeof(err)) < 0) {
		fprintf(stderr, "audit_writer: %s\n", err);
		return 1;
	}
	/* the processes are forks of one writer: the chain must survive fork */
	for (int p = 1; p < procs; p++) {
		pid_t pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			/* killed with the parent, as the crash test expects */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() == 1)
				_exit(1);
			_exit(run_process(threads));
		}
	}
	bad = run_process(threads);
	for (int p = 1; p < procs; p++) {
		int st;
		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad = 1;
	}
	fg_audit_close(audit);
	return bad;
}
