#!/bin/sh
# differential.sh against kmod 34 (judged by its exit status, no .expected): the
# trees indexed by kmod 34's depmod ($FIXTURES34), the oracle kmod 34's modprobe and
# libkmod run in the Debian 13 root ($TRIXIE): every module, builtin and plain alias
# of every tree (--kmod-compat = modprobe --show-depends), and the weak deps of every
# module and builtin (our image's = the union of kmod's weakdep lines, a superset of
# libkmod's kmod_module_get_weakdeps, which keeps the first line only; see
# differential.sh). SKIP (77) without the root.
. "$SRCDIR/tests/cli/lib.sh"
need_kmod34
FIXTURES=$FIXTURES34 MODPROBE_ROOT=$TRIXIE DIFF_ALIASES=1 DIFF_WEAK=1 \
	KMOD_QUERY=$BUILDDIR/tests/libkmod-query sh "$SRCDIR/tests/cli/differential.sh"
