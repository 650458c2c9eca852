/* fleetguard-verify - prove an audit chain intact, or name its first bad
 * record; optionally print the records, filtered like ausearch.
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
 * Exit status: 0 intact, 1 not intact, 2 usage or I/O error.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit/record.h"
#include "audit/verify.h"
#include "audit/verify_ckpt.h"
#include "tools/tools.h"

struct filter {
	const char *agent, *op, *decision;
	char since[31], until[31];   /* fixed-width RFC 3339 like the records' */
	bool json;
	bool print;
	uint64_t printed;
	struct fg_vckpt *ck;         /* the signed checkpoints, or NULL */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fleetguard-verify [--key FILE] [--json] [--from SEQ] [--expect-head HASH]\n"
		"                         [--witness FILE] [--pubkey FILE] [--log-id ID]\n"
		"                         [--print [--agent A] [--op OP] [--decision D]\n"
		"                                  [--since TS] [--until TS]] LOG...\n");
}

/* n decimal digits at *p as a number, advancing *p; dies on anything else. */
static int digits(const char **p, int n, const char *whole)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			die(2, "bad time '%s'\nhint: use 2026-01-02, 2026-01-02T03:04:05Z or @EPOCH", whole);
		v = v * 10 + (**p - '0');
	}
	return v;
}

static void expect_char(const char **p, char c, const char *whole)
{
	if (**p != c)
		die(2, "bad time '%s'\nhint: use 2026-01-02, 2026-01-02T03:04:05Z or @EPOCH", whole);
	(*p)++;
}

/* "2026-01-02", "2026-01-02T03:04[:05[.123]][Z|+01:00]" or "@EPOCH" to the
 * records' fixed-width form, so that string order is time order. */
static void parse_ts(const char *s, char out[31])
{
	struct tm tm = { .tm_mday = 1 };
	struct timespec ts = { 0, 0 };
	const char *p = s;
	char *end;
	long off = 0;
	char buf[40];
	struct fg_buf b = { buf, 0, sizeof(buf), false };

	if (*p == '@') {
		errno = 0;
		ts.tv_sec = (time_t)strtoll(p + 1, &end, 10);
		if (errno || end == p + 1 || *end)
			die(2, "bad time '%s'", s);
		goto format;
	}
	tm.tm_year = digits(&p, 4, s) - 1900;
	expect_char(&p, '-', s);
	tm.tm_mon = digits(&p, 2, s) - 1;
	expect_char(&p, '-', s);
	tm.tm_mday = digits(&p, 2, s);
	if (*p == 'T' || *p == ' ') {
		p++;
		tm.tm_hour = digits(&p, 2, s);
		expect_char(&p, ':', s);
		tm.tm_min = digits(&p, 2, s);
		if (*p == ':') {
			p++;
			tm.tm_sec = digits(&p, 2, s);
			if (*p == '.') {
				long mul = 100000000;
				for (p++; *p >= '0' && *p <= '9'; p++, mul /= 10)
					ts.tv_nsec += (*p - '0') * mul;
			}
		}
		if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1;
			int hh = digits(&p, 2, s);
			expect_char(&p, ':', s);
			off = sign * (hh * 3600L + digits(&p, 2, s) * 60L);
		} else if (*p == 'Z')
			p++;
	}
	if (*p || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		die(2, "bad time '%s'", s);
	ts.tv_sec = timegm(&tm) - off;
format:
	fg_buf_ts(&b, &ts);
	memcpy(out, buf + 1, 30);       /* without the quotes */
	out[30] = '\0';
}

/* Is the value (a JSON string as written) equal to the raw bytes want? */
static bool str_is(const char *val, size_t vl, const char *want)
{
	char tmp[4096];
	size_t n;
	const char *end;

	if (vl < 2 || val[0] != '"' ||
	    fg_json_unescape(val, val + vl, tmp, sizeof(tmp), &n, &end) < 0)
		return false;
	return n == strlen(want) && memcmp(tmp, want, n) == 0;
}

static bool matches(const struct filter *f, const char *line, size_t len)
{
	const char *v;
	size_t vl;

	if (f->agent && (fg_json_get(line, len, "agent", &v, &vl) < 0 || !str_is(v, vl, f->agent)))
		return false;
	if (f->op && (fg_json_get(line, len, "op", &v, &vl) < 0 || !str_is(v, vl, f->op)))
		return false;
	if (f->decision && (fg_json_get(line, len, "decision", &v, &vl) < 0 ||
			    !str_is(v, vl, f->decision)))
		return false;
	if (f->since[0] || f->until[0]) {
		if (fg_json_get(line, len, "ts", &v, &vl) < 0 || vl != 32)
			return false;
		if (f->since[0] && memcmp(v + 1, f->since, 30) < 0)
			return false;
		if (f->until[0] && memcmp(v + 1, f->until, 30) > 0)
			return false;
	}
	return true;
}

/* A value for people: strings as their original bytes, the rest as is. */
static void put_value(const char *val, size_t vl)
{
	static char tmp[FG_AUDIT_LINE_MAX];
	const char *p = val, *end = val + vl, *next;
	size_t n;

	if (*p != '"' && *p != '[') {
		fwrite(val, 1, vl, stdout);
		return;
	}
	if (*p == '[')
		p++, fputc('[', stdout);
	while (p < end) {
		if (*p == '"' && fg_json_unescape(p, end, tmp, sizeof(tmp), &n, &next) == 0) {
			fwrite(tmp, 1, n, stdout);
			p = next;
		} else
			fputc(*p++, stdout);
	}
}

static int print_field(void *arg, const struct fg_json_field *fl)
{
	bool *first = arg;
	static const char *const skip[] = { "prev", "hash", "host", "uid", "exe", NULL };

	for (int i = 0; skip[i]; i++)
		if (fl->keylen == strlen(skip[i]) && !memcmp(fl->key, skip[i], fl->keylen))
			return 0;
	if (!*first)
		fputc(' ', stdout);
	*first = false;
	if (fl->keylen == 3 && !memcmp(fl->key, "seq", 3)) {
		fwrite(fl->val, 1, fl->vallen, stdout);
		return 0;
	}
	if (fl->keylen == 2 && !memcmp(fl->key, "ts", 2)) {
		put_value(fl->val, fl->vallen);
		return 0;
	}
	fwrite(fl->key, 1, fl->keylen, stdout);
	fputc('=', stdout);
	put_value(fl->val, fl->vallen);
	return 0;
}

static void on_record(void *arg, const char *file, uint64_t lineno, const char *line, size_t len)
{
	struct filter *f = arg;
	bool first = true;

	(void)file;
	(void)lineno;
	if (f->ck)
		fg_vckpt_on_record(f->ck, line, len);
	if (!f->print || !matches(f, line, len))
		return;
	f->printed++;
	if (f->json) {
		fwrite(line, 1, len, stdout);
		fputc('\n', stdout);
		return;
	}
	fg_json_fields(line, len, print_field, &first);
	fputc('\n', stdout);
}

static void json_str(const char *s)
{
	char buf[PATH_MAX * 6 + 8];
	struct fg_buf b = { buf, 0, sizeof(buf), false };

	fg_buf_json_str(&b, s, strlen(s));
	fwrite(b.p, 1, b.len, stdout);
}

static void report_json(const struct fg_verify_result *r, char **files, size_t n,
			const struct fg_vckpt *ck)
{
	printf("{\"intact\":%s,\"status\":\"%s\"", r->status ? "false" : "true",
	       fg_verify_reason(r->status));
	if (r->status) {
		printf(",\"file\":");
		json_str(r->file);
		printf(",\"line\":%llu,\"offset\":%llu,\"seq\":%llu,\"detail\":",
		       (unsigned long long)r->line, (unsigned long long)r->offset,
		       (unsigned long long)r->seq);
		json_str(r->detail);
	}
	printf(",\"records\":%llu,\"first_seq\":%llu,\"last_seq\":%llu,\"repairs\":%llu,\"head\":",
	       (unsigned long long)r->records, (unsigned long long)r->first_seq,
	       (unsigned long long)r->last_seq, (unsigned long long)r->repairs);
	if (r->head[0])
		printf("\"%s\"", r->head);
	else
		printf("null");
	printf(",\"files\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			putchar(',');
		json_str(files[i]);
	}
	printf("],\"checkpoints\":%zu,\"witness\":", ck ? fg_vckpt_count(ck) : (size_t)0);
	if (ck)
		json_str(fg_vckpt_witness(ck));
	else
		printf("null");
	if (ck && fg_vckpt_count(ck))
		printf(",\"last_checkpoint\":{\"seq\":%llu,\"time\":\"%s\",\"key\":\"%s\"}",
		       (unsigned long long)fg_vckpt_last_seq(ck), fg_vckpt_last_time(ck),
		       fg_vckpt_key_id(ck));
	printf("}\n");
}

/* What the checkpoints said of an intact log. */
static void report_checkpoints(FILE *out, const struct fg_vckpt *ck)
{
	if (!ck)
		return;
	if (fg_vckpt_count(ck))
		fprintf(out, "%zu signed checkpoint%s agree (last: seq %llu at %s, key %s, witness %s)\n",
			fg_vckpt_count(ck), fg_vckpt_count(ck) == 1 ? "" : "s",
			(unsigned long long)fg_vckpt_last_seq(ck), fg_vckpt_last_time(ck),
			fg_vckpt_key_id(ck), fg_vckpt_witness(ck));
	else
		fprintf(out, "no signed checkpoints for this log in '%s': truncation cannot be told\n",
			fg_vckpt_witness(ck));
}

static void report_text(FILE *out, const struct fg_verify_result *r, char **files, size_t n,
			const struct fg_vckpt *ck)
{
	if (r->status == FG_VERIFY_INTACT) {
		fprintf(out, "%s: intact, %llu records", n ? files[n - 1] : "",
			(unsigned long long)r->records);
		if (r->records)
			fprintf(out, " (seq %llu..%llu), head %s", (unsigned long long)r->first_seq,
				(unsigned long long)r->last_seq, r->head);
		if (r->repairs)
			fprintf(out, ", %llu repaired crash%s", (unsigned long long)r->repairs,
				r->repairs == 1 ? "" : "es");
		fprintf(out, "\n");
		report_checkpoints(out, ck);
		if (ck && fg_vckpt_digests(ck))
			fprintf(out, "%s\n", "record contents checked against the checkpoints' digests (without --key, records after the last checkpoint are not)");
		return;
	}
	if (r->status == FG_VERIFY_TRUNCATED || r->status == FG_VERIFY_CHECKPOINT_MISMATCH) {
		fprintf(out, "%s: not intact: %s: %s\n", n ? files[n - 1] : "",
			fg_verify_reason(r->status), r->detail);
		return;
	}
	if (r->line && r->seq)
		fprintf(out, "%s:%llu: seq %llu: %s: %s\n", r->file, (unsigned long long)r->line,
			(unsigned long long)r->seq, fg_verify_reason(r->status), r->detail);
	else if (r->line)
		fprintf(out, "%s:%llu: %s: %s\n", r->file, (unsigned long long)r->line,
			fg_verify_reason(r->status), r->detail);
	else
		fprintf(out, "%s: %s: %s\n", r->file, fg_verify_reason(r->status), r->detail);
	if (r->records)
		fprintf(out, "%llu records before it are intact (seq %llu..%llu)\n",
			(unsigned long long)r->records, (unsigned long long)r->first_seq,
			(unsigned long long)r->last_seq);
	if (r->status == FG_VERIFY_TORN_TAIL)
		fprintf(out, "hint: a crash, not tampering; the next append ends the line "
			"and records a repair\n");
}

/* Are the n bytes read, with no newline among them, the start of a first
 * record that its writer did not finish: {"seq": or a piece of it?  (Past
 * 7 bytes the caller's line test has taken it already.) */
static bool torn_first_record(const char *buf, size_t n)
{
	static const char start[] = "{\"seq\":";

	return n > 0 && memchr(buf, '\n', n) == NULL &&
	       strncmp(buf, start, n < sizeof(start) - 1 ? n : sizeof(start) - 1) == 0;
}

/*
 * Is path an audit log at all?  A regular file with a line starting
 * {"seq": in its first 64 KiB, a first record torn before its newline
 * (even inside {"seq":, as a writer killed in its first append leaves it:
 * a torn tail, SPEC section 6), or an empty one beside its writer's head
 * file.  A policy, a head file, an empty file or
 * /dev/null is not: saying "malformed line", "torn tail" or "intact, 0
 * records" of those would mislead.  A log whose records were overwritten
 * with something else entirely is not one either, and exit 2 still fails.
 */
static void require_log(const char *path)
{
	char buf[65536 + 1];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die(2, "cannot read '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		die(2, "'%s' is not an audit log: not a regular file", path);
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		die(2, "cannot read '%s': %s", path, strerror(errno));
	buf[n] = '\0';
	if (n == 0) {
		/* a writer makes <log>.head, then the log: killed right after,
		 * it leaves an empty log that is one, with 0 records */
		char head[PATH_MAX + 8];
		struct stat hs;

		snprintf(head, sizeof(head), "%s.head", path);
		if (stat(head, &hs) == 0 && S_ISREG(hs.st_mode))
			return;
		die(2, "'%s' is not an audit log: it is empty (and has no '%s' beside it)", path, head);
	}
	for (const char *p = buf; p != NULL && p < buf + n; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, "{\"seq\":", 7) == 0)
			return;
	if (torn_first_record(buf, (size_t)n))
		return;
	die(2, "'%s' is not an audit log: no record in it (a record is a line starting {\"seq\":)\n"
	       "hint: the log is [audit] log of the policy, by default <root>/.fleetguard/audit.log", path);
}

/* --decision takes what records carry. */
static const char *decision_arg(const char *v)
{
	if (strcmp(v, "allow") != 0 && strcmp(v, "deny") != 0 && strcmp(v, "report") != 0)
		die(2, "bad --decision '%s': expected allow, deny or report", v);
	return v;
}

/* What the command line asks for. */
struct args {
	struct fg_verify_opts o;
	struct filter f;
	struct fg_vckpt_opts co;
	unsigned char key[FG_KEY_MAX];
	char head[FG_HASH_HEX + 1];
	bool filtering;
};

static unsigned long long from_arg(const char *v)
{
	unsigned long long seq;
	char *end;

	errno = 0;
	seq = strtoull(v, &end, 10);
	if (errno || *end || end == v || seq == 0 || v[0] == '-')
		die(2, "bad --from '%s': expected a seq of 1 or more", v);
	return seq;
}

/* --expect-head, lowercased into head. */
static const char *head_arg(const char *v, char head[FG_HASH_HEX + 1])
{
	if (strlen(v) != FG_HASH_HEX)
		die(2, "bad --expect-head '%s': expected 64 hex digits", v);
	for (int i = 0; i < FG_HASH_HEX; i++)
		head[i] = (char)(v[i] >= 'A' && v[i] <= 'F' ? v[i] - 'A' + 'a' : v[i]);
	head[FG_HASH_HEX] = '\0';
	if (!fg_is_hex64(head))
		die(2, "bad --expect-head '%s': expected 64 hex digits", v);
	return head;
}

/* The options into a; returns the index of the first file, exits on
 * --help (0) and on usage errors (2). */
static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "from", required_argument, NULL, 'f' },
		{ "expect-head", required_argument, NULL, 'e' },
		{ "print", no_argument, NULL, 'p' },
		{ "agent", required_argument, NULL, 'a' },
		{ "op", required_argument, NULL, 'o' },
		{ "decision", required_argument, NULL, 'd' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "witness", required_argument, NULL, 'W' },
		{ "pubkey", required_argument, NULL, 'P' },
		{ "log-id", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[512];
	int opt;

	while ((opt = getopt_long(argc, argv, "k:jf:e:pa:o:d:s:u:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'k':
			if (fg_key_load(optarg, a->key, &a->o.keylen, err, sizeof(err)) < 0)
				die(2, "%s", err);
			a->o.key = a->key;
			break;
		case 'j': a->f.json = true; break;
		case 'f': a->o.from_seq = from_arg(optarg); break;
		case 'e': a->o.expect_head = head_arg(optarg, a->head); break;
		case 'p': a->f.print = true; break;
		case 'a': a->f.agent = optarg; a->filtering = true; break;
		case 'o': a->f.op = optarg; a->filtering = true; break;
		case 'd': a->f.decision = decision_arg(optarg); a->filtering = true; break;
		case 's': parse_ts(optarg, a->f.since); a->filtering = true; break;
		case 'u': parse_ts(optarg, a->f.until); a->filtering = true; break;
		case 'W': a->co.witness = optarg; break;
		case 'P': a->co.pubkey = optarg; break;
		case 'L': a->co.log_id = optarg; break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		exit(2);
	}
	if (a->filtering && !a->f.print)
		die(2, "--agent, --op, --decision, --since and --until need --print");
	return optind;
}

/* The files to verify: one name stands for the log and its segments, more
 * are taken as they are.  *files is malloc'd; res is set to intact unless
 * the discovery already found a segment missing. */
static void list_files(char **names, size_t count, unsigned long long from_seq,
		       char ***files, size_t *n, struct fg_verify_result *res)
{
	int r;

	if (count == 1) {
		r = fg_verify_discover(names[0], from_seq, files, n, res);
		if (r < 0)
			die(2, "cannot read '%s': %s", names[0], strerror(-r));
		return;
	}
	*n = count;
	*files = malloc(count * sizeof(**files));
	if (!*files)
		die(2, "out of memory");
	for (size_t i = 0; i < count; i++)
		(*files)[i] = names[i];
	res->status = FG_VERIFY_INTACT;
}

int main(int argc, char **argv)
{
	static struct args a;
	struct fg_verify_result res;
	char err[512], **files = NULL;
	size_t n;
	int first, r;

	fg_prog = "fleetguard-verify";
	first = parse_args(argc, argv, &a);
	a.co.log = argv[argc - 1];
	if (fg_vckpt_load(&a.co, &a.f.ck, err, sizeof(err)) < 0)
		die(2, "%s", err);
	a.o.on_record = on_record;
	a.o.arg = &a.f;
	/* an HMAC log without its key: the signed digests vouch for contents */
	a.o.links_only = !a.o.key && fg_vckpt_digests(a.f.ck);

	list_files(argv + first, (size_t)(argc - first), a.o.from_seq, &files, &n, &res);
	if (res.status == FG_VERIFY_INTACT) {
		for (size_t i = 0; i < n; i++)
			require_log(files[i]);
		r = fg_verify_files((const char *const *)files, n, &a.o, &res);
		if (r < 0)
			die(2, "cannot read '%s': %s", res.file, strerror(-r));
	}
	explicit_bzero(a.key, sizeof(a.key));
	fg_vckpt_judge(a.f.ck, a.o.from_seq, &res);
	if (a.f.json)
		report_json(&res, files, n, a.f.ck);
	else
		report_text(a.f.print ? stderr : stdout, &res, files, n, a.f.ck);
	fg_vckpt_free(a.f.ck);
	free(files);
	if (fflush(stdout) != 0)
		die(2, "cannot write the output: %s", strerror(errno));
	return res.status == FG_VERIFY_INTACT ? 0 : 1;
}
