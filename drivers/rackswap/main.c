// SPDX-License-Identifier: GPL-2.0
/*
 * rackswap: swap anonymous memory over RDMA into memory donated by other
 * machines of the rack.
 *
 * This file loads and unloads the module: it starts the parts in order and
 * stops them in reverse order.
 */
#include <linux/init.h>
#include <linux/module.h>

#include "rackswap.h"
#include "krdma.h"
#include "dvs.h"
#include "blkdev.h"

static int __init rackswap_init(void)
{
	int ret;

	ret = rackswap_identity_init();
	if (ret)
		return ret;
	ret = rackswap_debugfs_init();
	if (ret)
		return ret;
	ret = rackswap_sysfs_init();
	if (ret)
		goto err_debugfs;
	ret = krdma_init();
	if (ret)
		goto err_sysfs;
	ret = dvs_init();
	if (ret)
		goto err_krdma;
	ret = rackswap_blkdev_init();
	if (ret)
		goto err_dvs;

	pr_info("version %s loaded\n", RACKSWAP_VERSION);
	return 0;

err_dvs:
	dvs_exit();
err_krdma:
	krdma_exit();
err_sysfs:
	rackswap_sysfs_exit();
err_debugfs:
	rackswap_debugfs_exit();
	return ret;
}

static void __exit rackswap_exit(void)
{
	rackswap_blkdev_exit();
	dvs_exit();
	krdma_exit();
	rackswap_sysfs_exit();
	rackswap_debugfs_exit();
	pr_info("unloaded\n");
}

module_init(rackswap_init);
module_exit(rackswap_exit);

MODULE_AUTHOR("The rackswap developers");
MODULE_DESCRIPTION("Swap to remote memory over RDMA (RackMem design)");
MODULE_LICENSE("GPL");
MODULE_VERSION(RACKSWAP_VERSION);
