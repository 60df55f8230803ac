#!/bin/sh
# Module files that are not what they claim: a FIFO (refused without blocking:
# no hang), not ELF at all, empty, cut short, section headers out of bounds, and
# the malformed ELF files on which libkmod 30 (Debian 12) asserts -- aborting the
# whole process -- instead of failing: a section name table index of 0 or past
# the table, an empty name table at the very end of the file. Each is one error
# line naming the file and the reason, exit 2, no output file. Valid ELF that
# libkmod 30 also asserts on is read (lib/modinfo.c reads .modinfo itself, within
# bounds): an empty .modinfo at the very end of the file, a .modinfo ending there
# (libkmod reads the byte after it); a .modinfo without its final NUL is read
# too (libkmod ends the last string itself). The module read is base.ko (plain;
# the tree has no modules.weakdep, so its .modinfo is read for weakdep=).
. "$SRCDIR/tests/cli/lib.sh"
M=$(copytree bad)
mkdir -p "$T/out"
f=$M/kernel/lib/base.ko
cp "$f" "$T/base.ko.good"
READELF=$(command -v readelf || echo /usr/bin/readelf)

# u16 OFF / u64 OFF: little-endian integers of the good file
u16() { od -An -tu2 -j "$1" -N2 "$T/base.ko.good" | tr -d ' '; }
u64() { od -An -tu8 -j "$1" -N8 "$T/base.ko.good" | tr -d ' '; }
# le N BYTES: N as BYTES little-endian bytes
le() {
	n=$1 i=0
	while [ $i -lt "$2" ]; do
		printf "$(printf '\\%03o' $((n & 255)))"
		n=$((n >> 8)) i=$((i + 1))
	done
}
# poke OFF BYTES N: write N (BYTES bytes) at OFF of a fresh copy of the good file
poke() {
	cp "$T/base.ko.good" "$f"
	le "$3" "$2" | dd of="$f" bs=1 seek="$1" conv=notrunc 2>/dev/null
}
run() {
	ms -r "$M" --no-cache -o "$T/out/modules.list" base
}
shoff=$(u64 40) shnum=$(u16 60) shstrndx=$(u16 62)
size=$(wc -c < "$T/base.ko.good")
mi=$("$READELF" -S -W "$T/base.ko.good" | sed -n 's/^ *\[ *\([0-9]*\)\] \.modinfo .*/\1/p')
mi_hdr=$((shoff + mi * 64)) str_hdr=$((shoff + shstrndx * 64))
mi_off=$(u64 $((mi_hdr + 24))) mi_size=$(u64 $((mi_hdr + 32)))
echo "(base.ko: $size bytes, $shnum sections, names in $shstrndx, .modinfo is $mi)"

echo "== a FIFO (opening or reading it would block forever)"
rm "$f" && mkfifo "$f"
run
rm "$f"
echo "== not ELF (a text file)"
echo "this is not a module" > "$f"
run
echo "== empty"
: > "$f"
run
echo "== the ELF header alone (64 bytes)"
head -c 64 "$T/base.ko.good" > "$T/part" && cat "$T/part" > "$f"
run
echo "== cut before the section headers end"
head -c $((size - 10)) "$T/base.ko.good" > "$T/part" && cat "$T/part" > "$f"
run
echo "== 32-bit class byte on a 64-bit file"
poke 4 1 1
run
echo "== section headers past the end of the file (e_shoff)"
poke 40 8 $((size * 4))
run
echo "== 65535 section headers (e_shnum)"
poke 60 2 65535
run
echo "== wrong section header size (e_shentsize)"
poke 58 2 40
run
echo "== section name table index 0 (libkmod 30 asserts)"
poke 62 2 0
run
echo "== section name table index past the table (libkmod 30 asserts)"
poke 62 2 "$shnum"
run
echo "== section name table at the end of the file, empty (libkmod 30 asserts)"
cp "$T/base.ko.good" "$f"
{ le "$size" 8; le 0 8; } | dd of="$f" bs=1 seek=$((str_hdr + 24)) conv=notrunc 2>/dev/null
run
echo "== .modinfo offset past the end of the file (no .modinfo then)"
poke $((mi_hdr + 24)) 8 $((size * 2))
run
lsa "$T/out"
echo "== .modinfo at the end of the file, empty (libkmod 30 asserts): read, empty"
cp "$T/base.ko.good" "$f"
{ le "$size" 8; le 0 8; } | dd of="$f" bs=1 seek=$((mi_hdr + 24)) conv=notrunc 2>/dev/null
ms -r "$M" --no-cache -f order base
echo "== .modinfo moved to the end of a file of 8192 bytes (libkmod reads past it): read"
cp "$T/base.ko.good" "$f"
head -c $((8192 - size - mi_size)) /dev/zero >> "$f"
dd if="$T/base.ko.good" bs=1 skip="$mi_off" count="$mi_size" 2>/dev/null >> "$f"
le $((8192 - mi_size)) 8 | dd of="$f" bs=1 seek=$((mi_hdr + 24)) conv=notrunc 2>/dev/null
wc -c < "$f"
ms -r "$M" --no-cache -f order base
echo "== .modinfo without its final NUL: read"
cp "$T/base.ko.good" "$f"
printf 'X' | dd of="$f" bs=1 seek=$((mi_off + mi_size - 1)) conv=notrunc 2>/dev/null
ms -r "$M" --no-cache -f order base
echo "== the good file again"
cp "$T/base.ko.good" "$f"
ms -r "$M" --no-cache -f order top
