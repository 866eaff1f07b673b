// SPDX-License-Identifier: GPL-2.0
/*
 * krdma: grants (memory of ours a peer may reach) and remotes (memory of a
 * peer's we may reach), and the keys between them.
 *
 * A grant's pages are registered by fast registration (IB_WR_REG_MR on the
 * control QP) in the PD of the peer's current connection, and only there:
 * no other peer's QP can reach them, and there is no global rkey. Each
 * connection registers them again in a new MR, under the key the device
 * gave it; the old MR is deregistered once the old connection's QPs are
 * drained, so a key from an old connection reaches nothing. A grant
 * outlives connections: it is void only when the peer is closed for good
 * or comes back as a new incarnation.
 *
 * The REG_MR goes behind a LOCAL_INV of the same key: rxe (6.1) runs a
 * QP's local operations again when it retransmits a send posted before
 * them (req_retry() rewinds to the oldest uncompleted request), and a
 * second REG_MR of a valid MR fails and puts the QP in error. Under
 * memory pressure, with packets dropped, that took the connection down.
 * Invalidate-then-register under an unchanged key gives the same result
 * when run twice; a key of our own would not (the second invalidate
 * would not match it).
 *
 * A remote holds the keys of one grant of the peer's. They are fetched by
 * KRDMA_OP_GRANTS when it is opened and again after every reconnection,
 * before I/O may flow (ready_work).
 */
#include <linux/delay.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "compat.h"
#include "krdma-priv.h"
#include "fault.h"

/* A grant is one MR: at most this many pages (2 MiB of 4 KiB pages). */
#define KRDMA_GRANT_MAX_PAGES	512

/*
 * A failed request of @g's registration (@what) breaks the connection; a
 * flush is the teardown's, or the REG_MR behind a failed LOCAL_INV.
 */
static void krdma_reg_wc(struct krdma_grant *g, struct ib_wc *wc,
			 const char *what)
{
	if (wc->status != IB_WC_SUCCESS && wc->status != IB_WC_WR_FLUSH_ERR) {
		peer_warn(g->peer, "%s grant %u failed: %s\n",
			  what, g->id, ib_wc_status_msg(wc->status));
		krdma_conn_lost(g->peer, -EIO);
	}
}

static void krdma_inv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	krdma_reg_wc(container_of(wc->wr_cqe, struct krdma_grant, inv_cqe),
		     wc, "invalidating");
}

static void krdma_reg_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct krdma_grant *g = container_of(wc->wr_cqe, struct krdma_grant,
					     cqe);

	g->reg_status = wc->status == IB_WC_SUCCESS ? 0 : -EIO;
	krdma_reg_wc(g, wc, "registering");
	complete(&g->reg_done);
}

/* Drops the registration of @g, if any. peer->grant_lock held. */
static void krdma_grant_unmap(struct krdma_grant *g)
{
	lockdep_assert_held(&g->peer->grant_lock);
	if (g->mr) {
		ib_dereg_mr(g->mr);
		g->mr = NULL;
	}
	if (g->dev) {
		ib_dma_unmap_sg(g->dev, g->sgt->sgl, g->sgt->orig_nents,
				DMA_BIDIRECTIONAL);
		g->dev = NULL;
	}
}

/*
 * Registers @g in the PD of the current connection, under a new key.
 * peer->grant_lock held; the connection is live.
 */
static int krdma_grant_map(struct krdma_grant *g)
{
	struct krdma_peer *peer = g->peer;
	struct ib_device *dev = READ_ONCE(peer->dev);
	struct ib_send_wr inv = {};
	struct ib_reg_wr wr = {};
	unsigned long flags;
	int n, ret;

	lockdep_assert_held(&peer->grant_lock);
	if (!dev)
		return -ENOTCONN;
	if (g->len >> PAGE_SHIFT > dev->attrs.max_fast_reg_page_list_len)
		return -E2BIG;
	n = ib_dma_map_sg(dev, g->sgt->sgl, g->sgt->orig_nents,
			  DMA_BIDIRECTIONAL);
	if (!n)
		return -ENOMEM;
	g->dev = dev;
	/*
	 * One spare entry where the device allows it: rxe (6.1) reads the
	 * map pointer after the last one when an access ends at the last
	 * page of a full map (a multiple of 256 pages), out of bounds.
	 */
	/* the "reg" fault point fails both tries: no MR without the spare */
	ret = rs_fault(RS_FAULT_REG);
	if (ret)
		goto err;
	g->mr = ib_alloc_mr(peer->pd, IB_MR_TYPE_MEM_REG,
			    (g->len >> PAGE_SHIFT) + 1);
	if (IS_ERR(g->mr))
		g->mr = ib_alloc_mr(peer->pd, IB_MR_TYPE_MEM_REG,
				    g->len >> PAGE_SHIFT);
	if (IS_ERR(g->mr)) {
		ret = PTR_ERR(g->mr);
		g->mr = NULL;
		goto err;
	}
	ret = rs_ib_map_mr_sg(g->mr, g->sgt->sgl, n, NULL, PAGE_SIZE);
	if (ret != n) {
		ret = ret < 0 ? ret : -EINVAL;
		goto err;
	}
	inv.opcode = IB_WR_LOCAL_INV;
	inv.wr_cqe = &g->inv_cqe;
	inv.send_flags = IB_SEND_SIGNALED;
	inv.ex.invalidate_rkey = g->mr->rkey;
	inv.next = &wr.wr;
	wr.wr.opcode = IB_WR_REG_MR;
	wr.wr.wr_cqe = &g->cqe;
	wr.wr.send_flags = IB_SEND_SIGNALED;
	wr.mr = g->mr;
	wr.key = g->mr->rkey;
	wr.access = IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_READ |
		    IB_ACCESS_REMOTE_WRITE;
	reinit_completion(&g->reg_done);
	spin_lock_irqsave(&peer->lock, flags);
	ret = -ENOTCONN;
	if (peer->state == KRDMA_LIVE)
		ret = rs_ib_post_send(RS_FAULT_REG, peer->qp, &inv, NULL);
	spin_unlock_irqrestore(&peer->lock, flags);
	if (ret)
		goto err;
	if (!wait_for_completion_timeout(&g->reg_done,
					 msecs_to_jiffies(peer->opts.rpc_timeout_ms))) {
		/* the teardown drains the QP: then the request is done */
		krdma_conn_lost(peer, -ETIMEDOUT);
		wait_for_completion(&g->reg_done);
		ret = -ETIMEDOUT;
		goto err;
	}
	ret = g->reg_status;
	if (ret)
		goto err;
	atomic64_inc(&peer->registrations);
	return 0;

err:
	krdma_grant_unmap(g);
	return ret;
}

struct krdma_grant *krdma_grant_create(struct krdma_peer *peer,
				       struct sg_table *sgt,
				       void (*voided)(struct krdma_grant *g,
						      void *priv),
				       void *priv)
{
	struct krdma_grant *g;
	struct scatterlist *sg;
	bool ready;
	u64 len = 0;
	int i, ret;

	for_each_sgtable_sg(sgt, sg, i) {
		if (sg->offset || !sg->length || sg->length % PAGE_SIZE)
			return ERR_PTR(-EINVAL);
		len += sg->length;
	}
	if (!len || len > KRDMA_GRANT_MAX_PAGES * PAGE_SIZE)
		return ERR_PTR(-EINVAL);
	g = rs_kzalloc(sizeof(*g), GFP_KERNEL);
	if (!g)
		return ERR_PTR(-ENOMEM);
	g->peer = peer;
	g->sgt = sgt;
	g->len = len;
	g->voided = voided;
	g->priv = priv;
	g->inv_cqe.done = krdma_inv_done;
	g->cqe.done = krdma_reg_done;
	init_completion(&g->reg_done);

	mutex_lock(&peer->grant_lock);
	if (READ_ONCE(peer->closing) || READ_ONCE(peer->state) == KRDMA_DEAD) {
		mutex_unlock(&peer->grant_lock);
		kfree(g);
		return ERR_PTR(-ENOTCONN);
	}
	if (!krdma_peer_proven(peer)) {
		mutex_unlock(&peer->grant_lock);
		kfree(g);
		peer_warn_rl(peer, "no grant: the remote has not proved itself\n");
		return ERR_PTR(-EACCES);
	}
	if (peer->nr_grants >= KRDMA_PEER_MAX_GRANTS) {
		mutex_unlock(&peer->grant_lock);
		kfree(g);
		peer_warn_rl(peer, "no grant: it holds %lu, the most one peer may\n",
			     KRDMA_PEER_MAX_GRANTS);
		return ERR_PTR(-ENOSPC);
	}
	peer->nr_grants++;
	kobject_get(&peer->kobj);
	g->id = peer->next_grant_id++;
	list_add_tail(&g->list, &peer->grants);
	/* else ready_work registers it with the others */
	ready = READ_ONCE(peer->grants_ready);
	if (ready) {
		ret = krdma_grant_map(g);
		if (ret)
			krdma_conn_lost(peer, ret);
	}
	mutex_unlock(&peer->grant_lock);
	return g;
}
EXPORT_SYMBOL_GPL(krdma_grant_create);

void krdma_grant_destroy(struct krdma_grant *g)
{
	struct krdma_peer *peer = g->peer;

	mutex_lock(&peer->grant_lock);
	list_del(&g->list);
	peer->nr_grants--;
	/* deregistering revokes it: later remote ops fail */
	krdma_grant_unmap(g);
	mutex_unlock(&peer->grant_lock);
	kobject_put(&peer->kobj);
	kfree(g);
}
EXPORT_SYMBOL_GPL(krdma_grant_destroy);

u32 krdma_grant_id(const struct krdma_grant *grant)
{
	return grant->id;
}
EXPORT_SYMBOL_GPL(krdma_grant_id);

u64 krdma_grant_len(const struct krdma_grant *grant)
{
	return grant->len;
}
EXPORT_SYMBOL_GPL(krdma_grant_len);

/* Registers every grant in the new connection's PD; ready_work. */
int krdma_grants_register(struct krdma_peer *peer)
{
	struct krdma_grant *g;
	int ret = 0;

	mutex_lock(&peer->grant_lock);
	list_for_each_entry(g, &peer->grants, list) {
		if (g->is_void || g->mr)
			continue;
		ret = krdma_grant_map(g);
		if (ret)
			break;
	}
	if (!ret) {
		spin_lock_irq(&peer->lock);
		peer->grants_ready = true;
		spin_unlock_irq(&peer->lock);
	}
	mutex_unlock(&peer->grant_lock);
	return ret;
}

/*
 * The connection is drained: its MRs go, and a grant created from now on
 * waits for the next connection (its PD is about to go). teardown_work.
 */
void krdma_grants_unregister(struct krdma_peer *peer)
{
	struct krdma_grant *g;

	mutex_lock(&peer->grant_lock);
	spin_lock_irq(&peer->lock);
	peer->grants_ready = false;
	spin_unlock_irq(&peer->lock);
	list_for_each_entry(g, &peer->grants, list)
		krdma_grant_unmap(g);
	mutex_unlock(&peer->grant_lock);
}

/*
 * The remote restarted or is gone for good: our grants are void (their
 * owners are told; @voided must not call back into krdma_grant_*) and so
 * are the remotes it had granted us.
 */
void krdma_grants_void(struct krdma_peer *peer)
{
	struct krdma_remote *r;
	struct krdma_grant *g;
	unsigned int n = 0;

	mutex_lock(&peer->grant_lock);
	list_for_each_entry(g, &peer->grants, list) {
		if (g->is_void)
			continue;
		krdma_grant_unmap(g);
		g->is_void = true;
		atomic64_inc(&peer->grants_voided);
		n++;
		if (g->voided)
			g->voided(g, g->priv);
	}
	if (n)
		peer_info(peer, "%u grants voided\n", n);
	mutex_unlock(&peer->grant_lock);

	mutex_lock(&peer->remote_lock);
	spin_lock_irq(&peer->lock);
	list_for_each_entry(r, &peer->remotes, list)
		r->is_void = true;
	spin_unlock_irq(&peer->lock);
	mutex_unlock(&peer->remote_lock);
}

#if IS_ENABLED(CONFIG_RACKSWAP_TEST)
/*
 * Tests: the answer of @n grants in @rs (room for @max) to @peer lies as
 * the test hook says, so that a test shows a client refuses it. Returns
 * the grants it holds now.
 */
static u32 krdma_grants_lie(struct krdma_peer *peer,
			    struct krdma_grants_resp *rs, u32 n, u32 max)
{
	u32 lie = krdma_test_hook(grants_lie);

	if (!lie || krdma_test_hook(grants_lie_peer) != peer->id)
		return n;
	peer_info(peer, "test: the GRANTS answer lies (%u)\n", lie);
	if (lie == KRDMA_LIE_DUP && n && n < max) {
		rs->desc[n] = rs->desc[n - 1];
		rs->count = cpu_to_le32(++n);
	} else if (lie == KRDMA_LIE_MORE && n < max) {
		rs->more = cpu_to_le32(1);
	} else if (lie == KRDMA_LIE_COUNT) {
		rs->count = cpu_to_le32(n + 1);
	}
	return n;
}
#else
static u32 krdma_grants_lie(struct krdma_peer *peer,
			    struct krdma_grants_resp *rs, u32 n, u32 max)
{
	return n;
}
#endif

/* KRDMA_OP_GRANTS: the keys of the live grants we hold for the caller. */
static int krdma_grants_handler(struct krdma_peer *peer, const void *req,
				u32 len, void *resp, u32 *resp_len)
{
	const struct krdma_grants_req *rq = req;
	struct krdma_grants_resp *rs = resp;
	u32 first, n = 0, max;
	struct krdma_grant *g;

	if (len < sizeof(*rq) || *resp_len < sizeof(*rs))
		return -EINVAL;
	first = le32_to_cpu(rq->first_id);
	max = min_t(u32, (*resp_len - sizeof(*rs)) / sizeof(rs->desc[0]),
		    KRDMA_GRANTS_PER_MSG);
	rs->more = 0;
	mutex_lock(&peer->grant_lock);
	if (!READ_ONCE(peer->grants_ready)) {
		/* still registering them in this connection */
		mutex_unlock(&peer->grant_lock);
		return -EAGAIN;
	}
	list_for_each_entry(g, &peer->grants, list) {
		struct krdma_grant_desc *d = &rs->desc[n];

		if (g->id < first || g->is_void || !g->mr)
			continue;
		if (n == max) {
			rs->more = cpu_to_le32(1);
			break;
		}
		d->id = cpu_to_le32(g->id);
		d->rkey = cpu_to_le32(g->mr->rkey);
		d->addr = cpu_to_le64(g->mr->iova);
		d->len = cpu_to_le64(g->len);
		n++;
	}
	mutex_unlock(&peer->grant_lock);
	rs->count = cpu_to_le32(n);
	n = krdma_grants_lie(peer, rs, n, max);
	*resp_len = sizeof(*rs) + n * sizeof(rs->desc[0]);
	return 0;
}

/*
 * Refuses a GRANTS response from @peer of @len bytes to a request from
 * @first: @rs->count beyond the message or the payload, an id below
 * @first, not above the one before it (a duplicate) or 0, a region that is
 * not whole pages of one grant or wraps around, and `more` on a message
 * that is not full (the handler sets it only when one is: a `more` that
 * cannot make progress would keep the caller fetching). -EPROTO, logged.
 */
static int krdma_grants_check(struct krdma_peer *peer, u32 first,
			      const struct krdma_grants_resp *rs, u32 len,
			      u32 *count)
{
	const struct krdma_grant_desc *d;
	u32 i, id, more, n;
	u64 glen;

	if (len < sizeof(*rs)) {
		peer_warn(peer, "GRANTS response refused: %u bytes\n", len);
		return -EPROTO;
	}
	n = le32_to_cpu(rs->count);
	more = le32_to_cpu(rs->more);
	if (n > KRDMA_GRANTS_PER_MSG ||
	    len < sizeof(*rs) + n * sizeof(rs->desc[0])) {
		peer_warn(peer, "GRANTS response refused: count %u in %u bytes\n",
			  n, len);
		return -EPROTO;
	}
	if (more > 1 || (more && n < KRDMA_GRANTS_PER_MSG)) {
		peer_warn(peer, "GRANTS response refused: more %u after %u grants\n",
			  more, n);
		return -EPROTO;
	}
	for (i = 0; i < n; i++) {
		d = &rs->desc[i];
		id = le32_to_cpu(d->id);
		glen = le64_to_cpu(d->len);
		if (!id || id < first) {
			peer_warn(peer, "GRANTS response refused: grant id %u %s\n",
				  id, i ? "repeated or out of order" :
				  "below the one asked for");
			return -EPROTO;
		}
		if (!glen || glen % PAGE_SIZE ||
		    glen > KRDMA_GRANT_MAX_PAGES * PAGE_SIZE ||
		    le64_to_cpu(d->addr) + glen < glen) {
			peer_warn(peer, "GRANTS response refused: grant %u of %llu bytes\n",
				  id, glen);
			return -EPROTO;
		}
		/* the next one's id must be above this one's */
		first = id + 1;
		if (!first && (i + 1 < n || more)) {
			peer_warn(peer, "GRANTS response refused: grant ids past %u\n",
				  id);
			return -EPROTO;
		}
	}
	*count = n;
	return 0;
}

/*
 * Asks @peer for the keys of its grants from @first_id on, into @rs (room
 * for KRDMA_GRANTS_PER_MSG); retries while the peer is still registering.
 * A malformed response closes the peer for good: it broke the protocol.
 */
static int krdma_fetch_grants(struct krdma_peer *peer, u32 first_id,
			      struct krdma_grants_resp *rs, u32 *count)
{
	struct krdma_grants_req rq = { .first_id = cpu_to_le32(first_id) };
	unsigned long deadline = jiffies +
				 msecs_to_jiffies(peer->opts.rpc_timeout_ms);
	u32 len, room = sizeof(*rs) +
			KRDMA_GRANTS_PER_MSG * sizeof(rs->desc[0]);
	int ret;

	do {
		ret = krdma_call(peer, KRDMA_OP_GRANTS, &rq, sizeof(rq), rs,
				 room, &len, 0);
		if (ret != -EAGAIN)
			break;
		msleep(20);
	} while (time_before(jiffies, deadline));
	if (ret)
		return ret;
	ret = krdma_grants_check(peer, first_id, rs, len, count);
	if (ret)
		krdma_peer_close(peer, ret);
	return ret;
}

static void krdma_remote_take(struct krdma_remote *r,
			      const struct krdma_grant_desc *d)
{
	r->len = le64_to_cpu(d->len);
	r->addr = le64_to_cpu(d->addr);
	r->rkey = le32_to_cpu(d->rkey);
	r->seen = true;
}

/*
 * After a reconnection, before I/O flows: the new keys of every remote;
 * those the peer no longer grants are void. ready_work.
 */
int krdma_remotes_refresh(struct krdma_peer *peer)
{
	struct krdma_grants_resp *rs;
	struct krdma_remote *r;
	u32 first = 0, last = 0, total = 0, count, i;
	int ret = 0;

	mutex_lock(&peer->remote_lock);
	if (list_empty(&peer->remotes))
		goto out_unlock;
	rs = rs_kmalloc(KRDMA_MAX_PAYLOAD, GFP_NOIO);
	if (!rs) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	spin_lock_irq(&peer->lock);
	list_for_each_entry(r, &peer->remotes, list) {
		r->seen = false;
		last = max(last, r->id);
	}
	spin_unlock_irq(&peer->lock);
	/*
	 * Bounded whatever the peer answers: each message is checked (ids
	 * ascending, `more` only on a full one), the fetch stops past our
	 * highest grant id, and a peer that lists more grants than one peer
	 * may hold broke the protocol.
	 */
	do {
		ret = krdma_fetch_grants(peer, first, rs, &count);
		if (ret)
			break;
		total += count;
		if (total > KRDMA_PEER_MAX_GRANTS) {
			peer_warn(peer, "GRANTS response refused: more than %lu grants\n",
				  KRDMA_PEER_MAX_GRANTS);
			krdma_peer_close(peer, -EPROTO);
			ret = -EPROTO;
			break;
		}
		for (i = 0; i < count && !ret; i++) {
			const struct krdma_grant_desc *d = &rs->desc[i];

			list_for_each_entry(r, &peer->remotes, list) {
				if (r->id != le32_to_cpu(d->id) ||
				    READ_ONCE(r->is_void))
					continue;
				/* a grant's length is set when it is made */
				if (r->len != le64_to_cpu(d->len)) {
					peer_warn(peer, "GRANTS response refused: grant %u of %llu bytes, was %llu\n",
						  r->id, le64_to_cpu(d->len),
						  r->len);
					krdma_peer_close(peer, -EPROTO);
					ret = -EPROTO;
					break;
				}
				krdma_remote_take(r, d);
			}
			first = le32_to_cpu(d->id) + 1;
		}
	} while (!ret && rs->more && first && first <= last);
	kfree(rs);
	if (ret)
		goto out_unlock;
	spin_lock_irq(&peer->lock);
	list_for_each_entry(r, &peer->remotes, list) {
		if (!r->seen && !r->is_void) {
			peer_warn(peer, "grant %u is gone\n", r->id);
			r->is_void = true;
		}
	}
	spin_unlock_irq(&peer->lock);
out_unlock:
	mutex_unlock(&peer->remote_lock);
	return ret;
}

/*
 * -EPROTO (logged) when @grant_id is open already and not void: the layer
 * above opens each grant once, so the peer named one grant for two
 * regions. peer->remote_lock held.
 */
static int krdma_remote_is_open(struct krdma_peer *peer, u32 grant_id)
{
	struct krdma_remote *r;

	lockdep_assert_held(&peer->remote_lock);
	list_for_each_entry(r, &peer->remotes, list) {
		if (r->id == grant_id && !READ_ONCE(r->is_void)) {
			peer_warn(peer, "grant %u refused: it is open already (named twice)\n",
				  grant_id);
			return -EPROTO;
		}
	}
	return 0;
}

int krdma_remote_open(struct krdma_peer *peer, u32 grant_id,
		      struct krdma_remote **remote)
{
	unsigned long deadline = jiffies +
				 msecs_to_jiffies(peer->opts.rpc_timeout_ms);
	struct krdma_remote *r, *found = NULL;
	struct krdma_grants_resp *rs;
	u32 count;
	int ret;

	r = rs_kzalloc(sizeof(*r), GFP_KERNEL);
	rs = rs_kmalloc(KRDMA_MAX_PAYLOAD, GFP_KERNEL);
	if (!r || !rs) {
		ret = -ENOMEM;
		goto out;
	}
	r->peer = peer;
	r->id = grant_id;
	for (;;) {
		/* the lock orders this fetch with ready_work's refresh */
		mutex_lock(&peer->remote_lock);
		ret = krdma_remote_is_open(peer, grant_id);
		if (!ret)
			ret = krdma_fetch_grants(peer, grant_id, rs, &count);
		if (!ret && (!count || le32_to_cpu(rs->desc[0].id) != grant_id))
			ret = -ENOENT;
		if (!ret) {
			krdma_remote_take(r, &rs->desc[0]);
			kobject_get(&peer->kobj);
			list_add_tail(&r->list, &peer->remotes);
			found = r;
			r = NULL;
		}
		mutex_unlock(&peer->remote_lock);
		if (ret != -ENOTCONN || time_after(jiffies, deadline) ||
		    READ_ONCE(peer->closing))
			break;
		msleep(50);	/* reconnecting */
	}
out:
	kfree(rs);
	kfree(r);
	if (found)
		*remote = found;
	return ret;
}
EXPORT_SYMBOL_GPL(krdma_remote_open);

void krdma_remote_close(struct krdma_remote *r)
{
	struct krdma_peer *peer = r->peer;

	mutex_lock(&peer->remote_lock);
	list_del(&r->list);
	mutex_unlock(&peer->remote_lock);
	kobject_put(&peer->kobj);
	kfree(r);
}
EXPORT_SYMBOL_GPL(krdma_remote_close);

u64 krdma_remote_len(const struct krdma_remote *remote)
{
	return remote->len;
}
EXPORT_SYMBOL_GPL(krdma_remote_len);

bool krdma_remote_is_void(const struct krdma_remote *remote)
{
	return READ_ONCE(remote->is_void) || krdma_peer_is_dead(remote->peer);
}
EXPORT_SYMBOL_GPL(krdma_remote_is_void);

int krdma_grant_init(void)
{
	return krdma_set_handler(KRDMA_OP_GRANTS, krdma_grants_handler);
}

void krdma_grant_exit(void)
{
	krdma_clear_handler(KRDMA_OP_GRANTS);
}
