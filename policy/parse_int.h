/* parse_int.h - the parser's shared state and the functions its files share.
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
 * The parser is split by job:
 *   parse.c          entry points: load, parse (the order of the passes), free
 *   parse_lines.c    pass 1: diagnostics, the raw line checks, inih's reader
 *                    and handler, section headers and key names
 *   parse_values.c   value syntax: ${...} expansion, numbers, choices, lists,
 *                    paths, sizes, HTTP statuses
 *   parse_net.c      network values: addresses, host names, host:port, allow
 *                    rules, endpoint addresses
 *   parse_keys.c     pass 2: what each key of each section means
 *   parse_builtin.c  rules fleetguard adds itself: system set, DNS, endpoints
 *
 * None of this is visible outside policy/.  Functions returning bool report
 * their own problem through fg_parse_diag() and return false; running out of
 * memory sets st->oom instead.
 */
#ifndef FLEETGUARD_PARSE_INT_H
#define FLEETGUARD_PARSE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

enum sec {
	SEC_NONE = 0, SEC_WORKSPACE, SEC_FILESYSTEM, SEC_NETWORK, SEC_BREAKER,
	SEC_ENDPOINT, SEC_AUDIT, SEC_BAD, SEC_COUNT
};

/* Key names per section, NULL-terminated; [endpoint] also takes every
 * [breaker] key. */
extern const char *const fg_parse_sec_names[SEC_COUNT];
extern const char *const fg_parse_keys_breaker[];

struct diag {
	unsigned line;
	unsigned seq;           /* keeps the sort stable */
	char *msg;
};

/* One "key = value" line as pass 1 recorded it. */
struct entry {
	enum sec sec;
	size_t ep;              /* SEC_ENDPOINT: index into eps */
	char key[32];
	char *val;
	unsigned line;
};

struct eprec {
	char *name;
	unsigned line;
};

struct pstate {
	const char *name;       /* file name for diagnostics */
	const char *buf;
	size_t len, pos;
	unsigned lineno;

	enum sec cur;
	size_t cur_ep;
	unsigned sec_line[SEC_COUNT];

	struct entry *ent;
	size_t nent, capent;
	struct eprec *eps;
	size_t neps, capeps;

	struct diag *dg;
	size_t ndg, capdg;
	bool oom;

	struct fg_policy *p;
};

/* Where each endpoint (or [breaker]) key came from, for cross checks. */
struct eplines {
	unsigned address, protocol, fallback, open, max_open;
	unsigned gateway, gw_only;   /* lines of gateway, and of the last gateway-only key */
	const char *gw_only_key;     /* that key's name (api_key_file, ca_file, ...) */
	bool bad_protocol;
};

/* --- parse_lines.c ------------------------------------------------------- */

/* Record a problem at line (0: the whole file). */
__attribute__((format(printf, 3, 4)))
void fg_parse_diag(struct pstate *st, unsigned line, const char *fmt, ...);
/* Sort the problems by line and hand each to fn (which may be NULL). */
void fg_parse_emit(struct pstate *st, fg_diag_fn fn, void *ctx);
/* Pass 1: feed st->buf through inih, filling st->ent and st->eps. */
void fg_parse_syntax(struct pstate *st);
bool fg_parse_in_list(const char *const *l, const char *k);
bool fg_parse_is_name_char(char c);

/* --- parse_values.c ------------------------------------------------------ */

/* Strip blanks on both sides; returns the start, *n the new length. */
const char *fg_parse_trim(const char *s, size_t *n);
/* Expand ${root}, ${HOME}, ${TMPDIR}, ${ENV:NAME}; NULL after a diagnostic. */
char *fg_parse_expand(struct pstate *st, unsigned line, const char *v);
/* A decimal number without sign or blanks, min..max. */
bool fg_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);
bool fg_parse_num_key(struct pstate *st, const struct entry *e, const char *v,
		      unsigned min, unsigned max, unsigned *out);

struct choice {
	const char *word;
	int val;
};
extern const struct choice fg_ch_bool[], fg_ch_mode[], fg_ch_kernel[], fg_ch_unconf[],
	fg_ch_events[], fg_ch_fsync[], fg_ch_onfail[], fg_ch_proto[], fg_ch_gateway[];
bool fg_parse_choice_key(struct pstate *st, const struct entry *e, const char *v,
			 const struct choice *c, int *out);

typedef bool (*fg_item_fn)(struct pstate *, const struct entry *, char *, void *);
/* Split a raw comma list; expands and passes each trimmed item to fn. */
bool fg_parse_each_item(struct pstate *st, const struct entry *e, const char *raw,
			fg_item_fn fn, void *arg);
/* An absolute path, expanded already; normalised into a new string. */
char *fg_parse_make_path(struct pstate *st, unsigned line, const char *key, const char *v);
bool fg_parse_add_path_rule(struct pstate *st, struct fg_path_list *l, const char *path,
			    unsigned line, enum fg_rule_origin origin);
/* fg_item_fn for read/write/deny: arg is the struct fg_path_list. */
bool fg_parse_path_item(struct pstate *st, const struct entry *e, char *item, void *arg);
/* fg_item_fn for failure_status: arg is the struct fg_breaker_conf. */
bool fg_parse_status_item(struct pstate *st, const struct entry *e, char *item, void *arg);
bool fg_parse_size(struct pstate *st, const struct entry *e, const char *v, uint64_t *out);

/* --- parse_net.c --------------------------------------------------------- */

/* fg_item_fn for [network] allow: appends to st->p->net.allow. */
bool fg_parse_net_item(struct pstate *st, const struct entry *e, char *item, void *arg);
/* An endpoint address: host name or literal, numeric port. */
bool fg_parse_endpoint_addr(struct pstate *st, const struct entry *e, const char *v,
			    char **host, uint16_t *port);
/* Append *r to st->p->net.allow (which then owns its strings). */
bool fg_parse_add_net_rule(struct pstate *st, const struct fg_net_rule *r);

/* --- parse_keys.c -------------------------------------------------------- */

void fg_parse_breaker_defaults(struct fg_breaker_conf *c);
void fg_parse_check_open_range(struct pstate *st, const struct fg_breaker_conf *c,
			       const struct eplines *el, unsigned fallback_line);
void fg_parse_workspace_pass(struct pstate *st);
void fg_parse_main_pass(struct pstate *st, struct eplines *el, unsigned *dns_line,
			struct eplines *brk);
void fg_parse_endpoint_pass(struct pstate *st, struct eplines *el);

/* --- parse_builtin.c ----------------------------------------------------- */

void fg_parse_add_system(struct pstate *st);
void fg_parse_add_dns(struct pstate *st, unsigned line);
void fg_parse_add_endpoint_rules(struct pstate *st, const struct eplines *el);

#endif /* FLEETGUARD_PARSE_INT_H */
