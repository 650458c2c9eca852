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
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "audit/cat2.h"
#include "policy/seal.h"
#include "shim/shim.h"

#ifdef FG_COVERAGE_DIR
#define FG_ENV_MAX 10   /* GCOV_PREFIX and GCOV_PREFIX_STRIP too */
#else
#define FG_ENV_MAX 8
#endif
#define FG_ENV_LEN (PATH_MAX + 32)
/* the kept variables, packed one after the other: one slot of PATH_MAX
 * each touched a page of its own in every process */
static FG_COLD char fg_env_buf[FG_ENV_MAX * FG_ENV_LEN];
static char *fg_env_store[FG_ENV_MAX];
static size_t fg_env_n, fg_env_used;

static bool fg_is_ours(const char *e)
{
#ifdef FG_COVERAGE_DIR
	/* a --enable-coverage build: gcov's data goes where the tree's does,
	 * even from a child started with an empty environment */
	if (strncmp(e, "GCOV_PREFIX", 11) == 0)
		return true;
#endif
	return strncmp(e, "LD_PRELOAD=", 11) == 0 || strncmp(e, "FLEETGUARD_", 11) == 0;
}

/* a and b, one variable (cut to FG_ENV_LEN - 1 bytes). */
static void fg_env_keep(const char *a, const char *b)
{
	char *at = fg_env_buf + fg_env_used;

	if (fg_env_n >= FG_ENV_MAX)
		return;
	fg_env_used += fg_cat2(at, FG_ENV_LEN, a, b) + 1;
	fg_env_store[fg_env_n++] = at;
}

void fg_exec_init(char **envp)
{
	char **e;

	fg_env_n = fg_env_used = 0;
	for (e = envp; e != NULL && *e != NULL; e++) {
		if (strncmp(*e, "FLEETGUARD_POLICY=", 18) == 0)
			fg_env_keep("FLEETGUARD_POLICY=", fg_g.pol->file);
		else if (fg_is_ours(*e) && strncmp(*e, FG_SEAL_ENV "=", sizeof(FG_SEAL_ENV)) != 0 &&
			 strncmp(*e, FG_AUDIT_HANDOVER_ENV "=", sizeof(FG_AUDIT_HANDOVER_ENV)) != 0)
			fg_env_keep(*e, "");
	}
	/* every child learns that its tree is sealed: without the descriptor
	 * it must fail closed, never fall back to reading a policy file */
	fg_env_keep(FG_SEAL_ENV "=1", "");
}

/* The array has one hidden slot in front holding the size mapped, 0 when
 * it is the caller's room. */
void fg_env_free(char **env)
{
	if (env != NULL && env[-1] != NULL)
		munmap(env - 1, (size_t)(uintptr_t)env[-1]);
}

char **fg_env_build(char *const *envp, struct fg_env_room *room)
{
	size_t n = 0, i, k = 0, size;
	char **env;

	for (i = 0; envp != NULL && envp[i] != NULL; i++)
		n++;
	/* the hidden size, the entries, one spare (fg_env_build_h), NULL */
	size = (n + fg_env_n + 3) * sizeof(char *);
	if (room != NULL && size <= sizeof(room->slot)) {
		env = room->slot;
		env[0] = NULL;
	} else {
		env = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (env == MAP_FAILED)
			return NULL;
		env[0] = (char *)(uintptr_t)size;
	}
	env++;
	for (i = 0; i < n; i++)
		if (!fg_is_ours(envp[i]))
			env[k++] = envp[i];
	for (i = 0; i < fg_env_n; i++)
		env[k++] = fg_env_store[i];
	env[k] = NULL;
	return env;
}

char **fg_env_build_h(char *const *envp, const struct fg_audit_handover *h,
		      struct fg_env_room *room)
{
	char **env = fg_env_build(envp, room);
	size_t n;

	if (env == NULL || h == NULL || h->fd < 0)
		return env;
	/* fg_env_build left room for one more entry */
	for (n = 0; env[n] != NULL; n++)
		;
	/* the new image's waiter: a vfork child's parent (the cached pid is
	 * the parent's), else this process's own */
	snprintf(room->hint, sizeof(room->hint), "%s=%d:%d:%d", FG_AUDIT_HANDOVER_ENV, h->fd,
		 h->owed, (int)(h->guest ? fg_cached_pid() : fg_g.waiter));
	env[n] = room->hint;
	env[n + 1] = NULL;
	return env;
}

/* The kernel follows at most four "#!" lines below a program, then the ELF
 * and its PT_INTERP; a longer chain is refused here, never assumed
 * harmless. */
#define FG_INTERP_DEPTH 6

/* The dynamic loader this process was started by (device and inode), the
 * one interpreter known to honour LD_PRELOAD: looked up at the first exec
 * that needs it (most processes never judge an interpreter). */
static dev_t fg_ld_dev;
static ino_t fg_ld_ino;
static pthread_once_t fg_ld_once = PTHREAD_ONCE_INIT;

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

static enum fg_reason fg_unfollowable(int fd, int depth);

/* Open the interpreter name and ask the same of it. */
static enum fg_reason fg_interp_check(const char *name, int depth)
{
	enum fg_reason why;
	struct stat st;
	int ifd;

	if (depth > FG_INTERP_DEPTH)
		return FG_R_EXEC_DEEP_CHAIN;
	fg_in_guard++;          /* its stat is fleetguard's, not the program's */
	pthread_once(&fg_ld_once, fg_loader_init);
	fg_in_guard--;
	ifd = (int)fg_syscall(SYS_openat, AT_FDCWD, name, O_RDONLY | O_CLOEXEC);
	if (ifd < 0)
		return FG_R_NONE;     /* the real exec fails on its own */
	if (fstat(ifd, &st) == 0 && fg_ld_ino != 0 && st.st_dev == fg_ld_dev &&
	    st.st_ino == fg_ld_ino)
		why = FG_R_NONE;      /* the loader: it loads the library */
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

/* count bytes at off of the file: from head (the first n bytes, already
 * read) when they lie there, else read; false when short. */
static bool fg_elf_bytes(int fd, const unsigned char *head, ssize_t n, void *out, size_t count,
			 Elf64_Off off)
{
	if (n >= 0 && off <= (Elf64_Off)n && count <= (size_t)n - off) {
		memcpy(out, head + off, count);
		return true;
	}
	return pread(fd, out, count, (off_t)off) == (ssize_t)count;
}

/* An ELF's PT_INTERP into interp: 1, 0 when it has none, -1 unreadable.
 * head: the file's first n bytes, where the program headers and the
 * interpreter's name usually are (no further read then). */
static int fg_pt_interp(int fd, const unsigned char *head, ssize_t n, char *interp, size_t len)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)head;
	Elf64_Phdr ph;

	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf64_Off off = eh->e_phoff + (Elf64_Off)i * eh->e_phentsize;

		if (off < eh->e_phoff || !fg_elf_bytes(fd, head, n, &ph, sizeof(ph), off))
			return -1;
		if (ph.p_type != PT_INTERP)
			continue;
		if (ph.p_filesz == 0 || ph.p_filesz >= len ||
		    !fg_elf_bytes(fd, head, n, interp, ph.p_filesz, ph.p_offset))
			return -1;
		interp[ph.p_filesz] = '\0';
		return 1;
	}
	return 0;
}

/* Why the shim could not follow into this program, or FG_R_NONE if it can: a
 * setuid or file-capability program, a static one, or one whose chain of
 * "#!" lines and ELF interpreters ends in one of those. */
static enum fg_reason fg_unfollowable(int fd, int depth)
{
	unsigned char buf[4096] __attribute__((aligned(8)));
	char interp[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return FG_R_NONE;
	if (st.st_mode & (S_ISUID | S_ISGID))
		return FG_R_EXEC_SETID;
	if (fgetxattr(fd, "security.capability", NULL, 0) >= 0)
		return FG_R_EXEC_CAPS;
	n = pread(fd, buf, sizeof(buf), 0);
	if (fg_shebang(buf, n, interp, sizeof(interp)))
		return fg_interp_check(interp, depth + 1);
	if (n >= (ssize_t)sizeof(Elf64_Ehdr) && memcmp(buf, ELFMAG, SELFMAG) == 0 &&
	    buf[EI_CLASS] == ELFCLASS64) {
		int rc = fg_pt_interp(fd, buf, n, interp, sizeof(interp));

		if (rc < 0)
			return FG_R_EXEC_BAD_INTERP;
		if (rc > 0)
			return fg_interp_check(interp, depth + 1);
		return depth == 0 ? FG_R_EXEC_STATIC : FG_R_EXEC_STATIC_INTERP;
	}
	return FG_R_NONE;
}

/* Refuse a program the shim could not follow into (fd: the program, open
 * for reading), unless Landlock confines it or the policy allows it. */
static int fg_exec_followable(struct fg_act *act, const char *resolved, int fd)
{
	enum fg_reason why = fd >= 0 ? fg_unfollowable(fd, 0) : FG_R_NONE;
	struct fg_verdict v = { .allow = false, .line = fg_g.pol->fs.line, .why = why };

	if (why == FG_R_NONE || fg_enforce(act, resolved, &v, FG_MODE_ENFORCE) == 0)
		return 0;
	fg_say("hint: run it under 'fleetguard run' (Landlock confines it), or set "
	       "[filesystem] unconfined_exec = allow (Go tools are static binaries)");
	return -1;
}

/* A denied program that a PATH search tried: the next match on PATH,
 * which execvp (and Python's subprocess, and glibc) runs instead, into
 * out.  Returns false when path is not in a PATH directory or nothing
 * else matches. */
static bool fg_exec_next(const char *path, char *out, size_t len)
{
	const char *p = getenv("PATH"), *slash = strrchr(path, '/'), *end;
	bool seen = false;

	if (p == NULL || slash == NULL || slash == path)
		return false;
	for (; ; p = end + 1) {
		size_t dl;

		end = strchrnul(p, ':');
		dl = (size_t)(end - p);
		if (dl == (size_t)(slash - path) && strncmp(p, path, dl) == 0) {
			seen = true;
		} else if (seen && dl > 0 && dl + strlen(slash) < len) {
			struct stat st;

			snprintf(out, len, "%.*s%s", (int)dl, p, slash);
			if (fg_syscall(SYS_faccessat, AT_FDCWD, out, X_OK) == 0 &&
			    fg_syscall(SYS_newfstatat, AT_FDCWD, out, &st, 0) == 0 && S_ISREG(st.st_mode))
				return true;
		}
		if (*end == '\0')
			return false;
	}
}

/* The exec recorded last on this thread, for a second record when the
 * call fails (its record went out before the call: the process image ends
 * there when it succeeds). */
static __thread struct {
	bool set;
	struct fg_act act;
	struct fg_verdict v;
	char path[FG_NAME_PATH_MAX];
} fg_exec_last;

/* fg_enforce() of an exec; one that goes on is remembered. */
#ifdef FG_COVERAGE_DIR
void __gcov_dump(void);
void __gcov_reset(void);

/* A --enable-coverage build only: the counters of this process (the
 * library's and an instrumented program's) go to their files before the
 * image is replaced, and start again from zero should the exec fail.
 * The children's environment gets GCOV_PREFIX back (fg_is_ours). */
static void fg_exec_coverage_flush(void)
{
	int saved = errno;

	/* a program that emptied its environment (env -i) would send them
	 * to the build tree: those counters are left out */
	if (getenv("GCOV_PREFIX") == NULL)
		return;
	fg_in_guard++;
	__gcov_dump();
	__gcov_reset();
	fg_in_guard--;
	errno = saved;
}
#endif

static int fg_exec_go(const struct fg_act *act, const char *shown, const struct fg_verdict *v)
{
	if (fg_enforce(act, shown, v, fg_g.pol->fs.mode) < 0)
		return -1;
#ifdef FG_COVERAGE_DIR
	fg_exec_coverage_flush();
#endif
	fg_exec_last.act = *act;
	fg_exec_last.act.barrier = false;
	fg_exec_last.act.handover = NULL;       /* the record of the failure waits */
	snprintf(fg_exec_last.path, sizeof(fg_exec_last.path), "%s", act->path);
	fg_exec_last.act.path = fg_exec_last.path;
	fg_exec_last.v = *v;
	fg_exec_last.set = true;
	return 0;
}

void fg_exec_failed(int err)
{
	if (err == 0) {
		fg_exec_last.set = false;
		return;
	}
	if (fg_exec_last.set) {
		fg_exec_last.set = false;
		errno = err;
		fg_outcome(&fg_exec_last.act, fg_exec_last.path, &fg_exec_last.v,
			   fg_g.pol->fs.mode, -1);
	}
	errno = err;
}

/* Judge and record an exec; a denied one that a PATH search will step over
 * says so in its line (report mode runs it, enforce mode the next match). */
static int fg_exec_enforce(const struct fg_act *act, const char *given, const struct fg_verdict *v)
{
	char next[PATH_MAX], shown[2 * PATH_MAX + 64];

	if (v->allow || fg_g.pol->fs.mode == FG_MODE_OFF || !fg_exec_next(given, next, sizeof(next)))
		return fg_exec_go(act, act->path, v);
	snprintf(shown, sizeof(shown), "%s (a PATH search goes on to the next match, %s%s)", act->path,
		 next, fg_g.pol->fs.mode == FG_MODE_REPORT ? ", when this is denied" : "");
	return fg_exec_go(act, shown, v);
}

int fg_exec_check(const char *op, int dirfd, const char *path, int atflags)
{
	return fg_exec_check_h(op, dirfd, path, atflags, NULL);
}

void fg_exec_handback(struct fg_audit_handover *h)
{
	int saved = errno;

	if (h->fd >= 0) {
		fg_in_guard++;
		fg_audit_handback(fg_g.audit, h);
		fg_in_guard--;
	}
	errno = saved;
}

int fg_exec_check_h(const char *op, int dirfd, const char *path, int atflags,
		    struct fg_audit_handover *h)
{
	struct fg_act act = { .op = op, .path = path, .flags = -1, .mode = -1, .access = FG_ACC_READ,
			      .barrier = true, .handover = h };
	struct fg_verdict v;
	struct fg_name nm;
	char proc[32];
	int fd, rc, saved = errno;

	fg_exec_last.set = false;
	if (fg_g.pol->fs.mode == FG_MODE_OFF)
		return 0;
	rc = fg_resolve(&nm, dirfd, path,
			(atflags & AT_SYMLINK_NOFOLLOW) ? FG_T_OBJECT_NOFOLLOW : FG_T_OBJECT_FOLLOW);
	act.path = nm.path;
	if (rc < 0) {
		if (nm.path[0] != '\0' && !fg_judge(nm.path, strlen(nm.path), FG_ACC_READ, &v) &&
		    fg_g.pol->fs.mode == FG_MODE_ENFORCE)
			return fg_enforce(&act, nm.path, &v, FG_MODE_ENFORCE);
		errno = -rc;
		return 0;   /* the real call reports its own error */
	}
	fg_judge(nm.path, strlen(nm.path), FG_ACC_READ, &v);
	if (v.allow && !fg_g.pol->fs.unconfined_exec && !fg_g.landlock_active) {
		/* the very object judged, open for reading through its descriptor */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", nm.fd);
		fd = (int)fg_syscall(SYS_openat, AT_FDCWD, proc, O_RDONLY | O_CLOEXEC);
		rc = fg_exec_followable(&act, nm.path, fd);
		if (fd >= 0)
			fg_syscall(SYS_close, fd);
		if (rc < 0) {
			int err = errno;   /* EACCES, or EIO when the record failed */

			fg_syscall(SYS_close, nm.fd);
			errno = err;
			return -1;
		}
	}
	fg_syscall(SYS_close, nm.fd);
	rc = fg_exec_enforce(&act, path, &v);
	/* allowed: errno as the caller left it (the probes above, such as
	 * fgetxattr's ENODATA, are not the program's) */
	if (rc == 0)
		errno = saved;
	return rc;
}

int fg_exec_check_fd(const char *op, int fd)
{
	char path[PATH_MAX];
	struct stat a, b;
	struct fg_act act = { .op = op, .path = path, .flags = -1, .mode = -1, .access = FG_ACC_READ,
			      .barrier = true };
	struct fg_verdict v = { .allow = false, .line = fg_g.pol->fs.line, .why = FG_R_EXEC_NO_NAME };
	long n;

	fg_exec_last.set = false;
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
		return fg_exec_go(&act, path, &(struct fg_verdict){ .allow = true,
				  .line = fg_g.pol->fs.line, .why = FG_R_UNCONFINED_EXEC });
	return fg_exec_go(&act, path, &v);
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
