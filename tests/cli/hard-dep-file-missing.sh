#!/bin/sh
# modules.dep.bin says top needs base, but base.ko is gone from the tree (a
# partial copy, a module deleted after depmod). The hard dependency must not
# vanish silently: a warning names the missing file, and it is a missing item
# of type "hard" ("top: needs base, which is not in the tree", a warning; an
# error with --strict), as modset_set_missing() documents for
# MODSET_MISSING_HARD. (libkmod refuses the whole dependency line when one
# file is missing, and logs that with its context pointer: never shown.)
. "$SRCDIR/tests/cli/lib.sh"
M=$(copytree bad)
mkdir -p "$T/out"
rm "$M/kernel/lib/base.ko"

echo "== top (order, no weak deps)"
ms -r "$M" -f order --no-weak top
echo "== --strict: exit 3, no output file"
ms -r "$M" -f order --no-weak --strict -o "$T/out/order" top
lsa "$T/out"
echo "== json: missing"
"$MODSET" -q -r "$M" -f json --no-weak top | jflat | sed -n '$p'
echo "== zmod, the other module needing base"
ms -r "$M" -f order --no-weak zmod
echo "== base itself as a root: one warning for the file, the root names nothing"
ms -r "$M" -f order --no-weak base
ms -r "$M" -f order --strict base
