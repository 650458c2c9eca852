/* hooks_fs.c - path operations other than open: create, remove, rename,
 * link, change attributes, and the metadata reads (stat, access, readlink).
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
 * Each hook fills a struct fg_pathop and lets fg_path_op() resolve, judge
 * and record; the run callback then acts on the resolved descriptors (the
 * *at call on the judged parent, or the judged object through
 * /proc/self/fd), never on the caller's path string again.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "shim/shim.h"

/* The caller's other arguments, for run and direct. */
struct fg_args {
	mode_t mode;
	uid_t uid;
	gid_t gid;
	int flags;            /* the *at call's own flags */
	dev_t dev;
	off_t length;
	const struct timespec *times;
	struct stat *st;
	struct statx *stx;
	unsigned mask;
	char *buf;
	size_t bufsiz;
	const char *target;   /* symlink contents */
	const struct fg_pathop *held;  /* the caller's own call on a held descriptor (fg_change) */
};

static char *fg_proc_fd(int fd, char buf[32])
{
	snprintf(buf, 32, "/proc/self/fd/%d", fd);
	return buf;
}

/* glibc marks some path arguments nonnull, yet callers pass NULL on
 * purpose (futimens is utimensat(fd, NULL, ...)): hide the pointer from
 * the optimiser before testing it. */
static bool fg_is_null(const char *p)
{
	__asm__("" : "+r"(p));
	return p == NULL;
}

static int ret(long rc)
{
	return rc < 0 ? -1 : (int)rc;
}

/* Run op under the guard rules: straight to the kernel when fleetguard is
 * not active on this thread. */
static int fg_op(const struct fg_pathop *op, struct fg_args *a)
{
	if (fg_passthrough())
		return op->direct(op, a);
	return fg_path_op(op, a);
}

#define ARGS(ctx) ((struct fg_args *)(ctx))

/* Does the call name its descriptor itself ("" with AT_EMPTY_PATH)? */
static bool fg_names_held(const char *path, int flags)
{
	return !fg_is_null(path) && path[0] == '\0' && (flags & AT_EMPTY_PATH);
}

/* Judge the object op's descriptor names (AT_FDCWD: the working directory)
 * like a path: through /proc/self/fd/N, which the resolution follows to
 * the object itself. */
static void fg_at_object(struct fg_pathop *op, char proc[32])
{
	op->path1 = op->dirfd1 == AT_FDCWD ? "." : fg_proc_fd(op->dirfd1, proc);
	op->dirfd1 = AT_FDCWD;
	op->t1 = FG_T_OBJECT_FOLLOW;
}

/* fg_op for a metadata read: of a descriptor already held, straight on
 * (it was judged at its open), as fstat(2) would be. */
static int fg_read_op(const struct fg_pathop *op, struct fg_args *a)
{
	if (fg_names_held(op->path1, a->flags))
		return op->direct(op, a);
	return fg_op(op, a);
}

/* --- unlink, rmdir ------------------------------------------------------- */

static int run_unlink(const struct fg_name *a, const struct fg_name *b, void *ctx)
{
	return ret(fg_syscall(SYS_unlinkat, a->fd, a->base, ARGS(ctx)->flags));
}

static int direct_unlink(const struct fg_pathop *op, void *ctx)
{
	return ret(fg_syscall(SYS_unlinkat, op->dirfd1, op->path1, ARGS(ctx)->flags));
}

static int fg_unlinkat(const char *name, int dirfd, const char *path, int flags)
{
	struct fg_args a = { .flags = flags };
	struct fg_pathop op = { .op = name, .access = FG_ACC_WRITE | FG_ACC_MOVE, .dirfd1 = dirfd,
				.path1 = path, .t1 = FG_T_NAME, .flags = flags ? flags : -1, .mode = -1,
				.run = run_unlink, .direct = direct_unlink };
	return fg_op(&op, &a);
}

FG_EXPORT int unlink(const char *path) { return fg_unlinkat("unlink", AT_FDCWD, path, 0); }
FG_EXPORT int unlinkat(int dirfd, const char *path, int flags) { return fg_unlinkat("unlink", dirfd, path, flags); }
FG_EXPORT int rmdir(const char *path) { return fg_unlinkat("rmdir", AT_FDCWD, path, AT_REMOVEDIR); }

FG_EXPORT int remove(const char *path)
{
	int rc = fg_unlinkat("unlink", AT_FDCWD, path, 0);

	if (rc < 0 && errno == EISDIR)
		rc = fg_unlinkat("rmdir", AT_FDCWD, path, AT_REMOVEDIR);
	return rc;
}

/* --- mkdir, mknod, mkfifo, symlink ---------------------------------------- */

static int run_mkdir(const struct fg_name *a, const struct fg_name *b, void *ctx)
{
	return ret(fg_syscall(SYS_mkdirat, a->fd, a->base, ARGS(ctx)->mode));
}

static int direct_mkdir(const struct fg_pathop *op, void *ctx)
{
	return ret(fg_syscall(SYS_mkdirat, op->dirfd1, op->path1, ARGS(ctx)->mode));
}

static int fg_mkdirat(int dirfd, const char *path, mode_t mode)
{
	struct fg_args a = { .mode = mode };
	struct fg_pathop op = { .op = "mkdir", .access = FG_ACC_WRITE, .dirfd1 = dirfd, .path1 = path,
				.t1 = FG_T_NAME, .flags = -1, .mode = (int)mode,
				.run = run_mkdir, .direct = direct_mkdir };
	return fg_op(&op, &a);
}

FG_EXPORT int mkdir(const char *path, mode_t mode) { return fg_mkdirat(AT_FDCWD, path, mode); }
FG_EXPORT int mkdirat(int dirfd, const char *path, mode_t mode) { return fg_mkdirat(dirfd, path, mode); }

static int run_mknod(const struct fg_name *a, const struct fg_name *b, void *ctx)
{
	return ret(fg_syscall(SYS_mknodat, a->fd, a->base, ARGS(ctx)->mode, ARGS(ctx)->dev));
}

static int direct_mknod(const struct fg_pathop *op, void *ctx)
{
	return ret(fg_syscall(SYS_mknodat, op->dirfd1, op->path1, ARGS(ctx)->mode, ARGS(ctx)->dev));
}

static int fg_mknodat(const char *name, int dirfd, const char *path, mode_t mode, dev_t dev)
{
	struct fg_args a = { .mode = mode, .dev = dev };
	struct fg_pathop op = { .op = name, .access = FG_ACC_WRITE, .dirfd1 = dirfd, .path1 = path,
				.t1 = FG_T_NAME, .flags = -1, .mode = (int)mode,
				.run = run_mknod, .direct = direct_mknod };
	return fg_op(&op, &a);
}

FG_EXPORT int mknod(const char *path, mode_t mode, dev_t dev) { return fg_mknodat("mknod", AT_FDCWD, path, mode, dev); }
FG_EXPORT int mknodat(int dirfd, const char *path, mode_t mode, dev_t dev) { return fg_mknodat("mknod", dirfd, path, mode, dev); }
FG_EXPORT int mkfifo(const char *path, mode_t mode) { return fg_mknodat("mkfifo", AT_FDCWD, path, mode | S_IFIFO, 0); }
FG_EXPORT int mkfifoat(int dirfd, const char *path, mode_t mode) { return fg_mknodat("mkfifo", dirfd, path, mode | S_IFIFO, 0); }

static int run_symlink(const struct fg_name *a, const struct fg_name *b, void *ctx)
{
	return ret(fg_syscall(SYS_symlinkat, ARGS(ctx)->target, a->fd, a->base));
}

static int direct_symlink(const struct fg_pathop *op, void *ctx)
{
	return ret(fg_syscall(SYS_symlinkat, ARGS(ctx)->target, op->dirfd1, op->path1));
}

/* The link's contents are data, resolved (and judged) when used. */
static int fg_symlinkat(const char *target, int dirfd, const char *path)
{
	struct fg_args a = { .target = target };
	struct fg_pathop op = { .op = "symlink", .access = FG_ACC_WRITE, .dirfd1 = dirfd, .path1 = path,
				.t1 = FG_T_NAME, .flags = -1, .mode = -1,
				.run = run_symlink, .direct = direct_symlink };
	return fg_op(&op, &a);
}

FG_EXPORT int symlink(const char *target, const char *path) { return fg_symlinkat(target, AT_FDCWD, path); }
FG_EXPORT int symlinkat(const char *target, int dirfd, const char *path) { return fg_symlinkat(target, dirfd, path); }

/* --- rename, link ---------------------------------------------------------- */

static int run_rename(const struct fg_name *a, const struct fg_name *b, void *ctx)
{
	return ret(fg_syscall(SYS_renameat2, a->fd, a->base, b->fd, b->base, ARGS(ctx)->flags));
}

static int direct_rename(const struct fg_pathop *op, void *ctx)
{
	return ret(fg_syscall(SYS_renameat2, op->dirfd1, op->path1, op->dirfd2, op->path2, ARGS(ctx)->flags));
}

static int fg_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
			unsigned flags)
{
	struct fg_args a = { .flags = (int)flags };
	struct fg_pathop op = { .op = "rename", .access = FG_ACC_WRITE | FG_ACC_MOVE, .dirfd1 = olddirfd,
				.path1 = oldpath, .t1 = FG_T_NAME, .dirfd2 = newdirfd, .path2 = newpath,
				.t2 = FG_T_NAME, .flags = flags ? (int)flags : -1, .mode = -1,
				.run = run_rename, .direct = direct_rename };
	return fg_op(&op, &a);
}

FG_EXPORT int rename(const char *o, const char *n) { return fg_renameat2(AT_FDCWD, o, AT_FDCWD, n, 0); }
FG_EXPORT int renameat(int od, const char *o, int nd, const char *n) { return fg_renameat2(od, o, nd, n, 0); }
FG_EXPORT int renameat2(int od, const char *o, int nd, const char *n, unsigned flags) { return fg_renameat2(od, o, nd, n, flags); }

/* A hard link makes its source reachable under the new name, so the source
 * must be writable under the policy, not just readable. */
static int run_link(const struct fg_name *a, const struct fg_name *b, void *ctx)
{
	char proc[32];

	return ret(fg_syscall(SYS_linkat, AT_FDCWD, fg_proc_fd(a->fd, proc), b->fd, b->base,
			   AT_SYMLINK_FOLLOW));
}

static int direct_link(const struct fg_pathop *op, void *ctx)
{
	return ret(fg_syscall(SYS_linkat, op->dirfd1, op->path1, op->dirfd2, op->path2, ARGS(ctx)->flags));
}

static int fg_linkat(int od, const char *o, int nd, const char *n, int flags)
{
	struct fg_args a = { .flags = flags };
	struct fg_pathop op = { .op = "link", .access = FG_ACC_WRITE, .dirfd1 = od, .path1 = o,
				.t1 = (flags & AT_SYMLINK_FOLLOW) ? FG_T_OBJECT_FOLLOW : FG_T_OBJECT_NOFOLLOW,
				.dirfd2 = nd, .path2 = n, .t2 = FG_T_NAME, .flags = flags ? flags : -1,
				.mode = -1, .run = run_link, .direct = direct_link };
	char proc[32];

	/* a held descriptor's object (an O_TMPFILE being given its name, or
	 * anything opened for reading): judged as a source like a path is,
	 * whatever kind of descriptor holds it */
	if (fg_names_held(o, flags))
		fg_at_object(&op, proc);
	return fg_op(&op, &a);
}

FG_EXPORT int link(const char *o, const char *n) { return fg_linkat(AT_FDCWD, o, AT_FDCWD, n, 0); }
FG_EXPORT int linkat(int od, const char *o, int nd, const char *n, int flags) { return fg_linkat(od, o, nd, n, flags); }

/* --- chmod, chown, utimensat, truncate ------------------------------------- */

static enum fg_target fg_follow(int atflags)
{
	return (atflags & AT_SYMLINK_NOFOLLOW) ? FG_T_OBJECT_NOFOLLOW : FG_T_OBJECT_FOLLOW;
}

/* The object a held descriptor names was judged: the caller's own call. */
static int run_held(const struct fg_name *a, const struct fg_name *b, void *ctx)
{
	const struct fg_pathop *op = ARGS(ctx)->held;

	return op->direct(op, ctx);
}

/* fg_op for a change that may name a descriptor it holds ("" with
 * AT_EMPTY_PATH).  A descriptor open for content was judged at its open
 * and the call goes straight on, as fchown(2) would; an O_PATH one reaches
 * any object the agent may merely look at, so the object it names is
 * judged like a path (fg_at_object), and once allowed the caller's own
 * call runs on its descriptor, which names that same object whatever
 * happens to paths meanwhile. */
static int fg_change(const struct fg_pathop *caller, struct fg_args *args)
{
	struct fg_pathop op = *caller;
	struct fg_args a = *args;
	char proc[32];
	long fl;

	if (!fg_names_held(op.path1, a.flags))
		return fg_op(caller, args);
	fl = op.dirfd1 == AT_FDCWD ? O_PATH : fg_syscall(SYS_fcntl, op.dirfd1, F_GETFL);
	if (fl < 0 || !(fl & O_PATH))
		return caller->direct(caller, args);
	a.held = caller;
	fg_at_object(&op, proc);
	op.run = run_held;
	return fg_op(&op, &a);
}

static int run_chmod(const struct fg_name *a, const struct fg_name *b, void *ctx)
{
	char proc[32];

	return ret(fg_syscall(SYS_fchmodat, AT_FDCWD, fg_proc_fd(a->fd, proc), ARGS(ctx)->mode));
}

static int direct_chmod(const struct fg_pathop *op, void *ctx)
{
	FG_REAL(int, fchmodat, int, const char *, mode_t, int);
	return real_fchmodat(op->dirfd1, op->path1, ARGS(ctx)->mode, ARGS(ctx)->flags);
}

static int fg_fchmodat(int dirfd, const char *path, mode_t mode, int flags)
{
	struct fg_args a = { .mode = mode, .flags = flags };
	struct fg_pathop op = { .op = "chmod", .access = FG_ACC_WRITE, .dirfd1 = dirfd, .path1 = path,
				.t1 = fg_follow(flags), .flags = -1, .mode = (int)mode,
				.run = run_chmod, .direct = direct_chmod };

	/* (glibc before 2.39 refuses AT_EMPTY_PATH here with EINVAL, later
	 * ones pass it to fchmodat2: either way, the caller's own call) */
	return fg_change(&op, &a);
}

FG_EXPORT int chmod(const char *path, mode_t mode) { return fg_fchmodat(AT_FDCWD, path, mode, 0); }
FG_EXPORT int fchmodat(int dirfd, const char *path, mode_t mode, int flags) { return fg_fchmodat(dirfd, path, mode, flags); }

static int run_chown(const struct fg_name *a, const struct fg_name *b, void *ctx)
{
	return ret(fg_syscall(SYS_fchownat, a->fd, "", ARGS(ctx)->uid, ARGS(ctx)->gid, AT_EMPTY_PATH));
}

static int direct_chown(const struct fg_pathop *op, void *ctx)
{
	return ret(fg_syscall(SYS_fchownat, op->dirfd1, op->path1, ARGS(ctx)->uid, ARGS(ctx)->gid,
			   ARGS(ctx)->flags));
}

static int fg_fchownat(int dirfd, const char *path, uid_t uid, gid_t gid, int flags)
{
	struct fg_args a = { .uid = uid, .gid = gid, .flags = flags };
	struct fg_pathop op = { .op = "chown", .access = FG_ACC_WRITE, .dirfd1 = dirfd, .path1 = path,
				.t1 = fg_follow(flags), .flags = -1, .mode = -1,
				.run = run_chown, .direct = direct_chown };
	return fg_change(&op, &a);
}

FG_EXPORT int chown(const char *p, uid_t u, gid_t g) { return fg_fchownat(AT_FDCWD, p, u, g, 0); }
FG_EXPORT int lchown(const char *p, uid_t u, gid_t g) { return fg_fchownat(AT_FDCWD, p, u, g, AT_SYMLINK_NOFOLLOW); }
FG_EXPORT int fchownat(int d, const char *p, uid_t u, gid_t g, int f) { return fg_fchownat(d, p, u, g, f); }

static int run_utimens(const struct fg_name *a, const struct fg_name *b, void *ctx)
{
	char proc[32];

	return ret(fg_syscall(SYS_utimensat, AT_FDCWD, fg_proc_fd(a->fd, proc), ARGS(ctx)->times, 0));
}

static int direct_utimens(const struct fg_pathop *op, void *ctx)
{
	return ret(fg_syscall(SYS_utimensat, op->dirfd1, op->path1, ARGS(ctx)->times, ARGS(ctx)->flags));
}

FG_EXPORT int utimensat(int dirfd, const char *path, const struct timespec times[2], int flags)
{
	struct fg_args a = { .times = times, .flags = flags };
	struct fg_pathop op = { .op = "utimens", .access = FG_ACC_WRITE, .dirfd1 = dirfd, .path1 = path,
				.t1 = fg_follow(flags), .flags = -1, .mode = -1,
				.run = run_utimens, .direct = direct_utimens };

	if (fg_is_null(path))   /* futimens(): a descriptor the kernel takes only open for content */
		return direct_utimens(&op, &a);
	return fg_change(&op, &a);
}

static int run_truncate(const struct fg_name *a, const struct fg_name *b, void *ctx)
{
	char proc[32];

	return ret(fg_syscall(SYS_truncate, fg_proc_fd(a->fd, proc), ARGS(ctx)->length));
}

static int direct_truncate(const struct fg_pathop *op, void *ctx)
{
	return ret(fg_syscall(SYS_truncate, op->path1, ARGS(ctx)->length));
}

FG_EXPORT int truncate(const char *path, off_t length)
{
	struct fg_args a = { .length = length };
	struct fg_pathop op = { .op = "truncate", .access = FG_ACC_WRITE, .dirfd1 = AT_FDCWD,
				.path1 = path, .t1 = FG_T_OBJECT_FOLLOW, .flags = -1, .mode = -1,
				.run = run_truncate, .direct = direct_truncate };
	return fg_op(&op, &a);
}

FG_EXPORT int truncate64(const char *path, off_t length) { return truncate(path, length); }

/* --- metadata reads: stat, statx, access, readlink --------------------------- */

static int run_stat(const struct fg_name *a, const struct fg_name *b, void *ctx)
{
	return ret(fg_syscall(SYS_newfstatat, a->fd, "", ARGS(ctx)->st, AT_EMPTY_PATH));
}

static int direct_stat(const struct fg_pathop *op, void *ctx)
{
	return ret(fg_syscall(SYS_newfstatat, op->dirfd1, op->path1, ARGS(ctx)->st, ARGS(ctx)->flags));
}

static int fg_fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	struct fg_args a = { .st = st, .flags = flags };
	struct fg_pathop op = { .op = "stat", .access = FG_ACC_READ | FG_ACC_META, .dirfd1 = dirfd,
				.path1 = path, .t1 = fg_follow(flags), .flags = -1, .mode = -1,
				.run = run_stat, .direct = direct_stat };
	return fg_read_op(&op, &a);
}

FG_EXPORT int stat(const char *p, struct stat *st) { return fg_fstatat(AT_FDCWD, p, st, 0); }
FG_EXPORT int stat64(const char *p, struct stat64 *st) { return fg_fstatat(AT_FDCWD, p, (struct stat *)st, 0); }
FG_EXPORT int lstat(const char *p, struct stat *st) { return fg_fstatat(AT_FDCWD, p, st, AT_SYMLINK_NOFOLLOW); }
FG_EXPORT int lstat64(const char *p, struct stat64 *st) { return fg_fstatat(AT_FDCWD, p, (struct stat *)st, AT_SYMLINK_NOFOLLOW); }
FG_EXPORT int fstatat(int d, const char *p, struct stat *st, int f) { return fg_fstatat(d, p, st, f); }
FG_EXPORT int fstatat64(int d, const char *p, struct stat64 *st, int f) { return fg_fstatat(d, p, (struct stat *)st, f); }

static int run_statx(const struct fg_name *a, const struct fg_name *b, void *ctx)
{
	return ret(fg_syscall(SYS_statx, a->fd, "", AT_EMPTY_PATH | (ARGS(ctx)->flags & AT_STATX_SYNC_TYPE),
			   ARGS(ctx)->mask, ARGS(ctx)->stx));
}

static int direct_statx(const struct fg_pathop *op, void *ctx)
{
	return ret(fg_syscall(SYS_statx, op->dirfd1, op->path1, ARGS(ctx)->flags, ARGS(ctx)->mask,
			   ARGS(ctx)->stx));
}

FG_EXPORT int statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *stx)
{
	struct fg_args a = { .stx = stx, .flags = flags, .mask = mask };
	struct fg_pathop op = { .op = "stat", .access = FG_ACC_READ | FG_ACC_META, .dirfd1 = dirfd,
				.path1 = path, .t1 = fg_follow(flags), .flags = -1, .mode = -1,
				.run = run_statx, .direct = direct_statx };
	return fg_read_op(&op, &a);
}

static int run_access(const struct fg_name *a, const struct fg_name *b, void *ctx)
{
	char proc[32];

	return ret(fg_syscall(SYS_faccessat2, AT_FDCWD, fg_proc_fd(a->fd, proc), ARGS(ctx)->mode,
			   ARGS(ctx)->flags & AT_EACCESS));
}

static int direct_access(const struct fg_pathop *op, void *ctx)
{
	return ret(fg_syscall(SYS_faccessat2, op->dirfd1, op->path1, ARGS(ctx)->mode, ARGS(ctx)->flags));
}

static int fg_faccessat(int dirfd, const char *path, int mode, int flags)
{
	struct fg_args a = { .mode = (mode_t)mode, .flags = flags };
	struct fg_pathop op = { .op = "access", .access = FG_ACC_READ | FG_ACC_META, .dirfd1 = dirfd,
				.path1 = path, .t1 = fg_follow(flags), .flags = -1, .mode = mode,
				.run = run_access, .direct = direct_access };
	return fg_read_op(&op, &a);
}

FG_EXPORT int access(const char *p, int mode) { return fg_faccessat(AT_FDCWD, p, mode, 0); }
FG_EXPORT int faccessat(int d, const char *p, int mode, int f) { return fg_faccessat(d, p, mode, f); }
FG_EXPORT int euidaccess(const char *p, int mode) { return fg_faccessat(AT_FDCWD, p, mode, AT_EACCESS); }
FG_EXPORT int eaccess(const char *p, int mode) { return fg_faccessat(AT_FDCWD, p, mode, AT_EACCESS); }

/* readlinkat(fd, "") answers ENOENT where readlink(path) answers EINVAL:
 * the object is not a symbolic link, and programs (realpath, readlink -f)
 * tell the two apart. */
static int run_readlink(const struct fg_name *a, const struct fg_name *b, void *ctx)
{
	struct stat st;
	long r = fg_syscall(SYS_readlinkat, a->fd, "", ARGS(ctx)->buf, ARGS(ctx)->bufsiz);

	if (r < 0 && errno == ENOENT && fg_syscall(SYS_newfstatat, a->fd, "", &st, AT_EMPTY_PATH) == 0 &&
	    !S_ISLNK(st.st_mode))
		errno = EINVAL;
	return ret(r);
}

static int direct_readlink(const struct fg_pathop *op, void *ctx)
{
	return ret(fg_syscall(SYS_readlinkat, op->dirfd1, op->path1, ARGS(ctx)->buf, ARGS(ctx)->bufsiz));
}

static ssize_t fg_readlinkat(int dirfd, const char *path, char *buf, size_t bufsiz)
{
	struct fg_args a = { .buf = buf, .bufsiz = bufsiz };
	struct fg_pathop op = { .op = "readlink", .access = FG_ACC_READ | FG_ACC_META, .dirfd1 = dirfd,
				.path1 = path, .t1 = FG_T_OBJECT_NOFOLLOW, .flags = -1, .mode = -1,
				.run = run_readlink, .direct = direct_readlink };

	/* "" reads the link an O_PATH descriptor already holds */
	if (!fg_is_null(path) && path[0] == '\0')
		return direct_readlink(&op, &a);
	return fg_op(&op, &a);
}

FG_EXPORT ssize_t readlink(const char *p, char *buf, size_t n) { return fg_readlinkat(AT_FDCWD, p, buf, n); }
FG_EXPORT ssize_t readlinkat(int d, const char *p, char *buf, size_t n) { return fg_readlinkat(d, p, buf, n); }

/* --- directories and streams ------------------------------------------------ */

FG_EXPORT DIR *opendir(const char *path)
{
	FG_REAL(DIR *, opendir, const char *);
	int fd, saved;
	DIR *d;

	if (fg_passthrough())
		return real_opendir(path);
	fd = fg_openat_checked("opendir", AT_FDCWD, path,
			       O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (d == NULL) {
		saved = errno;
		fg_syscall(SYS_close, fd);
		errno = saved;
	}
	return d;
}
