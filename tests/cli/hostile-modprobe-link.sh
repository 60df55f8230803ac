#!/bin/sh
# Issue 12, hole 3: modprobe.d entries that are absolute symlinks, as Debian's
# alternatives links are. Inside a sysroot they mean the sysroot's path, as after
# chroot (lib/fs.c: openat2() RESOLVE_IN_ROOT; the walk without it refuses the link):
# the sysroot's /etc/alternatives file is read, used (a softdep), and copied by
# --with-config; a link to a path that only the host has is missing in the
# sysroot (a warning), and the host file's rule is never read.
. "$SRCDIR/tests/cli/lib.sh"
M=$(copytree hard)
S=$T/hard
mkdir -p "$S/etc/modprobe.d" "$S/etc/alternatives" "$T/host"
echo "softdep chain1 pre: dia_left" > "$S/etc/alternatives/x.conf"
ln -s /etc/alternatives/x.conf "$S/etc/modprobe.d/x.conf"
echo "softdep chain1 pre: chain7" > "$T/host/y.conf"
ln -s "$T/host/y.conf" "$S/etc/modprobe.d/y.conf"

echo "== -f list chain1: the sysroot's alternatives file, not the host's"
"$MODSET" -r "$M" --no-cache -f list chain1 2>&1 | rel "$T"
echo "-- MODSET_NO_OPENAT2=1: the same (the walk resolves them inside the sysroot too)"
MODSET_NO_OPENAT2=1 "$MODSET" -r "$M" --no-cache -f list chain1 2>&1 | rel "$T"
echo "== --with-config: the sysroot's file is copied"
"$MODSET" -r "$M" --no-cache -q --with-config -f dir -o "$T/out" chain1
echo "[exit $?]"
cat "$T/out/etc/modprobe.d/x.conf"
ls "$T/out/etc/modprobe.d"
