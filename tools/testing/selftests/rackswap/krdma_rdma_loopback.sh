#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=1 tier=check debug=yes timeout=600
#
# One-sided RDMA in the loopback mode (one kernel, rxe on dummy0): per-CPU
# data QPs come up; 2 threads each get a grant of 512 pages from the peer,
# write random contents and read them back, every word verified, with one
# page per I/O (with inline_softirq 1, 0 and 2: the knob refuses bad
# values) and with 16-page I/Os; the counters match the I/Os; a key
# forged from another peer's PD and a stale key from before a re-keying
# reach nothing (the op fails, the connection is re-made, the memory is
# intact); "rdma link delete"/"add" under load: the I/Os are requeued and
# finish after the reconnection, keys re-issued, data intact; data QPs
# moved to error with no error completion or event (test_qp_error) under
# load: the connection is re-made, every word verified; the module unloads
# with nothing left.
. ./lib.sh
C=/sys/kernel/rackswap/krdma
P=/sys/kernel/rackswap/krdma
tap_plan

ready() { [ "$(cat $C/peers/$1/data_qps)" -ge 1 ]; }

check "rxe0 on dummy0" rxe_loopback_up
check "load with loopback=1" rs_load loopback=1 heartbeat_ms=500 \
	reconnect_delay_ms=500 connect_timeout_ms=3000
echo 512 >$DK/test_grant_pages
# the run-time knob: bad values refused (EINVAL, logged), value unchanged
spin_bad() {
	for v in 1001 -1 abc 99999999999; do
		printf '%s' "$v" | dd of=$P/poll_spin_us 2>/dev/null && return 1
	done
	[ "$(cat $P/poll_spin_us)" = 0 ] && dmesg | grep -q 'poll_spin_us: "1001" is not 0-1000'
}
check "poll_spin_us refuses 1001, -1, abc, 99999999999" spin_bad
check "poll_spin_us takes 20" sh -c "echo 20 >$P/poll_spin_us && [ \$(cat $P/poll_spin_us) = 20 ] && echo 0 >$P/poll_spin_us"
inline_bad() {
	for v in 3 -1 abc x 1x; do
		printf '%s' "$v" | dd of=$P/inline_softirq 2>/dev/null && return 1
	done
	[ "$(cat $P/inline_softirq)" = 1 ] && dmesg | grep -q 'inline_softirq: "abc" is not 0-2'
}
check "inline_softirq (default 1) refuses 3, -1, abc, x, 1x" inline_bad
check "connect to ourselves" sh -c "echo '$(conn_str $LOOP_ADDR 7472)' > $C/connect"
out=$(krdma_peer direction=out)
in=$(krdma_peer direction=in)
check "both ends have their data QPs ($(nproc) CPUs)" retry 20 sh -c \
	"[ \$(cat $C/peers/$out/data_qps) = $(nproc) ] && [ \$(cat $C/peers/$in/data_qps) = $(nproc) ]"

# 2 threads x 512 pages x 2 rounds, write + read: 4096 I/Os of one page
r0=$(cat $C/peers/$out/rdma_reads)
w0=$(cat $C/peers/$out/rdma_writes)
printf '%s 2 512 2 16' "$out" >$DK/rdma_test
res=$(cat $DK/rdma_test)
log "$res"
check "4096 page I/Os from 2 threads, every word verified" rdma_ok "$res" 4096
# the same with soft-RoCE's work left to ksoftirqd
echo 0 >$P/inline_softirq
printf '%s 2 512 2 16' "$out" >$DK/rdma_test
res0=$(cat $DK/rdma_test)
log "inline_softirq=0: $res0"
check "the same with inline_softirq=0, every word verified" rdma_ok "$res0" 4096
# ... and inline only for a post to an idle data QP
echo 2 >$P/inline_softirq
printf '%s 2 512 2 16' "$out" >$DK/rdma_test
res2=$(cat $DK/rdma_test)
echo 1 >$P/inline_softirq
log "inline_softirq=2: $res2"
check "the same with inline_softirq=2, every word verified" rdma_ok "$res2" 4096
counters_ok() {
	[ $(($(cat $C/peers/$out/rdma_reads) - r0)) = 6144 ] &&
		[ $(($(cat $C/peers/$out/rdma_writes) - w0)) = 6144 ]
}
check "rdma_reads and rdma_writes grew by 6144 each (3 runs)" counters_ok
check "the grants went back (ungranted): none held for the peer" \
	[ "$(cat $C/peers/$in/grants)" = 0 ]

# 16-page I/Os (16 scatterlist entries each), QD 8
printf '%s 2 512 2 8 16' "$out" >$DK/rdma_test
res=$(cat $DK/rdma_test)
log "$res"
check "256 I/Os of 16 pages, every word verified" rdma_ok "$res" 256

# forged and stale keys
echo "$out" >$DK/test_forge
res=$(cat $DK/test_forge)
log "$res"
check "the granted key works from the peer it was granted to" \
	sh -c "echo '$res' | grep -q 'legit=0 legit_ok=1'"
check "a key from another peer's PD: refused (EIO), memory intact" \
	sh -c "echo '$res' | grep -q 'forged=-5 forged_intact=1'"
check "after the reconnection the grant has a new key" \
	sh -c "echo '$res' | grep -q 'rekeyed=1'"
check "the stale key: refused (EIO), nothing read" \
	sh -c "echo '$res' | grep -q 'stale=-5 stale_untouched=1'"
check "the new key works" sh -c "echo '$res' | grep -q 'fresh=0 fresh_ok=1'"
check "the refusals were logged" sh -c "dmesg | grep -q 'remote access error\|Remote access'"

# rdma link delete / add under load: requeued, reconnected, intact
check "data QPs back after the forgery" retry 30 ready $out
rc0=$(cat $C/peers/$out/reconnects)
reg0=$(cat $C/peers/$in/registrations)
w1=$(cat $C/peers/$out/rdma_writes)
(printf '%s 2 512 40 16 1 30000' "$out" >$DK/rdma_test 2>/dev/null; cat $DK/rdma_test >/tmp/flap.res) &
bg=$!
# under load: once 2000 writes of this run are done
loaded() { [ "$(cat $C/peers/$out/rdma_writes)" -ge $((w1 + 2000)) ]; }
retry 60 loaded
rdma link delete rxe0
log "rxe0 deleted: out is $(cat $C/peers/$out/state)"
sleep 2
rdma link add rxe0 type rxe netdev dummy0
wait $bg
log "$(cat /tmp/flap.res)"
log "out: state $(cat $C/peers/$out/state), reconnects $(($(cat $C/peers/$out/reconnects) - rc0)), requeued $(cat $C/peers/$out/io_requeued)"
check "rdma link delete/add under load: 81920 I/Os, every word verified" \
	rdma_ok "$(cat /tmp/flap.res)" 81920
reconnected() { [ "$(cat $C/peers/$out/reconnects)" -gt "$rc0" ]; }
check "the peer reconnected" retry 30 reconnected
check "I/Os waited for the reconnection (requeued)" [ "$(cat $C/peers/$out/io_requeued)" -gt 0 ]
# the 2 grants of the run were registered again in the new connection
check "keys re-issued: registrations $reg0 -> $(cat $C/peers/$in/registrations)" \
	[ "$(cat $C/peers/$in/registrations)" -ge $((reg0 + 4)) ]

# data QPs moved to error under load with no error completion and no event
# (as soft-RoCE may): their flushes end the connection, the I/Os finish on
# the next one (without that: posted again to the flushing QPs until their
# deadline, and failed)
check "data QPs back after the flap" retry 30 ready $out
rc0=$(cat $C/peers/$out/reconnects)
w1=$(cat $C/peers/$out/rdma_writes)
dm0=$(dmesg | wc -l)
(printf '%s 2 512 40 16 1 30000' "$out" >$DK/rdma_test 2>/dev/null; cat $DK/rdma_test >/tmp/qperr.res) &
bg=$!
retry 60 loaded
check "test_qp_error moves the data QPs of the peer to error" \
	sh -c "echo $out >$DK/test_qp_error"
# else the QPs had nothing in flight to flush: the step proves nothing
check "... while the run was still going" kill -0 $bg
wait $bg
log "$(cat /tmp/qperr.res)"
check "QPs in error under load: 81920 I/Os, every word verified" \
	rdma_ok "$(cat /tmp/qperr.res)" 81920
check "the flushes ended the connection (ECONNRESET)" \
	sh -c "dmesg | tail -n +$((dm0 + 1)) | grep -q 'peer $out .*connection lost: -ECONNRESET'"
check "the peer reconnected after the QP error" retry 30 reconnected
check "test_qp_error refuses a peer that does not exist (ENOENT)" \
	sh -c "printf 999 | dd of=$DK/test_qp_error 2>&1 | grep -q 'No such file'"
check "rmmod" rs_unload
tap_done
