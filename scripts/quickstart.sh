#!/usr/bin/env bash
# Installs dependencies, builds msrp-relay and starts it on 127.0.0.1:2855 with the bundled
# sample config. On first run it creates run/ with a copy of the config, a self-signed
# certificate and a demo user (password printed below and kept in run/demo-password).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ]; then bash scripts/install-deps.sh; else sudo bash scripts/install-deps.sh; fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMSRP_BUILD_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" --target msrp-relay

run=run
mkdir -p "$run/tls"
[ -f "$run/msrp-relay.yaml" ] || cp config/msrp-relay.yaml "$run/msrp-relay.yaml"
if [ ! -f "$run/tls/relay.crt" ]; then
  echo "creating a self-signed certificate for localhost in $run/tls/"
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$run/tls/relay.key" -out "$run/tls/relay.crt" 2>/dev/null
  chmod 600 "$run/tls/relay.key"
fi
if [ ! -f "$run/users.htdigest" ]; then
  password=$(openssl rand -hex 8)
  realm=$(sed -n 's/^ *realm: *\([^ #]*\).*/\1/p' "$run/msrp-relay.yaml" | head -n1)
  printf 'demo:%s:%s\n' "$realm" "$(printf 'demo:%s:%s' "$realm" "$password" | md5sum | cut -d' ' -f1)" > "$run/users.htdigest"
  printf '%s\n' "$password" > "$run/demo-password"
  chmod 600 "$run/users.htdigest" "$run/demo-password"
  echo "created demo user 'demo' in realm '$realm' (password in $run/demo-password)"
fi
echo "demo user: demo, password: $(cat "$run/demo-password" 2>/dev/null || echo '(see your users file)')"
echo "try it:    python3 scripts/try-relay.py --port 2855 --user demo --password \$(cat $run/demo-password)"
exec build/msrp-relay --config "$run/msrp-relay.yaml"
