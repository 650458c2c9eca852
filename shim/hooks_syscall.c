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

/* Six arguments are read whatever the caller passed, as libc does: not
 * instrumented, since the extra ones are garbage the kernel ignores. */
FG_EXPORT __attribute__((no_sanitize("address"))) long syscall(long nr, ...)
{
	va_list ap;
	long a[6];
	int i;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (fg_passthrough())
		return fg_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);

	switch (nr) {
#ifdef SYS_io_uring_setup
	case SYS_io_uring_setup:
		errno = ENOSYS;
		return -1;
#endif
#ifdef SYS_open
	case SYS_open:
		return fg_openat_checked("open", AT_FDCWD, P(0), (int)A(1), (mode_t)A(2));
	case SYS_creat:
		return fg_openat_checked("open", AT_FDCWD, P(0), O_CREAT | O_WRONLY | O_TRUNC, (mode_t)A(1));
#endif
	case SYS_openat:
		return fg_openat_checked("open", (int)A(0), P(1), (int)A(2), (mode_t)A(3));
#if defined(HAVE_OPENAT2) && defined(SYS_openat2)
	case SYS_openat2: {
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
	case SYS_execve:
		return execve(P(0), (char *const *)a[1], (char *const *)a[2]);
	case SYS_execveat:
		return execveat((int)A(0), P(1), (char *const *)a[2], (char *const *)a[3], (int)A(4));
	case SYS_connect:
		return connect((int)A(0), (const struct sockaddr *)a[1], (socklen_t)A(2));
	case SYS_bind:
		return bind((int)A(0), (const struct sockaddr *)a[1], (socklen_t)A(2));
	case SYS_sendto:
		return sendto((int)A(0), (const void *)a[1], (size_t)A(2), (int)A(3),
			      (const struct sockaddr *)a[4], (socklen_t)A(5));
	case SYS_sendmsg:
		return sendmsg((int)A(0), (const struct msghdr *)a[1], (int)A(2));
#ifdef SYS_unlink
	case SYS_unlink:
		return unlink(P(0));
	case SYS_rmdir:
		return rmdir(P(0));
	case SYS_mkdir:
		return mkdir(P(0), (mode_t)A(1));
	case SYS_rename:
		return rename(P(0), P(1));
	case SYS_link:
		return link(P(0), P(1));
	case SYS_symlink:
		return symlink(P(0), P(1));
	case SYS_chmod:
		return chmod(P(0), (mode_t)A(1));
	case SYS_chown:
		return chown(P(0), (uid_t)A(1), (gid_t)A(2));
	case SYS_lchown:
		return lchown(P(0), (uid_t)A(1), (gid_t)A(2));
	case SYS_mknod:
		return mknod(P(0), (mode_t)A(1), (dev_t)A(2));
	case SYS_stat:
		return stat(P(0), (struct stat *)a[1]);
	case SYS_lstat:
		return lstat(P(0), (struct stat *)a[1]);
	case SYS_access:
		return access(P(0), (int)A(1));
	case SYS_readlink:
		return readlink(P(0), (char *)a[1], (size_t)A(2));
#endif
	case SYS_unlinkat:
		return unlinkat((int)A(0), P(1), (int)A(2));
	case SYS_mkdirat:
		return mkdirat((int)A(0), P(1), (mode_t)A(2));
	case SYS_renameat:
		return renameat((int)A(0), P(1), (int)A(2), P(3));
	case SYS_renameat2:
		return renameat2((int)A(0), P(1), (int)A(2), P(3), (unsigned)A(4));
	case SYS_linkat:
		return linkat((int)A(0), P(1), (int)A(2), P(3), (int)A(4));
	case SYS_symlinkat:
		return symlinkat(P(0), (int)A(1), P(2));
	case SYS_fchmodat:
		return fchmodat((int)A(0), P(1), (mode_t)A(2), 0);
	case SYS_fchownat:
		return fchownat((int)A(0), P(1), (uid_t)A(2), (gid_t)A(3), (int)A(4));
	case SYS_mknodat:
		return mknodat((int)A(0), P(1), (mode_t)A(2), (dev_t)A(3));
	case SYS_utimensat:
		return utimensat((int)A(0), P(1), (const struct timespec *)a[2], (int)A(3));
	case SYS_truncate:
		return truncate(P(0), (off_t)A(1));
	case SYS_newfstatat:
		return fstatat((int)A(0), P(1), (struct stat *)a[2], (int)A(3));
	case SYS_statx:
		return statx((int)A(0), P(1), (int)A(2), (unsigned)A(3), (struct statx *)a[4]);
	case SYS_faccessat:
		return faccessat((int)A(0), P(1), (int)A(2), 0);
#ifdef SYS_faccessat2
	case SYS_faccessat2:
		return faccessat((int)A(0), P(1), (int)A(2), (int)A(3));
#endif
	case SYS_readlinkat:
		return readlinkat((int)A(0), P(1), (char *)a[2], (size_t)A(3));
	default:
		return fg_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
}
