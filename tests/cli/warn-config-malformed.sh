#!/bin/sh
# Malformed modprobe.d lines are warnings naming FILE:LINE (the first line of a
# continued line); the line is skipped, the rest of the file still counts, the
# exit status stays 0 (also with --strict: only roots and missing targets are
# strict), -q silences them, and -o still writes the output.
. "$SRCDIR/tests/cli/lib.sh"
M=$(copytree bad)
mkdir -p "$T/out" "$T/bad/etc/modprobe.d"
conf=$T/bad/etc/modprobe.d/50-broken.conf
cat > "$conf" <<'EOC'
# a comment line
softdep top
frobnicate everything now
softdep top pre: \
	zmod
alias onlyone
options top
softdep [top pre: base

softdep top post: extra
blacklist
remove top
install top /bin/true
EOC
cat -n "$conf"

echo "== warnings, and the softdeps of lines 4-5 and 10 applied"
ms -r "$M" -f order -o "$T/out/order" top
cat "$T/out/order"
lsa "$T/out"
echo "== --kmod-compat: the first well-formed softdep line (4-5) only"
msq -r "$M" -f order --kmod-compat top
echo "== --strict: still exit 0"
ms -r "$M" -f order --strict top
echo "== -q: no warnings"
ms -r "$M" -f order -q top
