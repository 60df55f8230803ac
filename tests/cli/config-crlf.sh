#!/bin/sh
# A modprobe.d file with CRLF line ends (edited on another system): libkmod
# splits a softdep line's body on any isspace() character, so "zmod\r" is
# "zmod" and modprobe --show-depends top loads zmod first. --kmod-compat
# promises modprobe's set exactly, and the default set must have it too.
# Warnings are not checked (stderr dropped), only the sets.
. "$SRCDIR/tests/cli/lib.sh"
M=$(copytree bad)
mkdir -p "$T/bad/etc/modprobe.d"
printf 'softdep top pre: zmod\r\n' > "$T/bad/etc/modprobe.d/crlf.conf"
MODPROBE=$(command -v modprobe || echo /sbin/modprobe)

echo "== modprobe --show-depends top"
"$MODPROBE" -d "$T/bad" -S "${M##*/}" -C "$T/bad/etc/modprobe.d" --show-depends top 2>/dev/null |
	awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++' | rel "$M"
echo "== --kmod-compat"
msq -r "$M" --kmod-compat top | rel "$M"
echo "== default"
msq -r "$M" -f order --no-weak top
