/* map.c - the breaker state file: find, validate or rebuild, map, claim slots.
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
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "breaker/internal.h"

#define FILE_SIZE (FG_BK_HDR_SIZE + FG_BK_SLOTS * sizeof(struct fg_bk_slot))

uint64_t fg_bk_clock_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts) != 0)
		clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t fg_bk_now(const struct fg_bk_map *m)
{
	return m->env.now_ms != NULL ? m->env.now_ms(m->env.ctx) : fg_bk_clock_ms();
}

static void say(const struct fg_bk_map *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void say(const struct fg_bk_map *m, const char *fmt, ...)
{
	char msg[4300];
	va_list ap;

	if (m->env.say == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	m->env.say(m->env.ctx, msg);
}

static uint32_t fnv1a(const void *p, size_t n)
{
	const unsigned char *c = p;
	uint32_t h = 2166136261u;

	while (n-- > 0)
		h = (h ^ *c++) * 16777619u;
	return h;
}

/* The kernel's boot_id, or "" where /proc is not mounted. */
static void read_boot_id(char out[40])
{
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	ssize_t n = -1;

	memset(out, 0, 40);
	if (fd >= 0) {
		n = read(fd, out, 39);
		close(fd);
	}
	if (n <= 0) {
		memset(out, 0, 40);
		return;
	}
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

static void hdr_fill(struct fg_bk_hdr *h)
{
	memset(h, 0, sizeof(*h));
	h->magic = FG_BK_MAGIC;
	h->version = FG_BK_VERSION;
	h->hdr_size = FG_BK_HDR_SIZE;
	h->slot_size = sizeof(struct fg_bk_slot);
	h->nslots = FG_BK_SLOTS;
	h->file_size = FILE_SIZE;
	read_boot_id(h->boot_id);
	h->clock = 1;
	h->check = fnv1a(h, offsetof(struct fg_bk_hdr, check));
}

static bool str_ok(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

/* NULL when the mapped file can be trusted, else what is wrong with it. */
static const char *validate(const void *base, size_t size)
{
	const struct fg_bk_hdr *h = base;
	struct fg_bk_hdr want;
	const struct fg_bk_slot *s;

	if (size < sizeof(*h) || h->magic != FG_BK_MAGIC)
		return "has no breaker state magic";
	if (h->version != FG_BK_VERSION)
		return "has another layout version";
	if (h->check != fnv1a(h, offsetof(struct fg_bk_hdr, check)))
		return "has a corrupt header";
	hdr_fill(&want);
	if (h->hdr_size != want.hdr_size || h->slot_size != want.slot_size ||
	    h->nslots != want.nslots || h->file_size != want.file_size || size != FILE_SIZE)
		return "has another layout size";
	if (memcmp(h->boot_id, want.boot_id, sizeof(want.boot_id)) != 0)
		return "is from an earlier boot";
	s = (const struct fg_bk_slot *)((const char *)base + FG_BK_HDR_SIZE);
	for (unsigned i = 0; i < FG_BK_SLOTS; i++) {
		uint32_t used = atomic_load(&s[i].used);
		uint64_t w = atomic_load(&s[i].word);

		if (used == 0)
			continue;
		if (used != FG_BK_SLOT_USED || !str_ok(s[i].name, sizeof(s[i].name)) ||
		    !str_ok(s[i].addr, sizeof(s[i].addr)) || W_STATE(w) > FG_BK_HALF)
			return "has an inconsistent slot";
	}
	return NULL;
}

/* Make a fresh file next to path and rename it over path. */
static int rebuild(const char *path, char *err, size_t errlen)
{
	char tmp[4200];
	void *p;
	int fd, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	unlink(tmp);
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0660);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create breaker state '%s': %s", tmp, strerror(errno));
		return rc;
	}
	if (fchmod(fd, 0660) != 0 || ftruncate(fd, (off_t)FILE_SIZE) != 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot size breaker state '%s': %s", tmp, strerror(errno));
		goto out_unlink;
	}
	p = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		rc = -errno;
		snprintf(err, errlen, "cannot map breaker state '%s': %s", tmp, strerror(errno));
		goto out_unlink;
	}
	hdr_fill(p);
	munmap(p, FILE_SIZE);
	if (rename(tmp, path) != 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot install breaker state '%s': %s", path, strerror(errno));
		goto out_unlink;
	}
	close(fd);
	return 0;
out_unlink:
	unlink(tmp);
	close(fd);
	return rc;
}

static int lock_open(const char *path)
{
	char lk[4200];
	int fd;

	snprintf(lk, sizeof(lk), "%s.lock", path);
	fd = open(lk, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0660);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			int rc = -errno;
			close(fd);
			return rc;
		}
	}
	return fd;
}

/* Map path if it exists and can be trusted; -EBADMSG with *why if not. */
static int try_map(struct fg_bk_map *m, const char **why, char *err, size_t errlen)
{
	struct stat st;
	void *p;
	int fd, rc;

	fd = open(m->path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		rc = -errno;
		if (rc != -ENOENT)
			snprintf(err, errlen, "cannot open breaker state '%s': %s", m->path,
				 strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		goto out_close;
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size != FILE_SIZE) {
		*why = S_ISREG(st.st_mode) ? "has another layout size" : "is not a regular file";
		rc = -EBADMSG;
		goto out_close;
	}
	p = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		rc = -errno;
		snprintf(err, errlen, "cannot map breaker state '%s': %s", m->path, strerror(errno));
		goto out_close;
	}
	*why = validate(p, FILE_SIZE);
	if (*why != NULL) {
		munmap(p, FILE_SIZE);
		rc = -EBADMSG;
		goto out_close;
	}
	m->hdr = p;
	m->slots = (struct fg_bk_slot *)((char *)p + FG_BK_HDR_SIZE);
	m->size = FILE_SIZE;
	rc = 0;
out_close:
	close(fd);
	return rc;
}

static int open_in(struct fg_bk_map *m, const char *dir, char *err, size_t errlen)
{
	const char *why = NULL;
	int lk, rc;

	if (mkdir(dir, 0770) != 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "cannot create breaker state directory '%s': %s", dir,
			 strerror(errno));
		return rc;
	}
	if ((size_t)snprintf(m->path, sizeof(m->path), "%s/%s", dir, FG_BK_STATE_FILE) >=
	    sizeof(m->path))
		return -ENAMETOOLONG;
	lk = lock_open(m->path);
	if (lk < 0) {
		snprintf(err, errlen, "cannot lock breaker state '%s.lock': %s", m->path,
			 strerror(-lk));
		return lk;
	}
	rc = try_map(m, &why, err, errlen);
	if (rc == -ENOENT || rc == -EBADMSG) {
		rc = rebuild(m->path, err, errlen);
		if (rc == 0 && why != NULL)
			say(m, "breaker state '%s' %s: rebuilt", m->path, why);
		if (rc == 0)
			rc = try_map(m, &why, err, errlen);
	}
	close(lk);
	return rc;
}

size_t fg_bk_state_dirs(const struct fg_breaker_conf *c, const char *dirs[FG_BK_DIRS_MAX])
{
	const char *cand[FG_BK_DIRS_MAX] = { c->state_dir, getenv("XDG_RUNTIME_DIR"), "/tmp" };
	size_t n = 0;

	for (size_t i = 0; i < (c->state_dir_set ? 1 : FG_BK_DIRS_MAX); i++)
		if (cand[i] != NULL && cand[i][0] == '/')
			dirs[n++] = cand[i];
	return n;
}

int fg_bk_state_dir(const struct fg_breaker_conf *c, char *out, size_t len)
{
	const char *dirs[FG_BK_DIRS_MAX];
	size_t n = fg_bk_state_dirs(c, dirs);

	for (size_t i = 0; i < n; i++) {
		if (mkdir(dirs[i], 0770) < 0 && errno != EEXIST)
			continue;
		if (access(dirs[i], W_OK | X_OK) != 0)
			continue;
		if ((size_t)snprintf(out, len, "%s", dirs[i]) >= len)
			return -ENAMETOOLONG;
		return 0;
	}
	return -ENOENT;
}

/* Map the state file in the first usable directory of dirs. */
static int map_open_in(const char *const *dirs, size_t n, const struct fg_bk_env *env,
		       struct fg_bk_map **out, char *err, size_t errlen)
{
	struct fg_bk_map *m;
	int rc = -ENOENT;

	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	if (env != NULL)
		m->env = *env;
	for (size_t i = 0; i < n; i++) {
		if (dirs[i] == NULL || dirs[i][0] != '/')
			continue;
		rc = open_in(m, dirs[i], err, errlen);
		if (rc == 0) {
			*out = m;
			return 0;
		}
	}
	free(m);
	return rc;
}

int fg_bk_map_open(const char *dir, const struct fg_bk_env *env, struct fg_bk_map **out,
		   char *err, size_t errlen)
{
	return map_open_in(&dir, 1, env, out, err, errlen);
}

int fg_bk_map_open_conf(const struct fg_breaker_conf *c, const struct fg_bk_env *env,
			struct fg_bk_map **out, char *err, size_t errlen)
{
	const char *dirs[FG_BK_DIRS_MAX];

	return map_open_in(dirs, fg_bk_state_dirs(c, dirs), env, out, err, errlen);
}

void fg_bk_map_close(struct fg_bk_map *m)
{
	if (m == NULL)
		return;
	if (m->hdr != NULL)
		munmap(m->hdr, m->size);
	free(m);
}

const char *fg_bk_map_path(const struct fg_bk_map *m)
{
	return m->path;
}

void fg_bk_conf_from(struct fg_bk_conf *out, const struct fg_breaker_conf *in)
{
	out->threshold = in->threshold > 0 ? in->threshold : 1;
	out->open_seconds = in->open_seconds > 0 ? in->open_seconds : 1;
	out->max_open_seconds = in->max_open_seconds >= out->open_seconds ?
		in->max_open_seconds : out->open_seconds;
	out->probes = in->probes > 0 ? in->probes : 1;
	if (out->probes > W_OUT_MAX)
		out->probes = W_OUT_MAX;
	out->slow_first_byte_seconds = in->slow_first_byte_seconds;
	out->min_processes = in->min_processes > 0 ? in->min_processes : 1;
}

static int find_slot(struct fg_bk_map *m, const char *name, const char *addr)
{
	for (unsigned i = 0; i < FG_BK_SLOTS; i++) {
		struct fg_bk_slot *s = &m->slots[i];

		if (atomic_load_explicit(&s->used, memory_order_acquire) == FG_BK_SLOT_USED &&
		    strcmp(s->name, name) == 0 && strcmp(s->addr, addr) == 0)
			return (int)i;
	}
	return -1;
}

int fg_bk_attach(struct fg_bk_map *m, const char *name, const char *address,
		 const struct fg_bk_conf *conf, struct fg_bk *b)
{
	int i, lk;

	if (strlen(name) >= FG_BK_NAME_MAX || strlen(address) >= FG_BK_ADDR_MAX)
		return -ENAMETOOLONG;
	memset(b, 0, sizeof(*b));
	b->map = m;
	b->conf = *conf;
	strcpy(b->key_name, name);
	strcpy(b->key_addr, address);
	i = find_slot(m, name, address);
	if (i >= 0) {
		b->slot = &m->slots[i];
		return 0;
	}
	/* Claiming is rare (once per new endpoint per boot): take the lock so
	 * that two processes cannot claim two slots for one endpoint. */
	lk = lock_open(m->path);
	if (lk < 0)
		return lk;
	i = find_slot(m, name, address);
	for (unsigned j = 0; i < 0 && j < FG_BK_SLOTS; j++) {
		struct fg_bk_slot *s = &m->slots[j];

		if (atomic_load(&s->used) != 0)
			continue;
		/* Zero the whole slot first: a claimer that died half-way
		 * left 'used' at 0, so whatever it wrote is rewritten. */
		memset(s->name, 0, sizeof(s->name));
		memset(s->addr, 0, sizeof(s->addr));
		strcpy(s->name, name);
		strcpy(s->addr, address);
		atomic_store(&s->word, w_make(FG_BK_CLOSED, 0, 0, 0, 1));
		atomic_store(&s->until, 0);
		atomic_store(&s->retry, 0);
		atomic_store(&s->changed, fg_bk_now(m));
		for (unsigned k = 0; k < FG_BK_MAX_PIDS; k++)
			atomic_store(&s->pids[k], 0);
		for (unsigned k = 0; k < FG_BK_OUTCOMES; k++) {
			atomic_store(&s->streak[k], 0);
			atomic_store(&s->total[k], 0);
		}
		atomic_store(&s->admitted, 0);
		atomic_store(&s->refused, 0);
		atomic_store(&s->probes, 0);
		atomic_store(&s->fallbacks, 0);
		atomic_store(&s->opens, 0);
		atomic_store(&s->ignored, 0);
		atomic_store_explicit(&s->used, FG_BK_SLOT_USED, memory_order_release);
		i = (int)j;
	}
	close(lk);
	if (i < 0)
		return -ENOSPC;
	b->slot = &m->slots[i];
	return 0;
}

int fg_bk_map_snap(struct fg_bk_map *m, unsigned i, struct fg_bk_snap *s)
{
	struct fg_bk_slot *sl;
	uint64_t w, t;

	memset(s, 0, sizeof(*s));
	if (i >= FG_BK_SLOTS)
		return -EINVAL;
	sl = &m->slots[i];
	if (atomic_load_explicit(&sl->used, memory_order_acquire) != FG_BK_SLOT_USED)
		return 0;
	snprintf(s->name, sizeof(s->name), "%s", sl->name);
	snprintf(s->addr, sizeof(s->addr), "%s", sl->addr);
	w = atomic_load(&sl->word);
	t = atomic_load(&sl->until);
	s->state = (enum fg_bk_state)W_STATE(w);
	s->gen = W_GEN(w);
	s->failures = W_FAILS(w);
	s->level = W_LEVEL(w);
	s->probes_out = W_OUT(w);
	s->until_ms = s->state != FG_BK_CLOSED && T_TAG(t) == (s->gen & 0xffffu) ? T_MS(t) : 0;
	s->now_ms = fg_bk_now(m);
	s->changed_ms = atomic_load(&sl->changed);
	for (unsigned k = 0; k < FG_BK_OUTCOMES; k++) {
		s->streak[k] = atomic_load(&sl->streak[k]);
		s->total[k] = atomic_load(&sl->total[k]);
	}
	s->admitted = atomic_load(&sl->admitted);
	s->refused = atomic_load(&sl->refused);
	s->probes = atomic_load(&sl->probes);
	s->fallbacks = atomic_load(&sl->fallbacks);
	s->opens = atomic_load(&sl->opens);
	s->ignored = atomic_load(&sl->ignored);
	return 1;
}
