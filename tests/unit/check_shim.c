/* check_shim.c - the shim's judge and resolver (libfgshim) over a fake system-call layer.
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
 * libfgshim is linked without the constructor (shim/start.c) and without
 * the raw system call (shim/sys.c): this file defines fg_syscall().  The
 * fake passes each call to the kernel unless a row of its table answers
 * instead (an errno for a system call, optionally only for paths that
 * contain a given string), logs every call (so a test can tell the fast
 * path's single openat2 from the slow path's resolution) and keeps what
 * the shim writes to stderr.  Each test sets up fg_g as the constructor
 * would: a policy over a fresh directory, an in-process audit writer
 * registered as an owner, then asserts what the call returned, errno, what
 * is on disk, the stderr line and the audit record.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "shim/auditconf.h"
#include "shim/shim.h"
#include "tests/unit/check_main.h"

/* --- the fake system-call layer ------------------------------------------ */

struct fake_row {
	long nr;              /* the system call this row answers */
	const char *has;      /* only for paths containing this (NULL: all) */
	int err;              /* answered with -1 and this errno */
};

static struct fake_row rows[8];
static size_t nrows;
static long calls[512];   /* the system calls made, in order */
static size_t ncalls;
static char err_buf[8192];   /* what the shim wrote to stderr */
static size_t err_len;

static void fake_answer(long nr, const char *has, int err)
{
	ck_assert_uint_lt(nrows, sizeof(rows) / sizeof(rows[0]));
	rows[nrows++] = (struct fake_row){ .nr = nr, .has = has, .err = err };
}

/* The path argument of the calls the shim makes, or NULL. */
static const char *fake_path(long nr, const long *a)
{
	switch (nr) {
	case SYS_openat:
	case SYS_openat2:
	case SYS_readlinkat:
	case SYS_newfstatat:
	case SYS_mkdirat:
	case SYS_unlinkat:
	case SYS_renameat2:
		return (const char *)a[1];
	default:
		return NULL;
	}
}

long fg_syscall(long nr, ...)
{
	const char *path;
	va_list ap;
	long a[6];
	size_t i;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (ncalls < sizeof(calls) / sizeof(calls[0]))
		calls[ncalls++] = nr;
	if (nr == SYS_write && a[0] == 2) {
		size_t n = (size_t)a[2];

		if (n > sizeof(err_buf) - 1 - err_len)
			n = sizeof(err_buf) - 1 - err_len;
		memcpy(err_buf + err_len, (const void *)a[1], n);
		err_len += n;
		err_buf[err_len] = '\0';
		return a[2];
	}
	path = fake_path(nr, a);
	for (i = 0; i < nrows; i++)
		if (rows[i].nr == nr && (rows[i].has == NULL || (path && strstr(path, rows[i].has)))) {
			errno = rows[i].err;
			return -1;
		}
	return syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static size_t fake_count(long nr)
{
	size_t i, n = 0;

	for (i = 0; i < ncalls; i++)
		n += calls[i] == nr;
	return n;
}

static void fake_reset(void)
{
	nrows = ncalls = err_len = 0;
	err_buf[0] = '\0';
}

/* --- a process as the constructor leaves it ------------------------------ */

static char dir[64];
static char p_[3][PATH_MAX];   /* scratch paths */

/* dir + "/" + rel into p_[k] */
static const char *at(int k, const char *rel)
{
	snprintf(p_[k], sizeof(p_[k]), "%s/%s", dir, rel);
	return p_[k];
}

static void on_diag(void *ctx, const char *file, unsigned line, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s:%u: %s\n", file, line, msg);
}

static bool owner_owns(const void *ctx, const char *path, size_t len)
{
	return fg_audit_owns(ctx, path, len);
}

static bool owner_above(const void *ctx, const char *path, size_t len)
{
	return fg_audit_owns_below(ctx, path, len);
}

/* The policy over dir, "@" standing for it, with the given modes; the
 * audit log written in this process.  events: all | writes | denied. */
static void start_with(const char *fs_mode, const char *net_mode, const char *events,
		       const char *on_failure)
{
	char text[2048], buf[4096], name[128], err[256];
	struct fg_audit_conf conf;
	size_t o = 0;
	FILE *f;

	snprintf(text, sizeof(text),
		 "[filesystem]\nmode = %s\nsystem = no\nkernel = off\nread = @/r\n"
		 "write = @/w\ndeny = @/w/secret\n"
		 "[network]\nmode = %s\ndns = no\nallow = 127.0.0.1:8000, api.example.com:443\n"
		 "[audit]\nlog = @/audit/audit.log\nevents = %s\nfsync = never\non_failure = %s\n",
		 fs_mode, net_mode, events, on_failure);
	for (const char *s = text; *s && o + 64 < sizeof(buf); s++)
		o += (size_t)(*s == '@' ? snprintf(buf + o, sizeof(buf) - o, "%s", dir) :
			      snprintf(buf + o, sizeof(buf) - o, "%c", *s));
	snprintf(name, sizeof(name), "%s/fleetguard.ini", dir);
	f = fopen(name, "w");
	ck_assert_ptr_nonnull(f);
	fwrite(buf, 1, o, f);
	fclose(f);
	ck_assert_int_eq(fg_policy_parse(name, buf, o, &fg_g.pol, on_diag, NULL), 0);
	snprintf(fg_g.agent, sizeof(fg_g.agent), "check-shim");
	snprintf(fg_g.exe, sizeof(fg_g.exe), "/usr/bin/check-shim");
	conf = fg_audit_conf_of(fg_g.pol, fg_g.agent, fg_g.exe);
	ck_assert_msg(fg_audit_open(&conf, &fg_g.audit, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(fg_own_register(&(struct fg_owner){ .owns = owner_owns,
							     .above = owner_above,
							     .ctx = fg_g.audit }), 0);
	fg_fs_init();
	fake_reset();
}

static void start(const char *fs_mode)
{
	start_with(fs_mode, "enforce", "all", "allow");
}

static void mkfile(const char *rel, const char *text)
{
	FILE *f = fopen(at(2, rel), "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/fg-check-shim-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(mkdir(at(0, "r"), 0755), 0);
	ck_assert_int_eq(mkdir(at(0, "w"), 0755), 0);
	ck_assert_int_eq(mkdir(at(0, "w/secret"), 0755), 0);
	ck_assert_int_eq(mkdir(at(0, "out"), 0755), 0);
	mkfile("r/data", "read me\n");
	mkfile("w/notes", "notes\n");
	mkfile("w/secret/key", "k\n");
	mkfile("out/passwd", "root\n");
	memset(&fg_g, 0, sizeof(fg_g));
	fg_own_reset();
	fake_reset();
}

static void teardown(void)
{
	char cmd[256];

	if (fg_g.audit != NULL)
		fg_audit_close(fg_g.audit);
	if (fg_g.pol != NULL)
		fg_policy_free(fg_g.pol);
	fg_g.audit = NULL;
	fg_g.pol = NULL;
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s'; rm -rf '%s'", dir, dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* The last audit record whose op is op (static buffer), or NULL. */
static const char *record(const char *op)
{
	static char last[8192];
	char line[8192], key[64];
	FILE *f;
	bool found = false;

	ck_assert_int_eq(fg_audit_flush(fg_g.audit), 0);
	f = fopen(at(2, "audit/audit.log"), "r");
	if (f == NULL)
		return NULL;
	snprintf(key, sizeof(key), "\"op\":\"%s\"", op);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, key) != NULL) {
			memcpy(last, line, sizeof(last));
			found = true;
		}
	fclose(f);
	return found ? last : NULL;
}

static size_t records(void)
{
	char line[8192];
	size_t n = 0;
	FILE *f;

	ck_assert_int_eq(fg_audit_flush(fg_g.audit), 0);
	f = fopen(at(2, "audit/audit.log"), "r");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n++;
	fclose(f);
	return n;
}

#define ck_has(hay, needle)                                                          \
	do {                                                                         \
		const char *h_ = (hay);                                              \
		ck_assert_msg(h_ != NULL && strstr(h_, (needle)) != NULL,            \
			      "'%s' not in: %s", (needle), h_ ? h_ : "(null)");      \
	} while (0)

static bool exists(const char *rel)
{
	struct stat st;

	return lstat(at(2, rel), &st) == 0;
}

static int open_(const char *rel, int flags)
{
	return fg_openat_checked("open", AT_FDCWD, at(1, rel), flags | O_CLOEXEC, 0644);
}

/* --- open: fast and slow paths ------------------------------------------- */

/* A plain name in a tree costs one openat2, nothing else of the kernel. */
START_TEST(open_fast_path_is_one_call)
{
	char buf[16] = "";
	int fd;

	start("enforce");
	fd = open_("r/data", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read(fd, buf, sizeof(buf) - 1), 8);
	ck_assert_str_eq(buf, "read me\n");
	close(fd);
	ck_assert_uint_eq(fake_count(SYS_openat2), 1);
	ck_assert_uint_eq(fake_count(SYS_openat), 0);
	ck_assert_uint_eq(fake_count(SYS_readlinkat), 0);
	ck_has(record("open"), "\"decision\":\"allow\"");
	ck_has(record("open"), "\"result\":0");
	ck_assert_uint_eq(err_len, 0);
}
END_TEST

/* A symlink makes openat2 answer ELOOP: the slow path judges the target
 * the kernel resolves, and opens that very object. */
START_TEST(open_symlink_takes_slow_path)
{
	char buf[16] = "";
	int fd;

	start("enforce");
	ck_assert_int_eq(symlink(at(0, "r/data"), at(1, "w/link")), 0);
	fd = open_("w/link", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read(fd, buf, sizeof(buf) - 1), 8);
	close(fd);
	ck_assert_uint_ge(fake_count(SYS_openat), 2);      /* O_PATH, then the reopen */
	ck_assert_uint_ge(fake_count(SYS_readlinkat), 1);  /* the real path read back */
	ck_has(record("open"), at(0, "r/data"));           /* judged by its target */
}
END_TEST

START_TEST(open_symlink_escape_is_denied)
{
	int fd;

	start("enforce");
	ck_assert_int_eq(symlink(at(0, "out/passwd"), at(1, "w/innocent")), 0);
	errno = 0;
	fd = open_("w/innocent", O_RDONLY);
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(errno, EACCES);
	ck_has(err_buf, "fleetguard: denied open ");
	ck_has(err_buf, at(0, "out/passwd"));
	ck_has(err_buf, "(policy ");
	ck_has(record("open"), "\"decision\":\"deny\"");
	ck_has(record("open"), "\"result\":\"EACCES\"");
}
END_TEST

/* A kernel without openat2 (ENOSYS) or one that refuses the walk across a
 * mount (EXDEV): the slow path gives the same answer. */
START_TEST(open_without_openat2)
{
	static const int errs[] = { ENOSYS, EXDEV, EAGAIN };
	int fd;

	start("enforce");
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		fake_reset();
		fake_answer(SYS_openat2, NULL, errs[i]);
		fd = open_("w/notes", O_RDWR);
		ck_assert_msg(fd >= 0, "errno %d after openat2 %d", errno, errs[i]);
		close(fd);
		ck_assert_uint_ge(fake_count(SYS_openat), 2);
		fd = open_("out/passwd", O_RDONLY);
		ck_assert_int_eq(fd, -1);
		ck_assert_int_eq(errno, EACCES);
	}
}
END_TEST

/* A name that does not exist is judged by its lexical form: allowed, the
 * kernel's ENOENT (recorded); denied, EACCES. */
START_TEST(open_missing_enoent)
{
	start("enforce");
	errno = 0;
	ck_assert_int_eq(open_("w/nothing", O_RDONLY), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_has(record("open"), "\"result\":\"ENOENT\"");
	ck_has(record("open"), "\"decision\":\"allow\"");
	ck_assert_uint_eq(err_len, 0);
	ck_assert_int_eq(open_("w/no/such/dir/file", O_RDONLY), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(open_("out/nothing", O_RDONLY), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_has(err_buf, "denied open");
}
END_TEST

START_TEST(open_eloop_like_the_kernel)
{
	start("enforce");
	ck_assert_int_eq(symlink(at(0, "w/b"), at(1, "w/a")), 0);
	ck_assert_int_eq(symlink(at(0, "w/a"), at(1, "w/b")), 0);
	errno = 0;
	ck_assert_int_eq(open_("w/a", O_RDONLY), -1);
	ck_assert_int_eq(errno, ELOOP);
	ck_assert_int_eq(open_("w/a", O_RDONLY | O_CREAT), -1);
	ck_assert_int_eq(errno, ELOOP);
	/* O_NOFOLLOW on a symlink to an allowed file: ELOOP, not the file */
	ck_assert_int_eq(symlink(at(0, "w/notes"), at(1, "w/ln")), 0);
	ck_assert_int_eq(open_("w/ln", O_RDONLY | O_NOFOLLOW), -1);
	ck_assert_int_eq(errno, ELOOP);
	ck_assert_uint_eq(err_len, 0);
}
END_TEST

/* O_CREAT through a dangling symlink creates its target, judged there. */
START_TEST(open_create_through_dangling_symlink)
{
	int fd;

	start("enforce");
	ck_assert_int_eq(symlink(at(0, "w/made"), at(1, "w/dangling")), 0);
	fd = open_("w/dangling", O_WRONLY | O_CREAT);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert(exists("w/made"));
	ck_assert_int_eq(symlink(at(0, "out/planted"), at(1, "w/trap")), 0);
	ck_assert_int_eq(open_("w/trap", O_WRONLY | O_CREAT), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert(!exists("out/planted"));
	ck_has(err_buf, at(0, "out/planted"));
}
END_TEST

/* The kernel's answers for trailing slashes: creating "dir/missing/" is
 * EISDIR and makes nothing; "file/" is ENOTDIR. */
START_TEST(open_trailing_slash)
{
	start("enforce");
	ck_assert_int_eq(open_("w/missing/", O_WRONLY | O_CREAT), -1);
	ck_assert_int_eq(errno, EISDIR);
	ck_assert(!exists("w/missing"));
	ck_assert_int_eq(open_("w/notes/", O_RDONLY), -1);
	ck_assert_int_eq(errno, ENOTDIR);
}
END_TEST

START_TEST(open_write_in_read_tree)
{
	int fd;

	start("enforce");
	fd = open_("r/data", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(open_("r/data", O_WRONLY), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert_int_eq(open_("r/new", O_WRONLY | O_CREAT), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert(!exists("r/new"));
	/* deny wins inside a write tree */
	ck_assert_int_eq(open_("w/secret/key", O_RDONLY), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_has(record("open"), "w/secret/key");
}
END_TEST

/* Relative names and dirfd arguments resolve where the kernel would. */
START_TEST(open_relative_and_dirfd)
{
	int dfd, fd;

	start("enforce");
	dfd = open(at(0, "w"), O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dfd, 0);
	fd = fg_openat_checked("openat", dfd, "notes", O_RDONLY, 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(fg_openat_checked("openat", dfd, "../out/passwd", O_RDONLY, 0), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert_int_eq(chdir(at(0, "w")), 0);
	fd = fg_openat_checked("open", AT_FDCWD, "notes", O_RDONLY, 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(fg_openat_checked("open", AT_FDCWD, "../out/passwd", O_RDONLY, 0), -1);
	ck_assert_int_eq(errno, EACCES);
	close(dfd);
}
END_TEST

/* --- modes --------------------------------------------------------------- */

START_TEST(report_mode_allows_and_says)
{
	int fd;

	start("report");
	fd = open_("out/passwd", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_has(err_buf, "fleetguard: report: would deny open ");
	ck_has(record("open"), "\"decision\":\"report\"");
	ck_has(record("open"), "\"result\":0");
	fd = open_("out/created", O_WRONLY | O_CREAT);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert(exists("out/created"));
}
END_TEST

START_TEST(off_mode_judges_nothing_records_nothing)
{
	size_t before;
	int fd;

	start("off");
	before = records();
	fd = open_("out/passwd", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_uint_eq(records(), before);
	ck_assert_uint_eq(err_len, 0);
}
END_TEST

/* fleetguard's own files stay out of reach in every mode. */
START_TEST(own_files_in_every_mode)
{
	static const char *const modes[] = { "enforce", "report", "off" };

	for (size_t i = 0; i < 3; i++) {
		if (i > 0) {
			fg_audit_close(fg_g.audit);
			fg_policy_free(fg_g.pol);
			fg_own_reset();
		}
		start(modes[i]);
		errno = 0;
		ck_assert_int_eq(open_("audit/audit.log", O_WRONLY | O_APPEND), -1);
		ck_assert_msg(errno == EACCES, "mode %s: errno %d", modes[i], errno);
		ck_has(err_buf, "denied open");
		ck_has(record("open"), "\"decision\":\"deny\"");
		/* the policy file is read, never written */
		ck_assert_int_eq(open_("fleetguard.ini", O_WRONLY), -1);
		ck_assert_int_eq(errno, EACCES);
	}
}
END_TEST

/* --- errno on allowed paths ---------------------------------------------- */

/* A successful call leaves errno as it was, as the kernel's does. */
START_TEST(errno_kept_on_allowed_open)
{
	int fd;

	start("enforce");
	errno = EDOM;
	fd = open_("w/notes", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(errno, EDOM);
	close(fd);
	/* the slow path (a symlink: openat2 fails with ELOOP on the way) */
	ck_assert_int_eq(symlink(at(0, "w/notes"), at(1, "w/ln")), 0);
	errno = EDOM;
	fd = open_("w/ln", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(errno, EDOM);
	close(fd);
	/* creating (the name does not resolve: ENOENT on the way) */
	errno = EDOM;
	fd = open_("w/fresh", O_WRONLY | O_CREAT | O_EXCL);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(errno, EDOM);
	close(fd);
	/* report mode allows a denied one */
}
END_TEST

/* --- other path operations ------------------------------------------------ */

static int run_mkdir(const struct fg_name *a, const struct fg_name *b, void *ctx)
{
	(void)b;
	(void)ctx;
	return fg_syscall(SYS_mkdirat, a->fd, a->base, 0755) < 0 ? -1 : 0;
}

static int run_unlink(const struct fg_name *a, const struct fg_name *b, void *ctx)
{
	(void)b;
	return fg_syscall(SYS_unlinkat, a->fd, a->base, *(int *)ctx) < 0 ? -1 : 0;
}

static int run_rename(const struct fg_name *a, const struct fg_name *b, void *ctx)
{
	(void)ctx;
	return fg_syscall(SYS_renameat2, a->fd, a->base, b->fd, b->base, 0) < 0 ? -1 : 0;
}

static int run_stat(const struct fg_name *a, const struct fg_name *b, void *ctx)
{
	(void)b;
	return fg_syscall(SYS_newfstatat, a->fd, "", ctx, AT_EMPTY_PATH) < 0 ? -1 : 0;
}

static int mkdir_(int dirfd, const char *path)
{
	struct fg_pathop op = { .op = "mkdir", .access = FG_ACC_WRITE, .dirfd1 = dirfd,
				.path1 = path, .t1 = FG_T_NAME, .flags = -1, .mode = 0755,
				.run = run_mkdir };

	return fg_path_op(&op, NULL);
}

static int unlink_(const char *path, int flags)
{
	struct fg_pathop op = { .op = flags ? "rmdir" : "unlink",
				.access = FG_ACC_WRITE | FG_ACC_MOVE, .dirfd1 = AT_FDCWD,
				.path1 = path, .t1 = FG_T_NAME, .flags = -1, .mode = -1,
				.run = run_unlink };

	return fg_path_op(&op, &flags);
}

static int rename_(const char *from, const char *to)
{
	struct fg_pathop op = { .op = "rename", .access = FG_ACC_WRITE | FG_ACC_MOVE,
				.dirfd1 = AT_FDCWD, .path1 = from, .t1 = FG_T_NAME,
				.dirfd2 = AT_FDCWD, .path2 = to, .t2 = FG_T_NAME,
				.flags = -1, .mode = -1, .run = run_rename };

	return fg_path_op(&op, NULL);
}

static int stat_(int dirfd, const char *path, struct stat *st)
{
	struct fg_pathop op = { .op = "stat", .access = FG_ACC_READ | FG_ACC_META,
				.dirfd1 = dirfd, .path1 = path, .t1 = FG_T_OBJECT_FOLLOW,
				.flags = -1, .mode = -1, .run = run_stat };

	return fg_path_op(&op, st);
}

START_TEST(mkdir_records_the_real_outcome)
{
	start("enforce");
	errno = EDOM;
	ck_assert_int_eq(mkdir_(AT_FDCWD, at(1, "w/sub")), 0);
	ck_assert_int_eq(errno, EDOM);
	ck_assert(exists("w/sub"));
	ck_has(record("mkdir"), "\"result\":0");
	/* again: the kernel's EEXIST, recorded as such */
	ck_assert_int_eq(mkdir_(AT_FDCWD, at(1, "w/sub")), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_has(record("mkdir"), "\"result\":\"EEXIST\"");
	ck_has(record("mkdir"), "\"decision\":\"allow\"");
	/* a missing parent: ENOENT, nothing said */
	ck_assert_int_eq(mkdir_(AT_FDCWD, at(1, "w/no/sub")), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_uint_eq(err_len, 0);
	/* outside: EACCES and a line */
	ck_assert_int_eq(mkdir_(AT_FDCWD, at(1, "r/sub")), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert(!exists("r/sub"));
	ck_has(err_buf, "fleetguard: denied mkdir ");
	ck_has(record("mkdir"), "\"decision\":\"deny\"");
}
END_TEST

START_TEST(unlink_and_rmdir)
{
	start("enforce");
	errno = EDOM;
	ck_assert_int_eq(unlink_(at(1, "w/notes"), 0), 0);
	ck_assert_int_eq(errno, EDOM);
	ck_assert(!exists("w/notes"));
	ck_assert_int_eq(unlink_(at(1, "w/notes"), 0), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_has(record("unlink"), "\"result\":\"ENOENT\"");
	ck_assert_int_eq(unlink_(at(1, "out/passwd"), 0), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert(exists("out/passwd"));
	/* a trailing '/' on a file stays the kernel's ENOTDIR */
	mkfile("w/f", "x");
	ck_assert_int_eq(unlink_(at(1, "w/f/"), 0), -1);
	ck_assert_int_eq(errno, ENOTDIR);
	ck_assert(exists("w/f"));
	ck_assert_int_eq(unlink_(at(1, "w/secret"), AT_REMOVEDIR), -1);
	ck_assert_int_eq(errno, EACCES);
}
END_TEST

/* Renaming or removing a folder above the audit log is refused, in report
 * mode too: it would move fleetguard's files away. */
START_TEST(folder_above_the_log_stays)
{
	start("report");
	ck_assert_int_eq(rename_(at(1, "audit"), at(2, "w/moved")), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert(exists("audit/audit.log"));
	ck_has(err_buf, "denied rename ");
	ck_has(record("rename"), "\"decision\":\"deny\"");
	ck_assert_int_eq(unlink_(at(1, "audit"), AT_REMOVEDIR), -1);
	ck_assert_int_eq(errno, EACCES);
}
END_TEST

/* A rename is judged on both names; the line shows the denied one. */
START_TEST(rename_judges_both_names)
{
	start("enforce");
	ck_assert_int_eq(rename_(at(1, "w/notes"), at(2, "out/notes")), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert(exists("w/notes"));
	ck_has(err_buf, at(0, "out/notes"));
	ck_has(record("rename"), "\"path2\":");
	err_len = 0;
	ck_assert_int_eq(rename_(at(1, "out/passwd"), at(2, "w/passwd")), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_has(err_buf, at(0, "out/passwd"));
	ck_assert_int_eq(rename_(at(1, "w/notes"), at(2, "w/renamed")), 0);
	ck_assert(exists("w/renamed"));
}
END_TEST

/* Metadata reads: the directories on the way to a tree may be looked at;
 * allowed ones are recorded only at events = all. */
START_TEST(stat_of_ancestors_and_events)
{
	struct stat st;
	size_t before;

	start_with("enforce", "enforce", "writes", "allow");
	ck_assert_int_eq(stat_(AT_FDCWD, dir, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(stat_(AT_FDCWD, at(1, "r/data"), &st), 0);
	ck_assert_int_eq(st.st_size, 8);
	before = records();
	ck_assert_int_eq(stat_(AT_FDCWD, at(1, "w/notes"), &st), 0);
	ck_assert_uint_eq(records(), before);
	/* a refused probe is recorded, and printed only in debug */
	ck_assert_int_eq(stat_(AT_FDCWD, at(1, "out/passwd"), &st), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert_uint_eq(err_len, 0);
	ck_has(record("stat"), "\"decision\":\"deny\"");
	ck_assert_int_eq(stat_(AT_FDCWD, at(1, "w/gone"), &st), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* --- long names ------------------------------------------------------------ */

/* A name of PATH_MAX bytes or more is the kernel's ENAMETOOLONG, with
 * nothing judged, said or recorded. */
START_TEST(name_of_path_max_is_enametoolong)
{
	static char big[PATH_MAX + 16];
	size_t before;

	start("enforce");
	memset(big, 'a', sizeof(big) - 1);
	big[0] = '/';
	before = records();
	ck_assert_int_eq(fg_openat_checked("open", AT_FDCWD, big, O_RDONLY, 0), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	ck_assert_int_eq(mkdir_(AT_FDCWD, big), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	ck_assert_uint_eq(records(), before);
	ck_assert_uint_eq(err_len, 0);
	/* no name at all: the kernel's EFAULT, not a crash */
	ck_assert_int_eq(fg_openat_checked("open", AT_FDCWD, NULL, O_RDONLY, 0), -1);
	ck_assert_int_eq(errno, EFAULT);
	ck_assert_int_eq(mkdir_(AT_FDCWD, NULL), -1);
	ck_assert_int_eq(errno, EFAULT);
}
END_TEST

/* One component longer than NAME_MAX: ENAMETOOLONG where the name is
 * allowed, as the kernel says it. */
START_TEST(component_over_name_max)
{
	char name[300], rel[320];
	struct stat st;

	start("enforce");
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(rel, sizeof(rel), "w/%s", name);
	ck_assert_int_eq(open_(rel, O_RDONLY), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	ck_assert_int_eq(open_(rel, O_WRONLY | O_CREAT), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	ck_assert_int_eq(mkdir_(AT_FDCWD, at(1, rel)), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	ck_assert_int_eq(stat_(AT_FDCWD, at(1, rel), &st), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	ck_assert_uint_eq(err_len, 0);
}
END_TEST

/* cwd deeper than PATH_MAX inside the write tree: the name has no
 * absolute form the kernel can give, it is judged as the contents of the
 * nearest named ancestor. */
static void go_deep(const char *tree)
{
	char comp[201];

	memset(comp, 'd', 200);
	comp[200] = '\0';
	ck_assert_int_eq(chdir(at(0, tree)), 0);
	for (int i = 0; i < 22; i++) {
		ck_assert_int_eq(mkdir(comp, 0755), 0);
		ck_assert_int_eq(chdir(comp), 0);
	}
}

START_TEST(deep_cwd_in_write_tree)
{
	int fd;

	start("enforce");
	go_deep("w");
	fd = fg_openat_checked("open", AT_FDCWD, "made", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	ck_assert_msg(fd >= 0, "errno %d", errno);
	close(fd);
	ck_assert_int_eq(access("made", F_OK), 0);
	ck_has(record("open"), "/...");
	errno = 0;
	ck_assert_int_eq(fg_openat_checked("open", AT_FDCWD, "missing", O_RDONLY, 0), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(mkdir_(AT_FDCWD, "sub"), 0);
	ck_assert_int_eq(access("sub", F_OK), 0);
	ck_assert_int_eq(mkdir_(AT_FDCWD, "a/b"), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_uint_eq(err_len, 0);
}
END_TEST

START_TEST(deep_cwd_in_read_tree)
{
	start("enforce");
	go_deep("r");
	ck_assert_int_eq(fg_openat_checked("open", AT_FDCWD, "made", O_WRONLY | O_CREAT, 0644), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert_int_eq(access("made", F_OK), -1);
	ck_assert_int_eq(mkdir_(AT_FDCWD, "sub"), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_has(err_buf, "/...");
}
END_TEST

/* A relative name under PATH_MAX whose absolute form is longer and that
 * does not exist: the kernel walks it and says ENOENT; so must the shim. */
START_TEST(relative_name_longer_absolute_missing)
{
	char rel[4090];
	struct stat st;
	size_t o = 0;

	start("enforce");
	ck_assert_int_eq(chdir(at(0, "w")), 0);
	while (o + 101 < sizeof(rel)) {
		memset(rel + o, 'x', 99);
		rel[o + 99] = '/';
		o += 100;
	}
	memset(rel + o, 'y', sizeof(rel) - 1 - o);
	rel[sizeof(rel) - 1] = '\0';
	ck_assert_uint_gt(strlen(dir) + 3 + strlen(rel), PATH_MAX);
	errno = 0;
	ck_assert_int_eq(fg_openat_checked("open", AT_FDCWD, rel, O_RDONLY, 0), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(mkdir_(AT_FDCWD, rel), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(stat_(AT_FDCWD, rel, &st), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(unlink_(rel, 0), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_uint_eq(err_len, 0);
}
END_TEST

/* --- exec, network, names --------------------------------------------------- */

START_TEST(exec_target_must_be_readable)
{
	start("enforce");
	ck_assert_int_eq(chmod(at(0, "r/data"), 0755), 0);
	errno = EDOM;
	ck_assert_int_eq(fg_exec_check("execve", AT_FDCWD, at(1, "r/data"), 0), 0);
	ck_assert_int_eq(errno, EDOM);
	ck_assert_int_eq(fg_exec_check("execve", AT_FDCWD, at(1, "out/passwd"), 0), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_has(err_buf, "denied execve ");
	ck_has(record("execve"), "\"decision\":\"deny\"");
}
END_TEST

static struct sockaddr_in v4(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	ck_assert_int_eq(inet_pton(AF_INET, ip, &a.sin_addr), 1);
	return a;
}

START_TEST(connect_judged_by_address)
{
	struct sockaddr_in a = v4("127.0.0.1", 8000), b = v4("10.9.8.7", 80);
	struct sockaddr_in6 m = { .sin6_family = AF_INET6, .sin6_port = htons(8000) };

	start("enforce");
	errno = EDOM;
	ck_assert_int_eq(fg_net_check("connect", (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(errno, EDOM);
	ck_assert_int_eq(fg_net_check("connect", (struct sockaddr *)&b, sizeof(b)), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_has(err_buf, "denied connect 10.9.8.7:80");
	ck_has(record("connect"), "\"addr\":\"10.9.8.7:80\"");
	/* the same allowed address, IPv4-mapped */
	ck_assert_int_eq(inet_pton(AF_INET6, "::ffff:127.0.0.1", &m.sin6_addr), 1);
	ck_assert_int_eq(fg_net_check("connect", (struct sockaddr *)&m, sizeof(m)), 0);
	/* binding to loopback is free; elsewhere it is judged */
	b.sin_port = htons(9);
	ck_assert_int_eq(fg_net_check("bind", (struct sockaddr *)&a, sizeof(a)), 0);
}
END_TEST

START_TEST(connect_report_and_off)
{
	struct sockaddr_in b = v4("10.9.8.7", 80);

	start_with("enforce", "report", "all", "allow");
	ck_assert_int_eq(fg_net_check("connect", (struct sockaddr *)&b, sizeof(b)), 0);
	ck_has(err_buf, "report: would deny connect 10.9.8.7:80");
	ck_has(record("connect"), "\"decision\":\"report\"");
	fg_audit_close(fg_g.audit);
	fg_policy_free(fg_g.pol);
	fg_own_reset();
	start_with("enforce", "off", "all", "allow");
	ck_assert_int_eq(fg_net_check("connect", (struct sockaddr *)&b, sizeof(b)), 0);
	ck_assert_uint_eq(err_len, 0);
}
END_TEST

/* Names are judged before a query leaves; a learned address is judged by
 * the name it came from. */
START_TEST(names_before_lookup_and_learned)
{
	struct sockaddr_in a = v4("192.0.2.10", 443);

	start("enforce");
	ck_assert_int_eq(fg_resolve_check("getaddrinfo", "api.example.com"), 0);
	ck_assert_int_eq(fg_resolve_check("getaddrinfo", "evil.example.net"), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_has(err_buf, "denied getaddrinfo evil.example.net");
	ck_has(record("getaddrinfo"), "\"name\":\"evil.example.net\"");
	/* literals never leave: "127.1" is an address, not a name */
	ck_assert_int_eq(fg_resolve_check("getaddrinfo", "127.1"), 0);
	ck_assert_int_eq(fg_net_check("connect", (struct sockaddr *)&a, sizeof(a)), -1);
	fg_names_add("api.example.com", (struct sockaddr *)&a, sizeof(a));
	ck_assert_int_eq(fg_net_check("connect", (struct sockaddr *)&a, sizeof(a)), 0);
	ck_has(record("connect"), "\"name\":\"api.example.com\"");
}
END_TEST

START_TEST(addr_text_forms)
{
	struct sockaddr_in a = v4("1.2.3.4", 443);
	struct sockaddr_in6 b = { .sin6_family = AF_INET6, .sin6_port = htons(80) };
	struct sockaddr_un u = { .sun_family = AF_UNIX };
	char out[160];

	fg_addr_text((struct sockaddr *)&a, sizeof(a), out, sizeof(out));
	ck_assert_str_eq(out, "1.2.3.4:443");
	ck_assert_int_eq(inet_pton(AF_INET6, "::1", &b.sin6_addr), 1);
	fg_addr_text((struct sockaddr *)&b, sizeof(b), out, sizeof(out));
	ck_assert_str_eq(out, "[::1]:80");
	strcpy(u.sun_path, "/run/agent.sock");
	fg_addr_text((struct sockaddr *)&u, sizeof(u), out, sizeof(out));
	ck_assert_str_eq(out, "unix:/run/agent.sock");
	memcpy(u.sun_path, "\0abstract", 9);
	fg_addr_text((struct sockaddr *)&u, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 9),
		     out, sizeof(out));
	ck_assert_str_eq(out, "unix:@abstract");
}
END_TEST

/* --- the audit record cannot be written ------------------------------------- */

START_TEST(audit_failure_deny_refuses)
{
	start_with("enforce", "enforce", "all", "deny");
	/* not closed: the owner start_with() registered still names the log's
	 * files through it (closing it left the owner a dangling pointer) */
	fg_g.audit = NULL;        /* every record fails */
	ck_assert_int_eq(open_("w/new", O_WRONLY | O_CREAT), -1);
	ck_assert_int_eq(errno, EIO);
	ck_assert_int_eq(mkdir_(AT_FDCWD, at(1, "w/d")), -1);
	ck_assert_int_eq(errno, EIO);
}
END_TEST

START_TEST(audit_failure_allow_goes_on)
{
	int fd;

	start_with("enforce", "enforce", "all", "allow");
	fg_g.audit = NULL;        /* every record fails; the owner keeps it */
	errno = EDOM;
	fd = open_("w/new", O_WRONLY | O_CREAT);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(errno, EDOM);
	close(fd);
	ck_assert_int_eq(open_("out/passwd", O_RDONLY), -1);
	ck_assert_int_eq(errno, EACCES);
}
END_TEST

/* --- helpers ----------------------------------------------------------------- */

START_TEST(fd_path_and_lexical_forms)
{
	char out[PATH_MAX];
	int fd, pfd[2];

	start("enforce");
	fd = open(at(0, "w/notes"), O_RDONLY | O_CLOEXEC);
	ck_assert_int_gt(fg_fd_path(fd, out, sizeof(out)), 0);
	ck_assert_str_eq(out, at(1, "w/notes"));
	close(fd);
	/* a pipe is no file system object */
	ck_assert_int_eq(pipe(pfd), 0);
	ck_assert_int_eq(fg_fd_path(pfd[0], out, sizeof(out)), 0);
	close(pfd[0]);
	close(pfd[1]);
	ck_assert_int_eq(fg_fd_path(-1, out, sizeof(out)), -ENOENT);
	/* /proc/<our pid> is judged as /proc/self */
	snprintf(p_[1], sizeof(p_[1]), "/proc/%d/status", (int)getpid());
	ck_assert_int_eq(fg_abs_lexical(AT_FDCWD, p_[1], out, sizeof(out)), 17);
	ck_assert_str_eq(out, "/proc/self/status");
	ck_assert_int_eq(chdir(at(0, "w")), 0);
	ck_assert_int_gt(fg_abs_lexical(AT_FDCWD, "a/./b/../c", out, sizeof(out)), 0);
	ck_assert_str_eq(out, at(1, "w/a/c"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("shim");
	TCase *tc;

	tc = tcase_create("open");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, open_fast_path_is_one_call);
	tcase_add_test(tc, open_symlink_takes_slow_path);
	tcase_add_test(tc, open_symlink_escape_is_denied);
	tcase_add_test(tc, open_without_openat2);
	tcase_add_test(tc, open_missing_enoent);
	tcase_add_test(tc, open_eloop_like_the_kernel);
	tcase_add_test(tc, open_create_through_dangling_symlink);
	tcase_add_test(tc, open_trailing_slash);
	tcase_add_test(tc, open_write_in_read_tree);
	tcase_add_test(tc, open_relative_and_dirfd);
	suite_add_tcase(s, tc);

	tc = tcase_create("modes");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, report_mode_allows_and_says);
	tcase_add_test(tc, off_mode_judges_nothing_records_nothing);
	tcase_add_test(tc, own_files_in_every_mode);
	tcase_add_test(tc, audit_failure_deny_refuses);
	tcase_add_test(tc, audit_failure_allow_goes_on);
	suite_add_tcase(s, tc);

	tc = tcase_create("errno");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, errno_kept_on_allowed_open);
	suite_add_tcase(s, tc);

	tc = tcase_create("path operations");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, mkdir_records_the_real_outcome);
	tcase_add_test(tc, unlink_and_rmdir);
	tcase_add_test(tc, folder_above_the_log_stays);
	tcase_add_test(tc, rename_judges_both_names);
	tcase_add_test(tc, stat_of_ancestors_and_events);
	tcase_add_test(tc, fd_path_and_lexical_forms);
	suite_add_tcase(s, tc);

	tc = tcase_create("long names");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, name_of_path_max_is_enametoolong);
	tcase_add_test(tc, component_over_name_max);
	tcase_add_test(tc, deep_cwd_in_write_tree);
	tcase_add_test(tc, deep_cwd_in_read_tree);
	tcase_add_test(tc, relative_name_longer_absolute_missing);
	suite_add_tcase(s, tc);

	tc = tcase_create("exec and network");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, exec_target_must_be_readable);
	tcase_add_test(tc, connect_judged_by_address);
	tcase_add_test(tc, connect_report_and_off);
	tcase_add_test(tc, names_before_lookup_and_learned);
	tcase_add_test(tc, addr_text_forms);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fg_check_main(suite());
}
