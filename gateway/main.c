/* main.c - fleetguard-gateway: serves one policy's LLM endpoints until idle.
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
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "audit/audit.h"
#include "gateway/proxy.h"
#include "gateway/rendezvous.h"
#include "gateway/tls.h"
#include "policy/policy.h"
#include "shim/auditconf.h"

struct opts {
	const char *policy, *dir, *ca_dir;
	bool print_ca;
	int ready_fd;
	long root;
	unsigned linger;
};

static void usage(void)
{
	fprintf(stderr, "usage: fleetguard-gateway --policy FILE --dir STATE_DIR "
		"[--root PID] [--linger SECONDS] [--ready-fd N] [--ca-dir DIR]\n"
		"       fleetguard-gateway --print-ca [--ca-dir DIR]\n");
	exit(2);
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){ .ready_fd = -1, .linger = 10 };
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *end = NULL;

		if (strcmp(argv[i], "--print-ca") == 0) {
			o->print_ca = true;
			continue;
		}
		if (v == NULL)
			usage();
		if (strcmp(argv[i], "--policy") == 0) {
			o->policy = v;
		} else if (strcmp(argv[i], "--dir") == 0) {
			o->dir = v;
		} else if (strcmp(argv[i], "--ca-dir") == 0) {
			o->ca_dir = v;
		} else if (strcmp(argv[i], "--ready-fd") == 0) {
			o->ready_fd = (int)strtol(v, &end, 10);
		} else if (strcmp(argv[i], "--root") == 0) {
			o->root = strtol(v, &end, 10);
		} else if (strcmp(argv[i], "--linger") == 0) {
			o->linger = (unsigned)strtoul(v, &end, 10);
		} else {
			fprintf(stderr, "fleetguard-gateway: unknown option '%s'\n", argv[i]);
			usage();
		}
		if (end != NULL && (*end != '\0' || end == v)) {
			fprintf(stderr, "fleetguard-gateway: bad number '%s' for %s\n", v, argv[i]);
			usage();
		}
		i++;
	}
	if (!o->print_ca && (o->policy == NULL || o->dir == NULL))
		usage();
}

static void diag(void *ctx, const char *file, unsigned line, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "fleetguard-gateway: %s:%u: %s\n", file, line, msg);
}

/* The audit chain of the policy, through its daemon (the only writer),
 * started if none serves the log. */
static struct fg_audit *audit_attach(const struct fg_policy *p)
{
	char exe[PATH_MAX], err[512];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct fg_audit_conf conf;
	struct fg_audit *a = NULL;

	exe[n > 0 ? n : 0] = '\0';
	conf = fg_audit_conf_of(p, p->agent_id != NULL ? p->agent_id : "fleetguard-gateway", exe);
	/* we serve the agents but are none: a tree of another policy on the
	 * same log need not wait for our linger (docs/SECURITY.md) */
	conf.follower = true;
	if (fg_audit_open_client(&conf, &a, err, sizeof(err)) < 0) {
		fprintf(stderr, "fleetguard-gateway: %s; requests go unrecorded\n", err);
		return NULL;
	}
	return a;
}

static int serve(const struct opts *o, const struct fg_policy *p, const char *ports_path,
		 const char *roots_path, int lockfd)
{
	struct gw_conf conf = { .pol = p, .linger_s = o->linger, .root_pidfd = -1,
				.lockfd = lockfd, .ports_path = ports_path, .roots_path = roots_path,
				.ca_dir = o->ca_dir };
	struct fg_gw_ports old;
	struct fg_gw_ports ports = { .pid = getpid() };
	char err[4400];
	struct gw *g;
	int rc;

	if (o->root > 0)
		conf.root_pidfd = (int)syscall(SYS_pidfd_open, (pid_t)o->root, 0);
	conf.audit = audit_attach(p);
	/* after a crash, the same ports again: a Landlock domain allows those */
	if (fg_gw_ports_read(ports_path, &old) == 0) {
		conf.prefer = old.port;
		conf.nprefer = old.n;
	}
	rc = gw_new(&conf, &g, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "fleetguard-gateway: %s\n", err[0] ? err : strerror(-rc));
		return 1;
	}
	ports.n = (unsigned)p->nep;
	for (unsigned i = 0; i < ports.n && i < FG_GW_EP_MAX; i++)
		ports.port[i] = gw_port(g, i);
	rc = fg_gw_ports_write(ports_path, &ports);
	if (rc < 0) {
		fprintf(stderr, "fleetguard-gateway: cannot write '%s': %s\n", ports_path,
			strerror(-rc));
		gw_free(g);
		return 1;
	}
	if (o->ready_fd >= 0) {
		(void)!write(o->ready_fd, "ok\n", 3);
		close(o->ready_fd);
	}
	rc = gw_run(g);
	gw_free(g);
	if (conf.audit != NULL)
		fg_audit_close(conf.audit);
	return rc < 0 ? 1 : 0;
}

/* Make the CA if needed and print its certificate's path (for a client's
 * trust bundle in library-only mode). */
static int print_ca(const char *dir)
{
	char err[4400];
	struct gw_tls *t;

	if (dir == NULL) {
		fprintf(stderr, "fleetguard-gateway: no CA directory: set HOME or give --ca-dir\n");
		return 1;
	}
	if (gw_tls_new(dir, &t, err, sizeof(err)) < 0) {
		fprintf(stderr, "fleetguard-gateway: %s\n", err);
		return 1;
	}
	gw_tls_free(t);
	printf("%s/ca.pem\n", dir);
	return 0;
}

int main(int argc, char **argv)
{
	char key[FG_GW_KEY_LEN + 1], ports[4200], lock[4200], roots[4200];
	struct fg_policy *p = NULL;
	struct opts o;
	int lockfd, rc;

	parse_args(argc, argv, &o);
	signal(SIGPIPE, SIG_IGN);
	if (o.ca_dir == NULL) {
		static char ca[PATH_MAX];

		if (fg_gw_ca_dir(ca, sizeof(ca)) == 0)
			o.ca_dir = ca;
	}
	if (o.print_ca)
		return print_ca(o.ca_dir);
	if (fg_policy_load(o.policy, &p, diag, NULL) != 0)
		return 1;
	rc = fg_gw_key(p->file, key);
	if (rc == 0)
		rc = fg_gw_path(o.dir, key, ".ports", ports, sizeof(ports));
	if (rc == 0)
		rc = fg_gw_path(o.dir, key, ".lock", lock, sizeof(lock));
	if (rc == 0)
		rc = fg_gw_path(o.dir, key, ".roots", roots, sizeof(roots));
	if (rc < 0) {
		fprintf(stderr, "fleetguard-gateway: %s: %s\n", o.policy, strerror(-rc));
		return 1;
	}
	lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0660);
	if (lockfd < 0) {
		fprintf(stderr, "fleetguard-gateway: cannot open '%s': %s\n", lock, strerror(errno));
		return 1;
	}
	rc = serve(&o, p, ports, roots, lockfd);
	fg_policy_free(p);
	return rc;
}
