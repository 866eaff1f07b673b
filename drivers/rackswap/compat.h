/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rackswap: the one place that knows kernel versions.
 *
 * Code elsewhere calls the helpers below and never tests
 * LINUX_VERSION_CODE itself, so that one tree builds on every kernel we
 * support (5.10 to 6.12).
 */
#ifndef _RACKSWAP_COMPAT_H
#define _RACKSWAP_COMPAT_H

#include <linux/version.h>

#if KERNEL_VERSION(5, 10, 0) > LINUX_VERSION_CODE
#error "rackswap needs Linux 5.10 or newer"
#endif

#endif /* _RACKSWAP_COMPAT_H */
