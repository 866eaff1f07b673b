// SPDX-License-Identifier: GPL-2.0
/*
 * krdma: one-sided RDMA READ/WRITE on the data connections of a peer.
 *
 * A peer has one data QP per CPU (data_qps), each with its own CQ; an I/O
 * goes to the QP of the CPU that submits it. An I/O is one or more RDMA
 * work requests (at most max_send_sge / max_sge_rd local entries each),
 * chained and posted with the other I/Os waiting for that QP in one
 * ib_post_send(): I/Os wait on dq->wait while the send queue is full.
 *
 * Every work request is signaled, so an I/O is finished only when each of
 * its requests completed or was flushed; only then is its scatterlist
 * unmapped and the I/O completed or requeued. A connection loss flushes
 * the QPs (teardown drains them): the I/Os come back here with a flush
 * status and wait on peer->requeue for the next connection, or fail when
 * their deadline passed. Nothing here allocates memory.
 */
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/scatterlist.h>

#include "compat.h"
#include "krdma-priv.h"
#include "fault.h"

/* /sys/kernel/rackswap/krdma/poll_spin_us: 0-1000; read once per wait */
unsigned int krdma_poll_spin_us;

/*
 * A provider may leave its part of a post to a softirq it raises (soft-RoCE
 * does all its protocol work in tasklets). Raised in process context, that
 * softirq waits for ksoftirqd: a context switch before the request goes
 * out and another before the submitter runs again. With inline_softirq the
 * submitter runs it as it posts (local_bh_enable() does), so a request on
 * a soft-RoCE link may even be complete when its submission returns.
 * KRDMA_INLINE_IDLE does so only for a post to a data QP with nothing in
 * flight: a deep queue leaves its work to ksoftirqd, which takes it in
 * batches. Hardware NICs raise nothing: no effect there.
 * /sys/kernel/rackswap/krdma/inline_softirq: enum krdma_inline.
 */
unsigned int krdma_inline_softirq = KRDMA_INLINE_ALWAYS;

static void krdma_io_wr_done(struct ib_cq *cq, struct ib_wc *wc);
static void krdma_dq_kick(struct krdma_dataq *dq);

/* The QP and CQ of data connection @dq on @id; from the CM handler. */
int krdma_dq_create(struct krdma_dataq *dq, struct rdma_cm_id *id)
{
	struct krdma_peer *peer = dq->peer;
	struct ib_device *dev = id->device;
	struct ib_qp_init_attr attr = {};
	struct ib_cq *cq;
	int ret;

	/*
	 * As the control QP's (rdma_cm's RoCE default is seconds per resend):
	 * the id keeps it for the QP's move to RTS at connect or accept.
	 */
	ret = rdma_set_ack_timeout(id, peer->opts.ack_timeout);
	if (ret)
		return ret;
	/* +1 send and 1 receive: ib_drain_qp() */
	cq = ib_alloc_cq(dev, dq, dq->peer->opts.queue_depth + 2,
			 dq->index % dev->num_comp_vectors, IB_POLL_SOFTIRQ);
	if (IS_ERR(cq))
		return PTR_ERR(cq);
	attr.event_handler = krdma_qp_event;
	attr.qp_context = peer;
	attr.send_cq = cq;
	attr.recv_cq = cq;
	attr.cap.max_send_wr = dq->peer->opts.queue_depth + 1;
	attr.cap.max_recv_wr = 1;
	attr.cap.max_send_sge = min_t(u32, dev->attrs.max_send_sge,
				      KRDMA_IO_MAX_SGE);
	attr.cap.max_recv_sge = 1;
	attr.sq_sig_type = IB_SIGNAL_ALL_WR;
	attr.qp_type = IB_QPT_RC;
	ret = rdma_create_qp(id, peer->pd, &attr);
	if (ret) {
		ib_free_cq(cq);
		return ret;
	}
	dq->cq = cq;
	dq->qp = id->qp;
	dq->max_sge = clamp_t(u32, min_t(u32, attr.cap.max_send_sge,
					 dev->attrs.max_sge_rd),
			      1, KRDMA_IO_MAX_SGE);
	spin_lock_irq(&dq->lock);
	dq->sq_free = dq->peer->opts.queue_depth;
	dq->progress = jiffies;
	spin_unlock_irq(&dq->lock);
	return 0;
}

/* After the drain: no work request of @dq is in flight. */
void krdma_dq_destroy(struct krdma_dataq *dq)
{
	struct krdma_peer *peer = dq->peer;
	struct rdma_cm_id *id;

	spin_lock_irq(&dq->lock);
	dq->established = false;
	dq->usable = false;
	dq->sq_free = 0;
	spin_unlock_irq(&dq->lock);
	if (dq->qp) {
		rdma_destroy_qp(dq->cm_id);
		dq->qp = NULL;
	}
	if (dq->cq) {
		ib_free_cq(dq->cq);
		dq->cq = NULL;
	}
	spin_lock_irq(&peer->lock);
	id = dq->cm_id;
	dq->cm_id = NULL;
	spin_unlock_irq(&peer->lock);
	if (id)
		rdma_destroy_id(id);
}

static enum dma_data_direction krdma_io_dir(const struct krdma_io *io)
{
	return io->write ? DMA_TO_DEVICE : DMA_FROM_DEVICE;
}

static void krdma_io_fail(struct krdma_peer *peer, struct krdma_io *io,
			  int status)
{
	atomic64_inc(&peer->io_failed);
	io->done(io, status);
}

/*
 * @io met a connection loss (or found no usable QP): it waits for the next
 * connection, unless the peer is gone, its grant void or its deadline
 * passed.
 */
static void krdma_io_requeue(struct krdma_peer *peer, struct krdma_io *io)
{
	unsigned long flags;
	bool ready = false;
	int status = 0;

	atomic64_inc(&peer->io_requeued);
	spin_lock_irqsave(&peer->lock, flags);
	if (peer->closing || peer->state == KRDMA_DEAD) {
		status = -ENOTCONN;
	} else if (io->remote->is_void) {
		status = -ENXIO;
	} else if (time_after_eq(jiffies, io->deadline)) {
		status = -ETIMEDOUT;
	} else {
		list_add_tail(&io->entry, &peer->requeue);
		ready = peer->io_ready;
	}
	spin_unlock_irqrestore(&peer->lock, flags);
	if (status) {
		krdma_io_fail(peer, io, status);
		return;
	}
	queue_delayed_work(krdma.wq, &peer->io_timer, msecs_to_jiffies(50));
	if (ready)
		krdma_io_resume(peer);
}

#if IS_ENABLED(CONFIG_RACKSWAP_TEST)
/*
 * Negative control: flips the lowest bit of the byte in the middle of
 * @io's first entry. After the unmap: the CPU owns the buffer, the caller
 * has not seen it.
 */
static void krdma_io_flip_bit(struct krdma_io *io)
{
	struct scatterlist *sg = io->sg;
	size_t off = sg->offset + sg->length / 2;
	struct page *page = nth_page(sg_page(sg), off >> PAGE_SHIFT);
	u8 *p;

	p = kmap_local_page(page);
	p[offset_in_page(off)] ^= 1;
	kunmap_local(p);
	flush_dcache_page(page);
}
#else
static inline void krdma_io_flip_bit(struct krdma_io *io)
{
}
#endif

/* Every work request of @io is done: complete it or requeue it. */
static void krdma_io_finish(struct krdma_io *io)
{
	struct krdma_peer *peer = io->remote->peer;

	ib_dma_unmap_sg(io->dev, io->sg, io->nents, krdma_io_dir(io));
	switch (io->wc_status) {
	case IB_WC_SUCCESS:
		/* negative control (tests): data corrupted in flight */
		if (!io->write && krdma_test_neg(flip_reads))
			krdma_io_flip_bit(io);
		atomic64_inc(io->write ? &peer->rdma_writes : &peer->rdma_reads);
		atomic64_add(io->len, &peer->rdma_bytes);
		io->done(io, 0);
		break;
	case IB_WC_REM_INV_REQ_ERR:
	case IB_WC_REM_OP_ERR:
		/*
		 * soft-RoCE has refused valid writes this way under load
		 * (its responder out of step after retransmissions): the
		 * connection is being reset (krdma_io_wr_done) and the
		 * next one takes the I/O. A refusal that repeats is real.
		 */
		if (++io->refusals <= KRDMA_IO_REFUSALS) {
			krdma_io_requeue(peer, io);
			break;
		}
		krdma_io_fail(peer, io, -EIO);
		break;
	case IB_WC_REM_ACCESS_ERR:
	case IB_WC_LOC_PROT_ERR:
	case IB_WC_LOC_LEN_ERR:
	case IB_WC_LOC_ACCESS_ERR:
		/* refused: trying again would meet the same refusal */
		krdma_io_fail(peer, io, -EIO);
		break;
	default:
		/* flushed, retries exceeded: the connection is going */
		krdma_io_requeue(peer, io);
		break;
	}
}

static void krdma_io_wr_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct krdma_io *io = container_of(wc->wr_cqe, struct krdma_io, cqe);
	struct krdma_dataq *dq = io->dq;
	struct krdma_peer *peer = dq->peer;
	enum ib_wc_status status = wc->status;
	unsigned long flags;

	/* fault point "refuse": a refusal as soft-RoCE's (krdma_io_finish) */
	if (status == IB_WC_SUCCESS && rs_should_fail(RS_FAULT_REFUSE, io->len))
		status = IB_WC_REM_INV_REQ_ERR;
	if (status != IB_WC_SUCCESS) {
		cmpxchg(&io->wc_status, IB_WC_SUCCESS, status);
		if (status != IB_WC_WR_FLUSH_ERR) {
			peer_warn_rl(peer, "RDMA %s of %u bytes at +%llu failed: %s\n",
				     io->write ? "WRITE" : "READ", io->len,
				     io->offset, ib_wc_status_msg(status));
			krdma_conn_lost(peer, -EIO);
		} else if (READ_ONCE(dq->usable)) {
			/*
			 * Flushed, yet we did not stop the QP: it went to
			 * error without an error completion or event of ours
			 * (or before the remote's disconnect was told). I/O
			 * stops before the requeue below, which would post
			 * again to the QP that flushes it, until the deadline.
			 */
			krdma_conn_lost(peer, -ECONNRESET);
		}
	}
	spin_lock_irqsave(&dq->lock, flags);
	dq->sq_free++;
	dq->progress = jiffies;
	spin_unlock_irqrestore(&dq->lock, flags);
	if (atomic_dec_and_test(&io->pending))
		krdma_io_finish(io);
	krdma_dq_kick(dq);
}

/*
 * Maps @io for @dq's device and builds its work requests, chained; the
 * last one's next is left for the caller. Returns the number of work
 * requests, or 0 when the mapping failed.
 */
static int krdma_io_build(struct krdma_dataq *dq, struct krdma_io *io)
{
	struct krdma_remote *r = io->remote;
	struct ib_device *dev = dq->cm_id->device;
	struct scatterlist *sg;
	u64 raddr = r->addr + io->offset;
	int n, i, w = -1, in_wr = 0;

	n = ib_dma_map_sg(dev, io->sg, io->nents, krdma_io_dir(io));
	if (!n)
		return 0;
	io->dev = dev;
	for_each_sg(io->sg, sg, n, i) {
		struct ib_sge *sge = &io->sge[i];

		if (w < 0 || in_wr == dq->max_sge) {
			struct ib_rdma_wr *wr = &io->wr[++w];

			memset(wr, 0, sizeof(*wr));
			wr->wr.opcode = io->write ? IB_WR_RDMA_WRITE :
						    IB_WR_RDMA_READ;
			wr->wr.wr_cqe = &io->cqe;
			wr->wr.send_flags = IB_SEND_SIGNALED;
			wr->wr.sg_list = sge;
			wr->remote_addr = raddr;
			wr->rkey = r->rkey;
			if (w)
				io->wr[w - 1].wr.next = &wr->wr;
			in_wr = 0;
		}
		sge->addr = sg_dma_address(sg);
		sge->length = sg_dma_len(sg);
		sge->lkey = dq->peer->pd->local_dma_lkey;
		io->wr[w].wr.num_sge = ++in_wr;
		raddr += sge->length;
	}
	io->nr_wr = w + 1;
	io->wc_status = IB_WC_SUCCESS;	/* of this posting */
	atomic_set(&io->pending, io->nr_wr);
	io->dq = dq;
	return io->nr_wr;
}

/*
 * Posts the I/Os waiting on @dq that fit in its send queue, as one chain.
 * A post that fails part way finishes the I/Os it did not post whole.
 */
static void krdma_dq_kick(struct krdma_dataq *dq)
{
	struct krdma_io *io, *tmp, *last = NULL;
	const struct ib_send_wr *bad = NULL;
	struct ib_send_wr *first = NULL;
	unsigned long flags;
	LIST_HEAD(batch);
	LIST_HEAD(unmapped);
	LIST_HEAD(unposted_done);	/* posted in part: none in flight now */
	bool past_bad = false;
	int ret = 0;

	spin_lock_irqsave(&dq->lock, flags);
	if (dq->sq_free == dq->peer->opts.queue_depth)
		dq->progress = jiffies;	/* nothing in flight until now */
	list_for_each_entry_safe(io, tmp, &dq->wait, entry) {
		if (!dq->usable ||
		    DIV_ROUND_UP(io->nents, dq->max_sge) > dq->sq_free)
			break;
		list_move_tail(&io->entry, &batch);
		if (!krdma_io_build(dq, io)) {
			list_move_tail(&io->entry, &unmapped);
			continue;
		}
		dq->sq_free -= io->nr_wr;
		if (last)
			last->wr[last->nr_wr - 1].wr.next = &io->wr[0].wr;
		else
			first = &io->wr[0].wr;
		io->wr[io->nr_wr - 1].wr.next = NULL;
		last = io;
	}
	if (first)
		ret = rs_ib_post_send(RS_FAULT_POST, dq->qp, first, &bad);
	if (ret && !bad)
		bad = first;	/* nothing said: assume nothing posted */
	/*
	 * Under dq->lock: a completion takes it before it counts, so no I/O
	 * of the batch can finish (and be reused) while it is unlinked here.
	 */
	list_for_each_entry_safe(io, tmp, &batch, entry) {
		int i, unposted = 0;

		list_del_init(&io->entry);
		if (!ret)
			continue;
		/* from @bad on, nothing was posted */
		for (i = 0; i < io->nr_wr; i++) {
			if (&io->wr[i].wr == bad)
				past_bad = true;
			unposted += past_bad;
		}
		if (!unposted)
			continue;
		dq->sq_free += unposted;
		cmpxchg(&io->wc_status, IB_WC_SUCCESS, IB_WC_WR_FLUSH_ERR);
		if (atomic_sub_and_test(unposted, &io->pending))
			list_add_tail(&io->entry, &unposted_done);
	}
	spin_unlock_irqrestore(&dq->lock, flags);

	list_for_each_entry_safe(io, tmp, &unmapped, entry) {
		list_del_init(&io->entry);
		krdma_io_fail(dq->peer, io, -ENOMEM);
	}
	if (ret) {
		peer_warn_rl(dq->peer, "posting RDMA failed: %pe\n",
			     ERR_PTR(ret));
		/*
		 * Before the unposted I/Os are requeued: with I/O still
		 * ready, the requeue would post them again from here, on the
		 * QP that just refused them (a recursion as deep as the
		 * failures last).
		 */
		krdma_conn_lost(dq->peer, ret);
	}
	list_for_each_entry_safe(io, tmp, &unposted_done, entry) {
		list_del_init(&io->entry);
		krdma_io_finish(io);
	}
}

/*
 * Queues @io on the data QP of this CPU and posts what fits; @may_inline:
 * the caller is a task that may run the post's softirq work (inline_softirq).
 */
static void krdma_io_post(struct krdma_peer *peer, struct krdma_io *io,
			  bool may_inline)
{
	int n = max(READ_ONCE(peer->nr_dq), 1);
	struct krdma_dataq *dq = &peer->dq[raw_smp_processor_id() % n];
	unsigned int mode = READ_ONCE(krdma_inline_softirq);
	unsigned long flags;
	bool usable, bh;

	/* its grant went with an old incarnation: its keys reach nothing */
	if (READ_ONCE(io->remote->is_void)) {
		krdma_io_fail(peer, io, -ENXIO);
		return;
	}
	/*
	 * Negative control (tests): a write acknowledged, never done.
	 * Completed here as a soft-RoCE completion may be (inline_softirq).
	 */
	if (io->write && krdma_test_neg(drop_writes)) {
		io->done(io, 0);
		return;
	}
	spin_lock_irqsave(&dq->lock, flags);
	usable = dq->usable;
	bh = may_inline && mode != KRDMA_INLINE_OFF &&
	     (mode == KRDMA_INLINE_ALWAYS ||
	      (dq->sq_free == dq->peer->opts.queue_depth && list_empty(&dq->wait)));
	if (usable)
		list_add_tail(&io->entry, &dq->wait);
	spin_unlock_irqrestore(&dq->lock, flags);
	if (!usable) {
		krdma_io_requeue(peer, io);
		return;
	}
	if (bh)
		local_bh_disable();
	krdma_dq_kick(dq);
	if (bh)
		local_bh_enable();
}

int krdma_io_submit(struct krdma_io *io)
{
	struct krdma_remote *r = io->remote;
	struct krdma_peer *peer = r->peer;
	struct scatterlist *sg;
	unsigned long flags;
	bool queued = false;
	u64 bytes = 0;
	int i, ret = 0;

	if (!io->done || !io->sg || io->nents < 1 ||
	    io->nents > KRDMA_IO_MAX_SGE || !io->len ||
	    io->offset > r->len || io->len > r->len - io->offset)
		return -EINVAL;
	for_each_sg(io->sg, sg, io->nents, i)
		bytes += sg->length;
	if (bytes != io->len)
		return -EINVAL;
	INIT_LIST_HEAD(&io->entry);
	io->cqe.done = krdma_io_wr_done;
	io->wc_status = IB_WC_SUCCESS;
	io->refusals = 0;

	spin_lock_irqsave(&peer->lock, flags);
	if (r->is_void) {
		ret = -ENXIO;
	} else if (peer->closing || peer->state == KRDMA_DEAD) {
		ret = -ENOTCONN;
	} else if (!peer->io_ready) {
		list_add_tail(&io->entry, &peer->requeue);
		queued = true;
	}
	spin_unlock_irqrestore(&peer->lock, flags);
	if (ret)
		return ret;
	if (!queued) {
		/* in a task with interrupts on: see inline_softirq */
		krdma_io_post(peer, io, in_task() && !irqs_disabled());
		return 0;
	}
	atomic64_inc(&peer->io_requeued);
	queue_delayed_work(krdma.wq, &peer->io_timer, msecs_to_jiffies(50));
	return 0;
}
EXPORT_SYMBOL_GPL(krdma_io_submit);

/* The connection is ready again: posts the requeued I/Os. */
void krdma_io_resume(struct krdma_peer *peer)
{
	struct krdma_io *io, *tmp;
	unsigned long flags;
	LIST_HEAD(list);

	spin_lock_irqsave(&peer->lock, flags);
	if (peer->io_ready)
		list_splice_init(&peer->requeue, &list);
	spin_unlock_irqrestore(&peer->lock, flags);
	list_for_each_entry_safe(io, tmp, &list, entry) {
		list_del_init(&io->entry);
		krdma_io_post(peer, io, false);
	}
}

/*
 * Lets I/O be posted on the established data QPs (called under peer->lock,
 * while LIVE), or stops it (any context, peer->lock not held): the I/Os
 * waiting for room then wait for the next connection.
 */
void krdma_dq_set_usable(struct krdma_peer *peer, bool usable)
{
	struct krdma_io *io, *tmp;
	unsigned long flags;
	LIST_HEAD(list);
	int i;

	for (i = 0; i < KRDMA_MAX_DATA_QPS; i++) {
		struct krdma_dataq *dq = &peer->dq[i];

		spin_lock_irqsave(&dq->lock, flags);
		dq->usable = usable && dq->established && dq->qp &&
			     i < peer->nr_dq;
		if (!usable)
			list_splice_tail_init(&dq->wait, &list);
		spin_unlock_irqrestore(&dq->lock, flags);
	}
	list_for_each_entry_safe(io, tmp, &list, entry) {
		list_del_init(&io->entry);
		krdma_io_requeue(peer, io);
	}
}

/* Fails the requeued I/Os whose deadline passed. */
/*
 * Has @peer a data QP with work requests in flight and no completion for
 * @limit jiffies? A soft-RoCE QP whose requester could not allocate a
 * packet under memory pressure can stop there for good, with neither a
 * completion nor an error: only a reset of the connection (its QPs to
 * error: everything posted is flushed and requeued) gets its I/O going.
 * Returns the QP's index, or -1.
 */
int krdma_dq_stalled(struct krdma_peer *peer, unsigned long limit)
{
	int i, n = READ_ONCE(peer->nr_dq);
	struct krdma_dataq *dq;
	bool stalled;

	for (i = 0; i < n; i++) {
		dq = &peer->dq[i];
		spin_lock_irq(&dq->lock);
		stalled = dq->usable && dq->sq_free < dq->peer->opts.queue_depth &&
			  time_after(jiffies, dq->progress + limit);
		spin_unlock_irq(&dq->lock);
		if (stalled)
			return i;
	}
	return -1;
}

void krdma_io_timer(struct work_struct *work)
{
	struct krdma_peer *peer = container_of(to_delayed_work(work),
					       struct krdma_peer, io_timer);
	struct krdma_io *io, *tmp;
	LIST_HEAD(expired);
	bool more;

	spin_lock_irq(&peer->lock);
	list_for_each_entry_safe(io, tmp, &peer->requeue, entry)
		if (time_after_eq(jiffies, io->deadline))
			list_move_tail(&io->entry, &expired);
	more = !list_empty(&peer->requeue);
	spin_unlock_irq(&peer->lock);
	list_for_each_entry_safe(io, tmp, &expired, entry) {
		list_del_init(&io->entry);
		krdma_io_fail(peer, io, -ETIMEDOUT);
	}
	if (more)
		queue_delayed_work(krdma.wq, &peer->io_timer,
				   msecs_to_jiffies(50));
}

/* The peer is closed for good: the requeued I/Os fail with @status. */
void krdma_io_fail_all(struct krdma_peer *peer, int status)
{
	struct krdma_io *io, *tmp;
	LIST_HEAD(list);

	spin_lock_irq(&peer->lock);
	list_splice_init(&peer->requeue, &list);
	spin_unlock_irq(&peer->lock);
	list_for_each_entry_safe(io, tmp, &list, entry) {
		list_del_init(&io->entry);
		krdma_io_fail(peer, io, status);
	}
}

/*
 * Waits until *@count is non-zero: spins for up to poll_spin_us first (a
 * completion arriving meanwhile costs no wake-up), then sleeps on @wq.
 */
void krdma_io_wait(wait_queue_head_t *wq, atomic_t *count)
{
	unsigned int spin = READ_ONCE(krdma_poll_spin_us);
	u64 end;

	if (spin) {
		end = ktime_get_ns() + (u64)spin * NSEC_PER_USEC;
		while (!atomic_read(count) && ktime_get_ns() < end)
			cpu_relax();
	}
	wait_event(*wq, atomic_read(count));
}
EXPORT_SYMBOL_GPL(krdma_io_wait);
