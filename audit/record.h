/* record.h - audit/ internals shared by the writer, the verifier and the
 * tests: the line encoder, the line frame, the chain hasher and key loading.
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
 * Not part of the contract in audit.h; only audit/, tools/fleetguard-verify,
 * bench/ and tests/ include it.
 *
 * A record line is
 *
 *   {"seq":N, ... ,"prev":"<64 hex>","hash":"<64 hex>"}\n
 *
 * The "frame" is the fixed part at both ends: `{"seq":` + decimal digits + `,`
 * at the start and the 149-byte trailer `,"prev":"<64 hex>","hash":"<64 hex>"}`
 * at the end.  The frame alone gives seq, prev and hash without parsing
 * the JSON in between; the hash covers every byte before `,"hash":`.
 */
#ifndef FLEETGUARD_AUDIT_RECORD_H
#define FLEETGUARD_AUDIT_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>

#include "audit/audit.h"

#define FG_HASH_HEX 64
/* Longest line the writer produces, newline included. */
#define FG_AUDIT_LINE_MAX (128 * 1024)
/* A string array (argv) stops growing past this many encoded bytes and ends
 * with the element "..." instead. */
#define FG_AUDIT_STRV_MAX (16 * 1024)
/* `,"hash":"` + 64 hex + `"}` */
#define FG_TRAILER_HASH_LEN 75
/* `,"prev":"` + 64 hex + `"` + the above */
#define FG_TRAILER_LEN 149
#define FG_KEY_MAX 1024
#define FG_KEY_MIN 16

/* --- output buffer ------------------------------------------------------ */

/* A fixed buffer; once an append does not fit, overflow is set and the
 * contents are no longer meaningful. */
struct fg_buf {
	char *p;
	size_t len;
	size_t cap;
	bool overflow;
};

void fg_buf_put(struct fg_buf *b, const void *s, size_t n);
void fg_buf_puts(struct fg_buf *b, const char *s);
void fg_buf_u64(struct fg_buf *b, uint64_t v);
void fg_buf_i64(struct fg_buf *b, int64_t v);
/* A JSON string with quotes: UTF-8 copied, controls escaped, each byte of an
 * invalid UTF-8 sequence as "\udcXX".  s == NULL writes null. */
void fg_buf_json_str(struct fg_buf *b, const char *s, size_t n);
/* RFC 3339 UTC with nanoseconds, quoted: "2026-01-02T03:04:05.123456789Z". */
void fg_buf_ts(struct fg_buf *b, const struct timespec *ts);

/* --- records ------------------------------------------------------------ */

/* What a writer adds to every record besides seq, ts and the caller's
 * fields: pre-encoded JSON fragments, built once by fg_rec_ident(). */
struct fg_rec_ident {
	char host[300];      /* ,"host":"..." */
	char agent_exe[2 * 4096 * 6 + 32]; /* ,"agent":"...","exe":"..." */
	uint32_t uid;
};

int fg_rec_ident(struct fg_rec_ident *id, const char *host, uid_t uid,
		 const char *agent, const char *exe);

/* Encode the hashed part of a record: everything up to and including the
 * closing quote of prev.  Returns 0 or -E2BIG (line too long) or -EINVAL
 * (a field of unknown type, or no op). */
int fg_rec_encode(struct fg_buf *b, uint64_t seq, const struct timespec *ts,
		  const struct fg_rec_ident *id, pid_t pid,
		  const struct fg_audit_rec *r, const char prev[FG_HASH_HEX]);

/* Append `,"hash":"<hex>"}` and a newline. */
int fg_rec_finish(struct fg_buf *b, const char hash[FG_HASH_HEX]);

/* The frame of one line (without its newline).  Returns 0 and sets seq and
 * pointers to the 64 hex digits of prev and hash, or -EBADMSG. */
int fg_rec_frame(const char *line, size_t len, uint64_t *seq,
		 const char **prev, const char **hash);

/* --- hashing ------------------------------------------------------------ */

/* One chain hasher: SHA-256, or HMAC-SHA256 when a key is given.  The
 * OpenSSL algorithm objects are fetched once per process; contexts are per
 * hasher and not thread-safe. */
struct fg_hasher;

int fg_hasher_new(struct fg_hasher **out, const unsigned char *key, size_t keylen);
void fg_hasher_free(struct fg_hasher *h);
int fg_hasher_begin(struct fg_hasher *h);
int fg_hasher_update(struct fg_hasher *h, const void *p, size_t n);
int fg_hasher_end(struct fg_hasher *h, char hex[FG_HASH_HEX]);
/* begin + update + end */
int fg_hasher_line(struct fg_hasher *h, const void *p, size_t n, char hex[FG_HASH_HEX]);

/* Plain SHA-256 of a buffer as hex (the repair record's sha256 field). */
int fg_sha256_hex(const void *p, size_t n, char hex[FG_HASH_HEX]);

void fg_hex(const unsigned char *in, size_t n, char *out);
bool fg_is_hex64(const char *s);

/* Read an HMAC key file: owned by the effective user (or root), no group or
 * other permission bits, FG_KEY_MIN..FG_KEY_MAX bytes; one trailing "\n" or
 * "\r\n" is not part of the key.  On error a message is put in err. */
int fg_key_load(const char *path, unsigned char key[FG_KEY_MAX], size_t *keylen,
		char *err, size_t errlen);

/* Length (1..4) of the valid UTF-8 sequence at s, or 0 if there is none:
 * overlong forms, surrogates and code points past U+10FFFF are invalid. */
size_t fg_utf8_len(const unsigned char *s, size_t n);

/* --- decoding (the verifier's --print and the tests) -------------------- */

/* Decode the JSON string starting at the opening quote s[0] == '"' into raw
 * bytes: "\udcXX" gives byte XX back.  Writes at most outcap bytes, sets
 * *outlen and *end (just past the closing quote).  Returns 0 or -EBADMSG. */
int fg_json_unescape(const char *s, const char *lim, char *out, size_t outcap,
		     size_t *outlen, const char **end);

#endif /* FLEETGUARD_AUDIT_RECORD_H */
