// SPDX-License-Identifier: GPL-2.0
/*
 * krdma: test and benchmark code for one-sided RDMA, driven through
 * /sys/kernel/debug/rackswap_test/krdma/ (not ABI):
 *
 *   test_grant_pages	pages a peer may get per RS_TEST_OP_GRANT; 0
 *			(default) refuses them all
 *   rdma_test		"<peer> <threads> <pages> <rounds> <qd> [<pages
 *			per I/O> [<deadline ms> [<ungrant 0|1>]]]": each
 *			thread gets a grant of <pages> from the peer, then
 *			per round writes random contents to all of them and
 *			reads them back, <qd> I/Os in flight, and verifies
 *			every word; read it for the results
 *   test_forge		"<peer>" (loopback mode): a forged key and a stale
 *			key must reach nothing; read it for the results
 *   test_rogue_rdma	"<peer>" (loopback mode): RDMA outside a grant
 *			(past, across, before it; keys one off; a
 *			destroyed grant's key) must fail and change
 *			nothing; read it for the results
 *   test_qp_error	"<peer>": moves the peer's data QPs to the error
 *			state, as soft-RoCE may do by itself: no error
 *			completion, no event, only flushes
 */
#include <linux/crc32.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/random.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#include "test.h"

static u32 krdma_test_grant_pages;

#define TEST_MAX_THREADS	16
#define TEST_MAX_QD		64
#define TEST_MAX_LAT		(256 * 1024)	/* samples per direction */

/* --- the donor side: pages granted to a peer on its request ----------- */

struct test_grant {
	struct list_head	list;	/* on test_grants */
	struct krdma_grant	*grant;
	struct krdma_peer	*peer;
	struct sg_table		sgt;
	u32			npages;
	bool			is_void;	/* test_grants_lock */
};

static LIST_HEAD(test_grants);
static DEFINE_MUTEX(test_grants_lock);
static void test_grants_gc(struct work_struct *work);
static DECLARE_WORK(test_gc_work, test_grants_gc);

static void test_grant_free(struct test_grant *tg)
{
	struct sg_page_iter it;

	if (tg->grant)
		krdma_grant_destroy(tg->grant);
	for_each_sgtable_page(&tg->sgt, &it, 0)
		__free_page(sg_page_iter_page(&it));
	sg_free_table(&tg->sgt);
	kfree(tg);
}

/* Called under the peer's grant_lock: no krdma_grant_* call here. */
static void test_grant_voided(struct krdma_grant *g, void *priv)
{
	struct test_grant *tg = priv;

	WRITE_ONCE(tg->is_void, true);
	queue_work(system_wq, &test_gc_work);
}

static void test_grants_gc(struct work_struct *work)
{
	struct test_grant *tg, *tmp;
	LIST_HEAD(dead);

	mutex_lock(&test_grants_lock);
	list_for_each_entry_safe(tg, tmp, &test_grants, list)
		if (READ_ONCE(tg->is_void))
			list_move(&tg->list, &dead);
	mutex_unlock(&test_grants_lock);
	list_for_each_entry_safe(tg, tmp, &dead, list)
		test_grant_free(tg);
}

static struct test_grant *test_grant_alloc(struct krdma_peer *peer,
					   u32 npages)
{
	struct test_grant *tg;
	struct scatterlist *sg;
	int i;

	tg = kzalloc(sizeof(*tg), GFP_KERNEL);
	if (!tg)
		return NULL;
	if (sg_alloc_table(&tg->sgt, npages, GFP_KERNEL)) {
		kfree(tg);
		return NULL;
	}
	for_each_sgtable_sg(&tg->sgt, sg, i) {
		struct page *page = alloc_page(GFP_KERNEL | __GFP_ZERO);

		if (!page) {
			tg->sgt.orig_nents = i;
			test_grant_free(tg);
			return NULL;
		}
		sg_set_page(sg, page, PAGE_SIZE, 0);
	}
	tg->peer = peer;
	tg->npages = npages;
	tg->grant = krdma_grant_create(peer, &tg->sgt, test_grant_voided, tg);
	if (IS_ERR(tg->grant)) {
		tg->grant = NULL;
		test_grant_free(tg);
		return NULL;
	}
	return tg;
}

static int test_grant_handler(struct krdma_peer *peer, const void *req,
			      u32 len, void *resp, u32 *resp_len)
{
	const struct rs_test_grant_req *rq = req;
	struct krdma_grant_desc *d = resp;
	struct test_grant *tg;
	u32 pages;

	if (len < sizeof(*rq) || *resp_len < sizeof(*d))
		return -EINVAL;
	pages = le32_to_cpu(rq->pages);
	if (!pages || pages > READ_ONCE(krdma_test_grant_pages)) {
		pr_warn("peer %d asked for a test grant of %u pages: test_grant_pages allows %u\n",
			peer->id, pages, READ_ONCE(krdma_test_grant_pages));
		return -EPERM;
	}
	tg = test_grant_alloc(peer, pages);
	if (!tg)
		return -ENOMEM;
	mutex_lock(&test_grants_lock);
	list_add_tail(&tg->list, &test_grants);
	mutex_unlock(&test_grants_lock);
	/* the keys: the caller asks KRDMA_OP_GRANTS, like any remote */
	memset(d, 0, sizeof(*d));
	d->id = cpu_to_le32(krdma_grant_id(tg->grant));
	d->len = cpu_to_le64(krdma_grant_len(tg->grant));
	*resp_len = sizeof(*d);
	return 0;
}

static int test_ungrant_handler(struct krdma_peer *peer, const void *req,
				u32 len, void *resp, u32 *resp_len)
{
	const struct rs_test_ungrant_req *rq = req;
	struct test_grant *tg, *found = NULL;

	*resp_len = 0;
	if (len < sizeof(*rq))
		return -EINVAL;
	mutex_lock(&test_grants_lock);
	list_for_each_entry(tg, &test_grants, list) {
		if (tg->peer == peer && !READ_ONCE(tg->is_void) &&
		    krdma_grant_id(tg->grant) == le32_to_cpu(rq->id)) {
			found = tg;
			list_del(&tg->list);
			break;
		}
	}
	mutex_unlock(&test_grants_lock);
	if (!found)
		return -ENOENT;
	test_grant_free(found);
	return 0;
}

/* --- the client side: many threads, verified pages --------------------- */

struct test_io {
	struct krdma_io		io;
	struct scatterlist	sg[KRDMA_IO_MAX_SGE];
	struct test_thread	*th;
	u64			t0;
	u32			first;	/* page index */
	bool			busy;
};

struct rdma_test {
	struct krdma_peer	*peer;
	u32			threads, pages, rounds, qd, seg, deadline_ms;
	bool			ungrant;
	atomic64_t		ios, ok, errors, mismatches;
	atomic64_t		touched;	/* a failed read's page changed */
	atomic_t		first_error;
	u32			*lat[2];	/* [0] reads, [1] writes, us */
	atomic_t		nlat[2];
	atomic64_t		ns[2];		/* busy time per direction */
	atomic64_t		bytes[2];
	atomic_t		running;
	struct completion	done;
};

struct test_thread {
	struct rdma_test	*t;
	int			index;
	wait_queue_head_t	wq;
	atomic_t		completed;
	struct test_io		ios[TEST_MAX_QD];
	struct page		**src, **dst;
	u8			*failed;	/* per page: its read failed */
	struct krdma_remote	*remote;
	u32			grant_id;
};

static DEFINE_MUTEX(rdma_test_lock);	/* one run at a time; the result */
static char rdma_test_result[512] = "no test run yet\n";

static void test_io_done(struct krdma_io *io, int status)
{
	struct test_io *tio = container_of(io, struct test_io, io);
	struct test_thread *th = tio->th;
	struct rdma_test *t = th->t;
	int dir = io->write;
	int n;

	if (status) {
		atomic64_inc(&t->errors);
		atomic_cmpxchg(&t->first_error, 0, status);
		/* 1: the read failed; 2: the write did: nothing to compare */
		memset(th->failed + tio->first, io->write ? 2 : 1, io->nents);
	} else {
		atomic64_inc(&t->ok);
		n = atomic_inc_return(&t->nlat[dir]) - 1;
		if (n < TEST_MAX_LAT)
			t->lat[dir][n] = div_u64(ktime_get_ns() - tio->t0,
						 NSEC_PER_USEC);
	}
	WRITE_ONCE(tio->busy, false);
	atomic_inc(&th->completed);
	wake_up(&th->wq);
}

/* One pass over the thread's pages: write @src or read into @dst. */
static void test_pass(struct test_thread *th, bool write)
{
	struct rdma_test *t = th->t;
	u32 next = 0, inflight = 0, q;
	u64 t0 = ktime_get_ns();
	int ret;

	while (next < t->pages || inflight) {
		for (q = 0; q < t->qd && next < t->pages; q++) {
			struct test_io *tio = &th->ios[q];
			u32 n = min(t->seg, t->pages - next), i;

			if (READ_ONCE(tio->busy))
				continue;
			sg_init_table(tio->sg, n);
			for (i = 0; i < n; i++)
				sg_set_page(&tio->sg[i], write ?
					    th->src[next + i] : th->dst[next + i],
					    PAGE_SIZE, 0);
			tio->io.remote = th->remote;
			tio->io.offset = (u64)next << PAGE_SHIFT;
			tio->io.sg = tio->sg;
			tio->io.nents = n;
			tio->io.len = n << PAGE_SHIFT;
			tio->io.write = write;
			tio->io.deadline = jiffies +
					   msecs_to_jiffies(t->deadline_ms);
			tio->io.done = test_io_done;
			tio->th = th;
			tio->t0 = ktime_get_ns();
			tio->first = next;
			tio->busy = true;
			atomic64_inc(&t->ios);
			ret = krdma_io_submit(&tio->io);
			if (ret) {
				tio->busy = false;
				atomic64_inc(&t->errors);
				atomic_cmpxchg(&t->first_error, 0, ret);
				memset(th->failed + next, write ? 2 : 1, n);
			} else {
				inflight++;
			}
			next += n;
		}
		if (!inflight)
			continue;	/* every submission failed: go on */
		krdma_io_wait(&th->wq, &th->completed);
		inflight -= atomic_xchg(&th->completed, 0);
	}
	atomic64_add(ktime_get_ns() - t0, &t->ns[write]);
	atomic64_add((u64)t->pages << PAGE_SHIFT, &t->bytes[write]);
}

/* Fills @page with words from the xorshift state @x. */
static void test_fill(struct page *page, u64 *x)
{
	u64 *w = page_address(page);
	int i;

	for (i = 0; i < PAGE_SIZE / sizeof(u64); i++) {
		*x ^= *x << 13;
		*x ^= *x >> 7;
		*x ^= *x << 17;
		w[i] = *x;
	}
}

/*
 * A page read back must equal what was written; a page whose read failed
 * must not have been touched since the read ended.
 */
static void test_check_page(struct test_thread *th, u32 round, u32 i)
{
	struct rdma_test *t = th->t;

	if (th->failed[i] == 2)
		return;
	if (th->failed[i]) {
		if (memchr_inv(page_address(th->dst[i]), 0xa5, PAGE_SIZE)) {
			atomic64_inc(&t->touched);
			pr_warn_ratelimited("rdma_test: thread %d round %u page %u changed after its read failed\n",
					    th->index, round, i);
		}
		return;
	}
	if (memcmp(page_address(th->src[i]), page_address(th->dst[i]),
		   PAGE_SIZE)) {
		atomic64_inc(&t->mismatches);
		pr_warn_ratelimited("rdma_test: thread %d round %u page %u differs\n",
				    th->index, round, i);
	}
}

static int test_thread_setup(struct test_thread *th)
{
	struct rdma_test *t = th->t;
	struct rs_test_grant_req rq = { .pages = cpu_to_le32(t->pages) };
	struct krdma_grant_desc d;
	u32 i, len;
	int ret;

	th->src = kcalloc(t->pages, sizeof(*th->src), GFP_KERNEL);
	th->dst = kcalloc(t->pages, sizeof(*th->dst), GFP_KERNEL);
	th->failed = kzalloc(t->pages, GFP_KERNEL);
	if (!th->src || !th->dst || !th->failed)
		return -ENOMEM;
	for (i = 0; i < t->pages; i++) {
		th->src[i] = alloc_page(GFP_KERNEL);
		th->dst[i] = alloc_page(GFP_KERNEL);
		if (!th->src[i] || !th->dst[i])
			return -ENOMEM;
	}
	ret = krdma_call(t->peer, RS_TEST_OP_GRANT, &rq, sizeof(rq), &d,
			 sizeof(d), &len, 0);
	if (!ret && len != sizeof(d))
		ret = -EPROTO;
	if (ret)
		return ret;
	th->grant_id = le32_to_cpu(d.id);
	return krdma_remote_open(t->peer, th->grant_id, &th->remote);
}

static void test_thread_cleanup(struct test_thread *th)
{
	struct rdma_test *t = th->t;
	struct rs_test_ungrant_req rq = { .id = cpu_to_le32(th->grant_id) };
	u32 i, len;

	if (th->remote)
		krdma_remote_close(th->remote);
	if (th->grant_id && t->ungrant)
		krdma_call(t->peer, RS_TEST_OP_UNGRANT, &rq, sizeof(rq),
			   NULL, 0, &len, 0);
	for (i = 0; th->src && th->dst && i < t->pages; i++) {
		if (th->src[i])
			__free_page(th->src[i]);
		if (th->dst[i])
			__free_page(th->dst[i]);
	}
	kfree(th->src);
	kfree(th->dst);
	kfree(th->failed);
}

static int rdma_test_fn(void *arg)
{
	struct test_thread *th = arg;
	struct rdma_test *t = th->t;
	u64 seed = 0x9e3779b97f4a7c15ULL * (th->index + 1) + get_random_u64();
	u32 r, i;
	int ret;

	ret = test_thread_setup(th);
	if (ret) {
		atomic64_inc(&t->errors);
		atomic_cmpxchg(&t->first_error, 0, ret);
		goto out;
	}
	/* rounds end early once the peer is closed for good */
	for (r = 0; r < t->rounds && !READ_ONCE(t->peer->closing); r++) {
		u64 x = seed + r;

		for (i = 0; i < t->pages; i++) {
			test_fill(th->src[i], &x);
			memset(page_address(th->dst[i]), 0xa5, PAGE_SIZE);
		}
		memset(th->failed, 0, t->pages);
		test_pass(th, true);
		test_pass(th, false);
		/* a late RDMA op would land now: give it the time */
		if (memchr_inv(th->failed, 0, t->pages))
			msleep(500);
		for (i = 0; i < t->pages; i++)
			test_check_page(th, r, i);
	}
out:
	test_thread_cleanup(th);
	/* the last one: no code of this module runs after the wake-up */
	if (atomic_dec_and_test(&t->running))
		kthread_complete_and_exit(&t->done, 0);
	return 0;
}

static u32 test_pct(u32 *v, u32 n, u32 permille)
{
	return n ? v[min_t(u64, (u64)n * permille / 1000, n - 1)] : 0;
}

static u64 test_mbps(struct rdma_test *t, int dir)
{
	u64 ns = atomic64_read(&t->ns[dir]);

	/* threads at once: all bytes over the mean busy time; 1 B/ns = 1000 MB/s */
	return ns ? div64_u64(atomic64_read(&t->bytes[dir]) * t->threads *
			      1000, ns) : 0;
}

static int rdma_test_run(struct rdma_test *t)
{
	struct test_thread *ths;
	u32 i, nr, nw;
	u64 t0, elapsed;
	int ret = 0;

	ths = kvcalloc(t->threads, sizeof(*ths), GFP_KERNEL);
	t->lat[0] = kvcalloc(TEST_MAX_LAT, sizeof(u32), GFP_KERNEL);
	t->lat[1] = kvcalloc(TEST_MAX_LAT, sizeof(u32), GFP_KERNEL);
	if (!ths || !t->lat[0] || !t->lat[1]) {
		ret = -ENOMEM;
		goto out;
	}
	init_completion(&t->done);
	atomic_set(&t->running, 1);
	t0 = ktime_get_ns();
	for (i = 0; i < t->threads; i++) {
		struct task_struct *task;

		ths[i].t = t;
		ths[i].index = i;
		init_waitqueue_head(&ths[i].wq);
		atomic_inc(&t->running);
		task = kthread_run(rdma_test_fn, &ths[i], "krdma_rdma_test/%u",
				   i);
		if (IS_ERR(task)) {
			atomic_dec(&t->running);
			ret = PTR_ERR(task);
			break;
		}
	}
	/* every I/O is bounded by its deadline: so is this wait */
	if (!atomic_dec_and_test(&t->running))
		rs_test_wait_run(&t->done);
	elapsed = ktime_get_ns() - t0;

	nr = min_t(u32, atomic_read(&t->nlat[0]), TEST_MAX_LAT);
	nw = min_t(u32, atomic_read(&t->nlat[1]), TEST_MAX_LAT);
	sort(t->lat[0], nr, sizeof(u32), rs_test_cmp_u32, NULL);
	sort(t->lat[1], nw, sizeof(u32), rs_test_cmp_u32, NULL);
	snprintf(rdma_test_result, sizeof(rdma_test_result),
		 "peer=%d threads=%u pages=%u rounds=%u qd=%u seg=%u ios=%lld ok=%lld errors=%lld mismatches=%lld touched=%lld first_error=%d write_p50_us=%u write_p99_us=%u write_p999_us=%u read_p50_us=%u read_p99_us=%u read_p999_us=%u write_mbps=%llu read_mbps=%llu ios_per_s=%llu elapsed_ms=%llu\n",
		 t->peer->id, t->threads, t->pages, t->rounds, t->qd, t->seg,
		 (long long)atomic64_read(&t->ios),
		 (long long)atomic64_read(&t->ok),
		 (long long)atomic64_read(&t->errors),
		 (long long)atomic64_read(&t->mismatches),
		 (long long)atomic64_read(&t->touched),
		 atomic_read(&t->first_error),
		 test_pct(t->lat[1], nw, 500), test_pct(t->lat[1], nw, 990),
		 test_pct(t->lat[1], nw, 999),
		 test_pct(t->lat[0], nr, 500), test_pct(t->lat[0], nr, 990),
		 test_pct(t->lat[0], nr, 999),
		 test_mbps(t, 1), test_mbps(t, 0),
		 elapsed ? div64_u64(atomic64_read(&t->ok) * NSEC_PER_SEC,
				     elapsed) : 0,
		 div_u64(elapsed, NSEC_PER_MSEC));
	if (!ret && (atomic64_read(&t->errors) ||
		     atomic64_read(&t->mismatches) || atomic64_read(&t->touched)))
		ret = -EIO;
out:
	kvfree(t->lat[0]);
	kvfree(t->lat[1]);
	kvfree(ths);
	return ret;
}

static ssize_t rdma_test_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	struct rdma_test *t;
	u32 ungrant = 1;
	char buf[96];
	int id, n, ret;

	ret = krdma_user_str(file, buf, sizeof(buf), ubuf, count);
	if (ret)
		return ret;
	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->seg = 1;
	t->deadline_ms = 10000;
	n = sscanf(buf, "%d %u %u %u %u %u %u %u", &id, &t->threads, &t->pages,
		   &t->rounds, &t->qd, &t->seg, &t->deadline_ms, &ungrant);
	if (n < 5 || t->threads < 1 || t->threads > TEST_MAX_THREADS ||
	    t->pages < 1 || t->pages > 512 || t->rounds < 1 ||
	    t->qd < 1 || t->qd > TEST_MAX_QD || t->seg < 1 ||
	    t->seg > KRDMA_IO_MAX_SGE || t->deadline_ms < 1 ||
	    t->deadline_ms > 600000) {
		pr_warn("rdma_test: expected \"<peer> <threads 1-%d> <pages 1-512> <rounds> <qd 1-%d> [<pages per I/O 1-%d> [<deadline ms> [<ungrant 0|1>]]]\"\n",
			TEST_MAX_THREADS, TEST_MAX_QD, KRDMA_IO_MAX_SGE);
		ret = -EINVAL;
		goto out_free;
	}
	t->ungrant = ungrant;
	t->peer = krdma_peer_get(id);
	if (!t->peer) {
		pr_warn("rdma_test: no peer %d\n", id);
		ret = -ENOENT;
		goto out_free;
	}
	mutex_lock(&rdma_test_lock);
	ret = rdma_test_run(t);
	mutex_unlock(&rdma_test_lock);
	krdma_peer_put(t->peer);
out_free:
	kfree(t);
	return ret ? ret : count;
}

static ssize_t rdma_test_read(struct file *file, char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	return rs_test_read_result(&rdma_test_lock, rdma_test_result, ubuf, count,
				 ppos);
}

static const struct file_operations rdma_test_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= rdma_test_read,
	.write	= rdma_test_write,
	.llseek	= default_llseek,
};

/* --- forged and stale keys (loopback mode) ------------------------------ */

struct forge_io {
	struct krdma_io		io;
	struct scatterlist	sg;
	struct completion	done;
	int			status;
};

static void forge_io_done(struct krdma_io *io, int status)
{
	struct forge_io *f = container_of(io, struct forge_io, io);

	f->status = status;
	complete(&f->done);
}

/*
 * One page of RDMA through @peer at @off into a region [addr, addr +
 * @rlen) with @rkey: a remote made up here, so any address and key can be
 * aimed at (krdma_io_submit() still refuses an @off outside @rlen).
 */
static int forge_rdma_at(struct krdma_peer *peer, u64 addr, u32 rkey,
			 u64 rlen, u64 off, struct page *page, bool write)
{
	struct krdma_remote r = {
		.peer = peer, .len = rlen, .addr = addr, .rkey = rkey,
	};
	struct forge_io f = {};
	int ret;

	init_completion(&f.done);
	sg_init_table(&f.sg, 1);
	sg_set_page(&f.sg, page, PAGE_SIZE, 0);
	f.io.remote = &r;
	f.io.offset = off;
	f.io.sg = &f.sg;
	f.io.nents = 1;
	f.io.len = PAGE_SIZE;
	f.io.write = write;
	f.io.deadline = jiffies + 20 * HZ;
	f.io.done = forge_io_done;
	ret = krdma_io_submit(&f.io);
	if (ret)
		return ret;
	wait_for_completion(&f.done);
	return f.status;
}

/* One page of RDMA through @peer to [addr, addr + 4 KiB) with @rkey. */
static int forge_rdma(struct krdma_peer *peer, u64 addr, u32 rkey,
		      struct page *page, bool write)
{
	return forge_rdma_at(peer, addr, rkey, PAGE_SIZE, 0, page, write);
}

static bool forge_match_other_end(const struct krdma_peer *p, const void *arg)
{
	const struct krdma_peer *out = arg;

	return !p->active && p->session == out->session &&
	       uuid_equal(&p->uuid, &rs_self.uuid) && !READ_ONCE(p->closing);
}

/* Waits (up to 30 s) until both ends of the loopback connection are ready. */
static void forge_wait_ready(struct krdma_peer *a, struct krdma_peer *b)
{
	int i;

	for (i = 0; i < 300; i++) {
		if (READ_ONCE(a->io_ready) && READ_ONCE(b->io_ready))
			return;
		msleep(100);
	}
}

static bool forge_page_is(struct page *page, u8 byte)
{
	return !memchr_inv(page_address(page), byte, PAGE_SIZE);
}

/*
 * Once both ends of the loopback connection are ready: the key and
 * address of @tg (granted to @x) in the current connection.
 */
static int forge_keys(struct krdma_peer *x, struct krdma_peer *y,
		      struct test_grant *tg, u32 *rkey, u64 *addr)
{
	struct ib_mr *mr;

	forge_wait_ready(x, y);
	mutex_lock(&x->grant_lock);
	mr = tg->grant->mr;
	if (mr) {
		*rkey = mr->rkey;
		*addr = mr->iova;
	}
	mutex_unlock(&x->grant_lock);
	return mr ? 0 : -ENOTCONN;
}

static char test_forge_result[256] = "no test run yet\n";

static int test_forge_run(struct krdma_peer *x)
{
	struct krdma_peer *y = krdma_peer_find(forge_match_other_end, x);
	struct test_grant *tg = NULL;
	struct page *buf = NULL;
	int legit = -1, forged = -1, stale = -1, fresh = -1;
	bool legit_ok = false, intact = false, stale_untouched = false;
	bool fresh_ok = false, rekeyed = false;
	u32 rkey = 0;
	u64 addr = 0;
	struct ib_mr *mr;
	int ret = 0;

	if (!y || !x->active) {
		pr_warn("test_forge: peer %d is not the outgoing end of a loopback connection\n",
			x->id);
		ret = -ENOENT;
		goto out;
	}
	buf = alloc_page(GFP_KERNEL);
	/* a page granted to x: only requests arriving on x's QPs reach it */
	tg = test_grant_alloc(x, 1);
	if (!buf || !tg) {
		ret = -ENOMEM;
		goto out;
	}
	memset(page_address(sg_page(tg->sgt.sgl)), 0x5a, PAGE_SIZE);
	ret = forge_keys(x, y, tg, &rkey, &addr);
	if (ret)
		goto out;
	/* y's requests arrive on x's QPs: granted */
	memset(page_address(buf), 0, PAGE_SIZE);
	legit = forge_rdma(y, addr, rkey, buf, false);
	legit_ok = !legit && forge_page_is(buf, 0x5a);
	/* x's own requests arrive on y's QPs: another PD, the key is forged */
	memset(page_address(buf), 0xee, PAGE_SIZE);
	forged = forge_rdma(x, addr, rkey, buf, true);
	intact = forge_page_is(sg_page(tg->sgt.sgl), 0x5a);
	/* the refusal broke the connection; the new one re-keys the grant */
	msleep(100);
	forge_wait_ready(x, y);
	mutex_lock(&x->grant_lock);
	mr = tg->grant->mr;
	rekeyed = mr && mr->rkey != rkey;
	mutex_unlock(&x->grant_lock);
	memset(page_address(buf), 0, PAGE_SIZE);
	stale = forge_rdma(y, addr, rkey, buf, false);
	stale_untouched = forge_page_is(buf, 0);
	msleep(100);
	forge_keys(x, y, tg, &rkey, &addr);
	fresh = forge_rdma(y, addr, rkey, buf, false);
	fresh_ok = !fresh && forge_page_is(buf, 0x5a);
out:
	snprintf(test_forge_result, sizeof(test_forge_result),
		 "legit=%d legit_ok=%d forged=%d forged_intact=%d rekeyed=%d stale=%d stale_untouched=%d fresh=%d fresh_ok=%d\n",
		 legit, legit_ok, forged, intact, rekeyed, stale,
		 stale_untouched, fresh, fresh_ok);
	if (tg)
		test_grant_free(tg);
	if (buf)
		__free_page(buf);
	if (y)
		krdma_peer_put(y);
	return ret;
}

/* The peer (a reference) whose id a test file was written. */
static struct krdma_peer *test_peer_from_user(const char __user *ubuf,
					      size_t count)
{
	struct krdma_peer *peer;
	int id, ret;

	ret = kstrtoint_from_user(ubuf, count, 10, &id);
	if (ret)
		return ERR_PTR(ret);
	peer = krdma_peer_get(id);
	return peer ? peer : ERR_PTR(-ENOENT);
}

/* A write of "<peer id>" to a loopback test file: @run on that peer. */
static ssize_t loop_test_write(const char __user *ubuf, size_t count,
			       int (*run)(struct krdma_peer *x))
{
	struct krdma_peer *peer = test_peer_from_user(ubuf, count);
	int ret;

	if (IS_ERR(peer))
		return PTR_ERR(peer);
	mutex_lock(&rdma_test_lock);
	ret = run(peer);
	mutex_unlock(&rdma_test_lock);
	krdma_peer_put(peer);
	return ret ? ret : count;
}

static ssize_t test_forge_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	return loop_test_write(ubuf, count, test_forge_run);
}

static ssize_t test_forge_read(struct file *file, char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	return rs_test_read_result(&rdma_test_lock, test_forge_result, ubuf, count,
				 ppos);
}

static const struct file_operations test_forge_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= test_forge_read,
	.write	= test_forge_write,
	.llseek	= default_llseek,
};

/* --- a rogue peer's one-sided RDMA outside its grant (loopback mode) ---- */

static char test_rogue_result[320] = "no test run yet\n";

/* The CRC of every page of @tg. */
static u32 rogue_crc(struct test_grant *tg)
{
	struct sg_page_iter it;
	u32 crc = ~0U;

	for_each_sgtable_page(&tg->sgt, &it, 0)
		crc = crc32_le(crc, page_address(sg_page_iter_page(&it)),
			       PAGE_SIZE);
	return ~crc;
}

static void rogue_fill(struct test_grant *tg, u8 byte)
{
	struct sg_page_iter it;

	for_each_sgtable_page(&tg->sgt, &it, 0)
		memset(page_address(sg_page_iter_page(&it)), byte, PAGE_SIZE);
}

/* @rkey with another key byte (the same MR index): a key never granted */
static u32 rogue_other_key(u32 rkey, int delta)
{
	return (rkey & ~0xffU) | ((rkey + delta) & 0xff);
}

/*
 * The rogue is @y, the incoming end of the loopback connection of @x: its
 * requests arrive on @x's QPs, where @own (2 pages) is granted. It aims
 * one page past @own's end, across it, before it, with keys one off and
 * with the key of a grant destroyed: each must fail (the connection then
 * drops and comes back), no byte of @own or of @victim (another grant of
 * @x's) may change and the rogue's buffer must not receive any. A read of
 * @own at its start works before and after.
 */
static int test_rogue_run(struct krdma_peer *x)
{
	struct krdma_peer *y = krdma_peer_find(forge_match_other_end, x);
	struct test_grant *own = NULL, *victim = NULL, *freed = NULL;
	int legit = -1, legit_after = -1, api = -1, refused = 0, sent = 0;
	bool untouched = true, intact = false, legit_ok = false;
	bool after_ok = false;
	u32 crc0 = 0, crc1 = 0, rkey = 0, fkey = 0;
	u64 addr = 0, faddr = 0, drops = 0;
	struct page *buf = NULL;
	int i, r, ret;

	if (!y || !x->active) {
		pr_warn("test_rogue_rdma: peer %d is not the outgoing end of a loopback connection\n",
			x->id);
		ret = -ENOENT;
		goto out;
	}
	buf = alloc_page(GFP_KERNEL);
	own = test_grant_alloc(x, 2);
	victim = test_grant_alloc(x, 2);
	freed = test_grant_alloc(x, 1);
	if (!buf || !own || !victim || !freed) {
		ret = -ENOMEM;
		goto out;
	}
	rogue_fill(own, 0x11);
	rogue_fill(victim, 0x5a);
	crc0 = rogue_crc(own) ^ rogue_crc(victim);
	ret = forge_keys(x, y, own, &rkey, &addr);
	if (ret)
		goto out;
	legit = forge_rdma(y, addr, rkey, buf, false);
	legit_ok = !legit && forge_page_is(buf, 0x11);
	/* the API itself refuses an offset outside the region: no post */
	api = forge_rdma_at(y, addr, rkey, 2 * PAGE_SIZE, 2 * PAGE_SIZE, buf,
			    false);
	drops = atomic64_read(&x->reconnects);
	for (i = 0; i < 6; i++) {
		bool write = i & 1;
		u32 key;
		u64 at;

		ret = forge_keys(x, y, own, &rkey, &addr);
		if (ret)
			goto out;
		key = rkey;
		at = addr;
		switch (i) {
		case 0:		/* past the end */
			at = addr + 2 * PAGE_SIZE;
			break;
		case 1:		/* across the end */
			at = addr + 2 * PAGE_SIZE - PAGE_SIZE / 2;
			break;
		case 2:		/* before the start */
			at = addr - PAGE_SIZE;
			break;
		case 3:		/* a key never granted */
			key = rogue_other_key(rkey, 1);
			break;
		case 4:
			key = rogue_other_key(rkey, -1);
			break;
		case 5:		/* the key of a grant destroyed */
			ret = forge_keys(x, y, freed, &fkey, &faddr);
			if (ret)
				goto out;
			test_grant_free(freed);
			freed = NULL;
			key = fkey;
			at = faddr;
			break;
		}
		memset(page_address(buf), write ? 0xcc : 0xee, PAGE_SIZE);
		r = forge_rdma(y, at, key, buf, write);
		sent++;
		refused += r != 0;
		if (!r)
			pr_warn("test_rogue_rdma: case %d (%s at %#llx key %#x) was not refused\n",
				i, write ? "write" : "read", at, key);
		if (!write && !forge_page_is(buf, 0xee))
			untouched = false;
		/* the refusal broke the connection: let it come back */
		msleep(100);
	}
	ret = forge_keys(x, y, own, &rkey, &addr);
	if (ret)
		goto out;
	drops = atomic64_read(&x->reconnects) - drops;
	legit_after = forge_rdma(y, addr, rkey, buf, false);
	after_ok = !legit_after && forge_page_is(buf, 0x11);
	crc1 = rogue_crc(own) ^ rogue_crc(victim);
	intact = crc0 == crc1;
out:
	snprintf(test_rogue_result, sizeof(test_rogue_result),
		 "refused=%d sent=%d drops=%llu legit=%d legit_ok=%d api=%d untouched=%d intact=%d crc_before=%08x crc_after=%08x legit_after=%d after_ok=%d\n",
		 refused, sent, drops, legit, legit_ok, api, untouched, intact,
		 crc0, crc1, legit_after, after_ok);
	if (freed)
		test_grant_free(freed);
	if (victim)
		test_grant_free(victim);
	if (own)
		test_grant_free(own);
	if (buf)
		__free_page(buf);
	if (y)
		krdma_peer_put(y);
	return ret;
}

static ssize_t test_rogue_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	return loop_test_write(ubuf, count, test_rogue_run);
}

static ssize_t test_rogue_read(struct file *file, char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	return rs_test_read_result(&rdma_test_lock, test_rogue_result, ubuf,
				 count, ppos);
}

static const struct file_operations test_rogue_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= test_rogue_read,
	.write	= test_rogue_write,
	.llseek	= default_llseek,
};

/* --- a data QP gone to error by itself --------------------------------- */

static ssize_t test_qp_error_write(struct file *file, const char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	struct krdma_peer *peer = test_peer_from_user(ubuf, count);
	struct ib_qp_attr attr = { .qp_state = IB_QPS_ERR };
	int i, moved = 0, ret = 0;

	if (IS_ERR(peer))
		return PTR_ERR(peer);
	if (!krdma_conn_pin(peer)) {
		pr_warn("test_qp_error: peer %d is not connected\n", peer->id);
		ret = -ENOTCONN;
		goto out_put;
	}
	/* pinned: the QPs of usable data connections stay */
	for (i = 0; i < KRDMA_MAX_DATA_QPS; i++) {
		struct krdma_dataq *dq = &peer->dq[i];
		struct ib_qp *qp;

		spin_lock_irq(&dq->lock);
		qp = dq->usable ? dq->qp : NULL;
		spin_unlock_irq(&dq->lock);
		if (!qp)
			continue;
		ret = ib_modify_qp(qp, &attr, IB_QP_STATE);
		if (ret) {
			pr_warn("test_qp_error: peer %d data QP %d: %pe\n",
				peer->id, i, ERR_PTR(ret));
			break;
		}
		moved++;
	}
	krdma_conn_unpin(peer);
	pr_info("test_qp_error: peer %d: %d data QPs moved to error\n",
		peer->id, moved);
	if (!ret && !moved)
		ret = -ENOTCONN;
out_put:
	krdma_peer_put(peer);
	return ret ? ret : count;
}

static const struct file_operations test_qp_error_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= test_qp_error_write,
	.llseek	= default_llseek,
};

int krdma_test_init(struct dentry *dir)
{
	int ret;

	ret = krdma_register_handler(RS_TEST_OP_GRANT, test_grant_handler);
	if (ret)
		return ret;
	ret = krdma_register_handler(RS_TEST_OP_UNGRANT, test_ungrant_handler);
	if (ret) {
		krdma_unregister_handler(RS_TEST_OP_GRANT);
		return ret;
	}
	debugfs_create_u32("test_grant_pages", 0600, dir,
			   &krdma_test_grant_pages);
	debugfs_create_file("rdma_test", 0600, dir, NULL, &rdma_test_fops);
	debugfs_create_file("test_forge", 0600, dir, NULL, &test_forge_fops);
	debugfs_create_file("test_rogue_rdma", 0600, dir, NULL,
			    &test_rogue_fops);
	debugfs_create_file("test_qp_error", 0200, dir, NULL,
			    &test_qp_error_fops);
	return 0;
}

/*
 * After the files are gone: no new grant, none voided behind our back
 * (krdma_grant_destroy() waits for that); the grants left are revoked and
 * freed, live peers or not.
 */
void krdma_test_exit(void)
{
	struct test_grant *tg, *tmp;
	LIST_HEAD(left);

	krdma_unregister_handler(RS_TEST_OP_UNGRANT);
	krdma_unregister_handler(RS_TEST_OP_GRANT);
	mutex_lock(&test_grants_lock);
	list_splice_init(&test_grants, &left);
	mutex_unlock(&test_grants_lock);
	list_for_each_entry_safe(tg, tmp, &left, list) {
		list_del(&tg->list);
		test_grant_free(tg);
	}
	/* a grant voided before its destroy queued the work: it finds none */
	cancel_work_sync(&test_gc_work);
}
