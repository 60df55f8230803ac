#!/bin/sh
# Softdep ordering (kmod's probe list): for a root, its hard deps each with
# their own "pre:" deps before and "post:" deps after them, then the root's
# "pre:" deps, the root, its "post:" deps; every module once. Softdep targets
# bring their own hard and soft deps. For roots whose softdeps come from a
# single line, the default order must equal --kmod-compat's and modprobe's.
. "$SRCDIR/tests/cli/lib.sh"
S=$(tree soft)
root=$FIXTURES/soft
MODPROBE=$(command -v modprobe || echo /sbin/modprobe)

kmod_order() {
	"$MODPROBE" -d "$root" -S 6.1.0-soft -C "$root/etc/modprobe.d" --show-depends "$1" 2>/dev/null |
		awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++' |
		sed -e 's|.*/||' -e 's|\.ko.*||' -e 's|-|_|g'
	echo "[exit 0]"
}

# helper-b: hard deps, itself, then post: helper_c whose pre: helper-d (which
#   has a hard dep of its own) comes before helper_c
# top_soft: the post: softdep of its hard dep mid_soft comes before top_soft
# hardandsoft: helper_a is both a hard dep and a pre: softdep (loaded once)
# dash-mod: "softdep dash_mod pre: helper-a \" + "post: helper_c" (continued line)
# selfish: "pre: selfish post: selfish helper_a" (itself, once)
for r in helper-b top_soft hardandsoft dash-mod selfish; do
	echo "== order $r"
	msq -r "$S" -f order "$r" > "$T/got"
	cat "$T/got"
	kmod_order "$r" > "$T/want"
	msq -r "$S" -f order --kmod-compat "$r" > "$T/compat"
	cmp -s "$T/want" "$T/got" && cmp -s "$T/compat" "$T/got" &&
		echo "(same with --kmod-compat and modprobe --show-depends)" ||
		{ echo "DIFFERS from modprobe:"; cat "$T/want"; }
done

# snd-hda-intel: hard deps soundcore <- snd <- snd_pcm; "softdep snd_* pre:
# helper_c" (fnmatch) applies to snd_pcm and snd_hda_intel but not to snd;
# snd_hda_intel's modinfo "pre: gcm" line is merged with the pattern's line
echo "== order snd-hda-intel (two softdep lines merged)"
msq -r "$S" -f order snd-hda-intel
# btrfs: hard deps crypto_hash, libcrc32c (pre: crc32c, an alias of two
# modules, both before libcrc32c); then btrfs's own pre: crc32c (already
# there), xxhash64 and sha256 (three modinfo lines, merged), then btrfs
echo "== order btrfs"
msq -r "$S" -f order btrfs
echo "== list btrfs (paths, same order)"
msq -r "$S" btrfs | rel "$S"
