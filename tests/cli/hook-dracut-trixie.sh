#!/bin/sh
# hook-dracut.sh inside the Debian 13 root (tests/trixie-root.sh): the dracut
# module with dracut-ng (dracut-core 106) and kmod 34, on the example tree
# indexed by depmod 34, this build's initrd-modset (built on Debian 12)
# running there. SKIP (exit 77) when the root cannot be had.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/hooks/lib.sh"
in_trixie hook-dracut.sh demo_tree
