# Helpers for the generator tests tests/cli/hook-*.sh (sourced after
# tests/cli/lib.sh). Those that build real images with dracut or mkinitramfs
# judge themselves: each check prints "ok: ..." or "FAIL: ...", and the test
# exits 1 after the first run of checks that had a failure.
set -u
# the hooks read these from the environment: never the user's
unset INITRD_MODSET_ROOTS INITRD_MODSET_ARGS

hk_failed=0

# ok CONDITION-TEXT: a passed check; no TEXT: a failed one
ok() { echo "ok: $*"; }
fail() {
	echo "FAIL: $*"
	hk_failed=1
}

# done_checks: exit 1 when a check failed
done_checks() {
	[ "$hk_failed" = 0 ] || {
		echo "some checks failed"
		exit 1
	}
}

# skip_without PROGRAM: SKIP (exit 77) when the generator is not installed
skip_without() {
	if ! command -v "$1" > /dev/null 2>&1 && [ ! -x "/usr/sbin/$1" ] && [ ! -x "/sbin/$1" ]; then
		echo "SKIP: $1 is not installed (tools/install-deps.sh installs it with apt-get)"
		exit 77
	fi
}

# spec_tree SPEC NAME: build the tree of SPEC into $T/NAME (indexed by the
# depmod of $KMOD_ROOT when set: tests/mkfixture.sh) and print its module
# directory; with HOOK_IN_TRIXIE=1 (a test run by in_trixie inside the Debian
# 13 root, where there is no compiler: in_trixie built them), only print it
spec_tree() {
	if [ "${HOOK_IN_TRIXIE:-}" != 1 ]; then
		sh "$SRCDIR/tests/mkfixture.sh" "$1" "$T/$2" > /dev/null || return 1
	fi
	d=$(echo "$T/$2"/lib/modules/*)
	[ -f "$d/modules.dep" ] || {
		echo "spec_tree: no tree in $T/$2" >&2
		return 1
	}
	echo "$d"
}

# demo_tree: the example tree (examples/demo.spec) in $T/demo; prints its
# module directory
demo_tree() {
	spec_tree "$SRCDIR/examples/demo.spec" demo
}

# hidden_tree: the example tree with vmd (nvme's hidden dependency in
# initramfs-tools' table, hidden_dep_add_modules) in $T/hidden; prints its
# module directory
hidden_tree() {
	if [ "${HOOK_IN_TRIXIE:-}" != 1 ]; then
		{
			cat "$SRCDIR/examples/demo.spec"
			echo "module vmd dir=kernel/drivers/pci/controller comp=xz imports=kmalloc,pci_register_driver alias=pci:v00008086d0000467Fsv*sd*bc*sc*i*"
		} > "$T/hidden.spec"
	fi
	spec_tree "$T/hidden.spec" hidden
}

# modfiles: the module files among the paths on stdin, relative to
# lib/modules/KVER, without compression suffix (mkinitramfs decompresses),
# sorted
modfiles() {
	grep -E '\.ko(\.[a-z]+)?$' | sed -e 's|^.*lib/modules/[^/]*/||' -e 's/\.ko\..*$/.ko/' |
		LC_ALL=C sort -u
}

# has LIST MODULE-FILE-BASENAME: is the module file (e.g. pmt_telemetry.ko) in LIST
has() {
	grep -q "/$2\$" "$1" || grep -qx "$2" "$1"
}

# expect_closure LIST OTHER DESCRIPTION ROOT...: LIST (a modfiles output) must
# be exactly the closure initrd-modset computes for ROOT... on $D, plus what
# OTHER (the same image built without the hook; /dev/null: nothing) has: the
# hook adds the closure, nothing less and nothing more
expect_closure() {
	list=$1 other=$2 what=$3
	shift 3
	"$MODSET" -q --root "$D" "$@" | modfiles | LC_ALL=C sort -u - "$other" > "$list.want"
	if cmp -s "$list.want" "$list"; then
		ok "$what: the modules are exactly the closure of $* ($(wc -l < "$list" | tr -d ' '))"
	else
		fail "$what: the modules differ from the closure of $* (< closure, > image):"
		diff "$list.want" "$list"
	fi
}

# compare_lists HOOKED PLAIN WHO MODULE-FILE...: the image built with the hook
# (its modfiles list HOOKED) has each MODULE-FILE (e.g. pmt_telemetry.ko) and
# every module of the one built without it (PLAIN); whether PLAIN has each is
# reported (WHO, the generator, may add some itself: dracut-ng's and
# initramfs-tools 0.148's dracut-install add weak deps, mkinitcpio the softdeps
# of a builtin in MODULES), but PLAIN must lack at least one, or the
# comparison shows nothing
compare_lists() {
	hooked=$1 plain=$2 who=$3
	shift 3
	lacks=0
	for m; do
		if has "$hooked" "$m"; then
			ok "hooked image has $m"
		else
			fail "hooked image lacks $m"
		fi
		if has "$plain" "$m"; then
			ok "image without the hook has $m too ($who adds it itself)"
		else
			ok "image without the hook lacks $m"
			lacks=$((lacks + 1))
		fi
	done
	[ $lacks -gt 0 ] || fail "the image without the hook has every one of $*: the comparison shows nothing"
	if comm -23 "$plain" "$hooked" | grep -q .; then
		fail "the image without the hook has modules the hooked one lacks"
	else
		ok "the hooked image has every module of the image without it"
	fi
}

# check_images HOOKED PLAIN ROOT...: when initrd-modset has --check, the image
# built with the hook passes it (with --require-weak when there is one: weak
# dependencies count too) and the one built without fails it (exit status 3)
check_images() {
	hooked=$1 plain=$2
	shift 2
	help=$("$MODSET" --help 2>&1)
	case $help in *--check*) ;; *) return 0 ;; esac
	req=""
	case $help in *--require-weak*) req=--require-weak ;; esac
	if "$MODSET" --root "$D" --check "$hooked" $req "$@" > "$hooked.check" 2>&1; then
		ok "initrd-modset --check $req accepts the image built with the hook"
	else
		fail "initrd-modset --check $req rejects the image built with the hook:"
		cat "$hooked.check"
	fi
	"$MODSET" --root "$D" --check "$plain" $req "$@" > "$plain.check" 2>&1
	rc=$?
	if [ $rc = 3 ]; then
		ok "initrd-modset --check $req rejects the image built without (exit status 3)"
	else
		fail "initrd-modset --check $req on the image built without: exit status $rc, not 3"
		cat "$plain.check"
	fi
}

# mkinitcpio_tarball: the path of upstream's mkinitcpio release the mkinitcpio
# test runs: $MKINITCPIO_TARBALL, else shared/vendor/mkinitcpio-41.tar.gz
# beside the source tree (../shared), or beside the main clone when the source
# tree is a git worktree of it; fails when there is none
mkinitcpio_tarball() {
	if [ -n "${MKINITCPIO_TARBALL:-}" ]; then
		[ -f "$MKINITCPIO_TARBALL" ] && echo "$MKINITCPIO_TARBALL"
		return
	fi
	common=$(git -C "$SRCDIR" rev-parse --path-format=absolute --git-common-dir 2> /dev/null)
	for tb in "$SRCDIR/../shared/vendor/mkinitcpio-41.tar.gz" \
		${common:+"${common%/*}/../shared/vendor/mkinitcpio-41.tar.gz"}; do
		[ -f "$tb" ] && echo "$tb" && return 0
	done
	return 1
}

# mkinitcpio_prepare TARBALL DIR: extract the release into DIR (removed first)
# and make it run from there on Debian, as meson would install it: its @VARS@
# substituted (Debian 12's meson is too old to configure it), INITCPIO_LIBDIR =
# DIR (functions, init, install/ and hooks/ stay where the source has them),
# PATH with the sbin directories (Debian's depmod, blkid, switch_root) and,
# first, DIR/bin holding awk = gawk (Arch's awk; Debian's default mawk cannot
# printf a NUL, which build_image's awk needs), and install/base taking busybox
# from busybox-static (/bin/busybox) instead of Arch's
# /usr/lib/initcpio/busybox. Only the copy in DIR is changed.
mkinitcpio_prepare() {
	tb=$1 dir=$2
	rm -rf "$dir" && mkdir -p "$dir" || return 1
	tar -xzf "$tb" -C "$dir" --strip-components=1 || return 1
	if [ ! -f "$dir/mkinitcpio" ] || [ ! -f "$dir/functions" ] || [ ! -f "$dir/install/base" ]; then
		echo "mkinitcpio_prepare: $tb is not a mkinitcpio source release" >&2
		return 1
	fi
	ver=$(tar -tzf "$tb" | sed -n '1s|^mkinitcpio-\([^/]*\)/.*|\1|p')
	bb=$(command -v busybox || echo /bin/busybox)
	mkdir -p "$dir/bin" && ln -s "$(command -v gawk)" "$dir/bin/awk" || return 1
	sed -i -e "s|@VERSION@|${ver:-unknown}|g" -e "s|@INITCPIO_LIBDIR@|$dir|g" \
		-e "s|@SYSCONFDIR@|$dir/etc|g" -e "s|@INITCPIO_SYSCONFDIR@|$dir/etc/initcpio|g" \
		-e "s|@BINDIR@|$dir/bin:/usr/bin:/usr/sbin:/sbin|g" \
		"$dir/mkinitcpio" "$dir/functions" "$dir/lsinitcpio" || return 1
	sed -i "s|/usr/lib/initcpio/busybox|$bb|g" "$dir/install/base"
}

# in_trixie TEST TREE-FUNCTION...: run tests/cli/TEST inside the Debian 13 root
# of tests/trixie-root.sh (dracut-ng, initramfs-tools 0.148, kmod 34), with
# this build's initrd-modset (built on the host) running there: the trees are
# built here first by the TREE-FUNCTIONs (demo_tree, hidden_tree), indexed by
# the root's depmod (KMOD_ROOT), since the root has no compiler; the source
# tree, the build directory and $T are bound at their own paths
# (tests/trixie-run.sh); libraries of the program that the root lacks (the
# sanitizer runtimes of SANITIZE=1) come from the host, and under VALGRIND=1
# the program runs without valgrind, which the root lacks (a note says so).
# The test sees HOOK_IN_TRIXIE=1: its trees are
# built, and it runs in a private mount namespace already. SKIP (exit 77) when
# the root cannot be had; exits with the test's status.
in_trixie() {
	test=$1
	shift
	root=$(sh "$SRCDIR/tests/trixie-root.sh" 2> "$T/trixie-root.err")
	rc=$?
	if [ $rc = 77 ]; then
		echo "SKIP: no Debian 13 root for $test: $(sed 's/^trixie-root: SKIP: //' "$T/trixie-root.err" | tail -n 1)"
		exit 77
	elif [ $rc != 0 ] || [ -z "$root" ]; then
		echo "FAIL: tests/trixie-root.sh: exit status $rc"
		cat "$T/trixie-root.err"
		exit 1
	fi
	for f; do
		KMOD_ROOT=$root "$f" > /dev/null || {
			echo "FAIL: $f: cannot build the tree with the depmod of $root"
			exit 1
		}
	done
	echo "Debian 13 root: $(basename "$root")"
	# valgrind (VALGRIND=1 wraps $MODSET in it) is not in the root: the
	# program itself runs there
	if [ -n "${MODSET_UNWRAPPED:-}" ]; then
		echo "note: valgrind is not in the Debian 13 root: initrd-modset runs there without it"
		MODSET=$MODSET_UNWRAPPED
	fi
	# libraries of the program the root lacks (SANITIZE=1: gcc's libasan and
	# libubsan) are copied from the host into $T/host-libs
	mkdir -p "$T/host-libs"
	ldd "$MODSET" 2> /dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' |
		while IFS= read -r lib; do
			[ -e "$root$lib" ] || cp -L "$lib" "$T/host-libs/"
		done
	sh "$SRCDIR/tests/trixie-run.sh" "$root" -b "$SRCDIR" -b "$BUILDDIR" -b "$T" -- \
		env HOOK_IN_TRIXIE=1 MODSET="$MODSET" \
		LD_LIBRARY_PATH="$T/host-libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
		sh "$SRCDIR/tests/cli/$test"
	exit $?
}
