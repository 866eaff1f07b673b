// SPDX-License-Identifier: GPL-2.0
/*
 * dvs: the dram backend (RackMem's dvs_dram). A slab is local zeroed
 * pages; I/O is a copy, completed before dvs_io_submit() returns. For
 * single-node use and for testing the layers above without a network.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "dvs-priv.h"
#include "fault.h"

struct dvs_lslab {
	u32		nr_pages;
	struct page	*pages[];
};

static void dvs_dram_free_pages(struct dvs_lslab *l)
{
	u32 i;

	for (i = 0; i < l->nr_pages; i++)
		if (l->pages[i])
			__free_page(l->pages[i]);
	kvfree(l);
}

static int dvs_dram_alloc(struct dvs_space *space, struct dvs_slab *slab)
{
	u32 i, n = space->geom.slab_pages;
	struct dvs_lslab *l;

	l = rs_kvzalloc(struct_size(l, pages, n), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	l->nr_pages = n;
	for (i = 0; i < n; i++) {
		/*
		 * the refill runs as reclaim (PF_MEMALLOC): this never swaps
		 * to us, and a slab's worth of pages stays out of the reserves
		 */
		l->pages[i] = rs_alloc_page(GFP_KERNEL | __GFP_ZERO |
					    __GFP_NORETRY | __GFP_NOWARN |
					    __GFP_NOMEMALLOC);
		if (!l->pages[i]) {
			dvs_dram_free_pages(l);
			return -ENOMEM;
		}
	}
	slab->bpriv = l;
	return 0;
}

static void dvs_dram_free(struct dvs_slab *slab)
{
	dvs_dram_free_pages(slab->bpriv);
}

static int dvs_dram_submit(struct dvs_io *io)
{
	struct dvs_lslab *l = io->slab->bpriv;
	struct sg_mapping_iter miter;
	size_t done = 0;

	sg_miter_start(&miter, io->sg, io->nents, SG_MITER_ATOMIC |
		       (io->write ? SG_MITER_FROM_SG : SG_MITER_TO_SG));
	while (done < io->len && sg_miter_next(&miter)) {
		size_t pos = 0;

		while (pos < miter.length && done < io->len) {
			u64 at = io->slab_off + done;
			size_t in = at & (PAGE_SIZE - 1);
			size_t n = min3(miter.length - pos, PAGE_SIZE - in,
					(size_t)io->len - done);
			void *mem = kmap_local_page(l->pages[at >> PAGE_SHIFT]);

			if (io->write)
				memcpy(mem + in, miter.addr + pos, n);
			else
				memcpy(miter.addr + pos, mem + in, n);
			kunmap_local(mem);
			pos += n;
			done += n;
		}
	}
	sg_miter_stop(&miter);
	dvs_io_end(io, done == io->len ? 0 : -EINVAL);
	return 0;
}

static enum dvs_health dvs_dram_check(struct dvs_slab *slab)
{
	return DVS_HEALTHY;	/* local pages stay */
}

const struct dvs_backend_ops dvs_dram_ops = {
	.name		= "dram",
	.alloc		= dvs_dram_alloc,
	.free		= dvs_dram_free,
	.submit		= dvs_dram_submit,
	.check		= dvs_dram_check,
};
