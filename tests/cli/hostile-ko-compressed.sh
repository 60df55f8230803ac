#!/bin/sh
# Compressed modules that lie (truncated streams and damaged or missing magic:
# err-ko-xz-truncated.sh, err-ko-zst-corrupt.sh). libkmod picks the decompressor
# by magic, not by file name, and decompresses the whole file into memory with no
# size limit: a 2 KB .ko.zst of zeros costs 64 MiB here (a 33 KB one, 1 GiB; see
# tests/README). Such a file is read to its end and refused as not ELF (exit 2);
# a real module padded with 64 MiB of zeros is read like any other. No crash, no
# output file on error. (4 MiB instead of 64 under VALGRIND=1: libkmod grows its
# buffer 8 KiB at a time, and valgrind's realloc always copies.)
. "$SRCDIR/tests/cli/lib.sh"
M=$(copytree bad)
mkdir -p "$T/out"
z=$M/kernel/drivers/bad/zmod.ko.zst x=$M/kernel/drivers/bad/top.ko.xz
bomb=$((64 << 20))
[ "${VALGRIND:-}" = 1 ] && bomb=$((4 << 20))
cp "$z" "$T/zmod.good"
cp "$x" "$T/top.good"
zstd -dq -c "$T/zmod.good" > "$T/zmod.ko"
xz -dq -c "$T/top.good" > "$T/top.ko"

echo "== .ko.zst: MiBs of zeros"
head -c $bomb /dev/zero | zstd -q -3 -c > "$z"
[ "$(wc -c < "$z")" -lt 8192 ] && echo "(less than 8 KiB on disk)"
ms -r "$M" --no-cache -o "$T/out/modules.list" zmod
lsa "$T/out"
echo "== .ko.zst: the module, then MiBs of zeros"
{ cat "$T/zmod.ko"; head -c $bomb /dev/zero; } | zstd -q -3 -c > "$z"
ms -r "$M" --no-cache -f order zmod
echo "== .ko.zst holding an xz stream (magic wins over the name)"
xz -q -c "$T/zmod.ko" > "$z"
ms -r "$M" --no-cache -f order zmod
echo "== .ko.zst holding the plain ELF file"
cp "$T/zmod.ko" "$z"
ms -r "$M" --no-cache -f order zmod
echo "== .ko.zst: two frames (the module, then a second frame of junk)"
{ cat "$T/zmod.good"; printf 'junk' | zstd -q -c; } > "$z"
ms -r "$M" --no-cache -f order zmod
echo "== .ko.zst: a valid frame followed by garbage bytes"
{ cat "$T/zmod.good"; printf 'garbage'; } > "$z"
ms -r "$M" --no-cache -o "$T/out/modules.list" zmod
cp "$T/zmod.good" "$z"
echo "== .ko.xz: magic gone"
cp "$T/top.good" "$x"
printf '\000\000\000\000' | dd of="$x" bs=1 seek=0 conv=notrunc 2>/dev/null
ms -r "$M" --no-cache -o "$T/out/modules.list" top
echo "== .ko.xz: a valid stream followed by garbage bytes"
{ cat "$T/top.good"; printf 'garbage'; } > "$x"
ms -r "$M" --no-cache -o "$T/out/modules.list" top
echo "== .ko.xz: MiBs of zeros"
head -c $bomb /dev/zero | xz -q -0 -c > "$x"
ms -r "$M" --no-cache -o "$T/out/modules.list" top
lsa "$T/out"
cp "$T/top.good" "$x"
echo "== the good files again"
ms -r "$M" --no-cache -f order top zmod
