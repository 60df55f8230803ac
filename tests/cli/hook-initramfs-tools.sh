#!/bin/sh
# The initramfs-tools hook hooks/initramfs-tools/hooks/initrd-modset, with
# Debian's real mkinitramfs, on the example tree (xe: weakdep pmt_telemetry ->
# pmt_class; built-in ext4: softdep pre: crc32c, two loadable providers).
# mkinitramfs only knows /lib/modules/KVER: tests/hooks/initramfs-tools-ns.sh
# mounts the tree there inside a private mount namespace (the host's /lib is
# never changed). The hook is in the configuration directory given with -d
# (CONFDIR/hooks); roots come from CONFDIR/modules (ext4) and
# CONFDIR/initrd-modset.conf (xe, whose firmware then comes only through the
# hook).
# Checked: the image holds exactly the closure (indexed by mkinitramfs'
# depmod; decompressed by 0.142, not by 0.148), with firmware; without the
# hook the same image lacks the builtin's softdep targets (and with 0.142 the
# weak deps, which 0.148's dracut-install adds itself), and initrd-modset
# --check, when built in, tells them apart; a failing initrd-modset stops mkinitramfs
# (no image); nvme as a root of the hook brings its hidden dependency vmd
# (mkinitramfs' table), as nvme in CONFDIR/modules does. Then the hook alone,
# in mkinitramfs' environment: every root source, and a missing program.
# Needs root, or sudo -n, for the namespace. Judged by its exit status (no
# .expected): skipped, passing, only when mkinitramfs is not installed.
# hook-initramfs-tools-trixie.sh runs it in the Debian 13 root.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/hooks/lib.sh"
skip_without mkinitramfs
for t in unshare lsinitramfs unmkinitramfs; do
	command -v "$t" > /dev/null 2>&1 || {
		echo "FAIL: mkinitramfs is installed but $t is missing"
		exit 1
	}
done
D=$(demo_tree) || exit 1
H=$(hidden_tree) || exit 1
kver=6.12.0-demo

# confdir DIR MODULES-LINES [HOOK]: an initramfs-tools configuration directory
confdir() {
	mkdir -p "$1/hooks" "$1/conf.d" "$1/scripts"
	cat > "$1/initramfs.conf" << 'EOF'
MODULES=list
BUSYBOX=n
COMPRESS=gzip
COMPRESSLEVEL=1
EOF
	printf '%s\n' "$2" > "$1/modules"
	if [ -n "${3:-}" ]; then
		cp -p "$SRCDIR/hooks/initramfs-tools/hooks/initrd-modset" "$1/hooks/"
		cat > "$1/initrd-modset.conf" << 'EOF'
# roots for initrd-modset, one per line like /etc/initramfs-tools/modules
xe words after the first are ignored
EOF
	fi
}
confdir "$T/hooked" "ext4" hook
confdir "$T/plain" "xe
ext4"
# nvme's hidden dependency vmd (hidden_dep_add_modules), on the tree that has
# it: nvme in CONFDIR/modules (mkinitramfs' own), nvme a root of the hook only
confdir "$T/hidmods" "xe
ext4
nvme"
confdir "$T/hidhook" "" hook
printf 'xe\next4\nnvme\n' > "$T/hidhook/initrd-modset.conf"
rm -rf "$T/bad" && cp -a "$T/demo" "$T/bad"
rm "$T/bad/lib/modules/$kver/modules.dep.bin"
mkdir -p "$T/tmp"

# a private mount namespace: as root, else through sudo -n (mkinitramfs cannot
# run in a user namespace: it copies root-owned files preserving their owner)
pre=""
if [ "$(id -u)" != 0 ]; then
	if sudo -n true 2> /dev/null; then
		pre="sudo -n"
	else
		echo "FAIL: mkinitramfs needs a private mount namespace: run as root, or allow sudo -n"
		exit 1
	fi
fi
# Inside the Debian 13 root (tests/trixie-run.sh: a chroot, in a private mount
# namespace already) unshare cannot make the chroot's / private, as it does by
# default, since / is no mount point there; nothing propagates out anyway.
prop=""
[ "${HOOK_IN_TRIXIE:-}" = 1 ] && prop="--propagation unchanged"
start=$(date +%s)
# shellcheck disable=SC2086 # $pre, $prop: a command prefix, an option, or nothing
$pre env INITRD_MODSET="$MODSET" XDG_CACHE_HOME="$XDG_CACHE_HOME" \
	unshare -m $prop sh "$SRCDIR/tests/hooks/initramfs-tools-ns.sh" "$T" "$kver" \
	"hooked:$T/hooked:$D" "plain:$T/plain:$D" "bad:$T/hooked:$T/bad/lib/modules/$kver" \
	"hidmods:$T/hidmods:$H" "hidhook:$T/hidhook:$H" ||
	{
		echo "FAIL: could not run mkinitramfs in a private mount namespace"
		exit 1
	}

for run in hooked plain; do
	rc=$(cat "$T/$run.rc")
	if [ "$rc" = 0 ] && [ -s "$T/$run.img" ]; then
		ok "mkinitramfs ($run): image built"
		lsinitramfs "$T/$run.img" > "$T/$run.files"
		modfiles < "$T/$run.files" > "$T/$run.list"
	else
		fail "mkinitramfs ($run): exit status $rc"
		cat "$T/$run.log"
	fi
done
done_checks

expect_closure "$T/hooked.list" "$T/plain.list" "hooked image" xe ext4
compare_lists "$T/hooked.list" "$T/plain.list" mkinitramfs \
	pmt_telemetry.ko pmt_class.ko crc32c-intel.ko crc32c_generic.ko
if grep -q 'usr/lib/firmware/xe/lnl_guc_70.bin$' "$T/hooked.files"; then
	ok "hooked image has xe's firmware xe/lnl_guc_70.bin (xe only through the hook: add_firmware)"
else
	fail "hooked image lacks xe's firmware"
fi
unmkinitramfs "$T/hooked.img" "$T/hooked.x" || fail "unmkinitramfs failed"
dep=$(find "$T/hooked.x" -path "*/lib/modules/$kver/modules.dep" | head -n1)
if [ -n "$dep" ] &&
	grep -q '^kernel/drivers/platform/x86/intel/pmt/pmt_telemetry\.ko\(\.zst\)\{0,1\}: .*pmt_class' "$dep"; then
	ok "mkinitramfs' depmod indexed the weak deps (modules.dep: pmt_telemetry: pmt_class)"
else
	fail "modules.dep of the image lacks pmt_telemetry"
fi
# initrd-modset --check, when there is one, agrees
check_images "$T/hooked.img" "$T/plain.img" xe ext4

# initrd-modset fails on the tree (no modules.dep.bin): mkinitramfs stops
rc=$(cat "$T/bad.rc")
if [ "$rc" = 0 ]; then
	fail "mkinitramfs succeeded although initrd-modset failed"
	cat "$T/bad.log"
else
	ok "initrd-modset failing: mkinitramfs fails (exit status $rc)"
	if grep -q '^E: initrd-modset failed (exit status 2)' "$T/bad.log" &&
		grep -q 'hooks/initrd-modset failed with return 1' "$T/bad.log"; then
		ok "reported: $(grep -m1 '^E: initrd-modset failed' "$T/bad.log" | sed "s|$T|@T@|g")"
	else
		fail "no E: message from the hook"
		cat "$T/bad.log"
	fi
	if [ -s "$T/bad.img" ]; then
		fail "an image was written anyway"
	else
		ok "no image written"
	fi
fi
done_checks

# Hidden dependencies (initramfs-tools' table: nvme -> vmd): the hook's roots
# get them as CONFDIR/modules does, through the closure of vmd
for run in hidmods hidhook; do
	rc=$(cat "$T/$run.rc")
	if [ "$rc" = 0 ] && [ -s "$T/$run.img" ]; then
		lsinitramfs "$T/$run.img" | modfiles > "$T/$run.list"
		if has "$T/$run.list" vmd.ko; then
			ok "mkinitramfs ($run: nvme in $([ $run = hidmods ] && echo modules || echo initrd-modset.conf)): vmd in the image"
		else
			fail "mkinitramfs ($run: nvme in $([ $run = hidmods ] && echo modules || echo initrd-modset.conf)): vmd not in the image"
		fi
	else
		fail "mkinitramfs ($run): exit status $rc"
		cat "$T/$run.log"
	fi
done
done_checks
demo=$D D=$H
expect_closure "$T/hidhook.list" /dev/null "hooked image, roots xe ext4 nvme (hook only)" \
	xe ext4 nvme vmd
D=$demo
if grep -q '^initrd-modset: hidden dependencies (hidden_dep_add_modules): vmd$' "$T/hidhook.log"; then
	ok "the hook reports it: $(grep -m1 '^initrd-modset: hidden dependencies' "$T/hidhook.log")"
else
	fail "the hook does not say it added vmd for nvme"
	cat "$T/hidhook.log"
fi
done_checks

# The hook alone, as mkinitramfs runs it (its environment, hook-functions),
# on the tree where it is: every root source, and the program missing
hook=$SRCDIR/hooks/initramfs-tools/hooks/initrd-modset
mkdir -p "$T/alone/conf" "$T/alone/dest"
printf '# comment\n\n  xe  some options\n' > "$T/alone/conf/initrd-modset.conf"
printf 'ext4\n' > "$T/alone/conf/modules"
# hook_alone [VAR=VALUE]...: the hook with mkinitramfs' environment
hook_alone() {
	env INITRD_MODSET="$MODSET" CONFDIR="$T/alone/conf" DESTDIR="$T/alone/dest" \
		MODULESDIR="$D" version="$kver" verbose=n "$@" "$hook"
}
if prereqs=$("$hook" prereqs) && [ -z "$prereqs" ]; then
	ok "prereqs: none"
else
	fail "prereqs: '$prereqs'"
fi
if hook_alone INITRD_MODSET_ROOTS="nvme" > "$T/alone.log" 2>&1; then
	find "$T/alone/dest" -type f | modfiles > "$T/alone.list"
	expect_closure "$T/alone.list" /dev/null "initrd-modset.conf + modules + \$INITRD_MODSET_ROOTS" \
		xe ext4 nvme
else
	fail "the hook alone failed"
	cat "$T/alone.log"
fi
if hook_alone INITRD_MODSET="$T/no-such-program" > "$T/alone.log" 2>&1; then
	fail "the hook succeeded without its program"
elif grep -q '^E: initrd-modset: program not found' "$T/alone.log"; then
	ok "program missing: $(sed "s|$T|@T@|g" "$T/alone.log")"
else
	fail "program missing: no E: message"
	cat "$T/alone.log"
fi
done_checks
echo "initramfs-tools $(dpkg-query -W -f '${Version}' initramfs-tools 2> /dev/null): $(($(date +%s) - start)) s"
