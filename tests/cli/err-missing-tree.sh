#!/bin/sh
# A module directory that does not exist, or is not a directory: one error line
# naming it, exit 2, and no output file (nor temporary file) with -o.
. "$SRCDIR/tests/cli/lib.sh"
H=$(tree hard)
mkdir -p "$T/out"

echo "== missing module directory"
ms -r "$T/sysroot/lib/modules/6.1.0-gone" lonely
ms -r "$T/sysroot/lib/modules/6.1.0-gone" -f json -o "$T/out/modules.json" lonely
lsa "$T/out"
echo "== a file, not a directory"
ms -r "$H/modules.dep" -o "$T/out/modules.list" lonely
lsa "$T/out"
