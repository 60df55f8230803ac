# --check reports what an image lacks, grouped by kind, one line per item naming
# the modules that want it: a hard dep (exit 3), a soft pre/post target (exit 3), a
# weak dep (a warning; an error with --require-weak or --strict), the hard deps of
# a missing weak dep (warnings too), roots named on the command line.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/initramfs-lib.sh"

k=$(tree hard)/kernel
echo "== hard: chain3 and multi-exp taken out of the whole hard fixture"
stage hard "$T/hard"
rm "$T/hard/lib/modules/6.1.0-hard/kernel/lib/chain3.ko" \
	"$T/hard/lib/modules/6.1.0-hard/kernel/net/core/multi-exp.ko"
newc_of "$T/hard" | comp zstd > "$T/hard.img"
chk "$T/hard.img" --root "$(tree hard)" -q | sed 1d

echo "== soft: btrfs without xxhash64 (pre:), cifs without nls_utf8 (pre:) and"
echo "   gcm (untagged: weak), helper-b without helper_c (post:) and its helper-d"
stage soft "$T/soft"
s="$T/soft/lib/modules/6.1.0-soft/kernel"
rm "$s/crypto/xxhash64.ko.xz" "$s/fs/nls/nls_utf8.ko" "$s/crypto/gcm.ko.xz" \
	"$s/drivers/fixture/helper_c.ko.zst" "$s/drivers/fixture/helper-d.ko"
newc_of "$T/soft" | comp gzip > "$T/soft.img"
chk "$T/soft.img" --root "$(tree soft)" | sed 1d

echo "== weak: wk_main without wk_helper, wk-helper3 and wk-helper3's hard dep wk_base"
stage weak "$T/weak"
w="$T/weak/lib/modules/6.12.0-weak/kernel/drivers/fixture"
rm "$w/wk_helper.ko" "$w/wk-helper3.ko.zst" "$w/wk_base.ko"
newc_of "$T/weak" | comp xz > "$T/weak.img"
chk "$T/weak.img" --root "$(tree weak)" | sed 1,2d
echo "-- --require-weak"
chk "$T/weak.img" --root "$(tree weak)" --require-weak | sed 1,2d

echo "== roots: one in the image, one missing from it, one builtin, one unknown"
chk "$T/weak.img" --root "$(tree weak)" wk_main wk_helper wk_builtin nosuch | sed 1,2d

echo "== the same as JSON"
"$MODSET" --check "$T/hard.img" --root "$(tree hard)" -f json > "$T/hard.json"
echo "[exit $?]"
sed -n '/"missing"/,$p' "$T/hard.json"
