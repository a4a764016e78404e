# The `pulse` container image: one static-ish binary on debian-slim, running as uid 10001.
#
#   docker build -t pulse:0.1.0 .
#   docker run --rm -p 8080:8080 pulse:0.1.0          # embedded mode: `pulse serve` on :8080
#   docker build --build-arg FEATURES="<features>" -t pulse:0.1.0 .   # e.g. Kafka TLS/SASL support
#
# Not built in this project's CI (its machines have no container engine); helm/pulse deploys it.
#
# Dependency caching: cargo-chef. `cargo chef prepare` reduces the workspace to a recipe (every
# Cargo.toml, Cargo.lock, and the targets they declare), and `cargo chef cook` builds only the
# dependencies from it, so that layer is reused until a manifest or the lock file changes. Copying
# Cargo.toml/Cargo.lock/crates/*/Cargo.toml with stub sources by hand would do the same, but Docker's
# COPY cannot glob crates/*/Cargo.toml into their directories, so every crate (and each declared
# [[bench]]) would have to be listed here and kept in step with the workspace; cargo-chef derives it.

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS chef
# librdkafka is compiled from source by rdkafka-sys (its mklove ./configure + make, linked statically),
# zstd and zlib by their -sys crates; TLS/SASL builds (FEATURES) link OpenSSL and Cyrus SASL.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        build-essential cmake perl python3 pkg-config libssl-dev libsasl2-dev \
    && rm -rf /var/lib/apt/lists/*
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
# Extra cargo features of the `pulse` package, space- or comma-separated (empty: the defaults).
ARG FEATURES=""
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked -p pulse ${FEATURES:+--features "$FEATURES"} --recipe-path recipe.json
COPY . .
RUN cargo build --release --locked -p pulse ${FEATURES:+--features "$FEATURES"} \
    && install -m 0755 target/release/pulse /usr/local/bin/pulse

FROM debian:${DEBIAN_RELEASE}-slim AS runtime
ARG FEATURES=""
# ca-certificates for HTTPS dataset downloads and Kafka TLS; OpenSSL and SASL runtime libraries only
# when the image is built with extra (TLS/SASL) features.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates \
        ${FEATURES:+libssl3 libsasl2-2} \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 pulse \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/pulse --no-create-home \
        --shell /usr/sbin/nologin pulse \
    && mkdir -p /var/lib/pulse /etc/pulse \
    && chown 10001:10001 /var/lib/pulse
COPY --from=builder /usr/local/bin/pulse /usr/local/bin/pulse
# Fails the build if the binary misses a shared library at run time.
RUN ["/usr/local/bin/pulse", "--version"]

# /var/lib/pulse: the data directory (search index, dead letters) and the dataset download cache.
# Mount a volume there to keep them; Kubernetes runs this image with a read-only root filesystem and
# volumes on /var/lib/pulse and /tmp (see helm/pulse).
ENV HOME=/var/lib/pulse \
    PULSE_CACHE_DIR=/var/lib/pulse/cache
WORKDIR /var/lib/pulse
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/pulse"]
# Without arguments: embedded mode on all interfaces (the default listen address is loopback only).
CMD ["serve", "--listen", "0.0.0.0:8080", "--state-dir", "/var/lib/pulse"]
