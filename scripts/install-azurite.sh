#!/usr/bin/env bash
# Installs Azurite (azurite-blob), pinned, from the npm registry into a cache folder outside the
# repository: the leader-election tests (issue 18) take Blob leases from it. Idempotent: returns
# at once when that version is present. Prints the azurite-blob path.
# Environment: PW_AZURITE_PREFIX (default ${XDG_CACHE_HOME:-$HOME/.cache}/poolwarden/azurite-VERSION).
set -euo pipefail
version=3.37.0
prefix="${PW_AZURITE_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/poolwarden/azurite-${version}}"
bin="$prefix/node_modules/.bin/azurite-blob"
if [ -x "$bin" ] && grep -q "\"version\": \"${version}\"" "$prefix/node_modules/azurite/package.json" 2>/dev/null; then
  echo "install-azurite: azurite ${version} present ($bin)"
  exit 0
fi
if ! command -v npm >/dev/null; then
  # Debian 12's nodejs and npm (Azurite 3.37.0 declares node >= 22 but runs on 18 and 20; npm
  # only warns, EBADENGINE).
  sudo_cmd=(); if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends nodejs npm
fi
mkdir -p "$prefix"
npm install --no-audit --no-fund --loglevel=error --prefix "$prefix" "azurite@${version}"
echo "install-azurite: azurite ${version} installed ($bin)"
