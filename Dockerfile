# syntax=docker/dockerfile:1
# simplepipe: a static, rustls-only binary on distroless/static (CA
# certificates and a nonroot user, nothing else). Final image ~12 MB.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY schemas ./schemas
COPY benches ./benches
# Statically linked glibc: the final image has no libc. CI runs this exact
# command (.ci/run, "Dockerfile build command") so it cannot rot.
RUN RUSTFLAGS="-C target-feature=+crt-static" cargo build --release --locked --target x86_64-unknown-linux-gnu

FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.title="simplepipe" \
      org.opencontainers.image.description="Validate metric JSON artifacts and push them to a Prometheus Pushgateway" \
      org.opencontainers.image.source="https://github.com/simplepipe/simplepipe" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="0.1.0"
COPY --from=build /src/target/x86_64-unknown-linux-gnu/release/simplepipe /usr/local/bin/simplepipe
# distroless's nonroot user, numerically, so Kubernetes' runAsNonRoot can verify it.
USER 65532:65532
ENTRYPOINT ["simplepipe"]
