/* parse_values.c - the syntax of policy values: ${...} expansion, numbers, choices, lists, paths and sizes.
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
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/parse_int.h"

const char *fg_parse_trim(const char *s, size_t *n)
{
	while (*n && (*s == ' ' || *s == '\t')) {
		s++;
		(*n)--;
	}
	while (*n && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
		(*n)--;
	return s;
}

struct sbuf {
	char *s;
	size_t n, cap;
	bool oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t ncap = (b->n + n + 1) * 2;
		char *x = realloc(b->s, ncap);

		if (!x) {
			b->oom = true;
			return;
		}
		b->s = x;
		b->cap = ncap;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

/* ${ENV:NAME}: d points at "${", nlen is the length between the braces. */
static const char *env_value(struct pstate *st, unsigned line, const char *d, size_t nlen)
{
	char name[128];
	size_t k = nlen - 4;
	const char *val;

	if (k >= sizeof(name) || !(isalpha((unsigned char)d[6]) || d[6] == '_')) {
		fg_parse_diag(st, line, "invalid variable name in '%.*s'", (int)nlen + 3, d);
		return NULL;
	}
	for (size_t i = 0; i < k; i++) {
		if (!isalnum((unsigned char)d[6 + i]) && d[6 + i] != '_') {
			fg_parse_diag(st, line, "invalid variable name in '%.*s'", (int)nlen + 3, d);
			return NULL;
		}
	}
	memcpy(name, d + 6, k);
	name[k] = '\0';
	val = getenv(name);
	if (!val)
		fg_parse_diag(st, line, "environment variable '%s' is not set", name);
	return val;
}

/* The value of the variable "${...}" at d; NULL after a diagnostic. */
static const char *var_value(struct pstate *st, unsigned line, const char *d, size_t nlen)
{
	const char *val;

	if (nlen == 4 && !memcmp(d + 2, "root", 4)) {
		if (!st->p->root)
			fg_parse_diag(st, line, "${root} cannot be used in root itself");
		return st->p->root;
	}
	if (nlen == 4 && !memcmp(d + 2, "HOME", 4)) {
		val = getenv("HOME");
		if (!val || !*val) {
			fg_parse_diag(st, line, "${HOME} is used but HOME is not set");
			return NULL;
		}
		return val;
	}
	if (nlen == 6 && !memcmp(d + 2, "TMPDIR", 6)) {
		val = getenv("TMPDIR");
		return val && *val ? val : "/tmp";
	}
	if (nlen > 4 && !memcmp(d + 2, "ENV:", 4))
		return env_value(st, line, d, nlen);
	fg_parse_diag(st, line, "unknown variable '%.*s' (known: ${root}, ${HOME}, ${TMPDIR}, ${ENV:NAME})",
		      (int)nlen + 3, d);
	return NULL;
}

char *fg_parse_expand(struct pstate *st, unsigned line, const char *v)
{
	struct sbuf b = { 0 };
	const char *p = v, *d, *end, *val;

	sb_add(&b, "", 0);
	while ((d = strstr(p, "${"))) {
		sb_add(&b, p, (size_t)(d - p));
		end = strchr(d + 2, '}');
		if (!end) {
			fg_parse_diag(st, line, "unterminated '${' in '%s'", v);
			goto fail;
		}
		val = var_value(st, line, d, (size_t)(end - d - 2));
		if (!val)
			goto fail;
		sb_add(&b, val, strlen(val));
		p = end + 1;
	}
	sb_add(&b, p, strlen(p));
	if (b.oom) {
		st->oom = true;
		goto fail;
	}
	return b.s;
fail:
	free(b.s);
	return NULL;
}

bool fg_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool fg_parse_num_key(struct pstate *st, const struct entry *e, const char *v,
		      unsigned min, unsigned max, unsigned *out)
{
	uint64_t x;

	if (!fg_parse_uint(v, min, max, &x)) {
		fg_parse_diag(st, e->line, "%s must be a whole number from %u to %u, not '%s'",
			      e->key, min, max, v);
		return false;
	}
	*out = (unsigned)x;
	return true;
}

bool fg_parse_choice_key(struct pstate *st, const struct entry *e, const char *v,
			 const struct choice *c, int *out)
{
	struct sbuf b = { 0 };

	for (const struct choice *x = c; x->word; x++) {
		if (!strcmp(x->word, v)) {
			*out = x->val;
			return true;
		}
	}
	sb_add(&b, "", 0);
	for (const struct choice *x = c; x->word; x++) {
		if (x != c)
			sb_add(&b, x[1].word ? ", " : " or ", x[1].word ? 2 : 4);
		sb_add(&b, x->word, strlen(x->word));
	}
	fg_parse_diag(st, e->line, "%s must be %s, not '%s'", e->key, b.s ? b.s : "?", v);
	free(b.s);
	return false;
}

const struct choice fg_ch_bool[] = {
	{ "yes", 1 }, { "no", 0 }, { "true", 1 }, { "false", 0 }, { "on", 1 }, { "off", 0 }, { NULL, 0 } };
const struct choice fg_ch_mode[] = {
	{ "enforce", FG_MODE_ENFORCE }, { "report", FG_MODE_REPORT }, { "off", FG_MODE_OFF }, { NULL, 0 } };
const struct choice fg_ch_kernel[] = {
	{ "auto", FG_KERNEL_AUTO }, { "on", FG_KERNEL_ON }, { "off", FG_KERNEL_OFF }, { NULL, 0 } };
const struct choice fg_ch_unconf[] = { { "deny", 0 }, { "allow", 1 }, { NULL, 0 } };
const struct choice fg_ch_events[] = {
	{ "all", FG_EVENTS_ALL }, { "writes", FG_EVENTS_WRITES }, { "denied", FG_EVENTS_DENIED }, { NULL, 0 } };
const struct choice fg_ch_fsync[] = {
	{ "always", FG_FSYNC_ALWAYS }, { "batch", FG_FSYNC_BATCH }, { "never", FG_FSYNC_NEVER }, { NULL, 0 } };
const struct choice fg_ch_onfail[] = {
	{ "deny", FG_ONFAIL_DENY }, { "allow", FG_ONFAIL_ALLOW }, { NULL, 0 } };
const struct choice fg_ch_gateway[] = {
	{ "auto", -1 }, { "yes", 1 }, { "no", 0 }, { "true", 1 }, { "false", 0 }, { "on", 1 },
	{ "off", 0 }, { NULL, 0 } };
const struct choice fg_ch_proto[] = { { "https", 1 }, { "http", 0 }, { NULL, 0 } };

/* Expanding after the split keeps a variable's commas inside one item and
 * lets every bad item of a list be reported. */
bool fg_parse_each_item(struct pstate *st, const struct entry *e, const char *raw,
			fg_item_fn fn, void *arg)
{
	bool ok = true;
	const char *p = raw;
	size_t n = strlen(raw);

	fg_parse_trim(raw, &n);
	if (!n)
		return true;    /* an empty list is allowed: "nothing" */
	for (;;) {
		const char *comma = strchr(p, ','), *it;
		char *item, *x;

		n = comma ? (size_t)(comma - p) : strlen(p);
		it = fg_parse_trim(p, &n);
		if (!n) {
			fg_parse_diag(st, e->line, "empty item in the list of %s", e->key);
			ok = false;
		} else if (!(item = strndup(it, n))) {
			st->oom = true;
			return false;
		} else {
			x = fg_parse_expand(st, e->line, item);
			free(item);
			if (x)
				ok &= fn(st, e, x, arg);
			else
				ok = false;
			free(x);
		}
		if (!comma)
			break;
		p = comma + 1;
	}
	return ok;
}

char *fg_parse_make_path(struct pstate *st, unsigned line, const char *key, const char *v)
{
	char buf[PATH_MAX];
	long n;

	if (v[0] != '/') {
		fg_parse_diag(st, line, "%s: path '%s' is not absolute%s", key, v,
			      v[0] == '~' ? " (~ is not expanded: use ${HOME})" : "");
		return NULL;
	}
	n = fg_path_normalize(v, buf, sizeof(buf));
	if (n < 0) {
		fg_parse_diag(st, line, "%s: path '%.60s...' is too long", key, v);
		return NULL;
	}
	char *r = strdup(buf);

	if (!r)
		st->oom = true;
	return r;
}

bool fg_parse_add_path_rule(struct pstate *st, struct fg_path_list *l, const char *path,
			    unsigned line, enum fg_rule_origin origin)
{
	struct fg_path_rule *v = realloc(l->v, (l->n + 1) * sizeof(*v));
	char *c;

	if (!v) {
		st->oom = true;
		return false;
	}
	l->v = v;
	c = strdup(path);
	if (!c) {
		st->oom = true;
		return false;
	}
	v[l->n].path = c;
	v[l->n].len = strlen(c);
	v[l->n].line = line;
	v[l->n].origin = origin;
	l->n++;
	return true;
}

bool fg_parse_path_item(struct pstate *st, const struct entry *e, char *item, void *arg)
{
	struct fg_path_list *l = arg;
	char *p = fg_parse_make_path(st, e->line, e->key, item);
	bool ok;

	if (!p)
		return false;
	ok = fg_parse_add_path_rule(st, l, p, e->line, FG_ORIGIN_POLICY);
	free(p);
	return ok;
}

bool fg_parse_status_item(struct pstate *st, const struct entry *e, char *item, void *arg)
{
	struct fg_breaker_conf *c = arg;
	char *dash = strchr(item, '-');
	uint64_t lo, hi;

	if (dash)
		*dash = '\0';
	if (!fg_parse_uint(item, 100, 599, &lo) ||
	    (dash && !fg_parse_uint(dash + 1, 100, 599, &hi))) {
		if (dash)
			*dash = '-';
		fg_parse_diag(st, e->line,
			      "failure_status: '%s' is not an HTTP status (100..599) or range", item);
		return false;
	}
	if (!dash)
		hi = lo;
	if (hi < lo) {
		fg_parse_diag(st, e->line, "failure_status: range %u-%u is backwards",
			      (unsigned)lo, (unsigned)hi);
		return false;
	}
	for (uint64_t s = lo; s <= hi; s++)
		c->failure_status[s / 8] |= (uint8_t)(1u << (s % 8));
	return true;
}

bool fg_parse_size(struct pstate *st, const struct entry *e, const char *v, uint64_t *out)
{
	char num[32];
	size_t n = strlen(v);
	unsigned shift = 0;
	uint64_t x;

	if (n && strchr("kKmMgG", v[n - 1])) {
		shift = (v[n - 1] == 'k' || v[n - 1] == 'K') ? 10 :
			(v[n - 1] == 'm' || v[n - 1] == 'M') ? 20 : 30;
		n--;
	}
	if (n >= sizeof(num) || !n)
		goto bad;
	memcpy(num, v, n);
	num[n] = '\0';
	/* at most 1 TiB, whatever the unit */
	if (!fg_parse_uint(num, 0, 1ull << (40 - shift), &x))
		goto bad;
	x <<= shift;
	if (x && x < 4096)
		goto bad;
	*out = x;
	return true;
bad:
	fg_parse_diag(st, e->line,
		      "max_size must be 0 or a size from 4096 bytes to 1T (suffix K, M or G), not '%s'", v);
	return false;
}
