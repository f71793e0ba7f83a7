#!/usr/bin/env bash
# Opt-in test of the container image (not run by CI). Needs root (or sudo) and a Debian mirror;
# no container registry is used:
#   1. installs podman, runc and debootstrap when missing;
#   2. debootstraps a minimal Debian 12 and imports it as localhost/debian:bookworm;
#   3. builds the image from ./Dockerfile on it (build isolation chroot, docker format so the
#      HEALTHCHECK is kept);
#   4. runs it with MSRP published on 127.0.0.1:$HOST_PORT, waits for "listening on", reads the
#      demo password from the log and relays a message through it with scripts/try-relay.py;
#   5. runs the image's HEALTHCHECK command, stops the container (expects exit code 0);
#   6. with DEB_TEST=1 also: builds the .deb with cpack in a container, installs it with apt-get
#      on Debian 12 with systemd as PID 1 (packaging/debian/Containerfile.systemd-test) and
#      checks the unit: start (Type=notify), a message relayed through it, reload, restart after
#      a crash, stop, then purges the package; then installs it again with dpkg -i while systemd
#      runs (its postinst starts the service), relays a message and purges it;
# then removes the containers, the images and the podman storage it used.
# Podman keeps its images, containers and config under $WORK (default /var/tmp/msrp-container-test),
# removed at the end; its containers.conf sets default_ulimits = [] for machines that refuse
# setrlimit inside containers. What stays: the installed packages (podman, runc, debootstrap and
# their dependencies) and podman's own host state (/var/lib/containers/cache, /run/libpod,
# /run/containers, lock files in /etc/containers and /etc/cni, netavark's empty iptables chains,
# net.ipv4.ip_forward=1).
#
#   bash scripts/container-test.sh
# Environment: HOST_PORT (default 2855), MIRROR (default http://deb.debian.org/debian),
# WORK, JOBS (build parallelism, default 2), KEEP=1 (keep the images, containers and storage),
# DEB_TEST=1 (step 6; uses the host network, so 127.0.0.1:2855 must be free).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then exec sudo -E bash "$0" "$@"; fi

HOST_PORT=${HOST_PORT:-2855}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
WORK=${WORK:-/var/tmp/msrp-container-test}
JOBS=${JOBS:-2}
KEEP=${KEEP:-0}
DEB_TEST=${DEB_TEST:-0}
BASE=localhost/debian:bookworm
IMAGE=localhost/msrp-relay:test
NAME=msrp-relay-test-$$
DEB_IMAGE=localhost/msrp-relay-deb:test
DEB_NAME=msrp-relay-deb-test-$$

step() { printf '\n== %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

step "installing podman, runc, debootstrap (when missing)"
missing=()
for p in podman runc debootstrap; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

mkdir -p "$WORK"
cat > "$WORK/containers.conf" <<'CONF'
[containers]
# No RLIMIT_* set inside containers: some machines refuse setrlimit there.
default_ulimits = []

[engine]
runtime = "runc"
CONF
export CONTAINERS_CONF="$WORK/containers.conf"
# Podman 4.3 schedules HEALTHCHECKs with systemd timers and complains where systemd is not PID 1;
# the check is run by hand below, so those messages are dropped.
pm() {
  podman --root "$WORK/storage" --runroot "$WORK/run" --runtime runc "$@" \
    2> >(grep -v 'unable to get systemd connection' >&2)
}

cleanup() {
  local rc=$?
  if [ "$KEEP" != 1 ]; then
    pm rm -f -v -t 0 "$NAME" "$DEB_NAME" >/dev/null 2>&1 || true
    pm rmi -a -f >/dev/null 2>&1 || true
    rm -rf "$WORK"
  else
    echo "kept: containers $NAME $DEB_NAME, images $IMAGE $DEB_IMAGE $BASE, storage $WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT

step "base image $BASE (debootstrap --variant=minbase bookworm from $MIRROR)"
if ! pm image exists "$BASE"; then
  rootfs="$WORK/rootfs"
  if [ ! -x "$rootfs/usr/bin/apt-get" ]; then
    rm -rf "$rootfs"
    debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR" > "$WORK/debootstrap.log" 2>&1 ||
      { tail -20 "$WORK/debootstrap.log"; fail "debootstrap (log: $WORK/debootstrap.log)"; }
  fi
  rm -rf "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"*
  tar -C "$rootfs" -c . | pm import - "$BASE" >/dev/null
  rm -rf "$rootfs"
fi

step "building $IMAGE"
pm build --isolation chroot --format docker --build-arg BASE_IMAGE="$BASE" --build-arg JOBS="$JOBS" \
  -t "$IMAGE" . > "$WORK/build.log" 2>&1 || { tail -n 30 "$WORK/build.log"; fail "image build"; }
grep -E '^\[[0-9]/[0-9]\] STEP|^Successfully' "$WORK/build.log" | cut -c1-110 || true
pm images --format '{{.Repository}}:{{.Tag}} {{.Size}}' "$IMAGE"
echo "healthcheck in the image: $(pm image inspect "$IMAGE" |
  python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)[0].get("Healthcheck")))')"

step "running $NAME with 127.0.0.1:$HOST_PORT -> 2855"
pm run -d --name "$NAME" --health-interval=disable -p "127.0.0.1:$HOST_PORT:2855" "$IMAGE" >/dev/null
# (The log is read into a variable first: `podman logs | grep -q` fails under pipefail when grep
# exits before podman has written everything.)
log=
for _ in $(seq 1 60); do
  log=$(pm logs "$NAME" 2>&1)
  grep -q "listening on" <<<"$log" && break
  [ "$(pm inspect --format '{{.State.Running}}' "$NAME")" = true ] || { echo "$log"; fail "container exited"; }
  sleep 0.5
done
printf '%s\n' "$log" | sed 's/^/  | /'
grep -q "listening on" <<<"$log" || fail "no 'listening on' line in the log"
password=$(sed -n "s/.*created demo user 'demo' with password \([0-9a-f]*\).*/\1/p" <<<"$log")
password=${password%%$'\n'*}
[ -n "$password" ] || fail "no demo password in the log"
pm cp "$NAME:/etc/msrp-relay/tls/relay.crt" "$WORK/relay.crt"

step "relaying a message through the container"
python3 scripts/try-relay.py --port "$HOST_PORT" --user demo --password "$password" \
  --cafile "$WORK/relay.crt" --size 3000000 || fail "try-relay.py"

step "HEALTHCHECK"
if pm healthcheck run "$NAME"; then
  echo "healthy"
else
  pm exec "$NAME" curl -sS http://127.0.0.1:9090/healthz || true
  fail "healthcheck"
fi

step "stopping"
pm stop -t 15 "$NAME" >/dev/null
log=$(pm logs "$NAME" 2>&1)
tail -n 3 <<<"$log" | cut -c1-150 | sed 's/^/  | /'
code=$(pm inspect --format '{{.State.ExitCode}}' "$NAME")
echo "exit code: $code"
[ "$code" = 0 ] || fail "relay exit code $code"
echo "image test passed"

if [ "$DEB_TEST" = 1 ]; then
  step "building the .deb and a Debian 12 image with systemd and the package ($DEB_IMAGE)"
  pm build --isolation chroot --build-arg BASE_IMAGE="$BASE" --build-arg JOBS="$JOBS" \
    -f packaging/debian/Containerfile.systemd-test -t "$DEB_IMAGE" . > "$WORK/deb-build.log" 2>&1 ||
    { tail -n 30 "$WORK/deb-build.log"; fail "package image build"; }
  grep -E '^ (Package|Version|Depends):|^-.* \./|^msrp-relay: |^Creating (user|group)|^Created symlink' \
    "$WORK/deb-build.log" | sed 's/^/  | /' || true

  step "systemd as PID 1 in $DEB_NAME (host network)"
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 2855))' 2>/dev/null ||
    fail "127.0.0.1:2855 is in use; the packaged config listens there"
  pm run -d --name "$DEB_NAME" --network host --systemd=always "$DEB_IMAGE" >/dev/null
  sx() { pm exec "$DEB_NAME" "$@"; }
  # Sets $state to the unit's state once it is active, or after 30 s.
  wait_active() {
    state=
    for _ in $(seq 1 60); do
      state=$(sx systemctl is-active msrp-relay 2>/dev/null || true)
      [ "$state" = active ] && break
      sleep 0.5
    done
  }
  wait_active
  sx systemctl --no-pager status msrp-relay | cut -c1-150 | sed 's/^/  | /' || true
  [ "$state" = active ] || fail "msrp-relay.service is $state"
  echo "status: $(sx systemctl show -p StatusText --value msrp-relay)"
  sx cat /etc/msrp-relay/tls/relay.crt > "$WORK/deb-relay.crt"
  python3 scripts/try-relay.py --port 2855 --user demo --cafile "$WORK/deb-relay.crt" \
    --password "$(sx cat /etc/msrp-relay/demo-password)" || fail "try-relay.py through the service"
  sx systemctl reload msrp-relay || fail "systemctl reload"
  echo "after reload: $(sx systemctl show -p StatusText --value msrp-relay)"
  pid=$(sx systemctl show -p MainPID --value msrp-relay)
  sx grep -E '^(Uid|CapEff|NoNewPrivs|Seccomp):' "/proc/$pid/status" | sed 's/^/  /'
  sx kill -KILL "$pid"
  for _ in $(seq 1 30); do
    [ "$(sx systemctl show -p NRestarts --value msrp-relay)" -ge 1 ] &&
      [ "$(sx systemctl is-active msrp-relay || true)" = active ] && break
    sleep 0.5
  done
  echo "after SIGKILL: $(sx systemctl show -p NRestarts -p ActiveState -p MainPID msrp-relay | tr '\n' ' ')"
  [ "$(sx systemctl is-active msrp-relay || true)" = active ] || fail "no restart after a crash"
  sx systemctl stop msrp-relay || fail "systemctl stop"
  sx journalctl -u msrp-relay --no-pager -o cat |
    grep -E '^(Reload|Start|Stop|Failed)|killed|exited$|Scheduled' | sed 's/^/  | /' || true
  sx dpkg -P msrp-relay | sed 's/^/  | /'
  if sx test -e /etc/msrp-relay || sx test -e /usr/bin/msrp-relay; then fail "files left after purge"; fi

  step "installing the package again with systemd running: its postinst starts the service"
  sx sh -c 'dpkg -i /var/cache/msrp-relay-test/msrp-relay_*.deb' | sed 's/^/  | /'
  wait_active
  echo "after dpkg -i: $(sx systemctl show -p ActiveState -p SubState -p StatusText -p UnitFileState msrp-relay | tr '\n' ' ')"
  [ "$state" = active ] || fail "msrp-relay.service is $state after dpkg -i"
  sx cat /etc/msrp-relay/tls/relay.crt > "$WORK/deb-relay2.crt"
  python3 scripts/try-relay.py --port 2855 --user demo --cafile "$WORK/deb-relay2.crt" \
    --password "$(sx cat /etc/msrp-relay/demo-password)" || fail "try-relay.py after dpkg -i"
  sx dpkg -P msrp-relay | sed 's/^/  | /'
  [ "$(sx systemctl is-active msrp-relay 2>/dev/null || true)" != active ] || fail "still active after purge"
  echo "package test passed"
fi

echo
echo "container test passed"
