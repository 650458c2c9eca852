/* hooks_spawn.c - system(), popen() and posix_spawn file actions, carried through the hooked spawn.
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
 * glibc's system() and popen() start /bin/sh through an internal
 * posix_spawn that no hook sees, so a caller that removed LD_PRELOAD from
 * its environment would get an unconfined shell.  Both are implemented
 * here on top of the hooked posix_spawn, which judges /bin/sh, restores the
 * library's environment and keeps the sealed policy.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "policy/seal.h"
#include "shim/shim.h"

int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *fa, const char *path);
int posix_spawn_file_actions_addfchdir_np(posix_spawn_file_actions_t *fa, int fd);
int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *fa, int from);

FG_EXPORT int posix_spawn_file_actions_addopen(posix_spawn_file_actions_t *fa, int fd,
					       const char *path, int oflag, mode_t mode)
{
	FG_REAL(int, posix_spawn_file_actions_addopen, posix_spawn_file_actions_t *, int,
		const char *, int, mode_t);
	int rc = real_posix_spawn_file_actions_addopen(fa, fd, path, oflag, mode);

	if (rc == 0 && !fg_passthrough() && fg_spawn_note(fa, path, oflag) < 0)
		return ENOMEM;   /* never an open left unjudged */
	return rc;
}

FG_EXPORT int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *fa, const char *path)
{
	FG_REAL(int, posix_spawn_file_actions_addchdir_np, posix_spawn_file_actions_t *,
		const char *);
	int rc = real_posix_spawn_file_actions_addchdir_np(fa, path);

	if (rc == 0 && !fg_passthrough() && fg_spawn_note(fa, NULL, 0) < 0)
		return ENOMEM;
	return rc;
}

FG_EXPORT int posix_spawn_file_actions_addfchdir_np(posix_spawn_file_actions_t *fa, int fd)
{
	FG_REAL(int, posix_spawn_file_actions_addfchdir_np, posix_spawn_file_actions_t *, int);
	int rc = real_posix_spawn_file_actions_addfchdir_np(fa, fd);

	if (rc == 0 && !fg_passthrough() && fg_spawn_note(fa, NULL, 0) < 0)
		return ENOMEM;
	return rc;
}

/* glibc runs closefrom inside the child, where the sealed policy would go
 * too (the child would then stop with 126): close every other descriptor
 * below it one by one (a close of one that is not open is no error in
 * glibc's child), and from above it on. */
FG_EXPORT int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *fa, int from)
{
	FG_REAL(int, posix_spawn_file_actions_addclosefrom_np, posix_spawn_file_actions_t *, int);
	int rc = 0;

	if (fg_passthrough() || from > FG_SEAL_FD || from < 0)
		return real_posix_spawn_file_actions_addclosefrom_np(fa, from);
	bool pool = from <= FG_AUDIT_POOL_FD && fg_pool_fd_here();

	for (int fd = from; rc == 0 && fd < FG_SEAL_FD; fd++)
		if (fd != FG_AUDIT_POOL_FD || !pool)
			rc = posix_spawn_file_actions_addclose(fa, fd);
	return rc != 0 ? rc : real_posix_spawn_file_actions_addclosefrom_np(fa, FG_SEAL_FD + 1);
}

FG_EXPORT int posix_spawn_file_actions_init(posix_spawn_file_actions_t *fa)
{
	FG_REAL(int, posix_spawn_file_actions_init, posix_spawn_file_actions_t *);

	fg_spawn_forget(fa);
	return real_posix_spawn_file_actions_init(fa);
}

FG_EXPORT int posix_spawn_file_actions_destroy(posix_spawn_file_actions_t *fa)
{
	FG_REAL(int, posix_spawn_file_actions_destroy, posix_spawn_file_actions_t *);

	fg_spawn_forget(fa);
	return real_posix_spawn_file_actions_destroy(fa);
}

/* --- system() ------------------------------------------------------------ */

/* Start "/bin/sh -c cmd" through the hooked posix_spawn; 0 or an errno. */
static int fg_sh(pid_t *pid, const char *cmd, const posix_spawn_file_actions_t *fa,
		 const sigset_t *mask, const sigset_t *dfl)
{
	static char sh[] = "sh", dash_c[] = "-c";
	char *argv[] = { sh, dash_c, (char *)(uintptr_t)cmd, NULL };
	posix_spawnattr_t at;
	int rc;

	posix_spawnattr_init(&at);
	if (mask != NULL) {
		posix_spawnattr_setsigmask(&at, mask);
		posix_spawnattr_setsigdefault(&at, dfl);
		posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	}
	rc = posix_spawn(pid, "/bin/sh", fa, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	return rc;
}

FG_EXPORT int system(const char *cmd)
{
	FG_REAL(int, system, const char *);
	struct sigaction ign = { .sa_handler = SIG_IGN }, oint, oquit;
	sigset_t block, old, dfl;
	int status = 0, rc;
	pid_t pid;

	if (fg_passthrough())
		return real_system(cmd);
	if (cmd == NULL)
		return system("exit 0") == 0;
	/* as POSIX asks: the caller ignores SIGINT and SIGQUIT and blocks
	 * SIGCHLD while the command runs; the child gets the defaults */
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigaction(SIGINT, &ign, &oint);
	sigaction(SIGQUIT, &ign, &oquit);
	sigemptyset(&dfl);
	if (oint.sa_handler != SIG_IGN)
		sigaddset(&dfl, SIGINT);
	if (oquit.sa_handler != SIG_IGN)
		sigaddset(&dfl, SIGQUIT);
	rc = fg_sh(&pid, cmd, NULL, &old, &dfl);
	if (rc == 0) {
		while (waitpid(pid, &status, 0) < 0) {
			if (errno != EINTR) {
				status = -1;
				break;
			}
		}
	} else {
		status = W_EXITCODE(127, 0);   /* as glibc: the shell could not run */
	}
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGQUIT, &oquit, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return status;
}

/* --- popen() / pclose() ------------------------------------------------- */

#define FG_POPEN_MAX 64

static FG_COLD struct { FILE *f; int fd; pid_t pid; } fg_popen_tab[FG_POPEN_MAX];
static pthread_mutex_t fg_popen_lock = PTHREAD_MUTEX_INITIALIZER;

/* The file actions of a popen child: its end of the pipe onto want, and
 * no stream of an earlier popen (POSIX). */
static int fg_popen_actions(posix_spawn_file_actions_t *fa, int end, int want)
{
	int rc = posix_spawn_file_actions_adddup2(fa, end, want);

	for (size_t i = 0; rc == 0 && i < FG_POPEN_MAX; i++)
		if (fg_popen_tab[i].f != NULL && fg_popen_tab[i].fd != want)
			rc = posix_spawn_file_actions_addclose(fa, fg_popen_tab[i].fd);
	return rc;
}

/* Start cmd with the pipe p; registers and returns the stream, or NULL. */
static FILE *fg_popen_start(const char *cmd, bool rd, bool cloexec, int p[2])
{
	posix_spawn_file_actions_t fa;
	int mine = rd ? p[0] : p[1], theirs = rd ? p[1] : p[0], rc, slot = -1;
	FILE *f = NULL;
	pid_t pid;

	pthread_mutex_lock(&fg_popen_lock);
	for (int i = 0; i < FG_POPEN_MAX && slot < 0; i++)
		if (fg_popen_tab[i].f == NULL)
			slot = i;
	posix_spawn_file_actions_init(&fa);
	rc = slot < 0 ? EMFILE : fg_popen_actions(&fa, theirs, rd ? 1 : 0);
	if (rc == 0)
		rc = fg_sh(&pid, cmd, &fa, NULL, NULL);
	posix_spawn_file_actions_destroy(&fa);
	if (rc == 0 && (f = fdopen(mine, rd ? "r" : "w")) != NULL) {
		if (!cloexec)
			fcntl(mine, F_SETFD, 0);
		fg_popen_tab[slot].f = f;
		fg_popen_tab[slot].fd = mine;
		fg_popen_tab[slot].pid = pid;
	} else if (rc == 0) {
		rc = errno;
		waitpid(pid, NULL, 0);
	}
	pthread_mutex_unlock(&fg_popen_lock);
	errno = rc;
	return f;
}

FG_EXPORT FILE *popen(const char *cmd, const char *mode)
{
	FG_REAL(FILE *, popen, const char *, const char *);
	bool rd, cloexec;
	FILE *f;
	int p[2], err;

	if (fg_passthrough())
		return real_popen(cmd, mode);
	if ((mode[0] != 'r' && mode[0] != 'w') || strspn(mode + 1, "e") != strlen(mode + 1)) {
		errno = EINVAL;
		return NULL;
	}
	rd = mode[0] == 'r';
	cloexec = strchr(mode, 'e') != NULL;
	if (pipe2(p, O_CLOEXEC) < 0)
		return NULL;
	f = fg_popen_start(cmd, rd, cloexec, p);
	err = errno;
	close(rd ? p[1] : p[0]);
	if (f == NULL)
		close(rd ? p[0] : p[1]);
	errno = err;
	return f;
}

FG_EXPORT int pclose(FILE *f)
{
	FG_REAL(int, pclose, FILE *);
	pid_t pid = -1;
	int status;

	pthread_mutex_lock(&fg_popen_lock);
	for (size_t i = 0; i < FG_POPEN_MAX; i++) {
		if (f != NULL && fg_popen_tab[i].f == f) {
			pid = fg_popen_tab[i].pid;
			fg_popen_tab[i].f = NULL;
		}
	}
	pthread_mutex_unlock(&fg_popen_lock);
	if (pid < 0)
		return real_pclose(f);    /* a stream glibc's popen made */
	fclose(f);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}
