/* cmd_check.c - "fleetguard check [--json] FILE": validate a policy and show
 * what it means once every default, variable and built-in set is applied.
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
 * Exit 0 with the effective policy on stdout, 1 with every problem (one
 * "<file>:<line>: <reason>" per line on stderr, or a JSON document on
 * stdout with --json), 2 on usage errors.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "tools/tools.h"

static const char *const mode_names[] = { "enforce", "report", "off" };
static const char *const kernel_names[] = { "auto", "on", "off" };
static const char *const events_names[] = { "all", "writes", "denied" };
static const char *const fsync_names[] = { "batch", "always", "never" };
static const char *const onfail_names[] = { "deny", "allow" };
static const char *const origin_names[] = { "policy", "system", "default" };

struct errs {
	bool json;
	unsigned n;
	FILE *out;
};

/* Length of the valid UTF-8 sequence at p, or 0. */
static size_t utf8_len(const unsigned char *p)
{
	size_t n = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if (!n || p[0] > 0xf4)
		return 0;
	cp = p[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* A JSON string; bytes that are not UTF-8 (a path from the environment may
 * have them) become \u00XX so that the document stays valid. */
static void json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	while (*p) {
		size_t n = utf8_len(p);

		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f || !n)
			fprintf(f, "\\u%04x", *p);
		else
			fwrite(p, 1, n, f);
		p += n ? n : 1;
	}
	fputc('"', f);
}

static void on_diag(void *ctx, const char *file, unsigned line, const char *msg)
{
	struct errs *e = ctx;

	if (e->json) {
		fprintf(e->out, "%s\n    {\"line\": %u, \"message\": ", e->n ? "," : "", line);
		json_str(e->out, msg);
		fputc('}', e->out);
	} else if (line) {
		fprintf(e->out, "%s:%u: %s\n", file, line, msg);
	} else {
		fprintf(e->out, "%s: %s\n", file, msg);
	}
	e->n++;
}

/* "429, 500-599" from the bitmap */
static void status_list(const struct fg_breaker_conf *c, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned s = 100; s < 600; s++) {
		unsigned e = s;

		if (!fg_status_is_failure(c, s))
			continue;
		while (e + 1 < 600 && fg_status_is_failure(c, e + 1))
			e++;
		if (o < len)
			o += (size_t)snprintf(buf + o, len - o, e == s ? "%s%u" : "%s%u-%u",
					      o ? ", " : "", s, e);
		s = e;
	}
}

static void net_rule_text(const struct fg_net_rule *r, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], port[16];
	bool full;

	if (r->port < 0)
		snprintf(port, sizeof(port), "*");
	else
		snprintf(port, sizeof(port), "%d", r->port);
	switch (r->kind) {
	case FG_NET_UNIX:
		snprintf(buf, len, "unix:%s", r->unix_path);
		break;
	case FG_NET_HOST:
		snprintf(buf, len, "%s:%s", r->host, port);
		break;
	case FG_NET_CIDR:
		inet_ntop(r->family, r->addr, a, sizeof(a));
		full = r->prefix == (r->family == AF_INET ? 32u : 128u);
		if (r->family == AF_INET6 && full)
			snprintf(buf, len, "[%s]:%s", a, port);
		else if (r->family == AF_INET6)
			snprintf(buf, len, "[%s/%u]:%s", a, r->prefix, port);
		else if (full)
			snprintf(buf, len, "%s:%s", a, port);
		else
			snprintf(buf, len, "%s/%u:%s", a, r->prefix, port);
		break;
	}
}

static void origin_text(enum fg_rule_origin o, unsigned line, char *buf, size_t len)
{
	if (o == FG_ORIGIN_POLICY || line)
		snprintf(buf, len, "line %u", line);
	else
		snprintf(buf, len, "%s", origin_names[o]);
}

/* gateway = MODE and what it comes to: auto decides by the protocol and
 * by whether the policy runs under `fleetguard run` (docs/BREAKER.md). */
static void gateway_effect(const struct fg_endpoint *e, bool *lib, bool *run)
{
	struct fg_endpoint x = *e;
	struct fg_policy one = { .ep = &x, .nep = 1 };

	fg_policy_gateway_resolve(&one, false);
	*lib = x.gateway;
	fg_policy_gateway_resolve(&one, true);
	*run = x.gateway;
}

static const char *const gw_mode_names[] = { "auto", "yes", "no" };

static void text_gateway(const struct fg_endpoint *e)
{
	bool lib, run;

	gateway_effect(e, &lib, &run);
	printf("gateway = %s   ; library-only: %s, under fleetguard run: %s\n",
	       gw_mode_names[e->gateway_mode], lib ? "on" : "off", run ? "on" : "off");
}

static void json_gateway(const struct fg_endpoint *e)
{
	bool lib, run;

	gateway_effect(e, &lib, &run);
	printf(", \"gateway\": {\"mode\": \"%s\", \"library\": %s, \"run\": %s}, \"fallback_model\": ",
	       gw_mode_names[e->gateway_mode], lib ? "true" : "false", run ? "true" : "false");
	if (e->fallback_model != NULL)
		json_str(stdout, e->fallback_model);
	else
		printf("null");
}

static void text_breaker(const struct fg_breaker_conf *c)
{
	char st[1024];

	status_list(c, st, sizeof(st));
	printf("threshold = %u\nopen_seconds = %u\nmax_open_seconds = %u\nprobes = %u\n",
	       c->threshold, c->open_seconds, c->max_open_seconds, c->probes);
	printf("failure_status = %s\nstate_dir = %s%s\nslow_first_byte_seconds = %u\nmin_processes = %u\n",
	       st, c->state_dir, c->state_dir_set ? "" : "   ; default", c->slow_first_byte_seconds,
	       c->min_processes);
}

static void print_text(const struct fg_policy *p)
{
	const struct fg_path_list *lists[3] = { &p->fs.read, &p->fs.write, &p->fs.deny };
	static const char *const lnames[3] = { "read", "write", "deny" };
	char buf[600], org[32];

	printf("; effective policy of %s\n\n[workspace]\nroot = %s%s\nagent_id = %s\n\n", p->file,
	       p->root, p->root_defaulted ? "   ; default: the directory of this policy file" : "",
	       p->agent_id ? p->agent_id : "(the program name)");
	printf("[filesystem]   ; line %u\nmode = %s\nsystem = %s\nkernel = %s\nunconfined_exec = %s\n",
	       p->fs.line, mode_names[p->fs.mode], p->fs.system ? "yes" : "no",
	       kernel_names[p->fs.kernel], p->fs.unconfined_exec ? "allow" : "deny");
	for (int k = 0; k < 3; k++) {
		for (size_t i = 0; i < lists[k]->n; i++) {
			origin_text(lists[k]->v[i].origin, lists[k]->v[i].line, org, sizeof(org));
			printf("%-5s %-40s ; %s\n", lnames[k], lists[k]->v[i].path, org);
		}
	}
	printf("\n[network]   ; line %u\nmode = %s\ndns = %s\n", p->net.line,
	       mode_names[p->net.mode], p->net.dns ? "yes" : "no");
	for (size_t i = 0; i < p->net.nallow; i++) {
		net_rule_text(&p->net.allow[i], buf, sizeof(buf));
		origin_text(p->net.allow[i].origin, p->net.allow[i].line, org, sizeof(org));
		printf("allow %-40s ; %s\n", buf, org);
	}
	printf("\n[breaker]\n");
	text_breaker(&p->breaker);
	for (size_t i = 0; i < p->nep; i++) {
		const struct fg_endpoint *e = &p->ep[i];
		bool v6 = strchr(e->host, ':') != NULL;

		printf("\n[endpoint %s]   ; line %u\naddress = %s%s%s:%u\nprotocol = %s\n", e->name,
		       e->line, v6 ? "[" : "", e->host, v6 ? "]" : "", e->port,
		       e->https ? "https" : "http");
		if (e->has_fallback) {
			v6 = strchr(e->fallback_host, ':') != NULL;
			printf("fallback = %s%s%s%s:%u%s\n",
			       e->fallback_path == NULL ? "" : e->fallback_tls ? "https://" : "http://",
			       v6 ? "[" : "", e->fallback_host, v6 ? "]" : "", e->fallback_port,
			       e->fallback_path != NULL ? e->fallback_path : "");
		}
		if (e->fallback_model != NULL)
			printf("fallback_model = %s\n", e->fallback_model);
		text_gateway(e);
		text_breaker(&e->breaker);
	}
	printf("\n[audit]\nlog = %s%s\nevents = %s\nfsync = %s\non_failure = %s\nkey_file = %s\nmax_size = %llu\n",
	       p->audit.log, p->audit.log_defaulted ? "   ; default: ${root}/.fleetguard/audit.log" : "",
	       events_names[p->audit.events], fsync_names[p->audit.fsync],
	       onfail_names[p->audit.on_failure], p->audit.key_file ? p->audit.key_file : "(none)",
	       (unsigned long long)p->audit.max_size);
	printf("state_dir = %s\nwitness = %s\nforward = %s\ncheckpoint_every = %u\n",
	       p->audit.state_dir ? p->audit.state_dir : "(default)",
	       p->audit.witness ? p->audit.witness : "(default: file, syslog)",
	       p->audit.forward ? p->audit.forward : "(none)",
	       p->audit.checkpoint_every ? p->audit.checkpoint_every : 1000);
	if (p->audit.daemon_user)
		printf("daemon_user = %s   ; uid %ld\n", p->audit.daemon_user, p->audit.daemon_uid);
}

static void json_breaker(const struct fg_breaker_conf *c)
{
	char st[1024];

	status_list(c, st, sizeof(st));
	printf("{\"threshold\": %u, \"open_seconds\": %u, \"max_open_seconds\": %u, \"probes\": %u, "
	       "\"failure_status\": \"%s\", \"state_dir\": ",
	       c->threshold, c->open_seconds, c->max_open_seconds, c->probes, st);
	json_str(stdout, c->state_dir);
	printf(", \"state_dir_set\": %s, \"slow_first_byte_seconds\": %u, \"min_processes\": %u}",
	       c->state_dir_set ? "true" : "false", c->slow_first_byte_seconds, c->min_processes);
}

/* The warnings fleetguard run would print for this policy on this host. */
struct warnings {
	char *buf;
	size_t len, n;
	FILE *f;
	bool json;
};

static void on_warn(void *ctx, const char *msg)
{
	struct warnings *w = ctx;

	if (w->json) {
		fprintf(w->f, "%s\n    ", w->n ? "," : "");
		json_str(w->f, msg);
	} else {
		fprintf(stderr, "%s: %s\n", fg_prog, msg);
	}
	w->n++;
}

static void print_json(const struct fg_policy *p, const char *warnings)
{
	const struct fg_path_list *lists[3] = { &p->fs.read, &p->fs.write, &p->fs.deny };
	static const char *const lnames[3] = { "read", "write", "deny" };
	char buf[600];

	printf("{\n  \"file\": ");
	json_str(stdout, p->file);
	printf(",\n  \"valid\": true,\n  \"warnings\": [%s%s],\n  \"workspace\": {\"root\": ",
	       warnings ? warnings : "", warnings && warnings[0] ? "\n  " : "");
	json_str(stdout, p->root);
	printf(", \"root_defaulted\": %s, \"agent_id\": ", p->root_defaulted ? "true" : "false");
	json_str(stdout, p->agent_id);
	printf("},\n  \"filesystem\": {\"line\": %u, \"mode\": \"%s\", \"system\": %s, \"kernel\": \"%s\", "
	       "\"unconfined_exec\": \"%s\"", p->fs.line, mode_names[p->fs.mode],
	       p->fs.system ? "true" : "false", kernel_names[p->fs.kernel],
	       p->fs.unconfined_exec ? "allow" : "deny");
	for (int k = 0; k < 3; k++) {
		printf(",\n    \"%s\": [", lnames[k]);
		for (size_t i = 0; i < lists[k]->n; i++) {
			printf("%s\n      {\"path\": ", i ? "," : "");
			json_str(stdout, lists[k]->v[i].path);
			printf(", \"line\": %u, \"origin\": \"%s\"}", lists[k]->v[i].line,
			       origin_names[lists[k]->v[i].origin]);
		}
		printf("]");
	}
	printf("},\n  \"network\": {\"line\": %u, \"mode\": \"%s\", \"dns\": %s, \"allow\": [",
	       p->net.line, mode_names[p->net.mode], p->net.dns ? "true" : "false");
	for (size_t i = 0; i < p->net.nallow; i++) {
		net_rule_text(&p->net.allow[i], buf, sizeof(buf));
		printf("%s\n      {\"rule\": ", i ? "," : "");
		json_str(stdout, buf);
		printf(", \"line\": %u, \"origin\": \"%s\"}", p->net.allow[i].line,
		       origin_names[p->net.allow[i].origin]);
	}
	printf("]},\n  \"breaker\": ");
	json_breaker(&p->breaker);
	printf(",\n  \"endpoints\": [");
	for (size_t i = 0; i < p->nep; i++) {
		const struct fg_endpoint *e = &p->ep[i];

		printf("%s\n    {\"name\": ", i ? "," : "");
		json_str(stdout, e->name);
		printf(", \"line\": %u, \"host\": ", e->line);
		json_str(stdout, e->host);
		printf(", \"port\": %u, \"protocol\": \"%s\", \"fallback\": ", e->port,
		       e->https ? "https" : "http");
		if (e->has_fallback) {
			printf("{\"host\": ");
			json_str(stdout, e->fallback_host);
			printf(", \"port\": %u}", e->fallback_port);
		} else {
			printf("null");
		}
		json_gateway(e);
		printf(", \"breaker\": ");
		json_breaker(&e->breaker);
		printf("}");
	}
	printf("],\n  \"audit\": {\"log\": ");
	json_str(stdout, p->audit.log);
	printf(", \"log_defaulted\": %s", p->audit.log_defaulted ? "true" : "false");
	printf(", \"events\": \"%s\", \"fsync\": \"%s\", \"on_failure\": \"%s\", \"key_file\": ",
	       events_names[p->audit.events], fsync_names[p->audit.fsync],
	       onfail_names[p->audit.on_failure]);
	json_str(stdout, p->audit.key_file);
	printf(", \"max_size\": %llu, \"state_dir\": ", (unsigned long long)p->audit.max_size);
	json_str(stdout, p->audit.state_dir);
	printf(", \"witness\": ");
	json_str(stdout, p->audit.witness);
	printf(", \"forward\": ");
	json_str(stdout, p->audit.forward);
	printf(", \"checkpoint_every\": %u, \"daemon_user\": ", p->audit.checkpoint_every);
	json_str(stdout, p->audit.daemon_user);
	printf(", \"daemon_uid\": %ld}\n}\n", p->audit.daemon_uid);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: %s check [--json | --paths] FILE\n"
		   "\n"
		   "Check a fleetguard.ini policy: print the effective policy (every rule\n"
		   "expanded, with the line it came from) and exit 0, or print every\n"
		   "problem as <file>:<line>: <reason> and exit 1.\n"
		   "\n"
		   "  --json   print the effective policy or the problems as JSON on stdout\n"
		   "  --paths  print only the effective workspace root and audit log\n"
		   "\n"
		   "Warnings (what fleetguard run would warn about) go to stderr, then \"ok\".\n",
		fg_prog);
}

int fg_cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "paths", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct errs e = { 0 };
	struct fg_policy *p;
	bool paths = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			e.json = true;
			break;
		case 'P':
			paths = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "%s check: expected one policy file, got %d\n", fg_prog, argc - optind);
		usage(stderr);
		return 2;
	}
	char *ebuf = NULL;
	size_t elen = 0;

	e.out = e.json ? open_memstream(&ebuf, &elen) : stderr;
	if (!e.out)
		die(2, "cannot buffer the problems: out of memory");
	if (fg_policy_load(argv[optind], &p, on_diag, &e)) {
		if (e.json) {
			fclose(e.out);
			printf("{\n  \"file\": ");
			json_str(stdout, argv[optind]);
			printf(",\n  \"valid\": false,\n  \"errors\": [%s\n  ]\n}\n", ebuf ? ebuf : "");
			free(ebuf);
		} else {
			fprintf(stderr, "%s: %u problem%s in '%s'\n", fg_prog, e.n, e.n == 1 ? "" : "s",
				argv[optind]);
		}
		return 1;
	}
	if (e.json) {
		fclose(e.out);
		free(ebuf);
	}
	struct warnings w = { .json = e.json };

	if (w.json && (w.f = open_memstream(&w.buf, &w.len)) == NULL)
		die(2, "cannot buffer the warnings: out of memory");
	fg_warn_trees(p, on_warn, &w);
	fg_warn_kernel(p, on_warn, &w);
	if (w.json) {
		fclose(w.f);
		print_json(p, w.buf);
		free(w.buf);
	} else if (paths) {
		fg_print_paths(p, stdout, "");
	} else {
		print_text(p);
		if (w.n)
			fprintf(stderr, "%s: '%s' is ok, with the %zu warning%s above\n", fg_prog,
				argv[optind], w.n, w.n == 1 ? "" : "s");
	}
	fg_policy_free(p);
	return 0;
}
