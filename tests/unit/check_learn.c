/* check_learn.c - unit tests of learn/: audit records in, policy text out.
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
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "learn/learn.h"
#include "tests/unit/check_main.h"

static char tmp[64];
static char root[128], home[128];
static struct fg_policy *ref;

static void mk(const char *rel, bool dir)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	if (dir) {
		ck_assert_int_eq(mkdir(p, 0755), 0);
	} else {
		FILE *f = fopen(p, "w");

		ck_assert_ptr_nonnull(f);
		fclose(f);
	}
}

static void setup(void)
{
	static const char text[] = "[filesystem]\nsystem = yes\nwrite =\n";

	snprintf(tmp, sizeof(tmp), "/tmp/check_learn.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	mk("ws", true);
	mk("home", true);
	mk("home/proj", true);
	mk("home/proj/a", true);
	mk("home/proj/b", true);
	mk("home/proj/a/x.txt", false);
	mk("home/proj/b/y.txt", false);
	mk("home/notes.txt", false);
	snprintf(root, sizeof(root), "%s/ws", tmp);
	snprintf(home, sizeof(home), "%s/home", tmp);
	ck_assert_int_eq(fg_policy_parse("/ref.ini", text, sizeof(text) - 1, &ref, NULL, NULL), 0);
}

static void teardown(void)
{
	char cmd[128];

	fg_policy_free(ref);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	ck_assert_int_eq(system(cmd), 0);
}

static void add(struct fg_learn *l, const char *op, const char *path, int flags, const char *dec)
{
	char line[1024];

	snprintf(line, sizeof(line),
		 "{\"seq\":1,\"op\":\"%s\",\"path\":\"%s\",\"flags\":%d,\"decision\":\"%s\",\"rule\":null,\"result\":0}",
		 op, path, flags, dec);
	ck_assert_int_eq(fg_learn_add(l, line, strlen(line)), 0);
}

/* The policy learned from the records fed by fill, with merge text m. */
static char *learn(void (*fill)(struct fg_learn *), const char *m)
{
	struct fg_learn_conf c = { .root = root, .home = home, .ref = ref };
	struct fg_learn_out o = { .command = "job", .merge_text = m };
	struct fg_learn *l;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_int_eq(fg_learn_new(&c, &l), 0);
	fill(l);
	ck_assert_int_eq(fg_learn_write(l, &o, f), 0);
	fclose(f);
	fg_learn_free(l);
	return text;
}

static void fill_files(struct fg_learn *l)
{
	char p[256];

	add(l, "open", "/usr/lib/os-release", 0, "allow");          /* system */
	snprintf(p, sizeof(p), "%s/proj/a/x.txt", home);
	add(l, "open", p, 0, "allow");
	snprintf(p, sizeof(p), "%s/proj/b/y.txt", home);
	add(l, "open", p, 0, "allow");
	snprintf(p, sizeof(p), "%s/notes.txt", home);                /* parent is $HOME */
	add(l, "open", p, 0, "allow");
	snprintf(p, sizeof(p), "%s/out.txt", root);
	add(l, "open", p, 01101, "allow");                          /* O_WRONLY|O_CREAT|O_TRUNC */
	add(l, "open", "/etc/shadow", 0, "deny");                   /* the base policy's deny */
}

START_TEST(siblings_fold_into_their_parent)
{
	char *t = learn(fill_files, NULL);

	ck_assert_ptr_nonnull(strstr(t, "\nread   = ${HOME}/notes.txt, ${HOME}/proj\n"));
	ck_assert_ptr_nonnull(strstr(t, "\n; read ${HOME}/proj: 2 actions, e.g. ${HOME}/proj/"));
	ck_assert_ptr_nonnull(strstr(t, "\nwrite  = ${root}\n"));
	ck_assert_ptr_nonnull(strstr(t, "; system = yes: 1 action on system files, e.g. /usr/lib/os-release\n"));
	ck_assert_ptr_null(strstr(t, "shadow"));
	free(t);
}
END_TEST

static void fill_net(struct fg_learn *l)
{
	static const char *const recs[] = {
		"{\"op\":\"resolve\",\"name\":\"api.openai.com\",\"decision\":\"report\"}",
		"{\"op\":\"connect\",\"addr\":\"104.18.7.192:443\",\"name\":\"api.openai.com\",\"decision\":\"report\"}",
		"{\"op\":\"connect\",\"addr\":\"104.18.6.192:443\",\"name\":\"api.openai.com\",\"decision\":\"report\"}",
		"{\"op\":\"connect\",\"addr\":\"[::1]:8080\",\"decision\":\"report\"}",
		"{\"op\":\"resolve\",\"name\":\"pypi.org\",\"decision\":\"report\"}",
		"{\"op\":\"connect\",\"addr\":\"127.0.0.53:53\",\"decision\":\"allow\"}",
	};

	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
		ck_assert_int_eq(fg_learn_add(l, recs[i], strlen(recs[i])), 0);
}

START_TEST(hosts_by_name_addresses_kept)
{
	char *t = learn(fill_net, NULL);

	ck_assert_ptr_nonnull(strstr(t, "\nallow  = api.openai.com:443, [::1]:8080, pypi.org:*\n"));
	ck_assert_ptr_nonnull(strstr(t, "; allow api.openai.com:443: 2 connections, e.g. to 104.18.7.192:443\n"));
	ck_assert_ptr_nonnull(strstr(t, ";[endpoint openai]\n;address  = api.openai.com:443\n;protocol = https\n"));
	free(t);
}
END_TEST

START_TEST(merge_extends_the_keys)
{
	const char *m = "[workspace]\nagent_id = a\n\n[filesystem]\nread = /opt/models   ; models\n"
			"deny = ${root}/.git\n[network]\ndns = yes\n";
	char *t = learn(fill_files, m);

	ck_assert_ptr_nonnull(strstr(t, "\nread = /opt/models, ${HOME}/notes.txt, ${HOME}/proj   ; models\n"));
	ck_assert_ptr_nonnull(strstr(t, "\nwrite  = ${root}\n[network]\n"));
	ck_assert_ptr_nonnull(strstr(t, "\ndeny = ${root}/.git\n"));
	free(t);
}
END_TEST

START_TEST(tree_limits)
{
	struct fg_learn_conf c = { .root = root, .home = home, .ref = ref };
	struct fg_learn *l;

	ck_assert_int_eq(fg_learn_new(&c, &l), 0);
	ck_assert_int_eq(fg_learn_add(l, "not json", 8), -EBADMSG);
	fg_learn_free(l);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("learn");
	TCase *tc = tcase_create("learn");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, siblings_fold_into_their_parent);
	tcase_add_test(tc, hosts_by_name_addresses_kept);
	tcase_add_test(tc, merge_extends_the_keys);
	tcase_add_test(tc, tree_limits);
	suite_add_tcase(s, tc);
	return fg_check_main(s);
}
