/* client.c - sends records to the audit daemon, starting it when needed.
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
 * The daemon (fg-auditd, server.c) is the only writer of a log: every
 * process of the agent, confined or not, sends its records over
 * <log>.sock and holds no descriptor of the log.  A record without SYNC
 * costs the sender one send(): the daemon works on the other core.
 * Records of one connection are appended in the order sent; a flush also
 * appends what every other connection had queued, and the library sends
 * exec records with SYNC, so a new image's records follow the old one's.
 *
 * The daemon is a program of its own, exec'd (never a fork of the agent's
 * memory) from a process outside the Landlock domain to come, with an
 * empty environment and no descriptor of the spawner but its ready pipe.
 * The client remembers the daemon it first reached (SO_PEERCRED pid, the
 * socket file's inode) and refuses any other; it checks before each send
 * that its descriptor still names its connection.  This file and wire.c
 * need no libcrypto.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "audit/daemon.h"
#include "audit/wire.h"

/* how long a client waits for the daemon before the append fails */
#define CLIENT_TIMEOUT_S 30

struct fg_auditc {
	int fd;
	dev_t dev;             /* the socket's identity: the number may be */
	ino_t ino;             /* closed under us and reused by the program */
	pid_t pid;             /* the process the connection belongs to */
	pid_t made_by;         /* the process that made the last connection
				* (pid is cleared to force a new one) */
	/* the daemon first reached: a later connection must reach it again */
	bool known;
	pid_t dpid;
	dev_t sdev;            /* the socket file's identity */
	ino_t sino;
	int pending;           /* a failure the daemon reported, not yet returned */
	bool owed;             /* the hello was sent without waiting: its
				* answer comes before any other */
	bool degraded;         /* a record failed: each waits for its answer
				* until one is in the log again (a full disk
				* refuses reads then, rather than let them go
				* ahead unrecorded) */
	char sockpath[PATH_MAX + 8];
	char *agent, *exe;
	bool has_set;          /* settings to claim in the hello */
	uint8_t fsync;
	uint64_t max_size;
	char *keypath;
	long duid;             /* [audit] daemon_user's uid, or -1 */
	char *buf;             /* MSG_MAX bytes */
};

static struct timeval client_timeout = { CLIENT_TIMEOUT_S, 0 };

void fg_auditc_set_timeout(int seconds)
{
	client_timeout.tv_sec = seconds > 0 ? seconds : CLIENT_TIMEOUT_S;
}

static int send_all(int fd, const void *p, size_t n)
{
	ssize_t w;

	do
		w = send(fd, p, n, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return errno == EAGAIN ? -ETIMEDOUT : -errno;
	return (size_t)w == n ? 0 : -EIO;
}

/* One answer: 'A' returns its result; 'E' notes a failure and reads on. */
static int read_answer(int fd, int *pending, bool wait)
{
	for (;;) {
		char m[8];
		int32_t err;
		ssize_t n = recv(fd, m, sizeof(m), wait ? 0 : MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && !wait && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (n != 8)
			return -EPIPE;  /* the daemon went away */
		memcpy(&err, m + 4, 4);
		if (err > 0 || err < -4095)
			err = -EPROTO;
		if (m[0] == 'A')
			return err;
		if (m[0] == 'E' && *pending == 0)
			*pending = err ? err : -EIO;
	}
}

/* The daemon at the other end of fd must be the one this client first
 * reached (same pid, same socket file), run by us or by root: a socket
 * put in its place, or a daemon started since, is refused.  A process
 * that has not reached one yet learns it here. */
static int check_peer(struct fg_auditc *c, int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	struct stat st;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return -errno;
	if (stat(c->sockpath, &st) < 0)
		return -errno;
	if (cr.uid != geteuid() && cr.uid != 0 && (c->duid < 0 || cr.uid != (uid_t)c->duid))
		return -EPERM;
	if (c->known)
		return cr.pid == c->dpid && st.st_dev == c->sdev && st.st_ino == c->sino ?
			       0 : -ENOTRECOVERABLE;
	/* learnt once the hello is answered */
	c->dpid = cr.pid;
	c->sdev = st.st_dev;
	c->sino = st.st_ino;
	return 0;
}

/* A connection: SO_PASSCRED so the kernel attaches our credentials even
 * before the daemon accepts; the hello answered, or (wait false) sent and
 * its answer owed (c->owed set when the caller adopts the connection). */
static int connect_hello_as(struct fg_auditc *c, bool root, bool wait)
{
	struct sockaddr_un sa;
	socklen_t salen = 0;
	int fd, dfd, r, one = 1, pending = 0;
	/* not c->buf: a vfork child's record waits there */
	char hello[2 * PATH_MAX + 16];
	struct fg_auditw_out b = { hello, 0, sizeof(hello), false };

	r = fg_auditw_sock_addr(c->sockpath, &sa, &salen, &dfd);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	/* a daemon that stops answering (stopped, wedged) fails the append
	 * after CLIENT_TIMEOUT_S, where on_failure applies, instead of
	 * hanging the agent */
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &client_timeout, sizeof(client_timeout)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &client_timeout, sizeof(client_timeout)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, salen) < 0) {
		r = errno == EAGAIN || errno == EINPROGRESS ? -ETIMEDOUT : -errno;
		close(fd);
		goto out;
	}
	r = check_peer(c, fd);
	if (r < 0) {
		close(fd);
		goto out;
	}
	fg_auditw_put_u8(&b, 'H');
	fg_auditw_put_u8(&b, root ? FG_AUDITW_ROOT : 0);
	fg_auditw_put_cstr(&b, c->agent);
	fg_auditw_put_cstr(&b, c->exe);
	if (c->has_set) {
		fg_auditw_put_u8(&b, c->fsync);
		fg_auditw_put(&b, &c->max_size, 8);
		fg_auditw_put_cstr(&b, c->keypath ? c->keypath : "");
	}
	r = b.over ? -E2BIG : send_all(fd, b.p, b.len);
	if (r == 0 && wait)
		r = read_answer(fd, &pending, true);
	if (r < 0) {
		close(fd);
		goto out;
	}
	c->known = true;
	r = fd;
out:
	if (dfd >= 0)
		close(dfd);
	return r;
}

static int connect_hello(struct fg_auditc *c, bool root)
{
	return connect_hello_as(c, root, true);
}

/* The next answer on the connection to this record or flush: an owed
 * hello's answer is taken first.  A refused hello means the daemon
 * dropped the connection with whatever was sent after it: that failure
 * is returned (and comes back as the earlier records' failure). */
static int conn_answer(struct fg_auditc *c, bool wait)
{
	if (c->owed) {
		int r = read_answer(c->fd, &c->pending, wait);

		if (r == 1)
			return 1;
		c->owed = false;
		if (r < 0) {
			if (c->pending == 0)
				c->pending = r;
			return r;
		}
	}
	return read_answer(c->fd, &c->pending, wait);
}

/* Keep fd as the connection, remembering what it is; owed: its hello's
 * answer is still to come. */
static void set_conn(struct fg_auditc *c, int fd, bool owed)
{
	struct stat st;

	c->owed = owed;
	c->fd = fg_audit_high_fd(fd);
	c->pid = c->made_by = getpid();
	if (fstat(c->fd, &st) == 0) {
		c->dev = st.st_dev;
		c->ino = st.st_ino;
	}
}

/* The number still names our connection (the program may have closed it
 * and opened something else there, or put another socket over it with
 * dup2: records sent down that would be lost). */
static bool still_ours(const struct fg_auditc *c)
{
	struct stat st;

	return fstat(c->fd, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino;
}

/* Close the connection if the number still names it. */
static void close_conn(struct fg_auditc *c)
{
	if (c->fd >= 0 && still_ours(c))
		close(c->fd);
	c->fd = -1;
}

static int reach_locked(struct fg_auditc *c, const struct fg_audit *a, bool root, char *err,
			size_t errlen);
static int may_spawn(const struct fg_audit *a, char *err, size_t errlen);

/* No daemon answers at the socket: lock the log's directory (spawners and
 * a leaving daemon take it, so a stale socket is never taken for a live
 * one or the other way round) and reach one, starting it if need be. */
static int reach(struct fg_auditc *c, const struct fg_audit *a, bool root, char *err,
		 size_t errlen)
{
	const char *path = fg_audit_path(a), *slash = path ? strrchr(path, '/') : NULL;
	char dir[PATH_MAX];
	int lockfd, fd;

	if (!slash)
		return -EINVAL;
	/* not ours to start (nor, then, to lock for) */
	fd = may_spawn(a, err, errlen);
	if (fd < 0)
		return fd;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash == path ? 1 : slash - path), path);
	lockfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lockfd < 0 || flock(lockfd, LOCK_EX) < 0) {
		fd = -errno;
		snprintf(err, errlen, "cannot lock '%s': %s", dir, strerror(-fd));
		if (lockfd >= 0)
			close(lockfd);
		return fd;
	}
	fd = reach_locked(c, a, root, err, errlen);
	close(lockfd);
	return fd;
}

/* a: the log's handle, to start a daemon for it (NULL: never); owe: send
 * the hello without waiting for its answer (a has to be NULL). */
static int client_new(const char *sockpath, const struct fg_audit *a, const char *agent,
		      const char *exe, const struct fg_auditd_settings *set, bool owe,
		      struct fg_auditc **out, char *err, size_t errlen)
{
	struct fg_auditc *c = calloc(1, sizeof(*c));
	bool spawn = a != NULL;
	int fd;

	if (!c || strlen(sockpath) >= sizeof(c->sockpath)) {
		free(c);
		snprintf(err, errlen, "cannot attach to the audit daemon: %s",
			 c ? strerror(ENAMETOOLONG) : strerror(ENOMEM));
		return c ? -ENAMETOOLONG : -ENOMEM;
	}
	strcpy(c->sockpath, sockpath);
	c->duid = set && set->daemon_user ? set->daemon_uid : -1;
	c->agent = strdup(agent ? agent : "");
	c->exe = strdup(exe ? exe : "");
	c->buf = malloc(FG_AUDITW_MSG_MAX);
	if (set) {
		c->has_set = true;
		c->fsync = (uint8_t)set->fsync;
		c->max_size = set->max_size;
		c->keypath = strdup(set->keypath ? set->keypath : "");
	}
	if (!c->agent || !c->exe || !c->buf || (set && !c->keypath)) {
		fg_auditc_free(c);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	fd = connect_hello_as(c, false, !owe || spawn);
	if (spawn && (fd == -ECONNREFUSED || fd == -ENOENT || fd == -ESTALE))
		fd = reach(c, a, false, err, errlen);
	else if (spawn && fd == -EINVAL)
		/* a daemon with other settings: as a root (a process it must
		 * outlive) we make it go if it only lingers, and start ours */
		fd = reach(c, a, true, err, errlen);
	else if (fd == -EPERM)
		snprintf(err, errlen, "the audit daemon at '%s' runs as another user: refused",
			 c->sockpath);
	else if (fd == -EINVAL)
		snprintf(err, errlen, "the audit daemon at '%s' chains with another key_file or max_size than this policy's: policies that share a log must agree on them",
			 c->sockpath);
	else if (fd < 0)
		snprintf(err, errlen, "cannot reach the audit daemon at '%s': %s", c->sockpath,
			 strerror(-fd));
	if (fd < 0) {
		c->fd = -1;
		fg_auditc_free(c);
		return fd;
	}
	set_conn(c, fd, owe && !spawn);
	*out = c;
	return 0;
}

int fg_auditc_new(const char *sockpath, const char *agent, const char *exe,
		  const struct fg_auditd_settings *set, struct fg_auditc **out, char *err,
		  size_t errlen)
{
	return client_new(sockpath, NULL, agent, exe, set, false, out, err, errlen);
}

int fg_auditc_attach(const char *sockpath, const char *agent, const char *exe,
		     const struct fg_auditd_settings *set, struct fg_auditc **out, char *err,
		     size_t errlen)
{
	return client_new(sockpath, NULL, agent, exe, set, true, out, err, errlen);
}

int fg_auditc_start(const struct fg_audit *a, const char *agent, const char *exe,
		    const struct fg_auditd_settings *set, struct fg_auditc **out, char *err,
		    size_t errlen)
{
	char sock[PATH_MAX + 8];

	fg_audit_sock_path(a, sock, sizeof(sock));
	return client_new(sock, a, agent, exe, set, false, out, err, errlen);
}

/* A process other than the one that connected (a fork child) gets its own
 * connection: answers on a shared one would go to whoever reads first.
 * A fork child reaches the daemon its parent reached (same pid, same
 * socket file: check_peer), so its hello is not waited for; the answer is
 * read before any other (conn_answer).  A process that replaces its own
 * connection waits: records still queued on the old one must be appended
 * before those it sends on the new one. */
static int own_connection(struct fg_auditc *c)
{
	pid_t self = getpid();
	bool owed = c->known && c->made_by != self;
	int fd;

	if (c->pid == self && c->fd >= 0 && still_ours(c))
		return 0;
	fd = connect_hello_as(c, false, !owed);
	if (fd < 0)
		return fd;
	close_conn(c);
	set_conn(c, fd, owed);
	c->pending = 0;
	return 0;
}

/* The daemon ends a connection whose record it refused (EBADMSG): drop
 * ours at once, or the next record could go down it and be lost.  After a
 * timeout the answer may still come: the connection is out of step. */
static int refusal(struct fg_auditc *c, int ret)
{
	if ((ret == -EBADMSG || ret == -ETIMEDOUT) && c->fd >= 0) {
		close_conn(c);
		c->pid = 0;
	}
	return ret;
}

/* A vfork child's record, on a connection of its own (the parent's
 * threads may be using the parent's); the daemon was reached before, so
 * the record follows the hello at once and both answers come back in one
 * wake-up. */
static int append_guest(struct fg_auditc *c, const struct fg_auditw_out *b)
{
	bool owed = c->known;
	int fd, ret, pending = 0;

	fd = connect_hello_as(c, false, !owed);
	if (fd < 0)
		return fd;
	ret = send_all(fd, b->p, b->len);
	if (ret == 0 && owed)
		ret = read_answer(fd, &pending, true);
	if (ret == 0)
		ret = read_answer(fd, &pending, true);
	close(fd);
	return ret;
}

int fg_auditc_append(struct fg_auditc *c, const struct fg_audit_rec *r, bool sync, bool guest)
{
	struct fg_auditw_out b = { c->buf, 0, FG_AUDITW_MSG_MAX, false };
	int ret, earlier;

	sync = sync || c->degraded;
	ret = fg_auditw_encode_rec(&b, r, sync || guest);
	if (ret < 0)
		return ret;
	if (guest)
		return append_guest(c, &b);
	ret = own_connection(c);
	if (ret < 0)
		return ret;
	ret = conn_answer(c, false);
	if (ret < 0) {
		/* the connection is gone: the daemon closed it (after saying
		 * why, maybe), or our descriptor was closed under us.  A new
		 * one, or every later record would fail the same way. */
		int noted = c->pending;

		if (ret == -EBADF || ret == -ENOTSOCK)
			c->fd = -1;     /* the number is not ours any more */
		c->pid = 0;
		ret = own_connection(c);
		if (ret < 0)
			return noted ? noted : ret;
		c->pending = noted;
	}
	if (c->pending && !sync) {
		ret = c->pending;
		c->pending = 0;
		c->degraded = true;
		return refusal(c, ret);
	}
	/* a record that waits for its own answer goes out even when an
	 * earlier, pipelined one failed: the call it records may already have
	 * happened, and its record must not be lost with the earlier one */
	earlier = c->pending;
	c->pending = 0;
	if (earlier)
		c->degraded = true;
	ret = send_all(c->fd, b.p, b.len);
	if (ret == -EPIPE || ret == -ECONNRESET || ret == -ENOTCONN || ret == -EBADF ||
	    ret == -ENOTSOCK) {
		/* our descriptor was closed under us, or the daemon restarted */
		if (ret == -EBADF || ret == -ENOTSOCK)
			c->fd = -1;
		c->pid = 0;
		ret = own_connection(c);
		if (ret == 0)
			ret = send_all(c->fd, b.p, b.len);
	}
	if (ret == 0 && sync) {
		ret = refusal(c, conn_answer(c, true));
		c->degraded = ret < 0 || earlier != 0;
	}
	if (ret == 0 && earlier == 0 && c->pending) {
		earlier = c->pending;   /* came back while this record waited */
		c->pending = 0;
		c->degraded = true;
	}
	return ret == 0 && earlier ? -earlier : ret;
}

int fg_auditc_flush(struct fg_auditc *c)
{
	int ret;

	if (!c || c->fd < 0 || c->pid != getpid())
		return 0;
	if (!still_ours(c)) {
		c->fd = -1;
		c->pid = 0;
		ret = own_connection(c);
		if (ret < 0)
			return ret;
	}
	ret = send_all(c->fd, "F", 1);
	if (ret == 0)
		ret = conn_answer(c, true);
	if (ret == 0 && c->pending)
		ret = c->pending;
	c->pending = 0;
	return refusal(c, ret);
}

void fg_auditc_free(struct fg_auditc *c)
{
	if (!c)
		return;
	if (c->pid == getpid())
		close_conn(c);
	free(c->agent);
	free(c->exe);
	free(c->keypath);
	free(c->buf);
	free(c);
}

/* --- starting the daemon ---------------------------------------------------- */

/* The fg-auditd to run: the build tree's when this code runs from the
 * build tree (tests, benchmarks), else the installed one. */
int fg_auditd_program(char *out, size_t cap)
{
	Dl_info di;
	char self[PATH_MAX], build[PATH_MAX];
	size_t n;

	if (dladdr((void *)fg_auditd_program, &di) != 0 && di.dli_fname &&
	    realpath(di.dli_fname, self) && realpath(FG_BUILDDIR, build)) {
		n = strlen(build);
		if (strncmp(self, build, n) == 0 && self[n] == '/') {
			snprintf(out, cap, "%s/fg-auditd", build);
			return 0;
		}
	}
	if ((size_t)snprintf(out, cap, "%s/fg-auditd", FG_PKGLIBEXECDIR) >= cap)
		return -ENAMETOOLONG;
	return 0;
}

#define SPAWN_ARGS 24

struct spawn_args {
	char prog[PATH_MAX];
	char fsync[16], max_size[32], every[32];
	const char *argv[SPAWN_ARGS];
};

static void spawn_argv(struct spawn_args *sa, const struct fg_audit *a)
{
	struct fg_auditd_settings set;
	size_t n = 0;

	fg_audit_settings(a, &set);
	snprintf(sa->fsync, sizeof(sa->fsync), "%d", set.fsync);
	snprintf(sa->max_size, sizeof(sa->max_size), "%llu", (unsigned long long)set.max_size);
	snprintf(sa->every, sizeof(sa->every), "%u", set.checkpoint_every);
	sa->argv[n++] = "fg-auditd";
	sa->argv[n++] = "--log";
	sa->argv[n++] = fg_audit_path(a);
	sa->argv[n++] = "--fsync";
	sa->argv[n++] = sa->fsync;
	sa->argv[n++] = "--max-size";
	sa->argv[n++] = sa->max_size;
	sa->argv[n++] = "--ready";
	sa->argv[n++] = "3";
	if (set.keypath && set.keypath[0]) {
		sa->argv[n++] = "--key";
		sa->argv[n++] = set.keypath;
	}
	if (set.state_dir && set.state_dir[0]) {
		sa->argv[n++] = "--state";
		sa->argv[n++] = set.state_dir;
	}
	if (set.witness && set.witness[0]) {
		sa->argv[n++] = "--witness";
		sa->argv[n++] = set.witness;
	}
	if (set.forward && set.forward[0]) {
		sa->argv[n++] = "--forward";
		sa->argv[n++] = set.forward;
	}
	if (set.checkpoint_every) {
		sa->argv[n++] = "--checkpoint-every";
		sa->argv[n++] = sa->every;
	}
	if (set.daemon_user && geteuid() == 0) {
		sa->argv[n++] = "--user";
		sa->argv[n++] = set.daemon_user;
	}
	sa->argv[n] = NULL;
}

/* In the grandchild: only async-signal-safe calls from here on, and raw
 * system calls (in the preloaded library, the libc names are its own
 * hooks).  The ready pipe becomes descriptor 3, stdio /dev/null, every
 * other descriptor closed, the environment empty (no LD_PRELOAD). */
static void exec_daemon(const struct spawn_args *sa, int ready)
{
	static char *const envp[] = { NULL };
	long fd;

	if (ready != 3) {
		if (syscall(SYS_dup3, ready, 3, 0) < 0)
			syscall(SYS_exit_group, 127);
	} else if (syscall(SYS_fcntl, 3, F_SETFD, 0) < 0) {
		syscall(SYS_exit_group, 127);
	}
	fd = syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDWR);
	for (int i = 0; i < 3 && fd >= 0; i++)
		if (fd != i)
			syscall(SYS_dup3, (int)fd, i, 0);
	syscall(SYS_close_range, 4U, ~0U, 0U);
	syscall(SYS_execve, sa->prog, (char *const *)sa->argv, envp);
	syscall(SYS_exit_group, 127);
}

/* Start the daemon twice removed (so no process of the agent's has it as
 * a child to wait for) and wait until it listens or says why it cannot. */
/* A daemon with a daemon_user is started by root (fg-auditd --user then
 * becomes that user) or by that user; anybody else is refused. */
static int may_spawn(const struct fg_audit *a, char *err, size_t errlen)
{
	struct fg_auditd_settings set;

	fg_audit_settings(a, &set);
	if (set.daemon_user && geteuid() != 0 && (long)geteuid() != set.daemon_uid) {
		/* the daemon runs as its own user, which only root can start:
		 * one started by us would hold its key within our reach */
		snprintf(err, errlen,
			 "no audit daemon serves '%s', and only root can start one as daemon_user '%s'",
			 fg_audit_path(a), set.daemon_user);
		return -EPERM;
	}
	return 0;
}

static int spawn(const struct fg_audit *a, char *err, size_t errlen)
{
	struct spawn_args *sa = calloc(1, sizeof(*sa));
	int pfd[2], st, r;
	char msg[PATH_MAX + 128];
	ssize_t n;
	pid_t pid;

	if (!sa)
		return -ENOMEM;
	r = fg_auditd_program(sa->prog, sizeof(sa->prog));
	if (r == 0 && access(sa->prog, X_OK) < 0)
		r = -errno;
	if (r < 0) {
		snprintf(err, errlen, "cannot run the audit daemon '%s': %s", sa->prog,
			 strerror(-r));
		free(sa);
		return r;
	}
	r = may_spawn(a, err, errlen);
	if (r < 0) {
		free(sa);
		return r;
	}
	spawn_argv(sa, a);
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot start the audit daemon: %s", strerror(-r));
		free(sa);
		return r;
	}
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		setsid();
		if (fork() == 0)
			exec_daemon(sa, pfd[1]);
		_exit(0);
	}
	r = pid < 0 ? -errno : 0;
	close(pfd[1]);
	free(sa);
	if (r < 0) {
		close(pfd[0]);
		snprintf(err, errlen, "cannot start the audit daemon: %s", strerror(-r));
		return r;
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	do
		n = read(pfd[0], msg, sizeof(msg) - 1);
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n == 1 && msg[0] == '\0')
		return 0;
	if (n > 0) {
		msg[n] = '\0';
		snprintf(err, errlen, "audit daemon: %s", msg);
		return -EIO;
	}
	snprintf(err, errlen, "the audit daemon for '%s' exited before it was ready",
		 fg_audit_path(a));
	return -ECHILD;
}

/* Reach the daemon for a with the directory locked, starting one if
 * there is none.  Returns the connection or a negative errno. */
static int reach_locked(struct fg_auditc *c, const struct fg_audit *a, bool root, char *err,
			size_t errlen)
{
	int fd = connect_hello(c, root), r;

	if (fd == -ECONNREFUSED || fd == -ENOENT || fd == -ESTALE) {
		/* no daemon (a socket left by one that died, or by one making way
		 * for other settings, is removed) */
		if (unlink(c->sockpath) < 0 && errno != ENOENT) {
			r = -errno;
			snprintf(err, errlen, "cannot remove '%s': %s", c->sockpath, strerror(-r));
			return r;
		}
		r = spawn(a, err, errlen);
		if (r < 0)
			return r;
		fd = connect_hello(c, root);
	}
	if (fd == -EINVAL)
		snprintf(err, errlen, "the audit daemon at '%s' serves running agents and chains with another key_file or max_size than this policy's: policies that share a log must agree on them",
			 c->sockpath);
	else if (fd == -EPERM)
		snprintf(err, errlen, "the audit daemon at '%s' runs as another user: refused",
			 c->sockpath);
	else if (fd < 0)
		snprintf(err, errlen, "cannot reach the audit daemon at '%s': %s", c->sockpath,
			 strerror(-fd));
	return fd;
}

int fg_auditd_ensure(struct fg_audit *a, const char *agent, const char *exe, char *err,
		     size_t errlen)
{
	struct fg_auditc c = { .fd = -1 };
	struct fg_auditd_settings set;
	int fd;

	if (errlen)
		err[0] = '\0';
	fg_audit_sock_path(a, c.sockpath, sizeof(c.sockpath));
	c.agent = (char *)(agent ? agent : "");
	c.exe = (char *)(exe ? exe : "");
	fg_audit_settings(a, &set);
	c.has_set = true;
	c.fsync = (uint8_t)set.fsync;
	c.max_size = set.max_size;
	c.keypath = (char *)(set.keypath ? set.keypath : "");
	c.duid = set.daemon_user ? set.daemon_uid : -1;
	fd = reach(&c, a, true, err, errlen);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

int fg_audit_daemon_status(const struct fg_audit_conf *conf, char *out, size_t cap)
{
	struct fg_auditc c = { .fd = -1, .agent = (char *)"fleetguard-status", .exe = (char *)"" };
	struct fg_audit *a = NULL;
	char err[256];
	int fd, r, pending = 0;
	ssize_t n;

	r = fg_audit_open_paths(conf, &a, err, sizeof(err));
	if (r < 0)
		return r;
	fg_audit_sock_path(a, c.sockpath, sizeof(c.sockpath));
	fg_audit_close(a);
	c.duid = conf->daemon_user ? conf->daemon_uid : -1;
	fd = connect_hello(&c, false);
	if (fd < 0)
		return fd;
	r = send_all(fd, "S", 1);
	if (r == 0)
		r = read_answer(fd, &pending, true);
	if (r == 0) {
		n = recv(fd, out, cap - 1, 0);
		r = n < 0 ? -errno : 0;
		out[n > 0 ? n : 0] = '\0';
	}
	close(fd);
	return r < 0 ? r : (int)c.dpid;
}
