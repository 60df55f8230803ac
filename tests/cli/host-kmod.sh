#!/bin/sh
# The target's kmod decides, never the host's: the same tree gives the same bytes
# whether the host has kmod 30 (Debian 12, here) or kmod 34 (the Debian 13 root of
# tests/trixie-root.sh, where the same binary runs chrooted, with that root's
# libraries and /etc). Trees: confdirs, whose lib/modprobe.d has a *.alias file,
# indexed by depmod 30 (no modules.weakdep: kmod < 33 rules, the file is read) and
# by depmod 34 (modules.weakdep: not read); weak, whose weak deps come from
# modules.weakdep and modprobe.d (every matching line), under depmod 30 and 34; and
# builtin (6.12, nvme's modinfo weakdep=), under both. Each run's output is shown
# once, then whether the trixie root gave the same bytes (the JSON manifest too: its
# layout is ours, not json-c's, whose 0.16 and 0.18 print empty arrays differently).
# SKIP (exit 77) when the root cannot be made, or for a sanitizer build (the root
# has no libasan). Under VALGRIND=1 the binary itself runs in the root.
. "$SRCDIR/tests/cli/lib.sh"
inner=${MODSET_UNWRAPPED:-$MODSET}
if readelf -d "$inner" | grep -q 'NEEDED.*lib[a-z]*san\.so'; then
	echo "a sanitizer build cannot run in the trixie root (no libasan there)"
	exit 77
fi
ROOT=$(sh "$SRCDIR/tests/trixie-root.sh" 2> "$T/root.err")
if [ $? -ne 0 ] || [ -z "$ROOT" ]; then
	echo "no Debian 13 root: $(tail -n 1 "$T/root.err" | sed "s/^.*SKIP: //")"
	exit 77
fi
if ! sh "$SRCDIR/tests/trixie-run.sh" "$ROOT" -- true 2> "$T/run.err"; then
	echo "cannot enter the Debian 13 root: $(tail -n 1 "$T/run.err")"
	exit 77
fi
fail=0

# The fixtures indexed by the root's depmod 34, at $T/NAME34.
for spec in confdirs weak builtin; do
	if ! KMOD_ROOT=$ROOT sh "$SRCDIR/tests/mkfixture.sh" "$SRCDIR/tests/fixtures/$spec.spec" \
		"$T/${spec}34" > "$T/mkfixture.log" 2>&1; then
		cat "$T/mkfixture.log"
		exit 1
	fi
done
# moddir34 NAME: the module directory of $T/NAME34
moddir34() {
	echo "$T/${1}34/lib/modules/$(ls "$T/${1}34/lib/modules")"
}

# same TREE ARGS...: run on the host and in the root; print the host's output
# (paths under TREE shortened; through jflat with JSON=1) and whether the root's
# is the same
same() {
	tree=$1
	shift
	"$MODSET" --no-cache "$@" > "$T/host.out" 2>&1
	echo "[exit $?]" >> "$T/host.out"
	sh "$SRCDIR/tests/trixie-run.sh" "$ROOT" -b "$BUILDDIR" -b "$FIXTURES" -b "$T" -- \
		"$inner" --no-cache "$@" > "$T/root.out" 2>&1
	echo "[exit $?]" >> "$T/root.out"
	if [ "${JSON:-}" = 1 ]; then
		sed '$d' "$T/host.out" | rel "$tree" | jflat
		tail -n 1 "$T/host.out"
	else
		rel "$tree" < "$T/host.out"
	fi
	if cmp -s "$T/host.out" "$T/root.out"; then
		echo "(kmod 34 root: the same bytes)"
	else
		echo "FAIL: the kmod 34 root gives:"
		diff "$T/host.out" "$T/root.out"
		fail=1
	fi
}

for depmod in 30 34; do
	if [ $depmod = 30 ]; then
		C=$(tree confdirs) W=$(tree weak) B=$(tree builtin)
	else
		C=$(moddir34 confdirs) W=$(moddir34 weak) B=$(moddir34 builtin)
	fi
	echo "=== depmod $depmod"
	echo "== confdirs: modules.weakdep: $([ -e "$C/modules.weakdep" ] && echo yes || echo no)"
	same "$C" -r "$C" target_d target_a
	same "$C" -r "$C" -f order target_d target_a
	same "$C" -r "$C" --kmod-compat -f order target_d
	echo "== weak"
	same "$W" -r "$W" wk_main wk_cfg wk_modinfo_only wk-dash
	JSON=1
	same "$W" -r "$W" -f json wk_main wk_cfg
	JSON=
	same "$W" -r "$W" --kmod-compat -f order wk_main wk_cfg
	echo "== builtin"
	same "$B" -r "$B" nvme ext4
done
# the empty mount points mkfixture.sh's depmod runs left in the root
for d in confdirs34 weak34 builtin34; do
	rmdir "$ROOT$T/$d" 2>/dev/null
done
rmdir "$ROOT$T" 2>/dev/null
p=$ROOT$T
p=${p%/*}
case ${p##*/} in cli.*) rmdir "$p" 2>/dev/null ;; esac # run.sh's work directory
exit $fail
