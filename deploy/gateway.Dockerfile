# syntax=docker/dockerfile:1
# oh-gateway as a linux/arm64 container image (the CDK Docker image asset of the Compute stack;
# build context: the project root, narrowed by .dockerignore to the files listed in
# src/infra/assembly/docker_asset.cpp, which hashes the same files to name the image).
#
# Stage 1 builds with the project's CMake release preset on Debian 12; stage 2 is a slim
# Debian 12 with only the shared libraries oh-gateway links (found with ldd, so the list cannot
# drift from the build), running as an unprivileged user.

FROM debian:12 AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      g++ cmake ninja-build pkg-config ca-certificates \
      libboost1.81-all-dev libboost-json1.81-dev libboost-url1.81-dev libssl-dev \
      libtomlplusplus-dev libspdlog-dev libfmt-dev libcli11-dev libsodium-dev libsqlite3-dev libpq-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt CMakePresets.json ./
COPY cmake/ cmake/
COPY src/ src/
# Tests are off in the release preset; benchmarks are not needed in the image.
RUN cmake --preset release -DOH_BUILD_BENCH=OFF \
 && cmake --build build/release --target oh-gateway \
 && install -D -m 0755 build/release/src/gateway/oh-gateway /out/oh-gateway \
 && strip /out/oh-gateway
# The Debian packages that own the libraries the binary loads (dpkg knows some files by their
# /lib path and others by /usr/lib after the usr merge: ask with both).
RUN for lib in $(ldd /out/oh-gateway | awk '/=> \// {print $3}'); do \
      dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null \
        || { echo "no package owns $lib" >&2; exit 1; }; \
    done | cut -d: -f1 | sort -u | grep -vx 'libc6' >/out/runtime-packages.txt \
 && cat /out/runtime-packages.txt

FROM debian:12-slim AS runtime
ARG DEBIAN_FRONTEND=noninteractive
COPY --from=build /out/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
 && xargs -a /tmp/runtime-packages.txt apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
 && groupadd --system --gid 10001 oh \
 && useradd --system --uid 10001 --gid oh --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin oh
COPY --from=build /out/oh-gateway /usr/local/bin/oh-gateway
USER 10001:10001
EXPOSE 8080
# The instance mounts its configuration (rendered by the user data) read-only at this path.
ENTRYPOINT ["/usr/local/bin/oh-gateway"]
CMD ["--config", "/etc/oh-gateway/gateway.toml"]
