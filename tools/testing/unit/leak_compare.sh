#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# res_compare (selftests/rackswap/lib.sh), run by busybox sh as in the VM:
# growth in both runs of cycles is a leak, growth in one run is noise,
# any change of RDMA resource counts fails.
. "$(dirname "$0")/tap.lib"
LIB=$(cd "$(dirname "$0")/../selftests/rackswap" && pwd)/lib.sh
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT

snap() { # file rdma-qp kmalloc-64 dentry memfree
	printf 'rdma 0: rxe0: pd 1 cq 2 qp %s\nslab kmalloc-64 %s\nslab dentry %s\nmemfree %s\n' \
		"$2" "$3" "$4" "$5" >"$D/$1"
}
cmp3() { busybox sh -c ". '$LIB'; res_compare '$D/a' '$D/b' '$D/c' 20"; }

snap a 2 1000 500 100000; snap b 2 1000 500 100000; snap c 2 1000 500 100000
expect "nothing changed: pass" 0 cmp3
snap b 2 1020 500 100000; snap c 2 1040 500 100000
expect "kmalloc-64 +20 per run of 20 cycles: leak" 1 cmp3
snap b 2 1019 500 100000; snap c 2 1038 500 100000
expect "kmalloc-64 +19 per run of 20 cycles: below one per cycle" 0 cmp3
snap b 2 1000 700 100000; snap c 2 1000 700 100000
expect "dentry +200 in the first run only: noise" 0 cmp3
snap b 2 1000 500 100000; snap c 3 1000 500 100000
expect "one more QP: fails" 1 cmp3
snap b 2 1000 500 98000; snap c 2 1000 500 96000
expect "MemFree -2000 kB in both runs: fails" 1 cmp3
snap b 2 1000 500 98000; snap c 2 1000 500 98000
expect "MemFree -2000 kB in one run: noise" 0 cmp3
# RES_KNOWN: one object per cycle of a cache the kernel leaks is allowed
known() { busybox sh -c ". '$LIB'; RES_KNOWN='inode_cache dentry'; res_compare '$D/a' '$D/b' '$D/c' 20"; }
snap b 2 1000 520 100000; snap c 2 1000 540 100000
expect "dentry +20 per run of 20 cycles: a leak" 1 cmp3
expect "the same with dentry in RES_KNOWN: allowed" 0 known
snap b 2 1000 540 100000; snap c 2 1000 580 100000
expect "dentry +40 per run of 20 cycles, in RES_KNOWN: a leak" 1 known
snap b 2 1020 520 100000; snap c 2 1040 540 100000
expect "RES_KNOWN does not cover kmalloc-64 +20 per run" 1 known
done_testing
