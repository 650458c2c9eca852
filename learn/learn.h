/* learn.h - turns the audit records of one run into the smallest policy that
 * lets that run through: the model behind "fleetguard learn".
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
 * Use: fg_learn_new, fg_learn_add for every record line of the run's log,
 * then fg_learn_write (which collapses the paths first) and fg_learn_free.
 *
 * What is learned (docs/LEARN.md has the reasons):
 * - a path the reference policy already allows (the system set, or the
 *   policy given to --merge) is counted, not learned;
 * - a path inside the workspace root makes ${root} a write tree (any write
 *   there) or a read tree;
 * - any other path becomes the directory it names, or its parent directory
 *   for a file or a name that no longer exists; two or more such trees
 *   under one parent become the parent, as long as the parent is not "/", a
 *   top-level directory other than /tmp, $HOME or one of its ancestors, or
 *   an ancestor of the workspace root;
 * - a metadata probe (stat, access, readlink) of a name that does not exist
 *   is not learned (it answers EACCES instead of ENOENT, silently);
 * - a connection is learned as the host name it was resolved from with its
 *   port, or as the literal address; a name looked up and never connected to
 *   as "name:*"; well-known LLM API hosts are offered as commented
 *   [endpoint] sections.
 * The collapse looks at the file system (stat) when fg_learn_write runs.
 */
#ifndef FLEETGUARD_LEARN_H
#define FLEETGUARD_LEARN_H

#include <stddef.h>
#include <stdio.h>

#include "policy/policy.h"

struct fg_learn;

struct fg_learn_conf {
	const char *root;              /* workspace root of the learned policy (absolute) */
	const char *home;              /* $HOME: never a tree as a whole (may be NULL) */
	const struct fg_policy *ref;   /* what is allowed already; not learned again */
};

/* Returns 0 or -ENOMEM.  conf's strings and ref must outlive the model. */
int fg_learn_new(const struct fg_learn_conf *conf, struct fg_learn **out);
void fg_learn_free(struct fg_learn *l);

/* Take one audit record (a line without its newline).  Records that carry
 * no path or address (start, exit, breaker...) are skipped.  Returns 0,
 * -EBADMSG for a line that is not a record, or -ENOMEM. */
int fg_learn_add(struct fg_learn *l, const char *line, size_t len);

/* The command itself: "fleetguard run" executes it before the library is
 * loaded, so no record names it.  path as the caller found it on PATH
 * (made absolute and resolved here).  Returns 0, -ENOENT or -ENOMEM. */
int fg_learn_add_exec(struct fg_learn *l, const char *path);

/* What fg_learn_write puts around the learned rules. */
struct fg_learn_out {
	const char *command;           /* the run's command line, for the header comment */
	const char *merge_text;        /* --merge: the policy to extend (NUL-terminated), or NULL */
	const struct fg_path_list *deny;  /* deny trees to carry over (a --policy BASE), or NULL */
	const char *root_line;         /* "root = ..." to write in [workspace], or NULL */
};

/* Collapse the paths and write the policy to f.  Returns 0, -ENOMEM or
 * -EIO. */
int fg_learn_write(struct fg_learn *l, const struct fg_learn_out *o, FILE *f);

/* Figures of the last fg_learn_write, for the tool's summary line. */
struct fg_learn_stats {
	size_t records, actions, system, known;   /* known: allowed by the reference policy itself */
	size_t read_trees, write_trees, net_rules, endpoints, skipped;
};
void fg_learn_stats(const struct fg_learn *l, struct fg_learn_stats *st);

#endif /* FLEETGUARD_LEARN_H */
