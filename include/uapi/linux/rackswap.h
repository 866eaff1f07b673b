/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * rackswap: constants shared by the kernel module and its user-space tools.
 *
 * This header is part of the user-visible interface: it only grows.
 */
#ifndef _UAPI_LINUX_RACKSWAP_H
#define _UAPI_LINUX_RACKSWAP_H

/* Name of the module, of its debugfs directory and of its sysfs class. */
#define RACKSWAP_NAME		"rackswap"

/* Release of the module; shown by modinfo and by debugfs "version". */
#define RACKSWAP_VERSION	"0.1.0"

#endif /* _UAPI_LINUX_RACKSWAP_H */
