/* errnos.c - calls the hooked path functions on awkward names (missing, looping, through a file, too long) and prints each outcome, so that a run under the library can be compared with a plain one.
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
 * Usage: errnos DIR.  DIR is made (or emptied), filled with the fixture
 * below before every call, and removed at the end.  Each line is
 * "call name: outcome", the outcome a return value (or what it names:
 * the link's text, the file's type) or the errno's name.  errno_calls.sh
 * runs it plainly and under the library with a policy that allows
 * everything: every line must be the same (SPEC section 4: the library is
 * transparent for what it allows).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *dir;

/* the names every call is tried on, relative to DIR */
static const char *const names[] = {
	"file", "dir", "link", "dangling", "loop", "missing", "file/x", "missing/x",
	"file/", "dir/", "link/", "dlink/", "dir/../file", "", "LONG", "fifo",
};

static char longname[NAME_MAX + 8];

/* Remove what the folder open at dfd holds (closes dfd). */
static void empty_at(int dfd, const char *where)
{
	DIR *d = fdopendir(dfd);
	struct dirent *e;

	if (!d)
		exit(2);
	while ((e = readdir(d)) != NULL) {
		int sub;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    unlinkat(dirfd(d), e->d_name, 0) == 0)
			continue;
		sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
		if (sub >= 0)
			empty_at(sub, e->d_name);
		if (unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) < 0) {
			fprintf(stderr, "errnos: cannot remove %s/%s: %s\n", where, e->d_name,
				strerror(errno));
			exit(2);
		}
	}
	closedir(d);
}

/* Empty DIR, or make it. */
static void empty_dir(void)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);

	if (dfd < 0) {
		if (errno == ENOENT && mkdir(dir, 0755) == 0)
			return;
		exit(2);
	}
	empty_at(dfd, dir);
}

static void fixture(void)
{
	int fd;

	empty_dir();
	if (chdir(dir) < 0)
		exit(2);
	fd = open("file", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "data\n", 5) != 5 || close(fd) < 0 || mkdir("dir", 0755) < 0 ||
	    symlink("file", "link") < 0 || symlink("nowhere", "dangling") < 0 ||
	    symlink("loop", "loop") < 0 || symlink("dir", "dlink") < 0 || mkfifo("fifo", 0644) < 0)
		exit(2);
}

static const char *name_of(const char *n)
{
	return strcmp(n, "LONG") == 0 ? longname : n;
}

static void out(const char *call, const char *name, long r, const char *what)
{
	int e = errno;

	if (r < 0)
		printf("%s(%s): %s\n", call, name, strerrorname_np(e) ? strerrorname_np(e) : "?");
	else
		printf("%s(%s): %s\n", call, name, what ? what : r == 0 ? "0" : "ok");
}

static const char *type_of(mode_t m)
{
	return S_ISREG(m) ? "reg" : S_ISDIR(m) ? "dir" : S_ISLNK(m) ? "lnk" : S_ISFIFO(m) ? "fifo" : "other";
}

/* a descriptor's number (closed), or -1 with errno as the open left it */
static long opened(int fd)
{
	if (fd >= 0)
		close(fd);
	return fd;
}

/* close a descriptor a call was made on, if it was opened */
static void done_with(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* The calls.  Each takes the name p and returns the call's result (-1
 * with errno set); what may receive what the result names (a link's
 * text, a file's type), at most WHAT_LEN bytes. */
#define WHAT_LEN (PATH_MAX + 8)

static long c_open_r(const char *p, char *what)
{
	return opened(open(p, O_RDONLY | O_NONBLOCK));
}

static long c_open_w(const char *p, char *what)
{
	return opened(open(p, O_WRONLY | O_NONBLOCK));
}

static long c_open_creat(const char *p, char *what)
{
	return opened(open(p, O_WRONLY | O_CREAT | O_NONBLOCK, 0644));
}

static long c_open_excl(const char *p, char *what)
{
	return opened(open(p, O_WRONLY | O_CREAT | O_EXCL, 0644));
}

static long c_open_dir(const char *p, char *what)
{
	return opened(open(p, O_RDONLY | O_DIRECTORY));
}

static long c_open_nofollow(const char *p, char *what)
{
	return opened(open(p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK));
}

static long c_open_path(const char *p, char *what)
{
	return opened(open(p, O_PATH | O_NOFOLLOW));
}

static long c_open_trunc(const char *p, char *what)
{
	return opened(open(p, O_WRONLY | O_TRUNC | O_NONBLOCK));
}

static long c_creat(const char *p, char *what)
{
	return opened(creat(p, 0644));
}

static long c_fopen_r(const char *p, char *what)
{
	FILE *f = fopen(p, "re");

	if (!f)
		return -1;
	fclose(f);
	return 0;
}

static long c_fopen_a(const char *p, char *what)
{
	FILE *f = fopen(p, "ae");

	if (!f)
		return -1;
	fclose(f);
	return 0;
}

static long c_opendir(const char *p, char *what)
{
	DIR *d = opendir(p);

	if (!d)
		return -1;
	closedir(d);
	return 0;
}

static long c_truncate(const char *p, char *what)
{
	return truncate(p, 2);
}

static long c_unlink(const char *p, char *what)
{
	return unlink(p);
}

static long c_rmdir(const char *p, char *what)
{
	return rmdir(p);
}

static long c_unlinkat_dir(const char *p, char *what)
{
	return unlinkat(AT_FDCWD, p, AT_REMOVEDIR);
}

static long c_mkdir(const char *p, char *what)
{
	return mkdir(p, 0755);
}

static long c_rename_to_new(const char *p, char *what)
{
	return rename(p, "new");
}

static long c_rename_onto_file(const char *p, char *what)
{
	return rename(p, "file");
}

static long c_rename_onto_dir(const char *p, char *what)
{
	return rename(p, "dir");
}

static long c_rename_file_onto(const char *p, char *what)
{
	return rename("file", p);
}

static long c_renameat2_noreplace(const char *p, char *what)
{
	return renameat2(AT_FDCWD, "file", AT_FDCWD, p, RENAME_NOREPLACE);
}

static long c_link_to(const char *p, char *what)
{
	return link(p, "new");
}

static long c_link_as(const char *p, char *what)
{
	return link("file", p);
}

static long c_symlink_as(const char *p, char *what)
{
	return symlink("target", p);
}

static long c_chmod(const char *p, char *what)
{
	return chmod(p, 0600);
}

static long c_fchmodat_nofollow(const char *p, char *what)
{
	return fchmodat(AT_FDCWD, p, 0600, AT_SYMLINK_NOFOLLOW);
}

static long c_chown(const char *p, char *what)
{
	return chown(p, getuid(), (gid_t)-1);
}

static long c_lchown(const char *p, char *what)
{
	return lchown(p, getuid(), (gid_t)-1);
}

static long c_utimensat(const char *p, char *what)
{
	return utimensat(AT_FDCWD, p, NULL, 0);
}

static long c_utimensat_nofollow(const char *p, char *what)
{
	return utimensat(AT_FDCWD, p, NULL, AT_SYMLINK_NOFOLLOW);
}

static long c_mkfifo(const char *p, char *what)
{
	return mkfifo(p, 0644);
}

static long c_mknod(const char *p, char *what)
{
	return mknod(p, S_IFREG | 0644, 0);
}

static long c_access_f(const char *p, char *what)
{
	return access(p, F_OK);
}

static long c_access_w(const char *p, char *what)
{
	return access(p, W_OK);
}

static long c_access_x(const char *p, char *what)
{
	return access(p, X_OK);
}

static long c_faccessat_nofollow(const char *p, char *what)
{
	return faccessat(AT_FDCWD, p, F_OK, AT_SYMLINK_NOFOLLOW);
}

static long c_stat(const char *p, char *what)
{
	struct stat st;
	long r = stat(p, &st);

	if (r == 0)
		snprintf(what, WHAT_LEN, "%s %lld", type_of(st.st_mode),
			 S_ISREG(st.st_mode) ? (long long)st.st_size : 0LL);
	return r;
}

static long c_lstat(const char *p, char *what)
{
	struct stat st;
	long r = lstat(p, &st);

	if (r == 0)
		snprintf(what, WHAT_LEN, "%s", type_of(st.st_mode));
	return r;
}

static long c_fstatat_empty(const char *p, char *what)
{
	struct stat st;
	long r = fstatat(AT_FDCWD, p, &st, AT_EMPTY_PATH);

	if (r == 0)
		snprintf(what, WHAT_LEN, "%s", type_of(st.st_mode));
	return r;
}

static long c_readlink(const char *p, char *what)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(p, buf, sizeof(buf) - 1);

	if (n >= 0)
		snprintf(what, WHAT_LEN, "'%.*s'", (int)n, buf);
	return n;
}

static long c_realpath(const char *p, char *what)
{
	char *rp = realpath(p, NULL);

	if (!rp)
		return -1;
	/* its last component: DIR's own path may differ between runs */
	snprintf(what, WHAT_LEN, "%s", strrchr(rp, '/') ? strrchr(rp, '/') : rp);
	free(rp);
	return 0;
}

/* the exec's errno, carried back in the child's exit status (EIO when it
 * ran something) */
static long c_execve(const char *p, char *what)
{
	int status = 0;
	pid_t pid = fork();

	if (pid == 0) {
		char *argv[] = { (char *)p, NULL }, *envp[] = { NULL };

		execve(p, argv, envp);
		_exit(100 + errno);
	}
	if (pid < 0)
		return -1;
	(void)waitpid(pid, &status, 0);
	errno = WIFEXITED(status) && WEXITSTATUS(status) > 100 ? WEXITSTATUS(status) - 100 : EIO;
	return -1;
}

static long c_openat_dirfd(const char *p, char *what)
{
	int dfd = open(".", O_RDONLY | O_DIRECTORY);
	long r = opened(openat(dfd, p, O_RDONLY | O_NONBLOCK));

	close(dfd);
	return r;
}

static long c_open_tmpfile(const char *p, char *what)
{
	return opened(open(p, O_TMPFILE | O_RDWR, 0600));
}

static long c_renameat2_exchange(const char *p, char *what)
{
	return renameat2(AT_FDCWD, "file", AT_FDCWD, p, RENAME_EXCHANGE);
}

static long c_linkat_follow(const char *p, char *what)
{
	return linkat(AT_FDCWD, p, AT_FDCWD, "new", AT_SYMLINK_FOLLOW);
}

static long c_mkdirat_dirfd(const char *p, char *what)
{
	int dfd = open("dir", O_RDONLY | O_DIRECTORY);
	long r = mkdirat(dfd, p, 0755);

	close(dfd);
	return r;
}

static long c_fchownat_empty(const char *p, char *what)
{
	/* the object an O_PATH descriptor names */
	int fd = open(p, O_PATH | O_NOFOLLOW);
	long r = fd < 0 ? -1 : fchownat(fd, "", getuid(), (gid_t)-1, AT_EMPTY_PATH);

	done_with(fd);
	return r;
}

static long c_utimensat_fd(const char *p, char *what)
{
	int fd = open(p, O_PATH);
	long r = fd < 0 ? -1 : utimensat(fd, "", NULL, AT_EMPTY_PATH);

	done_with(fd);
	return r;
}

static long c_unlinkat_dirfd(const char *p, char *what)
{
	int dfd = open(".", O_RDONLY | O_DIRECTORY);
	long r = unlinkat(dfd, p, 0);

	close(dfd);
	return r;
}

static long c_fchmodat_empty(const char *p, char *what)
{
	int fd = open(p, O_PATH | O_NOFOLLOW);
	long r = fd < 0 ? -1 : fchmodat(fd, "", 0600, AT_EMPTY_PATH);

	done_with(fd);
	return r;
}

static long c_linkat_empty(const char *p, char *what)
{
	int fd = open(p, O_PATH | O_NOFOLLOW);
	long r = fd < 0 ? -1 : linkat(fd, "", AT_FDCWD, "new", AT_EMPTY_PATH);

	done_with(fd);
	return r;
}

static long c_readlinkat_empty(const char *p, char *what)
{
	char buf[PATH_MAX];
	int fd = open(p, O_PATH | O_NOFOLLOW);
	ssize_t n = fd < 0 ? -1 : readlinkat(fd, "", buf, sizeof(buf) - 1);

	if (n >= 0)
		snprintf(what, WHAT_LEN, "'%.*s'", (int)n, buf);
	done_with(fd);
	return n;
}

static long c_faccessat_empty(const char *p, char *what)
{
	int fd = open(p, O_PATH | O_NOFOLLOW);
	long r = fd < 0 ? -1 : faccessat(fd, "", R_OK, AT_EMPTY_PATH);

	done_with(fd);
	return r;
}

static long c_tmpfile_linked_as(const char *p, char *what)
{
	/* an unnamed file made in "dir", then given the name */
	int fd = open("dir", O_TMPFILE | O_RDWR, 0600);
	long r = fd < 0 ? -1 : linkat(fd, "", AT_FDCWD, p, AT_EMPTY_PATH);

	done_with(fd);
	return r;
}

static const struct call {
	const char *name;
	long (*run)(const char *p, char *what);
} calls[] = {
	{ "open_r", c_open_r },
	{ "open_w", c_open_w },
	{ "open_creat", c_open_creat },
	{ "open_excl", c_open_excl },
	{ "open_dir", c_open_dir },
	{ "open_nofollow", c_open_nofollow },
	{ "open_path", c_open_path },
	{ "open_trunc", c_open_trunc },
	{ "creat", c_creat },
	{ "fopen_r", c_fopen_r },
	{ "fopen_a", c_fopen_a },
	{ "opendir", c_opendir },
	{ "truncate", c_truncate },
	{ "unlink", c_unlink },
	{ "rmdir", c_rmdir },
	{ "unlinkat_dir", c_unlinkat_dir },
	{ "mkdir", c_mkdir },
	{ "rename_to_new", c_rename_to_new },
	{ "rename_onto_file", c_rename_onto_file },
	{ "rename_onto_dir", c_rename_onto_dir },
	{ "rename_file_onto", c_rename_file_onto },
	{ "renameat2_noreplace", c_renameat2_noreplace },
	{ "link_to", c_link_to },
	{ "link_as", c_link_as },
	{ "symlink_as", c_symlink_as },
	{ "chmod", c_chmod },
	{ "fchmodat_nofollow", c_fchmodat_nofollow },
	{ "chown", c_chown },
	{ "lchown", c_lchown },
	{ "utimensat", c_utimensat },
	{ "utimensat_nofollow", c_utimensat_nofollow },
	{ "mkfifo", c_mkfifo },
	{ "mknod", c_mknod },
	{ "access_f", c_access_f },
	{ "access_w", c_access_w },
	{ "access_x", c_access_x },
	{ "faccessat_nofollow", c_faccessat_nofollow },
	{ "stat", c_stat },
	{ "lstat", c_lstat },
	{ "fstatat_empty", c_fstatat_empty },
	{ "readlink", c_readlink },
	{ "realpath", c_realpath },
	{ "execve", c_execve },
	{ "openat_dirfd", c_openat_dirfd },
	{ "open_tmpfile", c_open_tmpfile },
	{ "renameat2_exchange", c_renameat2_exchange },
	{ "linkat_follow", c_linkat_follow },
	{ "mkdirat_dirfd", c_mkdirat_dirfd },
	{ "fchownat_empty", c_fchownat_empty },
	{ "utimensat_fd", c_utimensat_fd },
	{ "unlinkat_dirfd", c_unlinkat_dirfd },
	{ "fchmodat_empty", c_fchmodat_empty },
	{ "linkat_empty", c_linkat_empty },
	{ "readlinkat_empty", c_readlinkat_empty },
	{ "faccessat_empty", c_faccessat_empty },
	{ "tmpfile_linked_as", c_tmpfile_linked_as },
};

/* one call on one name: a fresh fixture, the call, its outcome */
static void try(const struct call *c, const char *nm)
{
	char what[WHAT_LEN];
	long r = -1;

	/* these would wait for the FIFO's other end */
	if (strcmp(nm, "fifo") == 0 && (strcmp(c->name, "creat") == 0 || strncmp(c->name, "fopen", 5) == 0))
		return;
	fixture();
	errno = 0;
	what[0] = '\0';
	r = c->run(name_of(nm), what);
	out(c->name, nm, r, what[0] ? what : NULL);
	if (chdir("/") < 0)
		exit(2);
}

int main(int argc, char **argv)
{
	if (argc != 2 || argv[1][0] != '/') {
		fprintf(stderr, "usage: errnos /ABSOLUTE/DIR\n");
		return 2;
	}
	dir = argv[1];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t c = 0; c < sizeof(calls) / sizeof(calls[0]); c++)
		for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++)
			try(&calls[c], names[n]);
	empty_dir();
	return rmdir(dir) == 0 ? 0 : 2;
}
