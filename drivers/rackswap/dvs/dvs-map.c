// SPDX-License-Identifier: GPL-2.0
/*
 * dvs: slot, slab and chunk arithmetic, page maps and placement (see
 * dvs-map.h). Built into the module and into the host unit tests: it may
 * use only the headers below, which tools/testing/unit/shim mirrors.
 */
#include <linux/bitmap.h>
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/log2.h>
#include <linux/types.h>

#include "dvs-map.h"

#define DVS_PAGE_MASK	((1ULL << DVS_PAGE_SHIFT) - 1)

int dvs_slab_size_valid(u64 slab_size)
{
	/* in range first: is_power_of_2() takes an unsigned long */
	if (slab_size < 1ULL << DVS_SLAB_MIN_SHIFT ||
	    slab_size > 1ULL << DVS_SLAB_MAX_SHIFT)
		return -EINVAL;
	if (!is_power_of_2(slab_size))
		return -EINVAL;
	return 0;
}

int dvs_geom_init(struct dvs_geom *g, u64 size, u64 slab_size)
{
	u64 slots;

	if (dvs_slab_size_valid(slab_size) || !size || size & DVS_PAGE_MASK)
		return -EINVAL;
	g->slab_shift = ilog2(slab_size);
	/* no rounding up that could wrap around */
	slots = (size >> g->slab_shift) + !!(size & (slab_size - 1));
	if (slots > 1U << 24)		/* 8 PiB of 512 MiB slabs */
		return -E2BIG;
	g->size = size;
	g->nr_slots = slots;
	g->slab_pages = slab_size >> DVS_PAGE_SHIFT;
	g->nr_chunks = slab_size >> DVS_CHUNK_SHIFT;
	return 0;
}

int dvs_locate(const struct dvs_geom *g, u64 offset, u64 len, u32 *slot,
	       u64 *slab_off)
{
	u64 mask = (1ULL << g->slab_shift) - 1;

	if (!len || (offset | len) & DVS_PAGE_MASK)
		return -EINVAL;
	if (offset >= g->size || len > g->size - offset)
		return -EINVAL;
	if ((offset & mask) + len > mask + 1)
		return -EINVAL;
	*slot = offset >> g->slab_shift;
	*slab_off = offset & mask;
	return 0;
}

int dvs_chunk_split(u64 slab_off, u64 len, u32 *chunk, u64 *first_len)
{
	u64 in_chunk = slab_off & (DVS_CHUNK_SIZE - 1);

	if (!len || len > DVS_CHUNK_SIZE)
		return -EINVAL;
	*chunk = slab_off >> DVS_CHUNK_SHIFT;
	if (in_chunk + len <= DVS_CHUNK_SIZE) {
		*first_len = len;
		return 1;
	}
	*first_len = DVS_CHUNK_SIZE - in_chunk;
	return 2;
}

u32 dvs_map_set(unsigned long *map, u32 first, u32 n)
{
	u32 changed = n - dvs_map_count(map, first, n);

	bitmap_set(map, first, n);
	return changed;
}

u32 dvs_map_clear(unsigned long *map, u32 first, u32 n)
{
	u32 changed = dvs_map_count(map, first, n);

	bitmap_clear(map, first, n);
	return changed;
}

bool dvs_map_any(const unsigned long *map, u32 first, u32 n)
{
	return find_next_bit(map, first + n, first) < first + n;
}

/* From the word of @first: the bits up to the end less those before it. */
u32 dvs_map_count(const unsigned long *map, u32 first, u32 n)
{
	const unsigned long *w = map + BIT_WORD(first);
	unsigned int lead = first % BITS_PER_LONG;

	return bitmap_weight(w, lead + n) - bitmap_weight(w, lead);
}

u32 dvs_discard_pages(u64 slab_off, u64 len, u32 *first)
{
	u64 start = (slab_off + DVS_PAGE_MASK) >> DVS_PAGE_SHIFT;
	u64 end = (slab_off + len) >> DVS_PAGE_SHIFT;

	*first = start;
	return end > start ? end - start : 0;
}

int dvs_stat_check(u64 limit, u64 granted, u64 free)
{
	if (limit > DVS_DONATE_MAX || free > limit)
		return -EPROTO;
	/* a limit lowered below what is granted leaves nothing free */
	if (free && (granted > limit || free > limit - granted))
		return -EPROTO;
	return 0;
}

int dvs_place(const struct dvs_cand *c, int n, u64 need, u32 rnd)
{
	int i, k, eligible = 0, a = -1, b = -1, pa, pb;

	for (i = 0; i < n; i++)
		if (!c[i].refused && c[i].free >= need)
			eligible++;
	if (!eligible)
		return -ENOSPC;
	pa = rnd % eligible;
	pb = pa;
	if (eligible > 1)
		pb = (pa + 1 + (int)((rnd >> 16) % (eligible - 1))) % eligible;
	for (i = 0, k = 0; i < n; i++) {
		if (c[i].refused || c[i].free < need)
			continue;
		if (k == pa)
			a = i;
		if (k == pb)
			b = i;
		k++;
	}
	return c[b].free > c[a].free ? b : a;
}

unsigned int dvs_pool_target(unsigned int cur, unsigned int min,
			     unsigned int max, bool missed, bool idle)
{
	if (missed)
		cur = cur > max / 2 ? max : (cur ? cur * 2 : 1);
	else if (idle && cur > min)
		cur--;
	if (cur < min)
		cur = min;
	if (cur > max)
		cur = max;
	return cur;
}

int dvs_write_copies(unsigned int live, int building, u64 win_lo,
		     u64 win_hi, u64 off, u64 end)
{
	if (building < 0)
		return live;
	if (off < win_hi && end > win_lo)
		return -EBUSY;
	return end <= win_lo ? live | 1U << building : live;
}

int dvs_pick_copy(unsigned int mask, unsigned int ready, const int *load,
		  int n)
{
	unsigned long m = mask & ready;
	int c, best = -1;

	if (bitmap_empty(&m, n))
		m = mask;
	for_each_set_bit(c, &m, n)
		if (best < 0 || load[c] < load[best])
			best = c;
	return best;
}
