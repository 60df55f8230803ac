#!/bin/sh
# Loops and children on the wrong side of their parent, in each of depmod's index
# layouts. The root's offset tells the layout: 12 is pre-order (depmod 34: each
# node after its parent's bytes), anything else children first (depmod <= 33: each
# node wholly before its parent). Every child followed must be on its layout's
# side, so no walk can loop: a node its own child, two nodes each other's child, a
# child pointing back before its parent in a pre-order file or after it in a
# children-first one, a child starting inside its parent's bytes. Each: one error
# line naming the file ("not stored after its parent" in a pre-order file, "not
# stored before its parent" in a children-first one), exit 2, no output file.
. "$SRCDIR/tests/cli/lib.sh"
M=$(copytree bad)
mkdir -p "$T/out"
cp "$M/modules.dep.bin" "$T/dep.bin.good"
cp "$M/modules.alias.bin" "$T/alias.bin.good"
hdr() { be32 $((0xB007F457)); be32 $((0x00020001)); be32 "$1"; }
run() { ms -r "$M" --no-cache -o "$T/out/modules.list" "$@"; }
# the value of module top: its modules.dep line
topval() { be32 1; be32 0; printf 'kernel/drivers/bad/top.ko.xz:\000'; }
alias=pci:v00001234d00005678sv00000001sd00000002bc03sc00i00

echo "== pre-order, good: the root 't' at 12, its child \"op\" after it"
{ hdr $((0x2000000C)); printf 'tt'; be32 $((0xC0000012)); printf 'op\000'; topval; } \
	> "$M/modules.dep.bin"
ms -r "$M" --no-cache -f order --no-weak top
echo "== pre-order, cut: the same file less its last byte (a leaf: checked at start-up)"
{ hdr $((0x2000000C)); printf 'tt'; be32 $((0xC0000012)); printf 'op\000'; topval; } |
	head -c -1 > "$M/modules.dep.bin"
run top
echo "== pre-order, a node before the cut leaf: every root is an error, not only some"
{ hdr $((0x2000000C)); printf 'tu'; be32 $((0xC0000016)); be32 $((0xC0000037))
  printf 'op\000'; topval; printf 'x\000'; topval; } | head -c -1 > "$M/modules.dep.bin"
run top
echo "== pre-order: bytes after the last node"
{ hdr $((0x2000000C)); printf 'tt'; be32 $((0xC0000012)); printf 'op\000'; topval
  printf 'junk'; } > "$M/modules.dep.bin"
run top
echo "== pre-order: a node its own child"
{ hdr $((0x2000000C)); printf 'tt'; be32 $((0x2000000C)); } > "$M/modules.dep.bin"
run top
echo "== pre-order: two nodes, each the other's child (12 -> 18 -> 12)"
{ hdr $((0x2000000C)); printf 'tt'; be32 $((0x20000012)); printf 'oo'; be32 $((0x2000000C)); } \
	> "$M/modules.dep.bin"
run top
echo "== pre-order: a child pointing back before its parent (its parent's sibling)"
# 12: the root, 's' -> 22 and 't' -> 60; 22: the node of "s"; 60: the node of "t",
# whose 'o' child is the node at 22
{ hdr $((0x2000000C)); printf 'st'; be32 $((0x40000016)); be32 $((0x2000003C)); topval
  printf 'oo'; be32 $((0x40000016)); } > "$M/modules.dep.bin"
run top
echo "== pre-order: a child starting inside its parent's bytes (its own reference)"
{ hdr $((0x2000000C)); printf 'tt'; be32 $((0x8000000E)); } > "$M/modules.dep.bin"
run top

echo "== children first, good: \"op\" at 12, the root 't' after it"
{ hdr $((0x20000000 + 12 + 3 + 38)); printf 'op\000'; topval; printf 'tt'; be32 $((0xC000000C)); } \
	> "$M/modules.dep.bin"
ms -r "$M" --no-cache -f order --no-weak top
echo "== children first: a node its own child (the root at 13)"
{ hdr $((0x2000000D)); printf 'x'; printf 'tt'; be32 $((0x2000000D)); } > "$M/modules.dep.bin"
run top
echo "== children first: two nodes, each the other's child (19 -> 13 -> 19)"
{ hdr $((0x20000013)); printf 'x'; printf 'oo'; be32 $((0x20000013)); printf 'tt'
  be32 $((0x2000000D)); } > "$M/modules.dep.bin"
run top
echo "== children first: a child after its parent"
# 12: the node of 'o' (before the root, right), whose 'p' child is after the root
{ hdr $((0x20000012)); printf 'oo'; be32 $((0xC0000018)); printf 'tt'; be32 $((0x2000000C))
  printf '\000'; topval; } > "$M/modules.dep.bin"
run top
echo "== children first: a child running into its parent (its prefix ends in the root)"
{ hdr $((0x2000000E)); printf 'xy'; printf 'tt'; be32 $((0x8000000C)); } > "$M/modules.dep.bin"
run top
cp "$T/dep.bin.good" "$M/modules.dep.bin"

echo "== modules.alias.bin, children first: two nodes each the other's child, through '*'"
{ hdr $((0x20000013)); printf 'x'; printf 'aa'; be32 $((0x20000013)); printf '**'
  be32 $((0x2000000D)); } > "$M/modules.alias.bin"
run "$alias"
echo "== modules.alias.bin, pre-order: a node pointing back at its grandparent, under '*'"
{ hdr $((0x2000000C)); printf '**'; be32 $((0x20000012)); printf 'aa'; be32 $((0x20000018))
  printf 'bb'; be32 $((0x20000012)); } > "$M/modules.alias.bin"
run "$alias"
cp "$T/alias.bin.good" "$M/modules.alias.bin"
lsa "$T/out"
echo "== all indexes good again"
ms -r "$M" --no-cache -f order top
