#!/bin/sh
# A root path that leaves the module directory (absolute, relative with "..",
# through a symlink in the tree, "=DIR" with ".."): never read nor listed;
# one error line naming the root, exit 2, no output file.
. "$SRCDIR/tests/cli/lib.sh"
M=$(copytree bad)
mkdir -p "$T/out"

echo "== /etc/passwd"
ms -r "$M" -o "$T/out/modules.list" /etc/passwd
echo "== relative to the tree, with .."
ms -r "$M" -o "$T/out/modules.list" ../../../../../../../../../../../../../../../../etc/passwd
echo "== a module file outside the tree (a copy of one of its modules)"
cp "$M/kernel/lib/base.ko" "$T/base.ko"
ms -r "$M" -o "$T/out/modules.list" "$T/base.ko"
echo "== a symlink inside the tree that points outside"
ln -s "$T/base.ko" "$M/kernel/lib/link.ko"
ms -r "$M" -o "$T/out/modules.list" kernel/lib/link.ko
echo "== =DIR above the tree"
ms -r "$M" -o "$T/out/modules.list" =../..
lsa "$T/out"
echo "== the same roots beside a good one: still an error"
ms -r "$M" -f order top /etc/passwd
