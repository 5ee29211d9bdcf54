# A real UVC webcam in the emulated board, sourced by ci/test-qemu (same boot as the stream
# checks): examples/uvc_camera, cross-built for the Zero, runs as a zerocam helper on the
# device side of dummy_hcd (through gadgetfs) and is a USB webcam on its host side: the
# kernel's uvcvideo drives it, and zerocam's V4L2 source passes its MJPEG through, next to
# vivid's raw frames that zerocam encodes. The frames are the first VGA frames of
# ../shared/clips, sent at 5 fps. (The kernel's own UVC gadget function cannot be used:
# it streams isochronously, which dummy_hcd does not carry; uvc_camera streams over bulk.)
#
#   uvc_enabled                 on unless ZEROCAM_QEMU_UVC=0 (the network gadget, which
#                               needs dummy_hcd's one controller, has a boot of its own)
#   uvc_add_test_tools CARD     before booting: /test/uvc (uvc_camera, gadgetfs.ko, the
#                               clip) in front of slot A's initramfs in the test's copy of
#                               the card, the helper and a camera "uvc" in its zerocam.toml
#   uvc_checks PORT SERIAL PROBE  after the board answers (PROBE: the command that runs
#                               board_probe with this run's --hostname): camera "uvc" on the
#                               uvcvideo device, MJPEG passed through at 640x480 and 5 fps,
#                               frames that decode at that size and change; then, ordered
#                               over its control port (forwarded from the host), the webcam
#                               stops delivering (the fault says stalled), resumes (the
#                               fault clears, frames flow), and is unplugged (a fault) and
#                               plugged back in by zerocam's helper supervisor (frames again)

# uvcvideo's capture node: vivid (loaded first, from [system] modules) registers video0 to
# video3; uvc_camera needs dummy_hcd, loaded after vivid.
UVC_NODE=/dev/video4
UVC_FRAMES=12
# uvc_camera's control port in the guest (ci/qemu-checks-wifi.sh uses 8081 and 8082).
UVC_CONTROL_GUEST_PORT=8083

uvc_enabled() {
    [ "${ZEROCAM_QEMU_UVC:-1}" = 1 ]
}

uvc_add_test_tools() {
    local card=$1 work=$REPO_ROOT/out/qemu-uvc-tools binary offset deb
    if ! uvc_enabled; then
        echo "ci: uvc: emulated UVC webcam checks off (ZEROCAM_QEMU_UVC=0)"
        return 0
    fi
    ensure_packages cpio xz-utils binutils-arm-linux-gnueabi
    ensure_apt_sources
    rm -rf "$work"
    mkdir -p "$work/root/test/uvc" "$work/kernel"
    # Built like the firmware (pizero profile, static, ARMv6).
    (
        arm_prepare_host
        arm_export_cargo_env
        cd "$REPO_ROOT" && cargo build -q -p zerocam --example uvc_camera --profile pizero "${ARM_BUILD_STD_ARGS[@]}"
    )
    binary=$ARM_TARGET_DIR/$ARM_TARGET/pizero/examples/uvc_camera
    check_armv6 "$binary"
    install -m 0755 "$binary" "$work/root/test/uvc/uvc_camera"
    arm-linux-gnueabi-strip "$work/root/test/uvc/uvc_camera"
    # gadgetfs from the image's pinned kernel (the image leaves it out), plain and unsigned
    # as ci/build-image prepares the image's modules.
    deb=$(fetch_deb "$KERNEL_PACKAGE" "$KERNEL_VERSION")
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work/kernel" --wildcards '*/gadget/legacy/gadgetfs.ko.xz'
    xz -dc "$(find "$work/kernel" -name gadgetfs.ko.xz -print -quit)" >"$work/root/test/uvc/gadgetfs.ko"
    arm-linux-gnueabi-strip --strip-debug "$work/root/test/uvc/gadgetfs.ko"
    # The first frames of the VGA clip: the slot's FAT has a few MiB to spare, not 7.
    python3 "$REPO_ROOT/ci/clip-frames.py" "$REPO_ROOT/../shared/clips/vga-640x480-125f.mjpeg" "$UVC_FRAMES" \
        "$work/root/test/uvc/clip.mjpeg"
    prepend_test_tools "$card" "$work/root" "$work"
    offset=$(boot_partition_offset "$card")
    mtype -i "$card@@$offset" ::/zerocam.toml >"$work/zerocam.toml"
    cat >>"$work/zerocam.toml" <<TOML

# ci/qemu-checks-uvc.sh: a UVC webcam on the host side of dummy_hcd (examples/uvc_camera).
[[system.helper]]
name = "uvc-camera"
path = "/test/uvc/uvc_camera"
args = ["--clip", "/test/uvc/clip.mjpeg", "--fps", "5", "--module", "/test/uvc/gadgetfs.ko", "--control", "0.0.0.0:$UVC_CONTROL_GUEST_PORT"]

[[camera]]
name = "uvc"
source = "v4l2:$UVC_NODE"
size = "640x480"
fps = 5
TOML
    mcopy -o -i "$card@@$offset" "$work/zerocam.toml" ::/zerocam.toml
    UVC_CONTROL_PORT=$(qemu_free_port)
    QEMU_EXTRA_HOSTFWD="${QEMU_EXTRA_HOSTFWD:-},hostfwd=tcp:127.0.0.1:$UVC_CONTROL_PORT-:$UVC_CONTROL_GUEST_PORT"
}

# uvc_order ORDER: one order to uvc_camera in the guest, which answers "ok".
uvc_order() {
    local answer
    answer=$(exec 3<>"/dev/tcp/127.0.0.1/$UVC_CONTROL_PORT" && printf '%s\n' "$1" >&3 && cat <&3) || true
    [ "$answer" = ok ] || fail "uvc: the webcam did not take the order $1 (answer: ${answer:-none})"
    echo "ok: uvc: webcam ordered to $1"
}

# uvc_wait PROBE PORT PATTERN|none SECS WHAT: board_probe's fault wait on camera "uvc".
uvc_wait() {
    "$1" fault "127.0.0.1:$2" uvc "$3" "$4" | sed 's/^ok: /ok: uvc: /' || fail "uvc: $5"
}

uvc_checks() {
    local port=$1 serial=$2 probe=$3 output
    uvc_enabled || return 0
    output=$("$probe" camera "127.0.0.1:$port" uvc 10 uvcvideo) || fail "uvc webcam checks: $output"
    echo "$output" | sed 's/^ok: /ok: uvc: /'
    echo "$output" | grep -q 'MJPG 640x480 at 5 fps, passed through' ||
        fail "uvc: the webcam's MJPEG is not passed through at 640x480, 5 fps: $output"
    grep -q 'uvc_camera: host connected' "$serial" || fail "uvc: no 'host connected' from uvc_camera in the serial log"
    # The V4L2 source's stall path: no frame for a few periods is a fault, then retries.
    uvc_order pause
    uvc_wait "$probe" "$port" "camera stalled" 60 "no stall fault"
    uvc_order resume
    uvc_wait "$probe" "$port" none 90 "no recovery after the stall"
    # Unplugged: the device node goes; the helper supervisor starts the camera again.
    uvc_order unplug
    uvc_wait "$probe" "$port" "$UVC_NODE" 60 "no fault after the unplug"
    uvc_wait "$probe" "$port" none 120 "no recovery after the replug"
    [ "$(grep -c 'helper uvc-camera started' "$serial")" -ge 2 ] || fail "uvc: the helper was not started again"
}
