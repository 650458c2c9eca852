/* kernel_glue.c - the constructor's half of kernel enforcement.
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
 * `LD_PRELOAD=... python agent.py` is confined by Landlock from its first
 * line: the constructor runs the bring-up `fleetguard run` runs
 * (kernel/start.c), which applies the policy's plan unless this process
 * already runs inside that plan's domain (the FLEETGUARD_LANDLOCK marker
 * names the plan, and the kernel confirms a domain).  A descendant that
 * inherited the sealed policy, the marker and a domain trusts those and
 * builds no plan.  This file only says where its lines go and what the
 * library needs to know afterwards.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel/landlock.h"
#include "kernel/start.h"
#include "shim/gateway_glue.h"
#include "shim/shim.h"

/* Notes (what the kernel leaves to the library) are printed only with
 * FLEETGUARD_DEBUG=1: the library must not change what a program prints;
 * `fleetguard run` prints them.  Held back until this process applies. */
static FG_COLD char kg_notes[4096];
static size_t kg_notes_len;

static void kg_note(void *ctx, bool debug, const char *msg)
{
	int n;

	(void)ctx;
	(void)debug;
	if (!fg_g.debug)
		return;
	n = snprintf(kg_notes + kg_notes_len, sizeof(kg_notes) - kg_notes_len, "%s\n", msg);
	if (n > 0 && kg_notes_len + (size_t)n < sizeof(kg_notes))
		kg_notes_len += (size_t)n;
}

static void kg_flush_notes(void)
{
	char *line = kg_notes, *nl;

	while ((nl = strchr(line, '\n')) != NULL) {
		*nl = '\0';
		fg_say("%s", line);
		line = nl + 1;
	}
	kg_notes_len = 0;
	kg_notes[0] = '\0';
}

/* The file this library was loaded from, as the loader names it. */
static const char *kg_library(void)
{
	Dl_info di;

	if (dladdr((void *)fg_kernel_init, &di) != 0 && di.dli_fname != NULL &&
	    di.dli_fname[0] == '/')
		return di.dli_fname;
	return NULL;
}

static void kg_say(void *ctx, const char *msg)
{
	(void)ctx;
	fg_say("%s", msg);
}

/* Held-back notes go out once this process applies the plan. */
static void kg_applying(void *ctx)
{
	(void)ctx;
	kg_flush_notes();
}

/* The audit writer the bring-up opened (its hello registered this process
 * as one the daemon outlives): fg_open_audit takes it as this process's
 * own instead of connecting a second time. */
static struct fg_audit *kg_kept;

struct fg_audit *fg_kernel_take_audit(void)
{
	struct fg_audit *a = kg_kept;

	kg_kept = NULL;
	return a;
}

void fg_kernel_init(void)
{
	bool lost = false;
	struct fg_ll_start s = {
		.pol = fg_g.pol, .agent = fg_g.agent, .exe = fg_g.exe, .library = kg_library(),
		.marker = getenv(FG_LL_MARKER), .verb = "start", .audit_required = false,
		.note = kg_note, .say = kg_say, .applying = kg_applying, .keep_audit = &kg_kept,
		.audit_lost = &lost,
	};
	char err[PATH_MAX + 256];
	bool confined;
	int rc;

	fg_ll_set_syscall(fg_syscall);
	if (fg_g.pol->fs.kernel == FG_KERNEL_OFF)
		return;
	confined = s.marker != NULL && strcmp(s.marker, FG_LL_UNAVAILABLE) != 0 &&
		   fg_ll_confined() > 0;
	/* the gateway starts outside the domain to come, and its ports go
	 * into the ruleset (as fleetguard run puts them into its own) */
	fg_gw_before_landlock(confined);
	/* A descendant whose sealed policy came from an ancestor that applied
	 * the domain is inside it (the kernel says so, and a domain cannot be
	 * left): building the plan again only to find the same digest cost
	 * more than the rest of its start-up (docs/PERFORMANCE.md). */
	if (fg_g.inherited && confined) {
		fg_g.landlock_active = true;
		return;
	}
	rc = fg_ll_start(&s, err, sizeof(err));
	if (rc < 0)
		fg_fatal("%s", err);
	if (rc == FG_LL_APPLIED)
		kg_flush_notes();       /* those of fg_ll_make_write_trees */
	fg_g.landlock_active = rc == FG_LL_APPLIED || rc == FG_LL_ALREADY;
	/* the audit daemon could not be reached or refused this policy: inside
	 * the domain the library cannot start one of its own, and its hello,
	 * not waited for, would be refused after the program had begun */
	if (lost && fg_g.landlock_active && fg_g.pol->audit.on_failure == FG_ONFAIL_DENY)
		fg_fatal("%s", err);
	if (lost && err[0] != '\0')
		fg_say("%s", err);
	kg_notes_len = 0;
	kg_notes[0] = '\0';
}
