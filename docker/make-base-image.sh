#!/bin/bash
# Builds the debian:<suite> base image locally with debootstrap, for machines that cannot pull from a registry
# (air-gapped hosts, CI without registry access). Needs root, debootstrap and a Debian mirror reachable over http.
# The image needs debian:trixie (HTCONDOR_SERIES=23, the default) and, for HTCONDOR_SERIES=25, debian:forky.
#   docker/make-base-image.sh            # debian:trixie, unless it already exists
#   SUITE=forky docker/make-base-image.sh                   # debian:forky (Debian testing), for HTCondor 25
#   SUITE=trixie DEBIAN_MIRROR=http://deb.debian.org/debian docker/make-base-image.sh --force
set -euo pipefail
SUITE=${SUITE:-trixie}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-${MIRROR%/debian}/debian-security}
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
# A debootstrap older than the suite has no script for it (bookworm's knows no forky): testing uses sid's script.
script=/usr/share/debootstrap/scripts/$SUITE
[ -e "$script" ] || script=/usr/share/debootstrap/scripts/sid
echo "make-base-image: debootstrap $SUITE from $MIRROR (about a minute)"
debootstrap --variant=minbase "$SUITE" "$work/rootfs" "$MIRROR" "$script" >/dev/null
# The official image's sources: the suite, its updates and the security archive, each only where the mirror has it
# (sid has neither; testing has both). debootstrap does not check Valid-Until, apt does: a testing snapshot whose
# Release file has expired needs `-o Acquire::Check-Valid-Until=false` (docker/Dockerfile sets it for forky).
has_suite() { ! command -v curl >/dev/null || curl -fsSI --max-time 20 "$1/dists/$2/Release" >/dev/null 2>&1; }
{
  echo "deb $MIRROR $SUITE main"
  if has_suite "$MIRROR" "$SUITE-updates"; then echo "deb $MIRROR $SUITE-updates main"; fi
  if has_suite "$SECURITY_MIRROR" "$SUITE-security"; then echo "deb $SECURITY_MIRROR $SUITE-security main"; fi
} > "$work/rootfs/etc/apt/sources.list"
echo "make-base-image: sources: $(awk '{print $3}' "$work/rootfs/etc/apt/sources.list" | paste -sd ' ')"
rm -rf "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/var/lib/apt/lists/*
tar -C "$work/rootfs" -c . | docker import --change 'CMD ["bash"]' - "$TAG" >/dev/null
echo "make-base-image: $TAG ready"
