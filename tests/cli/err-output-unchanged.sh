#!/bin/sh
# -o onto an existing file: any error (unreadable tree, corrupt index, corrupt
# module, root outside the tree, --strict violation, usage error) leaves it
# byte-for-byte unchanged and leaves no temporary file beside it.
. "$SRCDIR/tests/cli/lib.sh"
M=$(copytree bad)
mkdir -p "$T/out"
printf 'previous contents\n' > "$T/out/modules.list"
cp "$T/out/modules.list" "$T/before"
check() {
	cmp -s "$T/before" "$T/out/modules.list" && echo "unchanged" || echo "CHANGED"
}

echo "== missing tree"
ms -r "$T/nonexistent/lib/modules/1" -o "$T/out/modules.list" top; check
echo "== root outside the tree"
ms -r "$M" -o "$T/out/modules.list" top /etc/passwd; check
echo "== --strict violation"
ms -r "$M" --strict -o "$T/out/modules.list" top nosuchmod; check
echo "== usage error (unknown format)"
ms -r "$M" -f yaml -o "$T/out/modules.list" top; check
echo "== corrupt module"
head -c 100 "$M/kernel/drivers/bad/top.ko.xz" > "$T/part"
cat "$T/part" > "$M/kernel/drivers/bad/top.ko.xz"
ms -r "$M" -o "$T/out/modules.list" top; check
echo "== corrupt modules.dep.bin"
printf 'XXXX' | dd of="$M/modules.dep.bin" bs=1 seek=0 conv=notrunc 2>/dev/null
ms -r "$M" -o "$T/out/modules.list" top; check
lsa "$T/out"
