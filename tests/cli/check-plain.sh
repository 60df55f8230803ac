# --check on an uncompressed image (find | cpio, "./" names) of the whole hard
# fixture with every firmware file: complete. The same image without firmware:
# complete with warnings; --require-firmware makes them errors.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/initramfs-lib.sh"
root=$(tree hard)

stage hard "$T/img"
mkdir -p "$T/img/lib/firmware/lonely" "$T/img/lib/firmware/vendor"
echo fw > "$T/img/lib/firmware/lonely/fw1.bin"
echo fw > "$T/img/lib/firmware/lonely/fw2.bin"
echo fw > "$T/img/lib/firmware/vendor/fwdev-a.bin"
echo fw > "$T/img/lib/firmware/vendor/fwdev-b.bin"
newc_of "$T/img" > "$T/full.img"
echo "== complete"
chk "$T/full.img" --root "$root"
echo "== the image on standard input (-)"
chk - --root "$root" < "$T/full.img" | sed 1d
echo "== report to a file (-o), nothing on stdout"
chk "$T/full.img" --root "$root" -o "$T/report.txt"
cat "$T/report.txt"

rm -r "$T/img/lib/firmware"
newc_of "$T/img" > "$T/nofw.img"
echo "== no firmware: warnings"
chk "$T/nofw.img" --root "$root"
echo "== --require-firmware"
chk "$T/nofw.img" --root "$root" --require-firmware
echo "== --strict"
chk "$T/nofw.img" --root "$root" --strict | tail -2
echo "== --no-firmware: not checked"
chk "$T/nofw.img" --root "$root" --strict --no-firmware | sed 1d
