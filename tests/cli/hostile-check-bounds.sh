#!/bin/sh
# --check on images made to exhaust it: each bound is an error, exit 2, one line
# naming the image and the offset (or entry) and the limit, in bounded time and
# memory. The images are made by awk (newc entries) and compressed:
#   - a zstd segment of 300 MiB of NUL bytes (a bomb: 64 times its size at most,
#     and never less than 256 MiB are decompressed);
#   - 17,000 entries with 4 KiB names (more than 64 MiB of names);
#   - 1,000,001 entries;
#   - module symlinks looping on themselves under a 1,000-deep directory (more
#     than 256 MiB of path compared resolving them);
#   - a pipe of more than 2 GiB (the image is read into memory: 2 GiB at most).
# Under VALGRIND=1 the binary itself: these are about bounds, not leaks, and a
# gigabyte through valgrind would take minutes.
. "$SRCDIR/tests/cli/lib.sh"
MODSET=${MODSET_UNWRAPPED:-$MODSET}
H=$(tree hard)
K=$(basename "$H")

# newc: entries from "TYPE PATH [TARGET]" lines on stdin (TYPE d, f, l), a trailer
newc() {
	awk 'function hdr(name, mode, size) {
		printf "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s%c",
			++ino, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, length(name) + 1, 0, name, 0
		pad(110 + length(name) + 1)
	}
	function pad(n) { while (n % 4) { printf "%c", 0; n++ } }
	$1 == "d" { hdr($2, 16877, 0) }
	$1 == "f" { hdr($2, 33188, 0) }
	$1 == "l" { hdr($2, 41471, length($3)); printf "%s", $3; pad(length($3)) }
	END { hdr("TRAILER!!!", 0, 0) }'
}

echo "== a zstd bomb: 300 MiB of NUL bytes"
head -c 300M /dev/zero | zstd -q -c > "$T/bomb.zst"
ms --check "$T/bomb.zst" -r "$H" chain1 | sed "s|$T|@T@|g"

echo "== 17,000 entries with 4 KiB names"
awk 'BEGIN { n = "lib"; while (length(n) < 4000) n = n "/dddddddd"
	print "d lib"; for (i = 0; i < 17000; i++) print "f " n "/f" i }' | newc |
	zstd -q -c > "$T/names.zst"
ms --check "$T/names.zst" -r "$H" chain1 | sed "s|$T|@T@|g"

echo "== 1,000,001 entries"
awk 'BEGIN { for (i = 0; i <= 1000000; i++) print "f e" i }' | newc | zstd -q -c > "$T/many.zst"
ms --check "$T/many.zst" -r "$H" chain1 | sed "s|$T|@T@|g"

echo "== module symlinks looping on themselves under a 1,000-deep directory"
awk -v k="$K" 'BEGIN { d = "lib/modules/" k; for (i = 0; i < 1000; i++) d = d "/a"
	for (i = 0; i < 20; i++) print "l " d "/loop" i ".ko loop" i ".ko" }' | newc > "$T/loops.cpio"
ms --check "$T/loops.cpio" -r "$H" chain1 | sed -e "s|$T|@T@|g" -e "s|\(/a\)\{3,\}|/a/a/.../a|"

echo "== more than 2 GiB through a pipe"
head -c 2100M /dev/zero | "$MODSET" --check - -r "$H" chain1 2>&1
echo "[exit $?]"
