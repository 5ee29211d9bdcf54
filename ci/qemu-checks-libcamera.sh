# shellcheck shell=bash
# The libcamera boot's camera that stops delivering, sourced by ci/test-qemu
# (QEMU_SUITE=libcamera). vimc's test build (ci/build-vimc) delivers no frames while its
# `paused` parameter is 1; a helper on the board (ci/qemu-libcamera/, started by
# ci/qemu-zerocam-libcamera.toml) sets it on a command from the host.
#
#   libcamera_add_test_tools CARD   before booting: /test (busybox, the helper) on the card,
#                                   and a free host port forwarded to the helper
#   libcamera_stall_checks PORT PROBE  after the camera streams: pause vimc; /status must
#                                   show "camera delivered no frame"; resume; the fault must
#                                   clear and frames flow again

libcamera_add_test_tools() {
    qemu_add_busybox_tools "$1" "$REPO_ROOT/out/qemu-libcamera-tools" "$REPO_ROOT"/ci/qemu-libcamera/*.sh
    VIMC_CONTROL_PORT=$(qemu_free_port)
    QEMU_EXTRA_HOSTFWD="${QEMU_EXTRA_HOSTFWD:-},hostfwd=tcp:127.0.0.1:$VIMC_CONTROL_PORT-:8083"
}

# vimc_control COMMAND: sends it to the board's helper; fails unless it answers "ok COMMAND".
vimc_control() { helper_control "$VIMC_CONTROL_PORT" "$1" "libcamera: the vimc control port"; }

libcamera_stall_checks() {
    local port=$1 probe=$2
    vimc_control pause
    echo "ok: vimc paused: it delivers no frames"
    # The session notices within max(2 s, 5 frames) of the last frame, ends, and the
    # supervisor retries; each retry stalls at start (5 s) until vimc resumes.
    "$probe" fault "127.0.0.1:$port" csi "delivered no frame" 90 || fail "libcamera: the stall was not reported"
    vimc_control resume
    echo "ok: vimc resumed"
    "$probe" fault "127.0.0.1:$port" csi none 120 || fail "libcamera: the camera did not come back after the stall"
    "$probe" camera "127.0.0.1:$port" csi 5 vimc || fail "libcamera: no frames after the stall"
}
