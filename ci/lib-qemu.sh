# shellcheck shell=bash
# Shared by ci/run-qemu, ci/test-qemu and ci/test-ota-qemu: boots an SD image through its
# own boot chain on QEMU's Raspberry Pi Zero (-M raspi0). Sourced, not run.
#
# QEMU does not run the GPU firmware, so it does the firmware's one job itself: U-Boot
# (out/qemu/uboot.elf, the ELF of the card's u-boot.bin) is passed as -kernel. Everything
# after that comes from the card: U-Boot's environment, the slot chooser boot.scr, the boot
# state, and the chosen slot's kernel, DTB and initramfs.

qemu_prepare_host() {
    ensure_packages mtools
    # QEMU 10 (bookworm-backports): raspi0 with USB networking that works.
    ensure_backports_packages qemu-system-arm
}

# Byte offset of partition N (default 1), read from the MBR (start LBA at byte 454 + 16 (N-1),
# little endian).
partition_offset() {
    local image=$1 number=${2:-1} lba
    lba=$(od -An -tu4 -j$((454 + 16 * (number - 1))) -N4 "$image" | tr -d ' ')
    echo $((lba * 512))
}
boot_partition_offset() { partition_offset "$1" 1; }

# qemu_free_port [PREFERRED]: prints PREFERRED if nothing listens on 127.0.0.1:PREFERRED,
# else a port the kernel says is free (bind to port 0). QEMU binds it moments later for its
# port forward; if something takes it in between, QEMU exits and the caller says so.
qemu_free_port() {
    python3 - "${1:-0}" <<'PY'
import socket, sys
preferred = int(sys.argv[1])
for port in ([preferred] if preferred else []) + [0]:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(s.getsockname()[1])
        break
PY
}

# The card-wide boot options under emulation (boot-options.txt on the boot partition):
# - trial_watchdog=0 and zerocam.nowatchdog: QEMU's bcm2835 PM model resets the machine the
#   moment the watchdog is armed (real hardware counts down first), so neither U-Boot nor
#   PID 1 arms it (the watchdog is on the docs/HARDWARE.md checklist);
# - qemu=1: the boot script drops the power domain's ASB registers from the device tree,
#   which QEMU does not model and the kernel's bcm2835-power driver crashes on;
# - module_blacklist for the legacy camera's VideoCore modules: QEMU has no VideoCore, so
#   they can only fail there, and stalls of the emulated board were seen right after vchiq
#   loaded (not isolated from the mDNS self-conflict fixed in net/mdns at the same time).
#   The legacy camera is on the docs/HARDWARE.md list.
# These are the card's settings, not the slot's: an update bundle boots unchanged.
qemu_prepare_card() {
    local image=$1 options
    options=$(mktemp)
    printf '%s\n' "# Emulation settings (ci/lib-qemu.sh)" \
        "extra_args=zerocam.nowatchdog module_blacklist=vchiq,bcm2835_mmal_vchiq,bcm2835_v4l2" \
        trial_watchdog=0 qemu=1 >"$options"
    mcopy -o -i "$image@@$(boot_partition_offset "$image")" "$options" ::/boot-options.txt
    rm -f "$options"
}

# The U-Boot QEMU starts, as the GPU firmware would start u-boot.bin.
QEMU_UBOOT=${QEMU_UBOOT:-$REPO_ROOT/out/qemu/uboot.elf}

# qemu_command IMAGE PORT KERNEL_LOG UBOOT_LOG [REBOOT]: prints the QEMU command line (one
# word a line). The kernel's console is the first serial port (PL011), U-Boot's the second
# (mini UART). REBOOT=1 lets a guest reboot restart the board (U-Boot again); otherwise
# QEMU exits. The USB network device sits on the root port, as an adapter does on the
# Zero's OTG port; left to itself QEMU puts a hub in between, which costs ~0.5 s of
# enumeration.
# QEMU_EXTRA_HOSTFWD (",hostfwd=tcp:127.0.0.1:HOSTPORT-:GUESTPORT..."): more forwarded ports
# for test helpers on the board (ci/qemu-checks-wifi.sh).
qemu_command() {
    local image=$1 port=$2 kernel_log=$3 uboot_log=$4 reboot=${5:-0}
    printf '%s\n' qemu-system-arm -M raspi0 -kernel "$QEMU_UBOOT" \
        -drive "if=sd,format=raw,file=$image" \
        -device usb-net,netdev=n0,bus=usb-bus.0,port=1 -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:80${QEMU_EXTRA_HOSTFWD:-}" \
        -display none -serial "file:$kernel_log" -serial "file:$uboot_log" -monitor none
    [ "$reboot" = 1 ] || echo -no-reboot
}
