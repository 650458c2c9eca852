/* server.c - the audit daemon's loop: the only writer of one log.
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
 * fg-auditd (fg-auditd.c) opens the writer and calls fg_auditd_serve().
 * Every client sends its records over <log>.sock (wire.h).  The daemon
 * takes pid and uid from the kernel (SCM_CREDENTIALS, attached to every
 * message), the host from itself and agent and exe from the connection's
 * hello, and encodes, chains and appends with the ordinary writer.  The
 * agent can add records in its own name, never change or remove one.
 *
 * A record without SYNC costs the sender one send(); records of one
 * connection are appended in the order sent; a flush also appends what
 * every other connection had queued (a process that ended with _exit
 * never flushes).  Lifetime: a process that applies a domain says ROOT in
 * its hello and the daemon holds a pidfd for it; with no live root and no
 * client for FG_AUDITD_LINGER_MS the daemon removes its socket and exits.
 * One process holds at most PER_PID_CONNS connections, so that one agent
 * cannot take every connection and keep another from starting.
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
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "audit/checkpoint.h"
#include "audit/daemon.h"
#include "audit/wire.h"

/* a connection that has not said hello within this goes */
#define HELLO_MS 2000
/* the most connections and registered processes a daemon keeps */
#define MAX_CONNS 4096
#define MAX_ROOTS 4096
/* the most connections of one process */
#define PER_PID_CONNS 16
/* Connections one pid may have made that have not said hello yet (each
 * has HELLO_MS to do so): more, since under fleetguard run's supervisor one
 * pid makes them for a whole tree of starting processes. */
#define PER_PID_PENDING 256

/* --- the daemon ---------------------------------------------------------- */

struct conn {
	int fd;
	pid_t peer;            /* the process that connected; after hello, the one that said it */
	pid_t maker;           /* the process that connected (under fleetguard run's
				* supervisor: the supervisor, which connects for the agent) */
	bool dead;             /* found closed or refused: drop it */
	int64_t since;         /* accepted at (monotonic ms), for the hello deadline */
	bool sync_each;        /* its policy says fsync = always */
	bool follow;           /* a follower (wire.h): not a user that keeps us */
	struct fg_rec_ident *id;
	char *agent, *exe;
	struct fg_auditw_ring *ring; /* its process's ring (wire.h), or NULL */
	uint64_t rtail;        /* what we took from it: ours, never read back */
	bool pool;             /* a tree's pool ('P'): spares go down it */
	unsigned spares;       /* (a pool) spares queued on it, not greeted yet */
	int spare_of;          /* a spare not greeted yet: its pool's fd, else -1 */
	bool from_pool;        /* made here, not accepted: a spare */
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
	const char *sockpath;  /* the name it listens on */
	int64_t idle_since;    /* no root, no client since (monotonic ms), or 0 */
	int nap;               /* ms a sleep with a ring open lasts (rings_sleep) */
	struct fg_auditd_settings set;
	char *buf;
	char *rbuf;            /* a ring entry, copied out before it is read */
	struct fg_ckpt *ck;    /* checkpoints and witnesses, or NULL */
	int resfd;             /* the disk-space reserve */
	bool res_held;
	unsigned since_rearm;
	size_t last_len;       /* the length of the message recv_msg took last */
	int unheard;           /* a record failed whose process may never read
				* the 'E' (it need not wait at its exit): told
				* again with the next drain's answer */
	bool draining;         /* a drain (or a making way) is under way: no
				* other drain, and so no accept, inside it */
	bool refill;           /* a pool may be short of spares (pool_refill) */
};

static void answer(int fd, char kind, int err)
{
	char m[8] = { kind };
	int32_t e = err;

	memcpy(m + 4, &e, 4);
	(void)send(fd, m, sizeof(m), MSG_NOSIGNAL | MSG_DONTWAIT);
}

static int ring_drain(struct server *s, struct conn *c, size_t most);
static void ring_close(struct server *s, struct conn *c);
static int on_message(struct server *s, struct conn *c);

static int64_t mono_ms(void);

static struct conn *pool_of(struct server *s, int fd)
{
	for (size_t i = 0; fd >= 0 && i < s->nconns; i++)
		if (s->conns[i].pool && s->conns[i].fd == fd)
			return &s->conns[i];
	return NULL;
}

/* A spare was greeted, or went without: its pool gets another. */
static void spare_gone(struct server *s, struct conn *c)
{
	struct conn *p = pool_of(s, c->spare_of);

	if (p && p->spares > 0)
		p->spares--;
	c->spare_of = -1;
	s->refill = true;
}

static void drop_conn(struct server *s, size_t i)
{
	if (s->conns[i].spare_of >= 0)
		spare_gone(s, &s->conns[i]);
	/* its spares still queued go when the tree's last process does (the
	 * kernel closes what was never taken): they stop counting here */
	for (size_t j = 0; s->conns[i].pool && j < s->nconns; j++)
		if (s->conns[j].spare_of == s->conns[i].fd) {
			s->conns[j].spare_of = -1;
			s->conns[j].since = mono_ms();  /* a hello deadline from now */
		}
	/* its ring's last records first (a process that died right after
	 * appending loses none) */
	ring_close(s, &s->conns[i]);
	/* a process went (or at least its connection): its records are
	 * checkpointed within FG_CKPT_SOON_MS, at once when it was the last
	 * one (what a verifier run after the tree ends reads) */
	if (s->conns[i].agent)
		(void)(s->nconns == 1 && s->nroots == 0 ? fg_ckpt_emit(s->ck) : fg_ckpt_soon(s->ck));
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
 * but followers' (ones whose peer has gone but that the loop has not
 * reaped yet count as gone). */
static bool idle_but(struct server *s, const struct conn *c)
{
	for (size_t i = 0; i < s->nroots; i++) {
		struct pollfd p = { s->roots[i], POLLIN, 0 };
		if (poll(&p, 1, 0) == 0)
			return false;
	}
	for (size_t i = 0; i < s->nconns; i++) {
		char x;
		if (&s->conns[i] == c || s->conns[i].dead || s->conns[i].follow)
			continue;
		if (recv(s->conns[i].fd, &x, 1, MSG_PEEK | MSG_DONTWAIT) != 0)
			return false;
	}
	return true;
}

static size_t conns_of(const struct server *s, pid_t pid, bool greeted, const struct conn *but);

/* Remove the socket's name if it still names ours (a new daemon may have
 * bound it since). */
static void unlink_if_ours(const struct server *s, const char *sockpath)
{
	struct stat st;

	if (stat(sockpath, &st) == 0 && st.st_dev == s->sdev && st.st_ino == s->sino)
		unlink(sockpath);
}

/* Making way: each follower (a lingering gateway) is hung up, so that it
 * leaves too (fg_audit_daemon_gone); what it sent before is appended
 * first (its ring's records and its queued messages), and a record it
 * sends after fails on its side (EPIPE) and goes to the next daemon. */
static void let_followers_go(struct server *s, const struct conn *c)
{
	bool was = s->draining;

	/* o and c (and on_message's caller's pointer) are held across the
	 * followers' messages: a barrier among them must not accept, which
	 * may move s->conns */
	s->draining = true;
	for (size_t i = 0; i < s->nconns; i++) {
		struct conn *o = &s->conns[i];
		int k = 0;

		if (o == c || o->dead || !o->follow)
			continue;
		(void)shutdown(o->fd, SHUT_RDWR);
		while (k < 1024 && on_message(s, o) == 1)
			k++;
		ring_close(s, o);
		o->dead = true;
	}
	s->draining = was;
	(void)fg_ckpt_emit(s->ck);
}

/* Is what is left of b nothing, or a record ('R': never the first byte
 * of a hello's settings, an fsync mode)? */
static bool record_or_end(const struct fg_auditw_in *b)
{
	return b->off == b->len || b->p[b->off] == 'R';
}

/* The client's [audit] settings in its hello: they must be ours.  A
 * spawner (root) with others, when nobody else uses us (lingering), makes
 * us make way for a daemon with its own. */
static int hello_settings(struct server *s, struct conn *c, struct fg_auditw_in *b, bool root)
{
	const uint8_t *fs = fg_auditw_take(b, 1);
	const void *ms = fg_auditw_take(b, 8);
	bool null;
	const char *key = fg_auditw_get_cstr(b, &null);
	uint64_t max_size = 0;

	if (b->bad || !record_or_end(b) || !key || *fs > FG_AUDIT_FSYNC_NEVER)
		return -EBADMSG;
	memcpy(&max_size, ms, 8);
	if (max_size != s->set.max_size || strcmp(key, s->set.keypath ? s->set.keypath : "") != 0) {
		if (root && idle_but(s, c)) {
			/* the name goes before the answer: the spawner binds it
			 * next, and a name removed after the answer could be
			 * the new daemon's */
			s->retire = true;
			let_followers_go(s, c);
			unlink_if_ours(s, s->sockpath);
			return -ESTALE;
		}
		return -EINVAL;
	}
	c->sync_each = *fs == FG_AUDIT_FSYNC_ALWAYS;
	return 0;
}

static int on_hello(struct server *s, struct conn *c, struct fg_auditw_in *b, const struct ucred *cr)
{
	const uint8_t *flags = fg_auditw_take(b, 1);
	bool null, root;
	const char *agent = fg_auditw_get_cstr(b, &null), *exe = fg_auditw_get_cstr(b, &null);
	int r;

	if (b->bad || c->agent)
		return -EBADMSG;
	/* a spare was never accepted: the limit at accept is checked here,
	 * by the pid that says hello */
	if (c->from_pool && conns_of(s, cr->pid, true, c) >= PER_PID_CONNS)
		return -EMFILE;
	root = *flags & FG_AUDITW_ROOT;
	c->follow = *flags & FG_AUDITW_FOLLOW;
	/* settings, then maybe a record in the same message */
	if (!record_or_end(b) && (r = hello_settings(s, c, b, root)) < 0)
		return r;
	c->peer = cr->pid;      /* counted as this process's from now on */
	c->agent = strdup(agent ? agent : "");
	c->exe = strdup(exe ? exe : "");
	if (!c->agent || !c->exe)
		return -ENOMEM;
	/* a follower outlives no one: its ROOT only asked us to make way */
	if (root && !c->follow) {
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

/* The process on c exec'd a new image on the connection its old image
 * handed over: its records carry the new name from here on.  The new
 * image's first record may follow in the same message ('R' and its body
 * after exe): b is left at it. */
static int on_rename(struct server *s, struct conn *c, struct fg_auditw_in *b,
		     const struct ucred *cr)
{
	bool null;
	const char *agent = fg_auditw_get_cstr(b, &null), *exe = fg_auditw_get_cstr(b, &null);
	char *na, *ne;

	if (b->bad || (b->off != b->len && b->p[b->off] != 'R') || !c->agent)
		return -EBADMSG;
	na = strdup(agent ? agent : "");
	ne = strdup(exe ? exe : "");
	if (!na || !ne) {
		free(na);
		free(ne);
		return -ENOMEM;
	}
	free(c->agent);
	free(c->exe);
	c->agent = na;
	c->exe = ne;
	return set_ident(s, c, cr->uid);
}

/* cold in the library's processes (shim/shim.h, FG_COLD) */
static __attribute__((section(".lbss.fleetguard"))) struct fg_auditw_rec dec;

/* --- the disk-space reserve ------------------------------------------------ */

/* <log>.reserve holds RESERVE_BYTES on the log's file system.  When the
 * disk is full, a removal's record (which frees space once the call goes
 * ahead) may use it: the reserve is given back and the record appended.
 * It is taken again once there is room. */
#define RESERVE_BYTES (256 * 1024)
#define REARM_EVERY 64

static void reserve_take(struct server *s)
{
	if (s->resfd < 0 || s->res_held)
		return;
	if (fallocate(s->resfd, 0, 0, RESERVE_BYTES) == 0)
		s->res_held = true;
}

static void reserve_open(struct server *s, const char *sockpath)
{
	char path[PATH_MAX + 16];
	size_t n = strlen(sockpath) - strlen(".sock");

	snprintf(path, sizeof(path), "%.*s.reserve", (int)n, sockpath);
	s->resfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	reserve_take(s);
}

static bool frees_space(const struct fg_audit_rec *r)
{
	return strcmp(r->op, "unlink") == 0 || strcmp(r->op, "rmdir") == 0;
}

static int append_rec(struct server *s, const struct fg_rec_ident *id, pid_t pid,
		      const struct fg_audit_rec *r)
{
	int ret = fg_audit_append_as(s->a, id, pid, r);

	if ((ret == -ENOSPC || ret == -EDQUOT) && frees_space(r) && s->res_held &&
	    ftruncate(s->resfd, 0) == 0) {
		s->res_held = false;
		s->since_rearm = 0;
		ret = fg_audit_append_as(s->a, id, pid, r);
	}
	if (ret == 0 && !s->res_held && ++s->since_rearm >= REARM_EVERY) {
		s->since_rearm = 0;
		reserve_take(s);
	}
	return ret;
}

/* --- the rings ------------------------------------------------------------ */

/* Copy n bytes at ring offset at (modulo the data size) out of the map. */
static void ring_copy_out(const struct fg_auditw_ring *h, uint64_t at, void *out, size_t n)
{
	const char *data = (const char *)h + FG_AUDITW_RING_OFF;
	size_t off = (size_t)(at % FG_AUDITW_RING_DATA), first = FG_AUDITW_RING_DATA - off;

	if (first > n)
		first = n;
	memcpy(out, data + off, first);
	memcpy((char *)out + first, data, n - first);
}

/* A failure of a ring record, told to its client ('E', counted in the
 * ring so that the client knows to read it). */
static void ring_failed(struct server *s, struct conn *c, int r)
{
	s->unheard = r;
	answer(c->fd, 'E', r);
	__atomic_fetch_add(&c->ring->errs, 1, __ATOMIC_RELEASE);
}

/* End the batch *open (if it is), telling c of its failure. */
static void ring_batch_end(struct server *s, struct conn *c, bool *open)
{
	int r;

	if (!*open)
		return;
	*open = false;
	r = fg_audit_batch_end(s->a);
	if (r < 0)
		ring_failed(s, c, r);
}

/* One entry copied out of the ring into s->rbuf, then appended like a
 * pipelined 'R' from the process that set the ring up, in the batch
 * *open (begun here when it is not).  Returns 0, or -1 for an entry our
 * client could not have written. */
static int ring_entry(struct server *s, struct conn *c, size_t n, bool *open)
{
	struct fg_auditw_in b = { s->rbuf + 1, n - 1, 0, false };
	int r;

	if (s->rbuf[0] != 'R')
		return -1;
	r = fg_auditw_decode_rec(&b, &dec);
	if (r < 0 || dec.sync)
		return -1;
	/* fsync = always for this client: one record, one sync */
	if (!*open && !c->sync_each && fg_audit_batch_begin(s->a) == 0)
		*open = true;
	if (*open && fg_audit_batch_add(s->a, c->id, c->peer, &dec.rec) == 0)
		return 0;
	/* full, a rotation, a failure: alone, with the reserve's help */
	ring_batch_end(s, c, open);
	r = append_rec(s, c->id, c->peer, &dec.rec);
	if (r == 0 && c->sync_each)
		r = fg_audit_sync(s->a);
	if (r < 0)
		ring_failed(s, c, r);
	return 0;
}

/* Append up to most entries of c's ring: the number taken, or -1 when the
 * ring holds what our client never writes (the connection goes; only
 * that process's records are at stake). */
static int ring_drain(struct server *s, struct conn *c, size_t most)
{
	struct fg_auditw_ring *h = c->ring;
	uint64_t head;
	size_t k = 0;
	bool open = false;
	int ret = 0;

	if (!h)
		return 0;
	head = __atomic_load_n(&h->head, __ATOMIC_ACQUIRE) & ~FG_AUDITW_RING_CLOSED;
	while (k < most && c->rtail != head) {
		uint64_t avail = head - c->rtail;
		uint32_t len;

		if (avail > FG_AUDITW_RING_DATA || avail < 4) {
			ret = -1;
			break;
		}
		ring_copy_out(h, c->rtail, &len, 4);
		if (len == 0 || len > FG_AUDITW_MSG_MAX || len > avail - 4) {
			ret = -1;
			break;
		}
		ring_copy_out(h, c->rtail + 4, s->rbuf, len);
		c->rtail += 4 + (uint64_t)len;
		/* copied out: the room is the client's again */
		__atomic_store_n(&h->tail, c->rtail, __ATOMIC_RELEASE);
		if (ring_entry(s, c, len, &open) < 0) {
			ret = -1;
			break;
		}
		k++;
		/* more may have come meanwhile (not for a drain to the end:
		 * a client that keeps writing could hold us there) */
		if (c->rtail == head && most != SIZE_MAX)
			head = __atomic_load_n(&h->head, __ATOMIC_ACQUIRE) & ~FG_AUDITW_RING_CLOSED;
	}
	ring_batch_end(s, c, &open);
	return ret < 0 ? ret : (int)k;
}

/* The connection goes: close the ring to its client (a record published
 * after this is refused to it and sent on a new connection), take what
 * is in it, unmap it. */
static void ring_close(struct server *s, struct conn *c)
{
	uint64_t head;

	if (!c->ring)
		return;
	head = __atomic_load_n(&c->ring->head, __ATOMIC_SEQ_CST);
	while (!__atomic_compare_exchange_n(&c->ring->head, &head, head | FG_AUDITW_RING_CLOSED,
					    false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
	(void)ring_drain(s, c, SIZE_MAX);
	munmap(c->ring, FG_AUDITW_RING_MAP);
	c->ring = NULL;
}

/* 'M': the ring fd from the process that said hello on c.  It must be a
 * memfd sealed against shrinking, at least FG_AUDITW_RING_MAP long. */
static int ring_attach(struct conn *c, int fd, const struct ucred *cr)
{
	struct stat st;
	void *map;
	int seals;

	if (fd < 0 || !c->agent || c->ring)
		return -EBADMSG;
	/* the process that said hello, or the one that connected for it: the
	 * supervisor performs the agent's sendmsg calls, so the kernel names
	 * it as their sender.  Anyone else (a fork child using its parent's
	 * connection) is refused, and the connection goes on without a ring. */
	if (cr->pid != c->peer && cr->pid != c->maker)
		return -EPERM;
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || !(seals & F_SEAL_SHRINK) || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < FG_AUDITW_RING_MAP)
		return -EINVAL;
	map = mmap(NULL, FG_AUDITW_RING_MAP, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	c->ring = map;
	c->rtail = 0;
	/* a ring that does not start empty is the client's loss */
	__atomic_store_n(&c->ring->tail, 0, __ATOMIC_RELEASE);
	return 0;
}

/* Drain every ring a little (256 entries each); a bad one marks its
 * connection dead.  Returns the entries taken. */
static int drain_rings(struct server *s)
{
	int n = 0;

	for (size_t i = 0; i < s->nconns; i++) {
		struct conn *c = &s->conns[i];
		int k;

		if (!c->ring || c->dead)
			continue;
		/* awake: no doorbell needed until we say so again */
		if (__atomic_load_n(&c->ring->sleeping, __ATOMIC_RELAXED))
			__atomic_store_n(&c->ring->sleeping, 0, __ATOMIC_RELAXED);
		k = ring_drain(s, c, 256);
		if (k < 0)
			c->dead = true;
		else
			n += k;
	}
	return n;
}

/* Any record waiting in a ring? */
static bool rings_ready(const struct server *s)
{
	for (size_t i = 0; i < s->nconns; i++) {
		const struct conn *c = &s->conns[i];

		if (c->ring && !c->dead &&
		    (__atomic_load_n(&c->ring->head, __ATOMIC_SEQ_CST) & ~FG_AUDITW_RING_CLOSED) !=
			    c->rtail)
			return true;
	}
	return false;
}

/* About to sleep: a client whose ring fills up must ring its doorbell; a
 * record published before the flag was seen is found here.  *nap: the
 * longest sleep with a ring open (its records wait for us, no doorbell):
 * FG_AUDITW_RING_NAP_MS after a nap that found records, doubling up to
 * FG_AUDITW_RING_NAP_MAX_MS while the rings stay empty (an idle agent
 * holding a ring costs about twelve wake-ups a second, not a hundred). */
static bool rings_sleep(struct server *s, int *nap)
{
	*nap = -1;
	for (size_t i = 0; i < s->nconns; i++)
		if (s->conns[i].ring && !s->conns[i].dead) {
			__atomic_store_n(&s->conns[i].ring->sleeping, 1, __ATOMIC_SEQ_CST);
			if (s->nap < FG_AUDITW_RING_NAP_MS)
				s->nap = FG_AUDITW_RING_NAP_MS;
			*nap = s->nap;
		}
	return !rings_ready(s);
}

/* After a wait: what the rings held sets the next nap. */
static void rings_napped(struct server *s, int from_rings, bool timed_out)
{
	if (from_rings > 0)
		s->nap = FG_AUDITW_RING_NAP_MS;
	else if (timed_out)
		s->nap = s->nap * 2 < FG_AUDITW_RING_NAP_MAX_MS ? s->nap * 2 : FG_AUDITW_RING_NAP_MAX_MS;
}

/* One message: 1 handled, 0 none waiting, -1 the connection should go. */
static int on_message(struct server *s, struct conn *c);

static void on_accept(struct server *s);

/* A flush, and a record with SYNC|DRAIN, is a barrier for the whole log:
 * every message any process had sent before it is appended before the
 * answer (docs/AUDIT.md).  A sent message is in one of three places:
 * the accept queue (a connection not taken yet), a connection's receive
 * queue, or a ring; all three are emptied of what they held when the
 * drain began, and no more: a connection is read up to the bytes its
 * queue held (FIONREAD), so a client that keeps sending cannot hold the
 * drain.  ci: the connection asking, not drained (its own messages are
 * in order anyway).  Not nested: a barrier found while draining is
 * inside this one.  Accepting may move s->conns: callers hold an index,
 * never a pointer, across it. */
static void drain_others(struct server *s, size_t ci)
{
	if (s->draining)
		return;
	s->draining = true;
	if (s->lfd >= 0)
		on_accept(s);
	for (size_t i = 0; i < s->nconns; i++) {
		struct conn *o = &s->conns[i];
		size_t taken = 0;
		int queued = 0, r = 1;

		if (i == ci || o->dead)
			continue;
		if (ioctl(o->fd, FIONREAD, &queued) < 0)
			queued = 0;
		/* each message read drains its ring first (recv_msg) */
		while (taken < (size_t)queued && (r = on_message(s, &s->conns[i])) == 1)
			taken += s->last_len;
		/* then the ring once more: what was put in it after the last
		 * message, and a ring that message set up ('M'): its client
		 * rings the doorbell only when it fills up, so only this drain
		 * finds the rest */
		o = &s->conns[i];
		if (o->ring && ring_drain(s, o, SIZE_MAX) < 0)
			r = -1;
		if (r < 0)
			o->dead = true;
	}
	s->draining = false;
}

/* Take the descriptors of a control message: the one of a single-
 * descriptor message into *fd, every other closed (and the message
 * marked cut). */
static void take_fds(struct cmsghdr *cm, int *fd, int *flags)
{
	size_t nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

	for (size_t i = 0; i < nfd; i++) {
		int x;
		memcpy(&x, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
		if (*fd < 0 && nfd == 1)
			*fd = x;
		else
			close(x);
	}
	if (nfd != 1)
		*flags |= MSG_CTRUNC;
}

/* The next message of c into s->buf, with its sender and the descriptor
 * it carried (*fd, or -1): its length, or RECV_NONE, RECV_AGAIN, or -1
 * when the connection should go. */
#define RECV_NONE (-2)
#define RECV_AGAIN (-3)
static ssize_t recv_msg(struct server *s, struct conn *c, struct ucred *cr, int *fd)
{
	union {
		char b[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { s->buf, FG_AUDITW_MSG_MAX };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			     .msg_controllen = sizeof(ctl.b) };
	struct cmsghdr *cm;
	ssize_t n;

	*fd = -1;
	s->last_len = 0;
	n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	/* ECONNRESET: the peer closed with an answer of ours unread (a vfork
	 * child whose exec failed, a fork child that never read its hello's
	 * answer, any process that sends its exit record without waiting).
	 * The kernel reports that once, before the messages still queued:
	 * they come next, then the end. */
	if (n < 0)
		return errno == EINTR || errno == ECONNRESET ? RECV_AGAIN :
		       errno == EAGAIN ? RECV_NONE : -1;
	if (n == 0)
		return -1;
	/* room for the credentials and one descriptor (a ring's): more do
	 * not fit, so the kernel releases them and sets MSG_CTRUNC (refused
	 * below) */
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS)
			memcpy(cr, CMSG_DATA(cm), sizeof(*cr));
		else if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			take_fds(cm, fd, &mh.msg_flags);
	}
	/* no credentials from the kernel, a cut message, a descriptor with
	 * anything but 'M': not a client of ours */
	if (cr->pid <= 0 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    (*fd >= 0) != (n == 1 && s->buf[0] == 'M')) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		answer(c->fd, 'A', -EPROTO);
		return -1;
	}
	/* what the process put in its ring before this message comes first */
	if (c->ring && ring_drain(s, c, SIZE_MAX) < 0) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -1;
	}
	s->last_len = (size_t)n;
	return n;
}

/* A process making a new connection (its number was taken from it):
 * what it left in its old rings comes first. */
static void drain_pid_rings(struct server *s, const struct conn *c, pid_t pid)
{
	for (size_t i = 0; i < s->nconns; i++)
		if (&s->conns[i] != c && s->conns[i].peer == pid && s->conns[i].ring &&
		    !s->conns[i].dead && ring_drain(s, &s->conns[i], SIZE_MAX) < 0)
			s->conns[i].dead = true;
}

/* A barrier's answer is preceded by the 'E' of a record that failed
 * since the last one, whose own process may never have read it. */
static void tell_unheard(struct server *s, const struct conn *c)
{
	if (s->unheard) {
		answer(c->fd, 'E', s->unheard);
		s->unheard = 0;
	}
}

/* 'R': one record (b) from c, appended with the sender's pid.  A record
 * with SYNC|DRAIN is a barrier for the whole log: its bytes are copied
 * out first (draining reads other messages into s->buf and decodes them
 * into dec), then the others are drained, then it is appended and
 * answered, after an 'E' for a failure nobody may have heard of. */
static int on_record(struct server *s, struct conn *c, struct fg_auditw_in b,
		     const struct ucred *cr)
{
	const uint8_t both = FG_AUDITW_SYNC | FG_AUDITW_DRAIN;
	char *copy = NULL;
	int r;

	if (b.len > 0 && (((const uint8_t *)b.p)[0] & both) == both) {
		size_t ci = (size_t)(c - s->conns);

		copy = malloc(b.len);
		if (!copy) {
			answer(c->fd, 'A', -ENOMEM);    /* not a barrier: say so */
			return 1;
		}
		memcpy(copy, b.p, b.len);
		b.p = copy;
		drain_others(s, ci);
		c = &s->conns[ci];
	}
	r = fg_auditw_decode_rec(&b, &dec);
	if (r == 0 && c->id->uid != (uint32_t)cr->uid)
		r = set_ident(s, c, cr->uid);
	if (r == 0)
		r = append_rec(s, c->id, cr->pid, &dec.rec);
	if (r == 0 && c->sync_each)
		r = fg_audit_sync(s->a);
	if (dec.sync && dec.drain)
		tell_unheard(s, c);
	if (!dec.sync && r < 0)
		s->unheard = r;
	if (dec.sync || r < 0)
		answer(c->fd, dec.sync ? 'A' : 'E', r);
	free(copy);
	return r == -EBADMSG ? -1 : 1;
}

/* 'P', a connection's first message: it becomes a tree's pool, and
 * pool_refill queues its spares. */
static int on_pool(struct server *s, struct conn *c, ssize_t n, const struct ucred *cr)
{
	if (c->agent || c->from_pool || n != 1)
		return -1;
	c->pool = true;
	c->peer = cr->pid;
	s->refill = true;
	return 1;
}

/* What follows a hello or a rename in its message: nothing, or the
 * process's first record ('R' and its body: one send and one wake-up
 * fewer), anything else a broken message. */
static int first_record(struct server *s, struct conn *c, const struct fg_auditw_in *b,
			const struct ucred *cr)
{
	if (!record_or_end(b))
		return -1;
	if (b->off == b->len)
		return 1;
	return on_record(s, c, (struct fg_auditw_in){ b->p + b->off + 1, b->len - b->off - 1,
						      0, false }, cr);
}

static int on_message(struct server *s, struct conn *c)
{
	struct ucred cr = { 0, (uid_t)-1, (gid_t)-1 };
	struct fg_auditw_in b;
	ssize_t n;
	int r, fd;

	if (c->dead)
		return -1;
	n = recv_msg(s, c, &cr, &fd);
	if (n == RECV_NONE || n == RECV_AGAIN)
		return n == RECV_NONE ? 0 : 1;
	if (n < 0 || c->pool)
		return -1;      /* nothing comes up a pool: meddling ends it */
	if (c->spare_of >= 0)
		spare_gone(s, c);
	b = (struct fg_auditw_in){ s->buf + 1, (size_t)n - 1, 0, false };
	switch (s->buf[0]) {
	case 'P':
		return on_pool(s, c, n, &cr);
	case 'M':
		r = ring_attach(c, fd, &cr);
		close(fd);
		answer(c->fd, 'A', r);
		/* a ring we cannot use: the client goes on without one */
		return r == 0 || r == -EINVAL || r == -EPERM ? 1 : -1;
	case 'D':
		return c->agent ? 1 : -1;
	case 'W':
		if (!c->agent)
			return -1;
		answer(c->fd, 'A', 0);
		return 1;
	case 'H':
		drain_pid_rings(s, c, cr.pid);
		r = on_hello(s, c, &b, &cr);
		answer(c->fd, 'A', r);
		return r == 0 ? first_record(s, c, &b, &cr) : -1;
	case 'N':
		/* the old image's ring is drained; the new image has none */
		ring_close(s, c);
		r = on_rename(s, c, &b, &cr);
		answer(c->fd, 'A', r);
		return r == 0 ? first_record(s, c, &b, &cr) : -1;
	case 'F':
	case 'B': {
		size_t ci = (size_t)(c - s->conns);
		char kind = s->buf[0];

		if (!c->agent)
			return -1;
		drain_others(s, ci);
		c = &s->conns[ci];
		if (kind == 'B')
			tell_unheard(s, c);
		answer(c->fd, 'A', kind == 'F' ? fg_audit_flush(s->a) : 0);
		return 1;
	}
	case 'S':
		if (!c->agent)
			return -1;
		answer(c->fd, 'A', 0);
		fg_ckpt_status(s->ck, s->buf, FG_AUDITW_MSG_MAX);
		(void)send(c->fd, s->buf, strlen(s->buf) + 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		return 1;
	case 'R':
		return c->agent ? on_record(s, c, b, &cr) : -1;
	default:
		return -1;
	}
}

static int64_t mono_ms(void)
{
	return fg_audit_now_ns(CLOCK_MONOTONIC) / 1000000;
}

/* One process holds at most PER_PID_CONNS connections: one agent cannot
 * take them all and keep another from starting.  Checked at accept (a
 * refusal there is seen by the client at once), counting the connections
 * that said hello by the pid the kernel attached to the hello
 * (SCM_CREDENTIALS, the sender's) and those still waiting for their hello
 * by the pid that connected (SO_PEERCRED; at most PER_PID_PENDING).  Under
 * fleetguard run's supervisor the connecting pid is the supervisor's for
 * every agent process (it performs their connects): their connections
 * count as pending only until their hello, and then as their own
 * process's, which the check at accept cannot see (docs/SECURITY.md). */
static size_t conns_of(const struct server *s, pid_t pid, bool greeted, const struct conn *but)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nconns; i++)
		if (&s->conns[i] != but && s->conns[i].peer == pid && !s->conns[i].dead &&
		    (s->conns[i].agent != NULL) == greeted)
			n++;
	return n;
}

static bool below_limit(const struct server *s, int fd, pid_t *peer)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return false;
	*peer = cr.pid;
	return conns_of(s, cr.pid, true, NULL) < PER_PID_CONNS &&
	       conns_of(s, cr.pid, false, NULL) < PER_PID_PENDING;
}

static void on_accept(struct server *s)
{
	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK), one = 1;
		pid_t peer = 0;
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
		if (s->nconns >= MAX_CONNS || !below_limit(s, fd, &peer)) {
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
		s->conns[s->nconns++] = (struct conn){ .fd = fd, .peer = peer, .maker = peer,
						      .since = mono_ms(), .spare_of = -1 };
	}
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

/* A connection owes a hello within HELLO_MS; a pool and its spares
 * waiting to be taken do not. */
static bool waits_hello(const struct conn *c)
{
	return !c->agent && !c->pool && c->spare_of < 0;
}

/* One spare down pool p (index pi): a socket pair, one end served here
 * as a connection not greeted yet, the other queued on the pool ('C' and
 * the descriptor) for the process of the tree that takes it first
 * (docs/AUDIT.md, "Spare connections"). */
static int pool_push(struct server *s, size_t pi)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	char kind = 'C';
	struct iovec iov = { &kind, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			     .msg_controllen = sizeof(ctl.b) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	struct conn *n;
	int sv[2], one = 1;

	if (s->nconns >= MAX_CONNS)
		return -EMFILE;
	n = realloc(s->conns, (s->nconns + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	s->conns = n;
	/* non-blocking is the file's, not the pair's: the client's end blocks */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &sv[1], sizeof(int));
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0 ||
	    setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
	    sendmsg(s->conns[pi].fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) != 1) {
		int e = -errno;

		close(sv[0]);
		close(sv[1]);
		return e;
	}
	close(sv[1]);
	/* its ring may come from the pool's maker: the supervisor performs
	 * an agent's sendmsg under fleetguard run (ring_attach) */
	s->conns[s->nconns++] = (struct conn){ .fd = sv[0], .maker = s->conns[pi].peer,
					      .since = mono_ms(), .spare_of = s->conns[pi].fd,
					      .from_pool = true };
	s->conns[pi].spares++;
	return 0;
}

/* Every pool back to FG_AUDITW_POOL_SPARES queued spares.  At the top of
 * the loop only: pushing moves s->conns. */
static void pool_refill(struct server *s)
{
	s->refill = false;
	for (size_t i = 0; i < s->nconns; i++)
		while (s->conns[i].pool && !s->conns[i].dead &&
		       s->conns[i].spares < FG_AUDITW_POOL_SPARES)
			if (pool_push(s, i) < 0)
				break;  /* out of descriptors or its queue full: at
					 * the next spare taken */
}

/* Connections that have said no hello within HELLO_MS, and those a
 * flush found closed, go. */
static void drop_silent(struct server *s)
{
	int64_t now = mono_ms();

	for (size_t i = s->nconns; i-- > 0;)
		if (s->conns[i].dead || (waits_hello(&s->conns[i]) &&
					 now - s->conns[i].since >= HELLO_MS))
			drop_conn(s, i);
}

/* The poll timeout in ms (-1: none): the rest of the linger when nobody
 * is connected (noting since when), the first hello deadline, the next
 * checkpoint by time, the next batch sync. */
static int poll_timeout(struct server *s)
{
	int timeout = -1, ck;

	if (s->nroots == 0 && s->nconns == 0) {
		int64_t idle;

		if (s->idle_since == 0)
			s->idle_since = mono_ms();
		idle = mono_ms() - s->idle_since;
		timeout = idle >= FG_AUDITD_LINGER_MS ? 0 : (int)(FG_AUDITD_LINGER_MS - idle);
	} else {
		s->idle_since = 0;
	}
	for (size_t i = 0; i < s->nconns; i++)
		if (waits_hello(&s->conns[i])) {
			int64_t left = s->conns[i].since + HELLO_MS - mono_ms();
			int ms = left < 0 ? 0 : (int)left + 1;
			if (timeout < 0 || ms < timeout)
				timeout = ms;
		}
	ck = fg_ckpt_wait_ms(s->ck);
	if (ck >= 0 && (timeout < 0 || ck < timeout))
		timeout = ck;
	/* the batch sync no client waits for: fsync = batch puts a record
	 * on disk within 100 ms by itself */
	ck = fg_audit_sync_due_ms(s->a);
	if (ck >= 0 && (timeout < 0 || ck < timeout))
		timeout = ck;
	return timeout;
}

/* poll(), after a short spin when dense is set: in a dense stream
 * (records queued up while we woke, or caught by the last look) waking a
 * sleeping daemon costs the sender more than its record (an
 * inter-processor interrupt, on a VM an exit).  A sparse stream never
 * spins.  *caught says whether the spin found something. */
static int wait_events(struct server *s, struct pollfd *p, size_t np, int timeout, bool dense,
		       bool *caught)
{
	int n = 0;
	bool ring = false;

	if (dense) {
		int64_t until = fg_audit_now_ns(CLOCK_MONOTONIC) + SPIN_NS;
		do {
			ring = rings_ready(s);
			n = poll(p, (nfds_t)np, 0);
		} while (n == 0 && !ring && fg_audit_now_ns(CLOCK_MONOTONIC) < until);
	}
	*caught = n > 0 || ring;
	/* a ring's client rings the doorbell only when its ring fills up:
	 * records below that wait for our nap */
	if (n == 0 && !ring) {
		int nap;

		if (!rings_sleep(s, &nap))
			timeout = 0;
		else if (nap >= 0 && (timeout < 0 || nap < timeout))
			timeout = nap;
		n = poll(p, (nfds_t)np, timeout);
	}
	return n;
}

/* Serve what poll found in p (the listener first unless leaving, then the
 * connections, then the roots); returns the messages handled. */
static int serve_ready(struct server *s, const struct pollfd *p, bool leaving)
{
	size_t np = leaving ? 0 : 1, i;
	int handled = 0;

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
	if (fg_ckpt_due(s->ck))
		(void)fg_ckpt_emit(s->ck);
	if (!leaving && (p[0].revents & POLLIN))
		on_accept(s);
	return handled;
}

/* Stop listening: the daemon serves who is connected, then ends. */
static void stop_listening(struct server *s)
{
	close(s->lfd);
	s->lfd = -1;
}

/* Nobody has used the daemon for FG_AUDITD_LINGER_MS (since poll_timeout
 * saw it idle): a poll that timed out for a checkpoint or a batch sync is
 * no reason to leave sooner. */
static bool idle_for_linger(const struct server *s)
{
	return s->nroots == 0 && s->nconns == 0 && s->idle_since != 0 &&
	       mono_ms() - s->idle_since >= FG_AUDITD_LINGER_MS;
}

static void serve_loop(struct server *s, const char *sockpath, int lockfd)
{
	struct pollfd *p = NULL;
	bool leaving = false, caught = false;
	int handled = 0;

	for (;;) {
		size_t np = 0, i;
		int n;
		struct pollfd *q;

		if (s->refill)
			pool_refill(s);
		q = realloc(p, (1 + s->nconns + s->nroots) * sizeof(*p));

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
		if (leaving && s->nroots == 0 && s->nconns == 0)
			break;
		n = wait_events(s, p, np, poll_timeout(s), handled > 1 || caught, &caught);
		handled = drain_rings(s);
		rings_napped(s, handled, n == 0);
		if (fg_ckpt_due(s->ck))
			(void)fg_ckpt_emit(s->ck);
		if (fg_audit_sync_due_ms(s->a) == 0)
			(void)fg_audit_sync_batch(s->a);
		if (n < 0)
			continue;
		if (n == 0) {
			if (handled > 0) {
				drop_silent(s);
				continue;
			}
			if (idle_for_linger(s)) {
				leaving = try_leave(s, sockpath, lockfd);
				if (leaving)
					stop_listening(s);
			}
			drop_silent(s);
			continue;
		}
		handled += serve_ready(s, p, leaving);
		if (s->retire && !leaving) {
			/* our name went before the answer (on_hello) */
			stop_listening(s);
			leaving = true;
		}
	}
	free(p);
}


/* Listen on sockpath; the listening socket's identity goes to s. */
static int listen_on(struct server *s, const char *sockpath)
{
	struct sockaddr_un sa;
	socklen_t salen = 0;
	struct stat st = { 0 };
	int dfd = -1, one = 1, r;

	r = fg_auditw_sock_addr(sockpath, &sa, &salen, &dfd);
	if (r < 0)
		return r;
	s->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->lfd < 0 || setsockopt(s->lfd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0 ||
	    bind(s->lfd, (struct sockaddr *)&sa, salen) < 0 ||
	    /* a daemon of its own user serves agents of other uids */
	    (s->set.daemon_user && chmod(sockpath, 0666) < 0) || listen(s->lfd, 128) < 0 ||
	    stat(sockpath, &st) < 0)
		r = -errno;
	if (dfd >= 0)
		close(dfd);
	if (r < 0)
		return r;
	s->sdev = st.st_dev;
	s->sino = st.st_ino;
	return 0;
}

int fg_auditd_serve(struct fg_audit *a, const char *sockpath, const char *dir, int ready,
		    struct fg_ckpt *ck)
{
	struct server s = { .a = a, .lfd = -1, .spare = -1, .ck = ck, .resfd = -1 };
	struct rlimit rl;
	char msg[PATH_MAX + 128];
	int lockfd, r;

	/* every client costs a descriptor: as many as the hard limit allows */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	s.spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fg_audit_settings(a, &s.set);
	if (gethostname(s.host, sizeof(s.host)) < 0)
		strcpy(s.host, "unknown");
	s.host[sizeof(s.host) - 1] = '\0';
	s.buf = malloc(FG_AUDITW_MSG_MAX);
	s.rbuf = malloc(FG_AUDITW_MSG_MAX);
	lockfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	s.sockpath = sockpath;
	r = s.buf && s.rbuf && lockfd >= 0 ? listen_on(&s, sockpath) : -ENOMEM;
	if (r < 0) {
		snprintf(msg, sizeof(msg), "cannot listen on '%s': %s", sockpath, strerror(-r));
		(void)!write(ready, msg, strlen(msg));
		if (s.lfd >= 0)
			close(s.lfd);
		if (lockfd >= 0)
			close(lockfd);
		if (s.spare >= 0)
			close(s.spare);
		free(s.buf);
		free(s.rbuf);
		return 1;
	}
	if (ck)
		fg_audit_set_tap(a, fg_ckpt_tap, ck);
	reserve_open(&s, sockpath);
	(void)!write(ready, "", 1);
	close(ready);
	serve_loop(&s, sockpath, lockfd);
	/* no connection and no root is left, but their tables are still
	 * allocated: a caller may go on (the tests' in-process daemon) */
	free(s.conns);
	free(s.roots);
	free(s.root_pids);
	if (s.spare >= 0)
		close(s.spare);
	close(lockfd);
	if (s.resfd >= 0)
		close(s.resfd);
	free(s.buf);
	free(s.rbuf);
	return 0;
}
