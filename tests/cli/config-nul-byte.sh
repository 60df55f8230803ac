#!/bin/sh
# A modprobe.d file with a NUL byte in one line: libkmod reads lines as C
# strings, so that line ends at the NUL and every other line of the file
# still counts. --kmod-compat promises modprobe's set exactly: here modprobe
# --show-depends loads zmod (softdep on line 2). Warnings are not checked
# (stderr dropped), only the sets.
. "$SRCDIR/tests/cli/lib.sh"
M=$(copytree bad)
mkdir -p "$T/bad/etc/modprobe.d"
printf 'options top a=1\000junk\nsoftdep top pre: zmod\n' > "$T/bad/etc/modprobe.d/nul.conf"
MODPROBE=$(command -v modprobe || echo /sbin/modprobe)

echo "== modprobe --show-depends top"
"$MODPROBE" -d "$T/bad" -S "${M##*/}" -C "$T/bad/etc/modprobe.d" --show-depends top 2>/dev/null |
	awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++' | rel "$M"
echo "== --kmod-compat"
msq -r "$M" --kmod-compat top | rel "$M"
echo "== default"
msq -r "$M" -f order --no-weak top
