#!/bin/sh
# "=DIR" whose DIR is a file of the tree, not a directory: it names no
# directory, like "=sound" in a tree without sound/ (a warning "no such module
# or alias", exit 0; exit 3 with --strict) -- never a silent exit 2 without a
# message.
. "$SRCDIR/tests/cli/lib.sh"
H=$(tree hard)

echo "== =sound (no such directory)"
ms -r "$H" -f order =sound lonely
echo "== =kernel/lib/chain3.ko (a file)"
ms -r "$H" -f order =kernel/lib/chain3.ko lonely
echo "== =modules.dep (a file)"
ms -r "$H" -f order --strict =modules.dep lonely
