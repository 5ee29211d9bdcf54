#!/test/busybox sh
# On the emulated board, as a [[system.helper]] of ci/qemu-zerocam-network.toml (busybox sh from
# /test, which ci/qemu-checks-usb.sh adds to the initramfs of the test boot only): finds the
# host side of the dummy_hcd loop (the "computer" the gadget is plugged into, bound to
# cdc_ether or rndis_host) and asks zerocam's DHCP server for a lease with busybox udhcpc.
# Its lines go to the serial console, where ci/qemu-checks-usb.sh reads them.
bb=/test/busybox
say() { echo "usb-dhcp-check: $*"; }
# Shell globbing only (no fork per poll: each exec is costly on the emulated CPU). The host
# side's netdev hangs under the dummy_hcd device in sysfs.
host_side() {
    for dev in /sys/devices/platform/dummy_hcd.*/usb*/*/*/net/*; do
        [ -e "$dev" ] && { echo "${dev##*/}"; return 0; }
    done
    return 1
}
# wait_host_side SECONDS WHEN: sets name to the host side's interface once it appears.
wait_host_side() {
    tries=0
    until name=$(host_side); do
        tries=$((tries + 1))
        if [ "$tries" -gt "$1" ]; then
            say "no host-side interface on dummy_hcd $2"
            exec $bb sleep 1000000
        fi
        $bb sleep 1
    done
}
wait_host_side 240 "after 240 s"
say "host side is $name ($($bb readlink -f /sys/class/net/$name/device/driver | $bb sed 's|.*/||'))"
$bb ip link set "$name" up
# carrier_within SECONDS: the host side has carrier (the gadget's connect notification
# reached cdc_ether) within that time.
carrier_within() {
    waited=0
    until [ "$($bb cat /sys/class/net/$name/carrier 2>/dev/null)" = 1 ]; do
        waited=$((waited + 1))
        [ "$waited" -le "$1" ] || return 1
        $bb sleep 1
    done
}
# In about 1 boot in 8 the notification never arrives and the host side stays without
# carrier for good (docs/HARDWARE.md has the check for real hosts). Then the computer
# unplugs and replugs the camera, as a user would: the device is de-authorized and
# authorized again, and enumerates anew. Said on the console, so the test reports it.
if ! carrier_within 20; then
    device=$($bb readlink -f /sys/class/net/$name/device/..)
    say "no carrier on $name after 20 s: replugging ${device##*/}"
    echo 0 >"$device/authorized"
    $bb sleep 2
    echo 1 >"$device/authorized"
    wait_host_side 60 "60 s after the replug"
    $bb ip link set "$name" up
    carrier_within 30 || say "no carrier on $name 30 s after the replug either"
    say "host side after the replug is $name"
fi
# What the link carried, for a failure: packet counters on both sides of the loop, the
# board's addresses there and its UDP sockets (port 67 is 0043 in /proc/net/udp).
report_link() {
    for dev in /sys/class/net/usb*; do
        say "$1: ${dev##*/}: operstate $($bb cat "$dev/operstate") carrier $($bb cat "$dev/carrier" 2>/dev/null)" \
            "rx $($bb cat "$dev/statistics/rx_packets") tx $($bb cat "$dev/statistics/tx_packets")" \
            "rx_dropped $($bb cat "$dev/statistics/rx_dropped") tx_dropped $($bb cat "$dev/statistics/tx_dropped")"
    done
    $bb ip -4 addr | $bb sed -n 's/^ *inet /inet /p' | while read -r line; do say "$1: $line"; done
    $bb sed -n '1p;/:0043 /p' /proc/net/udp | while read -r line; do say "$1: udp $line"; done
}
# A laptop keeps asking: a second round after a first one that got nothing, with what the
# link carried in between, so a failure says where the packets stopped.
for round in 1 2; do
    if $bb udhcpc -f -q -n -t 10 -T 3 -i "$name" -x hostname:qemu-laptop -s /test/udhcpc-event.sh; then
        [ "$round" = 1 ] || say "lease in round $round"
        # The computer's side goes quiet again: while it is up its driver keeps transfers
        # queued, and dummy_hcd then runs a 1 kHz timer that takes half the emulated CPU
        # from the Wi-Fi checks that follow. The gadget's side stays up.
        $bb ip link set "$name" down
        say "done on $name"
        exec $bb sleep 1000000
    fi
    report_link "no lease in round $round"
done
say "udhcpc got no lease on $name"
# A helper that exits is restarted: stay.
exec $bb sleep 1000000
