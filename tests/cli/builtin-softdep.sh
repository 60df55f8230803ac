#!/bin/sh
# Builtin modules as roots and as targets. depmod never indexes a builtin's
# softdep=/weakdep= (they exist only in modules.builtin.modinfo), so libkmod
# and --kmod-compat ignore them; initrd-modset follows them: builtin ext4 has
# "softdep=pre: crc32c", which brings the crc32c modules (builtin
# crc32c_generic has no file: it is in the manifest, not in the list/order).
. "$SRCDIR/tests/cli/lib.sh"
B=$(tree builtin)

echo "== ext4 (builtin root): json"
"$MODSET" -r "$B" -f json ext4 | jflat
echo "== ext4: order and list (only files; the builtin itself is never loaded)"
ms -r "$B" -f order ext4
ms -r "$B" ext4 | rel "$B"
echo "== fs-ext4 (alias of the builtin): the same"
ms -r "$B" -f order fs-ext4
echo "== ext4 --kmod-compat: the builtin alone, nothing to load"
ms -r "$B" -f order --kmod-compat ext4
"$MODSET" -r "$B" -f json --kmod-compat ext4 | jflat | grep '^{ "name"'

# jbd2_user (loadable): hard dep libcrc32c (pre: crc32c), pre: jbd2 ext4
# (builtins, each with pre: crc32c), post: hid_generic (dash-named builtin)
echo "== jbd2_user: softdeps on builtins, and the builtins' own softdeps"
ms -r "$B" -f order jbd2_user
"$MODSET" -r "$B" -f json jbd2_user | jflat | grep -e '"builtin": true' -e '^"load_order"'

# xfs (builtin) with a modprobe.d softdep: kmod applies config softdeps to a
# builtin, so --kmod-compat keeps them
echo "== xfs (builtin, config softdep pre: crypto-crc32c post: fs-ext4 libcrc32c)"
ms -r "$B" -f order xfs
ms -r "$B" -f order --kmod-compat xfs
