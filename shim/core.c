/* core.c - the shim's state, reentrancy guard, symbol resolver, records and lines.
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
 * The state the constructor (shim/start.c) fills in, and what every hook
 * shares: the guard, the one symbol resolver, the audit records and the
 * lines on stderr.  Nothing here runs on its own, so the unit tests link
 * it (libfgshim) and set fg_g themselves.
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

#include "shim/shim.h"

__thread int fg_in_guard;
int fg_ready;
struct fg_state fg_g;

/* Raw write of a whole buffer to stderr, never through any hook. */
static void fg_write_stderr(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = fg_syscall(SYS_write, 2, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

static void fg_vsay(bool force, const char *fmt, va_list ap)
{
	char line[1024];
	int n, saved = errno;

	if (fg_g.quiet && !force)
		return;
	n = snprintf(line, sizeof(line), "fleetguard: ");
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (n < 12)
		n = 12;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	fg_write_stderr(line, (size_t)n);
	errno = saved;
}

void fg_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fg_vsay(false, fmt, ap);
	va_end(ap);
}

/* Start-up failures are printed even when quiet: the process is stopping. */
void fg_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fg_vsay(true, fmt, ap);
	va_end(ap);
	_exit(126);
}

void *fg_real_in(const char *name, void *self, const char *const *sonames)
{
	void *sym, *h;

	fg_in_guard++;
	sym = dlsym(RTLD_NEXT, name);
	for (; (sym == NULL || sym == self) && sonames != NULL && *sonames != NULL; sonames++) {
		h = dlopen(*sonames, RTLD_LAZY | RTLD_NOLOAD);
		if (h == NULL)
			continue;
		sym = dlsym(h, name);
		dlclose(h);
	}
	fg_in_guard--;
	if (sym == NULL || sym == self)
		fg_fatal("cannot resolve the real '%s' in %s", name, sonames != NULL ? "libssl" : "libc");
	return sym;
}

void *fg_real(const char *name, void *self)
{
	return fg_real_in(name, self, NULL);
}

/* Appends n bytes of s to line (length *len, capacity cap), cutting what
 * does not fit: the denial line and the rule are built without printf,
 * which costs more than the rest of a denial's formatting together. */
static void fg_cat(char *line, size_t *len, size_t cap, const char *s, size_t n)
{
	if (n > cap - *len)
		n = cap - *len;
	memcpy(line + *len, s, n);
	*len += n;
}

static void fg_cat_str(char *line, size_t *len, size_t cap, const char *s)
{
	fg_cat(line, len, cap, s, strlen(s));
}

/* "<policy file>:<line>", or the file alone when no line decided; returns
 * its length (buf is always terminated). */
static size_t fg_rule_text(const struct fg_verdict *v, char *buf, size_t len)
{
	char digits[12];
	size_t n = 0, i = sizeof(digits);

	fg_cat_str(buf, &n, len - 1, v != NULL && v->file != NULL ? v->file : fg_g.pol->file);
	if (v != NULL && v->line > 0) {
		unsigned line = v->line;

		do {
			digits[--i] = (char)('0' + line % 10);
			line /= 10;
		} while (line);
		digits[--i] = ':';
		fg_cat(buf, &n, len - 1, digits + i, sizeof(digits) - i);
	}
	buf[n] = '\0';
	return n;
}

/* The longest path a denial line shows whole. */
#define FG_SHOWN_MAX 512

void fg_say_denied(const char *op, const char *what, const struct fg_verdict *v)
{
	char line[1024], rule[PATH_MAX + 16];
	size_t n = 0, cap = sizeof(line) - 1, wlen;
	int saved = errno;

	if (fg_g.quiet)
		return;
	fg_cat_str(line, &n, cap, "fleetguard: denied ");
	fg_cat_str(line, &n, cap, op);
	fg_cat(line, &n, cap, " ", 1);
	/* a very long path keeps its head and tail: the reason and the
	 * rule after it must fit in the line (the record has it whole) */
	wlen = strlen(what);
	if (wlen > FG_SHOWN_MAX) {
		fg_cat(line, &n, cap, what, FG_SHOWN_MAX / 2);
		fg_cat(line, &n, cap, "[...]", 5);
		fg_cat(line, &n, cap, what + wlen - FG_SHOWN_MAX / 2, FG_SHOWN_MAX / 2);
	} else {
		fg_cat(line, &n, cap, what, wlen);
	}
	fg_cat(line, &n, cap, ": ", 2);
	fg_cat_str(line, &n, cap, fg_reason_text(v->why));
	fg_cat(line, &n, cap, " (policy ", 9);
	fg_cat(line, &n, cap, rule, fg_rule_text(v, rule, sizeof(rule)));
	fg_cat(line, &n, cap, ")", 1);
	line[n++] = '\n';
	fg_write_stderr(line, n);
	errno = saved;
}

/* barrier 2: a barrier for the whole log (the exit record of a process
 * nobody in its tree waits for: fg_record_exit). */
#define FG_BARRIER_LOG 2

/* barrier 1: wait until the record is in the log (only a client of the
 * audit daemon ever waits; the writer in this process always has).  Exec
 * records always wait (fg_act.barrier): the process image ends there, and
 * what it sent to the daemon must be in the log before the new image's
 * records. */
static int fg_record_as(const char *op, const struct fg_audit_field *f, size_t nf,
			const char *decision, const char *rule, int result, int barrier,
			struct fg_audit_handover *handover)
{
	static int warned;
	struct fg_audit_rec rec = {
		.op = op, .f = f, .nf = nf, .decision = decision, .rule = rule, .result = result,
		.barrier = barrier != 0, .drain = barrier == FG_BARRIER_LOG,
		.handover = handover,
	};
	int rc, saved = errno;

	if (fg_g.audit == NULL) {
		errno = saved;
		return fg_g.pol->audit.on_failure == FG_ONFAIL_DENY ? -EIO : 0;
	}
	fg_in_guard++;
	rc = fg_audit_append(fg_g.audit, &rec);
	/* the failure of an earlier record the audit daemon reported came
	 * back here; under allow this call goes on, so its own record must
	 * still be written: one more try */
	if (rc < 0 && fg_g.pol->audit.on_failure != FG_ONFAIL_DENY)
		rc = fg_audit_append(fg_g.audit, &rec) < 0 ? rc : 0;
	fg_in_guard--;
	if (rc > 0) {
		/* this record is in; one sent earlier (a read's, pipelined) is not */
		fg_say("cannot write an earlier audit record to %s: %s; its call had already gone ahead",
		       fg_g.pol->audit.log, strerror(rc));
		rc = 0;
	}
	if (rc < 0) {
		if (fg_g.pol->audit.on_failure == FG_ONFAIL_DENY) {
			fg_say("cannot write audit record for %s to %s: %s; call refused (on_failure = deny)",
			       op, fg_g.pol->audit.log, strerror(-rc));
			rc = -EIO;
		} else {
			if (!__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
				fg_say("cannot write audit record to %s: %s; continuing without audit (on_failure = allow)",
				       fg_g.pol->audit.log, strerror(-rc));
			rc = 0;
		}
	}
	errno = saved;
	return rc;
}

static const char *const fg_decisions[] = {
	[FG_D_ALLOW] = "allow", [FG_D_REPORT] = "report", [FG_D_DENY] = "deny",
};

const char *fg_decision_text(enum fg_decision d)
{
	return (unsigned)d <= FG_D_DENY ? fg_decisions[d] : "deny";
}

/* Does the [audit] events setting leave this outcome out of the log? */
static bool fg_unrecorded(const struct fg_act *act, bool allowed)
{
	/* [filesystem] mode = off: nothing is judged, so nothing is recorded
	 * but a refusal to touch fleetguard's own files. */
	if (allowed && act->obj == FG_OBJ_PATH && fg_g.pol->fs.mode == FG_MODE_OFF)
		return true;
	switch (fg_g.pol->audit.events) {
	case FG_EVENTS_DENIED:
		return allowed;
	case FG_EVENTS_WRITES:
		return allowed && !(act->access & FG_ACC_WRITE);
	case FG_EVENTS_ALL:
		break;
	}
	return false;
}

static const char *const fg_obj_key[] = {
	[FG_OBJ_PATH] = "path", [FG_OBJ_ADDR] = "addr", [FG_OBJ_NAME] = "name",
};

/* Under on_failure = deny an allowed change (write, create, remove,
 * rename, connect, name lookup) waits for its record: if the audit daemon
 * cannot write it, this very call fails.  Reads are pipelined: a failure
 * comes back with the next call.  So are writes the system set allowed
 * (/dev/null, /dev/tty and the like, docs/AUDIT.md): they change nothing
 * on disk, and shells open /dev/null for every redirection. */
static bool fg_record_holds(const struct fg_act *act, const struct fg_verdict *v)
{
	if (fg_g.pol->audit.on_failure != FG_ONFAIL_DENY)
		return false;
	if (act->obj != FG_OBJ_PATH)
		return true;
	return (act->access & FG_ACC_WRITE) && !(v != NULL && v->origin == FG_ORIGIN_SYSTEM);
}

int fg_record(const struct fg_act *act, enum fg_decision d, const struct fg_verdict *v,
	      int result)
{
	struct fg_audit_field f[4];
	char rule[PATH_MAX + 16];
	size_t n = 0;
	bool allowed = d == FG_D_ALLOW;

	if (fg_unrecorded(act, allowed))
		return 0;
#ifdef FG_COVERAGE_DIR
	if (v != NULL && v->why == FG_R_COVERAGE_DATA)
		return 0;       /* gcov writing its counters: not the agent's doing */
#endif
	/* a host name is "name": "host" is the writer's own field (the machine) */
	f[n++] = (struct fg_audit_field){ .key = fg_obj_key[act->obj], .type = FG_AF_STR,
					  .s = act->path, .len = strlen(act->path) };
	if (act->path2 != NULL)
		f[n++] = (struct fg_audit_field){ .key = act->obj == FG_OBJ_PATH ? "path2" : "name",
						  .type = FG_AF_STR, .s = act->path2,
						  .len = strlen(act->path2) };
	if (act->flags >= 0)
		f[n++] = (struct fg_audit_field){ .key = "flags", .type = FG_AF_INT, .i = act->flags };
	if (act->mode >= 0)
		f[n++] = (struct fg_audit_field){ .key = "mode", .type = FG_AF_OCT, .i = act->mode };
	fg_rule_text(v, rule, sizeof(rule));
	return fg_record_as(act->op, f, n, fg_decision_text(d),
			    v != NULL && v->line > 0 ? rule : NULL, result,
			    act->barrier || (allowed && fg_record_holds(act, v)),
			    d != FG_D_DENY ? act->handover : NULL);
}

int fg_record_fields(const char *op, const struct fg_audit_field *f, size_t nf,
		     const char *decision, const char *rule, int result)
{
	return fg_record_as(op, f, nf, decision, rule, result, false, NULL);
}

int fg_record_waited(const char *op, const struct fg_audit_field *f, size_t nf)
{
	return fg_record_as(op, f, nf, NULL, NULL, 0, true, NULL);
}

int fg_record_exit(const struct fg_audit_field *f, size_t nf, bool wait)
{
	return fg_record_as("exit", f, nf, NULL, NULL, 0, wait ? FG_BARRIER_LOG : 0, NULL);
}
