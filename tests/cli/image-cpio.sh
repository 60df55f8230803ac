#!/bin/sh
# --format cpio: compression (by suffix, --compress, --compress-level), reproducible
# bytes (two runs; two copies of a tree in different directories; SOURCE_DATE_EPOCH),
# entry metadata (owner 0:0, modes, parents first, no ".." or leading '/'),
# --decompress-modules, --with-config, --prefix, concatenation after another
# initramfs, and modprobe on the unpacked image.
. "$SRCDIR/tests/cli/lib.sh"
H=$(tree hard)
K=$(basename "$H")
EMPTY=$T/empty
mkdir -p "$EMPTY"

echo "== compression from the suffix: magic bytes, and each unpacks"
for f in m.cpio m.cpio.zst m.cpio.xz m.cpio.gz; do
	ms -q -r "$H" -f cpio -o "$T/$f" fwdev
	printf '%s: %s ' "$f" "$(od -An -tx1 -N4 "$T/$f" | tr -d ' ')"
	bsdcpio -it --quiet < "$T/$f" | wc -l | tr -d ' '
done
echo "== xz: the CRC32 check (the kernel's XZ decoder refuses CRC64), one stream"
xz --robot --list "$T/m.cpio.xz" | awk -F'\t' '$1 == "file" { print "streams " $2 ", check " $7 }'
"$MODSET" -q -r "$H" -f cpio --compress-level 9 -o "$T/m9.cpio.xz" fwdev
xz --robot --list "$T/m9.cpio.xz" | awk -F'\t' '$1 == "file" { print "level 9: check " $7 }'
n=$(xz -dc "$T/m.cpio.xz" | wc -c)
xz -dc "$T/m.cpio.xz" | cmp -s -n "$n" - "$T/m.cpio" && echo "same archive inside"
echo "== --compress overrides the suffix; --compress-level; bad values"
ms -q -r "$H" -f cpio --compress xz -o "$T/x.cpio" fwdev
od -An -tx1 -N4 "$T/x.cpio" | tr -d ' '
ms -q -r "$H" -f cpio --compress zstd --compress-level 19 -o "$T/l19.zst" =
ms -q -r "$H" -f cpio --compress zstd --compress-level 1 -o "$T/l1.zst" =
[ "$(wc -c < "$T/l19.zst")" -le "$(wc -c < "$T/l1.zst")" ] && echo "level 19 <= level 1"
ms -r "$H" -f cpio --compress lzip -o "$T/bad.cpio" fwdev
ms -r "$H" -f cpio --compress-level x -o "$T/bad.cpio" fwdev
echo "== uncompressed: padded to 512 bytes; compressed: not padded"
n=$(zstd -qdc "$T/m.cpio.zst" | wc -c)
echo "size % 512: $(($(wc -c < "$T/m.cpio") % 512)) and $((n % 512))"
zstd -qdc "$T/m.cpio.zst" | cmp -s -n "$n" - "$T/m.cpio" && echo "same archive inside"

echo "== reproducible: two runs, every compression"
for f in m.cpio m.cpio.zst m.cpio.xz m.cpio.gz; do
	"$MODSET" -q -r "$H" -f cpio -o "$T/again-$f" fwdev
	cmp -s "$T/$f" "$T/again-$f" && echo "$f: identical"
done
echo "== reproducible: a copy of the tree elsewhere, files touched"
mkdir -p "$T/elsewhere/deeper"
cp -a "$FIXTURES/hard" "$T/elsewhere/deeper/hard"
find "$T/elsewhere" -exec touch -d '2001-02-03 04:05:06' {} +
chmod 600 "$T/elsewhere/deeper/hard/lib/modules/$K/kernel/lib/chain1.ko.xz"
"$MODSET" -q -r "$T/elsewhere/deeper/hard/lib/modules/$K" -f cpio -o "$T/copy.cpio.gz" fwdev
cmp -s "$T/m.cpio.gz" "$T/copy.cpio.gz" && echo "copy: identical"
echo "== SOURCE_DATE_EPOCH"
SOURCE_DATE_EPOCH=1700000000 "$MODSET" -q -r "$H" -f cpio -o "$T/sde.cpio" fwdev
bsdcpio -itv --quiet < "$T/sde.cpio" | awk '{print $3, $4, $6, $7, $8}' | sort -u
SOURCE_DATE_EPOCH=soon ms -q -r "$H" -f cpio -o "$T/sde2.cpio" fwdev
ls "$T/sde2.cpio" 2>/dev/null

echo "== entries: sorted, parents first, owner 0, modes 0755/0644, no .. or /"
bsdcpio -itv --quiet < "$T/m.cpio" | awk '{print $1, $3, $4, $NF}'
bsdcpio -it --quiet < "$T/m.cpio" > "$T/names"
LC_ALL=C sort -c "$T/names" && echo sorted
grep -E '(^/|(^|/)\.\.(/|$))' "$T/names" || echo "no absolute or .. path"

echo "== --decompress-modules: .ko everywhere, modprobe works, modinfo too"
ms -q -r "$H" -f cpio --decompress-modules -o "$T/d.cpio" fan_top
mkdir "$T/d" && (cd "$T/d" && bsdcpio -id --quiet < "$T/d.cpio")
find "$T/d" -name '*.ko.*' | wc -l | tr -d ' '
grep -c '\.ko\.' "$T/d/lib/modules/$K/modules.dep"
modprobe -d "$T/d" -S "$K" -C "$EMPTY" --show-depends fan_top | sed "s|$T/d/||"
modinfo -b "$T/d" -k "$K" -F filename chain2 | sed "s|$T/d/||"
for m in chain1 chain2 fan_top; do
	f=$(modinfo -b "$T/d" -k "$K" -F filename $m)
	case $m in chain1) src=$H/kernel/lib/chain1.ko.xz; xz -dc "$src" | cmp -s - "$f" && echo "$m: = xz -d";;
	chain2) src=$H/kernel/lib/chain2.ko.zst; zstd -qdc "$src" | cmp -s - "$f" && echo "$m: = zstd -d";;
	fan_top) src=$H/kernel/drivers/fixture/fan_top.ko.zst; zstd -qdc "$src" | cmp -s - "$f" && echo "$m: = zstd -d";;
	esac
done
echo "== without it, modules are stored byte for byte"
mkdir "$T/b" && (cd "$T/b" && bsdcpio -id --quiet < "$T/m.cpio")
cmp "$H/kernel/drivers/misc/fwdev.ko.xz" "$T/b/lib/modules/$K/kernel/drivers/misc/fwdev.ko.xz" && echo identical

echo "== --with-config: the modprobe.d files read, not modules.softdep"
S=$(tree soft)
ms -q -r "$S" -f cpio --with-config -o "$T/c.cpio" =
bsdcpio -it --quiet < "$T/c.cpio" | grep -v '^lib/'
for f in $(bsdcpio -it --quiet < "$T/c.cpio" | grep '^etc/modprobe.d/.'); do
	cpio -i --to-stdout --quiet "$f" < "$T/c.cpio" | cmp -s - "$FIXTURES/soft/$f" && echo "$f: same bytes"
done

echo "== --prefix usr/lib, and the default for a /usr/lib/modules tree"
ms -q -r "$H" -f cpio --prefix /usr/lib/ -o "$T/p.cpio" lonely
bsdcpio -it --quiet < "$T/p.cpio" | head -4
mkdir -p "$T/merged/usr/lib/modules"
cp -a "$H" "$T/merged/usr/lib/modules/"
ms -q -r "$T/merged/usr/lib/modules/$K" -f cpio -o "$T/u.cpio" lonely
bsdcpio -it --quiet < "$T/u.cpio" | head -4
mkdir "$T/u" && (cd "$T/u" && bsdcpio -id --quiet < "$T/u.cpio" && ln -s usr/lib lib)
modprobe -d "$T/u" -S "$K" -C "$EMPTY" --show-depends lonely | sed "s|$T/u/||"
ms -q -r "$H" -f cpio --prefix ../x -o "$T/bad.cpio" lonely
ls "$T/bad.cpio" 2>/dev/null

echo "== appended to another initramfs: the kernel's way (each archive after the"
echo "== other), GNU cpio then bsdcpio on one stream, give the union"
mkdir -p "$T/base/etc" && echo hello > "$T/base/etc/hello"
(cd "$T/base" && find etc | LC_ALL=C sort | cpio -o -H newc --quiet > "$T/base.cpio")
for f in m.cpio m.cpio.zst; do
	cat "$T/base.cpio" "$T/$f" > "$T/all-$f"
	rm -rf "$T/un" && mkdir "$T/un"
	(cd "$T/un" && { cpio -id --quiet; bsdcpio -id --quiet; } < "$T/all-$f")
	echo "$f: $(cat "$T/un/etc/hello") $(find "$T/un" -name '*.ko*' | wc -l | tr -d ' ') modules"
	modprobe -d "$T/un" -S "$K" -C "$EMPTY" --show-depends fwdev | sed "s|$T/un/||"
done
