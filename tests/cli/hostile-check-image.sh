#!/bin/sh
# --check IMAGE on hostile images, beyond check-bad.sh (unreadable, empty, only
# NULs, unknown compression, truncated or corrupt segments, junk, ".." and
# absolute entry paths): a compressed segment of 256 MiB of zeros (read as a
# stream, no 256 MiB buffer, in bounded time), a cpio name size or file size of
# 4 GiB, a segment of garbage after a good one. Each is one error line naming the
# image and the byte offset, exit 2 (the good image: exit 0); --check writes
# nothing.
. "$SRCDIR/tests/cli/lib.sh"
H=$(tree hard)
mkdir -p "$T/img"
cd "$T/img" || exit 1
chk() {
	echo "== $1"
	"$MODSET" -r "$H" --no-cache --check "$2" > "$T/out" 2>&1
	echo "[exit $?]"
	grep -E 'error|result' "$T/out" | sed 's/offset [0-9]* of its decompressed/offset N of its decompressed/'
}
# newc NAME DATA [FILESIZE]: one newc cpio entry (FILESIZE: the header's, when it lies)
newc() {
	namesize=$((${#1} + 1)) size=${3:-${#2}}
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		1 33188 0 0 1 0 "$size" 0 0 0 0 "$namesize" 0
	printf '%s\000' "$1"
	pad=$(((4 - (110 + namesize) % 4) % 4)); head -c $pad /dev/zero
	printf '%s' "$2"
	pad=$(((4 - ${#2} % 4) % 4)); head -c $pad /dev/zero
}

"$MODSET" -r "$H" --no-cache --no-firmware -f cpio --compress none -o good.cpio lonely chain3 \
	2>/dev/null
chk "a good image" good.cpio
{ cat good.cpio; printf 'garbage!'; } > good+garbage.cpio
chk "a good image, then garbage" good+garbage.cpio
# 256 MiB (16 under VALGRIND=1)
bomb=$((256 << 20))
[ "${VALGRIND:-}" = 1 ] && bomb=$((16 << 20))
head -c $bomb /dev/zero | zstd -q -3 -c > zeros.zst
chk "zstd segment of MiBs of zeros" zeros.zst
{ printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
	1 33188 0 0 1 0 0 0 0 0 0 4294967295 0; printf 'name\000'; } > namesize.cpio
chk "a name size of 4 GiB" namesize.cpio
{ newc lib/modules/6.1.0-hard/kernel/big.ko 'x' 4294967295; } > filesize.cpio
chk "a file size of 4 GiB" filesize.cpio
lsa "$T/img" | tail -1
