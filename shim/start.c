/* start.c - the preloaded library's constructor: policy, identity, Landlock, audit, before main().
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

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "audit/daemon.h"
#include "policy/seal.h"
#include "shim/auditconf.h"
#include "shim/shim.h"

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
 * record of a compiler called with thousands of files still fits.  Only
 * the start record reads it, within the constructor: argv is used in
 * place, and copied (to cold pages) only when it must be cut. */
#define FG_ARGV_MAX 255
#define FG_ARGV_BYTES 8192
static const char *const *fg_argv;

static void fg_keep_argv(char **argv)
{
	static FG_COLD const char *cut[FG_ARGV_MAX + 1];
	static FG_COLD char buf[FG_ARGV_BYTES];
	size_t n = 0, argc = 0;

	for (; argv != NULL && argv[argc] != NULL; argc++) {
		n += strlen(argv[argc]) + 1;
		if (argc == FG_ARGV_MAX || n > FG_ARGV_BYTES - 1)
			break;
	}
	if (argv == NULL || argv[argc] == NULL) {
		static const char *const none[1];

		fg_argv = argv != NULL ? (const char *const *)argv : none;
		return;
	}
	for (n = 0, argc = 0; argc < FG_ARGV_MAX && argv[argc] != NULL && n < sizeof(buf) - 1;
	     argc++) {
		size_t len = strlen(argv[argc]);

		if (len > sizeof(buf) - 1 - n)
			len = sizeof(buf) - 1 - n;
		memcpy(buf + n, argv[argc], len);
		buf[n + len] = '\0';
		cut[argc] = buf + n;
		n += len + 1;
	}
	cut[argc] = NULL;
	fg_argv = cut;
}

/* The exit record.  A process whose waiter (the process of this tree
 * that started it) is still its parent sends it without waiting: that
 * parent, or the first ancestor nobody in the tree waits for, waits at
 * its own exit for a barrier over the whole log, which appends every
 * record sent before it, ours included.  Any other process (the first of
 * a tree, one whose parent has gone or is not of the tree) waits for
 * that barrier itself: whoever waited for it then reads in the log every
 * record of every process that ended before it (docs/AUDIT.md).  No
 * flush: under fsync = batch the audit daemon syncs within 100 ms by
 * itself, and waiting for that here cost every process a disk sync. */
bool fg_exit_waits(void)
{
	return fg_g.waiter <= 0 || getppid() != fg_g.waiter;
}

static void fg_on_exit(int status, void *arg)
{
	struct fg_audit_field f = { .key = "status", .type = FG_AF_INT, .i = status };

	(void)arg;
	if (!fg_ready || fg_g.audit == NULL)
		return;
	fg_record_exit(&f, 1, fg_exit_waits());
}

/* _exit() (a shell ends so, dash always) writes no exit record, but the
 * process's children may have relied on it for their barrier. */
void fg_exit_barrier(void)
{
	int rc, saved = errno;

	if (!fg_ready || fg_g.audit == NULL || !fg_exit_waits())
		return;
	fg_in_guard++;
	rc = fg_audit_barrier(fg_g.audit);
	fg_in_guard--;
	if (rc != 0)
		fg_say("cannot write an earlier audit record to %s: %s", fg_g.pol->audit.log,
		       strerror(rc < 0 ? -rc : rc));
	errno = saved;
}

static bool fg_audit_owner_owns(const void *ctx, const char *path, size_t len)
{
	return fg_audit_owns(ctx, path, len);
}

static bool fg_audit_owner_above(const void *ctx, const char *path, size_t len)
{
	return fg_audit_owns_below(ctx, path, len);
}

/* The decimal number at *v (at most 9 digits), *v moved past it; -1 when
 * there is none.  Neither sscanf nor strtol: their code and locale tables
 * are pages (a fault each) no other start-up work touches. */
static long fg_digits(const char **v)
{
	long n = 0;
	int k = 0;

	for (; **v >= '0' && **v <= '9' && k < 10; (*v)++, k++)
		n = n * 10 + (**v - '0');
	return k == 0 || k > 9 ? -1 : n;
}

/* The connection the image before this one handed over at its exec, if
 * FG_AUDIT_HANDOVER_ENV names one ("<fd>:<owed>:<waiter>"): only a hint,
 * the audit client checks the descriptor before it uses it.  The waiter
 * (fg_g.waiter) decides only whether the exit record waits: a false one
 * delays when this process's last records reach the log, never whether
 * they do. */
static void fg_handed(struct fg_audit_conf *conf)
{
	const char *v = getenv(FG_AUDIT_HANDOVER_ENV);
	long fd, owed, waiter;

	if (v == NULL)
		return;
	fd = fg_digits(&v);
	if (fd < 0 || *v++ != ':')
		return;
	owed = fg_digits(&v);
	if (owed < 0 || (*v != '\0' && *v++ != ':'))
		return;
	waiter = v[-1] == ':' ? fg_digits(&v) : 0;
	if (waiter < 0 || *v != '\0')
		return;
	conf->handed_fd = (int)fd;
	conf->handed_owed = (int)owed;
	fg_g.waiter = (pid_t)waiter;
}

/* src into dst (cap bytes), cut to fit: no snprintf (see fg_digits). */
static void fg_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
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
	fg_handed(&conf);
	/* a first process keeps the connection its Landlock bring-up made
	 * (one connection and one hello per process) */
	fg_g.audit = fg_kernel_take_audit();
	rc = fg_g.audit != NULL ? 0 :
	     fg_g.landlock_active ? fg_audit_open_remote(&conf, &fg_g.audit, err, sizeof(err)) :
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
	struct fg_audit_field f[4] = {
		{ .key = "policy", .type = FG_AF_STR, .s = fg_g.pol->file, .len = strlen(fg_g.pol->file) },
		{ .key = "policy_sha256", .type = FG_AF_STR, .s = sha },
		{ .key = "argv", .type = FG_AF_STRV, .v = fg_argv },
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
	fg_copy(fg_g.agent, sizeof(fg_g.agent), id);
}

/* The audit daemon's state directory is sealed too when the policy leaves
 * it to the default ($XDG_STATE_HOME, $HOME, else the password file):
 * descendants then neither look at the environment the agent controls nor
 * read the password database in every process that has no HOME. */
static void fg_seal_state_dir(struct fg_policy *p)
{
	char dir[PATH_MAX];

	if (p->audit.state_dir != NULL && p->audit.state_dir[0] != '\0')
		return;
	fg_audit_default_state(dir, sizeof(dir));
	free(p->audit.state_dir);
	p->audit.state_dir = strdup(dir);
	if (p->audit.state_dir == NULL)
		fg_fatal("out of memory");
}

/* The digest of the policy's bytes as parsed (fg_policy_load_seen). */
static void fg_policy_digest(void *ctx, const void *bytes, size_t len)
{
	(void)ctx;
	fg_sha256_bytes(bytes, len, fg_g.policy_sha);
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
	if (fg_policy_load_seen(fg_g.policy_file, &p, fg_diag_first, &seen, fg_policy_digest,
				NULL) != 0 || p == NULL)
		fg_fatal("%s: cannot load the policy", fg_g.policy_file);
	/* the file is judged by the name the kernel resolves: store that one */
	real = realpath(p->file, NULL);
	if (real != NULL) {
		free(p->file);
		p->file = real;
	}
	fg_seal_state_dir(p);
	if (fg_seal_canonical_log(p) < 0)
		fg_fatal("out of memory");
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
		fg_copy(fg_g.policy_sha, sizeof(fg_g.policy_sha), sha);
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
