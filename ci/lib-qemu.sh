# Shared by ci/run-qemu and ci/test-qemu: boots an SD image's own kernel, DTB and initramfs
# on QEMU's Raspberry Pi Zero (-M raspi0). Sourced, not run.
#
# QEMU does not run the GPU firmware, so the files the firmware would load are copied out
# of the image's FAT partition (mtools) and passed to QEMU directly, with the image's own
# cmdline.txt.

qemu_prepare_host() {
    ensure_packages mtools device-tree-compiler
    # QEMU 10 (bookworm-backports): raspi0 with USB networking that works.
    ensure_backports_packages qemu-system-arm
}

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

# Byte offset of partition 1, read from the MBR (start LBA at byte 454, little endian).
boot_partition_offset() {
    local image=$1 lba
    lba=$(od -An -tu4 -j454 -N4 "$image" | tr -d ' ')
    echo $((lba * 512))
}

# qemu_extract_boot IMAGE DIR: copies vmlinuz, initrd.zst, cmdline.txt and the Zero DTB
# (made emulatable) into DIR.
qemu_extract_boot() {
    local image=$1 dir=$2 offset file
    offset=$(boot_partition_offset "$image")
    mkdir -p "$dir"
    for file in vmlinuz initrd.zst cmdline.txt bcm2835-rpi-zero.dtb; do
        mcopy -o -n -i "$image@@$offset" "::/$file" "$dir/$file"
    done
    # For emulation only: QEMU does not model the power domain's ASB registers, and the
    # kernel's bcm2835-power driver crashes on them. Keep only the PM block (which holds
    # the watchdog QEMU does model).
    fdtput -t x "$dir/bcm2835-rpi-zero.dtb" /soc/watchdog@7e100000 reg 7e100000 114
    fdtput -t s "$dir/bcm2835-rpi-zero.dtb" /soc/watchdog@7e100000 reg-names pm
}

# Added to the image's cmdline.txt under emulation: QEMU's bcm2835 PM model resets the
# machine the moment the watchdog is armed (real hardware counts down first), so PID 1 is
# told not to arm it (the watchdog is on the docs/HARDWARE.md checklist).
QEMU_EXTRA_CMDLINE=zerocam.nowatchdog

# qemu_command IMAGE DIR PORT SERIAL_LOG: prints the QEMU command line (one word a line).
# The USB network device sits on the root port, as an adapter does on the Zero's OTG port;
# left to itself QEMU puts a hub in between, which costs ~0.5 s of enumeration.
qemu_command() {
    local image=$1 dir=$2 port=$3 serial=$4
    printf '%s\n' qemu-system-arm -M raspi0 \
        -kernel "$dir/vmlinuz" -dtb "$dir/bcm2835-rpi-zero.dtb" -initrd "$dir/initrd.zst" \
        -append "$(tr -d '\n' <"$dir/cmdline.txt") $QEMU_EXTRA_CMDLINE" \
        -drive "if=sd,format=raw,file=$image" \
        -device usb-net,netdev=n0,bus=usb-bus.0,port=1 -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:80" \
        -display none -serial "file:$serial" -monitor none -no-reboot
}
