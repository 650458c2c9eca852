/* checkpoint.c - signs and checks checkpoints of an audit chain with Ed25519.
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
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "audit/checkpoint.h"
#include "audit/daemon.h"
#include "audit/record.h"
#include "audit/witness.h"

static EVP_MD *sha256_alg;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
	sha256_alg = EVP_MD_fetch(NULL, "SHA256", NULL);
}

const EVP_MD *fg_ckpt_sha256(void)
{
	pthread_once(&sha256_once, sha256_fetch);
	return sha256_alg;
}

int fg_ckpt_log_id(const char *path, char id[33])
{
	char hex[FG_HASH_HEX];
	int r = fg_sha256_hex(path, strlen(path), hex);

	if (r < 0)
		return r;
	memcpy(id, hex, 32);
	id[32] = '\0';
	return 0;
}

int fg_ckpt_state_file(const char *state_dir, const char *name, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/audit/%s", state_dir, name);

	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* --- the line ---------------------------------------------------------------- */

/* The signed part: everything before " sig=". */
static int signed_part(const struct fg_ckpt_rec *r, char *out, size_t cap)
{
	int n = snprintf(out, cap,
			 FG_CKPT_TAG "log=%s seq=%" PRIu64 " head=%s time=%s prev=%s from=%" PRIu64
			 " digest=%s key=%s",
			 r->log, r->seq, r->head, r->time, r->prev, r->from, r->digest, r->key);

	return n < 0 || (size_t)n >= cap ? -E2BIG : n;
}

int fg_ckpt_format(const struct fg_ckpt_rec *r, char *out, size_t cap)
{
	int n = signed_part(r, out, cap);

	if (n < 0)
		return n;
	if ((size_t)n + 5 + 128 + 1 > cap)
		return -E2BIG;
	snprintf(out + n, cap - (size_t)n, " sig=%s", r->sig);
	return 0;
}

int fg_ckpt_hash(const struct fg_ckpt_rec *r, char hash[65])
{
	char line[FG_CKPT_LINE_MAX];
	int ret = fg_ckpt_format(r, line, sizeof(line));

	if (ret < 0)
		return ret;
	ret = fg_sha256_hex(line, strlen(line), hash);
	hash[FG_HASH_HEX] = '\0';
	return ret;
}

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* "name=" then exactly n hex digits then a space or the end */
static const char *hex_field(const char *p, const char *end, const char *name, char *out,
			     size_t n)
{
	size_t k = strlen(name);

	if ((size_t)(end - p) < k + n || memcmp(p, name, k) != 0 || !is_hex(p + k, n))
		return NULL;
	p += k;
	memcpy(out, p, n);
	out[n] = '\0';
	p += n;
	if (p < end && *p != ' ')
		return NULL;
	return p < end ? p + 1 : p;
}

static const char *num_field(const char *p, const char *end, const char *name, uint64_t *seq)
{
	uint64_t v = 0;
	size_t k = strlen(name);

	if ((size_t)(end - p) < k + 1 || memcmp(p, name, k) != 0)
		return NULL;
	p += k;
	if (p >= end || *p < '1' || *p > '9')
		return NULL;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return NULL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p >= end || *p != ' ')
		return NULL;
	*seq = v;
	return p + 1;
}

static const char *time_field(const char *p, const char *end, char out[24])
{
	/* 2026-12-04T14:20:11Z */
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	size_t n = sizeof(shape) - 1;

	if ((size_t)(end - p) < 5 + n + 1 || memcmp(p, "time=", 5) != 0)
		return NULL;
	p += 5;
	for (size_t i = 0; i < n; i++)
		if (shape[i] == 'd' ? !(p[i] >= '0' && p[i] <= '9') : p[i] != shape[i])
			return NULL;
	memcpy(out, p, n);
	out[n] = '\0';
	return p[n] == ' ' ? p + n + 1 : NULL;
}

int fg_ckpt_parse(const char *text, size_t len, struct fg_ckpt_rec *r)
{
	const char *end = text + len, *p;
	size_t tl = strlen(FG_CKPT_TAG);

	p = memmem(text, len, FG_CKPT_TAG, tl);
	if (!p)
		return 0;
	p += tl;
	/* the line ends at a newline or the end; trailing blanks are the
	 * carrier's (journalctl, syslog) */
	{
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl)
			end = nl;
		while (end > p && (end[-1] == ' ' || end[-1] == '\r' || end[-1] == '\t'))
			end--;
	}
	memset(r, 0, sizeof(*r));
	p = hex_field(p, end, "log=", r->log, 32);
	p = p ? num_field(p, end, "seq=", &r->seq) : NULL;
	p = p ? hex_field(p, end, "head=", r->head, 64) : NULL;
	p = p ? time_field(p, end, r->time) : NULL;
	p = p ? hex_field(p, end, "prev=", r->prev, 64) : NULL;
	p = p ? num_field(p, end, "from=", &r->from) : NULL;
	if (p && (size_t)(end - p) >= 9 && memcmp(p, "digest=- ", 9) == 0) {
		strcpy(r->digest, "-");
		p += 9;
	} else {
		p = p ? hex_field(p, end, "digest=", r->digest, 64) : NULL;
	}
	p = p ? hex_field(p, end, "key=", r->key, 16) : NULL;
	p = p ? hex_field(p, end, "sig=", r->sig, 128) : NULL;
	return p && p == end ? 1 : -EBADMSG;
}

/* --- keys ---------------------------------------------------------------- */

struct fg_ckpt_pub {
	EVP_PKEY *k;
	char id[17];
};

static int key_id(EVP_PKEY *k, char id[17])
{
	unsigned char raw[32];
	size_t n = sizeof(raw);
	char hex[FG_HASH_HEX];

	if (EVP_PKEY_get_raw_public_key(k, raw, &n) != 1 || n != sizeof(raw))
		return -EINVAL;
	if (fg_sha256_hex(raw, n, hex) < 0)
		return -EIO;
	memcpy(id, hex, 16);
	id[16] = '\0';
	return 0;
}

int fg_ckpt_pub_load(const char *file, struct fg_ckpt_pub **out, char *err, size_t errlen)
{
	struct fg_ckpt_pub *p;
	FILE *f = fopen(file, "re");
	int r;

	if (!f) {
		r = -errno;
		snprintf(err, errlen, "cannot open public key '%s': %s", file, strerror(-r));
		return r;
	}
	p = calloc(1, sizeof(*p));
	if (p)
		p->k = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (!p || !p->k || EVP_PKEY_get_base_id(p->k) != EVP_PKEY_ED25519 ||
	    key_id(p->k, p->id) < 0) {
		snprintf(err, errlen, "'%s' is not an Ed25519 public key in PEM", file);
		fg_ckpt_pub_free(p);
		return -EINVAL;
	}
	*out = p;
	return 0;
}

const char *fg_ckpt_pub_id(const struct fg_ckpt_pub *k)
{
	return k->id;
}

void fg_ckpt_pub_free(struct fg_ckpt_pub *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->k);
	free(k);
}

static int unhex(const char *s, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v = 0;
		for (int j = 0; j < 2; j++) {
			char c = s[2 * i + (size_t)j];
			v = v * 16 + (unsigned)(c >= 'a' ? c - 'a' + 10 : c - '0');
		}
		out[i] = (unsigned char)v;
	}
	return 0;
}

int fg_ckpt_check(const struct fg_ckpt_pub *k, const struct fg_ckpt_rec *r)
{
	char msg[FG_CKPT_LINE_MAX];
	unsigned char sig[64];
	EVP_MD_CTX *ctx;
	int n, ok;

	if (strcmp(r->key, k->id) != 0)
		return -EBADMSG;
	n = signed_part(r, msg, sizeof(msg));
	if (n < 0)
		return n;
	unhex(r->sig, sig, sizeof(sig));
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k->k) == 1 &&
	     EVP_DigestVerify(ctx, sig, sizeof(sig), (const unsigned char *)msg, (size_t)n) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -EBADMSG;
}

/* mkdir -p with 0700 */
static int make_dir(const char *path)
{
	char d[PATH_MAX];
	struct stat st;

	if (snprintf(d, sizeof(d), "%s", path) >= (int)sizeof(d))
		return -ENAMETOOLONG;
	for (char *p = d + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(d, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(d, 0700) < 0 && errno != EEXIST)
		return -errno;
	return stat(d, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

static int write_pub(EVP_PKEY *k, const char *pub)
{
	char tmp[PATH_MAX + 8];
	FILE *f;
	int fd, ok;

	snprintf(tmp, sizeof(tmp), "%s.tmp", pub);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	(void)fchmod(fd, 0644);        /* the daemon's umask is 077 */
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	ok = PEM_write_PUBKEY(f, k) == 1;
	if (fclose(f) != 0 || !ok || rename(tmp, pub) < 0) {
		unlink(tmp);
		return -EIO;
	}
	return 0;
}

/* A new key, written 0600 with O_EXCL (two daemons starting at once: one
 * wins, the other reads the winner's). */
static int create_key(const char *priv, const char *pub, EVP_PKEY **out)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	FILE *f;
	int fd, ok, r;

	if (!k)
		return -EIO;
	fd = open(priv, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = -errno;
		EVP_PKEY_free(k);
		return r;
	}
	f = fdopen(fd, "w");
	ok = f && PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) == 1;
	if (f ? fclose(f) != 0 : close(fd) != 0)
		ok = 0;
	if (!ok || (r = write_pub(k, pub)) < 0) {
		unlink(priv);
		EVP_PKEY_free(k);
		return ok ? r : -EIO;
	}
	*out = k;
	return 0;
}

static int load_key(const char *state_dir, EVP_PKEY **out, char *err, size_t errlen)
{
	char priv[PATH_MAX], pub[PATH_MAX], dir[PATH_MAX];
	struct stat st;
	FILE *f;
	int r;

	if (fg_ckpt_state_file(state_dir, "signing.key", priv, sizeof(priv)) < 0 ||
	    fg_ckpt_state_file(state_dir, "signing.pub", pub, sizeof(pub)) < 0 ||
	    fg_ckpt_state_file(state_dir, "", dir, sizeof(dir)) < 0)
		return -ENAMETOOLONG;
	r = make_dir(dir);
	if (r < 0) {
		snprintf(err, errlen, "cannot create '%s': %s", dir, strerror(-r));
		return r;
	}
	r = create_key(priv, pub, out);
	if (r != -EEXIST) {
		if (r < 0)
			snprintf(err, errlen, "cannot create signing key '%s': %s", priv,
				 strerror(-r));
		return r;
	}
	f = fopen(priv, "re");
	if (!f || fstat(fileno(f), &st) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot open signing key '%s': %s", priv, strerror(-r));
		if (f)
			fclose(f);
		return r;
	}
	if (st.st_mode & 077 || st.st_uid != geteuid()) {
		fclose(f);
		snprintf(err, errlen, "signing key '%s' must be ours and mode 0600", priv);
		return -EPERM;
	}
	*out = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!*out || EVP_PKEY_get_base_id(*out) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(*out);
		snprintf(err, errlen, "'%s' is not an Ed25519 private key in PEM", priv);
		return -EINVAL;
	}
	/* the public key may have been removed: it is derived again */
	if (access(pub, R_OK) < 0)
		(void)write_pub(*out, pub);
	return 0;
}

/* --- the daemon's side --------------------------------------------------- */

struct fg_ckpt {
	EVP_PKEY *key;
	char key_id[17];
	char log[33];
	struct fg_wit *wit;
	unsigned every;
	/* the last record noted, and the last one checkpointed */
	uint64_t seq, done_seq;
	char hash[65];
	char prev[65];          /* hash of the last checkpoint line */
	unsigned since;         /* records noted since the last checkpoint */
	int64_t first_ms;       /* when the first of them was noted */
	uint64_t from;          /* the first of them */
	EVP_MD_CTX *md;         /* their lines, for a log chained with HMAC */
	int64_t last_ms;        /* when the last checkpoint was signed */
	bool soon;              /* fg_ckpt_soon asked: due at last_ms + SOON */
};

/* How much of a witness file's end resume() reads first (~100 lines). */
#define FG_CKPT_TAIL ((off_t)64 * 1024)

static int64_t now_ms(void)
{
	return fg_audit_now_ns(CLOCK_MONOTONIC) / 1000000;
}

/* The last checkpoint of this log in f from offset at on (the partial line
 * there skipped); false when there is none. */
static bool last_of(struct fg_ckpt *k, FILE *f, off_t at, struct fg_ckpt_rec *last)
{
	char line[FG_CKPT_LINE_MAX * 2];
	struct fg_ckpt_rec r;
	bool found = false;

	if (fseeko(f, at, SEEK_SET) != 0)
		return false;
	if (at > 0 && fgets(line, sizeof(line), f) == NULL)
		return false;
	while (fgets(line, sizeof(line), f))
		if (fg_ckpt_parse(line, strlen(line), &r) == 1 && strcmp(r.log, k->log) == 0) {
			*last = r;
			found = true;
		}
	return found;
}

/* Chain on the last checkpoint of this log in the witness file, if any.
 * The file grows by a line per checkpoint for as long as the log lives:
 * its tail is read first, the whole file only when the tail holds none. */
static void resume(struct fg_ckpt *k, const char *file)
{
	FILE *f = fopen(file, "re");
	struct fg_ckpt_rec last;
	struct stat st;
	bool found = false;

	memset(k->prev, '0', 64);
	k->prev[64] = '\0';
	if (!f)
		return;
	if (fstat(fileno(f), &st) == 0 && st.st_size > FG_CKPT_TAIL)
		found = last_of(k, f, st.st_size - FG_CKPT_TAIL, &last);
	if (!found)
		found = last_of(k, f, 0, &last);
	fclose(f);
	if (found && fg_ckpt_hash(&last, k->prev) == 0)
		k->done_seq = last.seq;
}

int fg_ckpt_open(const struct fg_ckpt_conf *c, struct fg_ckpt **out, char *err, size_t errlen)
{
	struct fg_ckpt *k = calloc(1, sizeof(*k));
	char name[64], file[PATH_MAX];
	int r;

	if (!k)
		return -ENOMEM;
	k->every = c->every ? c->every : FG_CKPT_EVERY;
	if (c->digest && !(k->md = EVP_MD_CTX_new())) {
		free(k);
		return -ENOMEM;
	}
	r = fg_ckpt_log_id(c->log, k->log);
	if (r == 0)
		r = load_key(c->state_dir, &k->key, err, errlen);
	if (r == 0 && key_id(k->key, k->key_id) < 0)
		r = -EINVAL;
	snprintf(name, sizeof(name), "%s.witness", k->log);
	if (r == 0)
		r = fg_ckpt_state_file(c->state_dir, name, file, sizeof(file));
	if (r == 0) {
		resume(k, file);
		r = fg_wit_open(c->witness, file, c->forward, &k->wit, err, errlen);
	}
	if (r < 0) {
		if (errlen && !err[0])
			snprintf(err, errlen, "checkpoints: %s", strerror(-r));
		EVP_PKEY_free(k->key);
		EVP_MD_CTX_free(k->md);
		free(k);
		return r;
	}
	*out = k;
	return 0;
}

void fg_ckpt_tap(void *arg, uint64_t seq, const char *hash, const char *line, size_t len)
{
	struct fg_ckpt *k = arg;

	if (k->since++ == 0) {
		k->first_ms = now_ms();
		k->from = seq;
		if (k->md)
			EVP_DigestInit_ex2(k->md, fg_ckpt_sha256(), NULL);
	}
	if (k->md)
		EVP_DigestUpdate(k->md, line, len && line[len - 1] == '\n' ? len - 1 : len);
	k->seq = seq;
	memcpy(k->hash, hash, 64);
	k->hash[64] = '\0';
	fg_wit_forward(k->wit, line, len);
}

int fg_ckpt_wait_ms(const struct fg_ckpt *k)
{
	int64_t left;

	if (!k || k->since == 0)
		return -1;
	left = k->first_ms + FG_CKPT_PERIOD_MS;
	if (k->soon && k->last_ms + FG_CKPT_SOON_MS < left)
		left = k->last_ms + FG_CKPT_SOON_MS;
	left -= now_ms();
	return left <= 0 ? 0 : (int)left;
}

bool fg_ckpt_due(const struct fg_ckpt *k)
{
	return k && k->since && (k->since >= k->every || fg_ckpt_wait_ms(k) == 0);
}

static int sign(EVP_PKEY *key, const char *msg, size_t n, char hex[129])
{
	unsigned char sig[64];
	size_t sl = sizeof(sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	if (!ctx)
		return -ENOMEM;
	ok = EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
	     EVP_DigestSign(ctx, sig, &sl, (const unsigned char *)msg, n) == 1 && sl == 64;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -EIO;
	fg_hex(sig, sl, hex);
	hex[128] = '\0';
	return 0;
}

int fg_ckpt_emit(struct fg_ckpt *k)
{
	struct fg_ckpt_rec r = { 0 };
	char msg[FG_CKPT_LINE_MAX], line[FG_CKPT_LINE_MAX];
	struct tm tm;
	time_t t = time(NULL);
	int n, ret;

	if (!k || k->since == 0)
		return 0;
	memcpy(r.log, k->log, sizeof(r.log));
	r.seq = k->seq;
	memcpy(r.head, k->hash, sizeof(r.head));
	gmtime_r(&t, &tm);
	strftime(r.time, sizeof(r.time), "%Y-%m-%dT%H:%M:%SZ", &tm);
	memcpy(r.prev, k->prev, sizeof(r.prev));
	r.from = k->from;
	strcpy(r.digest, "-");
	if (k->md) {
		unsigned char d[32];
		unsigned dl = 0;

		if (EVP_DigestFinal_ex(k->md, d, &dl) != 1 || dl != sizeof(d))
			return -EIO;
		fg_hex(d, sizeof(d), r.digest);
		r.digest[64] = '\0';
	}
	memcpy(r.key, k->key_id, sizeof(r.key));
	n = signed_part(&r, msg, sizeof(msg));
	if (n < 0)
		return n;
	ret = sign(k->key, msg, (size_t)n, r.sig);
	if (ret == 0)
		ret = fg_ckpt_format(&r, line, sizeof(line));
	if (ret == 0)
		ret = fg_ckpt_hash(&r, k->prev);
	if (ret < 0)
		return ret;
	k->done_seq = k->seq;
	k->since = 0;
	k->last_ms = now_ms();
	k->soon = false;
	fg_wit_send(k->wit, line);
	return 0;
}

int fg_ckpt_soon(struct fg_ckpt *k)
{
	if (!k || k->since == 0)
		return 0;
	if (k->last_ms == 0 || k->last_ms + FG_CKPT_SOON_MS <= now_ms())
		return fg_ckpt_emit(k);
	k->soon = true;
	return 0;
}

void fg_ckpt_status(struct fg_ckpt *k, char *out, size_t cap)
{
	if (!k) {
		snprintf(out, cap, "no checkpoints\n");
		return;
	}
	fg_wit_status(k->wit, out, cap);
}

void fg_ckpt_close(struct fg_ckpt *k)
{
	if (!k)
		return;
	fg_ckpt_emit(k);
	fg_wit_close(k->wit, 2000);
	EVP_PKEY_free(k->key);
	EVP_MD_CTX_free(k->md);
	free(k);
}
