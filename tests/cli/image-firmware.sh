#!/bin/sh
# Firmware: every firmware= name of the set (builtins too) looked up in the
# kernel's directories under the sysroot (updates/KVER, updates, KVER, base; lib
# then usr/lib), the name, then .zst, then .xz; glob names take every match; a
# symlink stays a symlink and its target comes too; json lists them; a missing
# name is a warning naming the module (an error under --strict, exit 3); a
# dangling symlink is an error (exit 2, no output). A symlink chain leaving the
# firmware directory is followed inside the sysroot: ending outside the firmware
# directories it is missing (nothing from outside in the image); coming back into
# one (Debian's wireless-regdb: regulatory.db -> /etc/alternatives/regulatory.db ->
# /lib/firmware/regulatory.db-debian; usr/lib/firmware from lib/firmware; out and
# back in by "..") the name becomes a link straight to the file it ends in, which
# comes too: the name resolves in the unpacked image and --check accepts it.
# Without any firmware directory nothing is looked up.
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
echo "== a symlink leading out of the firmware directories: missing, not in the image"
ms -r "$M" -f cpio -o "$T/out.cpio" fwbad
bsdcpio -it --quiet < "$T/out.cpio" | grep -c -e firmware -e elsewhere
msj -r "$M" -f json fwbad | tail -2
ms -q --strict -r "$M" -f cpio -o "$T/bad.cpio" fwbad
echo "== a dangling symlink: error, no output"
ms -q -r "$M" -f cpio -o "$T/bad.cpio" fwdangle
ms -q -r "$M" -f json -o "$T/bad.json" fwdangle
ls "$T/bad.cpio" "$T/bad.json" 2>/dev/null
echo "== no firmware directory at all: json without firmware; an image warns once"
N=$(copytree hard)
ms -r "$N" -f cpio -o "$T/h.cpio" lonely fwdev
ms --strict -r "$N" -f cpio -o "$T/h2.cpio" lonely
msj -r "$N" -f json lonely | tail -2
echo "== chains leaving the firmware directory and coming back"
rm "$FW/plain.bin" "$FW/updates/6.1.0-fw/plain.bin" "$FW/vendor/a.bin.zst" "$FW/vendor/a.bin.xz"
mkdir -p "$R/etc/alternatives" "$R/etc/fw" "$R/usr/lib/firmware/vendor" "$R/usr/lib/firmware/real"
# wireless-regdb: absolute links, read below the sysroot
echo regdb-debian > "$FW/plain.bin-debian"
ln -s /lib/firmware/plain.bin-debian "$R/etc/alternatives/plain.bin"
ln -s /etc/alternatives/plain.bin "$FW/plain.bin"
# into usr/lib/firmware at the same path: that file
echo usr-a > "$R/usr/lib/firmware/vendor/a.bin"
ln -s /usr/lib/firmware/vendor/a.bin "$FW/vendor/a.bin"
# out and back in by "..", elsewhere in usr/lib/firmware
echo usr-m > "$R/usr/lib/firmware/real/m.bin"
ln -s ../../usr/lib/firmware/real/m.bin "$R/etc/fw/m"
ln -s ../../etc/fw/m "$FW/missing.bin"
msj -r "$M" -f json fwplain | tail -2
ms -r "$M" -f cpio -o "$T/back.cpio" fwplain
bsdcpio -itv --quiet < "$T/back.cpio" | grep firmware | awk '{print $1, $9, $10, $11}'
echo "entries besides lib, lib/modules/*, lib/firmware/*:" \
	"$(bsdcpio -it --quiet < "$T/back.cpio" | grep -c -v -e '^lib$' -e '^lib/modules' -e '^lib/firmware')"
mkdir "$T/u2" && (cd "$T/u2" && bsdcpio -id --quiet < "$T/back.cpio")
for n in plain.bin vendor/a.bin missing.bin; do
	f=$(readlink -f "$T/u2/lib/firmware/$n")
	echo "$n: ${f#"$T/u2/"} $(cat "$f")"
done
echo "== --check --require-firmware on that image"
ms --check "$T/back.cpio" -r "$M" --require-firmware
echo "== -f dir: the same tree"
ms -r "$M" -f dir -o "$T/d" fwplain
(cd "$T/d" && find lib/firmware | LC_ALL=C sort)
for n in plain.bin vendor/a.bin missing.bin; do
	f=$(readlink -f "$T/d/lib/firmware/$n")
	echo "$n: ${f#"$T/d/"} $(cat "$f")"
done
