/* fg-auditd.c - the audit daemon program: the only writer of one audit log.
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
 * Started by the library or the launcher (client.c: fork, setsid, fork,
 * exec, with an empty environment, stdio on /dev/null and the ready pipe
 * on descriptor 3), never by hand:
 *
 *   fg-auditd --log PATH --ready 3 [--fsync N] [--max-size N] [--key FILE]
 *             [--state DIR] [--witness LIST] [--forward URL]
 *             [--checkpoint-every N] [--user NAME]
 *
 * --user: started by root, it becomes NAME (its uid, gid, no other
 * groups) before it opens anything, and lets any user connect to its
 * socket (each record still carries its sender's uid from the kernel).
 *
 * It writes "" (one NUL) to the ready pipe once it listens on <log>.sock,
 * or a message saying why it cannot, and exits when its last client and
 * registered process are gone (server.c).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <limits.h>
#include <malloc.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "audit/checkpoint.h"
#include "audit/daemon.h"
#include "audit/https.h"
#include "audit/witness.h"

struct args {
	struct fg_audit_conf conf;
	int ready;
};

/* A whole decimal number, digits only (strtoull alone takes "-1", " 7", "+7"). */
static bool number(const char *s, unsigned long long max, unsigned long long *v)
{
	char *end = NULL;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno == 0 && end && !*end && *v <= max;
}

/* One option with a number; false with the reason in err. */
static bool num_opt(int c, const char *arg, struct args *o, char *err, size_t errlen)
{
	unsigned long long v;

	switch (c) {
	case 'r':
		if (!number(arg, INT_MAX, &v))
			break;
		o->ready = (int)v;
		return true;
	case 'f':
		if (!number(arg, FG_AUDIT_FSYNC_NEVER, &v))
			break;
		o->conf.fsync = (enum fg_audit_fsync)v;
		return true;
	case 'm':
		if (!number(arg, ULLONG_MAX, &v))
			break;
		o->conf.max_size = v;
		return true;
	case 'c':
		if (!number(arg, UINT_MAX, &v) || v == 0)
			break;
		o->conf.checkpoint_every = (unsigned)v;
		return true;
	}
	snprintf(err, errlen, "--%s '%s': expected %s",
		 c == 'r' ? "ready" : c == 'f' ? "fsync" : c == 'm' ? "max-size" : "checkpoint-every",
		 arg,
		 c == 'r' ? "a descriptor number" : c == 'f' ? "0 (batch), 1 (always) or 2 (never)" :
		 c == 'm' ? "a size in bytes" : "a count from 1 to 4294967295");
	return false;
}

static int parse_args(int argc, char **argv, struct args *o, char *err, size_t errlen)
{
	static const struct option longopts[] = {
		{ "log", required_argument, NULL, 'l' },
		{ "ready", required_argument, NULL, 'r' },
		{ "fsync", required_argument, NULL, 'f' },
		{ "max-size", required_argument, NULL, 'm' },
		{ "key", required_argument, NULL, 'k' },
		{ "state", required_argument, NULL, 's' },
		{ "witness", required_argument, NULL, 'w' },
		{ "forward", required_argument, NULL, 'F' },
		{ "checkpoint-every", required_argument, NULL, 'c' },
		{ "user", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->ready = -1;
	err[0] = '\0';
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'l': o->conf.path = optarg; break;
		case 'k': o->conf.key_file = optarg; break;
		case 's': o->conf.state_dir = optarg; break;
		case 'w': o->conf.witness = optarg; break;
		case 'F': o->conf.forward = optarg; break;
		case 'u': o->conf.daemon_user = optarg; break;
		case 'r': case 'f': case 'm': case 'c':
			if (!num_opt(c, optarg, o, err, errlen))
				return -EINVAL;
			break;
		default:        /* getopt_long has named the option */
			return -EINVAL;
		}
	}
	if (optind < argc)
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
	else if (!o->conf.path || !o->conf.path[0])
		snprintf(err, errlen, "--log PATH is required");
	else if (o->ready < 0)
		snprintf(err, errlen, "--ready FD is required");
	return err[0] ? -EINVAL : 0;
}

/* Become user name for good (root only; already being it is fine). */
static int become(const char *name, char *err, size_t errlen)
{
	struct passwd *pw = getpwnam(name);
	uid_t r, e, s;

	if (!pw) {
		snprintf(err, errlen, "daemon_user '%s': no such user", name);
		return -ENOENT;
	}
	if (geteuid() == pw->pw_uid && getuid() == pw->pw_uid)
		return 0;
	if (geteuid() != 0) {
		snprintf(err, errlen, "daemon_user '%s': only root can start the daemon as another user",
			 name);
		return -EPERM;
	}
	if (setgroups(0, NULL) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0 || getresuid(&r, &e, &s) < 0 ||
	    r != pw->pw_uid || e != pw->pw_uid || s != pw->pw_uid) {
		snprintf(err, errlen, "daemon_user '%s': cannot switch to it: %s", name,
			 strerror(errno ? errno : EPERM));
		return -EPERM;
	}
	return 0;
}

/* Say why we cannot serve, on the ready pipe and on stderr (/dev/null when
 * the library starts us; a person who started us by hand reads it there,
 * and the ready descriptor may not even be open), and go. */
static int fail(int ready, const char *msg)
{
	(void)!write(ready, msg, strlen(msg));
	fprintf(stderr, "fg-auditd: %s\n", msg);
	return 1;
}

int main(int argc, char **argv)
{
	struct args o = { 0 };
	struct fg_ckpt_conf cc = { 0 };
	struct fg_ckpt *ck = NULL;
	struct fg_audit *a = NULL;
	char err[PATH_MAX + 256], sock[PATH_MAX + 8], dir[PATH_MAX];
	const char *path, *slash;
	int st;

	if (parse_args(argc, argv, &o, err, sizeof(err)) < 0) {
		if (err[0])
			fprintf(stderr, "fg-auditd: %s\n", err);
		fprintf(stderr, "usage: fg-auditd --log PATH --ready FD [--fsync N] [--max-size N] [--key FILE] [--state DIR] [--witness LIST] [--forward URL] [--checkpoint-every N] [--user NAME]\n");
		return 2;
	}
	(void)prctl(PR_SET_NAME, "fg-auditd", 0, 0, 0);
	/* every connection's identity is a ~49 KiB block: with the default
	 * 128 KiB trim threshold, three connections' worth freed went back
	 * to the kernel and the next connections faulted the pages in again
	 * (two faults of about 26 us per agent process on a paravirtualised
	 * guest, on the path its exit record waits for); keep them */
	(void)mallopt(M_TRIM_THRESHOLD, 8 << 20);
	/* SCHED_BATCH: a record's send wakes the daemon, and the kernel puts
	 * a task woken by a socket send on the sender's CPU when it can; as
	 * an ordinary task the daemon then preempted the agent's process in
	 * the middle of its start-up (about one context switch per process
	 * under load, docs/PERFORMANCE.md, fifth pass).  A batch task never
	 * preempts on wake-up: it runs on an idle CPU at once, else when the
	 * sender blocks (every wait for an answer does) or at the next tick.
	 * Any user may choose it; its threads inherit it. */
	(void)sched_setscheduler(0, SCHED_BATCH, &(struct sched_param){ .sched_priority = 0 });
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	umask(077);
	if (chdir("/") < 0) {
		/* nothing depends on the working directory */
	}
	fg_wit_set_https(fg_https_post);
	o.conf.agent = "fg-auditd";
	o.conf.exe = argv[0];
	if (o.conf.daemon_user) {
		if (become(o.conf.daemon_user, err, sizeof(err)) < 0)
			return fail(o.ready, err);
		o.conf.daemon_uid = (long)getuid();
	}
	if (fg_audit_open(&o.conf, &a, err, sizeof(err)) < 0)
		return fail(o.ready, err);
	path = fg_audit_path(a);
	slash = strrchr(path, '/');
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash == path ? 1 : slash - path), path);
	fg_audit_sock_path(a, sock, sizeof(sock));
	cc.log = path;
	cc.state_dir = o.conf.state_dir;
	{
		struct fg_auditd_settings set;
		fg_audit_settings(a, &set);
		cc.state_dir = set.state_dir;
	}
	cc.witness = o.conf.witness;
	cc.forward = o.conf.forward;
	cc.every = o.conf.checkpoint_every;
	cc.digest = o.conf.key_file != NULL;
	err[0] = '\0';
	if (fg_ckpt_open(&cc, &ck, err, sizeof(err)) < 0) {
		fg_audit_close(a);
		return fail(o.ready, err);
	}
	st = fg_auditd_serve(a, sock, dir, o.ready, ck);
	fg_ckpt_close(ck);
	fg_audit_close(a);
	return st;
}
