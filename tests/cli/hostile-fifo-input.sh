#!/bin/sh
# Issue 12, hole 10: FIFOs where the tool reads a file: a .bin index, a modprobe.d
# *.conf (the cache file: hostile-cache). Every input is opened O_NONBLOCK and refused unless it is
# a regular file (lib/fs.c fs_open_regular(): "not a regular file"), so nothing
# hangs: each run is under `timeout 20` (exit 124 would be a hang). An index is an
# error (exit 2), a modprobe.d file a warning.
. "$SRCDIR/tests/cli/lib.sh"
M=$(copytree hard)
S=$T/hard
TIMEOUT=$(command -v timeout || echo timeout)
t() { "$TIMEOUT" 20 "$MODSET" "$@" 2>&1 | rel "$T"; }

echo "== modules.alias.bin is a FIFO"
mv "$M/modules.alias.bin" "$T/saved" && mkfifo "$M/modules.alias.bin"
t -r "$M" --no-cache -f list chain1
"$TIMEOUT" 20 "$MODSET" -r "$M" --no-cache -f list chain1 > /dev/null 2>&1; echo "[exit $?]"
rm "$M/modules.alias.bin" && mv "$T/saved" "$M/modules.alias.bin"

echo "== etc/modprobe.d/x.conf is a FIFO"
mkdir -p "$S/etc/modprobe.d" && mkfifo "$S/etc/modprobe.d/x.conf"
t -r "$M" --no-cache -f list chain1
"$TIMEOUT" 20 "$MODSET" -r "$M" --no-cache -f list chain1 > /dev/null 2>&1; echo "[exit $?]"
rm "$S/etc/modprobe.d/x.conf"

