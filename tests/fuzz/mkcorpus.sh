#!/bin/sh
# Regenerate the fixture-derived seeds of tests/fuzz/corpus/ from built fixture trees:
#   sh tests/fuzz/mkcorpus.sh [FIXTURES [BIN [FIXTURES34]]]
# (default build/fixtures, build/initrd-modset, build/fixtures-kmod34). Run `make
# fixtures` first. Seeds written here are named fixture-* (the trees depmod 30
# indexed: children-first .bin files) and fixture34-* (the same specs indexed by
# depmod 34: pre-order .bin files; only seeds that differ from the others), when
# FIXTURES34 is there; every other file of the corpus (regress-*: inputs that once
# crashed a target, hand-made cases) is left alone. Same fixtures, same seeds. Keep
# the corpus small (< 2 MB): only the smaller modules are taken.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
FX=${1:-$top/build/fixtures}
BIN=${2:-$top/build/initrd-modset}
FX34=${3:-$top/build/fixtures-kmod34}
C=$top/tests/fuzz/corpus
[ -d "$FX" ] || { echo "mkcorpus: no $FX (make fixtures)" >&2; exit 1; }
[ -d "$FX34" ] || echo "mkcorpus: no $FX34: no fixture34-* seeds" >&2
for t in modprobe-d softdep builtin-modinfo modinfo index cache roots kmod-index kmod-trim \
	check-image; do
	mkdir -p "$C/$t"
	rm -f "$C/$t"/fixture-* "$C/$t"/fixture34-*
done
pfx=fixture
# put TARGET NAME [PREFIX-BYTE-OCTAL] < data: one seed, skipped when empty or when a
# seed of the same content is already there
put() {
	tmp=$C/$1/.new
	if [ $# -ge 3 ]; then printf "\\$3" > "$tmp"; cat >> "$tmp"; else cat > "$tmp"; fi
	if [ ! -s "$tmp" ]; then rm -f "$tmp"; return; fi
	for old in "$C/$1"/*; do
		[ -f "$old" ] && cmp -s "$old" "$tmp" && { rm -f "$tmp"; return; }
	done
	mv "$tmp" "$C/$1/$pfx-$2"
}

# seeds_of FIXTURES: the seeds of each tree of a fixture set, named $pfx-*
seeds_of() {
for tree in "$1"/*/; do
	tree=${tree%/}
	name=${tree##*/}
	[ -d "$tree/lib/modules" ] || continue
	M=$(echo "$tree"/lib/modules/*)
	# modprobe.d files of every directory (ignored ones too: still bytes to parse)
	find "$tree" -path '*modprobe.d/*' -type f | LC_ALL=C sort | while read -r f; do
		rel=${f#"$tree"/}
		put modprobe-d "$name-$(echo "$rel" | tr '/' '_')" < "$f"
	done
	[ -f "$M/modules.softdep" ] && put softdep "$name-modules.softdep" 000 < "$M/modules.softdep"
	[ -f "$M/modules.weakdep" ] && put softdep "$name-modules.weakdep" 001 < "$M/modules.weakdep"
	[ -f "$M/modules.builtin.modinfo" ] &&
		put builtin-modinfo "$name-modules.builtin.modinfo" < "$M/modules.builtin.modinfo"
	for f in "$M"/*.bin; do
		put index "$name-${f##*/}" < "$f"
	done
	# modules: the three smallest of each compression, plain ones also for the
	# in-process xz (3), zstd (4) and gzip (6) wrappers and as a raw .ko.gz (5)
	for ext in ko ko.xz ko.zst; do
		find "$M" -name "*.$ext" -type f -size -3k | while read -r f; do
			echo "$(wc -c < "$f") $f"
		done | LC_ALL=C sort -n | head -3 | while read -r _ f; do
			base=${f##*/}
			case $ext in
			ko) put modinfo "$name-$base" 000 < "$f"
			    put modinfo "$name-$base-xz" 003 < "$f"
			    put modinfo "$name-$base-zst" 004 < "$f"
			    gzip -n -c < "$f" | put modinfo "$name-$base.gz" 005
			    put modinfo "$name-$base-gz" 006 < "$f" ;;
			ko.xz) put modinfo "$name-$base" 001 < "$f" ;;
			ko.zst) put modinfo "$name-$base" 002 < "$f" ;;
			esac
		done
	done
	# index writer records (priority byte, key line, value line): modules.dep's
	# module -> line, modules.alias's alias -> module
	awk -F: '{ n = $1; sub(/.*\//, "", n); sub(/\..*/, "", n); gsub(/-/, "_", n)
		printf "%c%s\n%s\n", 48 + NR % 4, n, $0 }' "$M/modules.dep" |
		put kmod-index "$name-modules.dep"
	awk '$1 == "alias" { printf "%c%s\n%s\n", 48, $2, $3 }' "$M/modules.alias" |
		put kmod-index "$name-modules.alias"
	# the text files of the tree, for the trimmer: flags byte 0 (keep all) and 3
	for flags in 000 003; do
		for f in modules.dep modules.alias modules.symbols modules.softdep \
			modules.weakdep modules.devname modules.order modules.builtin \
			modules.builtin.modinfo; do
			[ -f "$M/$f" ] && cat "$M/$f"
			printf '\n====\n'
		done | put kmod-trim "$name-$flags" "$flags"
	done
	# the modinfo cache of the whole tree, as initrd-modset writes it
	if [ -x "$BIN" ]; then
		cd_=$(mktemp -d)
		"$BIN" -r "$M" --cache-dir "$cd_" -f order = > /dev/null 2>&1 || true
		for f in "$cd_"/*.cache; do
			[ -f "$f" ] && put cache "$name-modinfo.cache" < "$f"
		done
		rm -rf "$cd_"
	fi
done
}
seeds_of "$FX"
if [ -d "$FX34" ]; then
	pfx=fixture34
	seeds_of "$FX34"
	pfx=fixture
fi

# initramfs images (--check): a few modules of the hard tree, each compression, and
# an early-cpio-style image (a plain segment, NUL padding, a compressed one)
H=$(echo "$FX"/hard/lib/modules/*)
if [ -x "$BIN" ] && [ -d "$H" ]; then
	img=$(mktemp -d)
	for c in none zstd xz gzip; do
		"$BIN" -r "$H" --no-cache --no-firmware -f cpio --compress $c -o "$img/$c.cpio" \
			lonely chain3 > /dev/null 2>&1 || true
		[ -f "$img/$c.cpio" ] && put check-image "hard-$c.cpio" < "$img/$c.cpio"
	done
	if [ -f "$img/none.cpio" ] && [ -f "$img/xz.cpio" ]; then
		{ cat "$img/none.cpio"; head -c 512 /dev/zero; cat "$img/xz.cpio"; } |
			put check-image "hard-none+xz.cpio"
	fi
	rm -rf "$img"
fi

# root lists (--from): what a hook would write
printf '# dracut-style list\nxe\next4 crc32c # comment\n\n=drivers/net\n  kernel/fs/ext4/ext4.ko.xz\t\r\n' |
	put roots "list"
printf 'pci:v00008086d000064A0sv*sd*bc03sc*i*\nsnd-hda-intel\n-\n#\n' | put roots "aliases"
du -sh "$C" | sed 's/^/mkcorpus: /'
