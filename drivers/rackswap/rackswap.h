/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rackswap: state shared by the parts of the module.
 */
#ifndef _RACKSWAP_H
#define _RACKSWAP_H

#include <linux/dcache.h>
#include <linux/kobject.h>
#include <linux/rackswap.h>
#include <linux/uuid.h>

#include "compat.h"

/*
 * Root of /sys/kernel/debug/rackswap/. Set once at module load, before any
 * other part of the module runs, and cleared at unload after all of them
 * stopped; read-only in between, so it needs no lock. NULL or an ERR_PTR
 * when debugfs is not available (debugfs calls accept both).
 */
extern struct dentry *rackswap_debugfs_root;

/* This node's identity: set once at load (identity.c), then const. */
struct rackswap_identity {
	char	name[64];
	uuid_t	uuid;
	u64	incarnation;	/* load time, ns since the epoch */
};

extern struct rackswap_identity rs_self;
int rackswap_identity_init(void);

/* /sys/kernel/rackswap/: set at load (sysfs.c), then const until unload. */
extern struct kobject *rackswap_kobj;
int rackswap_sysfs_init(void);
void rackswap_sysfs_exit(void);

/* A byte count with a K/M/G/T/P/E suffix, overflow refused (parse.c). */
int rackswap_parse_size(const char *s, u64 *size);

int rackswap_debugfs_init(void);
void rackswap_debugfs_exit(void);

#endif /* _RACKSWAP_H */
