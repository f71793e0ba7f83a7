#!/bin/sh
# Container entry point: on first start, put the sample config in /etc/msrp-relay (listening on
# all interfaces), a self-signed certificate and a demo user; then run the relay in the foreground.
set -eu
dir=/etc/msrp-relay
if [ ! -f "$dir/msrp-relay.yaml" ]; then
  sed 's/address: 127.0.0.1/address: 0.0.0.0/' /usr/share/msrp-relay/msrp-relay.yaml > "$dir/msrp-relay.yaml"
fi
if [ ! -f "$dir/tls/relay.crt" ]; then
  mkdir -p "$dir/tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost" -keyout "$dir/tls/relay.key" -out "$dir/tls/relay.crt" 2>/dev/null
  chmod 600 "$dir/tls/relay.key"
fi
if [ ! -f "$dir/users.htdigest" ]; then
  password=$(openssl rand -hex 8)
  printf 'demo:localhost:%s\n' "$(printf 'demo:localhost:%s' "$password" | md5sum | cut -d' ' -f1)" > "$dir/users.htdigest"
  echo "msrp-relay: created demo user 'demo' with password $password"
fi
exec /usr/bin/msrp-relay --config "$dir/msrp-relay.yaml" "$@"
