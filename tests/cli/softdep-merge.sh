#!/bin/sh
# Several softdep lines for one module: libkmod keeps only the first matching
# line in configuration order (modprobe.d files and modules.softdep sorted by
# basename); initrd-modset merges them all, and --kmod-compat takes the first.
. "$SRCDIR/tests/cli/lib.sh"
S=$(tree soft)
C=$(tree confdirs)

# btrfs: modules.softdep has "pre: crc32c", "pre: xxhash64", "pre: sha256"
echo "== btrfs, merged: xxhash64 and sha256_generic too"
msq -r "$S" -f order btrfs
echo "== btrfs --kmod-compat: first line only (pre: crc32c)"
msq -r "$S" -f order --kmod-compat btrfs

# masked: 00-first.conf "post: helper-b" < modules.softdep "pre: md5"
# unmasked: modules.softdep "pre: md5" < zz-last.conf "post: helper-b"
echo "== masked, merged: md5 before, helper-b & co after"
msq -r "$S" -f order masked
echo "== masked --kmod-compat: 00-first.conf only, no md5"
msq -r "$S" -f order --kmod-compat masked
echo "== unmasked --kmod-compat: modules.softdep only, md5 and no helper-b"
msq -r "$S" -f order --kmod-compat unmasked

# cifs: modules.softdep "ccm", "gcm", "pre: nls_utf8": the first line has no
# pre:/post: group, so kmod gets no softdep at all for cifs
echo "== cifs, merged: pre: nls_utf8 loaded (ccm, gcm untagged: image only)"
msq -r "$S" -f order cifs
echo "== cifs --kmod-compat: nothing but cifs"
msq -r "$S" -f order --kmod-compat cifs

# target_a: etc/10-a.conf "post: from_etc" < modules.softdep "pre: modinfo_pre"
# < usr/lib/x-late.conf "pre: hidden_dep"
echo "== target_a (confdirs), merged over three files"
ms -r "$C" -f order target_a
echo "== target_a --kmod-compat: etc/modprobe.d/10-a.conf only"
ms -r "$C" -f order --kmod-compat target_a

echo "== reasons of btrfs's pre: targets (one reason per line that named them)"
"$MODSET" -q -r "$S" -f json btrfs | jflat | grep -e '^{ "name": "xxhash64"' -e '^{ "name": "sha256_generic"' \
	-e '^{ "name": "crc32c_generic"'
