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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit/audit.h"
#include "kernel/supervisor.h"
#include "shim/auditconf.h"
#include "tools/run_floor.h"
#include "tools/tools.h"

int run_floor_want_of(const char *arg, enum run_floor_want *out)
{
	if (strcmp(arg, "auto") == 0)
		*out = RUN_FLOOR_AUTO;
	else if (strcmp(arg, "masking") == 0)
		*out = RUN_FLOOR_MASKING;
	else if (strcmp(arg, "supervisor") == 0)
		*out = RUN_FLOOR_SUPERVISOR;
	else
		return -EINVAL;
	return 0;
}

static void audit_paths(const char *log, char *dir, size_t dlen, char *sock, size_t slen)
{
	const char *slash = log ? strrchr(log, '/') : NULL;

	dir[0] = sock[0] = '\0';
	if (slash == NULL)
		return;
	snprintf(dir, dlen, "%.*s", (int)(slash > log ? slash - log : 1), log);
	snprintf(sock, slen, "%s.sock", log);
}

/* One line when the floor holds deny paths; the filter alone (nothing to
 * hold) is told only with FLEETGUARD_DEBUG=1, so that runs print what they
 * did before unless the floor changes what the agent sees. */
static void say(bool quiet, const struct run_floor *f, const struct fg_policy *p)
{
	const char *debug = getenv("FLEETGUARD_DEBUG");
	const char *dgram = p->net.mode != FG_MODE_ENFORCE ? "" :
			    f->net_sup && fg_sc_refuses_datagrams(p) ?
			    ", datagrams refused, UNIX socket destinations judged by the supervisor" :
			    f->net_sup ? ", datagram and UNIX socket destinations judged by the supervisor" :
			    fg_sc_refuses_datagrams(p) ? ", datagrams refused" :
			    ", datagram destinations left to the library";
	const char *s = f->masked == 1 ? "" : "s";

	if (quiet)
		return;
	if (f->masking)
		fprintf(stderr, "%s: floor: masking in a mount namespace (%zu path%s hidden from raw calls)%s%s\n",
			fg_prog, f->masked, s, f->sc ? ", seccomp filter" : "", f->sc ? dgram : "");
	else if (f->supervise)
		fprintf(stderr, "%s: floor: supervisor with seccomp user notification (opens judged outside the agent for %zu deny path%s)%s%s\n",
			fg_prog, f->masked, s, f->sc ? ", seccomp filter" : "", f->sc ? dgram : "");
	else if (f->sc != NULL && debug != NULL && strcmp(debug, "1") == 0)
		fprintf(stderr, "%s: floor: seccomp filter%s\n", fg_prog, dgram);
}

/* Neither masking nor a supervisor: say what is missing, refuse with
 * kernel = on. */
static void no_floor(const struct fg_policy *p, const struct run_floor *f, int mask_err,
		     int sup, bool quiet)
{
	char why[256];

	snprintf(why, sizeof(why), "%s%s%s",
		 mask_err ? "no mount namespace (" : "masking not chosen",
		 mask_err ? strerror(mask_err) : "", mask_err ? ")" : "");
	snprintf(why + strlen(why), sizeof(why) - strlen(why), " and %s",
		 !(sup & FG_SUP_NOTIF) ? "no seccomp user notification (Linux >= 5.0)" :
		 "no seccomp ADDFD with SEND (Linux >= 5.14)");
	if (p->fs.kernel == FG_KERNEL_ON)
		die(126, "floor: %s: cannot hold deny '%s' against raw calls: refusing to run with [filesystem] kernel = on (policy %s:%u)",
		    why, fg_mask_plan_path(f->mask, 0), p->file, p->fs.line);
	if (!quiet)
		fprintf(stderr, "%s: floor: %s: %zu deny path%s inside read or write trees stay library-only\n",
			fg_prog, why, f->masked, f->masked == 1 ? "" : "s");
}

static void pick_mech(const struct fg_policy *p, enum run_floor_want want, bool quiet,
		      struct run_floor *f)
{
	int err = 0, sup;

	if (want != RUN_FLOOR_SUPERVISOR && fg_mask_available(&err)) {
		f->masking = true;
		return;
	}
	if (want == RUN_FLOOR_MASKING && p->fs.kernel == FG_KERNEL_ON)
		die(126, "--floor=masking: cannot enter a mount namespace: %s", strerror(err));
	sup = fg_sup_probe();
	if (want != RUN_FLOOR_MASKING && (sup & FG_SUP_NOTIF) && (sup & FG_SUP_ADDFD)) {
		f->supervise = true;
		return;
	}
	no_floor(p, f, err, want == RUN_FLOOR_MASKING ? FG_SUP_NOTIF : sup, quiet);
	fg_mask_plan_free(f->mask);
	f->mask = NULL;
	f->masked = 0;
}

void run_floor_pick(const struct fg_policy *p, const char *audit_log, enum run_floor_want want,
		    bool quiet, struct run_floor *f)
{
	char dir[PATH_MAX], sock[PATH_MAX + 8];
	int rc;

	*f = (struct run_floor){ .mech = "none", .sock = -1, .ruleset = -1, .handed = -1 };
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
	if (f->mask != NULL)
		pick_mech(p, want, quiet, f);
	/* raw writes to the policy file in a write tree: EROFS under masking
	 * (the supervisor refuses them as one of fleetguard's own files) */
	if (f->masking && fg_mask_plan_keep_ro(f->mask, p, p->file) < 0)
		die(126, "cannot plan the masks: %s", strerror(ENOMEM));
	rc = fg_sc_build(p, &f->sc);
	if (rc < 0 && rc != -ENOSYS)
		die(126, "cannot build the seccomp filter: %s", strerror(-rc));
	/* socket destinations: judged outside the agent wherever it can be */
	if (f->sc != NULL && p->net.mode == FG_MODE_ENFORCE &&
	    (fg_sup_probe() & (FG_SUP_NOTIF | FG_SUP_GETFD)) == (FG_SUP_NOTIF | FG_SUP_GETFD))
		f->net_sup = true;
	f->mech = f->masking ? "masking" : f->supervise ? "supervisor" : f->sc ? "seccomp" : "none";
	say(quiet, f, p);
}

/* --- the agent's audit connection -------------------------------------- */

/* "<fd>:<owed>" into v (32 bytes) without snprintf: in a fork child its
 * code would be pages touched first, a fault each. */
static const char *handover_text(char *v, int fd, int owed)
{
	char *e = v + 31;

	*e = '\0';
	*--e = (char)('0' + owed % 10);
	*--e = ':';
	for (int n = fd; n > 0 || *e == ':'; n /= 10)
		*--e = (char)('0' + n % 10);
	return e;
}

/* Supervisor mode, before the fork: a number for the agent's audit
 * connection, held by a placeholder, and FG_AUDIT_HANDOVER_ENV naming it,
 * so that the child only puts its connection there (setenv in the child
 * wrote pages it shares with its parent: copy-on-write faults). */
static void reserve_handover(struct run_floor *f, int any)
{
	char v[32];

	f->handed = f->audit != NULL ? fcntl(any, F_DUPFD, 512) : -1;
	if (f->handed >= 0 && setenv(FG_AUDIT_HANDOVER_ENV, handover_text(v, f->handed, 1), 1) < 0) {
		close(f->handed);
		f->handed = -1;
	}
}

/* The agent's image adopts a connection made here (its hello sent, the
 * answer owed), checked as after any exec: its own connect would be a
 * trapped call under the supervisor, a round trip through this
 * launcher's parent.  Without one (or at a number that is not one: the
 * image checks) it connects itself, as before. */
static void hand_agent_audit(struct run_floor *f)
{
	struct fg_audit_handover h;
	char v[32];

	if (f->audit == NULL || fg_audit_handover_new(f->audit, &h) < 0) {
		if (f->handed >= 0)
			close(f->handed);
		return;
	}
	if (f->handed >= 0) {
		if (dup3(h.fd, f->handed, 0) < 0)
			close(f->handed);
		close(h.fd);
		return;
	}
	if (setenv(FG_AUDIT_HANDOVER_ENV, handover_text(v, h.fd, h.owed), 1) < 0)
		close(h.fd);
}

/* --- the supervisor ------------------------------------------------------- */

struct sup_state {
	const struct fg_policy *p;
	bool share_root;        /* paths supervised: no mount namespace, no chroot */
	bool masking;           /* the agent runs in a user namespace of its own */
	struct fg_audit *a;
	pid_t child;
	int status;
	int sigfd;
};

static volatile sig_atomic_t sup_child;

static void sup_forward(int sig)
{
	if (sup_child > 0)
		kill((pid_t)sup_child, sig);
}

static void sup_record(void *ctx, const struct fg_sup_event *ev)
{
	const struct sup_state *st = ctx;
	const struct fg_policy *p = st->p;
	char rule[PATH_MAX + 16];
	bool open = ev->flags >= 0;
	bool write = !open || (ev->flags & O_ACCMODE) != O_RDONLY ||
		     (ev->flags & (O_CREAT | O_TRUNC));
	struct fg_audit_field f[5] = {
		{ .key = ev->addr ? "addr" : "path", .type = FG_AF_STR, .s = ev->path,
		  .len = strlen(ev->path) },
	};
	enum fg_mode mode = ev->addr ? p->net.mode : p->fs.mode;
	struct fg_audit_rec rec = { .op = ev->op, .f = f, .nf = 1, .result = ev->result };

	/* a refusal no rule decided is Landlock's default (it refuses the
	 * same outside the trees, unrecorded): the library's own start-up
	 * probes would fill the log */
	if (!ev->allow && ev->line == 0 && !ev->own)
		return;
	if (st->a == NULL || (ev->allow && p->audit.events == FG_EVENTS_DENIED) ||
	    (ev->allow && !write && p->audit.events == FG_EVENTS_WRITES))
		return;
	if (ev->path2 != NULL)
		f[rec.nf++] = (struct fg_audit_field){ .key = "path2", .type = FG_AF_STR,
						       .s = ev->path2, .len = strlen(ev->path2) };
	if (open)
		f[rec.nf++] = (struct fg_audit_field){ .key = "flags", .type = FG_AF_INT,
						       .i = ev->flags };
	f[rec.nf++] = (struct fg_audit_field){ .key = "via", .type = FG_AF_STR, .s = "kernel",
					       .len = 6 };
	f[rec.nf++] = (struct fg_audit_field){ .key = "agent_tid", .type = FG_AF_INT,
					       .i = ev->tid };
	rec.decision = !ev->allow && mode != FG_MODE_ENFORCE ? "report" :
		       ev->allow ? "allow" : "deny";
	if (ev->line > 0) {
		snprintf(rule, sizeof(rule), "%s:%u", p->file, ev->line);
		rec.rule = rule;
	}
	fg_audit_append(st->a, &rec);
}

static void sup_reap(void *ctx)
{
	struct sup_state *st = ctx;
	struct signalfd_siginfo si;
	int status;
	pid_t pid;

	while (read(st->sigfd, &si, sizeof(si)) == sizeof(si))
		;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		if (pid == st->child)
			st->status = status;
}

/* The listener crosses by number: the agent's own sendmsg is a trapped
 * call by then, so the supervisor takes the descriptor from it (pidfd_getfd)
 * while it waits for the answer. */
static int recv_fd(int sock, pid_t child)
{
	int n, pidfd, fd;

	if (recv(sock, &n, sizeof(n), 0) != (ssize_t)sizeof(n))
		return -EPIPE;
	pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	if (pidfd < 0)
		return -errno;
	fd = (int)syscall(SYS_pidfd_getfd, pidfd, n, 0);
	fd = fd < 0 ? -errno : fd;
	close(pidfd);
	(void)!send(sock, "k", 1, MSG_NOSIGNAL);
	return fd;
}

static int send_fd(int sock, int fd)
{
	char k;

	if (send(sock, &fd, sizeof(fd), MSG_NOSIGNAL) != (ssize_t)sizeof(fd))
		return -errno;
	return recv(sock, &k, 1, 0) == 1 ? 0 : -EPIPE;
}

static void sup_audit(struct sup_state *st, const char *agent, const char *exe)
{
	struct fg_audit_conf conf = fg_audit_conf_of(st->p, agent, exe);
	char err[512];

	/* the launcher's own hello (kernel/start.c) just reached this daemon
	 * with these settings: the supervisor does not wait for its answer
	 * before it serves the agent, whose first trapped call (its own
	 * connect to the daemon) waited for it (the answer is read before
	 * the first record's; a refusal fails that record) */
	conf.owe_hello = true;
	if (fg_audit_open_remote(&conf, &st->a, err, sizeof(err)) < 0) {
		st->a = NULL;
		if (st->p->audit.on_failure == FG_ONFAIL_DENY) {
			kill(st->child, SIGKILL);
			die(126, "floor: the supervisor cannot write to the audit log: %s", err);
		}
	}
}

/* The parent: serve until no process of the agent's tree is left, then
 * exit as the agent did.  A subreaper, so it stays the ancestor (Yama's
 * ptrace rule) and reaps what the filter's release waits for. */
static noreturn void supervise(const struct fg_policy *p, const struct fg_ll_own *own,
			       size_t nown, const char *agent, const char *exe, int sock,
			       struct sup_state *st)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa = { .sa_handler = sup_forward };
	struct fg_sup *s = NULL;
	int listener, rc;
	sigset_t chld;

	sup_child = st->child;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	listener = recv_fd(sock, st->child);
	close(sock);
	if (listener >= 0) {
		if (st->a == NULL)
			sup_audit(st, agent, exe);
		rc = fg_sup_new(p, own, nown, sup_record, st, &s);
		if (rc == 0 && st->share_root)
			rc = fg_sup_share_root(s);
		if (rc == 0 && st->masking)
			fg_sup_creds_vary(s);   /* the agent is in its own user namespace */
		if (rc < 0) {
			kill(st->child, SIGKILL);
			die(126, "floor: cannot start the supervisor: %s", strerror(-rc));
		}
		rc = fg_sup_serve(s, listener, st->sigfd, sup_reap, st);
		if (rc < 0) {
			kill(st->child, SIGKILL);
			fprintf(stderr, "%s: floor: the supervisor's listener broke: %s\n", fg_prog,
				strerror(-rc));
		}
	}
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_UNBLOCK, &chld, NULL);
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, 0);

		if (pid == st->child)
			st->status = status;
		if (pid < 0 && errno != EINTR)
			break;
	}
	fg_sup_free(s);
	/* the close flushes (every record of the tree is in the log when run
	 * returns): a flush before it was a second round trip to the daemon */
	if (st->a != NULL)
		fg_audit_close(st->a);
	if (WIFSIGNALED(st->status))
		exit(128 + WTERMSIG(st->status));
	exit(WEXITSTATUS(st->status));
}

/* Fork: the child returns to become the agent (with f->sock its end of
 * the socket pair), the parent supervises and never returns. */
static void start_supervisor(const struct fg_policy *p, struct run_floor *f,
			     const struct fg_ll_own *own, size_t nown, const char *agent,
			     const char *exe)
{
	static struct sup_state st;
	sigset_t chld;
	int sv[2];
	pid_t pid;
	bool pooled;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		die(126, "floor: cannot make a socket pair: %s", strerror(errno));
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	st = (struct sup_state){ .p = p, .sigfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC),
				 .share_root = f->supervise && !f->masking, .masking = f->masking };
	if (st.sigfd < 0 || prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		die(126, "floor: cannot set up the supervisor: %s", strerror(errno));
	reserve_handover(f, sv[1]);
	/* spare connections for the tree: a process's own connect would be
	 * a trapped call, a round trip through this supervisor (120 us here) */
	pooled = f->audit != NULL && fg_audit_pool_open(f->audit) == 0;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die(126, "cannot fork: %s", strerror(errno));
	if (pid == 0) {
		sigprocmask(SIG_UNBLOCK, &chld, NULL);
		close(st.sigfd);
		close(sv[0]);
		f->sock = sv[1];
		return;
	}
	close(sv[1]);
	if (pooled)
		close(FG_AUDIT_POOL_FD);        /* the tree's */
	if (f->ruleset >= 0)
		close(f->ruleset);      /* the agent's, not the supervisor's */
	if (f->handed >= 0)
		close(f->handed);
	st.child = pid;
	/* the launcher's connection, its hello and landlock record answered */
	st.a = f->audit;
	signal(SIGPIPE, SIG_IGN);
	supervise(p, own, nown, agent, exe, sv[0], &st);
}

void run_floor_enter(const struct fg_policy *p, struct run_floor *f, const struct fg_ll_own *own,
		     size_t nown, const char *agent, const char *exe)
{
	int rc;

	/* the supervisor stays outside the mount namespace and the domain */
	if (f->supervise || f->net_sup)
		start_supervisor(p, f, own, nown, agent, exe);
	if (f->masking) {
		rc = fg_mask_apply(f->mask);
		if (rc < 0)
			die(126, "cannot hide the denied paths: %s", strerror(-rc));
	}
	hand_agent_audit(f);
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
	if (f->sock >= 0) {
		rc = fg_sup_install((f->supervise ? FG_SUP_TRAP_PATHS : 0) |
				    (f->net_sup ? FG_SUP_TRAP_NET : 0));
		if (rc >= 0) {
			int lfd = rc;

			rc = send_fd(f->sock, lfd);
			close(lfd);
		}
		if (rc < 0)
			die(126, "floor: cannot hand the agent's opens to the supervisor: %s",
			    strerror(-rc));
		close(f->sock);
		f->sock = -1;
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
