#!/usr/bin/env bash
# Builds the libFuzzer targets (preset asan: clang, ASan+UBSan, -O0) and runs each for
# FUZZ_SECONDS (default 30) from the committed seed corpus in tests/fuzz/corpus/<name>,
# FUZZ_JOBS targets at once (default: as many as there are cores). Any crash fails the run
# and leaves its input in build/asan/crashes/: turn it into a regression test.
# Usage: scripts/fuzz.sh [--no-build] [target...]   (--no-build: the targets are built already)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-30}"
build=1
if [ "${1:-}" = "--no-build" ]; then build=0; shift; fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(duration resource_id codec config http_response)
if [ "$build" = 1 ]; then
  cmake --preset asan >/dev/null
  cmake --build --preset asan --target "${targets[@]/#/fuzz_}" -- -j"$(nproc)"
fi
dir=build/asan/tests/fuzz
mkdir -p build/asan/crashes

run_one() {
  local t="$1" work
  work=$(mktemp -d)
  cp -r "tests/fuzz/corpus/$t/." "$work/"
  if ! "$dir/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix=build/asan/crashes/"$t"- -print_final_stats=1 "$work" \
        > "$dir/fuzz_$t.log" 2>&1; then
    echo "FAIL: fuzz_$t crashed"; tail -40 "$dir/fuzz_$t.log"; rm -rf "$work"; return 1
  fi
  echo "== fuzz_$t ${seconds}s:" \
       "$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/fuzz_$t.log") runs," \
       "$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/fuzz_$t.log")/s," \
       "$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$dir/fuzz_$t.log" | tail -1)"
  rm -rf "$work"
}

pids=()
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "${FUZZ_JOBS:-$(nproc)}" ]; do sleep 0.2; done
  run_one "$t" & pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
