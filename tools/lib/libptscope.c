// SPDX-License-Identifier: GPL-2.0
/* libptscope: see libptscope.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libptscope.h"

#define PTS_BUF_SIZE	(256 * 1024)
#define PTS_REC_MAX	65535	/* hdr.size is 16 bits */

const char *pts_dir(void)
{
	const char *d = getenv("PTSCOPE_DEBUGFS");

	return d && *d ? d : PTSCOPE_DEBUGFS_DIR;
}

int pts_use_device(void)
{
	const char *i = getenv("PTSCOPE_INTERFACE");
	const char *d = getenv("PTSCOPE_DEBUGFS");

	if (i && !strcmp(i, "device"))
		return 1;
	if ((i && !strcmp(i, "debugfs")) || (d && *d))
		return 0;
	return access(PTSCOPE_DEVICE, F_OK) == 0;
}

const char *pts_interface(void)
{
	return pts_use_device() ? PTSCOPE_DEVICE : pts_dir();
}

/* Open the device and send LINE: the fd, or -errno. */
static int device_request(const char *line)
{
	size_t n = strlen(line);
	int fd, ret;

	fd = open(PTSCOPE_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, line, n) != (ssize_t)n) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

/*
 * A text answer of the module: the debugfs FILE read, or on the device
 * the answer to REQ.  A stdio stream, or NULL with errno set.
 */
FILE *pts_text(const char *file, const char *req)
{
	char path[512];
	FILE *f;
	int fd;

	if (!pts_use_device()) {
		snprintf(path, sizeof(path), "%s/%s", pts_dir(), file);
		return fopen(path, "re");
	}
	fd = device_request(req);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

/* Send a command (track, untrack) to debugfs FILE or the device: 0 or -errno. */
int pts_command(const char *file, const char *line)
{
	char path[512];
	size_t n = strlen(line);
	int fd, ret = 0;

	if (pts_use_device()) {
		fd = device_request(line);
		if (fd < 0)
			return fd;
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/%s", pts_dir(), file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, line, n) != (ssize_t)n)
		ret = -errno;
	close(fd);
	return ret;
}

static void copy_field(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

int pts_read_version(struct pts_version *v)
{
	char key[64], val[160];
	FILE *f;

	memset(v, 0, sizeof(*v));
	f = pts_text("version", "op=version");
	if (!f)
		return -errno;
	while (fscanf(f, "%63s %159s", key, val) == 2) {
		if (!strcmp(key, "module_version"))
			copy_field(v->module_version, sizeof(v->module_version), val);
		else if (!strcmp(key, "abi_version"))
			v->abi_version = strtoul(val, NULL, 10);
		else if (!strcmp(key, "kernel_release"))
			copy_field(v->kernel_release, sizeof(v->kernel_release), val);
		else if (!strcmp(key, "paging_levels"))
			v->paging_levels = atoi(val);
		else if (!strcmp(key, "page_size"))
			v->page_size = atol(val);
		else if (!strcmp(key, "pti"))
			v->pti = atoi(val);
	}
	fclose(f);
	return v->abi_version ? 0 : -EPROTO;
}

/* The device's keys for the view of a debugfs file. */
static const char *device_keys(const char *file)
{
	static const char *const views[][2] = {
		{ "records", "format=records" },
		{ "walk", "op=walk format=text" },
		{ "translate", "op=translate format=text" },
		{ "ptcost", "op=ptcost format=text" },
	};
	size_t i;

	for (i = 0; i < sizeof(views) / sizeof(views[0]); i++)
		if (!strcmp(file, views[i][0]))
			return views[i][1];
	return NULL;
}

int pts_open(struct pts_session *s, const char *file)
{
	char path[512];

	memset(s, 0, sizeof(*s));
	if (pts_use_device()) {
		s->keys = device_keys(file);
		if (!s->keys) {
			s->fd = -1;
			return -EINVAL;
		}
		snprintf(path, sizeof(path), "%s", PTSCOPE_DEVICE);
	} else {
		snprintf(path, sizeof(path), "%s/%s", pts_dir(), file);
	}
	s->fd = open(path, O_RDWR | O_CLOEXEC);
	if (s->fd < 0)
		return -errno;
	s->cap = PTS_BUF_SIZE;
	s->buf = malloc(s->cap);
	if (!s->buf) {
		close(s->fd);
		s->fd = -1;
		return -ENOMEM;
	}
	return 0;
}

int pts_request(struct pts_session *s, const char *fmt, ...)
{
	char line[PTSCOPE_REQ_MAX];
	va_list ap;
	int n, k = 0;

	if (s->keys)
		k = snprintf(line, sizeof(line), "%s ", s->keys);
	va_start(ap, fmt);
	n = vsnprintf(line + k, sizeof(line) - k, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)(n + k) >= sizeof(line))
		return -EINVAL;
	n += k;
	if (write(s->fd, line, n) != n)
		return -errno;
	s->len = s->off = 0;
	s->eof = 0;
	if (s->ptes)
		s->ptes->count = 0;
	return 0;
}

int pts_open_source(struct pts_session *s, const struct pts_source *src,
		    void *priv)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->cap = PTS_BUF_SIZE;
	s->buf = malloc(s->cap);
	if (!s->buf)
		return -ENOMEM;
	s->src = src;
	s->priv = priv;
	return 0;
}

static ssize_t src_read(struct pts_session *s, void *buf, size_t len)
{
	ssize_t n;

	if (s->src)
		return s->src->read(s, buf, len);
	n = read(s->fd, buf, len);
	return n < 0 ? -errno : n;
}

void pts_close(struct pts_session *s)
{
	if (s->src && s->src->close)
		s->src->close(s);
	s->src = NULL;
	s->priv = NULL;
	if (s->fd >= 0)
		close(s->fd);
	free(s->buf);
	s->buf = NULL;
	free(s->layout);
	s->layout = NULL;
	free(s->ptes);
	s->ptes = NULL;
	s->fd = -1;
}

/* Make at least NEED unread bytes available; 0 if they are, 1 at EOF. */
static int fill(struct pts_session *s, size_t need)
{
	while (s->len - s->off < need) {
		ssize_t n;

		if (s->eof)
			return 1;
		if (s->off) {
			memmove(s->buf, s->buf + s->off, s->len - s->off);
			s->len -= s->off;
			s->off = 0;
		}
		n = src_read(s, s->buf + s->len, s->cap - s->len);
		if (n == -EINTR)
			continue;
		if (n < 0)
			return n;
		if (n == 0)
			s->eof = 1;
		s->len += n;
	}
	return 0;
}

static int next_rec(struct pts_session *s, const struct ptscope_rec_hdr **rec)
{
	const struct ptscope_rec_hdr *h;
	int ret;

	ret = fill(s, sizeof(*h));
	if (ret < 0)
		return ret;
	if (ret)
		return s->len == s->off ? 0 : -EPROTO;
	h = (const void *)(s->buf + s->off);
	if (h->size < sizeof(*h))
		return -EPROTO;
	ret = fill(s, h->size);
	if (ret < 0)
		return ret;
	if (ret)
		return -EPROTO;
	*rec = (const void *)(s->buf + s->off);
	s->off += (*rec)->size;
	return 1;
}

static uint64_t bits_field(uint64_t e, uint32_t shift, uint32_t bits)
{
	if (shift >= 64)
		return 0;
	e >>= shift;
	return bits >= 64 ? e : e & ((1ULL << bits) - 1);
}

static uint64_t by_rules(const struct ptscope_layout *l, uint32_t first,
			 uint32_t n, uint64_t e)
{
	uint64_t f = 0;
	uint32_t i;

	for (i = first; i < first + n; i++)
		if ((e & l->rules[i].mask) == l->rules[i].value)
			f |= l->rules[i].flags;
	return f;
}

/* A present entry (see PTSCOPE_REC_LAYOUT). */
static void decode_present(const struct ptscope_layout *l, uint32_t pflags,
			   uint64_t e, uint64_t facts, struct ptscope_leaf *leaf)
{
	uint64_t f = PTSCOPE_F_PFN_VALID | by_rules(l, 0, l->nr_present, e);
	uint64_t fe = e;

	if (l->pfn_invert_unless && !(e & l->pfn_invert_unless))
		fe = ~e;
	leaf->pfn = (fe & l->pfn_mask) >> 12;
	leaf->pkey = l->pkey_mask ? (e & l->pkey_mask) >> l->pkey_shift : 0;
	if ((f & PTSCOPE_F_PROTNONE) && (pflags & PTSCOPE_PTES_ACCESSIBLE) &&
	    !((pflags & PTSCOPE_PTES_UFFD_RWP) && (e & l->rwp_mask)))
		f |= PTSCOPE_F_NUMA_HINT;
	if (leaf->pfn == l->zero_pfn) {
		f |= PTSCOPE_F_ZERO_PAGE | PTSCOPE_F_FOLIO;
		leaf->folio_pfn = leaf->pfn;
	} else {
		leaf->mapcount = facts & PTSCOPE_FACT_MAPCOUNT;
		if (facts & PTSCOPE_FACT_ANON)
			f |= PTSCOPE_F_ANON_PAGE;
		if (facts & PTSCOPE_FACT_FILE)
			f |= PTSCOPE_F_FILE_PAGE;
		if (facts & PTSCOPE_FACT_EXCLUSIVE)
			f |= PTSCOPE_F_EXCLUSIVE;
		if (facts & PTSCOPE_FACT_FOLIO) {
			f |= PTSCOPE_F_FOLIO;
			leaf->folio_pfn = leaf->pfn -
				((facts >> PTSCOPE_FACT_INDEX_SHIFT) & PTSCOPE_FACT_INDEX_MASK);
			leaf->folio_order = (facts >> PTSCOPE_FACT_ORDER_SHIFT) &
					    PTSCOPE_FACT_ORDER_MASK;
		}
	}
	leaf->flags = f;
}

/* A non-present, non-empty entry (see PTSCOPE_REC_LAYOUT). */
static void decode_swp(const struct ptscope_layout *l, uint64_t e,
		       struct ptscope_leaf *leaf)
{
	uint64_t type = bits_field(e, l->swp_type_shift, l->swp_type_bits);
	uint64_t off = bits_field(e ^ l->swp_offset_xor, l->swp_offset_shift,
				  l->swp_offset_bits);
	uint64_t f = by_rules(l, l->nr_present, l->nr_swp, e);
	int b;

	if (type < PTSCOPE_LAYOUT_TYPES &&
	    (type || off || !(l->flags & PTSCOPE_LAYOUT_SWP0_NONE)))
		f |= l->type_flags[type];
	if (f & PTSCOPE_F_SWAP) {
		leaf->swap_type = type;
		leaf->swap_offset = off;
	}
	if (f & PTSCOPE_F_PFN_VALID)
		leaf->pfn = off & l->swp_pfn_mask;
	if (f & PTSCOPE_F_MARKER) {
		leaf->swap_offset = off & l->marker_mask;
		for (b = 0; b < PTSCOPE_LAYOUT_MARKER_BITS; b++)
			if (leaf->swap_offset & (1ULL << b))
				f |= l->marker_flags[b];
	}
	leaf->flags = f;
}

/* One entry E at VA (the first of COUNT): 1, or 0 if it is empty. */
static int decode_entry(const struct ptscope_layout *layout, uint32_t pflags,
			uint64_t e, uint64_t facts, uint64_t va, uint64_t count,
			struct ptscope_leaf *leaf)
{
	if (!(e & layout->none_mask))
		return 0;
	memset(leaf, 0, sizeof(*leaf));
	leaf->hdr.type = PTSCOPE_REC_LEAF;
	leaf->hdr.size = sizeof(*leaf);
	leaf->va = va;
	leaf->entry = e;
	leaf->count = count;
	leaf->level = PTSCOPE_LVL_PTE;
	if (e & layout->present_mask)
		decode_present(layout, pflags, e, facts, leaf);
	else
		decode_swp(layout, e, leaf);
	return 1;
}

int pts_ptes_leaf(const struct ptscope_layout *layout,
		  const struct ptscope_ptes *p, unsigned int i,
		  struct ptscope_leaf *leaf)
{
	unsigned int stride = p->flags & PTSCOPE_PTES_FACTS ? 2 : 1;

	return decode_entry(layout, p->flags, p->e[i * stride],
			    stride == 2 ? p->e[i * 2 + 1] : 0,
			    p->va + ((uint64_t)i << 12), 1, leaf);
}

/* Keep a LAYOUT or PTES record past the next read: -EPROTO if malformed. */
static int keep_compact(struct pts_session *s, const struct ptscope_rec_hdr *h)
{
	if (h->type == PTSCOPE_REC_LAYOUT) {
		const struct ptscope_layout *l = (const void *)h;

		if (h->size < sizeof(*l) || l->nr_present > PTSCOPE_LAYOUT_RULES_MAX ||
		    l->nr_swp > PTSCOPE_LAYOUT_RULES_MAX - l->nr_present)
			return -EPROTO;
		if (!s->layout && !(s->layout = malloc(sizeof(*s->layout))))
			return -ENOMEM;
		memcpy(s->layout, h, sizeof(*s->layout));
		return 0;
	}
	{
		const struct ptscope_ptes *p = (const void *)h;
		size_t per = sizeof(uint64_t);

		if (h->size < sizeof(*p) || !s->layout)
			return -EPROTO;
		if (p->flags & (PTSCOPE_PTES_FACTS | PTSCOPE_PTES_RUNS))
			per *= 2;
		if ((h->size - sizeof(*p)) / per < p->count)
			return -EPROTO;
		if (!s->ptes && !(s->ptes = malloc(PTS_REC_MAX)))
			return -ENOMEM;
		memcpy(s->ptes, h, h->size);
		s->ptes_next = 0;
		s->ptes_va = p->va;
		return 0;
	}
}

int pts_next(struct pts_session *s, const struct ptscope_rec_hdr **rec)
{
	int ret;

	for (;;) {
		while (s->ptes && s->ptes_next < s->ptes->count) {
			const struct ptscope_ptes *p = s->ptes;
			unsigned int i = s->ptes_next++;
			int got;

			if (p->flags & PTSCOPE_PTES_RUNS) {
				uint64_t n = p->e[2 * i + 1];

				got = decode_entry(s->layout, p->flags, p->e[2 * i], 0,
						   s->ptes_va, n, &s->leaf);
				s->ptes_va += n << 12;
			} else {
				got = pts_ptes_leaf(s->layout, p, i, &s->leaf);
			}
			if (got) {
				*rec = &s->leaf.hdr;
				return 1;
			}
		}
		ret = next_rec(s, rec);
		if (ret <= 0)
			return ret;
		if ((*rec)->type == PTSCOPE_REC_LEAF && (*rec)->size >= sizeof(s->leaf)) {
			const struct ptscope_leaf *l = (const void *)*rec;

			/* sizes are shifts of these: a corrupt snapshot stops here */
			if (l->level >= PTSCOPE_NR_LEVELS || l->folio_order > 40)
				return -EPROTO;
		}
		if ((*rec)->type != PTSCOPE_REC_LAYOUT &&
		    (*rec)->type != PTSCOPE_REC_PTES)
			return 1;
		ret = keep_compact(s, *rec);
		if (ret)
			return ret;
		if ((*rec)->type == PTSCOPE_REC_LAYOUT)
			return 1;
	}
}

int pts_copy_text(struct pts_session *s, int fd)
{
	for (;;) {
		ssize_t n = src_read(s, s->buf, s->cap);
		char *p = s->buf;

		if (n == -EINTR)
			continue;
		if (n < 0)
			return n;
		if (n == 0)
			return 0;
		while (n > 0) {
			ssize_t w = write(fd, p, n);

			if (w < 0)
				return -errno;
			p += w;
			n -= w;
		}
	}
}

const char *pts_level_name(unsigned int level)
{
	static const char *const names[] = PTSCOPE_LEVEL_NAMES;

	return level < PTSCOPE_NR_LEVELS ? names[level] : "?";
}

const char *pts_backing_name(unsigned int backing)
{
#define X(val, name) case val: return name;
	switch (backing) {
	PTSCOPE_BACKING_NAMES(X)
	}
#undef X
	return "?";
}

const char *pts_stop_name(unsigned int stop)
{
#define X(val, name) case val: return name;
	switch (stop) {
	PTSCOPE_STOP_NAMES(X)
	}
#undef X
	return "?";
}

const char *pts_flag_name(uint64_t bit)
{
#define X(val, name) if (bit == (val)) return name;
	PTSCOPE_FLAG_NAMES(X)
#undef X
	return NULL;
}

uint64_t pts_flag_by_name(const char *name)
{
#define X(val, n) if (!strcmp(name, n)) return val;
	PTSCOPE_FLAG_NAMES(X)
#undef X
	return 0;
}

char *pts_flags_str(uint64_t flags, char *buf, size_t len)
{
	size_t used = 0;
	int i;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < 64; i++) {
		const char *name;
		int n;

		if (!(flags & (1ULL << i)))
			continue;
		name = pts_flag_name(1ULL << i);
		if (!name)
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", name);
		if (n < 0 || (size_t)n >= len - used) {
			buf[used] = '\0';
			break;
		}
		used += n;
	}
	if (!used)
		snprintf(buf, len, "-");
	return buf;
}

char *pts_vma_perm(const struct ptscope_vma *v, char buf[5])
{
	buf[0] = v->flags & PTSCOPE_VMA_READ ? 'r' : '-';
	buf[1] = v->flags & PTSCOPE_VMA_WRITE ? 'w' : '-';
	buf[2] = v->flags & PTSCOPE_VMA_EXEC ? 'x' : '-';
	buf[3] = v->flags & PTSCOPE_VMA_SHARED ? 's' : 'p';
	buf[4] = '\0';
	return buf;
}

int pts_parse_u64(const char *str, uint64_t *val, int suffix)
{
	unsigned long long v;
	int base = 10, shift = 0;
	char *end;

	if (!str || !*str || *str == '-' || *str == '+' || *str == ' ')
		return -EINVAL;
	if (str[0] == '0' && (str[1] == 'x' || str[1] == 'X')) {
		base = 16;
		str += 2;
		if (!*str)
			return -EINVAL;
	}
	errno = 0;
	v = strtoull(str, &end, base);
	if (errno)
		return -errno;
	if (suffix && *end) {
		switch (*end) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		case 't': case 'T': shift = 40; break;
		default: return -EINVAL;
		}
		end++;
	}
	if (*end)
		return -EINVAL;
	if (shift && v > (~0ULL >> shift))
		return -ERANGE;
	*val = v << shift;
	return 0;
}

int pts_parse_range(const char *str, uint64_t *start, uint64_t *end)
{
	const char *sep;
	char first[64];
	uint64_t a, b;
	int ret;

	if (!str)
		return -EINVAL;
	sep = strpbrk(str, "-+");
	if (!sep || sep == str || (size_t)(sep - str) >= sizeof(first))
		return -EINVAL;
	memcpy(first, str, sep - str);
	first[sep - str] = '\0';
	ret = pts_parse_u64(first, &a, 1);
	if (ret)
		return ret;
	ret = pts_parse_u64(sep + 1, &b, 1);
	if (ret)
		return ret;
	if (*sep == '+') {
		if (b > ~0ULL - a)
			return -ERANGE;
		b += a;
	}
	if (a >= b)
		return -ERANGE;
	*start = a;
	*end = b;
	return 0;
}

int pts_clamp_range(int paging_levels, uint64_t *start, uint64_t *end)
{
	uint64_t user_end;

	if (paging_levels != 4 && paging_levels != 5)
		return -EINVAL;
	/* 12 offset bits, 9 per level, the top half is the kernel's */
	user_end = (1ULL << (12 + 9 * paging_levels - 1)) - 4096;
	if (*start >= user_end)
		return -ERANGE;
	if (*end > user_end)
		*end = user_end;
	return 0;
}

char *pts_fmt_size(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	int u = -1;

	while (u < 5 && bytes >= 1ULL << (10 * (u + 2)))
		u++;
	if (u < 0)
		snprintf(buf, len, "%lluB", (unsigned long long)bytes);
	else if (!(bytes & ((1ULL << (10 * (u + 1))) - 1)))
		snprintf(buf, len, "%llu%c",
			 (unsigned long long)(bytes >> (10 * (u + 1))), units[u]);
	else {
		double v = (double)bytes / (double)(1ULL << (10 * (u + 1)));

		snprintf(buf, len, v < 10 ? "%.1f%c" : "%.0f%c", v, units[u]);
	}
	return buf;
}

char *pts_folio_str(const struct ptscope_leaf *l, char *buf, size_t len)
{
	char size[16];

	if (!(l->flags & PTSCOPE_F_FOLIO)) {
		snprintf(buf, len, "-");
		return buf;
	}
	pts_fmt_size(pts_folio_size(l), size, sizeof(size));
	if (l->folio_order)
		snprintf(buf, len, "%s+%llu", size,
			 (unsigned long long)(l->pfn - l->folio_pfn));
	else
		snprintf(buf, len, "%s", size);
	return buf;
}

const char *pts_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case ENOENT:
		return "ptscope module not loaded (load it with: modprobe ptscope; is debugfs mounted?)";
	case ESRCH:
		return "no such process (or it has exited)";
	case ENXIO:
		return "kernel thread: it has no user address space";
	case EACCES:
		return "permission denied: ptrace read access to the target is required";
	case EPERM:
		return "permission denied: CAP_SYS_ADMIN (root) is required";
	case ERANGE:
		return "address or range outside user space, empty or reversed";
	case EINVAL:
		return "invalid request";
	case EINTR:
		return "interrupted";
	case EPROTO:
		return "malformed record stream (module and tool versions differ?)";
	default:
		return strerror(err < 0 ? -err : err);
	}
}

int pts_clear_refs(int pid, const char *what)
{
	char path[64];
	size_t n = strlen(what);
	ssize_t w;
	int fd, ret = 0;

	if (pid <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/clear_refs", pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	w = write(fd, what, n);
	if (w < 0)
		ret = -errno;
	else if ((size_t)w != n)
		ret = -EIO;
	close(fd);
	/* the process exited: its mm is gone (ESRCH from the kernel) */
	return ret;
}
