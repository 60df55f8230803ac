#!/bin/sh
# hook-initramfs-tools.sh inside the Debian 13 root (tests/trixie-root.sh):
# the hook with initramfs-tools 0.148 (whose mkinitramfs installs modules
# through dracut-install) and kmod 34, on the example trees indexed by depmod
# 34, this build's initrd-modset (built on Debian 12) running there. SKIP
# (exit 77) when the root cannot be had.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/hooks/lib.sh"
in_trixie hook-initramfs-tools.sh demo_tree hidden_tree
