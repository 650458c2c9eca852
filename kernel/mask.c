/* mask.c - covers denied paths inside read and write trees with empty mounts.
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
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel/mask.h"

enum mask_kind { MASK_DIR, MASK_FILE, MASK_AUDIT };

struct mask_item {
	char *path;
	enum mask_kind kind;
};

struct fg_mask_plan {
	struct mask_item *v;
	size_t n, cap;
	char *sock;             /* the audit daemon's socket, kept in MASK_AUDIT */
	char *ro;               /* a file kept read-only (the policy), or NULL */
};

#define COVER_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)

static bool strictly_within(const char *tree, const char *path)
{
	size_t t = strlen(tree), n = strlen(path);

	return n > t && fg_path_within(tree, t, path, n);
}

static bool in_list(const struct fg_path_list *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (strictly_within(l->v[i].path, path))
			return true;
	return false;
}

static bool in_tree(const struct fg_policy *p, const char *path)
{
	return in_list(&p->fs.read, path) || in_list(&p->fs.write, path);
}

/* Under another deny path that is itself covered: nothing more to do. */
static bool under_deny(const struct fg_policy *p, const char *path)
{
	for (size_t i = 0; i < p->fs.deny.n; i++) {
		const char *d = p->fs.deny.v[i].path;

		if (strictly_within(d, path) && in_tree(p, d))
			return true;
	}
	return false;
}

static int add(struct fg_mask_plan *pl, const char *path, enum mask_kind kind)
{
	struct stat st;

	if (lstat(path, &st) < 0 || S_ISLNK(st.st_mode))
		return 0;       /* nothing there, or a link judged where it points */
	if (kind != MASK_AUDIT)
		kind = S_ISDIR(st.st_mode) ? MASK_DIR : MASK_FILE;
	else if (!S_ISDIR(st.st_mode))
		return 0;
	for (size_t i = 0; i < pl->n; i++)
		if (strcmp(pl->v[i].path, path) == 0)
			return 0;
	if (pl->n == pl->cap) {
		size_t cap = pl->cap ? pl->cap * 2 : 8;
		struct mask_item *v = realloc(pl->v, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		pl->v = v;
		pl->cap = cap;
	}
	pl->v[pl->n].path = strdup(path);
	if (pl->v[pl->n].path == NULL)
		return -ENOMEM;
	pl->v[pl->n++].kind = kind;
	return 0;
}

int fg_mask_plan_new(const struct fg_policy *p, const char *audit_dir, const char *audit_sock,
		     struct fg_mask_plan **out)
{
	struct fg_mask_plan *pl = calloc(1, sizeof(*pl));
	int rc = 0;

	*out = NULL;
	if (pl == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < p->fs.deny.n && rc == 0; i++) {
		const char *d = p->fs.deny.v[i].path;

		if (in_tree(p, d) && !under_deny(p, d))
			rc = add(pl, d, MASK_FILE);
	}
	if (rc == 0 && p->audit.key_file != NULL && in_tree(p, p->audit.key_file) &&
	    !under_deny(p, p->audit.key_file))
		rc = add(pl, p->audit.key_file, MASK_FILE);
	if (rc == 0 && audit_dir != NULL && in_tree(p, audit_dir) && !under_deny(p, audit_dir)) {
		rc = add(pl, audit_dir, MASK_AUDIT);
		if (rc == 0 && audit_sock != NULL) {
			pl->sock = strdup(audit_sock);
			rc = pl->sock ? 0 : -ENOMEM;
		}
	}
	if (rc < 0) {
		fg_mask_plan_free(pl);
		return rc;
	}
	*out = pl;
	return 0;
}

int fg_mask_plan_keep_ro(struct fg_mask_plan *pl, const struct fg_policy *p, const char *file)
{
	struct stat st;
	bool writable = false;

	for (size_t i = 0; i < p->fs.write.n; i++)
		writable |= strictly_within(p->fs.write.v[i].path, file);
	if (!writable || lstat(file, &st) < 0 || !S_ISREG(st.st_mode) || under_deny(p, file))
		return 0;
	free(pl->ro);
	pl->ro = strdup(file);
	return pl->ro ? 0 : -ENOMEM;
}

void fg_mask_plan_free(struct fg_mask_plan *pl)
{
	if (pl == NULL)
		return;
	for (size_t i = 0; i < pl->n; i++)
		free(pl->v[i].path);
	free(pl->ro);
	free(pl->v);
	free(pl->sock);
	free(pl);
}

size_t fg_mask_plan_count(const struct fg_mask_plan *pl)
{
	return pl->n;
}

const char *fg_mask_plan_path(const struct fg_mask_plan *pl, size_t i)
{
	return i < pl->n ? pl->v[i].path : NULL;
}

/* --- entering the namespaces --------------------------------------------- */

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int rc = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	if (n < 0)
		rc = -errno;
	else if ((size_t)n != strlen(text))
		rc = -EIO;
	close(fd);
	return rc;
}

/* Root keeps its user namespace (a mount namespace is enough, and the agent
 * stays the root it was); anyone else gets a user namespace mapping only
 * their own ids, so the agent has no capability once it execs. */
static int enter(void)
{
	uid_t uid = getuid(), euid = geteuid();
	gid_t gid = getgid();
	char map[64];
	int rc;

	if (euid == 0)
		return unshare(CLONE_NEWNS) < 0 ? -errno : 0;
	if (uid != euid || gid != getegid())
		return -EPERM;          /* a set-id caller: not ours to map */
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		return -errno;
	rc = write_file("/proc/self/setgroups", "deny");
	if (rc < 0 && rc != -ENOENT)
		return rc;
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	rc = write_file("/proc/self/uid_map", map);
	if (rc < 0)
		return rc;
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	return write_file("/proc/self/gid_map", map);
}

int fg_mask_available(int *err)
{
	int status = 0;
	pid_t pid;

	*err = 0;
	pid = fork();
	if (pid < 0) {
		*err = errno;
		return 0;
	}
	if (pid == 0) {
		int rc = enter();

		if (rc == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			rc = -errno;
		_exit(rc < 0 ? -rc : 0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status)) {
		*err = EINTR;
		return 0;
	}
	*err = WEXITSTATUS(status);
	return *err == 0;
}

/* --- the covers ------------------------------------------------------------ */

static void fd_path(int fd, char *out, size_t len)
{
	snprintf(out, len, "/proc/self/fd/%d", fd);
}

static int cover_dir(int fd, const char *mode)
{
	char at[64], opts[64];

	fd_path(fd, at, sizeof(at));
	snprintf(opts, sizeof(opts), "mode=%s,size=4k,nr_inodes=16", mode);
	return mount("tmpfs", at, "tmpfs", COVER_FLAGS, opts) < 0 ? -errno : 0;
}

/* Bind src (a path) over the object behind fd.  src lies on a read-only
 * tmpfs, so the bind needs no read-only flag of its own. */
static int bind_over(const char *src, int fd)
{
	char at[64];

	fd_path(fd, at, sizeof(at));
	return mount(src, at, NULL, MS_BIND, NULL) < 0 ? -errno : 0;
}

/*
 * Covers for files come from one scratch tmpfs holding an empty socket
 * inode, mode 000, made read-only: opening it fails for everyone (EACCES,
 * and ENXIO for root, whom a mode does not stop), so nothing is read or
 * written through it.  The scratch is mounted for a moment over dir in this
 * private namespace and detached again; the binds keep its inode alive.
 * Every target was opened beforehand, so covering dir changes no target.
 */
static int scratch_up(const char *dir)
{
	char f[PATH_MAX];

	if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=0700,size=4k,nr_inodes=16") < 0)
		return -errno;
	snprintf(f, sizeof(f), "%s/empty", dir);
	if (mknod(f, S_IFSOCK, 0) < 0)
		return -errno;
	if (mount(NULL, dir, NULL, MS_REMOUNT | COVER_FLAGS, "mode=0700") < 0)
		return -errno;
	return 0;
}

/* The audit directory: an empty tmpfs that only lets the socket be reached
 * by its name (search, no listing), the daemon's socket bound onto an empty
 * file of the same name, then read-only.  A magic link names the directory
 * under a new mount, so the steps after the first go by path (nothing but
 * this process runs in the namespace yet). */
static int cover_audit(const char *path, int fd, int sockfd, const char *sockname)
{
	char at[64], f[PATH_MAX], src[64];
	int nfd;

	fd_path(fd, at, sizeof(at));
	if (mount("tmpfs", at, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=0111,size=4k,nr_inodes=16") < 0)
		return -errno;
	if (sockfd >= 0) {
		if ((size_t)snprintf(f, sizeof(f), "%s/%s", path, sockname) >= sizeof(f))
			return -ENAMETOOLONG;
		nfd = open(f, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
		if (nfd < 0)
			return -errno;
		close(nfd);
		fd_path(sockfd, src, sizeof(src));
		if (mount(src, f, NULL, MS_BIND, NULL) < 0)
			return -errno;
	}
	if (mount(NULL, path, NULL, MS_REMOUNT | COVER_FLAGS, "mode=0111") < 0)
		return -errno;
	return 0;
}

static int open_targets(const struct fg_mask_plan *pl, int *fds, int *sockfd)
{
	*sockfd = -1;
	for (size_t i = 0; i < pl->n; i++) {
		fds[i] = open(pl->v[i].path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fds[i] < 0)
			return -errno;
	}
	if (pl->sock != NULL) {
		*sockfd = open(pl->sock, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (*sockfd < 0 && errno != ENOENT)
			return -errno;
	}
	return 0;
}

/* Where the scratch tmpfs goes for a moment: a directory every system has. */
static const char *scratch_dir(void)
{
	static const char *const dirs[] = { "/tmp", "/mnt", "/run", "/dev" };
	struct stat st;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (lstat(dirs[i], &st) == 0 && S_ISDIR(st.st_mode))
			return dirs[i];
	return "/tmp";
}

/* Directories first, then files through the scratch mount. */
static int cover_all(const struct fg_mask_plan *pl, const int *fds, int sockfd)
{
	const char *scratch = scratch_dir();
	char empty[PATH_MAX];
	bool up = false;
	int rc = 0;

	for (size_t i = 0; i < pl->n && rc == 0; i++) {
		const char *name = pl->sock ? strrchr(pl->sock, '/') : NULL;

		if (pl->v[i].kind == MASK_DIR)
			rc = cover_dir(fds[i], "000");
		else if (pl->v[i].kind == MASK_AUDIT)
			rc = cover_audit(pl->v[i].path, fds[i], sockfd, name ? name + 1 : "");
	}
	for (size_t i = 0; i < pl->n && rc == 0; i++) {
		if (pl->v[i].kind != MASK_FILE)
			continue;
		if (!up) {
			rc = scratch_up(scratch);
			up = rc == 0;
		}
		snprintf(empty, sizeof(empty), "%s/empty", scratch);
		if (rc == 0)
			rc = bind_over(empty, fds[i]);
	}
	if (up && umount2(scratch, MNT_DETACH) < 0 && rc == 0)
		rc = -errno;
	return rc;
}

/* The policy file: bound onto itself, then that mount made read-only
 * (keeping the flags the kernel locks: nosuid, nodev, noexec, atime). */
static int keep_ro(const char *path)
{
	unsigned long keep[][2] = { { ST_NOSUID, MS_NOSUID }, { ST_NODEV, MS_NODEV },
				    { ST_NOEXEC, MS_NOEXEC }, { ST_NOATIME, MS_NOATIME },
				    { ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME } };
	unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY;
	struct statvfs sv;
	char at[64];
	int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	fd_path(fd, at, sizeof(at));
	if (fstatvfs(fd, &sv) < 0 || mount(at, at, NULL, MS_BIND, NULL) < 0)
		rc = -errno;
	close(fd);
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (sv.f_flag & keep[i][0])
			flags |= keep[i][1];
	if (rc == 0 && mount(NULL, path, NULL, flags, NULL) < 0)
		rc = -errno;
	return rc;
}

int fg_mask_apply(const struct fg_mask_plan *pl)
{
	int *fds, sockfd = -1, rc;

	fds = calloc(pl->n ? pl->n : 1, sizeof(*fds));
	if (fds == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < pl->n; i++)
		fds[i] = -1;
	/* descriptors of the old namespace's mounts cannot be mounted on:
	 * open the targets inside the new one */
	rc = enter();
	if (rc == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		rc = -errno;
	if (rc == 0)
		rc = open_targets(pl, fds, &sockfd);
	if (rc == 0)
		rc = cover_all(pl, fds, sockfd);
	if (rc == 0 && pl->ro != NULL)
		rc = keep_ro(pl->ro);
	for (size_t i = 0; i < pl->n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (sockfd >= 0)
		close(sockfd);
	free(fds);
	return rc;
}
