#!/bin/sh
# Compressed modules that lie (truncated streams and damaged or missing magic:
# err-ko-xz-truncated.sh, err-ko-zst-corrupt.sh). The decompressor is picked by
# magic, not by file name, as libkmod picks it. Decompression stops at a limit
# (MODSET_MODULE_SIZE_MAX, default 256 MiB): a few KB of .ko.zst or .ko.xz that
# would expand past it is refused with the limit named, before that memory is
# spent; under the limit a stream of zeros is read to its end and refused as not
# ELF, and a real module padded with 64 MiB of zeros is read like any other.
# Streams cut short, bytes after the last stream, bad stream padding, and the
# ELF files libkmod 30 aborts on, once compressed, are one error line each.
# No crash, no output file on error. (4 MiB of padding instead of 64 under
# VALGRIND=1.)
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
# le N BYTES: N as BYTES little-endian bytes
le() {
	n=$1 i=0
	while [ $i -lt "$2" ]; do
		printf "$(printf '\\%03o' $((n & 255)))"
		n=$((n >> 8)) i=$((i + 1))
	done
}

echo "== .ko.zst: MiBs of zeros"
head -c $bomb /dev/zero | zstd -q -3 -c > "$z"
[ "$(wc -c < "$z")" -lt 8192 ] && echo "(less than 8 KiB on disk)"
ms -r "$M" --no-cache -o "$T/out/modules.list" zmod
lsa "$T/out"
echo "== .ko.zst: 17 MiB of zeros, limit 16 MiB (size not in the frame header)"
head -c $((17 << 20)) /dev/zero | zstd -q -3 -c > "$z"
MODSET_MODULE_SIZE_MAX=16M ms -r "$M" --no-cache -o "$T/out/modules.list" zmod
echo "== .ko.zst: 17 MiB of zeros, limit 16 MiB (size in the frame header)"
head -c $((17 << 20)) /dev/zero > "$T/zeros"
zstd -q -3 -c "$T/zeros" > "$z"
MODSET_MODULE_SIZE_MAX=16M ms -r "$M" --no-cache -o "$T/out/modules.list" zmod
echo "== .ko.zst: the module, limit just below and at its size"
zstd -q -c "$T/zmod.ko" > "$z"
n=$(wc -c < "$T/zmod.ko")
MODSET_MODULE_SIZE_MAX=$((n - 1)) ms -r "$M" --no-cache -f order zmod | sed "s/$((n - 1)) bytes/N-1 bytes/"
MODSET_MODULE_SIZE_MAX=$n ms -r "$M" --no-cache -f order zmod
echo "== .ko.zst: truncated"
head -c $(($(wc -c < "$T/zmod.good") - 8)) "$T/zmod.good" > "$z"
ms -r "$M" --no-cache -f order zmod
echo "== .ko.zst: magic only"
printf '\050\265\057\375' > "$z"
ms -r "$M" --no-cache -f order zmod
echo "== .ko.zst: ELF with section name table index 0 (libkmod 30 aborts)"
cp "$T/zmod.ko" "$T/bad.ko"
printf '\000\000' | dd of="$T/bad.ko" bs=1 seek=62 conv=notrunc 2>/dev/null
zstd -q -c "$T/bad.ko" > "$z"
ms -r "$M" --no-cache -o "$T/out/modules.list" zmod
echo "== .ko.zst holding a gzip stream"
gzip -c "$T/zmod.ko" > "$z"
ms -r "$M" --no-cache -f order zmod
echo "== .ko.zst holding a truncated gzip stream"
gzip -c "$T/zmod.ko" | head -c 300 > "$z"
ms -r "$M" --no-cache -f order zmod
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
echo "== .ko.xz: two streams with stream padding (the module, then junk)"
{ cat "$T/top.good"; printf '\000\000\000\000'; printf 'junk' | xz -q -c; } > "$x"
ms -r "$M" --no-cache -f order top
echo "== .ko.xz: stream padding not a multiple of 4 bytes"
{ cat "$T/top.good"; printf '\000\000\000'; } > "$x"
ms -r "$M" --no-cache -f order top
echo "== .ko.xz: truncated"
head -c $(($(wc -c < "$T/top.good") - 8)) "$T/top.good" > "$x"
ms -r "$M" --no-cache -f order top
echo "== .ko.xz: a byte of the compressed data flipped"
cp "$T/top.good" "$x"
printf '\377' | dd of="$x" bs=1 seek=100 conv=notrunc 2>/dev/null
ms -r "$M" --no-cache -f order top
echo "== .ko.xz: ELF with an empty name table at the end of the file (libkmod 30 aborts)"
cp "$T/top.ko" "$T/bad.ko"
size=$(wc -c < "$T/bad.ko")
shoff=$(od -An -tu8 -j 40 -N8 "$T/bad.ko" | tr -d ' ')
shstrndx=$(od -An -tu2 -j 62 -N2 "$T/bad.ko" | tr -d ' ')
{ le "$size" 8; le 0 8; } | dd of="$T/bad.ko" bs=1 seek=$((shoff + shstrndx * 64 + 24)) \
	conv=notrunc 2>/dev/null
xz -q -c "$T/bad.ko" > "$x"
ms -r "$M" --no-cache -o "$T/out/modules.list" top
echo "== .ko.xz: MiBs of zeros"
head -c $bomb /dev/zero | xz -q -0 -c > "$x"
ms -r "$M" --no-cache -o "$T/out/modules.list" top
echo "== .ko.xz: 17 MiB of zeros, limit 16 MiB"
xz -q -0 -c "$T/zeros" > "$x"
MODSET_MODULE_SIZE_MAX=16M ms -r "$M" --no-cache -o "$T/out/modules.list" top
lsa "$T/out"
cp "$T/top.good" "$x"
echo "== the good files again"
ms -r "$M" --no-cache -f order top zmod
