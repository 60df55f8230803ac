#!/bin/sh
# Run inside a private mount namespace (unshare -m, as root) by
# tests/cli/hook-initramfs-tools.sh: makes a fixture module tree
# appear as /lib/modules/KVER, which mkinitramfs and modprobe --set-version
# hard-code, and gives mkinitramfs a /boot/config-KVER (it checks the
# kernel's initramfs compression there). Nothing outside the namespace
# changes: /lib's directory gets a tmpfs overlay (or, where overlayfs is not
# available, a tmpfs of links to its entries), /boot a tmpfs.
#
#   sh initramfs-tools-ns.sh SCRATCH KVER RUN...
#
# RUN is NAME:CONFDIR:TREE: mkinitramfs -d CONFDIR -o SCRATCH/NAME.img KVER
# with TREE (a module directory) mounted as /lib/modules/KVER; its output goes
# to SCRATCH/NAME.log, its exit status to SCRATCH/NAME.rc.
# A firmware file xe/lnl_guc_70.bin is made available in /lib/firmware.
set -u
scratch=$1 kver=$2
shift 2

die() {
	echo "initramfs-tools-ns: $*" >&2
	exit 1
}

mkdir -p "$scratch/ns"
mount -t tmpfs tmpfs "$scratch/ns" || die "cannot mount a tmpfs (no mount namespace?)"
mkdir "$scratch/ns/upper" "$scratch/ns/work" "$scratch/ns/orig" "$scratch/ns/farm"
libdir=$(readlink -f /lib)
# /lib's directory made writable: an overlay, else a directory of symbolic
# links to the original's entries
if mount -t overlay overlay \
	-o "lowerdir=$libdir,upperdir=$scratch/ns/upper,workdir=$scratch/ns/work" "$libdir" 2> /dev/null &&
	mkdir -p "/lib/modules/$kver" /lib/firmware/xe 2> /dev/null; then
	:
else
	umount "$libdir" 2> /dev/null
	mount --bind "$libdir" "$scratch/ns/orig" || die "cannot bind $libdir"
	for e in "$libdir"/* "$libdir"/.[!.]*; do
		[ -e "$e" ] || [ -L "$e" ] || continue
		ln -s "$scratch/ns/orig/${e##*/}" "$scratch/ns/farm/${e##*/}"
	done
	for d in modules firmware; do
		if [ -d "$libdir/$d" ]; then
			rm "$scratch/ns/farm/$d"
			mkdir "$scratch/ns/farm/$d"
			for e in "$libdir/$d"/*; do
				[ -e "$e" ] || [ -L "$e" ] || continue
				ln -s "$scratch/ns/orig/$d/${e##*/}" "$scratch/ns/farm/$d/${e##*/}"
			done
		fi
	done
	rm -rf "$scratch/ns/farm/modules/$kver"
	mkdir -p "$scratch/ns/farm/modules/$kver" "$scratch/ns/farm/firmware/xe"
	mount --bind "$scratch/ns/farm" "$libdir" || die "cannot bind over $libdir"
fi
[ -d "/lib/modules/$kver" ] || die "cannot create /lib/modules/$kver"
echo "fake firmware" > /lib/firmware/xe/lnl_guc_70.bin
[ -d /boot ] || die "no /boot to mount a tmpfs on"
mount -t tmpfs tmpfs /boot || die "cannot mount a tmpfs on /boot"
printf 'CONFIG_RD_GZIP=y\nCONFIG_RD_ZSTD=y\n' > "/boot/config-$kver"

for run; do
	name=${run%%:*}
	rest=${run#*:}
	conf=${rest%%:*}
	tree=${rest#*:}
	mount --bind "$tree" "/lib/modules/$kver" || die "cannot bind $tree"
	TMPDIR=$scratch/tmp mkinitramfs -v -d "$conf" -o "$scratch/$name.img" "$kver" \
		> "$scratch/$name.log" 2>&1
	echo $? > "$scratch/$name.rc"
	umount "/lib/modules/$kver"
done
exit 0
