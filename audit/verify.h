/* verify.h - check an audit chain, streaming, in constant memory.
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
 * The files are read in chain order (oldest segment first).  Every line must
 * be one JSON object with the record frame (record.h), seq must count up by
 * one from 1 (or from opts.from_seq), prev must equal the previous record's
 * hash, and hash must be SHA-256 (HMAC-SHA256 with a key) of the bytes before
 * `,"hash":`.  A malformed line followed by a "repair" record naming its
 * offset, length and SHA-256, chained from the last whole record, is a
 * repaired crash, not a fault.  Verification stops at the first fault.
 */
#ifndef FLEETGUARD_AUDIT_VERIFY_H
#define FLEETGUARD_AUDIT_VERIFY_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

enum fg_verify_status {
	FG_VERIFY_INTACT = 0,
	FG_VERIFY_HASH_MISMATCH,
	FG_VERIFY_BROKEN_LINK,
	FG_VERIFY_SEQ_GAP,
	FG_VERIFY_MALFORMED,
	FG_VERIFY_TORN_TAIL,       /* last line of the last file has no newline */
	FG_VERIFY_MISSING_SEGMENT,
	FG_VERIFY_REORDERED_SEGMENT,
	FG_VERIFY_HEAD_MISMATCH,
	/* against the signed checkpoints (verify_ckpt.h) */
	FG_VERIFY_TRUNCATED,       /* the log ends before a checkpointed seq */
	FG_VERIFY_CHECKPOINT_MISMATCH, /* a checkpointed seq has another hash */
	FG_VERIFY_BAD_CHECKPOINT,  /* bad signature, broken checkpoint chain */
};

/* "intact", "hash mismatch", "broken link", "seq gap", "malformed line",
 * "torn tail", "missing segment", "reordered segment", "head mismatch",
 * "truncated", "checkpoint mismatch", "bad checkpoint". */
const char *fg_verify_reason(enum fg_verify_status s);

struct fg_verify_opts {
	const unsigned char *key;  /* HMAC key, or NULL for plain SHA-256 */
	size_t keylen;
	uint64_t from_seq;         /* 0: the chain starts at seq 1 with 64 zeros;
				    * N: records before N are skipped unchecked and
				    * record N's prev is taken on trust */
	const char *expect_head;   /* 64 hex: some record must have this hash,
				    * or FG_VERIFY_HEAD_MISMATCH; NULL: no check */
	/* true: do not recompute record hashes (an HMAC log checked without
	 * its key): frames, seq and links only, the contents being left to
	 * the signed checkpoints' digests (verify_ckpt.h). */
	bool links_only;
	/* Called for each verified record, line without its newline. */
	void (*on_record)(void *arg, const char *file, uint64_t lineno,
			  const char *line, size_t len);
	void *arg;
};

struct fg_verify_result {
	enum fg_verify_status status;
	/* where the fault is; for a missing segment, the missing file */
	char file[PATH_MAX];
	uint64_t line;             /* 1-based; 0 when the fault is a whole file */
	uint64_t offset;           /* byte offset of that line */
	uint64_t seq;              /* the faulty record's seq, or 0 if unreadable */
	char detail[256];          /* what was expected versus found */
	/* what was verified up to the fault (all of it when intact) */
	uint64_t records;
	uint64_t first_seq;
	uint64_t last_seq;
	uint64_t repairs;          /* repaired crashes seen */
	char head[65];             /* hash of the last verified record, or "" */
};

/* Verify files in the order given.  Returns 0 with the verdict in *res, or
 * a negative errno on an I/O error with res->file naming the file. */
int fg_verify_files(const char *const *files, size_t n,
		    const struct fg_verify_opts *opts, struct fg_verify_result *res);

/* The files of the chain that ends at log: log.1, log.2, ... (numeric
 * order) then log itself if it exists.  *files is one allocation the caller
 * frees.  Returns 0, or a negative errno (-ENOENT when there is nothing).
 * A hole in the numbering, or a first segment above 1 when from_seq is 0,
 * sets res->status to FG_VERIFY_MISSING_SEGMENT naming the missing file. */
int fg_verify_discover(const char *log, uint64_t from_seq, char ***files,
		       size_t *n, struct fg_verify_result *res);

/* --- reading records ---------------------------------------------------- */

/* One field of a record: key and value as they appear in the line (the key
 * without quotes, the value with them if it is a string). */
struct fg_json_field {
	const char *key;
	size_t keylen;
	const char *val;
	size_t vallen;
};

/* Check that line is one flat JSON object (string, integer, null, true,
 * false or arrays of those as values; valid UTF-8) and call cb for each
 * field in order, if cb is not NULL.  cb returning nonzero stops the walk
 * and is returned.  Returns 0 or -EBADMSG. */
int fg_json_fields(const char *line, size_t len,
		   int (*cb)(void *arg, const struct fg_json_field *f), void *arg);

/* The value of the first field named key, or -ENOENT / -EBADMSG. */
int fg_json_get(const char *line, size_t len, const char *key, const char **val,
		size_t *vallen);

#endif /* FLEETGUARD_AUDIT_VERIFY_H */
