#!/bin/sh
# differential.sh - compare initrd-modset --kmod-compat with modprobe --show-depends
#
# Env:
#   MODSET    path of the initrd-modset binary (required unless KMOD_ONLY=1)
#   FIXTURES  directory of built sysroots FIXTURES/NAME/ (one per
#             tests/fixtures/NAME.spec, built with tests/mkfixture.sh)
#   MODPROBE  modprobe to use (default: PATH, /sbin, /usr/sbin)
#   KMOD_ONLY=1  print modprobe's set for every case instead of comparing
#             (to inspect the fixtures while the CLI does not exist)
#   DIFF_ALIASES=1  also test the plain (wildcard-free) aliases of each tree
#   VERBOSE=1 print every case, not only mismatches
#
# For every tree and every module name in it (loadable modules from
# modules.dep, builtins from modules.builtin; a name with '-' is tried as
# written and with '_'), the sorted output of
#   $MODSET --root ROOT/lib/modules/KVER --kmod-compat --format list -C DIR... NAME
# must equal the sorted unique PATHs of the "insmod PATH" lines of
#   modprobe -d ROOT -S KVER -C DIR... --show-depends NAME
# DIR... is ROOT/etc/modprobe.d, followed by ROOT/run/modprobe.d,
# ROOT/usr/local/lib/modprobe.d, ROOT/usr/lib/modprobe.d, ROOT/lib/modprobe.d
# when those exist (kmod's own order); an empty directory when none exists,
# so the host's configuration is never read.
#
# Exit status: 0 when every case matched, 1 on any mismatch, 2 on setup errors.

set -u

prog=differential
FIXTURES=${FIXTURES:-}
MODSET=${MODSET:-}
KMOD_ONLY=${KMOD_ONLY:-0}
DIFF_ALIASES=${DIFF_ALIASES:-0}
VERBOSE=${VERBOSE:-0}

die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 2; }

[ -n "$FIXTURES" ] || die "FIXTURES is not set"
[ -d "$FIXTURES" ] || die "FIXTURES='$FIXTURES' is not a directory"
if [ "$KMOD_ONLY" != 1 ]; then
	[ -n "$MODSET" ] || die "MODSET is not set"
	[ -x "$MODSET" ] || die "MODSET='$MODSET' is not executable"
fi

MODPROBE=${MODPROBE:-$(command -v modprobe 2>/dev/null || true)}
if [ -z "$MODPROBE" ]; then
	for m in /sbin/modprobe /usr/sbin/modprobe; do
		if [ -x "$m" ]; then MODPROBE=$m; break; fi
	done
fi
[ -n "$MODPROBE" ] || die "modprobe not found"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/differential.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
EMPTYCONF=$TMP/empty.d
mkdir -p "$EMPTYCONF"

pass=0
fail=0
ntrees=0

# kmod_set ROOT KVER NAME -> sorted unique insmod paths on stdout
# CONFARGS is "-C DIR [-C DIR]..." (paths without blanks): split on purpose.
# shellcheck disable=SC2086
kmod_set() {
	"$MODPROBE" -d "$1" -S "$2" $CONFARGS --show-depends "$3" 2>/dev/null |
		awk '$1 == "insmod" { print $2 }' | LC_ALL=C sort -u
}

# modset_set ROOT KVER NAME -> sorted output on stdout, status of the CLI
# shellcheck disable=SC2086
modset_set() {
	"$MODSET" --root "$1/lib/modules/$2" --kmod-compat --format list \
		$CONFARGS "$3" > "$TMP/modset.out" 2> "$TMP/modset.err"
	rc=$?
	LC_ALL=C sort "$TMP/modset.out"
	return $rc
}

# names ROOT KVER -> one name per line: modules, builtins (and aliases)
names() {
	md=$1/lib/modules/$2
	{
		sed -n 's|^\([^:]*\):.*|\1|p' "$md/modules.dep"
		[ ! -f "$md/modules.builtin" ] || cat "$md/modules.builtin"
	} | sed -e 's|.*/||' -e 's|\.ko\(\.[a-z0-9]*\)\{0,1\}$||' |
		awk '{ print; if (index($0, "-")) { gsub(/-/, "_"); print } }'
	if [ "$DIFF_ALIASES" = 1 ]; then
		[ ! -f "$md/modules.alias" ] ||
			awk '$1 == "alias" && $2 !~ /[][*?]/ { print $2 }' "$md/modules.alias"
		[ ! -s "$md/modules.builtin.modinfo" ] ||
			tr '\000' '\n' < "$md/modules.builtin.modinfo" |
			sed -n 's/^[^.=]*\.alias=//p' | grep -v '[][*?]'
	fi
}

for root in "$FIXTURES"/*/; do
	root=${root%/}
	case $root in *[[:space:]]*) die "fixture path '$root' contains blanks" ;; esac
	[ -d "$root/lib/modules" ] || continue
	set -- "$root"/lib/modules/*/modules.dep
	[ -f "$1" ] || { echo "$prog: $root: no modules.dep, skipped" >&2; continue; }
	ntrees=$((ntrees + 1))
	for depfile; do
		md=${depfile%/modules.dep}
		kver=${md##*/}
		tree=${root##*/}

		CONFARGS="-C $root/etc/modprobe.d"
		[ -d "$root/etc/modprobe.d" ] || CONFARGS="-C $EMPTYCONF"
		for extra in run/modprobe.d usr/local/lib/modprobe.d usr/lib/modprobe.d lib/modprobe.d; do
			[ ! -d "$root/$extra" ] || CONFARGS="$CONFARGS -C $root/$extra"
		done

		names "$root" "$kver" | LC_ALL=C sort -u > "$TMP/names"
		while IFS= read -r name; do
			[ -n "$name" ] || continue
			kmod_set "$root" "$kver" "$name" > "$TMP/want"
			if [ "$KMOD_ONLY" = 1 ]; then
				printf '%s %s:' "$tree" "$name"
				sed "s|^$md/| |" "$TMP/want" | tr -d '\n'
				echo
				pass=$((pass + 1))
				continue
			fi
			modset_set "$root" "$kver" "$name" > "$TMP/got"
			rc=$?
			if [ $rc -eq 0 ] && cmp -s "$TMP/want" "$TMP/got"; then
				pass=$((pass + 1))
				[ "$VERBOSE" != 1 ] || echo "ok   $tree $name"
				continue
			fi
			fail=$((fail + 1))
			printf 'FAIL %s %s (exit %d):\n' "$tree" "$name" "$rc"
			printf '  modprobe: '
			sed "s|^$md/||" "$TMP/want" | tr '\n' ' '
			printf '\n  modset:   '
			sed "s|^$md/||" "$TMP/got" | tr '\n' ' '
			echo
			if [ -s "$TMP/modset.err" ]; then
				sed 's/^/  stderr:   /' "$TMP/modset.err" | head -n 5
			fi
		done < "$TMP/names"
	done
done

[ "$ntrees" -gt 0 ] || die "no fixture trees under $FIXTURES"
echo "differential: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
