#!/bin/sh
# Output on a read-only and on a full file system (tmpfs mounts in a private
# mount namespace: `unshare -m`, or `unshare -rm` when not root; the test says
# SKIP, exit 77, when neither is allowed). -o must fail with one error line
# naming the path and the reason (EROFS, ENOSPC: the write's own errno), exit 2,
# leave an existing file unchanged and no temporary file, for every format
# (list with paths long enough that a write fails before the final flush, json,
# cpio, dir, the --check report); an unwritable --cache-dir only costs the cache
# (exit 0, no temporary cache file left). Judged by its exit status (no
# .expected: the messages depend on the system): each check prints ok/FAIL.
. "$SRCDIR/tests/cli/lib.sh"
H=$(tree hard)
# the same tree under a 200-byte directory name: -f list writes over 4 KiB
L=$T/$(printf '%0200d' 0)
mkdir -p "$L"
cp -a "$FIXTURES/hard/lib" "$L/"
L=$(echo "$L"/lib/modules/*)
if unshare -m true 2>/dev/null; then NS="unshare -m"
elif unshare -rm true 2>/dev/null; then NS="unshare -rm"
else
	echo "SKIP: no mount namespace (unshare -m / -rm not allowed here)"
	exit 77
fi
mkdir -p "$T/ro" "$T/full"
"$MODSET" -q -r "$H" --no-cache -f cpio -o "$T/img.cpio" =
export H L T MODSET
$NS sh -eu <<'EOS'
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }
mount -t tmpfs -o size=64k tmpfs "$T/ro"
echo "previous" > "$T/ro/modules.json"
mkdir "$T/ro/cache"
mount -o remount,ro "$T/ro"
mount -t tmpfs -o size=16k tmpfs "$T/full"
echo "previous" > "$T/full/modules.json"
mkdir "$T/full/cache"
dd if=/dev/zero of="$T/full/filler" bs=1k count=64 2>/dev/null || true

echo "== -o a new file on a read-only file system"
rc=0; "$MODSET" -r "$H" --no-cache -f json -o "$T/ro/new.json" = 2> "$T/err" || rc=$?
cat "$T/err"
check "exit 2" '[ $rc = 2 ]'
check "message names the path and EROFS" 'grep -q "$T/ro/new.json: Read-only file system" "$T/err"'
check "nothing created" '[ "$(ls -A "$T/ro" | tr "\n" " ")" = "cache modules.json " ]'

echo "== -o an existing file on a read-only file system"
rc=0; "$MODSET" -r "$H" --no-cache -f json -o "$T/ro/modules.json" = 2> "$T/err" || rc=$?
cat "$T/err"
check "exit 2" '[ $rc = 2 ]'
check "unchanged" '[ "$(cat "$T/ro/modules.json")" = previous ]'

echo "== -o an existing file on a full file system"
rc=0; "$MODSET" -r "$H" --no-cache -f json -o "$T/full/modules.json" = 2> "$T/err" || rc=$?
cat "$T/err"
check "exit 2" '[ $rc = 2 ]'
check "message names the path and ENOSPC" \
	'grep -q "error: $T/full/modules.json: No space left on device" "$T/err"'
check "unchanged" '[ "$(cat "$T/full/modules.json")" = previous ]'
check "no temporary file" '[ "$(ls -A "$T/full" | tr "\n" " ")" = "cache filler modules.json " ]'

echo "== -o a new file on a full file system"
rc=0; "$MODSET" -r "$H" --no-cache -f json -o "$T/full/new.json" = 2> "$T/err" || rc=$?
cat "$T/err"
check "exit 2" '[ $rc = 2 ]'
check "message names the path and ENOSPC" \
	'grep -q "error: $T/full/new.json: No space left on device" "$T/err"'
check "no file, no temporary file" '[ "$(ls -A "$T/full" | tr "\n" " ")" = "cache filler modules.json " ]'

for f in list cpio; do
	echo "== -f $f -o a new file on a full file system"
	rc=0; "$MODSET" -q -r "$L" --no-cache -f $f -o "$T/full/new.$f" = 2> "$T/err" || rc=$?
	cat "$T/err"
	check "exit 2" '[ $rc = 2 ]'
	check "one line naming the path and ENOSPC" '[ "$(wc -l < "$T/err")" = 1 ] &&
		grep -q "error: $T/full/new.$f: No space left on device" "$T/err"'
	check "no file, no temporary file" \
		'[ "$(ls -A "$T/full" | tr "\n" " ")" = "cache filler modules.json " ]'
done

echo "== --check, the report on a full file system"
rc=0; "$MODSET" --check "$T/img.cpio" -r "$L" --no-cache -o "$T/full/report" 2> "$T/err" || rc=$?
cat "$T/err"
check "exit 2" '[ $rc = 2 ]'
check "message names the path and ENOSPC" \
	'grep -q "error: $T/full/report: No space left on device" "$T/err"'
check "no file, no temporary file" '[ "$(ls -A "$T/full" | tr "\n" " ")" = "cache filler modules.json " ]'

echo "== -f dir -o a new directory on a full file system"
rc=0; "$MODSET" -q -r "$H" --no-cache -f dir -o "$T/full/d" = 2> "$T/err" || rc=$?
sed 's|/[^ ]*/\.\([^/]*\)\.[0-9]*\.[0-9]*\.tmp|TMP(\1)|' "$T/err"
check "exit 2" '[ $rc = 2 ]'
check "one line naming a file of the image and ENOSPC" '[ "$(wc -l < "$T/err")" = 1 ] &&
	grep -q "error: $T/full/d/lib/modules/.*: No space left on device" "$T/err"'
# (the directories made so far stay, as after an interrupted install)
check "no temporary file, no half-written module" '[ -z "$(find "$T/full/d" -type f)" ]'
rm -rf "$T/full/d"

echo "== -f cpio, -f dir on a read-only file system"
rc=0; "$MODSET" -q -r "$H" --no-cache -f cpio -o "$T/ro/new.cpio" = 2> "$T/err" || rc=$?
cat "$T/err"
check "cpio: exit 2, path and EROFS" \
	'[ $rc = 2 ] && grep -q "error: $T/ro/new.cpio: Read-only file system" "$T/err"'
rc=0; "$MODSET" -q -r "$H" --no-cache -f dir -o "$T/ro/cache" = 2> "$T/err" || rc=$?
cat "$T/err"
check "dir: exit 2, path and EROFS" \
	'[ $rc = 2 ] && grep -q "error: $T/ro/cache/lib: Read-only file system" "$T/err"'
check "nothing created" '[ "$(ls -A "$T/ro" | tr "\n" " ")" = "cache modules.json " ] &&
	[ -z "$(ls -A "$T/ro/cache")" ]'

echo "== --cache-dir on a read-only file system: no cache, same result"
rc=0; "$MODSET" -r "$H" --cache-dir "$T/ro/cache" -f order = > "$T/out1" 2> "$T/err" || rc=$?
cat "$T/err"
"$MODSET" -r "$H" --no-cache -f order = > "$T/out2"
check "exit 0" '[ $rc = 0 ]'
check "same output as without a cache" 'cmp -s "$T/out1" "$T/out2"'
check "cache directory empty" '[ -z "$(ls -A "$T/ro/cache")" ]'

echo "== --cache-dir on a full file system: no cache, same result"
rc=0; "$MODSET" -r "$H" --cache-dir "$T/full/cache" -f order = > "$T/out1" 2> "$T/err" || rc=$?
cat "$T/err"
check "exit 0" '[ $rc = 0 ]'
check "same output as without a cache" 'cmp -s "$T/out1" "$T/out2"'
check "no temporary cache file" '[ -z "$(ls -A "$T/full/cache")" ]'
exit $fail
EOS
