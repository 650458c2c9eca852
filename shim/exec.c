/* exec.c - judging what a process is about to execute, and the environment
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
 * The target must be readable under the policy.  A static, setuid/setgid or
 * file-capability binary would run without the shim, so it is refused unless
 * Landlock confines the process or the policy says unconfined_exec = allow.
 * The child's environment is built as a new array (never setenv in this
 * process, which would corrupt a vfork parent): the caller's entries minus
 * LD_PRELOAD and FLEETGUARD_*, plus the values this process started with
 * and FLEETGUARD_SEALED=1 (the child must find the sealed policy).
 */
#include "config.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "policy/seal.h"
#include "shim/shim.h"

static void fg_loader_init(void);

#define FG_ENV_MAX 8
static char fg_env_store[FG_ENV_MAX][PATH_MAX + 32];
static size_t fg_env_n;

static bool fg_is_ours(const char *e)
{
	return strncmp(e, "LD_PRELOAD=", 11) == 0 || strncmp(e, "FLEETGUARD_", 11) == 0;
}

static void fg_env_keep(const char *a, const char *b)
{
	if (fg_env_n < FG_ENV_MAX) {
		snprintf(fg_env_store[fg_env_n], sizeof(fg_env_store[0]), "%s%s", a, b);
		fg_env_n++;
	}
}

void fg_exec_init(char **envp)
{
	char **e;

	fg_loader_init();
	fg_env_n = 0;
	for (e = envp; e != NULL && *e != NULL; e++) {
		if (strncmp(*e, "FLEETGUARD_POLICY=", 18) == 0)
			fg_env_keep("FLEETGUARD_POLICY=", fg_g.pol->file);
		else if (fg_is_ours(*e) && strncmp(*e, FG_SEAL_ENV "=", sizeof(FG_SEAL_ENV)) != 0)
			fg_env_keep(*e, "");
	}
	/* every child learns that its tree is sealed: without the descriptor
	 * it must fail closed, never fall back to reading a policy file */
	fg_env_keep(FG_SEAL_ENV "=1", "");
}

/* The array is mmap'ed with one hidden slot in front holding its size. */
void fg_env_free(char **env)
{
	if (env != NULL)
		munmap(env - 1, (size_t)(uintptr_t)env[-1]);
}

char **fg_env_build(char *const *envp)
{
	size_t n = 0, i, k = 0, size;
	char **env;

	for (i = 0; envp != NULL && envp[i] != NULL; i++)
		n++;
	size = (n + fg_env_n + 2) * sizeof(char *);
	env = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (env == MAP_FAILED)
		return NULL;
	env[0] = (char *)(uintptr_t)size;
	env++;
	for (i = 0; i < n; i++)
		if (!fg_is_ours(envp[i]))
			env[k++] = envp[i];
	for (i = 0; i < fg_env_n; i++)
		env[k++] = fg_env_store[i];
	env[k] = NULL;
	return env;
}

/* The kernel follows at most four "#!" lines below a program, then the ELF
 * and its PT_INTERP; a longer chain is refused here, never assumed
 * harmless. */
#define FG_INTERP_DEPTH 6

/* The dynamic loader this process was started by (device and inode), the
 * one interpreter known to honour LD_PRELOAD. */
static dev_t fg_ld_dev;
static ino_t fg_ld_ino;

static void fg_loader_init(void)
{
	struct stat st;
	Dl_info info;
	void *base = (void *)getauxval(AT_BASE);

	if (base != NULL && dladdr(base, &info) != 0 && info.dli_fname != NULL &&
	    stat(info.dli_fname, &st) == 0) {
		fg_ld_dev = st.st_dev;
		fg_ld_ino = st.st_ino;
	}
}

static const char *fg_unfollowable(int fd, int depth);

/* Open the interpreter name and ask the same of it. */
static const char *fg_interp_check(const char *name, int depth)
{
	const char *why;
	struct stat st;
	int ifd;

	if (depth > FG_INTERP_DEPTH)
		return "chain of interpreters deeper than the kernel follows";
	ifd = (int)fg_syscall(SYS_openat, AT_FDCWD, name, O_RDONLY | O_CLOEXEC);
	if (ifd < 0)
		return NULL;     /* the real exec fails on its own */
	if (fstat(ifd, &st) == 0 && fg_ld_ino != 0 && st.st_dev == fg_ld_dev &&
	    st.st_ino == fg_ld_ino)
		why = NULL;      /* the loader: it loads the library */
	else
		why = fg_unfollowable(ifd, depth);
	fg_syscall(SYS_close, ifd);
	return why;
}

/* The "#!" interpreter of buf (n bytes) into interp; false if none. */
static bool fg_shebang(const unsigned char *buf, ssize_t n, char *interp, size_t len)
{
	size_t i = 2, j = 0;

	if (n < 2 || buf[0] != '#' || buf[1] != '!')
		return false;
	while (i < (size_t)n && (buf[i] == ' ' || buf[i] == '\t'))
		i++;
	while (i < (size_t)n && j < len - 1 && buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n')
		interp[j++] = (char)buf[i++];
	interp[j] = '\0';
	return j > 0;
}

/* An ELF's PT_INTERP into interp: 1, 0 when it has none, -1 unreadable. */
static int fg_pt_interp(int fd, const Elf64_Ehdr *eh, char *interp, size_t len)
{
	Elf64_Phdr ph;

	for (unsigned i = 0; i < eh->e_phnum; i++) {
		off_t off = (off_t)(eh->e_phoff + (Elf64_Off)i * eh->e_phentsize);
		ssize_t r;

		if (pread(fd, &ph, sizeof(ph), off) != (ssize_t)sizeof(ph))
			return -1;
		if (ph.p_type != PT_INTERP)
			continue;
		if (ph.p_filesz == 0 || ph.p_filesz >= len)
			return -1;
		r = pread(fd, interp, ph.p_filesz, (off_t)ph.p_offset);
		if (r != (ssize_t)ph.p_filesz)
			return -1;
		interp[r] = '\0';
		return 1;
	}
	return 0;
}

/* Why the shim could not follow into this program, or NULL if it can: a
 * setuid or file-capability program, a static one, or one whose chain of
 * "#!" lines and ELF interpreters ends in one of those. */
static const char *fg_unfollowable(int fd, int depth)
{
	unsigned char buf[4096];
	char interp[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return NULL;
	if (st.st_mode & (S_ISUID | S_ISGID))
		return "setuid/setgid program, which the preloaded library cannot follow";
	if (fgetxattr(fd, "security.capability", NULL, 0) >= 0)
		return "program with file capabilities, which the preloaded library cannot follow";
	n = pread(fd, buf, sizeof(buf), 0);
	if (fg_shebang(buf, n, interp, sizeof(interp)))
		return fg_interp_check(interp, depth + 1);
	if (n >= (ssize_t)sizeof(Elf64_Ehdr) && memcmp(buf, ELFMAG, SELFMAG) == 0 &&
	    buf[EI_CLASS] == ELFCLASS64) {
		int rc = fg_pt_interp(fd, (const Elf64_Ehdr *)buf, interp, sizeof(interp));

		if (rc < 0)
			return "program with an unreadable ELF interpreter";
		if (rc > 0)
			return fg_interp_check(interp, depth + 1);
		return depth == 0 ? "static binary, which the preloaded library cannot follow" :
		       "program whose interpreter is a static binary, which the preloaded library cannot follow";
	}
	return NULL;
}

int fg_exec_check(const char *op, int dirfd, const char *path, int atflags)
{
	char resolved[PATH_MAX];
	struct fg_act act = { .op = op, .path = path, .flags = -1, .mode = -1, .access = FG_ACC_READ };
	struct fg_verdict v;
	const char *why;
	int fd;
	long n;

	if (fg_g.pol->fs.mode == FG_MODE_OFF)
		return 0;
	fd = (int)fg_syscall(SYS_openat, dirfd, path,
			  O_PATH | O_CLOEXEC | ((atflags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0));
	if (fd < 0) {
		int err = errno;
		long m = fg_abs_lexical(dirfd, path, resolved, sizeof(resolved));

		if (m > 0 && !fg_judge(resolved, (size_t)m, FG_ACC_READ, &v) &&
		    fg_g.pol->fs.mode == FG_MODE_ENFORCE) {
			act.path = resolved;
			return fg_enforce(&act, resolved, &v, FG_MODE_ENFORCE);
		}
		errno = err;
		return 0;   /* the real call reports its own error */
	}
	n = fg_fd_path(fd, resolved, sizeof(resolved));
	fg_syscall(SYS_close, fd);
	if (n <= 0) {
		errno = n < 0 ? (int)-n : EACCES;
		return -1;
	}
	act.path = resolved;
	fg_judge(resolved, (size_t)n, FG_ACC_READ, &v);
	if (v.allow && !fg_g.pol->fs.unconfined_exec && !fg_g.landlock_active) {
		fd = (int)fg_syscall(SYS_openat, AT_FDCWD, resolved, O_RDONLY | O_CLOEXEC);
		why = fd >= 0 ? fg_unfollowable(fd, 0) : NULL;
		if (fd >= 0)
			fg_syscall(SYS_close, fd);
		if (why != NULL) {
			v = (struct fg_verdict){ .allow = false, .line = fg_g.pol->fs.line, .why = why };
			if (fg_enforce(&act, resolved, &v, FG_MODE_ENFORCE) < 0) {
				fg_say("hint: run it under 'fleetguard run' (Landlock confines it), or set "
				       "[filesystem] unconfined_exec = allow (Go tools are static binaries)");
				return -1;
			}
		}
	}
	return fg_enforce(&act, resolved, &v, fg_g.pol->fs.mode);
}

int fg_exec_check_fd(const char *op, int fd)
{
	char path[PATH_MAX];
	struct stat a, b;
	struct fg_act act = { .op = op, .path = path, .flags = -1, .mode = -1, .access = FG_ACC_READ };
	struct fg_verdict v = { .allow = false, .line = fg_g.pol->fs.line,
				.why = "program with no name in the file system (memfd or deleted file)" };
	long n;

	if (fg_g.pol->fs.mode == FG_MODE_OFF)
		return 0;
	n = fg_fd_path(fd, path, sizeof(path));
	if (n < 0) {
		errno = (int)-n;
		return -1;
	}
	/* a name that still leads to this very file is judged like any path */
	if (n > 0 && fstat(fd, &a) == 0 &&
	    fg_syscall(SYS_newfstatat, AT_FDCWD, path, &b, 0) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return fg_exec_check(op, AT_FDCWD, path, 0);
	if (n == 0)
		snprintf(path, sizeof(path), "descriptor %d", fd);
	if (fg_g.pol->fs.unconfined_exec)
		return fg_enforce(&act, path, &(struct fg_verdict){ .allow = true,
				  .line = fg_g.pol->fs.line, .why = "unconfined_exec = allow" },
				  fg_g.pol->fs.mode);
	return fg_enforce(&act, path, &v, fg_g.pol->fs.mode);
}

/* The file execvp() would run for name, searching PATH as glibc does, into
 * out.  Returns 0, or -1 when none is found (the real call will fail). */
int fg_exec_search(const char *name, char *out, size_t len)
{
	const char *p = getenv("PATH"), *end;

	if (strchr(name, '/') != NULL) {
		snprintf(out, len, "%s", name);
		return 0;
	}
	if (p == NULL)
		p = "/bin:/usr/bin";
	for (; ; p = end + 1) {
		size_t dl;

		end = strchrnul(p, ':');
		dl = (size_t)(end - p);
		if (dl + strlen(name) + 2 <= len) {
			if (dl == 0)
				snprintf(out, len, "%s", name);
			else
				snprintf(out, len, "%.*s/%s", (int)dl, p, name);
			if (fg_syscall(SYS_faccessat, AT_FDCWD, out, X_OK) == 0) {
				struct stat st;

				if (fg_syscall(SYS_newfstatat, AT_FDCWD, out, &st, 0) == 0 && S_ISREG(st.st_mode))
					return 0;
			}
		}
		if (*end == '\0')
			return -1;
	}
}
