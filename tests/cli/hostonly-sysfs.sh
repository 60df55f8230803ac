# --hostonly: roots from a (fake) sysfs and /proc/modules: every device's modalias,
# resolved through the tree's aliases (builtin ones too); fw_devlink supplier
# links (the supplier's modalias and its driver's module); the loaded modules.
# Modaliases and loaded modules that name nothing are dropped quietly (-v says
# which), even under --strict. Roots are sorted and unique.
. "$SRCDIR/tests/cli/lib.sh"
. "$SRCDIR/tests/initramfs-lib.sh"
root=$(tree host)
S="$T/sys"
D="$S/devices"

sysfs_dev "$D/pci0000:00/0000:00:19.0" pci:v00008086d00001533sv00008086sd00000001bc02sc00i00
sysfs_dev "$D/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0" \
	usb:v0781p5567d0100dc00dsc00dp00ic08isc06ip50in00
# the same device kind twice: one root
sysfs_dev "$D/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0" \
	usb:v0781p5567d0100dc00dsc00dp00ic08isc06ip50in00
sysfs_dev "$D/platform/INT33C3:00" acpi:INT33C3:
sysfs_dev "$D/platform/INT33C3:00/i2c-1/1-0034" i2c:pmic-x
sysfs_dev "$D/platform/soc/fe804000.i2c" "of:Ni2cT(null)Csnps,designware-i2c"
# matches nothing; an empty modalias; a directory loop made of a symlink
sysfs_dev "$D/system/cpu/cpu0" cpu:type:x86,ven0000fam0006mod0055:feature:,0000
sysfs_dev "$D/LNXSYSTM:00" acpi:LNXSYSTM:
sysfs_dev "$D/virtual/empty" ""
: > "$D/virtual/empty/modalias"
ln -s .. "$D/platform/loop"
# pmic's suppliers (fw_devlink): gpio-ctrl, whose driver is the module gpio_core
# (no modalias file), and reg-fixed, a builtin driver; one link dangles
mkdir -p "$D/platform/gpio-ctrl" "$S/bus/platform/drivers/gpio-ctrl" "$S/module/gpio_core" \
	"$S/bus/platform/drivers/reg-fixed-voltage"
ln -s ../../../../module/gpio_core "$S/bus/platform/drivers/gpio-ctrl/module"
ln -s ../../../bus/platform/drivers/gpio-ctrl "$D/platform/gpio-ctrl/driver"
sysfs_dev "$D/platform/reg-fixed" platform:reg-fixed-voltage
ln -s ../../../bus/platform/drivers/reg-fixed-voltage "$D/platform/reg-fixed/driver"
for s in gpio-ctrl reg-fixed; do
	mkdir -p "$D/virtual/devlink/platform:$s--i2c:1-0034"
	ln -s "../../../platform/$s" "$D/virtual/devlink/platform:$s--i2c:1-0034/supplier"
	ln -s "../../../../virtual/devlink/platform:$s--i2c:1-0034" \
		"$D/platform/INT33C3:00/i2c-1/1-0034/supplier:platform:$s"
done
ln -s ../../../../virtual/devlink/gone "$D/platform/INT33C3:00/i2c-1/1-0034/supplier:platform:gone"
printf '%s\n' "loaded_only 16384 0 - Live 0x0000000000000000" \
	"nosuch_loaded 16384 0 - Live 0x0000000000000000" \
	"pmic 16384 0 - Live 0x0000000000000000" > "$T/modules"

echo "== list"
ms --root "$root" --hostonly --sysfs "$S" --proc-modules "$T/modules" | rel "$root"
echo "== json roots (the host's, sorted; unmatched ones dropped), --strict"
"$MODSET" --root "$root" --sysfs "$S" --proc-modules "$T/modules" --strict -f json \
	> "$T/out.json"
echo "[exit $?]"
sed -n '/"roots"/,/\]/p' "$T/out.json"
echo "== -v names the dropped ones; a command-line root stays even when unknown"
ms --root "$root" --sysfs "$S" --proc-modules "$T/modules" -v -f order phy-x nosuch 2>&1 |
	awk '!/^initrd-modset: / || /hostonly:|warning:/'
echo "== the same roots whatever the directory order: a copy made in reverse"
mkdir "$T/sys2"
(cd "$S" && find . -depth | sort -r | cpio -pdm --quiet "$T/sys2" 2>/dev/null)
"$MODSET" --root "$root" --sysfs "$T/sys2" --proc-modules "$T/modules" -f json > "$T/out2.json"
cmp "$T/out.json" "$T/out2.json" && echo same
echo "== an empty host: no root, an empty set"
mkdir -p "$T/empty/devices"
: > "$T/nomods"
ms --root "$root" --sysfs "$T/empty" --proc-modules "$T/nomods"
echo "== errors: no sysfs devices directory, no /proc/modules file"
ms --root "$root" --sysfs "$T/nosuch" --proc-modules "$T/modules"
ms --root "$root" --sysfs "$S" --proc-modules "$T/nosuch"
