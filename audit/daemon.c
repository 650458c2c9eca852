/* daemon.c - the audit daemon, and the client that sends it records.
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
 * Under kernel enforcement the agent's Landlock domain holds no right on
 * the log's directory.  One process per log, forked before the domain
 * existed and so outside it, owns the writer; every confined process sends
 * its records over a SOCK_SEQPACKET UNIX socket, <log>.sock.  The daemon
 * takes pid and uid from the kernel (SCM_CREDENTIALS, attached to every
 * message), the host from itself and agent and exe from the connection's
 * hello, and encodes, chains and appends with the ordinary writer.  The
 * agent can add records in its own name, never change or remove one.
 *
 * Wire (one host, native byte order; every message is one packet):
 *
 *   hello   'H' u8 flags(ROOT)  cstr agent  cstr exe
 *           [u8 fsync  u64 max_size  cstr key file]         -> answer
 *           (when given, key file and max_size must be the daemon's own:
 *           one log, one chain; with fsync = always each of the client's
 *           records is synced before its answer)
 *   record  'R' u8 flags(SYNC)  i32 result  cstr op  cstr decision
 *           cstr rule  u16 nf  nf x { u8 type  cstr key  value }
 *                                          -> answer if SYNC or failed
 *   flush   'F'                            -> answer
 *   answer  'A' | 'E' (a failed record sent without SYNC)  i32 -errno
 *
 *   cstr  u32 length with the NUL (0: NULL), the bytes, NUL
 *   value STR: u32 length (UINT32_MAX: NULL) and bytes; INT, OCT: i64;
 *         STRV: u16 count, count x cstr; NULL: nothing
 *
 * A record without SYNC costs the sender one send(): the daemon works on
 * the other core.  Records of one connection are appended in the order
 * sent; a flush also appends what every other connection had queued (a
 * process that ended with _exit never flushes), and the library sends exec
 * records with SYNC, so a new image's records follow the old one's.
 * Lifetime: a process that applies a domain says ROOT in its hello
 * and the daemon holds a pidfd for it; with no live root and no client for
 * FG_AUDITD_LINGER_MS the daemon removes its socket and exits.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "audit/daemon.h"

#ifdef FG_COVERAGE
/* gcov writes its counters at exit(); the daemon's processes end with _exit */
extern void __gcov_dump(void);
#endif

/* _exit for the daemon's processes */
static noreturn void quit(int status)
{
#ifdef FG_COVERAGE
	__gcov_dump();
#endif
	_exit(status);
}

#define MSG_MAX FG_AUDIT_LINE_MAX
#define F_ROOT 1
#define F_SYNC 1
#define MAX_FIELDS 32
/* how long a client waits for the daemon before the append fails */
#define CLIENT_TIMEOUT_S 30
/* a connection that has not said hello within this goes */
#define HELLO_MS 2000
/* the most connections and registered processes a daemon keeps */
#define MAX_CONNS 4096
#define MAX_ROOTS 4096
#define MAX_STRV 4096
/* the client stops an argv past this many bytes and ends it with "..." */
#define STRV_BUDGET (32 * 1024)

/* --- socket addresses ------------------------------------------------------ */

/* A UNIX address for path; a path longer than sun_path goes through an
 * O_PATH descriptor of its directory (*dirfd, to close after use). */
static int sock_addr(const char *path, struct sockaddr_un *sa, socklen_t *len, int *dirfd)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	int n;

	*dirfd = -1;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) < sizeof(sa->sun_path)) {
		strcpy(sa->sun_path, path);
	} else {
		if (!slash || (size_t)(slash - path) >= sizeof(dir))
			return -ENAMETOOLONG;
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
		*dirfd = open(dir[0] ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (*dirfd < 0)
			return -errno;
		n = snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s", *dirfd,
			     slash + 1);
		if (n < 0 || (size_t)n >= sizeof(sa->sun_path)) {
			close(*dirfd);
			*dirfd = -1;
			return -ENAMETOOLONG;
		}
	}
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(sa->sun_path) + 1);
	return 0;
}

/* --- encoding -------------------------------------------------------------- */

struct wbuf {
	char *p;
	size_t len, cap;
	bool over;
};

static void put(struct wbuf *b, const void *s, size_t n)
{
	if (b->over || n > b->cap - b->len) {
		b->over = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void put_u8(struct wbuf *b, uint8_t v) { put(b, &v, 1); }
static void put_u16(struct wbuf *b, uint16_t v) { put(b, &v, 2); }
static void put_u32(struct wbuf *b, uint32_t v) { put(b, &v, 4); }
static void put_i64(struct wbuf *b, int64_t v) { put(b, &v, 8); }

static void put_cstr(struct wbuf *b, const char *s)
{
	if (!s) {
		put_u32(b, 0);
		return;
	}
	size_t n = strlen(s) + 1;
	put_u32(b, (uint32_t)n);
	put(b, s, n);
}

static int encode_rec(struct wbuf *b, const struct fg_audit_rec *r, bool sync)
{
	int32_t result = r->result;

	if (!r->op || r->nf > MAX_FIELDS || (r->nf && !r->f))
		return -EINVAL;
	put_u8(b, 'R');
	put_u8(b, sync ? F_SYNC : 0);
	put(b, &result, 4);
	put_cstr(b, r->op);
	put_cstr(b, r->decision);
	put_cstr(b, r->rule);
	put_u16(b, (uint16_t)r->nf);
	for (size_t i = 0; i < r->nf; i++) {
		const struct fg_audit_field *f = &r->f[i];

		if (!f->key)
			return -EINVAL;
		put_u8(b, (uint8_t)f->type);
		put_cstr(b, f->key);
		switch (f->type) {
		case FG_AF_STR:
			put_u32(b, f->s ? (uint32_t)f->len : UINT32_MAX);
			if (f->s)
				put(b, f->s, f->len);
			break;
		case FG_AF_INT:
		case FG_AF_OCT:
			put_i64(b, f->i);
			break;
		case FG_AF_STRV: {
			size_t n = 0, bytes = 0, at;

			at = b->len;
			put_u16(b, 0);
			for (; f->v && f->v[n] && n < MAX_STRV - 1; n++) {
				bytes += strlen(f->v[n]) + 1;
				if (bytes > STRV_BUDGET)
					break;
				put_cstr(b, f->v[n]);
			}
			if (f->v && f->v[n]) {
				put_cstr(b, "...");
				n++;
			}
			if (!b->over) {
				uint16_t count = (uint16_t)n;
				memcpy(b->p + at, &count, 2);
			}
			break;
		}
		case FG_AF_NULL:
			break;
		default:
			return -EINVAL;
		}
	}
	return b->over ? -E2BIG : 0;
}

/* --- decoding (the daemon) ------------------------------------------------- */

struct rbuf {
	const char *p;
	size_t len, off;
	bool bad;
};

static const void *take(struct rbuf *b, size_t n)
{
	const void *at;

	if (b->bad || n > b->len - b->off) {
		b->bad = true;
		return NULL;
	}
	at = b->p + b->off;
	b->off += n;
	return at;
}

static uint32_t get_u32(struct rbuf *b)
{
	uint32_t v = 0;
	const void *p = take(b, 4);

	if (p)
		memcpy(&v, p, 4);
	return v;
}

static uint16_t get_u16(struct rbuf *b)
{
	uint16_t v = 0;
	const void *p = take(b, 2);

	if (p)
		memcpy(&v, p, 2);
	return v;
}

/* A NUL-terminated string without NULs inside, or NULL (also on error). */
static const char *get_cstr(struct rbuf *b, bool *null)
{
	uint32_t n = get_u32(b);
	const char *s;

	*null = n == 0;
	if (n == 0)
		return NULL;
	s = take(b, n);
	if (!s || s[n - 1] != '\0' || memchr(s, '\0', n - 1)) {
		b->bad = true;
		return NULL;
	}
	return s;
}

/* op and operand names: what the library writes, nothing that could
 * collide with the fields the writer itself puts in every record */
static bool name_ok(const char *s)
{
	static const char *const reserved[] = { "seq", "ts", "host", "pid", "uid", "agent", "exe",
						"op", "decision", "rule", "result", "prev", "hash" };
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcmp(s, reserved[i]) == 0)
			return false;
	return true;
}

struct decoded {
	struct fg_audit_rec rec;
	struct fg_audit_field f[MAX_FIELDS];
	const char *v[MAX_STRV + MAX_FIELDS];
	bool sync;
};

static int decode_rec(struct rbuf *b, struct decoded *d)
{
	size_t nv = 0;
	bool null;
	int32_t result;
	const void *p;

	memset(&d->rec, 0, sizeof(d->rec));
	p = take(b, 1);
	d->sync = p && (*(const uint8_t *)p & F_SYNC);
	p = take(b, 4);
	if (!p)
		return -EBADMSG;
	memcpy(&result, p, 4);
	d->rec.result = result;
	d->rec.op = get_cstr(b, &null);
	d->rec.decision = get_cstr(b, &null);
	d->rec.rule = get_cstr(b, &null);
	d->rec.nf = get_u16(b);
	if (b->bad || !name_ok(d->rec.op) || result < 0 || result > 4095 ||
	    d->rec.nf > MAX_FIELDS || (d->rec.rule && strlen(d->rec.rule) > PATH_MAX + 16) ||
	    (d->rec.decision && strcmp(d->rec.decision, "allow") != 0 &&
	     strcmp(d->rec.decision, "deny") != 0 && strcmp(d->rec.decision, "report") != 0))
		return -EBADMSG;
	for (size_t i = 0; i < d->rec.nf; i++) {
		struct fg_audit_field *f = &d->f[i];
		const uint8_t *t = take(b, 1);

		memset(f, 0, sizeof(*f));
		f->type = t ? (enum fg_audit_ftype)*t : FG_AF_NULL;
		f->key = get_cstr(b, &null);
		if (b->bad || !name_ok(f->key))
			return -EBADMSG;
		switch (t ? *t : 255) {
		case FG_AF_STR: {
			uint32_t n = get_u32(b);
			if (n != UINT32_MAX) {
				f->s = take(b, n);
				f->len = n;
			}
			break;
		}
		case FG_AF_INT:
		case FG_AF_OCT:
			p = take(b, 8);
			if (p)
				memcpy(&f->i, p, 8);
			break;
		case FG_AF_STRV: {
			uint16_t n = get_u16(b);
			if (n > MAX_STRV || nv + n + 1 > sizeof(d->v) / sizeof(d->v[0]))
				return -EBADMSG;
			f->v = &d->v[nv];
			for (uint16_t k = 0; k < n; k++) {
				d->v[nv++] = get_cstr(b, &null);
				if (null)
					b->bad = true;
			}
			d->v[nv++] = NULL;
			break;
		}
		case FG_AF_NULL:
			break;
		default:
			return -EBADMSG;
		}
	}
	if (b->bad || b->off != b->len)
		return -EBADMSG;
	d->rec.f = d->f;
	return 0;
}

/* --- the client ---------------------------------------------------------- */

struct fg_auditc {
	int fd;
	dev_t dev;             /* the socket's identity: the number may be */
	ino_t ino;             /* closed under us and reused by the program */
	pid_t pid;             /* the process the connection belongs to */
	int pending;           /* a failure the daemon reported, not yet returned */
	char sockpath[PATH_MAX + 8];
	char *agent, *exe;
	bool has_set;          /* settings to claim in the hello */
	uint8_t fsync;
	uint64_t max_size;
	char *keypath;
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

/* A connection: SO_PASSCRED so the kernel attaches our credentials even
 * before the daemon accepts; the hello answered. */
static int connect_hello(struct fg_auditc *c, bool root)
{
	struct sockaddr_un sa;
	socklen_t salen = 0;
	int fd, dfd, r, one = 1, pending = 0;
	/* not c->buf: a vfork child's record waits there */
	char hello[2 * PATH_MAX + 16];
	struct wbuf b = { hello, 0, sizeof(hello), false };

	r = sock_addr(c->sockpath, &sa, &salen, &dfd);
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
	put_u8(&b, 'H');
	put_u8(&b, root ? F_ROOT : 0);
	put_cstr(&b, c->agent);
	put_cstr(&b, c->exe);
	if (c->has_set) {
		put_u8(&b, c->fsync);
		put(&b, &c->max_size, 8);
		put_cstr(&b, c->keypath ? c->keypath : "");
	}
	r = b.over ? -E2BIG : send_all(fd, b.p, b.len);
	if (r == 0)
		r = read_answer(fd, &pending, true);
	if (r < 0) {
		close(fd);
		goto out;
	}
	r = fd;
out:
	if (dfd >= 0)
		close(dfd);
	return r;
}

/* Keep fd as the connection, remembering what it is. */
static void set_conn(struct fg_auditc *c, int fd)
{
	struct stat st;

	c->fd = fg_audit_high_fd(fd);
	c->pid = getpid();
	if (fstat(c->fd, &st) == 0) {
		c->dev = st.st_dev;
		c->ino = st.st_ino;
	}
}

/* Close the connection if the number still names it. */
static void close_conn(struct fg_auditc *c)
{
	struct stat st;

	if (c->fd >= 0 && fstat(c->fd, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
		close(c->fd);
	c->fd = -1;
}

int fg_auditc_new(const char *sockpath, const char *agent, const char *exe,
		  const struct fg_auditd_settings *set, struct fg_auditc **out, char *err,
		  size_t errlen)
{
	struct fg_auditc *c = calloc(1, sizeof(*c));
	int fd;

	if (!c || strlen(sockpath) >= sizeof(c->sockpath)) {
		free(c);
		snprintf(err, errlen, "cannot attach to the audit daemon: %s",
			 c ? strerror(ENAMETOOLONG) : strerror(ENOMEM));
		return c ? -ENAMETOOLONG : -ENOMEM;
	}
	strcpy(c->sockpath, sockpath);
	c->agent = strdup(agent ? agent : "");
	c->exe = strdup(exe ? exe : "");
	c->buf = malloc(MSG_MAX);
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
	fd = connect_hello(c, false);
	if (fd == -EINVAL)
		snprintf(err, errlen, "the audit daemon at '%s' chains with another key_file or max_size than this policy's: policies that share a log must agree on them",
			 sockpath);
	else if (fd < 0)
		snprintf(err, errlen, "cannot reach the audit daemon at '%s': %s", sockpath,
			 strerror(-fd));
	if (fd < 0) {
		c->fd = -1;
		fg_auditc_free(c);
		return fd;
	}
	set_conn(c, fd);
	*out = c;
	return 0;
}

/* A process other than the one that connected (a fork child) gets its own
 * connection: answers on a shared one would go to whoever reads first. */
static int own_connection(struct fg_auditc *c)
{
	int fd;

	if (c->pid == getpid() && c->fd >= 0)
		return 0;
	fd = connect_hello(c, false);
	if (fd < 0)
		return fd;
	close_conn(c);
	set_conn(c, fd);
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

int fg_auditc_append(struct fg_auditc *c, const struct fg_audit_rec *r, bool sync, bool guest)
{
	struct wbuf b = { c->buf, 0, MSG_MAX, false };
	int fd, ret, pending = 0;

	ret = encode_rec(&b, r, sync || guest);
	if (ret < 0)
		return ret;
	if (guest) {
		/* a vfork child: a connection of its own for this record */
		fd = connect_hello(c, false);
		if (fd < 0)
			return fd;
		ret = send_all(fd, b.p, b.len);
		if (ret == 0)
			ret = read_answer(fd, &pending, true);
		close(fd);
		return ret;
	}
	ret = own_connection(c);
	if (ret < 0)
		return ret;
	ret = read_answer(c->fd, &c->pending, false);
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
	if (c->pending) {
		ret = c->pending;
		c->pending = 0;
		return refusal(c, ret);
	}
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
	if (ret == 0 && sync)
		ret = refusal(c, read_answer(c->fd, &c->pending, true));
	return ret;
}

int fg_auditc_flush(struct fg_auditc *c)
{
	int ret;

	if (!c || c->fd < 0 || c->pid != getpid())
		return 0;
	ret = send_all(c->fd, "F", 1);
	if (ret == 0)
		ret = read_answer(c->fd, &c->pending, true);
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

/* --- the daemon ---------------------------------------------------------- */

struct conn {
	int fd;
	bool dead;             /* found closed or refused: drop it */
	int64_t since;         /* accepted at (monotonic ms), for the hello deadline */
	bool sync_each;        /* its policy says fsync = always */
	struct fg_rec_ident *id;
	char *agent, *exe;
};

struct server {
	struct fg_audit *a;
	int lfd;
	dev_t sdev;
	ino_t sino;
	char host[256];
	struct conn *conns;
	size_t nconns;
	int *roots;            /* pidfds of the processes it must outlive */
	pid_t *root_pids;
	size_t nroots;
	int spare;             /* a descriptor kept to accept and close when out of them */
	bool retire;           /* make way for a daemon with other settings */
	struct fg_auditd_settings set;
	char *buf;
};

static void answer(int fd, char kind, int err)
{
	char m[8] = { kind };
	int32_t e = err;

	memcpy(m + 4, &e, 4);
	(void)send(fd, m, sizeof(m), MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void drop_conn(struct server *s, size_t i)
{
	close(s->conns[i].fd);
	free(s->conns[i].id);
	free(s->conns[i].agent);
	free(s->conns[i].exe);
	s->conns[i] = s->conns[--s->nconns];
}

static int set_ident(struct server *s, struct conn *c, uid_t uid)
{
	if (!c->id) {
		c->id = malloc(sizeof(*c->id));
		if (!c->id)
			return -ENOMEM;
	}
	return fg_rec_ident(c->id, s->host, uid, c->agent, c->exe);
}

/* Nobody but c uses the daemon: no root alive, no other connection open
 * (ones whose peer has gone but that the loop has not reaped yet count as
 * gone). */
static bool idle_but(struct server *s, const struct conn *c)
{
	for (size_t i = 0; i < s->nroots; i++) {
		struct pollfd p = { s->roots[i], POLLIN, 0 };
		if (poll(&p, 1, 0) == 0)
			return false;
	}
	for (size_t i = 0; i < s->nconns; i++) {
		char x;
		if (&s->conns[i] == c || s->conns[i].dead)
			continue;
		if (recv(s->conns[i].fd, &x, 1, MSG_PEEK | MSG_DONTWAIT) != 0)
			return false;
	}
	return true;
}

static int on_hello(struct server *s, struct conn *c, struct rbuf *b, const struct ucred *cr)
{
	const uint8_t *flags = take(b, 1);
	bool null, root;
	const char *agent = get_cstr(b, &null), *exe = get_cstr(b, &null);

	if (b->bad || c->agent)
		return -EBADMSG;
	root = *flags & F_ROOT;
	if (b->off != b->len) {
		/* the client's [audit] settings: they must be ours */
		const uint8_t *fs = take(b, 1);
		const void *ms = take(b, 8);
		const char *key = get_cstr(b, &null);
		uint64_t max_size = 0;

		if (b->bad || b->off != b->len || !key || *fs > FG_AUDIT_FSYNC_NEVER)
			return -EBADMSG;
		memcpy(&max_size, ms, 8);
		if (max_size != s->set.max_size ||
		    strcmp(key, s->set.keypath ? s->set.keypath : "") != 0) {
			/* a spawner with other settings: if nobody else uses
			 * us (lingering), make way for a daemon with its own */
			if (root && idle_but(s, c)) {
				s->retire = true;
				return -ESTALE;
			}
			return -EINVAL;
		}
		c->sync_each = *fs == FG_AUDIT_FSYNC_ALWAYS;
	}
	c->agent = strdup(agent ? agent : "");
	c->exe = strdup(exe ? exe : "");
	if (!c->agent || !c->exe)
		return -ENOMEM;
	if (root) {
		int pfd;
		size_t i;

		for (i = 0; i < s->nroots && s->root_pids[i] != cr->pid; i++)
			;
		if (i == s->nroots) {
			int *n;
			pid_t *np;

			if (s->nroots >= MAX_ROOTS)
				return -EMFILE;
			pfd = (int)syscall(SYS_pidfd_open, cr->pid, 0);
			if (pfd < 0)
				return -errno;
			n = realloc(s->roots, (s->nroots + 1) * sizeof(*n));
			if (n)
				s->roots = n;
			np = realloc(s->root_pids, (s->nroots + 1) * sizeof(*np));
			if (np)
				s->root_pids = np;
			if (!n || !np) {
				close(pfd);
				return -ENOMEM;
			}
			s->roots[s->nroots] = pfd;
			s->root_pids[s->nroots++] = cr->pid;
		}
	}
	return set_ident(s, c, cr->uid);
}

static struct decoded dec;

/* One message: 1 handled, 0 none waiting, -1 the connection should go. */
static int on_message(struct server *s, struct conn *c);

/* A flush is a barrier for the whole log: what other processes sent
 * before it (one that ended with _exit, say, and never flushed) is
 * appended before the answer.  Bounded, so a busy stream cannot hold the
 * flusher; not nested. */
static void drain_others(struct server *s, const struct conn *c)
{
	static bool draining;

	if (draining)
		return;
	draining = true;
	for (size_t i = 0; i < s->nconns; i++) {
		struct conn *o = &s->conns[i];
		int k = 0, r = 0;

		if (o == c || o->dead)
			continue;
		while (k < 1024 && (r = on_message(s, o)) == 1)
			k++;
		if (r < 0)
			o->dead = true;
	}
	draining = false;
}

static int on_message(struct server *s, struct conn *c)
{
	union {
		char b[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { s->buf, MSG_MAX };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			     .msg_controllen = sizeof(ctl.b) };
	struct ucred cr = { 0, (uid_t)-1, (gid_t)-1 };
	struct cmsghdr *cm;
	struct rbuf b;
	ssize_t n;
	int r;

	if (c->dead)
		return -1;
	n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return errno == EINTR ? 1 : errno == EAGAIN ? 0 : -1;
	if (n == 0)
		return -1;
	/* room for the credentials only: descriptors someone passes do not
	 * fit, so the kernel releases them and sets MSG_CTRUNC (refused below) */
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS)
			memcpy(&cr, CMSG_DATA(cm), sizeof(cr));
	/* no credentials from the kernel, or a cut message: not a client of ours */
	if (cr.pid <= 0 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		answer(c->fd, 'A', -EPROTO);
		return -1;
	}
	b = (struct rbuf){ s->buf + 1, (size_t)n - 1, 0, false };
	switch (s->buf[0]) {
	case 'H':
		r = on_hello(s, c, &b, &cr);
		answer(c->fd, 'A', r);
		return r == 0 ? 1 : -1;
	case 'F':
		if (!c->agent)
			return -1;
		drain_others(s, c);
		answer(c->fd, 'A', fg_audit_flush(s->a));
		return 1;
	case 'R':
		if (!c->agent)
			return -1;
		r = decode_rec(&b, &dec);
		if (r == 0 && c->id->uid != (uint32_t)cr.uid)
			r = set_ident(s, c, cr.uid);
		if (r == 0)
			r = fg_audit_append_as(s->a, c->id, cr.pid, &dec.rec);
		if (r == 0 && c->sync_each)
			r = fg_audit_sync(s->a);
		if (dec.sync || r < 0)
			answer(c->fd, dec.sync ? 'A' : 'E', r);
		return r == -EBADMSG ? -1 : 1;
	default:
		return -1;
	}
}

static int64_t mono_ms(void)
{
	return fg_audit_now_ns(CLOCK_MONOTONIC) / 1000000;
}

static void on_accept(struct server *s)
{
	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK), one = 1;
		struct conn *n;

		if (fd < 0 && (errno == EMFILE || errno == ENFILE) && s->spare >= 0) {
			/* out of descriptors: take the waiting connection with the
			 * spare one and end it, rather than spin on it */
			close(s->spare);
			fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				close(fd);
			s->spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				return;     /* none waiting (accept says EMFILE first) */
			continue;
		}
		if (fd < 0)
			return;
		if (s->nconns >= MAX_CONNS) {
			close(fd);
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
		n = realloc(s->conns, (s->nconns + 1) * sizeof(*n));
		if (!n) {
			close(fd);
			return;
		}
		s->conns = n;
		s->conns[s->nconns++] = (struct conn){ .fd = fd, .since = mono_ms() };
	}
}

/* Remove the socket's name if it still names ours (a new daemon may have
 * bound it since). */
static void unlink_if_ours(const struct server *s, const char *sockpath)
{
	struct stat st;

	if (stat(sockpath, &st) == 0 && st.st_dev == s->sdev && st.st_ino == s->sino)
		unlink(sockpath);
}

/* No root alive and no client: remove the socket if it is still ours, with
 * the directory lock that spawners hold, unless a connection is waiting. */
static bool try_leave(struct server *s, const char *sockpath, int lockfd)
{
	struct pollfd p = { s->lfd, POLLIN, 0 };
	bool leave = false;

	/* never wait for it: a spawner holding it may be waiting for our
	 * answer to its hello */
	if (flock(lockfd, LOCK_EX | LOCK_NB) < 0)
		return false;
	if (poll(&p, 1, 0) == 0) {
		unlink_if_ours(s, sockpath);
		leave = true;
	}
	flock(lockfd, LOCK_UN);
	return leave;
}

#define SPIN_NS 15000

/* Connections that have said no hello within HELLO_MS, and those a
 * flush found closed, go. */
static void drop_silent(struct server *s)
{
	int64_t now = mono_ms();

	for (size_t i = s->nconns; i-- > 0;)
		if (s->conns[i].dead || (!s->conns[i].agent && now - s->conns[i].since >= HELLO_MS))
			drop_conn(s, i);
}

static void serve_loop(struct server *s, const char *sockpath, int lockfd)
{
	struct pollfd *p = NULL;
	bool leaving = false, caught = false;
	int handled = 0;

	for (;;) {
		size_t np = 0, i;
		int n, timeout = -1;
		struct pollfd *q = realloc(p, (1 + s->nconns + s->nroots) * sizeof(*p));

		if (!q) {
			sleep(1);
			continue;
		}
		p = q;
		if (!leaving)
			p[np++] = (struct pollfd){ s->lfd, POLLIN, 0 };
		for (i = 0; i < s->nconns; i++)
			p[np++] = (struct pollfd){ s->conns[i].fd, POLLIN, 0 };
		for (i = 0; i < s->nroots; i++)
			p[np++] = (struct pollfd){ s->roots[i], POLLIN, 0 };
		if (s->nroots == 0 && s->nconns == 0) {
			if (leaving)
				break;
			timeout = FG_AUDITD_LINGER_MS;
		}
		/* wake for the first hello deadline */
		for (i = 0; i < s->nconns; i++)
			if (!s->conns[i].agent) {
				int64_t left = s->conns[i].since + HELLO_MS - mono_ms();
				int ms = left < 0 ? 0 : (int)left + 1;
				if (timeout < 0 || ms < timeout)
					timeout = ms;
			}
		/* a dense stream (records queued up while we woke, or caught
		 * by the last look): look again for a short while before
		 * sleeping, as waking a sleeping daemon costs the sender more
		 * than its record (an inter-processor interrupt, on a VM an
		 * exit).  A sparse stream never spins. */
		n = 0;
		if (handled > 1 || caught) {
			int64_t until = fg_audit_now_ns(CLOCK_MONOTONIC) + SPIN_NS;
			do
				n = poll(p, (nfds_t)np, 0);
			while (n == 0 && fg_audit_now_ns(CLOCK_MONOTONIC) < until);
		}
		caught = n > 0;
		if (n == 0)
			n = poll(p, (nfds_t)np, timeout);
		handled = 0;
		if (n < 0)
			continue;
		if (n == 0) {
			if (s->nroots == 0 && s->nconns == 0) {
				leaving = try_leave(s, sockpath, lockfd);
				if (leaving) {
					close(s->lfd);
					s->lfd = -1;
				}
			}
			drop_silent(s);
			continue;
		}
		np = leaving ? 0 : 1;
		/* roots first (from the end, as removal swaps in the last) */
		for (i = s->nroots; i-- > 0;)
			if (p[np + s->nconns + i].revents) {
				close(s->roots[i]);
				s->nroots--;
				s->roots[i] = s->roots[s->nroots];
				s->root_pids[i] = s->root_pids[s->nroots];
			}
		for (i = s->nconns; i-- > 0;) {
			short ev = p[np + i].revents;

			if (ev & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) {
				/* a few messages per turn, so one client cannot starve
				 * the rest; a hung-up peer's queued records first */
				int k = 0, r;
				while (k < 64 && (r = on_message(s, &s->conns[i])) == 1)
					k++;
				handled += k;
				if (k < 64 && r < 0)
					drop_conn(s, i);
			}
		}
		drop_silent(s);
		if (!leaving && (p[0].revents & POLLIN))
			on_accept(s);
		if (s->retire && !leaving) {
			/* the spawner that asked holds the directory lock and
			 * waits for us: the name is free to take */
			unlink_if_ours(s, sockpath);
			close(s->lfd);
			s->lfd = -1;
			leaving = true;
		}
	}
	free(p);
}

/* The daemon proper, in the grandchild: stdio on /dev/null, no descriptor
 * of the process it came from but the ready pipe, out of the way of the
 * terminal and the agent's signals to its group. */
static noreturn void serve(struct fg_audit *a, const char *sockpath, const char *dir, int ready)
{
	struct server s = { .a = a, .lfd = -1, .spare = -1 };
	struct rlimit rl;
	struct sockaddr_un sa;
	socklen_t salen = 0;
	struct stat st = { 0 };
	int fd, dfd = -1, lockfd, one = 1, r;
	char msg[PATH_MAX + 128];

	(void)prctl(PR_SET_NAME, "fg-auditd", 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	umask(077);
	if (chdir("/") < 0) {
		/* nothing depends on the working directory */
	}
	/* the ready pipe may sit on 0-2 when the spawner had them closed */
	if (ready <= 2) {
		fd = fcntl(ready, F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			quit(1);
		close(ready);
		ready = fd;
	}
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	if (ready > 3)
		syscall(SYS_close_range, 3U, (unsigned)ready - 1, 0U);
	syscall(SYS_close_range, (unsigned)ready + 1, ~0U, 0U);

	/* every client costs a descriptor: as many as the hard limit allows */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	s.spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fg_audit_settings(a, &s.set);
	r = gethostname(s.host, sizeof(s.host)) < 0 ? -1 : 0;
	if (r < 0)
		strcpy(s.host, "unknown");
	s.host[sizeof(s.host) - 1] = '\0';
	s.buf = malloc(MSG_MAX);
	lockfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = s.buf && lockfd >= 0 ? sock_addr(sockpath, &sa, &salen, &dfd) : -ENOMEM;
	if (r == 0) {
		s.lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (s.lfd < 0 || setsockopt(s.lfd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
		    bind(s.lfd, (struct sockaddr *)&sa, salen) < 0 || listen(s.lfd, 128) < 0 ||
		    stat(sockpath, &st) < 0)
			r = -errno;
		if (dfd >= 0)
			close(dfd);
	}
	if (r < 0) {
		snprintf(msg, sizeof(msg), "cannot listen on '%s': %s", sockpath, strerror(-r));
		(void)!write(ready, msg, strlen(msg));
		quit(1);
	}
	s.sdev = st.st_dev;
	s.sino = st.st_ino;
	(void)!write(ready, "", 1);
	close(ready);
	serve_loop(&s, sockpath, lockfd);
	fg_audit_close(a);
	quit(0);
}

/* Fork the daemon twice removed (so no process of the agent's has it as a
 * child to wait for) and wait until it listens or says why it cannot. */
static int spawn(struct fg_audit *a, const char *sockpath, const char *dir, char *err,
		 size_t errlen)
{
	int pfd[2], st;
	char msg[PATH_MAX + 128];
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		int r = -errno;
		snprintf(err, errlen, "cannot start the audit daemon: %s", strerror(-r));
		return r;
	}
	pid = fork();
	if (pid < 0) {
		int r = -errno;
		close(pfd[0]);
		close(pfd[1]);
		snprintf(err, errlen, "cannot start the audit daemon: %s", strerror(-r));
		return r;
	}
	if (pid == 0) {
		pid_t g;

		close(pfd[0]);
		setsid();
		g = fork();
		if (g != 0)
			quit(g < 0 ? 1 : 0);
		serve(a, sockpath, dir, pfd[1]);
	}
	close(pfd[1]);
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

int fg_auditd_ensure(struct fg_audit *a, const char *agent, const char *exe, char *err,
		     size_t errlen)
{
	struct fg_auditc c = { .fd = -1 };
	struct fg_auditd_settings set;
	char dir[PATH_MAX];
	const char *path = fg_audit_path(a), *slash = path ? strrchr(path, '/') : NULL;
	int lockfd, fd, r;

	if (errlen)
		err[0] = '\0';
	if (!slash)
		return -EINVAL;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash == path ? 1 : slash - path), path);
	fg_audit_sock_path(a, c.sockpath, sizeof(c.sockpath));
	c.agent = (char *)(agent ? agent : "");
	c.exe = (char *)(exe ? exe : "");
	fg_audit_settings(a, &set);
	c.has_set = true;
	c.fsync = (uint8_t)set.fsync;
	c.max_size = set.max_size;
	c.keypath = (char *)(set.keypath ? set.keypath : "");
	c.buf = malloc(MSG_MAX);
	if (!c.buf)
		return -ENOMEM;
	/* spawners and a leaving daemon take the directory's lock, so a stale
	 * socket is never taken for a live one or the other way round */
	lockfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lockfd < 0 || flock(lockfd, LOCK_EX) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot lock '%s': %s", dir, strerror(-r));
		goto out;
	}
	fd = connect_hello(&c, true);
	if (fd == -ECONNREFUSED || fd == -ENOENT || fd == -ESTALE) {
		/* no daemon (a socket left by one that died, or by one making way
		 * for other settings, is removed) */
		if (unlink(c.sockpath) < 0 && errno != ENOENT) {
			r = -errno;
			snprintf(err, errlen, "cannot remove '%s': %s", c.sockpath, strerror(-r));
			goto out;
		}
		r = spawn(a, c.sockpath, dir, err, errlen);
		if (r < 0)
			goto out;
		fd = connect_hello(&c, true);
	}
	if (fd == -EINVAL) {
		r = fd;
		snprintf(err, errlen, "the audit daemon at '%s' serves running agents and chains with another key_file or max_size than this policy's: policies that share a log must agree on them",
			 c.sockpath);
		goto out;
	}
	if (fd < 0) {
		r = fd;
		snprintf(err, errlen, "cannot reach the audit daemon at '%s': %s", c.sockpath,
			 strerror(-r));
		goto out;
	}
	close(fd);
	r = 0;
out:
	if (lockfd >= 0)
		close(lockfd);
	free(c.buf);
	return r;
}
