// SPDX-License-Identifier: GPL-2.0
/*
 * dvs: the rdma backend. A slab is allocated on a donor picked by free
 * capacity (power of two choices over the peers whose I/O flows, each
 * asked for its capacity by DVS_OP_STAT); its 2 MiB chunks are krdma
 * remotes, reached by one-sided RDMA with the keys krdma keeps for us.
 */
#include <linux/random.h>
#include <linux/slab.h>

#include "dvs-priv.h"
#include "dvs-proto.h"

/* Peers considered for one placement at most. */
#define DVS_MAX_DONORS		16
/* A donor zeroes and registers a whole slab before it answers. */
#define DVS_ALLOC_TIMEOUT_MS	30000

struct dvs_rslab {
	struct krdma_peer	*peer;		/* a reference */
	u32			slab_id;	/* the donor's */
	u32			nr_chunks;
	u64			size;
	struct krdma_remote	*remote[];	/* one per chunk */
};

static int dvs_rdma_stat(struct krdma_peer *peer, u64 *free)
{
	struct dvs_stat_resp rs;
	u32 len;
	int ret;

	ret = krdma_call(peer, DVS_OP_STAT, NULL, 0, &rs, sizeof(rs), &len, 0);
	if (ret)
		return ret;
	if (len < sizeof(rs))
		return -EPROTO;
	*free = le64_to_cpu(rs.free);
	return 0;
}

static void dvs_rdma_send_free(struct krdma_peer *peer, u32 slab_id)
{
	struct dvs_free_req rq = { .slab_id = cpu_to_le32(slab_id) };
	u32 len;
	int ret;

	if (krdma_peer_is_dead(peer))
		return;		/* the donor freed it when we left */
	ret = krdma_call(peer, DVS_OP_FREE, &rq, sizeof(rq), NULL, 0, &len, 0);
	if (ret && ret != -ENOTCONN)
		pr_warn_ratelimited("peer %d: freeing slab %u: %pe\n",
				    krdma_peer_id(peer), slab_id,
				    ERR_PTR(ret));
}

static void dvs_rslab_close(struct dvs_rslab *r)
{
	u32 i;

	for (i = 0; i < r->nr_chunks; i++)
		if (r->remote[i])
			krdma_remote_close(r->remote[i]);
}

/* Asks @peer for a slab of @size bytes and opens its chunks. */
static int dvs_rdma_alloc_on(struct krdma_peer *peer, u64 size,
			     struct dvs_rslab **rp)
{
	struct dvs_alloc_req rq = { .slab_size = cpu_to_le64(size) };
	u32 n = size >> DVS_CHUNK_SHIFT, len, room, i;
	struct dvs_alloc_resp *rs;
	struct dvs_rslab *r;
	int ret;

	room = struct_size(rs, grant_id, n);
	rs = kmalloc(room, GFP_KERNEL);
	r = kvzalloc(struct_size(r, remote, n), GFP_KERNEL);
	if (!rs || !r) {
		ret = -ENOMEM;
		goto out;
	}
	ret = krdma_call(peer, DVS_OP_ALLOC, &rq, sizeof(rq), rs, room, &len,
			 DVS_ALLOC_TIMEOUT_MS);
	if (ret)
		goto out;
	if (len < room || le32_to_cpu(rs->nr_chunks) != n) {
		pr_warn("peer %d: malformed slab grant\n", krdma_peer_id(peer));
		ret = -EPROTO;
		goto out;
	}
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
			dvs_rslab_close(r);
			dvs_rdma_send_free(peer, r->slab_id);
			goto out;
		}
	}
	*rp = r;
	r = NULL;
out:
	kvfree(r);
	kfree(rs);
	return ret;
}

static int dvs_rdma_alloc(struct dvs_space *space, struct dvs_slab *slab)
{
	struct krdma_peer *peers[DVS_MAX_DONORS];
	struct dvs_cand cand[DVS_MAX_DONORS];
	u64 size = dvs_slab_size_of(space);
	struct krdma_peer_usage *u;
	struct dvs_rslab *r = NULL;
	/* no donor at all, or the last refusal's reason */
	int n, i, pick = -1, ret = -ENOSPC;

	n = krdma_peers_ready(peers, DVS_MAX_DONORS);
	for (i = 0; i < n; i++) {
		cand[i].free = 0;
		cand[i].refused = dvs_rdma_stat(peers[i], &cand[i].free) != 0;
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
	if (ret && krdma_peers_returning())
		ret = -EAGAIN;
	if (ret)
		return ret;
	u = krdma_peer_usage(r->peer);
	atomic64_inc(&u->stored_slabs);
	atomic64_add(size, &u->stored_bytes);
	slab->bpriv = r;
	return 0;
}

static bool dvs_rdma_is_lost(struct dvs_slab *slab);

static void dvs_rdma_free(struct dvs_slab *slab)
{
	struct dvs_rslab *r = slab->bpriv;
	struct krdma_peer_usage *u = krdma_peer_usage(r->peer);
	bool lost = dvs_rdma_is_lost(slab);

	dvs_rslab_close(r);
	/* a lost slab is gone on the donor already */
	if (!lost)
		dvs_rdma_send_free(r->peer, r->slab_id);
	atomic64_dec(&u->stored_slabs);
	atomic64_sub(r->size, &u->stored_bytes);
	krdma_peer_put(r->peer);
	kvfree(r);
}

static void dvs_rdma_kio_done(struct krdma_io *kio, int status)
{
	dvs_io_part_done(kio->priv, status);
}

/* Splits @io's scatterlist at @at bytes into io->ksg[0] and io->ksg[1]. */
static void dvs_rdma_split_sg(struct dvs_io *io, u32 at, unsigned int *n0,
			      unsigned int *n1)
{
	struct scatterlist *sg;
	unsigned int i, k = 0, idx[2] = {0, 0};
	u32 pos = 0;

	sg_init_table(io->ksg[0], KRDMA_IO_MAX_SGE);
	sg_init_table(io->ksg[1], KRDMA_IO_MAX_SGE);
	for_each_sg(io->sg, sg, io->nents, i) {
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

static int dvs_rdma_submit(struct dvs_io *io)
{
	struct dvs_rslab *r = io->slab->bpriv;
	unsigned int nents[2] = { io->nents, 0 };
	u64 first_len, off;
	int parts, i, ret;
	u32 chunk;

	parts = dvs_chunk_split(io->slab_off, io->len, &chunk, &first_len);
	if (parts < 0 || chunk + parts > r->nr_chunks)
		return -EINVAL;
	if (parts == 2)
		dvs_rdma_split_sg(io, first_len, &nents[0], &nents[1]);
	atomic_set(&io->parts, parts);
	off = io->slab_off & (DVS_CHUNK_SIZE - 1);
	for (i = 0; i < parts; i++) {
		struct krdma_io *kio = &io->kio[i];

		kio->remote = r->remote[chunk + i];
		kio->offset = i ? 0 : off;
		kio->sg = parts == 1 ? io->sg : io->ksg[i];
		kio->nents = nents[i];
		kio->len = i ? io->len - first_len : first_len;
		kio->write = io->write;
		kio->deadline = io->deadline;
		kio->done = dvs_rdma_kio_done;
		kio->priv = io;
		ret = krdma_io_submit(kio);
		if (ret && !i)
			return ret;	/* nothing was posted */
		if (ret)
			dvs_io_part_done(io, ret);
	}
	return 0;
}

static bool dvs_rdma_is_lost(struct dvs_slab *slab)
{
	struct dvs_rslab *r = slab->bpriv;
	u32 i;

	for (i = 0; i < r->nr_chunks; i++)
		if (krdma_remote_is_void(r->remote[i]))
			return true;
	return false;
}

const struct dvs_backend_ops dvs_rdma_ops = {
	.name		= "rdma",
	.alloc		= dvs_rdma_alloc,
	.free		= dvs_rdma_free,
	.submit		= dvs_rdma_submit,
	.is_lost	= dvs_rdma_is_lost,
};
