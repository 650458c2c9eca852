/* cmd_run.c - "fleetguard run [--policy FILE] [--agent-id ID] [--report]
 * [--floor MECH] -- CMD [ARG...]": check the policy, preload the library,
 * confine the process with Landlock and the floor under it, and exec CMD.
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
 * Exit status: CMD's; 1 when the policy has problems (printed as `fleetguard
 * check` prints them); 2 on usage errors; 126 when CMD cannot be run or the
 * confinement [filesystem] kernel = on asks for is not available; 127 when
 * CMD is not found.
 *
 * The policy is parsed here once and sealed (policy/seal.h) at descriptor
 * FG_SEAL_FD, which CMD and its descendants inherit: none of them reads the
 * policy file again.
 *
 * --report stays inside SPEC §7 (no new setting in the environment): it
 * writes a derived copy of the policy with [filesystem] and [network]
 * mode = report (and [workspace] root made explicit, since the copy lives
 * elsewhere) into a private temporary directory, points FLEETGUARD_POLICY
 * at it, runs CMD as a child and removes the copy when CMD exits.  Report
 * mode allows everything, so nothing is applied in the kernel.
 *
 * --floor auto|masking|supervisor: how deny paths inside read or write trees
 * are held against raw calls (tools/run_floor.c).  With the supervisor,
 * this process stays behind as the supervisor and CMD runs as its child.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit/audit.h"
#include "audit/daemon.h"
#include "kernel/landlock.h"
#include "kernel/start.h"
#include "policy/policy.h"
#include "policy/seal.h"
#include "tools/run_floor.h"
#include "tools/tools.h"

struct run_opts {
	const char *policy;
	const char *agent_id;
	bool report;
	bool paths;
	enum run_floor_want floor;
	bool quiet;
	bool debug;
};

static unsigned run_problems;
static const struct run_floor *run_fl;     /* the floor picked, for on_note */

/* What the floor needs when kernel/start.c is about to apply the ruleset:
 * after the audit daemon started (it keeps the host's view), before
 * Landlock. */
struct run_enter {
	const struct fg_policy *p;
	const struct run_opts *o;
	struct run_floor *fl;
	struct fg_audit_field *f;       /* "floor" and "masked" of the landlock record */
	const char *agent, *exe;
	bool entered;
};
static struct run_enter run_enter;
static bool run_sup_binds;              /* the supervisor binds UNIX socket names */
static bool run_build_late;             /* masking: the ruleset is built in the namespace */

/* The floor is picked once the audit directory exists (masking covers it)
 * and before the plan is built, so that the plan's notes can leave out what
 * masking now holds. */
static void on_opened(void *ctx, const char *log)
{
	struct run_enter *e = &run_enter;

	(void)ctx;
	run_floor_pick(e->p, log, e->o->floor, e->o->quiet, e->fl);
	run_fl = e->fl;
	run_sup_binds = e->fl->supervise;
	run_build_late = e->fl->masking;
	e->f[0].s = e->fl->mech;
	e->f[0].len = strlen(e->fl->mech);
	e->f[1].i = (int64_t)e->fl->masked;
}

static void on_entering(void *ctx, const struct fg_ll_own *own, size_t nown, int ruleset)
{
	(void)ctx;
	run_enter.fl->ruleset = ruleset;
	run_floor_enter(run_enter.p, run_enter.fl, own, nown, run_enter.agent, run_enter.exe);
	run_enter.entered = true;
}

static void on_diag(void *ctx, const char *file, unsigned line, const char *msg)
{
	(void)ctx;
	if (line)
		fprintf(stderr, "%s:%u: %s\n", file, line, msg);
	else
		fprintf(stderr, "%s: %s\n", file, msg);
	run_problems++;
}

static void on_note(void *ctx, bool debug, const char *msg)
{
	const struct run_opts *o = ctx;

	if (o->quiet || (debug && !o->debug))
		return;
	if (run_fl != NULL && run_floor_covers_note(run_fl, msg))
		return;         /* masking holds what the note says is library-only */
	fprintf(stderr, "%s: %s\n", fg_prog, msg);
}

static void on_warn(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s: %s\n", fg_prog, msg);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: %s run [--policy FILE] [--agent-id ID] [--report] [--paths] [--floor MECH]\n"
		   "                  -- CMD [ARG...]\n"
		   "\n"
		   "Run CMD under the preloaded library and, where the kernel has it, Landlock.\n"
		   "\n"
		   "  --policy FILE    the policy (default: $FLEETGUARD_POLICY)\n"
		   "  --agent-id ID    the agent id recorded in the audit log (refused when the\n"
		   "                   policy sets another agent_id)\n"
		   "  --report         allow everything, record what would be denied\n"
		   "  --paths          print the effective workspace root and audit log first\n"
		   "  --floor MECH     how deny rules inside read/write trees are held against\n"
		   "                   raw calls: auto (default), masking or supervisor\n",
		fg_prog);
}

/* --- --report: a derived policy ---------------------------------------- */

enum { SEC_OTHER, SEC_WORKSPACE, SEC_FS, SEC_NET };

static int section_of(const char *line)
{
	const char *s = line + strspn(line, " \t");
	size_t n;

	if (*s != '[')
		return -1;
	s++;
	s += strspn(s, " \t");
	n = strcspn(s, " \t]");
	if (n == 9 && strncmp(s, "workspace", 9) == 0)
		return SEC_WORKSPACE;
	if (n == 10 && strncmp(s, "filesystem", 10) == 0)
		return SEC_FS;
	if (n == 7 && strncmp(s, "network", 7) == 0)
		return SEC_NET;
	return SEC_OTHER;
}

static bool is_key(const char *line, const char *key)
{
	const char *s = line + strspn(line, " \t");
	size_t n = strlen(key);

	return strncmp(s, key, n) == 0 && strchr(" \t=:", s[n]) != NULL && s[n] != '\0';
}

/* Copy the policy with both modes set to report; returns the copy's path
 * (in a fresh 0700 directory, stored in dir). */
static char *derive_report(const struct fg_policy *p, char *dir, size_t dirlen)
{
	const char *tmp = getenv("TMPDIR");
	bool has[4] = { false }, mode[4] = { false }, root = false;
	char *line = NULL, *out;
	size_t cap = 0;
	FILE *in, *f;
	int sec = SEC_OTHER;

	in = fopen(p->file, "re");
	if (in == NULL)
		die(1, "cannot read '%s': %s", p->file, strerror(errno));
	while (getline(&line, &cap, in) > 0) {
		int s = section_of(line);

		if (s >= 0) {
			sec = s;
			has[sec] = true;
		} else if ((sec == SEC_FS || sec == SEC_NET) && is_key(line, "mode")) {
			mode[sec] = true;
		} else if (sec == SEC_WORKSPACE && is_key(line, "root")) {
			root = true;
		}
	}
	snprintf(dir, dirlen, "%s/fleetguard-report.XXXXXX", tmp && tmp[0] == '/' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		die(126, "cannot make a directory for the report policy: %s", strerror(errno));
	if (asprintf(&out, "%s/%s", dir, strrchr(p->file, '/') + 1) < 0)
		die(126, "out of memory");
	f = fopen(out, "wex");
	if (f == NULL)
		die(126, "cannot write '%s': %s", out, strerror(errno));
	rewind(in);
	sec = SEC_OTHER;
	while (getline(&line, &cap, in) > 0) {
		int s = section_of(line);

		if (s >= 0) {
			sec = s;
			fputs(line, f);
			if (line[strlen(line) - 1] != '\n')
				fputc('\n', f);
			if ((sec == SEC_FS || sec == SEC_NET) && !mode[sec])
				fputs("mode = report\n", f);
			if (sec == SEC_WORKSPACE && !root)
				fprintf(f, "root = %s\n", p->root);
			continue;
		}
		if ((sec == SEC_FS || sec == SEC_NET) && is_key(line, "mode"))
			fputs("mode = report\n", f);
		else
			fputs(line, f);
	}
	fputc('\n', f);
	if (!has[SEC_WORKSPACE])
		fprintf(f, "[workspace]\nroot = %s\n", p->root);
	if (!has[SEC_FS])
		fputs("[filesystem]\nmode = report\n", f);
	if (!has[SEC_NET])
		fputs("[network]\nmode = report\n", f);
	free(line);
	fclose(in);
	if (fclose(f) != 0)
		die(126, "cannot write '%s': %s", out, strerror(errno));
	return out;
}

/* --- the library and the environment ------------------------------------ */

bool fg_in_build_tree(void)
{
	char exe[PATH_MAX], build[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	exe[n > 0 ? n : 0] = '\0';
	slash = strrchr(exe, '/');
	if (slash != NULL)
		*slash = '\0';
	n = (ssize_t)strlen(exe);
	if (n >= 6 && strcmp(exe + n - 6, "/.libs") == 0)
		exe[n - 6] = '\0';
	if (realpath(FG_BUILDDIR, build) != NULL && strcmp(exe, build) == 0)
		return true;
	return false;
}

/* The build tree's library when this binary runs from the build tree,
 * else the installed one. */
static void pick_library(char *out, size_t len)
{
	if (fg_in_build_tree())
		snprintf(out, len, "%s/.libs/libfleetguard.so", FG_BUILDDIR);
	else
		snprintf(out, len, "%s/libfleetguard.so", FG_PKGLIBDIR);
	if (access(out, R_OK) != 0)
		die(126, "cannot use the preloaded library '%s': %s", out, strerror(errno));
}

/* LD_PRELOAD: what the caller had (an ASan runtime must stay first), then
 * the library, once. */
static void set_preload(const char *lib)
{
	const char *cur = getenv("LD_PRELOAD");
	char *v;

	if (cur != NULL && strstr(cur, lib) != NULL)
		return;
	if (cur != NULL && cur[0] != '\0') {
		if (asprintf(&v, "%s %s", cur, lib) < 0)
			die(126, "out of memory");
		setenv("LD_PRELOAD", v, 1);
		free(v);
	} else {
		setenv("LD_PRELOAD", lib, 1);
	}
}

/* The digest of the policy's bytes as parsed (fg_policy_load_seen): the
 * file is not read a second time for it. */
static char run_sha[65];

static void on_policy_bytes(void *ctx, const void *bytes, size_t len)
{
	(void)ctx;
	fg_sha256_bytes(bytes, len, run_sha);
}

/* Parse once, seal once: CMD and every descendant map this policy from
 * FG_SEAL_FD and never read the file, HOME or TMPDIR again. */
static void seal(struct fg_policy *p)
{
	char *real = realpath(p->file, NULL);
	int fd;

	if (real != NULL) {
		free(p->file);
		p->file = real;
	}
	/* the daemon's default state directory, expanded here once like the
	 * rest: no descendant looks at HOME or the password file for it */
	if (p->audit.state_dir == NULL || p->audit.state_dir[0] == '\0') {
		char state[PATH_MAX];

		fg_audit_default_state(state, sizeof(state));
		free(p->audit.state_dir);
		p->audit.state_dir = strdup(state);
		if (p->audit.state_dir == NULL)
			die(126, "out of memory");
	}
	if (fg_seal_canonical_log(p) < 0)
		die(126, "out of memory");
	fd = fg_seal_create(p, run_sha);
	if (fd < 0)
		die(126, "cannot seal the policy '%s': %s", p->file, strerror(-fd));
	if (dup2(fd, FG_SEAL_FD) < 0)
		die(126, "cannot place the sealed policy at descriptor %d: %s", FG_SEAL_FD,
		    strerror(errno));
	close(fd);
	setenv(FG_SEAL_ENV, "1", 1);
}

/* --- the kernel ---------------------------------------------------------- */

static void on_say(void *ctx, const char *msg)
{
	const struct run_opts *o = ctx;

	if (!o->quiet)
		fprintf(stderr, "%s: %s\n", fg_prog, msg);
}

/* The kernel's part (kernel/start.c): CMD starts inside the ruleset. */
static void confine(const struct fg_policy *p, const struct run_opts *o, const char *lib,
		    char **cmd)
{
	char exe[PATH_MAX], err[PATH_MAX + 256];
	const char *agent = p->agent_id;
	struct run_floor fl = { .mech = "none" };
	ssize_t n;
	struct fg_audit_field f[3] = {
		{ .key = "floor", .type = FG_AF_STR, .s = "none", .len = 4 },
		{ .key = "masked", .type = FG_AF_INT },
		{ .key = "argv", .type = FG_AF_STRV, .v = (const char *const *)cmd },
	};
	struct fg_ll_start s = {
		.pol = p, .library = lib, .marker = NULL, .verb = "run", .audit_required = true,
		.extra = f, .nextra = 3, .note = on_note, .say = on_say, .opened = on_opened,
		.entering = on_entering, .sup_binds = &run_sup_binds, .build_late = &run_build_late,
		.keep_audit = &fl.audit, .ctx = (void *)o,
	};

	unsetenv(FG_LL_MARKER);
	unsetenv(FG_AUDIT_HANDOVER_ENV);        /* only the one run_floor hands the agent */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	if (agent == NULL)
		agent = strrchr(cmd[0], '/') ? strrchr(cmd[0], '/') + 1 : cmd[0];
	run_enter = (struct run_enter){ .p = p, .fl = &fl, .f = f, .agent = agent, .exe = exe,
					.o = o };
	s.agent = agent;
	s.exe = exe;
	if (fg_ll_start(&s, err, sizeof(err)) < 0)
		die(126, "%s", err);
	if (run_enter.entered)
		run_floor_seal(p, &fl);
	run_fl = NULL;
}

/* --- running CMD ------------------------------------------------------- */

static noreturn void exec_cmd(char **cmd)
{
	int err;

	execvp(cmd[0], cmd);
	err = errno;
	fprintf(stderr, "%s: cannot run '%s': %s\n", fg_prog, cmd[0], strerror(err));
	_exit(err == ENOENT || err == ENOTDIR ? 127 : 126);
}

static volatile sig_atomic_t child_pid;

static void forward(int sig)
{
	if (child_pid > 0)
		kill((pid_t)child_pid, sig);
}

/* --report: CMD runs as a child so that the derived policy can be removed. */
static int run_child(char **cmd, const char *copy, const char *dir)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa = { .sa_handler = forward };
	int status = 0;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		die(126, "cannot fork: %s", strerror(errno));
	if (pid == 0)
		exec_cmd(cmd);
	child_pid = pid;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	unlink(copy);
	rmdir(dir);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* The options into o; returns the index of the command, exits on --help
 * (0) and on usage errors (2). */
static int parse_run_args(int argc, char **argv, struct run_opts *o)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "agent-id", required_argument, NULL, 'a' },
		{ "report", no_argument, NULL, 'r' },
		{ "paths", no_argument, NULL, 'P' },
		{ "floor", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': o->policy = optarg; break;
		case 'a': o->agent_id = optarg; break;
		case 'r': o->report = true; break;
		case 'P': o->paths = true; break;
		case 'f':
			if (run_floor_want_of(optarg, &o->floor) < 0)
				die(2, "--floor: expected auto, masking or supervisor, not '%s'", optarg);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "%s run: no command given\n", fg_prog);
		usage(stderr);
		exit(2);
	}
	v = getenv("FLEETGUARD_QUIET");
	o->quiet = v != NULL && strcmp(v, "1") == 0;
	v = getenv("FLEETGUARD_DEBUG");
	o->debug = v != NULL && strcmp(v, "1") == 0;
	if (o->policy == NULL)
		o->policy = getenv("FLEETGUARD_POLICY");
	if (o->policy == NULL || o->policy[0] == '\0')
		die(2, "no policy: give --policy FILE or set FLEETGUARD_POLICY");
	return optind;
}

/* The policy of o, or of its --report copy (*copy, in dir); exits 1 when
 * it does not load. */
static struct fg_policy *load_run_policy(const struct run_opts *o, char **copy, char *dir,
					 size_t dirlen)
{
	struct fg_policy *p, *rp;

	if (o->agent_id != NULL)
		setenv("FLEETGUARD_AGENT_ID", o->agent_id, 1);
	if (fg_policy_load_seen(o->policy, &p, on_diag, NULL, on_policy_bytes, NULL) != 0) {
		fprintf(stderr, "%s: %u problem%s in '%s'\n", fg_prog, run_problems,
			run_problems == 1 ? "" : "s", o->policy);
		exit(1);
	}
	/* the command line and the file disagree: neither silently wins */
	if (o->agent_id != NULL && p->agent_id != NULL && strcmp(o->agent_id, p->agent_id) != 0)
		die(2, "--agent-id '%s' conflicts with [workspace] agent_id = %s in '%s'\n"
		       "hint: remove agent_id from the policy to name each run on the command line",
		    o->agent_id, p->agent_id, p->file);
	if (!o->report)
		return p;
	*copy = derive_report(p, dir, dirlen);
	if (fg_policy_load_seen(*copy, &rp, on_diag, NULL, on_policy_bytes, NULL) != 0)
		die(1, "the report copy '%s' of '%s' does not load", *copy, p->file);
	fg_policy_free(p);
	return rp;
}

int fg_cmd_run(int argc, char **argv)
{
	struct run_opts o = { 0 };
	char lib[PATH_MAX], dir[PATH_MAX];
	struct fg_policy *p;
	char *copy = NULL, **cmd;

	cmd = argv + parse_run_args(argc, argv, &o);
	p = load_run_policy(&o, &copy, dir, sizeof(dir));
	if (o.paths)
		fg_print_paths(p, stderr, "fleetguard: ");
	if (!o.quiet)
		fg_warn_trees(p, on_warn, NULL);
	pick_library(lib, sizeof(lib));
	set_preload(lib);
	/* run makes its agents trust the gateway's CA: https endpoints too */
	fg_policy_gateway_resolve(p, true);
	seal(p);
	setenv("FLEETGUARD_POLICY", p->file, 1);
	fg_run_gateway(p, o.quiet);
	confine(p, &o, lib, cmd);
	fflush(NULL);
	if (copy != NULL) {
		fg_policy_free(p);
		return run_child(cmd, copy, dir);
	}
	/* p is not freed: the exec drops it with the rest of the image, and
	 * after the supervisor's fork each page a free writes is a copy-on-
	 * write fault (25 us here) on the agent's way to its exec */
	exec_cmd(cmd);
}
