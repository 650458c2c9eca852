/* http.c - incremental reader of an HTTP/1.x status line and Retry-After.
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
 * Byte at a time, no buffering of the caller's data: a response may arrive
 * one byte per read() and the reader must neither miss it nor allocate.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "breaker/breaker.h"

enum {
	PH_STATUS = 0,   /* matching "HTTP/1.x NNN" */
	PH_REASON,       /* rest of the status line */
	PH_LINE,         /* at the start of a header line */
	PH_NAME,         /* in a header name, matching "retry-after" */
	PH_SKIP,         /* in a header line we do not want */
	PH_VALUE,        /* in the Retry-After value */
	PH_CR,           /* saw CR at the start of a line */
	PH_DONE,
	PH_NOT_HTTP,
};

#define HDR_LIMIT 16384u

static const char want_name[] = "retry-after";

void fg_http_sniff_init(struct fg_http_sniff *s)
{
	memset(s, 0, sizeof(*s));
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Wants the headers: a 1xx (the real status follows them) or a status
 * that may carry Retry-After. */
static bool wants_headers(unsigned st)
{
	return st < 200 || st == 429 || st == 503;
}

static void value_done(struct fg_http_sniff *s, int64_t now_wall)
{
	size_t n = s->vlen;
	int64_t t;
	uint64_t v = 0;
	size_t i;

	while (n > 0 && (s->val[n - 1] == ' ' || s->val[n - 1] == '\t'))
		n--;
	if (n == 0 || s->status < 200)
		return;
	for (i = 0; i < n && is_digit(s->val[i]); i++)
		if (v < 1000000000u)
			v = v * 10 + (uint64_t)(s->val[i] - '0');
	if (i == n) {
		s->retry_after = v > 1000000000u ? 1000000000u : (uint32_t)v;
		return;
	}
	t = fg_http_date(s->val, n);
	if (t > now_wall)
		s->retry_after = t - now_wall > 1000000000 ? 1000000000u : (uint32_t)(t - now_wall);
}

/* End of the header block: the answer for a final status, or start over
 * for an informational one. */
static void headers_done(struct fg_http_sniff *s)
{
	if (s->status < 200) {
		fg_http_sniff_init(s);
		return;
	}
	s->phase = PH_DONE;
}

/* One byte of "HTTP/1.x NNN" and the character after it. */
static void step_status(struct fg_http_sniff *s, int c)
{
	static const char prefix[] = "HTTP/1.";

	if (s->pos < 7) {
		if (c != prefix[s->pos])
			s->phase = PH_NOT_HTTP;
	} else if (s->pos == 7) {
		if (!is_digit(c))
			s->phase = PH_NOT_HTTP;
	} else if (s->pos == 8) {
		if (c != ' ')
			s->phase = PH_NOT_HTTP;
	} else if (s->pos < 12) {
		if (!is_digit(c))
			s->phase = PH_NOT_HTTP;
		else
			s->status = (uint16_t)(s->status * 10 + (c - '0'));
	} else if (c == ' ' || c == '\r' || c == '\n') {
		if (s->status < 100)
			s->phase = PH_NOT_HTTP;
		else if (!wants_headers(s->status))
			s->phase = PH_DONE;
		else
			s->phase = c == '\n' ? PH_LINE : PH_REASON;
	} else {
		s->phase = PH_NOT_HTTP;
	}
	s->pos++;
}

/* One byte of a header name, matched against "retry-after". */
static void step_name(struct fg_http_sniff *s, int c)
{
	if (c == '\n') {
		s->phase = PH_LINE;
	} else if (s->match == sizeof(want_name) - 1) {
		if (c == ':') {
			s->vlen = 0;
			s->phase = PH_VALUE;
		} else {
			s->phase = PH_SKIP;
		}
	} else if (lower(c) == want_name[s->match]) {
		s->match++;
	} else {
		s->phase = PH_SKIP;
	}
}

/* One byte of the Retry-After value. */
static void step_value(struct fg_http_sniff *s, int c, int64_t now_wall)
{
	if (c == '\r' || c == '\n') {
		value_done(s, now_wall);
		s->phase = c == '\n' ? PH_LINE : PH_SKIP;
	} else if ((c == ' ' || c == '\t') && s->vlen == 0) {
		/* leading whitespace */
	} else if (s->vlen < sizeof(s->val) - 1) {
		s->val[s->vlen++] = (char)c;
	}
}

static void step(struct fg_http_sniff *s, int c, int64_t now_wall)
{
	switch (s->phase) {
	case PH_STATUS:
		step_status(s, c);
		return;
	case PH_REASON:
	case PH_SKIP:
		if (c == '\n')
			s->phase = PH_LINE;
		return;
	case PH_CR:
		if (c == '\n')
			headers_done(s);
		else
			s->phase = PH_SKIP;
		return;
	case PH_LINE:
		if (c == '\r') {
			s->phase = PH_CR;
		} else if (c == '\n') {
			headers_done(s);
		} else {
			s->match = 0;
			s->phase = PH_NAME;
			step_name(s, c);
		}
		return;
	case PH_NAME:
		step_name(s, c);
		return;
	case PH_VALUE:
		step_value(s, c, now_wall);
		return;
	default:
		return;
	}
}

enum fg_sniff_result fg_http_sniff_feed(struct fg_http_sniff *s, const void *buf, size_t n,
					int64_t now_wall)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < n; i++) {
		if (s->phase == PH_DONE)
			return FG_SNIFF_DONE;
		if (s->phase == PH_NOT_HTTP)
			return FG_SNIFF_NOT_HTTP;
		step(s, p[i], now_wall);
		if (s->phase >= PH_REASON && s->phase < PH_DONE && ++s->hdr_bytes > HDR_LIMIT)
			s->phase = s->status >= 200 ? PH_DONE : PH_NOT_HTTP;
	}
	if (s->phase == PH_DONE)
		return FG_SNIFF_DONE;
	if (s->phase == PH_NOT_HTTP)
		return FG_SNIFF_NOT_HTTP;
	return FG_SNIFF_MORE;
}

enum fg_sniff_result fg_http_sniff_eof(struct fg_http_sniff *s)
{
	if (s->phase == PH_DONE || (s->phase > PH_STATUS && s->phase < PH_DONE && s->status >= 200))
		s->phase = PH_DONE;
	else
		s->phase = PH_NOT_HTTP;
	return s->phase == PH_DONE ? FG_SNIFF_DONE : FG_SNIFF_NOT_HTTP;
}

/* --- HTTP-date (RFC 9110 5.6.7) ------------------------------------------ */

struct cursor {
	const char *p, *end;
};

static bool skip_spaces(struct cursor *c)
{
	const char *p0 = c->p;

	while (c->p < c->end && *c->p == ' ')
		c->p++;
	return c->p > p0;
}

static int number(struct cursor *c, int min_digits, int max_digits)
{
	int v = 0, n = 0;

	while (c->p < c->end && is_digit(*c->p) && n < max_digits) {
		v = v * 10 + (*c->p++ - '0');
		n++;
	}
	return n >= min_digits ? v : -1;
}

static bool expect(struct cursor *c, char ch)
{
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return true;
	}
	return false;
}

static int month(struct cursor *c)
{
	static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	char m[3];

	if (c->end - c->p < 3)
		return -1;
	for (int i = 0; i < 3; i++)
		m[i] = (char)lower(c->p[i]);
	for (int i = 0; i < 12; i++)
		if (memcmp(names + 3 * i, m, 3) == 0) {
			c->p += 3;
			return i + 1;
		}
	return -1;
}

static bool clock_time(struct cursor *c, int *h, int *mi, int *s)
{
	*h = number(c, 2, 2);
	if (*h < 0 || !expect(c, ':'))
		return false;
	*mi = number(c, 2, 2);
	if (*mi < 0 || !expect(c, ':'))
		return false;
	*s = number(c, 2, 2);
	return *s >= 0 && *h < 24 && *mi < 60 && *s < 61;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_since_epoch(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int64_t fg_http_date(const char *s, size_t n)
{
	struct cursor c = {s, s + n};
	int day, mon, year, h, mi, sec;

	/* weekday name, then ',' (IMF-fixdate, RFC 850) or ' ' (asctime) */
	while (c.p < c.end && ((*c.p >= 'a' && *c.p <= 'z') || (*c.p >= 'A' && *c.p <= 'Z')))
		c.p++;
	if (c.p == s)
		return -1;
	if (expect(&c, ',')) {
		char sep;

		skip_spaces(&c);
		day = number(&c, 1, 2);
		if (day < 0 || c.p >= c.end || (*c.p != ' ' && *c.p != '-'))
			return -1;
		sep = *c.p++;
		mon = month(&c);
		if (mon < 0 || !expect(&c, sep))
			return -1;
		year = number(&c, 2, 4);
		if (year < 0)
			return -1;
		if (year < 100)
			year += year < 70 ? 2000 : 1900;
		if (!skip_spaces(&c) || !clock_time(&c, &h, &mi, &sec))
			return -1;
		skip_spaces(&c);
		if (c.end - c.p < 3 || memcmp(c.p, "GMT", 3) != 0)
			return -1;
		c.p += 3;
	} else {
		if (!skip_spaces(&c))
			return -1;
		mon = month(&c);
		if (mon < 0 || !skip_spaces(&c))
			return -1;
		day = number(&c, 1, 2);
		if (day < 0 || !skip_spaces(&c) || !clock_time(&c, &h, &mi, &sec) ||
		    !skip_spaces(&c))
			return -1;
		year = number(&c, 4, 4);
		if (year < 0)
			return -1;
	}
	skip_spaces(&c);
	if (c.p != c.end || day < 1 || day > 31)
		return -1;
	return days_since_epoch(year, mon, day) * 86400 + h * 3600 + mi * 60 + sec;
}
