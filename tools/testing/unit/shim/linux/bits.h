/* SPDX-License-Identifier: GPL-2.0 */
/* Host unit tests: the bit helpers the module's pure-logic files use. */
#ifndef _SHIM_LINUX_BITS_H
#define _SHIM_LINUX_BITS_H
#define BITS_PER_LONG	(__SIZEOF_LONG__ * 8)
#define BIT_ULL(nr)	(1ULL << (nr))
#define BIT_MASK(nr)	(1UL << ((nr) % BITS_PER_LONG))
#define BIT_WORD(nr)	((nr) / BITS_PER_LONG)
#endif
