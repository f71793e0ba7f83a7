# msrp-relay container: build on Debian 12, run on a slim Debian 12 with runtime libraries only.
#
#   docker build -t msrp-relay .
#   docker run -d --name msrp-relay -p 2855:2855 msrp-relay
#   docker logs msrp-relay        # the demo user's password is printed on first start
#
# /etc/msrp-relay is a volume holding msrp-relay.yaml, tls/relay.{crt,key} and users.htdigest;
# whatever is missing on first start is created (sample config listening on 0.0.0.0:2855 with
# metrics and health checks on 0.0.0.0:9090, a self-signed certificate, a demo user). Mount your
# own files there (readable by uid 2855) to replace them. The HEALTHCHECK needs the metrics
# section (GET /healthz on 127.0.0.1:9090) in the config. Logs go to stdout.
#
# BASE_IMAGE is used for both stages (any Debian 12 image; slim is enough to build on).
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${BASE_IMAGE} AS build
ARG JOBS=
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config libuv1-dev libssl-dev libyaml-cpp-dev libspdlog-dev \
      libcxxopts-dev libmicrohttpd-dev libsystemd-dev \
 && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN cmake -S /src -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMSRP_BUILD_TESTS=OFF \
 && cmake --build /build -j"${JOBS:-$(nproc)}" --target msrp-relay \
 && strip --strip-unneeded /build/msrp-relay

FROM ${BASE_IMAGE}
# Runtime libraries of the binary (as dpkg-shlibdeps computes them for the .deb), openssl for the
# first-start certificate and demo user, curl for the HEALTHCHECK.
RUN apt-get update && apt-get install -y --no-install-recommends \
      libuv1 libssl3 libyaml-cpp0.7 libspdlog1.10 libfmt9 libmicrohttpd12 libsystemd0 \
      openssl ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 2855 msrp-relay \
 && useradd --system --uid 2855 --gid msrp-relay --home-dir /var/lib/msrp-relay \
      --shell /usr/sbin/nologin msrp-relay \
 && install -d -o msrp-relay -g msrp-relay -m 0750 /etc/msrp-relay /var/lib/msrp-relay
COPY --from=build /build/msrp-relay /usr/bin/msrp-relay
COPY config/msrp-relay.yaml /usr/share/msrp-relay/msrp-relay.yaml
COPY scripts/docker-entrypoint.sh /usr/bin/docker-entrypoint.sh
USER msrp-relay
WORKDIR /var/lib/msrp-relay
VOLUME /etc/msrp-relay
# 2855: MSRP over TLS. The metrics listener (9090) is not exposed: publish it explicitly.
EXPOSE 2855
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD curl -fsS -o /dev/null http://127.0.0.1:9090/healthz || exit 1
ENTRYPOINT ["/usr/bin/docker-entrypoint.sh"]
