#!/bin/sh
# The module-facts cache is trusted only when no other user could have written it.
# A poisoned cache (fwdev's firmware dropped, a weak dependency added: what another
# user with a shared --cache-dir, or a HOME kept under sudo, could plant) is used
# when it is ours (the control), and ignored, with the same result as --no-cache,
# when the directory or the file is writable by others or owned by another user.
# A cache file that is a FIFO or a symlink is not read (and never blocks). Entries
# are keyed by the module file's size and a hash of its bytes, not its times or
# inode: the same bytes under a new inode still hit, other bytes with pinned times
# do not.
. "$SRCDIR/tests/cli/lib.sh"
# The hard tree as a 6.12 one: with no modules.weakdep and a kernel that has
# MODULE_WEAKDEP, its modules' weakdep= (so the cache) are read for every format.
H=$(copytree hard)
mv "$H" "${H%/*}/6.12.0-hard"
H=${H%/*}/6.12.0-hard
C=$T/cache
facts() { "$MODSET" -r "$H" -f json "$@" fwdev 2>&1 | grep -E '"(vendor|lonely)'; echo "[exit $?]"; }

echo "== without a cache"
facts --no-cache
"$MODSET" -q -r "$H" --cache-dir "$C" -f json fwdev > /dev/null
f=$(ls "$C"/*.cache)
# poison: fwdev names no firmware, and weakly needs lonely
sed -i 's|^\(kernel/drivers/misc/fwdev.ko.xz\(\t[0-9]*\)\{2\}\).*|\1\tWlonely|' "$f"
echo "== a poisoned cache of our own: used (the control)"
facts --cache-dir "$C"
echo "== the directory writable by others: ignored"
chmod 0777 "$C"
facts --cache-dir "$C"
"$MODSET" -v -r "$H" --cache-dir "$C" -f list fwdev 2>&1 >/dev/null | grep -o 'not owned.*'
chmod 0700 "$C"
echo "== the file writable by others: ignored"
chmod 0666 "$f"
facts --cache-dir "$C"
chmod 0600 "$f"
echo "== the file owned by another user: ignored"
chown nobody "$f" 2>/dev/null && facts --cache-dir "$C"
[ "$(id -u)" = 0 ] || echo "(not root: skipped)"
# (the run above wrote a cache of its own over the other user's: poisoned again)
sed -i 's|^\(kernel/drivers/misc/fwdev.ko.xz\(\t[0-9]*\)\{2\}\).*|\1\tWlonely|' "$f"
echo "== entries are keyed by the file's bytes: the same bytes, new inode and mtime: used"
M=$H/kernel/drivers/misc/fwdev.ko.xz
cp "$M" "$M.new" && touch -d '2001-02-03 04:05:06' "$M.new" && mv "$M.new" "$M"
facts --cache-dir "$C"
echo "== one byte changed, size and mtime pinned (squashfs, reproducible builds): not used"
cp -p "$M" "$T/fwdev.orig"
printf 'X' | dd of="$M" bs=1 seek=$(($(wc -c < "$M") - 1)) conv=notrunc 2>/dev/null
touch -d '2001-02-03 04:05:06' "$M"
"$MODSET" -r "$H" --cache-dir "$C" -f json fwdev 2>&1 | sed "s|$T|@T@|g" | grep -E 'error|"(vendor|lonely)'
cp -p "$T/fwdev.orig" "$M"
rm -f "$f"
echo "== the cache file a FIFO, then a symlink: not read, no wait"
mkfifo "$f"
timeout 20 "$MODSET" -q -r "$H" --cache-dir "$C" -f list fwdev | rel "$H"
echo "[exit $?]"
rm -f "$f"
printf 'initrd-modset modinfo cache 2\n' > "$T/elsewhere.cache"
ln -s "$T/elsewhere.cache" "$f"
timeout 20 "$MODSET" -q -r "$H" --cache-dir "$C" -f list fwdev | rel "$H"
echo "[exit $?]"
