/* sup_net.c - answers the agent's trapped socket calls: judges the destination on a copy, then performs the call on the caller's own socket.
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
 * Why the supervisor performs every trapped socket call itself, and never
 * answers "continue": the kernel would then fetch the descriptor and read
 * the address again, after the check, and another thread of the agent could
 * have put a datagram socket at that number, or another address in that
 * memory.  So: the socket is taken once (pidfd_getfd), the address, the
 * data and the control messages are copied once, the copy is judged and the
 * copy is sent, on that socket.  A call that may block (a blocking connect
 * of a stream, a send into a full buffer) is finished on a worker thread,
 * so one agent thread cannot stall the others; a UNIX connect is tried
 * inline first (it waits only on a full backlog), so the audit daemon's
 * connect of each new process costs no thread.
 *
 * What is judged: datagram destinations (IP: the [network] allow rules,
 * where dns = yes names the resolvers of resolv.conf on port 53 only; UNIX:
 * the unix: rules); UNIX stream connects; TCP connects by port, as Landlock
 * would (names cannot be checked from an address; the library judges those).
 * UNIX pathnames are resolved in the caller's root or cwd; the socket judged
 * is the one reached (through /proc/self/fd/N of the O_PATH descriptor).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "kernel/sup_int.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif
#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000
#endif

#define NET_DATA_MAX (1u << 20)         /* bytes copied per call */
#define NET_CTL_MAX 65536               /* control bytes per message */
#define NET_VLEN_MAX 1024               /* sendmmsg messages (the kernel's UIO_MAXIOV) */
#define NET_IOV_MAX 1024

bool fg_sup_net_traps(long nr)
{
	return nr == SYS_connect || nr == SYS_sendto || nr == SYS_sendmsg || nr == SYS_sendmmsg;
}

/* One message as copied from the caller. */
struct net_msg {
	struct sockaddr_storage name;
	socklen_t namelen;              /* 0: no address */
	char *data;
	size_t len;
	char *ctl;
	size_t ctllen;
	int pfd;                        /* a UNIX pathname: O_PATH of the socket reached */
};

struct net_job {
	struct fg_sup *s;
	uint64_t id;
	int tid, pidfd;
	long nr;
	const char *op;
	int sk, type;
	int flags;                      /* the caller's send flags */
	bool blocking;
	unsigned n;                     /* messages (connect: its address in m[0]) */
	struct net_msg *m;
	uint64_t vec;                   /* sendmmsg: the caller's vector, for msg_len */
	size_t done;                    /* bytes of a stream send already gone */
	int *fds;                       /* SCM_RIGHTS, as the supervisor's descriptors */
	size_t nfds;
	bool vouch;                     /* cred goes with every message (UNIX, root) */
	struct ucred cred;              /* the caller's, as the supervisor names it */
	struct fg_sup_event ev;         /* the first denied or judged destination */
	struct net_job *next;           /* waiting for an idle worker */
	char text[PATH_MAX + 8];
	bool judged;
};

/* --- taking the socket --------------------------------------------------- */

static int tgid_of(int tid)
{
	char buf[1024], *end;
	const char *t;
	ssize_t n = fg_sup_status(tid, buf, sizeof(buf), false);
	long v;

	if (n < 0)
		return (int)n;
	t = fg_sup_status_field(buf, "Tgid");
	if (!t)
		return -ESRCH;
	errno = 0;
	v = strtol(t, &end, 10);
	if (errno || end == t || *end != '\n' || v <= 0 || v > INT_MAX)
		return -ESRCH;
	return (int)v;
}

/* A pidfd for the calling thread (Linux 6.9), else for its process. */
static int pidfd_of(int tid)
{
	long fd = syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
	int tgid;

	if (fd < 0 && errno == EINVAL)
		fd = syscall(SYS_pidfd_open, tid, 0);
	if (fd < 0 && errno == EINVAL) {
		tgid = tgid_of(tid);
		if (tgid < 0)
			return tgid;
		fd = syscall(SYS_pidfd_open, tgid, 0);
	}
	return fd < 0 ? -errno : (int)fd;
}

static int take_fd(int pidfd, int n)
{
	long fd;

	fg_sup_as_self();       /* the supervisor's right to take it */
	fd = syscall(SYS_pidfd_getfd, pidfd, n, 0);

	return fd < 0 ? -errno : (int)fd;
}

/* --- copying the call ---------------------------------------------------- */

static int copy_name(struct net_job *j, struct net_msg *m, uint64_t addr, uint64_t len)
{
	if (addr == 0 || len == 0)
		return 0;
	if (len > sizeof(m->name))
		return -EINVAL;
	m->namelen = (socklen_t)len;
	return fg_sup_read_mem(j->tid, addr, &m->name, len);
}

/* Take room for *len more bytes out of the call's budget (a stream may
 * send less: a short count; a datagram is whole or not at all). */
static int data_room(struct net_job *j, size_t *budget, size_t *len, char **out)
{
	if (*len > *budget) {
		if (j->type != SOCK_STREAM)
			return -EMSGSIZE;
		*len = *budget;
	}
	*budget -= *len;
	*out = malloc(*len ? *len : 1);
	return *out ? 0 : -ENOMEM;
}

static int copy_iov(struct net_job *j, struct net_msg *m, uint64_t iov, uint64_t n,
		    size_t *budget)
{
	struct iovec *v;
	size_t want = 0;
	int rc;

	if (n > NET_IOV_MAX)
		return -EMSGSIZE;
	v = calloc(n ? n : 1, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	rc = fg_sup_read_mem(j->tid, iov, v, n * sizeof(*v));
	for (size_t i = 0; rc == 0 && i < n; i++)
		want += v[i].iov_len;
	if (rc == 0)
		rc = data_room(j, budget, &want, &m->data);
	for (size_t i = 0; rc == 0 && i < n && m->len < want; i++) {
		size_t take = v[i].iov_len < want - m->len ? v[i].iov_len : want - m->len;

		rc = fg_sup_read_mem(j->tid, (uint64_t)(uintptr_t)v[i].iov_base,
				     m->data + m->len, take);
		m->len += take;
	}
	free(v);
	return rc;
}

/* Descriptors passed with SCM_RIGHTS are numbers in the caller's table:
 * each becomes the supervisor's copy of the same open file. */
static int translate_rights(struct net_job *j, struct net_msg *m)
{
	struct msghdr mh = { .msg_control = m->ctl, .msg_controllen = m->ctllen };

	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		size_t k;
		int *fds, *more;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		fds = (int *)(void *)CMSG_DATA(c);
		more = realloc(j->fds, (j->nfds + k) * sizeof(int));
		if (more == NULL)
			return -ENOMEM;
		j->fds = more;
		for (size_t i = 0; i < k; i++) {
			int fd = take_fd(j->pidfd, fds[i]);

			if (fd < 0)
				return fd == -ESRCH ? -ESRCH : -EBADF;
			j->fds[j->nfds++] = fd;
			fds[i] = fd;
		}
	}
	return 0;
}

static int copy_msghdr(struct net_job *j, struct net_msg *m, uint64_t at, size_t *budget)
{
	struct msghdr h;
	int rc = fg_sup_read_mem(j->tid, at, &h, sizeof(h));

	if (rc == 0)
		rc = copy_name(j, m, (uint64_t)(uintptr_t)h.msg_name, h.msg_namelen);
	if (rc == 0)
		rc = copy_iov(j, m, (uint64_t)(uintptr_t)h.msg_iov, h.msg_iovlen, budget);
	if (rc == 0 && h.msg_controllen > NET_CTL_MAX)
		rc = -ENOBUFS;
	if (rc == 0 && h.msg_control != NULL && h.msg_controllen > 0) {
		m->ctl = malloc(h.msg_controllen);
		m->ctllen = h.msg_controllen;
		rc = m->ctl ? fg_sup_read_mem(j->tid, (uint64_t)(uintptr_t)h.msg_control, m->ctl,
					      m->ctllen) : -ENOMEM;
		if (rc == 0)
			rc = translate_rights(j, m);
	}
	return rc;
}

/* Everything the call reads from the caller's memory, read once. */
static int copy_call(struct net_job *j)
{
	const __u64 *a = j->s->req->data.args;
	size_t budget = NET_DATA_MAX;
	int rc = 0;

	j->n = 1;
	if (j->nr == SYS_sendmmsg) {
		j->n = a[2] > NET_VLEN_MAX ? NET_VLEN_MAX : (unsigned)a[2];
		j->vec = a[1];
		if (j->n == 0)
			return 0;
	}
	j->m = calloc(j->n, sizeof(*j->m));
	if (j->m == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < j->n; i++)
		j->m[i].pfd = -1;
	if (j->nr == SYS_connect) {
		rc = copy_name(j, &j->m[0], a[1], a[2]);
		return rc == 0 && j->m[0].namelen == 0 ? -EINVAL : rc;
	}
	if (j->nr == SYS_sendto) {
		j->flags = (int)a[3];
		rc = copy_name(j, &j->m[0], a[4], a[5]);
		j->m[0].len = a[2];
		if (rc == 0)
			rc = data_room(j, &budget, &j->m[0].len, &j->m[0].data);
		if (rc == 0)
			rc = fg_sup_read_mem(j->tid, a[1], j->m[0].data, j->m[0].len);
		return rc;
	}
	j->flags = (int)a[j->nr == SYS_sendmmsg ? 3 : 2];
	for (unsigned i = 0; rc == 0 && i < j->n; i++)
		rc = copy_msghdr(j, &j->m[i], j->nr == SYS_sendmmsg ?
					 a[1] + i * sizeof(struct mmsghdr) : a[1], &budget);
	return rc;
}

/* --- credentials ------------------------------------------------------------
 *
 * The supervisor sends for the caller, so the kernel would attach the
 * supervisor's pid, uid and gid to a UNIX message (SCM_CREDENTIALS), and
 * would check credentials the caller claims against the supervisor's, not
 * the caller's: a root supervisor would pass on "pid 1, uid 0" from an agent
 * that dropped to nobody.  So a claim is judged here as the kernel would
 * judge it for the caller (scm_check_creds: its own tgid, one of its real,
 * effective or saved ids, or the capability, counted only in the
 * supervisor's user and pid namespaces), and, when the supervisor may
 * vouch (CAP_SYS_ADMIN, CAP_SETUID, CAP_SETGID), a message without a claim
 * gets the caller's own tgid, uid and gid, as the kernel would attach them.
 */

struct caller_cred {
	int tgid;               /* as the supervisor names it */
	int own_tgid;           /* in the caller's own pid namespace */
	uid_t uid[3];           /* real, effective, saved */
	gid_t gid[3];
	unsigned long long cap; /* effective capabilities */
};

static bool status_ids(const char *t, unsigned v[3])
{
	unsigned long l[3];

	if (!fg_sup_status_nums(t, l, 3))
		return false;
	for (int i = 0; i < 3; i++)
		v[i] = (unsigned)l[i];
	return true;
}

/* The credentials of pid (0: the supervisor) from /proc: 0 or -errno. */
static int caller_cred(int pid, struct caller_cred *c)
{
	char buf[4096], *end;
	const char *t, *ns;
	ssize_t n = fg_sup_status(pid ? pid : -1, buf, sizeof(buf), false);

	if (n < 0)
		return (int)n;
	t = fg_sup_status_field(buf, "Tgid");
	ns = fg_sup_status_field(buf, "NStgid");
	c->tgid = t ? (int)strtol(t, NULL, 10) : 0;
	c->own_tgid = c->tgid;
	while (ns != NULL && *ns != '\n' && *ns != '\0') {
		long v = strtol(ns, &end, 10);

		if (end == ns)
			break;
		c->own_tgid = (int)v;
		ns = end + (*end == '\t');
	}
	t = fg_sup_status_field(buf, "CapEff");
	c->cap = t ? strtoull(t, NULL, 16) : 0;
	if (c->tgid <= 0 || !status_ids(fg_sup_status_field(buf, "Uid"), c->uid) ||
	    !status_ids(fg_sup_status_field(buf, "Gid"), c->gid))
		return -ESRCH;
	return 0;
}

static bool has_cap(const struct caller_cred *c, int cap)
{
	return (c->cap >> cap) & 1;
}

/* May the supervisor name another process in SCM_CREDENTIALS?  Asked once:
 * its capabilities do not change. */
static bool may_vouch(void)
{
	static int known;       /* 0: not asked, 1: yes, 2: no */
	struct caller_cred me = { 0 };

	if (__atomic_load_n(&known, __ATOMIC_RELAXED) == 0)
		__atomic_store_n(&known, caller_cred(0, &me) == 0 &&
				 has_cap(&me, CAP_SYS_ADMIN) && has_cap(&me, CAP_SETUID) &&
				 has_cap(&me, CAP_SETGID) ? 1 : 2, __ATOMIC_RELAXED);
	return __atomic_load_n(&known, __ATOMIC_RELAXED) == 1;
}

/* Do the caller's capabilities count here: is it in the supervisor's user
 * and pid namespaces? */
static bool caller_privileged_here(int tid, const struct caller_cred *c)
{
	char at[64];
	struct stat a, b;

	snprintf(at, sizeof(at), "/proc/%d/ns/user", tid);
	return c->tgid == c->own_tgid && stat(at, &a) == 0 &&
	       stat("/proc/self/ns/user", &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

/* Judge the caller's claim cl as the kernel would for the caller; rewrite
 * its own pid as the supervisor names it.  0, -EINVAL or -EPERM. */
static int judge_claim(int tid, const struct caller_cred *c, struct ucred *cl)
{
	bool pid_ok = cl->pid == c->own_tgid, uid_ok = false, gid_ok = false;
	bool priv;

	if (cl->uid == (uid_t)-1 || cl->gid == (gid_t)-1)
		return -EINVAL;
	for (int i = 0; i < 3; i++) {
		uid_ok = uid_ok || cl->uid == c->uid[i];
		gid_ok = gid_ok || cl->gid == c->gid[i];
	}
	if (!(pid_ok && uid_ok && gid_ok)) {
		priv = caller_privileged_here(tid, c);
		if ((!pid_ok && !(priv && has_cap(c, CAP_SYS_ADMIN))) ||
		    (!uid_ok && !(priv && has_cap(c, CAP_SETUID))) ||
		    (!gid_ok && !(priv && has_cap(c, CAP_SETGID))))
			return -EPERM;
	}
	if (pid_ok)
		cl->pid = c->tgid;
	return 0;
}

/* Judge every claim in m's control messages; *claims: how many. */
static int judge_claims(struct net_job *j, struct net_msg *m, const struct caller_cred *c,
			unsigned *claims)
{
	struct msghdr mh = { .msg_control = m->ctl, .msg_controllen = m->ctllen };
	int rc = 0;

	for (struct cmsghdr *h = CMSG_FIRSTHDR(&mh); h != NULL && rc == 0;
	     h = CMSG_NXTHDR(&mh, h)) {
		struct ucred cl;

		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_CREDENTIALS ||
		    h->cmsg_len != CMSG_LEN(sizeof(cl)))
			continue;       /* a wrong length: the kernel's EINVAL */
		memcpy(&cl, CMSG_DATA(h), sizeof(cl));
		rc = judge_claim(j->tid, c, &cl);
		memcpy(CMSG_DATA(h), &cl, sizeof(cl));
		++*claims;
	}
	return rc;
}

/* Append the caller's credentials to m's control messages. */
static int add_cred(struct net_msg *m, const struct ucred *cr)
{
	size_t at = CMSG_ALIGN(m->ctllen), len = at + CMSG_SPACE(sizeof(*cr));
	char *ctl = realloc(m->ctl, len);
	struct cmsghdr *h;

	if (ctl == NULL)
		return -ENOMEM;
	memset(ctl + m->ctllen, 0, len - m->ctllen);
	h = (struct cmsghdr *)(void *)(ctl + at);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_CREDENTIALS;
	h->cmsg_len = CMSG_LEN(sizeof(*cr));
	memcpy(CMSG_DATA(h), cr, sizeof(*cr));
	m->ctl = ctl;
	m->ctllen = len;
	return 0;
}

/* Claims judged for the caller; on a UNIX socket of a supervisor that may
 * vouch, the caller's credentials on each message that claims none. */
static int fix_creds(struct net_job *j)
{
	struct caller_cred c = { 0 };
	socklen_t l = sizeof(int);
	unsigned claims;
	int dom = 0, rc;
	bool have = false;

	if (j->nr == SYS_connect)
		return 0;
	j->vouch = may_vouch() && getsockopt(j->sk, SOL_SOCKET, SO_DOMAIN, &dom, &l) == 0 &&
		   dom == AF_UNIX;
	for (unsigned i = 0; i < j->n; i++) {
		struct net_msg *m = &j->m[i];

		if (m->ctl == NULL && !j->vouch)
			continue;
		if (!have) {
			rc = caller_cred(j->tid, &c);
			if (rc < 0)
				return rc;
			j->cred = (struct ucred){ .pid = c.tgid, .uid = c.uid[0], .gid = c.gid[0] };
			have = true;
		}
		claims = 0;
		rc = judge_claims(j, m, &c, &claims);
		if (rc == 0 && claims == 0 && j->vouch)
			rc = add_cred(m, &j->cred);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* --- judging ------------------------------------------------------------- */

/* TCP as Landlock measures it: the port of some rule that names a host
 * (an address cannot be checked against a name here), or an endpoint's. */
static bool tcp_port_allowed(const struct fg_policy *p, uint16_t port, struct fg_verdict *v)
{
	for (size_t i = 0; i < p->net.nallow; i++) {
		const struct fg_net_rule *r = &p->net.allow[i];

		if (r->kind == FG_NET_HOST && (r->port == -1 || r->port == port)) {
			*v = (struct fg_verdict){ .allow = true, .line = r->line, .file = p->file };
			return true;
		}
	}
	for (size_t i = 0; i < p->nep; i++)
		if (p->ep[i].port == port || (p->ep[i].has_fallback && p->ep[i].fallback_port == port)) {
			*v = (struct fg_verdict){ .allow = true, .line = p->ep[i].line, .file = p->file };
			return true;
		}
	return false;
}

static bool judge_ip(struct net_job *j, const struct net_msg *m, bool stream,
		     struct fg_verdict *v)
{
	const struct fg_policy *p = j->s->p;
	const struct sockaddr *sa = (const struct sockaddr *)&m->name;
	struct fg_sockaddr d;
	char ip[INET6_ADDRSTRLEN];

	if (!fg_sockaddr_decode(sa, m->namelen, &d)) {
		snprintf(j->text, sizeof(j->text), "family-%d", sa->sa_family);
		return false;
	}
	inet_ntop(d.family, d.a, ip, sizeof(ip));
	snprintf(j->text, sizeof(j->text), d.family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, d.port);
	if (fg_policy_addr(p, sa, m->namelen, NULL, v))
		return true;
	return stream && tcp_port_allowed(p, d.port, v);
}

/* May the caller itself reach and write to the socket pfd holds (what
 * connect and sendto check), walking path from base with its own
 * credentials?  Asked only when those differ from the supervisor's: the
 * call itself is then made with the supervisor's (it may name the caller
 * in SCM_CREDENTIALS).  0 or -errno; a walk that reaches another socket
 * (the name was swapped meanwhile) is refused. */
static int caller_may_write(struct net_job *j, int base, const char *path,
			    const struct open_how *how, int pfd)
{
	struct stat a, b;
	int rc = fg_sup_as_caller(j->s, j->tid), fd = -1;

	if (rc == 0 && fg_sup_cred_differ(j->s)) {
		fd = (int)syscall(SYS_openat2, base, path, how, sizeof(*how));
		rc = fd < 0 ? -errno : 0;
		if (rc == 0 && syscall(SYS_faccessat2, fd, "", W_OK, AT_EACCESS | AT_EMPTY_PATH) < 0)
			rc = -errno;
		if (rc == 0 && (fstat(fd, &a) < 0 || fstat(pfd, &b) < 0 || a.st_ino != b.st_ino ||
				a.st_dev != b.st_dev))
			rc = -EACCES;
	}
	fg_sup_as_self();
	if (fd >= 0)
		close(fd);
	return rc;
}

/* A UNIX pathname is resolved where the caller would resolve it; the
 * socket reached is judged by its own path and addressed through the
 * descriptor, so a link swapped in afterwards changes nothing.  Returns 1
 * (allowed), 0 (refused) or -errno (nothing there to judge). */
static int judge_unix(struct net_job *j, struct net_msg *m, struct fg_verdict *v, bool *own)
{
	struct sockaddr_un *un = (struct sockaddr_un *)&m->name, real = { .sun_family = AF_UNIX };
	size_t plen = m->namelen > offsetof(struct sockaddr_un, sun_path) ?
		      m->namelen - offsetof(struct sockaddr_un, sun_path) : 0;
	char path[sizeof(un->sun_path) + 1], name[PATH_MAX];
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_MAGICLINKS };
	bool in_root;
	int base, rc;

	if (plen == 0 || un->sun_path[0] == '\0') {
		snprintf(j->text, sizeof(j->text), "unix:%s%.*s", plen ? "@" : "",
			 plen ? (int)plen - 1 : 0, un->sun_path + 1);
		return fg_policy_addr(j->s->p, (struct sockaddr *)un, m->namelen, NULL, v);
	}
	memcpy(path, un->sun_path, plen);
	path[plen] = '\0';
	snprintf(j->text, sizeof(j->text), "unix:%s", path);
	base = fg_sup_base(j->s, j->tid, AT_FDCWD, path, &in_root);
	if (base < 0)
		return base;
	how.resolve |= in_root ? RESOLVE_IN_ROOT : 0;
	m->pfd = (int)syscall(SYS_openat2, base, path, &how, sizeof(how));
	if (m->pfd < 0) {
		int err = -errno;

		fg_sup_base_put(j->s, base);
		m->pfd = -1;
		return err == -ELOOP || err == -EXDEV ? 0 : err;
	}
	if (fg_sup_fd_name(m->pfd, j->tid, name, sizeof(name)) < 0) {
		fg_sup_base_put(j->s, base);
		return false;
	}
	snprintf(j->text, sizeof(j->text), "unix:%s", name);
	if (fg_sup_in_own(j->s, name, FG_LL_OWN_AUDIT_DIR)) {
		fg_sup_base_put(j->s, base);
		*v = (struct fg_verdict){ .allow = true };
		*own = true;            /* the audit daemon's socket: reached for any caller */
		return true;
	}
	rc = caller_may_write(j, base, path, &how, m->pfd);
	fg_sup_base_put(j->s, base);
	if (rc < 0)
		return rc;
	if (strlen(name) >= sizeof(real.sun_path))
		return false;
	memcpy(real.sun_path, name, strlen(name) + 1);
	return fg_policy_addr(j->s->p, (struct sockaddr *)&real,
			      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(name) + 1),
			      NULL, v);
}

/* Where the call sends to an address that matters, judge it: 0, -EACCES
 * when the destination is refused, or another -errno from resolving it. */
static int judge_msg(struct net_job *j, struct net_msg *m)
{
	const struct fg_policy *p = j->s->p;
	sa_family_t fam = m->namelen >= sizeof(sa_family_t) ? m->name.ss_family : AF_UNSPEC;
	bool stream = j->type == SOCK_STREAM, ok, own = false;
	struct fg_verdict v = { 0 };
	int rc;

	if (fam != AF_INET && fam != AF_INET6 && fam != AF_UNIX)
		return 0;               /* AF_UNSPEC (dissolve), netlink: no destination */
	if (stream && j->nr != SYS_connect && !(j->flags & MSG_FASTOPEN))
		return 0;               /* a stream ignores or refuses the address */
	rc = fam == AF_UNIX ? judge_unix(j, m, &v, &own) : judge_ip(j, m, stream, &v);
	if (rc < 0 || own)
		return rc < 0 ? rc : 0; /* nothing there; fleetguard's own socket */
	ok = rc > 0;
	if (!ok && p->net.mode != FG_MODE_ENFORCE)
		ok = true;
	if (!ok && v.line == 0)
		v.line = p->net.line;   /* [network] decided by default */
	if (!j->judged || (!ok && j->ev.allow)) {
		j->judged = true;
		j->ev = (struct fg_sup_event){ .op = j->op, .path = j->text, .addr = true,
					       .flags = -1, .tid = j->tid, .allow = ok,
					       .line = v.line };
	}
	return ok ? 0 : -EACCES;
}

/* --- performing ---------------------------------------------------------- */

/* A judged UNIX pathname is addressed through the descriptor held. */
static void use_held(struct net_msg *m)
{
	struct sockaddr_un *un = (struct sockaddr_un *)&m->name;
	int len;

	if (m->pfd < 0)
		return;
	memset(un, 0, sizeof(*un));
	un->sun_family = AF_UNIX;
	len = snprintf(un->sun_path, sizeof(un->sun_path), "/proc/self/fd/%d", m->pfd);
	m->namelen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)len + 1);
}

static struct msghdr msghdr_of(struct net_msg *m, struct iovec *iov)
{
	*iov = (struct iovec){ m->data, m->len };
	return (struct msghdr){ .msg_name = m->namelen ? &m->name : NULL,
				.msg_namelen = m->namelen, .msg_iov = iov, .msg_iovlen = 1,
				.msg_control = m->ctl, .msg_controllen = m->ctllen };
}

/* sendmmsg fills msg_len of each message sent: so does the supervisor. */
static void put_lens(struct net_job *j, const struct mmsghdr *v, int sent)
{
	for (int i = 0; i < sent; i++) {
		struct iovec l = { (void *)&v[i].msg_len, sizeof(v[i].msg_len) };
		struct iovec r = { (void *)(uintptr_t)(j->vec + (uint64_t)i * sizeof(*v) +
						       offsetof(struct mmsghdr, msg_len)),
				   sizeof(v[i].msg_len) };

		(void)process_vm_writev(j->tid, &l, 1, &r, 1, 0);
	}
}

static long do_sendmmsg(struct net_job *j, int flags)
{
	struct mmsghdr *v = calloc(j->n ? j->n : 1, sizeof(*v));
	struct iovec *iov = calloc(j->n ? j->n : 1, sizeof(*iov));
	long rc = -ENOMEM;

	if (v != NULL && iov != NULL) {
		for (unsigned i = 0; i < j->n; i++)
			v[i].msg_hdr = msghdr_of(&j->m[i], &iov[i]);
		rc = sendmmsg(j->sk, v, j->n, flags);
		rc = rc < 0 ? -errno : rc;
		if (rc > 0)
			put_lens(j, v, (int)rc);
	}
	free(v);
	free(iov);
	return rc;
}

/* The rest of a stream send, with the caller's credentials again when
 * the first part carried them (descriptors went with the first part). */
static long send_rest(struct net_job *j, int flags)
{
	struct net_msg *m = &j->m[0];
	union {
		char b[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { m->data + j->done, m->len - j->done };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *h;
	long rc;

	if (j->vouch) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.b;
		mh.msg_controllen = sizeof(ctl.b);
		h = CMSG_FIRSTHDR(&mh);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_CREDENTIALS;
		h->cmsg_len = CMSG_LEN(sizeof(j->cred));
		memcpy(CMSG_DATA(h), &j->cred, sizeof(j->cred));
	}
	rc = sendmsg(j->sk, &mh, flags);
	return rc < 0 ? -errno : rc;
}

/* The call itself, on the caller's socket, with what was copied; flags
 * are the caller's plus MSG_NOSIGNAL (a broken pipe is the caller's
 * signal, not the supervisor's) and extra. */
static long perform(struct net_job *j, int extra)
{
	int flags = j->flags | MSG_NOSIGNAL | extra;
	struct net_msg *m = &j->m[0];
	struct iovec iov;
	struct msghdr mh;
	long rc;

	if (j->nr == SYS_connect)
		rc = connect(j->sk, (struct sockaddr *)&m->name, m->namelen);
	else if (j->nr == SYS_sendmmsg)
		return j->n == 0 ? 0 : do_sendmmsg(j, flags);
	else if (j->nr == SYS_sendto && m->ctl == NULL)
		rc = sendto(j->sk, m->data + j->done, m->len - j->done, flags,
			    m->namelen ? (struct sockaddr *)&m->name : NULL, m->namelen);
	else if (j->done > 0)
		return send_rest(j, flags);
	else {
		mh = msghdr_of(m, &iov);
		rc = sendmsg(j->sk, &mh, flags);
	}
	return rc < 0 ? -errno : rc;
}

static void job_free(struct net_job *j)
{
	for (unsigned i = 0; j->m != NULL && i < j->n; i++) {
		free(j->m[i].data);
		free(j->m[i].ctl);
		if (j->m[i].pfd >= 0)
			close(j->m[i].pfd);
	}
	for (size_t i = 0; i < j->nfds; i++)
		close(j->fds[i]);
	free(j->fds);
	free(j->m);
	if (j->sk >= 0)
		close(j->sk);
	if (j->pidfd >= 0)
		close(j->pidfd);
	free(j);
}

/* Answer, record, and let go. */
static void finish(struct net_job *j, long rc)
{
	if (rc == -EPIPE && !(j->flags & MSG_NOSIGNAL) && j->nr != SYS_connect)
		(void)syscall(SYS_pidfd_send_signal, j->pidfd, SIGPIPE, NULL, 0);
	fg_sup_answer(j->s, j->id, rc < 0 ? (int)-rc : 0, rc < 0 ? 0 : rc);
	if (j->judged) {
		j->ev.result = rc < 0 ? (int)-rc : 0;
		fg_sup_emit(j->s, &j->ev);
	}
	job_free(j);
}

/*
 * Workers wait for a few seconds after a job for the next one (at most
 * POOL_IDLE of them), so a burst of blocking connects or sends does not
 * start a thread each.  A job goes to an idle worker only when one is free
 * for it (pool_idle counts the idle workers no queued job is promised to);
 * otherwise a new thread starts, as before: a call that blocks never waits
 * behind another.  The pool is the process's, not a supervisor's: an idle
 * worker holds nothing of one.
 */
#define POOL_IDLE 4
#define POOL_LINGER_S 2

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cond = PTHREAD_COND_INITIALIZER;
static struct net_job *pool_head, *pool_tail;
static unsigned pool_idle;

static void work(struct net_job *j)
{
	struct fg_sup *s = j->s;
	long rc = perform(j, 0);

	if (rc > 0 && j->type == SOCK_STREAM && j->nr != SYS_connect && j->nr != SYS_sendmmsg)
		rc += (long)j->done;
	else if (rc < 0 && j->done > 0)
		rc = (long)j->done;
	finish(j, rc);
	pthread_mutex_lock(&s->rec_lock);
	s->workers--;
	pthread_mutex_unlock(&s->rec_lock);
}

/* The next job for an idle worker, or NULL after POOL_LINGER_S without. */
static struct net_job *next_job(void)
{
	struct timespec until;
	struct net_job *j;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += POOL_LINGER_S;
	pthread_mutex_lock(&pool_lock);
	if (pool_idle >= POOL_IDLE) {
		pthread_mutex_unlock(&pool_lock);
		return NULL;
	}
	pool_idle++;
	while (pool_head == NULL)
		if (pthread_cond_timedwait(&pool_cond, &pool_lock, &until) == ETIMEDOUT &&
		    pool_head == NULL) {
			pool_idle--;
			pthread_mutex_unlock(&pool_lock);
			return NULL;
		}
	j = pool_head;          /* promised to an idle worker: pool_idle was taken */
	pool_head = j->next;
	if (pool_head == NULL)
		pool_tail = NULL;
	pthread_mutex_unlock(&pool_lock);
	return j;
}

static void *worker(void *arg)
{
	for (struct net_job *j = arg; j != NULL; j = next_job())
		work(j);
	return NULL;
}

/* Give j to an idle worker: false when none is free. */
static bool to_idle(struct net_job *j)
{
	bool ok;

	pthread_mutex_lock(&pool_lock);
	ok = pool_idle > 0;
	if (ok) {
		pool_idle--;
		j->next = NULL;
		if (pool_tail != NULL)
			pool_tail->next = j;
		else
			pool_head = j;
		pool_tail = j;
		pthread_cond_signal(&pool_cond);
	}
	pthread_mutex_unlock(&pool_lock);
	return ok;
}

static void to_worker(struct net_job *j)
{
	pthread_attr_t at;
	pthread_t t;
	int rc;

	pthread_mutex_lock(&j->s->rec_lock);
	j->s->workers++;
	pthread_mutex_unlock(&j->s->rec_lock);
	if (to_idle(j))
		return;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 64 * 1024);
	rc = pthread_create(&t, &at, worker, j);
	pthread_attr_destroy(&at);
	if (rc != 0) {
		pthread_mutex_lock(&j->s->rec_lock);
		j->s->workers--;
		pthread_mutex_unlock(&j->s->rec_lock);
		finish(j, -EAGAIN);
	}
}

/* A UNIX stream or seqpacket connect waits only while the listener's
 * backlog is full: tried here without waiting (the socket non-blocking for
 * the call, its flags put back at once; an unconnected socket has nothing
 * else to read or write meanwhile), so that the audit daemon's connect of
 * every process the agent starts costs no thread.  True when answered. */
static bool connect_now(struct net_job *j)
{
	int fl = fcntl(j->sk, F_GETFL);
	long rc;

	if (fl < 0 || fcntl(j->sk, F_SETFL, fl | O_NONBLOCK) < 0)
		return false;
	rc = perform(j, 0);
	fcntl(j->sk, F_SETFL, fl);
	if (rc == -EAGAIN)
		return false;   /* the backlog is full: a worker waits */
	finish(j, rc);
	return true;
}

/* Perform now if it cannot block; else try without waiting and hand what
 * is left to a worker. */
static void run_job(struct net_job *j)
{
	long rc;

	if (!j->blocking || (j->nr == SYS_connect && j->type != SOCK_STREAM &&
			     j->type != SOCK_SEQPACKET)) {
		finish(j, perform(j, 0));
		return;
	}
	if (j->nr == SYS_connect) {
		if (j->m[0].name.ss_family == AF_UNIX && connect_now(j))
			return;
		to_worker(j);
		return;
	}
	rc = perform(j, MSG_DONTWAIT);
	if (rc >= 0 && j->type == SOCK_STREAM && j->nr != SYS_sendmmsg &&
	    (size_t)rc < j->m[0].len) {
		j->done = (size_t)rc;   /* the rest waits for room, as the caller would */
		to_worker(j);
		return;
	}
	if (rc == -EAGAIN)
		to_worker(j);
	else
		finish(j, rc);
}

static const char *op_of(long nr)
{
	return nr == SYS_connect ? "connect" : nr == SYS_sendto ? "sendto" :
	       nr == SYS_sendmsg ? "sendmsg" : "sendmmsg";
}

/* Take the socket and copy the call: 0, or -errno to answer (-ESRCH: the
 * caller is gone, nothing to answer). */
static int prepare(struct net_job *j)
{
	socklen_t l = sizeof(int);
	int fl, rc;

	j->pidfd = pidfd_of(j->tid);
	/* the tid might have died and been reused before the pidfd was taken */
	if (ioctl(j->s->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &j->id) < 0)
		return -ESRCH;
	if (j->pidfd < 0)
		return j->pidfd == -ESRCH ? -EAGAIN : j->pidfd;
	j->sk = take_fd(j->pidfd, (int)j->s->req->data.args[0]);
	if (j->sk < 0)
		return j->sk == -ESRCH ? -ESRCH : j->sk == -ENOSYS ? -ENOSYS : -EBADF;
	if (getsockopt(j->sk, SOL_SOCKET, SO_TYPE, &j->type, &l) < 0)
		return -errno;
	fl = fcntl(j->sk, F_GETFL);
	j->blocking = fl >= 0 && !(fl & O_NONBLOCK);
	rc = copy_call(j);
	return rc < 0 ? rc : fix_creds(j);
}

void fg_sup_net_handle(struct fg_sup *s)
{
	struct net_job *j = calloc(1, sizeof(*j));
	int rc;

	if (j == NULL) {
		fg_sup_answer(s, s->req->id, ENOMEM, 0);
		return;
	}
	*j = (struct net_job){ .s = s, .id = s->req->id, .tid = (int)s->req->pid, .pidfd = -1,
			       .sk = -1, .nr = (long)s->req->data.nr };
	j->op = op_of(j->nr);
	rc = prepare(j);
	if (j->flags & MSG_DONTWAIT)
		j->blocking = false;
	for (unsigned i = 0; rc == 0 && i < j->n; i++)
		rc = judge_msg(j, &j->m[i]);
	for (unsigned i = 0; rc == 0 && i < j->n; i++)
		use_held(&j->m[i]);
	if (rc == -ESRCH) {
		job_free(j);            /* the caller is gone */
		return;
	}
	if (rc < 0) {
		finish(j, rc);
		return;
	}
	run_job(j);
}

/* --- bind ------------------------------------------------------------------ */

/* The name a pathname UNIX bind would create, as dir + leaf judged for
 * writing: -EACCES when refused, 0 when allowed or not a pathname. */
static int judge_bind_name(struct fg_sup *s, int tid, const struct sockaddr_un *un,
			   socklen_t len, char *name, size_t cap, unsigned *line)
{
	size_t plen = len > offsetof(struct sockaddr_un, sun_path) ?
		      len - offsetof(struct sockaddr_un, sun_path) : 0;
	char path[sizeof(un->sun_path) + 1], dpath[PATH_MAX], *slash;
	struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
				.resolve = RESOLVE_NO_MAGICLINKS };
	const char *leaf;
	bool in_root;
	int base, dfd, rc;

	if (un->sun_family != AF_UNIX || plen == 0 || un->sun_path[0] == '\0')
		return 0;       /* an address, an abstract or unnamed socket: no name */
	memcpy(path, un->sun_path, plen);
	path[plen] = '\0';
	slash = strrchr(path, '/');
	leaf = slash ? slash + 1 : path;
	if (slash == path)
		path[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	base = fg_sup_base(s, tid, AT_FDCWD, slash ? path : "", &in_root);
	if (base < 0)
		return base;
	how.resolve |= in_root ? RESOLVE_IN_ROOT : 0;
	dfd = (int)syscall(SYS_openat2, base, slash ? path : ".", &how, sizeof(how));
	rc = dfd < 0 ? -errno : fg_sup_fd_name(dfd, tid, dpath, sizeof(dpath));
	fg_sup_base_put(s, base);
	if (dfd >= 0)
		close(dfd);
	if (rc == 0 && (size_t)snprintf(name, cap, "%s/%s", strcmp(dpath, "/") ? dpath : "",
					 leaf) >= cap)
		rc = -ENAMETOOLONG;
	if (rc == 0 && !fg_sup_judge(s, name, FG_ACC_WRITE, line))
		rc = -EACCES;
	return rc;
}

/* Bind the caller's socket skno here with the address un it judged (the
 * caller's memory is not read again): a relative name from the caller's
 * cwd (the supervisor's own for the call, then back), under the caller's
 * umask; getsockname gives back the very bytes asked. */
static int bind_here(struct fg_sup *s, int tid, int skno, const struct sockaddr_un *un,
		     socklen_t len)
{
	static int home = -1;   /* the supervisor's own cwd */
	bool in_root, moved = false;
	int pidfd = pidfd_of(tid), sk, cwd, rc = 0;
	mode_t old;

	if (pidfd < 0)
		return pidfd;
	sk = take_fd(pidfd, skno);
	close(pidfd);
	if (sk < 0)
		return sk;
	if (un->sun_path[0] == '/' && s->root_fd < 0)
		rc = -EPERM;    /* the caller's root is not the supervisor's */
	else if (un->sun_path[0] != '/' && un->sun_path[0] != '\0') {
		if (home < 0)
			home = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		cwd = fg_sup_base(s, tid, AT_FDCWD, "", &in_root);
		rc = cwd < 0 ? cwd : fchdir(cwd) < 0 ? -errno : 0;
		moved = rc == 0;
		fg_sup_base_put(s, cwd);
	}
	if (rc == 0) {
		rc = fg_sup_as_caller(s, tid);  /* the new name is the caller's */
		old = umask(fg_sup_caller_umask(s, tid));
		if (rc == 0)
			rc = bind(sk, (const struct sockaddr *)un, len) < 0 ? -errno : 0;
		fg_sup_as_self();
		umask(old);
	}
	if (moved && (home < 0 || fchdir(home) < 0))
		(void)!chdir("/");
	close(sk);
	return rc;
}

/*
 * bind(2) of a pathname UNIX socket creates a name, which Landlock would
 * allow anywhere in a write tree: the name is judged like any creation, and
 * the supervisor binds the caller's socket itself (pidfd_getfd) with the
 * address it copied and judged.  Answering "continue" instead would let the
 * kernel read the address again after the check, and another thread could
 * have put a denied name there.  Under the supervisor Landlock grants the
 * making of socket files nowhere (fg_ll_plan_no_sockets), so an address
 * flipped from another family to a UNIX pathname after the check fails in
 * the kernel too.  Names are made while no other name change of the agent
 * can run (those are trapped and performed by this same thread).  Other
 * families go on in the caller: TCP binds stay Landlock's, judged in the
 * caller's domain; autobind (the family alone) names nothing.
 */
void fg_sup_bind_handle(struct fg_sup *s)
{
	const __u64 *a = s->req->data.args;
	int tid = (int)s->req->pid;
	struct sockaddr_un un = { 0 };
	char name[PATH_MAX];
	uint64_t id = s->req->id;
	unsigned line = 0;
	bool here = false, allow;
	int rc = 0;

	name[0] = '\0';
	if (a[2] >= sizeof(sa_family_t) && a[2] <= sizeof(un))
		rc = fg_sup_read_mem(tid, a[1], &un, a[2]);
	if (rc == 0)
		rc = judge_bind_name(s, tid, &un, (socklen_t)a[2], name, sizeof(name), &line);
	allow = rc != -EACCES;
	if (rc == 0 && un.sun_family == AF_UNIX && a[2] > sizeof(sa_family_t) &&
	    a[2] <= sizeof(un)) {
		here = true;
		rc = bind_here(s, tid, (int)a[0], &un, (socklen_t)a[2]);
	}
	if (rc == 0 && !here) {
		struct seccomp_notif_resp r = { .id = id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE };

		ioctl(s->listener, SECCOMP_IOCTL_NOTIF_SEND, &r);
	} else if (fg_sup_answer(s, id, -rc, 0) < 0) {
		return;         /* the caller is gone */
	}
	if (name[0] != '\0' && (rc == 0 || !allow || here)) {
		struct fg_sup_event ev = { .op = "bind", .path = name, .flags = -1, .tid = tid,
					   .allow = allow, .line = line, .own = s->own_hit, .result = -rc };

		fg_sup_emit(s, &ev);
	}
}
