#!/bin/sh
# Builds the app-server stand-in's image from its binary, without a registry or a base image:
# the binary, the shared libraries ldd names (with their loader) and a few /etc files in a root
# filesystem, imported with `podman import` under a stable local name. The image carries the
# binary's SHA-256 as a label, so a test can tell whether the image holds the binary it was
# built with. Exit 77 (ctest's skip code here) when podman is missing or we are not root.
#
#   build_standin_image.sh BINARY IMAGE     e.g. localhost/oh-appserver-standin:1.7.0
set -eu
binary=$1
image=$2
if ! command -v podman >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
  echo "skipped: podman missing or not root"
  exit 77
fi
[ -x "$binary" ] || { echo "no binary at $binary" >&2; exit 1; }
root=$(mktemp -d "${TMPDIR:-/tmp}/oh-appserver-image-XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/local/bin" "$root/etc" "$root/tmp" "$root/.openhands" "$root/app"
chmod 1777 "$root/tmp"
cp "$binary" "$root/usr/local/bin/openhands-app-server"
# Every library the dynamic linker resolves, and the loader itself, at the same paths.
ldd "$binary" | awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }' | sort -u | while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
# glibc 2.36 has files and dns built in; name the order so /etc/hosts comes first.
echo 'hosts: files dns' > "$root/etc/nsswitch.conf"
echo 'root:x:0:0:root:/root:/sbin/nologin' > "$root/etc/passwd"
echo 'root:x:0:' > "$root/etc/group"
sha=$(sha256sum "$binary" | cut -d' ' -f1)
tar -C "$root" -cf "$root.tar" .
trap 'rm -rf "$root" "$root.tar"' EXIT
# ENTRYPOINT/CMD: the stock image runs `uvicorn openhands.server.listen:app --host 0.0.0.0 --port
# 3000` (containers/app/Dockerfile:104-105); the stand-in accepts the same arguments. ENV as the
# stock image sets the two variables its file store reads (Dockerfile:48-49).
podman import \
  --change 'ENTRYPOINT ["/usr/local/bin/openhands-app-server"]' \
  --change 'CMD ["uvicorn", "openhands.server.listen:app", "--host", "0.0.0.0", "--port", "3000"]' \
  --change 'ENV FILE_STORE=local' \
  --change 'ENV FILE_STORE_PATH=/.openhands' \
  --change 'WORKDIR /app' \
  --change 'EXPOSE 3000' \
  --change "LABEL org.openhands.standin=app-server" \
  --change "LABEL org.openhands.standin.binary-sha256=$sha" \
  --change "LABEL org.opencontainers.image.version=1.7.0" \
  "$root.tar" "$image" >/dev/null
echo "built $image (binary sha256 $sha)"
