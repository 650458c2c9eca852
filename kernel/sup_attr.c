/* sup_attr.c - answers the agent's trapped metadata calls by path (chmod, chown, utimes, xattrs, inotify watches) after judging the object reached.
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
 * Landlock does not control these calls at all, so with a deny inside a
 * tree the supervisor takes them: it resolves the path itself (the caller's
 * root, cwd or dirfd; the caller's own descriptor for "" with AT_EMPTY_PATH
 * or /proc/self/fd/N), judges the path of the object it holds (write for
 * changes, read for a watch), and performs the change on that object
 * through its own descriptor, with arguments it copied once.  The newer
 * forms (fchmodat2, setxattrat, removexattrat, file_setattr) are refused
 * with ENOSYS by the trapping filter (libc falls back to the older ones),
 * name_to_handle_at with EOPNOTSUPP.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "kernel/sup_int.h"

enum attr_kind { A_CHMOD, A_CHOWN, A_UTIMENS, A_UTIMES, A_UTIME, A_SETX, A_REMOVEX, A_WATCH };

/* Where each call keeps its arguments: dirfd (-1: AT_FDCWD), path, the at
 * flags (-1: none), and whether it follows a final link by default. */
struct attr_op {
	long nr;
	const char *op;
	enum attr_kind kind;
	signed char dirfd, path, atflags;
	bool follow;
};

static const struct attr_op attr_ops[] = {
#ifdef SYS_chmod
	{ SYS_chmod, "chmod", A_CHMOD, -1, 0, -1, true },
	{ SYS_chown, "chown", A_CHOWN, -1, 0, -1, true },
	{ SYS_lchown, "chown", A_CHOWN, -1, 0, -1, false },
	{ SYS_utime, "utimensat", A_UTIME, -1, 0, -1, true },
	{ SYS_utimes, "utimensat", A_UTIMES, -1, 0, -1, true },
	{ SYS_futimesat, "utimensat", A_UTIMES, 0, 1, -1, true },
#endif
	{ SYS_fchmodat, "chmod", A_CHMOD, 0, 1, -1, true },
	{ SYS_fchownat, "chown", A_CHOWN, 0, 1, 4, true },
	{ SYS_utimensat, "utimensat", A_UTIMENS, 0, 1, 3, true },
	{ SYS_setxattr, "setxattr", A_SETX, -1, 0, -1, true },
	{ SYS_lsetxattr, "setxattr", A_SETX, -1, 0, -1, false },
	{ SYS_removexattr, "removexattr", A_REMOVEX, -1, 0, -1, true },
	{ SYS_lremovexattr, "removexattr", A_REMOVEX, -1, 0, -1, false },
	{ SYS_inotify_add_watch, "inotify_add_watch", A_WATCH, -1, 1, -1, true },
};

const long fg_sup_attr_nrs[] = {
#ifdef SYS_chmod
	SYS_chmod, SYS_chown, SYS_lchown, SYS_utime, SYS_utimes, SYS_futimesat,
#endif
	SYS_fchmodat, SYS_fchownat, SYS_utimensat, SYS_setxattr, SYS_lsetxattr,
	SYS_removexattr, SYS_lremovexattr, SYS_inotify_add_watch,
};
const size_t fg_sup_attr_n = sizeof(fg_sup_attr_nrs) / sizeof(fg_sup_attr_nrs[0]);

static const struct attr_op *op_of(long nr)
{
	for (size_t i = 0; i < sizeof(attr_ops) / sizeof(attr_ops[0]); i++)
		if (attr_ops[i].nr == nr)
			return &attr_ops[i];
	return NULL;
}

bool fg_sup_attr_traps(long nr)
{
	return op_of(nr) != NULL;
}

/* The object the call names, as the supervisor's O_PATH descriptor. */
static int resolve(const struct fg_sup *s, int tid, int dirfd, const char *path, bool follow)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW),
				.resolve = RESOLVE_NO_MAGICLINKS };
	char at[64];
	bool in_root;
	int n = path[0] ? fg_sup_own_fd(path) : dirfd, base, fd;

	if (n >= 0 || (path[0] == '\0' && dirfd == AT_FDCWD)) {
		if (n < 0)
			snprintf(at, sizeof(at), "/proc/%d/cwd", tid);
		else
			snprintf(at, sizeof(at), "/proc/%d/fd/%d", tid, n);
		fg_sup_as_self();
		fd = open(at, O_PATH | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	base = fg_sup_base(s, tid, dirfd, path, &in_root);
	if (base < 0)
		return base;
	how.resolve |= in_root ? RESOLVE_IN_ROOT : 0;
	fd = fg_sup_as_caller(s, tid);  /* the walk is the caller's */
	if (fd == 0) {
		fd = (int)syscall(SYS_openat2, base, path, &how, sizeof(how));
		fd = fd < 0 ? -errno : fd;
	}
	fg_sup_base_put(s, base);
	return fd;
}

/* The call's times as utimensat takes them (NULL: now). */
static int times_of(int tid, enum attr_kind k, uint64_t at, struct timespec ts[2],
		    struct timespec **out)
{
	struct timeval tv[2];
	struct { int64_t actime, modtime; } ut;
	int rc = 0;

	*out = NULL;
	if (at == 0)
		return 0;
	if (k == A_UTIMENS) {
		rc = fg_sup_read_mem(tid, at, ts, 2 * sizeof(*ts));
	} else if (k == A_UTIMES) {
		rc = fg_sup_read_mem(tid, at, tv, sizeof(tv));
		for (int i = 0; i < 2 && rc == 0; i++)
			ts[i] = (struct timespec){ tv[i].tv_sec, tv[i].tv_usec * 1000 };
	} else {
		rc = fg_sup_read_mem(tid, at, &ut, sizeof(ut));
		ts[0] = (struct timespec){ ut.actime, 0 };
		ts[1] = (struct timespec){ ut.modtime, 0 };
	}
	*out = ts;
	return rc;
}

/* xattr name and value, read once. */
static long do_xattr(const struct fg_sup *s, int tid, const struct attr_op *o, const __u64 *a,
		     const char *at, bool link)
{
	char name[XATTR_NAME_MAX + 1];
	void *value = NULL;
	long rc = fg_sup_read_str(tid, a[1], name, sizeof(name));

	if (rc < 0)
		return rc == -ENAMETOOLONG ? -ERANGE : rc;
	if (link)
		return -EPERM;  /* no user attributes on links; the rest need privileges */
	if (o->kind == A_REMOVEX) {
		rc = fg_sup_as_caller(s, tid);
		return rc < 0 ? rc : removexattr(at, name) < 0 ? -errno : 0;
	}
	if (a[3] > XATTR_SIZE_MAX)
		return -E2BIG;
	value = malloc(a[3] ? a[3] : 1);
	if (value == NULL)
		return -ENOMEM;
	rc = fg_sup_read_mem(tid, a[2], value, a[3]);
	if (rc == 0)
		rc = fg_sup_as_caller(s, tid);
	if (rc == 0)
		rc = setxattr(at, name, value, a[3], (int)a[4]) < 0 ? -errno : 0;
	free(value);
	return rc;
}

/* The change itself, on the object behind pfd. */
static long perform(const struct fg_sup *s, int tid, const struct attr_op *o, const __u64 *a, int pfd, bool link)
{
	struct timespec ts[2], *tp;
	char at[64];
	long rc, ifd;
	int pidfd;

	snprintf(at, sizeof(at), "/proc/self/fd/%d", pfd);
	switch (o->kind) {
	case A_CHMOD:
		if (link)
			return -EOPNOTSUPP;
		rc = fg_sup_as_caller(s, tid);
		return rc < 0 ? rc : chmod(at, (mode_t)a[o->path + 1]) < 0 ? -errno : 0;
	case A_CHOWN:
		rc = fg_sup_as_caller(s, tid);
		return rc < 0 ? rc : fchownat(pfd, "", (uid_t)a[o->path + 1], (gid_t)a[o->path + 2],
				AT_EMPTY_PATH) < 0 ? -errno : 0;
	case A_UTIMENS:
	case A_UTIMES:
	case A_UTIME:
		rc = times_of(tid, o->kind, a[o->path + 1], ts, &tp);
		if (rc == 0)
			rc = fg_sup_as_caller(s, tid);
		return rc < 0 ? rc : utimensat(pfd, "", tp, AT_EMPTY_PATH) < 0 ? -errno : 0;
	case A_SETX:
	case A_REMOVEX:
		return do_xattr(s, tid, o, a, at, link);
	case A_WATCH:
		fg_sup_as_self();       /* taking the caller's descriptor */
		pidfd = (int)syscall(SYS_pidfd_open, tid, 0);
		ifd = pidfd < 0 ? -1 : syscall(SYS_pidfd_getfd, pidfd, (int)a[0], 0);
		if (pidfd >= 0)
			close(pidfd);
		if (ifd < 0)
			return -EBADF;
		rc = fg_sup_as_caller(s, tid);
		if (rc < 0) {
			close((int)ifd);
			return rc;
		}
		rc = inotify_add_watch((int)ifd, at, (uint32_t)a[2] & ~IN_DONT_FOLLOW);
		rc = rc < 0 ? -errno : rc;
		close((int)ifd);
		return rc;
	}
	return -ENOSYS;
}

static int read_path(struct fg_sup *s, const struct attr_op *o, char *path, size_t cap)
{
	const __u64 *a = s->req->data.args;

	if (o->kind == A_UTIMENS && a[o->path] == 0) {
		path[0] = '\0';         /* futimens(fd): the descriptor itself */
		return 0;
	}
	return fg_sup_read_str((int)s->req->pid, a[o->path], path, cap);
}

void fg_sup_attr_handle(struct fg_sup *s)
{
	const struct attr_op *o = op_of((long)s->req->data.nr);
	const __u64 *a = s->req->data.args;
	int tid = (int)s->req->pid, dirfd, flags, pfd;
	char path[PATH_MAX], name[PATH_MAX];
	uint64_t id = s->req->id;
	unsigned line = 0;
	struct stat st;
	bool follow;
	long rc;

	if (o == NULL) {
		fg_sup_answer(s, id, ENOSYS, 0);
		return;
	}
	dirfd = o->dirfd < 0 ? AT_FDCWD : (int)a[o->dirfd];
	flags = o->atflags < 0 ? 0 : (int)a[o->atflags];
	follow = o->follow && !(flags & AT_SYMLINK_NOFOLLOW) &&
		 !(o->kind == A_WATCH && (a[2] & IN_DONT_FOLLOW));
	rc = read_path(s, o, path, sizeof(path));
	if (rc == 0 && path[0] == '\0' && !(flags & AT_EMPTY_PATH) && o->kind != A_UTIMENS)
		rc = -ENOENT;
	if (rc == 0 && ioctl(s->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0)
		return;         /* the caller is gone */
	pfd = rc < 0 ? (int)rc : resolve(s, tid, o->kind == A_WATCH ? AT_FDCWD : dirfd, path, follow);
	rc = pfd < 0 ? pfd : fg_sup_fd_name(pfd, tid, name, sizeof(name));
	if (rc == 0 && !fg_sup_judge(s, name, o->kind == A_WATCH ? FG_ACC_READ : FG_ACC_WRITE,
				    &line))
		rc = -EACCES;
	if (rc == 0)
		rc = perform(s, tid, o, a, pfd, fstat(pfd, &st) == 0 && S_ISLNK(st.st_mode));
	fg_sup_as_self();
	if (pfd >= 0)
		close(pfd);
	if (rc == -ESRCH)
		return;         /* the caller is gone */
	fg_sup_answer(s, id, rc < 0 ? (int)-rc : 0, rc < 0 ? 0 : rc);
	if (pfd >= 0 && (rc != -EACCES || line > 0 || s->own_hit)) {
		struct fg_sup_event ev = { .op = o->op, .path = name, .flags = -1, .tid = tid,
					   .allow = rc != -EACCES, .line = line, .own = s->own_hit,
					   .result = rc < 0 ? (int)-rc : 0 };

		fg_sup_emit(s, &ev);
	}
}
