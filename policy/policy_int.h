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

/* Parse a literal IPv4 or IPv6 address (no brackets) into addr[16];
 * returns AF_INET, AF_INET6 or 0 when s is not a literal address. */
int fg_addr_literal(const char *s, size_t len, uint8_t addr[16]);

/* Compare host names case-insensitively, ignoring one trailing dot. */
bool fg_host_equal(const char *a, const char *b);

#endif /* FLEETGUARD_POLICY_INT_H */
