// SPDX-License-Identifier: GPL-2.0
/*
 * rackswap: the debugfs directory (/sys/kernel/debug/rackswap/), with the
 * fault points' directories in fault/ when they are built in (fault.c).
 *
 * debugfs is not ABI; every operation found here also exists in sysfs
 * once it is more than a diagnostic.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/utsname.h>

#include "krdma-priv.h"
#include "fault.h"

/*
 * Root of /sys/kernel/debug/rackswap/ (version, fault/, krdma/). Set at
 * load, before anything else of krdma runs, and cleared at unload after
 * all of it stopped; read-only in between. NULL or an ERR_PTR when debugfs
 * is not available (debugfs calls accept both).
 */
struct dentry *rackswap_debugfs_root;

static int version_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s %s\n", RACKSWAP_NAME, RACKSWAP_VERSION);
	seq_printf(m, "kernel %s\n", init_utsname()->release);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(version);

int rackswap_debugfs_init(void)
{
	rackswap_debugfs_root = debugfs_create_dir(RACKSWAP_NAME, NULL);
	/* debugfs failures are not fatal: the module works without it. */
	if (IS_ERR(rackswap_debugfs_root))
		pr_info("debugfs not available (%ld)\n",
			PTR_ERR(rackswap_debugfs_root));
	debugfs_create_file("version", 0444, rackswap_debugfs_root, NULL,
			    &version_fops);
	rs_fault_debugfs_init(rackswap_debugfs_root);
	return 0;
}

void rackswap_debugfs_exit(void)
{
	debugfs_remove(rackswap_debugfs_root);
	rackswap_debugfs_root = NULL;
	rs_fault_debugfs_exit();
}
