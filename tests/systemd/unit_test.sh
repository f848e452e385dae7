#!/usr/bin/env bash
# Checks systemd/poolwarden.service the way systemd itself reads it:
#  - `systemd-analyze verify`: any output on stderr fails the test;
#  - `systemd-analyze security --offline=true`: the exposure score must be 2.0 or less.
# Usage: unit_test.sh SOURCE_DIR POOLWARDEN_BINARY
set -euo pipefail
src="$1"; bin="$2"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# verify checks that ExecStart= exists: point it at the binary just built.
sed "s#/usr/bin/poolwarden#${bin}#" "$src/systemd/poolwarden.service" > "$work/poolwarden.service"

if ! systemd-analyze verify "$work/poolwarden.service" 2> "$work/verify.err"; then
  echo "FAIL: systemd-analyze verify exited non-zero"; cat "$work/verify.err"; exit 1
fi
if [ -s "$work/verify.err" ]; then
  echo "FAIL: systemd-analyze verify printed warnings:"; cat "$work/verify.err"; exit 1
fi
echo "systemd-analyze verify: clean"

score=$(systemd-analyze security --offline=true --no-pager "$work/poolwarden.service" 2>/dev/null \
        | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || { echo "FAIL: no exposure score"; exit 1; }
echo "systemd-analyze security exposure: ${score} (limit 2.0)"
awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || { echo "FAIL: exposure ${score} > 2.0"; exit 1; }

# The unit must keep the settings the daemon relies on.
for want in 'Type=notify' 'WatchdogSec=' 'ExecReload=' 'Restart=on-failure' 'DynamicUser=yes' \
            'LoadCredential=' 'ConfigurationDirectory=poolwarden' 'CapabilityBoundingSet=$' \
            'UMask=0077' 'SystemCallFilter=@system-service'; do
  grep -q "^${want}" "$src/systemd/poolwarden.service" || { echo "FAIL: unit lacks ${want}"; exit 1; }
done
echo "PASS"
