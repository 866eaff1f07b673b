/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rackswap: the one place that knows kernel versions.
 *
 * Code elsewhere calls the helpers below and never tests
 * LINUX_VERSION_CODE itself, so that one tree builds on every kernel we
 * support (5.10 to 6.12). Built and tested on 6.1; the other branches
 * follow the kernel's own changes (named in each comment).
 */
#ifndef _RACKSWAP_COMPAT_H
#define _RACKSWAP_COMPAT_H

#include <linux/version.h>
#include <linux/export.h>
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/device.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kthread.h>

#if KERNEL_VERSION(5, 10, 0) > LINUX_VERSION_CODE
#error "rackswap needs Linux 5.10 or newer"
#endif

/*
 * Internals the test module (rackswap_test.ko, CONFIG_RACKSWAP_TEST) uses
 * are exported to it alone, in the RACKSWAP_TEST symbol namespace, and only
 * when it is built: a build without it (every package) exports none. 6.13
 * made namespaces strings.
 */
#if KERNEL_VERSION(6, 13, 0) <= LINUX_VERSION_CODE
#define RS_TEST_NS	"RACKSWAP_TEST"
#else
#define RS_TEST_NS	RACKSWAP_TEST
#endif
#if IS_ENABLED(CONFIG_RACKSWAP_TEST)
#define EXPORT_SYMBOL_IF_RS_TEST(sym)	EXPORT_SYMBOL_NS_GPL(sym, RS_TEST_NS)
#else
#define EXPORT_SYMBOL_IF_RS_TEST(sym)
#endif

/* 5.17 named complete_and_exit() for kthreads. */
#if KERNEL_VERSION(5, 17, 0) > LINUX_VERSION_CODE
#define kthread_complete_and_exit(comp, code)	complete_and_exit(comp, code)
#endif

/* 6.9 gave blk_mq_alloc_disk() a queue_limits argument. */
static inline struct gendisk *
rackswap_alloc_disk(struct blk_mq_tag_set *set, void *queuedata)
{
#if KERNEL_VERSION(6, 9, 0) <= LINUX_VERSION_CODE
	return blk_mq_alloc_disk(set, NULL, queuedata);
#else
	return blk_mq_alloc_disk(set, queuedata);
#endif
}

/*
 * 6.5 passes the gendisk to block_device_operations.open; before, the
 * block_device. RACKSWAP_OPEN_ARGS declares the arguments,
 * RACKSWAP_OPEN_DISK names the disk among them.
 */
#if KERNEL_VERSION(6, 5, 0) <= LINUX_VERSION_CODE
#define RACKSWAP_OPEN_ARGS	struct gendisk *disk, blk_mode_t mode
#define RACKSWAP_OPEN_DISK	(disk)
#else
#define RACKSWAP_OPEN_ARGS	struct block_device *bdev, fmode_t mode
#define RACKSWAP_OPEN_DISK	(bdev->bd_disk)
#endif

/*
 * Opens of @disk; the caller holds disk->open_mutex (5.15+, when part0
 * became a block_device; 5.19 made bd_openers atomic and added
 * disk_openers()).
 */
static inline unsigned int rackswap_disk_openers(struct gendisk *disk)
{
#if KERNEL_VERSION(5, 19, 0) <= LINUX_VERSION_CODE
	return disk_openers(disk);
#else
	return disk->part0->bd_openers;
#endif
}

/* 6.4 dropped class_create()'s owner and made class pointers const. */
#if KERNEL_VERSION(6, 4, 0) <= LINUX_VERSION_CODE
#define rackswap_class_create(name)	class_create(name)
#define RACKSWAP_CLASS_CONST		const
#else
#define rackswap_class_create(name)	class_create(THIS_MODULE, name)
#define RACKSWAP_CLASS_CONST
#endif

/*
 * A block device opened by path, exclusively for @holder, to read and
 * write (the backing device). 6.5 replaced fmode_t by blk_mode_t and made
 * blkdev_put() take the holder, 6.8 returned a bdev_handle, 6.9 a file.
 */
struct rackswap_bdev {
	struct block_device	*bdev;
#if KERNEL_VERSION(6, 9, 0) <= LINUX_VERSION_CODE
	struct file		*file;
#elif KERNEL_VERSION(6, 8, 0) <= LINUX_VERSION_CODE
	struct bdev_handle	*handle;
#endif
	void			*holder;
};

static inline int rackswap_bdev_open(struct rackswap_bdev *b,
				     const char *path, void *holder)
{
#if KERNEL_VERSION(6, 9, 0) <= LINUX_VERSION_CODE
	b->file = bdev_file_open_by_path(path, BLK_OPEN_READ | BLK_OPEN_WRITE,
					 holder, NULL);
	if (IS_ERR(b->file))
		return PTR_ERR(b->file);
	b->bdev = file_bdev(b->file);
#elif KERNEL_VERSION(6, 8, 0) <= LINUX_VERSION_CODE
	b->handle = bdev_open_by_path(path, BLK_OPEN_READ | BLK_OPEN_WRITE,
				      holder, NULL);
	if (IS_ERR(b->handle))
		return PTR_ERR(b->handle);
	b->bdev = b->handle->bdev;
#elif KERNEL_VERSION(6, 5, 0) <= LINUX_VERSION_CODE
	b->bdev = blkdev_get_by_path(path, BLK_OPEN_READ | BLK_OPEN_WRITE,
				     holder, NULL);
	if (IS_ERR(b->bdev))
		return PTR_ERR(b->bdev);
#else
	b->bdev = blkdev_get_by_path(path, FMODE_READ | FMODE_WRITE |
				     FMODE_EXCL, holder);
	if (IS_ERR(b->bdev))
		return PTR_ERR(b->bdev);
#endif
	b->holder = holder;
	return 0;
}

static inline void rackswap_bdev_close(struct rackswap_bdev *b)
{
#if KERNEL_VERSION(6, 9, 0) <= LINUX_VERSION_CODE
	fput(b->file);
#elif KERNEL_VERSION(6, 8, 0) <= LINUX_VERSION_CODE
	bdev_release(b->handle);
#elif KERNEL_VERSION(6, 5, 0) <= LINUX_VERSION_CODE
	blkdev_put(b->bdev, b->holder);
#else
	blkdev_put(b->bdev, FMODE_READ | FMODE_WRITE | FMODE_EXCL);
#endif
}

/* 5.16 added bdev_nr_bytes(). */
static inline u64 rackswap_bdev_bytes(struct block_device *bdev)
{
#if KERNEL_VERSION(5, 16, 0) <= LINUX_VERSION_CODE
	return bdev_nr_bytes(bdev);
#else
	return i_size_read(bdev->bd_inode);
#endif
}

/*
 * A bio to write (@write) or read @bdev: 5.18 gave bio_alloc() the device
 * and the operation (whose type became blk_opf_t in 6.0).
 */
static inline struct bio *rackswap_bio_alloc(struct block_device *bdev,
					     unsigned short nr, bool write,
					     gfp_t gfp)
{
#if KERNEL_VERSION(5, 18, 0) <= LINUX_VERSION_CODE
	return bio_alloc(bdev, nr, write ? REQ_OP_WRITE : REQ_OP_READ, gfp);
#else
	struct bio *bio = bio_alloc(gfp, nr);

	if (bio) {
		bio_set_dev(bio, bdev);
		bio->bi_opf = write ? REQ_OP_WRITE : REQ_OP_READ;
	}
	return bio;
#endif
}

#endif /* _RACKSWAP_COMPAT_H */
