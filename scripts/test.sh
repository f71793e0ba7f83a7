#!/usr/bin/env bash
# Installs dependencies, builds msrp-relay with its tests, and runs every test through ctest:
# unit tests (common/, config/) and end-to-end tests that start the real relay on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ]; then bash scripts/install-deps.sh; else sudo bash scripts/install-deps.sh; fi
build=${MSRP_BUILD_DIR:-build-test}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMSRP_BUILD_TESTS=ON
cmake --build "$build" -j"$(nproc)"
cd "$build"
# End-to-end tests mostly wait on sockets and timers: two at a time halve the wall time.
ctest --output-on-failure --timeout 600 -j2
