#!/bin/sh
# Progress: on a terminal, one line on stderr redrawn in place ("N/TOTAL files, X MiB")
# and cleared at the end; nothing with -q or when stderr is not a terminal.
. "$SRCDIR/tests/cli/lib.sh"
H=$(tree hard)
command -v script > /dev/null || { echo "(no script(1): skipped)"; exit 0; }
echo "== stderr on a terminal"
script -qc "$MODSET -r $H -f cpio -o $T/a.cpio lonely 2>&1 >/dev/null" /dev/null > "$T/tty" 2>&1
tr '\r' '\n' < "$T/tty" | sed 's/\x1b\[K//g' | grep -v '^$' | tail -1
grep -c "$(printf '\033\\[K')" "$T/tty" > /dev/null && echo "cleared"
echo "== -q: nothing"
script -qc "$MODSET -q -r $H -f cpio -o $T/b.cpio lonely" /dev/null | wc -c | tr -d ' '
echo "== not a terminal: nothing"
"$MODSET" -r "$H" -f cpio -o "$T/c.cpio" lonely 2>&1 | grep -v firmware | wc -c | tr -d ' '
cmp -s "$T/a.cpio" "$T/c.cpio" && echo "same archive"
