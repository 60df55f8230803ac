#!/bin/sh
# Firmware files that are not files: a symlink to itself, a loop of three
# symlinks, a chain of 41 links, a directory, a FIFO (reading it would block
# forever), symlinks leading outside the firmware directories (absolute, by "..",
# at the second link, through a directory symlink, to a FIFO, dangling, through
# outside back to itself). lonely (hard tree) needs lonely/fw1.bin and
# lonely/fw2.bin; fw2.bin is a good file throughout.
# A symlink loop (the kernel's loader gets ELOOP: a loop, a directory loop, more
# than 40 links) is missing firmware, named as a loop: a warning, the image made
# without it, an error under --strict (exit 3, no image); a loop in updates/ is
# passed over for the file below it, as the kernel does. A directory is "not
# found". A FIFO is an error naming the file (exit 2, no image, no hang). A chain
# leading outside the firmware directories is followed inside the sysroot ($T/hard:
# an absolute target or ".." never reaches the host's /etc) and, ending outside,
# is missing firmware like a loop, naming the link and where it ends: never read
# (a FIFO there does not block), neither the link nor what it points to in an
# image; passed over for a file further down the search list.
. "$SRCDIR/tests/cli/lib.sh"
H=$(copytree hard)
F=$T/hard/lib/firmware/lonely
mkdir -p "$F" "$T/out" "$T/hard/etc"
echo fw2 > "$F/fw2.bin"
echo sysroot-hostname > "$T/hard/etc/hostname"
TIMEOUT=$(command -v timeout || echo timeout)
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
echo "== the same, --strict: an error, exit 3, no image"
ms -r "$H" --no-cache --strict -f cpio -o "$T/out/img.cpio" lonely
echo "== the same, -f dir: the directory without it"
ms -r "$H" --no-cache -f dir -o "$T/out/d" lonely
(cd "$T/out/d" && find lib/firmware | LC_ALL=C sort)
rm -rf "$T/out/d"
echo "== updates/lonely/fw1.bin -> fw1.bin, and a good lonely/fw1.bin: the good one"
mkdir -p "$T/hard/lib/firmware/updates/lonely"
ln -s fw1.bin "$T/hard/lib/firmware/updates/lonely/fw1.bin"
rm "$F/fw1.bin"
echo fw1 > "$F/fw1.bin"
run
rm -r "$T/hard/lib/firmware/updates" "$F/fw1.bin"
echo "== fw1.bin -> a -> b -> fw1.bin"
ln -s a "$F/fw1.bin" && ln -s b "$F/a" && ln -s fw1.bin "$F/b"
run
rm "$F/fw1.bin" "$F/a" "$F/b"
echo "== fw1.bin -> l2 -> ... -> l40 -> real.bin: 40 links, found"
echo real > "$F/real.bin"
ln -s real.bin "$F/l40"
i=40
while [ $i -gt 2 ]; do ln -s "l$i" "$F/l$((i - 1))"; i=$((i - 1)); done
ln -s l2 "$F/fw1.bin"
run | awk '/lonely\/l[0-9]/ { n++; next } 1; END { print "and " n " links lonely/lN" }'
echo "== fw1.bin -> l1 -> l2 -> ... -> real.bin: 41 links, a loop for the kernel"
rm "$F/fw1.bin"
ln -s l2 "$F/l1" && ln -s l1 "$F/fw1.bin"
run
rm "$F"/l* "$F/fw1.bin" "$F/real.bin"
echo "== fw1.bin is a directory"
mkdir "$F/fw1.bin"
run
rmdir "$F/fw1.bin"
echo "== fw1.bin is a FIFO"
mkfifo "$F/fw1.bin"
run
rm "$F/fw1.bin"
echo "== fw1.bin -> /etc/hostname (\$T/hard/etc/hostname)"
ln -s /etc/hostname "$F/fw1.bin"
run
echo "== the same, --strict: an error, exit 3, no image"
ms -r "$H" --no-cache --strict -f cpio -o "$T/out/img.cpio" lonely
echo "== the same, -f json: missing"
msj -r "$H" --no-cache -f json lonely | sed -n '/^initrd-modset/p; /load_order/p; /^\[exit/p'
echo "== updates/lonely/fw1.bin -> /etc/hostname, and a good lonely/fw1.bin: the good one"
mkdir -p "$T/hard/lib/firmware/updates/lonely"
mv "$F/fw1.bin" "$T/hard/lib/firmware/updates/lonely/fw1.bin"
echo fw1 > "$F/fw1.bin"
run
rm -r "$T/hard/lib/firmware/updates" "$F/fw1.bin"
echo "== fw1.bin -> /etc/shadow, a FIFO: never opened"
mkfifo "$T/hard/etc/shadow"
ln -s /etc/shadow "$F/fw1.bin"
"$TIMEOUT" 20 "$MODSET" -r "$H" --no-cache -f cpio --compress none -o "$T/out/img.cpio" lonely
echo "[exit $?]"
(cd "$T/out" && bsdcpio -it < img.cpio 2>/dev/null | grep firmware) && rm "$T/out/img.cpio"
rm "$F/fw1.bin"
echo "== fw1.bin -> /etc/none/x: dangling outside"
ln -s /etc/none/x "$F/fw1.bin"
run
rm "$F/fw1.bin"
echo "== fw1.bin -> /etc/alternatives/fw1.bin -> ../../lib/firmware/lonely/fw1.bin: a loop through outside"
mkdir "$T/hard/etc/alternatives"
ln -s ../../lib/firmware/lonely/fw1.bin "$T/hard/etc/alternatives/fw1.bin"
ln -s /etc/alternatives/fw1.bin "$F/fw1.bin"
run
rm "$F/fw1.bin"
echo "== fw1.bin -> ../../../../../../../../../../../../../../../../etc/hostname"
ln -s ../../../../../../../../../../../../../../../../etc/hostname "$F/fw1.bin"
run
rm "$F/fw1.bin"
echo "== fw1.bin -> a -> /etc/hostname: the second link leaves"
ln -s a "$F/fw1.bin" && ln -s /etc/hostname "$F/a"
run
rm "$F/fw1.bin" "$F/a"
echo "== fw1.bin -> /lib/firmware/lonely/fw2.bin: absolute, inside (below the sysroot)"
ln -s /lib/firmware/lonely/fw2.bin "$F/fw1.bin"
run
rm "$F/fw1.bin"
echo "== lonely/sub -> /etc, fw1.bin -> sub/hostname: through a directory symlink"
ln -s /etc "$F/sub" && ln -s sub/hostname "$F/fw1.bin"
run
rm "$F/fw1.bin" "$F/sub"
echo "== lonely/ -> lonely (the directory loops)"
mv "$F" "$F.real"
ln -s lonely "$F"
run
rm "$F"
mv "$F.real" "$F"
lsa "$T/out"
