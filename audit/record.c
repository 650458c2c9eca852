/* record.c - the record encoder and decoder, the chain hasher, key files,
 * errno names.
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
 * Called inside the shim's reentrancy guard: plain libc file calls, no stdio,
 * no allocation on the per-record path.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "audit/record.h"
#include "audit/sha256.h"

/* --- output buffer ------------------------------------------------------ */

void fg_buf_put(struct fg_buf *b, const void *s, size_t n)
{
	if (b->overflow || n > b->cap - b->len) {
		b->overflow = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

void fg_buf_puts(struct fg_buf *b, const char *s)
{
	fg_buf_put(b, s, strlen(s));
}

void fg_buf_u64(struct fg_buf *b, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	fg_buf_put(b, tmp + i, sizeof(tmp) - i);
}

void fg_buf_i64(struct fg_buf *b, int64_t v)
{
	if (v < 0) {
		fg_buf_put(b, "-", 1);
		fg_buf_u64(b, (uint64_t)0 - (uint64_t)v);
		return;
	}
	fg_buf_u64(b, (uint64_t)v);
}

static const char hexdig[] = "0123456789abcdef";

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if s[0] does not
 * start one.  Overlong forms, surrogates and code points past U+10FFFF are
 * invalid, so every escaped byte comes back as exactly that byte. */
size_t fg_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1;
	else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < need + 1)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i <= need; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return need + 1;
}

void fg_buf_json_str(struct fg_buf *b, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run;
	char esc[6];

	if (!str) {
		fg_buf_put(b, "null", 4);
		return;
	}
	fg_buf_put(b, "\"", 1);
	while (i < n) {
		/* copy the longest run that needs no escaping in one go */
		run = i;
		while (run < n && s[run] >= 0x20 && s[run] < 0x7f && s[run] != '"' && s[run] != '\\')
			run++;
		if (run > i) {
			fg_buf_put(b, s + i, run - i);
			i = run;
			continue;
		}
		unsigned char c = s[i];
		if (c >= 0x80) {
			size_t k = fg_utf8_len(s + i, n - i);
			if (k) {
				fg_buf_put(b, s + i, k);
				i += k;
				continue;
			}
			esc[0] = '\\'; esc[1] = 'u'; esc[2] = 'd'; esc[3] = 'c';
			esc[4] = hexdig[c >> 4]; esc[5] = hexdig[c & 15];
			fg_buf_put(b, esc, 6);
			i++;
			continue;
		}
		switch (c) {
		case '"': fg_buf_put(b, "\\\"", 2); break;
		case '\\': fg_buf_put(b, "\\\\", 2); break;
		case '\n': fg_buf_put(b, "\\n", 2); break;
		case '\t': fg_buf_put(b, "\\t", 2); break;
		case '\r': fg_buf_put(b, "\\r", 2); break;
		case '\b': fg_buf_put(b, "\\b", 2); break;
		case '\f': fg_buf_put(b, "\\f", 2); break;
		default:
			esc[0] = '\\'; esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
			esc[4] = hexdig[c >> 4]; esc[5] = hexdig[c & 15];
			fg_buf_put(b, esc, 6);
		}
		i++;
	}
	fg_buf_put(b, "\"", 1);
}

static void put_digits(char *p, uint64_t v, int width)
{
	while (width--) {
		p[width] = (char)('0' + v % 10);
		v /= 10;
	}
}

void fg_buf_ts(struct fg_buf *b, const struct timespec *ts)
{
	/* days since 1970-01-01 to a civil date (proleptic Gregorian) */
	int64_t secs = ts->tv_sec, days = secs / 86400, sod = secs % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = yoe + era * 400 + (m <= 2);
	char out[32] = "\"0000-00-00T00:00:00.000000000Z\"";

	if (y < 0 || y > 9999)
		y = 0;
	put_digits(out + 1, (uint64_t)y, 4);
	put_digits(out + 6, (uint64_t)m, 2);
	put_digits(out + 9, (uint64_t)d, 2);
	put_digits(out + 12, (uint64_t)(sod / 3600), 2);
	put_digits(out + 15, (uint64_t)(sod / 60 % 60), 2);
	put_digits(out + 18, (uint64_t)(sod % 60), 2);
	put_digits(out + 21, (uint64_t)ts->tv_nsec, 9);
	fg_buf_put(b, out, 32);
}

/* --- records ------------------------------------------------------------ */

int fg_rec_ident(struct fg_rec_ident *id, const char *host, uid_t uid,
		 const char *agent, const char *exe)
{
	struct fg_buf b = { id->host, 0, sizeof(id->host) - 1, false };

	fg_buf_puts(&b, ",\"host\":");
	fg_buf_json_str(&b, host, host ? strnlen(host, 255) : 0);
	if (b.overflow)
		return -E2BIG;
	id->host[b.len] = '\0';

	b = (struct fg_buf){ id->agent_exe, 0, sizeof(id->agent_exe) - 1, false };
	fg_buf_puts(&b, ",\"agent\":");
	fg_buf_json_str(&b, agent, agent ? strnlen(agent, 4096) : 0);
	fg_buf_puts(&b, ",\"exe\":");
	fg_buf_json_str(&b, exe, exe ? strnlen(exe, 4096) : 0);
	if (b.overflow)
		return -E2BIG;
	id->agent_exe[b.len] = '\0';
	id->uid = (uint32_t)uid;
	return 0;
}

static void put_key(struct fg_buf *b, const char *key)
{
	fg_buf_put(b, ",", 1);
	fg_buf_json_str(b, key, strlen(key));
	fg_buf_put(b, ":", 1);
}

static void put_octal(struct fg_buf *b, uint64_t v)
{
	char tmp[26];
	size_t i = sizeof(tmp);

	tmp[--i] = '"';
	do {
		tmp[--i] = (char)('0' + (v & 7));
		v >>= 3;
	} while (v);
	if (tmp[i] != '0')
		tmp[--i] = '0';
	tmp[--i] = '"';
	fg_buf_put(b, tmp + i, sizeof(tmp) - i);
}

static void put_strv(struct fg_buf *b, const char *const *v)
{
	size_t start = b->len, i;

	if (!v) {
		fg_buf_put(b, "null", 4);
		return;
	}
	fg_buf_put(b, "[", 1);
	for (i = 0; v[i]; i++) {
		size_t before = b->len;
		if (i)
			fg_buf_put(b, ",", 1);
		fg_buf_json_str(b, v[i], strlen(v[i]));
		if (!b->overflow && b->len - start <= FG_AUDIT_STRV_MAX)
			continue;
		/* too long: drop this element and the rest, say so */
		if (b->overflow && before + 6 > b->cap)
			return;
		b->overflow = false;
		b->len = before;
		fg_buf_put(b, i ? ",\"...\"" : "\"...\"", i ? 6 : 5);
		break;
	}
	fg_buf_put(b, "]", 1);
}

int fg_rec_encode(struct fg_buf *b, uint64_t seq, const struct timespec *ts,
		  const struct fg_rec_ident *id, pid_t pid,
		  const struct fg_audit_rec *r, const char prev[FG_HASH_HEX])
{
	size_t i;

	if (!r || !r->op || (r->nf && !r->f))
		return -EINVAL;
	b->len = 0;
	b->overflow = false;
	fg_buf_put(b, "{\"seq\":", 7);
	fg_buf_u64(b, seq);
	fg_buf_put(b, ",\"ts\":", 6);
	fg_buf_ts(b, ts);
	fg_buf_puts(b, id->host);
	fg_buf_put(b, ",\"pid\":", 7);
	fg_buf_i64(b, pid);
	fg_buf_put(b, ",\"uid\":", 7);
	fg_buf_u64(b, id->uid);
	fg_buf_puts(b, id->agent_exe);
	fg_buf_put(b, ",\"op\":", 6);
	fg_buf_json_str(b, r->op, strlen(r->op));
	for (i = 0; i < r->nf; i++) {
		const struct fg_audit_field *f = &r->f[i];

		if (!f->key)
			return -EINVAL;
		put_key(b, f->key);
		switch (f->type) {
		case FG_AF_STR:
			fg_buf_json_str(b, f->s, f->len);
			break;
		case FG_AF_INT:
			fg_buf_i64(b, f->i);
			break;
		case FG_AF_OCT:
			put_octal(b, (uint64_t)f->i);
			break;
		case FG_AF_STRV:
			put_strv(b, f->v);
			break;
		case FG_AF_NULL:
			fg_buf_put(b, "null", 4);
			break;
		default:
			return -EINVAL;
		}
	}
	fg_buf_put(b, ",\"decision\":", 12);
	fg_buf_json_str(b, r->decision, r->decision ? strlen(r->decision) : 0);
	fg_buf_put(b, ",\"rule\":", 8);
	fg_buf_json_str(b, r->rule, r->rule ? strlen(r->rule) : 0);
	fg_buf_put(b, ",\"result\":", 10);
	if (r->result == 0)
		fg_buf_put(b, "0", 1);
	else {
		const char *name = fg_errno_name(r->result);
		fg_buf_json_str(b, name, strlen(name));
	}
	fg_buf_put(b, ",\"prev\":\"", 9);
	fg_buf_put(b, prev, FG_HASH_HEX);
	fg_buf_put(b, "\"", 1);
	/* room for the trailer must remain */
	if (b->overflow || b->len + FG_TRAILER_HASH_LEN + 1 > b->cap ||
	    b->len + FG_TRAILER_HASH_LEN + 1 > FG_AUDIT_LINE_MAX)
		return -E2BIG;
	return 0;
}

int fg_rec_finish(struct fg_buf *b, const char hash[FG_HASH_HEX])
{
	fg_buf_put(b, ",\"hash\":\"", 9);
	fg_buf_put(b, hash, FG_HASH_HEX);
	fg_buf_put(b, "\"}\n", 3);
	return b->overflow ? -E2BIG : 0;
}

static bool ishex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool fg_is_hex64(const char *s)
{
	for (int i = 0; i < FG_HASH_HEX; i++)
		if (!ishex(s[i]))
			return false;
	return true;
}

int fg_rec_frame(const char *line, size_t len, uint64_t *seq,
		 const char **prev, const char **hash)
{
	const char *t, *p = line + 7;
	uint64_t v = 0;

	if (len < 7 + 1 + 1 + FG_TRAILER_LEN || memcmp(line, "{\"seq\":", 7) != 0)
		return -EBADMSG;
	if (*p < '1' || *p > '9')
		return -EBADMSG;
	while (*p >= '0' && *p <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			return -EBADMSG;
		v = v * 10 + (uint64_t)(*p - '0');
		p++;
	}
	if (*p != ',')
		return -EBADMSG;
	t = line + len - FG_TRAILER_LEN;
	if (t < p || memcmp(t, ",\"prev\":\"", 9) != 0 || !fg_is_hex64(t + 9) ||
	    memcmp(t + 73, "\",\"hash\":\"", 10) != 0 || !fg_is_hex64(t + 83) ||
	    memcmp(t + 147, "\"}", 2) != 0)
		return -EBADMSG;
	*seq = v;
	*prev = t + 9;
	*hash = t + 83;
	return 0;
}

/* --- hashing ------------------------------------------------------------ */

struct fg_hasher {
	EVP_MD_CTX *md;
	EVP_MAC_CTX *mac;
};

static pthread_once_t algs_once = PTHREAD_ONCE_INIT;
static EVP_MD *alg_sha256;
static EVP_MAC *alg_hmac;

static void algs_fetch(void)
{
	alg_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	alg_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

void fg_hex(const unsigned char *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexdig[in[i] >> 4];
		out[2 * i + 1] = hexdig[in[i] & 15];
	}
}

int fg_hasher_new(struct fg_hasher **out, const unsigned char *key, size_t keylen)
{
	struct fg_hasher *h;
	OSSL_PARAM params[2];

	pthread_once(&algs_once, algs_fetch);
	if (!alg_sha256 || (key && !alg_hmac))
		return -ENOSYS;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	if (!key) {
		h->md = EVP_MD_CTX_new();
		if (!h->md)
			goto out_free;
		*out = h;
		return 0;
	}
	h->mac = EVP_MAC_CTX_new(alg_hmac);
	if (!h->mac)
		goto out_free;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(h->mac, key, keylen, params))
		goto out_free_mac;
	*out = h;
	return 0;

out_free_mac:
	EVP_MAC_CTX_free(h->mac);
out_free:
	free(h);
	return -ENOMEM;
}

void fg_hasher_free(struct fg_hasher *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->md);
	EVP_MAC_CTX_free(h->mac);
	free(h);
}

int fg_hasher_begin(struct fg_hasher *h)
{
	if (h->mac)
		/* a NULL key restarts HMAC with the key already set */
		return EVP_MAC_init(h->mac, NULL, 0, NULL) ? 0 : -EIO;
	return EVP_DigestInit_ex2(h->md, alg_sha256, NULL) ? 0 : -EIO;
}

int fg_hasher_update(struct fg_hasher *h, const void *p, size_t n)
{
	if (h->mac)
		return EVP_MAC_update(h->mac, p, n) ? 0 : -EIO;
	return EVP_DigestUpdate(h->md, p, n) ? 0 : -EIO;
}

int fg_hasher_end(struct fg_hasher *h, char hex[FG_HASH_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t maclen = 0;

	if (h->mac) {
		if (!EVP_MAC_final(h->mac, md, &maclen, sizeof(md)) || maclen != 32)
			return -EIO;
	} else if (!EVP_DigestFinal_ex(h->md, md, &mdlen) || mdlen != 32)
		return -EIO;
	fg_hex(md, 32, hex);
	return 0;
}

int fg_hasher_line(struct fg_hasher *h, const void *p, size_t n, char hex[FG_HASH_HEX])
{
	int r = fg_hasher_begin(h);

	if (!r)
		r = fg_hasher_update(h, p, n);
	if (!r)
		r = fg_hasher_end(h, hex);
	return r;
}

int fg_sha256_hex(const void *p, size_t n, char hex[FG_HASH_HEX])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	pthread_once(&algs_once, algs_fetch);
	if (!alg_sha256)
		return -ENOSYS;
	if (!EVP_Digest(p, n, md, &mdlen, alg_sha256, NULL) || mdlen != 32)
		return -EIO;
	fg_hex(md, 32, hex);
	return 0;
}

/* Built-in SHA-256 (sha256.c): the library hashes the policy file in the
 * first process of a tree, where loading libcrypto would cost more than
 * the rest of its start-up together. */
void fg_sha256_bytes(const void *p, size_t n, char hex[65])
{
	unsigned char md[32];
	struct fg_sha256 c;

	fg_sha256_init(&c);
	fg_sha256_update(&c, p, n);
	fg_sha256_final(&c, md);
	fg_hex(md, 32, hex);
	hex[64] = '\0';
}

int fg_sha256_file(const char *path, char hex[65])
{
	unsigned char buf[16384], md[32];
	struct fg_sha256 c;
	ssize_t n;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	fg_sha256_init(&c);
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto out_close;
		}
		if (n == 0)
			break;
		fg_sha256_update(&c, buf, (size_t)n);
	}
	fg_sha256_final(&c, md);
	fg_hex(md, 32, hex);
	hex[64] = '\0';
out_close:
	close(fd);
	return r;
}

int fg_key_load(const char *path, unsigned char key[FG_KEY_MAX], size_t *keylen,
		char *err, size_t errlen)
{
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot open key file '%s': %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot stat key file '%s': %s", path, strerror(-r));
		goto out_close;
	}
	r = -EPERM;
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "key file '%s' is not a regular file", path);
		goto out_close;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		snprintf(err, errlen, "key file '%s' is owned by uid %u, expected %u or root",
			 path, (unsigned)st.st_uid, (unsigned)geteuid());
		goto out_close;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen,
			 "key file '%s' is accessible by group or others (mode %04o)\n"
			 "hint: chmod 600 '%s'", path, (unsigned)(st.st_mode & 07777), path);
		goto out_close;
	}
	for (;;) {
		n = read(fd, key + len, FG_KEY_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			snprintf(err, errlen, "cannot read key file '%s': %s", path, strerror(-r));
			goto out_close;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == FG_KEY_MAX) {
			r = -EINVAL;
			snprintf(err, errlen, "key file '%s' is longer than %d bytes", path,
				 FG_KEY_MAX - 1);
			goto out_close;
		}
	}
	if (len && key[len - 1] == '\n') {
		len--;
		if (len && key[len - 1] == '\r')
			len--;
	}
	if (len < FG_KEY_MIN) {
		r = -EINVAL;
		snprintf(err, errlen, "key file '%s' holds %zu bytes, at least %d needed\n"
			 "hint: head -c 32 /dev/urandom > '%s'", path, len, FG_KEY_MIN, path);
		goto out_close;
	}
	*keylen = len;
	r = 0;
out_close:
	close(fd);
	return r;
}

/* --- decoding ----------------------------------------------------------- */

static int hex4(const char *s, const char *lim, unsigned *v)
{
	unsigned x = 0;

	if (lim - s < 4)
		return -EBADMSG;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		x <<= 4;
		if (c >= '0' && c <= '9')
			x |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			x |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			x |= (unsigned)(c - 'A' + 10);
		else
			return -EBADMSG;
	}
	*v = x;
	return 0;
}

static size_t utf8_put(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

int fg_json_unescape(const char *s, const char *lim, char *out, size_t outcap,
		     size_t *outlen, const char **end)
{
	size_t o = 0;
	char tmp[4];
	size_t k;

	if (s >= lim || *s != '"')
		return -EBADMSG;
	s++;
	while (s < lim && *s != '"') {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20)
			return -EBADMSG;
		if (c != '\\') {
			k = fg_utf8_len((const unsigned char *)s, (size_t)(lim - s));
			if (!k)
				return -EBADMSG;
			if (o + k > outcap)
				return -ENOBUFS;
			memcpy(out + o, s, k);
			o += k;
			s += k;
			continue;
		}
		if (++s >= lim)
			return -EBADMSG;
		k = 1;
		switch (*s) {
		case '"': tmp[0] = '"'; break;
		case '\\': tmp[0] = '\\'; break;
		case '/': tmp[0] = '/'; break;
		case 'b': tmp[0] = '\b'; break;
		case 'f': tmp[0] = '\f'; break;
		case 'n': tmp[0] = '\n'; break;
		case 'r': tmp[0] = '\r'; break;
		case 't': tmp[0] = '\t'; break;
		case 'u': {
			unsigned cp, lo;
			if (hex4(s + 1, lim, &cp))
				return -EBADMSG;
			s += 4;
			if (cp >= 0xd800 && cp <= 0xdbff && lim - s >= 7 && s[1] == '\\' &&
			    s[2] == 'u' && !hex4(s + 3, lim, &lo) && lo >= 0xdc00 && lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				s += 6;
				k = utf8_put(tmp, cp);
			} else if (cp >= 0xdc80 && cp <= 0xdcff) {
				tmp[0] = (char)(cp & 0xff);   /* an escaped raw byte */
			} else if (cp >= 0xd800 && cp <= 0xdfff) {
				return -EBADMSG;
			} else
				k = utf8_put(tmp, cp);
			break;
		}
		default:
			return -EBADMSG;
		}
		if (o + k > outcap)
			return -ENOBUFS;
		memcpy(out + o, tmp, k);
		o += k;
		s++;
	}
	if (s >= lim)
		return -EBADMSG;
	*outlen = o;
	*end = s + 1;
	return 0;
}

/* --- errno names -------------------------------------------------------- */

static const struct {
	int e;
	const char *name;
} errno_tab[] = {
#define FG_ERRNO_NAME(e) { e, #e },
#include "audit/errno_names.h"
#undef FG_ERRNO_NAME
};

const char *fg_errno_name(int err)
{
	static __thread char unknown[24];

	if (err < 0)
		err = -err;
	for (size_t i = 0; i < sizeof(errno_tab) / sizeof(errno_tab[0]); i++)
		if (errno_tab[i].e == err)
			return errno_tab[i].name;
	snprintf(unknown, sizeof(unknown), "E%d", err);
	return unknown;
}
