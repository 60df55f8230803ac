# --check on images this project writes (--format cpio): the closure of the roots
# is complete against the same tree, weak deps and firmware included
# (--require-weak --require-firmware); one built with --exclude is not. Appended to
# an early-microcode cpio, as a generator would add it.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/initramfs-lib.sh"

echo "== weak: wk_main wk_dash, zstd"
w=$(tree weak)
"$MODSET" --root "$w" --format cpio -o "$T/weak.cpio.zst" wk_main wk_dash 2>&1
chk "$T/weak.cpio.zst" --root "$w" --require-weak | sed 1d
echo "== soft: btrfs cifs, xz, after an early cpio"
s=$(tree soft)
"$MODSET" --root "$s" -q --format cpio -o "$T/soft.cpio.xz" btrfs cifs
early_cpio > "$T/early.cpio"
cat "$T/early.cpio" "$T/soft.cpio.xz" > "$T/soft.img"
chk "$T/soft.img" --root "$s" -q --require-weak | sed 1d
echo "== hard with firmware (a copy of the tree with lib/firmware), gzip"
h=$(copytree hard)
mkdir -p "$T/hard/lib/firmware/vendor"
echo a > "$T/hard/lib/firmware/vendor/fwdev-a.bin"
echo b | xz > "$T/hard/lib/firmware/vendor/fwdev-b.bin.xz"
"$MODSET" --root "$h" --format cpio -o "$T/hard.cpio.gz" fwdev 2>&1
chk "$T/hard.cpio.gz" --root "$h" --require-firmware | sed 1d
echo "== built with --exclude chain1: incomplete"
"$MODSET" --root "$h" -q --format cpio --exclude chain1 -o "$T/cut.cpio" fwdev
chk "$T/cut.cpio" --root "$h" | sed 1d
