#!/bin/sh
# modprobe.d files no one should write: a 1 MiB line (a softdep naming 100,000
# modules, a 1 MiB comment, a 1 MiB word), NUL bytes (config-nul-byte.sh: inside
# a line; here at the start of a file and inside a continued line), continuations
# that never end (a backslash on the last line, lines of backslashes alone),
# 10,000 softdep lines, softdep/weakdep cycles over every module of the tree
# (self, mutual, and through all of them; cycles.sh covers the small ones), and a
# modules.softdep that is not text. None is fatal: the lines that parse count,
# the others are warnings (FILE:LINE), the set is computed, exit 0, in bounded
# time and memory. (A modules.softdep libkmod cannot parse makes libkmod print
# its own error to stderr, bypassing the library's logger and -q: tests/README.)
. "$SRCDIR/tests/cli/lib.sh"
M=$(copytree bad)
C=$T/bad/etc/modprobe.d
mkdir -p "$C"
run() {
	"$MODSET" -r "$M" --no-cache -f order "$@" 2> "$T/err"
	echo "[exit $?]"
	# warnings: how many, and the first two (a 1 MiB word would flood the log);
	# libkmod's own messages apart (written once per libkmod context)
	grep -q '^libkmod:' "$T/err" && echo "(libkmod wrote to stderr itself)"
	grep -v '^libkmod:' "$T/err" > "$T/err2"
	echo "($(wc -l < "$T/err2" | tr -d ' ') lines on stderr)"
	head -2 "$T/err2" | sed "s|$T|@T@|g" | cut -c1-160
}
# rep N TEXT: TEXT N times (awk: no 100,000-argument command lines)
rep() { awk -v n="$1" -v s="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%s", s }'; }

echo "== softdep top pre: + 100,000 names (1 MiB line; the missing ones are warnings)"
{ printf 'softdep top pre: extra'; rep 100000 ' nosuchmod'; printf '\n'; } > "$C/big.conf"
wc -c < "$C/big.conf"
run top
echo "== a 1 MiB comment, then a softdep"
{ printf '#'; rep 1048576 x; printf '\nsoftdep top post: extra\n'; } > "$C/big.conf"
run top
echo "== a 1 MiB word as the command"
{ rep 1048576 y; printf '\nsoftdep top post: extra\n'; } > "$C/big.conf"
run top
echo "== a 1 MiB module name in a softdep target"
{ printf 'softdep top pre: '; rep 1048576 z; printf ' extra\n'; } > "$C/big.conf"
run top
rm "$C/big.conf"

echo "== NUL as the first byte of the file"
printf '\000softdep top post: extra\nsoftdep top pre: zmod\n' > "$C/nul.conf"
run top
echo "== NUL inside a continued line"
printf 'softdep top pre: \\\nzmod\000 extra \\\n post: extra\nsoftdep zmod post: extra\n' > "$C/nul.conf"
run top
rm "$C/nul.conf"

echo "== a backslash on the last line (no newline after it)"
printf 'softdep top post: extra \\' > "$C/cont.conf"
run top
echo "== a backslash on the last line, then a newline"
printf 'softdep top post: extra \\\n' > "$C/cont.conf"
run top
echo "== 10,000 lines of a lone backslash, then a softdep"
{ rep 10000 '\\\n'; printf 'softdep top post: extra\n'; } > "$C/cont.conf"
run top
echo "== a continued line of 10,000 pieces"
{ printf 'softdep top pre:'; rep 10000 ' zmod \\\n'; printf ' post: extra\n'; } > "$C/cont.conf"
run top
rm "$C/cont.conf"

echo "== 10,000 softdep lines for top (merged: each target once)"
rep 10000 'softdep top pre: zmod post: extra\n' > "$C/many.conf"
run top
echo "== 10,000 softdep lines, each for another pattern"
awk 'BEGIN { for (i = 0; i < 10000; i++) printf "softdep mod%d pre: zmod\n", i
	print "softdep t?p post: extra" }' > "$C/many.conf"
run top
rm "$C/many.conf"

echo "== every module softdeps on every module (itself too), weakdeps likewise"
for a in base top zmod extra; do
	echo "softdep $a pre: base top zmod extra post: base top zmod extra"
	echo "weakdep $a base top zmod extra"
done > "$C/cycles.conf"
run top
"$MODSET" -q -r "$M" --no-cache -f json top | jflat | grep '^"load_order"'
echo "== softdep * pre: * (every module, through a pattern)"
echo 'softdep * pre: base top zmod extra' > "$C/cycles.conf"
run zmod
rm "$C/cycles.conf"

echo "== modules.softdep that is not text (a module file in its place)"
cp "$M/modules.softdep" "$T/softdep.good"
cp "$M/kernel/lib/base.ko" "$M/modules.softdep"
run top
cp "$T/softdep.good" "$M/modules.softdep"
echo "== modprobe.d that is a directory, and a .conf that is a directory"
mkdir -p "$C/dir.conf"
run top
