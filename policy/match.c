/* match.c - decisions against a loaded policy.
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
 * Path decisions run on every intercepted file call, so they are built for
 * speed.  At load time every distinct rule path becomes a node in an
 * open-addressing hash table, and each node is given, once, the nearest
 * deny, write and read rule among itself and its ancestors.  Since deny
 * beats write beats read whatever the depth, the deepest node that is a
 * component prefix of the asked path decides alone.  A lookup visits, longest
 * first, only the lengths some rule has (a bitmap), and hashes a prefix only
 * when the path has a '/' there: tens of nanoseconds for hundreds of rules,
 * no allocation, no lock, no system call.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include "policy/policy.h"
#include "policy/policy_int.h"

#define LENBITS 4096u           /* prefix lengths are filtered modulo this */

struct pnode {
	const char *path;
	size_t len;
	uint64_t hash;
	const struct fg_path_rule *deny, *write, *read; /* nearest of each kind */
	const struct fg_path_rule *any;                 /* nearest of write or read */
};

struct fg_path_index {
	uint64_t lenbits[LENBITS / 64];
	uint32_t mask;
	const uint32_t *slots;  /* node index + 1; 0 is empty */
	uint32_t *own;          /* slots when built here, NULL when they lie in a seal */
	struct pnode *nodes;
	size_t nnodes;
	const struct fg_path_list *deny;
};

static inline uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

static inline uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n, w;

	while (n >= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
		h ^= h >> 29;
		s += 8;
		n -= 8;
	}
	w = 0;
	for (size_t i = 0; i < n; i++)
		w |= (uint64_t)(unsigned char)s[i] << (8 * i);
	return mix(h ^ w);
}

static inline bool len_bit(const struct fg_path_index *x, size_t len)
{
	size_t b = len % LENBITS;

	return (x->lenbits[b / 64] >> (b % 64)) & 1u;
}

static inline const struct pnode *lookup(const struct fg_path_index *x, const char *s, size_t n)
{
	uint64_t h = hash_bytes(s, n);
	uint32_t i = (uint32_t)h & x->mask, slot;

	while ((slot = x->slots[i])) {
		const struct pnode *nd = &x->nodes[slot - 1];

		if (nd->hash == h && nd->len == n && !memcmp(nd->path, s, n))
			return nd;
		i = (i + 1) & x->mask;
	}
	return NULL;
}

bool fg_path_within(const char *tree, size_t tlen, const char *path, size_t plen)
{
	if (tlen == 1 && tree[0] == '/')
		return plen >= 1 && path[0] == '/';
	return plen >= tlen && !memcmp(tree, path, tlen) && (plen == tlen || path[tlen] == '/');
}

#ifdef FG_COVERAGE_DIR
bool fg_coverage_path(const char *path, size_t len)
{
	return fg_path_within(FG_COVERAGE_DIR, sizeof(FG_COVERAGE_DIR) - 1, path, len);
}
#endif

void fg_path_index_free(struct fg_path_index *idx)
{
	if (!idx)
		return;
	fg_arena_free(idx->own);
	fg_arena_free(idx->nodes);
	fg_arena_free(idx);
}

/* Is b nearer (deeper) than a?  Both are ancestors-or-self of one node. */
static const struct fg_path_rule *nearer(const struct fg_path_rule *a, const struct fg_path_rule *b)
{
	return !a || (b && b->len > a->len) ? b : a;
}

int fg_path_index_build(struct fg_policy *p)
{
	const struct fg_path_list *lists[3] = { &p->fs.deny, &p->fs.write, &p->fs.read };
	struct fg_path_index *x;
	size_t total = 0, size = 16;

	for (int k = 0; k < 3; k++)
		total += lists[k]->n;
	while (size < total * 2 + 2)
		size *= 2;
	if (size > UINT32_MAX / 2)
		return -ENOMEM;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->slots = x->own = calloc(size, sizeof(*x->own));
	x->nodes = calloc(total ? total : 1, sizeof(*x->nodes));
	if (!x->own || !x->nodes) {
		fg_path_index_free(x);
		return -ENOMEM;
	}
	x->mask = (uint32_t)size - 1;
	x->deny = &p->fs.deny;

	/* one node per distinct path */
	for (int k = 0; k < 3; k++) {
		for (size_t i = 0; i < lists[k]->n; i++) {
			const struct fg_path_rule *r = &lists[k]->v[i];
			uint64_t h = hash_bytes(r->path, r->len);
			uint32_t j = (uint32_t)h & x->mask;

			if (lookup(x, r->path, r->len))
				continue;
			while (x->slots[j])
				j = (j + 1) & x->mask;
			x->nodes[x->nnodes] = (struct pnode){ .path = r->path, .len = r->len, .hash = h };
			x->own[j] = (uint32_t)++x->nnodes;
			x->lenbits[(r->len % LENBITS) / 64] |= 1ull << ((r->len % LENBITS) % 64);
		}
	}
	/* each node learns the nearest rule of each kind above or at it */
	for (size_t n = 0; n < x->nnodes; n++) {
		struct pnode *nd = &x->nodes[n];

		for (int k = 0; k < 3; k++) {
			for (size_t i = 0; i < lists[k]->n; i++) {
				const struct fg_path_rule *r = &lists[k]->v[i];

				if (!fg_path_within(r->path, r->len, nd->path, nd->len))
					continue;
				if (k == 0)
					nd->deny = nearer(nd->deny, r);
				else if (k == 1)
					nd->write = nearer(nd->write, r);
				else
					nd->read = nearer(nd->read, r);
			}
		}
		nd->any = nearer(nd->read, nd->write);
	}
	p->index = x;
	return 0;
}

/* --- the index as plain data (sealed with the policy) ---------------------- */

_Static_assert(sizeof(((struct fg_pindex *)0)->lenbits) ==
	       sizeof(((struct fg_path_index *)0)->lenbits), "lenbits differ");

static const struct fg_path_list *pi_list(const struct fg_policy *p, unsigned k)
{
	return k == 0 ? &p->fs.deny : k == 1 ? &p->fs.write : &p->fs.read;
}

/* A rule as (list << 24 | index) + 1, 0 for none. */
static uint32_t pi_ref(const struct fg_policy *p, const struct fg_path_rule *r)
{
	for (unsigned k = 0; r != NULL && k < 3; k++) {
		const struct fg_path_list *l = pi_list(p, k);

		if (l->n > 0 && r >= l->v && r < l->v + l->n)
			return (k << 24 | (uint32_t)(r - l->v)) + 1;
	}
	return 0;
}

/* The rule a reference names, or NULL; *bad when it names none there is. */
static const struct fg_path_rule *pi_rule(const struct fg_policy *p, uint32_t ref, bool *bad)
{
	const struct fg_path_list *l;

	if (ref-- == 0)
		return NULL;
	l = pi_list(p, ref >> 24);
	if ((ref >> 24) > 2 || (ref & 0xffffffu) >= l->n) {
		*bad = true;
		return NULL;
	}
	return &l->v[ref & 0xffffffu];
}

void fg_path_index_export(const struct fg_policy *p, struct fg_pindex *out)
{
	const struct fg_path_index *x = p->index;

	memset(out, 0, sizeof(*out));
	if (!x)
		return;
	memcpy(out->lenbits, x->lenbits, sizeof(out->lenbits));
	out->mask = x->mask;
	out->nnodes = (uint32_t)x->nnodes;
	out->slots = x->slots;
}

void fg_path_index_export_node(const struct fg_policy *p, size_t i, struct fg_pindex_node *o)
{
	const struct pnode *nd = &p->index->nodes[i];
	const struct fg_path_list *lists[3] = { &p->fs.deny, &p->fs.write, &p->fs.read };

	*o = (struct fg_pindex_node){
		.hash = nd->hash, .len = (uint32_t)nd->len, .deny = pi_ref(p, nd->deny),
		.write = pi_ref(p, nd->write), .read = pi_ref(p, nd->read), .any = pi_ref(p, nd->any),
	};
	/* the node's path is the path of some rule: name the first */
	for (unsigned k = 0; k < 3 && o->path == 0; k++)
		for (size_t j = 0; j < lists[k]->n && o->path == 0; j++)
			if (lists[k]->v[j].path == nd->path)
				o->path = (k << 24 | (uint32_t)j) + 1;
}

int fg_path_index_adopt(struct fg_policy *p, const struct fg_pindex *in)
{
	struct fg_path_index *x;
	bool bad = false;

	if (in->nnodes == 0 || in->mask == 0 || (in->mask & (in->mask + 1)) != 0 ||
	    in->nnodes > in->mask)
		return -EBADMSG;
	x = fg_arena_calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->nodes = fg_arena_calloc(in->nnodes, sizeof(*x->nodes));
	if (!x->nodes) {
		fg_arena_free(x);
		return -ENOMEM;
	}
	memcpy(x->lenbits, in->lenbits, sizeof(x->lenbits));
	x->mask = in->mask;
	x->slots = in->slots;
	x->nnodes = in->nnodes;
	x->deny = &p->fs.deny;
	/* slots name nodes, one each, and leave one empty at least (a lookup
	 * of a path not in the index stops at an empty slot) */
	for (uint32_t i = 0, used = 0; i <= in->mask && !bad; i++) {
		used += in->slots[i] != 0;
		bad = in->slots[i] > in->nnodes || used > in->nnodes;
	}
	for (size_t i = 0; i < x->nnodes && !bad; i++) {
		const struct fg_pindex_node *o = &in->nodes[i];
		const struct fg_path_rule *r = pi_rule(p, o->path, &bad);
		struct pnode *nd = &x->nodes[i];

		if (r == NULL || r->len != o->len || hash_bytes(r->path, r->len) != o->hash) {
			bad = true;
			break;
		}
		*nd = (struct pnode){
			.path = r->path, .len = r->len, .hash = o->hash,
			.deny = pi_rule(p, o->deny, &bad), .write = pi_rule(p, o->write, &bad),
			.read = pi_rule(p, o->read, &bad), .any = pi_rule(p, o->any, &bad),
		};
	}
	/* every node is found where the slots say, and nowhere else */
	for (size_t i = 0; i < x->nnodes && !bad; i++)
		bad = lookup(x, x->nodes[i].path, x->nodes[i].len) != &x->nodes[i] ||
		      !len_bit(x, x->nodes[i].len);
	if (bad) {
		fg_path_index_free(x);
		return -EBADMSG;
	}
	p->index = x;
	return 0;
}

static const char *const fg_reasons[FG_R_COUNT] = {
	[FG_R_NONE] = "denied",
	[FG_R_ALLOWED_BY_RULE] = "allowed by rule",
	[FG_R_NOT_ABSOLUTE] = "not an absolute path",
	[FG_R_NOT_IN_TREE] = "not in an allowed tree",
	[FG_R_DENIED_BY_RULE] = "denied by rule",
	[FG_R_MOVES_DENIED_TREE] = "would move or remove a denied tree",
	[FG_R_READ_ONLY] = "read-only tree",
	[FG_R_BAD_ADDRESS] = "bad address",
	[FG_R_UNNAMED_SOCKET] = "unnamed socket",
	[FG_R_RELATIVE_SOCKET] = "relative socket path",
	[FG_R_BAD_SOCKET_PATH] = "bad socket path",
	[FG_R_NO_SOCKET_RULE] = "no allow rule for socket",
	[FG_R_UNSUPPORTED_FAMILY] = "unsupported address family",
	[FG_R_NO_ADDRESS_RULE] = "no allow rule for address",
	[FG_R_NO_HOST] = "no host",
	[FG_R_NO_HOST_RULE] = "host name not in [network] allow",
	[FG_R_OWN_FILE] = "fleetguard's own file",
	[FG_R_ABOVE_OWN_FILES] = "would move or remove fleetguard's own files",
	[FG_R_MODE_OFF] = "[filesystem] mode = off",
	[FG_R_ANCESTOR] = "ancestor of an allowed tree",
	[FG_R_NAME_SERVER] = "name server",
	[FG_R_EXEC_SETID] = "setuid/setgid program, which the preloaded library cannot follow",
	[FG_R_EXEC_CAPS] = "program with file capabilities, which the preloaded library cannot follow",
	[FG_R_EXEC_STATIC] = "static binary, which the preloaded library cannot follow",
	[FG_R_EXEC_STATIC_INTERP] = "program whose interpreter is a static binary, which the preloaded library cannot follow",
	[FG_R_EXEC_BAD_INTERP] = "program with an unreadable ELF interpreter",
	[FG_R_EXEC_DEEP_CHAIN] = "chain of interpreters deeper than the kernel follows",
	[FG_R_EXEC_NO_NAME] = "program with no name in the file system (memfd or deleted file)",
	[FG_R_UNCONFINED_EXEC] = "unconfined_exec = allow",
	[FG_R_SPAWN_RELATIVE_OPEN] = "relative open after a change of directory in the spawn actions",
	[FG_R_KERNEL_REFUSED] = "refused by the kernel (landlock)",
	[FG_R_GATEWAY_BUNDLE] = "the gateway's trust bundle",
#ifdef FG_COVERAGE_DIR
	[FG_R_COVERAGE_DATA] = "coverage data (a --enable-coverage build)",
#endif
};

const char *fg_reason_text(enum fg_reason r)
{
	return (unsigned)r < FG_R_COUNT && fg_reasons[r] != NULL ? fg_reasons[r] : "denied";
}

static bool verdict(const struct fg_policy *p, struct fg_verdict *v, bool allow,
		    const struct fg_path_rule *r, enum fg_reason why)
{
	if (v) {
		v->allow = allow;
		v->line = r ? r->line : 0;
		v->origin = r ? r->origin : FG_ORIGIN_POLICY;
		v->file = p ? p->file : NULL;
		v->why = why;
	}
	return allow;
}

/* The deepest rule node that is a component prefix of path (len >= 1). */
static const struct pnode *deepest(const struct fg_path_index *x, const char *path, size_t len)
{
	const struct pnode *nd;
	size_t top;

	if (len_bit(x, len) && (nd = lookup(x, path, len)))
		return nd;
	if (len >= LENBITS) {
		/* beyond the bitmap's range: every boundary is a candidate */
		for (size_t i = len - 1; i > 1; i--)
			if (path[i] == '/' && len_bit(x, i) && (nd = lookup(x, path, i)))
				return nd;
		return len_bit(x, 1) ? lookup(x, path, 1) : NULL;
	}
	/* Visit the rule lengths below len, longest first: few, and each costs a
	 * byte compare unless it falls on a '/' of path. */
	top = len - 1;
	for (size_t w = top / 64 + 1; w-- > 0;) {
		uint64_t m = x->lenbits[w];

		if (w == top / 64 && top % 64 != 63)
			m &= (2ull << (top % 64)) - 1;
		while (m) {
			unsigned b = 63u - (unsigned)__builtin_clzll(m);
			size_t l = w * 64 + b;

			m &= ~(1ull << b);
			if (l == 1 || (l > 1 && path[l] == '/')) {
				nd = lookup(x, path, l);
				if (nd)
					return nd;
			}
		}
	}
	return NULL;
}

bool fg_policy_path(const struct fg_policy *p, const char *path, size_t len,
		    unsigned access, struct fg_verdict *v)
{
	const struct fg_path_index *x = p->index;
	const struct pnode *nd;

	if (!x || !len || path[0] != '/')
		return verdict(p, v, false, NULL, FG_R_NOT_ABSOLUTE);
	nd = deepest(x, path, len);
	if (!nd)
		return verdict(p, v, false, NULL, FG_R_NOT_IN_TREE);
	if (nd->deny)
		return verdict(p, v, false, nd->deny, FG_R_DENIED_BY_RULE);
	if (access & FG_ACC_MOVE) {
		/* moving or removing a directory above a deny tree takes the tree with it */
		for (size_t k = 0; k < x->deny->n; k++) {
			const struct fg_path_rule *r = &x->deny->v[k];

			if (r->len > len && fg_path_within(path, len, r->path, r->len))
				return verdict(p, v, false, r, FG_R_MOVES_DENIED_TREE);
		}
	}
	if (access & (FG_ACC_WRITE | FG_ACC_MOVE)) {
		if (nd->write)
			return verdict(p, v, true, nd->write, FG_R_ALLOWED_BY_RULE);
		return verdict(p, v, false, nd->read, FG_R_READ_ONLY);
	}
	return verdict(p, v, true, nd->any, FG_R_ALLOWED_BY_RULE);
}

long fg_path_normalize(const char *in, char *out, size_t outlen)
{
	size_t o = 0;
	const char *s = in;

	if (!in || in[0] != '/')
		return -EINVAL;
	if (outlen < 2)
		return -ENAMETOOLONG;
	out[o++] = '/';
	while (*s) {
		const char *c;
		size_t n;

		while (*s == '/')
			s++;
		if (!*s)
			break;
		c = s;
		while (*s && *s != '/')
			s++;
		n = (size_t)(s - c);
		if (n == 1 && c[0] == '.')
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			while (o > 1 && out[o - 1] != '/')
				o--;
			if (o > 1)
				o--;    /* the '/' before the dropped component */
			continue;
		}
		if (o + (o > 1) + n + 1 > outlen)
			return -ENAMETOOLONG;
		if (o > 1)
			out[o++] = '/';
		memcpy(out + o, c, n);
		o += n;
	}
	out[o] = '\0';
	return (long)o;
}

/* ------------------------------------------------------------------------ */
/* network */

bool fg_host_equal(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);

	if (na && a[na - 1] == '.')
		na--;
	if (nb && b[nb - 1] == '.')
		nb--;
	return na == nb && !strncasecmp(a, b, na);
}

static bool prefix_match(const uint8_t *net, const uint8_t *a, unsigned prefix)
{
	unsigned bytes = prefix / 8, bits = prefix % 8;

	if (memcmp(net, a, bytes) != 0)
		return false;
	if (!bits)
		return true;
	return ((net[bytes] ^ a[bytes]) & (uint8_t)(0xff00u >> bits)) == 0;
}

static bool cidr_covers(const struct fg_net_rule *r, int family, const uint8_t *a)
{
	return r->kind == FG_NET_CIDR && r->family == family && prefix_match(r->addr, a, r->prefix);
}

static bool net_verdict(const struct fg_policy *p, struct fg_verdict *v,
			const struct fg_net_rule *r, enum fg_reason why)
{
	if (v) {
		v->allow = r != NULL;
		v->line = r ? r->line : 0;
		v->origin = r ? r->origin : FG_ORIGIN_POLICY;
		v->file = p ? p->file : NULL;
		v->why = why;
	}
	return r != NULL;
}

bool fg_sockaddr_decode(const struct sockaddr *sa, socklen_t len, struct fg_sockaddr *d)
{
	memset(d, 0, sizeof(*d));
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;

		d->family = AF_INET;
		memcpy(d->a, &in->sin_addr, 4);
		d->port = ntohs(in->sin_port);
		return true;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;

		d->port = ntohs(in6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			d->family = AF_INET;
			memcpy(d->a, in6->sin6_addr.s6_addr + 12, 4);
		} else {
			d->family = AF_INET6;
			memcpy(d->a, &in6->sin6_addr, 16);
		}
		return true;
	}
	return false;
}

bool fg_policy_addr(const struct fg_policy *p, const struct sockaddr *sa, socklen_t salen,
		    const char *host, struct fg_verdict *v)
{
	struct fg_sockaddr d;

	if (!sa || salen < (socklen_t)sizeof(sa_family_t))
		return net_verdict(p, v, NULL, FG_R_BAD_ADDRESS);
	if (sa->sa_family == AF_UNIX) {
		const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
		size_t n = (size_t)salen - offsetof(struct sockaddr_un, sun_path);
		char name[sizeof(un->sun_path) + 2], norm[sizeof(un->sun_path) + 2];
		bool abstract;

		if (n == 0 || n > sizeof(un->sun_path))
			return net_verdict(p, v, NULL, FG_R_UNNAMED_SOCKET);
		abstract = un->sun_path[0] == '\0';
		if (abstract) {
			name[0] = '@';
			memcpy(name + 1, un->sun_path + 1, n - 1);
			name[n] = '\0';
		} else {
			size_t k = strnlen(un->sun_path, n);

			memcpy(name, un->sun_path, k);
			name[k] = '\0';
			if (name[0] != '/')
				return net_verdict(p, v, NULL, FG_R_RELATIVE_SOCKET);
			if (fg_path_normalize(name, norm, sizeof(norm)) < 0)
				return net_verdict(p, v, NULL, FG_R_BAD_SOCKET_PATH);
			memcpy(name, norm, strlen(norm) + 1);
		}
		for (size_t i = 0; i < p->net.nallow; i++) {
			const struct fg_net_rule *r = &p->net.allow[i];

			if (r->kind == FG_NET_UNIX && !strcmp(r->unix_path, name))
				return net_verdict(p, v, r, FG_R_ALLOWED_BY_RULE);
		}
		return net_verdict(p, v, NULL, FG_R_NO_SOCKET_RULE);
	}
	if (!fg_sockaddr_decode(sa, salen, &d))
		return net_verdict(p, v, NULL, FG_R_UNSUPPORTED_FAMILY);
	for (size_t i = 0; i < p->net.nallow; i++) {
		const struct fg_net_rule *r = &p->net.allow[i];

		if (r->port != -1 && r->port != d.port)
			continue;
		if (cidr_covers(r, d.family, d.a))
			return net_verdict(p, v, r, FG_R_ALLOWED_BY_RULE);
		if (host && r->kind == FG_NET_HOST && fg_host_equal(r->host, host))
			return net_verdict(p, v, r, FG_R_ALLOWED_BY_RULE);
	}
	return net_verdict(p, v, NULL, FG_R_NO_ADDRESS_RULE);
}

bool fg_policy_host(const struct fg_policy *p, const char *host, struct fg_verdict *v)
{
	uint8_t a[16];
	size_t n;
	int family;

	if (!host)
		return net_verdict(p, v, NULL, FG_R_NO_HOST);
	n = strlen(host);
	if (n > 2 && host[0] == '[' && host[n - 1] == ']')
		family = fg_addr_literal(host + 1, n - 2, a);
	else
		family = fg_addr_literal(host, n, a);
	for (size_t i = 0; i < p->net.nallow; i++) {
		const struct fg_net_rule *r = &p->net.allow[i];

		if (family ? cidr_covers(r, family, a) :
			     (r->kind == FG_NET_HOST && fg_host_equal(r->host, host)))
			return net_verdict(p, v, r, FG_R_ALLOWED_BY_RULE);
	}
	return net_verdict(p, v, NULL, family ? FG_R_NO_ADDRESS_RULE : FG_R_NO_HOST_RULE);
}

int fg_policy_endpoint(const struct fg_policy *p, const char *host, uint16_t port)
{
	char canon[INET6_ADDRSTRLEN];
	uint8_t a[16];
	size_t n;
	int family;

	if (!host)
		return -1;
	n = strlen(host);
	if (n > 2 && host[0] == '[' && host[n - 1] == ']')
		family = fg_addr_literal(host + 1, n - 2, a);
	else
		family = fg_addr_literal(host, n, a);
	if (family && inet_ntop(family, a, canon, sizeof(canon)))
		host = canon;
	for (size_t i = 0; i < p->nep; i++)
		if (p->ep[i].port == port && p->ep[i].host && fg_host_equal(p->ep[i].host, host))
			return (int)i;
	return -1;
}
