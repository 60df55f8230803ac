#!/bin/sh
# Determinism: two runs give the same bytes; so do runs with a cold and a warm
# modinfo cache, without it, with 1 and 8 modinfo reader threads; a copy of a tree in another directory gives the same manifest
# but for "moddir" (paths in it are relative), and the same list but for the
# directory prefix.
. "$SRCDIR/tests/cli/lib.sh"

# json reads every module's .modinfo: first run with a cold cache, then a warm
# one, then without the cache, with 1 and with 8 reader threads
n=0
for t in hard soft builtin weak confdirs; do
	md=$(tree $t)
	"$MODSET" -q -r "$md" -f json = > "$T/a" 2>&1
	"$MODSET" -q -r "$md" -f json = > "$T/b" 2>&1
	MODSET_THREADS=1 "$MODSET" --no-cache -q -r "$md" -f json = > "$T/c" 2>&1
	MODSET_THREADS=8 "$MODSET" --no-cache -q -r "$md" -f json = > "$T/d" 2>&1
	"$MODSET" -q -r "$md" = > "$T/e" 2>&1
	"$MODSET" -q -r "$md" = > "$T/f" 2>&1
	if cmp -s "$T/a" "$T/b" && cmp -s "$T/a" "$T/c" && cmp -s "$T/a" "$T/d" &&
		cmp -s "$T/e" "$T/f"; then
		n=$((n + 1))
	else
		echo "DIFFERS: $t"
	fi
done
echo "trees with identical runs: $n of 5"

# The copy keeps lib/modules/KVER under a sysroot, so that its own
# etc/modprobe.d is read (and never the host's).
for t in soft weak builtin; do
	md=$(tree $t)
	mkdir -p "$T/elsewhere/deeper"
	rm -rf "$T/elsewhere/deeper/$t"
	cp -a "$FIXTURES/$t" "$T/elsewhere/deeper/$t"
	md2=$T/elsewhere/deeper/$t/lib/modules/${md##*/}
	"$MODSET" -q -r "$md" -f json = | grep -v '"moddir"' > "$T/j1"
	"$MODSET" -q -r "$md2" -f json = | grep -v '"moddir"' > "$T/j2"
	cmp -s "$T/j1" "$T/j2" && echo "$t: json equal but for moddir ($(grep -c '"name"' "$T/j1") names)"
	"$MODSET" -q -r "$md2" -f json = | grep '"moddir"'
	"$MODSET" -q -r "$md" = | rel "$md" > "$T/l1"
	"$MODSET" -q -r "$md2" = | rel "$md2" > "$T/l2"
	cmp -s "$T/l1" "$T/l2" && echo "$t: list equal but for the prefix ($(wc -l < "$T/l1") files)"
done
