/* hooks_open.c - the open family: open, openat, creat, their 64-bit and
 * _FORTIFY_SOURCE (__*_2) variants, and fopen/fopen64.
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
 * Each hook only gathers its arguments and calls fg_openat_checked().
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim/shim.h"

/* glibc declares these only under _FORTIFY_SOURCE. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

static bool fg_needs_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

#define FG_MODE_ARG(flags, mode)                        \
	do {                                            \
		if (fg_needs_mode(flags)) {             \
			va_list ap;                     \
			va_start(ap, flags);            \
			(mode) = (mode_t)va_arg(ap, int); \
			va_end(ap);                     \
		}                                       \
	} while (0)

static int fg_open_hook(const char *op, int dirfd, const char *path, int flags, mode_t mode)
{
	if (fg_passthrough())
		return (int)fg_syscall(SYS_openat, dirfd, path, flags, mode);
	return fg_openat_checked(op, dirfd, path, flags, mode);
}

FG_EXPORT int open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	FG_MODE_ARG(flags, mode);
	return fg_open_hook("open", AT_FDCWD, path, flags, mode);
}

FG_EXPORT int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;

	FG_MODE_ARG(flags, mode);
	return fg_open_hook("open", AT_FDCWD, path, flags, mode);
}

FG_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	FG_MODE_ARG(flags, mode);
	return fg_open_hook("open", dirfd, path, flags, mode);
}

FG_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	FG_MODE_ARG(flags, mode);
	return fg_open_hook("open", dirfd, path, flags, mode);
}

/* The fortified entry points are called without a mode: O_CREAT there is a
 * caller bug that glibc turns into a fatal error, so is our behaviour. */
FG_EXPORT int __open_2(const char *path, int flags)
{
	if (fg_needs_mode(flags)) {
		fg_say("invalid open call: O_CREAT or O_TMPFILE without mode");
		abort();
	}
	return fg_open_hook("open", AT_FDCWD, path, flags, 0);
}

FG_EXPORT int __open64_2(const char *path, int flags)
{
	return __open_2(path, flags);
}

FG_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	if (fg_needs_mode(flags)) {
		fg_say("invalid openat call: O_CREAT or O_TMPFILE without mode");
		abort();
	}
	return fg_open_hook("open", dirfd, path, flags, 0);
}

FG_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	return __openat_2(dirfd, path, flags);
}

FG_EXPORT int creat(const char *path, mode_t mode)
{
	return fg_open_hook("open", AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

FG_EXPORT int creat64(const char *path, mode_t mode)
{
	return creat(path, mode);
}

/* fopen's mode string as open(2) flags, as glibc reads it; -1 if invalid. */
static int fg_fopen_flags(const char *m)
{
	int flags;

	switch (*m++) {
	case 'r': flags = O_RDONLY; break;
	case 'w': flags = O_WRONLY | O_CREAT | O_TRUNC; break;
	case 'a': flags = O_WRONLY | O_CREAT | O_APPEND; break;
	default: return -1;
	}
	for (; *m != '\0' && *m != ','; m++) {
		switch (*m) {
		case '+': flags = (flags & ~O_ACCMODE) | O_RDWR; break;
		case 'x': flags |= O_EXCL; break;
		case 'e': flags |= O_CLOEXEC; break;
		default: break;
		}
	}
	return flags;
}

static FILE *fg_fopen_hook(const char *path, const char *mode, FILE *(*real)(const char *, const char *))
{
	int flags, fd, saved;
	FILE *f;

	if (fg_passthrough())
		return real(path, mode);
	flags = fg_fopen_flags(mode);
	if (flags < 0) {
		errno = EINVAL;
		return NULL;
	}
	fd = fg_openat_checked("open", AT_FDCWD, path, flags, 0666);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, mode);
	if (f == NULL) {
		saved = errno;
		fg_syscall(SYS_close, fd);
		errno = saved;
	}
	return f;
}

FG_EXPORT FILE *fopen(const char *path, const char *mode)
{
	FG_REAL(FILE *, fopen, const char *, const char *);
	return fg_fopen_hook(path, mode, real_fopen);
}

FG_EXPORT FILE *fopen64(const char *path, const char *mode)
{
	FG_REAL(FILE *, fopen64, const char *, const char *);
	return fg_fopen_hook(path, mode, real_fopen64);
}

FG_EXPORT FILE *freopen(const char *path, const char *mode, FILE *stream)
{
	FG_REAL(FILE *, freopen, const char *, const char *, FILE *);
	int flags, fd, old, saved;

	if (path == NULL || fg_passthrough())
		return real_freopen(path, mode, stream);
	flags = fg_fopen_flags(mode);
	if (flags < 0) {
		errno = EINVAL;
		return NULL;
	}
	fd = fg_openat_checked("open", AT_FDCWD, path, flags, 0666);
	if (fd < 0) {
		saved = errno;
		fclose(stream);     /* freopen closes the stream when it fails */
		errno = saved;
		return NULL;
	}
	/* Put the judged descriptor under the stream's own number, then let
	 * glibc reset the stream's state on it (freopen with no name). */
	fflush(stream);
	old = fileno(stream);
	if (old < 0 || fg_syscall(SYS_dup3, fd, old, flags & O_CLOEXEC) < 0) {
		saved = errno;
		fg_syscall(SYS_close, fd);
		errno = saved;
		return NULL;
	}
	fg_syscall(SYS_close, fd);
	fg_in_guard++;
	stream = real_freopen(NULL, mode, stream);
	fg_in_guard--;
	return stream;
}

FG_EXPORT FILE *freopen64(const char *path, const char *mode, FILE *stream)
{
	return freopen(path, mode, stream);
}

/* --- temporary files: judged like any create -------------------------------- */

static const char fg_tmpchars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/* Create a unique name from tmpl ("...XXXXXX" + suffixlen bytes), as
 * mkostemps or mkdtemp, through the judged open or mkdir. */
static int fg_mktemp(char *tmpl, int suffixlen, int flags, bool dir)
{
	size_t len = strlen(tmpl);
	char *x;
	int tries, fd;

	if (suffixlen < 0 || len < 6 + (size_t)suffixlen ||
	    memcmp(tmpl + len - suffixlen - 6, "XXXXXX", 6) != 0) {
		errno = EINVAL;
		return -1;
	}
	x = tmpl + len - suffixlen - 6;
	for (tries = 0; tries < 1000; tries++) {
		unsigned char rnd[6];
		int i;

		if (fg_syscall(SYS_getrandom, rnd, sizeof(rnd), 0) != (long)sizeof(rnd))
			return -1;
		for (i = 0; i < 6; i++)
			x[i] = fg_tmpchars[rnd[i] % (sizeof(fg_tmpchars) - 1)];
		if (dir)
			fd = mkdir(tmpl, 0700);
		else
			fd = fg_openat_checked("open", AT_FDCWD, tmpl,
					       O_RDWR | O_CREAT | O_EXCL | (flags & ~O_ACCMODE), 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

static bool fg_tmp_passthrough(void)
{
	return fg_passthrough() || fg_g.pol->fs.mode == FG_MODE_OFF;
}

int mkstemp64(char *tmpl);
int mkostemp64(char *tmpl, int flags);
int mkstemps64(char *tmpl, int suffixlen);
int mkostemps64(char *tmpl, int suffixlen, int flags);

FG_EXPORT int mkstemp(char *tmpl)
{
	FG_REAL(int, mkstemp, char *);
	return fg_tmp_passthrough() ? real_mkstemp(tmpl) : fg_mktemp(tmpl, 0, 0, false);
}

FG_EXPORT int mkstemp64(char *tmpl)
{
	FG_REAL(int, mkstemp64, char *);
	return fg_tmp_passthrough() ? real_mkstemp64(tmpl) : fg_mktemp(tmpl, 0, 0, false);
}

FG_EXPORT int mkostemp(char *tmpl, int flags)
{
	FG_REAL(int, mkostemp, char *, int);
	return fg_tmp_passthrough() ? real_mkostemp(tmpl, flags) : fg_mktemp(tmpl, 0, flags, false);
}

FG_EXPORT int mkostemp64(char *tmpl, int flags)
{
	FG_REAL(int, mkostemp64, char *, int);
	return fg_tmp_passthrough() ? real_mkostemp64(tmpl, flags) : fg_mktemp(tmpl, 0, flags, false);
}

FG_EXPORT int mkstemps(char *tmpl, int suffixlen)
{
	FG_REAL(int, mkstemps, char *, int);
	return fg_tmp_passthrough() ? real_mkstemps(tmpl, suffixlen) :
				      fg_mktemp(tmpl, suffixlen, 0, false);
}

FG_EXPORT int mkstemps64(char *tmpl, int suffixlen)
{
	FG_REAL(int, mkstemps64, char *, int);
	return fg_tmp_passthrough() ? real_mkstemps64(tmpl, suffixlen) :
				      fg_mktemp(tmpl, suffixlen, 0, false);
}

FG_EXPORT int mkostemps(char *tmpl, int suffixlen, int flags)
{
	FG_REAL(int, mkostemps, char *, int, int);
	return fg_tmp_passthrough() ? real_mkostemps(tmpl, suffixlen, flags) :
				      fg_mktemp(tmpl, suffixlen, flags, false);
}

FG_EXPORT int mkostemps64(char *tmpl, int suffixlen, int flags)
{
	FG_REAL(int, mkostemps64, char *, int, int);
	return fg_tmp_passthrough() ? real_mkostemps64(tmpl, suffixlen, flags) :
				      fg_mktemp(tmpl, suffixlen, flags, false);
}

FG_EXPORT char *mkdtemp(char *tmpl)
{
	FG_REAL(char *, mkdtemp, char *);

	if (fg_tmp_passthrough())
		return real_mkdtemp(tmpl);
	return fg_mktemp(tmpl, 0, 0, true) < 0 ? NULL : tmpl;
}

FG_EXPORT FILE *tmpfile(void)
{
	FG_REAL(FILE *, tmpfile, void);
	char name[] = "/tmp/tmpfXXXXXX";
	FILE *f;
	int fd, saved;

	if (fg_tmp_passthrough())
		return real_tmpfile();
	fd = fg_openat_checked("open", AT_FDCWD, "/tmp", O_TMPFILE | O_RDWR, 0600);
	if (fd < 0 && (errno == EISDIR || errno == EOPNOTSUPP)) {
		fd = fg_mktemp(name, 0, 0, false);
		if (fd >= 0)
			unlink(name);
	}
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w+");
	if (f == NULL) {
		saved = errno;
		fg_syscall(SYS_close, fd);
		errno = saved;
	}
	return f;
}

FG_EXPORT FILE *tmpfile64(void)
{
	return tmpfile();
}
