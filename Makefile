# ptscope: top-level Makefile.
#
#   make             build: the module for the running kernel and every other
#                    kernel with headers, the CLI, the tests (installs nothing)
#   make KDIR=...    module for that kernel tree only
#   make install     module for KVER (default: the running kernel) into
#                    /lib/modules/KVER/updates/, the CLI, man page and docs
#                    under PREFIX (default /usr/local); DESTDIR honoured
#   make uninstall   remove what make install put there
#   make deb         Debian packages ptscope and ptscope-dkms in build/deb/
#   make check       host unit tests, checkpatch, guest tests on 6.1/6.12/7.3
#   make demo        boot a guest and show what ptscope does
#   make stress      long fuzz/race/unload runs in every guest (KERNEL=debug:
#                    on the debug kernel)
#   make check-kernels  build the module against every Debian kernel
#                    (chroots in the cache; no guest)
#   make debug-kernel  6.12 with KASAN, lockdep, kmemleak, built once into a
#                    cache outside the repository, and ptscope for it
#   make lab-image   the classroom disk image build/lab/ptscope-lab.qcow2
#                    (Debian, ptscope from make deb; cached, tools/image/build)
#   make check-image boot it and run every lab inside (tools/image/check)
#   make setup       install what the project needs (tools/setup)
#
# Module objects go to build/<kernel-release>/, never into the sources.

SRC    := $(CURDIR)
BUILD  := $(SRC)/build
SHELL  := /bin/bash
VERSION := $(shell sed -n 's/^\#define PTSCOPE_MODULE_VERSION[[:space:]]*"\(.*\)"/\1/p' $(SRC)/module/internal.h)

# Set-up first, before any variable below looks at installed files, but
# only for the targets that test, boot guests or fetch kernels: on a fresh
# machine `make check` alone installs everything (tools/setup is
# idempotent), while a plain `make` (or install, deb) never calls a
# package manager.  The stamp holds a hash of tools/setup, so a package
# added there is installed on the next such make.
SETUP_GOALS := check demo bench stress check-kernels debug-kernel lab-image check-image
SETUP_STAMP := $(BUILD)/.setup-done
ifneq ($(filter $(SETUP_GOALS),$(MAKECMDGOALS)),)
ifeq ($(PTSCOPE_IN_CHROOT),)
SETUP_HASH := $(shell md5sum < $(SRC)/tools/setup | cut -c1-32)
ifneq ($(SETUP_HASH),$(shell cat $(SETUP_STAMP) 2>/dev/null))
SETUP_OK := $(shell $(SRC)/tools/setup >&2 && mkdir -p $(BUILD) && \
		echo $(SETUP_HASH) > $(SETUP_STAMP) && echo ok)
ifneq ($(SETUP_OK),ok)
$(error tools/setup failed: cannot install the packages ptscope needs)
endif
endif
endif
endif

# Kernels to build for: KDIR if given, else every installed kernel with
# a build tree (headers package), and every kernel line that
# tools/kernels/fetch made ready in the cache (built in its toolchain's
# chroot: "<release> <chroot suite>" in <cache>/lines/<line>).
# The running kernel without headers is not an error: make says which
# package to install and builds for the others.
KREL   := $(shell uname -r)
ifdef KDIR
KDIRS  := $(KDIR)
else
KDIRS  := $(wildcard /lib/modules/*/build)
CHROOT_LINES := $(wildcard $(shell $(SRC)/tools/kernels/cache --peek)/lines/*)
ifeq ($(PTSCOPE_IN_CHROOT)$(wildcard /lib/modules/$(KREL)/build),)
ifneq ($(wildcard /proc/modules),)
KREL_NOTE := warning: no headers for the running kernel $(KREL): \
	install linux-headers-$(KREL) to build the module for it
else
KREL_NOTE := note: the running kernel $(KREL) cannot load modules \
	(no /proc/modules): building for the installed kernels only
endif
endif
endif

CC      ?= cc
CFLAGS  ?= -O2 -g
UCFLAGS := -Wall -Wextra -Werror -std=gnu11 -I$(SRC)/include/uapi -I$(SRC)/tools/lib \
	   -D_GNU_SOURCE $(CFLAGS)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer

.PHONY: all setup module cli tests check demo clean checkpatch unit install \
	stress debug-kernel bench check-kernels

all: module cli tests

setup:
	@tools/setup
	@mkdir -p $(BUILD) && md5sum < tools/setup | cut -c1-32 > $(SETUP_STAMP)

module:
	$(if $(KREL_NOTE),@echo "$(KREL_NOTE)" >&2)
	@set -e; for kdir in $(KDIRS); do \
		krel=$$(sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' $$kdir/include/generated/utsrelease.h); \
		out=$(BUILD)/$$krel; \
		mkdir -p $$out/module; \
		ln -sf $(SRC)/Kbuild $$out/Kbuild; \
		for f in $(SRC)/module/*.c; do ln -sf $$f $$out/module/; done; \
		module/probes/run $$kdir $$out; \
		echo "  MODULE  $$out/ptscope.ko"; \
		$(MAKE) -s -C $$kdir M=$$out PTSCOPE_SRC=$(SRC) W=1 modules; \
	done
	@set -e; for f in $(CHROOT_LINES); do \
		read -r rel tool <$$f; \
		tools/kernels/chroot $$tool --run make -s -C $(SRC) module \
			KDIR=/usr/src/linux-headers-$$rel PTSCOPE_IN_CHROOT=1; \
	done

# ---- userspace ---------------------------------------------------------

LIB_SRCS := $(wildcard tools/lib/*.c)
LIB_HDRS := $(wildcard tools/lib/*.h) include/uapi/linux/ptscope.h
CLI_SRCS := $(wildcard tools/ptscope/*.c tools/ptscope/labs/*.c)
JSON_LIBS := $(shell pkg-config --libs json-c 2>/dev/null)
JSON_CFLAGS := $(shell pkg-config --cflags json-c 2>/dev/null)

# ---- BPF (libbpf CO-RE) ------------------------------------------------
#
# vmlinux.h comes from kernel BTF (never committed): the vmlinux of the
# newest installed headers package that ships one (Debian's 6.12 and later
# do; the same file on every machine with that package, so the build is
# reproducible), else the running kernel's /sys/kernel/btf/vmlinux.  One
# object, relocated at load time, runs on every kernel with BTF.
# "bpftool gen object" drops the DWARF the skeleton would embed.

BPF_OUT     := $(BUILD)/bpf
BPF_SRCS    := $(wildcard tools/bpf/*.bpf.c)
BPF_SKELS   := $(patsubst tools/bpf/%.bpf.c,$(BPF_OUT)/%.skel.h,$(BPF_SRCS))
BPF_VMLINUX := $(or $(lastword $(shell ls -d /usr/src/linux-headers-*/vmlinux 2>/dev/null | sort -V)),\
		    $(wildcard /sys/kernel/btf/vmlinux))
BPFTOOL     ?= $(or $(shell command -v bpftool 2>/dev/null),/usr/sbin/bpftool)
CLANG       ?= clang
BPF_CFLAGS  := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror
BPF_UCFLAGS := -I$(BPF_OUT) -Itools/bpf
BPF_LIBS    := -lbpf -lelf -lz -lm

$(BPF_OUT)/vmlinux.h: $(BPF_VMLINUX)
	@mkdir -p $(dir $@)
	@test -n "$(BPF_VMLINUX)" || { echo "no kernel BTF: neither a headers package with a vmlinux" \
		"(/usr/src/linux-headers-*/vmlinux, e.g. linux-headers-6.12-amd64) nor" \
		"/sys/kernel/btf/vmlinux" >&2; exit 1; }
	@echo "  BTF     $@ (from $(BPF_VMLINUX))"
	@$(BPFTOOL) btf dump file $(BPF_VMLINUX) format c >$@.tmp && mv $@.tmp $@

$(BPF_OUT)/%.bpf.o: tools/bpf/%.bpf.c $(wildcard tools/bpf/*.h) $(BPF_OUT)/vmlinux.h
	@echo "  BPF     $@"
	@$(CLANG) $(BPF_CFLAGS) -I$(BPF_OUT) -Itools/bpf -c $< -o $(BPF_OUT)/$*.tmp.bpf.o
	@$(BPFTOOL) gen object $@ $(BPF_OUT)/$*.tmp.bpf.o

.PRECIOUS: $(BPF_OUT)/%.bpf.o

$(BPF_OUT)/%.skel.h: $(BPF_OUT)/%.bpf.o
	@echo "  SKEL    $@"
	@$(BPFTOOL) gen skeleton $< name $*_bpf >$@.tmp && mv $@.tmp $@

cli: tools/ptscope/ptscope

tools/ptscope/ptscope: $(CLI_SRCS) $(LIB_SRCS) $(LIB_HDRS) $(wildcard tools/ptscope/*.h tools/ptscope/labs/*.h) $(BPF_SKELS)
	$(CC) $(CPPFLAGS) $(UCFLAGS) $(JSON_CFLAGS) $(BPF_UCFLAGS) $(LDFLAGS) -o $@ $(CLI_SRCS) $(LIB_SRCS) $(JSON_LIBS) $(BPF_LIBS)

# ---- tests -------------------------------------------------------------

KSFT_DIR := $(BUILD)/kselftest
KSFT_STAMP := $(KSFT_DIR)/.extracted
TEST_SRCS := $(wildcard tests/*.c)
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(filter-out tests/%_lib.c,$(TEST_SRCS)))
TEST_LIB  := $(wildcard tests/*_lib.c)
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRCS))

# kselftest headers come from the linux-source-6.12 package, extracted at
# build time (never copied into the repository).
$(KSFT_STAMP):
	@mkdir -p $(KSFT_DIR)
	@echo "  EXTRACT kselftest headers and checkpatch from linux-source-6.12"
	@tar -xf $$(ls /usr/src/linux-source-6.12*.tar.xz | head -1) -C $(KSFT_DIR) \
		--strip-components=1 --wildcards \
		'*/tools/testing/selftests/kselftest.h' \
		'*/tools/testing/selftests/kselftest_harness.h' \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	@touch $@

tests: $(TEST_BINS)

$(BUILD)/tests/%: tests/%.c $(TEST_LIB) $(wildcard tests/*.h) $(LIB_SRCS) $(LIB_HDRS) $(KSFT_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(UCFLAGS) -isystem $(KSFT_DIR)/tools/testing/selftests -Itests $(JSON_CFLAGS) -o $@ $< $(TEST_LIB) $(LIB_SRCS) $(JSON_LIBS) $(TEST_EXTRA) -lpthread

# tests that also walk through the BPF walker (ptw_open_hook)
BPFWALK_TESTS := $(BUILD)/tests/bpfwalk_test $(BUILD)/tests/fidelity_test
$(BPFWALK_TESTS): tools/ptscope/bpfwalk.c tools/ptscope/faultclass.c tools/ptscope/cli.h \
	$(BPF_OUT)/ptwalk.skel.h
$(BPFWALK_TESTS): TEST_EXTRA = $(BPF_UCFLAGS) tools/ptscope/bpfwalk.c tools/ptscope/faultclass.c \
	$(BPF_LIBS)

$(BUILD)/unit/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(LIB_SRCS) $(LIB_HDRS) $(KSFT_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(UCFLAGS) $(SANFLAGS) -isystem $(KSFT_DIR)/tools/testing/selftests $(UNIT_CFLAGS) -o $@ $< $(LIB_SRCS) $(UNIT_LIBS)

# the fault classes and the model are compiled into their unit test
$(BUILD)/unit/model_test: tools/ptscope/model.c tools/ptscope/model.h tools/ptscope/faultclass.c \
	tools/ptscope/faultclass.h tools/bpf/faulttrace.h
$(BUILD)/unit/model_test: UNIT_CFLAGS := -Itools/bpf $(JSON_CFLAGS)
$(BUILD)/unit/model_test: UNIT_LIBS := $(JSON_LIBS)

# the picture's layout is compiled into its unit test, checked by a script
$(BUILD)/unit/map_layout_test: tools/ptscope/map_layout.c tools/ptscope/map_layout.h

# the heatmap's page sets and layout, with map_layout.c's text helpers
$(BUILD)/unit/heatmap_test: tools/ptscope/heatmap.c tools/ptscope/heatmap.h \
	tools/ptscope/map_layout.c tools/ptscope/map_layout.h
$(BUILD)/unit/heatmap_test: UNIT_LIBS := tools/ptscope/map_layout.c -lm
# the trace picture: its layout, with the fault classes, checked by a script
$(BUILD)/unit/trace_svg_test: tools/ptscope/trace_svg.c tools/ptscope/trace_svg.h \
	tools/ptscope/faultclass.c tools/ptscope/faultclass.h tests/trace_svg_check.py \
	tests/map_svg_check.py
$(BUILD)/unit/trace_svg_test: UNIT_CFLAGS := -Itools/bpf
$(BUILD)/unit/trace_svg_test: UNIT_LIBS := -lm

# the audit rules and the explanations of non-present entries
$(BUILD)/unit/audit_explain_test: tools/ptscope/audit_rules.c tools/ptscope/audit_rules.h \
	tools/ptscope/explain.c tools/ptscope/explain.h
$(BUILD)/unit/audit_explain_test: UNIT_CFLAGS := $(JSON_CFLAGS)
$(BUILD)/unit/audit_explain_test: UNIT_LIBS := $(JSON_LIBS)

# the walk's writers, against the printf-based ones they replaced
$(BUILD)/unit/walkfmt_test: tools/ptscope/walkfmt.c tools/ptscope/walkfmt.h \
	tools/ptscope/cli.h
$(BUILD)/unit/walkfmt_test: UNIT_CFLAGS := $(JSON_CFLAGS)
$(BUILD)/unit/walkfmt_test: UNIT_LIBS := $(JSON_LIBS)

unit: $(UNIT_BINS)

checkpatch: $(KSFT_STAMP)
	@$(KSFT_DIR)/scripts/checkpatch.pl --strict --no-tree --quiet \
		--ignore SPDX_LICENSE_TAG -f $(wildcard module/*.c module/*.h module/probes/*.c)

# make check: every result line is "<where>: ok|not ok ...", the last
# line "N passed, N failed, N skipped".
check: all unit deb
	@tools/check

demo: all
	@tools/vm/run -- tools/demo

# make stress [KERNEL=debug]: the long hardening runs (tools/stress); same
# output conventions as make check, plus the counts.
stress: all $(if $(filter debug,$(KERNEL)),debug-kernel)
	@tools/stress $(if $(filter debug,$(KERNEL)),--kernel debug)

# make check-kernels: build the module (no guest) against every Debian
# amd64 kernel in bookworm, bookworm-security, bookworm-backports, trixie,
# trixie-security, trixie-backports and sid, each in its toolchain's chroot (tools/kernels/check-all).
check-kernels:
	@tools/kernels/check-all

# make bench: walk/fault-path/memory benchmark in a 6.12 guest
# (tools/bench/run-host); results in build/bench/.  BENCH_ARGS go to bench.
# the CLI's walk writers are built in (the format section times them);
# the fault section's floor: empty fentry/fexit programs, benchfloor.bpf.c
$(BUILD)/bench/bench: tools/bench/bench.c $(LIB_SRCS) $(LIB_HDRS) tools/ptscope/walkfmt.c \
	tools/ptscope/walkfmt.h tools/ptscope/cli.h tests/unit/walkfmt_ref.h \
	$(BPF_OUT)/benchfloor.skel.h
	@mkdir -p $(dir $@)
	$(CC) $(UCFLAGS) $(BPF_UCFLAGS) -Itools/ptscope -Itests/unit $(JSON_CFLAGS) -o $@ $< \
		tools/ptscope/walkfmt.c $(LIB_SRCS) $(JSON_LIBS) -lm $(BPF_LIBS)

bench: module cli $(BUILD)/bench/bench
	@tools/bench/run-host $(BENCH_ARGS)

# The debug kernel's sources and build live in a cache outside the
# repository (tools/vm/debug-kernel); a second run does nothing.
debug-kernel:
	@tools/vm/debug-kernel
	@$(MAKE) -s module KDIR=$$(tools/vm/debug-kernel --where)

# make lab-image: the classroom image (README.md, "For teachers"): a Debian
# base debootstrapped into the cache once, the packages of make deb
# installed into a copy (DKMS builds the module there), a UEFI disk made
# without loop devices; redone only when its inputs change.
# make check-image: boot it, run every lab inside (too slow for make check).
.PHONY: lab-image check-image
lab-image: deb
	@tools/image/build

check-image: lab-image
	@tools/image/check

# ---- install ----------------------------------------------------------
#
# make install [DESTDIR=...] [PREFIX=/usr/local] [KVER=$(uname -r)]
# [KDIR=/lib/modules/KVER/build]: the module into
# /lib/modules/KVER/updates/ (and depmod), the CLI, the man page and the
# docs under PREFIX.  DKMS (the ptscope-dkms package) and make install do
# not share the module: when DKMS manages ptscope, make install leaves the
# module to it and installs the rest (README.md, "Install on your
# machine").  make uninstall removes what make install put there.

PREFIX   ?= /usr/local
KVER     ?= $(KREL)
INST_KDIR = $(or $(KDIR),/lib/modules/$(KVER)/build)
MODDEST   = $(DESTDIR)/lib/modules/$(KVER)/updates
DOCS     := README.md $(wildcard Documentation/*.rst)
DOCDIR    = $(DESTDIR)$(PREFIX)/share/doc/ptscope
DEPMOD   ?= $(or $(shell command -v depmod 2>/dev/null),/sbin/depmod)
# DKMS's tree for ptscope, when DKMS manages it (never under DESTDIR: a
# staged install is not what this machine loads).
DKMS_OWNS = $(if $(DESTDIR),,$(wildcard /var/lib/dkms/ptscope))

.PHONY: install-cli install-module uninstall deb

install: install-cli install-module

install-cli: cli
	install -D -m 0755 tools/ptscope/ptscope $(DESTDIR)$(PREFIX)/sbin/ptscope
	install -D -m 0644 Documentation/ptscope.8 $(DESTDIR)$(PREFIX)/share/man/man8/ptscope.8
	install -d $(DOCDIR)
	install -m 0644 $(DOCS) $(DOCDIR)/

install-module:
ifneq ($(DKMS_OWNS),)
	@echo "make install: DKMS manages ptscope ($(DKMS_OWNS)): the module is" \
		"left to it (dkms status ptscope); remove ptscope-dkms first to install it by hand" >&2
else
	@test -d $(INST_KDIR) || { echo "make install: no headers for $(KVER) ($(INST_KDIR)):" \
		"install linux-headers-$(KVER), or give KDIR=" >&2; exit 1; }
	@$(MAKE) -s module KDIR=$(INST_KDIR)
	install -D -m 0644 $(BUILD)/$(KVER)/ptscope.ko $(MODDEST)/ptscope.ko
	$(DEPMOD) $(if $(DESTDIR),-b $(DESTDIR)) $(KVER)
endif

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/ptscope $(DESTDIR)$(PREFIX)/share/man/man8/ptscope.8
	rm -rf $(DOCDIR)
	if [ -f $(MODDEST)/ptscope.ko ]; then \
		rm -f $(MODDEST)/ptscope.ko && \
		$(DEPMOD) $(if $(DESTDIR),-b $(DESTDIR)) $(KVER); \
	fi

# ---- Debian packages ----------------------------------------------------
#
# make deb: ptscope (CLI, man page, docs) and ptscope-dkms (module sources
# and dkms.conf) into build/deb/, built by dpkg-buildpackage from a copy
# of the committed sources (debian/ is the packaging), then lintian.

DEB_OUT := $(BUILD)/deb
DEB_SRC := $(DEB_OUT)/src/ptscope-$(VERSION)

deb:
	@command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null || \
		{ echo "make deb: needs dpkg-dev and debhelper (make setup installs them)" >&2; exit 1; }
	@test "$$(dpkg-parsechangelog -l debian/changelog -S Version | sed 's/-[^-]*$$//')" = "$(VERSION)" || \
		{ echo "make deb: debian/changelog is not at version $(VERSION)" >&2; exit 1; }
	@grep -qx 'PACKAGE_VERSION="$(VERSION)"' dkms.conf || \
		{ echo "make deb: dkms.conf's PACKAGE_VERSION is not $(VERSION)" >&2; exit 1; }
	@git rev-parse --git-dir >/dev/null 2>&1 || \
		{ echo "make deb: needs a git checkout (it packages the files git tracks)" >&2; exit 1; }
	@rm -rf $(DEB_OUT) && mkdir -p $(DEB_SRC)
	@git ls-files -z | xargs -0 cp --parents -t $(DEB_SRC)
	@echo "  DEB     $(DEB_OUT)"
	@cd $(DEB_SRC) && dpkg-buildpackage -b -us -uc >../build.log 2>&1 || \
		{ tail -30 ../build.log >&2; exit 1; }
	@mv $(DEB_OUT)/src/*.deb $(DEB_OUT)/
	@if command -v lintian >/dev/null; then \
		lintian --fail-on error $(DEB_OUT)/*.deb >$(DEB_OUT)/lintian.log 2>&1; st=$$?; \
		grep -v '^running with root privileges' $(DEB_OUT)/lintian.log; exit $$st; \
	fi
	@ls $(DEB_OUT)/*.deb

clean:
	rm -rf $(BUILD) tools/ptscope/ptscope
