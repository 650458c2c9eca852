/* sha256.h - SHA-256 (FIPS 180-4) in plain C, for hashing without libcrypto.
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
 * The preloaded library hashes the policy file once per process tree
 * (the "policy_sha256" of every start record).  Loading libcrypto for
 * that one digest costs a few milliseconds and maps 4.7 MB into the
 * agent; this file is the digest alone, a few hundred bytes of code.  The
 * audit chain and checkpoints keep using libcrypto in the daemon.
 *
 * Usage: fg_sha256_init(&c); fg_sha256_update(&c, p, n)...;
 * fg_sha256_final(&c, md).  No allocation; a context is plain data (copy
 * it to hash a common prefix once).  It never sees a key, so it is not
 * written to run in constant time.
 */
#ifndef FLEETGUARD_AUDIT_SHA256_H
#define FLEETGUARD_AUDIT_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct fg_sha256 {
	uint32_t h[8];
	uint64_t len;           /* bytes hashed so far */
	unsigned char block[64];
	size_t fill;            /* bytes waiting in block */
};

void fg_sha256_init(struct fg_sha256 *c);
void fg_sha256_update(struct fg_sha256 *c, const void *p, size_t n);
/* Writes the 32-byte digest; c must be initialised again before reuse. */
void fg_sha256_final(struct fg_sha256 *c, unsigned char md[32]);

#endif /* FLEETGUARD_AUDIT_SHA256_H */
