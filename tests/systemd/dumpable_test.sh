#!/usr/bin/env bash
# The running daemon is not dumpable (prctl PR_SET_DUMPABLE 0 at start): no core file, and
# processes of its own user cannot ptrace it or read its memory or environment via /proc. The
# kernel shows it: the /proc/<pid> files of a non-dumpable process belong to root instead of the
# process's user. The daemon runs as nobody (when this test is root) or as the test's own user,
# with a daemon file that needs no Azure; a `sleep` run the same way is the dumpable control.
# Usage: dumpable_test.sh POOLWARDEN_BINARY
set -euo pipefail
bin="$1"
work=$(mktemp -d); chmod 0755 "$work"
pid=""
cleanup() { [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

as_user=()
uid=$(id -u)
if [ "$uid" -eq 0 ]; then
  as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  uid=65534
fi
mkdir "$work/pools.d"
cat > "$work/poolwarden.yaml" <<YAML
auth:
  method: managedIdentity
accounts: []
poolsDir: $work/pools.d
listen: 127.0.0.1:0
YAML
chmod -R a+rX "$work"

owner() { stat -c %u "/proc/$1/status"; }

"${as_user[@]}" sleep 30 & control=$!
sleep 0.2
control_owner=$(owner "$control"); kill "$control"; wait "$control" 2>/dev/null || true
[ "$control_owner" = "$uid" ] ||
  { echo "FAIL: control: /proc/<pid>/status of a dumpable process owned by ${control_owner}, not ${uid}"; exit 1; }

"${as_user[@]}" "$bin" run --config "$work/poolwarden.yaml" > "$work/daemon.log" 2>&1 & pid=$!
for _ in $(seq 100); do
  grep -q 'poolwarden running' "$work/daemon.log" && break
  kill -0 "$pid" 2>/dev/null || { echo "FAIL: daemon exited"; cat "$work/daemon.log"; exit 1; }
  sleep 0.1
done
grep -q 'poolwarden running' "$work/daemon.log" || { echo "FAIL: daemon not running after 10 s"; cat "$work/daemon.log"; exit 1; }
daemon_owner=$(owner "$pid")
echo "uid ${uid}: dumpable control's /proc/<pid>/status owner ${control_owner}, daemon's ${daemon_owner}"
[ "$daemon_owner" = 0 ] || { echo "FAIL: the running daemon is dumpable"; exit 1; }
kill -TERM "$pid"; wait "$pid" || { echo "FAIL: daemon exit status $? after SIGTERM"; exit 1; }
pid=""
echo "PASS"
