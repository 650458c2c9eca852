/* uring_openat.c - open FILE through io_uring (IORING_OP_OPENAT), with no
 * libc file call at all.
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
 * Linked statically, like static_openat.
 *
 * Exit 0 when the open succeeded, 3 when it failed with EACCES, 4 on any
 * other open error, 5 when io_uring itself is unavailable, 2 on usage.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define AT(base, off) ((void *)((char *)(base) + (off)))

int main(int argc, char **argv)
{
	struct io_uring_params p;
	struct io_uring_sqe *sqes, *sqe;
	struct io_uring_cqe *cqes;
	unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask, tail, idx, head;
	size_t sqsz, cqsz;
	void *sq, *cq;
	int fd, res;

	if (argc != 2) {
		fprintf(stderr, "usage: uring_openat FILE\n");
		return 2;
	}
	memset(&p, 0, sizeof(p));
	fd = (int)syscall(__NR_io_uring_setup, 4, &p);
	if (fd < 0) {
		printf("io_uring_setup: %s\n", strerror(errno));
		return 5;
	}
	sqsz = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	cqsz = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP)
		sqsz = cqsz = sqsz > cqsz ? sqsz : cqsz;
	sq = mmap(NULL, sqsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
	cq = (p.features & IORING_FEAT_SINGLE_MMAP) ? sq :
	     mmap(NULL, cqsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_CQ_RING);
	sqes = mmap(NULL, p.sq_entries * sizeof(*sqes), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		    fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) {
		printf("io_uring mmap: %s\n", strerror(errno));
		return 5;
	}
	sq_tail = AT(sq, p.sq_off.tail);
	sq_mask = AT(sq, p.sq_off.ring_mask);
	sq_array = AT(sq, p.sq_off.array);
	cq_head = AT(cq, p.cq_off.head);
	cq_tail = AT(cq, p.cq_off.tail);
	cq_mask = AT(cq, p.cq_off.ring_mask);
	cqes = AT(cq, p.cq_off.cqes);

	tail = *sq_tail;
	idx = tail & *sq_mask;
	sqe = &sqes[idx];
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_OPENAT;
	sqe->fd = AT_FDCWD;
	sqe->addr = (uint64_t)(uintptr_t)argv[1];
	sqe->open_flags = O_RDONLY | O_CLOEXEC;
	sq_array[idx] = idx;
	__atomic_store_n(sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0) {
		printf("io_uring_enter: %s\n", strerror(errno));
		return 5;
	}
	head = *cq_head;
	if (head == __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE)) {
		printf("io_uring: no completion\n");
		return 5;
	}
	res = cqes[head & *cq_mask].res;
	__atomic_store_n(cq_head, head + 1, __ATOMIC_RELEASE);
	if (res >= 0) {
		printf("opened through io_uring\n");
		return 0;
	}
	printf("io_uring openat %s: %s\n", argv[1], strerror(-res));
	return -res == EACCES ? 3 : 4;
}
