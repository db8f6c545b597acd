#!/usr/bin/env bash
# Builds the Docker image the tests run containers from: a root file system holding only Debian's
# static busybox, imported with `docker import`, since no image registry is reachable.
set -euo pipefail

image=${KOKO_TEST_IMAGE:-koko-test-busybox:latest}
busybox=$(command -v busybox || true)
if [[ -z "$busybox" ]] || ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
  busybox=/bin/busybox
fi
if [[ ! -x "$busybox" ]]; then
  echo "test-image: busybox not found; install it with: apt-get install busybox-static" >&2
  exit 1
fi

if docker image inspect "$image" >/dev/null 2>&1 && [[ "${1:-}" != "--rebuild" ]]; then
  echo "test-image: $image exists (pass --rebuild to build it again)"
  exit 0
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/tmp" "$root/proc" "$root/sys" "$root/dev" "$root/etc"
cp "$busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [[ "$applet" == busybox ]] || ln -sf busybox "$root/bin/$applet"
done
echo 'root:x:0:0:root:/:/bin/sh' > "$root/etc/passwd"

tar -C "$root" -c . | docker import --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin' - "$image" >/dev/null
echo "test-image: built $image"
