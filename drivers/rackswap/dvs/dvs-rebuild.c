// SPDX-License-Identifier: GPL-2.0
/*
 * dvs: the rebuild of the rdma backend's copies. A slab that misses a copy
 * (a donor lost, a write that could not land on it) gets a new copy on a
 * donor that holds none of it, filled from a live copy in windows of
 * DVS_REBUILD_WINDOW bytes while the slab stays in use: writes below the
 * window go to the new copy too, writes to the window wait for it (see
 * struct dvs_rset), reads never go to the new copy until it is complete.
 * Pages never written are not copied. The rate is bounded by
 * /sys/kernel/rackswap/dvs/rebuild_rate_mb. Runs on dvs_wq
 * (WQ_MEM_RECLAIM, memalloc_noio) from the space's repair work.
 */
#include <linux/highmem.h>
#include <linux/jiffies.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>

#include "dvs-rdma.h"
#include "fault.h"

/* One step of a rebuild: KRDMA_IO_MAX_SGE pages, within one 2 MiB chunk. */
#define DVS_REBUILD_PAGES	KRDMA_IO_MAX_SGE
#define DVS_REBUILD_WINDOW	(DVS_REBUILD_PAGES * PAGE_SIZE)
/* The longest wait for the writes of a past epoch (they have deadlines). */
#define DVS_DRAIN_WAIT		(30 * HZ)

/* MB a rebuild copies per second at most; 0: no bound */
unsigned int dvs_rebuild_rate_mb = 32;

/* rebuild_rate_mb: 0-100000; takes effect at the next step of a rebuild */
int dvs_set_rebuild_rate(const char *val)
{
	unsigned int v;

	if (kstrtouint(val, 10, &v) || v > 100000) {
		pr_warn("rebuild_rate_mb: '%.*s' is not 0-100000\n",
			(int)min_t(size_t, strcspn(val, "\n"), 16), val);
		return -EINVAL;
	}
	WRITE_ONCE(dvs_rebuild_rate_mb, v);
	return 0;
}

/* The buffer one rebuild copies through. */
struct dvs_rebuild {
	struct page		*pages[DVS_REBUILD_PAGES];
	/* an encrypted space's: each page read decrypted here, to check it */
	struct page		*clear;
	struct scatterlist	sg[DVS_REBUILD_PAGES];
	u64			bytes;		/* copied so far */
	unsigned long		start;		/* jiffies */
};

static void dvs_rebuild_free(struct dvs_rebuild *rb)
{
	int i;

	for (i = 0; i < DVS_REBUILD_PAGES; i++)
		if (rb->pages[i])
			__free_page(rb->pages[i]);
	if (rb->clear) {
		/* it held pages in clear: not left to the next user */
		clear_highpage(rb->clear);
		__free_page(rb->clear);
	}
	kfree(rb);
}

static struct dvs_rebuild *dvs_rebuild_alloc(bool sealed)
{
	struct dvs_rebuild *rb;
	int i;

	rb = rs_kzalloc(sizeof(*rb), GFP_NOIO);
	if (!rb)
		return NULL;
	if (sealed) {
		rb->clear = rs_alloc_page(GFP_NOIO | __GFP_NOWARN);
		if (!rb->clear) {
			dvs_rebuild_free(rb);
			return NULL;
		}
	}
	sg_init_table(rb->sg, DVS_REBUILD_PAGES);
	for (i = 0; i < DVS_REBUILD_PAGES; i++) {
		rb->pages[i] = rs_alloc_page(GFP_NOIO | __GFP_NOWARN);
		if (!rb->pages[i]) {
			dvs_rebuild_free(rb);
			return NULL;
		}
		sg_set_page(&rb->sg[i], rb->pages[i], PAGE_SIZE, 0);
	}
	rb->start = jiffies;
	return rb;
}

/* Frees the dropped copies no I/O looks at any more. */
static void dvs_rset_reap(struct dvs_rset *rs)
{
	struct dvs_rcopy *r;
	int c;

	for (c = 0; c < DVS_MAX_COPIES; c++) {
		r = NULL;
		spin_lock_irq(&rs->lock);
		if (rs->state[c] == DVS_COPY_DROPPED &&
		    !atomic_read(&rs->busy[c])) {
			r = rs->copy[c];
			rs->copy[c] = NULL;
			rs->state[c] = DVS_COPY_NONE;
		}
		spin_unlock_irq(&rs->lock);
		if (r)
			dvs_rcopy_free(r);
	}
}

/*
 * Moves the window to [@lo, @hi) and waits for the writes that started
 * before: afterwards every write to the window's range either landed
 * (where it could) or waits.
 */
static int dvs_rebuild_window(struct dvs_rset *rs, u64 lo, u64 hi)
{
	u8 old;

	spin_lock_irq(&rs->lock);
	old = rs->epoch;
	rs->epoch = !old;
	rs->win_lo = lo;
	rs->win_hi = hi;
	spin_unlock_irq(&rs->lock);
	/* woken by dvs_rdma_write_end() */
	if (!wait_var_event_timeout(&rs->writers[old],
				    !atomic_read(&rs->writers[old]),
				    DVS_DRAIN_WAIT))
		return -ETIMEDOUT;
	return 0;
}

/*
 * Copies one window of @slab from a live copy into copy @to. What it reads
 * is checked (no write of the window is in flight: see struct dvs_rset):
 * its sums, or an encrypted space's tags (the ciphertext is copied); a
 * copy with corrupt pages there gives way to the next. When every copy
 * has some, the last one read is copied: its bad pages stay bad, and are
 * found as such when read.
 */
static int dvs_rebuild_step(struct dvs_slab *slab, struct dvs_rset *rs,
			    int to, u64 off, struct dvs_rebuild *rb)
{
	unsigned int tried = 0;
	bool dirty = false;
	u32 bad, first = 0;
	int from, ret;

	for (;;) {
		spin_lock_irq(&rs->lock);
		from = dvs_rcopy_pick_read(rs, ~tried);
		spin_unlock_irq(&rs->lock);
		if (from < 0 && dirty)
			break;	/* the buffer holds the last copy read */
		if (from < 0)
			return -EIO;	/* no live copy is left to read */
		tried |= 1U << from;
		/* busy: the copy stays while we read it */
		ret = dvs_rcopy_sync_io(rs->copy[from], off, rb->sg,
					DVS_REBUILD_PAGES, DVS_REBUILD_WINDOW,
					false);
		if (ret == -ENXIO || ret == -ENOTCONN) {
			spin_lock_irq(&rs->lock);
			dvs_rset_drop(rs, from);
			spin_unlock_irq(&rs->lock);
		}
		if (ret)
			bad = 0;
		else if (rb->clear)
			bad = dvs_pages_open(slab, off, rb->sg,
					     DVS_REBUILD_PAGES,
					     DVS_REBUILD_WINDOW, rb->clear,
					     &first);
		else
			bad = dvs_pages_check(slab, off, rb->sg,
					      DVS_REBUILD_PAGES,
					      DVS_REBUILD_WINDOW, &first);
		if (bad)
			dvs_rcopy_corrupt(rs->copy[from], slab->slot,
					  off + ((u64)first << PAGE_SHIFT), bad);
		atomic_dec(&rs->busy[from]);
		dirty = !ret;
		if (!ret && !bad)
			break;
	}
	/* a failed write may drop @to, but only this rebuild frees it */
	return dvs_rcopy_sync_io(rs->copy[to], off, rb->sg, DVS_REBUILD_PAGES,
				 DVS_REBUILD_WINDOW, true);
}

/* Sleeps as long as rebuild_rate_mb asks for the bytes copied so far. */
static void dvs_rebuild_pace(struct dvs_rebuild *rb)
{
	unsigned int rate = READ_ONCE(dvs_rebuild_rate_mb);
	unsigned long due;

	if (!rate)
		return;
	due = rb->start + msecs_to_jiffies(div_u64(rb->bytes, rate * 1000ULL));
	if (time_before(jiffies, due))
		schedule_timeout_uninterruptible(due - jiffies);
}

/* Fills copy @to (building) of @slab from its live copies. */
static int dvs_rebuild_fill(struct dvs_slab *slab, struct dvs_rset *rs,
			    int to, struct dvs_rebuild *rb)
{
	struct dvs_space *space = slab->space;
	u64 off, size = dvs_slab_size_of(space);
	int ret = 0;

	for (off = 0; off < size; off += DVS_REBUILD_WINDOW) {
		if (READ_ONCE(space->dying))
			return -ESHUTDOWN;
		ret = dvs_rebuild_window(rs, off, off + DVS_REBUILD_WINDOW);
		if (ret)
			return ret;
		spin_lock_irq(&rs->lock);
		/* a write that could not land on it dropped it */
		if (rs->state[to] != DVS_COPY_BUILDING)
			ret = -EIO;
		spin_unlock_irq(&rs->lock);
		if (ret)
			return ret;
		if (!dvs_slab_any_used(slab, off >> PAGE_SHIFT,
				       DVS_REBUILD_PAGES))
			continue;
		ret = dvs_rebuild_step(slab, rs, to, off, rb);
		if (ret)
			return ret;
		rb->bytes += DVS_REBUILD_WINDOW;
		atomic64_add(DVS_REBUILD_WINDOW, &dvs_stats.rebuild_bytes);
		dvs_rebuild_pace(rb);
	}
	/* the last writes of the old epoch are in: the window goes */
	return dvs_rebuild_window(rs, size, size);
}

/* Makes one copy of @slab again into place @to. */
static int dvs_rebuild_copy(struct dvs_slab *slab, struct dvs_rset *rs,
			    int to)
{
	struct dvs_rebuild *rb;
	struct dvs_rcopy *r;
	int ret;

	rb = dvs_rebuild_alloc(!!slab->seals);
	if (!rb)
		return -ENOMEM;
	ret = dvs_rcopy_place(rs, dvs_slab_size_of(slab->space), &r);
	if (ret)
		goto out;
	spin_lock_irq(&rs->lock);
	rs->copy[to] = r;
	rs->state[to] = DVS_COPY_BUILDING;
	rs->win_lo = 0;
	rs->win_hi = 0;
	rs->building = to;
	spin_unlock_irq(&rs->lock);

	ret = dvs_rebuild_fill(slab, rs, to, rb);

	spin_lock_irq(&rs->lock);
	rs->building = -1;
	if (ret)
		dvs_rset_drop(rs, to);
	else if (rs->state[to] == DVS_COPY_BUILDING)
		rs->state[to] = DVS_COPY_LIVE;
	else
		ret = -EIO;
	spin_unlock_irq(&rs->lock);
	if (!ret) {
		atomic64_inc(&dvs_stats.copies_rebuilt);
		pr_info("slab of slot %d: copy rebuilt on peer %d (%llu KiB copied in %u ms)\n",
			slab->slot, krdma_peer_id(r->peer), rb->bytes >> 10,
			jiffies_to_msecs(jiffies - rb->start));
	}
	atomic64_add(jiffies_to_msecs(jiffies - rb->start),
		     &dvs_stats.rebuild_ms);
out:
	dvs_rebuild_free(rb);
	return ret;
}

/*
 * The rdma backend's repair: frees the dropped copies, then makes copies
 * until the slab has as many as its space wants. Process context, the
 * slab held by the caller (it stays bound).
 */
int dvs_rdma_repair(struct dvs_slab *slab)
{
	struct dvs_rset *rs = slab->bpriv;
	int to, ret = 0;

	dvs_rset_reap(rs);
	for (;;) {
		spin_lock_irq(&rs->lock);
		to = -1;
		if (dvs_rset_mask(rs, DVS_COPY_LIVE) &&
		    hweight32(dvs_rset_mask(rs, DVS_COPY_LIVE)) < rs->want) {
			unsigned int none = dvs_rset_mask(rs, DVS_COPY_NONE);

			to = none ? __ffs(none) : -1;
		}
		spin_unlock_irq(&rs->lock);
		if (to < 0)
			break;
		ret = dvs_rebuild_copy(slab, rs, to);
		dvs_rset_reap(rs);
		if (ret)
			break;
	}
	return ret;
}
