# --strict (without --check): an unknown root, a missing hard dep, a softdep target
# that resolves to nothing, missing firmware and a hard dep cut by --exclude are
# warnings (exit 0, output written); under --strict each is an error line (exit 3,
# nothing written). Weak targets that resolve to nothing stay warnings.
. "$SRCDIR/tests/cli/lib.sh"

echo "== unknown root"
ms --root "$(tree hard)" lonely nosuch -f order
ms --root "$(tree hard)" lonely nosuch -f order --strict

echo "== a hard dep whose file is gone (copy of the hard tree)"
r=$(copytree hard)
rm "$r/kernel/lib/chain1.ko.xz"
ms --root "$r" chain2 -f order
ms --root "$r" chain2 -f order --strict

echo "== softdep targets that resolve to nothing; weak ones stay warnings"
ms --root "$(tree soft)" -q lostsoft -f order
ms --root "$(tree soft)" -q lostsoft -f order --strict
ms --root "$(tree weak)" wk_file -f order --strict

echo "== a hard dep cut by --exclude"
ms --root "$(tree hard)" chain3 --exclude chain2 -f order
ms --root "$(tree hard)" chain3 --exclude chain2 -f order --strict

echo "== firmware: the tree's sysroot has one of lonely's two files"
r=$(copytree hard)
mkdir -p "$T/hard/lib/firmware/lonely"
echo fw > "$T/hard/lib/firmware/lonely/fw1.bin"
ms --root "$r" lonely
ms --root "$r" lonely --strict
ms --root "$r" lonely --strict --no-firmware
echo "-- json (reads modinfo anyway): a warning without --strict"
"$MODSET" --root "$r" lonely -f json 2>&1 > /dev/null
echo "[exit $?]"
