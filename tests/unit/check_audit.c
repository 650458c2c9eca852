/* check_audit.c - the audit module: encoder, chain, writer, verifier.
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

#include <check.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "audit/checkpoint.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "audit/audit.h"
#include "audit/record.h"
#include "audit/sha256.h"
#include "audit/verify.h"
#include "tests/unit/check_main.h"

static const char zero64[] =
	"0000000000000000000000000000000000000000000000000000000000000000";

/* --- helpers ------------------------------------------------------------ */

static char tmpdir[64];
static char logpath[128];

static void setup_dir(void)
{
	strcpy(tmpdir, "/tmp/fg-check-audit.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(logpath, sizeof(logpath), "%s/log/audit.log", tmpdir);
}

static void teardown_dir(void)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Encode s as a JSON string into out (NUL-terminated). */
static void enc(const char *s, size_t n, char *out, size_t cap)
{
	struct fg_buf b = { out, 0, cap - 1, false };

	fg_buf_json_str(&b, s, n);
	ck_assert(!b.overflow);
	out[b.len] = '\0';
}

/* Decode it back and compare with the original bytes. */
static void round_trip(const char *s, size_t n)
{
	char j[4096], back[1024];
	size_t outlen;
	const char *end;

	enc(s, n, j, sizeof(j));
	ck_assert_int_eq(fg_json_unescape(j, j + strlen(j), back, sizeof(back), &outlen, &end), 0);
	ck_assert_uint_eq(outlen, n);
	ck_assert(memcmp(back, s, n) == 0);
	ck_assert(end == j + strlen(j));
	/* and the encoding is valid JSON on its own */
	char obj[4200];
	snprintf(obj, sizeof(obj), "{\"k\":%s}", j);
	ck_assert_int_eq(fg_json_fields(obj, strlen(obj), NULL, NULL), 0);
}

/* End a forked (not vforked) child with exit(), not _exit(): a --coverage
 * build writes the child's counters from an exit handler. */
static void child_exit(int status)
{
	exit(status);
}

static int open_log(struct fg_audit **a, const char *key, uint64_t max_size)
{
	struct fg_audit_conf c = {
		.path = logpath, .fsync = FG_AUDIT_FSYNC_NEVER, .key_file = key,
		.max_size = max_size, .agent = "tester", .exe = "/bin/check",
	};
	char err[512];
	int r = fg_audit_open(&c, a, err, sizeof(err));

	if (r < 0)
		fprintf(stderr, "open: %s\n", err);
	return r;
}

static int append_n(struct fg_audit *a, int n)
{
	for (int i = 0; i < n; i++) {
		char p[32];
		int len = snprintf(p, sizeof(p), "/ws/f%d", i);
		struct fg_audit_field f[] = { { .key = "path", .type = FG_AF_STR, .s = p, .len = (size_t)len } };
		struct fg_audit_rec r = { .op = "open", .f = f, .nf = 1, .decision = "allow",
					  .rule = "p.ini:3", .result = 0 };
		int e = fg_audit_append(a, &r);
		if (e < 0)
			return e;
	}
	return 0;
}

static enum fg_verify_status verify_path(const char *path, const unsigned char *key,
					 size_t keylen, struct fg_verify_result *res)
{
	struct fg_verify_opts o = { .key = key, .keylen = keylen };
	char **files;
	size_t n;

	ck_assert_int_eq(fg_verify_discover(path, 0, &files, &n, res), 0);
	if (res->status == FG_VERIFY_INTACT)
		ck_assert_int_eq(fg_verify_files((const char *const *)files, n, &o, res), 0);
	free(files);
	return res->status;
}

static void write_file(const char *path, const char *data, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

static size_t read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, cap - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	close(fd);
	return (size_t)n;
}

/* --- allocation failures ------------------------------------------------- */

#include "tests/unit/failmalloc.h"

#if FG_FAILMALLOC

/* libcrypto binds malloc inside libc, not ours: give it ours. */
static void *crypto_malloc(size_t n, const char *file, int line)
{
	(void)file, (void)line;
	return malloc(n);
}

static void *crypto_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file, (void)line;
	return realloc(p, n);
}

static void crypto_free(void *p, const char *file, int line)
{
	(void)file, (void)line;
	free(p);
}
#endif

/* --- encoder ------------------------------------------------------------ */

START_TEST(test_escape_ascii)
{
	char out[256];

	enc("plain /path", 11, out, sizeof(out));
	ck_assert_str_eq(out, "\"plain /path\"");
	enc("q\"b\\n\nt\tr\rb\bf\f", 14, out, sizeof(out));
	ck_assert_str_eq(out, "\"q\\\"b\\\\n\\nt\\tr\\rb\\bf\\f\"");
	enc("\x01\x1f\x7f", 3, out, sizeof(out));
	ck_assert_str_eq(out, "\"\\u0001\\u001f\\u007f\"");
	enc("a\0b", 3, out, sizeof(out));
	ck_assert_str_eq(out, "\"a\\u0000b\"");
	enc(NULL, 0, out, sizeof(out));
	ck_assert_str_eq(out, "null");
}
END_TEST

START_TEST(test_escape_utf8)
{
	char out[256];

	/* valid UTF-8 of every length is kept as is */
	enc("caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e", 14, out, sizeof(out));
	ck_assert_str_eq(out, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e\"");
	/* a lone byte, a truncated sequence, an overlong form, a surrogate and
	 * a code point past U+10FFFF: every byte escaped on its own */
	enc("\xff", 1, out, sizeof(out));
	ck_assert_str_eq(out, "\"\\udcff\"");
	enc("a\xc3", 2, out, sizeof(out));
	ck_assert_str_eq(out, "\"a\\udcc3\"");
	enc("\xc0\xaf", 2, out, sizeof(out));
	ck_assert_str_eq(out, "\"\\udcc0\\udcaf\"");
	enc("\xed\xa0\x80", 3, out, sizeof(out));
	ck_assert_str_eq(out, "\"\\udced\\udca0\\udc80\"");
	enc("\xf4\x90\x80\x80", 4, out, sizeof(out));
	ck_assert_str_eq(out, "\"\\udcf4\\udc90\\udc80\\udc80\"");
	/* the escape of a byte is not confused with real text "\udcff" */
	enc("\\udcff", 6, out, sizeof(out));
	ck_assert_str_eq(out, "\"\\\\udcff\"");
}
END_TEST

START_TEST(test_round_trip_bytes)
{
	char s[300];
	unsigned seed = 12345;

	for (int c = 0; c < 256; c++) {
		s[0] = (char)c;
		round_trip(s, 1);
	}
	round_trip("\\udcff", 6);
	round_trip("\xed\xb3\xbf", 3);  /* the UTF-8 form of U+DCFF, invalid */
	for (int i = 0; i < 2000; i++) {
		size_t n = (size_t)(rand_r(&seed) % 40);
		for (size_t k = 0; k < n; k++)
			s[k] = (char)(rand_r(&seed) % 256);
		round_trip(s, n);
	}
}
END_TEST

START_TEST(test_unescape_rejects)
{
	static const char *const bad[] = {
		"\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"a\x01\"", "\"\xff\"", "x",
	};
	char out[64];
	size_t n;
	const char *end;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(fg_json_unescape(bad[i], bad[i] + strlen(bad[i]), out, sizeof(out),
						  &n, &end), -EBADMSG);
	/* a surrogate pair is one code point */
	const char *pair = "\"\\ud834\\udd1e\"";
	ck_assert_int_eq(fg_json_unescape(pair, pair + strlen(pair), out, sizeof(out), &n, &end), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert(memcmp(out, "\xf0\x9d\x84\x9e", 4) == 0);
}
END_TEST

START_TEST(test_timestamp)
{
	static const struct { time_t s; long ns; const char *want; } cases[] = {
		{ 0, 0, "\"1970-01-01T00:00:00.000000000Z\"" },
		{ 951782400, 5, "\"2000-02-29T00:00:00.000000005Z\"" },
		{ 4102444799, 999999999, "\"2099-12-31T23:59:59.999999999Z\"" },
		{ 1772323200, 123456789, "\"2026-03-01T00:00:00.123456789Z\"" },
	};
	char out[40];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fg_buf b = { out, 0, sizeof(out) - 1, false };
		struct timespec ts = { cases[i].s, cases[i].ns };
		fg_buf_ts(&b, &ts);
		out[b.len] = '\0';
		ck_assert_str_eq(out, cases[i].want);
	}
}
END_TEST

START_TEST(test_record_fields)
{
	static const char *const argv[] = { "python3", "agent.py", "--x=\"y\"", NULL };
	struct fg_audit_field f[] = {
		{ .key = "path", .type = FG_AF_STR, .s = "/ws/a\xff", .len = 6 },
		{ .key = "path2", .type = FG_AF_STR, .s = NULL },
		{ .key = "flags", .type = FG_AF_INT, .i = -524289 },
		{ .key = "mode", .type = FG_AF_OCT, .i = 0644 },
		{ .key = "zero", .type = FG_AF_OCT, .i = 0 },
		{ .key = "argv", .type = FG_AF_STRV, .v = argv },
		{ .key = "none", .type = FG_AF_STRV, .v = NULL },
		{ .key = "addr", .type = FG_AF_NULL },
		{ .key = "big", .type = FG_AF_INT, .i = INT64_MIN },
	};
	struct fg_audit_rec r = { .op = "open", .f = f, .nf = 9, .decision = "deny",
				  .rule = "ws/p.ini:12", .result = EACCES };
	struct fg_rec_ident id;
	struct timespec ts = { 0, 1 };
	char line[2048], hex[FG_HASH_HEX];
	struct fg_buf b = { line, 0, sizeof(line), false };
	uint64_t seq;
	const char *prev, *hash;

	ck_assert_int_eq(fg_rec_ident(&id, "h\"ost", 1000, "coder-7", NULL), 0);
	ck_assert_int_eq(fg_rec_encode(&b, 42, &ts, &id, 77, &r, zero64), 0);
	size_t hashed = b.len;
	ck_assert_int_eq(fg_sha256_hex(line, hashed, hex), 0);
	ck_assert_int_eq(fg_rec_finish(&b, hex), 0);
	line[b.len] = '\0';
	char want[2048];
	snprintf(want, sizeof(want),
		 "{\"seq\":42,\"ts\":\"1970-01-01T00:00:00.000000001Z\",\"host\":\"h\\\"ost\","
		 "\"pid\":77,\"uid\":1000,\"agent\":\"coder-7\",\"exe\":null,\"op\":\"open\","
		 "\"path\":\"/ws/a\\udcff\",\"path2\":null,\"flags\":-524289,\"mode\":\"0644\","
		 "\"zero\":\"0\",\"argv\":[\"python3\",\"agent.py\",\"--x=\\\"y\\\"\"],\"none\":null,"
		 "\"addr\":null,\"big\":-9223372036854775808,\"decision\":\"deny\","
		 "\"rule\":\"ws/p.ini:12\",\"result\":\"EACCES\",\"prev\":\"%s\",\"hash\":\"%.64s\"}\n",
		 zero64, hex);
	ck_assert_str_eq(line, want);
	/* the frame finds seq, prev and hash; the hash covers up to ,"hash": */
	ck_assert_int_eq(fg_rec_frame(line, b.len - 1, &seq, &prev, &hash), 0);
	ck_assert_uint_eq(seq, 42);
	ck_assert(prev == strstr(line, zero64));
	ck_assert(memcmp(hash, hex, FG_HASH_HEX) == 0);
	ck_assert(line + hashed == strstr(line, ",\"hash\":"));
	ck_assert_int_eq(fg_json_fields(line, b.len - 1, NULL, NULL), 0);
}
END_TEST

START_TEST(test_record_nulls_and_limits)
{
	struct fg_audit_rec r = { .op = "exit", .result = 0 };
	struct fg_rec_ident id;
	struct timespec ts = { 1, 0 };
	static char line[FG_AUDIT_LINE_MAX], big[FG_AUDIT_LINE_MAX];
	struct fg_buf b = { line, 0, sizeof(line), false };
	static const char *argv[2000];

	ck_assert_int_eq(fg_rec_ident(&id, "h", 0, NULL, NULL), 0);
	ck_assert_int_eq(fg_rec_encode(&b, 1, &ts, &id, 1, &r, zero64), 0);
	line[b.len] = '\0';
	ck_assert_ptr_nonnull(strstr(line, "\"op\":\"exit\",\"decision\":null,\"rule\":null,\"result\":0,"));
	/* a huge argv is cut and says so */
	for (int i = 0; i < 1999; i++)
		argv[i] = "0123456789abcdef0123456789abcdef";
	struct fg_audit_field fv = { .key = "argv", .type = FG_AF_STRV, .v = argv };
	r.f = &fv;
	r.nf = 1;
	ck_assert_int_eq(fg_rec_encode(&b, 1, &ts, &id, 1, &r, zero64), 0);
	line[b.len] = '\0';
	ck_assert_ptr_nonnull(strstr(line, ",\"...\"],\"decision\""));
	ck_assert_uint_lt(b.len, FG_AUDIT_STRV_MAX + 600);
	/* a single operand too long for a line is refused, not cut */
	memset(big, 'a', sizeof(big));
	struct fg_audit_field fs = { .key = "path", .type = FG_AF_STR, .s = big, .len = sizeof(big) };
	r.f = &fs;
	ck_assert_int_eq(fg_rec_encode(&b, 1, &ts, &id, 1, &r, zero64), -E2BIG);
	/* bad input */
	struct fg_audit_field fbad = { .key = "x", .type = (enum fg_audit_ftype)99 };
	r.f = &fbad;
	ck_assert_int_eq(fg_rec_encode(&b, 1, &ts, &id, 1, &r, zero64), -EINVAL);
	r.op = NULL;
	ck_assert_int_eq(fg_rec_encode(&b, 1, &ts, &id, 1, &r, zero64), -EINVAL);
}
END_TEST

START_TEST(test_errno_names)
{
	ck_assert_str_eq(fg_errno_name(EACCES), "EACCES");
	ck_assert_str_eq(fg_errno_name(-ENOENT), "ENOENT");
	ck_assert_str_eq(fg_errno_name(EWOULDBLOCK), "EAGAIN");
	ck_assert_str_eq(fg_errno_name(ECONNREFUSED), "ECONNREFUSED");
	ck_assert_str_eq(fg_errno_name(9999), "E9999");
}
END_TEST

START_TEST(test_frame_rejects)
{
	uint64_t seq;
	const char *p, *h;
	char line[400];

	snprintf(line, sizeof(line), "{\"seq\":1,\"op\":\"x\",\"prev\":\"%s\",\"hash\":\"%s\"}", zero64, zero64);
	ck_assert_int_eq(fg_rec_frame(line, strlen(line), &seq, &p, &h), 0);
	snprintf(line, sizeof(line), "{\"seq\":01,\"op\":\"x\",\"prev\":\"%s\",\"hash\":\"%s\"}", zero64, zero64);
	ck_assert_int_eq(fg_rec_frame(line, strlen(line), &seq, &p, &h), -EBADMSG);
	snprintf(line, sizeof(line), "{\"seq\":1,\"op\":\"x\",\"prev\":\"%s\",\"hash\":\"%.63sA\"}", zero64, zero64);
	ck_assert_int_eq(fg_rec_frame(line, strlen(line), &seq, &p, &h), -EBADMSG);
	snprintf(line, sizeof(line), "{\"seq\":1,\"op\":\"x\",\"prev\":\"%s\",\"hash\":\"%s\"", zero64, zero64);
	ck_assert_int_eq(fg_rec_frame(line, strlen(line), &seq, &p, &h), -EBADMSG);
	snprintf(line, sizeof(line), "{\"seq\":99999999999999999999,\"prev\":\"%s\",\"hash\":\"%s\"}", zero64, zero64);
	ck_assert_int_eq(fg_rec_frame(line, strlen(line), &seq, &p, &h), -EBADMSG);
}
END_TEST

START_TEST(test_json_fields)
{
	static const char *const good[] = {
		"{}", "{\"a\":1}", "{\"a\":-0,\"b\":[],\"c\":[\"x\",null,2],\"d\":true,\"e\":false}",
	};
	static const char *const bad[] = {
		"{", "{\"a\":}", "{\"a\":1,}", "{\"a\":01}", "{\"a\":1} ", "{ \"a\":1}",
		"{\"a\":{\"b\":1}}", "{\"a\":[[1]]}", "{\"a\":\"\xc3\"}", "{\"a\":1.5}", "{a:1}",
	};
	const char *v;
	size_t vl;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(fg_json_fields(good[i], strlen(good[i]), NULL, NULL) == 0, "%s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(fg_json_fields(bad[i], strlen(bad[i]), NULL, NULL) == -EBADMSG, "%s", bad[i]);
	ck_assert_int_eq(fg_json_get(good[2], strlen(good[2]), "c", &v, &vl), 0);
	ck_assert_uint_eq(vl, 12);
	ck_assert(memcmp(v, "[\"x\",null,2]", 12) == 0);
	ck_assert_int_eq(fg_json_get(good[2], strlen(good[2]), "zz", &v, &vl), -ENOENT);
}
END_TEST

/* --- hashing and keys ---------------------------------------------------- */

/* Checkpoint lines: found behind a carrier's prefix, every field checked,
 * formatted back to the same bytes. */
START_TEST(test_checkpoint_parse)
{
	static const char good[] =
		"fleetguard-checkpoint v1 log=0123456789abcdef0123456789abcdef seq=451 "
		"head=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
		"time=2026-12-04T14:20:11Z "
		"prev=0000000000000000000000000000000000000000000000000000000000000000 "
		"from=400 digest=- key=0011223344556677 "
		"sig=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
		"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
	struct fg_ckpt_rec r;
	char line[FG_CKPT_LINE_MAX * 2], out[FG_CKPT_LINE_MAX];

	ck_assert_int_eq(fg_ckpt_parse(good, strlen(good), &r), 1);
	ck_assert_uint_eq(r.seq, 451);
	ck_assert_uint_eq(r.from, 400);
	ck_assert_str_eq(r.digest, "-");
	ck_assert_str_eq(r.time, "2026-12-04T14:20:11Z");
	ck_assert_int_eq(fg_ckpt_format(&r, out, sizeof(out)), 0);
	ck_assert_str_eq(out, good);
	snprintf(line, sizeof(line), "Dec  4 14:20:11 host fg-auditd[42]: %s\n", good);
	ck_assert_int_eq(fg_ckpt_parse(line, strlen(line), &r), 1);
	ck_assert_int_eq(fg_ckpt_parse("nothing here", 12, &r), 0);
	/* each field broken in turn */
	static const char *const from[] = { "log=0123", "seq=451", "head=aaaa", "T14:", "prev=0000",
					     "from=400", "digest=-", "key=0011", "sig=bbbb" };
	static const char *const to[] = { "log=x123", "seq=-451", "head=Aaaa", "T14-", "prev=000",
					  "from=x", "digest=x", "key=001", "sig=bbb" };
	for (size_t i = 0; i < sizeof(from) / sizeof(from[0]); i++) {
		const char *at = strstr(good, from[i]);
		size_t k = (size_t)(at - good);

		snprintf(line, sizeof(line), "%.*s%s%s", (int)k, good, to[i], at + strlen(from[i]));
		ck_assert_msg(fg_ckpt_parse(line, strlen(line), &r) == -EBADMSG, "%s", to[i]);
	}
	snprintf(line, sizeof(line), "%s trailing", good);
	ck_assert_int_eq(fg_ckpt_parse(line, strlen(line), &r), -EBADMSG);
}
END_TEST

START_TEST(test_sha256_file)
{
	char path[160], hex[65];

	snprintf(path, sizeof(path), "%s/abc", tmpdir);
	write_file(path, "abc", 0600);
	ck_assert_int_eq(fg_sha256_file(path, hex), 0);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	ck_assert_int_eq(fg_sha256_file(path, hex), -ENOENT);
}
END_TEST

/* The built-in SHA-256 (the library's, without libcrypto): the standard's
 * known answers, then libcrypto's digest for every length up to 1000
 * bytes and every split of a message across two updates. */
static void builtin_hex(const void *p, size_t n, size_t split, char hex[65])
{
	unsigned char md[32];
	struct fg_sha256 c;

	fg_sha256_init(&c);
	fg_sha256_update(&c, p, split);
	fg_sha256_update(&c, (const char *)p + split, n - split);
	fg_sha256_final(&c, md);
	fg_hex(md, 32, hex);
	hex[64] = '\0';
}

START_TEST(test_sha256_builtin)
{
	static unsigned char msg[1000];
	char got[65], want[65];
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	struct fg_sha256 c;
	unsigned char md[32];

	builtin_hex("", 0, 0, got);
	ck_assert_str_eq(got, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	builtin_hex("abc", 3, 1, got);
	ck_assert_str_eq(got, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	builtin_hex(two, strlen(two), 0, got);
	ck_assert_str_eq(got, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	memset(msg, 'a', sizeof(msg));
	fg_sha256_init(&c);
	for (int i = 0; i < 1000; i++)
		fg_sha256_update(&c, msg, sizeof(msg));
	fg_sha256_final(&c, md);
	fg_hex(md, 32, got);
	got[64] = '\0';
	ck_assert_str_eq(got, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)(i * 131 + 7);
	for (size_t n = 0; n <= sizeof(msg); n++) {
		ck_assert_int_eq(fg_sha256_hex(msg, n, want), 0);
		want[64] = '\0';
		builtin_hex(msg, n, n / 3, got);
		ck_assert_str_eq(got, want);
		if (n >= 130 && n <= 200) {
			for (size_t split = 0; split <= n; split++) {
				builtin_hex(msg, n, split, got);
				ck_assert_str_eq(got, want);
			}
		}
	}
}
END_TEST

START_TEST(test_hmac_known_answer)
{
	/* RFC 4231 test case 2 */
	struct fg_hasher *h;
	char hex[FG_HASH_HEX + 1] = "";

	ck_assert_int_eq(fg_hasher_new(&h, (const unsigned char *)"Jefe", 4), 0);
	for (int i = 0; i < 3; i++) {   /* the key survives restarts */
		ck_assert_int_eq(fg_hasher_line(h, "what do ya want for nothing?", 28, hex), 0);
		ck_assert_str_eq(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	}
	fg_hasher_free(h);
}
END_TEST

START_TEST(test_key_file_checks)
{
	char path[160], err[512];
	unsigned char key[FG_KEY_MAX];
	size_t len;

	snprintf(path, sizeof(path), "%s/key", tmpdir);
	write_file(path, "0123456789abcdef0123456789abcdef\n", 0600);
	ck_assert_int_eq(fg_key_load(path, key, &len, err, sizeof(err)), 0);
	ck_assert_uint_eq(len, 32);     /* the newline is not key */
	ck_assert_int_eq(chmod(path, 0640), 0);
	ck_assert_int_eq(fg_key_load(path, key, &len, err, sizeof(err)), -EPERM);
	ck_assert_ptr_nonnull(strstr(err, "accessible by group or others (mode 0640)"));
	ck_assert_ptr_nonnull(strstr(err, "hint: chmod 600"));
	write_file(path, "short\n", 0600);
	ck_assert_int_eq(fg_key_load(path, key, &len, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "at least 16"));
	snprintf(path, sizeof(path), "%s/nokey", tmpdir);
	ck_assert_int_eq(fg_key_load(path, key, &len, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "cannot open key file"));
}
END_TEST

/* --- the writer ---------------------------------------------------------- */

START_TEST(test_chain_links)
{
	struct fg_audit *a;
	struct fg_verify_result res;
	static char buf[1 << 16];
	char *line, *save;
	char prev[FG_HASH_HEX + 1];
	uint64_t want = 1;

	ck_assert_int_eq(open_log(&a, NULL, 0), 0);
	ck_assert_int_eq(append_n(a, 20), 0);
	fg_audit_close(a);
	read_file(logpath, buf, sizeof(buf));
	strcpy(prev, zero64);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save), want++) {
		uint64_t seq;
		const char *p, *h;
		char hex[FG_HASH_HEX];
		size_t len = strlen(line);

		ck_assert_int_eq(fg_rec_frame(line, len, &seq, &p, &h), 0);
		ck_assert_uint_eq(seq, want);
		ck_assert(memcmp(p, prev, FG_HASH_HEX) == 0);
		ck_assert_int_eq(fg_sha256_hex(line, len - FG_TRAILER_HASH_LEN, hex), 0);
		ck_assert(memcmp(h, hex, FG_HASH_HEX) == 0);
		ck_assert_ptr_nonnull(strstr(line, "\"agent\":\"tester\",\"exe\":\"/bin/check\",\"op\":\"open\""));
		memcpy(prev, h, FG_HASH_HEX);
	}
	ck_assert_uint_eq(want, 21);
	ck_assert_int_eq(verify_path(logpath, NULL, 0, &res), FG_VERIFY_INTACT);
	ck_assert_uint_eq(res.records, 20);
	ck_assert_str_eq(res.head, prev);
}
END_TEST

START_TEST(test_chain_continues_across_writers)
{
	struct fg_audit *a, *b;
	struct fg_verify_result res;

	ck_assert_int_eq(open_log(&a, NULL, 0), 0);
	ck_assert_int_eq(open_log(&b, NULL, 0), 0);
	ck_assert_int_eq(append_n(a, 3), 0);
	ck_assert_int_eq(append_n(b, 3), 0);
	ck_assert_int_eq(append_n(a, 3), 0);
	fg_audit_close(a);
	fg_audit_close(b);
	/* a lost head file is rebuilt from the log's tail */
	char head[200];
	snprintf(head, sizeof(head), "%s.head", logpath);
	ck_assert_int_eq(unlink(head), 0);
	ck_assert_int_eq(open_log(&a, NULL, 0), 0);
	ck_assert_int_eq(append_n(a, 2), 0);
	fg_audit_close(a);
	ck_assert_int_eq(verify_path(logpath, NULL, 0, &res), FG_VERIFY_INTACT);
	ck_assert_uint_eq(res.records, 11);
	ck_assert_uint_eq(res.repairs, 0);
}
END_TEST

START_TEST(test_fork_child_appends)
{
	struct fg_audit *a;
	struct fg_verify_result res;
	int st;

	ck_assert_int_eq(open_log(&a, NULL, 0), 0);
	ck_assert_int_eq(append_n(a, 5), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		child_exit(append_n(a, 50) == 0 ? 0 : 1);
	ck_assert_int_eq(append_n(a, 50), 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_int_eq(append_n(a, 1), 0);
	fg_audit_close(a);
	ck_assert_int_eq(verify_path(logpath, NULL, 0, &res), FG_VERIFY_INTACT);
	ck_assert_uint_eq(res.records, 106);
}
END_TEST

/* A child that closes every inherited descriptor and reuses the numbers
 * before appending (Python's subprocess does so before exec). */
static void closing_child(struct fg_audit *a)
{
	int fds[8];

	close_range(3, ~0U, 0);
	for (int i = 0; i < 8; i++)
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (append_n(a, 2) != 0)
		child_exit(1);
	for (int i = 0; i < 8; i++) {
		struct stat st;
		/* the library opened its own and left ours alone */
		if (fstat(fds[i], &st) != 0 || !S_ISCHR(st.st_mode))
			child_exit(2);
	}
	fg_audit_close(a);
	for (int i = 0; i < 8; i++)
		if (fcntl(fds[i], F_GETFD) < 0)
			child_exit(3);
	child_exit(0);
}

START_TEST(test_child_closes_descriptors)
{
	struct fg_audit *a;
	struct fg_verify_result res;
	volatile int vst = -1;
	int st;
	pid_t pid;

	ck_assert_int_eq(open_log(&a, NULL, 0), 0);
	ck_assert_int_eq(append_n(a, 1), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		closing_child(a);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	/* a vfork child shares our memory but not our descriptors */
	pid = vfork();
	if (pid == 0) {
		close_range(3, ~0U, 0);
		vst = append_n(a, 1);
		_exit(0);
	}
	ck_assert_int_ge(pid, 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_int_eq(vst, 0);
	ck_assert_int_eq(append_n(a, 1), 0);
	fg_audit_close(a);
	ck_assert_int_eq(verify_path(logpath, NULL, 0, &res), FG_VERIFY_INTACT);
	ck_assert_uint_eq(res.records, 5);
}
END_TEST

START_TEST(test_repair_torn_line)
{
	struct fg_audit *a;
	struct fg_verify_result res;
	static char buf[1 << 16];
	struct stat st;
	char hex[FG_HASH_HEX + 1] = "";

	ck_assert_int_eq(open_log(&a, NULL, 0), 0);
	ck_assert_int_eq(append_n(a, 4), 0);
	fg_audit_close(a);
	ck_assert_int_eq(stat(logpath, &st), 0);
	/* a writer killed part way through its line */
	int fd = open(logpath, O_WRONLY | O_APPEND | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "{\"seq\":5,\"ts\":\"20", 17), 17);
	close(fd);
	ck_assert_int_eq(verify_path(logpath, NULL, 0, &res), FG_VERIFY_TORN_TAIL);
	ck_assert_uint_eq(res.line, 5);
	ck_assert_uint_eq(res.offset, (uint64_t)st.st_size);
	ck_assert_uint_eq(res.records, 4);

	ck_assert_int_eq(open_log(&a, NULL, 0), 0);
	ck_assert_int_eq(append_n(a, 1), 0);
	fg_audit_close(a);
	size_t n = read_file(logpath, buf, sizeof(buf));
	/* nothing was removed: the torn bytes are still there, now ended */
	ck_assert(memcmp(buf + st.st_size, "{\"seq\":5,\"ts\":\"20\n", 18) == 0);
	ck_assert_int_eq(fg_sha256_hex("{\"seq\":5,\"ts\":\"20", 17, hex), 0);
	char want[256];
	snprintf(want, sizeof(want), "\"op\":\"repair\",\"offset\":%lld,\"length\":17,\"sha256\":\"%s\"",
		 (long long)st.st_size, hex);
	ck_assert_ptr_nonnull(strstr(buf + st.st_size + 18, want));
	ck_assert_ptr_nonnull(strstr(buf + st.st_size + 18, "{\"seq\":5,"));
	ck_assert(buf[n - 1] == '\n');
	ck_assert_int_eq(verify_path(logpath, NULL, 0, &res), FG_VERIFY_INTACT);
	ck_assert_uint_eq(res.records, 6);
	ck_assert_uint_eq(res.repairs, 1);
}
END_TEST

static void put_file(const char *path, const char *data, size_t n)
{
	char dir[160];
	int fd;

	snprintf(dir, sizeof(dir), "%s/log", tmpdir);
	mkdir(dir, 0700);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
	close(fd);
}

/* A writer killed inside the very first record of a log, even before all
 * of {"seq": reached it: the next writer (with the head it left, or none)
 * ends the piece with a newline and records a repair as seq 1, chained
 * from 64 zeros; verify first calls it a torn tail, then intact. */
START_TEST(test_repair_torn_first_record)
{
	static const size_t cuts[] = { 1, 4, 6, 7, 40 };
	static char buf[1 << 16], first[4096];
	struct fg_verify_result res;
	struct fg_audit *a;
	char head[200], hex[FG_HASH_HEX + 1] = "", want[256];
	size_t fl;

	ck_assert_int_eq(open_log(&a, NULL, 0), 0);
	ck_assert_int_eq(append_n(a, 1), 0);
	fg_audit_close(a);
	fl = read_file(logpath, first, sizeof(first));
	ck_assert_uint_gt(fl, 40);
	snprintf(head, sizeof(head), "%s.head", logpath);
	for (size_t i = 0; i < 2 * sizeof(cuts) / sizeof(cuts[0]); i++) {
		size_t k = cuts[i / 2];
		bool keep_head = i % 2 == 0;

		/* a head that knows no record (its writer died in its first
		 * append), or none at all */
		ck_assert_int_eq(unlink(logpath), 0);
		ck_assert_int_eq(unlink(head), 0);
		if (keep_head) {
			ck_assert_int_eq(open_log(&a, NULL, 0), 0);
			fg_audit_close(a);
			ck_assert_int_eq(access(head, F_OK), 0);
		}
		put_file(logpath, first, k);
		ck_assert_int_eq(verify_path(logpath, NULL, 0, &res), FG_VERIFY_TORN_TAIL);
		ck_assert_uint_eq(res.line, 1);
		ck_assert_uint_eq(res.offset, 0);
		ck_assert_uint_eq(res.records, 0);

		ck_assert_int_eq(open_log(&a, NULL, 0), 0);
		ck_assert_int_eq(append_n(a, 1), 0);
		fg_audit_close(a);
		size_t n = read_file(logpath, buf, sizeof(buf));
		ck_assert_msg(n > k && memcmp(buf, first, k) == 0 && buf[k] == '\n',
			      "cut %zu (head %d): the torn bytes are not kept and ended", k, keep_head);
		ck_assert_int_eq(fg_sha256_hex(first, k, hex), 0);
		snprintf(want, sizeof(want),
			 "\"op\":\"repair\",\"offset\":0,\"length\":%zu,\"sha256\":\"%s\"", k, hex);
		ck_assert(strncmp(buf + k + 1, "{\"seq\":1,", 9) == 0);
		ck_assert_ptr_nonnull(strstr(buf + k + 1, want));
		ck_assert_ptr_nonnull(strstr(buf + k + 1, "\"prev\":\"0000000000000000"));
		ck_assert_int_eq(verify_path(logpath, NULL, 0, &res), FG_VERIFY_INTACT);
		ck_assert_uint_eq(res.records, 2);
		ck_assert_uint_eq(res.repairs, 1);
	}
}
END_TEST

START_TEST(test_adopt_unrecorded_line)
{
	struct fg_audit *a;
	struct fg_verify_result res;
	char head[200], saved[8192];
	size_t hn;

	ck_assert_int_eq(open_log(&a, NULL, 0), 0);
	ck_assert_int_eq(append_n(a, 3), 0);
	fg_audit_close(a);
	snprintf(head, sizeof(head), "%s.head", logpath);
	hn = read_file(head, saved, sizeof(saved));
	ck_assert_uint_eq(hn, 4096);
	ck_assert_int_eq(open_log(&a, NULL, 0), 0);
	ck_assert_int_eq(append_n(a, 1), 0);
	fg_audit_close(a);
	/* as if that writer died after its write() but before the head update */
	int fd = open(head, O_WRONLY | O_CLOEXEC);
	ck_assert_int_eq(write(fd, saved, hn), (ssize_t)hn);
	close(fd);
	ck_assert_int_eq(open_log(&a, NULL, 0), 0);
	ck_assert_int_eq(append_n(a, 2), 0);
	fg_audit_close(a);
	ck_assert_int_eq(verify_path(logpath, NULL, 0, &res), FG_VERIFY_INTACT);
	ck_assert_uint_eq(res.records, 6);
	ck_assert_uint_eq(res.repairs, 0);
}
END_TEST

/* Writers SIGKILLed over and over, most often while they hold the head's
 * lock: the next append never waits for them (EOWNERDEAD recovery) and the
 * chain stays whole once it has repaired any torn tail. */
START_TEST(test_killed_holders_never_wedge)
{
	struct fg_audit *a;
	struct fg_verify_result res;
	int st;

	ck_assert_int_eq(open_log(&a, NULL, 0), 0);
	ck_assert_int_eq(append_n(a, 1), 0);
	alarm(60);      /* a wedged lock fails the test instead of hanging it */
	for (int i = 0; i < 40; i++) {
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			for (;;)
				append_n(a, 1);
		}
		struct timespec t = { 0, 200000 + (i % 8) * 150000 };
		nanosleep(&t, NULL);
		ck_assert_int_eq(kill(pid, SIGKILL), 0);
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		ck_assert(WIFSIGNALED(st));
		ck_assert_int_eq(append_n(a, 1), 0);
	}
	alarm(0);
	fg_audit_close(a);
	ck_assert_int_eq(verify_path(logpath, NULL, 0, &res), FG_VERIFY_INTACT);
	ck_assert_uint_ge(res.records, 41);
}
END_TEST

/* A vfork child appends beside a writer in another process, and is then
 * SIGKILLed part way through appending: the other writers never wait for
 * it, and the chain is whole once the torn tail is repaired.  (The vfork
 * parent itself is run in a child: the guest may die holding the parent's
 * own thread mutex, which only that process shares.) */
static struct fg_audit *volatile vfork_parent_writer;

static int vfork_parent(void)
{
	struct fg_audit *a;
	static volatile int gst;
	int st, pfd[2];
	pid_t w, k, g;

	if (open_log(&a, NULL, 0) < 0 || append_n(a, 1) < 0)
		return 1;
	/* Never closed: the killed guest below may die holding this process's
	 * mutex (a known limit of vfork children).  Kept reachable, so that
	 * LeakSanitizer does not report it when these processes exit. */
	vfork_parent_writer = a;
	w = fork();
	if (w < 0)
		return 2;
	if (w == 0)
		child_exit(append_n(a, 3000) == 0 ? 0 : 1);
	/* a guest that finishes */
	gst = -1;
	g = vfork();
	if (g == 0) {
		gst = append_n(a, 300);
		_exit(0);
	}
	if (g < 0 || waitpid(g, &st, 0) != g || gst != 0)
		return 3;
	/* a guest killed while it appends, by a third process */
	if (pipe(pfd) < 0)
		return 4;
	k = fork();
	if (k < 0)
		return 5;
	if (k == 0) {
		pid_t victim;
		close(pfd[1]);
		if (read(pfd[0], &victim, sizeof(victim)) != sizeof(victim))
			child_exit(1);
		struct timespec t = { 0, 3000000 };
		nanosleep(&t, NULL);
		child_exit(kill(victim, SIGKILL) == 0 ? 0 : 2);
	}
	g = vfork();
	if (g == 0) {
		pid_t self = getpid();
		if (write(pfd[1], &self, sizeof(self)) != sizeof(self))
			_exit(1);
		for (;;)
			append_n(a, 1);
	}
	if (g < 0 || waitpid(g, &st, 0) != g || !WIFSIGNALED(st))
		return 6;
	if (waitpid(k, &st, 0) != k || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return 7;
	/* the writer in another process was not held up */
	if (waitpid(w, &st, 0) != w || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return 8;
	return 0;
}

START_TEST(test_vfork_guest_beside_writer)
{
	struct fg_audit *a;
	struct fg_verify_result res;
	int st;
	pid_t p;

	alarm(60);      /* a wedged lock fails the test instead of hanging it */
	p = fork();
	ck_assert_int_ge(p, 0);
	if (p == 0)
		child_exit(vfork_parent());
	ck_assert_int_eq(waitpid(p, &st, 0), p);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	ck_assert_int_eq(open_log(&a, NULL, 0), 0);
	ck_assert_int_eq(append_n(a, 1), 0);
	alarm(0);
	fg_audit_close(a);
	ck_assert_int_eq(verify_path(logpath, NULL, 0, &res), FG_VERIFY_INTACT);
	ck_assert_uint_ge(res.records, 3302);
}
END_TEST

/* A head overwritten with garbage (its lock included) is rebuilt. */
START_TEST(test_garbage_head_rebuilt)
{
	struct fg_audit *a;
	struct fg_verify_result res;
	char head[200], junk[4096];

	ck_assert_int_eq(open_log(&a, NULL, 0), 0);
	ck_assert_int_eq(append_n(a, 5), 0);
	fg_audit_close(a);
	snprintf(head, sizeof(head), "%s.head", logpath);
	memset(junk, 0xa5, sizeof(junk));
	int fd = open(head, O_WRONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	ck_assert_int_eq(open_log(&a, NULL, 0), 0);
	ck_assert_int_eq(append_n(a, 3), 0);
	fg_audit_close(a);
	ck_assert_int_eq(verify_path(logpath, NULL, 0, &res), FG_VERIFY_INTACT);
	ck_assert_uint_eq(res.records, 8);
	ck_assert_uint_eq(res.repairs, 0);
}
END_TEST

START_TEST(test_rotation)
{
	struct fg_audit *a;
	struct fg_verify_result res;
	char seg[200];
	struct stat st;

	ck_assert_int_eq(open_log(&a, NULL, 2000), 0);
	ck_assert_int_eq(append_n(a, 40), 0);
	fg_audit_close(a);
	for (int i = 1; i <= 3; i++) {
		snprintf(seg, sizeof(seg), "%s.%d", logpath, i);
		ck_assert_int_eq(stat(seg, &st), 0);
		ck_assert_int_le(st.st_size, 2000);
	}
	ck_assert_int_eq(verify_path(logpath, NULL, 0, &res), FG_VERIFY_INTACT);
	ck_assert_uint_eq(res.records, 40);
	/* a hole in the numbering is a missing segment */
	snprintf(seg, sizeof(seg), "%s.2", logpath);
	ck_assert_int_eq(unlink(seg), 0);
	ck_assert_int_eq(verify_path(logpath, NULL, 0, &res), FG_VERIFY_MISSING_SEGMENT);
	ck_assert_str_eq(res.file, seg);
}
END_TEST

START_TEST(test_hmac_chain)
{
	struct fg_audit *a;
	struct fg_verify_result res;
	char key[200];
	unsigned char k[FG_KEY_MAX];
	size_t klen;
	char err[512];

	snprintf(key, sizeof(key), "%s/audit.key", tmpdir);
	write_file(key, "a very secret key for the chain", 0600);
	ck_assert_int_eq(open_log(&a, key, 0), 0);
	ck_assert_int_eq(append_n(a, 5), 0);
	fg_audit_close(a);
	ck_assert_int_eq(fg_key_load(key, k, &klen, err, sizeof(err)), 0);
	ck_assert_int_eq(verify_path(logpath, k, klen, &res), FG_VERIFY_INTACT);
	ck_assert_uint_eq(res.records, 5);
	/* without the key, or with another, the first record fails */
	ck_assert_int_eq(verify_path(logpath, NULL, 0, &res), FG_VERIFY_HASH_MISMATCH);
	ck_assert_uint_eq(res.line, 1);
	ck_assert_int_eq(verify_path(logpath, (const unsigned char *)"another key, 32 bytes long......", 32,
				     &res), FG_VERIFY_HASH_MISMATCH);
	/* an unsafe key file is refused at open with a clear message */
	ck_assert_int_eq(chmod(key, 0644), 0);
	struct fg_audit_conf c = { .path = logpath, .key_file = key };
	ck_assert_int_eq(fg_audit_open(&c, &a, err, sizeof(err)), -EPERM);
	ck_assert_ptr_nonnull(strstr(err, "accessible by group or others"));
}
END_TEST

START_TEST(test_owns)
{
	struct fg_audit *a;
	char key[200], p[300];
	const char *log;

	snprintf(key, sizeof(key), "%s/audit.key", tmpdir);
	write_file(key, "0123456789abcdef0123", 0600);
	ck_assert_int_eq(open_log(&a, key, 0), 0);
	log = fg_audit_path(a);
	ck_assert_str_eq(log, logpath);
#define OWNS(fmt, ...) (snprintf(p, sizeof(p), fmt, __VA_ARGS__), fg_audit_owns(a, p, strlen(p)))
#define BELOW(fmt, ...) (snprintf(p, sizeof(p), fmt, __VA_ARGS__), fg_audit_owns_below(a, p, strlen(p)))
	ck_assert(OWNS("%s", log));
	ck_assert(OWNS("%s.head", log));
	ck_assert(OWNS("%s.1", log));
	ck_assert(OWNS("%s.123", log));
	ck_assert(OWNS("%s", key));
	ck_assert(!OWNS("%s.", log));
	ck_assert(!OWNS("%s.1x", log));
	ck_assert(!OWNS("%s.tmp", log));
	ck_assert(!OWNS("%sx", log));
	ck_assert(!OWNS("%s/other", tmpdir));
	ck_assert(!OWNS("%.*s", (int)strlen(log) - 1, log));
	ck_assert(BELOW("%s/log", tmpdir));
	ck_assert(BELOW("%s/log/", tmpdir));
	ck_assert(BELOW("%s", tmpdir));
	ck_assert(BELOW("%s", "/"));
	ck_assert(!BELOW("%s/lo", tmpdir));
	ck_assert(!BELOW("%s", log));
	ck_assert(!BELOW("%s/log/x", tmpdir));
	fg_audit_close(a);
}
END_TEST

START_TEST(test_descriptors_high_and_cloexec)
{
	struct fg_audit *a;
	bool before[4096];
	int fd, n = 0;

	for (fd = 0; fd < 4096; fd++)
		before[fd] = fcntl(fd, F_GETFD) >= 0;
	ck_assert_int_eq(open_log(&a, NULL, 0), 0);
	ck_assert_int_eq(append_n(a, 1), 0);
	/* ours are close-on-exec and off the low numbers that a jobserver
	 * (make's --jobserver-auth=3,4) or LISTEN_FDS refer to */
	for (fd = 0; fd < 4096; fd++) {
		int fl = fcntl(fd, F_GETFD);
		if (fl < 0 || before[fd])
			continue;
		ck_assert_int_ge(fd, 64);
		ck_assert(fl & FD_CLOEXEC);
		n++;
	}
	ck_assert_int_eq(n, 3);
	fg_audit_close(a);
	for (fd = 0; fd < 4096; fd++)
		ck_assert(before[fd] == (fcntl(fd, F_GETFD) >= 0));
}
END_TEST

START_TEST(test_open_errors)
{
	struct fg_audit *a;
	struct fg_audit_conf c = { .path = NULL };
	char err[512], path[200];

	ck_assert_int_eq(fg_audit_open(&c, &a, err, sizeof(err)), -EINVAL);
	c.path = "/";
	ck_assert_int_eq(fg_audit_open(&c, &a, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "does not name a file"));
	snprintf(path, sizeof(path), "%s/file", tmpdir);
	write_file(path, "x", 0600);
	snprintf(path, sizeof(path), "%s/file/audit.log", tmpdir);
	c.path = path;
	ck_assert_int_lt(fg_audit_open(&c, &a, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "/file"));
}
END_TEST

/* --- the verifier -------------------------------------------------------- */

/* Build a 10-record log and return its lines' offsets. */
static size_t make_log10(char *buf, size_t cap)
{
	struct fg_audit *a;

	ck_assert_int_eq(open_log(&a, NULL, 0), 0);
	ck_assert_int_eq(append_n(a, 10), 0);
	fg_audit_close(a);
	return read_file(logpath, buf, cap);
}

static void put_log(const char *data, size_t n)
{
	int fd = open(logpath, O_WRONLY | O_TRUNC | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
	close(fd);
}

static char *line_at(char *buf, int k)
{
	char *p = buf;

	while (--k > 0)
		p = strchr(p, '\n') + 1;
	return p;
}

START_TEST(test_verify_faults)
{
	static char buf[1 << 15], t[1 << 15];
	struct fg_verify_result res;
	size_t n = make_log10(buf, sizeof(buf));
	char *l4 = line_at(buf, 4), *l5 = line_at(buf, 5), *l6 = line_at(buf, 6);

	/* one byte of a field */
	memcpy(t, buf, n);
	t[l4 - buf + strlen("{\"seq\":4,\"ts\":\"2")] ^= 1;
	put_log(t, n);
	ck_assert_int_eq(verify_path(logpath, NULL, 0, &res), FG_VERIFY_HASH_MISMATCH);
	ck_assert_uint_eq(res.line, 4);
	ck_assert_uint_eq(res.seq, 4);
	ck_assert_uint_eq(res.records, 3);

	/* a deleted record */
	memcpy(t, buf, (size_t)(l4 - buf));
	memcpy(t + (l4 - buf), l5, n - (size_t)(l5 - buf));
	put_log(t, n - (size_t)(l5 - l4));
	ck_assert_int_eq(verify_path(logpath, NULL, 0, &res), FG_VERIFY_SEQ_GAP);
	ck_assert_uint_eq(res.line, 4);
	ck_assert_uint_eq(res.seq, 5);

	/* two records swapped */
	memcpy(t, buf, n);
	memcpy(t + (l4 - buf), l5, (size_t)(l6 - l5));
	memcpy(t + (l4 - buf) + (l6 - l5), l4, (size_t)(l5 - l4));
	put_log(t, n);
	ck_assert_int_eq(verify_path(logpath, NULL, 0, &res), FG_VERIFY_SEQ_GAP);
	ck_assert_uint_eq(res.line, 4);

	/* a garbage line in the middle, no repair after it */
	memcpy(t, buf, (size_t)(l4 - buf));
	memcpy(t + (l4 - buf), "garbage\n", 8);
	memcpy(t + (l4 - buf) + 8, l4, n - (size_t)(l4 - buf));
	put_log(t, n + 8);
	ck_assert_int_eq(verify_path(logpath, NULL, 0, &res), FG_VERIFY_MALFORMED);
	ck_assert_uint_eq(res.line, 4);
	ck_assert_uint_eq(res.offset, (uint64_t)(l4 - buf));

	/* the last record deleted: only the expected head tells */
	struct fg_verify_opts o = { 0 };
	const char *files[] = { logpath };
	char head[FG_HASH_HEX + 1];
	char *l10 = line_at(buf, 10);
	memcpy(head, buf + n - 67, FG_HASH_HEX);
	head[FG_HASH_HEX] = '\0';
	put_log(buf, (size_t)(l10 - buf));
	ck_assert_int_eq(fg_verify_files(files, 1, &o, &res), 0);
	ck_assert_int_eq(res.status, FG_VERIFY_INTACT);
	o.expect_head = head;
	ck_assert_int_eq(fg_verify_files(files, 1, &o, &res), 0);
	ck_assert_int_eq(res.status, FG_VERIFY_HEAD_MISMATCH);
	ck_assert_uint_eq(res.seq, 9);
	put_log(buf, n);
	ck_assert_int_eq(fg_verify_files(files, 1, &o, &res), 0);
	ck_assert_int_eq(res.status, FG_VERIFY_INTACT);

	/* archived beginning: --from */
	put_log(l4, n - (size_t)(l4 - buf));
	o.expect_head = NULL;
	ck_assert_int_eq(fg_verify_files(files, 1, &o, &res), 0);
	ck_assert_int_eq(res.status, FG_VERIFY_SEQ_GAP);
	ck_assert_uint_eq(res.seq, 4);
	o.from_seq = 4;
	ck_assert_int_eq(fg_verify_files(files, 1, &o, &res), 0);
	ck_assert_int_eq(res.status, FG_VERIFY_INTACT);
	ck_assert_uint_eq(res.first_seq, 4);
	ck_assert_uint_eq(res.records, 7);
	o.from_seq = 6;         /* records before 6 are skipped unchecked */
	put_log(buf, n);
	ck_assert_int_eq(fg_verify_files(files, 1, &o, &res), 0);
	ck_assert_int_eq(res.status, FG_VERIFY_INTACT);
	ck_assert_uint_eq(res.records, 5);
}
END_TEST

static int count_cb_n;
static void count_cb(void *arg, const char *file, uint64_t lineno, const char *line, size_t len)
{
	(void)arg;
	ck_assert_uint_ge(lineno, 1);
	ck_assert_uint_le(lineno, (uint64_t)count_cb_n + 1);
	ck_assert(line[len - 1] == '}');
	count_cb_n++;
}

START_TEST(test_verify_segments_order)
{
	struct fg_audit *a;
	struct fg_verify_result res;
	char s2[200], s3[200], tmp[200];

	ck_assert_int_eq(open_log(&a, NULL, 1500), 0);
	ck_assert_int_eq(append_n(a, 30), 0);
	fg_audit_close(a);
	snprintf(s2, sizeof(s2), "%s.2", logpath);
	snprintf(s3, sizeof(s3), "%s.3", logpath);
	snprintf(tmp, sizeof(tmp), "%s.x", logpath);
	ck_assert_int_eq(rename(s2, tmp), 0);
	ck_assert_int_eq(rename(s3, s2), 0);
	ck_assert_int_eq(rename(tmp, s3), 0);
	ck_assert_int_eq(verify_path(logpath, NULL, 0, &res), FG_VERIFY_REORDERED_SEGMENT);
	ck_assert_str_eq(res.file, s2);
	ck_assert_uint_eq(res.line, 1);
	/* files given explicitly are taken in the order given */
	const char *files[] = { s3, s2 };
	char s1[200];
	snprintf(s1, sizeof(s1), "%s.1", logpath);
	const char *ordered[] = { s1, s3, s2 };
	struct fg_verify_opts o = { .on_record = count_cb };
	ck_assert_int_eq(fg_verify_files(files, 2, &o, &res), 0);
	ck_assert_int_eq(res.status, FG_VERIFY_SEQ_GAP);
	count_cb_n = 0;
	ck_assert_int_eq(fg_verify_files(ordered, 3, &o, &res), 0);
	ck_assert_int_eq(res.status, FG_VERIFY_INTACT);
	ck_assert_uint_eq((uint64_t)count_cb_n, res.records);
}
END_TEST

/* --- more edges: decoding, keys, writer recovery, verifier faults -------- */

START_TEST(test_unescape_forms)
{
	const char *s = "\"a\\/b\\u00e9\\u20AC\\u0041\"";
	char out[64];
	size_t n;
	const char *end;

	ck_assert_int_eq(fg_json_unescape(s, s + strlen(s), out, sizeof(out), &n, &end), 0);
	ck_assert_uint_eq(n, 9);
	ck_assert(memcmp(out, "a/b\xc3\xa9\xe2\x82\xac" "A", 9) == 0);
	ck_assert(end == s + strlen(s));
	/* too small an output buffer is not a parse error */
	ck_assert_int_eq(fg_json_unescape(s, s + strlen(s), out, 4, &n, &end), -ENOBUFS);
}
END_TEST

START_TEST(test_timestamp_out_of_range)
{
	static const struct { time_t s; const char *want; } cases[] = {
		{ -1, "\"1969-12-31T23:59:59.000000000Z\"" },
		{ -86400 * 365L, "\"1969-01-01T00:00:00.000000000Z\"" },
		/* past year 9999 the year field cannot hold it: 0000 says so */
		{ 253402300800LL, "\"0000-01-01T00:00:00.000000000Z\"" },
	};
	char out[40];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fg_buf b = { out, 0, sizeof(out) - 1, false };
		struct timespec ts = { cases[i].s, 0 };
		fg_buf_ts(&b, &ts);
		out[b.len] = '\0';
		ck_assert_str_eq(out, cases[i].want);
	}
}
END_TEST

START_TEST(test_key_file_more_checks)
{
	char path[160], err[512];
	static char big[FG_KEY_MAX + 10];
	unsigned char key[FG_KEY_MAX];
	size_t len;

	/* CRLF ending: neither byte is key */
	snprintf(path, sizeof(path), "%s/key", tmpdir);
	write_file(path, "0123456789abcdef0123\r\n", 0600);
	ck_assert_int_eq(fg_key_load(path, key, &len, err, sizeof(err)), 0);
	ck_assert_uint_eq(len, 20);
	ck_assert(memcmp(key, "0123456789abcdef0123", 20) == 0);
	/* too long */
	memset(big, 'k', sizeof(big) - 1);
	write_file(path, big, 0600);
	ck_assert_int_eq(fg_key_load(path, key, &len, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "is longer than 1023 bytes"));
	/* not a regular file */
	ck_assert_int_eq(fg_key_load(tmpdir, key, &len, err, sizeof(err)), -EPERM);
	ck_assert_ptr_nonnull(strstr(err, "is not a regular file"));
	/* a regular file that cannot be read */
	ck_assert_int_eq(fg_key_load("/proc/self/mem", key, &len, err, sizeof(err)), -EIO);
	ck_assert_ptr_nonnull(strstr(err, "cannot read key file '/proc/self/mem'"));
	ck_assert_int_eq(fg_sha256_file("/proc/self/mem", (char[65]){ 0 }), -EIO);
	/* someone else's file (only root can make one) */
	write_file(path, "0123456789abcdef0123", 0600);
	if (chown(path, 4242, 4242) == 0) {
		ck_assert_int_eq(fg_key_load(path, key, &len, err, sizeof(err)), -EPERM);
		ck_assert_ptr_nonnull(strstr(err, "is owned by uid 4242, expected"));
	}
}
END_TEST

/* The log's directory, for tests that build log files by hand. */
/* One well-formed record with the given seq and prev; returns its length
 * (newline included). */
static size_t mkrec(char *out, size_t cap, uint64_t seq, const char *prev)
{
	struct fg_rec_ident id;
	struct fg_audit_rec r = { .op = "open", .decision = "allow", .result = 0 };
	struct timespec ts = { 1, 0 };
	struct fg_buf b = { out, 0, cap, false };
	char hex[FG_HASH_HEX];

	ck_assert_int_eq(fg_rec_ident(&id, "h", 0, "a", "/e"), 0);
	ck_assert_int_eq(fg_rec_encode(&b, seq, &ts, &id, 1, &r, prev), 0);
	ck_assert_int_eq(fg_sha256_hex(out, b.len, hex), 0);
	ck_assert_int_eq(fg_rec_finish(&b, hex), 0);
	return b.len;
}

static enum fg_verify_status verify1(const char *path, struct fg_verify_result *res)
{
	struct fg_verify_opts o = { 0 };
	const char *files[] = { path };

	ck_assert_int_eq(fg_verify_files(files, 1, &o, res), 0);
	return res->status;
}

START_TEST(test_verify_links_and_reasons)
{
	char log[2048], r1[700], r2[700];
	struct fg_verify_result res;
	size_t n1, n2;
	char ones[FG_HASH_HEX + 1];

	memset(ones, '1', FG_HASH_HEX);
	ones[FG_HASH_HEX] = '\0';
	/* the first record must start from 64 zeros */
	n1 = mkrec(r1, sizeof(r1), 1, ones);
	put_file(logpath, r1, n1);
	ck_assert_int_eq(verify1(logpath, &res), FG_VERIFY_BROKEN_LINK);
	ck_assert_uint_eq(res.line, 1);
	ck_assert_uint_eq(res.seq, 1);
	ck_assert_ptr_nonnull(strstr(res.detail, "expected 64 zeros"));
	/* a later record must name its predecessor's hash */
	n1 = mkrec(r1, sizeof(r1), 1, zero64);
	n2 = mkrec(r2, sizeof(r2), 2, ones);
	memcpy(log, r1, n1);
	memcpy(log + n1, r2, n2);
	put_file(logpath, log, n1 + n2);
	ck_assert_int_eq(verify1(logpath, &res), FG_VERIFY_BROKEN_LINK);
	ck_assert_uint_eq(res.line, 2);
	ck_assert_uint_eq(res.seq, 2);
	ck_assert_uint_eq(res.offset, n1);
	ck_assert_uint_eq(res.records, 1);
	/* linked properly, it verifies */
	char h1[FG_HASH_HEX + 1];
	memcpy(h1, r1 + n1 - 67, FG_HASH_HEX);
	h1[FG_HASH_HEX] = '\0';
	n2 = mkrec(r2, sizeof(r2), 2, h1);
	memcpy(log + n1, r2, n2);
	put_file(logpath, log, n1 + n2);
	ck_assert_int_eq(verify1(logpath, &res), FG_VERIFY_INTACT);
	ck_assert_uint_eq(res.records, 2);

	ck_assert_str_eq(fg_verify_reason(FG_VERIFY_INTACT), "intact");
	ck_assert_str_eq(fg_verify_reason(FG_VERIFY_HASH_MISMATCH), "hash mismatch");
	ck_assert_str_eq(fg_verify_reason(FG_VERIFY_BROKEN_LINK), "broken link");
	ck_assert_str_eq(fg_verify_reason(FG_VERIFY_SEQ_GAP), "seq gap");
	ck_assert_str_eq(fg_verify_reason(FG_VERIFY_MALFORMED), "malformed line");
	ck_assert_str_eq(fg_verify_reason(FG_VERIFY_TORN_TAIL), "torn tail");
	ck_assert_str_eq(fg_verify_reason(FG_VERIFY_MISSING_SEGMENT), "missing segment");
	ck_assert_str_eq(fg_verify_reason(FG_VERIFY_REORDERED_SEGMENT), "reordered segment");
	ck_assert_str_eq(fg_verify_reason(FG_VERIFY_HEAD_MISMATCH), "head mismatch");
	ck_assert_str_eq(fg_verify_reason((enum fg_verify_status)99), "unknown");
}
END_TEST

START_TEST(test_verify_unrepaired_lines)
{
	static char buf[1 << 15], t[1 << 15];
	struct fg_verify_result res;
	size_t n = make_log10(buf, sizeof(buf));
	char *l3 = line_at(buf, 3);
	size_t k = (size_t)(l3 - buf);

	/* two garbage lines, then a good record that is not a repair: the
	 * fault names the first garbage line */
	memcpy(t, buf, k);
	memcpy(t + k, "junk\nmore junk\n", 15);
	memcpy(t + k + 15, l3, n - k);
	put_log(t, n + 15);
	ck_assert_int_eq(verify1(logpath, &res), FG_VERIFY_MALFORMED);
	ck_assert_uint_eq(res.line, 3);
	ck_assert_uint_eq(res.offset, k);
	ck_assert_str_eq(res.detail, "not a record, and no repair record names it");
	ck_assert_uint_eq(res.records, 2);

	/* garbage, then a record whose hash is wrong: still the garbage */
	memcpy(t, buf, n);
	memcpy(t + k, "junk\n", 5);
	memcpy(t + k + 5, l3, n - k);
	t[k + 5 + strlen("{\"seq\":3,\"ts\":\"2")] ^= 1;  /* record 3's bytes */
	put_log(t, n + 5);
	ck_assert_int_eq(verify1(logpath, &res), FG_VERIFY_MALFORMED);
	ck_assert_uint_eq(res.line, 3);

	/* garbage as the last line, or before a torn tail */
	memcpy(t, buf, n);
	memcpy(t + n, "junk\n", 5);
	put_log(t, n + 5);
	ck_assert_int_eq(verify1(logpath, &res), FG_VERIFY_MALFORMED);
	ck_assert_uint_eq(res.line, 11);
	ck_assert_uint_eq(res.records, 10);
	memcpy(t + n + 5, "{\"seq\":11", 9);
	put_log(t, n + 14);
	ck_assert_int_eq(verify1(logpath, &res), FG_VERIFY_MALFORMED);
	ck_assert_uint_eq(res.line, 11);

	/* a torn tail with no head file next to it: nobody to wait for */
	char copy[200];
	snprintf(copy, sizeof(copy), "%s/copy.log", tmpdir);
	memcpy(t, buf, n);
	memcpy(t + n, "{\"seq\":11", 9);
	put_file(copy, t, n + 9);
	ck_assert_int_eq(verify1(copy, &res), FG_VERIFY_TORN_TAIL);
	ck_assert_uint_eq(res.line, 11);
	ck_assert_uint_eq(res.offset, n);

	/* an older segment that ends inside a line is malformed, not torn */
	const char *files[] = { copy, logpath };
	struct fg_verify_opts o = { 0 };
	put_log(buf, n);
	ck_assert_int_eq(fg_verify_files(files, 2, &o, &res), 0);
	ck_assert_int_eq(res.status, FG_VERIFY_MALFORMED);
	ck_assert_str_eq(res.file, copy);
	ck_assert_str_eq(res.detail, "the segment ends inside a line");
}
END_TEST

START_TEST(test_verify_io_and_long_lines)
{
	struct fg_verify_result res;
	struct fg_verify_opts o = { 0 };
	char missing[200], path[200];
	const char *files[1];
	char **list;
	size_t n;

	/* a file that cannot be opened or read: an error naming it */
	snprintf(missing, sizeof(missing), "%s/nothere.log", tmpdir);
	files[0] = missing;
	ck_assert_int_eq(fg_verify_files(files, 1, &o, &res), -ENOENT);
	ck_assert_str_eq(res.file, missing);
	files[0] = tmpdir;
	ck_assert_int_eq(fg_verify_files(files, 1, &o, &res), -EISDIR);
	ck_assert_str_eq(res.file, tmpdir);
	/* nothing to discover */
	ck_assert_int_eq(fg_verify_discover(missing, 0, &list, &n, &res), -ENOENT);
	/* a bad --expect-head */
	o.expect_head = "xyz";
	ck_assert_int_eq(fg_verify_files(files, 1, &o, &res), -EINVAL);
	o.expect_head = NULL;

	/* a line longer than the read buffer is malformed, not a crash */
	size_t big = (1 << 20) + 100;
	char *p = malloc(big + 1);
	ck_assert_ptr_nonnull(p);
	memset(p, 'x', big);
	p[big] = '\n';
	snprintf(path, sizeof(path), "%s/long.log", tmpdir);
	put_file(path, p, big + 1);
	free(p);
	ck_assert_int_eq(verify1(path, &res), FG_VERIFY_MALFORMED);
	ck_assert_uint_eq(res.line, 1);
	ck_assert_uint_eq(res.offset, 0);
	ck_assert_ptr_nonnull(strstr(res.detail, "a line longer than 1048576 bytes"));
}
END_TEST

START_TEST(test_verify_discover_relative)
{
	struct fg_audit *a;
	struct fg_verify_result res;
	struct fg_verify_opts o = { 0 };
	char **files;
	size_t n;
	char cwd[4096], dir[160];

	ck_assert_int_eq(open_log(&a, NULL, 1500), 0);
	ck_assert_int_eq(append_n(a, 20), 0);
	fg_audit_close(a);
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	snprintf(dir, sizeof(dir), "%s/log", tmpdir);
	ck_assert_int_eq(chdir(dir), 0);
	/* a bare name is looked up in the current directory */
	ck_assert_int_eq(fg_verify_discover("audit.log", 0, &files, &n, &res), 0);
	ck_assert_uint_ge(n, 3);
	ck_assert_str_eq(files[0], "audit.log.1");
	ck_assert_str_eq(files[n - 1], "audit.log");
	ck_assert_int_eq(fg_verify_files((const char *const *)files, n, &o, &res), 0);
	ck_assert_int_eq(res.status, FG_VERIFY_INTACT);
	ck_assert_uint_eq(res.records, 20);
	free(files);
	ck_assert_int_eq(chdir(cwd), 0);
}
END_TEST

START_TEST(test_open_more_errors)
{
	struct fg_audit *a;
	struct fg_audit_conf c = { .path = logpath, .agent = "x" };
	char err[512], path[600], cwd[4096], target[200];
	static char longname[300];

	/* a file where a directory on the way should be */
	snprintf(path, sizeof(path), "%s/file", tmpdir);
	write_file(path, "x", 0600);
	snprintf(path, sizeof(path), "%s/file/sub/deeper/audit.log", tmpdir);
	c.path = path;
	ck_assert_int_eq(fg_audit_open(&c, &a, err, sizeof(err)), -ENOTDIR);
	ck_assert_ptr_nonnull(strstr(err, "cannot create directory"));
	snprintf(path, sizeof(path), "%s/file/sub/audit.log", tmpdir);
	ck_assert_int_eq(fg_audit_open(&c, &a, err, sizeof(err)), -ENOTDIR);
	ck_assert_ptr_nonnull(strstr(err, "/file/sub': Not a directory"));
	/* a name longer than a file name may be */
	memset(longname, 'n', 299);
	snprintf(path, sizeof(path), "%s/%s", tmpdir, longname);
	ck_assert_int_eq(fg_audit_open(&c, &a, err, sizeof(err)), -ENAMETOOLONG);
	ck_assert_ptr_nonnull(strstr(err, "File name too long"));
	c.path = logpath;
	snprintf(path, sizeof(path), "%s/log", tmpdir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	/* the head or the log replaced by a symlink is not followed */
	char head[200];
	snprintf(head, sizeof(head), "%s.head", logpath);
	snprintf(target, sizeof(target), "%s/elsewhere", tmpdir);
	ck_assert_int_eq(symlink(target, head), 0);
	ck_assert_int_eq(fg_audit_open(&c, &a, err, sizeof(err)), -ELOOP);
	ck_assert_ptr_nonnull(strstr(err, "cannot open '"));
	ck_assert_ptr_nonnull(strstr(err, ".head'"));
	ck_assert_int_eq(unlink(head), 0);
	ck_assert_int_eq(symlink(target, logpath), 0);
	ck_assert_int_eq(fg_audit_open(&c, &a, err, sizeof(err)), -ELOOP);
	ck_assert_ptr_nonnull(strstr(err, "cannot open audit log '"));
	ck_assert_int_eq(access(target, F_OK), -1);     /* nothing created there */
	ck_assert_int_eq(unlink(logpath), 0);
	/* a relative path is made absolute once, at open */
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(tmpdir), 0);
	c.path = "rel/audit.log";
	ck_assert_int_eq(fg_audit_open(&c, &a, err, sizeof(err)), 0);
	ck_assert_int_eq(chdir("/"), 0);
	ck_assert_int_eq(append_n(a, 2), 0);
	snprintf(path, sizeof(path), "%s/rel/audit.log", tmpdir);
	ck_assert_str_eq(fg_audit_path(a), path);
	fg_audit_close(a);
	struct fg_verify_result res;
	ck_assert_int_eq(verify1(path, &res), FG_VERIFY_INTACT);
	ck_assert_uint_eq(res.records, 2);
	/* a relative path that cannot fit once made absolute */
	static char rel[4100];
	memset(rel, 'r', sizeof(rel) - 1);
	c.path = rel;
	ck_assert_int_eq(fg_audit_open(&c, &a, err, sizeof(err)), -ENAMETOOLONG);
	/* a relative path from a directory that was removed */
	snprintf(path, sizeof(path), "%s/gone", tmpdir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(chdir(path), 0);
	ck_assert_int_eq(rmdir(path), 0);
	c.path = "audit.log";
	ck_assert_int_eq(fg_audit_open(&c, &a, err, sizeof(err)), -ENOENT);
	ck_assert_str_eq(err, "audit log 'audit.log': No such file or directory");
	ck_assert_int_eq(chdir(cwd), 0);
}
END_TEST

/* A writer in a forked child reopens its files by name: it must not follow
 * a symlink put in place of the log or of the head. */
START_TEST(test_child_refuses_swapped_files)
{
	struct fg_audit *a;
	struct fg_verify_result res;
	char head[200], target[200];
	int st;
	pid_t pid;

	snprintf(head, sizeof(head), "%s.head", logpath);
	snprintf(target, sizeof(target), "%s/elsewhere", tmpdir);
	for (int which = 0; which < 2; which++) {
		const char *victim = which ? logpath : head;
		char saved[220];

		ck_assert_int_eq(open_log(&a, NULL, 0), 0);
		ck_assert_int_eq(append_n(a, 2), 0);
		snprintf(saved, sizeof(saved), "%s.saved", victim);
		ck_assert_int_eq(rename(victim, saved), 0);
		ck_assert_int_eq(symlink(target, victim), 0);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0)
			child_exit(append_n(a, 1) == -ELOOP ? 0 : 1);
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		ck_assert(WIFEXITED(st));
		ck_assert_int_eq(WEXITSTATUS(st), 0);
		ck_assert_int_eq(access(target, F_OK), -1);
		ck_assert_int_eq(unlink(victim), 0);
		ck_assert_int_eq(rename(saved, victim), 0);
		ck_assert_int_eq(append_n(a, 1), 0);
		fg_audit_close(a);
		ck_assert_int_eq(verify_path(logpath, NULL, 0, &res), FG_VERIFY_INTACT);
		ck_assert_uint_eq(res.records, 3 * (uint64_t)(which + 1));
	}
}
END_TEST

/* A new writer finds the log replaced by a symlink and stops there. */
START_TEST(test_writer_refuses_swapped_log)
{
	struct fg_audit *a, *b;
	char target[200], saved[220];

	ck_assert_int_eq(open_log(&a, NULL, 0), 0);
	ck_assert_int_eq(open_log(&b, NULL, 0), 0);
	ck_assert_int_eq(append_n(a, 2), 0);
	snprintf(target, sizeof(target), "%s/elsewhere", tmpdir);
	snprintf(saved, sizeof(saved), "%s.saved", logpath);
	ck_assert_int_eq(rename(logpath, saved), 0);
	ck_assert_int_eq(symlink(target, logpath), 0);
	ck_assert_int_eq(append_n(b, 1), -ELOOP);
	ck_assert_int_eq(access(target, F_OK), -1);
	fg_audit_close(a);
	fg_audit_close(b);
}
END_TEST

START_TEST(test_rotation_stopped_after_rename)
{
	struct fg_audit *a;
	struct fg_verify_result res;
	char seg[200];

	ck_assert_int_eq(open_log(&a, NULL, 0), 0);
	ck_assert_int_eq(append_n(a, 3), 0);
	fg_audit_close(a);
	/* a writer renamed the active file and died before the head said so */
	snprintf(seg, sizeof(seg), "%s.1", logpath);
	ck_assert_int_eq(rename(logpath, seg), 0);
	ck_assert_int_eq(open_log(&a, NULL, 0), 0);
	ck_assert_int_eq(append_n(a, 2), 0);
	fg_audit_close(a);
	ck_assert_int_eq(verify_path(logpath, NULL, 0, &res), FG_VERIFY_INTACT);
	ck_assert_uint_eq(res.records, 5);
	ck_assert_uint_eq(res.first_seq, 1);
	ck_assert_uint_eq(res.last_seq, 5);
}
END_TEST

START_TEST(test_head_rebuilt_from_segment)
{
	struct fg_audit *a;
	struct fg_verify_result res;
	char head[200];

	ck_assert_int_eq(open_log(&a, NULL, 1500), 0);
	ck_assert_int_eq(append_n(a, 12), 0);
	fg_audit_close(a);
	/* head lost and the active segment empty: the chain ends in the
	 * newest numbered segment */
	snprintf(head, sizeof(head), "%s.head", logpath);
	ck_assert_int_eq(unlink(head), 0);
	ck_assert_int_eq(truncate(logpath, 0), 0);
	ck_assert_int_eq(open_log(&a, NULL, 1500), 0);
	ck_assert_int_eq(append_n(a, 1), 0);
	fg_audit_close(a);
	ck_assert_int_eq(verify_path(logpath, NULL, 0, &res), FG_VERIFY_INTACT);
	ck_assert_uint_lt(res.records, 12);     /* the emptied records are gone ... */
	ck_assert_uint_eq(res.last_seq, res.records);   /* ... and nothing else */
}
END_TEST

START_TEST(test_head_rebuilt_past_garbage)
{
	struct fg_audit *a;
	struct fg_verify_result res;
	static char buf[1 << 16];
	char head[200];
	size_t n;

	ck_assert_int_eq(open_log(&a, NULL, 0), 0);
	ck_assert_int_eq(append_n(a, 3), 0);
	fg_audit_close(a);
	n = read_file(logpath, buf, sizeof(buf));
	/* the tail: a line that is not a record, then a line longer than a
	 * record may be, then a torn piece bigger than the read window */
	static char tail[3 * FG_AUDIT_LINE_MAX];
	size_t t = 0;
	memcpy(tail, "junk\n", 5);
	t = 5;
	memset(tail + t, 'L', FG_AUDIT_LINE_MAX + 10);
	t += FG_AUDIT_LINE_MAX + 10;
	tail[t++] = '\n';
	memset(tail + t, 'T', FG_AUDIT_LINE_MAX + 10);
	t += FG_AUDIT_LINE_MAX + 10;
	int fd = open(logpath, O_WRONLY | O_APPEND | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, tail, t), (ssize_t)t);
	close(fd);
	snprintf(head, sizeof(head), "%s.head", logpath);
	ck_assert_int_eq(unlink(head), 0);
	ck_assert_int_eq(open_log(&a, NULL, 0), 0);
	ck_assert_int_eq(append_n(a, 1), 0);
	fg_audit_close(a);
	/* the chain went on from record 3; the garbage is named by a repair */
	ck_assert_int_eq(verify_path(logpath, NULL, 0, &res), FG_VERIFY_INTACT);
	ck_assert_uint_eq(res.records, 5);
	ck_assert_uint_eq(res.repairs, 1);
	static char all[4 * FG_AUDIT_LINE_MAX];
	int rfd = open(logpath, O_RDONLY | O_CLOEXEC);
	ssize_t got = read(rfd, all, sizeof(all));
	close(rfd);
	ck_assert_int_gt(got, (ssize_t)(n + t));
	ck_assert(memcmp(all + n, tail, t) == 0);       /* nothing removed */
	ck_assert_ptr_nonnull(memmem(all + n + t, (size_t)got - n - t, "\"op\":\"repair\"", 13));
}
END_TEST

START_TEST(test_truncated_to_a_fragment)
{
	struct fg_audit *a, *b;
	struct fg_verify_result res;

	ck_assert_int_eq(open_log(&a, NULL, 0), 0);
	ck_assert_int_eq(append_n(a, 4), 0);
	/* cut to a piece of the first line behind the writer's back */
	ck_assert_int_eq(truncate(logpath, 10), 0);
	ck_assert_int_eq(open_log(&b, NULL, 0), 0);
	ck_assert_int_eq(append_n(b, 1), 0);
	fg_audit_close(a);
	fg_audit_close(b);
	/* the loss shows: the fragment is named by a repair record that
	 * still says seq 5, so the chain visibly does not start at 1 */
	ck_assert_int_eq(verify_path(logpath, NULL, 0, &res), FG_VERIFY_SEQ_GAP);
	ck_assert_uint_eq(res.line, 2);
	ck_assert_uint_eq(res.seq, 5);
	static char buf[1 << 14];
	read_file(logpath, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "{\"seq\":5,"));
}
END_TEST

START_TEST(test_descriptors_below_a_low_limit)
{
	struct fg_audit *a;
	struct rlimit rl = { 256, 256 };
	bool before[256];
	int fd, n = 0;

	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	for (fd = 0; fd < 256; fd++)
		before[fd] = fcntl(fd, F_GETFD) >= 0;
	ck_assert_int_eq(open_log(&a, NULL, 0), 0);
	ck_assert_int_eq(append_n(a, 1), 0);
	/* half the limit up, and still inside it */
	for (fd = 0; fd < 256; fd++) {
		if (before[fd] || fcntl(fd, F_GETFD) < 0)
			continue;
		ck_assert_int_ge(fd, 128);
		n++;
	}
	ck_assert_int_eq(n, 3);
	fg_audit_close(a);
	for (fd = 0; fd < 256; fd++)
		ck_assert(before[fd] == (fcntl(fd, F_GETFD) >= 0));
}
END_TEST

START_TEST(test_rotation_blocked)
{
	struct fg_audit *a;
	static char buf[1 << 16];
	char seg[200], inside[220];
	struct stat st;

	ck_assert_int_eq(open_log(&a, NULL, 1000), 0);
	ck_assert_int_eq(append_n(a, 1), 0);
	/* the next segment's name is taken by a non-empty directory */
	snprintf(seg, sizeof(seg), "%s.1", logpath);
	ck_assert_int_eq(mkdir(seg, 0700), 0);
	snprintf(inside, sizeof(inside), "%s/x", seg);
	write_file(inside, "x", 0600);
	ck_assert_int_eq(append_n(a, 9), 0);
	fg_audit_close(a);
	/* nothing lost: the active file just grew past the limit */
	ck_assert_int_eq(stat(logpath, &st), 0);
	ck_assert_int_gt(st.st_size, 1000);
	size_t n = read_file(logpath, buf, sizeof(buf));
	size_t lines = 0;
	for (size_t i = 0; i < n; i++)
		lines += buf[i] == '\n';
	ck_assert_uint_eq(lines, 10);
	struct fg_verify_result res;
	ck_assert_int_eq(verify1(logpath, &res), FG_VERIFY_INTACT);
	ck_assert_uint_eq(res.records, 10);
}
END_TEST

#if FG_FAILMALLOC
/* Every allocation of open, append, close and verify made to fail in turn:
 * each call either works or fails with a negative errno, and whatever was
 * appended still verifies. */
START_TEST(test_oom_open_append_verify)
{
	struct fg_verify_result res;
	char key[200];
	long k;

	snprintf(key, sizeof(key), "%s/audit.key", tmpdir);
	write_file(key, "a very secret key for the chain", 0600);
	for (int keyed = 0; keyed < 2; keyed++) {
		struct fg_audit_conf c = {
			.path = logpath, .fsync = FG_AUDIT_FSYNC_NEVER, .max_size = 700,
			.key_file = keyed ? key : NULL, .agent = "t", .exe = "/bin/t",
		};
		uint64_t written = 1;
		struct fg_audit *w;
		char werr[512];

		/* libcrypto's algorithms are fetched once per process: not here */
		ck_assert_int_eq(fg_audit_open(&c, &w, werr, sizeof(werr)), 0);
		ck_assert_int_eq(append_n(w, 1), 0);
		fg_audit_close(w);
		for (k = 0; k < 100000; k++) {
			struct fg_audit *a = NULL;
			char err[512] = "";
			int r;

			fail_alloc(k);
			r = fg_audit_open(&c, &a, err, sizeof(err));
			if (r == 0) {
				if (append_n(a, 1) == 0)
					written++;
				fg_audit_close(a);
			}
			fail_off();
			if (!fail_hit) {
				ck_assert_int_eq(r, 0);
				break;
			}
			if (r < 0) {
				ck_assert_ptr_null(a);
				ck_assert_msg(err[0] != '\0', "allocation %ld: open failed silently", k);
			}
		}
		ck_assert_int_ge(k, 3);
		ck_assert_int_lt(k, 100000);
		ck_assert_uint_ge(written, 2);
		/* what was written is one intact chain */
		unsigned char kb[FG_KEY_MAX];
		size_t klen = 0;
		char err[512];
		if (keyed)
			ck_assert_int_eq(fg_key_load(key, kb, &klen, err, sizeof(err)), 0);
		ck_assert_int_eq(verify_path(logpath, keyed ? kb : NULL, klen, &res), FG_VERIFY_INTACT);
		ck_assert_uint_eq(res.records, written);
		/* the verifier under the same failures: the true verdict or an
		 * error, never a false alarm of tampering */
		for (k = 0; k < 100000; k++) {
			struct fg_verify_opts o = { .key = keyed ? kb : NULL, .keylen = klen };
			char **files = NULL;
			size_t n = 0;
			int r;

			fail_alloc(k);
			r = fg_verify_discover(logpath, 0, &files, &n, &res);
			if (r == 0)
				r = fg_verify_files((const char *const *)files, n, &o, &res);
			fail_off();
			free(files);
			if (!fail_hit) {
				ck_assert_int_eq(r, 0);
				break;
			}
			if (r == 0) {
				ck_assert_msg(res.status == FG_VERIFY_INTACT, "allocation %ld: %s line %llu: %s",
					      k, fg_verify_reason(res.status), (unsigned long long)res.line, res.detail);
				ck_assert_uint_eq(res.records, written);
			} else          /* libcrypto's failures come back as EIO */
				ck_assert_msg(r == -ENOMEM || r == -EIO, "allocation %ld: %d", k, r);
		}
		ck_assert_int_gt(k, 2);
		teardown_dir();
		setup_dir();
		snprintf(key, sizeof(key), "%s/audit.key", tmpdir);
		write_file(key, "a very secret key for the chain", 0600);
	}
}
END_TEST
#endif

static Suite *suite(void)
{
	Suite *s = suite_create("audit");
	TCase *tc;

#if FG_FAILMALLOC
	/* before libcrypto allocates anything */
	CRYPTO_set_mem_functions(crypto_malloc, crypto_realloc, crypto_free);
#endif

	tc = tcase_create("encoder");
	tcase_add_test(tc, test_escape_ascii);
	tcase_add_test(tc, test_escape_utf8);
	tcase_add_test(tc, test_round_trip_bytes);
	tcase_add_test(tc, test_unescape_rejects);
	tcase_add_test(tc, test_timestamp);
	tcase_add_test(tc, test_record_fields);
	tcase_add_test(tc, test_record_nulls_and_limits);
	tcase_add_test(tc, test_errno_names);
	tcase_add_test(tc, test_frame_rejects);
	tcase_add_test(tc, test_unescape_forms);
	tcase_add_test(tc, test_timestamp_out_of_range);
	tcase_add_test(tc, test_json_fields);
	suite_add_tcase(s, tc);

	tc = tcase_create("hashing");
	tcase_add_checked_fixture(tc, setup_dir, teardown_dir);
	tcase_add_test(tc, test_sha256_file);
	tcase_add_test(tc, test_sha256_builtin);
	tcase_add_test(tc, test_checkpoint_parse);
	tcase_add_test(tc, test_hmac_known_answer);
	tcase_add_test(tc, test_key_file_checks);
	tcase_add_test(tc, test_key_file_more_checks);
	suite_add_tcase(s, tc);

	tc = tcase_create("writer");
	tcase_add_checked_fixture(tc, setup_dir, teardown_dir);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_chain_links);
	tcase_add_test(tc, test_chain_continues_across_writers);
	tcase_add_test(tc, test_fork_child_appends);
	tcase_add_test(tc, test_child_closes_descriptors);
	tcase_add_test(tc, test_repair_torn_line);
	tcase_add_test(tc, test_repair_torn_first_record);
	tcase_add_test(tc, test_adopt_unrecorded_line);
	tcase_add_test(tc, test_killed_holders_never_wedge);
	tcase_add_test(tc, test_vfork_guest_beside_writer);
	tcase_add_test(tc, test_garbage_head_rebuilt);
	tcase_add_test(tc, test_rotation);
	tcase_add_test(tc, test_hmac_chain);
	tcase_add_test(tc, test_owns);
	tcase_add_test(tc, test_descriptors_high_and_cloexec);
	tcase_add_test(tc, test_open_errors);
	tcase_add_test(tc, test_open_more_errors);
	tcase_add_test(tc, test_child_refuses_swapped_files);
	tcase_add_test(tc, test_writer_refuses_swapped_log);
	tcase_add_test(tc, test_rotation_stopped_after_rename);
	tcase_add_test(tc, test_head_rebuilt_from_segment);
	tcase_add_test(tc, test_head_rebuilt_past_garbage);
	tcase_add_test(tc, test_truncated_to_a_fragment);
	tcase_add_test(tc, test_descriptors_below_a_low_limit);
	tcase_add_test(tc, test_rotation_blocked);
	suite_add_tcase(s, tc);

	tc = tcase_create("verifier");
	tcase_add_checked_fixture(tc, setup_dir, teardown_dir);
	tcase_add_test(tc, test_verify_faults);
	tcase_add_test(tc, test_verify_segments_order);
	tcase_add_test(tc, test_verify_links_and_reasons);
	tcase_add_test(tc, test_verify_unrepaired_lines);
	tcase_add_test(tc, test_verify_io_and_long_lines);
	tcase_add_test(tc, test_verify_discover_relative);
	suite_add_tcase(s, tc);
#if FG_FAILMALLOC
	tc = tcase_create("out of memory");
	tcase_add_checked_fixture(tc, setup_dir, teardown_dir);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_oom_open_append_verify);
	suite_add_tcase(s, tc);
#endif
	return s;
}

int main(void)
{
	return fg_check_main(suite());
}
