/* fuzz_gateway_http.c - the gateway's HTTP head and body framing parsers and its model rewrite under mutated input.
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
 * One target for libFuzzer (make fuzz-gateway) and for the deterministic
 * mutation run in tests/unit/check_gateway.c.  The input is taken as a
 * request and as a response: the head's end is found, the head parsed, and
 * every span the parser hands back must lie inside the head.  The rest is
 * fed to the body framing the head announced, whole, byte by byte and in
 * odd pieces: how much belongs to the body, whether it ended and whether it
 * was malformed must not depend on how the bytes were cut (the gateway
 * reads whatever the socket gives).  The model rewrite must leave every
 * byte outside the replaced values alone and be idempotent.
 * Any violation aborts.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fed {
	size_t used;
	bool done, bad;
};

static size_t whole(size_t off, size_t left)
{
	(void)off;
	return left;
}

static size_t bytewise(size_t off, size_t left)
{
	(void)off;
	(void)left;
	return 1;
}

static size_t odd(size_t off, size_t left)
{
	size_t n = (off * 7 + 3) % 13 + 1;

	return n < left ? n : left;
}

static struct fed feed(const struct fg_gw_body *start, const char *p, size_t n,
		       size_t (*cut)(size_t, size_t))
{
	struct fg_gw_body b = *start;
	struct fed f = { 0 };

	while (f.used < n && !b.done && !b.bad) {
		size_t k = cut(f.used, n - f.used), u = fg_gw_body_feed(&b, p + f.used, k);

		if (u > k)
			abort();
		f.used += u;
		if (u < k)
			break;
	}
	f.done = b.done;
	f.bad = b.bad;
	return f;
}

static void same_framing(const struct fg_gw_body *b, const char *p, size_t n)
{
	struct fed a = feed(b, p, n, whole), c = feed(b, p, n, bytewise), d = feed(b, p, n, odd);

	if (a.used != c.used || a.used != d.used || a.done != c.done || a.done != d.done ||
	    a.bad != c.bad || a.bad != d.bad)
		abort();
	if (b->frame == FG_GW_LENGTH && !a.bad && a.used != (n < b->left ? n : b->left))
		abort();
}

static void inside(const struct fg_gw_span *s, const char *p, size_t n)
{
	if (s->n > n || s->p < p || s->p + s->n > p + n)
		abort();
}

static void as_request(const char *p, size_t e, size_t size)
{
	struct fg_gw_req r;
	int rc = fg_gw_req_parse(p, e, &r);

	if (rc != 0 && rc != 400 && rc != 501 && rc != 505)
		abort();
	if (rc != 0)
		return;
	inside(&r.method, p, e);
	inside(&r.target, p, e);
	inside(&r.path, p, e);
	if (r.method.n == 0 || r.path.n > r.target.n || r.body.frame == FG_GW_CLOSE)
		abort();
	same_framing(&r.body, p + e, size - e);
}

static void as_response(const char *p, size_t e, size_t size, bool head)
{
	struct fg_gw_resp r;
	int rc = fg_gw_resp_parse(p, e, head, 1700000000, &r);

	if (rc != 0 && rc != -EPROTO)
		abort();
	if (rc != 0)
		return;
	if (r.status < 100 || r.status > 999 || (head && r.body.frame != FG_GW_NONE))
		abort();
	same_framing(&r.body, p + e, size - e);
}

/* The rewrite changes the model values only: once more changes nothing. */
static void rewrite(const char *p, size_t size)
{
	char *out = NULL, *again = NULL, was[16];
	size_t n = 0, n2 = 0;
	int rc = fg_gw_model_rewrite(p, size, "fuzz-model", &out, &n, was, sizeof(was));

	if (rc < 0 || (rc == 0) != (out == NULL) || strlen(was) >= sizeof(was))
		abort();
	if (rc == 0)
		return;
	if (memchr(out, '\0', n) != NULL && memchr(p, '\0', size) == NULL)
		abort();
	if (fg_gw_model_rewrite(out, n, "fuzz-model", &again, &n2, NULL, 0) != 1 || n2 != n ||
	    memcmp(again, out, n) != 0)
		abort();
	free(again);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t e = fg_gw_head_end(p, size);

	if (e > size)
		abort();
	if (e > 0) {
		as_request(p, e, size);
		as_response(p, e, size, false);
		as_response(p, e, size, true);
	}
	rewrite(p, size);
	return 0;
}
