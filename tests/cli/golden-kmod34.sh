#!/bin/sh
# The golden tests whose oracle is kmod's own tools, again against kmod 34 (judged by
# its exit status): each runs on the trees indexed by kmod 34's depmod ($FIXTURES34),
# with tests/kmod34 first in PATH, so that its modprobe, modinfo and depmod are kmod
# 34's, run in the Debian 13 root; its output must still be its .expected, exactly
# as with the host's kmod 30 on $FIXTURES. SKIP (77) without the root.
#   compat-blacklist  --kmod-compat = modprobe --show-depends with blacklist/install
#   hard-order        --format order = modprobe's insmod sequence
#   soft-order        the same with softdeps, --kmod-compat
#   config-crlf, config-nul-byte  modprobe.d read as modprobe reads it
#   image-modprobe    the cpio image works with modprobe/modinfo, no depmod run;
#                     depmod on the unpacked image writes the image's .bin files
#                     (its count lines are compared with the numbers masked and
#                     shown: they depend on the tree, not on the oracle. depmod 34
#                     writes wk_modinfo_only's weakdep= lines to modules.weakdep,
#                     so that image holds one module more, and a kmod >= 33 tree
#                     reads no modprobe.d *.alias, so confdirs' holds one less)
. "$SRCDIR/tests/cli/lib.sh"
need_kmod34
fail=0
work=$T/work
mkdir -p "$work"
for name in compat-blacklist hard-order soft-order config-crlf config-nul-byte image-modprobe; do
	PATH=$SRCDIR/tests/kmod34:$PATH FIXTURES=$FIXTURES34 TRIXIE_BINDS=$BUILDDIR \
		sh "$SRCDIR/tests/cli/run.sh" --one "$work" "$name"
	rc=$(cat "$work/$name.rc")
	exp=$SRCDIR/tests/cli/$name.expected
	got=$work/$name.out
	if [ "$name" = image-modprobe ]; then
		sed -n 's/^\([a-z]*: [0-9]* images,.*\)/  (kmod 34: \1)/p' "$got"
		mask='s/^\([a-z]*:\) [0-9]* images, [0-9]* module checks, [0-9]* alias/\1 N images, N module checks, N alias/'
		sed "$mask" "$exp" > "$work/$name.exp"
		sed "$mask" "$got" > "$work/$name.got"
		exp=$work/$name.exp got=$work/$name.got
	fi
	if [ "$rc" -eq 0 ] && cmp -s "$exp" "$got"; then
		echo "ok   $name (kmod 34)"
		continue
	fi
	fail=1
	echo "FAIL $name (kmod 34, exit $rc):"
	diff -u "$exp" "$got" | head -n 30
done
exit $fail
