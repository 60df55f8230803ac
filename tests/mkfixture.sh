#!/bin/sh
# mkfixture.sh - build a sysroot of real (tiny) relocatable ELF kernel modules
# from a spec file, then index it with the real depmod.
#
# Usage: sh tests/mkfixture.sh SPEC OUTDIR
#
# OUTDIR is removed first, then OUTDIR/lib/modules/KVER/... is populated and
# `depmod -b OUTDIR KVER` is run (KMOD_ROOT=DIR: the depmod of that root, e.g.
# the kmod 34 of tests/trixie-root.sh, through tests/trixie-run.sh).  The result is
# deterministic: same spec, same tools -> same bytes (all mtimes are set to
# 2000-01-01 00:00).
#
# Spec format: one directive per line.  Blank lines and lines whose first
# non-blank character is '#' are ignored.
#
#   kver KVER
#       Required, must be the first directive.
#
#   module NAME [key=value]...
#       A loadable module, written as DIR/NAME.ko[.xz|.zst].  Keys:
#         dir=REL           directory under lib/modules/KVER
#                           (default kernel/drivers/fixture)
#         comp=none|xz|zst  compression (xz: --check=crc32 like the kernel)
#         exports=s1,s2     exported symbols (__ksymtab_strings + definitions)
#         imports=s3,s4     imported symbols (undefined references); depmod
#                           turns them into hard dependencies on the exporter
#         alias=A           modinfo alias=A
#         softdep=V         modinfo softdep=V       (e.g. "pre: a b post: c")
#         weakdep=V         modinfo weakdep=V
#         firmware=F        modinfo firmware=F
#         info=KEY=VALUE    any other modinfo entry
#       alias/softdep/weakdep/firmware/info may be repeated; every occurrence
#       adds one entry, in spec order.  license=GPL, name=NORMALIZED_NAME and
#       vermagic="KVER SMP mod_unload" are always present.
#
#   builtin NAME [dir=REL] [alias=A]... [softdep=V]... [weakdep=V]...
#           [firmware=F]... [info=KEY=VALUE]...
#       A built-in module: "REL/NAME.ko" goes to modules.builtin and
#       NAME.file=REL-without-kernel/NAME, NAME.license=GPL and the given
#       entries go to modules.builtin.modinfo (NUL separated, contiguous,
#       NAME normalized: '-' -> '_'), as the kernel's modules_install does.
#       (default dir kernel/fixture)
#
#   vmlinux SYMBOL...
#       Declares symbols the kernel image itself provides (e.g. printk):
#       modules may import them without the "exported by no module" warning.
#       Nothing is generated for them; depmod leaves them unresolved.
#
#   config FILE TEXT...
#       Appends TEXT (the raw rest of the line, verbatim, '#' and '\'
#       included) as one line to OUTDIR/etc/modprobe.d/FILE.  A FILE that
#       contains '/' is relative to OUTDIR instead (e.g.
#       usr/lib/modprobe.d/x.conf, run/modprobe.d/y.conf).  Files under
#       OUTDIR/etc/depmod.d are given to depmod with -C (otherwise depmod
#       gets an empty config dir, never the host's).
#
#   file RELPATH TEXT...
#       Appends TEXT (raw, verbatim) as one line to
#       OUTDIR/lib/modules/KVER/RELPATH *after* depmod ran (e.g. a
#       hand-written modules.weakdep, which depmod 30 does not write).
#
# Quoting (kver/module/builtin lines): tokens are split on blanks; a double
# quote starts/ends a quoted stretch inside which blanks are kept, so
#     softdep="pre: a b post: c"   or   "softdep=pre: a b"
# give the value 'pre: a b post: c'.  Quotes themselves are removed; there is
# no escape for a literal '"'.  An unquoted token starting with '#' starts a
# comment.  config/file lines are never tokenized (TEXT is raw).
#
# Names: module names are [A-Za-z0-9_-]+ (file name kept as written, depmod
# normalizes '-' to '_'); symbols are C identifiers; paths are
# [A-Za-z0-9._+/-]+, relative, without '..'.  Any bad line makes the script
# exit 1 with "SPEC:LINE: message" (and OUTDIR removed).  Importing a symbol
# that no module of the spec exports and no vmlinux line names only prints a
# warning.

set -eu

prog=${0##*/}
die() {
	printf "%s: %s\n" "$prog" "$*" >&2
	exit 1
}

[ $# -eq 2 ] || { echo "usage: $prog SPEC OUTDIR" >&2; exit 2; }
SPEC=$1
OUT=$2
if [ ! -f "$SPEC" ] || [ ! -r "$SPEC" ]; then die "cannot read spec file '$SPEC'"; fi
if [ -z "$OUT" ] || [ "$OUT" = / ]; then die "refusing OUTDIR '$OUT'"; fi

# KMOD_ROOT=DIR: index with the depmod of that root (the Debian 13 root of
# tests/trixie-root.sh, kmod 34) instead of the host's, through tests/trixie-run.sh.
KMOD_ROOT=${KMOD_ROOT:-}
DEPMOD=$(command -v depmod 2>/dev/null || true)
if [ -n "$KMOD_ROOT" ]; then
	DEPMOD=depmod
elif [ -z "$DEPMOD" ]; then
	for d in /sbin/depmod /usr/sbin/depmod /usr/local/sbin/depmod; do
		if [ -x "$d" ]; then DEPMOD=$d; break; fi
	done
fi
[ -n "$DEPMOD" ] || die "depmod not found (PATH, /sbin, /usr/sbin)"
CC=${CC:-gcc}

rm -rf "$OUT"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
CLEANUP=$OUT
# never leave a half-built tree that could pass for a fixture
# shellcheck disable=SC2154 # rc is assigned inside the trap
trap 'rc=$?; [ $rc -eq 0 ] || rm -rf "$CLEANUP"; exit $rc' EXIT
trap 'exit 130' INT TERM
BUILD=$OUT/.mkfixture
mkdir -p "$BUILD/src" "$BUILD/post"

# ---------------------------------------------------------------------------
# Parse the spec.  awk writes: BUILD/kver, BUILD/src/*.c, BUILD/modules.plan
# ("NAME DIR COMP" per loadable module, spec order), BUILD/builtin,
# BUILD/builtin.modinfo (\001 instead of NUL), the config files under OUT,
# and BUILD/post.list + BUILD/post/N for `file` directives.
# ---------------------------------------------------------------------------
# shellcheck disable=SC2016 # awk program, not shell
AWKPROG='
function fail(msg) {
	printf "%s:%d: %s\n", spec, NR, msg > "/dev/stderr"
	failed = 1
	exit 1
}
function warn(msg) { printf "%s: warning: %s\n", spec, msg > "/dev/stderr" }
function tokenize(s,    i, c, n, cur, inq, have, L) {
	n = 0; cur = ""; inq = 0; have = 0; L = length(s)
	for (i = 1; i <= L; i++) {
		c = substr(s, i, 1)
		if (inq) {
			if (c == "\"") inq = 0; else cur = cur c
			continue
		}
		if (c == "\"") { inq = 1; have = 1; continue }
		if (c == " " || c == "\t") {
			if (have) { tok[++n] = cur; cur = ""; have = 0 }
			continue
		}
		if (c == "#" && !have) break
		cur = cur c; have = 1
	}
	if (inq) fail("unterminated double quote")
	if (have) tok[++n] = cur
	return n
}
function safepath(p) {
	return p ~ /^[A-Za-z0-9._+\/-]+$/ && p !~ /^\// && p !~ /(^|\/)\.\.(\/|$)/
}
function cstr(s) {
	gsub(/\\/, "\\\\", s)
	gsub(/"/, "\\\"", s)
	return "\"" s "\""
}
function ensuredir(path,    d) {
	d = path
	if (!sub(/\/[^\/]*$/, "", d)) return
	if (!(d in made)) { system("mkdir -p \047" d "\047"); made[d] = 1 }
}
function norm(s) { gsub(/-/, "_", s); return s }
function addsyms(kind, v, name,    n, i, a) {
	n = split(v, a, ",")
	if (n == 0) fail(kind "= needs at least one symbol")
	for (i = 1; i <= n; i++) {
		if (a[i] !~ /^[A-Za-z_][A-Za-z0-9_]*$/)
			fail("bad symbol name \047" a[i] "\047 in " kind "=")
		if (kind == "exports") {
			if (a[i] in exporter)
				fail("symbol " a[i] " already exported by " exporter[a[i]])
			exporter[a[i]] = name
			nexp++; exps[nexp] = a[i]
		} else {
			nimp++; imps[nimp] = a[i]
			importer[a[i]] = importer[a[i]] (importer[a[i]] == "" ? "" : ",") name
		}
	}
}
function parse_mod(kind, n,    name, nname, dir, comp, i, t, eq, k, v, ne, ent, f, dd) {
	if (n < 2) fail(kind ": missing NAME")
	name = tok[2]
	if (name !~ /^[A-Za-z0-9_][A-Za-z0-9_-]*$/) fail(kind ": bad module name \047" name "\047")
	nname = norm(name)
	if (nname in seen) fail(kind " " name ": duplicate of " seen[nname] " (line " seenline[nname] ")")
	seen[nname] = name; seenline[nname] = NR
	dir = (kind == "module") ? "kernel/drivers/fixture" : "kernel/fixture"
	comp = "none"; ne = 0; nexp = 0; nimp = 0
	for (i = 3; i <= n; i++) {
		t = tok[i]
		eq = index(t, "=")
		if (eq < 2) fail(kind " " name ": expected key=value, got \047" t "\047")
		k = substr(t, 1, eq - 1); v = substr(t, eq + 1)
		if (v == "") fail(kind " " name ": empty value for " k "=")
		if (index(v, "\001")) fail(kind " " name ": control character in value")
		if (k == "dir") {
			sub(/\/+$/, "", v)
			if (!safepath(v)) fail(kind " " name ": bad dir=\047" v "\047")
			dir = v
		} else if (k == "comp") {
			if (kind != "module") fail("builtin " name ": comp= only for modules")
			if (v == "zstd") v = "zst"
			if (v != "none" && v != "xz" && v != "zst") fail("module " name ": comp must be none, xz or zst")
			comp = v
		} else if (k == "exports" || k == "imports") {
			if (kind != "module") fail("builtin " name ": " k "= only for modules")
			addsyms(k, v, name)
		} else if (k == "alias" || k == "softdep" || k == "weakdep" || k == "firmware") {
			ent[++ne] = k "=" v
		} else if (k == "info") {
			if (index(v, "=") < 2) fail(kind " " name ": info= needs KEY=VALUE")
			ent[++ne] = v
		} else {
			fail(kind " " name ": unknown key \047" k "\047")
		}
	}
	if (kind == "builtin") {
		print dir "/" name ".ko" > (build "/builtin")
		dd = dir; sub(/^kernel\//, "", dd); if (dd == "kernel") dd = ""
		f = build "/builtin.modinfo"
		printf "%s.file=%s%s\001", nname, (dd == "" ? "" : dd "/"), name > f
		printf "%s.license=GPL\001", nname > f
		for (i = 1; i <= ne; i++) printf "%s.%s\001", nname, ent[i] > f
		return
	}
	nmods++
	print name, dir, comp > (build "/modules.plan")
	f = build "/src/" name ".c"
	print "/* generated by mkfixture.sh from " spec " line " NR " */" > f
	print "__attribute__((section(\".modinfo\"), used, aligned(1)))" > f
	printf "static const char fixture_modinfo[] =\n\t%s \"\\0\"\n\t%s \"\\0\"\n\t%s", \
		cstr("license=GPL"), cstr("name=" nname), cstr("vermagic=" kver " SMP mod_unload") > f
	for (i = 1; i <= ne; i++) printf " \"\\0\"\n\t%s", cstr(ent[i]) > f
	print ";" > f
	if (nexp > 0) {
		print "__attribute__((section(\"__ksymtab_strings\"), used, aligned(1)))" > f
		printf "static const char fixture_ksymtab_strings[] =\n\t\"%s\"", exps[1] > f
		for (i = 2; i <= nexp; i++) printf " \"\\0\"\n\t\"%s\"", exps[i] > f
		print ";" > f
		for (i = 1; i <= nexp; i++) print "void " exps[i] "(void) { }" > f
	}
	if (nimp > 0) {
		for (i = 1; i <= nimp; i++) print "extern void " imps[i] "(void);" > f
		print "__attribute__((used)) static void fixture_use_imports(void)\n{" > f
		for (i = 1; i <= nimp; i++) print "\t" imps[i] "();" > f
		print "}" > f
	}
	close(f)
}
BEGIN { failed = 0; have_kver = 0; nmods = 0; npost = 0 }
{
	line = $0
	sub(/\r$/, "", line)
	if (line ~ /^[ \t]*(#|$)/) next
	if (!match(line, /^[ \t]*[^ \t]+/)) next
	d = substr(line, RSTART, RLENGTH); sub(/^[ \t]+/, "", d)
	if (!have_kver && d != "kver") fail("first directive must be \047kver KVER\047, got \047" d "\047")
	if (d == "config" || d == "file") {
		if (!match(line, /^[ \t]*[^ \t]+[ \t]+[^ \t]+/)) fail(d ": missing path")
		p = substr(line, RSTART, RLENGTH); sub(/^[ \t]*[^ \t]+[ \t]+/, "", p)
		text = substr(line, RSTART + RLENGTH); sub(/^[ \t]+/, "", text)
		if (!safepath(p)) fail(d ": bad path \047" p "\047")
		if (d == "config") {
			if (index(p, "/") == 0) p = "etc/modprobe.d/" p
			p = out "/" p
			ensuredir(p)
			print text >> p
		} else {
			if (!(p in postid)) {
				postid[p] = ++npost
				print npost, p > (build "/post.list")
			}
			print text >> (build "/post/" postid[p])
		}
		next
	}
	n = tokenize(line)
	if (d == "kver") {
		if (have_kver) fail("kver given twice")
		if (n != 2) fail("usage: kver KVER")
		if (tok[2] !~ /^[A-Za-z0-9._+-]+$/) fail("bad kernel version \047" tok[2] "\047")
		kver = tok[2]; have_kver = 1
		print kver > (build "/kver")
		close(build "/kver")
	} else if (d == "module" || d == "builtin") {
		parse_mod(d, n)
	} else if (d == "vmlinux") {
		if (n < 2) fail("usage: vmlinux SYMBOL...")
		for (i = 2; i <= n; i++) {
			if (tok[i] !~ /^[A-Za-z_][A-Za-z0-9_]*$/) fail("bad symbol name \047" tok[i] "\047")
			vmlinux[tok[i]] = 1
		}
	} else {
		fail("unknown directive \047" d "\047 (kver, module, builtin, vmlinux, config, file)")
	}
}
END {
	if (failed) exit 1
	if (!have_kver) { NR = 0; fail("no kver directive") }
	for (s in importer)
		if (!(s in exporter) && !(s in vmlinux))
			warn("symbol " s " imported by " importer[s] " is exported by no module")
}'

awk -v spec="$SPEC" -v build="$BUILD" -v out="$OUT" "$AWKPROG" "$SPEC" ||
	die "$SPEC: bad spec, nothing built"

KVER=$(cat "$BUILD/kver")
MODDIR=$OUT/lib/modules/$KVER
mkdir -p "$MODDIR"

# ---------------------------------------------------------------------------
# Compile all modules: two gcc processes (one per core), many files each.
# ---------------------------------------------------------------------------
: > "$MODDIR/modules.order"
if [ -s "$BUILD/modules.plan" ]; then
	(
		cd "$BUILD/src"
		set -- *.c
		half=$(( ($# + 1) / 2 ))
		i=0; a=; b=
		for f; do
			i=$((i + 1))
			if [ $i -le $half ]; then a="$a $f"; else b="$b $f"; fi
		done
		# shellcheck disable=SC2086
		$CC -c -O0 -g0 -w $a & pa=$!
		rb=0
		# shellcheck disable=SC2086
		[ -z "$b" ] || $CC -c -O0 -g0 -w $b || rb=$?
		ra=0; wait $pa || ra=$?
		[ $ra -eq 0 ] && [ $rb -eq 0 ]
	) || die "$SPEC: gcc failed"

	xzlist=; zstlist=
	while read -r name dir comp; do
		mkdir -p "$MODDIR/$dir"
		mv "$BUILD/src/$name.o" "$MODDIR/$dir/$name.ko"
		echo "$dir/$name.ko" >> "$MODDIR/modules.order"
		case $comp in
		xz) xzlist="$xzlist $MODDIR/$dir/$name.ko" ;;
		zst) zstlist="$zstlist $MODDIR/$dir/$name.ko" ;;
		esac
	done < "$BUILD/modules.plan"
	# shellcheck disable=SC2086
	[ -z "$xzlist" ] || xz --check=crc32 --lzma2=dict=1MiB -T1 -q -f $xzlist ||
		die "$SPEC: xz failed"
	# shellcheck disable=SC2086
	[ -z "$zstlist" ] || zstd -q --rm -f --no-progress $zstlist ||
		die "$SPEC: zstd failed"
fi

# builtins (always write both files, as modules_install does)
: > "$MODDIR/modules.builtin"
[ ! -f "$BUILD/builtin" ] || cat "$BUILD/builtin" > "$MODDIR/modules.builtin"
: > "$MODDIR/modules.builtin.modinfo"
[ ! -f "$BUILD/builtin.modinfo" ] ||
	tr '\001' '\000' < "$BUILD/builtin.modinfo" > "$MODDIR/modules.builtin.modinfo"

# ---------------------------------------------------------------------------
# depmod, with a config dir that is never the host's.
# ---------------------------------------------------------------------------
if [ -d "$OUT/etc/depmod.d" ]; then
	DEPMODCONF=$OUT/etc/depmod.d
else
	DEPMODCONF=$BUILD/depmod.d
	mkdir -p "$DEPMODCONF"
fi
run_depmod() {
	if [ -n "$KMOD_ROOT" ]; then
		sh "$(dirname "$0")/trixie-run.sh" "$KMOD_ROOT" -b "$OUT" -- \
			depmod "$@"
	else
		"$DEPMOD" "$@"
	fi
}
run_depmod -b "$OUT" -C "$DEPMODCONF" "$KVER" 2> "$BUILD/depmod.err" || {
	cat "$BUILD/depmod.err" >&2
	die "$SPEC: depmod -b $OUT $KVER failed"
}
[ ! -s "$BUILD/depmod.err" ] || sed "s|^|$prog: $SPEC: |" "$BUILD/depmod.err" >&2

# post-depmod `file` directives
if [ -f "$BUILD/post.list" ]; then
	while read -r id rel; do
		case $rel in */*) mkdir -p "$MODDIR/${rel%/*}" ;; esac
		cat "$BUILD/post/$id" >> "$MODDIR/$rel"
	done < "$BUILD/post.list"
fi

rm -rf "$BUILD"
find "$OUT" -exec touch -t 200001010000.00 {} +
exit 0
