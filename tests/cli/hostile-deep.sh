#!/bin/sh
# Nothing recurses on the input (issue 12, hole 9): with a 1 MiB stack (ulimit -s),
# a softdep chain of 50,000 modules (s0 pre: s1 ... s49999 pre: deep_tail) and a
# softdep cycle of 50,000 (c0 post: c1 ... c49999 post: c0) resolve, and --why
# walks them. Builtins keep the tree cheap (no module file to build: they take part
# in the softdep walk as any module); every 10,000th link of the chain is a real
# module, so the load order has 6 entries, the deepest first.
. "$SRCDIR/tests/cli/lib.sh"
awk 'BEGIN {
	n = 50000
	print "kver 6.1.0-deep"
	print "module deep_tail"
	for (i = 0; i < n; i++) {
		s[i] = (i % 10000 == 9999 ? "r" : "s") i
		print (i % 10000 == 9999 ? "module " : "builtin ") s[i]
		print "builtin c" i
	}
	s[n] = "deep_tail"
	for (i = 0; i < n; i++) {
		print "config chain.conf softdep " s[i] " pre: " s[i + 1]
		print "config cycle.conf softdep c" i " post: c" (i + 1) % n
	}
}' > "$T/deep.spec"
sh "$SRCDIR/tests/mkfixture.sh" "$T/deep.spec" "$T/deep" || exit 1
R=$T/deep/lib/modules/6.1.0-deep
ulimit -s 1024 || { echo "SKIP: ulimit -s 1024 not possible"; exit 77; }

echo "== the chain: load order"
"$MODSET" -r "$R" --no-cache -f order s0 > "$T/order"
echo "[exit $?]"
cat "$T/order"
echo "== the chain: --why deep_tail"
"$MODSET" -r "$R" --no-cache --why deep_tail s0 > "$T/why"
echo "[exit $?]"
echo "$(wc -l < "$T/why") chain of $(tr ' ' '\n' < "$T/why" | grep -c '^[srd]') modules"
cut -c 1-60 "$T/why"
echo "== the cycle: json"
"$MODSET" -r "$R" --no-cache -f json c0 > "$T/json"
echo "[exit $?]"
echo "$(grep -c '"name"' "$T/json") modules, load order: $(sed -n '/"load_order"/,/]/p' "$T/json" | grep -c '"c')"
sed -n '/"cycles"/,$p' "$T/json" > "$T/cycles"
echo "$(grep -c '^    \[' "$T/cycles") cycle of $(grep -c '"c[0-9]*"' "$T/cycles") modules, first $(grep -m1 '"c[0-9]' "$T/cycles" | tr -d ' ,')"
echo "== the cycle: --why c49999"
"$MODSET" -r "$R" --no-cache --why c49999 c0 > "$T/why"
echo "[exit $?]"
echo "$(wc -l < "$T/why") chain of $(tr ' ' '\n' < "$T/why" | grep -c '^c') modules"
cut -c 1-60 "$T/why"
