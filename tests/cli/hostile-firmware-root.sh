#!/bin/sh
# Issue 12, hole 4: the default firmware directories are found inside the sysroot,
# as after chroot (lib/firmware.c sysroot_dir(): openat2() RESOLVE_IN_ROOT from the
# sysroot's fd). SYSROOT/lib/firmware an absolute link to a directory of the host
# means SYSROOT's directory of that name: the host's firmware never goes into the
# image. And a module directory not under [/usr]/lib/modules has no sysroot, so no
# default firmware directories (libmodset(3)): never the host's /usr/lib/firmware.
. "$SRCDIR/tests/cli/lib.sh"
M=$(copytree fw)
S=$T/fw
mkdir -p "$T/host/fw" "$S$T/host/fw"
echo HOST-FIRMWARE > "$T/host/fw/plain.bin"
echo SYSROOT-FIRMWARE > "$S$T/host/fw/plain.bin"
rm -rf "$S/lib/firmware" && ln -s "$T/host/fw" "$S/lib/firmware"

echo "== SYSROOT/lib/firmware -> $T/host/fw (absolute): the sysroot's copy"
"$MODSET" -r "$M" --no-cache -q -f dir -o "$T/out" fwplain; echo "[exit $?]"
cat "$T/out/lib/firmware/plain.bin"
echo "-- MODSET_NO_OPENAT2=1: the same (the walk resolves the link inside the sysroot too)"
rm -rf "$T/out"
MODSET_NO_OPENAT2=1 "$MODSET" -r "$M" --no-cache -q -f dir -o "$T/out" fwplain
echo "[exit $?]"
find "$T/out" -name plain.bin | wc -l

echo "== a module directory not under lib/modules: no default firmware directories"
mkdir -p "$T/elsewhere" && cp -a "$M" "$T/elsewhere/"
MODSET_LOG=info "$MODSET" -r "$T/elsewhere/${M##*/}" --no-cache -f dir -o "$T/out2" fwplain 2>&1 |
	grep -e 'firmware director' | rel "$T"
