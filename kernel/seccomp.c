/* seccomp.c - builds and installs the seccomp filter for socket types and the mount family.
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
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel/seccomp.h"
#include "policy/seal.h"

#define FG_SC_SEAL_FD FG_SEAL_FD

#if defined(__x86_64__)
#define SC_ARCH AUDIT_ARCH_X86_64
#define SC_X32_BIT 0x40000000U
#elif defined(__aarch64__)
#define SC_ARCH AUDIT_ARCH_AARCH64
#endif

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

#define SC_MAX 128

struct fg_sc_prog {
	struct sock_filter f[SC_MAX];
	unsigned short n;
	int err;
};

static void emit(struct fg_sc_prog *p, struct sock_filter ins)
{
	if (p->n == SC_MAX) {
		p->err = -E2BIG;
		return;
	}
	p->f[p->n++] = ins;
}

static void ret(struct fg_sc_prog *p, uint32_t action)
{
	emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, action));
}

static uint32_t fail(int err)
{
	return SECCOMP_RET_ERRNO | ((uint32_t)err & SECCOMP_RET_DATA);
}

/* if (acc == k) return action; */
static void when(struct fg_sc_prog *p, uint32_t k, uint32_t action)
{
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, 0, 1));
	ret(p, action);
}

/* Load the low 32 bits of argument i (the socket calls take ints). */
static void load_arg(struct fg_sc_prog *p, unsigned i)
{
	emit(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					     offsetof(struct seccomp_data, args[i])));
}

bool fg_sc_refuses_datagrams(const struct fg_policy *p)
{
	if (p->net.mode != FG_MODE_ENFORCE)
		return false;
	for (size_t i = 0; i < p->net.nallow; i++)
		if (p->net.allow[i].kind != FG_NET_UNIX)
			return false;
	return true;
}

static const long mount_family[] = {
	SYS_mount, SYS_umount2, SYS_pivot_root, SYS_open_by_handle_at,
#ifdef SYS_move_mount
	SYS_move_mount, SYS_open_tree, SYS_fsopen, SYS_fsconfig, SYS_fsmount, SYS_fspick,
#endif
#ifdef SYS_mount_setattr
	SYS_mount_setattr,
#endif
};

/* --- the sealed policy ----------------------------------------------------- */

/* if (nr == k) { if (arg a == v [and arg b has bits m]) return action; return ALLOW; }
 * (m == 0: no second test).  Nothing else in this filter looks at these calls. */
static void fd_rule(struct fg_sc_prog *p, long nr, unsigned a, uint32_t v, unsigned b, uint32_t m,
		    uint32_t action, bool set)
{
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0,
					     m ? 6 : 4));
	load_arg(p, a);
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, v, 0, m ? 3 : 1));
	if (m) {
		load_arg(p, b);
		emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | (set ? BPF_JSET : BPF_JEQ) | BPF_K,
						     m, 0, 1));
	}
	ret(p, action);
	ret(p, SECCOMP_RET_ALLOW);
}

/* The sealed policy at FG_SC_SEAL_FD stays where it is, open across exec:
 * close, dup2 and dup3 onto it EBADF; F_SETFD with FD_CLOEXEC and FIOCLEX
 * on it EBADF; close_range spanning it ENOSYS (libc then closes one by one,
 * and that close of the seal is refused). */
static void seal_rules(struct fg_sc_prog *p)
{
	fd_rule(p, SYS_close, 0, FG_SC_SEAL_FD, 0, 0, fail(EBADF), false);
#ifdef SYS_dup2
	fd_rule(p, SYS_dup2, 1, FG_SC_SEAL_FD, 0, 0, fail(EBADF), false);
#endif
	fd_rule(p, SYS_dup3, 1, FG_SC_SEAL_FD, 0, 0, fail(EBADF), false);
	fd_rule(p, SYS_fcntl, 0, FG_SC_SEAL_FD, 1, F_SETFD, fail(EBADF), false);
	fd_rule(p, SYS_ioctl, 0, FG_SC_SEAL_FD, 1, FIOCLEX, fail(EBADF), false);
#ifdef SYS_close_range
	/* first <= seal <= last */
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_close_range, 0, 6));
	load_arg(p, 0);
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, FG_SC_SEAL_FD, 3, 0));
	load_arg(p, 1);
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, FG_SC_SEAL_FD, 0, 1));
	ret(p, fail(ENOSYS));
	ret(p, SECCOMP_RET_ALLOW);
#endif
}

/* socket(): the block reached with the accumulator holding the number. */
static void socket_rules(struct fg_sc_prog *p, bool datagrams)
{
	load_arg(p, 0);
	when(p, AF_UNIX, SECCOMP_RET_ALLOW);
	when(p, AF_NETLINK, SECCOMP_RET_ALLOW);
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET, 2, 0));
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, 1, 0));
	ret(p, fail(EACCES));
	load_arg(p, 1);
	emit(p, (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xf));
	/* stream: 8 instructions follow the test */
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SOCK_STREAM, 0, 8));
	load_arg(p, 2);
	when(p, 0, SECCOMP_RET_ALLOW);
	when(p, IPPROTO_TCP, SECCOMP_RET_ALLOW);
	when(p, IPPROTO_MPTCP, fail(EPROTONOSUPPORT));
	ret(p, fail(EACCES));
	/* datagram */
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SOCK_DGRAM, 0,
					     datagrams ? 6 : 1));
	if (datagrams) {
		load_arg(p, 2);
		when(p, 0, SECCOMP_RET_ALLOW);
		when(p, IPPROTO_UDP, SECCOMP_RET_ALLOW);
	}
	ret(p, fail(EACCES));
	ret(p, fail(EACCES));   /* raw, packet, seqpacket, ... */
}

int fg_sc_build(const struct fg_policy *pol, struct fg_sc_prog **out)
{
#ifdef SC_ARCH
	struct fg_sc_prog *p = calloc(1, sizeof(*p));
	bool net = pol->net.mode == FG_MODE_ENFORCE;

	*out = NULL;
	if (p == NULL)
		return -ENOMEM;
	emit(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					     offsetof(struct seccomp_data, arch)));
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SC_ARCH, 1, 0));
	ret(p, fail(ENOSYS));
	emit(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					     offsetof(struct seccomp_data, nr)));
#ifdef SC_X32_BIT
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, SC_X32_BIT, 0, 1));
	ret(p, fail(ENOSYS));
#endif
	for (size_t i = 0; i < sizeof(mount_family) / sizeof(mount_family[0]); i++)
		when(p, (uint32_t)mount_family[i], fail(EPERM));
	seal_rules(p);
	if (net) {
#ifdef SYS_io_uring_setup
		when(p, SYS_io_uring_setup, fail(ENOSYS));
#endif
		emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 1, 0));
		ret(p, SECCOMP_RET_ALLOW);
		socket_rules(p, !fg_sc_refuses_datagrams(pol));
	} else {
		ret(p, SECCOMP_RET_ALLOW);
	}
	if (p->err < 0) {
		int rc = p->err;

		free(p);
		return rc;
	}
	*out = p;
	return 0;
#else
	(void)pol;
	*out = NULL;
	return -ENOSYS;
#endif
}

void fg_sc_free(struct fg_sc_prog *prog)
{
	free(prog);
}

int fg_sc_apply(const struct fg_sc_prog *prog)
{
	struct sock_fprog fp = { .len = prog->n, .filter = (struct sock_filter *)prog->f };

	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 &&
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) < 0)
		return -errno;
	return 0;
}
