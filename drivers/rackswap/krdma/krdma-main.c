// SPDX-License-Identifier: GPL-2.0
/*
 * krdma: kernel-to-kernel connections, RPC, grants and one-sided I/O over
 * rdma_cm, the lowest layer of rackswap (RackMem's krdma). It also holds
 * what every layer shares: this node's identity, /sys/kernel/rackswap/ and
 * /sys/kernel/debug/rackswap/. This file loads and unloads the module: it
 * starts the parts in order and stops them in reverse order.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/rackswap.h>

#include "krdma-priv.h"

static int __init krdma_module_init(void)
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
	return 0;

err_sysfs:
	rackswap_sysfs_exit();
err_debugfs:
	rackswap_debugfs_exit();
	return ret;
}

static void __exit krdma_module_exit(void)
{
	krdma_exit();
	rackswap_sysfs_exit();
	rackswap_debugfs_exit();
}

module_init(krdma_module_init);
module_exit(krdma_module_exit);

MODULE_AUTHOR("The rackswap developers");
MODULE_DESCRIPTION("rackswap: kernel-to-kernel RPC and one-sided RDMA (krdma)");
MODULE_LICENSE("GPL");
MODULE_VERSION(RACKSWAP_VERSION);
