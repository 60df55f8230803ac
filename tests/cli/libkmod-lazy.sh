#!/bin/sh
# libkmod is loaded on first use (lib/kmod.c): a resolve that meets only module names
# and aliases (modules.dep.bin, modules.builtin.bin and the alias indexes, all read by
# the library itself), with the modinfo cache warm, never maps it; a module's modinfo
# the cache lacks does. Without a usable libkmod.so.2 (hidden by a bind mount in a
# private mount namespace), what needs no libkmod still works (aliases too) and what
# needs it is one error line and exit 2.
# (libkmod's own log reaches ours through the context of tree_kmod(), made only for
# kmod >= 33's weak dependencies: not exercised here.)
# Judged by its exit status (no .expected): the namespace part is skipped, passing,
# where unshare is not allowed, and so are its failing dlopen() cases under
# VALGRIND=1 (glibc itself loses memory there).
. "$SRCDIR/tests/cli/lib.sh"
H=$(tree hard)
S=$(tree soft)
W=$(tree weak)
fail=0

# check WHAT WANT GOT
check() {
	if [ "$2" = "$3" ]; then
		echo "ok: $1"
	else
		echo "FAIL: $1: want '$2', got '$3'"
		fail=1
	fi
}

# mapped ARGS...: whether the run maps libkmod.so.2 (ld.so's own account)
mapped() {
	if LD_DEBUG=files "$MODSET" "$@" 2>&1 >/dev/null | grep -q 'file=libkmod\.so\.2'; then
		echo yes
	else
		echo no
	fi
}

# released ARGS...: how many libkmod contexts said "released" through our logger
released() {
	"$MODSET" -v "$@" 2>&1 >/dev/null | grep -c 'context .* released'
}

"$MODSET" -r "$H" chain_5 > "$T/top.list" || fail=1 # fills the modinfo cache
"$MODSET" -q -r "$S" crypto-crc32c > "$T/alias.list" || fail=1
MA=pci:v00001234d00005678sv00001028sd00000C52bc03sc00i00
"$MODSET" -q -r "$H" "$MA" > /dev/null || fail=1
if [ "${VALGRIND:-}" != 1 ]; then # ld.so would describe valgrind's start-up too
	check "name, warm cache: libkmod not mapped" no "$(mapped -r "$H" chain_5)"
	check "alias, warm cache: libkmod not mapped" no "$(mapped -q -r "$S" crypto-crc32c)"
	check "modalias, warm cache: libkmod not mapped" no "$(mapped -q -r "$H" "$MA")"
	check "name, cold cache: libkmod not mapped (modinfo read by the library)" no \
		"$(mapped -r "$H" --no-cache chain_5)"
fi
check "name: no libkmod context" 0 "$(released -r "$H" chain_5)"
check "alias: no libkmod context" 0 "$(released -r "$S" crypto-crc32c)"

libkmod=$( (/sbin/ldconfig -p || ldconfig -p) 2>/dev/null |
	awk '$1 == "libkmod.so.2" {print $NF; exit}')
ns=
for u in "unshare -m" "unshare -rm"; do
	if [ -n "$libkmod" ] && $u sh -c "mount --bind /dev/null '$libkmod'" 2>/dev/null; then
		ns=$u
		break
	fi
done
if [ -z "$ns" ]; then
	echo "SKIP: no private mount namespace to hide libkmod in"
	exit $fail
fi

# nolib ARGS...: initrd-modset with libkmod.so.2 unusable; stdout to $T/out,
# then stderr (paths shortened) and "[exit N]"
nolib() {
	$ns sh -c 'mount --bind /dev/null "$1" && shift && exec "$@"' sh "$libkmod" \
		"$MODSET" "$@" > "$T/out" 2> "$T/err"
	set -- $?
	echo "$(sed "s|$libkmod|LIBKMOD|g" "$T/err") [exit $1]"
}

check "no libkmod, name, warm cache" " [exit 0]" "$(nolib -r "$H" chain_5)"
check "  same list" "$(cat "$T/top.list")" "$(cat "$T/out")"
check "no libkmod, alias, warm cache" " [exit 0]" "$(nolib -q -r "$S" crypto-crc32c)"
check "  same list" "$(cat "$T/alias.list")" "$(cat "$T/out")"
if [ "${VALGRIND:-}" = 1 ]; then
	# glibc 2.36 loses a string of ld.so's cache look-up when dlopen() fails
	echo "SKIP under valgrind: the cases where dlopen() fails"
	exit $fail
fi
check "no libkmod, modules.weakdep tree, cold cache, names only" " [exit 0]" \
	"$(nolib -r "$W" --no-cache wk_a)"
# .modinfo is read (and decompressed) by the library itself: no libkmod needed.
check "no libkmod, cold cache (modinfo read by the library)" " [exit 0]" \
	"$(nolib -r "$H" --no-cache chain_5)"
check "  same list" "$(cat "$T/top.list")" "$(cat "$T/out")"
exit $fail
