/* no_floor.c - runs CMD as on a host without mount namespaces or without seccomp user notification or ADDFD.
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
 * usage: no_floor [--no-userns] [--no-notif] [--no-addfd] CMD [ARG...]
 * A seccomp filter answers as such a kernel or container would:
 *   --no-userns  unshare() of a user or mount namespace: EPERM (a container)
 *   --no-notif   seccomp() asking for a listener: EINVAL (Linux < 5.0)
 *   --no-addfd   ioctl SECCOMP_IOCTL_NOTIF_ADDFD: ENOTTY (Linux < 5.9)
 * Test use only.
 */
#include "config.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LD_NR BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
#define LD_ARG(i) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[i]))
#define RET_ERR(e) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (e))

int main(int argc, char **argv)
{
	struct sock_filter f[32];
	struct sock_fprog prog = { .filter = f };
	const unsigned addfd = (unsigned)SECCOMP_IOCTL_NOTIF_ADDFD;
	unsigned short n = 0;
	int i = 1;

	f[n++] = (struct sock_filter)LD_NR;
	for (; i < argc && strncmp(argv[i], "--no-", 5) == 0; i++) {
		/* each block: if (nr == X && arg test) return error; */
		if (strcmp(argv[i], "--no-userns") == 0) {
			f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_unshare, 0, 4);
			f[n++] = (struct sock_filter)LD_ARG(0);
			f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K,
							      CLONE_NEWNS | CLONE_NEWUSER, 0, 1);
			f[n++] = (struct sock_filter)RET_ERR(EPERM);
			f[n++] = (struct sock_filter)LD_NR;
		} else if (strcmp(argv[i], "--no-notif") == 0) {
			f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_seccomp, 0, 4);
			f[n++] = (struct sock_filter)LD_ARG(1);
			f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K,
							      SECCOMP_FILTER_FLAG_NEW_LISTENER, 0, 1);
			f[n++] = (struct sock_filter)RET_ERR(EINVAL);
			f[n++] = (struct sock_filter)LD_NR;
		} else if (strcmp(argv[i], "--no-addfd") == 0) {
			f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioctl, 0, 4);
			f[n++] = (struct sock_filter)LD_ARG(1);
			f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
							      addfd, 0, 1);
			f[n++] = (struct sock_filter)RET_ERR(ENOTTY);
			f[n++] = (struct sock_filter)LD_NR;
		} else {
			fprintf(stderr, "no_floor: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog.len = n;
	if (i >= argc) {
		fprintf(stderr, "usage: no_floor [--no-userns] [--no-notif] [--no-addfd] CMD [ARG...]\n");
		return 2;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
		fprintf(stderr, "no_floor: cannot install the seccomp filter: %s\n", strerror(errno));
		return 126;
	}
	execvp(argv[i], argv + i);
	fprintf(stderr, "no_floor: cannot run '%s': %s\n", argv[i], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
