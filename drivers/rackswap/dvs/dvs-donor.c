// SPDX-License-Identifier: GPL-2.0
/*
 * dvs: the donor side. Serves DVS_OP_ALLOC / FREE / STAT within the
 * donation limit. A slab is built from 2 MiB chunks of single zeroed
 * pages (no high-order allocation); each chunk is one krdma grant, so it
 * is registered in the requesting peer's PD only.
 *
 * A slab belongs to the client's identity: it outlives link drops for the
 * grace period (krdma keeps the peer that long, krdma_set_grant_hold_ms)
 * and is freed when the client frees it, when the grace period ends or
 * when the client comes back as a new incarnation (krdma voids the grant).
 * Each slab holds a module reference, so a donor holding slabs cannot be
 * unloaded until they are drained.
 */
#include <linux/crc32.h>
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "compat.h"
#include "dvs-priv.h"
#include "dvs-proto.h"
#include "fault.h"

#define DVS_CHUNK_PAGES	(DVS_CHUNK_SIZE >> PAGE_SHIFT)

struct dvs_dchunk {
	struct sg_table		sgt;
	struct krdma_grant	*grant;
};

/* A slab granted to a client. */
struct dvs_dslab {
	struct list_head	list;	/* on dvs_donor.slabs; dvs_donor.lock */
	u32			id;
	u64			token;	/* the client's name of its ALLOC */
	struct krdma_peer	*peer;	/* valid while its grants exist */
	u64			size;
	u32			nr_chunks;
	/* dvs_donor.lock */
	bool			listed;	/* complete: FREE or a void frees it */
	bool			is_void;
	bool			freeing;
	/* on dvs_donor.pending while its ALLOC runs, then empty */
	struct list_head	pending;
	bool			cancelled;	/* freed by token meanwhile */
	struct work_struct	free_work;
	struct dvs_dchunk	chunk[];
};

static struct {
	struct mutex		lock;	/* the fields below */
	struct list_head	slabs;
	/* slabs whose ALLOC still runs: a FREE by token may cancel them */
	struct list_head	pending;
	/*
	 * slab ids, given cyclically: a client's FREE sent again after its
	 * answer was lost finds nothing rather than a newer slab
	 */
	struct idr		ids;
	u64			limit;	/* bytes; 0: donates nothing */
	u64			granted;	/* bytes reserved or granted */
	u64			nr_slabs;
} dvs_donor = {
	.lock = __MUTEX_INITIALIZER(dvs_donor.lock),
	.slabs = LIST_HEAD_INIT(dvs_donor.slabs),
	.pending = LIST_HEAD_INIT(dvs_donor.pending),
	.ids = IDR_INIT(dvs_donor.ids),
};

/* /sys/kernel/rackswap/dvs/grace_period_s: READ_ONCE/WRITE_ONCE */
unsigned int dvs_grace_period_s = 120;

int dvs_set_grace(const char *val)
{
	unsigned int v;

	if (kstrtouint(val, 10, &v) || !v || v > 86400) {
		pr_warn("grace_period_s: '%s' is not 1-86400\n", val);
		return -EINVAL;
	}
	WRITE_ONCE(dvs_grace_period_s, v);
	krdma_set_grant_hold_ms(v * MSEC_PER_SEC);
	return 0;
}

int dvs_donor_set_limit(const char *val)
{
	u64 v;

	if (rackswap_parse_size(val, &v) || (v && v < DVS_CHUNK_SIZE) ||
	    v > (1ULL << 50)) {
		pr_warn("donate: '%s' is not 0 or 2M-1P bytes\n", val);
		return -EINVAL;
	}
	mutex_lock(&dvs_donor.lock);
	dvs_donor.limit = v;
	mutex_unlock(&dvs_donor.lock);
	pr_info("donating up to %llu bytes\n", v);
	return 0;
}

u64 dvs_donor_limit(void)
{
	return READ_ONCE(dvs_donor.limit);
}

u64 dvs_donor_granted(void)
{
	return READ_ONCE(dvs_donor.granted);
}

u64 dvs_donor_granted_slabs(void)
{
	return READ_ONCE(dvs_donor.nr_slabs);
}

/* One line per client holding slabs: "<peer id> <name> <slabs> <bytes>". */
ssize_t dvs_donor_holders(char *buf, size_t size)
{
	struct dvs_dslab *s, *t;
	ssize_t n = 0;

	mutex_lock(&dvs_donor.lock);
	list_for_each_entry(s, &dvs_donor.slabs, list) {
		u64 slabs = 0, bytes = 0;
		bool seen = false;

		list_for_each_entry(t, &dvs_donor.slabs, list) {
			if (t == s)
				break;
			if (t->peer == s->peer)
				seen = true;
		}
		if (seen)
			continue;
		t = s;
		list_for_each_entry_from(t, &dvs_donor.slabs, list) {
			if (t->peer == s->peer) {
				slabs++;
				bytes += t->size;
			}
		}
		n += scnprintf(buf + n, size - n, "%d %s %llu %llu\n",
			       krdma_peer_id(s->peer),
			       krdma_peer_name(s->peer), slabs, bytes);
	}
	mutex_unlock(&dvs_donor.lock);
	return n;
}

#if IS_ENABLED(CONFIG_RACKSWAP_TEST)
/*
 * Tests: one line per slab granted, "<peer id> <slab id> <bytes> <crc32>",
 * the CRC over every page of its chunks, read by the CPU. Under the lock,
 * so no slab is freed meanwhile.
 */
void dvs_donor_sums(struct seq_file *m)
{
	struct sg_page_iter it;
	struct dvs_dslab *s;
	u32 i, crc;

	mutex_lock(&dvs_donor.lock);
	list_for_each_entry(s, &dvs_donor.slabs, list) {
		crc = ~0U;
		for (i = 0; i < s->nr_chunks; i++) {
			for_each_sgtable_page(&s->chunk[i].sgt, &it, 0)
				crc = crc32_le(crc,
					       page_address(sg_page_iter_page(&it)),
					       PAGE_SIZE);
			cond_resched();
		}
		seq_printf(m, "%d %u %llu %08x\n", krdma_peer_id(s->peer), s->id,
			   s->size, ~crc);
	}
	mutex_unlock(&dvs_donor.lock);
}
EXPORT_SYMBOL_IF_RS_TEST(dvs_donor_sums);
#endif

static void dvs_dchunk_free_pages(struct dvs_dchunk *c)
{
	struct sg_page_iter it;

	if (!c->sgt.sgl)
		return;
	for_each_sgtable_page(&c->sgt, &it, 0)
		__free_page(sg_page_iter_page(&it));
	sg_free_table(&c->sgt);
}

/* Revokes and frees @s; nobody else can reach it any more. */
static void dvs_dslab_free(struct dvs_dslab *s)
{
	struct krdma_peer_usage *u = krdma_peer_usage(s->peer);
	bool counted;
	u32 i;

	mutex_lock(&dvs_donor.lock);
	counted = s->listed;
	if (counted) {
		list_del(&s->list);
		idr_remove(&dvs_donor.ids, s->id);
		dvs_donor.nr_slabs--;
	}
	mutex_unlock(&dvs_donor.lock);
	if (counted) {
		atomic64_dec(&u->granted_slabs);
		atomic64_sub(s->size, &u->granted_bytes);
	}
	for (i = 0; i < s->nr_chunks; i++) {
		if (s->chunk[i].grant)
			krdma_grant_destroy(s->chunk[i].grant);
		dvs_dchunk_free_pages(&s->chunk[i]);
	}
	mutex_lock(&dvs_donor.lock);
	dvs_donor.granted -= s->size;
	mutex_unlock(&dvs_donor.lock);
	kvfree(s);
	module_put(THIS_MODULE);
}

static void dvs_dslab_free_work(struct work_struct *work)
{
	struct dvs_dslab *s = container_of(work, struct dvs_dslab, free_work);

	pr_info("slab %u of peer %d freed: the client is gone\n", s->id,
		krdma_peer_id(s->peer));
	dvs_dslab_free(s);
}

/*
 * krdma voided a chunk's grant (under the peer's grant lock: no
 * krdma_grant_* here): the client is gone for good; free the slab.
 */
static void dvs_dslab_voided(struct krdma_grant *g, void *priv)
{
	struct dvs_dslab *s = priv;
	bool queue;

	mutex_lock(&dvs_donor.lock);
	s->is_void = true;
	queue = s->listed && !s->freeing;
	if (queue)
		s->freeing = true;
	mutex_unlock(&dvs_donor.lock);
	if (queue)
		queue_work(dvs_wq, &s->free_work);
}

/* 2 MiB of zeroed single pages in @c->sgt. */
static int dvs_dchunk_alloc(struct dvs_dchunk *c, struct page **pages)
{
	int i, ret;

	for (i = 0; i < DVS_CHUNK_PAGES; i++) {
		pages[i] = rs_alloc_page(GFP_KERNEL | __GFP_ZERO |
					 __GFP_NORETRY | __GFP_NOWARN);
		if (!pages[i]) {
			ret = -ENOMEM;
			goto err;
		}
	}
	ret = rs_sg_alloc_table_from_pages(&c->sgt, pages, DVS_CHUNK_PAGES,
					   0, DVS_CHUNK_SIZE, GFP_KERNEL);
	if (ret)
		goto err;
	return 0;

err:
	while (i--)
		__free_page(pages[i]);
	return ret;
}

/*
 * Counts a refused request and logs why (@what and @val: the value
 * refused); returns @ret, the caller's answer. -EPROTO: a malformed
 * request, which makes krdma close the connection.
 */
static int dvs_refuse(struct krdma_peer *peer, const char *op, int ret,
		      const char *what, u64 val)
{
	atomic64_inc(&dvs_stats.requests_refused);
	pr_info_ratelimited("peer %d: %s refused: %s %llu: %pe\n",
			    krdma_peer_id(peer), op, what, val, ERR_PTR(ret));
	return ret;
}

/* Reserves @size bytes of the limit, or says why not. */
static int dvs_donor_reserve(u64 size)
{
	int ret = 0;

	mutex_lock(&dvs_donor.lock);
	if (!dvs_donor.limit)
		ret = -EACCES;
	else if (dvs_donor.granted + size > dvs_donor.limit)
		ret = -ENOSPC;
	else
		dvs_donor.granted += size;
	mutex_unlock(&dvs_donor.lock);
	return ret;
}

static int dvs_alloc_handler(struct krdma_peer *peer, const void *req,
			     u32 len, void *resp, u32 *resp_len)
{
	const struct dvs_alloc_req *rq = req;
	struct dvs_alloc_resp *rs = resp;
	struct krdma_peer_usage *u;
	struct page **pages = NULL;
	struct dvs_dslab *s;
	u64 size;
	u32 i, n;
	int ret;

	if (len != sizeof(*rq) && len != DVS_ALLOC_REQ_2_0)
		return dvs_refuse(peer, "ALLOC", -EPROTO, "payload bytes", len);
	size = le64_to_cpu(rq->slab_size);
	if (dvs_slab_size_valid(size))
		return dvs_refuse(peer, "ALLOC", -EINVAL, "slab size", size);
	n = size >> DVS_CHUNK_SHIFT;
	if (*resp_len < struct_size(rs, grant_id, n))
		return dvs_refuse(peer, "ALLOC", -EINVAL, "response room",
				  *resp_len);
	if (!try_module_get(THIS_MODULE))
		return dvs_refuse(peer, "ALLOC", -ESHUTDOWN, "unloading, size",
				  size);
	ret = dvs_donor_reserve(size);
	if (ret) {
		dvs_refuse(peer, "ALLOC", ret, ret == -EACCES ?
			   "donation disabled (donate=0), size" :
			   "over the donation limit, size", size);
		goto err_module;
	}

	s = rs_kvzalloc(struct_size(s, chunk, n), GFP_KERNEL);
	pages = rs_kvmalloc_array(DVS_CHUNK_PAGES, sizeof(*pages), GFP_KERNEL);
	if (!s || !pages) {
		ret = -ENOMEM;
		goto err_free;
	}
	s->peer = peer;
	s->token = len == sizeof(*rq) ? le64_to_cpu(rq->token) : 0;
	s->size = size;
	s->nr_chunks = n;
	INIT_WORK(&s->free_work, dvs_dslab_free_work);
	/* a FREE by token that overtakes us (its call gave up) finds it */
	mutex_lock(&dvs_donor.lock);
	list_add_tail(&s->pending, &dvs_donor.pending);
	mutex_unlock(&dvs_donor.lock);
	for (i = 0; i < n; i++) {
		struct dvs_dchunk *c = &s->chunk[i];

		ret = dvs_dchunk_alloc(c, pages);
		if (ret)
			goto err_chunks;
		c->grant = krdma_grant_create(peer, &c->sgt, dvs_dslab_voided,
					      s);
		if (IS_ERR(c->grant)) {
			ret = PTR_ERR(c->grant);
			c->grant = NULL;
			goto err_chunks;
		}
	}
	kvfree(pages);
	pages = NULL;

	mutex_lock(&dvs_donor.lock);
	list_del_init(&s->pending);
	if (s->is_void)
		ret = -ENOTCONN;
	else if (s->cancelled)
		ret = -ECANCELED;
	else
		ret = idr_alloc_cyclic(&dvs_donor.ids, s, 1, 0, GFP_KERNEL);
	if (ret < 0) {
		mutex_unlock(&dvs_donor.lock);
		goto err_chunks;
	}
	s->id = ret;
	s->listed = true;
	list_add_tail(&s->list, &dvs_donor.slabs);
	dvs_donor.nr_slabs++;
	mutex_unlock(&dvs_donor.lock);

	u = krdma_peer_usage(peer);
	atomic64_inc(&u->granted_slabs);
	atomic64_add(size, &u->granted_bytes);
	rs->slab_id = cpu_to_le32(s->id);
	rs->nr_chunks = cpu_to_le32(n);
	for (i = 0; i < n; i++)
		rs->grant_id[i] = cpu_to_le32(krdma_grant_id(s->chunk[i].grant));
	*resp_len = struct_size(rs, grant_id, n);
	return 0;

err_chunks:
	/* not listed: dvs_dslab_free() returns the reservation and the ref */
	mutex_lock(&dvs_donor.lock);
	list_del_init(&s->pending);
	mutex_unlock(&dvs_donor.lock);
	kvfree(pages);
	atomic64_inc(&dvs_stats.requests_refused);
	pr_warn_ratelimited("peer %d: slab of %llu bytes not granted: %pe\n",
			    krdma_peer_id(peer), size, ERR_PTR(ret));
	dvs_dslab_free(s);
	return ret;
err_free:
	kvfree(pages);
	kvfree(s);
	atomic64_inc(&dvs_stats.requests_refused);
	mutex_lock(&dvs_donor.lock);
	dvs_donor.granted -= size;
	mutex_unlock(&dvs_donor.lock);
err_module:
	module_put(THIS_MODULE);
	return ret;
}

/*
 * A FREE by token: the client's ALLOC of that name got no answer it saw
 * (its connection was lost, or the call timed out), so it cannot know the
 * slab's id; the slab, if the ALLOC made one, goes back, and an ALLOC still
 * running ends refused (-ECANCELED). -ENOENT: it made none (it failed, or
 * the slab is freed already).
 */
/*
 * Cancels @peer's ALLOC of @token while it still runs: it ends refused, the
 * slab never listed. dvs_donor.lock held.
 */
static bool dvs_pending_cancel(struct krdma_peer *peer, u64 token)
{
	struct dvs_dslab *s;

	list_for_each_entry(s, &dvs_donor.pending, pending) {
		if (s->peer == peer && s->token == token && !s->cancelled) {
			s->cancelled = true;
			return true;
		}
	}
	return false;
}

static int dvs_free_by_token(struct krdma_peer *peer, u64 token)
{
	struct dvs_dslab *s, *found = NULL;
	bool cancelled = false;

	mutex_lock(&dvs_donor.lock);
	list_for_each_entry(s, &dvs_donor.slabs, list) {
		if (s->peer == peer && s->token == token && !s->freeing) {
			s->freeing = true;
			found = s;
			break;
		}
	}
	if (!found)
		cancelled = dvs_pending_cancel(peer, token);
	mutex_unlock(&dvs_donor.lock);
	if (cancelled)
		return 0;
	if (!found)
		return -ENOENT;
	pr_info("peer %d: slab %u freed: its ALLOC's answer did not reach the client\n",
		krdma_peer_id(peer), found->id);
	dvs_dslab_free(found);
	return 0;
}

static int dvs_free_handler(struct krdma_peer *peer, const void *req,
			    u32 len, void *resp, u32 *resp_len)
{
	const struct dvs_free_req *rq = req;
	struct dvs_dslab *s;
	u64 token = 0;

	*resp_len = 0;
	if (len != sizeof(*rq) && len != DVS_FREE_REQ_2_0)
		return dvs_refuse(peer, "FREE", -EPROTO, "payload bytes", len);
	if (len == sizeof(*rq) && le32_to_cpu(rq->flags) & DVS_FREE_BY_TOKEN)
		token = le64_to_cpu(rq->token);
	if (token)
		return dvs_free_by_token(peer, token);
	mutex_lock(&dvs_donor.lock);
	s = idr_find(&dvs_donor.ids, le32_to_cpu(rq->slab_id));
	if (!s || s->peer != peer || s->freeing) {
		mutex_unlock(&dvs_donor.lock);
		/* never granted, freed, or another peer's: not the caller's */
		return dvs_refuse(peer, "FREE", -ENOENT, "not its slab, id",
				  le32_to_cpu(rq->slab_id));
	}
	s->freeing = true;
	mutex_unlock(&dvs_donor.lock);
	dvs_dslab_free(s);
	return 0;
}

static int dvs_stat_handler(struct krdma_peer *peer, const void *req,
			    u32 len, void *resp, u32 *resp_len)
{
	struct dvs_stat_resp *rs = resp;
	u64 limit, granted;

	if (len)
		return dvs_refuse(peer, "STAT", -EPROTO, "payload bytes", len);
	if (*resp_len < sizeof(*rs))
		return dvs_refuse(peer, "STAT", -EINVAL, "response room",
				  *resp_len);
	mutex_lock(&dvs_donor.lock);
	limit = dvs_donor.limit;
	granted = dvs_donor.granted;
	mutex_unlock(&dvs_donor.lock);
	rs->limit = cpu_to_le64(limit);
	rs->granted = cpu_to_le64(granted);
	rs->free = cpu_to_le64(limit > granted ? limit - granted : 0);
	*resp_len = sizeof(*rs);
	return 0;
}

int dvs_donor_init(void)
{
	int ret;

	krdma_set_grant_hold_ms(dvs_grace_period_s * MSEC_PER_SEC);
	ret = krdma_register_handler(DVS_OP_ALLOC, dvs_alloc_handler);
	if (ret)
		return ret;
	ret = krdma_register_handler(DVS_OP_FREE, dvs_free_handler);
	if (ret)
		goto err_alloc;
	ret = krdma_register_handler(DVS_OP_STAT, dvs_stat_handler);
	if (ret)
		goto err_free;
	return 0;

err_free:
	krdma_unregister_handler(DVS_OP_FREE);
err_alloc:
	krdma_unregister_handler(DVS_OP_ALLOC);
	return ret;
}

/* Unloading: every slab was freed (each held a module reference). */
void dvs_donor_exit(void)
{
	krdma_unregister_handler(DVS_OP_STAT);
	krdma_unregister_handler(DVS_OP_FREE);
	krdma_unregister_handler(DVS_OP_ALLOC);
	WARN_ON(!list_empty(&dvs_donor.slabs));
	idr_destroy(&dvs_donor.ids);
}
