/* seal.c - compiles a parsed policy into a sealed memfd blob and maps it back.
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
 * Layout: a fixed header (struct seal_head) at offset 0, then the rule
 * arrays (8-byte aligned), then the strings, each NUL-terminated.  Strings
 * and arrays are named by their offset from the start of the blob; offset 0
 * (inside the header) means "none".  Every number is host-endian: a blob
 * never leaves the machine, it only crosses exec.  The checksum (64-bit
 * FNV-1a over everything after it) catches a torn or foreign blob; the
 * seals, not the checksum, are what keep the agent from changing it.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/policy_int.h"
#include "policy/seal.h"

/* Every field of the policy travels in the blob: a field added to these
 * structs without a place below would reach every descendant as zero (a
 * silently weaker policy).  When an assertion fails, seal the new field in
 * seal_write/seal_read and bump FG_SEAL_VERSION, then update the size. */
#if defined(__x86_64__) && defined(__LP64__)
_Static_assert(sizeof(struct fg_policy) == 368, "struct fg_policy changed: seal the new field");
_Static_assert(sizeof(struct fg_endpoint) == 216, "struct fg_endpoint changed: seal the new field");
_Static_assert(sizeof(struct fg_breaker_conf) == 120, "struct fg_breaker_conf changed: seal the new field");
#endif

#define SEAL_MAGIC "FGSEAL\n"   /* 8 bytes with its NUL */

struct seal_breaker {
	uint32_t threshold, open_seconds, max_open_seconds, probes;
	uint32_t slow_first_byte_seconds, min_processes, state_dir, state_dir_set;
	uint8_t failure_status[600 / 8];
	uint8_t pad[5];
};

struct seal_path {
	uint32_t path, len, line, origin;
};

struct seal_net {
	uint32_t kind, host, family, prefix, unix_path, line, origin;
	int32_t port;
	uint8_t addr[16];
};

struct seal_ep {
	uint32_t name, host, port, https, has_fallback, fallback_host, fallback_port, line;
	uint32_t gw_flags;       /* 1 gateway, 2 fallback_tls, 4 api_key_x */
	uint32_t fallback_path, api_key_file, ca_file;
	uint32_t gateway_mode, fallback_model;    /* format 6 */
	struct seal_breaker breaker;
};

struct seal_head {
	char magic[8];
	uint32_t version, size;
	uint64_t sum;
	uint32_t file, root, agent_id, sha256;
	uint32_t fs_mode, fs_system, fs_kernel, fs_unconfined_exec, fs_line;
	uint32_t list_off[3], list_n[3];
	uint32_t net_mode, net_dns, net_line, allow_off, allow_n;
	uint32_t ep_off, ep_n;
	uint32_t log, events, fsync, on_failure, key_file;
	uint32_t audit_state_dir, witness, forward, checkpoint_every, defaulted;
	uint32_t daemon_user, daemon_uid;       /* UINT32_MAX: none */
	uint64_t max_size;
	struct seal_breaker breaker;
	/* the path index, built (policy_int.h: struct fg_pindex) */
	uint32_t idx_nodes, idx_n, idx_slots, idx_mask, idx_lenbits, idx_pad;
};

/* A sealed policy: the policy first, so a struct fg_policy * is one. */
struct sealed {
	struct fg_policy p;
	void *map;
	size_t size;
};

#define ARENA_SIZE (32u * 1024)
/* page-aligned: a small policy's structures then touch one page, not two */
static __attribute__((section(".lbss.fleetguard"), aligned(4096))) unsigned char arena[ARENA_SIZE];
static size_t arena_used;

void *fg_arena_calloc(size_t n, size_t size)
{
	size_t want, at;

	if (n == 0 || size > ARENA_SIZE / n)
		return calloc(n, size);
	want = (n * size + 15) & ~(size_t)15;
	at = __atomic_fetch_add(&arena_used, want, __ATOMIC_RELAXED);
	if (at <= ARENA_SIZE && want <= ARENA_SIZE - at)
		return arena + at;
	return calloc(n, size);
}

bool fg_arena_owns(const void *p)
{
	/* compared as numbers: p may point anywhere */
	return (uintptr_t)p - (uintptr_t)arena < ARENA_SIZE;
}

void fg_arena_free(void *p)
{
	if (!fg_arena_owns(p))
		free(p);
}

static uint64_t seal_sum(const unsigned char *b, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* --- writing ---------------------------------------------------------------- */

struct wbuf {
	unsigned char *b;
	size_t len, cap;
	int err;       /* 0, -ENOMEM or -E2BIG: nothing more is written */
};

/* Room for n more bytes at an 8-aligned end; returns the offset or 0. */
static uint32_t w_reserve(struct wbuf *w, size_t n)
{
	size_t at = (w->len + 7) & ~(size_t)7;

	if (w->err == 0 && at + n > FG_SEAL_MAX_SIZE)
		w->err = -E2BIG;
	if (w->err)
		return 0;
	if (at + n > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		unsigned char *nb;

		while (cap < at + n)
			cap *= 2;
		nb = realloc(w->b, cap);
		if (nb == NULL) {
			w->err = -ENOMEM;
			return 0;
		}
		memset(nb + w->cap, 0, cap - w->cap);
		w->b = nb;
		w->cap = cap;
	}
	w->len = at + n;
	return (uint32_t)at;
}

static uint32_t w_str(struct wbuf *w, const char *s)
{
	size_t n;
	uint32_t at;

	if (s == NULL)
		return 0;
	n = strlen(s) + 1;
	at = w_reserve(w, n);
	if (at)
		memcpy(w->b + at, s, n);
	return at;
}

static void w_breaker(struct wbuf *w, const struct fg_breaker_conf *c, struct seal_breaker *o)
{
	*o = (struct seal_breaker){
		.threshold = c->threshold, .open_seconds = c->open_seconds,
		.max_open_seconds = c->max_open_seconds, .probes = c->probes,
		.slow_first_byte_seconds = c->slow_first_byte_seconds,
		.min_processes = c->min_processes, .state_dir = w_str(w, c->state_dir),
		.state_dir_set = c->state_dir_set,
	};
	memcpy(o->failure_status, c->failure_status, sizeof(o->failure_status));
}

static void w_paths(struct wbuf *w, struct seal_head *h, int k, const struct fg_path_list *l)
{
	uint32_t at = w_reserve(w, l->n * sizeof(struct seal_path));

	h->list_off[k] = at;
	h->list_n[k] = (uint32_t)l->n;
	for (size_t i = 0; i < l->n && !w->err; i++) {
		struct seal_path r = {
			.path = w_str(w, l->v[i].path), .len = (uint32_t)l->v[i].len,
			.line = l->v[i].line, .origin = l->v[i].origin,
		};

		if (!w->err)
			memcpy(w->b + at + i * sizeof(r), &r, sizeof(r));
	}
}

/* The path index as the parser built it: descendants adopt it instead of
 * comparing every rule with every node again. */
static void w_index(struct wbuf *w, struct seal_head *h, const struct fg_policy *p)
{
	struct fg_pindex x;
	uint32_t at;

	fg_path_index_export(p, &x);
	if (x.nnodes == 0 || w->err)
		return;
	h->idx_n = x.nnodes;
	h->idx_mask = x.mask;
	h->idx_lenbits = w_reserve(w, sizeof(x.lenbits));
	if (!w->err)
		memcpy(w->b + h->idx_lenbits, x.lenbits, sizeof(x.lenbits));
	h->idx_slots = w_reserve(w, ((size_t)x.mask + 1) * sizeof(uint32_t));
	if (!w->err)
		memcpy(w->b + h->idx_slots, x.slots, ((size_t)x.mask + 1) * sizeof(uint32_t));
	at = w_reserve(w, x.nnodes * sizeof(struct fg_pindex_node));
	h->idx_nodes = at;
	for (size_t i = 0; i < x.nnodes && !w->err; i++) {
		struct fg_pindex_node o;

		fg_path_index_export_node(p, i, &o);
		memcpy(w->b + at + i * sizeof(o), &o, sizeof(o));
	}
}

static void w_nets(struct wbuf *w, struct seal_head *h, const struct fg_policy *p)
{
	uint32_t at = w_reserve(w, p->net.nallow * sizeof(struct seal_net));

	h->allow_off = at;
	h->allow_n = (uint32_t)p->net.nallow;
	for (size_t i = 0; i < p->net.nallow && !w->err; i++) {
		const struct fg_net_rule *n = &p->net.allow[i];
		struct seal_net r = {
			.kind = n->kind, .host = w_str(w, n->host), .family = (uint32_t)n->family,
			.prefix = n->prefix, .unix_path = w_str(w, n->unix_path), .line = n->line,
			.origin = n->origin, .port = n->port,
		};

		memcpy(r.addr, n->addr, sizeof(r.addr));
		if (!w->err)
			memcpy(w->b + at + i * sizeof(r), &r, sizeof(r));
	}
}

static void w_eps(struct wbuf *w, struct seal_head *h, const struct fg_policy *p)
{
	uint32_t at = w_reserve(w, p->nep * sizeof(struct seal_ep));

	h->ep_off = at;
	h->ep_n = (uint32_t)p->nep;
	for (size_t i = 0; i < p->nep && !w->err; i++) {
		const struct fg_endpoint *e = &p->ep[i];
		struct seal_ep r = {
			.name = w_str(w, e->name), .host = w_str(w, e->host), .port = e->port,
			.https = e->https, .has_fallback = e->has_fallback,
			.fallback_host = w_str(w, e->fallback_host),
			.fallback_port = e->fallback_port, .line = e->line,
			.gw_flags = (e->gateway ? 1u : 0u) | (e->fallback_tls ? 2u : 0u) |
				    (e->api_key_x ? 4u : 0u),
			.fallback_path = w_str(w, e->fallback_path),
			.api_key_file = w_str(w, e->api_key_file), .ca_file = w_str(w, e->ca_file),
			.gateway_mode = (uint32_t)e->gateway_mode,
			.fallback_model = w_str(w, e->fallback_model),
		};

		w_breaker(w, &e->breaker, &r.breaker);
		if (!w->err)
			memcpy(w->b + at + i * sizeof(r), &r, sizeof(r));
	}
}

/* The whole blob of p into w (w->err on failure). */
static void w_policy(struct wbuf *w, const struct fg_policy *p, const char *sha256)
{
	struct seal_head h = { .version = FG_SEAL_VERSION };

	w_reserve(w, sizeof(h));
	memcpy(h.magic, SEAL_MAGIC, sizeof(h.magic));
	h.file = w_str(w, p->file);
	h.root = w_str(w, p->root);
	h.agent_id = w_str(w, p->agent_id);
	h.sha256 = w_str(w, sha256);
	h.fs_mode = p->fs.mode;
	h.fs_system = p->fs.system;
	h.fs_kernel = p->fs.kernel;
	h.fs_unconfined_exec = p->fs.unconfined_exec;
	h.fs_line = p->fs.line;
	w_paths(w, &h, 0, &p->fs.read);
	w_paths(w, &h, 1, &p->fs.write);
	w_paths(w, &h, 2, &p->fs.deny);
	w_index(w, &h, p);
	h.net_mode = p->net.mode;
	h.net_dns = p->net.dns;
	h.net_line = p->net.line;
	w_nets(w, &h, p);
	w_breaker(w, &p->breaker, &h.breaker);
	w_eps(w, &h, p);
	h.log = w_str(w, p->audit.log);
	h.events = p->audit.events;
	h.fsync = p->audit.fsync;
	h.on_failure = p->audit.on_failure;
	h.key_file = w_str(w, p->audit.key_file);
	h.max_size = p->audit.max_size;
	h.audit_state_dir = w_str(w, p->audit.state_dir);
	h.witness = w_str(w, p->audit.witness);
	h.forward = w_str(w, p->audit.forward);
	h.checkpoint_every = p->audit.checkpoint_every;
	h.daemon_user = w_str(w, p->audit.daemon_user);
	h.daemon_uid = p->audit.daemon_uid < 0 ? UINT32_MAX : (uint32_t)p->audit.daemon_uid;
	h.defaulted = (p->root_defaulted ? 1u : 0u) | (p->audit.log_defaulted ? 2u : 0u) |
		      (p->audit.log_canonical ? 4u : 0u);
	if (w->err)
		return;
	h.size = (uint32_t)w->len;
	memcpy(w->b, &h, sizeof(h));
	h.sum = seal_sum(w->b + offsetof(struct seal_head, sum) + 8,
			 w->len - offsetof(struct seal_head, sum) - 8);
	memcpy(w->b + offsetof(struct seal_head, sum), &h.sum, sizeof(h.sum));
}

int fg_seal_create(const struct fg_policy *p, const char *sha256)
{
	struct wbuf w = { 0 };
	size_t done = 0;
	int fd, rc;

	w_policy(&w, p, sha256);
	if (w.err) {
		free(w.b);
		return w.err;
	}
	fd = memfd_create("fleetguard-policy", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		rc = -errno;
		goto out_free;
	}
	while (done < w.len) {
		ssize_t n = write(fd, w.b + done, w.len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			goto out_close;
		}
		done += (size_t)n;
	}
	if (fcntl(fd, F_ADD_SEALS, FG_SEAL_SEALS) < 0) {
		rc = -errno;
		goto out_close;
	}
	free(w.b);
	return fd;

out_close:
	close(fd);
out_free:
	free(w.b);
	return rc;
}

/* --- reading ---------------------------------------------------------------- */

struct rbuf {
	const unsigned char *b;
	size_t size;
	bool bad;
};

/* The string at off, NULL for 0, or NULL and r->bad when it does not lie
 * NUL-terminated inside the blob. */
static char *r_str(struct rbuf *r, uint32_t off)
{
	if (off == 0)
		return NULL;
	if (off < sizeof(struct seal_head) || off >= r->size ||
	    memchr(r->b + off, '\0', r->size - off) == NULL) {
		r->bad = true;
		return NULL;
	}
	return (char *)(uintptr_t)(r->b + off);
}

/* A required string: present and inside the blob. */
static char *r_req(struct rbuf *r, uint32_t off)
{
	char *s = r_str(r, off);

	if (s == NULL)
		r->bad = true;
	return s;
}

/* The array of n elements of blob_el bytes each at off: checked to lie
 * inside the blob, and a new zeroed array of n elements of mem_el bytes
 * for the caller to fill (the blob's records are smaller than the structs
 * they become: bounds are the blob's, never the structs'). */
static void *r_array(struct rbuf *r, uint32_t off, uint32_t n, size_t blob_el, size_t mem_el,
		     void **out)
{
	*out = NULL;
	if (r->bad || n == 0)
		return NULL;
	if (off < sizeof(struct seal_head) || n > r->size / blob_el ||
	    off > r->size - (size_t)n * blob_el) {
		r->bad = true;
		return NULL;
	}
	*out = fg_arena_calloc(n, mem_el);
	if (*out == NULL)
		r->bad = true;
	return *out;
}

static void r_breaker(struct rbuf *r, const struct seal_breaker *s, struct fg_breaker_conf *c)
{
	*c = (struct fg_breaker_conf){
		.threshold = s->threshold, .open_seconds = s->open_seconds,
		.max_open_seconds = s->max_open_seconds, .probes = s->probes,
		.state_dir = r_str(r, s->state_dir), .state_dir_set = s->state_dir_set != 0,
		.slow_first_byte_seconds = s->slow_first_byte_seconds,
		.min_processes = s->min_processes,
	};
	memcpy(c->failure_status, s->failure_status, sizeof(c->failure_status));
}

static void r_paths(struct rbuf *r, const struct seal_head *h, int k, struct fg_path_list *l)
{
	void *v;

	if (r_array(r, h->list_off[k], h->list_n[k], sizeof(struct seal_path),
		    sizeof(struct fg_path_rule), &v) == NULL)
		return;
	l->v = v;
	l->n = h->list_n[k];
	for (size_t i = 0; i < l->n && !r->bad; i++) {
		struct seal_path s;

		memcpy(&s, r->b + h->list_off[k] + i * sizeof(s), sizeof(s));
		l->v[i] = (struct fg_path_rule){
			.path = r_req(r, s.path), .len = s.len, .line = s.line,
			.origin = (enum fg_rule_origin)s.origin,
		};
		if (!r->bad && (strlen(l->v[i].path) != s.len || l->v[i].path[0] != '/' ||
				s.origin > FG_ORIGIN_DEFAULT))
			r->bad = true;
	}
}

static void r_nets(struct rbuf *r, const struct seal_head *h, struct fg_policy *p)
{
	void *v;

	if (r_array(r, h->allow_off, h->allow_n, sizeof(struct seal_net),
		    sizeof(struct fg_net_rule), &v) == NULL)
		return;
	p->net.allow = v;
	p->net.nallow = h->allow_n;
	for (size_t i = 0; i < p->net.nallow && !r->bad; i++) {
		struct seal_net s;
		struct fg_net_rule *n = &p->net.allow[i];

		memcpy(&s, r->b + h->allow_off + i * sizeof(s), sizeof(s));
		*n = (struct fg_net_rule){
			.kind = (enum fg_net_kind)s.kind, .host = r_str(r, s.host),
			.family = (int)s.family, .prefix = s.prefix,
			.unix_path = r_str(r, s.unix_path), .port = s.port, .line = s.line,
			.origin = (enum fg_rule_origin)s.origin,
		};
		memcpy(n->addr, s.addr, sizeof(n->addr));
		if (s.kind > FG_NET_UNIX || (s.kind == FG_NET_HOST && n->host == NULL) ||
		    (s.kind == FG_NET_UNIX && n->unix_path == NULL) ||
		    s.prefix > 128 || s.origin > FG_ORIGIN_DEFAULT)
			r->bad = true;
	}
}

static void r_eps(struct rbuf *r, const struct seal_head *h, struct fg_policy *p)
{
	void *v;

	if (r_array(r, h->ep_off, h->ep_n, sizeof(struct seal_ep), sizeof(struct fg_endpoint), &v) == NULL)
		return;
	p->ep = v;
	p->nep = h->ep_n;
	for (size_t i = 0; i < p->nep && !r->bad; i++) {
		struct seal_ep s;
		struct fg_endpoint *e = &p->ep[i];

		memcpy(&s, r->b + h->ep_off + i * sizeof(s), sizeof(s));
		*e = (struct fg_endpoint){
			.name = r_req(r, s.name), .host = r_req(r, s.host), .port = (uint16_t)s.port,
			.https = s.https != 0, .has_fallback = s.has_fallback != 0,
			.fallback_host = r_str(r, s.fallback_host),
			.fallback_port = (uint16_t)s.fallback_port, .line = s.line,
			.gateway = (s.gw_flags & 1u) != 0, .fallback_tls = (s.gw_flags & 2u) != 0,
			.api_key_x = (s.gw_flags & 4u) != 0,
			.fallback_path = r_str(r, s.fallback_path),
			.api_key_file = r_str(r, s.api_key_file), .ca_file = r_str(r, s.ca_file),
			.gateway_mode = (enum fg_gw_mode)s.gateway_mode,
			.fallback_model = r_str(r, s.fallback_model),
		};
		r_breaker(r, &s.breaker, &e->breaker);
		if (s.gw_flags > 7u || s.gateway_mode > (uint32_t)FG_GWM_NO)
			r->bad = true;
		if (e->has_fallback && e->fallback_host == NULL)
			r->bad = true;
	}
}

/* The path index: adopted from the blob (its arrays stay in the mapping),
 * or built when the blob has none (no path rule at all). */
static int r_index(struct rbuf *r, const struct seal_head *h, struct fg_policy *p)
{
	struct fg_pindex x = { .mask = h->idx_mask, .nnodes = h->idx_n };
	size_t nslots = (size_t)h->idx_mask + 1;

	if (h->idx_n == 0)
		return fg_path_index_build(p);
	if (h->idx_lenbits < sizeof(struct seal_head) || h->idx_slots < sizeof(struct seal_head) ||
	    h->idx_nodes < sizeof(struct seal_head) || r->size < sizeof(x.lenbits) ||
	    nslots > r->size / sizeof(uint32_t) ||
	    h->idx_n > r->size / sizeof(struct fg_pindex_node) ||
	    h->idx_lenbits > r->size - sizeof(x.lenbits) ||
	    h->idx_slots > r->size - nslots * sizeof(uint32_t) ||
	    h->idx_nodes > r->size - (size_t)h->idx_n * sizeof(struct fg_pindex_node) ||
	    (h->idx_slots | h->idx_nodes) % 8 != 0)
		return -EBADMSG;
	memcpy(x.lenbits, r->b + h->idx_lenbits, sizeof(x.lenbits));
	x.slots = (const uint32_t *)(const void *)(r->b + h->idx_slots);
	x.nodes = (const struct fg_pindex_node *)(const void *)(r->b + h->idx_nodes);
	return fg_path_index_adopt(p, &x);
}

/* The policy of a checked blob; r->bad when an offset or value is wrong. */
static void r_policy(struct rbuf *r, const struct seal_head *h, struct fg_policy *p)
{
	p->file = r_req(r, h->file);
	p->root = r_req(r, h->root);
	p->agent_id = r_str(r, h->agent_id);
	p->fs.mode = (enum fg_mode)h->fs_mode;
	p->fs.system = h->fs_system != 0;
	p->fs.kernel = (enum fg_kernel)h->fs_kernel;
	p->fs.unconfined_exec = h->fs_unconfined_exec != 0;
	p->fs.line = h->fs_line;
	r_paths(r, h, 0, &p->fs.read);
	r_paths(r, h, 1, &p->fs.write);
	r_paths(r, h, 2, &p->fs.deny);
	p->net.mode = (enum fg_mode)h->net_mode;
	p->net.dns = h->net_dns != 0;
	p->net.line = h->net_line;
	r_nets(r, h, p);
	r_breaker(r, &h->breaker, &p->breaker);
	r_eps(r, h, p);
	p->audit.log = r_req(r, h->log);
	p->audit.events = (enum fg_events)h->events;
	p->audit.fsync = (enum fg_fsync)h->fsync;
	p->audit.on_failure = (enum fg_on_failure)h->on_failure;
	p->audit.key_file = r_str(r, h->key_file);
	p->audit.max_size = h->max_size;
	p->audit.state_dir = r_str(r, h->audit_state_dir);
	p->audit.witness = r_str(r, h->witness);
	p->audit.forward = r_str(r, h->forward);
	p->audit.checkpoint_every = h->checkpoint_every;
	p->audit.daemon_user = r_str(r, h->daemon_user);
	p->audit.daemon_uid = h->daemon_uid == UINT32_MAX ? -1 : (long)h->daemon_uid;
	p->root_defaulted = (h->defaulted & 1u) != 0;
	p->audit.log_defaulted = (h->defaulted & 2u) != 0;
	p->audit.log_canonical = (h->defaulted & 4u) != 0;
	if (h->fs_mode > FG_MODE_OFF || h->net_mode > FG_MODE_OFF || h->fs_kernel > FG_KERNEL_OFF ||
	    h->events > FG_EVENTS_DENIED || h->fsync > FG_FSYNC_NEVER ||
	    h->on_failure > FG_ONFAIL_ALLOW || (p->file != NULL && p->file[0] != '/'))
		r->bad = true;
}

/* Is fd a memfd of ours with exactly the seals?  0 or -errno, why set.
 * The seals alone prove a memfd: every other file that takes seals (tmpfs,
 * hugetlbfs) is born with F_SEAL_SEAL, so none can gain F_SEAL_WRITE and
 * the rest; only memfd_create(MFD_ALLOW_SEALING) makes one that can (its
 * /proc/self/fd name, read here before, cost every process a system call). */
static int seal_check_fd(int fd, struct stat *st, char *why, size_t whylen)
{
	int seals = fcntl(fd, F_GET_SEALS);

	if (seals < 0 && errno == EBADF) {
		snprintf(why, whylen, "no sealed policy at descriptor %d", fd);
		return -EBADF;
	}
	if (seals < 0) {
		snprintf(why, whylen, "descriptor %d is not a sealed memfd", fd);
		return -EINVAL;
	}
	if (seals != FG_SEAL_SEALS) {
		snprintf(why, whylen, "descriptor %d carries seals %#x, not %#x", fd,
			 (unsigned)seals, (unsigned)FG_SEAL_SEALS);
		return -EINVAL;
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode) ||
	    st->st_size < (off_t)sizeof(struct seal_head) || st->st_size > FG_SEAL_MAX_SIZE) {
		snprintf(why, whylen, "sealed policy at descriptor %d has a wrong size", fd);
		return -EBADMSG;
	}
	return 0;
}

/* Check the header of the mapped blob: 0 or -errno, why set. */
static int seal_check_head(const struct rbuf *r, struct seal_head *h, char *why, size_t whylen)
{
	memcpy(h, r->b, sizeof(*h));
	if (memcmp(h->magic, SEAL_MAGIC, sizeof(h->magic)) != 0) {
		snprintf(why, whylen, "sealed policy has no fleetguard header");
		return -EBADMSG;
	}
	if (h->version != FG_SEAL_VERSION) {
		snprintf(why, whylen, "sealed policy has format version %u, this library reads %u",
			 h->version, FG_SEAL_VERSION);
		return -EPROTO;
	}
	if (h->size != r->size ||
	    h->sum != seal_sum(r->b + offsetof(struct seal_head, sum) + 8,
			       r->size - offsetof(struct seal_head, sum) - 8)) {
		snprintf(why, whylen, "sealed policy fails its checksum");
		return -EBADMSG;
	}
	return 0;
}

int fg_seal_canonical_log(struct fg_policy *p)
{
	const char *log = p->audit.log, *slash = log != NULL ? strrchr(log, '/') : NULL;
	char dir[PATH_MAX], *real, *path;
	size_t dlen, blen;

	if (slash == NULL || log[0] != '/' || (size_t)(slash - log) >= sizeof(dir))
		return 0;
	dlen = slash == log ? 1 : (size_t)(slash - log);
	memcpy(dir, log, dlen);
	dir[dlen] = '\0';
	real = realpath(dir, NULL);
	if (real == NULL)
		return 0;       /* not there yet: each process resolves it */
	dlen = strcmp(real, "/") == 0 ? 0 : strlen(real);
	blen = strlen(slash + 1);
	path = dlen + 1 + blen < PATH_MAX ? malloc(dlen + 1 + blen + 1) : NULL;
	if (path == NULL) {
		free(real);
		return dlen + 1 + blen < PATH_MAX ? -ENOMEM : 0;
	}
	memcpy(path, real, dlen);
	path[dlen] = '/';
	memcpy(path + dlen + 1, slash + 1, blen + 1);
	free(real);
	free(p->audit.log);
	p->audit.log = path;
	p->audit.log_canonical = true;
	return 0;
}

int fg_seal_open(int fd, struct fg_policy **out, const char **sha256, char *why, size_t whylen)
{
	struct seal_head h;
	struct sealed *s;
	struct stat st;
	struct rbuf r = { 0 };
	void *map;
	int rc;

	*out = NULL;
	rc = seal_check_fd(fd, &st, why, whylen);
	if (rc < 0)
		return rc;
	/* populated: every page is read below, and on a virtual machine a
	 * fault per page costs more than the kernel mapping them at once */
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (map == MAP_FAILED) {
		rc = -errno;
		snprintf(why, whylen, "cannot map the sealed policy: %s", strerror(-rc));
		return rc;
	}
	r = (struct rbuf){ .b = map, .size = (size_t)st.st_size };
	rc = seal_check_head(&r, &h, why, whylen);
	if (rc < 0)
		goto out_unmap;
	s = fg_arena_calloc(1, sizeof(*s));
	if (s == NULL) {
		rc = -ENOMEM;
		snprintf(why, whylen, "out of memory");
		goto out_unmap;
	}
	s->map = map;
	s->size = r.size;
	r_policy(&r, &h, &s->p);
	if (!r.bad && r_index(&r, &h, &s->p) < 0)
		r.bad = true;
	if (r.bad) {
		fg_seal_close(&s->p);
		snprintf(why, whylen, "sealed policy is malformed");
		return -EBADMSG;
	}
	if (sha256 != NULL)
		*sha256 = h.sha256 ? r_str(&r, h.sha256) : "";
	*out = &s->p;
	return 0;

out_unmap:
	munmap(map, r.size);
	return rc;
}

void fg_seal_close(struct fg_policy *p)
{
	struct sealed *s = (struct sealed *)p;

	if (p == NULL)
		return;
	fg_path_index_free(p->index);
	fg_arena_free(p->fs.read.v);
	fg_arena_free(p->fs.write.v);
	fg_arena_free(p->fs.deny.v);
	fg_arena_free(p->net.allow);
	fg_arena_free(p->ep);
	munmap(s->map, s->size);
	fg_arena_free(s);
}
