/* sup_cred.c - the supervisor acts on the agent's files with the calling thread's own fsuid, fsgid, groups and capabilities.
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
 * The supervisor opens, creates, renames, unlinks, chmods and binds for the
 * agent.  The kernel checks those with the credentials of the thread that
 * makes the call, so the serving thread takes the caller's for each such
 * step: fsuid, fsgid, supplementary groups (raw setfsuid, setfsgid,
 * setgroups: per thread; glibc's setgroups would change every thread of the
 * supervisor) and effective capabilities (raw capset on this thread; the
 * permitted set is kept, so the supervisor's own come back).  What it does
 * for itself (/proc/<tid>/cwd, /proc/<tid>/fd/N, process_vm_readv,
 * pidfd_getfd: checks of the supervisor's right to look into the caller)
 * it does with its own.
 *
 * Cheap in the common case.  The agent starts with the supervisor's
 * credentials (the supervisor is its parent, forked before anything
 * changed), and under no_new_privs neither exec nor anything else raises
 * them; a thread's credentials change only by a system call of its own.
 * So until some process of the tree makes such a call, every caller holds
 * the supervisor's credentials, and nothing is read or switched.  The path
 * filter hands the calls that change credentials to the supervisor (the
 * set*id family, setgroups, capset, unshare, setns, clone with
 * CLONE_NEWUSER, prctl PR_CAPBSET_DROP / PR_SET_SECUREBITS / PR_CAP_AMBIENT),
 * which notes "they may differ" and answers "continue" before the change is
 * made; clone3 is refused with ENOSYS (its flags are out of the filter's
 * sight; libc falls back to clone).  From then on every step that needs the
 * caller's credentials reads them from /proc/<tid>/status of the calling
 * thread.
 *
 * Why that read is the caller's credentials at the time of the step: the
 * caller is blocked in its notification until the answer, and Linux changes
 * a thread's credentials only from that thread; the read is made after the
 * notification arrived and checked to be still pending afterwards (so the
 * tid was not reused in between).  Capabilities count only when the caller
 * is in the supervisor's user namespace (else none: stricter than the
 * kernel, which honours them over the namespace's own files).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel/sup_int.h"

#ifndef SECBIT_NOROOT
#define SECBIT_NOROOT 1
#endif

/* A thread's credentials as far as file checks go. */
struct sup_cred {
	uid_t fsuid;
	gid_t fsgid;
	unsigned ngroups;
	gid_t groups[FG_SUP_GROUPS_MAX];
	uint64_t eff;
	mode_t umask;
};

/* The supervisor's own, read once. */
static struct sup_cred self;
static uint64_t self_prm, self_inh;
static dev_t self_ns_dev;
static bool sure_ids;           /* CAP_SETUID and CAP_SETGID: setfs*id cannot fail */
static ino_t self_ns_ino;

/* Only the thread that serves notifications ever switches (mine); workers
 * keep the supervisor's own.  held and held_eff: what it holds now (file
 * ids and groups; the effective set, EFF_UNKNOWN after a setfsuid, which
 * changes it); broken when taking its own back failed (every later step
 * is refused). */
#define EFF_UNKNOWN (~0ull)
static __thread bool mine, broken;
static struct sup_cred held;
static uint64_t held_eff;

/* The caller's credentials for the notification being served. */
static struct sup_cred caller;
static uint64_t caller_id;
static bool caller_known, caller_same;

static const long cred_nrs[] = {
	SYS_setuid, SYS_setgid, SYS_setreuid, SYS_setregid, SYS_setresuid, SYS_setresgid,
	SYS_setfsuid, SYS_setfsgid, SYS_setgroups, SYS_capset, SYS_unshare, SYS_setns,
};

const long *fg_sup_cred_nrs(size_t *n)
{
	*n = sizeof(cred_nrs) / sizeof(cred_nrs[0]);
	return cred_nrs;
}

bool fg_sup_cred_traps(long nr)
{
	for (size_t i = 0; i < sizeof(cred_nrs) / sizeof(cred_nrs[0]); i++)
		if (cred_nrs[i] == nr)
			return true;
	return nr == SYS_prctl || nr == SYS_clone;
}

/* --- reading ------------------------------------------------------------- */

const char *fg_sup_status_field(const char *buf, const char *name)
{
	size_t l = strlen(name);

	for (const char *t = strstr(buf, "\n"); t != NULL; t = strstr(t + 1, "\n"))
		if (strncmp(t + 1, name, l) == 0 && t[l + 1] == ':')
			return t + l + 2;
	return NULL;
}

bool fg_sup_status_nums(const char *t, unsigned long *v, int n)
{
	char *end;

	for (int i = 0; i < n && t != NULL; i++) {
		errno = 0;
		v[i] = strtoul(t, &end, 10);
		t = errno || end == t ? NULL : end;
	}
	return t != NULL;
}

static bool parse_ids(const char *buf, const char *key, unsigned *fs)
{
	unsigned long v[4];     /* real, effective, saved, fs */

	if (!fg_sup_status_nums(fg_sup_status_field(buf, key), v, 4))
		return false;
	*fs = (unsigned)v[3];
	return true;
}

static bool parse_groups(const char *buf, struct sup_cred *c)
{
	const char *t = fg_sup_status_field(buf, "Groups");
	char *end;

	if (t == NULL)
		return false;
	c->ngroups = 0;
	for (;;) {
		unsigned long v;

		while (*t == ' ' || *t == '\t')
			t++;
		if (*t == '\n' || *t == '\0')
			return true;
		if (c->ngroups == FG_SUP_GROUPS_MAX)
			return false;   /* more than we keep: refused, not cut short */
		errno = 0;
		v = strtoul(t, &end, 10);
		if (errno || end == t)
			return false;
		c->groups[c->ngroups++] = (gid_t)v;
		t = end;
	}
}

static bool parse_hex(const char *buf, const char *key, uint64_t *out)
{
	const char *t = fg_sup_status_field(buf, key);
	char *end;

	if (t == NULL)
		return false;
	errno = 0;
	*out = strtoull(t, &end, 16);
	return errno == 0 && end != t;
}

/*
 * /proc/<tid>/status kept open per thread (a direct-mapped table): a pread
 * from offset 0 makes the file anew (about 6 us here, against 21 us for
 * open, read and close).  The descriptor is bound to the thread it was
 * opened for, not to the number: once that thread is gone the read fails
 * (ESRCH) even if the number was given to another, and the file is opened
 * again; while it lives, the number is its alone.
 */
#define STATUS_SLOTS 64
static struct { int tid, fd; } status_fds[STATUS_SLOTS];

static int status_open(int tid)
{
	char at[64];
	int fd;

	if (tid == 0)
		return open("/proc/thread-self/status", O_RDONLY | O_CLOEXEC);
	snprintf(at, sizeof(at), "/proc/%d/status", tid);
	fd = open(at, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		int k = tid % STATUS_SLOTS;

		if (status_fds[k].tid > 0)
			close(status_fds[k].fd);
		status_fds[k].tid = tid;
		status_fds[k].fd = fd;
	}
	return fd;
}

static ssize_t status_read(int tid, char *buf, size_t cap)
{
	int k = tid % STATUS_SLOTS, fd;
	ssize_t n;

	if (tid > 0 && status_fds[k].tid == tid) {
		n = pread(status_fds[k].fd, buf, cap, 0);
		if (n > 0)
			return n;
		close(status_fds[k].fd);        /* that thread is gone */
		status_fds[k].tid = 0;
	}
	fd = status_open(tid);
	if (fd < 0)
		return -1;
	n = pread(fd, buf, cap, 0);
	if (tid == 0)
		close(fd);
	return n;
}

ssize_t fg_sup_status(int tid, char *buf, size_t cap, bool cached)
{
	char at[64];
	ssize_t n;
	int fd, err;

	buf[0] = '\n';
	if (cached) {
		n = status_read(tid, buf + 1, cap - 2);
		if (n < 0)
			return -errno;
	} else {
		snprintf(at, sizeof(at), "/proc/%d/status", tid);
		fd = open(tid > 0 ? at : tid == 0 ? "/proc/thread-self/status" : "/proc/self/status",
			  O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		n = read(fd, buf + 1, cap - 2);
		err = errno;
		close(fd);
		errno = err;
		n = n > 0 ? n : 0;
	}
	buf[n + 1] = '\0';
	return n;
}

/* The credentials of thread tid (0: this thread) from its status. */
static int read_cred(int tid, struct sup_cred *c)
{
	static char buf[FG_SUP_GROUPS_MAX * 11 + 4096];
	const char *u;
	ssize_t n = fg_sup_status(tid, buf, sizeof(buf), true);
	unsigned fsuid, fsgid;

	if (n <= 0 || (size_t)n >= sizeof(buf) - 2)
		return n < 0 ? (int)n : -EOVERFLOW;
	if (!parse_ids(buf, "Uid", &fsuid) || !parse_ids(buf, "Gid", &fsgid) ||
	    !parse_groups(buf, c) || !parse_hex(buf, "CapEff", &c->eff))
		return -EOVERFLOW;
	c->fsuid = fsuid;
	c->fsgid = fsgid;
	u = fg_sup_status_field(buf, "Umask");
	c->umask = u ? (mode_t)strtoul(u, NULL, 8) & 0777 : 022;
	return 0;
}

static int capget_self(uint64_t *eff, uint64_t *prm, uint64_t *inh)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	*eff = d[0].effective | (uint64_t)d[1].effective << 32;
	*prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	*inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return 0;
}

static int capset_eff(uint64_t eff)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)eff, (uint32_t)self_prm, (uint32_t)self_inh },
		{ (uint32_t)(eff >> 32), (uint32_t)(self_prm >> 32), (uint32_t)(self_inh >> 32) },
	};

	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

/* Would an exec in the agent leave its credentials as they are (so that
 * only the trapped calls can change them)?  Root with every permitted
 * capability effective and within the bounding set, no SECBIT_NOROOT; or
 * an id without capabilities. */
static bool exec_keeps(void)
{
	char buf[4096];
	uint64_t bnd = 0;
	int bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);

	if (fg_sup_status(0, buf, sizeof(buf), false) < 0 || !parse_hex(buf, "CapBnd", &bnd))
		return false;
	if (self_prm == 0 && self.eff == 0)
		return true;
	return self.eff == self_prm && (self_prm & ~bnd) == 0 && bits >= 0 &&
	       !(bits & SECBIT_NOROOT) && strstr(buf, "\nUid:\t0\t0\t0\t0\n") != NULL;
}

int fg_sup_cred_init(struct fg_sup *s)
{
	struct stat st = { 0 };
	uint64_t eff = 0;
	int rc = read_cred(0, &self);

	if (rc == 0)
		rc = capget_self(&eff, &self_prm, &self_inh);
	if (rc == 0 && stat("/proc/thread-self/ns/user", &st) < 0)
		rc = -errno;
	if (rc < 0)
		return rc;
	self.eff = eff;
	self_ns_dev = st.st_dev;
	self_ns_ino = st.st_ino;
	held = self;
	held_eff = self.eff;
	sure_ids = (self.eff >> CAP_SETUID & 1) && (self.eff >> CAP_SETGID & 1);
	s->cred_vary = !exec_keeps();
	return 0;
}

void fg_sup_creds_vary(struct fg_sup *s)
{
	s->cred_vary = true;
}

/* --- switching ----------------------------------------------------------- */

static bool same_cred(const struct sup_cred *a, const struct sup_cred *b)
{
	return a->fsuid == b->fsuid && a->fsgid == b->fsgid && a->eff == b->eff &&
	       a->ngroups == b->ngroups &&
	       memcmp(a->groups, b->groups, a->ngroups * sizeof(a->groups[0])) == 0;
}

static int set_eff(uint64_t eff)
{
	int rc;

	if (held_eff == eff)
		return 0;
	rc = capset_eff(eff);
	held_eff = rc == 0 ? eff : EFF_UNKNOWN;
	return rc;
}

/* Take c's file ids and groups on this thread (what differs from what it
 * holds), with the supervisor's own capabilities while it does (setgroups
 * and setfs*id need CAP_SETGID and CAP_SETUID). */
static int take_ids(const struct sup_cred *c)
{
	bool groups = held.ngroups != c->ngroups ||
		      memcmp(held.groups, c->groups, c->ngroups * sizeof(c->groups[0])) != 0;

	if (!groups && held.fsgid == c->fsgid && held.fsuid == c->fsuid)
		return 0;
	if (set_eff(self.eff) < 0)
		return -EPERM;
	if (groups) {
		held.ngroups = FG_SUP_GROUPS_MAX + 1;   /* unknown until it worked */
		if (syscall(SYS_setgroups, (size_t)c->ngroups, c->groups) < 0)
			return -errno;
		held.ngroups = c->ngroups;
		memcpy(held.groups, c->groups, c->ngroups * sizeof(c->groups[0]));
	}
	/* setfs*id answers the previous id whatever happened: without
	 * CAP_SETUID / CAP_SETGID ask again (with them, an id the kernel
	 * showed in this namespace is always taken) */
	if (held.fsgid != c->fsgid) {
		held.fsgid = c->fsgid;
		syscall(SYS_setfsgid, c->fsgid);
		if (!sure_ids && (gid_t)syscall(SYS_setfsgid, c->fsgid) != c->fsgid)
			return -EPERM;
	}
	if (held.fsuid != c->fsuid) {
		held.fsuid = c->fsuid;
		held_eff = EFF_UNKNOWN; /* fsuid from or to 0 changes the file capabilities */
		syscall(SYS_setfsuid, c->fsuid);
		if (!sure_ids && (uid_t)syscall(SYS_setfsuid, c->fsuid) != c->fsuid)
			return -EPERM;
	}
	return 0;
}

static void give_up(void)
{
	broken = true;  /* stuck with less than its own: refuse from now on */
	fprintf(stderr, "fleetguard: floor: the supervisor cannot take its own credentials back: every further call is refused\n");
}

/*
 * Its own capabilities back, the caller's file ids and groups left in
 * place: every look into a caller (process_vm_readv, /proc/<tid>/fd,
 * pidfd_getfd: ptrace checks, passed with CAP_SYS_PTRACE whatever the file
 * ids) works so, and a dropped agent's next call needs one capset, not
 * seven system calls.  Whatever may create a file of the supervisor's
 * own (its records) takes everything back first: fg_sup_as_self_full.
 */
void fg_sup_as_self(void)
{
	if (mine && !broken && set_eff(self.eff) < 0)
		give_up();
}

void fg_sup_as_self_full(void)
{
	if (mine && !broken && (take_ids(&self) < 0 || set_eff(self.eff) < 0))
		give_up();
}

/* The caller of the notification being served, read once per notification. */
static int know_caller(const struct fg_sup *s, int tid)
{
	char at[64];
	struct stat st;
	int rc;

	if (caller_known && caller_id == s->req->id)
		return 0;
	caller_known = false;
	fg_sup_as_self();
	rc = read_cred(tid, &caller);
	if (rc < 0)
		return rc == -ENOENT ? -ESRCH : rc;
	snprintf(at, sizeof(at), "/proc/%d/ns/user", tid);
	if (caller.eff != 0 && stat(at, &st) < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	if (caller.eff != 0 && (st.st_dev != self_ns_dev || st.st_ino != self_ns_ino))
		caller.eff = 0; /* its capabilities are another namespace's */
	/* still waiting: the tid read is the caller's, not a reused one */
	if (ioctl(s->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &s->req->id) < 0)
		return -ESRCH;
	caller_same = same_cred(&caller, &self);
	caller_id = s->req->id;
	caller_known = true;
	return 0;
}

int fg_sup_as_caller(const struct fg_sup *s, int tid)
{
	const struct sup_cred *target;
	int rc;

	if (broken)
		return -EPERM;
	if (!s->cred_vary)
		return 0;
	rc = know_caller(s, tid);
	if (rc < 0)
		return rc;
	target = caller_same ? &self : &caller;
	mine = true;
	rc = take_ids(target);
	if (rc == 0)
		rc = set_eff(target->eff & self_prm);
	if (rc < 0) {
		fg_sup_as_self_full();
		return rc == -EPERM ? -EACCES : rc;
	}
	return 0;
}

bool fg_sup_cred_differ(const struct fg_sup *s)
{
	return s->cred_vary && caller_known && caller_id == s->req->id && !caller_same;
}

bool fg_sup_cred_umask(const struct fg_sup *s, mode_t *out)
{
	if (!caller_known || caller_id != s->req->id)
		return false;
	*out = caller.umask;
	return true;
}

/* A call that may change the caller's credentials: from now on they are
 * read per call.  Answered "continue": the kernel makes the change. */
void fg_sup_cred_handle(struct fg_sup *s)
{
	struct seccomp_notif_resp r = { .id = s->req->id,
					 .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE };

	s->cred_vary = true;
	caller_known = false;
	ioctl(s->listener, SECCOMP_IOCTL_NOTIF_SEND, &r);
}
