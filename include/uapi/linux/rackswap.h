/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * rackswap: constants shared by the kernel modules and their user-space
 * tools.
 *
 * This header is part of the user-visible interface: it only grows.
 */
#ifndef _UAPI_LINUX_RACKSWAP_H
#define _UAPI_LINUX_RACKSWAP_H

/* The block devices' module, the debugfs directory, the sysfs class. */
#define RACKSWAP_NAME		"rackswap"

/* Release of the modules; shown by modinfo and by debugfs "version". */
#define RACKSWAP_VERSION	"0.1.0"

#endif /* _UAPI_LINUX_RACKSWAP_H */
