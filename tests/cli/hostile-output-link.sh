#!/bin/sh
# -o through a symlink planted where the output goes (a shared, sticky directory):
# root must not overwrite the link's target (a root-only 0600 file), nor follow a
# dangling link to create a file elsewhere; the link is refused, exit 2, and
# nothing changes. -o naming the standard output's own file (/dev/stdout while
# stdout is redirected to a log, in append mode or not) writes to fd 1 in place:
# the log is appended to, never replaced by a rename.
. "$SRCDIR/tests/cli/lib.sh"
H=$(tree hard)
S=$T/sticky
mkdir -p "$S" "$T/elsewhere"
chmod 1777 "$S"
printf 'secret\n' > "$T/elsewhere/shadow"
chmod 600 "$T/elsewhere/shadow"
ln -s "$T/elsewhere/shadow" "$S/initrd.list"
ln -s "$T/elsewhere/new" "$S/dangling"

for f in list json cpio; do
	echo "== -f $f -o a symlink to a file"
	ms -r "$H" -f "$f" -o "$S/initrd.list" lonely | sed "s|$T|@T@|g"
done
echo "== the target: $(stat -c '%a %s' "$T/elsewhere/shadow") $(cat "$T/elsewhere/shadow")"
[ -L "$S/initrd.list" ] && echo "still a symlink"
echo "== -o a dangling symlink"
ms -r "$H" -o "$S/dangling" lonely | sed "s|$T|@T@|g"
[ -e "$T/elsewhere/new" ] && echo "CREATED through the link" || echo "nothing created"
echo "== --check -o a symlink"
"$MODSET" -r "$H" -f cpio -o "$T/img.cpio" lonely
ms --check "$T/img.cpio" -r "$H" -o "$S/initrd.list" lonely | sed "s|$T|@T@|g"
lsa "$S"

echo "== -o /dev/stdout >> log: appended in place"
printf 'line 1\n' > "$T/build.log"
"$MODSET" -r "$H" -f order -o /dev/stdout lonely >> "$T/build.log"
echo "[exit $?]"
"$MODSET" -r "$H" -f order -o /dev/stdout lonely >> "$T/build.log"
printf 'line 4\n' >> "$T/build.log"
rel "$H" < "$T/build.log"
echo "== -o /dev/stdout > log (truncated by the shell, then written in place)"
ino=$(stat -c %i "$T/build.log")
"$MODSET" -r "$H" -f order -o /dev/stdout lonely > "$T/build.log"
rel "$H" < "$T/build.log"
[ "$(stat -c %i "$T/build.log")" = "$ino" ] && echo "same inode"
echo "== -o the log's own path while stdout is the log"
"$MODSET" -r "$H" -f order -o "$T/build.log" lonely >> "$T/build.log"
rel "$H" < "$T/build.log"
[ "$(stat -c %i "$T/build.log")" = "$ino" ] && echo "same inode"
