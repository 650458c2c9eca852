/* parse.c - fleetguard.ini into a struct fg_policy: the entry points and the order of the passes.
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
 * Two passes.  The first (parse_lines.c) checks each raw line and lets inih
 * split it, recording (section, key, value, line).  The second
 * (parse_keys.c) interprets the records: [workspace] first, because every
 * other value may use ${root}, then the rest.  Then come the rules fleetguard
 * adds itself (parse_builtin.c).  Problems are collected, sorted by line and
 * only then reported, so they come out in file order whatever pass found
 * them.  parse_int.h lists which file does what.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/policy.h"
#include "policy/policy_int.h"
#include "policy/parse_int.h"

static char *absolute_name(const char *name)
{
	char cwd[PATH_MAX], buf[PATH_MAX];
	char *joined;
	long n;

	if (name[0] == '/') {
		n = fg_path_normalize(name, buf, sizeof(buf));
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return NULL;
		if (asprintf(&joined, "%s/%s", cwd, name) < 0)
			return NULL;
		n = fg_path_normalize(joined, buf, sizeof(buf));
		free(joined);
	}
	return n < 0 ? NULL : strdup(buf);
}

static void pstate_free(struct pstate *st)
{
	for (size_t i = 0; i < st->nent; i++)
		free(st->ent[i].val);
	free(st->ent);
	for (size_t i = 0; i < st->neps; i++)
		free(st->eps[i].name);
	free(st->eps);
	for (size_t i = 0; i < st->ndg; i++)
		free(st->dg[i].msg);
	free(st->dg);
}

/* The policy with its defaults; NULL: out of memory. */
static struct fg_policy *policy_new(void)
{
	struct fg_policy *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->fs.system = true;
	p->net.dns = true;
	p->audit.max_size = 64ull * 1024 * 1024;
	p->audit.daemon_uid = -1;
	fg_parse_breaker_defaults(&p->breaker);
	return p;
}

/* Move the [endpoint NAME] sections pass 1 found into p->ep; *el gets one
 * struct eplines per endpoint.  Returns 0 or -ENOMEM. */
static int take_endpoints(struct pstate *st, struct eplines **el)
{
	struct fg_policy *p = st->p;

	if (!st->neps)
		return 0;
	p->ep = calloc(st->neps, sizeof(*p->ep));
	*el = calloc(st->neps, sizeof(**el));
	if (!p->ep || !*el)
		return -ENOMEM;
	p->nep = st->neps;
	for (size_t i = 0; i < st->neps; i++) {
		p->ep[i].name = st->eps[i].name;
		st->eps[i].name = NULL;
		p->ep[i].line = st->eps[i].line;
		p->ep[i].https = true;
	}
	return 0;
}

/* root defaults to the policy file's folder, agent_id to the environment,
 * write to ${root}.  Returns 0 or -ENOMEM. */
static int workspace_defaults(struct pstate *st)
{
	struct fg_policy *p = st->p;
	const char *env;
	bool write_given = false;

	if (!p->root) {
		char *slash;

		p->root_defaulted = true;
		p->root = strdup(p->file);
		if (!p->root)
			return -ENOMEM;
		slash = strrchr(p->root, '/');
		if (slash == p->root)
			slash[1] = '\0';
		else if (slash)
			*slash = '\0';
	}
	if (!p->agent_id && (env = getenv("FLEETGUARD_AGENT_ID")) && *env) {
		p->agent_id = strdup(env);
		if (!p->agent_id)
			st->oom = true;
	}
	for (size_t i = 0; i < st->nent; i++)
		if (st->ent[i].sec == SEC_FILESYSTEM && !strcmp(st->ent[i].key, "write"))
			write_given = true;
	if (!write_given)
		fg_parse_add_path_rule(st, &p->fs.write, p->root, 0, FG_ORIGIN_DEFAULT);
	return 0;
}

/* After the keys: the defaults that depend on them, and the built-in rules. */
static void finish(struct pstate *st, struct eplines *el, unsigned dns_line)
{
	struct fg_policy *p = st->p;

	if (!p->breaker.state_dir) {
		p->breaker.state_dir = strdup("/run/fleetguard");
		if (!p->breaker.state_dir)
			st->oom = true;
	}
	fg_parse_endpoint_pass(st, el);
	p->audit.log_defaulted = p->audit.log == NULL;
	if (!p->audit.log && asprintf(&p->audit.log, "%s/.fleetguard/audit.log",
				      strcmp(p->root, "/") ? p->root : "") < 0) {
		p->audit.log = NULL;
		st->oom = true;
	}
	if (p->fs.system)
		fg_parse_add_system(st);
	if (p->net.dns)
		fg_parse_add_dns(st, dns_line);
	fg_parse_add_endpoint_rules(st, el);
	fg_policy_gateway_resolve(p, false);
	if (!st->ndg && !st->oom && fg_path_index_build(p) < 0)
		st->oom = true;
}

int fg_policy_parse(const char *name, const char *buf, size_t len,
		    struct fg_policy **out, fg_diag_fn diagfn, void *ctx)
{
	struct pstate st = { 0 };
	struct eplines *el = NULL, brk = { 0 };
	unsigned dns_line = 0;
	int n;

	*out = NULL;
	st.name = name;
	st.buf = buf;
	st.len = len;
	st.p = policy_new();
	if (!st.p) {
		if (diagfn)
			diagfn(ctx, name, 0, "out of memory");
		return 1;
	}
	st.p->file = absolute_name(name);
	if (!st.p->file) {
		fg_parse_diag(&st, 0, "cannot make the policy path absolute: %s",
			      strerror(errno ? errno : ENAMETOOLONG));
		goto done;
	}

	fg_parse_syntax(&st);                   /* pass 1 */

	st.p->fs.line = st.sec_line[SEC_FILESYSTEM];   /* pass 2 */
	st.p->net.line = st.sec_line[SEC_NETWORK];
	if (take_endpoints(&st, &el) < 0) {
		st.oom = true;
		goto done;
	}
	fg_parse_workspace_pass(&st);
	if (workspace_defaults(&st) < 0) {
		st.oom = true;
		goto done;
	}
	fg_parse_main_pass(&st, el, &dns_line, &brk);
	if (brk.open || brk.max_open)
		fg_parse_check_open_range(&st, &st.p->breaker, &brk, st.sec_line[SEC_BREAKER]);
	finish(&st, el, dns_line);

done:
	fg_parse_emit(&st, diagfn, ctx);
	n = (int)st.ndg + (st.oom ? 1 : 0);
	pstate_free(&st);
	free(el);
	if (n) {
		fg_policy_free(st.p);
		return n;
	}
	*out = st.p;
	return 0;
}

int fg_policy_load(const char *path, struct fg_policy **out, fg_diag_fn diagfn, void *ctx)
{
	return fg_policy_load_seen(path, out, diagfn, ctx, NULL, NULL);
}

int fg_policy_load_seen(const char *path, struct fg_policy **out, fg_diag_fn diagfn, void *ctx,
			fg_policy_seen_fn seen, void *sctx)
{
	struct stat sb;
	char *buf = NULL, msg[160];
	size_t len = 0;
	int fd, rc;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(msg, sizeof(msg), "cannot open policy: %s", strerror(errno));
		goto fail;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		snprintf(msg, sizeof(msg), "cannot read policy: %s",
			 S_ISDIR(sb.st_mode) ? "is a directory" : "not a regular file");
		goto fail_close;
	}
	if (sb.st_size > FG_POLICY_MAX_SIZE) {
		snprintf(msg, sizeof(msg), "policy is too large (%lld bytes, at most %d)",
			 (long long)sb.st_size, FG_POLICY_MAX_SIZE);
		goto fail_close;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf) {
		snprintf(msg, sizeof(msg), "out of memory");
		goto fail_close;
	}
	for (;;) {
		ssize_t r = read(fd, buf + len, (size_t)sb.st_size + 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(msg, sizeof(msg), "cannot read policy: %s", strerror(errno));
			goto fail_free;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > (size_t)sb.st_size) {
			snprintf(msg, sizeof(msg), "policy changed while being read");
			goto fail_free;
		}
	}
	close(fd);
	rc = fg_policy_parse(path, buf, len, out, diagfn, ctx);
	if (rc == 0 && seen != NULL)
		seen(sctx, buf, len);
	free(buf);
	return rc;

fail_free:
	free(buf);
fail_close:
	close(fd);
fail:
	if (diagfn)
		diagfn(ctx, path, 0, msg);
	return 1;
}

static void free_breaker(struct fg_breaker_conf *c)
{
	free(c->state_dir);
}

void fg_policy_free(struct fg_policy *p)
{
	if (!p)
		return;
	fg_path_index_free(p->index);
	free(p->file);
	free(p->root);
	free(p->agent_id);
	for (int k = 0; k < 3; k++) {
		struct fg_path_list *l = k == 0 ? &p->fs.read : k == 1 ? &p->fs.write : &p->fs.deny;

		for (size_t i = 0; i < l->n; i++)
			free(l->v[i].path);
		free(l->v);
	}
	for (size_t i = 0; i < p->net.nallow; i++) {
		free(p->net.allow[i].host);
		free(p->net.allow[i].unix_path);
	}
	free(p->net.allow);
	free_breaker(&p->breaker);
	for (size_t i = 0; i < p->nep; i++) {
		free(p->ep[i].name);
		free(p->ep[i].host);
		free(p->ep[i].fallback_host);
		free(p->ep[i].fallback_path);
		free(p->ep[i].api_key_file);
		free(p->ep[i].ca_file);
		free(p->ep[i].fallback_model);
		free_breaker(&p->ep[i].breaker);
	}
	free(p->ep);
	free(p->audit.log);
	free(p->audit.key_file);
	free(p->audit.state_dir);
	free(p->audit.witness);
	free(p->audit.forward);
	free(p->audit.daemon_user);
	free(p);
}
