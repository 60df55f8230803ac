#!/bin/sh
# The text modules.dep disagreeing with modules.dep.bin (a dependency swapped, a
# path changed): the image's modules.dep would name files the image does not hold
# (its files follow the .bin index). Refused: one error naming modules.dep and the
# line, exit 2, no output written, for -f cpio and -f dir.
. "$SRCDIR/tests/cli/lib.sh"
M=$(copytree hard)
sed -i 's|^kernel/lib/chain2.ko.zst: kernel/lib/chain1.ko.xz$|kernel/lib/chain2.ko.zst: kernel/lib/gone.ko.xz|' \
	"$M/modules.dep"
ms -q -r "$M" -f cpio -o "$T/img.cpio" chain_5
ms -q -r "$M" -f dir -o "$T/dir" chain_5
ls "$T"
echo "== a module path of its own changed"
M=$(copytree hard)
sed -i 's|^kernel/lib/chain1.ko.xz:|kernel/lib/moved/chain1.ko.xz:|' "$M/modules.dep"
ms -q -r "$M" -f cpio -o "$T/img.cpio" chain_5
echo "== lines of modules left out of the image may differ"
M=$(copytree hard)
sed -i 's|^\(kernel/drivers/misc/fwdev.ko.xz:\).*|\1 kernel/lib/whatever.ko|' "$M/modules.dep"
ms -q -r "$M" -f cpio -o "$T/img.cpio" chain_5
