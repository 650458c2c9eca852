/* floor_preload.c - the least a preloaded library that puts Landlock under a process pays at start.
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
 * A reference for bench/startup_bench, never installed.  Its constructor
 * reads a rules file named by FG_FLOOR_RULES ("r PATH" or "w PATH" per
 * line: the trees `fleetguard check` lists), builds a Landlock ruleset of
 * the same rules the way kernel/landlock.c does (an O_PATH open and one or
 * two add_rule calls each), restricts itself and removes the variable, so
 * that its descendants only load the library, as fleetguard's map their
 * sealed policy instead of building anything.  Without the variable it
 * does nothing: what loading any preloaded library costs.  No policy, no
 * audit, no hooks: the figures of fleetguard above these are its own.
 */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FS_EXECUTE (1ULL << 0)
#define FS_WRITE_FILE (1ULL << 1)
#define FS_READ_FILE (1ULL << 2)
#define FS_READ_DIR (1ULL << 3)
#define FS_TRUNCATE (1ULL << 14)
#define FS_ALL ((1ULL << 15) - 1)       /* every right up to ABI 3, as ours */
#define FS_FILE (FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE)
#define RULE_PATH_BENEATH 1

struct ruleset_attr {
	uint64_t fs;
};

struct path_beneath {
	uint64_t allowed;
	int32_t parent_fd;
} __attribute__((packed));

static void add(int rfd, const char *path, uint64_t rights)
{
	struct path_beneath pb = { rights, -1 };

	pb.parent_fd = open(path, O_PATH | O_CLOEXEC);
	if (pb.parent_fd < 0)
		return;
	if (syscall(SYS_landlock_add_rule, rfd, RULE_PATH_BENEATH, &pb, 0) < 0) {
		pb.allowed &= FS_FILE;
		(void)syscall(SYS_landlock_add_rule, rfd, RULE_PATH_BENEATH, &pb, 0);
	}
	close(pb.parent_fd);
}

__attribute__((constructor)) static void floor_init(void)
{
	const char *name = getenv("FG_FLOOR_RULES");
	struct ruleset_attr attr = { FS_ALL };
	char buf[16384], *s, *e;
	ssize_t n;
	int fd, rfd;

	if (name == NULL)
		return;
	fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		_exit(126);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		_exit(126);
	buf[n] = '\0';
	rfd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (rfd < 0)
		_exit(126);
	for (s = buf; (e = strchr(s, '\n')) != NULL && e - s > 2; s = e + 1) {
		*e = '\0';
		add(rfd, s + 2, s[0] == 'w' ? FS_ALL : FS_EXECUTE | FS_READ_FILE | FS_READ_DIR);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_landlock_restrict_self, rfd, 0) < 0)
		_exit(126);
	close(rfd);
	unsetenv("FG_FLOOR_RULES");
}
