/* supervisor.h - judges the agent's file opens from outside its domain through seccomp user notification.
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
 * Where no mount namespace can be had, `fleetguard run` keeps deny rules
 * inside read and write trees with a supervisor: the agent installs a
 * filter (before it execs, inherited by every descendant) that hands
 * open, openat, openat2 and creat to a listener; the supervisor, its
 * ancestor and outside its Landlock domain, answers each call (the names
 * of unlink, rmdir, mkdir, mknod, rename, link, symlink and truncate in all
 * their forms are handed over too, resolved and judged the same way, and
 * the supervisor performs the change itself on the directory it holds):
 *
 *  1. reads the path (and openat2's open_how) once into its own memory;
 *  2. checks the notification is still live (the tid may not be reused);
 *  3. resolves the path itself, relative to the caller's cwd or dirfd taken
 *     from /proc/<tid>, absolute paths inside the caller's root, with
 *     openat2(O_PATH, RESOLVE_NO_MAGICLINKS) (a caller's /proc/self/fd/N
 *     or /dev/fd/N is taken from its table by number instead);
 *  4. judges the path of the object it now holds (fg_policy_path, plus
 *     fleetguard's own files), never the string the caller could change;
 *  5. opens that same object again with the caller's flags (creating
 *     through the parent directory it resolved, under the caller's umask)
 *     and puts the descriptor into the caller with SECCOMP_IOCTL_NOTIF_ADDFD
 *     and SECCOMP_ADDFD_FLAG_SEND, or answers EACCES.
 *
 * Functions return 0 or a negative errno unless said otherwise.
 */
#ifndef FLEETGUARD_KERNEL_SUPERVISOR_H
#define FLEETGUARD_KERNEL_SUPERVISOR_H

#include <stdbool.h>
#include <stddef.h>

#include "kernel/landlock.h"
#include "policy/policy.h"

/* What the kernel offers (fg_sup_probe). */
#define FG_SUP_NOTIF 1   /* seccomp user notification (Linux 5.0) */
#define FG_SUP_ADDFD 2   /* SECCOMP_IOCTL_NOTIF_ADDFD with ..._FLAG_SEND (5.14) */
#define FG_SUP_GETFD 4   /* pidfd_open and pidfd_getfd (5.6): socket calls */

/* Probed in a short-lived child: the FG_SUP_* bits this kernel has. */
int fg_sup_probe(void);

/* One decision, for the audit log. */
struct fg_sup_event {
	const char *op;          /* "open", "unlink", "rmdir", "mkdir", "rename", "link",
				  * "symlink", "mknod", "truncate"; "connect", "sendto",
				  * "sendmsg", "sendmmsg" */
	const char *path;        /* the resolved path judged, or the address */
	bool addr;               /* path is an address ("host:port", "unix:/path") */
	const char *path2;       /* rename, link: the new name (else NULL) */
	int flags;               /* the caller's open flags (-1: not an open) */
	int tid;                 /* the calling thread */
	bool allow;
	unsigned line;           /* the deciding policy line, 0 if none */
	bool own;                /* one of fleetguard's own files decided */
	int result;              /* 0 or the errno answered */
};
typedef void (*fg_sup_record_fn)(void *ctx, const struct fg_sup_event *ev);

struct fg_sup;

/* A supervisor for p; own lists fleetguard's paths (as fg_ll_own_list
 * gives them) with the rights the library needs on them. */
int fg_sup_new(const struct fg_policy *p, const struct fg_ll_own *own, size_t nown,
	       fg_sup_record_fn rec, void *ctx, struct fg_sup **out);
void fg_sup_free(struct fg_sup *s);

/* The callers share the supervisor's root and cannot leave it (same mount
 * namespace; the path filter refuses chroot): absolute paths resolve from
 * the supervisor's own "/", one /proc walk fewer per call. */
int fg_sup_share_root(struct fg_sup *s);

/* The callers may hold other credentials than the supervisor from the
 * start (masking: the agent is in a user namespace of its own): each step
 * taken for a caller reads them first (kernel/sup_cred.c). */
void fg_sup_creds_vary(struct fg_sup *s);

/* What the trapping filter hands over: the path family (open, the name
 * changes above), and with FG_SUP_TRAP_NET the socket calls that name a
 * destination (connect, sendto with an address, sendmsg, sendmmsg): the
 * supervisor takes the caller's socket (pidfd_getfd), copies the address
 * and the data once, judges datagram and UNIX destinations (and TCP ports,
 * as Landlock would), and performs the call itself on that socket with
 * what it copied, answering with its result or EACCES. */
#define FG_SUP_TRAP_PATHS 1u
#define FG_SUP_TRAP_NET 2u

/* In the agent-to-be, after Landlock: install the trapping filter and
 * return the listener descriptor (>= 0) to hand to the supervisor. */
int fg_sup_install(unsigned traps);

/* In the supervisor: answer notifications on listener until no process
 * uses the filter any more (the kernel tells once those processes are
 * reaped: when wake_fd (may be -1) is readable, wake(ctx) runs, e.g. to
 * reap children).  Returns 0, or -errno if the listener broke. */
int fg_sup_serve(struct fg_sup *s, int listener, int wake_fd, void (*wake)(void *ctx),
		 void *ctx);

#endif /* FLEETGUARD_KERNEL_SUPERVISOR_H */
