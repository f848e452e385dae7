#!/usr/bin/env bash
# Checks systemd/poolwarden.service the way systemd itself reads it:
#  - `systemd-analyze verify`: any output on stderr fails the test;
#  - `systemd-analyze security --offline=true`: the exposure score must be 1.2 or less (its value
#    before the resource limits and bind restrictions were added: they must not raise it);
#  - the hardening and limits the README promises are present, and the one port the unit lets
#    the daemon bind is the port of the packaged daemon file's `listen`.
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
echo "systemd-analyze security exposure: ${score} (limit 1.2)"
awk -v s="$score" 'BEGIN { exit !(s <= 1.2) }' || { echo "FAIL: exposure ${score} > 1.2"; exit 1; }

# The unit must keep the settings the daemon relies on.
for want in 'Type=notify' 'WatchdogSec=' 'ExecReload=' 'Restart=on-failure' 'DynamicUser=yes' \
            'LoadCredential=' 'ConfigurationDirectory=poolwarden' 'CapabilityBoundingSet=$' \
            'UMask=0077' 'SystemCallFilter=@system-service' 'LimitCORE=0$' 'LimitNOFILE=[0-9]' \
            'MemoryHigh=[0-9]' 'MemoryMax=[0-9]' 'TasksMax=[0-9]' 'SocketBindDeny=any$' \
            'SocketBindAllow=tcp:[0-9]' 'PrivateIPC=yes' 'NoNewPrivileges=yes'; do
  grep -q "^${want}" "$src/systemd/poolwarden.service" || { echo "FAIL: unit lacks ${want}"; exit 1; }
done

# The memory limits (their syntax is checked by verify above): throttling starts below the kill.
to_bytes() { numfmt --from=iec "${1%B}"; }
high=$(sed -n 's/^MemoryHigh=//p' "$src/systemd/poolwarden.service")
max=$(sed -n 's/^MemoryMax=//p' "$src/systemd/poolwarden.service")
[ "$(to_bytes "$high")" -lt "$(to_bytes "$max")" ] ||
  { echo "FAIL: MemoryHigh=${high} must be below MemoryMax=${max}"; exit 1; }

# The unit allows binding one TCP port: the default daemon file's listen port.
listen=$(sed -n 's/^listen:[[:space:]]*\([^[:space:]#]*\).*/\1/p' "$src/config/poolwarden.yaml")
port="${listen##*:}"
allowed=$(sed -n 's/^SocketBindAllow=tcp:\([0-9]*\)$/\1/p' "$src/systemd/poolwarden.service")
[ -n "$port" ] && [ "$allowed" = "$port" ] ||
  { echo "FAIL: SocketBindAllow=tcp:${allowed} but config/poolwarden.yaml listens on ${listen}"; exit 1; }
echo "limits: MemoryHigh=${high} MemoryMax=${max}; bind allowed on tcp:${allowed} only (listen ${listen})"
echo "PASS"
