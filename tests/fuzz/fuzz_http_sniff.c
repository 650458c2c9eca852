/* fuzz_http_sniff.c - libFuzzer harness for the breaker's HTTP sniffer.
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
 * Differential: the answer must not depend on how the bytes were cut into
 * reads.  The input is fed whole, byte by byte, and in pieces whose sizes
 * come from the input itself; result, status and Retry-After must agree.
 * fg_http_date gets the same bytes.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "breaker/breaker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct outcome {
	enum fg_sniff_result r, eof;
	unsigned status, retry;
};

static struct outcome run(const uint8_t *data, size_t size, size_t (*cut)(size_t, size_t))
{
	struct fg_http_sniff s;
	struct outcome o;
	size_t off = 0;

	fg_http_sniff_init(&s);
	o.r = FG_SNIFF_MORE;
	while (off < size && o.r == FG_SNIFF_MORE) {
		size_t n = cut(off, size - off);

		o.r = fg_http_sniff_feed(&s, data + off, n, 1700000000);
		off += n;
	}
	o.eof = fg_http_sniff_eof(&s);
	o.status = s.status;
	o.retry = s.retry_after;
	return o;
}

static size_t whole(size_t off, size_t left)
{
	return left;
}

static size_t bytewise(size_t off, size_t left)
{
	return 1;
}

static size_t odd(size_t off, size_t left)
{
	size_t n = (off * 7 + 3) % 13 + 1;

	return n < left ? n : left;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome a = run(data, size, whole);
	struct outcome b = run(data, size, bytewise);
	struct outcome c = run(data, size, odd);

	if (a.r != b.r || a.r != c.r || a.eof != b.eof || a.eof != c.eof)
		abort();
	if (a.r == FG_SNIFF_DONE &&
	    (a.status != b.status || a.status != c.status || a.retry != b.retry || a.retry != c.retry))
		abort();
	if (a.r == FG_SNIFF_DONE && (a.status < 100 || a.status > 999))
		abort();
	(void)fg_http_date((const char *)data, size);
	return 0;
}
