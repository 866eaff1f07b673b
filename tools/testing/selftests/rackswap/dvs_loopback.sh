#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=1 tier=check debug=yes timeout=900
#
# dvs in one kernel (4 MiB slabs of two 2 MiB chunks). Bad values for the
# donor's knobs are refused and change nothing. The dram backend: writes
# in I/Os of 768 KiB (crossing chunks; split at slabs) read back word for
# word, never-written space reads as zeros, so does a discarded page
# inside a read, discarded slabs go back. The
# rdma backend in the loopback mode (the node donates to itself through
# rdma_cm and krdma grants): with donate=0 nothing is granted and a write
# to an unbound slab fails at once with ENOSPC; raising the limit is
# picked up; writes and reads across chunk and slab boundaries verified;
# the donor's granted bytes match the client's stored bytes; while slabs
# are granted rmmod says "in use" and the holder is listed; discard
# releases slabs; after the space is gone nothing is granted and the
# memory is back.
. ./lib.sh
C=/sys/kernel/rackswap/krdma
D=/sys/kernel/rackswap/dvs
tap_plan

# holders_bytes: the bytes of every holder the donor lists, summed
holders_bytes() { awk '{ n += $4 } END { print n + 0 }' $D/holders; }

check "rxe0 on dummy0" rxe_loopback_up
res_snapshot /tmp/res.a
check "load with loopback=1 slab_size=4M release_delay_s=1" rs_load \
	loopback=1 slab_size=4M release_delay_s=1 pool_min=2 pool_max=8 \
	heartbeat_ms=500 reconnect_delay_ms=500
check "the test space's slab_size reads 4194304" [ "$(cat $DT/slab_size)" = 4194304 ]
check "... pool_min 2, pool_max 8, release_delay_s 1" \
	[ "$(cat $DT/pool_min) $(cat $DT/pool_max) $(cat $DT/release_delay_s)" = "2 8 1" ]
check "donate refuses abc, -1, 1K, 12Q, 2P (EINVAL), value unchanged" \
	bad_write $D/donate abc -1 1K 12Q 2P
check "the refusal was logged" sh -c "dmesg | grep -q \"donate: '12Q' is not\""
check "grace_period_s refuses 0, -5, abc, 86401" bad_write $D/grace_period_s 0 -5 abc 86401
check "the test space's release_delay_s refuses -1, abc, 86401" bad_write $DT/release_delay_s -1 abc 86401
check "its slab_size refuses 1M, 3M, 1G, abc" bad_write $DT/slab_size 1M 3M 1G abc
check "rackswap0's release_delay_s refuses -1, abc, 86401" \
	bad_write /sys/block/rackswap0/release_delay_s -1 abc 86401
check "donate takes 64M" sh -c "echo 64M >$D/donate && [ \$(cat $D/donate) = $((64 * M)) ]"
check "donate is no module parameter any more" [ ! -e /sys/module/dvs/parameters/donate ]
echo 0 >$D/donate
check "debugfs: a bad command is refused" sh -c "! echo 'frob 1' >$S 2>/dev/null"
check "debugfs: a space of 1000 bytes is refused" sh -c "! echo 'create 1000 dram' >$S 2>/dev/null"

# --- dram backend -----------------------------------------------------------
check "dram space of 64M" ctl "create 64M dram"
check "its pool fills" ctl "fill 10000"
r=$(cmd "write 0 $((40 * M)) 7 786432 5000")
log "dram write: $r"
check "40M written in 768K I/Os" ok_res "$r"
r=$(cmd "read 0 $((40 * M)) 7 786432")
check "read back: every word verified" ok_res "$r"
r=$(cmd "read $((4 * M - 4096)) 8192 7 8192")
check "an 8K read across a slab boundary (split in two) verified" sh -c "echo '$r' | grep -q '^ok'"
check "never-written space reads as zeros" ok_res "$(cmd "read $((48 * M)) $((16 * M)) 0")"
check "10 slabs bound" [ "$(cat $D/slabs_bound)" -ge 10 ]
rel0=$(cat $D/slabs_released)
check "discard 8M" ctl "discard 0 $((8 * M))"
check "the discarded range reads as zeros" ok_res "$(cmd "read 0 $((8 * M)) 0")"
check "the rest is intact" ok_res "$(cmd "read $((8 * M)) $((32 * M)) 7")"
# one page discarded inside a written range: one 32K read gets zeros there
ctl "discard $((8 * M + 8192)) 4096"
r=$(cmd "read $((8 * M)) 32768 7 32768")
check "a read over a discarded page: zeros there, the pattern around ($r)" \
	[ "$r" = "bad 512 $((8 * M + 8192))" ]
released() { [ "$(cat $D/slabs_released)" -ge $((rel0 + 2)) ]; }
check "the 2 empty slabs went back" retry 20 released
check "destroy" ctl "destroy"

# --- rdma backend, loopback ---------------------------------------------------
loop_connect
check "rdma space of 64M, donate=0" ctl "create 64M rdma"
check "its pool cannot fill" sh -c "! echo 'fill 3000' >$S 2>/dev/null"
m0=$(cat $D/pool_misses)
r=$(cmd "write 0 $M 3")
log "with nothing donated: $r"
check "a write fails at once with ENOSPC" sh -c "echo '$r' | grep -q '^error -28 0'"
check "pool_misses counted it" [ "$(cat $D/pool_misses)" -gt "$m0" ]
check "nothing was granted" [ "$(cat $D/granted_bytes)" = 0 ]
echo 48M >$D/donate
check "after donate=48M the pool fills" ctl "fill 20000"
r=$(cmd "write 0 $((40 * M)) 11 786432 20000")
log "rdma write: $r"
check "40M written over RDMA in 768K I/Os" ok_res "$r"
check "read back: every word verified" ok_res "$(cmd "read 0 $((40 * M)) 11 786432")"
check "read back in 4K I/Os too" ok_res "$(cmd "read $((2 * M - 65536)) 131072 11 4096")"
granted=$(cat $D/granted_bytes)
stored=$(($(cat $C/peers/$out/stored_bytes) + $(cat $C/peers/$in/stored_bytes)))
log "donor granted $granted, client stores $stored, bound $(cat $D/slabs_bound), pooled $(cat $D/slabs_pooled)"
check "the donor's granted bytes equal the client's stored bytes" [ "$granted" = "$stored" ]
check "granted = (10 bound + pooled) slabs" \
	[ "$granted" = $(((10 + $(cat $D/slabs_pooled)) * 4 * M)) ]
r=$(cmd "write $((40 * M)) $((24 * M)) 12 $M 3000")
log "beyond the limit: $r"
check "a write beyond the 48M limit fails with ENOSPC" sh -c "echo '$r' | grep -q '^error -28'"
log "holders: $(cat $D/holders | tr '\n' ';')"
check "the holders are listed with the slabs granted to them" [ "$(holders_bytes)" = "$granted" ]
check "dvs holds itself while slabs are granted: rmmod refused" mod_pinned dvs
check "the data is intact" ok_res "$(cmd "read 0 $((40 * M)) 11 786432")"
ctl "discard 8192 4096"
r=$(cmd "read 0 32768 11 32768")
check "over RDMA too: a discarded page reads zeros ($r)" [ "$r" = "bad 512 8192" ]
rel0=$(cat $D/slabs_released)
cmd "discard 0 $((40 * M))" >/dev/null
released() { [ "$(cat $D/slabs_released)" -ge $((rel0 + 10)) ]; }
check "discard: the 10 slabs went back" retry 20 released
check "the donor's granted bytes went down" [ "$(cat $D/granted_bytes)" -lt "$granted" ]
check "destroy" ctl "destroy"
check "nothing granted any more" [ "$(cat $D/granted_bytes)" = 0 ]
check "no holder listed" [ -z "$(cat $D/holders)" ]
log "allocs $(cat $D/allocs), avg $(cat $D/alloc_us_avg) us, max $(cat $D/alloc_us_max) us, hits $(cat $D/pool_hits), misses $(cat $D/pool_misses)"
check "rmmod" rs_unload
check "RDMA resources, slab objects (+$RES_OBJS) and memory (4M) back" \
	res_back /tmp/res.a $RES_OBJS 4096
tap_done
