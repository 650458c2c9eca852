/* start.h - bringing a process under its policy's Landlock ruleset: one bring-up for the constructor and fleetguard run.
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
 * fg_ll_start() is the whole sequence both callers need: probe the ABI,
 * open the audit log (its directory is one of fleetguard's own paths), list
 * the own paths, build the plan, and unless this process already runs in
 * that plan's domain write the "landlock" record, hand the log to an audit
 * daemon outside the domain, make the missing write trees, apply, and set
 * FLEETGUARD_LANDLOCK.  What differs between the callers is in struct
 * fg_ll_start: the words of a refusal, where notices go, extra record
 * fields, and whether an audit log that cannot be opened is fatal.
 */
#ifndef FLEETGUARD_KERNEL_START_H
#define FLEETGUARD_KERNEL_START_H

#include <stdbool.h>
#include <stddef.h>

#include "audit/audit.h"
#include "kernel/landlock.h"
#include "policy/policy.h"

struct fg_ll_start {
	const struct fg_policy *pol;
	const char *agent, *exe;        /* who writes the audit records */
	const char *library;            /* the preloaded library (read right); may be NULL */
	const char *marker;             /* FLEETGUARD_LANDLOCK as inherited; NULL: apply anew */
	const char *verb;               /* "start" or "run": "refusing to <verb> with ..." */
	bool audit_required;            /* under on_failure = deny, an audit log that
					 * cannot be opened stops the process */
	bool *audit_lost;               /* when it does not: set if the audit daemon
					 * could not be reached or refused (the reason
					 * left in err, for the caller to say); NULL:
					 * the reason is said */
	const struct fg_audit_field *extra;     /* more fields for the "landlock" record */
	size_t nextra;                  /* at most 4 */
	fg_ll_note_fn note;             /* notes about the plan (see fg_ll_plan_new) */
	void (*say)(void *ctx, const char *msg);        /* one notice line, no prefix */
	void (*applying)(void *ctx);    /* this process applies the plan: called before
					 * its record is written; may be NULL */
	void (*opened)(void *ctx, const char *log);
					/* the audit log is open (its path, or NULL without
					 * one): called before the plan is built; may be NULL */
	void (*entering)(void *ctx, const struct fg_ll_own *own, size_t nown, int ruleset);
					/* after the audit daemon started, just before the
					 * ruleset is applied, with fleetguard's own paths
					 * (fleetguard run sets up its floor there) and the
					 * ruleset's descriptor (-1 under build_late: not built
					 * yet); may be NULL */
	const bool *sup_binds;          /* true after opened(): pathname UNIX sockets are
					 * bound by the supervisor only (no socket file
					 * made in the domain); may be NULL */
	const bool *build_late;         /* true after opened(): the write trees and the
					 * ruleset are made after entering (inside the mount
					 * namespace it enters); may be NULL (before) */
	struct fg_audit **keep_audit;   /* may be NULL; else the audit writer this call
					 * opened (hello answered, registered as a process
					 * the daemon outlives, the landlock record in the
					 * log) is put here instead of closed, before
					 * entering is called (untouched when there is none:
					 * the caller sets it to NULL) */
	void *ctx;
};

enum fg_ll_started {
	FG_LL_NOT_CONFINED = 0, /* kernel = off, nothing to enforce, or (kernel = auto)
				 * Landlock missing or failing: the library alone */
	FG_LL_ALREADY,          /* already inside this plan's domain */
	FG_LL_APPLIED,          /* applied by this call */
};

/* Returns an enum fg_ll_started, or -1 with the reason in err when the
 * process must not go on (kernel = on without Landlock, an audit record
 * that cannot be written under on_failure = deny, ...): the caller exits
 * with status 126. */
int fg_ll_start(const struct fg_ll_start *s, char *err, size_t errlen);

#endif /* FLEETGUARD_KERNEL_START_H */
