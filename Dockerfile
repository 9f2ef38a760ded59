# syntax=docker/dockerfile:1
# simplepipe: a static, rustls-only binary on scratch, with the CA bundle and
# a one-line /etc/passwd for the non-root user, and nothing else.
#
# BINARY_FROM picks where the binary and the CA bundle come from:
#   build     (default) the Rust build stage below, for `docker build .`;
#   prebuilt  the build context: the binary that stage's exact cargo command
#             made (target/x86_64-unknown-linux-gnu/release/simplepipe) and a
#             CA bundle at target/image/ca-certificates.crt. CI builds the
#             image this way, with no network (.ci/image-check).
# Both leave the same files at the same paths under /out, and the final stage
# is one and the same. Stages the choice does not reach are never built.
ARG BINARY_FROM=build

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY schemas ./schemas
COPY benches ./benches
# Statically linked glibc: the final image has no libc. getrandom 0.3 (ahash's
# seed, under jsonschema) finds getrandom(2) with dlsym, which a static binary
# cannot do, and then needs /dev/urandom; linux_getrandom makes it call the
# statically linked getrandom(2) instead. CI runs this exact command
# (.ci/run, "Dockerfile build command") so it cannot rot.
RUN RUSTFLAGS='-C target-feature=+crt-static --cfg getrandom_backend="linux_getrandom"' cargo build --release --locked --target x86_64-unknown-linux-gnu
RUN install -D target/x86_64-unknown-linux-gnu/release/simplepipe /out/usr/local/bin/simplepipe \
 && install -D -m 0644 /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ca-certificates.crt

FROM scratch AS prebuilt
COPY target/x86_64-unknown-linux-gnu/release/simplepipe /out/usr/local/bin/simplepipe
COPY target/image/ca-certificates.crt /out/etc/ssl/certs/ca-certificates.crt

FROM ${BINARY_FROM} AS binary

FROM scratch
LABEL org.opencontainers.image.title="simplepipe" \
      org.opencontainers.image.description="Validate metric JSON artifacts and push them to a Prometheus Pushgateway" \
      org.opencontainers.image.source="https://github.com/simplepipe/simplepipe" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="0.1.0"
COPY image/passwd /etc/passwd
COPY --from=binary /out/ /
# No shell and no /bin: PATH only lets `command: [simplepipe]` resolve.
ENV PATH=/usr/local/bin
# The non-root user, numerically, so Kubernetes' runAsNonRoot can verify it.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/simplepipe"]
