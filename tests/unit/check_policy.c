/* check_policy.c - the policy parser and matcher.
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
 * Policies are parsed from buffers named "/srv/ws/fleetguard.ini", so the
 * default root is /srv/ws.  Every bad-input case checks the line and the
 * wording of the diagnostic, not only that parsing failed.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "policy/policy.h"
#include "tests/unit/check_main.h"

#define NAME "/srv/ws/fleetguard.ini"

struct diags {
	int n;
	unsigned line[64];
	char msg[64][512];
	char file[256];
};

static void collect(void *ctx, const char *file, unsigned line, const char *msg)
{
	struct diags *d = ctx;

	if (d->n < 64) {
		d->line[d->n] = line;
		snprintf(d->msg[d->n], sizeof(d->msg[0]), "%s", msg);
		snprintf(d->file, sizeof(d->file), "%s", file);
	}
	d->n++;
}

static struct fg_policy *ok(const char *text)
{
	struct diags d = { 0 };
	struct fg_policy *p = NULL;
	int rc = fg_policy_parse(NAME, text, strlen(text), &p, collect, &d);

	ck_assert_msg(rc == 0, "expected a valid policy, got %d problems, first: %u: %s", rc,
		      d.line[0], d.msg[0]);
	ck_assert_ptr_nonnull(p);
	return p;
}

/* Parse text expected to be bad; returns the problem count. */
static int bad_len(const char *text, size_t len, struct diags *d)
{
	struct fg_policy *p = (struct fg_policy *)1;
	int rc;

	memset(d, 0, sizeof(*d));
	rc = fg_policy_parse(NAME, text, len, &p, collect, d);
	ck_assert_msg(rc > 0, "expected problems in: %s", text);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(rc, d->n);
	return rc;
}

static int bad(const char *text, struct diags *d)
{
	return bad_len(text, strlen(text), d);
}

/* Exactly one problem, on line, whose message contains want. */
static void one_bad(const char *text, unsigned line, const char *want)
{
	struct diags d;

	bad(text, &d);
	ck_assert_msg(d.n == 1, "expected 1 problem, got %d; first: %u: %s", d.n, d.line[0], d.msg[0]);
	ck_assert_uint_eq(d.line[0], line);
	ck_assert_msg(strstr(d.msg[0], want), "message '%s' lacks '%s'", d.msg[0], want);
}

static bool has_path(const struct fg_path_list *l, const char *path, unsigned line)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].path, path) && l->v[i].line == line)
			return true;
	return false;
}

static bool can(const struct fg_policy *p, const char *path, unsigned acc, struct fg_verdict *v)
{
	struct fg_verdict tmp;

	return fg_policy_path(p, path, strlen(path), acc, v ? v : &tmp);
}

/* ---------------------------------------------------------------- syntax */

/* --- allocation failures ------------------------------------------------- */

#include "tests/unit/failmalloc.h"

START_TEST(t_empty_defaults)
{
	struct fg_policy *p = ok("");

	ck_assert_str_eq(p->file, NAME);
	ck_assert_str_eq(p->root, "/srv/ws");
	ck_assert_int_eq(p->fs.mode, FG_MODE_ENFORCE);
	ck_assert(p->fs.system);
	ck_assert_int_eq(p->fs.kernel, FG_KERNEL_AUTO);
	ck_assert(!p->fs.unconfined_exec);
	ck_assert(has_path(&p->fs.write, "/srv/ws", 0));
	ck_assert_uint_eq(p->fs.deny.n, 0);
	ck_assert(p->net.dns);
	ck_assert_int_eq(p->net.mode, FG_MODE_ENFORCE);
	ck_assert_uint_eq(p->breaker.threshold, 5);
	ck_assert_uint_eq(p->breaker.open_seconds, 60);
	ck_assert_uint_eq(p->breaker.max_open_seconds, 600);
	ck_assert_uint_eq(p->breaker.probes, 1);
	ck_assert_uint_eq(p->breaker.min_processes, 1);
	ck_assert_uint_eq(p->breaker.slow_first_byte_seconds, 0);
	ck_assert_str_eq(p->breaker.state_dir, "/run/fleetguard");
	ck_assert(!p->breaker.state_dir_set);
	ck_assert(fg_status_is_failure(&p->breaker, 429));
	ck_assert(fg_status_is_failure(&p->breaker, 500));
	ck_assert(fg_status_is_failure(&p->breaker, 599));
	ck_assert(!fg_status_is_failure(&p->breaker, 404));
	ck_assert(!fg_status_is_failure(&p->breaker, 200));
	ck_assert_str_eq(p->audit.log, "/srv/ws/.fleetguard/audit.log");
	ck_assert_int_eq(p->audit.events, FG_EVENTS_ALL);
	ck_assert_int_eq(p->audit.fsync, FG_FSYNC_BATCH);
	ck_assert_int_eq(p->audit.on_failure, FG_ONFAIL_DENY);
	ck_assert_ptr_null(p->audit.key_file);
	ck_assert_uint_eq(p->audit.max_size, 64u * 1024 * 1024);
	ck_assert_uint_eq(p->nep, 0);
	fg_policy_free(p);
}
END_TEST

START_TEST(t_full_example)
{
	struct fg_policy *p = ok(
		"[workspace]\n"
		"root = /srv/agents/ws-42\n"
		"agent_id = coder-7\n"
		"[filesystem]\n"
		"mode = report\n"
		"system = no\n"
		"read = ${root}, /opt/models\n"
		"write = ${root}, /tmp\n"
		"deny = ${root}/.git/hooks\n"
		"kernel = on\n"
		"unconfined_exec = allow\n"
		"[network]\n"
		"mode = off\n"
		"allow = api.openai.com:443, 127.0.0.1:8000\n"
		"dns = no\n"
		"[audit]\n"
		"log = /var/log/fg/audit.log\n"
		"events = denied\n"
		"fsync = always\n"
		"on_failure = allow\n"
		"key_file = /etc/fleetguard/audit.key\n"
		"max_size = 0\n");

	ck_assert_str_eq(p->root, "/srv/agents/ws-42");
	ck_assert_str_eq(p->agent_id, "coder-7");
	ck_assert_int_eq(p->fs.mode, FG_MODE_REPORT);
	ck_assert(!p->fs.system);
	ck_assert_int_eq(p->fs.kernel, FG_KERNEL_ON);
	ck_assert(p->fs.unconfined_exec);
	ck_assert_uint_eq(p->fs.line, 4);
	ck_assert(has_path(&p->fs.read, "/srv/agents/ws-42", 7));
	ck_assert(has_path(&p->fs.read, "/opt/models", 7));
	ck_assert(has_path(&p->fs.write, "/tmp", 8));
	ck_assert(has_path(&p->fs.deny, "/srv/agents/ws-42/.git/hooks", 9));
	ck_assert_uint_eq(p->fs.read.n, 2);     /* system = no: nothing added */
	ck_assert_uint_eq(p->fs.write.n, 2);    /* the default ${root} is replaced */
	ck_assert_int_eq(p->net.mode, FG_MODE_OFF);
	ck_assert(!p->net.dns);
	ck_assert_uint_eq(p->net.nallow, 2);
	ck_assert_int_eq(p->audit.events, FG_EVENTS_DENIED);
	ck_assert_int_eq(p->audit.fsync, FG_FSYNC_ALWAYS);
	ck_assert_int_eq(p->audit.on_failure, FG_ONFAIL_ALLOW);
	ck_assert_str_eq(p->audit.key_file, "/etc/fleetguard/audit.key");
	ck_assert_str_eq(p->audit.log, "/var/log/fg/audit.log");
	ck_assert_uint_eq(p->audit.max_size, 0);
	fg_policy_free(p);
}
END_TEST

START_TEST(t_bom_accepted)
{
	struct fg_policy *p = ok("\xef\xbb\xbf[filesystem]\nread = /opt\n");

	ck_assert(has_path(&p->fs.read, "/opt", 2));
	fg_policy_free(p);
}
END_TEST

START_TEST(t_crlf_accepted)
{
	struct fg_policy *p = ok("[filesystem]\r\nread = /opt , /data\r\nmode = report\r\n");

	ck_assert(has_path(&p->fs.read, "/opt", 2));
	ck_assert(has_path(&p->fs.read, "/data", 2));
	ck_assert_int_eq(p->fs.mode, FG_MODE_REPORT);
	fg_policy_free(p);
}
END_TEST

START_TEST(t_bom_crlf_no_final_newline)
{
	struct fg_policy *p = ok("\xef\xbb\xbf[network]\r\nallow = a.example:1");

	ck_assert_uint_eq(p->net.allow[0].line, 2);
	ck_assert_str_eq(p->net.allow[0].host, "a.example");
	fg_policy_free(p);
}
END_TEST

START_TEST(t_comments)
{
	struct fg_policy *p = ok("; leading\n# hash\n[filesystem] ; after header\n"
				 "read = /opt ; inline comment\n  ; indented comment\n\n");

	ck_assert(has_path(&p->fs.read, "/opt", 4));
	fg_policy_free(p);
	/* a '#' after a blank ends the value too: the deny must not become
	 * "/secret # keep out" and so deny nothing */
	p = ok("[filesystem]\ndeny = /secret # keep out\nread = /a#b\n");
	ck_assert(has_path(&p->fs.deny, "/secret", 2));
	ck_assert(has_path(&p->fs.read, "/a#b", 3));
	fg_policy_free(p);
}
END_TEST

START_TEST(t_no_continuation_lines)
{
	/* inih would glue an indented line onto the previous value; we don't */
	one_bad("[filesystem]\nread = /a\n    /b\n", 3, "missing '='");
}
END_TEST

START_TEST(t_line_too_long)
{
	size_t n = FG_POLICY_MAX_LINE + 100;
	char *buf = malloc(n + 64);
	struct diags d;

	ck_assert_ptr_nonnull(buf);
	strcpy(buf, "[filesystem]\nread = /");
	memset(buf + strlen(buf), 'a', n);
	strcpy(buf + 21 + n, "\nbogus = 1\n");
	bad(buf, &d);
	ck_assert_int_eq(d.n, 2);               /* the long line, and the line after it */
	ck_assert_uint_eq(d.line[0], 2);
	ck_assert(strstr(d.msg[0], "line too long"));
	ck_assert_uint_eq(d.line[1], 3);
	ck_assert(strstr(d.msg[1], "unknown key 'bogus'"));
	free(buf);
}
END_TEST

START_TEST(t_longest_line_ok)
{
	size_t n = FG_POLICY_MAX_LINE - strlen("read = /");
	char *buf = malloc(FG_POLICY_MAX_LINE + 64);
	struct fg_policy *p;
	struct diags d = { 0 };

	ck_assert_ptr_nonnull(buf);
	strcpy(buf, "[filesystem]\nread = /");
	memset(buf + 21, 'a', n);
	buf[21 + n] = '\0';
	/* a path component of that size is too long for PATH_MAX, so expect that,
	 * which proves the full line reached the value parser intact */
	ck_assert_int_eq(fg_policy_parse(NAME, buf, strlen(buf), &p, collect, &d), 1);
	ck_assert(strstr(d.msg[0], "too long"));
	ck_assert(!strstr(d.msg[0], "line too long"));
	free(buf);
}
END_TEST

START_TEST(t_nul_byte)
{
	static const char text[] = "[filesystem]\nread = /a\0b\nmode = report\n";
	struct diags d;

	bad_len(text, sizeof(text) - 1, &d);
	ck_assert_int_eq(d.n, 1);
	ck_assert_uint_eq(d.line[0], 2);
	ck_assert_str_eq(d.msg[0], "nul byte at column 10");
}
END_TEST

START_TEST(t_invalid_utf8)
{
	one_bad("[filesystem]\nread = /caf\xc3\n", 2, "invalid utf-8 at column 12");
	one_bad("[filesystem]\nread = /\xc0\x80\n", 2, "invalid utf-8");        /* overlong */
	one_bad("[filesystem]\nread = /\xed\xa0\x80\n", 2, "invalid utf-8");    /* surrogate */
	one_bad("[filesystem]\nread = /\xf4\x90\x80\x80\n", 2, "invalid utf-8"); /* > U+10FFFF */
	one_bad("; \xff comment\n", 1, "invalid utf-8");
}
END_TEST

START_TEST(t_valid_utf8)
{
	struct fg_policy *p = ok("; ünïcødé 😀\n[filesystem]\nread = /données/日本\n");

	ck_assert(has_path(&p->fs.read, "/données/日本", 3));
	fg_policy_free(p);
}
END_TEST

START_TEST(t_control_char)
{
	one_bad("[filesystem]\nread = /a\x1b[0m\n", 2, "control character 0x1b");
	one_bad("[filesystem]\nread = /a\rb\n", 2, "control character 0x0d");
}
END_TEST

START_TEST(t_missing_equals)
{
	one_bad("[filesystem]\nread /opt\n", 2, "missing '='");
	one_bad("[filesystem]\nread: /opt\n", 2, "missing '='");
}
END_TEST

START_TEST(t_unterminated_section)
{
	one_bad("[filesystem\nread = /opt\n", 1, "unterminated section header");
}
END_TEST

START_TEST(t_text_after_section)
{
	one_bad("[filesystem] x\n", 1, "unexpected text after section header");
}
END_TEST

START_TEST(t_unknown_section)
{
	one_bad("[filesytem]\nread = /opt\n", 1, "unknown section '[filesytem]'");
	one_bad("[network extra]\n", 1, "unknown section");
}
END_TEST

START_TEST(t_unknown_key)
{
	one_bad("[filesystem]\nwrit = /tmp\n", 2, "unknown key 'writ' in [filesystem]");
	one_bad("[endpoint e]\naddress = a.b:1\nmode = off\n", 3, "unknown key 'mode' in [endpoint e]");
}
END_TEST

START_TEST(t_duplicate_key)
{
	one_bad("[network]\nallow = a.b:1\n\nallow = c.d:2\n", 4, "duplicate key 'allow' (first at line 2)");
}
END_TEST

START_TEST(t_duplicate_section)
{
	one_bad("[audit]\n[network]\n[audit]\n", 3, "duplicate section '[audit]' (first at line 1)");
	one_bad("[endpoint a]\naddress=x.y:1\n[endpoint a]\n", 3, "duplicate section '[endpoint a]'");
}
END_TEST

START_TEST(t_key_outside_section)
{
	one_bad("read = /opt\n", 1, "outside of any section");
}
END_TEST

START_TEST(t_invalid_key)
{
	one_bad("[filesystem]\nRead = /opt\n", 2, "invalid key 'Read'");
	one_bad("[filesystem]\n= /opt\n", 2, "missing key");
}
END_TEST

START_TEST(t_endpoint_names)
{
	one_bad("[endpoint]\n", 1, "needs a name");
	one_bad("[endpoint a/b]\n", 1, "invalid endpoint name");
	one_bad("[endpoint aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\n", 1,
		"endpoint name too long (at most 63 bytes)");
}
END_TEST

START_TEST(t_too_many_endpoints)
{
	char text[8192];
	size_t o = 0;

	for (int i = 0; i <= FG_POLICY_MAX_ENDPOINTS; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "[endpoint e%d]\naddress = h%d.example:443\n", i, i);
	one_bad(text, 2 * FG_POLICY_MAX_ENDPOINTS + 1, "too many endpoints (at most 64)");
	one_bad("[endpoint a]\naddress = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
		"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.example:443\n", 2, "too long");
}
END_TEST

START_TEST(t_all_errors_in_file_order)
{
	struct diags d;

	/* line 9's relative root is found in the second pass, line 2's key in
	 * the first: they must still come out sorted */
	bad("[filesystem]\n"
	    "bogus = 1\n"
	    "read = rel\n"
	    "mode = maybe\n"
	    "[network\n"
	    "x\n"
	    "[audit]\n"
	    "[workspace]\n"
	    "root = also/rel\n", &d);
	ck_assert_int_eq(d.n, 6);
	ck_assert_uint_eq(d.line[0], 2);
	ck_assert_uint_eq(d.line[1], 3);
	ck_assert_uint_eq(d.line[2], 4);
	ck_assert_uint_eq(d.line[3], 5);
	ck_assert_uint_eq(d.line[4], 6);
	ck_assert_uint_eq(d.line[5], 9);
	ck_assert_str_eq(d.file, NAME);
	for (int i = 0; i < d.n; i++) {
		size_t n = strlen(d.msg[i]);

		ck_assert_msg(n && d.msg[i][n - 1] != '.', "trailing period: %s", d.msg[i]);
		ck_assert_msg(!(d.msg[i][0] >= 'A' && d.msg[i][0] <= 'Z'), "capital: %s", d.msg[i]);
	}
}
END_TEST

/* ---------------------------------------------------------------- values */

START_TEST(t_root_used_before_defined)
{
	struct fg_policy *p = ok("[filesystem]\nwrite = ${root}/out\n[workspace]\nroot = /data/w\n");

	ck_assert(has_path(&p->fs.write, "/data/w/out", 2));
	ck_assert_str_eq(p->audit.log, "/data/w/.fleetguard/audit.log");
	fg_policy_free(p);
}
END_TEST

START_TEST(t_expand_home_tmpdir)
{
	struct fg_policy *p;

	setenv("HOME", "/home/agent", 1);
	setenv("TMPDIR", "/var/tmp/x", 1);
	p = ok("[filesystem]\ndeny = ${HOME}/.ssh\nwrite = ${TMPDIR}\n");
	ck_assert(has_path(&p->fs.deny, "/home/agent/.ssh", 2));
	ck_assert(has_path(&p->fs.write, "/var/tmp/x", 3));
	fg_policy_free(p);
	unsetenv("TMPDIR");
	p = ok("[filesystem]\nwrite = ${TMPDIR}\n");
	ck_assert(has_path(&p->fs.write, "/tmp", 2));
	fg_policy_free(p);
}
END_TEST

START_TEST(t_home_unset)
{
	unsetenv("HOME");
	one_bad("[filesystem]\ndeny = ${HOME}/.ssh\n", 2, "HOME is not set");
}
END_TEST

START_TEST(t_expand_env)
{
	struct fg_policy *p;

	setenv("FG_TEST_MODELS", "/opt/m,odels", 1);
	p = ok("[filesystem]\nread = ${ENV:FG_TEST_MODELS}/v1\n");
	/* the variable's comma stays inside the one item */
	ck_assert(has_path(&p->fs.read, "/opt/m,odels/v1", 2));
	for (size_t i = 0, n = 0; i < p->fs.read.n; i++)
		if (p->fs.read.v[i].origin == FG_ORIGIN_POLICY)
			ck_assert_uint_eq(++n, 1);
	fg_policy_free(p);
	unsetenv("FG_TEST_NOPE");
	one_bad("[filesystem]\nread = ${ENV:FG_TEST_NOPE}\n", 2, "environment variable 'FG_TEST_NOPE' is not set");
	one_bad("[filesystem]\nread = ${ENV:1X}\n", 2, "invalid variable name");
}
END_TEST

START_TEST(t_unknown_variable)
{
	one_bad("[filesystem]\nread = ${ROOT}/x\n", 2, "unknown variable '${ROOT}'");
	one_bad("[filesystem]\nread = ${root\n", 2, "unterminated '${'");
}
END_TEST

START_TEST(t_tilde_not_expanded)
{
	one_bad("[filesystem]\ndeny = ~/.ssh\n", 2, "~ is not expanded");
}
END_TEST

START_TEST(t_relative_path)
{
	one_bad("[filesystem]\nwrite = out\n", 2, "path 'out' is not absolute");
	one_bad("[audit]\nlog = audit.log\n", 2, "not absolute");
	one_bad("[breaker]\nstate_dir = run\n", 2, "not absolute");
	one_bad("[workspace]\nroot = ${ENV:FG_TEST_EMPTY}x\n", 2, "not set");
}
END_TEST

START_TEST(t_root_in_root)
{
	one_bad("[workspace]\nroot = ${root}/x\n", 2, "cannot be used in root");
}
END_TEST

START_TEST(t_paths_normalised)
{
	struct fg_policy *p = ok("[filesystem]\nread = /srv//ws/./a/../b/, /x/../../y\n");

	ck_assert(has_path(&p->fs.read, "/srv/ws/b", 2));
	ck_assert(has_path(&p->fs.read, "/y", 2));
	fg_policy_free(p);
}
END_TEST

START_TEST(t_lists)
{
	struct fg_policy *p = ok("[filesystem]\ndeny =\nread = /a ,/b,  /c\n");

	ck_assert_uint_eq(p->fs.deny.n, 0);
	ck_assert(has_path(&p->fs.read, "/a", 3));
	ck_assert(has_path(&p->fs.read, "/b", 3));
	ck_assert(has_path(&p->fs.read, "/c", 3));
	fg_policy_free(p);
	one_bad("[filesystem]\nread = /a,,/b\n", 2, "empty item");
	one_bad("[filesystem]\nread = /a,\n", 2, "empty item");
}
END_TEST

START_TEST(t_every_bad_list_item)
{
	struct diags d;

	bad("[filesystem]\nread = a, /ok, b, ${X}\n", &d);
	ck_assert_int_eq(d.n, 3);
	ck_assert(strstr(d.msg[0], "'a'"));
	ck_assert(strstr(d.msg[1], "'b'"));
	ck_assert(strstr(d.msg[2], "unknown variable"));
}
END_TEST

START_TEST(t_booleans_and_choices)
{
	struct fg_policy *p = ok("[filesystem]\nsystem = off\nkernel = off\n[network]\ndns = false\nmode = report\n");

	ck_assert(!p->fs.system);
	ck_assert_int_eq(p->fs.kernel, FG_KERNEL_OFF);
	ck_assert(!p->net.dns);
	ck_assert_int_eq(p->net.mode, FG_MODE_REPORT);
	fg_policy_free(p);
	one_bad("[network]\ndns = Yes\n", 2, "dns must be yes, no, true, false, on or off, not 'Yes'");
	one_bad("[filesystem]\nkernel = maybe\n", 2, "kernel must be auto, on or off");
	one_bad("[filesystem]\nunconfined_exec = yes\n", 2, "unconfined_exec must be deny or allow");
	one_bad("[audit]\nevents = some\n", 2, "events must be all, writes or denied");
	one_bad("[audit]\nfsync = sometimes\n", 2, "fsync must be always, batch or never");
	one_bad("[audit]\non_failure = ignore\n", 2, "on_failure must be deny or allow");
	one_bad("[network]\nmode = on\n", 2, "mode must be enforce, report or off");
}
END_TEST

START_TEST(t_number_ranges)
{
	struct fg_policy *p = ok("[breaker]\nthreshold = 1000000\nprobes = 1000\nopen_seconds = 1\n"
				 "max_open_seconds = 1\nslow_first_byte_seconds = 30\nmin_processes = 3\n");

	ck_assert_uint_eq(p->breaker.threshold, 1000000);
	ck_assert_uint_eq(p->breaker.probes, 1000);
	ck_assert_uint_eq(p->breaker.slow_first_byte_seconds, 30);
	ck_assert_uint_eq(p->breaker.min_processes, 3);
	fg_policy_free(p);
	one_bad("[breaker]\nthreshold = 0\n", 2, "threshold must be a whole number from 1 to 1000000, not '0'");
	one_bad("[breaker]\nthreshold = 1000001\n", 2, "threshold must be");
	one_bad("[breaker]\nprobes = -1\n", 2, "probes must be");
	one_bad("[breaker]\nopen_seconds = 5s\n", 2, "open_seconds must be");
	one_bad("[breaker]\nthreshold = 99999999999999999999999\n", 2, "threshold must be");
	one_bad("[breaker]\nthreshold =\n", 2, "threshold must be");
	one_bad("[breaker]\nmin_processes = 17\n", 2, "min_processes must be a whole number from 1 to 16");
}
END_TEST

START_TEST(t_open_max_open)
{
	one_bad("[breaker]\nopen_seconds = 100\nmax_open_seconds = 50\n", 3,
		"max_open_seconds (50) is less than open_seconds (100)");
	one_bad("[breaker]\nopen_seconds = 700\n", 2, "max_open_seconds (600) is less than open_seconds (700)");
}
END_TEST

START_TEST(t_failure_status)
{
	struct fg_policy *p = ok("[breaker]\nfailure_status = 408, 429, 500-504\n");

	ck_assert(fg_status_is_failure(&p->breaker, 408));
	ck_assert(fg_status_is_failure(&p->breaker, 429));
	ck_assert(fg_status_is_failure(&p->breaker, 500));
	ck_assert(fg_status_is_failure(&p->breaker, 504));
	ck_assert(!fg_status_is_failure(&p->breaker, 505));
	ck_assert(!fg_status_is_failure(&p->breaker, 503 + 100));
	fg_policy_free(p);
	p = ok("[breaker]\nfailure_status =\n");
	ck_assert(!fg_status_is_failure(&p->breaker, 503));
	fg_policy_free(p);
	one_bad("[breaker]\nfailure_status = 429, 600\n", 2, "'600' is not an HTTP status");
	one_bad("[breaker]\nfailure_status = 503-500\n", 2, "backwards");
	one_bad("[breaker]\nfailure_status = 5xx\n", 2, "not an HTTP status");
}
END_TEST

START_TEST(t_max_size)
{
	struct fg_policy *p = ok("[audit]\nmax_size = 16M\n");

	ck_assert_uint_eq(p->audit.max_size, 16u * 1024 * 1024);
	fg_policy_free(p);
	p = ok("[audit]\nmax_size = 4096\n");
	ck_assert_uint_eq(p->audit.max_size, 4096);
	fg_policy_free(p);
	one_bad("[audit]\nmax_size = 100\n", 2, "max_size must be");
	one_bad("[audit]\nmax_size = 2T\n", 2, "max_size must be");
	one_bad("[audit]\nmax_size = M\n", 2, "max_size must be");
}
END_TEST

/* The audit daemon's keys (issue 13): witnesses word by word, the
 * collector's URL, checkpoint_every's range. */
START_TEST(t_audit_daemon_keys)
{
	struct fg_policy *p = ok("[audit]\nwitness = file, syslog journald:/run/j.sock\n"
				 "forward = syslog+tcp://logs.example:6514\ncheckpoint_every = 50\n"
				 "state_dir = /var/lib/fg\n");

	ck_assert_str_eq(p->audit.witness, "file, syslog journald:/run/j.sock");
	ck_assert_str_eq(p->audit.forward, "syslog+tcp://logs.example:6514");
	ck_assert_uint_eq(p->audit.checkpoint_every, 50);
	ck_assert_str_eq(p->audit.state_dir, "/var/lib/fg");
	fg_policy_free(p);
	p = ok("");
	ck_assert_ptr_null(p->audit.witness);
	ck_assert_ptr_null(p->audit.forward);
	ck_assert_uint_eq(p->audit.checkpoint_every, 0);
	fg_policy_free(p);
	one_bad("[audit]\nwitness = file, carrier-pigeon\n", 2, "witness 'carrier-pigeon' is not one of");
	one_bad("[audit]\nwitness = file:relative\n", 2, "witness 'file:relative'");
	one_bad("[audit]\nwitness = https://\n", 2, "witness 'https://' is not one of");
	one_bad("[audit]\nwitness = ca:relative.pem\n", 2, "witness 'ca:relative.pem'");
	p = ok("[audit]\nstate_dir = /var/lib/fg\ndaemon_user = root\n");
	ck_assert_str_eq(p->audit.daemon_user, "root");
	ck_assert_int_eq(p->audit.daemon_uid, 0);
	fg_policy_free(p);
	p = ok("[audit]\ndaemon_user = 0\nstate_dir = /var/lib/fg\n");
	ck_assert_str_eq(p->audit.daemon_user, "root");
	fg_policy_free(p);
	p = ok("");
	ck_assert_ptr_null(p->audit.daemon_user);
	ck_assert_int_eq(p->audit.daemon_uid, -1);
	fg_policy_free(p);
	one_bad("[audit]\nstate_dir = /x\ndaemon_user = no-such-user-fg\n", 3, "daemon_user 'no-such-user-fg': no such user");
	one_bad("[audit]\ndaemon_user = root\n", 2, "daemon_user needs state_dir");
	one_bad("[audit]\nstate_dir = /x\ndaemon_user = a b\n", 3, "daemon_user must be a user name or uid");
	p = ok("[audit]\nwitness = file https://collector.example/cp, ca:/etc/fg/ca.pem\n");
	ck_assert_str_eq(p->audit.witness, "file https://collector.example/cp, ca:/etc/fg/ca.pem");
	fg_policy_free(p);
	one_bad("[audit]\nforward = tcp://h:1\n", 2, "forward must be syslog+tcp://HOST:PORT");
	one_bad("[audit]\nforward = syslog+tcp://h:99999\n", 2, "forward must be");
	one_bad("[audit]\nforward = syslog+tcp://:514\n", 2, "forward must be");
	one_bad("[audit]\ncheckpoint_every = 0\n", 2, "checkpoint_every must be");
}
END_TEST

START_TEST(t_agent_id)
{
	struct fg_policy *p;

	setenv("FLEETGUARD_AGENT_ID", "from-env", 1);
	p = ok("");
	ck_assert_str_eq(p->agent_id, "from-env");
	fg_policy_free(p);
	p = ok("[workspace]\nagent_id = coder-7\n");
	ck_assert_str_eq(p->agent_id, "coder-7");
	fg_policy_free(p);
	unsetenv("FLEETGUARD_AGENT_ID");
	p = ok("");
	ck_assert_ptr_null(p->agent_id);
	fg_policy_free(p);
	one_bad("[workspace]\nagent_id = has space\n", 2, "agent_id must be");
	one_bad("[workspace]\nagent_id = \"q\"\n", 2, "agent_id must be");
}
END_TEST

START_TEST(t_state_dir)
{
	struct fg_policy *p = ok("[breaker]\nstate_dir = /var/lib/fg/\n[endpoint a]\naddress = a.b:1\n");

	ck_assert_str_eq(p->breaker.state_dir, "/var/lib/fg");
	ck_assert(p->breaker.state_dir_set);
	ck_assert_str_eq(p->ep[0].breaker.state_dir, "/var/lib/fg");
	ck_assert(p->ep[0].breaker.state_dir != p->breaker.state_dir);
	fg_policy_free(p);
}
END_TEST

/* ------------------------------------------------------------- endpoints */

START_TEST(t_endpoint_basic)
{
	struct fg_policy *p = ok("[endpoint openai]\naddress = API.OpenAI.com:443\n"
				 "[endpoint local]\naddress = 127.0.0.1:11434\nprotocol = http\n"
				 "fallback = [::1]:8080\n");

	ck_assert_uint_eq(p->nep, 2);
	ck_assert_str_eq(p->ep[0].name, "openai");
	ck_assert_str_eq(p->ep[0].host, "api.openai.com");
	ck_assert_uint_eq(p->ep[0].port, 443);
	ck_assert(p->ep[0].https);
	ck_assert(!p->ep[0].has_fallback);
	ck_assert_uint_eq(p->ep[0].line, 1);
	ck_assert_str_eq(p->ep[1].host, "127.0.0.1");
	ck_assert(!p->ep[1].https);
	ck_assert(p->ep[1].has_fallback);
	ck_assert_str_eq(p->ep[1].fallback_host, "::1");
	ck_assert_uint_eq(p->ep[1].fallback_port, 8080);
	ck_assert_uint_eq(p->ep[1].line, 3);
	fg_policy_free(p);
}
END_TEST

START_TEST(t_endpoint_overrides)
{
	struct fg_policy *p = ok(
		"[breaker]\nthreshold = 7\nopen_seconds = 30\nmax_open_seconds = 300\nprobes = 2\n"
		"failure_status = 503\nslow_first_byte_seconds = 9\nmin_processes = 2\n"
		"[endpoint a]\naddress = a.example:443\n"
		"[endpoint b]\naddress = b.example:443\nthreshold = 3\nopen_seconds = 10\n"
		"max_open_seconds = 20\nprobes = 4\nfailure_status = 429, 500-599\n"
		"state_dir = /srv/state\nslow_first_byte_seconds = 1\nmin_processes = 5\n");
	const struct fg_breaker_conf *a = &p->ep[0].breaker, *b = &p->ep[1].breaker;

	/* a inherits every [breaker] value */
	ck_assert_uint_eq(a->threshold, 7);
	ck_assert_uint_eq(a->open_seconds, 30);
	ck_assert_uint_eq(a->max_open_seconds, 300);
	ck_assert_uint_eq(a->probes, 2);
	ck_assert(fg_status_is_failure(a, 503) && !fg_status_is_failure(a, 429));
	ck_assert_uint_eq(a->slow_first_byte_seconds, 9);
	ck_assert_uint_eq(a->min_processes, 2);
	ck_assert_str_eq(a->state_dir, "/run/fleetguard");
	/* b overrides every key */
	ck_assert_uint_eq(b->threshold, 3);
	ck_assert_uint_eq(b->open_seconds, 10);
	ck_assert_uint_eq(b->max_open_seconds, 20);
	ck_assert_uint_eq(b->probes, 4);
	ck_assert(fg_status_is_failure(b, 429) && fg_status_is_failure(b, 599));
	ck_assert_str_eq(b->state_dir, "/srv/state");
	ck_assert(b->state_dir_set);
	ck_assert_uint_eq(b->slow_first_byte_seconds, 1);
	ck_assert_uint_eq(b->min_processes, 5);
	/* and the global stays as it was */
	ck_assert_uint_eq(p->breaker.threshold, 7);
	fg_policy_free(p);
}
END_TEST

START_TEST(t_endpoint_override_checked)
{
	one_bad("[endpoint a]\naddress = a.b:1\nopen_seconds = 900\n", 3,
		"max_open_seconds (600) is less than open_seconds (900)");
	one_bad("[endpoint a]\naddress = a.b:1\nthreshold = 0\n", 3, "threshold must be");
}
END_TEST

START_TEST(t_endpoint_errors)
{
	one_bad("[endpoint a]\nprotocol = http\n", 1, "[endpoint a] has no address");
	/* gateway = auto turns the gateway on for such a fallback; no cannot */
	one_bad("[endpoint a]\naddress = a.b:1\ngateway = no\nfallback = c.d:2\n", 4,
		"fallback of a protocol = https endpoint needs the gateway");
	one_bad("[endpoint a]\naddress = a.b:*\n", 2, "port must be 1..65535");
	one_bad("[endpoint a]\naddress = a.b\n", 2, "missing port");
	one_bad("[endpoint a]\naddress = a.b:1\nprotocol = ftp\n", 3, "protocol must be https or http");
	one_bad("[endpoint a]\naddress = ::1:80\n", 2, "must be in brackets");
}
END_TEST

/* --------------------------------------------------------------- network */

START_TEST(t_allow_forms)
{
	struct fg_policy *p = ok("[network]\ndns = no\nallow = API.example.com.:443, 127.0.0.1:8000, "
				 "10.0.0.0/8:*, [::1]:*, [2001:db8::/32]:443, [fd00::]/8:53, "
				 "unix:/run/agent.sock, unix:@abstract\n");
	const struct fg_net_rule *r = p->net.allow;

	ck_assert_uint_eq(p->net.nallow, 8);
	ck_assert_int_eq(r[0].kind, FG_NET_HOST);
	ck_assert_str_eq(r[0].host, "api.example.com");
	ck_assert_int_eq(r[0].port, 443);
	ck_assert_int_eq(r[1].kind, FG_NET_CIDR);
	ck_assert_uint_eq(r[1].prefix, 32);
	ck_assert_int_eq(r[2].family, AF_INET);
	ck_assert_uint_eq(r[2].prefix, 8);
	ck_assert_int_eq(r[2].port, -1);
	ck_assert_int_eq(r[3].family, AF_INET6);
	ck_assert_uint_eq(r[3].prefix, 128);
	ck_assert_uint_eq(r[4].prefix, 32);
	ck_assert_uint_eq(r[5].prefix, 8);
	ck_assert_int_eq(r[6].kind, FG_NET_UNIX);
	ck_assert_str_eq(r[6].unix_path, "/run/agent.sock");
	ck_assert_str_eq(r[7].unix_path, "@abstract");
	for (int i = 0; i < 8; i++)
		ck_assert_uint_eq(r[i].line, 3);
	fg_policy_free(p);
}
END_TEST

START_TEST(t_allow_errors)
{
	one_bad("[network]\nallow = api.example.com\n", 2, "missing port");
	one_bad("[network]\nallow = ::1:80\n", 2, "must be in brackets");
	one_bad("[network]\nallow = [::1]\n", 2, "missing port");
	one_bad("[network]\nallow = 10.0.0.1/8:*\n", 2, "host bits set");
	one_bad("[network]\nallow = 10.0.0.0/33:*\n", 2, "prefix length must be 0..32");
	one_bad("[network]\nallow = [::/129]:*\n", 2, "prefix length must be 0..128");
	one_bad("[network]\nallow = *:443\n", 2, "wildcard hosts are not supported");
	one_bad("[network]\nallow = bad_name:443\n", 2, "invalid host name");
	one_bad("[network]\nallow = 1.2.3:443\n", 2, "invalid host name");
	one_bad("[network]\nallow = a.b:0\n", 2, "port must be 1..65535");
	one_bad("[network]\nallow = [example.com]:1\n", 2, "not an IPv6 address");
	one_bad("[network]\nallow = [10.0.0.1]:1\n", 2, "brackets");
	one_bad("[network]\nallow = unix:run/x\n", 2, "not absolute");
	one_bad("[network]\nallow = unix:@\n", 2, "abstract socket name");
}
END_TEST

/* A URL pasted where host:port belongs: the message says what to write,
 * with the scheme's default port when the URL has none, and without any
 * user:password@. */
START_TEST(t_url_pasted)
{
	one_bad("[network]\nallow = http://127.0.0.1:18080/v1\n", 2,
		"allow: 'http://127.0.0.1:18080/v1' is a URL; write host:port: 127.0.0.1:18080");
	one_bad("[network]\nallow = HTTPS://api.example.com/v1?x=1\n", 2,
		"is a URL; write host:port: api.example.com:443");
	one_bad("[network]\nallow = http://bob:secret@api.example.com#top\n", 2,
		"is a URL; write host:port: api.example.com:80");
	one_bad("[network]\nallow = http://[::1]:8080/\n", 2, "is a URL; write host:port: [::1]:8080");
	one_bad("[network]\nallow = https://[::1]/\n", 2, "is a URL; write host:port: [::1]:443");
	one_bad("[network]\nallow = ftp://files.example.com/\n", 2,
		"'ftp://files.example.com/' is a URL; write host:port");
	one_bad("[network]\nallow = http:///v1\n", 2, "'http:///v1' is a URL; write host:port");
	one_bad("[endpoint llm]\naddress = https://llm.example.com/v1\n", 2,
		"address: 'https://llm.example.com/v1' is a URL; write host:port: llm.example.com:443");
}
END_TEST

START_TEST(t_dns_rules)
{
	struct fg_policy *p = ok("[network]\ndns = yes\n");
	size_t n53 = 0;

	for (size_t i = 0; i < p->net.nallow; i++) {
		if (p->net.allow[i].kind == FG_NET_CIDR) {
			ck_assert_int_eq(p->net.allow[i].port, 53);
			ck_assert_int_eq(p->net.allow[i].origin, FG_ORIGIN_SYSTEM);
			ck_assert_uint_eq(p->net.allow[i].line, 2);
			n53++;
		}
	}
	ck_assert_uint_ge(n53, 1);
	fg_policy_free(p);
	p = ok("[network]\ndns = no\n");
	ck_assert_uint_eq(p->net.nallow, 0);
	fg_policy_free(p);
}
END_TEST

/* ---------------------------------------------------------------- system */

START_TEST(t_system_set)
{
	struct fg_policy *p = ok("[filesystem]\nsystem = yes\nwrite = /srv/ws\n");
	struct fg_verdict v;

	ck_assert(can(p, "/usr/lib/x86_64-linux-gnu/libc.so.6", FG_ACC_READ, NULL));
	ck_assert(can(p, "/etc/ld.so.cache", FG_ACC_READ, NULL));
	ck_assert(can(p, "/etc/ssl/certs/ca-certificates.crt", FG_ACC_READ, NULL));
	ck_assert(can(p, "/etc/localtime", FG_ACC_READ, NULL));
	ck_assert(can(p, "/dev/urandom", FG_ACC_READ, NULL));
	ck_assert(can(p, "/proc/self/maps", FG_ACC_READ, NULL));
	ck_assert(can(p, "/sys/fs/cgroup/memory.max", FG_ACC_READ, NULL));
	ck_assert(!can(p, "/sys/fs/cgroup/memory.max", FG_ACC_WRITE, NULL));
	ck_assert(!can(p, "/sys/kernel/notes", FG_ACC_READ, NULL));
	ck_assert(can(p, "/dev/null", FG_ACC_WRITE, &v));
	/* the rule's origin travels with the verdict (a system device's
	 * write record does not hold the call: shim/core.c fg_record) */
	ck_assert_int_eq(v.origin, FG_ORIGIN_SYSTEM);
	ck_assert_uint_eq(v.line, 0);
	ck_assert(can(p, "/srv/ws/out", FG_ACC_WRITE, &v));
	ck_assert_int_eq(v.origin, FG_ORIGIN_POLICY);
	ck_assert_uint_eq(v.line, 3);
	ck_assert(can(p, "/usr/bin/python3", FG_ACC_READ, &v));
	ck_assert_int_eq(v.origin, FG_ORIGIN_SYSTEM);
	ck_assert(!can(p, "/usr/bin/python3", FG_ACC_WRITE, NULL));
	ck_assert(!can(p, "/etc/shadow", FG_ACC_READ, NULL));
	ck_assert(!can(p, "/etc/ssh/ssh_host_rsa_key", FG_ACC_READ, NULL));
	ck_assert(!can(p, "/proc/1/environ", FG_ACC_READ, NULL));
	ck_assert(!can(p, "/root/.ssh/id_rsa", FG_ACC_READ, NULL));
	for (size_t i = 0; i < p->fs.read.n; i++)
		if (p->fs.read.v[i].origin == FG_ORIGIN_SYSTEM)
			ck_assert_uint_eq(p->fs.read.v[i].line, 0);
	fg_policy_free(p);
	p = ok("[filesystem]\nsystem = no\n");
	ck_assert(!can(p, "/usr/lib/x86_64-linux-gnu/libc.so.6", FG_ACC_READ, NULL));
	ck_assert(!can(p, "/dev/null", FG_ACC_WRITE, NULL));
	fg_policy_free(p);
}
END_TEST

/* ----------------------------------------------------------------- files */

static void on_stderr(void *ctx, const char *file, unsigned line, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "fleetguard: %s:%u: %s\n", file, line, msg);
}

START_TEST(t_load_missing)
{
	struct diags d = { 0 };
	struct fg_policy *p;

	ck_assert_int_eq(fg_policy_load("/nonexistent/fleetguard.ini", &p, collect, &d), 1);
	ck_assert_ptr_null(p);
	ck_assert_uint_eq(d.line[0], 0);
	ck_assert(strstr(d.msg[0], "cannot open policy"));
	ck_assert_int_eq(fg_policy_load("/", &p, collect, &d), 1);
	ck_assert(strstr(d.msg[1], "directory"));
}
END_TEST

START_TEST(t_load_relative_file)
{
	char dir[] = "/tmp/fg-policy-XXXXXX", cwd[PATH_MAX], want[PATH_MAX + 32];
	struct fg_policy *p;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(mkdir("sub", 0700), 0);
	f = fopen("sub/p.ini", "w");
	ck_assert_ptr_nonnull(f);
	fputs("\xef\xbb\xbf[filesystem]\r\nread = ${root}/data\r\n", f);
	fclose(f);
	ck_assert_int_eq(fg_policy_load("sub/p.ini", &p, on_stderr, NULL), 0);
	snprintf(want, sizeof(want), "%s/sub/p.ini", dir);
	ck_assert_str_eq(p->file, want);
	snprintf(want, sizeof(want), "%s/sub", dir);
	ck_assert_str_eq(p->root, want);
	snprintf(want, sizeof(want), "%s/sub/data", dir);
	ck_assert(has_path(&p->fs.read, want, 2));
	fg_policy_free(p);
	unlink("sub/p.ini");
	rmdir("sub");
	ck_assert_int_eq(chdir(cwd), 0);
	rmdir(dir);
}
END_TEST

/* Fail closed: a caller that treats problems as fatal gets no policy. */
START_TEST(t_fail_closed_exit)
{
	struct fg_policy *p;

	static const char text[] = "[filesystem]\nwrite = relative\n";

	if (fg_policy_parse(NAME, text, strlen(text), &p, on_stderr, NULL))
		exit(126);
	fg_policy_free(p);
}
END_TEST

/* ------------------------------------------------------------ path match */

START_TEST(t_normalize)
{
	char out[64];

	ck_assert_int_eq(fg_path_normalize("/a//b/./c/", out, sizeof(out)), 6);
	ck_assert_str_eq(out, "/a/b/c");
	ck_assert_int_eq(fg_path_normalize("/srv/ws/../x", out, sizeof(out)), 6);
	ck_assert_str_eq(out, "/srv/x");
	ck_assert_int_eq(fg_path_normalize("/../../a/..", out, sizeof(out)), 1);
	ck_assert_str_eq(out, "/");
	ck_assert_int_eq(fg_path_normalize("/", out, sizeof(out)), 1);
	ck_assert_str_eq(out, "/");
	ck_assert_int_eq(fg_path_normalize("//", out, sizeof(out)), 1);
	ck_assert_int_eq(fg_path_normalize("/a/.../b", out, sizeof(out)), 8);
	ck_assert_str_eq(out, "/a/.../b");
	ck_assert_int_eq(fg_path_normalize("/.hidden/..x", out, sizeof(out)), 12);
	ck_assert_int_eq(fg_path_normalize("rel/x", out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(fg_path_normalize("", out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(fg_path_normalize("/abcdefgh", out, 8), -ENAMETOOLONG);
	ck_assert_int_eq(fg_path_normalize("/abcdefg", out, 9), 8);
}
END_TEST

START_TEST(t_within)
{
	ck_assert(fg_path_within("/srv/ws", 7, "/srv/ws", 7));
	ck_assert(fg_path_within("/srv/ws", 7, "/srv/ws/a", 9));
	ck_assert(!fg_path_within("/srv/ws", 7, "/srv/ws-evil", 12));
	ck_assert(!fg_path_within("/srv/ws", 7, "/srv/w", 6));
	ck_assert(!fg_path_within("/srv/ws", 7, "/srv", 4));
	ck_assert(fg_path_within("/", 1, "/anything/at/all", 16));
	ck_assert(fg_path_within("/", 1, "/", 1));
}
END_TEST

START_TEST(t_component_match)
{
	struct fg_policy *p = ok("[filesystem]\nsystem = no\nwrite = /srv/ws\n");
	struct fg_verdict v;

	ck_assert(can(p, "/srv/ws", FG_ACC_WRITE, &v));
	ck_assert_uint_eq(v.line, 3);
	ck_assert(can(p, "/srv/ws/a/b/c.txt", FG_ACC_WRITE, NULL));
	ck_assert(!can(p, "/srv/ws-evil", FG_ACC_READ, &v));
	ck_assert_uint_eq(v.line, 0);
	ck_assert_str_eq(fg_reason_text(v.why), "not in an allowed tree");
	ck_assert(!can(p, "/srv/ws-evil/x", FG_ACC_READ, NULL));
	ck_assert(!can(p, "/srv/wsx", FG_ACC_READ, NULL));
	ck_assert(!can(p, "/srv", FG_ACC_READ, NULL));
	ck_assert(!can(p, "/", FG_ACC_READ, NULL));
	fg_policy_free(p);
}
END_TEST

START_TEST(t_dotdot_escape)
{
	struct fg_policy *p = ok("[filesystem]\nsystem = no\nwrite = /srv/ws\n");
	char norm[64];
	long n = fg_path_normalize("/srv/ws/../x", norm, sizeof(norm));

	ck_assert_int_gt(n, 0);
	ck_assert(!fg_policy_path(p, norm, (size_t)n, FG_ACC_READ, NULL));
	n = fg_path_normalize("/srv/ws/a/../../ws/b", norm, sizeof(norm));
	ck_assert(fg_policy_path(p, norm, (size_t)n, FG_ACC_WRITE, NULL));
	fg_policy_free(p);
}
END_TEST

START_TEST(t_deny_beats_write)
{
	struct fg_policy *p = ok("[filesystem]\nsystem = no\nwrite = /srv/ws\ndeny = /srv/ws/.git/hooks\n");
	struct fg_verdict v;

	ck_assert(!can(p, "/srv/ws/.git/hooks", FG_ACC_READ, &v));
	ck_assert_uint_eq(v.line, 4);
	ck_assert_str_eq(fg_reason_text(v.why), "denied by rule");
	ck_assert(!can(p, "/srv/ws/.git/hooks/pre-commit", FG_ACC_WRITE, &v));
	ck_assert_uint_eq(v.line, 4);
	ck_assert(can(p, "/srv/ws/.git/hooksx", FG_ACC_WRITE, NULL));
	ck_assert(can(p, "/srv/ws/.git/config", FG_ACC_WRITE, &v));
	ck_assert_uint_eq(v.line, 3);
	fg_policy_free(p);
}
END_TEST

START_TEST(t_deny_above_write)
{
	/* a deny tree above a write tree still wins: deny is not "longest match" */
	struct fg_policy *p = ok("[filesystem]\nsystem = no\ndeny = /srv\nwrite = /srv/ws\n");
	struct fg_verdict v;

	ck_assert(!can(p, "/srv/ws/file", FG_ACC_READ, &v));
	ck_assert_uint_eq(v.line, 3);
	fg_policy_free(p);
}
END_TEST

START_TEST(t_write_beats_read)
{
	struct fg_policy *p = ok("[filesystem]\nsystem = no\nread = /srv\nwrite = /srv/ws/out\n");
	struct fg_verdict v;

	ck_assert(can(p, "/srv/ws/out/a", FG_ACC_WRITE, &v));
	ck_assert_uint_eq(v.line, 4);
	ck_assert(can(p, "/srv/ws/in/a", FG_ACC_READ, &v));
	ck_assert_uint_eq(v.line, 3);
	ck_assert(!can(p, "/srv/ws/in/a", FG_ACC_WRITE, &v));
	ck_assert_str_eq(fg_reason_text(v.why), "read-only tree");
	ck_assert_uint_eq(v.line, 3);
	ck_assert(!can(p, "/srv/ws/in/a", FG_ACC_READ | FG_ACC_WRITE, NULL));
	fg_policy_free(p);
}
END_TEST

START_TEST(t_write_above_read)
{
	/* a read rule inside a write tree does not take write away */
	struct fg_policy *p = ok("[filesystem]\nsystem = no\nwrite = /srv\nread = /srv/ro\n");

	ck_assert(can(p, "/srv/ro/x", FG_ACC_WRITE, NULL));
	fg_policy_free(p);
}
END_TEST

START_TEST(t_move_over_deny)
{
	struct fg_policy *p = ok("[filesystem]\nsystem = no\nwrite = /srv/ws\ndeny = /srv/ws/.git/hooks\n");
	struct fg_verdict v;

	ck_assert(!can(p, "/srv/ws/.git", FG_ACC_MOVE, &v));
	ck_assert_uint_eq(v.line, 4);
	ck_assert(!can(p, "/srv/ws", FG_ACC_WRITE | FG_ACC_MOVE, NULL));
	ck_assert(can(p, "/srv/ws/.git", FG_ACC_WRITE, NULL));     /* mkdir .git is fine */
	ck_assert(can(p, "/srv/ws/src", FG_ACC_MOVE, NULL));
	ck_assert(can(p, "/srv/ws/.gitx", FG_ACC_MOVE, NULL));
	fg_policy_free(p);
}
END_TEST

START_TEST(t_root_tree)
{
	struct fg_policy *p = ok("[filesystem]\nsystem = no\nread = /\ndeny = /etc/shadow\nwrite = /tmp\n");
	struct fg_verdict v;

	ck_assert(can(p, "/", FG_ACC_READ, NULL));
	ck_assert(can(p, "/anything/at/all", FG_ACC_READ, &v));
	ck_assert_uint_eq(v.line, 3);
	ck_assert(!can(p, "/anything", FG_ACC_WRITE, NULL));
	ck_assert(!can(p, "/etc/shadow", FG_ACC_READ, NULL));
	ck_assert(can(p, "/tmp/x", FG_ACC_WRITE, NULL));
	fg_policy_free(p);
}
END_TEST

START_TEST(t_not_absolute_denied)
{
	struct fg_policy *p = ok("[filesystem]\nread = /\n");

	ck_assert(!can(p, "relative", FG_ACC_READ, NULL));
	ck_assert(!fg_policy_path(p, "", 0, FG_ACC_READ, NULL));
	fg_policy_free(p);
}
END_TEST

/* The hashed index must agree with the plain definition on many paths. */
static bool reference(const struct fg_policy *p, const char *path, unsigned acc)
{
	size_t len = strlen(path);
	bool r = false, w = false;

	for (size_t i = 0; i < p->fs.deny.n; i++)
		if (fg_path_within(p->fs.deny.v[i].path, p->fs.deny.v[i].len, path, len))
			return false;
	for (size_t i = 0; i < p->fs.write.n; i++)
		w |= fg_path_within(p->fs.write.v[i].path, p->fs.write.v[i].len, path, len);
	for (size_t i = 0; i < p->fs.read.n; i++)
		r |= fg_path_within(p->fs.read.v[i].path, p->fs.read.v[i].len, path, len);
	return (acc & FG_ACC_WRITE) ? w : (r || w);
}

START_TEST(t_index_matches_reference)
{
	static const char *const parts[] = { "a", "b", "ab", "a-b", "c", "dd", "e.f" };
	char text[8192], path[256];
	size_t o = 0;
	unsigned seed = 12345;
	struct fg_policy *p;

	o += (size_t)snprintf(text + o, sizeof(text) - o, "[filesystem]\nsystem = no\n");
	for (int k = 0; k < 3; k++) {
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%s = ",
				      k == 0 ? "read" : k == 1 ? "write" : "deny");
		for (int i = 0; i < (k == 2 ? 10 : 45); i++) {
			size_t pl = 0;
			int depth = 1 + (int)(rand_r(&seed) % 4);

			for (int d = 0; d < depth; d++)
				pl += (size_t)snprintf(path + pl, sizeof(path) - pl, "/%s",
						       parts[rand_r(&seed) % 7]);
			o += (size_t)snprintf(text + o, sizeof(text) - o, "%s%s", i ? ", " : "", path);
		}
		o += (size_t)snprintf(text + o, sizeof(text) - o, "\n");
	}
	p = ok(text);
	for (int t = 0; t < 20000; t++) {
		size_t pl = 0;
		int depth = 1 + (int)(rand_r(&seed) % 6);
		unsigned acc = (rand_r(&seed) & 1) ? FG_ACC_WRITE : FG_ACC_READ;

		for (int d = 0; d < depth; d++)
			pl += (size_t)snprintf(path + pl, sizeof(path) - pl, "/%s", parts[rand_r(&seed) % 7]);
		ck_assert_msg(can(p, path, acc, NULL) == reference(p, path, acc), "%s %u", path, acc);
	}
	fg_policy_free(p);
}
END_TEST

/* Paths of 4096 bytes and more fall outside the index's length bitmap and
 * take their own branch: they must be judged as the plain definition says,
 * whatever rule lies above them. */
START_TEST(t_long_paths_match_reference)
{
	static const char *const parts[] = { "a", "b", "ab", "c", "dd" };
	const char *text = "[filesystem]\nsystem = no\nread = /a, /b/c\n"
			   "write = /a/b, /dd, /c/ab/a\ndeny = /a/b/dd, /dd/a\n";
	char path[10100];
	unsigned seed = 4242;
	struct fg_policy *p = ok(text);
	struct fg_verdict v;

	for (int t = 0; t < 2000; t++) {
		size_t pl = 0, want = 4096 + (size_t)(rand_r(&seed) % 6000);
		unsigned acc = (rand_r(&seed) & 1) ? FG_ACC_WRITE : FG_ACC_READ;
		int depth = 1 + (int)(rand_r(&seed) % 4);

		for (int d = 0; d < depth; d++)
			pl += (size_t)snprintf(path + pl, sizeof(path) - pl, "/%s",
					       parts[rand_r(&seed) % 5]);
		while (pl < want)
			pl += (size_t)snprintf(path + pl, sizeof(path) - pl, "/%s",
					       (rand_r(&seed) & 7) ? "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" : "a");
		ck_assert_uint_ge(strlen(path), 4096);
		ck_assert_msg(can(p, path, acc, NULL) == reference(p, path, acc), "%.40s... (%zu bytes) %u",
			      path, strlen(path), acc);
	}
	/* and each answer names the rule that decided it */
	memset(path, 'x', 5000);
	memcpy(path, "/a/b/dd/", 8);
	path[5000] = '\0';
	ck_assert(!can(p, path, FG_ACC_READ, &v));
	ck_assert_uint_eq(v.line, 5);
	memcpy(path, "/a/b/xx/", 8);
	ck_assert(can(p, path, FG_ACC_WRITE, &v));
	ck_assert_uint_eq(v.line, 4);
	memcpy(path, "/a/x/xx/", 8);
	ck_assert(!can(p, path, FG_ACC_WRITE, &v));
	ck_assert(can(p, path, FG_ACC_READ, &v));
	ck_assert_uint_eq(v.line, 3);
	memcpy(path, "/e/x/xx/", 8);
	ck_assert(!can(p, path, FG_ACC_READ, &v));
	fg_policy_free(p);
	/* "/" is the one rule of length 1 */
	p = ok("[filesystem]\nsystem = no\nread = /\n");
	ck_assert(can(p, path, FG_ACC_READ, &v));
	ck_assert_uint_eq(v.line, 3);
	fg_policy_free(p);
}
END_TEST

/* --------------------------------------------------------- address match */

static socklen_t sa4(struct sockaddr_storage *ss, const char *ip, int port)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	ck_assert_int_eq(inet_pton(AF_INET, ip, &in->sin_addr), 1);
	return sizeof(*in);
}

static socklen_t sa6(struct sockaddr_storage *ss, const char *ip, int port)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons((uint16_t)port);
	ck_assert_int_eq(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1);
	return sizeof(*in6);
}

static bool conn(const struct fg_policy *p, bool v6, const char *ip, int port, const char *host)
{
	struct sockaddr_storage ss;
	socklen_t n = v6 ? sa6(&ss, ip, port) : sa4(&ss, ip, port);

	return fg_policy_addr(p, (struct sockaddr *)&ss, n, host, NULL);
}

START_TEST(t_addr_v4_exact)
{
	struct fg_policy *p = ok("[network]\ndns = no\nallow = 127.0.0.1:8000\n");
	struct sockaddr_storage ss;
	struct fg_verdict v;
	socklen_t n = sa4(&ss, "127.0.0.1", 8000);

	ck_assert(fg_policy_addr(p, (struct sockaddr *)&ss, n, NULL, &v));
	ck_assert_uint_eq(v.line, 3);
	ck_assert(!conn(p, false, "127.0.0.1", 8001, NULL));
	ck_assert(!conn(p, false, "127.0.0.2", 8000, NULL));
	fg_policy_free(p);
}
END_TEST

START_TEST(t_addr_cidr_edges)
{
	struct fg_policy *p = ok("[network]\ndns = no\nallow = 10.0.0.0/8:*, 192.168.1.7/32:22, "
				 "172.16.0.0/12:443\n");

	ck_assert(conn(p, false, "10.0.0.0", 1, NULL));
	ck_assert(conn(p, false, "10.255.255.255", 65535, NULL));
	ck_assert(!conn(p, false, "11.0.0.0", 1, NULL));
	ck_assert(!conn(p, false, "9.255.255.255", 1, NULL));
	ck_assert(conn(p, false, "192.168.1.7", 22, NULL));
	ck_assert(!conn(p, false, "192.168.1.6", 22, NULL));
	ck_assert(conn(p, false, "172.31.255.255", 443, NULL));
	ck_assert(!conn(p, false, "172.32.0.0", 443, NULL));
	ck_assert(!conn(p, false, "172.16.0.1", 80, NULL));
	fg_policy_free(p);
}
END_TEST

START_TEST(t_addr_prefix_zero)
{
	struct fg_policy *p = ok("[network]\ndns = no\nallow = 0.0.0.0/0:443, [::/0]:80\n");

	ck_assert(conn(p, false, "1.2.3.4", 443, NULL));
	ck_assert(conn(p, false, "255.255.255.255", 443, NULL));
	ck_assert(!conn(p, false, "1.2.3.4", 80, NULL));
	ck_assert(conn(p, true, "2001:db8::1", 80, NULL));
	ck_assert(!conn(p, true, "2001:db8::1", 443, NULL));
	fg_policy_free(p);
}
END_TEST

START_TEST(t_addr_v6)
{
	struct fg_policy *p = ok("[network]\ndns = no\nallow = [::1]:*, [2001:db8::/32]:443, "
				 "[2001:db8:0:0:0:0:0:7]:22, [fe80::/10]:*\n");

	ck_assert(conn(p, true, "::1", 9, NULL));
	ck_assert(!conn(p, true, "::2", 9, NULL));
	ck_assert(conn(p, true, "2001:db8:ffff::1", 443, NULL));
	ck_assert(!conn(p, true, "2001:db9::1", 443, NULL));
	ck_assert(conn(p, true, "2001:db8::7", 22, NULL));             /* /128, other spelling */
	ck_assert(!conn(p, true, "2001:db8::8", 22, NULL));
	ck_assert(conn(p, true, "febf:ffff::1", 1, NULL));             /* /10 bit boundary */
	ck_assert(!conn(p, true, "fec0::1", 1, NULL));
	fg_policy_free(p);
}
END_TEST

START_TEST(t_addr_v4_mapped)
{
	struct fg_policy *p = ok("[network]\ndns = no\nallow = 127.0.0.1:8000\n");

	ck_assert(conn(p, true, "::ffff:127.0.0.1", 8000, NULL));
	ck_assert(!conn(p, true, "::ffff:127.0.0.2", 8000, NULL));
	fg_policy_free(p);
}
END_TEST

START_TEST(t_addr_by_host)
{
	struct fg_policy *p = ok("[network]\ndns = no\nallow = api.openai.com:443\n");

	ck_assert(conn(p, false, "104.18.7.192", 443, "api.openai.com"));
	ck_assert(conn(p, false, "104.18.7.192", 443, "API.OpenAI.com."));
	ck_assert(!conn(p, false, "104.18.7.192", 443, NULL));
	ck_assert(!conn(p, false, "104.18.7.192", 80, "api.openai.com"));
	ck_assert(!conn(p, false, "104.18.7.192", 443, "api.openai.com.evil.net"));
	fg_policy_free(p);
}
END_TEST

START_TEST(t_addr_unix)
{
	struct fg_policy *p = ok("[network]\ndns = no\nallow = unix:/run/agent.sock, unix:@fleet\n");
	struct sockaddr_un un;
	socklen_t n;

	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	strcpy(un.sun_path, "/run//agent.sock");
	n = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(un.sun_path) + 1);
	ck_assert(fg_policy_addr(p, (struct sockaddr *)&un, n, NULL, NULL));
	strcpy(un.sun_path, "/run/other.sock");
	n = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(un.sun_path) + 1);
	ck_assert(!fg_policy_addr(p, (struct sockaddr *)&un, n, NULL, NULL));
	strcpy(un.sun_path, "run/agent.sock");
	n = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(un.sun_path) + 1);
	ck_assert(!fg_policy_addr(p, (struct sockaddr *)&un, n, NULL, NULL));
	memset(un.sun_path, 0, sizeof(un.sun_path));
	memcpy(un.sun_path + 1, "fleet", 5);
	n = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 6);
	ck_assert(fg_policy_addr(p, (struct sockaddr *)&un, n, NULL, NULL));
	n = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 5);   /* "@flee" */
	ck_assert(!fg_policy_addr(p, (struct sockaddr *)&un, n, NULL, NULL));
	fg_policy_free(p);
}
END_TEST

START_TEST(t_policy_host)
{
	struct fg_policy *p = ok("[network]\ndns = no\nallow = api.openai.com:443, 10.0.0.0/8:*, [::1]:*\n");
	struct fg_verdict v;

	ck_assert(fg_policy_host(p, "api.openai.com", &v));
	ck_assert_uint_eq(v.line, 3);
	ck_assert_ptr_eq(v.file, p->file);
	ck_assert_int_eq(v.why, FG_R_ALLOWED_BY_RULE);
	ck_assert(fg_policy_host(p, "Api.OpenAI.Com.", NULL));
	ck_assert(!fg_policy_host(p, "openai.com", NULL));
	ck_assert(!fg_policy_host(p, "evil.example", &v));
	ck_assert_uint_eq(v.line, 0);
	/* a name and an address are refused for different reasons */
	ck_assert_int_eq(v.why, FG_R_NO_HOST_RULE);
	ck_assert_str_eq(fg_reason_text(v.why), "host name not in [network] allow");
	ck_assert(fg_policy_host(p, "10.1.2.3", NULL));
	ck_assert(!fg_policy_host(p, "11.1.2.3", &v));
	ck_assert_int_eq(v.why, FG_R_NO_ADDRESS_RULE);
	ck_assert(fg_policy_host(p, "::1", NULL));
	ck_assert(fg_policy_host(p, "[::1]", NULL));
	ck_assert(!fg_policy_host(p, "::2", NULL));
	fg_policy_free(p);
}
END_TEST

/* The one decoder: a mapped address is its IPv4 address, short or foreign
 * addresses are refused. */
START_TEST(t_sockaddr_decode)
{
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_port = htons(443) };
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(80) };
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct fg_sockaddr d;

	ck_assert_int_eq(inet_pton(AF_INET6, "::ffff:10.1.2.3", &in6.sin6_addr), 1);
	ck_assert(fg_sockaddr_decode((struct sockaddr *)&in6, sizeof(in6), &d));
	ck_assert_int_eq(d.family, AF_INET);
	ck_assert_mem_eq(d.a, "\x0a\x01\x02\x03\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	ck_assert_uint_eq(d.port, 443);
	ck_assert(!fg_sockaddr_decode((struct sockaddr *)&in6, sizeof(in6) - 1, &d));
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::1", &in6.sin6_addr), 1);
	ck_assert(fg_sockaddr_decode((struct sockaddr *)&in6, sizeof(in6), &d));
	ck_assert_int_eq(d.family, AF_INET6);
	ck_assert_int_eq(inet_pton(AF_INET, "127.0.0.1", &in.sin_addr), 1);
	ck_assert(fg_sockaddr_decode((struct sockaddr *)&in, sizeof(in), &d));
	ck_assert_int_eq(d.family, AF_INET);
	ck_assert_uint_eq(d.a[0], 127);
	ck_assert_uint_eq(d.port, 80);
	ck_assert(!fg_sockaddr_decode((struct sockaddr *)&un, sizeof(un), &d));
	ck_assert(!fg_sockaddr_decode(NULL, 0, &d));
}
END_TEST

/* Every reason has its text, and an unknown code never reads past the table. */
START_TEST(t_reason_texts)
{
	for (int r = FG_R_NONE + 1; r < FG_R_COUNT; r++)
		ck_assert_str_ne(fg_reason_text((enum fg_reason)r), "denied");
	ck_assert_str_eq(fg_reason_text(FG_R_COUNT), "denied");
	ck_assert_str_eq(fg_reason_text(FG_R_OWN_FILE), "fleetguard's own file");
}
END_TEST

START_TEST(t_policy_endpoint)
{
	struct fg_policy *p = ok("[endpoint openai]\naddress = api.openai.com:443\n"
				 "[endpoint v6]\naddress = [2001:db8::0:1]:8443\n");

	ck_assert_int_eq(fg_policy_endpoint(p, "api.openai.com", 443), 0);
	ck_assert_int_eq(fg_policy_endpoint(p, "API.openai.com.", 443), 0);
	ck_assert_int_eq(fg_policy_endpoint(p, "api.openai.com", 80), -1);
	ck_assert_int_eq(fg_policy_endpoint(p, "2001:db8::1", 8443), 1);
	ck_assert_int_eq(fg_policy_endpoint(p, "[2001:0db8:0::1]", 8443), 1);
	ck_assert_int_eq(fg_policy_endpoint(p, "other", 443), -1);
	ck_assert_int_eq(fg_policy_endpoint(p, NULL, 443), -1);
	fg_policy_free(p);
}
END_TEST

START_TEST(t_endpoint_implicitly_allowed)
{
	struct fg_policy *p = ok("[network]\ndns = no\n[endpoint openai]\naddress = api.openai.com:443\n"
				 "[endpoint l]\naddress = 127.0.0.1:11434\nprotocol = http\nfallback = 127.0.0.1:8080\n");
	struct sockaddr_storage ss;
	struct fg_verdict v;
	socklen_t n = sa4(&ss, "127.0.0.1", 8080);

	ck_assert(fg_policy_host(p, "api.openai.com", NULL));
	ck_assert(conn(p, false, "127.0.0.1", 11434, NULL));
	ck_assert(fg_policy_addr(p, (struct sockaddr *)&ss, n, NULL, &v));
	ck_assert_uint_eq(v.line, 8);
	ck_assert(!conn(p, false, "127.0.0.1", 22, NULL));
	fg_policy_free(p);
}
END_TEST

START_TEST(t_allow_more_errors)
{
	char text[400];

	one_bad("[network]\nallow = :443\n", 2, "missing host in ':443'");
	one_bad("[network]\nallow = foo/8:80\n", 2, "'foo/8' is not an IPv4 or [IPv6] network");
	one_bad("[network]\nallow = 10.0.0.0/:80\n", 2, "bad prefix length in '10.0.0.0/:80'");
	one_bad("[network]\nallow = 10.0.0.0/123456789:80\n", 2, "bad prefix length");
	snprintf(text, sizeof(text), "[network]\nallow = unix:/%0108d\n", 0);
	one_bad(text, 2, "is longer than 107 bytes");
}
END_TEST

START_TEST(t_endpoint_addr_errors)
{
	one_bad("[endpoint a]\naddress = [10.0.0.1]:443\n", 2,
		"address: '[10.0.0.1]:443': IPv6 addresses and only they go in brackets");
	one_bad("[endpoint a]\naddress = ::1:443\n", 2, "brackets");
	one_bad("[endpoint a]\naddress = bad_host!:443\n", 2, "address: invalid host 'bad_host!'");
	one_bad("[endpoint a]\naddress = [api.example.com]:443\n", 2,
		"address: invalid host 'api.example.com'");
	one_bad("[breaker]\nfailure_status = 500-999\n", 2,
		"failure_status: '500-999' is not an HTTP status (100..599) or range");
}
END_TEST

START_TEST(t_env_name_errors)
{
	one_bad("[filesystem]\nread = ${ENV:9LIVES}/x\n", 2, "invalid variable name in '${ENV:9LIVES}'");
	one_bad("[filesystem]\nread = ${ENV:A-B}/x\n", 2, "invalid variable name in '${ENV:A-B}'");
}
END_TEST

START_TEST(t_addr_odd_inputs)
{
	struct fg_policy *p = ok("[network]\ndns = no\nallow = unix:/run/a.sock, 127.0.0.1:80\n");
	struct fg_verdict v;
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct sockaddr sa = { .sa_family = AF_PACKET };
	struct sockaddr_in in = { .sin_family = AF_INET };

	ck_assert(!fg_policy_addr(p, NULL, 0, NULL, &v));
	ck_assert_str_eq(fg_reason_text(v.why), "bad address");
	ck_assert(!fg_policy_addr(p, (struct sockaddr *)&un, 1, NULL, &v));
	ck_assert_str_eq(fg_reason_text(v.why), "bad address");
	/* an unnamed (autobind) socket address */
	ck_assert(!fg_policy_addr(p, (struct sockaddr *)&un, offsetof(struct sockaddr_un, sun_path),
				  NULL, &v));
	ck_assert_str_eq(fg_reason_text(v.why), "unnamed socket");
	/* socket paths are normalised before they are compared */
	memset(un.sun_path, 0, sizeof(un.sun_path));
	memcpy(un.sun_path, "/tmp/../run//a.sock", 19);
	ck_assert(fg_policy_addr(p, (struct sockaddr *)&un, sizeof(un), NULL, &v));
	ck_assert_str_eq(fg_reason_text(v.why), "allowed by rule");
	ck_assert_uint_eq(v.line, 3);
	memcpy(un.sun_path, "/run/../..", 11);
	ck_assert(!fg_policy_addr(p, (struct sockaddr *)&un, sizeof(un), NULL, &v));
	ck_assert_str_eq(fg_reason_text(v.why), "no allow rule for socket");
	/* a family the policy has no rules for */
	ck_assert(!fg_policy_addr(p, &sa, sizeof(sa), NULL, &v));
	ck_assert_str_eq(fg_reason_text(v.why), "unsupported address family");
	/* an AF_INET address too short to hold one */
	in.sin_port = htons(80);
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert(fg_policy_addr(p, (struct sockaddr *)&in, sizeof(in), NULL, &v));
	ck_assert(!fg_policy_addr(p, (struct sockaddr *)&in, sizeof(in) - 1, NULL, &v));
	ck_assert_str_eq(fg_reason_text(v.why), "unsupported address family");
	ck_assert(!fg_policy_host(p, NULL, &v));
	ck_assert_str_eq(fg_reason_text(v.why), "no host");
	fg_policy_free(p);
}
END_TEST

START_TEST(t_load_odd_files)
{
	char dir[] = "/tmp/fg-check-policy.XXXXXX", path[64];
	struct fg_policy *p;
	struct diags d;
	int fd;

	/* too large: refused before reading */
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/big.ini", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 2 * 1024 * 1024), 0);
	close(fd);
	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(fg_policy_load(path, &p, collect, &d), 1);
	ck_assert_ptr_null(p);
	ck_assert_uint_eq(d.line[0], 0);
	ck_assert_str_eq(d.msg[0], "policy is too large (2097152 bytes, at most 1048576)");
	unlink(path);
	rmdir(dir);
	/* a regular file that cannot be read */
	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(fg_policy_load("/proc/self/mem", &p, collect, &d), 1);
	ck_assert_str_eq(d.msg[0], "cannot read policy: Input/output error");
	/* a file that grows while read (its size said 0) */
	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(fg_policy_load("/proc/self/status", &p, collect, &d), 1);
	ck_assert_str_eq(d.msg[0], "policy changed while being read");
}
END_TEST

#if FG_FAILMALLOC
static bool said_oom(const struct diags *d)
{
	for (int i = 0; i < d->n && i < 64; i++)
		if (d->line[i] == 0 && !strcmp(d->msg[i], "out of memory"))
			return true;
	return false;
}

/* Every allocation of a parse made to fail in turn: the result is the
 * policy (when the failure did not matter) or no policy and "out of
 * memory", never a partial one or a crash. */
static void parse_under_oom(const char *text, int want_rc)
{
	struct fg_policy *ref, *p;
	struct diags d;
	long k;

	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(fg_policy_parse(NAME, text, strlen(text), &ref, collect, &d), want_rc);
	for (k = 0; k < 100000; k++) {
		int rc;

		memset(&d, 0, sizeof(d));
		fail_alloc(k);
		rc = fg_policy_parse(NAME, text, strlen(text), &p, collect, &d);
		fail_off();
		if (!fail_hit) {
			ck_assert_int_eq(rc, want_rc);
			break;
		}
		if (rc == 0) {
			ck_assert_ptr_nonnull(p);
			ck_assert_uint_eq(p->nep, ref->nep);
			ck_assert_uint_eq(p->net.nallow, ref->net.nallow);
			ck_assert_uint_eq(p->fs.read.n, ref->fs.read.n);
			ck_assert_uint_eq(p->fs.write.n, ref->fs.write.n);
			ck_assert_uint_eq(p->fs.deny.n, ref->fs.deny.n);
			fg_policy_free(p);
		} else {
			ck_assert_int_ge(rc, 1);
			ck_assert_ptr_null(p);
			ck_assert_msg(said_oom(&d) || rc == want_rc,
				      "allocation %ld failed: %d problems, first %u: %s",
				      k, rc, d.line[0], d.msg[0]);
		}
	}
	ck_assert_int_gt(k, 10);
	ck_assert_int_lt(k, 100000);
	fg_policy_free(ref);
}

START_TEST(t_oom_good_policy)
{
	setenv("FG_CHECK_MODEL", "/opt/model", 1);
	parse_under_oom(
		"[workspace]\nroot = /srv/agents/ws-42\nagent_id = coder-7\n"
		"[filesystem]\nread = ${root}, ${ENV:FG_CHECK_MODEL}, /opt/a, /opt/b\n"
		"write = ${root}, /tmp, ${HOME}/cache\n"
		"deny = ${root}/.git/hooks, /etc/shadow\n"
		"[network]\nallow = api.openai.com:443, 127.0.0.1:8000, 10.0.0.0/8:*, [::1]:*,"
		" [fe80::/10]:443, unix:/run/agent.sock\n"
		"dns = yes\n"
		"[breaker]\nthreshold = 3\nfailure_status = 429, 500-599\n"
		"[endpoint openai]\naddress = api.openai.com:443\nthreshold = 7\n"
		"failure_status = 503\n"
		"[endpoint local]\naddress = 127.0.0.1:11434\nprotocol = http\n"
		"fallback = [::1]:8080\n"
		"[audit]\nlog = ${root}/.fleetguard/audit.log\nkey_file = /etc/fg.key\n", 0);
}
END_TEST

START_TEST(t_oom_bad_policy)
{
	parse_under_oom(
		"[filesystem]\nread = relative, /ok\nwrite = ${NOPE}/x\nbogus = 1\n"
		"[network]\nallow = [::1, unix:, 1.2.3.4/99:80\n"
		"[endpoint x]\naddress = nohost\n", 7);
}
END_TEST

/* fg_policy_load: reading the file and everything after, under failures */
START_TEST(t_oom_load)
{
	char dir[] = "/tmp/fg-check-policy.XXXXXX", path[64];
	struct fg_policy *p;
	struct diags d;
	FILE *f;
	long k;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/p.ini", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("[filesystem]\nread = /opt\n[audit]\nlog = /var/log/x.log\n", f);
	fclose(f);
	for (k = 0; k < 10000; k++) {
		int rc;

		memset(&d, 0, sizeof(d));
		fail_alloc(k);
		rc = fg_policy_load(path, &p, collect, &d);
		fail_off();
		if (!fail_hit) {
			ck_assert_int_eq(rc, 0);
			fg_policy_free(p);
			break;
		}
		if (rc == 0) {
			ck_assert(has_path(&p->fs.read, "/opt", 2));
			fg_policy_free(p);
		} else {
			ck_assert_ptr_null(p);
			ck_assert_msg(said_oom(&d), "allocation %ld: %u: %s", k, d.line[0], d.msg[0]);
		}
	}
	ck_assert_int_gt(k, 3);
	unlink(path);
	rmdir(dir);
}
END_TEST
#endif

static TCase *syntax_cases(void)
{
	TCase *tc = tcase_create("syntax");

	tcase_add_test(tc, t_empty_defaults);
	tcase_add_test(tc, t_full_example);
	tcase_add_test(tc, t_bom_accepted);
	tcase_add_test(tc, t_crlf_accepted);
	tcase_add_test(tc, t_bom_crlf_no_final_newline);
	tcase_add_test(tc, t_comments);
	tcase_add_test(tc, t_no_continuation_lines);
	tcase_add_test(tc, t_line_too_long);
	tcase_add_test(tc, t_longest_line_ok);
	tcase_add_test(tc, t_nul_byte);
	tcase_add_test(tc, t_invalid_utf8);
	tcase_add_test(tc, t_valid_utf8);
	tcase_add_test(tc, t_control_char);
	tcase_add_test(tc, t_missing_equals);
	tcase_add_test(tc, t_unterminated_section);
	tcase_add_test(tc, t_text_after_section);
	tcase_add_test(tc, t_unknown_section);
	tcase_add_test(tc, t_unknown_key);
	tcase_add_test(tc, t_duplicate_key);
	tcase_add_test(tc, t_duplicate_section);
	tcase_add_test(tc, t_key_outside_section);
	tcase_add_test(tc, t_invalid_key);
	tcase_add_test(tc, t_endpoint_names);
	tcase_add_test(tc, t_too_many_endpoints);
	tcase_add_test(tc, t_all_errors_in_file_order);
	return tc;
}

static TCase *values_cases(void)
{
	TCase *tc = tcase_create("values");

	tcase_add_test(tc, t_root_used_before_defined);
	tcase_add_test(tc, t_expand_home_tmpdir);
	tcase_add_test(tc, t_home_unset);
	tcase_add_test(tc, t_expand_env);
	tcase_add_test(tc, t_unknown_variable);
	tcase_add_test(tc, t_tilde_not_expanded);
	tcase_add_test(tc, t_relative_path);
	tcase_add_test(tc, t_root_in_root);
	tcase_add_test(tc, t_paths_normalised);
	tcase_add_test(tc, t_lists);
	tcase_add_test(tc, t_every_bad_list_item);
	tcase_add_test(tc, t_booleans_and_choices);
	tcase_add_test(tc, t_number_ranges);
	tcase_add_test(tc, t_open_max_open);
	tcase_add_test(tc, t_failure_status);
	tcase_add_test(tc, t_max_size);
	tcase_add_test(tc, t_audit_daemon_keys);
	tcase_add_test(tc, t_agent_id);
	tcase_add_test(tc, t_state_dir);
	return tc;
}

static TCase *endpoints_cases(void)
{
	TCase *tc = tcase_create("endpoints");

	tcase_add_test(tc, t_endpoint_basic);
	tcase_add_test(tc, t_endpoint_overrides);
	tcase_add_test(tc, t_endpoint_override_checked);
	tcase_add_test(tc, t_endpoint_errors);
	return tc;
}

static TCase *network_values_cases(void)
{
	TCase *tc = tcase_create("network values");

	tcase_add_test(tc, t_allow_forms);
	tcase_add_test(tc, t_allow_errors);
	tcase_add_test(tc, t_url_pasted);
	tcase_add_test(tc, t_dns_rules);
	tcase_add_test(tc, t_allow_more_errors);
	tcase_add_test(tc, t_endpoint_addr_errors);
	tcase_add_test(tc, t_env_name_errors);
	return tc;
}

static TCase *system_and_files_cases(void)
{
	TCase *tc = tcase_create("system and files");

	tcase_add_test(tc, t_system_set);
	tcase_add_test(tc, t_load_missing);
	tcase_add_test(tc, t_load_relative_file);
	tcase_add_test(tc, t_load_odd_files);
	tcase_add_exit_test(tc, t_fail_closed_exit, 126);
	return tc;
}

static TCase *path_matching_cases(void)
{
	TCase *tc = tcase_create("path matching");

	tcase_add_test(tc, t_normalize);
	tcase_add_test(tc, t_within);
	tcase_add_test(tc, t_component_match);
	tcase_add_test(tc, t_dotdot_escape);
	tcase_add_test(tc, t_deny_beats_write);
	tcase_add_test(tc, t_deny_above_write);
	tcase_add_test(tc, t_write_beats_read);
	tcase_add_test(tc, t_write_above_read);
	tcase_add_test(tc, t_move_over_deny);
	tcase_add_test(tc, t_root_tree);
	tcase_add_test(tc, t_not_absolute_denied);
	tcase_add_test(tc, t_index_matches_reference);
	tcase_add_test(tc, t_long_paths_match_reference);
	return tc;
}

static TCase *address_matching_cases(void)
{
	TCase *tc = tcase_create("address matching");

	tcase_add_test(tc, t_addr_v4_exact);
	tcase_add_test(tc, t_addr_cidr_edges);
	tcase_add_test(tc, t_addr_prefix_zero);
	tcase_add_test(tc, t_addr_v6);
	tcase_add_test(tc, t_addr_v4_mapped);
	tcase_add_test(tc, t_addr_by_host);
	tcase_add_test(tc, t_addr_unix);
	tcase_add_test(tc, t_policy_host);
	tcase_add_test(tc, t_reason_texts);
	tcase_add_test(tc, t_sockaddr_decode);
	tcase_add_test(tc, t_policy_endpoint);
	tcase_add_test(tc, t_endpoint_implicitly_allowed);
	tcase_add_test(tc, t_addr_odd_inputs);
	return tc;
}

#if FG_FAILMALLOC
static TCase *out_of_memory_cases(void)
{
	TCase *tc = tcase_create("out of memory");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_oom_good_policy);
	tcase_add_test(tc, t_oom_bad_policy);
	tcase_add_test(tc, t_oom_load);
	return tc;
}
#endif

static Suite *suite(void)
{
	Suite *s = suite_create("policy");

	suite_add_tcase(s, syntax_cases());
	suite_add_tcase(s, values_cases());
	suite_add_tcase(s, endpoints_cases());
	suite_add_tcase(s, network_values_cases());
	suite_add_tcase(s, system_and_files_cases());
	suite_add_tcase(s, path_matching_cases());
	suite_add_tcase(s, address_matching_cases());
#if FG_FAILMALLOC
	suite_add_tcase(s, out_of_memory_cases());
#endif
	return s;
}

int main(void)
{
	return fg_check_main(suite());
}
