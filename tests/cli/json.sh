#!/bin/sh
# The --format json manifest, schema 1: schema, kernel (the module
# directory's name), moddir (absolute), roots (as given), modules sorted by
# name (name normalized, path relative to moddir or null for a builtin,
# builtin, load, reasons sorted by type then from, firmware sorted), then
# load_order, missing (sorted by name, with type and from) and cycles.
. "$SRCDIR/tests/cli/lib.sh"
H=$(tree hard)
W=$(tree weak)
B=$(tree builtin)

echo "== hard tree: firmware, a missing root (full output)"
ms -r "$H" -f json fwdev nothere lonely

echo "== weak tree: weak-only modules, missing weak target, weak cycle"
msj -r "$W" -f json wk_file wk_a

echo "== builtin tree: builtins with path null, reasons of several types"
msj -r "$B" -f json nvme

echo "== modules are sorted by name (C locale) in every manifest"
for args in "-r $H fan_top use_all lonely" "-r $W wk_top wk-dash" "-r $B jbd2_user zram nvme"; do
	# shellcheck disable=SC2086
	"$MODSET" $args -f json 2>/dev/null | jflat | sed -n 's/^{ "name": "\([^"]*\)".*/\1/p' > "$T/names"
	LC_ALL=C sort -c "$T/names" && echo "sorted ($(wc -l < "$T/names") modules)"
done
