/* seal_raw.c - a static program that attacks the sealed policy descriptor and the policy file with raw system calls.
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
 * usage: seal_raw CALL [FILE]
 *   close | dup2 | dup3 | setfd | fioclex | close_range | cloexec_range
 *            one raw call on descriptor 1021 (dup2/dup3 put /dev/null there;
 *            close_range(3, ~0U, 0) and close_range(1021, 1021,
 *            CLOSE_RANGE_CLOEXEC)), then prints "<call> ok" or "<call>
 *            <errno name>", then what 1021 holds and whether it is
 *            close-on-exec ("1021 /memfd:fleetguard-policy (deleted) keep")
 *   write FILE  a raw openat(O_WRONLY|O_APPEND) and write of FILE
 * Exit status: 0 the call succeeded, 3 refused, 4 failed otherwise.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SEAL 1021
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static long one(const char *call)
{
	long null = syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY);

	if (strcmp(call, "close") == 0)
		return syscall(SYS_close, SEAL);
	if (strcmp(call, "dup2") == 0)
		return syscall(SYS_dup2, null, SEAL);
	if (strcmp(call, "dup3") == 0)
		return syscall(SYS_dup3, null, SEAL, O_CLOEXEC);
	if (strcmp(call, "setfd") == 0)
		return syscall(SYS_fcntl, SEAL, F_SETFD, FD_CLOEXEC);
	if (strcmp(call, "fioclex") == 0)
		return syscall(SYS_ioctl, SEAL, FIOCLEX);
	if (strcmp(call, "close_range") == 0)
		return syscall(SYS_close_range, 3, ~0U, 0);
	if (strcmp(call, "cloexec_range") == 0)
		return syscall(SYS_close_range, SEAL, SEAL, CLOSE_RANGE_CLOEXEC);
	errno = EINVAL;
	return -1;
}

static void show_seal(void)
{
	char name[256];
	ssize_t n = readlink("/proc/self/fd/1021", name, sizeof(name) - 1);
	long fl = syscall(SYS_fcntl, SEAL, F_GETFD);

	name[n > 0 ? n : 0] = '\0';
	printf("1021 %s %s\n", n > 0 ? name : "-", fl < 0 ? "-" : (fl & FD_CLOEXEC) ? "cloexec" : "keep");
}

int main(int argc, char **argv)
{
	long rc;
	int err;

	if (argc == 3 && strcmp(argv[1], "write") == 0) {
		long fd = syscall(SYS_openat, AT_FDCWD, argv[2], O_WRONLY | O_APPEND);

		rc = fd < 0 ? -1 : syscall(SYS_write, fd, "\n# x\n", 5);
	} else if (argc == 2) {
		rc = one(argv[1]);
	} else {
		fprintf(stderr, "usage: seal_raw CALL [FILE]\n");
		return 2;
	}
	err = errno;
	printf("%s %s\n", argv[1], rc < 0 ? strerrorname_np(err) : "ok");
	if (argc == 2)
		show_seal();
	if (rc >= 0)
		return 0;
	return err == EBADF || err == ENOSYS || err == EACCES || err == EROFS || err == EPERM ? 3 : 4;
}
