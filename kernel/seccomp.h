/* seccomp.h - a seccomp filter refusing by integer arguments what the policy never allows.
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
 * Installed by `fleetguard run` just before it execs the agent, inherited by
 * every descendant, and the same for every caller in the process (a filter
 * sees no return address), so code that skips the library meets it too.
 * What it refuses, with [network] mode = enforce:
 *
 *   socket() family other than AF_UNIX, AF_INET, AF_INET6, AF_NETLINK  EACCES
 *     (AF_VSOCK, AF_PACKET, AF_BLUETOOTH, ...)
 *   AF_INET/AF_INET6 type other than stream or datagram (SOCK_RAW,   EACCES
 *     SOCK_PACKET, SOCK_SEQPACKET: SCTP)
 *   stream with protocol other than 0 or TCP (SCTP)                   EACCES
 *   stream with IPPROTO_MPTCP (Landlock judges TCP only; programs     EPROTONOSUPPORT
 *     fall back to plain TCP on this errno)
 *   datagram when no [network] allow rule (dns = yes included) names  EACCES
 *     an IP destination; otherwise datagram with a protocol other
 *     than 0 or UDP (ICMP "ping" sockets, UDP-Lite)
 *   io_uring_setup (IORING_OP_SOCKET would skip this filter)          ENOSYS
 *
 * and always (with the filter at all):
 *
 *   calls of another architecture (i386 int 0x80, x32) ENOSYS: they
 *     would bypass every number-based rule
 *   the mount family (mount, umount2, move_mount, open_tree, fsopen,  EPERM
 *     fsconfig, fsmount, fspick, mount_setattr, pivot_root): masks
 *     stay in place
 *   open_by_handle_at (opens by inode, past masks and paths)          EPERM
 *   the sealed policy (FG_SEAL_FD, policy/seal.h) kept in place:
 *     close, dup2, dup3 onto it; fcntl F_SETFD and ioctl FIOCLEX on it EBADF
 *     close_range spanning it (libc falls back to one close at a time) ENOSYS
 *
 * Functions return 0 or a negative errno unless said otherwise.
 */
#ifndef FLEETGUARD_KERNEL_SECCOMP_H
#define FLEETGUARD_KERNEL_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/policy.h"

struct fg_sc_prog;

/* Build the filter for p.  NULL in *out (and 0) when the build has no BPF
 * for this architecture (then nothing can be refused; -ENOSYS). */
int fg_sc_build(const struct fg_policy *p, struct fg_sc_prog **out);
void fg_sc_free(struct fg_sc_prog *prog);

/* True when the filter refuses datagram sockets outright. */
bool fg_sc_refuses_datagrams(const struct fg_policy *p);

/* Sets no_new_privs (if not yet) and installs the filter on the calling
 * thread (its children inherit it). */
int fg_sc_apply(const struct fg_sc_prog *prog);

#endif /* FLEETGUARD_KERNEL_SECCOMP_H */
