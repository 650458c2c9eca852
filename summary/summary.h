/* summary.h - reads an audit log into the figures a person wants first:
 * denials by rule and path, circuit breaker transitions, per-process counts.
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
 * Use: fg_sum_new, fg_sum_add for every record line (verified by the
 * caller), fg_sum_finish, then any of the three renderings, fg_sum_free.
 * Memory grows with the number of distinct (decision, rule, op, path)
 * groups, processes and breaker transitions, not with the records.
 */
#ifndef FLEETGUARD_SUMMARY_H
#define FLEETGUARD_SUMMARY_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Denials (decision deny) and would-be denials (report) of one kind. */
struct fg_sum_group {
	char *decision, *rule, *op, *what;   /* what: path, address or host name */
	uint64_t count;
	int64_t first_ns, last_ns;
};

struct fg_sum_proc {
	long pid;
	char *agent, *exe;
	uint64_t actions, deny, report;
};

/* A breaker transition (op "breaker"). */
struct fg_sum_event {
	int64_t ns;
	char *endpoint, *addr, *from, *to, *why;
	long failures, seconds;
};

/* Per endpoint: calls refused while open, calls sent to the fallback. */
struct fg_sum_ep {
	char *name;
	uint64_t refused, fallback;
};

/* How many denial instants the time line keeps (evenly thinned beyond). */
#define FG_SUM_MAX_TICKS 4096

struct fg_sum {
	uint64_t records, allow, deny, report;
	int64_t first_ns, last_ns;           /* 0 when no record had a time */
	struct fg_sum_group *groups;
	size_t ngroups;
	struct fg_sum_proc *procs;
	size_t nprocs;
	struct fg_sum_event *events;
	size_t nevents;
	struct fg_sum_ep *eps;
	size_t neps;
	int64_t *ticks;                      /* times of denials, for the picture */
	size_t nticks;
	/* filled by the caller: what the chain check said */
	const char *source;                  /* the log's name */
	bool intact;
	char verdict[PATH_MAX + 512];
	/* private */
	struct fg_sum_priv *priv;
};

int fg_sum_new(struct fg_sum **out);
void fg_sum_free(struct fg_sum *s);

/* One record line (no newline).  Returns 0, -EBADMSG or -ENOMEM. */
int fg_sum_add(struct fg_sum *s, const char *line, size_t len);

/* Order the tables: groups and processes by count, events by time. */
void fg_sum_finish(struct fg_sum *s);

/* "2026-12-04T15:41:23.433310650Z" -> ns since the epoch; -1 if malformed. */
int64_t fg_sum_parse_ts(const char *ts);

/* The renderings.  top limits the rows of each terminal table (0: all). */
void fg_sum_text(const struct fg_sum *s, FILE *f, size_t top);
void fg_sum_json(const struct fg_sum *s, FILE *f);
/* One self-contained page: inline CSS and SVG, no script, no fetch.
 * test_hook adds a small script that marks the page loaded and records
 * JavaScript errors in the DOM (for headless browser tests only). */
void fg_sum_html(const struct fg_sum *s, FILE *f, bool test_hook);

#endif /* FLEETGUARD_SUMMARY_H */
