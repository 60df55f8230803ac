#!/bin/sh
# What comes from the input never reaches the terminal or a JSON document raw:
# warnings and errors show control characters (ESC, a newline) and bytes that are
# not UTF-8 as \xNN, one message per line; JSON is valid UTF-8 (such bytes as \xNN
# in the string, control characters as json-c's \u00NN), checked with iconv.
. "$SRCDIR/tests/cli/lib.sh"
H=$(tree hard)
bad=$(printf 'bad\377\033[31mred\nline')
utf8=$(printf 'caf\303\251')

echo "== a warning naming a root with ESC, a newline and a byte 0xff"
ms -r "$H" -f order "$bad" lonely
echo "== the same, -f json: valid UTF-8, the names escaped"
"$MODSET" -r "$H" -f json "$bad" "$utf8" lonely 2>/dev/null > "$T/m.json"
iconv -f UTF-8 -t UTF-8 "$T/m.json" > /dev/null && echo "valid UTF-8"
grep -o '"bad[^"]*"' "$T/m.json" | head -n 1
grep -o '"caf[^"]*"' "$T/m.json" | head -n 1
echo "== --check -f json of an image, the same roots"
"$MODSET" -q -r "$H" -f cpio -o "$T/img.cpio" lonely
"$MODSET" --check "$T/img.cpio" -r "$H" -f json "$bad" lonely 2>/dev/null > "$T/c.json"
echo "[exit $?]"
iconv -f UTF-8 -t UTF-8 "$T/c.json" > /dev/null && echo "valid UTF-8"
grep -o '"bad[^"]*"' "$T/c.json" | head -n 1
