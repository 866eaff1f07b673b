#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# res_compare and res_delta (selftests/rackswap/lib.sh), run by busybox sh
# as in the VM. res_compare: growth in both runs of cycles is a leak,
# growth in one run is noise, any change of RDMA resource counts fails.
# res_delta (one run): a cache grown by OBJS objects or free memory
# dropped by more than KB fails. On the debug kernel both compare
# kmemleak's reports of ours instead. Each check has a known leak that
# must make it fail (the negative controls).
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
# one run (res_delta): a run that leaked 8000 objects or 800 MB fails (its
# checks were once made with res_compare A B B, which compared nothing)
delta() { busybox sh -c ". '$LIB'; res_delta '$D/a' '$D/$1' 256 4096"; }
snap b 2 1000 500 100000
expect "res_delta: nothing changed: pass" 0 delta b
snap b 2 9000 500 100000
expect "res_delta: kmalloc-64 +8000 objects: a leak" 1 delta b
snap b 2 1000 500 -700000
expect "res_delta: 800 MB less free memory: a leak" 1 delta b
snap b 2 1255 755 96000
expect "res_delta: +255 objects, -4000 kB: within the bounds" 0 delta b
snap b 2 1256 500 100000
expect "res_delta: +256 objects: a leak" 1 delta b
snap b 2 1000 500 95903
expect "res_delta: -4097 kB: a leak" 1 delta b
snap b 3 1000 500 100000
expect "res_delta: one more QP: fails" 1 delta b
# the debug kernel: kmemleak's count of our reports, not slab counts
dbg() { busybox sh -c ". '$LIB'; debug_kernel() { true; }; $1"; }
snap a 2 1000 500 100000; echo "kmemleak 0" >>"$D/a"
snap b 2 9000 500 100000; echo "kmemleak 0" >>"$D/b"
snap c 2 9000 500 100000; echo "kmemleak 1" >>"$D/c"
expect "debug: res_delta without a new kmemleak report: pass" 0 dbg "res_delta '$D/a' '$D/b' 256 4096"
expect "debug: res_delta with one new kmemleak report: a leak" 1 dbg "res_delta '$D/a' '$D/c' 256 4096"
expect "debug: res_compare with one new kmemleak report: a leak" 1 dbg "res_compare '$D/a' '$D/b' '$D/c' 20"
grep -v kmemleak "$D/c" >"$D/d"
expect "debug: a snapshot without kmemleak's count fails" 1 dbg "res_delta '$D/a' '$D/d' 256 4096"
done_testing
