#!/bin/sh
# modules.dep.bin with offsets that point outside the file, a value count
# larger than the file, a trie that loops: libkmod would trust every offset, so
# our reader checks each before it follows it (and a child must be stored before
# its parent, as depmod writes them: no loop). The same for the other indexes
# (modules.alias.bin here). One error line naming the file, exit 2, no output
# file.
. "$SRCDIR/tests/cli/lib.sh"
M=$(copytree bad)
mkdir -p "$T/out"
cp "$M/modules.dep.bin" "$T/dep.bin.good"
size=$(wc -c < "$T/dep.bin.good")

# u32 OFFSET FILE: the big-endian u32 at OFFSET
u32() {
	od -An -tu1 -j "$1" -N4 "$2" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }'
}

echo "== root offset past the end of the file"
cp "$T/dep.bin.good" "$M/modules.dep.bin"
be32 $((0x20000000 | (size + 100))) | dd of="$M/modules.dep.bin" bs=1 seek=8 conv=notrunc 2>/dev/null
ms -r "$M" -o "$T/out/modules.list" top

echo "== root offset inside the header"
cp "$T/dep.bin.good" "$M/modules.dep.bin"
be32 $((0x20000000 | 4)) | dd of="$M/modules.dep.bin" bs=1 seek=8 conv=notrunc 2>/dev/null
ms -r "$M" -o "$T/out/modules.list" top

# depmod's root node has children and no prefix: first, last, then the child
# offsets; point the first child far away
root=$(u32 8 "$T/dep.bin.good")
echo "== a child offset past the end (root node flags: $((root >> 28)))"
cp "$T/dep.bin.good" "$M/modules.dep.bin"
be32 $((0xC0000000 | 0x0FFFFF00)) |
	dd of="$M/modules.dep.bin" bs=1 seek=$(((root & 0x0FFFFFFF) + 2)) conv=notrunc 2>/dev/null
ms -r "$M" -o "$T/out/modules.list" top

echo "== a value count larger than the file"
{ be32 $((0xB007F457)); be32 $((0x00020001)); be32 $((0x4000000C)); be32 $((0x7FFFFFFF)); } \
	> "$M/modules.dep.bin"
ms -r "$M" -o "$T/out/modules.list" top

echo "== a node that is its own child (a loop)"
{ be32 $((0xB007F457)); be32 $((0x00020001)); be32 $((0x2000000C))
  printf 'tt'; be32 $((0x2000000C)); } > "$M/modules.dep.bin"
ms -r "$M" -o "$T/out/modules.list" top
lsa "$T/out"

# modules.alias.bin is read once a word is not a module name (an alias or a
# modalias: searched with wildcards, as libkmod does)
echo "== modules.alias.bin corrupt: an alias root is an error"
cp "$T/dep.bin.good" "$M/modules.dep.bin"
be32 $((0x2000FFFF)) | dd of="$M/modules.alias.bin" bs=1 seek=8 conv=notrunc 2>/dev/null
ms -r "$M" -o "$T/out/modules.list" 'pci:v00001234d00005678sv00001111sd00002222bc03sc00i00'
lsa "$T/out"
