#!/usr/bin/env bash
# Builds msrp-relay with ASan+UBSan+LSan (-DMSRP_SANITIZE=ON) in build-asan and runs the e2e suite
# against it; a test fails when its relay's log holds a sanitizer report (LSan reports at the
# SIGTERM exit). Extra arguments go to the doctest binary, e.g. -tc="*soak*".
set -euo pipefail
cd "$(dirname "$0")/.."

asan_dir=${MSRP_ASAN_BUILD_DIR:-build-asan}
e2e_dir=${MSRP_E2E_BUILD_DIR:-build-leak-check}
jobs=${MSRP_JOBS:-2}

# The sanitized relay, unit tests and engine simulations under ASan+UBSan.
cmake -S . -B "$asan_dir" -DCMAKE_BUILD_TYPE="${MSRP_ASAN_BUILD_TYPE:-Debug}" -DMSRP_SANITIZE=ON \
  -DMSRP_BUILD_TESTS=ON > /dev/null
cmake --build "$asan_dir" -j"$jobs" --target msrp-relay unit_tests sim_tests
echo "leak-check: unit tests under ASan + UBSan"
"$asan_dir/tests/unit_tests"
# The engine simulations (tests/sim/): the relay engine with no sockets, under ASan + UBSan.
echo "leak-check: engine simulation tests under ASan + UBSan"
"$asan_dir/tests/sim_tests"
# The e2e test binary, plain.
cmake -S . -B "$e2e_dir" -DMSRP_BUILD_TESTS=ON > /dev/null
cmake --build "$e2e_dir" -j"$jobs" --target e2e_tests

export MSRP_RELAY_BINARY="$PWD/$asan_dir/msrp-relay"
if ! grep -q libasan < <(ldd "$MSRP_RELAY_BINARY" 2>/dev/null) &&
   ! nm "$MSRP_RELAY_BINARY" 2>/dev/null | grep -q __asan_init; then
  echo "leak-check: $MSRP_RELAY_BINARY is not built with AddressSanitizer" >&2
  exit 2
fi
# Inherited by every relay the harness starts; reports go to the relay's stderr (its log).
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:print_summary=1
export LSAN_OPTIONS=print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export MSRP_SOAK_SECONDS=${MSRP_SOAK_SECONDS:-60}

echo "leak-check: e2e suite against $MSRP_RELAY_BINARY"
start=$(date +%s)
status=0
if [ "$#" -gt 0 ]; then
  "$e2e_dir/tests/e2e_tests" --duration=true "$@" || status=$?
else
  # Through ctest, two suites at a time (they mostly wait on sockets and timers).
  (cd "$e2e_dir" && ctest -R '^e2e\.' --output-on-failure --timeout 600 -j"$jobs") || status=$?
fi
echo "leak-check: finished in $(( $(date +%s) - start )) s, exit status $status"
exit "$status"
