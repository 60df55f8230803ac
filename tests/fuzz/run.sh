#!/bin/sh
# Run libFuzzer targets one after the other: tests/fuzz/run.sh BUILDDIR SECONDS TARGET...
#
# Each target runs SECONDS seconds (niced, one process: no -jobs, whose workers
# would write fuzz-N.log files into the current directory) on a working corpus
# BUILDDIR/corpus/TARGET seeded from tests/fuzz/corpus/TARGET (the committed seeds
# are only read: new units go to the working corpus). Any crash, leak, timeout
# (FUZZ_TIMEOUT seconds for one input, default 10) or out-of-memory (libFuzzer's
# default -rss_limit_mb) fails the run: the input is saved as
# BUILDDIR/artifacts/TARGET-crash-*; copy it into tests/fuzz/corpus/TARGET/ once
# fixed, so it is replayed by every `make check`. The last lines of each target's
# log (BUILDDIR/logs/TARGET.log), with libFuzzer's final stats, are printed.
# FUZZ_ARGS adds libFuzzer options (e.g. -max_len=65536).
set -u
B=$1 secs=$2
shift 2
src=$(dirname "$0")
timeout=${FUZZ_TIMEOUT:-10}
mkdir -p "$B/artifacts" "$B/logs"
fail=""
for t in "$@"; do
	mkdir -p "$B/corpus/$t"
	seeds="$src/corpus/$t"
	[ -d "$seeds" ] || seeds=""
	dict=""
	[ -f "$src/$t.dict" ] && dict="-dict=$src/$t.dict"
	[ -f "$src/$t.args" ] && dict="$dict $(cat "$src/$t.args")"
	echo "== fuzz-$t: ${secs}s"
	nice -n 10 "$B/fuzz-$t" -max_total_time="$secs" -timeout="$timeout" \
		-print_final_stats=1 -artifact_prefix="$B/artifacts/$t-" \
		$dict ${FUZZ_ARGS:-} "$B/corpus/$t" $seeds > "$B/logs/$t.log" 2>&1
	rc=$?
	grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added|stat::peak_rss_mb)' \
		"$B/logs/$t.log" | sed 's/^/   /'
	if [ $rc -ne 0 ]; then
		echo "FAIL: fuzz-$t (exit $rc; log $B/logs/$t.log)"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*assertion failed|ALARM|.*Test unit written)' \
			"$B/logs/$t.log" | head -8 | sed 's/^/   /'
		fail="$fail $t"
	else
		echo "PASS: fuzz-$t"
	fi
done
[ -z "$fail" ] || { echo "fuzz: failed:$fail"; exit 1; }
echo "fuzz: $# targets passed"
