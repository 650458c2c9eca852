/* verify.c - stream through the chain's files once, hashing each line once.
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

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit/record.h"
#include "audit/verify.h"

#define READ_BUF (1 << 20)      /* a longer line is malformed */

const char *fg_verify_reason(enum fg_verify_status s)
{
	switch (s) {
	case FG_VERIFY_INTACT: return "intact";
	case FG_VERIFY_HASH_MISMATCH: return "hash mismatch";
	case FG_VERIFY_BROKEN_LINK: return "broken link";
	case FG_VERIFY_SEQ_GAP: return "seq gap";
	case FG_VERIFY_MALFORMED: return "malformed line";
	case FG_VERIFY_TORN_TAIL: return "torn tail";
	case FG_VERIFY_MISSING_SEGMENT: return "missing segment";
	case FG_VERIFY_REORDERED_SEGMENT: return "reordered segment";
	case FG_VERIFY_HEAD_MISMATCH: return "head mismatch";
	case FG_VERIFY_TRUNCATED: return "truncated";
	case FG_VERIFY_CHECKPOINT_MISMATCH: return "checkpoint mismatch";
	case FG_VERIFY_BAD_CHECKPOINT: return "bad checkpoint";
	}
	return "unknown";
}

/* --- JSON --------------------------------------------------------------- */

/* 0: copied as is inside a string; 1: quote; 2: backslash; 3: control;
 * 4: first byte of a multi-byte sequence */
static unsigned char jclass[256];

static void jclass_init(void)
{
	if (jclass['"'])
		return;
	for (int c = 0; c < 256; c++)
		jclass[c] = c < 0x20 ? 3 : c >= 0x80 ? 4 : 0;
	jclass['\\'] = 2;
	jclass['"'] = 1;
}

static bool hexd(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* p at an opening quote; returns just past the closing quote, or NULL. */
static const char *scan_string(const char *p, const char *end)
{
	size_t k;

	p++;
	for (;;) {
		while (p < end && !jclass[(unsigned char)*p])
			p++;
		if (p >= end)
			return NULL;
		switch (jclass[(unsigned char)*p]) {
		case 1:
			return p + 1;
		case 2:
			if (++p >= end)
				return NULL;
			if (*p == 'u') {
				if (end - p < 5 || !hexd(p[1]) || !hexd(p[2]) || !hexd(p[3]) || !hexd(p[4]))
					return NULL;
				p += 5;
			} else if (*p && strchr("\"\\/bfnrt", *p))
				p++;
			else
				return NULL;
			break;
		case 4:
			k = fg_utf8_len((const unsigned char *)p, (size_t)(end - p));
			if (!k)
				return NULL;
			p += k;
			break;
		default:
			return NULL;
		}
	}
}

static const char *scan_scalar(const char *p, const char *end)
{
	if (p >= end)
		return NULL;
	if (*p == '"')
		return scan_string(p, end);
	if (*p == '-' || (*p >= '0' && *p <= '9')) {
		if (*p == '-' && ++p >= end)
			return NULL;
		if (*p == '0')
			return p + 1;
		if (*p < '1' || *p > '9')
			return NULL;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		return p;
	}
	if (end - p >= 4 && !memcmp(p, "null", 4))
		return p + 4;
	if (end - p >= 4 && !memcmp(p, "true", 4))
		return p + 4;
	if (end - p >= 5 && !memcmp(p, "false", 5))
		return p + 5;
	return NULL;
}

static const char *scan_value(const char *p, const char *end)
{
	if (p < end && *p == '[') {
		p++;
		if (p < end && *p == ']')
			return p + 1;
		for (;;) {
			p = scan_scalar(p, end);
			if (!p || p >= end)
				return NULL;
			if (*p == ']')
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	return scan_scalar(p, end);
}

int fg_json_fields(const char *line, size_t len,
		   int (*cb)(void *arg, const struct fg_json_field *f), void *arg)
{
	const char *p = line, *end = line + len, *q;
	struct fg_json_field f;
	int r;

	jclass_init();
	if (len < 2 || *p != '{' || end[-1] != '}')
		return -EBADMSG;
	p++;
	if (*p == '}')
		return p + 1 == end ? 0 : -EBADMSG;
	for (;;) {
		if (p >= end || *p != '"')
			return -EBADMSG;
		q = scan_string(p, end);
		if (!q || q >= end || *q != ':')
			return -EBADMSG;
		f.key = p + 1;
		f.keylen = (size_t)(q - p - 2);
		p = q + 1;
		q = scan_value(p, end);
		if (!q || q >= end)
			return -EBADMSG;
		f.val = p;
		f.vallen = (size_t)(q - p);
		if (cb && (r = cb(arg, &f)) != 0)
			return r;
		p = q + 1;
		if (*q == '}')
			return p == end ? 0 : -EBADMSG;
		if (*q != ',')
			return -EBADMSG;
	}
}

struct get_arg {
	const char *key;
	size_t keylen;
	const struct fg_json_field *found;
	struct fg_json_field f;
};

static int get_cb(void *arg, const struct fg_json_field *f)
{
	struct get_arg *g = arg;

	if (f->keylen != g->keylen || memcmp(f->key, g->key, g->keylen) != 0)
		return 0;
	g->f = *f;
	return 1;
}

int fg_json_get(const char *line, size_t len, const char *key, const char **val,
		size_t *vallen)
{
	struct get_arg g = { .key = key, .keylen = strlen(key) };
	int r = fg_json_fields(line, len, get_cb, &g);

	if (r < 0)
		return r;
	if (r == 0)
		return -ENOENT;
	*val = g.f.val;
	*vallen = g.f.vallen;
	return 0;
}

/* --- the chain ---------------------------------------------------------- */

struct verifier {
	const struct fg_verify_opts *o;
	struct fg_verify_result *res;
	struct fg_hasher *chain;
	struct fg_hasher *blob;
	bool started;          /* a record has been accepted */
	uint64_t expect;       /* seq of the next record */
	char prev[FG_HASH_HEX];
	bool head_seen;
	const char *file;      /* the file being read */
	size_t fileidx;
	uint64_t lineno;
	uint64_t file_records;
	bool monotonic;        /* the files' first seqs increase in file order */
	const char *last_file; /* where the last accepted record is */
	uint64_t last_line, last_off;
	/* malformed lines waiting for a repair record */
	bool pend;
	uint64_t pend_line, pend_off, pend_len;
};

__attribute__((format(printf, 6, 7)))
static int fault(struct verifier *v, enum fg_verify_status st, uint64_t line, uint64_t off,
		 uint64_t seq, const char *fmt, ...)
{
	struct fg_verify_result *res = v->res;
	va_list ap;

	res->status = st;
	snprintf(res->file, sizeof(res->file), "%s", v->file);
	res->line = line;
	res->offset = off;
	res->seq = seq;
	va_start(ap, fmt);
	/* the analyzer loses track of va_start through the format attribute */
	vsnprintf(res->detail, sizeof(res->detail), fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
	va_end(ap);
	return 1;
}

static int pending_fault(struct verifier *v)
{
	return fault(v, FG_VERIFY_MALFORMED, v->pend_line, v->pend_off, 0,
		     "not a record, and no repair record names it");
}

/* Is this record a repair of exactly the pending bytes? */
static bool repairs_pending(struct verifier *v, const char *line, size_t len)
{
	char hex[FG_HASH_HEX], num[24];
	const char *val;
	size_t vl;

	if (fg_json_get(line, len, "op", &val, &vl) < 0 || vl != 8 || memcmp(val, "\"repair\"", 8) != 0)
		return false;
	if (fg_hasher_end(v->blob, hex) < 0)
		return false;
	snprintf(num, sizeof(num), "%llu", (unsigned long long)v->pend_off);
	if (fg_json_get(line, len, "offset", &val, &vl) < 0 || vl != strlen(num) || memcmp(val, num, vl) != 0)
		return false;
	snprintf(num, sizeof(num), "%llu", (unsigned long long)v->pend_len);
	if (fg_json_get(line, len, "length", &val, &vl) < 0 || vl != strlen(num) || memcmp(val, num, vl) != 0)
		return false;
	if (fg_json_get(line, len, "sha256", &val, &vl) < 0 || vl != FG_HASH_HEX + 2 ||
	    memcmp(val + 1, hex, FG_HASH_HEX) != 0)
		return false;
	return true;
}

static int add_pending(struct verifier *v, const char *line, size_t len, uint64_t off)
{
	if (!v->pend) {
		v->pend = true;
		v->pend_line = v->lineno;
		v->pend_off = off;
		v->pend_len = len;
		fg_hasher_begin(v->blob);
	} else {
		fg_hasher_update(v->blob, "\n", 1);
		v->pend_len += 1 + len;
	}
	fg_hasher_update(v->blob, line, len);
	return 0;
}

static const char zeros[FG_HASH_HEX + 1] =
	"0000000000000000000000000000000000000000000000000000000000000000";

/* The record's seq and prev against the chain so far (or, for the first
 * one, against the start): 1 at a fault, 0 if they follow. */
static int check_link(struct verifier *v, uint64_t seq, const char *prevp, uint64_t off)
{
	const struct fg_verify_opts *o = v->o;

	if (!v->started) {
		uint64_t want = o->from_seq ? o->from_seq : 1;
		if (seq != want)
			return fault(v, FG_VERIFY_SEQ_GAP, v->lineno, off, seq,
				     "the chain starts at seq %llu, expected %llu%s",
				     (unsigned long long)seq, (unsigned long long)want,
				     o->from_seq ? "" : " (use --from if older records were archived)");
		if (!o->from_seq && memcmp(prevp, zeros, FG_HASH_HEX) != 0)
			return fault(v, FG_VERIFY_BROKEN_LINK, v->lineno, off, seq,
				     "the first record's prev is %.64s, expected 64 zeros", prevp);
		v->res->first_seq = seq;
		return 0;
	}
	if (seq != v->expect) {
		enum fg_verify_status st = FG_VERIFY_SEQ_GAP;
		if (v->file_records == 0 && v->fileidx > 0)
			st = seq > v->expect && v->monotonic ?
			     FG_VERIFY_MISSING_SEGMENT : FG_VERIFY_REORDERED_SEGMENT;
		return fault(v, st, v->lineno, off, seq, "expected seq %llu, found %llu",
			     (unsigned long long)v->expect, (unsigned long long)seq);
	}
	if (memcmp(prevp, v->prev, FG_HASH_HEX) != 0)
		return fault(v, FG_VERIFY_BROKEN_LINK, v->lineno, off, seq,
			     "prev is %.64s, the previous record's hash is %.64s",
			     prevp, v->prev);
	return 0;
}

/* A record found intact becomes the chain's new end. */
static void accept_record(struct verifier *v, const char *line, size_t len, uint64_t off,
			  uint64_t seq, const char *hashp)
{
	const struct fg_verify_opts *o = v->o;

	if (v->pend) {
		v->pend = false;
		v->res->repairs++;
	}
	v->started = true;
	v->expect = seq + 1;
	memcpy(v->prev, hashp, FG_HASH_HEX);
	v->res->records++;
	v->res->last_seq = seq;
	v->file_records++;
	v->last_file = v->file;
	v->last_line = v->lineno;
	v->last_off = off;
	if (o->expect_head && !memcmp(hashp, o->expect_head, FG_HASH_HEX))
		v->head_seen = true;
	if (o->on_record)
		o->on_record(o->arg, v->file, v->lineno, line, len);
}

/* One line, without its newline; complete is false for bytes at the end of
 * a file that no newline ends.  Returns 1 at a fault, 0 if the line is fine,
 * or -errno when the hash cannot be computed (not the log's fault). */
static int check_line(struct verifier *v, const char *line, size_t len, uint64_t off,
		      bool complete, bool last_file)
{
	const struct fg_verify_opts *o = v->o;
	const char *prevp, *hashp;
	char hex[FG_HASH_HEX];
	uint64_t seq;
	bool skipping = !v->started && o->from_seq;
	int r;

	v->lineno++;
	if (!complete) {
		if (v->pend)
			return pending_fault(v);
		if (last_file)
			return fault(v, FG_VERIFY_TORN_TAIL, v->lineno, off, 0,
				     "%zu bytes without a newline end the log "
				     "(a writer stopped part way through a record)", len);
		return fault(v, FG_VERIFY_MALFORMED, v->lineno, off, 0,
			     "the segment ends inside a line");
	}
	if (fg_rec_frame(line, len, &seq, &prevp, &hashp) < 0 ||
	    fg_json_fields(line, len, NULL, NULL) < 0) {
		if (skipping)
			return 0;
		return add_pending(v, line, len, off);
	}
	if (skipping && seq < o->from_seq)
		return 0;
	int hr = o->links_only ? 0 : fg_hasher_line(v->chain, line, len - FG_TRAILER_HASH_LEN, hex);
	if (hr < 0)
		return hr;
	if (o->links_only)
		memcpy(hex, hashp, FG_HASH_HEX);
	if (memcmp(hex, hashp, FG_HASH_HEX) != 0) {
		if (v->pend)
			return pending_fault(v);
		return fault(v, FG_VERIFY_HASH_MISMATCH, v->lineno, off, seq,
			     "hash is %.64s, the record's bytes give %.64s%s", hashp, hex,
			     !v->started && !o->key ? " (hint: an HMAC log needs --key)" : "");
	}
	if (v->pend && !repairs_pending(v, line, len))
		return pending_fault(v);
	if ((r = check_link(v, seq, prevp, off)) != 0)
		return r;
	accept_record(v, line, len, off, seq, hashp);
	return 0;
}

/* A live writer may be in the middle of its write() when we read the end:
 * wait until no head rebuild or vfork writer holds the head's flock, then
 * a little longer for an append (appends take the head's in-memory mutex,
 * not the flock; one append is one write(), microseconds).  Only a line
 * still incomplete after that is a torn tail. */
static void wait_for_writers(const char *path)
{
	const struct timespec settle = { .tv_sec = 0, .tv_nsec = 20 * 1000 * 1000 };
	char head[PATH_MAX + 8];
	int fd;

	snprintf(head, sizeof(head), "%s.head", path);
	fd = open(head, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		while (flock(fd, LOCK_SH) < 0 && errno == EINTR)
			;
		close(fd);      /* releases the lock */
	}
	while (nanosleep(&settle, NULL) < 0 && errno == EINTR)
		;
}

/* The seq of the first record in path, or 0. */
static uint64_t first_seq(const char *path, char *buf)
{
	const char *p, *nl, *prev, *hash;
	uint64_t seq = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return 0;
	n = read(fd, buf, READ_BUF);
	close(fd);
	for (p = buf; n > 0 && (nl = memchr(p, '\n', (size_t)(buf + n - p))) != NULL; p = nl + 1)
		if (fg_rec_frame(p, (size_t)(nl - p), &seq, &prev, &hash) == 0)
			return seq;
	return 0;
}

/* Returns 0 (read through, or stopped at a fault) or -errno. */
static int verify_file(struct verifier *v, const char *path, bool last, char *buf)
{
	size_t have = 0;
	uint64_t base = 0;
	bool eof = false, waited = false;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	v->file = path;
	v->lineno = 0;
	v->file_records = 0;
	for (;;) {
		ssize_t n = read(fd, buf + have, READ_BUF - have);
		char *p = buf, *nl, *lim;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out_close;
		}
		if (n == 0)
			eof = true;
		have += (size_t)n;
		lim = buf + have;
		while ((nl = memchr(p, '\n', (size_t)(lim - p))) != NULL) {
			int c = check_line(v, p, (size_t)(nl - p), base + (uint64_t)(p - buf), true, last);
			if (c < 0)
				r = c;
			if (c)
				goto out_close;
			p = nl + 1;
		}
		base += (uint64_t)(p - buf);
		have = (size_t)(lim - p);
		memmove(buf, p, have);
		if (eof && have && last && !waited) {
			waited = true;
			wait_for_writers(path);
			eof = false;
			continue;
		}
		if (eof) {
			if (have)
				check_line(v, buf, have, base, false, last);
			else if (v->pend)
				pending_fault(v);
			break;
		}
		if (have == READ_BUF) {
			fault(v, FG_VERIFY_MALFORMED, v->lineno + 1, base, 0,
			      "a line longer than %d bytes", READ_BUF);
			break;
		}
	}
out_close:
	close(fd);
	return r;
}

int fg_verify_files(const char *const *files, size_t n,
		    const struct fg_verify_opts *opts, struct fg_verify_result *res)
{
	struct verifier v = { .o = opts, .res = res };
	char *buf;
	int r;

	memset(res, 0, sizeof(*res));
	if (opts->expect_head && !fg_is_hex64(opts->expect_head))
		return -EINVAL;
	buf = malloc(READ_BUF);
	if (!buf)
		return -ENOMEM;
	r = fg_hasher_new(&v.chain, opts->key, opts->keylen);
	if (r < 0)
		goto out_free;
	r = fg_hasher_new(&v.blob, NULL, 0);
	if (r < 0)
		goto out_free_chain;
	/* a look at each file's first record tells reordered from missing */
	v.monotonic = true;
	uint64_t last = 0;
	for (size_t i = 0; i < n && n > 1; i++) {
		uint64_t s = first_seq(files[i], buf);
		if (s && last && s <= last)
			v.monotonic = false;
		if (s)
			last = s;
	}
	for (size_t i = 0; i < n; i++) {
		v.fileidx = i;
		r = verify_file(&v, files[i], i + 1 == n, buf);
		if (r < 0) {
			snprintf(res->file, sizeof(res->file), "%s", files[i]);
			goto out_free_blob;
		}
		if (res->status != FG_VERIFY_INTACT)
			goto out_free_blob;
	}
	if (v.started)
		memcpy(res->head, v.prev, FG_HASH_HEX);
	if (opts->expect_head && !v.head_seen) {
		v.file = v.last_file ? v.last_file : (n ? files[n - 1] : "");
		fault(&v, FG_VERIFY_HEAD_MISMATCH, v.last_line, v.last_off, res->last_seq,
		      "no record has hash %.64s; the last is seq %llu with hash %.64s",
		      opts->expect_head, (unsigned long long)res->last_seq,
		      v.started ? v.prev : zeros);
	}
out_free_blob:
	fg_hasher_free(v.blob);
out_free_chain:
	fg_hasher_free(v.chain);
out_free:
	free(buf);
	return r;
}

/* --- segments ----------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Numbers N of the entries named base.N in dir, sorted; *nums is malloc'd. */
static int list_segments(const char *dir, const char *base, uint64_t **nums, size_t *count)
{
	size_t blen = strlen(base), n = 0, cap = 0;
	uint64_t *v = NULL;
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		const char *s = de->d_name;
		uint64_t num = 0;
		size_t i;

		if (strncmp(s, base, blen) != 0 || s[blen] != '.' || !s[blen + 1] || s[blen + 1] == '0')
			continue;
		for (i = blen + 1; s[i] >= '0' && s[i] <= '9' && num < UINT64_MAX / 10; i++)
			num = num * 10 + (uint64_t)(s[i] - '0');
		if (s[i])
			continue;
		if (n == cap) {
			uint64_t *nv = realloc(v, (cap = cap ? 2 * cap : 16) * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		v[n++] = num;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_u64);
	*nums = v;
	*count = n;
	return 0;
}

int fg_verify_discover(const char *log, uint64_t from_seq, char ***files,
		       size_t *n, struct fg_verify_result *res)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(log, '/'), *base = slash ? slash + 1 : log;
	uint64_t *nums = NULL;
	size_t count = 0, total, plen = strlen(log), i;
	struct stat st;
	bool active;
	char **out, *strs;
	int r;

	memset(res, 0, sizeof(*res));
	if (slash)
		snprintf(dir, sizeof(dir), "%.*s", slash == log ? 1 : (int)(slash - log), log);
	else
		strcpy(dir, ".");
	r = list_segments(dir, base, &nums, &count);
	if (r < 0)
		return r;
	active = stat(log, &st) == 0;
	total = count + active;
	if (!total) {
		free(nums);
		return -ENOENT;
	}
	/* one block: the pointers, then the names */
	out = malloc(total * sizeof(char *) + total * (plen + 22));
	if (!out) {
		free(nums);
		return -ENOMEM;
	}
	strs = (char *)(out + total);
	for (i = 0; i < count; i++) {
		out[i] = strs + i * (plen + 22);
		sprintf(out[i], "%s.%llu", log, (unsigned long long)nums[i]);
	}
	if (active) {
		out[count] = strs + count * (plen + 22);
		strcpy(out[count], log);
	}
	/* holes in the numbering */
	for (i = 0; i < count; i++) {
		uint64_t want = i ? nums[i - 1] + 1 : 1;
		if (nums[i] == want || (i == 0 && from_seq))
			continue;
		res->status = FG_VERIFY_MISSING_SEGMENT;
		snprintf(res->file, sizeof(res->file), "%s.%llu", log, (unsigned long long)want);
		snprintf(res->detail, sizeof(res->detail), "segments are numbered from 1 without gaps; "
			 "%s.%llu is next", log, (unsigned long long)nums[i]);
		break;
	}
	free(nums);
	*files = out;
	*n = total;
	return 0;
}
