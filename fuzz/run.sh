#!/bin/sh
# fuzz/run.sh BUILD SECONDS: runs every fuzz target built in BUILD for SECONDS each, on a copy of
# its seeds in BUILD/corpus (fuzz/corpus itself is never written). Findings go to BUILD/crashes;
# exits 1 if any target reported a crash, leak, timeout or sanitizer error.
build=$1 seconds=$2 fail=0
seeds=$(dirname "$0")/corpus
for t in fuzz_proto:4096 fuzz_parse:4096 fuzz_set_sum:65536 fuzz_set_dict:65536 \
	fuzz_set_timer:65536 fuzz_set_search:65536; do
	name=${t%:*}
	mkdir -p "$build/corpus/$name" "$build/crashes"
	cp "$seeds/$name"/* "$build/corpus/$name/"
	if "$build/fuzz/$name" -max_len="${t#*:}" -max_total_time="$seconds" -timeout=30 \
		-print_final_stats=1 -artifact_prefix="$build/crashes/$name-" \
		"$build/corpus/$name" >"$build/$name.log" 2>&1; then
		result=ok
	else
		result="FAILED (log: $build/$name.log)"
		fail=1
		grep -m1 -B2 -A20 'ERROR\|check failed\|runtime error' "$build/$name.log"
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/$name.log")
	echo "$name: ${runs:-?} executions in $seconds s: $result"
done
exit $fail
