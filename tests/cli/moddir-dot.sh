#!/bin/sh
# The module directory given as "." (from inside it), as "KVER/" or through
# "..": it is the same tree, so the kernel version, the manifest's moddir and
# the inferred sysroot (whose etc/modprobe.d is read, never the host's) must
# be the same as with the plain absolute path.
. "$SRCDIR/tests/cli/lib.sh"
C=$(tree confdirs)

echo "== absolute path"
ms -r "$C" -f order target_a
"$MODSET" -r "$C" -f json target_a | sed -n '3,4p'
echo "== -r . from inside the tree"
(cd "$C" && ms -r . -f order target_a)
(cd "$C" && "$MODSET" -r . -f json target_a | sed -n '3,4p')
echo "== -r .. from its kernel/ directory"
(cd "$C/kernel" && ms -r .. -f order target_a)
echo "== -r KVER/ from lib/modules"
(cd "$C/.." && ms -r 6.1.0-confdirs/ -f order target_a)
echo "== -r with a trailing /."
ms -r "$C/." -f order target_a
"$MODSET" -r "$C/." -f json target_a | sed -n '3,4p'
