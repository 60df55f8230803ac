#!/bin/sh
# The binary built here (Debian 12) run unchanged inside the Debian 13 root ($TRIXIE),
# where the dynamic linker gives it that root's libraries: kmod 34's libkmod.so.2,
# its json-c, libarchive, libzstd, liblzma. The same tree must give the same answer
# whether the system has kmod 30 or kmod 34: on every tree of both fixture sets
# (indexed by depmod 30, $FIXTURES, and by depmod 34, $FIXTURES34), every module and
# builtin alone as --format list and json, and per tree all of them at once as list,
# json, cpio, cpio.zst (libarchive), cpio.xz (liblzma) and --kmod-compat list; the
# output, the image, stderr and the exit status of each run on the host and in the
# root must be the same, byte for byte. Two exceptions, where a library the binary
# loads writes the bytes: JSON is compared without its blanks and newlines, since
# json-c's pretty printer changed between 0.16 (Debian 12: an empty array is "[\n]")
# and 0.18 (Debian 13: "[]"); a .zst image decompressed (libzstd 1.5.4 and 1.5.7,
# through libarchive, compress the same archive into other bytes). Those are
# counted, and the first of each kind shown. Then ld.so's account (LD_DEBUG=libs) of runs
# inside the root: json loads json-c, a compressed image libarchive or liblzma, a
# plain list and a plain cpio neither, and wherever libkmod.so.2 is loaded at all it
# is the root's (kmod 34's package, not the host's file). Judged by its exit status
# (no .expected). SKIP (77) without the root, and for a sanitizer build (the root
# has no sanitizer runtime).
. "$SRCDIR/tests/cli/lib.sh"
need_kmod34
bin=${MODSET_UNWRAPPED:-$MODSET}
bin=$(cd "$(dirname "$bin")" && pwd -P)/${bin##*/}
if readelf -d "$bin" 2>/dev/null | grep -q 'NEEDED.*lib[atu]san'; then
	echo "$bin is a sanitizer build: the Debian 13 root has no sanitizer runtime"
	exit 77
fi
fail=0

# runs.sh BIN OUTDIR FIXTURES...: every run, each leaving OUTDIR/SET/TREE/CASE.{out,err,rc}
cat > "$T/runs.sh" <<'EOF'
bin=$1 out=$2
shift 2
# one BIN ARG... run: CASE ARG...
run() {
	c=$1
	shift
	"$bin" --no-cache "$@" > "$o/$c.out" 2> "$o/$c.err"
	echo $? > "$o/$c.rc"
}
for fx; do
	for root in "$fx"/*/; do
		root=${root%/}
		[ -d "$root/lib/modules" ] || continue
		set -- "$root"/lib/modules/*
		md=$1
		o=$out/${fx##*/}/${root##*/}
		mkdir -p "$o"
		names=$({ sed -n 's|^\([^:]*\):.*|\1|p' "$md/modules.dep"
			[ ! -f "$md/modules.builtin" ] || cat "$md/modules.builtin"; } |
			sed -e 's|.*/||' -e 's|\.ko\(\.[a-z0-9]*\)\{0,1\}$||' | LC_ALL=C sort -u)
		for n in $names; do
			run "list.$n" --sysroot "$root" -r "$md" "$n"
			run "json.$n" --sysroot "$root" -r "$md" -f json "$n"
		done
		# shellcheck disable=SC2086
		{
			run all.list --sysroot "$root" -r "$md" $names
			run all.compat --sysroot "$root" -r "$md" --kmod-compat $names
			run all.json --sysroot "$root" -r "$md" -f json $names
			run all.cpio --sysroot "$root" -r "$md" -f cpio -o "$o/image.cpio" $names
			run all.zst --sysroot "$root" -r "$md" -f cpio -o "$o/image.cpio.zst" $names
			run all.xz --sysroot "$root" -r "$md" -f cpio -o "$o/image.cpio.xz" $names
		}
	done
done
EOF

sh "$T/runs.sh" "$bin" "$T/host" "$FIXTURES" "$FIXTURES34"
sh "$SRCDIR/tests/trixie-run.sh" "$TRIXIE" -b "$BUILDDIR" -b "$T" -- \
	sh "$T/runs.sh" "$bin" "$T/root" "$FIXTURES" "$FIXTURES34" || {
	echo "FAIL: the runs inside $TRIXIE did not complete (exit $?)"
	exit 1
}
for set in "$FIXTURES" "$FIXTURES34"; do
	s=${set##*/}
	n=0 runs=0 same=0 jsonws=0 zst=0 differ=0
	(cd "$T/host/$s" && find . -type f) | LC_ALL=C sort > "$T/files.$s"
	(cd "$T/root/$s" && find . -type f) | LC_ALL=C sort | cmp -s - "$T/files.$s" || {
		echo "FAIL: $s: the runs in the root wrote other files than on the host"
		fail=1
	}
	while IFS= read -r f; do
		n=$((n + 1))
		case $f in *.rc) runs=$((runs + 1)) ;; esac
		h=$T/host/$s/$f r=$T/root/$s/$f
		if cmp -s "$h" "$r"; then
			same=$((same + 1))
			continue
		fi
		case $f in
		./*/json.*.out | ./*/all.json.out)
			if [ "$(tr -d ' \n' < "$h")" = "$(tr -d ' \n' < "$r")" ]; then
				jsonws=$((jsonws + 1))
				[ "$jsonws" -gt 1 ] || { echo "$s: ${f#./}: json-c's whitespace only:"; diff "$h" "$r" | head -n 6; }
				continue
			fi
			;;
		./*/image.cpio.zst)
			if zstd -dcq "$h" > "$T/h.cpio" && zstd -dcq "$r" > "$T/r.cpio" &&
				cmp -s "$T/h.cpio" "$T/r.cpio"; then
				zst=$((zst + 1))
				[ "$zst" -gt 1 ] ||
					echo "$s: ${f#./}: other zstd bytes ($(wc -c < "$h") and $(wc -c < "$r")), the same archive"
				continue
			fi
			;;
		esac
		differ=$((differ + 1))
		fail=1
		echo "FAIL: $s: ${f#./} differs between the host (kmod 30) and the root (kmod 34):"
		diff "$h" "$r" 2>&1 | sed "s|$T/||g" | head -n 10
	done < "$T/files.$s"
	echo "$s: $runs runs, $n files: $same byte for byte the same on the host (kmod 30) and" \
		"in the root (kmod 34), $jsonws JSON the same but for json-c's whitespace, $zst" \
		".zst images the same once decompressed, $differ differ"
done

# ld.so's account inside the root: what each kind of run loads, from where
# loaded ARG...: the files ld.so calls the initializer of, one a line
loaded() {
	sh "$SRCDIR/tests/trixie-run.sh" "$TRIXIE" -b "$BUILDDIR" -b "$T" -- \
		env LD_DEBUG=libs "$bin" --no-cache "$@" 2>&1 > /dev/null |
		sed -n 's/.*calling init: //p' | LC_ALL=C sort -u
}
# whose FILE: the root's package owning FILE (after symlinks) and its version
whose() {
	sh "$SRCDIR/tests/trixie-run.sh" "$TRIXIE" -- sh -c '
		f=$(readlink -f "$1")
		p=$(dpkg -S "$f" 2>/dev/null | sed -n "1s/:.*//p")
		[ -n "$p" ] || p=$(dpkg -S "${f#/usr}" 2>/dev/null | sed -n "1s/:.*//p")
		echo "${f##*/} ($p $(dpkg-query -W -f "\${Version}" "$p" 2>/dev/null))"' sh "$1"
}
# expect WHAT LIB yes|no ARG...: whether the run loads LIB
expect() {
	what=$1 lib=$2 want=$3
	shift 3
	loaded "$@" > "$T/loaded"
	f=$(grep "/$lib" "$T/loaded" | head -n 1)
	if [ -n "$f" ]; then got=yes; else got=no; fi
	if [ "$got" != "$want" ]; then
		echo "FAIL: $what: $lib loaded: want $want, got $got"
		fail=1
		return
	fi
	if [ -n "$f" ]; then
		echo "$what: $lib from the root: $(whose "$f")"
	else
		echo "$what: $lib not loaded"
	fi
}
H34=$FIXTURES34/hard/lib/modules/6.1.0-hard
expect "list" libjson-c.so no -r "$H34" chain_5
expect "list" libarchive.so no -r "$H34" chain_5
expect "json" libjson-c.so yes -r "$H34" -f json chain_5
expect "cpio" libarchive.so no -r "$H34" -f cpio -o "$T/x.cpio" chain_5
expect "cpio.zst" libarchive.so yes -r "$H34" -f cpio -o "$T/x.cpio.zst" chain_5
expect "cpio.xz" liblzma.so yes -r "$H34" -f cpio -o "$T/x.cpio.xz" chain_5
expect "--check" libarchive.so yes --check "$T/x.cpio.zst" --kver 6.1.0-hard \
	-r "$H34" chain_5

# libkmod: wherever a run loads it, it must be the root's file (kmod 34), not the
# host's (kmod 30) under the same path
nk=0 nl=0
for set in "$FIXTURES" "$FIXTURES34"; do
	for root in "$set"/*/; do
		root=${root%/}
		[ -d "$root/lib/modules" ] || continue
		md=$(echo "$root"/lib/modules/*)
		# shellcheck disable=SC2046
		loaded --sysroot "$root" -r "$md" $(sed -n 's|^\([^:]*\):.*|\1|p' "$md/modules.dep" |
			sed -e 's|.*/||' -e 's|\.ko.*||') > "$T/loaded"
		nk=$((nk + 1))
		f=$(grep '/libkmod\.so' "$T/loaded" | head -n 1)
		[ -n "$f" ] || continue
		nl=$((nl + 1))
		w=$(whose "$f")
		case $w in
		*"(libkmod2 34."*) ;;
		*)
			echo "FAIL: ${set##*/}/${root##*/}: libkmod in the root is $w, not kmod 34's"
			fail=1
			;;
		esac
		if cmp -s "$TRIXIE$(sh "$SRCDIR/tests/trixie-run.sh" "$TRIXIE" -- readlink -f "$f")" \
			"$(readlink -f "$f")"; then
			echo "FAIL: ${set##*/}/${root##*/}: the root's $f is the host's file"
			fail=1
		fi
		echo "${set##*/}/${root##*/} (all modules): loads $w"
	done
done
if [ "$nl" -eq 0 ]; then
	echo "libkmod.so.2 loaded by none of $nk all-module runs in the root (none needs it)"
else
	echo "libkmod.so.2 loaded by $nl of $nk all-module runs in the root, each time kmod 34's"
fi
exit $fail
