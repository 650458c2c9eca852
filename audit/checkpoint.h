/* checkpoint.h - signed checkpoints of an audit chain, and their witnesses.
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
 * A checkpoint is one line of text, so that syslog, the journal or a file
 * carries it unchanged and a verifier finds it inside whatever prefix the
 * carrier adds:
 *
 *   fleetguard-checkpoint v1 log=<32 hex> seq=<N> head=<64 hex>
 *     time=<YYYY-MM-DDTHH:MM:SSZ> prev=<64 hex> from=<N> digest=<64 hex|->
 *     key=<16 hex> sig=<128 hex>
 *
 * (one line).  log is the first 128 bits of SHA-256 of the log's canonical
 * path; head is the hash of record seq; prev is SHA-256 of the previous
 * checkpoint's whole line for this log (64 zeros for the first); for a
 * log chained with HMAC (whose hashes cannot be checked without its key),
 * digest is SHA-256 of the lines (without newlines) of records from..seq,
 * so that their contents can be checked with the public key alone ("-"
 * for a plain SHA-256 chain, whose hashes anyone can check); key is
 * the first 64 bits of SHA-256 of the raw Ed25519 public key; sig is the
 * Ed25519 signature of everything before " sig=".  The private key lives
 * in <state>/audit/signing.key (0600), the public key next to it in
 * signing.pub; the default witness file is <state>/audit/<log>.witness.
 *
 * Functions return 0 or a negative errno unless said otherwise.
 */
#ifndef FLEETGUARD_AUDIT_CHECKPOINT_H
#define FLEETGUARD_AUDIT_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define FG_CKPT_TAG "fleetguard-checkpoint v1 "
#define FG_CKPT_LINE_MAX 640

struct fg_ckpt_rec {
	char log[33];
	uint64_t seq;
	char head[65];
	char time[24];
	char prev[65];
	uint64_t from;
	char digest[65];         /* 64 hex, or "-" */
	char key[17];
	char sig[129];
};

/* SHA-256 from libcrypto, fetched once (what the digests use). */
struct evp_md_st;
const struct evp_md_st *fg_ckpt_sha256(void);

/* The log id of a log by its canonical path. */
int fg_ckpt_log_id(const char *path, char id[33]);

/* <state>/audit/<name> into out. */
int fg_ckpt_state_file(const char *state_dir, const char *name, char *out, size_t cap);

/* Find a checkpoint in text (anywhere in it: a syslog or journal prefix is
 * skipped).  1 if found and well formed, 0 if there is none, -EBADMSG for
 * a malformed one. */
int fg_ckpt_parse(const char *text, size_t len, struct fg_ckpt_rec *r);

/* The line of r (without newline) and its hash (what the next one's prev
 * must be). */
int fg_ckpt_format(const struct fg_ckpt_rec *r, char *out, size_t cap);
int fg_ckpt_hash(const struct fg_ckpt_rec *r, char hash[65]);

/* The verifier's side: a public key from a PEM file; check r's signature
 * (0, or -EBADMSG for a bad signature or another key). */
struct fg_ckpt_pub;
int fg_ckpt_pub_load(const char *file, struct fg_ckpt_pub **out, char *err, size_t errlen);
int fg_ckpt_check(const struct fg_ckpt_pub *k, const struct fg_ckpt_rec *r);
const char *fg_ckpt_pub_id(const struct fg_ckpt_pub *k);
void fg_ckpt_pub_free(struct fg_ckpt_pub *k);

/* --- the daemon's side ------------------------------------------------------ */

struct fg_ckpt_conf {
	const char *log;         /* canonical path */
	const char *state_dir;
	const char *witness;     /* list, NULL: the defaults */
	const char *forward;     /* syslog+tcp://HOST:PORT, or NULL */
	unsigned every;          /* records per checkpoint, 0: FG_CKPT_EVERY */
	bool digest;             /* the log is chained with HMAC: digest its lines */
};

#define FG_CKPT_EVERY 1000
#define FG_CKPT_PERIOD_MS 1000
#define FG_CKPT_SOON_MS 100

struct fg_ckpt;

/* Load (or create, 0600) the signing key, read the last checkpoint of the
 * log from the witness file to chain on, start the witness (and forward)
 * thread.  A bad witness list fails with a message naming the entry. */
int fg_ckpt_open(const struct fg_ckpt_conf *c, struct fg_ckpt **out, char *err, size_t errlen);

/* A record was appended (the writer's tap, fg_audit_tap_fn). */
void fg_ckpt_tap(void *arg, uint64_t seq, const char *hash, const char *line, size_t len);

/* Milliseconds until a checkpoint is due by time (0: now), -1 if none is
 * pending.  due(): one is due now (N records, or a second, since the
 * last). */
int fg_ckpt_wait_ms(const struct fg_ckpt *k);
bool fg_ckpt_due(const struct fg_ckpt *k);

/* Sign a checkpoint of the last record noted, unless it is checkpointed
 * already, and hand it to the witnesses (never waits for them). */
int fg_ckpt_emit(struct fg_ckpt *k);

/* Checkpoint soon what is pending (a process's connection ended): at once
 * when the last checkpoint is FG_CKPT_SOON_MS old or more, else as soon
 * as it is (wait_ms and due() then count that deadline too).  A process
 * that ends every millisecond (a shell loop) so costs a signature, a
 * witness line and its sync every 100 ms, not one per process. */
int fg_ckpt_soon(struct fg_ckpt *k);

/* The witnesses' state, one line each ("file /x: ok, 12 sent"), for
 * fleetguard status. */
void fg_ckpt_status(struct fg_ckpt *k, char *out, size_t cap);

/* A last checkpoint, the witnesses given up to ~2 s to deliver, freed. */
void fg_ckpt_close(struct fg_ckpt *k);

#endif /* FLEETGUARD_AUDIT_CHECKPOINT_H */
