/* parse.c - fleetguard.ini into a struct fg_policy.
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
 * Two passes.  The first feeds inih one line at a time from our own reader,
 * which checks each raw line (length, NUL, control bytes, UTF-8, section
 * syntax, missing '=') before inih sees it, so every problem gets its own
 * line number and inih never has to stop.  inih splits keys from values and
 * strips comments; the handler records (section, key, value, line).  The
 * second pass interprets the records: [workspace] first, because every other
 * value may use ${root}, then the rest.  Problems are collected, sorted by
 * line and only then reported, so they come out in file order whatever pass
 * found them.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "policy/policy.h"
#include "policy/policy_int.h"

enum sec {
	SEC_NONE = 0, SEC_WORKSPACE, SEC_FILESYSTEM, SEC_NETWORK, SEC_BREAKER,
	SEC_ENDPOINT, SEC_AUDIT, SEC_BAD, SEC_COUNT
};

static const char *const sec_names[SEC_COUNT] = {
	[SEC_WORKSPACE] = "workspace", [SEC_FILESYSTEM] = "filesystem",
	[SEC_NETWORK] = "network", [SEC_BREAKER] = "breaker",
	[SEC_ENDPOINT] = "endpoint", [SEC_AUDIT] = "audit",
};

/* Keys per section; [endpoint] also takes every [breaker] key. */
static const char *const keys_workspace[] = { "root", "agent_id", NULL };
static const char *const keys_filesystem[] = {
	"mode", "system", "read", "write", "deny", "kernel", "unconfined_exec", NULL };
static const char *const keys_network[] = { "mode", "allow", "dns", NULL };
static const char *const keys_breaker[] = {
	"threshold", "open_seconds", "max_open_seconds", "probes", "failure_status",
	"state_dir", "slow_first_byte_seconds", "min_processes", NULL };
static const char *const keys_endpoint[] = { "address", "protocol", "fallback", NULL };
static const char *const keys_audit[] = {
	"log", "events", "fsync", "on_failure", "key_file", "max_size", NULL };

struct diag {
	unsigned line;
	unsigned seq;           /* keeps the sort stable */
	char *msg;
};

struct entry {
	enum sec sec;
	size_t ep;              /* SEC_ENDPOINT: index into eps */
	char key[32];
	char *val;
	unsigned line;
};

struct eprec {
	char *name;
	unsigned line;
};

struct pstate {
	const char *name;       /* file name for diagnostics */
	const char *buf;
	size_t len, pos;
	unsigned lineno;

	enum sec cur;
	size_t cur_ep;
	unsigned sec_line[SEC_COUNT];

	struct entry *ent;
	size_t nent, capent;
	struct eprec *eps;
	size_t neps, capeps;

	struct diag *dg;
	size_t ndg, capdg;
	bool oom;

	struct fg_policy *p;
};

/* ------------------------------------------------------------------------ */
/* diagnostics */

__attribute__((format(printf, 3, 4)))
static void diag(struct pstate *st, unsigned line, const char *fmt, ...)
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
		diag(st, st->lineno, "line too long (%zu bytes, at most %d)", n, FG_POLICY_MAX_LINE);
		return false;
	}
	while (i < n) {
		if (s[i] == 0) {
			diag(st, st->lineno, "nul byte at column %zu", i + 1);
			return false;
		}
		if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f) {
			diag(st, st->lineno, "control character 0x%02x at column %zu", s[i], i + 1);
			return false;
		}
		k = utf8_seq(s + i, n - i);
		if (!k) {
			diag(st, st->lineno, "invalid utf-8 at column %zu", i + 1);
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

static bool is_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.';
}

static const char *trim(const char *s, size_t *n)
{
	while (*n && (*s == ' ' || *s == '\t')) {
		s++;
		(*n)--;
	}
	while (*n && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
		(*n)--;
	return s;
}

/* "[kind]" or "[endpoint NAME]": sets st->cur. */
static void section_header(struct pstate *st, const char *s, size_t n)
{
	const char *close = memchr(s, ']', n), *in, *sp;
	size_t inlen, rest, klen;
	enum sec k;

	st->cur = SEC_BAD;
	if (!close) {
		diag(st, st->lineno, "unterminated section header (missing ']')");
		return;
	}
	for (sp = close + 1; sp < s + n; sp++) {
		if (*sp == ';' || *sp == '#')
			break;
		if (*sp != ' ' && *sp != '\t') {
			diag(st, st->lineno, "unexpected text after section header");
			return;
		}
	}
	inlen = (size_t)(close - s - 1);
	in = trim(s + 1, &inlen);
	for (klen = 0; klen < inlen && in[klen] != ' ' && in[klen] != '\t'; klen++)
		;
	for (k = SEC_WORKSPACE; k < SEC_BAD; k++)
		if (strlen(sec_names[k]) == klen && !memcmp(in, sec_names[k], klen))
			break;
	if (k == SEC_BAD) {
		diag(st, st->lineno, "unknown section '[%.*s]'", (int)inlen, in);
		return;
	}
	rest = inlen - klen;
	sp = trim(in + klen, &rest);
	if (k != SEC_ENDPOINT) {
		if (rest) {
			diag(st, st->lineno, "unknown section '[%.*s]'", (int)inlen, in);
			return;
		}
		if (st->sec_line[k]) {
			diag(st, st->lineno, "duplicate section '[%s]' (first at line %u)",
			     sec_names[k], st->sec_line[k]);
			return;
		}
		st->sec_line[k] = st->lineno;
		st->cur = k;
		return;
	}
	if (!rest) {
		diag(st, st->lineno, "endpoint section needs a name: '[endpoint NAME]'");
		return;
	}
	for (size_t i = 0; i < rest; i++) {
		if (!is_name_char(sp[i])) {
			diag(st, st->lineno, "invalid endpoint name '%.*s' (letters, digits, '.', '_', '-')",
			     (int)rest, sp);
			return;
		}
	}
	if (rest > FG_POLICY_MAX_EP_NAME) {
		diag(st, st->lineno, "endpoint name too long (at most %d bytes)", FG_POLICY_MAX_EP_NAME);
		return;
	}
	if (st->neps >= FG_POLICY_MAX_ENDPOINTS) {
		diag(st, st->lineno, "too many endpoints (at most %d)", FG_POLICY_MAX_ENDPOINTS);
		return;
	}
	for (size_t i = 0; i < st->neps; i++) {
		if (strlen(st->eps[i].name) == rest && !memcmp(st->eps[i].name, sp, rest)) {
			diag(st, st->lineno, "duplicate section '[endpoint %.*s]' (first at line %u)",
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

/* A "key = value" line: true when inih may see it. */
static bool key_line(struct pstate *st, const char *s, size_t n)
{
	const char *eq = memchr(s, '=', n), *key;
	size_t klen;

	if (!eq) {
		diag(st, st->lineno, "missing '=' in '%.*s'", (int)(n > 40 ? 40 : n), s);
		return false;
	}
	klen = (size_t)(eq - s);
	key = trim(s, &klen);
	if (!klen) {
		diag(st, st->lineno, "missing key before '='");
		return false;
	}
	for (size_t i = 0; i < klen; i++) {
		if (!is_key_char(key[i]) || klen >= sizeof(((struct entry *)0)->key)) {
			diag(st, st->lineno, "invalid key '%.*s'", (int)(klen > 40 ? 40 : klen), key);
			return false;
		}
	}
	if (st->cur == SEC_NONE) {
		diag(st, st->lineno, "key '%.*s' outside of any section", (int)klen, key);
		return false;
	}
	/* keys of a broken section were reported with the section */
	return st->cur != SEC_BAD;
}

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
		diag(st, st->lineno, "line too long for the ini parser (%zu bytes, at most %d)", n, num - 2);
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
	case SEC_BREAKER: return keys_breaker;
	case SEC_ENDPOINT: return keys_endpoint;
	case SEC_AUDIT: return keys_audit;
	default: return NULL;
	}
}

static bool in_list(const char *const *l, const char *k)
{
	for (; l && *l; l++)
		if (!strcmp(*l, k))
			return true;
	return false;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct pstate *st = user;
	struct entry *e;
	const char *sname;

	(void)section;          /* we track sections ourselves, with their lines */
	if (!name || st->cur == SEC_NONE || st->cur == SEC_BAD)
		return 1;
	sname = st->cur == SEC_ENDPOINT ? st->eps[st->cur_ep].name : sec_names[st->cur];
	if (!in_list(section_keys(st->cur), name) &&
	    !(st->cur == SEC_ENDPOINT && in_list(keys_breaker, name))) {
		diag(st, st->lineno, "unknown key '%s' in [%s%s]", name,
		     st->cur == SEC_ENDPOINT ? "endpoint " : "", sname);
		return 1;
	}
	for (size_t i = 0; i < st->nent; i++) {
		e = &st->ent[i];
		if (e->sec == st->cur && (st->cur != SEC_ENDPOINT || e->ep == st->cur_ep) &&
		    !strcmp(e->key, name)) {
			diag(st, st->lineno, "duplicate key '%s' (first at line %u)", name, e->line);
			return 1;
		}
	}
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

/* ------------------------------------------------------------------------ */
/* values */

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

/* Expand ${root}, ${HOME}, ${TMPDIR}, ${ENV:NAME}; NULL after a diagnostic. */
static char *expand(struct pstate *st, unsigned line, const char *v)
{
	struct sbuf b = { 0 };
	const char *p = v, *d, *end, *val;
	size_t nlen;

	sb_add(&b, "", 0);
	while ((d = strstr(p, "${"))) {
		sb_add(&b, p, (size_t)(d - p));
		end = strchr(d + 2, '}');
		if (!end) {
			diag(st, line, "unterminated '${' in '%s'", v);
			goto fail;
		}
		nlen = (size_t)(end - d - 2);
		val = NULL;
		if (nlen == 4 && !memcmp(d + 2, "root", 4)) {
			if (!st->p->root) {
				diag(st, line, "${root} cannot be used in root itself");
				goto fail;
			}
			val = st->p->root;
		} else if (nlen == 4 && !memcmp(d + 2, "HOME", 4)) {
			val = getenv("HOME");
			if (!val || !*val) {
				diag(st, line, "${HOME} is used but HOME is not set");
				goto fail;
			}
		} else if (nlen == 6 && !memcmp(d + 2, "TMPDIR", 6)) {
			val = getenv("TMPDIR");
			if (!val || !*val)
				val = "/tmp";
		} else if (nlen > 4 && !memcmp(d + 2, "ENV:", 4)) {
			char name[128];
			size_t k = nlen - 4;

			if (k >= sizeof(name) || !(isalpha((unsigned char)d[6]) || d[6] == '_')) {
				diag(st, line, "invalid variable name in '%.*s'", (int)nlen + 3, d);
				goto fail;
			}
			for (size_t i = 0; i < k; i++) {
				if (!isalnum((unsigned char)d[6 + i]) && d[6 + i] != '_') {
					diag(st, line, "invalid variable name in '%.*s'", (int)nlen + 3, d);
					goto fail;
				}
			}
			memcpy(name, d + 6, k);
			name[k] = '\0';
			val = getenv(name);
			if (!val) {
				diag(st, line, "environment variable '%s' is not set", name);
				goto fail;
			}
		} else {
			diag(st, line, "unknown variable '%.*s' (known: ${root}, ${HOME}, ${TMPDIR}, ${ENV:NAME})",
			     (int)nlen + 3, d);
			goto fail;
		}
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

static bool parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
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

static bool num_key(struct pstate *st, const struct entry *e, const char *v,
		    unsigned min, unsigned max, unsigned *out)
{
	uint64_t x;

	if (!parse_uint(v, min, max, &x)) {
		diag(st, e->line, "%s must be a whole number from %u to %u, not '%s'",
		     e->key, min, max, v);
		return false;
	}
	*out = (unsigned)x;
	return true;
}

struct choice {
	const char *word;
	int val;
};

static bool choice_key(struct pstate *st, const struct entry *e, const char *v,
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
	diag(st, e->line, "%s must be %s, not '%s'", e->key, b.s ? b.s : "?", v);
	free(b.s);
	return false;
}

static const struct choice ch_bool[] = {
	{ "yes", 1 }, { "no", 0 }, { "true", 1 }, { "false", 0 }, { "on", 1 }, { "off", 0 }, { NULL, 0 } };
static const struct choice ch_mode[] = {
	{ "enforce", FG_MODE_ENFORCE }, { "report", FG_MODE_REPORT }, { "off", FG_MODE_OFF }, { NULL, 0 } };
static const struct choice ch_kernel[] = {
	{ "auto", FG_KERNEL_AUTO }, { "on", FG_KERNEL_ON }, { "off", FG_KERNEL_OFF }, { NULL, 0 } };
static const struct choice ch_unconf[] = { { "deny", 0 }, { "allow", 1 }, { NULL, 0 } };
static const struct choice ch_events[] = {
	{ "all", FG_EVENTS_ALL }, { "writes", FG_EVENTS_WRITES }, { "denied", FG_EVENTS_DENIED }, { NULL, 0 } };
static const struct choice ch_fsync[] = {
	{ "always", FG_FSYNC_ALWAYS }, { "batch", FG_FSYNC_BATCH }, { "never", FG_FSYNC_NEVER }, { NULL, 0 } };
static const struct choice ch_onfail[] = {
	{ "deny", FG_ONFAIL_DENY }, { "allow", FG_ONFAIL_ALLOW }, { NULL, 0 } };
static const struct choice ch_proto[] = { { "https", 1 }, { "http", 0 }, { NULL, 0 } };

/* Split a raw comma list; expands and passes each trimmed item to fn.
 * Expanding after the split keeps a variable's commas inside one item and
 * lets every bad item of a list be reported. */
static bool each_item(struct pstate *st, const struct entry *e, const char *raw,
		      bool (*fn)(struct pstate *, const struct entry *, char *, void *), void *arg)
{
	bool ok = true;
	const char *p = raw;
	size_t n = strlen(raw);

	trim(raw, &n);
	if (!n)
		return true;    /* an empty list is allowed: "nothing" */
	for (;;) {
		const char *comma = strchr(p, ','), *it;
		char *item, *x;

		n = comma ? (size_t)(comma - p) : strlen(p);
		it = trim(p, &n);
		if (!n) {
			diag(st, e->line, "empty item in the list of %s", e->key);
			ok = false;
		} else if (!(item = strndup(it, n))) {
			st->oom = true;
			return false;
		} else {
			x = expand(st, e->line, item);
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

/* An absolute path, expanded already; normalised into a new string. */
static char *make_path(struct pstate *st, unsigned line, const char *key, const char *v)
{
	char buf[PATH_MAX];
	long n;

	if (v[0] != '/') {
		diag(st, line, "%s: path '%s' is not absolute%s", key, v,
		     v[0] == '~' ? " (~ is not expanded: use ${HOME})" : "");
		return NULL;
	}
	n = fg_path_normalize(v, buf, sizeof(buf));
	if (n < 0) {
		diag(st, line, "%s: path '%.60s...' is too long", key, v);
		return NULL;
	}
	char *r = strdup(buf);

	if (!r)
		st->oom = true;
	return r;
}

static bool add_path_rule(struct pstate *st, struct fg_path_list *l, const char *path,
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

static bool path_item(struct pstate *st, const struct entry *e, char *item, void *arg)
{
	struct fg_path_list *l = arg;
	char *p = make_path(st, e->line, e->key, item);
	bool ok;

	if (!p)
		return false;
	ok = add_path_rule(st, l, p, e->line, FG_ORIGIN_POLICY);
	free(p);
	return ok;
}

/* ------------------------------------------------------------------------ */
/* network values */

int fg_addr_literal(const char *s, size_t len, uint8_t addr[16])
{
	char tmp[64];

	if (len >= sizeof(tmp))
		return 0;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, tmp, addr) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, tmp, addr) == 1)
		return AF_INET6;
	return 0;
}

/* A DNS name: labels of letters, digits and '-', 1..63 bytes each, not all
 * digits at the end (that would be a mistyped address). */
static bool valid_hostname(const char *s, size_t n)
{
	size_t lab = 0;
	bool alldigit = true;

	if (n && s[n - 1] == '.')
		n--;
	if (!n || n > 253)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (!lab || lab > 63 || s[i - 1] == '-')
				return false;
			if (i == n && alldigit)
				return false;
			lab = 0;
			alldigit = true;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return false;
		if (!lab && s[i] == '-')
			return false;
		if (!isdigit((unsigned char)s[i]))
			alldigit = false;
		lab++;
	}
	return true;
}

struct hostport {
	const char *host;
	size_t hlen;
	bool bracketed;
	int port;              /* -1 for '*' */
};

/* "host:port", "[v6]:port", "[v6/len]:port", "a.b.c.d/len:port". */
static bool split_hostport(struct pstate *st, unsigned line, const char *key, const char *s,
			   bool star_ok, struct hostport *hp)
{
	const char *colon, *ps;
	uint64_t port;

	hp->bracketed = s[0] == '[';
	if (hp->bracketed) {
		const char *close = strchr(s, ']');

		if (!close) {
			diag(st, line, "%s: missing ']' in '%s'", key, s);
			return false;
		}
		hp->host = s + 1;
		hp->hlen = (size_t)(close - s - 1);
		colon = close + 1;
		if (*colon == '/') {            /* "[2001:db8::]/32:443" */
			while (*colon && *colon != ':')
				colon++;
			hp->hlen = (size_t)(colon - hp->host);
		}
		if (*colon != ':') {
			diag(st, line, "%s: missing port in '%s' (write [address]:port%s)", key, s,
			     star_ok ? " or [address]:*" : "");
			return false;
		}
	} else {
		colon = strrchr(s, ':');
		if (!colon) {
			diag(st, line, "%s: missing port in '%s' (write host:port%s)", key, s,
			     star_ok ? " or host:*" : "");
			return false;
		}
		hp->host = s;
		hp->hlen = (size_t)(colon - s);
		if (memchr(s, ':', hp->hlen)) {
			diag(st, line, "%s: IPv6 address in '%s' must be in brackets: [address]:port",
			     key, s);
			return false;
		}
	}
	ps = colon + 1;
	if (star_ok && !strcmp(ps, "*")) {
		hp->port = -1;
	} else if (!parse_uint(ps, 1, 65535, &port)) {
		diag(st, line, "%s: port must be 1..65535%s, not '%s' in '%s'", key,
		     star_ok ? " or *" : "", ps, s);
		return false;
	} else {
		hp->port = (int)port;
	}
	if (!hp->hlen) {
		diag(st, line, "%s: missing host in '%s'", key, s);
		return false;
	}
	return true;
}

static bool net_item(struct pstate *st, const struct entry *e, char *item, void *arg)
{
	struct fg_net_rule r = { 0 }, *v;
	struct hostport hp;
	const char *slash;
	(void)arg;

	r.line = e->line;
	r.origin = FG_ORIGIN_POLICY;
	if (!strncmp(item, "unix:", 5)) {
		const char *u = item + 5;

		r.kind = FG_NET_UNIX;
		r.port = -1;
		if (u[0] == '@') {
			if (!u[1] || strlen(u) > 107) {
				diag(st, e->line, "allow: abstract socket name in '%s' must be 1..106 bytes", item);
				return false;
			}
			r.unix_path = strdup(u);
		} else {
			r.unix_path = make_path(st, e->line, "allow", u);
			if (!r.unix_path)
				return false;
			if (strlen(r.unix_path) > 107) {
				diag(st, e->line, "allow: socket path '%s' is longer than 107 bytes", u);
				free(r.unix_path);
				return false;
			}
		}
		if (!r.unix_path) {
			st->oom = true;
			return false;
		}
		goto add;
	}
	if (!split_hostport(st, e->line, "allow", item, true, &hp))
		return false;
	r.port = hp.port;
	slash = memchr(hp.host, '/', hp.hlen);
	if (slash) {
		size_t alen = (size_t)(slash - hp.host);
		char pfx[8];
		size_t plen = hp.hlen - alen - 1;
		uint64_t prefix;
		unsigned maxp;

		r.family = fg_addr_literal(hp.host, alen, r.addr);
		if (hp.bracketed && alen && hp.host[alen - 1] == ']')  /* "[v6]/len" form */
			r.family = fg_addr_literal(hp.host, alen - 1, r.addr);
		if (!r.family || (r.family == AF_INET6 && !hp.bracketed) ||
		    (r.family == AF_INET && hp.bracketed)) {
			diag(st, e->line, "allow: '%.*s' is not an IPv4 or [IPv6] network",
			     (int)hp.hlen, hp.host);
			return false;
		}
		maxp = r.family == AF_INET ? 32 : 128;
		if (plen >= sizeof(pfx) || !plen) {
			diag(st, e->line, "allow: bad prefix length in '%s'", item);
			return false;
		}
		memcpy(pfx, slash + 1, plen);
		pfx[plen] = '\0';
		if (!parse_uint(pfx, 0, maxp, &prefix)) {
			diag(st, e->line, "allow: prefix length must be 0..%u, not '%s' in '%s'",
			     maxp, pfx, item);
			return false;
		}
		r.kind = FG_NET_CIDR;
		r.prefix = (unsigned)prefix;
		for (unsigned bit = r.prefix; bit < maxp; bit++) {
			if (r.addr[bit / 8] & (0x80u >> (bit % 8))) {
				diag(st, e->line, "allow: '%.*s' has host bits set beyond /%u",
				     (int)hp.hlen, hp.host, r.prefix);
				return false;
			}
		}
		goto add;
	}
	r.family = fg_addr_literal(hp.host, hp.hlen, r.addr);
	if (r.family) {
		if ((r.family == AF_INET6) != hp.bracketed) {
			diag(st, e->line, "allow: '%s': IPv6 addresses and only they go in brackets", item);
			return false;
		}
		r.kind = FG_NET_CIDR;
		r.prefix = r.family == AF_INET ? 32 : 128;
		goto add;
	}
	if (hp.bracketed) {
		diag(st, e->line, "allow: '%.*s' is not an IPv6 address", (int)hp.hlen, hp.host);
		return false;
	}
	if (hp.hlen == 1 && hp.host[0] == '*') {
		diag(st, e->line, "allow: wildcard hosts are not supported in '%s' (use 0.0.0.0/0:port and [::/0]:port for any address)",
		     item);
		return false;
	}
	if (!valid_hostname(hp.host, hp.hlen)) {
		diag(st, e->line, "allow: invalid host name '%.*s'", (int)hp.hlen, hp.host);
		return false;
	}
	r.kind = FG_NET_HOST;
	r.host = strndup(hp.host, hp.hlen - (hp.host[hp.hlen - 1] == '.'));
	if (!r.host) {
		st->oom = true;
		return false;
	}
	for (char *c = r.host; *c; c++)
		*c = (char)tolower((unsigned char)*c);
add:
	v = realloc(st->p->net.allow, (st->p->net.nallow + 1) * sizeof(*v));
	if (!v) {
		free(r.host);
		free(r.unix_path);
		st->oom = true;
		return false;
	}
	st->p->net.allow = v;
	v[st->p->net.nallow++] = r;
	return true;
}

/* An endpoint address: host name or literal, numeric port. */
static bool endpoint_addr(struct pstate *st, const struct entry *e, const char *v,
			  char **host, uint16_t *port)
{
	struct hostport hp;
	uint8_t a[16];
	int fam;
	char buf[INET6_ADDRSTRLEN];

	if (!split_hostport(st, e->line, e->key, v, false, &hp))
		return false;
	fam = fg_addr_literal(hp.host, hp.hlen, a);
	if (fam) {
		if ((fam == AF_INET6) != hp.bracketed) {
			diag(st, e->line, "%s: '%s': IPv6 addresses and only they go in brackets", e->key, v);
			return false;
		}
		inet_ntop(fam, a, buf, sizeof(buf));
		*host = strdup(buf);
	} else {
		if (hp.bracketed || !valid_hostname(hp.host, hp.hlen)) {
			diag(st, e->line, "%s: invalid host '%.*s'", e->key, (int)hp.hlen, hp.host);
			return false;
		}
		*host = strndup(hp.host, hp.hlen - (hp.host[hp.hlen - 1] == '.'));
		if (*host)
			for (char *c = *host; *c; c++)
				*c = (char)tolower((unsigned char)*c);
	}
	if (!*host) {
		st->oom = true;
		return false;
	}
	if (strlen(*host) + (fam == AF_INET6 ? 2 : 0) + 6 > FG_POLICY_MAX_EP_ADDR) {
		diag(st, e->line, "%s: '%s' is too long (host:port at most %d bytes)", e->key, v,
		     FG_POLICY_MAX_EP_ADDR);
		free(*host);
		*host = NULL;
		return false;
	}
	*port = (uint16_t)hp.port;
	return true;
}

static bool status_item(struct pstate *st, const struct entry *e, char *item, void *arg)
{
	struct fg_breaker_conf *c = arg;
	char *dash = strchr(item, '-');
	uint64_t lo, hi;

	if (dash)
		*dash = '\0';
	if (!parse_uint(item, 100, 599, &lo) || (dash && !parse_uint(dash + 1, 100, 599, &hi))) {
		if (dash)
			*dash = '-';
		diag(st, e->line, "failure_status: '%s' is not an HTTP status (100..599) or range", item);
		return false;
	}
	if (!dash)
		hi = lo;
	if (hi < lo) {
		diag(st, e->line, "failure_status: range %u-%u is backwards", (unsigned)lo, (unsigned)hi);
		return false;
	}
	for (uint64_t s = lo; s <= hi; s++)
		c->failure_status[s / 8] |= (uint8_t)(1u << (s % 8));
	return true;
}

static bool size_value(struct pstate *st, const struct entry *e, const char *v, uint64_t *out)
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
	if (!parse_uint(num, 0, 1ull << (40 - shift), &x))
		goto bad;
	x <<= shift;
	if (x && x < 4096)
		goto bad;
	*out = x;
	return true;
bad:
	diag(st, e->line, "max_size must be 0 or a size from 4096 bytes to 1T (suffix K, M or G), not '%s'", v);
	return false;
}

/* ------------------------------------------------------------------------ */
/* interpretation */

struct eplines {             /* where each endpoint key came from, for cross checks */
	unsigned address, protocol, fallback, open, max_open;
	bool bad_protocol;
};

static void breaker_defaults(struct fg_breaker_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->threshold = 5;
	c->open_seconds = 60;
	c->max_open_seconds = 600;
	c->probes = 1;
	c->min_processes = 1;
	c->failure_status[429 / 8] |= (uint8_t)(1u << (429 % 8));
	for (unsigned s = 500; s <= 599; s++)
		c->failure_status[s / 8] |= (uint8_t)(1u << (s % 8));
}

/* A [breaker] key, in [breaker] or an [endpoint]; true when the key is one. */
static bool breaker_key(struct pstate *st, const struct entry *e, char *v,
			struct fg_breaker_conf *c, struct eplines *el)
{
	const char *k = e->key;

	if (!strcmp(k, "threshold"))
		num_key(st, e, v, 1, 1000000, &c->threshold);
	else if (!strcmp(k, "open_seconds")) {
		if (num_key(st, e, v, 1, 86400, &c->open_seconds))
			el->open = e->line;
	} else if (!strcmp(k, "max_open_seconds")) {
		if (num_key(st, e, v, 1, 7 * 86400, &c->max_open_seconds))
			el->max_open = e->line;
	} else if (!strcmp(k, "probes"))
		num_key(st, e, v, 1, 1000, &c->probes);
	else if (!strcmp(k, "slow_first_byte_seconds"))
		num_key(st, e, v, 0, 3600, &c->slow_first_byte_seconds);
	else if (!strcmp(k, "min_processes"))
		num_key(st, e, v, 1, 16, &c->min_processes);
	else if (!strcmp(k, "failure_status")) {
		memset(c->failure_status, 0, sizeof(c->failure_status));
		each_item(st, e, e->val, status_item, c);
	} else if (!strcmp(k, "state_dir")) {
		char *p = make_path(st, e->line, k, v);

		if (p) {
			free(c->state_dir);
			c->state_dir = p;
			c->state_dir_set = true;
		}
	} else {
		return false;
	}
	return true;
}

static bool is_list_key(const char *k)
{
	return !strcmp(k, "read") || !strcmp(k, "write") || !strcmp(k, "deny") ||
	       !strcmp(k, "allow") || !strcmp(k, "failure_status");
}

static void check_open_range(struct pstate *st, const struct fg_breaker_conf *c,
			     const struct eplines *el, unsigned fallback_line)
{
	if (c->max_open_seconds < c->open_seconds) {
		unsigned line = el->max_open > el->open ? el->max_open : el->open;

		diag(st, line ? line : fallback_line,
		     "max_open_seconds (%u) is less than open_seconds (%u)",
		     c->max_open_seconds, c->open_seconds);
	}
}

static void workspace_pass(struct pstate *st)
{
	struct fg_policy *p = st->p;

	for (size_t i = 0; i < st->nent; i++) {
		struct entry *e = &st->ent[i];
		char *v;

		if (e->sec != SEC_WORKSPACE)
			continue;
		v = expand(st, e->line, e->val);
		if (!v)
			continue;
		if (!strcmp(e->key, "root")) {
			char *r = make_path(st, e->line, "root", v);

			if (r) {
				free(p->root);
				p->root = r;
			}
		} else {        /* agent_id */
			size_t n = strlen(v);
			bool ok = n >= 1 && n <= 128;

			for (size_t j = 0; ok && j < n; j++)
				ok = is_name_char(v[j]) || v[j] == '@' || v[j] == ':';
			if (!ok) {
				diag(st, e->line, "agent_id must be 1..128 letters, digits or '.', '_', '-', '@', ':', not '%s'", v);
			} else {
				free(p->agent_id);
				p->agent_id = strdup(v);
				if (!p->agent_id)
					st->oom = true;
			}
		}
		free(v);
	}
}

static void main_pass(struct pstate *st, struct eplines *el, unsigned *dns_line,
		      struct eplines *brk)
{
	struct fg_policy *p = st->p;
	int x;

	for (size_t i = 0; i < st->nent; i++) {
		struct entry *e = &st->ent[i];
		const char *k = e->key;
		char *v;

		if (e->sec == SEC_WORKSPACE)
			continue;
		v = is_list_key(e->key) ? NULL : expand(st, e->line, e->val);
		if (!v && !is_list_key(e->key))
			continue;
		switch (e->sec) {
		case SEC_FILESYSTEM:
			if (!strcmp(k, "mode")) {
				if (choice_key(st, e, v, ch_mode, &x))
					p->fs.mode = (enum fg_mode)x;
			} else if (!strcmp(k, "system")) {
				if (choice_key(st, e, v, ch_bool, &x))
					p->fs.system = x;
			} else if (!strcmp(k, "kernel")) {
				if (choice_key(st, e, v, ch_kernel, &x))
					p->fs.kernel = (enum fg_kernel)x;
			} else if (!strcmp(k, "unconfined_exec")) {
				if (choice_key(st, e, v, ch_unconf, &x))
					p->fs.unconfined_exec = x;
			} else {
				struct fg_path_list *l = !strcmp(k, "read") ? &p->fs.read :
							 !strcmp(k, "write") ? &p->fs.write : &p->fs.deny;

				/* an explicit key replaces the built-in default */
				for (size_t j = 0; j < l->n; j++)
					free(l->v[j].path);
				l->n = 0;
				each_item(st, e, e->val, path_item, l);
			}
			break;
		case SEC_NETWORK:
			if (!strcmp(k, "mode")) {
				if (choice_key(st, e, v, ch_mode, &x))
					p->net.mode = (enum fg_mode)x;
			} else if (!strcmp(k, "dns")) {
				if (choice_key(st, e, v, ch_bool, &x)) {
					p->net.dns = x;
					*dns_line = e->line;
				}
			} else {
				each_item(st, e, e->val, net_item, NULL);
			}
			break;
		case SEC_BREAKER:
			breaker_key(st, e, v, &p->breaker, brk);
			break;
		case SEC_AUDIT:
			if (!strcmp(k, "events")) {
				if (choice_key(st, e, v, ch_events, &x))
					p->audit.events = (enum fg_events)x;
			} else if (!strcmp(k, "fsync")) {
				if (choice_key(st, e, v, ch_fsync, &x))
					p->audit.fsync = (enum fg_fsync)x;
			} else if (!strcmp(k, "on_failure")) {
				if (choice_key(st, e, v, ch_onfail, &x))
					p->audit.on_failure = (enum fg_on_failure)x;
			} else if (!strcmp(k, "max_size")) {
				size_value(st, e, v, &p->audit.max_size);
			} else {
				char **dst = !strcmp(k, "log") ? &p->audit.log : &p->audit.key_file;
				char *path = make_path(st, e->line, k, v);

				if (path) {
					free(*dst);
					*dst = path;
				}
			}
			break;
		case SEC_ENDPOINT: {
			struct fg_endpoint *ep = &p->ep[e->ep];

			if (!strcmp(k, "address")) {
				endpoint_addr(st, e, v, &ep->host, &ep->port);
				el[e->ep].address = e->line;
			} else if (!strcmp(k, "protocol")) {
				if (choice_key(st, e, v, ch_proto, &x))
					ep->https = x;
				else
					el[e->ep].bad_protocol = true;
				el[e->ep].protocol = e->line;
			} else if (!strcmp(k, "fallback")) {
				if (endpoint_addr(st, e, v, &ep->fallback_host, &ep->fallback_port))
					ep->has_fallback = true;
				el[e->ep].fallback = e->line;
			}
			break;
		}
		default:
			break;
		}
		free(v);
	}
}

/* Endpoint breaker overrides go on top of the finished [breaker]. */
static void endpoint_pass(struct pstate *st, struct eplines *el)
{
	struct fg_policy *p = st->p;

	if (!p->nep || !el)
		return;

	for (size_t i = 0; i < p->nep; i++) {
		struct fg_endpoint *ep = &p->ep[i];

		ep->breaker = p->breaker;
		ep->breaker.state_dir = p->breaker.state_dir ? strdup(p->breaker.state_dir) : NULL;
		if (p->breaker.state_dir && !ep->breaker.state_dir)
			st->oom = true;
	}
	for (size_t i = 0; i < st->nent; i++) {
		struct entry *e = &st->ent[i];
		char *v;

		if (e->sec != SEC_ENDPOINT || !in_list(keys_breaker, e->key))
			continue;
		v = is_list_key(e->key) ? NULL : expand(st, e->line, e->val);
		if (!v && !is_list_key(e->key))
			continue;
		breaker_key(st, e, v, &p->ep[e->ep].breaker, &el[e->ep]);
		free(v);
	}
	for (size_t i = 0; i < p->nep; i++) {
		struct fg_endpoint *ep = &p->ep[i];

		if (!el[i].address)
			diag(st, ep->line, "[endpoint %s] has no address", ep->name);
		if (ep->has_fallback && ep->https && !el[i].bad_protocol)
			diag(st, el[i].fallback,
			     "fallback is only allowed for protocol = http endpoints (a TLS client would not accept the fallback's identity)");
		if (el[i].open || el[i].max_open)
			check_open_range(st, &ep->breaker, &el[i], ep->line);
	}
}

/* ------------------------------------------------------------------------ */
/* built-in rules */

/*
 * The read-only set that "system = yes" adds: what the dynamic loader, libc,
 * CPython, git, cc and sh open on Debian/Ubuntu and RHEL-like systems
 * (derived with strace -f -e trace=%file).  Documented in fleetguard.ini(5);
 * keep both in step.
 */
static const char *const system_read[] = {
	"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
	"/etc/ld.so.cache", "/etc/ld.so.preload", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
	"/etc/alternatives", "/etc/ssl", "/etc/ca-certificates", "/etc/pki/tls",
	"/etc/localtime", "/etc/timezone", "/etc/locale.alias",
	"/etc/resolv.conf", "/etc/hosts", "/etc/host.conf", "/etc/nsswitch.conf",
	"/etc/gai.conf", "/etc/services", "/etc/protocols", "/etc/passwd", "/etc/group",
	"/etc/gitconfig", "/etc/selinux/config", "/etc/python3",
	"/proc/self", "/proc/thread-self", "/proc/filesystems", "/proc/meminfo",
	"/proc/cpuinfo", "/proc/stat", "/sys/devices/system/cpu",
	"/dev/urandom", "/dev/random",
	NULL,
};
/* Writing to these is harmless and shells and compilers do it all the time. */
static const char *const system_write[] = {
	"/dev/null", "/dev/zero", "/dev/full", "/dev/tty",
	"/dev/stdin", "/dev/stdout", "/dev/stderr", "/dev/fd", NULL
};

static void add_system(struct pstate *st)
{
	struct fg_policy *p = st->p;
	DIR *d;
	struct dirent *de;

	for (const char *const *s = system_read; *s; s++)
		add_path_rule(st, &p->fs.read, *s, 0, FG_ORIGIN_SYSTEM);
	for (const char *const *s = system_write; *s; s++)
		add_path_rule(st, &p->fs.write, *s, 0, FG_ORIGIN_SYSTEM);
	/* Debian's /usr/lib/python3.X/sitecustomize.py links to /etc/python3.X */
	d = opendir("/etc");
	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[300];

		if (strncmp(de->d_name, "python3.", 8) != 0 || !isdigit((unsigned char)de->d_name[8]))
			continue;
		snprintf(path, sizeof(path), "/etc/%s", de->d_name);
		add_path_rule(st, &p->fs.read, path, 0, FG_ORIGIN_SYSTEM);
	}
	closedir(d);
}

static bool add_net_rule(struct pstate *st, const struct fg_net_rule *r)
{
	struct fg_net_rule *v = realloc(st->p->net.allow, (st->p->net.nallow + 1) * sizeof(*v));

	if (!v) {
		st->oom = true;
		return false;
	}
	st->p->net.allow = v;
	v[st->p->net.nallow++] = *r;
	return true;
}

/* dns = yes: the name servers of resolv.conf (glibc's default 127.0.0.1 when
 * it names none) on port 53, and nscd's socket. */
static void add_dns(struct pstate *st, unsigned line)
{
	FILE *f = fopen("/etc/resolv.conf", "re");
	char buf[512];
	int found = 0;
	struct fg_net_rule r;

	while (f && fgets(buf, sizeof(buf), f)) {
		char *s = buf, *end;

		while (*s == ' ' || *s == '\t')
			s++;
		if (strncmp(s, "nameserver", 10) != 0 || (s[10] != ' ' && s[10] != '\t'))
			continue;
		s += 10;
		while (*s == ' ' || *s == '\t')
			s++;
		end = s;
		while (*end && !isspace((unsigned char)*end) && *end != '%')
			end++;
		memset(&r, 0, sizeof(r));
		r.family = fg_addr_literal(s, (size_t)(end - s), r.addr);
		if (!r.family)
			continue;
		r.kind = FG_NET_CIDR;
		r.prefix = r.family == AF_INET ? 32 : 128;
		r.port = 53;
		r.line = line;
		r.origin = FG_ORIGIN_SYSTEM;
		if (add_net_rule(st, &r))
			found++;
	}
	if (f)
		fclose(f);
	if (!found) {
		memset(&r, 0, sizeof(r));
		r.kind = FG_NET_CIDR;
		r.family = fg_addr_literal("127.0.0.1", 9, r.addr);
		r.prefix = 32;
		r.port = 53;
		r.line = line;
		r.origin = FG_ORIGIN_SYSTEM;
		add_net_rule(st, &r);
	}
	for (int i = 0; i < 2; i++) {
		memset(&r, 0, sizeof(r));
		r.kind = FG_NET_UNIX;
		r.port = -1;
		r.line = line;
		r.origin = FG_ORIGIN_SYSTEM;
		r.unix_path = strdup(i ? "/var/run/nscd/socket" : "/run/nscd/socket");
		if (!r.unix_path || !add_net_rule(st, &r)) {
			free(r.unix_path);
			st->oom = true;
		}
	}
}

static bool same_rule(const struct fg_net_rule *a, const struct fg_net_rule *b)
{
	if (a->kind != b->kind || a->port != b->port)
		return false;
	if (a->kind == FG_NET_HOST)
		return !strcmp(a->host, b->host);
	return a->kind == FG_NET_CIDR && a->family == b->family && a->prefix == b->prefix &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

/* A declared endpoint (and its fallback) is a host the agent may reach. */
static void add_endpoint_rules(struct pstate *st, const struct eplines *el)
{
	struct fg_policy *p = st->p;

	if (!p->nep || !el)
		return;

	for (size_t i = 0; i < p->nep; i++) {
		for (int fb = 0; fb < 2; fb++) {
			const char *h = fb ? p->ep[i].fallback_host : p->ep[i].host;
			struct fg_net_rule r = { 0 };
			bool dup = false;

			if (!h)
				continue;
			r.port = fb ? p->ep[i].fallback_port : p->ep[i].port;
			r.line = fb ? el[i].fallback : el[i].address;
			r.origin = FG_ORIGIN_POLICY;
			r.family = fg_addr_literal(h, strlen(h), r.addr);
			if (r.family) {
				r.kind = FG_NET_CIDR;
				r.prefix = r.family == AF_INET ? 32 : 128;
			} else {
				r.kind = FG_NET_HOST;
				r.host = strdup(h);
				if (!r.host) {
					st->oom = true;
					continue;
				}
			}
			for (size_t j = 0; j < p->net.nallow && !dup; j++)
				dup = same_rule(&p->net.allow[j], &r);
			if (dup || !add_net_rule(st, &r))
				free(r.host);
		}
	}
}

/* ------------------------------------------------------------------------ */
/* entry points */

static char *absolute_name(const char *name)
{
	char cwd[PATH_MAX], buf[PATH_MAX];
	char *joined;
	long n;

	if (name[0] == '/') {
		n = fg_path_normalize(name, buf, sizeof(buf));
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return NULL;
		if (asprintf(&joined, "%s/%s", cwd, name) < 0)
			return NULL;
		n = fg_path_normalize(joined, buf, sizeof(buf));
		free(joined);
	}
	return n < 0 ? NULL : strdup(buf);
}

static void emit(struct pstate *st, fg_diag_fn fn, void *ctx)
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

static void pstate_free(struct pstate *st)
{
	for (size_t i = 0; i < st->nent; i++)
		free(st->ent[i].val);
	free(st->ent);
	for (size_t i = 0; i < st->neps; i++)
		free(st->eps[i].name);
	free(st->eps);
	for (size_t i = 0; i < st->ndg; i++)
		free(st->dg[i].msg);
	free(st->dg);
}

int fg_policy_parse(const char *name, const char *buf, size_t len,
		    struct fg_policy **out, fg_diag_fn diagfn, void *ctx)
{
	struct pstate st = { 0 };
	struct fg_policy *p;
	struct eplines *el = NULL, brk = { 0 };
	unsigned dns_line = 0, write_line = 0;
	const char *env;
	int rc, n;

	*out = NULL;
	st.name = name;
	st.buf = buf;
	st.len = len;
	p = calloc(1, sizeof(*p));
	if (!p) {
		if (diagfn)
			diagfn(ctx, name, 0, "out of memory");
		return 1;
	}
	st.p = p;
	p->fs.system = true;
	p->net.dns = true;
	p->audit.max_size = 64ull * 1024 * 1024;
	breaker_defaults(&p->breaker);

	p->file = absolute_name(name);
	if (!p->file) {
		diag(&st, 0, "cannot make the policy path absolute: %s", strerror(errno ? errno : ENAMETOOLONG));
		goto done;
	}

	/* pass 1: syntax, through inih */
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
	rc = ini_parse_stream(reader, &st, handler, &st);
	if (rc < 0)
		st.oom = true;
	else if (rc > 0)
		diag(&st, (unsigned)rc, "syntax error");

	/* pass 2: meaning */
	p->fs.line = st.sec_line[SEC_FILESYSTEM];
	p->net.line = st.sec_line[SEC_NETWORK];
	if (st.neps) {
		p->ep = calloc(st.neps, sizeof(*p->ep));
		el = calloc(st.neps, sizeof(*el));
		if (!p->ep || !el) {
			st.oom = true;
			goto done;
		}
		p->nep = st.neps;
		for (size_t i = 0; i < st.neps; i++) {
			p->ep[i].name = st.eps[i].name;
			st.eps[i].name = NULL;
			p->ep[i].line = st.eps[i].line;
			p->ep[i].https = true;
		}
	}
	workspace_pass(&st);
	if (!p->root) {
		char *slash;

		p->root = strdup(p->file);
		if (!p->root) {
			st.oom = true;
			goto done;
		}
		slash = strrchr(p->root, '/');
		if (slash == p->root)
			slash[1] = '\0';
		else if (slash)
			*slash = '\0';
	}
	if (!p->agent_id && (env = getenv("FLEETGUARD_AGENT_ID")) && *env) {
		p->agent_id = strdup(env);
		if (!p->agent_id)
			st.oom = true;
	}
	for (size_t i = 0; i < st.nent; i++)
		if (st.ent[i].sec == SEC_FILESYSTEM && !strcmp(st.ent[i].key, "write"))
			write_line = st.ent[i].line;
	if (!write_line)
		add_path_rule(&st, &p->fs.write, p->root, 0, FG_ORIGIN_DEFAULT);
	main_pass(&st, el, &dns_line, &brk);
	if (brk.open || brk.max_open)
		check_open_range(&st, &p->breaker, &brk, st.sec_line[SEC_BREAKER]);
	if (!p->breaker.state_dir) {
		p->breaker.state_dir = strdup("/run/fleetguard");
		if (!p->breaker.state_dir)
			st.oom = true;
	}
	endpoint_pass(&st, el);
	if (!p->audit.log && asprintf(&p->audit.log, "%s/.fleetguard/audit.log",
				      strcmp(p->root, "/") ? p->root : "") < 0) {
		p->audit.log = NULL;
		st.oom = true;
	}
	if (p->fs.system)
		add_system(&st);
	if (p->net.dns)
		add_dns(&st, dns_line);
	add_endpoint_rules(&st, el);
	if (!st.ndg && !st.oom && fg_path_index_build(p) < 0)
		st.oom = true;

done:
	emit(&st, diagfn, ctx);
	n = (int)st.ndg + (st.oom ? 1 : 0);
	pstate_free(&st);
	free(el);
	if (n) {
		fg_policy_free(p);
		return n;
	}
	*out = p;
	return 0;
}

int fg_policy_load(const char *path, struct fg_policy **out, fg_diag_fn diagfn, void *ctx)
{
	struct stat sb;
	char *buf = NULL, msg[160];
	size_t len = 0;
	int fd, rc;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(msg, sizeof(msg), "cannot open policy: %s", strerror(errno));
		goto fail;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		snprintf(msg, sizeof(msg), "cannot read policy: %s",
			 S_ISDIR(sb.st_mode) ? "is a directory" : "not a regular file");
		goto fail_close;
	}
	if (sb.st_size > FG_POLICY_MAX_SIZE) {
		snprintf(msg, sizeof(msg), "policy is too large (%lld bytes, at most %d)",
			 (long long)sb.st_size, FG_POLICY_MAX_SIZE);
		goto fail_close;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf) {
		snprintf(msg, sizeof(msg), "out of memory");
		goto fail_close;
	}
	for (;;) {
		ssize_t r = read(fd, buf + len, (size_t)sb.st_size + 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(msg, sizeof(msg), "cannot read policy: %s", strerror(errno));
			goto fail_free;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > (size_t)sb.st_size) {
			snprintf(msg, sizeof(msg), "policy changed while being read");
			goto fail_free;
		}
	}
	close(fd);
	rc = fg_policy_parse(path, buf, len, out, diagfn, ctx);
	free(buf);
	return rc;

fail_free:
	free(buf);
fail_close:
	close(fd);
fail:
	if (diagfn)
		diagfn(ctx, path, 0, msg);
	return 1;
}

static void free_breaker(struct fg_breaker_conf *c)
{
	free(c->state_dir);
}

void fg_policy_free(struct fg_policy *p)
{
	if (!p)
		return;
	fg_path_index_free(p->index);
	free(p->file);
	free(p->root);
	free(p->agent_id);
	for (int k = 0; k < 3; k++) {
		struct fg_path_list *l = k == 0 ? &p->fs.read : k == 1 ? &p->fs.write : &p->fs.deny;

		for (size_t i = 0; i < l->n; i++)
			free(l->v[i].path);
		free(l->v);
	}
	for (size_t i = 0; i < p->net.nallow; i++) {
		free(p->net.allow[i].host);
		free(p->net.allow[i].unix_path);
	}
	free(p->net.allow);
	free_breaker(&p->breaker);
	for (size_t i = 0; i < p->nep; i++) {
		free(p->ep[i].name);
		free(p->ep[i].host);
		free(p->ep[i].fallback_host);
		free_breaker(&p->ep[i].breaker);
	}
	free(p->ep);
	free(p->audit.log);
	free(p->audit.key_file);
	free(p);
}
