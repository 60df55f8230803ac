#!/bin/sh
# An output file that cannot be created: its directory does not exist, a path
# component is a file (tests may run as root, for whom permission bits do not
# stop a write), the path is a directory. One error line naming the path, exit
# 2, nothing left behind (no temporary file either).
. "$SRCDIR/tests/cli/lib.sh"
H=$(tree hard)
mkdir -p "$T/out"
: > "$T/out/afile"

echo "== -o /nonexistent/dir/x"
ms -r "$H" -o /nonexistent/dir/x lonely
echo "== -o a path under a regular file"
ms -r "$H" -o "$T/out/afile/x" lonely
echo "== -o an existing directory"
mkdir "$T/out/adir"
ms -r "$H" -f json -o "$T/out/adir" lonely
lsa "$T/out"
lsa "$T/out/adir"
echo "== stdout that cannot be written (/dev/full)"
"$MODSET" -r "$H" lonely > /dev/full 2> "$T/err"
echo "[exit $?]"
cat "$T/err"
