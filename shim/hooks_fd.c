/* hooks_fd.c - the descriptor calls that could drop or replace the sealed policy.
 * its child gets.
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
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

#include "shim/shim.h"

int close_range(unsigned int first, unsigned int last, int flags);
void closefrom(int lowfd);
int fcntl64(int fd, int cmd, ...);

FG_EXPORT int dup2(int oldfd, int newfd)
{
	FG_REAL(int, dup2, int, int);

	if (oldfd != newfd && fg_seal_fd_refuse("dup2", newfd))
		return -1;
	return real_dup2(oldfd, newfd);
}

FG_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	FG_REAL(int, dup3, int, int, int);

	if (fg_seal_fd_refuse("dup3", newfd))
		return -1;
	return real_dup3(oldfd, newfd, flags);
}

FG_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	FG_REAL(int, close_range, unsigned int, unsigned int, int);

	return fg_seal_fd_close_range(first, last, flags, real_close_range);
}

FG_EXPORT void closefrom(int lowfd)
{
	FG_REAL(int, close_range, unsigned int, unsigned int, int);
	FG_REAL(void, closefrom, int);

	/* glibc's closefrom is close_range with a fallback for old kernels */
	if (lowfd < 0 || fg_seal_fd_close_range((unsigned)lowfd, ~0u, 0, real_close_range) < 0)
		real_closefrom(lowfd);
}

/* Every argument of fcntl fits a pointer-sized register on the ABIs glibc
 * supports; the third is read as one and passed on unchanged. */
static int fg_fcntl(int (*real)(int, int, ...), int fd, int cmd, void *arg)
{
	if (cmd == F_SETFD && ((unsigned long)arg & FD_CLOEXEC) && fg_seal_fd_refuse("fcntl", fd))
		return -1;
	return real(fd, cmd, arg);
}

FG_EXPORT int fcntl(int fd, int cmd, ...)
{
	FG_REAL(int, fcntl, int, int, ...);
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fg_fcntl(real_fcntl, fd, cmd, arg);
}

FG_EXPORT int fcntl64(int fd, int cmd, ...)
{
	FG_REAL(int, fcntl64, int, int, ...);
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fg_fcntl(real_fcntl64, fd, cmd, arg);
}
