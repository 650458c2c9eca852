/* http.c - HTTP/1.x heads and body framing for the gateway, without copying.
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

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "breaker/breaker.h"
#include "gateway/gateway.h"

/* --- bodies ------------------------------------------------------------------ */

enum { CK_SIZE = 0, CK_EXT, CK_SIZE_LF, CK_DATA, CK_DATA_CR, CK_DATA_LF, CK_TRAILER,
       CK_TRAILER_LINE, CK_END_LF };

void fg_gw_body_init(struct fg_gw_body *b, enum fg_gw_frame f, uint64_t length)
{
	memset(b, 0, sizeof(*b));
	b->frame = f;
	b->left = length;
	b->done = f == FG_GW_NONE || (f == FG_GW_LENGTH && length == 0);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One byte of chunked framing outside chunk data; false on an error. */
static bool chunk_step(struct fg_gw_body *b, char c)
{
	int h;

	switch (b->st) {
	case CK_SIZE:
		h = hexval(c);
		if (h >= 0 && b->digits < 15) {
			b->left = b->left * 16 + (uint64_t)h;
			b->digits++;
			return true;
		}
		if (b->digits == 0)
			return false;
		if (c == '\r') {
			b->st = CK_SIZE_LF;
			return true;
		}
		if (c == '\n')
			break;
		b->st = CK_EXT;     /* ";ext" or spaces, up to the line end */
		return c == ';' || c == ' ' || c == '\t';
	case CK_EXT:
		if (c == '\n')
			break;
		return true;
	case CK_SIZE_LF:
		if (c != '\n')
			return false;
		break;
	case CK_DATA_CR:
		b->st = c == '\r' ? CK_DATA_LF : CK_SIZE;
		if (c == '\n')
			b->digits = 0;
		return c == '\r' || c == '\n';
	case CK_DATA_LF:
		b->st = CK_SIZE;
		b->digits = 0;
		return c == '\n';
	case CK_TRAILER:        /* start of a trailer line */
		if (c == '\r') {
			b->st = CK_END_LF;
		} else if (c == '\n') {
			b->done = true;
		} else {
			b->st = CK_TRAILER_LINE;
		}
		return true;
	case CK_TRAILER_LINE:
		if (c == '\n')
			b->st = CK_TRAILER;
		return true;
	case CK_END_LF:
		if (c != '\n')
			return false;
		b->done = true;
		return true;
	default:
		return false;
	}
	/* end of a size line */
	b->st = b->left == 0 ? CK_TRAILER : CK_DATA;
	return true;
}

static size_t chunked_feed(struct fg_gw_body *b, const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && !b->done && !b->bad) {
		if (b->st == CK_DATA) {
			size_t m = n - i < b->left ? n - i : (size_t)b->left;

			i += m;
			b->left -= m;
			if (b->left == 0)
				b->st = CK_DATA_CR;
			continue;
		}
		if (!chunk_step(b, p[i])) {
			b->bad = true;
			break;
		}
		i++;
	}
	return i;
}

size_t fg_gw_body_feed(struct fg_gw_body *b, const char *p, size_t n)
{
	size_t m;

	if (b->done || b->bad)
		return 0;
	switch (b->frame) {
	case FG_GW_LENGTH:
		m = n < b->left ? n : (size_t)b->left;
		b->left -= m;
		b->done = b->left == 0;
		return m;
	case FG_GW_CHUNKED:
		return chunked_feed(b, p, n);
	case FG_GW_CLOSE:
		return n;
	case FG_GW_NONE:
	default:
		b->done = true;
		return 0;
	}
}

/* --- heads ------------------------------------------------------------------- */

size_t fg_gw_head_end(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '\n')
			continue;
		if (i + 1 < n && p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

bool fg_gw_hdr_is(const char *line, size_t n, const char *name)
{
	size_t k = strlen(name);

	return n > k && line[k] == ':' && strncasecmp(line, name, k) == 0;
}

static bool tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* The value of header line l[0..n), trimmed. */
static struct fg_gw_span hvalue(const char *l, size_t n)
{
	const char *c = memchr(l, ':', n);
	struct fg_gw_span v = { .p = c + 1, .n = (size_t)(l + n - (c + 1)) };

	while (v.n > 0 && (v.p[0] == ' ' || v.p[0] == '\t')) {
		v.p++;
		v.n--;
	}
	while (v.n > 0 && (v.p[v.n - 1] == ' ' || v.p[v.n - 1] == '\t'))
		v.n--;
	return v;
}

/* Does the comma-separated list v hold token t (case-insensitive)? */
static bool has_token(struct fg_gw_span v, const char *t)
{
	size_t k = strlen(t);

	for (size_t i = 0; i < v.n;) {
		size_t j = i, e;

		while (j < v.n && v.p[j] != ',')
			j++;
		e = j;
		while (i < e && (v.p[i] == ' ' || v.p[i] == '\t'))
			i++;
		while (e > i && (v.p[e - 1] == ' ' || v.p[e - 1] == '\t'))
			e--;
		if (e - i == k && strncasecmp(v.p + i, t, k) == 0)
			return true;
		i = j + 1;
	}
	return false;
}

static bool parse_u64(struct fg_gw_span v, uint64_t *out)
{
	uint64_t x = 0;

	if (v.n == 0 || v.n > 18)
		return false;
	for (size_t i = 0; i < v.n; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(v.p[i] - '0');
	}
	*out = x;
	return true;
}

/* What the headers say about framing and the connection. */
struct hdrs {
	bool has_len, chunked, other_te, conn_close, conn_keep, expect;
	uint64_t len;
	struct fg_gw_span retry;
};

/* Walk the header lines after the start line; -EPROTO if malformed. */
static int scan_headers(const char *p, size_t n, size_t start, struct hdrs *h)
{
	size_t i = start;

	memset(h, 0, sizeof(*h));
	while (i < n) {
		size_t e = i, len;
		const char *l = p + i;
		struct fg_gw_span v;

		while (e < n && p[e] != '\n')
			e++;
		len = e - i;
		if (len > 0 && l[len - 1] == '\r')
			len--;
		i = e + 1;
		if (len == 0)
			break;
		/* obsolete line folding, no colon, or a bad name */
		if (!tchar(l[0]) || memchr(l, ':', len) == NULL)
			return -EPROTO;
		for (size_t k = 0; l[k] != ':'; k++)
			if (!tchar(l[k]))
				return -EPROTO;
		v = hvalue(l, len);
		if (fg_gw_hdr_is(l, len, "content-length")) {
			uint64_t x;

			if (!parse_u64(v, &x) || (h->has_len && x != h->len))
				return -EPROTO;
			h->has_len = true;
			h->len = x;
		} else if (fg_gw_hdr_is(l, len, "transfer-encoding")) {
			if (v.n == 7 && strncasecmp(v.p, "chunked", 7) == 0 && !h->chunked)
				h->chunked = true;
			else
				h->other_te = true;
		} else if (fg_gw_hdr_is(l, len, "connection")) {
			h->conn_close |= has_token(v, "close");
			h->conn_keep |= has_token(v, "keep-alive");
		} else if (fg_gw_hdr_is(l, len, "expect")) {
			h->expect = v.n == 12 && strncasecmp(v.p, "100-continue", 12) == 0;
		} else if (fg_gw_hdr_is(l, len, "retry-after")) {
			h->retry = v;
		}
	}
	return 0;
}

/* "HTTP/1.x" at p: the minor version, or -1. */
static int version(const char *p, size_t n)
{
	if (n != 8 || memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1'))
		return -1;
	return p[7] - '0';
}

int fg_gw_req_parse(const char *p, size_t n, struct fg_gw_req *r)
{
	size_t e = 0, sp1, sp2, len;
	struct hdrs h;
	int v;

	memset(r, 0, sizeof(*r));
	while (e < n && p[e] != '\n')
		e++;
	len = e > 0 && p[e - 1] == '\r' ? e - 1 : e;
	for (sp1 = 0; sp1 < len && p[sp1] != ' '; sp1++)
		if (!tchar(p[sp1]))
			return 400;
	for (sp2 = sp1 + 1; sp2 < len && p[sp2] != ' '; sp2++)
		if ((unsigned char)p[sp2] <= ' ' || p[sp2] == 0x7f)
			return 400;
	if (sp1 == 0 || sp1 >= len || sp2 >= len || sp2 == sp1 + 1)
		return 400;
	v = version(p + sp2 + 1, len - sp2 - 1);
	if (v < 0)
		return 505;
	r->method = (struct fg_gw_span){ p, sp1 };
	r->target = (struct fg_gw_span){ p + sp1 + 1, sp2 - sp1 - 1 };
	r->path = r->target;
	for (size_t i = 0; i < r->path.n; i++)
		if (r->path.p[i] == '?' || r->path.p[i] == '#')
			r->path.n = i;
	r->minor = (unsigned)v;
	if (scan_headers(p, n, e + 1, &h) < 0)
		return 400;
	if (h.other_te)
		return 501;
	if (h.chunked && h.has_len)
		return 400;    /* the classic smuggling ambiguity: refuse it */
	fg_gw_body_init(&r->body, h.chunked ? FG_GW_CHUNKED : h.has_len ? FG_GW_LENGTH : FG_GW_NONE,
			h.len);
	r->close = h.conn_close || (v == 0 && !h.conn_keep);
	r->head = sp1 == 4 && memcmp(p, "HEAD", 4) == 0;
	r->expect_continue = h.expect;
	return 0;
}

static unsigned retry_secs(struct fg_gw_span v, int64_t now_wall)
{
	uint64_t x;
	int64_t t;

	if (v.n == 0)
		return 0;
	if (parse_u64(v, &x))
		return x > 86400u * 7 ? 86400u * 7 : (unsigned)x;
	t = fg_http_date(v.p, v.n);
	return t > now_wall ? (unsigned)(t - now_wall > 86400 * 7 ? 86400 * 7 : t - now_wall) : 0;
}

int fg_gw_resp_parse(const char *p, size_t n, bool head, int64_t now_wall,
		     struct fg_gw_resp *r)
{
	size_t e = 0;
	struct hdrs h;
	int v;

	memset(r, 0, sizeof(*r));
	while (e < n && p[e] != '\n')
		e++;
	if (e < 12 || (v = version(p, 8)) < 0 || p[8] != ' ')
		return -EPROTO;
	for (int i = 9; i < 12; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -EPROTO;
		r->status = r->status * 10 + (unsigned)(p[i] - '0');
	}
	if (r->status < 100 || (e > 12 && p[12] != ' ' && p[12] != '\r'))
		return -EPROTO;
	r->minor = (unsigned)v;
	if (scan_headers(p, n, e + 1, &h) < 0)
		return -EPROTO;
	if (h.other_te || (h.chunked && h.has_len))
		return -EPROTO;
	if (head || r->status < 200 || r->status == 204 || r->status == 304)
		fg_gw_body_init(&r->body, FG_GW_NONE, 0);
	else
		fg_gw_body_init(&r->body, h.chunked ? FG_GW_CHUNKED :
				h.has_len ? FG_GW_LENGTH : FG_GW_CLOSE, h.len);
	r->close = h.conn_close || (v == 0 && !h.conn_keep) || r->body.frame == FG_GW_CLOSE;
	if (r->status == 429 || r->status == 503)
		r->retry_after = retry_secs(h.retry, now_wall);
	return 0;
}
