#!/bin/sh
# The dracut module hooks/dracut/90initrd-modset, with the real dracut: images
# of the example tree (xe: weakdep pmt_telemetry -> pmt_class; built-in ext4:
# softdep pre: crc32c, two loadable providers) built with
#   dracut --kver 6.12.0-demo --kmoddir TREE --no-hostonly -m "base initrd-modset"
# from a private copy of dracut's base directory (dracutbasedir=..., the real
# files linked, plus this module): nothing is installed into /usr/lib/dracut.
# Roots come from --add-drivers and from initrd_modset_roots in a conf.d file.
# Checked: the image holds exactly the closure, with dracut's depmod index;
# without the module the same image lacks the builtin's softdep targets (and
# with dracut 059 the weak deps, which dracut-ng adds itself); --omit-drivers cuts what is reached through the omitted
# module; initrd-modset --check (when built in) accepts the image and rejects
# the one built without; a failing initrd-modset stops dracut (no image).
# Judged by its exit status (no .expected): skipped, passing, only when dracut
# is not installed. hook-dracut-trixie.sh runs it in the Debian 13 root.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/hooks/lib.sh"
skip_without dracut

libdir=/usr/lib/dracut
[ -f "$libdir/dracut-init.sh" ] || {
	echo "FAIL: dracut is installed but $libdir/dracut-init.sh is missing"
	exit 1
}
D=$(demo_tree) || exit 1
kver=6.12.0-demo

# dracut's base directory, the real one linked file by file, with its modules
# and ours in modules.d; dracut reads dracutbasedir from the environment
base=$T/dracut-base
rm -rf "$base"
mkdir -p "$base/modules.d" "$T/tmp" "$T/conf.d" "$T/empty.d"
for f in "$libdir"/*; do
	case "${f##*/}" in modules.d | dracut.conf.d) continue ;; esac
	ln -s "$f" "$base/"
done
for m in "$libdir"/modules.d/*; do
	ln -s "$m" "$base/modules.d/"
done
ln -sfn "$SRCDIR/hooks/dracut/90initrd-modset" "$base/modules.d/90initrd-modset"
: > "$T/dracut.conf"
cat > "$T/conf.d/50-initrd-modset.conf" << EOF
initrd_modset_roots+=" ext4 "
initrd_modset_bin="$MODSET"
EOF

# mkimage NAME CONFDIR TREE DRACUT-ARGS...: build $T/NAME.img (uncompressed,
# host configuration never read); dracut's output in $T/NAME.log; lists its
# module files in $T/NAME.list; returns dracut's exit status
mkimage() {
	name=$1 confdir=$2 tree=$3
	shift 3
	dracutbasedir=$base dracut --conf "$T/dracut.conf" --confdir "$confdir" \
		--tmpdir "$T/tmp" --kver "$kver" --kmoddir "$tree" --no-hostonly \
		--no-early-microcode --no-compress --fwdir "$T/fw" -f "$@" "$T/$name.img" \
		> "$T/$name.log" 2>&1
	rc=$?
	if [ -f "$T/$name.img" ]; then
		cpio -it --quiet < "$T/$name.img" | modfiles > "$T/$name.list"
	else
		: > "$T/$name.list"
	fi
	return $rc
}

start=$(date +%s)
if mkimage hooked "$T/conf.d" "$D" -m "base initrd-modset" --add-drivers xe; then
	ok "dracut with initrd-modset: image built"
else
	fail "dracut with initrd-modset: exit status $rc"
	cat "$T/hooked.log"
fi
if mkimage plain "$T/empty.d" "$D" -m "base" --add-drivers "xe ext4"; then
	ok "dracut without initrd-modset: image built"
else
	fail "dracut without initrd-modset: exit status $rc"
	cat "$T/plain.log"
fi
done_checks

expect_closure "$T/hooked.list" "$T/plain.list" "hooked image" xe ext4
compare_lists "$T/hooked.list" "$T/plain.list" dracut \
	pmt_telemetry.ko pmt_class.ko crc32c-intel.ko crc32c_generic.ko
# dracut's depmod ran over the image, weak deps included
cpio -i --quiet --to-stdout "usr/lib/modules/$kver/modules.dep" < "$T/hooked.img" > "$T/hooked.dep"
if grep -q '^kernel/drivers/platform/x86/intel/pmt/pmt_telemetry.ko.zst: .*pmt_class' "$T/hooked.dep"; then
	ok "dracut's depmod indexed the weak deps (modules.dep: pmt_telemetry: pmt_class)"
else
	fail "modules.dep of the image lacks pmt_telemetry"
	cat "$T/hooked.dep"
fi
# initrd-modset --check, when there is one, agrees
check_images "$T/hooked.img" "$T/plain.img" xe ext4
done_checks

# omit_drivers is honoured, and nothing is reached through an omitted module
if mkimage omit "$T/conf.d" "$D" -m "base initrd-modset" --add-drivers xe \
	--omit-drivers pmt_telemetry; then
	if has "$T/omit.list" pmt_telemetry.ko || has "$T/omit.list" pmt_class.ko; then
		fail "--omit-drivers pmt_telemetry: pmt_telemetry or pmt_class still in the image"
	else
		ok "--omit-drivers pmt_telemetry: neither pmt_telemetry nor pmt_class in the image"
	fi
	expect_closure "$T/omit.list" /dev/null "image with --omit-drivers" --exclude pmt_telemetry xe ext4
else
	fail "dracut --omit-drivers: exit status $rc"
	cat "$T/omit.log"
fi

# initrd-modset fails on the tree (no modules.dep.bin; dracut itself only
# needs modules.dep): dracut stops with the error, no image
rm -rf "$T/bad" && cp -a "$T/demo" "$T/bad"
rm "$T/bad/lib/modules/$kver/modules.dep.bin"
if mkimage bad "$T/conf.d" "$T/bad/lib/modules/$kver" -m "base initrd-modset" --add-drivers xe; then
	fail "dracut succeeded although initrd-modset failed"
	cat "$T/bad.log"
else
	ok "initrd-modset failing: dracut fails (exit status $rc)"
	if grep -q 'initrd-modset failed (exit status 2)' "$T/bad.log" &&
		grep -q 'installkernel failed in module initrd-modset' "$T/bad.log"; then
		ok "dracut reports it (dfatal): $(grep -m1 'initrd-modset failed' "$T/bad.log")"
	else
		fail "no dfatal message from the module"
		cat "$T/bad.log"
	fi
	if [ -e "$T/bad.img" ]; then
		fail "an image was written anyway"
	else
		ok "no image written"
	fi
fi

# the program missing: with initrd_modset_roots configured, the module stops
# the build; without, dracut refuses the module it was asked for (-m)
mkdir -p "$T/nobin.d" "$T/nobin-roots.d"
printf 'initrd_modset_bin=%s\n' "$T/no-such-program" > "$T/nobin.d/50-initrd-modset.conf"
printf 'initrd_modset_bin=%s\ninitrd_modset_roots+=" ext4 "\n' "$T/no-such-program" \
	> "$T/nobin-roots.d/50-initrd-modset.conf"
if mkimage nobin-roots "$T/nobin-roots.d" "$D" -m "base initrd-modset" --add-drivers xe; then
	fail "dracut succeeded without the program (initrd_modset_roots set)"
elif grep -q "initrd-modset: program not found ($T/no-such-program)" "$T/nobin-roots.log" &&
	[ ! -e "$T/nobin-roots.img" ]; then
	ok "program missing, roots configured: dracut fails, no image ($(grep -m1 'program not found' "$T/nobin-roots.log" | sed "s|$T|@T@|g"))"
else
	fail "program missing, roots configured: no dfatal message or an image"
	cat "$T/nobin-roots.log"
fi
if mkimage nobin "$T/nobin.d" "$D" -m "base initrd-modset" --add-drivers xe; then
	fail "dracut succeeded without the program (-m initrd-modset)"
elif grep -q -e "dracut module 'initrd-modset' cannot be found or installed" \
	-e "Module 'initrd-modset' cannot be installed" "$T/nobin.log" && [ ! -e "$T/nobin.img" ]; then
	# dracut 059 says the former, dracut-ng the latter
	ok "program missing, -m initrd-modset: dracut fails, no image (module cannot be installed)"
else
	fail "program missing, -m initrd-modset: no message"
	cat "$T/nobin.log"
fi
done_checks
echo "dracut $(dracut --version 2>/dev/null | sed 's/^dracut //'): $(($(date +%s) - start)) s"
