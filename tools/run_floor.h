/* run_floor.h - what `fleetguard run` sets up under Landlock: masking and the seccomp filter.
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
 * Three steps, called by confine() in cmd_run.c:
 *   run_floor_pick   before the `landlock` record: decides the mechanism for
 *                    this host and policy, prints it in one line, dies (126)
 *                    when kernel = on needs a floor the host cannot give;
 *   run_floor_enter  after the audit daemon is forked (it keeps the host's
 *                    view) and before Landlock: the namespaces and covers;
 *   run_floor_seal   after Landlock, just before exec: the seccomp filter.
 */
#ifndef FLEETGUARD_TOOLS_RUN_FLOOR_H
#define FLEETGUARD_TOOLS_RUN_FLOOR_H

#include <stdbool.h>
#include <stddef.h>

#include "audit/audit.h"
#include "kernel/landlock.h"
#include "kernel/mask.h"
#include "kernel/seccomp.h"
#include "policy/policy.h"

/* --floor: how the deny paths inside read or write trees are held. */
enum run_floor_want { RUN_FLOOR_AUTO = 0, RUN_FLOOR_MASKING, RUN_FLOOR_SUPERVISOR };

struct run_floor {
	const char *mech;            /* "masking", "supervisor", "seccomp" or "none": the log's "floor" */
	size_t masked;               /* paths masked or supervised */
	struct fg_mask_plan *mask;   /* the deny paths inside trees (NULL: none) */
	bool masking, supervise;     /* the mechanism picked for them */
	bool net_sup;                /* socket destinations judged by the supervisor */
	struct fg_sc_prog *sc;       /* NULL: no filter */
	int sock;                    /* supervisor mode: the agent's end of the socketpair */
	struct fg_audit *audit;      /* the launcher's audit writer (kernel/start.c kept
				      * it): the supervisor's records go down it */
	int ruleset;                 /* the Landlock ruleset built before the fork, or -1 */
	int handed;                  /* supervisor mode: the number the agent's audit
				      * connection takes (FG_AUDIT_HANDOVER_ENV names
				      * it from before the fork), or -1 */
};

/* Parses "auto", "masking" or "supervisor"; -EINVAL otherwise. */
int run_floor_want_of(const char *arg, enum run_floor_want *out);

void run_floor_pick(const struct fg_policy *p, const char *audit_log, enum run_floor_want want,
		    bool quiet, struct run_floor *f);
/* Supervisor mode: the calling process forks; the child returns (it goes
 * on to become the agent), the parent supervises and exits with the
 * agent's status.  agent and exe name the supervisor's records.  In the
 * process that goes on, a connection to the audit daemon is made for the
 * agent's image (before any filter traps its connect) and named in
 * FG_AUDIT_HANDOVER_ENV. */
void run_floor_enter(const struct fg_policy *p, struct run_floor *f, const struct fg_ll_own *own,
		     size_t nown, const char *agent, const char *exe);
void run_floor_seal(const struct fg_policy *p, struct run_floor *f);

/* True when a Landlock note names something masking now holds. */
bool run_floor_covers_note(const struct run_floor *f, const char *msg);

#endif /* FLEETGUARD_TOOLS_RUN_FLOOR_H */
