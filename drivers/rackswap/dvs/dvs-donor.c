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
 *
 * Scrubbing: a freed slab's pages are zeroed before they go back to the
 * page allocator, so what a client stored is never handed to anyone
 * else. Its grants are revoked at once (no RDMA reaches the pages any
 * more); the zeroing and the freeing run on dvs_scrub_wq, a queue of
 * their own, off krdma's and dvs's reclaim queues that the FREE handler
 * and the grace period's end run on: a 512 MiB slab is 131072 pages. The
 * bytes being scrubbed still count against the donation limit until
 * their pages are free. Unloading drains the queue.
 */
#include <linux/crc32.h>
#include <linux/highmem.h>
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
	struct work_struct	scrub_work;	/* dvs_scrub_wq, once revoked */
	struct dvs_dchunk	chunk[];
};

/* Zeroes and frees revoked slabs (see the top of this file). */
static struct workqueue_struct *dvs_scrub_wq;

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
	u64			scrubbing;	/* bytes freed, pages not yet */
	u64			nr_slabs;
} dvs_donor = {
	.lock = __MUTEX_INITIALIZER(dvs_donor.lock),
	.slabs = LIST_HEAD_INIT(dvs_donor.slabs),
	.pending = LIST_HEAD_INIT(dvs_donor.pending),
	.ids = IDR_INIT(dvs_donor.ids),
};

/* /sys/kernel/rackswap/dvs/grace_period_s: READ_ONCE/WRITE_ONCE */
unsigned int dvs_grace_period_s = 120;

/*
 * /sys/kernel/rackswap/dvs/client_limit_mb: the most one client (peer)
 * may hold of our donation, MiB; 0: no limit. READ_ONCE/WRITE_ONCE.
 */
unsigned int dvs_client_limit_mb;

int dvs_set_client_limit(const char *val)
{
	unsigned int v;

	if (kstrtouint(val, 10, &v) || v > DVS_DONATE_MAX >> 20) {
		pr_warn("client_limit_mb: '%s' is not 0-%llu\n", val,
			DVS_DONATE_MAX >> 20);
		return -EINVAL;
	}
	WRITE_ONCE(dvs_client_limit_mb, v);
	pr_info("one client may hold %u MiB of our donation%s\n", v,
		v ? "" : " (0: no limit)");
	return 0;
}

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
	    v > DVS_DONATE_MAX) {
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

/* What the limit leaves: beyond the granted bytes and those scrubbed. */
u64 dvs_donor_free(void)
{
	u64 used, limit;

	mutex_lock(&dvs_donor.lock);
	limit = dvs_donor.limit;
	used = dvs_donor.granted + dvs_donor.scrubbing;
	mutex_unlock(&dvs_donor.lock);
	return limit > used ? limit - used : 0;
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

/*
 * Tests: calls @fn with @arg on every page of slab @nth (0 the first, in
 * the order they were granted), or of every slab (@nth < 0), whatever
 * client holds it, its memory as the CPU sees it (a flip of the donor's
 * memory, a scan of it); counts the slabs and pages. Under the lock, so no
 * slab is freed meanwhile. -ENOENT: no slab @nth (or none at all).
 */
int dvs_donor_walk(int nth, void (*fn)(u8 *page, void *arg), void *arg,
		   u64 *slabs, u64 *pages)
{
	struct sg_page_iter it;
	struct dvs_dslab *s;
	int i = 0;
	u32 c;

	*slabs = 0;
	*pages = 0;
	mutex_lock(&dvs_donor.lock);
	list_for_each_entry(s, &dvs_donor.slabs, list) {
		if (nth >= 0 && i++ != nth)
			continue;
		for (c = 0; c < s->nr_chunks; c++) {
			for_each_sgtable_page(&s->chunk[c].sgt, &it, 0) {
				fn(page_address(sg_page_iter_page(&it)), arg);
				(*pages)++;
			}
			cond_resched();
		}
		(*slabs)++;
	}
	mutex_unlock(&dvs_donor.lock);
	return *slabs ? 0 : -ENOENT;
}
EXPORT_SYMBOL_IF_RS_TEST(dvs_donor_walk);

/* Tests: does this ALLOC answer to @peer lie (dvs_test_hooks)? */
static bool dvs_test_alloc_lie(struct krdma_peer *peer)
{
	if (likely(!atomic_read(&dvs_test_hooks.alloc_lies)) ||
	    READ_ONCE(dvs_test_hooks.alloc_lie_peer) != krdma_peer_id(peer) ||
	    atomic_dec_if_positive(&dvs_test_hooks.alloc_lies) < 0)
		return false;
	pr_info("peer %d: test: the ALLOC answer names a grant twice\n",
		krdma_peer_id(peer));
	return true;
}
#else
static bool dvs_test_alloc_lie(struct krdma_peer *peer)
{
	return false;
}
#endif

/* Zeroes and frees the pages of @c (revoked: no RDMA reaches them). */
static void dvs_dchunk_free_pages(struct dvs_dchunk *c)
{
	struct sg_page_iter it;
	struct page *page;

	if (!c->sgt.sgl)
		return;
	for_each_sgtable_page(&c->sgt, &it, 0) {
		page = sg_page_iter_page(&it);
		clear_highpage(page);
		__free_page(page);
	}
	sg_free_table(&c->sgt);
}

/* dvs_scrub_wq: zeroes and frees a revoked slab's pages, then the slab. */
static void dvs_dslab_scrub_work(struct work_struct *work)
{
	struct dvs_dslab *s = container_of(work, struct dvs_dslab, scrub_work);
	u32 i;

	for (i = 0; i < s->nr_chunks; i++) {
		dvs_dchunk_free_pages(&s->chunk[i]);
		cond_resched();
	}
	mutex_lock(&dvs_donor.lock);
	dvs_donor.scrubbing -= s->size;
	mutex_unlock(&dvs_donor.lock);
	kvfree(s);
}

/*
 * Revokes @s (nobody can reach it any more) and hands its pages to the
 * scrub; its bytes move from the granted ones to those being scrubbed.
 */
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
	for (i = 0; i < s->nr_chunks; i++)
		if (s->chunk[i].grant)
			krdma_grant_destroy(s->chunk[i].grant);
	mutex_lock(&dvs_donor.lock);
	dvs_donor.granted -= s->size;
	dvs_donor.scrubbing += s->size;
	mutex_unlock(&dvs_donor.lock);
	/* unloading drains the queue: the work needs no module reference */
	queue_work(dvs_scrub_wq, &s->scrub_work);
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

/*
 * The bytes @peer holds of ours or is being given: its listed slabs (its
 * granted_bytes, added to under dvs_donor.lock as a slab is listed) and
 * those of its ALLOCs being served. dvs_donor.lock held.
 */
static u64 dvs_donor_held(struct krdma_peer *peer)
{
	u64 held = atomic64_read(&krdma_peer_usage(peer)->granted_bytes);
	struct dvs_dslab *s;

	lockdep_assert_held(&dvs_donor.lock);
	list_for_each_entry(s, &dvs_donor.pending, pending)
		if (s->peer == peer)
			held += s->size;
	return held;
}

/*
 * Reserves @s->size bytes of the limit for @s and puts @s on the pending
 * list (a FREE by token that overtakes its ALLOC finds it there), or says
 * why not: -EACCES (donation disabled), -ENOSPC (the donation limit),
 * -EDQUOT (the client's limit, client_limit_mb).
 */
static int dvs_donor_reserve(struct dvs_dslab *s)
{
	u64 climit = (u64)READ_ONCE(dvs_client_limit_mb) << 20;
	int ret = 0;

	mutex_lock(&dvs_donor.lock);
	if (!dvs_donor.limit)
		ret = -EACCES;
	else if (dvs_donor.granted + dvs_donor.scrubbing + s->size >
		 dvs_donor.limit)
		ret = -ENOSPC;
	else if (climit && dvs_donor_held(s->peer) + s->size > climit)
		ret = -EDQUOT;
	if (!ret) {
		dvs_donor.granted += s->size;
		list_add_tail(&s->pending, &dvs_donor.pending);
	}
	mutex_unlock(&dvs_donor.lock);
	return ret;
}

/* Counts and logs a reservation refused (@ret); returns the answer. */
static int dvs_reserve_refused(struct krdma_peer *peer, int ret, u64 size)
{
	if (ret == -EDQUOT) {
		atomic64_inc(&dvs_stats.quota_refused);
		return dvs_refuse(peer, "ALLOC", -ENOSPC,
				  "over the per-client limit (client_limit_mb), size",
				  size);
	}
	return dvs_refuse(peer, "ALLOC", ret, ret == -EACCES ?
			  "donation disabled (donate=0), size" :
			  "over the donation limit, size", size);
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
	s = rs_kvzalloc(struct_size(s, chunk, n), GFP_KERNEL);
	pages = rs_kvmalloc_array(DVS_CHUNK_PAGES, sizeof(*pages), GFP_KERNEL);
	if (!s || !pages) {
		ret = -ENOMEM;
		atomic64_inc(&dvs_stats.requests_refused);
		goto err_free;
	}
	s->peer = peer;
	s->token = len == sizeof(*rq) ? le64_to_cpu(rq->token) : 0;
	s->size = size;
	s->nr_chunks = n;
	INIT_WORK(&s->free_work, dvs_dslab_free_work);
	INIT_WORK(&s->scrub_work, dvs_dslab_scrub_work);
	ret = dvs_donor_reserve(s);
	if (ret) {
		ret = dvs_reserve_refused(peer, ret, size);
		goto err_free;
	}
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
	/* under the lock: dvs_donor_held() sees it pending or here */
	u = krdma_peer_usage(peer);
	atomic64_inc(&u->granted_slabs);
	atomic64_add(size, &u->granted_bytes);
	mutex_unlock(&dvs_donor.lock);

	rs->slab_id = cpu_to_le32(s->id);
	rs->nr_chunks = cpu_to_le32(n);
	for (i = 0; i < n; i++)
		rs->grant_id[i] = cpu_to_le32(krdma_grant_id(s->chunk[i].grant));
	if (n > 1 && dvs_test_alloc_lie(peer))
		rs->grant_id[n - 1] = rs->grant_id[0];
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
	/* nothing reserved */
	kvfree(pages);
	kvfree(s);
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
	u64 limit, granted, used;

	if (len)
		return dvs_refuse(peer, "STAT", -EPROTO, "payload bytes", len);
	if (*resp_len < sizeof(*rs))
		return dvs_refuse(peer, "STAT", -EINVAL, "response room",
				  *resp_len);
	mutex_lock(&dvs_donor.lock);
	limit = dvs_donor.limit;
	granted = dvs_donor.granted;
	used = granted + dvs_donor.scrubbing;
	mutex_unlock(&dvs_donor.lock);
	rs->limit = cpu_to_le64(limit);
	rs->granted = cpu_to_le64(granted);
	rs->free = cpu_to_le64(limit > used ? limit - used : 0);
	*resp_len = sizeof(*rs);
	return 0;
}

int dvs_donor_init(void)
{
	int ret;

	/* one slab at a time: a long scrub takes one CPU, not all */
	dvs_scrub_wq = alloc_workqueue("dvs_scrub",
				       WQ_UNBOUND | WQ_MEM_RECLAIM, 1);
	if (!dvs_scrub_wq)
		return -ENOMEM;
	krdma_set_grant_hold_ms(dvs_grace_period_s * MSEC_PER_SEC);
	ret = krdma_register_handler(DVS_OP_ALLOC, dvs_alloc_handler);
	if (ret)
		goto err_wq;
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
err_wq:
	destroy_workqueue(dvs_scrub_wq);
	return ret;
}

/* Unloading: every slab was freed (each held a module reference). */
void dvs_donor_exit(void)
{
	krdma_unregister_handler(DVS_OP_STAT);
	krdma_unregister_handler(DVS_OP_FREE);
	krdma_unregister_handler(DVS_OP_ALLOC);
	WARN_ON(!list_empty(&dvs_donor.slabs));
	/* the slabs freed last are still being scrubbed: wait for them */
	destroy_workqueue(dvs_scrub_wq);
	idr_destroy(&dvs_donor.ids);
}
