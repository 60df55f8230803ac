#!/bin/sh
# modules.dep.bin entries that name a file outside the module directory: an
# absolute path (what the real depmod writes for a module found through a
# depmod.d "external" directory) or a relative path with "..". initrd-modset
# never reads or lists such a file: one error line naming modules.dep.bin,
# the module and the path; exit 2; no output file.
. "$SRCDIR/tests/cli/lib.sh"
M=$(copytree bad)
kver=${M##*/}
mkdir -p "$T/out" "$T/outside" "$T/depmod.d"
cp "$M/modules.dep.bin" "$T/dep.bin.good"
DEPMOD=$(command -v depmod || echo /sbin/depmod)

echo "== depmod with 'external $kver $T/outside': an absolute path"
cp "$M/kernel/drivers/bad/extra.ko" "$T/outside/evil.ko"
printf 'search external built-in\nexternal %s %s\n' "$kver" "$T/outside" > "$T/depmod.d/ext.conf"
"$DEPMOD" -b "$T/bad" -C "$T/depmod.d" "$kver"
grep evil "$M/modules.dep"
ms -r "$M" -o "$T/out/modules.list" evil
msj -r "$M" -f json =
lsa "$T/out"
echo "== the rest of that tree is fine"
ms -r "$M" -f order top

# enough ".." to reach / from any build directory (more stay at /)
up=../../../../../../../../../../../../../../../../../../../../../../../..
echo "== hand-written index: 'evil' -> \$up/etc/passwd"
index1 evil "$up/etc/passwd:" > "$M/modules.dep.bin"
ms -r "$M" -o "$T/out/modules.list" evil
lsa "$T/out"

echo "== hand-written index: top's hard dependency passwd is \$up/etc/passwd"
index2 passwd "$up/etc/passwd:" top "kernel/drivers/bad/top.ko.xz: $up/etc/passwd" \
	> "$M/modules.dep.bin"
ms -r "$M" -o "$T/out/modules.list" top
lsa "$T/out"
