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
#include <sys/mman.h>
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
/* pipelined records a connection sends before it sets up its ring (a
 * short-lived process never pays for one) */
#define RING_AFTER 16

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
	int owed;              /* answers (to a hello, a rename) sent without
				* waiting: they come before any other */
	bool degraded;         /* a record failed: each waits for its answer
				* until one is in the log again (a full disk
				* refuses reads then, rather than let them go
				* ahead unrecorded) */
	char *agent, *exe;
	bool has_set;          /* settings to claim in the hello */
	bool root;             /* its hellos register a process to outlive */
	bool follow;           /* it serves agents without being one (wire.h) */
	bool settle;           /* a spawner's hello is owed: fg_auditc_settle */
	uint8_t fsync;
	uint64_t max_size;
	char *keypath;
	long duid;             /* [audit] daemon_user's uid, or -1 */
	char *buf;             /* MSG_MAX bytes */
	/* the shared ring of this connection (wire.h), or NULL */
	struct fg_auditw_ring *ring;
	uint64_t rhead;        /* what we published (ours: the map is not) */
	uint32_t rerrs;        /* the daemon's error count we have read */
	unsigned piped;        /* pipelined records sent without a ring */
	bool noring;           /* the daemon refused one: do not ask again */
	bool ring_owed;        /* the last owed answer is the ring's ('M') */
	bool rename;           /* an adopted connection's 'N' is still to go, in
				* one message with the first record (its
				* answer is counted in owed already) */
	bool fresh;            /* adopted and checked just now, in the
				* constructor: the first record needs no
				* second fstat (cleared by it) */
	/* last: a short path leaves the rest of it untouched (first_client) */
	char sockpath[PATH_MAX + 8];
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

/* fd is a SEQPACKET socket connected to this log's socket name (a name
 * bound through /proc is not comparable: no). */
static bool named_peer(const struct fg_auditc *c, int fd)
{
	struct sockaddr_un sa, peer = { 0 };
	socklen_t salen = 0, plen = sizeof(peer), len = sizeof(int);
	int dfd, type = 0, r;

	r = fg_auditw_sock_addr(c->sockpath, &sa, &salen, &dfd);
	if (dfd >= 0)
		close(dfd);
	return r == 0 && dfd < 0 &&
	       getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_SEQPACKET &&
	       getpeername(fd, (struct sockaddr *)&peer, &plen) == 0 && plen == salen &&
	       memcmp(&peer, &sa, salen) == 0;
}

/* The pid at the other end of fd (SO_PEERCRED), or -1. */
static pid_t peer_pid(int fd, uid_t *uid)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return -1;
	*uid = cr.uid;
	return cr.pid;
}

/*
 * A spare connection from the tree's pool (fg_auditc_pool_open), or -1.
 * The pool's number is checked before anything is read from it (a
 * program's own socket there keeps its messages): a socket connected to
 * this log's name.  A spare is one end of a socket pair the daemon made:
 * its peer's pid is the daemon's (check_peer, by the caller).  Only with
 * the daemon known: a process that has not met it yet connects.
 */
static int take_spare(struct fg_auditc *c)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	char kind = 0;
	struct iovec iov = { &kind, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			     .msg_controllen = sizeof(ctl.b) };
	struct cmsghdr *cm;
	int fd = -1;

	if (!c->known || !named_peer(c, FG_AUDIT_POOL_FD) ||
	    recvmsg(FG_AUDIT_POOL_FD, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&mh);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	if (fd >= 0 && (kind != 'C' || (mh.msg_flags & MSG_CTRUNC))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* A daemon that stops answering (stopped, wedged) fails the append after
 * CLIENT_TIMEOUT_S, where on_failure applies, instead of hanging the
 * agent. */
static int set_timeouts(int fd)
{
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &client_timeout, sizeof(client_timeout)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &client_timeout, sizeof(client_timeout)) < 0)
		return -errno;
	return 0;
}

/* A new connection to the log's socket, not greeted.  creds: SO_PASSCRED,
 * so that the kernel attaches our credentials even before the daemon
 * accepts (a pool goes without: its readers want the descriptor alone in
 * their control buffer).  The fd, or a negative errno. */
static int connect_sock(struct fg_auditc *c, bool creds)
{
	struct sockaddr_un sa;
	socklen_t salen = 0;
	int fd, dfd, r, one = 1;

	r = fg_auditw_sock_addr(c->sockpath, &sa, &salen, &dfd);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	if ((creds && setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) ||
	    set_timeouts(fd) < 0 || connect(fd, (struct sockaddr *)&sa, salen) < 0) {
		r = errno == EAGAIN || errno == EINPROGRESS ? -ETIMEDOUT : -errno;
		close(fd);
		goto out;
	}
	r = fd;
out:
	if (dfd >= 0)
		close(dfd);
	return r;
}

/* A socket to the daemon, not greeted: a spare from the tree's pool
 * (take_spare), else a new connection.  The fd, or a negative errno. */
static int daemon_socket(struct fg_auditc *c)
{
	int fd = take_spare(c), r;

	if (fd < 0)
		return connect_sock(c, true);
	r = set_timeouts(fd);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/* A connection, its hello answered, or (wait false) sent and its answer
 * owed (c->owed set when the caller adopts the connection).  rec, when
 * given (wait false only): a record sent right behind the hello, in the
 * same message when both fit (wire.h: one send and one wake-up of the
 * daemon fewer), else in its own. */
static int connect_hello_rec(struct fg_auditc *c, bool root, bool wait,
			     const struct fg_auditw_out *rec)
{
	int fd, r, pending = 0;
	/* not c->buf: a vfork child's record waits there */
	char hello[2 * PATH_MAX + 16];
	struct fg_auditw_out b = { hello, 0, sizeof(hello), false };

	fd = daemon_socket(c);
	if (fd < 0)
		return fd;
	r = check_peer(c, fd);
	if (r < 0) {
		close(fd);
		return r;
	}
	fg_auditw_put_u8(&b, 'H');
	fg_auditw_put_u8(&b, (root ? FG_AUDITW_ROOT : 0) | (c->follow ? FG_AUDITW_FOLLOW : 0));
	fg_auditw_put_cstr(&b, c->agent);
	fg_auditw_put_cstr(&b, c->exe);
	if (c->has_set) {
		fg_auditw_put_u8(&b, c->fsync);
		fg_auditw_put(&b, &c->max_size, 8);
		fg_auditw_put_cstr(&b, c->keypath ? c->keypath : "");
	}
	if (rec && !b.over && b.len + rec->len <= b.cap) {
		memcpy(hello + b.len, rec->p, rec->len);
		b.len += rec->len;
		rec = NULL;
	}
	r = b.over ? -E2BIG : send_all(fd, b.p, b.len);
	if (r == 0 && rec)
		r = send_all(fd, rec->p, rec->len);
	if (r == 0 && wait)
		r = read_answer(fd, &pending, true);
	if (r < 0) {
		close(fd);
		return r;
	}
	c->known = true;
	return fd;
}

static int connect_hello_as(struct fg_auditc *c, bool root, bool wait)
{
	return connect_hello_rec(c, root, wait, NULL);
}

static int connect_hello(struct fg_auditc *c, bool root)
{
	return connect_hello_as(c, root, true);
}

/* The next answer on the connection to this record or flush: an owed
 * hello's answer is taken first.  A refused hello means the daemon
 * dropped the connection with whatever was sent after it: that failure
 * is returned (and comes back as the earlier records' failure). */
static void ring_refused(struct fg_auditc *c);

/* One owed answer: 1 not there yet, 0 taken, or the failure (noted). */
static int owed_answer(struct fg_auditc *c, bool wait)
{
	int r = read_answer(c->fd, &c->pending, wait);

	if (r == 1)
		return 1;
	c->owed--;
	if (c->owed == 0 && c->ring_owed) {
		/* the ring's answer: a refusal sends its records again */
		c->ring_owed = false;
		if (r < 0)
			ring_refused(c);
		return 0;
	}
	if (r < 0 && c->pending == 0)
		c->pending = r;
	return r < 0 ? r : 0;
}

static int conn_answer(struct fg_auditc *c, bool wait)
{
	while (c->owed > 0) {
		int r = owed_answer(c, wait);

		if (r != 0)
			return r;
	}
	return read_answer(c->fd, &c->pending, wait);
}

/* Keep fd as the connection, remembering what it is; owed: its hello's
 * answer is still to come. */
static void set_conn(struct fg_auditc *c, int fd, bool owed)
{
	struct stat st;

	c->owed = owed ? 1 : 0;
	c->rename = c->fresh = false;
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

/* --- the ring ------------------------------------------------------------- */

/* Forget the ring without unmapping it: a fork child does not have it
 * (MADV_DONTFORK). */
static void ring_forget(struct fg_auditc *c)
{
	c->ring = NULL;
	c->rhead = 0;
	c->rerrs = 0;
	c->piped = 0;
}

/* Unmap our ring: what is in it stays readable by the daemon, which
 * drains it before it drops the connection or answers this process's
 * next hello. */
static void ring_drop(struct fg_auditc *c)
{
	if (c->ring)
		munmap(c->ring, FG_AUDITW_RING_MAP);
	ring_forget(c);
}

/* A memfd sealed against shrinking (a daemon reading a cut map would
 * fault), mapped here, handed to the daemon with 'M'; its answer waited
 * for, so that no record goes into a ring the daemon refused. */
static int ring_make(struct fg_auditc *c)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { (void *)"M", 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			     .msg_controllen = sizeof(ctl.b) };
	struct cmsghdr *cm;
	void *map;
	ssize_t w;
	int fd, r;

	fd = (int)syscall(SYS_memfd_create, "fleetguard-audit-ring",
			  MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, FG_AUDITW_RING_MAP) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	map = mmap(NULL, FG_AUDITW_RING_MAP, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		r = -errno;
		close(fd);
		return r;
	}
	/* a fork child makes its own connection and ring */
	(void)madvise(map, FG_AUDITW_RING_MAP, MADV_DONTFORK);
	memset(ctl.b, 0, sizeof(ctl.b));
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm) {
		munmap(map, FG_AUDITW_RING_MAP);
		close(fd);
		return -EINVAL;
	}
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	do
		w = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	r = w == 1 ? 0 : w < 0 ? -errno : -EIO;
	close(fd);
	if (r < 0) {
		munmap(map, FG_AUDITW_RING_MAP);
		return r;
	}
	/* its answer is owed, not waited for (the daemon may be busy or
	 * stopped): until it comes, every record stays in the ring from its
	 * start, to send again if the daemon refuses the ring */
	c->ring = map;
	c->rhead = 0;
	c->rerrs = 0;
	c->owed++;
	c->ring_owed = true;
	return 0;
}

/* The daemon refused our ring (it never read it): its records go down
 * the socket, in order, and we go on without one. */
static void ring_refused(struct fg_auditc *c)
{
	const char *data = (const char *)c->ring + FG_AUDITW_RING_OFF;
	uint64_t at = 0;

	while (c->ring && at + 4 <= c->rhead && c->rhead <= FG_AUDITW_RING_DATA) {
		uint32_t len;

		memcpy(&len, data + at, 4);
		if (len == 0 || len > c->rhead - at - 4 || len > FG_AUDITW_MSG_MAX)
			break;
		if (send_all(c->fd, data + at + 4, len) < 0 && c->pending == 0)
			c->pending = -EIO;
		at += 4 + (uint64_t)len;
	}
	ring_drop(c);
	c->noring = true;
}

/* Wait for the ring's answer when it is still owed (before anything
 * that must follow its records on the socket). */
static int ring_confirm(struct fg_auditc *c)
{
	while (c->ring_owed && c->owed > 0) {
		int r = owed_answer(c, true);

		if (r < 0)
			return r;
	}
	c->ring_owed = false;
	return 0;
}

static void ring_copy_in(char *data, uint64_t at, const void *p, size_t n)
{
	size_t off = (size_t)(at % FG_AUDITW_RING_DATA), first = FG_AUDITW_RING_DATA - off;

	if (first > n)
		first = n;
	memcpy(data + off, p, first);
	memcpy(data, (const char *)p + first, n - first);
}

/* Has the daemon sent an 'E' for a ring record since we last looked? */
static bool ring_quiet(struct fg_auditc *c)
{
	uint32_t e;

	if (!c->ring || c->owed > 0)
		return false;
	e = __atomic_load_n(&c->ring->errs, __ATOMIC_ACQUIRE);
	if (e == c->rerrs)
		return true;
	c->rerrs = e;
	return false;
}

/* Wait until the daemon has emptied the ring ('W'). */
static int ring_wait(struct fg_auditc *c)
{
	int r = still_ours(c) ? send_all(c->fd, "W", 1) : -EBADF;

	return r == 0 ? conn_answer(c, true) : r;
}

/* Put one pipelined record (b, n) into the ring.  -ECONNRESET: the daemon
 * closed the ring (or we scribbled on it): the record is not in it. */
static int ring_put(struct fg_auditc *c, const char *b, size_t n)
{
	struct fg_auditw_ring *h = c->ring;
	char *data = (char *)h + FG_AUDITW_RING_OFF;
	uint64_t head = c->rhead, tail = __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE), want;
	uint32_t len = (uint32_t)n;

	if (head - tail > FG_AUDITW_RING_DATA || head - tail + 4 + n > FG_AUDITW_RING_DATA) {
		int r = ring_wait(c);

		if (r < 0)
			return r;
		tail = __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE);
		if (head - tail > FG_AUDITW_RING_DATA || head - tail + 4 + n > FG_AUDITW_RING_DATA)
			return -ECONNRESET;
	}
	ring_copy_in(data, head, &len, 4);
	ring_copy_in(data, head + 4, b, n);
	want = head;
	if (!__atomic_compare_exchange_n(&h->head, &want, head + 4 + n, false, __ATOMIC_SEQ_CST,
					 __ATOMIC_SEQ_CST))
		return -ECONNRESET;
	c->rhead = head + 4 + n;
	/* the daemon said it may sleep: it looks again within its nap, so
	 * only a ring filling up wakes it (one sender per sleep).  A wake-up
	 * costs the sender an interrupt to the other CPU, more than its
	 * record: a doorbell per record cost python's start-up about 0.9 ms
	 * of CPU (docs/PERFORMANCE.md, tenth pass). */
	if (c->rhead - tail >= FG_AUDITW_RING_BELL &&
	    __atomic_exchange_n(&h->sleeping, 0, __ATOMIC_SEQ_CST) != 0) {
		if (!still_ours(c))
			return -EBADF;  /* in the ring; a new connection follows */
		(void)send_all(c->fd, "D", 1);
	}
	return 0;
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

static int adopt_conn(struct fg_auditc *c, int fd, int owed);

/* The record buffer of the first client of a process: zero pages of the
 * cold .lbss (as log.c's first writer), not a malloc of MSG_MAX bytes,
 * which glibc serves with an mmap of its own in every process.  A record
 * writes only the pages it needs.  Taken once per process image. */
static __attribute__((section(".lbss.fleetguard"), aligned(4096))) char first_buf[FG_AUDITW_MSG_MAX];
static bool first_buf_taken;

static char *buf_alloc(void)
{
	if (!__atomic_exchange_n(&first_buf_taken, true, __ATOMIC_ACQ_REL))
		return first_buf;
	return malloc(FG_AUDITW_MSG_MAX);
}

/* The first client of a process and its strings (agent, exe, key file)
 * live in the cold .lbss too: with the writer, the buffer and the sealed
 * policy's arena (policy_int.h), a descendant's constructor calls no
 * malloc (its first use is a getrandom, two brk and heap-page faults in a
 * program that allocates nothing itself). */
/* One block, strings first and the client's long socket path last, so
 * that what a process writes of it shares one page. */
static __attribute__((section(".lbss.fleetguard"), aligned(4096))) struct {
	char strs[512];
	struct fg_auditc c;
} first;
#define first_client (first.c)
#define first_strs (first.strs)
static bool first_client_taken;
static size_t first_strs_used;

static struct fg_auditc *client_alloc(void)
{
	if (!__atomic_exchange_n(&first_client_taken, true, __ATOMIC_ACQ_REL))
		return &first_client;
	return calloc(1, sizeof(struct fg_auditc));
}

/* s copied for c: into first_strs for the first client while it fits. */
static char *client_strdup(const struct fg_auditc *c, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d;

	if (c != &first_client || n > sizeof(first_strs) - first_strs_used)
		return strdup(s);
	d = first_strs + first_strs_used;
	memcpy(d, s, n);
	first_strs_used += n;
	return d;
}

static void client_strfree(char *s)
{
	/* only what strdup gave is freed (the analyzer does not follow the
	 * range test: a false positive) */
	if ((uintptr_t)s - (uintptr_t)first_strs >= sizeof(first_strs))
		free(s); // NOLINT(clang-analyzer-unix.Malloc)
}

/* A daemon with other settings refused us (EINVAL): it serves agents
 * still running (a lingering one with no user but followers makes way
 * instead, server.c), and it will be gone once they have ended. */
static void in_the_way(const struct fg_auditc *c, char *err, size_t errlen)
{
	char pid[32] = "";

	if (c->dpid > 0)
		snprintf(pid, sizeof(pid), " (pid %ld)", (long)c->dpid);
	snprintf(err, errlen, "the audit daemon at '%s'%s serves running agents of a policy with another key_file or max_size: policies that share a log must agree on them; it makes way for this one once those agents have ended",
		 c->sockpath, pid);
}

/* How client_new connects. */
enum {
	CN_OWE = 1,     /* send the hello without waiting for its answer */
	CN_ROOT = 2,    /* the hello registers a process the daemon must outlive */
	CN_FOLLOW = 4,  /* a follower's hello (wire.h FG_AUDITW_FOLLOW) */
};

/* The hello on a new connection failed with fd: a spawner (a) starts or
 * replaces the daemon, returning the new connection; else the reason in
 * err and fd back. */
static int hello_failed(struct fg_auditc *c, const struct fg_audit *a, bool root, int fd,
			char *err, size_t errlen)
{
	bool spawn = a != NULL;

	/* ECONNRESET: it hung up without an answer we could read (it had
	 * refused the hello and closed on the record sent behind it, or it
	 * crashed): reached again, the new hello gets its own answer */
	if (spawn && (fd == -ECONNREFUSED || fd == -ENOENT || fd == -ESTALE || fd == -ECONNRESET))
		fd = reach(c, a, root, err, errlen);
	else if (spawn && fd == -EINVAL)
		/* a daemon with other settings: as a root (a process it must
		 * outlive) we make it go if it only lingers, and start ours */
		fd = reach(c, a, true, err, errlen);
	else if (fd == -EPERM)
		snprintf(err, errlen, "the audit daemon at '%s' runs as another user: refused",
			 c->sockpath);
	else if (fd == -EINVAL)
		in_the_way(c, err, errlen);
	else if (fd < 0)
		snprintf(err, errlen, "cannot reach the audit daemon at '%s': %s", c->sockpath,
			 strerror(-fd));
	return fd;
}

/* a: the log's handle, to start a daemon for it (NULL: never); how: CN_*;
 * hand: a connection the image before this one handed over, tried first. */
static int client_new(const char *sockpath, const struct fg_audit *a, const char *agent,
		      const char *exe, const struct fg_auditd_settings *set, unsigned how,
		      const struct fg_audit_handover *hand, struct fg_auditc **out, char *err,
		      size_t errlen)
{
	struct fg_auditc *c = client_alloc();
	bool spawn = a != NULL, owe = how & CN_OWE, root = how & CN_ROOT;
	int fd;

	if (!c || strlen(sockpath) >= sizeof(c->sockpath)) {
		if (c != &first_client)
			free(c);
		snprintf(err, errlen, "cannot attach to the audit daemon: %s",
			 c ? strerror(ENAMETOOLONG) : strerror(ENOMEM));
		return c ? -ENAMETOOLONG : -ENOMEM;
	}
	strcpy(c->sockpath, sockpath);
	c->duid = set && set->daemon_user ? set->daemon_uid : -1;
	c->agent = client_strdup(c, agent ? agent : "");
	c->exe = client_strdup(c, exe ? exe : "");
	c->buf = buf_alloc();
	if (set) {
		c->has_set = true;
		c->fsync = (uint8_t)set->fsync;
		c->max_size = set->max_size;
		c->keypath = client_strdup(c, set->keypath ? set->keypath : "");
	}
	if (!c->agent || !c->exe || !c->buf || (set && !c->keypath)) {
		fg_auditc_free(c);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->follow = how & CN_FOLLOW;
	if (hand != NULL && adopt_conn(c, hand->fd, hand->owed) == 0) {
		*out = c;
		return 0;
	}
	/* a spawner that owes the hello reads its answer in fg_auditc_settle */
	fd = connect_hello_as(c, root, !owe);
	owe = owe && fd >= 0;
	if (fd < 0)
		fd = hello_failed(c, a, root, fd, err, errlen);
	if (fd < 0) {
		c->fd = -1;
		fg_auditc_free(c);
		return fd;
	}
	set_conn(c, fd, owe);
	c->settle = owe && spawn;
	c->root = root;
	*out = c;
	return 0;
}

int fg_auditc_settle(struct fg_auditc *c, const struct fg_audit *a, char *err, size_t errlen)
{
	int pending = 0, behind, r, fd;

	if (!c->settle)
		return 0;
	c->settle = false;
	if (c->owed == 0)
		return 0;       /* the hello was answered (a daemon started) */
	/* a record sent behind the hello (append_owed) keeps its answer owed */
	behind = c->owed - 1;
	r = read_answer(c->fd, &pending, true);
	/* refused: the daemon dropped what followed the hello */
	c->owed = r == 0 ? behind : 0;
	if (r == 0)
		return 0;
	/* refused: as client_new does with a refusal it waited for */
	close(c->fd);
	c->fd = -1;
	c->known = false;
	fd = hello_failed(c, a, c->root, r, err, errlen);
	if (fd < 0)
		return fd;
	set_conn(c, fd, false);
	return behind > 0 ? 1 : 0;
}

int fg_auditc_new(const char *sockpath, const char *agent, const char *exe,
		  const struct fg_auditd_settings *set, struct fg_auditc **out, char *err,
		  size_t errlen)
{
	return client_new(sockpath, NULL, agent, exe, set, 0, NULL, out, err, errlen);
}

int fg_auditc_attach(const char *sockpath, const char *agent, const char *exe,
		     const struct fg_auditd_settings *set, struct fg_auditc **out, char *err,
		     size_t errlen)
{
	return client_new(sockpath, NULL, agent, exe, set, CN_OWE, NULL, out, err, errlen);
}

int fg_auditc_adopt(const char *sockpath, const struct fg_audit *a, const char *agent,
		    const char *exe, const struct fg_auditd_settings *set,
		    const struct fg_audit_handover *hand, struct fg_auditc **out, char *err,
		    size_t errlen)
{
	return client_new(sockpath, a, agent, exe, set, a == NULL ? CN_OWE : 0, hand, out, err,
			  errlen);
}

int fg_auditc_start(const char *sockpath, const struct fg_audit *a, const char *agent,
		    const char *exe, const struct fg_auditd_settings *set, bool root, bool owe,
		    bool follow, struct fg_auditc **out, char *err, size_t errlen)
{
	return client_new(sockpath, a, agent, exe, set,
			  (root ? CN_ROOT : 0) | (owe ? CN_OWE : 0) | (follow ? CN_FOLLOW : 0), NULL,
			  out, err, errlen);
}

bool fg_auditc_gone(const struct fg_auditc *c)
{
	struct pollfd p = { c->fd, POLLRDHUP, 0 };

	if (c->fd < 0 || c->pid != getpid())
		return false;
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR)) != 0;
}

/* A process other than the one that connected (a fork child) gets its own
 * connection: answers on a shared one would go to whoever reads first.
 * A fork child reaches the daemon its parent reached (same pid, same
 * socket file: check_peer), so its hello is not waited for; the answer is
 * read before any other (conn_answer).  A process that replaces its own
 * connection waits: records still queued on the old one must be appended
 * before those it sends on the new one. */
static int own_connection(struct fg_auditc *c, pid_t self, bool check)
{
	bool owed = c->known && c->made_by != self;
	int fd;

	/* check: the record goes down the socket (a ring record does not:
	 * the ring's doorbell checks, and a ring the daemon let go refuses) */
	if (c->pid == self && c->fd >= 0 && (!check || c->fresh || still_ours(c))) {
		c->fresh = false;
		return 0;
	}
	if (c->made_by != self)
		ring_forget(c);         /* a fork child: not mapped here */
	fd = connect_hello_as(c, false, !owed);
	if (fd < 0)
		return fd;
	close_conn(c);
	ring_drop(c);
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

	fd = connect_hello_rec(c, false, !owed, owed ? b : NULL);
	if (fd < 0)
		return fd;
	ret = owed ? 0 : send_all(fd, b->p, b->len);
	if (ret == 0 && owed)
		ret = read_answer(fd, &pending, true);
	if (ret == 0)
		ret = read_answer(fd, &pending, true);
	close(fd);
	return ret;
}

/* Send b: into the ring when there is one and nobody waits for the
 * answer, else down the socket.  A ring the daemon let go (or that we
 * can no longer reach) means a new connection, which gets the record. */
static int send_rec(struct fg_auditc *c, const struct fg_auditw_out *b, bool sync, pid_t self)
{
	int ret;

	if (!sync && c->ring) {
		ret = ring_put(c, b->p, b->len);
		if (ret == 0 || (ret != -ECONNRESET && ret != -EBADF))
			return ret;
		if (ret == -EBADF) {
			/* the record is in the ring, the number is not ours: a
			 * new connection, whose hello the daemon answers after
			 * draining this ring */
			c->fd = -1;
			c->pid = 0;
			return own_connection(c, self, true);
		}
		ring_drop(c);
		c->pid = 0;
		ret = own_connection(c, self, true);
		return ret < 0 ? ret : send_all(c->fd, b->p, b->len);
	}
	ret = send_all(c->fd, b->p, b->len);
	if (ret == -EPIPE || ret == -ECONNRESET || ret == -ENOTCONN || ret == -EBADF ||
	    ret == -ENOTSOCK) {
		/* our descriptor was closed under us, or the daemon restarted */
		if (ret == -EBADF || ret == -ENOTSOCK)
			c->fd = -1;
		c->pid = 0;
		ret = own_connection(c, self, true);
		if (ret == 0)
			ret = send_all(c->fd, b->p, b->len);
	}
	return ret;
}

/* The rename an adopted connection owes ('N' agent exe), put in front of
 * the record in b (moved up), so that one message carries both: the
 * daemon renames, answers, then takes the record.  When both do not fit
 * in one message the rename goes alone first.  0, or the send's error
 * (the record is then not sent). */
static void put_rename(struct fg_auditw_out *n, const struct fg_auditc *c)
{
	fg_auditw_put_u8(n, 'N');
	fg_auditw_put_cstr(n, c->agent);
	fg_auditw_put_cstr(n, c->exe);
}

static int send_renamed(struct fg_auditc *c, struct fg_auditw_out *b)
{
	size_t nlen = 1 + 4 + strlen(c->agent) + 1 + 4 + strlen(c->exe) + 1;
	struct fg_auditw_out n = { c->buf, 0, nlen, false };
	int ret;

	c->rename = false;
	if (b->len + nlen > b->cap) {
		/* a record of nearly the most a message holds (rare) */
		n.p = malloc(nlen);
		if (!n.p)
			return -ENOMEM;
		put_rename(&n, c);
		ret = send_all(c->fd, n.p, n.len);
		free(n.p);
		return ret < 0 ? ret : send_all(c->fd, b->p, b->len);
	}
	memmove(c->buf + nlen, b->p, b->len);
	put_rename(&n, c);
	ret = n.over ? -E2BIG : send_all(c->fd, c->buf, nlen + b->len);
	memmove(c->buf, c->buf + nlen, b->len);     /* b as it was, to send again */
	return ret;
}

int fg_auditc_append_from(struct fg_auditc *c, const struct fg_audit_rec *r, bool sync,
			  pid_t self, bool guest)
{
	struct fg_auditw_out b = { c->buf, 0, FG_AUDITW_MSG_MAX, false };
	int ret, earlier;

	sync = sync || c->degraded;
	ret = fg_auditw_encode_rec(&b, r, sync || guest);
	if (ret < 0)
		return ret;
	if (guest)
		return append_guest(c, &b);
	ret = own_connection(c, self, sync || !c->ring);
	if (ret < 0)
		return ret;
	if (!sync && !c->ring && !c->noring && c->owed == 0 && ++c->piped >= RING_AFTER &&
	    ring_make(c) < 0)
		c->noring = true;       /* the socket then, as before rings */
	ret = ring_quiet(c) ? 1 : conn_answer(c, false);
	if (ret < 0) {
		/* the connection is gone: the daemon closed it (after saying
		 * why, maybe), or our descriptor was closed under us.  A new
		 * one, or every later record would fail the same way. */
		int noted = c->pending;

		if (ret == -EBADF || ret == -ENOTSOCK)
			c->fd = -1;     /* the number is not ours any more */
		c->pid = 0;
		ret = own_connection(c, self, true);
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
	/* a record down the socket follows the ring's records */
	if (sync && c->ring_owed) {
		ret = ring_confirm(c);
		if (ret < 0)
			return refusal(c, ret);
	}
	earlier = c->pending;
	c->pending = 0;
	if (earlier)
		c->degraded = true;
	if (c->rename) {
		ret = send_renamed(c, &b);
		if (ret < 0) {
			/* the adopted connection is gone: a new one, whose
			 * hello names us, gets the record alone */
			if (ret == -EBADF || ret == -ENOTSOCK)
				c->fd = -1;
			c->pid = 0;
			ret = own_connection(c, self, true);
			if (ret == 0)
				ret = send_all(c->fd, b.p, b.len);
		}
	} else {
		ret = send_rec(c, &b, sync, self);
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

int fg_auditc_append(struct fg_auditc *c, const struct fg_audit_rec *r, bool sync, bool guest)
{
	return fg_auditc_append_from(c, r, sync, getpid(), guest);
}

/* 'F' (flush) or 'B' (barrier) down our connection, and its answer.  A
 * flush is for what this process sent: a process without a connection
 * of its own (a fork child that sent nothing) has nothing to flush.  A
 * barrier is for what every process sent: one is made for it. */
static int conn_barrier(struct fg_auditc *c, const char *kind)
{
	pid_t self = getpid();
	int ret;

	if (!c || ((c->fd < 0 || c->pid != self) && kind[0] == 'F'))
		return 0;
	if (c->pid != self || c->fd < 0 || !still_ours(c)) {
		if (c->pid == self)
			c->fd = -1;     /* the number is not ours any more */
		c->pid = 0;
		ret = own_connection(c, self, true);
		if (ret < 0)
			return ret;
	}
	ret = ring_confirm(c);
	if (ret == 0 && c->rename) {
		/* the adopted connection's rename, alone (no record to carry it) */
		struct fg_auditw_out b = { c->buf, 0, 0, false };

		ret = send_renamed(c, &b);
	}
	if (ret == 0)
		ret = send_all(c->fd, kind, 1);
	if (ret == 0)
		ret = conn_answer(c, true);
	if (ret == 0 && c->pending)
		ret = c->pending;
	c->pending = 0;
	return refusal(c, ret);
}

int fg_auditc_flush(struct fg_auditc *c)
{
	return conn_barrier(c, "F");
}

int fg_auditc_barrier(struct fg_auditc *c)
{
	return conn_barrier(c, "B");
}

/* --- a record whose answer is read later --------------------------------- */

int fg_auditc_append_owed(struct fg_auditc *c, const struct fg_audit_rec *r)
{
	struct fg_auditw_out b = { c->buf, 0, FG_AUDITW_MSG_MAX, false };
	int ret;

	/* only on this process's own connection, nothing else owed or in
	 * a ring (but the hello fg_auditc_settle reads): the answer read
	 * later is this record's */
	if (c->fd < 0 || c->pid != getpid() || c->ring != NULL ||
	    c->owed != (c->settle ? 1 : 0) || c->pending != 0)
		return -EINVAL;
	ret = fg_auditw_encode_rec(&b, r, true);
	if (ret == 0)
		ret = send_all(c->fd, b.p, b.len);
	if (ret == 0)
		c->owed++;
	return refusal(c, ret);
}

int fg_auditc_owed_wait(struct fg_auditc *c)
{
	int ret = 0;

	while (c->owed > 0 && ret == 0)
		ret = owed_answer(c, true);
	c->owed = ret < 0 ? 0 : c->owed;
	c->pending = 0;         /* returned here */
	return refusal(c, ret);
}

/* --- handing the connection to the next image --------------------------- */

int fg_auditc_handover_new(struct fg_auditc *c, struct fg_audit_handover *h)
{
	int fd;

	*h = (struct fg_audit_handover){ .fd = -1 };
	if (!c->known)
		return -ENOTCONN;       /* the daemon's identity is not known yet */
	fd = connect_hello_as(c, false, false);
	if (fd < 0)
		return fd;
	fd = fg_audit_high_fd(fd);
	if (fcntl(fd, F_SETFD, 0) < 0) {
		close(fd);
		return -errno;
	}
	h->fd = fd;
	h->owed = 1;
	return 0;
}

int fg_auditc_handover(struct fg_auditc *c, const struct fg_audit_rec *r, bool guest,
		       struct fg_audit_handover *h)
{
	struct fg_auditw_out b = { c->buf, 0, FG_AUDITW_MSG_MAX, false };
	int fd, ret;

	*h = (struct fg_audit_handover){ .fd = -1, .guest = guest };
	if (!c->known)
		return fg_auditc_append(c, r, true, guest);
	if (!guest) {
		ret = fg_auditc_append(c, r, false, false);
		/* the next image knows nothing of our ring */
		if (ret >= 0 && c->ring_owed && ring_confirm(c) < 0)
			ret = -EIO;
		if (ret >= 0 && c->fd >= 0 && fcntl(c->fd, F_SETFD, 0) == 0) {
			h->fd = c->fd;
			h->owed = c->owed;
		}
		return ret;
	}
	/* a vfork child: its own connection, hello and record in one
	 * message, above the numbers programs use, open across the exec */
	ret = fg_auditw_encode_rec(&b, r, false);
	if (ret < 0)
		return ret;
	fd = connect_hello_rec(c, false, false, &b);
	if (fd < 0)
		return fd;
	fd = fg_audit_high_fd(fd);
	if (fcntl(fd, F_SETFD, 0) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	h->fd = fd;
	h->owed = 1;
	return 0;
}

bool fg_auditc_is_pool(const struct fg_auditc *c, int fd)
{
	return named_peer(c, fd);
}

int fg_auditc_pool_open(struct fg_auditc *c)
{
	int fd, r;

	if (!c->known)
		return -ENOTCONN;
	fd = connect_sock(c, false);
	if (fd < 0)
		return fd;
	/* a name bound through /proc (named_peer: no) could not tell the
	 * tree's processes that 1020 is the pool */
	r = check_peer(c, fd);
	if (r == 0 && !named_peer(c, fd))
		r = -ENAMETOOLONG;
	if (r == 0 && (send(fd, "P", 1, MSG_NOSIGNAL) != 1 ||
		       (fd != FG_AUDIT_POOL_FD && dup3(fd, FG_AUDIT_POOL_FD, 0) < 0)))
		r = -errno;
	if (r < 0 || fd != FG_AUDIT_POOL_FD)
		close(fd);
	return r;
}

void fg_auditc_handback(struct fg_auditc *c, struct fg_audit_handover *h)
{
	(void)c;
	if (h->fd < 0)
		return;
	if (h->guest)
		close(h->fd);
	else
		(void)fcntl(h->fd, F_SETFD, FD_CLOEXEC);
	h->fd = -1;
}

/* fd is a spare from this tree's pool: a SEQPACKET peer without a path whose
 * process is the one at the other end of the pool (the daemon), and the
 * pool a socket connected to this log's name.  A socket pair of the
 * agent's own has the agent at its other end. */
static bool spare_peer(const struct fg_auditc *c, int fd)
{
	struct sockaddr_un peer = { 0 };
	socklen_t plen = sizeof(peer), len = sizeof(int);
	uid_t u1 = 0, u2 = 0;
	pid_t p1, p2;
	int type = 0;

	/* the daemon's end has no name, or the abstract one the kernel gives
	 * a socket with SO_PASSCRED (autobind): never a path */
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_SEQPACKET ||
	    getpeername(fd, (struct sockaddr *)&peer, &plen) < 0 ||
	    (plen > sizeof(sa_family_t) && peer.sun_path[0] != '\0') ||
	    !named_peer(c, FG_AUDIT_POOL_FD))
		return false;
	p1 = peer_pid(fd, &u1);
	p2 = peer_pid(FG_AUDIT_POOL_FD, &u2);
	return p1 > 0 && p1 == p2 && u1 == u2;
}

/* fd: the connection the image before this one handed over (its number
 * came through the environment: checked, never trusted).  It must be a
 * SEQPACKET socket connected to this log's socket name, its peer run by
 * us or root; then it is ours, with the answers owed on it and the one to
 * the rename ('N') that tells the daemon the new name. */
static int adopt_conn(struct fg_auditc *c, int fd, int owed)
{
	int r;

	if (fd < 3 || owed < 0 || owed > 2)
		return -EBADF;
	if (!named_peer(c, fd) && !spare_peer(c, fd))
		return -ENOTCONN;
	r = check_peer(c, fd);
	if (r < 0)
		return r;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	c->known = true;
	set_conn(c, fd, false);
	/* the rename ('N') goes with the first record, in one message (one
	 * send, one wake-up of the daemon fewer: send_renamed); its answer is
	 * owed from now on */
	c->owed = owed + 1;
	c->rename = true;
	c->fresh = true;
	return 0;
}

void fg_auditc_free(struct fg_auditc *c)
{
	if (!c)
		return;
	if (c->pid == getpid()) {
		close_conn(c);
		ring_drop(c);
	}
	client_strfree(c->agent);
	client_strfree(c->exe);
	client_strfree(c->keypath);
	if (c->buf != first_buf)
		free(c->buf);
	if (c != &first_client)
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

	/* in a program (fleetguard-gateway), dli_fname is its argv[0]: the
	 * program's own file is /proc/self/exe */
	if (dladdr((void *)fg_auditd_program, &di) != 0 && di.dli_fname &&
	    realpath(strchr(di.dli_fname, '/') ? di.dli_fname : "/proc/self/exe", self) &&
	    realpath(FG_BUILDDIR, build)) {
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
#ifdef FG_COVERAGE_DIR
	char cov[2][PATH_MAX + 32];   /* GCOV_PREFIX, GCOV_PREFIX_STRIP */
	char *envp[3];
#endif
};

#ifdef FG_COVERAGE_DIR
/* A --enable-coverage build only: the daemon's counters go where the
 * agent's do (its environment is otherwise empty). */
static void spawn_coverage_env(struct spawn_args *sa)
{
	static const char *const names[2] = { "GCOV_PREFIX", "GCOV_PREFIX_STRIP" };
	size_t n = 0;

	for (size_t i = 0; i < 2; i++) {
		const char *v = getenv(names[i]);

		if (v != NULL) {
			snprintf(sa->cov[n], sizeof(sa->cov[n]), "%s=%s", names[i], v);
			sa->envp[n] = sa->cov[n];
			n++;
		}
	}
	sa->envp[n] = NULL;
}
#endif

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
#ifdef FG_COVERAGE_DIR
	spawn_coverage_env(sa);
#endif
}

/* In the grandchild: only async-signal-safe calls from here on, and raw
 * system calls (in the preloaded library, the libc names are its own
 * hooks).  The ready pipe becomes descriptor 3, stdio /dev/null, every
 * other descriptor closed, the environment empty (no LD_PRELOAD). */
static void exec_daemon(const struct spawn_args *sa, int ready)
{
#ifdef FG_COVERAGE_DIR
	char *const *envp = sa->envp;
#else
	static char *const envp[] = { NULL };
#endif
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
		in_the_way(c, err, errlen);
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
