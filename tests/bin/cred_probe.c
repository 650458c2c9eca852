/* cred_probe.c - a static program that drops to nobody in its own thread with raw calls, then reads one file and creates another, for the floor's tests.
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
 * usage: cred_probe READ CREATE
 * setgroups(0), setresgid and setresuid to 65534 (raw system calls), then
 * openat(READ, O_RDONLY) and openat(CREATE, O_CREAT|O_WRONLY, 0644).
 * Prints "drop ok|<errno>", "read ok|<errno>", "create ok|<errno>";
 * exit 0, or 2 on bad usage.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void say(const char *what, long rc)
{
	printf("%s %s\n", what, rc >= 0 ? "ok" : strerrorname_np(errno));
}

int main(int argc, char **argv)
{
	long rc;

	if (argc != 3) {
		fprintf(stderr, "usage: cred_probe READ CREATE\n");
		return 2;
	}
	rc = syscall(SYS_setgroups, 0, NULL);
	if (rc == 0)
		rc = syscall(SYS_setresgid, 65534, 65534, 65534);
	if (rc == 0)
		rc = syscall(SYS_setresuid, 65534, 65534, 65534);
	say("drop", rc);
	rc = syscall(SYS_openat, AT_FDCWD, argv[1], O_RDONLY);
	say("read", rc);
	if (rc >= 0)
		close((int)rc);
	rc = syscall(SYS_openat, AT_FDCWD, argv[2], O_CREAT | O_WRONLY, 0644);
	say("create", rc);
	if (rc >= 0)
		close((int)rc);
	return 0;
}
