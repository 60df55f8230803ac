# --check --hostonly: the host's devices and loaded modules must be served by the
# image too: a device whose driver the image lacks is a missing root (exit 3);
# modaliases that name no module are not. Roots are listed in the JSON report.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/initramfs-lib.sh"
root=$(tree host)
D="$T/sys/devices"
sysfs_dev "$D/pci0000:00/0000:00:19.0" pci:v00008086d00001533sv00008086sd00000001bc02sc00i00
sysfs_dev "$D/platform/INT33C3:00" acpi:INT33C3:
sysfs_dev "$D/LNXSYSTM:00" acpi:LNXSYSTM:
printf 'loaded_only 16384 0 - Live 0x0\n' > "$T/modules"

stage host "$T/img" usr
mkdir -p "$T/img/usr/lib/firmware/netcard"
echo fw > "$T/img/usr/lib/firmware/netcard/fw-2.bin"
echo fw | zstd -q > "$T/img/usr/lib/firmware/netcard/main.bin.zst"
newc_of "$T/img" | comp zstd > "$T/full.img"
echo "== everything there"
chk "$T/full.img" --root "$root" --sysfs "$T/sys" --proc-modules "$T/modules" | sed 1d

rm "$T/img/usr/lib/modules/6.1.0-host/kernel/drivers/net/netcard.ko.zst" \
	"$T/img/usr/lib/modules/6.1.0-host/kernel/drivers/misc/loaded-only.ko"
newc_of "$T/img" | comp zstd > "$T/part.img"
echo "== netcard (pci device) and loaded_only (loaded) missing"
chk "$T/part.img" --root "$root" --sysfs "$T/sys" --proc-modules "$T/modules" | sed 1d
echo "== JSON roots and missing"
"$MODSET" --check "$T/part.img" --root "$root" --sysfs "$T/sys" --proc-modules "$T/modules" \
	-f json > "$T/out.json"
echo "[exit $?]"
sed -n '/"roots"/,$p' "$T/out.json" | tr -d ' \n' | sed 's/},{/},\n{/g; s/\],"/],\n"/g'
echo
