/* net_probe.c - a static program that sends datagrams and reaches sockets with raw calls, for the floor's socket tests.
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
 * usage: net_probe MODE ARG [ARG2]
 *   sendto|sendmsg|sendmmsg|connect PORT   one datagram to 127.0.0.1:PORT, or
 *                                          to A.B.C.D:PORT (connect: connect,
 *                                          then send())
 *   sendto6 PORT                           the same to ::ffff:127.0.0.1 (mapped)
 *   race OK BAD                            4000 sendto()s from one buffer whose
 *                                          port another thread flips between
 *                                          OK and BAD; prints how many went
 *   swap PORT                              4000 connect()s of a TCP socket to
 *                                          127.0.0.1:PORT while another thread
 *                                          dup2()s a UDP socket over it
 *   unix PATH | unixdg PATH                connect a stream / send a datagram
 *                                          to the UNIX socket PATH
 *   unixbind PATH                          bind a UNIX socket to PATH and print
 *                                          the name getsockname reports
 * Exit status: 0 done, 3 refused (EACCES/EPERM), 4 another error.
 */
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

static int verdict(const char *what, int err)
{
	printf("%s: %s\n", what, strerror(err));
	return err == EACCES || err == EPERM ? 3 : 4;
}

static struct sockaddr_in to4(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* "PORT" (127.0.0.1) or "A.B.C.D:PORT" */
static struct sockaddr_in parse4(const char *arg)
{
	const char *colon = strchr(arg, ':');
	struct sockaddr_in a = to4(atoi(colon ? colon + 1 : arg));
	char ip[32];

	if (colon != NULL && (size_t)(colon - arg) < sizeof(ip)) {
		memcpy(ip, arg, (size_t)(colon - arg));
		ip[colon - arg] = '\0';
		inet_pton(AF_INET, ip, &a.sin_addr);
	}
	return a;
}

static int one(const char *mode, const char *arg)
{
	struct sockaddr_in a = parse4(arg);
	int port = ntohs(a.sin_port);
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
	char msg[] = "leak";
	struct iovec iov = { msg, 4 };
	struct mmsghdr mh = { .msg_hdr = { .msg_name = &a, .msg_namelen = sizeof(a),
					   .msg_iov = &iov, .msg_iovlen = 1 } };
	long fd = syscall(SYS_socket, strcmp(mode, "sendto6") ? AF_INET : AF_INET6, SOCK_DGRAM, 0);
	long n;

	if (fd < 0)
		return verdict("socket", errno);
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &a6.sin6_addr);
	if (strcmp(mode, "sendto") == 0)
		n = syscall(SYS_sendto, fd, msg, 4, 0, &a, sizeof(a));
	else if (strcmp(mode, "sendto6") == 0)
		n = syscall(SYS_sendto, fd, msg, 4, 0, &a6, sizeof(a6));
	else if (strcmp(mode, "sendmsg") == 0)
		n = syscall(SYS_sendmsg, fd, &mh.msg_hdr, 0);
	else if (strcmp(mode, "sendmmsg") == 0)
		n = syscall(SYS_sendmmsg, fd, &mh, 1, 0) == 1 ? (long)mh.msg_len : -1;
	else if (syscall(SYS_connect, fd, &a, sizeof(a)) < 0)
		return verdict("connect", errno);
	else
		n = syscall(SYS_sendto, fd, msg, 4, 0, NULL, 0);
	if (n < 0)
		return verdict("send", errno);
	if (n != 4)
		return printf("sent %ld bytes, not 4\n", n), 4;
	printf("sent\n");
	return 0;
}

static struct sockaddr_in shared;
static atomic_int stop;
static int ports[2];

static void *flipper(void *arg)
{
	(void)arg;
	for (unsigned i = 0; !atomic_load(&stop); i++)
		*(volatile uint16_t *)&shared.sin_port = htons((uint16_t)ports[i & 1]);
	return NULL;
}

static int race(int ok, int bad)
{
	long fd = syscall(SYS_socket, AF_INET, SOCK_DGRAM, 0);
	int sent = 0, refused = 0;
	pthread_t t;

	shared = to4(ok);
	ports[0] = ok, ports[1] = bad;
	if (fd < 0 || pthread_create(&t, NULL, flipper, NULL) != 0)
		return verdict("setup", errno);
	for (int i = 0; i < 4000; i++) {
		if (syscall(SYS_sendto, fd, "race", 4, 0, &shared, sizeof(shared)) == 4)
			sent++;
		else if (errno == EACCES)
			refused++;
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	printf("sent %d refused %d\n", sent, refused);
	return 0;
}

static long swap_fd = 100;
static long udp_fd, tcp_fd;

static void *swapper(void *arg)
{
	(void)arg;
	for (unsigned i = 0; !atomic_load(&stop); i++)
		syscall(SYS_dup2, (i & 1) ? udp_fd : tcp_fd, swap_fd);
	return NULL;
}

static int swap(int port)
{
	struct sockaddr_in a = to4(port);
	int connected = 0;
	pthread_t t;

	udp_fd = syscall(SYS_socket, AF_INET, SOCK_DGRAM, 0);
	if (udp_fd < 0 || pthread_create(&t, NULL, swapper, NULL) != 0)
		return verdict("setup", errno);
	for (int i = 0; i < 4000; i++) {
		tcp_fd = syscall(SYS_socket, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (syscall(SYS_connect, swap_fd, &a, sizeof(a)) == 0)
			connected++;
		syscall(SYS_close, tcp_fd);
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	/* whatever got connected: a datagram on the UDP socket tells */
	syscall(SYS_sendto, udp_fd, "leak", 4, 0, NULL, 0);
	printf("connected %d\n", connected);
	return 0;
}

static int unix_one(const char *mode, const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int dg = strcmp(mode, "unixdg") == 0;
	long fd = syscall(SYS_socket, AF_UNIX, dg ? SOCK_DGRAM : SOCK_STREAM, 0);

	if (fd < 0)
		return verdict("socket", errno);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (dg && syscall(SYS_sendto, fd, "leak", 4, 0, &a, sizeof(a)) < 0)
		return verdict("send", errno);
	if (!dg && syscall(SYS_connect, fd, &a, sizeof(a)) < 0)
		return verdict("connect", errno);
	if (!dg && syscall(SYS_sendto, fd, "leak", 4, 0, NULL, 0) < 0)
		return verdict("send", errno);
	printf("sent\n");
	return 0;
}

static int unix_bind(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX }, got = { 0 };
	socklen_t len = sizeof(got);
	long fd = syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);

	if (fd < 0)
		return verdict("socket", errno);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (syscall(SYS_bind, fd, &a, sizeof(a)) < 0)
		return verdict("bind", errno);
	if (syscall(SYS_getsockname, fd, &got, &len) < 0)
		return verdict("getsockname", errno);
	printf("bound %s\n", got.sun_path);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: net_probe MODE ARG [ARG2]\n");
		return 2;
	}
	if (strcmp(argv[1], "race") == 0 && argc == 4)
		return race(atoi(argv[2]), atoi(argv[3]));
	if (strcmp(argv[1], "swap") == 0)
		return swap(atoi(argv[2]));
	if (strcmp(argv[1], "unixbind") == 0)
		return unix_bind(argv[2]);
	if (strncmp(argv[1], "unix", 4) == 0)
		return unix_one(argv[1], argv[2]);
	return one(argv[1], argv[2]);
}
