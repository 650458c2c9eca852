/* tools.h - the fleetguard command's subcommands and shared helpers.
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
#ifndef FLEETGUARD_TOOLS_H
#define FLEETGUARD_TOOLS_H

#include <stdbool.h>
#include <stdio.h>
#include <stdnoreturn.h>

/* Print "<prog>: <message>" on stderr and exit with status. */
noreturn void die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

extern const char *fg_prog;

/* Each subcommand gets argv with argv[0] = its own name; returns the exit status. */
int fg_cmd_check(int argc, char **argv);    /* tools/cmd_check.c */
int fg_cmd_status(int argc, char **argv);   /* tools/cmd_status.c */
int fg_cmd_breaker(int argc, char **argv);  /* tools/cmd_status.c */
int fg_cmd_run(int argc, char **argv);      /* tools/cmd_run.c */

/* True when this program runs from the build tree it was built in (then it
 * uses that tree's library and programs, never installed ones). */
bool fg_in_build_tree(void);                /* tools/cmd_run.c */
int fg_cmd_learn(int argc, char **argv);    /* tools/cmd_learn.c */
int fg_cmd_log(int argc, char **argv);      /* tools/cmd_log.c */

/* Start-up warnings of a policy (tools/warn.c), one message per call:
 * read and write trees that do not exist (run and check print these), and
 * what the Landlock plan cannot enforce on this host (run prints those as
 * it builds the plan; check gets them here). */
struct fg_policy;
typedef void (*fg_warn_fn)(void *ctx, const char *msg);
void fg_warn_trees(const struct fg_policy *p, fg_warn_fn warn, void *ctx);
void fg_warn_kernel(const struct fg_policy *p, fg_warn_fn warn, void *ctx);

/* The effective workspace root and audit log, two lines, each saying
 * whether it was defaulted (check --paths, run --paths). */
void fg_print_paths(const struct fg_policy *p, FILE *f, const char *prefix);

/* Start (or find) the gateway of p's endpoints with gateway = yes, allow
 * its ports in p's network rules (for Landlock), and point the agents'
 * trust variables at a bundle with its CA (tools/run_gateway.c). */
void fg_run_gateway(struct fg_policy *p, bool quiet);

#endif /* FLEETGUARD_TOOLS_H */
