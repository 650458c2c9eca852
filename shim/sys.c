/* sys.c - fleetguard's own raw system call.
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
 * The shim exports a hook named syscall(), so its internal raw calls must
 * not go through that name: they use fg_syscall(), which enters the kernel
 * directly and returns like libc's syscall() (-1 and errno on failure).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>

#include "shim/shim.h"

/* Like libc's syscall(), it reads six arguments whatever the caller passed:
 * the extra ones are stack or register garbage the kernel ignores, which
 * AddressSanitizer would report as a stack underflow. */
__attribute__((no_sanitize("address")))
long fg_syscall(long nr, ...)
{
	va_list ap;
	long a1, a2, a3, a4, a5, a6, rc;

	va_start(ap, nr);
	a1 = va_arg(ap, long);
	a2 = va_arg(ap, long);
	a3 = va_arg(ap, long);
	a4 = va_arg(ap, long);
	a5 = va_arg(ap, long);
	a6 = va_arg(ap, long);
	va_end(ap);
#if defined(__x86_64__)
	{
		register long r10 __asm__("r10") = a4;
		register long r8 __asm__("r8") = a5;
		register long r9 __asm__("r9") = a6;

		__asm__ volatile("syscall"
				 : "=a"(rc)
				 : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
				 : "rcx", "r11", "memory");
	}
#elif defined(__aarch64__)
	{
		register long x8 __asm__("x8") = nr;
		register long x0 __asm__("x0") = a1;
		register long x1 __asm__("x1") = a2;
		register long x2 __asm__("x2") = a3;
		register long x3 __asm__("x3") = a4;
		register long x4 __asm__("x4") = a5;
		register long x5 __asm__("x5") = a6;

		__asm__ volatile("svc 0"
				 : "+r"(x0)
				 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
				 : "memory");
		rc = x0;
	}
#else
	{
		/* Elsewhere: libc's own syscall(), found past our hook. */
		static long (*next)(long, ...);

		if (next == NULL)
			next = (long (*)(long, ...))fg_real("syscall", NULL);
		return next(nr, a1, a2, a3, a4, a5, a6);
	}
#endif
	if (rc < 0 && rc > -4096) {
		errno = (int)-rc;
		return -1;
	}
	return rc;
}
