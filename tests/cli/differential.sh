#!/bin/sh
# differential.sh - compare initrd-modset --kmod-compat with modprobe --show-depends
#
# Env:
#   MODSET    path of the initrd-modset binary (required unless KMOD_ONLY=1)
#   FIXTURES  directory of built sysroots FIXTURES/NAME/ (one per
#             tests/fixtures/NAME.spec, built with tests/mkfixture.sh)
#   MODPROBE  modprobe to use (default: PATH, /sbin, /usr/sbin)
#   MODPROBE_ROOT=DIR  the oracle is the kmod of root DIR (the Debian 13 root of
#             tests/trixie-root.sh: kmod 34): modprobe, and libkmod-query for
#             DIFF_WEAK, run chrooted there through tests/trixie-run.sh, with
#             FIXTURES and the temporary directory bind-mounted at their own paths
#   KMOD_ONLY=1  print modprobe's set for every case instead of comparing
#             (to inspect the fixtures while the CLI does not exist)
#   DIFF_ALIASES=1  also test the plain (wildcard-free) aliases of each tree
#   DIFF_WEAK=1  also compare weak dependencies (kmod >= 33; needs KMOD_QUERY,
#             the path of tests/libkmod-query.c built, build/tests/libkmod-query)
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
# so the host's configuration is never read. Every modprobe call of a tree is
# made by one shell (one chroot with MODPROBE_ROOT).
#
# Weak dependencies (DIFF_WEAK=1, on trees that have modules.weakdep: depmod
# >= 33 writes it). modprobe never loads them, so --show-depends cannot tell;
# kmod's own view is compared instead, for every module and builtin M:
#   union  the targets of every "weakdep PATTERN DEP..." line of `modprobe -c`
#          (modprobe.d and modules.weakdep, as kmod parsed them) whose PATTERN
#          matches M, each resolved by libkmod (kmod_module_new_from_lookup:
#          aliases to every provider, builtins kept, unknown names dropped); for
#          a builtin also its modules.builtin.modinfo weakdep= entries, which
#          depmod never writes and kmod never reads
#   first  libkmod's kmod_module_get_weakdeps(M): the first matching line only
#          (libkmod keeps one line, as for softdeps)
#   ours   the modules that `$MODSET -f json M` gives a {"type": "weak", "from":
#          M} reason: the weak deps we put in the image
# ours must equal union (we merge every line, as for softdeps), hence be a
# superset of first; where one line matches, first must equal ours too.
#
# Exit status: 0 when every case matched, 1 on any mismatch, 2 on setup errors.

set -u

prog=differential
here=$(cd "$(dirname "$0")" && pwd)
FIXTURES=${FIXTURES:-}
MODSET=${MODSET:-}
KMOD_ONLY=${KMOD_ONLY:-0}
DIFF_ALIASES=${DIFF_ALIASES:-0}
DIFF_WEAK=${DIFF_WEAK:-0}
MODPROBE_ROOT=${MODPROBE_ROOT:-}
KMOD_QUERY=${KMOD_QUERY:-}
VERBOSE=${VERBOSE:-0}

die() { printf '%s: %s\n' "$prog" "$*" >&2; exit 2; }

[ -n "$FIXTURES" ] || die "FIXTURES is not set"
[ -d "$FIXTURES" ] || die "FIXTURES='$FIXTURES' is not a directory"
FIXTURES=$(cd "$FIXTURES" && pwd -P)
if [ "$KMOD_ONLY" != 1 ]; then
	[ -n "$MODSET" ] || die "MODSET is not set"
	[ -x "$MODSET" ] || die "MODSET='$MODSET' is not executable"
fi
if [ "$DIFF_WEAK" = 1 ]; then
	[ -n "$KMOD_QUERY" ] || die "DIFF_WEAK=1 needs KMOD_QUERY (build/tests/libkmod-query)"
	[ -x "$KMOD_QUERY" ] || die "KMOD_QUERY='$KMOD_QUERY' is not executable"
	KMOD_QUERY=$(cd "$(dirname "$KMOD_QUERY")" && pwd -P)/${KMOD_QUERY##*/}
fi

if [ -n "$MODPROBE_ROOT" ]; then
	[ -d "$MODPROBE_ROOT" ] || die "MODPROBE_ROOT='$MODPROBE_ROOT' is not a directory"
	MODPROBE=modprobe
else
	MODPROBE=${MODPROBE:-$(command -v modprobe 2>/dev/null || true)}
	if [ -z "$MODPROBE" ]; then
		for m in /sbin/modprobe /usr/sbin/modprobe; do
			if [ -x "$m" ]; then MODPROBE=$m; break; fi
		done
	fi
	[ -n "$MODPROBE" ] || die "modprobe not found"
fi

tmpbase=$(cd "${TMPDIR:-/tmp}" && pwd -P) || die "no temporary directory"
TMP=$(mktemp -d "$tmpbase/differential.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
EMPTYCONF=$TMP/empty.d
mkdir -p "$EMPTYCONF"

# kmod SCRIPT ARG...: run a shell script with the oracle's kmod: on the host, or
# chrooted in MODPROBE_ROOT with FIXTURES, the temporary directory and KMOD_QUERY's
# directory bound (their paths are the same inside).
kmod() {
	if [ -z "$MODPROBE_ROOT" ]; then
		sh "$@"
		return
	fi
	set -- -b "$FIXTURES" -b "$tmpbase" -- sh "$@"
	[ -z "$KMOD_QUERY" ] || set -- -b "${KMOD_QUERY%/*}" "$@"
	sh "$here/../trixie-run.sh" "$MODPROBE_ROOT" "$@"
}

# The oracle's calls for one tree, in one shell:
# oracle.sh MODPROBE SYSROOT KVER OUTDIR QUERY [CONFDIR]...
# OUTDIR/names (one a line) -> OUTDIR/sd.N: `modprobe --show-depends` of name N;
# with QUERY (DIFF_WEAK): OUTDIR/config (`modprobe -c`), OUTDIR/weak
# (`QUERY MODDIR CONFDIR... -- weakdeps` of OUTDIR/modnames, status in weak.rc) and
# OUTDIR/lookup (`-- lookup` of every weakdep target of the config and of
# OUTDIR/targets.extra).
cat > "$TMP/oracle.sh" <<'EOF'
mp=$1 root=$2 kver=$3 out=$4 query=$5
shift 5
confargs=
for d; do confargs="$confargs -C $d"; done
i=0
while IFS= read -r name; do
	i=$((i + 1))
	# shellcheck disable=SC2086
	"$mp" -d "$root" -S "$kver" $confargs --show-depends "$name" > "$out/sd.$i" 2>/dev/null
done < "$out/names"
[ -n "$query" ] || exit 0
md=$root/lib/modules/$kver
# shellcheck disable=SC2086
"$mp" -d "$root" -S "$kver" $confargs -c > "$out/config" 2>/dev/null
# shellcheck disable=SC2046
"$query" "$md" "$@" -- weakdeps $(cat "$out/modnames") > "$out/weak" 2> "$out/weak.err"
echo $? > "$out/weak.rc"
{
	awk '$1 == "weakdep" { for (i = 3; i <= NF; i++) print $i }' "$out/config"
	cat "$out/targets.extra"
} | LC_ALL=C sort -u > "$out/targets"
# shellcheck disable=SC2046
"$query" "$md" "$@" -- lookup $(cat "$out/targets") > "$out/lookup" 2> "$out/lookup.err"
EOF

version=$(kmod /dev/stdin <<EOF 2>/dev/null
"$MODPROBE" --version
EOF
)
version=$(printf '%s\n' "$version" | sed -n 's/^kmod version //p')
[ -n "$version" ] || die "cannot run $MODPROBE${MODPROBE_ROOT:+ in $MODPROBE_ROOT}"

pass=0
fail=0
ntrees=0
nmod=0
nalias=0
wtotal=0 wone=0 wmany=0 wnone=0 wbuiltin=0 wfail=0

report_fail() {
	fail=$((fail + 1))
	printf 'FAIL %s\n' "$*"
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

# modules ROOT KVER -> one name per line: modules, builtins (a '-' name also with '_')
modules() {
	md=$1/lib/modules/$2
	{
		sed -n 's|^\([^:]*\):.*|\1|p' "$md/modules.dep"
		[ ! -f "$md/modules.builtin" ] || cat "$md/modules.builtin"
	} | sed -e 's|.*/||' -e 's|\.ko\(\.[a-z0-9]*\)\{0,1\}$||' |
		awk '{ print; if (index($0, "-")) { gsub(/-/, "_"); print } }'
}

# aliases ROOT KVER -> the plain (wildcard-free) aliases, loadable and builtin
aliases() {
	md=$1/lib/modules/$2
	[ ! -f "$md/modules.alias" ] ||
		awk '$1 == "alias" && $2 !~ /[][*?]/ { print $2 }' "$md/modules.alias"
	[ ! -s "$md/modules.builtin.modinfo" ] ||
		tr '\000' '\n' < "$md/modules.builtin.modinfo" |
		sed -n 's/^[^.=]*\.alias=//p' | grep -v '[][*?]'
}

# builtin_weak MODDIR NAME -> the weakdep= targets of builtin NAME in
# modules.builtin.modinfo, one a line
builtin_weak() {
	[ ! -s "$1/modules.builtin.modinfo" ] ||
		tr '\000' '\n' < "$1/modules.builtin.modinfo" |
		sed -n "s/^$2\\.weakdep=//p" | tr -s '[:blank:]' '\n' | sed '/^$/d'
}

# resolve NAME...: libkmod's lookup of each (from OUTDIR/lookup), sorted, unique
resolve() {
	for t; do
		awk -v t="$t:" '$1 == t { for (i = 2; i <= NF; i++) print $i }' "$OUT/lookup"
	done | LC_ALL=C sort -u
}

# ours_weak MODDIR NAME -> the modules our manifest gives a weak reason from NAME
# shellcheck disable=SC2086
ours_weak() {
	"$MODSET" -q --root "$1" --format json $CONFARGS "$2" 2> "$TMP/modset.err" |
		tr -d '\n' | sed 's/[[:space:]][[:space:]]*/ /g; s/{ "name": "/\n/g' |
		awk -v from="{ \"type\": \"weak\", \"from\": \"$2\" }" \
			'NR > 1 && index($0, from) { sub(/".*/, ""); print }' | LC_ALL=C sort -u
}

# weak_compare ROOT KVER TREE: the weak deps of every module and builtin (see the top)
weak_compare() {
	md=$1/lib/modules/$2
	rc=$(cat "$OUT/weak.rc")
	[ "$rc" -eq 0 ] || die "$3: libkmod-query weakdeps (kmod $version): exit $rc: $(head -n 1 "$OUT/weak.err")"
	while IFS= read -r m; do
		# the config's lines whose pattern matches m, in kmod's order
		awk '$1 == "weakdep"' "$OUT/config" > "$TMP/lines.all"
		: > "$TMP/lines"
		while read -r _ pat deps; do
			# shellcheck disable=SC2254 # PATTERN is an fnmatch pattern, as in libkmod
			case $m in $pat) printf '%s\n' "$deps" >> "$TMP/lines" ;; esac
		done < "$TMP/lines.all"
		nlines=$(wc -l < "$TMP/lines")
		# shellcheck disable=SC2046
		{
			resolve $(cat "$TMP/lines")
			if grep -qx "$m" "$TMP/builtins"; then
				resolve $(builtin_weak "$md" "$m")
			fi
		} | LC_ALL=C sort -u > "$TMP/union"
		awk -v m="$m:" '$1 == m { for (i = 2; i <= NF; i++) print $i }' "$OUT/weak" |
			LC_ALL=C sort -u > "$TMP/first"
		ours_weak "$md" "$m" > "$TMP/ours"
		wtotal=$((wtotal + 1))
		bad=
		cmp -s "$TMP/union" "$TMP/ours" || bad="not the union of kmod's lines"
		[ -z "$(LC_ALL=C comm -23 "$TMP/first" "$TMP/ours")" ] ||
			bad="${bad:+$bad; }not a superset of libkmod's"
		if [ "$nlines" -eq 1 ] && ! cmp -s "$TMP/first" "$TMP/ours"; then
			bad="${bad:+$bad; }one line, yet not libkmod's"
		fi
		if [ -n "$bad" ]; then
			wfail=$((wfail + 1))
			report_fail "$3 $m weak deps ($bad):"
			printf '  kmod lines: %s\n' "$(tr '\n' '|' < "$TMP/lines")"
			printf '  union:      %s\n' "$(tr '\n' ' ' < "$TMP/union")"
			printf '  libkmod:    %s\n' "$(tr '\n' ' ' < "$TMP/first")"
			printf '  modset:     %s\n' "$(tr '\n' ' ' < "$TMP/ours")"
			[ ! -s "$TMP/modset.err" ] || sed 's/^/  stderr:     /' "$TMP/modset.err" | head -n 5
			continue
		fi
		if [ "$nlines" -eq 0 ]; then
			wnone=$((wnone + 1))
		elif [ "$nlines" -eq 1 ]; then
			wone=$((wone + 1))
		else
			wmany=$((wmany + 1))
		fi
		if grep -qx "$m" "$TMP/builtins" && [ -n "$(builtin_weak "$md" "$m")" ]; then
			wbuiltin=$((wbuiltin + 1))
		fi
		pass=$((pass + 1))
		[ "$VERBOSE" != 1 ] || echo "ok   $3 $m weak: $(tr '\n' ' ' < "$TMP/ours")"
	done < "$OUT/modnames"
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
		OUT=$TMP/out.$tree.$kver
		mkdir -p "$OUT"

		confdirs=$root/etc/modprobe.d
		[ -d "$confdirs" ] || confdirs=$EMPTYCONF
		for extra in run/modprobe.d usr/local/lib/modprobe.d usr/lib/modprobe.d lib/modprobe.d; do
			[ ! -d "$root/$extra" ] || confdirs="$confdirs $root/$extra"
		done
		CONFARGS=
		for d in $confdirs; do CONFARGS="$CONFARGS -C $d"; done

		modules "$root" "$kver" | LC_ALL=C sort -u > "$TMP/modules"
		: > "$TMP/aliases"
		[ "$DIFF_ALIASES" != 1 ] ||
			aliases "$root" "$kver" | LC_ALL=C sort -u | LC_ALL=C comm -23 - "$TMP/modules" > "$TMP/aliases"
		cat "$TMP/modules" "$TMP/aliases" > "$OUT/names"
		nmod=$((nmod + $(wc -l < "$TMP/modules")))
		nalias=$((nalias + $(wc -l < "$TMP/aliases")))

		query=
		: > "$OUT/modnames" && : > "$OUT/targets.extra" && : > "$TMP/builtins"
		if [ "$DIFF_WEAK" = 1 ] && [ -f "$md/modules.weakdep" ]; then
			query=$KMOD_QUERY
			# kmod's names ('_'), loadable and builtin
			modules "$root" "$kver" | grep -v -- - | LC_ALL=C sort -u > "$OUT/modnames"
			[ ! -f "$md/modules.builtin" ] ||
				sed -e 's|.*/||' -e 's|\.ko$||' -e 's|-|_|g' "$md/modules.builtin" |
				LC_ALL=C sort -u > "$TMP/builtins"
			while IFS= read -r b; do
				builtin_weak "$md" "$b"
			done < "$TMP/builtins" > "$OUT/targets.extra"
		fi
		# shellcheck disable=SC2086 # confdirs: paths without blanks, split on purpose
		kmod "$TMP/oracle.sh" "$MODPROBE" "$root" "$kver" "$OUT" "$query" $confdirs ||
			die "$tree: the oracle's run failed"

		i=0
		while IFS= read -r name; do
			i=$((i + 1))
			[ -n "$name" ] || continue
			awk '$1 == "insmod" { print $2 }' "$OUT/sd.$i" | LC_ALL=C sort -u > "$TMP/want"
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
			report_fail "$tree $name (exit $rc):"
			printf '  modprobe: '
			sed "s|^$md/||" "$TMP/want" | tr '\n' ' '
			printf '\n  modset:   '
			sed "s|^$md/||" "$TMP/got" | tr '\n' ' '
			echo
			if [ -s "$TMP/modset.err" ]; then
				sed 's/^/  stderr:   /' "$TMP/modset.err" | head -n 5
			fi
		done < "$OUT/names"
		[ -z "$query" ] || [ "$KMOD_ONLY" = 1 ] || weak_compare "$root" "$kver" "$tree"
	done
done

[ "$ntrees" -gt 0 ] || die "no fixture trees under $FIXTURES"
where=host
[ -z "$MODPROBE_ROOT" ] || where=${MODPROBE_ROOT##*/}
echo "differential (kmod $version, $where): $ntrees trees, $nmod module names, $nalias aliases"
if [ "$DIFF_WEAK" = 1 ]; then
	echo "differential: weak deps of $wtotal modules and builtins: $((wtotal - wfail)) agree" \
		"($wnone none; $wone one kmod line: = libkmod's; $wmany several lines: the union," \
		"a superset of libkmod's first line; $wbuiltin builtins add modules.builtin.modinfo" \
		"weakdep=), $wfail differ"
fi
echo "differential: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
