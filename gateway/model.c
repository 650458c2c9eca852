/* model.c - the fallback's model rewrite: a JSON body's top-level "model" value replaced.
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
 * A scanner, not a parser: it walks the top-level object of the body, skips
 * every value it does not replace by its framing alone (strings with their
 * escapes, nested objects and arrays by depth), and copies the bytes around
 * the replaced values unchanged.  A body it cannot walk is left alone.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway.h"

struct scan {
	const char *p;
	size_t n, i;
};

static void ws(struct scan *s)
{
	while (s->i < s->n && (s->p[s->i] == ' ' || s->p[s->i] == '\t' || s->p[s->i] == '\n' ||
			       s->p[s->i] == '\r'))
		s->i++;
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

/* Skip a string at s->i (its opening quote); when key is not NULL, tell
 * whether it decodes to exactly key (ASCII escapes \uXXXX included).
 * Returns false on a malformed string. */
static bool string(struct scan *s, const char *key, bool *is_key)
{
	size_t k = 0, klen = key != NULL ? strlen(key) : 0;
	bool same = key != NULL;

	s->i++;
	while (s->i < s->n && s->p[s->i] != '"') {
		unsigned ch = (unsigned char)s->p[s->i++];

		if (ch < 0x20)
			return false;
		if (ch == '\\') {
			if (s->i >= s->n)
				return false;
			ch = (unsigned char)s->p[s->i++];
			if (ch == 'u') {
				unsigned v = 0;

				for (int d = 0; d < 4; d++) {
					int h = s->i < s->n ? hexval(s->p[s->i]) : -1;

					if (h < 0)
						return false;
					v = v * 16 + (unsigned)h;
					s->i++;
				}
				ch = v;
			} else if (ch == 0 || strchr("\"\\/bfnrt", (int)ch) == NULL) {
				return false;
			}
		}
		same = same && k < klen && ch == (unsigned char)key[k];
		k++;
	}
	if (s->i >= s->n)
		return false;
	s->i++;
	if (is_key != NULL)
		*is_key = same && k == klen;
	return true;
}

/* Skip an object or array at s->i by depth, strings by their quotes. */
static bool nested(struct scan *s)
{
	unsigned depth = 0;

	do {
		char c;

		if (s->i >= s->n)
			return false;
		c = s->p[s->i];
		if (c == '"') {
			if (!string(s, NULL, NULL))
				return false;
			continue;
		}
		if (c == '{' || c == '[') {
			if (++depth > 512)
				return false;
		} else if (c == '}' || c == ']') {
			depth--;
		}
		s->i++;
	} while (depth > 0);
	return true;
}

/* Skip one value of any kind; false when it is malformed. */
static bool value(struct scan *s)
{
	size_t start = s->i;

	if (s->i >= s->n)
		return false;
	if (s->p[s->i] == '"')
		return string(s, NULL, NULL);
	if (s->p[s->i] == '{' || s->p[s->i] == '[')
		return nested(s);
	/* a number or literal: up to what ends it */
	while (s->i < s->n && strchr(",}] \t\r\n[{\"", s->p[s->i]) == NULL)
		s->i++;
	return s->i > start;
}

struct span {
	size_t at, len;
};

/* The spans of every top-level "model" value (at most max); -EINVAL when
 * the body is not one JSON object. */
static int find_models(const char *p, size_t n, struct span *out, size_t max, size_t *found)
{
	struct scan s = { .p = p, .n = n };

	*found = 0;
	ws(&s);
	if (s.i >= n || p[s.i] != '{')
		return -EINVAL;
	s.i++;
	ws(&s);
	if (s.i < n && p[s.i] == '}')
		return 0;
	for (;;) {
		bool is_model = false;
		size_t at;

		ws(&s);
		if (s.i >= n || p[s.i] != '"' || !string(&s, "model", &is_model))
			return -EINVAL;
		ws(&s);
		if (s.i >= n || p[s.i] != ':')
			return -EINVAL;
		s.i++;
		ws(&s);
		at = s.i;
		if (!value(&s))
			return -EINVAL;
		if (is_model && *found < max)
			out[(*found)++] = (struct span){ at, s.i - at };
		ws(&s);
		if (s.i < n && p[s.i] == ',') {
			s.i++;
			continue;
		}
		if (s.i < n && p[s.i] == '}')
			break;
		return -EINVAL;
	}
	s.i++;
	ws(&s);
	return s.i == n ? 0 : -EINVAL;
}

int fg_gw_model_rewrite(const char *body, size_t n, const char *model, char **out,
			size_t *outlen, char *was, size_t waslen)
{
	struct span sp[8];
	size_t nsp, mlen = strlen(model), len = n, o = 0, from = 0;
	char *r;

	*out = NULL;
	*outlen = 0;
	if (waslen > 0)
		was[0] = '\0';
	if (find_models(body, n, sp, sizeof(sp) / sizeof(sp[0]), &nsp) < 0 || nsp == 0)
		return 0;
	for (size_t i = 0; i < nsp; i++)
		len = len - sp[i].len + mlen + 2;
	r = malloc(len + 1);
	if (r == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < nsp; i++) {
		memcpy(r + o, body + from, sp[i].at - from);
		o += sp[i].at - from;
		r[o++] = '"';
		memcpy(r + o, model, mlen);
		o += mlen;
		r[o++] = '"';
		from = sp[i].at + sp[i].len;
	}
	memcpy(r + o, body + from, n - from);
	o += n - from;
	r[o] = '\0';
	if (waslen > 0) {
		/* the last one is the one a JSON reader keeps */
		const struct span *w = &sp[nsp - 1];
		size_t skip = w->len >= 2 && body[w->at] == '"' ? 1 : 0, k = w->len - 2 * skip;

		if (k >= waslen)
			k = waslen - 1;
		memcpy(was, body + w->at + skip, k);
		was[k] = '\0';
	}
	*out = r;
	*outlen = o;
	return 1;
}
