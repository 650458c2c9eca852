/* fuzz_policy.c - libFuzzer target for the policy parser ("make fuzz").
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
 * Beyond "no crash, no leak, no undefined behaviour" it checks the parser's
 * promises: a failed parse returns no policy and as many problems as it
 * reported, each on a line that exists, in file order, lowercase without a
 * full stop; a successful one has absolute normalised rules and answers
 * path and address questions.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "policy/policy.h"

struct seen {
	unsigned lines;          /* lines in the input */
	unsigned last;
	int n;
};

static void on_diag(void *ctx, const char *file, unsigned line, const char *msg)
{
	struct seen *s = ctx;
	size_t n = strlen(msg);

	(void)file;
	if (line > s->lines || line < s->last || !n || msg[n - 1] == '.' ||
	    (msg[0] >= 'A' && msg[0] <= 'Z'))
		abort();
	s->last = line;
	s->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen s = { 1, 0, 0 };
	struct fg_policy *p = (struct fg_policy *)1;
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(443) };
	char norm[4096];
	int rc;

	for (size_t i = 0; i < size; i++)
		s.lines += data[i] == '\n';
	rc = fg_policy_parse("/fuzz/ws/fleetguard.ini", (const char *)data, size, &p, on_diag, &s);
	if (rc != s.n || (rc && p) || (!rc && !p))
		abort();
	if (rc)
		return 0;
	for (int k = 0; k < 3; k++) {
		const struct fg_path_list *l = k == 0 ? &p->fs.read : k == 1 ? &p->fs.write : &p->fs.deny;

		for (size_t i = 0; i < l->n; i++) {
			if (fg_path_normalize(l->v[i].path, norm, sizeof(norm)) != (long)l->v[i].len ||
			    strcmp(norm, l->v[i].path))
				abort();
			/* every tree decides its own root one way or the other, and
			 * a deny tree always denies */
			if (k == 2 && fg_policy_path(p, l->v[i].path, l->v[i].len, FG_ACC_READ, NULL))
				abort();
		}
	}
	fg_policy_path(p, "/fuzz/ws/src/main.c", 19, FG_ACC_WRITE, NULL);
	fg_policy_addr(p, (struct sockaddr *)&in, sizeof(in), "api.openai.com", NULL);
	fg_policy_host(p, "api.openai.com", NULL);
	fg_policy_endpoint(p, "api.openai.com", 443);
	fg_policy_free(p);
	return 0;
}
