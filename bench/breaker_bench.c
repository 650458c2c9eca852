/* breaker_bench.c - what the circuit breaker costs, in one run.
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
 * A server process (never preloaded) listens on two loopback ports: one an
 * LLM endpoint of the policy answering HTTP/1.1 200, one a port that is no
 * endpoint.  A third endpoint's port has nothing listening.  The measuring
 * child runs without and with libfleetguard.so preloaded, three times each,
 * and the medians are compared:
 *   fail-fast connect to an open circuit (median per call, target < 5 us),
 *   connect+close to the non-endpoint port (with/without, target <= 1.1x),
 *   an HTTP request round trip to the endpoint (with/without, <= 1.2x),
 *   read() of one byte from /dev/zero, the I/O hooks' common path.
 * Usage: breaker_bench [ITERATIONS]   (FG_LIB overrides the library path)
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char response[] =
	"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n"
	"Connection: close\r\n\r\n{\"ok\": true}";
static const char request[] =
	"POST /v1/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
	"Content-Length: 16\r\nConnection: close\r\n\r\n{\"prompt\": \"hi\"}";

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sa;
}

static int listen_any(int *port)
{
	struct sockaddr_in sa = loopback(0);
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 512) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
		perror("breaker_bench: listen");
		exit(2);
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

/* The server: accept on both, answer HTTP on the first, just close on the
 * second.  Runs until killed. */
static void serve(int http, int plain)
{
	struct pollfd p[2] = { { .fd = http, .events = POLLIN }, { .fd = plain, .events = POLLIN } };
	char buf[4096];

	for (;;) {
		if (poll(p, 2, -1) < 0)
			continue;
		if (p[1].revents & POLLIN) {
			int c = accept(plain, NULL, NULL);

			if (c >= 0)
				close(c);
		}
		if (p[0].revents & POLLIN) {
			int c = accept(http, NULL, NULL);
			size_t got = 0;
			ssize_t n;

			if (c < 0)
				continue;
			/* the request is small: headers and body in one go or two */
			while (got < sizeof(request) - 1 &&
			       (n = read(c, buf, sizeof(buf))) > 0)
				got += (size_t)n;
			if (write(c, response, sizeof(response) - 1) < 0)
				perror("breaker_bench: server write");
			close(c);
		}
	}
}

/* --- the measuring child ------------------------------------------------- */

static double fail_fast(int port, long n, double *samples)
{
	struct sockaddr_in sa = loopback(port);

	for (long i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		double t = now_ns();
		int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));

		samples[i] = now_ns() - t;
		if (rc == 0 || errno != ECONNREFUSED) {
			fprintf(stderr, "breaker_bench: connect to the open circuit did not fail fast\n");
			exit(1);
		}
		close(fd);
	}
	return median(samples, (size_t)n);
}

static double connect_close(int port, long n)
{
	struct sockaddr_in sa = loopback(port);
	/* close with a reset: no TIME_WAIT, so a long run does not measure the
	 * kernel's search for a free ephemeral port */
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	double t = now_ns();

	for (long i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
			perror("breaker_bench: connect");
			exit(1);
		}
		close(fd);
	}
	return (now_ns() - t) / (double)n;
}

static double http_round_trip(int port, long n)
{
	struct sockaddr_in sa = loopback(port);
	char buf[4096];
	double t = now_ns();

	for (long i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
		size_t got = 0;
		ssize_t r;

		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
		    write(fd, request, sizeof(request) - 1) != (ssize_t)sizeof(request) - 1) {
			perror("breaker_bench: request");
			exit(1);
		}
		while ((r = read(fd, buf + got, sizeof(buf) - got)) > 0)
			got += (size_t)r;
		if (got < 12 || memcmp(buf, "HTTP/1.1 200", 12) != 0) {
			fprintf(stderr, "breaker_bench: bad answer\n");
			exit(1);
		}
		close(fd);
	}
	return (now_ns() - t) / (double)n;
}

/* read() of something that is no endpoint socket: the hook's common path. */
static double small_reads(long n)
{
	int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	char c;
	double t;

	if (fd < 0)
		exit(1);
	t = now_ns();
	for (long i = 0; i < n; i++)
		if (read(fd, &c, 1) != 1)
			exit(1);
	t = (now_ns() - t) / (double)n;
	close(fd);
	return t;
}

static int child(int http, int plain, int down, long n)
{
	double *samples = calloc((size_t)n, sizeof(double));
	double ff = 0;

	if (samples == NULL)
		return 1;
	if (getenv("LD_PRELOAD") != NULL && getenv("LD_PRELOAD")[0] != '\0') {
		/* threshold 1: one refused connect opens the circuit */
		struct sockaddr_in sa = loopback(down);
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return 1;
		close(fd);
		ff = fail_fast(down, n, samples);
	}
	/* warm up, then measure */
	connect_close(plain, n / 20 + 1);
	printf("%.1f %.1f", ff, connect_close(plain, n));
	http_round_trip(http, n / 40 + 1);
	printf(" %.1f", http_round_trip(http, n / 4));
	small_reads(n);
	printf(" %.1f\n", small_reads(n * 10));
	free(samples);
	return 0;
}

/* --- the parent ----------------------------------------------------------- */

static int run_child(const char *self, const char *lib, const char *policy, int http, int plain,
		     int down, long n, double out[4])
{
	char args[128], line[256];
	int fds[2], st;
	ssize_t got;
	pid_t pid;

	if (pipe(fds) != 0)
		return -1;
	snprintf(args, sizeof(args), "%d %d %d %ld", http, plain, down, n);
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		setenv("FG_BENCH_CHILD", args, 1);
		setenv("FLEETGUARD_POLICY", policy, 1);
		setenv("FLEETGUARD_QUIET", "1", 1);
		if (lib != NULL)
			setenv("LD_PRELOAD", lib, 1);
		else
			unsetenv("LD_PRELOAD");
		execl(self, self, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	got = read(fds[0], line, sizeof(line) - 1);
	close(fds[0]);
	waitpid(pid, &st, 0);
	if (got <= 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -1;
	line[got] = '\0';
	return sscanf(line, "%lf %lf %lf %lf", &out[0], &out[1], &out[2], &out[3]) == 4 ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *env = getenv("FG_BENCH_CHILD");
	const char *lib = getenv("FG_LIB");
	char dir[] = "/tmp/fg-breaker-bench-XXXXXX", policy[256], self[4096], cmd[300];
	double with[3][4], without[3][4], v[4];
	long n = argc > 1 ? atol(argv[1]) : 20000;
	int http, plain, down, hfd, pfd, dfd, rc = 0;
	ssize_t sl;
	pid_t server;
	FILE *f;

	if (env != NULL) {
		long cn;

		if (sscanf(env, "%d %d %d %ld", &http, &plain, &down, &cn) != 4)
			return 2;
		return child(http, plain, down, cn);
	}
	if (n < 100)
		n = 100;
	if (lib == NULL || lib[0] == '\0')
		lib = FG_BUILDDIR "/.libs/libfleetguard.so";
	sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (sl <= 0 || mkdtemp(dir) == NULL)
		return 2;
	self[sl] = '\0';
	hfd = listen_any(&http);
	pfd = listen_any(&plain);
	dfd = listen_any(&down);
	close(dfd);   /* nothing listens there any more: connects are refused */
	snprintf(policy, sizeof(policy), "%s/policy.ini", dir);
	f = fopen(policy, "w");
	if (f == NULL)
		return 2;
	fprintf(f, "[filesystem]\nmode = off\n\n[network]\nallow = 127.0.0.1:*\n\n"
		   "[breaker]\nthreshold = 1\nopen_seconds = 600\nstate_dir = %s/state\n\n"
		   "[endpoint llm]\naddress = 127.0.0.1:%d\nprotocol = http\ngateway = no\n\n"
		   "[endpoint down]\naddress = 127.0.0.1:%d\nprotocol = http\ngateway = no\n\n"
		   "[audit]\nlog = %s/audit.log\nevents = denied\nfsync = never\n",
		dir, http, down, dir);
	fclose(f);
	server = fork();
	if (server == 0) {
		serve(hfd, pfd);
		_exit(0);
	}
	close(hfd);
	close(pfd);
	for (int r = 0; r < 3 && rc == 0; r++) {
		char st[300];

		/* a fresh state file each round: the circuit to 'down' opens anew */
		snprintf(st, sizeof(st), "rm -rf '%s/state'", dir);
		if (system(st) != 0 ||
		    run_child(self, NULL, policy, http, plain, down, n, without[r]) != 0 ||
		    run_child(self, lib, policy, http, plain, down, n, with[r]) != 0)
			rc = 1;
	}
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		rc = 1;
	if (rc != 0) {
		fprintf(stderr, "breaker_bench: a measuring run failed\n");
		return 1;
	}
	printf("breaker bench: %ld iterations per case, median of 3 runs\n", n);
	for (int c = 0; c < 4; c++) {
		double a[3] = {with[0][c], with[1][c], with[2][c]};
		double b[3] = {without[0][c], without[1][c], without[2][c]};

		v[c] = median(a, 3);
		if (c > 0)
			b[0] = median(b, 3), a[0] = v[c];
		if (c == 0)
			printf("  fail-fast connect, circuit open   %8.2f us median per call   (target < 5 us)\n",
			       v[0] / 1000.0);
		else
			printf("  %-34s %8.3f us without, %8.3f us with: %.3fx   (target <= %s)\n",
			       c == 1 ? "connect+close, non-endpoint port" :
			       c == 2 ? "HTTP round trip to the endpoint" : "read() 1 byte of /dev/zero",
			       b[0] / 1000.0, a[0] / 1000.0, a[0] / b[0],
			       c == 1 ? "1.1x" : c == 2 ? "1.2x" : "1.1x");
	}
	return 0;
}
