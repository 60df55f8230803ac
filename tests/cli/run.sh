#!/bin/sh
# CLI test runner. Each tests/cli/NAME.sh is run with a scratch directory $T and the
# environment below; its combined stdout+stderr, with the fixture and scratch paths
# replaced by @FIXTURES@ and @T@, must equal tests/cli/NAME.expected, and it must exit 0.
# A test without a .expected file (differential.sh) is judged by its exit status.
#
# Env: MODSET (binary), FIXTURES (built trees), SRCDIR, BUILDDIR; VALGRIND=1 runs every
# initrd-modset call under valgrind (leaks and errors fail the test).
# CLI_TESTS="a b" runs only those; CLI_JOBS=N runs N tests at once (default: the
# number of CPUs); results are printed in name order either way.
# UPDATE=1 rewrites the .expected files from the current output (review the diff!).
set -u

: "${MODSET:?}" "${FIXTURES:?}" "${SRCDIR:?}" "${BUILDDIR:?}"
dir="$SRCDIR/tests/cli"

# run.sh --one WORK NAME: run one test, leave WORK/NAME.out and WORK/NAME.rc.
if [ "${1:-}" = --one ]; then
	work=$2 name=$3
	T="$work/$name"
	mkdir -p "$T"
	out="$work/$name.out"
	# Each test has its own (cold) module-facts cache, so tests never see each other's.
	XDG_CACHE_HOME="$work/$name.xdg-cache" T="$T" sh "$dir/$name.sh" > "$out.raw" 2>&1
	echo $? > "$work/$name.rc"
	sed -e "s|$FIXTURES|@FIXTURES@|g" -e "s|$T|@T@|g" -e "s|$SRCDIR|@SRCDIR@|g" \
		"$out.raw" > "$out"
	exit 0
fi

# A private work directory per run, so that two runs never share one (kept when a
# test fails, for a look; CLI_WORKDIR names a fixed one).
if [ -n "${CLI_WORKDIR:-}" ]; then
	work="$CLI_WORKDIR"
	rm -rf "$work" && mkdir -p "$work"
else
	mkdir -p "$BUILDDIR" && work=$(mktemp -d "$BUILDDIR/cli.XXXXXX") || exit 2
fi

if [ "${VALGRIND:-}" = 1 ]; then
	real="$MODSET"
	# for the tests that cannot run under valgrind (ptrace: signal-cleanup)
	MODSET_UNWRAPPED="$real"
	export MODSET_UNWRAPPED
	MODSET="$work/valgrind-modset"
	cat > "$MODSET" <<EOW
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
	--suppressions="$SRCDIR/tests/valgrind.supp" "$real" "\$@"
EOW
	chmod +x "$MODSET"
fi
export MODSET FIXTURES SRCDIR BUILDDIR
export LC_ALL=C

names=""
for t in "$dir"/*.sh; do
	name=$(basename "$t" .sh)
	case "$name" in run | lib) continue ;; esac
	if [ -n "${CLI_TESTS:-}" ]; then
		case " $CLI_TESTS " in *" $name "*) ;; *) continue ;; esac
	fi
	names="$names $name"
done

jobs=${CLI_JOBS:-$(nproc 2>/dev/null || echo 1)}
# shellcheck disable=SC2086
printf '%s\n' $names | xargs -r -P "$jobs" -I{} sh "$0" --one "$work" {}

pass=0 fail=0 skip=0 failed=""
for name in $names; do
	out="$work/$name.out"
	rc=$(cat "$work/$name.rc" 2>/dev/null || echo 127)
	# exit 77: the test cannot run here (automake's SKIP); its last line says why
	if [ "$rc" -eq 77 ]; then
		skip=$((skip + 1))
		echo "SKIP: $name: $(tail -n 1 "$out")"
		continue
	fi
	ok=1
	[ "$rc" -eq 0 ] || ok=0
	if [ -f "$dir/$name.expected" ]; then
		if [ "${UPDATE:-}" = 1 ]; then
			cp "$out" "$dir/$name.expected"
		elif ! cmp -s "$out" "$dir/$name.expected"; then
			ok=0
			diff -u "$dir/$name.expected" "$out" | head -40
		fi
	fi
	if [ $ok = 1 ]; then
		pass=$((pass + 1))
		echo "PASS: $name"
	else
		fail=$((fail + 1))
		failed="$failed $name"
		echo "FAIL: $name (exit $rc)"
		[ -f "$dir/$name.expected" ] || tail -20 "$out"
	fi
done
echo "cli: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ] || { echo "failed:$failed (outputs in $work)"; exit 1; }
[ -n "${CLI_WORKDIR:-}" ] || rm -rf "$work"
