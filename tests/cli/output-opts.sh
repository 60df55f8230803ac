#!/bin/sh
# -0 (NUL-separated list/order), -o FILE (atomic: the same bytes as stdout, a
# new file gets 0666 & ~umask, an existing file is replaced, nothing else is
# left in the directory), -o - (stdout).
. "$SRCDIR/tests/cli/lib.sh"
H=$(tree hard)
W=$(tree weak)
mkdir -p "$T/out"

echo "== -0 --format order (NUL shown as |)"
"$MODSET" -r "$H" -f order -0 chain3 lonely | tr '\0' '|'
echo
echo "== -0 --format list, weak-only entries too"
"$MODSET" -r "$W" -0 wk_a | rel "$W" | tr '\0' '|'
echo
echo "== -0 does not change json"
"$MODSET" -r "$H" -f json -0 lonely > "$T/json0"
"$MODSET" -r "$H" -f json lonely > "$T/json"
cmp "$T/json0" "$T/json" && echo same

for fmt in list order json; do
	"$MODSET" -r "$H" -f $fmt fan_top > "$T/stdout.$fmt"
	(umask 022 && ms -r "$H" -f $fmt -o "$T/out/modules.$fmt" fan_top)
	cmp "$T/stdout.$fmt" "$T/out/modules.$fmt" && echo "-o $fmt: same bytes as stdout"
done
for f in "$T"/out/*; do echo "$(stat -c %a "$f") ${f##*/}"; done
lsa "$T/out"

echo "== umask 077: mode 600; an existing file is replaced"
echo old > "$T/out/modules.list"
(umask 077 && ms -r "$H" -o "$T/out/modules.list" lonely)
stat -c %a "$T/out/modules.list"
rel "$H" < "$T/out/modules.list"
lsa "$T/out"

echo "== -o with a relative path (to the working directory)"
(cd "$T/out" && ms -r "$H" -f order -o rel.order lonely)
cat "$T/out/rel.order"
echo "== -o - is stdout"
ms -r "$H" -f order -o - lonely
lsa "$T/out"
