/* check_gateway.c - the gateway's HTTP framing: heads, bodies, bad input, and the policy keys.
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

#include <check.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway.h"
#include "gateway/resolve.h"
#include "policy/policy.h"
#include "tests/unit/check_main.h"

static int req(const char *s, struct fg_gw_req *r)
{
	size_t e = fg_gw_head_end(s, strlen(s));

	ck_assert_uint_gt(e, 0);
	return fg_gw_req_parse(s, e, r);
}

START_TEST(request_heads)
{
	struct fg_gw_req r;

	ck_assert_int_eq(req("POST /v1/chat?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n", &r), 0);
	ck_assert_int_eq((int)r.path.n, 8);
	ck_assert(memcmp(r.path.p, "/v1/chat", 8) == 0);
	ck_assert_int_eq((int)r.target.n, 12);
	ck_assert_int_eq(r.body.frame, FG_GW_LENGTH);
	ck_assert_uint_eq(r.body.left, 12);
	ck_assert(!r.close);
	ck_assert_int_eq(req("GET / HTTP/1.0\r\n\r\n", &r), 0);
	ck_assert(r.close && r.body.done);
	ck_assert_int_eq(req("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &r), 0);
	ck_assert(!r.close);
	ck_assert_int_eq(req("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: x, close\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.body.frame, FG_GW_CHUNKED);
	ck_assert(r.close);
	ck_assert_int_eq(req("HEAD / HTTP/1.1\n\n", &r), 0);
	ck_assert(r.head);
}
END_TEST

START_TEST(request_bad)
{
	struct fg_gw_req r;

	ck_assert_int_eq(req("GARBAGE\r\n\r\n", &r), 400);
	ck_assert_int_eq(req("GET  / HTTP/1.1\r\n\r\n", &r), 400);
	ck_assert_int_eq(req("GET / HTTP/2.0\r\n\r\n", &r), 505);
	ck_assert_int_eq(req("GET / HTTP/1.1\r\n folded\r\n\r\n", &r), 400);
	ck_assert_int_eq(req("GET / HTTP/1.1\r\nno colon\r\n\r\n", &r), 400);
	ck_assert_int_eq(req("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", &r), 400);
	ck_assert_int_eq(req("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", &r), 400);
	ck_assert_int_eq(req("POST / HTTP/1.1\r\nContent-Length: -3\r\n\r\n", &r), 400);
	ck_assert_int_eq(req("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", &r), 400);
	ck_assert_int_eq(req("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", &r), 501);
	ck_assert_int_eq(req("GET /a\x01 HTTP/1.1\r\n\r\n", &r), 400);
}
END_TEST

START_TEST(response_heads)
{
	const char *s = "HTTP/1.1 429 Too Many\r\nRetry-After: 7\r\nContent-Length: 5\r\n\r\n";
	struct fg_gw_resp r;

	ck_assert_int_eq(fg_gw_resp_parse(s, strlen(s), false, 0, &r), 0);
	ck_assert_uint_eq(r.status, 429);
	ck_assert_uint_eq(r.retry_after, 7);
	ck_assert_int_eq(r.body.frame, FG_GW_LENGTH);
	s = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n";
	ck_assert_int_eq(fg_gw_resp_parse(s, strlen(s), false, 0, &r), 0);
	ck_assert_int_eq(r.body.frame, FG_GW_CLOSE);
	ck_assert(r.close);
	ck_assert_int_eq(fg_gw_resp_parse(s, strlen(s), true, 0, &r), 0);
	ck_assert_int_eq(r.body.frame, FG_GW_NONE);
	s = "HTTP/1.1 204 No Content\r\n\r\n";
	ck_assert_int_eq(fg_gw_resp_parse(s, strlen(s), false, 0, &r), 0);
	ck_assert(r.body.done && !r.close);
	s = "HTTP/1.1 503 x\r\nRetry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\nContent-Length: 0\r\n\r\n";
	ck_assert_int_eq(fg_gw_resp_parse(s, strlen(s), false, 1445412470, &r), 0);
	ck_assert_uint_eq(r.retry_after, 10);
	s = "HTTP/1.1 2x0 OK\r\n\r\n";
	ck_assert_int_eq(fg_gw_resp_parse(s, strlen(s), false, 0, &r), -EPROTO);
	s = "SSH-2.0-OpenSSH\r\n\r\n";
	ck_assert_int_eq(fg_gw_resp_parse(s, strlen(s), false, 0, &r), -EPROTO);
}
END_TEST

/* The chunked tracker, fed whole and byte by byte, ends where the body does. */
START_TEST(chunked_bodies)
{
	static const char body[] = "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\nNEXT";
	struct fg_gw_body b;
	size_t n = strlen(body) - 4, used = 0;

	fg_gw_body_init(&b, FG_GW_CHUNKED, 0);
	ck_assert_uint_eq(fg_gw_body_feed(&b, body, strlen(body)), n);
	ck_assert(b.done && !b.bad);
	fg_gw_body_init(&b, FG_GW_CHUNKED, 0);
	for (size_t i = 0; i < strlen(body) && !b.done; i++)
		used += fg_gw_body_feed(&b, body + i, 1);
	ck_assert(b.done);
	ck_assert_uint_eq(used, n);
	fg_gw_body_init(&b, FG_GW_CHUNKED, 0);
	fg_gw_body_feed(&b, "zz\r\n", 4);
	ck_assert(b.bad);
	fg_gw_body_init(&b, FG_GW_CHUNKED, 0);
	fg_gw_body_feed(&b, "3\r\nabcX", 7);
	ck_assert(b.bad);
	fg_gw_body_init(&b, FG_GW_LENGTH, 3);
	ck_assert_uint_eq(fg_gw_body_feed(&b, "abcdef", 6), 3);
	ck_assert(b.done);
}
END_TEST

static unsigned problems;
static char first[512];

static void diag(void *ctx, const char *file, unsigned line, const char *msg)
{
	(void)ctx;
	(void)file;
	if (problems++ == 0)
		snprintf(first, sizeof(first), "%u: %s", line, msg);
}

static struct fg_policy *parse(const char *text)
{
	struct fg_policy *p = NULL;

	problems = 0;
	first[0] = '\0';
	fg_policy_parse("/tmp/t.ini", text, strlen(text), &p, diag, NULL);
	return p;
}

START_TEST(policy_keys)
{
	struct fg_policy *p = parse("[endpoint a]\naddress = api.example.com:443\ngateway = yes\n"
				    "fallback = https://local.example:8443/v1/\napi_key_file = /k\n"
				    "api_key_header = x-api-key\nca_file = /c.pem\n");

	ck_assert_msg(p != NULL, "%s", first);
	ck_assert(p->ep[0].gateway && p->ep[0].fallback_tls && p->ep[0].api_key_x);
	ck_assert_str_eq(p->ep[0].fallback_host, "local.example");
	ck_assert_uint_eq(p->ep[0].fallback_port, 8443);
	ck_assert_str_eq(p->ep[0].fallback_path, "/v1");
	ck_assert_str_eq(p->ep[0].api_key_file, "/k");
	fg_policy_free(p);
	p = parse("[endpoint a]\naddress = 10.0.0.1:80\nprotocol = http\ngateway = yes\n"
		  "fallback = http://[::1]\n");
	ck_assert_msg(p != NULL, "%s", first);
	ck_assert_uint_eq(p->ep[0].fallback_port, 80);
	ck_assert(p->ep[0].gateway && !p->ep[0].fallback_tls);
	fg_policy_free(p);
}
END_TEST

START_TEST(policy_keys_bad)
{
	ck_assert(parse("[endpoint a]\naddress = a.b:443\ngateway = no\nfallback = https://x:1\n") == NULL);
	ck_assert_msg(strstr(first, "remove gateway = no") != NULL, "%s", first);
	ck_assert(parse("[endpoint a]\naddress = a.b:80\nprotocol = http\ngateway = no\n"
			"fallback = http://x:1/v1\n") == NULL);
	ck_assert_msg(strstr(first, "a URL needs the gateway") != NULL, "%s", first);
	ck_assert(parse("[endpoint a]\naddress = a.b:443\ngateway = no\napi_key_file = /k\n") == NULL);
	ck_assert_msg(strstr(first, "api_key_file is used by the gateway") != NULL, "%s", first);
	ck_assert(parse("[endpoint a]\naddress = a.b:443\ngateway = no\nfallback_model = m\n") == NULL);
	ck_assert_msg(strstr(first, "fallback_model is used by the gateway") != NULL, "%s", first);
	ck_assert(parse("[endpoint a]\naddress = a.b:443\ngateway = maybe\n") == NULL);
	ck_assert_msg(strstr(first, "auto, yes, no") != NULL, "%s", first);
	ck_assert(parse("[endpoint a]\naddress = a.b:443\ngateway = yes\napi_key_header = bearer\n") == NULL);
	ck_assert(parse("[endpoint a]\naddress = a.b:443\ngateway = yes\napi_key_file = rel/k\n") == NULL);
	ck_assert(parse("[endpoint a]\naddress = a.b:443\ngateway = yes\ngatewy = no\n") == NULL);
	ck_assert(parse("[endpoint a]\naddress = a.b:443\nfallback_model = \"x\n") == NULL);
	ck_assert(parse("[endpoint a]\naddress = a.b:443\nfallback_model = a\\b\n") == NULL);
}
END_TEST

/* gateway = auto: on for http, on for https under run, else only when a
 * gateway-only key needs it. */
START_TEST(policy_gateway_auto)
{
	static const struct {
		const char *lines;
		bool lib, run;
	} t[] = {
		{ "address = a.b:80\nprotocol = http\n", true, true },
		{ "address = a.b:443\n", false, true },
		{ "address = a.b:443\ngateway = auto\n", false, true },
		{ "address = a.b:443\ngateway = yes\n", true, true },
		{ "address = a.b:80\nprotocol = http\ngateway = no\n", false, false },
		{ "address = a.b:80\nprotocol = http\ngateway = off\nfallback = 127.0.0.1:9\n", false, false },
		{ "address = a.b:443\napi_key_file = /k\n", true, true },
		{ "address = a.b:443\nca_file = /c.pem\n", true, true },
		{ "address = a.b:443\nfallback = http://127.0.0.1:9/v1\n", true, true },
		{ "address = a.b:443\nfallback = 127.0.0.1:9\n", true, true },
		{ "address = a.b:443\nfallback_model = llama3.2:1b\n", true, true },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char text[512];
		struct fg_policy *p;

		snprintf(text, sizeof(text), "[endpoint a]\n%s", t[i].lines);
		p = parse(text);
		ck_assert_msg(p != NULL, "%s: %s", t[i].lines, first);
		ck_assert_msg(p->ep[0].gateway == t[i].lib, "library-only: %s", t[i].lines);
		fg_policy_gateway_resolve(p, true);
		ck_assert_msg(p->ep[0].gateway == t[i].run, "under run: %s", t[i].lines);
		fg_policy_gateway_resolve(p, false);
		ck_assert_msg(p->ep[0].gateway == t[i].lib, "back to library-only: %s", t[i].lines);
		fg_policy_free(p);
	}
}
END_TEST

START_TEST(policy_fallback_model)
{
	struct fg_policy *p = parse("[endpoint a]\naddress = a.b:443\n"
				    "fallback = http://127.0.0.1:11434/v1\nfallback_model = llama3.2:1b\n");

	ck_assert_msg(p != NULL, "%s", first);
	ck_assert_str_eq(p->ep[0].fallback_model, "llama3.2:1b");
	ck_assert_int_eq(p->ep[0].gateway_mode, FG_GWM_AUTO);
	fg_policy_free(p);
}
END_TEST

/* rewrite(body, model): the rewritten body, or "=" when left alone. */
static const char *rewrite(const char *body, const char *model, char *was)
{
	static char res[1024];
	char *out = NULL;
	size_t n = 0;
	int rc = fg_gw_model_rewrite(body, strlen(body), model, &out, &n, was, 64);

	ck_assert_int_ge(rc, 0);
	if (rc == 0) {
		ck_assert_ptr_null(out);
		return "=";
	}
	ck_assert_uint_eq(n, strlen(out));
	snprintf(res, sizeof(res), "%s", out);
	free(out);
	return res;
}

START_TEST(model_rewrite)
{
	char was[64];

	ck_assert_str_eq(rewrite("{\"model\":\"gpt-4o\",\"messages\":[]}", "llama3", was),
			 "{\"model\":\"llama3\",\"messages\":[]}");
	ck_assert_str_eq(was, "gpt-4o");
	ck_assert_str_eq(rewrite(" { \"messages\" : [{\"model\":\"inner\"}], \"model\" : \"a\" } ", "b", was),
			 " { \"messages\" : [{\"model\":\"inner\"}], \"model\" : \"b\" } ");
	ck_assert_str_eq(rewrite("{\"m\\u006fdel\":\"x\\\"y\",\"n\":1.5e3,\"t\":true}", "z", was),
			 "{\"m\\u006fdel\":\"z\",\"n\":1.5e3,\"t\":true}");
	ck_assert_str_eq(was, "x\\\"y");
	ck_assert_str_eq(rewrite("{\"model\":null}", "m", was), "{\"model\":\"m\"}");
	ck_assert_str_eq(rewrite("{\"model\":\"a\",\"model\":\"b\"}", "c", was), "{\"model\":\"c\",\"model\":\"c\"}");
	ck_assert_str_eq(was, "b");
	/* left alone: not one object, no model, malformed */
	ck_assert_str_eq(rewrite("{\"messages\":[]}", "m", was), "=");
	ck_assert_str_eq(rewrite("[{\"model\":\"a\"}]", "m", was), "=");
	ck_assert_str_eq(rewrite("{\"model\":\"a\"", "m", was), "=");
	ck_assert_str_eq(rewrite("{\"model\":\"a\"} x", "m", was), "=");
	ck_assert_str_eq(rewrite("{\"model\" \"a\"}", "m", was), "=");
	ck_assert_str_eq(rewrite("{\"model\":\"a\x01\"}", "m", was), "=");
	ck_assert_str_eq(rewrite("{\"modelx\":\"a\",\"mode\":\"b\"}", "m", was), "=");
	ck_assert_str_eq(rewrite("", "m", was), "=");
}
END_TEST

/* --- the resolver ------------------------------------------------------------- */

struct got {
	int calls, err;
	struct gw_addr a;
};

static void got_it(void *waiter, int err, const struct gw_addr *a, void *ctx)
{
	struct got *g = waiter;

	(void)ctx;
	g->calls++;
	g->err = err;
	if (a != NULL)
		g->a = *a;
}

/* Drain until n answers came (the threads answer through the eventfd). */
static void wait_answers(struct gw_res *r, const int *calls, int n)
{
	for (int i = 0; i < 500 && *calls < n; i++) {
		struct pollfd p = { .fd = gw_res_fd(r), .events = POLLIN };

		if (poll(&p, 1, 20) > 0)
			gw_res_drain(r, got_it, NULL, NULL);
	}
}

START_TEST(resolver)
{
	struct gw_res *r;
	struct got a = { 0 }, b = { 0 }, gone = { 0 };
	struct gw_addr now;
	int calls;

	ck_assert_int_eq(gw_res_new(&r), 0);
	/* a literal: at once, in this thread, no lookup */
	ck_assert_int_eq(gw_res_lookup(r, "127.0.0.1", 80, &a, &now), 0);
	ck_assert_int_eq(now.sa.ss_family, AF_INET);
	ck_assert_int_eq(ntohs(((struct sockaddr_in *)&now.sa)->sin_port), 80);
	ck_assert_int_eq(gw_res_lookup(r, "::1", 443, &a, &now), 0);
	ck_assert_int_eq(now.sa.ss_family, AF_INET6);
	ck_assert_uint_eq(gw_res_queries(r), 0);
	/* a name: later; three waiters share one lookup; a cancelled one hears nothing */
	ck_assert_int_eq(gw_res_lookup(r, "localhost", 8080, &a, &now), 1);
	ck_assert_int_eq(gw_res_lookup(r, "localhost", 8080, &b, &now), 1);
	ck_assert_int_eq(gw_res_lookup(r, "localhost", 8080, &gone, &now), 1);
	gw_res_cancel(r, &gone);
	wait_answers(r, &a.calls, 1);
	ck_assert_int_eq(a.calls, 1);
	ck_assert_int_eq(b.calls, 1);
	ck_assert_int_eq(gone.calls, 0);
	ck_assert_int_eq(a.err, 0);
	ck_assert_int_eq(ntohs(((struct sockaddr_in *)&a.a.sa)->sin_port), 8080);
	ck_assert_uint_eq(gw_res_queries(r), 1);
	/* then from the cache, at once */
	ck_assert_int_eq(gw_res_lookup(r, "localhost", 8080, &a, &now), 0);
	ck_assert_int_eq(memcmp(&now.sa, &a.a.sa, now.len), 0);
	ck_assert_uint_eq(gw_res_queries(r), 1);
	/* another port is another lookup */
	ck_assert_int_eq(gw_res_lookup(r, "localhost", 8081, &a, &now), 1);
	calls = a.calls;
	wait_answers(r, &a.calls, calls + 1);
	ck_assert_uint_eq(gw_res_queries(r), 2);
	gw_res_free(r);
}
END_TEST

/* --- fuzz: tests/fuzz/fuzz_gateway_http.c under deterministic mutations ------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const seeds[] = {
	"POST /v1/chat/completions HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 27\r\n"
	"Content-Type: application/json\r\n\r\n{\"model\":\"gpt-4o\",\"n\":[1]}",
	"POST /v1/chat HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
	"5\r\nhello\r\n3;x=y\r\n{}\n\r\n0\r\nTrailer: t\r\n\r\nGET / HTTP/1.1\r\n\r\n",
	"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
	"e\r\ndata: {\"a\":1}\n\r\n0\r\n\r\n",
	"HTTP/1.1 429 Too Many Requests\r\nRetry-After: Wed, 21 Oct 2026 07:28:00 GMT\r\n"
	"Content-Length: 2\r\nConnection: close\r\n\r\n{}",
	"HTTP/1.0 503 Service Unavailable\r\nRetry-After: 30\r\n\r\nbody until close",
	"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
	"GET http://api.example.com/v1/models?x=1 HTTP/1.0\nConnection: keep-alive\n\n",
	"{\"messages\":[{\"role\":\"user\",\"content\":\"\\u006dodel \\\"x\\\"\"}],"
	"\"model\" : \"claude\", \"model\":null, \"t\":true}",
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* One mutation of buf (len bytes, room cap) in place; the new length. */
static size_t mutate(char *buf, size_t len, size_t cap)
{
	static const char *const tokens[] = { "\r\n", "\r\n\r\n", ":", " ", "\t", "0", "ffffffff",
		"Content-Length: ", "Transfer-Encoding: chunked\r\n", "99999999999999999999",
		"HTTP/1.1 ", "\"model\":", "\\u00", "{", "}", "[", "\"", ";", "\n", "-1" };
	size_t at = len ? next() % (len + 1) : 0, n;
	const char *t;

	switch (next() % 7) {
	case 0:                     /* flip a bit */
		if (len)
			buf[at % len] ^= (char)(1u << (next() % 8));
		return len;
	case 1:                     /* any byte */
		if (len)
			buf[at % len] = (char)next();
		return len;
	case 2:                     /* cut a piece out */
		n = len - at ? next() % (len - at) + 1 : 0;
		memmove(buf + at, buf + at + n, len - at - n);
		return len - n;
	case 3:                     /* truncate */
		return at;
	case 4:                     /* repeat a piece */
		n = len - at ? next() % (len - at < 64 ? len - at : 64) + 1 : 0;
		if (n == 0 || len + n > cap)
			return len;
		memmove(buf + at + n, buf + at, len - at);
		return len + n;
	default:                    /* a token that matters to the parsers */
		t = tokens[next() % (sizeof(tokens) / sizeof(tokens[0]))];
		n = strlen(t);
		if (len + n > cap)
			return len;
		memmove(buf + at + n, buf + at, len - at);
		memcpy(buf + at, t, n);
		return len + n;
	}
}

/* 40,000 inputs: each seed mutated 1 to 8 times, deterministically. */
START_TEST(fuzz_mutations)
{
	enum { ROUNDS = 5000, CAP = 4096 };
	const size_t nseeds = sizeof(seeds) / sizeof(seeds[0]);

	for (size_t s = 0; s < nseeds; s++)
		LLVMFuzzerTestOneInput((const uint8_t *)seeds[s], strlen(seeds[s]));
	for (unsigned i = 0; i < ROUNDS * nseeds; i++) {
		/* exactly len bytes on the heap: ASan sees any read past them */
		char work[CAP], *exact;
		size_t len = strlen(seeds[i % nseeds]);
		unsigned times = (unsigned)(next() % 8) + 1;

		memcpy(work, seeds[i % nseeds], len);
		for (unsigned k = 0; k < times; k++)
			len = mutate(work, len, sizeof(work));
		exact = malloc(len ? len : 1);
		ck_assert_ptr_nonnull(exact);
		memcpy(exact, work, len);
		LLVMFuzzerTestOneInput((const uint8_t *)exact, len);
		free(exact);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("gateway");
	TCase *tc = tcase_create("http");

	tcase_add_test(tc, request_heads);
	tcase_add_test(tc, request_bad);
	tcase_add_test(tc, response_heads);
	tcase_add_test(tc, chunked_bodies);
	suite_add_tcase(s, tc);
	tc = tcase_create("policy");
	tcase_add_test(tc, policy_keys);
	tcase_add_test(tc, policy_keys_bad);
	tcase_add_test(tc, policy_gateway_auto);
	tcase_add_test(tc, policy_fallback_model);
	suite_add_tcase(s, tc);
	tc = tcase_create("resolver");
	tcase_add_test(tc, resolver);
	suite_add_tcase(s, tc);
	tc = tcase_create("model");
	tcase_add_test(tc, model_rewrite);
	suite_add_tcase(s, tc);
	tc = tcase_create("fuzz");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, fuzz_mutations);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fg_check_main(suite());
}
