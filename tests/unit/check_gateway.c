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
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway.h"
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
	tc = tcase_create("model");
	tcase_add_test(tc, model_rewrite);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fg_check_main(suite());
}
