#!/bin/sh
# --why prints every shortest chain from a root, with direct hard edges and typed
# soft/weak edges, builtins marked; exit 3 for a module not in the set.
# --exclude / --exclude-from leave modules out with their edges and report a cut
# hard dependency (error under --strict); blacklist lines change nothing unless
# --honor-blacklist.
. "$SRCDIR/tests/cli/lib.sh"
D=$(tree builtin)
S=$(tree soft)
H=$(tree hard)

echo "== --why on a hard chain (direct edges only)"
ms -r "$H" --why chain_5 chain7
echo "== --why through a diamond: both shortest chains"
ms -r "$H" --why dia_base dia_top
echo "== --why through a builtin's softdep"
ms -r "$D" --no-config --why crc32c_intel ext4
echo "== --why json"
ms -r "$H" --why chain6 -f json chain7
echo "== --why for a module not in the set"
ms -r "$H" --why lonely chain7

echo "== --exclude cuts a hard dependency"
ms -r "$H" -f order --exclude chain-4 chain7
echo "== the same under --strict"
ms -r "$H" -f order --exclude chain-4 --strict chain7
echo "== --exclude-from, with a comment and a glob"
printf '# not these\nchain_[45]\n' > "$T/ex"
ms -r "$H" -f order --exclude-from "$T/ex" chain7
echo "== blacklist alone changes nothing; --honor-blacklist excludes"
msq -r "$S" -f order crc32c-intel
msq -r "$S" -f order --honor-blacklist crc32c-intel
