#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=1 tier=check debug=yes timeout=1500
#
# Bad input and misuse of every control the module has (loopback mode):
# - load-time parameters: for every parameter modinfo lists, values that
#   are not numbers, negative, huge (past 64 bits), out of range, empty or
#   with an embedded space (bad_values: what counts as bad for its type)
#   each fail the load, leave no module loaded and log a line;
# - the settings that were parameters (issue 34), the same bad values each:
#   a connect option in a connect string: EINVAL, no peer, a log line
#   naming it; /sys/kernel/rackswap/{krdma,dvs}/ settings and the unsized
#   device's attributes (slab_size pool_min pool_max release_delay_s
#   replicas encrypt completion_spin_us disksize): refused with an errno, the value
#   unchanged, a log line naming it; the test module's loopback hook: the
#   value unchanged (a debugfs bool may ignore bad input instead of
#   refusing it);
# - wrong order: swapon before disksize, a second disksize, disksize,
#   backend, replicas, reset and hot_remove while swapped on (EBUSY), reset
#   while open, connect twice to one address (EEXIST), disconnect of an
#   unknown peer (ENOENT), donate lowered to 2M and to 0 while slabs are
#   granted (taken, revokes nothing);
# - fuzzing, swapped on: every writable file under /sys/kernel/rackswap/,
#   /sys/class/rackswap-control/, /sys/module/*/parameters/ (none left
#   writable), the device's own files (disksize backend replicas encrypt
#   reset completion_spin_us slab_size pool_min pool_max release_delay_s)
#   and the debugfs command and settings files (/sys/kernel/debug/rackswap/,
#   $DK/, $DT/;
#   nothing under a fault/ directory; see excluded) gets a fixed nasty set
#   and FUZZ_N (16; 6 on the debug kernel) random byte strings of 8-263
#   bytes (a valid command that long is out of reach). Every write must be
#   taken or fail with an errno (dd: "error writing ...: <strerror>",
#   never a signal); a refused write leaves the file's value (or, for a
#   command file, what it acts on) as it was; a taken one reads back as
#   the value written. Values are restored after, and the device still
#   swaps, verified, before swapoff, reset, disconnect and unload.
# Every refusal logs a line, more than the kernel's log holds: the test
# moves the log aside as it goes and checks it against the rig's
# bad-patterns itself (drain_log).
. ./lib.sh
C=/sys/kernel/rackswap/krdma
D=/sys/kernel/rackswap/dvs
B=/sys/block/rackswap0
H=/sys/class/rackswap-control
P="/sys/module/krdma/parameters /sys/module/rackswap/parameters"
T=/tmp/fz
rm -rf $T
mkdir -p $T
if debug_kernel; then FUZZ_N=${FUZZ_N:-6}; else FUZZ_N=${FUZZ_N:-16}; fi
tap_plan

# drain_log: moves the kernel log so far to $T/klog. Every refusal logs a
# line: the fuzzing alone would wrap the kernel's 128 KiB log before
# run-tests reads it, and a report in it would be lost; so the test
# judges what it drained by the rig's own bad-patterns (bad_lines). Outside
# the rig (no /rig/bad-patterns) nothing is drained.
BADPAT=/rig/bad-patterns
: >$T/klog
drain_log() { [ ! -e $BADPAT ] || dmesg -s 4194304 -c >>$T/klog; }
bad_lines() {
	grep -E -f $BADPAT $T/klog >$T/klog.bad || return 0
	sed 's/^/# bad kernel line: /' $T/klog.bad
	return 1
}

# --- (a) load-time parameters ----------------------------------------------
# range_bad NAME: out-of-range values of a numeric parameter (its
# MODULE_PARM_DESC and the checks at load); fails for a name it does not know
range_bad() {
	case $1 in
	num_devices) echo 17 ;;
	hw_queues) echo 257 ;;
	blk_queue_depth) printf '%s\n' 0 1025 ;;
	replicas) printf '%s\n' 0 4 ;;
	encrypt) echo 2 ;;
	port) printf '%s\n' 0 65536 ;;
	heartbeat_ms) printf '%s\n' 99 10001 ;;
	heartbeat_missed) printf '%s\n' 0 11 ;;
	connect_timeout_ms) printf '%s\n' 99 30001 ;;
	rpc_timeout_ms) printf '%s\n' 2000 30001 ;; # not above heartbeat_ms
	reconnect_delay_ms) printf '%s\n' 9 60001 ;;
	reconnect_tries) echo 1001 ;;
	data_qps) echo 17 ;;
	queue_depth) printf '%s\n' 15 1025 ;;
	ack_timeout) printf '%s\n' 7 21 ;;
	pool_min | pool_max) echo 65 ;; # each other: at disksize, below
	grace_period_s) printf '%s\n' 0 86401 ;;
	client_limit_mb) echo 1073741825 ;;
	release_delay_s) echo 86401 ;;
	rebuild_rate_mb) echo 100001 ;;
	poll_spin_us | completion_spin_us) echo 1001 ;;
	inline_softirq) echo 3 ;;
	*) return 1 ;;
	esac
}
# bad_values NAME: one bad value per line (an empty line: the empty value).
# Bools take what the kernel's kstrtobool takes (y/n/1/0/on/off, only the
# first characters counted: "1 2" and "0x" are true and false); strings
# take any text their own check allows.
bad_values() {
	case $1 in
	listen | loopback) printf '%s\n' abc -1 2 99999999999999999999 '' ;;
	nodename) printf '%s\n' '' 'a b' "$(printf '%064d' 0)" ;;
	uuid) printf '%s\n' abc -1 99999999999999999999 '' '1 2' 5241434b-5357-4150-8000 ;;
	peers) printf '%s\n' abc -1 99999999999999999999 '1 2' $LOOP_ADDR \
		"$LOOP_ADDR 0" "$LOOP_ADDR 65536" '224.0.0.1 7472' "$LOOP_ADDR 7472,x" \
		"$LOOP_ADDR 7472 heartbeat_ms=99" "$LOOP_ADDR 7472 nosuch=1" \
		"$LOOP_ADDR 7472 data_qps=1 data_qps=1" ;;
	disksize | donate | slab_size)
		# 2^64 and 16E wrapped around to 0 with memparse()
		printf '%s\n' abc -1 99999999999999999999 18446744073709551616 16E \
			'' '4 M' 0x 1x
		case $1 in
		disksize) printf '%s\n' 1000 18446744073709555712 ;;
		donate) printf '%s\n' 1M 2P ;;
		slab_size) printf '%s\n' 1M 3M 1G ;;
		esac
		;;
	*)
		printf '%s\n' abc -1 99999999999999999999 '' '1 2' 0x 1x
		range_bad "$1"
		;;
	esac
}

# load_refused NAME VALUE: the load fails, leaves no module, logs a line
load_refused() {
	kmsg_mark
	if rs_load "$1=$2" 2>/dev/null; then
		log "$1='$2' was taken"
		rs_unload
		return 1
	fi
	if rs_loaded; then
		log "$1='$2': a module stayed loaded"
		rs_unload
		return 1
	fi
	# a line of that module naming the parameter (each module logs other
	# lines at load: its own name alone proves nothing)
	since_mark | grep -qE "$(param_mod "$1"): .*$1" ||
		{ log "$1='$2': nothing logged naming $1"; return 1; }
}

check "rxe0 on dummy0" rxe_loopback_up
params=$(for m in krdma dvs rackswap; do modinfo -F parm $m; done | sed -n 's/^\([a-z_0-9]*\):.*/\1/p')
check "modinfo lists parameters" [ -n "$params" ]
PN=0
PBAD=0
for p in $params; do
	if ! bad_values "$p" >$T/bv; then
		not_ok "parameter $p has bad values in this test (add them to range_bad)"
		continue
	fi
	# the debug kernel loads a module several times slower: there, the
	# first two common values and the type's own ones only
	if debug_kernel && [ "$(wc -l <$T/bv)" -gt 6 ]; then
		{ head -n 2 $T/bv; tail -n 3 $T/bv; } >$T/bv2
		mv $T/bv2 $T/bv
	fi
	n0=$PBAD
	while IFS= read -r v; do
		PN=$((PN + 1))
		load_refused "$p" "$v" || PBAD=$((PBAD + 1))
	done <$T/bv
	[ $PBAD = "$n0" ] || log "parameter $p: $((PBAD - n0)) bad value(s) not refused"
done
log "$PN bad parameter values tried, $((PN - PBAD)) refused"
check "every bad parameter value failed the load, left no module and was logged" \
	[ $PBAD = 0 ]
drain_log

# --- (a) the settings that moved out of the parameters ------------------------
check "load with loopback=1 donate=256M slab_size=4M" rs_load \
	loopback=1 donate=256M slab_size=4M release_delay_s=2 reconnect_delay_ms=100
# an address with no host behind it: a connect that is not refused waits
NOHOST=10.99.0.77
# opt_refused KEY VALUE: a connect string with KEY=VALUE: EINVAL, no new
# peer, a log line naming KEY
opt_refused() {
	local e n0
	n0=$(ls $C/peers | wc -l)
	kmsg_mark
	e=$(write_err $C/connect "$NOHOST 7472 $1=$2")
	[ "$e" = "Invalid argument" ] && [ "$(ls $C/peers | wc -l)" = "$n0" ] &&
		since_mark | grep -q "$1" && return 0
	log "connect option $1='$2': '$e', peers $n0 -> $(ls $C/peers | wc -l), log: $(since_mark | tail -n 1)"
	return 1
}
# set_refused FILE KEY VALUE: the write of VALUE (and a newline: an empty
# value is a write) fails with an errno, the value stays, a log line names
# KEY (with KEY "-": no log line needed)
set_refused() {
	local v0 e
	v0=$(cat "$1")
	kmsg_mark
	printf '%s\n' "$3" | dd of="$1" 2>$T/err >/dev/null &&
		{ log "$1 took '$3'"; return 1; }
	grep -q "^dd: error writing '.*': ." $T/err || { log "$1 <- '$3': $(cat $T/err)"; return 1; }
	[ "$(cat "$1")" = "$v0" ] || { log "$1 <- '$3' refused, yet '$v0' -> '$(cat "$1")'"; return 1; }
	[ "$2" = - ] || since_mark | grep -q "$2" || { log "$1 <- '$3': nothing logged"; return 1; }
}
# hook_unchanged FILE VALUE: a bad write to a test hook leaves its value
hook_unchanged() {
	local v0
	v0=$(cat "$1")
	printf '%s\n' "$2" | dd of="$1" 2>/dev/null >/dev/null
	[ "$(cat "$1")" = "$v0" ] || { log "$1 <- '$2': '$v0' -> '$(cat "$1")'"; return 1; }
}
# moved_refused NAME VALUE: VALUE refused where NAME lives now
moved_refused() {
	case " $CONN_OPTS " in *" $1 "*) opt_refused "$1" "$2"; return ;; esac
	case $1 in
	loopback) hook_unchanged $DK/loopback "$2" ;;
	poll_spin_us | inline_softirq) set_refused $C/$1 "$1" "$2" ;;
	donate | grace_period_s | rebuild_rate_mb | client_limit_mb) set_refused $D/$1 "$1" "$2" ;;
	*) set_refused $B/$1 "$1" "$2" ;;
	esac
}
SN=0
SBAD=0
for p in $CONN_OPTS loopback poll_spin_us inline_softirq donate grace_period_s \
	rebuild_rate_mb client_limit_mb $DEV_ATTRS; do
	if ! bad_values "$p" >$T/bv; then
		not_ok "setting $p has bad values in this test (add them to range_bad)"
		continue
	fi
	n0=$SBAD
	while IFS= read -r v; do
		# in a connect string a space ends an option: "K=1 2" is K=1 and
		# an option "2" (the unknown option check is krdma_loopback's)
		case " $CONN_OPTS :$v" in *" $p "*":1 2") continue ;; esac
		SN=$((SN + 1))
		moved_refused "$p" "$v" || SBAD=$((SBAD + 1))
	done <$T/bv
	[ $SBAD = "$n0" ] || log "setting $p: $((SBAD - n0)) bad value(s) not refused"
done
log "$SN bad setting values tried, $((SN - SBAD)) refused"
check "every bad value of a moved setting was refused where it lives now, and logged" \
	[ $SBAD = 0 ]
check "no peer made by them" [ -z "$(ls $C/peers)" ]
# pool_min above pool_max: each file takes it (either may be set first),
# sizing refuses it
pool_crossed() {
	echo 17 >$B/pool_min || return 1
	set_refused $B/disksize pool_min 64M
	local rc=$?
	echo 2 >$B/pool_min
	return $rc
}
check "pool_min above pool_max: disksize refused, logged" pool_crossed
check "rackswap0 still unsized" [ "$(cat $B/disksize)" = 0 ]
drain_log

# --- (b) wrong order of operations -------------------------------------------
BUSY="Device or resource busy"

check "swapon before disksize is refused" sh -c "! swapon /dev/rackswap0 2>/dev/null"
check "reset of an unsized device is taken and changes nothing" \
	sh -c "echo 1 >$B/reset && [ \$(cat $B/disksize) = 0 ]"
loop_connect
connect_twice() {
	kmsg_mark
	refused_with $C/connect "$(conn_str $LOOP_ADDR 7472)" "File exists" &&
		since_mark | grep -q "already connected to $LOOP_ADDR:7472"
}
check "connect twice to one address: EEXIST, logged" connect_twice
check "still one peer each way, live" sh -c \
	"[ \$(ls $C/peers | wc -l) = 2 ] && [ \$(cat $C/peers/$out/state) = live ]"
check "disconnect of an unknown address: ENOENT" \
	refused_with $C/disconnect "$LOOP_ADDR 7999" "No such file or directory"
check "disconnect of an unknown node name: ENOENT" \
	refused_with $C/disconnect nosuchnode "No such file or directory"
check "disksize 64M" sh -c "echo 64M >$B/disksize"
check "a second disksize: EBUSY" refused_with $B/disksize 32M "$BUSY"
check "mkswap" sh -c "mkswap /dev/rackswap0 >/dev/null"
check "swapon" swapon /dev/rackswap0
check "swapon again is refused" sh -c "! swapon /dev/rackswap0 2>/dev/null"
check "disksize while swapped on: EBUSY" refused_with $B/disksize 128M "$BUSY"
check "backend while swapped on: EBUSY" refused_with $B/backend dram "$BUSY"
check "replicas while swapped on: EBUSY" refused_with $B/replicas 2 "$BUSY"
check "reset while swapped on: EBUSY" refused_with $B/reset 1 "$BUSY"
check "hot_remove 0 while swapped on: EBUSY" refused_with $H/hot_remove 0 "$BUSY"
check "rmmod $MOD while swapped on is refused" fails rmmod $MOD
check "the device is still 64M" [ "$(cat $B/disksize)" = $((64 * 1048576)) ]
granted=$(cat $D/granted_bytes)
check "slabs are granted (the pool)" [ "$granted" -gt 0 ]
check "donate lowered to 2M while slabs are granted: taken, nothing revoked" sh -c \
	"echo 2M >$D/donate && [ \$(cat $D/donate) = 2097152 ] &&
	 [ \$(cat $D/granted_bytes) = $granted ] && [ \$(cat $D/free_bytes) = 0 ]"
check "donate 0 while slabs are granted: taken, nothing revoked" sh -c \
	"echo 0 >$D/donate && [ \$(cat $D/granted_bytes) = $granted ]"
check "donate back to 256M" sh -c "echo 256M >$D/donate && [ \$(cat $D/donate) = 268435456 ]"

# --- (b) fuzzing ----------------------------------------------------------------
# the fixed nasty set, one file each
: >$T/f01                                   # empty (no write at all)
printf '\n' >$T/f02
printf '%s' -1 >$T/f03
printf '%s' 18446744073709551616 >$T/f04
printf '%s' 0x >$T/f05
printf '%s' 1x >$T/f06
printf '%s' '  5' >$T/f07
head -c 5000 /dev/zero | tr '\000' 7 >$T/f08 # 5000 characters
printf '1\0000' >$T/f09                     # an embedded NUL
printf '\303\251\377\200' >$T/f10           # not ASCII
printf '%%s%%n%%x' >$T/f11
FIXED="f01 f02 f03 f04 f05 f06 f07 f08 f09 f10 f11"

# excluded FILE: not fuzzed (logged): fault injection has its own tests,
# so do the negative controls (test_flip_reads, test_drop_writes: a number
# taken arms them, and they corrupt data on purpose: the swap run at the
# end once segfaulted under one the fuzzer had armed; test_alloc_lie: two
# numbers taken make this donor's ALLOC answers lie);
# test_proto_major would make every later connect fail, test_incarnation
# every later reconnection (refused as a replay); test_grant_pages and
# test_incarnation are debugfs_create_u32/u64 (the kernel's parser, which
# truncates, and no code of ours); loopback is a test hook (a debugfs bool:
# the kernel's parser, reading back Y/N; (a) checks its bad values), and so
# is dvs's skip_verify (a Y taken would turn dvs's page check off);
# test_auth_mode and test_hello_replay are debugfs_create_u8 hooks (the
# kernel's parser; auth_replay uses them)
excluded() {
	case $1 in
	*/fault/* | "$DK"/test_proto_major | "$DK"/test_incarnation | \
	"$DK"/test_grant_pages | "$DK"/test_flip_reads | "$DK"/test_drop_writes | \
	"$DK"/loopback | "$DT"/skip_verify | "$DT"/test_alloc_lie | \
	"$DK"/test_auth_mode | "$DK"/test_hello_replay) return 0 ;;
	esac
	return 1
}
# unsafe FILE INPUT: an input a command file would act on: test_forge
# takes "1\0..." as peer 1 and runs its forged-key test, test_qp_error
# as peer 1 and moves its data QPs to error (both break the connection);
# every other command file refuses all of the fixed set
unsafe() {
	case "$1:$2" in
	"$DK"/test_forge:f09 | "$DK"/test_qp_error:f09) return 0 ;;
	esac
	return 1
}
# kind_of FILE: what a write to it may change (state_of reads it):
# value: the file's own value; disk: the device's size; devices: the list
# of devices; peers: the krdma peers and their states; none: nothing to
# read (dvs/space's reading is the last command's result, refusals too)
kind_of() {
	case $1 in
	*/reset) echo disk ;;
	*/hot_remove) echo devices ;;
	*/connect | */disconnect | "$DK"/*) echo peers ;;
	*/dvs/space) echo none ;;
	*) echo value ;;
	esac
}
state_of() {
	case $2 in
	value) cat "$1" ;;
	disk) cat $B/disksize ;;
	devices) echo /sys/block/rackswap* ;;
	peers) echo $C/peers/*; cat $C/peers/*/state ;;
	esac
}

FN=0       # inputs written
FREF=0     # refused with an errno
FBAD=0     # anything else wrong
# fuzz_one FILE KIND INPUT: one write of INPUT's bytes, judged
fuzz_one() {
	local f=$1 kind=$2 inp=$3 before after rc want
	before=$(state_of "$f" "$kind" 2>&1)
	dd if="$inp" of="$f" bs=8192 count=1 2>$T/err >/dev/null
	rc=$?
	after=$(state_of "$f" "$kind" 2>&1)
	FN=$((FN + 1))
	if [ $rc = 1 ] && grep -q "^dd: error writing '.*': ." $T/err; then
		FREF=$((FREF + 1))
		[ "$after" = "$before" ] && return 0
		log "$f refused $(od -An -c "$inp" | head -n 1) yet changed: '$before' -> '$after'"
	elif [ $rc = 0 ]; then
		[ "$after" = "$before" ] && return 0
		# taken: the value written, up to a NUL or a newline
		want=$(tr '\000' '\n' <"$inp" | head -n 1)
		[ "$kind" = value ] && [ -s "$inp" ] && [ "$after" = "$want" ] && return 0
		log "$f took $(od -An -c "$inp" | head -n 1): '$before' -> '$after'"
	else
		log "$f: dd ended with $rc: $(head -n 1 $T/err)"
	fi
	FBAD=$((FBAD + 1))
	return 1
}

find /sys/kernel/rackswap $H $P $DBG $DK $DT -type f -perm -200 \
	2>/dev/null >$T/files
for a in disksize backend replicas encrypt reset completion_spin_us \
	backing_dev slab_size pool_min pool_max release_delay_s; do
	echo $B/$a
done >>$T/files
# the files fuzzed, and the values to restore
: >$T/targets
: >$T/saved
while read -r f; do
	excluded "$f" && { log "not fuzzed: $f"; continue; }
	echo "$f" >>$T/targets
	[ "$(kind_of "$f")" = value ] && echo "$f $(cat "$f")" >>$T/saved
done <$T/files
log "fuzzing $(wc -l <$T/targets) files, $FUZZ_N random inputs each"
t0=$(date +%s)
while read -r f; do
	kind=$(kind_of "$f")
	b0=$FBAD
	for i in $FIXED; do
		unsafe "$f" $i && continue
		fuzz_one "$f" "$kind" $T/$i
	done
	i=0
	while [ $i -lt "$FUZZ_N" ]; do
		head -c $(($(od -An -N1 -tu1 /dev/urandom) + 8)) /dev/urandom >$T/rnd
		fuzz_one "$f" "$kind" $T/rnd
		i=$((i + 1))
	done
	[ $FBAD = "$b0" ] || log "$f: $((FBAD - b0)) bad outcome(s)"
	drain_log
done <$T/targets
log "$FN inputs fuzzed, $FREF refused"
log "fuzzing took $(($(date +%s) - t0)) s"
check "inputs were refused ($FREF of $FN)" [ "$FREF" -gt 0 ]
check "every write was taken or refused with an errno, no half-applied state" [ $FBAD = 0 ]
[ ! -e $BADPAT ] || check "no bad kernel line in the $(wc -l <$T/klog) drained" bad_lines

# restore what a taken input changed (e.g. grace_period_s "1\0...": 1)
restore() {
	local f v bad=0
	while read -r f v; do
		[ "$(cat "$f")" = "$v" ] && continue
		echo "$v" >"$f" && [ "$(cat "$f")" = "$v" ] || { log "$f not restored to $v"; bad=1; }
	done <$T/saved
	return $bad
}
check "values restored" restore
check "still one live peer each way" sh -c \
	"[ \$(ls $C/peers | wc -l) = 2 ] && [ \$(cat $C/peers/$out/state) = live ] &&
	 [ \$(cat $C/peers/$in/state) = live ]"
check "still swapped on, 64M" sh -c \
	"grep -q rackswap0 /proc/swaps && [ \$(cat $B/disksize) = $((64 * 1048576)) ]"
check "cgroup memory.max=16M" swap_cgroup 16M
seq_verify 32 1
check "swapoff" swapoff /dev/rackswap0
check "no request failed" [ "$(cut -d' ' -f6 $B/io_stat)" = 0 ]
check "reset" sh -c "echo 1 >$B/reset"
check "nothing granted any more" retry 10 sh -c "[ \$(cat $D/granted_bytes) = 0 ]"
check "disconnect" sh -c "echo '$LOOP_ADDR 7472' >$C/disconnect"
rmdir $CG/swap
check "rmmod" rs_unload
tap_done
