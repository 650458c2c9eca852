/* emit.c - writes the learned rules as a commented policy, or into an
 * existing one (--merge).
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learn/learn_int.h"

/* LLM APIs offered as [endpoint] sections when the run called them. */
static const struct known_ep {
	const char *name, *host;
	unsigned port;
	const char *protocol;
} known_eps[] = {
	{ "openai", "api.openai.com", 443, "https" },
	{ "anthropic", "api.anthropic.com", 443, "https" },
	{ "gemini", "generativelanguage.googleapis.com", 443, "https" },
	{ "mistral", "api.mistral.ai", 443, "https" },
	{ "groq", "api.groq.com", 443, "https" },
	{ "deepseek", "api.deepseek.com", 443, "https" },
	{ "openrouter", "openrouter.ai", 443, "https" },
	{ "together", "api.together.xyz", 443, "https" },
	{ "cohere", "api.cohere.com", 443, "https" },
	{ "ollama", "127.0.0.1", 11434, "http" },
	{ "ollama", "localhost", 11434, "http" },
};

/* One key's learned items and the comment lines that explain them. */
struct edit {
	const char *sec, *key;
	char *comments;
	size_t clen;
	FILE *c;
	char *items;
	size_t ilen;
	FILE *i;
	unsigned n;
};

static int edit_open(struct edit *e, const char *sec, const char *key)
{
	*e = (struct edit){ .sec = sec, .key = key };
	e->c = open_memstream(&e->comments, &e->clen);
	e->i = open_memstream(&e->items, &e->ilen);
	return e->c && e->i ? 0 : -ENOMEM;
}

static int edit_close(struct edit *e)
{
	int rc = 0;

	if (e->c && fclose(e->c) != 0)
		rc = -ENOMEM;
	if (e->i && fclose(e->i) != 0)
		rc = -ENOMEM;
	e->c = e->i = NULL;
	return rc;
}

static void edit_free(struct edit *e)
{
	edit_close(e);
	free(e->comments);
	free(e->items);
}

/* path as the policy writes it: ${root}/... or ${HOME}/... where it can. */
static void shown(const struct fg_learn *l, const char *path, char *buf, size_t len)
{
	const char *root = l->conf.root, *home = l->conf.home;

	if (fg_path_within(root, strlen(root), path, strlen(path)) && strcmp(root, "/") != 0)
		snprintf(buf, len, "${root}%s", path + strlen(root));
	else if (home && home[0] == '/' && strcmp(home, "/") != 0 &&
		 fg_path_within(home, strlen(home), path, strlen(path)))
		snprintf(buf, len, "${HOME}%s", path + strlen(home));
	else
		snprintf(buf, len, "%s", path);
}

static void edit_item(struct edit *e, const char *item, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void edit_item(struct edit *e, const char *item, const char *fmt, ...)
{
	va_list ap;

	fprintf(e->i, "%s%s", e->n ? ", " : "", item);
	fprintf(e->c, "; %s %s: ", e->key, item);
	va_start(ap, fmt);
	vfprintf(e->c, fmt, ap);
	va_end(ap);
	fputc('\n', e->c);
	e->n++;
}

static const char *plural(unsigned n) { return n == 1 ? "" : "s"; }

static int by_tree(const void *a, const void *b)
{
	return strcmp(((const struct fg_ltree *)a)->path, ((const struct fg_ltree *)b)->path);
}

/* In path order, so that the same run gives the same file. */
static void tree_items(const struct fg_learn *l, struct edit *e, const struct fg_ltree_list *t)
{
	char a[PATH_MAX + 16], b[PATH_MAX + 16];

	if (t->n > 1)   /* t->v is NULL when empty: qsort(NULL, 0) is UB */
		qsort(t->v, t->n, sizeof(*t->v), by_tree);
	for (size_t i = 0; i < t->n; i++) {
		shown(l, t->v[i].path, a, sizeof(a));
		shown(l, t->v[i].example, b, sizeof(b));
		edit_item(e, a, "%u action%s, e.g. %s", t->v[i].count, plural(t->v[i].count), b);
	}
}

static bool ref_write_defaulted(const struct fg_learn *l)
{
	const struct fg_path_list *w = &l->conf.ref->fs.write;

	return w->n > 0 && w->v[0].origin == FG_ORIGIN_DEFAULT;
}

static void fs_items(struct fg_learn *l, struct edit *w, struct edit *r, bool merge)
{
	char b[PATH_MAX + 16];

	if (l->root_count) {
		shown(l, l->root_example, b, sizeof(b));
		edit_item(l->root_write ? w : r, "${root}", "%u action%s in the workspace, e.g. %s",
			  l->root_count, plural(l->root_count), b);
	}
	if (merge && l->write.n && ref_write_defaulted(l))
		edit_item(w, "${root}", "the default write tree, kept now that write is given");
	tree_items(l, w, &l->write);
	tree_items(l, r, &l->read);
}

/* Is name:port (or name:*) already a rule of the learned list? */
static bool has_host_rule(const struct fg_learn *l, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < l->nnet; i++)
		if (!l->net[i].resolve_only && strncmp(l->net[i].rule, name, n) == 0 &&
		    l->net[i].rule[n] == ':')
			return true;
	return false;
}

static void net_items(struct fg_learn *l, struct edit *e)
{
	char rule[600];

	for (size_t i = 0; i < l->nnet; i++) {
		const struct fg_lnet *n = &l->net[i];

		if (n->resolve_only)
			continue;
		if (strcmp(n->rule, n->example) == 0)
			edit_item(e, n->rule, "%u connection%s", n->count, plural(n->count));
		else
			edit_item(e, n->rule, "%u connection%s, e.g. to %s", n->count, plural(n->count),
				  n->example);
	}
	for (size_t i = 0; i < l->nnet; i++) {
		const struct fg_lnet *n = &l->net[i];

		if (!n->resolve_only || has_host_rule(l, n->rule))
			continue;
		snprintf(rule, sizeof(rule), "%s:*", n->rule);
		edit_item(e, rule, "looked up %u time%s, never connected to (narrow the port)", n->count,
			  plural(n->count));
	}
	l->net_rules = e->n;
}

static void endpoints(struct fg_learn *l, FILE *f)
{
	char addr[300];

	l->endpoints = 0;
	for (size_t k = 0; k < sizeof(known_eps) / sizeof(known_eps[0]); k++) {
		const struct known_ep *ep = &known_eps[k];

		snprintf(addr, sizeof(addr), "%s:%u", ep->host, ep->port);
		for (size_t i = 0; i < l->nnet; i++) {
			if (l->net[i].resolve_only || strcmp(l->net[i].rule, addr) != 0)
				continue;
			fprintf(f, "\n; %s was called %u time%s: uncomment for its circuit breaker,\n"
				   "; and add a fallback = URL if there is one (fleetguard.ini(5))\n"
				   ";[endpoint %s]\n;address  = %s\n;protocol = %s\n",
				addr, l->net[i].count, plural(l->net[i].count), ep->name, addr,
				ep->protocol);
			l->endpoints++;
		}
	}
}

static void write_key(FILE *f, const struct edit *e, const char *empty_why)
{
	if (e->n == 0 && empty_why == NULL)
		return;
	if (e->n == 0)
		fprintf(f, "; %s: %s\n", e->key, empty_why);
	fputs(e->comments ? e->comments : "", f);
	fprintf(f, "%-6s = %s\n", e->key, e->items ? e->items : "");
}

static void write_fresh(struct fg_learn *l, const struct fg_learn_out *o, struct edit *ed, FILE *f)
{
	char b[PATH_MAX + 16];

	fprintf(f, "[workspace]\n%s%s", o->root_line ? o->root_line : "; root is this file's directory",
		"\n\n[filesystem]\nmode   = enforce\n");
	if (l->sys_example)
		shown(l, l->sys_example, b, sizeof(b));
	fprintf(f, "; system = yes: %zu action%s on system files%s%s\nsystem = yes\n", l->system,
		plural((unsigned)l->system), l->sys_example ? ", e.g. " : "", l->sys_example ? b : "");
	write_key(f, &ed[0], "the run changed nothing outside the system set");
	write_key(f, &ed[1], NULL);
	if (l->unconfined) {
		shown(l, l->unconfined_example, b, sizeof(b));
		fprintf(f, "; unconfined_exec = allow: %zu exec%s of programs the preloaded library cannot\n"
			   ";   follow (static, setuid), e.g. %s\nunconfined_exec = allow\n", l->unconfined,
			l->unconfined == 1 ? "" : "s", b);
	}
	if (o->deny != NULL && o->deny->n > 0) {
		fputs("; deny: carried over from the base policy\ndeny   = ", f);
		for (size_t i = 0; i < o->deny->n; i++) {
			shown(l, o->deny->v[i].path, b, sizeof(b));
			fprintf(f, "%s%s", i ? ", " : "", b);
		}
		fputc('\n', f);
	}
	if (l->skipped) {
		shown(l, l->skip_example, b, sizeof(b));
		fprintf(f, "; not learned: %zu action%s that no tree fits (a stat of a name that does\n"
			   ";   not exist, $HOME or / as a whole, another process's /proc entry, a name\n"
			   ";   with , ; # or $), e.g. %s\n", l->skipped, plural((unsigned)l->skipped), b);
	}
	fputs("\n[network]\nmode   = enforce\n", f);
	write_key(f, &ed[2], "the run made no connection");
	fputs("; dns = yes: lookups go to the name servers of /etc/resolv.conf\ndns    = yes\n", f);
	endpoints(l, f);
}

/* --- --merge: the learned items go into the existing keys ----------------- */

/* The section a header line opens ("filesystem", "endpoint x"), or NULL. */
static bool section_name(const char *line, char *buf, size_t len)
{
	const char *s = line + strspn(line, " \t"), *e;

	if (*s != '[' || (e = strchr(s, ']')) == NULL)
		return false;
	s++;
	s += strspn(s, " \t");
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	snprintf(buf, len, "%.*s", (int)(e - s), s);
	return true;
}

static bool is_key(const char *line, const char *key)
{
	const char *s = line + strspn(line, " \t");
	size_t n = strlen(key);

	return strncmp(s, key, n) == 0 && (s[n] == ' ' || s[n] == '\t' || s[n] == '=');
}

/* The line (without newline) with items added to its value, before any
 * comment. */
static void append_items(FILE *f, const char *line, size_t len, const struct edit *e)
{
	const char *eq = memchr(line, '=', len), *end = line + len, *c, *v;

	for (c = eq + 1; c < end; c++)
		if ((*c == ';' || *c == '#') && (c[-1] == ' ' || c[-1] == '\t'))
			break;
	v = c;
	while (v > eq + 1 && (v[-1] == ' ' || v[-1] == '\t'))
		v--;
	fputs(e->comments, f);
	fwrite(line, 1, (size_t)(v - line), f);
	fprintf(f, "%s%s", strspn(eq + 1, " \t") < (size_t)(v - eq - 1) ? ", " : " ", e->items);
	if (c < end)
		fprintf(f, "   %.*s", (int)(end - c), c);
	fputc('\n', f);
}

static void flush_section(FILE *f, struct edit *ed, size_t n, const char *sec, bool header)
{
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		if (ed[i].n == 0 || strcmp(ed[i].sec, sec) != 0)
			continue;
		if (header && !any)
			fprintf(f, "\n[%s]\n", sec);
		any = true;
		write_key(f, &ed[i], NULL);
		ed[i].n = 0;
	}
}

static void write_merged(const char *text, struct edit *ed, size_t n, FILE *f)
{
	char sec[128] = "";
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = strndup(p, len), name[128];
		bool done = false;

		if (line && section_name(line, name, sizeof(name))) {
			flush_section(f, ed, n, sec, false);
			snprintf(sec, sizeof(sec), "%s", name);
		} else if (line) {
			for (size_t i = 0; i < n && !done; i++) {
				if (ed[i].n && strcmp(ed[i].sec, sec) == 0 && is_key(line, ed[i].key) &&
				    memchr(line, '=', len)) {
					append_items(f, line, len, &ed[i]);
					ed[i].n = 0;
					done = true;
				}
			}
		}
		if (!done)
			fprintf(f, "%.*s\n", (int)len, p);
		free(line);
		p += len + (nl != NULL);
	}
	flush_section(f, ed, n, sec, false);
	flush_section(f, ed, n, "filesystem", true);
	flush_section(f, ed, n, "network", true);
}

int fg_learn_write(struct fg_learn *l, const struct fg_learn_out *o, FILE *f)
{
	struct edit ed[3];
	int rc;

	rc = fg_learn_collapse(l);
	if (rc < 0)
		return rc;
	if (edit_open(&ed[0], "filesystem", "write") < 0 || edit_open(&ed[1], "filesystem", "read") < 0 ||
	    edit_open(&ed[2], "network", "allow") < 0) {
		rc = -ENOMEM;
		goto out_free;
	}
	fs_items(l, &ed[0], &ed[1], o->merge_text != NULL);
	net_items(l, &ed[2]);
	for (int i = 0; i < 3; i++)
		if (edit_close(&ed[i]) < 0)
			rc = -ENOMEM;
	if (rc < 0)
		goto out_free;
	if (o->merge_text != NULL) {
		write_merged(o->merge_text, ed, 3, f);
		if (l->unconfined && !l->conf.ref->fs.unconfined_exec)
			fprintf(f, "\n; the run exec'd %zu program%s the preloaded library cannot follow\n"
				   "; (static, setuid), e.g. %s: set [filesystem] unconfined_exec = allow\n"
				   "; where Landlock does not confine them\n", l->unconfined,
				l->unconfined == 1 ? "" : "s", l->unconfined_example);
		endpoints(l, f);
	} else {
		fprintf(f, "; learned by \"fleetguard learn\" from one run of: %s\n"
			   "; %zu audit records; every rule below says which actions needed it.\n"
			   "; Review it, then check it with \"fleetguard check\".\n\n",
			o->command ? o->command : "(unknown)", l->records);
		write_fresh(l, o, ed, f);
	}
	rc = ferror(f) ? -EIO : 0;
out_free:
	for (int i = 0; i < 3; i++)
		edit_free(&ed[i]);
	return rc;
}
