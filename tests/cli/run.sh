#!/bin/sh
# CLI test runner. Each tests/cli/NAME.sh is run with a scratch directory $T and the
# environment below; its combined stdout+stderr, with the fixture and scratch paths
# replaced by @FIXTURES@ and @T@, must equal tests/cli/NAME.expected, and it must exit 0.
# A test without a .expected file (differential.sh) is judged by its exit status.
#
# Env: MODSET (binary), FIXTURES (built trees), SRCDIR, BUILDDIR; VALGRIND=1 runs every
# initrd-modset call under valgrind (leaks and errors fail the test).
# UPDATE=1 rewrites the .expected files from the current output (review the diff!).
set -u

: "${MODSET:?}" "${FIXTURES:?}" "${SRCDIR:?}" "${BUILDDIR:?}"
dir="$SRCDIR/tests/cli"
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
	MODSET="$work/valgrind-modset"
	cat > "$MODSET" <<EOW
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect "$real" "\$@"
EOW
	chmod +x "$MODSET"
fi
export MODSET FIXTURES SRCDIR BUILDDIR
export LC_ALL=C
# Never the user's cache; each run starts cold.
XDG_CACHE_HOME="$work/xdg-cache"
export XDG_CACHE_HOME

pass=0 fail=0 failed=""
for t in "$dir"/*.sh; do
	name=$(basename "$t" .sh)
	case "$name" in run | lib) continue ;; esac
	if [ -n "${CLI_TESTS:-}" ]; then
		case " $CLI_TESTS " in *" $name "*) ;; *) continue ;; esac
	fi
	T="$work/$name"
	mkdir -p "$T"
	out="$work/$name.out"
	T="$T" sh "$t" > "$out.raw" 2>&1
	rc=$?
	sed -e "s|$FIXTURES|@FIXTURES@|g" -e "s|$T|@T@|g" -e "s|$SRCDIR|@SRCDIR@|g" \
		"$out.raw" > "$out"
	ok=1
	[ $rc -eq 0 ] || ok=0
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
echo "cli: $pass passed, $fail failed"
[ $fail -eq 0 ] || { echo "failed:$failed (outputs in $work)"; exit 1; }
[ -n "${CLI_WORKDIR:-}" ] || rm -rf "$work"
