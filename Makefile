# initrd-modset - plain Makefile, dependencies through pkg-config.
#   make                 build libmodset and initrd-modset into build/
#   make check           install missing dependencies, build, run every test
#   make demo            install missing dependencies, build, run on an example tree
#   make install         PREFIX=/usr/local DESTDIR=
#   make check SANITIZE=1   ASan + UBSan;  make check VALGRIND=1   CLI tests under valgrind

VERSION     := 0.1.0
SOVERSION   := 0
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
LIBDIR      ?= $(PREFIX)/lib
INCLUDEDIR  ?= $(PREFIX)/include
MANDIR      ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
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
KMOD_CFLAGS  = $(shell $(PKG_CONFIG) --cflags libkmod)
KMOD_LIBS    = $(shell $(PKG_CONFIG) --libs libkmod)
FRONT_CFLAGS = $(shell $(PKG_CONFIG) --cflags json-c libarchive libzstd)
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

.PHONY: all deps check check-run demo demo-run bench install uninstall clean fixtures \
	format

all: $(BIN) $(B)/libmodset.so $(B)/libmodset.pc $(EXAMPLE)

deps:
	@sh tools/install-deps.sh

$(B)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden $(KMOD_CFLAGS) -c -o $@ $<

$(B)/src/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Ilib $(FRONT_CFLAGS) -c -o $@ $<

$(LIBSO): $(LIB_OBJ) lib/libmodset.sym
	$(CC) $(ALL_LDFLAGS) -shared -Wl,-soname,$(LIBSONAME) \
		-Wl,--version-script=lib/libmodset.sym -Wl,-z,defs -o $@ $(LIB_OBJ) \
		$(KMOD_LIBS) -lpthread -ldl

$(B)/$(LIBSONAME) $(B)/libmodset.so: $(LIBSO)
	ln -sf $(notdir $(LIBSO)) $@

$(LIBA): $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

# The tool links the library objects statically, as kmod's tools do with libkmod:
# no library search at start-up, one object less to relocate. Other programs use
# the shared library.
$(BIN): $(SRC_OBJ) $(LIBA)
	$(CC) $(ALL_LDFLAGS) -o $@ $(SRC_OBJ) $(LIBA) $(KMOD_LIBS) $(FRONT_LIBS) -lpthread -ldl

$(EXAMPLE): examples/closure.c $(B)/libmodset.so $(B)/$(LIBSONAME)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Ilib -o $@ $< -L$(B) -lmodset

# Generated again at install time, with the PREFIX/LIBDIR given there.
gen_pc = sed -e 's|@prefix@|$(PREFIX)|' -e 's|@libdir@|$(LIBDIR)|' \
	    -e 's|@includedir@|$(INCLUDEDIR)|' -e 's|@version@|$(VERSION)|' lib/libmodset.pc.in

$(B)/libmodset.pc: lib/libmodset.pc.in Makefile
	$(call gen_pc) > $@

# Unit tests link the library objects statically, so they can reach file-local
# behaviour through the private header too.
$(B)/tests/check-%: tests/check-%.c tests/check-common.h $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Ilib $(KMOD_CFLAGS) $(CHECK_CFLAGS) -o $@ $< $(LIBA) \
		$(KMOD_LIBS) $(CHECK_LIBS) -lpthread -ldl

$(B)/fixtures/%/.stamp: tests/fixtures/%.spec tests/mkfixture.sh
	sh tests/mkfixture.sh $< $(@D)
	@touch $@

fixtures: $(FIXTURES)

# ---- the README's two commands ----
check: deps
	@$(MAKE) --no-print-directory check-run

TEST_ENV = LD_LIBRARY_PATH=$(CURDIR)/$(B) MODSET=$(CURDIR)/$(BIN) \
	FIXTURES=$(CURDIR)/$(B)/fixtures SRCDIR=$(CURDIR) BUILDDIR=$(CURDIR)/$(B) \
	VALGRIND=$(VALGRIND) XDG_CACHE_HOME=$(CURDIR)/$(B)/xdg-cache

check-run: all $(CHECK_BIN) fixtures
	@set -e; for t in $(CHECK_BIN); do \
		echo "== $$t"; $(TEST_ENV) CK_FORK=yes $$t; done
	@$(TEST_ENV) sh tests/cli/run.sh

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

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/initrd-modset $(DESTDIR)$(LIBDIR)/$(notdir $(LIBSO)) \
		$(DESTDIR)$(LIBDIR)/$(LIBSONAME) $(DESTDIR)$(LIBDIR)/libmodset.so \
		$(DESTDIR)$(INCLUDEDIR)/libmodset.h $(DESTDIR)$(PKGCONFIGDIR)/libmodset.pc \
		$(DESTDIR)$(MANDIR)/man1/initrd-modset.1 $(DESTDIR)$(MANDIR)/man3/libmodset.3

format:
	clang-format -i lib/*.c lib/*.h src/*.c src/*.h tests/*.c tests/*.h examples/*.c

clean:
	rm -rf $(B)

-include $(LIB_OBJ:.o=.d) $(SRC_OBJ:.o=.d)
