/* mask.h - hides denied paths inside read and write trees behind empty mounts.
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
 * Landlock only grants, so a deny inside a read or write tree cannot be
 * said to it.  `fleetguard run` says it with mounts instead: before the
 * agent starts it enters a new mount namespace (and, when not root, a new
 * user namespace whose only mapping is the caller's own uid and gid, so the
 * agent is not root inside) and covers
 *
 *   a denied directory            an empty tmpfs, mode 000, read-only
 *   a denied file                 a mode-000 socket inode (bind mount):
 *                                 opening it fails, for root too (ENXIO)
 *   the audit log's directory     an empty tmpfs, mode 0111, read-only,
 *   (when it lies in a tree)      with only the daemon's socket bound in
 *   the HMAC key file (in a tree) the same as a denied file
 *
 * Nothing is checked per call: what the agent opens by any means (raw
 * system calls, static binaries, io_uring) resolves to the empty mounts.
 * The mounts cannot be undone from inside: the caller installs a seccomp
 * filter refusing the mount family (kernel/seccomp.h) and Landlock refuses
 * mount changes to any process in a domain.
 *
 * Functions return 0 or a negative errno unless said otherwise; nothing
 * here prints.
 */
#ifndef FLEETGUARD_KERNEL_MASK_H
#define FLEETGUARD_KERNEL_MASK_H

#include <stddef.h>

#include "policy/policy.h"

struct fg_mask_plan;

/* The paths to cover for policy p: every deny path lying strictly inside a
 * read or write tree (a deny inside another covered deny is left out), the
 * key file and audit_dir (may be NULL) when they lie in a tree.  audit_sock
 * (may be NULL) is the daemon's socket inside audit_dir, kept reachable.
 * Paths that do not exist now are left out (nothing to cover). */
int fg_mask_plan_new(const struct fg_policy *p, const char *audit_dir, const char *audit_sock,
		     struct fg_mask_plan **out);
void fg_mask_plan_free(struct fg_mask_plan *pl);

/* Keep file (the policy) read-only in the namespace when it lies in a write
 * tree of p: bound onto itself, remounted read-only (not counted as
 * covered; a file missing now is left alone). */
int fg_mask_plan_keep_ro(struct fg_mask_plan *pl, const struct fg_policy *p, const char *file);

/* How many paths the plan covers, and the i-th. */
size_t fg_mask_plan_count(const struct fg_mask_plan *pl);
const char *fg_mask_plan_path(const struct fg_mask_plan *pl, size_t i);

/* 1 when this process could enter the namespaces fg_mask_apply() needs
 * (tried in a short-lived child), else 0; *err gets the child's errno. */
int fg_mask_available(int *err);

/* Enter the namespaces and mount the covers.  Call it single-threaded,
 * after forking anything that must keep the host's view (the audit daemon)
 * and before Landlock.  On failure the process may already be in the new
 * namespaces with some covers in place; the caller must not run the agent
 * as though masking held. */
int fg_mask_apply(const struct fg_mask_plan *pl);

#endif /* FLEETGUARD_KERNEL_MASK_H */
