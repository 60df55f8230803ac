#!/bin/sh
# modules.dep.bin cut short (an interrupted depmod, a full disk): empty, a
# partial header, a header whose trie is gone, half the file. libkmod would
# read past the end of its mapping; initrd-modset must refuse: one error line
# naming the file, exit 2, no output file.
. "$SRCDIR/tests/cli/lib.sh"
M=$(copytree bad)
mkdir -p "$T/out"
cp "$M/modules.dep.bin" "$T/dep.bin.good"
size=$(wc -c < "$T/dep.bin.good")

for cut in "0 empty" "8 half a header" "12 the header alone" \
	"$((size / 2)) half the file" "$((size - 1)) all but the last byte"; do
	echo "== ${cut#* }"
	head -c "${cut%% *}" "$T/dep.bin.good" > "$M/modules.dep.bin"
	ms -r "$M" -o "$T/out/modules.list" top
done
lsa "$T/out"
echo "== the whole file again: fine"
cp "$T/dep.bin.good" "$M/modules.dep.bin"
ms -r "$M" -f order top
