#!/bin/sh
# Dash/underscore: kmod normalizes module names ('-' -> '_'), so "chain-4"
# and "chain_4" name the same module whatever its file is called; names in
# the output are normalized, paths keep the file's own spelling. A root that
# names nothing is reported as written.
. "$SRCDIR/tests/cli/lib.sh"
H=$(tree hard)
S=$(tree soft)
B=$(tree builtin)

echo "== chain-4 / chain_4 (file chain-4.ko.xz), chain_5 / chain-5 (file chain_5.ko.zst)"
ms -r "$H" -f order chain-4
ms -r "$H" -f order chain_4
ms -r "$H" chain-5 | rel "$H"
echo "== use-two / use_two and use_two_x (file use_two_x.ko.zst) are different modules"
ms -r "$H" -f order use_two use-two_x
echo "== json: normalized names, file names as they are"
"$MODSET" -r "$H" -f json fan-b | jflat | grep -e '^{ "name": "dia_' -e '^{ "name": "fan_b"'
echo "== dash-named builtin, either spelling"
"$MODSET" -r "$B" -f json hid-generic hid_generic | jflat | grep -e '^{' -e '^"load'
echo "== config 'softdep dash_mod' applies to dash-mod.ko.xz; its target 'helper-a' is helper_a"
msq -r "$S" -f order dash-mod
echo "== modules.softdep target with a dash: helper_c pre: helper-d (file helper-d.ko)"
msq -r "$S" -f order helper_b
echo "== unknown names are reported as written"
ms -r "$H" -f order CHAIN1 chain-8
