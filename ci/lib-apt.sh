# Shared by the ci/ scripts: makes the Debian bookworm host able to build and emulate the
# Pi Zero image. Sourced, not run. Installs only what is missing, so a second run costs
# one dpkg query and no network.

# Runs a command as root (CI runners and containers are often root already; sudo otherwise).
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# armel (ARMv5TE/ARMv6-safe) is the only ARM architecture the Zero can run; armhf is ARMv7.
# bookworm-backports carries the 6.12 Pi kernel and QEMU 10; non-free-firmware carries the
# GPU boot files. The sources file is ours alone, so writing it again is harmless.
ZEROCAM_APT_SOURCES=/etc/apt/sources.list.d/zerocam-pizero.sources

ensure_apt_sources() {
    local changed=0
    if ! dpkg --print-foreign-architectures | grep -qx armel; then
        as_root dpkg --add-architecture armel
        changed=1
    fi
    if [ ! -f "$ZEROCAM_APT_SOURCES" ]; then
        as_root tee "$ZEROCAM_APT_SOURCES" >/dev/null <<'SOURCES'
# Added by zerocam ci/lib-apt.sh: Pi Zero kernel, GPU firmware, QEMU 10.
# (bookworm main is assumed present already, as on every Debian install.)
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: non-free-firmware
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main non-free-firmware
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
        changed=1
    fi
    if [ "$changed" -eq 1 ] || [ ! -f /var/lib/apt/periodic/zerocam-updated ]; then
        as_root apt-get update -qq
        as_root mkdir -p /var/lib/apt/periodic
        as_root touch /var/lib/apt/periodic/zerocam-updated
    fi
}

# ensure_packages PKG...: installs the host (amd64) packages that are not installed yet.
ensure_packages() {
    install_missing "" "$@"
}

# ensure_backports_packages PKG...: the same from bookworm-backports (dependencies too: QEMU
# 10 needs its matching qemu-system-data etc.).
ensure_backports_packages() {
    install_missing bookworm-backports "$@"
}

install_missing() {
    local suite=$1 missing=() name
    shift
    for name in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$name")
        fi
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        ensure_apt_sources
        echo "ci: installing ${missing[*]}${suite:+ from $suite}" >&2
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            ${suite:+-t "$suite"} "${missing[@]}" >/dev/null
    fi
}

# fetch_deb NAME[:ARCH] VERSION: downloads one pinned Debian package into the cache
# (out/cache/debs) unless it is there already, and prints the .deb's path.
fetch_deb() {
    local name=$1 version=$2 cache=${DEB_CACHE:-$REPO_ROOT/out/cache/debs} file
    mkdir -p "$cache"
    file=$(find "$cache" -maxdepth 1 -name "${name%%:*}_${version//:/%3a}_*.deb" -print -quit)
    if [ -z "$file" ]; then
        (cd "$cache" && apt-get download -q "$name=$version" >&2)
        file=$(find "$cache" -maxdepth 1 -name "${name%%:*}_${version//:/%3a}_*.deb" -print -quit)
    fi
    [ -n "$file" ] || { echo "ci: cannot download $name=$version" >&2; return 1; }
    echo "$file"
}

# fetch_pool_deb POOL_PATH: a .deb by its path in the Debian mirror's pool (cached, like
# fetch_deb), for packages pinned by file (board/versions.env LIBCAMERA_ARM_DEBS).
fetch_pool_deb() {
    local path=$1 cache=${DEB_CACHE:-$REPO_ROOT/out/cache/debs} file
    file=$cache/$(basename "$path")
    mkdir -p "$cache"
    if [ ! -s "$file" ]; then
        curl -fsS --retry 3 -o "$file.part" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}/${path//+/%2b}" \
            || { echo "ci: cannot download $path" >&2; rm -f "$file.part"; return 1; }
        mv "$file.part" "$file"
    fi
    echo "$file"
}

# Rust: nightly is not required; stable builds std from rust-src with RUSTC_BOOTSTRAP=1.
ensure_rust_src() {
    if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
        rustup component add rust-src
    fi
}
