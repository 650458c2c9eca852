/* spawn.c - judges the opens in posix_spawn file actions before the child runs them.
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
/*
 * glibc runs posix_spawn's file actions inside the child, through calls no
 * hook sees, and keeps them in an opaque structure.  The addopen hook
 * therefore records each open here (keyed by the actions' address) and
 * posix_spawn judges them all before it starts anything.  The table is
 * small and fixed: when it is full addopen fails with ENOMEM, so an open
 * is never left unjudged.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim/shim.h"

#define FG_SPAWN_MAX 128

struct fg_spawn_rec {
	const void *fa;          /* NULL: a free slot */
	char *path;              /* NULL: a change of directory */
	int oflag;
};

static FG_COLD struct fg_spawn_rec fg_spawn_tab[FG_SPAWN_MAX];
static pthread_mutex_t fg_spawn_lock = PTHREAD_MUTEX_INITIALIZER;

int fg_spawn_note(const void *fa, const char *path, int oflag)
{
	char *copy = NULL;
	int rc = -ENOMEM;

	if (path != NULL && (copy = strdup(path)) == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&fg_spawn_lock);
	for (size_t i = 0; i < FG_SPAWN_MAX; i++) {
		if (fg_spawn_tab[i].fa == NULL) {
			fg_spawn_tab[i] = (struct fg_spawn_rec){ .fa = fa, .path = copy, .oflag = oflag };
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&fg_spawn_lock);
	if (rc < 0)
		free(copy);
	return rc;
}

void fg_spawn_forget(const void *fa)
{
	pthread_mutex_lock(&fg_spawn_lock);
	for (size_t i = 0; i < FG_SPAWN_MAX; i++) {
		if (fg_spawn_tab[i].fa == fa) {
			free(fg_spawn_tab[i].path);
			fg_spawn_tab[i] = (struct fg_spawn_rec){ 0 };
		}
	}
	pthread_mutex_unlock(&fg_spawn_lock);
}

/* Judge one open the child would make: 0 to go on, -1 with errno. */
static int fg_spawn_open_check(const char *path, int oflag, bool moved)
{
	char resolved[PATH_MAX];
	unsigned access = ((oflag & O_ACCMODE) != O_RDONLY || (oflag & (O_CREAT | O_TRUNC))) ?
			  FG_ACC_WRITE : FG_ACC_READ;
	struct fg_act act = { .op = "open", .path = path, .flags = oflag, .mode = -1,
			      .access = access };
	struct fg_verdict v = { .allow = false, .line = fg_g.pol->fs.line,
				.why = FG_R_SPAWN_RELATIVE_OPEN };
	int fd;
	long n;

	if (moved && path[0] != '/')
		return fg_enforce(&act, path, &v, fg_g.pol->fs.mode);
	fd = (int)fg_syscall(SYS_openat, AT_FDCWD, path,
			     O_PATH | O_CLOEXEC | (oflag & O_NOFOLLOW));
	if (fd >= 0) {
		n = fg_fd_path(fd, resolved, sizeof(resolved));
		fg_syscall(SYS_close, fd);
		if (n == 0)
			return 0;        /* no file system object: nothing to judge */
	} else {
		n = fg_abs_lexical(AT_FDCWD, path, resolved, sizeof(resolved));
	}
	if (n < 0) {
		errno = (int)-n;
		return -1;
	}
	act.path = resolved;
	fg_judge(resolved, (size_t)n, access, &v);
	return fg_enforce(&act, resolved, &v, fg_g.pol->fs.mode);
}

int fg_spawn_check(const void *fa)
{
	struct fg_spawn_rec mine[FG_SPAWN_MAX];
	size_t n = 0;
	bool moved = false;
	int rc = 0;

	if (fa == NULL || fg_g.pol->fs.mode == FG_MODE_OFF)
		return 0;
	pthread_mutex_lock(&fg_spawn_lock);
	for (size_t i = 0; i < FG_SPAWN_MAX; i++) {
		if (fg_spawn_tab[i].fa != fa)
			continue;
		mine[n] = fg_spawn_tab[i];
		mine[n].path = fg_spawn_tab[i].path ? strdup(fg_spawn_tab[i].path) : NULL;
		if (fg_spawn_tab[i].path != NULL && mine[n].path == NULL)
			rc = -1;
		n++;
	}
	pthread_mutex_unlock(&fg_spawn_lock);
	if (rc < 0)
		errno = ENOMEM;
	/* in the order the child runs them: a chdir affects later opens only */
	for (size_t i = 0; i < n; i++) {
		if (mine[i].path == NULL)
			moved = true;
		else if (rc == 0 && fg_spawn_open_check(mine[i].path, mine[i].oflag, moved) < 0)
			rc = -1;
		free(mine[i].path);
	}
	return rc;
}
