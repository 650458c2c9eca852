/* audit_bench.c - how fast records are appended and verified, beside the
 * floors measured in the same run.
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
 *   append: records/s by 1 and 4 processes with fsync never and batch,
 *           written by each process or sent to the audit daemon (as under
 *           Landlock), beside one SHA-256 of the same line plus one write()
 *           per record;
 *   verify: fleetguard-verify on a 1,000,000-record log, beside sha256sum
 *           of the same file, with the verifier's peak RSS.
 *
 * Usage: audit_bench [RECORDS]   (default 100000 per append case)
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "audit/checkpoint.h"
#include "audit/record.h"

#define VERIFY_RECORDS 1000000

static char dir[64];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(const char *what, int err)
{
	fprintf(stderr, "audit_bench: %s: %s\n", what, strerror(err));
	exit(1);
}

static struct fg_audit_field fields[3];
static struct fg_audit_rec rec;
static char path[64];

static void make_record(void)
{
	int len = snprintf(path, sizeof(path), "/srv/agents/ws-42/src/module_%d.py", 7);

	fields[0] = (struct fg_audit_field){ .key = "path", .type = FG_AF_STR, .s = path, .len = (size_t)len };
	fields[1] = (struct fg_audit_field){ .key = "flags", .type = FG_AF_INT, .i = 524288 };
	fields[2] = (struct fg_audit_field){ .key = "mode", .type = FG_AF_OCT, .i = 0644 };
	rec = (struct fg_audit_rec){ .op = "open", .f = fields, .nf = 3, .decision = "allow",
				     .rule = "/srv/agents/ws-42/fleetguard.ini:9", .result = 0 };
}

static void append_loop(const char *log, enum fg_audit_fsync mode, bool remote, long n)
{
	struct fg_audit_conf c = { .path = log, .fsync = mode, .agent = "coder-7",
				   .exe = "/usr/bin/python3.11" };
	struct fg_audit *a;
	char err[4200];
	int r;

	if ((remote ? fg_audit_open_remote(&c, &a, err, sizeof(err)) :
		      fg_audit_open(&c, &a, err, sizeof(err))) < 0) {
		fprintf(stderr, "audit_bench: %s\n", err);
		exit(1);
	}
	for (long i = 0; i < n; i++)
		if ((r = fg_audit_append(a, &rec)) < 0)
			fail("append", -r);
	/* every record in the log before the clock stops */
	if ((r = fg_audit_flush(a)) < 0)
		fail("flush", -r);
	fg_audit_close(a);
}

/* Start the log's audit daemon, as fleetguard run does before Landlock. */
static void start_daemon(const char *log, enum fg_audit_fsync mode)
{
	struct fg_audit_conf c = { .path = log, .fsync = mode, .agent = "coder-7",
				   .exe = "/usr/bin/python3.11" };
	struct fg_audit *a;
	char err[4200];

	if (fg_audit_open(&c, &a, err, sizeof(err)) < 0 ||
	    fg_auditd_ensure(a, c.agent, c.exe, err, sizeof(err)) < 0) {
		fprintf(stderr, "audit_bench: %s\n", err);
		exit(1);
	}
	fg_audit_close(a);
}

/* records/s for procs processes appending n records in all */
static double bench_append(const char *name, enum fg_audit_fsync mode, bool remote, int procs,
			   long n)
{
	char log[128];
	double t0, t;

	snprintf(log, sizeof(log), "%s/%s/audit.log", dir, name);
	if (remote)
		start_daemon(log, mode);
	t0 = now();
	for (int p = 0; p < procs; p++) {
		pid_t pid = fork();
		if (pid < 0)
			fail("fork", errno);
		if (pid == 0) {
			append_loop(log, mode, remote, n / procs);
			_exit(0);
		}
	}
	for (int p = 0; p < procs; p++) {
		int st;
		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			fail("writer", ECHILD);
	}
	t = now() - t0;
	return (double)n / t;
}

/* One SHA-256 of a line as long as a real one, plus one write(). */
static double bench_floor(const char *line, size_t len, long n)
{
	char file[128], hex[FG_HASH_HEX];
	struct fg_hasher *h;
	double t0, t;
	int fd;

	snprintf(file, sizeof(file), "%s/floor", dir);
	fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		fail("open", errno);
	if (fg_hasher_new(&h, NULL, 0) < 0)
		fail("hasher", ENOMEM);
	t0 = now();
	for (long i = 0; i < n; i++) {
		fg_hasher_line(h, line, len - FG_TRAILER_HASH_LEN - 1, hex);
		if (write(fd, line, len) != (ssize_t)len)
			fail("write", errno);
	}
	t = now() - t0;
	fg_hasher_free(h);
	close(fd);
	return (double)n / t;
}

/* Signing a checkpoint (Ed25519, the daemon's path: note a record, sign,
 * queue for the witness thread): seconds per checkpoint. */
static double bench_checkpoint(long n)
{
	struct fg_ckpt_conf cc = { .log = "/bench/audit.log", .state_dir = dir };
	struct fg_ckpt *k;
	char err[512], hash[65], witness[160];
	double t0, t;

	snprintf(witness, sizeof(witness), "file:%s/bench.witness", dir);
	cc.witness = witness;
	memset(hash, 'a', 64);
	hash[64] = '\0';
	if (fg_ckpt_open(&cc, &k, err, sizeof(err)) < 0) {
		fprintf(stderr, "audit_bench: %s\n", err);
		exit(1);
	}
	t0 = now();
	for (long i = 1; i <= n; i++) {
		fg_ckpt_tap(k, (uint64_t)i, hash, "", 0);
		if (fg_ckpt_emit(k) < 0)
			fail("checkpoint", EIO);
	}
	t = now() - t0;
	fg_ckpt_close(k);
	return t / (double)n;
}

/* A 1,000,000-record log written with the encoder directly (faster to
 * build than through the locking writer; the bytes are the same kind). */
static size_t build_big_log(const char *log)
{
	static char buf[1 << 20];
	char line[4096], prev[FG_HASH_HEX], hex[FG_HASH_HEX];
	struct fg_rec_ident id;
	struct fg_hasher *h;
	struct timespec ts;
	size_t used = 0, total = 0;
	int fd;

	memset(prev, '0', sizeof(prev));
	fg_rec_ident(&id, "bench-host", 1000, "coder-7", "/usr/bin/python3.11");
	if (fg_hasher_new(&h, NULL, 0) < 0)
		fail("hasher", ENOMEM);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		fail("open", errno);
	clock_gettime(CLOCK_REALTIME, &ts);
	for (uint64_t seq = 1; seq <= VERIFY_RECORDS; seq++) {
		struct fg_buf b = { line, 0, sizeof(line), false };
		ts.tv_nsec = (long)(seq % 1000000000);
		fg_rec_encode(&b, seq, &ts, &id, 4242, &rec, prev);
		fg_hasher_line(h, line, b.len, hex);
		fg_rec_finish(&b, hex);
		memcpy(prev, hex, FG_HASH_HEX);
		if (used + b.len > sizeof(buf)) {
			if (write(fd, buf, used) != (ssize_t)used)
				fail("write", errno);
			used = 0;
		}
		memcpy(buf + used, line, b.len);
		used += b.len;
		total += b.len;
	}
	if (write(fd, buf, used) != (ssize_t)used)
		fail("write", errno);
	close(fd);
	fg_hasher_free(h);
	return total;
}

/* Wall time and peak RSS (KiB) of a command; exits on failure. */
static double run(char *const argv[], long *maxrss_kib)
{
	struct rusage ru;
	double t0 = now();
	int st;
	pid_t pid = fork();

	if (pid < 0)
		fail("fork", errno);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		dup2(null, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	if (wait4(pid, &st, 0, &ru) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "audit_bench: %s failed\n", argv[0]);
		exit(1);
	}
	if (maxrss_kib)
		*maxrss_kib = ru.ru_maxrss;
	return now() - t0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	const char *tmp = getenv("TMPDIR");
	char log[128], line[4096], verify[512], cmd[256];
	struct fg_buf b = { line, 0, sizeof(line), false };
	struct fg_rec_ident id;
	struct timespec ts = { 1767225600, 123456789 };
	char zeros[FG_HASH_HEX];
	double floor, r;
	long rss;

	if (n < 1000)
		n = 1000;
	snprintf(dir, sizeof(dir), "%s/fg-audit-bench.XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		fail("mkdtemp", errno);
	make_record();

	/* a real line, for the floor */
	memset(zeros, '0', sizeof(zeros));
	fg_rec_ident(&id, "bench-host", 1000, "coder-7", "/usr/bin/python3.11");
	fg_rec_encode(&b, 123456, &ts, &id, 4242, &rec, zeros);
	fg_rec_finish(&b, zeros);

	printf("append: %ld records of %zu bytes per case (floor: one SHA-256 of the line + one write)\n",
	       n, b.len);
	floor = bench_floor(line, b.len, n);
	printf("  %-28s %10.0f records/s\n", "floor", floor);
	static const struct {
		const char *name;
		enum fg_audit_fsync mode;
		bool remote;
		int procs;
	} cases[] = {
		{ "1 process, fsync never", FG_AUDIT_FSYNC_NEVER, false, 1 },
		{ "1 process, fsync batch", FG_AUDIT_FSYNC_BATCH, false, 1 },
		{ "4 processes, fsync never", FG_AUDIT_FSYNC_NEVER, false, 4 },
		{ "4 processes, fsync batch", FG_AUDIT_FSYNC_BATCH, false, 4 },
		{ "daemon, 1 process, batch", FG_AUDIT_FSYNC_BATCH, true, 1 },
		{ "daemon, 4 processes, batch", FG_AUDIT_FSYNC_BATCH, true, 4 },
		{ "daemon, 1 process, always", FG_AUDIT_FSYNC_ALWAYS, true, 1 },
		{ "1 process, fsync always", FG_AUDIT_FSYNC_ALWAYS, false, 1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char sub[16];
		snprintf(sub, sizeof(sub), "a%zu", i);
		/* fsync always waits for the disk: a tenth of the records */
		long cn = cases[i].mode == FG_AUDIT_FSYNC_ALWAYS ? n / 10 : n;
		r = bench_append(sub, cases[i].mode, cases[i].remote, cases[i].procs, cn);
		printf("  %-28s %10.0f records/s  %5.1f%% of floor\n", cases[i].name, r,
		       100.0 * r / floor);
	}

	{
		double per = bench_checkpoint(2000);
		printf("checkpoint: %.1f us to sign one (Ed25519); at one per %d records %.3f us a record\n",
		       per * 1e6, FG_CKPT_EVERY, per * 1e6 / FG_CKPT_EVERY);
	}

	snprintf(log, sizeof(log), "%s/big.log", dir);
	size_t bytes = build_big_log(log);
	snprintf(verify, sizeof(verify), "%s/fleetguard-verify", FG_BUILDDIR);
	char *sha_argv[] = { (char *)"/usr/bin/sha256sum", log, NULL };
	char *ver_argv[] = { verify, log, NULL };
	run(sha_argv, NULL);    /* both read from the page cache */
	double ts_sha = run(sha_argv, NULL);
	double ts_ver = run(ver_argv, &rss);
	printf("verify: %d records, %.1f MB\n", VERIFY_RECORDS, (double)bytes / 1e6);
	printf("  %-28s %6.3f s %8.0f MB/s\n", "sha256sum", ts_sha, (double)bytes / 1e6 / ts_sha);
	printf("  %-28s %6.3f s %8.0f MB/s %9.0f records/s  %5.1f%% of sha256sum  peak RSS %ld KiB\n",
	       "fleetguard-verify", ts_ver, (double)bytes / 1e6 / ts_ver,
	       VERIFY_RECORDS / ts_ver, 100.0 * ts_sha / ts_ver, rss);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : 1;
}
