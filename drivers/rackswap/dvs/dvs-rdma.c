// SPDX-License-Identifier: GPL-2.0
/*
 * dvs: the rdma backend. A slab is held in 1-3 copies (the space's
 * replicas), each on a different donor picked by free capacity (power of
 * two choices over the peers this node connected to whose I/O flows, each
 * asked for its capacity by DVS_OP_STAT); a copy's 2 MiB chunks are krdma
 * remotes, reached by one-sided RDMA with the keys krdma keeps for us.
 * Nothing a donor answers is trusted: a STAT or ALLOC answer it could not
 * give is refused (-EPROTO), and a peer that connected to us is never a
 * donor of ours.
 *
 * A write goes to its copies one after the other, reusing the request's
 * own krdma I/Os (nothing is allocated per I/O); it succeeds when it landed
 * on one, and a copy it failed on while another took it is dropped: stale.
 * A read goes to one live copy, the one whose donor is reachable with the
 * fewest I/Os in flight, and falls to the next copy on error. A copy whose
 * donor is gone for good is dropped; dvs-rebuild.c makes dropped copies
 * again on other donors.
 *
 * Every page is checked: a write sets the crc32c of each page it writes
 * (the slab's sums, one per page, for all its copies), a read compares
 * what came back. In an encrypted space a write posts the ciphertext of
 * its pages (dvs-crypt.c) to every copy, and a read is decrypted and its
 * tags checked before its sums. A page that does not match is an error of
 * that copy: counted for its donor, logged, and the read goes to the next
 * copy. The copy is not dropped: one bad page says little of the others,
 * and the last copy dropped would take every page of the slab with it.
 */
#include <linux/bitops.h>
#include <linux/completion.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "dvs-rdma.h"
#include "dvs-proto.h"
#include "fault.h"

/* Peers considered for one placement at most. */
#define DVS_MAX_DONORS		16
/* A donor zeroes and registers a whole slab before it answers. */
#define DVS_ALLOC_TIMEOUT_MS	30000

static int dvs_rdma_stat(struct krdma_peer *peer, u64 *free)
{
	struct dvs_stat_resp rs;
	u32 len;
	int ret;

	ret = krdma_call(peer, DVS_OP_STAT, NULL, 0, &rs, sizeof(rs), &len, 0);
	if (ret)
		return ret;
	if (len < sizeof(rs) ||
	    dvs_stat_check(le64_to_cpu(rs.limit), le64_to_cpu(rs.granted),
			   le64_to_cpu(rs.free))) {
		pr_warn_ratelimited("peer %d (%s): STAT refused: %u bytes, limit %llu granted %llu free %llu\n",
				    krdma_peer_id(peer), krdma_peer_name(peer),
				    len, le64_to_cpu(rs.limit),
				    le64_to_cpu(rs.granted),
				    le64_to_cpu(rs.free));
		return -EPROTO;
	}
	*free = le64_to_cpu(rs.free);
	return 0;
}

/*
 * Is an ALLOC answer of @n chunks well-formed? A slab id (never 0) and
 * @n grant ids, ascending: the donor makes a slab's grants one after the
 * other, and each grant holds one chunk (a repeated id would put two
 * chunks, or two slabs, in the same memory). -EPROTO, logged.
 */
static int dvs_rdma_alloc_check(struct krdma_peer *peer,
				const struct dvs_alloc_resp *rs, u32 n)
{
	u32 i, id, prev = 0;

	if (!rs->slab_id) {
		pr_warn("peer %d (%s): slab grant refused: slab id 0\n",
			krdma_peer_id(peer), krdma_peer_name(peer));
		return -EPROTO;
	}
	for (i = 0; i < n; i++, prev = id) {
		id = le32_to_cpu(rs->grant_id[i]);
		if (id <= prev) {
			pr_warn("peer %d (%s): slab grant refused: chunk %u has grant id %u after %u\n",
				krdma_peer_id(peer), krdma_peer_name(peer), i,
				id, prev);
			return -EPROTO;
		}
	}
	return 0;
}

/*
 * Frees a donor could not be told of: its connection was down. Each holds
 * a reference to its peer and is sent again once the peer's I/O flows, or
 * dropped once the peer is closed for good (the donor then freed the slab
 * itself). Without this, a slab dropped while its donor was away (a link
 * down within the donor's grace period) stayed granted there for as long
 * as we stayed connected. The list is protected by dvs_frees_lock; the
 * work runs once a second while it is not empty.
 */
struct dvs_pending_free {
	struct list_head	list;
	struct krdma_peer	*peer;
	u32			slab_id;
	u64			token;	/* not 0: by its ALLOC's token */
};

static LIST_HEAD(dvs_frees);
static DEFINE_SPINLOCK(dvs_frees_lock);
static void dvs_frees_work_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(dvs_frees_work, dvs_frees_work_fn);

/*
 * Tells @peer to free slab @slab_id, or (@token not 0) the slab of our
 * ALLOC of that token. -ENOTCONN: the peer is away and was not told, or
 * its answer was lost with the connection (a second free of a slab is
 * refused with -ENOENT: a donor does not reuse slab ids soon).
 */
static int dvs_rdma_call_free(struct krdma_peer *peer, u32 slab_id,
			      u64 token)
{
	struct dvs_free_req rq = { .slab_id = cpu_to_le32(slab_id) };
	u32 len, rq_len = DVS_FREE_REQ_2_0;
	int ret;

	if (krdma_peer_is_dead(peer))
		return 0;	/* the donor freed it when we left */
	/* the donor restarted as 2.0: what our tokens named is gone with it */
	if (token && !krdma_peer_proto_minor(peer))
		return 0;
	if (token) {
		rq.flags = cpu_to_le32(DVS_FREE_BY_TOKEN);
		rq.token = cpu_to_le64(token);
		rq_len = sizeof(rq);
	}
	ret = krdma_call(peer, DVS_OP_FREE, &rq, rq_len, NULL, 0, &len, 0);
	if (ret == -ENOTCONN && !krdma_peer_is_dead(peer))
		return -ENOTCONN;
	if (ret && ret != -ENOTCONN && ret != -ENOENT)
		pr_warn_ratelimited("peer %d: freeing slab %u: %pe\n",
				    krdma_peer_id(peer), slab_id,
				    ERR_PTR(ret));
	return 0;
}

static void dvs_frees_work_fn(struct work_struct *work)
{
	struct dvs_pending_free *f, *tmp;
	LIST_HEAD(todo);
	bool more;

	spin_lock(&dvs_frees_lock);
	list_splice_init(&dvs_frees, &todo);
	spin_unlock(&dvs_frees_lock);
	list_for_each_entry_safe(f, tmp, &todo, list) {
		/* still away: kept for the next round */
		if (!krdma_peer_is_dead(f->peer) &&
		    !krdma_peer_is_ready(f->peer))
			continue;
		if (dvs_rdma_call_free(f->peer, f->slab_id, f->token))
			continue;
		list_del(&f->list);
		krdma_peer_put(f->peer);
		kfree(f);
	}
	spin_lock(&dvs_frees_lock);
	list_splice(&todo, &dvs_frees);
	more = !list_empty(&dvs_frees);
	spin_unlock(&dvs_frees_lock);
	if (more)
		queue_delayed_work(dvs_wq, &dvs_frees_work, HZ);
}

/*
 * Frees slab @slab_id (or the slab of our ALLOC of @token, when not 0) on
 * @peer now or, if it is away, once it is back.
 */
static void dvs_rdma_send_free(struct krdma_peer *peer, u32 slab_id,
			       u64 token)
{
	struct dvs_pending_free *f;

	if (!dvs_rdma_call_free(peer, slab_id, token))
		return;
	f = rs_kmalloc(sizeof(*f), GFP_NOIO | __GFP_NOWARN);
	if (f)
		f->peer = krdma_peer_get(krdma_peer_id(peer));
	if (!f || !f->peer) {
		pr_warn_ratelimited("peer %d: slab %u stays granted there until we leave it (its free could not be kept)\n",
				    krdma_peer_id(peer), slab_id);
		kfree(f);
		return;
	}
	f->slab_id = slab_id;
	f->token = token;
	spin_lock(&dvs_frees_lock);
	list_add_tail(&f->list, &dvs_frees);
	spin_unlock(&dvs_frees_lock);
	atomic64_inc(&dvs_stats.frees_deferred);
	queue_delayed_work(dvs_wq, &dvs_frees_work, HZ);
}

/*
 * At unload, once every space is gone: a last try of the frees still kept,
 * to donors that are back; the others are dropped, and logged. Their
 * donors free those slabs when krdma closes the peer (it unloads, or the
 * peer is disconnected): with dvs unloaded nothing reconnects to send them.
 */
void dvs_rdma_exit(void)
{
	struct dvs_pending_free *f, *tmp;

	cancel_delayed_work_sync(&dvs_frees_work);
	list_for_each_entry_safe(f, tmp, &dvs_frees, list) {
		bool kept;

		if (krdma_peer_is_ready(f->peer))
			kept = dvs_rdma_call_free(f->peer, f->slab_id,
						  f->token);
		else	/* a dead peer's donor freed it already */
			kept = !krdma_peer_is_dead(f->peer);
		if (kept)
			pr_warn("peer %d (%s): slab %u stays granted there until krdma closes the peer\n",
				krdma_peer_id(f->peer), krdma_peer_name(f->peer),
				f->slab_id);
		list_del(&f->list);
		krdma_peer_put(f->peer);
		kfree(f);
	}
}

static void dvs_rcopy_close(struct dvs_rcopy *r)
{
	u32 i;

	for (i = 0; i < r->nr_chunks; i++)
		if (r->remote[i])
			krdma_remote_close(r->remote[i]);
}

/* Names our ALLOCs (never 0); a donor tells one client's apart by peer. */
static atomic64_t dvs_alloc_tokens = ATOMIC64_INIT(0);

/*
 * Asks @peer for a slab of @size bytes and opens its chunks. An ALLOC whose
 * answer we did not see (the connection was lost, the call timed out, the
 * answer was malformed) may have left a slab on the donor that we cannot
 * name: we free it by the ALLOC's token (protocol 2.1).
 */
static int dvs_rdma_alloc_on(struct krdma_peer *peer, u64 size,
			     struct dvs_rcopy **rp)
{
	struct dvs_alloc_req rq = {
		.slab_size = cpu_to_le64(size),
		.token = cpu_to_le64(atomic64_inc_return(&dvs_alloc_tokens)),
	};
	u32 rq_len = krdma_peer_proto_minor(peer) ? sizeof(rq) :
		     DVS_ALLOC_REQ_2_0;
	u32 n = size >> DVS_CHUNK_SHIFT, len, room, i;
	struct dvs_alloc_resp *rs;
	struct dvs_rcopy *r;
	int ret;

	room = struct_size(rs, grant_id, n);
	rs = rs_kmalloc(room, GFP_KERNEL);
	r = rs_kvzalloc(struct_size(r, remote, n), GFP_KERNEL);
	if (!rs || !r) {
		ret = -ENOMEM;
		goto out;
	}
	ret = krdma_call(peer, DVS_OP_ALLOC, &rq, rq_len, rs, room, &len,
			 DVS_ALLOC_TIMEOUT_MS);
	if (ret == -ENOTCONN || ret == -ETIMEDOUT)
		goto unseen;
	if (ret)
		goto out;
	if (len < room || le32_to_cpu(rs->nr_chunks) != n) {
		pr_warn("peer %d (%s): slab grant refused: %u bytes, %u chunks for %u\n",
			krdma_peer_id(peer), krdma_peer_name(peer), len,
			le32_to_cpu(rs->nr_chunks), n);
		ret = -EPROTO;
		goto unseen;
	}
	ret = dvs_rdma_alloc_check(peer, rs, n);
	if (ret)
		goto unseen;
	r->peer = peer;
	r->slab_id = le32_to_cpu(rs->slab_id);
	r->nr_chunks = n;
	r->size = size;
	for (i = 0; i < n; i++) {
		ret = krdma_remote_open(peer, le32_to_cpu(rs->grant_id[i]),
					&r->remote[i]);
		if (!ret && krdma_remote_len(r->remote[i]) != DVS_CHUNK_SIZE)
			ret = -EPROTO;
		if (ret) {
			dvs_rcopy_close(r);
			dvs_rdma_send_free(peer, r->slab_id, 0);
			goto out;
		}
	}
	*rp = r;
	r = NULL;
	goto out;

unseen:
	/* a 2.0 donor cannot be asked: its slab stays until we leave it */
	if (rq_len == sizeof(rq))
		dvs_rdma_send_free(peer, 0, le64_to_cpu(rq.token));
out:
	kvfree(r);
	kfree(rs);
	return ret;
}

/* Does @rs hold a copy on @peer's node (in any state)? rs->lock held. */
static bool dvs_rset_on(const struct dvs_rset *rs, struct krdma_peer *peer)
{
	int c;

	for (c = 0; c < DVS_MAX_COPIES; c++)
		if (rs->copy[c] &&
		    krdma_peer_same_node(rs->copy[c]->peer, peer))
			return true;
	return false;
}

/*
 * Places a new copy of @size bytes on a donor that holds no copy of @rs
 * yet. -ENOSPC when none has room, -EAGAIN when none has but a donor is
 * on its way back.
 */
int dvs_rcopy_place(struct dvs_rset *rs, u64 size, struct dvs_rcopy **cp)
{
	struct krdma_peer *peers[DVS_MAX_DONORS];
	struct dvs_cand cand[DVS_MAX_DONORS];
	struct krdma_peer_usage *u;
	struct dvs_rcopy *r = NULL;
	/* no donor at all, or the last refusal's reason */
	int n, i, pick = -1, ret = -ENOSPC;
	bool taken;

	/* only donors we were told to use: any host can connect to us */
	n = krdma_peers_ready(peers, DVS_MAX_DONORS, KRDMA_PEERS_OPENED);
	for (i = 0; i < n; i++) {
		spin_lock_irq(&rs->lock);
		taken = dvs_rset_on(rs, peers[i]);
		spin_unlock_irq(&rs->lock);
		cand[i].free = 0;
		cand[i].refused = taken ||
				  dvs_rdma_stat(peers[i], &cand[i].free) != 0;
	}
	while ((pick = dvs_place(cand, n, size, get_random_u32())) >= 0) {
		ret = dvs_rdma_alloc_on(peers[pick], size, &r);
		if (!ret)
			break;
		pr_info_ratelimited("peer %d (%s) refused a slab: %pe\n",
				    krdma_peer_id(peers[pick]),
				    krdma_peer_name(peers[pick]),
				    ERR_PTR(ret));
		cand[pick].refused = true;
	}
	for (i = 0; i < n; i++)
		if (i != pick || ret)
			krdma_peer_put(peers[i]);
	/* a donor reconnecting may have room once back: not a final no */
	if (ret && krdma_peers_returning(KRDMA_PEERS_OPENED))
		ret = -EAGAIN;
	if (ret)
		return ret;
	u = krdma_peer_usage(r->peer);
	atomic64_inc(&u->stored_slabs);
	atomic64_add(size, &u->stored_bytes);
	*cp = r;
	return 0;
}

/* Gives a copy back to its donor (if it still has it) and forgets it. */
void dvs_rcopy_free(struct dvs_rcopy *r)
{
	struct krdma_peer_usage *u = krdma_peer_usage(r->peer);
	bool gone = false;
	u32 i;

	for (i = 0; i < r->nr_chunks; i++)
		gone |= !r->remote[i] || krdma_remote_is_void(r->remote[i]);
	dvs_rcopy_close(r);
	/* a void copy is gone on the donor already */
	if (!gone)
		dvs_rdma_send_free(r->peer, r->slab_id, 0);
	atomic64_dec(&u->stored_slabs);
	atomic64_sub(r->size, &u->stored_bytes);
	krdma_peer_put(r->peer);
	kvfree(r);
}

/*
 * A slab's copies: as many of the space's replicas as the donors give now
 * (at least one); the ones missing are made by the rebuild.
 */
static int dvs_rdma_alloc(struct dvs_space *space, struct dvs_slab *slab)
{
	u64 size = dvs_slab_size_of(space);
	struct dvs_rcopy *r;
	struct dvs_rset *rs;
	unsigned int c;
	int ret = 0;

	rs = rs_kzalloc(sizeof(*rs), GFP_KERNEL);
	if (!rs)
		return -ENOMEM;
	spin_lock_init(&rs->lock);
	rs->want = space->cfg.copies;
	rs->building = -1;
	for (c = 0; c < rs->want; c++) {
		ret = dvs_rcopy_place(rs, size, &r);
		if (ret)
			break;
		spin_lock_irq(&rs->lock);
		rs->copy[c] = r;
		rs->state[c] = DVS_COPY_LIVE;
		spin_unlock_irq(&rs->lock);
	}
	if (!c) {
		kfree(rs);
		return ret;
	}
	if (c < rs->want)
		pr_info_ratelimited("a slab got %u of %u copies (%pe): the rebuild adds the others when donors have room\n",
				    c, rs->want, ERR_PTR(ret));
	slab->bpriv = rs;
	return 0;
}

static void dvs_rdma_free(struct dvs_slab *slab)
{
	struct dvs_rset *rs = slab->bpriv;
	int c;

	/* no I/O is in flight: nothing else looks at @rs */
	for (c = 0; c < DVS_MAX_COPIES; c++)
		if (rs->copy[c])
			dvs_rcopy_free(rs->copy[c]);
	kfree(rs);
}

/* Drops copy @c: stale or gone, it takes no new I/O. rs->lock held. */
void dvs_rset_drop(struct dvs_rset *rs, int c)
{
	if (rs->state[c] != DVS_COPY_LIVE && rs->state[c] != DVS_COPY_BUILDING)
		return;
	rs->state[c] = DVS_COPY_DROPPED;
	atomic64_inc(&dvs_stats.copies_dropped);
}

/*
 * The copy of @mask a read should go to: a live one whose donor is
 * reachable, the one with the fewest I/Os in flight (the fastest to
 * answer); else any live one. Takes it busy. -1 if none. rs->lock held.
 */
int dvs_rcopy_pick_read(struct dvs_rset *rs, unsigned int mask)
{
	unsigned int ready = 0;
	int c, load[DVS_MAX_COPIES];

	mask &= dvs_rset_mask(rs, DVS_COPY_LIVE);
	for (c = 0; c < DVS_MAX_COPIES; c++) {
		load[c] = atomic_read(&rs->busy[c]);
		if ((mask & 1U << c) && krdma_peer_is_ready(rs->copy[c]->peer))
			ready |= 1U << c;
	}
	c = dvs_pick_copy(mask, ready, load, DVS_MAX_COPIES);
	if (c >= 0)
		atomic_inc(&rs->busy[c]);
	return c;
}

/* The next copy a write goes to, taken busy; -1 if none. rs->lock held. */
static int dvs_rcopy_pick_write(struct dvs_rset *rs, unsigned int mask)
{
	int c;

	mask &= dvs_rset_mask(rs, DVS_COPY_LIVE) |
		dvs_rset_mask(rs, DVS_COPY_BUILDING);
	if (!mask)
		return -1;
	c = __ffs(mask);
	atomic_inc(&rs->busy[c]);
	return c;
}

/*
 * Splits the scatterlist @io posts (@sgl, @nents) at @at bytes into
 * io->ksg[0] and io->ksg[1].
 */
static void dvs_rdma_split_sg(struct dvs_io *io, struct scatterlist *sgl,
			      unsigned int nents, u32 at, unsigned int *n0,
			      unsigned int *n1)
{
	struct scatterlist *sg;
	unsigned int i, k = 0, idx[2] = {0, 0};
	u32 pos = 0;

	sg_init_table(io->ksg[0], KRDMA_IO_MAX_SGE);
	sg_init_table(io->ksg[1], KRDMA_IO_MAX_SGE);
	for_each_sg(sgl, sg, nents, i) {
		u32 off = sg->offset, len = sg->length;

		if (k == 0 && pos + len > at) {
			u32 head = at - pos;

			if (head)
				sg_set_page(&io->ksg[0][idx[0]++], sg_page(sg),
					    head, off);
			k = 1;
			off += head;
			len -= head;
			pos += head;
		}
		sg_set_page(&io->ksg[k][idx[k]++], sg_page(sg), len, off);
		pos += len;
		if (pos == at)
			k = 1;
	}
	sg_mark_end(&io->ksg[0][idx[0] - 1]);
	sg_mark_end(&io->ksg[1][idx[1] - 1]);
	*n0 = idx[0];
	*n1 = idx[1];
}

static void dvs_rdma_start(struct dvs_io *io, int c);

/* The next copy @io goes to, taken busy; -1 if none. */
static int dvs_rdma_next(struct dvs_io *io)
{
	struct dvs_rset *rs = io->slab->bpriv;
	unsigned long flags;
	int c;

	spin_lock_irqsave(&rs->lock, flags);
	c = io->write ? dvs_rcopy_pick_write(rs, io->copies) :
			dvs_rcopy_pick_read(rs, io->copies);
	if (c >= 0)
		io->copies &= ~(1U << c);
	/*
	 * every copy timed out, time is left: a read goes round again, to
	 * the copies that gave no corrupt page
	 */
	if (c < 0 && !io->write && io->status == -ETIMEDOUT &&
	    time_before(jiffies, io->deadline)) {
		io->copies = dvs_rset_mask(rs, DVS_COPY_LIVE) & ~io->failed;
		c = dvs_rcopy_pick_read(rs, io->copies);
		if (c >= 0)
			io->copies &= ~(1U << c);
	}
	spin_unlock_irqrestore(&rs->lock, flags);
	return c;
}

/*
 * The end of a write: copies it failed on are dropped when it landed on
 * another (they are stale); it fails only when it landed nowhere.
 */
static int dvs_rdma_write_end(struct dvs_io *io)
{
	struct dvs_rset *rs = io->slab->bpriv;
	unsigned long flags;
	int c, status = io->landed ? 0 : io->status;

	spin_lock_irqsave(&rs->lock, flags);
	for (c = 0; c < DVS_MAX_COPIES; c++)
		if (io->landed && (io->failed & (1U << c)))
			dvs_rset_drop(rs, c);
	spin_unlock_irqrestore(&rs->lock, flags);
	/*
	 * after the drops: a rebuild that waits for us sees them; the last
	 * writer of an epoch wakes it (the atomic is a full barrier, for
	 * wake_up_var()'s check of waiters)
	 */
	if (atomic_dec_and_test(&rs->writers[io->epoch]))
		wake_up_var(&rs->writers[io->epoch]);
	return status;
}

/*
 * Counts @bad pages of slot @slot read back corrupt from copy @r, the first
 * at @slab_off of the slab, for its donor, and logs it. Any context.
 */
void dvs_rcopy_corrupt(struct dvs_rcopy *r, int slot, u64 slab_off, u32 bad)
{
	atomic64_add(bad, &krdma_peer_usage(r->peer)->checksum_errors);
	pr_warn_ratelimited("peer %d (%s): %u page(s) of slot %d read back corrupt (checksum mismatch), the first at slab offset %llu (its slab %u): not used\n",
			    krdma_peer_id(r->peer), krdma_peer_name(r->peer),
			    bad, slot, slab_off, r->slab_id);
}

/*
 * A read that came back from copy @c: its pages decrypted (an encrypted
 * space's) and checked against their tags, then against their sums. 0;
 * -EAGAIN: it may have raced a write, it reads again (from any live copy,
 * this one too); -EBADMSG: corrupt on this copy (counted, logged), not
 * returned: another copy serves it, else it fails. Any context.
 */
static int dvs_rdma_verify(struct dvs_io *io, int c)
{
	struct dvs_rset *rs = io->slab->bpriv;
	u32 bad, first = 0;

	/* a tag that does not match: a bad sum as far as we go */
	bad = dvs_pages_open(io->slab, io->slab_off, io->sg, io->nents,
			     io->len, NULL, &first);
	if (!bad)
		bad = dvs_pages_check(io->slab, io->slab_off, io->sg,
				      io->nents, io->len, &first);
	if (!bad)
		return 0;
	if (dvs_io_raced(io))
		return -EAGAIN;
	io->bad_pages += bad;
	/* busy: the copy stays */
	dvs_rcopy_corrupt(rs->copy[c], io->slab->slot,
			  io->slab_off + ((u64)first << DVS_PAGE_SHIFT), bad);
	return -EBADMSG;
}

/* Every part of @io on its current copy ended: on to the next, or done. */
static void dvs_rdma_copy_end(struct dvs_io *io)
{
	struct dvs_rset *rs = io->slab->bpriv;
	int c = io->copy, status = io->status, next;
	unsigned long flags;
	bool raced = false;

	if (!status && !io->write) {
		status = dvs_rdma_verify(io, c);
		raced = status == -EAGAIN;
	}
	if (raced) {
		io->copies |= 1U << c;	/* this copy may serve it yet */
	} else if (status) {
		/* a read's: the copies that gave corrupt pages */
		if (io->write || status == -EBADMSG)
			io->failed |= 1U << c;
		if (dvs_status_gone(status)) {
			spin_lock_irqsave(&rs->lock, flags);
			dvs_rset_drop(rs, c);
			spin_unlock_irqrestore(&rs->lock, flags);
		}
	} else if (io->write) {
		/* a copy still being built does not count: it is incomplete */
		spin_lock_irqsave(&rs->lock, flags);
		io->landed |= rs->state[c] == DVS_COPY_LIVE;
		spin_unlock_irqrestore(&rs->lock, flags);
	}
	atomic_dec(&rs->busy[c]);
	if (io->write || status) {
		next = dvs_rdma_next(io);
		if (next >= 0) {
			dvs_rdma_start(io, next);
			return;
		}
	}
	if (io->write)
		status = dvs_rdma_write_end(io);
	else if (status == -EBADMSG || raced)
		status = -EIO;	/* no copy had it right */
	dvs_io_end(io, status);
}

static void dvs_rdma_part_end(struct dvs_io *io, int status)
{
	if (status && !io->status)
		io->status = status;
	if (atomic_dec_and_test(&io->parts))
		dvs_rdma_copy_end(io);
}

static void dvs_rdma_kio_done(struct krdma_io *kio, int status)
{
	dvs_rdma_part_end(kio->priv, status);
}

/* Posts @io's parts to copy @c (busy for it). */
static void dvs_rdma_start(struct dvs_io *io, int c)
{
	struct dvs_rset *rs = io->slab->bpriv;
	struct dvs_rcopy *r = rs->copy[c];	/* busy: stays */
	/* an encrypted space's write posts its ciphertext */
	struct scatterlist *sg = io->sealed ? io->bsg : io->sg;
	unsigned int nents[2] = { io->sealed ? io->len >> PAGE_SHIFT :
					       io->nents, 0 };
	unsigned long deadline = io->deadline;
	int parts, i, ret, failed = 0;
	u64 first_len, off;
	u32 chunk;

	parts = dvs_chunk_split(io->slab_off, io->len, &chunk, &first_len);
	if (parts < 0 || chunk + parts > r->nr_chunks) {
		atomic_set(&io->parts, 1);
		dvs_rdma_part_end(io, -EINVAL);
		return;
	}
	if (parts == 2) {
		/* unmapped again by now: the split is reused as it is */
		if (!io->split)
			dvs_rdma_split_sg(io, sg, nents[0], first_len,
					  &nents[0], &nents[1]);
		else
			nents[0] = sg_nents(io->ksg[0]);
		nents[1] = sg_nents(io->ksg[1]);
		io->split = true;
	}
	/* another copy can serve it: this one may not hold it long */
	if ((io->copies || io->landed) &&
	    time_before(jiffies + DVS_COPY_WAIT, deadline))
		deadline = jiffies + DVS_COPY_WAIT;
	io->copy = c;
	io->status = 0;
	atomic_set(&io->parts, parts);
	off = io->slab_off & (DVS_CHUNK_SIZE - 1);
	for (i = 0; i < parts; i++) {
		struct krdma_io *kio = &io->kio[i];

		if (failed) {
			/* nothing of it posted: ends as failed */
			dvs_rdma_part_end(io, failed);
			continue;
		}
		kio->remote = r->remote[chunk + i];
		kio->offset = i ? 0 : off;
		kio->sg = parts == 1 ? sg : io->ksg[i];
		kio->nents = nents[i];
		kio->len = i ? io->len - first_len : first_len;
		kio->write = io->write;
		kio->deadline = deadline;
		kio->done = dvs_rdma_kio_done;
		kio->priv = io;
		ret = krdma_io_submit(kio);
		if (ret) {
			failed = ret;
			dvs_rdma_part_end(io, ret);
		}
	}
}

static int dvs_rdma_submit(struct dvs_io *io)
{
	struct dvs_rset *rs = io->slab->bpriv;
	u64 end = io->slab_off + io->len;
	unsigned long flags;
	int c, ret = 0;

	io->failed = 0;
	io->landed = false;
	io->split = false;
	io->status = 0;
	/* before it is committed: without pages to encrypt into it waits */
	ret = dvs_io_bounce_get(io);
	if (ret)
		return ret;
	spin_lock_irqsave(&rs->lock, flags);
	if (!io->write) {
		io->copies = dvs_rset_mask(rs, DVS_COPY_LIVE);
		c = dvs_rcopy_pick_read(rs, io->copies);
		if (c < 0)
			ret = -EIO;
		goto out;
	}
	ret = dvs_write_copies(dvs_rset_mask(rs, DVS_COPY_LIVE), rs->building,
			       rs->win_lo, rs->win_hi, io->slab_off, end);
	if (ret < 0)
		goto out;	/* the rebuild copies this range now */
	io->copies = ret;
	ret = 0;
	c = dvs_rcopy_pick_write(rs, io->copies);
	if (c < 0) {
		ret = -EIO;
		goto out;
	}
	io->epoch = rs->epoch;
	atomic_inc(&rs->writers[io->epoch]);
out:
	if (!ret)
		io->copies &= ~(1U << c);
	spin_unlock_irqrestore(&rs->lock, flags);
	if (ret) {
		dvs_io_bounce_put(io);
		return ret;
	}
	/* committed: the sums (and seals) become what it writes */
	if (io->write) {
		dvs_io_sum(io);
		dvs_io_seal(io);
	}
	dvs_rdma_start(io, c);
	return 0;
}

/*
 * Drops the copies whose donor is gone for good (their grants are void);
 * says what is left.
 */
static enum dvs_health dvs_rdma_check(struct dvs_slab *slab)
{
	struct dvs_rset *rs = slab->bpriv;
	enum dvs_health h = DVS_HEALTHY;
	unsigned long flags;
	unsigned int live;
	int c;
	u32 i;

	spin_lock_irqsave(&rs->lock, flags);
	for (c = 0; c < DVS_MAX_COPIES; c++) {
		struct dvs_rcopy *r = rs->copy[c];

		if (rs->state[c] != DVS_COPY_LIVE &&
		    rs->state[c] != DVS_COPY_BUILDING)
			continue;
		for (i = 0; i < r->nr_chunks; i++) {
			if (krdma_remote_is_void(r->remote[i])) {
				dvs_rset_drop(rs, c);
				break;
			}
		}
	}
	live = hweight32(dvs_rset_mask(rs, DVS_COPY_LIVE));
	if (!live)
		h = DVS_LOST;
	else if (live < rs->want || dvs_rset_mask(rs, DVS_COPY_DROPPED))
		h = DVS_DEGRADED;
	spin_unlock_irqrestore(&rs->lock, flags);
	return h;
}

struct dvs_rdma_sync {
	struct completion	done;
	int			status;
};

static void dvs_rdma_sync_done(struct krdma_io *kio, int status)
{
	struct dvs_rdma_sync *w = kio->priv;

	w->status = status;
	complete(&w->done);
}

/*
 * One synchronous I/O of @len bytes (within one chunk) at @off of copy @c,
 * for the rebuild. Process context.
 */
int dvs_rcopy_sync_io(struct dvs_rcopy *c, u64 off, struct scatterlist *sg,
		      unsigned int nents, u32 len, bool write)
{
	struct dvs_rdma_sync w;
	struct krdma_io *kio;
	int ret;

	if ((off & (DVS_CHUNK_SIZE - 1)) + len > DVS_CHUNK_SIZE ||
	    off >> DVS_CHUNK_SHIFT >= c->nr_chunks)
		return -EINVAL;
	kio = rs_kzalloc(sizeof(*kio), GFP_NOIO);
	if (!kio)
		return -ENOMEM;
	init_completion(&w.done);
	kio->remote = c->remote[off >> DVS_CHUNK_SHIFT];
	kio->offset = off & (DVS_CHUNK_SIZE - 1);
	kio->sg = sg;
	kio->nents = nents;
	kio->len = len;
	kio->write = write;
	kio->deadline = jiffies + DVS_COPY_WAIT;
	kio->done = dvs_rdma_sync_done;
	kio->priv = &w;
	ret = krdma_io_submit(kio);
	if (!ret) {
		wait_for_completion(&w.done);
		ret = w.status;
	}
	kfree(kio);
	return ret;
}

const struct dvs_backend_ops dvs_rdma_ops = {
	.name		= "rdma",
	.alloc		= dvs_rdma_alloc,
	.free		= dvs_rdma_free,
	.submit		= dvs_rdma_submit,
	.check		= dvs_rdma_check,
	.repair		= dvs_rdma_repair,
	.checked	= true,
};
