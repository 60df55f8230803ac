#!/bin/sh
# Firmware files that are not files: a symlink to itself, a loop of three
# symlinks, a directory, a FIFO (reading it would block forever), symlinks
# leaving the firmware directory (absolute, or by ".."). lonely (hard tree)
# needs lonely/fw1.bin and lonely/fw2.bin; fw2.bin is a good file throughout.
# A directory (or a directory loop) is "not found" (a warning: the image is
# still made); a link outside the firmware directory or a FIFO is an error naming
# the file (exit 2, no image, nothing read from outside, no hang). A loop of
# file symlinks is copied into the image as the links it is, with no warning
# (the kernel would get ELOOP: reported, see tests/README).
. "$SRCDIR/tests/cli/lib.sh"
H=$(copytree hard)
F=$T/hard/lib/firmware/lonely
mkdir -p "$F" "$T/out"
echo fw2 > "$F/fw2.bin"
run() {
	ms -r "$H" --no-cache -f cpio --compress none -o "$T/out/img.cpio" lonely
	if [ -f "$T/out/img.cpio" ]; then
		(cd "$T/out" && bsdcpio -it < img.cpio 2>/dev/null | grep firmware)
		rm "$T/out/img.cpio"
	fi
}
echo "== fw1.bin -> fw1.bin"
ln -s fw1.bin "$F/fw1.bin"
run
echo "== fw1.bin -> a -> b -> fw1.bin"
rm "$F/fw1.bin"
ln -s a "$F/fw1.bin" && ln -s b "$F/a" && ln -s fw1.bin "$F/b"
run
rm "$F/fw1.bin" "$F/a" "$F/b"
echo "== fw1.bin is a directory"
mkdir "$F/fw1.bin"
run
rmdir "$F/fw1.bin"
echo "== fw1.bin is a FIFO"
mkfifo "$F/fw1.bin"
run
rm "$F/fw1.bin"
echo "== fw1.bin -> /etc/hostname"
ln -s /etc/hostname "$F/fw1.bin"
run
rm "$F/fw1.bin"
echo "== fw1.bin -> ../../../../../../../../../../../../../../../../etc/hostname"
ln -s ../../../../../../../../../../../../../../../../etc/hostname "$F/fw1.bin"
run
rm "$F/fw1.bin"
echo "== lonely/ -> lonely (the directory loops)"
mv "$F" "$F.real"
ln -s lonely "$F"
run
rm "$F"
mv "$F.real" "$F"
lsa "$T/out"
