#!/bin/sh
# An output file that cannot be created: its directory does not exist, a path
# component is a file (tests may run as root, for whom permission bits do not
# stop a write), the path is a directory (json, list, cpio, the --check report),
# -f dir into a file. One error line naming the path and the errno, exit 2,
# nothing left behind (no temporary file either).
. "$SRCDIR/tests/cli/lib.sh"
H=$(tree hard)
mkdir -p "$T/out"
: > "$T/out/afile"

echo "== -o /nonexistent/dir/x"
ms -r "$H" -o /nonexistent/dir/x lonely
echo "== -o a path under a regular file"
ms -r "$H" -o "$T/out/afile/x" lonely
echo "== -o an existing directory, for every format writing a file"
mkdir "$T/out/adir"
ms -r "$H" -f json -o "$T/out/adir" lonely
ms -r "$H" -f list -o "$T/out/adir" lonely
ms -q -r "$H" -f cpio -o "$T/out/adir" lonely
"$MODSET" -q -r "$H" -f cpio -o "$T/img.cpio" lonely
ms --check "$T/img.cpio" -r "$H" -o "$T/out/adir"
lsa "$T/out"
lsa "$T/out/adir"
echo "== -f dir -o an existing file"
ms -q -r "$H" -f dir -o "$T/out/afile" lonely
lsa "$T/out"
echo "== stdout that cannot be written (/dev/full)"
"$MODSET" -r "$H" lonely > /dev/full 2> "$T/err"
echo "[exit $?]"
cat "$T/err"
