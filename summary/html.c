/* html.c - writes a log summary as one self-contained HTML page: inline CSS,
 * an inline SVG time line, no script and no fetch.
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

#define PLOT_X 150     /* where the plot starts (lane labels on the left) */
#define PLOT_W 780
#define LANE_H 26

static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

static const char css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}"
	"h1{font-size:1.5em;margin:0 0 .3em}h2{font-size:1.15em;margin:1.6em 0 .4em}"
	"table{border-collapse:collapse;margin:.3em 0}th,td{padding:.25em .7em;border-bottom:1px solid #ddd;"
	"text-align:left;vertical-align:top}th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}"
	"code,td.p{font-family:ui-monospace,monospace;font-size:13px;word-break:break-all}"
	".ok{color:#1b5e20}.bad{color:#b71c1c;font-weight:bold}.deny{color:#b71c1c}.report{color:#8d6e00}"
	".meta{color:#555}svg text{font:12px system-ui,sans-serif;fill:#333}";

static double x_of(const struct fg_sum *s, int64_t ns)
{
	int64_t span = s->last_ns - s->first_ns;

	if (span <= 0 || ns <= 0)
		return PLOT_X;
	return PLOT_X + (double)(ns - s->first_ns) * PLOT_W / (double)span;
}

static const char *state_color(const char *st)
{
	return strcmp(st, "open") == 0 ? "#c62828" : strcmp(st, "half-open") == 0 ? "#f9a825" : "#2e7d32";
}

/* One lane per endpoint: its state as coloured bands between transitions. */
static void lane(const struct fg_sum *s, FILE *f, const char *ep, int y)
{
	const char *state = "closed";
	int64_t from = s->first_ns;
	bool first = true;

	fprintf(f, "<text x=\"4\" y=\"%d\">", y + 17);
	esc(f, ep);
	fputs("</text>\n", f);
	for (size_t i = 0; i <= s->nevents; i++) {
		const struct fg_sum_event *e = i < s->nevents ? &s->events[i] : NULL;
		int64_t to = e ? e->ns : s->last_ns;

		if (e != NULL && strcmp(e->endpoint, ep) != 0)
			continue;
		if (e != NULL && first)
			state = e->from;   /* the state before its first transition */
		first = false;
		fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>%s</title></rect>\n",
			x_of(s, from), y + 4, x_of(s, to) - x_of(s, from) + 0.5, LANE_H - 8,
			state_color(state), state);
		if (e == NULL)
			break;
		state = e->to;
		from = e->ns;
	}
}

static void timeline(const struct fg_sum *s, FILE *f)
{
	int h = (int)(s->neps + 1) * LANE_H + 30;
	double span = (double)(s->last_ns - s->first_ns) / 1e9;

	fprintf(f, "<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		   "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"time line\">\n",
		PLOT_X + PLOT_W + 40, h, PLOT_X + PLOT_W + 40, h);
	for (size_t i = 0; i < s->neps; i++)
		lane(s, f, s->eps[i].name, (int)i * LANE_H);
	fprintf(f, "<text x=\"4\" y=\"%d\">denials (%" PRIu64 ")</text>\n", (int)s->neps * LANE_H + 17,
		s->deny);
	for (size_t i = 0; i < s->nticks; i++)
		fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#b71c1c\"/>\n",
			x_of(s, s->ticks[i]), x_of(s, s->ticks[i]), (int)s->neps * LANE_H + 4,
			(int)(s->neps + 1) * LANE_H - 4);
	for (int k = 0; k <= 4; k++) {
		double x = PLOT_X + PLOT_W * k / 4.0;

		fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"0\" y2=\"%d\" stroke=\"#bbb\" stroke-dasharray=\"2,3\"/>"
			   "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">+%.*f s</text>\n",
			x, x, h - 24, x, h - 8, span < 10 ? 2 : 1, span > 0 ? span * k / 4.0 : 0.0);
	}
	fputs("</svg>\n<p class=\"meta\">green: closed, red: open, amber: half-open; red ticks: denied calls</p>\n", f);
}

static void groups(const struct fg_sum *s, FILE *f)
{
	fputs("<h2>Denials by rule and path</h2>\n<table id=\"denials\"><thead><tr><th>count</th>"
	      "<th>decision</th><th>op</th><th>path or address</th><th>rule</th></tr></thead><tbody>\n", f);
	for (size_t i = 0; i < s->ngroups; i++) {
		const struct fg_sum_group *g = &s->groups[i];

		fprintf(f, "<tr><td class=\"n\">%" PRIu64 "</td><td class=\"%s\">%s</td><td>", g->count,
			strcmp(g->decision, "deny") == 0 ? "deny" : "report", strcmp(g->decision, "deny") == 0 ? "deny" : "report");
		esc(f, g->op);
		fputs("</td><td class=\"p\">", f);
		esc(f, g->what);
		fputs("</td><td class=\"p\">", f);
		esc(f, g->rule[0] ? g->rule : "-");
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
}

static void breaker(const struct fg_sum *s, FILE *f)
{
	fputs("<h2>Circuit breaker</h2>\n<table id=\"breaker\"><thead><tr><th>time</th><th>endpoint</th>"
	      "<th>from</th><th>to</th><th>why</th><th>failures</th></tr></thead><tbody>\n", f);
	for (size_t i = 0; i < s->nevents; i++) {
		const struct fg_sum_event *e = &s->events[i];

		fprintf(f, "<tr><td class=\"n\">+%.3f s</td><td>", (double)(e->ns - s->first_ns) / 1e9);
		esc(f, e->endpoint);
		fputs("</td><td>", f);
		esc(f, e->from);
		fputs("</td><td>", f);
		esc(f, e->to);
		fputs("</td><td>", f);
		esc(f, e->why);
		fprintf(f, "</td><td class=\"n\">%ld</td></tr>\n", e->failures);
	}
	fputs("</tbody></table>\n<table id=\"endpoints\"><thead><tr><th>endpoint</th><th>refused while open</th>"
	      "<th>sent to the fallback</th></tr></thead><tbody>\n", f);
	for (size_t i = 0; i < s->neps; i++) {
		fputs("<tr><td>", f);
		esc(f, s->eps[i].name);
		fprintf(f, "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64 "</td></tr>\n",
			s->eps[i].refused, s->eps[i].fallback);
	}
	fputs("</tbody></table>\n", f);
}

static void procs(const struct fg_sum *s, FILE *f)
{
	fputs("<h2>Processes</h2>\n<table id=\"processes\"><thead><tr><th>pid</th><th>agent</th>"
	      "<th>actions</th><th>denied</th><th>reported</th><th>program</th></tr></thead><tbody>\n", f);
	for (size_t i = 0; i < s->nprocs; i++) {
		const struct fg_sum_proc *p = &s->procs[i];

		fprintf(f, "<tr><td class=\"n\">%ld</td><td>", p->pid);
		esc(f, p->agent);
		fprintf(f, "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64
			   "</td><td class=\"n\">%" PRIu64 "</td><td class=\"p\">", p->actions, p->deny, p->report);
		esc(f, p->exe);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
}

static void head(const struct fg_sum *s, FILE *f, bool hook)
{
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		   "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		   "style-src 'unsafe-inline'%s\">\n<title>fleetguard log: ", hook ? "; script-src 'unsafe-inline'" : "");
	esc(f, s->source ? s->source : "");
	fprintf(f, "</title>\n<style>%s</style>\n", css);
	if (hook)   /* tests only: errors and the end of loading become visible in the DOM */
		fputs("<script>window.fgErrors=[];window.addEventListener('error',function(e){"
		      "fgErrors.push(String(e.message));});window.addEventListener('load',function(){"
		      "document.body.setAttribute('data-fg-loaded',String(document.querySelectorAll('table').length));"
		      "document.body.setAttribute('data-fg-errors',String(fgErrors.length));});</script>\n", f);
	fputs("</head><body>\n<h1>fleetguard log</h1>\n<p class=\"meta\"><code>", f);
	esc(f, s->source ? s->source : "");
	fprintf(f, "</code>: %" PRIu64 " records over %.1f s. Chain: <span class=\"%s\">", s->records,
		(double)(s->last_ns - s->first_ns) / 1e9, s->intact ? "ok" : "bad");
	esc(f, s->verdict);
	fprintf(f, "</span></p>\n<table id=\"decisions\"><thead><tr><th>allowed</th><th>denied</th>"
		   "<th>reported (would be denied)</th></tr></thead><tbody><tr><td class=\"n\">%" PRIu64
		   "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64 "</td></tr></tbody></table>\n",
		s->allow, s->deny, s->report);
}

void fg_sum_html(const struct fg_sum *s, FILE *f, bool test_hook)
{
	head(s, f, test_hook);
	fputs("<h2>Time line</h2>\n", f);
	timeline(s, f);
	groups(s, f);
	breaker(s, f);
	procs(s, f);
	fputs("</body></html>\n", f);
}
