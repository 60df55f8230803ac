#!/bin/sh
# A .ko.zst whose compressed data is damaged (same size, bytes overwritten in
# the middle of the frame): reading its .modinfo fails, which is an error
# naming the file (exit 2, no output file); without weak deps nothing reads it.
. "$SRCDIR/tests/cli/lib.sh"
M=$(copytree bad)
mkdir -p "$T/out"
f=$M/kernel/drivers/bad/zmod.ko.zst

echo "== before: fine"
ms -r "$M" -f order zmod
printf 'XXXXXXXXXXXXXXXX' | dd of="$f" bs=1 seek=24 conv=notrunc 2>/dev/null
zstd -t -q "$f" 2>/dev/null || echo "(zstd -t: corrupt)"
echo "== corrupt"
ms -r "$M" -o "$T/out/modules.list" zmod
lsa "$T/out"
echo "== reached through =DIR"
ms -r "$M" -f order =kernel/drivers
echo "== not a zstd frame at all (magic gone): still an error"
printf '\000\000\000\000' | dd of="$f" bs=1 seek=0 conv=notrunc 2>/dev/null
ms -r "$M" -o "$T/out/modules.list" zmod
lsa "$T/out"
echo "== --no-weak: not read, listed"
ms -r "$M" --no-weak zmod | rel "$M"
