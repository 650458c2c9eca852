/* fs.c - judging path operations on the object the kernel resolves.
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
 * A path string is never trusted: it is first opened with O_PATH (no side
 * effects, symlinks and ".." resolved by the kernel), the descriptor's real
 * path is read back from /proc/self/fd and judged, and the very same object
 * is then reopened through that descriptor.  A swap of the path between the
 * check and the use cannot redirect the call.  Names that do not exist yet
 * are created with the *at call on their judged parent directory.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef HAVE_OPENAT2
#include <linux/openat2.h>
#endif

#include "shim/circuit.h"
#include "shim/gateway_glue.h"
#include "shim/shim.h"

#define FG_MAX_HOPS 40

static int sys_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	return (int)fg_syscall(SYS_openat, dirfd, path, flags, mode);
}

static void sys_close(int fd)
{
	int saved = errno;

	fg_syscall(SYS_close, fd);
	errno = saved;
}

/* Our pid, cached (glibc no longer does) and renewed in fork children. */
static pid_t fg_pid;

static void fg_pid_renew(void)
{
	fg_pid = (pid_t)fg_syscall(SYS_getpid);
}

/* A fork child: the parent, a process of this tree that waits for its
 * own exit record after this one's, is its waiter (docs/AUDIT.md). */
static void fg_pid_child(void)
{
	fg_g.waiter = fg_pid;
	fg_pid_renew();
}

void fg_fs_init(void)
{
	fg_pid_renew();
	pthread_atfork(NULL, NULL, fg_pid_child);
}

pid_t fg_cached_pid(void)
{
	return fg_pid;
}

/* "/proc/<our pid>/..." is judged as "/proc/self/...".  The cached pid is
 * the parent's in a vfork child (CPython's subprocess, posix_spawn: no
 * atfork handler runs there), so a miss asks the kernel, and does not
 * store the answer (a vfork child shares the parent's memory). */
static long fg_proc_self(char *p, long n)
{
	char pfx[32];
	pid_t pid = fg_pid;
	int k;

	if (n < 7 || memcmp(p, "/proc/", 6) != 0 || p[6] < '0' || p[6] > '9')
		return n;
	k = snprintf(pfx, sizeof(pfx), "/proc/%d", (int)pid);
	if (!(n >= k && memcmp(p, pfx, (size_t)k) == 0 && (p[k] == '/' || p[k] == '\0'))) {
		pid = (pid_t)fg_syscall(SYS_getpid);
		k = pid == fg_pid ? k : snprintf(pfx, sizeof(pfx), "/proc/%d", (int)pid);
	}

	if (n >= k && memcmp(p, pfx, (size_t)k) == 0 && (p[k] == '/' || p[k] == '\0')) {
		memmove(p + 10, p + k, (size_t)(n - k + 1));
		memcpy(p, "/proc/self", 10);
		n = n - k + 10;
	}
	return n;
}

/*
 * The absolute path of what fd refers to.  Returns its length, 0 when fd is
 * not a file system object (pipe, socket, anonymous inode), or -errno.
 */
long fg_fd_path(int fd, char *out, size_t len)
{
	char link[32];
	long n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = fg_syscall(SYS_readlinkat, AT_FDCWD, link, out, len - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= len - 1)
		return -ENAMETOOLONG;
	out[n] = '\0';
	if (out[0] != '/')
		return 0;
	return fg_proc_self(out, n);
}

/* The lexical absolute form of (dirfd, path), for judging names that do not
 * resolve.  Returns its length or -errno. */
long fg_abs_lexical(int dirfd, const char *path, char *out, size_t len)
{
	char joined[PATH_MAX * 2];
	long n;

	if (path[0] == '/') {
		n = fg_path_normalize(path, out, len);
		return n < 0 ? n : fg_proc_self(out, n);
	}
	if (dirfd == AT_FDCWD) {
		if (fg_syscall(SYS_getcwd, joined, PATH_MAX) < 0)
			return -errno;
		n = (long)strlen(joined);
	} else {
		n = fg_fd_path(dirfd, joined, PATH_MAX);
		if (n <= 0)
			return n < 0 ? n : -ENOTDIR;
	}
	if ((size_t)n + strlen(path) + 2 > sizeof(joined))
		return -ENAMETOOLONG;
	joined[n] = '/';
	strcpy(joined + n + 1, path);
	n = fg_path_normalize(joined, out, len);
	return n < 0 ? n : fg_proc_self(out, n);
}

/* The policy file is fleetguard's while a tree uses it: readable, but never
 * written, removed, renamed or replaced (nor a directory above it moved). */
static bool fg_policy_file_owned(const char *path, size_t len, unsigned access)
{
	const char *f = fg_g.pol->file;
	size_t flen = strlen(f);

	if (!(access & FG_ACC_WRITE))
		return false;
	if (len == flen)
		return memcmp(path, f, len) == 0;
	return (access & FG_ACC_MOVE) && len < flen && fg_path_within(path, len, f, flen);
}

bool fg_judge(const char *path, size_t len, unsigned access, struct fg_verdict *v)
{
	if (fg_own_file(path, len) || fg_policy_file_owned(path, len, access) ||
	    fg_gw_owns(path, len)) {
		*v = (struct fg_verdict){ .allow = false, .why = FG_R_OWN_FILE };
		return false;
	}
	if ((access & FG_ACC_MOVE) && fg_own_above(path, len)) {
		*v = (struct fg_verdict){ .allow = false, .why = FG_R_ABOVE_OWN_FILES };
		return false;
	}
#ifdef FG_COVERAGE_DIR
	if (fg_coverage_path(path, len)) {
		*v = (struct fg_verdict){ .allow = true, .why = FG_R_COVERAGE_DATA };
		return true;
	}
#endif
	if (fg_gw_bundle(path, len)) {
		bool ro = !(access & (FG_ACC_WRITE | FG_ACC_MOVE));

		*v = (struct fg_verdict){ .allow = ro, .why = ro ? FG_R_GATEWAY_BUNDLE :
								 FG_R_OWN_FILE };
		return ro;
	}
	if (fg_g.pol->fs.mode == FG_MODE_OFF) {
		/* off: no policy, but fleetguard's own files stay out of reach */
		*v = (struct fg_verdict){ .allow = true, .why = FG_R_MODE_OFF };
		return true;
	}
	if (fg_policy_path(fg_g.pol, path, len, access, v))
		return true;
	/* Nothing allowed it: the [filesystem] section decided by default. */
	if (v->line == 0)
		v->line = fg_g.pol->fs.line;
	return false;
}

static enum fg_decision fg_decide(const struct fg_verdict *v, enum fg_mode mode)
{
	/* report mode never opens fleetguard's own files to the agent */
	if (!v->allow && mode == FG_MODE_REPORT &&
	    (v->why == FG_R_OWN_FILE || v->why == FG_R_ABOVE_OWN_FILES))
		return FG_D_DENY;
	return v->allow ? FG_D_ALLOW : mode == FG_MODE_REPORT ? FG_D_REPORT : FG_D_DENY;
}

int fg_refuse(const struct fg_act *act, const char *shown, const struct fg_verdict *v,
	      enum fg_mode mode)
{
	enum fg_decision d = fg_decide(v, mode);

	if (d == FG_D_DENY) {
		/* Programs probe paths all the time (Python's user site, git's
		 * discovery): a refused stat is recorded, printed only in debug. */
		if (!act->meta || fg_g.debug)
			fg_say_denied(act->op, shown, v);
		fg_record(act, d, v, EACCES);
		errno = EACCES;
		return -1;
	}
	if (d == FG_D_REPORT)
		fg_say("report: would deny %s %s: %s", act->op, shown, fg_reason_text(v->why));
	return 0;
}

/* access(2) for the effective ids, as the kernel checks a call: 0 or -errno. */
static int fg_eaccess(const char *path, int want)
{
	long rc = -1;

#ifdef SYS_faccessat2
	rc = fg_syscall(SYS_faccessat2, AT_FDCWD, path, want, AT_EACCESS);
	if (rc < 0 && errno == ENOSYS)
#endif
		rc = fg_syscall(SYS_faccessat, AT_FDCWD, path, want);   /* the real ids */
	return rc < 0 ? -errno : 0;
}

/* May the effective ids add or remove names in path's directory? */
static bool fg_dac_dir_of(const char *path)
{
	char dir[FG_NAME_PATH_MAX];
	const char *slash = strrchr(path, '/');

	if (path[0] != '/' || slash == NULL || (size_t)(slash - path) >= sizeof(dir))
		return false;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash == path ? 1 : slash - path] = '\0';
	return fg_eaccess(dir, W_OK | X_OK) == 0;
}

/* The operations that add or remove a name: the kernel checks the
 * directory, not the object. */
static bool fg_op_names(const char *op)
{
	static const char *const ops[] = { "mkdir", "mknod", "mkfifo", "symlink", "unlink",
					   "rmdir", "rename" };

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(op, ops[i]) == 0)
			return true;
	return false;
}

/*
 * Would the file's permission bits (and ACLs) have given the caller what an
 * act needed?  Landlock takes no part in access(2), so when they would and
 * the call still failed with EACCES, the refusal was the ruleset's; when
 * they would not (a mode-000 file, a program without x bits, a directory
 * that cannot be searched), the EACCES is the ordinary one and the kernel's
 * ruleset is not named.  Unknown (a name the kernel cannot reach) is no.
 * A socket call says itself whether only a security module refuses it.
 */
static bool fg_dac_allows(const struct fg_act *act)
{
	int want, rc;

	if (act->obj == FG_OBJ_ADDR)
		return act->lsm_only;
	if (act->obj != FG_OBJ_PATH || act->path == NULL)
		return false;
	if (fg_op_names(act->op))
		return fg_dac_dir_of(act->path) && (act->path2 == NULL || fg_dac_dir_of(act->path2));
	if (strcmp(act->op, "link") == 0)
		return act->path2 != NULL && fg_dac_dir_of(act->path2);
	if (strcmp(act->op, "exec") == 0)
		want = X_OK;
	else if (act->flags != -1 && strcmp(act->op, "open") == 0)
		want = (act->flags & O_ACCMODE) == O_RDONLY ? R_OK :
		       (act->flags & O_ACCMODE) == O_WRONLY ? W_OK : R_OK | W_OK;
	else
		want = (act->access & FG_ACC_WRITE) ? W_OK : R_OK;
	if (act->flags != -1 && (act->flags & O_TRUNC))
		want |= W_OK;
	rc = fg_eaccess(act->path, want);
	if (rc == -ENOENT && act->flags != -1 && (act->flags & O_CREAT))
		return fg_dac_dir_of(act->path);
	return rc == 0;
}

int fg_outcome(const struct fg_act *act, const char *shown, const struct fg_verdict *v,
	       enum fg_mode mode, int rc)
{
	int err = errno, rec;

	/* The library allowed it, the kernel did not: Landlock (a tree made
	 * or replaced after the ruleset, a rule the kernel cannot express)
	 * gets the same line as the library's own refusals.  Only when the
	 * permission bits allowed it: an ordinary EACCES is not Landlock's. */
	if (rc < 0 && err == EACCES && v->allow && fg_g.landlock_active &&
	    (!act->meta || fg_g.debug) && fg_dac_allows(act)) {
		struct fg_verdict kv = *v;

		kv.why = FG_R_KERNEL_REFUSED;
		fg_say_denied(act->op, shown, &kv);
	}
	rec = fg_record(act, fg_decide(v, mode), v, rc < 0 ? err : 0);
	if (rec < 0 && rc >= 0) {
		errno = -rec;
		return -1;
	}
	errno = err;
	return rc;
}

int fg_enforce(const struct fg_act *act, const char *shown, const struct fg_verdict *v,
	       enum fg_mode mode)
{
	if (fg_refuse(act, shown, v, mode) < 0)
		return -1;
	return fg_outcome(act, shown, v, mode, 0);
}

static unsigned fg_open_access(int flags)
{
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC)) ||
	    (flags & O_TMPFILE) == O_TMPFILE)
		return FG_ACC_WRITE;
	return FG_ACC_READ;
}

/* Split "a/b/c" into parent "a/b" (or "." / "/") and base "c".  Trailing
 * slashes stay on the base ("mkdir a/" is valid, "unlink file/" must still
 * fail with ENOTDIR), but do not count as a separator. */
static int fg_split(const char *path, char *parent, size_t plen, const char **base)
{
	size_t end = strlen(path), n;
	const char *slash;

	while (end > 1 && path[end - 1] == '/')
		end--;
	slash = memrchr(path, '/', end);
	if (slash == NULL) {
		strcpy(parent, ".");
		*base = path;
		return path[0] == '\0' ? -ENOENT : 0;
	}
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= plen)
		return -ENAMETOOLONG;
	memcpy(parent, path, n);
	parent[n] = '\0';
	*base = slash + 1;
	return (*base)[0] == '\0' || (*base)[0] == '/' ? -EISDIR : 0;
}

/* --- the fast path ---------------------------------------------------------
 *
 * When the name has no ".." component, and no symlink is crossed while it
 * is resolved, the kernel's object is exactly the lexical absolute path.
 * openat2(RESOLVE_NO_SYMLINKS) makes the kernel guarantee the second part:
 * it fails with ELOOP on any symlink (magic links included), and the call
 * then takes the slow path, which resolves and judges the real object.  So
 * an allowed name costs one judgement and one system call. */

static bool fg_has_dotdot(const char *p)
{
	for (; (p = strstr(p, "..")) != NULL; p += 2) {
		/* a whole component: preceded by start or '/', followed by end or '/' */
		if ((p[2] == '\0' || p[2] == '/'))
			return true;
	}
	return false;
}

/* The absolute lexical form when the fast path applies, else 0.  out keeps
 * one byte spare for fg_open_lexical's trailing '/'. */
static long fg_fast_abs(int dirfd, const char *path, char *out, size_t len)
{
	long n;

	if ((path[0] != '/' && dirfd != AT_FDCWD) || path[0] == '\0' || fg_has_dotdot(path))
		return 0;
	n = fg_abs_lexical(dirfd, path, out, len - 1);
	return n > 0 ? n : 0;
}

/* openat2 with RESOLVE_NO_SYMLINKS; -1 with errno ELOOP (or ENOSYS, EINVAL)
 * means "take the slow path". */
static int fg_open_nosym(const char *abs, int flags, mode_t mode)
{
#if defined(HAVE_OPENAT2) && defined(SYS_openat2)
	struct open_how how = {
		.flags = (uint64_t)(unsigned)flags,
		.mode = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? mode : 0,
		.resolve = RESOLVE_NO_SYMLINKS,
	};

	return (int)fg_syscall(SYS_openat2, AT_FDCWD, abs, &how, sizeof(how));
#else
	errno = ENOSYS;
	return -1;
#endif
}

/*
 * Open the lexical form abs (length n) of the caller's path.  A trailing
 * '/' the caller wrote is put back for the kernel, which then answers as
 * it would have ("file/" is ENOTDIR, creating "dir/missing/" is EISDIR):
 * the normalised form alone would name, or create, a plain file.
 */
static int fg_open_lexical(char *abs, long n, const char *path, int flags, mode_t mode)
{
	size_t plen = strlen(path);
	int fd;

	if (n <= 1 || plen == 0 || path[plen - 1] != '/')
		return fg_open_nosym(abs, flags, mode);
	abs[n] = '/';
	abs[n + 1] = '\0';
	fd = fg_open_nosym(abs, flags, mode);
	abs[n] = '\0';
	return fd;
}

static bool fg_take_slow_path(int err)
{
	return err == ELOOP || err == ENOSYS || err == EINVAL || err == EXDEV || err == EAGAIN;
}

/*
 * Does abs name itself, with no symlink on the way?  The probe of a
 * lexically denied name: any answer but one that fg_take_slow_path() takes
 * means yes (or that it does not resolve at all), and the denial is final.
 * O_DIRECTORY makes the kernel answer a non-directory with ENOTDIR after
 * the whole symlink-free walk, so the usual case, a file, costs no
 * descriptor and no close; a directory comes back as a descriptor, which
 * the caller closes.
 */
static int fg_probe_nosym(const char *abs)
{
	return fg_open_nosym(abs, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
}

/* The kernel refuses a path of PATH_MAX bytes or more before it looks at
 * it (ENAMETOOLONG): so does the shim, with nothing to judge or record. */
static bool fg_too_long(const char *p)
{
	return p != NULL && strnlen(p, PATH_MAX) == PATH_MAX;
}

/* --- the resolver ----------------------------------------------------------
 *
 * Every hook that takes a path resolves it here, then judges n->path. */

/*
 * The path judged for descriptor fd.  A directory deeper than the kernel
 * can name (more than 4 KB, reached with chdir or a dirfd) is judged as
 * the contents of its nearest ancestor that has a name, shown as
 * "<ancestor>/...": no rule is longer than that ancestor, so no rule can
 * tell its contents apart.  Returns the length, 0 for no file system
 * object, or -errno.
 */
static long fg_fd_judged_path(int fd, char *out, size_t size)
{
	size_t len = size > PATH_MAX ? PATH_MAX : size;
	long n = fg_fd_path(fd, out, len);
	int up = fd, i;

	for (i = 0; n == -ENAMETOOLONG && i < PATH_MAX; i++) {
		int next = sys_openat(up, "..", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);

		if (up != fd)
			sys_close(up);
		if (next < 0)
			return -errno;
		up = next;
		n = fg_fd_path(up, out, len);
	}
	if (up != fd)
		sys_close(up);
	if (i == 0 || n <= 0)
		return n;
	if (n == 1)
		n = 0;   /* the root: "/..." */
	if ((size_t)n + 5 > size)
		return -ENAMETOOLONG;
	memcpy(out + n, "/...", 5);
	return n + 4;
}

/* The fast path for an operand whose absolute lexical form (length len) is
 * in n->path: 0 with n->fd set, 1 to take the slow path, or the kernel's
 * -errno for an object that does not resolve.  That error is final: the
 * walk without symlinks stopped (ENOENT, ENOTDIR, EACCES...) before any
 * symlink, where the slow path's walk stops with the same error; CPython
 * looks for a dozen missing candidates per import, and the slow path
 * asked the kernel a second time for each. */
static int fg_resolve_fast(struct fg_name *n, const char *path, size_t len, enum fg_target t)
{
	char parent[PATH_MAX];
	const char *last, *base;
	size_t blen;

	if (t != FG_T_NAME) {
		n->fd = fg_open_lexical(n->path, (long)len, path, O_PATH | O_CLOEXEC, 0);
		if (n->fd >= 0)
			return 0;
		return fg_take_slow_path(errno) ? 1 : -errno;
	}
	if (len <= 1 || fg_split(path, parent, sizeof(parent), &base) < 0)
		return 1;
	/* The caller's last component must be the lexical one ("dir/." is not). */
	last = strrchr(n->path, '/') + 1;
	blen = strcspn(base, "/");
	if (blen != strlen(last) || memcmp(base, last, blen) != 0)
		return 1;
	memcpy(parent, n->path, (size_t)(last - n->path));
	parent[last - n->path > 1 ? last - n->path - 1 : 1] = '\0';
	n->fd = fg_open_nosym(parent, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	if (n->fd < 0)
		return 1;
	n->base = base;
	return 0;
}

/* n->path (the parent's path, length len) followed by n->base, normalised. */
static int fg_name_join(struct fg_name *n, long len)
{
	char tmp[sizeof(n->path)];

	if ((size_t)len + strlen(n->base) + 2 > sizeof(n->path))
		return -ENAMETOOLONG;
	snprintf(n->path + len, sizeof(n->path) - (size_t)len, "%s%s", len > 1 ? "/" : "", n->base);
	len = fg_path_normalize(n->path, tmp, sizeof(tmp));
	if (len < 0)
		return (int)len;
	memcpy(n->path, tmp, (size_t)len + 1);
	return 0;
}

/* The judged path of a non-directory object (n->fd) deeper than the kernel
 * can name: its parent directory's followed by its name, when that name in
 * that directory is the very object.  Returns the length or -errno. */
static long fg_judged_via_parent(struct fg_name *n, int dirfd, const char *path)
{
	char parent[PATH_MAX];
	struct stat a, b;
	long len = -ENAMETOOLONG;
	int pfd;

	if (fg_split(path, parent, sizeof(parent), &n->base) < 0)
		goto out;
	pfd = sys_openat(dirfd, parent, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	if (pfd < 0)
		goto out;
	if (fstat(n->fd, &a) == 0 &&
	    fg_syscall(SYS_newfstatat, pfd, n->base, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
		len = fg_fd_judged_path(pfd, n->path, sizeof(n->path));
		if (len > 0)
			len = fg_name_join(n, len) < 0 ? -ENAMETOOLONG : (long)strlen(n->path);
	}
	sys_close(pfd);
out:
	n->base = NULL;
	return len > 0 ? len : -ENAMETOOLONG;
}

/* The slow path: the kernel resolves (dirfd, path) to an O_PATH descriptor
 * and its real path is read back.  oflags adds O_DIRECTORY for open. */
static int fg_resolve_kernel(struct fg_name *n, int dirfd, const char *path, enum fg_target t,
			     int oflags)
{
	char parent[PATH_MAX];
	long len;
	int rc;

	n->path[0] = '\0';
	if (t == FG_T_NAME) {
		rc = fg_split(path, parent, sizeof(parent), &n->base);
		if (rc == 0) {
			n->fd = sys_openat(dirfd, parent, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
			rc = n->fd < 0 ? -errno : 0;
		}
	} else {
		n->fd = sys_openat(dirfd, path, O_PATH | O_CLOEXEC | oflags |
				   (t == FG_T_OBJECT_NOFOLLOW ? O_NOFOLLOW : 0), 0);
		rc = n->fd < 0 ? -errno : 0;
	}
	if (rc < 0) {
		n->fd = -1;
		/* what the kernel could have named: never longer than PATH_MAX */
		if (fg_abs_lexical(dirfd, path, n->path, PATH_MAX) < 0)
			n->path[0] = '\0';
		return rc;
	}
	len = fg_fd_judged_path(n->fd, n->path, sizeof(n->path));
	if (len == -ENOTDIR && t != FG_T_NAME)
		len = fg_judged_via_parent(n, dirfd, path);
	if (len == 0)   /* a pipe or socket through /proc/self/fd: the name used */
		len = fg_abs_lexical(dirfd, path, n->path, sizeof(n->path));
	rc = len < 0 ? (int)len : n->base != NULL ? fg_name_join(n, len) : 0;
	if (rc < 0) {
		sys_close(n->fd);
		n->fd = -1;
		n->path[0] = '\0';
	}
	return rc;
}

int fg_resolve(struct fg_name *n, int dirfd, const char *path, enum fg_target t)
{
	long len;

	n->fd = -1;
	n->base = NULL;
	n->path[0] = '\0';
	if (path == NULL)
		return -EFAULT;
	if (fg_too_long(path))
		return -ENAMETOOLONG;
	len = fg_fast_abs(dirfd, path, n->path, PATH_MAX);
	if (len > 0) {
		int rc = fg_resolve_fast(n, path, (size_t)len, t);

		if (rc <= 0)    /* an error: n->fd -1, n->path the name judged */
			return rc;
	}
	n->base = NULL;
	return fg_resolve_kernel(n, dirfd, path, t, 0);
}

/* --- open -------------------------------------------------------------- */

struct fg_open {
	struct fg_act act;
	int flags;
	mode_t mode;
	char resolved[PATH_MAX];
	struct fg_name created;    /* the name to create, resolved */
};

/* A name judged by its lexical form only (it did not resolve, the kernel's
 * error is err).  Returns -1 with EACCES when denied, else -1 with err. */
static int fg_open_unresolved(struct fg_open *o, const struct fg_name *nm, int err)
{
	struct fg_verdict v;

	if (nm->path[0] != '\0') {
		o->act.path = nm->path;
		if (!fg_judge(nm->path, strlen(nm->path), o->act.access, &v) &&
		    fg_g.pol->fs.mode == FG_MODE_ENFORCE)
			return fg_enforce(&o->act, nm->path, &v, FG_MODE_ENFORCE);
		fg_record(&o->act, v.allow ? FG_D_ALLOW : FG_D_REPORT, &v, err);
	}
	errno = err;
	return -1;
}

/* The fast path: true when it decided (*fdp and errno are the result),
 * false to take the slow path. */
static bool fg_open_fast(struct fg_open *o, int dirfd, const char *path, int *fdp)
{
	struct fg_verdict v;
	long n = fg_fast_abs(dirfd, path, o->resolved, sizeof(o->resolved));
	int fd, err;

	if (n <= 0)
		return false;
	if (!fg_judge(o->resolved, (size_t)n, o->act.access, &v)) {
		if (fg_g.pol->fs.mode != FG_MODE_ENFORCE)
			return false;
		/* Lexically denied: final unless a symlink might lead elsewhere. */
		fd = fg_probe_nosym(o->resolved);
		if (fd < 0 && fg_take_slow_path(errno))
			return false;
		if (fd >= 0)
			sys_close(fd);
		o->act.path = o->resolved;
		*fdp = fg_enforce(&o->act, o->resolved, &v, FG_MODE_ENFORCE);
		return true;
	}
	fd = fg_open_lexical(o->resolved, n, path, o->flags, o->mode);
	err = errno;
	if (fd < 0 && fg_take_slow_path(err))
		return false;
	o->act.path = o->resolved;
	if (fd >= 0 && fg_enforce(&o->act, o->resolved, &v, fg_g.pol->fs.mode) < 0) {
		err = errno;
		sys_close(fd);
		fd = -1;
	} else if (fd < 0) {
		/* the record carries the kernel's answer (Landlock's EACCES too) */
		errno = err;
		fd = fg_outcome(&o->act, o->resolved, &v, fg_g.pol->fs.mode, fd);
		err = errno;
	}
	errno = err;
	*fdp = fd;
	return true;
}

/* Judge the existing object nm resolved to, and open that very object
 * through its O_PATH descriptor.  Returns the descriptor or -1, errno set;
 * nm->fd is closed. */
static int fg_open_object(struct fg_open *o, struct fg_name *nm)
{
	struct fg_verdict v;
	struct stat st;
	char proc[32];
	int fd = -1, err;

	o->act.path = nm->path;
	fg_judge(nm->path, strlen(nm->path), o->act.access, &v);
	if (fg_enforce(&o->act, nm->path, &v, fg_g.pol->fs.mode) < 0) {
		err = errno;
	} else if ((o->flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) {
		err = EEXIST;
	} else if ((o->flags & O_TMPFILE) == O_TMPFILE) {
		fd = sys_openat(nm->fd, ".", o->flags, o->mode);
		err = errno;
	} else if ((o->flags & O_NOFOLLOW) && !(o->flags & O_PATH) && fstat(nm->fd, &st) == 0 &&
		   S_ISLNK(st.st_mode)) {
		err = ELOOP;
	} else {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", nm->fd);
		fd = sys_openat(AT_FDCWD, proc, o->flags & ~(O_NOFOLLOW | O_EXCL), o->mode);
		err = errno;
	}
	sys_close(nm->fd);
	errno = err;
	return fd;
}

/*
 * Create the name (dirfd, path) that does not exist: judged through its
 * parent, created there.  Returns true when done (*fdp, errno), false when
 * the name is a dangling symlink: hop then holds its target, to follow.
 */
static bool fg_open_create(struct fg_open *o, int dirfd, const char *path, char *hop,
			   size_t hoplen, int *fdp)
{
	struct fg_verdict v;
	struct fg_name *nm = &o->created;   /* o->act.path points into it */
	int rc = fg_resolve(nm, dirfd, path, FG_T_NAME), fd, err;
	long n;

	*fdp = -1;
	if (rc < 0) {
		errno = -rc;
		return true;
	}
	o->act.path = nm->path;
	fg_judge(nm->path, strlen(nm->path), o->act.access, &v);
	if (fg_refuse(&o->act, nm->path, &v, fg_g.pol->fs.mode) < 0) {
		sys_close(nm->fd);
		return true;
	}
	fd = sys_openat(nm->fd, nm->base, o->flags | O_NOFOLLOW, o->mode);
	err = errno;
	if (fd >= 0 || err != ELOOP || (o->flags & O_NOFOLLOW)) {
		sys_close(nm->fd);
		errno = err;
		*fdp = fg_outcome(&o->act, nm->path, &v, fg_g.pol->fs.mode, fd);
		if (*fdp < 0 && fd >= 0) {
			err = errno;
			sys_close(fd);
			errno = err;
		}
		return true;
	}
	/* base is a dangling symlink: its target, made absolute, is the next hop */
	n = fg_syscall(SYS_readlinkat, nm->fd, nm->base, hop, hoplen - 1);
	sys_close(nm->fd);
	if (n < 0)
		return true;
	hop[n] = '\0';
	if (hop[0] != '/') {
		size_t keep = (size_t)(strrchr(nm->path, '/') - nm->path) + 1;

		if (keep + (size_t)n + 1 > hoplen) {
			errno = ENAMETOOLONG;
			return true;
		}
		memmove(hop + keep, hop, (size_t)n + 1);
		memcpy(hop, nm->path, keep);
	}
	return false;
}

/* A call that succeeded leaves errno as the caller had it, as the kernel's
 * would: the probes on the way (the fast path's ELOOP, a name that did not
 * resolve yet) are not the caller's business. */
static int fg_kept(int rc, int saved)
{
	if (rc >= 0)
		errno = saved;
	return rc;
}

int fg_openat_checked(const char *op, int dirfd, const char *path, int flags, mode_t mode)
{
	struct fg_open o = {
		.act = { .op = op, .path = path, .flags = flags, .access = fg_open_access(flags),
			 .mode = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (int)mode : -1 },
		.flags = flags, .mode = mode,
	};
	char hop[2][PATH_MAX];
	struct fg_name nm;
	int hops, fd, rc, saved = errno;

	if (path == NULL || fg_too_long(path)) {
		errno = path == NULL ? EFAULT : ENAMETOOLONG;
		return -1;
	}
	if (fg_open_fast(&o, dirfd, path, &fd))
		return fg_kept(fd, saved);
	for (hops = 0; hops < FG_MAX_HOPS; hops++) {
		nm.base = NULL;
		rc = fg_resolve_kernel(&nm, dirfd, path,
				       (flags & O_NOFOLLOW) ? FG_T_OBJECT_NOFOLLOW : FG_T_OBJECT_FOLLOW,
				       flags & O_DIRECTORY);
		if (rc == 0)
			return fg_kept(fg_open_object(&o, &nm), saved);
		if (rc != -ENOENT || !(flags & O_CREAT))
			return fg_open_unresolved(&o, &nm, -rc);
		if (fg_open_create(&o, dirfd, path, hop[hops % 2], sizeof(hop[0]), &fd))
			return fg_kept(fd, saved);
		path = hop[hops % 2];
		dirfd = AT_FDCWD;
	}
	errno = ELOOP;
	return -1;
}

/* --- path operations other than open ------------------------------------ */

/* Is path a directory on the way to an allowed tree (for metadata reads)? */
static bool fg_is_ancestor(const char *path, size_t len)
{
	const struct fg_path_list *lists[2] = { &fg_g.pol->fs.read, &fg_g.pol->fs.write };
	size_t i, j;

	for (i = 0; i < 2; i++)
		for (j = 0; j < lists[i]->n; j++)
			if (lists[i]->v[j].len > len &&
			    fg_path_within(path, len, lists[i]->v[j].path, lists[i]->v[j].len))
				return true;
	return false;
}

static bool fg_judge_op(const char *path, unsigned access, struct fg_verdict *v)
{
	size_t len = strlen(path);

	if (fg_judge(path, len, access & ~FG_ACC_META, v))
		return true;
	if ((access & FG_ACC_META) && v->why == FG_R_NOT_IN_TREE && fg_is_ancestor(path, len)) {
		*v = (struct fg_verdict){ .allow = true, .why = FG_R_ANCESTOR };
		return true;
	}
	return false;
}

int fg_path_op(const struct fg_pathop *op, void *ctx)
{
	struct fg_name a, b;
	struct fg_act act = { .op = op->op, .path = op->path1, .path2 = op->path2,
			      .flags = op->flags, .mode = op->mode,
			      .access = op->access & (FG_ACC_READ | FG_ACC_WRITE),
			      .meta = (op->access & FG_ACC_META) != 0 };
	struct fg_verdict va, vb;
	int rc, rc2 = 0, err, saved = errno;
	bool two = op->path2 != NULL;
	const struct fg_verdict *v;
	const char *shown;

	if (fg_too_long(op->path1) || fg_too_long(op->path2)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	rc = fg_resolve(&a, op->dirfd1, op->path1, op->t1);
	if (two)
		rc2 = fg_resolve(&b, op->dirfd2, op->path2, op->t2);
	if ((rc < 0 && a.path[0] == '\0') || (rc2 < 0 && b.path[0] == '\0')) {
		/* An operand the kernel did not resolve and that has no
		 * absolute form to judge (no path at all, or a relative name
		 * whose absolute form is longer than the kernel names): the
		 * call cannot happen, and the kernel's error (ENOENT, EFAULT)
		 * is the answer, not a denial of the relative string. */
		errno = rc < 0 && a.path[0] == '\0' ? -rc : -rc2;
		rc = -1;
		goto out;
	}
	fg_judge_op(a.path[0] ? a.path : op->path1, op->access1 ? op->access1 : op->access, &va);
	vb = va;
	if (two)
		fg_judge_op(b.path[0] ? b.path : op->path2, op->access, &vb);
	v = !va.allow ? &va : &vb;
	act.path = a.path[0] ? a.path : op->path1;
	if (two)
		act.path2 = b.path[0] ? b.path : op->path2;
	shown = two && va.allow && !vb.allow ? act.path2 : act.path;
	if (rc < 0 || rc2 < 0) {
		/* Unresolved: refuse when the name is denied, else the kernel's error. */
		err = rc < 0 ? -rc : -rc2;
		if (!v->allow && fg_g.pol->fs.mode == FG_MODE_ENFORCE) {
			rc = fg_enforce(&act, shown, v, FG_MODE_ENFORCE);
		} else {
			if (!(op->access & FG_ACC_META) || fg_g.pol->audit.events == FG_EVENTS_ALL)
				fg_record(&act, v->allow ? FG_D_ALLOW : FG_D_REPORT, v, err);
			errno = err;
			rc = -1;
		}
		goto out;
	}
	/* allowed metadata reads are recorded only under events = all; the
	 * others are recorded after the call, with what it really returned */
	if ((op->access & FG_ACC_META) && v->allow && fg_g.pol->audit.events != FG_EVENTS_ALL)
		rc = op->run(&a, two ? &b : NULL, ctx);
	else if (fg_refuse(&act, shown, v, fg_g.pol->fs.mode) < 0)
		rc = -1;
	else
		rc = fg_outcome(&act, shown, v, fg_g.pol->fs.mode, op->run(&a, two ? &b : NULL, ctx));
out:
	err = errno;
	if (a.fd >= 0)
		sys_close(a.fd);
	if (two && b.fd >= 0)
		sys_close(b.fd);
	errno = err;
	return fg_kept(rc, saved);
}
