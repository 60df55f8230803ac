#!/bin/sh
# Firmware: every firmware= name of the set (builtins too) looked up in the
# kernel's directories under the sysroot (updates/KVER, updates, KVER, base; lib
# then usr/lib), the name, then .zst, then .xz; glob names take every match; a
# symlink stays a symlink and its target comes too; json lists them; a missing
# name is a warning naming the module (an error under --strict, exit 3); a symlink
# leading out of the firmware directory, or dangling, is an error (exit 2, no
# output). Without any firmware directory nothing is looked up.
. "$SRCDIR/tests/cli/lib.sh"
M=$(copytree fw)
R=$T/fw
FW=$R/lib/firmware
mkdir -p "$FW/vendor" "$FW/gpu" "$FW/common" "$FW/updates/6.1.0-fw" "$R/usr/lib/firmware/bi" "$T/elsewhere"
echo plain > "$FW/plain.bin"
echo newer > "$FW/updates/6.1.0-fw/plain.bin"
echo a | zstd -q > "$FW/vendor/a.bin.zst"
echo a-xz | xz > "$FW/vendor/a.bin.xz"
echo f1 > "$FW/gpu/fam_1.bin"
echo f2 | xz > "$FW/gpu/fam_2.bin.xz"
echo other > "$FW/gpu/other.bin"
echo target > "$FW/common/target.bin"
ln -s common/target.bin "$FW/link.bin"
ln -s ../common/target.bin "$FW/vendor/rel-link.bin"
echo blob > "$R/usr/lib/firmware/bi/blob.bin"
echo secret > "$T/elsewhere/escape.bin"
ln -s ../../../elsewhere/escape.bin "$FW/escape.bin"
ln -s nowhere.bin "$FW/dangle.bin"

echo "== json: found files, links, missing"
msj -r "$M" -f json fwplain fwglob fwlink fwbuiltin
echo "== --strict: missing firmware is an error"
ms -q --strict -r "$M" -f json -o "$T/s.json" fwplain
ls "$T/s.json" 2>/dev/null
echo "== cpio: the firmware in the image, symlinks kept"
ms -q -r "$M" -f cpio -o "$T/f.cpio" fwplain fwglob fwlink fwbuiltin
bsdcpio -itv --quiet < "$T/f.cpio" | grep firmware | awk '{print $1, $9, $10, $11}'
mkdir "$T/u" && (cd "$T/u" && bsdcpio -id --quiet < "$T/f.cpio")
cat "$T/u/lib/firmware/link.bin" "$T/u/lib/firmware/vendor/rel-link.bin" "$T/u/lib/firmware/updates/6.1.0-fw/plain.bin"
echo "== --firmware-path replaces the defaults"
mkdir -p "$T/fp1" "$T/fp2/vendor"
echo one > "$T/fp1/plain.bin"
echo two > "$T/fp2/plain.bin"
echo va > "$T/fp2/vendor/a.bin"
ms -r "$M" -f cpio --firmware-path "$T/fp1:$T/fp2" -o "$T/p.cpio" fwplain
bsdcpio -it --quiet < "$T/p.cpio" | grep firmware
echo "== --no-firmware"
ms -q -r "$M" -f cpio --no-firmware -o "$T/n.cpio" fwplain
bsdcpio -it --quiet < "$T/n.cpio" | grep -c firmware
echo "== a symlink leading out of the firmware directory: error, no output"
ms -q -r "$M" -f cpio -o "$T/bad.cpio" fwbad
ms -q -r "$M" -f json -o "$T/bad.json" fwbad
echo "== a dangling symlink: error, no output"
ms -q -r "$M" -f cpio -o "$T/bad.cpio" fwdangle
ls "$T/bad.cpio" "$T/bad.json" 2>/dev/null
echo "== no firmware directory at all: json without firmware; an image warns once"
N=$(copytree hard)
ms -r "$N" -f cpio -o "$T/h.cpio" lonely fwdev
ms --strict -r "$N" -f cpio -o "$T/h2.cpio" lonely
msj -r "$N" -f json lonely | tail -2
