#!/usr/bin/env bash
# README command (2), and what CI runs: installs what the build and the tests need, checks
# formatting, builds everything with warnings as errors and runs every test (ctest), fuzzes
# each libFuzzer target briefly, then rebuilds the unit and component tests under ASan+UBSan,
# and the multi-threaded ones under TSan, and runs them again. Any failure or sanitizer report
# fails the run.
# Usage: scripts/test.sh [ctest args for the main run...]
# Environment: PW_SKIP_FUZZ=1, PW_SKIP_SANITIZERS=1, FUZZ_SECONDS (default 20).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="$(nproc)"
phase() { echo; echo "== $* ($(date +%T))"; }

phase "install dependencies"
scripts/install-deps.sh

phase "format check (clang-format)"
scripts/format.sh --check

phase "configure and build (preset ci)"
cmake --preset ci >/dev/null
cmake --build --preset ci -- -j"${jobs}"

phase "tests (preset ci)"
ctest --preset ci -j"${jobs}" --timeout 900 "$@"

if [ "${PW_SKIP_FUZZ:-0}" != 1 ]; then
  phase "fuzzing (libFuzzer, ${FUZZ_SECONDS:-20}s per target)"
  FUZZ_SECONDS="${FUZZ_SECONDS:-20}" scripts/fuzz.sh
fi

if [ "${PW_SKIP_SANITIZERS:-0}" != 1 ]; then
  export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=1"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"

  # ASan+UBSan: every unit and component test, from the executables the ci build registered,
  # and the daemon itself shut down during a stalled write (e2e shutdown_test).
  mapfile -t targets < <(ctest --test-dir build/ci -N -L 'unit|component' --show-only=json-v1 |
    /usr/bin/python3 -c 'import json, os, sys
print("\n".join(sorted({os.path.basename(t["command"][0])
                        for t in json.load(sys.stdin)["tests"] if t.get("command")})))')
  targets+=(poolwarden-sim poolwarden shutdown_test)
  phase "unit and component tests under asan"
  cmake --preset asan >/dev/null
  cmake --build --preset asan --target "${targets[@]}" -- -j"${jobs}"
  ctest --preset asan -L 'unit|component' -j"${jobs}" --timeout 900
  ctest --preset asan -R '^E2EShutdown\.' --timeout 300

  # TSan: the test executables that run code on more than one thread (pw_add_gtest THREADS:
  # HTTP servers on a thread of their own). The daemon runs one io_context on one thread; the
  # single-threaded tests cannot show TSan a race.
  phase "multi-threaded tests under tsan"
  cmake --preset tsan >/dev/null
  mapfile -t threaded < build/tsan/threaded-tests.txt
  cmake --build --preset tsan --target "${threaded[@]##*/}" -- -j"${jobs}"
  for t in "${threaded[@]}"; do
    echo "-- ${t##*/}"
    "$t" --gtest_brief=1
  done
fi
phase "done"
