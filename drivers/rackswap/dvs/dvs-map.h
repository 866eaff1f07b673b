/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dvs: the arithmetic of a space (slots, slabs, chunks), page maps and
 * placement. Pure logic: no locks, no allocation, no kernel calls but the
 * bit, bitmap and log2 helpers; built into the module and, unchanged, into
 * the host unit tests (tools/testing/unit/shim has those helpers).
 */
#ifndef _RACKSWAP_DVS_MAP_H
#define _RACKSWAP_DVS_MAP_H

#include <linux/bitops.h>
#include <linux/bits.h>
#include <linux/types.h>

#define DVS_PAGE_SHIFT		12
#define DVS_CHUNK_SHIFT		21	/* 2 MiB: a donor's unit of memory */
#define DVS_CHUNK_SIZE		BIT_ULL(DVS_CHUNK_SHIFT)
#define DVS_SLAB_MIN_SHIFT	DVS_CHUNK_SHIFT
#define DVS_SLAB_MAX_SHIFT	29	/* 512 MiB: chunk ids fit one message */
#define DVS_MAX_CHUNKS		(1U << (DVS_SLAB_MAX_SHIFT - DVS_CHUNK_SHIFT))
#define DVS_MAP_BITS		BITS_PER_LONG	/* pages per long of a page map */

/* The shape of a space: const once it is made. */
struct dvs_geom {
	u64		size;		/* bytes, a multiple of the page size */
	unsigned int	slab_shift;
	u32		nr_slots;	/* slabs that cover @size */
	u32		slab_pages;
	u32		nr_chunks;	/* per slab */
};

/* Checks a slab size: a power of two from 2 MiB to 512 MiB. */
int dvs_slab_size_valid(u64 slab_size);

/* Fills @g for a space of @size bytes in slabs of @slab_size. */
int dvs_geom_init(struct dvs_geom *g, u64 size, u64 slab_size);

/*
 * Where the @len bytes at @offset live: slot and offset in its slab.
 * -EINVAL when the range is empty, not page-aligned, beyond the space or
 * spans two slabs.
 */
int dvs_locate(const struct dvs_geom *g, u64 offset, u64 len, u32 *slot,
	       u64 *slab_off);

/*
 * How a range of a slab falls into 2 MiB chunks: the chunk of its first
 * byte and the length of its first piece; returns the number of pieces
 * (1 or 2), or -EINVAL for a range longer than a chunk.
 */
int dvs_chunk_split(u64 slab_off, u64 len, u32 *chunk, u64 *first_len);

/* Page maps of a slab: bitmaps, one bit per page, in longs. */
static inline size_t dvs_map_longs(u32 pages)
{
	return BITS_TO_LONGS(pages);
}

/* Sets / clears pages [first, first + n): returns how many changed. */
u32 dvs_map_set(unsigned long *map, u32 first, u32 n);
u32 dvs_map_clear(unsigned long *map, u32 first, u32 n);
/* Is any page of [first, first + n) set? How many are? */
bool dvs_map_any(const unsigned long *map, u32 first, u32 n);
u32 dvs_map_count(const unsigned long *map, u32 first, u32 n);

/*
 * The pages a discard of [offset, offset + len) of a slab covers in full
 * (a partial page keeps its data): returns the count, first in *@first.
 */
u32 dvs_discard_pages(u64 slab_off, u64 len, u32 *first);

/* The largest donation limit a donor takes (and reports): 1 PiB. */
#define DVS_DONATE_MAX		BIT_ULL(50)

/*
 * Is a donor's STAT answer (@limit, @granted, @free bytes) one a donor can
 * give? @limit at most DVS_DONATE_MAX, @free at most what the limit leaves
 * beyond @granted. 0 or -EPROTO: placement would trust @free.
 */
int dvs_stat_check(u64 limit, u64 granted, u64 free);

/* One donor as placement sees it. */
struct dvs_cand {
	u64	free;		/* bytes it can still give */
	bool	refused;	/* refused us in this round */
};

/*
 * Power of two choices: among the candidates with @need bytes free that
 * did not refuse, two picked by @rnd (a random number), the one with more
 * free wins. Returns its index or -ENOSPC.
 */
int dvs_place(const struct dvs_cand *c, int n, u64 need, u32 rnd);

/*
 * The copies (a mask) a write of [@off, @end) of a slab goes to: the @live
 * ones, and copy @building (-1: none) when the write lies below the
 * rebuild's window [@win_lo, @win_hi), where the new copy is complete.
 * -EBUSY when it overlaps the window (the rebuild copies it now).
 */
int dvs_write_copies(unsigned int live, int building, u64 win_lo,
		     u64 win_hi, u64 off, u64 end);

/*
 * The copy of @mask a read goes to: of those also in @ready (their donor
 * reachable) the one with the lowest @load (I/Os in flight), else of all
 * of @mask; -1 when @mask is empty. @load has @n entries.
 */
int dvs_pick_copy(unsigned int mask, unsigned int ready, const int *load,
		  int n);

/*
 * RackMem's adaptive pool threshold: the target doubles (to @max) when a
 * bind found the pool empty, and decays by one (to @min) after a period
 * without binds.
 */
unsigned int dvs_pool_target(unsigned int cur, unsigned int min,
			     unsigned int max, bool missed, bool idle);

#endif /* _RACKSWAP_DVS_MAP_H */
