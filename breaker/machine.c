/* machine.c - the breaker state machine on a shared slot, lock-free.
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
 * Every transition is one CAS on the slot's state word.  What follows a
 * successful CAS (installing the deadline, counters) is either idempotent or
 * repaired by the next reader, so a process may die between any two steps.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "breaker/internal.h"

static const char *const state_names[] = {"closed", "open", "half-open"};
static const char *const outcome_names[] = {"ok", "connect", "reset", "429", "5xx", "status", "slow"};

const char *fg_bk_state_name(enum fg_bk_state s)
{
	return (unsigned)s < 3 ? state_names[s] : "invalid";
}

const char *fg_bk_outcome_name(enum fg_bk_outcome o)
{
	return (unsigned)o < FG_BK_OUTCOMES ? outcome_names[o] : "invalid";
}

static uint32_t rand32(const struct fg_bk_map *m)
{
	static __thread uint64_t x;
	static __thread pid_t seeded_by;        /* a fork child draws its own */
	pid_t me;

	if (m->env.rand32 != NULL)
		return m->env.rand32(m->env.ctx);
	me = getpid();
	if (x == 0 || seeded_by != me) {
		x = (uint64_t)me << 32 ^ fg_bk_clock_ms() ^ (uint64_t)(uintptr_t)&x;
		seeded_by = me;
	}
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (uint32_t)(x >> 16);
}

static uint32_t gen_next(uint64_t w)
{
	uint32_t g = (W_GEN(w) + 1) & W_GEN_MASK;

	return g == 0 ? 1 : g;
}

/* open_seconds * 2^level, at most max_open_seconds, in ms. */
static uint64_t period_ms(const struct fg_bk_conf *c, unsigned level)
{
	uint64_t s = c->open_seconds;

	for (unsigned i = 0; i < level && s < c->max_open_seconds; i++)
		s *= 2;
	if (s > c->max_open_seconds)
		s = c->max_open_seconds;
	return s * 1000u;
}

/* The level after one more failed probe: stops growing at the cap. */
static unsigned level_up(const struct fg_bk_conf *c, unsigned level)
{
	if (level >= W_LEVEL_MAX || period_ms(c, level) >= (uint64_t)c->max_open_seconds * 1000u)
		return level;
	return level + 1;
}

static uint64_t lease_ms(const struct fg_bk_conf *c)
{
	unsigned s = c->open_seconds;

	if (c->slow_first_byte_seconds > s)
		s = c->slow_first_byte_seconds;
	return (uint64_t)s * 1000u;
}

/* The deadline that belongs to state word w, computed as of now. */
static uint64_t deadline(struct fg_bk *b, uint64_t w, uint64_t now)
{
	const struct fg_bk_map *m = b->map;
	uint64_t p, d, r;

	if (W_STATE(w) == FG_BK_HALF)
		return now + lease_ms(&b->conf);
	if (W_STATE(w) != FG_BK_OPEN)
		return 0;
	p = period_ms(&b->conf, W_LEVEL(w));
	d = now + p + (p / 10u) * rand32(m) / UINT32_MAX;
	/* Retry-After seen in the generation that led here. */
	r = atomic_load(&b->slot->retry);
	if (T_TAG(r) == ((W_GEN(w) - 1) & 0xffffu) && T_MS(r) > d)
		d = T_MS(r);
	return d;
}

/* Install deadline d for generation gen unless it is already there or the
 * generation has moved on. */
static void install(struct fg_bk_slot *s, uint32_t gen, uint64_t d)
{
	uint64_t t = atomic_load(&s->until);

	for (;;) {
		if (T_TAG(t) == (gen & 0xffffu) || W_GEN(atomic_load(&s->word)) != gen)
			return;
		if (atomic_compare_exchange_weak(&s->until, &t, t_make(gen, d)))
			return;
	}
}

/* The deadline of state w: installed by whoever made the transition, or
 * computed and installed here if that process has not (yet, or ever).  0
 * when the slot has moved on to another generation: w is stale, and the
 * caller's compare-and-swap on it will fail and re-read the state. */
static uint64_t until_of(struct fg_bk *b, uint64_t w, uint64_t now)
{
	uint64_t t = atomic_load(&b->slot->until);

	if (T_TAG(t) == (W_GEN(w) & 0xffffu))
		return T_MS(t);
	install(b->slot, W_GEN(w), deadline(b, w, now));
	t = atomic_load(&b->slot->until);
	return T_TAG(t) == (W_GEN(w) & 0xffffu) ? T_MS(t) : 0;
}

static void event(struct fg_bk_event *ev, uint64_t from, uint64_t to, uint64_t until,
		  const char *why)
{
	if (ev == NULL)
		return;
	ev->changed = true;
	ev->from = (enum fg_bk_state)W_STATE(from);
	ev->to = (enum fg_bk_state)W_STATE(to);
	ev->gen = W_GEN(to);
	ev->failures = W_FAILS(to);
	ev->until_ms = until;
	ev->why = why;
}

/* After a successful CAS from 'from' to 'to' at now. */
static uint64_t entered(struct fg_bk *b, uint64_t from, uint64_t to, uint64_t now,
			const char *why, struct fg_bk_event *ev)
{
	struct fg_bk_slot *s = b->slot;
	uint64_t until = 0;

	if (W_STATE(to) != FG_BK_CLOSED) {
		install(s, W_GEN(to), deadline(b, to, now));
		until = until_of(b, to, now);
		if (until == 0)   /* already moved on: what it would have been */
			until = deadline(b, to, now);
	}
	if (W_STATE(to) != W_STATE(from) || W_STATE(to) == FG_BK_HALF) {
		atomic_store(&s->changed, now);
		event(ev, from, to, until, why);
	}
	if (W_STATE(to) == FG_BK_OPEN && W_STATE(from) != FG_BK_OPEN)
		atomic_fetch_add(&s->opens, 1);
	if (W_STATE(to) == FG_BK_CLOSED)
		for (unsigned k = 0; k < FG_BK_OUTCOMES; k++)
			atomic_store(&s->streak[k], 0);
	return until;
}

static void ev_clear(struct fg_bk_event *ev)
{
	if (ev != NULL)
		memset(ev, 0, sizeof(*ev));
}

enum fg_bk_admit fg_bk_admit(struct fg_bk *b, struct fg_bk_ticket *t, uint64_t *retry_ms,
			     unsigned *failures, struct fg_bk_event *ev)
{
	struct fg_bk_slot *s = b->slot;
	uint64_t w = atomic_load_explicit(&s->word, memory_order_acquire);
	uint64_t now, until, nw;

	ev_clear(ev);
	if (retry_ms != NULL)
		*retry_ms = 0;
	for (;;) {
		switch (W_STATE(w)) {
		case FG_BK_CLOSED:
			t->gen = W_GEN(w);
			t->probe = false;
			atomic_fetch_add_explicit(&s->admitted, 1, memory_order_relaxed);
			return FG_BK_GO;
		case FG_BK_HALF:
			if (W_OUT(w) < b->conf.probes) {
				nw = w + (1u << 7);
				if (!atomic_compare_exchange_weak(&s->word, &w, nw))
					continue;
				goto probe;
			}
			/* Every probe place is taken: wait out their lease. */
			__attribute__((fallthrough));
		case FG_BK_OPEN:
			now = fg_bk_now(b->map);
			until = until_of(b, w, now);
			if (now < until) {
				if (retry_ms != NULL)
					*retry_ms = until - now;
				goto refuse;
			}
			/* The open period is over, or no probe reported within its
			 * lease: a new round of probes. */
			nw = w_make(FG_BK_HALF, W_LEVEL(w), 1, W_FAILS(w), gen_next(w));
			if (!atomic_compare_exchange_weak(&s->word, &w, nw))
				continue;
			entered(b, w, nw, now, W_STATE(w) == FG_BK_OPEN ? "open period over" :
					 "probe lease expired", ev);
			goto probe;
		default:
			/* A state value no version writes: treat as closed
			 * and repair. */
			nw = w_make(FG_BK_CLOSED, 0, 0, 0, gen_next(w));
			atomic_compare_exchange_weak(&s->word, &w, nw);
			continue;
		}
	}
probe:
	t->gen = W_GEN(nw);
	t->probe = true;
	atomic_fetch_add_explicit(&s->admitted, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->probes, 1, memory_order_relaxed);
	return FG_BK_PROBE;
refuse:
	if (failures != NULL)
		*failures = W_FAILS(w);
	atomic_fetch_add_explicit(&s->refused, 1, memory_order_relaxed);
	return FG_BK_REFUSE;
}

/* Note pid among the failing processes of generation gen; returns how many
 * distinct ones that generation has seen. */
static unsigned note_pid(struct fg_bk_slot *s, uint32_t gen, pid_t pid)
{
	uint64_t mine = (uint64_t)gen << 32 | (uint32_t)pid;
	unsigned n = 0;
	bool have = false;

	for (unsigned k = 0; k < FG_BK_MAX_PIDS && !have; k++)
		have = atomic_load(&s->pids[k]) == mine;
	for (unsigned k = 0; k < FG_BK_MAX_PIDS && !have; k++) {
		uint64_t e = atomic_load(&s->pids[k]);

		if ((uint32_t)(e >> 32) != gen)
			have = atomic_compare_exchange_strong(&s->pids[k], &e, mine);
	}
	for (unsigned k = 0; k < FG_BK_MAX_PIDS; k++)
		n += (uint32_t)(atomic_load(&s->pids[k]) >> 32) == gen;
	return n;
}

/* Raise the Retry-After horizon of generation gen to at least until. */
static void note_retry(struct fg_bk_slot *s, uint32_t gen, uint64_t until)
{
	uint64_t r = atomic_load(&s->retry);

	for (;;) {
		if (T_TAG(r) == (gen & 0xffffu) && T_MS(r) >= until)
			return;
		if (atomic_compare_exchange_weak(&s->retry, &r, t_make(gen, until)))
			return;
	}
}

int fg_bk_report(struct fg_bk *b, const struct fg_bk_ticket *t, enum fg_bk_outcome o,
		 unsigned retry_after_s, pid_t pid, struct fg_bk_event *ev)
{
	struct fg_bk_slot *s = b->slot;
	uint64_t w = atomic_load_explicit(&s->word, memory_order_acquire);
	uint64_t now = fg_bk_now(b->map), nw;
	unsigned fails, need;
	bool counted_pid = false;

	ev_clear(ev);
	if ((unsigned)o >= FG_BK_OUTCOMES)
		return -EINVAL;
	for (;;) {
		if (W_GEN(w) != t->gen || W_STATE(w) == FG_BK_OPEN) {
			atomic_fetch_add_explicit(&s->ignored, 1, memory_order_relaxed);
			return 0;
		}
		if (o == FG_BK_OK) {
			if (W_STATE(w) == FG_BK_CLOSED && W_FAILS(w) == 0)
				break;
			/* A success ends the streak: new generation, so the
			 * calls of the failing streak cannot add to a new one. */
			nw = w_make(FG_BK_CLOSED, 0, 0, 0, gen_next(w));
			if (!atomic_compare_exchange_weak(&s->word, &w, nw))
				continue;
			entered(b, w, nw, now, "probe succeeded", ev);
			break;
		}
		if (retry_after_s > 0) {
			uint64_t ra = retry_after_s;

			if (ra > b->conf.max_open_seconds)
				ra = b->conf.max_open_seconds;
			note_retry(s, t->gen, now + ra * 1000u);
		}
		fails = W_FAILS(w) < W_FAILS_MAX ? W_FAILS(w) + 1 : W_FAILS_MAX;
		if (W_STATE(w) == FG_BK_HALF) {
			nw = w_make(FG_BK_OPEN, level_up(&b->conf, W_LEVEL(w)), 0, fails, gen_next(w));
			if (!atomic_compare_exchange_weak(&s->word, &w, nw))
				continue;
			entered(b, w, nw, now, "probe failed", ev);
			break;
		}
		need = b->conf.min_processes < FG_BK_MAX_PIDS ? b->conf.min_processes : FG_BK_MAX_PIDS;
		if (fails >= b->conf.threshold &&
		    (need <= 1 || (counted_pid = true, note_pid(s, t->gen, pid) >= need))) {
			nw = w_make(FG_BK_OPEN, 0, 0, fails, gen_next(w));
			if (!atomic_compare_exchange_weak(&s->word, &w, nw))
				continue;
			entered(b, w, nw, now, "threshold reached", ev);
			break;
		}
		if (need > 1 && !counted_pid) {
			counted_pid = true;
			note_pid(s, t->gen, pid);
		}
		nw = w_make(FG_BK_CLOSED, 0, 0, fails, W_GEN(w));
		if (atomic_compare_exchange_weak(&s->word, &w, nw))
			break;
	}
	if (o != FG_BK_OK)
		atomic_fetch_add_explicit(&s->streak[o], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->total[o], 1, memory_order_relaxed);
	return 1;
}

void fg_bk_release(struct fg_bk *b, const struct fg_bk_ticket *t)
{
	struct fg_bk_slot *s = b->slot;
	uint64_t w = atomic_load(&s->word);

	if (!t->probe)
		return;
	while (W_STATE(w) == FG_BK_HALF && W_GEN(w) == t->gen && W_OUT(w) > 0)
		if (atomic_compare_exchange_weak(&s->word, &w, w - (1u << 7)))
			return;
}

int fg_bk_force(struct fg_bk *b, enum fg_bk_state to, struct fg_bk_event *ev)
{
	struct fg_bk_slot *s = b->slot;
	uint64_t w = atomic_load(&s->word), nw, until;
	uint64_t now = fg_bk_now(b->map);

	ev_clear(ev);
	if (to != FG_BK_CLOSED && to != FG_BK_OPEN)
		return -EINVAL;
	do {
		nw = to == FG_BK_CLOSED ? w_make(FG_BK_CLOSED, 0, 0, 0, gen_next(w)) :
			w_make(FG_BK_OPEN, 0, 0, W_FAILS(w), gen_next(w));
	} while (!atomic_compare_exchange_weak(&s->word, &w, nw));
	until = entered(b, w, nw, now, "forced", ev);
	if (ev != NULL && !ev->changed)
		event(ev, w, nw, until, "forced");
	return 0;
}

void fg_bk_count_fallback(struct fg_bk *b)
{
	atomic_fetch_add_explicit(&b->slot->fallbacks, 1, memory_order_relaxed);
}
