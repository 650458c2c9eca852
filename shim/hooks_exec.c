/* hooks_exec.c - the exec family and posix_spawn.
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
 * Each judges its target with fg_exec_check() and passes the child a rebuilt
 * environment.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim/shim.h"
#include "shim/versions.h"

int execvpe(const char *file, char *const argv[], char *const envp[]);

/* Each exec below hands its audit connection to the new image (audit.h):
 * the record goes out without a wait, and the image goes on with the
 * connection instead of making one. */
FG_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	struct fg_audit_handover h = { .fd = -1 };
	struct fg_env_room room;
	char **env;
	int err;

	if (fg_passthrough())
		return (int)fg_syscall(SYS_execve, path, argv, envp);
	if (fg_exec_check_h("exec", AT_FDCWD, path, 0, &h) < 0) {
		fg_exec_handback(&h);
		return -1;
	}
	env = fg_env_build_h(envp, &h, &room);
	fg_syscall(SYS_execve, path, argv, env != NULL ? env : envp);
	err = errno;
	fg_env_free(env);
	fg_exec_handback(&h);
	fg_exec_failed(err);
	return -1;
}

/* _exit and _Exit end the process without exit()'s handlers, so without
 * the exit record; a process nobody in its tree waits for still waits for
 * the barrier over the whole log (docs/AUDIT.md).  Not in a vfork child
 * (its cached pid is its parent's: it shares the parent's memory and must
 * not use its connection), nor inside the library (a signal handler that
 * interrupted an append). */
FG_EXPORT void _exit(int status)
{
	if (!fg_passthrough() && fg_syscall(SYS_getpid) == fg_cached_pid())
		fg_exit_barrier();
	for (;;)
		fg_syscall(SYS_exit_group, status);
}

FG_EXPORT void _Exit(int status)
{
	_exit(status);
}

FG_EXPORT int execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

FG_EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
	struct fg_env_room room;
	char **env;
	int err;

	if (fg_passthrough())
		return (int)fg_syscall(SYS_execveat, dirfd, path, argv, envp, flags);
	if ((flags & AT_EMPTY_PATH) && path[0] == '\0' ? fg_exec_check_fd("exec", dirfd) < 0 :
	    fg_exec_check("exec", dirfd, path, flags) < 0)
		return -1;
	env = fg_env_build(envp, &room);
	fg_syscall(SYS_execveat, dirfd, path, argv, env != NULL ? env : envp, flags);
	err = errno;
	fg_env_free(env);
	fg_exec_failed(err);
	return -1;
}

FG_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	return execveat(fd, "", argv, envp, AT_EMPTY_PATH);
}

FG_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	FG_REAL(int, execvpe, const char *, char *const[], char *const[]);
	struct fg_audit_handover h = { .fd = -1 };
	struct fg_env_room room;
	char found[PATH_MAX];
	char **env;
	int err;

	if (fg_passthrough())
		return real_execvpe(file, argv, envp);
	fg_exec_failed(0);
	if (fg_exec_search(file, found, sizeof(found)) == 0 &&
	    fg_exec_check_h("exec", AT_FDCWD, found, 0, &h) < 0) {
		fg_exec_handback(&h);
		return -1;
	}
	env = fg_env_build_h(envp, &h, &room);
	real_execvpe(file, argv, env != NULL ? env : envp);
	err = errno;
	fg_env_free(env);
	fg_exec_handback(&h);
	fg_exec_failed(err);
	return -1;
}

FG_EXPORT int execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}

/* execl, execle, execlp: collect the variadic list into an mmap'ed argv
 * (no malloc: these run in vfork children). */
static char **fg_collect(const char *arg0, va_list ap, char *const **envp, size_t *size)
{
	va_list cp;
	size_t n = 1, i;
	char **argv;

	va_copy(cp, ap);
	while (va_arg(cp, char *) != NULL)
		n++;
	va_end(cp);
	*size = (n + 1) * sizeof(char *);
	argv = mmap(NULL, *size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (argv == MAP_FAILED)
		return NULL;
	argv[0] = (char *)arg0;
	for (i = 1; i < n; i++)
		argv[i] = va_arg(ap, char *);
	argv[n] = NULL;
	if (envp != NULL) {
		(void)va_arg(ap, char *);        /* the terminating NULL */
		*envp = va_arg(ap, char *const *);
	}
	return argv;
}

enum fg_execl { FG_EXECL, FG_EXECLE, FG_EXECLP };

static int fg_execl(enum fg_execl kind, const char *path, char **argv, char *const *envp, size_t size)
{
	int err;

	if (argv == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (kind == FG_EXECLP)
		execvpe(path, argv, environ);
	else
		execve(path, argv, kind == FG_EXECLE ? envp : environ);
	err = errno;
	munmap(argv, size);
	errno = err;
	return -1;
}

FG_EXPORT int execl(const char *path, const char *arg, ...)
{
	va_list ap;
	size_t size;
	char **argv;

	va_start(ap, arg);
	argv = fg_collect(arg, ap, NULL, &size);
	va_end(ap);
	return fg_execl(FG_EXECL, path, argv, NULL, size);
}

FG_EXPORT int execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	size_t size;
	char **argv;

	va_start(ap, arg);
	argv = fg_collect(arg, ap, NULL, &size);
	va_end(ap);
	return fg_execl(FG_EXECLP, file, argv, NULL, size);
}

FG_EXPORT int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	size_t size;
	char **argv;
	char *const *envp = NULL;

	va_start(ap, arg);
	argv = fg_collect(arg, ap, &envp, &size);
	va_end(ap);
	return fg_execl(FG_EXECLE, path, argv, envp, size);
}

static int fg_spawn(bool search, pid_t *pid, const char *file,
		    const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
		    char *const argv[], char *const envp[])
{
	FG_REAL(int, posix_spawn, pid_t *, const char *, const posix_spawn_file_actions_t *,
		const posix_spawnattr_t *, char *const[], char *const[]);
	FG_REAL(int, posix_spawnp, pid_t *, const char *, const posix_spawn_file_actions_t *,
		const posix_spawnattr_t *, char *const[], char *const[]);
	int (*real)(pid_t *, const char *, const posix_spawn_file_actions_t *,
		    const posix_spawnattr_t *, char *const[], char *const[]) =
		search ? real_posix_spawnp : real_posix_spawn;
	struct fg_env_room room;
	char found[PATH_MAX];
	char **env;
	int rc;

	if (fg_passthrough())
		return real(pid, file, fa, attr, argv, envp);
	if (fg_spawn_check(fa) < 0)
		return errno;
	fg_exec_failed(0);
	if (!search || fg_exec_search(file, found, sizeof(found)) == 0) {
		if (fg_exec_check("exec", AT_FDCWD, search ? found : file, 0) < 0)
			return errno;
	}
	env = fg_env_build(envp, &room);
	rc = real(pid, file, fa, attr, argv, env != NULL ? env : envp);
	fg_env_free(env);
	fg_exec_failed(rc);
	return rc;
}

FG_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
			  const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	return fg_spawn(false, pid, path, fa, attr, argv, envp);
}

FG_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			   const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	return fg_spawn(true, pid, file, fa, attr, argv, envp);
}

/* the older versions libc still exports (shim/gen_versions.sh) */
/* the older versions libc still exports (shim/gen_versions.sh); a body of
 * their own, as ld drops a default version that shares its address */
#ifdef FG_SYMVER_posix_spawn
FG_EXPORT int fg_compat_posix_spawn(pid_t *pid, const char *path,
				    const posix_spawn_file_actions_t *fa,
				    const posix_spawnattr_t *attr, char *const argv[],
				    char *const envp[]);
FG_EXPORT int fg_compat_posix_spawn(pid_t *pid, const char *path,
				    const posix_spawn_file_actions_t *fa,
				    const posix_spawnattr_t *attr, char *const argv[],
				    char *const envp[])
{
	return fg_spawn(false, pid, path, fa, attr, argv, envp);
}
__asm__(FG_SYMVER_posix_spawn);
#endif
#ifdef FG_SYMVER_posix_spawnp
FG_EXPORT int fg_compat_posix_spawnp(pid_t *pid, const char *file,
				     const posix_spawn_file_actions_t *fa,
				     const posix_spawnattr_t *attr, char *const argv[],
				     char *const envp[]);
FG_EXPORT int fg_compat_posix_spawnp(pid_t *pid, const char *file,
				     const posix_spawn_file_actions_t *fa,
				     const posix_spawnattr_t *attr, char *const argv[],
				     char *const envp[])
{
	return fg_spawn(true, pid, file, fa, attr, argv, envp);
}
__asm__(FG_SYMVER_posix_spawnp);
#endif
