#!/bin/sh
# A module file that is a FIFO, for the image formats (-f cpio, -f dir) with
# --no-weak: opening or reading it would block forever. Each run is under
# `timeout 20` (exit 124 would show a hang). First as found: the modinfo read
# refuses it. Then with a cache that has an entry for base.ko (read before the
# FIFO took its place): entries are keyed by a hash of the file's bytes, which a
# FIFO has none of, so it is never a hit, and the module reader refuses the FIFO
# (fs_open_regular(): O_NONBLOCK, regular files only, "not a regular file"). Each
# time one error line naming the file, exit 2, no output file, no temporary file;
# -f dir makes no directory.
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

echo "== the same, with a cache entry for base.ko read before"
rm "$f" && cp "$FIXTURES/bad/lib/modules/${M##*/}/kernel/lib/base.ko" "$f"
"$MODSET" -q -r "$M" --cache-dir "$T/cache" -f list base > /dev/null
grep -c '^kernel/lib/base.ko' "$T"/cache/modinfo-*.cache
rm "$f" && mkfifo "$f"
img cpio --cache-dir "$T/cache"
img dir --cache-dir "$T/cache"
lsa "$T/out"
