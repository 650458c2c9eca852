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

/* one call on one name: a fresh fixture, the call, its outcome */
static void try(const char *call, const char *nm)
{
	const char *p = name_of(nm);
	char buf[PATH_MAX], what[PATH_MAX + 8];
	struct stat st;
	long r = -1;
	int fd;
	DIR *d;
	FILE *f;

	/* these would wait for the FIFO's other end */
	if (strcmp(nm, "fifo") == 0 && (strcmp(call, "creat") == 0 || strncmp(call, "fopen", 5) == 0))
		return;
	fixture();
	errno = 0;
	what[0] = '\0';
	if (strcmp(call, "open_r") == 0) {
		r = opened(open(p, O_RDONLY | O_NONBLOCK));
	} else if (strcmp(call, "open_w") == 0) {
		r = opened(open(p, O_WRONLY | O_NONBLOCK));
	} else if (strcmp(call, "open_creat") == 0) {
		r = opened(open(p, O_WRONLY | O_CREAT | O_NONBLOCK, 0644));
	} else if (strcmp(call, "open_excl") == 0) {
		r = opened(open(p, O_WRONLY | O_CREAT | O_EXCL, 0644));
	} else if (strcmp(call, "open_dir") == 0) {
		r = opened(open(p, O_RDONLY | O_DIRECTORY));
	} else if (strcmp(call, "open_nofollow") == 0) {
		r = opened(open(p, O_RDONLY | O_NOFOLLOW | O_NONBLOCK));
	} else if (strcmp(call, "open_path") == 0) {
		r = opened(open(p, O_PATH | O_NOFOLLOW));
	} else if (strcmp(call, "open_trunc") == 0) {
		r = opened(open(p, O_WRONLY | O_TRUNC | O_NONBLOCK));
	} else if (strcmp(call, "creat") == 0) {
		r = opened(creat(p, 0644));
	} else if (strcmp(call, "fopen_r") == 0) {
		f = fopen(p, "re");
		r = f ? 0 : -1;
		if (f)
			fclose(f);
	} else if (strcmp(call, "fopen_a") == 0) {
		f = fopen(p, "ae");
		r = f ? 0 : -1;
		if (f)
			fclose(f);
	} else if (strcmp(call, "opendir") == 0) {
		d = opendir(p);
		r = d ? 0 : -1;
		if (d)
			closedir(d);
	} else if (strcmp(call, "truncate") == 0) {
		r = truncate(p, 2);
	} else if (strcmp(call, "unlink") == 0) {
		r = unlink(p);
	} else if (strcmp(call, "rmdir") == 0) {
		r = rmdir(p);
	} else if (strcmp(call, "unlinkat_dir") == 0) {
		r = unlinkat(AT_FDCWD, p, AT_REMOVEDIR);
	} else if (strcmp(call, "mkdir") == 0) {
		r = mkdir(p, 0755);
	} else if (strcmp(call, "rename_to_new") == 0) {
		r = rename(p, "new");
	} else if (strcmp(call, "rename_onto_file") == 0) {
		r = rename(p, "file");
	} else if (strcmp(call, "rename_onto_dir") == 0) {
		r = rename(p, "dir");
	} else if (strcmp(call, "rename_file_onto") == 0) {
		r = rename("file", p);
	} else if (strcmp(call, "renameat2_noreplace") == 0) {
		r = renameat2(AT_FDCWD, "file", AT_FDCWD, p, RENAME_NOREPLACE);
	} else if (strcmp(call, "link_to") == 0) {
		r = link(p, "new");
	} else if (strcmp(call, "link_as") == 0) {
		r = link("file", p);
	} else if (strcmp(call, "symlink_as") == 0) {
		r = symlink("target", p);
	} else if (strcmp(call, "chmod") == 0) {
		r = chmod(p, 0600);
	} else if (strcmp(call, "fchmodat_nofollow") == 0) {
		r = fchmodat(AT_FDCWD, p, 0600, AT_SYMLINK_NOFOLLOW);
	} else if (strcmp(call, "chown") == 0) {
		r = chown(p, getuid(), (gid_t)-1);
	} else if (strcmp(call, "lchown") == 0) {
		r = lchown(p, getuid(), (gid_t)-1);
	} else if (strcmp(call, "utimensat") == 0) {
		r = utimensat(AT_FDCWD, p, NULL, 0);
	} else if (strcmp(call, "utimensat_nofollow") == 0) {
		r = utimensat(AT_FDCWD, p, NULL, AT_SYMLINK_NOFOLLOW);
	} else if (strcmp(call, "mkfifo") == 0) {
		r = mkfifo(p, 0644);
	} else if (strcmp(call, "mknod") == 0) {
		r = mknod(p, S_IFREG | 0644, 0);
	} else if (strcmp(call, "access_f") == 0) {
		r = access(p, F_OK);
	} else if (strcmp(call, "access_w") == 0) {
		r = access(p, W_OK);
	} else if (strcmp(call, "access_x") == 0) {
		r = access(p, X_OK);
	} else if (strcmp(call, "faccessat_nofollow") == 0) {
		r = faccessat(AT_FDCWD, p, F_OK, AT_SYMLINK_NOFOLLOW);
	} else if (strcmp(call, "stat") == 0) {
		r = stat(p, &st);
		if (r == 0)
			snprintf(what, sizeof(what), "%s %lld", type_of(st.st_mode),
				 S_ISREG(st.st_mode) ? (long long)st.st_size : 0LL);
	} else if (strcmp(call, "lstat") == 0) {
		r = lstat(p, &st);
		if (r == 0)
			snprintf(what, sizeof(what), "%s", type_of(st.st_mode));
	} else if (strcmp(call, "fstatat_empty") == 0) {
		r = fstatat(AT_FDCWD, p, &st, AT_EMPTY_PATH);
		if (r == 0)
			snprintf(what, sizeof(what), "%s", type_of(st.st_mode));
	} else if (strcmp(call, "readlink") == 0) {
		ssize_t n = readlink(p, buf, sizeof(buf) - 1);

		r = n;
		if (n >= 0)
			snprintf(what, sizeof(what), "'%.*s'", (int)n, buf);
	} else if (strcmp(call, "realpath") == 0) {
		char *rp = realpath(p, NULL);

		r = rp ? 0 : -1;
		if (rp) {
			/* relative to DIR, whose own path differs between runs only
			 * when the caller chose another one */
			snprintf(what, sizeof(what), "%s", strstr(rp, "/") ? strrchr(rp, '/') : rp);
			free(rp);
		}
	} else if (strcmp(call, "execve") == 0) {
		pid_t pid = fork();

		if (pid == 0) {
			char *argv[] = { (char *)p, NULL }, *envp[] = { NULL };

			execve(p, argv, envp);
			_exit(100 + errno);
		}
		if (pid > 0) {
			int status = 0;

			(void)waitpid(pid, &status, 0);
			r = -1;
			errno = WIFEXITED(status) && WEXITSTATUS(status) > 100 ? WEXITSTATUS(status) - 100 : EIO;
		}
	} else if (strcmp(call, "openat_dirfd") == 0) {
		int dfd = open(".", O_RDONLY | O_DIRECTORY);

		r = opened(openat(dfd, p, O_RDONLY | O_NONBLOCK));
		close(dfd);
	} else if (strcmp(call, "open_tmpfile") == 0) {
		r = opened(open(p, O_TMPFILE | O_RDWR, 0600));
	} else if (strcmp(call, "renameat2_exchange") == 0) {
		r = renameat2(AT_FDCWD, "file", AT_FDCWD, p, RENAME_EXCHANGE);
	} else if (strcmp(call, "linkat_follow") == 0) {
		r = linkat(AT_FDCWD, p, AT_FDCWD, "new", AT_SYMLINK_FOLLOW);
	} else if (strcmp(call, "mkdirat_dirfd") == 0) {
		int dfd = open("dir", O_RDONLY | O_DIRECTORY);

		r = mkdirat(dfd, p, 0755);
		close(dfd);
	} else if (strcmp(call, "fchownat_empty") == 0) {
		/* the object an O_PATH descriptor names */
		fd = open(p, O_PATH | O_NOFOLLOW);
		r = fd < 0 ? -1 : fchownat(fd, "", getuid(), (gid_t)-1, AT_EMPTY_PATH);
		if (fd >= 0)
			close(fd);
	} else if (strcmp(call, "utimensat_fd") == 0) {
		fd = open(p, O_PATH);
		r = fd < 0 ? -1 : utimensat(fd, "", NULL, AT_EMPTY_PATH);
		if (fd >= 0)
			close(fd);
	} else if (strcmp(call, "unlinkat_dirfd") == 0) {
		int dfd = open(".", O_RDONLY | O_DIRECTORY);

		r = unlinkat(dfd, p, 0);
		close(dfd);
	} else if (strcmp(call, "fchmodat_empty") == 0) {
		fd = open(p, O_PATH | O_NOFOLLOW);
		r = fd < 0 ? -1 : fchmodat(fd, "", 0600, AT_EMPTY_PATH);
		if (fd >= 0)
			close(fd);
	} else if (strcmp(call, "linkat_empty") == 0) {
		fd = open(p, O_PATH | O_NOFOLLOW);
		r = fd < 0 ? -1 : linkat(fd, "", AT_FDCWD, "new", AT_EMPTY_PATH);
		if (fd >= 0)
			close(fd);
	} else if (strcmp(call, "readlinkat_empty") == 0) {
		ssize_t n;

		fd = open(p, O_PATH | O_NOFOLLOW);
		n = fd < 0 ? -1 : readlinkat(fd, "", buf, sizeof(buf) - 1);
		r = n;
		if (n >= 0)
			snprintf(what, sizeof(what), "'%.*s'", (int)n, buf);
		if (fd >= 0)
			close(fd);
	} else if (strcmp(call, "faccessat_empty") == 0) {
		fd = open(p, O_PATH | O_NOFOLLOW);
		r = fd < 0 ? -1 : faccessat(fd, "", R_OK, AT_EMPTY_PATH);
		if (fd >= 0)
			close(fd);
	} else if (strcmp(call, "tmpfile_linked_as") == 0) {
		/* an unnamed file made in "dir", then given the name */
		fd = open("dir", O_TMPFILE | O_RDWR, 0600);
		r = fd < 0 ? -1 : linkat(fd, "", AT_FDCWD, p, AT_EMPTY_PATH);
		if (fd >= 0)
			close(fd);
	} else {
		fprintf(stderr, "errnos: unknown call %s\n", call);
		exit(2);
	}
	out(call, nm, r, what[0] ? what : NULL);
	if (chdir("/") < 0)
		exit(2);
}

static const char *const calls[] = {
	"open_r", "open_w", "open_creat", "open_excl", "open_dir", "open_nofollow", "open_path",
	"open_trunc", "creat", "fopen_r", "fopen_a", "opendir", "truncate", "unlink", "rmdir",
	"unlinkat_dir", "mkdir", "rename_to_new", "rename_onto_file", "rename_onto_dir",
	"rename_file_onto", "renameat2_noreplace", "link_to", "link_as", "symlink_as", "chmod",
	"fchmodat_nofollow", "chown", "lchown", "utimensat", "utimensat_nofollow", "mkfifo", "mknod",
	"access_f", "access_w", "access_x", "faccessat_nofollow", "stat", "lstat", "fstatat_empty",
	"readlink", "realpath", "execve", "openat_dirfd", "open_tmpfile", "renameat2_exchange",
	"linkat_follow", "mkdirat_dirfd", "fchownat_empty", "utimensat_fd", "unlinkat_dirfd",
	"fchmodat_empty", "linkat_empty", "readlinkat_empty", "faccessat_empty", "tmpfile_linked_as",
};

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
			try(calls[c], names[n]);
	empty_dir();
	return rmdir(dir) == 0 ? 0 : 2;
}
