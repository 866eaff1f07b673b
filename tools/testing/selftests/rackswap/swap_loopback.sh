#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=1 tier=check debug=yes timeout=1200
#
# /dev/rackswap0 as swap, donor and swapper in one kernel (loopback mode,
# 4 MiB slabs). Bad values for the device's files are refused and change
# nothing; mkswap + swapon; while swapped on, reset and rmmod are refused.
# swapon -d (discard). In a cgroup v2 with memory.max=64M: one process writes
# 256 MiB and verifies every word, twice; four processes at once touch
# random pages of 64 MiB each (4x the limit), every page verified; a real
# program under memory.max=32M, sort of 400k generated 99-byte lines
# (about 50 MiB of memory), gives the same checksum as the same sort run
# without a limit (800k lines under 64M took 212 s here: swap_stress).
# pswpout and pswpin grow; the donor holds what the client stores; once the
# workloads exit, swap's discards give their slabs back while still swapped
# on (slabs_released grows by 8 or more; entries held in swap's per-CPU slot
# caches keep some clusters, so some slabs, in use); swapoff; reset gives
# every slab back (granted 0).
# On the debug kernel, 4-5 times slower, the workloads are smaller: 128 MiB
# written and verified once, two random processes, sort of 100k lines
# under 8M (the full sizes took over 24 minutes there; 200k lines under
# 16M, 540 s of the test's 834 s).
. ./lib.sh
C=/sys/kernel/rackswap/krdma
D=/sys/kernel/rackswap/dvs
B=/sys/block/rackswap0
tap_plan

check "rxe0 on dummy0" rxe_loopback_up
check "load with loopback=1 donate=512M slab_size=4M" rs_load \
	loopback=1 donate=512M slab_size=4M release_delay_s=2
check "/dev/rackswap0 exists, size 0" [ "$(cat $B/disksize)" = 0 ]
check "disksize refuses abc, 0, 1000, -1 (EINVAL)" bad_write $B/disksize abc 0 1000 -1
check "backend refuses foo" bad_write $B/backend foo
check "reset refuses 2" sh -c "! echo 2 >$B/reset 2>/dev/null"
check "replicas refuses 0, 4, x" bad_write $B/replicas 0 4 x
check "replicas 2 with the dram backend refused (EINVAL, logged)" sh -c \
	"echo dram >$B/backend && ! echo 2 >$B/replicas 2>/dev/null &&
	 dmesg | grep -q 'replicas 2: the dram backend keeps one copy' && echo rdma >$B/backend"
check "replicas 3, then 1, is taken" sh -c \
	"echo 3 >$B/replicas && [ \$(cat $B/replicas) = 3 ] && echo 1 >$B/replicas && [ \$(cat $B/replicas) = 1 ]"
check "degraded reads 0 before sizing" [ "$(cat $B/degraded)" = 0 ]
loop_connect
check "disksize 512M" sh -c "echo 512M >$B/disksize"
check "a second disksize is refused (EBUSY)" bad_write $B/disksize 256M
check "backend cannot change once sized" bad_write $B/backend dram
check "replicas cannot change once sized (EBUSY)" bad_write $B/replicas 2
check "mkswap" sh -c "mkswap /dev/rackswap0 >/dev/null"
check "swapon -d (discard: once and as freed)" swapon -d /dev/rackswap0
check "reset refused while swapped on" sh -c "! echo 1 >$B/reset 2>/dev/null"
check "rmmod $MOD refused while swapped on" fails rmmod $MOD

rel0=$(cat $D/slabs_released)
check "cgroup memory.max=64M" swap_cgroup 64M
if debug_kernel; then
	seq_verify 128 1
	rand_verify 2 64 10000
else
	seq_verify 256 2
	rand_verify 4 64 30000
fi

# a real program: sort holds all its input; its output must not change
if debug_kernel; then
	sort_verify 100000 8M
else
	sort_verify 400000 32M
fi
log "io_stat: $(cat $B/io_stat)"
granted=$(cat $D/granted_bytes)
stored=$(($(cat $C/peers/$out/stored_bytes) + $(cat $C/peers/$in/stored_bytes)))
log "donor granted $granted, client stores $stored, slabs bound $(cat $D/slabs_bound) pooled $(cat $D/slabs_pooled)"
check "the donor's granted bytes equal the client's stored bytes" [ "$granted" = "$stored" ]
check "slabs were granted for the swap" [ "$granted" -gt 0 ]
# the workloads exited: swap freed their clusters and discarded them
check "discards came from swap" [ "$(cut -d' ' -f3 $B/io_stat)" -gt 0 ]
check "emptied slabs went back while swapped on (8 or more)" \
	retry 30 sh -c "[ \$(cat $D/slabs_released) -ge $((rel0 + 8)) ]"
log "after the discards: slabs released $(($(cat $D/slabs_released) - rel0)), bound $(cat $D/slabs_bound), pooled $(cat $D/slabs_pooled), granted $(cat $D/granted_bytes)"
check "swapoff" swapoff /dev/rackswap0
check "no request failed" [ "$(cut -d' ' -f6 $B/io_stat)" = 0 ]
check "reset" sh -c "echo 1 >$B/reset"
check "size 0 again" [ "$(cat $B/disksize)" = 0 ]
check "nothing granted any more" [ "$(cat $D/granted_bytes)" = 0 ]
rmdir $CG/swap
check "rmmod" rs_unload
tap_done
