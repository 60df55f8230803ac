# --check on bad images: one line naming the image and the byte offset, exit 2,
# no report. Unreadable, empty, only NULs, unknown compression, truncated or corrupt
# plain and compressed segments, junk, entries with ".." or an absolute path, no
# modules, modules of several kernels, a tree that is not there.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/initramfs-lib.sh"
root=$(tree hard)
cd "$T"

mod() { newc_entry lib/modules/6.1.0-hard/kernel/lib/chain1.ko.xz 100644 "not really xz"; }

echo "== no such file, a directory, empty, only NULs"
chk nosuch.img --root "$root"
mkdir dir.img
chk dir.img --root "$root"
: > empty.img
chk empty.img --root "$root"
head -c 1000 /dev/zero > zeros.img
chk zeros.img --root "$root"

echo "== unknown compression, junk after a segment"
printf 'hello, world\n' > text.img
chk text.img --root "$root"
{ mod; newc_trailer; printf 'junk'; } > junk.img
chk junk.img --root "$root"
{ mod; newc_trailer; } | gzip -n > gz-then-junk.img
gz=$(stat -c %s gz-then-junk.img)
printf 'PK\003\004' >> gz-then-junk.img
chk gz-then-junk.img --root "$root" | sed "s/offset $gz:/offset (end of the gzip stream):/"

(mkdir odc && cd odc && echo x > f && find . | bsdcpio -o -H odc 2>/dev/null) > odc.img
chk odc.img --root "$root"

echo "== plain cpio: truncated entry, no trailer, bad header, bad name"
{ mod; newc_trailer; } > good.cpio
head -c 150 good.cpio > trunc-entry.img
chk trunc-entry.img --root "$root"
head -c 165 good.cpio > trunc-data.img
chk trunc-data.img --root "$root"
mod > no-trailer.img
chk no-trailer.img --root "$root"
{ mod; printf '070701%s' "zzzzzzzz"; head -c 96 /dev/zero; } > bad-hex.img
chk bad-hex.img --root "$root"
{ mod; printf '070701'; printf '%08X' 1 33188 0 0 1 0 0 0 0 0 0 0 0; } > name0.img
chk name0.img --root "$root"
{ mod; printf '070701'; printf '%08X' 1 33188 0 0 1 0 0 0 0 0 0 4 0; printf 'abcd'; newc_trailer; } > name-nonul.img
chk name-nonul.img --root "$root"
{ mod; printf '070701'; printf '%08X' 1 41471 0 0 1 0 0 0 0 0 0 2 0; printf 'l\0'; newc_trailer; } > link0.img
chk link0.img --root "$root"

echo "== entries with \"..\" or an absolute path (plain, then in a gzip segment)"
{ mod; newc_entry lib/../../etc/passwd 100644 x; newc_trailer; } > dotdot.img
chk dotdot.img --root "$root"
{ mod; newc_entry /etc/passwd 100644 x; newc_trailer; } > abs.img
chk abs.img --root "$root"
early_cpio > early.cpio
{ cat early.cpio; { mod; newc_entry ./lib/.. 40755; newc_trailer; } | gzip -n; } > dotdot-gz.img
chk dotdot-gz.img --root "$root"

echo "== truncated and corrupt compressed segments (after an early cpio)"
stage hard img
newc_of img > main.cpio
for c in gzip xz zstd lz4 bzip2 lzma; do
	comp $c < main.cpio > main.$c
	size=$(stat -c %s main.$c)
	{ cat early.cpio; head -c $((size / 2)) main.$c; } > trunc.$c
	chk trunc.$c --root "$root" | sed "s/offset [0-9]* of its/offset N of its/"
done
# a gzip stream with a byte in the middle of its deflate data changed
size=$(stat -c %s main.gzip)
{ head -c $((size / 2)) main.gzip; printf '\377\377\377\377'; tail -c +$((size / 2 + 5)) main.gzip; } > corrupt.gzip
# (zlib's verdict depends on where the bytes land: "decompression failed" or
# "truncated": only the place is compared)
chk corrupt.gzip --root "$root" | sed "s/\(gzip segment: \).*/\1.../"
printf '\037\213\010\377garbage' > badhdr.gzip
chk badhdr.gzip --root "$root"
printf '\375\067\172\130\132\000garbage' > badhdr.xz
chk badhdr.xz --root "$root"

echo "== no modules; modules of two kernels"
{ newc_entry etc 40755; newc_entry etc/hostname 100644 box; newc_trailer; } > nomods.img
chk nomods.img --root "$root"
{ mod; newc_entry usr/lib/modules/6.2.0/kernel/a.ko 100644 x; newc_trailer; } > two.img
chk two.img
chk two.img --root /nonexistent/lib/modules/5.0
chk two.img --kver 5.0
echo "== the tree: default /lib/modules/KVER (absent here), --root absent"
chk two.img --kver 6.2.0 -q
chk good.cpio --root "$T/nosuch/lib/modules/6.1.0-hard"
