/* render.c - prints a log summary for a terminal, as JSON, or as one
 * self-contained HTML page with an SVG time line.
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

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "summary/summary.h"

/* "15:41:23.433" (UTC) */
static void clock_text(int64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	if (ns <= 0 || gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "?");
		return;
	}
	snprintf(buf, len, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(ns % 1000000000 / 1000000));
}

static void date_text(int64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	if (ns <= 0 || gmtime_r(&t, &tm) == NULL)
		snprintf(buf, len, "?");
	else
		strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static double secs(const struct fg_sum *s, int64_t ns)
{
	return ns > 0 && s->first_ns > 0 ? (double)(ns - s->first_ns) / 1e9 : 0.0;
}

static size_t rows(size_t n, size_t top)
{
	return top && n > top ? top : n;
}

/* --- terminal ------------------------------------------------------------ */

static void text_head(const struct fg_sum *s, FILE *f)
{
	char a[64], b[64];

	date_text(s->first_ns, a, sizeof(a));
	clock_text(s->last_ns, b, sizeof(b));
	fprintf(f, "%s: %" PRIu64 " records, %s to %s (%.1f s)\n", s->source ? s->source : "log",
		s->records, a, b, secs(s, s->last_ns));
	fprintf(f, "chain: %s\n", s->verdict[0] ? s->verdict : "not checked");
	fprintf(f, "decisions: %" PRIu64 " allowed, %" PRIu64 " denied, %" PRIu64
		   " reported (would be denied)\n", s->allow, s->deny, s->report);
}

static void text_groups(const struct fg_sum *s, FILE *f, size_t top)
{
	fprintf(f, "\ndenials by rule and path (%zu kinds)\n", s->ngroups);
	if (s->ngroups == 0) {
		fprintf(f, "  none\n");
		return;
	}
	fprintf(f, "  %7s  %-8s %-9s %-44s %s\n", "count", "decision", "op", "path or address", "rule");
	for (size_t i = 0; i < rows(s->ngroups, top); i++) {
		const struct fg_sum_group *g = &s->groups[i];

		fprintf(f, "  %7" PRIu64 "  %-8s %-9s %-44s %s\n", g->count, g->decision, g->op,
			g->what, g->rule[0] ? g->rule : "-");
	}
	if (rows(s->ngroups, top) < s->ngroups)
		fprintf(f, "  ... %zu more (--top 0 shows all)\n", s->ngroups - top);
}

static void text_breaker(const struct fg_sum *s, FILE *f)
{
	char c[32];

	fprintf(f, "\ncircuit breaker: %zu transition%s\n", s->nevents, s->nevents == 1 ? "" : "s");
	for (size_t i = 0; i < s->nevents; i++) {
		const struct fg_sum_event *e = &s->events[i];

		clock_text(e->ns, c, sizeof(c));
		fprintf(f, "  %+9.3f s  %s  %-12s %-9s -> %-9s %s", secs(s, e->ns), c, e->endpoint,
			e->from, e->to, e->why);
		if (strcmp(e->to, "open") == 0)
			fprintf(f, " (%ld failures, next probe in %ld s)", e->failures, e->seconds);
		fputc('\n', f);
	}
	for (size_t i = 0; i < s->neps; i++)
		fprintf(f, "  %s: %" PRIu64 " call%s refused while open, %" PRIu64 " sent to the fallback\n",
			s->eps[i].name, s->eps[i].refused, s->eps[i].refused == 1 ? "" : "s",
			s->eps[i].fallback);
}

static void text_procs(const struct fg_sum *s, FILE *f, size_t top)
{
	fprintf(f, "\nprocesses (%zu)\n  %8s  %-16s %8s %6s %7s  %s\n", s->nprocs, "pid", "agent",
		"actions", "denied", "reported", "program");
	for (size_t i = 0; i < rows(s->nprocs, top); i++) {
		const struct fg_sum_proc *p = &s->procs[i];

		fprintf(f, "  %8ld  %-16s %8" PRIu64 " %6" PRIu64 " %7" PRIu64 "   %s\n", p->pid,
			p->agent, p->actions, p->deny, p->report, p->exe);
	}
	if (rows(s->nprocs, top) < s->nprocs)
		fprintf(f, "  ... %zu more (--top 0 shows all)\n", s->nprocs - top);
}

void fg_sum_text(const struct fg_sum *s, FILE *f, size_t top)
{
	text_head(s, f);
	text_groups(s, f, top);
	text_breaker(s, f);
	text_procs(s, f, top);
}

/* --- JSON ------------------------------------------------------------------- */

static void jstr(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void json_lists(const struct fg_sum *s, FILE *f)
{
	fputs(",\n  \"denials\": [", f);
	for (size_t i = 0; i < s->ngroups; i++) {
		const struct fg_sum_group *g = &s->groups[i];

		fprintf(f, "%s\n    {\"count\": %" PRIu64 ", \"decision\": ", i ? "," : "", g->count);
		jstr(f, g->decision);
		fputs(", \"op\": ", f);
		jstr(f, g->op);
		fputs(", \"what\": ", f);
		jstr(f, g->what);
		fputs(", \"rule\": ", f);
		jstr(f, g->rule);
		fprintf(f, ", \"first_s\": %.3f, \"last_s\": %.3f}", secs(s, g->first_ns), secs(s, g->last_ns));
	}
	fputs("],\n  \"breaker\": [", f);
	for (size_t i = 0; i < s->nevents; i++) {
		const struct fg_sum_event *e = &s->events[i];

		fprintf(f, "%s\n    {\"t_s\": %.3f, \"endpoint\": ", i ? "," : "", secs(s, e->ns));
		jstr(f, e->endpoint);
		fputs(", \"addr\": ", f);
		jstr(f, e->addr);
		fprintf(f, ", \"from\": \"%s\", \"to\": \"%s\", \"why\": ", e->from, e->to);
		jstr(f, e->why);
		fprintf(f, ", \"failures\": %ld, \"seconds\": %ld}", e->failures, e->seconds);
	}
	fputs("],\n  \"endpoints\": [", f);
	for (size_t i = 0; i < s->neps; i++) {
		fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
		jstr(f, s->eps[i].name);
		fprintf(f, ", \"refused\": %" PRIu64 ", \"fallback\": %" PRIu64 "}", s->eps[i].refused,
			s->eps[i].fallback);
	}
	fputs("],\n  \"processes\": [", f);
	for (size_t i = 0; i < s->nprocs; i++) {
		const struct fg_sum_proc *p = &s->procs[i];

		fprintf(f, "%s\n    {\"pid\": %ld, \"agent\": ", i ? "," : "", p->pid);
		jstr(f, p->agent);
		fputs(", \"exe\": ", f);
		jstr(f, p->exe);
		fprintf(f, ", \"actions\": %" PRIu64 ", \"deny\": %" PRIu64 ", \"report\": %" PRIu64 "}",
			p->actions, p->deny, p->report);
	}
	fputs("]\n}\n", f);
}

void fg_sum_json(const struct fg_sum *s, FILE *f)
{
	char a[64], b[64];

	date_text(s->first_ns, a, sizeof(a));
	date_text(s->last_ns, b, sizeof(b));
	fputs("{\n  \"log\": ", f);
	jstr(f, s->source ? s->source : "");
	fprintf(f, ",\n  \"intact\": %s,\n  \"verdict\": ", s->intact ? "true" : "false");
	jstr(f, s->verdict);
	fprintf(f, ",\n  \"records\": %" PRIu64 ",\n  \"first\": \"%s\",\n  \"last\": \"%s\",\n"
		   "  \"seconds\": %.3f,\n  \"decisions\": {\"allow\": %" PRIu64 ", \"deny\": %" PRIu64
		   ", \"report\": %" PRIu64 "}", s->records, a, b, secs(s, s->last_ns), s->allow, s->deny,
		s->report);
	json_lists(s, f);
}
