#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The modules' shape (issue 34): each layer includes only the public header
# of the one below it, and the product modules built without the test
# module (make TEST=, what an install path ships) hold no test code: no
# symbol of a test, a rogue, a forge or a negative control, nothing exported
# to the RACKSWAP_TEST namespace. The rig's build (with the test module)
# does export to it: shown too, so that the check can fail.
. "$(dirname "$0")/../rig/lib.sh"
. "$(dirname "$0")/tap.lib"

cd "$TOP" || exit 1
R=drivers/rackswap

# quoted FOLDER: the quoted includes of a folder's files
quoted() { grep -ho '#include "[^"]*"' "$R/$1"/*.[ch] | sort -u; }
expect "krdma includes no dvs, block-device or test header" 1 \
	sh -c "grep -ho '#include \"[^\"]*\"' $R/krdma/*.[ch] | grep -E 'dvs|blkdev|backing|trace|test'"
expect "krdma includes no upper public header" 1 grep -l 'linux/dvs.h' $R/krdma/*.[ch] include/linux/krdma.h
expect "dvs includes no private krdma, block-device or test header" 1 \
	sh -c "grep -ho '#include \"[^\"]*\"' $R/dvs/*.[ch] | grep -E 'krdma|blkdev|backing|test'"
expect "the block devices include no private header of dvs or krdma" 1 \
	sh -c "grep -ho '#include \"[^\"]*\"' $R/blk/*.[ch] | grep -E 'krdma|dvs'"
expect "no product source names a test op" 1 \
	grep -l 'OP_TEST\|RS_TEST_OP' $R/krdma/*.[ch] $R/dvs/*.[ch] $R/blk/*.[ch]
log_includes() { local d; for d in krdma dvs blk; do echo "# $d: $(quoted $d | tr '\n' ' ')"; done; }
log_includes

kver=$(stock_kver)
kdir=${KDIR:-/usr/src/linux-headers-$kver}
[ -d "$kdir" ] || { not_ok "kernel headers for $kver: run 'make setup'"; done_testing; exit; }

# build OUT [make args]: our modules in their own copy of the tree
build() {
	local out=$1
	shift
	copy_sources "$out"
	make -s -j"$(nproc)" -C "$kdir" M="$out/drivers/rackswap" CONFIG_RACKSWAP=m "$@" \
		W=1 KCFLAGS=-Werror modules >"$out/build.log" 2>&1
}
# test_symbols OUT: the symbols of test code in the product modules of OUT
test_symbols() {
	local m
	for m in krdma/krdma dvs/dvs blk/rackswap; do
		nm "$1/drivers/rackswap/$m.ko" | awk '{ print $NF }' |
			grep -iE 'test|rogue|forge|neg_|flip' || true
	done
}
# test_exports OUT: the symbols the product modules of OUT export to tests
test_exports() {
	local m
	for m in krdma/krdma dvs/dvs blk/rackswap; do
		modinfo -F import_ns "$1/drivers/rackswap/$m.ko"
		strings "$1/drivers/rackswap/$m.ko" | grep -x RACKSWAP_TEST || true
	done | sort -u
}

P=$BUILD/obj/product
if build "$P"; then
	ok "the product modules build alone (make TEST=)"
	s=$(test_symbols "$P")
	if [ -z "$s" ]; then ok "no test symbol in krdma.ko, dvs.ko, rackswap.ko"; else
		not_ok "no test symbol in krdma.ko, dvs.ko, rackswap.ko: $(echo "$s" | tr '\n' ' ')"; fi
	e=$(test_exports "$P")
	if [ -z "$e" ]; then ok "nothing exported to the RACKSWAP_TEST namespace"; else
		not_ok "nothing exported to the RACKSWAP_TEST namespace: $e"; fi
	[ ! -e "$P/drivers/rackswap/test/rackswap_test.ko" ] && ok "no test module built" ||
		not_ok "no test module built"
else
	not_ok "the product modules build alone (make TEST=)"
	sed 's/^/#   /' "$P/build.log"
fi

# the negative control: the rig's build has the test hooks and exports
W=$BUILD/obj/withtest
if build "$W" CONFIG_RACKSWAP_TEST=m; then
	[ -n "$(test_symbols "$W")" ] && ok "control: the rig's build has test hooks" ||
		not_ok "control: the rig's build has test hooks"
	[ "$(test_exports "$W")" = RACKSWAP_TEST ] && ok "control: the rig's build exports to RACKSWAP_TEST" ||
		not_ok "control: the rig's build exports to RACKSWAP_TEST"
else
	not_ok "the modules build with the test module"
	sed 's/^/#   /' "$W/build.log"
fi
done_testing
