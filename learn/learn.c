/* learn.c - collects what one run touched from its audit records and writes
 * the smallest policy that allows it.
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
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audit/record.h"
#include "audit/verify.h"
#include "learn/learn.h"
#include "learn/learn_int.h"

/* --- reading records ---------------------------------------------------- */

/* The decoded string field key of the record into buf; -ENOENT when absent,
 * null or not a string. */
static int field_str(const char *line, size_t len, const char *key, char *buf, size_t cap)
{
	const char *v, *end;
	size_t vl, n;

	if (fg_json_get(line, len, key, &v, &vl) < 0 || vl < 2 || v[0] != '"')
		return -ENOENT;
	if (fg_json_unescape(v, v + vl, buf, cap - 1, &n, &end) < 0 || memchr(buf, '\0', n))
		return -EBADMSG;
	buf[n] = '\0';
	return 0;
}

static long field_int(const char *line, size_t len, const char *key, long dflt)
{
	const char *v;
	size_t vl;
	char num[24];

	if (fg_json_get(line, len, key, &v, &vl) < 0 || vl == 0 || vl >= sizeof(num) || v[0] == '"' ||
	    v[0] == 'n')
		return dflt;
	memcpy(num, v, vl);
	num[vl] = '\0';
	return strtol(num, NULL, 10);
}

static bool is_op(const char *op, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(op, *set) == 0)
			return true;
	return false;
}

/* Access an operation needs on its path (FG_LACC_META: a metadata probe). */
static unsigned access_of(const char *op, long flags)
{
	static const char *const reads[] = { "opendir", NULL };
	static const char *const metas[] = { "stat", "access", "readlink", NULL };

	if (strcmp(op, "open") == 0) {
		if (flags < 0)
			return FG_ACC_READ;
		if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC)))
			return FG_ACC_WRITE;
		return FG_ACC_READ;
	}
	if (strcmp(op, "exec") == 0)
		return FG_ACC_READ | FG_LACC_EXEC;
	if (is_op(op, reads))
		return FG_ACC_READ;
	if (is_op(op, metas))
		return FG_ACC_READ | FG_LACC_META;
	return FG_ACC_WRITE;   /* every other path operation changes something */
}

static int add_net(struct fg_learn *l, const char *line, size_t len, const char *op)
{
	char addr[512], name[512];
	bool resolve = strcmp(op, "resolve") == 0;

	if (field_str(line, len, resolve ? "name" : "addr", addr, sizeof(addr)) < 0)
		return 0;
	if (resolve)
		return fg_lnet_add(l, addr, NULL, addr, true);
	if (field_str(line, len, "name", name, sizeof(name)) < 0)
		name[0] = '\0';
	return fg_lnet_add(l, addr, name[0] ? name : NULL, addr, false);
}

int fg_learn_add(struct fg_learn *l, const char *line, size_t len)
{
	static const char *const netops[] = { "resolve", "connect", "sendto", "bind", NULL };
	char op[64], dec[16], path[PATH_MAX], res[32];
	unsigned acc;
	int rc;

	if (fg_json_fields(line, len, NULL, NULL) < 0)
		return -EBADMSG;
	l->records++;
	if (field_str(line, len, "op", op, sizeof(op)) < 0 ||
	    field_str(line, len, "decision", dec, sizeof(dec)) < 0)
		return 0;
	if (strcmp(dec, "deny") == 0) {
		l->denied++;   /* the base policy's deny, or fleetguard's own files */
		return 0;
	}
	if (is_op(op, netops)) {
		if (strcmp(dec, "allow") == 0) {
			l->system++;   /* name servers (dns = yes) */
			return 0;
		}
		return add_net(l, line, len, op);
	}
	if (field_str(line, len, "path", path, sizeof(path)) < 0)
		return 0;
	acc = access_of(op, field_int(line, len, "flags", -1));
	if (field_str(line, len, "result", res, sizeof(res)) < 0)
		res[0] = '\0';
	rc = fg_lpath_add(l, path, acc, strcmp(res, "ENOENT") == 0);
	if (rc == 0 && field_str(line, len, "path2", path, sizeof(path)) == 0)
		rc = fg_lpath_add(l, path, strcmp(op, "rename") == 0 || strcmp(op, "link") == 0 ?
				  FG_ACC_WRITE : acc, false);
	return rc;
}

int fg_learn_add_exec(struct fg_learn *l, const char *path)
{
	char *real = realpath(path, NULL);
	int rc;

	if (real == NULL)
		return -ENOENT;
	rc = fg_lpath_add(l, real, FG_ACC_READ | FG_LACC_EXEC, false);
	free(real);
	return rc;
}

/* --- the model ---------------------------------------------------------- */

int fg_learn_new(const struct fg_learn_conf *conf, struct fg_learn **out)
{
	struct fg_learn *l = calloc(1, sizeof(*l));

	*out = NULL;
	if (l == NULL)
		return -ENOMEM;
	l->conf = *conf;
	*out = l;
	return 0;
}

static void free_trees(struct fg_ltree_list *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].path);
		free(t->v[i].example);
	}
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}

void fg_learn_free(struct fg_learn *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->npaths; i++)
		free(l->paths[i].path);
	free(l->paths);
	for (size_t i = 0; i < l->nnet; i++) {
		free(l->net[i].rule);
		free(l->net[i].example);
	}
	free(l->net);
	free_trees(&l->read);
	free_trees(&l->write);
	free(l->root_example);
	free(l->sys_example);
	free(l->skip_example);
	free(l->unconfined_example);
	free(l);
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *nv;
	size_t nc;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : 64;
	nv = realloc(*v, nc * size);
	if (nv == NULL)
		return -ENOMEM;
	*v = nv;
	*cap = nc;
	return 0;
}

int fg_lpath_add(struct fg_learn *l, const char *path, unsigned acc, bool missing)
{
	struct fg_lpath *p;

	if (grow((void **)&l->paths, &l->cap_paths, l->npaths, sizeof(*l->paths)) < 0)
		return -ENOMEM;
	p = &l->paths[l->npaths];
	p->path = strdup(path);
	if (p->path == NULL)
		return -ENOMEM;
	p->acc = acc;
	p->missing = missing;
	p->count = 1;
	l->npaths++;
	l->actions++;
	return 0;
}

/* rule is "host:port", "addr:port" or "unix:path"; name the host name the
 * address came from, or NULL. */
int fg_lnet_add(struct fg_learn *l, const char *addr, const char *name, const char *example,
		bool resolve_only)
{
	const char *colon = strrchr(addr, ':');
	struct fg_lnet *n;
	char *rule;

	l->actions++;
	if (!resolve_only && name != NULL && strncmp(addr, "unix:", 5) != 0 && colon != NULL) {
		if (asprintf(&rule, "%s%s", name, colon) < 0)
			rule = NULL;
	} else {
		rule = strdup(addr);
	}
	if (rule == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < l->nnet; i++) {
		if (strcmp(l->net[i].rule, rule) == 0 && l->net[i].resolve_only == resolve_only) {
			l->net[i].count++;
			free(rule);
			return 0;
		}
	}
	if (grow((void **)&l->net, &l->cap_net, l->nnet, sizeof(*l->net)) < 0) {
		free(rule);
		return -ENOMEM;
	}
	n = &l->net[l->nnet];
	*n = (struct fg_lnet){ .rule = rule, .example = strdup(example), .count = 1,
			       .resolve_only = resolve_only };
	if (n->example == NULL)
		return -ENOMEM;
	l->nnet++;
	return 0;
}

void fg_learn_stats(const struct fg_learn *l, struct fg_learn_stats *st)
{
	*st = (struct fg_learn_stats){
		.records = l->records, .actions = l->actions, .system = l->system,
		.known = l->known, .read_trees = l->read.n, .write_trees = l->write.n,
		.net_rules = l->net_rules, .endpoints = l->endpoints, .skipped = l->skipped,
	};
	if (l->root_count)
		(l->root_write ? &st->write_trees : &st->read_trees)[0]++;
}
