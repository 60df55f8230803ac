#!/bin/sh
# --kmod-compat against modprobe.d "blacklist" and "install": modprobe skips
# a blacklisted module when a root reaches it through an alias (by its own
# name it still loads; softdep targets are not filtered), and for a module
# with an "install" command it runs the command instead of an insmod, so
# --show-depends has no insmod line for it. --kmod-compat promises that set
# exactly. (Soft fixture: "blacklist crc32c_intel" in 90-bad.conf.)
. "$SRCDIR/tests/cli/lib.sh"
S=$(tree soft)
M=$(copytree bad)
MODPROBE=$(command -v modprobe || echo /sbin/modprobe)

# kmod_set ROOT KVER CONFDIR NAME: modprobe's insmod paths, sorted
kmod_set() {
	"$MODPROBE" -d "$1" -S "$2" -C "$3" --show-depends "$4" 2>/dev/null |
		awk '$1 == "insmod" { print $2 }' | LC_ALL=C sort -u
}
# compare MODDIR CONFDIR NAME
compare() {
	root=${1%/lib/modules/*}
	kmod_set "$root" "${1##*/}" "$2" "$3" > "$T/want"
	"$MODSET" -q -r "$1" -C "$2" --kmod-compat "$3" | LC_ALL=C sort > "$T/got"
	echo "== $3"
	rel "$1" < "$T/want" | sed 's/^/modprobe: /'
	if cmp -s "$T/want" "$T/got"; then
		echo "modset:   the same"
	else
		rel "$1" < "$T/got" | sed 's/^/modset:   /'
	fi
}

for n in crc32c crypto-crc32c crypto-crc32c-intel crc32c-intel btrfs; do
	compare "$S" "$FIXTURES/soft/etc/modprobe.d" "$n"
done

mkdir -p "$T/bad/etc/modprobe.d"
printf 'alias foo zmod\nblacklist zmod\ninstall extra /bin/true\n' > "$T/bad/etc/modprobe.d/x.conf"
for n in foo zmod extra; do
	compare "$M" "$T/bad/etc/modprobe.d" "$n"
done
