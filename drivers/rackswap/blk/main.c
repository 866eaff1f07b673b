// SPDX-License-Identifier: GPL-2.0
/*
 * rackswap: swap anonymous memory over RDMA into memory donated by other
 * machines of the rack. This module holds the block devices
 * (/dev/rackswapN) and their backing device; the storage is dvs.ko's, the
 * transport krdma.ko's, both loaded first by modprobe.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/rackswap.h>

#include "blkdev.h"

static int __init rackswap_init(void)
{
	int ret;

	ret = rackswap_blkdev_init();
	if (ret)
		return ret;
	pr_info("version %s loaded\n", RACKSWAP_VERSION);
	return 0;
}

static void __exit rackswap_exit(void)
{
	rackswap_blkdev_exit();
	pr_info("unloaded\n");
}

module_init(rackswap_init);
module_exit(rackswap_exit);

MODULE_AUTHOR("The rackswap developers");
MODULE_DESCRIPTION("Swap to remote memory over RDMA: the block devices");
MODULE_LICENSE("GPL");
MODULE_VERSION(RACKSWAP_VERSION);
