/* check_audit_errors.c - the checkpoint witnesses and the daemon's signing key when things go wrong: sinks that fail (a directory, a full disk, an absent or wrong journal socket, no /dev/log, a refused or dropped forward), bad state directories and keys, each with the reason shown.
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

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "audit/checkpoint.h"
#include "audit/daemon.h"
#include "audit/https.h"
#include "audit/verify_ckpt.h"
#include "audit/witness.h"
#include "tests/unit/check_main.h"
#include "tests/unit/failmalloc.h"

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/fg-auderr.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "umount -q %s/* 2>/dev/null; rm -rf %s", dir, dir);
	(void)!system(cmd);
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000;
}

/* Poll the witnesses' status until it holds want (or ms pass); the status. */
static const char *status_has(struct fg_wit *w, const char *want, int ms)
{
	static char st[4096];
	long end = now_ms() + ms;

	for (;;) {
		fg_wit_status(w, st, sizeof(st));
		if (strstr(st, want) || now_ms() > end)
			return st;
		usleep(20000);
	}
}

#define ck_status(w, want, ms)                                                    \
	do {                                                                      \
		const char *s_ = status_has(w, want, ms);                         \
		ck_assert_msg(strstr(s_, want), "want \"%s\" in:\n%s", want, s_); \
	} while (0)

static struct fg_wit *wit(const char *list, const char *forward)
{
	struct fg_wit *w = NULL;
	char err[512] = "";

	ck_assert_msg(fg_wit_open(list, "/nonexistent/default", forward, &w, err, sizeof(err)) == 0,
		      "%s", err);
	return w;
}

static int bound(const char *path, int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (type == SOCK_STREAM)
		ck_assert_int_eq(listen(fd, 4), 0);
	return fd;
}

/* --- witnesses ------------------------------------------------------------ */

/* A file witness that is a directory: failing with the reason, the line
 * kept; past the queue's room the oldest are dropped and counted. */
START_TEST(t_file_is_directory)
{
	char list[128];
	struct fg_wit *w;

	snprintf(list, sizeof(list), "file:%s", dir);
	w = wit(list, NULL);
	fg_wit_send(w, "line 1");
	ck_status(w, "failing (Is a directory), 0 sent, 1 waiting, 0 dropped", 5000);
	for (int i = 0; i < 1024; i++)
		fg_wit_send(w, "more");
	ck_status(w, "failing (Is a directory), 0 sent, 1024 waiting, 1 dropped", 5000);
	fg_wit_close(w, 0);
}
END_TEST

/* A file witness on a full disk: failing (no space), the line waits, and
 * arrives once there is room again. */
START_TEST(t_file_disk_full)
{
	char mnt[128], list[200], path[160], cmd[256], got[64] = "";
	struct fg_wit *w;
	FILE *f;

	snprintf(mnt, sizeof(mnt), "%s/small", dir);
	ck_assert_int_eq(mkdir(mnt, 0700), 0);
	if (mount("fg-auderr", mnt, "tmpfs", 0, "size=16k") < 0)
		return; /* not root: nothing to test here */
	snprintf(path, sizeof(path), "%s/wit", mnt);
	snprintf(cmd, sizeof(cmd), "dd if=/dev/zero of=%s/fill bs=4k count=64 2>/dev/null", mnt);
	(void)!system(cmd);
	snprintf(list, sizeof(list), "file:%s", path);
	w = wit(list, NULL);
	fg_wit_send(w, "checkpoint one");
	ck_status(w, "failing (No space left on device), 0 sent, 1 waiting", 5000);
	snprintf(cmd, sizeof(cmd), "%s/fill", mnt);
	ck_assert_int_eq(unlink(cmd), 0);
	ck_status(w, ": ok, 1 sent, 0 waiting", 5000);
	fg_wit_close(w, 1000);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(got, sizeof(got), f));
	fclose(f);
	ck_assert_str_eq(got, "checkpoint one\n");
	umount(mnt);
}
END_TEST

/* Lines the file and journal carriers cannot hold are refused, not cut. */
START_TEST(t_line_too_long)
{
	char list[256], line[1200];
	struct fg_wit *w;

	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	snprintf(list, sizeof(list), "file:%s/w journald:%s/j", dir, dir);
	w = wit(list, NULL);
	fg_wit_send(w, line);
	ck_status(w, "witness file", 100);
	ck_status(w, "failing (Argument list too long), 0 sent, 1 waiting", 5000);
	ck_status(w, "witness journald", 100);
	ck_status(w, "j: failing (Argument list too long), 0 sent, 1 waiting", 5000);
	fg_wit_close(w, 0);
}
END_TEST

/* The journal socket absent, refusing (a file, nobody bound), of the wrong
 * type (a stream socket) or a path too long for sun_path: each failing
 * with its reason; a datagram socket gets the native journal fields. */
START_TEST(t_journald_sockets)
{
	char list[1024], longp[300], path[160], buf[512];
	struct fg_wit *w;
	int fd, dg;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/file", dir);
	close(open(path, O_CREAT | O_WRONLY, 0600));
	snprintf(path, sizeof(path), "%s/stream", dir);
	fd = bound(path, SOCK_STREAM);
	snprintf(path, sizeof(path), "%s/dgram", dir);
	dg = bound(path, SOCK_DGRAM);
	snprintf(longp, sizeof(longp), "%s/%0200d", dir, 0);
	snprintf(list, sizeof(list), "journald:%s/absent,journald:%s/file journald:%s/stream,"
		 "journald:%s,journald:%s/dgram", dir, dir, dir, longp, dir);
	w = wit(list, NULL);
	fg_wit_send(w, "ck \"1\"");
	ck_status(w, "absent: failing (No such file or directory), 0 sent, 1 waiting", 5000);
	ck_status(w, "file: failing (Connection refused), 0 sent, 1 waiting", 5000);
	ck_status(w, "stream: failing (Protocol wrong type for socket), 0 sent, 1 waiting", 5000);
	ck_status(w, "0: failing (File name too long), 0 sent, 1 waiting", 5000);
	ck_status(w, "dgram: ok, 1 sent, 0 waiting", 5000);
	n = recv(dg, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "MESSAGE=ck \"1\"\nSYSLOG_IDENTIFIER=fg-auditd\nSYSLOG_FACILITY=10\nPRIORITY=5\n");
	fg_wit_close(w, 0);
	close(fd);
	close(dg);
}
END_TEST

/* In a mount namespace of its own: /dev/log absent, then a socket of ours
 * there.  syslog fails with the reason, then delivers as authpriv.notice;
 * the default list (no witness setting) takes syslog when /dev/log is. */
START_TEST(t_syslog)
{
	char devlog[160], buf[1024];
	struct fg_wit *w;
	int fd;
	ssize_t n;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return; /* not root */
	ck_assert_int_eq(mount("fg-auderr", "/dev", "tmpfs", 0, "size=64k"), 0);
	w = wit("syslog", NULL);
	fg_wit_send(w, "ckpt-a");
	ck_status(w, "witness syslog: failing (No such file or directory), 0 sent, 1 waiting", 5000);
	fd = bound("/dev/log", SOCK_DGRAM);
	ck_status(w, "witness syslog: ok, 1 sent, 0 waiting", 5000);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	/* <85>: authpriv (10) * 8 + notice (5) */
	ck_assert_msg(strncmp(buf, "<85>", 4) == 0 && strstr(buf, "fg-auditd[") &&
		      strstr(buf, "]: ckpt-a"), "%s", buf);
	fg_wit_close(w, 0);
	snprintf(devlog, sizeof(devlog), "%s/wit", dir);
	ck_assert_int_eq(fg_wit_open(NULL, devlog, NULL, &w, buf, sizeof(buf)), 0);
	fg_wit_status(w, buf, sizeof(buf));
	ck_assert_msg(strstr(buf, "witness file ") && strstr(buf, "witness syslog: ok"), "%s", buf);
	fg_wit_close(w, 0);
	close(fd);
	umount("/dev");
}
END_TEST

/* The word list: a word too long, an https witness where no https
 * delivery is set, and the forward's spelling. */
START_TEST(t_list_errors)
{
	static char big[PATH_MAX + 64];
	struct fg_wit *w = NULL;
	char err[1024], host[400];

	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, "file:/", 6);
	ck_assert_int_eq(fg_wit_open(big, "/x", NULL, &w, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "witness 'file:/aaaa") && strstr(err, "...': too long"), "%s", err);
	ck_assert_int_eq(fg_wit_open("file https://h/", "/x", NULL, &w, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "witness 'https://h/': only fg-auditd delivers https (expected file, file:/PATH, syslog, journald, journald:/SOCKET, https://URL or ca:/PATH)");
	ck_assert_int_eq(fg_wit_open("file,file,file,file,file,file,file,file,file", "/x", NULL, &w,
				     err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "witness 'file': Argument list too long"), "%s", err);
	snprintf(host, sizeof(host), "syslog+tcp://%0300d:514", 0);
	ck_assert_int_eq(fg_wit_open("file", "/x", host, &w, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "': host name too long"), "%s", err);
	{
		static const char *const bad[] = { "syslog+tcp://h", "syslog+tcp://:514",
			"syslog+tcp://h:", "syslog+tcp://h:51x", "syslog+tcp://h:123456", "tcp://h:1" };
		char want[128];

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			ck_assert_int_eq(fg_wit_open("file", "/x", bad[i], &w, err, sizeof(err)), -EINVAL);
			snprintf(want, sizeof(want), "forward '%s': expected syslog+tcp://HOST:PORT", bad[i]);
			ck_assert_str_eq(err, want);
		}
	}
}
END_TEST

/* A forward to a port nobody listens on: failing (refused), records wait;
 * [::1]:PORT is read as an IPv6 address; a collector that hangs up. */
START_TEST(t_forward_errors)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t sl = sizeof(sa);
	char fwd[128], want[256];
	struct fg_wit *w;
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), c;

	ck_assert_int_ge(fd, 0);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return; /* no IPv6 loopback */
	}
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	/* bound, not listening: connections are refused */
	snprintf(fwd, sizeof(fwd), "syslog+tcp://[::1]:%u", ntohs(sa.sin6_port));
	w = wit("file:/dev/null", fwd);
	fg_wit_forward(w, "{\"seq\":1}\n", 10);
	snprintf(want, sizeof(want), "forward %s: failing (Connection refused), 0 sent, 1 waiting, 0 dropped", fwd);
	ck_status(w, want, 5000);
	/* now it listens, takes one connection and hangs up on it */
	ck_assert_int_eq(listen(fd, 1), 0);
	snprintf(want, sizeof(want), "forward %s: ok, 1 sent, 0 waiting", fwd);
	ck_status(w, want, 5000);
	c = accept(fd, NULL, NULL);
	ck_assert_int_ge(c, 0);
	{
		char buf[512];
		ssize_t n = recv(c, buf, sizeof(buf) - 1, 0);

		ck_assert_int_gt(n, 0);
		buf[n] = '\0';
		ck_assert_msg(strstr(buf, " <85>1 ") && strstr(buf, " fg-auditd ") &&
			      strstr(buf, " audit - {\"seq\":1}"), "%s", buf);
	}
	close(c);
	close(fd);
	/* nobody is there any more: the next records fail to go (a broken
	 * pipe or reset on the old connection, then refused) and wait.  The
	 * first one written after the hang-up may still count as sent: TCP
	 * took it, and syslog over TCP has no answer to tell otherwise. */
	for (int i = 0; i < 3; i++) {
		fg_wit_forward(w, "{\"seq\":2}\n", 10);
		usleep(100000);
	}
	snprintf(want, sizeof(want), "forward %s: failing (", fwd);
	ck_status(w, want, 5000);
	{
		const char *s = status_has(w, "", 0);
		unsigned sent = 0, waiting = 0;
		const char *f = strstr(s, "forward ");

		ck_assert_msg(f && (strstr(f, "(Broken pipe)") || strstr(f, "(Connection reset by peer)") ||
				    strstr(f, "(Connection refused)")), "%s", s);
		ck_assert_int_eq(sscanf(strchr(f, ')') + 1, ", %u sent, %u waiting", &sent, &waiting), 2);
		ck_assert_msg(sent <= 2 && waiting >= 2 && sent + waiting == 4, "%s", s);
	}
	fg_wit_close(w, 0);
}
END_TEST

/* --- https witnesses (fg-auditd's https.c) --------------------------------- */

/* A URL it cannot use, a host that does not resolve, a CA file that does not
 * load: each refused before any connection, with the reason. */
START_TEST(t_https_refused_early)
{
	char err[512];

	ck_assert_int_eq(fg_https_post("https://h:44x/", NULL, "{}", err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "bad URL 'https://h:44x/'");
	ck_assert_int_eq(fg_https_post("https://[::1:443/p", NULL, "{}", err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "bad URL 'https://[::1:443/p'");
	ck_assert_int_eq(fg_https_post("https://[::1]:/p", NULL, "{}", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(fg_https_post("https://:443/p", NULL, "{}", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(fg_https_post("https://no-such-host.invalid", NULL, "{}", err, sizeof(err)),
			 -EHOSTUNREACH);
	ck_assert_str_eq(err, "cannot resolve 'no-such-host.invalid'");
	ck_assert_int_eq(fg_https_post("https://127.0.0.1:1/", "/nonexistent/ca.pem", "{}", err,
				       sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "cannot load the CA file '/nonexistent/ca.pem'");
}
END_TEST

/* A collector on [::1] that hangs up before TLS: the handshake fails and
 * says so (and the bracketed address with its port is what was reached). */
START_TEST(t_https_no_tls)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t sl = sizeof(sa);
	char url[96], err[512];
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), st;
	pid_t p;

	ck_assert_int_ge(fd, 0);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return; /* no IPv6 loopback */
	}
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	ck_assert_int_eq(listen(fd, 1), 0);
	p = fork();
	ck_assert_int_ge(p, 0);
	if (p == 0) {
		int c = accept(fd, NULL, NULL);
		char b[512];

		_exit(c >= 0 && recv(c, b, sizeof(b), 0) > 0 && b[0] == 0x16 ? 0 : 1); /* a ClientHello */
	}
	close(fd);
	snprintf(url, sizeof(url), "https://[::1]:%u", ntohs(sa.sin6_port));
	ck_assert_int_eq(fg_https_post(url, NULL, "{}", err, sizeof(err)), -ECONNRESET);
	/* OpenSSL 3 names the early end itself */
	ck_assert_msg(!strcmp(err, "TLS handshake failed: unexpected eof while reading") ||
		      !strcmp(err, "TLS handshake failed: connection closed"), "%s", err);
	ck_assert_int_eq(waitpid(p, &st, 0), p);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
END_TEST

/* --- checkpoints: the state directory and the signing key ----------------- */

static int ckpt_open_err(const char *state, char *err, size_t errlen)
{
	struct fg_ckpt_conf cc = { .log = "/ws/audit.log", .state_dir = state, .witness = "file:/dev/null" };
	struct fg_ckpt *k = NULL;
	int r;

	err[0] = '\0';
	r = fg_ckpt_open(&cc, &k, err, errlen);
	if (r == 0)
		fg_ckpt_close(k);
	return r;
}

static void put(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

START_TEST(t_state_dir_errors)
{
	char st[128], p[192], err[PATH_MAX + 256];

	/* the state directory under a regular file */
	snprintf(p, sizeof(p), "%s/file", dir);
	put(p, "x", 0600);
	snprintf(st, sizeof(st), "%s/file/state", dir);
	ck_assert_int_eq(ckpt_open_err(st, err, sizeof(err)), -ENOTDIR);
	ck_assert_msg(strstr(err, "cannot create '") && strstr(err, "/file/state/audit/': Not a directory"),
		      "%s", err);
	/* its audit/ a regular file */
	snprintf(st, sizeof(st), "%s/s1", dir);
	ck_assert_int_eq(mkdir(st, 0700), 0);
	snprintf(p, sizeof(p), "%s/audit", st);
	put(p, "x", 0600);
	ck_assert_int_lt(ckpt_open_err(st, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "cannot create '") && strstr(err, "/s1/audit/"), "%s", err);
}
END_TEST

START_TEST(t_signing_key_errors)
{
	char st[128], a[192], key[256], pub[256], tmp[300], err[PATH_MAX + 256];

	snprintf(st, sizeof(st), "%s/st", dir);
	snprintf(a, sizeof(a), "%s/audit", st);
	snprintf(key, sizeof(key), "%s/signing.key", a);
	snprintf(pub, sizeof(pub), "%s/signing.pub", a);
	ck_assert_int_eq(mkdir(st, 0700), 0);
	ck_assert_int_eq(mkdir(a, 0700), 0);
	/* a dangling symbolic link where the key goes: neither followed to
	 * create one nor read */
	ck_assert_int_eq(symlink("/nonexistent/key", key), 0);
	ck_assert_int_eq(ckpt_open_err(st, err, sizeof(err)), -ENOENT);
	ck_assert_msg(strstr(err, "cannot open signing key '") && strstr(err, "': No such file or directory"),
		      "%s", err);
	ck_assert_int_eq(unlink(key), 0);
	/* a key others may read */
	put(key, "-----BEGIN PRIVATE KEY-----\n", 0644);
	ck_assert_int_eq(ckpt_open_err(st, err, sizeof(err)), -EPERM);
	ck_assert_msg(strstr(err, "signing.key' must be ours and mode 0600"), "%s", err);
	/* not a key */
	put(key, "not a key\n", 0600);
	ck_assert_int_eq(ckpt_open_err(st, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "signing.key' is not an Ed25519 private key in PEM"), "%s", err);
	ck_assert_int_eq(unlink(key), 0);
	/* the public key cannot be written (its temporary name is taken by a
	 * directory): no key is left behind, and the reason is said */
	snprintf(tmp, sizeof(tmp), "%s.tmp", pub);
	ck_assert_int_eq(mkdir(tmp, 0700), 0);
	ck_assert_int_lt(ckpt_open_err(st, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "cannot create signing key '") && strstr(err, "Is a directory"), "%s", err);
	ck_assert_int_eq(access(key, F_OK), -1);
	ck_assert_int_eq(rmdir(tmp), 0);
	/* then it works, and the public key removed is written again */
	ck_assert_int_eq(ckpt_open_err(st, err, sizeof(err)), 0);
	ck_assert_int_eq(unlink(pub), 0);
	ck_assert_int_eq(ckpt_open_err(st, err, sizeof(err)), 0);
	ck_assert_int_eq(access(pub, R_OK), 0);
}
END_TEST

START_TEST(t_public_key_errors)
{
	struct fg_ckpt_pub *k = NULL;
	char p[192], err[PATH_MAX + 256];

	snprintf(p, sizeof(p), "%s/missing.pub", dir);
	ck_assert_int_eq(fg_ckpt_pub_load(p, &k, err, sizeof(err)), -ENOENT);
	ck_assert_msg(strstr(err, "cannot open public key '") && strstr(err, "missing.pub': No such file or directory"),
		      "%s", err);
	/* a real public key of another type (X25519) */
	snprintf(p, sizeof(p), "%s/x25519.pub", dir);
	put(p, "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VuAyEAsDDTVJ84isrJryp2kHhPMNXlKfm2cYwnSJjN2udv3BI=\n"
	       "-----END PUBLIC KEY-----\n", 0644);
	ck_assert_int_eq(fg_ckpt_pub_load(p, &k, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "x25519.pub' is not an Ed25519 public key in PEM"), "%s", err);
	ck_assert_int_eq(fg_ckpt_pub_load(dir, &k, err, sizeof(err)), -EINVAL);
}
END_TEST

/* Status with checkpoints off; a line carried with trailing blanks. */
START_TEST(t_ckpt_odd_ends)
{
	const char *good = "fleetguard-checkpoint v1 log=0123456789abcdef0123456789abcdef seq=7 "
		"head=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
		"time=2026-12-06T01:02:03Z prev=0000000000000000000000000000000000000000000000000000000000000000 "
		"from=1 digest=- key=0123456789abcdef "
		"sig=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
	struct fg_ckpt_rec r;
	char line[1024], out[64];

	fg_ckpt_status(NULL, out, sizeof(out));
	ck_assert_str_eq(out, "no checkpoints\n");
	snprintf(line, sizeof(line), "Dec 6 host fg-auditd[1]: %s \t\r\n", good);
	ck_assert_int_eq(fg_ckpt_parse(line, strlen(line), &r), 1);
	ck_assert_uint_eq(r.seq, 7);
	ck_assert_str_eq(r.sig + 120, "bbbbbbbb");
}
END_TEST

/* --- checkpoints: when, and what a restarted daemon chains on ------------ */

static struct fg_ckpt *ckpt_file(const char *state)
{
	struct fg_ckpt_conf cc = { .log = "/ws/audit.log", .state_dir = state, .witness = "file" };
	struct fg_ckpt *k = NULL;
	char err[PATH_MAX + 256] = "";

	ck_assert_msg(fg_ckpt_open(&cc, &k, err, sizeof(err)) == 0, "%s", err);
	return k;
}

static void ckpt_tap(struct fg_ckpt *k, uint64_t seq)
{
	char hash[65], line[64];

	snprintf(hash, sizeof(hash), "%064" PRIu64, seq);
	snprintf(line, sizeof(line), "{\"seq\":%" PRIu64 "}\n", seq);
	fg_ckpt_tap(k, seq, hash, line, strlen(line));
}

/* The checkpoints of the witness file in st, as parsed, in order (n). */
static size_t ckpt_lines(const char *st, struct fg_ckpt_rec *out, size_t max)
{
	char path[PATH_MAX], line[FG_CKPT_LINE_MAX * 2], id[33];
	size_t n = 0;
	FILE *f;

	ck_assert_int_eq(fg_ckpt_log_id("/ws/audit.log", id), 0);
	snprintf(path, sizeof(path), "%s/audit/%s.witness", st, id);
	f = fopen(path, "re");
	ck_assert_msg(f != NULL, "%s", path);
	while (fgets(line, sizeof(line), f))
		if (n < max && fg_ckpt_parse(line, strlen(line), &out[n]) == 1)
			n++;
	fclose(f);
	return n;
}

/* A process's end asks for a checkpoint soon: the first at once, then at
 * most one per FG_CKPT_SOON_MS, however many processes end meanwhile. */
START_TEST(t_ckpt_soon_coalesces)
{
	struct fg_ckpt_rec r[8];
	struct fg_ckpt *k;
	char st[128];
	int ms, waited = 0;

	snprintf(st, sizeof(st), "%s/st", dir);
	k = ckpt_file(st);
	ck_assert_int_eq(fg_ckpt_wait_ms(k), -1);
	ck_assert_int_eq(fg_ckpt_soon(k), 0);           /* nothing pending: nothing */
	ckpt_tap(k, 1);
	ck_assert_int_eq(fg_ckpt_soon(k), 0);           /* the first: at once */
	ck_assert_int_eq(fg_ckpt_wait_ms(k), -1);
	for (uint64_t seq = 2; seq <= 4; seq++) {
		ckpt_tap(k, seq);
		ck_assert_int_eq(fg_ckpt_soon(k), 0);   /* the next ones wait */
		ms = fg_ckpt_wait_ms(k);
		ck_assert_msg(ms > 0 && ms <= FG_CKPT_SOON_MS, "%d", ms);
		ck_assert(!fg_ckpt_due(k));
	}
	while (!fg_ckpt_due(k) && waited < 2 * FG_CKPT_SOON_MS) {
		usleep(5000);
		waited += 5;
	}
	/* due by the soon deadline, long before the one-second period */
	ck_assert_msg(fg_ckpt_due(k) && waited < FG_CKPT_PERIOD_MS / 2, "%d ms", waited);
	ck_assert_int_eq(fg_ckpt_emit(k), 0);
	ck_assert_int_eq(fg_ckpt_wait_ms(k), -1);
	fg_ckpt_close(k);                               /* the witness delivered */
	ck_assert_uint_eq(ckpt_lines(st, r, 8), 2);
	ck_assert_uint_eq(r[0].seq, 1);
	ck_assert_uint_eq(r[1].seq, 4);
	ck_assert_uint_eq(r[1].from, 2);
}
END_TEST

/* A restarted daemon chains on the last checkpoint of a long witness file
 * (read from its tail), and on one that only a full scan finds (the tail
 * holds lines of no checkpoint of this log). */
START_TEST(t_ckpt_resume_tail)
{
	struct fg_ckpt_rec r[400];
	struct fg_ckpt *k;
	char st[128], path[PATH_MAX], id[33], hash[65];
	size_t n;
	FILE *f;

	snprintf(st, sizeof(st), "%s/st", dir);
	k = ckpt_file(st);
	for (uint64_t seq = 1; seq <= 300; seq++) {     /* ~120 KB of witness */
		ckpt_tap(k, seq);
		ck_assert_int_eq(fg_ckpt_emit(k), 0);
	}
	fg_ckpt_close(k);
	k = ckpt_file(st);
	ckpt_tap(k, 301);
	fg_ckpt_close(k);                               /* its last checkpoint */
	n = ckpt_lines(st, r, 400);
	ck_assert_uint_eq(n, 301);
	ck_assert_int_eq(fg_ckpt_hash(&r[299], hash), 0);
	ck_assert_str_eq(r[300].prev, hash);
	ck_assert_uint_eq(r[300].from, 301);
	/* 80 KB of other lines after the last checkpoint */
	ck_assert_int_eq(fg_ckpt_log_id("/ws/audit.log", id), 0);
	snprintf(path, sizeof(path), "%s/audit/%s.witness", st, id);
	f = fopen(path, "ae");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 1000; i++)
		fprintf(f, "not a checkpoint %0*d\n", 60, i);
	fclose(f);
	k = ckpt_file(st);
	ckpt_tap(k, 302);
	fg_ckpt_close(k);
	n = ckpt_lines(st, r, 400);
	ck_assert_uint_eq(n, 302);
	ck_assert_int_eq(fg_ckpt_hash(&r[300], hash), 0);
	ck_assert_str_eq(r[301].prev, hash);
}
END_TEST

/* --- the daemon as the client starts it ------------------------------------ */

/* The pid listening on sock (the kernel keeps the listener's credentials). */
static pid_t listener_pid(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ucred cr = { 0 };
	socklen_t len = sizeof(cr);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len), 0);
	close(fd);
	return cr.pid;
}

/* The daemon's command line, its NULs as newlines. */
static void cmdline(pid_t pid, char *out, size_t cap)
{
	char p[64];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "/proc/%d/cmdline", (int)pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	n = read(fd, out, cap - 1);
	close(fd);
	ck_assert_int_gt(n, 0);
	for (ssize_t i = 0; i < n; i++)
		if (!out[i])
			out[i] = '\n';
	out[n] = '\0';
}

/* The daemon of log, or 0 when none listens (it has gone). */
static pid_t listener_pid_or_0(const char *log)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ucred cr = { 0 };
	socklen_t len = sizeof(cr);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s.sock", log);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		cr.pid = 0;
	close(fd);
	return cr.pid;
}

/* The daemon leaves by itself once its clients and the processes it must
 * outlive are gone (and so keeps its coverage counters); one that is still
 * there after 3 s (waiting for this test process) is stopped. */
static void stop_daemon(pid_t pid)
{
	long end = now_ms() + 3000;

	if (pid <= 0)
		return;
	while (kill(pid, 0) == 0 && now_ms() < end)
		usleep(20000);
	kill(pid, SIGTERM);
	for (end = now_ms() + 5000; kill(pid, 0) == 0 && now_ms() < end;)
		usleep(20000);
}

/* Every setting of the policy's [audit] reaches the daemon the client
 * starts: key, state directory, witnesses, forward, checkpoint period;
 * and the daemon acts on them (a checkpoint per record, in the witness
 * named, with the digest a keyed log carries). */
START_TEST(t_spawn_passes_settings)
{
	char log[128], key[128], real[PATH_MAX], st[128], wit[128], wl[160], sock[160];
	char cl[2048], want[PATH_MAX + 512], err[PATH_MAX + 256], line[1024] = "";
	struct fg_audit_conf c = { .fsync = FG_AUDIT_FSYNC_NEVER, .agent = "spawner",
				   .exe = "/bin/spawner", .checkpoint_every = 1,
				   .forward = "syslog+tcp://127.0.0.1:1" };
	struct fg_audit *a = NULL, *r = NULL;
	struct fg_audit_rec rec = { .op = "open", .decision = "allow", .rule = "p.ini:1" };
	pid_t pid;
	FILE *f;
	long end;

	snprintf(log, sizeof(log), "%s/log/audit.log", dir);
	snprintf(key, sizeof(key), "%s/hmac.key", dir);
	snprintf(st, sizeof(st), "%s/state", dir);
	snprintf(wit, sizeof(wit), "%s/witness.txt", dir);
	snprintf(wl, sizeof(wl), "file:%s", wit);
	put(key, "0123456789abcdef0123456789abcdef", 0600);
	ck_assert_ptr_nonnull(realpath(key, real));
	c.path = log;
	c.key_file = key;
	c.state_dir = st;
	c.witness = wl;
	ck_assert_msg(fg_audit_open(&c, &a, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(fg_auditd_ensure(a, "spawner", "/bin/spawner", err, sizeof(err)) == 0, "%s", err);
	fg_audit_sock_path(a, sock, sizeof(sock));
	pid = listener_pid(sock);
	cmdline(pid, cl, sizeof(cl));
	ck_assert_uint_lt(strlen(real), 1024);
	snprintf(want, sizeof(want), "\n--key\n%s\n--state\n%s\n--witness\n%s\n"
		 "--forward\nsyslog+tcp://127.0.0.1:1\n--checkpoint-every\n1\n", real, st, wl);
	ck_assert_msg(strstr(cl, want), "want %s in %s", want, cl);
	ck_assert_msg(fg_audit_open_remote(&c, &r, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(fg_audit_append(r, &rec), 0);
	fg_audit_close(r);
	for (end = now_ms() + 5000; now_ms() < end && !strstr(line, " digest="); usleep(20000)) {
		f = fopen(wit, "r");
		if (f) {
			if (!fgets(line, sizeof(line), f))
				line[0] = '\0';
			fclose(f);
		}
	}
	ck_assert_msg(strstr(line, "fleetguard-checkpoint v1 ") && strstr(line, " seq=1 ") &&
		      !strstr(line, " digest=- "), "%s", line);
	fg_audit_close(a);
	stop_daemon(pid);
}
END_TEST

/* Root starts the daemon as its daemon_user: --user, and it runs as that
 * user; a client of another uid than root, ours and it is refused. */
START_TEST(t_spawn_as_daemon_user)
{
	char ud[128], log[160], st[160], sock[192], cl[2048], p[64], buf[4096], err[PATH_MAX + 256];
	struct fg_audit_conf c = { .fsync = FG_AUDIT_FSYNC_NEVER, .agent = "spawner",
				   .exe = "/bin/spawner", .daemon_user = "nobody", .daemon_uid = 65534 };
	struct fg_audit *r = NULL;
	pid_t pid;
	int fd;
	ssize_t n;

	if (geteuid() != 0)
		return;
	ck_assert_int_eq(chmod(dir, 0711), 0);
	snprintf(ud, sizeof(ud), "%s/u", dir);
	ck_assert_int_eq(mkdir(ud, 0700), 0);
	ck_assert_int_eq(chown(ud, 65534, 65534), 0);
	snprintf(log, sizeof(log), "%s/log", ud);
	ck_assert_int_eq(mkdir(log, 0700), 0);
	ck_assert_int_eq(chown(log, 65534, 65534), 0);
	snprintf(log, sizeof(log), "%s/log/audit.log", ud);
	snprintf(st, sizeof(st), "%s/state", ud);
	c.path = log;
	c.state_dir = st;
	ck_assert_msg(fg_audit_open_client(&c, &r, err, sizeof(err)) == 0, "%s", err);
	snprintf(sock, sizeof(sock), "%s.sock", log);
	pid = listener_pid(sock);
	cmdline(pid, cl, sizeof(cl));
	ck_assert_msg(strstr(cl, "\n--user\nnobody\n"), "%s", cl);
	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_msg(strstr(buf, "\nUid:\t65534\t65534\t65534\t65534\n"), "%s", buf);
	fg_audit_close(r);
	stop_daemon(pid);
}
END_TEST

static size_t log_lines(const char *log, const char *needle)
{
	char line[8192];
	size_t n = 0;
	FILE *f = fopen(log, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

/* An exec's record hands the connection to the next image (close-on-exec
 * off); after a failed exec it is taken back (close-on-exec on again) and
 * the process goes on recording on it.  A vfork child's exec gets a
 * connection of its own, which a failed exec closes. */
START_TEST(t_handover_and_back)
{
	char log[128], err[PATH_MAX + 256];
	struct fg_audit_conf c = { .fsync = FG_AUDIT_FSYNC_BATCH, .agent = "agent", .exe = "/bin/agent" };
	struct fg_audit_field f[] = { { .key = "path", .type = FG_AF_STR, .s = "/bin/x", .len = 6 } };
	struct fg_audit_handover h = { .fd = -1 };
	static struct fg_audit_handover gh;
	static volatile int gr, gflags, gafter, gerr, gfd;
	struct fg_audit_rec ex = { .op = "exec", .f = f, .nf = 1, .decision = "allow", .handover = &h };
	struct fg_audit_rec plain = { .op = "open", .decision = "allow" };
	struct fg_audit *r = NULL;
	int fd, st;
	pid_t g;

	snprintf(log, sizeof(log), "%s/audit.log", dir);
	c.path = log;
	ck_assert_msg(fg_audit_open_client(&c, &r, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(fg_audit_append(r, &plain), 0);
	ck_assert_int_eq(fg_audit_append(r, &ex), 0);
	ck_assert_int_ge(h.fd, 3);
	ck_assert(!h.guest);
	fd = h.fd;
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	fg_audit_handback(r, &h);               /* the exec failed */
	ck_assert_int_eq(h.fd, -1);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	fg_audit_handback(r, &h);               /* twice: nothing more */
	/* a vfork child's exec */
	gh = (struct fg_audit_handover){ .fd = -1 };
	g = vfork();
	if (g == 0) {
		static struct fg_audit_rec gx;

		gx = ex;
		gx.handover = &gh;
		gr = fg_audit_append(r, &gx);
		gflags = gh.fd >= 0 ? fcntl(gh.fd, F_GETFD) : -2;
		gfd = gh.fd;
		fg_audit_handback(r, &gh);
		gafter = fcntl(gfd, F_GETFD);
		gerr = errno;
		_exit(0);
	}
	ck_assert_int_gt(g, 0);
	ck_assert_int_eq(waitpid(g, &st, 0), g);
	ck_assert_int_eq(gr, 0);
	ck_assert(gh.guest);
	ck_assert_int_eq(gflags & FD_CLOEXEC, 0);      /* it was open across the exec */
	ck_assert_int_eq(gh.owed, 1);
	ck_assert_int_eq(gafter, -1);                  /* and closed when it failed */
	ck_assert_int_eq(gerr, EBADF);
	ck_assert_int_eq(fg_audit_append(r, &plain), 0);
	ck_assert_int_eq(fg_audit_flush(r), 0);
	/* the vfork child's record came on a connection of its own: the
	 * daemon writes it in its own time */
	for (long end = now_ms() + 5000; now_ms() < end && log_lines(log, "\"op\":\"exec\"") < 2;)
		usleep(20000);
	ck_assert_uint_eq(log_lines(log, "\"op\":\"exec\""), 2);
	ck_assert_uint_eq(log_lines(log, "\"op\":\"open\""), 2);
	fg_audit_close(r);
	stop_daemon(listener_pid_or_0(log));
}
END_TEST

/* A client that owes its hello (attach): a refusal comes with the next
 * record.  Here the daemon's key differs: the record is refused, named. */
START_TEST(t_attach_refused_later)
{
	char log[128], key[128], err[PATH_MAX + 256];
	struct fg_audit_conf c = { .fsync = FG_AUDIT_FSYNC_BATCH, .agent = "a", .exe = "/bin/a" };
	struct fg_audit_rec plain = { .op = "open", .decision = "allow", .barrier = true };
	struct fg_audit *d = NULL, *r = NULL;
	int ret;

	snprintf(log, sizeof(log), "%s/audit.log", dir);
	snprintf(key, sizeof(key), "%s/k", dir);
	c.path = log;
	ck_assert_msg(fg_audit_open_client(&c, &d, err, sizeof(err)) == 0, "%s", err);
	put(key, "0123456789abcdef0123456789abcdef", 0600);
	c.key_file = key;
	c.owe_hello = true;
	ck_assert_msg(fg_audit_open_remote(&c, &r, err, sizeof(err)) == 0, "%s", err);
	ret = fg_audit_append(r, &plain);
	ck_assert_msg(ret < 0, "%d", ret);
	fg_audit_close(r);
	c.owe_hello = false;
	/* the same settings: attached, and recorded */
	c.key_file = NULL;
	c.owe_hello = true;
	ck_assert_msg(fg_audit_open_remote(&c, &r, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(fg_audit_append(r, &plain), 0);
	fg_audit_close(r);
	ck_assert_uint_eq(log_lines(log, "\"op\":\"open\""), 1);
	fg_audit_close(d);
	stop_daemon(listener_pid_or_0(log));
}
END_TEST

/* A key file that does not exist: the log is not opened, the reason named. */
START_TEST(t_key_file_missing)
{
	char log[128], key[128], err[PATH_MAX + 256];
	struct fg_audit_conf c = { .fsync = FG_AUDIT_FSYNC_BATCH, .agent = "a", .exe = "/bin/a" };
	struct fg_audit *a = NULL;

	snprintf(log, sizeof(log), "%s/audit.log", dir);
	snprintf(key, sizeof(key), "%s/no.key", dir);
	c.path = log;
	c.key_file = key;
	ck_assert_int_eq(fg_audit_open(&c, &a, err, sizeof(err)), -ENOENT);
	ck_assert_msg(strstr(err, "cannot open key file '") && strstr(err, "no.key': No such file or directory"),
		      "%s", err);
}
END_TEST

/* A daemon of the test's own, on a real socket: it answers the hello,
 * takes the pipelined records and the ring, refuses the ring only once the
 * client has put records in it, then expects them again down the socket,
 * in order, before the record that waits for its answer.  Exit 0 if so. */
static int refusing_daemon(int lfd)
{
	static char buf[70000], seen[70000];
	char ans[8] = { 'A' };
	const char *last = seen;
	size_t sl = 0;
	int fd = accept(lfd, NULL, NULL), before = 0;
	ssize_t n;

	if (fd < 0 || recv(fd, buf, sizeof(buf), 0) <= 0 || buf[0] != 'H')
		return 10;
	memcpy(ans + 4, &(int32_t){ 0 }, 4);
	(void)!send(fd, ans, 8, 0);
	/* the records before the ring, then the ring ('M', with its fd) */
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0 && buf[0] != 'M')
		before++;
	if (n != 1)
		return 11;
	usleep(300000);                 /* the client fills the ring meanwhile */
	memcpy(ans + 4, &(int32_t){ -EPERM }, 4);
	(void)!send(fd, ans, 8, 0);
	/* what comes now: the ring's records again, then the waiting one */
	for (int i = 0; i < 6; i++) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0 || sl + (size_t)n >= sizeof(seen))
			return 12;
		memcpy(seen + sl, buf, (size_t)n);
		sl += (size_t)n;
	}
	memcpy(ans + 4, &(int32_t){ 0 }, 4);
	(void)!send(fd, ans, 8, 0);
	for (int i = 0; i < 6; i++) {
		char want[16];
		const char *at;

		snprintf(want, sizeof(want), "/ws/r%d", before + 1 + i);
		at = memmem(seen, sl, want, strlen(want));
		if (!at || at < last)
			return 13 + i;  /* lost, or out of order */
		last = at;
	}
	(void)!recv(fd, buf, sizeof(buf), 0);  /* until the client goes */
	return before == 15 ? 0 : 30;
}

/* The daemon refuses the ring after records went into it: they are sent
 * again down the socket, in order, none lost, and the client goes on
 * without a ring. */
START_TEST(t_ring_refused_records_resent)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct fg_auditc *c = NULL;
	char sock[128], path[16], err[256];
	struct fg_audit_field f[] = { { .key = "path", .type = FG_AF_STR, .s = path } };
	struct fg_audit_rec rec = { .op = "open", .f = f, .nf = 1, .decision = "allow" };
	int lfd, st;
	pid_t p;

	snprintf(sock, sizeof(sock), "%s/fake.sock", dir);
	strcpy(sa.sun_path, sock);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(lfd, 4), 0);
	p = fork();
	ck_assert_int_ge(p, 0);
	if (p == 0)
		_exit(refusing_daemon(lfd));
	close(lfd);
	ck_assert_msg(fg_auditc_new(sock, "a", "/bin/a", NULL, &c, err, sizeof(err)) == 0, "%s", err);
	/* 15 down the socket, the ring made at the 16th, which goes into it
	 * with 4 more; the 21st waits for its answer */
	for (int i = 1; i <= 21; i++) {
		snprintf(path, sizeof(path), "/ws/r%d", i);
		f[0].len = strlen(path);
		ck_assert_int_eq(fg_auditc_append(c, &rec, i == 21, false), 0);
	}
	fg_auditc_free(c);
	ck_assert_int_eq(waitpid(p, &st, 0), p);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fake daemon: %d", WEXITSTATUS(st));
}
END_TEST

/* A daemon run by another user (not root, not ours, no daemon_user said):
 * refused before anything is sent, and named so. */
START_TEST(t_daemon_of_another_user_refused)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct fg_auditc *c = NULL;
	char err[512], want[512];
	int lfd, st, ready[2];
	pid_t p;

	if (geteuid() != 0)
		return;
	ck_assert_int_eq(chmod(dir, 0777), 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/other.sock", dir);
	ck_assert_int_eq(pipe(ready), 0);
	p = fork();
	ck_assert_int_ge(p, 0);
	if (p == 0) {
		char b[256];
		int fd;

		if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
			_exit(1);
		lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
		if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4) < 0)
			_exit(2);
		(void)!write(ready[1], "", 1);
		fd = accept(lfd, NULL, NULL);
		/* whatever comes is not a hello: the client hangs up first */
		_exit(fd >= 0 && recv(fd, b, sizeof(b), 0) == 0 ? 0 : 3);
	}
	close(ready[1]);
	ck_assert_int_eq(read(ready[0], err, 1), 1);
	ck_assert_int_eq(fg_auditc_new(sa.sun_path, "a", "/bin/a", NULL, &c, err, sizeof(err)), -EPERM);
	snprintf(want, sizeof(want), "the audit daemon at '%s' runs as another user: refused", sa.sun_path);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(waitpid(p, &st, 0), p);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%d", WEXITSTATUS(st));
}
END_TEST

/* No daemon serves the log and its daemon_user is another: only root may
 * start one (it would hold the key within our reach). */
START_TEST(t_spawn_refused_to_non_root)
{
	char ud[128], log[160], err[PATH_MAX + 256];
	struct fg_audit_conf c = { .fsync = FG_AUDIT_FSYNC_NEVER, .agent = "a", .exe = "/bin/a",
				   .daemon_user = "root", .daemon_uid = 0 };
	struct fg_audit *r = NULL;
	int st;
	pid_t p;

	if (geteuid() != 0)
		return;
	ck_assert_int_eq(chmod(dir, 0711), 0);
	snprintf(ud, sizeof(ud), "%s/n", dir);
	ck_assert_int_eq(mkdir(ud, 0700), 0);
	ck_assert_int_eq(chown(ud, 65534, 65534), 0);
	snprintf(log, sizeof(log), "%s/audit.log", ud);
	c.path = log;
	p = fork();
	ck_assert_int_ge(p, 0);
	if (p == 0) {
		char want[PATH_MAX + 256];

		int ret;

		/* nobody, root kept as the saved uid to write the coverage
		 * counters with at exit() */
		if (setresgid(65534, 65534, 0) < 0 || setresuid(65534, 65534, 0) < 0)
			_exit(1);
		ret = fg_audit_open_client(&c, &r, err, sizeof(err));
		snprintf(want, sizeof(want),
			 "no audit daemon serves '%s', and only root can start one as daemon_user 'root'", log);
		ret = ret != -EPERM ? 2 : strcmp(err, want) ? 3 : 0;
		if (setresuid(0, 0, 0) < 0 || setresgid(0, 0, 0) < 0)
			_exit(4);
		exit(ret);
	}
	ck_assert_int_eq(waitpid(p, &st, 0), p);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%d", WEXITSTATUS(st));
	ck_assert_int_eq(access(log, F_OK), -1);        /* nothing was started */
}
END_TEST

/* The daemon is stopped while a client fills its ring: the client waits
 * for it to drain ('W') instead of overwriting, and every record arrives.
 * The daemon raised its descriptor limit to the hard limit at start. */
START_TEST(t_ring_full_waits)
{
	char log[128], err[PATH_MAX + 256], big[2048], lim[4096], p[64];
	struct fg_audit_conf c = { .fsync = FG_AUDIT_FSYNC_NEVER, .agent = "a", .exe = "/bin/a" };
	struct fg_audit_field f[] = { { .key = "path", .type = FG_AF_STR, .s = big, .len = sizeof(big) - 1 } };
	struct fg_audit_rec rec = { .op = "open", .f = f, .nf = 1, .decision = "allow" };
	struct rlimit rl, low;
	struct fg_audit *r = NULL;
	pid_t d, w;
	int fd, st;
	ssize_t n;

	memset(big, 'b', sizeof(big) - 1);
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	snprintf(log, sizeof(log), "%s/audit.log", dir);
	c.path = log;
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	/* started by a child with a low soft limit, which then goes (the
	 * daemon stays for its clients only, and leaves after the last) */
	w = fork();
	ck_assert_int_ge(w, 0);
	if (w == 0) {
		low = (struct rlimit){ 256, rl.rlim_max };
		if (setrlimit(RLIMIT_NOFILE, &low) < 0 || fg_audit_open_client(&c, &r, err, sizeof(err)) < 0)
			exit(1);
		fg_audit_close(r);
		exit(0);
	}
	ck_assert_int_eq(waitpid(w, &st, 0), w);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "spawner: %d", WEXITSTATUS(st));
	ck_assert_msg(fg_audit_open_remote(&c, &r, err, sizeof(err)) == 0, "%s", err);
	d = listener_pid_or_0(log);
	ck_assert_int_gt(d, 0);
	snprintf(p, sizeof(p), "/proc/%d/limits", (int)d);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	n = read(fd, lim, sizeof(lim) - 1);
	close(fd);
	ck_assert_int_gt(n, 0);
	lim[n] = '\0';
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max > 256) {
		char want[128];

		snprintf(want, sizeof(want), "Max open files            %-20llu %-20llu",
			 (unsigned long long)rl.rlim_max, (unsigned long long)rl.rlim_max);
		ck_assert_msg(strstr(lim, want), "want %s in %s", want, lim);
	}
	/* the ring: made after 16 records, confirmed by a barrier */
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(fg_audit_append(r, &rec), 0);
	rec.barrier = true;
	ck_assert_int_eq(fg_audit_append(r, &rec), 0);
	rec.barrier = false;
	ck_assert_int_eq(kill(d, SIGSTOP), 0);
	w = fork();
	ck_assert_int_ge(w, 0);
	if (w == 0) {
		usleep(400000);
		kill(d, SIGCONT);
		_exit(0);
	}
	/* 200 records of 2 KiB: more than the ring's 128 KiB */
	for (int i = 0; i < 200; i++)
		ck_assert_int_eq(fg_audit_append(r, &rec), 0);
	ck_assert_int_eq(fg_audit_flush(r), 0);
	ck_assert_int_eq(waitpid(w, NULL, 0), w);
	ck_assert_uint_eq(log_lines(log, "\"op\":\"open\""), 221);
	fg_audit_close(r);
	stop_daemon(listener_pid_or_0(log));
}
END_TEST

/* Where the daemon keeps its state with no XDG_STATE_HOME: under HOME, or
 * the passwd entry's home when HOME is not absolute, or /tmp for a uid
 * with no entry. */
START_TEST(t_default_state)
{
	char out[PATH_MAX];
	int st;
	pid_t p;

	unsetenv("XDG_STATE_HOME");
	setenv("HOME", "/home/fgtest", 1);
	fg_audit_default_state(out, sizeof(out));
	ck_assert_str_eq(out, "/home/fgtest/.local/state/fleetguard");
	setenv("HOME", "/", 1);
	fg_audit_default_state(out, sizeof(out));
	ck_assert_str_eq(out, "/.local/state/fleetguard");
	setenv("XDG_STATE_HOME", "relative", 1);        /* not absolute: not taken */
	setenv("HOME", "relative/home", 1);
	fg_audit_default_state(out, sizeof(out));
	ck_assert_msg(strcmp(out, "relative/fleetguard") && strstr(out, "/.local/state/fleetguard") &&
		      out[0] == '/', "%s", out);
	if (geteuid() != 0)
		return;
	p = fork();
	ck_assert_int_ge(p, 0);
	if (p == 0) {
		unsetenv("HOME");
		if (setresuid(48213, 48213, 0) < 0)       /* no passwd entry */
			_exit(1);
		fg_audit_default_state(out, sizeof(out));
		if (setresuid(0, 0, 0) < 0)
			_exit(3);
		exit(strcmp(out, "/tmp/fleetguard-48213") ? 2 : 0);
	}
	ck_assert_int_eq(waitpid(p, &st, 0), p);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%d", WEXITSTATUS(st));
}
END_TEST

/* Write text to dir/name; the path into out. */
static const char *put_file(const char *name, const char *text, char *out, size_t cap)
{
	FILE *f;

	snprintf(out, cap, "%s/%s", dir, name);
	f = fopen(out, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	return out;
}

/* The password file read without NSS (the state directory of a process
 * without HOME): only when nsswitch names "files" first for passwd, the
 * first entry of the uid, whole fields (uid 100 is not 1000), lines
 * across the reader's buffer and a last line without its newline; a
 * compat entry or a line too long to read gives way to getpwuid(). */
START_TEST(t_passwd_home)
{
	char ns[PATH_MAX], pw[PATH_MAX], out[PATH_MAX], big[6000];
	static const char users[] =
		"# a comment\n"
		"\n"
		"root:x:0:0:root:/root:/bin/bash\n"
		"a:x:1000:1000:A:/home/a:/bin/sh\n"
		"b:x:100:100:B:/home/b:/bin/sh\n"
		"a2:x:1000:1000:A again:/home/a2:/bin/sh\n"
		"short:x:7\n"
		"last:x:4242:4242::/home/last:/bin/sh";
	struct passwd *real;

	put_file("passwd", users, pw, sizeof(pw));
	put_file("ns", "# comment\npasswd:         files systemd\ngroup: files\n", ns, sizeof(ns));
	ck_assert(fg_audit_passwd_home(ns, pw, 0, out, sizeof(out)));
	ck_assert_str_eq(out, "/root");
	ck_assert(fg_audit_passwd_home(ns, pw, 1000, out, sizeof(out)));
	ck_assert_str_eq(out, "/home/a");
	ck_assert(fg_audit_passwd_home(ns, pw, 100, out, sizeof(out)));
	ck_assert_str_eq(out, "/home/b");
	ck_assert(fg_audit_passwd_home(ns, pw, 4242, out, sizeof(out)));
	ck_assert_str_eq(out, "/home/last");
	ck_assert(!fg_audit_passwd_home(ns, pw, 7, out, sizeof(out)));
	ck_assert(!fg_audit_passwd_home(ns, pw, 10, out, sizeof(out)));
	ck_assert(!fg_audit_passwd_home(ns, pw, 1000, out, 5));   /* no room */

	/* another source first, or none named: getpwuid() decides */
	put_file("ns", "passwd: sss files\n", ns, sizeof(ns));
	ck_assert(!fg_audit_passwd_home(ns, pw, 0, out, sizeof(out)));
	put_file("ns", "passwd: compat\n", ns, sizeof(ns));
	ck_assert(!fg_audit_passwd_home(ns, pw, 0, out, sizeof(out)));
	put_file("ns", "passwd: filesystem\n", ns, sizeof(ns));
	ck_assert(!fg_audit_passwd_home(ns, pw, 0, out, sizeof(out)));
	put_file("ns", "group: files\n#passwd: files\n", ns, sizeof(ns));
	ck_assert(!fg_audit_passwd_home(ns, pw, 0, out, sizeof(out)));
	snprintf(out, sizeof(out), "%s/none", dir);
	ck_assert(!fg_audit_passwd_home(out, pw, 0, out, sizeof(out)));
	ck_assert(!fg_audit_passwd_home(dir, pw, 0, out, sizeof(out)));   /* unreadable */
	put_file("ns", "  passwd:files [NOTFOUND=return]", ns, sizeof(ns));
	ck_assert(fg_audit_passwd_home(ns, pw, 1000, out, sizeof(out)));
	ck_assert_str_eq(out, "/home/a");
	ck_assert(!fg_audit_passwd_home(ns, dir, 0, out, sizeof(out)));   /* unreadable */
	snprintf(out, sizeof(out), "%s/none", dir);
	ck_assert(!fg_audit_passwd_home(ns, out, 0, out, sizeof(out)));

	/* a compat entry, a line longer than the buffer: not read here */
	put_file("passwd", "+::::::\nroot:x:0:0::/root:/bin/sh\n", pw, sizeof(pw));
	ck_assert(!fg_audit_passwd_home(ns, pw, 0, out, sizeof(out)));
	memset(big, 'g', sizeof(big));
	memcpy(big, "long:x:5:5:", 11);
	memcpy(big + sizeof(big) - 32, ":/home/long:/bin/sh\nroot:x:0:0", 31);
	big[sizeof(big) - 1] = '\0';
	put_file("passwd", big, pw, sizeof(pw));
	ck_assert(!fg_audit_passwd_home(ns, pw, 0, out, sizeof(out)));

	/* entries across the reader's buffer: the 300th of 400 */
	{
		FILE *f = fopen(put_file("passwd", "", pw, sizeof(pw)), "w");

		ck_assert_ptr_nonnull(f);
		for (int u = 2000; u < 2400; u++)
			fprintf(f, "user%d:x:%d:%d:User number %d:/home/user%d:/bin/sh\n", u, u, u,
				u, u);
		ck_assert_int_eq(fclose(f), 0);
	}
	ck_assert(fg_audit_passwd_home(ns, pw, 2299, out, sizeof(out)));
	ck_assert_str_eq(out, "/home/user2299");

	/* this machine's: the same home as getpwuid() where it is read */
	real = getpwuid(getuid());
	if (real != NULL && fg_audit_passwd_home("/etc/nsswitch.conf", "/etc/passwd", getuid(), out,
						 sizeof(out)))
		ck_assert_str_eq(out, real->pw_dir);
}
END_TEST

/* The checkpoints read for a log from a state directory given, and a
 * line that is not a record passed over by the checkpoint check. */
START_TEST(t_vckpt_state_dir)
{
	struct fg_vckpt_opts o = { .state_dir = dir };
	struct fg_vckpt *v = NULL;
	char err[PATH_MAX + 256] = "", log[128];

	snprintf(log, sizeof(log), "%s/audit.log", dir);
	o.log = log;
	ck_assert_msg(fg_vckpt_load(&o, &v, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(fg_vckpt_count(v), 0);
	ck_assert_msg(strstr(fg_vckpt_witness(v), dir) && strstr(fg_vckpt_witness(v), "/audit/"),
		      "%s", fg_vckpt_witness(v));
	fg_vckpt_on_record(v, "not a record\n", 13);
	fg_vckpt_free(v);
}
END_TEST

#if FG_FAILMALLOC
/* Each allocation of opening the witnesses, the checkpoints and a log with
 * every setting fails in turn: a clean error, never a crash. */
START_TEST(t_out_of_memory)
{
	char st[128], log[128], key[128], err[PATH_MAX + 256];
	struct fg_ckpt_conf cc = { .log = "/ws/audit.log", .witness = "file:/dev/null", .digest = true };
	struct fg_audit_conf c = { .fsync = FG_AUDIT_FSYNC_NEVER, .agent = "a", .exe = "/bin/a",
				   .witness = "file", .forward = "syslog+tcp://127.0.0.1:1",
				   .daemon_user = "root" };
	struct fg_ckpt *k;
	struct fg_audit *a;
	int failed = 0, r;

	snprintf(st, sizeof(st), "%s/st", dir);
	snprintf(log, sizeof(log), "%s/audit.log", dir);
	snprintf(key, sizeof(key), "%s/k", dir);
	put(key, "0123456789abcdef0123456789abcdef", 0600);
	cc.state_dir = st;
	c.path = log;
	c.key_file = key;
	c.state_dir = st;
	ck_assert_int_eq(ckpt_open_err(st, err, sizeof(err)), 0);      /* the key, made */
	for (long i = 0; i < 400; i++) {
		k = NULL;
		err[0] = '\0';
		fail_alloc(i);
		r = fg_ckpt_open(&cc, &k, err, sizeof(err));
		fail_off();
		if (r == 0)
			fg_ckpt_close(k);
		if (!fail_hit)
			break;
		ck_assert_msg(r == 0 || r == -ENOMEM || r == -EIO || r == -EINVAL, "%ld: %d %s", i, r, err);
		failed += r < 0;
	}
	ck_assert_int_gt(failed, 0);
	for (long i = 0; i < 400; i++) {
		a = NULL;
		fail_alloc(i);
		r = fg_audit_open(&c, &a, err, sizeof(err));
		fail_off();
		if (r == 0)
			fg_audit_close(a);
		if (!fail_hit)
			break;
		ck_assert_msg(r == 0 || r == -ENOMEM, "%ld: %d %s", i, r, err);
		ck_assert_msg(r == 0 || strstr(err, "out of memory") || strstr(err, "Cannot allocate memory"),
			      "%ld: %s", i, err);
	}
}
END_TEST
#endif

/* The log's paths alone (no directory made): a directory that does not
 * exist is named; a log at the root is "/NAME", and nothing is created. */
START_TEST(t_open_paths)
{
	struct fg_audit_conf c = { .fsync = FG_AUDIT_FSYNC_NEVER, .agent = "a", .exe = "/bin/a" };
	struct fg_audit *a = NULL;
	char log[128], err[PATH_MAX + 256], want[PATH_MAX + 256];

	snprintf(log, sizeof(log), "%s/missing/audit.log", dir);
	c.path = log;
	ck_assert_int_eq(fg_audit_open_paths(&c, &a, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "cannot resolve directory '%s/missing': No such file or directory", dir);
	ck_assert_str_eq(err, want);
	c.path = "/fg-auderr-root.log";
	ck_assert_msg(fg_audit_open_paths(&c, &a, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(fg_audit_path(a), "/fg-auderr-root.log");
	fg_audit_close(a);
	ck_assert_int_eq(access("/fg-auderr-root.log", F_OK), -1);
}
END_TEST

/* A state directory whose files' names would not fit: said, not cut. */
START_TEST(t_state_dir_too_long)
{
	static char st[PATH_MAX];
	char err[PATH_MAX + 256];

	memset(st, 'a', sizeof(st) - 8);
	st[0] = '/';
	st[sizeof(st) - 8] = '\0';
	ck_assert_int_eq(ckpt_open_err(st, err, sizeof(err)), -ENAMETOOLONG);
	ck_assert_str_eq(err, "checkpoints: File name too long");
}
END_TEST

static char posted[4096];

/* The https delivery replaced by one that keeps the body it was given. */
static int keep_body(const char *url, const char *ca, const char *body, char *err, size_t errlen)
{
	(void)url;
	(void)ca;
	(void)err;
	(void)errlen;
	snprintf(posted, sizeof(posted), "%s", body);
	return 0;
}

/* The checkpoint as JSON for an https witness: its fields, seq and from as
 * numbers, and the line itself with its quotes and backslashes escaped;
 * the default journald witness is the system journal's socket. */
START_TEST(t_checkpoint_json)
{
	struct fg_wit *w;
	char st[1024];

	fg_wit_set_https(keep_body);
	w = wit("https://collector.example/c", NULL);
	/* (the fields are the daemon's own: hex, numbers and a time; quotes
	 * and backslashes can only be in the line, which is escaped) */
	fg_wit_send(w, "x\"y\\z fleetguard-checkpoint v1 log=ab seq=7 from=3 time=2026-12-06T01:02:03Z sig=ff");
	ck_status(w, "ok, 1 sent", 5000);
	fg_wit_close(w, 0);
	ck_assert_str_eq(posted, "{\"log\":\"ab\",\"seq\":7,\"from\":3,\"time\":\"2026-12-06T01:02:03Z\",\"sig\":\"ff\","
			 "\"line\":\"x\\\"y\\\\z fleetguard-checkpoint v1 log=ab seq=7 from=3 time=2026-12-06T01:02:03Z sig=ff\"}");
	fg_wit_set_https(NULL);
	w = wit("journald", NULL);      /* nothing sent: the host's journal is not ours */
	fg_wit_status(w, st, sizeof(st));
	ck_assert_str_eq(st, "witness journald /run/systemd/journal/socket: ok, 0 sent, 0 waiting, 0 dropped\n");
	fg_wit_close(w, 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("audit errors");
	TCase *tw = tcase_create("witnesses"), *tk = tcase_create("checkpoint keys");
	TCase *td = tcase_create("daemon start");

	tcase_set_timeout(tw, 60);
	tcase_add_checked_fixture(tw, setup, teardown);
	tcase_add_test(tw, t_file_is_directory);
	tcase_add_test(tw, t_file_disk_full);
	tcase_add_test(tw, t_line_too_long);
	tcase_add_test(tw, t_journald_sockets);
	tcase_add_test(tw, t_syslog);
	tcase_add_test(tw, t_list_errors);
	tcase_add_test(tw, t_forward_errors);
	tcase_add_test(tw, t_https_refused_early);
	tcase_add_test(tw, t_https_no_tls);
	suite_add_tcase(s, tw);
	tcase_add_checked_fixture(tk, setup, teardown);
	tcase_add_test(tk, t_state_dir_errors);
	tcase_add_test(tk, t_signing_key_errors);
	tcase_add_test(tk, t_public_key_errors);
	tcase_add_test(tk, t_ckpt_odd_ends);
	tcase_add_test(tk, t_ckpt_soon_coalesces);
	tcase_add_test(tk, t_ckpt_resume_tail);
	suite_add_tcase(s, tk);
	tcase_set_timeout(td, 60);
	tcase_add_checked_fixture(td, setup, teardown);
	tcase_add_test(td, t_spawn_passes_settings);
	tcase_add_test(td, t_spawn_as_daemon_user);
	tcase_add_test(td, t_handover_and_back);
	tcase_add_test(td, t_attach_refused_later);
	tcase_add_test(td, t_key_file_missing);
	tcase_add_test(td, t_ring_refused_records_resent);
	tcase_add_test(td, t_daemon_of_another_user_refused);
	tcase_add_test(td, t_spawn_refused_to_non_root);
	tcase_add_test(td, t_ring_full_waits);
	tcase_add_test(td, t_default_state);
	tcase_add_test(td, t_passwd_home);
	tcase_add_test(td, t_vckpt_state_dir);
	tcase_add_test(td, t_open_paths);
	tcase_add_test(td, t_state_dir_too_long);
	tcase_add_test(td, t_checkpoint_json);
#if FG_FAILMALLOC
	tcase_add_test(td, t_out_of_memory);
#endif
	suite_add_tcase(s, td);
	return s;
}

int main(void)
{
	return fg_check_main(suite());
}
