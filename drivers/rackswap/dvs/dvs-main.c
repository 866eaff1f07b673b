// SPDX-License-Identifier: GPL-2.0
/*
 * dvs: distributed slab storage over krdma (RackMem's dvs), and the donor
 * side that gives this node's memory to the others. This file loads and
 * unloads the module.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/rackswap.h>

#include "dvs-priv.h"

static int __init dvs_module_init(void)
{
	return dvs_init();
}

static void __exit dvs_module_exit(void)
{
	dvs_exit();
}

module_init(dvs_module_init);
module_exit(dvs_module_exit);

MODULE_AUTHOR("The rackswap developers");
MODULE_DESCRIPTION("rackswap: distributed slab storage over RDMA (dvs)");
MODULE_LICENSE("GPL");
/* an encrypted space's gcm(aes): found by the crypto API, loaded first */
MODULE_SOFTDEP("pre: gcm");
MODULE_VERSION(RACKSWAP_VERSION);
