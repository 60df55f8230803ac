#!/bin/sh
# libkmod is never loaded: the library reads the indexes, the configuration and the
# modules' .modinfo itself, and which kmod rules apply (*.alias files, weak deps) is
# told by the tree, not by the host's libkmod. No run maps libkmod.so.2 (ld.so's own
# account), whatever it meets: names, aliases, a cold modinfo cache, a tree with
# modules.weakdep, a configuration with a *.alias file, the JSON manifest. With
# libkmod.so.2 unusable (hidden by a bind mount in a private mount namespace), every
# run gives the same output.
# Judged by its exit status (no .expected): the namespace part is skipped, passing,
# where unshare is not allowed.
. "$SRCDIR/tests/cli/lib.sh"
H=$(tree hard)
S=$(tree soft)
W=$(tree weak)
C=$(tree confdirs)
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

MA=pci:v00001234d00005678sv00001028sd00000C52bc03sc00i00
# the cases: "NAME|ARGS" (no '|' in ARGS)
cases="name, cold cache|-r $H --no-cache chain_5
name, warm cache|-r $H chain_5
alias|-q -r $S crypto-crc32c
modalias|-q -r $H $MA
modules.weakdep tree, cold cache|-r $W --no-cache wk_main wk_cfg
*.alias configuration|-r $C target_d
json, cold cache|--no-cache --format json -r $W wk_main"

# mapped ARGS...: whether the run maps libkmod.so.2
mapped() {
	if LD_DEBUG=files "$MODSET" "$@" 2>&1 >/dev/null | grep -q 'file=libkmod\.so\.2'; then
		echo yes
	else
		echo no
	fi
}

n=0
echo "$cases" | while IFS='|' read -r what args; do
	n=$((n + 1))
	# shellcheck disable=SC2086
	"$MODSET" $args > "$T/out.$n" 2>&1
	echo "$?" >> "$T/out.$n"
	if [ "${VALGRIND:-}" != 1 ]; then # ld.so would describe valgrind's start-up too
		# shellcheck disable=SC2086
		check "$what: libkmod not mapped" no "$(mapped $args)"
	fi
done > "$T/mapped"
cat "$T/mapped"
grep -q '^FAIL' "$T/mapped" && fail=1

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

n=0
echo "$cases" | while IFS='|' read -r what args; do
	n=$((n + 1))
	# shellcheck disable=SC2086
	$ns sh -c 'mount --bind /dev/null "$1" && shift && exec "$@"' sh "$libkmod" \
		"$MODSET" $args > "$T/nolib.$n" 2>&1
	echo "$?" >> "$T/nolib.$n"
	if cmp -s "$T/out.$n" "$T/nolib.$n"; then
		echo "ok: $what: the same output without libkmod"
	else
		echo "FAIL: $what: the output differs without libkmod:"
		diff "$T/out.$n" "$T/nolib.$n"
	fi
done > "$T/nolib"
cat "$T/nolib"
grep -q '^FAIL' "$T/nolib" && fail=1
exit $fail
