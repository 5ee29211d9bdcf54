# shellcheck shell=bash
# Shared by ci/build-libcamera-guest (x86-64 guest) and ci/build-libcamera-arm (the Pi
# Zero): Debian trixie roots made by mmdebstrap, and cargo builds run inside them. Sourced,
# not run; needs REPO_ROOT and root (mmdebstrap, chroot and mounts).

LIBCAMERA_SUITE=${LIBCAMERA_SUITE:-trixie}
LIBCAMERA_MIRROR=http://deb.debian.org/debian
log() { echo "ci: $*" >&2; }

# A cache key from free text: letters, digits, dots and pluses only.
key() { echo "$*" | tr -c 'A-Za-z0-9.+\n' '_'; }

# make_root DIR VARIANT PACKAGES: one mmdebstrap run into DIR.tmp,
# renamed when complete, so an interrupted run is never mistaken for a finished root. Older
# roots of the same kind (DIR's name up to its last '-') go.
make_root() {
    local dir=$1 variant=$2 packages=$3
    if [ -d "$dir" ]; then
        return
    fi
    rm -rf "${dir%-*}"-* 2>/dev/null || true
    log "mmdebstrap $variant $LIBCAMERA_SUITE: $packages"
    mmdebstrap --quiet --variant="$variant" --include="$packages" \
        --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        "$LIBCAMERA_SUITE" "$dir.tmp" "$LIBCAMERA_MIRROR" >&2
    mv "$dir.tmp" "$dir"
}

# The one trixie amd64 root both builds run in: libcamera-dev for the x86-64 guest's
# zerocam; Debian's armel cross compilers for the Pi Zero's, whose armel libcamera is
# unpacked beside it (ci/build-libcamera-arm: libcamera-dev:armel cannot be installed next
# to libcamera-dev). libclang: bindgen in libcamera-sys; g++: its C++ shim; gcc: build
# scripts.
LIBCAMERA_BUILD_PACKAGES=gcc,g++,libcamera-dev,libclang-dev,pkg-config,gcc-arm-linux-gnueabi,g++-arm-linux-gnueabi

# libcamera_build_root: makes the root if needed (.cache/libcamera-build/root-KEY, keyed
# by the package list) and prints its path.
libcamera_build_root() {
    local root
    root=$REPO_ROOT/.cache/libcamera-build/root-$(key "$LIBCAMERA_BUILD_PACKAGES" | md5sum | cut -c1-12)
    mkdir -p "$(dirname "$root")"
    make_root "$root" apt "$LIBCAMERA_BUILD_PACKAGES"
    echo "$root"
}

# chroot_cargo ROOT TARGET_DIR [MOUNT:HOSTDIR...] -- [NAME=VALUE...] COMMAND: runs COMMAND
# (a shell command line, in /src) inside ROOT with this repository at /src, the host's
# rustup toolchain and cargo home at /opt, TARGET_DIR at /target and each extra HOSTDIR at
# /MOUNT. A private mount namespace: the bind mounts vanish with it, however the build
# ends. The registry is filled on the host first: the chroot builds offline, --locked.
chroot_cargo() {
    local root=$1 target=$2 mounts=() toolchain
    shift 2
    while [ "$1" != -- ]; do
        mounts+=("$1")
        shift
    done
    shift
    (cd "$REPO_ROOT" && cargo fetch --locked -q)
    toolchain=$(cd "$REPO_ROOT" && rustup show active-toolchain | cut -d' ' -f1)
    mkdir -p "$target"
    unshare --mount --propagation private bash -euo pipefail -s -- "$root" "$toolchain" \
        "src:$REPO_ROOT" "opt/rustup:${RUSTUP_HOME:-$HOME/.rustup}" "opt/cargo:${CARGO_HOME:-$HOME/.cargo}" \
        "target:$target" "${mounts[@]}" -- "$@" <<'BUILD' >&2
root=$1 toolchain=$2
shift 2
while [ "$1" != -- ]; do
    mkdir -p "$root/${1%%:*}"
    mount --bind "${1#*:}" "$root/${1%%:*}"
    shift
done
shift
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
command=${*: -1}
chroot "$root" env -i PATH=/opt/cargo/bin:/usr/bin:/bin HOME=/root \
    RUSTUP_HOME=/opt/rustup CARGO_HOME=/opt/cargo CARGO_TARGET_DIR=/target RUSTUP_TOOLCHAIN="$toolchain" \
    CARGO_TERM_COLOR=never "${@:1:$#-1}" sh -c "cd /src && $command"
BUILD
}
