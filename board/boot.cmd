# zerocam A/B slot chooser, run by U-Boot (compiled to boot.scr by ci/build-image with
# mkimage). It picks the system slot to boot from the boot state kept in raw sectors before
# the first partition, counts trial boots, falls back to the committed slot when a trial
# never committed, and boots the chosen slot's kernel, DTB and initramfs. docs/OTA.md
# explains the design; firmware/zerocam/src/ota/boot_state.rs writes the same records.
#
# Boot state: two copies of a U-Boot environment blob (CRC32 + "key=value" strings), each
# 8 sectors (4 KiB), at sector 0x800 (1 MiB) and 0x1000 (2 MiB) of the card. The valid copy
# with the higher sequence number counts; a write always goes to the other copy, so a power
# cut during a write leaves the previous state intact.
#
# Variables of the state (all text): zc_seq (hex), zc_slot (committed slot a|b), zc_trial
# (slot on trial, or unset), zc_tries (trial boots left), zc_result, zc_reason (the last
# update's outcome), zc_ver_a, zc_ver_b (versions), zc_good_a, zc_good_b (1: committed).

setenv zc_vars "zc_seq zc_slot zc_trial zc_tries zc_result zc_reason zc_ver_a zc_ver_b zc_good_a zc_good_b"
setenv zc_addr0 0x02000000
setenv zc_addr1 0x02010000
setenv zc_sect0 0x800
setenv zc_sect1 0x1000
setenv zc_size 0x1000

# Card-wide options (boot-options.txt on the boot partition): extra kernel arguments, the
# trial watchdog, the QEMU device-tree fix, the CSI camera's device tree.
setenv extra_args
setenv trial_watchdog 1
setenv qemu 0
setenv camera
if load mmc 0:1 ${scriptaddr} boot-options.txt; then
    env import -t ${scriptaddr} ${filesize} extra_args trial_watchdog qemu camera
fi

mmc dev 0
# Read both copies; remember each one's sequence number (0: missing or damaged).
setenv zc_seq0 0
setenv zc_seq1 0
setenv zc_seq
if mmc read ${zc_addr0} ${zc_sect0} 8 && env import -c ${zc_addr0} ${zc_size} zc_seq; then
    if test -n "${zc_seq}"; then setenv zc_seq0 ${zc_seq}; fi
fi
setenv zc_seq
if mmc read ${zc_addr1} ${zc_sect1} 8 && env import -c ${zc_addr1} ${zc_size} zc_seq; then
    if test -n "${zc_seq}"; then setenv zc_seq1 ${zc_seq}; fi
fi
for v in ${zc_vars}; do setenv ${v}; done
# The newer valid copy wins; the other one is where the next write goes.
if itest ${zc_seq1} -gt ${zc_seq0}; then
    setenv zc_use 1
    setenv zc_wsect ${zc_sect0}
else
    setenv zc_use 0
    setenv zc_wsect ${zc_sect1}
fi
if itest ${zc_seq0} -eq 0 && itest ${zc_seq1} -eq 0; then
    echo "zerocam: no valid boot state, booting slot a"
    setenv zc_seq 0
    setenv zc_slot a
else
    if test "${zc_use}" = "1"; then
        env import -c ${zc_addr1} ${zc_size} ${zc_vars}
    else
        env import -c ${zc_addr0} ${zc_size} ${zc_vars}
    fi
fi
if test "${zc_slot}" != "b"; then
    setenv zc_slot a
fi

setenv zc_boot ${zc_slot}
setenv zc_istrial 0
if test -n "${zc_trial}"; then
    if itest ${zc_tries} -gt 0; then
        setexpr zc_tries ${zc_tries} - 1
        setenv zc_boot ${zc_trial}
        setenv zc_istrial 1
        echo "zerocam: trial boot of slot ${zc_trial} (${zc_tries} more after this)"
    else
        echo "zerocam: slot ${zc_trial} never committed, back to slot ${zc_slot}"
        setenv zc_result rolled-back
        setenv zc_reason "slot ${zc_trial} never committed: its trial boot ended before zerocam found it healthy (kernel panic, hang, crash or power cut)"
        setenv zc_trial
        setenv zc_tries
    fi
    # Recorded before the kernel starts: a trial that dies anywhere after this is counted.
    setexpr zc_seq ${zc_seq} + 1
    env export -c -s ${zc_size} ${zc_addr0} ${zc_vars}
    mmc write ${zc_addr0} ${zc_wsect} 8
fi

if test "${zc_boot}" = "b"; then
    setenv zc_part 3
else
    setenv zc_part 2
fi

# The slot's own settings (slot.env in the slot): kernel, initramfs, DTB, kernel arguments.
setenv slot_kernel vmlinuz
setenv slot_initrd initrd.zst
setenv slot_fdt ${fdtfile}
setenv slot_args
if load mmc 0:${zc_part} ${scriptaddr} slot.env; then
    env import -t ${scriptaddr} ${filesize} slot_kernel slot_initrd slot_fdt slot_args
fi

# The slot's DTB, or the one the GPU firmware prepared (slot_fdt=firmware) as a fallback.
# camera=NAME in boot-options.txt picks the slot's camera-NAME.dtb instead, if it has one:
# the Buildroot image's slots carry one per CSI sensor (its overlay merged at build time).
setenv zc_fdt ${fdt_addr}
setenv zc_camfdt 0
if test -n "${camera}"; then
    if load mmc 0:${zc_part} ${fdt_addr_r} camera-${camera}.dtb; then
        setenv zc_fdt ${fdt_addr_r}
        setenv zc_camfdt 1
    else
        echo "zerocam: slot ${zc_boot} has no device tree for camera=${camera}, using ${slot_fdt}"
    fi
fi
if test "${zc_camfdt}" = "0" && test "${slot_fdt}" != "firmware"; then
    if load mmc 0:${zc_part} ${fdt_addr_r} ${slot_fdt}; then
        setenv zc_fdt ${fdt_addr_r}
    fi
fi
if test "${qemu}" = "1"; then
    # QEMU models only the PM block's watchdog registers, not the power domain's ASB ones
    # that make bcm2835-power crash; never set on a real board.
    fdt addr ${zc_fdt}
    fdt resize
    fdt set /soc/watchdog@7e100000 reg <0x7e100000 0x114>
    fdt set /soc/watchdog@7e100000 reg-names pm
fi

load mmc 0:${zc_part} ${kernel_addr_r} ${slot_kernel}
load mmc 0:${zc_part} ${ramdisk_addr_r} ${slot_initrd}
setenv zc_initrd_size ${filesize}

setenv zc_args "zerocam.slot=${zc_boot} zerocam.trial=${zc_istrial}"
if test "${zc_istrial}" = "1"; then
    # The kernel keeps the watchdog fed until zerocam opens it, for at most 30 s: a trial
    # that hangs before zerocam runs is reset, and the reset counts as a failed trial.
    setenv zc_args "${zc_args} watchdog.open_timeout=30"
    if test "${trial_watchdog}" != "0"; then
        # bcm2835 PM watchdog: 15 s (in 1/65536 s ticks), then a full reset. Linux's
        # bcm2835_wdt finds it running and keeps feeding it.
        mw.l 0x20100024 0x5a0f0000
        setexpr.l zc_rstc *0x2010001c "&" 0xffffffcf
        setexpr zc_rstc ${zc_rstc} "|" 0x5a000020
        mw.l 0x2010001c ${zc_rstc}
        echo "zerocam: watchdog armed for the trial"
    fi
fi
setenv bootargs "${slot_args} ${zc_args} ${extra_args}"
echo "zerocam: booting slot ${zc_boot}: ${bootargs}"
bootz ${kernel_addr_r} ${ramdisk_addr_r}:${zc_initrd_size} ${zc_fdt}

# Only reached when the slot cannot be booted (files missing or damaged). A trial has
# spent its count: the reset brings the committed slot back. A committed slot that cannot
# boot: the other slot, if it was ever committed, is booted as it is (the state is left
# alone, so the committed slot is tried again on the next boot).
echo "zerocam: slot ${zc_boot} did not boot"
if test "${zc_istrial}" = "0"; then
    if test "${zc_boot}" = "b"; then
        setenv zc_other a
        setenv zc_part 2
        setenv zc_good ${zc_good_a}
    else
        setenv zc_other b
        setenv zc_part 3
        setenv zc_good ${zc_good_b}
    fi
    if test "${zc_good}" = "1"; then
        echo "zerocam: booting slot ${zc_other} instead"
        setenv bootargs "${slot_args} zerocam.slot=${zc_other} zerocam.trial=0 ${extra_args}"
        load mmc 0:${zc_part} ${kernel_addr_r} ${slot_kernel}
        load mmc 0:${zc_part} ${ramdisk_addr_r} ${slot_initrd}
        bootz ${kernel_addr_r} ${ramdisk_addr_r}:${filesize} ${zc_fdt}
    fi
fi
reset
