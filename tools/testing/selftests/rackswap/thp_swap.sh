#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=1 tier=check debug=yes timeout=900
#
# Transparent huge pages swapped out whole to /dev/rackswap0 and back
# (loopback mode, 4 MiB slabs). memtouch -H maps its memory 2 MiB-aligned
# with MADV_HUGEPAGE; under memory.max=32M it writes 96 MiB (64 MiB on the
# debug kernel), verifies every word, then reads it all once more without
# rewriting. Checks: THPs were allocated (thp_fault_alloc grew), reclaim
# wrote some out whole (thp_swpout grew: a 2 MiB folio as one swap write,
# 512 pages in one request), every word came back (0 bad words), the
# read-only pass paged in, no request failed.
. ./lib.sh
B=/sys/block/rackswap0
THP=/sys/kernel/mm/transparent_hugepage
tap_plan

check "rxe0 on dummy0" rxe_loopback_up
check "load with loopback=1 donate=512M slab_size=4M" rs_load \
	loopback=1 donate=512M slab_size=4M
loop_connect
check "disksize 256M, mkswap, swapon" sh -c \
	"echo 256M >$B/disksize && mkswap /dev/rackswap0 >/dev/null && swapon /dev/rackswap0"
# "always" or "madvise" both give THPs to a MADV_HUGEPAGE region
grep -q '\[never\]' $THP/enabled && echo madvise >$THP/enabled
check "THP enabled ($(cat $THP/enabled))" sh -c "! grep -q '\[never\]' $THP/enabled"
check "cgroup memory.max=32M" swap_cgroup 32M
MIB=96
debug_kernel && MIB=64
a0=$(vmstat thp_fault_alloc)
t0=$(vmstat thp_swpout)
f0=$(vmstat thp_swpout_fallback)
r=$(in_cgroup memtouch -H -v 1 seq $MIB 1)
log "$r"
log "thp_fault_alloc +$(($(vmstat thp_fault_alloc) - a0)), thp_swpout +$(($(vmstat thp_swpout) - t0)), thp_swpout_fallback +$(($(vmstat thp_swpout_fallback) - f0)); io_stat: $(cat $B/io_stat)"
check "$MIB MiB of THP written, verified, read once more: 0 bad words" \
	sh -c "echo '$r' | grep -q ': 0 bad words'"
check "the read-only pass paged in" sh -c "echo '$r' | grep -q 'pswpin +[1-9]'"
check "huge pages were allocated (thp_fault_alloc grew)" \
	[ "$(vmstat thp_fault_alloc)" -gt "$a0" ]
check "huge pages were swapped out whole (thp_swpout grew)" \
	[ "$(vmstat thp_swpout)" -gt "$t0" ]
check "swapoff" swapoff /dev/rackswap0
check "no request failed" [ "$(cut -d' ' -f6 $B/io_stat)" = 0 ]
check "reset" sh -c "echo 1 >$B/reset"
rmdir $CG/swap
check "rmmod" rs_unload
tap_done
