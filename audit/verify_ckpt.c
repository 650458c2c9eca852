/* verify_ckpt.c - checks an audit log against its signed checkpoints.
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
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/checkpoint.h"
#include "audit/daemon.h"
#include "audit/record.h"
#include "audit/verify_ckpt.h"

#include <openssl/evp.h>

struct point {
	uint64_t seq, from;
	char head[65];
	char time[24];
	char digest[65];        /* or "-" */
};

struct fg_vckpt {
	char witness[PATH_MAX];
	char key_id[17];
	struct point *p;        /* sorted by seq */
	size_t n, next;
	EVP_MD_CTX *md;         /* the lines of the range being digested */
	bool digesting;
	bool digests;           /* some checkpoint carries a digest */
	/* the first fault found while loading or checking */
	enum fg_verify_status status;
	char detail[256];
	uint64_t fault_seq;
	uint64_t lineno;
};

/* The log's canonical path: its directory resolved, as the writer does. */
static int canonical(const char *log, char *out, size_t cap)
{
	char dir[PATH_MAX], real[PATH_MAX];
	const char *slash = strrchr(log, '/'), *base = slash ? slash + 1 : log;

	if (slash)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash == log ? 1 : slash - log), log);
	else
		strcpy(dir, ".");
	if (!realpath(dir, real))
		return -errno;
	if ((size_t)snprintf(out, cap, "%s/%s", strcmp(real, "/") ? real : "", base) >= cap)
		return -ENAMETOOLONG;
	return 0;
}

static int cmp_point(const void *a, const void *b)
{
	const struct point *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void bad(struct fg_vckpt *v, uint64_t lineno, uint64_t seq, const char *why, const char *a)
{
	if (v->status)
		return;
	v->status = FG_VERIFY_BAD_CHECKPOINT;
	v->lineno = lineno;
	v->fault_seq = seq;
	snprintf(v->detail, sizeof(v->detail), "%s%s%s", why, a ? a : "", a ? ")" : "");
}

/* One line of the witness: a checkpoint of our log is checked and kept. */
static int take_line(struct fg_vckpt *v, const struct fg_ckpt_pub *k, const char *id,
		     const char *line, uint64_t lineno, char prev[65], size_t *cap)
{
	struct fg_ckpt_rec r;
	int got = fg_ckpt_parse(line, strlen(line), &r);

	if (got == 0)
		return 0;
	if (got < 0) {
		/* a malformed checkpoint of any log: cannot tell whose */
		bad(v, lineno, 0, "the line is not a well-formed checkpoint", NULL);
		return 0;
	}
	if (strcmp(r.log, id) != 0)
		return 0;
	if (fg_ckpt_check(k, &r) < 0)
		bad(v, lineno, r.seq, strcmp(r.key, fg_ckpt_pub_id(k)) ?
			"checkpoint signed by another key than the public key's (key=" :
			"checkpoint signature does not verify (key=", r.key);
	else if (strcmp(r.prev, prev) != 0)
		bad(v, lineno, r.seq, "checkpoint does not follow the one before it: one is missing or was changed (prev=",
		    r.prev);
	if (fg_ckpt_hash(&r, prev) < 0)
		return -EIO;
	if (v->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		struct point *np = realloc(v->p, nc * sizeof(*np));
		if (!np)
			return -ENOMEM;
		v->p = np;
		*cap = nc;
	}
	v->p[v->n].seq = r.seq;
	v->p[v->n].from = r.from;
	memcpy(v->p[v->n].digest, r.digest, sizeof(r.digest));
	v->digests |= strcmp(r.digest, "-") != 0;
	memcpy(v->p[v->n].head, r.head, sizeof(r.head));
	memcpy(v->p[v->n].time, r.time, sizeof(r.time));
	v->n++;
	return 0;
}

static int read_witness(struct fg_vckpt *v, const struct fg_ckpt_pub *k, const char *id,
			FILE *f)
{
	char *line = NULL, prev[65];
	size_t lcap = 0, cap = 0;
	uint64_t lineno = 0;
	int r = 0;

	memset(prev, '0', 64);
	prev[64] = '\0';
	while (r == 0 && getline(&line, &lcap, f) >= 0)
		r = take_line(v, k, id, line, ++lineno, prev, &cap);
	if (r == 0 && ferror(f))
		r = errno ? -errno : -EIO;      /* a directory: EISDIR, said */
	free(line);
	if (v->n > 1)   /* v->p is NULL when there is none: qsort's UB */
		qsort(v->p, v->n, sizeof(*v->p), cmp_point);
	return r;
}

static int paths(const struct fg_vckpt_opts *o, struct fg_vckpt *v, char id[33], char *pub,
		 size_t pubcap, char *err, size_t errlen)
{
	char state[PATH_MAX], canon[PATH_MAX], name[64];
	int r;

	if (o->state_dir)
		snprintf(state, sizeof(state), "%s", o->state_dir);
	else
		fg_audit_default_state(state, sizeof(state));
	if (o->log_id) {
		if (strlen(o->log_id) != 32 || strspn(o->log_id, "0123456789abcdef") != 32) {
			snprintf(err, errlen, "bad --log-id '%s': expected 32 lower-case hex digits",
				 o->log_id);
			return -EINVAL;
		}
		strcpy(id, o->log_id);
	} else {
		r = canonical(o->log, canon, sizeof(canon));
		if (r == 0)
			r = fg_ckpt_log_id(canon, id);
		if (r < 0) {
			snprintf(err, errlen, "cannot resolve '%s': %s", o->log, strerror(-r));
			return r;
		}
	}
	snprintf(name, sizeof(name), "%s.witness", id);
	if (o->witness)
		snprintf(v->witness, sizeof(v->witness), "%s", o->witness);
	else if (fg_ckpt_state_file(state, name, v->witness, sizeof(v->witness)) < 0)
		return -ENAMETOOLONG;
	if (o->pubkey)
		snprintf(pub, pubcap, "%s", o->pubkey);
	else if (fg_ckpt_state_file(state, "signing.pub", pub, pubcap) < 0)
		return -ENAMETOOLONG;
	return 0;
}

int fg_vckpt_load(const struct fg_vckpt_opts *o, struct fg_vckpt **out, char *err,
		  size_t errlen)
{
	struct fg_vckpt *v = calloc(1, sizeof(*v));
	struct fg_ckpt_pub *k = NULL;
	char id[33], pub[PATH_MAX];
	FILE *f;
	int r;

	if (!v)
		return -ENOMEM;
	v->md = EVP_MD_CTX_new();
	r = paths(o, v, id, pub, sizeof(pub), err, errlen);
	if (r < 0)
		goto out_free;
	f = fopen(v->witness, "re");
	if (!f && errno == ENOENT && !o->witness) {
		*out = v;       /* no checkpoints were ever made for this log here */
		return 0;
	}
	if (!f) {
		r = -errno;
		snprintf(err, errlen, "cannot open witness '%s': %s", v->witness, strerror(-r));
		goto out_free;
	}
	r = fg_ckpt_pub_load(pub, &k, err, errlen);
	if (r == 0) {
		strcpy(v->key_id, fg_ckpt_pub_id(k));
		r = read_witness(v, k, id, f);
		if (r < 0)
			snprintf(err, errlen, "cannot read witness '%s': %s", v->witness,
				 strerror(-r));
	}
	fclose(f);
	fg_ckpt_pub_free(k);
	if (r == 0) {
		*out = v;
		return 0;
	}
out_free:
	fg_vckpt_free(v);
	return r;
}

/* The digest of the lines from..seq of point p (a log chained with HMAC):
 * started at from, fed each line, compared at seq. */
static void digest_line(struct fg_vckpt *v, const struct point *p, uint64_t seq,
			const char *line, size_t len)
{
	unsigned char d[32];
	unsigned dl = 0;
	char hex[65];

	if (strcmp(p->digest, "-") == 0 || seq < p->from || !v->md)
		return;
	if (seq == p->from)
		v->digesting = EVP_DigestInit_ex2(v->md, fg_ckpt_sha256(), NULL) == 1;
	if (!v->digesting)
		return;         /* verification began inside the range */
	EVP_DigestUpdate(v->md, line, len);
	if (seq != p->seq)
		return;
	v->digesting = false;
	if (EVP_DigestFinal_ex(v->md, d, &dl) != 1)
		return;
	fg_hex(d, sizeof(d), hex);
	if (memcmp(hex, p->digest, 64) == 0)
		return;
	v->status = FG_VERIFY_CHECKPOINT_MISMATCH;
	v->fault_seq = seq;
	snprintf(v->detail, sizeof(v->detail),
		 "checkpoint of seq %" PRIu64 " at %s: the records from seq %" PRIu64 " to it are not the ones signed: the log was changed",
		 seq, p->time, p->from);
}

void fg_vckpt_on_record(struct fg_vckpt *v, const char *line, size_t len)
{
	const char *prev, *hash;
	uint64_t seq;

	if (v->status || fg_rec_frame(line, len, &seq, &prev, &hash) < 0)
		return;
	while (v->next < v->n && v->p[v->next].seq < seq)
		v->next++;      /* before where verification started */
	if (v->next < v->n)
		digest_line(v, &v->p[v->next], seq, line, len);
	for (; !v->status && v->next < v->n && v->p[v->next].seq == seq; v->next++)
		if (memcmp(v->p[v->next].head, hash, 64) != 0) {
			const struct point *p = &v->p[v->next];

			v->status = FG_VERIFY_CHECKPOINT_MISMATCH;
			v->fault_seq = seq;
			snprintf(v->detail, sizeof(v->detail),
				 "checkpoint of seq %" PRIu64 " at %s has head %.16s..., the log's record has %.16s...: the log was rewritten",
				 seq, p->time, p->head, hash);
			return;
		}
}

bool fg_vckpt_digests(const struct fg_vckpt *v)
{
	return v->digests;
}

void fg_vckpt_judge(struct fg_vckpt *v, uint64_t from_seq, struct fg_verify_result *res)
{
	const struct point *last;

	(void)from_seq;
	if (res->status != FG_VERIFY_INTACT)
		return;
	if (v->status) {
		res->status = v->status;
		res->seq = v->fault_seq;
		res->line = v->status == FG_VERIFY_BAD_CHECKPOINT ? v->lineno : 0;
		snprintf(res->file, sizeof(res->file), "%s",
			 v->status == FG_VERIFY_BAD_CHECKPOINT ? v->witness : res->file);
		snprintf(res->detail, sizeof(res->detail), "%s", v->detail);
		return;
	}
	if (v->n == 0 || v->p[v->n - 1].seq <= res->last_seq)
		return;
	last = &v->p[v->n - 1];
	res->status = FG_VERIFY_TRUNCATED;
	res->seq = last->seq;
	res->line = 0;
	if (res->records)
		snprintf(res->detail, sizeof(res->detail),
			 "checkpoint of seq %" PRIu64 " at %s, log ends at seq %" PRIu64, last->seq,
			 last->time, res->last_seq);
	else
		snprintf(res->detail, sizeof(res->detail),
			 "checkpoint of seq %" PRIu64 " at %s, the log has no records", last->seq,
			 last->time);
}

size_t fg_vckpt_count(const struct fg_vckpt *v) { return v->n; }
const char *fg_vckpt_witness(const struct fg_vckpt *v) { return v->witness; }
const char *fg_vckpt_key_id(const struct fg_vckpt *v) { return v->key_id; }

uint64_t fg_vckpt_last_seq(const struct fg_vckpt *v)
{
	return v->n ? v->p[v->n - 1].seq : 0;
}

const char *fg_vckpt_last_time(const struct fg_vckpt *v)
{
	return v->n ? v->p[v->n - 1].time : "";
}

void fg_vckpt_free(struct fg_vckpt *v)
{
	if (!v)
		return;
	EVP_MD_CTX_free(v->md);
	free(v->p);
	free(v);
}
