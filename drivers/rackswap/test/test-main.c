// SPDX-License-Identifier: GPL-2.0
/*
 * rackswap_test: the test module. Loaded after the product modules (it
 * needs krdma.ko and dvs.ko), it adds /sys/kernel/debug/rackswap_test/:
 *
 *   krdma/	RPC and one-sided RDMA tests, malformed messages, test
 *		knobs of krdma, the negative controls and attacks on the
 *		handshake, a fuzzer of its fields
 *   dvs/	test spaces, the donor's slab sums, a rogue client
 *
 * Each file is described in the file that makes it, and all of them in
 * tools/testing/selftests/rackswap/README.md.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/rackswap.h>

#include "test.h"

static struct dentry *rs_test_root;

/* Reads the string @result, which @lock protects. */
ssize_t rs_test_read_result(struct mutex *lock, const char *result,
			    char __user *ubuf, size_t count, loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(lock);
	ret = simple_read_from_buffer(ubuf, count, ppos, result,
				      strlen(result));
	mutex_unlock(lock);
	return ret;
}

/* sort() order of u32 values, for the latency percentiles */
int rs_test_cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

static int __init rs_test_init(void)
{
	struct dentry *kdir;
	int ret;

	rs_test_root = debugfs_create_dir("rackswap_test", NULL);
	if (IS_ERR(rs_test_root)) {
		pr_err("needs debugfs: %pe\n", rs_test_root);
		return PTR_ERR(rs_test_root);
	}
	kdir = debugfs_create_dir("krdma", rs_test_root);
	ret = krdma_rpc_test_init(kdir);
	if (ret)
		goto err_dir;
	ret = krdma_test_init(kdir);
	if (ret)
		goto err_rpc;
	krdma_neg_init(kdir);
	krdma_auth_test_init(kdir);
	krdma_auth_fuzz_init(kdir);
	dvs_test_init(debugfs_create_dir("dvs", rs_test_root));
	pr_info("loaded: test hooks armed only on request\n");
	return 0;

err_rpc:
	krdma_rpc_test_exit();
err_dir:
	debugfs_remove(rs_test_root);
	return ret;
}

static void __exit rs_test_exit(void)
{
	/* no file opens a new run; runs in progress hold the module */
	debugfs_remove(rs_test_root);
	dvs_test_exit();
	krdma_auth_fuzz_exit();
	krdma_auth_test_exit();
	krdma_neg_exit();
	krdma_test_exit();
	krdma_rpc_test_exit();
	pr_info("unloaded\n");
}

module_init(rs_test_init);
module_exit(rs_test_exit);

MODULE_IMPORT_NS(RS_TEST_NS);
MODULE_AUTHOR("The rackswap developers");
MODULE_DESCRIPTION("rackswap: tests of krdma and dvs (never shipped)");
MODULE_LICENSE("GPL");
MODULE_VERSION(RACKSWAP_VERSION);
