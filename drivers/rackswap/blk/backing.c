// SPDX-License-Identifier: GPL-2.0
/*
 * rackswap: the optional local backing device of a /dev/rackswapN
 * (backing_dev; Infiniswap's disk backup, zram's writeback). Every write
 * also goes to the same offset of a local block device, asynchronously:
 * the request completes when its remote copies have it. A read that fails
 * remotely (no copy left: a lost slab, a dead donor) is served from the
 * backing device when it holds the last write of every page the read
 * covers.
 *
 * The request's pages belong to the swap cache and may change once it
 * completes: a write is copied, before it is submitted, into pages that
 * never wait for memory (GFP_NOWAIT, then a reserve of RS_BACKING_RESERVE
 * pages), and written by a work item (a bio's allocation may sleep,
 * queue_rq may not). Each page of the device has three bits:
 *  backed: the backing device holds its last write;
 *  busy:   a backing write of it is prepared or in flight;
 *  stale:  written or discarded again while busy: the write in flight is
 *          old, its completion leaves the page unbacked.
 * A write finding one of its pages busy is not copied: two writes of one
 * sector in flight may reach the device in either order. Its pages stay
 * unbacked until written again, as those of a write that found no memory
 * for its copy or RS_BACKING_MAX_INFLIGHT bytes in flight (skipped).
 */
#include <linux/bio.h>
#include <linux/bitmap.h>
#include <linux/blkdev.h>
#include <linux/highmem.h>
#include <linux/mempool.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/wait.h>

#include "backing.h"
#include "compat.h"
#include "fault.h"

#define RS_BACKING_RESERVE	256		/* pages, per backing device */
#define RS_BACKING_MAX_INFLIGHT	(64 << 20)	/* bytes of copies */
#define RS_BACKING_BIO_PAGES	128		/* pages per bio */
#define RS_BACKING_PATH		128

struct rs_backing {
	struct rackswap_bdev	ref;		/* const while open */
	char			path[RS_BACKING_PATH];	/* const */
	mempool_t		*reserve;	/* pages for the copies */

	spinlock_t		lock;	/* the maps and backed_pages */
	unsigned long		*backed, *busy, *stale;
	u64			nr_pages;	/* mapped; 0: stopped */
	u64			backed_pages;

	atomic_t		inflight;	/* prepared writes, for stop */
	atomic64_t		inflight_bytes;
	wait_queue_head_t	idle;		/* inflight reached 0 */

	/* stats: atomic, no lock */
	atomic64_t		writes, write_bytes, skipped, write_errors;
	atomic64_t		reads, read_bytes, read_errors;
};

/* A prepared write: its copy, and its bios' completions. */
struct rs_bwrite {
	struct work_struct	work;		/* rs_backing_wq */
	struct rs_backing	*b;
	u64			first;		/* page index */
	u32			nr;		/* pages */
	atomic_t		bios;		/* in flight, plus one */
	int			status;		/* the first error; cmpxchg */
	struct page		*page[];
};

static struct workqueue_struct *rs_backing_wq;

int rs_backing_init(void)
{
	rs_backing_wq = alloc_workqueue("rackswap_backing",
					WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	return rs_backing_wq ? 0 : -ENOMEM;
}

void rs_backing_exit(void)
{
	destroy_workqueue(rs_backing_wq);
}

void rs_backing_queue(struct work_struct *work)
{
	queue_work(rs_backing_wq, work);
}

struct rs_backing *rs_backing_open(const char *path, void *holder)
{
	struct rs_backing *b;
	int ret;

	if (strlen(path) >= RS_BACKING_PATH)
		return ERR_PTR(-ENAMETOOLONG);
	b = rs_kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return ERR_PTR(-ENOMEM);
	strscpy(b->path, path, sizeof(b->path));
	spin_lock_init(&b->lock);
	init_waitqueue_head(&b->idle);
	b->reserve = mempool_create_page_pool(RS_BACKING_RESERVE, 0);
	if (!b->reserve) {
		ret = -ENOMEM;
		goto err_free;
	}
	ret = rackswap_bdev_open(&b->ref, path, holder);
	if (ret)
		goto err_pool;
	return b;

err_pool:
	mempool_destroy(b->reserve);
err_free:
	kfree(b);
	return ERR_PTR(ret);
}

void rs_backing_close(struct rs_backing *b)
{
	rs_backing_stop(b);
	rackswap_bdev_close(&b->ref);
	mempool_destroy(b->reserve);
	kfree(b);
}

const char *rs_backing_path(const struct rs_backing *b)
{
	return b->path;
}

struct block_device *rs_backing_bdev(const struct rs_backing *b)
{
	return b->ref.bdev;
}

static unsigned long *rs_backing_map(u64 pages)
{
	return rs_kvzalloc(BITS_TO_LONGS(pages) * sizeof(long), GFP_KERNEL);
}

static void rs_backing_maps_free(struct rs_backing *b)
{
	kvfree(b->backed);
	kvfree(b->busy);
	kvfree(b->stale);
	b->backed = NULL;
	b->busy = NULL;
	b->stale = NULL;
}

int rs_backing_start(struct rs_backing *b, u64 size)
{
	u64 have = rackswap_bdev_bytes(b->ref.bdev);
	u64 pages = size >> PAGE_SHIFT;

	if (size > have) {
		pr_warn("backing device %s: %llu bytes, the device needs %llu\n",
			b->path, have, size);
		return -ENOSPC;
	}
	b->backed = rs_backing_map(pages);
	b->busy = rs_backing_map(pages);
	b->stale = rs_backing_map(pages);
	if (!b->backed || !b->busy || !b->stale) {
		rs_backing_maps_free(b);
		return -ENOMEM;
	}
	spin_lock_irq(&b->lock);
	b->nr_pages = pages;
	b->backed_pages = 0;
	spin_unlock_irq(&b->lock);
	return 0;
}

void rs_backing_stop(struct rs_backing *b)
{
	if (!b->nr_pages)
		return;
	/* the device has no request in flight: only backing writes remain */
	wait_event(b->idle, !atomic_read(&b->inflight));
	spin_lock_irq(&b->lock);
	b->nr_pages = 0;
	spin_unlock_irq(&b->lock);
	rs_backing_maps_free(b);
}

/* Pages [first, first + nr) leave the backing device's hold. b->lock held. */
static bool rs_backing_unback(struct rs_backing *b, u64 first, u64 nr)
{
	u64 end = first + nr, p;
	bool busy = false;

	for (p = find_next_bit(b->backed, end, first); p < end;
	     p = find_next_bit(b->backed, end, p + 1)) {
		__clear_bit(p, b->backed);
		b->backed_pages--;
	}
	for (p = find_next_bit(b->busy, end, first); p < end;
	     p = find_next_bit(b->busy, end, p + 1)) {
		__set_bit(p, b->stale);
		busy = true;
	}
	return busy;
}

static void rs_bwrite_free(struct rs_bwrite *bw)
{
	struct rs_backing *b = bw->b;
	u32 i;

	for (i = 0; i < bw->nr; i++)
		if (bw->page[i])
			mempool_free(bw->page[i], b->reserve);
	atomic64_sub((u64)bw->nr << PAGE_SHIFT, &b->inflight_bytes);
	kfree(bw);
	if (atomic_dec_and_test(&b->inflight))
		wake_up_all(&b->idle);
}

/* Copies @rq's data into @bw's pages. */
static void rs_bwrite_copy(struct rs_bwrite *bw, struct request *rq)
{
	struct req_iterator iter;
	struct bio_vec bv;
	u64 off = 0;

	rq_for_each_segment(bv, rq, iter) {
		u32 done = 0;

		while (done < bv.bv_len) {
			u32 in = (off + done) & ~PAGE_MASK;
			u32 n = min_t(u32, bv.bv_len - done, PAGE_SIZE - in);
			struct page *to = bw->page[(off + done) >> PAGE_SHIFT];

			memcpy_from_page(page_address(to) + in, bv.bv_page,
					 bv.bv_offset + done, n);
			done += n;
		}
		off += bv.bv_len;
	}
}

struct rs_bwrite *rs_backing_write_prepare(struct rs_backing *b,
					   struct request *rq, u64 pos,
					   u32 len)
{
	u64 first = pos >> PAGE_SHIFT;
	u32 nr = len >> PAGE_SHIFT, i;
	struct rs_bwrite *bw = NULL;
	unsigned long flags;
	bool busy;

	if (!nr)
		return NULL;
	atomic_inc(&b->inflight);
	if (atomic64_add_return(len, &b->inflight_bytes) <=
	    RS_BACKING_MAX_INFLIGHT)
		bw = rs_kzalloc(struct_size(bw, page, nr), GFP_NOWAIT |
				__GFP_NOWARN | __GFP_NOMEMALLOC);
	if (!bw)
		goto skip;
	bw->b = b;
	bw->first = first;
	bw->nr = nr;
	for (i = 0; i < nr; i++) {
		bw->page[i] = mempool_alloc(b->reserve,
					    GFP_NOWAIT | __GFP_NOWARN);
		if (!bw->page[i])
			goto skip;
	}
	spin_lock_irqsave(&b->lock, flags);
	if (first + nr > b->nr_pages) {
		spin_unlock_irqrestore(&b->lock, flags);
		goto skip;
	}
	busy = rs_backing_unback(b, first, nr);
	if (!busy) {
		bitmap_set(b->busy, first, nr);
		bitmap_clear(b->stale, first, nr);
	}
	spin_unlock_irqrestore(&b->lock, flags);
	if (busy)
		goto skipped;
	rs_bwrite_copy(bw, rq);
	return bw;

skip:
	/* unbacked: the backing device may hold an older write of them */
	spin_lock_irqsave(&b->lock, flags);
	if (first + nr <= b->nr_pages)
		rs_backing_unback(b, first, nr);
	spin_unlock_irqrestore(&b->lock, flags);
skipped:
	atomic64_add(nr, &b->skipped);
	if (bw) {
		rs_bwrite_free(bw);
	} else {
		atomic64_sub(len, &b->inflight_bytes);
		if (atomic_dec_and_test(&b->inflight))
			wake_up_all(&b->idle);
	}
	return NULL;
}

/* Ends @bw: its pages are backed now unless it failed or went stale. */
static void rs_bwrite_end(struct rs_bwrite *bw)
{
	struct rs_backing *b = bw->b;
	unsigned long flags;
	u64 p;

	spin_lock_irqsave(&b->lock, flags);
	for (p = bw->first; p < bw->first + bw->nr; p++) {
		__clear_bit(p, b->busy);
		if (!__test_and_clear_bit(p, b->stale) && !bw->status) {
			__set_bit(p, b->backed);
			b->backed_pages++;
		}
	}
	spin_unlock_irqrestore(&b->lock, flags);
	if (bw->status) {
		atomic64_inc(&b->write_errors);
		pr_warn_ratelimited("backing device %s: write of %u pages at page %llu failed: %pe\n",
				    b->path, bw->nr, bw->first,
				    ERR_PTR(bw->status));
	} else {
		atomic64_inc(&b->writes);
		atomic64_add((u64)bw->nr << PAGE_SHIFT, &b->write_bytes);
	}
	rs_bwrite_free(bw);
}

static void rs_bwrite_bio_end(struct bio *bio)
{
	struct rs_bwrite *bw = bio->bi_private;
	int err = blk_status_to_errno(bio->bi_status);

	if (err)
		cmpxchg(&bw->status, 0, err);
	bio_put(bio);
	if (atomic_dec_and_test(&bw->bios))
		rs_bwrite_end(bw);
}

static void rs_bwrite_work(struct work_struct *work)
{
	struct rs_bwrite *bw = container_of(work, struct rs_bwrite, work);
	struct block_device *bdev = bw->b->ref.bdev;
	struct bio *bio;
	u32 i = 0, n, k;

	atomic_set(&bw->bios, 1);
	while (i < bw->nr) {
		n = min_t(u32, bw->nr - i, RS_BACKING_BIO_PAGES);
		/* GFP_NOIO from a bio set: waits, never fails */
		bio = rackswap_bio_alloc(bdev, n, true, GFP_NOIO);
		bio->bi_iter.bi_sector = (bw->first + i) << (PAGE_SHIFT - 9);
		bio->bi_private = bw;
		bio->bi_end_io = rs_bwrite_bio_end;
		for (k = 0; k < n; k++)
			bio_add_page(bio, bw->page[i + k], PAGE_SIZE, 0);
		atomic_inc(&bw->bios);
		submit_bio(bio);
		i += n;
	}
	if (atomic_dec_and_test(&bw->bios))
		rs_bwrite_end(bw);
}

void rs_backing_write_issue(struct rs_bwrite *bw)
{
	INIT_WORK(&bw->work, rs_bwrite_work);
	queue_work(rs_backing_wq, &bw->work);
}

void rs_backing_write_cancel(struct rs_bwrite *bw)
{
	struct rs_backing *b = bw->b;
	unsigned long flags;

	/* not written: its pages stay unbacked, nothing of them in flight */
	spin_lock_irqsave(&b->lock, flags);
	bitmap_clear(b->busy, bw->first, bw->nr);
	bitmap_clear(b->stale, bw->first, bw->nr);
	spin_unlock_irqrestore(&b->lock, flags);
	rs_bwrite_free(bw);
}

void rs_backing_discard(struct rs_backing *b, u64 pos, u64 len)
{
	u64 first = DIV_ROUND_UP(pos, PAGE_SIZE);
	u64 end = (pos + len) >> PAGE_SHIFT;
	unsigned long flags;

	spin_lock_irqsave(&b->lock, flags);
	end = min(end, b->nr_pages);
	if (first < end)
		rs_backing_unback(b, first, end - first);
	spin_unlock_irqrestore(&b->lock, flags);
}

bool rs_backing_covers(struct rs_backing *b, u64 pos, u32 len)
{
	u64 first = pos >> PAGE_SHIFT;
	u64 end = (pos + len + PAGE_SIZE - 1) >> PAGE_SHIFT;
	unsigned long flags;
	bool all;

	spin_lock_irqsave(&b->lock, flags);
	all = end <= b->nr_pages && first < end &&
	      find_next_zero_bit(b->backed, end, first) >= end;
	spin_unlock_irqrestore(&b->lock, flags);
	return all;
}

int rs_backing_read(struct rs_backing *b, struct request *rq, u64 pos)
{
	sector_t sector = pos >> 9;
	struct req_iterator iter;
	struct bio *bio = NULL;
	struct bio_vec bv;
	int ret = 0;

	rq_for_each_segment(bv, rq, iter) {
		if (bio && !bio_add_page(bio, bv.bv_page, bv.bv_len,
					 bv.bv_offset)) {
			ret = submit_bio_wait(bio);
			sector += bio_sectors(bio);
			bio_put(bio);
			bio = NULL;
			if (ret)
				goto out;
		}
		if (!bio) {
			bio = rackswap_bio_alloc(b->ref.bdev,
						 RS_BACKING_BIO_PAGES, false,
						 GFP_NOIO);
			bio->bi_iter.bi_sector = sector;
			bio_add_page(bio, bv.bv_page, bv.bv_len, bv.bv_offset);
		}
	}
	if (bio) {
		ret = submit_bio_wait(bio);
		bio_put(bio);
	}
out:
	if (ret) {
		atomic64_inc(&b->read_errors);
		pr_warn_ratelimited("backing device %s: read at %llu failed: %pe\n",
				    b->path, pos, ERR_PTR(ret));
	} else {
		atomic64_inc(&b->reads);
		atomic64_add(blk_rq_bytes(rq), &b->read_bytes);
	}
	return ret;
}

/*
 * One line: writes write_bytes skipped_pages write_errors reads read_bytes
 * read_errors backed_pages.
 */
ssize_t rs_backing_stat(struct rs_backing *b, char *buf)
{
	u64 backed;

	spin_lock_irq(&b->lock);
	backed = b->backed_pages;
	spin_unlock_irq(&b->lock);
	return sysfs_emit(buf, "%lld %lld %lld %lld %lld %lld %lld %llu\n",
			  atomic64_read(&b->writes),
			  atomic64_read(&b->write_bytes),
			  atomic64_read(&b->skipped),
			  atomic64_read(&b->write_errors),
			  atomic64_read(&b->reads),
			  atomic64_read(&b->read_bytes),
			  atomic64_read(&b->read_errors), backed);
}
