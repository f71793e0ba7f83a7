# Sourced by the bench scripts: makes what msrp-relay needs to run a benchmark in a folder.
#
#   write_relay_setup DIR [LIMITS_YAML]
#
# writes DIR/relay.crt and DIR/relay.key (self-signed, for localhost and 127.0.0.1),
# DIR/users.htdigest with the Digest user `load` (password `loadpass`, realm localhost) that
# both ends of every bench pair use, and DIR/msrp-relay.yaml: hostname localhost, one TLS
# listener on 127.0.0.1 with a free port (logged), log level info; LIMITS_YAML, if given, is put
# under `limits:` (e.g. "  max_connections: 19000").
write_relay_setup() {
  local dir=$1 limits=${2:-}
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$dir/relay.key" -out "$dir/relay.crt" 2>/dev/null
  chmod 600 "$dir/relay.key"
  printf 'load:localhost:%s\n' "$(printf 'load:localhost:loadpass' | md5sum | cut -d' ' -f1)" > "$dir/users.htdigest"
  {
    cat <<EOF
relay:
  hostname: localhost
  listen:
    - { address: 127.0.0.1, port: 0, transport: tls }
tls:
  certificate: relay.crt
  private_key: relay.key
auth:
  realm: localhost
  users_file: users.htdigest
EOF
    if [ -n "$limits" ]; then printf 'limits:\n%s\n' "$limits"; fi
    printf 'log:\n  level: info\n'
  } > "$dir/msrp-relay.yaml"
}
