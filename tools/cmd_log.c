/* cmd_log.c - "fleetguard log": a summary of an audit log a person reads, in
 * a terminal, as JSON or as one HTML page.
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
 * The chain is checked first (as fleetguard-verify does) and its verdict
 * heads the summary; the summary then counts every well-formed record of
 * the log and its segments, so that a broken chain still shows what the
 * log says.  Exit 0 when the chain is intact, 1 when not (the summary is
 * printed all the same), 2 on usage or I/O errors.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/record.h"
#include "audit/verify.h"
#include "summary/summary.h"
#include "tools/tools.h"

struct log_opts {
	bool json, hook;
	const char *html, *keyfile, *log;
	size_t top;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: %s log [--json] [--html FILE] [--top N] [--key FILE] LOG\n"
		   "\n"
		   "Summarise an audit log: the chain's verdict, denials grouped by rule and\n"
		   "path, circuit breaker transitions on a time line, per-process counts.\n"
		   "\n"
		   "  --json        the summary as JSON on stdout\n"
		   "  --html FILE   also write one self-contained HTML page to FILE\n"
		   "  --top N       rows per terminal table (default 20, 0: all)\n"
		   "  --key FILE    the HMAC key of a keyed chain ([audit] key_file)\n",
		fg_prog);
}

static void parse_args(int argc, char **argv, struct log_opts *o)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "html", required_argument, NULL, 'H' },
		{ "top", required_argument, NULL, 't' },
		{ "key", required_argument, NULL, 'k' },
		{ "html-test-hook", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	optind = 1;
	o->top = 20;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': o->json = true; break;
		case 'H': o->html = optarg; break;
		case 'k': o->keyfile = optarg; break;
		case 'T': o->hook = true; break;
		case 't':
			errno = 0;
			o->top = strtoul(optarg, &end, 10);
			if (errno || *end || optarg[0] == '-' || optarg[0] == '\0')
				die(2, "--top: '%s' is not a number of rows", optarg);
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "%s log: expected one log, got %d\n", fg_prog, argc - optind);
		usage(stderr);
		exit(2);
	}
	o->log = argv[optind];
}

/* The chain's verdict into s; returns 0 when intact, 1 when not. */
static int check_chain(const struct log_opts *o, char **files, size_t n, struct fg_sum *s)
{
	static struct fg_verify_result res;
	unsigned char key[FG_KEY_MAX];
	struct fg_verify_opts vo = { 0 };
	char err[512];
	int rc;

	if (o->keyfile != NULL) {
		if (fg_key_load(o->keyfile, key, &vo.keylen, err, sizeof(err)) < 0)
			die(2, "%s", err);
		vo.key = key;
	}
	rc = fg_verify_files((const char *const *)files, n, &vo, &res);
	if (rc < 0)
		die(2, "cannot read '%s': %s", res.file, strerror(-rc));
	s->intact = res.status == FG_VERIFY_INTACT;
	if (s->intact)
		snprintf(s->verdict, sizeof(s->verdict), "intact, %llu records",
			 (unsigned long long)res.records);
	else
		snprintf(s->verdict, sizeof(s->verdict), "%s at %s:%llu (seq %llu)%s%s%s",
			 fg_verify_reason(res.status), res.file, (unsigned long long)res.line,
			 (unsigned long long)res.seq, res.detail[0] ? ": " : "", res.detail,
			 res.status == FG_VERIFY_HASH_MISMATCH && o->keyfile == NULL ?
			 " (a keyed chain needs --key)" : "");
	return s->intact ? 0 : 1;
}

static void read_file(const char *path, struct fg_sum *s)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (f == NULL)
		die(2, "cannot read '%s': %s", path, strerror(errno));
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			n--;
		if (fg_sum_add(s, line, (size_t)n) == -ENOMEM)
			die(2, "out of memory");
	}
	free(line);
	fclose(f);
}

static void write_html(const struct fg_sum *s, const char *path, bool hook)
{
	FILE *f = fopen(path, "we");

	if (f != NULL) {
		fg_sum_html(s, f, hook);
		if (fclose(f) == 0)
			return;
	}
	die(2, "cannot write '%s': %s", path, strerror(errno));
}

int fg_cmd_log(int argc, char **argv)
{
	struct log_opts o = { 0 };
	static struct fg_verify_result verdict;        /* one log per run */
	struct fg_verify_result *res = &verdict;
	struct fg_sum *s;
	char **files = NULL;
	size_t n = 0;
	int rc, status;

	parse_args(argc, argv, &o);
	if (fg_sum_new(&s) < 0)
		die(2, "out of memory");
	rc = fg_verify_discover(o.log, 0, &files, &n, res);
	if (rc < 0)
		die(2, "cannot read '%s': %s", o.log, strerror(-rc));
	s->source = o.log;
	status = check_chain(&o, files, n, s);
	if (res->status == FG_VERIFY_MISSING_SEGMENT) {
		snprintf(s->verdict, sizeof(s->verdict), "missing segment %s", res->file);
		s->intact = false;
		status = 1;
	}
	for (size_t i = 0; i < n; i++)
		read_file(files[i], s);
	fg_sum_finish(s);
	if (o.json)
		fg_sum_json(s, stdout);
	else
		fg_sum_text(s, stdout, o.top);
	if (o.html != NULL)
		write_html(s, o.html, o.hook);
	if (fflush(stdout) != 0)
		die(2, "cannot write the summary: %s", strerror(errno));
	fg_sum_free(s);
	free(files);
	return status;
}
