/* SPDX-License-Identifier: GPL-2.0 */
/* Host unit tests: the kernel's BITS_TO_LONGS() and hweight_long(). */
#ifndef _SHIM_LINUX_BITOPS_H
#define _SHIM_LINUX_BITOPS_H
#include <linux/bits.h>
#include <linux/types.h>

#define BITS_TO_LONGS(nr)	(((nr) + BITS_PER_LONG - 1) / BITS_PER_LONG)

static inline unsigned int hweight_long(unsigned long w)
{
	return __builtin_popcountl(w);
}
#endif
