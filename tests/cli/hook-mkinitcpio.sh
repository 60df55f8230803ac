#!/bin/sh
# The mkinitcpio install hook (hooks/mkinitcpio/install/initrd-modset).
# mkinitcpio is not packaged in Debian: tests/hooks/mkinitcpio-shim.sh runs the
# hook's build() as mkinitcpio does (its variables, the configuration with its
# conf.d drop-ins sourced globally, MODULES hidden behind run_build_hook's
# local one) and records the add_* calls. On the example tree (xe: weakdep
# pmt_telemetry; built-in ext4: softdep pre: crc32c), the added modules must
# be exactly the closure `initrd-modset --format list` prints; a failing
# initrd-modset must be a build error.
. "$SRCDIR/tests/cli/lib.sh"
hook=$SRCDIR/hooks/mkinitcpio/install/initrd-modset
shim=$SRCDIR/tests/hooks/mkinitcpio-shim.sh
sh "$SRCDIR/tests/mkfixture.sh" "$SRCDIR/examples/demo.spec" "$T/demo" > /dev/null || exit 1
D=$T/demo/lib/modules/6.12.0-demo
INITRD_MODSET=$MODSET
export INITRD_MODSET
unset INITRD_MODSET_ROOTS INITRD_MODSET_ARGS

# run_shim KMODDIR: build() with $T/mkinitcpio.conf (+ .d); the output, the
# exit status, then the recorded calls
run_shim() {
	bash "$shim" "$hook" "$1" "$T/mkinitcpio.conf" "$T/calls" 2>&1
	echo "[exit $?]"
	cat "$T/calls"
}

# names: module names (normalized) of the paths on stdin, sorted
names() {
	sed -e 's|.*/||' -e 's|\.ko.*||' -e 's|-|_|g' | LC_ALL=C sort
}

# same_set ROOT...: are the add_module names the closure of ROOT...?
same_set() {
	"$MODSET" -q --root "$D" "$@" | names > "$T/want"
	sed -n 's/^add_module //p' "$T/calls" | LC_ALL=C sort > "$T/got"
	if cmp -s "$T/want" "$T/got"; then
		echo "added = closure of $*: yes ($(wc -l < "$T/got" | tr -d ' ') modules)"
	else
		echo "added = closure of $*: NO"
		diff "$T/want" "$T/got"
	fi
}

echo "== help"
bash -c '. "$1"; help' sh "$hook"

mkdir -p "$T/mkinitcpio.conf.d"
cat > "$T/mkinitcpio.conf" << 'EOF'
MODULES=(xe nvme?)
HOOKS=(base udev autodetect initrd-modset)
EOF
printf 'INITRD_MODSET_ROOTS=(ext4)\n' > "$T/mkinitcpio.conf.d/initrd-modset.conf"
echo "== MODULES=(xe nvme?) + conf.d INITRD_MODSET_ROOTS=(ext4)"
run_shim "$D"
same_set ext4 xe nvme
for m in pmt_telemetry pmt_class crc32c_intel crc32c_generic; do
	grep -qx "add_module $m" "$T/calls" && echo "weak/builtin-softdep $m: added"
done

echo "== string forms: MODULES=\"xe\", INITRD_MODSET_ROOTS=\"ext4\", INITRD_MODSET_ARGS=\"--no-weak\""
printf 'MODULES="xe"\n' > "$T/mkinitcpio.conf"
printf 'INITRD_MODSET_ROOTS="ext4"\nINITRD_MODSET_ARGS="--no-weak"\n' > "$T/mkinitcpio.conf.d/initrd-modset.conf"
run_shim "$D" > "$T/out"
sed -n '1,2p' "$T/out"
grep -c '^add_module' "$T/out"
grep -e pmt -e crc32c "$T/out"
same_set --no-weak ext4 xe

echo "== no roots: nothing added"
printf 'MODULES=()\n' > "$T/mkinitcpio.conf"
rm "$T/mkinitcpio.conf.d/initrd-modset.conf"
run_shim "$D"

echo "== initrd-modset fails (no modules.dep.bin): a build error, nothing added"
rm -rf "$T/bad" && cp -a "$T/demo" "$T/bad"
C=$T/bad/lib/modules/6.12.0-demo
rm "$C/modules.dep.bin"
printf 'MODULES=(xe)\n' > "$T/mkinitcpio.conf"
run_shim "$C"

echo "== initrd-modset fails (module directory gone): a build error"
run_shim "$T/gone/lib/modules/6.12.0-demo"

echo "== program not found: a build error"
(INITRD_MODSET=$T/no-such-program && run_shim "$D")
