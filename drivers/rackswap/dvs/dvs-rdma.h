/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dvs: the rdma backend's copies of a slab, shared by dvs-rdma.c (placement
 * and I/O) and dvs-rebuild.c (making a lost copy again).
 */
#ifndef _RACKSWAP_DVS_RDMA_H
#define _RACKSWAP_DVS_RDMA_H

#include <linux/atomic.h>
#include <linux/spinlock.h>

#include "dvs-priv.h"

/*
 * How long one copy may keep an I/O waiting (its donor unreachable) while
 * another copy can serve it; the last copy that can has the I/O's whole
 * deadline.
 */
#define DVS_COPY_WAIT		(5 * HZ)

enum dvs_copy_state {
	DVS_COPY_NONE,		/* no copy in this place */
	DVS_COPY_LIVE,		/* holds the slab: reads and writes */
	DVS_COPY_BUILDING,	/* being filled: writes below the window */
	DVS_COPY_DROPPED,	/* stale or gone: no new I/O; to be freed */
};

/* One copy: a slab of a donor, its 2 MiB chunks opened as remotes. */
struct dvs_rcopy {
	struct krdma_peer	*peer;		/* a reference */
	u32			slab_id;	/* the donor's */
	u32			nr_chunks;
	u64			size;
	struct krdma_remote	*remote[];	/* one per chunk */
};

/*
 * The copies of one slab (slab->bpriv). A write goes to the live copies
 * and, during a rebuild, to the building copy when it lies below the
 * window: the range the rebuild copies now, which writes wait for
 * (-EBUSY). Before it copies a window the rebuild flips @epoch and waits
 * for the writes of the old epoch: none of them can land after the copy.
 */
struct dvs_rset {
	spinlock_t		lock;	/* protects the fields below to @next */
	u8			want;		/* the space's copies: const */
	u8			state[DVS_MAX_COPIES];
	struct dvs_rcopy	*copy[DVS_MAX_COPIES];
	s8			building;	/* its copy, or -1 */
	u64			win_lo, win_hi;	/* slab offsets */
	u8			epoch;		/* of new writes: 0 or 1 */
	/* atomic */
	atomic_t		busy[DVS_MAX_COPIES];	/* I/Os on each copy */
	atomic_t		writers[2];	/* writes in flight, by epoch */
};

/* The copies in @state, a mask. rs->lock held. */
static inline unsigned int dvs_rset_mask(const struct dvs_rset *rs,
					 enum dvs_copy_state state)
{
	unsigned int c, m = 0;

	for (c = 0; c < DVS_MAX_COPIES; c++)
		if (rs->state[c] == state)
			m |= 1U << c;
	return m;
}

/* dvs-rdma.c */
int dvs_rcopy_place(struct dvs_rset *rs, u64 size, struct dvs_rcopy **cp);
void dvs_rcopy_free(struct dvs_rcopy *c);
int dvs_rcopy_pick_read(struct dvs_rset *rs, unsigned int mask);
void dvs_rset_drop(struct dvs_rset *rs, int c);
void dvs_rcopy_corrupt(struct dvs_rcopy *r, int slot, u64 slab_off, u32 bad);
int dvs_rcopy_sync_io(struct dvs_rcopy *c, u64 off, struct scatterlist *sg,
		      unsigned int nents, u32 len, bool write);

#endif /* _RACKSWAP_DVS_RDMA_H */
