# msrp-relay container: build on Debian 12, run on a slim Debian 12 with runtime libraries only.
ARG BASE_IMAGE=debian:bookworm
FROM ${BASE_IMAGE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config libuv1-dev libssl-dev libyaml-cpp-dev libspdlog-dev \
      libcxxopts-dev doctest-dev && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN cmake -S /src -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMSRP_BUILD_TESTS=OFF \
 && cmake --build /build -j"$(nproc)" --target msrp-relay

FROM ${BASE_IMAGE}
RUN apt-get update && apt-get install -y --no-install-recommends \
      libuv1 libssl3 libyaml-cpp0.7 libspdlog1.10 libfmt9 openssl ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /var/lib/msrp-relay --shell /usr/sbin/nologin msrp-relay \
 && mkdir -p /etc/msrp-relay && chown msrp-relay /etc/msrp-relay
COPY --from=build /build/msrp-relay /usr/bin/msrp-relay
COPY config/msrp-relay.yaml /usr/share/msrp-relay/msrp-relay.yaml
COPY scripts/docker-entrypoint.sh /usr/bin/docker-entrypoint.sh
USER msrp-relay
VOLUME /etc/msrp-relay
EXPOSE 2855
ENTRYPOINT ["/usr/bin/docker-entrypoint.sh"]
