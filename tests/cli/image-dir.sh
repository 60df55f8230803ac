#!/bin/sh
# --format dir: the same tree as the cpio image; a rerun leaves every file alone
# (same inode, same mtime); a module that differs is replaced (new inode, never
# half-written, no temporary file left); files not in the image stay; a symlink in
# DIR leading out of it is refused.
. "$SRCDIR/tests/cli/lib.sh"
H=$(tree hard)

echo "== install, and the same tree as the cpio image"
ms -q -r "$H" -f dir -o "$T/d" fan_top use_all
ms -q -r "$H" -f cpio -o "$T/m.cpio" fan_top use_all
mkdir "$T/c" && (cd "$T/c" && bsdcpio -id --quiet < "$T/m.cpio")
diff -r "$T/c" "$T/d" && echo "same tree"
stat -c '%a %Y' "$T/d/lib/modules/6.1.0-hard/modules.dep"
echo "== rerun: every file left alone"
(cd "$T/d" && find . -type f -exec stat -c '%i %Y %n' {} + | sort) > "$T/before"
ms -q -r "$H" -f dir -o "$T/d" fan_top use_all
(cd "$T/d" && find . -type f -exec stat -c '%i %Y %n' {} + | sort) > "$T/after"
cmp -s "$T/before" "$T/after" && echo "untouched"
echo "== a module that differs is replaced; a file not in the image stays"
f=$T/d/lib/modules/6.1.0-hard/kernel/net/use_all.ko
echo garbage > "$f"
echo mine > "$T/d/lib/modules/6.1.0-hard/extra-file"
ino=$(stat -c %i "$f")
ms -q -r "$H" -f dir -o "$T/d" fan_top use_all
cmp -s "$f" "$H/kernel/net/use_all.ko" && echo "replaced"
[ "$(stat -c %i "$f")" != "$ino" ] && echo "new inode (renamed in)"
cat "$T/d/lib/modules/6.1.0-hard/extra-file"
find "$T/d" -name '.*' | wc -l | tr -d ' '
echo "== a smaller set: indexes rewritten, other modules stay"
ms -q -r "$H" -f dir -o "$T/d" lonely
cat "$T/d/lib/modules/6.1.0-hard/modules.dep"
modprobe -d "$T/d" -S 6.1.0-hard -C "$T/c" --show-depends lonely | sed "s|$T/d/||"
echo "== a symlink in DIR that leads out of it"
mkdir -p "$T/e/lib" "$T/outside"
ln -s "$T/outside" "$T/e/lib/modules"
ms -q -r "$H" -f dir -o "$T/e" lonely
find "$T/outside" | wc -l | tr -d ' '
echo "== a symlink inside DIR is followed (merged /usr)"
mkdir -p "$T/m/usr/lib"
ln -s usr/lib "$T/m/lib"
ms -q -r "$H" -f dir -o "$T/m" lonely
find "$T/m/usr/lib/modules" -name '*.ko' | sed "s|$T/||"
