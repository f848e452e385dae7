#!/usr/bin/env bash
# Installs what the build and the tests need, builds poolwarden with warnings as errors, checks
# formatting and runs every test (ctest). This is README command (2) and what CI runs.
# Usage: scripts/test.sh [ctest args...]   (PW_PRESET=asan|tsan|ci, default ci)
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${PW_PRESET:-ci}"

scripts/install-deps.sh

echo "== format check (clang-format)"
scripts/format.sh --check

echo "== configure and build (preset ${preset})"
cmake --preset "${preset}" >/dev/null
cmake --build --preset "${preset}" -- -j"$(nproc)"

echo "== tests"
ctest --preset "${preset}" -j"$(nproc)" --timeout 600 "$@"

if [ "${PW_SKIP_FUZZ:-0}" != 1 ]; then
  echo "== fuzzing (libFuzzer, ${FUZZ_SECONDS:-30}s per target)"
  scripts/fuzz.sh
fi
