#!/bin/bash
# Interop test against Kamailio's MSRP relay (opt-in, not part of CI):
#   1. configures and builds msrp-relay + interop_tests (-DMSRP_INTEROP_TESTS=ON),
#   2. starts Kamailio 5.6 on free loopback ports with the peer kit's start.sh,
#   3. runs the ctest entry interop.kamailio (label "interop"),
#   4. stops Kamailio again (also on failure or Ctrl-C) and prints the result.
#
# Environment:
#   KAMAILIO_PEER_DIR  folder with Kamailio's start.sh/stop.sh/kamailio.cfg/tls.cfg
#                      (default: $PEERS/kamailio when PEERS is set, as for
#                      tools/bench/side-by-side.sh, else ../shared/peers/kamailio relative to
#                      the repository)
#   BUILD_DIR          build folder (default: build-interop in the repository)
#   KAMAILIO_TLS_PORT, KAMAILIO_TCP_PORT   ports to use (default: free ones, picked here)
#   KEEP_RUNDIR=1      keep Kamailio's runtime folder (config, certificate, kamailio.log)
# The start.sh of the peer kit installs the Debian packages kamailio and kamailio-tls-modules
# with apt-get when they are missing (needs root).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
PEER_DIR=${KAMAILIO_PEER_DIR:-${PEERS:+$PEERS/kamailio}}
PEER_DIR=${PEER_DIR:-$REPO/../shared/peers/kamailio}
BUILD_DIR=${BUILD_DIR:-$REPO/build-interop}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

if [ ! -f "$PEER_DIR/start.sh" ] || [ ! -f "$PEER_DIR/stop.sh" ]; then
	echo "interop-kamailio: Kamailio peer kit not found at $PEER_DIR" >&2
	echo "  (need start.sh and stop.sh there; set KAMAILIO_PEER_DIR to the folder that has them)" >&2
	exit 2
fi
PEER_DIR=$(cd "$PEER_DIR" && pwd)

# A TCP port on 127.0.0.1 that nothing listens on (ports 20000-59999, checked with ss).
port_in_use() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
free_port() {
	local p i
	for i in $(seq 1 200); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		if ! port_in_use "$p" && [ "$p" != "${1:-}" ]; then echo "$p"; return 0; fi
	done
	echo "interop-kamailio: no free port found" >&2
	return 1
}

echo "== build ($BUILD_DIR, -DMSRP_INTEROP_TESTS=ON)"
cmake -S "$REPO" -B "$BUILD_DIR" -DMSRP_BUILD_TESTS=ON -DMSRP_INTEROP_TESTS=ON >/dev/null
cmake --build "$BUILD_DIR" -j"$JOBS" --target msrp-relay interop_tests

TLS_PORT=${KAMAILIO_TLS_PORT:-$(free_port)}
TCP_PORT=${KAMAILIO_TCP_PORT:-$(free_port "$TLS_PORT")}
RUNDIR=$(mktemp -d /tmp/msrp-interop-kamailio.XXXXXX)
export RUNDIR TLS_PORT TCP_PORT

cleanup() {
	local rc=$?
	echo "== stop Kamailio"
	RUNDIR=$RUNDIR sh "$PEER_DIR/stop.sh" || true
	if [ "${KEEP_RUNDIR:-0}" = 1 ]; then
		echo "kept Kamailio runtime folder $RUNDIR"
	else
		rm -rf "$RUNDIR"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== start Kamailio (TLS 127.0.0.1:$TLS_PORT, TCP 127.0.0.1:$TCP_PORT, RUNDIR $RUNDIR)"
sh "$PEER_DIR/start.sh"
kamailio -v 2>/dev/null | head -1 || true

echo "== ctest -L interop (interop.kamailio)"
set +e
# KAMAILIO_TLS_RELOAD=1: the mutual-TLS case may rewrite $RUNDIR/tls.cfg (our own temporary
# copy) and run `kamcmd tls.reload`; it restores the original afterwards.
KAMAILIO_TLS_PORT=$TLS_PORT KAMAILIO_RUNDIR=$RUNDIR KAMAILIO_TLS_RELOAD=1 \
	ctest --test-dir "$BUILD_DIR" -L interop -V --timeout 300 2>&1 | tee "$BUILD_DIR/interop-kamailio.log"
rc=${PIPESTATUS[0]}
set -e

echo "== result"
grep -E "^([0-9]+: )?\[doctest\] (test cases|assertions|Status)|tests passed|tests failed|interop\.kamailio \.+" \
	"$BUILD_DIR/interop-kamailio.log" | sed 's/^[0-9]*: //' || true
if [ "$rc" -eq 0 ]; then
	echo "interop-kamailio: PASSED (full output: $BUILD_DIR/interop-kamailio.log)"
else
	echo "interop-kamailio: FAILED, ctest exit $rc (full output: $BUILD_DIR/interop-kamailio.log)"
fi
exit "$rc"
