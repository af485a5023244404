#!/bin/bash
# Builds the debian:<suite> base image locally with debootstrap, for machines that cannot pull from a registry
# (air-gapped hosts, CI without registry access). Needs root, debootstrap and a Debian mirror reachable over http.
#   docker/make-base-image.sh            # debian:trixie, unless it already exists
#   SUITE=trixie DEBIAN_MIRROR=http://deb.debian.org/debian docker/make-base-image.sh --force
set -euo pipefail
SUITE=${SUITE:-trixie}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
TAG=debian:$SUITE
if [ "${1:-}" != --force ] && docker image inspect "$TAG" >/dev/null 2>&1; then
  echo "make-base-image: $TAG already exists"; exit 0
fi
[ "$(id -u)" = 0 ] || { echo "make-base-image: run as root (debootstrap needs it)" >&2; exit 1; }
if ! command -v debootstrap >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
script=/usr/share/debootstrap/scripts/$SUITE
[ -e "$script" ] || script=/usr/share/debootstrap/scripts/sid
echo "make-base-image: debootstrap $SUITE from $MIRROR (a few minutes)"
debootstrap --variant=minbase "$SUITE" "$work/rootfs" "$MIRROR" "$script" >/dev/null
# The official image's sources: the suite, its updates and the security archive.
printf 'deb %s %s main\ndeb %s %s-updates main\ndeb %s %s-security main\n' \
  "$MIRROR" "$SUITE" "$MIRROR" "$SUITE" "${MIRROR%/debian}/debian-security" "$SUITE" > "$work/rootfs/etc/apt/sources.list"
rm -rf "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/var/lib/apt/lists/*
tar -C "$work/rootfs" -c . | docker import --change 'CMD ["bash"]' - "$TAG" >/dev/null
echo "make-base-image: $TAG ready"
