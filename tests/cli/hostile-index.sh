#!/bin/sh
# kmod indexes with damage the err-depbin-*.sh tests do not show: a loop of two
# nodes met by a wildcard search (modules.alias.bin), a child range whose first
# character is after its last, a prefix or a value running into the end of the
# file, a child pointing into the middle of another node, an index with no root
# (empty: everything "not found"), and the indexes whose header is checked at
# start-up and whose nodes are checked as they are read: modules.builtin.bin on the
# path of each lookup, modules.builtin.alias.bin and modules.symbols.bin by the
# alias searches that reach them (kmod's order: modules.symbols.bin for "symbol:"
# roots only, modules.builtin.alias.bin when no other index answered), so damage
# that no search reaches does not matter. Errors: one line naming the file, exit 2,
# no output; damage that still parses as a trie only finds nothing (a warning,
# exit 0).
. "$SRCDIR/tests/cli/lib.sh"
M=$(copytree bad)
mkdir -p "$T/out"
for f in "$M"/*.bin; do cp "$f" "$T/${f##*/}.good"; done
restore() { for f in "$M"/*.bin; do cp "$T/${f##*/}.good" "$f"; done; }
hdr() { be32 $((0xB007F457)); be32 $((0x00020001)); be32 "$1"; }
run() { ms -r "$M" --no-cache -o "$T/out/modules.list" "$@"; }
alias=pci:v00001234d00005678sv00000001sd00000002bc03sc00i00

echo "== modules.alias.bin: two nodes, each the other's child (through '*'), and an alias root"
{ hdr $((0x2000000C)); printf '**'; be32 $((0x20000012)); printf 'aa'; be32 $((0x2000000C)); } \
	> "$M/modules.alias.bin"
run "$alias"
echo "== the same index, a module name root: an error too (a pre-order file: its last path is checked at start-up)"
ms -r "$M" --no-cache -f order top
restore

echo "== modules.dep.bin: child range z..a"
{ hdr $((0x2000000C)); printf 'za'; be32 0; } > "$M/modules.dep.bin"
run top
echo "== modules.dep.bin: a prefix running into the end of the file"
{ hdr $((0x8000000C)); printf 'top'; } > "$M/modules.dep.bin"
run top
echo "== modules.dep.bin: a value running into the end of the file"
{ hdr $((0xC000000C)); printf 'top\000'; be32 1; be32 0; printf 'kernel/drivers/bad/top.ko.xz:'; } \
	> "$M/modules.dep.bin"
run top
echo "== modules.dep.bin: a child pointing into the middle of a string"
# (children before their parent, as depmod writes them: the node "op" at 12, the
# root after it, whose 't' child starts at the 'p')
{ hdr $((0x20000000 + 12 + 3 + 8 + 30)); printf 'op\000'; be32 1; be32 0
  printf 'kernel/drivers/bad/top.ko.xz:\000'; printf 'tt'; be32 $((0xC000000D)); } \
	> "$M/modules.dep.bin"
ms -r "$M" --no-cache -f order top
echo "== modules.dep.bin: the same, parent first (depmod 34's pre-order: the root at 12): read"
{ hdr $((0x2000000C)); printf 'tt'; be32 $((0xC0000012)); printf 'op\000'; be32 1; be32 0
  printf 'kernel/drivers/bad/top.ko.xz:\000'; } > "$M/modules.dep.bin"
run top
echo "== modules.dep.bin: pre-order, a child pointing back at its parent (a loop)"
{ hdr $((0x2000000C)); printf 'tt'; be32 $((0x2000000C)); } > "$M/modules.dep.bin"
run top
echo "== modules.dep.bin: children first (the root not at 12), a child after its parent"
{ hdr $((0x2000000D)); printf 'x'; printf 'tt'; be32 $((0xC0000013)); printf 'op\000'; be32 1
  be32 0; printf 'kernel/drivers/bad/top.ko.xz:\000'; } > "$M/modules.dep.bin"
run top
echo "== modules.dep.bin: no root (offset 0): every module unknown"
hdr 0 > "$M/modules.dep.bin"
ms -r "$M" --no-cache -f order top
restore

echo "== modules.builtin.bin: bad magic (checked at start-up, any root)"
printf 'XXXX' | dd of="$M/modules.builtin.bin" bs=1 conv=notrunc 2>/dev/null
run top
restore
echo "== modules.builtin.alias.bin: a node its own '*' child (pre-order: found at start-up, any root)"
{ hdr $((0x2000000C)); printf '**'; be32 $((0x2000000C)); } > "$M/modules.builtin.alias.bin"
run top
rm -f "$T/out/modules.list"
run crypto-anything
restore
echo "== modules.symbols.bin: truncated header"
head -c 8 "$T/modules.symbols.bin.good" > "$M/modules.symbols.bin"
run top
restore
echo "== modules.symbols.bin: child past the end, and a symbol: root"
{ hdr $((0x2000000C)); printf '**'; be32 $((0x20FFFFFF)); } > "$M/modules.symbols.bin"
run symbol:base_fn
lsa "$T/out"
echo "== the same index, an alias root: refused too (pre-order: its last path is checked at start-up)"
ms -r "$M" --no-cache -f order "$alias"
restore
echo "== all indexes good again"
ms -r "$M" --no-cache -f order top
