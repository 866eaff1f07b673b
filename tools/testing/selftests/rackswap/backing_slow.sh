#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=1 tier=full debug=no timeout=1800
#
# The backing device when it is slower than the remote copies: its skip
# counter and its in-flight cap (64 MiB of copies). /dev/rackswap0 (one
# copy of each 4 MiB slab, on this node over soft-RoCE loopback) gets a
# null_blk device as backing device that completes one request at a time,
# each after 25 ms (far slower than the remote copies).
# - 48 MiB written at once (below the cap): nothing skipped; once the
#   backing device caught up every page is backed, and it wrote exactly
#   those bytes.
# - 192 MiB written at once (past the cap): writes are skipped; once it
#   caught up, every page is backed or skipped (backed + skipped = 49152
#   pages), none failed, and the remote copies read back verified.
# - 16 MiB written again, slowly (one 1 MiB write each 300 ms): nothing
#   more skipped; those pages are backed again.
# Each pass waits for the backing device to catch up (every page of the
# pass backed or skipped) before it counts.
. ./lib.sh
B=/sys/block/rackswap0
NB=null_blk
tap_plan

check "rxe0 on dummy0" rxe_loopback_up
check "load with loopback=1 donate=320M slab_size=4M" \
	rs_load loopback=1 donate=320M slab_size=4M release_delay_s=1
loop_connect
check "null_blk: 1 GiB, memory-backed, 1 request at a time, 25 ms each" \
	modprobe $NB nr_devices=1 gb=1 memory_backed=1 queue_mode=2 \
	submit_queues=1 hw_queue_depth=1 irqmode=2 completion_nsec=25000000
check "backing_dev /dev/nullb0" sh -c "echo /dev/nullb0 >$B/backing_dev"
check "disksize 256M" sh -c "echo 256M >$B/disksize"

# field N of backing_stat: 1 writes, 2 write_bytes, 3 skipped_pages,
# 4 write_errors, 5 reads, 6 read_bytes, 7 read_errors, 8 backed_pages
bs() { cut -d' ' -f"$1" $B/backing_stat; }
# settled PAGES SKIPPED0: every page of the last pass is backed or skipped
# (SKIPPED0: the skip count before it), once the backing device caught up
settled() { [ $(($(bs 8) + $(bs 3) - $2)) -ge "$1" ]; }
# fill MIB [FIO ARGS]: MIB MiB at offset 0, QD16, verified after
fill() {
	local mib=$1
	shift
	fio --name=w --filename=/dev/rackswap0 --ioengine=libaio --direct=1 \
		--rw=write --bs=1m --size="$mib"M --iodepth=16 --verify=crc32c \
		--do_verify=1 "$@" >/tmp/fio.out 2>&1 ||
		{ log "fio: $(tail -5 /tmp/fio.out)"; return 1; }
}

check "48 MiB written and verified" fill 48
log "after fio: backing_stat $(cat $B/backing_stat)"
check "the backing device caught up: 12288 pages backed or skipped" retry 600 settled 12288 0
log "backing_stat $(cat $B/backing_stat)"
check "below the cap: nothing skipped" [ "$(bs 3)" = 0 ]
check "every page backed (12288)" [ "$(bs 8)" = 12288 ]
check "it wrote exactly those 48 MiB" [ "$(bs 2)" = $((48 * M)) ]

s0=$(bs 3) w0=$(bs 2)
check "192 MiB written and verified" fill 192
log "after fio: backing_stat $(cat $B/backing_stat)"
check "the backing device caught up: 49152 pages backed or skipped" retry 900 settled 49152 "$s0"
log "backing_stat $(cat $B/backing_stat)"
skipped=$(($(bs 3) - s0))
check "past the cap: writes skipped ($skipped pages)" [ "$skipped" -gt 0 ]
check "every page backed or skipped: $(bs 8) + $skipped = 49152" \
	[ $(($(bs 8) + skipped)) = 49152 ]
check "it wrote the backed pages' bytes" [ $(($(bs 2) - w0)) = $(($(bs 8) * 4096)) ]
check "no backing write failed" [ "$(bs 4)" = 0 ]

s1=$(bs 3) w1=$(bs 2)

check "16 MiB written again, slowly, and verified" fill 16 --rate=,1m
caught16() { [ $(($(bs 2) - w1)) -ge $((16 * M)) ] || [ "$(bs 3)" != "$s1" ]; }
check "the backing device caught up (16 MiB written, or a skip)" retry 600 caught16
log "backing_stat $(cat $B/backing_stat)"
check "below the cap: nothing more skipped" [ "$(bs 3)" = "$s1" ]
check "the backing device wrote all 16 MiB" [ $(($(bs 2) - w1)) = $((16 * M)) ]
check "those pages are backed" [ "$(bs 8)" -ge 4096 ]
check "no request failed" [ "$(cut -d' ' -f6 $B/io_stat)" = 0 ]

check "reset" sh -c "echo 1 >$B/reset"
check "rmmod" rs_unload
check "null_blk unloads" rmmod $NB
tap_done
