/* verify_ckpt.h - checks an audit log against its signed checkpoints.
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
 * The checkpoints of one log (checkpoint.h) are read from a witness file
 * (the default one under the state directory, or a file exported from
 * syslog or the journal: any line holding a checkpoint counts, whatever
 * precedes it).  Each must carry a good Ed25519 signature by the public
 * key, and each one's prev must be the hash of the one before it.  Then
 * every checkpointed (seq, head) must be in the log: a log that ends
 * before the last checkpoint is truncated, one whose record at a
 * checkpointed seq has another hash was rewritten.
 *
 * Functions return 0 or a negative errno (with a message in err).
 */
#ifndef FLEETGUARD_AUDIT_VERIFY_CKPT_H
#define FLEETGUARD_AUDIT_VERIFY_CKPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/verify.h"

struct fg_vckpt_opts {
	const char *log;        /* the log as given */
	const char *witness;    /* NULL: <state>/audit/<log id>.witness */
	const char *pubkey;     /* NULL: <state>/audit/signing.pub */
	const char *log_id;     /* NULL: from the log's canonical path */
	const char *state_dir;  /* NULL: fg_audit_default_state() */
};

struct fg_vckpt;

/* Read and check the checkpoints.  A default witness file that does not
 * exist is no error: *out then has no checkpoints (fg_vckpt_count 0) and
 * fg_vckpt_witness() says where none was found. */
int fg_vckpt_load(const struct fg_vckpt_opts *o, struct fg_vckpt **out, char *err,
		  size_t errlen);

/* For fg_verify_opts.on_record: note each verified record. */
void fg_vckpt_on_record(struct fg_vckpt *v, const char *line, size_t len);

/* The verdict once the chain itself verified (res intact): res->status
 * and res->detail set to a checkpoint fault if there is one (the first:
 * a bad checkpoint, a mismatch, or truncation).  from_seq: checkpoints
 * below it are not looked for. */
void fg_vckpt_judge(struct fg_vckpt *v, uint64_t from_seq, struct fg_verify_result *res);

size_t fg_vckpt_count(const struct fg_vckpt *v);
/* Some checkpoint digests its records' lines (the log is chained with
 * HMAC): the contents can be checked without the key. */
bool fg_vckpt_digests(const struct fg_vckpt *v);
const char *fg_vckpt_witness(const struct fg_vckpt *v);
const char *fg_vckpt_key_id(const struct fg_vckpt *v);
/* The last checkpoint: its seq and time, or 0 / "" */
uint64_t fg_vckpt_last_seq(const struct fg_vckpt *v);
const char *fg_vckpt_last_time(const struct fg_vckpt *v);
void fg_vckpt_free(struct fg_vckpt *v);

#endif /* FLEETGUARD_AUDIT_VERIFY_CKPT_H */
