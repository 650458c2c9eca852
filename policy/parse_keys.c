/* parse_keys.c - pass 2 of the policy parser: what each recorded key means, section by section.
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
 * [workspace] is read first, because every other value may use ${root};
 * then every other section in file order; then the [endpoint] overrides of
 * [breaker] keys, on top of the finished [breaker].
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/parse_int.h"

void fg_parse_breaker_defaults(struct fg_breaker_conf *c)
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
		fg_parse_num_key(st, e, v, 1, 1000000, &c->threshold);
	else if (!strcmp(k, "open_seconds")) {
		if (fg_parse_num_key(st, e, v, 1, 86400, &c->open_seconds))
			el->open = e->line;
	} else if (!strcmp(k, "max_open_seconds")) {
		if (fg_parse_num_key(st, e, v, 1, 7 * 86400, &c->max_open_seconds))
			el->max_open = e->line;
	} else if (!strcmp(k, "probes"))
		fg_parse_num_key(st, e, v, 1, 1000, &c->probes);
	else if (!strcmp(k, "slow_first_byte_seconds"))
		fg_parse_num_key(st, e, v, 0, 3600, &c->slow_first_byte_seconds);
	else if (!strcmp(k, "min_processes"))
		fg_parse_num_key(st, e, v, 1, 16, &c->min_processes);
	else if (!strcmp(k, "failure_status")) {
		memset(c->failure_status, 0, sizeof(c->failure_status));
		fg_parse_each_item(st, e, e->val, fg_parse_status_item, c);
	} else if (!strcmp(k, "state_dir")) {
		char *p = fg_parse_make_path(st, e->line, k, v);

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

/* Lists are expanded item by item, after the split. */
static bool is_list_key(const char *k)
{
	return !strcmp(k, "read") || !strcmp(k, "write") || !strcmp(k, "deny") ||
	       !strcmp(k, "allow") || !strcmp(k, "failure_status");
}

void fg_parse_check_open_range(struct pstate *st, const struct fg_breaker_conf *c,
			       const struct eplines *el, unsigned fallback_line)
{
	if (c->max_open_seconds < c->open_seconds) {
		unsigned line = el->max_open > el->open ? el->max_open : el->open;

		fg_parse_diag(st, line ? line : fallback_line,
			      "max_open_seconds (%u) is less than open_seconds (%u)",
			      c->max_open_seconds, c->open_seconds);
	}
}

static void agent_id_key(struct pstate *st, const struct entry *e, const char *v)
{
	struct fg_policy *p = st->p;
	size_t n = strlen(v);
	bool ok = n >= 1 && n <= 128;

	for (size_t j = 0; ok && j < n; j++)
		ok = fg_parse_is_name_char(v[j]) || v[j] == '@' || v[j] == ':';
	if (!ok) {
		fg_parse_diag(st, e->line,
			      "agent_id must be 1..128 letters, digits or '.', '_', '-', '@', ':', not '%s'", v);
		return;
	}
	free(p->agent_id);
	p->agent_id = strdup(v);
	if (!p->agent_id)
		st->oom = true;
}

void fg_parse_workspace_pass(struct pstate *st)
{
	struct fg_policy *p = st->p;

	for (size_t i = 0; i < st->nent; i++) {
		struct entry *e = &st->ent[i];
		char *v;

		if (e->sec != SEC_WORKSPACE)
			continue;
		v = fg_parse_expand(st, e->line, e->val);
		if (!v)
			continue;
		if (!strcmp(e->key, "root")) {
			char *r = fg_parse_make_path(st, e->line, "root", v);

			if (r) {
				free(p->root);
				p->root = r;
			}
		} else {        /* agent_id */
			agent_id_key(st, e, v);
		}
		free(v);
	}
}

static void filesystem_key(struct pstate *st, const struct entry *e, const char *v)
{
	struct fg_policy *p = st->p;
	const char *k = e->key;
	int x;

	if (!strcmp(k, "mode")) {
		if (fg_parse_choice_key(st, e, v, fg_ch_mode, &x))
			p->fs.mode = (enum fg_mode)x;
	} else if (!strcmp(k, "system")) {
		if (fg_parse_choice_key(st, e, v, fg_ch_bool, &x))
			p->fs.system = x;
	} else if (!strcmp(k, "kernel")) {
		if (fg_parse_choice_key(st, e, v, fg_ch_kernel, &x))
			p->fs.kernel = (enum fg_kernel)x;
	} else if (!strcmp(k, "unconfined_exec")) {
		if (fg_parse_choice_key(st, e, v, fg_ch_unconf, &x))
			p->fs.unconfined_exec = x;
	} else {
		struct fg_path_list *l = !strcmp(k, "read") ? &p->fs.read :
					 !strcmp(k, "write") ? &p->fs.write : &p->fs.deny;

		/* an explicit key replaces the built-in default */
		for (size_t j = 0; j < l->n; j++)
			free(l->v[j].path);
		l->n = 0;
		fg_parse_each_item(st, e, e->val, fg_parse_path_item, l);
	}
}

static void network_key(struct pstate *st, const struct entry *e, const char *v,
			unsigned *dns_line)
{
	struct fg_policy *p = st->p;
	int x;

	if (!strcmp(e->key, "mode")) {
		if (fg_parse_choice_key(st, e, v, fg_ch_mode, &x))
			p->net.mode = (enum fg_mode)x;
	} else if (!strcmp(e->key, "dns")) {
		if (fg_parse_choice_key(st, e, v, fg_ch_bool, &x)) {
			p->net.dns = x;
			*dns_line = e->line;
		}
	} else {
		fg_parse_each_item(st, e, e->val, fg_parse_net_item, NULL);
	}
}

/* One word of [audit] witness: what the audit daemon knows (its own
 * parser says the same; checked here so that fleetguard check shows it). */
static bool witness_word(const char *w, size_t n)
{
	static const char *const bare[] = { "file", "syslog", "journald", NULL };

	for (size_t i = 0; bare[i]; i++)
		if (n == strlen(bare[i]) && !strncmp(w, bare[i], n))
			return true;
	return (n > 6 && !strncmp(w, "file:/", 6)) || (n > 10 && !strncmp(w, "journald:/", 10)) ||
	       (n > 8 && !strncmp(w, "https://", 8)) || (n > 4 && !strncmp(w, "ca:/", 4));
}

/* syslog+tcp://HOST:PORT with a port of 1..65535 */
static bool forward_ok(const char *v)
{
	const char *hp = v + 13, *colon;
	uint64_t port;

	if (strncmp(v, "syslog+tcp://", 13) != 0)
		return false;
	colon = strrchr(v, ':');
	return colon && colon > hp &&
	       fg_parse_uint(colon + 1, 1, 65535, &port) && !strpbrk(hp, " \t/");
}

static void audit_sink_key(struct pstate *st, const struct entry *e, const char *v)
{
	struct fg_policy *p = st->p;
	char **dst = !strcmp(e->key, "witness") ? &p->audit.witness : &p->audit.forward;
	char *copy;

	if (!v)
		return;
	if (dst == &p->audit.forward && !forward_ok(v)) {
		fg_parse_diag(st, e->line, "forward must be syslog+tcp://HOST:PORT, not '%s'", v);
		return;
	}
	for (const char *w = v; dst == &p->audit.witness && *w;) {
		size_t n = strcspn(w, ", \t");

		if (n && !witness_word(w, n)) {
			fg_parse_diag(st, e->line,
				      "witness '%.*s' is not one of file, file:/PATH, syslog, journald, journald:/SOCKET, https://URL, ca:/PATH",
				      (int)n, w);
			return;
		}
		w += n ? n : 1;
	}
	copy = strdup(v);
	if (!copy) {
		st->oom = true;
		return;
	}
	free(*dst);
	*dst = copy;
}

/* daemon_user = NAME or UID: a user that exists, resolved here (by the
 * launcher, before the policy is sealed) so that no agent process needs
 * the password database.  It needs state_dir: the daemon keeps its key
 * there, not under the spawner's home. */
static void daemon_user_key(struct pstate *st, const struct entry *e, const char *v)
{
	struct fg_policy *p = st->p;
	bool has_state = false;
	uint64_t num;
	struct passwd *pw;
	char *copy;

	for (size_t i = 0; i < st->nent; i++)
		has_state |= st->ent[i].sec == SEC_AUDIT && !strcmp(st->ent[i].key, "state_dir");
	if (!v || !*v || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != strlen(v)) {
		fg_parse_diag(st, e->line, "daemon_user must be a user name or uid, not '%s'", v ? v : "");
		return;
	}
	pw = fg_parse_uint(v, 0, UINT32_MAX - 1, &num) ? getpwuid((uid_t)num) : getpwnam(v);
	if (!pw) {
		fg_parse_diag(st, e->line, "daemon_user '%s': no such user", v);
		return;
	}
	if (!has_state) {
		fg_parse_diag(st, e->line, "daemon_user needs state_dir in [audit] (the daemon's signing key, outside the agent's reach)");
		return;
	}
	copy = strdup(pw->pw_name);
	if (!copy) {
		st->oom = true;
		return;
	}
	free(p->audit.daemon_user);
	p->audit.daemon_user = copy;
	p->audit.daemon_uid = (long)pw->pw_uid;
}

static void audit_key(struct pstate *st, const struct entry *e, const char *v)
{
	struct fg_policy *p = st->p;
	const char *k = e->key;
	int x;

	if (!strcmp(k, "events")) {
		if (fg_parse_choice_key(st, e, v, fg_ch_events, &x))
			p->audit.events = (enum fg_events)x;
	} else if (!strcmp(k, "fsync")) {
		if (fg_parse_choice_key(st, e, v, fg_ch_fsync, &x))
			p->audit.fsync = (enum fg_fsync)x;
	} else if (!strcmp(k, "on_failure")) {
		if (fg_parse_choice_key(st, e, v, fg_ch_onfail, &x))
			p->audit.on_failure = (enum fg_on_failure)x;
	} else if (!strcmp(k, "max_size")) {
		fg_parse_size(st, e, v, &p->audit.max_size);
	} else if (!strcmp(k, "checkpoint_every")) {
		fg_parse_num_key(st, e, v, 1, 1000000, &p->audit.checkpoint_every);
	} else if (!strcmp(k, "witness") || !strcmp(k, "forward")) {
		audit_sink_key(st, e, v);
	} else if (!strcmp(k, "daemon_user")) {
		daemon_user_key(st, e, v);
	} else {
		char **dst = !strcmp(k, "log") ? &p->audit.log :
			     !strcmp(k, "state_dir") ? &p->audit.state_dir : &p->audit.key_file;
		char *path = fg_parse_make_path(st, e->line, k, v);

		if (path) {
			free(*dst);
			*dst = path;
		}
	}
}

/* fallback = http[s]://host[:port][/path] (any host, for the gateway), or
 * host:port (plain http, as the library alone can use it). */
static void fallback_key(struct pstate *st, const struct entry *e, const char *v,
			 struct fg_endpoint *ep)
{
	bool tls;
	size_t skip;
	const char *slash;
	char *hp;

	if (v == NULL)          /* only list keys come without a value */
		return;
	tls = strncmp(v, "https://", 8) == 0;
	skip = tls ? 8 : strncmp(v, "http://", 7) == 0 ? 7 : 0;
	slash = skip ? strchr(v + skip, '/') : NULL;
	hp = strndup(v + skip, slash ? (size_t)(slash - v - skip) : strlen(v + skip));
	char *auth = NULL;

	if (!hp) {
		st->oom = true;
		return;
	}
	/* a URL without a port has its scheme's */
	if (skip && !(hp[0] == '[' ? strstr(hp, "]:") != NULL : strchr(hp, ':') != NULL) &&
	    asprintf(&auth, "%s:%u", hp, tls ? 443 : 80) < 0)
		auth = NULL;
	if (fg_parse_endpoint_addr(st, e, auth ? auth : hp, &ep->fallback_host, &ep->fallback_port)) {
		ep->has_fallback = true;
		ep->fallback_tls = tls;
		if (skip) {
			size_t n = slash ? strlen(slash) : 0;

			while (n > 0 && slash[n - 1] == '/')
				n--;
			ep->fallback_path = strndup(slash ? slash : "", n);
			if (!ep->fallback_path)
				st->oom = true;
		}
	}
	free(auth);
	free(hp);
}

/* fallback_model = NAME: printable, no quote or backslash (it is put into
 * JSON as it is), at most FG_POLICY_MAX_MODEL bytes. */
static void model_key(struct pstate *st, const struct entry *e, const char *v,
		      struct fg_endpoint *ep)
{
	size_t n = strlen(v);

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)v[i];

		if (ch < 0x20 || ch == 0x7f || ch == '"' || ch == '\\') {
			fg_parse_diag(st, e->line, "fallback_model: no quotes, backslashes or control characters, not '%s'", v);
			return;
		}
	}
	if (n == 0 || n > FG_POLICY_MAX_MODEL) {
		fg_parse_diag(st, e->line, "fallback_model: expected a model name of 1 to %u bytes",
			      FG_POLICY_MAX_MODEL);
		return;
	}
	free(ep->fallback_model);
	ep->fallback_model = strdup(v);
	if (!ep->fallback_model)
		st->oom = true;
}

/* gateway, api_key_file, api_key_header, ca_file, fallback_model of an [endpoint]. */
static void gateway_key(struct pstate *st, const struct entry *e, const char *v,
			struct fg_endpoint *ep)
{
	int x;

	if (v == NULL)          /* only list keys come without a value */
		return;

	if (!strcmp(e->key, "gateway")) {
		if (fg_parse_choice_key(st, e, v, fg_ch_gateway, &x))
			ep->gateway_mode = x < 0 ? FG_GWM_AUTO : x ? FG_GWM_YES : FG_GWM_NO;
	} else if (!strcmp(e->key, "fallback_model")) {
		model_key(st, e, v, ep);
	} else if (!strcmp(e->key, "api_key_header")) {
		if (!strcasecmp(v, "authorization") || !strcasecmp(v, "x-api-key"))
			ep->api_key_x = !strcasecmp(v, "x-api-key");
		else
			fg_parse_diag(st, e->line, "api_key_header: expected authorization or x-api-key, not '%s'", v);
	} else {
		char **dst = !strcmp(e->key, "ca_file") ? &ep->ca_file : &ep->api_key_file;
		char *path = fg_parse_make_path(st, e->line, e->key, v);

		if (path) {
			free(*dst);
			*dst = path;
		}
	}
}

/* address, protocol, fallback of an [endpoint]; its breaker keys come later. */
static void endpoint_key(struct pstate *st, const struct entry *e, const char *v,
			 struct eplines *el)
{
	struct fg_endpoint *ep = &st->p->ep[e->ep];
	int x;

	if (!strcmp(e->key, "address")) {
		fg_parse_endpoint_addr(st, e, v, &ep->host, &ep->port);
		el[e->ep].address = e->line;
	} else if (!strcmp(e->key, "protocol")) {
		if (fg_parse_choice_key(st, e, v, fg_ch_proto, &x))
			ep->https = x;
		else
			el[e->ep].bad_protocol = true;
		el[e->ep].protocol = e->line;
	} else if (!strcmp(e->key, "fallback")) {
		fallback_key(st, e, v, ep);
		el[e->ep].fallback = e->line;
	} else if (!strcmp(e->key, "gateway")) {
		gateway_key(st, e, v, ep);
		el[e->ep].gateway = e->line;
	} else if (!strcmp(e->key, "api_key_file") || !strcmp(e->key, "ca_file") ||
		   !strcmp(e->key, "api_key_header") || !strcmp(e->key, "fallback_model")) {
		gateway_key(st, e, v, ep);
		el[e->ep].gw_only = e->line;
		el[e->ep].gw_only_key = e->key;
	}
}

void fg_parse_main_pass(struct pstate *st, struct eplines *el, unsigned *dns_line,
			struct eplines *brk)
{
	for (size_t i = 0; i < st->nent; i++) {
		struct entry *e = &st->ent[i];
		char *v;

		if (e->sec == SEC_WORKSPACE)
			continue;
		v = is_list_key(e->key) ? NULL : fg_parse_expand(st, e->line, e->val);
		if (!v && !is_list_key(e->key))
			continue;
		switch (e->sec) {
		case SEC_FILESYSTEM:
			filesystem_key(st, e, v);
			break;
		case SEC_NETWORK:
			network_key(st, e, v, dns_line);
			break;
		case SEC_BREAKER:
			breaker_key(st, e, v, &st->p->breaker, brk);
			break;
		case SEC_AUDIT:
			audit_key(st, e, v);
			break;
		case SEC_ENDPOINT:
			endpoint_key(st, e, v, el);
			break;
		default:
			break;
		}
		free(v);
	}
}

/* gateway = no: nothing may need the gateway. */
static void gateway_off_checks(struct pstate *st, const struct fg_endpoint *ep,
			       const struct eplines *el)
{
	if (ep->has_fallback && ep->https && !el->bad_protocol)
		fg_parse_diag(st, el->fallback,
			      "fallback of a protocol = https endpoint needs the gateway (a TLS client would not accept the fallback's identity): remove gateway = no");
	else if (ep->has_fallback && (ep->fallback_tls || ep->fallback_path))
		fg_parse_diag(st, el->fallback,
			      "fallback: a URL needs the gateway (the library alone can only connect to host:port): remove gateway = no");
	if (el->gw_only)
		fg_parse_diag(st, el->gw_only,
			      "%s is used by the gateway: remove gateway = no from [endpoint %s]",
			      el->gw_only_key ? el->gw_only_key : "this key", ep->name);
}

void fg_parse_endpoint_pass(struct pstate *st, struct eplines *el)
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

		if (e->sec != SEC_ENDPOINT || !fg_parse_in_list(fg_parse_keys_breaker, e->key))
			continue;
		v = is_list_key(e->key) ? NULL : fg_parse_expand(st, e->line, e->val);
		if (!v && !is_list_key(e->key))
			continue;
		breaker_key(st, e, v, &p->ep[e->ep].breaker, &el[e->ep]);
		free(v);
	}
	for (size_t i = 0; i < p->nep; i++) {
		struct fg_endpoint *ep = &p->ep[i];

		if (!el[i].address)
			fg_parse_diag(st, ep->line, "[endpoint %s] has no address", ep->name);
		if (ep->gateway_mode == FG_GWM_NO)
			gateway_off_checks(st, ep, &el[i]);
		if (el[i].open || el[i].max_open)
			fg_parse_check_open_range(st, &ep->breaker, &el[i], ep->line);
	}
}

bool fg_endpoint_needs_gateway(const struct fg_endpoint *e)
{
	return e->api_key_file != NULL || e->api_key_x || e->ca_file != NULL ||
	       e->fallback_model != NULL ||
	       (e->has_fallback && (e->https || e->fallback_tls || e->fallback_path != NULL));
}

void fg_policy_gateway_resolve(struct fg_policy *p, bool under_run)
{
	for (size_t i = 0; i < p->nep; i++) {
		struct fg_endpoint *e = &p->ep[i];

		e->gateway = e->gateway_mode == FG_GWM_YES ||
			     (e->gateway_mode == FG_GWM_AUTO &&
			      (!e->https || under_run || fg_endpoint_needs_gateway(e)));
	}
}
