/* exec.c - tells whether a program the run executed is one the preloaded
 * library cannot follow (static, setuid or with file capabilities).
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

#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "learn/learn_int.h"

/* The same test the shim makes before such an exec (shim/exec.c), made
 * again here because learn/ may not use the shim: the learning run allows
 * these execs (unconfined_exec = allow), the learned policy must too. */
static bool unfollowable_fd(int fd, int depth)
{
	unsigned char buf[4096];
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) != 0)
		return false;
	if ((st.st_mode & (S_ISUID | S_ISGID)) || fgetxattr(fd, "security.capability", NULL, 0) >= 0)
		return true;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n >= 2 && buf[0] == '#' && buf[1] == '!' && depth < 2) {
		char interp[PATH_MAX];
		size_t i = 2 + strspn((const char *)buf + 2, " \t"), j = 0;
		bool r;
		int ifd;

		buf[n] = '\0';
		while (i < (size_t)n && j < sizeof(interp) - 1 && !strchr(" \t\n", buf[i]))
			interp[j++] = (char)buf[i++];
		interp[j] = '\0';
		ifd = open(interp, O_RDONLY | O_CLOEXEC);
		if (ifd < 0)
			return false;
		r = unfollowable_fd(ifd, depth + 1);
		close(ifd);
		return r;
	}
	if (n < (ssize_t)sizeof(Elf64_Ehdr) || memcmp(buf, ELFMAG, SELFMAG) != 0 ||
	    buf[EI_CLASS] != ELFCLASS64)
		return false;
	for (unsigned i = 0; i < ((const Elf64_Ehdr *)(const void *)buf)->e_phnum; i++) {
		const Elf64_Ehdr *eh = (const Elf64_Ehdr *)(const void *)buf;
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof(ph), (off_t)(eh->e_phoff + (Elf64_Off)i * eh->e_phentsize)) !=
		    (ssize_t)sizeof(ph))
			return false;
		if (ph.p_type == PT_INTERP)
			return false;
	}
	return true;
}

bool fg_learn_unfollowable(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool r;

	if (fd < 0)
		return false;
	r = unfollowable_fd(fd, 0);
	close(fd);
	return r;
}
