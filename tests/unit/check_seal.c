/* check_seal.c - the sealed policy blob: round trip, seals, version, corruption.
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
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <unistd.h>

#include "policy/policy.h"
#include "policy/policy_int.h"
#include "policy/seal.h"
#include "tests/unit/check_main.h"

static const char full[] =
	"[workspace]\n"
	"root = /srv/agents/ws-42\n"
	"agent_id = coder-7\n"
	"[filesystem]\n"
	"mode = report\n"
	"read = ${root}, /opt/models\n"
	"write = ${root}, /tmp\n"
	"deny = ${root}/.git/hooks\n"
	"unconfined_exec = allow\n"
	"[network]\n"
	"allow = api.openai.com:443, 127.0.0.1:8000, 10.0.0.0/8:*, unix:/run/x.sock\n"
	"[breaker]\n"
	"threshold = 3\n"
	"[endpoint local]\n"
	"address = 127.0.0.1:8000\n"
	"protocol = http\n"
	"fallback = 127.0.0.1:8001\n"
	"threshold = 7\n"
	"[endpoint cloud]\n"
	"address = api.openai.com:443\n"
	"fallback = http://127.0.0.1:11434/v1\n"
	"fallback_model = llama3.2:1b\n"
	"[endpoint plain]\n"
	"address = api.anthropic.com:443\n"
	"gateway = auto\n"
	"[audit]\n"
	"log = /var/log/fg/audit.log\n"
	"events = writes\n"
	"key_file = /etc/fleetguard/audit.key\n"
	"max_size = 1M\n"
	"state_dir = /var/lib/fg\n"
	"daemon_user = root\n";

static struct fg_policy *parsed(void)
{
	struct fg_policy *p = NULL;

	ck_assert_int_eq(fg_policy_parse("/srv/agents/ws-42/fleetguard.ini", full, strlen(full), &p,
					 NULL, NULL), 0);
	return p;
}

/* The blob's bytes, as a writable copy. */
static size_t blob_of(int fd, unsigned char *buf, size_t cap)
{
	ssize_t n = pread(fd, buf, cap, 0);

	ck_assert_int_gt(n, 0);
	return (size_t)n;
}

/* A memfd holding buf with the given seals. */
static int memfd_with(const unsigned char *buf, size_t n, int seals)
{
	int fd = memfd_create("fleetguard-policy", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, buf, n), (ssize_t)n);
	if (seals)
		ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, seals), 0);
	return fd;
}

static bool same_paths(const struct fg_path_list *a, const struct fg_path_list *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].path, b->v[i].path) != 0 || a->v[i].len != b->v[i].len ||
		    a->v[i].line != b->v[i].line || a->v[i].origin != b->v[i].origin)
			return false;
	return true;
}

START_TEST(t_round_trip)
{
	struct fg_policy *p = parsed(), *q;
	const char *sha;
	char why[128];
	struct fg_verdict v;
	int fd = fg_seal_create(p, "ab12");

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fcntl(fd, F_GET_SEALS), FG_SEAL_SEALS);
	ck_assert_int_eq(fg_seal_open(fd, &q, &sha, why, sizeof(why)), 0);
	ck_assert_str_eq(sha, "ab12");
	ck_assert_str_eq(q->file, p->file);
	ck_assert_str_eq(q->root, "/srv/agents/ws-42");
	ck_assert(!q->root_defaulted && !q->audit.log_defaulted);
	ck_assert_str_eq(q->agent_id, "coder-7");
	ck_assert_int_eq(q->fs.mode, FG_MODE_REPORT);
	ck_assert(q->fs.unconfined_exec);
	ck_assert_uint_eq(q->fs.line, p->fs.line);
	ck_assert(same_paths(&q->fs.read, &p->fs.read));
	ck_assert(same_paths(&q->fs.write, &p->fs.write));
	ck_assert(same_paths(&q->fs.deny, &p->fs.deny));
	ck_assert_uint_eq(q->net.nallow, p->net.nallow);
	for (size_t i = 0; i < p->net.nallow; i++) {
		ck_assert_int_eq(q->net.allow[i].kind, p->net.allow[i].kind);
		ck_assert_int_eq(q->net.allow[i].port, p->net.allow[i].port);
		ck_assert_uint_eq(q->net.allow[i].prefix, p->net.allow[i].prefix);
		ck_assert_mem_eq(q->net.allow[i].addr, p->net.allow[i].addr, 16);
	}
	ck_assert_uint_eq(q->breaker.threshold, 3);
	ck_assert_uint_eq(q->nep, 3);
	ck_assert_str_eq(q->ep[0].name, "local");
	ck_assert(q->ep[0].gateway && q->ep[0].gateway_mode == FG_GWM_AUTO);
	ck_assert_str_eq(q->ep[1].fallback_model, "llama3.2:1b");
	ck_assert_str_eq(q->ep[1].fallback_path, "/v1");
	ck_assert(q->ep[1].gateway && q->ep[1].fallback_tls == false);
	ck_assert(!q->ep[2].gateway && q->ep[2].gateway_mode == FG_GWM_AUTO);
	ck_assert_ptr_null(q->ep[2].fallback_model);
	ck_assert_str_eq(q->ep[0].fallback_host, "127.0.0.1");
	ck_assert_uint_eq(q->ep[0].breaker.threshold, 7);
	ck_assert_mem_eq(q->ep[0].breaker.failure_status, p->ep[0].breaker.failure_status,
			 sizeof(p->ep[0].breaker.failure_status));
	ck_assert_str_eq(q->audit.log, "/var/log/fg/audit.log");
	ck_assert_int_eq(q->audit.events, FG_EVENTS_WRITES);
	ck_assert_str_eq(q->audit.key_file, "/etc/fleetguard/audit.key");
	ck_assert_uint_eq(q->audit.max_size, 1024 * 1024);
	ck_assert_str_eq(q->audit.daemon_user, "root");
	ck_assert_int_eq(q->audit.daemon_uid, 0);
	/* the matcher works on the sealed form and decides as on the parsed one */
	ck_assert(fg_policy_path(q, "/srv/agents/ws-42/a", 19, FG_ACC_WRITE, &v));
	ck_assert(!fg_policy_path(q, "/srv/agents/ws-42/.git/hooks/x", 30, FG_ACC_READ, &v));
	ck_assert_uint_eq(v.line, 8);
	ck_assert(!fg_policy_path(q, "/etc/shadow", 11, FG_ACC_WRITE, &v));
	ck_assert_int_eq(fg_policy_endpoint(q, "127.0.0.1", 8000), 0);
	fg_seal_close(q);
	fg_policy_free(p);
	close(fd);
}
END_TEST

/* Whether root and log were defaulted travels too (check and run --paths
 * say so, and a sealed policy must not say otherwise). */
START_TEST(t_round_trip_defaults)
{
	static const char text[] = "[filesystem]\nwrite = ${root}\n";
	struct fg_policy *p, *q;
	const char *sha;
	char why[128];
	int fd;

	ck_assert_int_eq(fg_policy_parse("/srv/ws/fleetguard.ini", text, sizeof(text) - 1, &p, NULL, NULL), 0);
	ck_assert(p->root_defaulted && p->audit.log_defaulted);
	fd = fg_seal_create(p, "ab12");
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fg_seal_open(fd, &q, &sha, why, sizeof(why)), 0);
	ck_assert(q->root_defaulted && q->audit.log_defaulted);
	ck_assert_ptr_null(q->audit.daemon_user);
	ck_assert_int_eq(q->audit.daemon_uid, -1);
	fg_seal_close(q);
	fg_policy_free(p);
	close(fd);
}
END_TEST

/* The log's directory, when it exists, is sealed in its canonical form
 * (descendants resolve it no more); a missing one is left to each. */
START_TEST(t_canonical_log)
{
	static const char text[] = "[filesystem]\nwrite = ${root}\n[audit]\nlog = %s/via/x/audit.log\n";
	char dir[] = "/tmp/fg-seal-canon.XXXXXX", pol[256], real[256], want[300];
	struct fg_policy *p, *q;
	char why[128];
	int fd, n;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(real, sizeof(real), "%s/real", dir);
	ck_assert_int_eq(mkdir(real, 0700), 0);
	snprintf(want, sizeof(want), "%s/via", dir);
	ck_assert_int_eq(symlink(real, want), 0);
	n = snprintf(pol, sizeof(pol), text, dir);
	/* missing: x does not exist yet */
	ck_assert_int_eq(fg_policy_parse("/srv/ws/fleetguard.ini", pol, (size_t)n, &p, NULL, NULL), 0);
	ck_assert_int_eq(fg_seal_canonical_log(p), 0);
	ck_assert(!p->audit.log_canonical);
	snprintf(want, sizeof(want), "%s/via/x/audit.log", dir);
	ck_assert_str_eq(p->audit.log, want);
	/* there: through the symbolic link, resolved and sealed so */
	snprintf(want, sizeof(want), "%s/x", real);
	ck_assert_int_eq(mkdir(want, 0700), 0);
	ck_assert_int_eq(fg_seal_canonical_log(p), 0);
	ck_assert(p->audit.log_canonical);
	snprintf(want, sizeof(want), "%s/x/audit.log", real);
	ck_assert_str_eq(p->audit.log, want);
	fd = fg_seal_create(p, NULL);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fg_seal_open(fd, &q, NULL, why, sizeof(why)), 0);
	ck_assert(q->audit.log_canonical);
	ck_assert_str_eq(q->audit.log, want);
	fg_seal_close(q);
	fg_policy_free(p);
	close(fd);
	snprintf(pol, sizeof(pol), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(pol), 0);
}
END_TEST

/* Arrays of every length round-trip: the bounds check on the blob is by
 * the blob's record size, not by the larger struct each becomes (four
 * [network] rules made a valid seal "malformed" when it was). */
START_TEST(t_round_trip_counts)
{
	char text[4096];
	struct fg_policy *p, *q;
	char why[128];
	size_t n;
	int fd, k;

	/* 1..10 rules alone, then 11..16 with 1..6 endpoints */
	for (k = 1; k <= 16; k++) {
		n = (size_t)snprintf(text, sizeof(text), "[filesystem]\nwrite = ${root}");
		for (int i = 1; i < k; i++)
			n += (size_t)snprintf(text + n, sizeof(text) - n, ", /srv/t%d", i);
		n += (size_t)snprintf(text + n, sizeof(text) - n, "\n[network]\nallow = 127.0.0.1:1");
		for (int i = 1; i < k; i++)
			n += (size_t)snprintf(text + n, sizeof(text) - n, ", 127.0.0.1:%d", i + 1);
		n += (size_t)snprintf(text + n, sizeof(text) - n, "\n");
		for (int i = 0; i < k - 10; i++)
			n += (size_t)snprintf(text + n, sizeof(text) - n,
					      "[endpoint e%d]\naddress = 127.0.0.1:%d\n", i, i + 1);
		ck_assert_uint_lt(n, sizeof(text) - 1);
		ck_assert_int_eq(fg_policy_parse("/srv/ws/fleetguard.ini", text, n, &p, NULL, NULL), 0);
		fd = fg_seal_create(p, "ab12");
		ck_assert_int_ge(fd, 0);
		ck_assert_msg(fg_seal_open(fd, &q, NULL, why, sizeof(why)) == 0,
			      "%d rules: %s", k, why);
		ck_assert_uint_eq(q->net.nallow, p->net.nallow);
		for (size_t i = 0; i < p->net.nallow; i++)
			ck_assert_int_eq(q->net.allow[i].port, p->net.allow[i].port);
		ck_assert(same_paths(&q->fs.write, &p->fs.write));
		ck_assert_uint_eq(q->nep, p->nep);
		fg_seal_close(q);
		fg_policy_free(p);
		close(fd);
	}
}
END_TEST

/* The strings of a sealed policy live in a read-only mapping. */
START_TEST(t_mapping_read_only)
{
	struct fg_policy *p = parsed(), *q;
	char why[128];
	int fd = fg_seal_create(p, NULL);

	ck_assert_int_eq(fg_seal_open(fd, &q, NULL, why, sizeof(why)), 0);
	/* The kernel's SIGSEGV is what is tested: AddressSanitizer's handler
	 * (--enable-sanitizers) would report the fault and exit instead. */
	signal(SIGSEGV, SIG_DFL);
	q->root[0] = 'x';      /* SIGSEGV: the test expects the signal */
}
END_TEST

START_TEST(t_no_descriptor)
{
	struct fg_policy *q;
	char why[128];

	ck_assert_int_eq(fg_seal_open(999, &q, NULL, why, sizeof(why)), -EBADF);
	ck_assert_ptr_null(q);
}
END_TEST

START_TEST(t_not_a_memfd)
{
	struct fg_policy *q;
	char why[128];
	int fd = open("/dev/null", O_RDONLY);

	ck_assert_int_eq(fg_seal_open(fd, &q, NULL, why, sizeof(why)), -EINVAL);
	ck_assert(strstr(why, "not a sealed memfd") != NULL);
	close(fd);
}
END_TEST

/* A forged copy without F_SEAL_WRITE (or with a missing seal) is refused
 * even though its bytes are a perfect blob. */
START_TEST(t_wrong_seals)
{
	static const int seals[] = { 0, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW,
				     F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL,
				     FG_SEAL_SEALS | F_SEAL_FUTURE_WRITE };
	struct fg_policy *p = parsed(), *q;
	unsigned char buf[65536];
	char why[128];
	int fd = fg_seal_create(p, NULL);
	size_t n = blob_of(fd, buf, sizeof(buf));

	for (size_t i = 0; i < sizeof(seals) / sizeof(seals[0]); i++) {
		int f = memfd_with(buf, n, seals[i]);

		ck_assert_int_eq(fg_seal_open(f, &q, NULL, why, sizeof(why)), -EINVAL);
		ck_assert(strstr(why, "seal") != NULL);
		close(f);
	}
	/* the same bytes with exactly the seals are accepted */
	fd = memfd_with(buf, n, FG_SEAL_SEALS);
	ck_assert_int_eq(fg_seal_open(fd, &q, NULL, why, sizeof(why)), 0);
	fg_seal_close(q);
	fg_policy_free(p);
}
END_TEST

START_TEST(t_sealed_against_change)
{
	struct fg_policy *p = parsed();
	int fd = fg_seal_create(p, NULL);

	ck_assert_int_eq(pwrite(fd, "x", 1, 100), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(ftruncate(fd, 10), -1);
	ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), -1);
	ck_assert_ptr_eq(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), MAP_FAILED);
	fg_policy_free(p);
}
END_TEST

START_TEST(t_other_version)
{
	struct fg_policy *p = parsed(), *q;
	unsigned char buf[65536];
	char why[128];
	uint32_t ver = FG_SEAL_VERSION + 1;
	int fd = fg_seal_create(p, NULL);
	size_t n = blob_of(fd, buf, sizeof(buf));

	memcpy(buf + 8, &ver, sizeof(ver));
	fd = memfd_with(buf, n, FG_SEAL_SEALS);
	ck_assert_int_eq(fg_seal_open(fd, &q, NULL, why, sizeof(why)), -EPROTO);
	char want[64];

	snprintf(want, sizeof(want), "format version %u,", FG_SEAL_VERSION + 1);
	ck_assert_msg(strstr(why, want) != NULL, "%s", why);
	/* format 6 carries gateway = auto|yes|no and fallback_model (5 added
	 * daemon_user): a blob of format 5 (without them) is refused, not read
	 * with zeros */
	ck_assert_uint_eq(FG_SEAL_VERSION, 6);
	ver = 5;
	memcpy(buf + 8, &ver, sizeof(ver));
	fd = memfd_with(buf, n, FG_SEAL_SEALS);
	ck_assert_int_eq(fg_seal_open(fd, &q, NULL, why, sizeof(why)), -EPROTO);
	fg_policy_free(p);
}
END_TEST

/* `fleetguard run` decides gateway = auto before it seals: descendants
 * see the decision, not the library-only one. */
START_TEST(t_gateway_under_run)
{
	struct fg_policy *p = parsed(), *q;
	char why[128];
	int fd;

	ck_assert(!p->ep[2].gateway);
	fg_policy_gateway_resolve(p, true);
	fd = fg_seal_create(p, NULL);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fg_seal_open(fd, &q, NULL, why, sizeof(why)), 0);
	ck_assert(q->ep[0].gateway && q->ep[1].gateway && q->ep[2].gateway);
	fg_seal_close(q);
	fg_policy_free(p);
	close(fd);
}
END_TEST

/* The [network] rules of a sealed policy sit in its arena; adding one (the
 * gateway's ports) copies them out and keeps every earlier rule. */
START_TEST(t_sealed_net_grows)
{
	struct fg_policy *p = parsed(), *q;
	const struct fg_net_rule r = { .kind = FG_NET_CIDR, .family = AF_INET,
				       .addr = { 127, 0, 0, 1 }, .prefix = 32, .port = 9099 };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(9099),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct fg_verdict v;
	char why[128];
	int fd = fg_seal_create(p, NULL);
	size_t n;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fg_seal_open(fd, &q, NULL, why, sizeof(why)), 0);
	n = q->net.nallow;
	ck_assert_uint_gt(n, 0);
	ck_assert(!fg_policy_addr(q, (struct sockaddr *)&sa, sizeof(sa), NULL, &v));
	for (int k = 0; k < 3; k++)
		ck_assert_int_eq(fg_policy_add_net(q, &r), 0);
	ck_assert_uint_eq(q->net.nallow, n + 3);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(q->net.allow[i].port, p->net.allow[i].port);
	ck_assert(fg_policy_addr(q, (struct sockaddr *)&sa, sizeof(sa), NULL, &v));
	fg_seal_close(q);
	fg_policy_free(p);
	close(fd);
}
END_TEST

/* Every single-byte change anywhere in the blob is refused. */
START_TEST(t_every_byte_checked)
{
	struct fg_policy *p = parsed(), *q;
	unsigned char buf[65536];
	char why[128];
	int fd = fg_seal_create(p, NULL);
	size_t n = blob_of(fd, buf, sizeof(buf));

	for (size_t i = 0; i < n; i += 7) {
		int f, rc;

		buf[i] ^= 0x41;
		f = memfd_with(buf, n, FG_SEAL_SEALS);
		rc = fg_seal_open(f, &q, NULL, why, sizeof(why));
		ck_assert_msg(rc == -EBADMSG || rc == -EPROTO, "byte %zu: rc %d", i, rc);
		close(f);
		buf[i] ^= 0x41;
	}
	/* and a truncated one */
	fd = memfd_with(buf, n - 8, FG_SEAL_SEALS);
	ck_assert_int_eq(fg_seal_open(fd, &q, NULL, why, sizeof(why)), -EBADMSG);
	fg_policy_free(p);
}
END_TEST

/* The path index travels built: decisions on the sealed copy equal the
 * parsed policy's for paths at, inside, beside and above every rule, with
 * system = yes (60-odd rules, deny and write inside read trees). */
static const char nested[] =
	"[workspace]\n"
	"root = /srv/ws\n"
	"[filesystem]\n"
	"read = /opt, /opt/models/a, /srv\n"
	"write = ${root}, /tmp, /srv/ws/out/tmp\n"
	"deny = ${root}/.git/hooks, ${root}/out, /opt/models/a/secret, /tmp/x\n";

static void same_decision(const struct fg_policy *p, const struct fg_policy *q, const char *path)
{
	static const unsigned acc[] = { FG_ACC_READ, FG_ACC_WRITE, FG_ACC_MOVE };

	for (size_t i = 0; i < sizeof(acc) / sizeof(acc[0]); i++) {
		struct fg_verdict a, b;
		bool x = fg_policy_path(p, path, strlen(path), acc[i], &a);
		bool y = fg_policy_path(q, path, strlen(path), acc[i], &b);

		ck_assert_msg(x == y && a.line == b.line && a.why == b.why, "%s (%u)", path, acc[i]);
	}
}

START_TEST(t_index_travels)
{
	struct fg_policy *p = NULL, *q;
	const struct fg_path_list *lists[3];
	char why[128], path[4200];
	int fd;

	ck_assert_int_eq(fg_policy_parse("/srv/ws/fleetguard.ini", nested, strlen(nested), &p, NULL,
					 NULL), 0);
	fd = fg_seal_create(p, NULL);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fg_seal_open(fd, &q, NULL, why, sizeof(why)), 0);
	lists[0] = &p->fs.read, lists[1] = &p->fs.write, lists[2] = &p->fs.deny;
	for (int k = 0; k < 3; k++) {
		for (size_t i = 0; i < lists[k]->n; i++) {
			const char *r = lists[k]->v[i].path;

			same_decision(p, q, r);
			snprintf(path, sizeof(path), "%s/f", r);
			same_decision(p, q, path);
			snprintf(path, sizeof(path), "%s-x/f", r);
			same_decision(p, q, path);
			snprintf(path, sizeof(path), "%.*s", (int)(strrchr(r, '/') - r), r);
			same_decision(p, q, path[0] ? path : "/");
		}
	}
	same_decision(p, q, "/");
	same_decision(p, q, "/nowhere/at/all");
	fg_seal_close(q);
	close(fd);
	fg_policy_free(p);
}
END_TEST

/* An index whose references, hashes or slots are wrong is refused. */
START_TEST(t_index_checked)
{
	struct fg_policy *p = NULL, *q = NULL;
	struct fg_pindex x;
	struct fg_pindex_node nodes[256];
	uint32_t slots[1024];
	struct fg_path_index *keep;

	ck_assert_int_eq(fg_policy_parse("/srv/ws/fleetguard.ini", nested, strlen(nested), &p, NULL,
					 NULL), 0);
	fg_path_index_export(p, &x);
	ck_assert_uint_le(x.nnodes, 256);
	ck_assert_uint_le(x.mask + 1, 1024);
	memcpy(slots, x.slots, (x.mask + 1) * sizeof(*slots));
	for (size_t i = 0; i < x.nnodes; i++)
		fg_path_index_export_node(p, i, &nodes[i]);
	x.slots = slots;
	x.nodes = nodes;
	keep = p->index;
	/* as exported: adopted, and it decides like the built one */
	ck_assert_int_eq(fg_policy_parse("/srv/ws/fleetguard.ini", nested, strlen(nested), &q, NULL,
					 NULL), 0);
	ck_assert_int_eq(fg_path_index_adopt(p, &x), 0);
	same_decision(p, q, "/srv/ws/out/tmp/f");
	same_decision(p, q, "/opt/models/a/secret/k");
	fg_path_index_free(p->index);
	p->index = keep;
	nodes[1].hash ^= 1;
	ck_assert_int_eq(fg_path_index_adopt(p, &x), -EBADMSG);
	nodes[1].hash ^= 1;
	nodes[2].deny = (3u << 24) + 1;
	ck_assert_int_eq(fg_path_index_adopt(p, &x), -EBADMSG);
	nodes[2].deny = 0;
	nodes[2].path = (uint32_t)p->fs.read.n + 1 + (2u << 24);
	ck_assert_int_eq(fg_path_index_adopt(p, &x), -EBADMSG);
	fg_path_index_export_node(p, 2, &nodes[2]);
	for (uint32_t i = 0; i <= x.mask; i++)
		slots[i] = slots[i] ? slots[i] : 1;  /* no empty slot left */
	ck_assert_int_eq(fg_path_index_adopt(p, &x), -EBADMSG);
	ck_assert_ptr_eq(p->index, keep);
	fg_policy_free(q);
	fg_policy_free(p);
}
END_TEST

static Suite *seal_suite(void)
{
	Suite *s = suite_create("seal");
	TCase *tc = tcase_create("blob");

	tcase_add_test(tc, t_round_trip);
	tcase_add_test(tc, t_round_trip_counts);
	tcase_add_test(tc, t_canonical_log);
	tcase_add_test_raise_signal(tc, t_mapping_read_only, SIGSEGV);
	tcase_add_test(tc, t_sealed_against_change);
	suite_add_tcase(s, tc);
	tc = tcase_create("refused");
	tcase_add_test(tc, t_no_descriptor);
	tcase_add_test(tc, t_not_a_memfd);
	tcase_add_test(tc, t_wrong_seals);
	tcase_add_test(tc, t_other_version);
	tcase_add_test(tc, t_round_trip_defaults);
	tcase_add_test(tc, t_gateway_under_run);
	tcase_add_test(tc, t_sealed_net_grows);
	tcase_add_test(tc, t_every_byte_checked);
	tcase_add_test(tc, t_index_travels);
	tcase_add_test(tc, t_index_checked);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return fg_check_main(seal_suite());
}
