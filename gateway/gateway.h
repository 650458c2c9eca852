/* gateway.h - the LLM gateway's modules: HTTP framing, the proxy loop, TLS.
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
 * fleetguard-gateway is a reverse proxy between the agents and their LLM
 * providers, run outside the agents' reach (SPEC §9).  Each configured
 * endpoint gets one listening port on 127.0.0.1; the preloaded library sends
 * a connect() to any address of the endpoint there (gateway/rendezvous.h),
 * and a client may also use that port as its base URL.  For every request
 * the gateway asks the shared breaker (breaker/) whether it may go to the
 * provider, forwards it (or sends it to the endpoint's fallback, or answers
 * 503 circuit_open), and reports how the answer began to the same breaker
 * state `fleetguard status` shows.
 *
 * This header is the contract between the gateway's files:
 *   http.c      request and response heads, body framing (pure functions)
 *   model.c     the fallback's model rewrite of a JSON body (pure)
 *   proxy.c     the event loop: connections, requests, breaker, audit
 *   main.c      the program: options, policy, listeners, rendezvous
 *
 * Functions return 0 or a negative errno unless said otherwise.
 */
#ifndef FLEETGUARD_GATEWAY_H
#define FLEETGUARD_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest request or response head accepted (status line and headers):
 * a larger request is answered 431, a larger response 502. */
#define FG_GW_HEAD_MAX 16384

/* --- message bodies ------------------------------------------------------ */

enum fg_gw_frame {
	FG_GW_NONE = 0,      /* no body */
	FG_GW_LENGTH,        /* Content-Length bytes */
	FG_GW_CHUNKED,       /* Transfer-Encoding: chunked */
	FG_GW_CLOSE,         /* until the connection closes (responses only) */
};

/* Tracks where a body ends while its bytes pass through unchanged. */
struct fg_gw_body {
	enum fg_gw_frame frame;
	uint64_t left;       /* LENGTH: bytes still to come; CHUNKED: of this chunk */
	uint8_t st;          /* CHUNKED: parser state (http.c) */
	uint8_t digits;      /* CHUNKED: hex digits of the size seen */
	bool done;           /* the body is complete */
	bool bad;            /* malformed chunked framing */
};

void fg_gw_body_init(struct fg_gw_body *b, enum fg_gw_frame f, uint64_t length);

/* Consume up to n bytes of p that belong to the body: returns how many (the
 * rest is the next message).  Sets done at the end, bad on a framing error
 * (then returns what was consumed before the error). */
size_t fg_gw_body_feed(struct fg_gw_body *b, const char *p, size_t n);

/* --- heads ----------------------------------------------------------------- */

/* End of the head in p[0..n): the offset just past "\r\n\r\n" (or "\n\n"),
 * 0 if it is not complete yet. */
size_t fg_gw_head_end(const char *p, size_t n);

struct fg_gw_span {
	const char *p;
	size_t n;
};

/* A parsed request head; spans point into the caller's buffer. */
struct fg_gw_req {
	struct fg_gw_span method, target, path;   /* path: target without the query */
	unsigned minor;                             /* HTTP/1.minor */
	struct fg_gw_body body;
	bool close;                                 /* no keep-alive after this one */
	bool head;                                  /* method HEAD: the answer has no body */
	bool expect_continue;
};

/* Parse the request head p[0..n) (n from fg_gw_head_end).  Returns 0, or
 * the HTTP status to answer with: 400 (malformed, conflicting framing),
 * 501 (a transfer coding other than chunked), 505 (not HTTP/1.x). */
int fg_gw_req_parse(const char *p, size_t n, struct fg_gw_req *r);

struct fg_gw_resp {
	unsigned status;
	unsigned minor;
	unsigned retry_after;        /* seconds, 0 if none */
	struct fg_gw_body body;
	bool close;
};

/* Parse the response head p[0..n) to a request (head: it was a HEAD
 * request).  now_wall: seconds since the epoch (Retry-After dates).
 * Returns 0 or -EPROTO. */
int fg_gw_resp_parse(const char *p, size_t n, bool head, int64_t now_wall,
		     struct fg_gw_resp *r);

/* Is the header line (without its line end) named name (case-insensitive)? */
bool fg_gw_hdr_is(const char *line, size_t n, const char *name);

/* --- the fallback's model ---------------------------------------------------- */

/* Largest request body the fallback's model rewrite buffers; larger ones,
 * and chunked ones, go to the fallback unchanged. */
#define FG_GW_REWRITE_MAX (8u * 1024 * 1024)

/*
 * Replace the value of every top-level "model" member of the JSON object
 * body[0..n) by the string model (put in as it is: the policy allows no
 * quote, backslash or control character in it).  Returns 1 and sets *out
 * (malloc'ed, the caller frees) and *outlen; 0 when the body is not a JSON
 * object or has no top-level "model" (*out NULL: send it unchanged);
 * -ENOMEM.  was (size waslen, may be 0) receives the replaced value, a
 * string without its quotes, truncated to fit.
 */
int fg_gw_model_rewrite(const char *body, size_t n, const char *model, char **out,
			size_t *outlen, char *was, size_t waslen);

#endif /* FLEETGUARD_GATEWAY_H */
