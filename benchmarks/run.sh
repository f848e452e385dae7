#!/usr/bin/env bash
# Runs the benchmarks: poolwarden vs an azure-SDK baseline against poolwarden-sim.
# Usage: benchmarks/run.sh [--quick] [bench.py options]   (--quick: P = 100 and 1000 only)
# Builds poolwarden and poolwarden-sim (RelWithDebInfo) in build/bench unless PW_BUILD_DIR
# points at a build that has them. Results: benchmarks/results/results.{md,json,png}.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${PW_BUILD_DIR:-$root/build/bench}"
if [ -z "${PW_BUILD_DIR:-}" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" --target poolwarden poolwarden-sim
fi
command -v gnuplot >/dev/null || echo "note: gnuplot not installed (apt-get install gnuplot-nox); no chart" >&2
PW_BUILD_DIR="$build" exec /usr/bin/python3 "$root/benchmarks/bench.py" "$@"
