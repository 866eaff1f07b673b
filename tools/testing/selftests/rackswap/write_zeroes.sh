#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=1 tier=check debug=yes timeout=600
#
# Write-zeroes on /dev/rackswap0, donor and client in one kernel
# (loopback mode, 2 MiB slabs, a 16 MiB device): the queue advertises
# write_zeroes (write_zeroes_max_bytes > 0); a random pattern over the
# first 14 MiB reads back byte for byte; then write-zeroes of ranges
# through the three ways user space has, each a REQ_OP_WRITE_ZEROES:
# blkdiscard -z (BLKZEROOUT), fallocate -z (zero range) and fallocate -p
# (punch hole: BLKDEV_ZERO_NOFALLBACK, which fails rather than write
# zeros when the driver does not do write-zeroes itself). The ranges:
# 4K-aligned edges inside a slab, across a slab boundary, the last page of
# a slab, across another boundary with both edges mid-slab, a whole slab
# and pages of a slab never written. The tracepoints show one write_zeroes
# request per call (status 0) adding up to the bytes zeroed and not one
# write: the block layer did not turn them into zero writes (io_stat's
# writes and bytes written do not move, its discards count the calls).
# Read back (direct I/O) the device equals a reference file (the pattern
# with those ranges zeroed): each range reads all zeros and every byte
# around it keeps the pattern. The whole slab zeroed goes back (release
# traced, reason empty), still reads zeros, and 8K written in its middle
# read back with zeros around them.
. ./lib.sh
C=/sys/kernel/rackswap/krdma
D=/sys/kernel/rackswap/dvs
B0=/sys/block/rackswap0
TR=/sys/kernel/tracing
DEV=/dev/rackswap0
REF=/tmp/wz.ref
K=4096
tap_plan

check "rxe0 on dummy0" rxe_loopback_up
check "load with loopback=1 donate=64M slab_size=2M disksize=16M release_delay_s=1" \
	rs_load loopback=1 donate=64M slab_size=2M disksize=16M release_delay_s=1
check "rackswap0 is 16M, 2M slabs" \
	[ "$(cat $B0/disksize) $(cat $B0/slab_size)" = "$((16 * M)) $((2 * M))" ]
wzmax=$(cat $B0/queue/write_zeroes_max_bytes)
log "write_zeroes_max_bytes $wzmax"
check "the queue advertises write-zeroes (write_zeroes_max_bytes > 0)" [ "$wzmax" -gt 0 ]
loop_connect

io_f() { cut -d' ' -f"$1" $B0/io_stat; }
# nonzero BLOCK COUNT: non-zero bytes the device holds there (4K blocks)
nonzero() {
	dd if=$DEV bs=$K skip="$1" count="$2" iflag=direct 2>/dev/null | tr -d '\000' | wc -c
}
# same_as_ref: the whole device reads back as the reference file
same_as_ref() { dd if=$DEV bs=1M iflag=direct 2>/dev/null | cmp - $REF; }

# the pattern over slabs 0-6 (14M); slab 7 never written
dd if=/dev/urandom of=/tmp/wz.pat bs=1M count=14 2>/dev/null
cp /tmp/wz.pat $REF
dd if=/dev/zero bs=1M count=2 2>/dev/null >>$REF
check "14M of a random pattern written (direct)" \
	dd if=/tmp/wz.pat of=$DEV bs=1M oflag=direct conv=fsync 2>/dev/null
check "the device reads back the pattern, then zeros" same_as_ref

[ -d $TR/events ] || mount -t tracefs nodev $TR
echo 1 >$TR/events/rackswap/enable
echo >$TR/trace

# zero HOW BLOCK COUNT: write-zeroes of that range (4K blocks) through HOW,
# and the same range zeroed in the reference; counts calls and bytes.
# util-linux's blkdiscard and fallocate: busybox's have no -z or -p
WZ_N=0
WZ_BYTES=0
zero() {
	local off=$(($2 * K)) len=$(($3 * K))
	log "$1: [$off, $((off + len))) = blocks $2-$(($2 + $3 - 1)), $(nonzero "$2" "$3") non-zero bytes before"
	case $1 in
	blkdiscard) /usr/sbin/blkdiscard -z -o $off -l $len $DEV ;;
	zero-range) /usr/bin/fallocate -z -o $off -l $len $DEV ;;
	punch-hole) /usr/bin/fallocate -p -o $off -l $len $DEV ;;
	esac || return 1
	dd if=/dev/zero of=$REF bs=$K seek="$2" count="$3" conv=notrunc 2>/dev/null
	WZ_N=$((WZ_N + 1))
	WZ_BYTES=$((WZ_BYTES + len))
}
# a slab is 512 blocks
w0=$(io_f 2) wb0=$(io_f 5) d0=$(io_f 3)
check "blkdiscard -z of 20K at 12K (inside slab 0)" zero blkdiscard 3 5
check "blkdiscard -z of 32K across the slab 1/2 boundary (4M - 12K)" zero blkdiscard 1021 8
check "fallocate -z of the last page of slab 6" zero zero-range 3583 1
check "fallocate -z of 2M + 8K across the slab 5/6 boundary (11M - 4K)" zero zero-range 2815 514
check "fallocate -p (no fallback) of slab 4, whole" zero punch-hole 2048 512
check "blkdiscard -z of 64K in slab 7 (never written)" zero blkdiscard 3700 16

# tr_count EVENT OP [STATUS]: events of rackswap0; tr_bytes: their lengths
tr_lines() { grep "$1: rackswap0 $2 pos=" $TR/trace | grep "${3:-}"; }
tr_count() { tr_lines "$@" | wc -l; }
tr_bytes() { tr_lines "$@" | sed 's/.* len=\([0-9]*\).*/\1/' | awk '{ s += $1 } END { print s + 0 }'; }
log "$WZ_N calls, $WZ_BYTES bytes; traced: $(tr_count rackswap_rq_submit write_zeroes) write_zeroes ($(tr_bytes rackswap_rq_submit write_zeroes) bytes), $(tr_count rackswap_rq_submit write) writes; io_stat $(cat $B0/io_stat)"
check "one write_zeroes request per call reached the driver ($WZ_N)" \
	[ "$(tr_count rackswap_rq_submit write_zeroes)" = $WZ_N ]
check "they add up to the bytes zeroed ($WZ_BYTES)" \
	[ "$(tr_bytes rackswap_rq_submit write_zeroes)" = $WZ_BYTES ]
check "each completed with status 0, the same bytes" sh -c \
	"[ $(tr_count rackswap_rq_complete write_zeroes 'status=0 ') = $WZ_N ] && [ $(tr_bytes rackswap_rq_complete write_zeroes) = $WZ_BYTES ]"
check "no write request meanwhile (no zeros written instead)" \
	[ "$(tr_count rackswap_rq_submit write)" = 0 ]
check "io_stat: writes and bytes written unchanged, discards +$WZ_N" \
	[ "$(io_f 2) $(io_f 5) $(io_f 3)" = "$w0 $wb0 $((d0 + WZ_N))" ]

# zeros BLOCK COUNT...: the device holds only zeros in each range
zeros() {
	while [ $# -ge 2 ]; do
		[ "$(nonzero "$1" "$2")" = 0 ] || { log "blocks $1+$2 not zero"; return 1; }
		shift 2
	done
}
RANGES="3 5 1021 8 3583 1 2815 514 2048 512 3700 16"
# shellcheck disable=SC2086 # block, count pairs
check "each zeroed range reads all zeros" zeros $RANGES
check "the device equals the reference: every byte around them kept the pattern" same_as_ref

# slab 4, all zeroed, goes back; written again in its middle
rel() { grep rackswap_slab_release $TR/trace | grep -q 'slot=4 reason=empty'; }
check "slab 4, empty, goes back (release traced, reason empty)" retry 30 rel
# shellcheck disable=SC2086
check "it still reads zeros" zeros 2048 512
dd if=/dev/urandom of=/tmp/wz.mid bs=$K count=2 2>/dev/null
dd if=/tmp/wz.mid of=$REF bs=$K seek=2304 conv=notrunc 2>/dev/null
check "8K written in its middle (9M)" \
	dd if=/tmp/wz.mid of=$DEV bs=$K seek=2304 oflag=direct conv=fsync 2>/dev/null
check "bound again (bind traced)" sh -c "grep rackswap_slab_bind $TR/trace | grep -q 'slot=4 '"
echo 0 >$TR/events/rackswap/enable
check "the device equals the reference: the 8K, zeros around them, the rest kept" same_as_ref
log "io_stat $(cat $B0/io_stat)"
check "no request failed, none in flight" [ "$(io_f 6) $(io_f 8)" = "0 0" ]

check "reset rackswap0" sh -c "echo 1 >$B0/reset"
check "nothing granted any more" retry 20 sh -c "[ \$(cat $D/granted_bytes) = 0 ]"
check "disconnect" sh -c "echo '$LOOP_ADDR 7472' >$C/disconnect"
check "rmmod" rs_unload
tap_done
