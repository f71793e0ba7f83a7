#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, -DMSRP_FUZZ=ON) and runs every fuzz_* for FUZZ_SECONDS each
# on a temporary copy of its seed corpus; exits 1 when any target crashes, leaks or hangs.

# Env: FUZZ_SECONDS (default 60), FUZZ_BUILD_DIR (build-fuzz), FUZZ_JOBS (build jobs, default 2),
# FUZZ_PARALLEL (targets fuzzed at the same time, default 2).
# Seeds: fuzz/corpus/<name>/, optional dictionary fuzz/<name>.dict. Failing inputs are kept in
# $FUZZ_BUILD_DIR/fuzz-artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
seconds=${FUZZ_SECONDS:-60}
build=${FUZZ_BUILD_DIR:-build-fuzz}
jobs=${FUZZ_JOBS:-2}
parallel=${FUZZ_PARALLEL:-2}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Build dependencies, then clang. On Debian 12 -fsanitize=fuzzer needs libclang_rt.fuzzer*.a,
# which is in libclang-rt-14-dev (only recommended by clang-14, so not always installed).
as_root bash scripts/install-deps.sh
missing=()
for p in clang libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

targets=()
for src in fuzz/fuzz_*.cc; do targets+=("$(basename "$src" .cc)"); done
cmake -S . -B "$build" -DMSRP_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ -DMSRP_BUILD_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$jobs" --target "${targets[@]}"
echo "build: $((SECONDS - start)) s"
bin=$(cd "$build" && pwd)

# Longest input each target gets (its seeds are all shorter).
max_len_of() {
  case "$1" in
    fuzz_uri | fuzz_digest) echo 1024 ;;
    fuzz_config) echo 8192 ;;
    fuzz_relay) echo 16384 ;;
    *) echo 4096 ;;
  esac
}

work=$(mktemp -d "${TMPDIR:-/tmp}/msrp-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
kept="$build/fuzz-artifacts"
root=$PWD

# Runs one target on a copy of its seeds in $work/<target>; leaves its exit status in .../rc.
run_target() {
  local t=$1 dir="$work/$1" name=${1#fuzz_} rc=0
  local extra=()
  mkdir -p "$dir/corpus" "$dir/artifacts" "$dir/tmp"
  if [ -d "fuzz/corpus/$name" ]; then cp -R "fuzz/corpus/$name/." "$dir/corpus/"; fi
  if [ -f "fuzz/$name.dict" ]; then extra+=("-dict=$root/fuzz/$name.dict"); fi
  (cd "$dir" && TMPDIR="$dir/tmp" "$bin/$t" "$dir/corpus" -max_total_time="$seconds" \
    -max_len="$(max_len_of "$t")" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$dir/artifacts/" ${extra[@]+"${extra[@]}"} >"$dir/log" 2>&1) || rc=$?
  echo "$rc" >"$dir/rc"
}

# At most $parallel targets at a time (each libFuzzer process uses one core).
running=0
for t in "${targets[@]}"; do
  if [ "$running" -ge "$parallel" ]; then wait -n || true; running=$((running - 1)); fi
  run_target "$t" &
  running=$((running + 1))
done
wait

failed=0
for t in "${targets[@]}"; do
  dir="$work/$t"
  rc=$(cat "$dir/rc" 2>/dev/null || echo 1)
  touch "$dir/log"
  execs=$(awk '/stat::number_of_executed_units:/ {print $2}' "$dir/log")
  cov=$(awk '{for (i = 1; i < NF; i++) if ($i == "cov:") c = $(i + 1)} END {print c}' "$dir/log")
  corpus=$(find "$dir/corpus" -type f | wc -l)
  if [ "$rc" -eq 0 ]; then
    printf '%-12s ok     %10s execs in %ss, cov %s, corpus %s\n' "$t" "${execs:-?}" "$seconds" "${cov:-?}" "$corpus"
  else
    failed=1
    mkdir -p "$kept/$t"
    cp -R "$dir/artifacts/." "$kept/$t/" 2>/dev/null || true
    cp "$dir/log" "$kept/$t/log"
    printf '%-12s FAILED %10s execs (exit %s); input and log kept in %s/%s\n' "$t" "${execs:-?}" "$rc" "$kept" "$t"
    { grep -E 'ERROR|SUMMARY|^fuzz_' "$dir/log" || true; } | head -n 5 | sed 's/^/             /'
  fi
done
echo "total: $((SECONDS - start)) s"
exit "$failed"
