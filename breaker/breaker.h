/* breaker.h - the fleet-wide circuit breaker: shared state and state machine.
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
 * This module knows nothing of interposition.  The shim (shim/circuit*.c)
 * asks it whether a call may go out and tells it how each call ended; the
 * fleetguard tool reads and forces the same state; the unit tests drive it
 * with an injected clock.
 *
 * SHARED STATE
 *
 * One file, <state_dir>/fleetguard-breaker.state, is mapped MAP_SHARED by
 * every process of the fleet on the host.  It starts with a versioned header
 * (magic, layout version, slot size and count, the kernel boot_id) followed by
 * FG_BK_SLOTS slots, one per endpoint, keyed by "name" + "address".  A file
 * with a bad magic, another version, another boot_id or an inconsistent slot
 * is never trusted: it is rebuilt (a fresh file renamed over it) and the
 * rebuild is reported through the say callback.  Creation, rebuild and slot
 * claiming are serialised by flock() on <state file>.lock, which the kernel
 * releases when its holder dies.
 *
 * Everything after that is lock-free: each slot's state is one 64-bit word
 * changed only by compare-and-swap, so a process killed at any instruction
 * leaves either the old state or the new one.  The deadline that goes with a
 * state (end of the open period, end of a half-open probe lease) lives in a
 * second word tagged with the generation it belongs to; a reader that finds a
 * deadline tagged with an older generation (its writer died, or has not got
 * there yet) computes and installs it itself, so the breaker never wedges.
 *
 * Times are milliseconds of CLOCK_BOOTTIME, which every process of one boot
 * shares (and which keeps counting through suspend); the boot_id in the
 * header ties them to the boot.
 *
 * STATE MACHINE (per endpoint)
 *
 *   CLOSED  calls go out; consecutive failures are counted.  At threshold
 *           failures (coming from at least min_processes distinct pids) the
 *           circuit opens.  A success resets the count.
 *   OPEN    calls are refused until the open period ends.  The period is
 *           open_seconds * 2^k after k failed probes, at most
 *           max_open_seconds, plus a random jitter of up to 1/10 of it (so
 *           fleets on different hosts do not come back in lock-step), and at
 *           least the longest Retry-After seen during the failures that led
 *           here (itself capped at max_open_seconds).
 *   HALF    (half-open) exactly `probes` calls in the whole fleet are let
 *           through.  The first result decides: success closes the circuit,
 *           failure re-opens it with the doubled period.  The probes hold a
 *           lease of max(open_seconds, slow_first_byte_seconds) seconds; if
 *           none reports back by then (the prober died or hangs), a new round
 *           of probes is admitted.
 *
 * Every state change, and every reset of the failure count, starts a new
 * generation.  A call carries the generation in which it was admitted (its
 * ticket); a result whose generation is not the current one is ignored, so a
 * late failure cannot re-open a circuit that a probe has just closed.
 *
 * LIMITS, by design
 *
 * - Up to FG_BK_SLOTS endpoints per state file; min_processes counts at most
 *   FG_BK_MAX_PIDS distinct processes.
 * - A rebuilt file is a new inode: a process that mapped the old one (only
 *   possible when the file was damaged while in use) keeps using it until it
 *   exits.  Rebuilds for another boot or version meet no such process.
 * - Retry-After never holds a circuit open beyond max_open_seconds: the
 *   operator's bound wins over a misbehaving server's.
 * - Whoever can write the state file can open or close circuits: it is made
 *   0660 (opened O_NOFOLLOW), so state_dir should belong to the fleet's
 *   group; the /tmp fallback is only as private as /tmp.
 * - The shim (shim/circuit*.c) judges HTTP/1.x answers; an HTTP/2
 *   connection is judged only by how it connects and ends, and a new
 *   request on a kept-alive connection is not refused while open (only
 *   connects are).
 *
 * Functions return 0 or a negative errno unless said otherwise.
 */
#ifndef FLEETGUARD_BREAKER_H
#define FLEETGUARD_BREAKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy/policy.h"

#define FG_BK_SLOTS 64              /* endpoints per state file */
#define FG_BK_NAME_MAX 64           /* endpoint name, with its NUL */
#define FG_BK_ADDR_MAX 128          /* "host:port", with its NUL */
#define FG_BK_MAX_PIDS 16           /* min_processes above this counts as this */
#define FG_BK_STATE_FILE "fleetguard-breaker.state"

/* --- environment: clock and randomness, injectable for tests ------------ */

struct fg_bk_env {
	/* Milliseconds on a clock shared by all processes of this boot.
	 * NULL: CLOCK_BOOTTIME. */
	uint64_t (*now_ms)(void *ctx);
	/* Uniform random 32-bit values for the jitter.  NULL: a per-process
	 * generator seeded from the pid and the clock. */
	uint32_t (*rand32)(void *ctx);
	void *ctx;
	/* Called with one line (no "fleetguard: " prefix, no newline) when the
	 * state file had to be rebuilt or cannot be used.  NULL: silent. */
	void (*say)(void *ctx, const char *msg);
};

/* CLOCK_BOOTTIME in milliseconds (the default now_ms). */
uint64_t fg_bk_clock_ms(void);

/* --- the state file ----------------------------------------------------- */

struct fg_bk_map;

/*
 * The state directories for configuration c, in the order they are tried:
 * a state_dir the policy gave (state_dir_set) is the only one, since the
 * operator chose it; otherwise the default (c->state_dir), then
 * $XDG_RUNTIME_DIR, then /tmp.  Relative and unset entries are left out.
 * Stores them in dirs and returns how many.  The shim, fleetguard status
 * and breaker, and the Landlock plan all search with this one function.
 */
#define FG_BK_DIRS_MAX 3
size_t fg_bk_state_dirs(const struct fg_breaker_conf *c, const char *dirs[FG_BK_DIRS_MAX]);

/* The directory fg_bk_map_open_conf() will use for c: the first of
 * fg_bk_state_dirs() that exists or can be created (mode 0770) and is
 * writable, copied to out.  -ENOENT when none is, -ENAMETOOLONG. */
int fg_bk_state_dir(const struct fg_breaker_conf *c, char *out, size_t len);

/*
 * Map the state file in dir, or (fg_bk_map_open_conf) in the first usable
 * directory of fg_bk_state_dirs(c).  A directory is usable if it exists or
 * can be created (mode 0770) and the file in it can be opened read-write
 * (created 0660).  env is copied (may be NULL for the defaults).  On error
 * a message naming the file is left in err.  The map stays valid until
 * fg_bk_map_close, in this process and (the mapping being MAP_SHARED) in
 * children forked after it.
 */
int fg_bk_map_open(const char *dir, const struct fg_bk_env *env, struct fg_bk_map **out,
		   char *err, size_t errlen);
int fg_bk_map_open_conf(const struct fg_breaker_conf *c, const struct fg_bk_env *env,
			struct fg_bk_map **out, char *err, size_t errlen);

/* Unmap; any struct fg_bk of this map becomes invalid. */
void fg_bk_map_close(struct fg_bk_map *m);

/* The state file's absolute path (the shim refuses it to the agent). */
const char *fg_bk_map_path(const struct fg_bk_map *m);

/* --- one endpoint ------------------------------------------------------- */

/* What a process needs to judge one endpoint: taken from the policy's
 * struct fg_endpoint / fg_breaker_conf by fg_bk_conf_from(). */
struct fg_bk_conf {
	unsigned threshold;
	unsigned open_seconds;
	unsigned max_open_seconds;
	unsigned probes;
	unsigned slow_first_byte_seconds;   /* 0: off */
	unsigned min_processes;             /* 1: any process */
};

void fg_bk_conf_from(struct fg_bk_conf *out, const struct fg_breaker_conf *in);

/* A handle on one slot of a map, as judged with one configuration.  Plain
 * data owned by the caller; any number may exist for one slot. */
struct fg_bk {
	struct fg_bk_map *map;
	struct fg_bk_slot *slot;
	struct fg_bk_conf conf;
	char key_name[FG_BK_NAME_MAX];
	char key_addr[FG_BK_ADDR_MAX];
};

/*
 * Find the slot of endpoint (name, address) ("api.openai.com:443"), claiming
 * a free one if it is new, and fill b.  -ENOSPC when all FG_BK_SLOTS slots
 * belong to other endpoints, -ENAMETOOLONG for keys that do not fit.
 */
int fg_bk_attach(struct fg_bk_map *m, const char *name, const char *address,
		 const struct fg_bk_conf *conf, struct fg_bk *b);

enum fg_bk_state { FG_BK_CLOSED = 0, FG_BK_OPEN = 1, FG_BK_HALF = 2 };

/* "closed", "open", "half-open". */
const char *fg_bk_state_name(enum fg_bk_state s);

/* A state change, for the caller to print and audit.  Filled by every call
 * that takes an ev argument; changed is false when nothing changed (or when
 * another process made the change). */
struct fg_bk_event {
	bool changed;
	enum fg_bk_state from, to;
	uint32_t gen;            /* the new generation */
	unsigned failures;       /* consecutive failures when it happened */
	uint64_t until_ms;       /* OPEN: end of the open period; HALF: end of the lease */
	const char *why;         /* "threshold", "probe failed", "probe succeeded",
				  * "lease expired", "forced" */
};

/* --- admitting a call --------------------------------------------------- */

enum fg_bk_admit {
	FG_BK_GO = 0,      /* CLOSED: go ahead */
	FG_BK_PROBE,       /* HALF: go ahead, this call is a probe */
	FG_BK_REFUSE,      /* OPEN, or HALF with all probes taken: fail fast */
};

/* What an admitted call carries until it reports. */
struct fg_bk_ticket {
	uint32_t gen;
	bool probe;
};

/*
 * May a call go out now?  Fills t for GO and PROBE.  For REFUSE, *retry_ms
 * (may be NULL) is how long until the next probe may go (0 if a half-open
 * round is running) and *failures the consecutive failures that opened it.
 * May itself move OPEN -> HALF (open period over) or start a new probe round
 * (lease expired); ev says so.
 */
enum fg_bk_admit fg_bk_admit(struct fg_bk *b, struct fg_bk_ticket *t, uint64_t *retry_ms,
			     unsigned *failures, struct fg_bk_event *ev);

/* --- reporting how it ended ---------------------------------------------- */

enum fg_bk_outcome {
	FG_BK_OK = 0,        /* a status outside failure_status (or a non-HTTP answer) */
	FG_BK_F_CONNECT,     /* refused, unreachable, timed out connecting */
	FG_BK_F_RESET,       /* reset or closed before a full status line, after a request */
	FG_BK_F_429,         /* HTTP 429 (quota) */
	FG_BK_F_5XX,         /* HTTP 5xx in failure_status (health) */
	FG_BK_F_STATUS,      /* another status listed in failure_status */
	FG_BK_F_SLOW,        /* first byte later than slow_first_byte_seconds */
	FG_BK_OUTCOMES
};

/* "ok", "connect", "reset", "429", "5xx", "status", "slow". */
const char *fg_bk_outcome_name(enum fg_bk_outcome o);

/*
 * Report the result of a call admitted with t.  retry_after_s is the
 * Retry-After of a 429/503 answer (0: none).  pid is the reporting process
 * (for min_processes).  Returns 1 when the result was counted, 0 when it was
 * ignored because the call began in another generation.
 */
int fg_bk_report(struct fg_bk *b, const struct fg_bk_ticket *t, enum fg_bk_outcome o,
		 unsigned retry_after_s, pid_t pid, struct fg_bk_event *ev);

/* A probe gave up without a result (its socket closed before anything was
 * sent): free its place so that another call can probe. */
void fg_bk_release(struct fg_bk *b, const struct fg_bk_ticket *t);

/* Force CLOSED (reset: count cleared, period back to open_seconds) or OPEN
 * (for open_seconds from now).  Used by `fleetguard breaker`. */
int fg_bk_force(struct fg_bk *b, enum fg_bk_state to, struct fg_bk_event *ev);

/* Count a call that was refused and sent to the fallback instead. */
void fg_bk_count_fallback(struct fg_bk *b);

/* --- reading ------------------------------------------------------------ */

struct fg_bk_snap {
	char name[FG_BK_NAME_MAX];
	char addr[FG_BK_ADDR_MAX];
	enum fg_bk_state state;
	uint32_t gen;
	unsigned failures;           /* consecutive, current streak */
	unsigned level;              /* failed probes since it last closed */
	unsigned probes_out;         /* HALF: probes admitted this round */
	uint64_t until_ms;           /* OPEN/HALF deadline, 0 if none */
	uint64_t now_ms;             /* the clock when the snapshot was taken */
	uint64_t changed_ms;         /* last state change */
	uint64_t streak[FG_BK_OUTCOMES];  /* current streak by outcome (index 0 unused) */
	uint64_t total[FG_BK_OUTCOMES];   /* since the file was made: [FG_BK_OK] = successes */
	uint64_t admitted, refused, probes, fallbacks, opens, ignored;
};

/* Snapshot slot i (0..FG_BK_SLOTS-1) of a map: 1 if the slot is in use, 0 if
 * free.  Fields are read one by one (not one consistent instant). */
int fg_bk_map_snap(struct fg_bk_map *m, unsigned i, struct fg_bk_snap *s);

/* --- HTTP response sniffing --------------------------------------------- */

/*
 * An incremental reader of the first bytes of an HTTP/1.x response: the
 * status line, and for 429 and 503 the Retry-After header (delta-seconds, or
 * an HTTP-date in IMF-fixdate, RFC 850 or asctime form).  Feed it the bytes
 * as they arrive, in any pieces; it keeps no pointer to them.  Plain data,
 * zero it (or fg_http_sniff_init) to start.
 */
struct fg_http_sniff {
	uint8_t phase;
	uint8_t pos;
	uint8_t match;           /* header-name matcher position */
	uint8_t vlen;
	uint16_t status;
	uint32_t retry_after;    /* seconds, 0 if none */
	uint32_t hdr_bytes;
	char val[48];            /* Retry-After value being collected */
};

enum fg_sniff_result {
	FG_SNIFF_MORE = 0,       /* need more bytes */
	FG_SNIFF_DONE,           /* status (and retry_after) are final */
	FG_SNIFF_NOT_HTTP,       /* the answer is not HTTP/1.x */
};

void fg_http_sniff_init(struct fg_http_sniff *s);

/*
 * Consume n bytes.  now_wall is the current time in seconds since the epoch
 * (for HTTP-dates).  Once DONE or NOT_HTTP, further calls return the same
 * value and change nothing.  For 429/503 it reads on to the end of the
 * headers (at most 16 KiB of them) before saying DONE.
 */
enum fg_sniff_result fg_http_sniff_feed(struct fg_http_sniff *s, const void *buf, size_t n,
					int64_t now_wall);

/* The connection ended.  Returns DONE if the status line was complete (the
 * headers of a 429/503 may have been cut short), NOT_HTTP if not. */
enum fg_sniff_result fg_http_sniff_eof(struct fg_http_sniff *s);

/* Parse an HTTP-date: seconds since the epoch, or -1. */
int64_t fg_http_date(const char *s, size_t n);

#endif /* FLEETGUARD_BREAKER_H */
