#!/bin/sh
# -f dir: DIR is opened once, not through a symlink, and must not be, nor contain,
# the source tree (-o SYSROOT would replace the tree's own indexes with trimmed
# ones); every directory of the image is then opened from DIR's descriptor with
# RESOLVE_BENEATH, never by a path string, so a directory swapped for a symlink
# mid-run (by a user who owns DIR) cannot make root write outside it. The swap is
# timed with strace: the openat2() of lib/modules is held back 1.5 s, and
# lib/modules becomes a symlink out meanwhile. MODSET_NO_OPENAT2=1: the fallback
# walk (kernels before 5.6, valgrind), which resolves the same way by hand.
. "$SRCDIR/tests/cli/lib.sh"
# Under VALGRIND=1 the binary itself: valgrind cannot run under strace's ptrace.
MODSET=${MODSET_UNWRAPPED:-$MODSET}
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export ASAN_OPTIONS
M=$(copytree hard)
S=$T/hard
sums() { (cd "$S" && find . -type f | LC_ALL=C sort | xargs md5sum | md5sum); }
before=$(sums)

echo "== -o the source's sysroot, the module directory, a directory above, /"
for o in "$S" "$M" "$S/lib" /; do
	ms -q -r "$M" -f dir -o "$o" chain_5 | sed -e "s|$T|@T@|g"
done
[ "$(sums)" = "$before" ] && echo "source tree unchanged"

echo "== -o a symlink to a directory"
mkdir -p "$T/real"
ln -s real "$T/link"
ms -q -r "$M" -f dir -o "$T/link" chain_5 | sed -e "s|$T|@T@|g"
lsa "$T/real"

echo "== a directory swapped for a symlink out of DIR while the run waits"
mkdir -p "$T/out" "$T/outside"
(
	i=0
	while [ ! -d "$T/out/lib/modules" ] && [ $i -lt 100 ]; do sleep 0.02; i=$((i + 1)); done
	mv "$T/out/lib/modules" "$T/out/lib/was-modules"
	ln -s "$T/outside" "$T/out/lib/modules"
) &
# which openat2() opens lib/modules of DIR: the inputs are opened by openat2() too
strace -f -qq -o "$T/trace" -e trace=openat2 "$MODSET" -q -r "$M" -f dir -o "$T/probe" chain_5
n=$(grep -n '"lib/modules", {flags=O_RDONLY|O_CLOEXEC|O_DIRECTORY' "$T/trace" | head -n 1 | cut -d: -f1)
rm -rf "$T/probe"
strace -f -qq -o /dev/null -e trace=openat2 -e inject=openat2:delay_enter=1500000:when="$n" \
	"$MODSET" -q -r "$M" -f dir -o "$T/out" chain_5 2>&1 | sed -e "s|$T|@T@|g"
wait
lsa "$T/outside"

echo "== without openat2(): the same tree, and a symlink inside DIR followed the same way"
"$MODSET" -q -r "$M" -f dir -o "$T/a" chain_5
MODSET_NO_OPENAT2=1 "$MODSET" -q -r "$M" -f dir -o "$T/b" chain_5
echo "[exit $?]"
diff -r "$T/a" "$T/b" && echo "same tree"
mkdir -p "$T/c/usr/lib"
ln -s usr/lib "$T/c/lib"
MODSET_NO_OPENAT2=1 "$MODSET" -q -r "$M" -f dir -o "$T/c" chain_5 2>&1 | sed -e "s|$T|@T@|g"
echo "== with openat2(): a symlink inside DIR is followed (lib -> usr/lib)"
ms -q -r "$M" -f dir -o "$T/c" chain_5
find "$T/c/usr/lib" -name 'chain_5*' | sed -e "s|$T|@T@|g"
