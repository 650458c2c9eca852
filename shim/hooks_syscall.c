/* hooks_syscall.c - libc's syscall() itself.
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
 * Raw file, exec and network system calls made through it are judged like the
 * named calls (by calling those hooks), and io_uring_setup answers ENOSYS so
 * that libuv and others fall back to ordinary calls the shim sees. Anything
 * else passes through.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef HAVE_OPENAT2
#include <linux/openat2.h>
#endif

#include "shim/shim.h"

#define A(i) (a[i])
#define P(i) ((const char *)a[i])

#if defined(HAVE_OPENAT2) && defined(SYS_openat2)
static long sys_openat2(const long *a)
{
	const struct open_how *how = (const struct open_how *)a[2];

	if (how == NULL || (size_t)a[3] < sizeof(*how)) {
		errno = how == NULL ? EFAULT : EINVAL;
		return -1;
	}
	if (how->resolve != 0) {
		/* Honour the caller's own resolution limits first. */
		struct open_how probe = { .flags = O_PATH | O_CLOEXEC, .resolve = how->resolve };
		long fd = fg_syscall(SYS_openat2, A(0), P(1), &probe, sizeof(probe));

		if (fd < 0 && !((how->flags & O_CREAT) && errno == ENOENT))
			return -1;
		if (fd >= 0)
			fg_syscall(SYS_close, fd);
	}
	return fg_openat_checked("open", (int)A(0), P(1), (int)how->flags, (mode_t)how->mode);
}
#endif

/* The opens, execs and socket calls: 1 with *ret set when nr is one. */
static int sys_open_exec_net(long nr, const long *a, long *ret)
{
	switch (nr) {
#ifdef SYS_io_uring_setup
	case SYS_io_uring_setup:
		errno = ENOSYS;
		*ret = -1;
		return 1;
#endif
#ifdef SYS_open
	case SYS_open:
		*ret = fg_openat_checked("open", AT_FDCWD, P(0), (int)A(1), (mode_t)A(2));
		return 1;
	case SYS_creat:
		*ret = fg_openat_checked("open", AT_FDCWD, P(0), O_CREAT | O_WRONLY | O_TRUNC, (mode_t)A(1));
		return 1;
#endif
	case SYS_openat:
		*ret = fg_openat_checked("open", (int)A(0), P(1), (int)A(2), (mode_t)A(3));
		return 1;
#if defined(HAVE_OPENAT2) && defined(SYS_openat2)
	case SYS_openat2:
		*ret = sys_openat2(a);
		return 1;
#endif
	case SYS_execve:
		*ret = execve(P(0), (char *const *)a[1], (char *const *)a[2]);
		return 1;
	case SYS_execveat:
		*ret = execveat((int)A(0), P(1), (char *const *)a[2], (char *const *)a[3], (int)A(4));
		return 1;
	case SYS_connect:
		*ret = connect((int)A(0), (const struct sockaddr *)a[1], (socklen_t)A(2));
		return 1;
	case SYS_bind:
		*ret = bind((int)A(0), (const struct sockaddr *)a[1], (socklen_t)A(2));
		return 1;
	case SYS_sendto:
		*ret = sendto((int)A(0), (const void *)a[1], (size_t)A(2), (int)A(3),
			      (const struct sockaddr *)a[4], (socklen_t)A(5));
		return 1;
	case SYS_sendmsg:
		*ret = sendmsg((int)A(0), (const struct msghdr *)a[1], (int)A(2));
		return 1;
	default:
		return 0;
	}
}

/* The path calls without a directory descriptor (x86-64 has them; newer
 * architectures only have the *at forms). */
static int sys_path_plain(long nr, const long *a, long *ret)
{
	switch (nr) {
#ifdef SYS_unlink
	case SYS_unlink:	*ret = unlink(P(0)); return 1;
	case SYS_rmdir:		*ret = rmdir(P(0)); return 1;
	case SYS_mkdir:		*ret = mkdir(P(0), (mode_t)A(1)); return 1;
	case SYS_rename:	*ret = rename(P(0), P(1)); return 1;
	case SYS_link:		*ret = link(P(0), P(1)); return 1;
	case SYS_symlink:	*ret = symlink(P(0), P(1)); return 1;
	case SYS_chmod:		*ret = chmod(P(0), (mode_t)A(1)); return 1;
	case SYS_chown:		*ret = chown(P(0), (uid_t)A(1), (gid_t)A(2)); return 1;
	case SYS_lchown:	*ret = lchown(P(0), (uid_t)A(1), (gid_t)A(2)); return 1;
	case SYS_mknod:		*ret = mknod(P(0), (mode_t)A(1), (dev_t)A(2)); return 1;
	case SYS_stat:		*ret = stat(P(0), (struct stat *)a[1]); return 1;
	case SYS_lstat:		*ret = lstat(P(0), (struct stat *)a[1]); return 1;
	case SYS_access:	*ret = access(P(0), (int)A(1)); return 1;
	case SYS_readlink:	*ret = readlink(P(0), (char *)a[1], (size_t)A(2)); return 1;
#endif
	default:
		return 0;
	}
}

/* The *at path calls, and truncate (every architecture has it). */
static int sys_path_at(long nr, const long *a, long *ret)
{
	switch (nr) {
	case SYS_truncate:
		*ret = truncate(P(0), (off_t)A(1));
		return 1;
	case SYS_unlinkat:
		*ret = unlinkat((int)A(0), P(1), (int)A(2));
		return 1;
	case SYS_mkdirat:
		*ret = mkdirat((int)A(0), P(1), (mode_t)A(2));
		return 1;
	case SYS_renameat:
		*ret = renameat((int)A(0), P(1), (int)A(2), P(3));
		return 1;
	case SYS_renameat2:
		*ret = renameat2((int)A(0), P(1), (int)A(2), P(3), (unsigned)A(4));
		return 1;
	case SYS_linkat:
		*ret = linkat((int)A(0), P(1), (int)A(2), P(3), (int)A(4));
		return 1;
	case SYS_symlinkat:
		*ret = symlinkat(P(0), (int)A(1), P(2));
		return 1;
	case SYS_fchmodat:
		*ret = fchmodat((int)A(0), P(1), (mode_t)A(2), 0);
		return 1;
	case SYS_fchownat:
		*ret = fchownat((int)A(0), P(1), (uid_t)A(2), (gid_t)A(3), (int)A(4));
		return 1;
	case SYS_mknodat:
		*ret = mknodat((int)A(0), P(1), (mode_t)A(2), (dev_t)A(3));
		return 1;
	case SYS_utimensat:
		*ret = utimensat((int)A(0), P(1), (const struct timespec *)a[2], (int)A(3));
		return 1;
	default:
		return 0;
	}
}

/* The read-only metadata calls with a directory descriptor. */
static int sys_meta_at(long nr, const long *a, long *ret)
{
	switch (nr) {
	case SYS_newfstatat:
		*ret = fstatat((int)A(0), P(1), (struct stat *)a[2], (int)A(3));
		return 1;
	case SYS_statx:
		*ret = statx((int)A(0), P(1), (int)A(2), (unsigned)A(3), (struct statx *)a[4]);
		return 1;
	case SYS_faccessat:
		*ret = faccessat((int)A(0), P(1), (int)A(2), 0);
		return 1;
#ifdef SYS_faccessat2
	case SYS_faccessat2:
		*ret = faccessat((int)A(0), P(1), (int)A(2), (int)A(3));
		return 1;
#endif
	case SYS_readlinkat:
		*ret = readlinkat((int)A(0), P(1), (char *)a[2], (size_t)A(3));
		return 1;
	default:
		return 0;
	}
}

/* Six arguments are read whatever the caller passed, as libc does: not
 * instrumented, since the extra ones are garbage the kernel ignores.  The
 * calls fleetguard judges go through their hooks; any other goes through. */
FG_EXPORT __attribute__((no_sanitize("address"))) long syscall(long nr, ...)
{
	va_list ap;
	long a[6];
	long ret;
	int i;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (fg_passthrough())
		return fg_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (sys_open_exec_net(nr, a, &ret) || sys_path_plain(nr, a, &ret) ||
	    sys_path_at(nr, a, &ret) || sys_meta_at(nr, a, &ret))
		return ret;
	return fg_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
