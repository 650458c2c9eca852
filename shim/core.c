/* core.c - the shim's start-up, state, reentrancy guard and reporting.
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
 * The constructor takes the policy sealed at launch (policy/seal.h) from
 * descriptor FG_SEAL_FD; only the first process of a tree, which finds no
 * seal and no hint of one, reads FLEETGUARD_POLICY, parses the file and
 * seals it for its descendants.  Then it attaches the audit log, all before
 * main() runs.  Anything wrong stops the process with status 126 and one
 * line on stderr: the shim never guesses a policy.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "policy/seal.h"
#include "shim/auditconf.h"
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

/* barrier: wait until the record is in the log (only a client of the
 * audit daemon ever waits; the writer in this process always has).  Exec
 * records always wait (fg_act.barrier): the process image ends there, and
 * what it sent to the daemon must be in the log before the new image's
 * records. */
static int fg_record_as(const char *op, const struct fg_audit_field *f, size_t nf,
			const char *decision, const char *rule, int result, bool barrier)
{
	static int warned;
	struct fg_audit_rec rec = {
		.op = op, .f = f, .nf = nf, .decision = decision, .rule = rule, .result = result,
		.barrier = barrier,
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

int fg_record(const struct fg_act *act, enum fg_decision d, const struct fg_verdict *v,
	      int result)
{
	struct fg_audit_field f[4];
	char rule[PATH_MAX + 16];
	size_t n = 0;
	bool allowed = d == FG_D_ALLOW;

	if (fg_unrecorded(act, allowed))
		return 0;
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
	/* under on_failure = deny an allowed change (write, create, remove,
	 * rename, connect, name lookup) waits for its record: if the audit daemon
	 * cannot write it, this very call fails.  Reads are pipelined: a
	 * failure comes back with the next call. */
	return fg_record_as(act->op, f, n, fg_decision_text(d),
			    v != NULL && v->line > 0 ? rule : NULL, result,
			    act->barrier || (allowed && fg_g.pol->audit.on_failure == FG_ONFAIL_DENY &&
					     (act->obj != FG_OBJ_PATH || (act->access & FG_ACC_WRITE))));
}

int fg_record_fields(const char *op, const struct fg_audit_field *f, size_t nf,
		     const char *decision, const char *rule, int result)
{
	return fg_record_as(op, f, nf, decision, rule, result, false);
}

/* --- start-up and exit ---------------------------------------------------- */

static void fg_diag_first(void *ctx, const char *file, unsigned line, const char *msg)
{
	int *seen = ctx;

	if ((*seen)++ > 0)
		return;
	if (line > 0)
		fg_fatal("%s:%u: %s", file, line, msg);
	fg_fatal("%s: %s", file, msg);
}

/* argv as the constructor received it (glibc passes argc, argv and envp
 * to the constructors of preloaded libraries; reading /proc/self/cmdline
 * cost every process an open, two reads and a close), cut as the kernel's
 * page of it was: at most 255 arguments and 8 KiB, so that the start
 * record of a compiler called with thousands of files still fits. */
static const char *fg_argv[256];

static void fg_keep_argv(char **argv)
{
	static char buf[8192];
	size_t n = 0, argc = 0;

	for (; argv != NULL && *argv != NULL && argc < 255 && n < sizeof(buf) - 1; argv++) {
		size_t len = strlen(*argv);

		if (len > sizeof(buf) - 1 - n)
			len = sizeof(buf) - 1 - n;
		memcpy(buf + n, *argv, len);
		buf[n + len] = '\0';
		fg_argv[argc++] = buf + n;
		n += len + 1;
	}
	fg_argv[argc] = NULL;
}

/* The exit record waits for its answer: every record this process sent
 * is then in the log (one connection's records go in order), so whoever
 * waited for this process reads them all.  No flush: under fsync = batch
 * the audit daemon syncs within 100 ms by itself, and waiting for that
 * here cost every process a disk sync. */
static void fg_on_exit(int status, void *arg)
{
	struct fg_audit_field f = { .key = "status", .type = FG_AF_INT, .i = status };

	(void)arg;
	if (!fg_ready || fg_g.audit == NULL)
		return;
	fg_record_as("exit", &f, 1, NULL, NULL, 0, true);
}

static bool fg_audit_owner_owns(const void *ctx, const char *path, size_t len)
{
	return fg_audit_owns(ctx, path, len);
}

static bool fg_audit_owner_above(const void *ctx, const char *path, size_t len)
{
	return fg_audit_owns_below(ctx, path, len);
}

static void fg_open_audit(void)
{
	const struct fg_policy *p = fg_g.pol;
	struct fg_audit_conf conf = fg_audit_conf_of(p, fg_g.agent, fg_g.exe);
	char err[512] = "";
	int rc;

	/* the audit daemon is the only writer: this process holds no
	 * descriptor of the log.  Under Landlock it was started before the
	 * domain, for this very policy's settings, so the hello is not waited
	 * for; without, the first process that needs it starts it */
	conf.owe_hello = true;
	rc = fg_g.landlock_active ? fg_audit_open_remote(&conf, &fg_g.audit, err, sizeof(err)) :
	     fg_audit_open_client(&conf, &fg_g.audit, err, sizeof(err));
	if (rc < 0) {
		if (p->audit.on_failure == FG_ONFAIL_DENY)
			fg_fatal("%s", err[0] ? err : strerror(-rc));
		fg_say("%s; continuing without audit (on_failure = allow)", err[0] ? err : strerror(-rc));
		fg_g.audit = NULL;
		return;
	}
	fg_own_register(&(struct fg_owner){ .owns = fg_audit_owner_owns,
					    .above = fg_audit_owner_above, .ctx = fg_g.audit });
}

static void fg_write_start(void)
{
	const char *sha = fg_g.policy_sha[0] ? fg_g.policy_sha : "unreadable";
	const char *const *argv = fg_argv;
	struct fg_audit_field f[4] = {
		{ .key = "policy", .type = FG_AF_STR, .s = fg_g.pol->file, .len = strlen(fg_g.pol->file) },
		{ .key = "policy_sha256", .type = FG_AF_STR, .s = sha },
		{ .key = "argv", .type = FG_AF_STRV, .v = argv },
		{ .key = "ppid", .type = FG_AF_INT, .i = getppid() },
	};

	f[1].len = strlen(sha);
	if (fg_record_fields("start", f, 4, NULL, NULL, 0) < 0)
		fg_fatal("cannot write the start record to %s", fg_g.pol->audit.log);
}

static void fg_identity(void)
{
	const char *id = fg_g.pol->agent_id;
	ssize_t n = readlink("/proc/self/exe", fg_g.exe, sizeof(fg_g.exe) - 1);

	fg_g.exe[n > 0 ? n : 0] = '\0';
	if (id == NULL)
		id = program_invocation_short_name;
	snprintf(fg_g.agent, sizeof(fg_g.agent), "%s", id);
}

/* First process of a tree: parse the file FLEETGUARD_POLICY names, expand
 * it once and seal it at FG_SEAL_FD for every descendant. */
static void fg_seal_first(void)
{
	struct fg_policy *p = NULL;
	char *real;
	int seen = 0, fd;

	fg_g.policy_file = getenv("FLEETGUARD_POLICY");
	if (fg_g.policy_file == NULL || fg_g.policy_file[0] == '\0')
		fg_fatal("FLEETGUARD_POLICY is not set; refusing to run without a policy");
	if (fg_policy_load(fg_g.policy_file, &p, fg_diag_first, &seen) != 0 || p == NULL)
		fg_fatal("%s: cannot load the policy", fg_g.policy_file);
	/* the file is judged by the name the kernel resolves: store that one */
	real = realpath(p->file, NULL);
	if (real != NULL) {
		free(p->file);
		p->file = real;
	}
	if (fg_sha256_file(p->file, fg_g.policy_sha) < 0)
		fg_g.policy_sha[0] = '\0';
	fd = fg_seal_create(p, fg_g.policy_sha);
	if (fd < 0)
		fg_fatal("%s: cannot seal the policy: %s", p->file, strerror(-fd));
	if (fg_syscall(SYS_dup3, fd, FG_SEAL_FD, 0) < 0)
		fg_fatal("cannot place the sealed policy at descriptor %d: %s", FG_SEAL_FD,
			 strerror(errno));
	fg_syscall(SYS_close, fd);
	fg_policy_free(p);
}

/* The policy of this process tree, sealed at launch. */
static void fg_load_policy(void)
{
	const char *sha = NULL, *hint = getenv(FG_SEAL_ENV);
	char why[256];
	int rc = fg_seal_open(FG_SEAL_FD, &fg_g.pol, &sha, why, sizeof(why));

	if (rc == -EBADF && (hint == NULL || hint[0] == '\0')) {
		fg_seal_first();
		rc = fg_seal_open(FG_SEAL_FD, &fg_g.pol, &sha, why, sizeof(why));
	} else if (rc == 0) {
		snprintf(fg_g.policy_sha, sizeof(fg_g.policy_sha), "%s", sha);
		fg_g.inherited = true;
	}
	if (rc < 0)
		fg_fatal("%s; refusing to run (the policy is sealed when the process tree starts)",
			 why);
}

__attribute__((constructor)) static void fg_init(int argc, char **argv, char **envp)
{
	const char *v;

	(void)argc;
	(void)envp;
	fg_in_guard++;
	fg_keep_argv(argv);
	v = getenv("FLEETGUARD_QUIET");
	fg_g.quiet = v != NULL && strcmp(v, "1") == 0;
	v = getenv("FLEETGUARD_DEBUG");
	fg_g.debug = v != NULL && strcmp(v, "1") == 0;
	fg_load_policy();
	fg_identity();
	fg_fs_init();
	fg_kernel_init();
	fg_exec_init(environ);
	fg_net_init();
	fg_open_audit();
	fg_write_start();
	on_exit(fg_on_exit, NULL);
	fg_circuit_init();
	fg_in_guard--;
	fg_ready = 1;
}
