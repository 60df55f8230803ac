#!/bin/sh
# Hard dependencies in kmod's load order (--format order / list): a 7-level
# chain with a redundant edge, a diamond, diamonds stacked with a shortcut
# edge, one module with several exports, several roots sharing deps. Each
# order must also equal what `modprobe --show-depends` would insmod (first
# occurrences: modprobe repeats modules, a load order names each once).
. "$SRCDIR/tests/cli/lib.sh"
H=$(tree hard)
root=$FIXTURES/hard
MODPROBE=$(command -v modprobe || echo /sbin/modprobe)

# kmod_order NAME...: modprobe's insmod sequence for each root, first occurrences
kmod_order() {
	for n; do
		"$MODPROBE" -d "$root" -S 6.1.0-hard -C "$T/empty.d" --show-depends "$n"
	done | awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++' |
		sed -e 's|.*/||' -e 's|\.ko.*||' -e 's|-|_|g'
}
mkdir -p "$T/empty.d"

for roots in chain7 dia_top fan_top use_all "chain3 dia_top" "use_one use-two plain"; do
	echo "== order $roots"
	# shellcheck disable=SC2086
	ms -r "$H" -f order $roots > "$T/got"
	cat "$T/got"
	# shellcheck disable=SC2086
	{ kmod_order $roots; echo "[exit 0]"; } > "$T/want"
	cmp -s "$T/want" "$T/got" && echo "(same as modprobe --show-depends)" ||
		{ echo "DIFFERS from modprobe:"; cat "$T/want"; }
done

echo "== list dia_top: the same order, as paths (compression suffixes kept)"
ms -r "$H" dia_top | rel "$H"
echo "== json load_order of fan_top, and every module once in modules"
"$MODSET" -r "$H" -f json fan_top | jflat | grep -c '^{ "name"'
"$MODSET" -r "$H" -f json fan_top | jflat | grep '^"load_order"'
