#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=1 tier=scale debug=no timeout=1800
#
# The slow variant of swap_loopback (make check-scale), donor and swapper
# in one kernel, 4 MiB slabs, swapon -d. In a cgroup v2 with
# memory.max=64M: one process writes 512 MiB and verifies every word,
# twice; eight processes touch random pages of 48 MiB each while fio
# --verify=crc32c runs mixed 4k-1m random read/write at QD32 on a second
# rdma device (hot_add); sort of 800k generated 99-byte lines (about
# 100 MiB of memory) gives the same checksum as without a limit. 0 bad
# words, no failed request, the donor holds what the client stores, and
# after swapoff and reset nothing is granted.
. ./lib.sh
C=/sys/kernel/rackswap/krdma
D=/sys/kernel/rackswap/dvs
B=/sys/block/rackswap0
H=/sys/class/rackswap-control
tap_plan

check "rxe0 on dummy0" rxe_loopback_up
check "load with loopback=1 donate=1536M slab_size=4M" rs_load \
	loopback=1 donate=1536M slab_size=4M heartbeat_ms=500 release_delay_s=2
loop_connect
check "disksize 1G" sh -c "echo 1G >$B/disksize"
check "mkswap" sh -c "mkswap /dev/rackswap0 >/dev/null"
check "swapon -d" swapon -d /dev/rackswap0
check "cgroup memory.max=64M" swap_cgroup 64M

seq_verify 512 2

check "hot_add rackswap1" sh -c "[ \$(cat $H/hot_add) = 1 ]"
check "rackswap1: 256M" sh -c "echo 256M >/sys/block/rackswap1/disksize"
fio --name=mix --filename=/dev/rackswap1 --ioengine=libaio --direct=1 \
	--rw=randrw --rwmixread=50 --bsrange=4k-1m --iodepth=32 \
	--size=256M --io_size=128M --verify=crc32c --minimal >/tmp/fio.out 2>/tmp/fio.err &
fio=$!
rand_verify 8 48 15000
wait $fio 2>/dev/null
log "fio: $(cut -d';' -f5,6,47 /tmp/fio.out) (err;KiB read;KiB written) $(tail -3 /tmp/fio.err | tr '\n' ' ')"
check "fio alongside: verified, no error" sh -c "[ \$(cut -d';' -f5 /tmp/fio.out) = 0 ] && ! grep -q 'verify:' /tmp/fio.err"

sort_verify 800000 64M

granted=$(cat $D/granted_bytes)
stored=$(($(cat $C/peers/$out/stored_bytes) + $(cat $C/peers/$in/stored_bytes)))
log "donor granted $granted, client stores $stored; io_stat $(cat $B/io_stat); rackswap1 $(cat /sys/block/rackswap1/io_stat)"
check "the donor's granted bytes equal the client's stored bytes" [ "$granted" = "$stored" ]
check "no request failed" sh -c "[ \$(cut -d' ' -f6 $B/io_stat) = 0 ] && [ \$(cut -d' ' -f6 /sys/block/rackswap1/io_stat) = 0 ]"
check "swapoff" swapoff /dev/rackswap0
check "hot_remove 1" sh -c "echo 1 >$H/hot_remove"
check "reset" sh -c "echo 1 >$B/reset"
check "nothing granted any more" [ "$(cat $D/granted_bytes)" = 0 ]
rmdir $CG/swap
check "rmmod" rs_unload
tap_done
