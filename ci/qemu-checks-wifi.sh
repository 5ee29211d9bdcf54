# shellcheck shell=bash
# Wi-Fi in the emulated board, sourced by ci/test-qemu (its network boot, QEMU_SUITE=network).
# The emulated board has no SDIO radio: mac80211_hwsim's two simulated radios stand in for
# brcmfmac. zerocam runs the image's own Wi-Fi stack on wlan0 (the bundle from the card,
# wpa_supplicant supervised, DHCP on each association); the test boot adds an access point
# on wlan1 in a network namespace of its own (ci/qemu-wifi/wifi-ap.sh: Debian's hostapd and
# busybox udhcpd), so the only path between the two is the simulated air. QEMU forwards two
# host ports to the board: a relay that opens each connection from the access point's
# namespace to zerocam's Wi-Fi address (the host fetches the stream across the Wi-Fi link),
# and a control port that takes the access point away and brings it back.
#
# The network boot runs one small test-pattern camera and no vivid or webcam: with the
# cameras boot's load on the tests' host-speed CPU (about 12x slower than a Zero) the board
# lost beacons and answered the control port too late.
#
#   wifi_add_test_tools CARD     before booting: adds /test/wifi (hostapd, iw, busybox, the
#                                scripts) and the mac80211_hwsim modules to slot A's
#                                initramfs in the test's copy of the card (the slot a new
#                                card boots; the built image is not changed), [wifi] and the
#                                access point helper to the card's zerocam.toml, and sets
#                                QEMU_EXTRA_HOSTFWD. Call it before anything that prepends
#                                archives to that initramfs (usb_add_test_tools).
#   wifi_checks PORT SERIAL PROBE  after the board answers (PROBE: the command that runs
#                                board_probe with this run's --hostname): association,
#                                DHCP and a stream over Wi-Fi; the access point gone, then back with a wrong
#                                passphrase (on /status and /log, the board reachable over
#                                its other link), then right: the stream resumes. No
#                                passphrase or PSK in /status, /log or the serial log.

# shellcheck source=ci/lib-wifi.sh
source "$REPO_ROOT/ci/lib-wifi.sh"
# The pinned packages: the test tools, and the image's kernel for the hwsim modules.
source "$REPO_ROOT/board/versions.env"

WIFI_PASSPHRASE="qemu wifi passphrase 42" # ci/qemu-wifi/zerocam-wifi.toml and hostapd-good.conf
WIFI_ADDRESS=192.168.50.10                 # the one lease of ci/qemu-wifi/udhcpd.conf

wifi_add_test_tools() {
    local card=$1 work=$REPO_ROOT/out/qemu-wifi-tools root kernel moddir file offset slot_a initrd
    ensure_packages cpio zstd lz4 kmod xz-utils binutils-arm-linux-gnueabi
    ensure_apt_sources
    rm -rf "$work"
    root=$work/root
    mkdir -p "$root" "$work/debs"
    # Slot A is partition 2.
    slot_a="$card@@$(partition_offset "$card" 2)"
    initrd=$(slot_initrd "$card" 2)
    mcopy -o -n -i "$slot_a" "::/$initrd" "$work/initrd"
    # Called first, it finds the image's own archive (one compressed cpio).
    unpack_initrd "$work/initrd" "$root" ||
        { echo "ci: slot A's $initrd is not the image's initramfs: call wifi_add_test_tools first" >&2; return 1; }
    # shellcheck disable=SC2086  # a list of pins
    wifi_unpack_pins "$work/debs" $WIFI_TEST_PACKAGES
    mkdir -p "$root/test/wifi"
    install -m 0755 "$work/debs/bin/busybox" "$work/debs/usr/sbin/hostapd" "$work/debs/sbin/iw" "$root/test/wifi/"
    install -m 0755 "$REPO_ROOT"/ci/qemu-wifi/*.sh "$root/test/wifi/"
    install -m 0644 "$REPO_ROOT"/ci/qemu-wifi/*.conf "$root/test/wifi/"
    # The simulated radios and what mac80211 needs for WPA2 (CCMP: ccm(aes); there is no
    # modprobe to fetch it), from the image's pinned kernel, loaded with the Wi-Fi modules.
    kernel=$work/kernel
    dpkg -x "$(fetch_deb "$KERNEL_PACKAGE" "$KERNEL_VERSION")" "$kernel"
    moddir=lib/modules/$KERNEL_RELEASE
    [ -d "$kernel/$moddir" ] || moddir=usr/lib/modules/$KERNEL_RELEASE
    for file in net/mac80211/mac80211 drivers/net/wireless/virtual/mac80211_hwsim lib/crypto/libarc4 crypto/ccm; do
        install -D -m 0644 "$kernel/$moddir/kernel/$file.ko.xz" "$root/lib/modules/$KERNEL_RELEASE/kernel/$file.ko.xz"
        # As ci/build-image prepares the image's: plain and unsigned load several times
        # faster in emulation (no in-kernel xz, no RSA check in software).
        unxz "$root/lib/modules/$KERNEL_RELEASE/kernel/$file.ko.xz"
        arm-linux-gnueabi-strip --strip-debug "$root/lib/modules/$KERNEL_RELEASE/kernel/$file.ko"
    done
    # WIFI_TEST_MODULES: the test modules, one a line (default: ccm, then mac80211_hwsim).
    printf '%b' "${WIFI_TEST_MODULES:-ccm\nmac80211_hwsim\n}" >>"$root/etc/modules.wifi"
    # The image keeps only modules.dep and modules.builtin; depmod wants the other two.
    touch "$root/lib/modules/$KERNEL_RELEASE/modules."{order,builtin.modinfo}
    depmod -b "$root" "$KERNEL_RELEASE"
    find "$root/lib/modules/$KERNEL_RELEASE" -maxdepth 1 -name 'modules.*' ! -name modules.dep ! -name modules.builtin -delete
    # zstd -19 whatever the image used (the kernel tells the formats apart by their magic,
    # not by the name): U-Boot loads the file whole, whatever its size, but it must fit the
    # slot's FAT, which has only a few MiB to spare (board/make-slot), and the test tools
    # would not fit in lz4 (zstd -3 left 34 KiB free once usb_add_test_tools had added its
    # tools). This test boot's unpacking is slower than the image's: ci/bench-boot times that.
    (cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) | zstd -19 -q >"$work/initrd.repacked"
    mcopy -o -i "$slot_a" "$work/initrd.repacked" "::/$initrd"
    offset=$(boot_partition_offset "$card")
    mtype -i "$card@@$offset" ::/zerocam.toml >"$work/zerocam.toml"
    cat "$REPO_ROOT/ci/qemu-wifi/zerocam-wifi.toml" >>"$work/zerocam.toml"
    mcopy -o -i "$card@@$offset" "$work/zerocam.toml" ::/zerocam.toml
    WIFI_RELAY_PORT=$(qemu_free_port)
    WIFI_CONTROL_PORT=$(qemu_free_port)
    QEMU_EXTRA_HOSTFWD="${QEMU_EXTRA_HOSTFWD:-},hostfwd=tcp:127.0.0.1:$WIFI_RELAY_PORT-:8081,hostfwd=tcp:127.0.0.1:$WIFI_CONTROL_PORT-:8082"
}

# wifi_get PORT PATH: the body of a GET (plain bash TCP; the board closes HTTP/1.0 replies).
wifi_get() {
    local reply
    reply=$(exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'GET %s HTTP/1.0\r\n\r\n' "$2" >&3 && timeout 20 cat <&3) || return 1
    printf '%s' "${reply#*$'\r\n\r\n'}"
}

# wifi_status PORT: network.wifi of /status as "state|address|connections|error".
wifi_status() {
    wifi_get "$1" /status | python3 -c '
import json, sys
wifi = json.load(sys.stdin)["network"]["wifi"]
print("|".join(str(wifi[key]) for key in ("state", "address", "connections", "error")))'
}

# wifi_wait PORT SECONDS STATE-REGEX WHAT: until network.wifi.state matches (fetched over
# the board's other link); prints the last status line.
wifi_wait() {
    local port=$1 limit=$2 want=$3 what=$4 deadline line=
    deadline=$(($(date +%s) + limit))
    while [ "$(date +%s)" -lt "$deadline" ]; do
        line=$(wifi_status "$port" 2>/dev/null) || line=
        if [[ ${line%%|*} =~ ^($want)$ ]]; then
            echo "$line"
            return 0
        fi
        sleep 1
    done
    fail "wifi: $what: network.wifi is '${line:-no answer}' after $limit s (wanted $want)"
}

wifi_control() { helper_control "$WIFI_CONTROL_PORT" "$1" "wifi: the access point's control port"; }

wifi_checks() {
    local port=$1 serial=$2 probe=$3 relay="127.0.0.1:${WIFI_RELAY_PORT:-}" line psk body
    # Generous limits: under TCG on a busy machine the board runs several times slower.
    serial_wait "$serial" 'wifi-ap: (ready|no second radio|cannot move)' 300 ||
        fail "wifi: the access point did not start within 300 s"
    grep -q 'wifi-ap: ready' "$serial" || fail "wifi: $(grep -m1 'wifi-ap: [nc]' "$serial")"
    echo "ok: wifi: $(grep -m1 -o 'wifi-ap: ready.*' "$serial" | tr -d '\r')"

    # 1. Association (WPA2-PSK), DHCP from the access point's udhcpd, a stream across it.
    line=$(wifi_wait "$port" 240 connected "association and DHCP") || exit 1
    [ "$(cut -d'|' -f2 <<<"$line")" = "$WIFI_ADDRESS/24" ] || fail "wifi: address is not $WIFI_ADDRESS/24: $line"
    echo "ok: wifi: connected, $WIFI_ADDRESS/24 by DHCP over the simulated radio ($line)"
    "$probe" check "$relay" 30 | sed 's/^/    over wifi: /' || fail "wifi: stream checks across the Wi-Fi link"
    body=$(wifi_get "$WIFI_RELAY_PORT" /status) || fail "wifi: no /status across the Wi-Fi link"
    grep -q '"peer":"192.168.50.1:' <<<"$body" || fail "wifi: zerocam did not see the request come from the access point"
    echo "ok: wifi: the stream crossed the Wi-Fi link (zerocam saw the client as 192.168.50.1)"

    # 2. The access point goes away: the link is lost, the board stays reachable over USB net.
    wifi_control down
    line=$(wifi_wait "$port" 180 "disconnected|network not found|scanning" "access point gone") || exit 1
    echo "ok: wifi: access point gone: $line (board reachable over its other link)"

    # 3. Back with another passphrase: a wrong passphrase, reported on /status and /log.
    wifi_control wrong
    line=$(wifi_wait "$port" 240 "wrong passphrase" "wrong passphrase") || exit 1
    grep -q 'wrong passphrase for "zerocam-test"' <<<"$line" || fail "wifi: the error does not say so: $line"
    wifi_get "$port" /log | grep -q 'wifi: wrong passphrase for "zerocam-test"' || fail "wifi: no wrong passphrase in /log"
    # The page is the largest answer here; on a busy board one fetch may not finish in time.
    for try in 1 2 3; do
        if wifi_get "$port" / | grep -q 'network.wifi'; then break; fi
        [ "$try" -lt 3 ] || fail "wifi: the live page does not show Wi-Fi (3 fetches)"
    done
    echo "ok: wifi: wrong passphrase on /status and /log while reachable over USB net: $line"

    # 4. Back with the right one: wpa_supplicant reconnects by itself, zerocam runs DHCP
    #    again, and the stream resumes across the Wi-Fi link.
    wifi_control up
    line=$(wifi_wait "$port" 300 connected "reconnection") || exit 1
    [ "$(cut -d'|' -f3 <<<"$line")" -ge 2 ] || fail "wifi: not a second connection: $line"
    "$probe" check "$relay" 20 | sed 's/^/    over wifi again: /' || fail "wifi: the stream did not resume"
    [ "$(grep -c "wifi: wlan0 $WIFI_ADDRESS/24 via - (dhcp" "$serial")" -ge 2 ] || fail "wifi: DHCP did not run again"
    echo "ok: wifi: reconnected by itself ($line); DHCP ran again; the stream resumed"

    # 5. No passphrase, nor the PSK derived from it, anywhere a user or a log can see.
    psk=$(python3 -c 'import hashlib, sys; print(hashlib.pbkdf2_hmac("sha1", sys.argv[1].encode(), b"zerocam-test", 4096, 32).hex())' "$WIFI_PASSPHRASE")
    for where in serial /status /log; do
        case $where in serial) body=$(cat "$serial") ;; *) body=$(wifi_get "$port" "$where") ;; esac
        if grep -qiF -e "$WIFI_PASSPHRASE" -e "$psk" <<<"$body"; then
            fail "wifi: the passphrase or its PSK shows in $where"
        fi
    done
    echo "ok: wifi: neither the passphrase nor its PSK appears in /status, /log or the serial log"
}
