#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=2 tier=scale debug=mixed timeout=2700 mem=512M,1600M
#
# Global memory pressure, not a cgroup: node1 has 512M (about 350M free:
# the rig's root file system lives in RAM) and swaps on /dev/rackswap0 to
# node2, which donates 1200M. One process writes twice node1's memory
# (1024 MiB) and verifies every word, with no limit but the machine's:
# it finishes verified, is not OOM-killed, no request fails, no slab is
# lost, and pswpout keeps growing while it runs (the longest stall is
# logged and must stay under 60 s). rxe allocates its packets atomically:
# under this pressure its QPs may go to error, and the connection must
# recover (reconnections are logged). The rig fails the test on any hung
# task or soft lockup report.
#
# vm.min_free_kbytes=32768 on node1 (the default is logged), as the admin
# guide advises with soft-RoCE: with the default, rxe's
# first packet after each reconnection failed to allocate ("Failed
# allocating skb", the QP stuck) from the 13th second on, every write
# timed out and the machine never recovered (check-full, December 2026).
#
# On the debug kernel (make check-debug: node1 on it, node2 on the stock
# one), KASAN's shadow and the debug slabs leave node1's 512M with a
# MemTotal of about 311M and 95M available, and paging is several times
# slower: the workload is twice MemTotal (about 620 MiB, still six times
# what is available), "more than the machine has" means MemTotal, and node2
# waits up to 2400 s. With 1024 MiB there, the run paged steadily but had
# not ended after 28 minutes (check-debug, December 2026).
. ./lib.sh
[ "$NODES" -ge 2 ] || skip_all "needs two nodes"
C=/sys/kernel/rackswap/krdma
D=/sys/kernel/rackswap/dvs
B=/sys/block/rackswap0
PORT=7481
LOAD="port=$PORT slab_size=16M reconnect_delay_ms=500"
MIB=1024 RAM_MIB=512 HELD_MIB=512 DONE_WAIT=1500
if debug_run; then
	HELD_MIB=256 DONE_WAIT=2400
	if debug_kernel; then
		RAM_MIB=$(($(awk '/MemTotal/ { print $2 }' /proc/meminfo) / 1024))
		MIB=$((2 * RAM_MIB))
	fi
fi
tap_plan

# stall_report: where each task in D state and each kworker waits (into the
# test's log, not the kernel's: a stack there would read as a bad line)
stall_report() {
	local t st
	for t in /proc/[0-9]*; do
		st=$(awk '/^State:/ { print $2 }' $t/status 2>/dev/null)
		case "$st $(cat $t/comm 2>/dev/null)" in
		D*|*kworker*) ;;
		*) continue ;;
		esac
		log "${t#/proc/} $(cat $t/comm) $st"
		sed 's/^/#    /' $t/stack 2>/dev/null
	done
	log "io_stat $(cat $B/io_stat)"
	grep . $D/* 2>/dev/null | sed 's/^/# /'
	grep -E 'MemFree|MemAvailable|SwapFree' /proc/meminfo | sed 's/^/# /'
}

check "rxe on the links" rxe_links_up
check "load $MOD" rs_load $LOAD

if [ "$NODE" = 1 ]; then
	# all sysrq functions: a hung run can be examined (rig README)
	echo 1 >/proc/sys/kernel/sysrq
	minfree=$(cat /proc/sys/vm/min_free_kbytes)
	check "vm.min_free_kbytes 32768 (was $minfree)" sh -c "echo 32768 >/proc/sys/vm/min_free_kbytes"
	log "MemTotal $(awk '/MemTotal/ { print $2 }' /proc/meminfo) kB, MemAvailable $(awk '/MemAvailable/ { print $2 }' /proc/meminfo) kB"
	check "connected to node2" retry 150 sh -c \
		"echo '$(conn_str "$(link_addr 2 1)" $PORT)' >$C/connect 2>/dev/null"
	p=$(krdma_peer direction=out state=live)
	ready() { [ "$(cat $C/peers/$p/data_qps)" -ge 1 ]; }
	check "its data QP is up" retry 30 ready
	check "disksize 1152M (no more than node2 donates)" sh -c "echo 1152M >$B/disksize"
	check "mkswap, swapon" sh -c "mkswap /dev/rackswap0 >/dev/null && swapon /dev/rackswap0"
	out0=$(vmstat pswpout)
	memtouch seq $MIB 1 >/tmp/seq.out 2>&1 &
	pid=$!
	# pswpout every 2 s while it runs: the longest time it did not grow,
	# in seconds of the clock (under this pressure one sample can take
	# longer than its 2 s sleep: the debug kernel's took about 4 s)
	t0=$(date +%s) last=$out0 grew=$t0 stall=0 longest=0 samples=0
	while kill -0 $pid 2>/dev/null; do
		sleep 2
		now=$(vmstat pswpout) t=$(date +%s)
		samples=$((samples + 1))
		[ "$now" -le "$last" ] || grew=$t
		stall=$((t - grew))
		[ $stall -le $longest ] || longest=$stall
		last=$now
		if [ $stall -ge 60 ] ||
		   dmesg | grep -q 'Write-error on swap-device'; then
			log "pswpout stalled $stall s or a write failed: blocked tasks and workers"
			stall_report
			kill -9 $pid
		fi
	done
	wait $pid
	rc=$?
	log "memtouch exit $rc: $(cat /tmp/seq.out); pswpout +$(($(vmstat pswpout) - out0)) in $(($(date +%s) - t0)) s ($samples samples), longest stall ${longest} s; reconnects $(cat $C/peers/$p/reconnects), data QP resets $(cat $C/peers/$p/io_stalls)"
	check "$MIB MiB (twice ${RAM_MIB}M) written and verified: 0 bad words" \
		sh -c "[ $rc = 0 ] && grep -q ': 0 bad words' /tmp/seq.out"
	check "not OOM-killed" sh -c "! dmesg | grep -q 'Killed process.*memtouch'"
	check "it paged out more than the machine has (${RAM_MIB}M)" \
		[ "$(vmstat pswpout)" -ge $((out0 + RAM_MIB * 256)) ]
	check "reclaim never stalled 60 s" [ $longest -lt 60 ]
	check "no request failed" [ "$(cut -d' ' -f6 $B/io_stat)" = 0 ]
	check "no slab lost" [ "$(cat $D/slabs_lost)" = 0 ]
	check "swapoff" swapoff /dev/rackswap0
	echo "$minfree" >/proc/sys/vm/min_free_kbytes
	check "reset" sh -c "echo 1 >$B/reset"
	check "rmmod" rs_unload
	# node2 waits for this, not for the connection to go: a connection
	# lost under pressure comes back, and node1 still needs node2 then
	check "told node2 we are done" tell 2 done
	tap_done
fi

echo 1200M >$D/donate
check "node1 connected" retry 200 peer_in_live
held() { [ "$(cat $D/granted_bytes)" -gt $((HELD_MIB * 1048576)) ]; }
check "node1 swaps more than ${HELD_MIB}M into our memory" retry 1500 held
check "node1 done" hear done $DONE_WAIT
check "nothing granted at the end" [ "$(cat $D/granted_bytes)" = 0 ]
check "rmmod" rs_unload
tap_done
