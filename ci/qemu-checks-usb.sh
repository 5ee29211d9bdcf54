# The USB Ethernet gadget in the emulated board, sourced by ci/test-qemu (its network
# boot, QEMU_SUITE=network). QEMU's raspi0 has no USB device port, so the [usb] table of
# ci/qemu-zerocam-network.toml puts the configfs gadget on dummy_hcd's controller, whose host side
# is in the same kernel: it enumerates the gadget like a laptop would and gets a network
# interface of its own (cdc_ether). A real DHCP client, Debian's busybox udhcpc (armel,
# busybox-static), runs there as a helper and must get the lease from zerocam.
#
#   usb_add_test_tools CARD     before booting: puts /test (busybox, the scripts) in front
#                               of slot A's initramfs in the test's copy of the card (the
#                               kernel unpacks concatenated archives in order; U-Boot loads
#                               the file whole, whatever its size; the built image is not
#                               changed)
#   usb_checks PORT SERIAL      after the board answers: the lease seen by udhcpc, the
#                               gadget and lease in the serial log and on /status

usb_add_test_tools() {
    qemu_add_busybox_tools "$1" "$REPO_ROOT/out/qemu-usb-tools" "$REPO_ROOT"/ci/qemu-usb/*.sh
}

usb_checks() {
    local port=$1 serial=$2 deadline status lease
    serial_wait "$serial" 'usb-dhcp-check: (done|udhcpc got no lease|no host-side)' 120 ||
        fail "usb: no result from usb-dhcp-check within 120 s"
    grep -q 'usb-dhcp-check: done' "$serial" || fail "usb: $(grep -m1 'usb-dhcp-check: [nu]' "$serial")"
    lease=$(grep -m1 'usb-dhcp-check: bound' "$serial" | sed 's/.*usb-dhcp-check: //' | tr -d '\r')
    [ "$lease" = "bound ip=192.168.7.2 subnet=255.255.255.0 router= dns= serverid=192.168.7.1 lease=3600" ] ||
        fail "usb: unexpected lease: $lease"
    echo "ok: usb: $(grep -m1 'usb-dhcp-check: host side' "$serial" | sed 's/.*usb-dhcp-check: //' | tr -d '\r')"
    if grep -q 'usb-dhcp-check: no carrier' "$serial"; then
        echo "note: usb: $(grep -m1 -o 'no carrier on .*' "$serial" | tr -d '\r') (the connect notification race, docs/HARDWARE.md)"
    fi
    echo "ok: usb: busybox udhcpc on the host side of dummy_hcd: $lease"
    grep -q 'gadget on dummy_udc.0' "$serial" || fail "usb: no 'gadget on dummy_udc.0' in the serial log"
    # zerocam logs the lease after sending it, from a thread a busy board may run late.
    serial_wait "$serial" 'leased 192\.168\.7\.2 to qemu-laptop' 30 || fail "usb: zerocam did not log the lease"
    echo "ok: usb: $(grep -m1 -o 'gadget on dummy_udc.0.*' "$serial" | tr -d '\r')"
    # /status over plain bash TCP: the usb link with its address and the computer's lease.
    # The lease reaches /status just after zerocam logs it, from a thread that a busy
    # emulated CPU may not run for a while: asked again for up to 30 s.
    deadline=$(($(date +%s) + 30))
    while true; do
        status=$(exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'GET /status HTTP/1.0\r\n\r\n' >&3 && cat <&3) || status=
        echo "$status" | grep -qE '"role":"usb","interface":"[a-z0-9]+","address":"192.168.7.1/24","method":"fixed","status":"computer connected","peer":\{"address":"192.168.7.2","hostname":"qemu-laptop"\},"error":null' && break
        [ "$(date +%s)" -lt "$deadline" ] || fail "usb: /status does not show the USB link: $(echo "$status" | grep -o '"network":.*')"
        sleep 1
    done
    echo "ok: usb: /status $(echo "$status" | grep -o '"network":.*' | head -c 400)"
}
