# --check reads images the way the kernel unpacks them: newc segments, each plain
# or compressed (gzip, xz, zstd, lz4 legacy and frame, bzip2, lzma), NUL padding
# between them, an uncompressed early-microcode segment first (dracut's layout), a
# plain segment after a compressed one, two compressed segments. The modules are
# split over the segments: only all of them together are complete.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/initramfs-lib.sh"
root=$(tree hard)

# two halves of the hard fixture: chains and diamonds / the rest
stage hard "$T/a" usr
mkdir -p "$T/b/usr/lib/modules/6.1.0-hard/kernel"
mv "$T/a/usr/lib/modules/6.1.0-hard/kernel/net" "$T/a/usr/lib/modules/6.1.0-hard/kernel/drivers" \
	"$T/b/usr/lib/modules/6.1.0-hard/kernel/"
newc_of "$T/a" > "$T/a.cpio"
newc_of "$T/b" > "$T/b.cpio"
early_cpio > "$T/early.cpio"
e=$(stat -c %s "$T/early.cpio")

# summary: the first line of the report, the offsets named: E = after the early
# cpio, A = after the compressed first half, P = after padding
summary() {
	sed -n 1p "$1" | sed -e "s|^$T/||" -e "s/ at $e\([,)]\)/ at E\1/g" \
		-e "s/ at ${a:-x}\([,)]\)/ at A\1/g" -e "s/ at ${p:-x}\([,)]\)/ at P\1/g"
	tail -n 2 "$1" | tr '\n' ' ' | sed 's/ $//'
	echo
}

for c in gzip xz zstd lz4 lz4frame bzip2 lzma; do
	echo "== $c"
	comp $c < "$T/a.cpio" > "$T/a.$c"
	comp $c < "$T/b.cpio" > "$T/b.$c"
	a=$(stat -c %s "$T/a.$c")
	p=$((a + 512))

	# early microcode (plain) + everything compressed as one segment
	cat "$T/a.cpio" "$T/b.cpio" | comp $c > "$T/ab.$c"
	cat "$T/early.cpio" "$T/ab.$c" > "$T/early-ab.$c"
	chk "$T/early-ab.$c" --root "$root" > "$T/out"; summary "$T/out"
	# compressed half, plain half
	cat "$T/a.$c" "$T/b.cpio" > "$T/a-b.$c"
	chk "$T/a-b.$c" --root "$root" > "$T/out"; summary "$T/out"
	# compressed half, 512 NULs, the other half compressed, NULs at the end
	{ cat "$T/a.$c"; head -c 512 /dev/zero; cat "$T/b.$c"; head -c 3 /dev/zero; } > "$T/a0b.$c"
	chk "$T/a0b.$c" --root "$root" > "$T/out"; summary "$T/out"
	# the second half alone: its hard deps (in the first) are missing
	chk "$T/b.$c" --root "$root" -q > "$T/out"; summary "$T/out"
done

echo "== both halves in one compressed stream, NULs between them (decompressed)"
{ cat "$T/a.cpio"; head -c 100 /dev/zero; cat "$T/b.cpio"; } | comp zstd > "$T/ab0.zst"
chk "$T/ab0.zst" --root "$root" -f json | grep -E '"(compression|archives|entries)"|exit' | tr -d ' \n'; echo
