#!/usr/bin/env bash
# Pins the Dockerfile's base images (ARG BUILD_IMAGE, ARG RUNTIME_IMAGE) to the digest each tag
# points at now: the multi-platform index digest, so both linux/amd64 and linux/arm64 builds use
# it. Needs registry access and `docker buildx` (or `crane`). Review the diff before committing.
#
#   deploy/docker/refresh-base-digests.sh            # keep the tags, refresh the digests
#   BUILD_TAG=maven:3.9.17-eclipse-temurin-17 deploy/docker/refresh-base-digests.sh   # move a tag too
set -euo pipefail
cd "$(dirname "$0")/../.."

digest_of() {
  if command -v crane >/dev/null 2>&1; then
    crane digest "$1"
  else
    docker buildx imagetools inspect "$1" --format '{{json .Manifest}}' \
      | sed -n 's/.*"digest":"\(sha256:[0-9a-f]\{64\}\)".*/\1/p' | head -n 1
  fi
}

for arg in BUILD_IMAGE RUNTIME_IMAGE; do
  current=$(sed -n "s/^ARG ${arg}=//p" Dockerfile)
  if [ -z "$current" ]; then
    echo "no 'ARG ${arg}=' line in Dockerfile" >&2
    exit 1
  fi
  override_var="${arg%_IMAGE}_TAG"
  tag="${!override_var:-${current%@sha256:*}}"
  digest=$(digest_of "$tag")
  if ! [[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]]; then
    echo "could not resolve a digest for $tag (got '$digest')" >&2
    exit 1
  fi
  sed -i "s|^ARG ${arg}=.*|ARG ${arg}=${tag}@${digest}|" Dockerfile
  echo "${arg}=${tag}@${digest}"
done
