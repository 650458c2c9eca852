/* wire.c - encodes and decodes the audit daemon's messages.
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

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "audit/daemon.h"

#include "audit/wire.h"

/* the client stops an argv past this many bytes and ends it with "..." */
#define STRV_BUDGET (32 * 1024)

/* --- socket addresses ------------------------------------------------------ */

/* A UNIX address for path; a path longer than sun_path goes through an
 * O_PATH descriptor of its directory (*dirfd, to close after use). */
/* A name too long for sun_path: through its directory's descriptor.  A
 * function of its own, so that the common case's frame holds no PATH_MAX
 * buffer (each page the stack grows by is a fault at start-up). */
static __attribute__((noinline)) int sock_addr_long(const char *path, struct sockaddr_un *sa,
						    int *dirfd)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	int n;

	if (!slash || (size_t)(slash - path) >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	*dirfd = open(dir[0] ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd < 0)
		return -errno;
	n = snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s", *dirfd, slash + 1);
	if (n < 0 || (size_t)n >= sizeof(sa->sun_path)) {
		close(*dirfd);
		*dirfd = -1;
		return -ENAMETOOLONG;
	}
	return 0;
}

int fg_auditw_sock_addr(const char *path, struct sockaddr_un *sa, socklen_t *len, int *dirfd)
{
	*dirfd = -1;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) < sizeof(sa->sun_path)) {
		strcpy(sa->sun_path, path);
	} else {
		int r = sock_addr_long(path, sa, dirfd);

		if (r < 0)
			return r;
	}
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(sa->sun_path) + 1);
	return 0;
}

/* --- encoding -------------------------------------------------------------- */


void fg_auditw_put(struct fg_auditw_out *b, const void *s, size_t n)
{
	if (b->over || n > b->cap - b->len) {
		b->over = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

void fg_auditw_put_u8(struct fg_auditw_out *b, uint8_t v) { fg_auditw_put(b, &v, 1); }
static void put_u16(struct fg_auditw_out *b, uint16_t v) { fg_auditw_put(b, &v, 2); }
static void put_u32(struct fg_auditw_out *b, uint32_t v) { fg_auditw_put(b, &v, 4); }
static void put_i64(struct fg_auditw_out *b, int64_t v) { fg_auditw_put(b, &v, 8); }

void fg_auditw_put_cstr(struct fg_auditw_out *b, const char *s)
{
	if (!s) {
		put_u32(b, 0);
		return;
	}
	size_t n = strlen(s) + 1;
	put_u32(b, (uint32_t)n);
	fg_auditw_put(b, s, n);
}

int fg_auditw_encode_rec(struct fg_auditw_out *b, const struct fg_audit_rec *r, bool sync)
{
	int32_t result = r->result;

	if (!r->op || r->nf > FG_AUDITW_MAX_FIELDS || (r->nf && !r->f))
		return -EINVAL;
	fg_auditw_put_u8(b, 'R');
	fg_auditw_put_u8(b, sync ? FG_AUDITW_SYNC | (r->drain ? FG_AUDITW_DRAIN : 0) : 0);
	fg_auditw_put(b, &result, 4);
	fg_auditw_put_cstr(b, r->op);
	fg_auditw_put_cstr(b, r->decision);
	fg_auditw_put_cstr(b, r->rule);
	put_u16(b, (uint16_t)r->nf);
	for (size_t i = 0; i < r->nf; i++) {
		const struct fg_audit_field *f = &r->f[i];

		if (!f->key)
			return -EINVAL;
		fg_auditw_put_u8(b, (uint8_t)f->type);
		fg_auditw_put_cstr(b, f->key);
		switch (f->type) {
		case FG_AF_STR:
			put_u32(b, f->s ? (uint32_t)f->len : UINT32_MAX);
			if (f->s)
				fg_auditw_put(b, f->s, f->len);
			break;
		case FG_AF_INT:
		case FG_AF_OCT:
			put_i64(b, f->i);
			break;
		case FG_AF_STRV: {
			size_t n = 0, bytes = 0, at;

			at = b->len;
			put_u16(b, 0);
			for (; f->v && f->v[n] && n < FG_AUDITW_MAX_STRV - 1; n++) {
				bytes += strlen(f->v[n]) + 1;
				if (bytes > STRV_BUDGET)
					break;
				fg_auditw_put_cstr(b, f->v[n]);
			}
			if (f->v && f->v[n]) {
				fg_auditw_put_cstr(b, "...");
				n++;
			}
			if (!b->over) {
				uint16_t count = (uint16_t)n;
				memcpy(b->p + at, &count, 2);
			}
			break;
		}
		case FG_AF_NULL:
			break;
		default:
			return -EINVAL;
		}
	}
	return b->over ? -E2BIG : 0;
}

/* --- decoding (the daemon) ------------------------------------------------- */


const void *fg_auditw_take(struct fg_auditw_in *b, size_t n)
{
	const void *at;

	if (b->bad || n > b->len - b->off) {
		b->bad = true;
		return NULL;
	}
	at = b->p + b->off;
	b->off += n;
	return at;
}

static uint32_t get_u32(struct fg_auditw_in *b)
{
	uint32_t v = 0;
	const void *p = fg_auditw_take(b, 4);

	if (p)
		memcpy(&v, p, 4);
	return v;
}

static uint16_t get_u16(struct fg_auditw_in *b)
{
	uint16_t v = 0;
	const void *p = fg_auditw_take(b, 2);

	if (p)
		memcpy(&v, p, 2);
	return v;
}

/* A NUL-terminated string without NULs inside, or NULL (also on error). */
const char *fg_auditw_get_cstr(struct fg_auditw_in *b, bool *null)
{
	uint32_t n = get_u32(b);
	const char *s;

	*null = n == 0;
	if (n == 0)
		return NULL;
	s = fg_auditw_take(b, n);
	if (!s || s[n - 1] != '\0' || memchr(s, '\0', n - 1)) {
		b->bad = true;
		return NULL;
	}
	return s;
}

/* op and operand names: what the library writes, nothing that could
 * collide with the fields the writer itself puts in every record */
static bool name_ok(const char *s)
{
	static const char *const reserved[] = { "seq", "ts", "host", "pid", "uid", "agent", "exe",
						"op", "decision", "rule", "result", "prev", "hash" };
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcmp(s, reserved[i]) == 0)
			return false;
	return true;
}


int fg_auditw_decode_rec(struct fg_auditw_in *b, struct fg_auditw_rec *d)
{
	size_t nv = 0;
	bool null;
	int32_t result;
	const void *p;

	memset(&d->rec, 0, sizeof(d->rec));
	p = fg_auditw_take(b, 1);
	d->sync = p && (*(const uint8_t *)p & FG_AUDITW_SYNC);
	d->drain = d->sync && (*(const uint8_t *)p & FG_AUDITW_DRAIN);
	p = fg_auditw_take(b, 4);
	if (!p)
		return -EBADMSG;
	memcpy(&result, p, 4);
	d->rec.result = result;
	d->rec.op = fg_auditw_get_cstr(b, &null);
	d->rec.decision = fg_auditw_get_cstr(b, &null);
	d->rec.rule = fg_auditw_get_cstr(b, &null);
	d->rec.nf = get_u16(b);
	if (b->bad || !name_ok(d->rec.op) || result < 0 || result > 4095 ||
	    d->rec.nf > FG_AUDITW_MAX_FIELDS || (d->rec.rule && strlen(d->rec.rule) > PATH_MAX + 16) ||
	    (d->rec.decision && strcmp(d->rec.decision, "allow") != 0 &&
	     strcmp(d->rec.decision, "deny") != 0 && strcmp(d->rec.decision, "report") != 0))
		return -EBADMSG;
	for (size_t i = 0; i < d->rec.nf; i++) {
		struct fg_audit_field *f = &d->f[i];
		const uint8_t *t = fg_auditw_take(b, 1);

		memset(f, 0, sizeof(*f));
		f->type = t ? (enum fg_audit_ftype)*t : FG_AF_NULL;
		f->key = fg_auditw_get_cstr(b, &null);
		if (b->bad || !name_ok(f->key))
			return -EBADMSG;
		switch (t ? *t : 255) {
		case FG_AF_STR: {
			uint32_t n = get_u32(b);
			if (n != UINT32_MAX) {
				f->s = fg_auditw_take(b, n);
				f->len = n;
			}
			break;
		}
		case FG_AF_INT:
		case FG_AF_OCT:
			p = fg_auditw_take(b, 8);
			if (p)
				memcpy(&f->i, p, 8);
			break;
		case FG_AF_STRV: {
			uint16_t n = get_u16(b);
			if (n > FG_AUDITW_MAX_STRV || nv + n + 1 > sizeof(d->v) / sizeof(d->v[0]))
				return -EBADMSG;
			f->v = &d->v[nv];
			for (uint16_t k = 0; k < n; k++) {
				d->v[nv++] = fg_auditw_get_cstr(b, &null);
				if (null)
					b->bad = true;
			}
			d->v[nv++] = NULL;
			break;
		}
		case FG_AF_NULL:
			break;
		default:
			return -EBADMSG;
		}
	}
	if (b->bad || b->off != b->len)
		return -EBADMSG;
	d->rec.f = d->f;
	return 0;
}

int64_t fg_audit_now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Move a long-lived descriptor above the low numbers that programs expect
 * to be free or to have inherited (make's jobserver pipe, LISTEN_FDS), so
 * that no program mistakes the log for one of its own.  Keeps fd if that is
 * not possible. */
int fg_audit_high_fd(int fd)
{
	struct rlimit rl;
	int min = 512, nfd;

	/* already above every lower bound below: no getrlimit (an adopted
	 * connection, every process) */
	if (fd < 0 || fd >= min)
		return fd;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < 1024)
		min = (int)rl.rlim_cur / 2;
	if (fd >= min)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, min);
	if (nfd < 0)
		return fd;
	close(fd);
	return nfd;
}


/* Lines of the file at fd, one at a time, through a caller's buffer: the
 * next line (without its newline) in *line, its length in *len; 0 at the
 * end, -1 for a line longer than the buffer or a read error. */
struct lines {
	int fd;
	char *buf;
	size_t cap, have, at;
};

static int next_line(struct lines *l, const char **line, size_t *len)
{
	for (;;) {
		char *nl = memchr(l->buf + l->at, '\n', l->have - l->at);
		ssize_t n;

		if (nl != NULL) {
			*line = l->buf + l->at;
			*len = (size_t)(nl - *line);
			l->at += *len + 1;
			return 1;
		}
		/* keep the partial line, read more behind it */
		memmove(l->buf, l->buf + l->at, l->have - l->at);
		l->have -= l->at;
		l->at = 0;
		if (l->have == l->cap)
			return -1;
		do
			n = read(l->fd, l->buf + l->have, l->cap - l->have);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -1;
		if (n == 0) {
			if (l->have == 0)
				return 0;
			*line = l->buf;     /* the last line, without a newline */
			*len = l->have;
			l->at = l->have;
			return 1;
		}
		l->have += (size_t)n;
	}
}

/* Does the passwd line of nsswitch (a file in its format) name "files" as
 * its first source? */
static bool files_first(int fd, char *buf, size_t cap)
{
	struct lines l = { .fd = fd, .buf = buf, .cap = cap };
	const char *s;
	size_t n;

	while (next_line(&l, &s, &n) > 0) {
		const char *end = s + n;

		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		if ((size_t)(end - s) < 7 || memcmp(s, "passwd:", 7) != 0)
			continue;
		for (s += 7; s < end && (*s == ' ' || *s == '\t'); s++)
			;
		return end - s >= 5 && memcmp(s, "files", 5) == 0 &&
		       (end - s == 5 || s[5] == ' ' || s[5] == '\t' || s[5] == '[');
	}
	return false;
}

/* Field k (0-based) of a passwd line, or NULL; its length in *len. */
static const char *field(const char *s, size_t n, int k, size_t *len)
{
	const char *end = s + n, *c;

	for (; k > 0; k--) {
		c = memchr(s, ':', (size_t)(end - s));
		if (c == NULL)
			return NULL;
		s = c + 1;
	}
	c = memchr(s, ':', (size_t)(end - s));
	*len = (size_t)((c ? c : end) - s);
	return s;
}

/* uid's home in the passwd file at fd: 1 found (into out), 0 not there, -1
 * a line we do not read as glibc's files source would (too long, or a
 * compat "+"/"-" entry). */
static int passwd_home(int fd, uid_t uid, char *buf, size_t cap, char *out, size_t outcap)
{
	struct lines l = { .fd = fd, .buf = buf, .cap = cap };
	const char *s, *u, *d;
	size_t n, ul, dl;
	int r;

	while ((r = next_line(&l, &s, &n)) > 0) {
		unsigned long v = 0;

		if (n == 0 || s[0] == '#')
			continue;
		if (s[0] == '+' || s[0] == '-')
			return -1;
		u = field(s, n, 2, &ul);
		d = field(s, n, 5, &dl);
		if (u == NULL || d == NULL || ul == 0 || ul > 10)
			continue;
		for (size_t i = 0; i < ul && v <= 0xffffffffUL; i++)
			v = u[i] >= '0' && u[i] <= '9' ? v * 10 + (unsigned long)(u[i] - '0') :
							 0x100000000UL;
		if (v != (unsigned long)uid)
			continue;
		if (dl >= outcap)
			return -1;
		memcpy(out, d, dl);
		out[dl] = '\0';
		return 1;
	}
	return r < 0 ? -1 : 0;
}

bool fg_audit_passwd_home(const char *nsswitch, const char *passwd, uid_t uid, char *out,
			  size_t cap)
{
	char buf[2048] = "";
	int fd = open(nsswitch, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	bool files;

	if (fd < 0)
		return false;
	files = files_first(fd, buf, sizeof(buf));
	close(fd);
	if (!files)
		return false;
	fd = open(passwd, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return false;
	files = passwd_home(fd, uid, buf, sizeof(buf), out, cap) == 1;
	close(fd);
	return files;
}

void fg_audit_default_state(char *out, size_t cap)
{
	const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char pwhome[PATH_MAX];
	struct passwd *pw;

	if (x && x[0] == '/') {
		snprintf(out, cap, "%s/fleetguard", x);
		return;
	}
	/* no HOME: the password database, read directly where getpwuid()
	 * would take the answer from /etc/passwd first */
	if (!home || home[0] != '/') {
		if (fg_audit_passwd_home("/etc/nsswitch.conf", "/etc/passwd", getuid(), pwhome,
					 sizeof(pwhome))) {
			home = pwhome;
		} else {
			pw = getpwuid(getuid());
			home = pw && pw->pw_dir ? pw->pw_dir : NULL;
		}
		if (home && home[0] != '/')
			home = NULL;
	}
	if (home)
		snprintf(out, cap, "%s/.local/state/fleetguard", strcmp(home, "/") ? home : "");
	else
		snprintf(out, cap, "/tmp/fleetguard-%u", (unsigned)getuid());
}
