/* attr_probe.c - a static program that changes a file's metadata or watches it with raw calls, for the floor's tests.
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
 * usage: attr_probe CALL FILE
 *   chmod        chmod(FILE, 0600)
 *   chmod-empty  fchmodat2 and then fchownat("", AT_EMPTY_PATH) on an O_PATH
 *                descriptor of FILE (the way past a path string)
 *   chown        chown(FILE, own uid, own gid)
 *   utimes       utimensat(AT_FDCWD, FILE, {1, 1}, 0)
 *   setxattr     setxattr(FILE, "user.fg", "x")
 *   removexattr  removexattr(FILE, "user.fg")
 *   inotify      inotify_add_watch(FILE, IN_ALL_EVENTS)
 *   handle       name_to_handle_at(FILE)
 * Prints "CALL ok" or "CALL <errno name>"; exit 0, 3 (EACCES/EPERM/ENOSYS/
 * EOPNOTSUPP) or 4.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static long empty_path(const char *file)
{
	long fd = syscall(SYS_openat, AT_FDCWD, file, O_PATH);

	if (fd < 0)
		return -1;
	if (syscall(452, fd, "", 0600, AT_EMPTY_PATH) == 0)
		return 0;       /* fchmodat2 */
	return syscall(SYS_fchownat, fd, "", getuid(), getgid(), AT_EMPTY_PATH);
}

static long one(const char *call, const char *file)
{
	struct timespec ts[2] = { { 1, 0 }, { 1, 0 } };
	struct { unsigned bytes; int type; unsigned char h[128]; } fh = { .bytes = 128 };
	int mnt;
	long fd;

	if (strcmp(call, "chmod") == 0)
		return syscall(SYS_chmod, file, 0600);
	if (strcmp(call, "chmod-empty") == 0)
		return empty_path(file);
	if (strcmp(call, "chown") == 0)
		return syscall(SYS_chown, file, getuid(), getgid());
	if (strcmp(call, "utimes") == 0)
		return syscall(SYS_utimensat, AT_FDCWD, file, ts, 0);
	if (strcmp(call, "setxattr") == 0)
		return syscall(SYS_setxattr, file, "user.fg", "x", 1, 0);
	if (strcmp(call, "removexattr") == 0)
		return syscall(SYS_removexattr, file, "user.fg");
	if (strcmp(call, "inotify") == 0) {
		fd = syscall(SYS_inotify_init1, 0);
		return fd < 0 ? -1 : syscall(SYS_inotify_add_watch, fd, file, IN_ALL_EVENTS);
	}
	if (strcmp(call, "handle") == 0)
		return syscall(SYS_name_to_handle_at, AT_FDCWD, file, &fh, &mnt, 0);
	errno = EINVAL;
	return -1;
}

int main(int argc, char **argv)
{
	long rc;
	int err;

	if (argc != 3) {
		fprintf(stderr, "usage: attr_probe CALL FILE\n");
		return 2;
	}
	rc = one(argv[1], argv[2]);
	err = errno;
	printf("%s %s\n", argv[1], rc < 0 ? strerrorname_np(err) : "ok");
	if (rc >= 0)
		return 0;
	return err == EACCES || err == EPERM || err == ENOSYS || err == EOPNOTSUPP ? 3 : 4;
}
