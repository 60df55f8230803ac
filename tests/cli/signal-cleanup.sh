#!/bin/sh
# A terminating signal (SIGTERM, SIGINT, SIGHUP) while -o is being written leaves
# neither the target nor the hidden temporary file beside it, and the process still
# ends by that signal (exit 128+N from the shell); -f dir leaves no temporary file
# of the module it was installing. The signal is delivered at a chosen point with
# strace's fault injection: on the fsync() of the finished temporary file, just
# before it would be renamed, the last moment it exists.
. "$SRCDIR/tests/cli/lib.sh"
H=$(tree hard)
# Under VALGRIND=1 the binary itself: valgrind cannot run under strace's ptrace.
MODSET=${MODSET_UNWRAPPED:-$MODSET}
command -v strace >/dev/null 2>&1 || { echo "strace missing"; exit 1; }
# LeakSanitizer cannot work under ptrace (SANITIZE=1 builds): no leak check here.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export ASAN_OPTIONS

# killed SIG FORMAT: run with the signal injected at fsync(), print the exit status
# and what is left in the output directory
killed() {
	rm -rf "$T/out" && mkdir -p "$T/out"
	strace -f -qq -o /dev/null -e trace=fsync -e inject=fsync:signal="$1" \
		"$MODSET" -q -r "$H" --no-firmware -f "$2" -o "$T/out/image" chain_5 >/dev/null 2>&1
	echo "$1 during -f $2: exit $?"
	lsa "$T/out"
}
killed SIGTERM list
killed SIGINT json
killed SIGHUP cpio

# -f dir: on the futimens() of the third file, its temporary file complete, not yet
# renamed (a signal at the rename itself would come after the rename is done)
echo "== -f dir: SIGTERM while the third file is installed leaves no temporary file"
rm -rf "$T/out" && mkdir -p "$T/out"
strace -f -qq -o /dev/null -e trace=utimensat -e inject=utimensat:signal=SIGTERM:when=3 \
	"$MODSET" -q -r "$H" --no-firmware -f dir -o "$T/out/root" chain_5 >/dev/null 2>&1
echo "exit $?"
echo "temporary files left: $(find "$T/out" -name '.*.tmp' | wc -l)"
echo "files installed before it: $(find "$T/out" -type f | wc -l)"

echo "== an existing target stays as it was"
rm -rf "$T/out" && mkdir -p "$T/out"
echo previous > "$T/out/image"
strace -f -qq -o /dev/null -e trace=fsync -e inject=fsync:signal=SIGTERM \
	"$MODSET" -q -r "$H" -f json -o "$T/out/image" chain_5 >/dev/null 2>&1
echo "exit $?"
cat "$T/out/image"
lsa "$T/out"

echo "== an ignored SIGHUP (nohup) stays ignored: the run completes"
rm -rf "$T/out" && mkdir -p "$T/out"
(trap '' HUP && strace -f -qq -o /dev/null -e trace=fsync -e inject=fsync:signal=SIGHUP \
	"$MODSET" -q -r "$H" -f list -o "$T/out/image" chain_5 >/dev/null 2>&1)
echo "exit $?"
wc -l < "$T/out/image"
lsa "$T/out"
