/* sock_probe.c - a static program that tries one socket kind the policy may forbid, with raw calls.
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
 * usage: sock_probe KIND PORT
 *   udp     a datagram to 127.0.0.1:PORT (sendto)
 *   udpmm   the same through sendmmsg
 *   raw     a hand-made UDP packet to 127.0.0.1:PORT on a SOCK_RAW socket
 *   mptcp   an IPPROTO_MPTCP connection to 127.0.0.1:PORT, sending "hi"
 *   packet  an AF_PACKET socket (PORT ignored)
 *   vsock   an AF_VSOCK socket (PORT ignored)
 * Exit: 0 sent (or, for packet/vsock, the socket exists); 3 the socket or
 * the send was refused (EACCES, EPERM, EPROTONOSUPPORT); 4 any other error.
 * Prints what happened.  Statically linked: LD_PRELOAD never reaches it.
 */
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

static int verdict(const char *what, int err)
{
	printf("%s: %s\n", what, strerror(err));
	return err == EACCES || err == EPERM || err == EPROTONOSUPPORT ? 3 : 4;
}

static long sock(int family, int type, int proto)
{
	return syscall(SYS_socket, family, type, proto);
}

static int send_udp(struct sockaddr_in *to, int mm)
{
	char msg[] = "leak";
	struct iovec iov = { .iov_base = msg, .iov_len = 4 };
	struct mmsghdr mh = { .msg_hdr = { .msg_name = to, .msg_namelen = sizeof(*to),
					   .msg_iov = &iov, .msg_iovlen = 1 } };
	long fd = sock(AF_INET, SOCK_DGRAM, 0), n;

	if (fd < 0)
		return verdict("socket", errno);
	if (mm)
		n = syscall(SYS_sendmmsg, fd, &mh, 1, 0);
	else
		n = syscall(SYS_sendto, fd, msg, 4, 0, to, sizeof(*to));
	if (n < 0)
		return verdict("send", errno);
	printf("sent\n");
	return 0;
}

/* An 8-byte UDP header and payload; the kernel adds the IP header. */
static int send_raw(struct sockaddr_in *to)
{
	unsigned char pkt[12] = { 0x30, 0x39, 0, 0, 0, 12, 0, 0, 'l', 'e', 'a', 'k' };
	long fd = sock(AF_INET, SOCK_RAW, IPPROTO_UDP);

	if (fd < 0)
		return verdict("socket", errno);
	memcpy(pkt + 2, &to->sin_port, 2);
	if (syscall(SYS_sendto, fd, pkt, sizeof(pkt), 0, to, sizeof(*to)) < 0)
		return verdict("send", errno);
	printf("sent\n");
	return 0;
}

static int send_mptcp(struct sockaddr_in *to)
{
	long fd = sock(AF_INET, SOCK_STREAM, IPPROTO_MPTCP);

	if (fd < 0)
		return verdict("socket", errno);
	if (syscall(SYS_connect, fd, to, sizeof(*to)) < 0)
		return verdict("connect", errno);
	if (syscall(SYS_sendto, fd, "hi", 2, 0, NULL, 0) < 0)
		return verdict("send", errno);
	printf("sent\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	long fd;

	if (argc != 3) {
		fprintf(stderr, "usage: sock_probe udp|udpmm|raw|mptcp|packet|vsock PORT\n");
		return 2;
	}
	to.sin_port = htons((unsigned short)atoi(argv[2]));
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (strcmp(argv[1], "udp") == 0 || strcmp(argv[1], "udpmm") == 0)
		return send_udp(&to, argv[1][3] == 'm');
	if (strcmp(argv[1], "raw") == 0)
		return send_raw(&to);
	if (strcmp(argv[1], "mptcp") == 0)
		return send_mptcp(&to);
	if (strcmp(argv[1], "packet") == 0)
		fd = sock(AF_PACKET, SOCK_RAW, htons(0x0003));
	else if (strcmp(argv[1], "vsock") == 0)
		fd = sock(AF_VSOCK, SOCK_STREAM, 0);
	else
		return 2;
	if (fd < 0)
		return verdict("socket", errno);
	printf("socket made\n");
	return 0;
}
