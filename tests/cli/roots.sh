#!/bin/sh
# Every form of root: module name, alias, modalias matched against wildcard
# aliases, module path (absolute, relative to the tree, compressed), =DIR
# (dracut style: under the tree or under its kernel/), --from FILE ('#'
# comments, blank lines, several words a line, CRLF) and --from - (stdin).
. "$SRCDIR/tests/cli/lib.sh"
H=$(tree hard)
B=$(tree builtin)

echo "== name"
ms -r "$H" -f order fwdev
echo "== modalias against 'pci:v00001234d00005678sv*sd*bc*sc*i*'"
ms -r "$H" -f order 'pci:v00001234d00005678sv00001111sd00002222bc03sc00i00'
echo "== modalias with another device id: nothing"
ms -r "$H" -f order 'pci:v00001234d00005679sv00001111sd00002222bc03sc00i00'
echo "== modalias of a builtin ('hid:b*g0001v*p*')"
"$MODSET" -r "$B" -f json 'hid:b0003g0001v0000046Dp0000C52B' | jflat | grep '^{ "name"'
echo "== absolute path (.ko.xz)"
ms -r "$H" -f order "$H/kernel/lib/deep/chain-4.ko.xz"
echo "== path relative to the tree (.ko.zst), and ./ form"
ms -r "$H" -f order kernel/drivers/misc/plain.ko.zst ./kernel/lib/chain1.ko.xz
echo "== =DIR: =kernel/net, and =net (under kernel/, as dracut)"
ms -r "$H" -f order =kernel/net
ms -r "$H" -f order =net
echo "== =DIR with subdirectories: =lib"
ms -r "$H" -f order =lib
echo "== =DIR naming nothing"
ms -r "$H" -f order =sound

printf '# roots for the initramfs\n\n  lonely   # trailing comment\nplain use_one\n\tchain3\r\n#fwdev\n' > "$T/roots.txt"
echo "== --from FILE"
ms -r "$H" -f order --from "$T/roots.txt"
echo "== --from - (stdin), then positional roots"
printf 'lonely\n' | ms -r "$H" -f order --from - chain2
echo "== --from FILE twice and roots repeated: each module once"
ms -r "$H" -f order --from "$T/roots.txt" --from "$T/roots.txt" lonely
echo "== --from a missing file: exit 2"
ms -r "$H" --from "$T/nonexistent.txt"
echo "== json roots: as given, in order"
"$MODSET" -r "$H" -f json --from "$T/roots.txt" kernel/lib/chain1.ko.xz | jflat | sed -n 1p
