# shellcheck shell=bash
# Wi-Fi for the Zero W in the image (ci/build-image) and the test-only access point for the
# emulated board (ci/qemu-checks-wifi.sh). Sourced, not run; needs lib-apt.sh (fetch_deb)
# and board/versions.env (the pinned packages).
#
# Everything comes from pinned Debian packages, unpacked with dpkg -x (nothing is installed
# for armel on the host, nothing fetched is committed):
#   - the radio's firmware, CLM blob and NVRAM (firmware-brcm80211, non-free-firmware);
#   - the regulatory database cfg80211 reads for `[wifi] country` (wireless-regdb);
#   - wpa_supplicant (armel) and exactly the shared libraries and loader it needs: the
#     closure of its ELF NEEDED entries, walked with readelf (ldd cannot run a foreign
#     binary), then checked by running it under qemu-arm -cpu arm1176.

# The unpacked-package folder for a list of NAME=VERSION pins; prints nothing.
# wifi_unpack_pins DIR PIN...
wifi_unpack_pins() {
    local dir=$1 pin
    shift
    mkdir -p "$dir"
    for pin in "$@"; do
        dpkg -x "$(fetch_deb "${pin%%=*}" "${pin#*=}")" "$dir"
    done
}

# The file in an unpacked armel tree that provides shared library NAME (Debian bookworm
# keeps some in /lib, some in /usr/lib). wifi_find_library SYSROOT NAME
wifi_find_library() {
    local sysroot=$1 name=$2 dir
    for dir in lib/arm-linux-gnueabi usr/lib/arm-linux-gnueabi lib usr/lib; do
        if [ -e "$sysroot/$dir/$name" ]; then
            echo "$sysroot/$dir/$name"
            return 0
        fi
    done
    return 1
}

# Copies an armel program and the closure of its NEEDED libraries into ROOT: the program at
# DEST, the libraries in LIBDIR (default lib/arm-linux-gnueabi, where Debian's loader looks),
# the loader at the path the program asks for. SOURCE is a path in SYSROOT, or an absolute
# path of a program built here against it. Refuses anything that is not ARMv5TE/ARMv6 code.
# wifi_install_program SYSROOT ROOT SOURCE DEST [LIBDIR]
wifi_install_program() {
    local sysroot=$1 root=$2 source=$3 dest=$4 libdir=${5:-lib/arm-linux-gnueabi} interp
    [ "${source#/}" != "$source" ] || source=$sysroot/$source
    install -D -m 0755 "$source" "$root/$dest"
    interp=$(readelf -l "$source" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
    [ -n "$interp" ] || { echo "ci: $source has no program interpreter" >&2; return 1; }
    wifi_install_libraries "$sysroot" "$root" "$libdir" "$source" "$(basename "$interp")"
    # A relative link, so that qemu-arm -L ROOT (wifi_run_in_root) resolves it inside ROOT.
    if [ "$interp" != "/$libdir/$(basename "$interp")" ]; then
        mkdir -p "$root$(dirname "$interp")"
        ln -sfn "$(realpath -m --relative-to="$(dirname "$interp")" "/$libdir/$(basename "$interp")")" "$root$interp"
    fi
}

# Installs into ROOT/LIBDIR the closure of the NEEDED libraries of FILE (a program or a
# plugin it loads, already in place) and of the further NAMEs, each found in SYSROOT; skips
# what is there already. wifi_install_libraries SYSROOT ROOT LIBDIR FILE [NAME...]
wifi_install_libraries() {
    local sysroot=$1 root=$2 libdir=$3 origin=$4 file lib queue=() seen=" "
    shift 4
    mapfile -t queue < <(wifi_needed "$origin")
    queue+=("$@")
    while [ "${#queue[@]}" -gt 0 ]; do
        lib=${queue[0]}
        queue=("${queue[@]:1}")
        case $seen in *" $lib "*) continue ;; esac
        seen+="$lib "
        [ -e "$root/$libdir/$lib" ] && continue
        file=$(wifi_find_library "$sysroot" "$lib") \
            || { echo "ci: $(basename "$origin") needs $lib: add the armel package that has it to board/versions.env" >&2; return 1; }
        wifi_check_arm "$file" || return 1
        # Dereferenced: the initramfs gets the file under the name the loader asks for.
        install -D -m 0755 "$(readlink -f "$file")" "$root/$libdir/$lib"
        mapfile -t -O "${#queue[@]}" queue < <(wifi_needed "$file")
    done
}

wifi_needed() {
    readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
}

# Debian armel is ARMv5TE with Thumb-1: safe on the ARM1176. armhf (ARMv7) would SIGILL.
# One exception is allowed: a library whose ARMv7 code sits behind IFUNC resolvers, which
# pick it only on an ARMv7 CPU (armel's libatomic; on the ARM1176 it takes the kernel's
# cmpxchg helper, CONFIG_KUSER_HELPERS=y in Debian's Pi kernel).
wifi_check_arm() {
    local attributes
    attributes=$(readelf -A "$1")
    if grep -Eq 'Tag_CPU_arch: v(4T|5TE|6)$' <<<"$attributes" && ! grep -q 'Thumb-2' <<<"$attributes"; then
        return 0
    fi
    # (grep -c, not -q: an early exit would kill readelf with SIGPIPE, failing the pipe.)
    if [ "$(readelf --dyn-syms -W "$1" | grep -c ' IFUNC ')" -gt 0 ]; then
        echo "ci: $(basename "$1"): ARMv7 code only behind IFUNC dispatch (picked at run time)" >&2
        return 0
    fi
    echo "ci: $1 is not ARMv5TE/ARMv6 code (armhf?):" >&2
    grep -E 'Tag_CPU_arch:|THUMB' <<<"$attributes" >&2
    return 1
}

# Runs an armel program under qemu-arm as the ARM1176 would, resolving its loader and
# libraries inside ROOT only: proves the closure is complete. PROGRAM is a host path.
# wifi_run_in_root ROOT PROGRAM ARGS...
wifi_run_in_root() {
    local root=$1
    shift
    # An empty QEMU_LD_PREFIX elsewhere must not win over -L.
    env -u QEMU_LD_PREFIX qemu-arm -cpu arm1176 -L "$root" "$@"
}

# Where the board mounts the bundle (zerocam: net/wifi/bundle.rs), and the two names in the
# initramfs that point into it: the loader every armel program asks for, and the folder
# Debian's loader searches for libraries.
WIFI_MOUNT=/opt/wifi

# Builds Wi-Fi for the Zero W. What the kernel loads (the radio's firmware, CLM blob and
# NVRAM, the regulatory database) goes into INITRAMFS/lib/firmware: it is the slot's, so an
# update brings it with the kernel that asks for it. wpa_supplicant and its libraries go
# into a squashfs image (BUNDLE: wifi.sqfs, on the boot partition, which belongs to no slot;
# docs/OTA.md); zerocam mounts it at /opt/wifi only when zerocam.toml has [wifi] networks,
# so a board without Wi-Fi neither unpacks nor holds ~13 MB of it in RAM at every boot.
# Adds the mount point and the two links to INITRAMFS, and the licences of all it
# installed to LICENCES.   wifi_build_bundle INITRAMFS BUNDLE LICENCES WORKDIR
wifi_build_bundle() {
    local initramfs=$1 bundle=$2 licences=$3 work=$4/wifi-packages root=$4/wifi-root brcm version pin
    ensure_packages binutils squashfs-tools
    ensure_backports_packages qemu-user-static
    rm -rf "$work" "$root"
    mkdir -p "$root"
    # shellcheck disable=SC2086  # a list of pins
    wifi_unpack_pins "$work" $WIFI_PACKAGES

    # brcmfmac asks for <chip>.<board>.<ext> first, <board> being the device tree's first
    # root compatible ("raspberrypi,model-zero-w" in bcm2835-rpi-zero-w.dtb), then the plain
    # name. The Zero W's BCM43438 is the Pi 3's chip: Debian's NVRAM for the Pi 3 is
    # installed under the Zero W's board name. Real files, not Debian's symlinks.
    brcm=$initramfs/lib/firmware/brcm
    mkdir -p "$brcm"
    install -m 0644 "$(readlink -f "$work/lib/firmware/brcm/brcmfmac43430-sdio.bin")" "$brcm/brcmfmac43430-sdio.bin"
    install -m 0644 "$(readlink -f "$work/lib/firmware/brcm/brcmfmac43430-sdio.clm_blob")" "$brcm/brcmfmac43430-sdio.clm_blob"
    install -m 0644 "$(readlink -f "$work/lib/firmware/brcm/brcmfmac43430-sdio.raspberrypi,3-model-b.txt")" \
        "$brcm/brcmfmac43430-sdio.$WIFI_BOARD_COMPATIBLE.txt"
    # cfg80211 loads regulatory.db for the country code; the upstream database is signed
    # with the key the kernel has built in (CONFIG_CFG80211_USE_KERNEL_REGDB_KEYS).
    install -m 0644 "$work/lib/firmware/regulatory.db-upstream" "$initramfs/lib/firmware/regulatory.db"
    install -m 0644 "$work/lib/firmware/regulatory.db.p7s-upstream" "$initramfs/lib/firmware/regulatory.db.p7s"

    wifi_install_program "$work" "$root" sbin/wpa_supplicant sbin/wpa_supplicant
    version=$(wifi_run_in_root "$root" "$root/sbin/wpa_supplicant" -v | head -n 1) \
        || { echo "ci: wpa_supplicant does not run from the bundle's tree" >&2; return 1; }
    # wpa_passphrase derives a PSK (PBKDF2-SHA1 in libcrypto): exercises the libraries
    # wpa_supplicant computes with, not only the loader.
    wifi_run_in_root "$root" "$work/usr/bin/wpa_passphrase" zerocam 12345678 | grep -c 'psk=[0-9a-f]\{64\}' >/dev/null \
        || { echo "ci: wpa_passphrase (libcrypto) does not run from the bundle's tree" >&2; return 1; }

    find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
    rm -f "$bundle"
    # Reproducible: mksquashfs takes every timestamp from SOURCE_DATE_EPOCH.
    SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH mksquashfs "$root" "$bundle" -quiet -no-progress -comp zstd -Xcompression-level 19 -all-root -no-xattrs >/dev/null
    mkdir -p "$initramfs$WIFI_MOUNT" "$initramfs/lib"
    ln -sfn "$WIFI_MOUNT/lib/arm-linux-gnueabi" "$initramfs/lib/arm-linux-gnueabi"
    ln -sfn "$WIFI_MOUNT/lib/arm-linux-gnueabi/ld-linux.so.3" "$initramfs/lib/ld-linux.so.3"
    echo "ci: wifi.sqfs $(stat -c %s "$bundle") bytes ($(du -sk "$root" | cut -f1) KiB unpacked): $version," \
        "$(find "$root/lib/arm-linux-gnueabi" -type f | wc -l) libraries"

    : >"$licences"
    for pin in $WIFI_PACKAGES; do
        pin=${pin%%=*}
        pin=${pin%%:*}
        [ -e "$work/usr/share/doc/$pin/copyright" ] || { echo "ci: $pin has no copyright file" >&2; return 1; }
        {
            printf '==== Debian package %s (%s) ====\n\n' "$pin" "$(wifi_pin_version "$pin")"
            cat "$work/usr/share/doc/$pin/copyright"
            printf '\n'
        } >>"$licences"
    done
}

wifi_pin_version() {
    local name=$1 pin
    for pin in $WIFI_PACKAGES $WIFI_TEST_PACKAGES; do
        case ${pin%%=*} in "$name" | "$name:"*) echo "${pin#*=}"; return ;; esac
    done
}
