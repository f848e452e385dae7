#!/usr/bin/env bash
# Builds the Debian package with CPack, checks its contents with dpkg-deb, installs it with
# dpkg -i, runs the installed `poolwarden version` and `poolwarden validate` on the installed
# config, and purges it again. Needs root (exit 77 = skipped otherwise) and a package that is
# not installed already.
# Usage: package_test.sh BUILD_DIR
set -euo pipefail
build="$1"
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: dpkg -i needs root"; exit 77; fi
if dpkg-query -W -f='${Status}' poolwarden 2>/dev/null | grep -q 'install ok installed'; then
  echo "SKIP: a poolwarden package is already installed on this machine"; exit 77
fi
work=$(mktemp -d)
cleanup() { dpkg --purge poolwarden >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

(cd "$work" && cpack --config "$build/CPackConfig.cmake" -B "$work" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log"; exit 1; }
deb=$(ls "$work"/poolwarden_*_amd64.deb)
echo "built $(basename "$deb") ($(stat -c %s "$deb") bytes)"

contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/poolwarden ./usr/bin/poolwarden-sim ./lib/systemd/system/poolwarden.service \
         ./etc/poolwarden/poolwarden.yaml ./usr/share/poolwarden/examples/poolwarden.yaml \
         ./usr/share/poolwarden/examples/pools.d/render.yaml ./usr/share/doc/poolwarden/copyright; do
  grep -q " ${f}\$" <<<"$contents" || { echo "FAIL: package lacks $f"; echo "$contents"; exit 1; }
done
if grep -q 'client-secret' <<<"$contents"; then echo "FAIL: package ships a secret"; exit 1; fi
dpkg-deb -f "$deb" Depends | grep -q 'libc6' || { echo "FAIL: no shlib Depends"; exit 1; }
dpkg-deb -e "$deb" "$work/control"
grep -qx '/etc/poolwarden/poolwarden.yaml' "$work/control/conffiles" ||
  { echo "FAIL: config is not a conffile"; exit 1; }
echo "Depends: $(dpkg-deb -f "$deb" Depends)"

if command -v lintian >/dev/null; then
  lintian --no-tag-display-limit "$deb" >"$work/lintian.log" 2>&1 || true
  if grep -q '^E:' "$work/lintian.log"; then
    echo "FAIL: lintian errors:"; grep '^E:' "$work/lintian.log"; exit 1
  fi
  echo "lintian: no errors ($(grep -c '^W:' "$work/lintian.log" || true) warnings)"
fi

dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; exit 1; }
/usr/bin/poolwarden version
/usr/bin/poolwarden validate --config /etc/poolwarden/poolwarden.yaml
dpkg --purge poolwarden >/dev/null
[ ! -e /usr/bin/poolwarden ] || { echo "FAIL: purge left /usr/bin/poolwarden"; exit 1; }
echo "PASS"
