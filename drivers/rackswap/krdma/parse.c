// SPDX-License-Identifier: GPL-2.0
/*
 * rackswap: parsing of the sizes users give (disksize, donate, slab_size),
 * as parameters and in sysfs files.
 */
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/string.h>

#include "krdma-priv.h"

/*
 * Parses a byte count as memparse() reads it: a number (decimal, 0x hex or
 * 0 octal) with an optional K, M, G, T, P or E suffix, and one trailing
 * newline. Unlike memparse(), a number or a size that does not fit in 64
 * bits is refused (-ERANGE) instead of wrapping around to a small value.
 * Anything else, leading spaces and a sign included, is -EINVAL.
 */
int rackswap_parse_size(const char *s, u64 *size)
{
	unsigned int shift = 0;
	char num[32];
	size_t n;
	u64 v;
	int ret;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		n = 2 + strspn(s + 2, "0123456789abcdefABCDEF");
	else
		n = strspn(s, "0123456789");
	if (!n)
		return -EINVAL;
	if (n >= sizeof(num))
		return -ERANGE;
	memcpy(num, s, n);
	num[n] = '\0';
	ret = kstrtoull(num, 0, &v);
	if (ret)
		return ret;
	s += n;
	switch (*s) {
	case 'E': case 'e':
		shift += 10;
		fallthrough;
	case 'P': case 'p':
		shift += 10;
		fallthrough;
	case 'T': case 't':
		shift += 10;
		fallthrough;
	case 'G': case 'g':
		shift += 10;
		fallthrough;
	case 'M': case 'm':
		shift += 10;
		fallthrough;
	case 'K': case 'k':
		shift += 10;
		s++;
		break;
	default:
		break;
	}
	if (*s == '\n')
		s++;
	if (*s)
		return -EINVAL;
	if (shift && v > (U64_MAX >> shift))
		return -ERANGE;
	*size = v << shift;
	return 0;
}
EXPORT_SYMBOL_GPL(rackswap_parse_size);
