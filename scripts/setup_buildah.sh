#!/usr/bin/env bash
# setup_buildah.sh - prepare a Debian/Ubuntu CI host for dockerdiet's measured mode and
# its buildah-backed tests (tests/measure, pytest -m buildah). Idempotent: a second run
# installs nothing and reuses the base images.
#
#   1. apt-get install buildah podman skopeo debootstrap debuerreotype (only if missing)
#   2. create the local base images debian:bookworm and debian:bookworm-slim (built with
#      debootstrap + debuerreotype like the official images, ~75 s the first time) in the
#      private store $DOCKERDIET_MEASURE_ROOT (default /var/tmp/measure-image), so builds
#      need no container registry (--pull=never).
#
# Must run as root. The base recipe lives in tools/measure_image.sh (MEASURE_TOOL to
# override its path); without it, this script stops after installing the packages.
set -Eeuo pipefail

ROOT="${DOCKERDIET_MEASURE_ROOT:-/var/tmp/measure-image}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOOL="${MEASURE_TOOL:-}"
if [ -z "$TOOL" ]; then
	for t in "$HERE/../tools/measure_image.sh" "$HERE/measure_image.sh"; do
		[ -x "$t" ] && { TOOL="$t"; break; }
	done
fi

log() { printf '[setup_buildah] %s\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || { log "must run as root"; exit 2; }

missing=()
for pair in buildah:buildah podman:podman skopeo:skopeo debootstrap:debootstrap debuerreotype-init:debuerreotype; do
	command -v "${pair%%:*}" >/dev/null || missing+=("${pair##*:}")
done
if [ "${#missing[@]}" -gt 0 ]; then
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# apt may be busy (another job on the host): wait for its lock rather than fail.
	for attempt in 1 2 3 4 5 6; do
		if apt-get -o DPkg::Lock::Timeout=120 update -qq \
			&& apt-get -o DPkg::Lock::Timeout=120 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
			break
		fi
		[ "$attempt" = 6 ] && { log "apt-get failed"; exit 1; }
		log "apt-get failed (attempt $attempt), retrying in 10 s"; sleep 10
	done
else
	log "packages already installed"
fi

if [ -z "$TOOL" ]; then
	log "measure_image.sh not found (set MEASURE_TOOL): base images not created"
	exit 1
fi
log "ensuring base images in $ROOT"
MEASURE_ROOT="$ROOT" "$TOOL" --ensure-base
log "ready: DOCKERDIET_MEASURE_ROOT=$ROOT"
