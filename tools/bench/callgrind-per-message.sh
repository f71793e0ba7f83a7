#!/usr/bin/env bash
# CPU instructions per relayed message, counted by valgrind's callgrind (deterministic, unlike
# time, so it shows small gains or losses that the side-by-side msg/s cannot). Loopback only.
#
#   RELAY=build/msrp-relay BENCH=build/tools/bench/msrp-bench bash tools/bench/callgrind-per-message.sh
#
# msrp-relay runs under `valgrind --tool=callgrind --instr-atstart=no` (TLS listener on
# 127.0.0.1, a free port of its own; generated config, certificate and Digest user, as in
# side-by-side.sh); msrp-bench runs natively against it. For each size: one warm-up bench run
# with instrumentation off, then `callgrind_control -i on` and two measured bench runs of N1 and
# N2 messages in total, each between a `callgrind_control -z` (zero) and a `-d` (dump) taken once
# the relay has closed the bench's connections. Every run pays the same TLS handshakes, AUTHs and
# teardown, so
#     instructions per message = (Ir(N2) - Ir(N1)) / (N2 - N1)
# counts only relaying: the SEND (head, body, end-line; one chunk per message) and its 200 OK.
# One line per size:  callgrind: SIZE B over TLS, PAIRS pairs: N instructions per message
#
# Environment: RELAY, BENCH (required); OUT (work folder, default a new /tmp/msrp-callgrind.*);
# SIZES (bytes, default "1024 65536"); PAIRS (default 4); WINDOW (messages in flight per pair,
# default 4); N1, N2 (messages in total, multiples of PAIRS; defaults 2000/6000 for messages up
# to 4 KiB, 300/900 above); WARMUP (messages in the warm-up run, default 4*PAIRS); TIMEOUT (s per
# bench run, default 300). Dumps, logs and bench outputs stay in $OUT.
set -euo pipefail

: "${RELAY:?RELAY=path of msrp-relay}"
: "${BENCH:?BENCH=path of msrp-bench}"
RELAY=$(realpath "$RELAY")
BENCH=$(realpath "$BENCH")
OUT=${OUT:-$(mktemp -d /tmp/msrp-callgrind.XXXXXX)}
SIZES=${SIZES:-1024 65536}
PAIRS=${PAIRS:-4}
WINDOW=${WINDOW:-4}
WARMUP=${WARMUP:-$((4 * PAIRS))}
TIMEOUT=${TIMEOUT:-300}
mkdir -p "$OUT"
OUT=$(realpath "$OUT")

log() { printf '[callgrind] %s\n' "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

for tool in valgrind callgrind_control openssl ss md5sum; do
  command -v "$tool" >/dev/null || die "$tool is missing (valgrind: apt-get install -y valgrind)"
done
[ -x "$RELAY" ] || die "RELAY=$RELAY is not an executable"
[ -x "$BENCH" ] || die "BENCH=$BENCH is not an executable"

# ---------------------------------------------------------------- certificate, user, config
# shellcheck source=tools/bench/relay-setup.sh
. "$(dirname "$0")/relay-setup.sh"
write_relay_setup "$OUT"

# ---------------------------------------------------------------- msrp-relay under callgrind
RELAY_PID=""
cleanup() {
  if [ -n "$RELAY_PID" ] && kill -0 "$RELAY_PID" 2>/dev/null; then
    kill -TERM "$RELAY_PID" 2>/dev/null || true
    local i
    for i in $(seq 1 50); do kill -0 "$RELAY_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$RELAY_PID" 2>/dev/null || true
    wait "$RELAY_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

log "work folder: $OUT"
# Dumps go to callgrind.out.PID.N (N = 1, 2, ... per callgrind_control -d).
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUT/callgrind.out.%p" \
  "$RELAY" --config "$OUT/msrp-relay.yaml" > "$OUT/relay.log" 2>&1 &
RELAY_PID=$!
PORT=""
for _ in $(seq 1 300); do   # at most 60 s: start-up is slow under valgrind
  PORT=$(grep -oP '(?<!metrics )listening on 127\.0\.0\.1:\K[0-9]+' "$OUT/relay.log" | head -n 1 || true)
  [ -n "$PORT" ] && break
  kill -0 "$RELAY_PID" 2>/dev/null || break
  sleep 0.2
done
[ -n "$PORT" ] || { cat "$OUT/relay.log" >&2; die "msrp-relay did not start"; }
log "msrp-relay (pid $RELAY_PID) on 127.0.0.1:$PORT under callgrind"

ctl() { callgrind_control "$@" "$RELAY_PID" > "$OUT/control.log" 2>&1 || { cat "$OUT/control.log" >&2; die "callgrind_control $*"; }; }

# Waits (at most 60 s) until the relay holds no connection but its listener: the bench's
# connections are closed on the relay side too, so their teardown falls inside the dump.
wait_relay_idle() {
  local i
  for i in $(seq 1 300); do
    if ! ss -tanpH 2>/dev/null | grep -v '^LISTEN' | grep -q "pid=$RELAY_PID,"; then return 0; fi
    sleep 0.2
  done
  die "msrp-relay still holds connections 60 s after the bench ended"
}

DUMPS=0
IR=""
# Dumps the counters (which also zeroes them) and sets IR to the total Ir of that dump.
dump_ir() {
  ctl -d
  DUMPS=$((DUMPS + 1))
  local file=$OUT/callgrind.out.$RELAY_PID.$DUMPS ir=""
  for _ in $(seq 1 100); do
    [ -s "$file" ] && ir=$(grep -oP '^(summary|totals): \K[0-9]+' "$file" | head -n 1 || true)
    [ -n "$ir" ] && break
    sleep 0.1
  done
  [ -n "$ir" ] || die "no total in $file"
  IR=$ir
}

# bench_run NAME SIZE TOTAL: TOTAL messages of SIZE bytes over PAIRS pairs, every byte verified.
bench_run() {
  local name=$1 size=$2 total=$3 file=$OUT/bench.$1.txt
  [ $((total % PAIRS)) -eq 0 ] || die "$total messages is not a multiple of PAIRS=$PAIRS"
  local args=(--relay "msrps://127.0.0.1:$PORT" --relay-host localhost --ca "$OUT/relay.crt"
              --user load --password loadpass --pairs "$PAIRS" --size "$size" --window "$WINDOW"
              --count $((total / PAIRS)) --duration 3600 --drain-timeout 60 --json --label "$name")
  echo "msrp-bench ${args[*]}" > "$file"
  if ! timeout "$TIMEOUT" "$BENCH" "${args[@]}" >> "$file" 2>&1; then
    cat "$file" >&2; die "msrp-bench $name"
  fi
  local got
  got=$(tail -n 1 "$file" | grep -oP '"delivered":\K[0-9]+' || true)
  [ "$got" = "$total" ] || { cat "$file" >&2; die "msrp-bench $name delivered ${got:-?} of $total"; }
  got=$(tail -n 1 "$file" | grep -oP '"oks":\K[0-9]+' || true)
  [ "$got" = "$total" ] || { cat "$file" >&2; die "msrp-bench $name got ${got:-?} 200 OKs for $total"; }
  wait_relay_idle
}

# ---------------------------------------------------------------- one size at a time
for size in $SIZES; do
  if [ "$size" -le 4096 ]; then n1=${N1:-2000}; n2=${N2:-6000}; else n1=${N1:-300}; n2=${N2:-900}; fi
  [ "$n2" -gt "$n1" ] || die "N2 ($n2) must be larger than N1 ($n1)"
  ctl -i off
  log "$size B: warm-up, $WARMUP messages"
  bench_run "$size.warmup" "$size" "$WARMUP"
  ctl -i on
  ctl -z
  log "$size B: $n1 messages, $PAIRS pairs, window $WINDOW"
  bench_run "$size.$n1" "$size" "$n1"
  dump_ir; ir1=$IR
  log "$size B: $n1 messages: Ir $ir1"
  ctl -z
  log "$size B: $n2 messages, $PAIRS pairs, window $WINDOW"
  bench_run "$size.$n2" "$size" "$n2"
  dump_ir; ir2=$IR
  log "$size B: $n2 messages: Ir $ir2"
  per=$(( (ir2 - ir1) / (n2 - n1) ))
  [ "$per" -gt 0 ] || die "$size B: Ir($n2)=$ir2 is not above Ir($n1)=$ir1"
  echo "callgrind: $size B over TLS, $PAIRS pairs: $per instructions per message"
done
