#!/usr/bin/env bash
# README command (1): the daemon against the bundled simulator, in accelerated time.
# Builds poolwarden and poolwarden-sim if needed (preset "release"), starts
#   poolwarden-sim --port 18080 --state config/examples/sim-world.json --time-scale 60
# and runs
#   poolwarden run --config config/examples/poolwarden.yaml
# on it. The three example pools of config/examples/pools.d/ are created, each only once its
# image has the replicas it needs in eastus (1 per 300 VMs): render-linux (3000 VMs; render/1.4.0
# raised 1 -> 10 replicas, resizeTimeout PT45M), sim-hpc (the production pool: subnet, no public
# IP, ephemeral OS disk, data disk, containers from a private registry, blobfuse, Trusted
# Launch, a start task with resource files; secrets read from the demo-only fake files in
# config/examples/demo-secrets/) and tools-latest (follows the latest version of the hpc image
# definition, 2.0.0: 2.1.0 is excludeFromLatest); hpc/2.0.0 is raised 1 -> 2 replicas for them.
# Then nodes come up and every pass is steady with zero writes. Ctrl-C stops both cleanly.
# Environment: PW_PRESET (default release), PW_SIM_PORT (18080), PW_TIME_SCALE (60),
# PW_DEMO_SECONDS (run for that long, then stop; default: until Ctrl-C),
# PW_LOG_FORMAT (text|json), PW_DEMO_CONFIG (default config/examples/poolwarden.yaml).
set -euo pipefail
cd "$(dirname "$0")/.."

preset="${PW_PRESET:-release}"
port="${PW_SIM_PORT:-18080}"
scale="${PW_TIME_SCALE:-60}"
config="${PW_DEMO_CONFIG:-config/examples/poolwarden.yaml}"
build="build/${preset}"

echo "== installing build dependencies (Debian packages; skipped when present)"
scripts/install-deps.sh --build-only
# git does not keep file modes beyond +x: the example secret must not be readable by others.
chmod 600 config/examples/client-secret config/examples/demo-secrets/*

echo "== building poolwarden and poolwarden-sim (preset ${preset}; incremental)"
build_log="$(mktemp -t poolwarden-build.XXXXXX.log)"
{ [ -f "${build}/build.ninja" ] || cmake --preset "${preset}"; } >"${build_log}" 2>&1 \
  && cmake --build "${build}" --target poolwarden poolwarden-sim -- -j"$(nproc)" >>"${build_log}" 2>&1 \
  || { cat "${build_log}" >&2; exit 1; }

if [ "${port}" != "18080" ]; then
  echo "note: ${config} points at port 18080" >&2
fi

sim_pid=""
daemon_pid=""
cleanup() {
  trap - INT TERM EXIT
  [ -n "${daemon_pid}" ] && kill -TERM "${daemon_pid}" 2>/dev/null && wait "${daemon_pid}" 2>/dev/null || true
  [ -n "${sim_pid}" ] && kill -TERM "${sim_pid}" 2>/dev/null && wait "${sim_pid}" 2>/dev/null || true
  echo "== stopped"
}
trap cleanup INT TERM EXIT

echo "== starting poolwarden-sim on 127.0.0.1:${port} (1 s = ${scale} simulated s)"
sim_log="$(mktemp -t poolwarden-sim.XXXXXX.log)"
"${build}/simulator/poolwarden-sim" --port "${port}" --state config/examples/sim-world.json \
  --time-scale "${scale}" >"${sim_log}" 2>&1 &
sim_pid=$!
for _ in $(seq 50); do
  grep -q "listening on" "${sim_log}" && break
  kill -0 "${sim_pid}" 2>/dev/null || { cat "${sim_log}" >&2; exit 1; }
  sleep 0.1
done
grep -q "listening on" "${sim_log}" || { echo "simulator did not start" >&2; cat "${sim_log}" >&2; exit 1; }

echo "== poolwarden run --config ${config}   (Ctrl-C to stop)"
"${build}/daemon/poolwarden" run --config "${config}" \
  --log-format "${PW_LOG_FORMAT:-text}" &
daemon_pid=$!

if [ -n "${PW_DEMO_SECONDS:-}" ]; then
  sleep "${PW_DEMO_SECONDS}"
  echo "== writes the simulator received (POST/PATCH/PUT/DELETE):"
  curl -s "http://127.0.0.1:${port}/_sim/requests" 2>/dev/null \
    | /usr/bin/python3 -c 'import json,sys
d=json.load(sys.stdin); r=d if isinstance(d,list) else d.get("requests",[])
for x in r:
  m=x.get("method","")
  if m in ("POST","PATCH","PUT","DELETE") and "/oauth2/" not in x.get("path",""): print("  ",m,x.get("path",""))' \
    || true
  exit 0
fi
wait "${daemon_pid}"
