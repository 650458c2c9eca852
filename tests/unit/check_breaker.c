/* check_breaker.c - the breaker state machine, state file and HTTP sniffer.
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
 * The clock and the jitter source are injected: time only moves when a test
 * moves it, and the jitter is whatever the test says.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "breaker/breaker.h"
#include "breaker/internal.h"
#include "tests/unit/check_main.h"

static char dir[64];
static _Atomic uint64_t fake_now;
static uint32_t fake_rand;
static char said[4][4400];
static int nsaid;

/* Run once by the next clock reading: what another process does between a
 * caller's load of the state word and its compare-and-swap. */
static void (*meanwhile)(void);

static uint64_t clock_fn(void *ctx)
{
	void (*f)(void) = meanwhile;

	if (f != NULL) {
		meanwhile = NULL;
		f();
	}
	return atomic_load(&fake_now);
}

static uint32_t rand_fn(void *ctx)
{
	return fake_rand;
}

static void say_fn(void *ctx, const char *msg)
{
	if (nsaid < 4)
		snprintf(said[nsaid], sizeof(said[0]), "%s", msg);
	nsaid++;
}

static const struct fg_bk_env env = {clock_fn, rand_fn, NULL, say_fn};
static struct fg_bk_map *map;
static struct fg_bk bk;

static struct fg_bk_conf conf(unsigned threshold, unsigned open_s, unsigned max_s, unsigned probes)
{
	struct fg_bk_conf c = {threshold, open_s, max_s, probes, 0, 1};
	return c;
}

static void setup(void)
{
	char err[256];
	struct fg_bk_conf c = conf(3, 10, 80, 1);

	snprintf(dir, sizeof(dir), "/tmp/fg-check-breaker-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	atomic_store(&fake_now, 1000000);
	fake_rand = 0;
	nsaid = 0;
	ck_assert_int_eq(fg_bk_map_open(dir, &env, &map, err, sizeof(err)), 0);
	ck_assert_int_eq(fg_bk_attach(map, "llm", "127.0.0.1:8000", &c, &bk), 0);
}

static void teardown(void)
{
	char cmd[128];

	fg_bk_map_close(map);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void advance(uint64_t ms)
{
	atomic_fetch_add(&fake_now, ms);
}

static struct fg_bk_ticket go(void)
{
	struct fg_bk_ticket t;

	ck_assert_int_eq(fg_bk_admit(&bk, &t, NULL, NULL, NULL), FG_BK_GO);
	return t;
}

static void fail_n(unsigned n, enum fg_bk_outcome o)
{
	for (unsigned i = 0; i < n; i++) {
		struct fg_bk_ticket t = go();
		ck_assert_int_eq(fg_bk_report(&bk, &t, o, 0, 100, NULL), 1);
	}
}

static enum fg_bk_state state(void)
{
	struct fg_bk_snap s;

	ck_assert_int_eq(fg_bk_map_snap(map, (unsigned)(bk.slot - map->slots), &s), 1);
	return s.state;
}

/* Open the circuit and return the ms until its first probe. */
static uint64_t open_it(void)
{
	struct fg_bk_ticket t = go();
	struct fg_bk_event ev;
	uint64_t retry;

	fail_n(bk.conf.threshold - 1, FG_BK_F_5XX);
	ck_assert_int_eq(fg_bk_report(&bk, &t, FG_BK_F_CONNECT, 0, 100, &ev), 1);
	ck_assert(ev.changed);
	ck_assert_int_eq(ev.from, FG_BK_CLOSED);
	ck_assert_int_eq(ev.to, FG_BK_OPEN);
	ck_assert_int_eq(fg_bk_admit(&bk, &t, &retry, NULL, NULL), FG_BK_REFUSE);
	return retry;
}

/* --- transitions ---------------------------------------------------------- */

START_TEST(closed_counts_then_opens)
{
	struct fg_bk_ticket t;
	struct fg_bk_event ev;
	unsigned failures = 0;
	uint64_t retry = 0;

	fail_n(2, FG_BK_F_429);
	ck_assert_int_eq(state(), FG_BK_CLOSED);
	t = go();
	ck_assert_int_eq(fg_bk_report(&bk, &t, FG_BK_F_5XX, 0, 100, &ev), 1);
	ck_assert(ev.changed);
	ck_assert_str_eq(ev.why, "threshold reached");
	ck_assert_uint_eq(ev.failures, 3);
	ck_assert_uint_eq(ev.until_ms, 1000000 + 10000);
	ck_assert_int_eq(state(), FG_BK_OPEN);
	ck_assert_int_eq(fg_bk_admit(&bk, &t, &retry, &failures, NULL), FG_BK_REFUSE);
	ck_assert_uint_eq(retry, 10000);
	ck_assert_uint_eq(failures, 3);
}
END_TEST

START_TEST(success_resets_streak)
{
	struct fg_bk_ticket t;

	fail_n(2, FG_BK_F_5XX);
	t = go();
	ck_assert_int_eq(fg_bk_report(&bk, &t, FG_BK_OK, 0, 100, NULL), 1);
	fail_n(2, FG_BK_F_5XX);
	ck_assert_int_eq(state(), FG_BK_CLOSED);
	fail_n(1, FG_BK_F_5XX);
	ck_assert_int_eq(state(), FG_BK_OPEN);
}
END_TEST

START_TEST(open_to_half_to_closed)
{
	struct fg_bk_ticket t, t2;
	struct fg_bk_event ev;
	uint64_t retry;

	ck_assert_uint_eq(open_it(), 10000);
	advance(9999);
	ck_assert_int_eq(fg_bk_admit(&bk, &t, &retry, NULL, NULL), FG_BK_REFUSE);
	ck_assert_uint_eq(retry, 1);
	advance(1);
	ck_assert_int_eq(fg_bk_admit(&bk, &t, NULL, NULL, &ev), FG_BK_PROBE);
	ck_assert(t.probe);
	ck_assert(ev.changed);
	ck_assert_int_eq(ev.from, FG_BK_OPEN);
	ck_assert_int_eq(ev.to, FG_BK_HALF);
	/* probes = 1: everyone else still fails fast */
	ck_assert_int_eq(fg_bk_admit(&bk, &t2, &retry, NULL, NULL), FG_BK_REFUSE);
	ck_assert_int_eq(fg_bk_report(&bk, &t, FG_BK_OK, 0, 100, &ev), 1);
	ck_assert(ev.changed);
	ck_assert_int_eq(ev.from, FG_BK_HALF);
	ck_assert_int_eq(ev.to, FG_BK_CLOSED);
	ck_assert_str_eq(ev.why, "probe succeeded");
	ck_assert_int_eq(state(), FG_BK_CLOSED);
	go();
}
END_TEST

/* A cap that is not open_seconds times a power of two: the doubling
 * stops at the cap, never past it. */
START_TEST(doubling_stops_at_an_odd_cap)
{
	struct fg_bk_conf c = conf(3, 10, 100, 1);
	struct fg_bk_ticket t;
	/* open 10, max 100: 10, 20, 40, 80, 100, 100 */
	const uint64_t want[] = {20000, 40000, 80000, 100000, 100000};
	uint64_t retry;

	bk.conf = c;
	open_it();
	advance(10000);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_int_eq(fg_bk_admit(&bk, &t, NULL, NULL, NULL), FG_BK_PROBE);
		ck_assert_int_eq(fg_bk_report(&bk, &t, FG_BK_F_5XX, 0, 100, NULL), 1);
		ck_assert_int_eq(fg_bk_admit(&bk, &t, &retry, NULL, NULL), FG_BK_REFUSE);
		ck_assert_uint_eq(retry, want[i]);
		advance(want[i]);
	}
}
END_TEST

START_TEST(failed_probe_doubles_up_to_cap)
{
	struct fg_bk_ticket t;
	struct fg_bk_event ev;
	/* open 10, max 80: 10, 20, 40, 80, 80 */
	const uint64_t want[] = {20000, 40000, 80000, 80000, 80000};
	uint64_t retry;

	open_it();
	advance(10000);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_int_eq(fg_bk_admit(&bk, &t, NULL, NULL, NULL), FG_BK_PROBE);
		ck_assert_int_eq(fg_bk_report(&bk, &t, FG_BK_F_5XX, 0, 100, &ev), 1);
		ck_assert_int_eq(ev.to, FG_BK_OPEN);
		ck_assert_str_eq(ev.why, "probe failed");
		ck_assert_int_eq(fg_bk_admit(&bk, &t, &retry, NULL, NULL), FG_BK_REFUSE);
		ck_assert_uint_eq(retry, want[i]);
		advance(want[i]);
	}
	/* a success brings the period back to open_seconds */
	ck_assert_int_eq(fg_bk_admit(&bk, &t, NULL, NULL, NULL), FG_BK_PROBE);
	ck_assert_int_eq(fg_bk_report(&bk, &t, FG_BK_OK, 0, 100, NULL), 1);
	ck_assert_uint_eq(open_it(), 10000);
}
END_TEST

START_TEST(jitter_is_at_most_a_tenth)
{
	fake_rand = UINT32_MAX;
	ck_assert_uint_eq(open_it(), 11000);
}
END_TEST

START_TEST(retry_after_lengthens_and_is_capped)
{
	struct fg_bk_ticket t;
	uint64_t retry;

	fail_n(1, FG_BK_F_5XX);
	t = go();
	ck_assert_int_eq(fg_bk_report(&bk, &t, FG_BK_F_429, 30, 100, NULL), 1);
	t = go();
	ck_assert_int_eq(fg_bk_report(&bk, &t, FG_BK_F_5XX, 0, 100, NULL), 1);
	ck_assert_int_eq(fg_bk_admit(&bk, &t, &retry, NULL, NULL), FG_BK_REFUSE);
	ck_assert_uint_eq(retry, 30000);
	/* a probe answered 503 with Retry-After: 1 hour, capped at max (80 s) */
	advance(30000);
	ck_assert_int_eq(fg_bk_admit(&bk, &t, NULL, NULL, NULL), FG_BK_PROBE);
	ck_assert_int_eq(fg_bk_report(&bk, &t, FG_BK_F_5XX, 3600, 100, NULL), 1);
	ck_assert_int_eq(fg_bk_admit(&bk, &t, &retry, NULL, NULL), FG_BK_REFUSE);
	ck_assert_uint_eq(retry, 80000);
}
END_TEST

START_TEST(lease_expires_and_new_round_probes)
{
	struct fg_bk_ticket dead, t;
	struct fg_bk_event ev;
	uint64_t retry;

	open_it();
	advance(10000);
	ck_assert_int_eq(fg_bk_admit(&bk, &dead, NULL, NULL, NULL), FG_BK_PROBE);
	/* the prober never reports; the lease is open_seconds */
	advance(9999);
	ck_assert_int_eq(fg_bk_admit(&bk, &t, &retry, NULL, NULL), FG_BK_REFUSE);
	ck_assert_uint_eq(retry, 1);
	advance(1);
	ck_assert_int_eq(fg_bk_admit(&bk, &t, NULL, NULL, &ev), FG_BK_PROBE);
	ck_assert(ev.changed);
	ck_assert_str_eq(ev.why, "probe lease expired");
	ck_assert_uint_ne(t.gen, dead.gen);
	/* the lost prober comes back late: ignored */
	ck_assert_int_eq(fg_bk_report(&bk, &dead, FG_BK_F_5XX, 0, 100, NULL), 0);
	ck_assert_int_eq(state(), FG_BK_HALF);
	ck_assert_int_eq(fg_bk_report(&bk, &t, FG_BK_OK, 0, 100, NULL), 1);
	ck_assert_int_eq(state(), FG_BK_CLOSED);
}
END_TEST

START_TEST(slow_first_byte_lengthens_lease)
{
	struct fg_bk_conf c = conf(1, 2, 8, 1);
	struct fg_bk_ticket t;
	uint64_t retry;

	c.slow_first_byte_seconds = 5;
	bk.conf = c;
	open_it();
	advance(2000);
	ck_assert_int_eq(fg_bk_admit(&bk, &t, NULL, NULL, NULL), FG_BK_PROBE);
	ck_assert_int_eq(fg_bk_admit(&bk, &t, &retry, NULL, NULL), FG_BK_REFUSE);
	ck_assert_uint_eq(retry, 5000);
}
END_TEST

START_TEST(release_frees_probe)
{
	struct fg_bk_ticket t, t2;

	open_it();
	advance(10000);
	ck_assert_int_eq(fg_bk_admit(&bk, &t, NULL, NULL, NULL), FG_BK_PROBE);
	ck_assert_int_eq(fg_bk_admit(&bk, &t2, NULL, NULL, NULL), FG_BK_REFUSE);
	fg_bk_release(&bk, &t);
	ck_assert_int_eq(fg_bk_admit(&bk, &t2, NULL, NULL, NULL), FG_BK_PROBE);
}
END_TEST

START_TEST(late_failure_after_close_is_ignored)
{
	struct fg_bk_ticket early, probe;

	early = go();   /* begun while closed, answers late */
	open_it();
	advance(10000);
	ck_assert_int_eq(fg_bk_admit(&bk, &probe, NULL, NULL, NULL), FG_BK_PROBE);
	ck_assert_int_eq(fg_bk_report(&bk, &probe, FG_BK_OK, 0, 100, NULL), 1);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(fg_bk_report(&bk, &early, FG_BK_F_5XX, 0, 100, NULL), 0);
	ck_assert_int_eq(state(), FG_BK_CLOSED);
	/* nor may a late failure from before a success add to a new streak */
	early = go();
	probe = go();
	ck_assert_int_eq(fg_bk_report(&bk, &probe, FG_BK_F_5XX, 0, 100, NULL), 1);
	ck_assert_int_eq(fg_bk_report(&bk, &probe, FG_BK_OK, 0, 100, NULL), 1);
	ck_assert_int_eq(fg_bk_report(&bk, &early, FG_BK_F_5XX, 0, 100, NULL), 0);
}
END_TEST

START_TEST(min_processes_needs_distinct_pids)
{
	struct fg_bk_ticket t;

	bk.conf.min_processes = 2;
	fail_n(5, FG_BK_F_5XX);   /* all from pid 100 */
	ck_assert_int_eq(state(), FG_BK_CLOSED);
	t = go();
	ck_assert_int_eq(fg_bk_report(&bk, &t, FG_BK_F_5XX, 0, 101, NULL), 1);
	ck_assert_int_eq(state(), FG_BK_OPEN);
}
END_TEST

START_TEST(force_open_and_reset)
{
	struct fg_bk_event ev;
	struct fg_bk_ticket t;
	uint64_t retry;

	ck_assert_int_eq(fg_bk_force(&bk, FG_BK_OPEN, &ev), 0);
	ck_assert(ev.changed);
	ck_assert_str_eq(ev.why, "forced");
	ck_assert_int_eq(fg_bk_admit(&bk, &t, &retry, NULL, NULL), FG_BK_REFUSE);
	ck_assert_uint_eq(retry, 10000);
	ck_assert_int_eq(fg_bk_force(&bk, FG_BK_CLOSED, &ev), 0);
	ck_assert_int_eq(ev.to, FG_BK_CLOSED);
	go();
	ck_assert_int_eq(fg_bk_force(&bk, FG_BK_HALF, &ev), -EINVAL);
}
END_TEST

START_TEST(counters_split_429_and_5xx)
{
	struct fg_bk_snap s;

	fail_n(2, FG_BK_F_429);
	fail_n(1, FG_BK_F_5XX);
	ck_assert_int_eq(fg_bk_map_snap(map, (unsigned)(bk.slot - map->slots), &s), 1);
	ck_assert_str_eq(s.name, "llm");
	ck_assert_str_eq(s.addr, "127.0.0.1:8000");
	ck_assert_uint_eq(s.streak[FG_BK_F_429], 2);
	ck_assert_uint_eq(s.streak[FG_BK_F_5XX], 1);
	ck_assert_uint_eq(s.total[FG_BK_F_429], 2);
	ck_assert_uint_eq(s.opens, 1);
	ck_assert_uint_eq(s.admitted, 3);
	ck_assert_uint_eq(s.failures, 3);
	ck_assert_uint_eq(s.until_ms, 1000000 + 10000);
}
END_TEST

static uint64_t streak_sum(void)
{
	struct fg_bk_snap s;
	uint64_t sum = 0;

	ck_assert_int_eq(fg_bk_map_snap(map, (unsigned)(bk.slot - map->slots), &s), 1);
	for (unsigned k = 0; k < FG_BK_OUTCOMES; k++)
		sum += s.streak[k];
	return sum;
}

/* The per-kind streak that status and Prometheus show ends with the circuit's
 * streak: when a probe closes it, when it is forced closed, and when a
 * success ends a streak that had not opened it. */
START_TEST(closing_resets_streak_by_kind)
{
	struct fg_bk_ticket t;
	struct fg_bk_snap s;
	uint64_t retry;

	fail_n(2, FG_BK_F_429);
	ck_assert_uint_eq(streak_sum(), 2);
	t = go();
	ck_assert_int_eq(fg_bk_report(&bk, &t, FG_BK_OK, 0, 100, NULL), 1);
	ck_assert_uint_eq(streak_sum(), 0);

	retry = open_it();
	ck_assert_uint_eq(streak_sum(), 3);
	advance(retry);
	ck_assert_int_eq(fg_bk_admit(&bk, &t, NULL, NULL, NULL), FG_BK_PROBE);
	ck_assert_int_eq(fg_bk_report(&bk, &t, FG_BK_OK, 0, 100, NULL), 1);
	ck_assert_int_eq(state(), FG_BK_CLOSED);
	ck_assert_uint_eq(streak_sum(), 0);

	open_it();
	ck_assert_int_eq(fg_bk_force(&bk, FG_BK_CLOSED, NULL), 0);
	ck_assert_uint_eq(streak_sum(), 0);
	/* the totals are history and stay */
	ck_assert_int_eq(fg_bk_map_snap(map, (unsigned)(bk.slot - map->slots), &s), 1);
	ck_assert_uint_eq(s.total[FG_BK_F_429], 2);
	ck_assert_uint_eq(s.total[FG_BK_F_5XX], 4);
	ck_assert_uint_eq(s.total[FG_BK_F_CONNECT], 2);
}
END_TEST

/* A transition whose writer died before it installed the deadline: the next
 * reader computes it, so the circuit does not stay open for ever. */
START_TEST(dead_writer_deadline_is_repaired)
{
	struct fg_bk_slot *s = bk.slot;
	uint64_t w = atomic_load(&s->word), retry;
	struct fg_bk_ticket t;

	atomic_store(&s->word, w_make(FG_BK_OPEN, 0, 0, 3, W_GEN(w) + 1));
	ck_assert_int_eq(fg_bk_admit(&bk, &t, &retry, NULL, NULL), FG_BK_REFUSE);
	ck_assert_uint_eq(retry, 10000);
	advance(10000);
	ck_assert_int_eq(fg_bk_admit(&bk, &t, NULL, NULL, NULL), FG_BK_PROBE);
}
END_TEST

/* --- races ---------------------------------------------------------------- */

struct racer {
	pthread_barrier_t *bar;
	int result;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct fg_bk_ticket t;

	pthread_barrier_wait(r->bar);
	r->result = fg_bk_admit(&bk, &t, NULL, NULL, NULL);
	return NULL;
}

static void threads_race(unsigned probes)
{
	enum { N = 24 };
	pthread_t th[N];
	struct racer r[N];
	pthread_barrier_t bar;
	unsigned won = 0;

	bk.conf.probes = probes;
	open_it();
	advance(10000);
	pthread_barrier_init(&bar, NULL, N);
	for (int i = 0; i < N; i++) {
		r[i].bar = &bar;
		ck_assert_int_eq(pthread_create(&th[i], NULL, race, &r[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		won += r[i].result == FG_BK_PROBE;
		ck_assert(r[i].result == FG_BK_PROBE || r[i].result == FG_BK_REFUSE);
	}
	pthread_barrier_destroy(&bar);
	ck_assert_uint_eq(won, probes);
}

START_TEST(threads_race_for_one_probe)
{
	for (int round = 0; round < 20; round++) {
		ck_assert_int_eq(fg_bk_force(&bk, FG_BK_CLOSED, NULL), 0);
		threads_race(1);
	}
}
END_TEST

START_TEST(threads_race_for_three_probes)
{
	for (int round = 0; round < 20; round++) {
		ck_assert_int_eq(fg_bk_force(&bk, FG_BK_CLOSED, NULL), 0);
		threads_race(3);
	}
}
END_TEST

/* The open period's jitter is drawn per process: a fork child (pre-forked
 * workers sharing one breaker file) does not repeat its parent's draws. */
static uint64_t trip(struct fg_bk *b)
{
	struct fg_bk_ticket t;
	uint64_t retry = 0;

	ck_assert_int_eq(fg_bk_admit(b, &t, NULL, NULL, NULL), FG_BK_GO);
	ck_assert_int_eq(fg_bk_report(b, &t, FG_BK_F_CONNECT, 0, getpid(), NULL), 1);
	ck_assert_int_eq(fg_bk_admit(b, &t, &retry, NULL, NULL), FG_BK_REFUSE);
	return retry;
}

START_TEST(fork_child_draws_its_own_jitter)
{
	static const struct fg_bk_env own_rand = {clock_fn, NULL, NULL, say_fn};
	struct fg_bk_conf c = conf(1, 1000, 1000, 1);  /* 1000 s, jitter up to 100 s */
	struct fg_bk_map *m;
	struct fg_bk b;
	uint64_t mine, theirs = 0;
	char err[256];
	int fds[2], st;
	pid_t pid;

	ck_assert_int_eq(fg_bk_map_open(dir, &own_rand, &m, err, sizeof(err)), 0);
	ck_assert_int_eq(fg_bk_attach(m, "first", "127.0.0.1:1", &c, &b), 0);
	trip(&b);       /* this process has drawn */
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		if (fg_bk_attach(m, "child", "127.0.0.1:2", &c, &b) != 0)
			_exit(2);
		theirs = trip(&b);
		_exit(write(fds[1], &theirs, sizeof(theirs)) == sizeof(theirs) ? 0 : 3);
	}
	close(fds[1]);
	ck_assert_int_eq(fg_bk_attach(m, "parent", "127.0.0.1:3", &c, &b), 0);
	mine = trip(&b);
	ck_assert_int_eq(read(fds[0], &theirs, sizeof(theirs)), sizeof(theirs));
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_uint_ge(mine, 1000000);
	ck_assert_uint_ge(theirs, 1000000);
	/* the same draw in both: 1 in 100000 by chance */
	ck_assert_uint_ne(mine, theirs);
	fg_bk_map_close(m);
}
END_TEST

/* Separate processes with their own mappings of the file. */
START_TEST(processes_race_for_probes)
{
	enum { N = 8 };
	pid_t pid[N];
	int won = 0, fds[2];

	bk.conf.probes = 2;
	open_it();
	advance(10000);
	ck_assert_int_eq(pipe(fds), 0);
	for (int i = 0; i < N; i++) {
		pid[i] = fork();
		ck_assert_int_ge(pid[i], 0);
		if (pid[i] == 0) {
			struct fg_bk_map *m;
			struct fg_bk b;
			struct fg_bk_ticket t;
			char err[256], c;

			if (fg_bk_map_open(dir, &env, &m, err, sizeof(err)) != 0 ||
			    fg_bk_attach(m, "llm", "127.0.0.1:8000", &bk.conf, &b) != 0)
				_exit(2);
			close(fds[1]);
			if (read(fds[0], &c, 1) != 0)   /* wait for the start */
				_exit(3);
			_exit(fg_bk_admit(&b, &t, NULL, NULL, NULL) == FG_BK_PROBE ? 1 : 0);
		}
	}
	close(fds[0]);
	close(fds[1]);
	for (int i = 0; i < N; i++) {
		int st;

		ck_assert_int_eq(waitpid(pid[i], &st, 0), pid[i]);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) <= 1);
		won += WEXITSTATUS(st);
	}
	ck_assert_int_eq(won, 2);
}
END_TEST

/* Processes killed with SIGKILL at random points while they hammer the
 * slot: the file stays trusted and the machine goes on. */
START_TEST(killed_anywhere_never_wedges)
{
	struct fg_bk_map *m2;
	struct fg_bk_ticket t;
	enum fg_bk_admit a;
	char err[256];

	srand(42);
	for (int round = 0; round < 40; round++) {
		pid_t pid = fork();

		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			for (unsigned i = 0;; i++) {
				if (fg_bk_admit(&bk, &t, NULL, NULL, NULL) != FG_BK_REFUSE)
					fg_bk_report(&bk, &t, i % 3 ? FG_BK_F_5XX : FG_BK_OK, i % 5,
						     getpid(), NULL);
				if (i % 7 == 0)
					advance(1000);   /* this child's clock only */
				if (i % 101 == 0)
					fg_bk_release(&bk, &t);
			}
		}
		usleep(500 + (useconds_t)(rand() % 3000));
		kill(pid, SIGKILL);
		ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	}
	ck_assert_int_eq(fg_bk_map_open(dir, &env, &m2, err, sizeof(err)), 0);
	ck_assert_int_eq(nsaid, 0);   /* trusted: not rebuilt */
	fg_bk_map_close(m2);
	ck_assert_int_le(state(), FG_BK_HALF);
	/* whatever state it was left in, time heals it */
	advance(10000000000ULL);
	a = fg_bk_admit(&bk, &t, NULL, NULL, NULL);
	ck_assert(a == FG_BK_GO || a == FG_BK_PROBE);
	ck_assert_int_eq(fg_bk_report(&bk, &t, FG_BK_OK, 0, 100, NULL), 1);
	ck_assert_int_eq(state(), FG_BK_CLOSED);
}
END_TEST

/* --- the state file ------------------------------------------------------- */

START_TEST(second_mapping_shares_state)
{
	struct fg_bk_map *m2;
	struct fg_bk b2;
	struct fg_bk_ticket t;
	char err[256];

	ck_assert_int_eq(fg_bk_map_open(dir, &env, &m2, err, sizeof(err)), 0);
	ck_assert_int_eq(fg_bk_attach(m2, "llm", "127.0.0.1:8000", &bk.conf, &b2), 0);
	open_it();
	ck_assert_int_eq(fg_bk_admit(&b2, &t, NULL, NULL, NULL), FG_BK_REFUSE);
	/* another endpoint gets its own slot */
	ck_assert_int_eq(fg_bk_attach(m2, "other", "127.0.0.1:8000", &bk.conf, &b2), 0);
	ck_assert_ptr_ne(b2.slot, bk.slot);
	ck_assert_int_eq(fg_bk_admit(&b2, &t, NULL, NULL, NULL), FG_BK_GO);
	ck_assert_int_eq(nsaid, 0);
	fg_bk_map_close(m2);
}
END_TEST

static void reopen_expect(const char *why)
{
	struct fg_bk_map *m2;
	struct fg_bk b2;
	struct fg_bk_ticket t;
	char err[256], want[4400];

	ck_assert_int_eq(fg_bk_map_open(dir, &env, &m2, err, sizeof(err)), 0);
	ck_assert_int_eq(nsaid, 1);
	snprintf(want, sizeof(want), "breaker state '%s/%s' %s: rebuilt", dir, FG_BK_STATE_FILE, why);
	ck_assert_str_eq(said[0], want);
	/* the rebuilt file starts afresh */
	ck_assert_int_eq(fg_bk_attach(m2, "llm", "127.0.0.1:8000", &bk.conf, &b2), 0);
	ck_assert_int_eq(fg_bk_admit(&b2, &t, NULL, NULL, NULL), FG_BK_GO);
	fg_bk_map_close(m2);
	/* and is trusted the next time */
	ck_assert_int_eq(fg_bk_map_open(dir, &env, &m2, err, sizeof(err)), 0);
	ck_assert_int_eq(nsaid, 1);
	fg_bk_map_close(m2);
}

START_TEST(garbage_file_is_rebuilt)
{
	open_it();
	memset(map->hdr, 'x', 64);
	reopen_expect("has no breaker state magic");
}
END_TEST

START_TEST(foreign_version_is_rebuilt)
{
	map->hdr->version = 7;
	reopen_expect("has another layout version");
}
END_TEST

START_TEST(header_checksum_is_checked)
{
	map->hdr->nslots = 1000;
	reopen_expect("has a corrupt header");
}
END_TEST

START_TEST(other_boot_is_rebuilt)
{
	memcpy(map->hdr->boot_id, "00000000-0000-0000-0000-000000000000", 36);
	map->hdr->check = 0;
	/* recompute the checksum the way a writer of that boot would have */
	{
		const unsigned char *c = (const unsigned char *)map->hdr;
		uint32_t h = 2166136261u;

		for (size_t i = 0; i < offsetof(struct fg_bk_hdr, check); i++)
			h = (h ^ c[i]) * 16777619u;
		map->hdr->check = h;
	}
	reopen_expect("is from an earlier boot");
}
END_TEST

START_TEST(bad_slot_is_rebuilt)
{
	atomic_store(&bk.slot->word, (uint64_t)3);
	reopen_expect("has an inconsistent slot");
}
END_TEST

START_TEST(truncated_file_is_rebuilt)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, FG_BK_STATE_FILE);
	ck_assert_int_eq(truncate(path, 100), 0);
	reopen_expect("has another layout size");
}
END_TEST

/* A [breaker] whose state_dir is the default, or one the policy gave. */
static struct fg_breaker_conf dir_conf(const char *d, bool set)
{
	struct fg_breaker_conf c = { .state_dir = (char *)d, .state_dir_set = set };

	return c;
}

START_TEST(unusable_dir_falls_back)
{
	struct fg_breaker_conf c = dir_conf("/proc/no-such-dir", false);
	const char *dirs[FG_BK_DIRS_MAX];
	struct fg_bk_map *m2;
	char err[256], want[128], got[128];

	setenv("XDG_RUNTIME_DIR", dir, 1);
	ck_assert_uint_eq(fg_bk_state_dirs(&c, dirs), 3);
	ck_assert_str_eq(dirs[1], dir);
	ck_assert_str_eq(dirs[2], "/tmp");
	ck_assert_int_eq(fg_bk_state_dir(&c, got, sizeof(got)), 0);
	ck_assert_str_eq(got, dir);
	ck_assert_int_eq(fg_bk_map_open_conf(&c, &env, &m2, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/%s", dir, FG_BK_STATE_FILE);
	ck_assert_str_eq(fg_bk_map_path(m2), want);
	fg_bk_map_close(m2);
}
END_TEST

/* A state_dir the operator wrote is used or nothing is: no fallback to
 * $XDG_RUNTIME_DIR or /tmp, which may be shared more widely. */
START_TEST(explicit_dir_never_falls_back)
{
	struct fg_breaker_conf c = dir_conf("/proc/no-such-dir", true);
	const char *dirs[FG_BK_DIRS_MAX];
	struct fg_bk_map *m2 = (struct fg_bk_map *)1;
	char err[256], got[128];

	setenv("XDG_RUNTIME_DIR", dir, 1);
	ck_assert_uint_eq(fg_bk_state_dirs(&c, dirs), 1);
	ck_assert_str_eq(dirs[0], "/proc/no-such-dir");
	ck_assert_int_eq(fg_bk_state_dir(&c, got, sizeof(got)), -ENOENT);
	ck_assert_int_lt(fg_bk_map_open_conf(&c, &env, &m2, err, sizeof(err)), 0);
	ck_assert_ptr_null(m2);
	ck_assert_msg(strstr(err, "'/proc/no-such-dir'") != NULL, "%s", err);
	/* and a usable one is used */
	c = dir_conf(dir, true);
	ck_assert_int_eq(fg_bk_state_dir(&c, got, sizeof(got)), 0);
	ck_assert_str_eq(got, dir);
}
END_TEST

START_TEST(slots_run_out)
{
	struct fg_bk b2;
	char name[32];

	for (int i = 1; i < FG_BK_SLOTS; i++) {
		snprintf(name, sizeof(name), "ep%d", i);
		ck_assert_int_eq(fg_bk_attach(map, name, "h:1", &bk.conf, &b2), 0);
	}
	ck_assert_int_eq(fg_bk_attach(map, "one-more", "h:1", &bk.conf, &b2), -ENOSPC);
	ck_assert_int_eq(fg_bk_attach(map, "ep7", "h:1", &bk.conf, &b2), 0);
}
END_TEST

/* --- HTTP sniffing -------------------------------------------------------- */

static enum fg_sniff_result sniff_bytewise(struct fg_http_sniff *s, const char *text)
{
	enum fg_sniff_result r = FG_SNIFF_MORE;

	fg_http_sniff_init(s);
	for (size_t i = 0; text[i] != '\0' && r == FG_SNIFF_MORE; i++)
		r = fg_http_sniff_feed(s, text + i, 1, 784111777);
	return r;
}

START_TEST(sniff_status_lines)
{
	struct fg_http_sniff s;

	ck_assert_int_eq(sniff_bytewise(&s, "HTTP/1.1 200 OK\r\n"), FG_SNIFF_DONE);
	ck_assert_uint_eq(s.status, 200);
	ck_assert_int_eq(sniff_bytewise(&s, "HTTP/1.0 502 Bad Gateway\r\n"), FG_SNIFF_DONE);
	ck_assert_uint_eq(s.status, 502);
	ck_assert_int_eq(sniff_bytewise(&s, "HTTP/1.1 204\r\n"), FG_SNIFF_DONE);
	ck_assert_uint_eq(s.status, 204);
	ck_assert_int_eq(sniff_bytewise(&s, "HTTP/2 200\r\n"), FG_SNIFF_NOT_HTTP);
	ck_assert_int_eq(sniff_bytewise(&s, "\x16\x03\x01"), FG_SNIFF_NOT_HTTP);
	ck_assert_int_eq(sniff_bytewise(&s, "HTTP/1.1 20x OK"), FG_SNIFF_NOT_HTTP);
	ck_assert_int_eq(sniff_bytewise(&s, "HTTP/1.1 2000"), FG_SNIFF_NOT_HTTP);
	ck_assert_int_eq(sniff_bytewise(&s, "HTTP/1.1 20"), FG_SNIFF_MORE);
	ck_assert_int_eq(fg_http_sniff_eof(&s), FG_SNIFF_NOT_HTTP);
}
END_TEST

START_TEST(sniff_continue_then_final)
{
	struct fg_http_sniff s;

	ck_assert_int_eq(sniff_bytewise(&s, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Busy\r\n"
					    "Retry-After: 7\r\n\r\n"), FG_SNIFF_DONE);
	ck_assert_uint_eq(s.status, 503);
	ck_assert_uint_eq(s.retry_after, 7);
}
END_TEST

START_TEST(sniff_retry_after_forms)
{
	static const struct { const char *hdr; unsigned want; } cases[] = {
		{"Retry-After: 120", 120},
		{"retry-after:5", 5},
		{"RETRY-AFTER: \t 9 ", 9},
		/* 784111777 is Sun, 06 Nov 1994 08:49:37 GMT */
		{"Retry-After: Sun, 06 Nov 1994 08:50:37 GMT", 60},
		{"Retry-After: Sunday, 06-Nov-94 08:49:47 GMT", 10},
		{"Retry-After: Sun Nov  6 08:49:39 1994", 2},
		{"Retry-After: Sun, 06 Nov 1994 08:00:00 GMT", 0},   /* in the past */
		{"Retry-After: soon", 0},
		{"Retry-Afterx: 5", 0},
		{"X-Retry-After: 5", 0},
	};
	struct fg_http_sniff s;
	char text[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "HTTP/1.1 429 Too Many\r\nA: b\r\n%s\r\nC: d\r\n\r\n",
			 cases[i].hdr);
		ck_assert_int_eq(sniff_bytewise(&s, text), FG_SNIFF_DONE);
		ck_assert_msg(s.retry_after == cases[i].want, "%s: got %u", cases[i].hdr,
			      s.retry_after);
	}
	/* in one piece, and only for 429/503 */
	fg_http_sniff_init(&s);
	ck_assert_int_eq(fg_http_sniff_feed(&s, "HTTP/1.1 500 x\r\nRetry-After: 5\r\n\r\n", 33, 0),
			 FG_SNIFF_DONE);
	ck_assert_uint_eq(s.retry_after, 0);
	/* headers cut short: the status stands */
	ck_assert_int_eq(sniff_bytewise(&s, "HTTP/1.1 503 x\r\nServer: y"), FG_SNIFF_MORE);
	ck_assert_int_eq(fg_http_sniff_eof(&s), FG_SNIFF_DONE);
	ck_assert_uint_eq(s.status, 503);
}
END_TEST

START_TEST(sniff_header_limit)
{
	struct fg_http_sniff s;
	static char big[20000];
	enum fg_sniff_result r;

	fg_http_sniff_init(&s);
	r = fg_http_sniff_feed(&s, "HTTP/1.1 429 x\r\nX: ", 19, 0);
	ck_assert_int_eq(r, FG_SNIFF_MORE);
	memset(big, 'a', sizeof(big));
	r = fg_http_sniff_feed(&s, big, sizeof(big), 0);
	ck_assert_int_eq(r, FG_SNIFF_DONE);
	ck_assert_uint_eq(s.status, 429);
}
END_TEST

START_TEST(http_dates)
{
	ck_assert_int_eq(fg_http_date("Thu, 01 Jan 1970 00:00:00 GMT", 29), 0);
	ck_assert_int_eq(fg_http_date("Tue, 29 Feb 2000 12:00:00 GMT", 29), 951825600);
	ck_assert_int_eq(fg_http_date("Sun, 06 Nov 1994 08:49:37 GMT", 29), 784111777);
	ck_assert_int_eq(fg_http_date("Sun, 06 Nov 1994 08:49:37 UTC", 29), -1);
	ck_assert_int_eq(fg_http_date("Sun, 06 Foo 1994 08:49:37 GMT", 29), -1);
	ck_assert_int_eq(fg_http_date("Sun, 06 Nov 1994 25:49:37 GMT", 29), -1);
	ck_assert_int_eq(fg_http_date("", 0), -1);
}
END_TEST

/* --- interleavings: another process acts between load and CAS ------------- */

static struct fg_bk_ticket other;
static int other_rc;

static void other_admits(void)
{
	other_rc = fg_bk_admit(&bk, &other, NULL, NULL, NULL);
}

static void other_releases(void)
{
	fg_bk_release(&bk, &other);
}

static void other_fails(void)
{
	other_rc = fg_bk_report(&bk, &other, FG_BK_F_5XX, 0, 101, NULL);
}

static struct fg_bk_snap snap(void)
{
	struct fg_bk_snap s;

	ck_assert_int_eq(fg_bk_map_snap(map, (unsigned)(bk.slot - map->slots), &s), 1);
	return s;
}

/* Another process ends the open period first: we join its probe round
 * rather than refusing with a deadline made up for the stale state. */
START_TEST(open_period_ended_by_another)
{
	struct fg_bk_ticket t;
	struct fg_bk_event ev;
	uint64_t retry = 1;

	bk.conf.probes = 2;
	open_it();
	advance(10000);
	meanwhile = other_admits;
	ck_assert_int_eq(fg_bk_admit(&bk, &t, &retry, NULL, &ev), FG_BK_PROBE);
	ck_assert_int_eq(other_rc, FG_BK_PROBE);
	ck_assert(t.probe);
	ck_assert_uint_eq(t.gen, other.gen);
	ck_assert(!ev.changed);   /* the other process made the change */
	ck_assert_uint_eq(retry, 0);
	ck_assert_uint_eq(snap().probes_out, 2);
	ck_assert_int_eq(snap().state, FG_BK_HALF);
}
END_TEST

/* Another process starts the new probe round first: we are refused for the
 * length of its lease. */
START_TEST(lease_renewed_by_another)
{
	struct fg_bk_ticket dead, t;
	struct fg_bk_event ev;
	uint64_t retry = 0;

	open_it();
	advance(10000);
	ck_assert_int_eq(fg_bk_admit(&bk, &dead, NULL, NULL, NULL), FG_BK_PROBE);
	advance(10000);
	meanwhile = other_admits;
	ck_assert_int_eq(fg_bk_admit(&bk, &t, &retry, NULL, &ev), FG_BK_REFUSE);
	ck_assert_int_eq(other_rc, FG_BK_PROBE);
	ck_assert_uint_ne(other.gen, dead.gen);
	ck_assert(!ev.changed);
	ck_assert_uint_eq(retry, 10000);
}
END_TEST

/* The expired prober releases its place while we take over: we take that
 * place in the same round. */
START_TEST(expired_prober_releases_meanwhile)
{
	struct fg_bk_ticket t;

	open_it();
	advance(10000);
	ck_assert_int_eq(fg_bk_admit(&bk, &other, NULL, NULL, NULL), FG_BK_PROBE);
	advance(10000);
	meanwhile = other_releases;
	ck_assert_int_eq(fg_bk_admit(&bk, &t, NULL, NULL, NULL), FG_BK_PROBE);
	ck_assert_uint_eq(t.gen, other.gen);
	ck_assert_uint_eq(snap().probes_out, 1);
}
END_TEST

/* A failure lands while our success is being counted: the success still
 * ends the streak. */
START_TEST(success_races_a_failure)
{
	struct fg_bk_ticket t;
	struct fg_bk_snap s;

	fail_n(1, FG_BK_F_5XX);
	t = go();
	other = go();
	meanwhile = other_fails;
	ck_assert_int_eq(fg_bk_report(&bk, &t, FG_BK_OK, 0, 100, NULL), 1);
	ck_assert_int_eq(other_rc, 1);
	s = snap();
	ck_assert_int_eq(s.state, FG_BK_CLOSED);
	ck_assert_uint_eq(s.failures, 0);
	ck_assert_uint_eq(s.total[FG_BK_OK], 1);
	ck_assert_uint_eq(s.total[FG_BK_F_5XX], 2);
}
END_TEST

/* Another probe is admitted while our failed probe is counted: the circuit
 * re-opens with the doubled period all the same. */
START_TEST(failed_probe_races_an_admit)
{
	struct fg_bk_ticket t, t2;
	struct fg_bk_event ev;
	uint64_t retry;

	bk.conf.probes = 3;
	open_it();
	advance(10000);
	ck_assert_int_eq(fg_bk_admit(&bk, &t, NULL, NULL, NULL), FG_BK_PROBE);
	ck_assert_int_eq(fg_bk_admit(&bk, &t2, NULL, NULL, NULL), FG_BK_PROBE);
	meanwhile = other_admits;
	ck_assert_int_eq(fg_bk_report(&bk, &t, FG_BK_F_5XX, 0, 100, &ev), 1);
	ck_assert_int_eq(other_rc, FG_BK_PROBE);
	ck_assert(ev.changed);
	ck_assert_int_eq(ev.to, FG_BK_OPEN);
	ck_assert_str_eq(ev.why, "probe failed");
	ck_assert_int_eq(fg_bk_admit(&bk, &t, &retry, NULL, NULL), FG_BK_REFUSE);
	ck_assert_uint_eq(retry, 20000);
}
END_TEST

/* Two failures race to reach the threshold: one opens the circuit, the
 * other is ignored (it began in the closed generation). */
START_TEST(threshold_race_opens_once)
{
	struct fg_bk_ticket t;
	struct fg_bk_event ev;
	struct fg_bk_snap s;

	fail_n(2, FG_BK_F_5XX);
	t = go();
	other = go();
	meanwhile = other_fails;
	ck_assert_int_eq(fg_bk_report(&bk, &t, FG_BK_F_5XX, 0, 100, &ev), 0);
	ck_assert_int_eq(other_rc, 1);
	ck_assert(!ev.changed);
	s = snap();
	ck_assert_int_eq(s.state, FG_BK_OPEN);
	ck_assert_uint_eq(s.failures, 3);
	ck_assert_uint_eq(s.opens, 1);
	ck_assert_uint_eq(s.ignored, 1);
}
END_TEST

/* --- odd inputs to the machine -------------------------------------------- */

START_TEST(unknown_state_is_repaired)
{
	struct fg_bk_ticket t;
	struct fg_bk_snap s;

	atomic_store(&bk.slot->word, w_make(3, 4, 9, 7, 41));
	ck_assert_int_eq(fg_bk_admit(&bk, &t, NULL, NULL, NULL), FG_BK_GO);
	ck_assert(!t.probe);
	ck_assert_uint_eq(t.gen, 42);
	s = snap();
	ck_assert_int_eq(s.state, FG_BK_CLOSED);
	ck_assert_uint_eq(s.failures, 0);
	ck_assert_uint_eq(s.level, 0);
}
END_TEST

START_TEST(force_twice)
{
	struct fg_bk_event ev;
	uint64_t retry;
	struct fg_bk_ticket t;

	ck_assert_int_eq(fg_bk_force(&bk, FG_BK_OPEN, &ev), 0);
	ck_assert_uint_eq(ev.until_ms, 1000000 + 10000);
	advance(4000);
	/* forced open again: a new period from now, and still an event */
	ck_assert_int_eq(fg_bk_force(&bk, FG_BK_OPEN, &ev), 0);
	ck_assert(ev.changed);
	ck_assert_int_eq(ev.from, FG_BK_OPEN);
	ck_assert_int_eq(ev.to, FG_BK_OPEN);
	ck_assert_str_eq(ev.why, "forced");
	ck_assert_uint_eq(ev.until_ms, 1004000 + 10000);
	ck_assert_int_eq(fg_bk_admit(&bk, &t, &retry, NULL, NULL), FG_BK_REFUSE);
	ck_assert_uint_eq(retry, 10000);
	ck_assert_int_eq(fg_bk_force(&bk, FG_BK_CLOSED, &ev), 0);
	ck_assert_int_eq(fg_bk_force(&bk, FG_BK_CLOSED, &ev), 0);
	ck_assert(ev.changed);
	ck_assert_int_eq(ev.from, FG_BK_CLOSED);
	ck_assert_int_eq(ev.to, FG_BK_CLOSED);
	ck_assert_uint_eq(ev.until_ms, 0);
	ck_assert_uint_eq(snap().opens, 1);
}
END_TEST

START_TEST(fallbacks_and_names)
{
	struct fg_bk_snap s;
	struct fg_bk_ticket t = go();

	fg_bk_count_fallback(&bk);
	fg_bk_count_fallback(&bk);
	ck_assert_uint_eq(snap().fallbacks, 2);
	ck_assert_int_eq(fg_bk_report(&bk, &t, FG_BK_OUTCOMES, 0, 100, NULL), -EINVAL);
	ck_assert_int_eq(fg_bk_report(&bk, &t, (enum fg_bk_outcome)-1, 0, 100, NULL), -EINVAL);
	ck_assert_str_eq(fg_bk_state_name(FG_BK_HALF), "half-open");
	ck_assert_str_eq(fg_bk_state_name((enum fg_bk_state)3), "invalid");
	ck_assert_str_eq(fg_bk_outcome_name(FG_BK_F_SLOW), "slow");
	ck_assert_str_eq(fg_bk_outcome_name(FG_BK_OUTCOMES), "invalid");
	ck_assert_int_eq(fg_bk_map_snap(map, FG_BK_SLOTS, &s), -EINVAL);
	ck_assert_int_eq(fg_bk_map_snap(map, (unsigned)(bk.slot - map->slots) + 1, &s), 0);
	ck_assert_str_eq(s.name, "");
}
END_TEST

START_TEST(conf_from_policy_defaults)
{
	struct fg_breaker_conf in;
	struct fg_bk_conf c;

	memset(&in, 0, sizeof(in));
	fg_bk_conf_from(&c, &in);
	ck_assert_uint_eq(c.threshold, 1);
	ck_assert_uint_eq(c.open_seconds, 1);
	ck_assert_uint_eq(c.max_open_seconds, 1);
	ck_assert_uint_eq(c.probes, 1);
	ck_assert_uint_eq(c.min_processes, 1);
	ck_assert_uint_eq(c.slow_first_byte_seconds, 0);
	in.threshold = 5;
	in.open_seconds = 30;
	in.max_open_seconds = 20;   /* below open_seconds: raised to it */
	in.probes = 5000;           /* more than the word can count */
	in.slow_first_byte_seconds = 7;
	in.min_processes = 3;
	fg_bk_conf_from(&c, &in);
	ck_assert_uint_eq(c.threshold, 5);
	ck_assert_uint_eq(c.open_seconds, 30);
	ck_assert_uint_eq(c.max_open_seconds, 30);
	ck_assert_uint_eq(c.probes, W_OUT_MAX);
	ck_assert_uint_eq(c.slow_first_byte_seconds, 7);
	ck_assert_uint_eq(c.min_processes, 3);
}
END_TEST

/* --- unusable state files and directories --------------------------------- */

static char dir2[64];
static char state_path[256];

/* A second, good directory as $XDG_RUNTIME_DIR, holding a valid state file
 * made before the test breaks anything. */
static void second_dir(void)
{
	struct fg_bk_map *m;
	char err[256];

	snprintf(dir2, sizeof(dir2), "/tmp/fg-check-breaker2-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir2));
	setenv("XDG_RUNTIME_DIR", dir2, 1);
	ck_assert_int_eq(fg_bk_map_open(dir2, &env, &m, err, sizeof(err)), 0);
	fg_bk_map_close(m);
	snprintf(state_path, sizeof(state_path), "%s/%s", dir, FG_BK_STATE_FILE);
}

static void second_dir_done(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir2);
	ck_assert_int_eq(system(cmd), 0);
}

/* dir is unusable: the map lands in dir2 and err tells why dir was not. */
static void falls_back_with(const char *want_err)
{
	struct fg_breaker_conf c = dir_conf(dir, false);
	struct fg_bk_map *m;
	char err[4400], want[128];

	ck_assert_int_eq(fg_bk_map_open_conf(&c, &env, &m, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/%s", dir2, FG_BK_STATE_FILE);
	ck_assert_str_eq(fg_bk_map_path(m), want);
	ck_assert_str_eq(err, want_err);
	ck_assert_int_eq(nsaid, 0);
	fg_bk_map_close(m);
}

START_TEST(rebuild_without_say_is_silent)
{
	struct fg_bk_env quiet = env;
	struct fg_bk_map *m;
	struct fg_bk_snap s;
	char err[256];

	quiet.say = NULL;
	open_it();
	map->hdr->version = 9;
	ck_assert_int_eq(fg_bk_map_open(dir, &quiet, &m, err, sizeof(err)), 0);
	ck_assert_int_eq(nsaid, 0);
	ck_assert_uint_eq(m->hdr->magic, FG_BK_MAGIC);
	ck_assert_uint_eq(m->hdr->version, FG_BK_VERSION);
	ck_assert_int_eq(fg_bk_map_snap(m, 0, &s), 0);   /* the old endpoint is gone */
	fg_bk_map_close(m);
	/* the default environment: the real clock, no messages */
	map->hdr->version = 9;   /* the old inode: harmless */
	ck_assert_int_eq(fg_bk_map_open(dir, NULL, &m, err, sizeof(err)), 0);
	ck_assert_uint_eq(m->hdr->version, FG_BK_VERSION);
	fg_bk_map_close(m);
}
END_TEST

START_TEST(fifo_is_rebuilt)
{
	struct stat st;

	snprintf(state_path, sizeof(state_path), "%s/%s", dir, FG_BK_STATE_FILE);
	ck_assert_int_eq(unlink(state_path), 0);
	ck_assert_int_eq(mkfifo(state_path, 0660), 0);
	reopen_expect("is not a regular file");
	ck_assert_int_eq(stat(state_path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 0777, 0660);
}
END_TEST

START_TEST(rebuild_cannot_create)
{
	char tmp[300], want[512];

	second_dir();
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", state_path, (long)getpid());
	ck_assert_int_eq(mkdir(tmp, 0700), 0);
	map->hdr->version = 9;
	snprintf(want, sizeof(want), "cannot create breaker state '%s': File exists", tmp);
	falls_back_with(want);
	ck_assert_uint_eq(map->hdr->version, 9);   /* left as it was */
	second_dir_done();
}
END_TEST

START_TEST(rebuild_cannot_size)
{
	struct rlimit rl = {4096, 4096};
	char tmp[300], want[512];

	second_dir();
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", state_path, (long)getpid());
	map->hdr->version = 9;
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	snprintf(want, sizeof(want), "cannot size breaker state '%s': File too large", tmp);
	falls_back_with(want);
	ck_assert_int_eq(access(tmp, F_OK), -1);   /* the half-made file is removed */
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_uint_eq(map->hdr->version, 9);
	second_dir_done();
}
END_TEST

START_TEST(lock_file_unusable)
{
	char lk[300], want[512];
	struct fg_bk b2;

	second_dir();
	snprintf(lk, sizeof(lk), "%s.lock", state_path);
	ck_assert_int_eq(unlink(lk), 0);
	ck_assert_int_eq(mkdir(lk, 0700), 0);
	snprintf(want, sizeof(want), "cannot lock breaker state '%s': Is a directory", lk);
	falls_back_with(want);
	/* a known endpoint needs no lock, a new one does */
	ck_assert_int_eq(fg_bk_attach(map, "llm", "127.0.0.1:8000", &bk.conf, &b2), 0);
	ck_assert_int_eq(fg_bk_attach(map, "new", "127.0.0.1:8001", &bk.conf, &b2), -EISDIR);
	second_dir_done();
}
END_TEST

START_TEST(symlinked_state_is_refused)
{
	char target[300], want[512], buf[8];
	int fd;

	second_dir();
	snprintf(target, sizeof(target), "%s/victim", dir);
	fd = open(target, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "keep", 4), 4);
	close(fd);
	ck_assert_int_eq(unlink(state_path), 0);
	ck_assert_int_eq(symlink(target, state_path), 0);
	snprintf(want, sizeof(want), "cannot open breaker state '%s': Too many levels of symbolic links",
		 state_path);
	falls_back_with(want);
	fd = open(target, O_RDONLY);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 4);
	ck_assert_int_eq(memcmp(buf, "keep", 4), 0);
	close(fd);
	second_dir_done();
}
END_TEST

START_TEST(relative_dir_is_skipped)
{
	struct fg_breaker_conf c = dir_conf("rel", false);
	struct fg_bk_map *m;
	char err[256], want[128];

	second_dir();
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(fg_bk_map_open_conf(&c, &env, &m, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/%s", dir2, FG_BK_STATE_FILE);
	ck_assert_str_eq(fg_bk_map_path(m), want);
	ck_assert_str_eq(err, "");
	ck_assert_int_eq(access("rel", F_OK), -1);   /* not created */
	fg_bk_map_close(m);
	ck_assert_int_eq(chdir("/"), 0);
	second_dir_done();
}
END_TEST

/* --- odd HTTP bytes ------------------------------------------------------- */

START_TEST(sniff_odd_bytes)
{
	struct fg_http_sniff s;

	ck_assert_int_eq(sniff_bytewise(&s, "HTTP/1.x 200 OK\r\n"), FG_SNIFF_NOT_HTTP);
	ck_assert_int_eq(sniff_bytewise(&s, "HTTP/1.10 200 OK\r\n"), FG_SNIFF_NOT_HTTP);
	ck_assert_int_eq(sniff_bytewise(&s, "HTTP/1.1 099 Low\r\n"), FG_SNIFF_NOT_HTTP);
	/* bare LF line ends */
	ck_assert_int_eq(sniff_bytewise(&s, "HTTP/1.1 429 x\nRetry-After: 3\n\n"), FG_SNIFF_DONE);
	ck_assert_uint_eq(s.status, 429);
	ck_assert_uint_eq(s.retry_after, 3);
	/* a stray CR at the start of a line: that line is not a header */
	ck_assert_int_eq(sniff_bytewise(&s, "HTTP/1.1 503 x\r\n\rRetry-After: 4\r\n"
					    "Retry-After: 6\r\n\r\n"), FG_SNIFF_DONE);
	ck_assert_uint_eq(s.retry_after, 6);
	/* a line ending inside a header name */
	ck_assert_int_eq(sniff_bytewise(&s, "HTTP/1.1 429 x\r\nRetry\nRetry-After: 8\r\n\r\n"),
			 FG_SNIFF_DONE);
	ck_assert_uint_eq(s.retry_after, 8);
	/* huge values are capped; a 1xx's Retry-After is not the answer's */
	ck_assert_int_eq(sniff_bytewise(&s, "HTTP/1.1 429 x\r\nRetry-After: 99999999999\r\n\r\n"),
			 FG_SNIFF_DONE);
	ck_assert_uint_eq(s.retry_after, 1000000000u);
	ck_assert_int_eq(sniff_bytewise(&s, "HTTP/1.1 429 x\r\n"
					    "Retry-After: Fri, 31 Dec 9999 23:59:59 GMT\r\n\r\n"),
			 FG_SNIFF_DONE);
	ck_assert_uint_eq(s.retry_after, 1000000000u);
	ck_assert_int_eq(sniff_bytewise(&s, "HTTP/1.1 103 Early\r\nRetry-After: 5\r\n\r\n"
					    "HTTP/1.1 429 x\r\n\r\n"), FG_SNIFF_DONE);
	ck_assert_uint_eq(s.status, 429);
	ck_assert_uint_eq(s.retry_after, 0);
	/* once done, more bytes change nothing */
	ck_assert_int_eq(fg_http_sniff_feed(&s, "HTTP/1.1 200 OK\r\n", 17, 0), FG_SNIFF_DONE);
	ck_assert_uint_eq(s.status, 429);
	ck_assert_int_eq(fg_http_sniff_eof(&s), FG_SNIFF_DONE);
	/* the connection ends inside the headers of a 1xx: no answer */
	ck_assert_int_eq(sniff_bytewise(&s, "HTTP/1.1 100 Continue\r\nX: y"), FG_SNIFF_MORE);
	ck_assert_int_eq(fg_http_sniff_eof(&s), FG_SNIFF_NOT_HTTP);
}
END_TEST

START_TEST(http_date_edges)
{
	/* RFC 850 two-digit years: 70..99 are 19xx, 00..69 are 20xx */
	ck_assert_int_eq(fg_http_date("Thursday, 01-Jan-70 00:00:00 GMT", 32), 0);
	ck_assert_int_eq(fg_http_date("Friday, 01-Jan-38 00:00:00 GMT", 30), 2145916800);
	ck_assert_int_eq(fg_http_date("Sun, 06 Nov 1994 08:49:37 GMT  ", 31), 784111777);
	ck_assert_int_eq(fg_http_date("Sun Nov  6 08:49:37 1994", 24), 784111777);
	ck_assert_int_eq(fg_http_date("Sun Foo  6 08:49:37 1994", 24), -1);
	ck_assert_int_eq(fg_http_date("Sun Nov6 08:49:37 1994", 22), -1);
	ck_assert_int_eq(fg_http_date("Sun Nov  x 08:49:37 1994", 24), -1);
	ck_assert_int_eq(fg_http_date("Sun Nov  6 08:49:37 94", 22), -1);
	ck_assert_int_eq(fg_http_date("Sun Nov  6 08:49:37", 19), -1);
	ck_assert_int_eq(fg_http_date("Sun Nov  6 08:49 1994", 21), -1);
	ck_assert_int_eq(fg_http_date("SunNov  6 08:49:37 1994", 23), -1);
	ck_assert_int_eq(fg_http_date("Sun, 32 Nov 1994 08:49:37 GMT", 29), -1);
	ck_assert_int_eq(fg_http_date("Sun, 06 Nov 1994 08:60:37 GMT", 29), -1);
	ck_assert_int_eq(fg_http_date("Sun, 06 Nov 1994 08:49:37 GMT x", 31), -1);
	ck_assert_int_eq(fg_http_date("Sun, 06-Nov 1994 08:49:37 GMT", 29), -1);
	ck_assert_int_eq(fg_http_date("Sun, 06 No", 10), -1);
	ck_assert_int_eq(fg_http_date("1994", 4), -1);
	/* the length bounds the parse, not a NUL */
	ck_assert_int_eq(fg_http_date("Sun, 06 Nov 1994 08:49:37 GMTxyz", 29), 784111777);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("breaker");
	TCase *tc;

	tc = tcase_create("transitions");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, closed_counts_then_opens);
	tcase_add_test(tc, success_resets_streak);
	tcase_add_test(tc, open_to_half_to_closed);
	tcase_add_test(tc, failed_probe_doubles_up_to_cap);
	tcase_add_test(tc, doubling_stops_at_an_odd_cap);
	tcase_add_test(tc, jitter_is_at_most_a_tenth);
	tcase_add_test(tc, fork_child_draws_its_own_jitter);
	tcase_add_test(tc, retry_after_lengthens_and_is_capped);
	tcase_add_test(tc, lease_expires_and_new_round_probes);
	tcase_add_test(tc, slow_first_byte_lengthens_lease);
	tcase_add_test(tc, release_frees_probe);
	tcase_add_test(tc, late_failure_after_close_is_ignored);
	tcase_add_test(tc, min_processes_needs_distinct_pids);
	tcase_add_test(tc, force_open_and_reset);
	tcase_add_test(tc, counters_split_429_and_5xx);
	tcase_add_test(tc, closing_resets_streak_by_kind);
	tcase_add_test(tc, dead_writer_deadline_is_repaired);
	tcase_add_test(tc, unknown_state_is_repaired);
	tcase_add_test(tc, force_twice);
	tcase_add_test(tc, fallbacks_and_names);
	tcase_add_test(tc, conf_from_policy_defaults);
	suite_add_tcase(s, tc);

	tc = tcase_create("interleavings");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, open_period_ended_by_another);
	tcase_add_test(tc, lease_renewed_by_another);
	tcase_add_test(tc, expired_prober_releases_meanwhile);
	tcase_add_test(tc, success_races_a_failure);
	tcase_add_test(tc, failed_probe_races_an_admit);
	tcase_add_test(tc, threshold_race_opens_once);
	suite_add_tcase(s, tc);

	tc = tcase_create("races");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, threads_race_for_one_probe);
	tcase_add_test(tc, threads_race_for_three_probes);
	tcase_add_test(tc, processes_race_for_probes);
	tcase_add_test(tc, killed_anywhere_never_wedges);
	suite_add_tcase(s, tc);

	tc = tcase_create("state file");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, second_mapping_shares_state);
	tcase_add_test(tc, garbage_file_is_rebuilt);
	tcase_add_test(tc, foreign_version_is_rebuilt);
	tcase_add_test(tc, header_checksum_is_checked);
	tcase_add_test(tc, other_boot_is_rebuilt);
	tcase_add_test(tc, bad_slot_is_rebuilt);
	tcase_add_test(tc, truncated_file_is_rebuilt);
	tcase_add_test(tc, unusable_dir_falls_back);
	tcase_add_test(tc, explicit_dir_never_falls_back);
	tcase_add_test(tc, slots_run_out);
	tcase_add_test(tc, rebuild_without_say_is_silent);
	tcase_add_test(tc, fifo_is_rebuilt);
	tcase_add_test(tc, rebuild_cannot_create);
	tcase_add_test(tc, rebuild_cannot_size);
	tcase_add_test(tc, lock_file_unusable);
	tcase_add_test(tc, symlinked_state_is_refused);
	tcase_add_test(tc, relative_dir_is_skipped);
	suite_add_tcase(s, tc);

	tc = tcase_create("http");
	tcase_add_test(tc, sniff_status_lines);
	tcase_add_test(tc, sniff_continue_then_final);
	tcase_add_test(tc, sniff_retry_after_forms);
	tcase_add_test(tc, sniff_header_limit);
	tcase_add_test(tc, http_dates);
	tcase_add_test(tc, sniff_odd_bytes);
	tcase_add_test(tc, http_date_edges);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fg_check_main(suite());
}
