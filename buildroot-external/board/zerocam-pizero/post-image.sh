#!/usr/bin/env bash
# Buildroot post-image script (BR2_ROOTFS_POST_IMAGE_SCRIPT): makes the same two-slot SD
# card as ci/build-image (docs/OTA.md), with the Raspberry Pi kernel in the slots, through
# the shared board/make-slot and board/make-card (board/genimage.cfg, config.txt,
# boot.cmd, boot-options.txt). Writes to BINARIES_DIR:
#   slot.img             the system slot: what update bundles carry (zerocam-ota bundle)
#   zerocam-pizero.img   the SD card (256 MiB), and its .sha256
#
# The slot holds zImage, DTB_NAME.dtb with the dwc2 overlay merged (the OTG port in
# host or gadget mode, like the Debian kernel's tree), camera-NAME.dtb for each CSI sensor
# (the same plus that sensor's overlay; boot-options.txt camera=NAME picks one), the
# initramfs (rootfs.cpio.lz4) and slot.env.
#
# Usage (by Buildroot): post-image.sh BINARIES_DIR DTB_NAME
# Env:   ZEROCAM_VERSION    the version recorded for the slots (default: the crate's)
#        ZEROCAM_TOML       the zerocam.toml for the card (default: board/zerocam.toml)
#        SOURCE_DATE_EPOCH  timestamps inside the image (default: the checkout's last commit)
set -euo pipefail
images=$1
dtb=${2:?post-image.sh: the device tree name (BR2_ROOTFS_POST_SCRIPT_ARGS) is missing}
board_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$board_dir/../../.." && pwd)
export PATH=$HOST_DIR/bin:$HOST_DIR/sbin:$PATH
version=${ZEROCAM_VERSION:-$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/firmware/zerocam/Cargo.toml" | head -n 1)}
toml=${ZEROCAM_TOML:-$repo/board/zerocam.toml}
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || echo 0)}
export SOURCE_DATE_EPOCH
cameras="imx219 imx477 imx708 ov5647"
work=$BUILD_DIR/zerocam-image
rm -rf "$work"
mkdir -p "$work/slot" "$work/boot"

# --- The slot ------------------------------------------------------------------------------
overlays=$images/rpi-firmware/overlays
cp "$images/zImage" "$work/slot/zImage"
cp "$images/rootfs.cpio.lz4" "$work/slot/initrd.lz4"
fdtoverlay -i "$images/$dtb.dtb" -o "$work/slot/$dtb.dtb" "$overlays/dwc2.dtbo"
for camera in $cameras; do
    fdtoverlay -i "$images/$dtb.dtb" -o "$work/slot/camera-$camera.dtb" \
        "$overlays/dwc2.dtbo" "$overlays/$camera.dtbo"
done
"$repo/board/make-slot" "$work/slot" "$images/slot.img" --version "$version" \
    --kernel zImage --initrd initrd.lz4 --fdt "$dtb.dtb"

# --- The boot partition's firmware and U-Boot ---------------------------------------------
for file in bootcode.bin start_x.elf fixup_x.dat start.elf fixup.dat; do
    cp "$images/rpi-firmware/$file" "$work/boot/"
done
licence=$(find "$BUILD_DIR" -maxdepth 3 -path '*/rpi-firmware-*/boot/LICENCE.broadcom' -print -quit)
[ -n "$licence" ] || { echo "post-image: rpi-firmware's LICENCE.broadcom not found" >&2; exit 1; }
cp "$licence" "$work/boot/COPYING.firmware"
cp "$images/u-boot.bin" "$work/boot/"

# --- The card --------------------------------------------------------------------------------
# No wifi.sqfs on this card: wpa_supplicant and the radio's firmware are in the initramfs
# (post-build.sh), so make-card leaves the Debian image's Wi-Fi bundle out.
"$repo/board/make-card" --boot "$work/boot" --slot "$images/slot.img" --version "$version" \
    --toml "$toml" --out "$images/zerocam-pizero.img" --work "$work/card"
(cd "$images" && sha256sum zerocam-pizero.img >zerocam-pizero.img.sha256)
echo "post-image: $images/zerocam-pizero.img and slot.img, version $version, $dtb"
