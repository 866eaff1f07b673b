#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lint.sh: checkpatch.pl --strict (from Debian's linux-source-6.1) on every
# source file of the modules, and sparse (make C=2) on them; exits
# non-zero on any finding.
set -uo pipefail
. "$(dirname "$0")/rig/lib.sh"

SRC=/usr/src/linux-source-6.1.tar.xz
LS=$BUILD/linux-source
CP=$LS/linux-source-6.1/scripts/checkpatch.pl
[ -e "$SRC" ] || "$RIG_DIR/setup.sh" >/dev/null || die "setup failed"
if [ ! -e "$CP" ] || [ "$SRC" -nt "$CP" ]; then
	mkdir -p "$LS"
	tar -C "$LS" -xJf "$SRC" linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch || die "cannot unpack checkpatch"
	touch "$CP"
fi

rc=0
files=$(cd "$TOP" && ls drivers/rackswap/*.[ch] drivers/rackswap/*/*.[ch] include/linux/*.h \
	include/uapi/linux/*.h | grep -v '\.mod\.c$')
echo "lint: checkpatch --strict on $(echo "$files" | wc -w) files"
# --no-tree: this is not a kernel tree; the spelling and const-struct
# lists come from the unpacked scripts directory.
# compat.h is the one file allowed to test LINUX_VERSION_CODE; the trace
# headers are written in the TRACE_EVENT() layout of include/trace/events/,
# whose open-ended "TP_STRUCT__entry(" lines checkpatch flags.
for f in $files; do
	ign=FILE_PATH_CHANGES
	[ "$f" = drivers/rackswap/compat.h ] && ign=$ign,LINUX_VERSION_CODE
	case $f in
	drivers/rackswap/blk/trace.h | drivers/rackswap/dvs/trace.h)
		ign=$ign,OPEN_ENDED_LINE,PARENTHESIS_ALIGNMENT ;;
	esac
	out=$(cd "$TOP" && perl "$CP" --strict --no-tree --terse --show-types \
		--no-summary --ignore $ign -f "$f") || { echo "$out"; rc=1; }
done
[ $rc = 0 ] || echo "lint: checkpatch found problems" >&2

kver=$(stock_kver)
kdir=${KDIR:-/usr/src/linux-headers-$kver}
[ -d "$kdir" ] || die "no kernel headers for sparse: run 'make setup'"
out=$BUILD/obj/sparse
copy_sources "$out"
echo "lint: sparse (make C=2) against $kdir"
make -s -j"$(nproc)" -C "$kdir" M="$out/drivers/rackswap" CONFIG_RACKSWAP=m CONFIG_RACKSWAP_TEST=m C=2 CHECK="sparse" \
	modules >"$out/sparse.log" 2>&1 || { cat "$out/sparse.log"; die "sparse build failed"; }
if grep -E ': (warning|error):' "$out/sparse.log"; then
	echo "lint: sparse found problems" >&2
	rc=1
fi
[ $rc = 0 ] && echo "lint: clean"
exit $rc
