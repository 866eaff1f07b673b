/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rackswap: state shared by the parts of the module.
 */
#ifndef _RACKSWAP_H
#define _RACKSWAP_H

#include <linux/dcache.h>
#include <linux/rackswap.h>

#include "compat.h"

/*
 * Root of /sys/kernel/debug/rackswap/. Set once at module load, before any
 * other part of the module runs, and cleared at unload after all of them
 * stopped; read-only in between, so it needs no lock. NULL or an ERR_PTR
 * when debugfs is not available (debugfs calls accept both).
 */
extern struct dentry *rackswap_debugfs_root;

int rackswap_debugfs_init(void);
void rackswap_debugfs_exit(void);

#endif /* _RACKSWAP_H */
