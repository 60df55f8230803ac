#!/bin/sh
# Bad input and output for --format cpio / dir: a clear error naming the file, exit
# 2, and no output file (nor temporary file) left: an unreadable module, a corrupt
# .ko.zst / .ko.xz with --decompress-modules, a modules.dep path outside the tree,
# a NUL byte in modules.dep, a full disk (a file size limit), a terminal as output.
. "$SRCDIR/tests/cli/lib.sh"
M=$(copytree hard)
mkdir -p "$T/out"

echo "== unreadable module (a directory where the file should be)"
f=$M/kernel/drivers/fixture/lonely.ko
mv "$f" "$f.save" && mkdir "$f"
ms -q -r "$M" -f cpio -o "$T/out/m.cpio" lonely
lsa "$T/out"
rmdir "$f" && mv "$f.save" "$f"

echo "== corrupt .ko.zst: the modinfo read finds it first"
f=$M/kernel/lib/chain2.ko.zst
cp -p "$f" "$T/chain2.save"
printf 'XXXXXXXXXXXXXXXX' | dd of="$f" bs=1 seek=40 conv=notrunc 2>/dev/null
ms -q -r "$M" -f cpio --decompress-modules -o "$T/out/m.cpio.zst" chain2
lsa "$T/out"
echo "== corrupt .ko.zst / .ko.xz rewritten with the same size and mtime after a cached run:"
echo "== the cache sees the new ctime, so the modinfo read finds it again; nothing written"
cp -p "$T/chain2.save" "$f"
"$MODSET" -q -r "$M" -f cpio -o /dev/null chain1 chain2
f1=$M/kernel/lib/chain1.ko.xz
cp -p "$f1" "$T/chain1.save"
printf 'XXXXXXXXXXXXXXXX' | dd of="$f" bs=1 seek=40 conv=notrunc 2>/dev/null
touch -r "$T/chain2.save" "$f"
ms -q -r "$M" -f cpio --decompress-modules -o "$T/out/m.cpio.zst" chain2
ms -q -r "$M" -f dir --decompress-modules -o "$T/out/dir" chain2
find "$T/out/dir" -name '*.ko*' | wc -l | tr -d ' '
lsa "$T/out"
rm -rf "$T/out/dir"
ms -q -r "$M" -f cpio -o "$T/out/m.cpio" chain2
lsa "$T/out"
rm -f "$T/out/m.cpio"
cp -p "$T/chain2.save" "$f"
printf 'XXXXXXXXXXXXXXXX' | dd of="$f1" bs=1 seek=40 conv=notrunc 2>/dev/null
touch -r "$T/chain1.save" "$f1"
ms -q -r "$M" -f cpio --decompress-modules -o "$T/out/m.cpio.xz" chain1
lsa "$T/out"
cp -p "$T/chain1.save" "$f1"

echo "== a modules.dep path outside the tree (relative; absolute, as a dependency)"
cp "$M/modules.dep" "$T/dep.save"
echo "../../../../etc/evil.ko:" >> "$M/modules.dep"
ms -q -r "$M" -f cpio -o "$T/out/m.cpio" lonely
cp "$T/dep.save" "$M/modules.dep"
echo "kernel/evil.ko: kernel/lib/chain1.ko.xz /etc/shadow" >> "$M/modules.dep"
ms -q -r "$M" -f dir -o "$T/out/d" lonely
lsa "$T/out"
cp "$T/dep.save" "$M/modules.dep"

echo "== a NUL byte in modules.dep (line 3): refused, its lines are index values"
{ head -n 2 "$T/dep.save"; printf 'kernel/\000'; tail -n +3 "$T/dep.save"; } > "$M/modules.dep"
ms -q -r "$M" -f cpio -o "$T/out/m.cpio" lonely
ms -q -r "$M" -f dir -o "$T/out/d" lonely
lsa "$T/out"
cp "$T/dep.save" "$M/modules.dep"

echo "== full disk: a 10 KiB file size limit (512-byte blocks)"
# (the limit applies to whatever the subshell writes: results go to small files)
(ulimit -f 20; "$MODSET" -q -r "$M" -f cpio -o "$T/out/big.cpio" = > "$T/cpio.err" 2>&1; echo $? > "$T/rc")
cat "$T/cpio.err"; echo "[exit $(cat "$T/rc")]"
lsa "$T/out"
echo "== the same into a directory: no half-written module"
(ulimit -f 2; "$MODSET" -q -r "$M" -f dir -o "$T/out/d" = > "$T/dir.err" 2>&1; echo $? > "$T/rc")
echo "[exit $(cat "$T/rc")]"
sed 's|/[^ ]*/\.\([^/]*\)\.[0-9]*\.[0-9]*\.tmp|TMP(\1)|' "$T/dir.err"
find "$T/out/d" -name '.*' | wc -l | tr -d ' '
for f in $(cd "$T/out/d" && find . -name '*.ko*'); do
	cmp -s "$T/out/d/$f" "$M/${f#./lib/modules/*/}" || echo "half-written: $f"
done
rm -rf "$T/out/d"

echo "== a terminal as output"
if command -v script > /dev/null; then
	script -qc "$MODSET -q -r $M -f cpio lonely" /dev/null | tr -d '\r'
else
	echo "initrd-modset: error: refusing to write a cpio archive to a terminal (use -o FILE)"
fi
echo "== dir without -o"
ms -q -r "$M" -f dir lonely
