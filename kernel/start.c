/* start.c - the Landlock bring-up shared by the shim's constructor and fleetguard run.
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "breaker/breaker.h"
#include "kernel/start.h"
#include "shim/auditconf.h"

__attribute__((format(printf, 2, 3)))
static void say(const struct fg_ll_start *s, const char *fmt, ...)
{
	char msg[PATH_MAX + 256];
	va_list ap;

	if (s->say == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->say(s->ctx, msg);
}

static const char *ll_why(int err)
{
	return err == -ENOSYS ? "not built into this kernel" :
	       err == -EOPNOTSUPP ? "disabled at boot" : strerror(-err);
}

/* The daemon refused or could not be reached (err): -1 when that is
 * fatal, else 0, noted in *s->audit_lost or said (in library-only mode
 * the library's own hello comes next and is refused too, with less to
 * say). */
static int audit_lost(const struct fg_ll_start *s, const char *err)
{
	if (s->audit_required && s->pol->audit.on_failure == FG_ONFAIL_DENY)
		return -1;
	if (s->audit_lost != NULL)
		*s->audit_lost = true;
	else if (err[0] != '\0')
		say(s, "%s", err);
	return 0;
}

/* The audit log's writer, and its directory in dir ("" without one).
 * -1 with err when it cannot be opened and that is fatal. */
static int open_audit(const struct fg_ll_start *s, struct fg_audit **a, char *dir, size_t dlen,
		      char *err, size_t errlen)
{
	struct fg_audit_conf conf = fg_audit_conf_of(s->pol, s->agent, s->exe);
	const char *path, *slash;
	size_t n;

	dir[0] = '\0';
	*a = NULL;
	/* the audit daemon is the only writer, started here, outside the
	 * domain to come; the hello registers this process as one the
	 * daemon must outlive (fg_auditd_ensure's work, on this connection:
	 * a second connection and hello cost every launch a round trip) */
	conf.root = true;
	/* and its answer is read once the plan is built (settle_audit) */
	conf.settle_later = true;
	if (fg_audit_open_client(&conf, a, err, errlen) < 0) {
		*a = NULL;
		return audit_lost(s, err);
	}
	path = fg_audit_path(*a);
	slash = strrchr(path, '/');
	n = slash == NULL || slash == path ? 1 : (size_t)(slash - path);
	if (n < dlen)
		snprintf(dir, dlen, "%.*s", (int)n, path);
	return 0;
}

/* The answer to a's hello, read after the plan was built (the daemon
 * answered meanwhile): -1 with err when a refusal it could not mend is
 * fatal, else 0 (*a NULL: going on without audit). */
static int settle_audit(const struct fg_ll_start *s, struct fg_audit **a, char *err,
			size_t errlen)
{
	int rc = *a == NULL ? 0 : fg_audit_settle(*a, err, errlen);

	if (rc >= 0)
		return rc;
	fg_audit_close(*a);
	*a = NULL;
	return audit_lost(s, err);
}

/* The "landlock" record.  The audit daemon outside the domain for this
 * process and its children (the domain holds no right on the log) is the
 * one a's hello reached, with this policy's settings, and it outlives this
 * process (open_audit: conf.root).  The record waits for its answer (it
 * is in the log before the domain applies), but the answer is read by
 * landlock_answer(), after the ruleset is built: the daemon appends while
 * this process opens the rules' paths.  It goes out behind the hello,
 * whose answer is read after the ruleset too (enter). */
struct ll_summary {
	char digest[17];
	int64_t abi, rules;
};

static int landlock_record(const struct fg_ll_start *s, struct fg_audit *a,
			   const struct ll_summary *sum)
{
	struct fg_audit_field f[7] = {
		{ .key = "abi", .type = FG_AF_INT, .i = sum->abi },
		{ .key = "ruleset", .type = FG_AF_STR, .s = sum->digest, .len = strlen(sum->digest) },
		{ .key = "rules", .type = FG_AF_INT, .i = sum->rules },
	};
	struct fg_audit_rec rec = { .op = "landlock", .f = f, .nf = 3, .barrier = true };
	int rc;

	for (size_t i = 0; i < s->nextra && rec.nf < 7; i++)
		f[rec.nf++] = s->extra[i];
	rc = fg_audit_append_owed(a, &rec);
	if (rc == -EINVAL)
		rc = fg_audit_append(a, &rec); /* nothing can be owed there: wait now */
	return rc > 0 ? 0 : rc;
}

/* The landlock record's answer (sent is what landlock_record returned):
 * -1 with err when its failure is fatal; else 0, and *a NULL when the log
 * is given up (on_failure = allow). */
static int landlock_answer(const struct fg_ll_start *s, struct fg_audit **a, int sent,
			   char *err, size_t errlen)
{
	int rc = sent;

	if (*a == NULL)
		return 0;
	if (rc == 0)
		rc = fg_audit_owed_wait(*a);
	if (rc == 0 || rc == -EINVAL)
		return 0;       /* -EINVAL: nothing was owed (the record waited) */
	if (s->pol->audit.on_failure == FG_ONFAIL_DENY) {
		snprintf(err, errlen, "cannot write to the audit log '%s': %s", fg_audit_path(*a),
			 strerror(-rc));
		return -1;
	}
	say(s, "cannot write to the audit log '%s': %s; going on without audit (on_failure = allow)",
	    fg_audit_path(*a), strerror(-rc));
	fg_audit_close_sent(*a);
	*a = NULL;
	return 0;
}

/* The plan for s->pol under abi, with fleetguard's own paths. */
static int build(const struct fg_ll_start *s, int abi, const char *audit_dir,
		 struct fg_ll_own *own, size_t *nown, char *state, struct fg_ll_plan **pl)
{
	/* the breaker's state directory only with endpoints (fg_ll_own_list
	 * lists it only then): finding it makes it (mkdir, access) */
	bool bk = s->pol->nep > 0 && fg_bk_state_dir(&s->pol->breaker, state, PATH_MAX) == 0;

	*nown = fg_ll_own_list(s->pol, audit_dir[0] ? audit_dir : NULL, s->library,
			       bk ? state : NULL, own);
	return fg_ll_plan_new(s->pol, abi, own, *nown, s->note, s->ctx, pl);
}

/* Without Landlock: -1 under kernel = on, else the library alone. */
static int no_landlock(const struct fg_ll_start *s, int abi, char *err, size_t errlen)
{
	const struct fg_policy *p = s->pol;

	if (p->fs.kernel == FG_KERNEL_ON) {
		snprintf(err, errlen,
			 "landlock is %s: refusing to %s with [filesystem] kernel = on (policy %s:%u)",
			 ll_why(abi), s->verb, p->file, p->fs.line);
		return -1;
	}
	if (s->marker == NULL || strcmp(s->marker, FG_LL_UNAVAILABLE) != 0) {
		say(s, "landlock is %s: kernel = auto goes on with the preloaded library alone",
		    ll_why(abi));
		setenv(FG_LL_MARKER, FG_LL_UNAVAILABLE, 1);
	}
	return FG_LL_NOT_CONFINED;
}

/* A step failed with rc: -1 under kernel = on, else the library alone. */
static int step_failed(const struct fg_ll_start *s, const char *what, int rc, char *err,
		       size_t errlen)
{
	if (s->pol->fs.kernel == FG_KERNEL_ON) {
		snprintf(err, errlen, "cannot %s the landlock ruleset: %s; refusing to %s with [filesystem] kernel = on",
			 what, strerror(-rc), s->verb);
		return -1;
	}
	say(s, "cannot %s the landlock ruleset: %s; going on with the preloaded library alone",
	    what, strerror(-rc));
	return FG_LL_NOT_CONFINED;
}

/* The writer goes to the caller (s->keep_audit) or is closed. */
static void keep_or_close(const struct fg_ll_start *s, struct fg_audit *a)
{
	if (a == NULL)
		return;
	if (s->keep_audit != NULL)
		*s->keep_audit = a;
	else
		fg_audit_close(a);
}

/* The parts after the plan: the landlock record, the write trees, the
 * ruleset, the floor (s->entering) and the domain.  The ruleset is built
 * while the daemon appends the record, unless s->build_late asks for it
 * after entering (inside a mount namespace).  The plan is freed as soon as
 * the ruleset holds it (*plp NULL then): after entering's fork each free
 * would write pages the child shares with its parent (copy-on-write
 * faults on the agent's way to its exec).  FG_LL_APPLIED,
 * FG_LL_NOT_CONFINED (a step failed under kernel = auto) or -1. */
static int enter(const struct fg_ll_start *s, struct fg_audit **a, struct fg_ll_plan **plp,
		 const struct fg_ll_own *own, size_t nown, char *err, size_t errlen)
{
	bool late = s->build_late != NULL && *s->build_late;
	int sent = 0, rfd = -1, rc;
	struct ll_summary sum;

	memcpy(sum.digest, fg_ll_plan_digest(*plp), sizeof(sum.digest));
	sum.abi = fg_ll_plan_abi(*plp);
	sum.rules = (int64_t)fg_ll_plan_rules(*plp);
	if (s->applying != NULL)
		s->applying(s->ctx);
	if (*a != NULL)
		sent = landlock_record(s, *a, &sum);
	if (!late) {
		fg_ll_make_write_trees(s->pol, s->note, s->ctx);
		rfd = fg_ll_prepare(*plp);
		fg_ll_plan_free(*plp);
		*plp = NULL;
	}
	/* the hello's answer: a refusal the client mended (a daemon started
	 * for this log) took the record with the refused connection (1), or
	 * the record could not even be sent (the refusing daemon had closed
	 * it): it goes again, once, on the connection settled */
	rc = settle_audit(s, a, err, errlen);
	if ((rc == 1 || (rc == 0 && sent < 0)) && *a != NULL)
		sent = landlock_record(s, *a, &sum);
	if (rc < 0 || landlock_answer(s, a, sent, err, errlen) < 0) {
		if (rfd >= 0)
			close(rfd);
		return -1;
	}
	/* the record is answered: the caller's now (or closed) */
	keep_or_close(s, *a);
	*a = NULL;
	/* the marker goes into the environment before entering may fork, so
	 * that the child does not grow it (copy-on-write faults); it is taken
	 * back if the domain is not applied, and trusted by descendants only
	 * where the kernel confirms a domain (fg_ll_confined) */
	if (s->entering != NULL) {
		setenv(FG_LL_MARKER, sum.digest, 1);
		s->entering(s->ctx, own, nown, rfd);
	}
	if (late) {
		fg_ll_make_write_trees(s->pol, s->note, s->ctx);
		rfd = fg_ll_prepare(*plp);
	}
	rc = fg_ll_restrict(rfd);
	if (rc < 0) {
		unsetenv(FG_LL_MARKER);
		return step_failed(s, "apply", rc, err, errlen);
	}
	if (s->entering == NULL)
		setenv(FG_LL_MARKER, sum.digest, 1);
	return FG_LL_APPLIED;
}

int fg_ll_start(const struct fg_ll_start *s, char *err, size_t errlen)
{
	char audit_dir[PATH_MAX], state[PATH_MAX];
	struct fg_ll_own own[FG_LL_OWN_MAX];
	struct fg_ll_plan *pl = NULL;
	struct fg_audit *a = NULL;
	size_t nown = 0;
	int abi, rc;

	if (s->pol->fs.kernel == FG_KERNEL_OFF)
		return FG_LL_NOT_CONFINED;
	abi = fg_ll_abi();
	if (abi < 0)
		return no_landlock(s, abi, err, errlen);
	if (open_audit(s, &a, audit_dir, sizeof(audit_dir), err, errlen) < 0)
		return -1;
	if (s->opened != NULL)
		s->opened(s->ctx, a != NULL ? fg_audit_path(a) : NULL);
	rc = build(s, abi, audit_dir, own, &nown, state, &pl);
	if (rc == 0 && s->sup_binds != NULL && *s->sup_binds)
		fg_ll_plan_no_sockets(pl);
	if (rc < 0) {
		rc = step_failed(s, "build", rc, err, errlen);
		goto out_close;
	}
	rc = FG_LL_NOT_CONFINED;
	if (fg_ll_plan_empty(pl))
		goto settle;
	rc = FG_LL_ALREADY;
	if (s->marker != NULL && strcmp(s->marker, fg_ll_plan_digest(pl)) == 0 && fg_ll_confined())
		goto settle;
	/* the hello is answered in there, after the ruleset */
	rc = enter(s, &a, &pl, own, nown, err, errlen);
	goto out_free;
settle:
	if (settle_audit(s, &a, err, errlen) < 0)
		rc = -1;
out_free:
	fg_ll_plan_free(pl);
out_close:
	if (rc < 0)
		fg_audit_close(a);
	else
		keep_or_close(s, a);
	return rc;
}
