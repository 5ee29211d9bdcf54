#!/usr/bin/env bash
# Buildroot post-build script (BR2_ROOTFS_POST_BUILD_SCRIPT): turns the target directory
# into the same initramfs the Debian-kernel image has (ci/build-image, docs/IMAGE.md):
# zerocam as /init (installed by package/zerocam), the module lists of board/ and only the
# modules they name with their dependencies, rootfs-overlay/, empty mount points.
# Unlike the Debian image it keeps glibc, libstdc++ and libcamera, which zerocam links to,
# and on the Zero W wpa_supplicant and the radio's firmware.
#
# Usage (by Buildroot): post-build.sh TARGET_DIR DTB_NAME
set -euo pipefail
target=$1
board_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$board_dir/../../.." && pwd)

for dir in proc sys dev run tmp boot data etc; do
    mkdir -p "$target/$dir"
done
if [ ! -x "$target/usr/bin/zerocam" ] || [ "$(readlink "$target/init")" != /usr/bin/zerocam ]; then
    echo "post-build: /init is not zerocam (is BR2_PACKAGE_ZEROCAM set?)" >&2
    exit 1
fi

# Extra files for the initramfs, the same as the Debian image's (its README is for people).
(cd "$repo/rootfs-overlay" && find . -mindepth 1 ! -name README.md | cpio --quiet -pdm "$target")

# --- Kernel modules ---------------------------------------------------------------------
release=$(find "$target/lib/modules" -mindepth 1 -maxdepth 1 -type d -printf '%f\n')
if [ "$(echo "$release" | wc -w)" -ne 1 ]; then
    echo "post-build: expected one kernel under $target/lib/modules, found: $release" >&2
    exit 1
fi
moddir=$target/lib/modules/$release
module_names() { sed -e 's/#.*//' "$@" | tr -s ' \t' '\n' | sed '/^$/d'; }
normal() { tr '-' '_'; }
# Every module file this kernel has, by name, and the built-in ones.
known=$(sed -e 's/:.*//' -e 's|.*/||' -e 's/\.ko.*//' "$moddir/modules.dep" | normal | sort -u)
builtin=$(sed -e 's|.*/||' -e 's/\.ko.*//' "$moddir/modules.builtin" | normal | sort -u)
# keep_known LIST: the names of LIST this kernel has (as a module or built in); the others
# are reported, since zerocam would log each as a failure at every boot.
keep_known() {
    local name
    for name in $(module_names "$@"); do
        if grep -qx "$(normal <<<"$name")" <<<"$known"$'\n'"$builtin"; then
            echo "$name"
        else
            echo "post-build: module $name is not in kernel $release, left out" >&2
        fi
    done
}
# The lists as the Debian image installs them: modules.load is /etc/modules, modules.extra
# is only shipped, every other board/modules.NAME is /etc/modules.NAME; modules.rpi (this
# kernel's camera stack) joins modules.late.
keep_known "$repo/board/modules.load" >"$target/etc/modules"
for list in "$repo"/board/modules.*; do
    name=${list##*/modules.}
    case $name in
        load | extra) ;;
        late) keep_known "$list" "$board_dir/modules.rpi" >"$target/etc/modules.late" ;;
        *) keep_known "$list" >"$target/etc/modules.$name" ;;
    esac
done
wanted=$( (cat "$target"/etc/modules*; keep_known "$repo/board/modules.extra") | normal | sort -u)
# The files of the wanted modules and of everything they depend on (modules.dep lists the
# whole chain on each line); every other module file goes.
awk -v wanted="$wanted" '
    BEGIN { n = split(wanted, list, "\n"); for (i = 1; i <= n; i++) want[list[i]] = 1 }
    {
        file = $1; sub(/:$/, "", file)
        name = file; sub(/.*\//, "", name); sub(/\.ko.*/, "", name); gsub(/-/, "_", name)
        if (name in want) for (i = 1; i <= NF; i++) { f = $i; sub(/:$/, "", f); print f }
    }
' "$moddir/modules.dep" | sort -u >"$moddir/keep.txt"
(cd "$moddir" && find kernel -name '*.ko*' | sort) | comm -23 - "$moddir/keep.txt" \
    | (cd "$moddir" && xargs -r rm -f)
rm "$moddir/keep.txt"
find "$moddir" -depth -type d -empty -delete
"$HOST_DIR/sbin/depmod" -b "$target" "$release"
# zerocam reads modules.dep and modules.builtin; the rest is for modprobe, which we lack.
find "$moddir" -maxdepth 1 -name 'modules.*' ! -name modules.dep ! -name modules.builtin -delete

# --- Wi-Fi (Zero W) -----------------------------------------------------------------------
# zerocam runs the supplicant from the Wi-Fi bundle's place (/opt/wifi, a squashfs on the
# Debian image's boot partition); here it is part of the system, and the firmware is in
# /lib/firmware where the kernel looks by default.
if [ -x "$target/usr/sbin/wpa_supplicant" ]; then
    mkdir -p "$target/opt/wifi/sbin"
    ln -sf /usr/sbin/wpa_supplicant "$target/opt/wifi/sbin/wpa_supplicant"
fi
