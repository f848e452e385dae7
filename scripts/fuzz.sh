#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each for FUZZ_SECONDS (default
# 30) starting from the committed seed corpus in tests/fuzz/corpus/<name>. Any crash fails the
# run and leaves its input in build/fuzz/crashes/: turn it into a regression test.
# Usage: scripts/fuzz.sh [target...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-30}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(duration resource_id codec config http_response)
cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
      -DPW_FUZZ=ON -DPW_BUILD_TESTS=OFF >/dev/null
cmake --build build/fuzz --target "${targets[@]/#/fuzz_}" -- -j"$(nproc)"
mkdir -p build/fuzz/crashes
status=0
for t in "${targets[@]}"; do
  work=$(mktemp -d)
  cp -r "tests/fuzz/corpus/$t/." "$work/"
  echo "== fuzz_$t for ${seconds}s"
  if ! build/fuzz/tests/fuzz/fuzz_"$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix=build/fuzz/crashes/"$t"- -print_final_stats=1 "$work" \
        > "build/fuzz/$t.log" 2>&1; then
    echo "FAIL: fuzz_$t crashed"; tail -40 "build/fuzz/$t.log"; status=1
  else
    grep -E 'stat::number_of_executed_runs|cov:' "build/fuzz/$t.log" | tail -2
  fi
  rm -rf "$work"
done
exit $status
