#!/bin/sh
# A root that names nothing is a warning (exit 0, the other roots still
# resolved, listed in the manifest's "missing"); with --strict it is an error:
# exit 3 and no output file. Missing soft targets are strict too; missing weak
# targets never are. -q hides warnings but not --strict errors.
. "$SRCDIR/tests/cli/lib.sh"
H=$(tree hard)
S=$(tree soft)
W=$(tree weak)
mkdir -p "$T/out"

echo "== unknown root: warning, exit 0, output written"
ms -r "$H" -f order -o "$T/out/order" nosuchmod lonely
cat "$T/out/order"
"$MODSET" -q -r "$H" -f json nosuchmod lonely | jflat | sed -n '$p'
echo "== -q"
ms -r "$H" -f order -q nosuchmod lonely
echo "== --strict: exit 3, no output file, an existing one untouched"
rm "$T/out/order"
ms -r "$H" -f order --strict -o "$T/out/order" nosuchmod lonely
lsa "$T/out"
echo keep > "$T/out/keep"
ms -r "$H" --strict -q -o "$T/out/keep" lonely nosuchmod 'pci:v0000FFFFd0000FFFF'
cat "$T/out/keep"
lsa "$T/out"
echo "== --strict, every root found: exit 0"
ms -r "$H" -f order --strict lonely
echo "== --strict: missing softdep targets (lostsoft) are errors"
ms -r "$S" -f order --strict --no-config lostsoft
echo "== --strict: a missing weak target (wk_file -> wk_missing) stays a warning"
ms -r "$W" -f order --strict wk_file
