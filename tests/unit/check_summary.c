/* check_summary.c - unit tests of summary/: records in, figures out.
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
#include <stdlib.h>
#include <string.h>

#include "summary/summary.h"
#include "tests/unit/check_main.h"

static void add(struct fg_sum *s, const char *line)
{
	ck_assert_int_eq(fg_sum_add(s, line, strlen(line)), 0);
}

START_TEST(timestamps)
{
	ck_assert_int_eq(fg_sum_parse_ts("1970-01-01T00:00:01.5Z"), 1500000000);
	ck_assert_int_eq(fg_sum_parse_ts("2026-12-04T15:41:23.433310650Z"), 1796398883433310650LL);
	ck_assert_int_eq(fg_sum_parse_ts("2026-12-04T15:41:23"), -1);
	ck_assert_int_eq(fg_sum_parse_ts("yesterday"), -1);
}
END_TEST

START_TEST(groups_and_processes)
{
	struct fg_sum *s;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	ck_assert_int_eq(fg_sum_new(&s), 0);
	add(s, "{\"ts\":\"2026-01-01T00:00:00Z\",\"pid\":7,\"agent\":\"a\",\"exe\":\"/x\",\"op\":\"open\",\"path\":\"/s\",\"decision\":\"deny\",\"rule\":\"p:3\"}");
	add(s, "{\"ts\":\"2026-01-01T00:00:01Z\",\"pid\":7,\"agent\":\"a\",\"exe\":\"/x\",\"op\":\"open\",\"path\":\"/s\",\"decision\":\"deny\",\"rule\":\"p:3\"}");
	add(s, "{\"ts\":\"2026-01-01T00:00:02Z\",\"pid\":8,\"agent\":\"b\",\"exe\":\"/y\",\"op\":\"connect\",\"addr\":\"1.2.3.4:80\",\"decision\":\"report\",\"rule\":\"p:9\"}");
	add(s, "{\"ts\":\"2026-01-01T00:00:03Z\",\"pid\":8,\"agent\":\"b\",\"exe\":\"/y\",\"op\":\"breaker\",\"endpoint\":\"llm\",\"addr\":\"h:1\",\"from\":\"closed\",\"to\":\"open\",\"why\":\"w\",\"failures\":3,\"seconds\":60,\"decision\":null}");
	add(s, "{\"ts\":\"2026-01-01T00:00:04Z\",\"pid\":8,\"agent\":\"b\",\"exe\":\"/y\",\"op\":\"connect\",\"addr\":\"h:1\",\"endpoint\":\"llm\",\"fallback\":\"f:2\",\"decision\":\"allow\",\"rule\":\"p:12\"}");
	ck_assert_int_eq(fg_sum_add(s, "{\"broken", 8), -EBADMSG);
	fg_sum_finish(s);
	ck_assert_uint_eq(s->records, 5);
	ck_assert_uint_eq(s->deny, 2);
	ck_assert_uint_eq(s->report, 1);
	ck_assert_uint_eq(s->allow, 1);
	ck_assert_uint_eq(s->ngroups, 2);
	ck_assert_uint_eq(s->groups[0].count, 2);
	ck_assert_str_eq(s->groups[0].what, "/s");
	ck_assert_str_eq(s->groups[1].what, "1.2.3.4:80");
	ck_assert_uint_eq(s->nevents, 1);
	ck_assert_str_eq(s->events[0].to, "open");
	ck_assert_uint_eq(s->neps, 1);
	ck_assert_uint_eq(s->eps[0].fallback, 1);
	ck_assert_uint_eq(s->nprocs, 2);
	ck_assert_int_eq(s->last_ns - s->first_ns, 4000000000LL);
	s->source = "<log>";
	f = open_memstream(&out, &len);
	fg_sum_html(s, f, false);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(out, "&lt;log&gt;"));
	ck_assert_ptr_null(strstr(out, "<script"));
	ck_assert_ptr_nonnull(strstr(out, "default-src 'none'"));
	free(out);
	fg_sum_free(s);
}
END_TEST

/* The gateway's llm records count by their route: fallback, refused. */
START_TEST(gateway_routes)
{
	struct fg_sum *s;

	ck_assert_int_eq(fg_sum_new(&s), 0);
	add(s, "{\"ts\":\"2026-01-01T00:00:00Z\",\"pid\":9,\"agent\":\"g\",\"exe\":\"/gw\",\"op\":\"llm\",\"endpoint\":\"llm\",\"method\":\"POST\",\"path\":\"/v1\",\"status\":200,\"route\":\"fallback\",\"decision\":\"allow\",\"rule\":\"p:12\"}");
	add(s, "{\"ts\":\"2026-01-01T00:00:01Z\",\"pid\":9,\"agent\":\"g\",\"exe\":\"/gw\",\"op\":\"llm\",\"endpoint\":\"llm\",\"method\":\"POST\",\"path\":\"/v1\",\"status\":503,\"route\":\"local\",\"decision\":\"deny\",\"rule\":\"p:12\"}");
	add(s, "{\"ts\":\"2026-01-01T00:00:02Z\",\"pid\":9,\"agent\":\"g\",\"exe\":\"/gw\",\"op\":\"llm\",\"endpoint\":\"llm\",\"method\":\"POST\",\"path\":\"/v1\",\"status\":200,\"route\":\"upstream\",\"decision\":\"allow\",\"rule\":\"p:12\"}");
	fg_sum_finish(s);
	ck_assert_uint_eq(s->neps, 1);
	ck_assert_uint_eq(s->eps[0].fallback, 1);
	ck_assert_uint_eq(s->eps[0].refused, 1);
	fg_sum_free(s);
}
END_TEST

START_TEST(ticks_are_thinned)
{
	struct fg_sum *s;
	char line[256];

	ck_assert_int_eq(fg_sum_new(&s), 0);
	for (int i = 0; i < 3 * FG_SUM_MAX_TICKS; i++) {
		snprintf(line, sizeof(line), "{\"ts\":\"2026-01-01T00:00:00.%09dZ\",\"pid\":1,\"op\":\"open\",\"path\":\"/s\",\"decision\":\"deny\"}", i);
		add(s, line);
	}
	ck_assert_uint_le(s->nticks, FG_SUM_MAX_TICKS);
	ck_assert_uint_ge(s->nticks, FG_SUM_MAX_TICKS / 2);
	ck_assert_uint_eq(s->deny, 3 * FG_SUM_MAX_TICKS);
	ck_assert_uint_eq(s->ngroups, 1);
	fg_sum_free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("summary");
	TCase *tc = tcase_create("summary");

	tcase_add_test(tc, timestamps);
	tcase_add_test(tc, groups_and_processes);
	tcase_add_test(tc, gateway_routes);
	tcase_add_test(tc, ticks_are_thinned);
	suite_add_tcase(s, tc);
	return fg_check_main(s);
}
