#!/bin/sh
# An alias that 3,000 modules provide (copies of one module under 3,000 names,
# indexed by the real depmod): every provider is in the set, each once, with
# their shared hard dependencies once; libkmod's lookup, the modinfo reads and
# the output stay fast (no quadratic blow-up worth a timeout). A root list of
# 3,000 module names gives the same set.
. "$SRCDIR/tests/cli/lib.sh"
H=$(copytree hard)
kver=${H##*/}
DEPMOD=$(command -v depmod || echo /sbin/depmod)
mkdir -p "$H/kernel/drivers/many" "$T/depmod.d"
xz -dq -c "$H/kernel/drivers/misc/fwdev.ko.xz" > "$T/all"
size=$(wc -c < "$T/all")
# 3,000 copies in one split run (a cp per copy is slow): many0000.ko ... many2999.ko
for _ in 1 2 3 4 5 6 7 8 9 10 11 12; do cat "$T/all" "$T/all" > "$T/all2" && mv "$T/all2" "$T/all"; done
head -c $((size * 3000)) "$T/all" |
	(cd "$H/kernel/drivers/many" && split -b "$size" -d -a 4 --additional-suffix=.ko - many)
rm "$T/all"
ls "$H/kernel/drivers/many" | sed 's/\.ko$//' > "$T/roots"
"$DEPMOD" -b "$T/hard" -C "$T/depmod.d" "$kver"
alias='pci:v00001234d00005678sv00000001sd00000002bc03sc00i00'
echo "== providers of the alias in modules.alias: $(grep -c 'pci:v00001234d00005678' "$H/modules.alias")"

echo "== the alias as a root"
"$MODSET" -r "$H" --no-cache -f order "$alias" > "$T/out.order" 2> "$T/err"
echo "[exit $?]"
cat "$T/err"
echo "$(wc -l < "$T/out.order") modules, $(sort -u "$T/out.order" | wc -l) distinct"
head -3 "$T/out.order"
tail -2 "$T/out.order"
echo "== --kmod-compat: the same set"
"$MODSET" -r "$H" --no-cache --kmod-compat -f order "$alias" | sort > "$T/compat.order"
sort "$T/out.order" | cmp -s - "$T/compat.order" && echo "same" || echo "DIFFERENT"
echo "== json: one entry per module"
"$MODSET" -r "$H" --no-cache -f json "$alias" | grep -c '"name"'
echo "== the 3,000 copies' names through --from"
"$MODSET" -r "$H" --no-cache -f order --from "$T/roots" | sort > "$T/from.order"
grep -v '^fwdev$' "$T/out.order" | sort | cmp -s - "$T/from.order" && echo "same but fwdev" ||
	echo "DIFFERENT"
