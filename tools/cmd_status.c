/* cmd_status.c - `fleetguard status` and `fleetguard breaker reset|open`.
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
 * Both read the breaker state files of the policy's state_dir values (the
 * [breaker] one and any an [endpoint] sets: the files the agents under that
 * policy share).  status shows every endpoint in the file;
 * breaker forces one endpoint of the policy and records it in the policy's
 * audit log.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "breaker/breaker.h"
#include "policy/policy.h"
#include "tools/tools.h"

static void diag_print(void *ctx, const char *file, unsigned line, const char *msg)
{
	if (line > 0)
		fprintf(stderr, "%s: %s:%u: %s\n", fg_prog, file, line, msg);
	else
		fprintf(stderr, "%s: %s: %s\n", fg_prog, file, msg);
}

static struct fg_policy *load_policy(const char *file)
{
	struct fg_policy *p = NULL;

	if (file == NULL)
		file = getenv("FLEETGUARD_POLICY");
	if (file == NULL || file[0] == '\0')
		die(2, "no policy: give --policy FILE or set FLEETGUARD_POLICY");
	if (fg_policy_load(file, &p, diag_print, NULL) != 0 || p == NULL)
		die(1, "cannot load policy '%s'", file);
	return p;
}

static void say_stderr(void *ctx, const char *msg)
{
	fprintf(stderr, "%s: %s\n", fg_prog, msg);
}

/* The state file the agents of this [breaker] configuration use. */
static struct fg_bk_map *open_map(const struct fg_breaker_conf *c)
{
	struct fg_bk_env env = { .say = say_stderr };
	struct fg_bk_map *m;
	char err[4400];
	int rc = fg_bk_map_open_conf(c, &env, &m, err, sizeof(err));

	if (rc < 0)
		die(1, "%s", err[0] ? err : strerror(-rc));
	return m;
}

/* Wall-clock time of a breaker clock instant, as RFC 3339 UTC. */
static void wall_time(uint64_t at_ms, uint64_t now_ms, char out[32])
{
	struct timespec ts;
	struct tm tm;
	time_t t;

	clock_gettime(CLOCK_REALTIME, &ts);
	t = ts.tv_sec + (time_t)((int64_t)(at_ms - now_ms) / 1000);
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static uint64_t left_ms(const struct fg_bk_snap *s)
{
	return s->until_ms > s->now_ms ? s->until_ms - s->now_ms : 0;
}

/* --- text ----------------------------------------------------------------- */

static void print_text(const char *path, const struct fg_bk_snap *v, size_t n)
{
	printf("state file: %s\n", path);
	if (n == 0) {
		printf("no endpoint has been used yet\n");
		return;
	}
	printf("%-16s %-28s %-9s %8s %6s %6s %6s %-20s %10s %9s %8s %7s %6s\n", "ENDPOINT",
	       "ADDRESS", "STATE", "FAILURES", "429", "5XX", "OTHER", "OPEN-UNTIL", "NEXT-PROBE",
	       "CALLS", "REFUSED", "PROBES", "OPENS");
	for (size_t i = 0; i < n; i++) {
		const struct fg_bk_snap *s = &v[i];
		uint64_t other = s->streak[FG_BK_F_CONNECT] + s->streak[FG_BK_F_RESET] +
				 s->streak[FG_BK_F_STATUS] + s->streak[FG_BK_F_SLOW];
		char until[32] = "-", next[24] = "-";

		if (s->state == FG_BK_OPEN) {
			wall_time(s->until_ms, s->now_ms, until);
			snprintf(next, sizeof(next), "%llu s",
				 (unsigned long long)((left_ms(s) + 999) / 1000));
		} else if (s->state == FG_BK_HALF) {
			snprintf(next, sizeof(next), "probing");
		}
		printf("%-16s %-28s %-9s %8u %6llu %6llu %6llu %-20s %10s %9llu %8llu %7llu %6llu\n",
		       s->name, s->addr, fg_bk_state_name(s->state), s->failures,
		       (unsigned long long)s->streak[FG_BK_F_429],
		       (unsigned long long)s->streak[FG_BK_F_5XX], (unsigned long long)other, until,
		       next, (unsigned long long)s->admitted, (unsigned long long)s->refused,
		       (unsigned long long)s->probes, (unsigned long long)s->opens);
	}
}

/* --- JSON ----------------------------------------------------------------- */

static void json_str(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void json_outcomes(const uint64_t *v)
{
	for (int o = FG_BK_F_CONNECT; o < FG_BK_OUTCOMES; o++)
		printf("%s\"%s\":%llu", o == FG_BK_F_CONNECT ? "" : ",", fg_bk_outcome_name(o),
		       (unsigned long long)v[o]);
}

static void print_json(const char *const *files, const struct fg_bk_snap *v, size_t n)
{
	printf("{\"state_file\":");
	json_str(files[n]);
	printf(",\"endpoints\":[");
	for (size_t i = 0; i < n; i++) {
		const struct fg_bk_snap *s = &v[i];
		char until[32];

		printf("%s{\"name\":", i ? "," : "");
		json_str(s->name);
		printf(",\"state_file\":");
		json_str(files[i]);
		printf(",\"address\":");
		json_str(s->addr);
		printf(",\"state\":\"%s\",\"generation\":%u,\"consecutive_failures\":%u,",
		       fg_bk_state_name(s->state), s->gen, s->failures);
		printf("\"streak\":{");
		json_outcomes(s->streak);
		printf("},\"open_until\":");
		if (s->state == FG_BK_OPEN) {
			wall_time(s->until_ms, s->now_ms, until);
			printf("\"%s\",\"next_probe_seconds\":%llu", until,
			       (unsigned long long)((left_ms(s) + 999) / 1000));
		} else {
			printf("null,\"next_probe_seconds\":null");
		}
		printf(",\"failed_probes\":%u,\"probes_out\":%u", s->level, s->probes_out);
		printf(",\"counters\":{\"calls\":%llu,\"refused\":%llu,\"probes\":%llu,"
		       "\"fallbacks\":%llu,\"opens\":%llu,\"ignored_results\":%llu,"
		       "\"successes\":%llu,\"failures\":{",
		       (unsigned long long)s->admitted, (unsigned long long)s->refused,
		       (unsigned long long)s->probes, (unsigned long long)s->fallbacks,
		       (unsigned long long)s->opens, (unsigned long long)s->ignored,
		       (unsigned long long)s->total[FG_BK_OK]);
		json_outcomes(s->total);
		printf("}}}");
	}
	printf("]}\n");
}

/* --- Prometheus text exposition ------------------------------------------ */

static void prom_labels(const struct fg_bk_snap *s)
{
	const char *f[2] = {s->name, s->addr};
	const char *k[2] = {"endpoint", "address"};

	putchar('{');
	for (int i = 0; i < 2; i++) {
		printf("%s%s=\"", i ? "," : "", k[i]);
		for (const char *c = f[i]; *c != '\0'; c++) {
			if (*c == '\\' || *c == '"')
				printf("\\%c", *c);
			else if (*c == '\n')
				printf("\\n");
			else
				putchar(*c);
		}
		putchar('"');
	}
}

static void prom_head(const char *name, const char *type, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{...,kind="..."} per endpoint and failure kind, from the streak
 * (gauge) or total (counter) array. */
static void prom_by_kind(const char *name, const struct fg_bk_snap *v, size_t n, bool totals)
{
	for (size_t i = 0; i < n; i++)
		for (int o = FG_BK_F_CONNECT; o < FG_BK_OUTCOMES; o++) {
			printf("%s", name);
			prom_labels(&v[i]);
			printf(",kind=\"%s\"} %llu\n", fg_bk_outcome_name(o),
			       (unsigned long long)(totals ? v[i].total[o] : v[i].streak[o]));
		}
}

/* The gauges: state, the current streak, the end of an open period. */
static void prom_gauges(const struct fg_bk_snap *v, size_t n)
{
	prom_head("fleetguard_breaker_state", "gauge",
		  "Circuit state: 1 for the current one of closed, open, half-open.");
	for (size_t i = 0; i < n; i++)
		for (int st = 0; st < 3; st++) {
			printf("fleetguard_breaker_state");
			prom_labels(&v[i]);
			printf(",state=\"%s\"} %d\n", fg_bk_state_name((enum fg_bk_state)st),
			       v[i].state == (enum fg_bk_state)st);
		}
	prom_head("fleetguard_breaker_consecutive_failures", "gauge",
		  "Consecutive failures in the current streak.");
	for (size_t i = 0; i < n; i++) {
		printf("fleetguard_breaker_consecutive_failures");
		prom_labels(&v[i]);
		printf("} %u\n", v[i].failures);
	}
	prom_head("fleetguard_breaker_streak_failures", "gauge",
		  "Failures in the current streak by kind (429 quota apart from 5xx health).");
	prom_by_kind("fleetguard_breaker_streak_failures", v, n, false);
	prom_head("fleetguard_breaker_open_until_seconds", "gauge",
		  "Unix time at which an open circuit lets a probe through, 0 when not open.");
	for (size_t i = 0; i < n; i++) {
		struct timespec ts;
		double t = 0;

		if (v[i].state == FG_BK_OPEN) {
			clock_gettime(CLOCK_REALTIME, &ts);
			t = (double)ts.tv_sec + (double)left_ms(&v[i]) / 1000.0;
		}
		printf("fleetguard_breaker_open_until_seconds");
		prom_labels(&v[i]);
		printf("} %.3f\n", t);
	}
}

static void print_prometheus(const struct fg_bk_snap *v, size_t n)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} counters[] = {
		{"fleetguard_breaker_calls_total", "Calls let through (including probes).",
		 offsetof(struct fg_bk_snap, admitted)},
		{"fleetguard_breaker_refused_total", "Connects refused at once while the circuit was open.",
		 offsetof(struct fg_bk_snap, refused)},
		{"fleetguard_breaker_probes_total", "Half-open probes let through.",
		 offsetof(struct fg_bk_snap, probes)},
		{"fleetguard_breaker_fallbacks_total", "Connects sent to the fallback while open.",
		 offsetof(struct fg_bk_snap, fallbacks)},
		{"fleetguard_breaker_opens_total", "Times the circuit opened.",
		 offsetof(struct fg_bk_snap, opens)},
		{"fleetguard_breaker_ignored_results_total",
		 "Results ignored because their call began in an earlier generation.",
		 offsetof(struct fg_bk_snap, ignored)},
	};

	prom_gauges(v, n);
	prom_head("fleetguard_breaker_failures_total", "counter", "Failed calls by kind.");
	prom_by_kind("fleetguard_breaker_failures_total", v, n, true);
	prom_head("fleetguard_breaker_successes_total", "counter", "Calls judged successful.");
	for (size_t i = 0; i < n; i++) {
		printf("fleetguard_breaker_successes_total");
		prom_labels(&v[i]);
		printf("} %llu\n", (unsigned long long)v[i].total[FG_BK_OK]);
	}
	for (size_t c = 0; c < sizeof(counters) / sizeof(counters[0]); c++) {
		prom_head(counters[c].name, "counter", counters[c].help);
		for (size_t i = 0; i < n; i++) {
			const uint64_t *val =
				(const uint64_t *)(const void *)((const char *)&v[i] + counters[c].off);

			printf("%s", counters[c].name);
			prom_labels(&v[i]);
			printf("} %llu\n", (unsigned long long)*val);
		}
	}
}

/* The [breaker] configurations of a policy with distinct state
 * directories: [breaker]'s first. */
static size_t state_dirs(const struct fg_policy *p, const struct fg_breaker_conf **dirs)
{
	size_t n = 0;

	dirs[n++] = &p->breaker;
	for (size_t i = 0; i < p->nep; i++) {
		const struct fg_breaker_conf *c = &p->ep[i].breaker;
		bool seen = false;

		for (size_t j = 0; j < n && !seen; j++)
			seen = c->state_dir_set == dirs[j]->state_dir_set &&
			       (c->state_dir == dirs[j]->state_dir ||
				(c->state_dir != NULL && dirs[j]->state_dir != NULL &&
				 strcmp(c->state_dir, dirs[j]->state_dir) == 0));
		if (!seen)
			dirs[n++] = c;
	}
	return n;
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

/* The audit daemon of the policy's log, if one runs: its witnesses. */
static void print_audit(const struct fg_policy *p)
{
	struct fg_audit_conf conf = { .path = p->audit.log, .key_file = p->audit.key_file,
				      .max_size = p->audit.max_size,
				      .daemon_user = p->audit.daemon_user,
				      .daemon_uid = p->audit.daemon_uid };
	char text[4096];
	int pid = fg_audit_daemon_status(&conf, text, sizeof(text));

	printf("\naudit log %s: ", p->audit.log);
	if (pid < 0) {
		printf("no audit daemon running (%s)\n", strerror(-pid));
		return;
	}
	printf("audit daemon pid %d\n", pid);
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"))
		printf("  %s\n", l);
}

int fg_cmd_status(int argc, char **argv)
{
	enum { TEXT, JSON, PROM } fmt = TEXT;
	const char *policy = NULL;
	struct fg_bk_snap *snaps;
	const struct fg_breaker_conf **dirs;
	const char **files;
	struct fg_bk_map **maps;
	struct fg_policy *p;
	size_t n = 0, nd;

	if (wants_help(argc, argv)) {
		printf("usage: %s status [--policy FILE] [--json|--prometheus]\n\n"
		       "Print every circuit's state, failures, open-until and counters, from the\n"
		       "shared state of the policy's state_dir (default: $FLEETGUARD_POLICY).\n\n"
		       "  --policy FILE   the policy (its [breaker] state_dir and endpoints)\n"
		       "  --json          as JSON\n"
		       "  --prometheus    in the Prometheus text exposition format\n", fg_prog);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			fmt = JSON;
		else if (strcmp(argv[i], "--prometheus") == 0)
			fmt = PROM;
		else if (strcmp(argv[i], "--policy") == 0 && i + 1 < argc)
			policy = argv[++i];
		else
			die(2, "usage: fleetguard status [--policy FILE] [--json|--prometheus]");
	}
	p = load_policy(policy);
	/* an array of pointers to configurations, not of configurations */
	dirs = calloc(p->nep + 1, sizeof(*dirs)); /* NOLINT(bugprone-sizeof-expression) */
	maps = calloc(p->nep + 1, sizeof(struct fg_bk_map *));
	snaps = calloc((p->nep + 1) * FG_BK_SLOTS, sizeof(*snaps));
	files = calloc((p->nep + 1) * FG_BK_SLOTS + 1, sizeof(*files));
	if (dirs == NULL || maps == NULL || snaps == NULL || files == NULL) {
		die(1, "out of memory");
		return 1;   /* not reached; for readers that do not know die() */
	}
	nd = state_dirs(p, dirs);
	for (size_t d = 0; d < nd; d++) {
		size_t first = n;

		maps[d] = open_map(dirs[d]);
		for (unsigned i = 0; i < FG_BK_SLOTS; i++)
			if (fg_bk_map_snap(maps[d], i, &snaps[n]) == 1)
				files[n++] = fg_bk_map_path(maps[d]);
		if (fmt == TEXT)
			print_text(fg_bk_map_path(maps[d]), snaps + first, n - first);
	}
	files[n] = fg_bk_map_path(maps[0]);
	if (fmt == TEXT)
		print_audit(p);
	if (fmt == JSON)
		print_json(files, snaps, n);
	else if (fmt == PROM)
		print_prometheus(snaps, n);
	for (size_t d = 0; d < nd; d++)
		fg_bk_map_close(maps[d]);
	free(dirs);
	free(maps);
	free(snaps);
	free(files);
	fg_policy_free(p);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* --- fleetguard breaker reset|open ENDPOINT ------------------------------- */

static int audit_forced(const struct fg_policy *p, const struct fg_endpoint *ep,
			const char *addr, const struct fg_bk_event *ev)
{
	char exe[PATH_MAX] = "", err[512] = "", rule[PATH_MAX + 16];
	struct fg_audit_conf conf = {
		.path = p->audit.log,
		.fsync = FG_AUDIT_FSYNC_ALWAYS,
		.key_file = p->audit.key_file,
		.max_size = p->audit.max_size,
		.agent = "fleetguard",
		.exe = exe,
		/* a daemon started for this record is the policy's own */
		.state_dir = p->audit.state_dir,
		.witness = p->audit.witness,
		.forward = p->audit.forward,
		.checkpoint_every = p->audit.checkpoint_every,
		.daemon_user = p->audit.daemon_user,
		.daemon_uid = p->audit.daemon_uid,
	};
	struct fg_audit_field f[5] = {
		{ .key = "endpoint", .type = FG_AF_STR, .s = ep->name, .len = strlen(ep->name) },
		{ .key = "addr", .type = FG_AF_STR, .s = addr, .len = strlen(addr) },
		{ .key = "from", .type = FG_AF_STR, .s = fg_bk_state_name(ev->from),
		  .len = strlen(fg_bk_state_name(ev->from)) },
		{ .key = "to", .type = FG_AF_STR, .s = fg_bk_state_name(ev->to),
		  .len = strlen(fg_bk_state_name(ev->to)) },
		{ .key = "why", .type = FG_AF_STR, .s = "forced", .len = 6 },
	};
	struct fg_audit_rec rec = { .op = "breaker", .f = f, .nf = 5, .decision = NULL,
				    .rule = rule, .result = 0 };
	struct fg_audit *a;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int rc;

	exe[n > 0 ? n : 0] = '\0';
	snprintf(rule, sizeof(rule), "%s:%u", p->file, ep->line);
	rc = fg_audit_open(&conf, &a, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", fg_prog, err[0] ? err : strerror(-rc));
		return rc;
	}
	rc = fg_audit_append(a, &rec);
	if (rc < 0)
		fprintf(stderr, "%s: cannot append to audit log '%s': %s\n", fg_prog, p->audit.log,
			strerror(-rc));
	fg_audit_close(a);
	return rc;
}

static enum fg_bk_state current_state(struct fg_bk_map *m, const char *name, const char *addr)
{
	struct fg_bk_snap s;

	for (unsigned i = 0; i < FG_BK_SLOTS; i++)
		if (fg_bk_map_snap(m, i, &s) == 1 && strcmp(s.name, name) == 0 &&
		    strcmp(s.addr, addr) == 0)
			return s.state;
	return FG_BK_CLOSED;
}

int fg_cmd_breaker(int argc, char **argv)
{
	const char *policy = NULL, *action = NULL, *name = NULL;
	const struct fg_endpoint *ep = NULL;
	struct fg_bk_event ev;
	struct fg_bk_conf conf;
	struct fg_policy *p;
	struct fg_bk_map *m;
	struct fg_bk b;
	char addr[FG_BK_ADDR_MAX];
	enum fg_bk_state to;
	int rc;

	if (wants_help(argc, argv)) {
		printf("usage: %s breaker reset|open ENDPOINT [--policy FILE]\n\n"
		       "Force a circuit's state for the whole fleet (audited): reset closes it,\n"
		       "open opens it for its open period.  ENDPOINT is the name of an\n"
		       "[endpoint NAME] section of the policy (default: $FLEETGUARD_POLICY).\n", fg_prog);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--policy") == 0 && i + 1 < argc)
			policy = argv[++i];
		else if (action == NULL)
			action = argv[i];
		else if (name == NULL)
			name = argv[i];
		else
			action = NULL, i = argc;
	}
	if (action == NULL || name == NULL ||
	    (strcmp(action, "reset") != 0 && strcmp(action, "open") != 0)) {
		die(2, "usage: fleetguard breaker reset|open ENDPOINT [--policy FILE]");
		return 2;   /* not reached; for readers that do not know die() */
	}
	to = action[0] == 'r' ? FG_BK_CLOSED : FG_BK_OPEN;
	p = load_policy(policy);
	for (size_t i = 0; i < p->nep && ep == NULL; i++) {
		snprintf(addr, sizeof(addr), "%s:%u", p->ep[i].host, (unsigned)p->ep[i].port);
		if (strcmp(p->ep[i].name, name) == 0 || strcmp(addr, name) == 0)
			ep = &p->ep[i];
	}
	if (ep == NULL) {
		die(1, "no endpoint '%s' in policy '%s'", name, p->file);
		return 1;
	}
	m = open_map(&ep->breaker);
	fg_bk_conf_from(&conf, &ep->breaker);
	rc = fg_bk_attach(m, ep->name, addr, &conf, &b);
	if (rc < 0)
		die(1, "no breaker slot for endpoint '%s' in '%s': %s", ep->name, fg_bk_map_path(m),
		    strerror(-rc));
	/* Audit first: a forced state that cannot be recorded is not made. */
	memset(&ev, 0, sizeof(ev));
	ev.from = current_state(m, ep->name, addr);
	ev.to = to;
	if (audit_forced(p, ep, addr, &ev) < 0)
		die(1, "circuit of '%s' left as it was", ep->name);
	rc = fg_bk_force(&b, to, &ev);
	if (rc < 0)
		die(1, "cannot force circuit of '%s': %s", ep->name, strerror(-rc));
	printf("circuit for %s (%s) forced %s (was %s)\n", ep->name, addr,
	       to == FG_BK_OPEN ? "open" : "closed", fg_bk_state_name(ev.from));
	fg_bk_map_close(m);
	fg_policy_free(p);
	return 0;
}
