#!/bin/sh
# -o onto a symlink to a device: the atomic temporary-file-and-rename must not
# replace the link (or, through "-o /dev/null" or "-o /dev/stdout" run as
# root, the device node itself) with a regular file. Writing to /dev/null
# succeeds; writing to /dev/full fails (exit 2, "No space left on device");
# the links stay links. (Only links under $T are used: a buggy binary must
# not be able to damage /dev.)
. "$SRCDIR/tests/cli/lib.sh"
H=$(tree hard)
mkdir -p "$T/out"
ln -s /dev/null "$T/out/null"
ln -s /dev/full "$T/out/full"

echo "== -o link to /dev/null"
ms -r "$H" -f order -o "$T/out/null" lonely
[ -L "$T/out/null" ] && echo "still a symlink" || echo "REPLACED by a regular file"
echo "== -o link to /dev/full"
ms -r "$H" -f order -o "$T/out/full" lonely 2>&1 | sed "s|$T|@T@|"
[ -L "$T/out/full" ] && echo "still a symlink" || echo "REPLACED by a regular file"
lsa "$T/out"
