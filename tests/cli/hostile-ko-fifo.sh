#!/bin/sh
# A module file that is a FIFO, for the image formats (-f cpio, -f dir) with
# --no-weak: opening or reading it would block forever. Each run is under
# `timeout 20` (exit 124 would show a hang). First as found: the modinfo read
# refuses it. Then past the modinfo read, through a cache entry made to match the
# FIFO (as if read before; the cache trusts size, times, inode and device): the
# image writer must refuse it itself (fs_open_regular(): O_NONBLOCK, regular
# files only, "not a regular file"). Each time one error line naming the file, exit 2, no output file,
# no temporary file; -f dir made no directory in the first case, and in the second
# keeps what it installed before (as after an interrupted install), no base.ko.
. "$SRCDIR/tests/cli/lib.sh"
M=$(copytree bad)
mkdir -p "$T/out"
f=$M/kernel/lib/base.ko
TIMEOUT=$(command -v timeout || echo timeout)

img() { # FORMAT ARGS...
	fmt=$1
	shift
	"$TIMEOUT" 20 "$MODSET" -r "$M" --no-weak -f "$fmt" -o "$T/out/img.$fmt" "$@" base 2>&1
	echo "[exit $?]"
}

echo "== base.ko is a FIFO"
rm "$f" && mkfifo "$f"
img cpio --no-cache
img dir --no-cache
lsa "$T/out"

echo "== the same, past the modinfo read (a cache entry matching the FIFO)"
rm "$f" && cp "$FIXTURES/bad/lib/modules/${M##*/}/kernel/lib/base.ko" "$f"
"$MODSET" -q -r "$M" --cache-dir "$T/cache" -f list base > /dev/null
rm "$f" && mkfifo "$f"
c=$(echo "$T"/cache/modinfo-*.cache)
# kernel/lib/base.ko SIZE MTIME_NS CTIME_NS INO DEV, for the FIFO
ns() { echo "$1" | awk -F. '{ printf "%s%s\n", $1, substr($2 "000000000", 1, 9) }'; }
set -- $(stat -c '%s %.9Y %.9Z %i %d' "$f")
awk -v l="kernel/lib/base.ko	$1	$(ns "$2")	$(ns "$3")	$4	$5" -F '\t' \
	'$1 == "kernel/lib/base.ko" { print l; next } 1' "$c" > "$c.new" && mv "$c.new" "$c"
"$MODSET" -r "$M" --cache-dir "$T/cache" -f list base > /dev/null 2>&1 &&
	echo "(the cache entry is used: the modinfo read is skipped)"
img cpio --cache-dir "$T/cache"
img dir --cache-dir "$T/cache"
lsa "$T/out"
echo "in img.dir: $(find "$T/out/img.dir" -name base.ko | wc -l) base.ko," \
	"$(find "$T/out/img.dir" -name '.*' | wc -l) temporary files"
