// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshots: a whole walk kept in a file (the module's own record stream
 * behind a small header), and a walk loaded into memory for comparing.
 * The file format is documented above struct pts_snap_hdr and in
 * Documentation/history.rst.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "libptscope.h"

void pts_snap_init(struct pts_snap_hdr *h, int pid, const char *comm)
{
	struct timespec ts;
	struct utsname u;

	memset(h, 0, sizeof(*h));
	memcpy(h->magic, PTS_SNAP_MAGIC, sizeof(h->magic));
	h->version = PTS_SNAP_VERSION;
	h->size = sizeof(*h);
	clock_gettime(CLOCK_REALTIME, &ts);
	h->time_sec = ts.tv_sec;
	h->time_nsec = ts.tv_nsec;
	h->pid = pid;
	if (comm)
		snprintf(h->comm, sizeof(h->comm), "%s", comm);
	if (!uname(&u)) {
		snprintf(h->kernel, sizeof(h->kernel), "%s", u.release);
		snprintf(h->host, sizeof(h->host), "%s", u.nodename);
	}
}

static int read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPROTO;
		got += n;
	}
	return 0;
}

int pts_snap_open(struct pts_session *s, const char *path,
		  struct pts_snap_hdr *h)
{
	char skip[256];
	uint32_t left;
	int fd, ret;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = read_full(fd, h, offsetof(struct pts_snap_hdr, size) +
			sizeof(h->size));
	if (ret)
		goto fail;
	ret = -EPROTO;
	if (memcmp(h->magic, PTS_SNAP_MAGIC, sizeof(h->magic)))
		goto fail;
	ret = -EPROTONOSUPPORT;
	if (h->version > PTS_SNAP_VERSION || !h->version)
		goto fail;
	ret = -EPROTO;
	if (h->size < sizeof(*h) || h->size > (1U << 20))
		goto fail;
	ret = read_full(fd, &h->time_sec, sizeof(*h) -
			offsetof(struct pts_snap_hdr, time_sec));
	if (ret)
		goto fail;
	/* fields of a later minor revision: skipped */
	for (left = h->size - sizeof(*h); left; ) {
		uint32_t n = left < sizeof(skip) ? left : sizeof(skip);

		ret = read_full(fd, skip, n);
		if (ret)
			goto fail;
		left -= n;
	}
	h->comm[sizeof(h->comm) - 1] = '\0';
	h->kernel[sizeof(h->kernel) - 1] = '\0';
	h->host[sizeof(h->host) - 1] = '\0';
	/* the records: a plain session on the file */
	ret = pts_open_source(s, NULL, NULL);
	if (ret)
		goto fail;
	s->fd = fd;
	return 0;
fail:
	close(fd);
	return ret;
}

void pts_image_free(struct pts_image *img)
{
	free(img->vma);
	free(img->leaf);
	free(img->leaf_vma);
	memset(img, 0, sizeof(*img));
}

/* Grow *ARR (of SIZE-byte elements) to hold N + 1; 0 or -ENOMEM. */
static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
	void *p;

	if (n < *cap)
		return 0;
	*cap = *cap ? *cap * 2 : 64;
	p = realloc(*arr, *cap * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	return 0;
}

static int add_leaf(struct pts_image *img, size_t *cap,
		    const struct ptscope_leaf *l)
{
	const struct ptscope_vma *v;
	uint64_t end;
	void *p;
	int ret;

	if (!img->nvma || l->level >= PTSCOPE_NR_LEVELS || l->count != 1)
		return -EPROTO;
	v = &img->vma[img->nvma - 1];
	end = l->va + pts_level_size(l->level);
	/* inside the VMA (a huge leaf may start below a VMA split in it) */
	if (end <= v->start || l->va >= v->end || end < l->va)
		return -EPROTO;
	if (img->nleaf) {
		const struct ptscope_leaf *prev = &img->leaf[img->nleaf - 1];

		if (l->va < prev->va + pts_level_size(prev->level))
			return -EPROTO;
	}
	if (*cap <= img->nleaf) {
		size_t c = *cap;

		ret = grow((void **)&img->leaf, &c, img->nleaf, sizeof(*l));
		if (ret)
			return ret;
		p = realloc(img->leaf_vma, c * sizeof(*img->leaf_vma));
		if (!p)
			return -ENOMEM;
		img->leaf_vma = p;
		*cap = c;
	}
	img->leaf[img->nleaf] = *l;
	img->leaf_vma[img->nleaf++] = img->nvma - 1;
	return 0;
}

/*
 * A leaf record of ABI 2 (64 bytes, no folio), as the snapshots written
 * before ABI 3 hold it: the first 56 bytes are laid out as today's.
 */
struct leaf_abi2 {
	struct ptscope_rec_hdr hdr;
	uint64_t va, entry, pfn, flags, swap_offset, count;
	uint32_t mapcount;
	uint8_t level, pkey, swap_type, reserved;
};

static void leaf_from_abi2(const struct leaf_abi2 *o, struct ptscope_leaf *l)
{
	memset(l, 0, sizeof(*l));
	l->hdr.type = PTSCOPE_REC_LEAF;
	l->hdr.size = sizeof(*l);
	l->va = o->va;
	l->entry = o->entry;
	l->pfn = o->pfn;
	l->flags = o->flags & ~PTSCOPE_F_FOLIO;
	l->swap_offset = o->swap_offset;
	l->count = o->count;
	l->mapcount = o->mapcount;
	l->level = o->level;
	l->pkey = o->pkey;
	l->swap_type = o->swap_type;
}

int pts_image_load(struct pts_image *img, struct pts_session *s,
		   const struct ptscope_header *hdr)
{
	struct ptscope_leaf conv;
	size_t vcap = 0, lcap = 0;
	const struct ptscope_rec_hdr *rec;
	bool have_end = false;
	int ret;

	memset(img, 0, sizeof(*img));
	if (hdr) {
		img->hdr = *hdr;
	} else {
		ret = pts_next(s, &rec);
		if (ret <= 0)
			return ret ? ret : -EPROTO;
		if (rec->type != PTSCOPE_REC_HEADER || rec->size < sizeof(img->hdr))
			return -EPROTO;
		memcpy(&img->hdr, rec, sizeof(img->hdr));
	}
	img->hdr.comm[sizeof(img->hdr.comm) - 1] = '\0';
	if (img->hdr.abi_version == 2)
		img->hdr.flags |= PTSCOPE_HDR_NO_FOLIO;
	if (img->hdr.magic != PTSCOPE_MAGIC ||
	    (img->hdr.abi_version != PTSCOPE_ABI_VERSION &&
	     img->hdr.abi_version != 2) ||
	    img->hdr.op != PTSCOPE_OP_WALK ||
	    (img->hdr.flags & PTSCOPE_REQ_COALESCE))
		return -EPROTO;
	while ((ret = pts_next(s, &rec)) > 0) {
		if (have_end)
			return -EPROTO;
		switch (rec->type) {
		case PTSCOPE_REC_VMA: {
			const struct ptscope_vma *v = (const void *)rec;

			if (rec->size < sizeof(*v) || v->end <= v->start ||
			    (img->nvma && v->start < img->vma[img->nvma - 1].end))
				return -EPROTO;
			ret = grow((void **)&img->vma, &vcap, img->nvma, sizeof(*v));
			if (ret)
				return ret;
			img->vma[img->nvma] = *v;
			img->vma[img->nvma].name[PTSCOPE_NAME_MAX - 1] = '\0';
			img->nvma++;
			break;
		}
		case PTSCOPE_REC_LEAF:
			if (img->hdr.abi_version == 2) {
				if (rec->size < sizeof(struct leaf_abi2))
					return -EPROTO;
				leaf_from_abi2((const void *)rec, &conv);
				ret = add_leaf(img, &lcap, &conv);
				if (ret)
					return ret;
				break;
			}
			if (rec->size < sizeof(struct ptscope_leaf))
				return -EPROTO;
			ret = add_leaf(img, &lcap, (const void *)rec);
			if (ret)
				return ret;
			break;
		case PTSCOPE_REC_END:
			if (rec->size < sizeof(img->end))
				return -EPROTO;
			memcpy(&img->end, rec, sizeof(img->end));
			have_end = true;
			break;
		default:
			break;	/* a later record type: skipped by size */
		}
	}
	if (ret < 0)
		return ret;
	return have_end ? 0 : -EPROTO;
}
