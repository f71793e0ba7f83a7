#!/usr/bin/env bash
# Relay CPU per message of two msrp-relay builds in one run, interleaved (before, after, before,
# ...), so that what else the machine does weighs on both alike. Loopback only.
#
#   BEFORE=/tmp/old/build/msrp-relay AFTER=build/msrp-relay bash tools/bench/compare-builds.sh
#
# Scenarios: 1 KiB and 64 KiB messages, 16 pairs, over TLS. Each run starts a fresh relay (the
# generated config of relay-setup.sh) and one msrp-bench run against it; CPU per message is
# the relay's CPU time (user + system, from /proc) over messages delivered. Prints every run and
# the median per build and scenario; raw JSON lines stay in $OUT/results.jsonl.
#
# Environment: BEFORE, AFTER (required); BENCH (default build-test/tools/bench/msrp-bench);
# REPS (runs per build and scenario, default 5); DUR (s per run, default 5); WINDOW (default 8);
# OUT (default a new /tmp/msrp-compare.*).
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${BEFORE:?BEFORE=path of the msrp-relay to compare against}"
: "${AFTER:?AFTER=path of the msrp-relay to measure}"
BEFORE=$(realpath "$BEFORE")
AFTER=$(realpath "$AFTER")
BENCH=$(realpath "${BENCH:-build-test/tools/bench/msrp-bench}")
REPS=${REPS:-5}
DUR=${DUR:-5}
WINDOW=${WINDOW:-8}
OUT=${OUT:-$(mktemp -d /tmp/msrp-compare.XXXXXX)}
mkdir -p "$OUT"
# shellcheck source=tools/bench/relay-setup.sh
. tools/bench/relay-setup.sh
write_relay_setup "$OUT" "  max_connections: 19000
  max_connections_per_ip: 19000"
: > "$OUT/results.jsonl"

RELAY_PID=""
stop_relay() {
  [ -n "$RELAY_PID" ] || return 0
  kill -TERM "$RELAY_PID" 2>/dev/null || true
  wait "$RELAY_PID" 2>/dev/null || true
  RELAY_PID=""
}
trap stop_relay EXIT

# run BINARY LABEL BENCH-ARGS...: a fresh relay, one bench run, its JSON line kept.
run() {
  local bin=$1 label=$2 port="" i
  shift 2
  : > "$OUT/relay.log"
  (cd "$OUT" && exec "$bin" --config "$OUT/msrp-relay.yaml" > "$OUT/relay.log" 2>&1) &
  RELAY_PID=$!
  for i in $(seq 1 50); do
    port=$(grep -oP 'listening on 127\.0\.0\.1:\K[0-9]+' "$OUT/relay.log" || true)
    [ -n "$port" ] && break
    sleep 0.2
  done
  [ -n "$port" ] || { echo "relay $bin did not start" >&2; cat "$OUT/relay.log" >&2; exit 1; }
  timeout $((DUR + 120)) "$BENCH" --relay "msrps://127.0.0.1:$port" --relay-host localhost --ca "$OUT/relay.crt" \
    --user load --password loadpass --relay-pid "$RELAY_PID" "$@" --json --label "$label" 2>/dev/null |
    tail -n 1 >> "$OUT/results.jsonl" || true
  stop_relay
}

for rep in $(seq 1 "$REPS"); do
  for build in before after; do
    bin=$BEFORE
    [ "$build" = after ] && bin=$AFTER
    run "$bin" "1KiB-x16|$build" --pairs 16 --size 1K --window "$WINDOW" --duration "$DUR"
    run "$bin" "64KiB-x16|$build" --pairs 16 --size 64K --window "$WINDOW" --duration "$DUR"
  done
  echo "compare-builds: round $rep of $REPS done" >&2
done

python3 - "$OUT/results.jsonl" <<'EOF'
import collections, json, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if r.get("failed") or not r.get("verified") or not r.get("delivered"):
        runs[r.get("label", "?")].append(None)
        continue
    runs[r["label"]].append((r["relay_cpu_s"] / r["delivered"] * 1e6, r["msgs_per_s"]))
print(f"{'scenario|build':22} {'median us/msg':>13}  runs (us/msg @ msg/s)")
for label in sorted(runs):
    ok = [x for x in runs[label] if x]
    med = statistics.median(x[0] for x in ok) if ok else float("nan")
    each = ", ".join("failed" if x is None else f"{x[0]:.1f} @ {x[1]:.0f}" for x in runs[label])
    print(f"{label:22} {med:13.1f}  {each}")
EOF
