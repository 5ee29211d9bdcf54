# shellcheck shell=bash
# Out-of-tree kernel modules for the image's Pi kernel: ci/bench-peer's v4l2loopback and
# ci/build-vimc's vimc. Sourced, not run; needs board/versions.env and ci/lib-wifi.sh.

KERNEL_ABI=${KERNEL_RELEASE%-rpi}
# The Pi kernel's armel headers, and the kbuild host tools from the amd64 linux-kbuild
# package (the armel one's would not run here).
KMOD_HEADER_PACKAGES="linux-headers-$KERNEL_RELEASE:armel=$KERNEL_VERSION
    linux-headers-$KERNEL_ABI-common=$KERNEL_VERSION linux-kbuild-$KERNEL_ABI=$KERNEL_VERSION"

# kmod_headers BUILD: unpacks the headers into BUILD and prints the tree to build against.
# Debian's headers are laid out for /usr/src; unpacked elsewhere, the top Makefile's
# include is pointed at the unpacked common tree.
kmod_headers() {
    local build=$1 headers
    # shellcheck disable=SC2086 # a list of NAME=VERSION pins
    wifi_unpack_pins "$build" $KMOD_HEADER_PACKAGES
    headers=$build/usr/src/linux-headers-$KERNEL_RELEASE
    sed -i "s#^include /usr/src/#include $build/usr/src/#" "$headers/Makefile"
    echo "$headers"
}

# kmod_build HEADERS DIR NAME: builds the module in DIR, fails unless DIR/NAME.ko is built
# for the image's kernel.
kmod_build() {
    local headers=$1 dir=$2 ko=$2/$3.ko
    make -s -C "$headers" M="$dir" modules >&2
    if ! modinfo -F vermagic "$ko" | grep -q "^$KERNEL_RELEASE "; then
        echo "ci: $ko was not built for $KERNEL_RELEASE" >&2
        return 1
    fi
}
