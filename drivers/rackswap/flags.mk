# SPDX-License-Identifier: GPL-2.0
#
# Compiler flags every module of drivers/rackswap/ shares (included by the
# folders' Kbuild files; $(src) is the folder).

ccflags-y += -D'pr_fmt(fmt)=KBUILD_MODNAME ": " fmt'
# Out of tree, the public headers live at the top of the rackswap tree (in a
# kernel tree these paths are the kernel's own include directories).
ccflags-y += -I$(src)/../../../include -I$(src)/../../../include/uapi
ccflags-y += -I$(src)/..

# Out of tree there is no Kconfig: the top Makefile (and the rig) set the
# options on the command line, and the code needs them defined too.
ifneq ($(KBUILD_EXTMOD),)
ccflags-$(CONFIG_RACKSWAP_FAULT_INJECTION) += -DCONFIG_RACKSWAP_FAULT_INJECTION=1
ifeq ($(CONFIG_RACKSWAP_TEST),m)
ccflags-y += -DCONFIG_RACKSWAP_TEST_MODULE=1
endif
endif
