/* landlock.h - a loaded policy as a Landlock ruleset, and applying it.
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
 * Used by `fleetguard run` (before it execs the agent) and by the shim's
 * constructor (shim/kernel_glue.c).  A plan is built once from a policy:
 *
 *   read trees (and the system set)  read file, read dir, execute
 *   write trees                      the above plus write file, make
 *                                    (except block devices) and remove
 *                                    entries, refer (ABI >= 2) and truncate
 *                                    (ABI >= 3)
 *   deny inside a read-only tree     the tree is "carved": each directory on
 *                                    the way down to the denied path gets
 *                                    only read-dir, its other entries get
 *                                    the tree's rights, the denied path none
 *   deny inside a write tree         shim-only (a note says so): Landlock
 *                                    cannot take back part of a tree it
 *                                    grants, and carving a write tree would
 *                                    forbid new names in its top directory
 *   fleetguard's own files           the audit directory: nothing (the audit
 *                                    daemon appends for the domain); the
 *                                    breaker state directory: what the
 *                                    breaker needs; the policy and the
 *                                    library: read
 *   [network] allow, ABI >= 4        TCP connect and bind limited to the
 *                                    allowed ports (plus bind to port 0),
 *                                    only when every TCP rule names a port
 *   ABI >= 6                         signals and abstract UNIX sockets scoped
 *                                    to the domain (abstract sockets only
 *                                    when the policy allows none)
 *
 * Functions return 0 or a negative errno unless said otherwise.  Nothing
 * here prints: notes go through the caller's callback.
 */
#ifndef FLEETGUARD_KERNEL_LANDLOCK_H
#define FLEETGUARD_KERNEL_LANDLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

/* The highest Landlock ABI this code knows; newer kernels are used as this. */
#define FG_LL_ABI_KNOWN 7

/* The environment marker: set to the plan's digest once a process applied
 * it, or to "unavailable" when the kernel has no Landlock (kernel = auto).
 * It is trusted only when fg_ll_confined() confirms a domain. */
#define FG_LL_MARKER "FLEETGUARD_LANDLOCK"
#define FG_LL_UNAVAILABLE "unavailable"

/* fleetguard's own paths that the confined process must keep using. */
enum fg_ll_own_kind {
	FG_LL_OWN_AUDIT_DIR = 0,  /* the audit log's directory: no right (the daemon appends) */
	FG_LL_OWN_STATE_DIR,      /* the breaker state directory: create, map, replace */
	FG_LL_OWN_READ,           /* a file read at start-up: policy, library */
};

struct fg_ll_own {
	const char *path;
	enum fg_ll_own_kind kind;
};

/* Notes: what the kernel will not enforce, and why.  debug notes are for
 * FLEETGUARD_DEBUG only. */
typedef void (*fg_ll_note_fn)(void *ctx, bool debug, const char *msg);

struct fg_ll_plan;

/* fleetguard's own paths for p, the same wherever they are computed (so
 * fleetguard run and the shim build the same plan): the audit log's
 * canonical directory (may be NULL), the policy file, the
 * preloaded library (may be NULL), and with endpoints the boot id and the
 * breaker state directory (may be NULL; fg_bk_state_dir() names the one
 * the breaker will use).  own needs room for FG_LL_OWN_MAX entries and
 * keeps pointers to the strings; returns how many were filled. */
#define FG_LL_OWN_MAX 5
size_t fg_ll_own_list(const struct fg_policy *p, const char *audit_dir, const char *library,
		      const char *state_dir, struct fg_ll_own *own);

/* The raw system call to use (the shim passes fg_syscall, whose name
 * cannot be captured by its own syscall() hook).  Default: libc's. */
void fg_ll_set_syscall(long (*fn)(long nr, ...));

/* The kernel's Landlock ABI version (>= 1), or -ENOSYS (not built in),
 * -EOPNOTSUPP (built in but disabled at boot) or another -errno. */
int fg_ll_abi(void);

/* Build the plan for policy p under abi (capped at FG_LL_ABI_KNOWN).
 * own lists fleetguard's paths (may be NULL with nown 0).  Directories of
 * carved trees are read now.  -ENOMEM, or -E2BIG if carving needs more
 * than a few thousand rules. */
int fg_ll_plan_new(const struct fg_policy *p, int abi, const struct fg_ll_own *own,
		   size_t nown, fg_ll_note_fn note, void *ctx, struct fg_ll_plan **out);

void fg_ll_plan_free(struct fg_ll_plan *pl);

/* Grant the making of socket files (bind of a pathname UNIX socket)
 * nowhere: under the supervisor it binds them itself, on a copy of the
 * address it judged, so the agent's own bind of a name must fail. */
void fg_ll_plan_no_sockets(struct fg_ll_plan *pl);

/* True when the plan restricts nothing ([filesystem] and [network] modes
 * are report or off): there is nothing to apply. */
bool fg_ll_plan_empty(const struct fg_ll_plan *pl);

/* 16 hex digits naming what the plan enforces (from the policy's trees,
 * rights, ports and scopes, not from the directory listings). */
const char *fg_ll_plan_digest(const struct fg_ll_plan *pl);

/* The ABI the plan was built for, and the number of path and port rules. */
int fg_ll_plan_abi(const struct fg_ll_plan *pl);
size_t fg_ll_plan_rules(const struct fg_ll_plan *pl);

/* Make the write trees of p that do not exist (mkdir -p, as the agent's
 * user): Landlock grants rights to inodes, so a tree made after the
 * ruleset would get none, and the kernel would refuse what the policy
 * allows.  Only with [filesystem] mode = enforce; system-set and denied
 * trees are left alone.  A tree that cannot be made is noted (not debug).
 * Call it right before fg_ll_apply().  Returns how many could not be made. */
int fg_ll_make_write_trees(const struct fg_policy *p, fg_ll_note_fn note, void *ctx);

/* Confine the calling thread (and what it execs) for good: sets
 * no_new_privs, builds the ruleset and restricts itself.  Paths that do not
 * exist are skipped.  Call it before creating threads. */
int fg_ll_apply(const struct fg_ll_plan *pl);

/* fg_ll_apply in two steps, so that a caller can build the ruleset while
 * it waits for something else (the audit daemon's answer): fg_ll_prepare
 * returns the ruleset's descriptor (close-on-exec) with every rule in, or
 * a negative errno (nothing left open); fg_ll_restrict(fd) sets
 * no_new_privs, confines the calling thread with it and closes it (a
 * negative fd is returned as is). */
int fg_ll_prepare(const struct fg_ll_plan *pl);
int fg_ll_restrict(int rfd);

/* 1 when some Landlock domain refuses to make a block device (every plan
 * handles that right and grants it nowhere, whatever the policy), else 0. */
int fg_ll_confined(void);

#endif /* FLEETGUARD_KERNEL_LANDLOCK_H */
