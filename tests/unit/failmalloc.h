/* failmalloc.h - allocation failure injection for the Check unit tests.
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
 * Include once, at file scope, in a test program.  It replaces malloc,
 * calloc, realloc and free (glibc allows a program to) so that one chosen
 * allocation fails: fail_alloc(k) makes allocation number k from now on
 * return NULL with ENOMEM, fail_off() stops it, fail_hit tells whether it
 * happened.  FG_FAILMALLOC is 0 under a sanitizer (its own allocator), and
 * the including file leaves its FG_FAILMALLOC sections out.
 */
#ifndef FLEETGUARD_FAILMALLOC_H
#define FLEETGUARD_FAILMALLOC_H
/* The test program replaces malloc (glibc supports that) so that one chosen
 * allocation fails: every out-of-memory path is then run for real.  Not
 * with a sanitizer, which brings its own allocator. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define FG_FAILMALLOC 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define FG_FAILMALLOC 0
#endif
#endif
#ifndef FG_FAILMALLOC
#define FG_FAILMALLOC 1
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

static long fail_countdown = -1;        /* the allocation to fail; -1: none */
static bool fail_hit;

static bool fail_now(void)
{
	if (fail_countdown < 0 || fail_countdown-- > 0)
		return false;
	fail_hit = true;
	errno = ENOMEM;
	return true;
}

void *malloc(size_t n)
{
	return fail_now() ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	return fail_now() ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	return fail_now() ? NULL : __libc_realloc(p, n);
}

void free(void *p)
{
	__libc_free(p);
}

/* Fail allocation number k (0-based) from now on. */
static void fail_alloc(long k)
{
	fail_hit = false;
	fail_countdown = k;
}

static void fail_off(void)
{
	fail_countdown = -1;
}
#endif /* FG_FAILMALLOC */

#endif /* FLEETGUARD_FAILMALLOC_H */
