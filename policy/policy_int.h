/* policy_int.h - what the parser (parse*.c) and match.c share, and nobody else
 * needs.
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
#ifndef FLEETGUARD_POLICY_INT_H
#define FLEETGUARD_POLICY_INT_H

#include "policy/policy.h"

/* Build p->index from p->fs.{read,write,deny}.  Returns 0 or -ENOMEM. */
int fg_path_index_build(struct fg_policy *p);
void fg_path_index_free(struct fg_path_index *idx);

/* Zeroed memory for what a sealed policy is read into (seal.c): zero
 * pages of the cold .lbss while they last, else calloc, so that a
 * descendant's constructor calls no malloc at all (its first use costs a
 * getrandom, two brk and heap-page faults in a program that allocates
 * nothing itself: docs/PERFORMANCE.md, fifth pass).  The arena is used
 * once and never reclaimed; fg_arena_free frees what calloc gave. */
void *fg_arena_calloc(size_t n, size_t size);
void fg_arena_free(void *p);
bool fg_arena_owns(const void *p);

/*
 * The index as plain data, so that it travels in the sealed policy and a
 * descendant adopts it instead of building it (building compares every
 * rule with every node).  A rule is named (list << 24 | index) + 1, list
 * 0 = fs.deny, 1 = fs.write, 2 = fs.read; 0 names none.
 */
struct fg_pindex_node {
	uint64_t hash;
	uint32_t len;
	uint32_t path;          /* a rule whose path is this node's */
	uint32_t deny, write, read, any;
};

struct fg_pindex {
	uint64_t lenbits[64];
	uint32_t mask;                  /* slots: mask + 1 of them */
	uint32_t nnodes;
	const uint32_t *slots;          /* node index + 1, 0 empty */
	const struct fg_pindex_node *nodes;
};

/* p->index (built) as plain data: out->slots points into it, out->nodes is
 * NULL; each node is had with fg_path_index_export_node(p, i, ...). */
void fg_path_index_export(const struct fg_policy *p, struct fg_pindex *out);
void fg_path_index_export_node(const struct fg_policy *p, size_t i, struct fg_pindex_node *o);

/* Make p->index from in, whose arrays must outlive p (they lie in the
 * sealed mapping).  Every reference, hash and slot is checked: -EBADMSG
 * when one is wrong, -ENOMEM, or 0. */
int fg_path_index_adopt(struct fg_policy *p, const struct fg_pindex *in);

/* Parse a literal IPv4 or IPv6 address (no brackets) into addr[16];
 * returns AF_INET, AF_INET6 or 0 when s is not a literal address. */
int fg_addr_literal(const char *s, size_t len, uint8_t addr[16]);

/* Compare host names case-insensitively, ignoring one trailing dot. */
bool fg_host_equal(const char *a, const char *b);

#endif /* FLEETGUARD_POLICY_INT_H */
