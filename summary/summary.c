/* summary.c - counts an audit log's records into denial groups, processes
 * and breaker transitions.
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
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/record.h"
#include "audit/verify.h"
#include "summary/summary.h"

struct rec;

/* An open-addressing index from a key string to a row number. */
struct strmap {
	char **keys;
	size_t *rows;
	size_t cap, n;
};

struct fg_sum_priv {
	struct strmap groups, procs, eps;
	size_t cap_groups, cap_procs, cap_events, cap_eps;
	uint64_t deny_seen;      /* for thinning the ticks */
	struct rec *scratch;     /* one record's fields, reused */
};

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* The row of key, or SIZE_MAX when absent (*slot: where it would go). */
static size_t map_find(const struct strmap *m, const char *key, size_t *slot)
{
	size_t i = m->cap ? fnv(key) & (m->cap - 1) : 0;

	while (m->cap && m->keys[i] != NULL) {
		if (strcmp(m->keys[i], key) == 0)
			return m->rows[i];
		i = (i + 1) & (m->cap - 1);
	}
	*slot = i;
	return SIZE_MAX;
}

static int map_put(struct strmap *m, const char *key, size_t row)
{
	size_t slot = 0;

	if ((m->n + 1) * 2 > m->cap) {
		struct strmap g = { .cap = m->cap ? m->cap * 2 : 64 };

		g.keys = calloc(g.cap, sizeof(*g.keys));
		g.rows = calloc(g.cap, sizeof(*g.rows));
		if (g.keys == NULL || g.rows == NULL) {
			free(g.keys);
			free(g.rows);
			return -ENOMEM;
		}
		for (size_t i = 0; i < m->cap; i++) {
			if (m->keys[i] == NULL)
				continue;
			map_find(&g, m->keys[i], &slot);
			g.keys[slot] = m->keys[i];
			g.rows[slot] = m->rows[i];
		}
		g.n = m->n;
		free(m->keys);
		free(m->rows);
		*m = g;
	}
	map_find(m, key, &slot);
	m->keys[slot] = strdup(key);
	if (m->keys[slot] == NULL)
		return -ENOMEM;
	m->rows[slot] = row;
	m->n++;
	return 0;
}

static void map_free(struct strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->rows);
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *nv;
	size_t nc;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : 32;
	nv = realloc(*v, nc * size);
	if (nv == NULL)
		return -ENOMEM;
	*v = nv;
	*cap = nc;
	return 0;
}

int fg_sum_new(struct fg_sum **out)
{
	struct fg_sum *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL || (s->priv = calloc(1, sizeof(*s->priv))) == NULL ||
	    (s->ticks = malloc(FG_SUM_MAX_TICKS * sizeof(*s->ticks))) == NULL) {
		if (s)
			free(s->priv);
		free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

void fg_sum_free(struct fg_sum *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->ngroups; i++) {
		free(s->groups[i].decision);
		free(s->groups[i].rule);
		free(s->groups[i].op);
		free(s->groups[i].what);
	}
	for (size_t i = 0; i < s->nprocs; i++) {
		free(s->procs[i].agent);
		free(s->procs[i].exe);
	}
	for (size_t i = 0; i < s->nevents; i++) {
		struct fg_sum_event *e = &s->events[i];

		free(e->endpoint);
		free(e->addr);
		free(e->from);
		free(e->to);
		free(e->why);
	}
	for (size_t i = 0; i < s->neps; i++)
		free(s->eps[i].name);
	free(s->groups);
	free(s->procs);
	free(s->events);
	free(s->eps);
	free(s->ticks);
	map_free(&s->priv->groups);
	map_free(&s->priv->procs);
	map_free(&s->priv->eps);
	free(s->priv->scratch);
	free(s->priv);
	free(s);
}

int64_t fg_sum_parse_ts(const char *ts)
{
	struct tm tm = { 0 };
	const char *p = strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm);
	int64_t ns = 0;
	int digits = 0;

	if (p == NULL)
		return -1;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 9)
				ns = ns * 10 + (*p - '0');
		for (; digits < 9; digits++)
			ns *= 10;
	}
	if (*p != 'Z')
		return -1;
	return (int64_t)timegm(&tm) * 1000000000 + ns;
}

/* --- one record ------------------------------------------------------------ */

enum { K_TS, K_PID, K_AGENT, K_EXE, K_OP, K_DECISION, K_RULE, K_PATH, K_ADDR, K_NAME,
       K_ENDPOINT, K_FALLBACK, K_FROM, K_TO, K_WHY, K_FAILURES, K_SECONDS, K_ROUTE, K_N };

static const char *const keys[K_N] = {
	"ts", "pid", "agent", "exe", "op", "decision", "rule", "path", "addr", "name",
	"endpoint", "fallback", "from", "to", "why", "failures", "seconds", "route",
};

struct rec {
	struct fg_json_field f[K_N];
	bool has[K_N];
	char s[K_N][1024];       /* decoded strings ("" for absent or null) */
};

static int on_field(void *arg, const struct fg_json_field *f)
{
	struct rec *r = arg;

	for (int k = 0; k < K_N; k++) {
		if (!r->has[k] && f->keylen == strlen(keys[k]) && memcmp(f->key, keys[k], f->keylen) == 0) {
			r->f[k] = *f;
			r->has[k] = true;
			break;
		}
	}
	return 0;
}

static void decode(struct rec *r)
{
	for (int k = 0; k < K_N; k++) {
		const char *end;
		size_t n = 0;

		r->s[k][0] = '\0';
		if (!r->has[k] || r->f[k].vallen == 0)
			continue;
		if (r->f[k].val[0] != '"') {   /* a number: keep its text */
			n = r->f[k].vallen < sizeof(r->s[k]) ? r->f[k].vallen : sizeof(r->s[k]) - 1;
			memcpy(r->s[k], r->f[k].val, n);
			r->s[k][n] = '\0';
			if (strcmp(r->s[k], "null") == 0)
				r->s[k][0] = '\0';
			continue;
		}
		if (fg_json_unescape(r->f[k].val, r->f[k].val + r->f[k].vallen, r->s[k],
				     sizeof(r->s[k]) - 1, &n, &end) < 0)
			n = 0;
		r->s[k][n] = '\0';
	}
}

static int add_group(struct fg_sum *s, const struct rec *r, int64_t ns)
{
	const char *what = r->s[K_PATH][0] ? r->s[K_PATH] : r->s[K_ADDR][0] ? r->s[K_ADDR] : r->s[K_NAME];
	char key[4200];
	size_t slot, row;
	struct fg_sum_group *g;

	snprintf(key, sizeof(key), "%s\x1f%s\x1f%s\x1f%s", r->s[K_DECISION], r->s[K_RULE], r->s[K_OP], what);
	row = map_find(&s->priv->groups, key, &slot);
	if (row != SIZE_MAX) {
		g = &s->groups[row];
		g->count++;
		g->last_ns = ns;
		return 0;
	}
	if (grow((void **)&s->groups, &s->priv->cap_groups, s->ngroups, sizeof(*s->groups)) < 0)
		return -ENOMEM;
	g = &s->groups[s->ngroups];
	*g = (struct fg_sum_group){ .decision = strdup(r->s[K_DECISION]), .rule = strdup(r->s[K_RULE]),
				    .op = strdup(r->s[K_OP]), .what = strdup(what), .count = 1,
				    .first_ns = ns, .last_ns = ns };
	if (!g->decision || !g->rule || !g->op || !g->what)
		return -ENOMEM;
	s->ngroups++;
	return map_put(&s->priv->groups, key, s->ngroups - 1);
}

static struct fg_sum_proc *proc_of(struct fg_sum *s, const struct rec *r)
{
	char key[2100];
	size_t slot, row;
	struct fg_sum_proc *p;

	snprintf(key, sizeof(key), "%s\x1f%s", r->s[K_PID], r->s[K_EXE]);
	row = map_find(&s->priv->procs, key, &slot);
	if (row != SIZE_MAX) {
		p = &s->procs[row];
		if (strcmp(p->agent, r->s[K_AGENT]) != 0 && r->s[K_AGENT][0]) {
			char *a = strdup(r->s[K_AGENT]);   /* the last name a process took */

			if (a == NULL)
				return NULL;
			free(p->agent);
			p->agent = a;
		}
		return p;
	}
	if (grow((void **)&s->procs, &s->priv->cap_procs, s->nprocs, sizeof(*s->procs)) < 0)
		return NULL;
	p = &s->procs[s->nprocs];
	*p = (struct fg_sum_proc){ .pid = strtol(r->s[K_PID], NULL, 10), .agent = strdup(r->s[K_AGENT]),
				   .exe = strdup(r->s[K_EXE]) };
	if (p->agent == NULL || p->exe == NULL)
		return NULL;
	s->nprocs++;
	return map_put(&s->priv->procs, key, s->nprocs - 1) < 0 ? NULL : p;
}

static struct fg_sum_ep *ep_of(struct fg_sum *s, const char *name)
{
	size_t slot, row = map_find(&s->priv->eps, name, &slot);
	struct fg_sum_ep *e;

	if (row != SIZE_MAX)
		return &s->eps[row];
	if (grow((void **)&s->eps, &s->priv->cap_eps, s->neps, sizeof(*s->eps)) < 0)
		return NULL;
	e = &s->eps[s->neps];
	*e = (struct fg_sum_ep){ .name = strdup(name) };
	if (e->name == NULL)
		return NULL;
	s->neps++;
	return map_put(&s->priv->eps, name, s->neps - 1) < 0 ? NULL : e;
}

static int add_event(struct fg_sum *s, const struct rec *r, int64_t ns)
{
	struct fg_sum_event *e;

	if (ep_of(s, r->s[K_ENDPOINT]) == NULL ||
	    grow((void **)&s->events, &s->priv->cap_events, s->nevents, sizeof(*s->events)) < 0)
		return -ENOMEM;
	e = &s->events[s->nevents];
	*e = (struct fg_sum_event){ .ns = ns, .endpoint = strdup(r->s[K_ENDPOINT]),
				    .addr = strdup(r->s[K_ADDR]), .from = strdup(r->s[K_FROM]),
				    .to = strdup(r->s[K_TO]), .why = strdup(r->s[K_WHY]),
				    .failures = strtol(r->s[K_FAILURES], NULL, 10),
				    .seconds = strtol(r->s[K_SECONDS], NULL, 10) };
	s->nevents++;
	return e->endpoint && e->addr && e->from && e->to && e->why ? 0 : -ENOMEM;
}

/* Keep at most FG_SUM_MAX_TICKS denial times: past that, every other one
 * is dropped and only every 2^k-th new one kept. */
static void add_tick(struct fg_sum *s, int64_t ns)
{
	uint64_t stride = 1;

	while (stride * FG_SUM_MAX_TICKS <= s->priv->deny_seen)
		stride *= 2;
	if (s->priv->deny_seen++ % stride != 0)
		return;
	if (s->nticks == FG_SUM_MAX_TICKS) {
		for (size_t i = 0; i < FG_SUM_MAX_TICKS / 2; i++)
			s->ticks[i] = s->ticks[2 * i];
		s->nticks = FG_SUM_MAX_TICKS / 2;
	}
	s->ticks[s->nticks++] = ns;
}

static int count(struct fg_sum *s, const struct rec *r, int64_t ns)
{
	const char *d = r->s[K_DECISION];
	struct fg_sum_proc *p = proc_of(s, r);
	bool deny = strcmp(d, "deny") == 0, report = strcmp(d, "report") == 0;

	if (p == NULL)
		return -ENOMEM;
	p->actions += d[0] != '\0';
	p->deny += deny;
	p->report += report;
	s->allow += strcmp(d, "allow") == 0;
	s->deny += deny;
	s->report += report;
	if (strcmp(r->s[K_OP], "connect") == 0 && r->s[K_ENDPOINT][0]) {
		struct fg_sum_ep *e = ep_of(s, r->s[K_ENDPOINT]);

		if (e == NULL)
			return -ENOMEM;
		e->fallback += r->s[K_FALLBACK][0] != '\0';
		e->refused += deny;
	} else if (strcmp(r->s[K_OP], "llm") == 0 && r->s[K_ENDPOINT][0]) {
		/* the gateway's request: its route says where it went */
		struct fg_sum_ep *e = ep_of(s, r->s[K_ENDPOINT]);

		if (e == NULL)
			return -ENOMEM;
		e->fallback += strcmp(r->s[K_ROUTE], "fallback") == 0;
		e->refused += deny && strcmp(r->s[K_ROUTE], "local") == 0;
	}
	if (deny)
		add_tick(s, ns);
	return deny || report ? add_group(s, r, ns) : 0;
}

int fg_sum_add(struct fg_sum *s, const char *line, size_t len)
{
	struct rec *r = s->priv->scratch;
	int64_t ns;
	int rc;

	if (r == NULL && (r = s->priv->scratch = malloc(sizeof(*r))) == NULL)
		return -ENOMEM;
	memset(r->has, 0, sizeof(r->has));
	rc = fg_json_fields(line, len, on_field, r);
	if (rc < 0)
		return rc;
	decode(r);
	s->records++;
	ns = fg_sum_parse_ts(r->s[K_TS]);
	if (ns > 0) {
		if (s->first_ns == 0 || ns < s->first_ns)
			s->first_ns = ns;
		if (ns > s->last_ns)
			s->last_ns = ns;
	}
	return strcmp(r->s[K_OP], "breaker") == 0 ? add_event(s, r, ns) : count(s, r, ns);
}

static int by_count(const void *a, const void *b)
{
	const struct fg_sum_group *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->first_ns < y->first_ns ? -1 : x->first_ns > y->first_ns;
}

static int by_actions(const void *a, const void *b)
{
	const struct fg_sum_proc *x = a, *y = b;

	if (x->actions != y->actions)
		return x->actions < y->actions ? 1 : -1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static int by_time(const void *a, const void *b)
{
	const struct fg_sum_event *x = a, *y = b;

	return x->ns < y->ns ? -1 : x->ns > y->ns;
}

void fg_sum_finish(struct fg_sum *s)
{
	/* the maps point at rows by number: no lookups after this */
	/* (an empty table is NULL: qsort(NULL, 0) is undefined) */
	if (s->ngroups > 1)
		qsort(s->groups, s->ngroups, sizeof(*s->groups), by_count);
	if (s->nprocs > 1)
		qsort(s->procs, s->nprocs, sizeof(*s->procs), by_actions);
	if (s->nevents > 1)
		qsort(s->events, s->nevents, sizeof(*s->events), by_time);
}
