/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host unit tests: the kernel's bitmap operations the module's pure-logic
 * files use, and find_next_bit() and for_each_set_bit() of <linux/find.h>
 * (which the kernel's <linux/bitmap.h> includes). Written plainly, bit by
 * bit or word by word: the tests check the callers, not these.
 */
#ifndef _SHIM_LINUX_BITMAP_H
#define _SHIM_LINUX_BITMAP_H
#include <linux/bitops.h>
#include <linux/bits.h>
#include <linux/types.h>

#define BITMAP_LAST_WORD_MASK(nbits) (~0UL >> (-(nbits) & (BITS_PER_LONG - 1)))

static inline unsigned long find_next_bit(const unsigned long *addr,
					  unsigned long size,
					  unsigned long offset)
{
	unsigned long w;

	while (offset < size) {
		w = addr[BIT_WORD(offset)] >> (offset % BITS_PER_LONG);
		if (w) {
			offset += __builtin_ctzl(w);
			return offset < size ? offset : size;
		}
		offset += BITS_PER_LONG - offset % BITS_PER_LONG;
	}
	return size;
}

#define for_each_set_bit(bit, addr, size) \
	for ((bit) = 0; (bit) = find_next_bit((addr), (size), (bit)), \
	     (bit) < (size); (bit)++)

static inline bool bitmap_empty(const unsigned long *src, unsigned int nbits)
{
	return find_next_bit(src, nbits, 0) == nbits;
}

static inline unsigned int bitmap_weight(const unsigned long *src,
					 unsigned int nbits)
{
	unsigned int k, w = 0;

	for (k = 0; k < nbits / BITS_PER_LONG; k++)
		w += hweight_long(src[k]);
	if (nbits % BITS_PER_LONG)
		w += hweight_long(src[k] & BITMAP_LAST_WORD_MASK(nbits));
	return w;
}

static inline void bitmap_set(unsigned long *map, unsigned int start,
			      unsigned int nbits)
{
	for (; nbits; nbits--, start++)
		map[BIT_WORD(start)] |= BIT_MASK(start);
}

static inline void bitmap_clear(unsigned long *map, unsigned int start,
				unsigned int nbits)
{
	for (; nbits; nbits--, start++)
		map[BIT_WORD(start)] &= ~BIT_MASK(start);
}
#endif
