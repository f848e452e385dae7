#!/usr/bin/env bash
# Builds the two Debian packages with CPack (poolwarden, poolwarden-sim), checks what each
# contains (dpkg-deb) and lintian finds no error, then installs each package alone with dpkg -i,
# uses what it installed, and purges it, checking that nothing it installed is left.
#
# Installing happens in a throwaway copy of this machine, not on it: a mount namespace of this
# process holds an overlay whose lower layer is the real root file system (read-only to it) and
# whose upper layer is a tmpfs, and dpkg runs chrooted into it. dpkg there sees the machine's
# real package database, so Depends are resolved against the packages really installed, the
# maintainer scripts run, and the binaries run with the machine's shared libraries; every
# write lands in the tmpfs, which goes away with the namespace, also when the test is killed.
# A poolwarden installed on the machine itself is never touched (it is purged in the copy).
# Needs root (mount namespaces, overlay, chroot): CI runs as root; elsewhere it is skipped
# (exit 77), and fails in CI (CI set) rather than skip.
# Usage: package_test.sh BUILD_DIR
set -euo pipefail
build="$1"
if [ "$(id -u)" -ne 0 ]; then
  if [ -n "${CI:-}" ]; then echo "FAIL: CI must run the package test as root"; exit 1; fi
  echo "SKIP: installing packages needs root"; exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && cpack --config "$build/CPackConfig.cmake" -B "$work" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log"; exit 1; }
daemon_deb=$(ls "$work"/poolwarden_*_amd64.deb)
sim_deb=$(ls "$work"/poolwarden-sim_*_amd64.deb)
for deb in "$daemon_deb" "$sim_deb"; do
  echo "built $(basename "$deb") ($(stat -c %s "$deb") bytes), Depends: $(dpkg-deb -f "$deb" Depends)"
  dpkg-deb -f "$deb" Depends | grep -q 'libc6' || { echo "FAIL: $deb: no shlib Depends"; exit 1; }
done

has() { grep -q " ${2}\$" <<<"$1"; }
contents=$(dpkg-deb -c "$daemon_deb")
for f in ./usr/bin/poolwarden ./lib/systemd/system/poolwarden.service \
         ./etc/poolwarden/poolwarden.yaml ./usr/share/poolwarden/examples/poolwarden.yaml \
         ./usr/share/poolwarden/examples/pools.d/render.yaml ./usr/share/doc/poolwarden/copyright; do
  has "$contents" "$f" || { echo "FAIL: poolwarden lacks $f"; echo "$contents"; exit 1; }
done
if grep -q 'poolwarden-sim' <<<"$contents"; then echo "FAIL: poolwarden ships the simulator"; exit 1; fi
if grep -q 'client-secret' <<<"$contents"; then echo "FAIL: poolwarden ships a secret"; exit 1; fi
dpkg-deb -e "$daemon_deb" "$work/control"
grep -qx '/etc/poolwarden/poolwarden.yaml' "$work/control/conffiles" ||
  { echo "FAIL: config is not a conffile"; exit 1; }

contents=$(dpkg-deb -c "$sim_deb")
for f in ./usr/bin/poolwarden-sim ./usr/share/doc/poolwarden-sim/copyright; do
  has "$contents" "$f" || { echo "FAIL: poolwarden-sim lacks $f"; echo "$contents"; exit 1; }
done
if has "$contents" ./usr/bin/poolwarden || grep -q ' \./etc/' <<<"$contents"; then
  echo "FAIL: poolwarden-sim ships daemon files"; echo "$contents"; exit 1
fi
echo "contents: poolwarden has the daemon and no simulator; poolwarden-sim has the simulator only"

if command -v lintian >/dev/null; then
  for deb in "$daemon_deb" "$sim_deb"; do
    lintian --no-tag-display-limit "$deb" >"$work/lintian.log" 2>&1 || true
    if grep -q '^E:' "$work/lintian.log"; then
      echo "FAIL: lintian errors in $(basename "$deb"):"; grep '^E:' "$work/lintian.log"; exit 1
    fi
    echo "lintian $(basename "$deb"): no errors ($(grep -c '^W:' "$work/lintian.log" || true) warnings)"
  done
fi

# in_copy SCRIPT: runs SCRIPT with bash -euo pipefail as root, chrooted into a throwaway
# copy-on-write view of / (see the top); the packages are in its /tmp.
in_copy() {
  unshare --mount --propagation private -- /bin/bash -euo pipefail -c '
    w=$1; script=$2; shift 2
    mount -t tmpfs -o mode=0755 pw-package-test "$w/layer"
    mkdir -p "$w/layer/upper" "$w/layer/work" "$w/root"
    mount -t overlay pw-package-test -o "lowerdir=/,upperdir=$w/layer/upper,workdir=$w/layer/work" "$w/root"
    mount -t proc proc "$w/root/proc"
    mount --rbind /dev "$w/root/dev"
    mount -t tmpfs tmpfs "$w/root/tmp"
    mount -t tmpfs tmpfs "$w/root/run"
    cp "$@" "$w/root/tmp/"
    exec chroot "$w/root" /bin/bash -euo pipefail -c "$script"
  ' in_copy "$work/sandbox" "$1" "$daemon_deb" "$sim_deb"
}
mkdir -p "$work/sandbox/layer"

# purge_and_check PACKAGE: purges it and fails if a file it had installed is still there.
purge_and_check='
purge_and_check() {
  dpkg -L "$1" > /tmp/files
  dpkg --purge "$1" > /tmp/purge.log 2>&1 || { cat /tmp/purge.log; exit 1; }
  ! dpkg -s "$1" >/dev/null 2>&1 || { echo "FAIL: $1 still known to dpkg after purge"; exit 1; }
  while read -r f; do
    if { [ -f "$f" ] || [ -L "$f" ]; } && [ ! -d "$f" ]; then echo "FAIL: purge of $1 left $f"; exit 1; fi
  done < /tmp/files
  echo "$1: purged, none of its $(wc -l < /tmp/files) paths left"
}
dpkg --purge poolwarden poolwarden-sim >/dev/null 2>&1 || true
'

echo "== poolwarden alone"
in_copy "$purge_and_check"'
dpkg -i /tmp/poolwarden_*_amd64.deb > /tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; exit 1; }
dpkg -s poolwarden | grep -qx "Status: install ok installed"
[ ! -e /usr/bin/poolwarden-sim ] || { echo "FAIL: /usr/bin/poolwarden-sim installed"; exit 1; }
/usr/bin/poolwarden version
/usr/bin/poolwarden validate --config /etc/poolwarden/poolwarden.yaml
[ -d /etc/poolwarden/pools.d ] || { echo "FAIL: no /etc/poolwarden/pools.d"; exit 1; }
# The installed unit, read by systemd: ExecStart= must name the installed binary.
systemd-analyze verify /lib/systemd/system/poolwarden.service 2> /tmp/verify.err ||
  { cat /tmp/verify.err; exit 1; }
[ ! -s /tmp/verify.err ] || { echo "FAIL: installed unit:"; cat /tmp/verify.err; exit 1; }
echo "installed unit verified"
purge_and_check poolwarden
[ ! -e /etc/poolwarden ] || { echo "FAIL: purge left /etc/poolwarden"; exit 1; }
'

echo "== poolwarden-sim alone"
in_copy "$purge_and_check"'
dpkg -i /tmp/poolwarden-sim_*_amd64.deb > /tmp/dpkg.log 2>&1 || { cat /tmp/dpkg.log; exit 1; }
dpkg -s poolwarden-sim | grep -qx "Status: install ok installed"
[ ! -e /usr/bin/poolwarden ] || { echo "FAIL: /usr/bin/poolwarden installed"; exit 1; }
/usr/bin/poolwarden-sim --port 0 > /tmp/sim.log 2>&1 & sim=$!
for _ in $(seq 100); do grep -q "listening on" /tmp/sim.log && break; sleep 0.1; done
url=$(sed -n "s/^listening on \(http:[^ ]*\).*/\1/p" /tmp/sim.log)
[ -n "$url" ] || { echo "FAIL: simulator did not start"; cat /tmp/sim.log; exit 1; }
curl -sf "$url/_sim/requests" > /dev/null || { echo "FAIL: GET $url/_sim/requests"; exit 1; }
kill -TERM "$sim"; wait "$sim"
echo "installed simulator served $url and stopped"
purge_and_check poolwarden-sim
'
echo "PASS"
