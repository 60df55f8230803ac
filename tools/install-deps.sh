#!/bin/sh
# Install the build and test dependencies of initrd-modset when they are missing.
# A no-op when pkg-config finds every library and every tool is on PATH.
# Supports apt-get (Debian/Ubuntu), dnf (Fedora) and pacman (Arch).
set -eu

PC_MODULES="libkmod libzstd json-c libarchive check"
TOOLS="gcc make pkg-config depmod modprobe modinfo xz zstd bsdcpio cpio"

missing=""
for m in $PC_MODULES; do
	pkg-config --exists "$m" 2>/dev/null || missing="$missing $m"
done
for t in $TOOLS; do
	command -v "$t" >/dev/null 2>&1 || [ -x "/sbin/$t" ] || [ -x "/usr/sbin/$t" ] ||
		missing="$missing $t"
done
[ -n "$missing" ] || exit 0

echo "install-deps: missing:$missing" >&2

SUDO=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null 2>&1 || {
		echo "install-deps: not root and no sudo; install:$missing" >&2
		exit 1
	}
	SUDO="sudo"
fi

if command -v apt-get >/dev/null 2>&1; then
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends \
		gcc make pkg-config libc6-dev \
		libkmod-dev libzstd-dev libjson-c-dev libarchive-dev check \
		kmod xz-utils zstd libarchive-tools cpio >/dev/null
elif command -v dnf >/dev/null 2>&1; then
	$SUDO dnf install -y gcc make pkgconf-pkg-config kmod-devel libzstd-devel \
		json-c-devel libarchive-devel check-devel kmod xz zstd bsdtar cpio
elif command -v pacman >/dev/null 2>&1; then
	$SUDO pacman -Sy --needed --noconfirm gcc make pkgconf kmod zstd json-c \
		libarchive check xz cpio
else
	echo "install-deps: no supported package manager; install:$missing" >&2
	exit 1
fi
