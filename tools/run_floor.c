/* run_floor.c - picks, announces and sets up the kernel floor of `fleetguard run`.
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
#include <stdlib.h>
#include <string.h>

#include "tools/run_floor.h"
#include "tools/tools.h"

static void audit_paths(const char *log, char *dir, size_t dlen, char *sock, size_t slen)
{
	const char *slash = log ? strrchr(log, '/') : NULL;

	dir[0] = sock[0] = '\0';
	if (slash == NULL)
		return;
	snprintf(dir, dlen, "%.*s", (int)(slash > log ? slash - log : 1), log);
	snprintf(sock, slen, "%s.sock", log);
}

/* One line when masking is set up; the filter alone (nothing to mask) is
 * told only with FLEETGUARD_DEBUG=1, so that runs print what they did
 * before unless the floor changes what the agent sees. */
static void say(bool quiet, const struct run_floor *f, const struct fg_policy *p)
{
	const char *debug = getenv("FLEETGUARD_DEBUG");
	const char *dgram = p->net.mode != FG_MODE_ENFORCE ? "" :
			    fg_sc_refuses_datagrams(p) ? ", datagrams refused" :
			    ", datagram destinations left to the library";

	if (quiet)
		return;
	if (f->mask != NULL)
		fprintf(stderr, "%s: floor: masking in a mount namespace (%zu path%s hidden from raw calls)%s%s\n",
			fg_prog, f->masked, f->masked == 1 ? "" : "s",
			f->sc ? ", seccomp filter" : "", f->sc ? dgram : "");
	else if (f->sc != NULL && debug != NULL && strcmp(debug, "1") == 0)
		fprintf(stderr, "%s: floor: seccomp filter%s\n", fg_prog, dgram);
}

void run_floor_pick(const struct fg_policy *p, const char *audit_log, bool quiet,
		    struct run_floor *f)
{
	char dir[PATH_MAX], sock[PATH_MAX + 8];
	int rc, err;

	*f = (struct run_floor){ .mech = "none" };
	if (p->fs.kernel == FG_KERNEL_OFF ||
	    (p->fs.mode != FG_MODE_ENFORCE && p->net.mode != FG_MODE_ENFORCE))
		return;
	audit_paths(audit_log, dir, sizeof(dir), sock, sizeof(sock));
	if (p->fs.mode == FG_MODE_ENFORCE) {
		rc = fg_mask_plan_new(p, dir[0] ? dir : NULL, sock[0] ? sock : NULL, &f->mask);
		if (rc < 0)
			die(126, "cannot plan the masks: %s", strerror(-rc));
		f->masked = fg_mask_plan_count(f->mask);
		if (f->masked == 0) {
			fg_mask_plan_free(f->mask);
			f->mask = NULL;
		}
	}
	if (f->mask != NULL && !fg_mask_available(&err)) {
		if (p->fs.kernel == FG_KERNEL_ON)
			die(126, "cannot enter a mount namespace to hide '%s' (%s): refusing to run with [filesystem] kernel = on (policy %s:%u)",
			    fg_mask_plan_path(f->mask, 0), strerror(err), p->file, p->fs.line);
		if (!quiet)
			fprintf(stderr, "%s: floor: no mount namespace (%s): %zu deny path%s inside read or write trees stay library-only\n",
				fg_prog, strerror(err), f->masked, f->masked == 1 ? "" : "s");
		fg_mask_plan_free(f->mask);
		f->mask = NULL;
		f->masked = 0;
	}
	rc = fg_sc_build(p, &f->sc);
	if (rc < 0 && rc != -ENOSYS)
		die(126, "cannot build the seccomp filter: %s", strerror(-rc));
	f->mech = f->mask ? "masking" : f->sc ? "seccomp" : "none";
	say(quiet, f, p);
}

void run_floor_enter(const struct fg_policy *p, struct run_floor *f)
{
	int rc;

	(void)p;
	if (f->mask == NULL)
		return;
	rc = fg_mask_apply(f->mask);
	if (rc < 0)
		die(126, "cannot hide the denied paths: %s", strerror(-rc));
}

void run_floor_seal(const struct fg_policy *p, struct run_floor *f)
{
	int rc;

	if (f->sc != NULL) {
		rc = fg_sc_apply(f->sc);
		if (rc < 0 && p->fs.kernel == FG_KERNEL_ON)
			die(126, "cannot install the seccomp filter: %s", strerror(-rc));
		if (rc < 0)
			fprintf(stderr, "%s: cannot install the seccomp filter: %s\n", fg_prog,
				strerror(-rc));
	}
	fg_sc_free(f->sc);
	f->sc = NULL;
	fg_mask_plan_free(f->mask);
	f->mask = NULL;
}

bool run_floor_covers_note(const struct run_floor *f, const char *msg)
{
	char quoted[PATH_MAX + 2];

	if (f->mask == NULL || strstr(msg, "lies in write tree") == NULL)
		return false;
	for (size_t i = 0; i < f->masked; i++) {
		snprintf(quoted, sizeof(quoted), "'%s'", fg_mask_plan_path(f->mask, i));
		if (strstr(msg, quoted) != NULL)
			return true;
	}
	return false;
}
