/* log.c - the writer: many processes and threads append to one chain.
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
 * Files, for a log at DIR/audit.log:
 *   DIR/audit.log        the active segment, opened O_APPEND
 *   DIR/audit.log.N      rotated segments, N = 1, 2, ... oldest first; the
 *                        chain runs audit.log.1, audit.log.2, ..., audit.log
 *   DIR/audit.log.head   the lock and the head of the chain (struct head),
 *                        mapped shared by every writer
 *
 * One append: take the process-wide mutex (threads), then the robust,
 * process-shared mutex inside the mapped head (no system call when nobody
 * else holds it), read seq and hash from the head, encode and hash the line,
 * write it with one write(), update the head, unlock.  The head's dirty flag
 * is set around the write: a writer killed in between leaves it set, and the
 * next writer compares the head with the log and either adopts the whole
 * record that did reach the file or ends the torn bytes with a newline and
 * appends a "repair" record naming them.  No byte of the log is ever
 * rewritten or removed.  A writer killed holding the mutex: the kernel marks
 * it owner-dead, the next locker gets EOWNERDEAD, makes it consistent and
 * runs the same recovery.
 *
 * flock() on the head (through a descriptor each process opens itself: the
 * lock belongs to the open file description) is kept for the rare paths:
 *  - creating, mapping and initialising the head, and rebuilding it when its
 *    magic or version is wrong.  The initialiser, holding the flock, zeroes
 *    the head, initialises the mutex, rebuilds the chain from the log, and
 *    stores the version and then the magic (release) last: a process that
 *    reads a good magic (acquire) knows the mutex is initialised, and one
 *    that does not takes the flock and checks again.  A rebuild therefore
 *    never meets a writer holding the mutex, except if the head is
 *    overwritten while in use, which only fleetguard's own files' denial
 *    prevents.  A mutex that reports ENOTRECOVERABLE (or any error) is
 *    treated the same way: the head is rebuilt under the flock, once per
 *    generation (gen counts the initialisations).
 *  - vfork children ("guests").  They share the parent's memory and so its
 *    thread's glibc identity, but not its kernel robust list: a guest killed
 *    holding the mutex would leave it owned by the parent's thread id with
 *    nobody to mark it owner-dead.  So a guest never takes the mutex; it
 *    takes the flock, sets head->guest, and waits until head->busy is clear
 *    (or the mutex says its holder died).  A mutex holder sets busy and then
 *    reads guest (both sequentially consistent, so at least one of them
 *    sees the other); seeing a guest it clears busy and waits for the flock,
 *    which a live guest holds for its whole append.  A guest killed anywhere
 *    drops its flock with its life; the next mutex holder that then gets the
 *    flock and still finds guest set clears it and recovers.
 * fork children are not guests: pthread_atfork holds audit_mu across fork,
 * so no thread of the parent holds the head mutex at that moment, and glibc
 * registers the child's robust list again.
 *
 * Space is reserved ahead with fallocate(KEEP_SIZE) so that a full disk makes
 * an append fail before any byte is written, instead of tearing a line.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <linux/futex.h>
#include <time.h>
#include <unistd.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#include "audit/cat2.h"
#include "audit/daemon.h"
#include "audit/record.h"

#define HEAD_MAGIC "FGAHEAD1"
#define HEAD_VERSION 3
#define HEAD_MAP_SIZE 4096
#define RESERVE_CHUNK (64 * 1024)
#define BATCH_NS 100000000LL

/* Where the chain ends. */
struct chain {
	uint64_t seq;         /* the last record's seq, 0 before the first */
	uint64_t size;        /* bytes of the active segment the chain covers */
	char hash[FG_HASH_HEX];
};

/* The shared head, in DIR/<log>.head.  The chain fields are read and written
 * only by the holder of mu (or of the flock, for guests and rebuilds). */
struct head {
	char magic[8];        /* stored last at initialisation; see head_valid() */
	uint32_t version;
	uint32_t dirty;       /* a writer may have stopped between write and update */
	uint32_t cur;         /* which st[] is in force; see commit() */
	uint32_t gen;         /* initialisations of mu so far */
	struct chain st[2];
	uint64_t segment;     /* segments rotated so far */
	uint64_t reserved;    /* active segment bytes preallocated */
	int64_t synced_ns;    /* CLOCK_MONOTONIC of the last batch fdatasync */
	uint32_t busy;        /* a holder of mu is appending (guests wait) */
	uint32_t guest;       /* a vfork child is appending under the flock */
	pthread_mutex_t mu;   /* robust, process-shared: the writers' lock */
};

_Static_assert(sizeof(struct head) <= HEAD_MAP_SIZE, "head larger than its map");

static uint64_t magic_word(void)
{
	uint64_t m;

	memcpy(&m, HEAD_MAGIC, sizeof(m));
	return m;
}

/* Is the head initialised (its mutex usable)? */
static bool head_valid(struct head *h)
{
	if (h == NULL)
		return false;
	return __atomic_load_n((uint64_t *)(void *)h->magic, __ATOMIC_ACQUIRE) == magic_word() &&
	       h->version == HEAD_VERSION;
}

static const struct chain *cur(const struct head *h)
{
	return &h->st[h->cur & 1];
}

/* Put a new end of chain in force with one aligned store, so that a writer
 * killed at any instruction leaves the old state or the new, never a mix of
 * one's seq and the other's hash. */
static void commit(struct head *h, uint64_t seq, uint64_t size, const char *hash)
{
	uint32_t next = (h->cur & 1) ^ 1;
	struct chain *n = &h->st[next];

	n->seq = seq;
	n->size = size;
	if (hash != n->hash)
		memcpy(n->hash, hash, FG_HASH_HEX);
	__atomic_store_n(&h->cur, next, __ATOMIC_RELEASE);
}

/* Every process that writes a record makes one of these, most of them a
 * client of the daemon that fills only the settings and the paths: those
 * come first and the paths are packed in names, so that such a process
 * touches one page of it (each first touch of a page is a fault, 25 us on
 * a paravirtualised machine: docs/PERFORMANCE.md, start-up); the record
 * identity only the in-process writer fills (49 KiB) comes last. */
struct fg_audit {
	char *path;                 /* canonical: realpath(dir) + "/" + base */
	size_t pathlen;
	size_t baseoff;             /* path + baseoff is the base name */
	const char *headpath;       /* path + ".head" */
	const char *sockpath;       /* path + ".sock", the daemon's */
	const char *keypath;        /* "" without a key */
	const char *state_dir;      /* the daemon's keys and witness file */
	size_t nameslen;            /* bytes of names in use */
	struct fg_auditc *remote;   /* records go to the audit daemon */
	char *witness, *forward;    /* [audit] witness and forward, or NULL */
	unsigned checkpoint_every;
	char *daemon_user;          /* [audit] daemon_user, or NULL */
	long daemon_uid;
	enum fg_audit_fsync fsync;
	uint64_t max_size;
	/* Descriptors, all opened by lock_pid itself: a child may close or
	 * reuse the numbers it inherited (Python's subprocess closes every fd
	 * before exec), so a new process opens its own by path first. */
	int dirfd;
	int headfd;                 /* the lock */
	int logfd;                  /* O_RDWR | O_APPEND on the active segment */
	pid_t lock_pid;
	struct fdid { dev_t dev; ino_t ino; } dir_id, head_id, log_id;
	uint64_t segment;           /* head->segment when logfd was opened */
	struct head *head;          /* mapped on first append */
	struct fg_hasher *hasher;
	char *line;                 /* FG_AUDIT_LINE_MAX bytes */
	pid_t checked_pid;          /* process that last compared head and log */
	bool unsynced;              /* batch: our records may not be on disk yet */
	bool no_fallocate;
	fg_audit_tap_fn *tap;       /* told of each record this writer appends */
	void *tap_arg;
	bool batch;                 /* between batch_begin and batch_end */
	struct batch *bat;          /* its lines, allocated at the first */
	/* path, headpath, sockpath, keypath and state_dir, one after the
	 * other */
	char names[5 * PATH_MAX + 32];
	struct fg_rec_ident id;
};

/* The free end of a->names, with room for a path of PATH_MAX + 8. */
static char *names_end(struct fg_audit *a)
{
	return a->names + a->nameslen;
}

/* The string just written at names_end() is kept there. */
static char *names_keep(struct fg_audit *a)
{
	char *s = a->names + a->nameslen;

	a->nameslen += strlen(s) + 1;
	return s;
}

/* Threads of one process share the record lock, so they also take this. */
static pthread_mutex_t audit_mu = PTHREAD_MUTEX_INITIALIZER;
/* The atfork handlers are registered once, under audit_mu: not with
 * pthread_once, whose first call ends with a futex wake-up (a system call
 * in every process). */
static bool atfork_done;
/* The process whose fd table our descriptors belong to.  A vfork child
 * (no atfork handler runs) shares our memory but not our fd table: it may
 * use the descriptors it inherited but must not store new ones. */
static pid_t audit_pid;

static void atfork_prepare(void)
{
	pthread_mutex_lock(&audit_mu);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&audit_mu);
}

static void atfork_child(void)
{
	audit_pid = getpid();
	pthread_mutex_unlock(&audit_mu);
}

static void atfork_register(void)
{
	pthread_mutex_lock(&audit_mu);
	if (!atfork_done) {
		atfork_done = true;
		pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	}
	pthread_mutex_unlock(&audit_mu);
}

/* The descriptor one append writes through, and whether it may be kept. */
struct wstate {
	pid_t pid;
	int dirfd;
	int lockfd;
	int fd;
	uint64_t segment;
	bool guest;   /* vfork child: new descriptors are closed, not stored */
};

/* --- small file helpers ------------------------------------------------- */

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static ssize_t pread_full(int fd, char *p, size_t n, uint64_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(fd, p + got, n - got, (off_t)(off + got));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static const char *base(const struct fg_audit *a)
{
	return a->path + a->baseoff;
}

static void segment_name(const struct fg_audit *a, uint64_t n, char *out, size_t cap)
{
	snprintf(out, cap, "%s.%llu", base(a), (unsigned long long)n);
}

static int open_active(const struct fg_audit *a, int dirfd)
{
	int fd = openat(dirfd, base(a),
			O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0600);
	return fd < 0 ? -errno : fg_audit_high_fd(fd);
}

static void get_id(int fd, struct fdid *id)
{
	struct stat st;

	if (fstat(fd, &st) == 0) {
		id->dev = st.st_dev;
		id->ino = st.st_ino;
	}
}

/* Does fd still refer to the file it was opened on? */
static bool still_ours(int fd, const struct fdid *id)
{
	struct stat st;

	return fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == id->dev && st.st_ino == id->ino;
}

/* Point w at the active segment for head->segment. */
static int reopen_active(struct fg_audit *a, struct wstate *w)
{
	int fd = open_active(a, w->dirfd);

	if (fd < 0)
		return fd;
	if (w->fd != a->logfd)
		close(w->fd);           /* a guest's earlier temporary */
	w->fd = fd;
	w->segment = a->head->segment;
	if (!w->guest) {
		close(a->logfd);
		a->logfd = fd;
		a->segment = w->segment;
		get_id(fd, &a->log_id);
	}
	return 0;
}

/* --- the head ----------------------------------------------------------- */

static int lock_head(int fd, int op)
{
	while (flock(fd, op) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

static int open_head(const struct fg_audit *a)
{
	int fd = open(a->headpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0600);
	return fd < 0 ? -errno : fg_audit_high_fd(fd);
}

static int open_dir(const struct fg_audit *a)
{
	char dir[PATH_MAX];
	int fd;

	snprintf(dir, sizeof(dir), "%.*s", a->baseoff > 1 ? (int)a->baseoff - 1 : 1, a->path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fg_audit_high_fd(fd);
}

static void close_if_ours(int fd, const struct fdid *id)
{
	if (still_ours(fd, id))
		close(fd);
}

/* The first append of a process other than the one that opened the
 * descriptors: open its own by path (an inherited flock would also be
 * shared with the parent).  A vfork child, which shares our memory but not
 * our descriptor table, uses them for this append only. */
static int take_fds(struct fg_audit *a, struct wstate *w)
{
	int dfd, hfd, lfd;

	dfd = open_dir(a);
	if (dfd < 0)
		return dfd;
	hfd = open_head(a);
	if (hfd < 0) {
		close(dfd);
		return hfd;
	}
	lfd = open_active(a, dfd);
	if (lfd < 0) {
		close(hfd);
		close(dfd);
		return lfd;
	}
	w->dirfd = dfd;
	w->lockfd = hfd;
	w->fd = lfd;
	w->segment = UINT64_MAX;
	if (w->guest)
		return 0;
	/* the old numbers may now be someone else's files, or the very numbers
	 * just opened: close only ours, and not those */
	int old[3] = { a->dirfd, a->headfd, a->logfd };
	const struct fdid *ids[3] = { &a->dir_id, &a->head_id, &a->log_id };
	for (int i = 0; i < 3; i++)
		if (old[i] != dfd && old[i] != hfd && old[i] != lfd)
			close_if_ours(old[i], ids[i]);
	a->dirfd = dfd;
	a->headfd = hfd;
	a->logfd = lfd;
	a->segment = UINT64_MAX;
	get_id(dfd, &a->dir_id);
	get_id(hfd, &a->head_id);
	get_id(lfd, &a->log_id);
	a->lock_pid = w->pid;
	return 0;
}

/* Find the last line of fd (before end) that has a record frame; set seq,
 * hash and *after (the offset just past its newline).  Lines longer than the
 * buffer are skipped.  Returns 1 if found, 0 if none, or -errno. */
static int tail_record(int fd, uint64_t end, char *buf, size_t cap,
		       uint64_t *seq, char hash[FG_HASH_HEX], uint64_t *after)
{
	while (end > 0) {
		uint64_t start = end > cap ? end - cap : 0;
		ssize_t n = pread_full(fd, buf, (size_t)(end - start), start);
		const char *nl, *prev, *h;
		size_t i;

		if (n < 0)
			return (int)n;
		if ((uint64_t)n != end - start)
			return -EIO;
		/* the last newline ends the candidate line */
		nl = memrchr(buf, '\n', (size_t)n);
		if (!nl) {
			if (start == 0)
				return 0;
			end = start;
			continue;
		}
		i = (size_t)(nl - buf);
		const char *ls = memrchr(buf, '\n', i);
		size_t lstart = ls ? (size_t)(ls - buf) + 1 : 0;
		if (!ls && start > 0) {
			/* the line does not fit: look before it */
			end = start;
			continue;
		}
		if (fg_rec_frame(buf + lstart, i - lstart, seq, &prev, &h) == 0) {
			memcpy(hash, h, FG_HASH_HEX);
			*after = start + i + 1;
			return 1;
		}
		end = start + lstart;
	}
	return 0;
}

/* The offset just past the last newline before end (0 if none). */
static int last_line_end(int fd, uint64_t end, char *buf, size_t cap, uint64_t *out)
{
	while (end > 0) {
		uint64_t start = end > cap ? end - cap : 0;
		ssize_t n = pread_full(fd, buf, (size_t)(end - start), start);
		const char *nl;

		if (n < 0)
			return (int)n;
		if ((uint64_t)n != end - start)
			return -EIO;
		nl = memrchr(buf, '\n', (size_t)n);
		if (nl) {
			*out = start + (uint64_t)(nl - buf) + 1;
			return 0;
		}
		end = start;
	}
	*out = 0;
	return 0;
}

/* The head file is missing or not ours: rebuild it from the log files. */
static int rebuild_head(struct fg_audit *a, struct wstate *w)
{
	struct head *h = a->head;
	char name[PATH_MAX];
	struct stat st;
	uint64_t nseg = 0, seq = 0, after = 0;
	char hash[FG_HASH_HEX];
	int r;

	if (h == NULL)
		return -EINVAL;
	memset(hash, '0', sizeof(hash));
	for (;;) {
		segment_name(a, nseg + 1, name, sizeof(name));
		if (fstatat(w->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			break;
		nseg++;
	}
	uint32_t gen = h->gen + 1;
	pthread_mutexattr_t ma;
	__atomic_store_n((uint64_t *)(void *)h->magic, 0, __ATOMIC_RELEASE);
	memset(h, 0, sizeof(*h));
	h->gen = gen;
	r = pthread_mutexattr_init(&ma);
	if (r)
		return -r;
	r = pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	if (!r)
		r = pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	if (!r)
		r = pthread_mutex_init(&h->mu, &ma);
	pthread_mutexattr_destroy(&ma);
	if (r)
		return -r;
	h->segment = nseg;
	r = reopen_active(a, w);
	if (r < 0)
		return r;
	if (fstat(w->fd, &st) < 0)
		return -errno;
	r = tail_record(w->fd, (uint64_t)st.st_size, a->line, FG_AUDIT_LINE_MAX,
			&seq, hash, &after);
	/* nothing whole in the active segment: the chain ends in a segment */
	for (uint64_t s = nseg; r == 0 && s > 0; s--) {
		int fd;
		segment_name(a, s, name, sizeof(name));
		fd = openat(w->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			return -errno;
		if (fstat(fd, &st) < 0)
			r = -errno;
		else
			r = tail_record(fd, (uint64_t)st.st_size, a->line, FG_AUDIT_LINE_MAX,
					&seq, hash, &after);
		close(fd);
		after = 0;      /* the active segment is covered from its start */
	}
	if (r < 0)
		return r;
	h->st[0].seq = seq;
	h->st[0].size = after;
	memcpy(h->st[0].hash, hash, FG_HASH_HEX);
	h->cur = 0;
	h->dirty = 1;   /* let recover() look at whatever follows */
	h->version = HEAD_VERSION;
	/* last: whoever reads this magic finds the mutex initialised */
	__atomic_store_n((uint64_t *)(void *)h->magic, magic_word(), __ATOMIC_RELEASE);
	return 0;
}

static int map_head(struct fg_audit *a, int fd)
{
	struct stat st;
	void *p;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size < HEAD_MAP_SIZE) {
		/* written, not ftruncate()d: a hole filled later through the map
		 * would raise SIGBUS on a full disk instead of returning ENOSPC */
		static const char zeros[HEAD_MAP_SIZE];
		size_t have = (size_t)st.st_size;
		while (have < HEAD_MAP_SIZE) {
			ssize_t n = pwrite(fd, zeros, HEAD_MAP_SIZE - have, (off_t)have);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return n < 0 ? -errno : -EIO;
			have += (size_t)n;
		}
	}
	p = mmap(NULL, HEAD_MAP_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	a->head = p;
	return 0;
}

/* --- appending ---------------------------------------------------------- */

/* Make sure len more bytes at head->size can be written without ENOSPC or
 * EFBIG part way through a line. */
static int reserve(struct fg_audit *a, struct wstate *w, size_t len)
{
	struct head *h = a->head;
	uint64_t size = cur(h)->size;
	struct rlimit rl;
	uint64_t want = size + len + RESERVE_CHUNK;

	if (size + len <= h->reserved)
		return 0;
	if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		if (size + len > rl.rlim_cur)
			return -EFBIG;
		if (want > rl.rlim_cur)
			want = rl.rlim_cur;
	}
	if (a->no_fallocate) {
		h->reserved = want;
		return 0;
	}
	if (fallocate(w->fd, FALLOC_FL_KEEP_SIZE, (off_t)size, (off_t)(want - size)) == 0) {
		h->reserved = want;
		return 0;
	}
	if (errno == EOPNOTSUPP || errno == ENOSYS) {
		a->no_fallocate = true;
		h->reserved = want;
		return 0;
	}
	if (errno != ENOSPC && errno != EFBIG && errno != EDQUOT)
		return -errno;
	/* nearly full: is there room for this line alone? */
	if (fallocate(w->fd, FALLOC_FL_KEEP_SIZE, (off_t)size, (off_t)len) < 0)
		return -errno;
	h->reserved = size + len;
	return 0;
}

/* The active segment would grow past max_size: it becomes the next
 * numbered segment and a new one starts.  A failed rename keeps writing to
 * the current segment (nothing is lost, the segment is just larger). */
static void maybe_rotate(struct fg_audit *a, struct wstate *w, size_t len)
{
	struct head *h = a->head;
	const struct chain *c = cur(h);
	char name[PATH_MAX];

	if (!a->max_size || c->size == 0 || c->size + len <= a->max_size)
		return;
	if (a->fsync != FG_AUDIT_FSYNC_NEVER)
		fdatasync(w->fd);
	segment_name(a, h->segment + 1, name, sizeof(name));
	h->dirty = 1;
	if (renameat(w->dirfd, base(a), w->dirfd, name) < 0) {
		h->dirty = 0;
		return;
	}
	h->segment++;
	commit(h, c->seq, 0, c->hash);
	h->reserved = 0;
	if (reopen_active(a, w) == 0 && a->fsync != FG_AUDIT_FSYNC_NEVER)
		fsync(w->dirfd);
	h->dirty = 0;
}

/* Append one record with the lock held and the head consistent. */
static int append_locked(struct fg_audit *a, struct wstate *w, const struct fg_rec_ident *id,
			 pid_t pid, const struct fg_audit_rec *rec, bool *sync_now)
{
	struct head *h = a->head;
	struct fg_buf b = { a->line, 0, FG_AUDIT_LINE_MAX, false };
	struct timespec ts;
	char hex[FG_HASH_HEX];
	size_t hashed;
	int r;

	clock_gettime(CLOCK_REALTIME, &ts);
	r = fg_rec_encode(&b, cur(h)->seq + 1, &ts, id, pid, rec, cur(h)->hash);
	if (r < 0)
		return r;
	hashed = b.len;
	r = fg_hasher_line(a->hasher, b.p, hashed, hex);
	if (r < 0)
		return r;
	r = fg_rec_finish(&b, hex);
	if (r < 0)
		return r;
	maybe_rotate(a, w, b.len);
	r = reserve(a, w, b.len);
	if (r < 0)
		return r;
	h->dirty = 1;
	r = write_all(w->fd, b.p, b.len);
	if (r < 0)
		return r;       /* dirty stays set: the next writer repairs */
	if (a->fsync == FG_AUDIT_FSYNC_ALWAYS && fdatasync(w->fd) < 0) {
		r = -errno;
		/* the line is in the file; the head must follow it */
	}
	commit(h, cur(h)->seq + 1, cur(h)->size + b.len, hex);
	if (h->reserved < cur(h)->size)
		h->reserved = cur(h)->size;
	h->dirty = 0;
	if (a->tap)
		a->tap(a->tap_arg, cur(h)->seq, hex, b.p, b.len);
	if (a->fsync == FG_AUDIT_FSYNC_BATCH) {
		int64_t now = fg_audit_now_ns(CLOCK_MONOTONIC);
		if (now - h->synced_ns >= BATCH_NS) {
			h->synced_ns = now;
			*sync_now = true;
		} else
			a->unsynced = true;
	}
	return r;
}

/* Is the line at p the record that follows the head? */
static bool follows_head(struct fg_audit *a, const char *p, size_t len)
{
	uint64_t seq;
	const char *prev, *hash;
	char hex[FG_HASH_HEX];

	if (fg_rec_frame(p, len, &seq, &prev, &hash) < 0)
		return false;
	if (seq != cur(a->head)->seq + 1 || memcmp(prev, cur(a->head)->hash, FG_HASH_HEX) != 0)
		return false;
	if (fg_hasher_line(a->hasher, p, len - FG_TRAILER_HASH_LEN, hex) < 0)
		return false;
	return memcmp(hex, hash, FG_HASH_HEX) == 0;
}

/* Bytes past head->size: adopt whole records that chain from the head
 * (their writer died before updating it), then end whatever else is there
 * with a newline and append a repair record naming it. */
static int absorb(struct fg_audit *a, struct wstate *w, uint64_t fsize, bool *sync_now)
{
	struct head *h = a->head;
	uint64_t off = cur(h)->size, blob_len, pos;
	char hex[FG_HASH_HEX], last;
	struct fg_hasher *sha;
	ssize_t n;
	int r;

	while (off < fsize) {
		const char *nl;
		n = pread_full(w->fd, a->line, (size_t)(fsize - off < FG_AUDIT_LINE_MAX ?
						       fsize - off : FG_AUDIT_LINE_MAX), off);
		if (n <= 0)
			return n < 0 ? (int)n : -EIO;
		nl = memchr(a->line, '\n', (size_t)n);
		if (!nl || !follows_head(a, a->line, (size_t)(nl - a->line)))
			break;
		off += (uint64_t)(nl - a->line) + 1;
		commit(h, cur(h)->seq + 1, off, nl - FG_HASH_HEX - 2);
	}
	if (off == fsize)
		return 0;

	/* a torn or foreign span [off, fsize): hash it without its final newline */
	n = pread_full(w->fd, &last, 1, fsize - 1);
	if (n != 1)
		return n < 0 ? (int)n : -EIO;
	blob_len = fsize - off - (last == '\n');
	r = fg_hasher_new(&sha, NULL, 0);
	if (r < 0)
		return r;
	r = fg_hasher_begin(sha);
	for (pos = off; r == 0 && pos < off + blob_len; ) {
		size_t want = off + blob_len - pos < FG_AUDIT_LINE_MAX ?
			      (size_t)(off + blob_len - pos) : FG_AUDIT_LINE_MAX;
		n = pread_full(w->fd, a->line, want, pos);
		if (n <= 0) {
			r = n < 0 ? (int)n : -EIO;
			break;
		}
		r = fg_hasher_update(sha, a->line, (size_t)n);
		pos += (uint64_t)n;
	}
	if (r == 0)
		r = fg_hasher_end(sha, hex);
	fg_hasher_free(sha);
	if (r < 0)
		return r;
	if (last != '\n') {
		commit(h, cur(h)->seq, fsize, cur(h)->hash);
		r = reserve(a, w, 1);
		if (r == 0)
			r = write_all(w->fd, "\n", 1);
		if (r < 0) {
			commit(h, cur(h)->seq, off, cur(h)->hash);
			return r;
		}
		fsize++;
	}
	commit(h, cur(h)->seq, fsize, cur(h)->hash);

	struct fg_audit_field f[3] = {
		{ .key = "offset", .type = FG_AF_INT, .i = (int64_t)off },
		{ .key = "length", .type = FG_AF_INT, .i = (int64_t)blob_len },
		{ .key = "sha256", .type = FG_AF_STR, .s = hex, .len = FG_HASH_HEX },
	};
	struct fg_audit_rec rec = { .op = "repair", .f = f, .nf = 3 };
	return append_locked(a, w, &a->id, w->pid, &rec, sync_now);
}

/* Compare the head with the files; run when a writer may have died mid-way
 * and once per process. */
static int recover(struct fg_audit *a, struct wstate *w, bool *sync_now)
{
	struct head *h = a->head;
	char name[PATH_MAX];
	struct stat st;
	int r;

	/* a rotation that stopped after its rename */
	for (;;) {
		segment_name(a, h->segment + 1, name, sizeof(name));
		if (fstatat(w->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			break;
		h->segment++;
		commit(h, cur(h)->seq, 0, cur(h)->hash);
		h->reserved = 0;
	}
	r = reopen_active(a, w);
	if (r < 0)
		return r;
	if (fstat(w->fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size < cur(h)->size) {
		/* bytes the head covered are gone (truncated or replaced behind
		 * our back): keep chaining from the head so the loss shows as a
		 * seq gap, after the file's last whole line */
		uint64_t end = 0;
		r = last_line_end(w->fd, (uint64_t)st.st_size, a->line, FG_AUDIT_LINE_MAX, &end);
		if (r < 0)
			return r;
		commit(h, cur(h)->seq, end, cur(h)->hash);
		h->reserved = 0;
	}
	if ((uint64_t)st.st_size > cur(h)->size) {
		r = absorb(a, w, (uint64_t)st.st_size, sync_now);
		if (r < 0)
			return r;
	}
	h->dirty = 0;
	if (!w->guest)  /* a vfork child's pid in our memory would only make us check again */
		a->checked_pid = w->pid;
	return 0;
}

/* With the flock held: map the head if this process has not, and
 * (re)initialise it if it is not valid. */
static int setup_head_locked(struct fg_audit *a, struct wstate *w)
{
	int r;

	if (!a->head) {
		r = map_head(a, w->lockfd);
		if (r < 0)
			return r;
	}
	if (!head_valid(a->head))
		return rebuild_head(a, w);
	return 0;
}

static int setup_head(struct fg_audit *a, struct wstate *w, uint32_t stale_gen, bool stale)
{
	int r = lock_head(w->lockfd, LOCK_EX);

	if (r < 0)
		return r;
	/* a mutex gone bad: rebuild, unless another writer already did */
	if (stale && a->head && head_valid(a->head) && a->head->gen == stale_gen)
		__atomic_store_n((uint64_t *)(void *)a->head->magic, 0, __ATOMIC_RELEASE);
	r = setup_head_locked(a, w);
	lock_head(w->lockfd, LOCK_UN);
	return r;
}

/* Has the holder of the head's mutex died without anyone taking it since? */
static bool holder_died(struct head *h)
{
#ifdef __GLIBC__
	/* the robust futex word, which the kernel marks when the owner dies */
	return (__atomic_load_n(&h->mu.__data.__lock, __ATOMIC_ACQUIRE) & FUTEX_OWNER_DIED) != 0;
#else
	int r = pthread_mutex_trylock(&h->mu);

	if (r == EOWNERDEAD) {
		pthread_mutex_consistent(&h->mu);
		pthread_mutex_unlock(&h->mu);
		return true;
	}
	if (r == 0)
		pthread_mutex_unlock(&h->mu);
	return false;
#endif
}

/* How this append holds the chain. */
enum hold { HOLD_NONE = 0, HOLD_MU = 1, HOLD_FLOCK = 2 };

/* A vfork child: take the flock, announce itself, wait for the mutex
 * holder to finish or back off. */
static int enter_guest(struct fg_audit *a, struct wstate *w, unsigned *hold, bool *dead)
{
	static const struct timespec nap = { 0, 100000 };
	int r = lock_head(w->lockfd, LOCK_EX);

	if (r < 0)
		return r;
	*hold = HOLD_FLOCK;
	do {
		r = setup_head_locked(a, w);
		if (r < 0)
			return r;
		__atomic_store_n(&a->head->guest, 1, __ATOMIC_SEQ_CST);
		while (__atomic_load_n(&a->head->busy, __ATOMIC_SEQ_CST)) {
			if (holder_died(a->head)) {
				*dead = true;
				break;
			}
			nanosleep(&nap, NULL);
		}
	} while (!head_valid(a->head));
	return 0;
}

/* Take the head's mutex; fall back to the flock when a guest is in. */
static int enter_writer(struct fg_audit *a, struct wstate *w, unsigned *hold, bool *dead)
{
	for (int rebuilt = 0;;) {
		struct head *h = a->head;
		uint32_t gen;
		int r;

		if (!h || !head_valid(h)) {
			r = setup_head(a, w, 0, false);
			if (r < 0)
				return r;
			continue;
		}
		gen = h->gen;
		r = pthread_mutex_lock(&h->mu);
		if (r == EOWNERDEAD) {
			/* its holder died: the head may be half updated */
			pthread_mutex_consistent(&h->mu);
			*dead = true;
			r = 0;
		}
		if (r != 0) {
			if (++rebuilt > 3)
				return -r;
			r = setup_head(a, w, gen, true);
			if (r < 0)
				return r;
			continue;
		}
		if (!head_valid(h)) {
			pthread_mutex_unlock(&h->mu);
			continue;
		}
		*hold = HOLD_MU;
		__atomic_store_n(&h->busy, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&h->guest, __ATOMIC_SEQ_CST)) {
			__atomic_store_n(&h->busy, 0, __ATOMIC_SEQ_CST);
			r = lock_head(w->lockfd, LOCK_EX);
			if (r < 0)
				return r;
			*hold |= HOLD_FLOCK;
			if (h->guest) {
				/* a live guest clears it before its flock goes:
				 * this one died part way */
				h->guest = 0;
				*dead = true;
			}
		}
		return 0;
	}
}

static void leave(struct fg_audit *a, struct wstate *w, unsigned hold)
{
	struct head *h = a->head;

	if (!h) {
		/* nothing mapped: no mutex held, nothing to clear */
		if (hold & HOLD_FLOCK)
			lock_head(w->lockfd, LOCK_UN);
		return;
	}
	if (hold & HOLD_MU)
		__atomic_store_n(&h->busy, 0, __ATOMIC_SEQ_CST);
	else if (hold & HOLD_FLOCK)
		__atomic_store_n(&h->guest, 0, __ATOMIC_SEQ_CST);
	if (hold & HOLD_FLOCK)
		lock_head(w->lockfd, LOCK_UN);
	if (hold & HOLD_MU)
		pthread_mutex_unlock(&h->mu);
}

/* Hold the chain for this process (descriptors, locks, recovery): the
 * part of an append before its line.  exit_writer() undoes it, whatever
 * this returned. */
static int enter(struct fg_audit *a, struct wstate *w, unsigned *hold, bool *sync_now)
{
	bool dead = false;
	int ret;

	w->fd = a->logfd;
	w->lockfd = a->headfd;
	w->dirfd = a->dirfd;
	w->segment = a->segment;
	w->pid = getpid();
	w->guest = w->pid != audit_pid;
	*hold = HOLD_NONE;
	if (a->lock_pid != w->pid) {
		ret = take_fds(a, w);
		if (ret < 0)
			return ret;
	}
	if (w->guest)
		ret = enter_guest(a, w, hold, &dead);
	else
		ret = enter_writer(a, w, hold, &dead);
	if (ret < 0)
		return ret;
	if (dead)
		a->head->dirty = 1;
	if (a->head->dirty || a->checked_pid != w->pid)
		return recover(a, w, sync_now);
	if (w->segment != a->head->segment)
		return reopen_active(a, w);
	return 0;
}

/* Let the chain go; the batch sync when due.  Returns ret or the sync's
 * failure. */
static int exit_writer(struct fg_audit *a, struct wstate *w, unsigned hold, bool sync_now,
		       int ret)
{
	leave(a, w, hold);
	if (w->lockfd != a->headfd)
		close(w->lockfd);
	if (w->dirfd != a->dirfd)
		close(w->dirfd);
	if (ret == 0 && sync_now) {
		/* batch: one fdatasync for the whole fleet at most every 100 ms */
		if (fdatasync(w->fd) < 0)
			ret = -errno;
		else
			a->unsynced = false;
	}
	if (w->fd != a->logfd)
		close(w->fd);
	return ret;
}

static int append_as(struct fg_audit *a, const struct fg_rec_ident *id, pid_t pid,
		     const struct fg_audit_rec *r)
{
	struct wstate w;
	bool sync_now = false;
	unsigned hold = HOLD_NONE;
	int ret, cancel;

	if (!a || !r)
		return -EINVAL;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
	pthread_mutex_lock(&audit_mu);
	if (a->remote && r->handover && a->fsync != FG_AUDIT_FSYNC_ALWAYS) {
		ret = fg_auditc_handover(a->remote, r, getpid() != audit_pid, r->handover);
		pthread_mutex_unlock(&audit_mu);
		pthread_setcancelstate(cancel, NULL);
		return ret;
	}
	if (a->remote) {
		pid_t self = getpid();

		ret = fg_auditc_append_from(a->remote, r,
					    a->fsync == FG_AUDIT_FSYNC_ALWAYS || r->barrier, self,
					    self != audit_pid);
		pthread_mutex_unlock(&audit_mu);
		pthread_setcancelstate(cancel, NULL);
		return ret;
	}
	if (a->batch) {
		ret = -EBUSY;   /* the batch's owner appends with fg_audit_batch_add */
		goto out;
	}
	ret = enter(a, &w, &hold, &sync_now);
	if (ret == 0)
		ret = append_locked(a, &w, id ? id : &a->id, pid ? pid : w.pid, r, &sync_now);
	ret = exit_writer(a, &w, hold, sync_now, ret);
out:
	pthread_mutex_unlock(&audit_mu);
	pthread_setcancelstate(cancel, NULL);
	return ret;
}

/* --- batches (the audit daemon) ------------------------------------------ */

#define BATCH_MAX 256
#define BATCH_BYTES (64 * 1024)

struct batch {
	struct wstate w;
	unsigned hold;
	int cancel;
	bool sync_now;
	uint64_t seq;                   /* the last line's */
	char prev[FG_HASH_HEX];         /* and its hash */
	size_t n, len;
	size_t off[BATCH_MAX];
	char hash[BATCH_MAX][FG_HASH_HEX];
	char buf[BATCH_BYTES + FG_AUDIT_LINE_MAX];
};

int fg_audit_batch_begin(struct fg_audit *a)
{
	struct batch *b;
	int ret;

	if (!a || a->remote || a->batch)
		return -EINVAL;
	if (!a->bat) {
		a->bat = malloc(sizeof(*a->bat));
		if (!a->bat)
			return -ENOMEM;
	}
	b = a->bat;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &b->cancel);
	pthread_mutex_lock(&audit_mu);
	b->sync_now = false;
	ret = enter(a, &b->w, &b->hold, &b->sync_now);
	if (ret < 0) {
		ret = exit_writer(a, &b->w, b->hold, b->sync_now, ret);
		pthread_mutex_unlock(&audit_mu);
		pthread_setcancelstate(b->cancel, NULL);
		return ret;
	}
	b->seq = cur(a->head)->seq;
	memcpy(b->prev, cur(a->head)->hash, FG_HASH_HEX);
	b->n = b->len = 0;
	a->batch = true;
	return 0;
}

int fg_audit_batch_add(struct fg_audit *a, const struct fg_rec_ident *id, pid_t pid,
		       const struct fg_audit_rec *rec)
{
	struct batch *bt = a->bat;
	struct fg_buf b = { a->line, 0, FG_AUDIT_LINE_MAX, false };
	uint64_t size = cur(a->head)->size;
	struct timespec ts;
	char hex[FG_HASH_HEX];
	int r;

	if (!a->batch)
		return -EINVAL;
	if (bt->n >= BATCH_MAX || bt->len >= BATCH_BYTES)
		return -EAGAIN;
	clock_gettime(CLOCK_REALTIME, &ts);
	r = fg_rec_encode(&b, bt->seq + 1, &ts, id, pid, rec, bt->prev);
	if (r == 0)
		r = fg_hasher_line(a->hasher, b.p, b.len, hex);
	if (r == 0)
		r = fg_rec_finish(&b, hex);
	if (r < 0)
		return r;
	/* a rotation starts a new segment: one record at a time there */
	if (a->max_size && size + bt->len > 0 && size + bt->len + b.len > a->max_size)
		return -EAGAIN;
	r = reserve(a, &bt->w, bt->len + b.len);
	if (r < 0)
		return r;
	memcpy(bt->buf + bt->len, b.p, b.len);
	bt->off[bt->n] = bt->len;
	memcpy(bt->hash[bt->n], hex, FG_HASH_HEX);
	bt->len += b.len;
	bt->n++;
	bt->seq++;
	memcpy(bt->prev, hex, FG_HASH_HEX);
	return 0;
}

/* The batch's lines in one write, then the head, then the taps. */
static int batch_write(struct fg_audit *a, struct batch *bt)
{
	struct head *h = a->head;
	uint64_t size = cur(h)->size;
	int r;

	h->dirty = 1;
	r = write_all(bt->w.fd, bt->buf, bt->len);
	if (r < 0)
		return r;       /* dirty stays set: the next writer repairs */
	if (a->fsync == FG_AUDIT_FSYNC_ALWAYS && fdatasync(bt->w.fd) < 0)
		r = -errno;
	commit(h, bt->seq, size + bt->len, bt->prev);
	if (h->reserved < cur(h)->size)
		h->reserved = cur(h)->size;
	h->dirty = 0;
	for (size_t i = 0; a->tap && i < bt->n; i++) {
		size_t end = i + 1 < bt->n ? bt->off[i + 1] : bt->len;
		a->tap(a->tap_arg, bt->seq - bt->n + 1 + i, bt->hash[i], bt->buf + bt->off[i],
		       end - bt->off[i]);
	}
	if (a->fsync == FG_AUDIT_FSYNC_BATCH) {
		int64_t now = fg_audit_now_ns(CLOCK_MONOTONIC);
		if (now - h->synced_ns >= BATCH_NS) {
			h->synced_ns = now;
			bt->sync_now = true;
		} else
			a->unsynced = true;
	}
	return r;
}

int fg_audit_batch_end(struct fg_audit *a)
{
	struct batch *bt = a ? a->bat : NULL;
	int ret = 0;

	if (!a || !a->batch)
		return 0;
	if (bt->n > 0)
		ret = batch_write(a, bt);
	a->batch = false;
	ret = exit_writer(a, &bt->w, bt->hold, bt->sync_now, ret);
	pthread_mutex_unlock(&audit_mu);
	pthread_setcancelstate(bt->cancel, NULL);
	return ret;
}

int fg_audit_append(struct fg_audit *a, const struct fg_audit_rec *r)
{
	return append_as(a, NULL, 0, r);
}

int fg_audit_append_as(struct fg_audit *a, const struct fg_rec_ident *id, pid_t pid,
		       const struct fg_audit_rec *r)
{
	return append_as(a, id, pid, r);
}

void fg_audit_handback(struct fg_audit *a, struct fg_audit_handover *h)
{
	if (a && a->remote && h && h->fd >= 0)
		fg_auditc_handback(a->remote, h);
}

int fg_audit_flush(struct fg_audit *a)
{
	int ret = 0;

	if (!a)
		return 0;
	pthread_mutex_lock(&audit_mu);
	if (a->remote)
		ret = fg_auditc_flush(a->remote);
	else if (a->unsynced && a->lock_pid == getpid()) {
		if (fdatasync(a->logfd) < 0)
			ret = -errno;
		else
			a->unsynced = false;
	}
	pthread_mutex_unlock(&audit_mu);
	return ret;
}

int fg_audit_barrier(struct fg_audit *a)
{
	int ret = 0;

	if (!a || !a->remote)
		return 0;
	pthread_mutex_lock(&audit_mu);
	ret = fg_auditc_barrier(a->remote);
	pthread_mutex_unlock(&audit_mu);
	return ret;
}

/* --- open and close ----------------------------------------------------- */

/* mkdir -p with 0700 for the components that do not exist yet. */
static int make_dirs(char *dir)
{
	struct stat st;

	if (stat(dir, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			int r = -errno;
			*p = '/';
			return r;
		}
		*p = '/';
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* What writer_new does on the way to the log: resolve the paths only,
 * also make the missing directories, or also open the directory. */
enum { WN_PATHS = 0, WN_DIRS, WN_OPEN };

/* The log's directory, absolute (cut at its last slash), and in *base its
 * base name (checked).  In small (LOG_DIR_SMALL bytes, the caller's) when
 * it fits, else malloc'd: not two PATH_MAX buffers on the stack (every
 * page the stack grows by is a fault at start-up), and no malloc for the
 * usual short absolute path (a descendant's constructor calls none). */
#define LOG_DIR_SMALL 256
static int log_dir(const char *path, char *small, char **dirp, const char **base, char *err,
		   size_t errlen)
{
	char *cwd = NULL, *dir, *slash;
	size_t clen = 0, plen = strlen(path), dlen;

	if (path[0] != '/') {
		cwd = getcwd(NULL, 0);
		if (!cwd)
			return -errno;
		clen = strlen(cwd) + 1;
	}
	dir = clen + plen < LOG_DIR_SMALL ? small :
	      clen + plen < PATH_MAX ? malloc(clen + plen + 1) : NULL;
	if (!dir) {
		free(cwd);
		return clen + plen < PATH_MAX ? -ENOMEM : -ENAMETOOLONG;
	}
	if (cwd) {
		memcpy(dir, cwd, clen - 1);
		dir[clen - 1] = '/';
		free(cwd);
	}
	memcpy(dir + clen, path, plen + 1);
	slash = strrchr(dir, '/');
	*base = path + (slash + 1 - dir - clen);
	if (!slash[1] || !strcmp(slash + 1, ".") || !strcmp(slash + 1, "..")) {
		snprintf(err, errlen, "audit log '%s' does not name a file", path);
		if (dir != small)
			free(dir);
		return -EINVAL;
	}
	if (strlen(slash + 1) > NAME_MAX) {
		if (dir != small)
			free(dir);
		return -ENAMETOOLONG;
	}
	dlen = (size_t)(slash - dir);
	dir[dlen ? dlen : 1] = '\0';
	*dirp = dir;
	return 0;
}

/* canonical: path's directory is canonical already (sealed so): taken as
 * it is, without a readlink per component. */
static int set_paths(struct fg_audit *a, const char *path, bool canonical, int create, char *err,
		     size_t errlen)
{
	const char *b = NULL;
	char *dir = NULL, *real = names_end(a), small[LOG_DIR_SMALL];
	size_t dlen;
	int r = log_dir(path, small, &dir, &b, err, errlen);

	if (r < 0 || dir == NULL || b == NULL)
		return r < 0 ? r : -EINVAL;
	r = create != WN_PATHS ? make_dirs(dir) : 0;
	if (r < 0)
		snprintf(err, errlen, "cannot create directory '%s': %s", dir, strerror(-r));
	else if (canonical && path[0] == '/')
		fg_cat2(real, PATH_MAX, dir, "");
	else if (!realpath(dir, real)) {
		r = -errno;
		snprintf(err, errlen, "cannot resolve directory '%s': %s", dir, strerror(-r));
	}
	if (dir != small)
		free(dir);
	if (r < 0)
		return r;
	dlen = strlen(real);
	if (dlen == 1)
		dlen = 0;       /* "/" */
	if (dlen + 1 + strlen(b) + 8 >= PATH_MAX)
		return -ENAMETOOLONG;
	if (create == WN_OPEN) {
		a->dirfd = fg_audit_high_fd(open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
		if (a->dirfd < 0) {
			r = -errno;
			snprintf(err, errlen, "cannot open directory '%s': %s", real, strerror(-r));
			return r;
		}
	}
	/* the path over the directory's canonical name in names */
	a->path = real;
	a->path[dlen] = '/';
	strcpy(a->path + dlen + 1, b);
	a->baseoff = dlen + 1;
	a->pathlen = strlen(names_keep(a));
	fg_cat2(names_end(a), PATH_MAX + 8, a->path, ".head");
	a->headpath = names_keep(a);
	fg_cat2(names_end(a), PATH_MAX + 8, a->path, ".sock");
	a->sockpath = names_keep(a);
	return 0;
}

/* The first writer of a process: zero pages of the library's cold .lbss
 * (shim/shim.h, FG_COLD), mapped by the loader with the rest of it, so a
 * process's one handle costs no mmap (21 us on a paravirtualised guest,
 * docs/PERFORMANCE.md) and faults in only the pages it writes, as fresh
 * anonymous pages did.  Used once per process image, never given back (a
 * fork child goes on with its parent's handle, copied with it). */
static __attribute__((section(".lbss.fleetguard"), aligned(4096))) struct fg_audit first_writer;
static bool first_writer_taken;

static void writer_free(struct fg_audit *a)
{
	free(a->bat);
	free(a->witness);
	free(a->forward);
	free(a->daemon_user);
	if (a == &first_writer)
		return;
#ifdef __SANITIZE_ADDRESS__
	__lsan_unregister_root_region(a, sizeof(*a));
#endif
	munmap(a, sizeof(*a));
}

/* A zeroed writer.  It is about 66 KiB, nearly all of it path and
 * identity buffers that a client of the daemon never fills: fresh
 * anonymous pages are zero and cost nothing until touched, where calloc
 * (from an arena already in use) cleared and so faulted in all sixteen
 * pages in every process, each fault 25 us on a paravirtualised machine
 * (docs/PERFORMANCE.md, start-up).  LeakSanitizer scans only the heap,
 * stacks and globals: under ASan the pages are registered with it, or
 * what the writer points to (its line buffer, its hasher) would be
 * reported as leaked by any process that exits with a writer open. */
static struct fg_audit *writer_alloc(void)
{
	void *m;

	if (!__atomic_exchange_n(&first_writer_taken, true, __ATOMIC_ACQ_REL))
		return &first_writer;
	m = mmap(NULL, sizeof(struct fg_audit), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);

	if (m == MAP_FAILED)
		return NULL;
#ifdef __SANITIZE_ADDRESS__
	__lsan_register_root_region(m, sizeof(struct fg_audit));
#endif
	return m;
}

/* What a writer and a client of the daemon both start with: the settings
 * and the log's canonical paths (create: its directory made and opened). */
static int writer_new(const struct fg_audit_conf *conf, int create, struct fg_audit **out,
		      char *err, size_t errlen)
{
	struct fg_audit *a;
	int r;

	if (errlen)
		err[0] = '\0';
	if (!conf || !conf->path || !*conf->path || !out) {
		snprintf(err, errlen, "no audit log path given");
		return -EINVAL;
	}
	atfork_register();
	a = writer_alloc();
	if (!a) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	a->dirfd = a->headfd = a->logfd = -1;
	a->fsync = conf->fsync;
	a->max_size = conf->max_size;
	r = set_paths(a, conf->path, conf->canonical, create, err, errlen);
	if (r < 0) {
		if (errlen && !err[0])
			snprintf(err, errlen, "audit log '%s': %s", conf->path, strerror(-r));
		writer_free(a);
		return r;
	}
	names_end(a)[0] = '\0';
	if (conf->key_file && !realpath(conf->key_file, names_end(a)))
		fg_cat2(names_end(a), PATH_MAX, conf->key_file, "");
	a->keypath = names_keep(a);
	if (conf->state_dir && conf->state_dir[0])
		fg_cat2(names_end(a), PATH_MAX, conf->state_dir, "");
	else
		fg_audit_default_state(names_end(a), PATH_MAX);
	a->state_dir = names_keep(a);
	a->checkpoint_every = conf->checkpoint_every;
	a->witness = conf->witness ? strdup(conf->witness) : NULL;
	a->forward = conf->forward ? strdup(conf->forward) : NULL;
	a->daemon_user = conf->daemon_user ? strdup(conf->daemon_user) : NULL;
	a->daemon_uid = conf->daemon_user ? conf->daemon_uid : -1;
	if ((conf->witness && !a->witness) || (conf->forward && !a->forward) ||
	    (conf->daemon_user && !a->daemon_user)) {
		writer_free(a);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	*out = a;
	return 0;
}

/* The descriptors and connections a writer opens belong to this process. */
static void claim_process(void)
{
	pthread_mutex_lock(&audit_mu);
	audit_pid = getpid();
	pthread_mutex_unlock(&audit_mu);
}

int fg_audit_open(const struct fg_audit_conf *conf, struct fg_audit **out,
		  char *err, size_t errlen)
{
	unsigned char key[FG_KEY_MAX];
	size_t keylen = 0;
	char host[256];
	struct fg_audit *a;
	int r;

	r = writer_new(conf, WN_OPEN, &a, err, errlen);
	if (r < 0)
		return r;
	if (conf->key_file) {
		r = fg_key_load(conf->key_file, key, &keylen, err, errlen);
		if (r < 0)
			goto out_close;
	}
	r = fg_hasher_new(&a->hasher, conf->key_file ? key : NULL, keylen);
	explicit_bzero(key, sizeof(key));
	if (r < 0) {
		snprintf(err, errlen, "cannot set up %s from libcrypto: %s",
			 conf->key_file ? "HMAC-SHA256" : "SHA-256", strerror(-r));
		goto out_close;
	}
	if (gethostname(host, sizeof(host)) < 0)
		strcpy(host, "unknown");
	host[sizeof(host) - 1] = '\0';
	r = fg_rec_ident(&a->id, host, getuid(), conf->agent, conf->exe);
	if (r < 0) {
		snprintf(err, errlen, "agent or exe name too long");
		goto out_close;
	}
	a->line = malloc(FG_AUDIT_LINE_MAX);
	if (!a->line) {
		r = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out_close;
	}
	a->headfd = open_head(a);
	a->lock_pid = getpid();
	if (a->headfd < 0) {
		r = a->headfd;
		snprintf(err, errlen, "cannot open '%s': %s", a->headpath, strerror(-r));
		goto out_close;
	}
	a->logfd = open_active(a, a->dirfd);
	if (a->logfd < 0) {
		r = a->logfd;
		snprintf(err, errlen, "cannot open audit log '%s': %s", a->path, strerror(-r));
		goto out_close;
	}
	a->segment = UINT64_MAX;        /* unknown until the first append */
	get_id(a->dirfd, &a->dir_id);
	get_id(a->headfd, &a->head_id);
	get_id(a->logfd, &a->log_id);
	claim_process();
	*out = a;
	return 0;

out_close:
	if (a->logfd >= 0)
		close(a->logfd);
	if (a->headfd >= 0)
		close(a->headfd);
	close(a->dirfd);
	fg_hasher_free(a->hasher);
	free(a->line);
	writer_free(a);
	return r;
}

/* The client of a's daemon for conf: over a connection an exec handed
 * over when there is one; else a new one, started (spawn) or not. */
static int client_for(struct fg_audit *a, const struct fg_audit_conf *conf, bool spawn,
		      char *err, size_t errlen)
{
	struct fg_audit_handover hand = { .fd = conf->handed_fd, .owed = conf->handed_owed };
	struct fg_auditd_settings set;
	const char *sock = a->sockpath;

	fg_audit_settings(a, &set);
	if (conf->handed_fd >= 3)
		return fg_auditc_adopt(sock, spawn ? a : NULL, conf->agent, conf->exe, &set, &hand,
				       &a->remote, err, errlen);
	if (spawn)
		return fg_auditc_start(sock, a, conf->agent, conf->exe, &set, conf->root,
				       conf->settle_later, conf->follower, &a->remote, err, errlen);
	if (conf->owe_hello)
		return fg_auditc_attach(sock, conf->agent, conf->exe, &set, &a->remote, err, errlen);
	return fg_auditc_new(sock, conf->agent, conf->exe, &set, &a->remote, err, errlen);
}

/* A handle whose appends go to the daemon; spawn: start one if none
 * serves the log (making the log's directory first). */
static int open_client(const struct fg_audit_conf *conf, bool spawn, struct fg_audit **out,
		       char *err, size_t errlen)
{
	struct fg_audit *a;
	int r;

	r = writer_new(conf, spawn ? WN_DIRS : WN_PATHS, &a, err, errlen);
	if (r < 0)
		return r;
	r = client_for(a, conf, spawn, err, errlen);
	if (r < 0) {
		writer_free(a);
		return r;
	}
	claim_process();
	*out = a;
	return 0;
}

int fg_audit_open_paths(const struct fg_audit_conf *conf, struct fg_audit **out, char *err,
			size_t errlen)
{
	return writer_new(conf, WN_PATHS, out, err, errlen);
}

int fg_audit_open_remote(const struct fg_audit_conf *conf, struct fg_audit **out,
			 char *err, size_t errlen)
{
	return open_client(conf, false, out, err, errlen);
}

int fg_audit_open_client(const struct fg_audit_conf *conf, struct fg_audit **out,
			 char *err, size_t errlen)
{
	return open_client(conf, true, out, err, errlen);
}

int fg_audit_settle(struct fg_audit *a, char *err, size_t errlen)
{
	if (errlen)
		err[0] = '\0';
	return a->remote ? fg_auditc_settle(a->remote, a, err, errlen) : 0;
}

bool fg_audit_daemon_gone(const struct fg_audit *a)
{
	return a->remote != NULL && fg_auditc_gone(a->remote);
}

void fg_audit_set_tap(struct fg_audit *a, fg_audit_tap_fn *fn, void *arg)
{
	a->tap = fn;
	a->tap_arg = arg;
}

int fg_audit_sync(struct fg_audit *a)
{
	int ret = 0;

	pthread_mutex_lock(&audit_mu);
	if (!a->remote && a->lock_pid == getpid() && fdatasync(a->logfd) < 0)
		ret = -errno;
	else if (!a->remote && a->lock_pid == getpid())
		a->unsynced = false;
	pthread_mutex_unlock(&audit_mu);
	return ret;
}

int fg_audit_sync_due_ms(struct fg_audit *a)
{
	int64_t left = -1;

	pthread_mutex_lock(&audit_mu);
	if (!a->remote && a->unsynced && a->head) {
		left = (a->head->synced_ns + BATCH_NS - fg_audit_now_ns(CLOCK_MONOTONIC)) / 1000000;
		if (left < 0)
			left = 0;
	}
	pthread_mutex_unlock(&audit_mu);
	return (int)left;
}

int fg_audit_sync_batch(struct fg_audit *a)
{
	int ret = 0;

	pthread_mutex_lock(&audit_mu);
	if (!a->remote && a->unsynced && a->head && a->lock_pid == getpid()) {
		if (fdatasync(a->logfd) < 0)
			ret = -errno;
		else
			a->unsynced = false;
		/* a failed sync is tried again in 100 ms, not in a loop */
		a->head->synced_ns = fg_audit_now_ns(CLOCK_MONOTONIC);
	}
	pthread_mutex_unlock(&audit_mu);
	return ret;
}

void fg_audit_settings(const struct fg_audit *a, struct fg_auditd_settings *out)
{
	out->fsync = (int)a->fsync;
	out->max_size = a->max_size;
	out->keypath = a->keypath;
	out->state_dir = a->state_dir;
	out->witness = a->witness;
	out->forward = a->forward;
	out->checkpoint_every = a->checkpoint_every;
	out->daemon_user = a->daemon_user;
	out->daemon_uid = a->daemon_uid;
}

void fg_audit_sock_path(const struct fg_audit *a, char *out, size_t cap)
{
	fg_cat2(out, cap, a->sockpath, "");
}

/* The three calls below lock like an append: a and its client are
 * shared by the process's threads. */
int fg_audit_append_owed(struct fg_audit *a, const struct fg_audit_rec *r)
{
	int ret;

	if (!a || !a->remote || !r)
		return -EINVAL;
	pthread_mutex_lock(&audit_mu);
	ret = fg_auditc_append_owed(a->remote, r);
	pthread_mutex_unlock(&audit_mu);
	return ret;
}

int fg_audit_owed_wait(struct fg_audit *a)
{
	int ret;

	if (!a || !a->remote)
		return -EINVAL;
	pthread_mutex_lock(&audit_mu);
	ret = fg_auditc_owed_wait(a->remote);
	pthread_mutex_unlock(&audit_mu);
	return ret;
}

int fg_audit_pool_open(struct fg_audit *a)
{
	int ret;

	if (!a || !a->remote)
		return -EINVAL;
	pthread_mutex_lock(&audit_mu);
	ret = fg_auditc_pool_open(a->remote);
	pthread_mutex_unlock(&audit_mu);
	return ret;
}

bool fg_audit_is_pool(struct fg_audit *a, int fd)
{
	bool r;

	if (!a || !a->remote)
		return false;
	pthread_mutex_lock(&audit_mu);
	r = fg_auditc_is_pool(a->remote, fd);
	pthread_mutex_unlock(&audit_mu);
	return r;
}

int fg_audit_handover_new(struct fg_audit *a, struct fg_audit_handover *h)
{
	int ret;

	h->fd = -1;
	if (!a || !a->remote)
		return -EINVAL;
	pthread_mutex_lock(&audit_mu);
	ret = fg_auditc_handover_new(a->remote, h);
	pthread_mutex_unlock(&audit_mu);
	return ret;
}

void fg_audit_close_sent(struct fg_audit *a)
{
	if (a && a->remote) {
		fg_auditc_free(a->remote);
		writer_free(a);
		return;
	}
	fg_audit_close(a);
}

void fg_audit_close(struct fg_audit *a)
{
	if (!a)
		return;
	if (a->remote) {
		fg_audit_flush(a);
		fg_auditc_free(a->remote);
		writer_free(a);
		return;
	}
	fg_audit_flush(a);
	if (a->head)
		munmap(a->head, HEAD_MAP_SIZE);
	/* in a child the numbers may belong to someone else by now */
	close_if_ours(a->logfd, &a->log_id);
	close_if_ours(a->headfd, &a->head_id);
	close_if_ours(a->dirfd, &a->dir_id);
	fg_hasher_free(a->hasher);
	free(a->line);
	writer_free(a);
}

/* --- ownership ---------------------------------------------------------- */

bool fg_audit_owns(const struct fg_audit *a, const char *path, size_t len)
{
	size_t klen;

	if (!a || !path)
		return false;
	klen = strlen(a->keypath);
	if (klen && len == klen && memcmp(path, a->keypath, len) == 0)
		return true;
	/* the daemon's signing key and witness files */
	klen = strlen(a->state_dir);
	if (klen && len > klen + 7 && memcmp(path, a->state_dir, klen) == 0 &&
	    memcmp(path + klen, "/audit/", 7) == 0)
		return true;
	if (len < a->pathlen || memcmp(path, a->path, a->pathlen) != 0)
		return false;
	if (len == a->pathlen)
		return true;
	if (path[a->pathlen] != '.' || len == a->pathlen + 1)
		return false;
	if (len == a->pathlen + 5 && (memcmp(path + a->pathlen, ".head", 5) == 0 ||
				      memcmp(path + a->pathlen, ".sock", 5) == 0))
		return true;
	if (len == a->pathlen + 8 && memcmp(path + a->pathlen, ".reserve", 8) == 0)
		return true;
	for (size_t i = a->pathlen + 1; i < len; i++)
		if (path[i] < '0' || path[i] > '9')
			return false;
	return true;
}

bool fg_audit_owns_below(const struct fg_audit *a, const char *path, size_t len)
{
	if (!a || !path)
		return false;
	while (len > 1 && path[len - 1] == '/')
		len--;
	if (len == 1 && path[0] == '/')
		return true;
	/* path is a directory on the way to the log: the log's directory or above */
	return len < a->baseoff && memcmp(path, a->path, len) == 0 && a->path[len] == '/';
}

const char *fg_audit_path(const struct fg_audit *a)
{
	return a ? a->path : NULL;
}
