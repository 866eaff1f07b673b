/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rackswap: fault points, for tests (CONFIG_RACKSWAP_FAULT_INJECTION).
 *
 * The kernel's failslab and fail_page_alloc cannot be aimed at one module,
 * so the module has its own points, one fault attribute each (see
 * Documentation/fault-injection/fault-injection.rst), set in
 * /sys/kernel/debug/rackswap/fault/<point>/:
 *
 *   alloc     every memory allocation (the rs_k*alloc() and
 *             rs_alloc_page() helpers below): it returns NULL
 *   rpc_send  every message krdma posts (requests, responses, hellos)
 *   reg       every memory registration: the MR's allocation (one
 *             check before krdma-grant.c's two tries), ib_map_mr_sg()
 *             and the posting of IB_WR_REG_MR
 *   post      every other work request: the RDMA READs/WRITEs of the
 *             data QPs and the receive buffers of the message QP
 *   refuse    every successful completion of an RDMA READ/WRITE: it
 *             reads as the remote's refusal (IB_WC_REM_INV_REQ_ERR)
 *
 * A failing post returns -ENOMEM with nothing posted, as a full queue
 * does. Without the option the helpers are the plain calls.
 */
#ifndef _RACKSWAP_FAULT_H
#define _RACKSWAP_FAULT_H

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <rdma/ib_verbs.h>

struct dentry;

enum rs_fault_point {
	RS_FAULT_ALLOC,
	RS_FAULT_RPC_SEND,
	RS_FAULT_REG,
	RS_FAULT_POST,
	RS_FAULT_REFUSE,
	RS_FAULT_NR,
};

#ifdef CONFIG_RACKSWAP_FAULT_INJECTION
bool rs_should_fail(enum rs_fault_point point, size_t size);
void rs_fault_debugfs_init(struct dentry *root);
void rs_fault_debugfs_exit(void);
#else
static inline bool rs_should_fail(enum rs_fault_point point, size_t size)
{
	return false;
}

static inline void rs_fault_debugfs_init(struct dentry *root)
{
}

static inline void rs_fault_debugfs_exit(void)
{
}
#endif

/* 0, or -ENOMEM when a failure is injected at @point */
static inline int rs_fault(enum rs_fault_point point)
{
	return rs_should_fail(point, 1) ? -ENOMEM : 0;
}

/* --- allocations: the "alloc" point --- */

static inline void *rs_kmalloc(size_t size, gfp_t gfp)
{
	return rs_should_fail(RS_FAULT_ALLOC, size) ? NULL : kmalloc(size, gfp);
}

static inline void *rs_kzalloc(size_t size, gfp_t gfp)
{
	return rs_should_fail(RS_FAULT_ALLOC, size) ? NULL : kzalloc(size, gfp);
}

static inline void *rs_kcalloc(size_t n, size_t size, gfp_t gfp)
{
	return rs_should_fail(RS_FAULT_ALLOC, array_size(n, size)) ? NULL :
	       kcalloc(n, size, gfp);
}

static inline void *rs_kvzalloc(size_t size, gfp_t gfp)
{
	return rs_should_fail(RS_FAULT_ALLOC, size) ? NULL :
	       kvzalloc(size, gfp);
}

static inline void *rs_kvmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	return rs_should_fail(RS_FAULT_ALLOC, array_size(n, size)) ? NULL :
	       kvmalloc_array(n, size, gfp);
}

static inline void *rs_kvcalloc(size_t n, size_t size, gfp_t gfp)
{
	return rs_should_fail(RS_FAULT_ALLOC, array_size(n, size)) ? NULL :
	       kvcalloc(n, size, gfp);
}

static inline char *rs_kstrdup(const char *s, gfp_t gfp)
{
	return rs_should_fail(RS_FAULT_ALLOC, strlen(s) + 1) ? NULL :
	       kstrdup(s, gfp);
}

static inline struct page *rs_alloc_page(gfp_t gfp)
{
	return rs_should_fail(RS_FAULT_ALLOC, PAGE_SIZE) ? NULL :
	       alloc_page(gfp);
}

static inline int rs_sg_alloc_table_from_pages(struct sg_table *sgt,
					       struct page **pages,
					       unsigned int n_pages,
					       unsigned int offset,
					       unsigned long size, gfp_t gfp)
{
	if (rs_should_fail(RS_FAULT_ALLOC, n_pages * sizeof(*sgt->sgl)))
		return -ENOMEM;
	return sg_alloc_table_from_pages(sgt, pages, n_pages, offset, size,
					 gfp);
}

/* --- work requests: @point is RS_FAULT_RPC_SEND, _REG or _POST --- */

static inline int rs_ib_post_send(enum rs_fault_point point, struct ib_qp *qp,
				  const struct ib_send_wr *wr,
				  const struct ib_send_wr **bad)
{
	int ret = rs_fault(point);

	if (ret) {
		if (bad)
			*bad = wr;	/* nothing of the chain posted */
		return ret;
	}
	return ib_post_send(qp, wr, bad);
}

static inline int rs_ib_post_recv(struct ib_qp *qp, const struct ib_recv_wr *wr,
				  const struct ib_recv_wr **bad)
{
	int ret = rs_fault(RS_FAULT_POST);

	if (ret) {
		if (bad)
			*bad = wr;
		return ret;
	}
	return ib_post_recv(qp, wr, bad);
}

/* --- memory registration: the "reg" point --- */

static inline int rs_ib_map_mr_sg(struct ib_mr *mr, struct scatterlist *sg,
				  int sg_nents, unsigned int *sg_offset,
				  unsigned int page_size)
{
	int ret = rs_fault(RS_FAULT_REG);

	return ret ? ret : ib_map_mr_sg(mr, sg, sg_nents, sg_offset, page_size);
}

#endif /* _RACKSWAP_FAULT_H */
