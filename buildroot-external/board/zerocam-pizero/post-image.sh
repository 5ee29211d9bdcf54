#!/usr/bin/env bash
# Lays out the SD card like ci/build-image does (FAT boot partition with the GPU firmware,
# kernel, DTBs, initramfs and zerocam.toml; ext4 data partition), from Buildroot's images.
set -euo pipefail
BOARD_DIR=$(dirname "$0")
REPO=$BR2_EXTERNAL_ZEROCAM_PATH/..
GENIMAGE_TMP=$BUILD_DIR/genimage.tmp

cp "$BOARD_DIR/config.txt" "$BINARIES_DIR/config.txt"
cp "$REPO/board/cmdline.txt" "$BINARIES_DIR/cmdline.txt"
cp "$REPO/board/zerocam.toml" "$BINARIES_DIR/zerocam.toml"

rm -rf "$GENIMAGE_TMP"
genimage --rootpath "$TARGET_DIR" --tmppath "$GENIMAGE_TMP" \
    --inputpath "$BINARIES_DIR" --outputpath "$BINARIES_DIR" \
    --config "$BOARD_DIR/genimage.cfg"
