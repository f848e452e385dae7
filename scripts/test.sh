#!/usr/bin/env bash
# README command (2), and what CI runs: installs what the build and the tests need, checks
# formatting, builds the daemon, the simulator and the integration tests (e2e, conformance,
# security, systemd, package, soak, deploy) with GCC and warnings as errors and runs them
# (ctest), builds the unit, component and simulator tests with clang under ASan+UBSan (also
# warnings as errors) and runs them there, fuzzes each libFuzzer target briefly, and runs the
# shared HTTP server's multi-threaded tests under TSan. Each test runs once, in the strictest build that can run it:
# the plain GCC run of the unit tests, which ASan+UBSan runs again, is not repeated (it cost
# about 3 min of compiling on 2 cores). Any failure or sanitizer report fails the run.
# Every build is a unity build (one unit per target's sources, see README). The ASan build
# (which holds the fuzz targets too) and the TSan build (clang, linked with lld: both faster
# than GCC and ld.bfd here, see README) are compiled while ctest runs, at the idle scheduling
# class (SCHED_IDLE: they only get CPU time the tests leave unused, so test timing is as on an
# idle machine). ctest runs four times as many tests as there are cores: most of them wait on
# processes, timers and accelerated simulated time (on 2 cores the test phase used 99 s of CPU in
# 187 s of wall time with twice as many). The fuzz targets then run one at a time beside the ASan tests, while
# the TSan build finishes (still SCHED_IDLE). Each
# phase prints its wall time and the CPU time (user+sys) of the commands it ran.
# Usage: scripts/test.sh [ctest args for the main run...]
# Environment: PW_SKIP_FUZZ=1, PW_SKIP_SANITIZERS=1, PW_TSAN_ALL=1 (every THREADS executable
# under TSan, not only the shared HTTP server's), FUZZ_SECONDS (default 20).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="$(nproc)"

# Wall and CPU time per phase: CPU is the user+sys time of this shell's waited-for children
# (/proc/<pid>/stat fields 16 and 17, in clock ticks).
tick="$(getconf CLK_TCK)"
cpu_ticks() { local s; read -r s < /proc/$$/stat; s=${s##*) }; set -- $s; echo $(( ${14} + ${15} )); }
phase_name=""; phase_t0=$SECONDS; phase_c0=$(cpu_ticks); run_t0=$SECONDS
phase_end() {
  [ -n "$phase_name" ] || return 0
  local c; c=$(cpu_ticks)
  printf -- '-- %s: %d s wall, %d s CPU\n' "$phase_name" $(( SECONDS - phase_t0 )) \
    $(( (c - phase_c0) / tick ))
}
phase() {
  phase_end
  phase_name="$*"; phase_t0=$SECONDS; phase_c0=$(cpu_ticks)
  echo; echo "== $* ($(date +%T))"
}

bg_build=""
trap '[ -z "$bg_build" ] || kill -- -"$bg_build" 2>/dev/null || true' EXIT

phase "install dependencies"
scripts/install-deps.sh

phase "format check (clang-format)"
scripts/format.sh --check

phase "configure and build (preset ci; the unit, component and sim tests are built under asan)"
unit_tests_in_ci=ON
[ "${PW_SKIP_SANITIZERS:-0}" = 1 ] || unit_tests_in_ci=OFF
cmake --preset ci -DPW_UNIT_TESTS="${unit_tests_in_ci}" >/dev/null
cmake --build --preset ci -- -j"${jobs}"

fuzz_targets=()
san_targets=()
threaded=()
if [ "${PW_SKIP_FUZZ:-0}" != 1 ]; then
  fuzz_targets=(duration resource_id codec config http_response)
  san_targets+=("${fuzz_targets[@]/#/fuzz_}")
fi
if [ "${PW_SKIP_SANITIZERS:-0}" != 1 ]; then
  # ASan+UBSan: every unit, component and sim test executable (listed by pw_add_gtest), and the
  # daemon itself shut down during a stalled write (e2e shutdown_test).
  cmake --preset asan >/dev/null
  mapfile -t asan_tests < build/asan/unit-test-targets.txt
  san_targets+=("${asan_tests[@]}" poolwarden-sim poolwarden shutdown_test)
  # TSan: the test executables that run code on more than one thread (pw_add_gtest THREADS:
  # HTTP servers on a thread of their own). The daemon and the simulator run one io_context on
  # one thread (no std::thread in daemon/ or simulator/), so the only code that meets a second
  # thread is the HTTP server they share, under a test's client: http_server_test. The other
  # THREADS executables (server_test, server_status_cli_test) put the daemon's observability
  # server on a test thread; building them needs the whole core again under TSan (157 s of CPU
  # against 30 s), so they run under TSan with PW_TSAN_ALL=1 (and under ASan always).
  cmake --preset tsan >/dev/null
  mapfile -t threaded < build/tsan/threaded-tests.txt
  if [ "${PW_TSAN_ALL:-0}" != 1 ]; then
    mapfile -t threaded < <(printf '%s\n' "${threaded[@]}" | grep '/http_server_test$')
  fi
fi
if [ ${#san_targets[@]} -gt 0 ] || [ ${#fuzz_targets[@]} -gt 0 ]; then
  log=build/sanitizer-build.log
  set -m
  # build/asan.status gets the ASan build's exit status as soon as it ends: its tests and the
  # fuzzers start then, while the TSan build goes on (still SCHED_IDLE, so it only takes the CPU
  # time those tests, mostly waiting on processes, leave).
  rm -f build/asan.status
  ( exec > "$log" 2>&1
    status=0
    if [ ${#san_targets[@]} -gt 0 ]; then
      [ -f build/asan/build.ninja ] || cmake --preset asan >/dev/null
      chrt --idle 0 cmake --build --preset asan --target "${san_targets[@]}" -- -j"${jobs}" ||
        status=$?
    fi
    echo "$status" > build/asan.status
    [ "$status" = 0 ] || exit "$status"
    if [ ${#threaded[@]} -gt 0 ]; then
      chrt --idle 0 cmake --build --preset tsan --target "${threaded[@]##*/}" -- -j"${jobs}"
    fi ) &
  bg_build=$!
  set +m
  echo "sanitizer and fuzz builds started in the background (SCHED_IDLE, log: $log)"
fi

phase "tests (preset ci)"
# LeaderElectionLong (the lease store down for 60 s, about 2 min) and LeaderElectionSoak (10
# leader kills under chaos, about 5.5 min) are left out for CI's time: run them with
# ctest --preset ci -R LeaderElectionLong and ctest --preset ci -R LeaderElectionSoak.
ctest --preset ci -j"$(( jobs * 4 ))" --timeout 900 -E '^LeaderElection(Long|Soak)\.' "$@"

if [ -n "$bg_build" ]; then
  phase "asan and fuzz build: the rest after the tests (log: build/sanitizer-build.log)"
  while [ ! -s build/asan.status ] && kill -0 "$bg_build" 2>/dev/null; do sleep 1; done
  if [ "$(cat build/asan.status 2>/dev/null)" != 0 ]; then
    wait "$bg_build" || true
    bg_build=""; tail -60 build/sanitizer-build.log; exit 1
  fi
  echo "built in $(( SECONDS - run_t0 )) s since the start; the tsan build goes on"
fi

# The fuzzers (one at a time: each runs for a fixed time) and the ASan tests side by side, and
# the TSan build in the background.
phase "fuzzing (libFuzzer, ${FUZZ_SECONDS:-20}s per target) beside the unit, component and sim tests under asan"
fuzz_pid=""
if [ "${PW_SKIP_FUZZ:-0}" != 1 ]; then
  ( FUZZ_JOBS=1 FUZZ_SECONDS="${FUZZ_SECONDS:-20}" scripts/fuzz.sh --no-build "${fuzz_targets[@]}" \
      > build/fuzz.log 2>&1 ) &
  fuzz_pid=$!
fi

if [ "${PW_SKIP_SANITIZERS:-0}" != 1 ]; then
  export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=1"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
  # One ctest test per GoogleTest binary (preset asan: PW_TEST_PER_EXECUTABLE): 39 s of CPU
  # for the 657 tests where a process per test took 127 s; a failure names the test.
  ctest --preset asan -L 'unit|component|sim' -j"${jobs}" --timeout 900
  ctest --preset asan -R '^shutdown_test$' --timeout 300
fi
if [ -n "$fuzz_pid" ]; then
  fuzz_status=0
  wait "$fuzz_pid" || fuzz_status=$?
  cat build/fuzz.log
  [ "$fuzz_status" = 0 ] || exit 1
fi

if [ -n "$bg_build" ]; then
  phase "tsan build: the rest after the asan tests (log: build/sanitizer-build.log)"
  if ! wait "$bg_build"; then bg_build=""; tail -60 build/sanitizer-build.log; exit 1; fi
  bg_build=""
fi
if [ "${PW_SKIP_SANITIZERS:-0}" != 1 ]; then
  phase "multi-threaded tests under tsan"
  for t in "${threaded[@]}"; do
    echo "-- ${t##*/}"
    "$t" --gtest_brief=1
  done
fi
phase "done"
phase_end
echo "total: $(( SECONDS - run_t0 )) s"
