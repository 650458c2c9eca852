/* supervisor.c - answers the agent's trapped opens with a descriptor it resolved and judged itself.
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
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel/sup_int.h"
#include "kernel/supervisor.h"

#if defined(__x86_64__)
#define SUP_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SUP_ARCH AUDIT_ARCH_AARCH64
#endif

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* Linux 6.6: wake the supervisor on the caller's CPU and switch to it
 * (older headers lack it; older kernels answer EINVAL, and go on as before). */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif


/* One trapped open, as read from the caller. */
struct sup_call {
	int tid;
	int dirfd;
	int flags;
	unsigned mode;
	uint64_t resolve;
	int held;               /* the O_PATH descriptor judged, closed after the answer */
	char path[PATH_MAX];
};

static long sup_seccomp(unsigned op, unsigned flags, void *arg)
{
	return syscall(SYS_seccomp, op, flags, arg);
}

/* --- the filter ---------------------------------------------------------- */

static const long trapped[] = {
#ifdef SYS_open
	SYS_open, SYS_creat, SYS_unlink, SYS_rmdir, SYS_mkdir, SYS_rename, SYS_link,
	SYS_symlink, SYS_mknod,
#endif
	SYS_openat, SYS_unlinkat, SYS_mkdirat, SYS_renameat, SYS_renameat2, SYS_linkat,
	SYS_symlinkat, SYS_truncate, SYS_mknodat,
#ifdef SYS_openat2
	SYS_openat2,
#endif
};

/* Socket calls handed over with [network] mode = enforce: every connect,
 * sendmsg and sendmmsg (a filter cannot tell a datagram socket from a
 * stream, nor read a msghdr), and sendto when it names an address. */
static const long net_trapped[] = { SYS_connect, SYS_sendmsg, SYS_sendmmsg };

#define SUP_INS(...) (f[n++] = (struct sock_filter)__VA_ARGS__)

/* Newer path calls the supervisor does not take, refused so that libc
 * falls back to the ones it does: fchmodat2 (452), setxattrat (463),
 * removexattrat (466), file_setattr (468); and name_to_handle_at (a handle
 * names an inode past every path; opening one is refused anyway). */
static const long refused_new[] = { 452, 463, 466, 468 };

/* sendto(fd, buf, len, flags, addr, alen) and utimensat(dirfd, path, times,
 * flags) are trapped only when their pointer argument k is not NULL.  The
 * list of nt numbers follows after more instructions; then ALLOW, NOTIF. */
static unsigned short trap_if_set(struct sock_filter *f, unsigned short n, long nr, unsigned k,
				  size_t nt, unsigned more)
{
	size_t allow = nt + more;

	SUP_INS(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 5));
	SUP_INS(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[k])));
	SUP_INS(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2));
	SUP_INS(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[k]) + 4));
	SUP_INS(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, (uint8_t)(allow + 1), (uint8_t)(allow + 2)));
	SUP_INS(BPF_JUMP(BPF_JMP | BPF_JA, (uint32_t)(allow + 1), 0, 0));
	return n;
}

#define CRED_BLOCK 8    /* instructions of cred_block */

/* prctl that changes what an exec or a later setuid leaves of the
 * capabilities, and clone into a new user namespace: handed over (to be
 * answered "continue", see sup_cred.c).  The list of nt numbers follows,
 * then ALLOW, NOTIF. */
static unsigned short cred_block(struct sock_filter *f, unsigned short n, size_t nt)
{
	uint8_t t = (uint8_t)nt;

	SUP_INS(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_prctl, 0, 4));
	SUP_INS(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])));
	SUP_INS(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PR_CAPBSET_DROP, (uint8_t)(t + 6), 0));
	SUP_INS(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PR_SET_SECUREBITS, (uint8_t)(t + 5), 0));
	SUP_INS(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PR_CAP_AMBIENT, (uint8_t)(t + 4),
			 (uint8_t)(t + 3)));
	SUP_INS(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 2));
	SUP_INS(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])));
	SUP_INS(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEWUSER, (uint8_t)(t + 1), t));
	return n;
}

/* The numbers handed over whatever their arguments, into list: how many. */
static size_t trap_list(unsigned traps, long *list)
{
	size_t nt = 0, i, ncred;
	const long *cred = fg_sup_cred_nrs(&ncred);

	if (traps & FG_SUP_TRAP_PATHS) {
		for (i = 0; i < sizeof(trapped) / sizeof(trapped[0]); i++)
			list[nt++] = trapped[i];
		for (i = 0; i < fg_sup_attr_n; i++)
			if (fg_sup_attr_nrs[i] != SYS_utimensat)
				list[nt++] = fg_sup_attr_nrs[i];
		list[nt++] = SYS_bind;  /* a pathname UNIX socket is a new name */
		for (i = 0; i < ncred; i++)
			list[nt++] = cred[i];   /* the caller's credentials may change */
	}
	if (traps & FG_SUP_TRAP_NET)
		for (i = 0; i < 3; i++)
			list[nt++] = net_trapped[i];
	return nt;
}

int fg_sup_install(unsigned traps)
{
#ifdef SUP_ARCH
	struct sock_filter f[128];
	struct sock_fprog prog = { .filter = f };
	unsigned short n = 0;
	long list[80];
	size_t nt = trap_list(traps, list), i;
	unsigned cb = (traps & FG_SUP_TRAP_PATHS) ? CRED_BLOCK : 0;
	long fd;

	SUP_INS(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
	SUP_INS(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SUP_ARCH, 1, 0));
	SUP_INS(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS));
	SUP_INS(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
	if (traps & FG_SUP_TRAP_PATHS) {
		for (i = 0; i < sizeof(refused_new) / sizeof(refused_new[0]); i++) {
			SUP_INS(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)refused_new[i], 0, 1));
			SUP_INS(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS));
		}
		SUP_INS(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_name_to_handle_at, 0, 1));
		SUP_INS(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EOPNOTSUPP));
#ifdef SYS_io_uring_setup
		/* io_uring opens, renames and unlinks without a system call
		 * this filter sees (the socket filter refuses it only when
		 * [network] is enforced): ENOSYS, and programs fall back */
		SUP_INS(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_io_uring_setup, 0, 1));
		SUP_INS(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS));
#endif
		/* the caller's root stays the supervisor's (fg_sup_share_root) */
		SUP_INS(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_chroot, 0, 1));
		SUP_INS(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM));
		/* clone3 keeps its flags in memory, out of this filter's sight
		 * (CLONE_NEWUSER changes credentials): ENOSYS, libc uses clone */
		SUP_INS(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1));
		SUP_INS(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS));
		/* futimens(fd): a descriptor to content was judged at its open */
		n = trap_if_set(f, n, SYS_utimensat, 1, nt,
				((traps & FG_SUP_TRAP_NET) ? 6 : 0) + cb);
	}
	if (traps & FG_SUP_TRAP_NET)
		n = trap_if_set(f, n, SYS_sendto, 4, nt, cb);
	if (cb)
		n = cred_block(f, n, nt);
	for (i = 0; i < nt; i++)
		SUP_INS(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)list[i], (uint8_t)(nt - i), 0));
	SUP_INS(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	SUP_INS(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF));
	if (n > sizeof(f) / sizeof(f[0]))
		abort();        /* SUP_INS wrote past f: a list grew without room */
	prog.len = n;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 &&
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	/* once the supervisor holds a call, only a fatal signal ends the wait:
	 * an interrupted call would be restarted and performed twice (a
	 * datagram or stream bytes sent again, a rename or create redone) */
	fd = sup_seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER |
			 SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &prog);
	if (fd < 0 && errno == EINVAL)  /* before Linux 5.19 */
		fd = sup_seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	return fd < 0 ? -errno : (int)fd;
#else
	(void)traps;
	return -ENOSYS;
#endif
}

/* The probe's child: a filter trapping getppid; does the kernel give a
 * listener, and does it know ADDFD with SEND (an unknown id then answers
 * ENOENT)?  Its exit status is the answer's bits. */
static int probe_child(void *arg)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = 4, .filter = f };
	struct seccomp_notif_addfd add = { .id = 1, .flags = SECCOMP_ADDFD_FLAG_SEND, .srcfd = 0 };
	long fd;
	int bits = 0;

	(void)arg;
	if (syscall(SYS_pidfd_getfd, -1, 0, 0) < 0 && errno == EBADF)
		bits |= FG_SUP_GETFD;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return bits;
	fd = sup_seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (fd >= 0) {
		bits |= FG_SUP_NOTIF;
		if (ioctl((int)fd, SECCOMP_IOCTL_NOTIF_ADDFD, &add) < 0 && errno == ENOENT)
			bits |= FG_SUP_ADDFD;
	}
	return bits;
}

/* "5.14.0-..." at least major.minor? */
static bool release_at_least(const char *r, unsigned major, unsigned minor)
{
	unsigned v[2] = { 0, 0 };

	for (int i = 0; i < 2; i++, r++) {
		if (*r < '0' || *r > '9')
			return false;
		for (; *r >= '0' && *r <= '9' && v[i] < 100000; r++)
			v[i] = v[i] * 10 + (unsigned)(*r - '0');
		if (i == 0 && *r != '.')
			return false;
	}
	return v[0] > major || (v[0] == major && v[1] >= minor);
}

/* The same answers without a child, for a process under no filter (the
 * usual launcher): nothing can then make a listener's filter fail but the
 * kernel's age.  The kernel names the actions it has (user notification:
 * 5.0); ADDFD's SEND flag (5.14) can only be seen on a listener, so the
 * release stands for it; a kernel that had it backported is only taken for
 * an older one (no supervisor, as before the probe). */
static int probe_here(void)
{
	uint32_t action = SECCOMP_RET_USER_NOTIF;
	struct utsname u;
	int bits = 0;

	if (syscall(SYS_pidfd_getfd, -1, 0, 0) < 0 && errno == EBADF)
		bits |= FG_SUP_GETFD;
	if (sup_seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0) {
		bits |= FG_SUP_NOTIF;
		if (uname(&u) == 0 && release_at_least(u.release, 5, 14))
			bits |= FG_SUP_ADDFD;
	}
	return bits;
}

/* Ask probe_child in a process of its own (the filter must not stay on
 * this one) when this process is under a filter already: a filter of its
 * may hold a listener (a second one is refused, EBUSY) or refuse what the
 * probe tries.  The child shares this memory and runs on a stack of its own
 * while this thread waits (CLONE_VM | CLONE_VFORK): a fork copied the
 * launcher's page tables and then paid a copy-on-write fault for every
 * page the launcher wrote afterwards, a millisecond of every run.  The
 * filter and no_new_privs stay with the child's task.  Without a filter,
 * probe_here answers in place: the child, its filter's compilation and its
 * exit were 130 us of every `fleetguard run`. */
int fg_sup_probe(void)
{
	static int known = -1;  /* run asks twice: for the paths, for sockets */
	static char stack[16384] __attribute__((aligned(16)));
	int status = 0, saved = errno;
	pid_t pid;

	if (known >= 0)
		return known;
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 0) {
		known = probe_here();
		errno = saved;
		return known;
	}
	pid = clone(probe_child, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
	if (pid < 0) {
		errno = saved;
		return 0;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	errno = saved;
	known = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
	return known;
}

/* --- reading the call ---------------------------------------------------- */

/* Copy a NUL-terminated string from the caller, page by page (a string
 * may end just before an unmapped page). */
int fg_sup_read_str(int tid, uint64_t addr, char *out, size_t cap)
{
	size_t got = 0;

	fg_sup_as_self();       /* the supervisor's right to read the caller */
	while (got < cap) {
		size_t room = 4096 - ((addr + got) & 4095);
		struct iovec l, r;
		ssize_t n;

		if (room > cap - got)
			room = cap - got;
		l = (struct iovec){ out + got, room };
		r = (struct iovec){ (void *)(uintptr_t)(addr + got), room };
		n = process_vm_readv(tid, &l, 1, &r, 1, 0);
		if (n <= 0)
			return n == 0 ? -EFAULT : -errno;
		if (memchr(out + got, '\0', (size_t)n) != NULL)
			return 0;
		got += (size_t)n;
	}
	return -ENAMETOOLONG;
}

static int read_call(struct fg_sup *s, const struct seccomp_notif *req, struct sup_call *c)
{
	const __u64 *a = req->data.args;
	uint64_t path = a[1];

	c->tid = (int)req->pid;
	c->dirfd = AT_FDCWD;
	c->resolve = 0;
	c->mode = 0;
#ifdef SYS_open
	if (req->data.nr == SYS_open) {
		path = a[0], c->flags = (int)a[1], c->mode = (unsigned)a[2];
		goto read;
	}
#endif
#ifdef SYS_creat
	if (req->data.nr == SYS_creat) {
		path = a[0], c->flags = O_CREAT | O_WRONLY | O_TRUNC, c->mode = (unsigned)a[1];
		goto read;
	}
#endif
	c->dirfd = (int)a[0];
	c->flags = (int)a[2];
	c->mode = (unsigned)a[3];
#ifdef SYS_openat2
	if (req->data.nr == SYS_openat2) {
		struct open_how how = { 0 };
		/* open_how and the path's first page in one read: one system
		 * call less per open (each costs about 1 us on a guest) */
		size_t room = 4096 - (path & 4095);
		struct iovec l[2] = { { &how, sizeof(how) }, { c->path, room } },
			     r[2] = { { (void *)(uintptr_t)a[2], sizeof(how) },
				      { (void *)(uintptr_t)path, room } };
		ssize_t n;

		if (a[3] < sizeof(how))
			return -EFAULT;
		fg_sup_as_self();
		n = process_vm_readv(c->tid, l, 2, r, 2, 0);
		if (n < (ssize_t)sizeof(how))
			return -EFAULT;
		c->flags = (int)how.flags;
		c->mode = (unsigned)how.mode;
		c->resolve = how.resolve;
		if ((size_t)n == sizeof(how) + room && memchr(c->path, '\0', room) != NULL)
			return 0;
	}
#endif
read:
	/* the tid could die and be reused while we read: checked before any
	 * step with an effect (creating, truncating, opening a device); a
	 * plain open for a gone caller is refused by ADDFD (ENOENT) */
	(void)s;
	return fg_sup_read_str(c->tid, path, c->path, sizeof(c->path));
}

/* Is the caller still waiting (its tid not reused)?  -ESRCH if not. */
static int still_there(const struct fg_sup *s)
{
	return ioctl(s->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &s->req->id) < 0 ? -ESRCH : 0;
}

/* --- resolving ----------------------------------------------------------- */

static long sup_openat2(int dirfd, const char *path, uint64_t flags, uint64_t resolve)
{
	struct open_how how = { .flags = flags, .resolve = resolve };

	return syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* "/proc/self/fd/N", "/proc/thread-self/fd/N", "/dev/fd/N", "/dev/stdin"...:
 * the caller's own descriptor N, or -1. */
int fg_sup_own_fd(const char *path)
{
	static const char *const pre[] = { "/proc/self/fd/", "/proc/thread-self/fd/", "/dev/fd/" };
	char *end;
	long n;

	if (strcmp(path, "/dev/stdin") == 0)
		return 0;
	if (strcmp(path, "/dev/stdout") == 0)
		return 1;
	if (strcmp(path, "/dev/stderr") == 0)
		return 2;
	for (size_t i = 0; i < sizeof(pre) / sizeof(pre[0]); i++) {
		size_t l = strlen(pre[i]);

		if (strncmp(path, pre[i], l) != 0 || path[l] < '0' || path[l] > '9')
			continue;
		n = strtol(path + l, &end, 10);
		return *end == '\0' && n <= INT_MAX ? (int)n : -1;
	}
	return -1;
}

int fg_sup_base(const struct fg_sup *s, int tid, int dirfd, const char *path, bool *in_root)
{
	char at[64];
	int fd;

	*in_root = path[0] == '/';
	if (*in_root && s->root_fd >= 0)
		return s->root_fd;      /* lent, not walked: see fg_sup_base_put */
	if (*in_root)
		snprintf(at, sizeof(at), "/proc/%d/root", tid);
	else if (dirfd == AT_FDCWD)
		snprintf(at, sizeof(at), "/proc/%d/cwd", tid);
	else
		snprintf(at, sizeof(at), "/proc/%d/fd/%d", tid, dirfd);
	fg_sup_as_self();       /* a look into the caller: the supervisor's right */
	fd = open(at, O_PATH | O_CLOEXEC | O_DIRECTORY);
	return fd < 0 ? -errno : fd;
}

void fg_sup_base_put(const struct fg_sup *s, int fd)
{
	if (fd >= 0 && fd != s->root_fd)
		close(fd);
}

int fg_sup_share_root(struct fg_sup *s)
{
	s->root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	return s->root_fd < 0 ? -errno : 0;
}

static int base_fd(const struct fg_sup *s, const struct sup_call *c, bool *in_root)
{
	return fg_sup_base(s, c->tid, c->dirfd, c->path, in_root);
}

/* The supervisor's own /proc/self/fd, opened once: naming and reopening a
 * descriptor through it walks one component, not four. */
static int self_fds = -1;

static int self_fd_at(int fd, char *at, size_t cap, int *dir)
{
	*dir = self_fds >= 0 ? self_fds : AT_FDCWD;
	return snprintf(at, cap, self_fds >= 0 ? "%d" : "/proc/self/fd/%d", fd);
}

/* The path of what fd holds, with the caller's /proc/<tid> named
 * /proc/self again (the policy's spelling). */
int fg_sup_fd_name(int fd, int tid, char *out, size_t cap)
{
	char at[64], pre[32];
	ssize_t n;
	size_t l;
	int dir;

	self_fd_at(fd, at, sizeof(at), &dir);
	n = readlinkat(dir, at, out, cap - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n == cap - 1)
		return -ENAMETOOLONG;
	out[n] = '\0';
	if (out[0] != '/')
		return -EACCES;         /* pipe:[...], anon_inode: nothing a path names */
	l = (size_t)snprintf(pre, sizeof(pre), "/proc/%d", tid);
	if (strncmp(out, pre, l) == 0 && (out[l] == '/' || out[l] == '\0')) {
		memmove(out + 10, out + l, strlen(out + l) + 1);
		memcpy(out, "/proc/self", 10);
	}
	return 0;
}

/* Rewrite a leading /proc/self or /proc/thread-self to the caller's. */
static void map_proc_self(struct sup_call *c)
{
	char tmp[PATH_MAX];
	const char *rest = NULL;

	if (strncmp(c->path, "/proc/self", 10) == 0 && (c->path[10] == '/' || !c->path[10]))
		rest = c->path + 10;
	else if (strncmp(c->path, "/proc/thread-self", 17) == 0 &&
		 (c->path[17] == '/' || !c->path[17]))
		rest = c->path + 17;
	if (rest == NULL)
		return;
	if ((size_t)snprintf(tmp, sizeof(tmp), "/proc/%d%s", c->tid, rest) < sizeof(tmp))
		memcpy(c->path, tmp, sizeof(tmp));
}

/* --- judging ------------------------------------------------------------- */

static bool within(const char *tree, const char *path)
{
	return fg_path_within(tree, strlen(tree), path, strlen(path));
}

/* fleetguard's own paths first (the library must keep its state and its
 * start-up reads; nobody reads the audit directory or the key), then the
 * policy, with what Landlock grants beside it: listing /etc for the system
 * set.  *line is the deciding policy line, 0 for none; *own is set when
 * one of fleetguard's files decided. */
static bool judge_why(const struct fg_sup *s, const char *path, unsigned acc, unsigned *line,
		      bool *own)
{
	struct fg_verdict v;

	*line = 0;
	*own = false;
	if (fg_coverage_path(path, strlen(path)))
		return true;    /* gcov's data: a --enable-coverage build only */
	for (size_t i = 0; i < s->nown; i++) {
		if (s->own[i].path == NULL || !within(s->own[i].path, path))
			continue;
		*own = true;
		if (s->own[i].kind == FG_LL_OWN_AUDIT_DIR)
			return false;
		if (s->own[i].kind == FG_LL_OWN_STATE_DIR || acc == FG_ACC_READ)
			return true;
		if (s->own[i].kind == FG_LL_OWN_READ)
			return false;   /* the policy file, the library: read only */
	}
	*own = s->p->audit.key_file != NULL && within(s->p->audit.key_file, path);
	if (*own)
		return false;
	if (acc == FG_ACC_READ && s->p->fs.system && strcmp(path, "/etc") == 0)
		return true;
	if (fg_policy_path(s->p, path, strlen(path), acc, &v)) {
		*line = v.line;
		return true;
	}
	*line = v.line;
	return s->p->fs.mode != FG_MODE_ENFORCE;
}

bool fg_sup_judge(struct fg_sup *s, const char *path, unsigned acc, unsigned *line)
{
	bool own;
	bool ok = judge_why(s, path, acc, line, &own);

	s->own_hit |= own;
	return ok;
}

static unsigned access_of(int flags)
{
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_TRUNC | O_CREAT)))
		return FG_ACC_WRITE;
	return FG_ACC_READ;
}

mode_t fg_sup_caller_umask(const struct fg_sup *s, int tid)
{
	char buf[2048];
	const char *u;
	mode_t m;

	if (fg_sup_cred_umask(s, &m))
		return m;       /* read with its credentials for this call */
	if (fg_sup_status(tid, buf, sizeof(buf), false) < 0)
		return 022;
	u = fg_sup_status_field(buf, "Umask");
	return u ? (mode_t)strtoul(u, NULL, 8) & 0777 : 022;
}

/* --- opening --------------------------------------------------------------- */

/* Open the object behind the O_PATH descriptor pfd again with the caller's
 * flags.  FIFOs open without blocking (the supervisor serves one call at a
 * time; the other end's open is a call too), then get the caller's mode. */
static int reopen(const struct fg_sup *s, int pfd, int flags)
{
	char at[64];
	struct stat st;
	int fd, dir, f = flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY);

	if (flags & O_PATH) {
		fd = fcntl(pfd, F_DUPFD_CLOEXEC, 0);
		return fd < 0 ? -errno : fd;
	}
	self_fd_at(pfd, at, sizeof(at), &dir);
	if (fstat(pfd, &st) < 0)
		return -errno;
	if (((flags & O_TRUNC) || (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))) &&
	    still_there(s) < 0)
		return -ESRCH;
	if (S_ISFIFO(st.st_mode) && !(flags & O_NONBLOCK)) {
		fd = openat(dir, at, f | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0)
			fcntl(fd, F_SETFL, f & ~O_NONBLOCK);
	} else {
		fd = openat(dir, at, f | O_CLOEXEC);
	}
	return fd < 0 ? -errno : fd;
}

/* O_CREAT of a missing name: resolve its directory, judge directory + name,
 * create it there without following a link the caller may have planted. */
static int create(struct fg_sup *s, const struct sup_call *c, int base, uint64_t res,
		  char *name_out, size_t cap, unsigned *line)
{
	char dir[PATH_MAX], dpath[PATH_MAX];
	const char *slash = strrchr(c->path, '/'), *leaf;
	int dfd, fd, rc;

	if (slash != NULL) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - c->path), c->path);
		if (dir[0] == '\0')
			strcpy(dir, "/");
		leaf = slash + 1;
	} else {
		strcpy(dir, ".");
		leaf = c->path;
	}
	if (leaf[0] == '\0' || strcmp(leaf, ".") == 0 || strcmp(leaf, "..") == 0)
		return -EISDIR;
	dfd = (int)sup_openat2(base, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, res);
	if (dfd < 0)
		return -errno;
	rc = fg_sup_fd_name(dfd, c->tid, dpath, sizeof(dpath));
	if (rc == 0 && (size_t)snprintf(name_out, cap, "%s/%s", strcmp(dpath, "/") ? dpath : "",
					 leaf) >= cap)
		rc = -ENAMETOOLONG;
	if (rc == 0 && !fg_sup_judge(s, name_out, FG_ACC_WRITE, line))
		rc = -EACCES;
	if (rc == 0)
		rc = still_there(s);
	if (rc == 0) {
		fd = openat(dfd, leaf, c->flags | O_NOFOLLOW | O_CLOEXEC,
			    c->mode & ~fg_sup_caller_umask(s, c->tid) & 07777);
		rc = fd < 0 ? -errno : fd;
	}
	close(dfd);
	return rc;
}

/* Is path, resolved from the shared root without following any link,
 * already the name the kernel would give its object: absolute, no empty,
 * "." or ".." component, no trailing slash, outside /proc (named there
 * per caller)?  Then reading the name back (readlink) is not needed: the
 * walk went through exactly these entries, in the supervisor's own copy
 * that the caller cannot change. */
static bool plain_name(const struct fg_sup *s, const struct sup_call *c, uint64_t res)
{
	const char *p = c->path;

	if (s->root_fd < 0 || !(res & RESOLVE_NO_SYMLINKS) || p[0] != '/' || p[1] == '\0')
		return false;
	if (strncmp(p, "/proc", 5) == 0 && (p[5] == '/' || p[5] == '\0'))
		return false;
	for (; *p; p++) {
		if (*p != '/')
			continue;
		if (p[1] == '/' || p[1] == '\0')
			return false;
		if (p[1] == '.' && (p[2] == '/' || p[2] == '\0' ||
				    (p[2] == '.' && (p[3] == '/' || p[3] == '\0'))))
			return false;
	}
	return true;
}

/* A plain open in one system call (two without the caller's O_NONBLOCK)
 * instead of three and a procfs walk (O_PATH walk, fstat, the reopen through
 * /proc/self/fd): a name that plain_name says is already the object's,
 * outside /dev, opened without creating or truncating, and allowed by the
 * policy is opened with the caller's flags straight away.  O_NONBLOCK is
 * added for the open and taken off at once, as the O_PATH way does for
 * FIFOs, so nothing blocks the supervisor.  Anything else, a refusal or a
 * failed open included, -EAGAIN: the O_PATH way then decides, with the same
 * errno and record as before (a failed open has no effect to repeat). */
static int open_plain(struct fg_sup *s, struct sup_call *c, uint64_t res, char *name,
		      size_t cap, unsigned *line, bool *judged)
{
	int f = c->flags & ~(O_NOFOLLOW | O_NOCTTY), fd;
	size_t len = strlen(c->path);

	if ((c->flags & (O_CREAT | O_EXCL | O_TRUNC)) || (c->flags & O_TMPFILE) == O_TMPFILE ||
	    len >= cap || !plain_name(s, c, res) ||
	    (strncmp(c->path, "/dev", 4) == 0 && (c->path[4] == '/' || c->path[4] == '\0')))
		return -EAGAIN;
	if (!fg_sup_judge(s, c->path, access_of(c->flags), line))
		return -EAGAIN;         /* the refusal is recorded the O_PATH way */
	fd = (int)sup_openat2(s->root_fd, c->path, (uint64_t)(f | O_NONBLOCK | O_CLOEXEC), res);
	if (fd < 0)
		return -EAGAIN;
	if (!(f & O_NONBLOCK) && fcntl(fd, F_SETFL, f) < 0) {
		close(fd);
		return -EAGAIN;
	}
	memcpy(name, c->path, len + 1);
	*judged = true;
	return fd;
}

/* Returns the descriptor to hand over, or -errno; name and line say what
 * was judged; c->held is the O_PATH descriptor to close after answering. */
static int sup_open(struct fg_sup *s, struct sup_call *c, char *name, size_t cap,
		    unsigned *line, bool *judged)
{
	uint64_t res = RESOLVE_NO_MAGICLINKS |
		       (c->resolve & (RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH));
	int n = fg_sup_own_fd(c->path), base, pfd, rc;
	bool in_root = false;
	char at[64];

	*judged = false;
	name[0] = '\0';
	c->held = -1;
	if (n >= 0) {
		snprintf(at, sizeof(at), "/proc/%d/fd/%d", c->tid, n);
		fg_sup_as_self();
		pfd = open(at, O_PATH | O_CLOEXEC);
		if (pfd < 0)
			return -errno;
		rc = fg_sup_as_caller(s, c->tid);       /* the reopen is the caller's */
		if (rc < 0) {
			close(pfd);
			return rc;
		}
	} else {
		map_proc_self(c);
		base = base_fd(s, c, &in_root);
		if (base < 0)
			return base;
		/* from here on the walk, the creation and the reopen are
		 * checked by the kernel as the caller's own would be */
		rc = fg_sup_as_caller(s, c->tid);
		if (rc < 0) {
			fg_sup_base_put(s, base);
			return rc;
		}
		if (in_root)
			res |= RESOLVE_IN_ROOT;
		if (c->resolve & RESOLVE_IN_ROOT)
			res = (res & ~RESOLVE_BENEATH) | RESOLVE_IN_ROOT;
		rc = in_root ? open_plain(s, c, res, name, cap, line, judged) : -EAGAIN;
		if (rc != -EAGAIN) {
			fg_sup_base_put(s, base);
			return rc;
		}
		pfd = (int)sup_openat2(base, c->path,
				       O_PATH | O_CLOEXEC | (c->flags & (O_NOFOLLOW | O_DIRECTORY)),
				       res);
		rc = pfd < 0 ? -errno : 0;
		if (rc == -ENOENT && (c->flags & O_CREAT)) {
			*judged = true;
			rc = create(s, c, base, res, name, cap, line);
		}
		fg_sup_base_put(s, base);
		if (pfd < 0)
			return rc;
	}
	if (n < 0 && in_root && plain_name(s, c, res) && strlen(c->path) < cap) {
		memcpy(name, c->path, strlen(c->path) + 1);
		rc = 0;
	} else {
		rc = fg_sup_fd_name(pfd, c->tid, name, cap);
	}
	if (rc == 0) {
		*judged = true;
		if (!fg_sup_judge(s, name, access_of(c->flags), line))
			rc = -EACCES;
		else if ((c->flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
			rc = -EEXIST;
		else
			rc = reopen(s, pfd, c->flags);
	}
	if (rc >= 0)
		c->held = pfd;  /* closed with the new one, in one call */
	else
		close(pfd);
	return rc;
}

/* Close what an answered open held: the O_PATH descriptor and the one
 * handed over, usually neighbours (one close_range instead of two). */
static void close_pair(int held, int fd)
{
	if (held >= 0 && fd == held + 1 && close_range((unsigned)held, (unsigned)fd, 0) == 0)
		return;
	if (held >= 0)
		close(held);
	close(fd);
}

int fg_sup_answer(const struct fg_sup *s, uint64_t id, int err, int64_t val)
{
	union {
		struct seccomp_notif_resp r;
		char room[128];
	} u;

	memset(&u, 0, sizeof(u));
	u.r.id = id;
	u.r.error = -err;
	u.r.val = err ? 0 : val;
	return ioctl(s->listener, SECCOMP_IOCTL_NOTIF_SEND, &u.r) < 0 ? -errno : 0;
}

static int answer_error(struct fg_sup *s, uint64_t id, int err)
{
	return fg_sup_answer(s, id, err, 0);
}

void fg_sup_emit(struct fg_sup *s, const struct fg_sup_event *ev)
{
	if (s->rec == NULL)
		return;
	fg_sup_as_self_full();  /* a record may open or create the supervisor's files */
	pthread_mutex_lock(&s->rec_lock);
	s->rec(s->ctx, ev);
	pthread_mutex_unlock(&s->rec_lock);
}

bool fg_sup_in_own(const struct fg_sup *s, const char *path, enum fg_ll_own_kind kind)
{
	for (size_t i = 0; i < s->nown; i++)
		if (s->own[i].kind == kind && s->own[i].path != NULL &&
		    fg_path_within(s->own[i].path, strlen(s->own[i].path), path, strlen(path)))
			return true;
	return false;
}

int fg_sup_read_mem(int tid, uint64_t addr, void *out, size_t len)
{
	/* out is only written (by the kernel), never read: cppcheck's
	 * cross-file check takes the iovec for a read of callers' buffers */
	// cppcheck-suppress ctuuninitvar
	struct iovec l = { out, len }, r = { (void *)(uintptr_t)addr, len };
	ssize_t n;

	if (len == 0)
		return 0;
	fg_sup_as_self();
	n = process_vm_readv(tid, &l, 1, &r, 1, 0);
	if (n < 0)
		return errno == ESRCH ? -ESRCH : -EFAULT;
	return (size_t)n == len ? 0 : -EFAULT;
}

/* --- names: remove, make, rename, link ----------------------------------- */

/* A name in the caller: the directory the supervisor resolved and holds,
 * the last component, and the full path judged. */
struct sup_name {
	int dfd;
	char leaf[NAME_MAX + 1];
	char path[PATH_MAX];
};

/* Resolve the directory of (dirfd, path at addr) for tid and judge
 * directory + leaf for acc.  On success n->dfd is open. */
static int name_of(struct fg_sup *s, int tid, int dirfd, uint64_t addr, unsigned acc,
		   struct sup_name *n, unsigned *line)
{
	static struct sup_call c;
	char dpath[PATH_MAX];
	char *slash;
	size_t len;
	bool in_root;
	int base, rc;

	n->dfd = -1;
	n->path[0] = '\0';
	c.tid = tid, c.dirfd = dirfd;
	rc = fg_sup_read_str(tid, addr, c.path, sizeof(c.path));
	if (rc < 0)
		return rc;
	len = strlen(c.path);
	while (len > 1 && c.path[len - 1] == '/')
		c.path[--len] = '\0';
	map_proc_self(&c);
	slash = strrchr(c.path, '/');
	if ((size_t)snprintf(n->leaf, sizeof(n->leaf), "%s", slash ? slash + 1 : c.path) >=
	    sizeof(n->leaf))
		return -ENAMETOOLONG;
	if (n->leaf[0] == '\0' || strcmp(n->leaf, ".") == 0 || strcmp(n->leaf, "..") == 0)
		return -EINVAL;
	if (slash == c.path)
		c.path[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	else
		strcpy(c.path, ".");
	base = base_fd(s, &c, &in_root);
	if (base < 0)
		return base;
	rc = fg_sup_as_caller(s, tid);  /* the walk is the caller's */
	if (rc == 0)
		n->dfd = (int)sup_openat2(base, c.path, O_PATH | O_DIRECTORY | O_CLOEXEC,
					  RESOLVE_NO_MAGICLINKS | (in_root ? RESOLVE_IN_ROOT : 0));
	if (rc == 0)
		rc = n->dfd < 0 ? -errno : 0;
	fg_sup_base_put(s, base);
	if (rc == 0)
		rc = fg_sup_fd_name(n->dfd, tid, dpath, sizeof(dpath));
	if (rc == 0 && (size_t)snprintf(n->path, sizeof(n->path), "%s/%s",
					 strcmp(dpath, "/") ? dpath : "", n->leaf) >= sizeof(n->path))
		rc = -ENAMETOOLONG;
	if (rc == 0 && !fg_sup_judge(s, n->path, acc, line))
		rc = -EACCES;
	return rc;
}

/* The object a caller names by one of its descriptors ("/proc/self/fd/N",
 * "/dev/fd/N": the library acts through those after judging), as an O_PATH
 * descriptor of the supervisor's; -ENOENT when the path is not such a name. */
static int caller_fd_object(int tid, uint64_t addr)
{
	char path[PATH_MAX], at[64];
	int n, fd;

	if (fg_sup_read_str(tid, addr, path, sizeof(path)) < 0)
		return -EFAULT;
	n = fg_sup_own_fd(path);
	if (n < 0)
		return -ENOENT;
	snprintf(at, sizeof(at), "/proc/%d/fd/%d", tid, n);
	fg_sup_as_self();
	fd = open(at, O_PATH | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static long do_link(struct fg_sup *s, int tid, const __u64 *a, int od, int oi, int nd, int ni,
		    int flags, struct sup_name *o, struct sup_name *n, unsigned *line)
{
	char src[64];
	int rc = 0, ofd;

	/* the source is the object itself: resolve it whole and judge it */
	ofd = caller_fd_object(tid, a[oi]);
	if (ofd == -ENOENT) {
		rc = name_of(s, tid, od < 0 ? AT_FDCWD : (int)a[od], a[oi], FG_ACC_READ, o, line);
		if (rc < 0)
			return rc;
		ofd = openat(o->dfd, o->leaf, O_PATH | O_CLOEXEC |
			     ((flags & AT_SYMLINK_FOLLOW) ? 0 : O_NOFOLLOW));
		ofd = ofd < 0 ? -errno : ofd;
	}
	if (ofd < 0)
		return ofd;
	rc = fg_sup_fd_name(ofd, tid, o->path, sizeof(o->path));
	if (rc == 0 && !fg_sup_judge(s, o->path, FG_ACC_WRITE, line))
		rc = -EACCES;
	if (rc == 0)
		rc = name_of(s, tid, nd < 0 ? AT_FDCWD : (int)a[nd], a[ni], FG_ACC_WRITE, n, line);
	if (rc == 0)
		rc = fg_sup_as_caller(s, tid);
	if (rc == 0) {
		snprintf(src, sizeof(src), "/proc/self/fd/%d", ofd);
		rc = linkat(AT_FDCWD, src, n->dfd, n->leaf, AT_SYMLINK_FOLLOW) < 0 ? -errno : 0;
	}
	close(ofd);
	return rc;
}

/* Which arguments an operation takes: dirfd and path indexes (-1: none). */
struct mut_op {
	long nr;
	const char *op;
	signed char d1, p1, d2, p2, extra;
};

static const struct mut_op mut_ops[] = {
#ifdef SYS_open
	{ SYS_unlink, "unlink", -1, 0, -1, -1, -1 },
	{ SYS_rmdir, "rmdir", -1, 0, -1, -1, -1 },
	{ SYS_mkdir, "mkdir", -1, 0, -1, -1, 1 },
	{ SYS_rename, "rename", -1, 0, -1, 1, -1 },
	{ SYS_link, "link", -1, 0, -1, 1, -1 },
	{ SYS_symlink, "symlink", -1, -1, -1, 1, 0 },
	{ SYS_mknod, "mknod", -1, 0, -1, -1, 1 },
#endif
	{ SYS_unlinkat, "unlink", 0, 1, -1, -1, 2 },
	{ SYS_mkdirat, "mkdir", 0, 1, -1, -1, 2 },
	{ SYS_renameat, "rename", 0, 1, 2, 3, -1 },
	{ SYS_renameat2, "rename", 0, 1, 2, 3, 4 },
	{ SYS_linkat, "link", 0, 1, 2, 3, 4 },
	{ SYS_symlinkat, "symlink", -1, -1, 1, 2, 0 },
	{ SYS_truncate, "truncate", -1, 0, -1, -1, 1 },
	{ SYS_mknodat, "mknod", 0, 1, -1, -1, 2 },
};

/* truncate(2): by a caller's descriptor name, or by a name resolved here
 * (a final link is not followed: the name judged is what changes). */
static long do_truncate(struct fg_sup *s, int tid, const __u64 *a, struct sup_name *n,
			unsigned *line)
{
	char at[64];
	int pfd = caller_fd_object(tid, a[0]), fd, rc = 0;

	if (pfd == -ENOENT) {
		rc = name_of(s, tid, AT_FDCWD, a[0], FG_ACC_WRITE, n, line);
		if (rc == 0)
			rc = fg_sup_as_caller(s, tid);
		fd = rc < 0 ? rc : openat(n->dfd, n->leaf, O_WRONLY | O_CLOEXEC | O_NONBLOCK |
								 O_NOFOLLOW);
	} else if (pfd >= 0) {
		rc = fg_sup_fd_name(pfd, tid, n->path, sizeof(n->path));
		if (rc == 0 && !fg_sup_judge(s, n->path, FG_ACC_WRITE, line))
			rc = -EACCES;
		if (rc == 0)
			rc = fg_sup_as_caller(s, tid);
		snprintf(at, sizeof(at), "/proc/self/fd/%d", pfd);
		fd = rc < 0 ? rc : open(at, O_WRONLY | O_CLOEXEC | O_NONBLOCK);
		close(pfd);
	} else {
		return pfd;
	}
	if (rc < 0)
		return rc;
	if (fd < 0)
		return -errno;
	rc = ftruncate(fd, (off_t)a[1]) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

static long do_mut(struct fg_sup *s, const struct mut_op *m, int tid, struct sup_name *o,
		   struct sup_name *n, unsigned *line)
{
	const __u64 *a = s->req->data.args;
	long nr = m->nr;
	unsigned mv = FG_ACC_WRITE | FG_ACC_MOVE;
	char target[PATH_MAX];
	long rc;

	if (strcmp(m->op, "link") == 0)
		return do_link(s, tid, a, m->d1, m->p1, m->d2, m->p2,
			       m->extra >= 0 ? (int)a[m->extra] : 0, o, n, line);
	if (strcmp(m->op, "symlink") == 0) {
		rc = fg_sup_read_str(tid, a[0], target, sizeof(target));
		if (rc == 0)
			rc = name_of(s, tid, m->d2 < 0 ? AT_FDCWD : (int)a[m->d2], a[m->p2],
				     FG_ACC_WRITE, n, line);
		if (rc == 0)
			rc = fg_sup_as_caller(s, tid);
		return rc < 0 ? rc : symlinkat(target, n->dfd, n->leaf) < 0 ? -errno : 0;
	}
	if (nr == SYS_truncate)
		return do_truncate(s, tid, a, o, line);
	rc = name_of(s, tid, m->d1 < 0 ? AT_FDCWD : (int)a[m->d1], a[m->p1],
		     strcmp(m->op, "unlink") == 0 || strcmp(m->op, "rmdir") == 0 ||
		     strcmp(m->op, "rename") == 0 ? mv : FG_ACC_WRITE, o, line);
	if (rc == 0 && strcmp(m->op, "rename") == 0)
		rc = name_of(s, tid, m->d2 < 0 ? AT_FDCWD : (int)a[m->d2], a[m->p2], mv, n, line);
	if (rc == 0)
		rc = fg_sup_as_caller(s, tid);  /* the change is the caller's */
	if (rc < 0)
		return rc;
	if (strcmp(m->op, "rename") == 0)
		return renameat2(o->dfd, o->leaf, n->dfd, n->leaf,
				 nr == SYS_renameat2 ? (unsigned)a[4] : 0) < 0 ? -errno : 0;
	if (strcmp(m->op, "unlink") == 0 || strcmp(m->op, "rmdir") == 0)
		return unlinkat(o->dfd, o->leaf, strcmp(m->op, "rmdir") == 0 ? AT_REMOVEDIR :
					m->extra >= 0 ? (int)a[m->extra] : 0) < 0 ? -errno : 0;
	if (strcmp(m->op, "mkdir") == 0)
		return mkdirat(o->dfd, o->leaf, (mode_t)a[m->extra] & ~fg_sup_caller_umask(s, tid) & 07777) <
		       0 ? -errno : 0;
	if (strcmp(m->op, "mknod") == 0)
		return mknodat(o->dfd, o->leaf, (mode_t)a[m->extra] & ~(fg_sup_caller_umask(s, tid) & 0777),
			       (dev_t)a[m->extra + 1]) < 0 ? -errno : 0;
	return -ENOSYS;
}

static void handle_mut(struct fg_sup *s)
{
	struct sup_name o = { .dfd = -1 }, n = { .dfd = -1 };
	uint64_t id = s->req->id;
	int tid = (int)s->req->pid;
	const struct mut_op *m = NULL;
	unsigned line = 0;
	long rc;

	for (size_t i = 0; i < sizeof(mut_ops) / sizeof(mut_ops[0]); i++)
		if (mut_ops[i].nr == (long)s->req->data.nr)
			m = &mut_ops[i];
	if (m == NULL) {
		answer_error(s, id, ENOSYS);
		return;
	}
	rc = do_mut(s, m, tid, &o, &n, &line);
	fg_sup_as_self();
	if (o.dfd >= 0)
		close(o.dfd);
	if (n.dfd >= 0)
		close(n.dfd);
	if (ioctl(s->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0)
		return;
	memset(s->resp, 0, s->resp_size);
	s->resp->id = id;
	s->resp->error = rc < 0 ? (int)rc : 0;
	ioctl(s->listener, SECCOMP_IOCTL_NOTIF_SEND, s->resp);
	if (s->rec != NULL && (o.path[0] || n.path[0])) {
		struct fg_sup_event ev = { .op = m->op, .path = o.path[0] ? o.path : n.path,
					   .path2 = o.path[0] && n.path[0] ? n.path : NULL,
					   .flags = -1, .tid = tid, .allow = rc != -EACCES,
					   .own = s->own_hit,
					   .line = line, .result = rc < 0 ? (int)-rc : 0 };

		fg_sup_emit(s, &ev);
	}
}

/* --- serving ----------------------------------------------------------------- */

int fg_sup_new(const struct fg_policy *p, const struct fg_ll_own *own, size_t nown,
	       fg_sup_record_fn rec, void *ctx, struct fg_sup **out)
{
	struct seccomp_notif_sizes sz;
	struct fg_sup *s;
	int rc;

	*out = NULL;
	if (sup_seccomp(SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0)
		return -errno;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	*s = (struct fg_sup){ .p = p, .own = own, .nown = nown, .rec = rec, .ctx = ctx,
			      .listener = -1, .root_fd = -1 };
	pthread_mutex_init(&s->rec_lock, NULL);
	rc = fg_sup_cred_init(s);
	if (rc < 0) {
		free(s);
		return rc;
	}
	if (self_fds < 0)
		self_fds = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	s->req_size = sz.seccomp_notif > sizeof(*s->req) ? sz.seccomp_notif : sizeof(*s->req);
	s->resp_size = sz.seccomp_notif_resp > sizeof(*s->resp) ? sz.seccomp_notif_resp :
								   sizeof(*s->resp);
	s->req = calloc(1, s->req_size);
	s->resp = calloc(1, s->resp_size);
	if (s->req == NULL || s->resp == NULL) {
		fg_sup_free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

void fg_sup_free(struct fg_sup *s)
{
	unsigned busy;

	if (s == NULL)
		return;
	pthread_mutex_lock(&s->rec_lock);
	busy = s->workers;
	pthread_mutex_unlock(&s->rec_lock);
	if (busy > 0)
		return;         /* a worker still blocked in a call: the process is exiting */
	if (s->root_fd >= 0)
		close(s->root_fd);
	free(s->req);
	free(s->resp);
	free(s);
}


static bool is_open(long nr)
{
#ifdef SYS_open
	if (nr == SYS_open || nr == SYS_creat)
		return true;
#endif
#ifdef SYS_openat2
	if (nr == SYS_openat2)
		return true;
#endif
	return nr == SYS_openat;
}

static void handle_mut(struct fg_sup *s);

static void handle(struct fg_sup *s)
{
	static struct sup_call c;
	char name[PATH_MAX];
	uint64_t id = s->req->id;
	unsigned line = 0;
	bool judged;
	int fd;

	s->own_hit = false;
	if (fg_sup_cred_traps((long)s->req->data.nr)) {
		fg_sup_cred_handle(s);
		return;
	}
	if (fg_sup_net_traps((long)s->req->data.nr)) {
		fg_sup_net_handle(s);
		return;
	}
	if (fg_sup_attr_traps((long)s->req->data.nr)) {
		fg_sup_attr_handle(s);
		return;
	}
	if ((long)s->req->data.nr == SYS_bind) {
		fg_sup_bind_handle(s);
		return;
	}
	if (!is_open((long)s->req->data.nr)) {
		handle_mut(s);
		return;
	}
	fd = read_call(s, s->req, &c);
	if (fd == 0 && (c.flags & O_PATH)) {
		/* a descriptor that reads and writes nothing (the kernel
		 * cannot pass one on): every use of it that reaches content
		 * (reopening through /proc, linkat) is a trapped call */
		memset(s->resp, 0, s->resp_size);
		s->resp->id = id;
		s->resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		ioctl(s->listener, SECCOMP_IOCTL_NOTIF_SEND, s->resp);
		return;
	}
	if (fd < 0) {
		answer_error(s, id, -fd);
		return;
	}
	fd = sup_open(s, &c, name, sizeof(name), &line, &judged);
	fg_sup_as_self();
	if (fd == -ESRCH)
		return;         /* the caller is gone */
	if (fd >= 0) {
		struct seccomp_notif_addfd add = { .id = id, .flags = SECCOMP_ADDFD_FLAG_SEND,
						   .srcfd = (uint32_t)fd,
						   .newfd_flags = (uint32_t)(c.flags & O_CLOEXEC) };

		if (ioctl(s->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add) < 0) {
			judged &= errno != ENOENT;      /* gone: nothing happened */
			if (errno != ENOENT)
				answer_error(s, id, errno);
		}
		close_pair(c.held, fd);
	} else if (answer_error(s, id, -fd) < 0) {
		judged = false;
	}
	if (judged && s->rec != NULL) {
		/* the library's writer looks at the audit directory in every
		 * process (and is refused): not worth a record each time */
		bool own = s->own_hit && !(c.flags & O_DIRECTORY);
		struct fg_sup_event ev = { .op = "open", .path = name, .flags = c.flags,
					   .tid = c.tid, .allow = fd != -EACCES, .line = line,
					   .own = own,
					   .result = fd < 0 ? -fd : 0 };

		fg_sup_emit(s, &ev);
	}
}

/*
 * One thread sits in the receive ioctl (the call's wake-up goes straight to
 * it: no poll, one system call per notification less); a watcher thread
 * polls for what is not a call: the children to reap (wake_fd) and the
 * listener's hang-up once no process uses the filter, on which it
 * interrupts the receiver with SIGUSR1 until that one has left.
 */
struct sup_watch {
	int listener, wake_fd;
	void (*wake)(void *ctx);
	void *ctx;
	pthread_t receiver;
	atomic_int done, left;
};

static void sup_nudge(int sig)
{
	(void)sig;
}

static void *sup_watcher(void *arg)
{
	struct sup_watch *w = arg;

	for (;;) {
		struct pollfd pfd[2] = { { .fd = w->listener, .events = 0 },
					 { .fd = w->wake_fd, .events = POLLIN } };

		if (poll(pfd, w->wake_fd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR)
			break;
		if (w->wake_fd >= 0 && (pfd[1].revents & POLLIN))
			w->wake(w->ctx);
		if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL))
			break;          /* no process uses the filter any more */
	}
	atomic_store(&w->done, 1);
	/* the receiver usually leaves at once (its receive fails when the
	 * last user goes): look again soon before nudging it once more, a
	 * fixed 1 ms was a millisecond on every run's way out */
	for (useconds_t pause = 20; !atomic_load(&w->left); pause = pause < 1000 ? pause * 2 : 1000) {
		pthread_kill(w->receiver, SIGUSR1);
		usleep(pause);
	}
	return NULL;
}

/*
 * Once the last process using the filter is gone, the receive fails at once
 * with ENOENT, again and again: the receiver would spin, and on a busy CPU
 * hold off the watcher, whose poll reports the same hang-up, for a whole
 * time slice (3-4 ms measured at every run's end).  The listener's poll
 * tells the two ENOENTs apart: a caller that died between its wake-up and
 * our receive leaves the filter in use.
 */
static bool sup_orphaned(int listener)
{
	struct pollfd p = { .fd = listener, .events = 0 };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR | POLLNVAL));
}

int fg_sup_serve(struct fg_sup *s, int listener, int wake_fd, void (*wake)(void *ctx),
		 void *ctx)
{
	struct sup_watch w = { .listener = listener, .wake_fd = wake_fd, .wake = wake, .ctx = ctx,
			       .receiver = pthread_self() };
	struct sigaction sa = { .sa_handler = sup_nudge };     /* no SA_RESTART */
	pthread_t t;
	int rc = 0;

	s->listener = listener;
	ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
	umask(0);               /* creations get the caller's umask, applied by hand */
	sigaction(SIGUSR1, &sa, NULL);
	if (pthread_create(&t, NULL, sup_watcher, &w) != 0)
		return -EAGAIN;
	while (!atomic_load(&w.done)) {
		memset(s->req, 0, s->req_size);
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, s->req) < 0) {
			if (errno == ENOENT && sup_orphaned(listener))
				break;
			if (errno == EINTR || errno == ENOENT)
				continue;
			rc = -errno;
			break;
		}
		handle(s);
		fg_sup_as_self();       /* whatever path the call took */
	}
	fg_sup_as_self_full();
	atomic_store(&w.left, 1);
	if (rc < 0)
		pthread_cancel(t);
	pthread_join(t, NULL);
	return rc;
}
