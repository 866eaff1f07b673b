/* SPDX-License-Identifier: GPL-2.0 */
/* Host unit tests: the bit helpers the module's pure-logic files use. */
#ifndef _SHIM_LINUX_BITS_H
#define _SHIM_LINUX_BITS_H
#define BIT_ULL(nr)	(1ULL << (nr))
#endif
