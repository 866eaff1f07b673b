// SPDX-License-Identifier: GPL-2.0
/*
 * rackswap: parsing of the sizes users give (disksize, donate, slab_size),
 * as parameters and in sysfs files.
 */
#include <linux/kernel.h>
#include <linux/overflow.h>
#include <linux/string.h>

#include "krdma-priv.h"

/*
 * Parses a byte count as memparse() reads it: a number (decimal, 0x hex or
 * 0 octal) with an optional K, M, G, T, P or E suffix, and one trailing
 * newline. Unlike memparse(), a number or a size that does not fit in 64
 * bits is refused (-ERANGE) instead of wrapping around to a small value.
 * Anything else, leading spaces and a sign included, is -EINVAL.
 *
 * memparse() itself wraps around silently (in simple_strtoull() and in the
 * suffix's shifts) and reads a missing number as 0: so the number goes
 * through kstrtoull(), and memparse() of "1" and the suffix gives the
 * factor, which is multiplied in with an overflow check.
 */
int rackswap_parse_size(const char *s, u64 *size)
{
	char num[32], unit[3] = "1", *end;
	u64 v, factor, bytes;
	size_t n;
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
	unit[1] = s[n];
	factor = memparse(unit, &end);
	s += n + (end - unit - 1);	/* past the suffix, if there is one */
	if (*s == '\n')
		s++;
	if (*s)
		return -EINVAL;
	if (check_mul_overflow(v, factor, &bytes))
		return -ERANGE;
	*size = bytes;
	return 0;
}
EXPORT_SYMBOL_GPL(rackswap_parse_size);
