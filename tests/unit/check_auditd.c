/* check_auditd.c - the audit daemon and its client (audit/daemon.c).
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
 * Every test runs a real daemon on a log in its own directory below one
 * temporary directory.  The daemons outlive the test processes that
 * started them by FG_AUDITD_LINGER_MS; their pids are kept in a file, and
 * the last test checks that every one of them has left.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "audit/audit.h"
#include "audit/daemon.h"
#include "audit/record.h"
#include "audit/verify.h"
#include "audit/wire.h"
#include "tests/unit/check_main.h"
#include "tests/unit/failmalloc.h"

/* audit/daemon.c drops a connection without a hello after this */
#define HELLO_MS_TEST 2000

/* --- the directories ---------------------------------------------------- */

static char topdir[64];         /* made once, in the runner process */
static char dir[512];           /* this test's */
static char logpath[600];
static char sockpath[608];

static void make_top(void)
{
	strcpy(topdir, "/tmp/fg-check-auditd.XXXXXX");
	if (!mkdtemp(topdir))
		abort();
}

static void remove_top(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", topdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", topdir);
}

static void setup_test(void)
{
	snprintf(dir, sizeof(dir), "%s/t.XXXXXX", topdir);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(logpath, sizeof(logpath), "%s/audit.log", dir);
	snprintf(sockpath, sizeof(sockpath), "%s.sock", logpath);
}

/* A forked child ends with exit(), so a --coverage build keeps its counters. */
static void child_exit(int status)
{
	exit(status);
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/* --- daemons ------------------------------------------------------------- */

static int raw_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_uint_lt(strlen(path), sizeof(sa.sun_path));
	strcpy(sa.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

/* The pid of the process listening on path (the kernel keeps the
 * listener's credentials for its peers). */
static pid_t daemon_pid(const char *path)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	int fd = raw_connect(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len), 0);
	close(fd);
	ck_assert_int_gt(cr.pid, 0);
	return cr.pid;
}

static void note_daemon(pid_t pid)
{
	char path[96], line[32];
	int fd, n;

	snprintf(path, sizeof(path), "%s/pids", topdir);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	n = snprintf(line, sizeof(line), "%d\n", (int)pid);
	ck_assert_int_eq(write(fd, line, (size_t)n), n);
	close(fd);
}

/* Wait up to ms for pid to end; true if it has. */
static bool wait_gone(pid_t pid, int ms)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd p;
	int n;

	if (pfd < 0)
		return errno == ESRCH;
	p = (struct pollfd){ pfd, POLLIN, 0 };
	do
		n = poll(&p, 1, ms);
	while (n < 0 && errno == EINTR);
	close(pfd);
	return n == 1;
}

static struct fg_audit *open_local(void)
{
	struct fg_audit_conf c = { .path = logpath, .fsync = FG_AUDIT_FSYNC_NEVER,
				   .agent = "spawner", .exe = "/bin/spawner" };
	struct fg_audit *a = NULL;
	char err[512];

	ck_assert_msg(fg_audit_open(&c, &a, err, sizeof(err)) == 0, "open: %s", err);
	return a;
}

/* Start (or find) the daemon for the log; returns its pid. */
static pid_t start_daemon(struct fg_audit *a)
{
	char err[512];
	int r = fg_auditd_ensure(a, "spawner", "/bin/spawner", err, sizeof(err));
	pid_t pid;

	ck_assert_msg(r == 0, "ensure: %d %s", r, err);
	pid = daemon_pid(sockpath);
	note_daemon(pid);
	return pid;
}

static struct fg_audit *open_remote(enum fg_audit_fsync fs)
{
	struct fg_audit_conf c = { .path = logpath, .fsync = fs, .agent = "agent-x",
				   .exe = "/usr/bin/agent" };
	struct fg_audit *a = NULL;
	char err[512];

	ck_assert_msg(fg_audit_open_remote(&c, &a, err, sizeof(err)) == 0, "remote: %s", err);
	return a;
}

static int add(struct fg_audit *a, const char *path)
{
	struct fg_audit_field f[] = {
		{ .key = "path", .type = FG_AF_STR, .s = path, .len = strlen(path) },
	};
	struct fg_audit_rec r = { .op = "open", .f = f, .nf = 1, .decision = "allow",
				  .rule = "p.ini:7", .result = 0 };

	return fg_audit_append(a, &r);
}

/* --- reading the log back ------------------------------------------------ */

#define MAX_SEEN 512

struct seen {
	long pid, uid;
	char op[40], path[64], agent[40];
	char *line;             /* the whole line for the first few */
	char shortline[1024];
};

static struct seen seen[MAX_SEEN];
static char longline[4][65536];
static size_t nseen;

static void field(const char *line, size_t len, const char *key, char *out, size_t cap)
{
	const char *v;
	size_t vl;

	out[0] = '\0';
	if (fg_json_get(line, len, key, &v, &vl) < 0)
		return;
	if (vl >= 2 && v[0] == '"') {
		v++;
		vl -= 2;
	}
	snprintf(out, cap, "%.*s", (int)vl, v);
}

static void on_record(void *arg, const char *file, uint64_t lineno, const char *line, size_t len)
{
	char num[32];
	struct seen *s;

	(void)arg;
	(void)file;
	(void)lineno;
	if (nseen >= MAX_SEEN)
		return;
	s = &seen[nseen++];
	field(line, len, "pid", num, sizeof(num));
	s->pid = strtol(num, NULL, 10);
	field(line, len, "uid", num, sizeof(num));
	s->uid = strtol(num, NULL, 10);
	field(line, len, "op", s->op, sizeof(s->op));
	field(line, len, "path", s->path, sizeof(s->path));
	field(line, len, "agent", s->agent, sizeof(s->agent));
	if (nseen <= 4) {
		s->line = longline[nseen - 1];
		snprintf(s->line, sizeof(longline[0]), "%.*s", (int)len, line);
	} else {
		s->line = s->shortline;
		snprintf(s->line, sizeof(s->shortline), "%.*s", (int)len, line);
	}
}

/* Verify the log: it must be intact; its records are in seen[]. */
static uint64_t verify_log(void)
{
	struct fg_verify_opts o = { .on_record = on_record };
	struct fg_verify_result res;
	char **files;
	size_t n;

	nseen = 0;
	ck_assert_int_eq(fg_verify_discover(logpath, 0, &files, &n, &res), 0);
	ck_assert_int_eq(res.status, FG_VERIFY_INTACT);
	ck_assert_int_eq(fg_verify_files((const char *const *)files, n, &o, &res), 0);
	free(files);
	ck_assert_msg(res.status == FG_VERIFY_INTACT, "verify: %s at line %llu: %s",
		      fg_verify_reason(res.status), (unsigned long long)res.line, res.detail);
	return res.records;
}

static size_t count_lines(void)
{
	char buf[65536];
	size_t lines = 0;
	ssize_t n;
	int fd = open(logpath, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
	close(fd);
	return lines;
}

/* Wait (5 s at most) until the log has n lines: records a closed
 * connection left queued are appended after the close. */
static void wait_lines(size_t n)
{
	long until = now_ms() + 5000;

	while (count_lines() < n && now_ms() < until)
		usleep(20000);
}

static size_t count_pid(long pid)
{
	size_t k = 0;

	for (size_t i = 0; i < nseen; i++)
		k += seen[i].pid == pid;
	return k;
}

/* --- hand-made messages ---------------------------------------------------- */

enum { T_STR = 0, T_INT, T_OCT, T_STRV, T_NULL };

struct msg {
	unsigned char b[FG_AUDIT_LINE_MAX + 64];
	size_t n;
};

static struct msg m;

static void m_put(struct msg *x, const void *p, size_t n)
{
	ck_assert_uint_le(x->n + n, sizeof(x->b));
	memcpy(x->b + x->n, p, n);
	x->n += n;
}

static void m_u8(struct msg *x, uint8_t v) { m_put(x, &v, 1); }
static void m_u16(struct msg *x, uint16_t v) { m_put(x, &v, 2); }
static void m_u32(struct msg *x, uint32_t v) { m_put(x, &v, 4); }
static void m_i64(struct msg *x, int64_t v) { m_put(x, &v, 8); }

static void m_cstr(struct msg *x, const char *s)
{
	if (!s) {
		m_u32(x, 0);
		return;
	}
	m_u32(x, (uint32_t)strlen(s) + 1);
	m_put(x, s, strlen(s) + 1);
}

static void m_hello(struct msg *x, uint8_t flags)
{
	x->n = 0;
	m_u8(x, 'H');
	m_u8(x, flags);
	m_cstr(x, "raw");
	m_cstr(x, "/bin/raw");
}

static void m_rec(struct msg *x, uint8_t flags, int32_t result, const char *op,
		  const char *decision, const char *rule, uint16_t nf)
{
	x->n = 0;
	m_u8(x, 'R');
	m_u8(x, flags);
	m_put(x, &result, 4);
	m_cstr(x, op);
	m_cstr(x, decision);
	m_cstr(x, rule);
	m_u16(x, nf);
}

/* A record of an open of path. */
static void m_path_rec(struct msg *x, uint8_t flags, const char *path)
{
	m_rec(x, flags, 0, "open", "allow", NULL, 1);
	m_u8(x, T_STR);
	m_cstr(x, "path");
	m_u32(x, (uint32_t)strlen(path));
	m_put(x, path, strlen(path));
}

static void m_send(int fd, const struct msg *x)
{
	ck_assert_int_eq(send(fd, x->b, x->n, MSG_NOSIGNAL), (ssize_t)x->n);
}

/* One answer within ms: 1 and kind/err, 0 at end of stream, -1 on timeout. */
static int m_answer(int fd, char *kind, int32_t *err, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char a[16];
	ssize_t n;

	if (poll(&p, 1, ms) != 1)
		return -1;
	n = recv(fd, a, sizeof(a), MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno == ECONNRESET))
		return 0;
	ck_assert_int_eq(n, 8);
	*kind = a[0];
	memcpy(err, a + 4, 4);
	return 1;
}

/* A raw connection that said hello and was answered. */
static int raw_client(uint8_t flags)
{
	static struct msg h;
	int fd = raw_connect(sockpath);
	char k;
	int32_t e;

	ck_assert_int_ge(fd, 0);
	m_hello(&h, flags);
	m_send(fd, &h);
	ck_assert_int_eq(m_answer(fd, &k, &e, 3000), 1);
	ck_assert_int_eq(k, 'A');
	ck_assert_int_eq(e, 0);
	return fd;
}

/* Send x on a new connection (after a hello if asked): the daemon must
 * drop the connection; returns the error it answered, 0 if none. */
static int32_t refused(const struct msg *x, bool hello)
{
	int fd = hello ? raw_client(0) : raw_connect(sockpath);
	char k = 0;
	int32_t e = 0;
	int r;

	ck_assert_int_ge(fd, 0);
	m_send(fd, x);
	r = m_answer(fd, &k, &e, 3000);
	ck_assert_int_ge(r, 0);
	if (r == 1) {
		ck_assert_msg(k == 'A' || k == 'E', "answer kind %d", k);
		ck_assert_int_lt(e, 0);
		ck_assert_int_eq(m_answer(fd, &k, &(int32_t){ 0 }, 3000), 0);
	}
	close(fd);
	return e;
}

/* --- tests ----------------------------------------------------------------- */

/* Records sent by the client land in the log stamped with the sender's pid,
 * a forked child's under its own; a second ensure finds the same daemon. */
START_TEST(test_records_carry_sender_pid)
{
	struct fg_audit *a = open_local(), *r;
	pid_t d = start_daemon(a), child;
	int st;

	r = open_remote(FG_AUDIT_FSYNC_BATCH);
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(add(r, "/ws/parent"), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		int bad = 0;
		for (int i = 0; i < 7; i++)
			bad |= add(r, "/ws/child") != 0;
		bad |= fg_audit_flush(r) != 0;
		fg_audit_close(r);
		child_exit(bad);
	}
	ck_assert_int_eq(waitpid(child, &st, 0), child);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_int_eq(add(r, "/ws/parent"), 0);
	ck_assert_int_eq(fg_audit_flush(r), 0);
	/* flushed: all of it is in the log now */
	ck_assert_uint_eq(count_lines(), 108);
	ck_assert_uint_eq(verify_log(), 108);
	ck_assert_uint_eq(count_pid(getpid()), 101);
	ck_assert_uint_eq(count_pid(child), 7);
	for (size_t i = 0; i < nseen; i++) {
		ck_assert_str_eq(seen[i].agent, "agent-x");
		ck_assert_int_eq(seen[i].uid, (long)getuid());
		ck_assert_str_eq(seen[i].path, seen[i].pid == child ? "/ws/child" : "/ws/parent");
	}
	/* the writer's own log is served by that one daemon */
	ck_assert_int_eq(start_daemon(a), d);
	fg_audit_close(r);
	fg_audit_close(a);
}
END_TEST

/* fsync = always: each append returns once its record is in the log. */
START_TEST(test_sync_appends)
{
	struct fg_audit *a = open_local(), *r;

	start_daemon(a);
	r = open_remote(FG_AUDIT_FSYNC_ALWAYS);
	for (size_t i = 1; i <= 20; i++) {
		ck_assert_int_eq(add(r, "/ws/sync"), 0);
		ck_assert_uint_eq(count_lines(), i);
	}
	/* a record the daemon refuses is refused to the caller at once */
	struct fg_audit_field f[] = { { .key = "pid", .type = FG_AF_INT, .i = 1 } };
	struct fg_audit_rec bad = { .op = "open", .f = f, .nf = 1 };
	ck_assert_int_eq(fg_audit_append(r, &bad), -EBADMSG);
	/* and the next record goes on a new connection */
	ck_assert_int_eq(add(r, "/ws/after"), 0);
	ck_assert_int_eq(fg_audit_flush(r), 0);
	ck_assert_uint_eq(verify_log(), 21);
	ck_assert_str_eq(seen[20].path, "/ws/after");
	fg_audit_close(r);
	fg_audit_close(a);
}
END_TEST

/* Resume a stopped daemon after ms, from a child, while the test blocks. */
static pid_t resume_later(pid_t daemon, int ms)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		kill(daemon, SIGCONT);
		_exit(0);
	}
	return pid;
}

/* A barrier record returns only once every record sent before it is in
 * the log (the shim marks exec records so: the next image's records come
 * after the old one's).  The daemon is stopped while they queue up. */
START_TEST(test_barrier_waits)
{
	struct fg_audit *a = open_local(), *r;
	pid_t d, w;
	int st;

	d = start_daemon(a);
	r = open_remote(FG_AUDIT_FSYNC_NEVER);
	ck_assert_int_eq(kill(d, SIGSTOP), 0);
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(add(r, "/ws/queued"), 0);
	/* pipelined: nothing is written while the daemon is stopped */
	ck_assert_uint_eq(count_lines(), 0);
	w = resume_later(d, 200);
	struct fg_audit_field f[] = { { .key = "path", .type = FG_AF_STR, .s = "/bin/cat", .len = 8 } };
	struct fg_audit_rec ex = { .op = "exec", .f = f, .nf = 1, .decision = "allow",
				   .barrier = true };
	ck_assert_int_eq(fg_audit_append(r, &ex), 0);
	ck_assert_uint_eq(count_lines(), 101);
	ck_assert_int_eq(waitpid(w, &st, 0), w);
	fg_audit_close(r);
	fg_audit_close(a);
}
END_TEST

/* A flush is a barrier for the whole log: records another process sent
 * before it (and never flushed, as after _exit) are in the log when it
 * returns, although the daemon serves the newer connection first.  The
 * sender's records wait for a stopped daemon in both places: the first
 * ones pipelined on the socket, then its ring set up ('M'), the rest in
 * the ring, too few to ring its doorbell (FG_AUDITW_RING_BELL): only the
 * barrier's drain finds them.  Round 0 flushes (what the flush drained is
 * in the log, the daemon stopped again at once); round 1 appends an exit
 * record with SYNC|DRAIN, whose place in the log shows the same without a
 * race: after every record sent before it. */
#define UNFLUSHED 60
START_TEST(test_flush_drains_other_connections)
{
	struct fg_audit_field f[] = { { .key = "status", .type = FG_AF_INT, .i = 0 } };
	struct fg_audit_rec ex = { .op = "exit", .f = f, .nf = 1, .barrier = true, .drain = true };
	struct fg_audit *a = open_local(), *r;
	int go[2], done[2], st;
	pid_t d, c, w;
	char x;

	d = start_daemon(a);
	for (int round = 0; round < 2; round++) {
		size_t before = round * UNFLUSHED;

		ck_assert_int_eq(pipe(go), 0);
		ck_assert_int_eq(pipe(done), 0);
		c = fork();
		ck_assert_int_ge(c, 0);
		if (c == 0) {
			/* the process that sends and goes without a flush */
			struct fg_audit *cr = open_remote(FG_AUDIT_FSYNC_NEVER);

			/* attached (its hello answered) before the daemon stops */
			if (write(done[1], "a", 1) != 1 || read(go[0], &x, 1) != 1)
				_exit(2);
			for (int i = 0; i < UNFLUSHED; i++)
				if (add(cr, "/ws/unflushed") < 0)
					_exit(3);
			if (write(done[1], "x", 1) != 1)
				_exit(4);
			_exit(0);
		}
		ck_assert_int_eq(read(done[0], &x, 1), 1);
		/* the barrier's connection is the newer: the daemon serves it
		 * first, so only the barrier's drain can find the sender's
		 * records */
		r = open_remote(FG_AUDIT_FSYNC_NEVER);
		ck_assert_int_eq(kill(d, SIGSTOP), 0);
		ck_assert_int_eq(write(go[1], "x", 1), 1);
		ck_assert_int_eq(read(done[0], &x, 1), 1);
		ck_assert_int_eq(waitpid(c, &st, 0), c);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		ck_assert_uint_eq(count_lines(), before);
		w = resume_later(d, 100);
		if (round == 0) {
			ck_assert_int_eq(fg_audit_flush(r), 0);
			/* stop it again at once: what the flush did not drain
			 * stays out */
			ck_assert_int_eq(kill(d, SIGSTOP), 0);
			ck_assert_uint_eq(count_lines(), UNFLUSHED);
			ck_assert_int_eq(kill(d, SIGCONT), 0);
		} else {
			ck_assert_int_eq(fg_audit_append(r, &ex), 0);
			ck_assert_int_eq(fg_audit_flush(r), 0);
			ck_assert_uint_eq(verify_log(), before + UNFLUSHED + 1);
			ck_assert_uint_eq(count_pid(c), UNFLUSHED);
			ck_assert(seen[before + UNFLUSHED - 1].pid == c &&
				  seen[before + UNFLUSHED].pid == getpid());
		}
		ck_assert_int_eq(waitpid(w, &st, 0), w);
		fg_audit_close(r);
		for (int i = 0; i < 2; i++) {
			close(go[i]);
			close(done[i]);
		}
	}
	fg_audit_close(a);
}
END_TEST

/* A child that sends 40 records on a new connection of its own, its
 * hello not waited for (the daemon may be stopped), and ends. */
static pid_t send_and_go(void)
{
	pid_t c = fork();
	int st;

	ck_assert_int_ge(c, 0);
	if (c == 0) {
		struct fg_audit_conf cf = { .path = logpath, .fsync = FG_AUDIT_FSYNC_NEVER,
					    .agent = "agent-y", .exe = "/usr/bin/y",
					    .owe_hello = true };
		struct fg_audit *cr = NULL;
		char err[256];
		int bad = fg_audit_open_remote(&cf, &cr, err, sizeof(err)) != 0;

		for (int i = 0; i < 40 && !bad; i++)
			bad |= add(cr, "/ws/unaccepted") < 0;
		child_exit(bad);
	}
	ck_assert_int_eq(waitpid(c, &st, 0), c);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return c;
}

/* The exit record of a process nobody in its tree waits for (SYNC|DRAIN)
 * and the barrier of one that ends with _exit ('B') are barriers for the
 * whole log (docs/AUDIT.md): every record another process sent before
 * them is in the log when they return, even on a connection the daemon
 * had not accepted yet (it was stopped while the child connected, sent
 * and ended), although the daemon serves the older connection first. */
START_TEST(test_drain_barriers)
{
	struct fg_audit *a = open_local(), *r;
	struct fg_audit_field f[] = { { .key = "status", .type = FG_AF_INT, .i = 0 } };
	struct fg_audit_rec ex = { .op = "exit", .f = f, .nf = 1, .barrier = true, .drain = true };
	pid_t d, c, w;
	int st;

	d = start_daemon(a);
	r = open_remote(FG_AUDIT_FSYNC_NEVER);
	for (int round = 0; round < 2; round++) {
		ck_assert_int_eq(kill(d, SIGSTOP), 0);
		c = send_and_go();
		ck_assert_uint_eq(count_lines(), round == 0 ? 0 : 41);
		w = resume_later(d, 100);
		if (round == 0)
			ck_assert_int_eq(fg_audit_append(r, &ex), 0);
		else
			ck_assert_int_eq(fg_audit_barrier(r), 0);
		/* stop it again at once: what the barrier did not drain stays out */
		ck_assert_int_eq(kill(d, SIGSTOP), 0);
		ck_assert_uint_eq(count_lines(), round == 0 ? 41 : 81);
		ck_assert_int_eq(kill(d, SIGCONT), 0);
		ck_assert_uint_eq(verify_log(), round == 0 ? 41 : 81);
		ck_assert_uint_eq(count_pid(c), 40);
		/* drained before the exit record is appended: the child's
		 * records come first (without the drain they could only follow
		 * it, accepted after the answer) */
		if (round == 0)
			ck_assert(seen[39].pid == c && seen[40].pid == getpid());
		ck_assert_int_eq(waitpid(w, &st, 0), w);
	}
	fg_audit_close(r);
	fg_audit_close(a);
}
END_TEST

/* A vfork child appends on a connection of its own; the parent's stays. */
START_TEST(test_vfork_guest)
{
	struct fg_audit *a = open_local(), *r;
	static volatile int gst;
	pid_t g;
	int st;

	start_daemon(a);
	r = open_remote(FG_AUDIT_FSYNC_BATCH);
	ck_assert_int_eq(add(r, "/ws/before"), 0);
	gst = 1;
	g = vfork();
	if (g == 0) {
		gst = add(r, "/ws/guest");
		_exit(0);
	}
	ck_assert_int_gt(g, 0);
	ck_assert_int_eq(waitpid(g, &st, 0), g);
	ck_assert_int_eq(gst, 0);
	ck_assert_int_eq(add(r, "/ws/after"), 0);
	ck_assert_int_eq(fg_audit_flush(r), 0);
	ck_assert_uint_eq(verify_log(), 3);
	ck_assert_uint_eq(count_pid(g), 1);
	for (size_t i = 0; i < nseen; i++)
		if (seen[i].pid == g)
			ck_assert_str_eq(seen[i].path, "/ws/guest");
	ck_assert_uint_eq(count_pid(getpid()), 2);
	fg_audit_close(r);
	fg_audit_close(a);
}
END_TEST

/* One spare from fd (a pool): 'C' and one descriptor, or -1 when none
 * came within ms. */
static int pool_take(int fd, int ms)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	char kind = 0;
	struct iovec iov = { &kind, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			     .msg_controllen = sizeof(ctl.b) };
	struct pollfd p = { fd, POLLIN, 0 };
	struct cmsghdr *cm;
	int s = -1;

	if (poll(&p, 1, ms) != 1 || recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) != 1)
		return -1;
	ck_assert_int_eq(kind, 'C');
	cm = CMSG_FIRSTHDR(&mh);
	ck_assert_ptr_nonnull(cm);
	ck_assert_int_eq(cm->cmsg_type, SCM_RIGHTS);
	memcpy(&s, CMSG_DATA(cm), sizeof(int));
	return s;
}

/* The sockets at 512 and above whose peer has no path: spares in use. */
static int spares_held(void)
{
	int n = 0;

	for (int fd = 512; fd < FG_AUDIT_POOL_FD; fd++) {
		struct sockaddr_un peer;
		socklen_t len = sizeof(peer);

		if (getpeername(fd, (struct sockaddr *)&peer, &len) == 0 &&
		    (len <= sizeof(sa_family_t) || peer.sun_path[0] == '\0'))
			n++;
	}
	return n;
}

/* A fork child of r's process appends a record of path and flushes; it
 * holds `spares` spare connections (0 or 1) by then.  Asserted here. */
static void child_appends(struct fg_audit *r, const char *path, int spares)
{
	pid_t child = fork();
	int st;

	ck_assert_int_ge(child, 0);
	if (child == 0) {
		int bad = add(r, path) != 0;
		bad |= (spares_held() != spares) << 1;
		bad |= fg_audit_flush(r) != 0;
		child_exit(bad);
	}
	ck_assert_int_eq(waitpid(child, &st, 0), child);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: child status %#x", path, st);
}

/* fleetguard run's pool: the daemon keeps FG_AUDITW_POOL_SPARES spare
 * connections queued on it and one more after each is greeted; a spare
 * carries a hello and records like any connection (the sender's pid from
 * the kernel); a fork child of a client takes one instead of connecting;
 * a socket at the pool's number that is not connected to the log's
 * socket is never read (its message stays) and the child connects. */
START_TEST(test_pool_spares)
{
	struct fg_audit *a = open_local(), *r;
	static struct msg h, rec;
	int sp, sv[2], n = 0;
	char k;
	int32_t e;

	start_daemon(a);
	r = open_remote(FG_AUDIT_FSYNC_BATCH);
	ck_assert_int_eq(add(r, "/ws/before"), 0);
	ck_assert_int_eq(fg_audit_pool_open(r), 0);
	/* a taker by hand: hello, a waited record */
	sp = pool_take(FG_AUDIT_POOL_FD, 3000);
	ck_assert_int_ge(sp, 0);
	m_hello(&h, 0);
	m_send(sp, &h);
	ck_assert_int_eq(m_answer(sp, &k, &e, 3000), 1);
	ck_assert_int_eq(e, 0);
	m_path_rec(&rec, FG_AUDITW_SYNC, "/ws/spare");
	m_send(sp, &rec);
	ck_assert_int_eq(m_answer(sp, &k, &e, 3000), 1);
	ck_assert(k == 'A' && e == 0);
	close(sp);
	/* refilled: the full count queued again (taken and closed here, each
	 * close makes the daemon queue another) */
	while (n < FG_AUDITW_POOL_SPARES && (sp = pool_take(FG_AUDIT_POOL_FD, 3000)) >= 0) {
		close(sp);
		n++;
	}
	ck_assert_int_eq(n, FG_AUDITW_POOL_SPARES);
	/* a fork child's own connection is a spare (one is queued: poll) */
	ck_assert_int_eq(poll(&(struct pollfd){ FG_AUDIT_POOL_FD, POLLIN, 0 }, 1, 3000), 1);
	child_appends(r, "/ws/child", 1);
	/* a socket pair of our own at the pool's number: not read from */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	ck_assert_int_eq(dup2(sv[0], FG_AUDIT_POOL_FD), FG_AUDIT_POOL_FD);
	close(sv[0]);
	ck_assert_int_eq(send(sv[1], "C", 1, 0), 1);
	child_appends(r, "/ws/child2", 0);
	ck_assert_int_eq(recv(FG_AUDIT_POOL_FD, &k, 1, MSG_DONTWAIT), 1);
	close(FG_AUDIT_POOL_FD);
	close(sv[1]);
	ck_assert_int_eq(fg_audit_flush(r), 0);
	ck_assert_uint_eq(verify_log(), 4);
	ck_assert_uint_eq(count_pid(getpid()), 2);
	for (size_t i = 0; i < nseen; i++)
		if (seen[i].pid != getpid())
			ck_assert_msg(strcmp(seen[i].path, "/ws/child") == 0 ||
				      strcmp(seen[i].path, "/ws/child2") == 0, "%s", seen[i].path);
	fg_audit_close(r);
	fg_audit_close(a);
}
END_TEST

/* A socket left by a daemon that died (nobody listens) is replaced. */
START_TEST(test_stale_socket_replaced)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct fg_audit *a = open_local(), *r;
	struct stat st;
	int fd;

	strcpy(sa.sun_path, sockpath);
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	ck_assert_int_eq(raw_connect(sockpath), -ECONNREFUSED);
	start_daemon(a);
	ck_assert_int_eq(stat(sockpath, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	r = open_remote(FG_AUDIT_FSYNC_BATCH);
	ck_assert_int_eq(add(r, "/ws/x"), 0);
	ck_assert_int_eq(fg_audit_flush(r), 0);
	ck_assert_uint_eq(verify_log(), 1);
	fg_audit_close(r);
	fg_audit_close(a);
}
END_TEST

/* What ensure cannot do, it says. */
START_TEST(test_ensure_errors)
{
	struct fg_audit *a = open_local();
	char err[512], moved[640], inner[640];

	/* something that is not a socket and cannot be removed */
	ck_assert_int_eq(mkdir(sockpath, 0700), 0);
	snprintf(inner, sizeof(inner), "%s/x", sockpath);
	ck_assert_int_eq(mkdir(inner, 0700), 0);
	ck_assert_int_eq(fg_auditd_ensure(a, "a", "e", err, sizeof(err)), -EISDIR);
	ck_assert_ptr_nonnull(strstr(err, "cannot remove"));
	/* the directory gone: nothing to lock */
	snprintf(moved, sizeof(moved), "%s.moved", dir);
	ck_assert_int_eq(rename(dir, moved), 0);
	ck_assert_int_eq(fg_auditd_ensure(a, "a", "e", err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "cannot lock"));
	ck_assert_int_eq(rename(moved, dir), 0);
	fg_audit_close(a);
	/* no daemon: a client cannot attach */
	struct fg_audit_conf c = { .path = logpath, .agent = "a", .exe = "e" };
	struct fg_audit *r = NULL;
	ck_assert_int_eq(rmdir(inner), 0);
	ck_assert_int_eq(rmdir(sockpath), 0);
	ck_assert_int_eq(fg_audit_open_remote(&c, &r, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "cannot reach the audit daemon"));
	ck_assert_ptr_null(r);
	ck_assert_int_eq(fg_audit_open_remote(NULL, &r, err, sizeof(err)), -EINVAL);
}
END_TEST

#ifdef FG_COVERAGE
extern void __gcov_dump(void);
#endif

/* The end of a child under a seccomp filter: not exit(), where
 * LeakSanitizer would need the clone() the filter may refuse. */
static void filtered_exit(int status)
{
#ifdef FG_COVERAGE
	__gcov_dump();
#endif
	_exit(status);
}

/* Install a filter: syscall nr fails with errno err, or kills the process
 * (err 0). */
static void filter_syscall(long nr, int err)
{
	struct sock_filter prog[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, err ? SECCOMP_RET_ERRNO | (uint32_t)err
					       : SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog fp = { sizeof(prog) / sizeof(prog[0]), prog };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp, 0, 0) < 0)
		filtered_exit(90);
}

/* A daemon that cannot listen says why; one that dies before it is ready
 * is noticed.  (In children: the filters stay with the process.) */
START_TEST(test_daemon_cannot_start)
{
	struct fg_audit *a = open_local();
	pid_t p;
	int st;

	p = fork();
	ck_assert_int_ge(p, 0);
	if (p == 0) {
		char err[512];
		filter_syscall(SYS_bind, EACCES);
		int r = fg_auditd_ensure(a, "a", "e", err, sizeof(err));
		filtered_exit(r == -EIO && strstr(err, "cannot listen") &&
			   strstr(err, strerror(EACCES)) ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(p, &st, 0), p);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);

	p = fork();
	ck_assert_int_ge(p, 0);
	if (p == 0) {
		char err[512];
		struct rlimit no_core = { 0, 0 };
		setrlimit(RLIMIT_CORE, &no_core);
		filter_syscall(SYS_close_range, 0);
		int r = fg_auditd_ensure(a, "a", "e", err, sizeof(err));
		filtered_exit(r == -ECHILD && strstr(err, "exited before it was ready") ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(p, &st, 0), p);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	/* no process to be had, no pipe, no socket */
	p = fork();
	ck_assert_int_ge(p, 0);
	if (p == 0) {
		char err[512];
		filter_syscall(SYS_clone, EAGAIN);
		int r = fg_auditd_ensure(a, "a", "e", err, sizeof(err));
		filtered_exit(r == -EAGAIN && strstr(err, "cannot start the audit daemon") ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(p, &st, 0), p);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	p = fork();
	ck_assert_int_ge(p, 0);
	if (p == 0) {
		char err[512];
		int low = dup(0);
		struct rlimit rl = { (rlim_t)low + 2, (rlim_t)low + 2 };
		/* the lock takes the lowest number; one left: no pipe */
		close(low);
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			child_exit(2);
		int r = fg_auditd_ensure(a, "a", "e", err, sizeof(err));
		filtered_exit(r == -EMFILE && strstr(err, "cannot start the audit daemon") ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(p, &st, 0), p);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	p = fork();
	ck_assert_int_ge(p, 0);
	if (p == 0) {
		char err[512];
		struct fg_auditc *c = NULL;
		filter_syscall(SYS_socket, EACCES);
		int r = fg_auditc_new(sockpath, "a", "e", NULL, &c, err, sizeof(err));
		filtered_exit(r == -EACCES && strstr(err, "cannot reach") ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(p, &st, 0), p);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	ck_assert_int_eq(raw_connect(sockpath) < 0, 1);
	fg_audit_close(a);
}
END_TEST

/* A process that is gone by the time its hello is read is no root. */
START_TEST(test_dead_root_refused)
{
	struct fg_audit *a = open_local();
	pid_t d = start_daemon(a), p;
	int fd, st;
	char k;
	int32_t e;

	fd = raw_connect(sockpath);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(kill(d, SIGSTOP), 0);
	p = fork();
	ck_assert_int_ge(p, 0);
	if (p == 0) {
		m_hello(&m, 1);
		_exit(send(fd, m.b, m.n, MSG_NOSIGNAL) == (ssize_t)m.n ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(p, &st, 0), p);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_int_eq(kill(d, SIGCONT), 0);
	ck_assert_int_eq(m_answer(fd, &k, &e, 3000), 1);
	ck_assert_int_eq(k, 'A');
	ck_assert_int_eq(e, -ESRCH);
	ck_assert_int_eq(m_answer(fd, &k, &e, 3000), 0);
	close(fd);
	/* and the daemon serves on */
	close(raw_client(0));
	fg_audit_close(a);
}
END_TEST

/* Its roots gone, the daemon lingers, keeps a client that came while it
 * was about to leave, then leaves and removes its socket. */
START_TEST(test_daemon_leaves)
{
	int pfd[2], st, lockfd, fd;
	pid_t root, d;
	long t0, dt;
	char k;
	int32_t e;

	ck_assert_int_eq(pipe(pfd), 0);
	root = fork();
	ck_assert_int_ge(root, 0);
	if (root == 0) {
		struct fg_audit *a = open_local();
		char err[256];
		int r = fg_auditd_ensure(a, "a", "e", err, sizeof(err));
		pid_t dp = r == 0 ? daemon_pid(sockpath) : 0;
		ck_assert_int_eq(write(pfd[1], &dp, sizeof(dp)), sizeof(dp));
		fg_audit_close(a);
		child_exit(r == 0 ? 0 : 1);
	}
	close(pfd[1]);
	ck_assert_int_eq(read(pfd[0], &d, sizeof(d)), sizeof(d));
	close(pfd[0]);
	ck_assert_int_gt(d, 0);
	note_daemon(d);
	ck_assert_int_eq(waitpid(root, &st, 0), root);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* hold the spawners' lock past the linger: the daemon waits for it */
	lockfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(lockfd, 0);
	ck_assert_int_eq(flock(lockfd, LOCK_EX), 0);
	usleep((FG_AUDITD_LINGER_MS + 600) * 1000);
	ck_assert(!wait_gone(d, 0));
	fd = raw_connect(sockpath);
	ck_assert_int_ge(fd, 0);
	m_hello(&m, 0);
	m_send(fd, &m);
	ck_assert_int_eq(flock(lockfd, LOCK_UN), 0);
	close(lockfd);
	/* a connection was waiting: it stays for it */
	ck_assert_int_eq(m_answer(fd, &k, &e, 3000), 1);
	ck_assert_int_eq(k, 'A');
	ck_assert_int_eq(e, 0);
	t0 = now_ms();
	close(fd);
	ck_assert(wait_gone(d, FG_AUDITD_LINGER_MS + 3000));
	dt = now_ms() - t0;
	ck_assert_int_ge(dt, FG_AUDITD_LINGER_MS - 500);
	ck_assert_int_eq(access(sockpath, F_OK), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* Descriptors the process holds, from /proc. */
static int count_fds(pid_t pid)
{
	char path[64], cmd[96];
	FILE *f;
	int n = -1;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	snprintf(cmd, sizeof(cmd), "ls '%s' | wc -l", path);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%d", &n), 1);
	pclose(f);
	return n;
}

/* CPU time (clock ticks) the process has used. */
static long cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	long ut = 0, st = 0;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	ck_assert_ptr_nonnull(p);
	/* after ") S": fields 4.. ; utime and stime are fields 14 and 15 */
	ck_assert_int_eq(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &ut, &st), 2);
	return ut + st;
}

/* Policies that share a log must agree on its key file and max_size: a
 * client claiming others is refused with a message saying so. */
START_TEST(test_settings_must_match)
{
	struct fg_audit *a = open_local(), *r = NULL;
	struct fg_audit_conf c = { .path = logpath, .fsync = FG_AUDIT_FSYNC_BATCH, .agent = "x",
				   .exe = "/x", .max_size = 1 << 20 };
	char err[1024];

	start_daemon(a);
	ck_assert_int_eq(fg_audit_open_remote(&c, &r, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "key_file or max_size"));
	/* another fsync mode is fine: the daemon syncs that client's records */
	c.max_size = 0;
	c.fsync = FG_AUDIT_FSYNC_ALWAYS;
	ck_assert_int_eq(fg_audit_open_remote(&c, &r, err, sizeof(err)), 0);
	for (int i = 1; i <= 3; i++) {
		ck_assert_int_eq(add(r, "/ws/synced"), 0);
		ck_assert_uint_eq(count_lines(), (size_t)i);
	}
	fg_audit_close(r);
	fg_audit_close(a);
}
END_TEST

/* A daemon whose root has gone, so that it only lingers: its pid. */
static pid_t lingering_daemon(void)
{
	pid_t root = fork();
	int st;

	ck_assert_int_ge(root, 0);
	if (root == 0) {
		struct fg_audit *a = open_local();

		note_daemon(start_daemon(a));
		fg_audit_close(a);
		child_exit(0);
	}
	ck_assert_int_eq(waitpid(root, &st, 0), root);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return daemon_pid(sockpath);
}

/* A spawner whose policy has other settings takes over a daemon that only
 * lingers (no live root, no client), and is refused by one that serves
 * running agents. */
START_TEST(test_spawner_replaces_lingering_daemon)
{
	struct fg_audit_conf c = { .path = logpath, .fsync = FG_AUDIT_FSYNC_NEVER, .agent = "x",
				   .exe = "/x", .max_size = 1 << 20 };
	struct fg_audit *a, *b, *r;
	char err[1024];
	pid_t d1 = lingering_daemon(), d2;

	ck_assert_msg(fg_audit_open(&c, &b, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(fg_auditd_ensure(b, "x", "/x", err, sizeof(err)) == 0, "%s", err);
	d2 = daemon_pid(sockpath);
	note_daemon(d2);
	ck_assert_int_ne(d1, d2);
	ck_assert(wait_gone(d1, 3000));
	r = NULL;
	ck_assert_msg(fg_audit_open_remote(&c, &r, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(add(r, "/ws/new-settings"), 0);
	ck_assert_int_eq(fg_audit_flush(r), 0);
	fg_audit_close(r);
	/* this process is now a live root of d2: other settings are refused */
	a = open_local();
	ck_assert_int_eq(fg_auditd_ensure(a, "y", "/y", err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "serves running agents"));
	ck_assert_int_eq(daemon_pid(sockpath), d2);
	fg_audit_close(a);
	fg_audit_close(b);
}
END_TEST

/* A lingering daemon that makes way for a spawner with other settings
 * removes its name before it answers: the spawner binds that name next,
 * and a name removed after the answer could already be the new daemon's
 * (its agents then failed with ENOENT). */
START_TEST(test_retiring_daemon_name_gone_first)
{
	struct msg h;
	uint64_t max_size = 1 << 20;
	pid_t d1 = lingering_daemon();
	int fd;
	char k = 0;
	int32_t e = 0;

	fd = raw_connect(sockpath);
	ck_assert_int_ge(fd, 0);
	m_hello(&h, FG_AUDITW_ROOT);
	m_u8(&h, FG_AUDIT_FSYNC_BATCH);
	m_put(&h, &max_size, 8);
	m_cstr(&h, "");
	m_send(fd, &h);
	ck_assert_int_eq(m_answer(fd, &k, &e, 3000), 1);
	ck_assert_int_eq(e, -ESTALE);
	/* at once, with no wait: the name is already gone */
	ck_assert_int_eq(access(sockpath, F_OK), -1);
	ck_assert_int_eq(errno, ENOENT);
	close(fd);
	ck_assert(wait_gone(d1, 3000));
}
END_TEST

/* A local process cannot wedge the daemon: connections that say no hello
 * go after HELLO_MS, one process registers as a root once however often
 * it asks, and with its descriptors used up the daemon ends new
 * connections instead of spinning on them. */
START_TEST(test_daemon_not_wedged)
{
	struct fg_audit *a, *r;
	int fds[80], pfd[2], back[2], st, before, after;
	long t0;
	pid_t d, sp;
	char k;
	int32_t e;

	/* the daemon inherits a hard limit of 48 descriptors */
	ck_assert_int_eq(pipe(pfd), 0);
	ck_assert_int_eq(pipe(back), 0);
	sp = fork();
	ck_assert_int_ge(sp, 0);
	if (sp == 0) {
		struct rlimit rl = { 48, 48 };
		pid_t dp;

		a = open_local();
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			child_exit(2);
		dp = start_daemon(a);
		if (write(pfd[1], &dp, sizeof(dp)) != sizeof(dp))
			child_exit(3);
		/* stay a root while the parent works */
		if (read(back[0], &k, 1) < 0)
			child_exit(4);
		fg_audit_close(a);
		child_exit(0);
	}
	ck_assert_int_eq(read(pfd[0], &d, sizeof(d)), sizeof(d));
	/* many ROOT hellos from one process: one registration */
	before = count_fds(d);
	for (int i = 0; i < 60; i++)
		close(raw_client(1));
	usleep(100000);
	after = count_fds(d);
	ck_assert_msg(after <= before + 1, "daemon descriptors %d -> %d", before, after);
	/* more idle connections than it has descriptors */
	for (int i = 0; i < 80; i++) {
		fds[i] = raw_connect(sockpath);
		ck_assert_int_ge(fds[i], 0);
	}
	usleep(200000);
	t0 = cpu_ticks(d);
	usleep(1000000);
	ck_assert_msg(cpu_ticks(d) - t0 < 30, "the daemon spun: %ld ticks in 1 s", cpu_ticks(d) - t0);
	/* past the hello deadline every idle connection has been ended */
	usleep((HELLO_MS_TEST + 500) * 1000);
	for (int i = 0; i < 80; i++) {
		ck_assert_int_eq(m_answer(fds[i], &k, &e, 100), 0);
		close(fds[i]);
	}
	/* and an honest client gets through */
	r = open_remote(FG_AUDIT_FSYNC_NEVER);
	ck_assert_int_eq(add(r, "/ws/after-the-flood"), 0);
	ck_assert_int_eq(fg_audit_flush(r), 0);
	fg_audit_close(r);
	ck_assert_int_eq(write(back[1], "x", 1), 1);
	ck_assert_int_eq(waitpid(sp, &st, 0), sp);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	note_daemon(d);
}
END_TEST

/* A daemon that stops answering fails the append after the client's
 * timeout (where on_failure applies) instead of hanging the agent. */
START_TEST(test_client_timeout)
{
	struct fg_audit *a = open_local(), *r;
	long t0, dt;
	pid_t d;

	d = start_daemon(a);
	fg_auditc_set_timeout(1);
	r = open_remote(FG_AUDIT_FSYNC_ALWAYS);
	ck_assert_int_eq(kill(d, SIGSTOP), 0);
	t0 = now_ms();
	ck_assert_int_eq(add(r, "/ws/stuck"), -ETIMEDOUT);
	dt = now_ms() - t0;
	ck_assert_int_eq(kill(d, SIGCONT), 0);
	ck_assert_msg(dt >= 900 && dt < 5000, "timed out after %ld ms", dt);
	fg_auditc_set_timeout(0);
	/* the late answer must not be taken for the next record's: that one
	 * goes on a new connection, after the stuck record reached the log */
	ck_assert_int_eq(add(r, "/ws/next"), 0);
	ck_assert_uint_eq(verify_log(), 2);
	ck_assert_str_eq(seen[0].path, "/ws/stuck");
	ck_assert_str_eq(seen[1].path, "/ws/next");
	fg_audit_close(r);
	fg_audit_close(a);
}
END_TEST

/* A good record with every kind of operand lands in the log as sent. */
static void good_record_every_operand(void)
{
	int fd = raw_client(0);
	char k;
	int32_t e;

	m_rec(&m, 1, 13, "exec", "deny", NULL, 5);
	m_u8(&m, T_STR);
	m_cstr(&m, "path");
	m_u32(&m, UINT32_MAX);  /* null */
	m_u8(&m, T_INT);
	m_cstr(&m, "count");
	m_i64(&m, -42);
	m_u8(&m, T_OCT);
	m_cstr(&m, "mode");
	m_i64(&m, 0644);
	m_u8(&m, T_NULL);
	m_cstr(&m, "addr");
	m_u8(&m, T_STRV);
	m_cstr(&m, "argv");
	m_u16(&m, 2);
	m_cstr(&m, "ls");
	m_cstr(&m, "-l");
	m_send(fd, &m);
	ck_assert_int_eq(m_answer(fd, &k, &e, 3000), 1);
	ck_assert_int_eq(k, 'A');
	ck_assert_int_eq(e, 0);
	/* flush on that connection */
	m.n = 0;
	m_u8(&m, 'F');
	m_send(fd, &m);
	ck_assert_int_eq(m_answer(fd, &k, &e, 3000), 1);
	ck_assert_int_eq(e, 0);
	close(fd);
	ck_assert_uint_eq(verify_log(), 1);
	ck_assert_ptr_nonnull(strstr(seen[0].line, "\"op\":\"exec\",\"path\":null,\"count\":-42,"
						   "\"mode\":\"0644\",\"addr\":null,"
						   "\"argv\":[\"ls\",\"-l\"],\"decision\":\"deny\","
						   "\"rule\":null,\"result\":\"EACCES\""));
	ck_assert_int_eq(seen[0].pid, getpid());
}

/* Messages out of order or cut short, and strings without their NUL. */
static void refuse_bad_framing(void)
{
	/* no hello: a record, a flush */
	m_rec(&m, 1, 0, "open", NULL, NULL, 0);
	ck_assert_int_eq(refused(&m, false), 0);
	m.n = 0;
	m_u8(&m, 'F');
	ck_assert_int_eq(refused(&m, false), 0);
	/* an unknown message */
	m.n = 0;
	m_u8(&m, 'Z');
	ck_assert_int_eq(refused(&m, true), 0);
	/* a rename followed by anything but a record */
	m.n = 0;
	m_u8(&m, 'N');
	m_cstr(&m, "x");
	m_cstr(&m, "/bin/x");
	m_u8(&m, 'Z');
	ck_assert_int_eq(refused(&m, true), -EBADMSG);
	/* a second hello, a cut one */
	m_hello(&m, 0);
	ck_assert_int_eq(refused(&m, true), -EBADMSG);
	m_hello(&m, 0);
	m.n -= 3;
	ck_assert_int_eq(refused(&m, false), -EBADMSG);
	/* records cut short */
	m_rec(&m, 1, 0, "open", NULL, NULL, 0);
	m.n = 3;
	ck_assert_int_eq(refused(&m, true), -EBADMSG);
	m_rec(&m, 0, 0, "open", NULL, NULL, 1);
	ck_assert_int_eq(refused(&m, true), -EBADMSG);   /* no field type */
	m_rec(&m, 1, 0, "open", NULL, NULL, 1);
	m_u8(&m, T_STR);
	m_cstr(&m, "path");
	m_u32(&m, 100);
	m_put(&m, "short", 5);
	ck_assert_int_eq(refused(&m, true), -EBADMSG);
	/* bytes after the record */
	m_rec(&m, 1, 0, "open", NULL, NULL, 0);
	m_u8(&m, 0);
	ck_assert_int_eq(refused(&m, true), -EBADMSG);
	/* a string without its NUL, one with a NUL inside */
	for (int j = 0; j < 2; j++) {
		m.n = 0;
		m_u8(&m, 'R');
		m_u8(&m, 1);
		m_u32(&m, 0);
		m_u32(&m, j ? 5 : 4);
		m_put(&m, j ? "op\0n\0" : "open", j ? 5 : 4);
		m_cstr(&m, NULL);
		m_cstr(&m, NULL);
		m_u16(&m, 0);
		ck_assert_int_eq(refused(&m, true), -EBADMSG);
	}
}

/* Records whose op, decision, result or rule is not one a writer sends. */
static void refuse_bad_fields(void)
{
	char big[PATH_MAX + 64];

	/* op: none, unknown characters, too long, a writer's field */
	m_rec(&m, 1, 0, NULL, NULL, NULL, 0);
	ck_assert_int_eq(refused(&m, true), -EBADMSG);
	m_rec(&m, 1, 0, "Open", NULL, NULL, 0);
	ck_assert_int_eq(refused(&m, true), -EBADMSG);
	m_rec(&m, 1, 0, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL, NULL, 0);
	ck_assert_int_eq(refused(&m, true), -EBADMSG);
	m_rec(&m, 1, 0, "hash", NULL, NULL, 0);
	ck_assert_int_eq(refused(&m, true), -EBADMSG);
	/* a decision that is none of the three, results out of range */
	m_rec(&m, 1, 0, "open", "maybe", NULL, 0);
	ck_assert_int_eq(refused(&m, true), -EBADMSG);
	m_rec(&m, 1, -1, "open", "allow", NULL, 0);
	ck_assert_int_eq(refused(&m, true), -EBADMSG);
	m_rec(&m, 1, 4096, "open", "allow", NULL, 0);
	ck_assert_int_eq(refused(&m, true), -EBADMSG);
	/* a rule longer than any policy line's place */
	memset(big, 'r', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	m_rec(&m, 1, 0, "open", "allow", big, 0);
	ck_assert_int_eq(refused(&m, true), -EBADMSG);
}

/* Operands and arrays beyond what a record may hold. */
static void refuse_bad_operands(void)
{
	/* operands: too many, reserved names, an unknown type, no value */
	m_rec(&m, 1, 0, "open", "allow", NULL, 33);
	ck_assert_int_eq(refused(&m, true), -EBADMSG);
	m_rec(&m, 1, 0, "open", "allow", NULL, 1);
	m_u8(&m, T_INT);
	m_cstr(&m, "seq");
	m_i64(&m, 1);
	ck_assert_int_eq(refused(&m, true), -EBADMSG);
	m_rec(&m, 0, 0, "open", "allow", NULL, 1);
	m_u8(&m, T_NULL);
	m_cstr(&m, NULL);
	ck_assert_int_eq(refused(&m, true), -EBADMSG);
	m_rec(&m, 1, 0, "open", "allow", NULL, 1);
	m_u8(&m, 9);
	m_cstr(&m, "path");
	ck_assert_int_eq(refused(&m, true), -EBADMSG);
	m_rec(&m, 1, 0, "open", "allow", NULL, 1);
	m_u8(&m, T_INT);
	m_cstr(&m, "count");
	m_u32(&m, 1);
	ck_assert_int_eq(refused(&m, true), -EBADMSG);
	/* argv: a NULL string in it, too many strings */
	m_rec(&m, 1, 0, "exec", "allow", NULL, 1);
	m_u8(&m, T_STRV);
	m_cstr(&m, "argv");
	m_u16(&m, 2);
	m_cstr(&m, "a");
	m_cstr(&m, NULL);
	ck_assert_int_eq(refused(&m, true), -EBADMSG);
	m_rec(&m, 1, 0, "exec", "allow", NULL, 1);
	m_u8(&m, T_STRV);
	m_cstr(&m, "argv");
	m_u16(&m, 4097);
	ck_assert_int_eq(refused(&m, true), -EBADMSG);
	/* two arrays that are each allowed but not together */
	m_rec(&m, 1, 0, "exec", "allow", NULL, 2);
	for (int j = 0; j < 2; j++) {
		m_u8(&m, T_STRV);
		m_cstr(&m, j ? "envp" : "argv");
		m_u16(&m, 4096);
		for (int i = 0; i < 4096; i++)
			m_cstr(&m, "");
	}
	ck_assert_int_eq(refused(&m, true), -EBADMSG);
}

/* A message longer than any record: cut by the kernel, refused. */
static void refuse_oversized(void)
{
	int fd;
	char k;
	int32_t e;

	/* a message longer than any record: cut by the kernel */
	m_rec(&m, 1, 0, "open", "allow", NULL, 1);
	m_u8(&m, T_STR);
	m_cstr(&m, "path");
	m_u32(&m, FG_AUDIT_LINE_MAX);
	memset(m.b + m.n, 'p', FG_AUDIT_LINE_MAX);
	m.n += FG_AUDIT_LINE_MAX;
	fd = raw_client(0);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &(int){ 1 << 20 }, sizeof(int)), 0);
	m_send(fd, &m);
	ck_assert_int_eq(m_answer(fd, &k, &e, 3000), 1);
	ck_assert_int_eq(e, -EPROTO);
	ck_assert_int_eq(m_answer(fd, &k, &e, 3000), 0);
	close(fd);
}

/* A hello may carry the process's first record in the same message (a
 * vfork child's exec record, wire.h): the hello is answered, then the
 * record is taken like any other; what follows a hello is a record or
 * its settings, nothing else. */
static void hello_carries_record(void)
{
	static struct msg r;
	int fd = raw_connect(sockpath);
	char k = 0;
	int32_t e = 1;

	ck_assert_int_ge(fd, 0);
	m_hello(&m, 0);
	m_path_rec(&r, FG_AUDITW_SYNC, "/ws/with-hello");
	m_put(&m, r.b, r.n);
	m_send(fd, &m);
	for (int i = 0; i < 2; i++) {   /* the hello's answer, the record's */
		ck_assert_int_eq(m_answer(fd, &k, &e, 3000), 1);
		ck_assert_int_eq(k, 'A');
		ck_assert_int_eq(e, 0);
	}
	close(fd);
	/* a hello followed by a cut record: the hello stands, the record is
	 * refused and the connection ends */
	fd = raw_connect(sockpath);
	ck_assert_int_ge(fd, 0);
	m_hello(&m, 0);
	m_put(&m, r.b, 3);
	m_send(fd, &m);
	ck_assert_int_eq(m_answer(fd, &k, &e, 3000), 1);
	ck_assert_int_eq(e, 0);
	ck_assert_int_eq(m_answer(fd, &k, &e, 3000), 1);
	ck_assert_int_eq(e, -EBADMSG);
	ck_assert_int_eq(m_answer(fd, &k, &e, 3000), 0);
	close(fd);
	/* anything else after it is read as settings, and refused */
	m_hello(&m, 0);
	m_u8(&m, 'Z');
	ck_assert_int_eq(refused(&m, false), -EBADMSG);
}

/* Messages that are not what the library sends are refused: the sender is
 * dropped and the log keeps only the good records. */
START_TEST(test_malformed_messages)
{
	struct fg_audit *a = open_local();

	start_daemon(a);
	good_record_every_operand();
	hello_carries_record();
	refuse_bad_framing();
	refuse_bad_fields();
	refuse_bad_operands();
	refuse_oversized();
	/* none of it reached the log but the two good records; it is intact */
	ck_assert_uint_eq(verify_log(), 2);
	ck_assert_str_eq(seen[1].path, "/ws/with-hello");
	fg_audit_close(a);
}
END_TEST

/* --- the shared ring (wire.h): a client that lies ------------------------- */

/* A sealed memfd of size bytes (seal: add F_SEAL_SHRINK), mapped at *map. */
static int ring_memfd(size_t size, bool seal, void **map)
{
	int fd = (int)syscall(SYS_memfd_create, "test-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	if (seal)
		ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
	*map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(*map, MAP_FAILED);
	return fd;
}

/* Send 'M' with n descriptors on sock; the daemon's answer (or 0 / -1 as
 * m_answer: 0 at end of stream). */
static int send_ring(int sock, const int *fds, size_t n, int32_t *err)
{
	union {
		char b[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { (void *)"M", 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			     .msg_controllen = CMSG_SPACE(n * sizeof(int)) };
	struct cmsghdr *cm;
	char k = 0;
	int r;

	memset(&ctl, 0, sizeof(ctl));
	cm = CMSG_FIRSTHDR(&mh);
	ck_assert_ptr_nonnull(cm);
	if (!cm)
		return -1;
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	ck_assert_int_eq(sendmsg(sock, &mh, MSG_NOSIGNAL), 1);
	r = m_answer(sock, &k, err, 3000);
	if (r == 1)
		ck_assert_int_eq(k, 'A');
	return r;
}

/* A raw client with a ring the daemon took; *ring is its map. */
static int ring_client(struct fg_auditw_ring **ring)
{
	int sock = raw_client(0), fd;
	void *map;
	int32_t e = 1;

	fd = ring_memfd(FG_AUDITW_RING_MAP, true, &map);
	ck_assert_int_eq(send_ring(sock, &fd, 1, &e), 1);
	ck_assert_int_eq(e, 0);
	close(fd);
	*ring = map;
	return sock;
}

/* Put n bytes at p as one entry at *head, with a length of len, and
 * publish it. */
static void ring_entry_put(struct fg_auditw_ring *r, uint64_t *head, uint32_t len,
			   const void *p, size_t n)
{
	char *data = (char *)r + FG_AUDITW_RING_OFF;

	for (size_t i = 0; i < 4; i++)
		data[(*head + i) % FG_AUDITW_RING_DATA] = ((const char *)&len)[i];
	for (size_t i = 0; i < n; i++)
		data[(*head + 4 + i) % FG_AUDITW_RING_DATA] = ((const char *)p)[i];
	*head += 4 + n;
	__atomic_store_n(&r->head, *head, __ATOMIC_SEQ_CST);
}

/* 'W': 1 when the daemon answered 0 (the ring taken), 0 when it dropped
 * the connection. */
static int ring_wait_answer(int sock)
{
	char k = 0;
	int32_t e = -1;
	int r;

	ck_assert_int_eq(send(sock, "W", 1, MSG_NOSIGNAL), 1);
	r = m_answer(sock, &k, &e, 5000);
	ck_assert_int_ge(r, 0);
	if (r == 1) {
		ck_assert_int_eq(k, 'A');
		ck_assert_int_eq(e, 0);
	}
	return r;
}

/* A daemon serving the log with this program's own code, in a forked
 * child (so that a sanitizer build checks it, and its end is seen): its
 * pid.  It has no root: it lingers from the start. */
static pid_t serve_here(void)
{
	int pfd[2];
	char x = 1;
	pid_t pid;

	ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct fg_audit_conf c = { .path = logpath, .fsync = FG_AUDIT_FSYNC_NEVER,
					   .agent = "fg-auditd", .exe = "fg-auditd" };
		struct fg_audit *a = NULL;
		char err[512];
		int st;

		close(pfd[0]);
		if (fg_audit_open(&c, &a, err, sizeof(err)) < 0)
			child_exit(90);
		st = fg_auditd_serve(a, sockpath, dir, pfd[1], NULL);
		fg_audit_close(a);
		child_exit(st);
	}
	close(pfd[1]);
	ck_assert_int_eq(read(pfd[0], &x, 1), 1);
	ck_assert_int_eq(x, '\0');
	close(pfd[0]);
	return pid;
}

/* The exit status of the child pid, waited for up to ms (-1 if it has
 * not ended). */
static int status_within(pid_t pid, int ms)
{
	int st;

	if (!wait_gone(pid, ms))
		return -1;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return st;
}

/* The daemon accepted a connection: it holds one descriptor more than
 * before (5 s at most). */
static void wait_fds(pid_t pid, int want)
{
	long until = now_ms() + 5000;

	while (count_fds(pid) < want && now_ms() < until)
		usleep(10000);
	ck_assert_int_ge(count_fds(pid), want);
}

/* The follower's five records of a round (with a ring, the first three
 * through it) and its barrier: 'B', 'F', or a record with SYNC|DRAIN. */
static void follower_sends(int fd, int round, char kind, struct fg_auditw_ring *rg,
			   uint64_t *head)
{
	char path[64];

	for (int i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "/ws/r%d-%d", round, i);
		m_path_rec(&m, 0, path);
		if (rg && i < 3)
			ring_entry_put(rg, head, (uint32_t)m.n, m.b, m.n);
		else
			m_send(fd, &m);
	}
	snprintf(path, sizeof(path), "/ws/r%d-barrier", round);
	if (kind == 'R') {
		m_path_rec(&m, FG_AUDITW_SYNC | FG_AUDITW_DRAIN, path);
	} else {
		m.n = 0;
		m_u8(&m, (uint8_t)kind);
	}
	m_send(fd, &m);
}

/* A spawner's hello with settings other than the daemon's (max_size):
 * it makes way when nobody else keeps it. */
static void spawner_hello(int sp, uint64_t max_size)
{
	m_hello(&m, FG_AUDITW_ROOT);
	m_u8(&m, FG_AUDIT_FSYNC_BATCH);
	m_put(&m, &max_size, 8);
	m_cstr(&m, "");
	m_send(sp, &m);
}

/* The round's records are the log's last, once each and in the order
 * sent; total counts every round's so far. */
static void round_in_log(int round, char kind, size_t total)
{
	char path[64];

	ck_assert_uint_eq(verify_log(), total);
	for (size_t i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "/ws/r%d-%zu", round, i);
		ck_assert_str_eq(seen[total - 5 - (kind == 'R') + i].path, path);
	}
	if (kind == 'R') {
		snprintf(path, sizeof(path), "/ws/r%d-barrier", round);
		ck_assert_str_eq(seen[total - 1].path, path);
	}
}

/* A follower's barrier ('B', 'F', or a record with SYNC|DRAIN) in the
 * daemon's hands when a spawner with other settings makes it make way
 * (docs/AUDIT.md, "When records are in the log"; server.c
 * let_followers_go): read while the follower is being hung up (the
 * spawner served first, rounds 3-5), or the barrier's own drain accepting
 * the spawner, whose hello makes way inside it (rounds 0-2); rounds 6-11
 * again with three of the records in the follower's ring.  The daemon
 * is stopped while both queue up.  The follower is hung up without an
 * answer; its records, the barrier record too, are in the log once each
 * and in the order sent; the spawner is told to start its own daemon
 * (-ESTALE); the daemon ends with status 0 (under the sanitizers too: it
 * runs this program's code, in a child). */
START_TEST(test_follower_barrier_while_making_way)
{
	static const char kinds[] = { 'B', 'F', 'R' };
	uint64_t max_size = 1 << 20;
	size_t total = 0;

	for (int round = 0; round < 12; round++) {
		char kind = kinds[round % 3], k = 0;
		bool spawner_first = round % 6 >= 3, ring = round >= 6;
		struct fg_auditw_ring *rg = NULL;
		uint64_t head = 0;
		int32_t e = 0;
		int fd, sp = -1, x, r, st, n0;
		pid_t d = serve_here();

		fd = raw_client(FG_AUDITW_FOLLOW);
		if (ring) {
			void *map;
			int mfd = ring_memfd(FG_AUDITW_RING_MAP, true, &map);

			ck_assert_int_eq(send_ring(fd, &mfd, 1, &e), 1);
			ck_assert_int_eq(e, 0);
			close(mfd);
			rg = map;
		}
		if (spawner_first) {
			/* accepted (one descriptor more) before the follower sends */
			n0 = count_fds(d);
			sp = raw_connect(sockpath);
			ck_assert_int_ge(sp, 0);
			wait_fds(d, n0 + 1);
		}
		ck_assert_int_eq(kill(d, SIGSTOP), 0);
		follower_sends(fd, round, kind, rg, &head);
		if (!spawner_first) {
			sp = raw_connect(sockpath);
			ck_assert_int_ge(sp, 0);
		}
		spawner_hello(sp, max_size);
		/* one more in the accept queue, gone already (so no user that
		 * keeps the daemon): an accept while making way would move the
		 * connection table under its callers */
		x = raw_connect(sockpath);
		ck_assert_int_ge(x, 0);
		close(x);
		ck_assert_int_eq(kill(d, SIGCONT), 0);

		/* hung up, never answered: a barrier read while making way
		 * cannot hold (no drain runs inside it, nothing is accepted),
		 * and an 'A' would say it did */
		r = m_answer(fd, &k, &e, 5000);
		ck_assert_msg(r == 0, "round %d (%c): the follower got %s %c %d", round, kind,
			      r < 0 ? "nothing (timeout)" : "an answer", k, e);
		/* and what it sends now fails at once (the next daemon gets it) */
		m_path_rec(&m, 0, "/ws/too-late");
		ck_assert_int_eq(send(fd, m.b, m.n, MSG_NOSIGNAL), -1);
		ck_assert_int_eq(errno, EPIPE);
		ck_assert_int_eq(m_answer(sp, &k, &e, 5000), 1);
		ck_assert_int_eq(k, 'A');
		ck_assert_int_eq(e, -ESTALE);
		close(sp);
		close(fd);
		if (ring) {
			/* closed by the daemon, every entry taken */
			ck_assert(__atomic_load_n(&rg->head, __ATOMIC_SEQ_CST) & FG_AUDITW_RING_CLOSED);
			ck_assert_uint_eq(__atomic_load_n(&rg->tail, __ATOMIC_SEQ_CST), head);
			munmap(rg, FG_AUDITW_RING_MAP);
		}
		st = status_within(d, 5000);
		ck_assert_msg(st == 0, "round %d (%c): the daemon ended with status %#x", round,
			      kind, st);

		total += 5 + (kind == 'R');
		round_in_log(round, kind, total);
	}
}
END_TEST

/* One lie on a fresh ring: the daemon must end that connection (and
 * only it); the good entry before the lie is in the log. */
static void ring_lie(int kind)
{
	struct fg_auditw_ring *r;
	int sock = ring_client(&r);
	uint64_t head = 0;

	m_path_rec(&m, 0, "/ws/before-lie");
	ring_entry_put(r, &head, (uint32_t)m.n, m.b, m.n);
	ck_assert_int_eq(ring_wait_answer(sock), 1);
	switch (kind) {
	case 0:         /* head far past what the ring can hold */
		__atomic_store_n(&r->head, head + 4 * FG_AUDITW_RING_DATA, __ATOMIC_SEQ_CST);
		break;
	case 1:         /* an entry of length 0 */
		ring_entry_put(r, &head, 0, "", 0);
		break;
	case 2:         /* a length past what was published */
		m_path_rec(&m, 0, "/ws/long");
		ring_entry_put(r, &head, (uint32_t)m.n + 64, m.b, m.n);
		break;
	case 3:         /* a length past any message */
		ring_entry_put(r, &head, UINT32_MAX, m.b, 16);
		break;
	case 4:         /* a hello in the ring */
		m_hello(&m, 0);
		ring_entry_put(r, &head, (uint32_t)m.n, m.b, m.n);
		break;
	case 5:         /* a record that wants an answer */
		m_path_rec(&m, 1, "/ws/sync");
		ring_entry_put(r, &head, (uint32_t)m.n, m.b, m.n);
		break;
	default:        /* a record cut short */
		m_path_rec(&m, 0, "/ws/cut");
		ring_entry_put(r, &head, (uint32_t)m.n - 3, m.b, m.n - 3);
		break;
	}
	ck_assert_int_eq(ring_wait_answer(sock), 0);
	/* closed to the client: a record put now would be refused to it */
	ck_assert(__atomic_load_n(&r->head, __ATOMIC_SEQ_CST) & FG_AUDITW_RING_CLOSED);
	munmap(r, FG_AUDITW_RING_MAP);
	close(sock);
}

/* Good entries through a ring whose tail the client scribbles on (ours
 * is the daemon's own), wrapping; a record left in the ring when the
 * process goes is appended. */
static void ring_wraps(void)
{
	struct fg_auditw_ring *r;
	uint64_t head = 0;
	int sock = ring_client(&r);

	__atomic_store_n(&r->tail, 12345, __ATOMIC_SEQ_CST);
	m_path_rec(&m, 0, "/ws/ring");
	for (int i = 0; i < 2400; i++) {
		ring_entry_put(r, &head, (uint32_t)m.n, m.b, m.n);
		if (i % 100 == 99)
			ck_assert_int_eq(ring_wait_answer(sock), 1);
	}
	ck_assert_uint_gt(head, FG_AUDITW_RING_DATA);   /* it wrapped */
	ck_assert_int_eq(ring_wait_answer(sock), 1);
	ck_assert_uint_eq(__atomic_load_n(&r->tail, __ATOMIC_SEQ_CST), head);
	/* records left in the ring when the process goes are appended */
	m_path_rec(&m, 0, "/ws/last");
	ring_entry_put(r, &head, (uint32_t)m.n, m.b, m.n);
	close(sock);
	munmap(r, FG_AUDITW_RING_MAP);
}

/* Rings the daemon refuses, keeping the connection (not sealed, too
 * small, not a memfd); two descriptors, or one with another message: the
 * connection goes. */
static void refuse_bad_rings(void)
{
	int sock = raw_client(0), fd, fds[2];
	int32_t e;
	char k;
	void *map;

	fd = ring_memfd(FG_AUDITW_RING_MAP, false, &map);       /* not sealed */
	ck_assert_int_eq(send_ring(sock, &fd, 1, &e), 1);
	ck_assert_int_eq(e, -EINVAL);
	munmap(map, FG_AUDITW_RING_MAP);
	close(fd);
	fd = ring_memfd(4096, true, &map);                      /* too small */
	ck_assert_int_eq(send_ring(sock, &fd, 1, &e), 1);
	ck_assert_int_eq(e, -EINVAL);
	ck_assert_int_eq(ftruncate(fd, 0), -1);                 /* sealed */
	ck_assert_int_eq(errno, EPERM);
	munmap(map, 4096);
	close(fd);
	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);             /* not a memfd */
	ck_assert_int_eq(send_ring(sock, &fds[0], 1, &e), 1);
	ck_assert_int_eq(e, -EINVAL);
	/* two descriptors, or one with another message: the connection goes */
	ck_assert_int_eq(send_ring(sock, fds, 2, &e), 1);
	ck_assert_int_eq(e, -EPROTO);
	ck_assert_int_eq(m_answer(sock, &k, &e, 3000), 0);
	close(sock);
	close(fds[0]);
	close(fds[1]);
}

/* A ring before the hello: refused, the connection goes. */
static void refuse_ring_before_hello(void)
{
	int sock = raw_connect(sockpath), fd;
	int32_t e;
	char k;
	void *map;

	fd = ring_memfd(FG_AUDITW_RING_MAP, true, &map);
	ck_assert_int_eq(send_ring(sock, &fd, 1, &e), 1);
	ck_assert_int_eq(e, -EBADMSG);
	ck_assert_int_eq(m_answer(sock, &k, &e, 3000), 0);
	munmap(map, FG_AUDITW_RING_MAP);
	close(fd);
	close(sock);
}

/* The log is intact: the good client's 80 records, the ring's 2401 and one
 * per lie, the ring records (and those before each lie) this process's. */
static void ring_log_intact(size_t lies)
{
	size_t n = verify_log(), before = 0;

	ck_assert_uint_eq(n, 80 + 2401 + lies);
	for (size_t i = 0; i < nseen; i++) {
		if (strcmp(seen[i].path, "/ws/ring") == 0 || strcmp(seen[i].path, "/ws/last") == 0 ||
		    strcmp(seen[i].path, "/ws/before-lie") == 0) {
			ck_assert_int_eq(seen[i].pid, getpid());
			ck_assert_str_eq(seen[i].agent, "raw");
			before++;
		} else {
			ck_assert_str_eq(seen[i].path, "/ws/good");
		}
	}
	ck_assert_uint_gt(before, lies);
}

START_TEST(test_ring_hostile)
{
	struct fg_audit *a = open_local(), *good;
	size_t lies = 7;
	pid_t d;

	d = start_daemon(a);
	/* a well-behaved client beside the liars, with a ring of its own */
	good = open_remote(FG_AUDIT_FSYNC_NEVER);
	for (int i = 0; i < 40; i++)
		ck_assert_int_eq(add(good, "/ws/good"), 0);
	ring_wraps();
	for (int j = 0; j < (int)lies; j++)
		ring_lie(j);
	refuse_bad_rings();
	refuse_ring_before_hello();
	/* the daemon lives, the good client goes on, the log is intact */
	ck_assert_int_eq(kill(d, 0), 0);
	for (int i = 0; i < 40; i++)
		ck_assert_int_eq(add(good, "/ws/good"), 0);
	ck_assert_int_eq(fg_audit_flush(good), 0);
	ring_log_intact(lies);
	fg_audit_close(good);
	fg_audit_close(a);
}
END_TEST

/* A descriptor passed to the daemon does not stay open there. */
START_TEST(test_passed_descriptor_closed)
{
	struct fg_audit *a = open_local();
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			     .msg_controllen = sizeof(ctl.b) };
	struct cmsghdr *cm;
	int p[2], fd;
	char k, c;
	int32_t e;
	struct pollfd pf;

	start_daemon(a);
	fd = raw_client(0);
	m_rec(&m, 1, 0, "open", "allow", NULL, 0);
	iov = (struct iovec){ m.b, m.n };
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	memset(&ctl, 0, sizeof(ctl));
	cm = CMSG_FIRSTHDR(&mh);
	ck_assert_ptr_nonnull(cm);
	if (!cm)
		return;
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &p[1], sizeof(int));
	ck_assert_int_eq(sendmsg(fd, &mh, MSG_NOSIGNAL), (ssize_t)m.n);
	close(p[1]);
	/* the kernel cuts the descriptor off (the daemon's control buffer
	 * holds the credentials only): the message is refused as cut */
	ck_assert_int_eq(m_answer(fd, &k, &e, 3000), 1);
	ck_assert_int_eq(e, -EPROTO);
	pf = (struct pollfd){ p[0], POLLIN, 0 };
	ck_assert_int_eq(poll(&pf, 1, 3000), 1);
	ck_assert_int_eq(read(p[0], &c, 1), 0);
	close(p[0]);
	close(fd);
	/* and nothing it sent is in the log */
	ck_assert_uint_eq(count_lines(), 0);
	fg_audit_close(a);
}
END_TEST

/* The uid is the sender's at the time of each record. */
START_TEST(test_uid_follows_sender)
{
	struct fg_audit *a = open_local();
	pid_t p;
	int st;

	start_daemon(a);
	p = fork();
	ck_assert_int_ge(p, 0);
	if (p == 0) {
		int fd = raw_client(0), bad = 0;
		char k;
		int32_t e;
		for (int i = 0; i < 2; i++) {
			if (i == 1 && setresuid(4321, 4321, 4321) < 0)
				_exit(2);
			m_rec(&m, 1, 0, "open", "allow", NULL, 0);
			m_send(fd, &m);
			bad |= m_answer(fd, &k, &e, 3000) != 1 || e != 0;
		}
		/* _exit: as uid 4321 it could not write the coverage counters */
		_exit(bad);
	}
	ck_assert_int_eq(waitpid(p, &st, 0), p);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	ck_assert_uint_eq(verify_log(), 2);
	ck_assert_int_eq(seen[0].uid, 0);
	ck_assert_int_eq(seen[1].uid, 4321);
	ck_assert_int_eq(seen[1].pid, p);
	fg_audit_close(a);
}
END_TEST

/* A client that sends and hangs up at once loses nothing. */
START_TEST(test_hangup_keeps_queued_records)
{
	struct fg_audit *a = open_local();
	int fd;

	start_daemon(a);
	fd = raw_client(0);
	for (int i = 0; i < 150; i++) {
		m_rec(&m, 0, 0, "open", "report", "p.ini:1", 0);
		m_send(fd, &m);
	}
	close(fd);
	wait_lines(150);
	ck_assert_uint_eq(verify_log(), 150);
	fg_audit_close(a);
}
END_TEST

/* A process that ends with an answer unread (a vfork child whose exec
 * failed closes the connection it had handed over, its hello's answer
 * already there): the kernel reports ECONNRESET to the daemon before the
 * messages still queued, which must be appended all the same.  The daemon
 * is stopped while the records queue up behind the answered hello. */
START_TEST(test_reset_keeps_queued_records)
{
	struct fg_audit *a = open_local();
	pid_t d = start_daemon(a);
	int fd = raw_connect(sockpath);
	struct pollfd p;

	ck_assert_int_ge(fd, 0);
	m_hello(&m, 0);
	m_send(fd, &m);
	p = (struct pollfd){ fd, POLLIN, 0 };
	ck_assert_int_eq(poll(&p, 1, 5000), 1);      /* answered, and left unread */
	ck_assert_int_eq(kill(d, SIGSTOP), 0);
	for (int i = 0; i < 3; i++) {
		m_rec(&m, 0, 0, "exec", "allow", "p.ini:1", 0);
		m_send(fd, &m);
	}
	close(fd);
	ck_assert_int_eq(kill(d, SIGCONT), 0);
	wait_lines(3);
	ck_assert_uint_eq(verify_log(), 3);
	fg_audit_close(a);
}
END_TEST

/* A log the daemon cannot grow: the failure of a pipelined record comes
 * back from a later append, a synchronous one's at once; the log stays
 * intact and nothing past the limit is written. */
START_TEST(test_append_failure_reported)
{
	struct fg_audit *a = open_local(), *r, *s;
	struct rlimit rl, lim;
	char blob[4000];
	struct stat st;
	int ret = 0, ok = 0;
	uint64_t n0;

	/* most of the room taken by records of its own: the limit stays far
	 * above what the daemon's other files need */
	memset(blob, 'b', sizeof(blob) - 1);
	blob[sizeof(blob) - 1] = '\0';
	for (int i = 0; i < 60; i++)
		ck_assert_int_eq(add(a, blob), 0);
	ck_assert_int_eq(fg_audit_flush(a), 0);
	ck_assert_int_eq(stat(logpath, &st), 0);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &rl), 0);
	/* past what the writer has reserved ahead (64 KiB), or the daemon
	 * would write up to the limit and get SIGXFSZ */
	lim = (struct rlimit){ (rlim_t)st.st_size + 72 * 1024, rl.rlim_max };
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	start_daemon(a);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);

	r = open_remote(FG_AUDIT_FSYNC_BATCH);
	blob[3000] = '\0';
	for (int i = 0; i < 200 && ret == 0; i++) {
		ret = add(r, blob);
		ok += ret == 0;
		usleep(2000);
	}
	ck_assert_int_eq(ret, -EFBIG);
	ck_assert_int_ge(ok, 2);
	s = open_remote(FG_AUDIT_FSYNC_ALWAYS);
	ck_assert_int_eq(add(s, "/ws/sync"), -EFBIG);
	fg_audit_close(s);
	ck_assert_int_eq(fg_audit_flush(r), 0);
	fg_audit_close(r);
	n0 = verify_log();
	ck_assert_uint_gt(n0, 61);
	ck_assert_uint_le(n0, 60 + (uint64_t)ok);
	ck_assert_int_eq(stat(logpath, &st), 0);
	ck_assert_int_le(st.st_size, (off_t)lim.rlim_cur);
	fg_audit_close(a);
}
END_TEST

/* A log whose socket path is too long for sun_path. */
START_TEST(test_long_socket_path)
{
	struct fg_audit *a, *r;
	struct stat st;
	char sub[64];

	memset(sub, 'd', 60);
	sub[60] = '\0';
	for (int i = 0; i < 2; i++) {
		size_t n = strlen(dir);
		snprintf(dir + n, sizeof(dir) - n, "/%s", sub);
		ck_assert_int_eq(mkdir(dir, 0700), 0);
	}
	snprintf(logpath, sizeof(logpath), "%s/audit.log", dir);
	ck_assert_uint_gt(strlen(logpath) + 5, sizeof(((struct sockaddr_un *)0)->sun_path));
	a = open_local();
	ck_assert_int_eq(fg_auditd_ensure(a, "a", "e", (char[256]){ 0 }, 256), 0);
	snprintf(sockpath, sizeof(sockpath), "%s.sock", logpath);
	ck_assert_int_eq(stat(sockpath, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	r = open_remote(FG_AUDIT_FSYNC_ALWAYS);
	ck_assert_int_eq(add(r, "/ws/long"), 0);
	fg_audit_close(r);
	ck_assert_uint_eq(verify_log(), 1);
	ck_assert_str_eq(seen[0].path, "/ws/long");
	/* a second ensure finds it by the long name too */
	ck_assert_int_eq(fg_auditd_ensure(a, "a", "e", (char[256]){ 0 }, 256), 0);
	/* its pid, by a short relative name */
	ck_assert_int_eq(chdir(dir), 0);
	note_daemon(daemon_pid("audit.log.sock"));
	ck_assert_int_eq(chdir("/"), 0);
	fg_audit_close(a);
}
END_TEST

/* The client connects again when its descriptor was closed or replaced
 * under it. */
/* An exec's record hands the connection over (audit.h): the "new image"
 * (here: a second client in this process) adopts it after checking it,
 * says its new name, and its records follow on the same connection.  A
 * hint naming a socket of the agent's own is not adopted. */
START_TEST(test_handover_adopted)
{
	struct fg_audit *a = open_local(), *r, *n;
	struct fg_audit_field f[] = { { .key = "path", .type = FG_AF_STR, .s = "/bin/x", .len = 6 } };
	struct fg_audit_handover h = { .fd = -1 };
	struct fg_audit_rec ex = { .op = "exec", .f = f, .nf = 1, .decision = "allow",
				   .handover = &h };
	struct fg_audit_conf c = { .path = logpath, .fsync = FG_AUDIT_FSYNC_BATCH, .agent = "x",
				   .exe = "/bin/x" };
	char err[512];
	int sp[2], flags;

	start_daemon(a);
	fg_audit_close(a);
	r = open_remote(FG_AUDIT_FSYNC_BATCH);
	ck_assert_int_eq(add(r, "/ws/1"), 0);
	ck_assert_int_eq(fg_audit_append(r, &ex), 0);
	ck_assert_int_ge(h.fd, 512);
	flags = fcntl(h.fd, F_GETFD);
	ck_assert_int_eq(flags & FD_CLOEXEC, 0);        /* open across the exec */
	c.handed_fd = h.fd;
	c.handed_owed = h.owed;
	ck_assert_msg(fg_audit_open_remote(&c, &n, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(fcntl(h.fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(add(n, "/ws/2"), 0);
	ck_assert_int_eq(fg_audit_flush(n), 0);
	ck_assert_uint_eq(verify_log(), 3);
	ck_assert_str_eq(seen[1].op, "exec");
	ck_assert_str_eq(seen[1].agent, "agent-x");
	ck_assert_str_eq(seen[2].path, "/ws/2");
	ck_assert_str_eq(seen[2].agent, "x");   /* the new name, same connection */
	fg_audit_close(n);
	/* a socketpair of the agent's: not adopted, the client connects */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
	c.handed_fd = dup2(sp[1], 700);
	c.handed_owed = 0;
	ck_assert_msg(fg_audit_open_remote(&c, &n, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(add(n, "/ws/3"), 0);
	ck_assert_int_eq(fg_audit_flush(n), 0);
	ck_assert_int_eq(recv(sp[0], err, sizeof(err), MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_uint_eq(verify_log(), 4);
	fg_audit_close(n);
	fg_audit_close(r);
	close(sp[0]);
	close(sp[1]);
	close(700);
}
END_TEST

START_TEST(test_reconnect_after_close)
{
	struct fg_audit *a = open_local(), *r;
	int nul, taken = -1;

	start_daemon(a);
	fg_audit_close(a);      /* its descriptors are high numbers too */
	r = open_remote(FG_AUDIT_FSYNC_BATCH);
	ck_assert_int_eq(add(r, "/ws/1"), 0);
	/* the client's descriptor is above 511: close them all */
	ck_assert_int_eq(syscall(SYS_close_range, 512U, ~0U, 0U), 0);
	ck_assert_int_eq(add(r, "/ws/2"), 0);
	/* a file where the socket was */
	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(nul, 0);
	for (int fd = 512; fd < 1024; fd++) {
		struct stat st;
		if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode)) {
			ck_assert_int_eq(taken, -1);
			ck_assert_int_eq(dup2(nul, fd), fd);
			taken = fd;
		}
	}
	close(nul);
	ck_assert_int_ge(taken, 512);
	ck_assert_int_eq(add(r, "/ws/3"), 0);
	/* the number is someone else's now: the client left it open */
	struct stat st;
	ck_assert_int_eq(fstat(taken, &st), 0);
	ck_assert(S_ISCHR(st.st_mode));
	close(taken);
	ck_assert_int_eq(fg_audit_flush(r), 0);
	/* a socket that can no longer send */
	for (int fd = 512; fd < 1024; fd++) {
		if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
			ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	}
	ck_assert_int_eq(add(r, "/ws/4"), 0);
	ck_assert_int_eq(fg_audit_flush(r), 0);
	ck_assert_uint_eq(verify_log(), 4);
	ck_assert_str_eq(seen[2].path, "/ws/3");
	ck_assert_str_eq(seen[3].path, "/ws/4");
	fg_audit_close(r);
}
END_TEST

/* Dropped by the daemon for a bad record while the daemon cannot be
 * reached: the failure it reported comes back, then the client connects
 * again once it can. */
START_TEST(test_reconnect_after_drop)
{
	struct fg_audit *a = open_local(), *r;
	struct fg_audit_field f[] = { { .key = "hash", .type = FG_AF_NULL } };
	struct fg_audit_rec bad = { .op = "open", .f = f, .nf = 1 };
	char moved[640];

	start_daemon(a);
	r = open_remote(FG_AUDIT_FSYNC_BATCH);
	ck_assert_int_eq(add(r, "/ws/1"), 0);
	ck_assert_int_eq(fg_audit_append(r, &bad), 0);  /* pipelined: no answer yet */
	/* a flush on the dropped connection sees the refusal */
	ck_assert_int_lt(fg_audit_flush(r), 0);
	snprintf(moved, sizeof(moved), "%s.away", sockpath);
	ck_assert_int_eq(rename(sockpath, moved), 0);
	ck_assert_int_lt(add(r, "/ws/lost"), 0);
	ck_assert_int_eq(rename(moved, sockpath), 0);
	ck_assert_int_eq(add(r, "/ws/2"), 0);
	ck_assert_int_eq(fg_audit_flush(r), 0);
	ck_assert_uint_eq(verify_log(), 2);
	ck_assert_str_eq(seen[1].path, "/ws/2");
	fg_audit_close(r);
	fg_audit_close(a);
}
END_TEST

/* The client's own checks, on its direct interface. */
/* Socket paths the client refuses: too long for it, a directory too long,
 * a name too long for the /proc/self/fd form, a directory that is not
 * there; a hello too big to send; NULL handles. */
static void refuse_bad_client_paths(void)
{
	static char path[PATH_MAX + 64], hello[3 * PATH_MAX];
	struct fg_auditc *c = NULL;
	char err[512];

	memset(path, 'x', PATH_MAX + 63);
	path[0] = '/';
	path[PATH_MAX + 63] = '\0';
	ck_assert_int_eq(fg_auditc_new(path, "a", "e", NULL, &c, err, sizeof(err)), -ENAMETOOLONG);
	path[PATH_MAX + 2] = '\0';
	path[PATH_MAX + 1] = '/';
	ck_assert_int_eq(fg_auditc_new(path, "a", "e", NULL, &c, err, sizeof(err)), -ENAMETOOLONG);
	snprintf(path, PATH_MAX, "%s/%0200d", dir, 0);
	ck_assert_int_eq(fg_auditc_new(path, "a", "e", NULL, &c, err, sizeof(err)), -ENAMETOOLONG);
	snprintf(path, PATH_MAX, "%s/nothere/%0100d", dir, 0);
	ck_assert_int_eq(fg_auditc_new(path, "a", "e", NULL, &c, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "cannot reach"));
	/* a hello too big to send */
	memset(hello, 'h', sizeof(hello) - 1);
	ck_assert_int_eq(fg_auditc_new(sockpath, hello, "e", NULL, &c, err, sizeof(err)), -E2BIG);
	ck_assert_int_eq(fg_auditc_flush(NULL), 0);
	fg_auditc_free(NULL);
}

/* Records the client will not send: no op, too many fields, no fields, a
 * field with no key or of an unknown type, one longer than a line.  The
 * long buffer is returned for the next part. */
static char *refuse_bad_records(struct fg_auditc *c)
{
	struct fg_audit_field f[40] = { { .key = "path", .type = FG_AF_STR, .s = "x", .len = 1 } };
	struct fg_audit_rec rec = { .op = NULL, .f = f, .nf = 1 };
	char *huge;

	ck_assert_int_eq(fg_auditc_append(c, &rec, true, false), -EINVAL);
	rec.op = "open";
	rec.nf = 33;
	ck_assert_int_eq(fg_auditc_append(c, &rec, true, false), -EINVAL);
	rec.nf = 1;
	rec.f = NULL;
	ck_assert_int_eq(fg_auditc_append(c, &rec, true, false), -EINVAL);
	rec.f = f;
	f[0].key = NULL;
	ck_assert_int_eq(fg_auditc_append(c, &rec, true, false), -EINVAL);
	f[0].key = "path";
	f[0].type = (enum fg_audit_ftype)77;
	ck_assert_int_eq(fg_auditc_append(c, &rec, true, false), -EINVAL);
	huge = malloc(FG_AUDIT_LINE_MAX);
	ck_assert_ptr_nonnull(huge);
	if (!huge)
		return NULL;
	memset(huge, 'z', FG_AUDIT_LINE_MAX);
	f[0] = (struct fg_audit_field){ .key = "path", .type = FG_AF_STR, .s = huge,
					.len = FG_AUDIT_LINE_MAX };
	ck_assert_int_eq(fg_auditc_append(c, &rec, true, false), -E2BIG);
	return huge;
}

/* Three exec records: an argv past the client's budget, one of too many
 * strings, none at all. */
static void send_long_argvs(struct fg_auditc *c, char *huge)
{
	struct fg_audit_field f[1];
	struct fg_audit_rec rec = { .op = "exec", .f = f, .nf = 1 };
	const char **argv;
	int i;

	memset(huge, 'a', 1000);
	huge[1000] = '\0';
	argv = calloc(5000, sizeof(*argv));
	ck_assert_ptr_nonnull(argv);
	if (!argv)
		return;
	for (i = 0; i < 40; i++)
		argv[i] = huge;
	f[0] = (struct fg_audit_field){ .key = "argv", .type = FG_AF_STRV, .v = argv };
	ck_assert_int_eq(fg_auditc_append(c, &rec, true, false), 0);
	for (i = 0; i < 4999; i++)
		argv[i] = "q";
	ck_assert_int_eq(fg_auditc_append(c, &rec, true, false), 0);
	f[0].v = NULL;
	ck_assert_int_eq(fg_auditc_append(c, &rec, false, false), 0);
	ck_assert_int_eq(fg_auditc_flush(c), 0);
	free(argv);
}

/* The argvs as written: one past the budget ends with "..." (the writer
 * keeps 16 KiB: 16 of the long strings), so does one of too many strings,
 * none at all is an empty array. */
static void argvs_cut(void)
{
	size_t longs = 0, qs = 0;

	ck_assert_uint_eq(verify_log(), 3);
	for (const char *p = seen[0].line; (p = strstr(p, "\"aaaa")); p++)
		longs++;
	ck_assert_uint_eq(longs, 16);
	ck_assert_ptr_nonnull(strstr(seen[0].line, ",\"...\"]"));
	for (const char *p = seen[1].line; (p = strstr(p, "\"q\"")); p++)
		qs++;
	ck_assert_uint_eq(qs, 4095);     /* the writer would have kept 4096 */
	ck_assert_ptr_nonnull(strstr(seen[1].line, "\"q\",\"...\"]"));
	ck_assert_ptr_nonnull(strstr(seen[2].line, "\"argv\":[]"));
	ck_assert_int_eq(seen[2].agent[0], '\0');
}

START_TEST(test_client_limits)
{
	struct fg_audit *a = open_local();
	struct fg_auditc *c = NULL;
	char err[512], *huge;

	start_daemon(a);
	refuse_bad_client_paths();
	ck_assert_int_eq(fg_auditc_new(sockpath, NULL, NULL, NULL, &c, err, sizeof(err)), 0);
	huge = refuse_bad_records(c);
	send_long_argvs(c, huge);
	fg_auditc_free(c);
	free(huge);
	argvs_cut();
	fg_audit_close(a);
}
END_TEST

/* The client believes only answers that make sense (a daemon of our own). */
START_TEST(test_client_odd_answers)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct fg_auditc *c = NULL;
	char err[256], buf[256];
	int lfd, st;
	pid_t p;

	strcpy(sa.sun_path, sockpath);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(lfd, 8), 0);
	p = fork();
	ck_assert_int_ge(p, 0);
	if (p == 0) {
		char ans[8] = { 'A' };
		int fd;
		/* 1: an error that is no errno */
		fd = accept(lfd, NULL, NULL);
		(void)!recv(fd, buf, sizeof(buf), 0);
		memcpy(ans + 4, &(int32_t){ 7 }, 4);
		(void)!send(fd, ans, 8, 0);
		close(fd);
		/* 2: a short answer */
		fd = accept(lfd, NULL, NULL);
		(void)!recv(fd, buf, sizeof(buf), 0);
		(void)!send(fd, ans, 3, 0);
		close(fd);
		/* 3: hello answered; the sync record answered by a failure
		 * notice without errno first, then success */
		fd = accept(lfd, NULL, NULL);
		(void)!recv(fd, buf, sizeof(buf), 0);
		memcpy(ans + 4, &(int32_t){ 0 }, 4);
		(void)!send(fd, ans, 8, 0);
		(void)!recv(fd, buf, sizeof(buf), 0);
		ans[0] = 'E';
		(void)!send(fd, ans, 8, 0);
		ans[0] = 'A';
		(void)!send(fd, ans, 8, 0);
		(void)!recv(fd, buf, sizeof(buf), 0);
		child_exit(0);
	}
	close(lfd);
	ck_assert_int_eq(fg_auditc_new(sockpath, "a", "e", NULL, &c, err, sizeof(err)), -EPROTO);
	ck_assert_int_eq(fg_auditc_new(sockpath, "a", "e", NULL, &c, err, sizeof(err)), -EPIPE);
	ck_assert_int_eq(fg_auditc_new(sockpath, "a", "e", NULL, &c, err, sizeof(err)), 0);
	struct fg_audit_rec rec = { .op = "open" };
	/* this record is in; the failure noticed while it waited was an
	 * earlier one's, said apart as a positive errno */
	ck_assert_int_eq(fg_auditc_append(c, &rec, true, false), EIO);
	/* from now on every record waits for its answer: the daemon has gone */
	ck_assert_int_lt(fg_auditc_append(c, &rec, false, false), 0);
	fg_auditc_free(c);
	ck_assert_int_eq(waitpid(p, &st, 0), p);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
END_TEST

/* With few descriptors allowed, the client keeps the number it got. */
START_TEST(test_client_low_fd_limit)
{
	struct fg_audit *a = open_local(), *r;
	struct rlimit rl = { 64, 64 };

	start_daemon(a);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	r = open_remote(FG_AUDIT_FSYNC_ALWAYS);
	ck_assert_int_eq(add(r, "/ws/low"), 0);
	fg_audit_close(r);
	ck_assert_uint_eq(verify_log(), 1);
	fg_audit_close(a);
}
END_TEST

#if FG_FAILMALLOC
/* An allocation that fails, in the client or the daemon, at any point: a
 * clean error, or records that still arrive whole. */
START_TEST(test_out_of_memory)
{
	struct fg_audit_conf c = { .path = NULL, .fsync = FG_AUDIT_FSYNC_ALWAYS, .agent = "a",
				   .exe = "e" };
	int failed_ensure = 0, worked = 0, failed_remote = 0;
	char err[512];

	for (long k = 0; k < 14; k++) {
		struct fg_audit *a, *r = NULL;
		int e;

		setup_test();
		a = open_local();
		fail_alloc(k);
		e = fg_auditd_ensure(a, "a", "e", err, sizeof(err));
		fail_off();
		if (e < 0) {
			/* out of memory, or the daemon dropped the hello it
			 * could not serve; said as such unless it is ensure's
			 * own allocation */
			ck_assert_msg(e == -ENOMEM || e == -EIO || e == -ECONNRESET ||
				      e == -EPIPE, "ensure %ld: %d %s", k, e, err);
			if (e != -ENOMEM || err[0])
				ck_assert_msg(strstr(err, strerror(-e)) ||
					      strstr(err, strerror(ENOMEM)), "%s", err);
			failed_ensure++;
		}
		/* the daemon, if any, still serves: the one failure injected
		 * may cost a connection or a record, cleanly, then no more */
		if (access(sockpath, F_OK) == 0) {
			struct fg_audit_conf rc = { .path = logpath, .fsync = FG_AUDIT_FSYNC_ALWAYS,
						    .agent = "a", .exe = "e" };
			int lost = 0, done = 0;

			note_daemon(daemon_pid(sockpath));
			for (int t = 0; t < 3 && !done; t++) {
				e = fg_audit_open_remote(&rc, &r, err, sizeof(err));
				if (e == 0) {
					e = add(r, "/ws/oom");
					fg_audit_close(r);
				}
				ck_assert_msg(e == 0 || e == -ENOMEM || e == -ECONNRESET ||
					      e == -EPIPE,
					      "append %ld: %d %s", k, e, err);
				lost += e < 0;
				done = e == 0;
			}
			ck_assert_int_eq(done, 1);
			ck_assert_int_le(lost, 1);
			ck_assert_uint_eq(verify_log(), 1);
			worked++;
		}
		fg_audit_close(a);
	}
	/* the daemon is a program of its own (exec'd): only the spawner's
	 * allocations fail here */
	ck_assert_int_ge(failed_ensure, 1);
	ck_assert_int_ge(worked, 8);
	/* the client, with a daemon of its own */
	setup_test();
	struct fg_audit *a = open_local();
	start_daemon(a);
	c.path = logpath;
	for (long k = 0; k < 8; k++) {
		struct fg_audit *r = NULL;
		int e;

		fail_alloc(k);
		e = fg_audit_open_remote(&c, &r, err, sizeof(err));
		fail_off();
		if (e < 0) {
			ck_assert_int_eq(e, -ENOMEM);
			failed_remote++;
			continue;
		}
		ck_assert_int_eq(add(r, "/ws/oom"), 0);
		fg_audit_close(r);
	}
	ck_assert_int_ge(failed_remote, 2);
	ck_assert_uint_eq(verify_log(), (uint64_t)(8 - failed_remote));
	fg_audit_close(a);
}
END_TEST
#endif

/* Every daemon started here has left once its processes were gone. */
START_TEST(test_all_daemons_left)
{
	char path[96], buf[4096];
	int fd, n, left = 0, total = 0;
	long until = now_ms() + FG_AUDITD_LINGER_MS + 4000;

	snprintf(path, sizeof(path), "%s/pids", topdir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	for (char *s = buf, *e; *s; s = e + 1) {
		long pid = strtol(s, &e, 10);
		long wait = until - now_ms();
		if (*e != '\n')
			break;
		total++;
		left += wait_gone((pid_t)pid, wait > 0 ? (int)wait : 0);
	}
	ck_assert_int_ge(total, 10);
	ck_assert_int_eq(left, total);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("auditd");
	TCase *tc;

	make_top();
	tc = tcase_create("daemon");
	tcase_add_checked_fixture(tc, setup_test, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_records_carry_sender_pid);
	tcase_add_test(tc, test_sync_appends);
	tcase_add_test(tc, test_barrier_waits);
	tcase_add_test(tc, test_flush_drains_other_connections);
	tcase_add_test(tc, test_drain_barriers);
	tcase_add_test(tc, test_settings_must_match);
	tcase_add_test(tc, test_spawner_replaces_lingering_daemon);
	tcase_add_test(tc, test_retiring_daemon_name_gone_first);
	tcase_add_test(tc, test_follower_barrier_while_making_way);
	tcase_add_test(tc, test_daemon_not_wedged);
	tcase_add_test(tc, test_client_timeout);
	tcase_add_test(tc, test_vfork_guest);
	tcase_add_test(tc, test_pool_spares);
	tcase_add_test(tc, test_stale_socket_replaced);
	tcase_add_test(tc, test_ensure_errors);
	tcase_add_test(tc, test_daemon_cannot_start);
	tcase_add_test(tc, test_daemon_leaves);
	tcase_add_test(tc, test_malformed_messages);
	tcase_add_test(tc, test_passed_descriptor_closed);
	tcase_add_test(tc, test_ring_hostile);
	tcase_add_test(tc, test_uid_follows_sender);
	tcase_add_test(tc, test_hangup_keeps_queued_records);
	tcase_add_test(tc, test_reset_keeps_queued_records);
	tcase_add_test(tc, test_append_failure_reported);
	tcase_add_test(tc, test_long_socket_path);
	tcase_add_test(tc, test_reconnect_after_close);
	tcase_add_test(tc, test_handover_adopted);
	tcase_add_test(tc, test_reconnect_after_drop);
	tcase_add_test(tc, test_dead_root_refused);
	tcase_add_test(tc, test_client_limits);
	tcase_add_test(tc, test_client_odd_answers);
	tcase_add_test(tc, test_client_low_fd_limit);
#if FG_FAILMALLOC
	tcase_add_test(tc, test_out_of_memory);
#endif
	suite_add_tcase(s, tc);

	tc = tcase_create("end");
	tcase_add_unchecked_fixture(tc, NULL, remove_top);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_all_daemons_left);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fg_check_main(suite());
}
