#!/bin/sh
# trixie-root.sh - a Debian 13 (trixie) root for the tests against kmod 34, dracut-ng
# and initramfs-tools 0.148. Prints its path on stdout.
#
# The root is made once with debootstrap and cached outside the clone, in
# $MODSET_TEST_CACHE (default /var/cache/initrd-modset-tests), in a directory named
# after the versions of the packages the tests use; $MODSET_TEST_CACHE/trixie points
# at the newest. Tests run its tools with `chroot ROOT`. Concurrent callers wait for
# one build (flock). TRIXIE_REFRESH=1 builds it again (a new name if versions moved).
#
# Exit status: 0 with the root's path; 77 (SKIP) with the reason on stderr when it
# cannot be had here: not root, no debootstrap, or debootstrap failed (no network).
set -eu

cache=${MODSET_TEST_CACHE:-/var/cache/initrd-modset-tests}
# What the tests call in the root: depmod/modprobe/modinfo (kmod), dracut-install and
# dracut (dracut-core), mkinitramfs (initramfs-tools), the compressors and cpio; the
# libraries initrd-modset loads on demand (json-c, libarchive) for runs inside it.
pkgs=kmod,dracut-core,initramfs-tools,zstd,xz-utils,cpio,libjson-c5,libarchive13t64
link=$cache/trixie

skip() {
	echo "trixie-root: SKIP: $*" >&2
	exit 77
}

ready() {
	[ -z "${TRIXIE_REFRESH:-}" ] && [ -f "$link/.modset-root" ] &&
		[ "$(cat "$link/.modset-root")" = "$pkgs" ]
}

if ready; then
	readlink -f "$link"
	exit 0
fi
[ "$(id -u)" = 0 ] || skip "not root: debootstrap and chroot need root"
command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] ||
	skip "no debootstrap (tools/install-deps.sh installs it)"
PATH=$PATH:/usr/sbin:/sbin
mkdir -p "$cache" || skip "cannot create $cache"
exec 9> "$cache/.lock"
flock 9
if ready; then
	readlink -f "$link"
	exit 0
fi

tmp=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "trixie-root: debootstrap trixie into $cache (about a minute, 280 MB)" >&2
if ! debootstrap --variant=minbase --include="$pkgs" trixie "$tmp/root" \
	> "$tmp/log" 2>&1; then
	skip "debootstrap trixie failed (no network?): $(tail -n 1 "$tmp/log")"
fi
# The name says what the tests ran against.
name=trixie-$(chroot "$tmp/root" dpkg-query -W -f '${Package}_${Version}\n' \
	kmod dracut-core initramfs-tools | tr '\n:~+' '-...' | sed 's/-$//')
rm -rf "${cache:?}/$name"
mv "$tmp/root" "$cache/$name"
printf '%s\n' "$pkgs" > "$cache/$name/.modset-root"
ln -sfn "$name" "$link"
readlink -f "$link"
