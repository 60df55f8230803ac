#!/bin/sh
# Install the build and test dependencies of initrd-modset when they are missing.
# A no-op when pkg-config finds every library and every tool is on PATH.
# Supports apt-get (Debian/Ubuntu), dnf (Fedora) and pacman (Arch).
set -eu

# `install-deps.sh fuzz` (make fuzz): clang with its libFuzzer runtime, checked by
# building a one-line fuzz target, and nothing else.
if [ "${1:-}" = fuzz ]; then
	probe() {
		printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)\n{ return 0; }\n' |
			${FUZZ_CC:-clang} -fsanitize=fuzzer,address,undefined -x c -o /dev/null - \
			>/dev/null 2>&1
	}
	probe && exit 0
	echo "install-deps: missing: clang with libFuzzer (-fsanitize=fuzzer)" >&2
	SUDO=""
	[ "$(id -u)" = 0 ] || SUDO="sudo"
	if command -v apt-get >/dev/null 2>&1; then
		export DEBIAN_FRONTEND=noninteractive
		$SUDO apt-get update -qq
		$SUDO apt-get install -y -qq --no-install-recommends clang libclang-rt-dev \
			liblzma-dev >/dev/null
	elif command -v dnf >/dev/null 2>&1; then
		$SUDO dnf install -y clang compiler-rt xz-devel
	elif command -v pacman >/dev/null 2>&1; then
		$SUDO pacman -Sy --needed --noconfirm clang compiler-rt xz
	fi
	probe || { echo "install-deps: clang cannot build a libFuzzer target" >&2; exit 1; }
	exit 0
fi

# liblzma and zlib: headers only (lib/decompress.c loads the libraries with dlopen).
PC_MODULES="libkmod libzstd liblzma zlib json-c libarchive check"
TOOLS="gcc make pkg-config depmod modprobe modinfo xz zstd bsdcpio cpio"
# The compressors the --check tests (tests/cli/check-*.sh) build images with.
TOOLS="$TOOLS gzip bzip2 lz4"
# make check VALGRIND=1 (and check-all, what CI runs).
TOOLS="$TOOLS valgrind"
# tests/cli/signal-cleanup.sh delivers signals with strace's fault injection.
TOOLS="$TOOLS strace"
# The generators the hook tests (tests/cli/hook-*.sh) build real images with:
# Debian packages both (dracut-core, initramfs-tools), so apt-get systems get them.
# The Debian 13 root of the kmod 34 tests (tests/trixie-root.sh) is made with
# debootstrap. The real mkinitcpio of tests/cli/hook-mkinitcpio.sh (upstream's
# release, not packaged in Debian) runs with bash, gawk (Arch's awk), busybox
# (busybox-static: its base hook's busybox) and bsdtar (libarchive-tools).
if command -v apt-get >/dev/null 2>&1; then
	TOOLS="$TOOLS dracut mkinitramfs debootstrap bash gawk busybox bsdtar"
fi

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
		libkmod-dev libzstd-dev liblzma-dev zlib1g-dev libjson-c-dev \
		libarchive-dev check \
		kmod xz-utils zstd libarchive-tools cpio gzip bzip2 lz4 \
		dracut-core initramfs-tools debootstrap \
		bash gawk busybox-static \
		valgrind strace >/dev/null
elif command -v dnf >/dev/null 2>&1; then
	$SUDO dnf install -y gcc make pkgconf-pkg-config kmod-devel libzstd-devel xz-devel \
		zlib-devel json-c-devel libarchive-devel check-devel kmod xz zstd bsdtar cpio \
		gzip bzip2 lz4 valgrind strace
elif command -v pacman >/dev/null 2>&1; then
	$SUDO pacman -Sy --needed --noconfirm gcc make pkgconf kmod zstd xz zlib json-c \
		libarchive check cpio gzip bzip2 lz4 valgrind strace
else
	echo "install-deps: no supported package manager; install:$missing" >&2
	exit 1
fi
