#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# results.sh [-q] DIR NODES TEST...: reads what the guests of one rig run
# reported (DIR/nodeN.results, DIR/nodeN.console) and prints one line per
# test, then "RIG-COUNTS <passed> <failed> <skipped>".
#
# A test passes when it passed on every node; it fails when it failed on any
# node, was not reported by one (the VM died or timed out; a node that test
# killed on purpose, "RIG-KILLED by nodeK in TEST", is not counted for that
# test, and only for it), when it skipped (a skip in a tier is a failure:
# what a test needs is built into the rig), or when a node's console shows
# a bad kernel line (bad-patterns) while no test reported it.
# Exit status: 0 when nothing failed.
set -uo pipefail
RIG_DIR=$(cd "$(dirname "$0")" && pwd)
quiet=0
[ "${1:-}" = -q ] && { quiet=1; shift; }
dir=$1 nodes=$2
shift 2

pass=0 fail=0 skip=0
# bad kernel lines per node, from the console and from the results port
declare -A bad shown
for n in $(seq 1 "$nodes"); do
	r=$dir/node$n.results c=$dir/node$n.console
	[ -f "$r" ] || : >"$r"
	[ -f "$c" ] || : >"$c"
	bad[$n]=$( (grep -E -f "$RIG_DIR/bad-patterns" "$c"; grep '^RIG-DMESG-BAD' "$r") | tr -d '\r' | head -n 20)
done

tail_of() { # node test: its failed checks and bad kernel lines, then its last lines
	tr -d '\r' <"$dir/node$1.results" |
		awk -v t="$2" '$1 == "RIG-TEST" { on = ($2 == t) } on' >"$dir/.out"
	grep -E '^(not ok|RIG-DMESG-BAD|RIG-MEM-HIGH)' "$dir/.out" | head -n 30 | sed 's/^/    ! /'
	tail -n 25 "$dir/.out" | sed 's/^/    | /'
	rm -f "$dir/.out"
}

for t in "$@"; do
	verdict=pass why=""
	for n in $(seq 1 "$nodes"); do
		line=$(tr -d '\r' <"$dir/node$n.results" | awk -v t="$t" '$1 == "RIG-RESULT" && $3 == t' | tail -n 1)
		res=$(echo "$line" | cut -d' ' -f2)
		secs=$(echo "$line" | cut -d' ' -f4)
		case $res in
		pass) ;;
		skip) verdict=fail why="$why node$n skipped it (a skip is a failure);" ;;
		fail) verdict=fail why="$why node$n failed (${secs}s);" ;;
		*)
			# a node this test crashed on purpose reports nothing more
			tr -d '\r' <"$dir/node$n.results" | grep -qx "RIG-KILLED by node[1-9] in $t" ||
				verdict=fail why="$why node$n did not report it (VM died or timed out);"
			;;
		esac
	done
	case $verdict in
	pass) pass=$((pass + 1)); [ $quiet = 1 ] || echo "ok - $t (${nodes} node(s), ${secs:-?}s)" ;;
	fail)
		fail=$((fail + 1))
		echo "not ok - $t:$why"
		for n in $(seq 1 "$nodes"); do
			echo "  node$n output of $t:"
			tail_of "$n" "$t"
			if [ -z "${shown[$n]:-}" ] && ! grep -q '^RIG-END' "$dir/node$n.results"; then
				shown[$n]=1
				echo "  node$n console tail (the VM did not finish):"
				tail -n 20 "$dir/node$n.console" | tr -d '\r' | sed 's/^/    | /'
			fi
		done
		;;
	esac
done

# Bad kernel lines no test took the blame for (logged at boot, after the
# last test, or by a VM that died before its test could report) fail the
# run as one more test.
for n in $(seq 1 "$nodes"); do
	r=$dir/node$n.results
	[ -n "${bad[$n]}" ] || continue
	if grep -q '^RIG-DMESG-BAD boot:' "$r" ||
		{ ! grep -q '^RIG-END' "$r" && ! grep -q '^RIG-KILLED' "$r"; } ||
		! grep -q '^RIG-DMESG-BAD' "$r"; then
		fail=$((fail + 1))
		echo "not ok - node$n kernel log: bad lines outside any test"
		echo "${bad[$n]}" | sed 's/^/    | /'
		echo "  console tail:"
		tail -n 30 "$dir/node$n.console" | tr -d '\r' | sed 's/^/    | /'
	fi
done
echo "RIG-COUNTS $pass $fail $skip"
[ $fail = 0 ]
