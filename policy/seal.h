/* seal.h - a parsed policy compiled once into a sealed memfd, and mapped back.
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
 * The first fleetguard process of a tree (the launcher, or the first
 * preloaded process) parses the INI file and expands its variables once;
 * fg_seal_create() then writes the result into a memfd as one
 * position-independent blob (offsets, never pointers; a format version; a
 * checksum) and seals it against every change (F_SEAL_WRITE, F_SEAL_SHRINK,
 * F_SEAL_GROW, F_SEAL_SEAL).  Descendants inherit that descriptor at
 * FG_SEAL_FD and call fg_seal_open(): it trusts nothing about the
 * descriptor until it has checked that it is a memfd with exactly those
 * seals, the format version, every offset and the checksum, and maps it
 * read-only.  Strings of the resulting policy point into the mapping; only
 * the rule arrays are rebuilt.  The path index travels built: its slots
 * stay in the mapping, its nodes get pointers in one pass, after every
 * reference, hash and slot in it has been checked.
 *
 * The blob holds a policy as the parser produced it, with every ${...}
 * already expanded: a descendant never reads the INI file, HOME, TMPDIR or
 * FLEETGUARD_POLICY.  This module knows nothing of interposition.
 */
#ifndef FLEETGUARD_POLICY_SEAL_H
#define FLEETGUARD_POLICY_SEAL_H

#include <stddef.h>

#include "policy/policy.h"

/* The descriptor number every process of a sealed tree holds the policy
 * at: below the usual soft limit of 1024, above what programs use. */
#define FG_SEAL_FD 1021

/* The environment hint that a tree is sealed: a process that sees it and no
 * valid seal at FG_SEAL_FD fails closed.  Only a hint: its absence never
 * makes an invalid descriptor acceptable. */
#define FG_SEAL_ENV "FLEETGUARD_SEALED"

/* The blob's format version; fg_seal_open refuses any other. */
#define FG_SEAL_VERSION 6u

/* The seals a policy memfd carries, exactly. */
#define FG_SEAL_SEALS (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

/* Largest blob accepted (a policy file is at most FG_POLICY_MAX_SIZE). */
#define FG_SEAL_MAX_SIZE (8u * 1024 * 1024)

/*
 * Compile p (and sha256, the policy file's hex digest, or NULL) into a new
 * sealed memfd.  Returns the descriptor, close-on-exec (the caller dup2()s
 * it to FG_SEAL_FD, which descendants inherit), or -errno (-ENOMEM, -E2BIG,
 * or what memfd_create, write or fcntl said).
 */
int fg_seal_create(const struct fg_policy *p, const char *sha256);

/*
 * Before sealing: when the audit log's directory exists, write the log's
 * path over its canonical form (realpath of the directory, then the base
 * name) and set p->audit.log_canonical, so that no descendant resolves
 * it again (a readlink per component in every process).  The seal is out
 * of the agent's reach; a directory made later (the daemon makes it) is
 * resolved by each process as before.  Returns 0, or -ENOMEM.
 */
int fg_seal_canonical_log(struct fg_policy *p);

/*
 * Check that fd is a sealed policy memfd (memfd, exactly FG_SEAL_SEALS,
 * format version, bounds, checksum) and map it read-only.  On success sets
 * *out to a policy whose strings live in the mapping and *sha256 (may be
 * NULL) to the stored digest ("" if none), and returns 0.  Otherwise returns
 * -EBADF (no such descriptor), -EINVAL (not a sealed memfd: wrong seals),
 * -EPROTO (another format version) or -EBADMSG (corrupt), and writes a short
 * reason into why (size whylen).
 */
int fg_seal_open(int fd, struct fg_policy **out, const char **sha256, char *why, size_t whylen);

/* Free a policy from fg_seal_open and unmap its blob. */
void fg_seal_close(struct fg_policy *p);

#endif /* FLEETGUARD_POLICY_SEAL_H */
