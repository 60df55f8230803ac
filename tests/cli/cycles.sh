#!/bin/sh
# Soft and weak dependency cycles terminate (each module loaded once, at its
# first place in the probe order) and are reported in the manifest's "cycles":
# each cycle's names sorted, cycles sorted by first name. Self-loops count.
. "$SRCDIR/tests/cli/lib.sh"
S=$(tree soft)
W=$(tree weak)

# ping: post: pong; pong: pre: ping            (modinfo, two modules)
# selfish: pre: selfish post: selfish helper_a (self)
# cyc_a post: cyc-b; cyc-b pre: cyc_c; cyc_c post: cyc_a helper_c (config)
for r in ping pong selfish cyc_a cyc-b; do
	echo "== $r"
	"$MODSET" -q -r "$S" -f json "$r" | jflat | grep '^"load_order"'
done
echo "== all soft cycles at once"
"$MODSET" -q -r "$S" -f json cyc_c selfish pong | jflat | grep '^"load_order"'

# wk_a <-> wk_b and wk_self -> wk_self (modules.weakdep)
echo "== weak cycles"
"$MODSET" -r "$W" -f json wk_a wk_self | jflat
echo "== --no-weak: no weak edges, no weak cycles"
"$MODSET" -r "$W" -f json --no-weak wk_a wk_self | jflat | grep '^"load_order"'
echo "== --no-soft: no soft cycles"
"$MODSET" -q -r "$S" -f json --no-soft ping selfish | jflat | grep '^"load_order"'
