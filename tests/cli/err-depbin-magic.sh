#!/bin/sh
# modules.dep.bin whose header is wrong: magic not 0xB007F457 (zeroed, or the
# text modules.dep copied over it), or a version whose major is not 2 (readers
# check the major only: 2.x is fine). One error line naming the file, exit 2,
# no output file.
. "$SRCDIR/tests/cli/lib.sh"
M=$(copytree bad)
mkdir -p "$T/out"
cp "$M/modules.dep.bin" "$T/dep.bin.good"

echo "== magic zeroed"
printf '\000\000\000\000' | dd of="$M/modules.dep.bin" bs=1 seek=0 conv=notrunc 2>/dev/null
ms -r "$M" -o "$T/out/modules.list" top
lsa "$T/out"
echo "== the text modules.dep in its place"
cp "$M/modules.dep" "$M/modules.dep.bin"
ms -r "$M" -f order top
echo "== version 3.1"
cp "$T/dep.bin.good" "$M/modules.dep.bin"
printf '\000\003\000\001' | dd of="$M/modules.dep.bin" bs=1 seek=4 conv=notrunc 2>/dev/null
ms -r "$M" -f json -o "$T/out/modules.json" top
lsa "$T/out"
echo "== version 2.7: accepted"
cp "$T/dep.bin.good" "$M/modules.dep.bin"
printf '\000\002\000\007' | dd of="$M/modules.dep.bin" bs=1 seek=4 conv=notrunc 2>/dev/null
ms -r "$M" -f order top
