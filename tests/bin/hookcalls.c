/* hookcalls.c - calls every libc entry point the library hooks, and syscall() with each number it dispatches, on a denied and an allowed name: hook_calls.sh runs it under the library.
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
 * Usage: hookcalls ALLOWED DENIED.  ALLOWED is a write tree of the policy
 * (empty), DENIED a folder outside it holding a file "secret".  The policy
 * allows no network but 127.0.0.1:9 and the name localhost.  Each call
 * prints "ok WHAT" or "BAD WHAT (errno N)"; the exit status is the number
 * of BAD lines.  Programs call these names directly (the 64-bit and
 * fortified variants too), so this drives each exported hook itself.
 */
#define _GNU_SOURCE
#define _LARGEFILE64_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <netdb.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

int __openat64_2(int dirfd, const char *path, int flags);
int __open64_2(const char *path, int flags);
ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen);
ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
		       struct sockaddr *addr, socklen_t *alen);

static int bad;
static const char *A, *D;

static void expect(const char *what, bool ok, int err)
{
	if (ok) {
		printf("ok %s\n", what);
	} else {
		printf("BAD %s (errno %d)\n", what, err);
		bad++;
	}
}

/* a name in ALLOWED (a) or DENIED (d), in one of a few static buffers */
static const char *in(const char *dir, const char *name)
{
	static char buf[16][4096];
	static unsigned k;
	char *b = buf[k++ % 16];

	snprintf(b, sizeof(buf[0]), "%s/%s", dir, name);
	return b;
}

#define a(n) in(A, n)
#define d(n) in(D, n)

#define DENY(what, call)                                                               \
	do {                                                                           \
		long r_;                                                               \
		errno = 0;                                                             \
		r_ = (long)(call);                                                     \
		expect(what " (denied)", r_ == -1 && errno == EACCES, errno);          \
	} while (0)
#define ALLOW(what, call)                                                              \
	do {                                                                           \
		long r_;                                                               \
		errno = 0;                                                             \
		r_ = (long)(call);                                                     \
		expect(what " (allowed)", r_ != -1, errno);                            \
		if (r_ > 2 && strstr(what, "open") != NULL)                            \
			close((int)r_);                                                \
	} while (0)
#define DENY_NULL(what, call)                                                          \
	do {                                                                           \
		const void *p_;                                                        \
		errno = 0;                                                             \
		p_ = (call);                                                           \
		expect(what " (denied)", p_ == NULL && errno == EACCES, errno);        \
	} while (0)

static void sys_paths(void)
{
	struct stat st;
	struct statx stx;
	char buf[256];
	uid_t u = getuid();
	gid_t g = getgid();

	DENY("syscall open", syscall(SYS_open, d("secret"), O_RDONLY));
	ALLOW("syscall open", syscall(SYS_open, a("s1"), O_CREAT | O_WRONLY, 0600));
	DENY("syscall creat", syscall(SYS_creat, d("c"), 0600));
	ALLOW("syscall creat (open)", syscall(SYS_creat, a("c"), 0600));
	DENY("syscall unlink", syscall(SYS_unlink, d("secret")));
	ALLOW("syscall unlink", syscall(SYS_unlink, a("c")));
	DENY("syscall mkdir", syscall(SYS_mkdir, d("m"), 0700));
	ALLOW("syscall mkdir", syscall(SYS_mkdir, a("m"), 0700));
	DENY("syscall rmdir", syscall(SYS_rmdir, D));
	ALLOW("syscall rmdir", syscall(SYS_rmdir, a("m")));
	DENY("syscall rename", syscall(SYS_rename, d("secret"), a("stolen")));
	ALLOW("syscall rename", syscall(SYS_rename, a("s1"), a("s2")));
	DENY("syscall link", syscall(SYS_link, d("secret"), a("l")));
	ALLOW("syscall link", syscall(SYS_link, a("s2"), a("l")));
	DENY("syscall symlink", syscall(SYS_symlink, "s2", d("sl")));
	ALLOW("syscall symlink", syscall(SYS_symlink, "s2", a("sl")));
	DENY("syscall chmod", syscall(SYS_chmod, d("secret"), 0644));
	ALLOW("syscall chmod", syscall(SYS_chmod, a("s2"), 0640));
	DENY("syscall chown", syscall(SYS_chown, d("secret"), u, g));
	ALLOW("syscall chown", syscall(SYS_chown, a("s2"), u, g));
	DENY("syscall lchown", syscall(SYS_lchown, d("secret"), u, g));
	ALLOW("syscall lchown", syscall(SYS_lchown, a("sl"), u, g));
	DENY("syscall mknod", syscall(SYS_mknod, d("fifo"), S_IFIFO | 0600, 0));
	ALLOW("syscall mknod", syscall(SYS_mknod, a("fifo"), S_IFIFO | 0600, 0));
	DENY("syscall stat", syscall(SYS_stat, d("secret"), &st));
	ALLOW("syscall stat", syscall(SYS_stat, a("s2"), &st));
	DENY("syscall lstat", syscall(SYS_lstat, d("secret"), &st));
	ALLOW("syscall lstat", syscall(SYS_lstat, a("sl"), &st));
	DENY("syscall access", syscall(SYS_access, d("secret"), R_OK));
	ALLOW("syscall access", syscall(SYS_access, a("s2"), R_OK));
	DENY("syscall readlink", syscall(SYS_readlink, d("secret"), buf, sizeof(buf)));
	ALLOW("syscall readlink", syscall(SYS_readlink, a("sl"), buf, sizeof(buf)));
	DENY("syscall truncate", syscall(SYS_truncate, d("secret"), 0));
	ALLOW("syscall truncate", syscall(SYS_truncate, a("s2"), 0));
	DENY("syscall newfstatat", syscall(SYS_newfstatat, AT_FDCWD, d("secret"), &st, 0));
	ALLOW("syscall newfstatat", syscall(SYS_newfstatat, AT_FDCWD, a("s2"), &st, 0));
	DENY("syscall statx", syscall(SYS_statx, AT_FDCWD, d("secret"), 0, STATX_BASIC_STATS, &stx));
	ALLOW("syscall statx", syscall(SYS_statx, AT_FDCWD, a("s2"), 0, STATX_BASIC_STATS, &stx));
	DENY("syscall faccessat", syscall(SYS_faccessat, AT_FDCWD, d("secret"), R_OK));
	ALLOW("syscall faccessat", syscall(SYS_faccessat, AT_FDCWD, a("s2"), R_OK));
	DENY("syscall faccessat2", syscall(SYS_faccessat2, AT_FDCWD, d("secret"), R_OK, 0));
	ALLOW("syscall faccessat2", syscall(SYS_faccessat2, AT_FDCWD, a("s2"), R_OK, 0));
	DENY("syscall readlinkat", syscall(SYS_readlinkat, AT_FDCWD, d("secret"), buf, sizeof(buf)));
	ALLOW("syscall readlinkat", syscall(SYS_readlinkat, AT_FDCWD, a("sl"), buf, sizeof(buf)));
}

static void sys_at_paths(void)
{
	struct timespec ts[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
	uid_t u = getuid();
	gid_t g = getgid();

	DENY("syscall mkdirat", syscall(SYS_mkdirat, AT_FDCWD, d("m"), 0700));
	ALLOW("syscall mkdirat", syscall(SYS_mkdirat, AT_FDCWD, a("m2"), 0700));
	DENY("syscall unlinkat", syscall(SYS_unlinkat, AT_FDCWD, d("secret"), 0));
	ALLOW("syscall unlinkat", syscall(SYS_unlinkat, AT_FDCWD, a("m2"), AT_REMOVEDIR));
	DENY("syscall renameat", syscall(SYS_renameat, AT_FDCWD, d("secret"), AT_FDCWD, a("x")));
	ALLOW("syscall renameat", syscall(SYS_renameat, AT_FDCWD, a("s2"), AT_FDCWD, a("s3")));
	DENY("syscall renameat2", syscall(SYS_renameat2, AT_FDCWD, d("secret"), AT_FDCWD, a("x"), 0));
	ALLOW("syscall renameat2", syscall(SYS_renameat2, AT_FDCWD, a("s3"), AT_FDCWD, a("s2"), 0));
	DENY("syscall linkat", syscall(SYS_linkat, AT_FDCWD, d("secret"), AT_FDCWD, a("l2"), 0));
	ALLOW("syscall linkat", syscall(SYS_linkat, AT_FDCWD, a("s2"), AT_FDCWD, a("l2"), 0));
	DENY("syscall symlinkat", syscall(SYS_symlinkat, "s2", AT_FDCWD, d("sl2")));
	ALLOW("syscall symlinkat", syscall(SYS_symlinkat, "s2", AT_FDCWD, a("sl2")));
	DENY("syscall fchmodat", syscall(SYS_fchmodat, AT_FDCWD, d("secret"), 0644));
	ALLOW("syscall fchmodat", syscall(SYS_fchmodat, AT_FDCWD, a("s2"), 0600));
	DENY("syscall fchownat", syscall(SYS_fchownat, AT_FDCWD, d("secret"), u, g, 0));
	ALLOW("syscall fchownat", syscall(SYS_fchownat, AT_FDCWD, a("s2"), u, g, 0));
	DENY("syscall mknodat", syscall(SYS_mknodat, AT_FDCWD, d("f2"), S_IFIFO | 0600, 0));
	ALLOW("syscall mknodat", syscall(SYS_mknodat, AT_FDCWD, a("f2"), S_IFIFO | 0600, 0));
	DENY("syscall utimensat", syscall(SYS_utimensat, AT_FDCWD, d("secret"), ts, 0));
	ALLOW("syscall utimensat", syscall(SYS_utimensat, AT_FDCWD, a("s2"), ts, 0));
}

static void sys_openat2(void)
{
	struct open_how how = { .flags = O_RDONLY, .resolve = RESOLVE_NO_MAGICLINKS };
	struct open_how mk = { .flags = O_WRONLY | O_CREAT, .mode = 0600,
			       .resolve = RESOLVE_NO_MAGICLINKS };
	struct open_how plain = { .flags = O_RDONLY };
	long r;

	errno = 0;
	r = syscall(SYS_openat2, AT_FDCWD, a("s2"), NULL, sizeof(how));
	expect("syscall openat2 with no open_how: EFAULT", r == -1 && errno == EFAULT, errno);
	errno = 0;
	r = syscall(SYS_openat2, AT_FDCWD, a("s2"), &how, 8);
	expect("syscall openat2 with a short open_how: EINVAL", r == -1 && errno == EINVAL, errno);
	DENY("syscall openat2 resolve", syscall(SYS_openat2, AT_FDCWD, d("secret"), &how, sizeof(how)));
	ALLOW("syscall openat2 resolve", syscall(SYS_openat2, AT_FDCWD, a("s2"), &how, sizeof(how)));
	ALLOW("syscall openat2 resolve+create", syscall(SYS_openat2, AT_FDCWD, a("o2"), &mk, sizeof(mk)));
	errno = 0;
	r = syscall(SYS_openat2, AT_FDCWD, a("no/such"), &how, sizeof(how));
	expect("syscall openat2 resolve of a missing name: ENOENT", r == -1 && errno == ENOENT, errno);
	DENY("syscall openat2", syscall(SYS_openat2, AT_FDCWD, d("secret"), &plain, sizeof(plain)));
}

static void sys_net(void)
{
	struct sockaddr_in no = { .sin_family = AF_INET, .sin_port = htons(1),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct msghdr mh = { .msg_name = &no, .msg_namelen = sizeof(no), .msg_iov = &iov,
			     .msg_iovlen = 1 };
	char *argv[] = { "secret", NULL };
	int t = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);
	int x = socket(AF_UNIX, SOCK_STREAM, 0);

	struct sockaddr_in dns = { .sin_family = AF_INET, .sin_port = htons(53),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int t53 = socket(AF_INET, SOCK_STREAM, 0);

	/* port 53 of a host resolv.conf does not name: judged as any address */
	DENY("connect to port 53 of no name server", connect(t53, (struct sockaddr *)&dns, sizeof(dns)));
	close(t53);
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", d("sock"));
	DENY("syscall connect", syscall(SYS_connect, t, &no, sizeof(no)));
	DENY("syscall bind", syscall(SYS_bind, x, &un, sizeof(un)));
	DENY("syscall sendto", syscall(SYS_sendto, u, "x", 1, 0, &no, sizeof(no)));
	DENY("syscall sendmsg", syscall(SYS_sendmsg, u, &mh, 0));
	DENY("syscall execve", syscall(SYS_execve, d("secret"), argv, environ));
	DENY("syscall execveat", syscall(SYS_execveat, AT_FDCWD, d("secret"), argv, environ, 0));
	DENY("execveat", execveat(AT_FDCWD, d("secret"), argv, environ, 0));
	close(t);
	close(u);
	close(x);
}

/* each exec form, allowed, in a child: it must run /bin/true */
static void exec_forms(void)
{
	static const char *const forms[] = { "execl", "execlp", "execle", "execveat", "execvpe" };
	char *argv[] = { "true", NULL };
	char *envp[] = { "FG_HOOKCALLS=1", NULL };

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		int st = -1;
		pid_t pid = fork();

		if (pid == 0) {
			switch (i) {
			case 0: execl("/bin/true", "true", (char *)NULL); break;
			case 1: execlp("true", "true", (char *)NULL); break;
			case 2: execle("/bin/true", "true", (char *)NULL, envp); break;
			case 3: execveat(AT_FDCWD, "/bin/true", argv, envp, 0); break;
			default: execvpe("true", argv, envp); break;
			}
			_exit(99);
		}
		waitpid(pid, &st, 0);
		printf("%s %s runs /bin/true (status %d)\n",
		       WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "ok" : "BAD", forms[i], st);
		bad += !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	DENY("execl", execl(d("secret"), "secret", (char *)NULL));
	DENY("execle", execle(d("secret"), "secret", (char *)NULL, envp));
	DENY("execlp", execlp(d("secret"), "secret", (char *)NULL));
}

typedef int (*spawn_fn)(pid_t *, const char *, const posix_spawn_file_actions_t *,
			const posix_spawnattr_t *, char *const[], char *const[]);

/* the exec and spawn calls that come back: refused, or failed by the
 * kernel after the library let them through (the caller must see the
 * kernel's errno), and posix_spawn's older symbol versions */
static void exec_failures(void)
{
	char *argv[] = { "x", NULL };
	char *envp[] = { "FG_HOOKCALLS=1", NULL };
	pid_t pid;
	int fd, st, rc;

	DENY("execve", execve(d("secret"), argv, envp));
	DENY("execv", execv(d("secret"), argv));
	DENY("execl with arguments", execl(d("secret"), "secret", "-a", "-b", (char *)NULL));
	errno = 0;
	expect("execve of a missing program: ENOENT",
	       execve(a("no-such-program"), argv, envp) == -1 && errno == ENOENT, errno);
	/* an allowed file that is not executable: the kernel's EACCES */
	fd = open(a("s2"), O_RDONLY | O_CLOEXEC);
	errno = 0;
	expect("fexecve of a file without x bits: EACCES",
	       fd >= 0 && fexecve(fd, argv, envp) == -1 && errno == EACCES, errno);
	errno = 0;
	expect("execveat AT_EMPTY_PATH of that file: EACCES",
	       fd >= 0 && execveat(fd, "", argv, envp, AT_EMPTY_PATH) == -1 && errno == EACCES, errno);
	if (fd >= 0)
		close(fd);
	rc = posix_spawn(&pid, d("secret"), NULL, NULL, argv, envp);
	expect("posix_spawn (denied)", rc == EACCES, rc);
	rc = posix_spawnp(&pid, "true", NULL, NULL, argv, envp);
	st = -1;
	if (rc == 0)
		waitpid(pid, &st, 0);
	expect("posix_spawnp true (allowed)", rc == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, rc);
	/* a program linked against glibc < 2.15 binds these versions */
	for (int i = 0; i < 2; i++) {
		spawn_fn f = (spawn_fn)dlvsym(RTLD_DEFAULT, i ? "posix_spawnp" : "posix_spawn",
					      "GLIBC_2.2.5");

		if (f == NULL) {        /* a libc without that version (not x86_64) */
			printf("ok posix_spawn%s@GLIBC_2.2.5: not in this libc\n", i ? "p" : "");
			continue;
		}
		rc = f(&pid, d("secret"), NULL, NULL, argv, envp);
		printf("%s posix_spawn%s@GLIBC_2.2.5 (denied, rc %d)\n", rc == EACCES ? "ok" : "BAD",
		       i ? "p" : "", rc);
		bad += rc != EACCES;
	}
}

static void libc_paths(void)
{
	char t1[4096], t2[4096], t3[4096], t4[4096];
	FILE *f;

	DENY("mkdirat", mkdirat(AT_FDCWD, d("m"), 0700));
	ALLOW("mkdirat", mkdirat(AT_FDCWD, a("rmme"), 0700));
	ALLOW("remove of a folder", remove(a("rmme")));
	DENY("mknod", mknod(d("n"), S_IFIFO | 0600, 0));
	DENY("mknodat", mknodat(AT_FDCWD, d("n"), S_IFIFO | 0600, 0));
	DENY("mkfifoat", mkfifoat(AT_FDCWD, d("n"), 0600));
	ALLOW("mkfifoat", mkfifoat(AT_FDCWD, a("n"), 0600));
	DENY("renameat", renameat(AT_FDCWD, d("secret"), AT_FDCWD, a("x")));
	DENY("faccessat", faccessat(AT_FDCWD, d("secret"), R_OK, 0));
	ALLOW("faccessat", faccessat(AT_FDCWD, a("s2"), R_OK, AT_EACCESS));
	DENY("__openat64_2", __openat64_2(AT_FDCWD, d("secret"), O_RDONLY));
	ALLOW("__openat64_2", __openat64_2(AT_FDCWD, a("s2"), O_RDONLY));
	DENY("__open64_2", __open64_2(d("secret"), O_RDONLY));
	DENY("creat64", creat64(d("c64"), 0600));
	ALLOW("creat64 (open)", creat64(a("c64"), 0600));
	DENY_NULL("fopen a", fopen(d("secret"), "a"));
	DENY_NULL("fopen wx", fopen(d("new"), "wx"));
	f = fopen(a("fx"), "wx");
	expect("fopen wx (allowed)", f != NULL, errno);
	if (f != NULL)
		fclose(f);
	errno = 0;
	expect("fopen with a bad mode: EINVAL", fopen(a("fx"), "q") == NULL && errno == EINVAL, errno);
	f = fopen(a("fx"), "r");
	DENY_NULL("freopen", freopen(d("secret"), "r", f));
	f = fopen(a("fx"), "r");
	f = freopen64(a("s2"), "r", f);
	expect("freopen64 (allowed)", f != NULL, errno);
	errno = 0;
	expect("freopen with a bad mode: EINVAL", freopen(a("s2"), "q", f) == NULL && errno == EINVAL,
	       errno);
	f = fmemopen(t1, sizeof(t1), "r");
	errno = 0;
	expect("freopen of a stream with no descriptor fails (allowed name)",
	       f != NULL && freopen(a("s2"), "r", f) == NULL, errno);
	snprintf(t1, sizeof(t1), "%s", d("tXXXXXX"));
	DENY("mkostemp64", mkostemp64(t1, O_CLOEXEC));
	snprintf(t2, sizeof(t2), "%s", a("tXXXXXX.s"));
	ALLOW("mkstemps64 (open)", mkstemps64(t2, 2));
	snprintf(t3, sizeof(t3), "%s", a("uXXXXXX.s"));
	ALLOW("mkostemps64 (open)", mkostemps64(t3, 2, O_CLOEXEC));
	snprintf(t4, sizeof(t4), "%s", d("dXXXXXX"));
	DENY_NULL("mkdtemp", mkdtemp(t4));
	snprintf(t4, sizeof(t4), "%s", a("bad"));
	errno = 0;
	expect("mkstemps64 of a template without XXXXXX: EINVAL", mkstemps64(t4, 0) == -1 &&
	       errno == EINVAL, errno);
	DENY_NULL("tmpfile64 (in /tmp, outside the write tree)", tmpfile64());
}

static void names(void)
{
	struct hostent he, *res = NULL;
	char buf[2048];
	int herr = 0, rc;

	expect("gethostbyname of a name no rule names (denied)",
	       gethostbyname("denied.invalid") == NULL && h_errno == NO_RECOVERY, h_errno);
	expect("gethostbyname localhost (allowed)", gethostbyname("localhost") != NULL, h_errno);
	expect("gethostbyname2 (denied)",
	       gethostbyname2("denied.invalid", AF_INET) == NULL && h_errno == NO_RECOVERY, h_errno);
	expect("gethostbyname2 localhost AF_INET6 (allowed, or no such address)",
	       gethostbyname2("localhost", AF_INET6) != NULL || h_errno != NO_RECOVERY, h_errno);
	rc = gethostbyname_r("denied.invalid", &he, buf, sizeof(buf), &res, &herr);
	expect("gethostbyname_r (denied)", rc == EACCES && res == NULL && herr == NO_RECOVERY, rc);
	rc = gethostbyname_r("localhost", &he, buf, sizeof(buf), &res, &herr);
	expect("gethostbyname_r localhost (allowed)", rc == 0 && res != NULL, rc);
	rc = gethostbyname2_r("denied.invalid", AF_INET, &he, buf, sizeof(buf), &res, &herr);
	expect("gethostbyname2_r (denied)", rc == EACCES && res == NULL, rc);
	rc = gethostbyname2_r("localhost", AF_INET, &he, buf, sizeof(buf), &res, &herr);
	expect("gethostbyname2_r localhost (allowed)", rc == 0 && res != NULL, rc);
}

/* reads and receives on sockets the breaker does not watch: passed through */
static void io_calls(void)
{
	struct iovec iov;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	char buf[8];
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		expect("socketpair", false, errno);
		return;
	}
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	write(sv[0], "abcdefgh", 8);
	expect("__read_chk", __read_chk(sv[1], buf, 2, sizeof(buf)) == 2, errno);
	expect("__recv_chk", __recv_chk(sv[1], buf, 2, sizeof(buf), 0) == 2, errno);
	expect("recvfrom", recvfrom(sv[1], buf, 2, 0, NULL, NULL) == 2, errno);
	expect("__recvfrom_chk", __recvfrom_chk(sv[1], buf, 1, sizeof(buf), 0, NULL, NULL) == 1, errno);
	expect("recvmsg", recvmsg(sv[1], &mh, 0) == 1, errno);
	close(sv[0]);
	close(sv[1]);
}

static void spawn_calls(void)
{
	posix_spawn_file_actions_t fa;
	FILE *p;
	int rc;

	posix_spawn_file_actions_init(&fa);
	expect("posix_spawn_file_actions_addchdir_np", posix_spawn_file_actions_addchdir_np(&fa, A) == 0,
	       errno);
	expect("posix_spawn_file_actions_addfchdir_np", posix_spawn_file_actions_addfchdir_np(&fa, 0) == 0,
	       errno);
	posix_spawn_file_actions_destroy(&fa);
	rc = system("exit 3");
	expect("system runs the shell", WIFEXITED(rc) && WEXITSTATUS(rc) == 3, rc);
	expect("system(NULL): a shell is there", system(NULL) != 0, errno);
	errno = 0;
	expect("popen with a bad mode: EINVAL", popen("true", "x") == NULL && errno == EINVAL, errno);
	p = popen("echo hi", "r");
	expect("popen r", p != NULL && fgets((char[8]){ 0 }, 8, p) != NULL, errno);
	if (p != NULL)
		expect("pclose", pclose(p) == 0, errno);
	closefrom(100);
	expect("closefrom", true, 0);
}

/* Changes through a descriptor the caller holds ("" with AT_EMPTY_PATH):
 * an O_PATH descriptor of a file the policy only lets it read
 * (/etc/passwd, the system set) must not reach it.  The calls change
 * nothing even where they go through (owner and group -1, both times
 * UTIME_OMIT). */
static void held_descriptors(void)
{
	struct timespec omit[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
	int ro = open("/etc/passwd", O_PATH), rw;

	expect("open O_PATH of a readable file (allowed)", ro >= 0, errno);
	DENY("fchownat O_PATH AT_EMPTY_PATH", fchownat(ro, "", (uid_t)-1, (gid_t)-1, AT_EMPTY_PATH));
	DENY("utimensat O_PATH AT_EMPTY_PATH", utimensat(ro, "", omit, AT_EMPTY_PATH));
	DENY("syscall utimensat O_PATH AT_EMPTY_PATH",
	     syscall(SYS_utimensat, ro, "", omit, AT_EMPTY_PATH));
	/* a hard link in the write tree would make it writable there */
	DENY("linkat O_PATH AT_EMPTY_PATH", linkat(ro, "", AT_FDCWD, a("pw"), AT_EMPTY_PATH));
	close(ro);
	ro = open("/etc/passwd", O_RDONLY);
	DENY("linkat AT_EMPTY_PATH of a descriptor open for reading",
	     linkat(ro, "", AT_FDCWD, a("pw"), AT_EMPTY_PATH));
	close(ro);
	close(open(a("held"), O_CREAT | O_WRONLY, 0600));
	rw = open(a("held"), O_PATH);
	ALLOW("fchownat O_PATH AT_EMPTY_PATH", fchownat(rw, "", getuid(), (gid_t)-1, AT_EMPTY_PATH));
	ALLOW("utimensat O_PATH AT_EMPTY_PATH", utimensat(rw, "", NULL, AT_EMPTY_PATH));
	ALLOW("linkat O_PATH AT_EMPTY_PATH", linkat(rw, "", AT_FDCWD, a("held2"), AT_EMPTY_PATH));
	close(rw);
	rw = open(a("held"), O_RDONLY);
	ALLOW("futimens", futimens(rw, omit));
	close(rw);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: hookcalls ALLOWED DENIED\n");
		return 125;
	}
	A = argv[1];
	D = argv[2];
	setvbuf(stdout, NULL, _IOLBF, 0);
	sys_paths();
	sys_at_paths();
	sys_openat2();
	sys_net();
	exec_forms();
	exec_failures();
	libc_paths();
	names();
	io_calls();
	spawn_calls();
	held_descriptors();
	return bad > 100 ? 100 : bad;
}
