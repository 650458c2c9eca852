/* internal.h - layout of the breaker state file, private to breaker/.
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
 * The file is: a header page (struct fg_bk_hdr, then zeros up to
 * FG_BK_HDR_SIZE), then FG_BK_SLOTS slots.  Changing any of these structures
 * means bumping FG_BK_VERSION: a process of the old layout then rebuilds the
 * file rather than misreading it.
 */
#ifndef FLEETGUARD_BREAKER_INTERNAL_H
#define FLEETGUARD_BREAKER_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>

#include "breaker/breaker.h"

#define FG_BK_MAGIC 0x31524b5242474646ULL   /* "FFGBRKR1" little-endian */
#define FG_BK_VERSION 1u
#define FG_BK_HDR_SIZE 4096u
#define FG_BK_SLOT_USED 0x55534544u         /* "DESU": slot holds an endpoint */

struct fg_bk_hdr {
	uint64_t magic;
	uint32_t version;
	uint32_t hdr_size;
	uint32_t slot_size;
	uint32_t nslots;
	uint64_t file_size;
	char boot_id[40];
	uint32_t clock;          /* 1: CLOCK_BOOTTIME milliseconds */
	uint32_t check;          /* FNV-1a of the bytes before it */
};

struct fg_bk_slot {
	_Alignas(64) _Atomic uint32_t used;
	uint32_t pad;
	char name[FG_BK_NAME_MAX];
	char addr[FG_BK_ADDR_MAX];
	_Atomic uint64_t word;      /* packed state, see below */
	_Atomic uint64_t until;     /* tag16 | deadline ms48 of the current state */
	_Atomic uint64_t retry;     /* tag16 | Retry-After horizon ms48 */
	_Atomic uint64_t changed;   /* ms of the last state change */
	_Atomic uint64_t pids[FG_BK_MAX_PIDS];   /* gen32 | pid32 of failing processes */
	_Atomic uint64_t streak[FG_BK_OUTCOMES];
	_Atomic uint64_t total[FG_BK_OUTCOMES];
	_Atomic uint64_t admitted, refused, probes, fallbacks, opens, ignored;
};

/*
 * The state word: every field that must change together, so one CAS moves
 * the machine and a process dying anywhere leaves a whole state.
 *   bits  0..1   state (enum fg_bk_state)
 *   bits  2..6   level: failed probes since it last closed (period doublings)
 *   bits  7..16  probes admitted in the current half-open round
 *   bits 17..36  consecutive failures
 *   bits 37..63  generation
 */
#define W_STATE(w) ((unsigned)((w) & 3u))
#define W_LEVEL(w) ((unsigned)(((w) >> 2) & 31u))
#define W_OUT(w) ((unsigned)(((w) >> 7) & 1023u))
#define W_FAILS(w) ((unsigned)(((w) >> 17) & 0xfffffu))
#define W_GEN(w) ((uint32_t)((w) >> 37))
#define W_GEN_MASK 0x7ffffffu
#define W_FAILS_MAX 0xfffffu
#define W_OUT_MAX 1023u
#define W_LEVEL_MAX 31u

static inline uint64_t w_make(unsigned state, unsigned level, unsigned out, unsigned fails,
			      uint32_t gen)
{
	return (uint64_t)(state & 3u) | (uint64_t)(level & 31u) << 2 |
	       (uint64_t)(out & 1023u) << 7 | (uint64_t)(fails & 0xfffffu) << 17 |
	       (uint64_t)(gen & W_GEN_MASK) << 37;
}

/* Deadline words: the low 16 bits of the generation they belong to, and 48
 * bits of milliseconds (8900 years). */
#define T_TAG(t) ((uint32_t)((t) >> 48))
#define T_MS(t) ((t) & 0xffffffffffffULL)
static inline uint64_t t_make(uint32_t gen, uint64_t ms)
{
	return (uint64_t)(gen & 0xffffu) << 48 | (ms & 0xffffffffffffULL);
}

struct fg_bk_map {
	struct fg_bk_hdr *hdr;
	struct fg_bk_slot *slots;
	size_t size;
	struct fg_bk_env env;
	char path[4096];
};

uint64_t fg_bk_now(const struct fg_bk_map *m);

#endif /* FLEETGUARD_BREAKER_INTERNAL_H */
