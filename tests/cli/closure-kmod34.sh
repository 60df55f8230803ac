#!/bin/sh
# check-closure's oracle tests against kmod 34 (judged by its exit status): the load
# order and the set of every module, builtin and plain alias of the trees indexed by
# kmod 34's depmod ($FIXTURES34), each equal to what kmod 34's `modprobe
# --show-depends` prints (tests/kmod34/modprobe runs it in the Debian 13 root).
# The same Check tests run against the host's modprobe in `make check`. SKIP (77)
# without the root.
. "$SRCDIR/tests/cli/lib.sh"
need_kmod34
[ -x "$BUILDDIR/tests/check-closure" ] || { echo "FAIL: $BUILDDIR/tests/check-closure not built"; exit 1; }
mkdir -p "$T/tmp"
FIXTURES=$FIXTURES34 MODPROBE=$SRCDIR/tests/kmod34/modprobe TRIXIE_BINDS="$BUILDDIR $T/tmp" \
	TMPDIR=$T/tmp CK_RUN_CASE=oracle CK_VERBOSITY=verbose "$BUILDDIR/tests/check-closure"
