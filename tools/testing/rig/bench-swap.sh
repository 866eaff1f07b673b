#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=1 timeout=7200
#
# Guest side of "make bench" (devices part): in one boot, the same block
# and swap workloads on
#   brd       a local RAM disk (the limit)
#   zram      compressed RAM
#   nvmeof    NVMe over RDMA: nvmet exports a brd, nvme-rdma connects to it
#   rnbd      RNBD over RTRS exporting a brd (modules built by build-rnbd.sh)
#   rackswap  ours, rdma backend, the donor in this kernel (loopback mode)
# the remote ones over the same rxe device on dummy0 (MTU 9000: RoCE 4096).
# Each round runs every device in turn (the order rotates with the round):
# fio 128 KiB sequential write then read (MB/s), 4 KiB random read at QD1
# (latency percentiles), 4 KiB random 50/50 read/write at QD32 (IOPS); then,
# as swap (mkswap, swapon) under a cgroup v2 memory.max: sequential write
# and verify, random page touches over 4x the limit, sort of generated lines
# against its unlimited checksum. Levers: rackswap with one setting
# changed (rackswap@NAME; "BENCH lever_NAME what"), swap workloads (and
# the fio QD1/QD32 runs for levers marked "fio"), in the same rounds;
# among them issue 35's: integrity_off (the test module's skip_verify: no
# page sums computed or checked) and encrypt (the device's encrypt file;
# "BENCH encrypt_skipped" when this build has none). Last, connect times
# (connect_times): N connects with no key, then N with a key on both
# sides, each from the write of the connect string to the peer live with
# a data QP.
# Prints for the host:
#   FIO <dev> <workload> <round> <fio's JSON on one line>
#   SWAP <dev> <workload> <round> <ms> <pswpout> <pswpin> <sys ms> <ok|bad>
#   BENCH <key> <value>
# Kernel command line: bench.quick=1 (small workloads), bench.rounds=N.
# On two VMs (vm.sh -n 2) node2 serves an NVMe-oF target and a rackswap
# donor over the link and node1 runs brd (its own), nvmeof and rackswap;
# the connect times are node1's to node2, else loopback.
. /selftests/rackswap/lib.sh
C=/sys/kernel/rackswap/krdma
NVMET=/sys/kernel/config/nvmet

quick=$(rig_arg bench.quick)
rounds=$(rig_arg bench.rounds)
if [ "$quick" = 1 ]; then
	rounds=${rounds:-1} fio_s=6 seq_mib=128 rand_n=2 rand_mib=48 rand_t=8000
	sort_lines=150000 sort_max=16M connects=10
else
	rounds=${rounds:-3} fio_s=20 seq_mib=256 rand_n=4 rand_mib=64 rand_t=30000
	sort_lines=400000 sort_max=32M connects=20
fi
cg_max=64M
dev_mib=512

note() { echo "# bench: $*"; }
now_ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }
# system + irq + softirq time of all CPUs, in ms (USER_HZ 100)
sys_ms() { awk '$1 == "cpu" { printf "%d", ($4 + $7 + $8) * 10 }' /proc/stat; }

# --- the devices ---------------------------------------------------------
devs=""
add() { devs="$devs $1:$2"; echo "BENCH dev_$1 $2"; }

mount -t configfs none /sys/kernel/config 2>/dev/null

# nvmet_export DEV ADDR: NVMe over RDMA target exporting DEV at ADDR:4420
nvmet_export() {
	local s=$NVMET/subsystems/bench p=$NVMET/ports/1
	modprobe -a nvmet nvmet-rdma || return 1
	mkdir $s && echo 1 >$s/attr_allow_any_host && mkdir $s/namespaces/1 &&
		echo "$1" >$s/namespaces/1/device_path &&
		echo 1 >$s/namespaces/1/enable || return 1
	mkdir $p && echo rdma >$p/addr_trtype && echo ipv4 >$p/addr_adrfam &&
		echo "$2" >$p/addr_traddr && echo 4420 >$p/addr_trsvcid &&
		ln -s $s $p/subsystems/bench
}
# nvme_attach ADDR: connects to it; sets $nvme_dev
nvme_attach() {
	local n
	modprobe nvme-rdma || return 1
	retry 60 sh -c "echo nqn=bench,transport=rdma,traddr=$1,trsvcid=4420 \
		>/dev/nvme-fabrics" 2>/dev/null || return 1
	retry 30 sh -c '[ -e /sys/block/nvme0n1 ] || [ -e /sys/block/nvme1n1 ]' ||
		return 1
	for n in /sys/block/nvme*n1; do
		nvme_dev=/dev/${n##*/}
	done
}
# rackswap_attach ADDR: connects to the donor there (with rs_load's connect
# options), sizes /dev/rackswap0 (rs_load set its slab size)
rackswap_attach() {
	retry 60 sh -c "echo '$(conn_str "$1" 7472)' >$C/connect" 2>/dev/null || return 1
	retry 30 sh -c "[ \$(cat $C/peers/*/data_qps | head -n 1) -ge 1 ]" &&
		echo ${dev_mib}M >/sys/block/rackswap0/disksize
}

if [ "$NODES" -ge 2 ]; then
	# two VMs: node2 serves (NVMe-oF target, rackswap donor), node1 runs
	# the workloads against it over their link; brd is node1's own
	rxe_links_up || { note "no rxe"; exit 1; }
	if [ "$NODE" = 2 ]; then
		modprobe brd rd_nr=1 rd_size=$((dev_mib * 1024)) &&
			nvmet_export /dev/ram0 "$(link_addr 2 1)" ||
			note "no NVMe-oF target"
		rs_load donate=$((dev_mib + 64))M slab_size=4M uuid="$(node_uuid 2)" ||
			note "no rackswap donor"
		# serve until node1 is done; open, then keyed when it asks
		# (connect_times): node1 allowed with key 1
		retry 900 krdma_peer direction=in state=live >/dev/null || exit 0
		[ "$(next_word 7200)" = keyed ] || exit 0
		echo "$(node_uuid 1) $AUTH_KEY1" >$C/allow
		tell 1 allowed
		hear "done" 900
		exit 0
	fi
	echo "BENCH two_vm 1"
	modprobe brd rd_nr=1 rd_size=$((dev_mib * 1024)) && add brd /dev/ram0
	if nvme_attach "$(link_addr 2 1)"; then add nvmeof "$nvme_dev"; else note "no nvmeof"; fi
	if rs_load slab_size=4M uuid="$(node_uuid 1)" &&
		rackswap_attach "$(link_addr 2 1)"; then
		add rackswap /dev/rackswap0
	else
		note "no rackswap"
	fi
else
	rxe_loopback_up || { note "no rxe"; exit 1; }
	if modprobe brd rd_nr=3 rd_size=$((dev_mib * 1024)); then
		add brd /dev/ram0
	else
		note "no brd: brd, nvmeof and rnbd left out"
	fi
	if modprobe zram num_devices=1 && echo ${dev_mib}M >/sys/block/zram0/disksize; then
		add zram /dev/zram0
	else
		note "no zram"
	fi
	[ -e /dev/ram1 ] && if nvmet_export /dev/ram1 $LOOP_ADDR && nvme_attach $LOOP_ADDR; then
		add nvmeof "$nvme_dev"
	else
		note "no nvmeof"
	fi
	rnbd_up() {
		modprobe -a rnbd-server rnbd-client || return 1
		echo "sessname=bench path=ip:$LOOP_ADDR device_path=/dev/ram2" \
			>/sys/class/rnbd-client/ctl/map_device || return 1
		retry 30 [ -e /dev/rnbd0 ]
	}
	[ -e /dev/ram2 ] && if rnbd_up; then add rnbd /dev/rnbd0; else note "no rnbd"; fi
	# the donor in this kernel (loopback mode)
	if rs_load loopback=1 donate=$((dev_mib + 64))M slab_size=4M &&
		rackswap_attach $LOOP_ADDR; then
		add rackswap /dev/rackswap0
	else
		note "no rackswap"
	fi
fi

# Levers: rackswap with one setting changed, run next to rackswap in every
# round ("rackswap@NAME"): swap workloads, and the fio QD1/QD32 runs for
# levers marked "fio"
pc_default=$(cat /proc/sys/vm/page-cluster)
P=/sys/kernel/rackswap/krdma
SPIN=/sys/block/rackswap0/completion_spin_us
# issue 35: page integrity off (the test module's hook), encryption on
NOSUMS=$DT/skip_verify
ENC=/sys/block/rackswap0/encrypt
lever_fio=""
lever() {
	devs="$devs rackswap@$1:/dev/rackswap0"
	echo "BENCH lever_$1 $2"
	[ "${3:-}" != fio ] || lever_fio="$lever_fio $1"
}
# rs_encrypt 0|1: /dev/rackswap0 with encryption off (on); encrypt is set
# before disksize, so a change resets the device and sizes it again
rs_encrypt() {
	[ -e $ENC ] && [ "$(cat $ENC)" != "$1" ] || return 0
	retry 10 sh -c "echo 1 >/sys/block/rackswap0/reset" &&
		echo "$1" >$ENC && echo ${dev_mib}M >/sys/block/rackswap0/disksize ||
		note "encrypt=$1 on /dev/rackswap0 failed"
}
# lever_set NAME: the defaults, then what lever NAME changes
lever_set() {
	echo "$pc_default" >/proc/sys/vm/page-cluster
	[ ! -e $P/inline_softirq ] || echo 1 >$P/inline_softirq
	[ ! -e $SPIN ] || echo 0 >$SPIN
	[ ! -e $NOSUMS ] || echo N >$NOSUMS
	rs_encrypt 0
	case $1 in
	pc[0-9]) echo "${1#pc}" >/proc/sys/vm/page-cluster ;;
	ksoftirqd) echo 0 >$P/inline_softirq ;;
	idle) echo 2 >$P/inline_softirq ;;
	spin) echo 50 >$SPIN ;;
	integrity_off) echo Y >$NOSUMS ;;
	encrypt)
		rs_encrypt 1
		# the driver (e.g. gcm_base(ctr(aes-aesni),ghash-generic)) and its algorithm
		drv=$(cat /sys/block/rackswap0/encrypt_driver 2>/dev/null)
		echo "BENCH encrypt_driver ${drv:--}"
		echo "BENCH encrypt_cipher $(awk -v d="$drv" '$1 == "name" { n = $3 }
			$1 == "driver" && $3 == d { print n; exit }' /proc/crypto)"
		;;
	esac
}
# runs_fio NAME: a device does; a lever when marked "fio"
runs_fio() {
	case $1 in
	*@*)
		case " $lever_fio " in *" ${1#*@} "*) return 0 ;; esac
		return 1
		;;
	esac
}
if [ -e /sys/block/rackswap0 ]; then
	lever pc0 "vm.page-cluster=0: no swap readahead (default $pc_default: up to $((1 << pc_default)) pages)"
	lever pc5 "vm.page-cluster=5: swap readahead of up to 32 pages"
	lever ksoftirqd "inline_softirq=0: soft-RoCE's work for a post left to ksoftirqd" fio
	lever idle "inline_softirq=2: inline only for a post to an idle data QP" fio
	lever spin "completion_spin_us=50: the submitter spins up to 50 us for its request's completion" fio
	if [ -e $NOSUMS ]; then
		lever integrity_off "skip_verify=Y (test module): no page sums computed on writes or checked on reads" fio
	else
		echo "BENCH integrity_skipped no $NOSUMS (rackswap_test not loaded)"
	fi
	if [ -e $ENC ]; then
		lever encrypt "encrypt=1: every page encrypted on the client" fio
	else
		echo "BENCH encrypt_skipped no $ENC in this build"
	fi
	# the CPU's AES instructions (under TCG, -cpu max emulates them)
	echo "BENCH cpu_aes $(grep -qw aes /proc/cpuinfo && echo yes || echo no)"
fi

for d in $devs; do
	case $d in *@*) continue ;; esac
	echo "BENCH sched_${d%%:*} $(cat /sys/block/${d##*/}/queue/scheduler 2>/dev/null | tr ' ' _)"
done
echo "BENCH rounds $rounds"
echo "BENCH quick ${quick:-0}"
echo "BENCH swap_limit $cg_max"
echo "BENCH seq_mib $seq_mib"
echo "BENCH rand_procs $rand_n"
echo "BENCH rand_mib $rand_mib"
echo "BENCH rand_touches $rand_t"
echo "BENCH sort_lines $sort_lines"
echo "BENCH sort_limit $sort_max"
echo "BENCH fio_seconds $fio_s"
echo "BENCH connects $connects"

# --- the workloads -------------------------------------------------------
# busy (not idle, not iowait) jiffies of each CPU, one "cpuN busy total"
# line per CPU
cpu_ticks() { awk '$1 ~ /^cpu[0-9]/ { t = 0; for (i = 2; i <= NF; i++) t += $i; print $1, t - $5 - $6, t }' /proc/stat; }

# fio_run NAME DEV WORKLOAD ROUND ARGS...: one FIO line, and each CPU's
# busy share during the run ("BENCH cpu_NAME_WORKLOAD_ROUND 97,41": where
# the work ran)
fio_run() {
	local name=$1 dev=$2 wl=$3 r=$4 l
	shift 4
	cpu_ticks >/tmp/cpu.a
	# JSON on one line (fio's has no newline inside a string); latency
	# percentiles of submission + completion (lat_ns): a device that
	# completes inside the submission has no completion latency to speak of
	l=$(fio --name="$wl" --filename="$dev" --ioengine=libaio --direct=1 \
		--size=256M --time_based --runtime=$fio_s --ramp_time=1 \
		--percentile_list=50:99:99.9 --lat_percentiles=1 \
		--output-format=json "$@" 2>/tmp/fio.err | tr -d '\n')
	[ -n "$l" ] && echo "FIO $name $wl $r $l" ||
		note "fio $wl on $name failed: $(tail -n 2 /tmp/fio.err)"
	cpu_ticks >/tmp/cpu.b
	echo "BENCH cpu_${name}_${wl}_$r $(awk 'NR == FNR { b[$1] = $2; t[$1] = $3; next }
		{ printf "%s%d", n++ ? "," : "", ($3 - t[$1]) ? 100 * ($2 - b[$1]) / ($3 - t[$1]) : 0 }' /tmp/cpu.a /tmp/cpu.b)"
}

# swap_run NAME WORKLOAD ROUND CMD...: CMD in the cgroup; one SWAP line
swap_run() {
	local name=$1 wl=$2 r=$3 t0 o0 i0 s0 ok
	shift 3
	o0=$(vmstat pswpout) i0=$(vmstat pswpin) s0=$(sys_ms) t0=$(now_ms)
	if "$@"; then ok=ok; else ok=bad; fi
	echo "SWAP $name $wl $r $(($(now_ms) - t0)) $(($(vmstat pswpout) - o0)) $(($(vmstat pswpin) - i0)) $(($(sys_ms) - s0)) $ok"
}

# --- connect times -----------------------------------------------------
# now_us: the wall clock in microseconds, modulo 10^5 s (busybox's date
# has no %N; adjtimex gives microseconds)
now_us() {
	adjtimex | awk '/tv_sec/ { s = $2 } /tv_usec/ { u = $2 }
		END { printf "%.0f", (s % 100000) * 1000000 + u }'
}
# out_up: our outgoing peer is live with a data QP (shell builtins only:
# no process started in the timed loop)
out_up() {
	local d v
	for d in "$C"/peers/*; do
		read -r v <"$d/direction" 2>/dev/null && [ "$v" = out ] || continue
		read -r v <"$d/state" && [ "$v" = live ] &&
			read -r v <"$d/data_qps" && [ "$v" -ge 1 ] && return 0
	done
	return 1
}
no_peers() { [ -z "$(ls $C/peers)" ]; }
# conn_time ADDR: connects to ADDR; prints the microseconds from the write
# of the connect string to our peer live with a data QP (at most 10 s)
conn_time() {
	local t0 d i=0
	t0=$(now_us)
	conn_str "$1" 7472 >$C/connect 2>/dev/null || return 1
	until out_up; do
		i=$((i + 1))
		[ $i -le 5000 ] || return 1
		usleep 2000
	done
	d=$(($(now_us) - t0))
	[ $d -ge 0 ] || d=$((d + 100000000000))
	echo $d
}
# conn_times NAME ADDR: $connects connects to ADDR that came up, one at a
# time, each closed before the next (at most $connects failed ones more);
# "BENCH connect_NAME_us" lists their times, "BENCH connect_NAME_failed"
# counts those that did not come up
conn_times() {
	local n=0 bad=0 l='' t
	while [ $n -lt "$connects" ] && [ $bad -lt "$connects" ]; do
		if t=$(conn_time "$2"); then
			n=$((n + 1))
			l="$l${l:+,}$t"
		else
			bad=$((bad + 1))
		fi
		echo "$2 7472" >$C/disconnect 2>/dev/null
		retry 30 no_peers || note "connect $1: a peer stays"
		# two VMs: node2 ends its side of it too
		[ "$NODES" -lt 2 ] || sleep 1
	done
	echo "BENCH connect_${1}_us $l"
	echo "BENCH connect_${1}_failed $bad"
}
# connect_times ADDR: the timer's own cost (three tries), conn_times with
# no key on either side, then with key 1 on both (two VMs: node2 allows
# node1's UUID with it; loopback: the allowlist holds our own UUID);
# the keys cleared after
connect_times() {
	local t0 f='' i
	for i in 1 2 3; do
		t0=$(now_us)
		f="$f${f:+,}$(($(now_us) - t0))"
	done
	echo "BENCH connect_timer_us $f"
	if [ "$NODES" -ge 2 ]; then
		echo "BENCH connect_mode two VMs (node1 to node2)"
	else
		echo "BENCH connect_mode loopback"
	fi
	conn_times open "$1"
	if [ "$NODES" -ge 2 ]; then
		tell 2 keyed && hear allowed 120 ||
			{ note "node2 did not allow us: no keyed connects"; return 1; }
	else
		echo "$(cat /sys/kernel/rackswap/uuid) $AUTH_KEY1" >$C/allow
	fi
	echo $AUTH_KEY1 >$C/key
	conn_times keyed "$1"
	echo clear >$C/key
	[ "$NODES" -ge 2 ] || echo clear >$C/allow
}

seq_job() { in_cgroup memtouch seq $seq_mib 1 | grep -q ': 0 bad words'; }
rand_job() { rand_run $rand_n $rand_mib $rand_t; }
sort_job $sort_lines
sort_ref=$(sh /tmp/sortjob)
sort_run() {
	echo $sort_max >$CG/swap/memory.max
	[ "$(in_cgroup sh /tmp/sortjob)" = "$sort_ref" ]
	echo $cg_max >$CG/swap/memory.max
}

swap_cgroup $cg_max || { note "no cgroup"; exit 1; }
ndev=$(echo $devs | wc -w)
for r in $(seq $rounds); do
	# rotate: round r starts at device r
	set -- $devs
	i=1
	while [ $i -lt $(((r - 1) % ndev + 1)) ]; do
		set -- "$@" "$1"
		shift
		i=$((i + 1))
	done
	for d in "$@"; do
		name=${d%%:*} dev=${d#*:}
		note "round $r: $name ($dev)"
		lever_set "${name#*@}"
		if [ "$name" = "${name%@*}" ]; then
			fio_run $name $dev seqwrite_128k $r --rw=write --bs=128k --iodepth=16
			fio_run $name $dev seqread_128k $r --rw=read --bs=128k --iodepth=16
		fi
		if runs_fio "$name"; then
			h0=$(cat /sys/block/rackswap0/read_latency 2>/dev/null)
			fio_run $name $dev randread_4k_qd1 $r --rw=randread --bs=4k --iodepth=1
			# rackswap's own view of those reads: queue_rq to completion
			[ "$name" != rackswap ] ||
				echo "BENCH rackswap_qd1_driver_latency_$r $(echo "$h0" |
					paste -d' ' - /sys/block/rackswap0/read_latency | awk '{
					n = NF / 2; for (i = 1; i <= n; i++) printf "%s%d", (i > 1 ? "," : ""), $(i + n) - $i }')"
			fio_run $name $dev randrw_4k_qd32 $r --rw=randrw --rwmixread=50 \
				--bs=4k --iodepth=32
		fi
		mkswap $dev >/dev/null && swapon $dev || { note "swapon $dev failed"; continue; }
		swap_run $name seq $r seq_job
		swap_run $name rand $r rand_job
		swap_run $name sort $r sort_run
		swapoff $dev || note "swapoff $dev failed"
	done
done
lever_set none
# the donor's side: RPCs it served (slab allocation, heartbeats) against
# the requests the device completed: one-sided RDMA needs no donor code
if [ -e /sys/block/rackswap0 ]; then
	echo "BENCH rackswap_io_stat $(tr ' ' , </sys/block/rackswap0/io_stat)"
	echo "BENCH rackswap_read_latency $(tr ' ' , </sys/block/rackswap0/read_latency)"
	# the spin lever's requests: completed by their submitter, timed out
	echo "BENCH rackswap_spin_stat $(tr ' ' , </sys/block/rackswap0/spin_stat)"
	echo "BENCH rackswap_requests $(awk '{ print $1 + $2 }' /sys/block/rackswap0/io_stat)"
	# loopback: both ends are here; two VMs: what node1 asked of node2
	f=rpcs_in
	[ "$NODES" -lt 2 ] || f=rpcs_out
	echo "BENCH rackswap_donor_rpcs_served $(cat $C/peers/*/$f | awk '{ s += $1 } END { print s }')"
fi
# connect times, once the device let its connection go (slabs given back)
if [ -e /sys/block/rackswap0 ]; then
	echo 1 >/sys/block/rackswap0/reset
	a=$LOOP_ADDR
	[ "$NODES" -lt 2 ] || a=$(link_addr 2 1)
	echo "$a 7472" >$C/disconnect
	retry 30 no_peers || note "a peer stays after the disconnect"
	connect_times "$a"
fi
# let node2 go
[ "$NODES" -lt 2 ] || tell 2 "done"
exit 0
