/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host unit tests: errno values as the kernel spells them. Not <errno.h>:
 * glibc's would include this file again in place of the kernel's.
 */
#ifndef _SHIM_LINUX_ERRNO_H
#define _SHIM_LINUX_ERRNO_H
#include <asm/errno.h>
#endif
