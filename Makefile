# initrd-modset - plain Makefile, dependencies through pkg-config.
#   make                 build libmodset and initrd-modset into build/
#   make check           install missing dependencies, build, run every test (the kmod 34
#                        ones in a cached Debian 13 root: tests/trixie-root.sh, or SKIPs)
#   make demo            install missing dependencies, build, run on an example tree
#   make install         PREFIX=/usr/local DESTDIR=
#   make check SANITIZE=1   ASan + UBSan;  make check VALGRIND=1   tests under valgrind
#   make check-all       what CI runs: check, SANITIZE=1, VALGRIND=1, check-fuzz, then
#                        check-bench (the kmod 34 bench rows, reported)

VERSION     := 0.1.0
SOVERSION   := 0
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
LIBDIR      ?= $(PREFIX)/lib
INCLUDEDIR  ?= $(PREFIX)/include
MANDIR      ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
# Integrations (hooks/), each where its generator looks. dracut reads only
# /usr/lib/dracut/modules.d, mkinitcpio /usr/lib/initcpio/install (and
# /etc/initcpio/install), initramfs-tools /usr/share/initramfs-tools/hooks (and
# /etc/initramfs-tools/hooks): with another PREFIX, distributions set these.
DRACUT_MODULES_DIR ?= $(PREFIX)/lib/dracut/modules.d
MKINITCPIO_INSTALL_DIR ?= $(PREFIX)/lib/initcpio/install
INITRAMFS_TOOLS_HOOKS_DIR ?= $(PREFIX)/share/initramfs-tools/hooks
DESTDIR     ?=

CC          ?= cc
PKG_CONFIG  ?= pkg-config
CFLAGS      ?= -O2 -g
# SANITIZE=1 builds in its own tree, so the two never mix objects.
ifeq ($(SANITIZE),1)
B           ?= build-asan
else
B           ?= build
endif

# Evaluated when used, so that `make check` can install packages first.
# libkmod: the library neither links nor loads it (it reads the tree itself); only
# tests that compare with libkmod use it.
KMOD_CFLAGS  = $(shell $(PKG_CONFIG) --cflags libkmod)
KMOD_LIBS    = $(shell $(PKG_CONFIG) --libs libkmod)
# lib/decompress.c: the decompressors' headers only; the libraries are loaded with
# dlopen(). zlib (.ko.gz) is optional.
DECOMP_CFLAGS = $(shell $(PKG_CONFIG) --cflags liblzma libzstd) \
	$(shell $(PKG_CONFIG) --exists zlib && echo -DHAVE_ZLIB $$($(PKG_CONFIG) --cflags zlib))
FRONT_CFLAGS = $(shell $(PKG_CONFIG) --cflags json-c libarchive libzstd liblzma)
FRONT_LIBS   = $(shell $(PKG_CONFIG) --libs json-c libarchive libzstd)
CHECK_CFLAGS = $(shell $(PKG_CONFIG) --cflags check)
CHECK_LIBS   = $(shell $(PKG_CONFIG) --libs check)

WARNINGS := -Wall -Wextra -Werror -Wno-unused-parameter -Wformat=2 -Wmissing-prototypes \
	-Wstrict-prototypes -Wshadow
BASEFLAGS := -std=gnu11 -D_GNU_SOURCE -MMD -MP $(WARNINGS)
ifeq ($(SANITIZE),1)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
ALL_CFLAGS = $(BASEFLAGS) $(CFLAGS) $(SANFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS)

LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(LIB_SRC:lib/%.c=$(B)/lib/%.o)
SRC_SRC := $(wildcard src/*.c)
SRC_OBJ := $(SRC_SRC:src/%.c=$(B)/src/%.o)
CHECK_SRC := $(wildcard tests/check-*.c)
CHECK_BIN := $(CHECK_SRC:tests/%.c=$(B)/tests/%)

LIBSO      := $(B)/libmodset.so.$(VERSION)
LIBSONAME  := libmodset.so.$(SOVERSION)
LIBA       := $(B)/libmodset-internal.a
BIN        := $(B)/initrd-modset
EXAMPLE    := $(B)/examples/closure

FIXTURE_SPECS := $(wildcard tests/fixtures/*.spec)
FIXTURES      := $(FIXTURE_SPECS:tests/fixtures/%.spec=$(B)/fixtures/%/.stamp)
# The same trees indexed by kmod 34's depmod (the Debian 13 root of tests/trixie-root.sh).
K34           := $(B)/fixtures-kmod34
FIXTURES_K34  := $(FIXTURE_SPECS:tests/fixtures/%.spec=$(K34)/%/.stamp)

.PHONY: all deps check check-all check-run check-bench demo demo-run bench install uninstall \
	clean fixtures fixtures-kmod34 fixtures-kmod34-build \
	fuzz fuzz-build fuzz-deps check-fuzz fuzz-replay \
	format

all: $(BIN) $(B)/libmodset.so $(B)/libmodset.pc $(EXAMPLE)

deps:
	@sh tools/install-deps.sh

$(B)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden $(DECOMP_CFLAGS) -c -o $@ $<

$(B)/src/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Ilib $(FRONT_CFLAGS) -c -o $@ $<

$(LIBSO): $(LIB_OBJ) lib/libmodset.sym
	$(CC) $(ALL_LDFLAGS) -shared -Wl,-soname,$(LIBSONAME) \
		-Wl,--version-script=lib/libmodset.sym -Wl,-z,defs -o $@ $(LIB_OBJ) \
		-lpthread -ldl

$(B)/$(LIBSONAME) $(B)/libmodset.so: $(LIBSO)
	ln -sf $(notdir $(LIBSO)) $@

$(LIBA): $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

# The tool links the library objects statically, as kmod's tools do with libkmod:
# no library search at start-up, one object less to relocate. Other programs use
# the shared library.
# libarchive and json-c are not linked but loaded on first use (src/dl/): libarchive
# brings a dozen libraries whose start-up relocations cost more than a single-root
# resolve, and neither is needed to print a list.
LAZY_OBJ := $(B)/src/dl/lazy.o $(B)/src/dl/archive.o $(B)/src/dl/json.o $(B)/src/dl/lzma.o
$(BIN): $(SRC_OBJ) $(LAZY_OBJ) $(LIBA)
	$(CC) $(ALL_LDFLAGS) -o $@ $(SRC_OBJ) $(LAZY_OBJ) $(LIBA) \
		$(filter-out -larchive -ljson-c,$(FRONT_LIBS)) -lpthread -ldl

$(EXAMPLE): examples/closure.c $(B)/libmodset.so $(B)/$(LIBSONAME)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Ilib -o $@ $< -L$(B) -lmodset

# inst_hook MODE,SRC,DEST: a hook with the installed program's path (@BINDIR@)
inst_hook = sed -e 's|@BINDIR@|$(BINDIR)|g' $(2) > $(DESTDIR)$(3) && chmod $(1) $(DESTDIR)$(3)

# Generated again at install time, with the PREFIX/LIBDIR given there.
gen_pc = sed -e 's|@prefix@|$(PREFIX)|' -e 's|@libdir@|$(LIBDIR)|' \
	    -e 's|@includedir@|$(INCLUDEDIR)|' -e 's|@version@|$(VERSION)|' lib/libmodset.pc.in

$(B)/libmodset.pc: lib/libmodset.pc.in Makefile
	$(call gen_pc) > $@

# Unit tests link the library objects statically, so they can reach file-local
# behaviour through the private header too. Like the tool, they do not link libkmod,
# but check-modinfo, to compare the library's .modinfo reader with libkmod's
# kmod_module_get_info().
$(B)/tests/check-modinfo: TEST_KMOD_LIBS = $(KMOD_LIBS)
$(B)/tests/check-%: tests/check-%.c tests/check-common.h $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Ilib $(KMOD_CFLAGS) $(CHECK_CFLAGS) -o $@ $< $(LIBA) \
		$(TEST_KMOD_LIBS) $(CHECK_LIBS) -lpthread -ldl

# check-kmod-index also tests the front-end's index writer (src/kmod-index.c), and
# reads what it writes with libkmod itself: it links libkmod.
$(B)/tests/check-kmod-index: tests/check-kmod-index.c tests/check-common.h src/kmod-index.c \
		src/kmod-index.h $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Ilib $(KMOD_CFLAGS) $(CHECK_CFLAGS) -o $@ $< src/kmod-index.c \
		$(LIBA) $(KMOD_LIBS) $(CHECK_LIBS) -lpthread -ldl

# The differential tests' view of libkmod (weak deps, lookups), also run inside the
# Debian 13 root: built without sanitizers, whose runtime that root lacks.
KMOD_QUERY := $(B)/tests/libkmod-query
$(KMOD_QUERY): tests/libkmod-query.c
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) $(CFLAGS) $(KMOD_CFLAGS) -o $@ $< $(KMOD_LIBS) -ldl

$(B)/fixtures/%/.stamp: tests/fixtures/%.spec tests/mkfixture.sh
	sh tests/mkfixture.sh $< $(@D)
	@touch $@

fixtures: $(FIXTURES)

# fixtures-kmod34: every spec again, indexed by kmod 34's depmod, into $(K34)/NAME. The
# root's path goes to $(K34)/.root (rewritten only when it changes: a new root rebuilds
# the trees); where the root cannot be had (trixie-root.sh exits 77), its reason goes to
# $(K34)/SKIP instead and the build goes on: the kmod 34 tests SKIP with that reason.
fixtures-kmod34:
	@mkdir -p $(K34); \
	if root=$$(sh tests/trixie-root.sh 2> $(K34)/.skip.tmp); then \
		rm -f $(K34)/SKIP $(K34)/.skip.tmp; \
		echo "$$root" > $(K34)/.root.tmp; \
		if cmp -s $(K34)/.root.tmp $(K34)/.root; then rm -f $(K34)/.root.tmp; \
		else mv $(K34)/.root.tmp $(K34)/.root; fi; \
		$(MAKE) --no-print-directory fixtures-kmod34-build; \
	else \
		rc=$$?; \
		[ $$rc -eq 77 ] || { cat $(K34)/.skip.tmp >&2; rm -f $(K34)/.skip.tmp; exit $$rc; }; \
		sed -n 's/^trixie-root: SKIP: //p' $(K34)/.skip.tmp | tail -n 1 > $(K34)/SKIP; \
		rm -f $(K34)/.root $(K34)/.skip.tmp; \
		echo "kmod 34 fixtures not built: $$(cat $(K34)/SKIP)"; \
	fi

fixtures-kmod34-build: $(FIXTURES_K34)

$(K34)/%/.stamp: tests/fixtures/%.spec tests/mkfixture.sh $(K34)/.root
	KMOD_ROOT=$$(cat $(K34)/.root) sh tests/mkfixture.sh $< $(@D)
	@touch $@

# ---- the README's two commands ----
check: deps
	@$(MAKE) --no-print-directory check-run

# What CI runs (.ci/run, the README's test command): the plain suite, then the same
# under ASan+UBSan, then under valgrind, then every fuzz target for FUZZ_SECONDS (30).
check-all: deps
	@$(MAKE) --no-print-directory check-run
	@$(MAKE) --no-print-directory check-run SANITIZE=1
	@$(MAKE) --no-print-directory check-run VALGRIND=1
	@$(MAKE) --no-print-directory check-fuzz
	@$(MAKE) --no-print-directory check-bench

# The kmod 34 bench rows (bench/README: check, k) against modprobe 34 in the Debian 13
# root, on Debian's 6.12 tree (downloaded once, cached): speed is reported, never a
# test; a wrong module set (the check row) fails.
check-bench: all
	@$(TEST_ENV) BENCH_TREES=6.12 BENCH_ROWS=kmod34 BENCH_RUNS=3 BENCH_CALLGRIND=0 \
		bash bench/run.sh

# FIXTURES34: the trees of fixtures-kmod34; TRIXIE: the Debian 13 root they were indexed
# in, empty when it cannot be had (then FIXTURES34/SKIP says why).
TEST_ENV = LD_LIBRARY_PATH=$(CURDIR)/$(B) MODSET=$(CURDIR)/$(BIN) \
	FIXTURES=$(CURDIR)/$(B)/fixtures SRCDIR=$(CURDIR) BUILDDIR=$(CURDIR)/$(B) \
	FIXTURES34=$(CURDIR)/$(K34) TRIXIE=$$(cat $(CURDIR)/$(K34)/.root 2>/dev/null) \
	VALGRIND=$(VALGRIND) XDG_CACHE_HOME=$(CURDIR)/$(B)/xdg-cache

# VALGRIND=1: the Check suites run under valgrind too (in one process: CK_FORK=no).
VG_RUN   = CK_FORK=no valgrind -q --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect --suppressions=$(CURDIR)/tests/valgrind.supp
VG_CHECK = $(if $(filter 1,$(VALGRIND)),$(VG_RUN),CK_FORK=yes)

check-run: all $(CHECK_BIN) $(KMOD_QUERY) fixtures fixtures-kmod34 $(REPLAY_BINS)
	@set -e; for t in $(CHECK_BIN); do \
		echo "== $$t"; $(TEST_ENV) $(VG_CHECK) $$t; done
	@$(TEST_ENV) sh tests/cli/run.sh
	@$(MAKE) --no-print-directory fuzz-replay

demo: deps
	@$(MAKE) --no-print-directory demo-run

demo-run: all $(B)/demo/.stamp
	@$(TEST_ENV) sh examples/demo.sh

$(B)/demo/.stamp: examples/demo.spec tests/mkfixture.sh
	sh tests/mkfixture.sh $< $(@D)
	@touch $@

bench: deps all
	@$(TEST_ENV) bash bench/run.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/initrd-modset
	install -m 0755 $(LIBSO) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(LIBSO)) $(DESTDIR)$(LIBDIR)/$(LIBSONAME)
	ln -sf $(LIBSONAME) $(DESTDIR)$(LIBDIR)/libmodset.so
	install -m 0644 lib/libmodset.h $(DESTDIR)$(INCLUDEDIR)/
	$(call gen_pc) > $(DESTDIR)$(PKGCONFIGDIR)/libmodset.pc
	install -m 0644 man/initrd-modset.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 man/libmodset.3 $(DESTDIR)$(MANDIR)/man3/
	install -d $(DESTDIR)$(DRACUT_MODULES_DIR)/90initrd-modset \
		$(DESTDIR)$(MKINITCPIO_INSTALL_DIR) $(DESTDIR)$(INITRAMFS_TOOLS_HOOKS_DIR)
	$(call inst_hook,0755,hooks/dracut/90initrd-modset/module-setup.sh,$(DRACUT_MODULES_DIR)/90initrd-modset/module-setup.sh)
	$(call inst_hook,0644,hooks/mkinitcpio/install/initrd-modset,$(MKINITCPIO_INSTALL_DIR)/initrd-modset)
	$(call inst_hook,0755,hooks/initramfs-tools/hooks/initrd-modset,$(INITRAMFS_TOOLS_HOOKS_DIR)/initrd-modset)

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/initrd-modset $(DESTDIR)$(LIBDIR)/$(notdir $(LIBSO)) \
		$(DESTDIR)$(LIBDIR)/$(LIBSONAME) $(DESTDIR)$(LIBDIR)/libmodset.so \
		$(DESTDIR)$(INCLUDEDIR)/libmodset.h $(DESTDIR)$(PKGCONFIGDIR)/libmodset.pc \
		$(DESTDIR)$(MANDIR)/man1/initrd-modset.1 $(DESTDIR)$(MANDIR)/man3/libmodset.3 \
		$(DESTDIR)$(DRACUT_MODULES_DIR)/90initrd-modset/module-setup.sh \
		$(DESTDIR)$(MKINITCPIO_INSTALL_DIR)/initrd-modset \
		$(DESTDIR)$(INITRAMFS_TOOLS_HOOKS_DIR)/initrd-modset
	rmdir $(DESTDIR)$(DRACUT_MODULES_DIR)/90initrd-modset 2>/dev/null || true

# ---- fuzzing (tests/fuzz/): libFuzzer targets built with clang into their own tree ----
#   make fuzz FUZZ_SECONDS=N   build every target into build-fuzz/, run each N seconds
#                              (one at a time, niced); any crash, leak, timeout or OOM fails
#   make check-fuzz            the same with FUZZ_SECONDS=30 unless given (for CI)
#   make fuzz-build            build the targets only
# `make check` does not fuzz: it replays the committed corpora (tests/fuzz/corpus/, every
# crash ever found among them) through the same targets built with $(CC) (fuzz-replay).
FUZZ_B       ?= build-fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 30
FUZZ_TARGETS := modprobe-d softdep builtin-modinfo modinfo index cache roots kmod-index \
	kmod-trim check-image
FUZZ_CFLAGS   = -std=gnu11 -D_GNU_SOURCE -MMD -MP -g -O1 -Wall -Wextra -Wno-unused-parameter \
	-fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_XFLAGS   = $(shell $(PKG_CONFIG) --exists liblzma && echo -DFUZZ_HAVE_LZMA \
	$$($(PKG_CONFIG) --cflags liblzma)) \
	$(shell $(PKG_CONFIG) --exists zlib && echo -DFUZZ_HAVE_ZLIB \
	$$($(PKG_CONFIG) --cflags zlib)) $(FRONT_CFLAGS)
FUZZ_LIBS     = $(KMOD_LIBS) $(FRONT_LIBS) \
	$(shell $(PKG_CONFIG) --exists liblzma && $(PKG_CONFIG) --libs liblzma) \
	$(shell $(PKG_CONFIG) --exists zlib && $(PKG_CONFIG) --libs zlib) -lpthread -ldl
FUZZ_LIB_OBJ := $(LIB_SRC:lib/%.c=$(FUZZ_B)/lib/%.o)
REPLAY_BINS  := $(FUZZ_TARGETS:%=$(B)/fuzz-replay/fuzz-%)
# target -> source (and extra sources, defines)
fuzz_src = tests/fuzz/fuzz-$(if $(filter modprobe-d softdep,$(1)),config,$(1)).c \
	$(if $(filter roots,$(1)),src/roots.c) $(if $(filter kmod-%,$(1)),src/kmod-index.c) \
	$(if $(filter check-image,$(1)),$(filter-out src/main.c,$(wildcard src/*.c)))
fuzz_def = $(if $(filter softdep,$(1)),-DFUZZ_TREE_FILES)

$(FUZZ_B)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(KMOD_CFLAGS) $(DECOMP_CFLAGS) \
		-c -o $@ $<

define fuzz_rules
$(FUZZ_B)/fuzz-$(1): $(call fuzz_src,$(1)) tests/fuzz/fuzz-common.h $(FUZZ_LIB_OBJ)
	$$(FUZZ_CC) $$(FUZZ_CFLAGS) -fsanitize=fuzzer $(call fuzz_def,$(1)) $$(FUZZ_XFLAGS) \
		-Ilib -Isrc $$(KMOD_CFLAGS) -o $$@ $(call fuzz_src,$(1)) $(FUZZ_LIB_OBJ) $$(FUZZ_LIBS)
$(B)/fuzz-replay/fuzz-$(1): tests/fuzz/replay.c $(call fuzz_src,$(1)) tests/fuzz/fuzz-common.h \
		$(LIBA)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_CFLAGS) $(call fuzz_def,$(1)) $$(FUZZ_XFLAGS) -Ilib -Isrc $$(KMOD_CFLAGS) \
		-o $$@ tests/fuzz/replay.c $(call fuzz_src,$(1)) $(LIBA) $$(FUZZ_LIBS)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_rules,$(t))))

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_B)/fuzz-%)

fuzz-deps:
	@sh tools/install-deps.sh fuzz

fuzz: fuzz-deps
	@$(MAKE) --no-print-directory fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_B) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

check-fuzz: fuzz

fuzz-replay: $(REPLAY_BINS)
	@set -e; for t in $(FUZZ_TARGETS); do \
		$(B)/fuzz-replay/fuzz-$$t tests/fuzz/corpus/$$t; done


format:
	clang-format -i lib/*.c lib/*.h src/*.c src/*.h tests/*.c tests/*.h examples/*.c

clean:
	rm -rf $(B)

-include $(LIB_OBJ:.o=.d) $(SRC_OBJ:.o=.d) $(FUZZ_LIB_OBJ:.o=.d)
