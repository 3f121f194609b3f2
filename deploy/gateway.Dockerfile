# syntax=docker/dockerfile:1
# oh-gateway as a container image: linux/arm64 for the CDK Docker image asset of the Compute stack
# (the CLI runs `docker build --platform linux/arm64`), or the builder's own architecture when no
# --platform is given (deploy/local, the tests). Build context: the project root, narrowed by
# .dockerignore to the files listed in src/infra/assembly/docker_asset.cpp, which hashes the same
# files to name the image.
#
# No step runs a program of the target's architecture, so no emulator is needed and an x86
# machine builds the arm64 image as fast as its own (docs/infra.md, "The gateway image"):
# - the build stage runs on the build machine's platform (BUILDPLATFORM) and, when the target
#   differs, cross-compiles with Debian's multiarch cross toolchain against the target's
#   libraries installed as :<arch> packages (deploy/gateway-image.sh);
# - the runtime stage only copies files onto a slim Debian 12 of the target's architecture: the
#   binary and the shared libraries it loads beyond libc (found from its ELF dependencies, so the
#   list cannot drift from the build), with their packages' dpkg records and copyright files.
#
# BuildKit (docker build, buildx, the CDK CLI) sets TARGETARCH from --platform and BUILDPLATFORM
# to the machine's own. Podman sets TARGETARCH but (4.3) not BUILDPLATFORM: pass
# --build-arg BUILDPLATFORM=linux/amd64 (or arm64), else the build stage runs on the target's
# platform, under emulation. BASE_IMAGE and RUNTIME_BASE_IMAGE default to the registry's
# Debian 12 images; builds without a registry pass local ones (scripts/debian-base-image.sh).
ARG BASE_IMAGE=debian:12
ARG RUNTIME_BASE_IMAGE=debian:12-slim

FROM --platform=$BUILDPLATFORM ${BASE_IMAGE} AS build
ARG TARGETARCH
COPY deploy/gateway-image.sh /usr/local/libexec/gateway-image.sh
RUN ["bash", "/usr/local/libexec/gateway-image.sh", "toolchain"]
WORKDIR /src
COPY CMakeLists.txt CMakePresets.json ./
# The pinned OpenHands release (src/common/CMakeLists.txt generates a header from it).
COPY deploy/openhands-release.env deploy/
COPY cmake/ cmake/
COPY src/ src/
RUN ["bash", "/usr/local/libexec/gateway-image.sh", "compile"]
RUN ["bash", "/usr/local/libexec/gateway-image.sh", "runtime"]

FROM ${RUNTIME_BASE_IMAGE} AS runtime
COPY --from=build /out/rootfs/ /
# Not run in this image: the instance's host files that belong to this gateway. oh-prepare.service
# copies /opt/openhands/ out to the same path on the host before anything else runs
# (docs/instance.md, "What the user data carries and what the gateway image carries"): the boot
# services that write this gateway's configuration and secrets, the database bootstrap, the
# configuration template, and the host firewall the gateway's sandboxes rely on. They change with
# a deployment, as the gateway does, and stay out of the user data (EC2's 16 KB limit). Owned by
# root (the gateway's user cannot change them); modes set here, whatever the checkout's are.
COPY --chmod=0755 deploy/instance/boot-services.sh deploy/instance/db-bootstrap.sh deploy/instance/oh-firewall.sh /opt/openhands/bin/
COPY --chmod=0644 deploy/instance/gateway.toml.in /opt/openhands/
# An unprivileged user by number: no passwd entry is needed (the instance runs it as 10001 with
# the Docker socket's group, deploy/instance/boot-services.sh).
USER 10001:10001
EXPOSE 8080
# The instance mounts its configuration (rendered by the user data) read-only at this path.
ENTRYPOINT ["/usr/local/bin/oh-gateway"]
CMD ["--config", "/etc/oh-gateway/gateway.toml"]
