/* parse_net.c - the syntax of network values: addresses, host names, host:port, allow rules, endpoint addresses.
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

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/parse_int.h"
#include "policy/policy_int.h"

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

/* A host name without its trailing dot, in lower case; NULL: out of memory. */
static char *host_lower(const char *h, size_t n)
{
	char *r = strndup(h, n - (h[n - 1] == '.'));

	if (r)
		for (char *c = r; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	return r;
}

struct hostport {
	const char *host;
	size_t hlen;
	bool bracketed;
	int port;              /* -1 for '*' */
};

/* "[v6]:port" or "[v6/len]:port" or "[v6]/len:port": sets host; *colon the ':'. */
static bool split_bracketed(struct pstate *st, unsigned line, const char *key, const char *s,
			    bool star_ok, struct hostport *hp, const char **colon)
{
	const char *close = strchr(s, ']'), *c;

	if (!close) {
		fg_parse_diag(st, line, "%s: missing ']' in '%s'", key, s);
		return false;
	}
	hp->host = s + 1;
	hp->hlen = (size_t)(close - s - 1);
	c = close + 1;
	if (*c == '/') {                /* "[2001:db8::]/32:443" */
		while (*c && *c != ':')
			c++;
		hp->hlen = (size_t)(c - hp->host);
	}
	if (*c != ':') {
		fg_parse_diag(st, line, "%s: missing port in '%s' (write [address]:port%s)", key, s,
			      star_ok ? " or [address]:*" : "");
		return false;
	}
	*colon = c;
	return true;
}

/* A pasted URL ("http://127.0.0.1:18080/v1"): say what to write instead,
 * its host and port (the scheme's default port when it has none). */
static void url_diag(struct pstate *st, unsigned line, const char *key, const char *s)
{
	const char *a = strstr(s, "://") + 3, *at;
	size_t n = strcspn(a, "/?#"), sl = (size_t)(strstr(s, "://") - s);
	const char *dflt = sl == 5 && strncasecmp(s, "https", 5) == 0 ? "443" :
			   sl == 4 && strncasecmp(s, "http", 4) == 0 ? "80" : NULL;
	bool has_port;

	at = memchr(a, '@', n);
	if (at != NULL) {       /* user:password@ never belongs in a rule */
		n -= (size_t)(at + 1 - a);
		a = at + 1;
	}
	has_port = n > 0 && (a[0] == '[' ? memchr(a, ']', n) != NULL &&
				  ((const char *)memchr(a, ']', n))[1] == ':' :
				  memchr(a, ':', n) != NULL);
	if (n == 0 || (!has_port && dflt == NULL))
		fg_parse_diag(st, line, "%s: '%s' is a URL; write host:port", key, s);
	else
		fg_parse_diag(st, line, "%s: '%s' is a URL; write host:port: %.*s%s%s", key, s, (int)n, a,
			      has_port ? "" : ":", has_port ? "" : dflt);
}

/* "host:port", "[v6]:port", "[v6/len]:port", "a.b.c.d/len:port". */
static bool split_hostport(struct pstate *st, unsigned line, const char *key, const char *s,
			   bool star_ok, struct hostport *hp)
{
	const char *colon, *ps;
	uint64_t port;

	if (strstr(s, "://") != NULL) {
		url_diag(st, line, key, s);
		return false;
	}
	hp->bracketed = s[0] == '[';
	if (hp->bracketed) {
		if (!split_bracketed(st, line, key, s, star_ok, hp, &colon))
			return false;
	} else {
		colon = strrchr(s, ':');
		if (!colon) {
			fg_parse_diag(st, line, "%s: missing port in '%s' (write host:port%s)", key, s,
				      star_ok ? " or host:*" : "");
			return false;
		}
		hp->host = s;
		hp->hlen = (size_t)(colon - s);
		if (memchr(s, ':', hp->hlen)) {
			fg_parse_diag(st, line,
				      "%s: IPv6 address in '%s' must be in brackets: [address]:port", key, s);
			return false;
		}
	}
	ps = colon + 1;
	if (star_ok && !strcmp(ps, "*")) {
		hp->port = -1;
	} else if (!fg_parse_uint(ps, 1, 65535, &port)) {
		fg_parse_diag(st, line, "%s: port must be 1..65535%s, not '%s' in '%s'", key,
			      star_ok ? " or *" : "", ps, s);
		return false;
	} else {
		hp->port = (int)port;
	}
	if (!hp->hlen) {
		fg_parse_diag(st, line, "%s: missing host in '%s'", key, s);
		return false;
	}
	return true;
}

/* "unix:/path" or "unix:@abstract" into *r. */
static bool unix_rule(struct pstate *st, const struct entry *e, const char *item,
		      struct fg_net_rule *r)
{
	const char *u = item + 5;

	r->kind = FG_NET_UNIX;
	r->port = -1;
	if (u[0] == '@') {
		if (!u[1] || strlen(u) > 107) {
			fg_parse_diag(st, e->line,
				      "allow: abstract socket name in '%s' must be 1..106 bytes", item);
			return false;
		}
		r->unix_path = strdup(u);
	} else {
		r->unix_path = fg_parse_make_path(st, e->line, "allow", u);
		if (!r->unix_path)
			return false;
		if (strlen(r->unix_path) > 107) {
			fg_parse_diag(st, e->line, "allow: socket path '%s' is longer than 107 bytes", u);
			free(r->unix_path);
			r->unix_path = NULL;
			return false;
		}
	}
	if (!r->unix_path) {
		st->oom = true;
		return false;
	}
	return true;
}

/* "a.b.c.d/len:port" or "[v6]/len:port" (slash inside hp): a network. */
static bool cidr_rule(struct pstate *st, const struct entry *e, const char *item,
		      const struct hostport *hp, const char *slash, struct fg_net_rule *r)
{
	size_t alen = (size_t)(slash - hp->host), plen = hp->hlen - alen - 1;
	char pfx[8];
	uint64_t prefix;
	unsigned maxp;

	r->family = fg_addr_literal(hp->host, alen, r->addr);
	if (hp->bracketed && alen && hp->host[alen - 1] == ']')  /* "[v6]/len" form */
		r->family = fg_addr_literal(hp->host, alen - 1, r->addr);
	if (!r->family || (r->family == AF_INET6 && !hp->bracketed) ||
	    (r->family == AF_INET && hp->bracketed)) {
		fg_parse_diag(st, e->line, "allow: '%.*s' is not an IPv4 or [IPv6] network",
			      (int)hp->hlen, hp->host);
		return false;
	}
	maxp = r->family == AF_INET ? 32 : 128;
	if (plen >= sizeof(pfx) || !plen) {
		fg_parse_diag(st, e->line, "allow: bad prefix length in '%s'", item);
		return false;
	}
	memcpy(pfx, slash + 1, plen);
	pfx[plen] = '\0';
	if (!fg_parse_uint(pfx, 0, maxp, &prefix)) {
		fg_parse_diag(st, e->line, "allow: prefix length must be 0..%u, not '%s' in '%s'",
			      maxp, pfx, item);
		return false;
	}
	r->kind = FG_NET_CIDR;
	r->prefix = (unsigned)prefix;
	for (unsigned bit = r->prefix; bit < maxp; bit++) {
		if (r->addr[bit / 8] & (0x80u >> (bit % 8))) {
			fg_parse_diag(st, e->line, "allow: '%.*s' has host bits set beyond /%u",
				      (int)hp->hlen, hp->host, r->prefix);
			return false;
		}
	}
	return true;
}

/* "host:port" with a literal address or a DNS name. */
static bool host_rule(struct pstate *st, const struct entry *e, const char *item,
		      const struct hostport *hp, struct fg_net_rule *r)
{
	r->family = fg_addr_literal(hp->host, hp->hlen, r->addr);
	if (r->family) {
		if ((r->family == AF_INET6) != hp->bracketed) {
			fg_parse_diag(st, e->line,
				      "allow: '%s': IPv6 addresses and only they go in brackets", item);
			return false;
		}
		r->kind = FG_NET_CIDR;
		r->prefix = r->family == AF_INET ? 32 : 128;
		return true;
	}
	if (hp->bracketed) {
		fg_parse_diag(st, e->line, "allow: '%.*s' is not an IPv6 address", (int)hp->hlen, hp->host);
		return false;
	}
	if (hp->hlen == 1 && hp->host[0] == '*') {
		fg_parse_diag(st, e->line,
			      "allow: wildcard hosts are not supported in '%s' (use 0.0.0.0/0:port and [::/0]:port for any address)",
			      item);
		return false;
	}
	if (!valid_hostname(hp->host, hp->hlen)) {
		fg_parse_diag(st, e->line, "allow: invalid host name '%.*s'", (int)hp->hlen, hp->host);
		return false;
	}
	r->kind = FG_NET_HOST;
	r->host = host_lower(hp->host, hp->hlen);
	if (!r->host) {
		st->oom = true;
		return false;
	}
	return true;
}

bool fg_parse_net_item(struct pstate *st, const struct entry *e, char *item, void *arg)
{
	struct fg_net_rule r = { 0 };
	struct hostport hp;
	const char *slash;
	bool ok;
	(void)arg;

	r.line = e->line;
	r.origin = FG_ORIGIN_POLICY;
	if (!strncmp(item, "unix:", 5)) {
		ok = unix_rule(st, e, item, &r);
	} else if (!split_hostport(st, e->line, "allow", item, true, &hp)) {
		return false;
	} else {
		r.port = hp.port;
		slash = memchr(hp.host, '/', hp.hlen);
		ok = slash ? cidr_rule(st, e, item, &hp, slash, &r) : host_rule(st, e, item, &hp, &r);
	}
	if (!ok)
		return false;
	if (!fg_parse_add_net_rule(st, &r)) {
		free(r.host);
		free(r.unix_path);
		return false;
	}
	return true;
}

bool fg_parse_endpoint_addr(struct pstate *st, const struct entry *e, const char *v,
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
			fg_parse_diag(st, e->line,
				      "%s: '%s': IPv6 addresses and only they go in brackets", e->key, v);
			return false;
		}
		inet_ntop(fam, a, buf, sizeof(buf));
		*host = strdup(buf);
	} else {
		if (hp.bracketed || !valid_hostname(hp.host, hp.hlen)) {
			fg_parse_diag(st, e->line, "%s: invalid host '%.*s'", e->key, (int)hp.hlen, hp.host);
			return false;
		}
		*host = host_lower(hp.host, hp.hlen);
	}
	if (!*host) {
		st->oom = true;
		return false;
	}
	if (strlen(*host) + (fam == AF_INET6 ? 2 : 0) + 6 > FG_POLICY_MAX_EP_ADDR) {
		fg_parse_diag(st, e->line, "%s: '%s' is too long (host:port at most %d bytes)", e->key, v,
			      FG_POLICY_MAX_EP_ADDR);
		free(*host);
		*host = NULL;
		return false;
	}
	*port = (uint16_t)hp.port;
	return true;
}

int fg_policy_add_net(struct fg_policy *p, const struct fg_net_rule *r)
{
	size_t n = p->net.nallow;
	struct fg_net_rule *v;

	/* a sealed policy's rules sit in the arena, which never reallocates:
	 * they are copied out (the arena's bytes are never reclaimed) */
	if (fg_arena_owns(p->net.allow)) {
		v = malloc((n + 1) * sizeof(*v));
		if (v != NULL)
			memcpy(v, p->net.allow, n * sizeof(*v));
	} else {
		v = realloc(p->net.allow, (n + 1) * sizeof(*v));
	}
	if (v == NULL)
		return -ENOMEM;
	p->net.allow = v;
	v[p->net.nallow++] = *r;
	return 0;
}

bool fg_parse_add_net_rule(struct pstate *st, const struct fg_net_rule *r)
{
	if (fg_policy_add_net(st->p, r) < 0) {
		st->oom = true;
		return false;
	}
	return true;
}
