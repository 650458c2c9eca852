/* warn.c - the start-up warnings of a policy on this host, which fleetguard
 * check prints as fleetguard run does.
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
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "kernel/landlock.h"
#include "kernel/mask.h"
#include "tools/run_floor.h"
#include "tools/tools.h"

void fg_warn_trees(const struct fg_policy *p, fg_warn_fn warn, void *ctx)
{
	const struct fg_path_list *lists[2] = { &p->fs.read, &p->fs.write };
	static const char *const names[2] = { "read", "write" };
	char msg[PATH_MAX + 128];
	struct stat st;

	if (p->fs.mode == FG_MODE_OFF)
		return;
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < lists[k]->n; i++) {
			const struct fg_path_rule *r = &lists[k]->v[i];

			if (r->origin == FG_ORIGIN_SYSTEM || lstat(r->path, &st) == 0 || errno != ENOENT)
				continue;
			snprintf(msg, sizeof(msg), "%s tree '%s' (line %u) does not exist: nothing is allowed there until it does",
				 names[k], r->path, r->line);
			warn(ctx, msg);
		}
	}
}

struct note_ctx {
	fg_warn_fn warn;
	void *ctx;
	const struct run_floor *fl;
	bool floor_can;    /* run will mask or supervise the log's directory */
};

/* As run's on_note: what the floor (masking) holds is not a warning. */
static void on_note(void *ctx, bool debug, const char *msg)
{
	const struct note_ctx *n = ctx;

	if (debug || run_floor_covers_note(n->fl, msg))
		return;
	/* run makes the log's directory before it picks the floor, so its
	 * mask covers it; here it may not exist yet */
	if (n->floor_can && strncmp(msg, "the audit log's directory", 25) == 0)
		return;
	n->warn(n->ctx, msg);
}

static const char *ll_why(int err)
{
	return err == -ENOSYS ? "not built into this kernel" :
	       err == -EOPNOTSUPP ? "disabled at boot" : strerror(-err);
}

/* The notes fleetguard run's Landlock plan gives (its own files: the audit
 * log's directory only; nothing is created). */
void fg_warn_kernel(const struct fg_policy *p, fg_warn_fn warn, void *ctx)
{
	struct run_floor fl = { .sock = -1 };
	struct note_ctx n = { warn, ctx, &fl, false };
	char dir[PATH_MAX], msg[256];
	struct fg_ll_own own = { dir, FG_LL_OWN_AUDIT_DIR };
	struct fg_ll_plan *pl;
	const char *slash;
	int abi, merr;

	if (p->fs.kernel == FG_KERNEL_OFF)
		return;
	abi = fg_ll_abi();
	if (abi < 0) {
		snprintf(msg, sizeof(msg), p->fs.kernel == FG_KERNEL_ON ?
			 "landlock is %s: fleetguard run refuses [filesystem] kernel = on here" :
			 "landlock is %s: kernel = auto goes on with the preloaded library alone",
			 ll_why(abi));
		warn(ctx, msg);
		return;
	}
	slash = strrchr(p->audit.log, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash && slash != p->audit.log ?
		 (int)(slash - p->audit.log) : 1, p->audit.log);
	/* the mechanism run would pick here, quietly (nothing is entered) */
	run_floor_pick(p, p->audit.log, RUN_FLOOR_AUTO, true, &fl);
	n.floor_can = fl.masking || fl.supervise || fg_mask_available(&merr) == 1;
	if (fg_ll_plan_new(p, abi, &own, 1, on_note, &n, &pl) == 0)
		fg_ll_plan_free(pl);
	fg_sc_free(fl.sc);
	fg_mask_plan_free(fl.mask);
}

void fg_print_paths(const struct fg_policy *p, FILE *f, const char *prefix)
{
	fprintf(f, "%sworkspace root: %s%s\n", prefix, p->root, p->root_defaulted ?
		" (defaulted: [workspace] root is not set, so the policy file's directory is the"
		" root; a copy of the policy in another directory has another root)" : "");
	fprintf(f, "%saudit log: %s%s\n", prefix, p->audit.log, p->audit.log_defaulted ?
		" (defaulted: ${root}/.fleetguard/audit.log)" : "");
}
