#!/bin/sh
# Which module files a run opens (strace -f -e trace=openat, cold cache): only what
# needs them. On a tree with modules.weakdep (depmod >= 33 wrote the modules'
# weakdep= there), --format list and order open no module file and no libkmod;
# the JSON manifest (firmware) opens them. On a tree without modules.weakdep
# (depmod < 33), a module's own weakdep= is read only when the kernel has
# MODULE_WEAKDEP (6.11 and later): a 6.1 tree's list opens no module file; the
# same modules in a 6.12 or 6.10 tree do and do not, and the answer changes with it.
# Under VALGRIND=1 the binary itself: valgrind cannot run under strace's ptrace.
. "$SRCDIR/tests/cli/lib.sh"
MODSET=${MODSET_UNWRAPPED:-$MODSET}
command -v strace >/dev/null 2>&1 || { echo "strace missing"; exit 1; }
# LeakSanitizer cannot run under ptrace
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export ASAN_OPTIONS

# opened ROOTDIR ARGS...: the run's output (its exit status only with QUIET=1), then
# the module files it opened (relative to ROOTDIR, sorted), and whether it opened
# libkmod
opened() {
	d=$1
	shift
	strace -f -qq -o "$T/trace" -e trace=openat,openat2 "$MODSET" --no-cache "$@" > "$T/out" 2>&1
	set -- $?
	[ "${QUIET:-}" = 1 ] || rel "$d" < "$T/out"
	echo "[exit $1]"
	n=$(grep -Ec '\.ko(\.(xz|zst|gz))?"' "$T/trace")
	echo "module files opened: $n"
	grep -Eo '"[^"]*\.ko(\.(xz|zst|gz))?"' "$T/trace" | tr -d '"' | rel "$d" | sort -u |
		sed 's/^/  /'
	if grep -q 'libkmod\.so' "$T/trace"; then
		echo "libkmod opened"
	fi
}

W=$(tree weak)
echo "== weak, 6.12, modules.weakdep: list"
opened "$W" -r "$W" wk_main wk_cfg wk-dash
echo "== order"
opened "$W" -r "$W" -f order wk_main wk_cfg wk-dash
echo "== json: firmware names come from the module files"
QUIET=1
opened "$W" -r "$W" -f json wk_cfg
QUIET=

H=$(tree hard)
echo "== hard, 6.1, no modules.weakdep (depmod 30): list"
opened "$H" -r "$H" chain_5 multi_exp

# the weak tree without modules.weakdep, as depmod 30 leaves it, under two names
M=$(copytree weak)
rm "$M/modules.weakdep"
echo "== weak, 6.12, no modules.weakdep: the modules' weakdep= are read"
opened "$M" -r "$M" wk_modinfo_only
mv "$M" "${M%/*}/6.10.0-weak"
M=${M%/*}/6.10.0-weak
echo "== the same as 6.10.0-weak: not read (6.10 has no MODULE_WEAKDEP)"
opened "$M" -r "$M" wk_modinfo_only
mv "$M" "${M%/*}/local"
M=${M%/*}/local
echo "== the same as local: one module's vermagic (6.12.0-weak) says read them"
opened "$M" -r "$M" wk_modinfo_only
