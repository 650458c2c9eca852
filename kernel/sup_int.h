/* sup_int.h - what the supervisor's parts share: its state and the helpers that read, judge and answer a call.
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
 * Private to kernel/: supervisor.c serves the listener and answers path
 * calls, sup_net.c answers socket calls.  One thread receives; socket calls
 * that may block are finished by a worker thread, so everything a worker
 * touches here is either its own or taken under rec_lock.
 */
#ifndef FLEETGUARD_KERNEL_SUP_INT_H
#define FLEETGUARD_KERNEL_SUP_INT_H

#include <linux/seccomp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "kernel/supervisor.h"

struct fg_sup {
	const struct fg_policy *p;
	const struct fg_ll_own *own;
	size_t nown;
	fg_sup_record_fn rec;
	void *ctx;
	pthread_mutex_t rec_lock;       /* records and the worker count */
	unsigned workers;               /* socket calls still being finished */
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	size_t req_size, resp_size;
	int listener;
	int root_fd;            /* the callers' root when it is the supervisor's, or -1 */
	bool own_hit;           /* this call touched one of fleetguard's files */
	bool cred_vary;         /* callers' credentials may differ from the supervisor's */
};

/* Copy a NUL-terminated string of at most cap bytes from tid at addr. */
int fg_sup_read_str(int tid, uint64_t addr, char *out, size_t cap);

/* Copy exactly len bytes from tid at addr (-EFAULT when short). */
int fg_sup_read_mem(int tid, uint64_t addr, void *out, size_t len);

/* Answer notification id with -err (err > 0) or with val (err == 0);
 * safe from any thread.  -ENOENT: the caller is gone. */
int fg_sup_answer(const struct fg_sup *s, uint64_t id, int err, int64_t val);

/* Hand one decision to the record callback, from any thread. */
void fg_sup_emit(struct fg_sup *s, const struct fg_sup_event *ev);

/* The caller's base directory for path (its root for absolute paths, else
 * its cwd or dirfd) as an O_PATH descriptor; *in_root tells which. */
int fg_sup_base(const struct fg_sup *s, int tid, int dirfd, const char *path, bool *in_root);
/* Let go of what fg_sup_base gave (the shared root is lent, not closed). */
void fg_sup_base_put(const struct fg_sup *s, int fd);

/* The path of what fd holds, the caller's /proc/<tid> named /proc/self. */
int fg_sup_fd_name(int fd, int tid, char *out, size_t cap);

/* The caller's umask (from /proc/<tid>/status, once per call when its
 * credentials were read; 022 if unreadable). */
mode_t fg_sup_caller_umask(const struct fg_sup *s, int tid);

/* "/proc/self/fd/N", "/proc/thread-self/fd/N", "/dev/fd/N", "/dev/stdin"...:
 * the caller's own descriptor N, or -1. */
int fg_sup_own_fd(const char *path);

/* Judge a resolved path for acc (FG_ACC_*), fleetguard's own files first;
 * *line is the deciding policy line (0: none). */
bool fg_sup_judge(struct fg_sup *s, const char *path, unsigned acc, unsigned *line);

/* True when path lies in one of fleetguard's own trees of kind. */
bool fg_sup_in_own(const struct fg_sup *s, const char *path, enum fg_ll_own_kind kind);

/* Metadata calls (sup_attr.c): chmod, chown, utimes, xattrs and
 * inotify_add_watch by path; true when nr is one sup_attr answers. */
bool fg_sup_attr_traps(long nr);
void fg_sup_attr_handle(struct fg_sup *s);
/* The numbers the path filter traps for sup_attr.c, and how many. */
extern const long fg_sup_attr_nrs[];
extern const size_t fg_sup_attr_n;

/* Socket calls (sup_net.c): true when nr is one sup_net answers. */
bool fg_sup_net_traps(long nr);
/* Answer the socket call in s->req (it may finish on a worker thread). */
void fg_sup_net_handle(struct fg_sup *s);
/* bind, trapped with the path family: a UNIX socket's name is judged as a
 * creation and bound here, on the caller's socket, with the copy judged. */
void fg_sup_bind_handle(struct fg_sup *s);

/* Credentials (sup_cred.c).  Supplementary groups kept per caller: more
 * and the call is refused (EOVERFLOW). */
#define FG_SUP_GROUPS_MAX 4096
/* Read the supervisor's own; 0 or -errno. */
int fg_sup_cred_init(struct fg_sup *s);
/* The numbers the path filter hands over (answered "continue") because
 * they may change the caller's credentials; prctl and clone are trapped
 * for some arguments only (fg_sup_install). */
const long *fg_sup_cred_nrs(size_t *n);
bool fg_sup_cred_traps(long nr);
void fg_sup_cred_handle(struct fg_sup *s);
/* Before a step the kernel checks with the caller's credentials (open,
 * create, rename, chmod, bind...): take those of the notification's
 * caller tid on this thread (nothing when they cannot differ).  0, or
 * -errno to answer (-ESRCH: the caller is gone). */
int fg_sup_as_caller(const struct fg_sup *s, int tid);
/* Before a step that is the supervisor's own look into a caller (reading
 * its memory, /proc/<tid>/fd, pidfd_getfd): its own capabilities (the
 * caller's file ids may stay: those checks pass on CAP_SYS_PTRACE). */
void fg_sup_as_self(void);
/* Before anything else of its own (records, leaving): all of its own. */
void fg_sup_as_self_full(void);
/* True when the caller of the notification being served holds other
 * credentials than the supervisor (known after fg_sup_as_caller). */
bool fg_sup_cred_differ(const struct fg_sup *s);
/* The caller's umask when its credentials were read for this call. */
bool fg_sup_cred_umask(const struct fg_sup *s, mode_t *out);

/* The one reader of /proc/<tid>/status (tid 0: this thread, -1: this
 * process): one read into buf after a '\n', so that every field is found
 * as "\nName:", NUL-terminated; the length read, or -errno.  cached: through
 * the descriptors kept per thread (the serving thread only; a failed read
 * is -errno).  Not cached: opened, read and closed; a read that fails after
 * the open leaves the text empty (0). */
ssize_t fg_sup_status(int tid, char *buf, size_t cap, bool cached);
/* The text after "\nName:" in such a buffer (the blanks before the value
 * left to strtoul), or NULL. */
const char *fg_sup_status_field(const char *buf, const char *name);
/* n decimal numbers from t (NULL: none) into v; false when one is missing
 * or out of range. */
bool fg_sup_status_nums(const char *t, unsigned long *v, int n);

#endif /* FLEETGUARD_KERNEL_SUP_INT_H */
