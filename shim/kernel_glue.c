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
 * line: the constructor builds the same plan `fleetguard run` builds and
 * applies it, unless this process already runs inside that plan's domain
 * (the FLEETGUARD_LANDLOCK marker names the plan, and the kernel confirms a
 * domain).  Before restricting itself it writes the "landlock" record and
 * makes sure an audit daemon serves the log (audit/daemon.c): the domain
 * holds no right on the log's directory, so this process and its children
 * send their records to the daemon.
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

#include "breaker/breaker.h"
#include "kernel/landlock.h"
#include "shim/auditconf.h"
#include "shim/gateway_glue.h"
#include "shim/shim.h"

/* Notes (what the kernel leaves to the library) are printed only with
 * FLEETGUARD_DEBUG=1: the library must not change what a program prints;
 * `fleetguard run` prints them.  Held back until this process applies. */
static char kg_notes[4096];
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

static const char *kg_why(int err)
{
	return err == -ENOSYS ? "not built into this kernel" :
	       err == -EOPNOTSUPP ? "disabled at boot" : strerror(-err);
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

/* Attach to the audit daemon, starting it (it creates the log's directory,
 * log and head) while this process is still outside the domain.  NULL if
 * it cannot (the constructor reports that itself right after). */
static struct fg_audit *kg_audit_open(void)
{
	const struct fg_policy *p = fg_g.pol;
	struct fg_audit_conf conf = fg_audit_conf_of(p, fg_g.agent, fg_g.exe);
	struct fg_audit *a = NULL;
	char err[512];

	if (fg_audit_open_client(&conf, &a, err, sizeof(err)) < 0)
		return NULL;
	return a;
}

/* The "landlock" record: also the first append, which sizes the head. */
static int kg_record(struct fg_audit *a, const struct fg_ll_plan *pl)
{
	const char *dig = fg_ll_plan_digest(pl);
	struct fg_audit_field f[3] = {
		{ .key = "abi", .type = FG_AF_INT, .i = fg_ll_plan_abi(pl) },
		{ .key = "ruleset", .type = FG_AF_STR, .s = dig, .len = strlen(dig) },
		{ .key = "rules", .type = FG_AF_INT, .i = (int64_t)fg_ll_plan_rules(pl) },
	};
	struct fg_audit_rec rec = { .op = "landlock", .f = f, .nf = 3, .result = 0 };

	return fg_audit_append(a, &rec);
}

void fg_kernel_init(void)
{
	const struct fg_policy *p = fg_g.pol;
	const char *mark = getenv(FG_LL_MARKER);
	struct fg_ll_own own[FG_LL_OWN_MAX];
	char audit_dir[PATH_MAX], state[PATH_MAX];
	struct fg_ll_plan *pl = NULL;
	struct fg_audit *a = NULL;
	size_t nown;
	int abi, rc;

	if (p->fs.kernel == FG_KERNEL_OFF)
		return;
	fg_ll_set_syscall(fg_syscall);
	abi = fg_ll_abi();
	if (abi < 0) {
		if (p->fs.kernel == FG_KERNEL_ON)
			fg_fatal("landlock is %s: refusing to start with [filesystem] kernel = on (policy %s:%u)",
				 kg_why(abi), p->file, p->fs.line);
		if (mark == NULL || strcmp(mark, FG_LL_UNAVAILABLE) != 0) {
			fg_say("landlock is %s: kernel = auto goes on with the preloaded library alone",
			       kg_why(abi));
			setenv(FG_LL_MARKER, FG_LL_UNAVAILABLE, 1);
		}
		return;
	}
	a = kg_audit_open();
	audit_dir[0] = '\0';
	if (a != NULL) {
		const char *path = fg_audit_path(a);
		const char *slash = strrchr(path, '/');
		size_t dlen = slash == path ? 1 : (size_t)(slash - path);

		if (dlen < sizeof(audit_dir)) {
			memcpy(audit_dir, path, dlen);
			audit_dir[dlen] = '\0';
		}
	}
	fg_gw_before_landlock(mark != NULL && fg_ll_confined());
	nown = fg_ll_own_list(p, audit_dir[0] ? audit_dir : NULL, kg_library(),
			      fg_bk_state_dir(&p->breaker, state, sizeof(state)) == 0 ? state : NULL,
			      own);
	rc = fg_ll_plan_new(p, abi, own, nown, kg_note, NULL, &pl);
	if (rc < 0) {
		if (p->fs.kernel == FG_KERNEL_ON)
			fg_fatal("cannot build the landlock ruleset: %s", strerror(-rc));
		fg_say("cannot build the landlock ruleset: %s; going on with the preloaded library alone",
		       strerror(-rc));
		goto out_close;
	}
	if (fg_ll_plan_empty(pl))
		goto out_free;
	if (mark != NULL && strcmp(mark, fg_ll_plan_digest(pl)) == 0 && fg_ll_confined()) {
		fg_g.landlock_active = true;
		goto out_free;
	}
	kg_flush_notes();
	if (a != NULL) {
		char err[PATH_MAX + 256];

		rc = kg_record(a, pl);
		if (rc < 0 && p->audit.on_failure == FG_ONFAIL_DENY)
			fg_fatal("cannot write to the audit log '%s': %s", fg_audit_path(a),
				 strerror(-rc));
		/* the domain will hold no right on the log: a daemon outside
		 * it appends for this process and its children */
		rc = fg_auditd_ensure(a, fg_g.agent, fg_g.exe, err, sizeof(err));
		if (rc < 0 && p->audit.on_failure == FG_ONFAIL_DENY)
			fg_fatal("%s", err);
		if (rc < 0)
			fg_say("%s; continuing without audit (on_failure = allow)", err);
	}
	fg_audit_close(a);
	a = NULL;
	rc = fg_ll_apply(pl);
	if (rc < 0) {
		if (p->fs.kernel == FG_KERNEL_ON)
			fg_fatal("cannot apply the landlock ruleset: %s; refusing to start with [filesystem] kernel = on",
				 strerror(-rc));
		fg_say("cannot apply the landlock ruleset: %s; going on with the preloaded library alone",
		       strerror(-rc));
		goto out_free;
	}
	setenv(FG_LL_MARKER, fg_ll_plan_digest(pl), 1);
	fg_g.landlock_active = true;
out_free:
	fg_ll_plan_free(pl);
out_close:
	fg_audit_close(a);
	kg_notes_len = 0;
}
