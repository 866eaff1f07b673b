/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dvs internals, shared by dvs-space.c (spaces, pool, binding), dvs-sums.c
 * (the pages' checksums), dvs-crypt.c (their encryption), the backends
 * (dvs-rdma.c with dvs-rebuild.c, dvs-dram.c), dvs-donor.c, dvs-sysfs.c,
 * dvs-test.c and dvs-rogue.c.
 */
#ifndef _RACKSWAP_DVS_PRIV_H
#define _RACKSWAP_DVS_PRIV_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <linux/dvs.h>
#include "dvs-map.h"

struct seq_file;

/* An encrypted space's pages: the tag of AES-256-GCM */
#define DVS_TAG_SIZE	16

/*
 * What decrypts a page of an encrypted space: its last write's nonce (the
 * space's counter then; 0: never encrypted) and tag. 24 bytes a page.
 */
struct dvs_seal {
	u64	nonce;
	u8	tag[DVS_TAG_SIZE];
};

/* A slab of a space: pooled (slot < 0) or bound to a slot. */
struct dvs_slab {
	struct dvs_space	*space;
	/* the fields below to @lostmap (and the maps): space->lock */
	struct list_head	pool_entry;	/* on space->pool while pooled */
	int			slot;
	u32			used;		/* pages set in @map */
	unsigned long		empty_since;	/* jiffies: used fell to 0 */
	bool			lost;		/* its storage is gone */
	bool			degraded;	/* misses a copy: to rebuild */
	u32			lost_pages;	/* set in @lostmap */
	/* pages lost with the lost slab it replaced: their reads fail */
	unsigned long		*lostmap;
	atomic_t		inflight;	/* I/Os submitted, not done */
	void			*bpriv;		/* the backend's */
	/*
	 * The crc32c of each page's last write (0: none yet), when its
	 * backend is checked (else NULL; see dvs_io_sum()); the same for all
	 * copies, a rebuilt one too. Set by the write's submission and
	 * read by the completion of the reads, WRITE_ONCE/READ_ONCE, no
	 * lock. A read that raced a write of the slab (@writing, @wseq:
	 * atomic) reads again rather than call a mismatch corrupt.
	 */
	u32			*sums;
	/*
	 * An encrypted space's: each page's seal (else NULL), set and read
	 * as @sums are (a torn one is a mismatch of a raced read)
	 */
	struct dvs_seal		*seals;
	atomic_t		writing;	/* writes summed, not done */
	atomic_t		wseq;		/* writes summed since bound */
	unsigned long		map[];		/* pages in use */
};

/* A slab's storage as its backend finds it. */
enum dvs_health {
	DVS_HEALTHY,
	DVS_DEGRADED,	/* some copy is missing: ->repair() makes it again */
	DVS_LOST,	/* no copy is left */
};

/* What a backend does; each op in process context unless said. */
struct dvs_backend_ops {
	const char	*name;
	/* new zeroed storage of one slab into slab->bpriv; may sleep */
	int		(*alloc)(struct dvs_space *space, struct dvs_slab *slab);
	void		(*free)(struct dvs_slab *slab);
	/*
	 * starts @io on slab io->slab at io->slab_off; never sleeps; ends it
	 * with dvs_io_end() once started
	 */
	int		(*submit)(struct dvs_io *io);
	/* looks at the slab's storage; never sleeps */
	enum dvs_health	(*check)(struct dvs_slab *slab);
	/* makes the missing copies again (optional); may sleep */
	int		(*repair)(struct dvs_slab *slab);
	/* its reads are checked against the pages' sums (slab->sums) */
	bool		checked;
};

extern const struct dvs_backend_ops dvs_rdma_ops;
extern const struct dvs_backend_ops dvs_dram_ops;

/* allocations a space's refill keeps in flight at most */
#define DVS_REFILLERS	4

struct dvs_refiller {
	struct work_struct	work;		/* dvs_wq */
	struct dvs_space	*space;		/* const */
};

struct dvs_crypt;

struct dvs_space {
	const struct dvs_backend_ops *ops;
	/* const: its pages' encryption (dvs-crypt.c), NULL when off */
	struct dvs_crypt	*crypt;
	/*
	 * const: the settings it was made with (slab size, backend, copies
	 * of each slab, pool bounds, release delay), copied by
	 * dvs_space_create(); read without a lock
	 */
	struct dvs_space_config	cfg;
	unsigned int		id;		/* const; in tracepoints */
	struct dvs_geom		geom;		/* const */
	struct list_head	list;		/* on dvs_spaces; dvs_lock */

	spinlock_t		lock;	/* protects the fields below */
	struct dvs_slab		**slots;
	struct list_head	pool;
	struct list_head	dead;	/* lost slabs replaced, I/O ending */
	unsigned int		pooled;
	unsigned int		allocating;	/* by the refillers now */
	unsigned int		bound;
	/* bound slabs lost: each takes a pool slab at its next write */
	unsigned int		bound_lost;
	unsigned int		pool_target;
	bool			missed;		/* a bind found the pool empty */
	bool			binds;		/* binds since the last tick */
	bool			dying;
	unsigned int		degraded;	/* bound slabs missing a copy */

	wait_queue_head_t	pool_wait;	/* the refill added a slab */
	struct dvs_refiller	refill[DVS_REFILLERS];
	struct work_struct	repair_work;	/* dvs_wq: degraded slabs */
	struct delayed_work	tick_work;	/* release, loss, decay */
	int			refill_err;	/* of the last attempt */
};

/* Module-wide counters: atomic, no lock. */
struct dvs_stats {
	atomic64_t	slabs_bound;	/* now bound to slots */
	atomic64_t	slabs_pooled;	/* now in pools */
	atomic64_t	slabs_released;	/* given back after they emptied */
	atomic64_t	slabs_lost;	/* found lost */
	atomic64_t	pool_hits;	/* first writes served from the pool */
	atomic64_t	pool_misses;	/* ... that found it empty */
	atomic64_t	allocs;		/* slabs allocated by backends */
	atomic64_t	alloc_failures;
	atomic64_t	alloc_ns_total;
	atomic64_t	alloc_ns_max;
	atomic64_t	copies_dropped;	/* copies given up (donor lost, stale) */
	atomic64_t	copies_rebuilt;	/* copies made again from another */
	atomic64_t	rebuild_bytes;	/* copied by the rebuilds */
	atomic64_t	rebuild_ms;	/* spent in rebuilds */
	atomic64_t	slabs_degraded;	/* now missing a copy */
	atomic64_t	slabs_rebound;	/* lost slabs replaced on a write */
	atomic64_t	frees_deferred;	/* frees kept until a donor was back */
	atomic64_t	requests_refused; /* donor: ALLOC/FREE/STAT refused */
	/* donor: ALLOCs refused: the client would hold over client_limit_mb */
	atomic64_t	quota_refused;
};

extern struct dvs_stats dvs_stats;
extern struct workqueue_struct *dvs_wq;	/* WQ_MEM_RECLAIM | WQ_HIGHPRI */

/* settings in /sys/kernel/rackswap/dvs/: READ_ONCE/WRITE_ONCE, no lock */
extern unsigned int dvs_grace_period_s;		/* dvs-donor.c */
extern unsigned int dvs_client_limit_mb;	/* dvs-donor.c */
extern unsigned int dvs_rebuild_rate_mb;	/* dvs-rebuild.c */

/*
 * Errors that say an I/O's storage is gone for good (its donor was closed
 * or its grant is void), not a slow donor.
 */
static inline bool dvs_status_gone(int status)
{
	return status == -ENXIO || status == -ENOTCONN;
}

/*
 * Test hooks (CONFIG_RACKSWAP_TEST only), set by the test module; defined
 * in dvs-space.c. Atomic, or written and read once at a time.
 * @skip_verify: page integrity off (dvs-sums.c): writes compute no sums
 *	(their pages' sums are cleared: unchecked) and reads check none.
 *	The negative controls corrupt data below dvs to show that the
 *	suite's own data checks see it, with dvs's check out of their way;
 *	make bench measures the data path without integrity.
 * @alloc_lies, @alloc_lie_peer: the next @alloc_lies ALLOC answers to peer
 *	@alloc_lie_peer name their first chunk's grant for their last chunk
 *	too (dvs-donor.c), so that a test shows a client refuses them.
 */
struct dvs_test_hooks {
	bool			skip_verify;
	int			alloc_lie_peer;
	atomic_t		alloc_lies;
};

#if IS_ENABLED(CONFIG_RACKSWAP_TEST)
extern struct dvs_test_hooks dvs_test_hooks;
#define dvs_test_hook(field)	READ_ONCE(dvs_test_hooks.field)
#else
#define dvs_test_hook(field)	0
#endif

/* dvs-space.c */
void dvs_io_end(struct dvs_io *io, int status);
bool dvs_slab_any_used(struct dvs_slab *slab, u32 first, u32 n);
void dvs_slab_mark_lost(struct dvs_slab *slab);
u64 dvs_slab_size_of(const struct dvs_space *space);

/* dvs-sums.c */
void dvs_io_sums_begin(struct dvs_io *io);
void dvs_io_sums_end(struct dvs_io *io);
void dvs_io_sum(struct dvs_io *io);
u32 dvs_pages_check(struct dvs_slab *slab, u64 slab_off,
		    struct scatterlist *sg, unsigned int nents, u32 len,
		    u32 *first_bad);
bool dvs_io_raced(struct dvs_io *io);

/* dvs-crypt.c */
int dvs_crypt_create(struct dvs_space *space);
void dvs_crypt_destroy(struct dvs_space *space);
int dvs_crypt_io_check(struct dvs_space *space, struct dvs_io *io);
int dvs_io_bounce_get(struct dvs_io *io);
void dvs_io_bounce_put(struct dvs_io *io);
void dvs_io_seal(struct dvs_io *io);
u32 dvs_pages_open(struct dvs_slab *slab, u64 slab_off,
		   struct scatterlist *sg, unsigned int nents, u32 len,
		   struct page *out, u32 *first_bad);

/* dvs-rdma.c */
void dvs_rdma_exit(void);

/* dvs-rebuild.c */
int dvs_rdma_repair(struct dvs_slab *slab);
int dvs_set_rebuild_rate(const char *val);

/* dvs-donor.c */
int dvs_donor_init(void);
void dvs_donor_exit(void);
u64 dvs_donor_limit(void);
int dvs_donor_set_limit(const char *val);
u64 dvs_donor_granted(void);
u64 dvs_donor_free(void);
u64 dvs_donor_granted_slabs(void);
ssize_t dvs_donor_holders(char *buf, size_t size);
/* tests only (CONFIG_RACKSWAP_TEST): a CRC of each slab donated */
void dvs_donor_sums(struct seq_file *m);
/* ... and @fn on every page of a slab donated, or of all */
int dvs_donor_walk(int nth, void (*fn)(u8 *page, void *arg), void *arg,
		   u64 *slabs, u64 *pages);
int dvs_set_grace(const char *val);
int dvs_set_client_limit(const char *val);

/* dvs-sysfs.c */
int dvs_sysfs_init(void);
void dvs_sysfs_exit(void);

/* dvs-space.c: the module's start and stop (dvs-main.c) */
int dvs_init(void);
void dvs_exit(void);

#endif /* _RACKSWAP_DVS_PRIV_H */
