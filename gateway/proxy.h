/* proxy.h - the gateway's event loop: endpoints, connections, one request at a time.
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
 * One thread, one epoll set, non-blocking sockets.  Each client connection
 * carries one request at a time (pipelined requests wait in its buffer):
 * its head is parsed and rewritten (Host, credentials, fallback path), the
 * breaker admits it or not, the body is forwarded as it arrives, the
 * answer's head is parsed (status, Retry-After, framing) and judged, and
 * the body is passed on as it arrives, never held back.  The connection to
 * the provider is kept for the client connection's next request.
 */
#ifndef FLEETGUARD_GATEWAY_PROXY_H
#define FLEETGUARD_GATEWAY_PROXY_H

#include <stdbool.h>
#include <stdint.h>

#include "audit/audit.h"
#include "breaker/breaker.h"
#include "policy/policy.h"

/* Where requests go: the provider, or the endpoint's fallback. */
struct gw_target {
	char host[256];
	uint16_t port;
	bool tls;
	char prefix[256];        /* path put before the request's ("" for none) */
	char authority[300];     /* the Host header */
	char shown[300];         /* for messages and audit: "host:port" */
};

struct gw_ep {
	const struct fg_endpoint *ep;
	unsigned idx;
	struct fg_bk bk;
	bool attached;
	int lfd;
	uint16_t port;
	char rule[4200];          /* "file:line" of its section */
	struct gw_target up, fb;
	bool has_fb;
	char *cred;               /* "Authorization: Bearer KEY\r\n" (api_key_file), or NULL */
	void *up_ctx, *fb_ctx;    /* SSL_CTX for TLS targets */
	void *io;                 /* the listener's epoll tag */
};

struct gw;

struct gw_conf {
	const struct fg_policy *pol;
	struct fg_audit *audit;  /* NULL: no records (said at start) */
	unsigned linger_s;       /* leave after this long without connections */
	int root_pidfd;          /* >= 0: stay while this process lives */
	int lockfd;              /* the rendezvous lock (exclusive to leave) */
	const char *ports_path;  /* removed on leaving */
	const char *roots_path;  /* launchers to outlive (gateway/rendezvous.h) */
	const char *ca_dir;      /* the gateway CA's directory (gateway/tls.h) */
	const uint16_t *prefer;  /* ports to listen on again, by endpoint (0: any) */
	unsigned nprefer;
};

/* Set up endpoints (listeners on 127.0.0.1, breaker slots) from the policy;
 * err names what failed. */
int gw_new(const struct gw_conf *conf, struct gw **out, char *err, size_t errlen);

/* The port endpoint i listens on (0 if it is not served). */
uint16_t gw_port(const struct gw *g, unsigned i);

/* Serve until idle past linger (0) or a fatal error (negative errno). */
int gw_run(struct gw *g);

void gw_free(struct gw *g);

#endif /* FLEETGUARD_GATEWAY_PROXY_H */
