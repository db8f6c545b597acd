#!/usr/bin/env bash
# Prepares a fresh Debian machine for koko, as root: the packages koko and its tests use, pnpm, the
# workspace's dependencies, a running Docker engine and the local test image. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")
APT_PACKAGES=(iproute2 docker.io busybox-static iputils-ping util-linux procps curl tcpdump file sqlite3 g++ make python3 chromium)

log() { printf 'setup: %s\n' "$*"; }

if [[ $(id -u) -ne 0 ]]; then
  echo "setup: koko manages network namespaces and needs root; run: sudo $0" >&2
  exit 1
fi

missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  log "installing ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [[ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]]; then
  log "installing pnpm $PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION" >/dev/null
fi

log "installing workspace dependencies"
pnpm install --frozen-lockfile

if ! docker info >/dev/null 2>&1; then
  log "starting dockerd (log: /var/log/koko-dockerd.log)"
  nohup dockerd >/var/log/koko-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { echo "setup: dockerd did not start; see /var/log/koko-dockerd.log" >&2; exit 1; }
fi

./scripts/test-image.sh
log "ready: try pnpm -s koko --help"
