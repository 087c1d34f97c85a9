# waitfor as an image: the static binary alone in an empty (scratch) image.
#
#   docker build -t waitfor .                      # builds from source (needs rust:alpine)
#   docker build -t waitfor --build-arg WAITFOR_BINARY=prebuilt -f Dockerfile DIR
#                                                  # wraps DIR/waitfor, a static binary
#                                                  # built here (scripts/build-static), and
#                                                  # DIR/dropin (a copy of dropin/); pulls nothing
#
# With BuildKit only the stage WAITFOR_BINARY names is built, so the prebuilt
# variant needs no image from any registry.

ARG WAITFOR_BINARY=source

FROM rust:1-alpine AS source
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY . .
# Named explicitly although it is Alpine's own target, so that the rustflags
# in .cargo/config.toml apply to the binary and not to proc-macro crates.
RUN cargo build --release --locked --target x86_64-unknown-linux-musl \
    && cp target/x86_64-unknown-linux-musl/release/waitfor /waitfor

FROM scratch AS prebuilt
COPY waitfor /waitfor

FROM ${WAITFOR_BINARY} AS binary

FROM scratch
COPY --from=binary /waitfor /waitfor
# The incumbents' names, as symbolic links to /waitfor (no extra size):
# /wait, /wait-for-it.sh, /usr/local/bin/{wait-for-it,wait-for,dockerize}.
COPY dropin/ /
# No shell, no libc, no CA files: names come from /etc/hosts and DNS as the
# container runtime sets them up, TLS roots are compiled in.
USER 65532:65532
ENTRYPOINT ["/waitfor"]
