#!/bin/sh
# A truncated .ko.xz. The tree has no modules.weakdep (depmod 30), so weakdep=
# must come from each module's .modinfo: the module is decompressed and the
# damage is an error naming the file (exit 2, no output file). When nothing
# needs its .modinfo (--no-weak, --kmod-compat: the set comes from the
# indexes) it is listed like any other file. A cached good reading of the
# file does not hide the damage.
. "$SRCDIR/tests/cli/lib.sh"
M=$(copytree bad)
mkdir -p "$T/out"
f=$M/kernel/drivers/bad/top.ko.xz

echo "== before: fine (and now in the modinfo cache)"
ms -r "$M" -f order top
head -c 200 "$f" > "$T/part" && cat "$T/part" > "$f"
echo "== truncated to 200 bytes"
ms -r "$M" -o "$T/out/modules.list" top
lsa "$T/out"
echo "== reached through =DIR, without the cache: the same"
ms -r "$M" -f order --no-cache =kernel/drivers/bad
echo "== json (firmware= comes from .modinfo too), even with --no-weak"
ms -r "$M" -f json --no-weak -o "$T/out/modules.json" top
lsa "$T/out"
echo "== --no-weak and --kmod-compat: not read, listed"
ms -r "$M" --no-weak top | rel "$M"
ms -r "$M" --kmod-compat top | rel "$M"
