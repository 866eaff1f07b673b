# SPDX-License-Identifier: GPL-2.0
#
# rackswap: top-level Makefile (out-of-tree build, lint, tests, demo).
#
#   make              build the modules (drivers/rackswap/*/*.ko) against KDIR
#   make lint         checkpatch.pl --strict + sparse; fails on findings
#   make check        build, lint, host unit tests, VM selftests (CI tier)
#   make check-full   everything, including the slow fault tests
#   make check-scale  memory pressure and stress
#   make check-debug  the VM selftests on the debug kernel
#   make demo         boot the rig and show the module running
#   make bench        measure (one boot; never part of a test tier)
#   make setup        install what the rig needs (no-op when present)
#   make clean

# The running kernel's build tree when it exists, else the newest
# installed Debian 6.1 headers (the rig's kernel, tools/testing/rig/lib.sh:
# the host kernel here has none; another series installed beside it must
# not move the build).
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	  $(lastword $(sort $(wildcard /usr/src/linux-headers-6.1.*-amd64))))

# The module's fault points (CONFIG_RACKSWAP_FAULT_INJECTION) when the kernel
# has the fault-injection debugfs: out of tree there is no Kconfig to ask.
FAULT := $(if $(shell grep -sx 'CONFIG_FAULT_INJECTION_DEBUG_FS=y' $(KDIR)/.config),CONFIG_RACKSWAP_FAULT_INJECTION=y)

# The test module (rackswap_test.ko, CONFIG_RACKSWAP_TEST) is built with
# the others and used by the rig; "make TEST=" builds the product alone,
# exporting nothing to tests (what an install path ships).
TEST ?= m
TESTMOD := $(if $(TEST),CONFIG_RACKSWAP_TEST=$(TEST))

TOP := $(CURDIR)
MOD := $(TOP)/drivers/rackswap
T := $(TOP)/tools/testing

export KDIR

.PHONY: all modules lint check check-full check-scale check-debug demo bench setup clean help

all: modules

modules:
	@test -n "$(KDIR)" || { echo "no kernel build tree: install linux-headers-amd64 or set KDIR" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(MOD) CONFIG_RACKSWAP=m $(FAULT) $(TESTMOD) W=1 KCFLAGS=-Werror modules

lint:
	$(T)/lint.sh

check:
	$(T)/check.sh check

check-full:
	$(T)/check.sh full

check-scale:
	$(T)/check.sh scale

check-debug:
	$(T)/check.sh debug

demo:
	$(T)/demo.sh

bench:
	QUICK=$(QUICK) ROUNDS=$(ROUNDS) $(T)/bench.sh

setup:
	$(T)/rig/setup.sh

clean:
	@if [ -n "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(MOD) clean; fi
	rm -rf $(TOP)/build

help:
	@sed -n '3,15p' Makefile
