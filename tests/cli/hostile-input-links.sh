#!/bin/sh
# Issue 12, holes 1 and 2: files of the module tree that are symlinks out of it.
# Every index and module file is opened beneath the module directory (lib/fs.c:
# openat2() RESOLVE_BENEATH, or the O_NOFOLLOW walk without it), so none of them
# can bring a file of the host into the image: an index file that is an absolute
# link to a "host file" (modules.builtin.modinfo, modules.builtin), a module file
# that is one, a module directory that is an absolute link or a relative one
# climbing out by "..". Each is an error naming the file, exit 2, and the host
# file's bytes are nowhere in the output. Then the same with MODSET_NO_OPENAT2=1
# (the fallback walk, which resolves by hand as openat2() does): refused the
# same way; and on the intact tree the fallback gives the same image.
. "$SRCDIR/tests/cli/lib.sh"
M=$(copytree hard)
K=${M##*/}
mkdir -p "$T/host"
echo "HOST-SECRET-BYTES" > "$T/host/secret"

run() { # LABEL: -f dir and -f cpio of chain6; the secret must be in neither
	rm -rf "$T/out" && mkdir -p "$T/out"
	"$MODSET" -r "$M" --no-cache -f dir -o "$T/out/dir" chain6 2> "$T/err"
	echo "[dir: exit $?]"
	"$MODSET" -r "$M" --no-cache -f cpio --compress none -o "$T/out/img" chain6 2>> "$T/err"
	echo "[cpio: exit $?]"
	rel "$T" < "$T/err"
	if grep -rqs HOST-SECRET-BYTES "$T/out"; then echo "LEAK: host bytes in the output"; fi
}
both() {
	echo "== $1"
	run
	echo "-- MODSET_NO_OPENAT2=1"
	MODSET_NO_OPENAT2=1 run
}

echo "== intact tree: the fallback gives the same image"
"$MODSET" -r "$M" --no-cache -f cpio --compress none -o "$T/a.img" chain6; echo "[exit $?]"
MODSET_NO_OPENAT2=1 "$MODSET" -r "$M" --no-cache -f cpio --compress none -o "$T/b.img" chain6
echo "[exit $?]"
cmp "$T/a.img" "$T/b.img" && echo "same bytes"

mv "$M/modules.builtin.modinfo" "$T/saved"
ln -s "$T/host/secret" "$M/modules.builtin.modinfo"
both "modules.builtin.modinfo -> an absolute path outside the tree"
rm "$M/modules.builtin.modinfo" && mv "$T/saved" "$M/modules.builtin.modinfo"

mv "$M/modules.builtin" "$T/saved"
ln -s ../../../../host/secret "$M/modules.builtin"
both "modules.builtin -> ../../../../host/secret (out by ..)"
rm "$M/modules.builtin" && mv "$T/saved" "$M/modules.builtin"

f=$M/kernel/lib/chain3.ko
cp "$f" "$T/host/chain3.ko" && cat "$T/host/secret" >> "$T/host/chain3.ko"
rm "$f" && ln -s "$T/host/chain3.ko" "$f"
both "a module file -> an absolute path outside the tree"
rm "$f" && cp "$FIXTURES/hard/lib/modules/$K/kernel/lib/chain3.ko" "$f"

d=$M/kernel/lib/deep
mv "$d" "$T/host/deep" && cat "$T/host/secret" >> "$T/host/deep/chain6.ko"
ln -s "$T/host/deep" "$d"
both "a module directory -> an absolute path outside the tree"
rm "$d" && ln -s ../../../../../../host/deep "$d"
both "a module directory -> ../../../../../../host/deep (out by ..)"
