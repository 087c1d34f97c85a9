# waitfor as an image: the static binary alone in an empty (scratch) image.
#
#   docker build -t waitfor .                      # builds from source (needs rust:alpine)
#   DOCKER_BUILDKIT=1 docker build -t waitfor --build-arg WAITFOR_BINARY=prebuilt DIR
#                                                  # wraps DIR/PLATFORM/waitfor, a static
#                                                  # binary built here (scripts/build-static),
#                                                  # PLATFORM linux/amd64, linux/arm64 or
#                                                  # linux/arm/v7 as --platform says, and
#                                                  # DIR/dropin (a copy of dropin/); pulls
#                                                  # nothing. scripts/image does it for all
#                                                  # three and pushes one multi-arch image.
#
# BuildKit builds only the stage WAITFOR_BINARY names, so the prebuilt variant
# needs no image from any registry (the classic builder would pull rust:alpine).

ARG WAITFOR_BINARY=source

FROM rust:1-alpine AS source
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY . .
# The target named explicitly although it is Alpine's own, so that the
# rustflags in .cargo/config.toml apply to the binary and not to proc-macros.
RUN target=$(rustc -vV | sed -n 's/^host: //p') \
    && cargo build --release --locked --target "$target" \
    && cp "target/$target/release/waitfor" /waitfor

FROM scratch AS prebuilt
# Set by BuildKit for the platform being built; a default here would override it.
ARG TARGETPLATFORM
COPY ${TARGETPLATFORM}/waitfor /waitfor

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
