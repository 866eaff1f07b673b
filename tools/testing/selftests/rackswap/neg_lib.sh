# SPDX-License-Identifier: GPL-2.0
#
# The negative controls' common part (sourced after lib.sh by
# neg_bitflip.sh and neg_lost_write.sh). neg_run HOOK VERB: in the loopback
# mode, each data check of the suite runs with krdma's test hook HOOK
# (debugfs krdma/HOOK, "left=N VERB=M") armed, and must fail, then with it
# disarmed, and must pass:
# - krdma's rdma_test (1 thread, 64 pages, 1-page I/Os, one round): with 8
#   I/Os hit, exactly 8 pages differ (mismatches=8), none failed;
# - fio --verify=crc32c on /dev/rackswap0 (not swapped on), 16 MiB written
#   in 64k blocks then verified: with 4 I/Os hit, fio reports a verify
#   failure; without, a clean verify (another seed);
# - memtouch seq 48 1 in a cgroup with memory.max=16M, swapping to
#   /dev/rackswap0: with 16 I/Os hit (from its 8th MiB paged out on),
#   bad words; without, none.
# Each time the hook's counter grows by what was armed (it acted) and
# nothing is left armed. The hooks corrupt data, they fail no I/O: no
# request failed, no I/O error or swap Read-error/Write-error line. dvs's
# own check of the pages read back would catch the corruption before the
# data checks see it (integrity_flip shows that): it is off here
# (rackswap_test's dvs/skip_verify).

C=/sys/kernel/rackswap/krdma
B=/sys/block/rackswap0

# neg_get FIELD: a field of the hook's file (left, or the hook's VERB)
neg_get() { sed -n "s/.*$1=\([0-9-]*\).*/\1/p" "$DK/$HOOK"; }
# neg_arm N: the next N I/Os of the hook's kind are hit (0: disarmed)
neg_arm() { echo "$1" >"$DK/$HOOK"; }
# neg_acted A0 N: the hook acted on N I/Os since its counter read A0, and
# is not armed any more
neg_acted() {
	local a
	a=$(neg_get "$VERB")
	log "$HOOK: $(cat "$DK/$HOOK") (was $VERB=$1)"
	[ "$(neg_get left)" = 0 ] && [ "$a" = $(($1 + $2)) ]
}

# neg_rdma_test: one rdma_test run (64 writes, 64 reads); prints its result
neg_rdma_test() {
	printf '%s 1 64 1 8' "$out" >$DK/rdma_test 2>/dev/null
	cat $DK/rdma_test
}

# neg_fio SEED: fio writes 16 MiB of /dev/rackswap0 in 64k blocks and
# verifies them (crc32c); true when it ran clean (terse error field 0)
neg_fio() {
	local t rc
	t=$(fio --name=neg --filename=/dev/rackswap0 --ioengine=libaio \
		--direct=1 --rw=write --bs=64k --size=16M --iodepth=4 \
		--verify=crc32c --randseed="$1" --minimal 2>/tmp/fio.err)
	rc=$?
	log "fio seed $1: rc $rc, error field $(echo "$t" | cut -d';' -f5)"
	grep -m 3 -i 'verify\|err' /tmp/fio.err | sed 's/^/#   /'
	[ $rc = 0 ] && [ "$(echo "$t" | cut -d';' -f5)" = 0 ]
}
# fio_red: fio failed on a verify
fio_red() { ! neg_fio "$1" && grep -qi verify /tmp/fio.err; }

# neg_memtouch N: memtouch seq 48 1 in the cgroup, with the hook armed for
# N I/Os (0: not armed) once 8 MiB of it was paged out; prints its bad
# words (empty when it printed no summary) and logs its paging. By then
# the process's own cold pages (its libc's data, touched at start only),
# paged out first, are out whole: the hook hits the workload's data, not
# the program (armed at the start, a lost write there once ended memtouch
# with SIGSEGV before it could count).
neg_memtouch() {
	local r out0 in0 pid i=0
	out0=$(vmstat pswpout)
	in0=$(vmstat pswpin)
	in_cgroup memtouch seq 48 1 >/tmp/memtouch.out &
	pid=$!
	if [ "$1" != 0 ]; then
		while [ "$(vmstat pswpout)" -lt $((out0 + 2048)) ] && [ $i -lt 600 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		neg_arm "$1"
		log "armed for $1 at pswpout +$(($(vmstat pswpout) - out0))" >&2
	fi
	wait $pid
	r=$(cat /tmp/memtouch.out)
	log "$r; pswpout +$(($(vmstat pswpout) - out0)), pswpin +$(($(vmstat pswpin) - in0))" >&2
	echo "$r" | sed -n 's/.*: \([0-9]*\) bad words.*/\1/p'
}

# no_io_errors: no kernel line of a failed I/O since the mark (logs any)
no_io_errors() {
	local l
	l=$(since_mark | grep -E 'I/O error|Read-error|Write-error|RDMA (READ|WRITE) of')
	[ -z "$l" ] || { echo "$l" | head -n 5 | sed 's/^/#   /'; return 1; }
}
# armed_logged N: the hook logged its arming for N I/Os since the mark
armed_logged() { since_mark | grep -q "$HOOK: armed: the next $1 "; }

neg_run() {
	HOOK=$1 VERB=$2
	local a0 res bad in0
	tap_plan
	check "rxe0 on dummy0" rxe_loopback_up
	check "load with loopback=1 donate=256M slab_size=4M" rs_load \
		loopback=1 donate=256M slab_size=4M release_delay_s=1
	check "dvs's page check off (skip_verify)" sh -c "echo 1 >$DT/skip_verify"
	check "$HOOK is off at load (left=0 $VERB=0)" \
		[ "$(cat $DK/$HOOK)" = "left=0 $VERB=0" ]
	check "$HOOK refuses abc, -1, 2147483648 (EINVAL)" \
		bad_write $DK/$HOOK abc -1 2147483648
	kmsg_mark
	loop_connect
	echo 64 >$DK/test_grant_pages

	# c. krdma's rdma_test
	a0=$(neg_get "$VERB")
	neg_arm 8
	check "arming is logged" armed_logged 8
	res=$(neg_rdma_test)
	log "armed: $res"
	check "rdma_test under $HOOK 8: RED, 8 of 64 pages differ, no I/O failed" \
		sh -c "echo '$res' | grep -q 'ios=128 ok=128 errors=0 mismatches=8 touched=0'"
	check "$HOOK acted on 8 I/Os" neg_acted "$a0" 8
	neg_arm 0
	a0=$(neg_get "$VERB")
	res=$(neg_rdma_test)
	log "disarmed: $res"
	check "rdma_test disarmed: GREEN, every word verified" rdma_ok "$res" 128
	check "$HOOK did nothing disarmed" neg_acted "$a0" 0

	# b. fio --verify=crc32c on /dev/rackswap0
	check "disksize 64M" sh -c "echo 64M >$B/disksize"
	a0=$(neg_get "$VERB")
	neg_arm 4
	check "fio verify under $HOOK 4: RED, a verify failure" fio_red 1
	check "$HOOK acted on 4 I/Os" neg_acted "$a0" 4
	neg_arm 0
	check "fio verify disarmed (another seed): GREEN" neg_fio 2
	check "$HOOK did nothing disarmed" neg_acted "$a0" 4
	check "no request of rackswap0 failed" [ "$(cut -d' ' -f6 $B/io_stat)" = 0 ]
	check "reset rackswap0" sh -c "echo 1 >$B/reset"

	# a. memtouch, swapping to /dev/rackswap0
	check "disksize 128M, mkswap, swapon" sh -c \
		"echo 128M >$B/disksize && mkswap /dev/rackswap0 >/dev/null && swapon /dev/rackswap0"
	check "cgroup memory.max=16M" swap_cgroup 16M
	a0=$(neg_get "$VERB")
	in0=$(vmstat pswpin)
	bad=$(neg_memtouch 16)
	check "memtouch seq 48 MiB under $HOOK 16: RED, bad words (${bad:-none})" \
		[ "${bad:-0}" -gt 0 ]
	check "it swapped in (pswpin grew)" [ "$(vmstat pswpin)" -gt "$in0" ]
	check "$HOOK acted on 16 I/Os" neg_acted "$a0" 16
	neg_arm 0
	in0=$(vmstat pswpin)
	bad=$(neg_memtouch 0)
	check "memtouch disarmed: GREEN, 0 bad words (${bad:-none})" [ "$bad" = 0 ]
	check "it swapped in (pswpin grew)" [ "$(vmstat pswpin)" -gt "$in0" ]
	check "$HOOK did nothing disarmed" neg_acted "$a0" 16
	check "swapoff" swapoff /dev/rackswap0
	check "no request of rackswap0 failed" [ "$(cut -d' ' -f6 $B/io_stat)" = 0 ]
	check "no I/O error or swap Read-error/Write-error line" no_io_errors
	check "reset" sh -c "echo 1 >$B/reset"
	rmdir $CG/swap
	check "rmmod" rs_unload
	tap_done
}
