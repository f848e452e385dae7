#!/usr/bin/env bash
# Installs every Debian 12 package that poolwarden's build, tests and demo need.
# Usage: scripts/install-deps.sh [--build-only]
# Boost 1.81 is used (Asio C++20 coroutines, Beast, URL); its -dev packages conflict with the
# default 1.74 -dev packages, so those are removed first if present.
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build pkg-config git
  libboost1.81-dev libboost-url1.81-dev libssl-dev
  libyaml-cpp-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev
  libsystemd-dev prometheus-cpp-dev libgtest-dev libgmock-dev
)
test_pkgs=(
  clang-format clang libclang-rt-14-dev lld lintian dpkg-dev
  prometheus python3-azure azure-cli
  openssl curl procps systemd gnuplot-nox
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

pkgs=("${build_pkgs[@]}")
if [ "${1:-}" != "--build-only" ]; then pkgs+=("${test_pkgs[@]}"); fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  # The 1.74 -dev packages conflict with 1.81's; remove them if something pulled them in.
  if dpkg-query -W -f='${Status}' libboost1.74-dev 2>/dev/null | grep -q 'install ok installed'; then
    "${sudo_cmd[@]}" apt-get remove -y -qq libboost1.74-dev
  fi
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Azurite (the Blob lease store of the leader-election tests), pinned, from npm.
if [ "${1:-}" != "--build-only" ]; then "$(dirname "$0")/install-azurite.sh"; fi
