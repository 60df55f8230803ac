#!/bin/sh
# --no-soft drops every softdep (modprobe.d, modules.softdep, builtin modinfo,
# untagged tokens); --no-weak drops weak deps (and untagged tokens); hard deps
# always stay. Both together: the hard closure only.
. "$SRCDIR/tests/cli/lib.sh"
S=$(tree soft)
W=$(tree weak)
B=$(tree builtin)

echo "== btrfs: default / --no-soft (hard deps crypto_hash, libcrc32c only)"
msq -r "$S" -f order btrfs
msq -r "$S" -f order --no-soft btrfs
echo "== cifs --no-soft: no pre: nls_utf8, no untagged ccm/gcm"
msq -r "$S" --no-soft cifs | rel "$S"
echo "== wk_top --no-soft: weak deps stay (wk_helper, crypto-wk, wk-helper3 and its hard dep); pre: wk_pre goes"
ms -r "$W" --no-soft wk_top | rel "$W"
echo "== wk_top: --no-weak keeps softdeps"
ms -r "$W" --no-weak wk_top | rel "$W"
echo "== wk_top: --no-soft --no-weak"
ms -r "$W" --no-soft --no-weak wk_top | rel "$W"
echo "== builtin ext4 --no-soft: weakdep=crc32c-intel only, not loaded"
"$MODSET" -r "$B" -f json --no-soft ext4 | jflat | grep -e '^{' -e '^"load'
echo "== builtin ext4 --no-weak: the softdep's targets, loaded"
"$MODSET" -r "$B" -f json --no-weak ext4 | jflat | grep -e '^{' -e '^"load'
