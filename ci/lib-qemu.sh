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

# slot_initrd IMAGE N: the initramfs file of slot partition N (2: A, 3: B), as its slot.env
# names it for the boot script (initrd.lz4; initrd.zst in older images).
slot_initrd() {
    mtype -i "$1@@$(partition_offset "$1" "$2")" ::/slot.env | tr -d '\r' | sed -n 's/^slot_initrd=//p'
}

# unpack_initrd FILE DIR: unpacks an initramfs the image's kernel reads (lz4 legacy frame or
# zstd, told apart by their magic numbers) into DIR.
unpack_initrd() {
    local magic
    magic=$(od -An -tx1 -N4 "$1" | tr -d ' ')
    case $magic in
    02214c18) lz4 -dc "$1" | (cd "$2" && cpio -idm --quiet) ;;
    28b52ffd) zstd -dc "$1" | (cd "$2" && cpio -idm --quiet) ;;
    *) echo "ci: $1 is neither an lz4 nor a zstd initramfs (magic $magic)" >&2; return 1 ;;
    esac
}

# prepend_test_tools CARD ROOT WORK: packs ROOT/test into a cpio and puts it in front of
# slot A's initramfs on CARD (the test's copy; the slot a new card boots). The kernel
# unpacks concatenated archives in order and U-Boot loads the file whole, so the image's own
# archive is left as it is. WORK holds the pieces.
prepend_test_tools() {
    local card=$1 root=$2 work=$3 slot_a initrd
    (cd "$root" && find test | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$work/test.cpio"
    slot_a="$card@@$(partition_offset "$card" 2)"
    initrd=$(slot_initrd "$card" 2)
    mcopy -o -n -i "$slot_a" "::/$initrd" "$work/initrd.image"
    cat "$work/test.cpio" "$work/initrd.image" >"$work/initrd"
    mcopy -o -i "$slot_a" "$work/initrd" "::/$initrd"
}

# qemu_add_busybox_tools CARD WORK SCRIPT...: puts /test/busybox (Debian's busybox-static,
# armel) and the SCRIPTs in front of slot A's initramfs on CARD (prepend_test_tools), for
# test helpers the card's zerocam.toml starts ([[system.helper]]). WORK holds the pieces.
qemu_add_busybox_tools() {
    local card=$1 tools=$2 cache=$REPO_ROOT/out/cache/debs deb
    shift 2
    ensure_packages cpio
    ensure_apt_sources
    mkdir -p "$cache"
    deb=$(find "$cache" -maxdepth 1 -name 'busybox-static_*_armel.deb' -print -quit)
    if [ -z "$deb" ]; then
        (cd "$cache" && apt-get download -q busybox-static:armel >&2)
        deb=$(find "$cache" -maxdepth 1 -name 'busybox-static_*_armel.deb' -print -quit)
    fi
    [ -n "$deb" ] || { echo "ci: cannot download busybox-static:armel" >&2; return 1; }
    rm -rf "$tools"
    mkdir -p "$tools/root/test"
    dpkg -x "$deb" "$tools/deb"
    cp "$tools/deb/bin/busybox" "$tools/root/test/busybox"
    install -m 755 "$@" "$tools/root/test/"
    prepend_test_tools "$card" "$tools/root" "$tools"
}

# helper_control PORT COMMAND WHAT: sends COMMAND (one line) to a test helper's control port
# on the board (forwarded to host PORT) and calls the test's fail unless it answers
# "ok COMMAND". WHAT names the helper in the failure.
helper_control() {
    local answer
    answer=$(exec 3<>"/dev/tcp/127.0.0.1/$1" && echo "$2" >&3 && timeout 60 cat <&3) ||
        fail "$3 did not answer '$2'"
    [ "$(echo "$answer" | tr -d '\r')" = "ok $2" ] || fail "$3 answered '$answer' to '$2'"
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
# QEMU_EXTRA_ARGS: more kernel arguments for one run (initcall_debug to profile the boot).
qemu_prepare_card() {
    local image=$1 options
    options=$(mktemp)
    printf '%s\n' "# Emulation settings (ci/lib-qemu.sh)" \
        "extra_args=zerocam.nowatchdog module_blacklist=vchiq,bcm2835_mmal_vchiq,bcm2835_v4l2${QEMU_EXTRA_ARGS:+ $QEMU_EXTRA_ARGS}" \
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
# QEMU_ICOUNT (default shift=auto; empty: off): the guest's clock counts executed
# instructions instead of host time. Linux programs the BCM2835 system timer as "counter
# now + delta" in two register accesses; on host time, QEMU's vCPU can lose the CPU (or
# wait for the I/O thread's lock) between them for longer than a short delta, the compare
# value is then already behind the counter, and the guest sleeps until the 32-bit counter
# wraps, 71 minutes later: the "frozen board" of earlier runs (qemu_diagnose shows it as a
# missed compare). With icount no guest time passes between the two accesses.
qemu_command() {
    local image=$1 port=$2 kernel_log=$3 uboot_log=$4 reboot=${5:-0}
    printf '%s\n' qemu-system-arm -M raspi0 -kernel "$QEMU_UBOOT" \
        -drive "if=sd,format=raw,file=$image" \
        -device usb-net,netdev=n0,bus=usb-bus.0,port=1 -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:80${QEMU_EXTRA_HOSTFWD:-}" \
        -display none -serial "file:$kernel_log" -serial "file:$uboot_log" \
        -monitor "unix:$(qemu_monitor_socket "$kernel_log"),server,nowait"
    [ "$reboot" = 1 ] || echo -no-reboot
    [ -z "${QEMU_ICOUNT-shift=auto}" ] || printf '%s\n' -icount "${QEMU_ICOUNT-shift=auto}"
}

# The monitor socket of the QEMU whose kernel log is KERNEL_LOG (beside it, or in /tmp for
# /dev/stdout): where qemu_diagnose asks what the guest is doing.
qemu_monitor_socket() {
    case $1 in
    /dev/*) echo "/tmp/zerocam-qemu-$$.monitor" ;;
    *) echo "${1%.*}.monitor" ;;
    esac
}

# serial_stamp KERNEL_LOG REGEX: the kernel-log time (seconds since kernel start) of the
# first line matching REGEX, or nothing.
serial_stamp() { { grep -m1 -E "$2" "$1" || true; } | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p'; }

# serial_wait KERNEL_LOG REGEX SECONDS: waits until a line matches REGEX (grep -E), polling
# once a second; status 1 if none has after SECONDS.
serial_wait() {
    local deadline=$(($(date +%s) + $3))
    until grep -qE "$2" "$1"; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 1
    done
}

# qemu_diagnose KERNEL_LOG: prints, on a failure, whether the guest CPU still runs (its
# program counter sampled three times), the USB devices QEMU sees and the network state.
# A frozen guest (same PC, no new serial output) is a different bug from one that runs
# but does not answer.
qemu_diagnose() {
    local socket
    socket=$(qemu_monitor_socket "$1")
    [ -S "$socket" ] || { echo "(no QEMU monitor at $socket)"; return 0; }
    python3 - "$socket" "$REPO_ROOT/ci" <<'PY' || true
import re, sys, time
sys.path.insert(0, sys.argv[2])
from qemu_monitor import ask as ask_monitor
def ask(command):
    return ask_monitor(sys.argv[1], command)
def where(address):
    # Debian's System.map is a stub (symbols are in the -dbg package): name the region.
    if address < 0xbf000000:
        return "user space"
    return "a module" if address < 0xc0000000 else "the kernel"
try:
    for sample in range(3):
        regs = ask("info registers")
        pc = re.search(r"R15=([0-9a-f]+)", regs)
        psr = re.search(r"PSR=[0-9a-f]+ \S+ (?:A )?(\S+)", regs)
        place = where(int(pc.group(1), 16)) if pc else "?"
        print(f"qemu: sample {sample}: PC={pc.group(1) if pc else '?'} ({place}) mode={psr.group(1) if psr else '?'}")
        time.sleep(1)
    # The BCM2835 system timer (CS, CLO, CHI, C0-C3): Linux's clock events use C3. A C3
    # behind CLO with its match bit (CS bit 3) clear is a missed compare: the guest then
    # sleeps until the 32-bit counter wraps (71 minutes).
    timer = re.findall(r"0x[0-9a-f]{8}", ask("xp /7wx 0x20003000").split(":", 1)[-1])
    if len(timer) >= 7:
        cs, clo, c3 = (int(timer[i], 16) for i in (0, 1, 6))
        ahead = (c3 - clo) & 0xFFFFFFFF
        print(f"qemu: system timer CS={cs:#x} CLO={clo:#x} C3={c3:#x}: next tick in {ahead} us"
              + (" (missed compare: C3 is behind the counter)" if ahead > 0x80000000 and not cs & 8 else ""))
    print("qemu: info usb:\n" + ask("info usb"))
    print("qemu: info network:\n" + ask("info network"))
except OSError as err:
    print(f"qemu: monitor: {err}")
PY
}
