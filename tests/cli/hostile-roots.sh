#!/bin/sh
# Root lists (--from FILE, --exclude-from FILE) that are not text or are huge: a
# NUL byte (an error naming FILE:LINE, exit 2, before any work), a 1 MiB line of
# 100,000 words, 100,000 lines naming the same module, a directory, a missing
# file. Big lists are read in bounded time; unknown roots are warnings.
. "$SRCDIR/tests/cli/lib.sh"
H=$(tree hard)
mkdir -p "$T/out"
rep() { awk -v n="$1" -v s="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%s", s }'; }

echo "== --from: a NUL byte on line 2"
printf 'lonely\nchain3\000junk\n' > "$T/nul"
ms -r "$H" -o "$T/out/list" --from "$T/nul"
echo "== --exclude-from: a NUL byte on line 1"
printf '\000' > "$T/nul"
ms -r "$H" -o "$T/out/list" --exclude-from "$T/nul" lonely
lsa "$T/out"
echo "== --from: one line of 100,000 words (1 MiB), one known"
{ printf 'lonely'; rep 100000 ' nosuchmod'; printf '\n'; } > "$T/big"
"$MODSET" -r "$H" --no-cache -f order --from "$T/big" 2> "$T/err"
echo "[exit $?]"
echo "($(wc -l < "$T/err" | tr -d ' ') lines on stderr)"
head -1 "$T/err"
echo "== --from: 100,000 lines naming chain3"
rep 100000 'chain3\n' > "$T/many"
ms -r "$H" --no-cache -f order --from "$T/many"
echo "== --from a directory, a missing file"
ms -r "$H" --from "$T/out"
ms -r "$H" --from "$T/missing"
