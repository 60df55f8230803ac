#!/bin/sh
# The mkinitcpio install hook hooks/mkinitcpio/install/initrd-modset, with the
# real mkinitcpio: upstream's v41 release (mkinitcpio_tarball in
# tests/hooks/lib.sh: $MKINITCPIO_TARBALL, else
# shared/vendor/mkinitcpio-41.tar.gz beside the source tree or its main clone),
# extracted into the scratch directory
# and made to run on Debian there (mkinitcpio_prepare), builds images of the
# example tree (xe: weakdep pmt_telemetry -> pmt_class; built-in ext4: softdep
# pre: crc32c, two loadable providers) with
#   mkinitcpio -k 6.12.0-demo -r TREE -g OUT
# and a configuration of HOOKS=(base initrd-modset) (MKINITCPIO_CONF, its .d
# drop-ins; MKINITCPIO_INSTALL finds the hook): nothing is installed.
# Checked: the image holds exactly the closure of MODULES + INITRD_MODSET_ROOTS
# (lsinitcpio, early and main archives); without the hook the same image lacks
# the weak deps (mkinitcpio adds the builtin ext4's softdep targets itself);
# initrd-modset --check (when built in) accepts the one and rejects the other;
# the string forms of the settings; no roots; -H; and a failing hook
# (initrd-modset failing, a bad option, the program missing) stops mkinitcpio:
# exit status 1, its ERROR line, no image written and an earlier image left as
# it was.
# Without the tarball the hook runs under tests/hooks/mkinitcpio-shim.sh (the
# add_* calls recorded, the same checks where they apply) and the test is a
# SKIP that says the real mkinitcpio did not run, unless a check fails.
# Judged by its exit status (no .expected).
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/hooks/lib.sh"
hook=$SRCDIR/hooks/mkinitcpio/install/initrd-modset
D=$(demo_tree) || exit 1
kver=6.12.0-demo
INITRD_MODSET=$MODSET
export INITRD_MODSET

# names: module names (normalized) of the paths on stdin, sorted
names() {
	sed -e 's|.*/||' -e 's|\.ko.*||' -e 's|-|_|g' | LC_ALL=C sort -u
}

# conf TEXT [DROPIN-TEXT]: $T/mkinitcpio.conf, and its drop-in
# $T/mkinitcpio.conf.d/initrd-modset.conf (removed without DROPIN-TEXT)
conf() {
	mkdir -p "$T/mkinitcpio.conf.d"
	printf '%s\n' "$1" > "$T/mkinitcpio.conf"
	if [ -n "${2:-}" ]; then
		printf '%s\n' "$2" > "$T/mkinitcpio.conf.d/initrd-modset.conf"
	else
		rm -f "$T/mkinitcpio.conf.d/initrd-modset.conf"
	fi
}

# ---- without the release: the recording shim --------------------------------
if ! tarball=$(mkinitcpio_tarball); then
	shim=$SRCDIR/tests/hooks/mkinitcpio-shim.sh
	# run_shim NAME KMODDIR: build() under the shim with $T/mkinitcpio.conf;
	# output in $T/NAME.log, recorded calls in $T/NAME.calls; its exit status
	run_shim() {
		bash "$shim" "$hook" "$2" "$T/mkinitcpio.conf" "$T/$1.calls" > "$T/$1.log" 2>&1
	}
	# shim_set NAME ROOT...: are the add_module names the closure of ROOT...?
	shim_set() {
		n=$1
		shift
		"$MODSET" -q --root "$D" "$@" | names > "$T/$n.want"
		sed -n 's/^add_module //p' "$T/$n.calls" | LC_ALL=C sort -u > "$T/$n.got"
		if cmp -s "$T/$n.want" "$T/$n.got"; then
			ok "shim, $n: add_module = the closure of $* ($(wc -l < "$T/$n.got" | tr -d ' '))"
		else
			fail "shim, $n: add_module differs from the closure of $* (< closure, > added):"
			diff "$T/$n.want" "$T/$n.got"
		fi
	}
	conf 'MODULES=(xe nvme?)
HOOKS=(base udev autodetect initrd-modset)' 'INITRD_MODSET_ROOTS=(ext4)'
	if run_shim arrays "$D"; then
		ok "shim, arrays: exit 0"
	else
		fail "shim, arrays: exit $?"
	fi
	shim_set arrays ext4 xe nvme
	conf 'MODULES="xe"' 'INITRD_MODSET_ROOTS="ext4"
INITRD_MODSET_ARGS="--no-weak"'
	if run_shim strings "$D"; then
		ok "shim, strings: exit 0"
	else
		fail "shim, strings: exit $?"
	fi
	shim_set strings --no-weak ext4 xe
	conf 'MODULES=()'
	if run_shim noroots "$D" && ! grep -q '^add_module' "$T/noroots.calls"; then
		ok "shim, no roots: nothing added"
	else
		fail "shim, no roots: $(cat "$T/noroots.calls")"
	fi
	rm -rf "$T/bad" && cp -a "$T/demo" "$T/bad"
	rm "$T/bad/lib/modules/$kver/modules.dep.bin"
	conf 'MODULES=(xe)'
	for c in "bad:$T/bad/lib/modules/$kver:initrd-modset failed (exit status 2)" \
		"nobin:$D:initrd-modset: program not found"; do
		n=${c%%:*} rest=${c#*:}
		dir=${rest%%:*} msg=${rest#*:}
		[ "$n" = nobin ] && INITRD_MODSET=$T/no-such-program
		if run_shim "$n" "$dir"; then
			fail "shim, $n: exit 0"
		elif grep -q "^error $msg" "$T/$n.calls" && grep -qx die "$T/$n.calls" &&
			! grep -q '^add_module' "$T/$n.calls"; then
			ok "shim, $n: die ($(sed -n 's/^error //p' "$T/$n.calls" | sed "s|$T|@T@|g"))"
		else
			fail "shim, $n: no die with '$msg'"
			cat "$T/$n.log"
		fi
		INITRD_MODSET=$MODSET
	done
	done_checks
	echo "SKIP: real mkinitcpio not run: no release tarball (\$MKINITCPIO_TARBALL, or shared/vendor/mkinitcpio-41.tar.gz beside the source tree); the recording shim's checks passed"
	exit 77
fi

# ---- the real mkinitcpio -------------------------------------------------------
for t in bash gawk busybox bsdtar zstd kmod blkid switch_root; do
	command -v "$t" > /dev/null 2>&1 || [ -x "/sbin/$t" ] || [ -x "/usr/sbin/$t" ] || {
		echo "FAIL: mkinitcpio needs $t (tools/install-deps.sh installs it)"
		exit 1
	}
done
M=$T/mkinitcpio
mkinitcpio_prepare "$tarball" "$M" || {
	echo "FAIL: cannot extract and prepare $tarball"
	exit 1
}
mkdir -p "$T/install" "$T/tmp"
cp -p "$hook" "$T/install/"
tree=$T/demo

# mkimage NAME [MKINITCPIO-ARGS...]: mkinitcpio -g $T/NAME.img on $tree (-r)
# with $T/mkinitcpio.conf (+ .d); output in $T/NAME.log, the image's module
# files in $T/NAME.list (early and main archive); returns mkinitcpio's status
mkimage() {
	name=$1
	shift
	env TMPDIR="$T/tmp" MKINITCPIO_CONF="$T/mkinitcpio.conf" \
		MKINITCPIO_INSTALL="$T/install:$M/install" MKINITCPIO_HOOKS="$M/hooks" \
		bash "$M/mkinitcpio" -n -k "$kver" -r "$tree" -g "$T/$name.img" "$@" \
		> "$T/$name.log" 2>&1
	rc=$?
	if [ -f "$T/$name.img" ]; then
		{
			bash "$M/lsinitcpio" --early "$T/$name.img"
			bash "$M/lsinitcpio" "$T/$name.img"
		} 2> /dev/null | modfiles > "$T/$name.list"
	else
		: > "$T/$name.list"
	fi
	return $rc
}

start=$(date +%s)
conf 'MODULES=(xe nvme?)
HOOKS=(base initrd-modset)' 'INITRD_MODSET_ROOTS=(ext4)'
if mkimage hooked; then
	ok "mkinitcpio with initrd-modset: image built"
else
	fail "mkinitcpio with initrd-modset: exit status $rc"
	cat "$T/hooked.log"
fi
conf 'MODULES=(xe nvme? ext4)
HOOKS=(base)'
if mkimage plain; then
	ok "mkinitcpio without initrd-modset: image built"
else
	fail "mkinitcpio without initrd-modset: exit status $rc"
	cat "$T/plain.log"
fi
done_checks

expect_closure "$T/hooked.list" "$T/plain.list" "hooked image" xe nvme ext4
compare_lists "$T/hooked.list" "$T/plain.list" mkinitcpio \
	pmt_telemetry.ko pmt_class.ko crc32c-intel.ko crc32c_generic.ko
# initrd-modset --check, when there is one, agrees
check_images "$T/hooked.img" "$T/plain.img" xe nvme ext4
done_checks

# the string forms of old configurations; INITRD_MODSET_ARGS
conf 'MODULES="xe"
HOOKS=(base initrd-modset)' 'INITRD_MODSET_ROOTS="ext4"
INITRD_MODSET_ARGS="--no-weak"'
if mkimage strings; then
	expect_closure "$T/strings.list" /dev/null "MODULES=\"xe\", INITRD_MODSET_ROOTS=\"ext4\", INITRD_MODSET_ARGS=\"--no-weak\"" \
		--no-weak xe ext4
else
	fail "mkinitcpio, string settings: exit status $rc"
	cat "$T/strings.log"
fi
# no roots: the hook adds nothing, the build goes on
conf 'MODULES=()
HOOKS=(base initrd-modset)'
if mkimage noroots && [ ! -s "$T/noroots.list" ]; then
	ok "no roots: image built, no module in it"
else
	fail "no roots: exit status $rc, modules: $(cat "$T/noroots.list")"
	cat "$T/noroots.log"
fi
# mkinitcpio -H initrd-modset
if env MKINITCPIO_INSTALL="$T/install:$M/install" bash "$M/mkinitcpio" -n -H initrd-modset \
	> "$T/help.log" 2>&1 && grep -q 'INITRD_MODSET_ROOTS=(xe nvme =drivers/md)' "$T/help.log"; then
	ok "mkinitcpio -H initrd-modset: $(sed -n 1p "$T/help.log")"
else
	fail "mkinitcpio -H initrd-modset"
	cat "$T/help.log"
fi
done_checks

# A failing hook stops the build: exit status 1, the hook's ERROR line, no
# image; an image already at the -g path is left as it was.
rm -rf "$T/bad" && cp -a "$T/demo" "$T/bad"
rm "$T/bad/lib/modules/$kver/modules.dep.bin"
conf 'MODULES=(xe)
HOOKS=(base initrd-modset)'
echo "the previous image" > "$T/old.img"
cp "$T/old.img" "$T/old.want"
# fails NAME WHAT MESSAGE: the run NAME failed as it should
fails() {
	if [ "$rc" = 0 ]; then
		fail "$2: mkinitcpio succeeded"
		cat "$T/$1.log"
		return
	fi
	if grep -q "^==> ERROR: $3" "$T/$1.log"; then
		ok "$2: exit status $rc, $(grep -m1 "^==> ERROR: $3" "$T/$1.log" | sed "s|$T|@T@|g")"
	else
		fail "$2: exit status $rc without the hook's ERROR line"
		cat "$T/$1.log"
	fi
	if [ "$1" = old ]; then
		if cmp -s "$T/old.img" "$T/old.want"; then
			ok "$2: the image already there is unchanged"
		else
			fail "$2: the image already there was replaced"
		fi
	elif [ -e "$T/$1.img" ]; then
		fail "$2: an image was written anyway"
	else
		ok "$2: no image written"
	fi
}
tree=$T/bad
mkimage bad
fails bad "initrd-modset failing (no modules.dep.bin)" "initrd-modset failed (exit status 2)"
mkimage old
fails old "initrd-modset failing, an image at -g" "initrd-modset failed (exit status 2)"
tree=$T/demo
conf 'MODULES=(xe)
HOOKS=(base initrd-modset)' 'INITRD_MODSET_ARGS=(--no-such-option)'
mkimage badopt
fails badopt "a bad option in INITRD_MODSET_ARGS" "initrd-modset failed (exit status 1)"
conf 'MODULES=(xe)
HOOKS=(base initrd-modset)'
INITRD_MODSET=$T/no-such-program
mkimage nobin
INITRD_MODSET=$MODSET
fails nobin "program missing" "initrd-modset: program not found"
done_checks
echo "mkinitcpio $(sed -n "s/^declare -r version='\(.*\)'/\1/p" "$M/mkinitcpio") (${tarball##*/}): $(($(date +%s) - start)) s"
