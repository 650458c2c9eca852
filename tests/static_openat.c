/* static_openat.c - a statically linked program (no dynamic loader, so no
 * LD_PRELOAD) that opens FILE with a raw openat system call and reads it.
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
 * Exit 0 and "read N bytes" when it could, 3 when the open failed with
 * EACCES, 4 on any other error (printed), 2 on usage errors.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char buf[256];
	long fd, n;

	if (argc != 2) {
		fprintf(stderr, "usage: static_openat FILE\n");
		return 2;
	}
	fd = syscall(SYS_openat, AT_FDCWD, argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		printf("openat %s: %s\n", argv[1], strerror(err));
		return err == EACCES ? 3 : 4;
	}
	n = syscall(SYS_read, fd, buf, sizeof(buf));
	syscall(SYS_close, fd);
	if (n < 0) {
		printf("read %s: %s\n", argv[1], strerror(errno));
		return 4;
	}
	printf("read %ld bytes\n", n);
	return 0;
}
