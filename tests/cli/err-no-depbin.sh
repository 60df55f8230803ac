#!/bin/sh
# A tree without modules.dep.bin (depmod never ran, or only the text
# modules.dep is there: libkmod never reads it), or with a directory in its
# place: one error line naming the file, exit 2, no output file.
. "$SRCDIR/tests/cli/lib.sh"
M=$(copytree bad)
mkdir -p "$T/out"

rm "$M/modules.dep.bin"
echo "== no modules.dep.bin (modules.dep is still there)"
ms -r "$M" -o "$T/out/modules.list" top
lsa "$T/out"
echo "== --kmod-compat and json: the same error"
ms -r "$M" --kmod-compat top
ms -r "$M" -f json top
echo "== modules.dep.bin is a directory"
mkdir "$M/modules.dep.bin"
ms -r "$M" -o "$T/out/modules.list" top
lsa "$T/out"
