# Helpers for the --check and --hostonly CLI tests (sourced after tests/cli/lib.sh).
# Images are built here with bsdcpio and the compressors, never by initrd-modset.

# stage FIXTURE DIR [usr]: copy the modules of fixture FIXTURE into the image tree
# DIR, as DIR/lib/modules/KVER/kernel/... (DIR/usr/lib/... with "usr")
stage() {
	_src=$(tree "$1")
	_dst="$2/${3:+$3/}lib/modules/$(basename "$_src")"
	mkdir -p "$_dst"
	cp -a "$_src/kernel" "$_dst/"
}

# newc_of DIR: a newc archive of DIR on stdout (names "./...", sorted), as
# initramfs-tools makes them (find | cpio)
newc_of() {
	(cd "$1" && find . | LC_ALL=C sort | bsdcpio -o -H newc 2>/dev/null)
}

# pad4 N: the NUL bytes that pad N bytes to a multiple of 4
pad4() {
	case $(($1 % 4)) in
	0) ;;
	*) head -c $((4 - $1 % 4)) /dev/zero ;;
	esac
}

# newc_entry NAME MODE [DATA]: one newc entry, written by hand (for entries bsdcpio
# refuses to write: absolute names, ".."); MODE in octal (100644 file, 40755 dir,
# 120777 symlink, DATA its target). Starts at a multiple of 4 of the archive.
newc_entry() {
	_ns=$((${#1} + 1)) _fs=${3+${#3}}
	_fs=${_fs:-0}
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		1 $((0$2)) 0 0 1 0 "$_fs" 0 0 0 0 "$_ns" 0
	printf '%s\000' "$1"
	pad4 $((110 + _ns))
	printf '%s' "${3-}"
	pad4 "$_fs"
}

# newc_trailer: the TRAILER!!! entry
newc_trailer() {
	newc_entry 'TRAILER!!!' 0
}

# early_cpio: an uncompressed early-microcode archive, as dracut and the kernel's
# documentation make it (kernel/x86/microcode/GenuineIntel.bin)
early_cpio() {
	newc_entry kernel 40755
	newc_entry kernel/x86 40755
	newc_entry kernel/x86/microcode 40755
	newc_entry kernel/x86/microcode/GenuineIntel.bin 100644 "microcode"
	newc_trailer
}

# comp NAME: compress stdin to stdout the way initramfs generators do
comp() {
	case $1 in
	none) cat ;;
	gzip) gzip -n -9 ;;
	xz) xz --check=crc32 ;;
	zstd) zstd -q -19 ;;
	lz4) lz4 -l -q ;;	# the legacy format, as the kernel's unlz4 wants
	lz4frame) lz4 -q ;;
	bzip2) bzip2 ;;
	lzma) xz --format=lzma ;;
	esac
}

# chk ARGS...: initrd-modset --check ARGS, stdout and stderr, then "[exit N]"
chk() {
	"$MODSET" --check "$@" 2>&1
	echo "[exit $?]"
}

# sysfs_dev DIR MODALIAS: a fake sysfs device directory with a modalias file
sysfs_dev() {
	mkdir -p "$1"
	[ -z "$2" ] || printf '%s\n' "$2" > "$1/modalias"
}
