// SPDX-License-Identifier: GPL-2.0
/*
 * rackswap: the block devices /dev/rackswapN, a swap front end over dvs.
 *
 * A device is set up (backend, replicas, slab_size, pool_min, pool_max,
 * release_delay_s, encrypt, backing_dev) and then sized (disksize) before use, as
 * zram is; sizing makes its dvs space from those settings and starts
 * filling the space's pool. Requests never cross a 2 MiB chunk
 * (chunk_sectors = DVS_IO_MAX), hence never a slab (slab sizes are
 * power-of-two multiples of 2 MiB), and are at most 2 MiB (64 KiB in
 * whole pages when the device encrypts: DVS_SEALED_IO_MAX) with at most
 * KRDMA_IO_MAX_SGE segments: one dvs I/O each, straight to or from the
 * request's pages.
 * Nothing in queue_rq or in completion allocates: the per-request state
 * is the tag set's cmd_size. A write that finds its slab unbound and the
 * pool empty is retried by blk-mq (BLK_STS_RESOURCE) while the refill makes
 * progress, up to the I/O deadline; once the refill fails (no donor has
 * room) it is failed after a second: swap keeps the page and tries again
 * later. A write whose slab was lost while it was in flight (its donor
 * closed for good) is requeued (at most RS_WRITE_REQUEUES times): dvs
 * binds a new slab in place of the lost one.
 *
 * Requests complete from dvs's completion (rs_io_done(), softirq on an
 * RDMA link), or, with completion_spin_us set, from their submitter: it
 * spins in queue_rq for a bounded time and completes the request itself
 * when the completion came meanwhile (swap never issues polled bios, so
 * this is the device's only spin; see the rs_cmd states).
 *
 * With a backing device (backing_dev, backing.c) a write's data is also
 * copied there asynchronously, and a read that fails remotely (at
 * submission: a lost slab; or at completion) is served from it by a work
 * item when it holds every page of the read.
 *
 * Devices are made at load (num_devices) and at run time (zram's model:
 * reading /sys/class/rackswap-control/hot_add makes one and prints its
 * number, writing a number to hot_remove removes that one). A device being
 * removed is claimed first, so that nobody opens it meanwhile.
 */
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/dvs.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/rackswap.h>
#include <linux/slab.h>

#include "blkdev.h"
#include "backing.h"
#include "compat.h"
#include "trace.h"
#include "fault.h"

#define RS_SECTOR_SHIFT		9
#define RS_BLOCK_SIZE		4096
#define RS_MAX_DEVICES		16
#define RS_MAX_IO		DVS_IO_MAX	/* bytes per request */
#define RS_RESOURCE_WAIT	HZ	/* retries when no donor has room */
#define RS_WRITE_REQUEUES	4	/* a write whose slab was lost under it */
#define RS_IO_DEADLINE		(20 * HZ)	/* below the 30 s blk timeout */
#define RS_LAT_BUCKETS		16	/* read latency: < 16 us, then x2 */
#define RS_SPIN_MAX_US		1000	/* completion_spin_us */

static unsigned int num_devices = 1;
module_param(num_devices, uint, 0444);
MODULE_PARM_DESC(num_devices, "Block devices /dev/rackswapN made at load (0-16; default 1)");

static unsigned int hw_queues;
module_param(hw_queues, uint, 0444);
MODULE_PARM_DESC(hw_queues, "Hardware queues per device (0: one per CPU; default 0)");

static unsigned int rs_queue_depth = 64;
module_param_named(blk_queue_depth, rs_queue_depth, uint, 0444);
MODULE_PARM_DESC(blk_queue_depth, "Requests in flight per hardware queue (1-1024; default 64)");

/*
 * Parses a completion spin (us, 0-RS_SPIN_MAX_US) as the file takes it;
 * logs a bad one, prefixed with @who.
 */
static int rs_parse_spin(const char *who, const char *s, unsigned int *us)
{
	unsigned int v;

	if (kstrtouint(s, 10, &v) || v > RS_SPIN_MAX_US) {
		pr_warn("%s: completion_spin_us '%.*s' is not 0-%d\n", who,
			(int)min_t(size_t, strcspn(s, "\n"), 32), s,
			RS_SPIN_MAX_US);
		return -EINVAL;
	}
	*us = v;
	return 0;
}

/*
 * Parses a size with an optional K/M/G suffix and one trailing newline, as
 * the disksize file takes it: a multiple of 4K.
 */
static int rs_parse_size(const char *s, u64 *size)
{
	u64 v;

	if (rackswap_parse_size(s, &v) || v % RS_BLOCK_SIZE)
		return -EINVAL;
	*size = v;
	return 0;
}

struct rs_dev {
	int			id;
	struct gendisk		*disk;
	struct blk_mq_tag_set	set;
	/* space and the settings below it: sizing, reset, their stores */
	struct mutex		lock;
	struct dvs_space	*space;	/* NULL until sized */
	/* set and cleared under lock while not sized: no I/O then */
	struct rs_backing	*backing;
	/*
	 * The settings of the space that disksize makes: written under
	 * lock while not sized (WRITE_ONCE: their show reads them without
	 * it), read under lock by the sizing. A reset keeps them, as zram
	 * keeps comp_algorithm: the next disksize makes the same kind of
	 * space.
	 */
	enum dvs_backend	backend;
	unsigned int		replicas;
	u64			slab_size;
	unsigned int		pool_min;
	unsigned int		pool_max;
	unsigned int		release_delay_s;
	unsigned int		encrypt;	/* 0 or 1 */
	bool			claim;	/* being removed; disk->open_mutex */
	unsigned int		spin_us;	/* READ_ONCE/WRITE_ONCE, no lock */
	/* stats: atomic, no lock */
	atomic64_t		reads, writes, discards;
	atomic64_t		read_bytes, write_bytes;
	atomic64_t		failures, retries;
	atomic_t		in_flight;
	atomic64_t		read_lat[RS_LAT_BUCKETS];
	atomic64_t		spin_done;	/* completed by their submitter */
	atomic64_t		spin_timeouts;	/* ... left to rs_io_done() */
	/* reads that got corrupt pages back (dvs_io.bad_pages) */
	atomic64_t		bad_pages;	/* pages, each copy's counted */
	atomic64_t		bad_recovered;	/* reads served all the same */
	atomic64_t		bad_failed;	/* ... that failed */
};

/*
 * Who completes a request (rs_cmd.state). Without a spin it is IRQ from
 * submission on: rs_io_done() completes it. With one, queue_rq sets
 * SPINNING before the submission; then exactly one of two cmpxchgs wins:
 * rs_io_done()'s SPINNING -> DONE (it saves the status and leaves the
 * request to the spinner, which completes it) or the spinner's SPINNING ->
 * IRQ when its time is up (it leaves the request to rs_io_done()). The
 * loser does not touch the request again: it may be gone.
 */
enum {
	RS_CMD_IRQ,
	RS_CMD_SPINNING,
	RS_CMD_DONE,
};

/* Per request, in the tag set's cmd_size. */
struct rs_cmd {
	struct dvs_io		io;
	unsigned long		first_try;	/* jiffies; 0: not tried */
	unsigned int		requeues;	/* a write's, lost slabs */
	u64			start_ns;	/* submitted */
	atomic_t		state;		/* RS_CMD_* */
	int			status;	/* rs_io_done()'s, for the spinner */
	struct work_struct	bread;	/* a read the backing device serves */
	struct scatterlist	sg[KRDMA_IO_MAX_SGE];
};

static int rs_major;
static struct rs_dev *rs_devs[RS_MAX_DEVICES];
static DEFINE_MUTEX(rs_devs_lock);	/* rs_devs[] */

/* The request's REQ_OP_* as the tracepoints number it */
static unsigned int rs_op(struct request *rq)
{
	return (__force unsigned int)req_op(rq);
}

/* The read latency bucket of @us: < 16 us, < 32 us, ..., >= 256 ms. */
static unsigned int rs_lat_bucket(u64 us)
{
	unsigned int b = us < 16 ? 0 : fls64(us) - 4;

	return min_t(unsigned int, b, RS_LAT_BUCKETS - 1);
}

/*
 * Completes read or write @rq with @status: the statistics, the
 * tracepoint, the latency histogram, then blk-mq. From rs_io_done() or
 * from the submitter that spun for the completion.
 */
static void rs_rq_end(struct request *rq, int status)
{
	struct rs_dev *dev = rq->q->queuedata;
	struct rs_cmd *cmd = blk_mq_rq_to_pdu(rq);
	u64 us = div_u64(ktime_get_ns() - cmd->start_ns, NSEC_PER_USEC);

	if (status == -EAGAIN && cmd->requeues < RS_WRITE_REQUEUES) {
		/* its slab was lost under it: again, to the slab replacing it */
		cmd->requeues++;
		atomic64_inc(&dev->retries);
		atomic_dec(&dev->in_flight);
		blk_mq_requeue_request(rq, true);
		return;
	}
	cmd->requeues = 0;
	if (status == -EAGAIN)
		status = -EIO;
	if (status)
		atomic64_inc(&dev->failures);
	else if (!cmd->io.write)
		atomic64_inc(&dev->read_lat[rs_lat_bucket(us)]);
	trace_rackswap_rq_complete(dev->id, rs_op(rq), cmd->io.offset,
				   cmd->io.len, status, us);
	atomic_dec(&dev->in_flight);
	blk_mq_end_request(rq, errno_to_blk_status(status));
}

/* The request's final status: to its spinner, else completed here. */
static void rs_io_finish(struct request *rq, int status)
{
	struct rs_cmd *cmd = blk_mq_rq_to_pdu(rq);

	cmd->status = status;
	/* fully ordered: a spinner that reads DONE reads the status too */
	if (atomic_cmpxchg(&cmd->state, RS_CMD_SPINNING, RS_CMD_DONE) ==
	    RS_CMD_SPINNING)
		return;		/* the spinner completes rq */
	rs_rq_end(rq, status);
}

/* A read that got corrupt pages back ends: counted by its outcome. */
static void rs_count_bad(struct rs_dev *dev, struct dvs_io *io, int status)
{
	if (io->write || !io->bad_pages)
		return;
	atomic64_inc(status ? &dev->bad_failed : &dev->bad_recovered);
}

/* A read no remote copy could serve, from the backing device. */
static void rs_backing_read_work(struct work_struct *work)
{
	struct rs_cmd *cmd = container_of(work, struct rs_cmd, bread);
	struct request *rq = blk_mq_rq_from_pdu(cmd);
	struct rs_dev *dev = rq->q->queuedata;
	int status = rs_backing_read(dev->backing, rq, cmd->io.offset);

	rs_count_bad(dev, &cmd->io, status);
	rs_io_finish(rq, status);
}

/*
 * dvs's completion: final (dvs retried, requeued and failed over within
 * the I/O already). Any context, possibly before dvs_io_submit() returned.
 * A read that failed goes to the backing device when it holds every page
 * (a read whose pages came back corrupt from every copy too).
 */
static void rs_io_done(struct dvs_io *io, int status)
{
	struct request *rq = io->priv;
	struct rs_dev *dev = rq->q->queuedata;
	struct rs_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct rs_backing *b = READ_ONCE(dev->backing);

	if (!io->write && io->bad_pages)
		atomic64_add(io->bad_pages, &dev->bad_pages);
	if (status && !io->write && b &&
	    rs_backing_covers(b, io->offset, io->len)) {
		rs_backing_queue(&cmd->bread);
		return;
	}
	rs_count_bad(dev, io, status);
	rs_io_finish(rq, status);
}

/*
 * The submitter of @rq (state SPINNING, submitted) waits up to @us for its
 * completion without sleeping, and completes it itself if it came; else it
 * hands it to rs_io_done(). It stops early when the CPU is wanted.
 */
static void rs_spin(struct rs_dev *dev, struct request *rq, unsigned int us)
{
	struct rs_cmd *cmd = blk_mq_rq_to_pdu(rq);
	u64 end = local_clock() + (u64)us * NSEC_PER_USEC;

	/* acquire: pairs with rs_io_done()'s cmpxchg, for cmd->status */
	while (atomic_read_acquire(&cmd->state) != RS_CMD_DONE) {
		if (local_clock() >= end || need_resched()) {
			if (atomic_cmpxchg(&cmd->state, RS_CMD_SPINNING,
					   RS_CMD_IRQ) == RS_CMD_SPINNING) {
				/* rs_io_done() has it: rq is not ours now */
				atomic64_inc(&dev->spin_timeouts);
				return;
			}
			/* it came meanwhile: the loop reads DONE */
			continue;
		}
		cpu_relax();
	}
	atomic64_inc(&dev->spin_done);
	rs_rq_end(rq, cmd->status);
}

static blk_status_t rs_queue_rq(struct blk_mq_hw_ctx *hctx,
				const struct blk_mq_queue_data *bd)
{
	struct request *rq = bd->rq;
	struct rs_dev *dev = rq->q->queuedata;
	struct rs_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct dvs_space *space = READ_ONCE(dev->space);
	struct rs_backing *backing = READ_ONCE(dev->backing);
	u64 pos = (u64)blk_rq_pos(rq) << RS_SECTOR_SHIFT;
	u32 len = blk_rq_bytes(rq);
	struct rs_bwrite *bw = NULL;
	unsigned long first_try;
	unsigned int spin;
	bool write;
	int ret;

	blk_mq_start_request(rq);
	if (!space) {
		cmd->requeues = 0;
		return BLK_STS_IOERR;
	}
	switch (req_op(rq)) {
	case REQ_OP_FLUSH:
		/* no volatile cache: a write is done when it is remote */
		blk_mq_end_request(rq, BLK_STS_OK);
		return BLK_STS_OK;
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		trace_rackswap_rq_submit(dev->id, rs_op(rq), pos, len);
		atomic64_inc(&dev->discards);
		ret = dvs_discard(space, pos, len);
		if (backing)
			rs_backing_discard(backing, pos, len);
		trace_rackswap_rq_complete(dev->id, rs_op(rq), pos, len, ret, 0);
		blk_mq_end_request(rq, errno_to_blk_status(ret));
		return BLK_STS_OK;
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		break;
	default:
		return BLK_STS_NOTSUPP;
	}

	write = req_op(rq) == REQ_OP_WRITE;
	cmd->io.write = write;
	cmd->io.offset = pos;
	cmd->io.len = len;
	cmd->io.sg = cmd->sg;
	sg_init_table(cmd->sg, KRDMA_IO_MAX_SGE);
	cmd->io.nents = blk_rq_map_sg(rq->q, rq, cmd->sg);
	cmd->io.deadline = jiffies + RS_IO_DEADLINE;
	cmd->io.done = rs_io_done;
	cmd->io.priv = rq;
	first_try = cmd->first_try;
	cmd->first_try = 0;
	cmd->start_ns = ktime_get_ns();
	/*
	 * Spin for the last request of a batch only (the others would wait
	 * behind the spin unsubmitted), and only in a task: a softirq would
	 * hold back the completion work of this CPU.
	 */
	spin = bd->last && in_task() ? READ_ONCE(dev->spin_us) : 0;
	atomic_set(&cmd->state, spin ? RS_CMD_SPINNING : RS_CMD_IRQ);
	trace_rackswap_rq_submit(dev->id, rs_op(rq), pos, len);
	atomic_inc(&dev->in_flight);
	/*
	 * its copy, taken while the pages are the request's; a requeued
	 * write's went out at its first submission, with the same data
	 */
	if (write && backing && !cmd->requeues)
		bw = rs_backing_write_prepare(backing, rq, pos, len);
	/* once submitted (not spinning) it may be completed already: no cmd */
	ret = dvs_io_submit(space, &cmd->io);
	if (!ret) {
		atomic64_inc(write ? &dev->writes : &dev->reads);
		atomic64_add(len, write ? &dev->write_bytes : &dev->read_bytes);
		if (bw)
			rs_backing_write_issue(bw);
		if (spin)
			rs_spin(dev, rq, spin);
		return BLK_STS_OK;
	}
	if (bw)
		rs_backing_write_cancel(bw);
	if (!write && ret != -EBUSY && backing &&
	    rs_backing_covers(backing, pos, len)) {
		/* no remote copy (a lost slab): the backing device has all */
		atomic_set(&cmd->state, RS_CMD_IRQ);
		atomic64_inc(&dev->reads);
		atomic64_add(len, &dev->read_bytes);
		rs_backing_queue(&cmd->bread);
		return BLK_STS_OK;
	}
	atomic_dec(&dev->in_flight);
	if (ret == -EBUSY) {
		/*
		 * a rebuild copies this range now, or an encrypted write
		 * found no page to encrypt into: a moment
		 */
		atomic64_inc(&dev->retries);
		return BLK_STS_RESOURCE;
	}
	if (ret == -ENOSPC) {
		/* the pool is empty: blk-mq tries again in a moment */
		if (!first_try)
			first_try = jiffies;
		if (time_before(jiffies, first_try + RS_RESOURCE_WAIT) ||
		    (dvs_space_growing(space) &&
		     time_before(jiffies, first_try + RS_IO_DEADLINE))) {
			cmd->first_try = first_try;
			atomic64_inc(&dev->retries);
			return BLK_STS_RESOURCE;
		}
	}
	cmd->requeues = 0;
	atomic64_inc(&dev->failures);
	return errno_to_blk_status(ret);
}

static int rs_init_request(struct blk_mq_tag_set *set, struct request *rq,
			   unsigned int hctx_idx, unsigned int numa_node)
{
	struct rs_cmd *cmd = blk_mq_rq_to_pdu(rq);

	cmd->first_try = 0;
	cmd->requeues = 0;
	atomic_set(&cmd->state, RS_CMD_IRQ);
	INIT_WORK(&cmd->bread, rs_backing_read_work);
	return 0;
}

static const struct blk_mq_ops rs_mq_ops = {
	.queue_rq	= rs_queue_rq,
	.init_request	= rs_init_request,
};

/* A device claimed for removal is not opened. */
static int rs_open(RACKSWAP_OPEN_ARGS)
{
	struct rs_dev *dev = RACKSWAP_OPEN_DISK->private_data;

	/* the block layer holds disk->open_mutex */
	return dev->claim ? -EBUSY : 0;
}

static const struct block_device_operations rs_fops = {
	.owner		= THIS_MODULE,
	.open		= rs_open,
};

static struct rs_dev *rs_dev_of(struct device *d)
{
	return dev_to_disk(d)->private_data;
}

/*
 * The limits that depend on the space: an encrypted one takes writes of
 * DVS_SEALED_IO_MAX at most, in whole pages. Before the capacity is set:
 * no request is in flight.
 */
static void rs_size_limits(struct request_queue *q, bool encrypt)
{
	blk_queue_max_hw_sectors(q, (encrypt ? DVS_SEALED_IO_MAX : RS_MAX_IO) >>
				 RS_SECTOR_SHIFT);
	blk_queue_dma_alignment(q, encrypt ? PAGE_SIZE - 1 :
				SECTOR_SIZE - 1);
}

/* Sizes @dev: its space, made from its settings. dev->lock held. */
static int rs_dev_size(struct rs_dev *dev, u64 size)
{
	struct dvs_space_config c;
	struct dvs_space *space;
	int ret;

	dvs_space_config_init(&c);
	c.slab_size = dev->slab_size;
	c.backend = dev->backend;
	c.copies = dev->replicas;
	c.pool_min = dev->pool_min;
	c.pool_max = dev->pool_max;
	c.release_delay_s = dev->release_delay_s;
	c.encrypt = dev->encrypt;
	/* each file checked its own value: this checks them together */
	ret = dvs_space_config_check(&c, dev->disk->disk_name);
	if (ret) {
		pr_warn("%s: not sized: fix the setting above first\n",
			dev->disk->disk_name);
		return ret;
	}
	if (dev->backing) {
		ret = rs_backing_start(dev->backing, size);
		if (ret) {
			pr_warn("%s: not sized: backing device %s: %pe\n",
				dev->disk->disk_name,
				rs_backing_path(dev->backing), ERR_PTR(ret));
			return ret;
		}
	}
	space = dvs_space_create(size, &c);
	if (IS_ERR(space)) {
		pr_warn("%s: not sized: %pe\n", dev->disk->disk_name, space);
		if (dev->backing)
			rs_backing_stop(dev->backing);
		return PTR_ERR(space);
	}
	WRITE_ONCE(dev->space, space);
	rs_size_limits(dev->disk->queue, c.encrypt);
	set_capacity_and_notify(dev->disk, size >> RS_SECTOR_SHIFT);
	pr_info("%s: %llu bytes, %s backend, %u replica(s), slabs of %llu bytes, pool %u-%u, release delay %u s, backing device %s, encrypted by %s\n",
		dev->disk->disk_name, size,
		c.backend == DVS_BACKEND_DRAM ? "dram" : "rdma", c.copies,
		c.slab_size, c.pool_min, c.pool_max, c.release_delay_s,
		dev->backing ? rs_backing_path(dev->backing) : "none",
		dvs_space_cipher(space) ?: "none");
	return 0;
}

/* disksize: bytes (K/M/G); 0 until set; -EBUSY once set or open. */
static ssize_t disksize_show(struct device *d, struct device_attribute *attr,
			     char *buf)
{
	struct rs_dev *dev = rs_dev_of(d);

	return sysfs_emit(buf, "%llu\n",
			  (u64)get_capacity(dev->disk) << RS_SECTOR_SHIFT);
}

static ssize_t disksize_store(struct device *d, struct device_attribute *attr,
			      const char *buf, size_t count)
{
	struct rs_dev *dev = rs_dev_of(d);
	u64 size;
	int ret = 0;

	if (rs_parse_size(buf, &size) || !size) {
		pr_warn("%s: disksize '%s' is not a positive multiple of 4K\n",
			dev->disk->disk_name, strim((char *)buf));
		return -EINVAL;
	}
	mutex_lock(&dev->lock);
	if (dev->space) {
		pr_warn("%s: already sized: reset it first\n",
			dev->disk->disk_name);
		ret = -EBUSY;
		goto out;
	}
	ret = rs_dev_size(dev, size);
out:
	mutex_unlock(&dev->lock);
	return ret ? ret : count;
}

/*
 * Takes dev->lock for a change of setting @name, which only an unsized
 * device takes: returns 0 with it held, or -EBUSY (logged) without it.
 */
static int rs_lock_unsized(struct rs_dev *dev, const char *name)
{
	mutex_lock(&dev->lock);
	if (!dev->space)
		return 0;
	mutex_unlock(&dev->lock);
	pr_warn("%s: already sized: reset it before changing %s\n",
		dev->disk->disk_name, name);
	return -EBUSY;
}

static ssize_t backend_show(struct device *d, struct device_attribute *attr,
			    char *buf)
{
	struct rs_dev *dev = rs_dev_of(d);

	return sysfs_emit(buf, "%s\n", READ_ONCE(dev->backend) ==
			  DVS_BACKEND_DRAM ? "dram" : "rdma");
}

static ssize_t backend_store(struct device *d, struct device_attribute *attr,
			     const char *buf, size_t count)
{
	struct rs_dev *dev = rs_dev_of(d);
	enum dvs_backend b;
	int ret;

	if (sysfs_streq(buf, "rdma")) {
		b = DVS_BACKEND_RDMA;
	} else if (sysfs_streq(buf, "dram")) {
		b = DVS_BACKEND_DRAM;
	} else {
		pr_warn("%s: backend '%s' is not rdma or dram\n",
			dev->disk->disk_name, strim((char *)buf));
		return -EINVAL;
	}
	ret = rs_lock_unsized(dev, "backend");
	if (ret)
		return ret;
	if (b == DVS_BACKEND_DRAM && dev->replicas != 1) {
		pr_warn("%s: the dram backend keeps one copy: set replicas to 1 first\n",
			dev->disk->disk_name);
		ret = -EINVAL;
	} else {
		WRITE_ONCE(dev->backend, b);
	}
	mutex_unlock(&dev->lock);
	return ret ? ret : count;
}

/* Copies of each slab on distinct donors (1-3); set before disksize. */
static ssize_t replicas_show(struct device *d, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(rs_dev_of(d)->replicas));
}

static ssize_t replicas_store(struct device *d, struct device_attribute *attr,
			      const char *buf, size_t count)
{
	struct rs_dev *dev = rs_dev_of(d);
	unsigned int v;
	int ret;

	if (kstrtouint(buf, 10, &v) || v < 1 || v > DVS_MAX_COPIES) {
		pr_warn("%s: replicas '%s' is not 1-%d\n", dev->disk->disk_name,
			strim((char *)buf), DVS_MAX_COPIES);
		return -EINVAL;
	}
	ret = rs_lock_unsized(dev, "replicas");
	if (ret)
		return ret;
	if (dev->backend == DVS_BACKEND_DRAM && v != 1) {
		pr_warn("%s: replicas %u: the dram backend keeps one copy\n",
			dev->disk->disk_name, v);
		ret = -EINVAL;
	} else {
		WRITE_ONCE(dev->replicas, v);
	}
	mutex_unlock(&dev->lock);
	return ret ? ret : count;
}

/*
 * The settings of the space below: each file checks its own value (-EINVAL
 * and a log line naming the device and the value); pool_min <= pool_max
 * is checked at disksize, so that they can be set in any order. Writable
 * while not sized (-EBUSY after); a reset keeps them.
 */

/* Stores @buf in setting @name (0-@max) of @dev while it is not sized. */
static int rs_set_setting(struct rs_dev *dev, const char *name,
			  const char *buf, unsigned int max,
			  unsigned int *setting)
{
	unsigned int v;
	int ret;

	if (kstrtouint(buf, 10, &v) || v > max) {
		pr_warn("%s: %s '%s' is not 0-%u\n", dev->disk->disk_name, name,
			strim((char *)buf), max);
		return -EINVAL;
	}
	ret = rs_lock_unsized(dev, name);
	if (ret)
		return ret;
	WRITE_ONCE(*setting, v);
	mutex_unlock(&dev->lock);
	return 0;
}

/* Bytes per slab (K/M/G; a power of two, 2M-512M; default 64M). */
static ssize_t slab_size_show(struct device *d, struct device_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(rs_dev_of(d)->slab_size));
}

static ssize_t slab_size_store(struct device *d, struct device_attribute *attr,
			       const char *buf, size_t count)
{
	struct rs_dev *dev = rs_dev_of(d);
	int ret;
	u64 v;

	if (rackswap_parse_size(buf, &v) || dvs_slab_size_valid(v)) {
		pr_warn("%s: slab_size '%s' is not a power of two from 2M to 512M\n",
			dev->disk->disk_name, strim((char *)buf));
		return -EINVAL;
	}
	ret = rs_lock_unsized(dev, "slab_size");
	if (ret)
		return ret;
	WRITE_ONCE(dev->slab_size, v);
	mutex_unlock(&dev->lock);
	return count;
}

/* A setting of 0-@max, an unsigned int of struct rs_dev at @offset. */
struct rs_setting_attr {
	struct device_attribute	attr;
	size_t			offset;
	unsigned int		max;
};

static unsigned int *rs_setting(struct rs_dev *dev,
				struct device_attribute *attr)
{
	struct rs_setting_attr *sa = container_of(attr, struct rs_setting_attr,
						  attr);

	return (unsigned int *)((char *)dev + sa->offset);
}

static ssize_t rs_setting_show(struct device *d, struct device_attribute *attr,
			       char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(*rs_setting(rs_dev_of(d),
							     attr)));
}

static ssize_t rs_setting_store(struct device *d,
				struct device_attribute *attr,
				const char *buf, size_t count)
{
	struct rs_setting_attr *sa = container_of(attr, struct rs_setting_attr,
						  attr);
	struct rs_dev *dev = rs_dev_of(d);
	int ret;

	ret = rs_set_setting(dev, attr->attr.name, buf, sa->max,
			     rs_setting(dev, attr));
	return ret ? ret : count;
}

/* Slabs the pool keeps ready at least (0-64, at most pool_max; default 2). */
static struct rs_setting_attr rs_pool_min_attr = {
	.attr	= __ATTR(pool_min, 0644, rs_setting_show, rs_setting_store),
	.offset	= offsetof(struct rs_dev, pool_min),
	.max	= DVS_POOL_LIMIT,
};

/* Slabs the pool keeps ready at most (0-64, pool_min or more; default 16). */
static struct rs_setting_attr rs_pool_max_attr = {
	.attr	= __ATTR(pool_max, 0644, rs_setting_show, rs_setting_store),
	.offset	= offsetof(struct rs_dev, pool_max),
	.max	= DVS_POOL_LIMIT,
};

/* How long a slab stays empty before it goes back, s (0-86400; default 10). */
static struct rs_setting_attr rs_release_delay_s_attr = {
	.attr	= __ATTR(release_delay_s, 0644, rs_setting_show,
			 rs_setting_store),
	.offset	= offsetof(struct rs_dev, release_delay_s),
	.max	= DVS_RELEASE_DELAY_MAX,
};

/* Pages encrypted before they leave (1) or not (0, the default). */
static struct rs_setting_attr rs_encrypt_attr = {
	.attr	= __ATTR(encrypt, 0644, rs_setting_show, rs_setting_store),
	.offset	= offsetof(struct rs_dev, encrypt),
	.max	= 1,
};

/*
 * The crypto driver that encrypts the pages of the sized device (e.g.
 * gcm_base(ctr(aes-aesni),ghash-generic): the CPU's AES instructions);
 * empty when they are not encrypted.
 */
static ssize_t encrypt_driver_show(struct device *d,
				   struct device_attribute *attr, char *buf)
{
	struct rs_dev *dev = rs_dev_of(d);
	const char *name = NULL;
	ssize_t n;

	mutex_lock(&dev->lock);
	if (dev->space)
		name = dvs_space_cipher(dev->space);
	n = sysfs_emit(buf, "%s\n", name ?: "");
	mutex_unlock(&dev->lock);
	return n;
}

/* Slabs missing a copy now: 0 when every slab has all its replicas. */
static ssize_t degraded_show(struct device *d, struct device_attribute *attr,
			     char *buf)
{
	struct rs_dev *dev = rs_dev_of(d);
	unsigned int n = 0;

	mutex_lock(&dev->lock);
	if (dev->space)
		n = dvs_space_degraded(dev->space);
	mutex_unlock(&dev->lock);
	return sysfs_emit(buf, "%u\n", n);
}

/*
 * How long (us, 0-1000) the submitter of a read or write spins for its
 * completion before it leaves it to the completion handler; any time.
 */
static ssize_t completion_spin_us_show(struct device *d,
				       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(rs_dev_of(d)->spin_us));
}

static ssize_t completion_spin_us_store(struct device *d,
					struct device_attribute *attr,
					const char *buf, size_t count)
{
	struct rs_dev *dev = rs_dev_of(d);
	unsigned int v;
	int ret;

	ret = rs_parse_spin(dev->disk->disk_name, buf, &v);
	if (ret)
		return ret;
	WRITE_ONCE(dev->spin_us, v);
	return count;
}

/* One line: completed timed_out (requests that spun, by outcome). */
static ssize_t spin_stat_show(struct device *d, struct device_attribute *attr,
			      char *buf)
{
	struct rs_dev *dev = rs_dev_of(d);

	return sysfs_emit(buf, "%lld %lld\n", atomic64_read(&dev->spin_done),
			  atomic64_read(&dev->spin_timeouts));
}

/*
 * The local block device every write also goes to (its path, or none);
 * set before disksize, kept open (exclusively) until none or removal.
 */
static ssize_t backing_dev_show(struct device *d,
				struct device_attribute *attr, char *buf)
{
	struct rs_dev *dev = rs_dev_of(d);
	ssize_t n;

	mutex_lock(&dev->lock);
	n = sysfs_emit(buf, "%s\n", dev->backing ?
		       rs_backing_path(dev->backing) : "none");
	mutex_unlock(&dev->lock);
	return n;
}

static ssize_t backing_dev_store(struct device *d,
				 struct device_attribute *attr,
				 const char *buf, size_t count)
{
	struct rs_dev *dev = rs_dev_of(d);
	struct rs_backing *b = NULL;
	char *path;
	int ret = 0;

	path = kstrndup(buf, count, GFP_KERNEL);
	if (!path)
		return -ENOMEM;
	strim(path);
	mutex_lock(&dev->lock);
	if (dev->space) {
		pr_warn("%s: already sized: reset it before changing its backing device\n",
			dev->disk->disk_name);
		ret = -EBUSY;
		goto out;
	}
	if (strcmp(path, "none")) {
		if (path[0] != '/' || memchr(buf, '\0', count)) {
			pr_warn("%s: backing_dev takes a device's path or none\n",
				dev->disk->disk_name);
			ret = -EINVAL;
			goto out;
		}
		b = rs_backing_open(path, dev);
		if (IS_ERR(b)) {
			ret = PTR_ERR(b);
			pr_warn("%s: backing device %.64s: %pe\n",
				dev->disk->disk_name, path, b);
			goto out;
		}
		if (rs_backing_bdev(b)->bd_disk->fops == &rs_fops) {
			pr_warn("%s: %.64s is a rackswap device: not a backing device\n",
				dev->disk->disk_name, path);
			rs_backing_close(b);
			ret = -EINVAL;
			goto out;
		}
	}
	if (dev->backing)
		rs_backing_close(dev->backing);
	WRITE_ONCE(dev->backing, b);
	pr_info("%s: backing device %s\n", dev->disk->disk_name,
		b ? rs_backing_path(b) : "none");
out:
	mutex_unlock(&dev->lock);
	kfree(path);
	return ret ? ret : count;
}

/*
 * One line: writes write_bytes skipped_pages write_errors reads read_bytes
 * read_errors backed_pages of the backing device; zeros without one.
 */
static ssize_t backing_stat_show(struct device *d,
				 struct device_attribute *attr, char *buf)
{
	struct rs_dev *dev = rs_dev_of(d);
	ssize_t n;

	mutex_lock(&dev->lock);
	if (dev->backing)
		n = rs_backing_stat(dev->backing, buf);
	else
		n = sysfs_emit(buf, "0 0 0 0 0 0 0 0\n");
	mutex_unlock(&dev->lock);
	return n;
}

/*
 * Frees the device's storage (and an encrypted one's key); refused while
 * the device is open. Its settings (backend, replicas, slab_size,
 * pool_min, pool_max, release_delay_s, encrypt, completion_spin_us,
 * backing_dev) stay, as zram keeps
 * comp_algorithm across a reset: the next disksize makes the same kind of
 * space, and a caller that wants others writes them before it.
 */
static ssize_t reset_store(struct device *d, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	struct rs_dev *dev = rs_dev_of(d);
	struct dvs_space *space;
	int ret = 0;

	if (!sysfs_streq(buf, "1")) {
		pr_warn("%s: reset takes 1\n", dev->disk->disk_name);
		return -EINVAL;
	}
	mutex_lock(&dev->lock);
	/* opening takes open_mutex: nobody opens it while we reset */
	mutex_lock(&dev->disk->open_mutex);
	if (rackswap_disk_openers(dev->disk)) {
		pr_warn("%s: in use: not reset\n", dev->disk->disk_name);
		ret = -EBUSY;
		goto out;
	}
	space = dev->space;
	if (space) {
		set_capacity_and_notify(dev->disk, 0);
		/* not open: only a request from before the close may remain */
		blk_mq_freeze_queue(dev->disk->queue);
		WRITE_ONCE(dev->space, NULL);
		blk_mq_unfreeze_queue(dev->disk->queue);
		dvs_space_destroy(space);
		if (dev->backing)
			rs_backing_stop(dev->backing);
		pr_info("%s: reset\n", dev->disk->disk_name);
	}
out:
	mutex_unlock(&dev->disk->open_mutex);
	mutex_unlock(&dev->lock);
	return ret ? ret : count;
}

/*
 * One line: reads writes discards read_bytes write_bytes failures
 * retries in_flight.
 */
static ssize_t io_stat_show(struct device *d, struct device_attribute *attr,
			    char *buf)
{
	struct rs_dev *dev = rs_dev_of(d);

	return sysfs_emit(buf, "%lld %lld %lld %lld %lld %lld %lld %d\n",
			  atomic64_read(&dev->reads),
			  atomic64_read(&dev->writes),
			  atomic64_read(&dev->discards),
			  atomic64_read(&dev->read_bytes),
			  atomic64_read(&dev->write_bytes),
			  atomic64_read(&dev->failures),
			  atomic64_read(&dev->retries),
			  atomic_read(&dev->in_flight));
}

/*
 * One line: bad_pages recovered failed. Pages read back corrupt (their
 * checksum did not match; each copy's counted), and the reads that got
 * some: served all the same (another copy, the backing device), failed.
 */
static ssize_t integrity_stat_show(struct device *d,
				   struct device_attribute *attr, char *buf)
{
	struct rs_dev *dev = rs_dev_of(d);

	return sysfs_emit(buf, "%lld %lld %lld\n",
			  atomic64_read(&dev->bad_pages),
			  atomic64_read(&dev->bad_recovered),
			  atomic64_read(&dev->bad_failed));
}

/*
 * One line of RS_LAT_BUCKETS counts: reads completed in < 16 us, < 32 us,
 * < 64 us, ..., < 262144 us, and the last one: 262144 us or more.
 */
static ssize_t read_latency_show(struct device *d,
				 struct device_attribute *attr, char *buf)
{
	struct rs_dev *dev = rs_dev_of(d);
	int i, n = 0;

	for (i = 0; i < RS_LAT_BUCKETS; i++)
		n += sysfs_emit_at(buf, n, "%lld%c",
				   atomic64_read(&dev->read_lat[i]),
				   i == RS_LAT_BUCKETS - 1 ? '\n' : ' ');
	return n;
}

static DEVICE_ATTR_RW(disksize);
static DEVICE_ATTR_RW(backend);
static DEVICE_ATTR_RW(replicas);
static DEVICE_ATTR_RW(slab_size);
static DEVICE_ATTR_RO(degraded);
static DEVICE_ATTR_RW(completion_spin_us);
static DEVICE_ATTR_RO(spin_stat);
static DEVICE_ATTR_WO(reset);
static DEVICE_ATTR_RO(io_stat);
static DEVICE_ATTR_RO(read_latency);
static DEVICE_ATTR_RO(integrity_stat);
static DEVICE_ATTR_RW(backing_dev);
static DEVICE_ATTR_RO(backing_stat);
static DEVICE_ATTR_RO(encrypt_driver);

static struct attribute *rs_disk_attrs[] = {
	&dev_attr_disksize.attr,
	&dev_attr_backend.attr,
	&dev_attr_replicas.attr,
	&dev_attr_slab_size.attr,
	&rs_pool_min_attr.attr.attr,
	&rs_pool_max_attr.attr.attr,
	&rs_release_delay_s_attr.attr.attr,
	&rs_encrypt_attr.attr.attr,
	&dev_attr_encrypt_driver.attr,
	&dev_attr_degraded.attr,
	&dev_attr_completion_spin_us.attr,
	&dev_attr_spin_stat.attr,
	&dev_attr_reset.attr,
	&dev_attr_io_stat.attr,
	&dev_attr_read_latency.attr,
	&dev_attr_integrity_stat.attr,
	&dev_attr_backing_dev.attr,
	&dev_attr_backing_stat.attr,
	NULL,
};

static const struct attribute_group rs_disk_group = {
	.attrs = rs_disk_attrs,
};

static const struct attribute_group *rs_disk_groups[] = {
	&rs_disk_group,
	NULL,
};

static void rs_set_limits(struct request_queue *q)
{
	blk_queue_logical_block_size(q, RS_BLOCK_SIZE);
	blk_queue_physical_block_size(q, RS_BLOCK_SIZE);
	blk_queue_io_min(q, RS_BLOCK_SIZE);
	blk_queue_max_hw_sectors(q, RS_MAX_IO >> RS_SECTOR_SHIFT);
	blk_queue_max_segments(q, KRDMA_IO_MAX_SGE);
	/* a 2 MiB chunk lies in one slab: slabs are multiples of it */
	blk_queue_chunk_sectors(q, DVS_IO_MAX >> RS_SECTOR_SHIFT);
	q->limits.discard_granularity = RS_BLOCK_SIZE;
	blk_queue_max_discard_sectors(q, UINT_MAX >> RS_SECTOR_SHIFT);
	blk_queue_max_write_zeroes_sectors(q, UINT_MAX >> RS_SECTOR_SHIFT);
	blk_queue_flag_set(QUEUE_FLAG_NONROT, q);
	blk_queue_flag_clear(QUEUE_FLAG_ADD_RANDOM, q);
}

/*
 * Makes device @id, unsized, with the default settings of a space and no
 * completion spin. rs_devs_lock held.
 */
static int rs_dev_add(int id)
{
	struct dvs_space_config c;
	struct rs_dev *dev;
	struct gendisk *disk;
	int ret;

	dev = rs_kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	dev->id = id;
	dvs_space_config_init(&c);
	dev->backend = c.backend;
	dev->replicas = c.copies;
	dev->slab_size = c.slab_size;
	dev->pool_min = c.pool_min;
	dev->pool_max = c.pool_max;
	dev->release_delay_s = c.release_delay_s;
	mutex_init(&dev->lock);
	dev->set.ops = &rs_mq_ops;
	dev->set.nr_hw_queues = hw_queues ? hw_queues : num_online_cpus();
	dev->set.queue_depth = rs_queue_depth;
	dev->set.numa_node = NUMA_NO_NODE;
	dev->set.cmd_size = sizeof(struct rs_cmd);
	dev->set.flags = BLK_MQ_F_SHOULD_MERGE;
	ret = blk_mq_alloc_tag_set(&dev->set);
	if (ret)
		goto err_free;
	disk = rackswap_alloc_disk(&dev->set, dev);
	if (IS_ERR(disk)) {
		ret = PTR_ERR(disk);
		goto err_set;
	}
	dev->disk = disk;
	disk->major = rs_major;
	disk->first_minor = id;
	disk->minors = 1;
	disk->fops = &rs_fops;
	disk->private_data = dev;
	snprintf(disk->disk_name, DISK_NAME_LEN, "rackswap%d", id);
	rs_set_limits(disk->queue);
	set_capacity(disk, 0);
	ret = device_add_disk(NULL, disk, rs_disk_groups);
	if (ret)
		goto err_disk;
	rs_devs[id] = dev;
	return 0;

err_disk:
	put_disk(disk);
err_set:
	blk_mq_free_tag_set(&dev->set);
err_free:
	kfree(dev);
	return ret;
}

/* Removes a device that is not open and claimed (or the module's going). */
static void rs_dev_remove(struct rs_dev *dev)
{
	del_gendisk(dev->disk);
	/* removed: nothing is open, no request in flight */
	if (dev->space)
		dvs_space_destroy(dev->space);
	if (dev->backing)
		rs_backing_close(dev->backing);
	put_disk(dev->disk);
	blk_mq_free_tag_set(&dev->set);
	kfree(dev);
}

/*
 * Reading hot_add makes a device and prints its number (zram's model: a
 * read that changes state, so root-only, mode 0400).
 */
static ssize_t hot_add_show(RACKSWAP_CLASS_CONST struct class *class,
			    struct class_attribute *attr, char *buf)
{
	int id, ret = -ENOSPC;

	mutex_lock(&rs_devs_lock);
	for (id = 0; id < RS_MAX_DEVICES; id++)
		if (!rs_devs[id])
			break;
	if (id < RS_MAX_DEVICES)
		ret = rs_dev_add(id);
	mutex_unlock(&rs_devs_lock);
	if (ret) {
		pr_warn("hot_add: no device made (%d)\n", ret);
		return ret;
	}
	pr_info("rackswap%d added\n", id);
	return sysfs_emit(buf, "%d\n", id);
}

static struct class_attribute class_attr_hot_add =
	__ATTR(hot_add, 0400, hot_add_show, NULL);

/* Removes device N unless it is open (-EBUSY) or does not exist (-ENODEV). */
static ssize_t hot_remove_store(RACKSWAP_CLASS_CONST struct class *class,
				struct class_attribute *attr,
				const char *buf, size_t count)
{
	struct rs_dev *dev;
	unsigned int id;
	int ret = 0;

	if (kstrtouint(buf, 10, &id) || id >= RS_MAX_DEVICES) {
		pr_warn("hot_remove: '%s' is not a device number\n",
			strim((char *)buf));
		return -EINVAL;
	}
	mutex_lock(&rs_devs_lock);
	dev = rs_devs[id];
	if (!dev) {
		pr_warn("hot_remove: no rackswap%u\n", id);
		ret = -ENODEV;
		goto out;
	}
	mutex_lock(&dev->disk->open_mutex);
	if (rackswap_disk_openers(dev->disk))
		ret = -EBUSY;
	else
		dev->claim = true;
	mutex_unlock(&dev->disk->open_mutex);
	if (ret) {
		pr_warn("hot_remove: rackswap%u is in use\n", id);
		goto out;
	}
	/* sysfs writes to the disk's files end before del_gendisk returns */
	rs_devs[id] = NULL;
	rs_dev_remove(dev);
	pr_info("rackswap%u removed\n", id);
out:
	mutex_unlock(&rs_devs_lock);
	return ret ? ret : count;
}

static CLASS_ATTR_WO(hot_remove);

static struct attribute *rs_control_attrs[] = {
	&class_attr_hot_add.attr,
	&class_attr_hot_remove.attr,
	NULL,
};
ATTRIBUTE_GROUPS(rs_control);

static struct class rs_control_class = {
	.name		= "rackswap-control",
	.class_groups	= rs_control_groups,
};

int rackswap_blkdev_init(void)
{
	unsigned int i;
	int ret = 0;

	if (num_devices > RS_MAX_DEVICES || !rs_queue_depth ||
	    rs_queue_depth > 1024 || hw_queues > 256) {
		pr_err("num_devices %u (0-16), blk_queue_depth %u (1-1024), hw_queues %u (0-256): out of range\n",
		       num_devices, rs_queue_depth, hw_queues);
		return -EINVAL;
	}
	ret = rs_backing_init();
	if (ret)
		return ret;
	rs_major = register_blkdev(0, "rackswap");
	if (rs_major < 0) {
		ret = rs_major;
		goto err_backing;
	}
	ret = class_register(&rs_control_class);
	if (ret)
		goto err_blkdev;
	mutex_lock(&rs_devs_lock);
	for (i = 0; i < num_devices; i++) {
		ret = rs_dev_add(i);
		if (ret)
			break;
	}
	mutex_unlock(&rs_devs_lock);
	if (ret) {
		rackswap_blkdev_exit();
		return ret;
	}
	return 0;

err_blkdev:
	unregister_blkdev(rs_major, "rackswap");
err_backing:
	rs_backing_exit();
	return ret;
}

void rackswap_blkdev_exit(void)
{
	int i;

	/* no hot_add or hot_remove runs after this */
	class_unregister(&rs_control_class);
	mutex_lock(&rs_devs_lock);
	for (i = 0; i < RS_MAX_DEVICES; i++) {
		if (rs_devs[i])
			rs_dev_remove(rs_devs[i]);
		rs_devs[i] = NULL;
	}
	mutex_unlock(&rs_devs_lock);
	unregister_blkdev(rs_major, "rackswap");
	rs_backing_exit();
}
