// SPDX-License-Identifier: GPL-2.0
/*
 * rackswap: the fault points' attributes and their debugfs directories,
 * /sys/kernel/debug/rackswap/fault/<point>/ (built with
 * CONFIG_RACKSWAP_FAULT_INJECTION only; fault.h says where each fires).
 *
 * Each point is one standard fault attribute: probability, interval,
 * times, space, verbose... as Documentation/fault-injection/
 * fault-injection.rst describes; "times" counts down the failures still
 * to inject, so a test reads what it injected there. All start off
 * (probability 0).
 */
#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/kernel.h>

#include "compat.h"
#include "fault.h"

/*
 * Written through debugfs at any time, read by should_fail(); the
 * fault-injection core keeps "times" and "space" atomic and takes the
 * other knobs as they come, as it does for failslab.
 */
static struct fault_attr rs_fault_attr[RS_FAULT_NR] = {
	[0 ... RS_FAULT_NR - 1] = FAULT_ATTR_INITIALIZER,
};

static const char * const rs_fault_name[RS_FAULT_NR] = {
	[RS_FAULT_ALLOC]	= "alloc",
	[RS_FAULT_RPC_SEND]	= "rpc_send",
	[RS_FAULT_REG]		= "reg",
	[RS_FAULT_POST]		= "post",
	[RS_FAULT_REFUSE]	= "refuse",
};

bool rs_should_fail(enum rs_fault_point point, size_t size)
{
	/* "space" is an int: a huge size only needs to be big */
	return should_fail(&rs_fault_attr[point], min_t(size_t, size, INT_MAX));
}
EXPORT_SYMBOL_GPL(rs_should_fail);

/* Under @root (rackswap's debugfs directory); failures are not fatal. */
void rs_fault_debugfs_init(struct dentry *root)
{
	struct dentry *dir, *d;
	int p;

	dir = debugfs_create_dir("fault", root);
	if (IS_ERR(dir))
		return;		/* no debugfs: rackswap_debugfs_init() said so */
	for (p = 0; p < RS_FAULT_NR; p++) {
		d = fault_create_debugfs_attr(rs_fault_name[p], dir,
					      &rs_fault_attr[p]);
		if (IS_ERR(d))
			pr_info("fault point %s: no debugfs directory (%ld)\n",
				rs_fault_name[p], PTR_ERR(d));
	}
}

/*
 * After the removal of rackswap's debugfs directory: the reference each
 * attribute holds on its directory's dentry (taken by
 * fault_create_debugfs_attr()) goes too.
 */
void rs_fault_debugfs_exit(void)
{
	int p;

	for (p = 0; p < RS_FAULT_NR; p++) {
		dput(rs_fault_attr[p].dname);
		rs_fault_attr[p].dname = NULL;
	}
}
