#!/usr/bin/env bash
# Installs the Debian 12 packages msrp-relay needs to build, run and test. Run as root.
set -euo pipefail
packages=(
  build-essential cmake pkg-config
  libuv1-dev libssl-dev libyaml-cpp-dev libspdlog-dev libcxxopts-dev doctest-dev
  libsystemd-dev libmicrohttpd-dev
  openssl python3 file
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
