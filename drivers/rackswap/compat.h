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
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/device.h>

#if KERNEL_VERSION(5, 10, 0) > LINUX_VERSION_CODE
#error "rackswap needs Linux 5.10 or newer"
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

#endif /* _RACKSWAP_COMPAT_H */
