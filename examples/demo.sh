#!/bin/sh
# make demo: run initrd-modset on the host's module tree when there is one, else on
# the example tree generated from examples/demo.spec (real ELF modules, real depmod).
set -eu
: "${MODSET:?}" "${BUILDDIR:?}"

kver=$(uname -r)
if [ -f "/lib/modules/$kver/modules.dep.bin" ]; then
	root="/lib/modules/$kver"
	roots="${DEMO_ROOTS:-xe i915 amdgpu nvme ext4}"
	echo "== host tree $root"
else
	root="$BUILDDIR/demo/lib/modules/6.12.0-demo"
	roots="${DEMO_ROOTS:-xe ext4}"
	echo "== no /lib/modules/$kver here: example tree $root"
fi

echo
echo "\$ initrd-modset --root $root --format order $roots"
# shellcheck disable=SC2086
"$MODSET" --root "$root" --format order $roots
echo
echo "\$ initrd-modset --root $root $roots    # files: load order, then image-only"
# shellcheck disable=SC2086
"$MODSET" --root "$root" $roots
echo
echo "\$ initrd-modset --root $root --format json $roots"
# shellcheck disable=SC2086
"$MODSET" --root "$root" --format json $roots
