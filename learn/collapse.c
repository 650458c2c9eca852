/* collapse.c - folds the paths one run touched into a few read and write
 * trees.
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

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "learn/learn_int.h"

static bool within(const char *tree, const char *path)
{
	return fg_path_within(tree, strlen(tree), path, strlen(path));
}

bool fg_learn_tree_ok(const struct fg_learn *l, const char *dir)
{
	if (dir[0] != '/' || dir[1] == '\0')
		return false;
	if (strchr(dir + 1, '/') == NULL && strcmp(dir, "/tmp") != 0)
		return false;
	if (l->conf.home != NULL && l->conf.home[0] == '/' && within(dir, l->conf.home))
		return false;
	return !(within(dir, l->conf.root) && strcmp(dir, l->conf.root) != 0);
}

static char *parent_of(const char *p)
{
	char *s = strdup(p), *slash;

	if (s == NULL)
		return NULL;
	slash = strrchr(s, '/');
	if (slash == s)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	return s;
}

/* The tree a path asks for: the directory it names, else the nearest
 * existing directory above it, else the file itself when that directory
 * may not be a tree.  NULL: nothing sensible (skipped); *oom on failure. */
static char *tree_of(const struct fg_learn *l, const char *path, bool *oom)
{
	struct stat st;
	char *t;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		t = strdup(path);
	} else {
		t = parent_of(path);
		while (t != NULL && strcmp(t, "/") != 0 && (stat(t, &st) != 0 || !S_ISDIR(st.st_mode))) {
			char *up = parent_of(t);

			free(t);
			t = up;
		}
	}
	if (t == NULL) {
		*oom = true;
		return NULL;
	}
	if (fg_learn_tree_ok(l, t))
		return t;
	free(t);
	if (lstat(path, &st) != 0 || S_ISDIR(st.st_mode))
		return NULL;
	t = strdup(path);
	*oom = t == NULL;
	return t;
}

static int tree_add(struct fg_ltree_list *t, const char *path, const char *example, unsigned count)
{
	struct fg_ltree *n;

	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->v[i].path, path) == 0) {
			t->v[i].count += count;
			return 0;
		}
	}
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 16;
		struct fg_ltree *nv = realloc(t->v, nc * sizeof(*nv));

		if (nv == NULL)
			return -ENOMEM;
		t->v = nv;
		t->cap = nc;
	}
	n = &t->v[t->n];
	n->path = strdup(path);
	n->example = strdup(example);
	n->count = count;
	if (n->path == NULL || n->example == NULL) {
		free(n->path);
		free(n->example);
		return -ENOMEM;
	}
	t->n++;
	return 0;
}

static void tree_drop(struct fg_ltree_list *t, size_t i)
{
	free(t->v[i].path);
	free(t->v[i].example);
	t->v[i] = t->v[--t->n];
}

/* Fold every tree that lies in another tree of into (possibly the same
 * list) into that tree. */
static void absorb(struct fg_ltree_list *from, struct fg_ltree_list *into)
{
	for (size_t i = 0; i < from->n;) {
		bool gone = false;

		for (size_t j = 0; j < into->n && !gone; j++) {
			if (into == from && i == j)
				continue;
			if (within(into->v[j].path, from->v[i].path)) {
				into->v[j].count += from->v[i].count;
				tree_drop(from, i);
				gone = true;
			}
		}
		if (!gone)
			i++;
	}
}

/* Two or more trees under one parent that may be a tree become that parent.
 * Returns 1 when something was merged, 0, or -ENOMEM. */
static int merge_siblings(const struct fg_learn *l, struct fg_ltree_list *t)
{
	for (size_t i = 0; i < t->n; i++) {
		char *par = parent_of(t->v[i].path), *ex;
		unsigned kids = 0;

		if (par == NULL)
			return -ENOMEM;
		for (size_t j = 0; j < t->n; j++) {
			char *pj = parent_of(t->v[j].path);

			if (pj == NULL) {
				free(par);
				return -ENOMEM;
			}
			kids += strcmp(pj, par) == 0;
			free(pj);
		}
		if (kids < 2 || !fg_learn_tree_ok(l, par)) {
			free(par);
			continue;
		}
		ex = strdup(t->v[i].example);
		if (ex == NULL || tree_add(t, par, ex, 0) < 0) {
			free(ex);
			free(par);
			return -ENOMEM;
		}
		free(ex);
		free(par);
		absorb(t, t);
		return 1;
	}
	return 0;
}

static int collapse_list(const struct fg_learn *l, struct fg_ltree_list *t)
{
	int rc;

	absorb(t, t);
	while ((rc = merge_siblings(l, t)) > 0)
		;
	return rc;
}

/* --- sorting the recorded paths ------------------------------------------ */

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct fg_lpath *)a)->path, ((const struct fg_lpath *)b)->path);
}

/* One entry per path: accesses or-ed, counts summed. */
static void dedupe(struct fg_learn *l)
{
	size_t o = 0;

	if (l->npaths > 1)   /* NULL when empty: qsort(NULL, 0) is UB */
		qsort(l->paths, l->npaths, sizeof(*l->paths), by_path);
	for (size_t i = 0; i < l->npaths; i++) {
		if (o > 0 && strcmp(l->paths[o - 1].path, l->paths[i].path) == 0) {
			struct fg_lpath *p = &l->paths[o - 1];

			/* a metadata probe beside a real access is that access */
			if ((p->acc & FG_LACC_META) && !(l->paths[i].acc & FG_LACC_META))
				p->acc = l->paths[i].acc;
			else if (!(l->paths[i].acc & FG_LACC_META))
				p->acc |= l->paths[i].acc;
			p->missing = p->missing && l->paths[i].missing;
			p->count += l->paths[i].count;
			free(l->paths[i].path);
			continue;
		}
		l->paths[o++] = l->paths[i];
	}
	l->npaths = o;
}

static int note_example(char **slot, const char *path)
{
	if (*slot != NULL)
		return 0;
	*slot = strdup(path);
	return *slot ? 0 : -ENOMEM;
}

/* "/proc/1234/x" as "/proc/self/x" (only this shape; a path the reference
 * policy then allows was the process's own). */
static const char *proc_self(const char *path, char *buf, size_t len)
{
	const char *s = path + 6;
	size_t n = 0;

	if (strncmp(path, "/proc/", 6) != 0)
		return path;
	while (isdigit((unsigned char)s[n]))
		n++;
	if (n == 0 || (s[n] != '/' && s[n] != '\0'))
		return path;
	snprintf(buf, len, "/proc/self%s", s + n);
	return buf;
}

/* Is dir a strict ancestor of some tree the learned policy allows? */
static bool leads_to_tree(const struct fg_learn *l, const char *dir)
{
	const struct fg_path_list *ref[2] = { &l->conf.ref->fs.read, &l->conf.ref->fs.write };
	const struct fg_ltree_list *mine[2] = { &l->read, &l->write };

	if (within(dir, l->conf.root))
		return true;
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < ref[k]->n; i++)
			if (within(dir, ref[k]->v[i].path))
				return true;
		for (size_t i = 0; i < mine[k]->n; i++)
			if (within(dir, mine[k]->v[i].path))
				return true;
	}
	return false;
}

/* Not learned: counted, and the first one kept as the example. */
static int skip(struct fg_learn *l, const struct fg_lpath *p)
{
	l->skipped += p->count;
	return note_example(&l->skip_example, p->path);
}

/* Allowed already (counted), in the root, or a candidate tree. meta: 0 =
 * take real accesses, 1 = take metadata probes (after the trees exist). */
static int classify(struct fg_learn *l, const struct fg_lpath *p, int meta)
{
	struct fg_verdict v;
	char buf[PATH_MAX + 16];
	const char *path = proc_self(p->path, buf, sizeof(buf));
	bool oom = false, is_meta = (p->acc & FG_LACC_META) != 0;
	char *t;
	int rc;

	if (is_meta != (meta == 1))
		return 0;
	if ((p->acc & FG_LACC_EXEC) && fg_learn_unfollowable(p->path)) {
		l->unconfined += p->count;
		if (note_example(&l->unconfined_example, p->path) < 0)
			return -ENOMEM;
	}
	if (path[0] != '/' || strpbrk(path, ",;#$\n") != NULL)
		return skip(l, p);
	if (fg_policy_path(l->conf.ref, path, strlen(path), p->acc & 3u, &v)) {
		if (v.line != 0) {
			l->known += p->count;
			return 0;
		}
		l->system += p->count;
		return note_example(&l->sys_example, path);
	}
	if (path != p->path)    /* another process's /proc entry */
		return skip(l, p);
	if (within(l->conf.root, path)) {
		l->root_count += p->count;
		l->root_write |= (p->acc & FG_ACC_WRITE) != 0;
		return note_example(&l->root_example, path);
	}
	if (is_meta && leads_to_tree(l, path)) {
		l->system += p->count;
		return 0;
	}
	/* a probe for a name that is not there (a search path): learning its
	 * nearest existing directory would open far more than the run used */
	if (is_meta && p->missing)
		return skip(l, p);
	t = tree_of(l, path, &oom);
	if (t == NULL)
		return oom ? -ENOMEM : skip(l, p);
	rc = tree_add((p->acc & FG_ACC_WRITE) ? &l->write : &l->read, t, path, p->count);
	free(t);
	return rc;
}

int fg_learn_collapse(struct fg_learn *l)
{
	int rc;

	dedupe(l);
	for (int meta = 0; meta < 2; meta++) {
		for (size_t i = 0; i < l->npaths; i++) {
			rc = classify(l, &l->paths[i], meta);
			if (rc < 0)
				return rc;
		}
		rc = collapse_list(l, &l->write);
		if (rc == 0)
			rc = collapse_list(l, &l->read);
		if (rc < 0)
			return rc;
		absorb(&l->read, &l->write);
	}
	return 0;
}
