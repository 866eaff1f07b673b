// SPDX-License-Identifier: GPL-2.0
/*
 * dvs: the pages' sums. A checked backend (the rdma one: its pages live on
 * donors) has each slab keep the crc32c of every page's last write; a
 * write sets them when it is committed to its copies, a read's completion
 * checks the pages in use against them before the data is returned (the
 * backend decides what a mismatch means: dvs-rdma.c tries another copy).
 * 4 bytes a page, allocated with the slab (dvs_slab_new()); lib crc32c:
 * no allocation per I/O, any context.
 *
 * A read that races a write of its slab may bring back data older than
 * the sums. The slab counts the writes summed (wseq) and those still in
 * flight (writing); a read notes both when it is submitted, and a
 * mismatch seen while a write was or is under way reads again.
 */
#include <linux/crc32c.h>
#include <linux/scatterlist.h>

#include "compat.h"
#include "dvs-priv.h"

/* How many times a read whose mismatch may be a write's doing reads again */
#define DVS_RACE_RETRIES	3

/*
 * A page's sum: its crc32c, 0 taken as 1, for 0 says that no write summed
 * the page yet (a page in use whose first write is not posted yet, or was
 * refused: it is not checked).
 */
static u32 dvs_sum(u32 crc)
{
	return crc ?: 1;
}

/*
 * Walks the @len bytes of @sg one page at a time, pages @first on of
 * @slab: stores each page's crc32c in its sum (@store), or compares it with
 * the sum of each page in use. Returns the pages that differ, the first
 * (counted from @first) at *@first_bad. Any context.
 */
static u32 dvs_sg_sums(struct dvs_slab *slab, u32 first,
		       struct scatterlist *sg, unsigned int nents, u32 len,
		       bool store, u32 *first_bad)
{
	const u32 psize = 1U << DVS_PAGE_SHIFT;
	struct sg_mapping_iter miter;
	u32 done = 0, page = first, bad = 0, crc = ~0U;
	bool want = store || test_bit(page, slab->map);

	sg_miter_start(&miter, sg, nents, SG_MITER_ATOMIC | SG_MITER_FROM_SG);
	while (done < len && sg_miter_next(&miter)) {
		size_t pos = 0;

		while (pos < miter.length && done < len) {
			u32 in = done & (psize - 1);
			u32 n = min3((u32)(miter.length - pos), psize - in,
				     len - done);

			if (want)
				crc = crc32c(crc, miter.addr + pos, n);
			pos += n;
			done += n;
			if (done & (psize - 1))
				continue;
			if (store) {
				WRITE_ONCE(slab->sums[page], dvs_sum(crc));
			} else if (want) {
				u32 sum = READ_ONCE(slab->sums[page]);

				if (sum && sum != dvs_sum(crc) && !bad++)
					*first_bad = page - first;
			}
			crc = ~0U;
			page++;
			/* pages not in use (holes) read as zeros: unchecked */
			want = store ||
			       (done < len && test_bit(page, slab->map));
		}
	}
	sg_miter_stop(&miter);
	return bad;
}

/*
 * Tests (skip_verify): the pages of a write get no sum (0: unchecked), so
 * that a bench measures the data path without page integrity and a page
 * written meanwhile is never called corrupt once the check is back.
 */
static void dvs_sums_clear(struct dvs_slab *slab, u32 first, u32 len)
{
	u32 page;

	for (page = first; page < first + (len >> DVS_PAGE_SHIFT); page++)
		WRITE_ONCE(slab->sums[page], 0);
}

/*
 * A write of a checked slab, committed to its copies and about to be
 * posted: each of its pages' sums becomes the crc32c of what it writes.
 * Counted in the slab's writes first, for the reads it may race (see
 * dvs_io_raced()); dvs_io_end() takes it out. Never sleeps.
 */
void dvs_io_sum(struct dvs_io *io)
{
	struct dvs_slab *slab = io->slab;
	u32 first = io->slab_off >> DVS_PAGE_SHIFT;

	if (!slab->sums)
		return;
	/* writing, then wseq: the order dvs_io_submit() reads them back in */
	atomic_inc_return(&slab->writing);
	atomic_inc_return(&slab->wseq);
	io->summed = true;
	if (dvs_test_hook(skip_verify))
		dvs_sums_clear(slab, first, io->len);
	else
		dvs_sg_sums(slab, first, io->sg, io->nents, io->len, true,
			    NULL);
}

/*
 * Checks @len bytes read from @slab_off of @slab (in @sg) against the
 * sums of the pages in use. Returns the pages that differ, the first
 * (counted from @slab_off) at *@first_bad. Any context.
 */
u32 dvs_pages_check(struct dvs_slab *slab, u64 slab_off,
		    struct scatterlist *sg, unsigned int nents, u32 len,
		    u32 *first_bad)
{
	if (!slab->sums || dvs_test_hook(skip_verify))
		return 0;
	return dvs_sg_sums(slab, slab_off >> DVS_PAGE_SHIFT, sg, nents, len,
			   false, first_bad);
}

/*
 * Whether a read whose pages did not match may have raced a write of its
 * slab (one was in flight when it was submitted, or one started since):
 * its data may be older than the sums, and is read again (at most
 * DVS_RACE_RETRIES times an I/O) before it is called corrupt. Swap never
 * reads a page while it writes it; the other pages of the slab make most
 * of these. Any context.
 */
bool dvs_io_raced(struct dvs_io *io)
{
	struct dvs_slab *slab = io->slab;

	if (io->races >= DVS_RACE_RETRIES)
		return false;
	if (!io->wbusy && !atomic_read(&slab->writing) &&
	    atomic_read(&slab->wseq) == io->wseq)
		return false;
	io->races++;
	return true;
}

/*
 * At submission (@io->slab set): a read of a checked slab notes the
 * slab's writes, for dvs_io_raced(); a write is not summed yet.
 */
void dvs_io_sums_begin(struct dvs_io *io)
{
	struct dvs_slab *slab = io->slab;

	io->summed = false;
	if (io->write || !slab->sums)
		return;
	io->races = 0;
	io->wseq = atomic_read(&slab->wseq);
	/*
	 * wseq, then writing: dvs_io_sum() counts them the other way round,
	 * so a write counted in wseq is seen in flight here unless it ended
	 */
	smp_rmb();
	io->wbusy = atomic_read(&slab->writing) != 0;
}

/* At the end of @io: a summed write landed where it could. Any context. */
void dvs_io_sums_end(struct dvs_io *io)
{
	if (!io->summed)
		return;
	io->summed = false;
	atomic_dec(&io->slab->writing);
}
