/* learn_int.h - the learning model shared by the files of learn/.
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
#ifndef FLEETGUARD_LEARN_INT_H
#define FLEETGUARD_LEARN_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "learn/learn.h"

/* A metadata probe (stat, access, readlink): a read, allowed anyway on the
 * directories that lead to an allowed tree. */
#define FG_LACC_META 4u
/* An exec (a read of the program). */
#define FG_LACC_EXEC 16u

struct fg_lpath {           /* one action on a path, as recorded */
	char *path;
	unsigned acc;       /* FG_ACC_READ / FG_ACC_WRITE, FG_LACC_META */
	bool missing;       /* the call answered ENOENT */
	unsigned count;
};

struct fg_ltree {           /* a learned tree */
	char *path;
	char *example;      /* one path that made it */
	unsigned count;     /* actions it covers */
};

struct fg_ltree_list {
	struct fg_ltree *v;
	size_t n, cap;
};

struct fg_lnet {            /* a learned network rule */
	char *rule;         /* "host:port", "addr:port", "unix:path", or a name */
	char *example;      /* the address as recorded */
	unsigned count;
	bool resolve_only;  /* a name looked up (rule is the bare name) */
};

struct fg_learn {
	struct fg_learn_conf conf;
	struct fg_lpath *paths;
	size_t npaths, cap_paths;
	struct fg_lnet *net;
	size_t nnet, cap_net;
	size_t records, actions, system, known, denied, skipped, net_rules, endpoints;
	char *sys_example;
	char *skip_example;     /* one path not learned */
	size_t unconfined;      /* execs the library cannot follow */
	char *unconfined_example;
	unsigned root_count;
	bool root_write;
	char *root_example;
	struct fg_ltree_list read, write;
};

int fg_lpath_add(struct fg_learn *l, const char *path, unsigned acc, bool missing);
int fg_lnet_add(struct fg_learn *l, const char *addr, const char *name, const char *example,
		bool resolve_only);

/* learn/collapse.c: sort the recorded paths into the system count, the
 * workspace root and the read and write trees.  Returns 0 or -ENOMEM. */
int fg_learn_collapse(struct fg_learn *l);

/* May dir (normalised) be learned as a tree?  Not "/", a top-level
 * directory other than /tmp, $HOME or above it, or above the root. */
bool fg_learn_tree_ok(const struct fg_learn *l, const char *dir);

/* learn/exec.c: is path a static, setuid/setgid or capability program (or
 * a script run by one), which needs unconfined_exec = allow? */
bool fg_learn_unfollowable(const char *path);

#endif /* FLEETGUARD_LEARN_INT_H */
