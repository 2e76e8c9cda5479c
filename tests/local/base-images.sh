#!/usr/bin/env bash
# Build the systemd base images the molecule scenarios boot, when they are absent.
# No registry is reachable from the test machines, so images come from debootstrap
# + docker import. Users with a registry can point the scenarios at their own images
# instead by exporting the same variables (MOLECULE_IMAGE_DEBIAN12 / _DEBIAN13).
#   base-images.sh [build]      build the missing ones
#   base-images.sh rebuild      rebuild both
#   base-images.sh remove
set -euo pipefail
# shellcheck source=tests/local/lib.sh
source "$(dirname "$0")/lib.sh"

DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
declare -A IMAGES=(
    [bookworm]="${MOLECULE_IMAGE_DEBIAN12:-mlops-mlflow-aws/debian-systemd:12}"
    [trixie]="${MOLECULE_IMAGE_DEBIAN13:-mlops-mlflow-aws/debian-systemd:13}"
)
# systemd as PID 1, python3 for Ansible (+ apt bindings), sudo for become, CA bundle for TLS.
PACKAGES="systemd,systemd-sysv,dbus,python3,python3-apt,sudo,ca-certificates,iproute2,procps"

build() {
    local suite="$1" image="$2" root
    root="$(mktemp -d "${TMPDIR:-/tmp}/mlops-rootfs-${suite}.XXXXXX")"
    # shellcheck disable=SC2064
    trap "rm -rf '$root'" RETURN
    log "base image $image: debootstrap $suite from $DEBIAN_MIRROR"
    debootstrap --variant=minbase --include="$PACKAGES" "$suite" "$root" "$DEBIAN_MIRROR" \
        >"$LOCAL_STATE_DIR/debootstrap-$suite.log" 2>&1 \
        || die "debootstrap $suite failed; see $LOCAL_STATE_DIR/debootstrap-$suite.log"
    # A container has no consoles, udev or kernel modules to manage: mask the units that
    # would fail or wait for them, so `systemctl is-system-running` can reach "running".
    for unit in getty.target console-getty.service systemd-udevd.service systemd-udev-trigger.service \
        systemd-modules-load.service systemd-remount-fs.service sys-kernel-debug.mount \
        sys-kernel-tracing.mount systemd-firstboot.service; do
        ln -sf /dev/null "$root/etc/systemd/system/$unit"
    done
    # No package lists in the image, and a list directory dated like an old image's, so
    # roles refresh the apt cache as they must on a real host.
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    touch -d '2000-01-01' "$root/var/lib/apt/lists"
    : >"$root/etc/machine-id"
    tar -C "$root" -c . | docker import \
        --change 'CMD ["/lib/systemd/systemd"]' \
        --change 'ENV container=docker' \
        - "$image" >/dev/null
    log "base image $image: built ($(docker image inspect -f '{{.Size}}' "$image" | numfmt --to=iec))"
}

ensure_tools() {
    command -v debootstrap >/dev/null 2>&1 || "$(dirname "$0")/system-packages.sh" debootstrap
    docker info >/dev/null 2>&1 || die "no docker engine; run tests/local/docker-engine.sh start"
}

case "${1:-build}" in
    build | rebuild)
        ensure_tools
        for suite in bookworm trixie; do
            image="${IMAGES[$suite]}"
            if [[ "${1:-build}" == build ]] && docker image inspect "$image" >/dev/null 2>&1; then
                log "base image $image: present, reusing"
            else
                build "$suite" "$image"
            fi
        done
        ;;
    remove)
        for image in "${IMAGES[@]}"; do
            if docker image rm "$image" >/dev/null 2>&1; then log "removed $image"; fi
        done
        ;;
    *) die "usage: $0 build|rebuild|remove" ;;
esac
