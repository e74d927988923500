#!/usr/bin/env bash
# Builds stevedore-test/busybox:latest without any registry: a rootfs made of
# Debian's static busybox, imported with `docker import`.
#
#   bash test/images/build-test-image.sh [--force]
#
# Idempotent: skips when the image exists with the current IMAGE_VERSION label
# (bump it whenever the rootfs below changes, so old images get rebuilt).
set -euo pipefail

IMAGE="${STEVEDORE_TEST_IMAGE:-stevedore-test/busybox:latest}"
IMAGE_VERSION=1
APPLETS=(sh httpd sleep wget nc echo cat ls env kill true false test mkdir printf date seq head)
FORCE=0

for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "build-test-image: unknown argument $arg" >&2; exit 2 ;;
  esac
done

log() { echo "build-test-image: $*" >&2; }

if ! docker info >/dev/null 2>&1; then
  log "docker is not reachable (run scripts/ensure-env.sh first)"
  exit 1
fi

if [[ $FORCE -eq 0 ]]; then
  have="$(docker image inspect --format '{{ index .Config.Labels "stevedore.test-image.version" }}' "$IMAGE" 2>/dev/null || true)"
  if [[ "$have" == "$IMAGE_VERSION" ]]; then
    log "$IMAGE is up to date (version $IMAGE_VERSION); --force rebuilds it"
    exit 0
  fi
fi

# Only a static busybox runs in an empty rootfs; Debian's plain `busybox`
# package is dynamically linked and would fail with "no such file".
is_static() { [[ -x "$1" ]] && ! ldd "$1" >/dev/null 2>&1; }

BUSYBOX=/bin/busybox
if ! is_static "$BUSYBOX"; then
  if [[ $EUID -ne 0 ]] || ! command -v apt-get >/dev/null; then
    log "need a static $BUSYBOX: install Debian's busybox-static package"
    exit 1
  fi
  log "installing busybox-static"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q busybox-static >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q busybox-static >/dev/null; }
  is_static "$BUSYBOX" || { log "$BUSYBOX is still not a static binary"; exit 1; }
fi

ROOTFS="$(mktemp -d)"
trap 'rm -rf "$ROOTFS"' EXIT
mkdir -p "$ROOTFS"/{bin,www,tmp,etc,proc,sys,dev}
chmod 1777 "$ROOTFS/tmp"
cp "$BUSYBOX" "$ROOTFS/bin/busybox"
for applet in "${APPLETS[@]}"; do
  ln -s busybox "$ROOTFS/bin/$applet"
done
echo "stevedore ok" > "$ROOTFS/www/index.html"
# Some applets look users up; without these files `id`/`whoami`-style calls fail.
printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$ROOTFS/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$ROOTFS/etc/group"

log "importing $IMAGE"
tar --numeric-owner --owner=0 --group=0 -C "$ROOTFS" -cf - . | docker import \
  --change 'ENV PATH=/bin' \
  --change 'CMD ["sh"]' \
  --change "LABEL stevedore.test-image.version=$IMAGE_VERSION" \
  --message "stevedore test image (busybox-static)" \
  - "$IMAGE" >/dev/null

# A smoke test, so a broken image fails here and not in the middle of a test.
out="$(docker run --rm --network none "$IMAGE" cat /www/index.html)"
if [[ "$out" != "stevedore ok" ]]; then
  log "smoke test failed: got '$out'"
  exit 1
fi
log "built $IMAGE"
