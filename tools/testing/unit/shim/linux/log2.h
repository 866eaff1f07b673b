/* SPDX-License-Identifier: GPL-2.0 */
/* Host unit tests: the kernel's ilog2() and is_power_of_2(). */
#ifndef _SHIM_LINUX_LOG2_H
#define _SHIM_LINUX_LOG2_H
#include <linux/types.h>

/* as the kernel's at run time: -1 for 0 */
#define ilog2(n)	((n) ? 63 - __builtin_clzll(n) : -1)

static inline bool is_power_of_2(unsigned long n)
{
	return n != 0 && (n & (n - 1)) == 0;
}
#endif
