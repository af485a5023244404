#!/bin/sh
# npm run package: builds the release artifacts of credmon-sandbox for an existing HTCondor access point into
# ./release (or $1): credmon-sandbox_<version>_all.deb, credmon-sandbox-<version>.tar.gz and SHA256SUMS. Needs only
# Docker (the classic builder is enough: no buildx) and a debian:trixie base image; the version is package.json's.
# Environment: EXTRA_CA_CERTS (PEM text of a TLS-intercepting proxy's CA, for npm; default: the host's
# /usr/local/share/ca-certificates/*.crt), CREDMON_PACKAGE_IMAGE (the tag of the build image, default
# credmon-sandbox:package), SOURCE_DATE_EPOCH (default: the last commit's time, so a commit always gives the same bytes).
set -eu
cd "$(dirname "$0")/.."
out=${1:-release}
image=${CREDMON_PACKAGE_IMAGE:-credmon-sandbox:package}
say() { echo "package: $*" >&2; }
command -v docker >/dev/null 2>&1 || { say "ERROR: docker is not installed: the artifacts are built in a container"; exit 1; }
docker info >/dev/null 2>&1 || { say "ERROR: the Docker engine does not answer (docker info failed)"; exit 1; }
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || echo 0)
fi
if [ -z "${EXTRA_CA_CERTS+set}" ]; then
  EXTRA_CA_CERTS=$(find /usr/local/share/ca-certificates -name '*.crt' -type f 2>/dev/null | sort | xargs -r cat)
fi
export EXTRA_CA_CERTS SOURCE_DATE_EPOCH
say "building in Docker ($image, SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH)"
docker build -q -f packaging/Dockerfile --target artifacts --build-arg EXTRA_CA_CERTS \
  --build-arg SOURCE_DATE_EPOCH -t "$image" . >/dev/null
container=$(docker create "$image" /bin/true)
trap 'docker rm -f "$container" >/dev/null 2>&1 || true' EXIT
tmp=$(mktemp -d)
docker cp "$container:/out/." "$tmp/" >/dev/null
mkdir -p "$out"
for f in "$tmp"/*; do mv -f "$f" "$out/"; done
rm -rf "$tmp"
say "artifacts in $out/:"
(cd "$out" && cat SHA256SUMS)
