/* parse_lines.c - pass 1 of the policy parser: checks each raw line, feeds inih and records what it splits.
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
 * inih is fed one line at a time from our own reader, which checks each raw
 * line (length, NUL, control bytes, UTF-8, section syntax, missing '=')
 * before inih sees it, so every problem gets its own line number and inih
 * never has to stop.  inih splits keys from values and strips comments; the
 * handler records (section, key, value, line).  Problems are collected here
 * and reported sorted by line, whatever pass found them.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "policy/parse_int.h"

const char *const fg_parse_sec_names[SEC_COUNT] = {
	[SEC_WORKSPACE] = "workspace", [SEC_FILESYSTEM] = "filesystem",
	[SEC_NETWORK] = "network", [SEC_BREAKER] = "breaker",
	[SEC_ENDPOINT] = "endpoint", [SEC_AUDIT] = "audit",
};

static const char *const keys_workspace[] = { "root", "agent_id", NULL };
static const char *const keys_filesystem[] = {
	"mode", "system", "read", "write", "deny", "kernel", "unconfined_exec", NULL };
static const char *const keys_network[] = { "mode", "allow", "dns", NULL };
const char *const fg_parse_keys_breaker[] = {
	"threshold", "open_seconds", "max_open_seconds", "probes", "failure_status",
	"state_dir", "slow_first_byte_seconds", "min_processes", NULL };
static const char *const keys_endpoint[] = { "address", "protocol", "fallback", "gateway",
					     "api_key_file", "api_key_header", "ca_file",
					     "fallback_model", NULL };
static const char *const keys_audit[] = {
	"log", "events", "fsync", "on_failure", "key_file", "max_size", "state_dir", "witness",
	"forward", "checkpoint_every", "daemon_user", NULL };

/* ------------------------------------------------------------------------ */
/* diagnostics */

void fg_parse_diag(struct pstate *st, unsigned line, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg) {
		st->oom = true;
		return;
	}
	if (st->ndg == st->capdg) {
		size_t ncap = st->capdg ? st->capdg * 2 : 16;
		struct diag *n = realloc(st->dg, ncap * sizeof(*n));

		if (!n) {
			free(msg);
			st->oom = true;
			return;
		}
		st->dg = n;
		st->capdg = ncap;
	}
	st->dg[st->ndg].line = line;
	st->dg[st->ndg].seq = (unsigned)st->ndg;
	st->dg[st->ndg].msg = msg;
	st->ndg++;
}

static int diag_cmp(const void *a, const void *b)
{
	const struct diag *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void fg_parse_emit(struct pstate *st, fg_diag_fn fn, void *ctx)
{
	/* out of memory is a problem of the whole load, not of a line */
	if (st->oom && fn)
		fn(ctx, st->name, 0, "out of memory");
	if (st->ndg)
		qsort(st->dg, st->ndg, sizeof(*st->dg), diag_cmp);
	for (size_t i = 0; i < st->ndg; i++)
		if (fn)
			fn(ctx, st->name, st->dg[i].line, st->dg[i].msg);
}

/* ------------------------------------------------------------------------ */
/* raw line checks, done before inih sees the line */

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t need, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((need == 3 && cp < 0x800) || (need == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

/* Report the first problem of a raw line; true when the line is usable. */
static bool check_raw(struct pstate *st, const char *line, size_t n)
{
	const unsigned char *s = (const unsigned char *)line;
	size_t i = 0, k;

	if (n > FG_POLICY_MAX_LINE) {
		fg_parse_diag(st, st->lineno, "line too long (%zu bytes, at most %d)", n,
			      FG_POLICY_MAX_LINE);
		return false;
	}
	while (i < n) {
		if (s[i] == 0) {
			fg_parse_diag(st, st->lineno, "nul byte at column %zu", i + 1);
			return false;
		}
		if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f) {
			fg_parse_diag(st, st->lineno, "control character 0x%02x at column %zu", s[i], i + 1);
			return false;
		}
		k = utf8_seq(s + i, n - i);
		if (!k) {
			fg_parse_diag(st, st->lineno, "invalid utf-8 at column %zu", i + 1);
			return false;
		}
		i += k;
	}
	return true;
}

static bool is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

bool fg_parse_is_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.';
}

/* ------------------------------------------------------------------------ */
/* section headers */

/* The name of "[endpoint NAME]" (sp, rest bytes): checked and recorded. */
static void endpoint_header(struct pstate *st, const char *sp, size_t rest)
{
	if (!rest) {
		fg_parse_diag(st, st->lineno, "endpoint section needs a name: '[endpoint NAME]'");
		return;
	}
	for (size_t i = 0; i < rest; i++) {
		if (!fg_parse_is_name_char(sp[i])) {
			fg_parse_diag(st, st->lineno,
				      "invalid endpoint name '%.*s' (letters, digits, '.', '_', '-')",
				      (int)rest, sp);
			return;
		}
	}
	if (rest > FG_POLICY_MAX_EP_NAME) {
		fg_parse_diag(st, st->lineno, "endpoint name too long (at most %d bytes)",
			      FG_POLICY_MAX_EP_NAME);
		return;
	}
	if (st->neps >= FG_POLICY_MAX_ENDPOINTS) {
		fg_parse_diag(st, st->lineno, "too many endpoints (at most %d)", FG_POLICY_MAX_ENDPOINTS);
		return;
	}
	for (size_t i = 0; i < st->neps; i++) {
		if (strlen(st->eps[i].name) == rest && !memcmp(st->eps[i].name, sp, rest)) {
			fg_parse_diag(st, st->lineno, "duplicate section '[endpoint %.*s]' (first at line %u)",
				      (int)rest, sp, st->eps[i].line);
			return;
		}
	}
	if (st->neps == st->capeps) {
		size_t ncap = st->capeps ? st->capeps * 2 : 4;
		struct eprec *e = realloc(st->eps, ncap * sizeof(*e));

		if (!e) {
			st->oom = true;
			return;
		}
		st->eps = e;
		st->capeps = ncap;
	}
	st->eps[st->neps].name = strndup(sp, rest);
	if (!st->eps[st->neps].name) {
		st->oom = true;
		return;
	}
	st->eps[st->neps].line = st->lineno;
	st->cur_ep = st->neps++;
	st->cur = SEC_ENDPOINT;
}

/* "[kind]" or "[endpoint NAME]": sets st->cur. */
static void section_header(struct pstate *st, const char *s, size_t n)
{
	const char *close = memchr(s, ']', n), *in, *sp;
	size_t inlen, rest, klen;
	enum sec k;

	st->cur = SEC_BAD;
	if (!close) {
		fg_parse_diag(st, st->lineno, "unterminated section header (missing ']')");
		return;
	}
	for (sp = close + 1; sp < s + n; sp++) {
		if (*sp == ';' || *sp == '#')
			break;
		if (*sp != ' ' && *sp != '\t') {
			fg_parse_diag(st, st->lineno, "unexpected text after section header");
			return;
		}
	}
	inlen = (size_t)(close - s - 1);
	in = fg_parse_trim(s + 1, &inlen);
	for (klen = 0; klen < inlen && in[klen] != ' ' && in[klen] != '\t'; klen++)
		;
	for (k = SEC_WORKSPACE; k < SEC_BAD; k++)
		if (strlen(fg_parse_sec_names[k]) == klen && !memcmp(in, fg_parse_sec_names[k], klen))
			break;
	if (k == SEC_BAD) {
		fg_parse_diag(st, st->lineno, "unknown section '[%.*s]'", (int)inlen, in);
		return;
	}
	rest = inlen - klen;
	sp = fg_parse_trim(in + klen, &rest);
	if (k == SEC_ENDPOINT) {
		endpoint_header(st, sp, rest);
		return;
	}
	if (rest) {
		fg_parse_diag(st, st->lineno, "unknown section '[%.*s]'", (int)inlen, in);
		return;
	}
	if (st->sec_line[k]) {
		fg_parse_diag(st, st->lineno, "duplicate section '[%s]' (first at line %u)",
			      fg_parse_sec_names[k], st->sec_line[k]);
		return;
	}
	st->sec_line[k] = st->lineno;
	st->cur = k;
}

/* A "key = value" line: true when inih may see it. */
static bool key_line(struct pstate *st, const char *s, size_t n)
{
	const char *eq = memchr(s, '=', n), *key;
	size_t klen;

	if (!eq) {
		fg_parse_diag(st, st->lineno, "missing '=' in '%.*s'", (int)(n > 40 ? 40 : n), s);
		return false;
	}
	klen = (size_t)(eq - s);
	key = fg_parse_trim(s, &klen);
	if (!klen) {
		fg_parse_diag(st, st->lineno, "missing key before '='");
		return false;
	}
	for (size_t i = 0; i < klen; i++) {
		if (!is_key_char(key[i]) || klen >= sizeof(((struct entry *)0)->key)) {
			fg_parse_diag(st, st->lineno, "invalid key '%.*s'",
				      (int)(klen > 40 ? 40 : klen), key);
			return false;
		}
	}
	if (st->cur == SEC_NONE) {
		fg_parse_diag(st, st->lineno, "key '%.*s' outside of any section", (int)klen, key);
		return false;
	}
	/* keys of a broken section were reported with the section */
	return st->cur != SEC_BAD;
}

/* ------------------------------------------------------------------------ */
/* inih's callbacks */

/*
 * inih's reader: hands over exactly one line per call, checked and with the
 * BOM, CR and leading blanks removed (so inih never sees a continuation
 * line).  A line that failed a check is replaced by an empty line.
 */
static char *reader(char *str, int num, void *stream)
{
	struct pstate *st = stream;
	const char *line, *nl;
	size_t n, next;
	bool ok;

	if (st->pos >= st->len || num < 3)
		return NULL;
	line = st->buf + st->pos;
	nl = memchr(line, '\n', st->len - st->pos);
	n = nl ? (size_t)(nl - line) : st->len - st->pos;
	next = st->pos + n + (nl ? 1 : 0);
	st->pos = next;
	st->lineno++;

	if (st->lineno == 1 && n >= 3 && !memcmp(line, "\xef\xbb\xbf", 3)) {
		line += 3;
		n -= 3;
	}
	if (n && line[n - 1] == '\r')
		n--;
	ok = check_raw(st, line, n);
	if (ok) {
		while (n && (*line == ' ' || *line == '\t')) {
			line++;
			n--;
		}
		if (!n || *line == ';' || *line == '#')
			ok = true;
		else if (*line == '[')
			section_header(st, line, n), ok = st->cur != SEC_BAD;
		else
			ok = key_line(st, line, n);
	}
	if (ok && (size_t)num < n + 2) {
		/* an inih built with a smaller line buffer: never drop a line silently */
		fg_parse_diag(st, st->lineno, "line too long for the ini parser (%zu bytes, at most %d)",
			      n, num - 2);
		ok = false;
	}
	if (!ok)
		n = 0;
	memcpy(str, line, n);
	str[n] = '\n';
	str[n + 1] = '\0';
	return str;
}

static const char *const *section_keys(enum sec s)
{
	switch (s) {
	case SEC_WORKSPACE: return keys_workspace;
	case SEC_FILESYSTEM: return keys_filesystem;
	case SEC_NETWORK: return keys_network;
	case SEC_BREAKER: return fg_parse_keys_breaker;
	case SEC_ENDPOINT: return keys_endpoint;
	case SEC_AUDIT: return keys_audit;
	default: return NULL;
	}
}

bool fg_parse_in_list(const char *const *l, const char *k)
{
	for (; l && *l; l++)
		if (!strcmp(*l, k))
			return true;
	return false;
}

/* A known key, not yet seen in this section: true (and no diagnostic). */
static bool key_is_new(struct pstate *st, const char *name)
{
	const char *sname;

	sname = st->cur == SEC_ENDPOINT ? st->eps[st->cur_ep].name : fg_parse_sec_names[st->cur];
	if (!fg_parse_in_list(section_keys(st->cur), name) &&
	    !(st->cur == SEC_ENDPOINT && fg_parse_in_list(fg_parse_keys_breaker, name))) {
		fg_parse_diag(st, st->lineno, "unknown key '%s' in [%s%s]", name,
			      st->cur == SEC_ENDPOINT ? "endpoint " : "", sname);
		return false;
	}
	for (size_t i = 0; i < st->nent; i++) {
		const struct entry *e = &st->ent[i];

		if (e->sec == st->cur && (st->cur != SEC_ENDPOINT || e->ep == st->cur_ep) &&
		    !strcmp(e->key, name)) {
			fg_parse_diag(st, st->lineno, "duplicate key '%s' (first at line %u)", name, e->line);
			return false;
		}
	}
	return true;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct pstate *st = user;
	struct entry *e;

	(void)section;          /* we track sections ourselves, with their lines */
	if (!name || st->cur == SEC_NONE || st->cur == SEC_BAD)
		return 1;
	if (!key_is_new(st, name))
		return 1;
	if (st->nent == st->capent) {
		size_t ncap = st->capent ? st->capent * 2 : 32;
		struct entry *n = realloc(st->ent, ncap * sizeof(*n));

		if (!n) {
			st->oom = true;
			return 1;
		}
		st->ent = n;
		st->capent = ncap;
	}
	e = &st->ent[st->nent];
	e->val = strdup(value ? value : "");
	if (!e->val) {
		st->oom = true;
		return 1;
	}
	e->sec = st->cur;
	e->ep = st->cur_ep;
	snprintf(e->key, sizeof(e->key), "%s", name);
	e->line = st->lineno;
	st->nent++;
	return 1;
}

void fg_parse_syntax(struct pstate *st)
{
	int rc;

	ini_allow_multiline = false;
	ini_allow_bom = false;          /* the reader strips it */
	ini_allow_inline_comments = true;
	ini_inline_comment_prefixes = (char *)";#";
	ini_start_comment_prefixes = (char *)";#";
	ini_stop_on_first_error = false;
	ini_use_stack = false;
	ini_allow_realloc = false;
	ini_initial_alloc = FG_POLICY_MAX_LINE + 3;
	ini_max_line = FG_POLICY_MAX_LINE + 3;
	rc = ini_parse_stream(reader, st, handler, st);
	if (rc < 0)
		st->oom = true;
	else if (rc > 0)
		fg_parse_diag(st, (unsigned)rc, "syntax error");
}
