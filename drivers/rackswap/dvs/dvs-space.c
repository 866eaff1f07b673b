// SPDX-License-Identifier: GPL-2.0
/*
 * dvs: spaces. A space is an array of slab slots, bound on first write to
 * a slab taken from the space's pool; the pool is filled when the space is
 * made and refilled in the background (dvs_wq, WQ_MEM_RECLAIM) toward an
 * adaptive target between the space's pool_min and pool_max, so the write
 * path never waits on an RPC: up to DVS_REFILLERS allocations in flight,
 * the target doubled at the first write that finds the pool empty (a
 * burst of swap-out) and at each tick that saw one, lowered by one each
 * idle tick. Each slab keeps a map of the pages in use; a slab that stayed
 * empty for the space's release_delay_s goes back to its backend. A slab
 * whose storage is gone is marked lost: its I/O fails with -EIO, until a
 * write replaces it with a slab from the pool (the pages the lost one held
 * stay lost: their reads fail until they are written or discarded). A
 * slab that misses one of its copies (replicas) is degraded: the repair
 * work has the backend make the copy again, one slab after the other.
 *
 * A space's settings (struct dvs_space_config: slab size, backend, copies,
 * pool bounds, release delay) are its creator's, fixed when it is made:
 * dvs has no module parameter.
 */
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "compat.h"
#include "dvs-priv.h"
#include "trace.h"
#include "fault.h"

/* the front ends size their I/O by DVS_IO_MAX: one chunk */
static_assert(DVS_CHUNK_SIZE == DVS_IO_MAX);

struct dvs_stats dvs_stats;
struct workqueue_struct *dvs_wq;

#if IS_ENABLED(CONFIG_RACKSWAP_TEST)
/* the client's (dvs-sums.c) and the donor's (dvs-donor.c) */
struct dvs_test_hooks dvs_test_hooks;
EXPORT_SYMBOL_IF_RS_TEST(dvs_test_hooks);
#endif

/* the public bounds are the map's */
static_assert(DVS_SLAB_SIZE_MIN == 1ULL << DVS_SLAB_MIN_SHIFT);
static_assert(DVS_SLAB_SIZE_MAX == 1ULL << DVS_SLAB_MAX_SHIFT);

void dvs_space_config_init(struct dvs_space_config *c)
{
	*c = (struct dvs_space_config) {
		.slab_size	= DVS_DEFAULT_SLAB_SIZE,
		.backend	= DVS_BACKEND_RDMA,
		.copies		= 1,
		.pool_min	= 2,
		.pool_max	= 16,
		.release_delay_s = 10,
	};
}
EXPORT_SYMBOL_GPL(dvs_space_config_init);

/* Defined in dvs-map.c, which the host unit tests build too. */
EXPORT_SYMBOL_GPL(dvs_slab_size_valid);

int dvs_space_config_check(const struct dvs_space_config *c,
			   const char *who)
{
	if (dvs_slab_size_valid(c->slab_size)) {
		pr_warn("%s: slab_size: %llu is not a power of two from 2M to 512M\n",
			who, c->slab_size);
		return -EINVAL;
	}
	if (c->backend != DVS_BACKEND_RDMA && c->backend != DVS_BACKEND_DRAM) {
		pr_warn("%s: backend: %d is not rdma or dram\n", who,
			c->backend);
		return -EINVAL;
	}
	if (c->copies < 1 || c->copies > DVS_MAX_COPIES ||
	    (c->backend == DVS_BACKEND_DRAM && c->copies != 1)) {
		pr_warn("%s: copies: %u is not 1-%d (rdma backend) or 1 (dram backend)\n",
			who, c->copies, DVS_MAX_COPIES);
		return -EINVAL;
	}
	if (c->encrypt && c->backend != DVS_BACKEND_RDMA) {
		pr_warn("%s: encrypt: 1 is not 0 (the dram backend keeps its pages here: nothing to encrypt)\n",
			who);
		return -EINVAL;
	}
	if (c->pool_max > DVS_POOL_LIMIT) {
		pr_warn("%s: pool_max: %u is not 0-%d\n", who, c->pool_max,
			DVS_POOL_LIMIT);
		return -EINVAL;
	}
	if (c->pool_min > c->pool_max) {
		pr_warn("%s: pool_min: %u is not 0-%u (0 to pool_max)\n", who,
			c->pool_min, c->pool_max);
		return -EINVAL;
	}
	if (c->release_delay_s > DVS_RELEASE_DELAY_MAX) {
		pr_warn("%s: release_delay_s: %u is not 0-%d\n", who,
			c->release_delay_s, DVS_RELEASE_DELAY_MAX);
		return -EINVAL;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(dvs_space_config_check);

/* All spaces, for unload checks. */
static DEFINE_MUTEX(dvs_lock);
static LIST_HEAD(dvs_spaces);

#define DVS_TICK	HZ	/* release, loss and pool decay checks */
/* Slabs a write binds at most when its slab is lost at submission */
#define DVS_WRITE_TRIES	4

u64 dvs_slab_size_of(const struct dvs_space *space)
{
	return 1ULL << space->geom.slab_shift;
}
EXPORT_SYMBOL_IF_RS_TEST(dvs_slab_size_of);

/*
 * A new slab's bookkeeping, in one allocation: the page map, the lost map
 * and, for a checked backend, the pages' sums (4 bytes a page: 64 KiB for a
 * slab of 64 MiB), and for an encrypted space their seals (24 bytes a
 * page: 384 KiB). The refill makes it as reclaim does (see
 * dvs_refill_work()): that much of the reserves for a slab that lets a
 * thousand times as much be swapped out.
 */
static struct dvs_slab *dvs_slab_new(struct dvs_space *space)
{
	u32 pages = space->geom.slab_pages;
	size_t longs = dvs_map_longs(pages);
	bool checked = space->ops->checked;
	struct dvs_slab *slab;
	size_t size;

	size = struct_size(slab, map, 2 * longs);
	if (checked)
		size += array_size(pages, sizeof(*slab->sums));
	/* after the sums: pages is a multiple of 512, they end 8-aligned */
	if (space->crypt)
		size += array_size(pages, sizeof(*slab->seals));
	slab = rs_kvzalloc(size, GFP_KERNEL);
	if (!slab)
		return NULL;
	slab->lostmap = slab->map + longs;
	if (checked)
		slab->sums = (u32 *)(slab->lostmap + longs);
	if (checked && space->crypt)
		slab->seals = (struct dvs_seal *)(slab->sums + pages);
	atomic_set(&slab->writing, 0);
	atomic_set(&slab->wseq, 0);
	slab->space = space;
	slab->slot = -1;
	INIT_LIST_HEAD(&slab->pool_entry);
	atomic_set(&slab->inflight, 0);
	return slab;
}

/* numbers spaces for the tracepoints */
static atomic_t dvs_space_ids = ATOMIC_INIT(0);

static void dvs_slab_put_back(struct dvs_slab *slab)
{
	slab->space->ops->free(slab);
	kvfree(slab);
}

/*
 * Slabs the pool should still cover: unbound slots, and bound ones whose
 * slab was lost (a write replaces it). space->lock held.
 */
static unsigned int dvs_pool_want(struct dvs_space *space)
{
	unsigned int unbound = space->geom.nr_slots - space->bound;

	return min(space->pool_target, unbound + space->bound_lost);
}

static void dvs_stat_max(atomic64_t *max, s64 v)
{
	s64 old = atomic64_read(max);

	while (v > old && !atomic64_try_cmpxchg(max, &old, v))
		;
}

/* Starts the refillers that are not running yet. */
static void dvs_refill_kick(struct dvs_space *space)
{
	int i;

	for (i = 0; i < DVS_REFILLERS; i++)
		queue_work(dvs_wq, &space->refill[i].work);
}

static void dvs_refill_cancel(struct dvs_space *space)
{
	int i;

	for (i = 0; i < DVS_REFILLERS; i++)
		cancel_work_sync(&space->refill[i].work);
}

/*
 * Swap writes to unbound slots wait for this work, so reclaim depends on
 * it: under global memory pressure an allocation that waited on reclaim
 * here would wait on itself (with GFP_NOIO it loops and never fails). It
 * runs as reclaim does (PF_MEMALLOC): its small allocations may use the
 * reserves and fail rather than wait; bulk memory opts out of the
 * reserves (__GFP_NOMEMALLOC, the dram backend).
 */
static void dvs_refill_work(struct work_struct *work)
{
	struct dvs_space *space = container_of(work, struct dvs_refiller,
					       work)->space;
	unsigned int noreclaim = memalloc_noreclaim_save();
	struct dvs_slab *slab;
	bool more;
	u64 t0, ns;
	int ret;

	for (;;) {
		spin_lock_irq(&space->lock);
		more = !space->dying &&
		       space->pooled + space->allocating < dvs_pool_want(space);
		if (more)
			space->allocating++;
		spin_unlock_irq(&space->lock);
		if (!more)
			break;
		slab = dvs_slab_new(space);
		if (!slab) {
			ret = -ENOMEM;
			goto failed;
		}
		t0 = ktime_get_ns();
		ret = space->ops->alloc(space, slab);
		if (ret) {
			kvfree(slab);
			goto failed;
		}
		ns = ktime_get_ns() - t0;
		atomic64_inc(&dvs_stats.allocs);
		atomic64_add(ns, &dvs_stats.alloc_ns_total);
		dvs_stat_max(&dvs_stats.alloc_ns_max, ns);
		spin_lock_irq(&space->lock);
		space->allocating--;
		list_add_tail(&slab->pool_entry, &space->pool);
		space->pooled++;
		space->refill_err = 0;
		spin_unlock_irq(&space->lock);
		atomic64_inc(&dvs_stats.slabs_pooled);
		wake_up_all(&space->pool_wait);
	}
	memalloc_noreclaim_restore(noreclaim);
	return;

failed:
	/* the tick retries: capacity may come later */
	atomic64_inc(&dvs_stats.alloc_failures);
	spin_lock_irq(&space->lock);
	space->allocating--;
	if (space->refill_err != ret)
		pr_warn("no slab for a space of %llu bytes: %pe\n",
			space->geom.size, ERR_PTR(ret));
	space->refill_err = ret;
	spin_unlock_irq(&space->lock);
	wake_up_all(&space->pool_wait);
	memalloc_noreclaim_restore(noreclaim);
}

void dvs_slab_mark_lost(struct dvs_slab *slab)
{
	struct dvs_space *space = slab->space;
	unsigned long flags;
	bool first;

	spin_lock_irqsave(&space->lock, flags);
	first = !slab->lost;
	slab->lost = true;
	if (first && slab->slot >= 0 && space->slots[slab->slot] == slab)
		space->bound_lost++;
	spin_unlock_irqrestore(&space->lock, flags);
	if (first) {
		atomic64_inc(&dvs_stats.slabs_lost);
		pr_warn("slab of slot %d lost: its storage is gone\n",
			slab->slot);
	}
}

/* Has the backend make the missing copies of degraded slabs again. */
static void dvs_repair_work(struct work_struct *work)
{
	struct dvs_space *space = container_of(work, struct dvs_space,
					       repair_work);
	unsigned int noio = memalloc_noio_save();
	struct dvs_slab *slab;
	u32 slot;
	int ret;

	for (slot = 0; slot < space->geom.nr_slots; slot++) {
		spin_lock_irq(&space->lock);
		slab = space->slots[slot];
		if (space->dying || !slab || !slab->degraded || slab->lost)
			slab = NULL;
		else
			atomic_inc(&slab->inflight);	/* stays bound */
		spin_unlock_irq(&space->lock);
		if (!slab) {
			if (READ_ONCE(space->dying))
				break;
			continue;
		}
		ret = space->ops->repair(slab);
		atomic_dec(&slab->inflight);
		/* no donor has room (or one is on its way back): next tick */
		if (ret == -ENOSPC || ret == -EAGAIN || ret == -ESHUTDOWN)
			break;
		if (ret)
			pr_warn_ratelimited("slab of slot %u: rebuild failed: %pe\n",
					    slot, ERR_PTR(ret));
	}
	memalloc_noio_restore(noio);
}

/*
 * Once a second: slabs that stayed empty go back, lost and degraded ones
 * are found, the pool target adapts and a failed refill is retried.
 */
static void dvs_tick_work(struct work_struct *work)
{
	struct dvs_space *space = container_of(to_delayed_work(work),
					       struct dvs_space, tick_work);
	unsigned long delay = (unsigned long)space->cfg.release_delay_s * HZ;
	struct dvs_slab *slab, *tmp, *gone[8];
	int n = 0, i, lost = 0, pooled_lost = 0;
	unsigned int degraded = 0;
	bool refill, kick;
	u32 slot;

	for (slot = 0; slot < space->geom.nr_slots; slot++) {
		enum dvs_health h;

		spin_lock_irq(&space->lock);
		slab = space->slots[slot];
		if (slab && !slab->lost)
			atomic_inc(&slab->inflight);	/* stays bound */
		else
			slab = NULL;
		spin_unlock_irq(&space->lock);
		if (!slab)
			continue;
		h = space->ops->check(slab);
		if (h == DVS_LOST)
			dvs_slab_mark_lost(slab);
		spin_lock_irq(&space->lock);
		slab->degraded = h == DVS_DEGRADED;
		degraded += slab->degraded;
		spin_unlock_irq(&space->lock);
		atomic_dec(&slab->inflight);
	}
	spin_lock_irq(&space->lock);
	atomic64_add((s64)degraded - space->degraded, &dvs_stats.slabs_degraded);
	space->degraded = degraded;
	for (slot = 0; slot < space->geom.nr_slots && n < ARRAY_SIZE(gone);
	     slot++) {
		slab = space->slots[slot];
		if (!slab || slab->used || slab->lost_pages ||
		    atomic_read(&slab->inflight) ||
		    time_before(jiffies, slab->empty_since + delay))
			continue;
		space->slots[slot] = NULL;
		space->bound--;
		if (slab->lost)
			space->bound_lost--;
		if (slab->degraded)
			space->degraded--;
		atomic64_dec(&dvs_stats.slabs_bound);
		gone[n++] = slab;
	}
	/* lost slabs a write replaced: freed once their I/O ended */
	list_for_each_entry_safe(slab, tmp, &space->dead, pool_entry) {
		if (n == ARRAY_SIZE(gone) || atomic_read(&slab->inflight))
			continue;
		list_del_init(&slab->pool_entry);
		gone[n++] = slab;
		lost++;
	}
	/*
	 * a lost pooled slab is dropped, the refill replaces it; one missing
	 * a copy is repaired once bound
	 */
	list_for_each_entry_safe(slab, tmp, &space->pool, pool_entry) {
		if (n == ARRAY_SIZE(gone) || space->ops->check(slab) != DVS_LOST)
			continue;
		list_del_init(&slab->pool_entry);
		space->pooled--;
		atomic64_dec(&dvs_stats.slabs_pooled);
		gone[n++] = slab;
		lost++;
		pooled_lost++;
	}
	space->pool_target = dvs_pool_target(space->pool_target,
					     space->cfg.pool_min,
					     space->cfg.pool_max,
					     space->missed, !space->binds);
	space->missed = false;
	space->binds = false;
	refill = space->pooled < dvs_pool_want(space);
	kick = !space->dying;
	spin_unlock_irq(&space->lock);

	for (i = 0; i < n; i++) {
		if (i < n - lost)
			atomic64_inc(&dvs_stats.slabs_released);
		trace_rackswap_slab_release(space->id, gone[i]->slot,
					    i < n - lost ? RACKSWAP_SLAB_EMPTY :
							   RACKSWAP_SLAB_LOST);
		dvs_slab_put_back(gone[i]);
	}
	if (pooled_lost) {
		atomic64_add(pooled_lost, &dvs_stats.slabs_lost);
		pr_warn("%d pooled slabs lost: dropped\n", pooled_lost);
	}
	if (refill && kick)
		dvs_refill_kick(space);
	if (degraded && kick && space->ops->repair)
		queue_work(dvs_wq, &space->repair_work);
	if (kick)
		queue_delayed_work(dvs_wq, &space->tick_work, DVS_TICK);
}

struct dvs_space *dvs_space_create(u64 size,
				   const struct dvs_space_config *c)
{
	struct dvs_space *space;
	int ret, i;

	ret = dvs_space_config_check(c, "dvs_space_create");
	if (ret)
		return ERR_PTR(ret);
	space = rs_kzalloc(sizeof(*space), GFP_KERNEL);
	if (!space)
		return ERR_PTR(-ENOMEM);
	space->cfg = *c;
	ret = dvs_geom_init(&space->geom, size, c->slab_size);
	if (ret) {
		pr_warn("space of %llu bytes: not a multiple of 4K, or more than 2^24 slabs of %llu bytes\n",
			size, c->slab_size);
		goto err;
	}
	space->slots = rs_kvcalloc(space->geom.nr_slots,
				   sizeof(*space->slots), GFP_KERNEL);
	if (!space->slots) {
		ret = -ENOMEM;
		goto err;
	}
	space->ops = c->backend == DVS_BACKEND_DRAM ? &dvs_dram_ops :
						      &dvs_rdma_ops;
	space->id = atomic_inc_return(&dvs_space_ids);
	/* before the first slab: each has the seals of its pages */
	ret = dvs_crypt_create(space);
	if (ret)
		goto err;
	spin_lock_init(&space->lock);
	INIT_LIST_HEAD(&space->pool);
	INIT_LIST_HEAD(&space->dead);
	space->pool_target = c->pool_min;
	init_waitqueue_head(&space->pool_wait);
	for (i = 0; i < DVS_REFILLERS; i++) {
		space->refill[i].space = space;
		INIT_WORK(&space->refill[i].work, dvs_refill_work);
	}
	INIT_WORK(&space->repair_work, dvs_repair_work);
	INIT_DELAYED_WORK(&space->tick_work, dvs_tick_work);
	mutex_lock(&dvs_lock);
	list_add_tail(&space->list, &dvs_spaces);
	mutex_unlock(&dvs_lock);
	dvs_refill_kick(space);
	queue_delayed_work(dvs_wq, &space->tick_work, DVS_TICK);
	return space;

err:
	kvfree(space->slots);
	kfree(space);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(dvs_space_create);

void dvs_space_destroy(struct dvs_space *space)
{
	struct dvs_slab *slab, *tmp;
	u32 slot;

	spin_lock_irq(&space->lock);
	space->dying = true;
	spin_unlock_irq(&space->lock);
	dvs_refill_cancel(space);
	cancel_work_sync(&space->repair_work);
	cancel_delayed_work_sync(&space->tick_work);
	/* the tick may have queued work before it saw dying */
	dvs_refill_cancel(space);
	cancel_work_sync(&space->repair_work);
	atomic64_sub(space->degraded, &dvs_stats.slabs_degraded);

	mutex_lock(&dvs_lock);
	list_del(&space->list);
	mutex_unlock(&dvs_lock);
	for (slot = 0; slot < space->geom.nr_slots; slot++) {
		if (!space->slots[slot])
			continue;
		atomic64_dec(&dvs_stats.slabs_bound);
		trace_rackswap_slab_release(space->id, slot,
					    RACKSWAP_SLAB_DESTROY);
		dvs_slab_put_back(space->slots[slot]);
	}
	list_for_each_entry_safe(slab, tmp, &space->pool, pool_entry) {
		atomic64_dec(&dvs_stats.slabs_pooled);
		dvs_slab_put_back(slab);
	}
	list_for_each_entry_safe(slab, tmp, &space->dead, pool_entry)
		dvs_slab_put_back(slab);
	/* the key goes with the space */
	dvs_crypt_destroy(space);
	kvfree(space->slots);
	kfree(space);
}
EXPORT_SYMBOL_GPL(dvs_space_destroy);

static bool dvs_pool_full(struct dvs_space *space)
{
	bool full;

	spin_lock_irq(&space->lock);
	full = space->pooled >= dvs_pool_want(space);
	spin_unlock_irq(&space->lock);
	return full;
}

unsigned int dvs_space_degraded(struct dvs_space *space)
{
	return READ_ONCE(space->degraded);
}
EXPORT_SYMBOL_GPL(dvs_space_degraded);

bool dvs_space_growing(struct dvs_space *space)
{
	int err = READ_ONCE(space->refill_err);

	/*
	 * -EAGAIN: a donor is reconnecting (the backend's transient no);
	 * -ENOMEM: the reserves ran dry for a moment (the tick retries)
	 */
	return !err || err == -EAGAIN || err == -ENOMEM;
}
EXPORT_SYMBOL_GPL(dvs_space_growing);

int dvs_space_fill_wait(struct dvs_space *space, unsigned int timeout_ms)
{
	dvs_refill_kick(space);
	if (!wait_event_timeout(space->pool_wait, dvs_pool_full(space),
				msecs_to_jiffies(timeout_ms)))
		return -ETIMEDOUT;
	return 0;
}
EXPORT_SYMBOL_GPL(dvs_space_fill_wait);

/*
 * A slab from the pool for @slot, or NULL when the pool is empty (the
 * refill is kicked: *@kick). space->lock held.
 */
static struct dvs_slab *dvs_pool_take(struct dvs_space *space, u32 slot,
				      bool *kick)
{
	struct dvs_slab *slab;

	slab = list_first_entry_or_null(&space->pool, struct dvs_slab,
					pool_entry);
	if (!slab) {
		/* a burst: the refill catches up with a larger pool */
		if (!space->missed)
			space->pool_target = dvs_pool_target(space->pool_target,
							     space->cfg.pool_min,
							     space->cfg.pool_max,
							     true, false);
		space->missed = true;
		atomic64_inc(&dvs_stats.pool_misses);
		*kick = true;
		return NULL;
	}
	list_del_init(&slab->pool_entry);
	space->pooled--;
	space->binds = true;
	slab->slot = slot;
	space->slots[slot] = slab;
	*kick = space->pooled * 2 < dvs_pool_want(space) + 1;
	trace_rackswap_slab_bind(space->id, slot, space->cfg.backend);
	atomic64_inc(&dvs_stats.pool_hits);
	atomic64_dec(&dvs_stats.slabs_pooled);
	return slab;
}

/*
 * A write to lost slab @old: a slab from the pool takes its place; the
 * pages @old held stay lost (reads fail) until written or discarded. @old
 * is freed once its I/O ended. space->lock held; NULL: the pool is empty.
 */
static struct dvs_slab *dvs_rebind_lost(struct dvs_space *space,
					struct dvs_slab *old, bool *kick)
{
	u32 pages = space->geom.slab_pages;
	struct dvs_slab *slab;
	size_t i;

	slab = dvs_pool_take(space, old->slot, kick);
	if (!slab)
		return NULL;
	for (i = 0; i < dvs_map_longs(pages); i++)
		slab->lostmap[i] = old->map[i] | old->lostmap[i];
	slab->lost_pages = dvs_map_count(slab->lostmap, 0, pages);
	list_add_tail(&old->pool_entry, &space->dead);
	space->bound_lost--;
	if (old->degraded)
		space->degraded--;
	atomic64_inc(&dvs_stats.slabs_rebound);
	pr_info("slot %d: a new slab replaces the lost one (%u pages stay lost until written)\n",
		old->slot, slab->lost_pages);
	return slab;
}

/*
 * The slab of @io's slot: bound now from the pool for a write (or, for a
 * write, in place of a lost one). Marks the pages a write covers in use
 * and counts the I/O in flight. Returns the slab, NULL (a read of
 * never-written pages), or an ERR_PTR.
 */
static struct dvs_slab *dvs_io_slab(struct dvs_space *space,
				    struct dvs_io *io, u32 slot)
{
	u32 first = io->slab_off >> DVS_PAGE_SHIFT;
	u32 pages = io->len >> DVS_PAGE_SHIFT;
	struct dvs_slab *slab;
	unsigned long flags;
	bool kick = false;

	spin_lock_irqsave(&space->lock, flags);
	slab = space->slots[slot];
	if (!slab && io->write) {
		slab = dvs_pool_take(space, slot, &kick);
		if (!slab) {
			slab = ERR_PTR(-ENOSPC);
			goto out;
		}
		space->bound++;
		atomic64_inc(&dvs_stats.slabs_bound);
	} else if (slab && slab->lost && io->write) {
		slab = dvs_rebind_lost(space, slab, &kick);
		if (!slab) {
			slab = ERR_PTR(-ENOSPC);
			goto out;
		}
	}
	if (!slab)
		goto out;
	if (slab->lost ||
	    (slab->lost_pages && !io->write &&
	     dvs_map_any(slab->lostmap, first, pages))) {
		slab = ERR_PTR(-EIO);
		goto out;
	}
	io->holes = false;
	if (io->write) {
		slab->used += dvs_map_set(slab->map, first, pages);
		if (slab->lost_pages)
			slab->lost_pages -= dvs_map_clear(slab->lostmap, first,
							  pages);
	} else {
		u32 in_use = dvs_map_count(slab->map, first, pages);

		if (!in_use) {
			slab = NULL;
			goto out;
		}
		io->holes = in_use < pages;
	}
	atomic_inc(&slab->inflight);
out:
	spin_unlock_irqrestore(&space->lock, flags);
	if (kick)
		dvs_refill_kick(space);
	return slab;
}

int dvs_io_submit(struct dvs_space *space, struct dvs_io *io)
{
	unsigned int tries = 0;
	struct dvs_slab *slab;
	u32 slot;
	int ret;

	io->bad_pages = 0;
	if (!io->nents || io->nents > KRDMA_IO_MAX_SGE ||
	    io->len > DVS_CHUNK_SIZE)
		return -EINVAL;
	ret = dvs_locate(&space->geom, io->offset, io->len, &slot,
			 &io->slab_off);
	if (ret)
		return ret;
	ret = dvs_crypt_io_check(space, io);
	if (ret)
		return ret;
	io->sealed = false;
again:
	slab = dvs_io_slab(space, io, slot);
	if (IS_ERR(slab))
		return PTR_ERR(slab);
	if (!slab) {
		/* never written: zeros, no traffic */
		sg_zero_buffer(io->sg, io->nents, io->len, 0);
		io->done(io, 0);
		return 0;
	}
	io->space = space;
	io->slab = slab;
	io->status = 0;
	dvs_io_sums_begin(io);
	ret = space->ops->submit(io);
	if (ret) {
		atomic_dec(&slab->inflight);
		if (dvs_status_gone(ret) || ret == -EIO) {
			dvs_slab_mark_lost(slab);
			ret = -EIO;
			/* a write binds the slab that replaces it (a pooled
			 * one may be on the same dead donor: a few tries)
			 */
			if (io->write && ++tries < DVS_WRITE_TRIES)
				goto again;
		}
	}
	return ret;
}
EXPORT_SYMBOL_GPL(dvs_io_submit);

/*
 * A read over pages never written or discarded: those read as zeros, not
 * as what the storage still holds there.
 */
static void dvs_zero_holes(struct dvs_io *io)
{
	struct dvs_space *space = io->space;
	u32 first = io->slab_off >> DVS_PAGE_SHIFT;
	u32 i, pages = io->len >> DVS_PAGE_SHIFT;
	unsigned long flags;

	spin_lock_irqsave(&space->lock, flags);
	for (i = 0; i < pages; i++)
		if (!dvs_map_any(io->slab->map, first + i, 1))
			sg_zero_buffer(io->sg, io->nents, PAGE_SIZE,
				       (size_t)i << DVS_PAGE_SHIFT);
	spin_unlock_irqrestore(&space->lock, flags);
}

/* The backend is done with @io: it completes. Any context. */
void dvs_io_end(struct dvs_io *io, int status)
{
	struct dvs_slab *slab = io->slab;

	if (dvs_status_gone(status)) {
		dvs_slab_mark_lost(slab);
		/* a write's data is still whole: its submitter sends it again */
		status = io->write ? -EAGAIN : -EIO;
	}
	if (!status && io->holes)
		dvs_zero_holes(io);
	dvs_io_sums_end(io);
	dvs_io_bounce_put(io);
	atomic_dec(&slab->inflight);
	io->done(io, status);
}

/* Is any page of [@first, @first + @n) of @slab in use? */
bool dvs_slab_any_used(struct dvs_slab *slab, u32 first, u32 n)
{
	unsigned long flags;
	bool any;

	spin_lock_irqsave(&slab->space->lock, flags);
	any = dvs_map_any(slab->map, first, n);
	spin_unlock_irqrestore(&slab->space->lock, flags);
	return any;
}

int dvs_discard(struct dvs_space *space, u64 offset, u64 len)
{
	u64 end = offset + len, slab_size = dvs_slab_size_of(space);
	struct dvs_slab *slab;
	unsigned long flags;
	u32 slot, first, n;
	u64 slab_off, piece;

	if (!len || (offset | len) & (PAGE_SIZE - 1) || end < offset ||
	    end > space->geom.size)
		return -EINVAL;
	spin_lock_irqsave(&space->lock, flags);
	while (offset < end) {
		slot = offset >> space->geom.slab_shift;
		slab_off = offset & (slab_size - 1);
		piece = min(end - offset, slab_size - slab_off);
		slab = space->slots[slot];
		n = dvs_discard_pages(slab_off, piece, &first);
		if (slab && slab->lost_pages)
			slab->lost_pages -= dvs_map_clear(slab->lostmap, first,
							  n);
		if (slab && slab->used) {
			slab->used -= dvs_map_clear(slab->map, first, n);
			if (!slab->used)
				slab->empty_since = jiffies;
		}
		offset += piece;
	}
	spin_unlock_irqrestore(&space->lock, flags);
	return 0;
}
EXPORT_SYMBOL_GPL(dvs_discard);

int dvs_init(void)
{
	int ret;

	dvs_wq = alloc_workqueue("dvs", WQ_MEM_RECLAIM | WQ_HIGHPRI, 0);
	if (!dvs_wq)
		return -ENOMEM;
	ret = dvs_donor_init();
	if (ret)
		goto err_wq;
	ret = dvs_sysfs_init();
	if (ret)
		goto err_donor;
	return 0;

err_donor:
	dvs_donor_exit();
err_wq:
	destroy_workqueue(dvs_wq);
	return ret;
}

void dvs_exit(void)
{
	dvs_sysfs_exit();
	dvs_donor_exit();
	WARN_ON(!list_empty(&dvs_spaces));
	dvs_rdma_exit();
	destroy_workqueue(dvs_wq);
}
