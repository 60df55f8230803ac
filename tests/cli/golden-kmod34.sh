#!/bin/sh
# The golden tests whose oracle is kmod's own tools, again against kmod 34 (judged by
# its exit status): each runs on the trees indexed by kmod 34's depmod ($FIXTURES34),
# with tests/kmod34 first in PATH, so that its modprobe, modinfo and depmod are kmod
# 34's, run in the Debian 13 root; its output must still be its .expected, exactly
# as with the host's kmod 30 on $FIXTURES, or golden-kmod34/NAME.expected where
# the trees themselves differ. SKIP (77) without the root.
#   compat-blacklist  --kmod-compat = modprobe --show-depends with blacklist/install
#   hard-order        --format order = modprobe's insmod sequence
#   soft-order        the same with softdeps, --kmod-compat
#   config-crlf, config-nul-byte  modprobe.d read as modprobe reads it
#   image-modprobe    the cpio image works with modprobe/modinfo, no depmod run;
#                     depmod on the unpacked image writes the image's .bin files
#                     (golden-kmod34/: depmod 34 writes wk_modinfo_only's weakdep=
#                     lines to modules.weakdep, where the weak tree built by depmod
#                     30 has only the hand-written ones, so its image holds one
#                     module more: 47 module checks, not 46)
. "$SRCDIR/tests/cli/lib.sh"
need_kmod34
fail=0
work=$T/work
mkdir -p "$work"
for name in compat-blacklist hard-order soft-order config-crlf config-nul-byte image-modprobe; do
	PATH=$SRCDIR/tests/kmod34:$PATH FIXTURES=$FIXTURES34 TRIXIE_BINDS=$BUILDDIR \
		sh "$SRCDIR/tests/cli/run.sh" --one "$work" "$name"
	rc=$(cat "$work/$name.rc")
	exp=$SRCDIR/tests/cli/golden-kmod34/$name.expected
	[ -f "$exp" ] || exp=$SRCDIR/tests/cli/$name.expected
	if [ "$rc" -eq 0 ] && cmp -s "$exp" "$work/$name.out"; then
		echo "ok   $name (kmod 34)"
		continue
	fi
	fail=1
	echo "FAIL $name (kmod 34, exit $rc):"
	diff -u "$exp" "$work/$name.out" | head -n 30
done
exit $fail
