#!/test/busybox sh
# On the emulated board, as a [[system.helper]] of ci/qemu-zerocam.toml (busybox sh from
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
tries=0
until name=$(host_side); do
    tries=$((tries + 1))
    if [ "$tries" -gt 240 ]; then
        say "no host-side interface on dummy_hcd after 240 s"
        exec $bb sleep 1000000
    fi
    $bb sleep 1
done
say "host side is $name ($($bb readlink -f /sys/class/net/$name/device/driver | $bb sed 's|.*/||'))"
$bb ip link set "$name" up
if $bb udhcpc -f -q -n -t 20 -T 3 -i "$name" -x hostname:qemu-laptop -s /test/udhcpc-event.sh; then
    say "done on $name"
else
    say "udhcpc got no lease on $name"
fi
# A helper that exits is restarted: stay.
exec $bb sleep 1000000
