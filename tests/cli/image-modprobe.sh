#!/bin/sh
# The acceptance test of --format cpio: for every module of every fixture tree, an
# image rooted at it, unpacked with bsdcpio or GNU cpio (in turn), must work with no
# depmod run: for every module in the image, `modprobe --show-depends` prints the
# same insmod/builtin lines (paths relative to each tree) as on the full tree,
# `modinfo` prints the same; every alias of the image's modules.alias resolves
# (modprobe -R) to its module, and to nothing the full tree would not give; every
# builtin stays builtin. Then depmod run on the unpacked tree must write the very
# .bin files the image has (the trimmed indexes are what depmod would write).
. "$SRCDIR/tests/cli/lib.sh"
EMPTY=$T/empty
mkdir -p "$EMPTY"
fail=0

# show ROOTDIR KVER NAME: modprobe --show-depends with paths relative to ROOTDIR
show() {
	modprobe -d "$1" -S "$2" -C "$EMPTY" --show-depends "$3" 2>&1 | sed "s|$1/||g"
}
info() {
	modinfo -b "$1" -k "$2" "$3" 2>&1 | sed "s|$1/||g"
}
resolve() {
	modprobe -d "$1" -S "$2" -C "$EMPTY" -R "$3" 2>&1 | sort
}

for t in hard soft builtin weak confdirs; do
	root=$FIXTURES/$t
	md=$(tree "$t")
	kver=$(basename "$md")
	images=0 checked=0 aliases=0
	for name in $(sed 's/:.*//; s|.*/||; s/\.ko.*//' "$md/modules.dep"); do
		img=$T/$t-$name.cpio
		"$MODSET" -q -r "$md" -f cpio -o "$img" "$name" || { echo "$t $name: exit $?"; fail=1; continue; }
		# bsdcpio and GNU cpio in turn
		tool=bsdcpio
		[ $((images % 2)) = 1 ] && tool=cpio
		for tool in $tool; do
			u=$T/u-$tool
			rm -rf "$u" && mkdir "$u"
			(cd "$u" && $tool -id --quiet < "$img" 2>/dev/null) || (cd "$u" && $tool -id < "$img" 2>/dev/null) ||
				{ echo "$t $name: $tool -i failed"; fail=1; continue; }
			for m in $(sed 's/:.*//; s|.*/||; s/\.ko.*//' "$u/lib/modules/$kver/modules.dep"); do
				if [ "$(show "$u" "$kver" "$m")" != "$(show "$root" "$kver" "$m")" ]; then
					echo "$t $name ($tool): modprobe --show-depends $m differs:"
					show "$root" "$kver" "$m" > "$T/.full"
					show "$u" "$kver" "$m" | diff "$T/.full" - | head -5
					fail=1
				fi
				if [ "$(info "$u" "$kver" "$m")" != "$(info "$root" "$kver" "$m")" ]; then
					echo "$t $name ($tool): modinfo $m differs"
					fail=1
				fi
				checked=$((checked + 1))
			done
			while read -r kw alias mod; do
				[ "$kw" = alias ] || continue
				aliases=$((aliases + 1))
				resolve "$u" "$kver" "$alias" > "$T/.img"
				resolve "$root" "$kver" "$alias" > "$T/.full"
				if ! grep -qx "$mod" "$T/.img" || [ -n "$(comm -23 "$T/.img" "$T/.full")" ]; then
					echo "$t $name ($tool): modprobe -R $alias: $(tr '\n' ' ' < "$T/.img")"
					fail=1
				fi
			done < "$u/lib/modules/$kver/modules.alias"
			for b in $(sed 's|.*/||; s/\.ko$//' "$u/lib/modules/$kver/modules.builtin"); do
				if [ "$(show "$u" "$kver" "$b")" != "$(show "$root" "$kver" "$b")" ]; then
					echo "$t $name ($tool): builtin $b differs"
					fail=1
				fi
			done
		done
		images=$((images + 1))
	done
	echo "$t: $images images, $checked module checks, $aliases alias checks"
done

# depmod on the unpacked image writes the .bin files the image carries
for t in hard soft builtin weak; do
	md=$(tree "$t")
	kver=$(basename "$md")
	u=$T/depmod-$t
	rm -rf "$u" && mkdir -p "$u" "$u.conf"
	roots=$(sed 's/:.*//; s|.*/||; s/\.ko.*//' "$md/modules.dep" | awk 'NR % 2 == 1')
	# shellcheck disable=SC2086
	"$MODSET" -q -r "$md" -f cpio -o "$T/$t.cpio" $roots
	(cd "$u" && bsdcpio -id --quiet < "$T/$t.cpio")
	mkdir -p "$T/ours-$t"
	cp "$u/lib/modules/$kver/"*.bin "$T/ours-$t/"
	depmod -b "$u" -C "$u.conf" "$kver"
	same=0
	for f in "$T/ours-$t/"*.bin; do
		if cmp -s "$f" "$u/lib/modules/$kver/$(basename "$f")"; then
			same=$((same + 1))
		else
			echo "$t: $(basename "$f") differs from depmod's"
			fail=1
		fi
	done
	echo "$t: $same .bin files identical to depmod's on the unpacked image"
done
exit $fail
