#!/bin/sh
# Container entry point. On first start (files missing in the /etc/msrp-relay volume) it creates
#   - msrp-relay.yaml: the sample config listening on all interfaces, with the metrics and health
#     check listener on 0.0.0.0:9090 (the image's HEALTHCHECK polls /healthz there);
#   - tls/relay.crt and tls/relay.key: a self-signed certificate for localhost;
#   - users.htdigest: a demo user "demo" with a random password, printed to the log.
# A read-only /etc/msrp-relay is used as it is. Then it runs the relay in the foreground (logs
# on stdout); extra arguments are passed on.
set -eu
dir=/etc/msrp-relay

# A read-only mount: use it as it is (the relay reports anything missing).
if [ ! -w "$dir" ]; then
  exec /usr/bin/msrp-relay --config "$dir/msrp-relay.yaml" "$@"
fi

if [ ! -f "$dir/msrp-relay.yaml" ]; then
  # Listen on all interfaces; drop any metrics section of the sample and add ours.
  sed '/^ *- *{/s/address: 127.0.0.1/address: 0.0.0.0/' /usr/share/msrp-relay/msrp-relay.yaml |
    awk '/^metrics:/ { skip = 1; next } skip && /^[^ #]/ { skip = 0 } !skip' > "$dir/msrp-relay.yaml.new"
  printf '\n# Added by the container entry point: Prometheus metrics, /healthz and /readyz.\nmetrics: { address: 0.0.0.0, port: 9090 }\n' \
    >> "$dir/msrp-relay.yaml.new"
  mv "$dir/msrp-relay.yaml.new" "$dir/msrp-relay.yaml"
  echo "msrp-relay: created $dir/msrp-relay.yaml (MSRP on 0.0.0.0:2855, metrics on 0.0.0.0:9090)"
fi

if [ ! -f "$dir/tls/relay.crt" ] && [ ! -f "$dir/tls/relay.key" ]; then
  mkdir -p "$dir/tls"
  (umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$dir/tls/relay.key" -out "$dir/tls/relay.crt" 2>/dev/null)
  chmod 644 "$dir/tls/relay.crt"
  echo "msrp-relay: created a self-signed certificate for localhost in $dir/tls/"
fi

if [ ! -f "$dir/users.htdigest" ]; then
  realm=$(sed -n 's/^ *realm: *"\{0,1\}\([^ "#]*\).*/\1/p' "$dir/msrp-relay.yaml" | head -n1)
  realm=${realm:-localhost}
  password=$(openssl rand -hex 8)
  (umask 077 && printf 'demo:%s:%s\n' "$realm" \
    "$(printf 'demo:%s:%s' "$realm" "$password" | md5sum | cut -d' ' -f1)" > "$dir/users.htdigest")
  echo "msrp-relay: created demo user 'demo' with password $password (realm '$realm')"
fi

exec /usr/bin/msrp-relay --config "$dir/msrp-relay.yaml" "$@"
